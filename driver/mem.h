/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lazy page store: the guest RAM of one domain.
 */
#ifndef _LDM_MEM_H
#define _LDM_MEM_H

#include <linux/atomic.h>
#include <linux/mm_types.h>
#include <linux/xarray.h>

struct mem_cgroup;

/**
 * struct ldm_mem - the pages of one domain, allocated on first touch
 * @pages: page index -> struct page. An entry is stored once, on the first
 *	fault on its index, and removed only when the domain is freed, so a
 *	page found here stays valid for the domain's lifetime.
 * @resident: number of entries in @pages
 * @npages: size of the domain in pages
 * @memcg: the memory cgroup every page is charged to (that of the process
 *	that created the domain), with a reference; NULL without memcg
 */
struct ldm_mem {
	struct xarray pages;
	atomic_long_t resident;
	pgoff_t npages;
	struct mem_cgroup *memcg;
};

int ldm_mem_init(struct ldm_mem *mem, pgoff_t npages);
void ldm_mem_free(struct ldm_mem *mem);
struct page *ldm_mem_lookup(struct ldm_mem *mem, pgoff_t index);
struct page *ldm_mem_get_page(struct ldm_mem *mem, pgoff_t index);

#endif /* _LDM_MEM_H */
