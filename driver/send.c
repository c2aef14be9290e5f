// SPDX-License-Identifier: GPL-2.0
/*
 * The sending side.
 *
 * A round takes the pages to send (round 0: every resident page; later
 * rounds: the pages dirtied since the previous harvest), cuts them into
 * chunks, and queues every worker. Each worker pulls chunks and, for each
 * page, reads it once, straight from guest RAM into the batch it is
 * building in its own private buffer:
 *
 *   zero page?  -> zero record (round 0: nothing; the target starts zeroed)
 *   compressed (the round's codec: LZJB, LZ4 or none) fits in
 *   raw_threshold bytes? -> compressed record, else raw record
 *
 * A full batch is sealed (AES-256-GCM) in place in that private buffer,
 * then copied into the next free ring slot and published: a slot, which
 * userland can map and write, only ever holds sealed bytes, and nothing
 * is read back from it (crypt.c says why the AEAD never works on a slot). The
 * last worker to finish a round appends a sealed round-end batch carrying
 * the round's batch count, so the receiver knows when it has the whole
 * round.
 *
 * The guest may run during a round: a page may change while it is read.
 * That is harmless: it was write-protected by the harvest before it was
 * read, so any write to it is reported by the next harvest and the page is
 * sent again. The final round runs with the domain suspended.
 *
 * The baseline mode (LDM_MIG_F_BASELINE) reproduces the design before
 * this one, for benchmarks: pages are first copied to a bounce buffer and
 * zero pages are not detected.
 */

#include <linux/bitmap.h>
#include <linux/crypto.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/netlink.h>
#include <linux/string.h>
#include <linux/wait_bit.h>

#include "crypt.h"
#include "dirty.h"
#include "domain.h"
#include "lzjb.h"
#include "pagebits.h"
#include "ring.h"
#include "send.h"
#include "session.h"
#include "urgent.h"

/* Userland gives each epoch's key before a worker can need it. */
static const char ldm_send_nokey[] =
	"no key for a batch's epoch (LDM_IOC_SESSION_REKEY came too late)";

/*
 * Seal the worker's batch into the next ring slot and hand it to userland.
 * The header is filled here, from kernel state only: the slot's sequence
 * number (so the nonce) and the payload length are never read back from
 * anything userland can write.
 */
static int ldm_send_seal(struct ldm_worker *w, u32 flags)
{
	struct ldm_session *s = w->s;
	struct ldm_batch_hdr *hdr = w->buf;
	void *slot;
	u64 seq;
	int err;

	w->filling = false;
	err = ldm_ring_reserve(s->ring, &seq);
	if (err)
		return err;
	hdr->magic = cpu_to_le32(LDM_BATCH_MAGIC);
	hdr->version = cpu_to_le16(LDM_BATCH_VERSION);
	hdr->flags = cpu_to_le16(flags);
	hdr->round = cpu_to_le32(s->round - 1);
	hdr->nrecords = cpu_to_le32(w->nrec);
	hdr->seq = cpu_to_le64(seq);
	hdr->payload_bytes = cpu_to_le32(w->used);
	hdr->page_size = cpu_to_le32(PAGE_SIZE);

	slot = ldm_ring_slot(s->ring, seq);
	err = ldm_crypt_seal(&s->crypt, w->creq, seq, w->buf, w->used);
	/*
	 * Only sealed bytes reach the slot. Published even on failure, so
	 * the ring does not stall behind it, but zeroed: a zero magic makes
	 * any receiver reject it.
	 */
	if (err)
		memset(slot, 0, s->ring->slot_bytes);
	else
		memcpy(slot, w->buf, sizeof(*hdr) + w->used + LDM_TAG_BYTES);
	ldm_ring_publish(s->ring, seq);
	if (err)
		return err;
	w->round.batches++;
	w->round.bytes_out += sizeof(*hdr) + w->used + LDM_TAG_BYTES;
	return 0;
}

