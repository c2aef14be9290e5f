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
};

/*
 * mig_start() - MIGRATE_START (@sending) or RECEIVE_START. The request
 * buffer that held the key is wiped once the kernel has answered.
 */
int mig_start(struct ldm_genl *g, const char *name, bool sending,
	      const struct mig_params *p);
/*
 * mig_round() - MIGRATE_ROUND with @codec (enum ldm_codec; 0: the
 * module's default) and @flags (enum ldm_round_flags).
 */
int mig_round(struct ldm_genl *g, const char *name, uint32_t codec,
	      uint32_t flags, uint32_t *round, uint64_t *pages);
/* mig_set_codec() - MIGRATE_SET: the running round's codec from now on. */
int mig_set_codec(struct ldm_genl *g, const char *name, uint32_t codec);
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
	int fd;				/* /dev/ldm/<domain>, for poll/ioctl */
	void *map;
	size_t bytes;
	struct ldm_ring_hdr *hdr;
	uint32_t nslots, slot_bytes, slots_offset;
};

/*
 * uring_map() - map the ring of a domain's session, @bytes as
 * MIGRATE_GET reported, and check its header (magic, version, geometry
 * inside the mapping).
 */
int uring_map(const char *name, uint64_t bytes, struct uring *r);
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
