// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding and strict decoding of the migration protocol; see proto.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "proto.h"

const char *proto_code_name(uint32_t code)
{
	static const char *const names[] = {
		[PROTO_OK] = "ok",
		[PROTO_E_VERSION] = "version mismatch",
		[PROTO_E_AUTH] = "authentication failed",
		[PROTO_E_FIPS] = "FIPS mode mismatch",
		[PROTO_E_NAME] = "target name not available",
		[PROTO_E_MEMORY] = "not enough memory",
		[PROTO_E_PAGE_SIZE] = "page size mismatch",
		[PROTO_E_REQUEST] = "protocol error",
		[PROTO_E_TARGET] = "target failure",
		[PROTO_E_DATA] = "data refused",
		[PROTO_E_CANCELLED] = "cancelled",
		[PROTO_E_VERIFY] = "verification failed",
		[PROTO_E_SOURCE] = "source failure",
		[PROTO_E_BUSY] = "target busy",
	};

	return code < __PROTO_E_MAX ? names[code] : "unknown error";
}

const char *proto_msg_name(uint32_t type)
{
	static const char *const names[] = {
		[PROTO_MSG_HELLO] = "HELLO",
		[PROTO_MSG_WELCOME] = "WELCOME",
		[PROTO_MSG_READY] = "READY",
		[PROTO_MSG_STREAMS_OK] = "STREAMS_OK",
		[PROTO_MSG_ROUND_DONE] = "ROUND_DONE",
		[PROTO_MSG_ROUND_ACK] = "ROUND_ACK",
		[PROTO_MSG_COMMIT] = "COMMIT",
		[PROTO_MSG_SUMS] = "SUMS",
		[PROTO_MSG_VERIFY] = "VERIFY",
		[PROTO_MSG_COMMITTED] = "COMMITTED",
		[PROTO_MSG_ABORT] = "ABORT",
		[PROTO_MSG_PING] = "PING",
		[PROTO_MSG_DEVSTATE] = "DEVSTATE",
		[PROTO_MSG_RESUME] = "RESUME",
		[PROTO_MSG_APPLIED] = "APPLIED",
		[PROTO_MSG_QEMU_READY] = "QEMU_READY",
		[PROTO_MSG_POSTCOPY] = "POSTCOPY",
		[PROTO_MSG_POSTCOPY_RUNNING] = "POSTCOPY_RUNNING",
		[PROTO_MSG_PAGE_REQ] = "PAGE_REQ",
	};

	return type && type < __PROTO_MSG_MAX ? names[type] : "unknown";
}

/* ---- writing ---- */

void pbuf_init(struct pbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void pbuf_free(struct pbuf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);	/* may hold a password */
	free(b->data);
	pbuf_init(b);
}

void pbuf_reset(struct pbuf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->len);
	b->len = 0;
	b->err = false;
}

