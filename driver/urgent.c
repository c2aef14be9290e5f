// SPDX-License-Identifier: GPL-2.0
/*
 * Post-copy on the source: the pages the target's faults wait for go
 * first, then the rest, nearest to those faults first.
 *
 * In a post-copy round (LDM_ROUND_F_POSTCOPY) the guest is stopped on the
 * source and runs on the target, whose faults on pages it lacks ask for
 * them (postcopy.c there). Userland passes the requests to the sending
 * session (LDM_IOC_URGENT). Workers look for asked pages before each page
 * of their own chunk and send them at once, sealing their batch behind
 * them so that nothing waits for it to fill. A chunk is taken from the
 * chunk of the latest request on, so the background stream follows the
 * guest's locality. Each page goes once: whoever sets its @taken bit
 * sends it.
 *
 * The session owns this state; it is used only in post-copy rounds, whose
 * pages are taken once, so no earlier round pays for it.
 */

#include <linux/bitmap.h>
#include <linux/slab.h>

#include "pagebits.h"
#include "urgent.h"

/**
 * ldm_urgent_init() - allocate the state for a domain of @npages pages
 * @u: the state, zeroed
 * @npages: pages of the domain
 * @nchunks: chunks a round has
 *
 * Return: 0 or -ENOMEM.
 */
int ldm_urgent_init(struct ldm_urgent *u, pgoff_t npages, u32 nchunks)
{
	u->taken = ldm_pagebits_alloc(npages);
	u->asked = ldm_pagebits_alloc(npages);
	u->chunks = ldm_pagebits_alloc(nchunks);
	u->nchunks = nchunks;
	if (!u->taken || !u->asked || !u->chunks) {
		ldm_urgent_free(u);
		return -ENOMEM;
	}
	return 0;
}

/**
 * ldm_urgent_free() - free the state
 * @u: the state
 */
void ldm_urgent_free(struct ldm_urgent *u)
{
	ldm_pagebits_free(u->taken);
	ldm_pagebits_free(u->asked);
	ldm_pagebits_free(u->chunks);
	u->taken = NULL;
	u->asked = NULL;
	u->chunks = NULL;
}

/**
 * ldm_urgent_begin() - a post-copy round starts: nothing taken or asked
 * @u: the state
 * @npages: pages of the domain
 *
 * Called before the workers are queued (the queueing orders it before
 * their first look).
 */
void ldm_urgent_begin(struct ldm_urgent *u, pgoff_t npages)
{
	bitmap_zero(u->taken, npages);
	bitmap_zero(u->asked, npages);
	bitmap_zero(u->chunks, u->nchunks);
	atomic_long_set(&u->nasked, 0);
	atomic_set(&u->hint, 0);
}

/**
 * ldm_urgent_ask() - the target asks for pages
 * @u: the state
 * @round_bits: the round's pages
 * @npages: pages of the domain
 * @pages: the pages asked for, untrusted
 * @n: how many
 * @chunk_pages: pages per chunk
 *
 * A page outside the domain or the round, or already taken, is ignored:
 * it is on its way, or the target has it.
 *
 * Return: the pages newly asked for.
 */
u32 ldm_urgent_ask(struct ldm_urgent *u, const unsigned long *round_bits,
		   pgoff_t npages, const u64 *pages, u32 n, u32 chunk_pages)
{
	u32 i, added = 0;

	for (i = 0; i < n; i++) {
		pgoff_t p = pages[i];

		if (pages[i] >= npages || !test_bit(p, round_bits) ||
		    test_bit(p, u->taken) || test_and_set_bit(p, u->asked))
			continue;
		atomic_long_inc(&u->nasked);
		atomic_set(&u->hint, p / chunk_pages);
		added++;
	}
	return added;
}

/**
 * ldm_urgent_pending() - whether a worker should look for asked pages
 * @u: the state
 *
 * Return: true while some may wait.
 */
bool ldm_urgent_pending(struct ldm_urgent *u)
{
	return atomic_long_read(&u->nasked) > 0;
}

/**
 * ldm_urgent_next() - take an asked page no worker took yet
 * @u: the state
 * @npages: pages of the domain
 * @index: out: the page, now taken by the caller
 *
 * Return: true with a page to send now, false when none is asked.
 */
bool ldm_urgent_next(struct ldm_urgent *u, pgoff_t npages, pgoff_t *index)
{
	pgoff_t p = 0;

	while (ldm_urgent_pending(u)) {
		p = find_next_bit(u->asked, npages, p);
		if (p >= npages)
			return false;
		if (!test_and_clear_bit(p, u->asked))
			continue;
		atomic_long_dec(&u->nasked);
		if (ldm_urgent_take(u, p)) {
			*index = p;
			return true;
		}
	}
	return false;
}

/**
 * ldm_urgent_take() - claim a page for sending
 * @u: the state
 * @index: the page
 *
 * Return: true if the caller sends it, false if another worker did.
 */
bool ldm_urgent_take(struct ldm_urgent *u, pgoff_t index)
{
	return !test_and_set_bit(index, u->taken);
}

/**
 * ldm_urgent_next_chunk() - the next chunk to send, near the last request
 * @u: the state
 * @chunk: out: the chunk, now the caller's
 *
 * Return: true with a chunk, false when every chunk is taken.
 */
bool ldm_urgent_next_chunk(struct ldm_urgent *u, u32 *chunk)
{
	u32 start = min_t(u32, atomic_read(&u->hint), u->nchunks);
	u32 c;

	for (;;) {
		c = find_next_zero_bit(u->chunks, u->nchunks, start);
		if (c >= u->nchunks && start) {
			start = 0;
			continue;
		}
		if (c >= u->nchunks)
			return false;
		if (!test_and_set_bit(c, u->chunks)) {
			*chunk = c;
			return true;
		}
	}
}
