// SPDX-License-Identifier: GPL-2.0
/*
 * The "ldm" generic netlink family: create, destroy and describe domains.
 *
 * Every request is untrusted: attributes are typed by per-op policies,
 * validated strictly (resv_start_op = 0), and every refusal carries an
 * extack message naming what is wrong, which ldmctl prints. Every op needs
 * CAP_NET_ADMIN in the initial user namespace.
 *
 * The family works in every network namespace, and a namespace sees the
 * domains it created (the initial namespace, the host's, sees them all):
 * a container with CAP_NET_ADMIN in a namespace of its own can neither
 * see nor touch the host's guests (domain.c).
 *
 * No key travels in a request: a netlink request may be echoed back in
 * an error reply or copied by a tap (nlmon), so a session's key goes
 * through its own file (LDM_IOC_SESSION_KEY), and the attributes that
 * carried it in version 1 are refused.
 */

#include <linux/file.h>
#include <linux/fips.h>
#include <linux/mm.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include <uapi/linux/ldm.h>

#include "devnode.h"
#include "domain.h"
#include "netlink.h"
#include "receive.h"
#include "report.h"
#include "ring.h"
#include "send.h"
#include "session.h"
#include "throttle.h"

static struct genl_family ldm_genl_family;

static const struct nla_policy ldm_domain_new_policy[LDM_A_MAX + 1] = {
	[LDM_A_DOMAIN_NAME] = { .type = NLA_NUL_STRING },
	[LDM_A_DOMAIN_SIZE] = { .type = NLA_U64 },
};

static const struct nla_policy ldm_domain_name_policy[LDM_A_MAX + 1] = {
	[LDM_A_DOMAIN_NAME] = { .type = NLA_NUL_STRING },
};

static const struct nla_policy ldm_round_policy[LDM_A_MAX + 1] = {
	[LDM_A_DOMAIN_NAME] = { .type = NLA_NUL_STRING },
	[LDM_A_MIG_CODEC] = NLA_POLICY_RANGE(NLA_U32, LDM_CODEC_LZJB,
					     LDM_CODEC_NONE),
	[LDM_A_MIG_ROUND_FLAGS] = NLA_POLICY_MASK(NLA_U32, LDM_ROUND_F_RESEND |
						  LDM_ROUND_F_POSTCOPY),
};

static const struct nla_policy ldm_set_policy[LDM_A_MAX + 1] = {
	[LDM_A_DOMAIN_NAME] = { .type = NLA_NUL_STRING },
	[LDM_A_MIG_CODEC] = NLA_POLICY_RANGE(NLA_U32, LDM_CODEC_LZJB,
					     LDM_CODEC_NONE),
	[LDM_A_MIG_DIRTY_LIMIT] = { .type = NLA_U32 },
};

static const struct nla_policy ldm_domain_state_policy[LDM_A_MAX + 1] = {
	[LDM_A_DOMAIN_NAME] = { .type = NLA_NUL_STRING },
	[LDM_A_DOMAIN_STATE] = NLA_POLICY_RANGE(NLA_U32,
						LDM_DOMAIN_STATE_ACTIVE,
						LDM_DOMAIN_STATE_MIGRATED),
};

static const struct nla_policy ldm_session_start_policy[LDM_A_MAX + 1] = {
	[LDM_A_DOMAIN_NAME] = { .type = NLA_NUL_STRING },
	[LDM_A_MIG_KEY_V1] = {
		.type = NLA_REJECT,
		.reject_message = "keys go through LDM_IOC_SESSION_KEY, never netlink",
	},
	[LDM_A_MIG_SALT_V1] = {
		.type = NLA_REJECT,
		.reject_message = "keys go through LDM_IOC_SESSION_KEY, never netlink",
	},
	[LDM_A_MIG_FD] = { .type = NLA_S32 },
	[LDM_A_MIG_WORKERS] = NLA_POLICY_RANGE(NLA_U32, 1, LDM_WORKERS_MAX),
	[LDM_A_MIG_BATCH_BYTES] = { .type = NLA_U32 },
	[LDM_A_MIG_RAW_THRESHOLD] = { .type = NLA_U32 },
	[LDM_A_MIG_RING_SLOTS] = { .type = NLA_U32 },
	[LDM_A_MIG_FLAGS] = { .type = NLA_U32 },
	[LDM_A_MIG_DIRTY_LIMIT] = { .type = NLA_U32 },
	[LDM_A_MIG_EPOCH_SHIFT] = { .type = NLA_U32 },
};

