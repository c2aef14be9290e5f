// SPDX-License-Identifier: GPL-2.0
/*
 * The batch ring.
 *
 * Sealed batches leave the kernel, and received batches enter it, through
 * slots of a ring that userland maps from the domain's node at
 * LDM_RING_OFFSET: ldmctl send()s straight from a slot and recv()s straight
 * into one, so no batch is copied between kernel and user space.
 *
 * One side produces, the other consumes; each publishes its free-running
 * index in the shared header with release semantics once it is done with
 * the slots it covers, and reads the other's with acquire semantics.
 *
 * When the kernel produces (sending), workers fill slots in parallel and
 * out of order: a worker reserves the next sequence number, fills that
 * slot, and marks it ready; hdr->prod then moves over every ready slot in
 * order, so userland sees a gap-free sequence. When the kernel consumes
 * (receiving), workers process slots out of order and hdr->cons moves over
 * the processed ones in order, the same way.
 *
 * Userland's index is untrusted: it may only move forward, never past what
 * the other side produced, and never more than a ring ahead. A bad index
 * fails the session; the kernel never touches memory outside the ring
 * whatever userland writes.
 */

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "ring.h"

/* Free the pages of a ring, as far as they were allocated. */
static void ldm_ring_free_pages(struct ldm_ring *ring)
{
	unsigned int i;

	for (i = 0; ring->pages && i < ring->npages && ring->pages[i]; i++)
		__free_page(ring->pages[i]);
	kvfree(ring->pages);
}

/**
 * ldm_ring_create() - allocate a ring, charged to the caller's memory cgroup
 * @nslots: number of slots, a power of two
 * @slot_bytes: bytes per slot, a multiple of PAGE_SIZE
 * @poll_wq: where poll() waits
 *
 * The ring is order-0 pages mapped contiguously into the kernel with
 * vmap() (VM_USERMAP, so remap_vmalloc_range() maps them to userland):
 * unlike vmalloc_user(), each page is charged (__GFP_ACCOUNT) to the
 * memory cgroup of the process starting the session, and a ring that
 * cgroup cannot hold is refused rather than paid for by an OOM kill.
 *
 * Return: the ring with one reference, or NULL when out of memory.
 */
struct ldm_ring *ldm_ring_create(u32 nslots, u32 slot_bytes,
				 wait_queue_head_t *poll_wq)
{
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO |
			  __GFP_RETRY_MAYFAIL | __GFP_NOWARN;
	struct ldm_ring *ring;
	unsigned int i;

	ring = kzalloc(sizeof(*ring), GFP_KERNEL_ACCOUNT);
	if (!ring)
		return NULL;
	ring->bytes = PAGE_SIZE + (size_t)nslots * slot_bytes;
	ring->npages = ring->bytes >> PAGE_SHIFT;
	ring->ready = kcalloc(nslots, sizeof(*ring->ready), GFP_KERNEL_ACCOUNT);
	ring->pages = kvcalloc(ring->npages, sizeof(*ring->pages),
			       GFP_KERNEL_ACCOUNT);
	if (!ring->ready || !ring->pages)
		goto err_free;
	for (i = 0; i < ring->npages; i++) {
		ring->pages[i] = alloc_page(gfp);
		if (!ring->pages[i])
			goto err_free;
	}
	ring->mem = vmap(ring->pages, ring->npages, VM_MAP | VM_USERMAP,
			 PAGE_KERNEL);
	if (!ring->mem)
		goto err_free;
	kref_init(&ring->ref);
	spin_lock_init(&ring->lock);
	init_waitqueue_head(&ring->space_wq);
	ring->poll_wq = poll_wq;
	ring->nslots = nslots;
	ring->slot_bytes = slot_bytes;
	ring->hdr = ring->mem;
	ring->hdr->magic = LDM_RING_MAGIC;
	ring->hdr->version = LDM_UAPI_VERSION;
	ring->hdr->nslots = nslots;
	ring->hdr->slot_bytes = slot_bytes;
	ring->hdr->slots_offset = PAGE_SIZE;
	return ring;

err_free:
	ldm_ring_free_pages(ring);
	kfree(ring->ready);
	kfree(ring);
	return NULL;
}

static void ldm_ring_free(struct kref *ref)
{
	struct ldm_ring *ring = container_of(ref, struct ldm_ring, ref);

	vunmap(ring->mem);
	ldm_ring_free_pages(ring);
	kfree(ring->ready);
	kfree(ring);
}

/**
 * ldm_ring_put() - drop a reference
 * @ring: the ring
 */
void ldm_ring_put(struct ldm_ring *ring)
{
	kref_put(&ring->ref, ldm_ring_free);
}

