/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Post-copy on the source: the pages the target's faults wait for go
 * first, then the rest, nearest to those faults first.
 */
#ifndef _LDM_URGENT_H
#define _LDM_URGENT_H

#include <linux/atomic.h>
#include <linux/types.h>

/**
 * struct ldm_urgent - the order of a post-copy round's pages
 * @taken: bit per page: a worker took it this round; each page goes once
 * @asked: bit per page: the target asked for it and no worker took it
 * @nasked: bits set in @asked (an upper bound while workers race)
 * @chunks: bit per chunk of pages: a worker took it
 * @nchunks: chunks in the round
 * @hint: the chunk of the page asked for last: the next chunk a worker
 *	takes is the first free one from there
 */
struct ldm_urgent {
	unsigned long *taken;
	unsigned long *asked;
	atomic_long_t nasked;
	unsigned long *chunks;
	u32 nchunks;
	atomic_t hint;
};

int ldm_urgent_init(struct ldm_urgent *u, pgoff_t npages, u32 nchunks);
void ldm_urgent_free(struct ldm_urgent *u);
void ldm_urgent_begin(struct ldm_urgent *u, pgoff_t npages);
u32 ldm_urgent_ask(struct ldm_urgent *u, const unsigned long *round_bits,
		   pgoff_t npages, const u64 *pages, u32 n, u32 chunk_pages);
bool ldm_urgent_pending(struct ldm_urgent *u);
bool ldm_urgent_next(struct ldm_urgent *u, pgoff_t npages, pgoff_t *index);
bool ldm_urgent_take(struct ldm_urgent *u, pgoff_t index);
bool ldm_urgent_next_chunk(struct ldm_urgent *u, u32 *chunk);

#endif /* _LDM_URGENT_H */
