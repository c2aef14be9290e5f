// SPDX-License-Identifier: GPL-2.0
/*
 * guest/work.c: the SPARC guest's memory workload.
 *
 * Page contents: every page the guest writes is a pure function of a
 * 32-bit key (the page's number, its generation and ldm.seed, mixed), and
 * the key also picks its kind, in the proportions of what real RAM holds:
 * zero pages (4/16), English-like text (3/16), SPARC-like machine code
 * (3/16), random bytes (2/16), a repeated pattern or an array of structs
 * (2/16), and sparse pages, mostly zero (2/16). Text and code compress,
 * random does not, zero pages are skipped: a migration sees a real mix.
 *
 * Heap writers (ldm.threads processes): each owns a slice of the heap
 * (its own private anonymous mapping), fills it once, then rewrites random
 * pages of it at its share of ldm.rate and re-verifies it page after page
 * at its share of ldm.verify. For every page it keeps the generation and
 * a 32-bit checksum of what it wrote; a page whose checksum differs is
 * regenerated to name the first bad byte, reported, counted and rewritten.
 *
 * The page cache (ldm.cache MiB in /cache, a tmpfs): files of 64 pages
 * written, read back and checked the same way, ldm.cacherate files a
 * second (each step rewrites a random file from scratch, O_TRUNC, and
 * reads the next one back).
 */
#include "guest.h"

#define WORDS		(PAGE_SIZE / 4)
#define FILE_PAGES	64u

