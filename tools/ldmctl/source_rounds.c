// SPDX-License-Identifier: GPL-2.0
/*
 * The source's rounds (source.h): pre-copy rounds while the domain runs,
 * each harvested by the module and sent by send.c, until the convergence
 * forecast (converge.c) says the rest fits the downtime limit; then the
 * suspension of the domain (and of its emulator) and the final round.
 * Each pre-copy round ends when the target acknowledges having applied it
 * all; the final round's acknowledgement comes behind the COMMIT.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "oplock.h"
#include "source.h"
#include "status.h"

/*
 * Suspension (Documentation/ldm.rst): the domain is suspended in the module
 * (LDM_CMD_DOMAIN_SET_STATE), so every write that faults from then on
 * waits in page_mkwrite; the final round's harvest re-arms every page, so
 * from its end no write reaches guest RAM. With --pause-pid the emulator
 * process is also stopped (SIGSTOP), as QMP "stop" stops QEMU, so that it
 * does not sit blocked in a fault. The suspension time is measured from
 * here to the commit.
 */
static int suspend(struct migration *m)
{
	int err;

	/* QEMU first: a vCPU blocked in a suspended page could not stop. */
	if (m->qmp_up && m->qmp_was_running) {
		err = qmp_exec(&m->qmp, "stop", NULL, -1, m->o.timeout_ms, NULL);
		if (err) {
			progress_note(&m->pr, "cannot stop QEMU: %s", m->qmp.why);
			return err;
		}
		m->qmp_stopped = true;
	}
	if (m->o.pause_pid) {
		if (kill(m->o.pause_pid, SIGSTOP))
			return -errno;
		m->paused = true;
	}
	err = ldm_domain_set_state(m->g, m->o.domain, LDM_DOMAIN_STATE_SUSPENDED);
	if (err) {
		progress_note(&m->pr, "cannot suspend: %s",
			      ldm_genl_ext_ack(m->g) ? ldm_genl_ext_ack(m->g) :
			      strerror(-err));
		return err;
	}
	m->t_suspend = now_ns();
	m->suspended = true;
	progress_event(&m->pr, "suspended", NULL);
	return 0;
}

/*
 * Undo the suspension: the source runs on (any failure before the
 * commit, from source_teardown()). Not when the outcome is unknown: then
 * the domain may be running on the target, and it must never run in two
 * places.
 */
void source_unsuspend(struct migration *m)
{
	if (m->suspended && !m->outcome_unknown) {
		int err = ldm_domain_set_state(m->g, m->o.domain,
					       LDM_DOMAIN_STATE_ACTIVE);

		if (err)
			progress_note(&m->pr, "cannot resume '%s': %s",
				      m->o.domain, ldm_genl_ext_ack(m->g) ?
				      ldm_genl_ext_ack(m->g) : strerror(-err));
		else
			progress_note(&m->pr, "'%s' resumed on the source",
				      m->o.domain);
		m->suspended = false;
	}
	if (m->paused && !m->outcome_unknown &&
	    kill(m->o.pause_pid, SIGCONT) == 0)
		progress_note(&m->pr, "emulator (pid %ld) resumed",
			      (long)m->o.pause_pid);
	if (m->qmp_up && m->qmp_migrating &&
	    qmp_exec(&m->qmp, "migrate_cancel", NULL, -1, 5000, NULL))
		progress_note(&m->pr, "QEMU: %s", m->qmp.why);
	m->qmp_migrating = false;
	if (m->qmp_up && m->qmp_stopped && !m->outcome_unknown) {
		if (qmp_exec(&m->qmp, "cont", NULL, -1, 5000, NULL))
			progress_note(&m->pr, "cannot resume QEMU: %s", m->qmp.why);
		else
			progress_note(&m->pr, "QEMU resumed on the source");
		m->qmp_stopped = false;
	}
	if (m->outcome_unknown && m->suspended)
		progress_note(&m->pr, "'%s' stays suspended on the source until you know where it runs (ldmctl list)",
			      m->o.domain);
	m->paused = false;
}

/*
 * A change 'ldmctl migrate-set' left for this migration (oplock.h): each
 * line "downtime-limit=MS" or "bandwidth=BYTES/S", as migrate-set wrote
 * them. Taken while a round runs and between rounds; the bandwidth holds
 * from the next batch sent, the downtime limit from the next decision.
 * A request that does not parse changes nothing, and says so.
 */
