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
 * The stream is the one ZFS reads and writes (any stream of one decodes
 * with the other), but the code is built for guest pages and for today's
 * processors, where a mispredicted branch or a load waiting on a store costs
 * more than a dozen instructions: the compressor has one unpredictable
 * branch per item, measures matches with word compares and crosses data
 * that does not match in big steps; the decompressor copies literal runs
 * and matches a word at a time. Both check every bound, so neither touches
 * memory outside the buffers it is given, whatever they hold.
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
#include <stddef.h>
#include <string.h>

/* The kernel's names, so that one body serves both builds. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

/* glibc defines it; elsewhere, plain inline still builds */
#ifndef __always_inline
#define __always_inline inline
#endif
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
 * three bytes found there. It lives on the stack, and ZFS's 1024 entries
 * would take the frame past the kernel's 2 KiB warning; 512 compress the
 * page mix of tools/codec as well (the window is only 1023 bytes anyway).
 */
#define LZJB_HASH_BITS		9
#define LZJB_HASH_SIZE		512	/* 2^LZJB_HASH_BITS */

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
 * The decompressor decodes a group without checking each item against the
 * end of the input when the longest group (map, eight matches) and an
 * 8-byte read of its last literal fit. It copies literal runs and matches
 * in whole words, writing up to 7 bytes past their end (which the next
 * item overwrites), when that much output space is left: a match of 66
 * bytes is nine words.
 */
#define LZJB_GROUP_IN_MARGIN	(LZJB_GROUP_BYTES + 8)
#define LZJB_OUT_MARGIN		(9 * 8)

#ifdef __KERNEL__
static inline u64 lzjb_load64(const u8 *p)
{
	return get_unaligned_le64(p);
}

