// SPDX-License-Identifier: GPL-2.0
/*
 * Native unit tests of the migration commands' pure logic: the protocol
 * codec (every message round-trips; every truncation, extension and bad
 * field of untrusted input is refused), the stream greeting, the rate and
 * convergence arithmetic, the trust directory's names and its add / list /
 * remove with renumbering, destinations and listen addresses, password
 * files, page checksums, and serve's admission of connections (budgets,
 * fair eviction, deadlines, on made-up clocks and addresses). No network,
 * no module.
 *
 * Output is TAP, like tests/unit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/ldm.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "addr.h"
#include "adapt.h"
#include "admit.h"
#include "converge.h"
#include "pagesum.h"
#include "proto.h"
#include "pwfile.h"
#include "rekey.h"
#include "trustdir.h"

#include "check.h"

/* ---- proto.c ---- */

static struct proto_hello sample_hello(void)
{
	struct proto_hello h = {
		.uapi_version = 1, .page_size = 4096,
		.flags = PROTO_HELLO_F_VERIFY, .size = 64 << 20,
		.resident = 1234, .streams = 4, .batch_bytes = 65536,
		.epoch_shift = 19,
	};

	strcpy(h.tool_version, "0.1.0");
	strcpy(h.source, "src");
	strcpy(h.target, "dst");
	strcpy(h.user, "migrator");
	strcpy(h.password, "pw");
	return h;
}

/* Encode, check the header, hand back the payload. */
static const uint8_t *encoded(struct pbuf *b, uint16_t want_type, size_t *len)
{
	uint32_t plen;
	uint16_t type;

	CHECK(b->len >= PROTO_HDR_BYTES);
	CHECK_INT(proto_parse_header(b->data, &plen, &type), 0);
	CHECK_INT(type, want_type);
	CHECK_INT(plen, b->len - PROTO_HDR_BYTES);
	*len = plen;
	return b->data + PROTO_HDR_BYTES;
}

static void test_proto_hello_round_trip(void)
{
	struct proto_hello h = sample_hello(), g;
	const uint8_t *p;
	struct pbuf b;
	size_t len;

	pbuf_init(&b);
	CHECK_INT(proto_put_hello(&b, &h), 0);
	p = encoded(&b, PROTO_MSG_HELLO, &len);
	CHECK_INT(proto_get_hello(p, len, &g), 0);
	CHECK(!memcmp(&h, &g, sizeof(h)));
	pbuf_free(&b);
}

/* Every prefix of a valid payload, and one byte more, is refused. */
static void test_proto_truncation_and_trailing(void)
{
	struct proto_hello h = sample_hello(), g;
	struct proto_round_done rd = { 3, 1, 10, 20, 30 }, rg;
	uint8_t *copy;
	const uint8_t *p;
	struct pbuf b;
	size_t len, i;

	pbuf_init(&b);
	CHECK_INT(proto_put_hello(&b, &h), 0);
	p = encoded(&b, PROTO_MSG_HELLO, &len);
	for (i = 0; i < len; i++)
		CHECK_INT(proto_get_hello(p, i, &g), -EBADMSG);
	copy = malloc(len + 1);
	memcpy(copy, p, len);
	copy[len] = 0;
	CHECK_INT(proto_get_hello(copy, len + 1, &g), -EBADMSG);
	free(copy);
	pbuf_reset(&b);
	CHECK_INT(proto_put_round_done(&b, &rd), 0);
	p = encoded(&b, PROTO_MSG_ROUND_DONE, &len);
	CHECK_INT(proto_get_round_done(p, len, &rg), 0);
	CHECK_INT(rg.round, 3);
	CHECK_INT(rg.bytes, 30);
	for (i = 0; i < len; i++)
		CHECK_INT(proto_get_round_done(p, i, &rg), -EBADMSG);
	pbuf_free(&b);
}

static void test_proto_bad_fields(void)
{
	struct proto_hello h = sample_hello(), g;
	struct proto_welcome w = { .nchecks = 1 }, wg;
	struct proto_abort ab = { .code = PROTO_E_AUTH }, abg;
	uint8_t *p;
	struct pbuf b;
	size_t len, off;

	pbuf_init(&b);
	/* The encoder refuses what the decoder would. */
	h.streams = 0;
	CHECK_INT(proto_put_hello(&b, &h), -EINVAL);
	h.streams = PROTO_STREAMS_MAX + 1;
	CHECK_INT(proto_put_hello(&b, &h), -EINVAL);
	h = sample_hello();
	memset(h.password, 'x', PROTO_STR_PASSWORD_MAX);
	h.password[PROTO_STR_PASSWORD_MAX] = '\0';
	CHECK_INT(proto_put_hello(&b, &h), 0);
	CHECK_INT(b.len, 0 + b.len);	/* a 256-byte password fits */
	pbuf_reset(&b);
	CHECK_INT(proto_put_abort(&b, &ab), 0);
	p = b.data + PROTO_HDR_BYTES;
	len = b.len - PROTO_HDR_BYTES;
	CHECK_INT(proto_get_abort(p, len, &abg), 0);
	CHECK_INT(abg.code, PROTO_E_AUTH);
	/* The newest code is known to both ends. */
	p[3] = PROTO_E_BUSY;
	CHECK_INT(proto_get_abort(p, len, &abg), 0);
	CHECK_STR(proto_code_name(abg.code), "target busy");
	/* An unknown code, a NUL inside a string: refused. */
	p[3] = 99;
	CHECK_INT(proto_get_abort(p, len, &abg), -EBADMSG);
	p[3] = PROTO_E_AUTH;
	pbuf_reset(&b);
	strcpy(ab.reason, "ab");
	CHECK_INT(proto_put_abort(&b, &ab), 0);
	p = b.data + PROTO_HDR_BYTES;
	len = b.len - PROTO_HDR_BYTES;
	p[len - 1] = '\0';
	CHECK_INT(proto_get_abort(p, len, &abg), -EBADMSG);
	/* A string length past the payload. */
	p[len - 1] = 'b';
	p[5] = 200;
	CHECK_INT(proto_get_abort(p, len, &abg), -EBADMSG);
	/* Welcome: too many checks claimed. */
	pbuf_reset(&b);
	strcpy(w.checks[0].text, "ok");
	CHECK_INT(proto_put_welcome(&b, &w), 0);
	p = b.data + PROTO_HDR_BYTES;
	len = b.len - PROTO_HDR_BYTES;
	CHECK_INT(proto_get_welcome(p, len, &wg), 0);
	off = 4 + 4 + 4 + 2 + strlen(w.tool_version) + 8 + 8 + 4;
	p[off + 3] = PROTO_CHECKS_MAX + 1;
	CHECK_INT(proto_get_welcome(p, len, &wg), -EBADMSG);
	/* A hello with unknown flags. */
	pbuf_reset(&b);
	h = sample_hello();
	CHECK_INT(proto_put_hello(&b, &h), 0);
	p = b.data + PROTO_HDR_BYTES;
	len = b.len - PROTO_HDR_BYTES;
	p[11] |= 0x80;
	CHECK_INT(proto_get_hello(p, len, &g), -EBADMSG);
	pbuf_free(&b);
}

