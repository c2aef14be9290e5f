// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: lzjb_decompress() on anything.
 *
 * Input: two bytes of d_len (little endian), then the stream. Both buffers
 * are heap blocks of exactly s_len and d_len bytes, so AddressSanitizer
 * reports any read past the stream, any write past d_len and any read
 * before the output (an offset reaching before it). A stream that is
 * accepted must decode the same with the reference decoder and be consumed
 * to its last byte.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../driver/lzjb.h"
#include "ref_lzjb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t d_len, s_len;
	unsigned char *src, *dst, *ref;
	int r;

	if (size < 2)
		return 0;
	d_len = data[0] | data[1] << 8;
	s_len = size - 2;
	src = malloc(s_len ? s_len : 1);
	dst = malloc(d_len ? d_len : 1);
	if (!src || !dst)
		abort();
	memcpy(src, data + 2, s_len);

	r = lzjb_decompress(src, dst, s_len, d_len);
	if (r != 0 && r != -EINVAL)
		abort();
	if (r == 0) {
		ref = malloc(d_len + 1);
		if (!ref ||
		    ref_lzjb_decompress(src, ref, s_len, d_len) != (long)s_len ||
		    memcmp(ref, dst, d_len))
			abort();
		free(ref);
	}
	free(src);
	free(dst);
	return 0;
}
