/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What 'ldmctl migrate' tells its user while it runs: one updating line
 * on a terminal (percent, MB/s, round, pages left, ETA), or with -j one
 * JSON object per line for every event (keys documented in ldmctl(8)),
 * and the final statistics.
 */
#ifndef LDMCTL_PROGRESS_H
#define LDMCTL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
	bool json;		/* events on stdout */
	bool tty;		/* an updating line on stderr */
	bool line_shown;	/* the line is on screen: clear it first */
	int64_t last_ms;	/* last update written */
};

void progress_init(struct progress *p, bool json);

/* A line for people (stderr); with -j an event {"event":"note",...}. */
void progress_note(struct progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Clear the updating line before something else is printed. */
void progress_clear(struct progress *p);

struct progress_state {
	uint32_t round;
	bool final;
	unsigned int percent;
	double mbps;		/* wire MB/s over the last interval */
	uint64_t pages_left;
	uint64_t eta_ms;	/* UINT64_MAX: unknown */
	const char *codec;	/* "lz4", ...; NULL: not shown */
	uint32_t fc_rounds;	/* forecast: all rounds; 0: none yet */
	uint64_t fc_downtime_ms;	/* forecast downtime, UINT64_MAX ? */
	bool has_dirty_rate;	/* a pre-copy round has ended */
	uint64_t dirty_rate;	/* pages/s the guest dirtied in it */
	uint64_t dirty_limit;	/* pages/s in force, 0 none */
	uint64_t throttled;	/* write faults it made wait so far */
};

/* Throttled: at most 4 lines a second, 1 JSON event a second. */
void progress_update(struct progress *p, const struct progress_state *s);

/*
 * A JSON event with numeric fields: progress_event(p, "round_done",
 * "round", r, "pages", n, NULL). Nothing without -j.
 */
void progress_event(struct progress *p, const char *event, ...);

struct mig_summary {
	const char *domain, *dest;	/* "a", "192.0.2.2:b" */
	uint64_t total_ns;
	int64_t suspend_ns;		/* -1: no suspension happened */
	uint64_t expected_suspend_ms;	/* forecast, UINT64_MAX: none */
	uint64_t dirty_rate;		/* last round's, UINT64_MAX: none */
	bool suspend_emulator_only;	/* --pause-pid, no kernel block */
	uint32_t rounds;		/* all rounds, the final included */
	const char *why_final;		/* what ended pre-copy */
	uint64_t pages_zero, pages_skipped, pages_lzjb, pages_lz4, pages_raw;
	uint64_t bytes_in, bytes_out;	/* guest RAM read, records after */
	uint64_t batches;
	uint64_t wire_bytes;		/* data streams and control */
	uint32_t streams;
	bool verified;
	const char *compress;		/* "auto", "lzjb", ... */
	uint32_t codec_switches;	/* auto: changes of codec */
	uint32_t dirty_limit;		/* the last, pages/s; 0: none */
	uint64_t throttled;		/* write faults it made wait */
	uint64_t throttle_ns;		/* the waits imposed */
	uint64_t key_epochs;		/* batch keys used: 1 + rekeys */
};

/* The statistics: a block for people, or a "done" event with -j. */
void progress_summary(struct progress *p, const struct mig_summary *s);

#endif /* LDMCTL_PROGRESS_H */
