// SPDX-License-Identifier: GPL-2.0
/*
 * The receiving side.
 *
 * Userland (ldmctl serve) receives each batch straight into a slot of the
 * target domain's ring and kicks the module. Workers, one per CPU, take
 * slots as they come and, for each batch:
 *
 *  1. copy and check the header (the slot is user-writable memory), then
 *     copy the rest of the batch next to it, into the worker's private
 *     buffer: from here on nothing is read from the slot;
 *  2. verify and decrypt that private copy in place, so what was verified
 *     is exactly what gets used;
 *  3. reject a replayed sequence number, or one older than the window
 *     (after verification, so forged batches cannot move the window);
 *  4. check every record (page inside the domain, known kind, sane length,
 *     inside the payload) before applying any: a bad batch applies nothing;
 *  5. apply each record straight into the target page.
 *
 * Batches may arrive and be applied in any order, on several streams: each
 * page remembers the round of the last record applied to it, and an older
 * record never overwrites a newer one. The check and the write happen with
 * the page locked. A zero record for a page that does not exist yet
 * allocates nothing: it only raises the page's round, under the page
 * store's xa_lock, which also orders it against a concurrent first
 * allocation of that page (inserted under the same lock, and checked
 * afterwards with the page locked).
 *
 * Any failure fails the session with a message naming what was wrong.
 */

#include <linux/crypto.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/string.h>

#include "crypt.h"
#include "dirty.h"
#include "domain.h"
#include "lzjb.h"
#include "pagebits.h"
#include "postcopy.h"
#include "receive.h"
#include "ring.h"
#include "session.h"

/* Sequence numbers are checked after the batch is authenticated. */
static int ldm_receive_replay(struct ldm_session *s, u64 seq)
{
	int err = 0;
	u64 i;

	spin_lock(&s->lock);
	if (seq >= s->replay_top) {
		/* Forget the sequence numbers the window slides past. */
		for (i = s->replay_top;
		     i <= seq && i < s->replay_top + LDM_REPLAY_WINDOW; i++)
			__clear_bit(i % LDM_REPLAY_WINDOW, s->replay);
		s->replay_top = seq + 1;
		__set_bit(seq % LDM_REPLAY_WINDOW, s->replay);
	} else if (seq + LDM_REPLAY_WINDOW < s->replay_top) {
		err = -ESTALE;
	} else if (__test_and_set_bit(seq % LDM_REPLAY_WINDOW, s->replay)) {
		err = -EEXIST;
	}
	spin_unlock(&s->lock);
	return err;
}

static int ldm_receive_lz4(struct ldm_worker *w, const void *src, u32 len,
			   void *dst)
{
	unsigned int dlen = PAGE_SIZE;
	int err;

	if (!w->lz4)
		return -EOPNOTSUPP;
	err = crypto_comp_decompress(w->lz4, src, len, dst, &dlen);
	if (!err && dlen != PAGE_SIZE)
		err = -EINVAL;
	return err;
}

/* Post-copy: a fault may wait for this page (postcopy.c). */
static void ldm_receive_arrived(struct ldm_session *s, pgoff_t index,
				u32 round)
{
	struct ldm_postcopy *pc = ldm_domain_postcopy(s->dom);

	if (pc)
		ldm_postcopy_arrived(pc, index, round);
}

static int ldm_receive_apply(struct ldm_worker *w, const struct ldm_record *rec,
			     const void *data)
{
	struct ldm_session *s = w->s;
	struct ldm_mem *mem = &s->dom->mem;
	pgoff_t index = le64_to_cpu(rec->page);
	u32 r1 = le32_to_cpu(rec->round) + 1;
	u32 len = le32_to_cpu(rec->len);
	struct page *page;
	void *dst;
	int err = 0;

	if (rec->kind == LDM_REC_ZERO) {
		xa_lock(&mem->pages);
		page = xa_load(&mem->pages, index);
		if (!page) {
			if (s->page_round[index] <= r1) {
				WRITE_ONCE(s->page_round[index], r1);
				w->total.pages_zero++;
			} else {
				w->total.pages_stale++;
			}
		}
		xa_unlock(&mem->pages);
		if (!page) {
			ldm_receive_arrived(s, index, r1 - 1);
			return 0;
		}
	} else {
		page = ldm_mem_get_page(mem, index);
		if (IS_ERR(page))
			return PTR_ERR(page);
	}

	lock_page(page);
	if (s->page_round[index] > r1) {
		w->total.pages_stale++;
		goto out_unlock;
	}
	dst = kmap_local_page(page);
	switch (rec->kind) {
	case LDM_REC_ZERO:
		clear_page(dst);
		w->total.pages_zero++;
		break;
	case LDM_REC_RAW:
		memcpy(dst, data, PAGE_SIZE);
		w->total.pages_raw++;
		break;
	case LDM_REC_LZ4:
		err = ldm_receive_lz4(w, data, len, dst);
		w->total.pages_lz4++;
		break;
	default:
		err = lzjb_decompress(data, dst, len, PAGE_SIZE);
		w->total.pages_lzjb++;
		break;
	}
	kunmap_local(dst);
	if (!err) {
		WRITE_ONCE(s->page_round[index], r1);
		w->total.bytes_in += PAGE_SIZE;
	}
out_unlock:
	unlock_page(page);
	if (!err)
		ldm_receive_arrived(s, index, r1 - 1);
	return err;
}

