// SPDX-License-Identifier: GPL-2.0
/* The control channel; see ctl.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "ctl.h"
#include "net.h"
#include "tls.h"

int ctl_init(struct ctl *c, SSL *ssl, int fd)
{
	memset(c, 0, sizeof(*c));
	c->ssl = ssl;
	c->fd = fd;
	c->payload = malloc(PROTO_MAX_PAYLOAD);
	return c->payload ? 0 : -ENOMEM;
}

void ctl_close(struct ctl *c)
{
	if (c->ssl) {
		/* Best effort: do not wait for the peer's close_notify. */
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->payload) {
		OPENSSL_cleanse(c->payload, PROTO_MAX_PAYLOAD);
		free(c->payload);
	}
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Word an SSL failure; return the errno to give back. */
static int ssl_failure(struct ctl *c, int ret)
{
	int err = SSL_get_error(c->ssl, ret);
	const char *alert = tls_peer_alert(c->ssl);
	char e[200];

	if (err == SSL_ERROR_ZERO_RETURN) {
		snprintf(c->why, sizeof(c->why), "the peer closed the connection");
		return -EPIPE;
	}
	/* OpenSSL 3: an EOF without close_notify (the peer died) is an error. */
	if (err == SSL_ERROR_SSL &&
	    ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		ERR_clear_error();
		snprintf(c->why, sizeof(c->why),
			 "the peer closed the connection without a goodbye (did it die?)");
		return -EPIPE;
	}
	if (alert) {
		snprintf(c->why, sizeof(c->why), "TLS alert from the peer: \"%s\"",
			 alert);
		ERR_clear_error();
		return -EPROTO;
	}
	if (err == SSL_ERROR_SYSCALL) {
		int e2 = errno;

		ERR_clear_error();
		if (!ret || !e2 || e2 == EPIPE || e2 == ECONNRESET) {
			snprintf(c->why, sizeof(c->why),
				 "the connection was closed%s%s",
				 e2 ? ": " : "", e2 ? strerror(e2) : "");
			return -EPIPE;
		}
		snprintf(c->why, sizeof(c->why), "%s", strerror(e2));
		return -e2;
	}
	tls_errors(e, sizeof(e));
	snprintf(c->why, sizeof(c->why), "TLS: %s", e);
	return -EPROTO;
}

