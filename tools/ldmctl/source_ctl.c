// SPDX-License-Identifier: GPL-2.0
/*
 * The source's control conversation with the target (source.h): the TLS
 * connection and its certificates, HELLO and the target's WELCOME with
 * its checks, the keys derived from the TLS session, and the data
 * streams. The messages go through ctl.c, as the target's do; what a
 * failure means for the migration is said here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "json.h"
#include "net.h"
#include "source.h"
#include "tls.h"

int source_send(struct migration *m, struct pbuf *b, int enc)
{
	return ctl_send_msg(&m->ctl, b, enc, m->o.timeout_ms);
}

void source_abort(struct migration *m, uint32_t code, const char *why)
{
	if (m->ctl_up)
		ctl_abort(&m->ctl, code, why);
}

int source_target_aborted(struct migration *m)
{
	struct proto_abort ab;

	if (proto_get_abort(m->ctl.payload, m->ctl.len, &ab))
		return source_fail(m, -EIO, "malformed ABORT from the target");
	m->ctl_up = false;	/* it is gone; no ABORT back */
	ctl_close(&m->ctl);
	/* Nothing wrong with this migration: the target has no room now. */
	if (ab.code == PROTO_E_BUSY)
		return source_fail(m, ERR_BUSY,
				   "the target %s refused: %s; nothing was changed",
				   m->o.dest.host, ab.reason);
	return source_fail(m, ab.code == PROTO_E_TARGET || ab.code == PROTO_E_DATA ?
			   -EIO : ERR_REFUSED,
			   "the target refused: %s (%s); the source domain is intact",
			   ab.reason, proto_code_name(ab.code));
}

int source_expect(struct migration *m, uint16_t type, const char *what)
{
	const char *a;
	int ret;

	ret = ctl_expect(&m->ctl, type, m->o.timeout_ms, &source_cancelled,
			 sender_aside, &m->snd);
	switch (ret) {
	case 0:
		return 0;
	case -ECANCELED:
		return source_fail(m, ERR_CANCELLED,
				   "cancelled while waiting for %s; the source domain is intact",
				   what);
	case -ETIMEDOUT:
		/* A silent target is a lost one, as a pulled cable makes it. */
		if (m->may_resume) {
			snprintf(m->lost_why, sizeof(m->lost_why),
				 "%s did not come within %d s", what,
				 m->o.timeout_ms / 1000);
			return SOURCE_LOST;
		}
		return source_fail(m, -ETIMEDOUT,
				   "%s did not come within %d s; the source domain is intact",
				   what, m->o.timeout_ms / 1000);
	case -ECONNABORTED:
		return source_target_aborted(m);
	case -EBADMSG:
		return source_fail(m, -EPROTO,
				   "protocol error: the target sent %s instead of %s",
				   proto_msg_name(m->ctl.type), proto_msg_name(type));
	}
	/* TLS 1.3: the target's verdict on our certificate comes now. */
	a = tls_peer_alert(m->ctl.ssl);
	if (a)
		return source_fail(m, ERR_REFUSED,
				   "the target %s refused the source's certificate: TLS alert \"%s\" (see the target's log for why)",
				   m->o.dest.host, a);
	if (m->may_resume) {
		snprintf(m->lost_why, sizeof(m->lost_why), "%s", m->ctl.why);
		return SOURCE_LOST;
	}
	return source_fail(m, -ECONNRESET,
			   "lost the target while waiting for %s: %s; the source domain is intact",
			   what, m->ctl.why);
}

/*
 * Before authentication a serve has nothing it could tell us in
 * confidence: resetting the connection at once is how it turns away one
 * over its budget of unauthenticated connections (ldmctl(8), "Admission
 * of connections"), whether the reset comes before the TCP connect is
 * seen through or during the handshake.
 */
#define TURNED_AWAY " (a serve with too many connections not yet authenticated resets new ones at once; see its log)"

