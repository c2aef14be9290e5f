// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the migration protocol's decoders (proto.c).
 *
 * Why: every byte of the TLS control connection and of a bulk stream's
 * greeting comes from the other host, authenticated or not yet. The
 * header parser and each proto_get_* decoder must refuse what is not
 * exactly their layout and never read past the payload they are given.
 *
 * The first byte picks the mode (enum fuzz_proto_mode in fuzz.h):
 *  - a stream of messages, header then payload, as the receive loop
 *    reads them;
 *  - one decoder (the byte is the message type) on the rest as payload;
 *  - a bulk stream greeting checked against a fixed token;
 *  - the encoders: a struct filled from the input, encoded, decoded;
 *  - proto_code_name() and proto_msg_name() on any number.
 *
 * Invariants: a payload is always a heap block of exactly its length (so
 * ASan sees a one-byte overread); decoders return 0 or -EBADMSG; what a
 * decoder accepts obeys the limits of proto.h, re-encodes with the
 * matching proto_put_* to the very same bytes (the encoding is canonical,
 * so no decoder accepted a byte beyond or short of its layout), and
 * decodes again to the same struct; whatever an encoder accepts, the
 * decoder accepts and reads back unchanged; an encoder that refuses
 * leaves nothing in the buffer.
 */
#include <errno.h>

#include "proto.h"
#include "fuzz.h"

/* The modes after the stream are the message types, then the others. */
_Static_assert(FUZZ_PROTO_STREAM_HELLO == __PROTO_MSG_MAX,
	       "renumber enum fuzz_proto_mode");

union msg {
	struct proto_hello hello;
	struct proto_welcome welcome;
	struct proto_ready ready;
	struct proto_round_done round_done;
	struct proto_round_ack round_ack;
	struct proto_commit commit;
	struct proto_sums sums;
	struct proto_verify verify;
	struct proto_abort abort;
	struct proto_devstate devstate;
	struct proto_resume resume;
};

/* Large (SUMS is 64 KiB): static, not on the stack. */
static union msg m1, m2;
static uint8_t devdata[PROTO_DEVSTATE_CHUNK];

static bool str_ok(const char *s, size_t max)
{
	return strnlen(s, max + 1) <= max;
}

/* Limits proto.h promises of a decoded message. */
static void check_limits(uint16_t type, const union msg *m, const uint8_t *p,
			 size_t len)
{
	uint32_t i;

	switch (type) {
	case PROTO_MSG_HELLO:
		FUZZ_CHECK(!(m->hello.flags & ~PROTO_HELLO_F_ALL));
		FUZZ_CHECK(m->hello.streams >= 1 &&
			   m->hello.streams <= PROTO_STREAMS_MAX);
		FUZZ_CHECK(str_ok(m->hello.tool_version, PROTO_STR_VERSION_MAX));
		FUZZ_CHECK(str_ok(m->hello.source, PROTO_STR_NAME_MAX));
		FUZZ_CHECK(str_ok(m->hello.target, PROTO_STR_NAME_MAX));
		FUZZ_CHECK(str_ok(m->hello.user, PROTO_STR_USER_MAX));
		FUZZ_CHECK(str_ok(m->hello.password, PROTO_STR_PASSWORD_MAX));
		break;
	case PROTO_MSG_WELCOME:
		FUZZ_CHECK(m->welcome.nchecks <= PROTO_CHECKS_MAX);
		FUZZ_CHECK(m->welcome.fips <= 1);
		FUZZ_CHECK(m->welcome.verdict < __PROTO_E_MAX);
		FUZZ_CHECK(str_ok(m->welcome.tool_version, PROTO_STR_VERSION_MAX));
		for (i = 0; i < m->welcome.nchecks; i++) {
			FUZZ_CHECK(m->welcome.checks[i].code < __PROTO_E_MAX);
			FUZZ_CHECK(str_ok(m->welcome.checks[i].text,
					  PROTO_STR_TEXT_MAX));
		}
		break;
	case PROTO_MSG_READY:
		FUZZ_CHECK(m->ready.data_port != 0);
		break;
	case PROTO_MSG_ROUND_DONE:
		FUZZ_CHECK(m->round_done.round < PROTO_ROUNDS_MAX);
		FUZZ_CHECK(m->round_done.final <= 1 && m->round_done.batches);
		break;
	case PROTO_MSG_ROUND_ACK:
		FUZZ_CHECK(m->round_ack.round < PROTO_ROUNDS_MAX);
		break;
	case PROTO_MSG_COMMIT:
		FUZZ_CHECK(m->commit.rounds >= 1 &&
			   m->commit.rounds <= PROTO_ROUNDS_MAX);
		FUZZ_CHECK(m->commit.verify <= 1);
		break;
	case PROTO_MSG_SUMS:
	case PROTO_MSG_APPLIED:
	case PROTO_MSG_POSTCOPY:
	case PROTO_MSG_PAGE_REQ:
		FUZZ_CHECK(m->sums.count >= 1 && m->sums.count <= PROTO_SUMS_MAX);
		FUZZ_CHECK(m->sums.first <= UINT64_MAX - m->sums.count);
		break;
	case PROTO_MSG_VERIFY:
		FUZZ_CHECK(m->verify.ok <= 1);
		break;
	case PROTO_MSG_ABORT:
		FUZZ_CHECK(m->abort.code >= 1 && m->abort.code < __PROTO_E_MAX);
		FUZZ_CHECK(str_ok(m->abort.reason, PROTO_STR_TEXT_MAX));
		break;
	case PROTO_MSG_DEVSTATE:
		FUZZ_CHECK(m->devstate.last <= 1);
		FUZZ_CHECK(m->devstate.len <= PROTO_DEVSTATE_CHUNK);
		FUZZ_CHECK(m->devstate.offset <= PROTO_DEVSTATE_MAX);
		FUZZ_CHECK(m->devstate.len <=
			   PROTO_DEVSTATE_MAX - m->devstate.offset);
		/* The data is the payload's tail, all of it, inside it. */
		if (p) {
			FUZZ_CHECK(m->devstate.data == p + len - m->devstate.len);
			FUZZ_CHECK(m->devstate.data >= p);
		}
		break;
	}
}