/* Check every record of a decrypted payload; apply them if @apply. */
static int ldm_receive_records(struct ldm_worker *w, const u8 *p, u32 bytes,
			       u32 nrecords, u32 round, bool apply,
			       const char **why)
{
	struct ldm_session *s = w->s;
	const struct ldm_record *rec;
	u32 i, len;
	int err;

	for (i = 0; i < nrecords; i++) {
		*why = "batch record is truncated";
		if (bytes < sizeof(*rec))
			return -EBADMSG;
		rec = (const void *)p;
		len = le32_to_cpu(rec->len);
		*why = "batch record names a page outside the domain";
		if (le64_to_cpu(rec->page) >= s->dom->npages)
			return -EBADMSG;
		*why = "batch record has a bad kind or length";
		if (le32_to_cpu(rec->round) != round || memchr_inv(rec->pad, 0,
								   sizeof(rec->pad)))
			return -EBADMSG;
		switch (rec->kind) {
		case LDM_REC_ZERO:
			if (len)
				return -EBADMSG;
			break;
		case LDM_REC_RAW:
			if (len != PAGE_SIZE)
				return -EBADMSG;
			break;
		case LDM_REC_LZJB:
		case LDM_REC_LZ4:
			if (!len || len >= PAGE_SIZE)
				return -EBADMSG;
			break;
		default:
			return -EBADMSG;
		}
		*why = "batch record is truncated";
		if (bytes - sizeof(*rec) < ALIGN(len, 8))
			return -EBADMSG;
		if (apply) {
			*why = "batch record does not decompress to a page";
			err = ldm_receive_apply(w, rec, rec + 1);
			if (err == -ENOMEM)
				*why = "out of memory for the domain's pages";
			if (err == -EOPNOTSUPP)
				*why = "LZ4 is not available in this kernel";
			if (err)
				return err;
		}
		p += sizeof(*rec) + ALIGN(len, 8);
		bytes -= sizeof(*rec) + ALIGN(len, 8);
	}
	*why = "batch has bytes after its last record";
	return bytes ? -EBADMSG : 0;
}

static int ldm_receive_batch(struct ldm_worker *w, const void *slot,
			     const char **why)
{
	struct ldm_session *s = w->s;
	struct ldm_batch_hdr *hdr = w->buf;
	const struct ldm_round_end *end;
	u32 len, round, nrecords;
	u16 flags;
	int err;

	/* One copy of the header: userland may change the slot under us. */
	memcpy(hdr, slot, sizeof(*hdr));
	len = le32_to_cpu(hdr->payload_bytes);
	round = le32_to_cpu(hdr->round);
	nrecords = le32_to_cpu(hdr->nrecords);
	flags = le16_to_cpu(hdr->flags);

	*why = "batch has a bad magic number";
	if (le32_to_cpu(hdr->magic) != LDM_BATCH_MAGIC)
		return -EBADMSG;
	*why = "batch version is not supported";
	if (le16_to_cpu(hdr->version) != LDM_BATCH_VERSION)
		return -EPROTONOSUPPORT;
	*why = "batch page size differs from this host's";
	if (le32_to_cpu(hdr->page_size) != PAGE_SIZE)
		return -EINVAL;
	*why = "batch has unknown flags";
	if (flags & ~LDM_BATCH_F_ROUND_END)
		return -EBADMSG;
	*why = "batch is larger than the batch size";
	if (len > s->params.batch_bytes)
		return -EMSGSIZE;
	*why = "batch round is out of range";
	if (round >= LDM_MAX_ROUNDS)
		return -ERANGE;

	/* The rest once too, after the checked header; the slot is done. */
	memcpy(hdr + 1, slot + sizeof(*hdr), len + LDM_TAG_BYTES);
	err = ldm_crypt_open(&s->crypt, w->creq, le64_to_cpu(hdr->seq), w->buf,
			     len);
	*why = err == -ENOKEY ?
	       "no key for the batch's epoch (not given yet, or retired)" :
	       "batch failed authentication (corrupted or forged)";
	if (err)
		return err;

	err = ldm_receive_replay(s, le64_to_cpu(hdr->seq));
	*why = err == -EEXIST ? "batch was replayed" :
	       "batch is older than the replay window";
	if (err)
		return err;

	if (flags & LDM_BATCH_F_ROUND_END) {
		*why = "round-end batch is malformed";
		if (nrecords || len != sizeof(*end))
			return -EBADMSG;
		end = (const void *)(hdr + 1);
		spin_lock(&s->lock);
		s->rounds[round].round_batches = le64_to_cpu(end->batches);
		s->rounds[round].batches++;
		s->nrounds = max(s->nrounds, round + 1);
		spin_unlock(&s->lock);
		w->total.batches++;
		return 0;
	}

	err = ldm_receive_records(w, (const u8 *)(hdr + 1), len, nrecords,
				  round, false, why);
	if (!err)
		err = ldm_receive_records(w, (const u8 *)(hdr + 1), len,
					  nrecords, round, true, why);
	if (err)
		return err;

	w->total.batches++;
	w->total.bytes_out += sizeof(*hdr) + len + LDM_TAG_BYTES;
	spin_lock(&s->lock);
	s->rounds[round].batches++;
	s->nrounds = max(s->nrounds, round + 1);
	spin_unlock(&s->lock);
	return 0;
}

