// SPDX-License-Identifier: GPL-2.0
/* Migration sessions over netlink, and the batch ring; see mig.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <openssl/crypto.h>

#include "domain.h"
#include "mig.h"

static const struct nla_policy mig_policy[LDM_A_MAX + 1] = {
	[LDM_A_DOMAIN_NAME]	= { .type = NLA_STRING, .maxlen = LDM_NAME_MAX },
	[LDM_A_MIG_ROUND]	= { .type = NLA_U32 },
	[LDM_A_MIG_ROUND_PAGES]	= { .type = NLA_U64 },
	[LDM_A_MIG_STATE]	= { .type = NLA_U32 },
	[LDM_A_MIG_ERROR]	= { .type = NLA_U32 },
	[LDM_A_MIG_ERROR_MSG]	= { .type = NLA_STRING },
	[LDM_A_MIG_TOTALS]	= { .type = NLA_NESTED },
	[LDM_A_MIG_ROUNDS]	= { .type = NLA_NESTED },
	[LDM_A_MIG_WORKER_STATS] = { .type = NLA_NESTED },
	[LDM_A_MIG_RING_BYTES]	= { .type = NLA_U64 },
	[LDM_A_MIG_DIRTY_LIMIT]	= { .type = NLA_U32 },
	[LDM_A_MIG_THROTTLED]	= { .type = NLA_U64 },
	[LDM_A_MIG_THROTTLE_NS]	= { .type = NLA_U64 },
	[LDM_A_MIG_EPOCH_SHIFT]	= { .type = NLA_U32 },
	[LDM_A_MIG_KEY_EPOCH]	= { .type = NLA_U64 },
};

int mig_start(struct ldm_genl *g, const char *name, bool sending,
	      const struct mig_params *p, struct uring *r)
{
	struct nl_msg *msg;
	struct ldm_session_key k;
	int err;

	memset(r, 0, sizeof(*r));
	/* The session's data path belongs to this open file only. */
	r->fd = ldm_node_open(name, O_RDWR);
	if (r->fd < 0) {
		err = r->fd;
		r->fd = -1;
		return err;
	}
	msg = ldm_domain_msg(g, sending ? LDM_CMD_MIGRATE_START :
			     LDM_CMD_RECEIVE_START, name);
	if (msg && (nla_put_s32(msg, LDM_A_MIG_FD, r->fd) < 0 ||
		    (p->workers &&
		     nla_put_u32(msg, LDM_A_MIG_WORKERS, p->workers) < 0) ||
		    (p->batch_bytes &&
		     nla_put_u32(msg, LDM_A_MIG_BATCH_BYTES, p->batch_bytes) < 0) ||
		    (p->ring_slots &&
		     nla_put_u32(msg, LDM_A_MIG_RING_SLOTS, p->ring_slots) < 0) ||
		    (p->flags && nla_put_u32(msg, LDM_A_MIG_FLAGS, p->flags) < 0) ||
		    (p->dirty_limit &&
		     nla_put_u32(msg, LDM_A_MIG_DIRTY_LIMIT, p->dirty_limit) < 0) ||
		    (p->epoch_shift &&
		     nla_put_u32(msg, LDM_A_MIG_EPOCH_SHIFT, p->epoch_shift) < 0))) {
		nlmsg_free(msg);
		msg = NULL;
	}
	err = msg ? ldm_genl_request(g, msg, NULL, NULL) : -ENOMEM;
	if (!err) {
		/* The key never travels in a netlink message. */
		memset(&k, 0, sizeof(k));
		memcpy(k.key, p->key, sizeof(k.key));
		k.salt = p->salt;
		err = ioctl(r->fd, LDM_IOC_SESSION_KEY, &k) ? -errno : 0;
		OPENSSL_cleanse(&k, sizeof(k));
	}
	if (err) {
		close(r->fd);
		r->fd = -1;
	}
	return err;
}

struct round_ctx {
	uint32_t round;
	uint64_t pages;
};

static int round_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LDM_A_MAX + 1];
	struct round_ctx *c = arg;
	int err;

	err = ldm_genl_parse(msg, tb, LDM_A_MAX,
			     (struct nla_policy *)mig_policy);
	if (err)
		return err;
	if (!tb[LDM_A_MIG_ROUND] || !tb[LDM_A_MIG_ROUND_PAGES])
		return -EBADMSG;
	c->round = nla_get_u32(tb[LDM_A_MIG_ROUND]);
	c->pages = nla_get_u64(tb[LDM_A_MIG_ROUND_PAGES]);
	return 0;
}