static void test_proto_header(void)
{
	uint8_t h[PROTO_HDR_BYTES] = { 0, 0, 0, 4, 0, PROTO_MSG_PING, 0,
				       PROTO_VERSION };
	uint32_t len;
	uint16_t type;

	CHECK_INT(proto_parse_header(h, &len, &type), 0);
	h[7] = PROTO_VERSION + 1;
	CHECK_INT(proto_parse_header(h, &len, &type), -EPROTO);
	h[7] = PROTO_VERSION;
	h[5] = 0;
	CHECK_INT(proto_parse_header(h, &len, &type), -EPROTO);
	h[5] = __PROTO_MSG_MAX;
	CHECK_INT(proto_parse_header(h, &len, &type), -EPROTO);
	h[5] = PROTO_MSG_PING;
	h[1] = 0x10;	/* 1 MiB: over the limit */
	CHECK_INT(proto_parse_header(h, &len, &type), -EPROTO);
}

static void test_proto_small_messages(void)
{
	struct proto_sums *s = calloc(1, sizeof(*s)), *sg = calloc(1, sizeof(*sg));
	struct proto_commit c = { 3, 99, 1 }, cg;
	struct proto_verify v = { 0, 42 }, vg;
	struct proto_ready r = { 4242 }, rg;
	const uint8_t *p;
	struct pbuf b;
	size_t len;
	uint32_t i;

	pbuf_init(&b);
	CHECK_INT(proto_put_ready(&b, &r), 0);
	p = encoded(&b, PROTO_MSG_READY, &len);
	CHECK_INT(proto_get_ready(p, len, &rg), 0);
	CHECK_INT(rg.data_port, 4242);
	pbuf_reset(&b);
	CHECK_INT(proto_put_commit(&b, &c), 0);
	p = encoded(&b, PROTO_MSG_COMMIT, &len);
	CHECK_INT(proto_get_commit(p, len, &cg), 0);
	CHECK_INT(cg.batches, 99);
	pbuf_reset(&b);
	CHECK_INT(proto_put_verify(&b, &v), 0);
	p = encoded(&b, PROTO_MSG_VERIFY, &len);
	CHECK_INT(proto_get_verify(p, len, &vg), 0);
	CHECK_INT(vg.first_bad, 42);
	pbuf_reset(&b);
	s->first = 100;
	s->count = PROTO_SUMS_MAX;
	for (i = 0; i < s->count; i++)
		s->sums[i] = i * 0x0101010101010101ULL;
	CHECK_INT(proto_put_sums(&b, s), 0);
	p = encoded(&b, PROTO_MSG_SUMS, &len);
	CHECK_INT(proto_get_sums(p, len, sg), 0);
	CHECK(!memcmp(s, sg, sizeof(*s)));
	CHECK_INT(proto_get_sums(p, len - 8, sg), -EBADMSG);
	pbuf_reset(&b);
	s->count = 0;
	CHECK_INT(proto_put_sums(&b, s), -EINVAL);
	/* A range past 2^64 (found by fuzz_proto): the decoder refuses it, so
	 * the encoder must too. */
	s->first = UINT64_MAX - 100;
	s->count = 345;
	CHECK_INT(proto_put_sums(&b, s), -EINVAL);
	s->count = 100;
	CHECK_INT(proto_put_sums(&b, s), 0);
	pbuf_reset(&b);
	CHECK_INT(proto_put_empty(&b, PROTO_MSG_COMMITTED), 0);
	p = encoded(&b, PROTO_MSG_COMMITTED, &len);
	CHECK_INT(proto_get_empty(p, len), 0);
	CHECK_INT(proto_get_empty(p, 1), -EBADMSG);
	CHECK_INT(proto_put_empty(&b, PROTO_MSG_HELLO), -EINVAL);
	pbuf_free(&b);
	free(s);
	free(sg);
}

static void test_stream_hello(void)
{
	uint8_t tok[PROTO_TOKEN_BYTES], buf[PROTO_STREAM_HELLO_BYTES];
	uint16_t idx;

	memset(tok, 0xa5, sizeof(tok));
	proto_put_stream_hello(buf, 3, tok);
	CHECK_INT(proto_check_stream_hello(buf, tok, 4, &idx), 0);
	CHECK_INT(idx, 3);
	CHECK_INT(proto_check_stream_hello(buf, tok, 3, &idx), -EPROTO);
	buf[20] ^= 1;
	CHECK_INT(proto_check_stream_hello(buf, tok, 4, &idx), -EPERM);
	buf[20] ^= 1;
	buf[0] = 'X';
	CHECK_INT(proto_check_stream_hello(buf, tok, 4, &idx), -EPROTO);
}

/* ---- converge.c ---- */

static void test_converge(void)
{
	struct conv_params p = { .downtime_ms = 300, .max_rounds = 5 };
	struct conv_round r = { .round = 0, .pages = 10000,
				.ns = 1000000000ULL, .dirty = 2000 };
	char buf[16];

	CHECK(conv_rate(10000, 1000000000ULL) == 10000.0);
	CHECK_INT(conv_rate(0, 5), 0);
	CHECK_INT(conv_final_ms(3000, 10000.0), 300);
	CHECK_INT(conv_final_ms(3001, 10000.0), 301);
	CHECK_INT(conv_final_ms(0, 0), 0);
	CHECK(conv_final_ms(1, 0) == UINT64_MAX);
	/* 2000 pages at 10000/s: 200 ms fits 300 ms. */
	CHECK_INT(conv_decide(&p, &r), CONV_FITS);
	r.dirty = 5000;
	CHECK_INT(conv_decide(&p, &r), CONV_CONTINUE);
	/* Round 0 is never judged by its dirty rate. */
	r.dirty = 20000;
	CHECK_INT(conv_decide(&p, &r), CONV_CONTINUE);
	r.round = 1;
	CHECK_INT(conv_decide(&p, &r), CONV_DIRTY_WINS);
	r.dirty = 5000;
	r.round = 4;
	CHECK_INT(conv_decide(&p, &r), CONV_MAX_ROUNDS);
	/* Nothing dirty always fits, even at an unknown rate. */
	r.pages = 0;
	r.dirty = 0;
	CHECK_INT(conv_decide(&p, &r), CONV_FITS);
	CHECK_INT(conv_percent(0, 0), 100);
	CHECK_INT(conv_percent(25, 75), 25);
	CHECK_INT(conv_percent(99, 1), 99);
	CHECK_STR(conv_format_eta(0, buf, sizeof(buf)), "0:00");
	CHECK_STR(conv_format_eta(65000, buf, sizeof(buf)), "1:05");
	CHECK_STR(conv_format_eta(1, buf, sizeof(buf)), "0:01");
	CHECK_STR(conv_format_eta(3600000 + 61000, buf, sizeof(buf)), "1:01:01");
	CHECK_STR(conv_format_eta(UINT64_MAX, buf, sizeof(buf)), "--:--");
}

