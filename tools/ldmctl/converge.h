/* SPDX-License-Identifier: GPL-2.0 */
/*
 * When to stop pre-copying: the rate and convergence arithmetic of
 * 'ldmctl migrate', kept free of I/O so that it can be unit-tested.
 *
 * After each pre-copy round the source knows how many pages it sent, how
 * long the round took (from its start to the target's acknowledgement)
 * and how many pages the guest dirtied meanwhile. The next round is the
 * final one (with the domain suspended) when
 *
 *  1. the dirty pages would be sent within the downtime limit at the rate
 *     just measured ("converged"), or
 *  2. the pre-copy rounds reached --max-rounds, or
 *  3. the guest dirtied pages faster than they were sent: more rounds
 *     would not shrink the final one.
 */
#ifndef LDMCTL_CONVERGE_H
#define LDMCTL_CONVERGE_H

#include <stdbool.h>
#include <stdint.h>

enum conv_decision {
	CONV_CONTINUE,		/* another pre-copy round */
	CONV_FITS,		/* final round: it fits the downtime limit */
	CONV_MAX_ROUNDS,	/* final round: --max-rounds reached */
	CONV_DIRTY_WINS,	/* final round: dirtying outpaces sending */
};

struct conv_params {
	uint64_t downtime_ms;	/* --downtime-limit */
	uint32_t max_rounds;	/* --max-rounds: pre-copy rounds, >= 1 */
};

struct conv_round {
	uint32_t round;		/* 0-based number of the round just done */
	uint64_t pages;		/* pages it handled (sent or skipped) */
	uint64_t ns;		/* its duration */
	uint64_t dirty;		/* pages dirtied meanwhile: the next round */
};

/* Pages per second, 0 when nothing was measured. */
double conv_rate(uint64_t pages, uint64_t ns);

/*
 * conv_final_ms() - how long sending @pages takes at @rate pages/s, in
 * ms, rounded up; UINT64_MAX when the rate is unknown and @pages > 0.
 */
uint64_t conv_final_ms(uint64_t pages, double rate);

enum conv_decision conv_decide(const struct conv_params *p,
			       const struct conv_round *r);

/*
 * The convergence forecast: where the rounds are heading, from the rates
 * of the round just done. Each further round is assumed to take as long
 * as sending what the previous one left dirty at the send rate, during
 * which the guest dirties pages at its measured rate; conv_decide() is
 * then run on those rounds, so the forecast and the real decision agree
 * when the rates hold.
 */
struct conv_forecast {
	uint32_t rounds;	/* all rounds, the final included */
	uint64_t downtime_ms;	/* the final round's; UINT64_MAX unknown */
	enum conv_decision why;	/* what will end pre-copy */
	bool fits;		/* downtime_ms <= the downtime limit */
};

void conv_forecast(const struct conv_params *p, const struct conv_round *r,
		   struct conv_forecast *f);

/* For people: "converged", "max rounds", "dirty rate > send rate". */
const char *conv_decision_name(enum conv_decision d);

/*
 * conv_percent() - overall progress, 0..100: pages handled so far
 * against those plus what is left (the rest of the current round and
 * what the guest dirtied meanwhile).
 */
unsigned int conv_percent(uint64_t done, uint64_t left);

/* "1:05", "12:00:00"; "--:--" for UINT64_MAX. @buf: 16 bytes. */
char *conv_format_eta(uint64_t ms, char *buf, unsigned int size);

#endif /* LDMCTL_CONVERGE_H */
