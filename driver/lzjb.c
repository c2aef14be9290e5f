// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * LZJB, the compression format of ZFS, written here from the format.
 *
 * A stream is a sequence of groups. Each group starts with a copy-map byte
 * and holds up to eight items; bit k of the map (least significant first)
 * says whether item k is a literal byte (0) or a two-byte match (1). A match
 * is the match length minus 3 in the top six bits of its first byte, then a
 * ten-bit offset: the two low bits of the first byte are the offset's high
 * bits, the second byte its low eight bits. A match copies 3..66 bytes, one
 * at a time, from the output "offset" bytes back, so it may overlap the
 * bytes it produces (offset 1 repeats a byte). The stream ends when the
 * expected output length has been produced; the unused bits of the last map
 * are zero.
 *
 * The stream is the one ZFS reads and writes, but the code is built for
 * guest pages: the compressor finds matches with word compares and gives up
 * probing data that has not matched for a while, and the decompressor copies
 * literal runs and matches a word at a time. Both check every bound, so
 * neither touches memory outside the buffers it is given, whatever they hold.
 *
 * The file has no kernel dependency: it is built into ldm.ko and into the
 * userland tests, fuzzers and benchmarks of tools/codec/.
 */

#ifdef __KERNEL__
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/unaligned.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#endif

#include "lzjb.h"

#define LZJB_MATCH_BITS		6
#define LZJB_MATCH_MIN		3
#define LZJB_MATCH_MAX		((1 << LZJB_MATCH_BITS) + LZJB_MATCH_MIN - 1)
#define LZJB_OFFSET_MAX		((1 << (16 - LZJB_MATCH_BITS)) - 1)
#define LZJB_GROUP		8
/* A full group at worst: the map byte and eight matches. */
#define LZJB_GROUP_BYTES	(1 + 2 * LZJB_GROUP)

/*
 * The compressor's table of previous positions, indexed by a hash of the
 * three bytes found there. It lives on the stack, so it stays well under
 * the kernel's 2 KiB frame warning; 512 entries cost little ratio against
 * ZFS's 1024 because the window is only 1023 bytes anyway.
 */
#ifndef LZJB_HASH_BITS
#define LZJB_HASH_BITS		9
#endif
#define LZJB_HASH_SIZE		(1 << LZJB_HASH_BITS)

/*
 * After this many groups in a row without a match, the compressor probes
 * only the first item of a group and, if that is not a match either, takes
 * all eight as literals in one copy. Random or already compressed data then
 * costs little more than a copy until it overflows @d_len; a match resumes
 * full probing. Text and code rarely go 64 bytes without a match, so this
 * costs them almost nothing.
 */
#define LZJB_DRY_GROUPS		8

/*
 * Table positions are 16 bits, relative to a base that moves forward (and
 * the table is cleared) once a position is 64 KiB past it: a page never
 * gets there.
 */
#define LZJB_SEGMENT		0x10000

/*
 * The fast loops read up to nine words from a position (a match of 66
 * bytes is checked eight bytes at a time); closer to the end of the input
 * the careful loop takes over. A whole group is compressed without checking
 * each item when it cannot get there: eight items advance at most eight
 * maximal matches.
 */
#define LZJB_IN_MARGIN		(9 * 8)
#define LZJB_GROUP_SPAN		(LZJB_GROUP * LZJB_MATCH_MAX)

/*
 * The decompressor copies a group without checking each item against the
 * end of the input when the longest possible group (map, eight matches) and
 * an 8-byte overread of the last literal fit; and copies a match or a
 * literal run with whole words, overshooting by up to 8 + 64 bytes in all
 * for a match with an offset below 8, when that much output space is left.
 */
#define LZJB_GROUP_IN_MARGIN	(LZJB_GROUP_BYTES + 8)
#define LZJB_OUT_MARGIN		(8 + 64)

#ifdef __KERNEL__
static inline u64 lzjb_load64(const u8 *p)
{
	return get_unaligned_le64(p);
}

