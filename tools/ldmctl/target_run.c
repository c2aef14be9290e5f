// SPDX-License-Identifier: GPL-2.0
/*
 * One incoming migration (target.h), in the child process serve_loop.c
 * forked for its connection, which owns the receiving session (the module
 * ends a session with its netlink socket): the TLS handshake and the
 * source's authentication, a migration slot from serve, the checks, the
 * new domain and its session, then the rounds and the commit; and on any
 * failure before the commit, the half-made domain discarded. --on-receive
 * runs the operator's command once the domain exists.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admit.h"
#include "domain.h"
#include "net.h"
#include "oplock.h"
#include "pwfile.h"
#include "target.h"
#include "tls.h"

void target_discard(struct incoming *in)
{
	const char *name = in->hello.target;
	int i, err = 0;

	if (in->ring.map)
		uring_unmap(&in->ring);
	if (in->session) {
		mig_stop(in->g, name);
		in->session = false;
	}
	if (in->created) {
		for (i = 0; i < 50; i++) {
			err = ldm_domain_del(in->g, name);
			if (err != -EBUSY)
				break;
			usleep(100000);
		}
		if (err)
			serve_log(in->peer, "cannot discard domain '%s': %s", name,
				  ldm_genl_ext_ack(in->g) ? ldm_genl_ext_ack(in->g) :
				  strerror(-err));
		else
			serve_log(in->peer, "discarded the half-made domain '%s'",
				  name);
		in->created = false;
	}
	if (in->marked && !err) {
		incoming_unmark(name);
		in->marked = false;
	}
}

/* The target domain, its receiving session and ring, the data port. */
static int prepare(struct incoming *in, uint16_t *port)
{
	const struct proto_hello *h = &in->hello;
	struct mig_params mp = { .workers = in->o->workers,
				 .batch_bytes = h->batch_bytes,
				 .epoch_shift = h->epoch_shift };
	struct mig_info mi;
	uint8_t salt[4];
	int err;

	err = incoming_mark(h->target);
	if (err) {
		target_abort(in, PROTO_E_NAME,
			     "domain '%s' is being created by another migration",
			     h->target);
		return err;
	}
	in->marked = true;
	if (!(h->flags & PROTO_HELLO_F_PREPARED)) {
		err = ldm_domain_new(in->g, h->target, h->size);
		if (err) {
			target_abort(in, err == -EEXIST ? PROTO_E_NAME : PROTO_E_TARGET,
				     "cannot create domain '%s': %s", h->target,
				     ldm_genl_ext_ack(in->g) ?
				     ldm_genl_ext_ack(in->g) : strerror(-err));
			return err;
		}
		/* made here, so removed here if the migration fails */
		in->created = true;
	}
	if (tls_export(in->ctl.ssl, TLS_LABEL_BATCH_KEY, in->key,
		       sizeof(in->key)) ||
	    tls_export(in->ctl.ssl, TLS_LABEL_BATCH_SALT, salt, sizeof(salt)) ||
	    tls_export(in->ctl.ssl, TLS_LABEL_STREAM_TOKEN, in->token,
		       sizeof(in->token)) ||
	    ((h->flags & PROTO_HELLO_F_RESUMABLE) &&
	     tls_export(in->ctl.ssl, TLS_LABEL_RESUME_TICKET, in->ticket,
			sizeof(in->ticket))) ||
	    rekey_export(&in->rk, in->ctl.ssl, h->epoch_shift)) {
		target_abort(in, PROTO_E_TARGET, "cannot derive the batch key");
		return -EIO;
	}
	memcpy(&in->salt, salt, sizeof(salt));
	OPENSSL_cleanse(salt, sizeof(salt));
	in->resumable = h->flags & PROTO_HELLO_F_RESUMABLE;
	mp.key = in->key;
	mp.salt = in->salt;
	mp.flags = in->o->fips ? LDM_MIG_F_FIPS : 0;
	err = mig_start(in->g, h->target, false, &mp, &in->ring);
	OPENSSL_cleanse(in->key, sizeof(in->key));
	OPENSSL_cleanse(&in->salt, sizeof(in->salt));
	if (err) {
		target_abort(in, PROTO_E_TARGET, "cannot start receiving: %s",
			     ldm_genl_ext_ack(in->g) ? ldm_genl_ext_ack(in->g) :
			     strerror(-err));
		return err;
	}
	in->session = true;
	rekey_attach(&in->rk, in->ring.fd);
	err = mig_get(in->g, h->target, &mi);
	if (!err)
		err = uring_map(&in->ring, mi.ring_bytes);
	if (err) {
		target_abort(in, PROTO_E_TARGET, "cannot map the ring: %s",
			     strerror(-err));
		return err;
	}
	receiver_init(&in->rx, &in->ring, h->batch_bytes);
	in->rx.rk = &in->rk;
	/* Streams come to the address the control connection reached. */
	{
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char addr[64];

		getsockname(in->ctl.fd, (struct sockaddr *)&ss, &len);
		net_addr_string(&ss, addr, sizeof(addr));
		in->data_fd = net_listen(addr, 0);
	}
	if (in->data_fd < 0) {
		target_abort(in, PROTO_E_TARGET, "cannot listen for data streams: %s",
			     strerror(-in->data_fd));
		return in->data_fd;
	}
	*port = (uint16_t)net_local_port(in->data_fd);
	return 0;
}

