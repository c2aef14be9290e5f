/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dirty-page tracking of a domain's guest RAM.
 */
#ifndef _LDM_DIRTY_H
#define _LDM_DIRTY_H

#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct address_space;
struct ldm_harvest;
struct ldm_mem;

/**
 * struct ldm_dirty - which pages were written since the last harvest
 * @bitmap: one bit per page. A bit is set by page_mkwrite and cleared by a
 *	harvest, both with the page locked (see dirty.c for why).
 * @npages: number of bits in @bitmap
 * @mem: the domain's pages, whose locks order a harvest against writers
 * @mapping: the address_space every mapping of the domain hangs off, which
 *	a harvest write-protects
 * @harvest_lock: serialises harvests, so that each write-protect pass
 *	follows the clearing of the bits it re-arms; guards @claimed
 * @claimed: a migration session owns the bits; LDM_IOC_HARVEST is refused
 */
struct ldm_dirty {
	unsigned long *bitmap;
	pgoff_t npages;
	struct ldm_mem *mem;
	struct address_space *mapping;
	struct mutex harvest_lock;	/* serialises harvests */
	bool claimed;
};

int ldm_dirty_init(struct ldm_dirty *dirty, pgoff_t npages,
		   struct ldm_mem *mem, struct address_space *mapping);
void ldm_dirty_free(struct ldm_dirty *dirty);
void ldm_dirty_mark(struct ldm_dirty *dirty, struct page *page, pgoff_t index);
unsigned long ldm_dirty_count(struct ldm_dirty *dirty);
void ldm_dirty_claim(struct ldm_dirty *dirty, bool claimed);
int ldm_dirty_harvest(struct ldm_dirty *dirty, unsigned long *out);
long ldm_dirty_ioctl_harvest(struct ldm_dirty *dirty,
			     struct ldm_harvest __user *uarg);

#endif /* _LDM_DIRTY_H */
