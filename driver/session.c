// SPDX-License-Identifier: GPL-2.0
/*
 * Migration sessions.
 *
 * A session is one direction of one migration of one domain: sending
 * (snapshot.c) or receiving (receive.c). It owns the AEAD, the batch ring
 * and the workers. It belongs to the netlink socket that started it: when
 * that socket closes (its process exited or was killed), the session ends,
 * so a dead migrator never leaves workers blocked on a ring nobody reads.
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
#include <linux/vmalloc.h>

#include "domain.h"
#include "receive.h"
#include "ring.h"
#include "session.h"
#include "snapshot.h"

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
	if (s->crypt.tfm)
		ldm_crypt_free(&s->crypt);
	ldm_bitmap_free(s->round_bits);
	kvfree(s->page_round);
	ldm_domain_put(s->dom);
	kvfree(s);
}

/**
 * ldm_session_start() - start a session on a domain
 * @dom: the domain
 * @sending: source (true) or target side
 * @p: checked parameters
 * @net: owner's network namespace
 * @portid: owner's netlink port
 * @extack: where to say why it failed
 *
 * Return: 0, -EBUSY if the domain has a session, -ENOTEMPTY for a target
 * that was written to, -ENOMEM, or the crypto API's error.
 */
int ldm_session_start(struct ldm_domain *dom, bool sending,
		      const struct ldm_session_params *p, struct net *net,
		      u32 portid, struct netlink_ext_ack *extack)
{
	size_t slot_bytes = PAGE_ALIGN(sizeof(struct ldm_batch_hdr) +
				       p->batch_bytes + LDM_TAG_BYTES);
	struct ldm_session *s;
	size_t buf_bytes = 0;
	int err;

	mutex_lock(&dom->session_lock);
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

	s = kvzalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		err = -ENOMEM;
		goto err_unlock;
	}
	kref_get(&dom->ref);
	s->dom = dom;
	s->sending = sending;
	write_pnet(&s->owner_net, net);
	s->owner_portid = portid;
	s->params = *p;
	s->params.key = NULL;
	spin_lock_init(&s->lock);
	s->state = sending ? LDM_MIG_STATE_SENDING : LDM_MIG_STATE_RECEIVING;
	atomic64_set(&s->next_slot, 0);
	atomic64_set(&s->prod_seen, 0);

	err = ldm_crypt_init(&s->crypt, p->key, p->salt);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot set up gcm(aes) with this key");
		goto err_free;
	}

	err = -ENOMEM;
	s->ring = ldm_ring_create(p->ring_slots, slot_bytes, &dom->poll_wq);
	if (!s->ring)
		goto err_free;

	if (sending) {
		s->round_bits = ldm_bitmap_alloc(dom->npages);
		if (!s->round_bits)
			goto err_free;
		if (p->flags & LDM_MIG_F_BASELINE)
			buf_bytes = PAGE_SIZE;
		s->workers = ldm_workers_create(s, p->workers,
						ldm_snapshot_work, buf_bytes);
	} else {
		s->page_round = kvcalloc(dom->npages, sizeof(*s->page_round),
					 GFP_KERNEL);
		if (!s->page_round)
			goto err_free;
		s->workers = ldm_workers_create(s, p->workers,
						ldm_receive_work, slot_bytes);
	}
	if (!s->workers)
		goto err_free;

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
 * ldm_session_active() - whether a domain has a session
 * @dom: the domain
 *
 * Return: true if it has one, in any state.
 */
bool ldm_session_active(struct ldm_domain *dom)
{
	bool active;

	mutex_lock(&dom->session_lock);
	active = dom->session;
	mutex_unlock(&dom->session_lock);
	return active;
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
	if (s)
		dom->session = NULL;
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
 * ldm_session_stop() - end a domain's session, if it has one
 * @dom: the domain
 *
 * Waits for every worker, then frees the session and wipes the key.
 */
void ldm_session_stop(struct ldm_domain *dom)
{
	struct ldm_session *s = ldm_session_take(dom, NULL, 0);

	if (s)
		ldm_session_end(s);
}

/**
 * ldm_session_owner_gone() - a netlink socket closed: end its sessions
 * @net: its network namespace
 * @portid: its port
 */
void ldm_session_owner_gone(struct net *net, u32 portid)
{
	struct ldm_session *s;
	unsigned long id = 0;
	struct ldm_domain *dom;

	while ((dom = ldm_domain_get_next(&id))) {
		s = ldm_session_take(dom, net, portid);
		if (s)
			ldm_session_end(s);
		ldm_domain_put(dom);
		id++;
	}
}
