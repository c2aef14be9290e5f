// SPDX-License-Identifier: GPL-2.0
/*
 * --qmp on the source (source.h): the source QEMU over QMP (qmp.c). It is
 * reached and set up (x-ignore-shared) before anything moves; the final
 * round waits until the target's QEMU is ready for the device state; once
 * the guest is stopped, QEMU's own migration, without RAM, writes the
 * device state into a pipe while the final round goes out, and it goes to
 * the target in DEVSTATE messages right behind the final round, before
 * the COMMIT (source_commit.c). Stopping QEMU and
 * resuming it after a failure are the suspension's (source_rounds.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>

#include "net.h"
#include "source.h"

/*
 * --qmp: reach the source QEMU before anything moves, and switch on
 * x-ignore-shared so that its own migration will carry no guest RAM (the
 * RAM is the ldm domain's, a shared mapping; ldm moves it).
 */
int source_qemu_setup(struct migration *m)
{
	char st[64];
	int err;

	err = qmp_open(&m->qmp, m->o.qmp, m->o.timeout_ms);
	if (err)
		return source_fail(m, -EIO, "--qmp %s: %s", m->o.qmp,
				   m->qmp.why);
	m->qmp_up = true;
	err = qmp_status(&m->qmp, st, sizeof(st), m->o.timeout_ms);
	if (err)
		return source_fail(m, -EIO, "--qmp %s: %s", m->o.qmp,
				   m->qmp.why);
	if (strcmp(st, "running") && strcmp(st, "paused"))
		return source_fail(m, -EIO,
				   "--qmp %s: QEMU is in state '%s', not running or paused",
				   m->o.qmp, st);
	m->qmp_was_running = !strcmp(st, "running");
	if (m->o.dry_run) {	/* reachable is all a dry run checks */
		progress_note(&m->pr, "QEMU %s on %s: %s", m->qmp.version,
			      m->o.qmp, st);
		return 0;
	}
	err = qmp_exec(&m->qmp, "migrate-set-capabilities",
		       "{\"capabilities\": [{\"capability\": \"x-ignore-shared\", \"state\": true}]}",
		       -1, m->o.timeout_ms, NULL);
	if (err)
		return source_fail(m, -EIO, "--qmp %s: %s", m->o.qmp,
				   m->qmp.why);
	progress_note(&m->pr, "QEMU %s on %s: %s, x-ignore-shared on",
		      m->qmp.version, m->o.qmp, st);
	return 0;
}

/*
 * How long since the target's kernel last acknowledged anything on the
 * control connection, in ms. The PINGs of the wait below go out every
 * second, so a live target acknowledges every second; a pulled cable
 * leaves them unacknowledged (TCP_USER_TIMEOUT, net_tune(), ends the
 * connection only a --timeout after the first of them).
 */
static uint32_t target_silent_ms(struct migration *m)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(m->ctl.fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 0;
	return ti.tcpi_last_ack_recv;
}

/* --reconnect: the target is gone or silent; source_reconnect() decides. */
static int qemu_wait_lost(struct migration *m, const char *why)
{
	snprintf(m->lost_why, sizeof(m->lost_why),
		 "%s, while waiting for the target QEMU", why);
	return SOURCE_LOST;
}

/*
 * --qmp: the guest is suspended only once the target's QEMU is up and
 * armed for the device state (QEMU_READY, proto.h), so that its start-up
 * is no part of the downtime. Meanwhile the guest runs on; PINGs keep the
 * target from taking the silence for a dead source. With --reconnect a
 * dead target, or one whose kernel stops acknowledging the PINGs, is
 * lost (SOURCE_LOST), as in a round: a cable does not choose its moment.
 * The --timeout for the target QEMU counts only while the target answers.
 */