static void take_changes(struct migration *m)
{
	uint64_t downtime = m->o.downtime_ms, bw = m->o.bandwidth;
	char text[256];
	int ret;

	ret = oplock_request_take(m->o.domain, text, sizeof(text));
	if (ret == -ENOENT)
		return;
	if (ret) {
		progress_note(&m->pr, "migrate-set: request not taken: %s",
			      ret == -EPERM ? "not written by this user alone" :
			      strerror(-ret));
		return;
	}
	if (oplock_request_parse(text, &downtime, &bw)) {
		progress_note(&m->pr, "migrate-set: a request that does not parse was ignored");
		return;
	}
	m->o.downtime_ms = downtime;
	m->o.bandwidth = bw;
	if (m->snd.bandwidth != bw)
		m->snd.bucket_ns = 0;	/* the bucket starts full again */
	m->snd.bandwidth = bw;
	progress_event(&m->pr, "set", "round", (uint64_t)m->round,
		       "downtime_limit_ms", downtime, "bandwidth", bw, NULL);
	if (bw)
		progress_note(&m->pr, "migrate-set: downtime limit %llu ms, bandwidth %llu bytes/s",
			      (unsigned long long)downtime,
			      (unsigned long long)bw);
	else
		progress_note(&m->pr, "migrate-set: downtime limit %llu ms, bandwidth unlimited",
			      (unsigned long long)downtime);
}

/* Every SEND_TICK_MS of a round: the codec, the progress line, the status. */
static void tick(void *arg)
{
	struct migration *m = arg;
	struct progress_state ps = { .round = m->round, .final = m->final };
	struct ldm_domain_info di;
	struct mig_info mi;
	uint64_t done_round = 0, left, wire, dt;
	int64_t now = now_ms();
	uint32_t codec;
	double pps, fill;

	take_changes(m);
	source_postcopy_cancel(m);
	if (mig_get(m->g, m->o.domain, &mi))
		return;
	done_round = mig_stats_pages(&mi.totals) - m->round_base;
	if (done_round > m->round_pages)
		done_round = m->round_pages;
	fill = (double)(uring_load(&m->ring.hdr->prod) - m->snd.cons) /
	       (double)m->ring.nslots;
	codec = adapt_tick(&m->ad, now_ns(), mi.totals.v[LDM_A_STAT_BYTES_IN],
			   mi.totals.v[LDM_A_STAT_BYTES_OUT], fill,
			   done_round < m->round_pages);
	if (codec && mig_set_codec(m->g, m->o.domain, codec) == -EOPNOTSUPP)
		codec = adapt_unavailable(&m->ad, codec, now_ns());
	if (codec)
		progress_event(&m->pr, "codec", "round", (uint64_t)m->round,
			       "codec", (uint64_t)codec,
			       "lzjb_kBps", (uint64_t)(m->ad.rate[LDM_CODEC_LZJB] / 1e3),
			       "lz4_kBps", (uint64_t)(m->ad.rate[LDM_CODEC_LZ4] / 1e3),
			       "none_kBps", (uint64_t)(m->ad.rate[LDM_CODEC_NONE] / 1e3),
			       "ring_fill_pct", (uint64_t)(fill * 100),
			       NULL);
	left = m->round_pages - done_round;
	if (!m->final && !ldm_domain_get(m->g, m->o.domain, &di))
		left += di.dirty;
	ps.pages_left = left;
	ps.percent = conv_percent(m->pages_done + done_round, left);
	wire = m->snd.wire_bytes;
	dt = m->last_tick_ms ? (uint64_t)(now - m->last_tick_ms) : 0;
	ps.mbps = dt ? (double)(wire - m->last_wire) / 1e3 / (double)dt : 0;
	m->last_wire = wire;
	m->last_tick_ms = now;
	pps = conv_rate(done_round, now_ns() - m->t_start);
	ps.eta_ms = conv_final_ms(left, pps);
	ps.codec = adapt_codec_name(m->ad.current);
	if (m->have_fc) {
		ps.fc_rounds = m->fc.rounds;
		ps.fc_downtime_ms = m->fc.downtime_ms;
	}
	ps.has_dirty_rate = m->dirty_rate != UINT64_MAX;
	ps.dirty_rate = m->dirty_rate;
	ps.dirty_limit = mi.dirty_limit;
	ps.throttled = mi.throttled;
	progress_update(&m->pr, &ps);
	/* What 'ldmctl list -o status' shows, from this process's figures. */
	if (m->lock_fd >= 0)
		status_publish(m->lock_fd, m->dest_str, &ps);
}

