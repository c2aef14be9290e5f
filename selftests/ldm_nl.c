// SPDX-License-Identifier: GPL-2.0
/*
 * ldm_nl: a small raw generic netlink client for the ldm selftests.
 * See ldm_nl.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "ldm_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NLA_DATA(nla)	((void *)((char *)(nla) + NLA_HDRLEN))

int ldm_nl_open(struct ldm_nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->rcvlen = LDM_NL_BUFSZ;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one,
		       sizeof(one)) < 0 ||
	    bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(nl->fd);
		nl->fd = -1;
		return err;
	}
	nl->seq = (uint32_t)getpid() << 8;
	return 0;
}

void ldm_nl_close(struct ldm_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

void ldm_msg_init(struct ldm_msg *m, uint16_t type, uint16_t flags,
		  uint8_t cmd, uint8_t version)
{
	struct genlmsghdr *g;

	memset(&m->nlh, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	m->nlh.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	g = (struct genlmsghdr *)NLMSG_DATA(&m->nlh);
	g->cmd = cmd;
	g->version = version;
}

struct nlattr *ldm_msg_put(struct ldm_msg *m, uint16_t type,
			   const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->nlh.nlmsg_len);
	struct nlattr *nla;

	if (off + NLA_ALIGN(NLA_HDRLEN + len) > sizeof(m->buf) ||
	    NLA_HDRLEN + len > 0xffff)
		return NULL;
	nla = (struct nlattr *)(m->buf + off);
	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy(NLA_DATA(nla), data, len);
	/* zero the alignment padding */
	memset((char *)nla + NLA_HDRLEN + len, 0,
	       NLA_ALIGN(NLA_HDRLEN + len) - (NLA_HDRLEN + len));
	m->nlh.nlmsg_len = off + NLA_ALIGN(NLA_HDRLEN + len);
	return nla;
}

struct nlattr *ldm_msg_put_str(struct ldm_msg *m, uint16_t type,
			       const char *s)
{
	return ldm_msg_put(m, type, s, strlen(s) + 1);
}

struct nlattr *ldm_msg_put_u32(struct ldm_msg *m, uint16_t type, uint32_t v)
{
	return ldm_msg_put(m, type, &v, sizeof(v));
}

struct nlattr *ldm_msg_put_u64(struct ldm_msg *m, uint16_t type, uint64_t v)
{
	return ldm_msg_put(m, type, &v, sizeof(v));
}

/* Walk the attributes in [start, start + len). */
#define for_each_attr(nla, start, len)					\
	for (nla = (const struct nlattr *)(start);			\
	     (const char *)nla + NLA_HDRLEN <= (const char *)(start) + (len) && \
	     nla->nla_len >= NLA_HDRLEN &&				\
	     (const char *)nla + nla->nla_len <= (const char *)(start) + (len); \
	     nla = (const struct nlattr *)((const char *)nla + NLA_ALIGN(nla->nla_len)))

/* Record the extack attributes found in [tlv, tlv + len). */
static void read_ext_ack(struct ldm_nl *nl, const void *tlv, size_t len)
{
	const struct nlattr *nla;

	for_each_attr(nla, tlv, len) {
		size_t plen = nla->nla_len - NLA_HDRLEN;

		switch (nla->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			if (plen >= sizeof(nl->ext_msg))
				plen = sizeof(nl->ext_msg) - 1;
			memcpy(nl->ext_msg, NLA_DATA(nla), plen);
			nl->ext_msg[plen] = '\0';
			break;
		case NLMSGERR_ATTR_OFFS:
			if (plen == 4) {
				memcpy(&nl->ext_offs, NLA_DATA(nla), 4);
				nl->has_ext_offs = 1;
			}
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (plen == 4) {
				memcpy(&nl->miss_type, NLA_DATA(nla), 4);
				nl->has_miss_type = 1;
			}
			break;
		}
	}
}

/* NLMSG_ERROR: returns the errno it carries (0 for an ack). */
static int read_error(struct ldm_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t off = sizeof(*e);

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
		return -EBADMSG;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_ALIGN(off);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    NLMSG_HDRLEN + off < nlh->nlmsg_len)
		read_ext_ack(nl, (const char *)NLMSG_DATA(nlh) + off,
			     nlh->nlmsg_len - NLMSG_HDRLEN - off);
	return e->error;
}

