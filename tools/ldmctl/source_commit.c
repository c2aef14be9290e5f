// SPDX-License-Identifier: GPL-2.0
/*
 * The end of the source's conversation (source.h): the device state and
 * COMMIT behind the final round, the round's acknowledgement, with
 * --verify the page checksums compared, and the target's answer. Once
 * COMMIT is sent the target alone decides; an answer lost on the way
 * leaves the outcome unknown, and the domain suspended here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "oplock.h"
#include "pagesum.h"
#include "net.h"
#include "source.h"

/*
 * After COMMIT a cancel is said to be ignored as soon as it is seen,
 * wherever it came in, so that whoever sent it knows at once.
 */
static void cancel_ignored(struct migration *m, bool *ignored)
{
	if (source_cancelled && !*ignored && !m->cancel_refused) {
		progress_note(&m->pr, "cancel ignored: %s decides now",
			      m->dest_str);
		*ignored = true;
	}
	source_postcopy_cancel(m);
}

/* --verify: the target's checksums against ours, page by page. */
static int verify(struct migration *m, bool *ignored)
{
	size_t psz = m->info.page_size, n = m->info.size / psz;
	struct proto_verify v = { .ok = 1, .first_bad = UINT64_MAX };
	struct proto_sums *s;
	uint64_t *mine, next = 0;
	struct pbuf b;
	uint32_t i;
	int ret;

	ret = pagesum_domain(m->o.domain, m->info.size, psz, &mine);
	if (ret)
		return source_fail(m, -EIO, "--verify: cannot read '%s': %s",
				   m->o.domain, strerror(-ret));
	s = malloc(sizeof(*s));
	if (!s) {
		free(mine);
		return source_fail(m, -ENOMEM, "out of memory");
	}
	while (next < n) {
		/*
		 * No cancel: COMMIT is out. One ends the wait only to be said
		 * ignored at once (the target may be busy with its QEMU
		 * meanwhile), and the wait goes on. The target keeps nothing
		 * before our VERIFY, so a failure here leaves the source intact.
		 */
		ret = ctl_expect(&m->ctl, PROTO_MSG_SUMS, m->o.timeout_ms,
				 *ignored ? NULL : &source_cancelled,
				 sender_aside, &m->snd);
		if (ret == -ECANCELED) {
			cancel_ignored(m, ignored);
			continue;
		}
		if (ret == -ECONNABORTED) {
			ret = source_target_aborted(m);
			goto out;
		}
		if (ret) {
			ret = source_fail(m, -EIO,
					  "--verify: no checksums from the target (%s); the source domain is intact",
					  ret == -EBADMSG ? "a wrong message" : m->ctl.why);
			goto out;
		}
		if (proto_get_sums(m->ctl.payload, m->ctl.len, s) ||
		    s->first != next || s->first + s->count > n) {
			ret = source_fail(m, -EPROTO,
					  "malformed checksums from the target");
			goto out;
		}
		for (i = 0; i < s->count; i++) {
			if (v.ok && s->sums[i] != mine[next + i]) {
				v.ok = 0;
				v.first_bad = next + i;
			}
		}
		next += s->count;
	}
	pbuf_init(&b);
	ret = source_send(m, &b, proto_put_verify(&b, &v));
	pbuf_free(&b);
	if (ret) {
		ret = source_fail(m, -EIO, "lost the target during --verify: %s",
				  m->ctl.why);
		goto out;
	}
	if (!v.ok)
		ret = source_fail(m, -EIO,
				  "--verify: page %llu differs between source and target; the target discards its copy",
				  (unsigned long long)v.first_bad);
out:
	free(s);
	free(mine);
	return ret;
}

/*
 * Once COMMIT is out the target alone decides, and the source must not
 * run the domain again unless the target says it refused. The next
 * message from the target, in m->ctl: 0; or the failure, reported.
 * There is no cancel (nor can there be: only the target knows whether it
 * committed); a signal meanwhile is noted and ignored, the answer awaited
 * for --timeout, as it says.
 */
