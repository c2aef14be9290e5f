// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty-page tracking.
 *
 * Every mapping of a domain shares one address_space (the domain's inode,
 * see node.c), and every PTE starts read-only because the VMA has a
 * page_mkwrite handler (write-notify). The first write to a page after it
 * was mapped or write-protected faults into page_mkwrite, which sets the
 * page's bit; later writes go straight to memory until the next harvest.
 *
 * A harvest takes the set bits and re-arms tracking by write-protecting the
 * domain's mappings (wp_shared_mapping_range()). The contract: a write that
 * lands after a harvest returns is reported by a later harvest. It holds
 * because of two orderings:
 *
 *  - The bits are cleared before the write-protect pass. A write between
 *    the two goes through a still-writable PTE unseen, but its page was in
 *    this harvest, and readers read the pages only after the harvest. Done
 *    the other way round, a write between write-protect and clearing would
 *    set a bit that the clearing then throws away.
 *
 *  - Each bit is cleared with its page locked. The fault path calls
 *    page_mkwrite (which sets the bit and returns with the page locked)
 *    before it installs the writable PTE, and unlocks the page only after.
 *    Without the lock, a harvest could clear the bit and write-protect in
 *    that gap; the PTE installed afterwards would be writable with no bit
 *    set, and every write through it would be lost.
 *
 * Pages written through a pinned reference (get_user_pages) after the pin
 * are not seen; no ldm user pins guest RAM.
 */

#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/ldm.h>

#include "dirty.h"
#include "mem.h"
#include "pagebits.h"

/* The ioctl ABI is the same for 32-bit and 64-bit callers. */
static_assert(sizeof(struct ldm_harvest) == 32);

/**
 * ldm_dirty_init() - set up tracking for a domain, all pages clean
 * @dirty: the tracker
 * @npages: size of the domain in pages
 * @mem: the domain's pages
 * @mapping: the address_space of every mapping of the domain
 *
 * Return: 0 or -ENOMEM.
 */
int ldm_dirty_init(struct ldm_dirty *dirty, pgoff_t npages,
		   struct ldm_mem *mem, struct address_space *mapping)
{
	dirty->bitmap = ldm_pagebits_alloc(npages);
	if (!dirty->bitmap)
		return -ENOMEM;
	dirty->npages = npages;
	dirty->mem = mem;
	dirty->mapping = mapping;
	mutex_init(&dirty->harvest_lock);
	return 0;
}

/**
 * ldm_dirty_free() - release a tracker
 * @dirty: the tracker
 */
void ldm_dirty_free(struct ldm_dirty *dirty)
{
	ldm_pagebits_free(dirty->bitmap);
	dirty->bitmap = NULL;
	mutex_destroy(&dirty->harvest_lock);
}

/**
 * ldm_dirty_mark() - record a write to a page
 * @dirty: the tracker
 * @page: the page, locked by the caller
 * @index: its index in the domain
 *
 * Called from page_mkwrite, before the writable PTE is installed; the
 * caller keeps @page locked until it is.
 */
void ldm_dirty_mark(struct ldm_dirty *dirty, struct page *page, pgoff_t index)
{
	VM_WARN_ON_ONCE_PAGE(!PageLocked(page), page);
	set_bit(index, dirty->bitmap);
}

/**
 * ldm_dirty_count() - number of pages the next harvest would report now
 * @dirty: the tracker
 *
 * Return: the number of set bits; racy by nature while the guest runs.
 */
unsigned long ldm_dirty_count(struct ldm_dirty *dirty)
{
	return bitmap_weight(dirty->bitmap, dirty->npages);
}

/**
 * ldm_dirty_claim() - give the dirty bits to a migration session, or back
 * @dirty: the tracker
 * @claimed: true when a session starts, false when it ends
 *
 * While claimed, only the session's rounds harvest: a harvest from
 * userland would take bits a round needs, and the page would never be
 * sent again.
 */