static void test_forecast(void)
{
	struct conv_params p = { .downtime_ms = 300, .max_rounds = 10 };
	/* 10000 pages/s sent, 2500 pages/s dirtied: each round a quarter. */
	struct conv_round r = { .round = 0, .pages = 40000,
				.ns = 4000000000ULL, .dirty = 10000 };
	struct conv_forecast f;

	/* 10000 -> 2500 (250 ms <= 300 ms): rounds 0, 1, then final. */
	conv_forecast(&p, &r, &f);
	CHECK_INT(f.rounds, 3);
	CHECK_INT(f.downtime_ms, 250);
	CHECK_INT(f.why, CONV_FITS);
	CHECK(f.fits);
	/* What conv_decide() says of the real round 1, the forecast said. */
	r = (struct conv_round){ .round = 1, .pages = 10000,
				 .ns = 1000000000ULL, .dirty = 2500 };
	CHECK_INT(conv_decide(&p, &r), CONV_FITS);
	/* Already fits: the next round is the final one. */
	conv_forecast(&p, &r, &f);
	CHECK_INT(f.rounds, 3);
	CHECK(f.fits);
	/* Dirtied as fast as sent: never shrinks, the final round is long. */
	r = (struct conv_round){ .round = 0, .pages = 40000,
				 .ns = 4000000000ULL, .dirty = 40000 };
	conv_forecast(&p, &r, &f);
	CHECK_INT(f.why, CONV_DIRTY_WINS);
	CHECK_INT(f.rounds, 3);
	CHECK_INT(f.downtime_ms, 4000);
	CHECK(!f.fits);
	/* Shrinking too slowly for the rounds allowed. */
	p.max_rounds = 3;
	r = (struct conv_round){ .round = 0, .pages = 100000,
				 .ns = 10000000000ULL, .dirty = 80000 };
	conv_forecast(&p, &r, &f);
	CHECK_INT(f.why, CONV_MAX_ROUNDS);
	CHECK_INT(f.rounds, 4);
	CHECK(!f.fits);
	CHECK(f.downtime_ms > 300);
	/* Nothing sent and nothing dirty: fits at once. */
	r = (struct conv_round){ 0 };
	conv_forecast(&p, &r, &f);
	CHECK_INT(f.rounds, 2);
	CHECK_INT(f.downtime_ms, 0);
}

/* ---- adapt.c ---- */

#define MS 1000000ULL

/*
 * Drive the chooser with a made-up pipeline: rate[c] guest bytes/s with
 * codec c, ticks every 100 ms. Return: the codec in use at the end.
 */
static uint32_t adapt_run(struct adapt *a, const double rate[4],
			  uint64_t *now, uint64_t *bytes, unsigned int ticks)
{
	/* Compression ratios, and a ring that never fills: CPU-bound. */
	static const double ratio[4] = { 0, 0.4, 0.5, 1 };
	uint64_t out = *bytes;

	while (ticks--) {
		uint32_t c;

		*now += 100 * MS;
		*bytes += (uint64_t)(rate[a->current] / 10);
		out += (uint64_t)(rate[a->current] * ratio[a->current] / 10);
		c = adapt_tick(a, *now, *bytes, out, 0.3, true);
		if (c)
			CHECK_INT(c, a->current);
	}
	return a->current;
}