static int answer(struct migration *m, bool *ignored)
{
	int ret;

	/* A cancel may have come in anywhere since COMMIT (--verify's pass). */
	cancel_ignored(m, ignored);
	do {
		/*
		 * Post-copy: the target's faults may still ask for pages
		 * already on their way (PAGE_REQ); they need no answer.
		 */
		ctl_next(&m->ctl);
		ret = ctl_recv(&m->ctl, m->o.timeout_ms);
		while (ret == -EINTR) {	/* too late to cancel: the target decides */
			cancel_ignored(m, ignored);
			ret = ctl_recv(&m->ctl, m->o.timeout_ms);
		}
	} while (ret >= 0 && m->ctl.type == PROTO_MSG_PAGE_REQ &&
		 sender_aside(&m->ctl, &m->snd));
	cancel_ignored(m, ignored);
	if (ret < 0) {
		/*
		 * The target may have committed and its answer been lost: the
		 * domain must not run in two places, so say so and stop.
		 */
		m->outcome_unknown = true;
		return source_fail(m, ERR_UNKNOWN,
				   "outcome unknown: lost the target after asking it to commit (%s); check '%s' on %s before resuming the source",
				   m->ctl.why, m->target, m->o.dest.host);
	}
	if (m->ctl.type == PROTO_MSG_ABORT) {
		struct proto_abort ab;

		if (proto_get_abort(m->ctl.payload, m->ctl.len, &ab))
			snprintf(ab.reason, sizeof(ab.reason), "malformed ABORT");
		m->ctl_up = false;
		return source_fail(m, -ECONNABORTED,
				   "the target refused to commit: %s; the source domain is intact",
				   ab.reason);
	}
	return 0;
}

/* The target's acknowledgement of the final round, behind the COMMIT. */
static int final_acked(struct migration *m, bool *ignored)
{
	struct proto_round_ack ack;
	int ret = answer(m, ignored);

	if (ret)
		return ret;
	if (m->ctl.type != PROTO_MSG_ROUND_ACK ||
	    proto_get_round_ack(m->ctl.payload, m->ctl.len, &ack) ||
	    ack.round != m->round || ack.batches != m->final_batches) {
		m->outcome_unknown = true;
		return source_fail(m, ERR_UNKNOWN,
				   "outcome unknown: the target answered the final round %u (%llu batches) with a wrong or malformed %s; check '%s' on %s before resuming the source",
				   m->round, (unsigned long long)m->final_batches,
				   proto_msg_name(m->ctl.type), m->target,
				   m->o.dest.host);
	}
	m->final_unacked = false;
	return 0;
}

/*
 * The final round went out, its acknowledgement not awaited: the device
 * state and the COMMIT follow it at once. The target takes them in order
 * behind the round (it reads no further until it has applied the round),
 * so the suspension pays one round trip for all three.
 */
int source_commit(struct migration *m)
{
	struct proto_commit c = {
		.rounds = m->rounds_done,
		.batches = m->batches_total,
		.verify = m->o.verify,
	};
	bool ignored = false;
	struct pbuf b;
	int ret;

	if (m->qmp_up) {
		ret = source_devstate_collect(m);
		if (!ret)
			ret = source_devstate_send(m);
		if (ret)
			return ret;
	}
	if (source_cancelled && !m->postcopy_running)
		return source_fail(m, ERR_CANCELLED,
				   "cancelled before commit; the source domain is intact");
	pbuf_init(&b);
	ret = source_send(m, &b, proto_put_commit(&b, &c));
	pbuf_free(&b);
	if (ret && m->postcopy_running)
		return source_postcopy_failed(m, m->ctl.why);
	if (ret)
		return source_fail(m, -EIO, "lost the target before commit: %s",
				   m->ctl.why);
	/*
	 * Said here so that an operator's cancel-operation, and a script's
	 * -j reader, see where the point of no return was.
	 */
	oplock_status(m->lock_fd, "running: committing on %s", m->dest_str);
	progress_event(&m->pr, "commit", NULL);
	progress_note(&m->pr, "asked %s to commit: too late to cancel", m->dest_str);
	if (m->final_unacked) {
		ret = final_acked(m, &ignored);
		if (ret)
			return ret;
	}
	if (m->o.verify) {
		ret = verify(m, &ignored);
		if (ret)
			return ret;
	}
	ret = answer(m, &ignored);
	if (ret)
		return ret;
	if (m->ctl.type != PROTO_MSG_COMMITTED ||
	    proto_get_empty(m->ctl.payload, m->ctl.len)) {
		m->outcome_unknown = true;
		return source_fail(m, ERR_UNKNOWN,
				   "outcome unknown: the target answered the commit with %s",
				   proto_msg_name(m->ctl.type));
	}
	return 0;
}
