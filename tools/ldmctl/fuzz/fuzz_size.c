// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: byte sizes (size.c), size_parse() and size_format().
 *
 * Why: 'add-domain --memory 64M' and 'migrate --bandwidth 100M' take sizes
 * from the command line (and from scripts that build command lines), and
 * size_format() writes them back in every table and progress line.
 *
 * The input is the argument (cut at a NUL, in a block of its size).
 * Invariants: size_parse() returns 0, -EINVAL or -ERANGE with a reason
 * (-ERANGE for digits beyond 64 bits, whatever follows them); it accepts
 * exactly digits and at most one suffix K M G T P E (either case),
 * nonzero, below 2^64, and then the value is the digits times the
 * suffix's power of 1024 (computed here in 128 bits), so a multiple of
 * that unit. size_format() of that value (and of the input's first 8
 * bytes taken as a number) fits SIZE_STR_MAX; when it has no decimal
 * point it parses back to the same value, and when it has one it is
 * within half a tenth of the unit it names.
 */
#include <errno.h>
#include <inttypes.h>

#include "size.h"
#include "fuzz.h"

static int shift_of(char c)
{
	static const char up[] = "KMGTPE", low[] = "kmgtpe";
	const char *p;

	if (!c)
		return -1;
	p = strchr(up, c);
	if (p)
		return 10 * (int)(p - up + 1);
	p = strchr(low, c);
	return p ? 10 * (int)(p - low + 1) : -1;
}

/* The oracle: 1 and @v, or 0 (not a size), or -1 (too large). */
static int oracle(const char *s, uint64_t *v)
{
	unsigned __int128 x = 0;
	int shift = 0;
	bool big = false;

	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		x = x * 10 + (unsigned int)(*s - '0');
		if (x > UINT64_MAX) {
			big = true;
			x = (unsigned __int128)UINT64_MAX + 1;
		}
	}
	/* Digits beyond 64 bits are "too large" whatever follows them. */
	if (big)
		return -1;
	if (*s) {
		shift = shift_of(*s);
		if (shift < 0 || s[1])
			return 0;
	}
	if (!x)
		return 0;
	x <<= shift;
	if (x > UINT64_MAX)
		return -1;
	*v = (uint64_t)x;
	return 1;
}

static void check_format(uint64_t v)
{
	char buf[SIZE_STR_MAX], *dot;
	const char *why = NULL;
	uint64_t back = 0;
	int shift;

	FUZZ_CHECK(size_format(v, buf, sizeof(buf)) == buf);
	FUZZ_CHECK(strlen(buf) < sizeof(buf) - 1);	/* never cut */
	dot = strchr(buf, '.');
	if (!v) {
		FUZZ_CHECK(!strcmp(buf, "0"));
	} else if (!dot) {
		FUZZ_CHECK(size_parse(buf, &back, &why) == 0 && back == v);
	} else {
		/* "W.TX": W + T/10 units of X, rounded to the nearest tenth. */
		unsigned __int128 shown, unit, diff;
		uint64_t whole = 0, tenth;
		const char *p = buf;

		for (; *p >= '0' && *p <= '9'; p++)
			whole = whole * 10 + (uint64_t)(*p - '0');
		FUZZ_CHECK(p == dot && p[1] >= '0' && p[1] <= '9');
		tenth = (uint64_t)(p[1] - '0');
		shift = shift_of(p[2]);
		FUZZ_CHECK(shift > 0 && !p[3] && p[2] >= 'A' && p[2] <= 'Z');
		FUZZ_CHECK(whole >= 1 && whole <= 1024);
		unit = (unsigned __int128)1 << shift;
		shown = (whole * 10 + tenth) * unit;	/* ten times */
		diff = shown > (unsigned __int128)v * 10 ?
		       shown - (unsigned __int128)v * 10 :
		       (unsigned __int128)v * 10 - shown;
		FUZZ_CHECK(diff * 2 <= unit);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	const char *why = NULL;
	uint64_t bytes = 0, want = 0, raw = 0;
	int r, o, shift;

	r = size_parse(s, &bytes, &why);
	o = oracle(s, &want);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	FUZZ_CHECK(r == 0 || (why && *why));
	FUZZ_CHECK(o == 1 ? r == 0 : o == 0 ? r == -EINVAL : r == -ERANGE);
	if (!r) {
		FUZZ_CHECK(bytes == want && bytes);
		shift = s[0] ? shift_of(s[strlen(s) - 1]) : -1;
		if (shift > 0)
			FUZZ_CHECK(bytes % ((uint64_t)1 << shift) == 0);
		check_format(bytes);
	}
	memcpy(&raw, data, size < sizeof(raw) ? size : sizeof(raw));
	check_format(raw);
	free(s);
	return 0;
}
