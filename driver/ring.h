/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The batch ring: slots shared with userland through a mapping.
 */
#ifndef _LDM_RING_H
#define _LDM_RING_H

#include <linux/kref.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <uapi/linux/ldm.h>

struct vm_area_struct;

/**
 * struct ldm_ring - a ring of batch slots mapped by userland
 * @ref: one reference from the session, one per VMA mapping it
 * @mem: the header page, then the slots: @pages mapped contiguously
 * @bytes: size of @mem
 * @pages: the pages of @mem, each charged to the session starter's memcg
 * @npages: entries in @pages
 * @hdr: the header at the start of @mem, shared with userland
 * @nslots: slots, a power of two
 * @slot_bytes: bytes per slot
 * @lock: guards @reserved, @published, @done and @ready
 * @reserved: kernel producer: slots handed to workers so far
 * @published: kernel producer: slots made visible through hdr->prod
 * @done: kernel consumer: slots released through hdr->cons
 * @ready: one flag per slot: filled (producer) or processed (consumer),
 *	waiting for the slots before it so the index moves in order
 * @user_idx: the last value of userland's index that passed the checks
 * @dead: set once the session is over; waiters give up
 * @space_wq: kernel producers waiting for userland to free slots
 * @poll_wq: userland waiting in poll(): the domain's queue, which outlives
 *	any poll() registration on the domain's files
 */
struct ldm_ring {
	struct kref ref;
	void *mem;
	size_t bytes;
	struct page **pages;
	unsigned int npages;
	struct ldm_ring_hdr *hdr;
	u32 nslots;
	u32 slot_bytes;
	spinlock_t lock;	/* see above */
	u64 reserved;
	u64 published;
	u64 done;
	u8 *ready;
	u64 user_idx;
	bool dead;
	wait_queue_head_t space_wq;
	wait_queue_head_t *poll_wq;
};

struct ldm_ring *ldm_ring_create(u32 nslots, u32 slot_bytes,
				 wait_queue_head_t *poll_wq);
void ldm_ring_put(struct ldm_ring *ring);
void ldm_ring_kill(struct ldm_ring *ring, u32 state, int err);
int ldm_ring_mmap(struct ldm_ring *ring, struct vm_area_struct *vma);
__poll_t ldm_ring_poll(struct ldm_ring *ring, struct file *file,
		       poll_table *wait, bool kernel_produces);
void ldm_ring_kick(struct ldm_ring *ring);

void *ldm_ring_slot(struct ldm_ring *ring, u64 seq);
int ldm_ring_reserve(struct ldm_ring *ring, u64 *seq);
void ldm_ring_publish(struct ldm_ring *ring, u64 seq);
int ldm_ring_user_filled(struct ldm_ring *ring, u64 *prod);
void ldm_ring_release(struct ldm_ring *ring, u64 seq);

#endif /* _LDM_RING_H */