/* Make room in the worker's batch for a record of up to @need bytes. */
static int ldm_send_room(struct ldm_worker *w, u32 need)
{
	int err;

	if (w->filling && w->used + need <= w->s->params.batch_bytes)
		return 0;
	if (w->filling) {
		err = ldm_send_seal(w, 0);
		if (err)
			return err;
	}
	w->filling = true;
	w->used = 0;
	w->nrec = 0;
	return 0;
}

static void *ldm_send_record(struct ldm_worker *w, pgoff_t index, u8 kind,
			     u32 len)
{
	struct ldm_record *rec = w->buf + sizeof(struct ldm_batch_hdr) +
				 w->used;

	rec->page = cpu_to_le64(index);
	rec->round = cpu_to_le32(w->s->round - 1);
	rec->len = cpu_to_le32(len);
	rec->kind = kind;
	memset(rec->pad, 0, sizeof(rec->pad));
	return rec + 1;
}

/* Account a record of @len data bytes and zero its padding. */
static void ldm_send_commit(struct ldm_worker *w, u32 len)
{
	u8 *data = w->buf + sizeof(struct ldm_batch_hdr) + w->used +
		   sizeof(struct ldm_record);

	memset(data + len, 0, ALIGN(len, 8) - len);
	w->used += sizeof(struct ldm_record) + ALIGN(len, 8);
	w->nrec++;
}

/*
 * Compress a page with the round's codec into @dst, at most raw_threshold
 * bytes. Return: the compressed length and its record kind, or PAGE_SIZE
 * when it does not fit (or the round sends pages as they are).
 */
static size_t ldm_send_compress(struct ldm_worker *w, const void *src,
				void *dst, u8 *kind)
{
	unsigned int dlen = w->s->params.raw_threshold;
	size_t clen;

	/* LDM_CMD_MIGRATE_SET may change it under us: any value is valid. */
	switch (READ_ONCE(w->s->codec)) {
	case LDM_CODEC_LZ4:
		/* Checked when the round started: every worker has one. */
		if (crypto_comp_compress(w->lz4, src, PAGE_SIZE, dst, &dlen) ||
		    dlen >= PAGE_SIZE)
			return PAGE_SIZE;
		*kind = LDM_REC_LZ4;
		w->round.pages_lz4++;
		return dlen;
	case LDM_CODEC_NONE:
		return PAGE_SIZE;
	default:
		clen = lzjb_compress(src, dst, PAGE_SIZE, dlen);
		if (clen >= PAGE_SIZE)
			return PAGE_SIZE;
		*kind = LDM_REC_LZJB;
		w->round.pages_lzjb++;
		return clen;
	}
}

static int ldm_send_page(struct ldm_worker *w, pgoff_t index)
{
	struct ldm_session *s = w->s;
	bool baseline = s->params.flags & LDM_MIG_F_BASELINE;
	struct page *page;
	size_t clen;
	void *src, *data;
	u8 kind;
	int err;

	page = ldm_mem_lookup(&s->dom->mem, index);
	if (WARN_ON_ONCE(!page))	/* round pages are resident */
		return -EINVAL;

	err = ldm_send_room(w, sizeof(struct ldm_record) + PAGE_SIZE);
	if (err)
		return err;

	src = kmap_local_page(page);
	w->round.bytes_in += PAGE_SIZE;
	if (baseline) {
		memcpy(w->bounce, src, PAGE_SIZE);
		kunmap_local(src);
		src = w->bounce;
	} else if (!memchr_inv(src, 0, PAGE_SIZE)) {
		kunmap_local(src);
		if (s->round == 1) {
			w->round.pages_skipped++;
			return 0;
		}
		ldm_send_record(w, index, LDM_REC_ZERO, 0);
		ldm_send_commit(w, 0);
		w->round.pages_zero++;
		return 0;
	}

	/* The raw record fits too, so compress straight into the batch. */
	data = ldm_send_record(w, index, LDM_REC_RAW, 0);
	clen = ldm_send_compress(w, src, data, &kind);
	if (clen < PAGE_SIZE) {
		ldm_send_record(w, index, kind, clen);
	} else {
		clen = PAGE_SIZE;
		memcpy(data, src, PAGE_SIZE);
		ldm_send_record(w, index, LDM_REC_RAW, clen);
		w->round.pages_raw++;
	}
	if (!baseline)
		kunmap_local(src);
	ldm_send_commit(w, clen);
	return 0;
}