/* One round: harvest, send, then wait for the target to apply it all. */
static int run_round(struct migration *m, bool resend, uint64_t *pages,
		     uint64_t *ns)
{
	struct proto_round_done rd = { 0 };
	struct proto_round_ack ack;
	struct round_result res;
	struct mig_info mi;
	uint64_t t0 = now_ns();
	struct pbuf b;
	uint32_t codec, flags;
	int ret;

	if (m->final && !m->suspended) {
		ret = suspend(m);
		if (ret && m->qmp_was_running && !m->qmp_stopped)
			return source_fail(m, -EIO,
					   "cannot stop QEMU (%s): %s; the source domain is intact",
					   m->o.qmp, m->qmp.why);
		if (ret && m->o.pause_pid && !m->paused)
			return source_fail(m, -EIO,
					   "cannot stop the emulator (pid %ld): %s",
					   (long)m->o.pause_pid, strerror(-ret));
		if (ret)
			return source_fail(m, -EIO,
					   "cannot suspend '%s': %s; the source domain is intact",
					   m->o.domain, strerror(-ret));
	}
	if (!mig_get(m->g, m->o.domain, &mi))
		m->round_base = mig_stats_pages(&mi.totals);
	codec = adapt_round_codec(&m->ad);
	flags = (resend ? LDM_ROUND_F_RESEND : 0) |
		(m->final && m->o.postcopy ? LDM_ROUND_F_POSTCOPY : 0);
	ret = mig_round(m->g, m->o.domain, codec, flags, &m->round,
			&m->round_pages);
	if (ret == -EOPNOTSUPP && !m->o.compress) {
		/* No LZ4 in this kernel: auto does without it. */
		codec = adapt_unavailable(&m->ad, codec, now_ns());
		ret = mig_round(m->g, m->o.domain, codec, flags, &m->round,
				&m->round_pages);
	}
	if (ret)
		return source_module_error(m, ret);
	if (flags & LDM_ROUND_F_POSTCOPY) {
		ret = source_postcopy_begin(m);
		if (ret)
			return ret;
	}
	/*
	 * The module's workers fill the ring from now on; QEMU writes its
	 * device state meanwhile, on its own thread: neither waits for the
	 * other inside the suspension.
	 */
	if (m->final && m->qmp_up && m->devstate_fd < 0 && !m->devstate) {
		ret = source_devstate_start(m);
		if (ret)
			return ret;
	}
	progress_event(&m->pr, "round", "round", (uint64_t)m->round,
		       "pages", m->round_pages, "final", (uint64_t)m->final,
		       "codec", (uint64_t)codec, NULL);
	ret = sender_round(&m->snd, m->round, tick, m, &res);
	if (ret && m->postcopy_running)
		return source_postcopy_failed(m, m->snd.why);
	if (ret == -ECANCELED)
		return source_fail(m, ERR_CANCELLED,
				   "cancelled in round %u; the source domain is intact",
				   m->round);
	if (ret == -ECONNABORTED) {
		m->ctl_up = false;
		return source_fail(m, -ECONNABORTED,
				   "the target aborted in round %u: %s (%s); the source domain is intact",
				   m->round, m->snd.why, proto_code_name(m->snd.abort_code));
	}
	if (ret == -EIO) {
		mig_get(m->g, m->o.domain, &mi);
		return source_fail(m, -EIO,
				   "the module failed the sending session: %s; the source domain is intact",
				   mi.errmsg[0] ? mi.errmsg : "unknown error");
	}
	if (ret && ret != -EPROTO && m->o.reconnect_s && !m->final) {
		snprintf(m->lost_why, sizeof(m->lost_why), "%s", m->snd.why);
		return SOURCE_LOST;
	}
	if (ret)
		return source_fail(m, -EIO,
				   "round %u failed: %s; the source domain is intact",
				   m->round, m->snd.why);

	rd.round = m->round;
	rd.final = m->final;
	rd.batches = res.batches;
	rd.pages = res.records;
	rd.bytes = res.bytes;
	pbuf_init(&b);
	ret = source_send(m, &b, proto_put_round_done(&b, &rd));
	pbuf_free(&b);
	if (ret && m->o.reconnect_s && !m->final) {
		snprintf(m->lost_why, sizeof(m->lost_why), "%s", m->ctl.why);
		return SOURCE_LOST;
	}
	if (ret && m->postcopy_running)
		return source_postcopy_failed(m, m->ctl.why);
	if (ret)
		return source_fail(m, -EIO, "lost the target after round %u: %s",
				   m->round, m->ctl.why);
	if (m->final) {
		/*
		 * The device state and the COMMIT follow at once; the
		 * acknowledgement is awaited behind them (source_commit.c),
		 * which saves the suspension a round trip.
		 */
		m->final_unacked = true;
		m->final_batches = res.batches;
	} else {
		progress_event(&m->pr, "round_sent", "round", (uint64_t)m->round,
			       "batches", res.batches, NULL);
		m->may_resume = !!m->o.reconnect_s;
		ret = source_expect(m, PROTO_MSG_ROUND_ACK,
				    "the target's acknowledgement");
		m->may_resume = false;
		if (ret)
			return ret;
		if (proto_get_round_ack(m->ctl.payload, m->ctl.len, &ack) ||
		    ack.round != m->round || ack.batches != res.batches)
			return source_fail(m, -EIO,
					   "the target acknowledged round %u with %llu batches, %llu were sent",
					   ack.round, (unsigned long long)ack.batches,
					   (unsigned long long)res.batches);
	}
	m->batches_total += res.batches;
	m->last_batches = res.batches;
	m->rounds_done++;
	m->pages_done += m->round_pages;
	*pages = m->round_pages;
	*ns = now_ns() - t0;
	return 0;
}