static inline unsigned int lzjb_ctz(u64 x)
{
	return __ffs64(x);
}
#else
static inline u64 lzjb_load64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline unsigned int lzjb_ctz(u64 x)
{
	return __builtin_ctzll(x);
}
#endif

/* Copies eight bytes; the two ranges must not overlap. */
static inline void lzjb_copy8(u8 *d, const u8 *s)
{
	memcpy(d, s, 8);
}

static inline u32 lzjb_hash(u32 v)
{
	/* Fibonacci hashing: the top bits of the product mix all 24 input bits */
	return (v * 0x9e3779b1U) >> (32 - LZJB_HASH_BITS);
}

/*
 * Length of the match at @ip against @ref = @ip - offset, capped at
 * LZJB_MATCH_MAX; 0 if shorter than LZJB_MATCH_MIN. @cur holds the eight
 * bytes at @ip. Reads up to LZJB_IN_MARGIN bytes from @ip.
 */
static inline unsigned int lzjb_match_fast(const u8 *ip, const u8 *ref,
					   u64 cur)
{
	u64 x = cur ^ lzjb_load64(ref);
	unsigned int len;

	if (x & 0xffffff)
		return 0;
	if (x)
		return lzjb_ctz(x) / 8;
	for (len = 8; len < LZJB_MATCH_MAX; len += 8) {
		x = lzjb_load64(ip + len) ^ lzjb_load64(ref + len);
		if (x) {
			len += lzjb_ctz(x) / 8;
			break;
		}
	}
	return len < LZJB_MATCH_MAX ? len : LZJB_MATCH_MAX;
}

/* Same as lzjb_match_fast(), one byte at a time, reading at most @max. */
static unsigned int lzjb_match_slow(const u8 *ip, const u8 *ref, size_t max)
{
	unsigned int len = 0;

	if (max > LZJB_MATCH_MAX)
		max = LZJB_MATCH_MAX;
	while (len < max && ip[len] == ref[len])
		len++;
	return len < LZJB_MATCH_MIN ? 0 : len;
}

/* Where the stream being written stands. */
struct lzjb_out {
	u8 *op;		/* next byte to write */
	u8 *end;	/* end of the room */
	u8 *map;	/* copy-map byte of the current group */
	unsigned int items;	/* items in it; LZJB_GROUP: none open */
};

/* Appends @n literals from @lit; false when they do not fit. */
static inline bool lzjb_put_literals(struct lzjb_out *o, const u8 *lit,
				     size_t n)
{
	while (n) {
		size_t k;

		if (o->items == LZJB_GROUP) {
			if (o->op == o->end)
				return false;
			o->map = o->op++;
			*o->map = 0;
			o->items = 0;
		}
		k = LZJB_GROUP - o->items;
		if (k > n)
			k = n;
		if (o->end - o->op >= 8) {
			lzjb_copy8(o->op, lit);
		} else if ((size_t)(o->end - o->op) >= k) {
			memcpy(o->op, lit, k);
		} else {
			return false;
		}
		o->op += k;
		o->items += k;
		lit += k;
		n -= k;
	}
	return true;
}

/* Appends a match; false when it does not fit. */
static inline bool lzjb_put_match(struct lzjb_out *o, unsigned int len,
				  unsigned int off)
{
	if (o->items == LZJB_GROUP) {
		if (o->end - o->op < 3)
			return false;
		o->map = o->op++;
		*o->map = 0;
		o->items = 0;
	} else if (o->end - o->op < 2) {
		return false;
	}
	*o->map |= 1 << o->items++;
	o->op[0] = (len - LZJB_MATCH_MIN) << 2 | off >> 8;
	o->op[1] = (u8)off;
	o->op += 2;
	return true;
}

/**
 * lzjb_compress() - compress a buffer into an LZJB stream
 * @src: the data to compress
 * @dst: where the stream goes
 * @s_len: bytes at @src
 * @d_len: room at @dst; nothing is written past it
 *
 * The stream depends on the data only, never on @d_len: a stream that fits
 * in @d_len comes out the same in any larger buffer. A caller that sends
 * pages raw when compression saves too little passes that limit as @d_len,
 * and an incompressible page is abandoned as soon as its pending literals
 * alone would overflow it.
 *
 * Return: the length of the stream, or @s_len when it does not fit in
 * @d_len (the caller then keeps the data uncompressed; a stream exactly
 * @s_len long is reported the same way, as it saves nothing).
 */