int source_connect(struct migration *m)
{
	struct tls_config tc = {
		.cert = m->o.pwfile ? NULL : m->o.cert,
		.key = m->o.key,
		.trust_dir = m->o.trust_dir,
	};
	char why[TLS_WHY_MAX], subj[256];
	enum tls_refusal refused;
	SSL *ssl;
	int fd;

	m->ctx = tls_ctx_new(&tc, why);
	if (!m->ctx)
		return source_fail(m, -EIO, "%s", why);
	fd = net_connect(m->o.dest.host, m->o.port, m->o.timeout_ms);
	m->t_connected = now_ns();
	if (source_cancelled) {
		if (fd >= 0)
			close(fd);
		return source_fail(m, ERR_CANCELLED,
				   "cancelled while connecting to %s; nothing was changed",
				   m->o.dest.host);
	}
	if (fd < 0)
		return source_fail(m, -EIO,
				   "cannot connect to %s port %u: %s%s", m->o.dest.host,
				   m->o.port, fd == -ENOENT ? "unknown host" :
				   strerror(-fd), fd == -ECONNRESET ? TURNED_AWAY : "");
	ssl = tls_handshake(m->ctx, fd, m->o.dest.host, m->o.timeout_ms,
			    &source_cancelled, why, &refused);
	if (!ssl && source_cancelled) {
		close(fd);
		return source_fail(m, ERR_CANCELLED,
				   "cancelled during the TLS handshake with %s; nothing was changed",
				   m->o.dest.host);
	}
	if (!ssl) {
		net_linger_close(fd, 2000);
		if (refused == TLS_WE_REFUSED)
			return source_fail(m, ERR_REFUSED,
					   "the source refused the target %s's certificate: %s (trust directory %s)",
					   m->o.dest.host, why, m->o.trust_dir);
		if (refused == TLS_PEER_REFUSED)
			return source_fail(m, ERR_REFUSED,
					   "the target %s refused the source: %s",
					   m->o.dest.host, why);
		return source_fail(m, -EIO, "%s: %s%s", m->o.dest.host, why,
				   !strncmp(why, "connection closed during the TLS handshake",
				     strlen("connection closed during the TLS handshake")) ?
				   TURNED_AWAY : "");
	}
	if (ctl_init(&m->ctl, ssl, fd)) {
		SSL_free(ssl);
		close(fd);
		return source_fail(m, -EIO, "out of memory");
	}
	m->ctl_up = true;
	tls_peer_subject(ssl, subj, sizeof(subj));
	progress_note(&m->pr, "connected to %s (%s, %s)", m->o.dest.host, subj,
		      SSL_get_cipher_name(ssl));
	return 0;
}

/* HELLO, then the target's WELCOME: its checks and its verdict. */
int source_greet(struct migration *m, struct proto_welcome *w)
{
	struct proto_hello h = {
		.uapi_version = LDM_UAPI_VERSION,
		.page_size = m->info.page_size,
		.flags = (m->o.dry_run ? PROTO_HELLO_F_DRY_RUN : 0) |
			 (m->o.fips ? PROTO_HELLO_F_FIPS : 0) |
			 (m->o.verify ? PROTO_HELLO_F_VERIFY : 0) |
			 (m->o.qmp ? PROTO_HELLO_F_DEVSTATE : 0) |
			 (m->o.reconnect_s ? PROTO_HELLO_F_RESUMABLE : 0) |
			 (m->o.prepared ? PROTO_HELLO_F_PREPARED : 0),
		.size = m->info.size,
		.resident = m->info.resident,
		.streams = m->o.streams,
		.batch_bytes = LDM_BATCH_DEFAULT,
		.epoch_shift = m->o.rekey_shift,
	};
	struct pbuf b;
	uint32_t i;
	int ret, bad = 0;

	snprintf(h.tool_version, sizeof(h.tool_version), "%s", LDMCTL_VERSION);
	snprintf(h.source, sizeof(h.source), "%s", m->o.domain);
	snprintf(h.target, sizeof(h.target), "%s", m->target);
	snprintf(h.user, sizeof(h.user), "%s", m->o.dest.user);
	memcpy(h.password, m->password, sizeof(m->password));
	pbuf_init(&b);
	ret = source_send(m, &b, proto_put_hello(&b, &h));
	OPENSSL_cleanse(h.password, sizeof(h.password));
	pbuf_free(&b);
	if (ret) {
		const char *a = tls_peer_alert(m->ctl.ssl);

		/* TLS 1.3: the target may have refused our certificate. */
		if (a)
			return source_fail(m, ERR_REFUSED,
					   "the target %s refused the source's certificate: TLS alert \"%s\" (see the target's log for why)",
					   m->o.dest.host, a);
		return source_fail(m, -EIO, "cannot send HELLO: %s",
				   m->ctl.why);
	}
	ret = source_expect(m, PROTO_MSG_WELCOME, "the target's answer");
	if (ret)
		return ret;
	if (proto_get_welcome(m->ctl.payload, m->ctl.len, w))
		return source_fail(m, -EIO, "malformed WELCOME from the target");

	/* Our own checks of what the target says about itself. */
	if (w->uapi_version != LDM_UAPI_VERSION && w->nchecks < PROTO_CHECKS_MAX) {
		w->checks[w->nchecks].code = PROTO_E_VERSION;
		snprintf(w->checks[w->nchecks++].text, PROTO_STR_TEXT_MAX,
			 "the target's ldm UAPI is version %u, the source's %u",
			 w->uapi_version, LDM_UAPI_VERSION);
	}
	if (w->fips != (m->o.fips ? 1u : 0u) && w->nchecks < PROTO_CHECKS_MAX) {
		w->checks[w->nchecks].code = PROTO_E_FIPS;
		snprintf(w->checks[w->nchecks++].text, PROTO_STR_TEXT_MAX,
			 "FIPS mode mismatch: the source is%s in FIPS mode, the target is%s",
			 m->o.fips ? "" : " not", w->fips ? "" : " not");
	}
	for (i = 0; i < w->nchecks; i++) {
		bad |= w->checks[i].code != PROTO_OK;
		if (m->o.dry_run) {
			if (m->o.json) {
				struct json j;

				json_event_begin(&j, "check");
				json_key(&j, "ok");
				json_bool(&j, w->checks[i].code == PROTO_OK);
				json_key(&j, "message");
				json_string(&j, w->checks[i].text);
				json_event_end(&j);
			} else {
				printf("  %s  %s\n", w->checks[i].code ? "FAIL" : "ok  ",
				       w->checks[i].text);
			}
		} else if (w->checks[i].code) {
			progress_note(&m->pr, "refused: %s", w->checks[i].text);
		}
	}
	if (w->verdict != PROTO_OK || bad) {
		uint32_t code = w->verdict;

		for (i = 0; !code && i < w->nchecks; i++)
			code = w->checks[i].code;
		return source_fail(m, ERR_REFUSED,
				   "the target refused%s: %s; nothing was changed",
				   m->o.dry_run ? " (dry run)" : "", proto_code_name(code));
	}
	return 0;
}

