// SPDX-License-Identifier: GPL-2.0
/* Per-page checksums; see pagesum.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagesum.h"

static inline uint64_t rotl(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

/* Four lanes of multiply-rotate over 8-byte words, then a final mix. */
uint64_t pagesum(const void *page, size_t size)
{
	const uint64_t p1 = 0x9e3779b185ebca87ULL, p2 = 0xc2b2ae3d27d4eb4fULL;
	uint64_t h[4] = { p1, p2, ~p1, ~p2 }, w, r;
	const unsigned char *b = page;
	size_t i;

	for (i = 0; i + 8 <= size; i += 8) {
		memcpy(&w, b + i, 8);
		h[(i / 8) & 3] = rotl(h[(i / 8) & 3] + w * p2, 31) * p1;
	}
	r = rotl(h[0], 1) + rotl(h[1], 7) + rotl(h[2], 12) + rotl(h[3], 18);
	r ^= size;
	r ^= r >> 33;
	r *= p2;
	r ^= r >> 29;
	return r;
}

int pagesum_domain(const char *name, uint64_t size, size_t page_size,
		   uint64_t **sums)
{
	size_t n = size / page_size, i;
	char path[64];
	uint64_t *s;
	void *map;
	int fd, err = 0;

	*sums = NULL;
	snprintf(path, sizeof(path), "/dev/ldm/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	s = malloc(n * sizeof(*s));
	if (!s) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		s[i] = pagesum((const char *)map + i * page_size, page_size);
	*sums = s;
out:
	munmap(map, size);
	return err;
}
