/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Test and benchmark pages in the project's reference mix (40 % zero
 * pages, 20 % executable code from /usr/bin, 20 % text from the man pages
 * in /usr/share/man, 10 % random bytes, 10 % regular patterns; see
 * Documentation/performance.rst), shuffled. Deterministic for a given
 * machine.
 */
#ifndef LDM_CODEC_CORPUS_H
#define LDM_CODEC_CORPUS_H

#include <stddef.h>
#include <stdint.h>

enum corpus_kind {
	CORPUS_ZERO,
	CORPUS_CODE,
	CORPUS_TEXT,
	CORPUS_RANDOM,
	CORPUS_PATTERN,
	CORPUS_KINDS,
};

extern const char *const corpus_kind_name[CORPUS_KINDS];

struct corpus {
	unsigned char *data;		/* npages * page bytes */
	unsigned char *kind;		/* enum corpus_kind of each page */
	size_t npages;
	size_t page;
	size_t count[CORPUS_KINDS];	/* pages of each kind */
	/* where the pages came from, for the report */
	unsigned int code_files, text_files;
};

/*
 * Fills c with bytes / page pages; percent[k] of them of kind k (the sum
 * must be 100). Returns 0, or -1 with a message on stderr.
 */
int corpus_build(struct corpus *c, size_t bytes, size_t page,
		 const unsigned int percent[CORPUS_KINDS], uint64_t seed);
void corpus_free(struct corpus *c);

/* One line describing what a corpus holds. */
void corpus_describe(const struct corpus *c, const char *name);

/* splitmix64: the deterministic generator of everything random here */
uint64_t corpus_rand(uint64_t *state);
void corpus_fill_random(unsigned char *p, size_t n, uint64_t *state);

/* Fills one page with a regular pattern chosen by *state. */
void corpus_fill_pattern(unsigned char *p, size_t n, uint64_t *state);

#endif
