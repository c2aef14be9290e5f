// SPDX-License-Identifier: GPL-2.0
/*
 * guest/meter.c: the heartbeat, the guest's own pause meter.
 *
 * Every ldm.hb ms (at nice -20, so that the workload hardly delays it) it
 * samples two clocks: CLOCK_MONOTONIC, fine but driven by the sun4m's
 * timer, which runs on QEMU's virtual clock and so stands still while QEMU
 * is stopped (and, under -icount, whenever QEMU does not execute); and the
 * M48T08 through /dev/rtc0, which QEMU drives from the host's clock, so it
 * keeps running through a stop, but counts whole seconds only.
 *
 * The two are combined at the RTC's second edges. A "clean" edge is a
 * sample where the RTC is one second past the previous sample, taken at
 * most 100 ms of CLOCK_MONOTONIC earlier: the edge happened between the
 * two, so at the sample the real time is S + (0 .. that interval). Between
 * two clean edges two apart (about 2 s), the real time elapsed is known to
 * within their two intervals (a few ms) and CLOCK_MONOTONIC's share of it
 * is measured: what is missing ("hidden") is time the guest did not run
 * while its CPU clock did not count it. The gap of such a window is its
 * hidden time plus the longest CLOCK_MONOTONIC step inside it; its
 * uncertainty is the sum of the two edges' intervals (plus any rate
 * error of the CPU clock over the window, which -icount shift=auto can
 * have: the largest |hidden| of windows without a gap is reported as the
 * meter's jitter). Two seconds per window, so that a pause shorter than a
 * second that falls between two samples that straddle an edge is still
 * counted whole.
 *
 * A gap of at least ldm.gapwarn ms is printed once it is over (it shows in
 * two overlapping windows: the largest is reported), about 2 s after the
 * guest runs again. The status line carries the longest gap ever seen.
 */
#include "guest.h"

#define EDGE_MAX_US	100000	/* a clean edge: sampled within 100 ms */

struct anchor {
	u32 s;		/* RTC seconds at the edge */
	u32 m;		/* CLOCK_MONOTONIC (us, wrapping) at the sample */
	u32 err;	/* the sample interval: when the edge was, within it */
	u32 mono_max;	/* the longest CLOCK_MONOTONIC step up to this edge */
};

static u32 mono_us(void)
{
	struct timespec t;

	mono_now(&t);
	return (u32)t.tv_sec * 1000000u + (u32)t.tv_nsec / 1000u;
}