/*
 * --no-force: the forecast says the final round would not fit the
 * downtime limit; stop now, before the domain is suspended.
 */
static int refuse_downtime(struct migration *m, const struct conv_round *r)
{
	char down[32];

	if (m->fc.downtime_ms == UINT64_MAX)
		snprintf(down, sizeof(down), "an unknown time");
	else
		snprintf(down, sizeof(down), "%" PRIu64 " ms", m->fc.downtime_ms);
	return source_fail(m, ERR_REFUSED,
			   "--no-force: cannot meet --downtime-limit %" PRIu64
			   " ms: after round %u the forecast is %s of downtime after %u rounds (%s; the guest dirties %.0f pages/s, %.0f pages/s are sent); the source domain is intact and was never suspended",
			   m->o.downtime_ms, r->round, down, m->fc.rounds,
			   conv_decision_name(m->fc.why), conv_rate(r->dirty, r->ns),
			   conv_rate(r->pages, r->ns));
}

/*
 * --dirty-limit auto, after a round whose forecast misses the downtime
 * limit: let the guest dirty at most half of what was sent a second (or
 * half of what it dirtied, if that is less), so that each round leaves at
 * most half of the one before. Only ever tightened, never below a page a
 * second; the session's end lifts it. Return: true if it was tightened
 * (the next round gets its chance to converge under it).
 */
static bool auto_throttle(struct migration *m, const struct conv_round *r)
{
	double sent = conv_rate(r->pages, r->ns);
	double dirtied = conv_rate(r->dirty, r->ns);
	double want = (sent < dirtied ? sent : dirtied) / 2;
	uint32_t limit = want < 1 ? 1 : want > DIRTY_LIMIT_MAX ?
			 DIRTY_LIMIT_MAX : (uint32_t)want;
	int ret;

	if (!m->o.dirty_auto || m->fc.fits || r->dirty == UINT64_MAX ||
	    (m->auto_limit && limit >= m->auto_limit))
		return false;
	ret = mig_set_dirty_limit(m->g, m->o.domain, limit);
	if (ret) {
		progress_note(&m->pr, "cannot set the dirty limit: %s",
			      ldm_genl_ext_ack(m->g) ? ldm_genl_ext_ack(m->g) :
			      strerror(-ret));
		return false;
	}
	m->auto_limit = limit;
	progress_event(&m->pr, "throttle", "round", (uint64_t)m->round,
		       "dirty_limit", (uint64_t)limit,
		       "dirty_rate", (uint64_t)dirtied,
		       "send_rate", (uint64_t)sent, NULL);
	return true;
}