/* NLMSG_DONE: an int errno, then maybe extack attributes. */
static int read_done(struct ldm_nl *nl, const struct nlmsghdr *nlh)
{
	int err = 0;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
		memcpy(&err, NLMSG_DATA(nlh), sizeof(int));
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    nlh->nlmsg_len > NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int)))
		read_ext_ack(nl, (const char *)NLMSG_DATA(nlh) +
			     NLMSG_ALIGN(sizeof(int)),
			     nlh->nlmsg_len - NLMSG_HDRLEN -
			     NLMSG_ALIGN(sizeof(int)));
	return err;
}

int ldm_nl_request(struct ldm_nl *nl, struct ldm_msg *m, ldm_nl_cb cb,
		   void *arg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int dump = !!(m->nlh.nlmsg_flags & NLM_F_DUMP);
	int cb_err = 0;
	char *buf;
	ssize_t n;

	nl->ext_msg[0] = '\0';
	nl->has_ext_offs = 0;
	nl->has_miss_type = 0;
	nl->batches = 0;
	nl->replies = 0;
	m->nlh.nlmsg_seq = ++nl->seq;
	m->nlh.nlmsg_pid = 0;
	/* ack every doit, so that success is confirmed, not assumed */
	if (!dump)
		m->nlh.nlmsg_flags |= NLM_F_ACK;

	if (sendto(nl->fd, m->buf, m->nlh.nlmsg_len, 0,
		   (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;

	buf = malloc(nl->rcvlen);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct iovec iov = { buf, nl->rcvlen };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct nlmsghdr *nlh;
		size_t len;

		n = recvmsg(nl->fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			break;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			n = -EMSGSIZE;
			break;
		}
		nl->batches++;
		len = n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != m->nlh.nlmsg_seq)
				continue;	/* stale answer to an old request */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				n = read_error(nl, nlh);
				goto out;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				n = read_done(nl, nlh);
				goto out;
			}
			nl->replies++;
			if (cb && !cb_err)
				cb_err = cb(nlh, arg);
		}
	}
out:
	free(buf);
	if (n == 0 && cb_err)
		return cb_err;
	return n < 0 ? (int)n : 0;
}

/* CTRL_CMD_GETFAMILY reply: id, version, maxattr and the ops. */
static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ldm_family_info *fi = arg;
	const char *p = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	const struct nlattr *nla, *op, *oa;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	for_each_attr(nla, p, nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN) {
		size_t plen = nla->nla_len - NLA_HDRLEN;

		switch (nla->nla_type & NLA_TYPE_MASK) {
		case CTRL_ATTR_FAMILY_ID:
			if (plen == 2) {
				memcpy(&fi->id, NLA_DATA(nla), 2);
				fi->found = 1;
			}
			break;
		case CTRL_ATTR_VERSION:
			if (plen == 4)
				memcpy(&fi->version, NLA_DATA(nla), 4);
			break;
		case CTRL_ATTR_MAXATTR:
			if (plen == 4)
				memcpy(&fi->maxattr, NLA_DATA(nla), 4);
			break;
		case CTRL_ATTR_OPS:
			for_each_attr(op, NLA_DATA(nla), plen) {
				struct ldm_family_op o = { 0, 0 };

				for_each_attr(oa, NLA_DATA(op),
					      op->nla_len - NLA_HDRLEN) {
					if (oa->nla_len != NLA_HDRLEN + 4)
						continue;
					if (oa->nla_type == CTRL_ATTR_OP_ID)
						memcpy(&o.id, NLA_DATA(oa), 4);
					if (oa->nla_type == CTRL_ATTR_OP_FLAGS)
						memcpy(&o.flags, NLA_DATA(oa), 4);
				}
				if (fi->nops < LDM_NL_MAX_OPS)
					fi->ops[fi->nops++] = o;
			}
			break;
		}
	}
	return 0;
}

