// SPDX-License-Identifier: GPL-2.0
/*
 * One migration on the source (source.h), from start to end: the lock,
 * the module, the target's consent, the sending session, the rounds, the
 * commit and the summary; and, on any failure before the commit, the
 * undoing that leaves the source domain as it was (the target discards
 * its half-made domain). How a failure is reported is said here, once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "json.h"
#include "lastmig.h"
#include "net.h"
#include "oplock.h"
#include "source.h"

int source_fail(struct migration *m, int err, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	progress_clear(&m->pr);
	report(m->cmd->name, m->o.domain, "%s", msg);
	if (!m->fail_msg[0])
		snprintf(m->fail_msg, sizeof(m->fail_msg), "%s", msg);
	if (m->o.json) {
		struct json j;

		json_event_begin(&j, "error");
		json_key(&j, "message");
		json_string(&j, msg);
		json_key(&j, "exit");
		json_u64(&j, (uint64_t)exit_code_for(err));
		json_event_end(&j);
	}
	if (m->lock_fd >= 0)
		oplock_status(m->lock_fd, "%s: %s",
			      err == ERR_CANCELLED ? "cancelled" : "failed",
			      msg);
	return err;
}

int source_module_error(struct migration *m, int err)
{
	const char *ack = ldm_genl_ext_ack(m->g);

	report_result(m->cmd->name, m->o.domain, err, ack);
	if (!m->fail_msg[0])
		snprintf(m->fail_msg, sizeof(m->fail_msg), "%s",
			 ack ? ack : strerror(-err));
	return err;
}

void source_wipe_secrets(struct migration *m)
{
	OPENSSL_cleanse(m->key, sizeof(m->key));
	OPENSSL_cleanse(m->token, sizeof(m->token));
	OPENSSL_cleanse(&m->salt, sizeof(m->salt));
	OPENSSL_cleanse(m->password, sizeof(m->password));
	rekey_wipe(&m->rk);
}

void source_teardown(struct migration *m)
{
	uint32_t i;

	for (i = 0; i < m->snd.nstreams; i++)
		if (m->snd.st[i].fd >= 0)
			close(m->snd.st[i].fd);
	m->snd.nstreams = 0;
	if (m->ring.map)
		uring_unmap(&m->ring);
	if (m->session) {
		mig_stop(m->g, m->o.domain);
		m->session = false;
	}
	if (m->ctl_up) {
		ctl_close(&m->ctl);
		m->ctl_up = false;
	}
	source_unsuspend(m);
	if (m->qmp_up) {
		qmp_close(&m->qmp);
		m->qmp_up = false;
	}
	if (m->devstate_fd >= 0)
		close(m->devstate_fd);
	m->devstate_fd = -1;
	free(m->devstate);
	m->devstate = NULL;
	source_wipe_secrets(m);
}

/* The lock, the module, the domain; nothing that changes it yet. */
static int source_start(struct migration *m)
{
	struct mig_info mi;
	pid_t holder;
	int ret;

	m->lock_fd = oplock_acquire(m->o.domain, &holder);
	if (m->lock_fd == -EBUSY)
		return source_fail(m, -EBUSY,
				   "a migration of this domain is already running (pid %ld)",
				   (long)holder);
	if (m->lock_fd < 0)
		return source_fail(m, m->lock_fd,
				   "cannot lock %s: %s", LDM_RUN_MIGRATE_DIR,
				   strerror(-m->lock_fd));
	ret = ldmctl_open(m->cmd->name, &m->g);
	if (ret)
		return ret;
	ret = ldm_domain_get(m->g, m->o.domain, &m->info);
	if (ret)
		return source_module_error(m, ret);
	if (!mig_get(m->g, m->o.domain, &mi) && mi.state != LDM_MIG_STATE_NONE)
		return source_fail(m, -EBUSY,
				   "the domain already has a migration session");
	return 0;
}

