// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "size.h"

/* Suffix letters; the shift of letter i is 10 * (i + 1). */
static const char suffixes[] = "KMGTPE";

static int shift_of(char c)
{
	const char *p;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	p = c ? strchr(suffixes, c) : NULL;
	return p ? 10 * (int)(p - suffixes + 1) : -1;
}

int size_parse(const char *s, uint64_t *bytes, const char **why)
{
	uint64_t v = 0;
	const char *p = s;
	int shift = 0;

	if (!s || !*s) {
		*why = "size is empty";
		return -EINVAL;
	}
	/*
	 * Digits by hand: strtoull() would take leading spaces, a '+', a
	 * '-' (wrapping it to a huge value) and, with base 0, hex and octal.
	 */
	if (*p == '-') {
		*why = "size cannot be negative";
		return -EINVAL;
	}
	if (*p < '0' || *p > '9') {
		*why = "not a number";
		return -EINVAL;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10) {
			*why = "size is too large";
			return -ERANGE;
		}
		v = v * 10 + d;
	}
	if (*p == '.' || *p == ',') {
		*why = "fractional sizes are not supported (use a smaller unit: 1536M, not 1.5G)";
		return -EINVAL;
	}
	if (*p) {
		shift = shift_of(*p);
		if (shift < 0 || p[1]) {
			*why = "unknown size suffix (use K, M, G, T, P or E)";
			return -EINVAL;
		}
	}
	if (!v) {
		*why = "size cannot be zero";
		return -EINVAL;
	}
	if (v > UINT64_MAX >> shift) {
		*why = "size is too large";
		return -ERANGE;
	}
	*bytes = v << shift;
	return 0;
}

char *size_format(uint64_t bytes, char *buf, size_t size)
{
	int i;

	for (i = (int)sizeof(suffixes) - 2; i >= 0; i--) {
		unsigned int shift = 10 * (unsigned int)(i + 1);
		uint64_t unit = UINT64_C(1) << shift;
		uint64_t whole = bytes >> shift;
		uint64_t rem = bytes & (unit - 1);
		uint64_t tenths;

		if (!whole)
			continue;
		if (!rem) {
			snprintf(buf, size, "%" PRIu64 "%c", whole, suffixes[i]);
			return buf;
		}
		/* rem < 2^60, so rem * 10 fits in 64 bits. */
		tenths = (rem * 10 + unit / 2) >> shift;
		if (tenths == 10) {
			whole++;
			tenths = 0;
		}
		/* 1023.96K rounds to 1024.0K: say 1.0M instead. */
		if (whole == 1024 && suffixes[i + 1]) {
			whole = 1;
			i++;
		}
		snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "%c", whole, tenths,
			 suffixes[i]);
		return buf;
	}
	snprintf(buf, size, "%" PRIu64, bytes);
	return buf;
}
