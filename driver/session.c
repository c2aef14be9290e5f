// SPDX-License-Identifier: GPL-2.0
/*
 * Migration sessions.
 *
 * A session is one direction of one migration of one domain: sending
 * (send.c) or receiving (receive.c). It owns the AEAD, the batch ring
 * and the workers. It belongs to the netlink socket that started it: when
 * that socket closes (its process exited or was killed), the session ends,
 * so a dead migrator never leaves workers blocked on a ring nobody reads.
 *
 * Its data path belongs to one open file of the domain's node, the one the
 * start request named: only through that file can the ring be mapped,
 * polled or kicked, and the session's ioctls run. Every other open file of
 * the node (an emulator's, which runs guest code and must be presumed
 * hostile) maps guest RAM and nothing else. The session keeps the file's
 * address, not a reference: the file's release clears it under
 * session_lock, so a later file at the same address is never taken for
 * the owner, and the session then has no data path left at all.
 *
 * A failure (bad batch, bad ring index, out of memory) moves the session
 * to FAILED: the workers stop, the ring says so, and the error stays
 * readable until the session is stopped. Stopping waits for the workers,
 * frees the AEAD (which wipes the key) and drops the ring, which lives on
 * while userland still maps it. The domain's pages are never touched by
 * a stop or a failure on the sending side.
 */

#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "dirty.h"
#include "domain.h"
#include "pagebits.h"
#include "ring.h"
#include "session.h"
#include "throttle.h"

/**
 * ldm_session_fail() - fail a session, once; the first error wins
 * @s: the session
 * @err: negative errno
 * @msg: what failed, a static string
 */
void ldm_session_fail(struct ldm_session *s, int err, const char *msg)
{
	bool first = false;

	spin_lock(&s->lock);
	if (s->state != LDM_MIG_STATE_FAILED) {
		s->state = LDM_MIG_STATE_FAILED;
		s->error = -err;
		s->errmsg = msg;
		first = true;
	}
	spin_unlock(&s->lock);
	if (first) {
		pr_info("ldm: %s: migration failed: %s (%d)\n", s->dom->name,
			msg, err);
		ldm_ring_kill(s->ring, LDM_MIG_STATE_FAILED, -err);
	}
}

/**
 * ldm_session_failed() - whether workers should stop
 * @s: the session
 *
 * Return: true once the session failed.
 */
bool ldm_session_failed(struct ldm_session *s)
{
	return READ_ONCE(s->state) == LDM_MIG_STATE_FAILED;
}

/**
 * ldm_session_totals() - the session's counters, summed over its workers
 * @s: the session
 * @sum: out
 *
 * The round in progress counts too, so that progress moves within a round.
 * Workers update their own counters without locks; the sum is a racy
 * snapshot while they run (a round being folded into the totals at that
 * moment may count twice or not at all), exact once they are idle.
 */
void ldm_session_totals(struct ldm_session *s, struct ldm_stats *sum)
{
	unsigned int i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < s->params.workers; i++) {
		ldm_stats_add(sum, &s->workers[i].total);
		ldm_stats_add(sum, &s->workers[i].round);
	}
}

static void ldm_session_free(struct ldm_session *s)
{
	if (s->workers)
		ldm_workers_destroy(s->workers, s->params.workers);
	if (s->ring)
		ldm_ring_put(s->ring);
	ldm_crypt_free(&s->crypt);
	ldm_pagebits_free(s->round_bits);
	ldm_urgent_free(&s->urgent);
	kvfree(s->page_round);
	ldm_domain_put(s->dom);
	kvfree(s);
}

/**
 * ldm_session_start() - start a session on a domain
 * @dom: the domain
 * @sending: source (true) or target side
 * @p: checked parameters
 * @file: the open file of @dom's node that owns the data path
 * @net: owner's network namespace
 * @portid: owner's netlink port
 * @work: the workers' function: send.c's or receive.c's, which build on
 *	sessions
 * @extack: where to say why it failed
 *
 * Everything the session allocates is charged to the caller's memory
 * cgroup.
 *
 * Return: 0, -EBUSY if the domain has a session, -ENOENT if it was
 * destroyed meanwhile, -ENOTEMPTY for a target that was written to, -E2BIG
 * for a target too large to track, -ENOMEM, or the crypto API's error.
 */
int ldm_session_start(struct ldm_domain *dom, bool sending,
		      const struct ldm_session_params *p, struct file *file,
		      struct net *net, u32 portid, work_func_t work,
		      struct netlink_ext_ack *extack)
{
	size_t slot_bytes = PAGE_ALIGN(sizeof(struct ldm_batch_hdr) +
				       p->batch_bytes + LDM_TAG_BYTES);
	struct ldm_session *s;
	int err;

