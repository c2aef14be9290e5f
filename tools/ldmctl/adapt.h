/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --compress auto: which codec the module uses, chosen while it sends.
 *
 * What matters is how much guest RAM leaves per second. With a codec c
 * that is min(CPU rate of c over all workers, link rate / ratio of c):
 * on a fast link the cheapest codec wins (none), on a slow one the one
 * that compresses best per CPU second. Rather than model the two rates,
 * measure the product: the module's counter of guest bytes read moves
 * at exactly that pace, because a full ring stops the workers whenever
 * the link (or the target) is the bottleneck, once the ring is full: a
 * window counts only if the ring's fill level held steady through it
 * (while an empty ring fills, the workers run at CPU speed whatever the
 * link) and something moved at all (a stalled machine says nothing
 * about a codec). So the chooser tries
 * each codec for a short window, keeps the fastest, and tries the
 * others again when their figure grows old (the link or the guest's
 * data may change). A switch takes effect at the workers' next page
 * (MIGRATE_SET), so round 0, most of a migration, is covered too.
 *
 * A trial costs what its codec loses: one that moves less than
 * ADAPT_LOSING of the best fresh figure by half its window ends there.
 *
 * One codec need not be tried: while a compressing codec keeps the ring
 * full, the link is the bottleneck and sends its compressed bytes as
 * fast as it can; without compression it would carry guest RAM at that
 * same byte rate, which is slower by the compression ratio. So such a
 * window also gives "none" its figure (the output byte rate), and the
 * costly trial (a ring full of raw batches to drain) is skipped.
 *
 * Free of I/O so that the unit tests can drive it with made-up clocks.
 */
#ifndef LDMCTL_ADAPT_H
#define LDMCTL_ADAPT_H

#include <stdbool.h>
#include <stdint.h>

#define ADAPT_CODECS		4	/* indexed by enum ldm_codec, 1..3 */
#define ADAPT_SETTLE_NS		100000000ULL	/* after a switch */
#define ADAPT_WINDOW_NS		200000000ULL	/* one measurement */
#define ADAPT_STALE_NS		10000000000ULL	/* measure again after */
#define ADAPT_FILL_DRIFT	0.25	/* of the ring, within a window */
#define ADAPT_DISCARDS_MAX	4	/* fill drifting: then one counts */
#define ADAPT_LINK_BOUND	0.5	/* ring fuller than this: the link */
#define ADAPT_LOSING		0.6	/* of the best: a trial ends at half */

struct adapt {
	uint32_t fixed;			/* a forced LDM_CODEC_*, 0: auto */
	uint32_t current;		/* the codec the workers use */
	bool unavailable[ADAPT_CODECS];	/* refused by the module */
	double rate[ADAPT_CODECS];	/* guest bytes/s, 0: unmeasured */
	uint64_t measured_ns[ADAPT_CODECS];
	uint64_t settle_until_ns;	/* no window before */
	uint64_t win_ns;		/* window start, 0: none open */
	uint64_t win_bytes;		/* guest bytes read at its start */
	uint64_t win_out;		/* record bytes made, then */
	double win_fill;		/* the ring's fill level, 0..1, then */
	unsigned int discards;		/* windows in a row not counted */
	uint32_t switches;
};

/* adapt_init() - @fixed: LDM_CODEC_* for --compress lzjb|lz4|none, 0: auto */
void adapt_init(struct adapt *a, uint32_t fixed);

/*
 * adapt_tick() - one look at the module's counters of guest bytes read
 * (@bytes_in) and record bytes made of them (@bytes_out), and at the
 * ring's fill level (@fill, 0..1), at @now_ns while a
 * round is being sent (@sending; false between rounds or once the
 * workers are done, where no window counts).
 * Return: the codec to switch to now (MIGRATE_SET), or 0 for none.
 */
uint32_t adapt_tick(struct adapt *a, uint64_t now_ns, uint64_t bytes_in,
		    uint64_t bytes_out, double fill, bool sending);

/* The codec to start the next round with (MIGRATE_ROUND). */
uint32_t adapt_round_codec(const struct adapt *a);

/*
 * adapt_unavailable() - the module refused @codec (no LZ4 in the
 * kernel): never pick it again. Return: the codec to use instead.
 */
uint32_t adapt_unavailable(struct adapt *a, uint32_t codec, uint64_t now_ns);

/* "lzjb", "lz4", "none"; "auto" for 0. */
const char *adapt_codec_name(uint32_t codec);
/* Parse a --compress value; 0 and *codec set, or -EINVAL. */
int adapt_parse(const char *s, uint32_t *codec);

#endif /* LDMCTL_ADAPT_H */