size_t lzjb_compress(const void *src, void *dst, size_t s_len, size_t d_len)
{
	u16 table[LZJB_HASH_SIZE];
	const u8 *const in = src;
	const u8 *const in_end = in + s_len;
	const u8 *ip = in;
	const u8 *anchor = in;	/* first byte not yet in the stream */
	struct lzjb_out o = {
		.op = dst,
		.end = (u8 *)dst + d_len,
		.items = LZJB_GROUP,
	};
	unsigned int len, off;

	/*
	 * Every entry must be a position that can be compared against, and the
	 * stream must not depend on stale stack contents: start from position
	 * 0 everywhere.
	 */
	memset(table, 0, sizeof(table));

	if (s_len > LZJB_IN_MARGIN) {
		const u8 *const in_fast = in_end - LZJB_IN_MARGIN;

		for (;;) {
			/*
			 * Literals from @anchor to the next match are certain:
			 * once they alone overflow the room, so does the stream.
			 */
			size_t room = o.end - o.op;
			const u8 *limit = in_fast;
			unsigned int probes = 0;
			size_t pos;
			u64 cur;

			if (anchor >= in_fast)
				goto tail;
			if ((size_t)(in_fast - anchor) > room)
				limit = anchor + room + 1;
			for (;;) {
				u32 h, step;

				if (ip >= limit) {
					if (ip >= in_fast)
						goto tail;
					return s_len;
				}
				pos = ip - in;
				cur = lzjb_load64(ip);
				h = lzjb_hash(cur & 0xffffff);
				off = (u16)(pos - table[h]);
				table[h] = (u16)pos;
				/*
				 * The table holds 0 or earlier positions modulo
				 * 2^16, so off <= pos: ip - off is inside the
				 * input even when off is out of range, and it is
				 * read before off is checked. One branch instead
				 * of two: the range check alone is a coin toss
				 * on data that does not match, and mispredicting
				 * it costs more than the read.
				 */
				if (!(((cur ^ lzjb_load64(ip - off)) & 0xffffff) |
				      (off - 1 >= LZJB_OFFSET_MAX)))
					break;
				step = 1 + (probes++ >> LZJB_SKIP_SHIFT);
				ip += step < LZJB_SKIP_MAX ? step : LZJB_SKIP_MAX;
			}
			len = lzjb_match_fast(ip, ip - off, cur);
			if (!lzjb_put_literals(&o, anchor, ip - anchor) ||
			    !lzjb_put_match(&o, len, off))
				return s_len;
			ip += len;
			anchor = ip;
		}
	}

tail:
	/* the last bytes: every position probed, every read checked */
	while (in_end - ip >= LZJB_MATCH_MIN) {
		size_t pos = ip - in;
		u32 h = lzjb_hash(ip[0] | ip[1] << 8 | ip[2] << 16);

		off = (u16)(pos - table[h]);
		table[h] = (u16)pos;
		len = 0;
		if (off - 1 < LZJB_OFFSET_MAX && off <= pos)
			len = lzjb_match_slow(ip, ip - off, in_end - ip);
		if (!len) {
			ip++;
			continue;
		}
		if (!lzjb_put_literals(&o, anchor, ip - anchor) ||
		    !lzjb_put_match(&o, len, off))
			return s_len;
		ip += len;
		anchor = ip;
	}
	if (!lzjb_put_literals(&o, anchor, in_end - anchor))
		return s_len;
	return o.op - (u8 *)dst;
}

/*
 * Copies a match of @len bytes from @op - @off to @op a word at a time.
 * Writes up to LZJB_OUT_MARGIN bytes from @op.
 */
