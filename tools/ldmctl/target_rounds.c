// SPDX-License-Identifier: GPL-2.0
/*
 * The target's rounds (target.h): the batches come in on the data streams
 * and go to the module through recv.c, while the control connection
 * announces each round's end (ROUND_DONE); a round is acknowledged once
 * the module has applied every batch of it. A resumable migration whose
 * source is lost waits for it here (target_resume.c); meanwhile, with
 * --qmp-dir, the target QEMU is looked for (target_qemu.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "net.h"
#include "target.h"

/* A failure the source may come back from: the connection, not the data. */
static bool connection_lost(int err)
{
	return err == -EPIPE || err == -ECONNRESET || err == -ETIMEDOUT ||
	       err == -ENOTCONN || err == -EHOSTUNREACH || err == -ENETUNREACH;
}

/* Round @round is whole when every batch is in and the module took them. */
static int round_complete(struct incoming *in, uint32_t round, bool *done)
{
	struct proto_round_ack ack = { .round = round };
	const struct mig_stats *rs;
	struct mig_info mi;
	struct pbuf b;
	int err;

	*done = false;
	if (in->rx.got[round] < in->expected[round] || !receiver_drained(&in->rx))
		return 0;
	if (in->rx.got[round] > in->expected[round]) {
		target_abort(in, PROTO_E_DATA,
			     "round %u: %" PRIu64 " batches arrived, %" PRIu64 " announced",
			     round, in->rx.got[round], in->expected[round]);
		return -EBADMSG;
	}
	err = mig_get(in->g, in->hello.target, &mi);
	if (err) {
		target_abort(in, PROTO_E_TARGET, "cannot read the session: %s",
			     strerror(-err));
		return err;
	}
	if (mi.state != LDM_MIG_STATE_RECEIVING) {
		target_abort(in, PROTO_E_DATA, "the target's module refused a batch: %s",
			     mi.errmsg[0] ? mi.errmsg : "session ended");
		return -EIO;
	}
	rs = mig_round_stats(&mi, round);
	/* The round-end batch, authenticated, says how many there were. */
	if (!rs || rs->v[LDM_A_STAT_BATCHES] != in->expected[round] ||
	    rs->v[LDM_A_STAT_ROUND_BATCHES] != in->expected[round]) {
		target_abort(in, PROTO_E_DATA,
			     "round %u: the module applied %" PRIu64 " batches of %" PRIu64
			     " announced by the round end, the source sent %" PRIu64,
			     round, rs ? rs->v[LDM_A_STAT_BATCHES] : 0,
			     rs ? rs->v[LDM_A_STAT_ROUND_BATCHES] : 0,
			     in->expected[round]);
		return -EBADMSG;
	}
	ack.batches = rs->v[LDM_A_STAT_BATCHES];
	ack.pages = rs->v[LDM_A_STAT_PAGES_ZERO] + rs->v[LDM_A_STAT_PAGES_LZJB] +
		    rs->v[LDM_A_STAT_PAGES_RAW];
	pbuf_init(&b);
	err = target_send(in, &b, proto_put_round_ack(&b, &ack));
	pbuf_free(&b);
	if (err)
		return err;
	*done = true;
	return 0;
}

/*
 * How long one step may wait for the streams, the ring or the control
 * connection. Once every batch of the pending round is in, what is left
 * is the module's workers applying the last ones, and nothing we poll
 * says when they are done (the ring wakes a receiver only when it was
 * full): look every millisecond then, not every 100, since the round's
 * acknowledgement, and for the final round the suspension, waits on it.
 */
static int step_ms(const struct incoming *in, int64_t pending)
{
	if (pending >= 0 && in->rx.got[pending] >= in->expected[pending])
		return 1;
	return 100;
}

/*
 * The source is gone and may come back: wait for it (target_resume.c).
 * Then no round is pending (the source announces the cut one again), and
 * the control connection is a new one.
 */
