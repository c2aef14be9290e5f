// SPDX-License-Identifier: GPL-2.0
/* The adaptive codec choice; see adapt.h. */
#include <errno.h>
#include <string.h>

#include <linux/ldm.h>

#include "adapt.h"

/* Probing order: LZ4 first, the likeliest winner under most links. */
static const uint32_t probe_order[] = {
	LDM_CODEC_LZ4, LDM_CODEC_LZJB, LDM_CODEC_NONE,
};

#define NCODECS (sizeof(probe_order) / sizeof(probe_order[0]))

void adapt_init(struct adapt *a, uint32_t fixed)
{
	memset(a, 0, sizeof(*a));
	a->fixed = fixed;
	a->current = fixed ? fixed : probe_order[0];
}

/* A codec not measured yet, or measured too long ago; else the fastest. */
static uint32_t pick(const struct adapt *a, uint64_t now_ns)
{
	uint32_t best = 0;
	unsigned int i;

	for (i = 0; i < NCODECS; i++) {
		uint32_t c = probe_order[i];

		if (a->unavailable[c])
			continue;
		if (!a->measured_ns[c] ||
		    now_ns - a->measured_ns[c] > ADAPT_STALE_NS)
			return c;
		if (!best || a->rate[c] > a->rate[best])
			best = c;
	}
	/* Within 5% of the best: not worth the switch. */
	if (best && !a->unavailable[a->current] &&
	    a->rate[a->current] >= 0.95 * a->rate[best])
		return a->current;
	return best ? best : LDM_CODEC_LZJB;
}

/*
 * Whether the codec on trial, moving @rate so far, is clearly behind the
 * best fresh figure of another codec: its trial need not go on.
 */
static bool losing(const struct adapt *a, uint64_t now_ns, double rate)
{
	unsigned int i;

	for (i = 0; i < NCODECS; i++) {
		uint32_t c = probe_order[i];

		if (c != a->current && !a->unavailable[c] &&
		    a->measured_ns[c] &&
		    now_ns - a->measured_ns[c] <= ADAPT_STALE_NS &&
		    rate < ADAPT_LOSING * a->rate[c])
			return true;
	}
	return false;
}

/* Open a measurement window now. */
static void window_open(struct adapt *a, uint64_t now_ns, uint64_t bytes_in,
			uint64_t bytes_out, double fill)
{
	a->win_ns = now_ns;
	a->win_bytes = bytes_in;
	a->win_out = bytes_out;
	a->win_fill = fill;
}

uint32_t adapt_tick(struct adapt *a, uint64_t now_ns, uint64_t bytes_in,
		    uint64_t bytes_out, double fill, bool sending)
{
	double drift, secs;
	uint32_t next;

	if (a->fixed)
		return 0;
	/* Only windows during which the workers worked all along count. */
	if (!sending || bytes_in < a->win_bytes || bytes_out < a->win_out) {
		a->win_ns = 0;
		return 0;
	}
	if (now_ns < a->settle_until_ns)
		return 0;
	if (!a->win_ns) {
		window_open(a, now_ns, bytes_in, bytes_out, fill);
		return 0;
	}
	secs = (double)(now_ns - a->win_ns) / 1e9;
	if (now_ns - a->win_ns < ADAPT_WINDOW_NS &&
	    (now_ns - a->win_ns < ADAPT_WINDOW_NS / 2 ||
	     !losing(a, now_ns, (double)(bytes_in - a->win_bytes) / secs)))
		return 0;
	/*
	 * A stall (nothing read from guest RAM: the machine busy elsewhere,
	 * the target slow to drain) says nothing about the codec: it never
	 * counts, or a codec would be judged at 0 for the load of the moment
	 * (seen: "none" kept on a 2 MB/s link after LZJB's window stalled).
	 */
	if (bytes_in == a->win_bytes) {
		window_open(a, now_ns, bytes_in, bytes_out, fill);
		return 0;
	}
	drift = fill - a->win_fill;
	if ((drift > ADAPT_FILL_DRIFT || drift < -ADAPT_FILL_DRIFT) &&
	    a->discards < ADAPT_DISCARDS_MAX) {
		a->discards++;
		window_open(a, now_ns, bytes_in, bytes_out, fill);
		return 0;
	}
	a->discards = 0;
	a->rate[a->current] = (double)(bytes_in - a->win_bytes) / secs;
	a->measured_ns[a->current] = now_ns;
	/* Link-bound: "none" would move guest RAM at the output's rate. */
	if (a->current != LDM_CODEC_NONE && fill > ADAPT_LINK_BOUND &&
	    a->win_fill > ADAPT_LINK_BOUND) {
		a->rate[LDM_CODEC_NONE] = (double)(bytes_out - a->win_out) / secs;
		a->measured_ns[LDM_CODEC_NONE] = now_ns;
	}
	window_open(a, now_ns, bytes_in, bytes_out, fill);
	next = pick(a, now_ns);
	if (next == a->current)
		return 0;
	a->current = next;
	a->switches++;
	/* Batches of the old codec still drain: let the pace settle. */
	a->settle_until_ns = now_ns + ADAPT_SETTLE_NS;
	a->win_ns = 0;
	return next;
}

uint32_t adapt_round_codec(const struct adapt *a)
{
	return a->fixed ? a->fixed : a->current;
}

uint32_t adapt_unavailable(struct adapt *a, uint32_t codec, uint64_t now_ns)
{
	if (codec < ADAPT_CODECS)
		a->unavailable[codec] = true;
	if (a->current == codec && !a->fixed) {
		a->current = pick(a, now_ns);
		a->win_ns = 0;
	}
	return a->current;
}

const char *adapt_codec_name(uint32_t codec)
{
	switch (codec) {
	case 0:
		return "auto";
	case LDM_CODEC_LZJB:
		return "lzjb";
	case LDM_CODEC_LZ4:
		return "lz4";
	case LDM_CODEC_NONE:
		return "none";
	}
	return "?";
}

int adapt_parse(const char *s, uint32_t *codec)
{
	static const uint32_t all[] = {
		0, LDM_CODEC_LZJB, LDM_CODEC_LZ4, LDM_CODEC_NONE,
	};
	unsigned int i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(s, adapt_codec_name(all[i]))) {
			*codec = all[i];
			return 0;
		}
	}
	return -EINVAL;
}
