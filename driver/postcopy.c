// SPDX-License-Identifier: GPL-2.0
/*
 * Post-copy on the target: the guest runs before every page has arrived.
 *
 * When the source switches to post-copy it stops its guest and tells the
 * target which pages the target does not have yet (those dirtied since
 * the last round it acknowledged); their records come with the post-copy
 * round. Userland marks them missing (LDM_IOC_POSTCOPY, receive.c) before
 * it gives the ring any batch of that round, and only then lets the
 * target's emulator run the guest.
 *
 * From then on a fault on a missing page (node.c: the domain's own fault
 * handler, the only way into guest RAM) asks for the page and waits for
 * exactly that page, killably: the guest never runs with a page it does
 * not have. The receive path writes the page, clears its bit and wakes
 * the waiters. Clearing is a value-returning atomic, fully ordered, and a
 * fault tests the bit with acquire: whoever sees it clear sees the page's
 * content.
 *
 * Requests: a fault sets the page's bit in @asked, once; userland takes
 * the asked pages (LDM_IOC_POSTCOPY_REQUESTS) and sends them to the source
 * ahead of the background stream, asking again if the link drops.
 *
 * A mechanism only: it knows pages and bits, not domains, sessions or
 * mappings. The state lives as long as the domain, so a fault may use it
 * without a lock, and faults on pages that never come (the source gone)
 * go on waiting, killably.
 */

#include <linux/bitmap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "pagebits.h"
#include "postcopy.h"

/**
 * ldm_postcopy_free() - free a domain's post-copy state
 * @pc: the state, or NULL
 */
void ldm_postcopy_free(struct ldm_postcopy *pc)
{
	if (!pc)
		return;
	ldm_pagebits_free(pc->missing);
	ldm_pagebits_free(pc->asked);
	kfree(pc);
}

/**
 * ldm_postcopy_create() - the state of a domain entering post-copy
 * @npages: pages of the domain
 * @ubitmap: user address of the missing pages' bitmap (&struct
 *	ldm_harvest's layout), checked by the caller to be large enough
 * @round: the round whose records bring them
 *
 * Return: the state, or ERR_PTR(-ENOMEM or -EFAULT).
 */
struct ldm_postcopy *ldm_postcopy_create(pgoff_t npages, u64 ubitmap,
					 u32 round)
{
	struct ldm_postcopy *pc = kzalloc(sizeof(*pc), GFP_KERNEL_ACCOUNT);
	int err = -ENOMEM;

	if (!pc)
		return ERR_PTR(-ENOMEM);
	pc->missing = ldm_pagebits_alloc(npages);
	pc->asked = ldm_pagebits_alloc(npages);
	if (pc->missing && pc->asked)
		err = ldm_pagebits_from_user(pc->missing, ubitmap, npages);
	if (err) {
		ldm_postcopy_free(pc);
		return ERR_PTR(err);
	}
	pc->npages = npages;
	pc->round = round;
	atomic_long_set(&pc->nmissing, bitmap_weight(pc->missing, npages));
	init_waitqueue_head(&pc->page_wq);
	spin_lock_init(&pc->lock);
	return pc;
}

/**
 * ldm_postcopy_missing() - whether a page has not arrived yet
 * @pc: the state
 * @index: the page, below @pc->npages
 *
 * Return: true while it is missing; once false, its content is there.
 */
bool ldm_postcopy_missing(struct ldm_postcopy *pc, pgoff_t index)
{
	return test_bit_acquire(index, pc->missing);
}

/**
 * ldm_postcopy_ask() - a fault wants a missing page
 * @pc: the state
 * @index: the page
 *
 * Return: true if it was not asked for yet: the caller tells userland.
 */
bool ldm_postcopy_ask(struct ldm_postcopy *pc, pgoff_t index)
{
	if (test_and_set_bit(index, pc->asked))
		return false;
	atomic_long_inc(&pc->nasked);
	return true;
}