int source_qemu_wait_target(struct migration *m)
{
	int64_t t0 = now_ms(), deadline = t0 + m->o.timeout_ms, ping = 0;
	bool resumable = m->o.reconnect_s;
	char why[64];
	int ret;

	progress_note(&m->pr, "waiting for the target QEMU on %s before suspending; '%s' runs on",
		      m->o.dest.host, m->o.domain);
	ctl_next(&m->ctl);
	while (!m->snd.target_qemu_ready) {
		if (source_cancelled)
			return source_fail(m, ERR_CANCELLED,
					   "cancelled while waiting for the target QEMU; the source domain is intact");
		if (resumable && target_silent_ms(m) >= (uint32_t)m->o.timeout_ms) {
			snprintf(why, sizeof(why), "no answer for %d s",
				 m->o.timeout_ms / 1000);
			return qemu_wait_lost(m, why);
		}
		/* Past the deadline, a target silent for 2 s: as above, soon. */
		if (now_ms() >= deadline &&
		    !(resumable && target_silent_ms(m) > 2000))
			return source_fail(m, -ETIMEDOUT,
					   "no target QEMU came up for '%s' on %s within %d s (serve --qmp-dir: a QEMU started with -incoming defer on /dev/ldm/%s); the source domain is intact",
					   m->target, m->o.dest.host,
					   m->o.timeout_ms / 1000, m->target);
		ret = 0;
		if (now_ms() >= ping) {
			ret = ctl_send_empty(&m->ctl, PROTO_MSG_PING,
					     m->o.timeout_ms);
			ping = now_ms() + 1000;
		}
		if (!ret)
			ret = ctl_recv(&m->ctl, 250);
		if (ret == -ETIMEDOUT || ret == -EINTR)
			continue;
		if (ret < 0 && resumable)
			return qemu_wait_lost(m, m->ctl.why);
		if (ret < 0)
			return source_fail(m, -ECONNRESET,
					   "lost the target while waiting for its QEMU: %s; the source domain is intact",
					   m->ctl.why);
		if (m->ctl.type == PROTO_MSG_ABORT)
			return source_target_aborted(m);
		/* QEMU_READY sets target_qemu_ready; a PING is skipped. */
		if (!sender_aside(&m->ctl, &m->snd))
			return source_fail(m, -EPROTO,
					   "protocol error: the target sent %s while its QEMU was awaited",
					   proto_msg_name(m->ctl.type));
		ctl_next(&m->ctl);
	}
	progress_event(&m->pr, "target_qemu", "ms", (uint64_t)(now_ms() - t0),
		       NULL);
	progress_note(&m->pr, "the target QEMU is ready (waited %lld ms)",
		      (long long)(now_ms() - t0));
	return 0;
}

/* Poll "query-migrate" until QEMU's outgoing migration has ended. */
static int devstate_wait(struct migration *m, int64_t deadline)
{
	for (;;) {
		const char *st, *desc;
		struct jv *r;
		int err;

		err = qmp_exec(&m->qmp, "query-migrate", NULL, -1,
			       m->o.timeout_ms, &r);
		if (err)
			return source_fail(m, -EIO, "QEMU: %s", m->qmp.why);
		st = jv_str(jv_get(r, "status"));
		desc = jv_str(jv_get(r, "error-desc"));
		if (st && !strcmp(st, "completed")) {
			jv_free(r);
			return 0;
		}
		if (!st || !strcmp(st, "failed") || !strcmp(st, "cancelled") ||
		    !strcmp(st, "none") || now_ms() > deadline) {
			err = source_fail(m, -EIO,
					  "QEMU's device state migration %s%s%s; the source domain is intact",
					  !st ? "has no status" : now_ms() > deadline ?
					  "timed out" : st, desc ? ": " : "",
					  desc ? desc : "");
			jv_free(r);
			return err;
		}
		jv_free(r);
		usleep(20000);
	}
}

/*
 * What QEMU writes before we read it: the pipe is made this large so that
 * a usual device state (an SS-5's is about 300 KB) fits whole while the
 * final round runs, and QEMU's migration thread never waits for us. A
 * kernel that refuses the size leaves the default; QEMU then waits until
 * source_devstate_collect() reads, which is slower, not wrong.
 */
#define DEVSTATE_PIPE_BYTES	(1 << 20)

/*
 * The source QEMU is stopped (the suspension): let QEMU migrate, with
 * x-ignore-shared, into a pipe we pass it (getfd). It writes its device
 * state, without RAM, while the final round goes out: none of it depends
 * on the guest's RAM, which QEMU no longer changes once stopped.
 */