/* days since 1970-01-01 of a proleptic Gregorian date (year >= 1970) */
static u32 days(u32 y, u32 m, u32 d)
{
	static const u32 before[12] = { 0, 31, 59, 90, 120, 151, 181, 212,
					243, 273, 304, 334 };
	u32 leaps;

	if (m > 11)
		m = 11;
	/* leap days before this year, then this year's if past February */
	leaps = (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400 - 477;
	if (m > 1 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		leaps++;
	return (y - 1970) * 365 + leaps + before[m] + d - 1;
}

/* The RTC in seconds since 1970, 0 on failure. */
static u32 rtc_read(int fd)
{
	struct rtc_time t;

	if (sys_ioctl(fd, RTC_RD_TIME, &t) < 0 || t.tm_year < 70)
		return 0;
	return days((u32)t.tm_year + 1900, (u32)t.tm_mon, (u32)t.tm_mday) *
	       86400u + (u32)t.tm_hour * 3600u + (u32)t.tm_min * 60u +
	       (u32)t.tm_sec;
}

/*
 * The RTC, given the last value PREV. The driver reads the registers one
 * by one, from the year down to the seconds, so a read that straddles a
 * minute (or hour...) is off by 59 s or more: a value that is PREV or the
 * next second is taken as it is (one ioctl, the common case, which counts
 * nested in the lab); any other needs two reads that agree.
 */
static u32 rtc_seconds(int fd, u32 prev)
{
	u32 s = rtc_read(fd), i;

	for (i = 0; i < 5 && s && s != prev && s != prev + 1; i++) {
		prev = s;
		s = rtc_read(fd);
	}
	return s;
}

/*
 * The CPU clock's rate: how many of its microseconds a real second holds,
 * measured in each window; the median of the last RATES windows is the
 * rate a window's running time is converted with (a window with a pause
 * in it measures a low rate, an outlier the median ignores). Natively it
 * is a little under 10^6 (timer ticks lost while the host runs something
 * else); under -icount it is whatever icount makes it (nested in the lab,
 * a fraction of 10^6). The |pause| found in the last RATES windows without
 * a gap is the meter's current jitter.
 */
#define RATES	9

struct meter {
	struct anchor a[3];	/* a[0] the latest clean edge */
	u32 anchors;
	u32 rate[RATES], nrate;
	u32 quiet[RATES], nquiet;
	u32 pending, pending_err, pending_mono, pending_windows;
};

/* the entries in use of a ring of RATES that has had N */
static u32 filled(u32 n)
{
	return n < RATES ? n : RATES;
}

static u32 median(const u32 *v, u32 n)
{
	u32 t[RATES], i, j, x;

	for (i = 0; i < n; i++) {
		x = v[i];
		for (j = i; j && t[j - 1] > x; j--)
			t[j] = t[j - 1];
		t[j] = x;
	}
	return n ? t[n / 2] : 1000000u;
}

static u32 max_of(const u32 *v, u32 n)
{
	u32 m = 0;

	while (n--)
		if (v[n] > m)
			m = v[n];
	return m;
}

/* CPU clock microseconds to real ones, at RATE */
static u32 to_real(u32 us, u32 rate)
{
	u64 r = div64((u64)us * 1000000u, rate ? rate : 1);

	return r > 0xffffffffu ? 0xffffffffu : (u32)r;
}

static void report_gap(struct meter *mt)
{
	struct meter_stat *ms = &sh->meter;

	ms->lastgap_us = mt->pending;
	ms->gaps++;
	say("gap %u ms (+-%u ms; the CPU clock saw %u ms), over by t=%u s",
	    (mt->pending + 500) / 1000, (mt->pending_err + 999) / 1000,
	    (mt->pending_mono + 500) / 1000, uptime_s());
	mt->pending = 0;
	mt->pending_windows = 0;
}

/* A window closes at the clean edge a[0]; it opened at a[2], ~2 s ago. */
static void window(struct meter *mt)
{
	struct meter_stat *ms = &sh->meter;
	const struct anchor *a = mt->a;
	u32 warn_us = sh->opt.gap_ms * 1000;
	u32 secs = a[0].s - a[2].s, cpu = a[0].m - a[2].m;
	u32 rate = median(mt->rate, filled(mt->nrate));
	u32 mono = to_real(a[0].mono_max > a[1].mono_max ? a[0].mono_max :
			   a[1].mono_max, rate);
	long pause, apause;
	u32 gap, err, jitter;

	if (secs > 2000)	/* a stop of more than half an hour: clipped */
		secs = 2000;
	/* the real time the window lasted, less the time the guest ran */
	pause = (long)(secs * 1000000u) - (long)to_real(cpu, rate);
	apause = pause < 0 ? -pause : pause;
	gap = mono + (pause > 0 ? (u32)pause : 0);
	jitter = max_of(mt->quiet, filled(mt->nquiet));
	err = to_real(a[0].err + a[2].err, rate) + jitter;

	mt->rate[mt->nrate++ % RATES] = cpu / secs;
	if (mt->nrate >= 2 * RATES)
		mt->nrate -= RATES;
	ms->windows++;
	ms->drift_ppm = 1000000 - (int)median(mt->rate, filled(mt->nrate));
	if (gap > ms->maxgap_us) {
		ms->maxgap_us = gap;
		ms->maxgap_err_us = err;
		ms->maxgap_at = uptime_s();
	}
	if (sh->opt.meterlog)
		say("meter: window %u s: CPU clock %u us at %u us/s, pause %d us, step %u us, gap %u us +- %u",
		    secs, cpu, rate, (int)pause, mono, gap, err);
	/* A pause shows in two windows, three at most: a longer run of
	 * windows over the mark is reported in pieces, not held forever. */
	if (gap >= warn_us && mt->pending_windows < 4) {
		if (gap > mt->pending) {
			mt->pending = gap;
			mt->pending_err = err;
			mt->pending_mono = mono;
		}
		mt->pending_windows++;
		return;
	}
	if (mt->pending)
		report_gap(mt);
	if (gap >= warn_us) {
		mt->pending = gap;
		mt->pending_err = err;
		mt->pending_mono = mono;
		mt->pending_windows = 1;
	} else if (mt->nrate >= 3) {
		mt->quiet[mt->nquiet++ % RATES] = (u32)apause;
		if (mt->nquiet >= 2 * RATES)
			mt->nquiet -= RATES;
		ms->jitter_us = max_of(mt->quiet, filled(mt->nquiet));
	}
}

void meter_main(void)
{
	static struct meter mt;
	struct meter_stat *ms = &sh->meter;
	u32 hb_us = sh->opt.hb_ms * 1000;
	u32 m_prev, s_prev = 0, step_max = 0;
	long r;
	int fd;

	r = sys_setpriority(PRIO_PROCESS, 0, -20);
	if (r < 0)
		say("note: heartbeat not at nice -20 (errno %d)", (int)-r);
	fd = (int)sys_open("/dev/rtc0", O_RDONLY, 0);
	if (fd >= 0 && (s_prev = rtc_seconds(fd, 0)) != 0) {
		ms->rtc = 1;
	} else {
		say("warning: no /dev/rtc0 (%d): the pause meter has only CLOCK_MONOTONIC, which stops with QEMU",
		    fd < 0 ? fd : 0);
		fd = -1;
	}
	m_prev = mono_us();
	ms->ready = 1;
	for (;;) {
		u32 m, s = 0, step;

		sleep_us((long)hb_us);
		m = mono_us();
		if (fd >= 0)
			s = rtc_seconds(fd, s_prev);
		step = m - m_prev;
		ms->samples++;
		if (step > ms->mono_maxgap_us)
			ms->mono_maxgap_us = step;
		if (step > ms->maxgap_us) {	/* no window yet, or no RTC */
			ms->maxgap_us = step;
			ms->maxgap_err_us = 0;
			ms->maxgap_at = uptime_s();
		}
		if (step > step_max)
			step_max = step;
		if (s && s == s_prev + 1 && step <= EDGE_MAX_US) {
			mt.a[2] = mt.a[1];
			mt.a[1] = mt.a[0];
			mt.a[0] = (struct anchor){ s, m, step, step_max };
			step_max = 0;
			ms->edges++;
			if (++mt.anchors >= 3)
				window(&mt);
		}
		if (s)
			s_prev = s;
		m_prev = m;
	}
}
