// SPDX-License-Identifier: GPL-2.0
/*
 * guest/init.c: /init of the SPARC Linux guest (QEMU SS-5, an ldm domain's
 * RAM): a workload for live migration that checks itself.
 *
 * It mounts proc, sysfs, devtmpfs and a tmpfs, reads its options from the
 * kernel command line (/proc/cmdline: the kernel keeps "ldm.x=y" from
 * init's argv), forks the workers (work.c, meter.c) and then, forever:
 * prints a status line every ldm.report seconds and answers commands typed
 * on the serial console. Options (all optional):
 *
 *   ldm.mem=MiB         heap size (default 64)
 *   ldm.rate=N|max      heap pages written per second, all writers (1000)
 *   ldm.threads=N       writer processes, 1-16 (1)
 *   ldm.verify=N|max    heap pages re-verified per second (max)
 *   ldm.cache=MiB       page cache: files in a tmpfs, 0 for none (8)
 *   ldm.cacherate=N|max files of 256 KiB rewritten and read back per s (4)
 *   ldm.hb=ms           heartbeat period, 1-1000 (10)
 *   ldm.gapwarn=ms      gaps reported as they end, at least (300)
 *   ldm.report=s        seconds between status lines, 0 for none (5)
 *   ldm.seed=N          content seed (1)
 *
 * An unknown ldm.* option, or a bad value, stops the guest with a line
 * naming it ("ldm-guest: error: ...") and powers it off.
 *
 * Console lines: "ldm-guest: ready ..." once the heap and the cache are
 * filled; "ldm-guest: t=... integrity ok" (or "integrity BAD ...") every
 * report; "ldm-guest: gap N ms ..." after each pause of ldm.gapwarn or
 * more; "ldm-guest: BAD ..." for each bad page. Commands: "status" (a
 * status line now), "set ldm.rate=N|max" (also ldm.verify, ldm.cacherate,
 * ldm.gapwarn: from now on), "reset" (the pause statistics start again:
 * maxgap_ms is then the longest pause since), "help", "poweroff".
 */
#include "guest.h"

struct shared *sh;

u32 uptime_s(void)
{
	struct timespec now;

	mono_now(&now);
	return (u32)(now.tv_sec - sh->start.tv_sec);
}

static void halt(void) __attribute__((noreturn));
static void halt(void)
{
	sys_poweroff();
	for (;;)
		sleep_us(1000000);
}

struct opt_def {
	const char *name;
	u32 *val;
	u32 min, max;
	int can_max;		/* takes "max" */
};

static int parse_opt(const struct opt_def *defs, const char *arg)
{
	const char *eq = arg;
	const struct opt_def *d;
	size_t len;

	while (*eq && *eq != '=')
		eq++;
	len = (size_t)(eq - arg);
	for (d = defs; d->name; d++)
		if (strlen(d->name) == len && !strncmp(d->name, arg, len))
			break;
	if (!d->name) {
		char known[256];
		int n = 0;

		for (d = defs; d->name; d++)
			n += fmt(known + n, sizeof(known) - (size_t)n, "%s%s",
				 n ? " " : "", d->name);
		say("error: unknown option '%s' (known: %s)", arg, known);
		return -1;
	}
	if (!*eq) {
		say("error: option '%s' needs a value (%s=N)", arg, d->name);
		return -1;
	}
	if (d->can_max && !strcmp(eq + 1, "max")) {
		*d->val = RATE_MAX;
		return 0;
	}
	if (parse_u32(eq + 1, d->val) || *d->val < d->min || *d->val > d->max) {
		say("error: bad value in '%s': %s takes a whole number from %u to %u%s",
		    arg, d->name, d->min, d->max, d->can_max ? ", or max" : "");
		return -1;
	}
	return 0;
}

