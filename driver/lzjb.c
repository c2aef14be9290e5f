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
 * more than a dozen instructions.
 *
 * The compressor has one unpredictable branch per item, measures matches
 * with word compares and crosses data that does not match in big steps. A
 * match found costs it a mispredicted branch and the wait for the next
 * position's table lookup, several times what a literal costs, so it takes
 * only matches of 4 bytes or more (the format allows 3): on the page mix of
 * tools/codec that makes it about 1.3x faster for about 4 % more bytes out
 * (5 % on code), and the decompressor, with fewer items to decode, about
 * 1.2x faster (see Documentation/performance.rst).
 *
 * The decompressor decodes up to eight groups at a time (a "superblock"):
 * it first gathers their map bytes into one 64-bit mask, a bit per item,
 * and their items, map bytes left out, into a buffer on the stack; then each
 * match is one step, the literals before it in one 16-byte copy and the
 * match in another. Decoding group by group would spend a step on every
 * group's end too, and would find the next group only through the map byte
 * it reads there: a chain of dependent loads on the way of every step.
 * Here that chain is followed once per superblock, ahead of the steps that
 * need it, while the previous superblock is being decoded.
 *
 * Both check every bound, so neither touches memory outside the buffers it
 * is given, whatever they hold; the decompressor reads no byte of its
 * output that it has not written.
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
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#include "lzjb.h"

#define LZJB_MATCH_BITS		6
#define LZJB_MATCH_MIN		3
#define LZJB_MATCH_MAX		((1 << LZJB_MATCH_BITS) + LZJB_MATCH_MIN - 1)
#define LZJB_OFFSET_MAX		((1 << (16 - LZJB_MATCH_BITS)) - 1)
#define LZJB_GROUP		8
/*
 * The shortest match the compressor takes. One of 3 bytes saves little more
 * than a byte and costs the compressor as much as a longer one (see above),
 * so it only takes them at the very end of the input, where no 4th byte is
 * left to compare; the table is then indexed by 4 bytes, so that its
 * candidate is the last position where the same 4 were. Built with 3, the
 * compressor produces the streams it did before it took only 4 or more.
 */
#ifndef LZJB_FIND_MIN
#define LZJB_FIND_MIN		4
#endif
/* the bytes that index the table and must match, in a little-endian load */
#define LZJB_FIND_MASK		(~0U >> (32 - 8 * LZJB_FIND_MIN))
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
 * The decompressor's superblocks: up to LZJB_SB_GROUPS groups, their items
 * gathered (at most 16 bytes a group) into a buffer with room for a 16-byte
 * copy that starts at their end. A group is gathered with one 16-byte copy
 * whatever its size, when the input holds LZJB_SB_GROUP_IN bytes from its
 * map byte on.
 */
#define LZJB_SB_GROUPS		8
#define LZJB_SB_GROUP_IN	(1 + 16)
#define LZJB_SB_BUF		(LZJB_SB_GROUPS * 16 + 16)

/*
 * A step copies the literals before a match as 16 bytes and a match of up
 * to 16 bytes as 16, whatever their lengths, when 16 bytes of output are
 * left past the literals (the next step overwrites the excess); a longer
 * match is copied in words, up to 9 of them (66 bytes), when
 * LZJB_OUT_MARGIN bytes are left, else byte by byte.
 */
#define LZJB_FAST_COPY		16
#define LZJB_OUT_MARGIN		(9 * 8)

#ifdef __KERNEL__
static __always_inline u64 lzjb_load64(const u8 *p)
{
	return get_unaligned_le64(p);
}

static __always_inline void lzjb_store64(u8 *p, u64 v)
{
	put_unaligned_le64(v, p);
}

static __always_inline unsigned int lzjb_ctz(u64 x)
{
	return __ffs64(x);
}

static __always_inline u32 lzjb_load_be32(const u8 *p)
{
	return get_unaligned_be32(p);
}

