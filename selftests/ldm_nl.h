/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ldm_nl: a small raw generic netlink client for the ldm selftests.
 *
 * It deliberately does not use libnl: the tests must be able to send
 * requests that no well-behaved library would build (wrong attribute
 * lengths, unknown attributes, truncated attributes, unknown commands),
 * and read back the exact errno and extack message the kernel answers.
 *
 * Every function returns 0 or a negative errno.
 */
#ifndef LDM_NL_H
#define LDM_NL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/ldm.h>

/* Largest request or reply datagram the helper handles. */
#define LDM_NL_BUFSZ	32768

struct ldm_nl {
	int fd;
	uint16_t family;	/* "ldm" family id once resolved, else 0 */
	uint32_t seq;
	size_t rcvlen;		/* buffer size given to each recvmsg() */
	/* What the last request got back: */
	unsigned int batches;	/* datagrams received for it */
	unsigned int replies;	/* messages handed to the callback */
	char ext_msg[256];	/* NLMSGERR_ATTR_MSG, "" if none */
	int has_ext_offs;	/* NLMSGERR_ATTR_OFFS was present */
	uint32_t ext_offs;
	int has_miss_type;	/* NLMSGERR_ATTR_MISS_TYPE was present */
	uint32_t miss_type;
};

/* A request under construction. */
struct ldm_msg {
	union {
		struct nlmsghdr nlh;
		char buf[LDM_NL_BUFSZ];
	};
};

/* Reply parsed into an attribute table. */
struct ldm_attrs {
	const struct nlattr *tb[LDM_A_MAX + 1];
};

/* What DOMAIN_GET and the dump report about a domain. */
struct ldm_domain_info {
	char name[LDM_NAME_MAX + 8];
	uint64_t size;
	uint32_t page_size;
	uint64_t resident;
	uint64_t dirty;
	uint32_t state;
	uint32_t open;
	uint32_t mapped;
	uint32_t minor;
	/* post-copy (absent outside it) */
	uint64_t missing;
	uint64_t remote_faults;
	uint64_t fault_wait_ns;
	uint64_t fault_wait_max_ns;
	/* bit (1 << LDM_A_x) set for each attribute present in the reply */
	uint64_t present;
	/* an attribute had a length that does not match its type */
	int malformed;
};

#define LDM_INFO_ALL_ATTRS						\
	((1ull << LDM_A_DOMAIN_NAME) | (1ull << LDM_A_DOMAIN_SIZE) |	\
	 (1ull << LDM_A_DOMAIN_PAGE_SIZE) | (1ull << LDM_A_DOMAIN_RESIDENT) | \
	 (1ull << LDM_A_DOMAIN_DIRTY) | (1ull << LDM_A_DOMAIN_STATE) |	\
	 (1ull << LDM_A_DOMAIN_OPEN) | (1ull << LDM_A_DOMAIN_MAPPED) |	\
	 (1ull << LDM_A_DOMAIN_MINOR))

#define LDM_NL_MAX_OPS	32

struct ldm_family_op {
	uint32_t id;
	uint32_t flags;		/* GENL_ADMIN_PERM, GENL_CMD_CAP_* */
};

/* What the generic netlink controller says about a family. */
struct ldm_family_info {
	int found;
	uint16_t id;
	uint32_t version;
	uint32_t maxattr;
	unsigned int nops;
	struct ldm_family_op ops[LDM_NL_MAX_OPS];
};

/* Open a generic netlink socket with NETLINK_EXT_ACK on. */
int ldm_nl_open(struct ldm_nl *nl);
/* Look a family id up with CTRL_CMD_GETFAMILY. */
int ldm_nl_resolve(struct ldm_nl *nl, const char *name, uint16_t *id);
/* CTRL_CMD_GETFAMILY with the details. */
int ldm_nl_family(struct ldm_nl *nl, const char *name,
		  struct ldm_family_info *fi);
/* ldm_nl_open() then resolve "ldm" into nl->family. */
int ldm_nl_open_ldm(struct ldm_nl *nl);
void ldm_nl_close(struct ldm_nl *nl);

/* Start a generic netlink request: nlmsghdr + genlmsghdr. */
void ldm_msg_init(struct ldm_msg *m, uint16_t type, uint16_t flags,
		  uint8_t cmd, uint8_t version);
/* Append one attribute with an arbitrary payload; returns a pointer to it
 * so that a test can corrupt it afterwards, or NULL if it does not fit. */
struct nlattr *ldm_msg_put(struct ldm_msg *m, uint16_t type,
			   const void *data, size_t len);
struct nlattr *ldm_msg_put_str(struct ldm_msg *m, uint16_t type,
			       const char *s);
struct nlattr *ldm_msg_put_u32(struct ldm_msg *m, uint16_t type, uint32_t v);
struct nlattr *ldm_msg_put_u64(struct ldm_msg *m, uint16_t type, uint64_t v);

/* Called for each reply message of a request (not for acks or DONE). */
typedef int (*ldm_nl_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Send @m and read every answer to it: each data message goes to @cb
 * (may be NULL); the request ends at its ack, its error or, for a dump,
 * at NLMSG_DONE. Returns the kernel's errno (negative) or 0, or the
 * first non-zero value @cb returned. nl->ext_msg holds the extack message.
 */
int ldm_nl_request(struct ldm_nl *nl, struct ldm_msg *m, ldm_nl_cb cb,
		   void *arg);

/* Parse the attributes of a generic netlink message of the ldm family. */
int ldm_nl_parse(const struct nlmsghdr *nlh, struct ldm_attrs *a);
/* Fill @info from a DOMAIN_GET reply or dump message. */
int ldm_nl_parse_domain(const struct nlmsghdr *nlh,
			struct ldm_domain_info *info);

/* Well-formed requests. */
int ldm_domain_new(struct ldm_nl *nl, const char *name, uint64_t size);
int ldm_domain_del(struct ldm_nl *nl, const char *name);
int ldm_domain_get(struct ldm_nl *nl, const char *name,
		   struct ldm_domain_info *info);
/* Dump every domain into @infos (at most @max); *count gets how many the
 * kernel reported (may exceed @max, the extra ones are dropped). */
int ldm_domain_dump(struct ldm_nl *nl, struct ldm_domain_info *infos,
		    size_t max, size_t *count);
/*
 * START a sending (LDM_CMD_MIGRATE_START) or receiving session on @name,
 * owned by the open file @fd of its node, with the smallest batches and
 * ring the module accepts (so that the ring fills at once): @workers (0:
 * every online CPU), @flags; then give it a 32-byte @key and @salt
 * (LDM_IOC_SESSION_KEY on @fd).
 */
int ldm_session_start_small(struct ldm_nl *nl, const char *name, int cmd,
			    int fd, uint32_t workers, uint32_t flags,
			    const uint8_t *key, uint32_t salt);
/* LDM_IOC_SESSION_KEY on @fd: 0 or -errno. */
int ldm_session_key(int fd, const uint8_t *key, uint32_t salt);

#endif /* LDM_NL_H */