static u32 mix(u32 x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static u32 xorshift(u32 *s)
{
	u32 x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* The key of page number PAGE (heap, or cache file page) at generation GEN. */
static u32 page_key(u32 page, u32 gen)
{
	return mix(sh->opt.seed ^ mix(page * 0x9e3779b9u + gen));
}

static u32 checksum(const u32 *w)
{
	u32 h = 0x811c9dc5u;
	u32 i;

	for (i = 0; i < WORDS; i++)
		h = (h ^ w[i]) * 0x01000193u;
	return h;
}

static const char *const words[64] = {
	"the", "of", "and", "to", "a", "in", "is", "it", "that", "was",
	"for", "on", "are", "as", "with", "his", "they", "at", "be", "this",
	"from", "have", "or", "by", "one", "had", "not", "but", "what", "all",
	"were", "when", "we", "there", "can", "an", "your", "which", "their",
	"said", "if", "do", "will", "each", "about", "how", "up", "out",
	"memory", "page", "guest", "kernel", "domain", "migration", "host",
	"write", "dirty", "sparc", "station", "network", "time", "clock",
	"heap", "file",
};

static void gen_text(char *p, u32 r)
{
	char *end = p + PAGE_SIZE;
	u32 col = 0, n = 0;
	int cap = 1;

	while (p < end) {
		const char *w = words[xorshift(&r) & 63];
		u32 len = (u32)strlen(w), i;

		for (i = 0; i < len && p < end; i++, col++)
			*p++ = (char)(cap && i == 0 ? w[i] - 32 : w[i]);
		cap = 0;
		if (p == end)
			break;
		if (++n % 11 == 0 && (r & 1)) {
			*p++ = '.';
			cap = 1;
			if (p == end)
				break;
		}
		if (col > 68) {
			*p++ = '\n';
			col = 0;
		} else {
			*p++ = ' ';
			col++;
		}
	}
}

/* SPARC instruction words: a per-page vocabulary, mostly reused. */
static u32 sparc_insn(u32 r)
{
	static const u32 op3[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
				   0x10, 0x14, 0x24, 0x25 };
	u32 rd = (r >> 4) & 31, rs1 = (r >> 9) & 31, rs2 = (r >> 14) & 31;

	switch (r & 7) {
	case 0:		/* sethi %hi(x), rd */
		return (rd << 25) | (4u << 22) | ((r >> 12) & 0x3fffff);
	case 1:		/* ld [rs1 + simm13], rd */
		return (3u << 30) | (rd << 25) | (rs1 << 14) | (1u << 13) |
		       ((r >> 19) & 0xffc);
	case 2:		/* st rd, [rs1 + simm13] */
		return (3u << 30) | (rd << 25) | (4u << 19) | (rs1 << 14) |
		       (1u << 13) | ((r >> 19) & 0xffc);
	case 3:		/* call disp30 */
		return (1u << 30) | ((r >> 3) & 0xfffff);
	case 4:		/* bcc disp22 */
		return (((r >> 3) & 15) << 25) | (2u << 22) | ((r >> 12) & 0xff);
	case 5:		/* nop */
		return 0x01000000u;
	default:	/* arithmetic, register or immediate */
		return (2u << 30) | (rd << 25) | (op3[(r >> 19) % 10] << 19) |
		       (rs1 << 14) | ((r & 0x80000000u) ? (1u << 13) |
		       ((r >> 24) & 0x7f) : rs2);
	}
}

static void gen_code(u32 *w, u32 r)
{
	u32 vocab[32], i;

	for (i = 0; i < 32; i++)
		vocab[i] = sparc_insn(xorshift(&r));
	for (i = 0; i < WORDS; i++) {
		u32 x = xorshift(&r);

		if ((x & 63) == 0 && i + 1 < WORDS) {	/* ret; restore */
			w[i++] = 0x81c7e008u;
			w[i] = 0x81e80000u;
		} else if ((x & 63) == 1) {		/* save %sp, -96, %sp */
			w[i] = 0x9de3bfa0u;
		} else {
			w[i] = (x & 0x300) ? vocab[(x >> 10) & 31] : sparc_insn(x);
		}
	}
}

static void gen_page(u32 *w, u32 key)
{
	u32 r = key | 1, i;

	switch (key >> 28) {
	case 0: case 1: case 2: case 3:		/* zero */
		memset(w, 0, PAGE_SIZE);
		break;
	case 4: case 5: case 6:
		gen_text((char *)w, r);
		break;
	case 7: case 8: case 9:
		gen_code(w, r);
		break;
	case 10: case 11:			/* random */
		for (i = 0; i < WORDS; i++)
			w[i] = xorshift(&r);
		break;
	case 12: {				/* a pattern, 4 to 32 bytes */
		u32 pat[8], len = 1u << (r & 3);

		for (i = 0; i < len; i++)
			pat[i] = xorshift(&r);
		for (i = 0; i < WORDS; i++)
			w[i] = pat[i & (len - 1)];
		break;
	}
	case 13: {				/* an array of 16-byte structs */
		u32 base = xorshift(&r), a = xorshift(&r) & 0xffff;

		for (i = 0; i < WORDS; i += 4) {
			w[i] = base + i / 4;	/* an id */
			w[i + 1] = a;		/* flags */
			w[i + 2] = 0;
			w[i + 3] = (i / 4) & 1 ? 0xffffffffu : 0;
		}
		break;
	}
	default:				/* sparse: 1 to 32 words set */
		memset(w, 0, PAGE_SIZE);
		for (i = (r & 31) + 1; i; i--) {
			u32 x = xorshift(&r);

			w[x % WORDS] = x;
		}
	}
}

/* A bad page: find the first bad word, report it, keep the first. */
static void found_bad(struct bad *b, const char *what, u32 page, u32 gen,
		      const u32 *have, u32 key)
{
	static u32 want[WORDS];
	u32 i;

	gen_page(want, key);
	for (i = 0; i < WORDS - 1 && want[i] == have[i]; i++)
		;
	if (!b->count) {
		b->page = page;
		b->gen = gen;
		b->offset = i * 4;
		b->want = want[i];
		b->got = have[i];
	}
	b->count++;
	say("BAD %s page %u gen %u: offset %u wants %08x, has %08x",
	    what, page, gen, i * 4, want[i], have[i]);
}

/* Pacing: events at RATE a second, against CLOCK_MONOTONIC. */
struct pace {
	u32 rate;		/* RATE_MAX, or 0 for never */
	u32 interval_ns;
	u64 credit_ns;
	struct timespec last;
};

static void pace_init(struct pace *p, u32 rate)
{
	p->rate = rate;
	p->interval_ns = rate == RATE_MAX || !rate ? 0 :
			 rate >= 1000000000u ? 1 : 1000000000u / rate;
	p->credit_ns = 0;
	mono_now(&p->last);
}

/* How many events are due now, at most MAXN (MAXN when RATE_MAX). */
static u32 pace_take(struct pace *p, const struct timespec *now, u32 maxn)
{
	u64 dt;
	u32 n = 0;

	if (p->rate == RATE_MAX)
		return maxn;
	if (!p->rate)
		return 0;
	dt = (u64)(u32)(now->tv_sec - p->last.tv_sec) * 1000000000u +
	     (u64)(long long)(now->tv_nsec - p->last.tv_nsec);
	p->last = *now;
	p->credit_ns += dt;
	if (p->credit_ns > 1000000000u)	/* no bursts after a stall */
		p->credit_ns = 1000000000u;
	while (n < maxn && p->credit_ns >= p->interval_ns) {
		p->credit_ns -= p->interval_ns;
		n++;
	}
	return n;
}

/* Nanoseconds until the next event (a large value when never). */
static u32 pace_wait_ns(const struct pace *p)
{
	if (!p->rate || p->rate == RATE_MAX)
		return 100000000u;
	return p->credit_ns >= p->interval_ns ? 0 :
	       p->interval_ns - (u32)p->credit_ns;
}

/* share: N's part for one of PARTS workers, the remainder to the first */
static u32 share(u32 n, u32 id, u32 parts)
{
	if (n == RATE_MAX)
		return RATE_MAX;
	return n / parts + (id < n % parts);
}

static void *map_anon(u32 bytes, const char *what)
{
	void *p = sys_mmap(0, bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		say("error: cannot map %u KiB for %s", bytes / 1024, what);
		sys_exit(1);
	}
	return p;
}

void writer_main(u32 id, u32 first, u32 n)
{
	struct writer_stat *st = &sh->w[id];
	u32 *heap = map_anon(n * PAGE_SIZE, "the heap");
	u32 *gen = map_anon(n * 8, "the page table");
	u32 *sum = gen + n;
	u32 rnd = mix(sh->opt.seed + id) | 1, v = 0, p, seq = sh->opt_seq - 1;
	struct pace wp, vp;
	struct timespec now;

	for (p = 0; p < n; p++) {
		gen[p] = 1;
		gen_page(heap + p * WORDS, page_key(first + p, 1));
		sum[p] = checksum(heap + p * WORDS);
		st->written++;
	}
	st->ready = 1;
	for (;;) {
		u32 k, wait;

		if (seq != sh->opt_seq) {	/* first, or a "set" command */
			seq = sh->opt_seq;
			pace_init(&wp, share(sh->opt.rate, id, sh->opt.threads));
			pace_init(&vp, share(sh->opt.verify, id, sh->opt.threads));
		}
		mono_now(&now);
		k = pace_take(&wp, &now, 16);
		wait = !k;
		while (k--) {
			p = xorshift(&rnd) % n;
			gen[p]++;
			gen_page(heap + p * WORDS, page_key(first + p, gen[p]));
			sum[p] = checksum(heap + p * WORDS);
			st->written++;
		}
		k = pace_take(&vp, &now, 16);
		wait &= !k;
		while (k--) {
			u32 *w = heap + v * WORDS;

			if (checksum(w) != sum[v]) {
				found_bad(&st->bad, "heap", first + v, gen[v], w,
					  page_key(first + v, gen[v]));
				gen[v]++;	/* rewritten: reported once */
				gen_page(w, page_key(first + v, gen[v]));
				sum[v] = checksum(w);
			}
			st->verified++;
			if (++v == n) {
				v = 0;
				st->passes++;
			}
		}
		if (wait) {
			u32 a = pace_wait_ns(&wp), b = pace_wait_ns(&vp);

			sleep_us((long)((a < b ? a : b) / 1000) + 1);
		}
	}
}

/* ---- the page cache ---- */

static void cache_fail(const char *what, u32 file, long err)
{
	struct cache_stat *st = &sh->cache;

	if (!st->error)
		say("error: page cache: %s /cache/f%u: errno %d", what, file,
		    (int)-err);
	st->error = (u32)-err;
}

static void file_name(char *buf, u32 f)
{
	fmt(buf, 32, "/cache/f%u", f);
}

static void cache_write(u32 f, u32 g, u32 *sums, u32 *buf)
{
	char name[32];
	long fd, r;
	u32 j;

	file_name(name, f);
	fd = sys_open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		cache_fail("open", f, fd);
		return;
	}
	for (j = 0; j < FILE_PAGES; j++) {
		gen_page(buf, page_key(0x80000000u + f * FILE_PAGES + j, g));
		sums[f * FILE_PAGES + j] = checksum(buf);
		r = sys_write((int)fd, buf, PAGE_SIZE);
		if (r != PAGE_SIZE) {
			cache_fail("write", f, r < 0 ? r : -28);
			break;
		}
	}
	sys_close((int)fd);
	sh->cache.written++;
}

static void cache_verify(u32 f, u32 g, const u32 *sums, u32 *buf)
{
	char name[32];
	long fd, r;
	u32 j;

	file_name(name, f);
	fd = sys_open(name, O_RDONLY, 0);
	if (fd < 0) {
		cache_fail("open", f, fd);
		return;
	}
	for (j = 0; j < FILE_PAGES; j++) {
		u32 got = 0;

		while (got < PAGE_SIZE) {
			r = sys_read((int)fd, (char *)buf + got, PAGE_SIZE - got);
			if (r <= 0)
				break;
			got += (u32)r;
		}
		if (got < PAGE_SIZE) {
			cache_fail("read", f, r < 0 ? r : -5);
			break;
		}
		if (checksum(buf) != sums[f * FILE_PAGES + j])
			found_bad(&sh->cache.bad, "cache", f * FILE_PAGES + j, g,
				  buf, page_key(0x80000000u + f * FILE_PAGES + j, g));
	}
	sys_close((int)fd);
	sh->cache.verified++;
}

void cache_main(void)
{
	u32 files = sh->opt.cache_mib * (1024 / (FILE_PAGES * PAGE_SIZE / 1024));
	u32 *gen = map_anon(files * 4, "the page cache's table");
	u32 *sums = map_anon(files * FILE_PAGES * 4, "the page cache's sums");
	u32 *buf = map_anon(PAGE_SIZE, "a buffer");
	u32 rnd = mix(sh->opt.seed + 0x1000) | 1, v = 0, f, k;
	u32 seq = sh->opt_seq - 1;
	struct pace pc;
	struct timespec now;

	for (f = 0; f < files; f++) {
		gen[f] = 1;
		cache_write(f, 1, sums, buf);
	}
	sh->cache.ready = 1;
	for (;;) {
		if (seq != sh->opt_seq) {	/* first, or a "set" command */
			seq = sh->opt_seq;
			pace_init(&pc, sh->opt.cache_rate);
		}
		mono_now(&now);
		k = pace_take(&pc, &now, 4);
		if (!k) {
			sleep_us((long)(pace_wait_ns(&pc) / 1000) + 1);
			continue;
		}
		while (k--) {
			f = xorshift(&rnd) % files;
			cache_write(f, ++gen[f], sums, buf);
			cache_verify(v, gen[v], sums, buf);
			v = (v + 1) % files;
		}
	}
}
