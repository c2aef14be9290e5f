// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: compress, then decompress, must give the input back.
 *
 * Input: one byte choosing a smaller output room, then the data. Checks,
 * with exact-size heap buffers throughout: the stream fits
 * lzjb_compress_bound(); it decodes to the input with both decoders; a room
 * of exactly its length gives the same stream, one byte less gives s_len;
 * the smaller room gives s_len or the same stream; and the reference
 * compressor's stream decodes with lzjb_decompress().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../driver/lzjb.h"
#include "ref_lzjb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char *xmalloc(size_t n)
{
	unsigned char *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n, bound, c, c2, room;
	unsigned char *src, *full, *dst, *back;

	if (!size)
		return 0;
	n = size - 1;
	bound = lzjb_compress_bound(n);
	src = xmalloc(n);
	memcpy(src, data + 1, n);

	full = xmalloc(bound);
	c = lzjb_compress(src, full, n, bound);
	if (c > bound)
		abort();

	back = xmalloc(n);
	if (lzjb_decompress(full, back, c, n) || memcmp(back, src, n))
		abort();
	free(back);
	back = xmalloc(n + 1);
	if (ref_lzjb_decompress(full, back, c, n) != (long)c ||
	    memcmp(back, src, n))
		abort();
	free(back);

	dst = xmalloc(c);
	if (lzjb_compress(src, dst, n, c) != c || memcmp(dst, full, c))
		abort();
	free(dst);
	if (c) {
		dst = xmalloc(c - 1);
		if (lzjb_compress(src, dst, n, c - 1) != n)
			abort();
		free(dst);
	}

	room = bound * data[0] / 255;
	dst = xmalloc(room);
	c2 = lzjb_compress(src, dst, n, room);
	if (c2 != n && (c2 != c || memcmp(dst, full, c)))
		abort();
	if (room >= c && c2 != c)
		abort();
	free(dst);

	dst = xmalloc(bound + 32);
	c2 = ref_lzjb_compress(src, dst, n, bound + 32);
	back = xmalloc(n);
	if (lzjb_decompress(dst, back, c2, n) || memcmp(back, src, n))
		abort();
	free(back);
	free(dst);
	free(full);
	free(src);
	return 0;
}
