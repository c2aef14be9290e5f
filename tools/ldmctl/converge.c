// SPDX-License-Identifier: GPL-2.0
/* Rate and convergence arithmetic; see converge.h. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "converge.h"

double conv_rate(uint64_t pages, uint64_t ns)
{
	if (!pages || !ns)
		return 0;
	return (double)pages * 1e9 / (double)ns;
}

uint64_t conv_final_ms(uint64_t pages, double rate)
{
	double ms;

	if (!pages)
		return 0;
	if (rate <= 0)
		return UINT64_MAX;
	ms = ceil((double)pages * 1000.0 / rate);
	return ms >= 1.8e19 ? UINT64_MAX : (uint64_t)ms;
}

enum conv_decision conv_decide(const struct conv_params *p,
			       const struct conv_round *r)
{
	double send = conv_rate(r->pages, r->ns);
	double dirty = conv_rate(r->dirty, r->ns);

	if (conv_final_ms(r->dirty, send) <= p->downtime_ms)
		return CONV_FITS;
	if (r->round + 1 >= p->max_rounds)
		return CONV_MAX_ROUNDS;
	/*
	 * Round 0 sends everything, later rounds only what was dirtied: a
	 * later round that sent no faster than the guest dirties cannot
	 * shrink. Round 0 is no such measure, unless it sent nothing.
	 */
	if (r->round > 0 && dirty >= send)
		return CONV_DIRTY_WINS;
	return CONV_CONTINUE;
}

void conv_forecast(const struct conv_params *p, const struct conv_round *r,
		   struct conv_forecast *f)
{
	double send = conv_rate(r->pages, r->ns);
	double dirty = conv_rate(r->dirty, r->ns);
	struct conv_round cur = *r;
	enum conv_decision d;

	/* Ends: every step adds a round and max_rounds bounds them. */
	while ((d = conv_decide(p, &cur)) == CONV_CONTINUE) {
		double ns = send > 0 ? (double)cur.dirty * 1e9 / send : 0;

		cur.round++;
		cur.pages = cur.dirty;
		cur.ns = ns >= 1.8e19 ? UINT64_MAX : (uint64_t)ns;
		ns = dirty * ns / 1e9;
		cur.dirty = ns >= 1.8e19 ? UINT64_MAX : (uint64_t)ceil(ns);
	}
	f->rounds = cur.round + 2;	/* 0-based, then the final round */
	f->downtime_ms = conv_final_ms(cur.dirty, send);
	f->why = d;
	f->fits = f->downtime_ms <= p->downtime_ms;
}

const char *conv_decision_name(enum conv_decision d)
{
	switch (d) {
	case CONV_CONTINUE:
		return "continue";
	case CONV_FITS:
		return "converged";
	case CONV_MAX_ROUNDS:
		return "max rounds";
	case CONV_DIRTY_WINS:
		return "dirty rate >= send rate";
	}
	return "unknown";
}

unsigned int conv_percent(uint64_t done, uint64_t left)
{
	double total = (double)done + (double)left;

	if (total <= 0)
		return 100;
	return (unsigned int)((double)done * 100.0 / total);
}

char *conv_format_eta(uint64_t ms, char *buf, unsigned int size)
{
	uint64_t s;

	if (ms == UINT64_MAX) {
		snprintf(buf, size, "--:--");
		return buf;
	}
	s = (ms + 999) / 1000;
	if (s >= 3600)
		snprintf(buf, size, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64,
			 s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, size, "%" PRIu64 ":%02" PRIu64, s / 60, s % 60);
	return buf;
}