int source_devstate_start(struct migration *m)
{
	int pfd[2], err;

	m->devstate_t0 = now_ns();
	if (pipe2(pfd, O_CLOEXEC))
		return source_fail(m, -EIO, "pipe: %s", strerror(errno));
	fcntl(pfd[0], F_SETPIPE_SZ, DEVSTATE_PIPE_BYTES);
	err = qmp_exec(&m->qmp, "getfd", "{\"fdname\": \"ldm-devstate\"}",
		       pfd[1], m->o.timeout_ms, NULL);
	close(pfd[1]);
	if (!err) {
		err = qmp_exec(&m->qmp, "migrate",
			       "{\"uri\": \"fd:ldm-devstate\"}", -1,
			       m->o.timeout_ms, NULL);
		if (err)
			qmp_exec(&m->qmp, "closefd",
				 "{\"fdname\": \"ldm-devstate\"}", -1, 2000,
				 NULL);
	}
	if (err) {
		close(pfd[0]);
		return source_fail(m, -EIO,
				   "QEMU refused to migrate its device state: %s; the source domain is intact",
				   m->qmp.why);
	}
	m->qmp_migrating = true;
	m->devstate_fd = pfd[0];
	return 0;
}

/*
 * The final round is out: read what QEMU wrote into the pipe (usually
 * all there already) until it closes it, into m->devstate, and check
 * that its migration completed.
 */
int source_devstate_collect(struct migration *m)
{
	int64_t deadline = now_ms() + m->o.timeout_ms;
	size_t cap = 1 << 20;
	int fd = m->devstate_fd, err;

	m->devstate = malloc(cap);
	m->devstate_len = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t r;

		if (!m->devstate)
			return source_fail(m, -ENOMEM, "out of memory");
		if (source_cancelled || left <= 0)
			return source_fail(m, source_cancelled ?
					   ERR_CANCELLED : -ETIMEDOUT,
					   "%s while QEMU wrote its device state; the source domain is intact",
					   source_cancelled ? "cancelled" : "timed out");
		if (poll(&p, 1, (int)(left > 250 ? 250 : left)) <= 0)
			continue;
		if (m->devstate_len == cap) {
			uint8_t *n;

			if (cap >= PROTO_DEVSTATE_MAX)
				return source_fail(m, -EIO,
						   "QEMU's device state is over %u MiB: is the guest RAM a shared ldm mapping (share=on)?",
						   PROTO_DEVSTATE_MAX >> 20);
			n = realloc(m->devstate, cap * 2);
			if (!n)
				free(m->devstate);
			m->devstate = n;
			cap *= 2;
			continue;
		}
		r = read(fd, m->devstate + m->devstate_len,
			 cap - m->devstate_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return source_fail(m, -EIO,
					   "reading QEMU's device state: %s",
					   strerror(errno));
		if (!r)
			break;
		m->devstate_len += (size_t)r;
	}
	close(fd);
	m->devstate_fd = -1;
	err = devstate_wait(m, deadline);
	if (err)
		return err;
	m->qmp_migrating = false;
	m->devstate_ns = now_ns() - m->devstate_t0;
	progress_note(&m->pr, "QEMU device state: %zu bytes, written in the %.0f ms from the stop",
		      m->devstate_len, (double)m->devstate_ns / 1e6);
	progress_event(&m->pr, "devstate", "bytes", (uint64_t)m->devstate_len,
		       "ms", m->devstate_ns / 1000000, NULL);
	return 0;
}

/* The device state to the target, in DEVSTATE chunks. */
int source_devstate_send(struct migration *m)
{
	struct proto_devstate d = { 0 };
	struct pbuf b;
	int ret = 0;

	pbuf_init(&b);
	do {
		size_t left = m->devstate_len - d.offset;

		d.len = left > PROTO_DEVSTATE_CHUNK ? PROTO_DEVSTATE_CHUNK :
			(uint32_t)left;
		d.last = d.offset + d.len == m->devstate_len;
		d.data = m->devstate + d.offset;
		ret = source_send(m, &b, proto_put_devstate(&b, &d));
		d.offset += d.len;
	} while (!ret && !d.last);
	pbuf_free(&b);
	if (ret)
		return source_fail(m, -EIO,
				   "cannot send QEMU's device state: %s; the source domain is intact",
				   ret == -EINVAL ? "too large" : m->ctl.why);
	return 0;
}