/*
 * A name becomes a file name under /dev/ldm/ and a sysfs entry, so only a
 * conservative character set, and never "." or "..". The policy has no
 * length limit so that an overlong name gets its own message here.
 */
static int ldm_nl_get_name(struct genl_info *info, char name[LDM_NAME_MAX])
{
	struct nlattr *attr = info->attrs[LDM_A_DOMAIN_NAME];
	struct netlink_ext_ack *extack = info->extack;
	const char *s;
	size_t len, i;

	if (!attr) {
		NL_SET_ERR_MSG(extack, "missing domain name");
		NL_SET_ERR_ATTR_MISS(extack, NULL, LDM_A_DOMAIN_NAME);
		return -EINVAL;
	}
	s = nla_data(attr);
	len = strlen(s);
	if (!len) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "domain name is empty");
		return -EINVAL;
	}
	if (len >= LDM_NAME_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "domain name is longer than 31 bytes");
		return -ENAMETOOLONG;
	}
	for (i = 0; i < len; i++) {
		/* Not isalnum(): the kernel's takes Latin-1 letters too. */
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') &&
		    s[i] != '_' && s[i] != '.' && s[i] != '-') {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "domain name may only contain A-Z, a-z, 0-9, '_', '.' and '-'");
			return -EINVAL;
		}
	}
	if (!strcmp(s, ".") || !strcmp(s, "..")) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "domain name cannot be '.' or '..'");
		return -EINVAL;
	}
	memcpy(name, s, len + 1);
	return 0;
}

/* The domain a request names, with a reference, or an ERR_PTR. */
static struct ldm_domain *ldm_nl_lookup(struct genl_info *info)
{
	struct ldm_domain *dom;
	char name[LDM_NAME_MAX];
	int err;

	err = ldm_nl_get_name(info, name);
	if (err)
		return ERR_PTR(err);
	dom = ldm_domain_get(genl_info_net(info), name);
	if (!dom) {
		NL_SET_ERR_MSG(info->extack, "no such domain");
		return ERR_PTR(-ENOENT);
	}
	return dom;
}

static int ldm_nl_fill_domain(struct sk_buff *skb, struct ldm_domain *dom,
			      u32 portid, u32 seq, int flags)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &ldm_genl_family, flags,
			  LDM_CMD_DOMAIN_GET);
	if (!hdr)
		return -EMSGSIZE;

	if (nla_put_string(skb, LDM_A_DOMAIN_NAME, dom->name) ||
	    nla_put_u64_64bit(skb, LDM_A_DOMAIN_SIZE, dom->size, LDM_A_PAD) ||
	    nla_put_u32(skb, LDM_A_DOMAIN_PAGE_SIZE, PAGE_SIZE) ||
	    nla_put_u64_64bit(skb, LDM_A_DOMAIN_RESIDENT,
			      atomic_long_read(&dom->mem.resident), LDM_A_PAD) ||
	    nla_put_u64_64bit(skb, LDM_A_DOMAIN_DIRTY,
			      ldm_dirty_count(&dom->dirty), LDM_A_PAD) ||
	    nla_put_u32(skb, LDM_A_DOMAIN_STATE, dom->state) ||
	    nla_put_u32(skb, LDM_A_DOMAIN_OPEN, atomic_read(&dom->nr_open)) ||
	    nla_put_u32(skb, LDM_A_DOMAIN_MAPPED,
			atomic_read(&dom->nr_mapped)) ||
	    nla_put_u32(skb, LDM_A_DOMAIN_MINOR, dom->id) ||
	    ldm_report_postcopy(skb, dom)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int ldm_nl_domain_new(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	char name[LDM_NAME_MAX];
	struct nlattr *attr;
	u64 size;
	int err;

	err = ldm_nl_get_name(info, name);
	if (err)
		return err;

	attr = info->attrs[LDM_A_DOMAIN_SIZE];
	if (!attr) {
		NL_SET_ERR_MSG(extack, "missing domain size");
		NL_SET_ERR_ATTR_MISS(extack, NULL, LDM_A_DOMAIN_SIZE);
		return -EINVAL;
	}
	size = nla_get_u64(attr);
	if (!size) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "domain size is zero");
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(size)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "domain size is not a multiple of the page size");
		return -EINVAL;
	}
	if (size > ldm_domain_max_size()) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "domain size exceeds the max_domain_mib module parameter");
		return -ERANGE;
	}

	return ldm_domain_create(genl_info_net(info), name, size, extack);
}