/*
 * Post-copy: send every page the target asked for and no worker took,
 * then seal the batch, so that they leave now rather than when it fills.
 */
static int ldm_send_urgent(struct ldm_worker *w)
{
	struct ldm_session *s = w->s;
	bool sent = false;
	pgoff_t index;
	int err;

	while (ldm_urgent_next(&s->urgent, s->dom->npages, &index)) {
		err = ldm_send_page(w, index);
		if (err)
			return err;
		sent = true;
	}
	return sent && w->filling ? ldm_send_seal(w, 0) : 0;
}

/* The last worker of a round: fold the counters, send the round end. */
static void ldm_send_round_end(struct ldm_worker *w)
{
	struct ldm_session *s = w->s;
	struct ldm_round_end *end;
	struct ldm_stats sum = {};
	unsigned int i;
	int err;

	for (i = 0; i < s->params.workers; i++) {
		ldm_stats_add(&sum, &s->workers[i].round);
		ldm_stats_add(&s->workers[i].total, &s->workers[i].round);
		memset(&s->workers[i].round, 0, sizeof(s->workers[i].round));
	}

	/* The worker sealed its own last batch before it got here. */
	end = w->buf + sizeof(struct ldm_batch_hdr);
	end->batches = cpu_to_le64(sum.batches + 1);
	end->pages = cpu_to_le64(sum.pages_zero + sum.pages_lzjb +
				 sum.pages_lz4 + sum.pages_raw);
	w->used = sizeof(*end);
	w->nrec = 0;
	err = ldm_send_seal(w, LDM_BATCH_F_ROUND_END);
	w->total.batches += w->round.batches;
	w->total.bytes_out += w->round.bytes_out;
	ldm_stats_add(&sum, &w->round);
	memset(&w->round, 0, sizeof(w->round));
	if (err)
		ldm_session_fail(s, err, err == -ENOKEY ? ldm_send_nokey :
				 "cannot send the round-end batch");

	sum.time_ns = ktime_to_ns(ktime_sub(ktime_get(), s->round_start));
	spin_lock(&s->lock);
	s->rounds[s->nrounds++] = sum;
	spin_unlock(&s->lock);
	/* The round's results before "not busy": the next round may start. */
	smp_store_release(&s->round_busy, false);
	wake_up_var(&s->round_busy);
}

/**
 * ldm_send_work() - a sending worker: pull chunks until none is left
 * @work: the worker's work item
 */
void ldm_send_work(struct work_struct *work)
{
	struct ldm_worker *w = container_of(work, struct ldm_worker, work);
	struct ldm_session *s = w->s;
	bool postcopy = s->postcopy_round;
	pgoff_t npages = s->dom->npages;
	u64 start = ktime_get_ns();
	unsigned long index, end;
	int err = 0;
	u32 chunk;

	while (!err && !ldm_session_failed(s)) {
		if (!postcopy) {
			chunk = atomic_inc_return(&s->next_chunk) - 1;
			if (chunk >= s->nchunks)
				break;
		} else if (!ldm_urgent_next_chunk(&s->urgent, &chunk)) {
			break;
		}
		index = (unsigned long)chunk * LDM_CHUNK_PAGES;
		end = min_t(unsigned long, index + LDM_CHUNK_PAGES, npages);
		for_each_set_bit_from(index, s->round_bits, end) {
			if (postcopy) {
				err = ldm_send_urgent(w);
				if (err)
					break;
				if (!ldm_urgent_take(&s->urgent, index))
					continue;
			}
			err = ldm_send_page(w, index);
			if (err)
				break;
		}
		cond_resched();
	}
	if (!err && postcopy)
		err = ldm_send_urgent(w);
	if (!err && w->filling)
		err = ldm_send_seal(w, 0);
	w->filling = false;
	if (err)
		ldm_session_fail(s, err, err == -ECANCELED ?
				 "migration cancelled" :
				 err == -EPROTO ?
				 "ring consumer index out of range" :
				 err == -ENOKEY ? ldm_send_nokey :
				 "cannot seal a batch");
	w->round.busy_ns += ktime_get_ns() - start;

	if (atomic_dec_and_test(&s->active))
		ldm_send_round_end(w);
}

