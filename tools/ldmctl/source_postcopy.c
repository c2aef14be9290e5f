// SPDX-License-Identifier: GPL-2.0
/*
 * migrate --postcopy: the source's half (proto.h, "Post-copy").
 *
 * Where pre-copy would end in a suspended final round, the guest stops
 * here and a post-copy round starts (LDM_ROUND_F_POSTCOPY): its pages are
 * what the target lacks. They go to the target as POSTCOPY chunks, the
 * target marks them missing in its module and says POSTCOPY_RUNNING, and
 * from then on the guest may run there while the round streams, the
 * pages its faults ask for (PAGE_REQ, through sender_aside()) first.
 *
 * From POSTCOPY_RUNNING on the source never resumes its guest, whatever
 * happens: the guest may have run on the target. The source keeps the
 * only complete copy, suspended, and a failure says so.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "oplock.h"
#include "source.h"

/* A cancel that can no longer happen: the guest runs on the target. */
static volatile sig_atomic_t never;

/* The round's pages, as POSTCOPY chunks of bitmap words. */
static int send_pages(struct migration *m, uint64_t *count)
{
	size_t nwords = (size_t)((m->info.size / m->info.page_size + 63) / 64);
	uint64_t *words = calloc(nwords, sizeof(*words));
	struct proto_sums *c = malloc(sizeof(*c));
	struct pbuf b;
	size_t i;
	int ret;

	if (!words || !c) {
		free(words);
		free(c);
		return source_fail(m, -ENOMEM, "out of memory");
	}
	ret = mig_page_set(m->ring.fd, LDM_IOC_ROUND_PAGES, words, nwords,
			   m->round, count);
	if (ret) {
		free(words);
		free(c);
		return source_fail(m, ret,
				   "cannot read the post-copy round's pages: %s; the source domain is intact",
				   strerror(-ret));
	}
	pbuf_init(&b);
	for (i = 0; !ret && i < nwords; i += c->count) {
		c->first = i;
		c->count = (uint32_t)(nwords - i < PROTO_SUMS_MAX ?
				      nwords - i : PROTO_SUMS_MAX);
		memcpy(c->sums, words + i, c->count * sizeof(*words));
		ret = source_send(m, &b, proto_put_words(&b, PROTO_MSG_POSTCOPY,
							 c));
	}
	pbuf_free(&b);
	free(words);
	free(c);
	if (ret)
		return source_fail(m, -EIO,
				   "lost the target while starting post-copy: %s; the source domain is intact",
				   m->ctl.why);
	return 0;
}

int source_postcopy_begin(struct migration *m)
{
	uint64_t pages = 0;
	int ret;

	ret = send_pages(m, &pages);
	if (!ret)
		ret = source_expect(m, PROTO_MSG_POSTCOPY_RUNNING,
				    "the target's post-copy start");
	if (ret)
		return ret;
	if (proto_get_empty(m->ctl.payload, m->ctl.len))
		return source_fail(m, -EPROTO,
				   "malformed POSTCOPY_RUNNING from the target");
	/* The point of no return: the guest may run on the target now. */
	m->postcopy_running = true;
	m->t_running = now_ns();
	m->snd.cancel = &never;
	m->snd.postcopy_fd = m->ring.fd;
	oplock_status(m->lock_fd, "running: post-copy to %s", m->dest_str);
	progress_event(&m->pr, "postcopy", "round", (uint64_t)m->round,
		       "pages", pages, "pause_ms",
		       (m->t_running - m->t_suspend) / 1000000, NULL);
	progress_note(&m->pr, "post-copy: the guest may run on %s, %" PRIu64
		      " pages to follow; too late to cancel", m->dest_str, pages);
	return 0;
}

int source_postcopy_failed(struct migration *m, const char *what)
{
	m->outcome_unknown = true;
	return source_fail(m, ERR_UNKNOWN,
			   "post-copy: %s; the guest may run on %s without some of its pages, and '%s' stays suspended here with the only complete copy",
			   what, m->dest_str, m->o.domain);
}

void source_postcopy_cancel(struct migration *m)
{
	if (!m->postcopy_running || !source_cancelled || m->cancel_refused)
		return;
	progress_note(&m->pr, "cancel refused: the guest runs on %s (post-copy); the migration goes on",
		      m->dest_str);
	m->cancel_refused = true;
}
