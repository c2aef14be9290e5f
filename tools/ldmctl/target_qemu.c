// SPDX-License-Identifier: GPL-2.0
/*
 * --qmp-dir on the target (target.h): the QEMU the operator starts with
 * -incoming defer on /dev/ldm/<target>, reached on DIR/<target>.qmp. It
 * is armed for the device state as soon as it is up (QEMU_READY to the
 * source), loads the state the source sends behind the final round while
 * the COMMIT is checked, and stays
 * paused until the commit; after a failure it is told to quit, so that
 * the domain it maps can go.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "target.h"

/* The target QEMU's QMP socket appears when the operator starts it. */
static int qmp_target_open(struct incoming *in, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%s.qmp", in->o->qmp_dir,
		 in->hello.target);
	for (;;) {
		err = qmp_open(&in->qmp, path, timeout_ms);
		if (!err) {
			in->qmp_up = true;
			return 0;
		}
		if ((err != -ENOENT && err != -ECONNREFUSED) ||
		    now_ms() > deadline || serve_stopping)
			return err;
		usleep(100000);
	}
}

/*
 * Make the target QEMU, started with -incoming defer on
 * /dev/ldm/<target>, ready for the device state: x-ignore-shared (the RAM
 * is the domain's, which ldm fills), and an incoming migration from a
 * pipe of ours, armed now and fed at the commit. Waits up to @wait_ms for
 * the QEMU's socket and for each answer. @tentative (during the rounds,
 * whose data must not wait long): a QEMU not answering yet, still
 * starting, is left for a later try (-EAGAIN) as long as nothing was
 * asked of it. Return: 0, -EAGAIN, or -errno after an ABORT to the source.
 */
static int qmp_target_arm(struct incoming *in, int wait_ms, bool tentative)
{
	char st[64];
	int pfd[2], err;

	err = qmp_target_open(in, wait_ms);
	if (!err)
		err = qmp_status(&in->qmp, st, sizeof(st), wait_ms);
	if (tentative && (err == -ETIMEDOUT || err == -ENOENT ||
			  err == -ECONNREFUSED)) {
		if (in->qmp_up)
			qmp_close(&in->qmp);
		in->qmp_up = false;
		return -EAGAIN;
	}
	if (err && !in->qmp_up) {
		target_abort(in, PROTO_E_TARGET, "no target QEMU on %s/%s.qmp: %s",
			     in->o->qmp_dir, in->hello.target, in->qmp.why);
		return err;
	}
	if (!err && strcmp(st, "inmigrate")) {
		target_abort(in, PROTO_E_TARGET,
			     "the target QEMU is '%s', not waiting for a migration (-incoming defer)",
			     st);
		return -EBUSY;
	}
	if (!err)
		err = qmp_exec(&in->qmp, "migrate-set-capabilities",
			       "{\"capabilities\": [{\"capability\": \"x-ignore-shared\", \"state\": true}]}",
			       -1, wait_ms, NULL);
	if (err) {
		target_abort(in, PROTO_E_TARGET, "target QEMU: %s", in->qmp.why);
		return err;
	}
	/* Our end never blocks: QEMU may stop reading. */
	if (pipe2(pfd, O_CLOEXEC) || fcntl(pfd[1], F_SETFL, O_NONBLOCK)) {
		err = -errno;
		target_abort(in, PROTO_E_TARGET, "pipe: %s", strerror(-err));
		return err;
	}
	err = qmp_exec(&in->qmp, "getfd", "{\"fdname\": \"ldm-devstate\"}",
		       pfd[0], wait_ms, NULL);
	close(pfd[0]);
	if (!err)
		err = qmp_exec(&in->qmp, "migrate-incoming",
			       "{\"uri\": \"fd:ldm-devstate\"}", -1,
			       wait_ms, NULL);
	if (err) {
		close(pfd[1]);
		target_abort(in, PROTO_E_TARGET, "target QEMU: %s", in->qmp.why);
		return err;
	}
	in->devstate_fd = pfd[1];
	serve_log(in->peer, "target QEMU %s on %s/%s.qmp is ready for the device state",
		  in->qmp.version, in->o->qmp_dir, in->hello.target);
	return 0;
}

/*
 * During the rounds, with --qmp-dir and a source sending device state:
 * once the target QEMU's socket is there, arm it and say QEMU_READY (see
 * proto.h), at most every 100 ms while it is not; again after a resume.
 */
int target_qemu_poll(struct incoming *in)
{
	char path[PATH_MAX];
	int err;

	if (!(in->hello.flags & PROTO_HELLO_F_DEVSTATE) || in->qemu_ready_sent)
		return 0;
	if (in->devstate_fd < 0) {
		if (now_ms() < in->next_arm_ms)
			return 0;
		in->next_arm_ms = now_ms() + 100;
		snprintf(path, sizeof(path), "%s/%s.qmp", in->o->qmp_dir,
			 in->hello.target);
		if (access(path, F_OK))
			return 0;
		err = qmp_target_arm(in, 1000, true);
		if (err == -EAGAIN) {
			in->next_arm_ms = now_ms() + 1000;
			return 0;
		}
		if (err)
			return err;
	}
	err = ctl_send_empty(&in->ctl, PROTO_MSG_QEMU_READY, in->o->timeout_ms);
	if (!err)
		in->qemu_ready_sent = true;
	/* A lost link is the rounds' to notice (and maybe resume). */
	return 0;
}

