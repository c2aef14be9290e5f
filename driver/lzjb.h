/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * LZJB, the compression format of ZFS, for guest pages.
 *
 * The codec has no kernel dependency: the same lzjb.c is built into ldm.ko
 * and into the userland tests, fuzzers and benchmarks under tools/codec/.
 */
#ifndef _LDM_LZJB_H
#define _LDM_LZJB_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#endif

/*
 * The largest stream lzjb_compress() can produce from @n input bytes: every
 * byte a literal, plus one copy-map byte per eight of them. A match never
 * costs more than the literals it replaces.
 */
static inline size_t lzjb_compress_bound(size_t n)
{
	return n + (n + 7) / 8;
}

size_t lzjb_compress(const void *src, void *dst, size_t s_len, size_t d_len);
int lzjb_decompress(const void *src, void *dst, size_t s_len, size_t d_len);

#endif /* _LDM_LZJB_H */