static void test_adapt(void)
{
	/* Indexed by codec: -, LZJB, LZ4, NONE. */
	const double slow_link[4] = { 0, 30e6, 25e6, 10e6 };
	const double fast_link[4] = { 0, 40e6, 90e6, 400e6 };
	uint64_t now = 1000 * MS, bytes = 0, out;
	struct adapt a;
	unsigned int i;
	uint32_t c;

	CHECK(!adapt_parse("auto", &c) && c == 0);
	CHECK(!adapt_parse("lz4", &c) && c == LDM_CODEC_LZ4);
	CHECK(!adapt_parse("none", &c) && c == LDM_CODEC_NONE);
	CHECK(!adapt_parse("lzjb", &c) && c == LDM_CODEC_LZJB);
	CHECK(adapt_parse("zstd", &c) == -EINVAL);
	CHECK(adapt_parse("", &c) == -EINVAL);

	/* Forced: never moves. */
	adapt_init(&a, LDM_CODEC_NONE);
	CHECK_INT(adapt_run(&a, slow_link, &now, &bytes, 50), LDM_CODEC_NONE);
	CHECK_INT(adapt_round_codec(&a), LDM_CODEC_NONE);
	CHECK_INT(a.switches, 0);

	/* A slow link: tries all three within a second, keeps LZJB. */
	adapt_init(&a, 0);
	CHECK_INT(adapt_round_codec(&a), LDM_CODEC_LZ4);
	CHECK_INT(adapt_run(&a, slow_link, &now, &bytes, 12), LDM_CODEC_LZJB);
	CHECK(a.rate[LDM_CODEC_NONE] > 0);
	CHECK_INT(adapt_run(&a, slow_link, &now, &bytes, 20), LDM_CODEC_LZJB);
	CHECK_INT(a.switches, 3);

	/*
	 * A trial clearly behind ends at half its window: NONE, at a third
	 * of LZJB's rate on the slow link, is left after the tick that opens
	 * its window (settled by then) and one more: 100 ms, not 200.
	 */
	adapt_init(&a, 0);
	for (i = 0; i < 30 && a.current != LDM_CODEC_NONE; i++)
		adapt_run(&a, slow_link, &now, &bytes, 1);
	CHECK_INT(a.current, LDM_CODEC_NONE);
	for (i = 0; i < 10 && a.current == LDM_CODEC_NONE; i++)
		adapt_run(&a, slow_link, &now, &bytes, 1);
	CHECK_INT(i, 2);
	CHECK_INT(a.current, LDM_CODEC_LZJB);
	CHECK(a.rate[LDM_CODEC_NONE] > 9e6 && a.rate[LDM_CODEC_NONE] < 11e6);
	/* One a little behind (LZ4 at 0.83 of LZJB) gets its whole window. */
	adapt_init(&a, 0);
	a.rate[LDM_CODEC_LZJB] = 30e6;
	a.measured_ns[LDM_CODEC_LZJB] = now;
	for (i = 0; i < 10 && a.current == LDM_CODEC_LZ4; i++)
		adapt_run(&a, slow_link, &now, &bytes, 1);
	CHECK_INT(i, 3);

	/* The link gets fast: the others are tried again and NONE wins. */
	adapt_run(&a, fast_link, &now, &bytes, 120);
	CHECK_INT(a.current, LDM_CODEC_NONE);
	CHECK_INT(adapt_round_codec(&a), LDM_CODEC_NONE);

	/* Between rounds nothing is measured, and no window spans a gap. */
	adapt_init(&a, 0);
	CHECK_INT(adapt_tick(&a, now += 100 * MS, bytes, 0, 0.5, false), 0);
	CHECK_INT(adapt_tick(&a, now += 100 * MS, bytes, 0, 0.5, true), 0);
	CHECK_INT(adapt_tick(&a, now += 100 * MS, bytes, 0, 0.5, false), 0);
	CHECK_INT(adapt_tick(&a, now += 900 * MS, bytes += 1000, 0, 0.5, true), 0);
	CHECK(!a.measured_ns[LDM_CODEC_LZ4]);

	/*
	 * A ring filling up (the workers run ahead of the link into free
	 * slots) measures nothing; after a few such windows one counts
	 * anyway. A stall never counts, however long: it would judge the
	 * codec at 0 for the load of the moment.
	 */
	adapt_init(&a, 0);
	CHECK_INT(adapt_tick(&a, now += 100 * MS, bytes, 0, 0.0, true), 0);
	CHECK_INT(adapt_tick(&a, now += 200 * MS, bytes += 100000, 0, 0.6, true), 0);
	CHECK(!a.measured_ns[LDM_CODEC_LZ4]);
	CHECK_INT(adapt_tick(&a, now += 200 * MS, bytes, 0, 0.6, true), 0);
	CHECK(!a.measured_ns[LDM_CODEC_LZ4]);
	CHECK_INT(adapt_tick(&a, now += 200 * MS, bytes += 100000, 0, 0.6, true),
		  LDM_CODEC_LZJB);
	CHECK(a.rate[LDM_CODEC_LZ4] > 0);
	adapt_init(&a, 0);
	adapt_tick(&a, now += 100 * MS, bytes, 0, 0.0, true);
	for (i = 0; i < ADAPT_DISCARDS_MAX; i++)
		CHECK_INT(adapt_tick(&a, now += 200 * MS, bytes += 100000, 0,
				     i % 2 ? 0.0 : 0.3, true), 0);
	CHECK(!a.measured_ns[LDM_CODEC_LZ4]);
	adapt_tick(&a, now += 200 * MS, bytes += 100000, 0, 0.3, true);
	CHECK(a.measured_ns[LDM_CODEC_LZ4]);
	adapt_init(&a, 0);
	adapt_tick(&a, now += 100 * MS, bytes, 0, 0.5, true);
	for (i = 0; i < 4 * ADAPT_DISCARDS_MAX; i++)
		CHECK_INT(adapt_tick(&a, now += 200 * MS, bytes, 0, 0.5, true), 0);
	CHECK(!a.measured_ns[LDM_CODEC_LZ4]);
	CHECK_INT(a.current, LDM_CODEC_LZ4);

	/*
	 * A full ring with LZ4 (the link is the bottleneck): "none" gets the
	 * output's byte rate as its figure and is never tried.
	 */
	adapt_init(&a, 0);
	for (i = 0, out = 0; i < 40; i++) {
		double r = a.current == LDM_CODEC_LZJB ? 6e6 : 5e6;

		now += 100 * MS;
		bytes += (uint64_t)(r / 10);
		out += 200000;		/* 2 MB/s of link */
		c = adapt_tick(&a, now, bytes, out, 0.9, true);
		CHECK(c != LDM_CODEC_NONE);
	}
	CHECK_INT(a.current, LDM_CODEC_LZJB);
	CHECK(a.measured_ns[LDM_CODEC_NONE]);
	CHECK(a.rate[LDM_CODEC_NONE] > 1.9e6 && a.rate[LDM_CODEC_NONE] < 2.1e6);

	/* No LZ4 in the kernel: never chosen again. */
	adapt_init(&a, 0);
	CHECK(adapt_unavailable(&a, LDM_CODEC_LZ4, now) != LDM_CODEC_LZ4);
	adapt_run(&a, fast_link, &now, &bytes, 100);
	CHECK_INT(a.current, LDM_CODEC_NONE);
	CHECK(!a.measured_ns[LDM_CODEC_LZ4]);
}

/* ---- trustdir.c ---- */

static X509 *make_cert(const char *cn)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_sign(x, k, EVP_sha256());
	EVP_PKEY_free(k);
	return x;
}

static void test_trust_names(void)
{
	unsigned long h;
	unsigned int i;
	char name[TRUST_NAME_MAX], want[TRUST_NAME_MAX];
	X509 *x = make_cert("host");

	CHECK(trust_name_parse("0a1b2c3d.0", &h, &i));
	CHECK_INT(h, 0x0a1b2c3d);
	CHECK_INT(i, 0);
	CHECK(trust_name_parse("ffffffff.999", &h, &i));
	CHECK_INT(i, 999);
	CHECK(!trust_name_parse("ffffffff.1000", NULL, NULL));
	CHECK(!trust_name_parse("0A1B2C3D.0", NULL, NULL));	/* upper case */
	CHECK(!trust_name_parse("0a1b2c3.0", NULL, NULL));
	CHECK(!trust_name_parse("0a1b2c3d.01", NULL, NULL));
	CHECK(!trust_name_parse("0a1b2c3d.r0", NULL, NULL));	/* a CRL */
	CHECK(!trust_name_parse("0a1b2c3d.", NULL, NULL));
	CHECK(!trust_name_parse("0a1b2c3d.0~", NULL, NULL));
	CHECK(!trust_name_parse("README", NULL, NULL));
	/* The name is OpenSSL's own subject hash. */
	CHECK_INT(trust_entry_name(x, 2, name), 0);
	snprintf(want, sizeof(want), "%08lx.2", X509_subject_name_hash(x));
	CHECK_STR(name, want);
	CHECK_INT(trust_entry_name(x, TRUST_INDEX_MAX, name), -EINVAL);
	CHECK(trust_fingerprint_match("ab:cd:ef:01", "AB:CD:EF:01:23"));
	CHECK(trust_fingerprint_match("abcdef01", "AB:CD:EF:01:23"));
	CHECK(!trust_fingerprint_match("abcdef0", "AB:CD:EF:01:23"));
	CHECK(!trust_fingerprint_match("abcdef02", "AB:CD:EF:01:23"));
	CHECK(!trust_fingerprint_match("zz", "AB"));
	X509_free(x);
}