static int ldm_nl_domain_del(struct sk_buff *skb, struct genl_info *info)
{
	char name[LDM_NAME_MAX];
	int err;

	err = ldm_nl_get_name(info, name);
	if (err)
		return err;
	return ldm_domain_destroy(genl_info_net(info), name, info->extack);
}

static int ldm_nl_domain_get(struct sk_buff *skb, struct genl_info *info)
{
	struct ldm_domain *dom;
	struct sk_buff *msg;
	int err;

	dom = ldm_nl_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out_put;
	}
	err = ldm_nl_fill_domain(msg, dom, info->snd_portid, info->snd_seq, 0);
	if (err) {
		nlmsg_free(msg);
		goto out_put;
	}
	err = genlmsg_reply(msg, info);
out_put:
	ldm_domain_put(dom);
	return err;
}

static int ldm_nl_domain_set_state(struct sk_buff *skb,
				   struct genl_info *info)
{
	struct ldm_domain *dom;
	int err;

	if (!info->attrs[LDM_A_DOMAIN_STATE]) {
		NL_SET_ERR_MSG(info->extack, "missing domain state");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, LDM_A_DOMAIN_STATE);
		return -EINVAL;
	}
	dom = ldm_nl_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	err = ldm_domain_set_state(dom,
				   nla_get_u32(info->attrs[LDM_A_DOMAIN_STATE]),
				   info->extack);
	ldm_domain_put(dom);
	return err;
}

/* cb->args[0]: the id of the next domain to send. */
static int ldm_nl_domain_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long id = cb->args[0];
	struct ldm_domain *dom;
	int err;

	while ((dom = ldm_domain_get_next(sock_net(skb->sk), &id))) {
		err = ldm_nl_fill_domain(skb, dom,
					 NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI);
		ldm_domain_put(dom);
		if (err)
			break;	/* skb full: resume at this domain */
		id++;
	}
	cb->args[0] = id;
	return skb->len;
}

/* An optional u32 attribute, or its default. */
static u32 ldm_nl_u32(struct genl_info *info, int type, u32 def)
{
	return info->attrs[type] ? nla_get_u32(info->attrs[type]) : def;
}

/*
 * The key epoch: the longest that keeps a key's bytes within
 * LDM_EPOCH_BYTES_SHIFT, or a shorter one asked for. A sender must give
 * the next epoch's key before its workers can need it: its userland does
 * so as it takes an epoch's first batch, and the workers are at most a
 * ring ahead of it, so an epoch is at least a ring long.
 */
static int ldm_nl_epoch_shift(struct genl_info *info,
			      struct ldm_session_params *p)
{
	u32 slot = sizeof(struct ldm_batch_hdr) + p->batch_bytes +
		   LDM_TAG_BYTES;
	u32 max = LDM_EPOCH_BYTES_SHIFT - order_base_2(slot);
	u32 min = max_t(u32, LDM_EPOCH_SHIFT_MIN, ilog2(p->ring_slots));

	p->epoch_shift = ldm_nl_u32(info, LDM_A_MIG_EPOCH_SHIFT, max);
	if (p->epoch_shift < min || p->epoch_shift > max) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[LDM_A_MIG_EPOCH_SHIFT],
				    "key epoch shift out of range: at least 8 and log2 of the ring slots, at most 36 - log2 of a batch's bytes");
		return -ERANGE;
	}
	return 0;
}

