/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control channel: protocol messages (proto.h) over the TLS
 * connection, on a non-blocking socket, with deadlines. One message is
 * read at a time into a buffer of its exact size.
 */
#ifndef LDMCTL_CTL_H
#define LDMCTL_CTL_H

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

#endif /* LDMCTL_CTL_H */