static void test_trust_dir(void)
{
	char dir[] = "/tmp/ldmctl-unit-trust.XXXXXX", path[256];
	X509 *a = make_cert("same"), *b = make_cert("same"),
	     *c = make_cert("same");
	char name[TRUST_NAME_MAX], h[16];
	struct trust_entry *list;
	const char *why;
	size_t n;
	bool added;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(h, sizeof(h), "%08lx", X509_subject_name_hash(a));
	CHECK_INT(trust_add(dir, a, name, &added, &why), 0);
	CHECK(added);
	CHECK_INT(trust_add(dir, a, name, &added, &why), 0);
	CHECK(!added);				/* idempotent */
	CHECK_INT(trust_add(dir, b, name, &added, &why), 0);
	CHECK_INT(trust_add(dir, c, name, &added, &why), 0);
	CHECK(!strcmp(name + 8, ".2") && !strncmp(name, h, 8));
	CHECK_INT(trust_list(dir, &list, &n, &why), 0);
	CHECK_INT(n, 3);
	CHECK(n == 3 && !strcmp(list[0].subject, "CN=same"));
	free(list);
	/* Removing .0 moves .2 into the gap: OpenSSL stops at a gap. */
	snprintf(name, sizeof(name), "%s.0", h);
	CHECK_INT(trust_remove(dir, name, &why), 0);
	snprintf(path, sizeof(path), "%s/%s.0", dir, h);
	CHECK_INT(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/%s.2", dir, h);
	CHECK(access(path, F_OK) != 0);
	CHECK_INT(trust_remove(dir, name, &why), 0);
	CHECK_INT(trust_remove(dir, name, &why), 0);
	CHECK_INT(trust_remove(dir, name, &why), -ENOENT);
	CHECK_INT(trust_remove(dir, "../etc", &why), -EINVAL);
	CHECK_INT(trust_list(dir, &list, &n, &why), 0);
	CHECK_INT(n, 0);
	free(list);
	rmdir(dir);
	X509_free(a);
	X509_free(b);
	X509_free(c);
}

/* ---- addr.c ---- */

static void test_dest_parse(void)
{
	struct mig_dest d;
	const char *why;
	uint16_t port;
	char host[ADDR_HOST_MAX + 1];

	CHECK_INT(dest_parse("192.0.2.2", &d, &why), 0);
	CHECK_STR(d.host, "192.0.2.2");
	CHECK_STR(d.target, "");
	CHECK_INT(dest_parse("root@host-b.example:dom1", &d, &why), 0);
	CHECK_STR(d.user, "root");
	CHECK_STR(d.host, "host-b.example");
	CHECK_STR(d.target, "dom1");
	CHECK_INT(dest_parse("[2001:db8::1]:x", &d, &why), 0);
	CHECK_STR(d.host, "2001:db8::1");
	CHECK_STR(d.target, "x");
	CHECK_INT(dest_parse("@h", &d, &why), -EINVAL);
	CHECK_INT(dest_parse("h:", &d, &why), -EINVAL);
	CHECK_INT(dest_parse("h:../x", &d, &why), -EINVAL);
	CHECK_INT(dest_parse("a b", &d, &why), -EINVAL);
	CHECK_INT(dest_parse("[::1", &d, &why), -EINVAL);
	CHECK_INT(dest_parse("2001:db8::1", &d, &why), -EINVAL);
	CHECK_INT(listen_parse("192.0.2.2:9000", host, &port, 8101, &why), 0);
	CHECK_STR(host, "192.0.2.2");
	CHECK_INT(port, 9000);
	CHECK_INT(listen_parse(":7", host, &port, 8101, &why), 0);
	CHECK_STR(host, "");
	CHECK_INT(port, 7);
	CHECK_INT(listen_parse("[::]", host, &port, 8101, &why), 0);
	CHECK_STR(host, "::");
	CHECK_INT(port, 8101);
	CHECK_INT(listen_parse("h:0", host, &port, 8101, &why), -EINVAL);
	CHECK_INT(listen_parse("h:65536", host, &port, 8101, &why), -EINVAL);
	CHECK_INT(listen_parse("h:1x", host, &port, 8101, &why), -EINVAL);
}

/* ---- pwfile.c ---- */

static void test_passwords(void)
{
	char dir[] = "/tmp/ldmctl-unit-pw.XXXXXX", path[128], pw[PW_MAX + 1];
	const char *text = "# comment:x\nalice:wonder land\nanyone-pass\n";
	const char *why;
	char *buf;
	int fd;

	CHECK(pw_check(text, "alice", "wonder land"));
	CHECK(!pw_check(text, "bob", "wonder land"));
	CHECK(!pw_check(text, "", "wonder land"));
	CHECK(pw_check(text, "bob", "anyone-pass"));
	CHECK(pw_check(text, "", "anyone-pass"));
	CHECK(!pw_check(text, "alice", "wonder"));
	CHECK(!pw_check(text, "alice", ""));
	CHECK(!pw_check(text, "#", "x"));
	CHECK_INT(pw_first_line("s3cret\r\nmore", pw, &why), 0);
	CHECK_STR(pw, "s3cret");
	CHECK_INT(pw_first_line("\nx", pw, &why), -EINVAL);

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/pw", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	CHECK(write(fd, "p\n", 2) == 2);
	close(fd);
	chmod(path, 0644);
	CHECK_INT(pwfile_read(path, &buf, &why), -EPERM);
	chmod(path, 0640);
	CHECK_INT(pwfile_read(path, &buf, &why), -EPERM);
	chmod(path, 0600);
	CHECK_INT(pwfile_read(path, &buf, &why), 0);
	CHECK_STR(buf, "p\n");
	pwfile_free(buf);
	CHECK_INT(pwfile_read(dir, &buf, &why), -EINVAL);	/* a directory */
	unlink(path);
	rmdir(dir);
}

/* ---- pagesum.c ---- */

static void test_pagesum(void)
{
	uint8_t a[4096], b[4096];
	size_t i;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK(pagesum(a, sizeof(a)) == pagesum(b, sizeof(b)));
	/* Any one byte changed changes the sum. */
	for (i = 0; i < sizeof(b); i += 509) {
		b[i] = 1;
		CHECK(pagesum(a, sizeof(a)) != pagesum(b, sizeof(b)));
		b[i] = 0;
	}
	/* Swapped words too. */
	a[0] = 1;
	b[8] = 1;
	CHECK(pagesum(a, sizeof(a)) != pagesum(b, sizeof(b)));
}

/* ---- admit.c: serve's admission of connections ---- */

static struct admit_addr v4(uint8_t last)
{
	struct sockaddr_in s = { .sin_family = AF_INET };
	struct admit_addr k;

	s.sin_addr.s_addr = htonl(0xc0000200u | last);	/* 192.0.2.last */
	admit_addr_from(&k, (const struct sockaddr *)&s);
	return k;
}

static void admit_setup(struct admit *a, uint32_t startups, uint32_t per_addr,
			uint32_t migrations)
{
	struct admit_limits l = { .startups = startups, .per_addr = per_addr,
				  .migrations = migrations,
				  .handshake_ms = 10000 };

	CHECK_INT(admit_init(a, &l), 0);
}

static void test_admit_limits(void)
{
	struct admit_limits l = { .startups = 4, .per_addr = 5,
				  .migrations = 1, .handshake_ms = 1 };
	struct admit a;

	/* A share larger than the whole, and zeros: refused. */
	CHECK_INT(admit_init(&a, &l), -EINVAL);
	l.per_addr = 0;
	CHECK_INT(admit_init(&a, &l), -EINVAL);
	l.per_addr = 4;
	l.migrations = 0;
	CHECK_INT(admit_init(&a, &l), -EINVAL);
	l.migrations = 1;
	l.handshake_ms = 0;
	CHECK_INT(admit_init(&a, &l), -EINVAL);
	l.handshake_ms = 1;
	l.startups = ADMIT_MAX_STARTUPS + 1;
	CHECK_INT(admit_init(&a, &l), -EINVAL);
	l.startups = 4;
	CHECK_INT(admit_init(&a, &l), 0);
	/* Room for both budgets and as many killed, unreaped ones. */
	CHECK_INT(a.nslots, 2 * 4 + 1);
	admit_free(&a);
}

static void test_admit_addresses(void)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	struct admit_addr k, l, m;

	k = v4(1);
	l = v4(1);
	CHECK(!memcmp(&k, &l, sizeof(k)));
	l = v4(2);
	CHECK(memcmp(&k, &l, sizeof(k)));
	/* A dual-stack listener's IPv4-mapped source is that IPv4 source. */
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &s6.sin6_addr);
	admit_addr_from(&m, (const struct sockaddr *)&s6);
	CHECK(!memcmp(&k, &m, sizeof(k)));
	/* IPv6 counts by /64: one host, any address of its prefix. */
	inet_pton(AF_INET6, "2001:db8:1:2::1", &s6.sin6_addr);
	admit_addr_from(&k, (const struct sockaddr *)&s6);
	inet_pton(AF_INET6, "2001:db8:1:2:ffff:eeee:dddd:cccc", &s6.sin6_addr);
	admit_addr_from(&l, (const struct sockaddr *)&s6);
	CHECK(!memcmp(&k, &l, sizeof(k)));
	CHECK_INT(k.family, 6);
	inet_pton(AF_INET6, "2001:db8:1:3::1", &s6.sin6_addr);
	admit_addr_from(&m, (const struct sockaddr *)&s6);
	CHECK(memcmp(&k, &m, sizeof(k)));
	/* Anything else: one bucket. */
	admit_addr_from(&k, (const struct sockaddr *)&su);
	CHECK_INT(k.family, 0);
}

