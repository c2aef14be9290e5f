// SPDX-License-Identifier: GPL-2.0
/*
 * ldm_guest: a synthetic guest for migration tests and benchmarks. It maps
 * a domain (/dev/ldm/NAME) as an emulator would and writes pages whose
 * content it can check afterwards, on either host:
 *
 *   ldm_guest fill NAME [SEED]           write 3 pages of every 4 (gen 1),
 *                                        leave the 4th untouched
 *   ldm_guest dirty NAME RATE [SECS] [SEED]
 *                                        rewrite RATE pages a second ("max":
 *                                        as fast as it can), in a
 *                                        pseudo-random order, each with its
 *                                        next generation, for SECS seconds
 *                                        (0: until SIGTERM); prints the
 *                                        pages written when it stops
 *   ldm_guest verify NAME [SEED [TORN]]  every page is zero or a page this
 *                                        program wrote (right index, seed
 *                                        and content for its generation);
 *                                        up to TORN pages (default 0) may
 *                                        be torn: a writer stopped in the
 *                                        middle of a page (a suspension
 *                                        does that) leaves the new header
 *                                        on a body not finished
 *   ldm_guest sum NAME                   a 64-bit hash of the whole domain,
 *                                        to compare two domains
 *
 * A written page starts with a header (magic, index, generation, seed)
 * and its body depends on all of them, in four kinds: text-like, random,
 * a pattern, and mostly zero, so that a migration sees compressible,
 * incompressible and near-empty pages. Exit status: 0, 1 on a bad page or
 * a failure, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define GUEST_MAGIC	0x474d444cu	/* "LDMG" */

struct page_hdr {
	uint32_t magic;
	uint32_t index;
	uint32_t gen;
	uint32_t seed;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void fill_page(uint8_t *p, size_t psz, uint32_t index, uint32_t gen,
		      uint32_t seed)
{
	static const char words[] = "ldm moves the memory of a running domain "
				    "to another host while the guest writes ";
	struct page_hdr h = { GUEST_MAGIC, index, gen, seed };
	uint64_t x = (uint64_t)index * 0x9e3779b97f4a7c15ULL ^
		     (uint64_t)gen * 0xc2b2ae3d27d4eb4fULL ^ seed ^ 1;
	size_t k;

	switch ((index + gen) % 4) {
	case 0:
		for (k = 0; k < psz; k++)
			p[k] = (uint8_t)words[(k + index + gen) %
					      (sizeof(words) - 1)];
		break;
	case 1:
		for (k = 0; k + 8 <= psz; k += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(p + k, &x, 8);
		}
		break;
	case 2:
		for (k = 0; k < psz; k++)
			p[k] = (uint8_t)(k / 32 + index + gen);
		break;
	default:
		memset(p, 0, psz);
		memcpy(p + psz / 2, &x, sizeof(x));
		break;
	}
	memcpy(p, &h, sizeof(h));
}

static uint8_t *map_domain(const char *name, size_t *bytes, int prot)
{
	char path[128];
	uint8_t *m;
	off_t size;
	int fd;

	snprintf(path, sizeof(path), "/dev/ldm/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ldm_guest: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0) {
		fprintf(stderr, "ldm_guest: %s: no size\n", path);
		close(fd);
		return NULL;
	}
	m = mmap(NULL, (size_t)size, prot, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		fprintf(stderr, "ldm_guest: mmap %s: %s\n", path, strerror(errno));
		return NULL;
	}
	*bytes = (size_t)size;
	return m;
}

static int do_fill(const char *name, uint32_t seed)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE), bytes, i;
	uint8_t *m = map_domain(name, &bytes, PROT_READ | PROT_WRITE);

	if (!m)
		return 1;
	for (i = 0; i < bytes / psz; i++)
		if (i % 4 != 3)
			fill_page(m + i * psz, psz, (uint32_t)i, 1, seed);
	munmap(m, bytes);
	printf("filled %zu of %zu pages\n", bytes / psz - bytes / psz / 4,
	       bytes / psz);
	return 0;
}