/**
 * ldm_ring_kill() - end the ring's use: wake and fail every waiter
 * @ring: the ring
 * @state: the final &enum ldm_mig_state shown to userland
 * @err: positive errno shown to userland, or 0
 */
void ldm_ring_kill(struct ldm_ring *ring, u32 state, int err)
{
	spin_lock(&ring->lock);
	ring->dead = true;
	WRITE_ONCE(ring->hdr->error, err);
	/* The error before the state that tells userland to read it. */
	smp_store_release(&ring->hdr->state, state);
	spin_unlock(&ring->lock);
	wake_up_all(&ring->space_wq);
	wake_up_all(ring->poll_wq);
}

static void ldm_ring_vm_open(struct vm_area_struct *vma)
{
	struct ldm_ring *ring = vma->vm_private_data;

	kref_get(&ring->ref);
}

static void ldm_ring_vm_close(struct vm_area_struct *vma)
{
	ldm_ring_put(vma->vm_private_data);
}

static const struct vm_operations_struct ldm_ring_vm_ops = {
	.open = ldm_ring_vm_open,
	.close = ldm_ring_vm_close,
};

/**
 * ldm_ring_mmap() - map the whole ring into a VMA
 * @ring: the ring
 * @vma: a shared mapping of exactly the ring's size
 *
 * The mapping is not inherited across fork(): the ring belongs to the
 * process that owns the session, not to children it starts (a hook, an
 * emulator).
 *
 * Return: 0 or -EINVAL for a mapping of the wrong shape.
 */
int ldm_ring_mmap(struct ldm_ring *ring, struct vm_area_struct *vma)
{
	int err;

	if (!(vma->vm_flags & VM_MAYSHARE) ||
	    vma->vm_end - vma->vm_start != PAGE_ALIGN(ring->bytes))
		return -EINVAL;
	vma->vm_flags |= VM_DONTCOPY | VM_DONTEXPAND;
	err = remap_vmalloc_range(vma, ring->mem, 0);
	if (err)
		return err;
	vma->vm_private_data = ring;
	vma->vm_ops = &ldm_ring_vm_ops;
	ldm_ring_vm_open(vma);
	return 0;
}

/**
 * ldm_ring_slot() - kernel address of a slot
 * @ring: the ring
 * @seq: the slot's sequence number
 *
 * Return: the slot.
 */
void *ldm_ring_slot(struct ldm_ring *ring, u64 seq)
{
	return ring->mem + PAGE_SIZE +
	       (size_t)(seq & (ring->nslots - 1)) * ring->slot_bytes;
}

/*
 * Read userland's consumer index and check it. Caller holds ring->lock.
 * Return: 0 and the index, or -EPROTO.
 */
static int ldm_ring_read_cons(struct ldm_ring *ring, u64 *cons)
{
	/* Pairs with userland's release: it is done with the slots. */
	u64 c = smp_load_acquire(&ring->hdr->cons);

	if (c < ring->user_idx || c > ring->published)
		return -EPROTO;
	ring->user_idx = c;
	*cons = c;
	return 0;
}

/*
 * Take the next slot if one is free; true when it is taken or waiting is
 * over (@err says which). The check and the taking are one step under
 * ring->lock: one kick wakes every waiting worker, and two that both saw
 * the same free slot would otherwise both take it, the second writing over
 * a slot userland is still sending.
 */
static bool ldm_ring_try_reserve(struct ldm_ring *ring, u64 *seq, int *err)
{
	bool done = true;
	u64 cons;

	spin_lock(&ring->lock);
	if (ring->dead) {
		*err = -ECANCELED;
		goto out;
	}
	*err = ldm_ring_read_cons(ring, &cons);
	if (*err)
		goto out;
	if (ring->reserved - cons >= ring->nslots) {
		/* Ask userland to kick us after it frees a slot. */
		ring->hdr->flags |= LDM_RING_F_NEED_WAKEUP;
		smp_mb();	/* flag before rechecking cons */
		*err = ldm_ring_read_cons(ring, &cons);
		if (!*err && ring->reserved - cons >= ring->nslots) {
			done = false;
			goto out;
		}
		if (*err)
			goto out;
	}
	*seq = ring->reserved++;
out:
	spin_unlock(&ring->lock);
	return done;
}

/**
 * ldm_ring_reserve() - kernel producer: take the next slot, waiting for
 * userland to free one if the ring is full
 * @ring: the ring
 * @seq: out: the slot's sequence number
 *
 * A full ring holds the workers back; no batch is ever dropped.
 *
 * Return: 0, -ECANCELED if the session ended, -EPROTO for a bad user index.
 */
