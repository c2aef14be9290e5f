// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Codec benchmark: ldm's LZJB against a byte-at-a-time LZJB baseline, LZ4
 * and zstd -1, on the same pages, in the same run, under the pipeline's
 * rules: zero
 * pages are found by a zero check and never compressed, a page whose
 * compressed form is larger than 7/8 of it is sent raw (copied). Each
 * figure is the median of several repetitions; only the ratios between
 * codecs of one run mean anything on a shared machine.
 *
 *   bench [-m MiB] [-r repetitions] [-s seed] [-k]
 *
 * Built with BENCH_BEFORE defined (make bench BENCH_BEFORE=<git revision>),
 * it also runs that revision's driver/lzjb.c, as "before-lzjb", so that a
 * change to the codec is measured against what it replaces in one run.
 *
 * -k adds one row set per non-zero kind (code, text, pattern). Each row
 * gives the median throughputs and the range (slowest to fastest
 * repetition); the speed-ups are taken against the baseline, LZ4 and
 * zstd -1.
 */
#define _GNU_SOURCE
#include <lz4.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "../../driver/lzjb.h"
#include "corpus.h"
#include "ref_lzjb.h"

#define PAGE	4096
#define LIMIT	(PAGE / 8 * 7)	/* compressed above this: sent raw */

struct codec {
	const char *name;
	/* returns the compressed length, or 0 when the page goes raw */
	size_t (*compress)(const void *src, void *dst, size_t n, size_t lim);
	int (*decompress)(const void *src, void *dst, size_t len, size_t n);
};

static size_t ldm_c(const void *s, void *d, size_t n, size_t lim)
{
	size_t c = lzjb_compress(s, d, n, lim);

	return c < n ? c : 0;
}

static int ldm_d(const void *s, void *d, size_t len, size_t n)
{
	return lzjb_decompress(s, d, len, n);
}

#ifdef BENCH_BEFORE
size_t before_lzjb_compress(const void *src, void *dst, size_t s_len,
			    size_t d_len);
int before_lzjb_decompress(const void *src, void *dst, size_t s_len,
			   size_t d_len);

static size_t before_c(const void *s, void *d, size_t n, size_t lim)
{
	size_t c = before_lzjb_compress(s, d, n, lim);

	return c < n ? c : 0;
}

static int before_d(const void *s, void *d, size_t len, size_t n)
{
	return before_lzjb_decompress(s, d, len, n);
}
#endif

static size_t ref_c(const void *s, void *d, size_t n, size_t lim)
{
	size_t c = ref_lzjb_compress(s, d, n, lim);

	return c < n ? c : 0;
}

static int ref_d(const void *s, void *d, size_t len, size_t n)
{
	return ref_lzjb_decompress(s, d, len, n) < 0;
}

static size_t lz4_c(const void *s, void *d, size_t n, size_t lim)
{
	return LZ4_compress_default(s, d, (int)n, (int)lim);
}

static int lz4_d(const void *s, void *d, size_t len, size_t n)
{
	return LZ4_decompress_safe(s, d, (int)len, (int)n) != (int)n;
}

/*
 * zstd at level 1, one context each way made once (as a kernel worker
 * would keep its own): a frame per page, with its header (the content
 * size) and without a checksum, zstd's defaults. The same limit: a frame
 * that does not fit in it is an error, and the page goes raw.
 */
static ZSTD_CCtx *zcctx;
static ZSTD_DCtx *zdctx;

static size_t zstd_c(const void *s, void *d, size_t n, size_t lim)
{
	size_t c = ZSTD_compressCCtx(zcctx, d, lim, s, n, 1);

	return ZSTD_isError(c) || c >= n ? 0 : c;
}

static int zstd_d(const void *s, void *d, size_t len, size_t n)
{
	return ZSTD_decompressDCtx(zdctx, d, n, s, len) != n;
}

