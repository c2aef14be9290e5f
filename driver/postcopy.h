/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Post-copy on the target: the pages a domain still lacks, the faults
 * that wait for them, and the requests those faults raise.
 */
#ifndef _LDM_POSTCOPY_H
#define _LDM_POSTCOPY_H

#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

/**
 * struct ldm_postcopy - the pages a target domain still lacks
 * @missing: bit per page: its content has not arrived. Set before the
 *	state is published; a bit is cleared (fully ordered) after the
 *	page's record of the post-copy round is written, never set again.
 * @asked: bit per page: a fault wants it and userland was not told yet
 * @npages: pages of the domain
 * @nmissing: bits set in @missing
 * @nasked: bits set in @asked
 * @round: records of this round or a later one bring a missing page
 * @page_wq: faults waiting for a page
 * @lock: guards @cursor and the statistics
 * @cursor: where the next look for asked pages starts
 * @faults: faults that waited for a page
 * @wait_ns: their waits in all
 * @max_wait_ns: the longest
 */
struct ldm_postcopy {
	unsigned long *missing;
	unsigned long *asked;
	pgoff_t npages;
	atomic_long_t nmissing;
	atomic_long_t nasked;
	u32 round;
	wait_queue_head_t page_wq;
	spinlock_t lock;	/* see above */
	pgoff_t cursor;
	u64 faults;
	u64 wait_ns;
	u64 max_wait_ns;
};

struct ldm_postcopy *ldm_postcopy_create(pgoff_t npages, u64 ubitmap,
					 u32 round);
void ldm_postcopy_free(struct ldm_postcopy *pc);
bool ldm_postcopy_missing(struct ldm_postcopy *pc, pgoff_t index);
bool ldm_postcopy_ask(struct ldm_postcopy *pc, pgoff_t index);
int ldm_postcopy_wait(struct ldm_postcopy *pc, pgoff_t index);
void ldm_postcopy_arrived(struct ldm_postcopy *pc, pgoff_t index, u32 round);
bool ldm_postcopy_asking(struct ldm_postcopy *pc);
u32 ldm_postcopy_take_asked(struct ldm_postcopy *pc, u64 *pages, u32 max);
void ldm_postcopy_stats(struct ldm_postcopy *pc, u64 *missing, u64 *faults,
			u64 *wait_ns, u64 *max_wait_ns);

#endif /* _LDM_POSTCOPY_H */