int ldm_nl_family(struct ldm_nl *nl, const char *name,
		  struct ldm_family_info *fi)
{
	struct ldm_msg *m = malloc(sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	memset(fi, 0, sizeof(*fi));
	ldm_msg_init(m, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	ldm_msg_put_str(m, CTRL_ATTR_FAMILY_NAME, name);
	err = ldm_nl_request(nl, m, family_cb, fi);
	free(m);
	if (err)
		return err;
	return fi->found ? 0 : -EBADMSG;
}

int ldm_nl_resolve(struct ldm_nl *nl, const char *name, uint16_t *id)
{
	struct ldm_family_info fi;
	int err = ldm_nl_family(nl, name, &fi);

	if (!err)
		*id = fi.id;
	return err;
}

int ldm_nl_open_ldm(struct ldm_nl *nl)
{
	int err = ldm_nl_open(nl);

	if (err)
		return err;
	err = ldm_nl_resolve(nl, LDM_GENL_NAME, &nl->family);
	if (err) {
		ldm_nl_close(nl);
		return err;
	}
	return 0;
}

int ldm_nl_parse(const struct nlmsghdr *nlh, struct ldm_attrs *a)
{
	const char *p = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	const struct nlattr *nla;
	size_t len;

	memset(a, 0, sizeof(*a));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	for_each_attr(nla, p, len) {
		uint16_t t = nla->nla_type & NLA_TYPE_MASK;

		if (t <= LDM_A_MAX)
			a->tb[t] = nla;
	}
	return 0;
}

static int get_uint(const struct nlattr *nla, void *out, size_t size)
{
	if (nla->nla_len != NLA_HDRLEN + size)
		return -EBADMSG;
	memcpy(out, NLA_DATA(nla), size);
	return 0;
}

int ldm_nl_parse_domain(const struct nlmsghdr *nlh,
			struct ldm_domain_info *info)
{
	struct ldm_attrs a;
	int t, err;

	memset(info, 0, sizeof(*info));
	err = ldm_nl_parse(nlh, &a);
	if (err)
		return err;
	for (t = 1; t <= LDM_A_MAX; t++) {
		const struct nlattr *nla = a.tb[t];
		size_t plen;

		if (!nla)
			continue;
		info->present |= 1ull << t;
		plen = nla->nla_len - NLA_HDRLEN;
		err = 0;
		switch (t) {
		case LDM_A_DOMAIN_NAME:
			/* a NUL-terminated string that fits */
			if (plen < 1 || plen > sizeof(info->name) ||
			    ((const char *)NLA_DATA(nla))[plen - 1] != '\0')
				err = -EBADMSG;
			else
				memcpy(info->name, NLA_DATA(nla), plen);
			break;
		case LDM_A_DOMAIN_SIZE:
			err = get_uint(nla, &info->size, 8);
			break;
		case LDM_A_DOMAIN_PAGE_SIZE:
			err = get_uint(nla, &info->page_size, 4);
			break;
		case LDM_A_DOMAIN_RESIDENT:
			err = get_uint(nla, &info->resident, 8);
			break;
		case LDM_A_DOMAIN_DIRTY:
			err = get_uint(nla, &info->dirty, 8);
			break;
		case LDM_A_DOMAIN_STATE:
			err = get_uint(nla, &info->state, 4);
			break;
		case LDM_A_DOMAIN_OPEN:
			err = get_uint(nla, &info->open, 4);
			break;
		case LDM_A_DOMAIN_MAPPED:
			err = get_uint(nla, &info->mapped, 4);
			break;
		case LDM_A_DOMAIN_MINOR:
			err = get_uint(nla, &info->minor, 4);
			break;
		case LDM_A_DOMAIN_MISSING:
			err = get_uint(nla, &info->missing, 8);
			break;
		case LDM_A_DOMAIN_REMOTE_FAULTS:
			err = get_uint(nla, &info->remote_faults, 8);
			break;
		case LDM_A_DOMAIN_FAULT_WAIT_NS:
			err = get_uint(nla, &info->fault_wait_ns, 8);
			break;
		case LDM_A_DOMAIN_FAULT_WAIT_MAX_NS:
			err = get_uint(nla, &info->fault_wait_max_ns, 8);
			break;
		}
		if (err)
			info->malformed = 1;
	}
	return 0;
}

int ldm_domain_new(struct ldm_nl *nl, const char *name, uint64_t size)
{
	struct ldm_msg *m = malloc(sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	ldm_msg_init(m, nl->family, 0, LDM_CMD_DOMAIN_NEW, LDM_GENL_VERSION);
	ldm_msg_put_str(m, LDM_A_DOMAIN_NAME, name);
	ldm_msg_put_u64(m, LDM_A_DOMAIN_SIZE, size);
	err = ldm_nl_request(nl, m, NULL, NULL);
	free(m);
	return err;
}

int ldm_domain_del(struct ldm_nl *nl, const char *name)
{
	struct ldm_msg *m = malloc(sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	ldm_msg_init(m, nl->family, 0, LDM_CMD_DOMAIN_DEL, LDM_GENL_VERSION);
	ldm_msg_put_str(m, LDM_A_DOMAIN_NAME, name);
	err = ldm_nl_request(nl, m, NULL, NULL);
	free(m);
	return err;
}

struct get_ctx {
	struct ldm_domain_info *infos;
	size_t max;
	size_t count;
};

static int domain_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct get_ctx *ctx = arg;
	struct ldm_domain_info info;
	int err = ldm_nl_parse_domain(nlh, &info);

	if (err)
		return err;
	if (ctx->count < ctx->max)
		ctx->infos[ctx->count] = info;
	ctx->count++;
	return 0;
}

int ldm_domain_get(struct ldm_nl *nl, const char *name,
		   struct ldm_domain_info *info)
{
	struct ldm_msg *m = malloc(sizeof(*m));
	struct get_ctx ctx = { info, 1, 0 };
	int err;

	if (!m)
		return -ENOMEM;
	memset(info, 0, sizeof(*info));
	ldm_msg_init(m, nl->family, 0, LDM_CMD_DOMAIN_GET, LDM_GENL_VERSION);
	ldm_msg_put_str(m, LDM_A_DOMAIN_NAME, name);
	err = ldm_nl_request(nl, m, domain_cb, &ctx);
	free(m);
	if (err)
		return err;
	/* a doit answers with exactly one reply */
	return ctx.count == 1 ? 0 : -EBADMSG;
}

int ldm_domain_dump(struct ldm_nl *nl, struct ldm_domain_info *infos,
		    size_t max, size_t *count)
{
	struct ldm_msg *m = malloc(sizeof(*m));
	struct get_ctx ctx = { infos, max, 0 };
	int err;

	if (!m)
		return -ENOMEM;
	ldm_msg_init(m, nl->family, NLM_F_DUMP, LDM_CMD_DOMAIN_GET,
		     LDM_GENL_VERSION);
	err = ldm_nl_request(nl, m, domain_cb, &ctx);
	free(m);
	*count = ctx.count;
	return err;
}

int ldm_session_key(int fd, const uint8_t *key, uint32_t salt)
{
	struct ldm_session_key k = { .salt = salt };

	memcpy(k.key, key, sizeof(k.key));
	return ioctl(fd, LDM_IOC_SESSION_KEY, &k) ? -errno : 0;
}

int ldm_session_start_small(struct ldm_nl *nl, const char *name, int cmd,
			    int fd, uint32_t workers, uint32_t flags,
			    const uint8_t *key, uint32_t salt)
{
	struct ldm_msg *m = malloc(sizeof(*m));
	uint32_t slots = 2;
	int err;

	if (!m)
		return -ENOMEM;
	if (!workers)
		workers = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	while (slots < 2 * workers)
		slots *= 2;
	ldm_msg_init(m, nl->family, 0, cmd, LDM_GENL_VERSION);
	ldm_msg_put_str(m, LDM_A_DOMAIN_NAME, name);
	ldm_msg_put_u32(m, LDM_A_MIG_FD, (uint32_t)fd);
	ldm_msg_put_u32(m, LDM_A_MIG_WORKERS, workers);
	if (flags)
		ldm_msg_put_u32(m, LDM_A_MIG_FLAGS, flags);
	ldm_msg_put_u32(m, LDM_A_MIG_RING_SLOTS, slots);
	ldm_msg_put_u32(m, LDM_A_MIG_BATCH_BYTES, LDM_BATCH_MIN);
	err = ldm_nl_request(nl, m, NULL, NULL);
	free(m);
	return err ? err : ldm_session_key(fd, key, salt);
}