static int ldm_nl_session_params(struct genl_info *info, bool sending,
				 struct ldm_session_params *p)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **a = info->attrs;

	p->flags = ldm_nl_u32(info, LDM_A_MIG_FLAGS, 0);
	p->workers = ldm_nl_u32(info, LDM_A_MIG_WORKERS, num_online_cpus());
	p->batch_bytes = ldm_nl_u32(info, LDM_A_MIG_BATCH_BYTES,
				    LDM_BATCH_DEFAULT);
	p->raw_threshold = ldm_nl_u32(info, LDM_A_MIG_RAW_THRESHOLD,
				      PAGE_SIZE / 8 * 7);
	p->dirty_limit = ldm_nl_u32(info, LDM_A_MIG_DIRTY_LIMIT, 0);

	if (p->flags & ~(LDM_MIG_F_BASELINE | LDM_MIG_F_FIPS) ||
	    (!sending && p->flags & LDM_MIG_F_BASELINE)) {
		NL_SET_ERR_MSG_ATTR(extack, a[LDM_A_MIG_FLAGS],
				    "unknown migration flags");
		return -EINVAL;
	}
	if (!sending && p->dirty_limit) {
		NL_SET_ERR_MSG_ATTR(extack, a[LDM_A_MIG_DIRTY_LIMIT],
				    "a dirty limit is for a sending session");
		return -EINVAL;
	}
	/* FIPS mode end to end: the kernel's crypto must be validated too. */
	if (p->flags & LDM_MIG_F_FIPS && !fips_enabled) {
		NL_SET_ERR_MSG_ATTR(extack, a[LDM_A_MIG_FLAGS],
				    "FIPS mode requested, but the kernel is not in FIPS mode (fips=1)");
		return -EPERM;
	}
	if (p->flags & LDM_MIG_F_BASELINE)
		p->workers = 1;
	/* The policy bounds an explicit count; the default needs a bound. */
	p->workers = min_t(u32, p->workers, LDM_WORKERS_MAX);
	p->ring_slots = ldm_nl_u32(info, LDM_A_MIG_RING_SLOTS,
				   max_t(u32, LDM_RING_SLOTS_DEFAULT,
					 roundup_pow_of_two(2 * p->workers)));
	if (p->batch_bytes < LDM_BATCH_MIN || p->batch_bytes > LDM_BATCH_MAX ||
	    p->batch_bytes < sizeof(struct ldm_record) + PAGE_SIZE) {
		NL_SET_ERR_MSG_ATTR(extack, a[LDM_A_MIG_BATCH_BYTES],
				    "batch size out of range");
		return -EINVAL;
	}
	if (!p->raw_threshold || p->raw_threshold > PAGE_SIZE) {
		NL_SET_ERR_MSG_ATTR(extack, a[LDM_A_MIG_RAW_THRESHOLD],
				    "raw threshold must be 1 to the page size");
		return -EINVAL;
	}
	if (!is_power_of_2(p->ring_slots) ||
	    p->ring_slots < 2 * p->workers ||
	    p->ring_slots > LDM_RING_SLOTS_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, a[LDM_A_MIG_RING_SLOTS],
				    "ring slots must be a power of two, at least twice the workers");
		return -EINVAL;
	}
	/* A slot holds a header, a full payload and a tag. */
	if ((u64)p->ring_slots * (p->batch_bytes + PAGE_SIZE) >
	    LDM_RING_MAX_BYTES) {
		NL_SET_ERR_MSG_ATTR(extack, a[LDM_A_MIG_RING_SLOTS],
				    "ring would exceed 256 MiB: fewer slots or smaller batches");
		return -EINVAL;
	}
	return ldm_nl_epoch_shift(info, p);
}

/*
 * The open file of @dom's node that LDM_A_MIG_FD names, in the caller's
 * file table, with a reference; or an ERR_PTR with the reason in extack.
 * Read-write, so that its owner can move the ring's indexes.
 */
static struct file *ldm_nl_owner_file(struct genl_info *info,
				      struct ldm_domain *dom)
{
	struct nlattr *attr = info->attrs[LDM_A_MIG_FD];
	struct file *file;