static u32 meminfo_kib(const char *key)
{
	static char buf[2048];
	long fd = sys_open("/proc/meminfo", O_RDONLY, 0), n;
	size_t klen = strlen(key);
	char *p;
	u32 v = 0;

	if (fd < 0)
		return 0;
	n = sys_read((int)fd, buf, sizeof(buf) - 1);
	sys_close((int)fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (p = buf; *p; p++) {
		if ((p == buf || p[-1] == '\n') && !strncmp(p, key, klen) &&
		    p[klen] == ':') {
			for (p += klen + 1; *p == ' '; p++)
				;
			while (*p >= '0' && *p <= '9')
				v = v * 10 + (u32)(*p++ - '0');
			break;
		}
	}
	return v;
}

/* Options from /proc/cmdline; false (after saying why) if one is bad. */
static int read_options(struct options *o)
{
	static char line[1024];
	const struct opt_def defs[] = {
		{ "ldm.mem", &o->mem_mib, 1, 1024, 0 },
		{ "ldm.rate", &o->rate, 0, 10000000, 1 },
		{ "ldm.threads", &o->threads, 1, MAX_WRITERS, 0 },
		{ "ldm.verify", &o->verify, 0, 10000000, 1 },
		{ "ldm.cache", &o->cache_mib, 0, 1024, 0 },
		{ "ldm.cacherate", &o->cache_rate, 0, 100000, 1 },
		{ "ldm.hb", &o->hb_ms, 1, 1000, 0 },
		{ "ldm.gapwarn", &o->gap_ms, 1, 3600000, 0 },
		{ "ldm.report", &o->report_s, 0, 3600, 0 },
		{ "ldm.seed", &o->seed, 0, 0xffffffffu, 0 },
		{ 0, 0, 0, 0, 0 },
	};
	long fd, n;
	char *p;
	int ok = 1;

	*o = (struct options){ .mem_mib = 64, .rate = 1000, .threads = 1,
			       .verify = RATE_MAX, .cache_mib = 8,
			       .cache_rate = 4, .hb_ms = 10, .gap_ms = 300,
			       .report_s = 5, .seed = 1 };
	fd = sys_open("/proc/cmdline", O_RDONLY, 0);
	if (fd < 0) {
		say("error: cannot open /proc/cmdline (errno %d)", (int)-fd);
		return 0;
	}
	n = sys_read((int)fd, line, sizeof(line) - 1);
	sys_close((int)fd);
	if (n < 0)
		n = 0;
	line[n] = 0;
	for (p = line; *p;) {
		char *w = p;

		while (*p && *p != ' ' && *p != '\n')
			p++;
		if (*p)
			*p++ = 0;
		if (!strncmp(w, "ldm.", 4) && parse_opt(defs, w))
			ok = 0;
	}
	if (ok) {
		/* the heap, the cache and 24 MiB for the rest must fit */
		u32 total = meminfo_kib("MemTotal") / 1024;

		if (total && o->mem_mib + o->cache_mib + 24 > total) {
			say("error: ldm.mem=%u plus ldm.cache=%u MiB do not fit: the guest has %u MiB (MemTotal), 24 of which the rest needs",
			    o->mem_mib, o->cache_mib, total);
			ok = 0;
		}
	}
	return ok;
}

static void mounts(void)
{
	static const struct {
		const char *type, *dir;
	} m[] = {
		{ "proc", "/proc" }, { "sysfs", "/sys" }, { "devtmpfs", "/dev" },
	};
	u32 i;
	long r;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		sys_mkdir(m[i].dir, 0755);
		r = sys_mount(m[i].type, m[i].dir, m[i].type, 0, 0);
		if (r < 0 && r != -16)	/* EBUSY: already there */
			say("warning: mount %s on %s: errno %d", m[i].type,
			    m[i].dir, (int)-r);
	}
}

static const char *rate_str(char *buf, u32 v)
{
	if (v == RATE_MAX)
		return "max";
	fmt(buf, 16, "%u", v);
	return buf;
}

/* "ok", or what the first bad page of each kind was */
static void integrity(char *buf, size_t size)
{
	u32 bad = sh->cache.bad.count, i;
	const struct bad *first = 0;
	const char *what = "heap";

	for (i = 0; i < sh->opt.threads; i++) {
		bad += sh->w[i].bad.count;
		if (!first && sh->w[i].bad.count)
			first = &sh->w[i].bad;
	}
	if (!first && sh->cache.bad.count) {
		first = &sh->cache.bad;
		what = "cache";
	}
	if (!bad) {
		fmt(buf, size, "integrity ok");
		return;
	}
	fmt(buf, size,
		     "integrity BAD: %u pages; first: %s page %u gen %u offset %u wants %08x has %08x",
		     bad, what, first->page, first->gen, first->offset,
		     first->want, first->got);
}

struct totals {
	u32 written, verified, passes, cache_w, cache_v;
};

static void totals(struct totals *t)
{
	u32 i;

	*t = (struct totals){ 0 };
	for (i = 0; i < sh->opt.threads; i++) {
		t->written += sh->w[i].written;
		t->verified += sh->w[i].verified;
		t->passes += sh->w[i].passes;
	}
	t->cache_w = sh->cache.written;
	t->cache_v = sh->cache.verified;
}

static void status(const struct totals *prev, u32 dt_ms)
{
	struct totals t;
	const struct meter_stat *m = &sh->meter;
	char ok[200];
	u32 rate;

	totals(&t);
	rate = t.written - prev->written;	/* 32-bit division only */
	rate = !dt_ms ? 0 : rate < 4000000u ? rate * 1000u / dt_ms :
	       rate / (dt_ms / 1000u ? dt_ms / 1000u : 1);
	integrity(ok, sizeof(ok));
	say("t=%u written=%u rate=%u pages/s verified=%u passes=%u cache=%u/%u maxgap_ms=%u lastgap_ms=%u gaps=%u cadence_ms=%u monogap_ms=%u clock_bad=%u clock=%s %s",
	    uptime_s(), t.written, rate, t.verified, t.passes, t.cache_w,
	    t.cache_v, m->maxgap_ms, m->lastgap_ms, m->gaps, m->cadence_ms,
	    m->mono_maxgap_ms, m->bad_lines, m->clock ? "host" : "none", ok);
}

