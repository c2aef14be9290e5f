// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Domains: lifetime, lookup, ownership and limits
 *
 * The domain table maps an id (also the minor of the device node) to a
 * domain. Create and destroy change it under ldm_domains_lock; open looks
 * up under the same lock, so destroy's "is anybody using it" check and the
 * removal from the table are atomic with respect to new opens.
 *
 * Lock order, for the whole module (lockdep checks it on the debug
 * kernel); a lock is only ever taken while holding those above it:
 *
 *  1. ldm_domains_lock (this file): the table.
 *  2. mmap_lock of a process: mmap() of the ring takes session_lock under
 *     it; nothing here takes mmap_lock (or faults on user memory) while
 *     holding session_lock or harvest_lock.
 *  3. dom->session_lock: the domain's session, its dead mark, its state.
 *  4. dom->dirty.harvest_lock: a harvest, and who may harvest.
 *  5. the lock of a guest page (lock_page): a harvest clears each bit under
 *     it; page_mkwrite returns with it held.
 *  6. spinlocks, innermost, never nested: a session's s->lock (state,
 *     round results, replay window), its ring->lock (indexes), the page
 *     store's xa_lock.
 *
 * Lifetimes:
 *
 *  - A domain is a kref: one reference from the table while it exists,
 *    one per open file of its node, one per session, and short ones from
 *    lookups. It outlives its removal from the table while any is held;
 *    its pages are freed with the last.
 *  - A session holds its domain; it ends when its netlink socket closes,
 *    on MIGRATE_STOP, or at module unload (main.c), and never with a file.
 *  - A ring is a kref: one from its session, one per VMA mapping it, so
 *    userland may unmap it after the session is gone.
 *  - A guest page, once in the page store, stays until the domain is
 *    freed: pointers from lookups need no reference.
 *
 * Minors are handed out cyclically over the whole minor space, so the node
 * of a destroyed domain (a copy of it in a container's /dev, say) does not
 * open the next domain created: it fails with ENXIO for about a million
 * creations.
 *
 * A domain belongs to the network namespace that created it: requests
 * from another namespace do not see it, except those from the initial
 * namespace, the host's own, which see every domain. When a namespace
 * goes away its domains pass to the initial namespace, running or not:
 * no guest is lost with a container.
 */

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>

#include "devnode.h"
#include "domain.h"
#include "postcopy.h"

static unsigned int max_domain_mib = 65536;
module_param(max_domain_mib, uint, 0644);
MODULE_PARM_DESC(max_domain_mib, "Largest domain that can be created, in MiB");

/*
 * Guards ldm_domains, each domain's membership in it and its owning
 * namespace, ldm_ndomains and ldm_next_minor. Taken before a domain's
 * session_lock, never after.
 */
static DEFINE_MUTEX(ldm_domains_lock);
static DEFINE_XARRAY_ALLOC(ldm_domains);
static unsigned int ldm_ndomains;
static u32 ldm_next_minor;

/*
 * Whatever max_domain_mib says, a domain has fewer than 1 << 30 pages: the
 * kernel's bitmap helpers count bits in an unsigned int, and the batch ring
 * is mapped above the domain at LDM_RING_OFFSET.
 */
#define LDM_MAX_PAGES	BIT_ULL(30)

/**
 * ldm_domain_max_size() - the largest size a new domain may have
 *
 * Return: max_domain_mib in bytes, capped at LDM_MAX_PAGES pages.
 */
u64 ldm_domain_max_size(void)
{
	return min_t(u64, (u64)READ_ONCE(max_domain_mib) << 20,
		     LDM_MAX_PAGES << PAGE_SHIFT);
}

static void ldm_domain_free(struct kref *ref)
{
	struct ldm_domain *dom = container_of(ref, struct ldm_domain, ref);

	iput(dom->inode);
	ldm_postcopy_free(dom->postcopy);
	ldm_dirty_free(&dom->dirty);
	ldm_mem_free(&dom->mem);
	mutex_destroy(&dom->session_lock);
	kfree(dom);
}

/**
 * ldm_domain_put() - drop a reference
 * @dom: the domain
 */
void ldm_domain_put(struct ldm_domain *dom)
{
	kref_put(&dom->ref, ldm_domain_free);
}

/* Whether requests from @net may see @dom; ldm_domains_lock held. */
static bool ldm_domain_visible(struct ldm_domain *dom, struct net *net)
{
	return net_eq(net, &init_net) || net_eq(read_pnet(&dom->net), net);
}

/* Any namespace's domain of that name; caller holds ldm_domains_lock. */
static struct ldm_domain *ldm_domain_find(const char *name)
{
	struct ldm_domain *dom;
	unsigned long id;

	xa_for_each(&ldm_domains, id, dom)
		if (!strcmp(dom->name, name))
			return dom;
	return NULL;
}

/**
 * ldm_domain_create() - create a domain and its device node
 * @net: the network namespace that will own it
 * @name: a valid name (checked by the caller), at most LDM_NAME_MAX - 1
 * @size: guest RAM size in bytes, non-zero, page-aligned, within limits
 * @extack: where to say why it failed
 *
 * The domain's pages will be charged to the caller's memory cgroup.
 *
 * Return: 0, -EEXIST, -ENOSPC when the table is full, or -ENOMEM (also
 * when the caller's memory cgroup could never hold @size).
 */
int ldm_domain_create(struct net *net, const char *name, u64 size,
		      struct netlink_ext_ack *extack)
{
	struct ldm_domain *dom, *other;
	int err;

	dom = kzalloc(sizeof(*dom), GFP_KERNEL_ACCOUNT);
	if (!dom)
		return -ENOMEM;
	kref_init(&dom->ref);
	strscpy(dom->name, name, sizeof(dom->name));
	write_pnet(&dom->net, net);
	dom->size = size;
	dom->npages = size >> PAGE_SHIFT;
	dom->state = LDM_DOMAIN_STATE_ACTIVE;
	atomic_set(&dom->nr_open, 0);
	atomic_set(&dom->nr_mapped, 0);
	mutex_init(&dom->session_lock);
	init_waitqueue_head(&dom->poll_wq);
	init_waitqueue_head(&dom->write_wq);
	ldm_throttle_init(&dom->throttle);
	err = ldm_mem_init(&dom->mem, dom->npages);
	if (err) {
		NL_SET_ERR_MSG(extack,
			       "domain size exceeds the memory limit (memory.max) of the caller's memory cgroup");
		goto err_free_dom;
	}

	dom->inode = ldm_devnode_new_inode(size);
	if (IS_ERR(dom->inode)) {
		err = PTR_ERR(dom->inode);
		goto err_free_mem;
	}

	err = ldm_dirty_init(&dom->dirty, dom->npages, &dom->mem,
			     dom->inode->i_mapping);
	if (err)
		goto err_put_inode;

	mutex_lock(&ldm_domains_lock);
	other = ldm_domain_find(name);
	if (other) {
		if (ldm_domain_visible(other, net))
			NL_SET_ERR_MSG(extack, "domain already exists");
		else
			NL_SET_ERR_MSG(extack,
				       "domain name is taken by another network namespace");
		err = -EEXIST;
		goto err_unlock;
	}
	if (ldm_ndomains >= LDM_MAX_DOMAINS) {
		NL_SET_ERR_MSG(extack, "too many domains");
		err = -ENOSPC;
		goto err_unlock;
	}
	err = xa_alloc_cyclic(&ldm_domains, &dom->id, dom,
			      XA_LIMIT(0, LDM_MINORS - 1), &ldm_next_minor,
			      GFP_KERNEL);
	if (err < 0)
		goto err_unlock;

	dom->dev = ldm_devnode_add(dom->id, dom->name, dom);
	if (IS_ERR(dom->dev)) {
		err = PTR_ERR(dom->dev);
		NL_SET_ERR_MSG(extack, "cannot create the device node");
		goto err_erase;
	}
	ldm_ndomains++;
	mutex_unlock(&ldm_domains_lock);
	return 0;

err_erase:
	xa_erase(&ldm_domains, dom->id);
err_unlock:
	mutex_unlock(&ldm_domains_lock);
	ldm_dirty_free(&dom->dirty);
err_put_inode:
	iput(dom->inode);
err_free_mem:
	ldm_mem_free(&dom->mem);
err_free_dom:
	kfree(dom);
	return err;
}

/* Caller holds ldm_domains_lock; the domain is marked dead. */
static void ldm_domain_remove(struct ldm_domain *dom)
{
	xa_erase(&ldm_domains, dom->id);
	ldm_ndomains--;
	ldm_devnode_remove(dom->id);
	dom->dev = NULL;
	ldm_domain_put(dom);
}

/**
 * ldm_domain_destroy() - destroy an idle domain
 * @net: the caller's network namespace
 * @name: its name
 * @extack: where to say why it failed
 *
 * A domain with an open file, a mapping or a session is refused: its RAM
 * is in use. The session check and the mark that stops any new session
 * are one step under the domain's session_lock, so a session starting at
 * the same moment either makes this fail or fails itself; none can attach
 * to a domain on its way out.
 *
 * Return: 0, -ENOENT or -EBUSY.
 */
int ldm_domain_destroy(struct net *net, const char *name,
		       struct netlink_ext_ack *extack)
{
	struct ldm_domain *dom;
	int err = 0;

	mutex_lock(&ldm_domains_lock);
	dom = ldm_domain_find(name);
	if (!dom || !ldm_domain_visible(dom, net)) {
		NL_SET_ERR_MSG(extack, "no such domain");
		err = -ENOENT;
		goto out_unlock;
	}
	if (atomic_read(&dom->nr_open)) {
		NL_SET_ERR_MSG(extack, "domain is open or mapped");
		err = -EBUSY;
		goto out_unlock;
	}
	mutex_lock(&dom->session_lock);
	if (dom->session) {
		NL_SET_ERR_MSG(extack, "domain has a migration session");
		err = -EBUSY;
	} else {
		dom->dead = true;
	}
	mutex_unlock(&dom->session_lock);
	if (!err)
		ldm_domain_remove(dom);
out_unlock:
	mutex_unlock(&ldm_domains_lock);
	return err;
}

/**
 * ldm_domain_set_state() - suspend, resume, or mark a domain migrated
 * @dom: the domain
 * @state: the new &enum ldm_domain_state
 * @extack: where to say why it is refused
 *
 * Suspending takes effect for every write that faults from now on; a
 * harvest after it (the final round) re-arms every page, so from its end
 * no write reaches guest RAM until the domain is resumed.
 *
 * Return: 0 or -EINVAL for a transition that is not allowed.
 */
int ldm_domain_set_state(struct ldm_domain *dom, u32 state,
			 struct netlink_ext_ack *extack)
{
	int err = 0;

	mutex_lock(&dom->session_lock);
	if (state == dom->state) {
		/* Nothing to do. */
	} else if (dom->state == LDM_DOMAIN_STATE_MIGRATED) {
		NL_SET_ERR_MSG(extack, "domain was migrated away; destroy it");
		err = -EINVAL;
	} else if (state == LDM_DOMAIN_STATE_MIGRATED &&
		   dom->state != LDM_DOMAIN_STATE_SUSPENDED) {
		NL_SET_ERR_MSG(extack, "only a suspended domain can be marked migrated");
		err = -EINVAL;
	} else {
		WRITE_ONCE(dom->state, state);
		if (state == LDM_DOMAIN_STATE_ACTIVE)
			wake_up_all(&dom->write_wq);
	}
	mutex_unlock(&dom->session_lock);
	return err;
}

static bool ldm_domain_writable(struct ldm_domain *dom)
{
	return READ_ONCE(dom->state) == LDM_DOMAIN_STATE_ACTIVE;
}

/**
 * ldm_domain_lock_writable() - page_mkwrite: wait until the domain takes
 * writes, then lock the page
 * @dom: the domain
 * @page: the page about to become writable
 *
 * The state is checked again with the page locked: a suspend followed by
 * a harvest locks every dirty page, so a writer that saw the domain active
 * either holds the page lock before that harvest reaches the page (and its
 * page is harvested and re-armed) or sees the suspension here.
 *
 * Return: 0 with @page locked, or -EINTR on a fatal signal.
 */
int ldm_domain_lock_writable(struct ldm_domain *dom, struct page *page)
{
	for (;;) {
		if (wait_event_killable(dom->write_wq, ldm_domain_writable(dom)))
			return -EINTR;
		lock_page(page);
		if (ldm_domain_writable(dom))
			return 0;
		unlock_page(page);
	}
}

/**
 * ldm_domain_get() - look a domain up by name
 * @net: the caller's network namespace
 * @name: its name
 *
 * Return: the domain, if @net may see it, with a reference the caller
 * drops with ldm_domain_put(); or NULL.
 */
struct ldm_domain *ldm_domain_get(struct net *net, const char *name)
{
	struct ldm_domain *dom;

	mutex_lock(&ldm_domains_lock);
	dom = ldm_domain_find(name);
	if (dom && !ldm_domain_visible(dom, net))
		dom = NULL;
	if (dom)
		kref_get(&dom->ref);
	mutex_unlock(&ldm_domains_lock);
	return dom;
}

/**
 * ldm_domain_get_next() - iterate over domains, for dumps
 * @net: the caller's network namespace, or NULL for every domain
 * @id: in: the first id to consider; out: the id of the domain returned
 *
 * Return: the domain with the lowest id >= *@id that @net may see, with a
 * reference, or NULL.
 */
struct ldm_domain *ldm_domain_get_next(struct net *net, unsigned long *id)
{
	struct ldm_domain *dom;

	mutex_lock(&ldm_domains_lock);
	xa_for_each_start(&ldm_domains, *id, dom, *id)
		if (!net || ldm_domain_visible(dom, net))
			break;
	if (dom)
		kref_get(&dom->ref);
	mutex_unlock(&ldm_domains_lock);
	return dom;
}

/**
 * ldm_domain_open() - account an open file of a domain's device node
 * @minor: minor number of the node
 *
 * Return: the domain, with a reference the file holds until
 * ldm_domain_close(), or NULL if the domain is gone.
 */
struct ldm_domain *ldm_domain_open(unsigned int minor)
{
	struct ldm_domain *dom;

	mutex_lock(&ldm_domains_lock);
	dom = xa_load(&ldm_domains, minor);
	if (dom) {
		kref_get(&dom->ref);
		atomic_inc(&dom->nr_open);
	}
	mutex_unlock(&ldm_domains_lock);
	return dom;
}

/**
 * ldm_domain_close() - undo ldm_domain_open()
 * @dom: the domain
 */
void ldm_domain_close(struct ldm_domain *dom)
{
	atomic_dec(&dom->nr_open);
	ldm_domain_put(dom);
}

/* A namespace is gone: its domains pass to the initial namespace. */
static void __net_exit ldm_domain_net_exit(struct net *net)
{
	struct ldm_domain *dom;
	unsigned long id;

	mutex_lock(&ldm_domains_lock);
	xa_for_each(&ldm_domains, id, dom) {
		if (net_eq(net, &init_net) || !net_eq(read_pnet(&dom->net), net))
			continue;
		write_pnet(&dom->net, &init_net);
		pr_info("ldm: %s: its network namespace is gone; the initial namespace owns it now\n",
			dom->name);
	}
	mutex_unlock(&ldm_domains_lock);
}

static struct pernet_operations ldm_domain_net_ops = {
	.exit = ldm_domain_net_exit,
};

/**
 * ldm_domain_init() - follow network namespaces, which own domains
 *
 * Return: 0 or -errno.
 */
int __init ldm_domain_init(void)
{
	return register_pernet_subsys(&ldm_domain_net_ops);
}

/**
 * ldm_domain_uninit() - destroy every domain, at module unload
 *
 * No file can be open: each holds a module reference. Sessions were
 * stopped first (ldm_session_stop_all()).
 */
void ldm_domain_uninit(void)
{
	struct ldm_domain *dom;
	unsigned long id;

	unregister_pernet_subsys(&ldm_domain_net_ops);
	mutex_lock(&ldm_domains_lock);
	xa_for_each(&ldm_domains, id, dom) {
		WARN_ON_ONCE(atomic_read(&dom->nr_open));
		mutex_lock(&dom->session_lock);
		WARN_ON_ONCE(dom->session);
		dom->dead = true;
		mutex_unlock(&dom->session_lock);
		ldm_domain_remove(dom);
	}
	mutex_unlock(&ldm_domains_lock);
	xa_destroy(&ldm_domains);
}