	mutex_lock(&dom->session_lock);
	/* Checked under the lock destroy sets it with: no orphan session. */
	if (dom->dead) {
		NL_SET_ERR_MSG(extack, "domain was destroyed");
		err = -ENOENT;
		goto err_unlock;
	}
	if (dom->session) {
		NL_SET_ERR_MSG(extack, "domain already has a migration session");
		err = -EBUSY;
		goto err_unlock;
	}
	/* Round 0 skips zero pages: the target must start all zero. */
	if (!sending && atomic_long_read(&dom->mem.resident)) {
		NL_SET_ERR_MSG(extack, "target domain has been written to");
		err = -ENOTEMPTY;
		goto err_unlock;
	}
	/* page_round is one kvcalloc(), which stops at INT_MAX bytes. */
	if (!sending && (u64)dom->npages * sizeof(*s->page_round) > INT_MAX) {
		NL_SET_ERR_MSG(extack,
			       "target domain is too large to receive (over 2 TiB)");
		err = -E2BIG;
		goto err_unlock;
	}

	s = kvzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s) {
		err = -ENOMEM;
		goto err_unlock;
	}
	kref_get(&dom->ref);
	s->dom = dom;
	s->sending = sending;
	s->owner_file = file;
	write_pnet(&s->owner_net, net);
	s->owner_portid = portid;
	s->params = *p;
	spin_lock_init(&s->lock);
	s->state = sending ? LDM_MIG_STATE_SENDING : LDM_MIG_STATE_RECEIVING;
	atomic64_set(&s->next_slot, 0);
	atomic64_set(&s->prod_seen, 0);

	err = ldm_crypt_init(&s->crypt, p->epoch_shift);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot set up gcm(aes)");
		goto err_free;
	}

	err = -ENOMEM;
	s->ring = ldm_ring_create(p->ring_slots, slot_bytes, &dom->poll_wq);
	if (!s->ring)
		goto err_free;

	if (sending) {
		s->round_bits = ldm_pagebits_alloc(dom->npages);
		if (!s->round_bits)
			goto err_free;
		s->workers = ldm_workers_create(s, &s->crypt, p->workers, work,
						slot_bytes,
						p->flags & LDM_MIG_F_BASELINE);
	} else {
		s->page_round = kvcalloc(dom->npages, sizeof(*s->page_round),
					 GFP_KERNEL_ACCOUNT);
		if (!s->page_round)
			goto err_free;
		s->workers = ldm_workers_create(s, &s->crypt, p->workers, work,
						slot_bytes, false);
	}
	if (!s->workers)
		goto err_free;

	ldm_dirty_claim(&dom->dirty, true);
	if (sending)
		ldm_throttle_set(&dom->throttle, p->dirty_limit);
	dom->session = s;
	mutex_unlock(&dom->session_lock);
	return 0;

err_free:
	ldm_session_free(s);
err_unlock:
	mutex_unlock(&dom->session_lock);
	return err;
}

/**
 * ldm_session_of() - the session a file may drive
 * @dom: the domain, with @dom->session_lock held
 * @file: an open file of the domain's node
 *
 * Return: the domain's session if @file owns it; ERR_PTR(-ENODEV) without
 * a session, ERR_PTR(-EPERM) when another file owns it.
 */
struct ldm_session *ldm_session_of(struct ldm_domain *dom, struct file *file)
{
	struct ldm_session *s = dom->session;

	lockdep_assert_held(&dom->session_lock);
	if (!s)
		return ERR_PTR(-ENODEV);
	if (s->owner_file != file)
		return ERR_PTR(-EPERM);
	return s;
}

/* The ioctl arguments' layout is ABI: the same on every architecture. */
static_assert(sizeof(struct ldm_session_key) == 40);
static_assert(sizeof(struct ldm_session_rekey) == 48);

/*
 * Epoch @epoch's key for the session @file owns: epoch 0's once (the
 * session is keyed from then on), each later one after it.
 */
static long ldm_session_add_key(struct ldm_domain *dom, struct file *file,
				u64 epoch, const u8 *key, u32 salt)
{
	struct ldm_session *s;
	long ret;

	mutex_lock(&dom->session_lock);
	s = ldm_session_of(dom, file);
	if (IS_ERR(s))
		ret = PTR_ERR(s);
	else if (s->keyed != !!epoch)
		ret = epoch ? -ENOKEY : -EBUSY;
	else
		ret = ldm_crypt_add_key(&s->crypt, epoch, key, salt);
	if (!ret)
		s->keyed = true;
	mutex_unlock(&dom->session_lock);
	return ret;
}

/**
 * ldm_session_ioctl_key() - LDM_IOC_SESSION_KEY: the session's key, once
 * @dom: the domain
 * @file: the caller's open file, which must own the session
 * @uarg: user's &struct ldm_session_key
 *
 * The key is copied onto the stack, handed to the AEAD and wiped on every
 * path; it never goes back to userland.
 *
 * Return: 0, -EFAULT, -EINVAL for flags, -ENODEV without a session,
 * -EPERM when @file does not own it, -EBUSY when it has a key already, or
 * the crypto API's error.
 */
long ldm_session_ioctl_key(struct ldm_domain *dom, struct file *file,
			   struct ldm_session_key __user *uarg)
{
	struct ldm_session_key k;
	long ret = -EFAULT;