/* DEVSTATE chunks, in order, until the last. */
int target_devstate_receive(struct incoming *in)
{
	struct proto_devstate d;
	size_t cap = 0;

	do {
		int err = target_expect(in, PROTO_MSG_DEVSTATE);

		if (err)
			return err;
		if (proto_get_devstate(in->ctl.payload, in->ctl.len, &d) ||
		    d.offset != in->devstate_len) {
			target_abort(in, PROTO_E_REQUEST, "malformed or out-of-order DEVSTATE");
			return -EPROTO;
		}
		if (in->devstate_len + d.len > cap) {
			size_t ncap = cap ? cap * 2 : 1 << 20;
			uint8_t *n;

			while (ncap < in->devstate_len + d.len)
				ncap *= 2;
			n = realloc(in->devstate, ncap);
			if (!n) {
				target_abort(in, PROTO_E_TARGET, "out of memory");
				return -ENOMEM;
			}
			in->devstate = n;
			cap = ncap;
		}
		if (d.len)
			memcpy(in->devstate + in->devstate_len, d.data, d.len);
		in->devstate_len += d.len;
	} while (!d.last);
	serve_log(in->peer, "QEMU device state: %zu bytes", in->devstate_len);
	return 0;
}

/*
 * Feed the device state to the armed target QEMU (arming it first if it
 * was not: its socket may have come late), as soon as it is here: every
 * page of the final round is applied by then, so what QEMU's loading may
 * read of guest RAM is already the source's. QEMU loads it while the
 * COMMIT is checked; target_devstate_loaded() waits for the end.
 */
int target_devstate_feed(struct incoming *in)
{
	/*
	 * A third of --timeout to find QEMU, a third to load: the source,
	 * waiting for COMMITTED, must hear from us before its own timeout.
	 */
	int wait_ms = in->o->timeout_ms / 3;
	const uint8_t *p = in->devstate;
	size_t left = in->devstate_len;
	int64_t deadline;
	int err;

	if (in->devstate_fd < 0) {
		err = qmp_target_arm(in, wait_ms, false);
		if (err)
			return err;
	}
	deadline = now_ms() + wait_ms;
	while (left) {
		struct pollfd q = { .fd = in->devstate_fd, .events = POLLOUT };
		ssize_t w;

		if (now_ms() > deadline || serve_stopping ||
		    poll(&q, 1, 250) < 0) {
			target_abort(in, PROTO_E_TARGET,
				     "the target QEMU does not read the device state");
			return -ETIMEDOUT;
		}
		if (!(q.revents & (POLLOUT | POLLERR)))
			continue;
		w = write(in->devstate_fd, p, left);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0) {
			err = -errno;
			target_abort(in, PROTO_E_TARGET,
				     "the target QEMU stopped reading the device state: %s",
				     strerror(-err));
			return err;
		}
		p += w;
		left -= (size_t)w;
	}
	close(in->devstate_fd);
	in->devstate_fd = -1;
	return 0;
}

/*
 * Wait until the target QEMU has loaded the device state. The source
 * stopped its QEMU, so the target's ends in "paused" and runs only when
 * we "cont" it, after the commit.
 */
int target_devstate_loaded(struct incoming *in)
{
	int wait_ms = in->o->timeout_ms / 3;
	int64_t deadline = now_ms() + wait_ms;
	char st[64];
	int err;

	/* QEMU exits if the load fails: its socket closes (-EPIPE). */
	for (;;) {
		err = qmp_status(&in->qmp, st, sizeof(st), wait_ms);
		if (err) {
			target_abort(in, PROTO_E_TARGET,
				     "the target QEMU failed to load the device state (%s; see its log)",
				     in->qmp.why);
			return err;
		}
		if (strcmp(st, "inmigrate"))
			break;
		if (now_ms() > deadline || serve_stopping) {
			target_abort(in, PROTO_E_TARGET,
				     "the target QEMU did not load the device state in %d ms",
				     wait_ms);
			return -ETIMEDOUT;
		}
		usleep(2000);
	}
	if (strcmp(st, "paused")) {
		/* It must not run before the commit: stop it, and give up. */
		qmp_exec(&in->qmp, "stop", NULL, -1, 5000, NULL);
		target_abort(in, PROTO_E_TARGET,
			     "the target QEMU is '%s' after loading, not 'paused'", st);
		return -EPROTO;
	}
	serve_log(in->peer, "target QEMU %s loaded the device state; paused until the commit",
		  in->qmp.version);
	return 0;
}

/*
 * A failure before the commit: the target QEMU was started for this
 * migration only, and maps the domain; it goes, so that the domain can.
 */
void target_qemu_quit(struct incoming *in)
{
	if (!in->qmp_up && qmp_target_open(in, 1000))
		return;
	if (qmp_exec(&in->qmp, "quit", NULL, -1, 5000, NULL) &&
	    in->qmp.why[0])
		serve_log(in->peer, "target QEMU: %s", in->qmp.why);
	else
		serve_log(in->peer, "told the target QEMU to quit");
	qmp_close(&in->qmp);
	in->qmp_up = false;
}