static inline void lzjb_store64(u8 *p, u64 v)
{
	put_unaligned_le64(v, p);
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

static inline void lzjb_store64(u8 *p, u64 v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, sizeof(v));
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
 * Length of a match known to be at least 8 bytes long, capped at
 * LZJB_MATCH_MAX. Reads up to LZJB_IN_MARGIN bytes from @ip and @ref.
 */
static unsigned int lzjb_match_long(const u8 *ip, const u8 *ref)
{
	unsigned int len;
	u64 x;

	for (len = 8; len < LZJB_MATCH_MAX; len += 8) {
		x = lzjb_load64(ip + len) ^ lzjb_load64(ref + len);
		if (x) {
			len += lzjb_ctz(x) / 8;
			break;
		}
	}
	return len < LZJB_MATCH_MAX ? len : LZJB_MATCH_MAX;
}

/*
 * Length of the match at @ip against @ref, capped at LZJB_MATCH_MAX and at
 * @max, one byte at a time; 0 if shorter than LZJB_MATCH_MIN.
 */
static unsigned int lzjb_match_slow(const u8 *ip, const u8 *ref, size_t max)
{
	unsigned int len = 0;

	if (max > LZJB_MATCH_MAX)
		max = LZJB_MATCH_MAX;
	while (len < max && ip[len] == ref[len])
		len++;
	return len < LZJB_MATCH_MIN ? 0 : len;
}

/* Where the compressor stands; kept in registers once inlined. */
struct lzjb_state {
	const u8 *ip;		/* next input byte */
	const u8 *base;		/* what table positions are relative to */
	u8 *op;			/* next output byte */
	unsigned int bits;	/* copy-map bits of the current group so far */
};

/*
 * One item, in the fast loops: a match if the last position with the same
 * three bytes is 1..1023 bytes back, else a literal. The caller guarantees
 * LZJB_IN_MARGIN readable bytes at the position and room for the item.
 */
static __always_inline void lzjb_item(struct lzjb_state *s, u16 *table,
				      unsigned int bit)
{
	const u8 *ip = s->ip;
	u32 pos = ip - s->base;
	u64 cur = lzjb_load64(ip);
	u32 h = lzjb_hash(cur & 0xffffff);
	u32 prev = table[h];
	u32 off = pos - prev;
	u64 x;

	table[h] = pos;
	/*
	 * The table holds positions at or before this one, so the candidate
	 * can be read before its distance is checked: that takes the offset
	 * arithmetic off the critical path. And one branch instead of two:
	 * the distance check alone is a coin toss on data that does not
	 * match, and a misprediction costs more than the read.
	 */
	x = cur ^ lzjb_load64(s->base + prev);
	if (!((x & 0xffffff) | (off - 1 >= LZJB_OFFSET_MAX))) {
		unsigned int len = x ? lzjb_ctz(x) / 8 :
				   lzjb_match_long(ip, s->base + prev);

		s->bits |= bit;
		s->op[0] = (len - LZJB_MATCH_MIN) << 2 | off >> 8;
		s->op[1] = (u8)off;
		s->op += 2;
		s->ip = ip + len;
	} else {
		*s->op++ = (u8)cur;
		s->ip = ip + 1;
	}
}

/**
 * lzjb_compress() - compress a buffer into an LZJB stream
 * @src: the data to compress
 * @dst: where the stream goes
 * @s_len: bytes at @src
 * @d_len: room at @dst; nothing is written past it
 *
 * @src and @dst must not overlap. The stream depends on the data only,
 * never on @d_len: a stream that fits in @d_len comes out the same in any
 * larger buffer. A caller that sends pages raw when compression saves too
 * little passes that limit as @d_len, and an incompressible page is given
 * up as soon as the stream overflows it (after a cheap pass: see
 * LZJB_DRY_GROUPS).
 *
 * Return: the length of the stream, or @s_len when it does not fit in
 * @d_len (the caller then keeps the data uncompressed; a stream exactly
 * @s_len long is reported the same way, as it saves nothing).
 */
size_t lzjb_compress(const void *src, void *dst, size_t s_len, size_t d_len)
{
	u16 table[LZJB_HASH_SIZE];
	struct lzjb_state s = { .ip = src, .base = src, .op = dst };
	const u8 *in_end, *in_fast, *limit, *group_limit;
	u8 *out_end;
	u8 *map = dst;
	/* bit of the next item in *map; 1 << LZJB_GROUP: none open */
	unsigned int bit = 1 << LZJB_GROUP;
	/* groups in a row without a match; a dry group skips its rest */
	unsigned int dry = 0, skip = 0;

	/* nothing to do, or no room at all (and NULL buffers are then fine) */
	if (!s_len || !d_len)
		return s_len;
	in_end = s.ip + s_len;
	in_fast = s_len > LZJB_IN_MARGIN ? in_end - LZJB_IN_MARGIN : s.ip;
	out_end = s.op + d_len;

	/*
	 * Every entry must be a position that can be read, and the stream must
	 * not depend on stale stack contents: all entries start at the base.
	 */
	memset(table, 0, sizeof(table));

new_segment:
	/* fast loops stop at the end of the input's margin or the segment */
	limit = in_fast;
	if (limit - s.base > LZJB_SEGMENT)
		limit = s.base + LZJB_SEGMENT;
	group_limit = limit - s.base > LZJB_GROUP_SPAN ?
		      limit - LZJB_GROUP_SPAN : s.base;

	while (bit == 1 << LZJB_GROUP) {
		if (s.ip >= limit) {
			if (s.ip >= in_fast)
				break;
			goto reset;
		}
		if (out_end - s.op < LZJB_GROUP_BYTES)
			break;
		map = s.op++;
		s.bits = 0;
		bit = 1;
		if (dry >= LZJB_DRY_GROUPS) {
			lzjb_item(&s, table, 1);
			if (!s.bits) {
				/* the other seven as literals, unprobed */
				lzjb_copy8(s.op, s.ip);
				s.op += LZJB_GROUP - 1;
				s.ip += LZJB_GROUP - 1;
				*map = 0;
				dry++;
				bit = 1 << LZJB_GROUP;
				continue;
			}
			bit = 2;
		}
		if (bit == 1 && s.ip < group_limit) {
			/* unrolled: a loop exit per group mispredicts often */
			lzjb_item(&s, table, 1);
			lzjb_item(&s, table, 2);
			lzjb_item(&s, table, 4);
			lzjb_item(&s, table, 8);
			lzjb_item(&s, table, 16);
			lzjb_item(&s, table, 32);
			lzjb_item(&s, table, 64);
			lzjb_item(&s, table, 128);
			bit = 1 << LZJB_GROUP;
		} else {
			for (; bit < 1 << LZJB_GROUP; bit <<= 1) {
				if (s.ip >= limit) {
					/* finish the group in the careful loop */
					*map = s.bits;
					skip = 0;
					if (s.ip >= in_fast)
						goto careful;
					goto reset;
				}
				lzjb_item(&s, table, bit);
			}
		}
		*map = s.bits;
		dry = s.bits ? 0 : dry + 1;
	}

careful:
	/*
	 * Careful loop: the last bytes of the input or of the room, one item
	 * at a time, every read and write checked. It takes the decisions
	 * the fast loops take, so where it takes over never changes the
	 * stream.
	 */
	while (s.ip < in_end) {
		const u8 *ip = s.ip;
		unsigned int open = bit == 1 << LZJB_GROUP;
		unsigned int len = 0;
		u32 off = 0;

		if ((open || !skip) && in_end - ip >= LZJB_MATCH_MIN) {
			u32 h = lzjb_hash(ip[0] | ip[1] << 8 | ip[2] << 16);
			u32 pos, prev;

			if (ip - s.base >= LZJB_SEGMENT) {
				s.base = ip;
				memset(table, 0, sizeof(table));
			}
			pos = ip - s.base;
			prev = table[h];
			off = pos - prev;
			table[h] = pos;
			if (off - 1 < LZJB_OFFSET_MAX)
				len = lzjb_match_slow(ip, s.base + prev,
						      in_end - ip);
		}
		if (out_end - s.op < open + (len ? 2 : 1))
			return s_len;
		if (open) {
			map = s.op++;
			*map = 0;
			bit = 1;
			skip = dry >= LZJB_DRY_GROUPS && !len;
		}
		if (len) {
			*map |= bit;
			s.op[0] = (len - LZJB_MATCH_MIN) << 2 | off >> 8;
			s.op[1] = (u8)off;
			s.op += 2;
			s.ip += len;
		} else {
			*s.op++ = *s.ip++;
		}
		bit <<= 1;
		if (bit == 1 << LZJB_GROUP) {
			dry = *map ? 0 : dry + 1;
			/* after a segment change, back to the fast loops */
			if (s.ip < in_fast &&
			    out_end - s.op >= LZJB_GROUP_BYTES)
				goto new_segment;
		}
	}
	return s.op - (u8 *)dst;

reset:
	/* a new segment: positions restart from the current one */
	s.base = s.ip;
	memset(table, 0, sizeof(table));
	if (bit == 1 << LZJB_GROUP)
		goto new_segment;
	/* mid-group: finish it in the careful loop, which resets alike */
	goto careful;
}

/*
 * Copies a match of @len bytes from @op - @off to @op. Writes up to
 * LZJB_OUT_MARGIN bytes from @op, and may read (but ignores) bytes from @op
 * up to @op + 8.
 */
static inline void lzjb_copy_match(u8 *op, size_t off, unsigned int len)
{
	const u8 *ref = op - off;
	unsigned int i;

	if (off >= 8) {
		/* most matches are 3..16 bytes: two words, no branch */
		lzjb_copy8(op, ref);
		lzjb_copy8(op + 8, ref + 8);
		for (i = 16; i < len; i += 8)
			lzjb_copy8(op + i, ref + i);
	} else if (len <= 8) {
		/*
		 * A short match close behind, typically between literals in a
		 * table of small numbers. The bytes it repeats were just
		 * written by several stores; a word read across them waits
		 * for all to reach the cache, while each byte read is served
		 * from the one store that holds it.
		 */
		for (i = 0; i < 8; i++)
			op[i] = ref[i];
	} else {
		/*
		 * A long run of a short pattern. Build the first word in a
		 * register (the pattern times 1 + 2^(8 * off) + ...), then
		 * get each next word by rotating the previous one by 8 % off
		 * bytes: both halves of a rotated periodic word agree where
		 * they overlap.
		 */
		static const u64 spread[8] = {
			0, 0x0101010101010101ULL, 0x0001000100010001ULL,
			0x0001000001000001ULL, 0x0000000100000001ULL,
			0x0000010000000001ULL, 0x0001000000000001ULL,
			0x0100000000000001ULL,
		};
		/* (8 % off) * 8, without a division */
		static const u8 rot[8] = { 0, 0, 0, 16, 0, 24, 16, 8 };
		unsigned int r = rot[off], l = off * 8 - r;
		u64 w = (lzjb_load64(ref) & (~0ULL >> (64 - off * 8))) *
			spread[off];

		lzjb_store64(op, w);
		for (i = 8; i < len; i += 8) {
			w = w >> r | w << l;
			lzjb_store64(op + i, w);
		}
	}
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
 * bytes already produced. @src and @dst must not overlap; @dst may hold
 * anything on error.
 *
 * Return: 0 when the stream produced exactly @d_len bytes and ended exactly
 * there; -EINVAL when it is malformed (offset 0, offset before the start of
 * the output, match past @d_len), shorter than needed or longer.
 */
int lzjb_decompress(const void *src, void *dst, size_t s_len, size_t d_len)
{
	const u8 *ip = src;
	const u8 *in_end;
	u8 *const out = dst;
	u8 *op = out;
	u8 *out_end;
	unsigned int map, len;
	size_t off;

	/* an empty stream for empty data (and NULL buffers are then fine) */
	if (!d_len || !s_len)
		return s_len || d_len ? -EINVAL : 0;
	in_end = ip + s_len;
	out_end = out + d_len;

	while (op < out_end) {
		if (ip == in_end)
			return -EINVAL;
		/* a bit above the last item: the group ends when map == 1 */
		map = *ip++ | 1 << LZJB_GROUP;

		/*
		 * While a whole group is in the input and the longest item
		 * fits in the output, only the offsets need checking.
		 */
		while (in_end - ip >= LZJB_GROUP_IN_MARGIN - 1 &&
		       out_end - op >= LZJB_GROUP + LZJB_OUT_MARGIN) {
			/* literals up to the next match, as one word */
			len = lzjb_ctz(map);
			lzjb_copy8(op, ip);
			op += len;
			ip += len;
			map >>= len;
			if (map == 1) {
				/* the next group, if all of it is there */
				if (in_end - ip < LZJB_GROUP_IN_MARGIN)
					break;
				map = *ip++ | 1 << LZJB_GROUP;
				continue;
			}
			len = (ip[0] >> 2) + LZJB_MATCH_MIN;
			off = (ip[0] & 3) << 8 | ip[1];
			ip += 2;
			/* off == 0 wraps around and fails too */
			if (off - 1 >= (size_t)(op - out))
				return -EINVAL;
			lzjb_copy_match(op, off, len);
			op += len;
			map >>= 1;
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
