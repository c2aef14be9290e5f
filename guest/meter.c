// SPDX-License-Identifier: GPL-2.0
/*
 * guest/meter.c: the heartbeat, the guest's own pause meter.
 *
 * Every ldm.hb ms (at nice -20, so that the workload hardly delays it) the
 * guest asks the host for the time over its console: it writes ENQ
 * (0x05); the console's reader on the host (lab/sparc-clock.py, started
 * with QEMU by lab/sparc.sh) drops it from the log and answers with its
 * real time, ACK then "xxxxxx\n", milliseconds modulo 2^24 in hex. Any
 * other line typed on the console is a command, handed to /init through
 * struct shared. The guest keeps the interval between consecutive
 * answers: while it runs, about ldm.hb plus the round trip; when QEMU
 * stops it (a migration's final round, a QMP stop), no request goes out,
 * and the first answer after it runs again is later by the whole stop.
 * The longest interval is the longest pause the guest lived through, to
 * within one quiet interval (the "cadence", reported beside it).
 *
 * Why not the guest's own clocks: the sun4m timer behind CLOCK_MONOTONIC
 * runs on QEMU's virtual clock, which stands still while QEMU is stopped,
 * so it never sees a pause; nested in the lab the guest also loses timer
 * ticks (20-30% of real time, varying with the host's load). The M48T08
 * RTC keeps running through a stop but counts whole seconds; corrected
 * with CLOCK_MONOTONIC's rate it was off by 0.5-2.5 s in the lab
 * (Documentation/lab.rst). The second serial port (ttyb) would keep the
 * clock off the console, but receiving on it while the console sends
 * hangs the guest in an interrupt storm in QEMU 7.2. The host's clock over
 * the console is exact and is the same clock on both lab "hosts"; between
 * two real hosts it is as good as their NTP.
 *
 * Answers are taken only whole (canonical mode: one line per read; a line
 * that starts with ACK but is not six hex digits after it is dropped), so
 * a line cut in two by a migration (its first half read on the source,
 * its second half never sent) cannot fake a time; nor can an answer
 * that lost its ACK, which is dropped too (damaged_answer()). Without a
 * clock server (no answer within 5 s) the meter says so and falls back
 * to CLOCK_MONOTONIC, which misses QEMU's stops.
 */
#include "guest.h"

#define ENQ		0x05	/* a request for the time */
#define ACK		0x06	/* an answer's first byte */
#define CLOCK_BITS	0xffffffu	/* ms modulo 2^24: wraps after 4.6 h */
#define QUIET_SLOTS	16		/* seconds of quiet cadence remembered */

/* sparc's termios (arch/sparc/include/uapi/asm/termbits.h): 36 bytes */
struct termios {
	u32 c_iflag, c_oflag, c_cflag, c_lflag;
	unsigned char c_line, c_cc[17];
	unsigned char pad[2];
};

#define TC_IOR(nr)	((2u << 29) | ((u32)sizeof(struct termios) << 16) | \
			 ('T' << 8) | (nr))
#define TC_IOW(nr)	((4u << 29) | ((u32)sizeof(struct termios) << 16) | \
			 ('T' << 8) | (nr))
#define TCGETS		TC_IOR(8)
#define TCSETS		TC_IOW(9)
#define ISIG		0x01
#define ECHO		0x08
#define ECHOE		0x10
#define ECHOK		0x20
#define ECHONL		0x40
#define IEXTEN		0x8000
#define IXON		0x0400
#define O_NOCTTY	0x8000

static u32 mono_ms(void)
{
	struct timespec t;

	mono_now(&t);
	return (u32)t.tv_sec * 1000u + (u32)t.tv_nsec / 1000000u;
}

/*
 * The console (ttyS0), set for the clock: canonical input (a line per read), no echo
 * (the host would read its own answers back), no signals, no flow
 * control, output as it is. -errno on failure.
 */
static int clock_open(void)
{
	struct termios t;
	long fd, r;

	fd = sys_open("/dev/ttyS0", O_RDWR | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return (int)fd;
	r = sys_ioctl((int)fd, TCGETS, &t);
	if (r >= 0) {
		t.c_lflag &= ~(u32)(ISIG | ECHO | ECHOE | ECHOK | ECHONL |
				    IEXTEN);
		t.c_iflag &= ~(u32)IXON;
		r = sys_ioctl((int)fd, TCSETS, &t);
	}
	if (r < 0) {
		sys_close((int)fd);
		return (int)r;
	}
	return (int)fd;
}

/* ACK "xxxxxx\n" to its value; -1 for anything else */
static long parse_answer(const char *s, long n)
{
	u32 v = 0;
	long i;

	if (n != 8 || s[0] != ACK || s[7] != '\n')
		return -1;
	for (i = 1; i < 7; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (u32)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (u32)(c - 'a' + 10);
		else
			return -1;
	}
	return (long)v;
}

/*
 * A line that is part of an answer: it holds ACK, or it is nothing but hex
 * digits. Seen in most lab boots: the first answer after boot came without
 * its ACK ("f31857"), and a command of that name would only confuse.
 */
static int damaged_answer(const char *s, long n)
{
	long i, hex = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == ACK)
			return 1;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
			hex++;
		else if (c != '\n' && c != '\r')
			return 0;
	}
	return hex > 0;
}

/* A line typed on the console: a command for /init (init.c). */
static void command_line(const char *s, long n)
{
	long i;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (n >= (long)sizeof(sh->cmd))
		n = sizeof(sh->cmd) - 1;
	for (i = 0; i < n; i++)
		sh->cmd[i] = s[i];
	sh->cmd[n] = 0;
	sh->cmd_seq++;
}

