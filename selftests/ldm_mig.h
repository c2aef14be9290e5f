/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the migration-engine selftests: sessions over netlink, the
 * batch ring as userland sees it (map, put, drain), and a pump that runs a
 * round and hands each batch to a callback. Include after ldm_test.h.
 */
#ifndef LDM_MIG_H
#define LDM_MIG_H

#include <poll.h>

#include "ldm_test.h"

/* Payload of an attribute. */
#define NLA_DATA(a)	((const void *)((const char *)(a) + NLA_HDRLEN))

struct ring {
	int fd;
	void *map;
	size_t bytes;
	struct ldm_ring_hdr *hdr;
};

struct session_info {
	uint32_t state;
	uint32_t error;
	char errmsg[128];
	uint64_t ring_bytes;
	uint64_t stat[LDM_A_STAT_MAX + 1];	/* totals */
	uint64_t key_epoch;	/* newest key epoch a batch used */
	uint32_t rounds_done;	/* sending: rounds whose results are in */
	uint32_t workers;	/* per-worker sets of counters reported */
};

/* Nested attributes inside @n. */
static inline uint32_t nla_count(const struct nlattr *n)
{
	const struct nlattr *t;
	uint32_t count = 0;
	size_t len;

	if (!n)
		return 0;
	len = n->nla_len - NLA_HDRLEN;
	for (t = NLA_DATA(n); len >= NLA_HDRLEN && t->nla_len <= len;
	     len -= NLA_ALIGN(t->nla_len),
	     t = (const void *)((const char *)t + NLA_ALIGN(t->nla_len)))
		count++;
	return count;
}

static inline int get_session_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct session_info *si = arg;
	const struct nlattr *n, *t;
	struct ldm_attrs a;
	size_t len;

	ldm_nl_parse(nlh, &a);
	if (a.tb[LDM_A_MIG_STATE])
		memcpy(&si->state, NLA_DATA(a.tb[LDM_A_MIG_STATE]), 4);
	if (a.tb[LDM_A_MIG_ERROR])
		memcpy(&si->error, NLA_DATA(a.tb[LDM_A_MIG_ERROR]), 4);
	if (a.tb[LDM_A_MIG_ERROR_MSG])
		snprintf(si->errmsg, sizeof(si->errmsg), "%s",
			 (const char *)NLA_DATA(a.tb[LDM_A_MIG_ERROR_MSG]));
	if (a.tb[LDM_A_MIG_RING_BYTES])
		memcpy(&si->ring_bytes, NLA_DATA(a.tb[LDM_A_MIG_RING_BYTES]), 8);
	if (a.tb[LDM_A_MIG_KEY_EPOCH])
		memcpy(&si->key_epoch, NLA_DATA(a.tb[LDM_A_MIG_KEY_EPOCH]), 8);
	si->rounds_done = nla_count(a.tb[LDM_A_MIG_ROUNDS]);
	si->workers = nla_count(a.tb[LDM_A_MIG_WORKER_STATS]);
	n = a.tb[LDM_A_MIG_TOTALS];
	if (n) {
		len = n->nla_len - NLA_HDRLEN;
		for (t = NLA_DATA(n); len >= NLA_HDRLEN && t->nla_len <= len;
		     len -= NLA_ALIGN(t->nla_len),
		     t = (const void *)((const char *)t + NLA_ALIGN(t->nla_len)))
			if (t->nla_type <= LDM_A_STAT_MAX &&
			    t->nla_len == NLA_HDRLEN + 8)
				memcpy(&si->stat[t->nla_type], NLA_DATA(t), 8);
	}
	return 0;
}

static inline int session_get(struct ldm_nl *nl, const char *name,
		       struct session_info *si)
{
	struct ldm_msg m;

	memset(si, 0, sizeof(*si));
	ldm_msg_init(&m, nl->family, 0, LDM_CMD_MIGRATE_GET, LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, name);
	return ldm_nl_request(nl, &m, get_session_cb, si);
}

static const uint8_t test_key[LDM_KEY_BYTES] = {
	0x6c, 0x64, 0x6d, 0x20, 0x74, 0x65, 0x73, 0x74, 1, 2, 3, 4, 5, 6, 7,
	8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
};

