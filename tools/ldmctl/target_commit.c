// SPDX-License-Identifier: GPL-2.0
/*
 * The end of the target's conversation (target.h): the source's device
 * state if it sends one, fed to the target QEMU at once (the final round
 * is applied: this runs only after target_rounds() acknowledged it),
 * COMMIT checked against what the module applied,
 * with --verify the page checksums, then the domain is kept, COMMITTED
 * said, and the target QEMU resumed. Until COMMITTED the domain is still
 * discarded on any failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "oplock.h"
#include "pagesum.h"
#include "target.h"

/* --verify: a checksum of every page of the domain, in SUMS chunks. */
static int send_sums(struct incoming *in)
{
	uint64_t *sums, n = in->hello.size / in->page_size, i;
	struct proto_sums *s;
	struct pbuf b;
	int err;

	err = pagesum_domain(in->hello.target, in->hello.size, in->page_size,
			     &sums);
	if (err) {
		target_abort(in, PROTO_E_TARGET, "--verify: cannot read '%s': %s",
			     in->hello.target, strerror(-err));
		return err;
	}
	s = malloc(sizeof(*s));
	pbuf_init(&b);
	for (i = 0; s && !err && i < n; i += s->count) {
		s->first = i;
		s->count = n - i > PROTO_SUMS_MAX ? PROTO_SUMS_MAX :
			   (uint32_t)(n - i);
		memcpy(s->sums, sums + i, s->count * sizeof(*sums));
		err = target_send(in, &b, proto_put_sums(&b, s));
	}
	pbuf_free(&b);
	free(s);
	free(sums);
	return s ? err : -ENOMEM;
}

int target_commit(struct incoming *in)
{
	struct proto_commit c;
	struct proto_verify v;
	struct mig_info mi;
	int err;

	if (in->hello.flags & PROTO_HELLO_F_DEVSTATE) {
		err = target_devstate_receive(in);
		if (!err)
			err = target_devstate_feed(in);
		if (err)
			return err;
	}
	err = target_expect(in, PROTO_MSG_COMMIT);
	if (err)
		return err;
	if (proto_get_commit(in->ctl.payload, in->ctl.len, &c) ||
	    c.rounds != in->rounds_acked) {
		target_abort(in, PROTO_E_REQUEST, "COMMIT after %u rounds, %u were acknowledged",
			     c.rounds, in->rounds_acked);
		return -EPROTO;
	}
	err = mig_get(in->g, in->hello.target, &mi);
	if (err || mi.state != LDM_MIG_STATE_RECEIVING ||
	    mi.totals.v[LDM_A_STAT_BATCHES] - in->cut_batches != c.batches) {
		target_abort(in, PROTO_E_DATA,
			     "the module applied %" PRIu64 " batches (%" PRIu64
			     " of rounds cut short), the source sent %" PRIu64,
			     mi.totals.v[LDM_A_STAT_BATCHES], in->cut_batches,
			     c.batches);
		return -EBADMSG;
	}
	/* All in: the session ends (the key goes with it). */
	uring_unmap(&in->ring);
	mig_stop(in->g, in->hello.target);
	in->session = false;
	if (c.verify) {
		err = send_sums(in);
		if (err)
			return err;
		err = target_expect(in, PROTO_MSG_VERIFY);
		if (err)
			return err;
		if (proto_get_verify(in->ctl.payload, in->ctl.len, &v) || !v.ok) {
			serve_log(in->peer, "--verify failed: page %" PRIu64 " differs",
				  v.first_bad);
			return -EBADMSG;
		}
	}
	if (in->devstate) {
		err = target_devstate_loaded(in);
		if (err)
			return err;
	}
	/* Committed: from here on the domain is ours to keep. */
	incoming_unmark(in->hello.target);
	in->marked = false;
	in->created = false;
	err = ctl_send_empty(&in->ctl, PROTO_MSG_COMMITTED, in->o->timeout_ms);
	serve_log(in->peer, "committed domain '%s' (from '%s', %u rounds, %" PRIu64
		  " batches, %.2f s)%s", in->hello.target, in->hello.source,
		  c.rounds, c.batches, (double)(now_ns() - in->t_start) / 1e9,
		  c.verify ? ", verified" : "");
	if (err)
		serve_log(in->peer, "the source may not know: %s", in->ctl.why);
	/* Only now may the guest run here. */
	if (in->qmp_up) {
		if (qmp_exec(&in->qmp, "cont", NULL, -1, in->o->timeout_ms, NULL))
			serve_log(in->peer, "cannot resume the target QEMU: %s (resume it with QMP 'cont')",
				  in->qmp.why);
		else
			serve_log(in->peer, "resumed the target QEMU: '%s' runs here",
				  in->hello.target);
	}
	return 0;
}
