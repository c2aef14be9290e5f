// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty-rate limiting of a domain, for a migration that would not
 * converge otherwise (ldmctl migrate --dirty-limit).
 *
 * The first write to a page after a harvest faults into page_mkwrite
 * (dirty.c): those faults are exactly the pages the guest dirties, and
 * nothing else is. Reads, and writes to pages already dirty, never get
 * here and run at full speed. Each such fault is charged to the domain's
 * budget with the generic cell rate algorithm: a fault is due one
 * interval (1/rate s) after the previous one, and a burst of a tenth of a
 * second's worth goes through without waiting. A fault that comes early
 * is let through at once, and the writer sleeps off the difference later.
 *
 * Where the writer sleeps matters: page_mkwrite runs with the mmap lock
 * held (and returns with the page locked), and a sleep there would stall
 * every other fault and every mmap of the emulator, and the harvest that
 * locks the page. So this file only charges, in the fault, and sleeps
 * when asked; node.c has the writing thread sleep on its way back to user
 * space, holding nothing. The sleep is killable, and ends early when the
 * limit changes or is lifted: the session's end lifts it (session.c), so
 * a guest is never slowed outside a migration, whether it ended, failed
 * or was cancelled.
 */
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>

#include "throttle.h"

/**
 * ldm_throttle_init() - no limit
 * @t: the throttle
 */
void ldm_throttle_init(struct ldm_throttle *t)
{
	spin_lock_init(&t->lock);
	t->rate = 0;
	t->tat = 0;
	t->delayed = 0;
	t->delay_ns = 0;
	atomic_set(&t->gen, 0);
	init_waitqueue_head(&t->wq);
}

/**
 * ldm_throttle_set() - set, change or lift the limit
 * @t: the throttle
 * @rate: pages a second, or 0 for no limit
 *
 * The counters start again from zero when a limit is set where there was
 * none. Writers sleeping under the previous limit wake.
 */
void ldm_throttle_set(struct ldm_throttle *t, u32 rate)
{
	spin_lock(&t->lock);
	if (rate && !t->rate) {
		t->delayed = 0;
		t->delay_ns = 0;
	}
	t->rate = rate;
	t->tat = 0;
	spin_unlock(&t->lock);
	atomic_inc(&t->gen);
	wake_up_all(&t->wq);
}

/**
 * ldm_throttle_read() - the limit and what it did
 * @t: the throttle
 * @rate: out: pages a second, 0 for none
 * @delayed: out: write faults made to wait since the limit was set
 * @delay_ns: out: the waits imposed, in ns
 */
void ldm_throttle_read(struct ldm_throttle *t, u32 *rate, u64 *delayed,
		       u64 *delay_ns)
{
	spin_lock(&t->lock);
	*rate = t->rate;
	*delayed = t->delayed;
	*delay_ns = t->delay_ns;
	spin_unlock(&t->lock);
}

/**
 * ldm_throttle_charge() - charge one write fault to the limit
 * @t: the throttle
 * @gen: out: the limit's generation, for ldm_throttle_sleep()
 *
 * Called in page_mkwrite: it never sleeps.
 *
 * Return: how long the writer must wait, in ns; 0 when it need not.
 */
u64 ldm_throttle_charge(struct ldm_throttle *t, int *gen)
{
	u64 now, interval, burst, due, delay = 0;

	if (!READ_ONCE(t->rate))
		return 0;
	*gen = atomic_read(&t->gen);
	now = ktime_get_ns();
	spin_lock(&t->lock);
	if (!t->rate)
		goto out;
	interval = NSEC_PER_SEC / t->rate;
	burst = (u64)max_t(u32, t->rate / 10, 1) * interval;
	due = max(t->tat, now);
	t->tat = due + interval;
	if (t->tat > now + burst) {
		delay = min_t(u64, t->tat - now - burst,
			      LDM_THROTTLE_MAX_DELAY_NS);
		t->delayed++;
		t->delay_ns += delay;
	}
out:
	spin_unlock(&t->lock);
	return delay;
}

/**
 * ldm_throttle_sleep() - sleep off a delay ldm_throttle_charge() gave
 * @t: the throttle
 * @gen: the generation it gave with it
 * @ns: the delay
 *
 * Killable: a fatal signal ends the wait, and so does any change of the
 * limit (a lifted limit frees its writers at once). The caller must hold
 * nothing another writer, the harvest or the mmap path could wait for.
 */
void ldm_throttle_sleep(struct ldm_throttle *t, int gen, u64 ns)
{
	wait_event_killable_timeout(t->wq, atomic_read(&t->gen) != gen,
				    nsecs_to_jiffies(ns));
}