void ldm_dirty_claim(struct ldm_dirty *dirty, bool claimed)
{
	mutex_lock(&dirty->harvest_lock);
	dirty->claimed = claimed;
	mutex_unlock(&dirty->harvest_lock);
}

/**
 * ldm_dirty_harvest() - take the pages written since the last harvest
 * @dirty: the tracker
 * @out: a zeroed bitmap of @dirty->npages bits; receives the pages
 *
 * Clears each set bit under its page lock, then write-protects every
 * mapping of the domain so that the next write to any page is seen. The
 * caller holds @dirty->harvest_lock.
 *
 * Return: the number of pages reported.
 */
int ldm_dirty_harvest(struct ldm_dirty *dirty, unsigned long *out)
{
	unsigned long index;
	struct page *page;
	int count = 0;

	lockdep_assert_held(&dirty->harvest_lock);

	for_each_set_bit(index, dirty->bitmap, dirty->npages) {
		/* A bit is only ever set on a page that was faulted in. */
		page = ldm_mem_lookup(dirty->mem, index);
		if (WARN_ON_ONCE(!page)) {
			clear_bit(index, dirty->bitmap);
			continue;
		}
		lock_page(page);
		if (test_and_clear_bit(index, dirty->bitmap)) {
			__set_bit(index, out);
			count++;
		}
		unlock_page(page);
		cond_resched();
	}

	/*
	 * Only pages whose bit was set can have a writable PTE, but one pass
	 * over the whole range costs a single page-table walk and TLB flush
	 * per mapping, where per-range passes would flush once per run.
	 */
	if (count)
		wp_shared_mapping_range(dirty->mapping, 0, dirty->npages);
	return count;
}

/* Give harvested bits back after a failed copy-out: nothing may be lost. */
static void ldm_dirty_restore(struct ldm_dirty *dirty, const unsigned long *bits)
{
	unsigned long index;

	/* set_bit, not bitmap_or: page_mkwrite sets bits in the same words. */
	for_each_set_bit(index, bits, dirty->npages)
		set_bit(index, dirty->bitmap);
}

/**
 * ldm_dirty_ioctl_harvest() - LDM_IOC_HARVEST: harvest into a user bitmap
 * @dirty: the domain's tracker
 * @uarg: user's &struct ldm_harvest
 *
 * If any copy fails the harvested pages are put back, so a bad buffer
 * costs a spurious report at worst, never a lost page.
 *
 * Return: 0, -EFAULT, -EINVAL for bad flags or a short buffer, -EBUSY
 * while a migration session owns the bits, -ENOMEM.
 */
long ldm_dirty_ioctl_harvest(struct ldm_dirty *dirty,
			     struct ldm_harvest __user *uarg)
{
	struct ldm_harvest arg;
	unsigned long *bits;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.pad ||
	    !ldm_pagebits_user_fits(arg.bitmap_bytes, dirty->npages))
		return -EINVAL;
	bits = ldm_pagebits_alloc(dirty->npages);
	if (!bits)
		return -ENOMEM;

	mutex_lock(&dirty->harvest_lock);
	if (dirty->claimed) {
		mutex_unlock(&dirty->harvest_lock);
		ret = -EBUSY;
		goto out_free;
	}
	arg.dirty = ldm_dirty_harvest(dirty, bits);
	mutex_unlock(&dirty->harvest_lock);
	/*
	 * Copied out without harvest_lock: a fault in copy_to_user() takes
	 * mmap_lock, which is taken before harvest_lock (domain.c).
	 */
	ret = ldm_pagebits_to_user(arg.bitmap, bits, dirty->npages);
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
	if (ret) {
		mutex_lock(&dirty->harvest_lock);
		ldm_dirty_restore(dirty, bits);
		mutex_unlock(&dirty->harvest_lock);
	}
out_free:
	ldm_pagebits_free(bits);
	return ret;
}
