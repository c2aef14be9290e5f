/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dirty-page tracking of a domain's guest RAM.
 */
#ifndef _LDM_DIRTY_H
#define _LDM_DIRTY_H

#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct ldm_domain;
struct ldm_harvest;

/**
 * struct ldm_dirty - which pages were written since the last harvest
 * @bitmap: one bit per page. A bit is set by page_mkwrite and cleared by a
 *	harvest, both with the page locked (see dirty.c for why).
 * @npages: number of bits in @bitmap
 * @harvest_lock: serialises harvests, so that each write-protect pass
 *	follows the clearing of the bits it re-arms; guards @claimed
 * @claimed: a migration session owns the bits; LDM_IOC_HARVEST is refused
 */
struct ldm_dirty {
	unsigned long *bitmap;
	pgoff_t npages;
	struct mutex harvest_lock;	/* serialises harvests */
	bool claimed;
};

/*
 * A bitmap of one bit per page: 2 MiB for 64 GiB, past what kmalloc()
 * reliably gives, so it may come from vmalloc.
 */
static inline unsigned long *ldm_bitmap_alloc(pgoff_t nbits)
{
	return kvcalloc(BITS_TO_LONGS(nbits), sizeof(unsigned long),
			GFP_KERNEL_ACCOUNT);
}

static inline void ldm_bitmap_free(unsigned long *bitmap)
{
	kvfree(bitmap);
}

int ldm_dirty_init(struct ldm_dirty *dirty, pgoff_t npages);
void ldm_dirty_free(struct ldm_dirty *dirty);
void ldm_dirty_mark(struct ldm_dirty *dirty, struct page *page, pgoff_t index);
unsigned long ldm_dirty_count(struct ldm_dirty *dirty);
void ldm_dirty_claim(struct ldm_dirty *dirty, bool claimed);
int ldm_dirty_harvest(struct ldm_domain *dom, unsigned long *out);
long ldm_dirty_ioctl_harvest(struct ldm_domain *dom,
			     struct ldm_harvest __user *uarg);

#endif /* _LDM_DIRTY_H */
