// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Writes the fuzzers' seed corpora, so that no binary blob is committed:
 *
 *   gen_seeds DECOMPRESS_DIR ROUNDTRIP_DIR
 *
 * Round-trip seeds are pages of each kind (zero, text, random, patterns)
 * and short inputs; decompress seeds are their streams with d_len in front,
 * plus a few hand-made ones (overlapping runs, the farthest offset).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../driver/lzjb.h"
#include "corpus.h"

static void put(const char *dir, const char *name, unsigned int i,
		const void *a, size_t alen, const void *b, size_t blen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-%u", dir, name, i);
	f = fopen(path, "wb");
	if (!f || fwrite(a, 1, alen, f) != alen ||
	    fwrite(b, 1, blen, f) != blen || fclose(f)) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static unsigned char page[8192], out[8192 + 1024];
	static const unsigned char run[] = { 0x02, 'a', 0x1c, 0x01 };
	static const unsigned char groups[] = {
		0xfe, 'q', 0x00, 0x01, 0x04, 0x01, 0x00, 0x01, 0x00, 0x01,
		0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x01, 0x00, 0x01, 'r',
	};
	static const size_t sizes[] = { 1, 3, 17, 100, 1000, 4096, 8192 };
	uint64_t rs = 42;
	unsigned int i, k;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DECOMPRESS_DIR ROUNDTRIP_DIR\n",
			argv[0]);
		return 2;
	}
	for (i = 0; i < 4 * sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i / 4], c;
		unsigned char hdr[2], sel = (unsigned char)(i * 37);

		switch (i % 4) {
		case 0:
			memset(page, 0, n);
			break;
		case 1:
			for (k = 0; k < n; k++)
				page[k] = "the quick brown fox jumps over "
					  "the lazy dog\n"[(k * 7 / 5) % 44];
			break;
		case 2:
			corpus_fill_random(page, n, &rs);
			break;
		default:
			corpus_fill_pattern(page, n, &rs);
		}
		put(argv[2], "page", i, &sel, 1, page, n);
		c = lzjb_compress(page, out, n, sizeof(out));
		hdr[0] = n & 0xff;
		hdr[1] = n >> 8;
		put(argv[1], "stream", i, hdr, 2, out, c);
	}
	put(argv[1], "run", 0, "\x0b\x00", 2, run, sizeof(run));
	put(argv[1], "groups", 0, "\x1b\x00", 2, groups, sizeof(groups));
	return 0;
}
