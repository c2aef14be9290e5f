/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The domain commands of the "ldm" generic netlink family, and the replies
 * decoded into plain structs.
 */
#ifndef LDMCTL_DOMAIN_H
#define LDMCTL_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

#include <linux/ldm.h>

#include "genl.h"

struct ldm_domain_info {
	char name[LDM_NAME_MAX];
	uint64_t size;		/* bytes */
	uint32_t page_size;	/* bytes */
	uint64_t resident;	/* pages */
	uint64_t dirty;		/* pages */
	uint32_t state;		/* enum ldm_domain_state */
	uint32_t open;
	uint32_t mapped;
	uint32_t minor;
};

/* Each returns 0 or -errno; the reason is then in ldm_genl_ext_ack(). */
/* A request for @cmd naming the domain @name; NULL when out of memory. */
struct nl_msg *ldm_domain_msg(struct ldm_genl *g, uint8_t cmd,
			      const char *name);
int ldm_domain_new(struct ldm_genl *g, const char *name, uint64_t size);
int ldm_domain_del(struct ldm_genl *g, const char *name);
/* LDM_CMD_DOMAIN_SET_STATE: suspend, resume, or mark migrated. */
int ldm_domain_set_state(struct ldm_genl *g, const char *name,
			 uint32_t state);
int ldm_domain_get(struct ldm_genl *g, const char *name,
		   struct ldm_domain_info *info);

/*
 * ldm_domain_dump() - every domain, sorted by name
 * @list: out: a malloc'd array (free() it), NULL when there are none
 * @count: out: its length
 */
int ldm_domain_dump(struct ldm_genl *g, struct ldm_domain_info **list,
		    size_t *count);

/*
 * ldm_domain_info_parse() - decode one reply. The name and the size must be
 * there; an attribute a kernel does not send reads as 0.
 * Return: 0, or -EBADMSG for a malformed reply.
 */
int ldm_domain_info_parse(struct nl_msg *msg, struct ldm_domain_info *info);

/*
 * "active", "suspended", "migrated", or "unknown" for a state this ldmctl
 * does not know.
 */
const char *ldm_domain_state_name(uint32_t state);

#endif /* LDMCTL_DOMAIN_H */
