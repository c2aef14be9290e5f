// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>

#include "domain.h"

/*
 * Replies are checked as strictly as requests: a name must fit and be
 * NUL-terminated, numbers must have their full width.
 */
static const struct nla_policy domain_policy[LDM_A_MAX + 1] = {
	[LDM_A_DOMAIN_NAME]	 = { .type = NLA_STRING,
				     .maxlen = LDM_NAME_MAX },
	[LDM_A_DOMAIN_SIZE]	 = { .type = NLA_U64 },
	[LDM_A_DOMAIN_PAGE_SIZE] = { .type = NLA_U32 },
	[LDM_A_DOMAIN_RESIDENT]	 = { .type = NLA_U64 },
	[LDM_A_DOMAIN_DIRTY]	 = { .type = NLA_U64 },
	[LDM_A_DOMAIN_STATE]	 = { .type = NLA_U32 },
	[LDM_A_DOMAIN_OPEN]	 = { .type = NLA_U32 },
	[LDM_A_DOMAIN_MAPPED]	 = { .type = NLA_U32 },
	[LDM_A_DOMAIN_MINOR]	 = { .type = NLA_U32 },
};

static uint64_t get_u64(struct nlattr *const *tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

static uint32_t get_u32(struct nlattr *const *tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

int ldm_domain_info_parse(struct nl_msg *msg, struct ldm_domain_info *info)
{
	struct nlattr *tb[LDM_A_MAX + 1];
	int ret;

	ret = ldm_genl_parse(msg, tb, LDM_A_MAX, domain_policy);
	if (ret < 0)
		return ret;
	if (!tb[LDM_A_DOMAIN_NAME] || !tb[LDM_A_DOMAIN_SIZE])
		return -EBADMSG;

	memset(info, 0, sizeof(*info));
	nla_strlcpy(info->name, tb[LDM_A_DOMAIN_NAME], sizeof(info->name));
	info->size = get_u64(tb, LDM_A_DOMAIN_SIZE);
	info->page_size = get_u32(tb, LDM_A_DOMAIN_PAGE_SIZE);
	info->resident = get_u64(tb, LDM_A_DOMAIN_RESIDENT);
	info->dirty = get_u64(tb, LDM_A_DOMAIN_DIRTY);
	info->state = get_u32(tb, LDM_A_DOMAIN_STATE);
	info->open = get_u32(tb, LDM_A_DOMAIN_OPEN);
	info->mapped = get_u32(tb, LDM_A_DOMAIN_MAPPED);
	info->minor = get_u32(tb, LDM_A_DOMAIN_MINOR);
	return 0;
}

const char *ldm_domain_state_name(uint32_t state)
{
	switch (state) {
	case LDM_DOMAIN_STATE_ACTIVE:
		return "active";
	case LDM_DOMAIN_STATE_SUSPENDED:
		return "suspended";
	case LDM_DOMAIN_STATE_MIGRATED:
		return "migrated";
	default:
		return "unknown";
	}
}

/* A request naming one domain, with an optional size. */
struct nl_msg *ldm_domain_msg(struct ldm_genl *g, uint8_t cmd,
			      const char *name)
{
	struct nl_msg *msg = ldm_genl_msg_new(g, cmd, 0);

	if (msg && nla_put_string(msg, LDM_A_DOMAIN_NAME, name) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int ldm_domain_new(struct ldm_genl *g, const char *name, uint64_t size)
{
	struct nl_msg *msg = ldm_domain_msg(g, LDM_CMD_DOMAIN_NEW, name);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, LDM_A_DOMAIN_SIZE, size) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return ldm_genl_request(g, msg, NULL, NULL);
}

int ldm_domain_set_state(struct ldm_genl *g, const char *name,
			 uint32_t state)
{
	struct nl_msg *msg = ldm_domain_msg(g, LDM_CMD_DOMAIN_SET_STATE, name);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, LDM_A_DOMAIN_STATE, state) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return ldm_genl_request(g, msg, NULL, NULL);
}

int ldm_domain_del(struct ldm_genl *g, const char *name)
{
	struct nl_msg *msg = ldm_domain_msg(g, LDM_CMD_DOMAIN_DEL, name);

	if (!msg)
		return -ENOMEM;
	return ldm_genl_request(g, msg, NULL, NULL);
}

static int get_reply(struct nl_msg *msg, void *arg)
{
	return ldm_domain_info_parse(msg, arg);
}

int ldm_domain_get(struct ldm_genl *g, const char *name,
		   struct ldm_domain_info *info)
{
	struct nl_msg *msg = ldm_domain_msg(g, LDM_CMD_DOMAIN_GET, name);

	if (!msg)
		return -ENOMEM;
	return ldm_genl_request_one(g, msg, get_reply, info);
}

struct dump_ctx {
	struct ldm_domain_info *list;
	size_t count, cap;
};

static int dump_reply(struct nl_msg *msg, void *arg)
{
	struct dump_ctx *ctx = arg;
	int ret;

	if (ctx->count == ctx->cap) {
		size_t cap = ctx->cap ? 2 * ctx->cap : 16;
		struct ldm_domain_info *list;

		list = realloc(ctx->list, cap * sizeof(*list));
		if (!list)
			return -ENOMEM;
		ctx->list = list;
		ctx->cap = cap;
	}
	ret = ldm_domain_info_parse(msg, &ctx->list[ctx->count]);
	if (!ret)
		ctx->count++;
	return ret;
}

static int by_name(const void *a, const void *b)
{
	const struct ldm_domain_info *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* A dump that overlapped a create or destroy is simply taken again. */
#define DUMP_TRIES	3

int ldm_domain_dump(struct ldm_genl *g, struct ldm_domain_info **list,
		    size_t *count)
{
	struct dump_ctx ctx = { 0 };
	int ret = -EAGAIN;
	int try;

	for (try = 0; try < DUMP_TRIES && ret == -EAGAIN; try++) {
		struct nl_msg *msg;

		ctx.count = 0;
		msg = ldm_genl_msg_new(g, LDM_CMD_DOMAIN_GET, NLM_F_DUMP);
		if (!msg) {
			ret = -ENOMEM;
			break;
		}
		ret = ldm_genl_request(g, msg, dump_reply, &ctx);
	}
	if (ret < 0) {
		free(ctx.list);
		*list = NULL;
		*count = 0;
		return ret;
	}
	/* People and scripts both like a stable order. */
	if (ctx.count)
		qsort(ctx.list, ctx.count, sizeof(*ctx.list), by_name);
	*list = ctx.list;
	*count = ctx.count;
	return 0;
}
