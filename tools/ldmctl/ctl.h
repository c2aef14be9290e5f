/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control channel: protocol messages (proto.h) over the TLS
 * connection, on a non-blocking socket, with deadlines. One message is
 * read at a time into a buffer of its exact size.
 *
 * Both sides of a migration, the source (source_*.c) and the target
 * (target_*.c), hold their conversation with the same few calls, under
 * one contract: ctl_send_msg() and ctl_send_empty() to say something,
 * ctl_expect() to wait for the next step, ctl_abort() to give up. Each
 * returns 0 or a negative errno and leaves the link's side of a failure
 * in c->why; what a failure means for the migration is the caller's to
 * say.
 */
#ifndef LDMCTL_CTL_H
#define LDMCTL_CTL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "proto.h"

struct ctl {
	SSL *ssl;
	int fd;
	uint8_t hdr[PROTO_HDR_BYTES];
	size_t hdr_got;
	uint32_t len;		/* payload length, once the header is in */
	uint16_t type;
	uint8_t *payload;	/* PROTO_MAX_PAYLOAD bytes */
	size_t got;
	bool ready;		/* a whole message is in */
	uint64_t bytes_in, bytes_out;	/* application bytes */
	char why[256];		/* the reason of the last failure */
};

int ctl_init(struct ctl *c, SSL *ssl, int fd);
/* Close politely (close_notify), free, close the socket. */
void ctl_close(struct ctl *c);

/*
 * ctl_send() - write one encoded message (all of @b) within @timeout_ms.
 * Return: 0; -EPIPE if the peer closed; -ETIMEDOUT; -EPROTO (c->why).
 */
int ctl_send(struct ctl *c, const struct pbuf *b, int timeout_ms);

/*
 * ctl_pump() - read what is there without blocking.
 * Return: 1 when a whole message is in (c->type, c->payload, c->len),
 * 0 when more is needed, -EPIPE when the peer closed the connection,
 * -EPROTO for a bad header or a TLS failure (c->why says which; a TLS
 * alert from the peer is named), -errno otherwise.
 */
int ctl_pump(struct ctl *c);

/* Whether OpenSSL holds decrypted bytes that poll() cannot see. */
bool ctl_pending(const struct ctl *c);

/*
 * ctl_recv() - ctl_pump() until a message is in or @timeout_ms passed
 * (-ETIMEDOUT); a signal ends the wait early with -EINTR.
 */
int ctl_recv(struct ctl *c, int timeout_ms);

/* Done with the current message: make room for the next. */
void ctl_next(struct ctl *c);

/*
 * ctl_send_msg() - send the message an encoder (proto_put_*()) has just
 * put in @b, within @timeout_ms; @b is empty again afterwards, ready for
 * the next one.
 * @enc: the encoder's result; if it failed, nothing is sent.
 * Return: 0, @enc, or ctl_send()'s error.
 */
int ctl_send_msg(struct ctl *c, struct pbuf *b, int enc, int timeout_ms);

/* A message without a payload (PING, STREAMS_OK, QEMU_READY, COMMITTED). */
int ctl_send_empty(struct ctl *c, uint16_t type, int timeout_ms);

/*
 * ctl_abort() - tell the peer why this side gives up: ABORT with @code
 * (PROTO_E_*) and @reason. Best effort, within 2 s: the peer may be gone.
 */
void ctl_abort(struct ctl *c, uint32_t code, const char *reason);

/*
 * ctl_expect() - wait for the next message, which should be of @type.
 * @timeout_ms: how long at most
 * @stop: when set (by a signal handler), the wait ends, between two
 *	messages (never with one half read: ctl_expect() may be called
 *	again); NULL: never
 * @aside: messages the peer may send at any time (a PING, ...) go to it
 *	first, and are skipped when it returns true; NULL: none may
 *
 * Return: 0, the message in (c->payload, c->len);
 * -ECONNABORTED, the peer's ABORT is in instead (proto_get_abort());
 * -EBADMSG, another message is in (c->type says which);
 * -ECANCELED, *@stop was set;
 * -ETIMEDOUT, nothing came within @timeout_ms (c->why);
 * another negative errno, the connection failed (c->why).
 */
int ctl_expect(struct ctl *c, uint16_t type, int timeout_ms,
	       const volatile sig_atomic_t *stop,
	       bool (*aside)(struct ctl *c, void *arg), void *arg);

#endif /* LDMCTL_CTL_H */
