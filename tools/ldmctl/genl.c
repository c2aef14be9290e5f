// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink requests with libnl-genl-3: one socket per handle,
 * replies matched to the request by sequence number, and the kernel's
 * extended-ack message captured from NLMSG_ERROR and NLMSG_DONE.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/socket.h>

#include "genl.h"

/* Headers older than Linux 4.12 lack extended acks; the values are ABI. */
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK		11
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED		0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS		0x200
#define NLMSGERR_ATTR_MSG	1
#define NLMSGERR_ATTR_MAX	3
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK		270
#endif

struct ldm_genl {
	struct nl_sock *sk;
	int family;
	uint8_t version;
	char ext_ack[LDM_GENL_EXT_ACK_MAX];
};

/* The state of one request while its replies come in. */
struct request {
	struct ldm_genl *g;
	uint32_t seq;
	ldm_genl_reply_fn fn;
	void *arg;
	int err;	/* first error seen; later ones are less telling */
	bool done;	/* the final ACK, error or NLMSG_DONE arrived */
};

int ldm_genl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_SUCCESS:
		return 0;
	case NLE_INTR:
		return -EINTR;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_AGAIN:
	case NLE_DUMP_INTR:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_SEQ_MISMATCH:
	case NLE_MSG_OVERFLOW:
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
	case NLE_PARSE_ERR:
	case NLE_ATTRSIZE:
		return -EBADMSG;
	default:
		return -EIO;
	}
}

int ldm_genl_parse_ack(struct nlmsghdr *nlh, int *error, char *msg,
		       size_t size)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t len, payload;
	int status;

	msg[0] = '\0';
	*error = 0;
	len = nlh->nlmsg_len;
	if (len < NLMSG_HDRLEN)
		return -EBADMSG;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nlh);

		if (len < NLMSG_HDRLEN + sizeof(*e))
			return -EBADMSG;
		status = e->error;
		payload = sizeof(*e);
		/*
		 * Unless capped, the kernel echoes the whole request after
		 * the nlmsgerr (whose msg field is the request's header);
		 * the attributes follow that echo.
		 */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e->msg.nlmsg_len < NLMSG_HDRLEN)
				return -EBADMSG;
			payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
		}
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		/* A dump's end: an int status, then the attributes. */
		if (len < NLMSG_HDRLEN + sizeof(int)) {
			/* Some senders end dumps with an empty DONE. */
			return 0;
		}
		memcpy(&status, NLMSG_DATA(nlh), sizeof(status));
		payload = sizeof(int);
	} else {
		return -EBADMSG;
	}

	if (status > 0)
		return -EBADMSG;
	*error = status;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	/* payload comes from a u32, so this cannot wrap on size_t. */
	payload = NLMSG_HDRLEN + NLMSG_ALIGN(payload);
	if (payload > len)
		return -EBADMSG;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((unsigned char *)nlh + payload),
		      (int)(len - payload), NULL) < 0)
		return -EBADMSG;
	/* nla_strlcpy() bounds the copy and tolerates a missing NUL. */
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(msg, tb[NLMSGERR_ATTR_MSG], size);
	return 0;
}

/* Record the status and message of an ACK, error or DONE; ends the request. */
static int request_finish(struct request *req, struct nlmsghdr *nlh)
{
	int status, ret;

	ret = ldm_genl_parse_ack(nlh, &status, req->g->ext_ack,
				 sizeof(req->g->ext_ack));
	if (ret < 0)
		status = ret;
	if (status < 0 && !req->err)
		req->err = status;
	req->done = true;
	return NL_STOP;
}

/*
 * Replies to an earlier request that was given up (say, a dump cut short by
 * an allocation failure) may still sit in the socket; skip them.
 */
static int seq_check_cb(struct nl_msg *msg, void *arg)
{
	const struct request *req = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == req->seq ? NL_OK : NL_SKIP;
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;
	int ret;

	/* After a failure, keep reading so the socket is drained. */
	if (!req->fn || req->err)
		return NL_OK;
	ret = req->fn(msg, req->arg);
	if (ret < 0)
		req->err = ret;
	return NL_OK;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	/* A success ACK may still carry a message: a warning. */
	return request_finish(arg, nlmsg_hdr(msg));
}

static int finish_cb(struct nl_msg *msg, void *arg)
{
	return request_finish(arg, nlmsg_hdr(msg));
}

static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	/*
	 * libnl hands over only the nlmsgerr, which is the payload of the
	 * NLMSG_ERROR message: step back over the header to reach the flags
	 * and the attributes. libnl checked the length before calling.
	 */
	struct nlmsghdr *nlh =
		(struct nlmsghdr *)((unsigned char *)e - NLMSG_HDRLEN);

	(void)nla;
	return request_finish(arg, nlh);
}

/*
 * NLM_F_DUMP_INTR: the objects changed during the dump, so what was read
 * may be inconsistent. Say so and let the caller retry. The message is
 * still processed (NL_OK): the flag may sit on the final NLMSG_DONE, and
 * skipping that would leave us waiting for an end that already came.
 */