/* Decode @len bytes at @p as @type into @m (zeroed first). */
static int decode(uint16_t type, const uint8_t *p, size_t len, union msg *m)
{
	memset(m, 0, sizeof(*m));
	switch (type) {
	case PROTO_MSG_HELLO:
		return proto_get_hello(p, len, &m->hello);
	case PROTO_MSG_WELCOME:
		return proto_get_welcome(p, len, &m->welcome);
	case PROTO_MSG_READY:
		return proto_get_ready(p, len, &m->ready);
	case PROTO_MSG_STREAMS_OK:
	case PROTO_MSG_COMMITTED:
	case PROTO_MSG_PING:
	case PROTO_MSG_QEMU_READY:
	case PROTO_MSG_POSTCOPY_RUNNING:
		return proto_get_empty(p, len);
	case PROTO_MSG_ROUND_DONE:
		return proto_get_round_done(p, len, &m->round_done);
	case PROTO_MSG_ROUND_ACK:
		return proto_get_round_ack(p, len, &m->round_ack);
	case PROTO_MSG_COMMIT:
		return proto_get_commit(p, len, &m->commit);
	case PROTO_MSG_SUMS:
		return proto_get_sums(p, len, &m->sums);
	case PROTO_MSG_VERIFY:
		return proto_get_verify(p, len, &m->verify);
	case PROTO_MSG_ABORT:
		return proto_get_abort(p, len, &m->abort);
	case PROTO_MSG_DEVSTATE:
		return proto_get_devstate(p, len, &m->devstate);
	case PROTO_MSG_RESUME:
		return proto_get_resume(p, len, &m->resume);
	case PROTO_MSG_APPLIED:
		return proto_get_applied(p, len, &m->sums);
	case PROTO_MSG_POSTCOPY:
	case PROTO_MSG_PAGE_REQ:
		return proto_get_words(p, len, &m->sums);
	}
	abort();
}

/* Encode @m as @type into @b. */
static int encode(struct pbuf *b, uint16_t type, const union msg *m)
{
	switch (type) {
	case PROTO_MSG_HELLO:
		return proto_put_hello(b, &m->hello);
	case PROTO_MSG_WELCOME:
		return proto_put_welcome(b, &m->welcome);
	case PROTO_MSG_READY:
		return proto_put_ready(b, &m->ready);
	case PROTO_MSG_STREAMS_OK:
	case PROTO_MSG_COMMITTED:
	case PROTO_MSG_PING:
	case PROTO_MSG_QEMU_READY:
	case PROTO_MSG_POSTCOPY_RUNNING:
		return proto_put_empty(b, type);
	case PROTO_MSG_ROUND_DONE:
		return proto_put_round_done(b, &m->round_done);
	case PROTO_MSG_ROUND_ACK:
		return proto_put_round_ack(b, &m->round_ack);
	case PROTO_MSG_COMMIT:
		return proto_put_commit(b, &m->commit);
	case PROTO_MSG_SUMS:
		return proto_put_sums(b, &m->sums);
	case PROTO_MSG_VERIFY:
		return proto_put_verify(b, &m->verify);
	case PROTO_MSG_ABORT:
		return proto_put_abort(b, &m->abort);
	case PROTO_MSG_DEVSTATE:
		return proto_put_devstate(b, &m->devstate);
	case PROTO_MSG_RESUME:
		return proto_put_resume(b, &m->resume);
	case PROTO_MSG_APPLIED:
		return proto_put_applied(b, &m->sums);
	case PROTO_MSG_POSTCOPY:
	case PROTO_MSG_PAGE_REQ:
		return proto_put_words(b, type, &m->sums);
	}
	abort();
}