static double secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int do_dirty(const char *name, unsigned long rate, double duration,
		    uint32_t seed)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE), bytes, npages;
	struct sigaction sa = { .sa_handler = on_term };
	uint8_t *m = map_domain(name, &bytes, PROT_READ | PROT_WRITE);
	uint64_t lcg = seed * 6364136223846793005ULL + 1, written = 0;
	double t0 = secs(), now;

	if (!m)
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	npages = bytes / psz;
	/* Ready: the test waits for this line before it migrates. */
	if (rate == ULONG_MAX)
		printf("dirtying pages as fast as it can\n");
	else
		printf("dirtying %lu pages/s\n", rate);
	fflush(stdout);
	while (!stop) {
		uint64_t due;

		now = secs();
		if (duration > 0 && now - t0 >= duration)
			break;
		due = rate == ULONG_MAX ? UINT64_MAX :
		      (uint64_t)((now - t0) * (double)rate);
		while (written < due && !stop) {
			struct page_hdr h;
			uint32_t i;

			lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
			i = (uint32_t)((lcg >> 33) % npages);
			memcpy(&h, m + (size_t)i * psz, sizeof(h));
			fill_page(m + (size_t)i * psz, psz, i,
				  h.magic == GUEST_MAGIC ? h.gen + 1 : 1, seed);
			written++;
			/* As fast as it can: the clock, now and then. */
			if (rate == ULONG_MAX && duration > 0 &&
			    !(written % 64) && secs() - t0 >= duration)
				break;
		}
		usleep(10000);
	}
	printf("wrote %" PRIu64 " pages in %.1f s\n", written, secs() - t0);
	munmap(m, bytes);
	return 0;
}

static int do_verify(const char *name, uint32_t seed, size_t torn_ok)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE), bytes, i, zero = 0, torn = 0;
	uint8_t *m = map_domain(name, &bytes, PROT_READ), *want;
	struct page_hdr h;

	if (!m)
		return 1;
	want = malloc(psz);
	if (!want)
		return 1;
	for (i = 0; i < bytes / psz; i++) {
		const uint8_t *p = m + i * psz;

		if (!p[0] && !memcmp(p, p + 1, psz - 1)) {
			zero++;
			continue;
		}
		memcpy(&h, p, sizeof(h));
		/*
		 * A page's first write stopped by the suspension before
		 * fill_page() put its header back on: body written, header
		 * still zero. Torn, like any page stopped half-written.
		 */
		if (!h.magic && !h.index && !h.gen && !h.seed && torn < torn_ok) {
			printf("page %zu: first write cut before its header (torn: allowed)\n",
			       i);
			torn++;
			continue;
		}
		if (h.magic != GUEST_MAGIC || h.index != i || h.seed != seed ||
		    !h.gen) {
			printf("page %zu: not a page of this guest (magic %#x index %u seed %u)\n",
			       i, h.magic, h.index, h.seed);
			return 1;
		}
		fill_page(want, psz, (uint32_t)i, h.gen, seed);
		if (memcmp(want, p, psz)) {
			printf("page %zu: generation %u is corrupt%s\n", i, h.gen,
			       torn < torn_ok ? " (torn: allowed)" : "");
			if (torn++ < torn_ok)
				continue;
			return 1;
		}
	}
	printf("ok: %zu pages, %zu zero, %zu written, %zu torn\n",
	       bytes / psz, zero, bytes / psz - zero, torn);
	free(want);
	munmap(m, bytes);
	return 0;
}

static int do_sum(const char *name)
{
	size_t bytes, i;
	uint8_t *m = map_domain(name, &bytes, PROT_READ);
	uint64_t h = 0xcbf29ce484222325ULL, w;

	if (!m)
		return 1;
	/* FNV-1a over 64-bit words: unrelated to ldmctl's --verify hash. */
	for (i = 0; i + 8 <= bytes; i += 8) {
		memcpy(&w, m + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	printf("%016" PRIx64 "\n", h);
	munmap(m, bytes);
	return 0;
}

static uint32_t arg_u32(const char *s)
{
	return (uint32_t)strtoul(s, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "fill"))
		return do_fill(argv[2], argc > 3 ? arg_u32(argv[3]) : 1);
	if (argc >= 4 && !strcmp(argv[1], "dirty"))
		return do_dirty(argv[2], !strcmp(argv[3], "max") ? ULONG_MAX :
				strtoul(argv[3], NULL, 0),
				argc > 4 ? strtod(argv[4], NULL) : 0,
				argc > 5 ? arg_u32(argv[5]) : 1);
	if (argc >= 3 && !strcmp(argv[1], "verify"))
		return do_verify(argv[2], argc > 3 ? arg_u32(argv[3]) : 1,
				 argc > 4 ? arg_u32(argv[4]) : 0);
	if (argc == 3 && !strcmp(argv[1], "sum"))
		return do_sum(argv[2]);
	fprintf(stderr,
		"usage: ldm_guest fill NAME [SEED]\n"
		"       ldm_guest dirty NAME RATE [SECS] [SEED]\n"
		"       ldm_guest verify NAME [SEED [TORN]]\n"
		"       ldm_guest sum NAME\n");
	return 2;
}
