// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy page store.
 *
 * A domain's RAM is a sparse array of order-0 pages. A page is allocated,
 * zeroed, the first time the guest touches it; a page never touched costs
 * nothing and is never read by a migration. The pages are not in any page
 * cache and not on the LRU: the domain owns them until it is freed, and
 * mappings hold their own references while they map them.
 */

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm.h>

#include "mem.h"

/**
 * ldm_mem_init() - set up an empty page store
 * @mem: the store
 * @npages: size of the domain in pages
 */
void ldm_mem_init(struct ldm_mem *mem, pgoff_t npages)
{
	xa_init(&mem->pages);
	atomic_long_set(&mem->resident, 0);
	mem->npages = npages;
}

/**
 * ldm_mem_free() - release every page of a store
 * @mem: the store; nobody may use it any more
 */
void ldm_mem_free(struct ldm_mem *mem)
{
	struct page *page;
	unsigned long index;

	xa_for_each(&mem->pages, index, page)
		put_page(page);
	xa_destroy(&mem->pages);
	atomic_long_set(&mem->resident, 0);
}

/**
 * ldm_mem_lookup() - find a page that was touched already
 * @mem: the store
 * @index: page index, below @mem->npages
 *
 * Return: the page, or NULL if @index was never touched. The page stays
 * valid until the store is freed; no reference is taken.
 */
struct page *ldm_mem_lookup(struct ldm_mem *mem, pgoff_t index)
{
	return xa_load(&mem->pages, index);
}

/**
 * ldm_mem_get_page() - find a page, allocating it on first touch
 * @mem: the store
 * @index: page index, below @mem->npages
 *
 * Two threads may fault on the same new index at once; the first to store
 * its page wins and the other frees its own and uses the winner's.
 *
 * Return: the page (no reference taken, valid until the store is freed),
 * or ERR_PTR(-ENOMEM).
 */
struct page *ldm_mem_get_page(struct ldm_mem *mem, pgoff_t index)
{
	struct page *page, *old;

	page = xa_load(&mem->pages, index);
	if (page)
		return page;

	page = alloc_page(GFP_HIGHUSER | __GFP_ZERO);
	if (!page)
		return ERR_PTR(-ENOMEM);

	old = xa_cmpxchg(&mem->pages, index, NULL, page, GFP_KERNEL);
	if (old) {
		__free_page(page);
		if (xa_is_err(old))
			return ERR_PTR(xa_err(old));
		return old;
	}
	atomic_long_inc(&mem->resident);
	return page;
}