static inline void lzjb_copy_match(u8 *op, size_t off, unsigned int len)
{
	/*
	 * For offsets below 8, a word would read bytes not yet produced.
	 * Once eight bytes are out, the output repeats with period @off, so
	 * it also repeats with the first multiple of @off that is at least 8,
	 * and words can be copied from that far back.
	 */
	static const u8 spread[8] = { 0, 8, 8, 9, 8, 10, 12, 14 };
	const u8 *ref = op - off;
	unsigned int i;

	if (off < 8) {
		for (i = 0; i < 8; i++)
			op[i] = ref[i];
		ref = op - spread[off];
	} else {
		/* most matches are short: two words, no loop */
		lzjb_copy8(op, ref);
		lzjb_copy8(op + 8, ref + 8);
		i = 16;
	}
	for (; i < len; i += 8)
		lzjb_copy8(op + i, ref + i);
}

/**
 * lzjb_decompress() - decompress an LZJB stream
 * @src: the stream
 * @dst: where the data goes
 * @s_len: length of the stream
 * @d_len: length of the data it must produce
 *
 * Whatever @src holds, nothing is read outside @src .. @src + @s_len, nothing
 * is written outside @dst .. @dst + @d_len, and a match may only refer to
 * bytes already produced. @dst may hold anything on error.
 *
 * Return: 0 when the stream produced exactly @d_len bytes and ended exactly
 * there; -EINVAL when it is malformed (offset 0, offset before the start of
 * the output, match past @d_len), shorter than needed or longer.
 */
int lzjb_decompress(const void *src, void *dst, size_t s_len, size_t d_len)
{
	const u8 *ip = src;
	const u8 *const in_end = ip + s_len;
	u8 *const out = dst;
	u8 *const out_end = out + d_len;
	u8 *op = out;

	while (op < out_end) {
		unsigned int map, len;
		size_t off;

		if (ip == in_end)
			return -EINVAL;
		/* a bit above the last item: the group ends when map == 1 */
		map = *ip++ | 1 << LZJB_GROUP;

		if (in_end - ip >= LZJB_GROUP_IN_MARGIN - 1) {
			/*
			 * The whole group is in the input: only the output
			 * and the offsets are checked, item by item.
			 */
			while (out_end - op >= LZJB_GROUP + LZJB_OUT_MARGIN) {
				/* literals up to the next match, as one word */
				len = lzjb_ctz(map);
				lzjb_copy8(op, ip);
				op += len;
				ip += len;
				map >>= len;
				if (map == 1)
					break;
				len = (ip[0] >> 2) + LZJB_MATCH_MIN;
				off = (ip[0] & 3) << 8 | ip[1];
				ip += 2;
				/* off == 0 wraps around and fails too */
				if (off - 1 >= (size_t)(op - out))
					return -EINVAL;
				lzjb_copy_match(op, off, len);
				op += len;
				map >>= 1;
				if (map == 1)
					break;
			}
		}

		/* near either end: every item checked */
		while (map != 1 && op < out_end) {
			if (!(map & 1)) {
				size_t n = lzjb_ctz(map);

				if (n > (size_t)(out_end - op))
					n = out_end - op;
				if (n > (size_t)(in_end - ip))
					return -EINVAL;
				if (in_end - ip >= 8 && out_end - op >= 8) {
					lzjb_copy8(op, ip);
				} else {
					for (len = 0; len < n; len++)
						op[len] = ip[len];
				}
				op += n;
				ip += n;
				map >>= n;
				continue;
			}

			if (in_end - ip < 2)
				return -EINVAL;
			len = (ip[0] >> 2) + LZJB_MATCH_MIN;
			off = (ip[0] & 3) << 8 | ip[1];
			ip += 2;
			if (off - 1 >= (size_t)(op - out) ||
			    len > (size_t)(out_end - op))
				return -EINVAL;
			if (out_end - op >= LZJB_OUT_MARGIN) {
				lzjb_copy_match(op, off, len);
				op += len;
			} else {
				const u8 *ref = op - off;

				while (len--)
					*op++ = *ref++;
			}
			map >>= 1;
		}
	}
	return ip == in_end ? 0 : -EINVAL;
}