static void test_admit_budgets(void)
{
	struct admit_addr x = v4(9), y = v4(10), z = v4(11), w = v4(12);
	struct admit a;
	int slot, ev, first, i;

	admit_setup(&a, 4, 2, 1);
	/* Per address first: a third from x is refused, no process. */
	CHECK_INT(admit_connection(&a, &x, 0, &first, &ev), ADMIT_IN);
	CHECK_INT(ev, -1);
	CHECK_INT(admit_connection(&a, &x, 1, &slot, &ev), ADMIT_IN);
	CHECK_INT(admit_connection(&a, &x, 2, &slot, &ev), ADMIT_OUT_ADDR);
	CHECK_INT(slot, -1);
	CHECK_INT(admit_addr_count(&a, &x), 2);
	CHECK_INT(admit_connection(&a, &y, 3, &slot, &ev), ADMIT_IN);
	CHECK_INT(admit_connection(&a, &z, 4, &slot, &ev), ADMIT_IN);
	CHECK_INT(a.startups, 4);
	/* Full: w, with none, takes the place of x's oldest (x has two). */
	CHECK_INT(admit_connection(&a, &w, 5, &slot, &ev), ADMIT_IN_EVICTING);
	CHECK_INT(ev, first);
	CHECK_INT(admit_addr_count(&a, &x), 1);
	/* Full, and shared equally now: nobody is evicted any more. */
	for (i = 0; i < 300; i++) {
		struct admit_addr n = v4((uint8_t)(20 + i % 8));

		CHECK_INT(admit_connection(&a, &n, 6, &slot, &ev), ADMIT_OUT_FULL);
		CHECK_INT(ev, -1);
	}
	CHECK_INT(admit_connection(&a, &x, 7, &slot, &ev), ADMIT_OUT_FULL);
	CHECK_INT(a.startups, 4);
	CHECK_INT(a.migrations, 0);
	admit_free(&a);
}