int source_derive_keys(struct migration *m)
{
	uint8_t salt[4];

	if (tls_export(m->ctl.ssl, TLS_LABEL_BATCH_KEY, m->key, sizeof(m->key)) ||
	    tls_export(m->ctl.ssl, TLS_LABEL_BATCH_SALT, salt, sizeof(salt)) ||
	    tls_export(m->ctl.ssl, TLS_LABEL_STREAM_TOKEN, m->token,
		       sizeof(m->token)) ||
	    (m->o.reconnect_s &&
	     tls_export(m->ctl.ssl, TLS_LABEL_RESUME_TICKET, m->ticket,
			sizeof(m->ticket))) ||
	    rekey_export(&m->rk, m->ctl.ssl, m->o.rekey_shift))
		return source_fail(m, -EIO,
				   "cannot derive the batch key from the TLS session");
	memcpy(&m->salt, salt, sizeof(salt));
	OPENSSL_cleanse(salt, sizeof(salt));
	return 0;
}

/* The streams: plain TCP, bound to this session by the token. */
int source_open_streams(struct migration *m, uint16_t port)
{
	uint8_t hello[PROTO_STREAM_HELLO_BYTES];
	uint32_t i;
	int fd;

	for (i = 0; i < m->o.streams; i++)
		m->snd.st[i].fd = -1;
	m->snd.nstreams = m->o.streams;
	for (i = 0; i < m->o.streams; i++) {
		ssize_t w;

		fd = net_connect(m->o.dest.host, port, m->o.timeout_ms);
		if (fd < 0)
			return source_fail(m, -EIO,
					   "cannot open data stream %u to %s port %u: %s",
					   i, m->o.dest.host, port, strerror(-fd));
		m->snd.st[i].fd = fd;
		/* Bulk data: keep Nagle's coalescing off, big buffers. */
		proto_put_stream_hello(hello, (uint16_t)i, m->token);
		w = send(fd, hello, sizeof(hello), MSG_NOSIGNAL);
		OPENSSL_cleanse(hello, sizeof(hello));
		if (w != (ssize_t)sizeof(hello))
			return source_fail(m, -EIO,
					   "cannot greet on data stream %u: %s", i,
					   w < 0 ? strerror(errno) : "short write");
	}
	return source_expect(m, PROTO_MSG_STREAMS_OK, "the target's data streams");
}
