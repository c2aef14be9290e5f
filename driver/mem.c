// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy page store.
 *
 * A domain's RAM is a sparse array of order-0 pages. A page is allocated,
 * zeroed, the first time the guest touches it; a page never touched costs
 * nothing and is never read by a migration. The pages are not in any page
 * cache and not on the LRU: the domain owns them until it is freed, and
 * mappings hold their own references while they map them.
 *
 * Every page is charged to one memory cgroup, that of the process that
 * created the domain, whoever faults it in (the emulator, or a receiving
 * worker): the pages outlive any emulator, so charging the emulator would
 * leave the charge with a process that no longer holds anything, and an
 * OOM kill of it would free nothing. A page over the cgroup's limit is
 * refused, never paid for by an OOM kill (__GFP_RETRY_MAYFAIL): the fault
 * that wanted it gets SIGBUS, a receiving session fails, and the kernel
 * log says which domain.
 */

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>

#include "mem.h"

#define LDM_MEM_GFP	(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT | \
			 __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/*
 * The smallest memory.max on the way from @memcg to the root, in pages:
 * the most the domain can ever hold.
 */
static unsigned long ldm_mem_limit(struct mem_cgroup *memcg)
{
	unsigned long limit = ULONG_MAX;

#ifdef CONFIG_MEMCG
	for (; memcg; memcg = parent_mem_cgroup(memcg))
		limit = min(limit, READ_ONCE(memcg->memory.max));
#endif
	return limit;
}

/**
 * ldm_mem_init() - set up an empty page store, charged to the caller's
 *	memory cgroup
 * @mem: the store
 * @npages: size of the domain in pages
 *
 * Return: 0, or -ENOMEM when the caller's memory cgroup could never hold
 * @npages pages (its memory.max, or an ancestor's, is lower).
 */
int ldm_mem_init(struct ldm_mem *mem, pgoff_t npages)
{
	xa_init(&mem->pages);
	atomic_long_set(&mem->resident, 0);
	mem->npages = npages;
	mem->memcg = get_mem_cgroup_from_mm(current->mm);
	if (npages > ldm_mem_limit(mem->memcg)) {
		mem_cgroup_put(mem->memcg);
		mem->memcg = NULL;
		return -ENOMEM;
	}
	return 0;
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
	mem_cgroup_put(mem->memcg);
	mem->memcg = NULL;
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
 * its page wins and the other frees its own and uses the winner's. The
 * page, and the xarray node that holds it, are charged to @mem->memcg.
 *
 * Return: the page (no reference taken, valid until the store is freed),
 * or ERR_PTR(-ENOMEM) when the system or the memory cgroup has no room.
 */
struct page *ldm_mem_get_page(struct ldm_mem *mem, pgoff_t index)
{
	struct mem_cgroup *old_memcg;
	struct page *page, *old;

	page = xa_load(&mem->pages, index);
	if (page)
		return page;

	old_memcg = set_active_memcg(mem->memcg);
	page = alloc_page(LDM_MEM_GFP);
	old = page ? xa_cmpxchg(&mem->pages, index, NULL, page,
				GFP_KERNEL_ACCOUNT) : NULL;
	set_active_memcg(old_memcg);
	if (!page)
		return ERR_PTR(-ENOMEM);
	if (old) {
		__free_page(page);
		if (xa_is_err(old))
			return ERR_PTR(xa_err(old));
		return old;
	}
	atomic_long_inc(&mem->resident);
	return page;
}