static __always_inline unsigned int lzjb_weight64(u64 x)
{
	return hweight64(x);
}
#else
static __always_inline u64 lzjb_load64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static __always_inline void lzjb_store64(u8 *p, u64 v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, sizeof(v));
}

static __always_inline unsigned int lzjb_ctz(u64 x)
{
	return __builtin_ctzll(x);
}

static __always_inline u32 lzjb_load_be32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static __always_inline unsigned int lzjb_weight64(u64 x)
{
	return __builtin_popcountll(x);
}
#endif

/* Copies eight bytes; the two ranges must not overlap. */
static __always_inline void lzjb_copy8(u8 *d, const u8 *s)
{
	memcpy(d, s, 8);
}

static __always_inline u32 lzjb_hash(u32 v)
{
	/* Fibonacci hashing: the top bits of the product mix all the input bits */
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
 * Length of the match at @ip against @ref, one byte at a time, capped at
 * LZJB_MATCH_MAX and at the @left bytes of input there are at @ip; 0 if
 * shorter than LZJB_FIND_MIN, unless it takes all of the last 3 bytes.
 */
static unsigned int lzjb_match_slow(const u8 *ip, const u8 *ref, size_t left)
{
	size_t max = left < LZJB_MATCH_MAX ? left : LZJB_MATCH_MAX;
	unsigned int len = 0;

	while (len < max && ip[len] == ref[len])
		len++;
	if (len >= LZJB_FIND_MIN || (len >= LZJB_MATCH_MIN && len == left))
		return len;
	return 0;
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
 * four bytes is 1..1023 bytes back, else a literal. The caller guarantees
 * LZJB_IN_MARGIN readable bytes at the position and room for the item.
 */
static __always_inline void lzjb_item(struct lzjb_state *s, u16 *table,
				      unsigned int bit)
{
	const u8 *ip = s->ip;
	u32 pos = ip - s->base;
	u64 cur = lzjb_load64(ip);
	u32 h = lzjb_hash((u32)cur & LZJB_FIND_MASK);
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
	if (!(((u32)x & LZJB_FIND_MASK) | (off - 1 >= LZJB_OFFSET_MAX))) {
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
			/* the fast loops' bytes; a 0 for a 4th not there */
			u32 v = ip[0] | ip[1] << 8 | ip[2] << 16 |
				(u32)(in_end - ip > 3 ? ip[3] : 0) << 24;
			u32 h = lzjb_hash(v & LZJB_FIND_MASK);
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

/* Copies 16 bytes as two words, the first written before the second read. */
static __always_inline void lzjb_copy16(u8 *d, const u8 *s)
{
	lzjb_copy8(d, s);
	lzjb_copy8(d + 8, s + 8);
}

/*
 * Copies a match of @len (3..66) bytes from @off bytes back, where
 * 1 <= @off <= @have and @have bytes of output precede @op, into the
 * LZJB_OUT_MARGIN bytes at @op, which it may all write. Reads only bytes it
 * or the decoder wrote before: each word read lies below @op, or below what
 * the previous word of the copy wrote. Unrolled, for the lengths vary too
 * much for a loop's exit to be predicted.
 */
static void lzjb_copy_match(u8 *op, size_t off, unsigned int len, size_t have)
{
	const u8 *ref = op - off;
	unsigned int i;

	if (off >= 8) {
		lzjb_copy8(op, ref);
		lzjb_copy8(op + 8, ref + 8);
		lzjb_copy8(op + 16, ref + 16);
		lzjb_copy8(op + 24, ref + 24);
		lzjb_copy8(op + 32, ref + 32);
		lzjb_copy8(op + 40, ref + 40);
		lzjb_copy8(op + 48, ref + 48);
		lzjb_copy8(op + 56, ref + 56);
		lzjb_copy8(op + 64, ref + 64);
	} else if (len <= 8 || have < 8) {
		/*
		 * A short match close behind, typically between literals in a
		 * table of small numbers (or one in the first 8 bytes of the
		 * output, with no word before it). The bytes it repeats were
		 * just written by several stores; a word read across them
		 * waits for all to reach the cache, while each byte read is
		 * served from the one store that holds it.
		 */
		for (i = 0; i < len; i++)
			op[i] = ref[i];
	} else {
		/*
		 * A long run of a short pattern. Build the first word in a
		 * register from the @off bytes before @op (the pattern times
		 * 1 + 2^(8 * off) + ...), then get each next word by rotating
		 * the previous one by 8 % off bytes: both halves of a rotated
		 * periodic word agree where they overlap.
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
		u64 w = (lzjb_load64(op - 8) >> (64 - off * 8)) * spread[off];

		for (i = 0; i < LZJB_OUT_MARGIN; i += 8) {
			lzjb_store64(op + i, w);
			w = w >> r | w << l;
		}
	}
}

/*
 * Bytes in a whole group with this map byte: the map byte, 8 items, and a
 * second byte for each match (9 + the number of bits set).
 */
static const u8 lzjb_group_len[256] = {
	9, 10, 10, 11, 10, 11, 11, 12, 10, 11, 11, 12, 11, 12, 12, 13,
	10, 11, 11, 12, 11, 12, 12, 13, 11, 12, 12, 13, 12, 13, 13, 14,
	10, 11, 11, 12, 11, 12, 12, 13, 11, 12, 12, 13, 12, 13, 13, 14,
	11, 12, 12, 13, 12, 13, 13, 14, 12, 13, 13, 14, 13, 14, 14, 15,
	10, 11, 11, 12, 11, 12, 12, 13, 11, 12, 12, 13, 12, 13, 13, 14,
	11, 12, 12, 13, 12, 13, 13, 14, 12, 13, 13, 14, 13, 14, 14, 15,
	11, 12, 12, 13, 12, 13, 13, 14, 12, 13, 13, 14, 13, 14, 14, 15,
	12, 13, 13, 14, 13, 14, 14, 15, 13, 14, 14, 15, 14, 15, 15, 16,
	10, 11, 11, 12, 11, 12, 12, 13, 11, 12, 12, 13, 12, 13, 13, 14,
	11, 12, 12, 13, 12, 13, 13, 14, 12, 13, 13, 14, 13, 14, 14, 15,
	11, 12, 12, 13, 12, 13, 13, 14, 12, 13, 13, 14, 13, 14, 14, 15,
	12, 13, 13, 14, 13, 14, 14, 15, 13, 14, 14, 15, 14, 15, 15, 16,
	11, 12, 12, 13, 12, 13, 13, 14, 12, 13, 13, 14, 13, 14, 14, 15,
	12, 13, 13, 14, 13, 14, 14, 15, 13, 14, 14, 15, 14, 15, 15, 16,
	12, 13, 13, 14, 13, 14, 14, 15, 13, 14, 14, 15, 14, 15, 15, 16,
	13, 14, 14, 15, 14, 15, 15, 16, 14, 15, 15, 16, 15, 16, 16, 17,
};

/* A superblock: the maps and items of up to LZJB_SB_GROUPS groups. */
struct lzjb_sb {
	u64 mm;			/* bit k: item k is a match */
	unsigned int items;	/* 8 per group */
	u8 buf[LZJB_SB_BUF];	/* the items, one after the other */
};

/*
 * Gathers the group at @p, the @g-th of a superblock, when LZJB_SB_GROUP_IN
 * bytes of input are there; returns the next group's map byte.
 */
static __always_inline const u8 *lzjb_sb_group(const u8 *p, u64 *mm, u8 **bp,
					       unsigned int g)
{
	unsigned int n = lzjb_group_len[*p];

	*mm |= (u64)*p << (8 * g);
	lzjb_copy16(*bp, p + 1);
	*bp += n - 1;
	return p + n;
}

/*
 * Gathers up to LZJB_SB_GROUPS whole groups from the map byte at @p on: a
 * last group cut short by the end of the input is left to the careful loop
 * of lzjb_decompress(). Returns where the next superblock starts.
 */
static __always_inline const u8 *lzjb_sb_gather(struct lzjb_sb *sb,
						const u8 *p, const u8 *in_end)
{
	u8 *bp = sb->buf;
	u64 mm = 0;
	unsigned int g;

	if (in_end - p >= LZJB_SB_GROUPS * LZJB_SB_GROUP_IN) {
		/* unrolled: the chain of map bytes is what takes time here */
		p = lzjb_sb_group(p, &mm, &bp, 0);
		p = lzjb_sb_group(p, &mm, &bp, 1);
		p = lzjb_sb_group(p, &mm, &bp, 2);
		p = lzjb_sb_group(p, &mm, &bp, 3);
		p = lzjb_sb_group(p, &mm, &bp, 4);
		p = lzjb_sb_group(p, &mm, &bp, 5);
		p = lzjb_sb_group(p, &mm, &bp, 6);
		p = lzjb_sb_group(p, &mm, &bp, 7);
		g = LZJB_SB_GROUPS;
	} else {
		for (g = 0; g < LZJB_SB_GROUPS && p < in_end; g++) {
			unsigned int n = lzjb_group_len[*p];

			if (in_end - p < n)
				break;
			if (in_end - p >= LZJB_SB_GROUP_IN) {
				p = lzjb_sb_group(p, &mm, &bp, g);
			} else {
				mm |= (u64)*p << (8 * g);
				memcpy(bp, p + 1, n - 1);
				bp += n - 1;
				p += n;
			}
		}
	}
	sb->mm = mm;
	sb->items = g * LZJB_GROUP;
	return p;
}

/*
 * Decodes the matches of a superblock from item *@itemp on, and the literals
 * before each; @tipp points at item *@itemp in the superblock's buffer. When
 * @near, the output is shorter than the longest offset and each offset is
 * checked against it; further on, none can reach before @out.
 *
 * Return: 0 when no match is left, 1 when the output runs short first (the
 * state then stands at the item it could not decode), -EINVAL on an offset
 * before the start of the output or a match past its end.
 */
static __always_inline int lzjb_sb_run(const u8 **tipp, u8 **opp, u64 *mmp,
				       unsigned int *itemp, u8 *out, u8 *out_end,
				       bool near)
{
	const u8 *tip = *tipp;
	u8 *op = *opp;
	u64 mm = *mmp;
	unsigned int i = *itemp, e, n, x, len;
	size_t off;
	int ret = 0;

	while (mm) {
		/* the literals up to the next match: items i .. e - 1 */
		e = lzjb_ctz(mm);
		n = e - i;
		if (unlikely(op + n > out_end - LZJB_FAST_COPY)) {
			ret = 1;
			break;
		}
		lzjb_copy16(op, tip);
		if (unlikely(n > 16)) {
			unsigned int k;

			for (k = 16; k < n; k += 16)
				lzjb_copy16(op + k, tip + k);
		}
		op += n;
		tip += n;

		/* the match: 6 bits of length - 3, 10 of offset */
		x = lzjb_load_be32(tip) >> 16;
		off = x & LZJB_OFFSET_MAX;
		len = (x >> (16 - LZJB_MATCH_BITS)) + LZJB_MATCH_MIN;
		tip += 2;
		/*
		 * The common case in one 16-byte copy, read in two words:
		 * with an offset of 8 or more, the second word only reads
		 * what the first wrote. Offsets under 8 (0, which is
		 * malformed, included) and longer matches go the long way.
		 */
		if (unlikely(off < 8) || unlikely(len > LZJB_FAST_COPY) ||
		    (near && unlikely(off > (size_t)(op - out)))) {
			if (off - 1 >= (size_t)(op - out) ||
			    len > (size_t)(out_end - op)) {
				ret = -EINVAL;
				break;
			}
			if (out_end - op >= LZJB_OUT_MARGIN) {
				lzjb_copy_match(op, off, len, op - out);
			} else {
				const u8 *ref = op - off;
				unsigned int k;

				for (k = 0; k < len; k++)
					op[k] = ref[k];
			}
		} else {
			lzjb_copy16(op, op - off);
		}
		op += len;
		i = e + 1;
		mm &= mm - 1;
	}
	*tipp = tip;
	*opp = op;
	*mmp = mm;
	*itemp = i;
	return ret;
}

/**
 * lzjb_decompress() - decompress an LZJB stream
 * @src: the stream
 * @dst: where the data goes
 * @s_len: length of the stream
 * @d_len: length of the data it must produce
 *
 * Whatever @src holds, nothing is read outside @src .. @src + @s_len, nothing
 * is written outside @dst .. @dst + @d_len, a match may only refer to bytes
 * already produced, and no byte of @dst is read before it is written. @src
 * and @dst must not overlap; @dst may hold anything on error.
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
	/* items of the current group above a stop bit; 1: none left */
	unsigned int map = 1, len;
	size_t off;

	/* an empty stream for empty data (and NULL buffers are then fine) */
	if (!d_len || !s_len)
		return s_len || d_len ? -EINVAL : 0;
	in_end = ip + s_len;
	out_end = out + d_len;

	if (d_len > LZJB_FAST_COPY) {
		/*
		 * Two superblocks: the next one is gathered before the
		 * current one is decoded, so that the processor follows the
		 * chain of its map bytes while it copies. Zeroed once, so
		 * that the copies running past a superblock's items read
		 * stale items, never uninitialised memory.
		 */
		struct lzjb_sb sbs[2], *cur = &sbs[0], *next = &sbs[1], *sb;
		const u8 *p;

		memset(sbs, 0, sizeof(sbs));
		p = lzjb_sb_gather(cur, ip, in_end);
		while (cur->items) {
			const u8 *tip = cur->buf, *after;
			u64 mm = cur->mm;
			unsigned int i = 0, n;
			int ret;

			after = lzjb_sb_gather(next, p, in_end);
			if (op - out < LZJB_OFFSET_MAX)
				ret = lzjb_sb_run(&tip, &op, &mm, &i, out,
						  out_end, true);
			else
				ret = lzjb_sb_run(&tip, &op, &mm, &i, out,
						  out_end, false);
			if (unlikely(ret < 0))
				return ret;
			if (!ret) {
				/* the literals after the last match */
				n = cur->items - i;
				if (n + LZJB_FAST_COPY <= (size_t)(out_end - op)) {
					unsigned int k;

					lzjb_copy16(op, tip);
					for (k = 16; unlikely(k < n); k += 16)
						lzjb_copy16(op + k, tip + k);
					op += n;
					i = cur->items;
				}
			}
			if (i < cur->items) {
				/*
				 * Near the end of the output: the careful
				 * loop goes on from item i, past its group's
				 * map byte and the items before it.
				 */
				ip += i / LZJB_GROUP + 1 + i +
				      lzjb_weight64(cur->mm & ((1ULL << i) - 1));
				map = ((cur->mm >> (i / LZJB_GROUP * 8) & 0xff) |
				       1 << LZJB_GROUP) >> (i % LZJB_GROUP);
				break;
			}
			ip = p;
			p = after;
			sb = cur;
			cur = next;
			next = sb;
		}
	}

	/* the end of the output or of the input: every item checked */
	while (op < out_end) {
		if (map == 1) {
			if (ip == in_end)
				return -EINVAL;
			map = *ip++ | 1 << LZJB_GROUP;
		}
		if (!(map & 1)) {
			if (ip == in_end)
				return -EINVAL;
			*op++ = *ip++;
		} else {
			const u8 *ref;

			if (in_end - ip < 2)
				return -EINVAL;
			len = (ip[0] >> 2) + LZJB_MATCH_MIN;
			off = (ip[0] & 3) << 8 | ip[1];
			ip += 2;
			/* off == 0 wraps around and fails too */
			if (off - 1 >= (size_t)(op - out) ||
			    len > (size_t)(out_end - op))
				return -EINVAL;
			ref = op - off;
			while (len--)
				*op++ = *ref++;
		}
		map >>= 1;
	}
	return ip == in_end ? 0 : -EINVAL;
}
