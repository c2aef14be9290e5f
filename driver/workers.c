// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU workers.
 *
 * A session has one work item per worker, each bound to its own CPU in
 * round-robin order over the online CPUs, on a WQ_CPU_INTENSIVE workqueue
 * (compression and encryption are long CPU-bound runs that should not hold
 * up other per-CPU work). Each worker owns its scratch (AEAD request,
 * buffer, counters), so the per-page path takes no lock; workers pull work
 * (chunks of pages, or ring slots) from a shared atomic cursor, which
 * balances the load without a queue.
 */

#include <linux/cpumask.h>
#include <linux/crypto.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "crypt.h"
#include "workers.h"

static struct workqueue_struct *ldm_wq;

/**
 * ldm_stats_add() - add counters
 * @sum: the sum
 * @add: what to add
 */
void ldm_stats_add(struct ldm_stats *sum, const struct ldm_stats *add)
{
	sum->pages_zero += add->pages_zero;
	sum->pages_skipped += add->pages_skipped;
	sum->pages_lzjb += add->pages_lzjb;
	sum->pages_lz4 += add->pages_lz4;
	sum->pages_raw += add->pages_raw;
	sum->pages_stale += add->pages_stale;
	sum->bytes_in += add->bytes_in;
	sum->bytes_out += add->bytes_out;
	sum->batches += add->batches;
	sum->busy_ns += add->busy_ns;
	sum->time_ns += add->time_ns;
	sum->round_batches += add->round_batches;
}

/**
 * ldm_workers_create() - allocate the workers of a session
 * @s: the session, which each worker points to
 * @crypt: its AEAD, whose requests each worker gets
 * @n: number of workers
 * @fn: their work function
 * @buf_bytes: size of each worker's private batch buffer
 * @bounce: give each worker a bounce page too (the baseline mode)
 *
 * More workers than online CPUs share CPUs in turn. Everything is charged
 * to the memory cgroup of the caller (the process starting the session).
 *
 * Return: the array of @n workers, or NULL when out of memory.
 */
struct ldm_worker *ldm_workers_create(struct ldm_session *s,
				      struct ldm_crypt *crypt, unsigned int n,
				      work_func_t fn, size_t buf_bytes,
				      bool bounce)
{
	struct ldm_worker *w;
	unsigned int i;
	int cpu = -1;

	w = kvcalloc(n, sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return NULL;
	for (i = 0; i < n; i++) {
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
		INIT_WORK(&w[i].work, fn);
		w[i].s = s;
		w[i].id = i;
		w[i].cpu = cpu;
		w[i].creq = ldm_crypt_req_alloc(crypt);
		/* Optional: a round or record asking for LZ4 checks for it. */
		w[i].lz4 = crypto_alloc_comp("lz4", 0, 0);
		if (IS_ERR(w[i].lz4))
			w[i].lz4 = NULL;
		w[i].buf = kvmalloc(buf_bytes, GFP_KERNEL_ACCOUNT);
		if (bounce)
			w[i].bounce = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
		if (!w[i].creq || !w[i].buf || (bounce && !w[i].bounce)) {
			ldm_workers_destroy(w, i + 1);
			return NULL;
		}
	}
	return w;
}

/**
 * ldm_workers_destroy() - free workers; none may be queued or running
 * @w: the workers
 * @n: how many
 */
void ldm_workers_destroy(struct ldm_worker *w, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		crypto_free_comp(w[i].lz4);
		ldm_crypt_req_free(w[i].creq);
		kvfree(w[i].buf);
		kfree(w[i].bounce);
	}
	kvfree(w);
}

/**
 * ldm_workers_queue() - run every worker on its CPU
 * @w: the workers
 * @n: how many
 *
 * A worker already queued is left as it is; one that is running is queued
 * again, so work published before this call is always seen.
 */
void ldm_workers_queue(struct ldm_worker *w, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		queue_work_on(w[i].cpu, ldm_wq, &w[i].work);
}

/**
 * ldm_workers_flush() - wait until no worker is queued or running
 * @w: the workers
 * @n: how many
 */
void ldm_workers_flush(struct ldm_worker *w, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		flush_work(&w[i].work);
}

/**
 * ldm_workers_init() - create the workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int __init ldm_workers_init(void)
{
	ldm_wq = alloc_workqueue("ldm", WQ_CPU_INTENSIVE, 0);
	return ldm_wq ? 0 : -ENOMEM;
}

/**
 * ldm_workers_uninit() - destroy the workqueue; no session is left
 */
void ldm_workers_uninit(void)
{
	destroy_workqueue(ldm_wq);
}
