/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The migration protocol between 'ldmctl migrate' (the source) and
 * 'ldmctl serve' (the target): the messages of the TLS control connection
 * and the greeting of a bulk data stream. Encoding and decoding only, no
 * I/O, so every byte of it can be unit-tested.
 *
 * Everything read from the wire is untrusted. A control message is an
 * 8-byte header (payload length u32, type u16, protocol version u16; big
 * endian) and a payload of at most PROTO_MAX_PAYLOAD bytes. Each type has
 * a fixed layout; strings are a u16 length and that many bytes, no NUL
 * inside, each with its own limit. A decoder accepts a payload only if it
 * has exactly the bytes its layout says: nothing missing, nothing after.
 */
#ifndef LDMCTL_PROTO_H
#define LDMCTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION		2
#define PROTO_HDR_BYTES		8
/* The largest message: a chunk of page checksums. */
#define PROTO_MAX_PAYLOAD	(80 * 1024)
#define PROTO_SUMS_MAX		8192	/* checksums per PROTO_MSG_SUMS */

#define PROTO_STR_VERSION_MAX	32
#define PROTO_STR_NAME_MAX	31	/* LDM_NAME_MAX - 1 */
#define PROTO_STR_USER_MAX	64
#define PROTO_STR_PASSWORD_MAX	256
#define PROTO_STR_TEXT_MAX	512
#define PROTO_CHECKS_MAX	16
#define PROTO_STREAMS_MAX	16
#define PROTO_ROUNDS_MAX	1000

enum proto_msg_type {
	PROTO_MSG_HELLO = 1,		/* source: who, what, how */
	PROTO_MSG_WELCOME,		/* target: checks and verdict */
	PROTO_MSG_READY,		/* target: domain made, streams port */
	PROTO_MSG_STREAMS_OK,		/* target: every stream bound */
	PROTO_MSG_ROUND_DONE,		/* source: a round is all sent */
	PROTO_MSG_ROUND_ACK,		/* target: and all applied */
	PROTO_MSG_COMMIT,		/* source: the last round was sent */
	PROTO_MSG_SUMS,			/* target: page checksums (--verify) */
	PROTO_MSG_VERIFY,		/* source: checksums compared */
	PROTO_MSG_COMMITTED,		/* target: the domain is its own now */
	PROTO_MSG_ABORT,		/* either: give up, with a reason */
	PROTO_MSG_PING,			/* either: still alive */
	PROTO_MSG_DEVSTATE,		/* source: a chunk of QEMU's device state */
	PROTO_MSG_RESUME,		/* source, reconnected: go on */
	PROTO_MSG_APPLIED,		/* target: a chunk of its applied pages */
	PROTO_MSG_QEMU_READY,		/* target: its QEMU awaits the state */
	PROTO_MSG_POSTCOPY,		/* source: a chunk of the pages to come */
	PROTO_MSG_POSTCOPY_RUNNING,	/* target: marked; the guest may run */
	PROTO_MSG_PAGE_REQ,		/* target: pages its faults wait for */
	__PROTO_MSG_MAX
};

/* Why a target refuses, or either side aborts. */
enum proto_code {
	PROTO_OK = 0,
	PROTO_E_VERSION,	/* protocol or UAPI versions do not match */
	PROTO_E_AUTH,		/* wrong password, or none where one is due */
	PROTO_E_FIPS,		/* FIPS mode differs between the two ends */
	PROTO_E_NAME,		/* target domain name taken or invalid */
	PROTO_E_MEMORY,		/* not enough memory on the target */
	PROTO_E_PAGE_SIZE,	/* page sizes differ */
	PROTO_E_REQUEST,	/* a malformed or unexpected message */
	PROTO_E_TARGET,		/* the target failed (module, system) */
	PROTO_E_DATA,		/* a batch was refused or is missing */
	PROTO_E_CANCELLED,	/* the user cancelled */
	PROTO_E_VERIFY,		/* --verify found a difference */
	PROTO_E_SOURCE,		/* the source failed */
	PROTO_E_BUSY,		/* every migration slot of the target is taken */
	__PROTO_E_MAX
};

const char *proto_code_name(uint32_t code);
const char *proto_msg_name(uint32_t type);

#define PROTO_HELLO_F_DRY_RUN	(1u << 0)
#define PROTO_HELLO_F_FIPS	(1u << 1)
#define PROTO_HELLO_F_VERIFY	(1u << 2)
#define PROTO_HELLO_F_DEVSTATE	(1u << 3)	/* QEMU device state follows */
#define PROTO_HELLO_F_RESUMABLE	(1u << 4)	/* wait for a reconnect */
/* the target domain exists, made empty by the operator: receive into it */
#define PROTO_HELLO_F_PREPARED	(1u << 5)
#define PROTO_HELLO_F_ALL	0x3fu