/* Two decodings of one message are the same message. */
static void check_same(uint16_t type, const union msg *a, const union msg *b)
{
	if (type == PROTO_MSG_DEVSTATE) {
		FUZZ_CHECK(a->devstate.offset == b->devstate.offset &&
			   a->devstate.last == b->devstate.last &&
			   a->devstate.len == b->devstate.len);
		FUZZ_CHECK(!a->devstate.len ||
			   !memcmp(a->devstate.data, b->devstate.data,
				   a->devstate.len));
		return;
	}
	FUZZ_CHECK(!memcmp(a, b, sizeof(*a)));
}

/* An encoded message in @b: its header, and a copy of its payload. */
static uint8_t *encoded_payload(const struct pbuf *b, uint16_t type,
				size_t *len)
{
	uint32_t l;
	uint16_t t;

	FUZZ_CHECK(!b->err && b->len >= PROTO_HDR_BYTES);
	FUZZ_CHECK(proto_parse_header(b->data, &l, &t) == 0);
	FUZZ_CHECK(t == type && (size_t)l == b->len - PROTO_HDR_BYTES);
	*len = l;
	return fuzz_dup(b->data + PROTO_HDR_BYTES, l);
}

/* One payload from the wire, as a block of exactly @len bytes. */
static void fuzz_decoder(uint16_t type, const uint8_t *data, size_t len)
{
	uint8_t *p = fuzz_dup(data, len), *q;
	struct pbuf b;
	size_t qlen;
	int r;

	r = decode(type, p, len, &m1);
	FUZZ_CHECK(r == 0 || r == -EBADMSG);
	if (r) {
		free(p);
		return;
	}
	check_limits(type, &m1, p, len);
	pbuf_init(&b);
	FUZZ_CHECK(encode(&b, type, &m1) == 0);
	q = encoded_payload(&b, type, &qlen);
	FUZZ_CHECK(qlen == len && !memcmp(q, p, len));
	FUZZ_CHECK(decode(type, q, qlen, &m2) == 0);
	check_same(type, &m1, &m2);
	free(q);
	pbuf_free(&b);
	free(p);
}

static void fuzz_stream(const uint8_t *data, size_t size)
{
	while (size >= PROTO_HDR_BYTES) {
		uint8_t *hdr = fuzz_dup(data, PROTO_HDR_BYTES);
		uint32_t len;
		uint16_t type;
		int r = proto_parse_header(hdr, &len, &type);

		free(hdr);
		FUZZ_CHECK(r == 0 || r == -EPROTO);
		if (r)
			return;
		FUZZ_CHECK(len <= PROTO_MAX_PAYLOAD);
		FUZZ_CHECK(type >= 1 && type < __PROTO_MSG_MAX);
		FUZZ_CHECK(data[6] == 0 && data[7] == PROTO_VERSION);
		data += PROTO_HDR_BYTES;
		size -= PROTO_HDR_BYTES;
		if (len > size)
			return;		/* the receiver would wait for more */
		fuzz_decoder(type, data, len);
		data += len;
		size -= len;
	}
}

static void fuzz_stream_hello(const uint8_t *data, size_t size)
{
	uint8_t token[PROTO_TOKEN_BYTES], again[PROTO_STREAM_HELLO_BYTES];
	uint16_t nstreams, index = 0xffff, at;
	uint8_t *in;
	int r;

	if (size < 2 + PROTO_STREAM_HELLO_BYTES)
		return;
	fuzz_token(token);
	nstreams = (uint16_t)(data[0] | data[1] << 8);
	in = fuzz_dup(data + 2, PROTO_STREAM_HELLO_BYTES);
	r = proto_check_stream_hello(in, token, nstreams, &index);
	FUZZ_CHECK(r == 0 || r == -EPERM || r == -EPROTO);
	at = (uint16_t)(in[6] << 8 | in[7]);
	proto_put_stream_hello(again, at, token);
	if (!r) {
		/* Accepted: it is exactly the greeting of stream @index. */
		FUZZ_CHECK(index < nstreams && index == at);
		FUZZ_CHECK(!memcmp(in, again, sizeof(again)));
	} else if (r == -EPERM) {
		/* A bad token, and only the token. */
		FUZZ_CHECK(at < nstreams && !memcmp(in, again, 8));
		FUZZ_CHECK(memcmp(in + 8, token, PROTO_TOKEN_BYTES));
	} else {
		FUZZ_CHECK(memcmp(in, again, 8) || at >= nstreams);
	}
	/* The right greeting of that index passes iff the index is valid. */
	r = proto_check_stream_hello(again, token, nstreams, &index);
	FUZZ_CHECK(at < nstreams ? r == 0 && index == at : r == -EPROTO);
	free(in);
}