static int resume(struct incoming *in, const char *why, int64_t *pending)
{
	int err = target_resume_wait(in, why);

	if (!err) {
		*pending = -1;
		ctl_next(&in->ctl);
	}
	return err;
}

int target_rounds(struct incoming *in)
{
	int64_t pending = -1;	/* the round announced, not yet acked */
	struct proto_round_done rd;
	bool ctl_ready, done, hold;
	int err;

	ctl_next(&in->ctl);	/* HELLO was dealt with */
	for (;;) {
		if (serve_stopping) {
			target_abort(in, PROTO_E_TARGET, "the target is shutting down");
			return -EINTR;
		}
		/*
		 * Behind the final ROUND_DONE the source sends its device
		 * state and COMMIT without waiting for our acknowledgement:
		 * they stay unread (target_commit() takes them) until the
		 * round is applied and acknowledged.
		 */
		hold = in->final_acked && pending >= 0;
		err = receiver_step(&in->rx, hold ? -1 : in->ctl.fd,
				    step_ms(in, pending), &ctl_ready);
		if (err == -EIO) {
			struct mig_info mi;

			mig_get(in->g, in->hello.target, &mi);
			target_abort(in, PROTO_E_DATA,
				     "the target's module refused a batch: %s",
				     mi.errmsg[0] ? mi.errmsg : "session failed");
			return err;
		}
		if (err && in->resumable && !in->final_acked &&
		    connection_lost(err)) {
			err = resume(in, in->rx.why, &pending);
			if (err)
				return err;
			continue;
		}
		if (err) {
			target_abort(in, PROTO_E_DATA, "%s", in->rx.why);
			return err;
		}
		if (!hold && (ctl_ready || ctl_pending(&in->ctl))) {
			err = ctl_pump(&in->ctl);
			if (err < 0 && in->resumable && !in->final_acked) {
				err = resume(in, in->ctl.why, &pending);
				if (err)
					return err;
				continue;
			}
			if (err < 0) {
				serve_log(in->peer, "lost the source: %s", in->ctl.why);
				in->ctl_up = false;
				return err;
			}
			in->rx.last_data_ms = now_ms();
		}
		if (!hold && in->ctl.ready) {
			switch (in->ctl.type) {
			case PROTO_MSG_ROUND_DONE:
				if (proto_get_round_done(in->ctl.payload,
							 in->ctl.len, &rd) ||
				    pending >= 0 || rd.round != in->rounds_acked) {
					target_abort(in, PROTO_E_REQUEST,
						     "unexpected or malformed ROUND_DONE");
					return -EPROTO;
				}
				in->expected[rd.round] = rd.batches;
				pending = rd.round;
				if (rd.final)
					in->final_acked = true;	/* once acked */
				break;
			case PROTO_MSG_ABORT:
				return target_source_aborted(in);
			case PROTO_MSG_PING:
				break;
			case PROTO_MSG_POSTCOPY:
				err = target_postcopy_chunk(in);
				if (err)
					return err;
				break;
			default:
				target_abort(in, PROTO_E_REQUEST,
					     "unexpected %s during the rounds",
					     proto_msg_name(in->ctl.type));
				return -EPROTO;
			}
			ctl_next(&in->ctl);
		}
		err = target_qemu_poll(in);
		if (!err)
			err = target_postcopy_requests(in);
		if (err)
			return err;
		if (pending >= 0) {
			err = round_complete(in, (uint32_t)pending, &done);
			if (err)
				return err;
			if (done) {
				in->rounds_acked++;
				pending = -1;
				if (in->final_acked)
					return 0;
			}
		}
		if (now_ms() - in->rx.last_data_ms > in->o->timeout_ms &&
		    in->resumable && !in->final_acked) {
			err = resume(in, "no data for the timeout", &pending);
			if (err)
				return err;
			continue;
		}
		if (now_ms() - in->rx.last_data_ms > in->o->timeout_ms) {
			target_abort(in, PROTO_E_DATA, "no data from the source for %d s",
				     in->o->timeout_ms / 1000);
			return -ETIMEDOUT;
		}
	}
}
