// SPDX-License-Identifier: GPL-2.0
/*
 * migrate --postcopy: the target's half (proto.h, "Post-copy").
 *
 * The source's POSTCOPY chunks are the pages of the round to come, which
 * this domain lacks; once all are in, the module marks them missing
 * (LDM_IOC_POSTCOPY) before any batch of that round reaches the ring, and
 * POSTCOPY_RUNNING tells the source the guest may run here. From then on
 * a fault on a missing page waits in the module and asks for it: the
 * ring's file polls EPOLLPRI, and the asked pages go to the source as
 * PAGE_REQ, ahead of its stream.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "target.h"

/* The domain's bitmap words, one per 64 pages. */
static size_t nwords(const struct incoming *in)
{
	return (size_t)((in->hello.size / in->page_size + 63) / 64);
}

static int mark(struct incoming *in)
{
	uint64_t count = 0;
	int err;

	err = mig_page_set(in->ring.fd, LDM_IOC_POSTCOPY, in->pc_words,
			   nwords(in), in->rounds_acked, &count);
	free(in->pc_words);
	in->pc_words = NULL;
	if (err) {
		target_abort(in, PROTO_E_TARGET, "cannot start post-copy: %s",
			     strerror(-err));
		return err;
	}
	err = ctl_send_empty(&in->ctl, PROTO_MSG_POSTCOPY_RUNNING,
			     in->o->timeout_ms);
	if (err)
		return err;
	in->postcopy = true;
	in->rx.postcopy = true;
	serve_log(in->peer, "post-copy: '%s' may run, %" PRIu64 " pages to come with round %u",
		  in->hello.target, count, in->rounds_acked);
	return 0;
}

int target_postcopy_chunk(struct incoming *in)
{
	size_t n = nwords(in);
	struct proto_sums *c;
	int err = 0;

	if (in->postcopy) {
		target_abort(in, PROTO_E_REQUEST, "POSTCOPY after post-copy began");
		return -EPROTO;
	}
	c = malloc(sizeof(*c));
	if (!in->pc_words)
		in->pc_words = calloc(n, sizeof(*in->pc_words));
	if (!c || !in->pc_words) {
		free(c);
		target_abort(in, PROTO_E_TARGET, "out of memory");
		return -ENOMEM;
	}
	if (proto_get_words(in->ctl.payload, in->ctl.len, c) ||
	    c->first != in->pc_got || c->count > n - in->pc_got) {
		free(c);
		target_abort(in, PROTO_E_REQUEST, "malformed POSTCOPY");
		return -EPROTO;
	}
	memcpy(in->pc_words + in->pc_got, c->sums,
	       c->count * sizeof(*in->pc_words));
	in->pc_got += c->count;
	free(c);
	if (in->pc_got == n)
		err = mark(in);
	return err;
}

int target_postcopy_requests(struct incoming *in)
{
	struct ldm_postcopy_requests rq;
	struct proto_sums *c;
	struct pbuf b;
	int err = 0;

	if (!in->postcopy || !in->rx.asked)
		return 0;
	in->rx.asked = false;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	do {
		memset(&rq, 0, sizeof(rq));
		if (ioctl(in->ring.fd, LDM_IOC_POSTCOPY_REQUESTS, &rq)) {
			err = -errno;
			break;
		}
		memcpy(c->sums + c->count, rq.pages,
		       rq.count * sizeof(rq.pages[0]));
		c->count += rq.count;
	} while (rq.count == LDM_POSTCOPY_REQ_MAX &&
		 c->count + LDM_POSTCOPY_REQ_MAX <= PROTO_SUMS_MAX);
	if (!err && c->count) {
		in->page_reqs += c->count;
		pbuf_init(&b);
		err = target_send(in, &b, proto_put_words(&b, PROTO_MSG_PAGE_REQ,
							  c));
		pbuf_free(&b);
	}
	free(c);
	return err;
}
