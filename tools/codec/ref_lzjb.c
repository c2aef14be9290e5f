// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reference LZJB, one byte at a time, from the format (see ref_lzjb.h).
 * Deliberately plain: it is the yardstick, not the product.
 */
#include <stdint.h>

#include "ref_lzjb.h"

#define NBBY		8			/* bits per byte, items per map */
#define MATCH_BITS	6
#define MATCH_MIN	3
#define MATCH_MAX	((1 << MATCH_BITS) + (MATCH_MIN - 1))	/* 66 */
#define OFFSET_MASK	((1 << (16 - MATCH_BITS)) - 1)		/* 1023 */
#define TABLE_SIZE	1024

size_t ref_lzjb_compress(const void *s_start, void *d_start, size_t s_len,
			 size_t d_len)
{
	const uint8_t *src = s_start;
	const uint8_t *s_end = src + s_len;
	uint8_t *dst = d_start;
	uint8_t *map = NULL;
	unsigned int mask = 1 << (NBBY - 1);
	uint16_t table[TABLE_SIZE] = { 0 };

	while (src < s_end) {
		unsigned int h, offset, mlen;
		const uint8_t *cpy;

		mask <<= 1;
		if (mask == 1 << NBBY) {
			/* room for a whole group (map + 8 matches) and one more */
			if ((size_t)(dst - (uint8_t *)d_start) + 1 + 2 * NBBY >=
			    d_len)
				return s_len;
			mask = 1;
			map = dst++;
			*map = 0;
		}
		if (s_end - src <= MATCH_MAX) {
			*dst++ = *src++;
			continue;
		}
		h = (unsigned int)src[0] << 16 | src[1] << 8 | src[2];
		h = (h ^ h >> 10 ^ h >> 20) & (TABLE_SIZE - 1);
		offset = (uint16_t)(src - (const uint8_t *)s_start - table[h]) &
			 OFFSET_MASK;
		table[h] = (uint16_t)(src - (const uint8_t *)s_start);
		/* only formed into a pointer once known to be inside src */
		cpy = offset <= (size_t)(src - (const uint8_t *)s_start) ?
		      src - offset : src;
		if (cpy != src &&
		    cpy[0] == src[0] && cpy[1] == src[1] && cpy[2] == src[2]) {
			*map |= mask;
			for (mlen = MATCH_MIN; mlen < MATCH_MAX; mlen++)
				if (src[mlen] != cpy[mlen])
					break;
			*dst++ = (mlen - MATCH_MIN) << (NBBY - MATCH_BITS) |
				 offset >> NBBY;
			*dst++ = (uint8_t)offset;
			src += mlen;
		} else {
			*dst++ = *src++;
		}
	}
	return dst - (uint8_t *)d_start;
}

long ref_lzjb_decompress(const void *s_start, void *d_start, size_t s_len,
			 size_t d_len)
{
	const uint8_t *src = s_start;
	uint8_t *dst = d_start;
	uint8_t *d_end = dst + d_len;
	unsigned int map = 0, mask = 1 << (NBBY - 1);

	(void)s_len;
	while (dst < d_end) {
		mask <<= 1;
		if (mask == 1 << NBBY) {
			mask = 1;
			map = *src++;
		}
		if (map & mask) {
			unsigned int mlen = (src[0] >> (NBBY - MATCH_BITS)) +
					    MATCH_MIN;
			unsigned int offset = (src[0] << NBBY | src[1]) &
					      OFFSET_MASK;
			const uint8_t *cpy;

			src += 2;
			if (offset > (size_t)(dst - (uint8_t *)d_start))
				return -1;
			cpy = dst - offset;
			if (mlen > (size_t)(d_end - dst))
				mlen = d_end - dst;
			while (mlen--)
				*dst++ = *cpy++;
		} else {
			*dst++ = *src++;
		}
	}
	return src - (const uint8_t *)s_start;
}