static void test_admit_fair_eviction(void)
{
	struct admit_addr legit = v4(1), other = v4(2);
	uint32_t running;
	struct admit a;
	int slot, ev, i, mine, oldest = -1;

	/* Four flooding addresses take the whole budget of 8, 2 each... */
	admit_setup(&a, 8, 4, 2);
	for (i = 0; i < 8; i++) {
		struct admit_addr f = v4((uint8_t)(10 + i % 4));

		CHECK_INT(admit_connection(&a, &f, 100 + i, &slot, &ev), ADMIT_IN);
		if (i == 1)
			oldest = slot;	/* 192.0.2.11's first */
	}
	/* ...and one more from the first makes 3 of them there. */
	{
		struct admit_addr f = v4(10);

		CHECK_INT(admit_connection(&a, &f, 200, &slot, &ev), ADMIT_OUT_FULL);
	}
	/*
	 * A legitimate source with none: admitted in place of the oldest
	 * connection of an address holding the most (2, tied: the oldest).
	 */
	CHECK_INT(admit_connection(&a, &legit, 300, &mine, &ev),
		  ADMIT_IN_EVICTING);
	CHECK_INT(ev, 0);	/* 192.0.2.10's first, at 100 */
	CHECK_INT(a.slot[ev].state, ADMIT_DYING);
	CHECK_INT(a.startups, 8);
	CHECK_INT(admit_addr_count(&a, &legit), 1);
	CHECK_INT(admit_addr_count(&a, &a.slot[ev].addr), 1);
	/* Another newcomer evicts from an address with 2 still, the oldest. */
	CHECK_INT(admit_connection(&a, &other, 301, &slot, &ev),
		  ADMIT_IN_EVICTING);
	CHECK_INT(ev, oldest);
	/*
	 * Now the floods hold 1, 1, 2, 2: the next newcomers take those
	 * down to 1; then every address holds 1 and the legitimate
	 * source's connection can be evicted by nobody.
	 */
	for (i = 0; i < 2; i++) {
		struct admit_addr n = v4((uint8_t)(50 + i));

		CHECK_INT(admit_connection(&a, &n, 400 + i, &slot, &ev),
			  ADMIT_IN_EVICTING);
		CHECK(ev != mine);
	}
	for (i = 0; i < 50; i++) {
		struct admit_addr n = v4((uint8_t)(60 + i));

		CHECK_INT(admit_connection(&a, &n, 500 + i, &slot, &ev),
			  ADMIT_OUT_FULL);
	}
	CHECK_INT(a.slot[mine].state, ADMIT_PREAUTH);
	/* It authenticates: a migration slot, out of the startups. */
	CHECK(admit_authenticated(&a, mine, 600, &running));
	CHECK_INT(a.slot[mine].state, ADMIT_MIGRATING);
	CHECK_INT(a.startups, 7);
	CHECK_INT(a.migrations, 1);
	/* The killed ones keep their index until reaped. */
	for (i = 0; i < (int)a.nslots; i++)
		if (a.slot[i].state == ADMIT_DYING)
			admit_release(&a, i);
	CHECK_INT(a.startups, 7);
	admit_free(&a);
}

static void test_admit_migrations(void)
{
	struct admit_addr x = v4(1), y = v4(2), z = v4(3);
	int sx, sy, sz, ev;
	uint32_t running;
	struct admit a;

	admit_setup(&a, 2, 1, 1);
	CHECK_INT(admit_connection(&a, &x, 0, &sx, &ev), ADMIT_IN);
	CHECK_INT(admit_connection(&a, &y, 0, &sy, &ev), ADMIT_IN);
	CHECK(admit_authenticated(&a, sx, 10, &running));
	/* Its startup freed: z comes in; y, authenticated, finds none. */
	CHECK_INT(admit_connection(&a, &z, 20, &sz, &ev), ADMIT_IN);
	CHECK(!admit_authenticated(&a, sy, 30, &running));
	CHECK_INT(running, 1);
	CHECK_INT(a.slot[sy].state, ADMIT_REFUSING);
	/* Still a startup, briefly: time to tell the source it is busy. */
	CHECK_INT(a.startups, 2);
	CHECK_INT(a.slot[sy].deadline_ms, 30 + ADMIT_REFUSE_GRACE_MS);
	/* Full: y authenticated (not to be evicted), z holds its share. */
	CHECK_INT(admit_connection(&a, &x, 40, &sx, &ev), ADMIT_OUT_FULL);
	/* A second answer to the same slot: none. */
	CHECK(!admit_authenticated(&a, sy, 31, &running));
	CHECK_INT(running, 0);
	CHECK(!admit_authenticated(&a, -1, 31, &running));
	CHECK(!admit_authenticated(&a, (int)a.nslots, 31, &running));
	/* The migration ends: the next one to authenticate gets it. */
	admit_release(&a, 0);
	CHECK_INT(a.migrations, 0);
	CHECK(admit_authenticated(&a, sz, 50, &running));
	CHECK_INT(a.migrations, 1);
	admit_release(&a, sy);
	CHECK_INT(a.startups, 0);
	admit_free(&a);
}

static void test_admit_deadlines(void)
{
	struct admit_addr x = v4(1), y = v4(2);
	struct admit a;
	uint32_t running;
	int sx, sy, ev;

	admit_setup(&a, 4, 4, 1);
	CHECK_U64((uint64_t)admit_next_deadline(&a), (uint64_t)INT64_MAX);
	CHECK_INT(admit_expired(&a, 1000000), -1);
	CHECK_INT(admit_connection(&a, &x, 1000, &sx, &ev), ADMIT_IN);
	CHECK_INT(admit_connection(&a, &y, 3000, &sy, &ev), ADMIT_IN);
	/* The handshake deadline, then a second for the child's own end. */
	CHECK_INT(admit_next_deadline(&a), 1000 + 10000 + ADMIT_KILL_GRACE_MS);
	CHECK_INT(admit_expired(&a, 1000 + 10000 + ADMIT_KILL_GRACE_MS - 1), -1);
	CHECK_INT(admit_expired(&a, 1000 + 10000 + ADMIT_KILL_GRACE_MS), sx);
	admit_kill(&a, sx);
	CHECK_INT(a.startups, 1);
	CHECK_INT(admit_expired(&a, 12000), -1);
	/* Killed twice (evicted, then expired): counted out once. */
	admit_kill(&a, sx);
	CHECK_INT(a.startups, 1);
	/* Authenticated in time: no deadline any more. */
	CHECK(admit_authenticated(&a, sy, 5000, &running));
	CHECK_INT(admit_expired(&a, 1000000), -1);
	CHECK_U64((uint64_t)admit_next_deadline(&a), (uint64_t)INT64_MAX);
	admit_release(&a, sx);
	admit_release(&a, sy);
	CHECK_INT(a.startups, 0);
	CHECK_INT(a.migrations, 0);
	admit_free(&a);
}