struct meter {
	u32 have;		/* an answer has come */
	u32 host_ms;		/* the last answer */
	u32 mono_at;		/* CLOCK_MONOTONIC (ms) when it came */
	u32 quiet[QUIET_SLOTS];	/* longest quiet interval, per second */
	u32 slot_s;		/* the second quiet[] is filling */
};

static void quiet_interval(struct meter *mt, u32 ms)
{
	u32 now = uptime_s(), i, m = 0;

	if (now - mt->slot_s >= QUIET_SLOTS)
		memset(mt->quiet, 0, sizeof(mt->quiet));
	else
		while (mt->slot_s != now)	/* forget the oldest seconds */
			mt->quiet[++mt->slot_s % QUIET_SLOTS] = 0;
	mt->slot_s = now;
	if (ms > mt->quiet[now % QUIET_SLOTS])
		mt->quiet[now % QUIET_SLOTS] = ms;
	for (i = 0; i < QUIET_SLOTS; i++)
		if (mt->quiet[i] > m)
			m = mt->quiet[i];
	sh->meter.cadence_ms = m;
}

/* An answer HOST (ms) came: the interval since the last one. */
static void answer(struct meter *mt, u32 host)
{
	struct meter_stat *ms = &sh->meter;
	u32 now = mono_ms(), gap, cpu;

	ms->answers++;
	if (!mt->have) {
		mt->have = 1;
		ms->clock = 1;
		ms->maxgap_ms = 0;	/* from now on, by the host's clock */
		mt->slot_s = uptime_s();
		goto out;
	}
	gap = (host - mt->host_ms) & CLOCK_BITS;
	cpu = now - mt->mono_at;
	if (gap > CLOCK_BITS / 2)	/* older than the last: a stale line */
		return;
	if (gap > ms->maxgap_ms) {
		ms->maxgap_ms = gap;
		ms->maxgap_at = uptime_s();
	}
	if (gap >= sh->opt.gap_ms) {
		ms->lastgap_ms = gap;
		ms->gaps++;
		say("gap %u ms (+-%u ms; the CPU clock saw %u ms), at t=%u s",
		    gap, ms->cadence_ms, cpu, uptime_s());
	} else {
		quiet_interval(mt, gap);
	}
out:
	mt->host_ms = host;
	mt->mono_at = now;
}

/*
 * One request in flight: a new "T" goes out ldm.hb ms after the last
 * answer, or again when an answer is overdue (twice the usual round trip,
 * 20-500 ms: it went to a QEMU that stopped, the source of a migration).
 * The guest takes an interrupt per received character: requests sent
 * faster than it drains the answers would bury it in interrupts.
 */
void meter_main(void)
{
	static struct meter mt;
	struct meter_stat *ms = &sh->meter;
	u32 hb = sh->opt.hb_ms, rtt = 50, resend = 100;
	u32 m_prev, start, sent_at = 0, answered_at, outstanding = 0;
	u32 reset = sh->meter_reset;
	u32 warned = 0;
	int fd;
	long r;

	r = sys_setpriority(PRIO_PROCESS, 0, -20);
	if (r < 0)
		say("note: heartbeat not at nice -20 (errno %d)", (int)-r);
	fd = clock_open();
	if (fd < 0)
		say("warning: cannot open /dev/ttyS0 (errno %d): no host clock, the pause meter has only CLOCK_MONOTONIC, which stops with QEMU",
		    -fd);
	start = mono_ms();
	m_prev = start;
	answered_at = start - hb;
	ms->ready = 1;
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		char line[160];
		u32 m, step, wait;

		if (reset != sh->meter_reset) {	/* the "reset" command */
			reset = sh->meter_reset;
			ms->maxgap_ms = 0;
			ms->maxgap_at = 0;
			ms->lastgap_ms = 0;
			ms->gaps = 0;
			ms->mono_maxgap_ms = 0;
		}
		m = mono_ms();
		if (fd < 0) {
			wait = hb;
		} else {
			if (outstanding ? m - sent_at >= resend :
					  m - answered_at >= hb) {
				sys_write(fd, (const char[]){ ENQ }, 1);
				sent_at = m;
				outstanding = 1;
			}
			/* until the answer is overdue, or the next is due */
			wait = outstanding ? resend - (m - sent_at) :
					     hb - (m - answered_at);
			if (wait > 1000)	/* a clock that went round */
				wait = 1;
		}
		sys_poll(&pfd, fd < 0 ? 0 : 1, (int)wait);
		m = mono_ms();
		while (fd >= 0 && (r = sys_read(fd, line, sizeof(line))) > 0) {
			long v = parse_answer(line, r);

			if (v < 0) {
				if (damaged_answer(line, r))
					ms->bad_lines++;
				else
					command_line(line, r);
				continue;
			}
			answer(&mt, (u32)v);
			if (outstanding) {
				rtt = (3 * rtt + (m - sent_at)) / 4;
				resend = 2 * rtt < 20 ? 20 : 2 * rtt > 500 ?
					 500 : 2 * rtt;
				outstanding = 0;
			}
			answered_at = m;
		}
		step = m - m_prev;
		m_prev = m;
		if (step > ms->mono_maxgap_ms)
			ms->mono_maxgap_ms = step;
		if (!ms->clock && step > ms->maxgap_ms) {
			ms->maxgap_ms = step;	/* no host clock (yet) */
			ms->maxgap_at = uptime_s();
		}
		if (fd >= 0 && !ms->clock && !warned && m - start > 5000) {
			warned = 1;
			say("warning: no answer from the host clock on the console in 5 s (lab/sparc-clock.py): the pause meter has only CLOCK_MONOTONIC, which stops with QEMU");
		}
	}
}