/**
 * ldm_receive_work() - a receiving worker: process slots until none is left
 * @work: the worker's work item
 */
void ldm_receive_work(struct work_struct *work)
{
	struct ldm_worker *w = container_of(work, struct ldm_worker, work);
	struct ldm_session *s = w->s;
	u64 start = ktime_get_ns();
	const char *why;
	u64 seq;
	int err;

	while (!ldm_session_failed(s)) {
		seq = atomic64_read(&s->next_slot);
		if (seq >= atomic64_read(&s->prod_seen))
			break;
		if (atomic64_cmpxchg(&s->next_slot, seq, seq + 1) != seq)
			continue;
		err = ldm_receive_batch(w, ldm_ring_slot(s->ring, seq), &why);
		if (err) {
			ldm_session_fail(s, err, why);
			break;
		}
		ldm_ring_release(s->ring, seq);
		cond_resched();
	}
	w->total.busy_ns += ktime_get_ns() - start;
}

/**
 * ldm_receive_kick() - userland filled slots: process them
 * @s: a receiving session
 *
 * Return: 0, -ENOKEY before the session has its key, or -EPROTO when
 * userland's index is bad (the session fails).
 */
int ldm_receive_kick(struct ldm_session *s)
{
	u64 prod;
	int err;

	if (!s->keyed)
		return -ENOKEY;
	err = ldm_ring_user_filled(s->ring, &prod);
	if (err == -EPROTO)
		ldm_session_fail(s, err, "ring producer index out of range");
	if (err)
		return err;
	/* Published before queueing: a running worker is queued again. */
	atomic64_set(&s->prod_seen, prod);
	ldm_workers_queue(s->workers, s->params.workers);
	return 0;
}

/**
 * ldm_receive_ioctl_applied() - LDM_IOC_APPLIED: the pages the target has
 * @dom: the domain, with a receiving session
 * @file: the caller's open file, which must own the session
 * @uarg: user's &struct ldm_page_set
 *
 * Reports every page whose latest applied record is of round @round or
 * later. A record being applied meanwhile may or may not be counted;
 * the caller asks once the ring is drained, when nothing is.
 *
 * Return: 0, -EFAULT, -EINVAL for bad flags or a short buffer, -ENODEV
 * without a receiving session, -EPERM when @file does not own it, -ENOMEM.
 */
long ldm_receive_ioctl_applied(struct ldm_domain *dom, struct file *file,
			       struct ldm_page_set __user *uarg)
{
	struct ldm_page_set arg;
	struct ldm_session *s;
	unsigned long *bits;
	pgoff_t i;
	long ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || !ldm_pagebits_user_fits(arg.bitmap_bytes, dom->npages))
		return -EINVAL;
	bits = ldm_pagebits_alloc(dom->npages);
	if (!bits)
		return -ENOMEM;

	mutex_lock(&dom->session_lock);
	s = ldm_session_of(dom, file);
	if (IS_ERR(s)) {
		ret = PTR_ERR(s);
	} else if (s->sending) {
		ret = -ENODEV;
	} else {
		arg.count = 0;
		for (i = 0; i < dom->npages; i++) {
			/* page_round is 1 + the round applied, 0 for none. */
			if (READ_ONCE(s->page_round[i]) > arg.round) {
				__set_bit(i, bits);
				arg.count++;
			}
			if (!(i % 4096))
				cond_resched();
		}
	}
	mutex_unlock(&dom->session_lock);
	if (!ret)
		ret = ldm_pagebits_to_user(arg.bitmap, bits, dom->npages);
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
	ldm_pagebits_free(bits);
	return ret;
}