/* The module's sending session, with the key, and its batch ring. */
static int start_session(struct migration *m)
{
	struct mig_params mp = { .workers = m->o.workers,
				 .dirty_limit = m->o.dirty_limit,
				 .epoch_shift = m->rk.shift };
	struct mig_info mi;
	int ret;

	mp.key = m->key;
	mp.salt = m->salt;
	/* The module checks the kernel's FIPS mode too. */
	mp.flags = m->o.fips ? LDM_MIG_F_FIPS : 0;
	if (m->o.baseline)
		mp.flags |= LDM_MIG_F_BASELINE;
	ret = mig_start(m->g, m->o.domain, true, &mp, &m->ring);
	OPENSSL_cleanse(m->key, sizeof(m->key));	/* the module has it */
	if (ret)
		return source_module_error(m, ret);
	m->session = true;
	/* Epoch 1's key before any batch: always one epoch ahead. */
	rekey_attach(&m->rk, m->ring.fd);
	ret = rekey_upto(&m->rk, 0, 1, m->snd.why, sizeof(m->snd.why));
	if (ret)
		return source_fail(m, ret, "%s", m->snd.why);
	ret = mig_get(m->g, m->o.domain, &mi);
	if (!ret)
		ret = uring_map(&m->ring, mi.ring_bytes);
	if (ret)
		return source_fail(m, -EIO, "cannot map the batch ring: %s",
				   strerror(-ret));
	m->snd.ring = &m->ring;
	m->snd.ctl = &m->ctl;
	m->snd.rk = &m->rk;
	m->snd.bandwidth = m->o.bandwidth;
	m->snd.timeout_ms = m->o.timeout_ms;
	m->snd.cancel = &source_cancelled;
	m->snd.postcopy_fd = -1;
	adapt_init(&m->ad, m->o.compress);
	oplock_status(m->lock_fd, "running: sending to %s", m->dest_str);
	return 0;
}

/*
 * The statistics so far, from the session's counters (zero once it is
 * gone, or before it started) and this process's own.
 */
static void summarize(struct migration *m, struct mig_summary *s)
{
	struct mig_summary sum = { 0 };
	struct mig_info mi;

	memset(&mi, 0, sizeof(mi));
	if (m->g && m->session)
		mig_get(m->g, m->o.domain, &mi);
	sum.domain = m->o.domain;
	sum.dest = m->dest_str;
	sum.total_ns = m->t_start ? now_ns() - m->t_start : 0;
	sum.suspend_ns = m->suspended ? (int64_t)(now_ns() - m->t_suspend) : -1;
	/* Post-copy: the guest ran on the target from POSTCOPY_RUNNING on. */
	if (m->postcopy_running)
		sum.suspend_ns = (int64_t)(m->t_running - m->t_suspend);
	sum.expected_suspend_ms = m->expected_suspend_ms;
	sum.dirty_rate = m->dirty_rate;
	sum.suspend_emulator_only = false;
	sum.rounds = m->rounds_done;
	sum.why_final = m->why_final;
	sum.pages_zero = mi.totals.v[LDM_A_STAT_PAGES_ZERO];
	sum.pages_skipped = mi.totals.v[LDM_A_STAT_PAGES_SKIPPED];
	sum.pages_lzjb = mi.totals.v[LDM_A_STAT_PAGES_LZJB];
	sum.pages_lz4 = mi.totals.v[LDM_A_STAT_PAGES_LZ4];
	sum.compress = adapt_codec_name(m->o.compress);
	sum.codec_switches = m->ad.switches;
	sum.pages_raw = mi.totals.v[LDM_A_STAT_PAGES_RAW];
	sum.bytes_in = mi.totals.v[LDM_A_STAT_BYTES_IN];
	sum.bytes_out = mi.totals.v[LDM_A_STAT_BYTES_OUT];
	sum.batches = mi.totals.v[LDM_A_STAT_BATCHES];
	sum.wire_bytes = m->snd.wire_bytes + m->ctl.bytes_in + m->ctl.bytes_out;
	sum.streams = m->o.streams;
	sum.verified = m->o.verify;
	sum.dirty_limit = mi.dirty_limit;
	sum.throttled = mi.throttled;
	sum.throttle_ns = mi.throttle_ns;
	sum.key_epochs = mi.key_epoch + 1;
	*s = sum;
}

/*
 * Committed: the domain is the target's now. The session ends, and the
 * source marks the domain migrated: its writes block for good, it can
 * only be destroyed. A paused emulator stays stopped. Then the summary.
 */
static void finish(struct migration *m)
{
	int ret;

	summarize(m, &m->sum);
	m->have_sum = true;
	m->paused = false;
	m->qmp_stopped = false;
	mig_stop(m->g, m->o.domain);
	m->session = false;
	ret = ldm_domain_set_state(m->g, m->o.domain, LDM_DOMAIN_STATE_MIGRATED);
	if (ret)
		progress_note(&m->pr, "cannot mark '%s' migrated: %s", m->o.domain,
			      ldm_genl_ext_ack(m->g) ? ldm_genl_ext_ack(m->g) :
			      strerror(-ret));
	m->suspended = false;
	oplock_status(m->lock_fd, "migrated to %s", m->dest_str);
	progress_summary(&m->pr, &m->sum);
	progress_note(&m->pr, "'%s' is marked migrated here%s: destroy it when its emulator is gone",
		      m->o.domain, m->o.pause_pid || m->qmp_up ?
		      " and its emulator stays stopped" : "");
}

