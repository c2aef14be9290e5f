/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU workers of a migration session.
 */
#ifndef _LDM_WORKERS_H
#define _LDM_WORKERS_H

#include <linux/types.h>
#include <linux/workqueue.h>

struct crypto_comp;
struct ldm_crypt;
struct ldm_crypt_req;
struct ldm_session;

/**
 * struct ldm_stats - counters of a worker, a round or a session
 * @pages_zero: zero pages sent as zero records (or applied, receiving)
 * @pages_skipped: zero pages not sent (round 0)
 * @pages_lzjb: pages sent (applied) LZJB-compressed
 * @pages_lz4: pages sent (applied) LZ4-compressed
 * @pages_raw: pages sent (applied) as they are
 * @pages_stale: receiving: records older than what the page holds
 * @bytes_in: guest RAM bytes read (written, receiving)
 * @bytes_out: bytes of sealed batches (received)
 * @batches: batches sealed (opened)
 * @busy_ns: time spent working
 * @time_ns: rounds: wall time from start to the round-end batch
 * @round_batches: receiving: batches the round-end batch announced
 */
struct ldm_stats {
	u64 pages_zero;
	u64 pages_skipped;
	u64 pages_lzjb;
	u64 pages_lz4;
	u64 pages_raw;
	u64 pages_stale;
	u64 bytes_in;
	u64 bytes_out;
	u64 batches;
	u64 busy_ns;
	u64 time_ns;
	u64 round_batches;
};

void ldm_stats_add(struct ldm_stats *sum, const struct ldm_stats *add);

/**
 * struct ldm_worker - one worker of a session, bound to one CPU
 * @work: queued with queue_work_on() on @cpu
 * @s: the session
 * @id: worker number
 * @cpu: the CPU it runs on
 * @creq: its AEAD request
 * @lz4: its LZ4 compressor (the crypto API's "lz4", with its own work
 *	memory), or NULL where the kernel has none
 * @buf: private buffer of a ring slot's size, which userland cannot
 *	reach: the batch being built (sending) or the copy of a received
 *	batch being checked, decrypted and applied (receiving)
 * @bounce: sending in the baseline mode: a page copied before use
 * @total: its counters over the session; only it writes them
 * @round: its counters in the current round (sending)
 * @filling: sending: @buf holds a batch being built
 * @used: sending: payload bytes in that batch
 * @nrec: sending: records in that batch
 *
 * Everything a worker touches per page is its own: no lock on that path.
 */
struct ldm_worker {
	struct work_struct work;
	struct ldm_session *s;
	unsigned int id;
	int cpu;
	struct ldm_crypt_req *creq;
	struct crypto_comp *lz4;
	void *buf;
	void *bounce;
	struct ldm_stats total;
	struct ldm_stats round;
	bool filling;
	u32 used;
	u32 nrec;
};

struct ldm_worker *ldm_workers_create(struct ldm_session *s,
				      struct ldm_crypt *crypt, unsigned int n,
				      work_func_t fn, size_t buf_bytes,
				      bool bounce);
void ldm_workers_destroy(struct ldm_worker *w, unsigned int n);
void ldm_workers_queue(struct ldm_worker *w, unsigned int n);
void ldm_workers_flush(struct ldm_worker *w, unsigned int n);

int ldm_workers_init(void);
void ldm_workers_uninit(void);

#endif /* _LDM_WORKERS_H */
