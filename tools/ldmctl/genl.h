/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small request/reply layer over libnl-genl-3 for one generic netlink
 * family. It owns the socket, resolves the family, matches replies to the
 * request by sequence number and brings back the kernel's extended-ack
 * message, so that callers only build attributes and read replies.
 *
 * Every function returns 0 or a negative errno (never a libnl NLE_* code).
 * There is no global state: each struct ldm_genl is independent, so any tool
 * can link this file next to its own netlink code.
 */
#ifndef LDMCTL_GENL_H
#define LDMCTL_GENL_H

#include <stddef.h>
#include <stdint.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

struct ldm_genl;

/* Longest extended-ack message kept; the kernel's are far shorter. */
#define LDM_GENL_EXT_ACK_MAX	256

/*
 * Called for each reply message of a request (each part of a dump). Returns
 * 0 to go on or a negative errno, which ends the request with that error
 * (the remaining replies are read and dropped, so the socket stays usable).
 */
typedef int (*ldm_genl_reply_fn)(struct nl_msg *msg, void *arg);

/*
 * ldm_genl_open() - connect a generic netlink socket and resolve @family
 * @gp: out: the new handle
 * @family: family name, e.g. LDM_GENL_NAME
 * @version: the family version put in every request header
 *
 * Return: 0; -ENOENT when no such family is registered (for "ldm": the
 * module is not loaded), and only then; another -errno on other failures.
 */
int ldm_genl_open(struct ldm_genl **gp, const char *family, uint8_t version);

/* Close the socket and free the handle; NULL is fine. */
void ldm_genl_close(struct ldm_genl *g);

/*
 * ldm_genl_msg_new() - start a request: a message with the nlmsghdr and the
 * genlmsghdr for @cmd already in place; add attributes with nla_put*().
 * @flags: extra nlmsg flags, normally 0 or NLM_F_DUMP. NLM_F_REQUEST is
 * always set, and NLM_F_ACK for everything but dumps (see genl.c).
 *
 * Return: the message (free it with nlmsg_free() if it is never sent), or
 * NULL when out of memory.
 */
struct nl_msg *ldm_genl_msg_new(const struct ldm_genl *g, uint8_t cmd,
				int flags);

/*
 * ldm_genl_request() - send @msg and wait for the whole answer
 * @msg: from ldm_genl_msg_new(); always consumed (NULL gives -ENOMEM)
 * @fn: called for each reply carrying data (may be NULL)
 * @arg: passed to @fn
 *
 * Waits for the acknowledgement (a plain request) or the end of the dump
 * (NLM_F_DUMP). The extended-ack message of this exchange, if the kernel
 * sent one, is then available from ldm_genl_ext_ack().
 *
 * Return: 0, the kernel's negative errno, @fn's error, or -errno of a local
 * failure.
 */
int ldm_genl_request(struct ldm_genl *g, struct nl_msg *msg,
		     ldm_genl_reply_fn fn, void *arg);

/*
 * ldm_genl_request_one() - ldm_genl_request() for a request that is
 * answered by exactly one reply (a doit): @fn sees it; none or a second
 * one is -EBADMSG.
 */
int ldm_genl_request_one(struct ldm_genl *g, struct nl_msg *msg,
			 ldm_genl_reply_fn fn, void *arg);

/*
 * The extended-ack message of the last ldm_genl_request() on @g (an error
 * reason, or a warning on success), or NULL if it carried none. Valid until
 * the next request.
 */
const char *ldm_genl_ext_ack(const struct ldm_genl *g);

/*
 * ldm_genl_parse() - parse the attributes of a generic netlink reply (no
 * family header) into @tb[0..@maxattr] with @policy.
 *
 * Return: 0, or -EBADMSG if the reply is malformed or breaks @policy.
 */
int ldm_genl_parse(struct nl_msg *msg, struct nlattr **tb, int maxattr,
		   const struct nla_policy *policy);

/*
 * ldm_genl_parse_ack() - read the status of an NLMSG_ERROR or NLMSG_DONE
 * message and its NLMSGERR_ATTR_MSG, honouring NLM_F_CAPPED (request not
 * echoed) and NLM_F_ACK_TLVS (attributes present).
 * @nlh: the message, trusted only up to nlh->nlmsg_len
 * @error: out: the carried status, 0 or a negative errno
 * @msg: out: the message, "" if none
 * @size: size of @msg, at least 1
 *
 * Return: 0, or -EBADMSG if @nlh is neither kind or is malformed.
 * Exposed for the unit tests; callers use ldm_genl_request().
 */
int ldm_genl_parse_ack(struct nlmsghdr *nlh, int *error, char *msg,
		       size_t size);

/* Map a libnl error (negative NLE_* code) to a negative errno. */
int ldm_genl_errno(int nlerr);

#endif /* LDMCTL_GENL_H */