static bool ldm_send_busy(struct ldm_session *s)
{
	/* Pairs with ldm_send_round_end(): its counters are complete. */
	return smp_load_acquire(&s->round_busy);
}

/*
 * Between rounds? Userland sees a round-end batch a moment before its
 * worker has finished with the round: give that tail up to 100 ms.
 */
static bool ldm_send_idle(struct ldm_session *s)
{
	return !ldm_send_busy(s) ||
	       wait_var_event_timeout(&s->round_busy, !ldm_send_busy(s),
				      HZ / 10);
}

/* A sending session that has not failed; session_lock held. */
static int ldm_send_usable(struct ldm_session *s,
			   struct netlink_ext_ack *extack)
{
	if (!s || !s->sending) {
		NL_SET_ERR_MSG(extack, "domain has no sending session");
		return -ENOENT;
	}
	if (ldm_session_failed(s)) {
		NL_SET_ERR_MSG(extack, "the migration failed");
		return -s->error;
	}
	if (!s->keyed) {
		NL_SET_ERR_MSG(extack,
			       "the session has no key yet (LDM_IOC_SESSION_KEY)");
		return -ENOKEY;
	}
	return 0;
}

/* LZ4 needs a compressor per worker; a kernel without LZ4 has none. */
static int ldm_send_codec_ok(struct ldm_session *s, u32 codec,
			     struct netlink_ext_ack *extack)
{
	unsigned int i;

