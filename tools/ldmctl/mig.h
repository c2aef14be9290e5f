/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The migration commands of the "ldm" family (MIGRATE_START, RECEIVE_START,
 * MIGRATE_ROUND, MIGRATE_STOP, MIGRATE_GET) and the batch ring mapped
 * from /dev/ldm/<domain>, for 'ldmctl migrate' and 'ldmctl serve'.
 * Functions return 0 or a negative errno; the kernel's reason is then in
 * ldm_genl_ext_ack().
 */
#ifndef LDMCTL_MIG_H
#define LDMCTL_MIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/ldm.h>

#include "genl.h"

struct mig_stats {
	uint64_t v[LDM_A_STAT_MAX + 1];		/* by LDM_A_STAT_* */
};

#define MIG_ROUNDS_SHOWN	8	/* the kernel reports the latest 8 */

struct mig_info {
	uint32_t state;			/* enum ldm_mig_state */
	uint32_t error;			/* positive errno */
	char errmsg[128];
	uint32_t round;			/* rounds started (sending) or seen */
	uint64_t ring_bytes;
	uint32_t dirty_limit;		/* sending: pages/s, 0 none */
	uint64_t throttled;		/* write faults it made wait */
	uint64_t throttle_ns;		/* the waits imposed */
	uint32_t epoch_shift;		/* key epochs of 1 << this batches */
	uint64_t key_epoch;		/* newest epoch a batch used */
	struct mig_stats totals;
	uint32_t nrounds;		/* entries in rounds[] */
	uint32_t round_ids[MIG_ROUNDS_SHOWN];
	struct mig_stats rounds[MIG_ROUNDS_SHOWN];
};

struct mig_params {
	const uint8_t *key;		/* LDM_KEY_BYTES */
	uint32_t salt;
	uint32_t workers;		/* 0: the module's default */
	uint32_t batch_bytes;		/* 0: default */
	uint32_t ring_slots;		/* 0: default */
	uint32_t flags;			/* enum ldm_mig_flags */
	uint32_t dirty_limit;		/* sending: pages/s, 0: none */
	uint32_t epoch_shift;		/* 0: the module's default */
};

struct uring;

/*
 * mig_start() - MIGRATE_START (@sending) or RECEIVE_START on a new open
 * file of /dev/ldm/@name, which owns the session's data path (@r->fd;
 * map the ring with uring_map()), then the session's key through that
 * file (LDM_IOC_SESSION_KEY), whose copy is wiped. On failure nothing is
 * left open; a refusal's reason is in ldm_genl_ext_ack() when the START
 * failed.
 */
int mig_start(struct ldm_genl *g, const char *name, bool sending,
	      const struct mig_params *p, struct uring *r);
/*
 * mig_round() - MIGRATE_ROUND with @codec (enum ldm_codec; 0: the
 * module's default) and @flags (enum ldm_round_flags).
 */
int mig_round(struct ldm_genl *g, const char *name, uint32_t codec,
	      uint32_t flags, uint32_t *round, uint64_t *pages);
/* mig_set_codec() - MIGRATE_SET: the running round's codec from now on. */
int mig_set_codec(struct ldm_genl *g, const char *name, uint32_t codec);
/* The largest dirty limit ldmctl asks for, pages/s: far above any guest's. */
#define DIRTY_LIMIT_MAX		100000000u

/*
 * mig_set_dirty_limit() - MIGRATE_SET: the pages a second the guest may
 * dirty from its next write fault on (0: no limit).
 */
int mig_set_dirty_limit(struct ldm_genl *g, const char *name, uint32_t rate);
int mig_stop(struct ldm_genl *g, const char *name);
int mig_get(struct ldm_genl *g, const char *name, struct mig_info *info);

/* Decode a MIGRATE_GET reply; exposed for the unit tests. */
int mig_info_parse(struct nl_msg *msg, struct mig_info *info);

/* The stats of round @round in @info, or NULL if not reported. */
const struct mig_stats *mig_round_stats(const struct mig_info *info,
					uint32_t round);

/* Pages a set of counters accounts for: zero, skipped, LZJB, LZ4, raw. */
uint64_t mig_stats_pages(const struct mig_stats *s);

/* The batch ring of a session, mapped. */
struct uring {
	int fd;				/* /dev/ldm/<domain>: owns the session */
	void *map;
	size_t bytes;
	struct ldm_ring_hdr *hdr;
	uint32_t nslots, slot_bytes, slots_offset;
};

/*
 * uring_map() - map the ring of the session @r->fd owns (mig_start()),
 * @bytes as MIGRATE_GET reported, and check its header (magic, version,
 * geometry inside the mapping). On failure @r is unmapped and closed.
 */
int uring_map(struct uring *r, uint64_t bytes);
void uring_unmap(struct uring *r);

static inline uint8_t *uring_slot(const struct uring *r, uint64_t seq)
{
	return (uint8_t *)r->map + r->slots_offset +
	       (size_t)(seq & (r->nslots - 1)) * r->slot_bytes;
}

static inline uint64_t uring_load(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void uring_store(__u64 *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/*
 * uring_release() - the consumer is done with every slot below @cons:
 * publish it and kick the module if a worker waits for room. The full
 * fence between the store and the load of the flag pairs with the
 * module's (flag set, smp_mb(), cons reread): without it the store may
 * still sit in the store buffer when the flag is read, on x86 too, both
 * sides miss each other and the workers sleep until --timeout.
 */
int uring_release(struct uring *r, uint64_t cons);

/*
 * mig_page_set() - LDM_IOC_APPLIED or LDM_IOC_RESEND_SKIP (@cmd) on the
 * domain's device @fd with a bitmap of @nwords words; *@count gets the
 * module's count. Return: 0 or -errno.
 */
int mig_page_set(int fd, unsigned long cmd, uint64_t *words, size_t nwords,
		 uint32_t round, uint64_t *count);

/* Tell the module the ring moved (LDM_IOC_RING_KICK). */
int uring_kick(struct uring *r);

/* Open /dev/ldm/NAME. Return: the fd or -errno. */
int ldm_node_open(const char *name, int flags);

#endif /* LDMCTL_MIG_H */