int mig_round(struct ldm_genl *g, const char *name, uint32_t codec,
	      uint32_t flags, uint32_t *round, uint64_t *pages)
{
	struct nl_msg *msg = ldm_domain_msg(g, LDM_CMD_MIGRATE_ROUND, name);
	struct round_ctx c = { 0 };
	int err;

	if (msg && ((codec && nla_put_u32(msg, LDM_A_MIG_CODEC, codec) < 0) ||
		    (flags &&
		     nla_put_u32(msg, LDM_A_MIG_ROUND_FLAGS, flags) < 0))) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = ldm_genl_request_one(g, msg, round_reply, &c);
	if (!err) {
		*round = c.round;
		*pages = c.pages;
	}
	return err;
}

/* MIGRATE_SET with one u32 attribute. */
static int mig_set_u32(struct ldm_genl *g, const char *name, int attr,
		       uint32_t v)
{
	struct nl_msg *msg = ldm_domain_msg(g, LDM_CMD_MIGRATE_SET, name);

	if (msg && nla_put_u32(msg, attr, v) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return ldm_genl_request(g, msg, NULL, NULL);
}

int mig_set_codec(struct ldm_genl *g, const char *name, uint32_t codec)
{
	return mig_set_u32(g, name, LDM_A_MIG_CODEC, codec);
}

int mig_set_dirty_limit(struct ldm_genl *g, const char *name, uint32_t rate)
{
	return mig_set_u32(g, name, LDM_A_MIG_DIRTY_LIMIT, rate);
}

int mig_stop(struct ldm_genl *g, const char *name)
{
	return ldm_genl_request(g, ldm_domain_msg(g, LDM_CMD_MIGRATE_STOP, name),
				NULL, NULL);
}

/* Counters: every one a u64; unknown ones are skipped. */
static int stats_parse(struct nlattr *nest, struct mig_stats *s)
{
	struct nlattr *a;
	int rem;

	memset(s, 0, sizeof(*s));
	nla_for_each_nested(a, nest, rem) {
		int t = nla_type(a);

		if (t <= 0 || t > LDM_A_STAT_MAX || t == LDM_A_STAT_PAD)
			continue;
		if (nla_len(a) != 8)
			return -EBADMSG;
		s->v[t] = nla_get_u64(a);
	}
	return rem ? -EBADMSG : 0;
}

int mig_info_parse(struct nl_msg *msg, struct mig_info *info)
{
	struct nlattr *tb[LDM_A_MAX + 1], *a;
	int err, rem;

	memset(info, 0, sizeof(*info));
	err = ldm_genl_parse(msg, tb, LDM_A_MAX,
			     (struct nla_policy *)mig_policy);
	if (err)
		return err;
	if (!tb[LDM_A_MIG_STATE])
		return -EBADMSG;
	info->state = nla_get_u32(tb[LDM_A_MIG_STATE]);
	if (tb[LDM_A_MIG_ERROR])
		info->error = nla_get_u32(tb[LDM_A_MIG_ERROR]);
	if (tb[LDM_A_MIG_ERROR_MSG])
		nla_strlcpy(info->errmsg, tb[LDM_A_MIG_ERROR_MSG],
			    sizeof(info->errmsg));
	if (tb[LDM_A_MIG_ROUND])
		info->round = nla_get_u32(tb[LDM_A_MIG_ROUND]);
	if (tb[LDM_A_MIG_RING_BYTES])
		info->ring_bytes = nla_get_u64(tb[LDM_A_MIG_RING_BYTES]);
	if (tb[LDM_A_MIG_DIRTY_LIMIT])
		info->dirty_limit = nla_get_u32(tb[LDM_A_MIG_DIRTY_LIMIT]);
	if (tb[LDM_A_MIG_THROTTLED])
		info->throttled = nla_get_u64(tb[LDM_A_MIG_THROTTLED]);
	if (tb[LDM_A_MIG_THROTTLE_NS])
		info->throttle_ns = nla_get_u64(tb[LDM_A_MIG_THROTTLE_NS]);
	if (tb[LDM_A_MIG_EPOCH_SHIFT])
		info->epoch_shift = nla_get_u32(tb[LDM_A_MIG_EPOCH_SHIFT]);
	if (tb[LDM_A_MIG_KEY_EPOCH])
		info->key_epoch = nla_get_u64(tb[LDM_A_MIG_KEY_EPOCH]);
	if (tb[LDM_A_MIG_TOTALS] &&
	    stats_parse(tb[LDM_A_MIG_TOTALS], &info->totals))
		return -EBADMSG;
	if (tb[LDM_A_MIG_ROUNDS]) {
		nla_for_each_nested(a, tb[LDM_A_MIG_ROUNDS], rem) {
			uint32_t n = info->nrounds;

			if (n == MIG_ROUNDS_SHOWN || nla_type(a) < 1)
				return -EBADMSG;
			info->round_ids[n] = (uint32_t)nla_type(a) - 1;
			if (stats_parse(a, &info->rounds[n]))
				return -EBADMSG;
			info->nrounds++;
		}
	}
	return 0;
}

static int get_reply(struct nl_msg *msg, void *arg)
{
	return mig_info_parse(msg, arg);
}

int mig_get(struct ldm_genl *g, const char *name, struct mig_info *info)
{
	return ldm_genl_request_one(g, ldm_domain_msg(g, LDM_CMD_MIGRATE_GET,
						      name),
				    get_reply, info);
}

const struct mig_stats *mig_round_stats(const struct mig_info *info,
					uint32_t round)
{
	uint32_t i;

	for (i = 0; i < info->nrounds; i++)
		if (info->round_ids[i] == round)
			return &info->rounds[i];
	return NULL;
}

uint64_t mig_stats_pages(const struct mig_stats *s)
{
	return s->v[LDM_A_STAT_PAGES_ZERO] + s->v[LDM_A_STAT_PAGES_SKIPPED] +
	       s->v[LDM_A_STAT_PAGES_LZJB] + s->v[LDM_A_STAT_PAGES_LZ4] +
	       s->v[LDM_A_STAT_PAGES_RAW];
}

int ldm_node_open(const char *name, int flags)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/ldm/%s", name);
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int uring_map(struct uring *r, uint64_t bytes)
{
	const struct ldm_ring_hdr *h;
	uint64_t end;
	int err;

	if (!bytes || bytes > (1ULL << 40)) {
		err = -EINVAL;
		goto fail;
	}
	r->bytes = (size_t)bytes;
	r->map = mmap(NULL, r->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->fd, (off_t)LDM_RING_OFFSET);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		err = -errno;
		goto fail;
	}
	r->hdr = r->map;
	h = r->hdr;
	r->nslots = h->nslots;
	r->slot_bytes = h->slot_bytes;
	r->slots_offset = h->slots_offset;
	end = (uint64_t)r->slots_offset + (uint64_t)r->nslots * r->slot_bytes;
	if (h->magic != LDM_RING_MAGIC || h->version != LDM_UAPI_VERSION ||
	    !r->nslots || (r->nslots & (r->nslots - 1)) ||
	    r->slot_bytes < sizeof(struct ldm_batch_hdr) + LDM_TAG_BYTES ||
	    r->slots_offset < sizeof(*h) || end > r->bytes) {
		err = -EPROTO;
		goto fail;
	}
	return 0;
fail:
	uring_unmap(r);
	return err;
}

void uring_unmap(struct uring *r)
{
	if (r->map)
		munmap(r->map, r->bytes);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int uring_kick(struct uring *r)
{
	return ioctl(r->fd, LDM_IOC_RING_KICK) ? -errno : 0;
}

int uring_release(struct uring *r, uint64_t cons)
{
	uring_store(&r->hdr->cons, cons);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->hdr->flags, __ATOMIC_RELAXED) &
	    LDM_RING_F_NEED_WAKEUP)
		return uring_kick(r);
	return 0;
}

int mig_page_set(int fd, unsigned long cmd, uint64_t *words, size_t nwords,
		 uint32_t round, uint64_t *count)
{
	struct ldm_page_set ps = {
		.bitmap = (uintptr_t)words,
		.bitmap_bytes = nwords * sizeof(uint64_t),
		.round = round,
	};

	if (ioctl(fd, cmd, &ps))
		return -errno;
	*count = ps.count;
	return 0;
}