	if (!copy_from_user(&k, uarg, sizeof(k)))
		ret = k.flags ? -EINVAL :
		      ldm_session_add_key(dom, file, 0, k.key, k.salt);
	memzero_explicit(&k, sizeof(k));
	return ret;
}

/**
 * ldm_session_ioctl_rekey() - LDM_IOC_SESSION_REKEY: the next epoch's key
 * @dom: the domain
 * @file: the caller's open file, which must own the session
 * @uarg: user's &struct ldm_session_rekey
 *
 * As ldm_session_ioctl_key(), for the epochs after the first: the key is
 * wiped from the stack on every path.
 *
 * Return: 0, -EFAULT, -EINVAL for flags or an epoch other than the next,
 * -ENODEV without a session, -EPERM when @file does not own it, -ENOKEY
 * before the first key, -ENOMEM, or the crypto API's error.
 */
long ldm_session_ioctl_rekey(struct ldm_domain *dom, struct file *file,
			     struct ldm_session_rekey __user *uarg)
{
	struct ldm_session_rekey k;
	long ret = -EFAULT;

	if (!copy_from_user(&k, uarg, sizeof(k)))
		ret = k.flags || !k.epoch ? -EINVAL :
		      ldm_session_add_key(dom, file, k.epoch, k.key, k.salt);
	memzero_explicit(&k, sizeof(k));
	return ret;
}

/**
 * ldm_session_file_closed() - an open file of a domain's node is released
 * @dom: the domain
 * @file: the file
 *
 * If it owned the session's data path, nobody owns it now.
 */
void ldm_session_file_closed(struct ldm_domain *dom, struct file *file)
{
	mutex_lock(&dom->session_lock);
	if (dom->session && dom->session->owner_file == file)
		dom->session->owner_file = NULL;
	mutex_unlock(&dom->session_lock);
}

/*
 * Detach a domain's session if it has one and, when @net is given, only if
 * that socket owns it: checking and detaching under one lock, so a newer
 * session of another owner is never ended by mistake.
 */
static struct ldm_session *ldm_session_take(struct ldm_domain *dom,
					    struct net *net, u32 portid)
{
	struct ldm_session *s;

	mutex_lock(&dom->session_lock);
	s = dom->session;
	if (s && net && (s->owner_portid != portid ||
			 !net_eq(read_pnet(&s->owner_net), net)))
		s = NULL;
	if (s) {
		dom->session = NULL;
		/* Under session_lock, as the claim: a new session may follow. */
		ldm_dirty_claim(&dom->dirty, false);
		/* Never a slowed guest without a migration (throttle.c). */
		ldm_throttle_set(&dom->throttle, 0);
	}
	mutex_unlock(&dom->session_lock);
	return s;
}

/* Fail the ring so waiting workers give up, wait for them, free. */
static void ldm_session_end(struct ldm_session *s)
{
	ldm_ring_kill(s->ring, LDM_MIG_STATE_NONE,
		      s->state == LDM_MIG_STATE_FAILED ? s->error : 0);
	ldm_workers_flush(s->workers, s->params.workers);
	ldm_session_free(s);
}

/**
 * ldm_session_set_dirty_limit() - change the dirty limit of a migration
 * @dom: the domain
 * @rate: pages a second the guest may dirty, 0 for no limit
 * @extack: where a refusal says why
 *
 * Return: 0, or -ENOENT when the domain has no sending session.
 */
int ldm_session_set_dirty_limit(struct ldm_domain *dom, u32 rate,
				struct netlink_ext_ack *extack)
{
	int err = 0;

	mutex_lock(&dom->session_lock);
	if (!dom->session || !dom->session->sending) {
		NL_SET_ERR_MSG(extack, "domain has no sending migration session");
		err = -ENOENT;
	} else {
		ldm_throttle_set(&dom->throttle, rate);
	}
	mutex_unlock(&dom->session_lock);
	return err;
}

/**
 * ldm_session_stop() - end a domain's session, if it has one
 * @dom: the domain
 *
 * Waits for every worker, then frees the session and wipes the key.
 *
 * Return: 0, or -ENOENT when the domain had no session.
 */
int ldm_session_stop(struct ldm_domain *dom)
{
	struct ldm_session *s = ldm_session_take(dom, NULL, 0);

	if (!s)
		return -ENOENT;
	ldm_session_end(s);
	return 0;
}

/**
 * ldm_session_stop_owned() - end a domain's session if a socket owns it
 * @dom: the domain
 * @net: the socket's network namespace
 * @portid: the socket's port
 */
void ldm_session_stop_owned(struct ldm_domain *dom, struct net *net,
			    u32 portid)
{
	struct ldm_session *s = ldm_session_take(dom, net, portid);

	if (s)
		ldm_session_end(s);
}

/**
 * ldm_session_stop_all() - end every session, at module unload
 */
void ldm_session_stop_all(void)
{
	struct ldm_domain *dom;
	unsigned long id = 0;

	while ((dom = ldm_domain_get_next(NULL, &id))) {
		ldm_session_stop(dom);
		ldm_domain_put(dom);
		id++;
	}
}