/*
 * Open @name's node read-write into @r->fd, the file that will own the
 * session. Return: 0 or -errno.
 */
static inline int ring_open(const char *name, struct ring *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = ldm_open(name, O_RDWR);
	return r->fd < 0 ? -errno : 0;
}

/*
 * START (sending or receiving) with the usual parameters, owned by a new
 * open file of @name's node in @r->fd (map it with ring_map()), and give
 * the session the test key.
 */
/*
 * START a session on @name owned by a new open file in @r->fd, with a
 * 16-slot ring, key epochs of 1 << @epoch_shift batches (0: the
 * module's default), and epoch 0's key.
 */
static inline int session_start_epochs(struct ldm_nl *nl, const char *name,
				       int cmd, uint32_t workers,
				       uint32_t flags, uint32_t epoch_shift,
				       struct ring *r)
{
	struct ldm_msg m;
	int err;

	err = ring_open(name, r);
	if (err)
		return err;
	ldm_msg_init(&m, nl->family, 0, cmd, LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, name);
	ldm_msg_put_u32(&m, LDM_A_MIG_FD, (uint32_t)r->fd);
	if (workers)
		ldm_msg_put_u32(&m, LDM_A_MIG_WORKERS, workers);
	if (flags)
		ldm_msg_put_u32(&m, LDM_A_MIG_FLAGS, flags);
	if (epoch_shift)
		ldm_msg_put_u32(&m, LDM_A_MIG_EPOCH_SHIFT, epoch_shift);
	ldm_msg_put_u32(&m, LDM_A_MIG_RING_SLOTS, 16);
	err = ldm_nl_request(nl, &m, NULL, NULL);
	return err ? err : ldm_session_key(r->fd, test_key, 0x5a17);
}

static inline int session_start(struct ldm_nl *nl, const char *name, int cmd,
				uint32_t workers, uint32_t flags, struct ring *r)
{
	return session_start_epochs(nl, name, cmd, workers, flags, 0, r);
}

/* The test's key of epoch @epoch (>= 1) on the session file @fd. */
static inline int session_rekey(int fd, uint64_t epoch)
{
	struct ldm_session_rekey k = { .epoch = epoch,
				       .salt = 0x5a17 + (uint32_t)epoch };

	memcpy(k.key, test_key, sizeof(k.key));
	k.key[0] ^= (uint8_t)epoch;
	k.key[1] ^= (uint8_t)(epoch >> 8);
	return ioctl(fd, LDM_IOC_SESSION_REKEY, &k) ? -errno : 0;
}

static inline int name_cmd(struct ldm_nl *nl, const char *name, int cmd,
		    ldm_nl_cb cb, void *arg)
{
	struct ldm_msg m;

	ldm_msg_init(&m, nl->family, 0, cmd, LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, name);
	return ldm_nl_request(nl, &m, cb, arg);
}

static inline int round_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ldm_attrs a;

	ldm_nl_parse(nlh, &a);
	if (a.tb[LDM_A_MIG_ROUND])
		memcpy(arg, NLA_DATA(a.tb[LDM_A_MIG_ROUND]), 4);
	return 0;
}

/* Map the ring of @name's session through the file that owns it, @r->fd. */
static inline int ring_map(struct ldm_nl *nl, const char *name, struct ring *r)
{
	struct session_info si;
	int err;

	err = session_get(nl, name, &si);
	if (err)
		return err;
	r->bytes = si.ring_bytes;
	r->map = mmap(NULL, r->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->fd, LDM_RING_OFFSET);
	if (r->map == MAP_FAILED)
		return -errno;
	r->hdr = r->map;
	return 0;
}