static enum lastmig_result result_of(int err)
{
	switch (err) {
	case 0:
		return LASTMIG_SUCCEEDED;
	case ERR_CANCELLED:
		return LASTMIG_CANCELLED;
	case ERR_UNKNOWN:
		return LASTMIG_UNKNOWN_OUTCOME;
	default:
		return LASTMIG_FAILED;
	}
}

void source_keep_last(struct migration *m, int err)
{
	const struct mig_summary *s = &m->sum;
	struct lastmig l;
	int ret;

	if (m->o.dry_run || m->lock_fd < 0)
		return;
	if (!m->have_sum)
		summarize(m, &m->sum);
	lastmig_init(&l);
	l.result = result_of(err);
	if (err)
		snprintf(l.error, sizeof(l.error), "%.*s",
			 (int)sizeof(l.error) - 1, m->fail_msg[0] ?
			 m->fail_msg : strerror(-err));
	snprintf(l.dest, sizeof(l.dest), "%s", m->dest_str);
	l.end_time = (uint64_t)time(NULL);
	l.total_ms = s->total_ns / 1000000;
	if (s->suspend_ns >= 0)
		l.suspend_ms = (uint64_t)s->suspend_ns / 1000000;
	l.expected_suspend_ms = s->expected_suspend_ms;
	l.rounds = s->rounds;
	l.wire_bytes = s->wire_bytes;
	l.pages = s->pages_zero + s->pages_skipped + s->pages_lzjb +
		  s->pages_lz4 + s->pages_raw;
	l.dirty_rate = s->dirty_rate;
	l.dirty_limit = s->dirty_limit;
	l.throttled = s->throttled;
	l.throttle_ms = s->throttle_ns / 1000000;
	ret = lastmig_write(m->o.domain, &l);
	if (ret)
		progress_note(&m->pr, "cannot keep the statistics in %s: %s",
			      LDM_RUN_MIGRATE_DIR, strerror(-ret));
}

/* ms from @t0 to now */
static uint64_t ms_since(uint64_t t0)
{
	return (now_ns() - t0) / 1000000;
}

int source_run(struct migration *m)
{
	uint64_t t0 = now_ns(), local, tls, welcome, ready, streams;
	struct proto_welcome w;
	struct proto_ready rdy;
	int ret;

	ret = source_start(m);
	if (!ret && m->o.qmp)
		ret = source_qemu_setup(m);
	if (ret)
		return ret;

	local = ms_since(t0);
	m->t_start = now_ns();
	ret = source_connect(m);
	tls = ms_since(t0);
	if (!ret)
		ret = source_greet(m, &w);
	if (ret)
		return ret;
	welcome = ms_since(t0);
	if (m->o.dry_run) {
		progress_clear(&m->pr);
		if (!m->o.json)
			printf("dry run: '%s' (%" PRIu64 " bytes, %" PRIu64
			       " pages resident) can migrate to %s; nothing was changed\n",
			       m->o.domain, m->info.size, m->info.resident,
			       m->dest_str);
		progress_event(&m->pr, "dry_run_ok", NULL);
		oplock_status(m->lock_fd, "dry run passed");
		return 0;
	}
	ret = source_derive_keys(m);
	if (!ret)
		ret = source_expect(m, PROTO_MSG_READY, "the target domain");
	if (ret)
		return ret;
	if (proto_get_ready(m->ctl.payload, m->ctl.len, &rdy))
		return source_fail(m, -EPROTO, "malformed READY from the target");
	m->data_port = rdy.data_port;
	ready = ms_since(t0);
	ret = source_open_streams(m, rdy.data_port);
	streams = ms_since(t0);
	if (!ret)
		ret = start_session(m);
	if (ret)
		return ret;
	/* Where the set-up went, for -j readers (milliseconds from the start). */
	progress_event(&m->pr, "setup", "local_ms", local,
		       "connect_ms", (m->t_connected - t0) / 1000000, "tls_ms", tls,
		       "welcome_ms", welcome, "ready_ms", ready,
		       "streams_ms", streams, "session_ms", ms_since(t0), NULL);
	ret = source_rounds(m);
	if (ret)
		return ret;
	ret = source_commit(m);
	if (ret)
		return ret;
	finish(m);
	return 0;
}