static void put(struct pbuf *b, const void *p, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *d;

		while (cap < b->len + n)
			cap *= 2;
		d = malloc(cap);
		if (!d) {
			b->err = true;
			return;
		}
		if (b->data) {
			memcpy(d, b->data, b->len);
			OPENSSL_cleanse(b->data, b->cap);
			free(b->data);
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_u16(struct pbuf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(b, x, 2);
}

static void put_u32(struct pbuf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	put(b, x, 4);
}

static void put_u64(struct pbuf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

/* Returns false if @s is over @max bytes: the caller's bug or input. */
static bool put_str(struct pbuf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max)
		return false;
	put_u16(b, (uint16_t)n);
	put(b, s, n);
	return true;
}

/* The header, with the length patched in by end(). */
static size_t begin(struct pbuf *b, uint16_t type)
{
	size_t at = b->len;

	put_u32(b, 0);
	put_u16(b, type);
	put_u16(b, PROTO_VERSION);
	return at;
}

static int end(struct pbuf *b, size_t at, bool ok)
{
	size_t n;

	if (b->err)
		return -ENOMEM;
	n = b->len - at - PROTO_HDR_BYTES;
	if (!ok || n > PROTO_MAX_PAYLOAD) {
		b->len = at;
		return -EINVAL;
	}
	b->data[at] = (uint8_t)(n >> 24);
	b->data[at + 1] = (uint8_t)(n >> 16);
	b->data[at + 2] = (uint8_t)(n >> 8);
	b->data[at + 3] = (uint8_t)n;
	return 0;
}

int proto_put_hello(struct pbuf *b, const struct proto_hello *m)
{
	size_t at = begin(b, PROTO_MSG_HELLO);
	bool ok = !(m->flags & ~PROTO_HELLO_F_ALL) && m->streams &&
		  m->streams <= PROTO_STREAMS_MAX;

	put_u32(b, m->uapi_version);
	put_u32(b, m->page_size);
	put_u32(b, m->flags);
	ok &= put_str(b, m->tool_version, PROTO_STR_VERSION_MAX);
	ok &= put_str(b, m->source, PROTO_STR_NAME_MAX);
	ok &= put_str(b, m->target, PROTO_STR_NAME_MAX);
	put_u64(b, m->size);
	put_u64(b, m->resident);
	put_u32(b, m->streams);
	put_u32(b, m->batch_bytes);
	ok &= put_str(b, m->user, PROTO_STR_USER_MAX);
	ok &= put_str(b, m->password, PROTO_STR_PASSWORD_MAX);
	put_u32(b, m->epoch_shift);
	return end(b, at, ok);
}

int proto_put_welcome(struct pbuf *b, const struct proto_welcome *m)
{
	size_t at = begin(b, PROTO_MSG_WELCOME);
	bool ok = m->nchecks <= PROTO_CHECKS_MAX && m->fips <= 1 &&
		  m->verdict < __PROTO_E_MAX;
	uint32_t i;

	put_u32(b, m->uapi_version);
	put_u32(b, m->page_size);
	put_u32(b, m->fips);
	ok &= put_str(b, m->tool_version, PROTO_STR_VERSION_MAX);
	put_u64(b, m->mem_available);
	put_u64(b, m->max_domain);
	put_u32(b, m->verdict);
	put_u32(b, ok ? m->nchecks : 0);
	for (i = 0; ok && i < m->nchecks; i++) {
		ok &= m->checks[i].code < __PROTO_E_MAX;
		put_u32(b, m->checks[i].code);
		ok &= put_str(b, m->checks[i].text, PROTO_STR_TEXT_MAX);
	}
	return end(b, at, ok);
}

int proto_put_ready(struct pbuf *b, const struct proto_ready *m)
{
	size_t at = begin(b, PROTO_MSG_READY);

	put_u16(b, m->data_port);
	return end(b, at, m->data_port != 0);
}

int proto_put_empty(struct pbuf *b, uint16_t type)
{
	size_t at = begin(b, type);

	return end(b, at, type == PROTO_MSG_STREAMS_OK ||
			  type == PROTO_MSG_COMMITTED ||
			  type == PROTO_MSG_PING ||
			  type == PROTO_MSG_QEMU_READY ||
			  type == PROTO_MSG_POSTCOPY_RUNNING);
}

int proto_put_round_done(struct pbuf *b, const struct proto_round_done *m)
{
	size_t at = begin(b, PROTO_MSG_ROUND_DONE);

	put_u32(b, m->round);
	put_u32(b, m->final);
	put_u64(b, m->batches);
	put_u64(b, m->pages);
	put_u64(b, m->bytes);
	return end(b, at, m->round < PROTO_ROUNDS_MAX && m->final <= 1 &&
			  m->batches);
}

int proto_put_round_ack(struct pbuf *b, const struct proto_round_ack *m)
{
	size_t at = begin(b, PROTO_MSG_ROUND_ACK);

	put_u32(b, m->round);
	put_u64(b, m->batches);
	put_u64(b, m->pages);
	return end(b, at, m->round < PROTO_ROUNDS_MAX);
}

int proto_put_commit(struct pbuf *b, const struct proto_commit *m)
{
	size_t at = begin(b, PROTO_MSG_COMMIT);

	put_u32(b, m->rounds);
	put_u64(b, m->batches);
	put_u32(b, m->verify);
	return end(b, at, m->rounds && m->rounds <= PROTO_ROUNDS_MAX &&
			  m->verify <= 1);
}

/* SUMS and APPLIED: a run of u64 words from index @first. */
static int put_words(struct pbuf *b, uint16_t type, const struct proto_sums *m)
{
	size_t at = begin(b, type);
	/* The limits proto_get_sums() checks, page indexes included. */
	bool ok = m->count && m->count <= PROTO_SUMS_MAX &&
		  m->first <= UINT64_MAX - m->count;
	uint32_t i;

	put_u64(b, m->first);
	put_u32(b, ok ? m->count : 0);
	for (i = 0; ok && i < m->count; i++)
		put_u64(b, m->sums[i]);
	return end(b, at, ok);
}

int proto_put_sums(struct pbuf *b, const struct proto_sums *m)
{
	return put_words(b, PROTO_MSG_SUMS, m);
}

int proto_put_applied(struct pbuf *b, const struct proto_sums *m)
{
	return put_words(b, PROTO_MSG_APPLIED, m);
}

int proto_put_words(struct pbuf *b, uint16_t type, const struct proto_sums *m)
{
	if (type != PROTO_MSG_POSTCOPY && type != PROTO_MSG_PAGE_REQ)
		return -EINVAL;
	return put_words(b, type, m);
}

int proto_put_resume(struct pbuf *b, const struct proto_resume *m)
{
	size_t at = begin(b, PROTO_MSG_RESUME);

	put_u32(b, m->round);
	put(b, m->ticket, sizeof(m->ticket));
	return end(b, at, m->round < PROTO_ROUNDS_MAX);
}

int proto_put_verify(struct pbuf *b, const struct proto_verify *m)
{
	size_t at = begin(b, PROTO_MSG_VERIFY);

	put_u32(b, m->ok);
	put_u64(b, m->first_bad);
	return end(b, at, m->ok <= 1);
}

int proto_put_abort(struct pbuf *b, const struct proto_abort *m)
{
	size_t at = begin(b, PROTO_MSG_ABORT);
	bool ok = m->code && m->code < __PROTO_E_MAX;

	put_u32(b, m->code);
	ok &= put_str(b, m->reason, PROTO_STR_TEXT_MAX);
	return end(b, at, ok);
}

int proto_put_devstate(struct pbuf *b, const struct proto_devstate *m)
{
	size_t at = begin(b, PROTO_MSG_DEVSTATE);
	bool ok = m->last <= 1 && m->len <= PROTO_DEVSTATE_CHUNK &&
		  m->offset <= PROTO_DEVSTATE_MAX &&
		  m->len <= PROTO_DEVSTATE_MAX - m->offset;

	put_u64(b, m->offset);
	put_u32(b, m->last);
	put_u32(b, ok ? m->len : 0);
	if (ok && m->len)
		put(b, m->data, m->len);
	return end(b, at, ok);
}

/* ---- reading ---- */

struct reader {
	const uint8_t *p;
	size_t len, off;
	bool err;
};

static const uint8_t *take(struct reader *r, size_t n)
{
	const uint8_t *p;

	if (r->err || r->len - r->off < n) {
		r->err = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static uint16_t get_u16(struct reader *r)
{
	const uint8_t *p = take(r, 2);

	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

static uint32_t get_u32(struct reader *r)
{
	const uint8_t *p = take(r, 4);

	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		   (uint32_t)p[2] << 8 | p[3] : 0;
}

static uint64_t get_u64(struct reader *r)
{
	uint64_t hi = get_u32(r);

	return hi << 32 | get_u32(r);
}

/* A string of at most @max bytes and no NUL, into @out (max + 1). */
static void get_str(struct reader *r, char *out, size_t max)
{
	uint16_t n = get_u16(r);
	const uint8_t *p;

	out[0] = '\0';
	if (r->err)
		return;
	if (n > max) {
		r->err = true;
		return;
	}
	p = take(r, n);
	if (!p)
		return;
	if (memchr(p, '\0', n)) {
		r->err = true;
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

/* The verdict: every byte used, nothing failed. */
static int done(struct reader *r)
{
	return r->err || r->off != r->len ? -EBADMSG : 0;
}

int proto_parse_header(const uint8_t hdr[PROTO_HDR_BYTES], uint32_t *len,
		       uint16_t *type)
{
	struct reader r = { .p = hdr, .len = PROTO_HDR_BYTES };
	uint16_t version;

	*len = get_u32(&r);
	*type = get_u16(&r);
	version = get_u16(&r);
	if (version != PROTO_VERSION || !*type || *type >= __PROTO_MSG_MAX ||
	    *len > PROTO_MAX_PAYLOAD)
		return -EPROTO;
	return 0;
}

int proto_get_hello(const uint8_t *p, size_t len, struct proto_hello *m)
{
	struct reader r = { .p = p, .len = len };

	memset(m, 0, sizeof(*m));
	m->uapi_version = get_u32(&r);
	m->page_size = get_u32(&r);
	m->flags = get_u32(&r);
	get_str(&r, m->tool_version, PROTO_STR_VERSION_MAX);
	get_str(&r, m->source, PROTO_STR_NAME_MAX);
	get_str(&r, m->target, PROTO_STR_NAME_MAX);
	m->size = get_u64(&r);
	m->resident = get_u64(&r);
	m->streams = get_u32(&r);
	m->batch_bytes = get_u32(&r);
	get_str(&r, m->user, PROTO_STR_USER_MAX);
	get_str(&r, m->password, PROTO_STR_PASSWORD_MAX);
	m->epoch_shift = get_u32(&r);
	if (m->flags & ~PROTO_HELLO_F_ALL || !m->streams ||
	    m->streams > PROTO_STREAMS_MAX)
		r.err = true;
	return done(&r);
}

int proto_get_welcome(const uint8_t *p, size_t len, struct proto_welcome *m)
{
	struct reader r = { .p = p, .len = len };
	uint32_t i;

	memset(m, 0, sizeof(*m));
	m->uapi_version = get_u32(&r);
	m->page_size = get_u32(&r);
	m->fips = get_u32(&r);
	get_str(&r, m->tool_version, PROTO_STR_VERSION_MAX);
	m->mem_available = get_u64(&r);
	m->max_domain = get_u64(&r);
	m->verdict = get_u32(&r);
	m->nchecks = get_u32(&r);
	if (m->nchecks > PROTO_CHECKS_MAX || m->fips > 1 ||
	    m->verdict >= __PROTO_E_MAX)
		return -EBADMSG;
	for (i = 0; i < m->nchecks && !r.err; i++) {
		m->checks[i].code = get_u32(&r);
		if (m->checks[i].code >= __PROTO_E_MAX)
			r.err = true;
		get_str(&r, m->checks[i].text, PROTO_STR_TEXT_MAX);
	}
	return done(&r);
}

int proto_get_ready(const uint8_t *p, size_t len, struct proto_ready *m)
{
	struct reader r = { .p = p, .len = len };

	m->data_port = get_u16(&r);
	if (!m->data_port)
		r.err = true;
	return done(&r);
}

int proto_get_empty(const uint8_t *p, size_t len)
{
	(void)p;
	return len ? -EBADMSG : 0;
}

int proto_get_round_done(const uint8_t *p, size_t len,
			 struct proto_round_done *m)
{
	struct reader r = { .p = p, .len = len };

	m->round = get_u32(&r);
	m->final = get_u32(&r);
	m->batches = get_u64(&r);
	m->pages = get_u64(&r);
	m->bytes = get_u64(&r);
	if (m->round >= PROTO_ROUNDS_MAX || m->final > 1 || !m->batches)
		r.err = true;
	return done(&r);
}

int proto_get_round_ack(const uint8_t *p, size_t len,
			struct proto_round_ack *m)
{
	struct reader r = { .p = p, .len = len };

	m->round = get_u32(&r);
	m->batches = get_u64(&r);
	m->pages = get_u64(&r);
	if (m->round >= PROTO_ROUNDS_MAX)
		r.err = true;
	return done(&r);
}

int proto_get_commit(const uint8_t *p, size_t len, struct proto_commit *m)
{
	struct reader r = { .p = p, .len = len };

	m->rounds = get_u32(&r);
	m->batches = get_u64(&r);
	m->verify = get_u32(&r);
	if (!m->rounds || m->rounds > PROTO_ROUNDS_MAX || m->verify > 1)
		r.err = true;
	return done(&r);
}

int proto_get_sums(const uint8_t *p, size_t len, struct proto_sums *m)
{
	struct reader r = { .p = p, .len = len };
	uint32_t i;

	m->first = get_u64(&r);
	m->count = get_u32(&r);
	if (!m->count || m->count > PROTO_SUMS_MAX ||
	    m->first > UINT64_MAX - m->count)
		return -EBADMSG;
	for (i = 0; i < m->count && !r.err; i++)
		m->sums[i] = get_u64(&r);
	return done(&r);
}

int proto_get_applied(const uint8_t *p, size_t len, struct proto_sums *m)
{
	return proto_get_sums(p, len, m);
}

int proto_get_resume(const uint8_t *p, size_t len, struct proto_resume *m)
{
	struct reader r = { .p = p, .len = len };
	const uint8_t *t;

	m->round = get_u32(&r);
	t = take(&r, sizeof(m->ticket));
	for (size_t i = 0; t && i < sizeof(m->ticket); i++)
		m->ticket[i] = t[i];
	if (m->round >= PROTO_ROUNDS_MAX)
		r.err = true;
	return done(&r);
}

int proto_get_verify(const uint8_t *p, size_t len, struct proto_verify *m)
{
	struct reader r = { .p = p, .len = len };

	m->ok = get_u32(&r);
	m->first_bad = get_u64(&r);
	if (m->ok > 1)
		r.err = true;
	return done(&r);
}

int proto_get_abort(const uint8_t *p, size_t len, struct proto_abort *m)
{
	struct reader r = { .p = p, .len = len };

	m->code = get_u32(&r);
	get_str(&r, m->reason, PROTO_STR_TEXT_MAX);
	if (!m->code || m->code >= __PROTO_E_MAX)
		r.err = true;
	return done(&r);
}

int proto_get_devstate(const uint8_t *p, size_t len,
		       struct proto_devstate *m)
{
	struct reader r = { .p = p, .len = len };

	m->offset = get_u64(&r);
	m->last = get_u32(&r);
	m->len = get_u32(&r);
	if (m->last > 1 || m->len > PROTO_DEVSTATE_CHUNK ||
	    m->offset > PROTO_DEVSTATE_MAX ||
	    m->len > PROTO_DEVSTATE_MAX - m->offset)
		r.err = true;
	m->data = r.err ? NULL : take(&r, m->len);
	return done(&r);
}

/* ---- data streams ---- */

void proto_put_stream_hello(uint8_t out[PROTO_STREAM_HELLO_BYTES],
			    uint16_t index,
			    const uint8_t token[PROTO_TOKEN_BYTES])
{
	out[0] = (uint8_t)(PROTO_STREAM_MAGIC >> 24);
	out[1] = (uint8_t)(PROTO_STREAM_MAGIC >> 16);
	out[2] = (uint8_t)(PROTO_STREAM_MAGIC >> 8);
	out[3] = (uint8_t)PROTO_STREAM_MAGIC;
	out[4] = 0;
	out[5] = PROTO_VERSION;
	out[6] = (uint8_t)(index >> 8);
	out[7] = (uint8_t)index;
	memcpy(out + 8, token, PROTO_TOKEN_BYTES);
}

int proto_check_stream_hello(const uint8_t in[PROTO_STREAM_HELLO_BYTES],
			     const uint8_t token[PROTO_TOKEN_BYTES],
			     uint16_t nstreams, uint16_t *index)
{
	struct reader r = { .p = in, .len = PROTO_STREAM_HELLO_BYTES };
	uint32_t magic = get_u32(&r);
	uint16_t version = get_u16(&r);

	*index = get_u16(&r);
	if (magic != PROTO_STREAM_MAGIC || version != PROTO_VERSION ||
	    *index >= nstreams)
		return -EPROTO;
	/* Constant time: the token is a secret of the TLS session. */
	if (CRYPTO_memcmp(in + 8, token, PROTO_TOKEN_BYTES))
		return -EPERM;
	return 0;
}
