/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A straightforward, byte-at-a-time LZJB, written from the format in the
 * manner of ZFS's own code: the baseline of the benchmark and the other end
 * of the interoperability tests. Not used by ldm itself.
 */
#ifndef LDM_REF_LZJB_H
#define LDM_REF_LZJB_H

#include <stddef.h>

/*
 * Compresses like ZFS's compressor: one 3-byte hash into a 1024-entry table
 * of previous positions, the last 66 bytes as literals, and it gives up
 * (returns s_len) as soon as fewer than 18 bytes of room are left at the
 * start of a group.
 */
size_t ref_lzjb_compress(const void *src, void *dst, size_t s_len,
			 size_t d_len);

/*
 * Decompresses like ZFS's decompressor: runs until d_len bytes are out,
 * refuses a match that starts before dst, shortens a match that would run
 * past d_len, and trusts the stream to be long enough (it does not look at
 * s_len). Returns the number of stream bytes consumed, or -1.
 */
long ref_lzjb_decompress(const void *src, void *dst, size_t s_len,
			 size_t d_len);

#endif