/* The indexes below name the ones the speed-ups are taken against. */
enum { C_LDM, C_REF, C_LZ4, C_ZSTD, C_BEFORE };

static const struct codec codecs[] = {
	[C_LDM] = { "ldm-lzjb", ldm_c, ldm_d },
	[C_REF] = { "ref-lzjb", ref_c, ref_d },
	[C_LZ4] = { "lz4", lz4_c, lz4_d },
	[C_ZSTD] = { "zstd-1", zstd_c, zstd_d },
#ifdef BENCH_BEFORE
	[C_BEFORE] = { "before-lzjb", before_c, before_d },
#endif
};
#define NCODECS (sizeof(codecs) / sizeof(codecs[0]))

enum { REC_ZERO, REC_RAW, REC_LZ };

struct rec {
	uint32_t off;
	uint16_t len;
	uint8_t kind;
};

/* The pipeline's zero check: 64 bytes per test, like memchr_inv(). */
static int page_is_zero(const unsigned char *p)
{
	size_t i;

	for (i = 0; i < PAGE; i += 64) {
		uint64_t w[8], a;

		memcpy(w, p + i, 64);
		a = w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
		if (a)
			return 0;
	}
	return 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct result {
	double ct[64], dt[64];		/* per repetition, seconds */
	double *sc, *sd;		/* per repetition and slice */
	size_t out_bytes, n[3];
};

/*
 * Compresses pages [first, first + count) into out at *pos; per-page
 * records in r. Returns the number of bytes written.
 */
static void compress_pages(const struct codec *cd, const struct corpus *c,
			   size_t first, size_t count, unsigned char *out,
			   size_t *pos, struct rec *r, size_t *n)
{
	size_t i;

	for (i = first; i < first + count; i++) {
		const unsigned char *p = c->data + i * PAGE;
		size_t len;

		if (page_is_zero(p)) {
			r[i].kind = REC_ZERO;
			r[i].len = 0;
			n[REC_ZERO]++;
			continue;
		}
		len = cd->compress(p, out + *pos, PAGE, LIMIT);
		if (len) {
			r[i].kind = REC_LZ;
		} else {
			memcpy(out + *pos, p, PAGE);
			len = PAGE;
			r[i].kind = REC_RAW;
		}
		r[i].off = (uint32_t)*pos;
		r[i].len = (uint16_t)len;
		n[r[i].kind]++;
		*pos += len;
	}
}

static int decompress_pages(const struct codec *cd, size_t first,
			    size_t count, const unsigned char *out,
			    const struct rec *r, unsigned char *back)
{
	size_t i;
	int bad = 0;

	for (i = first; i < first + count; i++) {
		unsigned char *p = back + i * PAGE;

		switch (r[i].kind) {
		case REC_ZERO:
			memset(p, 0, PAGE);
			break;
		case REC_RAW:
			memcpy(p, out + r[i].off, PAGE);
			break;
		default:
			bad |= cd->decompress(out + r[i].off, p, r[i].len,
					      PAGE);
		}
	}
	return bad;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, size_t n)
{
	double *s = malloc(n * sizeof(*s)), m;

	if (!s)
		abort();
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

/* The slowest and the fastest repetition, in MB/s. */
static void spread(const double *t, int reps, size_t bytes, double *lo,
		   double *hi)
{
	double tmin = t[0], tmax = t[0];
	int i;

	for (i = 1; i < reps; i++) {
		tmin = t[i] < tmin ? t[i] : tmin;
		tmax = t[i] > tmax ? t[i] : tmax;
	}
	*lo = bytes / tmax / 1e6;
	*hi = bytes / tmin / 1e6;
}

/*
 * Median over slices of the time ratio b / a of two codecs on the same
 * slice in the same turn: what a load that comes and goes cannot skew.
 */
static double paired(const double *a, const double *b, size_t n)
{
	double *r = malloc(n * sizeof(*r)), m;
	size_t i;

	if (!r)
		abort();
	for (i = 0; i < n; i++)
		r[i] = a[i] > 0 ? b[i] / a[i] : 0;
	m = median(r, n);
	free(r);
	return m;
}

/*
 * The machines are shared: another job may take the core at any moment.
 * So the codecs take turns on small slices of the corpus (in rotating
 * order, so that none always finds the slice in cache), and each sees the
 * same disturbances; a repetition is one pass over the whole corpus.
 */
#define SLICE	256	/* pages */

static int run_set(const char *name, const struct corpus *c, int reps)
{
	size_t bytes = c->npages * PAGE;
	unsigned char *out[NCODECS], *back = malloc(bytes);
	struct rec *r[NCODECS];
	struct result res[NCODECS];
	double cm[NCODECS], dm[NCODECS];
	size_t k, first, pos[NCODECS];
	int rep;

	size_t nslices = (c->npages + SLICE - 1) / SLICE;
	double pc[NCODECS], pd[NCODECS], pc4[NCODECS], pd4[NCODECS];
	double pcz[NCODECS], pdz[NCODECS];
	double clo[NCODECS], chi[NCODECS], dlo[NCODECS], dhi[NCODECS];

	memset(res, 0, sizeof(res));
	for (k = 0; k < NCODECS; k++) {
		out[k] = malloc(bytes + PAGE);
		r[k] = calloc(c->npages, sizeof(*r[k]));
		res[k].sc = calloc(reps * nslices, sizeof(double));
		res[k].sd = calloc(reps * nslices, sizeof(double));
		if (!out[k] || !r[k] || !back || !res[k].sc || !res[k].sd) {
			fprintf(stderr, "bench: out of memory\n");
			return -1;
		}
		/* touch everything once so no codec pays for page faults */
		memset(out[k], 1, bytes + PAGE);
	}
	memset(back, 1, bytes);

	for (rep = 0; rep < reps; rep++) {
		for (k = 0; k < NCODECS; k++) {
			pos[k] = 0;
			memset(res[k].n, 0, sizeof(res[k].n));
		}
		for (first = 0; first < c->npages; first += SLICE) {
			size_t count = c->npages - first < SLICE ?
				       c->npages - first : SLICE;
			size_t turn;

			for (turn = 0; turn < NCODECS; turn++) {
				size_t kk = (turn + first / SLICE) % NCODECS;
				const struct codec *cd = &codecs[kk];
				double t0, t1, t2;

				t0 = now();
				compress_pages(cd, c, first, count, out[kk],
					       &pos[kk], r[kk], res[kk].n);
				t1 = now();
				if (decompress_pages(cd, first, count, out[kk],
						     r[kk], back)) {
					fprintf(stderr, "bench: %s failed to decompress\n",
						cd->name);
					return -1;
				}
				t2 = now();
				res[kk].ct[rep] += t1 - t0;
				res[kk].dt[rep] += t2 - t1;
				res[kk].sc[rep * nslices + first / SLICE] =
					t1 - t0;
				res[kk].sd[rep * nslices + first / SLICE] =
					t2 - t1;
				if (memcmp(back + first * PAGE,
					   c->data + first * PAGE,
					   count * PAGE)) {
					fprintf(stderr, "bench: %s: round trip differs\n",
						cd->name);
					return -1;
				}
			}
		}
		for (k = 0; k < NCODECS; k++)
			res[k].out_bytes = pos[k];
	}

	printf("%-8s %-9s %10s %11s %10s %11s %7s %7s %6s %6s\n", "set",
	       "codec", "comp MB/s", "(min-max)", "dec MB/s", "(min-max)",
	       "ratio", "zero", "raw", "compr");
	for (k = 0; k < NCODECS; k++) {
		cm[k] = bytes / median(res[k].ct, reps) / 1e6;
		dm[k] = bytes / median(res[k].dt, reps) / 1e6;
		spread(res[k].ct, reps, bytes, clo + k, chi + k);
		spread(res[k].dt, reps, bytes, dlo + k, dhi + k);
		printf("%-8s %-9s %10.0f %5.0f-%-5.0f %10.0f %5.0f-%-5.0f %7.3f %7zu %6zu %6zu\n",
		       name, codecs[k].name, cm[k], clo[k], chi[k], dm[k],
		       dlo[k], dhi[k], (double)res[k].out_bytes / bytes,
		       res[k].n[REC_ZERO], res[k].n[REC_RAW], res[k].n[REC_LZ]);
	}
	for (k = 0; k < NCODECS; k++) {
		pc[k] = paired(res[k].sc, res[C_REF].sc, reps * nslices);
		pd[k] = paired(res[k].sd, res[C_REF].sd, reps * nslices);
		pc4[k] = paired(res[k].sc, res[C_LZ4].sc, reps * nslices);
		pd4[k] = paired(res[k].sd, res[C_LZ4].sd, reps * nslices);
		pcz[k] = paired(res[k].sc, res[C_ZSTD].sc, reps * nslices);
		pdz[k] = paired(res[k].sd, res[C_ZSTD].sd, reps * nslices);
	}
	printf("%-8s speed-up ldm-lzjb/ref-lzjb: compress %.2fx, decompress %.2fx; paired per slice: %.2fx / %.2fx\n",
	       name, cm[C_LDM] / cm[C_REF], dm[C_LDM] / dm[C_REF], pc[C_LDM],
	       pd[C_LDM]);
	printf("%-8s speed-up ldm-lzjb/lz4: compress %.2fx, decompress %.2fx (goal 1x / 0.7x); paired per slice: %.2fx / %.2fx\n",
	       name, cm[C_LDM] / cm[C_LZ4], dm[C_LDM] / dm[C_LZ4], pc4[C_LDM],
	       pd4[C_LDM]);
	printf("%-8s speed-up ldm-lzjb/zstd-1: compress %.2fx, decompress %.2fx; paired per slice: %.2fx / %.2fx\n",
	       name, cm[C_LDM] / cm[C_ZSTD], dm[C_LDM] / dm[C_ZSTD],
	       pcz[C_LDM], pdz[C_LDM]);
#ifdef BENCH_BEFORE
	printf("%-8s speed-up ldm-lzjb/before-lzjb (%s): compress %.2fx, decompress %.2fx; paired per slice: %.2fx / %.2fx\n",
	       name, BENCH_BEFORE, cm[C_LDM] / cm[C_BEFORE],
	       dm[C_LDM] / dm[C_BEFORE],
	       paired(res[C_LDM].sc, res[C_BEFORE].sc, reps * nslices),
	       paired(res[C_LDM].sd, res[C_BEFORE].sd, reps * nslices));
#endif
	if (!res[C_LDM].n[REC_LZ] && !res[C_REF].n[REC_LZ])
		printf("%-8s (no page compressed: decompressing is a copy for every codec, its speed-ups are noise)\n",
		       name);
	for (k = 0; k < NCODECS; k++)
		printf("csv,%s,%s,%.1f,%.1f,%.4f,%zu,%zu,%zu,%zu,%.3f,%.3f,%.3f,%.3f,%.1f,%.1f,%.1f,%.1f,%.3f,%.3f,%.3f,%.3f\n",
		       name, codecs[k].name, cm[k], dm[k],
		       (double)res[k].out_bytes / bytes, c->npages,
		       res[k].n[REC_ZERO], res[k].n[REC_RAW], res[k].n[REC_LZ],
		       cm[k] / cm[C_REF], dm[k] / dm[C_REF], pc[k], pd[k],
		       clo[k], chi[k], dlo[k], dhi[k], cm[k] / cm[C_LZ4],
		       dm[k] / dm[C_LZ4], pc4[k], pd4[k]);
	printf("\n");
	for (k = 0; k < NCODECS; k++) {
		free(out[k]);
		free(r[k]);
		free(res[k].sc);
		free(res[k].sd);
	}
	free(back);
	return 0;
}

int main(int argc, char **argv)
{
	static const unsigned int mix[CORPUS_KINDS] = { 40, 20, 20, 10, 10 };
	static const struct {
		const char *name;
		unsigned int kind;
	} extra[] = {
		{ "code", CORPUS_CODE },
		{ "text", CORPUS_TEXT },
		{ "pattern", CORPUS_PATTERN },
	};
	size_t mib = 64;
	int reps = 7, kinds = 0, opt, cpu;
	uint64_t seed = 1;
	unsigned int only[CORPUS_KINDS];
	struct corpus c;
	cpu_set_t set;
	size_t e;

	while ((opt = getopt(argc, argv, "m:r:s:k")) != -1) {
		switch (opt) {
		case 'm':
			mib = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'k':
			kinds = 1;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-m MiB] [-r reps] [-s seed] [-k]\n",
				argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > 64 || mib < 1) {
		fprintf(stderr, "bench: 1..64 repetitions, at least 1 MiB\n");
		return 2;
	}

	/* one core, and always the same one */
	cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);

	zcctx = ZSTD_createCCtx();
	zdctx = ZSTD_createDCtx();
	if (!zcctx || !zdctx) {
		fprintf(stderr, "bench: no zstd context\n");
		return 1;
	}

	printf("codec benchmark: one core (cpu %d), %d repetitions, medians; "
	       "MB = 10^6 bytes of uncompressed pages per second\n"
	       "rules: zero pages skipped by a zero check; compressed > %d of "
	       "%d bytes -> raw (copied); ratio = bytes out / bytes in\n"
	       "codecs: ldm-lzjb = driver/lzjb.c; ref-lzjb = byte-at-a-time "
	       "LZJB (ZFS style, ref_lzjb.c); lz4 = liblz4 %s "
	       "LZ4_compress_default / LZ4_decompress_safe; zstd-1 = libzstd %s "
	       "level 1, a frame per page, contexts reused\n\n",
	       cpu, reps, LIMIT, PAGE, LZ4_versionString(),
	       ZSTD_versionString());
#ifdef BENCH_BEFORE
	printf("before-lzjb = driver/lzjb.c of %s\n\n", BENCH_BEFORE);
#endif
	printf("csv-header,set,codec,compress_MBps,decompress_MBps,ratio,pages,"
	       "zero_pages,raw_pages,compressed_pages,compress_vs_ref,"
	       "decompress_vs_ref,compress_vs_ref_paired,"
	       "decompress_vs_ref_paired,compress_min_MBps,compress_max_MBps,"
	       "decompress_min_MBps,decompress_max_MBps,compress_vs_lz4,"
	       "decompress_vs_lz4,compress_vs_lz4_paired,"
	       "decompress_vs_lz4_paired\n\n");

	if (corpus_build(&c, mib << 20, PAGE, mix, seed))
		return 1;
	corpus_describe(&c, "mix");
	if (run_set("mix", &c, reps))
		return 1;
	corpus_free(&c);

	memset(only, 0, sizeof(only));
	only[CORPUS_RANDOM] = 100;
	if (corpus_build(&c, (mib << 20) / 4, PAGE, only, seed + 1))
		return 1;
	corpus_describe(&c, "random");
	if (run_set("random", &c, reps))
		return 1;
	corpus_free(&c);

	for (e = 0; kinds && e < sizeof(extra) / sizeof(extra[0]); e++) {
		memset(only, 0, sizeof(only));
		only[extra[e].kind] = 100;
		if (corpus_build(&c, (mib << 20) / 4, PAGE, only, seed + 2))
			return 1;
		corpus_describe(&c, extra[e].name);
		if (run_set(extra[e].name, &c, reps))
			return 1;
		corpus_free(&c);
	}
	return 0;
}
