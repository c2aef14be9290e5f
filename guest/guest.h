/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest/guest.h: what the SPARC guest's processes share.
 *
 * /init (init.c) parses the options, maps one shared page of counters
 * (struct shared) and forks the workers: the heap writers (work.c), the
 * page-cache worker (work.c) and the heartbeat (meter.c). Each worker
 * writes only its own counters; /init reads them all for its reports.
 * The SS-5 has one CPU: aligned 32-bit stores are atomic to the readers.
 */
#ifndef LDM_GUEST_H
#define LDM_GUEST_H

#include "sys.h"

#define MAX_WRITERS	16
#define RATE_MAX	0xffffffffu	/* "max": as fast as it can */

struct options {
	u32 mem_mib;		/* ldm.mem: heap size */
	u32 rate;		/* ldm.rate: pages/s written (all writers) */
	u32 threads;		/* ldm.threads: writer processes */
	u32 verify;		/* ldm.verify: pages/s re-verified */
	u32 cache_mib;		/* ldm.cache: tmpfs files (0: none) */
	u32 cache_rate;		/* ldm.cacherate: files rewritten per second */
	u32 hb_ms;		/* ldm.hb: heartbeat period */
	u32 gap_ms;		/* ldm.gapwarn: gaps reported as they happen */
	u32 report_s;		/* ldm.report: seconds between status lines */
	u32 seed;		/* ldm.seed */
};

/* The first bad page (or file page) a worker found, for the reports. */
struct bad {
	volatile u32 count;	/* pages found bad so far */
	volatile u32 page;	/* the first: index in the heap (or file) */
	volatile u32 gen;	/* its generation */
	volatile u32 offset;	/* first differing byte in the page */
	volatile u32 want, got;	/* the 32-bit words there */
};

struct writer_stat {
	volatile u32 written;	/* pages written, the fill included */
	volatile u32 verified;	/* pages verified */
	volatile u32 passes;	/* full verification passes */
	volatile u32 ready;	/* its part of the heap is filled */
	struct bad bad;
};

struct cache_stat {
	volatile u32 written;	/* files (re)written */
	volatile u32 verified;	/* files read back and checked */
	volatile u32 ready;
	volatile u32 error;	/* a failed syscall (errno) */
	struct bad bad;		/* page = file * pages per file + page */
};

struct meter_stat {
	volatile u32 clock;		/* 1: the host clock answers on ttyS1 */
	volatile u32 answers;		/* its answers */
	volatile u32 bad_lines;		/* damaged answers dropped */
	volatile u32 maxgap_ms;		/* longest interval between answers */
	volatile u32 maxgap_at;		/* guest uptime (s) when it ended */
	volatile u32 lastgap_ms;	/* the last gap >= ldm.gapwarn */
	volatile u32 gaps;		/* gaps >= ldm.gapwarn */
	volatile u32 cadence_ms;	/* longest quiet interval, last 16 s */
	volatile u32 mono_maxgap_ms;	/* longest step of CLOCK_MONOTONIC */
	volatile u32 ready;
};

struct shared {
	struct options opt;
	struct timespec start;		/* CLOCK_MONOTONIC at /init's start */
	struct writer_stat w[MAX_WRITERS];
	struct cache_stat cache;
	struct meter_stat meter;
	/* bumped by init.c when a command changed a rate in opt */
	volatile u32 opt_seq;
	/* bumped by init.c to zero the meter's gap statistics ("reset") */
	volatile u32 meter_reset;
	/* the last line typed on the console (meter.c reads it, init.c runs it) */
	volatile u32 cmd_seq;
	char cmd[128];
};

extern struct shared *sh;

/* work.c */
void writer_main(u32 id, u32 first_page, u32 pages) __attribute__((noreturn));
void cache_main(void) __attribute__((noreturn));
/* meter.c */
void meter_main(void) __attribute__((noreturn));

/* seconds of guest uptime (CLOCK_MONOTONIC since /init started) */
u32 uptime_s(void);

#endif