static int dump_intr_cb(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	if (!req->err)
		req->err = -EAGAIN;
	return NL_OK;
}

int ldm_genl_open(struct ldm_genl **gp, const char *family, uint8_t version)
{
	struct ldm_genl *g;
	int one = 1;
	int ret;

	*gp = NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->version = version;
	g->sk = nl_socket_alloc();
	if (!g->sk) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = genl_connect(g->sk);
	if (ret < 0) {
		ret = ldm_genl_errno(ret);
		/* -ENOENT is reserved for "no such family". */
		if (ret == -ENOENT)
			ret = -EIO;
		goto fail;
	}

	ret = genl_ctrl_resolve(g->sk, family);
	if (ret < 0) {
		ret = ret == -NLE_OBJ_NOTFOUND ? -ENOENT : ldm_genl_errno(ret);
		goto fail;
	}
	g->family = ret;

	/*
	 * Ask for the kernel's reasons. This is what libnl's
	 * nl_socket_set_ext_ack() does, but libnl 3.7 (Debian 12) lacks
	 * it. Kernels before 4.12 refuse the option: the requests work all
	 * the same, only without messages.
	 */
	if (setsockopt(nl_socket_get_fd(g->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) < 0 && errno != ENOPROTOOPT) {
		ret = -errno;
		goto fail;
	}

	/*
	 * ldm_genl_msg_new() asks for an ACK itself, and not for dumps: a
	 * dump ends with NLMSG_DONE and gets no ACK, so libnl's automatic
	 * flag would only be ignored there. Its sequence check goes with
	 * auto-ack; ours replaces it.
	 */
	nl_socket_disable_auto_ack(g->sk);

	*gp = g;
	return 0;

fail:
	ldm_genl_close(g);
	return ret;
}

void ldm_genl_close(struct ldm_genl *g)
{
	if (!g)
		return;
	nl_socket_free(g->sk);	/* closes the socket; NULL is fine */
	free(g);
}

struct nl_msg *ldm_genl_msg_new(const struct ldm_genl *g, uint8_t cmd,
				int flags)
{
	struct nl_msg *msg;

	msg = nlmsg_alloc();
	if (!msg)
		return NULL;
	if ((flags & NLM_F_DUMP) != NLM_F_DUMP)
		flags |= NLM_F_ACK;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, g->family, 0, flags,
			 cmd, g->version)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int ldm_genl_request(struct ldm_genl *g, struct nl_msg *msg,
		     ldm_genl_reply_fn fn, void *arg)
{
	struct request req = { .g = g, .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int ret;

	g->ext_ack[0] = '\0';
	/* Lets callers pass ldm_genl_msg_new() straight in. */
	if (!msg)
		return -ENOMEM;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_check_cb, &req);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, &req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, &req);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, dump_intr_cb, &req);
	nl_cb_err(cb, NL_CB_CUSTOM, error_cb, &req);

	ret = nl_send_auto(g->sk, msg);
	if (ret < 0) {
		req.err = ldm_genl_errno(ret);
		goto out;
	}
	/* nl_send_auto() filled in the sequence number. */
	req.seq = nlmsg_hdr(msg)->nlmsg_seq;

	while (!req.done) {
		ret = nl_recvmsgs(g->sk, cb);
		/*
		 * On a kernel error libnl returns its own code after our
		 * callback ran; the errno recorded there is the real one.
		 */
		if (req.done)
			break;
		if (ret < 0) {
			if (!req.err)
				req.err = ldm_genl_errno(ret);
			break;
		}
	}

out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return req.err;
}

const char *ldm_genl_ext_ack(const struct ldm_genl *g)
{
	return g->ext_ack[0] ? g->ext_ack : NULL;
}


int ldm_genl_parse(struct nl_msg *msg, struct nlattr **tb, int maxattr,
		   const struct nla_policy *policy)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (!genlmsg_valid_hdr(nlh, 0))
		return -EBADMSG;
	if (genlmsg_parse(nlh, 0, tb, maxattr, policy) < 0)
		return -EBADMSG;
	return 0;
}

struct one_reply {
	ldm_genl_reply_fn fn;
	void *arg;
	int replies;
};

static int one_reply(struct nl_msg *msg, void *arg)
{
	struct one_reply *o = arg;

	/* A doit answers once; a second reply would be a kernel bug. */
	if (o->replies++)
		return -EBADMSG;
	return o->fn(msg, o->arg);
}

int ldm_genl_request_one(struct ldm_genl *g, struct nl_msg *msg,
			 ldm_genl_reply_fn fn, void *arg)
{
	struct one_reply o = { .fn = fn, .arg = arg };
	int err = ldm_genl_request(g, msg, one_reply, &o);

	if (!err && o.replies != 1)
		err = -EBADMSG;
	return err;
}
