/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Migration sessions: one per domain, sending or receiving.
 */
#ifndef _LDM_SESSION_H
#define _LDM_SESSION_H

#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <net/net_namespace.h>

#include <uapi/linux/ldm.h>

#include "crypt.h"
#include "urgent.h"
#include "workers.h"

struct file;
struct ldm_domain;
struct ldm_ring;
struct netlink_ext_ack;

/* Highest round a session may reach; bounds the per-round arrays. */
#define LDM_MAX_ROUNDS		1024
/* Batches pulled per chunk: pages handed to a worker at a time. */
#define LDM_CHUNK_PAGES		256
/* Receiving: sequence numbers tracked for replay, at least a full ring. */
#define LDM_REPLAY_WINDOW	LDM_RING_SLOTS_MAX

/**
 * struct ldm_session_params - what a START request asks for, checked
 * @workers: worker count
 * @batch_bytes: payload bytes per batch
 * @raw_threshold: largest compressed page worth sending compressed
 * @ring_slots: ring slots
 * @flags: &enum ldm_mig_flags
 * @dirty_limit: sending: pages a second the guest may dirty, 0 no limit
 * @epoch_shift: a key epoch is 1 << @epoch_shift batches
 */
struct ldm_session_params {
	u32 workers;
	u32 batch_bytes;
	u32 raw_threshold;
	u32 ring_slots;
	u32 flags;
	u32 dirty_limit;
	u32 epoch_shift;
};

/**
 * struct ldm_session - a migration of one domain, either direction
 * @dom: the domain (the session holds a reference)
 * @sending: source (true) or target side
 * @owner_file: the open file of the domain's node through which the ring
 *	and the session's ioctls work; NULL once that file is released.
 *	Guarded by the domain's session_lock.
 * @owner_net: network namespace of the owning netlink socket
 * @owner_portid: port of the owning socket; the session ends with it
 * @params: the parameters it was started with
 * @crypt: the AEAD
 * @keyed: @crypt has its key (LDM_IOC_SESSION_KEY): rounds and kicks may
 *	run. Set once, under the domain's session_lock.
 * @ring: the batch ring
 * @workers: @params.workers workers
 * @lock: guards @state, @error, @errmsg, @rounds and the replay window
 * @state: &enum ldm_mig_state
 * @error: positive errno that failed the session
 * @errmsg: what failed, for people
 * @rounds: per-round counters; sending: finished rounds, receiving:
 *	every round seen
 * @nrounds: entries of @rounds in use
 * @round: sending: rounds started so far
 * @round_busy: sending: a round is being produced
 * @codec: sending: &enum ldm_codec of the current round
 * @round_bits: sending: the pages of the current round
 * @round_start: sending: when it started
 * @nchunks: sending: chunks of @round_bits
 * @next_chunk: sending: the next chunk to take
 * @active: sending: workers still producing the current round
 * @postcopy_round: sending: the current round is a post-copy round
 *	(%LDM_ROUND_F_POSTCOPY); set before its workers are queued
 * @urgent: sending: the order of post-copy rounds' pages (urgent.c),
 *	allocated by the first one
 * @page_round: receiving: per page, 1 + the round of the last record
 *	applied (0: none). Written with the page locked, or under the page
 *	store's xa_lock while the page does not exist (see receive.c).
 * @next_slot: receiving: the next ring slot to process
 * @prod_seen: receiving: slots userland has filled, checked
 * @replay_top: receiving: highest sequence number accepted + 1
 * @replay: receiving: which of the last %LDM_REPLAY_WINDOW were seen
 */
struct ldm_session {
	struct ldm_domain *dom;
	bool sending;
	struct file *owner_file;
	possible_net_t owner_net;
	u32 owner_portid;
	struct ldm_session_params params;
	struct ldm_crypt crypt;
	bool keyed;
	struct ldm_ring *ring;
	struct ldm_worker *workers;

	spinlock_t lock;	/* see above */
	u32 state;
	int error;
	const char *errmsg;
	struct ldm_stats rounds[LDM_MAX_ROUNDS];
	u32 nrounds;

	u32 round;
	bool round_busy;
	u32 codec;
	unsigned long *round_bits;
	ktime_t round_start;
	u32 nchunks;
	atomic_t next_chunk;
	atomic_t active;
	bool postcopy_round;
	struct ldm_urgent urgent;

	u32 *page_round;
	atomic64_t next_slot;
	atomic64_t prod_seen;
	u64 replay_top;
	unsigned long replay[BITS_TO_LONGS(LDM_REPLAY_WINDOW)];
};

int ldm_session_start(struct ldm_domain *dom, bool sending,
		      const struct ldm_session_params *p, struct file *file,
		      struct net *net, u32 portid, work_func_t work,
		      struct netlink_ext_ack *extack);
int ldm_session_stop(struct ldm_domain *dom);
int ldm_session_set_dirty_limit(struct ldm_domain *dom, u32 rate,
				struct netlink_ext_ack *extack);
struct ldm_session *ldm_session_of(struct ldm_domain *dom, struct file *file);
long ldm_session_ioctl_key(struct ldm_domain *dom, struct file *file,
			   struct ldm_session_key __user *uarg);
long ldm_session_ioctl_rekey(struct ldm_domain *dom, struct file *file,
			     struct ldm_session_rekey __user *uarg);
void ldm_session_file_closed(struct ldm_domain *dom, struct file *file);
void ldm_session_fail(struct ldm_session *s, int err, const char *msg);
bool ldm_session_failed(struct ldm_session *s);
void ldm_session_stop_owned(struct ldm_domain *dom, struct net *net,
			    u32 portid);
void ldm_session_stop_all(void);
void ldm_session_totals(struct ldm_session *s, struct ldm_stats *sum);

#endif /* _LDM_SESSION_H */