/*
 * --on-receive: the operator's command, detached (a grandchild, so that
 * nobody waits for it), with what it needs to know in its environment.
 */
static void on_receive(struct incoming *in)
{
	char dev[64], qmp[PATH_MAX];
	pid_t pid;
	int status;

	snprintf(dev, sizeof(dev), "/dev/ldm/%s", in->hello.target);
	if (in->o->qmp_dir)
		snprintf(qmp, sizeof(qmp), "%s/%s.qmp", in->o->qmp_dir,
			 in->hello.target);
	pid = fork();
	if (pid < 0) {
		serve_log(in->peer, "--on-receive: cannot fork: %s", strerror(errno));
		return;
	}
	if (!pid) {
		if (fork())
			_exit(0);
		setsid();
		setenv("LDM_DOMAIN", in->hello.target, 1);
		setenv("LDM_DEVICE", dev, 1);
		setenv("LDM_SOURCE", in->hello.source, 1);
		setenv("LDM_PEER", in->peer, 1);
		if (in->o->qmp_dir)
			setenv("LDM_QMP", qmp, 1);
		/*
		 * Not one of our descriptors: a command holding the netlink
		 * socket would keep the receiving session alive after we die.
		 */
		close_range(3, ~0U, 0);
		execl("/bin/sh", "sh", "-c", in->o->on_receive, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	serve_log(in->peer, "--on-receive started for '%s'", in->hello.target);
}

/*
 * Authenticated: ask serve for a migration slot. Return 0 to go on, or
 * ERR_BUSY after telling the source so, or another -errno after an ABORT.
 */
static int admission(struct incoming *in, int admit_fd)
{
	struct admit_msg m = { .type = ADMIT_MSG_AUTHENTICATED };
	struct pollfd p = { .fd = admit_fd, .events = POLLIN };
	ssize_t n = -1;
	int r;

	if (write(admit_fd, &m, sizeof(m)) == (ssize_t)sizeof(m)) {
		/* serve answers at once; it kills us if we linger. */
		do {
			r = poll(&p, 1, ADMIT_REFUSE_GRACE_MS);
		} while (r < 0 && errno == EINTR && !serve_stopping);
		if (r > 0)
			n = read(admit_fd, &m, sizeof(m));
	}
	close(admit_fd);
	if (n != (ssize_t)sizeof(m) ||
	    (m.type != ADMIT_MSG_GO && m.type != ADMIT_MSG_BUSY)) {
		target_abort(in, PROTO_E_TARGET,
			     "the target's serve gave no migration slot (it may be stopping)");
		return -EIO;
	}
	if (m.type == ADMIT_MSG_BUSY) {
		target_abort(in, PROTO_E_BUSY,
			     "busy, %u migration%s running (the target's serve --max-migrations %u); try again later",
			     m.running, m.running == 1 ? "" : "s", m.max);
		return ERR_BUSY;
	}
	return 0;
}

int target_run(const struct serve_opts *o, SSL_CTX *ctx, int fd,
	       const char *peer, char *pwtext, int admit_fd)
{
	struct incoming *in = calloc(1, sizeof(*in));
	/* To authenticate in: the handshake, and with passwords the HELLO. */
	int64_t auth_deadline = now_ms() + o->handshake_ms;
	char why[TLS_WHY_MAX], subj[256];
	enum tls_refusal refused;
	struct proto_welcome w = { 0 };
	struct proto_ready rdy;
	bool client_cert;
	struct pbuf b;
	int64_t left;
	SSL *ssl;
	int err = -EIO;

	if (!in)
		return -ENOMEM;
	in->o = o;
	in->data_fd = -1;
	in->ring.fd = -1;
	in->qmp.fd = -1;
	in->devstate_fd = -1;
	in->pwtext = pwtext;
	in->ctx = ctx;
	in->t_start = now_ns();
	snprintf(in->peer, sizeof(in->peer), "%s", peer);
	pbuf_init(&b);

	ssl = tls_handshake(ctx, fd, NULL, o->handshake_ms, &serve_stopping, why,
			    &refused);
	if (!ssl) {
		serve_log(peer, "%s: %s",
			  refused == TLS_WE_REFUSED ?
			  "the target refused the source's certificate" :
			  refused == TLS_PEER_REFUSED ?
			  "the source refused the target" : "no TLS session", why);
		/* Lingering for an alert to arrive must not outlast the deadline. */
		left = auth_deadline - now_ms();
		net_linger_close(fd, left > 2000 ? 2000 : left > 0 ? (int)left : 0);
		goto out;
	}
	ctl_init(&in->ctl, ssl, fd);
	in->ctl_up = true;
	client_cert = SSL_get0_peer_certificate(ssl) != NULL;
	tls_peer_subject(ssl, subj, sizeof(subj));
	err = target_expect_within(in, PROTO_MSG_HELLO,
				   (int)(auth_deadline - now_ms()));
	if (err)
		goto out;
	if (proto_get_hello(in->ctl.payload, in->ctl.len, &in->hello)) {
		target_abort(in, PROTO_E_REQUEST, "malformed HELLO");
		err = -EPROTO;
		goto out;
	}
	/* Password mode: a source without a certificate needs the password. */
	if (!client_cert && !(in->pwtext &&
			      pw_check(in->pwtext, in->hello.user,
				       in->hello.password))) {
		OPENSSL_cleanse(in->hello.password, sizeof(in->hello.password));
		sleep(1);	/* slow down guessing */
		target_abort(in, PROTO_E_AUTH, "wrong password%s%s",
			     in->hello.user[0] ? " for user " : "", in->hello.user);
		err = ERR_REFUSED;
		goto out;
	}
	OPENSSL_cleanse(in->hello.password, sizeof(in->hello.password));
	serve_log(peer, "%s authenticated by %s: '%s' -> '%s'%s", subj,
		  client_cert ? "certificate" : "password", in->hello.source,
		  in->hello.target,
		  in->hello.flags & PROTO_HELLO_F_DRY_RUN ? " (dry run)" : "");
	err = admission(in, admit_fd);
	admit_fd = -1;
	if (err)
		goto out;

	err = ldm_genl_open(&in->g, LDM_GENL_NAME, LDM_GENL_VERSION);
	if (err) {
		target_abort(in, PROTO_E_TARGET, "the ldm module is not loaded on the target");
		goto out;
	}
	in->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	target_judge(in, &w);
	if (w.verdict == PROTO_OK && !(in->hello.flags & PROTO_HELLO_F_DRY_RUN)) {
		err = prepare(in, &rdy.data_port);
		if (err)
			goto out;
		if (o->on_receive)
			on_receive(in);
	}
	err = target_send(in, &b, proto_put_welcome(&b, &w));
	if (err || w.verdict != PROTO_OK ||
	    (in->hello.flags & PROTO_HELLO_F_DRY_RUN)) {
		if (w.verdict != PROTO_OK)
			serve_log(peer, "refused: %s", proto_code_name(w.verdict));
		if (w.verdict)
			err = ERR_REFUSED;
		goto out;
	}
	err = target_send(in, &b, proto_put_ready(&b, &rdy));
	if (!err)
		err = target_accept_streams(in);
	if (!err)
		err = ctl_send_empty(&in->ctl, PROTO_MSG_STREAMS_OK,
				     o->timeout_ms);
	if (!err)
		serve_log(peer, "%u data streams bound; receiving '%s'",
			  in->hello.streams, in->hello.target);
	if (!err)
		err = target_rounds(in);
	if (!err)
		err = target_commit(in);
out:
	if (admit_fd >= 0)
		close(admit_fd);
	pbuf_free(&b);
	/* Without its state, an armed target QEMU's load fails: it exits. */
	if (in->devstate_fd >= 0)
		close(in->devstate_fd);
	if (err && in->created &&
	    (in->hello.flags & PROTO_HELLO_F_DEVSTATE) && in->o->qmp_dir)
		target_qemu_quit(in);
	if (in->qmp_up)
		qmp_close(&in->qmp);
	free(in->devstate);
	if (err && in->created)
		target_discard(in);
	else if (in->marked)
		target_discard(in);
	if (in->ring.map)
		uring_unmap(&in->ring);
	if (in->data_fd >= 0)
		close(in->data_fd);
	for (uint32_t i = 0; i < PROTO_STREAMS_MAX; i++)
		if (in->rx.st[i].fd > 0)
			close(in->rx.st[i].fd);
	if (in->ctl_up || in->ctl.ssl)
		ctl_close(&in->ctl);
	ldm_genl_close(in->g);
	OPENSSL_cleanse(in, sizeof(*in));
	free(in);
	return err;
}