int ctl_send(struct ctl *c, const struct pbuf *b, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	size_t off = 0;

	if (b->err)
		return -ENOMEM;
	while (off < b->len) {
		struct pollfd p = { .fd = c->fd };
		int64_t left;
		int ret, err;

		ERR_clear_error();
		ret = SSL_write(c->ssl, b->data + off, (int)(b->len - off));
		if (ret > 0) {
			off += (size_t)ret;
			c->bytes_out += (uint64_t)ret;
			continue;
		}
		err = SSL_get_error(c->ssl, ret);
		if (err == SSL_ERROR_WANT_WRITE)
			p.events = POLLOUT;
		else if (err == SSL_ERROR_WANT_READ)
			p.events = POLLIN;
		else
			return ssl_failure(c, ret);
		left = deadline - now_ms();
		if (left <= 0 || !poll(&p, 1, (int)left)) {
			snprintf(c->why, sizeof(c->why),
				 "sending timed out after %d s", timeout_ms / 1000);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

bool ctl_pending(const struct ctl *c)
{
	return c->ready || SSL_pending(c->ssl) > 0;
}

int ctl_pump(struct ctl *c)
{
	int ret, err;

	while (!c->ready) {
		uint8_t *dst;
		size_t want;

		if (c->hdr_got < PROTO_HDR_BYTES) {
			dst = c->hdr + c->hdr_got;
			want = PROTO_HDR_BYTES - c->hdr_got;
		} else {
			dst = c->payload + c->got;
			want = c->len - c->got;
		}
		if (want) {
			ERR_clear_error();
			ret = SSL_read(c->ssl, dst, (int)want);
			if (ret <= 0) {
				err = SSL_get_error(c->ssl, ret);
				if (err == SSL_ERROR_WANT_READ ||
				    err == SSL_ERROR_WANT_WRITE)
					return 0;
				return ssl_failure(c, ret);
			}
			c->bytes_in += (uint64_t)ret;
			if (c->hdr_got < PROTO_HDR_BYTES) {
				c->hdr_got += (size_t)ret;
				if (c->hdr_got < PROTO_HDR_BYTES)
					continue;
				if (proto_parse_header(c->hdr, &c->len,
						       &c->type)) {
					snprintf(c->why, sizeof(c->why),
						 "malformed message header from the peer (another protocol version?)");
					return -EPROTO;
				}
				continue;
			}
			c->got += (size_t)ret;
		}
		if (c->hdr_got == PROTO_HDR_BYTES && c->got == c->len)
			c->ready = true;
	}
	return 1;
}

/*
 * One wait for the socket, of @slice_ms at most: 1 when a whole message
 * is in, 0 when not yet, -ETIMEDOUT once @deadline has passed (c->why
 * names @timeout_ms), -EINTR when a signal (a cancel) ended the wait: the
 * caller decides.
 */
static int wait_once(struct ctl *c, int64_t deadline, int timeout_ms,
		     int64_t slice_ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	int64_t left;
	int ret;

	ret = ctl_pump(c);
	if (ret)
		return ret;
	left = deadline - now_ms();
	if (left <= 0) {
		snprintf(c->why, sizeof(c->why),
			 "no answer from the peer within %d s",
			 timeout_ms / 1000);
		return -ETIMEDOUT;
	}
	if (poll(&p, 1, (int)(left < slice_ms ? left : slice_ms)) < 0)
		return -errno;
	return 0;
}

int ctl_recv(struct ctl *c, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int ret;

	do
		ret = wait_once(c, deadline, timeout_ms, timeout_ms);
	while (!ret);
	return ret;
}

void ctl_next(struct ctl *c)
{
	c->hdr_got = 0;
	c->got = 0;
	c->len = 0;
	c->type = 0;
	c->ready = false;
}

int ctl_send_msg(struct ctl *c, struct pbuf *b, int enc, int timeout_ms)
{
	int ret = enc ? enc : ctl_send(c, b, timeout_ms);

	pbuf_reset(b);
	return ret;
}

int ctl_send_empty(struct ctl *c, uint16_t type, int timeout_ms)
{
	struct pbuf b;
	int ret;

	pbuf_init(&b);
	ret = ctl_send_msg(c, &b, proto_put_empty(&b, type), timeout_ms);
	pbuf_free(&b);
	return ret;
}

void ctl_abort(struct ctl *c, uint32_t code, const char *reason)
{
	struct proto_abort ab = { .code = code };
	struct pbuf b;

	snprintf(ab.reason, sizeof(ab.reason), "%s", reason);
	pbuf_init(&b);
	if (!proto_put_abort(&b, &ab))
		ctl_send(c, &b, 2000);
	pbuf_free(&b);
}

/*
 * The wait is cut into quarters of a second, so that a stop whose signal
 * came just before poll() is seen at most that late.
 */
#define EXPECT_SLICE_MS	250

int ctl_expect(struct ctl *c, uint16_t type, int timeout_ms,
	       const volatile sig_atomic_t *stop,
	       bool (*aside)(struct ctl *c, void *arg), void *arg)
{
	int64_t deadline = now_ms() + timeout_ms;
	int ret;

	ctl_next(c);
	for (;;) {
		/* Between messages only, so that the caller may wait on. */
		if (stop && *stop && !c->hdr_got)
			return -ECANCELED;
		ret = wait_once(c, deadline, timeout_ms, EXPECT_SLICE_MS);
		if (!ret || ret == -EINTR)
			continue;
		if (ret < 0)
			return ret;
		if (!aside || !aside(c, arg))
			break;
		ctl_next(c);
	}
	if (c->type == type)
		return 0;
	return c->type == PROTO_MSG_ABORT ? -ECONNABORTED : -EBADMSG;
}