static inline void ring_unmap(struct ring *r)
{
	if (r->map && r->map != MAP_FAILED)
		munmap(r->map, r->bytes);
	if (r->fd > 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
}

static inline void *ring_slot(struct ring *r, uint64_t seq)
{
	return (char *)r->map + r->hdr->slots_offset +
	       (seq % r->hdr->nslots) * r->hdr->slot_bytes;
}

static inline size_t batch_len(const void *b)
{
	const struct ldm_batch_hdr *h = b;

	return sizeof(*h) + h->payload_bytes + LDM_TAG_BYTES;
}

/* Wait up to 20 s for the ring to be readable (sending) or writable. */
static inline int ring_wait(struct ring *r, short ev)
{
	struct pollfd p = { .fd = r->fd, .events = ev };
	int n = poll(&p, 1, 20000);

	if (n < 0)
		return -errno;
	if (!n)
		return -ETIMEDOUT;
	return (p.revents & POLLERR) ? -EIO : 0;
}

/*
 * A sending ring's consumer is done with every slot below @cons: store
 * it, then (full fence: a release store and a later load may be reordered
 * on x86 too, see ldm.h) kick the module if a worker waits for room.
 */
static inline void ring_release(struct ring *tx, uint64_t cons)
{
	__atomic_store_n(&tx->hdr->cons, cons, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&tx->hdr->flags, __ATOMIC_RELAXED) &
	    LDM_RING_F_NEED_WAKEUP)
		ioctl(tx->fd, LDM_IOC_RING_KICK);
}

/* Put one batch into the receiving ring and kick the module. */
static inline int ring_put(struct ring *rx, const void *batch, size_t len)
{
	uint64_t prod = rx->hdr->prod;
	int err;

	while (prod - __atomic_load_n(&rx->hdr->cons, __ATOMIC_ACQUIRE) >=
	       rx->hdr->nslots) {
		err = ring_wait(rx, POLLOUT);
		if (err)
			return err;
	}
	memcpy(ring_slot(rx, prod), batch, len);
	__atomic_store_n(&rx->hdr->prod, prod + 1, __ATOMIC_RELEASE);
	return ioctl(rx->fd, LDM_IOC_RING_KICK) ? -errno : 0;
}

/* Wait until the receiver processed every slot it was given. */
static inline int ring_drain(struct ring *rx)
{
	int i;

	for (i = 0; i < 20000; i++) {
		if (__atomic_load_n(&rx->hdr->cons, __ATOMIC_ACQUIRE) ==
		    rx->hdr->prod)
			return 0;
		if (__atomic_load_n(&rx->hdr->state, __ATOMIC_ACQUIRE) ==
		    LDM_MIG_STATE_FAILED)
			return -EIO;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

typedef int (*batch_fn)(void *batch, size_t len, void *arg);

/*
 * Hand each batch of @tx to @fn, in ring order, up to and including the
 * round-end batch of round @round. Returns 0 or -errno.
 */
static inline int pump_codec_from(struct ring *tx, uint32_t round, batch_fn fn,
				  void *arg)
{
	struct ldm_batch_hdr *h;
	uint64_t cons;
	int err, done = 0;

	while (!done) {
		cons = tx->hdr->cons;
		if (cons == __atomic_load_n(&tx->hdr->prod, __ATOMIC_ACQUIRE)) {
			err = ring_wait(tx, POLLIN);
			if (err)
				return err;
			continue;
		}
		h = ring_slot(tx, cons);
		err = fn(h, batch_len(h), arg);
		if (err)
			return err;
		if ((h->flags & LDM_BATCH_F_ROUND_END) && h->round == round)
			done = 1;
		ring_release(tx, cons + 1);
	}
	return 0;
}

/*
 * Run one round on the sender with @codec (0: the default) and hand each
 * batch to @fn until the round-end batch of that round.
 */
static inline int pump_codec(struct ldm_nl *nl, const char *src, struct ring *tx,
		      uint32_t codec, batch_fn fn, void *arg)
{
	uint32_t round = ~0u;
	struct ldm_msg m;
	int err;

	ldm_msg_init(&m, nl->family, 0, LDM_CMD_MIGRATE_ROUND,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, src);
	if (codec)
		ldm_msg_put_u32(&m, LDM_A_MIG_CODEC, codec);
	err = ldm_nl_request(nl, &m, round_cb, &round);
	if (err)
		return err;
	return pump_codec_from(tx, round, fn, arg);
}

/* A round with the default codec. */
static inline int pump_round(struct ldm_nl *nl, const char *src, struct ring *tx,
		      batch_fn fn, void *arg)
{
	return pump_codec(nl, src, tx, 0, fn, arg);
}

static inline int forward(void *batch, size_t len, void *arg)
{
	return ring_put(arg, batch, len);
}

#endif /* LDM_MIG_H */