/*
 * After pre-copy round @cr: the guest's dirty rate as the forecast
 * measures it, the forecast, and their events.
 */
static void measure(struct migration *m, const struct conv_params *cp,
		    const struct conv_round *cr)
{
	double dirtied = conv_rate(cr->dirty, cr->ns);
	uint64_t rate = cr->dirty == UINT64_MAX ? 0 :
			(uint64_t)(dirtied + 0.5);

	if (cr->dirty != UINT64_MAX)
		m->dirty_rate = rate;
	conv_forecast(cp, cr, &m->fc);
	m->have_fc = true;
	progress_event(&m->pr, "round_done", "round", (uint64_t)m->round,
		       "pages", cr->pages, "ms", cr->ns / 1000000,
		       "dirty", cr->dirty, NULL);
	progress_event(&m->pr, "forecast", "round", (uint64_t)m->round,
		       "rounds", (uint64_t)m->fc.rounds,
		       "downtime_ms", m->fc.downtime_ms == UINT64_MAX ?
		       (uint64_t)0 : m->fc.downtime_ms,
		       "fits", (uint64_t)m->fc.fits,
		       "dirty_rate", rate,
		       "send_rate", (uint64_t)(conv_rate(cr->pages, cr->ns) + 0.5),
		       NULL);
}

/*
 * The rounds, until the final one is acknowledged. A round cut by a lost
 * connection, or a silent target, is resumed (--reconnect) and its rest
 * sent again: while it streams, while its acknowledgement is awaited
 * (run_round()), and while the target QEMU is (source_qemu_wait_target()).
 * The final round is not: a loss there fails, or leaves the outcome
 * unknown (source_commit.c).
 */
int source_rounds(struct migration *m)
{
	struct conv_params cp = {
		.downtime_ms = m->o.downtime_ms,
		.max_rounds = m->o.max_rounds,
	};
	enum conv_decision d;
	bool resend = false, tightened;
	int ret;

	for (;;) {
		struct conv_round cr;
		struct ldm_domain_info di;
		uint64_t pages = 0, ns = 0;

		ret = run_round(m, resend, &pages, &ns);
		if (ret == SOURCE_LOST) {
			ret = source_reconnect(m);
			if (ret)
				return ret;
			resend = true;
			continue;
		}
		resend = false;
		if (ret)
			return ret;
		if (m->final)
			break;
		take_changes(m);
		cp.downtime_ms = m->o.downtime_ms;
		cr.round = m->round;
		cr.pages = pages;
		cr.ns = ns;
		cr.dirty = ldm_domain_get(m->g, m->o.domain, &di) ? UINT64_MAX :
			   di.dirty;
		d = conv_decide(&cp, &cr);
		measure(m, &cp, &cr);
		tightened = auto_throttle(m, &cr);
		if (m->o.no_force && !m->fc.fits && !tightened)
			return refuse_downtime(m, &cr);
		/* A tighter limit gets a round to act before forcing. */
		if (d != CONV_CONTINUE && !(tightened && d == CONV_DIRTY_WINS)) {
			m->final = true;
			m->why_final = conv_decision_name(d);
			/* What the suspension is expected to last. */
			m->expected_suspend_ms = m->fc.downtime_ms;
		}
		if (m->final && m->qmp_up && !m->snd.target_qemu_ready) {
			ret = source_qemu_wait_target(m);
			if (ret == SOURCE_LOST) {
				/*
				 * Lost between rounds: the target resumes from
				 * the round just acknowledged, as from a cut
				 * one (its pages count as the cut round's, and
				 * those it has are not sent again); pre-copy
				 * goes on, and the wait comes again.
				 */
				m->final = false;
				m->batches_total -= m->last_batches;
				m->rounds_done--;
				ret = source_reconnect(m);
				if (ret)
					return ret;
				resend = true;
				continue;
			}
			if (ret)
				return ret;
			/*
			 * What the guest wrote while we waited goes in one
			 * more pre-copy round, not in the downtime; unless
			 * --max-rounds says no more.
			 */
			if (d != CONV_MAX_ROUNDS)
				m->final = false;
		}
	}
	progress_event(&m->pr, "round_done", "round", (uint64_t)m->round,
		       "final", (uint64_t)1, NULL);
	return 0;
}