	for (i = 0; codec == LDM_CODEC_LZ4 && i < s->params.workers; i++) {
		if (!s->workers[i].lz4) {
			NL_SET_ERR_MSG(extack, "LZ4 is not available in this kernel");
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/**
 * ldm_send_round() - harvest and start the next round of a session
 * @dom: the domain, with a sending session
 * @codec: &enum ldm_codec for this round
 * @flags: &enum ldm_round_flags
 * @round: out: the round number started
 * @pages: out: pages in it
 * @extack: where to say why it failed
 *
 * Round 0 write-protects every mapping (a harvest), then takes every
 * resident page; later rounds take the harvested pages, plus, with
 * %LDM_ROUND_F_RESEND, the pages of the previous round again (the round's
 * page set is kept until the next round starts for that). Returns once
 * the workers are queued; the batches follow in the ring.
 *
 * Return: 0, -ENOENT without a sending session, -EBUSY while the previous
 * round runs, -ERANGE past %LDM_MAX_ROUNDS, -EOPNOTSUPP for LZ4 without
 * LZ4, or the session's error.
 */
int ldm_send_round(struct ldm_domain *dom, u32 codec, u32 flags,
		   u32 *round, u64 *pages, struct netlink_ext_ack *extack)
{
	struct ldm_session *s;
	struct page *page;
	unsigned long index;
	int err;

	mutex_lock(&dom->session_lock);
	s = dom->session;
	err = ldm_send_usable(s, extack);
	if (!err && !ldm_send_idle(s)) {
		NL_SET_ERR_MSG(extack, "the previous round is still running");
		err = -EBUSY;
	} else if (!err && s->round >= LDM_MAX_ROUNDS) {
		NL_SET_ERR_MSG(extack, "too many rounds");
		err = -ERANGE;
	}
	if (!err)
		err = ldm_send_codec_ok(s, codec, extack);
	if (!err && flags & LDM_ROUND_F_POSTCOPY && !s->urgent.taken)
		err = ldm_urgent_init(&s->urgent, dom->npages,
				      DIV_ROUND_UP(dom->npages,
						   LDM_CHUNK_PAGES));
	if (err)
		goto out_unlock;

	/* The harvest adds its pages to what is already in round_bits. */
	if (!(flags & LDM_ROUND_F_RESEND))
		bitmap_zero(s->round_bits, dom->npages);
	mutex_lock(&dom->dirty.harvest_lock);
	ldm_dirty_harvest(&dom->dirty, s->round_bits);
	mutex_unlock(&dom->dirty.harvest_lock);
	if (!s->round) {
		/*
		 * Harvested first: writes from now on are seen next round. A
		 * resend of round 0 needs no such walk: round_bits still holds
		 * its pages (less what LDM_IOC_RESEND_SKIP took out), and a
		 * page allocated since was written, so harvested, or only
		 * read, so zero, as the target's is.
		 */
		xa_for_each(&dom->mem.pages, index, page)
			__set_bit(index, s->round_bits);
	}

	WRITE_ONCE(s->codec, codec);
	*round = s->round++;
	*pages = bitmap_weight(s->round_bits, dom->npages);
	s->round_start = ktime_get();
	s->nchunks = DIV_ROUND_UP(dom->npages, LDM_CHUNK_PAGES);
	atomic_set(&s->next_chunk, 0);
	s->postcopy_round = flags & LDM_ROUND_F_POSTCOPY;
	if (s->postcopy_round)
		ldm_urgent_begin(&s->urgent, dom->npages);
	atomic_set(&s->active, s->params.workers);
	s->round_busy = true;
	ldm_workers_queue(s->workers, s->params.workers);

out_unlock:
	mutex_unlock(&dom->session_lock);
	return err;
}

/**
 * ldm_send_set_codec() - change the codec of a sending session
 * @dom: the domain
 * @codec: &enum ldm_codec, used by the workers from their next page on
 * @extack: where to say why it failed
 *
 * The round's records each name their own kind, so a round may mix
 * codecs; the next round starts with the codec MIGRATE_ROUND gives it.
 *
 * Return: 0, -ENOENT without a sending session, -EOPNOTSUPP for LZ4
 * without LZ4, or the session's error.
 */
int ldm_send_set_codec(struct ldm_domain *dom, u32 codec,
		       struct netlink_ext_ack *extack)
{
	struct ldm_session *s;
	int err;

	mutex_lock(&dom->session_lock);
	s = dom->session;
	err = ldm_send_usable(s, extack);
	if (!err)
		err = ldm_send_codec_ok(s, codec, extack);
	if (!err)
		WRITE_ONCE(s->codec, codec);
	mutex_unlock(&dom->session_lock);
	return err;
}

static_assert(sizeof(struct ldm_page_set) == 32);

/**
 * ldm_send_ioctl_round_pages() - LDM_IOC_ROUND_PAGES: the current round's
 * pages
 * @dom: the domain, with a sending session
 * @file: the caller's open file, which must own the session
 * @uarg: user's &struct ldm_page_set; @round names the round last started
 *
 * Return: 0, -EFAULT, -EINVAL for flags, another round or a short buffer,
 * -ENODEV without a sending session, -EPERM when @file does not own it,
 * -ENOMEM.
 */
long ldm_send_ioctl_round_pages(struct ldm_domain *dom, struct file *file,
				struct ldm_page_set __user *uarg)
{
	struct ldm_page_set arg;
	struct ldm_session *s;
	unsigned long *bits;
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
	if (IS_ERR(s))
		ret = PTR_ERR(s);
	else if (!s->sending)
		ret = -ENODEV;
	else if (!s->round || arg.round != s->round - 1)
		ret = -EINVAL;
	else
		/* Workers only read it; the next round rewrites it. */
		bitmap_copy(bits, s->round_bits, dom->npages);
	mutex_unlock(&dom->session_lock);
	if (!ret) {
		arg.count = bitmap_weight(bits, dom->npages);
		ret = ldm_pagebits_to_user(arg.bitmap, bits, dom->npages);
	}
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
	ldm_pagebits_free(bits);
	return ret;
}

/**
 * ldm_send_ioctl_urgent() - LDM_IOC_URGENT: pages the target waits for
 * @dom: the domain, with a sending session running a post-copy round
 * @file: the caller's open file, which must own the session
 * @uarg: user's &struct ldm_postcopy_requests, @count pages in @pages
 *
 * The pages go ahead of the rest of the round (urgent.c). @count returns
 * how many were newly asked for: a page not in the round, or already on
 * its way, is not.
 *
 * Return: 0, -EFAULT, -EINVAL for flags, a count over
 * %LDM_POSTCOPY_REQ_MAX or outside a post-copy round, -ENODEV without a
 * sending session, -EPERM when @file does not own it.
 */
long ldm_send_ioctl_urgent(struct ldm_domain *dom, struct file *file,
			   struct ldm_postcopy_requests __user *uarg)
{
	struct ldm_postcopy_requests arg;
	struct ldm_session *s;
	long ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.count > LDM_POSTCOPY_REQ_MAX)
		return -EINVAL;
	mutex_lock(&dom->session_lock);
	s = ldm_session_of(dom, file);
	if (IS_ERR(s))
		ret = PTR_ERR(s);
	else if (!s->sending)
		ret = -ENODEV;
	else if (!ldm_send_busy(s) || !s->postcopy_round)
		ret = -EINVAL;
	else
		arg.count = ldm_urgent_ask(&s->urgent, s->round_bits,
					   dom->npages, arg.pages, arg.count,
					   LDM_CHUNK_PAGES);
	mutex_unlock(&dom->session_lock);
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
	return ret;
}

/**
 * ldm_send_ioctl_resend_skip() - LDM_IOC_RESEND_SKIP: leave out of
 * the next resend the pages the target already has
 * @dom: the domain, with a sending session between two rounds
 * @file: the caller's open file, which must own the session
 * @uarg: user's &struct ldm_page_set
 *
 * Clears the set's pages from the last round's pages, which a round
 * flagged %LDM_ROUND_F_RESEND sends again. Pages written since are in
 * the next harvest whatever this says, so a wrong set can only make the
 * target miss a page it claimed to have.
 *
 * Return: 0, -EFAULT, -EINVAL for bad fields or a short buffer, -ENODEV
 * without a sending session, -EPERM when @file does not own it, -EBUSY
 * while a round runs, -ENOMEM.
 */
long ldm_send_ioctl_resend_skip(struct ldm_domain *dom, struct file *file,
				struct ldm_page_set __user *uarg)
{
	struct ldm_page_set arg;
	struct ldm_session *s;
	unsigned long *bits;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.round ||
	    !ldm_pagebits_user_fits(arg.bitmap_bytes, dom->npages))
		return -EINVAL;
	bits = ldm_pagebits_alloc(dom->npages);
	if (!bits)
		return -ENOMEM;
	ret = ldm_pagebits_from_user(bits, arg.bitmap, dom->npages);
	if (ret)
		goto out_free;

	mutex_lock(&dom->session_lock);
	s = ldm_session_of(dom, file);
	if (IS_ERR(s)) {
		ret = PTR_ERR(s);
	} else if (!s->sending) {
		ret = -ENODEV;
	} else if (!ldm_send_idle(s)) {
		ret = -EBUSY;
	} else {
		bitmap_and(bits, bits, s->round_bits, dom->npages);
		arg.count = bitmap_weight(bits, dom->npages);
		bitmap_andnot(s->round_bits, s->round_bits, bits, dom->npages);
	}
	mutex_unlock(&dom->session_lock);
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
out_free:
	ldm_pagebits_free(bits);
	return ret;
}