/*
 * Post-copy (migrate --postcopy): instead of a suspended final round, the
 * source stops its guest and starts a post-copy round, and sends the
 * pages of that round, which the target lacks, as POSTCOPY chunks (a
 * bitmap of 64-bit words, laid out as SUMS, in order) before its first
 * batch. The target marks them missing in its module and answers
 * POSTCOPY_RUNNING: from then on the guest may run there, and the source
 * never resumes its own. While the round runs the target sends PAGE_REQ
 * (up to PROTO_SUMS_MAX page indexes, laid out as SUMS with first 0) for
 * the pages its faults wait for, and the source sends them first. The
 * round is the final one: ROUND_DONE, COMMIT, COMMITTED as always.
 */

/*
 * A resumable migration whose connection drops during pre-copy: the
 * target keeps the half-made domain and waits PROTO_RESUME_WAIT_S for
 * the source on its data port. The source reconnects there (TLS, both
 * certificates checked again) and sends RESUME: the round that was cut
 * and the resume ticket both ends derived from the first TLS session.
 * The target drains what arrived and answers with APPLIED chunks, a
 * bitmap (64-bit words, PROTO_SUMS_MAX words a chunk, in order) of the
 * pages it has from that round on; then new data streams (a token from
 * the new session), STREAMS_OK, and the rounds go on, the next one a
 * resend of what the target lacks.
 */
#define PROTO_RESUME_WAIT_S	60

struct proto_resume {
	uint32_t round;			/* the round that was cut */
	uint8_t ticket[32];
};

/*
 * With QEMU's device state (PROTO_HELLO_F_DEVSTATE), the target makes its
 * QEMU ready for it during the rounds, as soon as that QEMU is up, and
 * says so with an empty QEMU_READY (again after a resume); the source
 * suspends its guest only after that, so that the target QEMU's start-up
 * is no part of the downtime.
 *
 * QEMU's device state (migrate --qmp) travels after the final round as
 * DEVSTATE chunks of at most PROTO_DEVSTATE_CHUNK bytes, in order, the
 * last one flagged; all of them together at most PROTO_DEVSTATE_MAX.
 */
#define PROTO_DEVSTATE_CHUNK	(64 * 1024)
#define PROTO_DEVSTATE_MAX	(16u * 1024 * 1024)

struct proto_hello {
	uint32_t uapi_version;
	uint32_t page_size;
	uint32_t flags;			/* PROTO_HELLO_F_* */
	char tool_version[PROTO_STR_VERSION_MAX + 1];
	char source[PROTO_STR_NAME_MAX + 1];	/* source domain */
	char target[PROTO_STR_NAME_MAX + 1];	/* domain to create */
	uint64_t size;			/* bytes */
	uint64_t resident;		/* pages */
	uint32_t streams;		/* 1..PROTO_STREAMS_MAX */
	uint32_t batch_bytes;
	char user[PROTO_STR_USER_MAX + 1];
	char password[PROTO_STR_PASSWORD_MAX + 1];
	uint32_t epoch_shift;		/* key epochs of 1 << this batches */
};

struct proto_check {
	uint32_t code;			/* PROTO_OK or why it fails */
	char text[PROTO_STR_TEXT_MAX + 1];
};

struct proto_welcome {
	uint32_t uapi_version;
	uint32_t page_size;
	uint32_t fips;			/* 0 or 1 */
	char tool_version[PROTO_STR_VERSION_MAX + 1];
	uint64_t mem_available;		/* bytes */
	uint64_t max_domain;		/* bytes */
	uint32_t verdict;		/* PROTO_OK: go on (or dry run passed) */
	uint32_t nchecks;
	struct proto_check checks[PROTO_CHECKS_MAX];
};

struct proto_ready {
	uint16_t data_port;
};

struct proto_round_done {
	uint32_t round;
	uint32_t final;			/* 0 or 1 */
	uint64_t batches;		/* of the round, round-end included */
	uint64_t pages;
	uint64_t bytes;			/* wire bytes of the round */
};

struct proto_round_ack {
	uint32_t round;
	uint64_t batches;		/* applied by the target's module */
	uint64_t pages;
};

struct proto_commit {
	uint32_t rounds;
	uint64_t batches;		/* all rounds */
	uint32_t verify;		/* 0 or 1 */
};

struct proto_sums {
	uint64_t first;			/* page index of sums[0] */
	uint32_t count;			/* 1..PROTO_SUMS_MAX */
	uint64_t sums[PROTO_SUMS_MAX];
};

struct proto_verify {
	uint32_t ok;			/* 0 or 1 */
	uint64_t first_bad;		/* the first differing page, if !ok */
};

struct proto_devstate {
	uint64_t offset;		/* of data[0] in the whole state */
	uint32_t last;			/* 0 or 1 */
	uint32_t len;			/* 0..PROTO_DEVSTATE_CHUNK */
	const uint8_t *data;		/* decoder: points into the payload */
};