	if (!attr) {
		NL_SET_ERR_MSG(info->extack,
			       "missing the file descriptor of the domain's node");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, LDM_A_MIG_FD);
		return ERR_PTR(-EINVAL);
	}
	file = fget(nla_get_s32(attr));
	if (!file) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "not an open file descriptor");
		return ERR_PTR(-EBADF);
	}
	if (ldm_devnode_file_data(file) != dom) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "file descriptor is not this domain's node");
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
	    (FMODE_READ | FMODE_WRITE)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "the domain's node must be open read-write");
		fput(file);
		return ERR_PTR(-EBADF);
	}
	return file;
}

static int ldm_nl_session_start(struct sk_buff *skb, struct genl_info *info,
				bool sending)
{
	struct ldm_session_params p;
	struct ldm_domain *dom;
	struct file *file;
	int err;

	dom = ldm_nl_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	err = ldm_nl_session_params(info, sending, &p);
	if (err)
		goto out_put;
	file = ldm_nl_owner_file(info, dom);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto out_put;
	}
	/* Our reference keeps @file from its release until it is owner. */
	err = ldm_session_start(dom, sending, &p, file, genl_info_net(info),
				info->snd_portid,
				sending ? ldm_send_work : ldm_receive_work,
				info->extack);
	fput(file);
out_put:
	ldm_domain_put(dom);
	return err;
}

static int ldm_nl_migrate_start(struct sk_buff *skb, struct genl_info *info)
{
	return ldm_nl_session_start(skb, info, true);
}

static int ldm_nl_receive_start(struct sk_buff *skb, struct genl_info *info)
{
	return ldm_nl_session_start(skb, info, false);
}

static int ldm_nl_migrate_round(struct sk_buff *skb, struct genl_info *info)
{
	struct ldm_domain *dom;
	struct sk_buff *msg;
	void *hdr;
	u64 pages;
	u32 round;
	int err;

	dom = ldm_nl_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	err = ldm_send_round(dom, ldm_nl_u32(info, LDM_A_MIG_CODEC,
					     LDM_CODEC_LZJB),
				 ldm_nl_u32(info, LDM_A_MIG_ROUND_FLAGS, 0),
				 &round, &pages, info->extack);
	ldm_domain_put(dom);
	if (err)
		return err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ldm_genl_family, 0,
				LDM_CMD_MIGRATE_ROUND);
	if (!hdr || nla_put_u32(msg, LDM_A_MIG_ROUND, round) ||
	    nla_put_u64_64bit(msg, LDM_A_MIG_ROUND_PAGES, pages, LDM_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int ldm_nl_migrate_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *codec = info->attrs[LDM_A_MIG_CODEC];
	struct nlattr *limit = info->attrs[LDM_A_MIG_DIRTY_LIMIT];
	struct ldm_domain *dom;
	int err = 0;

	if (!codec && !limit) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to change: give a codec or a dirty limit");
		return -EINVAL;
	}
	dom = ldm_nl_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	if (codec)
		err = ldm_send_set_codec(dom, nla_get_u32(codec), info->extack);
	if (!err && limit)
		err = ldm_session_set_dirty_limit(dom, nla_get_u32(limit),
						  info->extack);
	ldm_domain_put(dom);
	return err;
}

static int ldm_nl_migrate_stop(struct sk_buff *skb, struct genl_info *info)
{
	struct ldm_domain *dom;
	int err;

	dom = ldm_nl_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	err = ldm_session_stop(dom);
	if (err)
		NL_SET_ERR_MSG(info->extack, "domain has no migration session");
	ldm_domain_put(dom);
	return err;
}

static int ldm_nl_migrate_get(struct sk_buff *skb, struct genl_info *info)
{
	struct ldm_domain *dom;
	struct sk_buff *msg;
	void *hdr;
	int err;

	dom = ldm_nl_lookup(info);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	/*
	 * Sized under the lock that keeps the session (and so its worker
	 * count) from changing: a reply never runs out of room, however
	 * many workers there are.
	 */
	mutex_lock(&dom->session_lock);
	msg = genlmsg_new(ldm_report_session_size(dom->session ?
					      dom->session->params.workers : 0),
			  GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out_unlock;
	}
	hdr = genlmsg_put_reply(msg, info, &ldm_genl_family, 0,
				LDM_CMD_MIGRATE_GET);
	err = -EMSGSIZE;
	if (hdr && !nla_put_string(msg, LDM_A_DOMAIN_NAME, dom->name)) {
		if (dom->session)
			err = ldm_report_session(msg, dom->session);
		else
			err = nla_put_u32(msg, LDM_A_MIG_STATE,
					  LDM_MIG_STATE_NONE);
	}
	mutex_unlock(&dom->session_lock);
	if (WARN_ON_ONCE(err == -EMSGSIZE) || err)
		goto out_free;
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);
	goto out_put;