/* Fill @n bytes of @dst from the input, zeros once it runs out. */
static void fill(void *dst, size_t n, const uint8_t **data, size_t *size)
{
	size_t k = n < *size ? n : *size;

	memset(dst, 0, n);
	memcpy(dst, *data, k);
	*data += k;
	*size -= k;
}

#define FILL(field) fill(&(field), sizeof(field), &data, &size)

static void fuzz_encode(const uint8_t *data, size_t size)
{
	uint16_t type;
	struct pbuf b;
	uint8_t *q;
	size_t qlen;
	uint32_t i;
	int r;

	if (!size)
		return;
	type = (uint16_t)(data[0] % (__PROTO_MSG_MAX - 1) + 1);
	data++;
	size--;
	memset(&m1, 0, sizeof(m1));
	switch (type) {
	case PROTO_MSG_HELLO:
		/* Strings may fill their arrays without a NUL: refused. */
		FILL(m1.hello.uapi_version);
		FILL(m1.hello.page_size);
		FILL(m1.hello.flags);
		FILL(m1.hello.streams);
		FILL(m1.hello.size);
		FILL(m1.hello.resident);
		FILL(m1.hello.batch_bytes);
		FILL(m1.hello.tool_version);
		FILL(m1.hello.source);
		FILL(m1.hello.target);
		FILL(m1.hello.user);
		FILL(m1.hello.password);
		break;
	case PROTO_MSG_WELCOME:
		FILL(m1.welcome.uapi_version);
		FILL(m1.welcome.page_size);
		FILL(m1.welcome.fips);
		FILL(m1.welcome.mem_available);
		FILL(m1.welcome.max_domain);
		FILL(m1.welcome.verdict);
		FILL(m1.welcome.nchecks);
		FILL(m1.welcome.tool_version);
		for (i = 0; i < PROTO_CHECKS_MAX && size; i++) {
			FILL(m1.welcome.checks[i].code);
			/* Short texts, so that several checks get bytes. */
			fill(m1.welcome.checks[i].text,
			     size > 1 ? data[0] % 48 : 0, &data, &size);
		}
		break;
	case PROTO_MSG_READY:
		FILL(m1.ready.data_port);
		break;
	case PROTO_MSG_ROUND_DONE:
		FILL(m1.round_done);
		break;
	case PROTO_MSG_ROUND_ACK:
		FILL(m1.round_ack.round);
		FILL(m1.round_ack.batches);
		FILL(m1.round_ack.pages);
		break;
	case PROTO_MSG_COMMIT:
		FILL(m1.commit.rounds);
		FILL(m1.commit.batches);
		FILL(m1.commit.verify);
		break;
	case PROTO_MSG_RESUME:
		FILL(m1.resume.round);
		FILL(m1.resume.ticket);
		break;
	case PROTO_MSG_SUMS:
	case PROTO_MSG_APPLIED:
	case PROTO_MSG_POSTCOPY:
	case PROTO_MSG_PAGE_REQ:
		FILL(m1.sums.first);
		FILL(m1.sums.count);
		fill(m1.sums.sums, sizeof(m1.sums.sums), &data, &size);
		break;
	case PROTO_MSG_VERIFY:
		FILL(m1.verify.ok);
		FILL(m1.verify.first_bad);
		break;
	case PROTO_MSG_ABORT:
		FILL(m1.abort.code);
		FILL(m1.abort.reason);
		break;
	case PROTO_MSG_DEVSTATE:
		FILL(m1.devstate.offset);
		FILL(m1.devstate.last);
		FILL(m1.devstate.len);
		/* Exactly a chunk: ASan catches an encoder reading more. */
		fill(devdata, sizeof(devdata), &data, &size);
		m1.devstate.data = devdata;
		break;
	}
	pbuf_init(&b);
	r = encode(&b, type, &m1);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r) {
		FUZZ_CHECK(b.len == 0);
		pbuf_free(&b);
		return;
	}
	q = encoded_payload(&b, type, &qlen);
	FUZZ_CHECK(qlen <= PROTO_MAX_PAYLOAD);
	r = decode(type, q, qlen, &m2);
	FUZZ_CHECK(r == 0);
	check_limits(type, &m2, q, qlen);
	switch (type) {
	case PROTO_MSG_HELLO:
		FUZZ_CHECK(m1.hello.uapi_version == m2.hello.uapi_version &&
			   m1.hello.page_size == m2.hello.page_size &&
			   m1.hello.flags == m2.hello.flags &&
			   m1.hello.streams == m2.hello.streams &&
			   m1.hello.size == m2.hello.size &&
			   m1.hello.resident == m2.hello.resident &&
			   m1.hello.batch_bytes == m2.hello.batch_bytes);
		FUZZ_CHECK(!strcmp(m1.hello.tool_version, m2.hello.tool_version) &&
			   !strcmp(m1.hello.source, m2.hello.source) &&
			   !strcmp(m1.hello.target, m2.hello.target) &&
			   !strcmp(m1.hello.user, m2.hello.user) &&
			   !strcmp(m1.hello.password, m2.hello.password));
		break;
	case PROTO_MSG_WELCOME:
		FUZZ_CHECK(m1.welcome.uapi_version == m2.welcome.uapi_version &&
			   m1.welcome.page_size == m2.welcome.page_size &&
			   m1.welcome.fips == m2.welcome.fips &&
			   m1.welcome.mem_available == m2.welcome.mem_available &&
			   m1.welcome.max_domain == m2.welcome.max_domain &&
			   m1.welcome.verdict == m2.welcome.verdict &&
			   m1.welcome.nchecks == m2.welcome.nchecks);
		FUZZ_CHECK(!strcmp(m1.welcome.tool_version,
				   m2.welcome.tool_version));
		for (i = 0; i < m1.welcome.nchecks; i++) {
			FUZZ_CHECK(m1.welcome.checks[i].code ==
				   m2.welcome.checks[i].code);
			FUZZ_CHECK(!strcmp(m1.welcome.checks[i].text,
					   m2.welcome.checks[i].text));
		}
		break;
	case PROTO_MSG_ABORT:
		FUZZ_CHECK(m1.abort.code == m2.abort.code &&
			   !strcmp(m1.abort.reason, m2.abort.reason));
		break;
	case PROTO_MSG_SUMS:
	case PROTO_MSG_APPLIED:
	case PROTO_MSG_POSTCOPY:
	case PROTO_MSG_PAGE_REQ:
		FUZZ_CHECK(m1.sums.first == m2.sums.first &&
			   m1.sums.count == m2.sums.count &&
			   !memcmp(m1.sums.sums, m2.sums.sums,
				   m1.sums.count * sizeof(m1.sums.sums[0])));
		break;
	case PROTO_MSG_STREAMS_OK:
	case PROTO_MSG_COMMITTED:
	case PROTO_MSG_PING:
	case PROTO_MSG_QEMU_READY:
	case PROTO_MSG_POSTCOPY_RUNNING:
		FUZZ_CHECK(qlen == 0);
		break;
	default:
		/* Fixed layouts without strings: the whole struct. */
		check_same(type, &m1, &m2);
	}
	free(q);
	pbuf_free(&b);
}