struct proto_abort {
	uint32_t code;			/* enum proto_code */
	char reason[PROTO_STR_TEXT_MAX + 1];
};

/* A growable output buffer; errors are sticky and checked once. */
struct pbuf {
	uint8_t *data;
	size_t len, cap;
	bool err;
};

void pbuf_init(struct pbuf *b);
void pbuf_free(struct pbuf *b);
void pbuf_reset(struct pbuf *b);

/*
 * Each encoder appends one complete message (header and payload) to @b.
 * Return: 0, -ENOMEM, or -EINVAL for a value outside the protocol's
 * limits (a string too long, a count out of range).
 */
int proto_put_hello(struct pbuf *b, const struct proto_hello *m);
int proto_put_welcome(struct pbuf *b, const struct proto_welcome *m);
int proto_put_ready(struct pbuf *b, const struct proto_ready *m);
int proto_put_empty(struct pbuf *b, uint16_t type);	/* STREAMS_OK, COMMITTED, PING */
int proto_put_round_done(struct pbuf *b, const struct proto_round_done *m);
int proto_put_round_ack(struct pbuf *b, const struct proto_round_ack *m);
int proto_put_commit(struct pbuf *b, const struct proto_commit *m);
int proto_put_sums(struct pbuf *b, const struct proto_sums *m);
int proto_put_verify(struct pbuf *b, const struct proto_verify *m);
int proto_put_abort(struct pbuf *b, const struct proto_abort *m);
int proto_put_devstate(struct pbuf *b, const struct proto_devstate *m);
int proto_put_resume(struct pbuf *b, const struct proto_resume *m);
/* APPLIED: a chunk of bitmap words, laid out as SUMS. */
int proto_put_applied(struct pbuf *b, const struct proto_sums *m);
/* POSTCOPY and PAGE_REQ (@type), laid out as SUMS. */
int proto_put_words(struct pbuf *b, uint16_t type, const struct proto_sums *m);

/*
 * proto_parse_header() - read a message header
 * @len: out: payload length
 * @type: out: message type
 * Return: 0; -EPROTO for another protocol version, an unknown type or a
 * payload over PROTO_MAX_PAYLOAD.
 */
int proto_parse_header(const uint8_t hdr[PROTO_HDR_BYTES], uint32_t *len,
		       uint16_t *type);

/*
 * Decoders of payloads (the bytes after the header). Each returns 0 or
 * -EBADMSG, and on -EBADMSG the output is not to be used.
 */
int proto_get_hello(const uint8_t *p, size_t len, struct proto_hello *m);
int proto_get_welcome(const uint8_t *p, size_t len, struct proto_welcome *m);
int proto_get_ready(const uint8_t *p, size_t len, struct proto_ready *m);
int proto_get_empty(const uint8_t *p, size_t len);
int proto_get_round_done(const uint8_t *p, size_t len,
			 struct proto_round_done *m);
int proto_get_round_ack(const uint8_t *p, size_t len,
			struct proto_round_ack *m);
int proto_get_commit(const uint8_t *p, size_t len, struct proto_commit *m);
int proto_get_sums(const uint8_t *p, size_t len, struct proto_sums *m);
int proto_get_verify(const uint8_t *p, size_t len, struct proto_verify *m);
int proto_get_abort(const uint8_t *p, size_t len, struct proto_abort *m);
int proto_get_devstate(const uint8_t *p, size_t len,
		       struct proto_devstate *m);
int proto_get_resume(const uint8_t *p, size_t len, struct proto_resume *m);
int proto_get_applied(const uint8_t *p, size_t len, struct proto_sums *m);
/* POSTCOPY and PAGE_REQ: as SUMS. */
#define proto_get_words proto_get_sums

/*
 * The first bytes of a bulk data stream: "LDMS", version u16, stream
 * index u16, then the 32-byte session token from the TLS exporter.
 */
#define PROTO_STREAM_MAGIC	0x4c444d53u	/* "LDMS" */
#define PROTO_TOKEN_BYTES	32
#define PROTO_STREAM_HELLO_BYTES (8 + PROTO_TOKEN_BYTES)

void proto_put_stream_hello(uint8_t out[PROTO_STREAM_HELLO_BYTES],
			    uint16_t index,
			    const uint8_t token[PROTO_TOKEN_BYTES]);
/*
 * proto_check_stream_hello() - a stream greeting: right magic and version,
 * index below @nstreams, and the token (compared in constant time).
 * Return: 0 and @index, or -EPERM for a bad token, -EPROTO for the rest.
 */
int proto_check_stream_hello(const uint8_t in[PROTO_STREAM_HELLO_BYTES],
			     const uint8_t token[PROTO_TOKEN_BYTES],
			     uint16_t nstreams, uint16_t *index);

#endif /* LDMCTL_PROTO_H */