/**
 * ldm_postcopy_wait() - wait, killably, until a page has arrived
 * @pc: the state
 * @index: the page
 *
 * The wait is counted in the statistics, killed or not.
 *
 * Return: 0 once it is there, -ERESTARTSYS when killed.
 */
int ldm_postcopy_wait(struct ldm_postcopy *pc, pgoff_t index)
{
	u64 start = ktime_get_ns(), ns;
	int err;

	err = wait_event_killable(pc->page_wq,
				  !ldm_postcopy_missing(pc, index));
	ns = ktime_get_ns() - start;
	spin_lock(&pc->lock);
	pc->faults++;
	pc->wait_ns += ns;
	pc->max_wait_ns = max(pc->max_wait_ns, ns);
	spin_unlock(&pc->lock);
	return err;
}

/**
 * ldm_postcopy_arrived() - a record was applied to a page
 * @pc: the state
 * @index: the page, its content written
 * @round: the record's round
 *
 * A record of the post-copy round (or later) brings a missing page: its
 * bit is cleared after the content and its waiters wake. Earlier rounds'
 * records change nothing: they were all applied before post-copy began.
 */
void ldm_postcopy_arrived(struct ldm_postcopy *pc, pgoff_t index, u32 round)
{
	if (round < pc->round || !test_bit(index, pc->missing))
		return;
	/* Fully ordered: the content before the bit (see the top). */
	if (!test_and_clear_bit(index, pc->missing))
		return;
	atomic_long_dec(&pc->nmissing);
	if (test_and_clear_bit(index, pc->asked))
		atomic_long_dec(&pc->nasked);
	wake_up_all(&pc->page_wq);
}

/**
 * ldm_postcopy_asking() - whether faults ask for pages not taken yet
 * @pc: the state
 *
 * Return: true if ldm_postcopy_take_asked() has pages to give.
 */
bool ldm_postcopy_asking(struct ldm_postcopy *pc)
{
	return atomic_long_read(&pc->nasked) > 0;
}

/**
 * ldm_postcopy_take_asked() - the pages faults asked for, each once
 * @pc: the state
 * @pages: out: up to @max pages
 * @max: room in @pages
 *
 * Goes on from where the last call stopped, so that no page waits behind
 * others for ever.
 *
 * Return: the pages taken.
 */
u32 ldm_postcopy_take_asked(struct ldm_postcopy *pc, u64 *pages, u32 max)
{
	pgoff_t i = 0, start, end;
	unsigned int pass;
	u32 n = 0;

	spin_lock(&pc->lock);
	start = pc->cursor;
	for (pass = 0; pass < 2 && n < max; pass++) {
		end = pass ? start : pc->npages;
		for (i = pass ? 0 : start; n < max; i++) {
			i = find_next_bit(pc->asked, end, i);
			if (i >= end)
				break;
			if (test_and_clear_bit(i, pc->asked)) {
				atomic_long_dec(&pc->nasked);
				pages[n++] = i;
			}
		}
	}
	/* Full: the next call goes on from here. */
	pc->cursor = n == max && i < pc->npages ? i : 0;
	spin_unlock(&pc->lock);
	return n;
}

/**
 * ldm_postcopy_stats() - what DOMAIN_GET reports of post-copy
 * @pc: the state
 * @missing: out: pages still missing
 * @faults: out: faults that waited for a page
 * @wait_ns: out: their waits in all
 * @max_wait_ns: out: the longest
 */
void ldm_postcopy_stats(struct ldm_postcopy *pc, u64 *missing, u64 *faults,
			u64 *wait_ns, u64 *max_wait_ns)
{
	*missing = atomic_long_read(&pc->nmissing);
	spin_lock(&pc->lock);
	*faults = pc->faults;
	*wait_ns = pc->wait_ns;
	*max_wait_ns = pc->max_wait_ns;
	spin_unlock(&pc->lock);
}