static void fuzz_names(const uint8_t *data, size_t size)
{
	uint32_t v = 0;

	memcpy(&v, data, size < sizeof(v) ? size : sizeof(v));
	FUZZ_CHECK(proto_code_name(v) && proto_msg_name(v));
	FUZZ_CHECK(strlen(proto_code_name(v)) && strlen(proto_msg_name(v)));
	FUZZ_CHECK(!strcmp(proto_code_name(v), "unknown error") ==
		   (v >= __PROTO_E_MAX));
	FUZZ_CHECK(!strcmp(proto_msg_name(v), "unknown") ==
		   (!v || v >= __PROTO_MSG_MAX));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int mode;

	if (!size)
		return 0;
	mode = data[0] % FUZZ_PROTO_MODES;
	data++;
	size--;
	switch (mode) {
	case FUZZ_PROTO_STREAM:
		fuzz_stream(data, size);
		break;
	case FUZZ_PROTO_STREAM_HELLO:
		fuzz_stream_hello(data, size);
		break;
	case FUZZ_PROTO_ENCODE:
		fuzz_encode(data, size);
		break;
	case FUZZ_PROTO_NAMES:
		fuzz_names(data, size);
		break;
	default:
		fuzz_decoder((uint16_t)mode, data, size);
	}
	return 0;
}