out_free:
	nlmsg_free(msg);
	goto out_put;
out_unlock:
	mutex_unlock(&dom->session_lock);
out_put:
	ldm_domain_put(dom);
	return err;
}

static const struct genl_ops ldm_genl_ops[] = {
	{
		.cmd = LDM_CMD_DOMAIN_NEW,
		.doit = ldm_nl_domain_new,
		.policy = ldm_domain_new_policy,
		.maxattr = LDM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LDM_CMD_DOMAIN_DEL,
		.doit = ldm_nl_domain_del,
		.policy = ldm_domain_name_policy,
		.maxattr = LDM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LDM_CMD_DOMAIN_GET,
		.doit = ldm_nl_domain_get,
		.dumpit = ldm_nl_domain_dump,
		.policy = ldm_domain_name_policy,
		.maxattr = LDM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LDM_CMD_MIGRATE_START,
		.doit = ldm_nl_migrate_start,
		.policy = ldm_session_start_policy,
		.maxattr = LDM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LDM_CMD_MIGRATE_ROUND,
		.doit = ldm_nl_migrate_round,
		.policy = ldm_round_policy,
		.maxattr = LDM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LDM_CMD_RECEIVE_START,
		.doit = ldm_nl_receive_start,
		.policy = ldm_session_start_policy,
		.maxattr = LDM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LDM_CMD_MIGRATE_STOP,
		.doit = ldm_nl_migrate_stop,
		.policy = ldm_domain_name_policy,
		.maxattr = LDM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LDM_CMD_MIGRATE_GET,
		.doit = ldm_nl_migrate_get,
		.policy = ldm_domain_name_policy,
		.maxattr = LDM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LDM_CMD_DOMAIN_SET_STATE,
		.doit = ldm_nl_domain_set_state,
		.policy = ldm_domain_state_policy,
		.maxattr = LDM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LDM_CMD_MIGRATE_SET,
		.doit = ldm_nl_migrate_set,
		.policy = ldm_set_policy,
		.maxattr = LDM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

/*
 * A session ends with the netlink socket that started it (its process
 * exited or was killed): walk every domain, whichever namespace sees it,
 * and end the sessions that socket owns.
 */
static int ldm_nl_notify(struct notifier_block *nb, unsigned long event,
			 void *ptr)
{
	struct netlink_notify *n = ptr;
	struct ldm_domain *dom;
	unsigned long id = 0;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;
	while ((dom = ldm_domain_get_next(NULL, &id))) {
		ldm_session_stop_owned(dom, n->net, n->portid);
		ldm_domain_put(dom);
		id++;
	}
	return NOTIFY_DONE;
}

static struct notifier_block ldm_nl_notifier = {
	.notifier_call = ldm_nl_notify,
};

static struct genl_family ldm_genl_family __ro_after_init = {
	.name = LDM_GENL_NAME,
	.version = LDM_GENL_VERSION,
	.maxattr = LDM_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.resv_start_op = 0,
	.module = THIS_MODULE,
	.ops = ldm_genl_ops,
	.n_ops = ARRAY_SIZE(ldm_genl_ops),
};

/**
 * ldm_netlink_init() - register the "ldm" family
 *
 * Return: 0 or -errno.
 */
int __init ldm_netlink_init(void)
{
	int err;

	err = netlink_register_notifier(&ldm_nl_notifier);
	if (err)
		return err;
	err = genl_register_family(&ldm_genl_family);
	if (err)
		netlink_unregister_notifier(&ldm_nl_notifier);
	return err;
}

/**
 * ldm_netlink_uninit() - unregister the family; no request runs after it
 */
void ldm_netlink_uninit(void)
{
	genl_unregister_family(&ldm_genl_family);
	netlink_unregister_notifier(&ldm_nl_notifier);
}
