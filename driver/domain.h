/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Domains: lifetime, lookup and limits.
 */
#ifndef _LDM_DOMAIN_H
#define _LDM_DOMAIN_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/netlink.h>
#include <linux/types.h>
#include <net/net_namespace.h>

#include <uapi/linux/ldm.h>

#include "dirty.h"
#include "mem.h"
#include "throttle.h"

/* Domains at once. */
#define LDM_MAX_DOMAINS	256

struct device;
struct inode;
struct ldm_postcopy;
struct ldm_session;

/**
 * struct ldm_domain - one domain: guest RAM and its tracking
 * @ref: references: one from the domain table while the domain exists,
 *	one per open file, and short-lived ones from lookups
 * @id: index in the domain table, also the minor of the device node;
 *	handed out cyclically, so not reused soon after the domain is gone
 * @name: NUL-terminated name, as in /dev/ldm/<name>
 * @net: the network namespace that owns it (see domain.c); guarded by
 *	the domain table lock
 * @size: guest RAM size in bytes, a multiple of PAGE_SIZE
 * @npages: @size in pages
 * @state: &enum ldm_domain_state; written under @session_lock, read
 *	locklessly by page_mkwrite, which also rechecks it with the page
 *	locked (see ldm_domain_lock_writable())
 * @write_wq: writers blocked while the domain is not active
 * @mem: the pages
 * @dirty: which pages were written since the last harvest
 * @throttle: the dirty-rate limit of a sending session (throttle.c)
 * @inode: private inode whose i_mapping every open file of the domain
 *	uses, so that all mappings of the domain hang off one address_space
 * @dev: the device behind /dev/ldm/<name>; NULL once destroyed
 * @nr_open: open files. Incremented under the domain table lock, so that
 *	destroy, which checks it under that lock, cannot race with open.
 * @nr_mapped: VMAs mapping the domain; each also holds an open file
 * @session_lock: guards @session and @dead: starting, stopping and using
 *	the session from netlink and from the device node
 * @session: the migration session (sending or receiving), or NULL
 * @dead: destroyed: out of the table, no session may start on it
 * @poll_wq: poll() on the node waits here; it lives as long as the domain
 *	because files (and so epoll entries) hold the domain
 * @postcopy: post-copy state of a target (postcopy.c), or NULL; set once
 *	under @session_lock, freed with the domain
 */
struct ldm_domain {
	struct kref ref;
	u32 id;
	char name[LDM_NAME_MAX];
	possible_net_t net;
	u64 size;
	pgoff_t npages;
	enum ldm_domain_state state;
	wait_queue_head_t write_wq;
	struct ldm_mem mem;
	struct ldm_dirty dirty;
	struct ldm_throttle throttle;
	struct inode *inode;
	struct device *dev;
	atomic_t nr_open;
	atomic_t nr_mapped;
	struct mutex session_lock;	/* see above */
	struct ldm_session *session;
	bool dead;
	wait_queue_head_t poll_wq;
	struct ldm_postcopy *postcopy;
};

int ldm_domain_create(struct net *net, const char *name, u64 size,
		      struct netlink_ext_ack *extack);
int ldm_domain_destroy(struct net *net, const char *name,
		       struct netlink_ext_ack *extack);
struct ldm_domain *ldm_domain_get(struct net *net, const char *name);
struct ldm_domain *ldm_domain_get_next(struct net *net, unsigned long *id);
struct ldm_domain *ldm_domain_open(unsigned int minor);
void ldm_domain_close(struct ldm_domain *dom);
void ldm_domain_put(struct ldm_domain *dom);
u64 ldm_domain_max_size(void);
int ldm_domain_set_state(struct ldm_domain *dom, u32 state,
			 struct netlink_ext_ack *extack);
int ldm_domain_lock_writable(struct ldm_domain *dom, struct page *page);

/**
 * ldm_domain_postcopy() - the post-copy state of a target domain
 * @dom: the domain
 *
 * Set once under the session lock (release, after its bits) and freed
 * with the domain, so a fault may use it without a lock.
 *
 * Return: the state, or NULL if the domain never entered post-copy.
 */
static inline struct ldm_postcopy *ldm_domain_postcopy(struct ldm_domain *dom)
{
	/* Pairs with the release in ldm_receive_ioctl_postcopy(). */
	return smp_load_acquire(&dom->postcopy);
}

int ldm_domain_init(void);
void ldm_domain_uninit(void);

#endif /* _LDM_DOMAIN_H */
