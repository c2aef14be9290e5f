// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of driver/lzjb.c, printing TAP.
 *
 *   test_lzjb [--quick]
 *
 * Every buffer handed to the codec is a heap block of exactly the size the
 * call is told, so that a build with AddressSanitizer catches any access
 * outside it; the native build checks canary bytes after the output
 * instead. --quick shrinks the corpus and the random rounds, for the
 * sanitizer build. Exit status: 0 when every test passed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../driver/lzjb.h"
#include "corpus.h"
#include "ref_lzjb.h"

#define CANARY		0xee
#define SLACK		64

static int quick;
static unsigned int tests, failures;
static uint64_t rng = 0x6c646d2d6c7a6a62ULL;	/* "ldm-lzjb" */

static void result(int pass, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %u ", pass ? "" : "not ", ++tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!pass)
		failures++;
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

/* an exact-size heap copy, so that ASan sees any overread */
static unsigned char *dup_exact(const void *p, size_t n)
{
	unsigned char *q = xmalloc(n);

	if (n)
		memcpy(q, p, n);
	return q;
}

/* an output block of n bytes followed by SLACK canary bytes */
static unsigned char *out_block(size_t n)
{
	unsigned char *q = xmalloc(n + SLACK);

	memset(q, CANARY, n + SLACK);
	return q;
}

static int canary_ok(const unsigned char *q, size_t n)
{
	size_t i;

	for (i = 0; i < SLACK; i++)
		if (q[n + i] != CANARY)
			return 0;
	return 1;
}

/* Decodes with lzjb_decompress() through exact-size buffers. */
static int dec(const void *s, size_t s_len, size_t d_len,
	       unsigned char **outp)
{
	unsigned char *src = dup_exact(s, s_len);
	unsigned char *dst = xmalloc(d_len);
	int r = lzjb_decompress(src, dst, s_len, d_len);

	free(src);
	if (outp)
		*outp = dst;
	else
		free(dst);
	return r;
}

/*
 * The full check of one input, returning NULL or what went wrong: the
 * stream fits LZJB_COMPRESS_BOUND, stays in its buffer, decodes with both
 * decoders; the same stream comes out when d_len is exactly its length and
 * s_len when one byte shorter; the reference compressor's stream decodes.
 */
static const char *roundtrip(const void *data, size_t n)
{
	static char why[160];
	size_t bound = lzjb_compress_bound(n);
	unsigned char *src = dup_exact(data, n);
	unsigned char *full = out_block(bound), *again, *back = NULL;
	const char *bad = NULL;
	size_t c, c2;
	long used;

	c = lzjb_compress(src, full, n, bound);
	if (c > bound || !canary_ok(full, bound)) {
		bad = "compress overflowed its bound";
		goto out;
	}
	if (dec(full, c, n, &back) || memcmp(back, data, n)) {
		bad = "lzjb_decompress did not restore the input";
		goto out;
	}
	free(back);
	back = xmalloc(n + 1);
	used = ref_lzjb_decompress(full, back, c, n);
	if (used != (long)c || memcmp(back, data, n)) {
		snprintf(why, sizeof(why),
			 "reference decoder: used %ld of %zu bytes or differs",
			 used, c);
		bad = why;
		goto out;
	}
	again = out_block(c);
	c2 = lzjb_compress(src, again, n, c);
	if (c2 != c || memcmp(again, full, c) || !canary_ok(again, c)) {
		free(again);
		bad = "d_len == stream length: different result";
		goto out;
	}
	free(again);
	if (c) {
		again = out_block(c - 1);
		c2 = lzjb_compress(src, again, n, c - 1);
		if (c2 != n || !canary_ok(again, c - 1)) {
			free(again);
			bad = "d_len one short: not s_len, or wrote past d_len";
			goto out;
		}
		free(again);
	}
	/* the other direction: the reference's stream, read by ldm */
	again = out_block(bound + 32);
	c2 = ref_lzjb_compress(src, again, n, bound + 32);
	free(back);
	back = NULL;
	if (dec(again, c2, n, &back) || memcmp(back, data, n))
		bad = "reference stream not restored by lzjb_decompress";
	free(again);
out:
	free(back);
	free(src);
	free(full);
	return bad;
}

static void test_roundtrip(const void *data, size_t n, const char *name)
{
	const char *why = roundtrip(data, n);

	result(!why, "round trip: %s (%zu bytes)%s%s", name, n,
	       why ? ": " : "", why ? why : "");
}

static const char text_sample[] =
	"LZJB is the compressor of ZFS: a copy-map byte precedes each group "
	"of up to eight items, each item a literal byte or a two-byte match "
	"of 3 to 66 bytes at most 1023 bytes back. It compresses guest pages "
	"of a live migration before they are encrypted and sent; pages that "
	"do not compress well are sent as they are, and zero pages not at "
	"all. The decompressor checks every bound whatever it is fed.\n";

static void fill_text(unsigned char *p, size_t n)
{
	size_t i, k = sizeof(text_sample) - 1;

	/* the sample with a counter spliced in, so lines are not identical */
	for (i = 0; i < n; i++) {
		p[i] = text_sample[(i + i / k * 7) % k];
		if (i % k == 20)
			p[i] = '0' + i / k % 10;
	}
}

static void edge_cases(void)
{
	unsigned char *p = xmalloc(1 << 20);
	size_t n, fails;

	test_roundtrip("", 0, "empty");
	test_roundtrip("x", 1, "one byte");
	test_roundtrip("xy", 2, "two bytes");
	test_roundtrip("xxx", 3, "three equal bytes");
	test_roundtrip("abcabc", 6, "one 3-byte repeat");

	memset(p, 0, 8192);
	test_roundtrip(p, 4096, "4 KiB of zeros");
	test_roundtrip(p, 8192, "8 KiB of zeros");
	{
		unsigned char z[256];
		size_t c = lzjb_compress(p, z, 4096, sizeof(z));

		/* a literal, 62 matches of 66 and one of 3: 8 groups */
		result(c == 8 + 1 + 63 * 2, "4 KiB of zeros: %zu bytes", c);
	}
	memset(p, 0xa5, 8192);
	test_roundtrip(p, 4096, "4 KiB of one byte value");
	test_roundtrip(p, 8192, "8 KiB of one byte value");

	corpus_fill_random(p, 8192, &rng);
	test_roundtrip(p, 4096, "4 KiB random");
	test_roundtrip(p, 8192, "8 KiB random");
	{
		unsigned char *q = out_block(4096 / 8 * 7);
		size_t c = lzjb_compress(p, q, 4096, 4096 / 8 * 7);

		result(c == 4096 && canary_ok(q, 4096 / 8 * 7),
		       "random page, d_len 7/8 of it: s_len, nothing past d_len");
		free(q);
		q = out_block(lzjb_compress_bound(4096));
		c = lzjb_compress(p, q, 4096, lzjb_compress_bound(4096));
		result(c == lzjb_compress_bound(4096),
		       "random page: worst-case expansion to exactly the bound (%zu)",
		       c);
		free(q);
	}

	fill_text(p, 8192);
	test_roundtrip(p, 4096, "4 KiB text");
	test_roundtrip(p, 8192, "8 KiB text");
	corpus_fill_pattern(p, 4096, &rng);
	test_roundtrip(p, 4096, "4 KiB pattern");

	/* every length up to 600, three kinds of data */
	for (fails = 0, n = 0; n <= 600; n++) {
		corpus_fill_random(p, n, &rng);
		fails += !!roundtrip(p, n);
		fill_text(p, n);
		fails += !!roundtrip(p, n);
		memset(p, (int)n, n);
		fails += !!roundtrip(p, n);
	}
	result(!fails, "round trip: every length 0..600, random/text/constant (%zu failed)",
	       fails);

	/* every output room from 0 to the bound: s_len or the same stream */
	{
		size_t bound = lzjb_compress_bound(4096), d, c;
		unsigned char *full = xmalloc(bound);

		fill_text(p, 4096);
		memset(p + 1500, 0, 900);
		corpus_fill_random(p + 3000, 600, &rng);
		c = lzjb_compress(p, full, 4096, bound);
		for (fails = 0, d = 0; d <= bound; d += quick ? 7 : 1) {
			unsigned char *q = out_block(d);
			size_t r = lzjb_compress(p, q, 4096, d);

			if (!canary_ok(q, d) ||
			    (d < c && r != 4096) ||
			    (d >= c && (r != c || memcmp(q, full, c))))
				fails++;
			free(q);
		}
		free(full);
		result(!fails, "every d_len 0..bound: s_len below the stream length, the same stream from it (%zu failed)",
		       fails);
	}

	/* past 64 KiB the table restarts: long inputs still round-trip */
	fill_text(p, 1 << 20);
	for (n = 0; n < (1 << 20); n += 4096 + n % 5000)
		corpus_fill_random(p + n, 500, &rng);
	test_roundtrip(p, 65536 + 1000, "64 KiB + 1000 mixed");
	test_roundtrip(p, 300000, "300000 mixed");
	memset(p, 0, 200000);
	test_roundtrip(p, 200000, "200000 zeros");
	if (!quick)
		test_roundtrip(p + 3, (1 << 20) - 3, "1 MiB - 3, misaligned");

	/* NULL buffers are fine with nothing to do */
	result(lzjb_compress(NULL, NULL, 0, 0) == 0 &&
	       lzjb_decompress(NULL, NULL, 0, 0) == 0 &&
	       lzjb_decompress(NULL, NULL, 0, 5) == -EINVAL,
	       "zero lengths with NULL buffers");
	free(p);
}

/* A stream decodes with both decoders to exactly what is expected. */
static void vector(const char *name, const unsigned char *s, size_t s_len,
		   const unsigned char *want, size_t d_len)
{
	unsigned char *out = NULL, *ref = xmalloc(d_len + 1);
	int r = dec(s, s_len, d_len, &out);
	long used = ref_lzjb_decompress(s, ref, s_len, d_len);

	result(!r && !memcmp(out, want, d_len) && used == (long)s_len &&
	       !memcmp(ref, want, d_len), "known vector: %s", name);
	free(out);
	free(ref);
}

static void expect_stream(const char *name, const void *in, size_t n,
			  const unsigned char *want, size_t w_len)
{
	unsigned char out[256];
	size_t c = lzjb_compress(in, out, n, sizeof(out));

	result(c == w_len && !memcmp(out, want, w_len),
	       "known stream from lzjb_compress: %s", name);
}

static void known_vectors(void)
{
	static const unsigned char lit8[] = {
		0x00, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
	};
	static const unsigned char lit9[] = {
		0x00, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 0x00, 'i',
	};
	/* 'a', then a match: length (0x1c >> 2) + 3 = 10, offset 1 */
	static const unsigned char run1[] = { 0x02, 'a', 0x1c, 0x01 };
	/* "ab", then the longest match: 66 bytes at offset 2 */
	static const unsigned char run2[] = { 0x04, 'a', 'b', 0xfc, 0x02 };
	/* "xyz" and 10 bytes at offset 3, overlapping what it writes */
	static const unsigned char run3[] = { 0x08, 'x', 'y', 'z', 0x1c, 0x03 };
	/* matches in every slot of a group, then literals in the next */
	static const unsigned char maps[] = {
		0xfe, 'q', 0x00, 0x01, 0x04, 0x01, 0x00, 0x01, 0x00, 0x01,
		0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x01, 0x00, 0x01, 'r',
	};
	static const unsigned char a16_stream[] = { 0x02, 'a', 0x30, 0x01 };
	static const unsigned char abc_stream[] = {
		0x08, 'a', 'b', 'c', 0x18, 0x03,
	};
	/* the compressor takes matches of 4 bytes or more (3 at the end) */
	static const unsigned char abcd4_stream[] = {
		0x10, 'a', 'b', 'c', 'd', 0x04, 0x04,
	};
	static const unsigned char abcd3_stream[] = {
		0x00, 'a', 'b', 'c', 'd', 'a', 'b', 'c', 'x',
	};
	unsigned char want[2048], s[2048];
	size_t i;

	vector("a group of eight literals", lit8, sizeof(lit8),
	       (const unsigned char *)"abcdefgh", 8);
	vector("a second group", lit9, sizeof(lit9),
	       (const unsigned char *)"abcdefghi", 9);
	memset(want, 'a', 11);
	vector("a byte run (offset 1, overlapping)", run1, sizeof(run1),
	       want, 11);
	for (i = 0; i < 68; i++)
		want[i] = "ab"[i % 2];
	vector("the longest match (66, offset 2)", run2, sizeof(run2),
	       want, 68);
	vector("offset 3, overlapping", run3, sizeof(run3),
	       (const unsigned char *)"xyzxyzxyzxyzx", 13);
	/* q, seven matches (3 + 4 + 5 * 3 bytes), a match of 3, then r */
	memset(want, 'q', 26);
	want[26] = 'r';
	vector("seven matches in a group, then a match and a literal", maps,
	       sizeof(maps), want, 27);

	/* the farthest offset, 1023: its high bits in the first byte */
	for (i = 0; i < 1023; i++)
		want[i] = (unsigned char)(i * 7 % 251);
	memcpy(want + 1023, want, 3);
	for (i = 0; i < 1023; i++) {
		if (i % 8 == 0)
			s[i / 8 * 9] = 0x00;
		s[i / 8 * 9 + 1 + i % 8] = want[i];
	}
	/* 1023 literals: 127 full groups and 7 items of the last one */
	s[127 * 9] = 0x80;
	s[127 * 9 + 8] = 0x03;
	s[127 * 9 + 9] = 0xff;
	vector("offset 1023", s, 127 * 9 + 10, want, 1026);

	memset(want, 'a', 16);
	expect_stream("16 x 'a' is a literal and one match", want, 16,
		      a16_stream, sizeof(a16_stream));
	expect_stream("\"abcabcabcabc\" is 3 literals and one match",
		      "abcabcabcabc", 12, abc_stream, sizeof(abc_stream));
	expect_stream("\"abcdabcd\": a 4-byte repeat is a match",
		      "abcdabcd", 8, abcd4_stream, sizeof(abcd4_stream));
	expect_stream("\"abcdabcx\": a 3-byte repeat is left as literals",
		      "abcdabcx", 8, abcd3_stream, sizeof(abcd3_stream));
}

static void hostile(void)
{
	static const unsigned char off0[] = { 0x02, 'a', 0x00, 0x00 };
	static const unsigned char before[] = { 0x02, 'a', 0x00, 0x02 };
	static const unsigned char first[] = { 0x01, 0x00, 0x01 };
	static const unsigned char run1[] = { 0x02, 'a', 0x1c, 0x01 };
	unsigned char *page = xmalloc(4096), *s = xmalloc(8192);
	size_t c, i, fails, accepted;
	int r, n;

	result(dec(off0, sizeof(off0), 4, NULL) == -EINVAL,
	       "hostile: offset 0 refused");
	result(dec(before, sizeof(before), 4, NULL) == -EINVAL,
	       "hostile: offset before the start of the output refused");
	result(dec(first, sizeof(first), 3, NULL) == -EINVAL,
	       "hostile: a match as the first item refused");
	result(dec(run1, sizeof(run1), 5, NULL) == -EINVAL,
	       "hostile: match running past d_len refused");
	result(dec(run1, sizeof(run1), 11, NULL) == 0 &&
	       dec(run1, sizeof(run1), 12, NULL) == -EINVAL,
	       "hostile: match ending exactly at d_len accepted, stream short of d_len refused");
	result(dec("", 0, 1, NULL) == -EINVAL &&
	       dec("", 0, 4096, NULL) == -EINVAL,
	       "hostile: s_len 0 with d_len > 0 refused");
	result(dec(run1, sizeof(run1), 0, NULL) == -EINVAL,
	       "hostile: s_len > 0 with d_len 0 refused");
	result(dec("\0abcdefgh", 9, 4, NULL) == -EINVAL,
	       "hostile: stream producing more than d_len refused");

	fill_text(page, 4096);
	memset(page + 2000, 0, 500);
	c = lzjb_compress(page, s, 4096, 8192);
	s[c] = 0x00;
	s[c + 1] = 'z';
	result(dec(s, c, 4096, NULL) == 0 &&
	       dec(s, c + 1, 4096, NULL) == -EINVAL &&
	       dec(s, c + 2, 4096, NULL) == -EINVAL,
	       "hostile: trailing bytes after a valid stream refused");
	for (fails = 0, i = 0; i < c; i++)
		fails += dec(s, i, 4096, NULL) != -EINVAL;
	result(!fails, "hostile: every truncation of a %zu-byte stream refused (%zu accepted)",
	       c, fails);

	/* every single-bit flip: no crash, and when accepted, sane */
	for (fails = 0, accepted = 0, i = 0; i < c * 8;
	     i += quick ? 5 : 1) {
		unsigned char *out = NULL, *ref = xmalloc(4096);

		s[i / 8] ^= 1 << i % 8;
		r = dec(s, c, 4096, &out);
		if (r == 0) {
			accepted++;
			fails += ref_lzjb_decompress(s, ref, c, 4096) !=
				 (long)c || memcmp(ref, out, 4096);
		} else if (r != -EINVAL) {
			fails++;
		}
		s[i / 8] ^= 1 << i % 8;
		free(out);
		free(ref);
	}
	result(!fails, "hostile: bit flips of a valid stream: refused, or decoded like the reference (%zu accepted)",
	       accepted);

	/* random streams, half of them built to look valid */
	for (fails = 0, accepted = 0, n = 0; n < (quick ? 20000 : 200000);
	     n++) {
		size_t s_len = corpus_rand(&rng) % 48;
		size_t d_len = corpus_rand(&rng) % 160;
		unsigned char *out = NULL, *ref;

		corpus_fill_random(s, s_len, &rng);
		if (n & 1)
			for (i = 1; i < s_len; i += 2)
				s[i] &= 0x83;	/* short, near matches */
		r = dec(s, s_len, d_len, &out);
		if (r == 0) {
			accepted++;
			ref = xmalloc(d_len + 1);
			fails += ref_lzjb_decompress(s, ref, s_len, d_len) !=
				 (long)s_len || memcmp(ref, out, d_len);
			free(ref);
		} else if (r != -EINVAL) {
			fails++;
		}
		free(out);
	}
	result(!fails, "hostile: random streams: refused, or decoded like the reference (%zu accepted)",
	       accepted);
	free(page);
	free(s);
}

/*
 * Both directions on a whole corpus of pages: ldm's stream read by the
 * reference decoder, the reference's stream read by ldm, and with the
 * pipeline's d_len of 7/8 of a page, s_len or the same stream.
 */
static void interop(size_t mib, size_t page)
{
	static const unsigned int mix[CORPUS_KINDS] = { 40, 20, 20, 10, 10 };
	size_t bound = lzjb_compress_bound(page), lim = page / 8 * 7;
	unsigned char *a = xmalloc(bound + 32), *b = xmalloc(bound + 32);
	unsigned char *back = xmalloc(page);
	size_t i, f1 = 0, f2 = 0, f3 = 0, bytes = 0;
	struct corpus c;

	if (corpus_build(&c, mib << 20, page, mix, 1)) {
		result(1, "interop on a %zu MiB corpus of %zu-byte pages # SKIP no corpus on this machine",
		       mib, page);
		goto out;
	}
	for (i = 0; i < c.npages; i++) {
		const unsigned char *p = c.data + i * page;
		size_t n = lzjb_compress(p, a, page, bound), m;

		bytes += n;
		if (ref_lzjb_decompress(a, back, n, page) != (long)n ||
		    memcmp(back, p, page))
			f1++;
		m = ref_lzjb_compress(p, b, page, bound + 32);
		if (lzjb_decompress(b, back, m, page) || memcmp(back, p, page))
			f2++;
		m = lzjb_compress(p, b, page, lim);
		if (m != page && (m != n || memcmp(a, b, n)))
			f3++;
	}
	printf("# ");
	corpus_describe(&c, "interop");
	result(!f1, "interop: %zu pages of %zu bytes, ldm stream -> reference decoder (%zu failed, ratio %.3f)",
	       c.npages, page, f1, (double)bytes / (c.npages * page));
	result(!f2, "interop: %zu pages of %zu bytes, reference stream -> ldm decoder (%zu failed)",
	       c.npages, page, f2);
	result(!f3, "interop: %zu pages of %zu bytes, d_len 7/8: s_len or the same stream (%zu failed)",
	       c.npages, page, f3);
	corpus_free(&c);
out:
	free(a);
	free(b);
	free(back);
}

int main(int argc, char **argv)
{
	quick = argc > 1 && !strcmp(argv[1], "--quick");
	printf("TAP version 13\n");
	edge_cases();
	known_vectors();
	hostile();
	interop(quick ? 2 : 64, 4096);
	interop(quick ? 2 : 32, 8192);
	printf("1..%u\n", tests);
	if (failures)
		diag("%u of %u tests failed", failures, tests);
	return failures ? 1 : 0;
}