static long spawn(const char *what)
{
	long pid = sys_fork();

	if (pid < 0) {
		say("error: fork for %s: errno %d", what, (int)-pid);
		halt();
	}
	return pid;
}

static void command(char *line)
{
	static struct totals zero;

	while (*line == ' ')
		line++;
	if (!*line)
		return;
	if (!strcmp(line, "status")) {
		status(&zero, 0);
	} else if (!strncmp(line, "set ", 4)) {
		/* rates the workers re-read when opt_seq moves */
		const struct opt_def defs[] = {
			{ "ldm.rate", &sh->opt.rate, 0, 10000000, 1 },
			{ "ldm.verify", &sh->opt.verify, 0, 10000000, 1 },
			{ "ldm.cacherate", &sh->opt.cache_rate, 0, 100000, 1 },
			{ "ldm.gapwarn", &sh->opt.gap_ms, 1, 3600000, 0 },
			{ 0, 0, 0, 0, 0 },
		};

		if (!parse_opt(defs, line + 4)) {
			sh->opt_seq++;
			say("set %s", line + 4);
		}
	} else if (!strcmp(line, "reset")) {
		sh->meter_reset++;
		say("reset: the pause statistics start again");
	} else if (!strcmp(line, "help")) {
		say("commands: status, set ldm.rate|ldm.verify|ldm.cacherate|ldm.gapwarn=N, reset, help, poweroff");
	} else if (!strcmp(line, "poweroff")) {
		say("powering off");
		halt();
	} else {
		say("unknown command '%s' (status, set, reset, help, poweroff)", line);
	}
}

int main(int argc, char **argv, char **envp)
{
	struct options o;
	struct totals last;
	struct timespec t_last, now;
	u32 i, pages, first = 0, was_ready = 0;
	char line[128], b1[16], b2[16], b3[16];
	u32 cmd_seq = 0;

	(void)argc;
	(void)argv;
	(void)envp;
	mounts();
	sh = sys_mmap(0, sizeof(*sh), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		say("error: cannot map the shared page");
		halt();
	}
	mono_now(&sh->start);
	if (!read_options(&o))
		halt();
	sh->opt = o;
	say("starting: heap %u MiB, %u writer(s), rate %s pages/s, verify %s pages/s, cache %u MiB at %s files/s, heartbeat %u ms",
	    o.mem_mib, o.threads, rate_str(b1, o.rate), rate_str(b2, o.verify),
	    o.cache_mib, rate_str(b3, o.cache_rate), o.hb_ms);
	if (o.cache_mib) {
		char opts[32];
		long r;

		fmt(opts, sizeof(opts), "size=%um", o.cache_mib + 1);
		sys_mkdir("/cache", 0755);
		r = sys_mount("tmpfs", "/cache", "tmpfs", 0, opts);
		if (r < 0) {
			say("error: mount tmpfs on /cache: errno %d", (int)-r);
			halt();
		}
	}

	if (!spawn("the heartbeat"))
		meter_main();
	pages = o.mem_mib * (1024 * 1024 / PAGE_SIZE);
	for (i = 0; i < o.threads; i++) {
		u32 n = pages / o.threads + (i < pages % o.threads);

		if (!spawn("a writer"))
			writer_main(i, first, n);
		first += n;
	}
	if (o.cache_mib && !spawn("the page cache"))
		cache_main();

	totals(&last);
	mono_now(&t_last);
	for (;;) {
		u32 ready = sh->meter.ready && (!o.cache_mib || sh->cache.ready);
		u32 ms;
		long n;
		int st;

		for (i = 0; i < o.threads; i++)
			ready &= sh->w[i].ready;
		if (ready && !was_ready) {
			was_ready = 1;
			say("ready: heap %u MiB filled, cache %u MiB, t=%u s",
			    o.mem_mib, o.cache_mib, uptime_s());
		}
		sleep_us(100000);
		if (sh->cmd_seq != cmd_seq) {	/* meter.c read a line */
			cmd_seq = sh->cmd_seq;
			memcpy(line, (const char *)sh->cmd, sizeof(line));
			line[sizeof(line) - 1] = 0;
			command(line);
		}
		/* a worker that dies is a failure of the guest */
		n = sys_wait4(-1, &st, WNOHANG, 0);
		if (n > 0)
			say("error: worker %d exited (status 0x%x)", (int)n, (u32)st);
		mono_now(&now);
		ms = (u32)us_between(&t_last, &now) / 1000;
		if (o.report_s && ms >= o.report_s * 1000) {
			status(&last, ms);
			totals(&last);
			t_last = now;
		}
	}
}
