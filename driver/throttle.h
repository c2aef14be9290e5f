/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dirty-rate limiting: a migration slows the guest's writers, where the
 * writes happen, so that pre-copy converges.
 */
#ifndef _LDM_THROTTLE_H
#define _LDM_THROTTLE_H

#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

/* The longest a single write fault is made to wait. */
#define LDM_THROTTLE_MAX_DELAY_NS	(500 * NSEC_PER_MSEC)

/**
 * struct ldm_throttle - a domain's dirty-rate limit
 * @lock: guards @rate, @tat, @delayed and @delay_ns
 * @rate: pages a second the guest may dirty, 0 for no limit; read
 *	locklessly by the fault path's first check
 * @tat: the virtual time, in ns, at which the next write fault is due
 *	(the generic cell rate algorithm's "theoretical arrival time")
 * @delayed: write faults that were made to wait since the limit was set
 * @delay_ns: the waits imposed in all, in ns
 * @gen: bumped whenever @rate changes, so that writers sleeping under an
 *	older limit wake at once
 * @wq: writers sleeping off their delay
 */
struct ldm_throttle {
	spinlock_t lock;	/* see above */
	u32 rate;
	u64 tat;
	u64 delayed;
	u64 delay_ns;
	atomic_t gen;
	wait_queue_head_t wq;
};

void ldm_throttle_init(struct ldm_throttle *t);
void ldm_throttle_set(struct ldm_throttle *t, u32 rate);
void ldm_throttle_read(struct ldm_throttle *t, u32 *rate, u64 *delayed,
		       u64 *delay_ns);
u64 ldm_throttle_charge(struct ldm_throttle *t, int *gen);
void ldm_throttle_sleep(struct ldm_throttle *t, int gen, u64 ns);

#endif /* _LDM_THROTTLE_H */