/* Killed connections not reaped yet hold indexes: never overrun. */
static void test_admit_unreaped(void)
{
	struct admit a;
	int slot, ev, i, in = 0;

	admit_setup(&a, 2, 2, 1);
	for (i = 0; i < 100; i++) {
		struct admit_addr x = v4((uint8_t)i);

		if (admit_connection(&a, &x, i, &slot, &ev) == ADMIT_OUT_FULL)
			continue;
		CHECK(slot >= 0 && slot < (int)a.nslots);
		admit_kill(&a, slot);	/* and never reaped */
		in++;
	}
	CHECK_INT(in, (int)a.nslots);
	CHECK_INT(a.startups, 0);
	admit_free(&a);
}

static void test_admit_quiet(void)
{
	struct admit_quiet q = { 0 };
	uint32_t held;
	int i;

	CHECK(admit_quiet_log(&q, 5000, &held));
	CHECK_INT(held, 0);
	for (i = 0; i < 250; i++)
		CHECK(!admit_quiet_log(&q, 5000 + i, &held));
	CHECK(!admit_quiet_flush(&q, 5000 + ADMIT_QUIET_MS - 1, &held));
	CHECK(admit_quiet_flush(&q, 5000 + ADMIT_QUIET_MS, &held));
	CHECK_INT(held, 250);
	CHECK(!admit_quiet_flush(&q, 9000000, &held));
	/* The next line says how many went unsaid before it. */
	CHECK(!admit_quiet_log(&q, 5000 + ADMIT_QUIET_MS + 1, &held));
	CHECK(admit_quiet_log(&q, 5000 + 2 * ADMIT_QUIET_MS, &held));
	CHECK_INT(held, 1);
}

/*
 * Post-copy's messages: POSTCOPY and PAGE_REQ round-trip as SUMS do, no
 * other type goes through proto_put_words(), POSTCOPY_RUNNING is empty.
 */
static void test_proto_postcopy(void)
{
	static struct proto_sums m, g;
	static const uint16_t types[] = { PROTO_MSG_POSTCOPY,
					  PROTO_MSG_PAGE_REQ };
	const uint8_t *p;
	struct pbuf b;
	size_t len, i;

	m.first = 0;
	m.count = 3;
	m.sums[0] = 7;
	m.sums[1] = 1ull << 40;
	m.sums[2] = 12345;
	for (i = 0; i < 2; i++) {
		pbuf_init(&b);
		CHECK_INT(proto_put_words(&b, types[i], &m), 0);
		p = encoded(&b, types[i], &len);
		memset(&g, 0, sizeof(g));
		CHECK_INT(proto_get_words(p, len, &g), 0);
		CHECK(g.first == 0 && g.count == 3 && g.sums[1] == 1ull << 40);
		CHECK_STR(proto_msg_name(types[i]),
			  i ? "PAGE_REQ" : "POSTCOPY");
		pbuf_free(&b);
	}
	pbuf_init(&b);
	CHECK_INT(proto_put_words(&b, PROTO_MSG_SUMS, &m), -EINVAL);
	pbuf_reset(&b);
	m.count = 0;
	CHECK_INT(proto_put_words(&b, PROTO_MSG_PAGE_REQ, &m), -EINVAL);
	pbuf_reset(&b);
	CHECK_INT(proto_put_empty(&b, PROTO_MSG_POSTCOPY_RUNNING), 0);
	p = encoded(&b, PROTO_MSG_POSTCOPY_RUNNING, &len);
	CHECK_INT(len, 0);
	pbuf_free(&b);
}

/* ---- rekey.c ---- */

/*
 * Epoch keys: the same secret and epoch give the same key and salt on
 * both ends; another epoch or another secret gives another key; an epoch
 * is at most 2^36 bytes of batches; a session file that is not one fails
 * with the reason, and a batch two epochs ahead is refused.
 */
static void test_rekey(void)
{
	uint8_t s1[REKEY_SECRET_BYTES], s2[REKEY_SECRET_BYTES];
	uint8_t a[LDM_KEY_BYTES], b[LDM_KEY_BYTES], c[LDM_KEY_BYTES];
	uint32_t sa, sb, sc;
	struct rekey rk = { .shift = 8, .fd = -1, .next = 1 };
	char why[200] = "";

	memset(s1, 0x11, sizeof(s1));
	memset(s2, 0x11, sizeof(s2));
	s2[31] ^= 1;
	CHECK_INT(rekey_derive(s1, 1, a, &sa), 0);
	CHECK_INT(rekey_derive(s1, 1, b, &sb), 0);
	CHECK(!memcmp(a, b, sizeof(a)) && sa == sb);
	CHECK_INT(rekey_derive(s1, 2, c, &sc), 0);
	CHECK(memcmp(a, c, sizeof(a)) && sa != sc);
	CHECK_INT(rekey_derive(s2, 1, c, &sc), 0);
	CHECK(memcmp(a, c, sizeof(a)));
	/* 2^36 bytes of 64 KiB batches with header and tag: 2^19. */
	CHECK_INT(rekey_shift_max(65536), 19);
	CHECK_INT(rekey_shift_max(LDM_BATCH_MIN), 21);
	CHECK_INT(rekey_shift_max(LDM_BATCH_MAX), 15);
	CHECK(rekey_shift_max(LDM_BATCH_MAX) >= LDM_EPOCH_SHIFT_MIN);
	/* Nothing to give for batches of the epochs the module has. */
	CHECK_INT(rekey_upto(&rk, 255, 0, why, sizeof(why)), 0);
	CHECK_INT(rekey_upto(&rk, 256 * 3, 0, why, sizeof(why)), -ERANGE);
	CHECK(strstr(why, "epoch 3") != NULL);
	rk.fd = open("/dev/null", O_RDONLY);
	CHECK_INT(rekey_upto(&rk, 256, 0, why, sizeof(why)), -ENOTTY);
	CHECK(strstr(why, "key of epoch 1") != NULL);
	CHECK_INT((int)rk.next, 1);
	close(rk.fd);
}

static const struct unit_test tests[] = {
	T(test_proto_hello_round_trip),
	T(test_proto_truncation_and_trailing),
	T(test_proto_bad_fields),
	T(test_proto_header),
	T(test_proto_small_messages),
	T(test_stream_hello),
	T(test_converge),
	T(test_forecast),
	T(test_adapt),
	T(test_trust_names),
	T(test_trust_dir),
	T(test_dest_parse),
	T(test_passwords),
	T(test_pagesum),
	T(test_admit_limits),
	T(test_admit_addresses),
	T(test_admit_budgets),
	T(test_admit_fair_eviction),
	T(test_admit_migrations),
	T(test_admit_deadlines),
	T(test_admit_unreaped),
	T(test_admit_quiet),
	T(test_rekey),
	T(test_proto_postcopy),
};

int main(void)
{
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
