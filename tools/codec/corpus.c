// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The reference page mix (corpus.h), built from the files of this machine.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "corpus.h"

const char *const corpus_kind_name[CORPUS_KINDS] = {
	[CORPUS_ZERO] = "zero",
	[CORPUS_CODE] = "code",
	[CORPUS_TEXT] = "text",
	[CORPUS_RANDOM] = "random",
	[CORPUS_PATTERN] = "pattern",
};

/* At most this much of each file, so that many files are sampled. */
#define CODE_PER_FILE	(256 * 1024)
#define TEXT_PER_FILE	(64 * 1024)

uint64_t corpus_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ z >> 27) * 0x94d049bb133111ebULL;
	return z ^ z >> 31;
}

void corpus_fill_random(unsigned char *p, size_t n, uint64_t *state)
{
	while (n) {
		uint64_t v = corpus_rand(state);
		size_t k = n < 8 ? n : 8;

		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void corpus_fill_pattern(unsigned char *p, size_t n, uint64_t *state)
{
	uint64_t r = corpus_rand(state);
	size_t i, period;

	switch (r % 7) {
	case 0:		/* one non-zero byte everywhere (0xff, poison) */
		memset(p, (int)(r >> 8 | 1), n);
		break;
	case 1:		/* a table of 32-bit counters */
		for (i = 0; i + 4 <= n; i += 4)
			put32(p + i, (uint32_t)(r >> 16) + (uint32_t)i / 4);
		break;
	case 2:		/* a short random sequence repeated */
		period = 2 + (r >> 8) % 31;
		corpus_fill_random(p, period, state);
		for (i = period; i < n; i++)
			p[i] = p[i - period];
		break;
	case 3:		/* a sparse table: one random word every 64 bytes */
		memset(p, 0, n);
		for (i = 0; i + 8 <= n; i += 64)
			put64(p + i, corpus_rand(state));
		break;
	case 4:		/* an array of records with a counter and a flag */
		period = 32 << (r >> 8) % 4;
		memset(p, 0, n);
		for (i = 0; i + period <= n; i += period) {
			put32(p + i, (uint32_t)(i / period));
			put32(p + i + 4, 0xdeadbeef);
			put64(p + i + 8, 0xffff888000000000ULL + i * 8);
		}
		break;
	case 5:		/* pointers into one region, like a page table */
		for (i = 0; i + 8 <= n; i += 8)
			put64(p + i, 0x8000000000000067ULL |
				     ((r >> 24 & 0xfffff000ULL) + i / 8 * 4096));
		break;
	default:	/* a text line repeated, as in a log or a buffer */
		for (i = 0; i < n; i++)
			p[i] = "ldm: migration round done, 0 pages left\n"[i % 40];
		break;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted paths of the regular files in dir that accept(). */
static char **list_files(const char *dir, int (*accept)(const char *),
			 size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		char *path;
		struct stat st;

		if (e->d_name[0] == '.' ||
		    asprintf(&path, "%s/%s", dir, e->d_name) < 0)
			continue;
		if (stat(path, &st) || !S_ISREG(st.st_mode) || !accept(path)) {
			free(path);
			continue;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		v[(*n)++] = path;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static int is_elf(const char *path)
{
	unsigned char m[4];
	int fd = open(path, O_RDONLY);
	int ok;

	if (fd < 0)
		return 0;
	ok = read(fd, m, 4) == 4 && !memcmp(m, "\177ELF", 4);
	close(fd);
	return ok;
}

static int is_gz(const char *path)
{
	size_t l = strlen(path);

	return l > 3 && !strcmp(path + l - 3, ".gz");
}

static int all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/*
 * Fills want pages at out, in order, with the non-zero pages cut from the
 * concatenation of files (at most per_file bytes of each). gzread() reads
 * plain files as they are and gzip files decompressed.
 */
static size_t fill_from_files(unsigned char *out, size_t want, size_t page,
			      char **files, size_t nfiles, size_t per_file,
			      unsigned int *used)
{
	size_t got = 0, fill = 0, f;

	*used = 0;
	for (f = 0; f < nfiles && got < want; f++) {
		gzFile gz = gzopen(files[f], "rb");
		size_t taken = 0;

		if (!gz)
			continue;
		++*used;
		while (got < want && taken < per_file) {
			int r = gzread(gz, out + got * page + fill,
				       (unsigned int)(page - fill));

			if (r <= 0)
				break;
			fill += r;
			taken += r;
			if (fill == page) {
				if (!all_zero(out + got * page, page))
					got++;
				fill = 0;
			}
		}
		gzclose(gz);
	}
	return got;
}

static int man_dir_ok(const char *path)
{
	return is_gz(path);
}

int corpus_build(struct corpus *c, size_t bytes, size_t page,
		 const unsigned int percent[CORPUS_KINDS], uint64_t seed)
{
	static const char *const man_dirs[] = {
		"/usr/share/man/man1", "/usr/share/man/man3",
		"/usr/share/man/man5", "/usr/share/man/man7",
		"/usr/share/man/man8",
	};
	unsigned int k, pct = 0;
	size_t i, at, want[CORPUS_KINDS];
	uint64_t rs = seed;
	unsigned char *order;

	memset(c, 0, sizeof(*c));
	c->page = page;
	c->npages = bytes / page;
	for (k = 0; k < CORPUS_KINDS; k++)
		pct += percent[k];
	if (pct != 100 || !c->npages) {
		fprintf(stderr, "corpus: bad mix or size\n");
		return -1;
	}
	c->data = malloc(c->npages * page);
	c->kind = malloc(c->npages);
	order = malloc(c->npages);
	if (!c->data || !c->kind || !order) {
		fprintf(stderr, "corpus: out of memory\n");
		return -1;
	}

	/* the kinds in proportion, the remainder to the first kinds */
	at = 0;
	for (k = 0; k < CORPUS_KINDS; k++) {
		want[k] = c->npages * percent[k] / 100;
		at += want[k];
	}
	for (k = 0; at < c->npages; k = (k + 1) % CORPUS_KINDS)
		if (percent[k]) {
			want[k]++;
			at++;
		}

	/* lay the kinds out contiguously, fill, then shuffle page order */
	at = 0;
	for (k = 0; k < CORPUS_KINDS; k++) {
		unsigned char *base = c->data + at * page;
		size_t n = want[k], got = n;

		if (k == CORPUS_CODE && n) {
			size_t nf;
			char **f = list_files("/usr/bin", is_elf, &nf);

			got = fill_from_files(base, n, page, f, nf,
					      CODE_PER_FILE, &c->code_files);
			for (i = 0; i < nf; i++)
				free(f[i]);
			free(f);
		} else if (k == CORPUS_TEXT && n) {
			size_t d;

			got = 0;
			for (d = 0; d < 5 && got < n; d++) {
				size_t nf;
				unsigned int used;
				char **f = list_files(man_dirs[d], man_dir_ok,
						      &nf);

				got += fill_from_files(base + got * page,
						       n - got, page, f, nf,
						       TEXT_PER_FILE, &used);
				c->text_files += used;
				for (i = 0; i < nf; i++)
					free(f[i]);
				free(f);
			}
		} else if (k == CORPUS_ZERO) {
			memset(base, 0, n * page);
		} else if (k == CORPUS_RANDOM) {
			corpus_fill_random(base, n * page, &rs);
		} else if (k == CORPUS_PATTERN) {
			for (i = 0; i < n; i++)
				corpus_fill_pattern(base + i * page, page,
						    &rs);
		}
		if (got < n) {
			fprintf(stderr,
				"corpus: only %zu of %zu %s pages on this machine\n",
				got, n, corpus_kind_name[k]);
			free(order);
			return -1;
		}
		memset(order + at, (int)k, n);
		c->count[k] = n;
		at += n;
	}

	/* Fisher-Yates on whole pages, so the kinds interleave */
	{
		unsigned char *tmp = malloc(page);

		if (!tmp)
			abort();
		for (i = c->npages - 1; i > 0; i--) {
			size_t j = corpus_rand(&rs) % (i + 1);
			unsigned char t = order[i];

			memcpy(tmp, c->data + i * page, page);
			memcpy(c->data + i * page, c->data + j * page, page);
			memcpy(c->data + j * page, tmp, page);
			order[i] = order[j];
			order[j] = t;
		}
		free(tmp);
	}
	memcpy(c->kind, order, c->npages);
	free(order);
	return 0;
}

void corpus_free(struct corpus *c)
{
	free(c->data);
	free(c->kind);
	memset(c, 0, sizeof(*c));
}

void corpus_describe(const struct corpus *c, const char *name)
{
	unsigned int k;

	printf("corpus %s: %zu pages of %zu bytes (%.1f MiB):", name,
	       c->npages, c->page, c->npages * c->page / 1048576.0);
	for (k = 0; k < CORPUS_KINDS; k++)
		if (c->count[k])
			printf(" %s %zu (%.0f%%)", corpus_kind_name[k],
			       c->count[k], 100.0 * c->count[k] / c->npages);
	if (c->count[CORPUS_CODE])
		printf("; code from %u ELF files in /usr/bin",
		       c->code_files);
	if (c->count[CORPUS_TEXT])
		printf("; text from %u man pages in /usr/share/man",
		       c->text_files);
	printf("\n");
}