static_assert(sizeof(struct ldm_postcopy_requests) == 504);

/*
 * Drop every mapping of the missing pages, run by run: an access to one
 * faults from now on, and waits (node.c), rather than read the older copy
 * an earlier round left.
 */
static void ldm_receive_unmap_missing(struct ldm_domain *dom,
				      const unsigned long *missing)
{
	struct address_space *mapping = dom->inode->i_mapping;
	pgoff_t start = 0, end;

	for (;;) {
		start = find_next_bit(missing, dom->npages, start);
		if (start >= dom->npages)
			break;
		end = find_next_zero_bit(missing, dom->npages, start);
		unmap_mapping_pages(mapping, start, end - start, false);
		start = end;
		cond_resched();
	}
}

/**
 * ldm_receive_ioctl_postcopy() - LDM_IOC_POSTCOPY: the pages still to come
 * @dom: the domain, with a receiving session
 * @file: the caller's open file, which must own the session
 * @uarg: user's &struct ldm_page_set: the missing pages and the round
 *	whose records bring them
 *
 * Return: 0, -EFAULT, -EINVAL for flags, a round out of range or a short
 * buffer, -ENODEV without a receiving session, -EPERM when @file does not
 * own it, -EBUSY when the domain entered post-copy before, -ENOMEM.
 */
long ldm_receive_ioctl_postcopy(struct ldm_domain *dom, struct file *file,
				struct ldm_page_set __user *uarg)
{
	struct ldm_postcopy *pc;
	struct ldm_page_set arg;
	struct ldm_session *s;
	long ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.round >= LDM_MAX_ROUNDS ||
	    !ldm_pagebits_user_fits(arg.bitmap_bytes, dom->npages))
		return -EINVAL;
	pc = ldm_postcopy_create(dom->npages, arg.bitmap, arg.round);
	if (IS_ERR(pc))
		return PTR_ERR(pc);

	mutex_lock(&dom->session_lock);
	s = ldm_session_of(dom, file);
	if (IS_ERR(s))
		ret = PTR_ERR(s);
	else if (s->sending)
		ret = -ENODEV;
	else if (dom->postcopy)
		ret = -EBUSY;
	if (!ret) {
		/* The bits before the pointer: a fault sees both or neither. */
		smp_store_release(&dom->postcopy, pc);
		ldm_receive_unmap_missing(dom, pc->missing);
	}
	mutex_unlock(&dom->session_lock);
	if (ret) {
		ldm_postcopy_free(pc);
		return ret;
	}
	arg.count = atomic_long_read(&pc->nmissing);
	pr_info("ldm: %s: post-copy: %llu pages to come with round %u\n",
		dom->name, arg.count, arg.round);
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/**
 * ldm_receive_ioctl_requests() - LDM_IOC_POSTCOPY_REQUESTS: the pages
 * faults wait for
 * @dom: the domain, with a receiving session in post-copy
 * @file: the caller's open file, which must own the session
 * @uarg: user's &struct ldm_postcopy_requests
 *
 * Return: 0, -EFAULT, -EINVAL for flags, -ENODEV without a receiving
 * session in post-copy, -EPERM when @file does not own it.
 */
long ldm_receive_ioctl_requests(struct ldm_domain *dom, struct file *file,
				struct ldm_postcopy_requests __user *uarg)
{
	struct ldm_postcopy_requests arg;
	struct ldm_postcopy *pc = NULL;
	struct ldm_session *s;
	long ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags)
		return -EINVAL;
	mutex_lock(&dom->session_lock);
	s = ldm_session_of(dom, file);
	if (IS_ERR(s))
		ret = PTR_ERR(s);
	else if (s->sending || !dom->postcopy)
		ret = -ENODEV;
	else
		pc = dom->postcopy;
	mutex_unlock(&dom->session_lock);
	if (ret)
		return ret;
	/* The state lives as long as the domain, which @file holds. */
	memset(&arg, 0, sizeof(arg));
	arg.count = ldm_postcopy_take_asked(pc, arg.pages,
					    LDM_POSTCOPY_REQ_MAX);
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}