int ldm_ring_reserve(struct ldm_ring *ring, u64 *seq)
{
	int err = 0;

	/*
	 * Idle, not uninterruptible: a worker may wait as long as the link
	 * is slow, and that is neither load nor a hung task.
	 */
	wait_event_idle(ring->space_wq, ldm_ring_try_reserve(ring, seq, &err));
	return err;
}

/*
 * Mark slot @seq done, then move *@idx over every done slot below @limit,
 * in order, and publish it in @shared for userland. Caller holds
 * ring->lock.
 */
static void ldm_ring_advance(struct ldm_ring *ring, u64 seq, u64 *idx,
			     u64 limit, u64 *shared)
{
	u32 mask = ring->nslots - 1;
	u64 i = *idx;

	ring->ready[seq & mask] = 1;
	while (i < limit && ring->ready[i & mask]) {
		ring->ready[i & mask] = 0;
		i++;
	}
	if (i != *idx) {
		*idx = i;
		/* The slots' contents, or our reads of them, come first. */
		smp_store_release(shared, i);
	}
}

/**
 * ldm_ring_publish() - kernel producer: a reserved slot is filled
 * @ring: the ring
 * @seq: its sequence number
 *
 * Moves hdr->prod over every filled slot in order and wakes poll().
 */
void ldm_ring_publish(struct ldm_ring *ring, u64 seq)
{
	spin_lock(&ring->lock);
	ldm_ring_advance(ring, seq, &ring->published, ring->reserved,
			 &ring->hdr->prod);
	spin_unlock(&ring->lock);
	wake_up_all(ring->poll_wq);
}

/**
 * ldm_ring_user_filled() - kernel consumer: how far userland has filled
 * @ring: the ring
 * @prod: out: userland's producer index, checked
 *
 * Return: 0, -ECANCELED if the session ended, -EPROTO for a bad index.
 */
int ldm_ring_user_filled(struct ldm_ring *ring, u64 *prod)
{
	u64 p;
	int err = 0;

	spin_lock(&ring->lock);
	/* Pairs with userland's release: the slots' contents are there. */
	p = smp_load_acquire(&ring->hdr->prod);
	if (ring->dead)
		err = -ECANCELED;
	else if (p < ring->user_idx || p - ring->done > ring->nslots)
		err = -EPROTO;
	else
		ring->user_idx = p;
	*prod = ring->user_idx;
	spin_unlock(&ring->lock);
	return err;
}

/**
 * ldm_ring_release() - kernel consumer: a slot is processed
 * @ring: the ring
 * @seq: its sequence number
 *
 * Moves hdr->cons over every processed slot in order, so that userland
 * never overwrites a slot a worker still reads, and wakes poll().
 */
void ldm_ring_release(struct ldm_ring *ring, u64 seq)
{
	spin_lock(&ring->lock);
	ldm_ring_advance(ring, seq, &ring->done, ring->user_idx,
			 &ring->hdr->cons);
	spin_unlock(&ring->lock);
	wake_up_all(ring->poll_wq);
}

/**
 * ldm_ring_kick() - userland moved its index: wake the kernel producers
 * @ring: the ring
 */
void ldm_ring_kick(struct ldm_ring *ring)
{
	/*
	 * Only here, not when a worker takes a slot: that could clear the
	 * flag under a worker still asleep, and no kick would come for it.
	 * Every woken worker that still finds the ring full sets it again.
	 */
	spin_lock(&ring->lock);
	ring->hdr->flags &= ~LDM_RING_F_NEED_WAKEUP;
	spin_unlock(&ring->lock);
	wake_up_all(&ring->space_wq);
}

/**
 * ldm_ring_poll() - poll() on the domain's node during a session
 * @ring: the ring
 * @file: the polling file
 * @wait: poll table
 * @kernel_produces: true when sending (readable = batches to take),
 *	false when receiving (writable = free slots to fill)
 *
 * Return: EPOLLIN or EPOLLOUT when there is work, EPOLLERR once the
 * session is over.
 */
__poll_t ldm_ring_poll(struct ldm_ring *ring, struct file *file,
		       poll_table *wait, bool kernel_produces)
{
	__poll_t mask = 0;
	u64 cons;

	poll_wait(file, ring->poll_wq, wait);
	spin_lock(&ring->lock);
	if (ring->dead) {
		mask = EPOLLERR;
	} else if (kernel_produces) {
		/* Pairs with userland's release, as in ldm_ring_read_cons(). */
		cons = smp_load_acquire(&ring->hdr->cons);
		if (ring->published > cons)
			mask = EPOLLIN | EPOLLRDNORM;
	} else if (READ_ONCE(ring->hdr->prod) - ring->done < ring->nslots) {
		/* Userland's own index, unchecked: a bad one only blocks it. */
		mask = EPOLLOUT | EPOLLWRNORM;
	}
	spin_unlock(&ring->lock);
	return mask;
}
