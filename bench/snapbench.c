// SPDX-License-Identifier: GPL-2.0
/*
 * snapbench: throughput of the sending pipeline, in the lab.
 *
 * A domain is filled with the reference page mix (tools/codec/corpus.c),
 * then round 0 of a sending session is timed, for each configuration:
 *
 *   ldm, W workers      the pipeline as designed, W = 1 .. online CPUs;
 *                       userland releases each slot as it would after
 *                       send()ing straight from it (no copy out)
 *   ldm + copy-out      all workers, but userland memcpy()s every batch
 *                       out of the ring first, as a read()-style
 *                       interface would make it do
 *   ldm, LZ4 / none     all workers, the round compressed with the
 *                       kernel's LZ4, or not at all (zero pages still
 *                       detected): the choices an adaptive codec has
 *   baseline            LDM_MIG_F_BASELINE: one worker, every page copied
 *                       to a bounce buffer first, no zero detection
 *
 * Each configuration runs --reps times; the median is reported with the
 * CPU time the whole VM spent (from /proc/stat, so kernel workers count),
 * and every row's speed-up over the baseline measured in the same run.
 * Under TCG the absolute figures mean little; the ratios are the result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../selftests/ldm_nl.h"
#include "../tools/codec/corpus.h"

#define NLA_DATA(a)	((const void *)((const char *)(a) + NLA_HDRLEN))

struct result {
	unsigned int workers;
	double mbps;
	double cpu_s;
	unsigned long long batches, bytes_out;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Busy CPU seconds of the whole (virtual) machine so far. */
static double cpu_busy(void)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	double busy;

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			 &v[7]) != 8) {
		perror("snapbench: /proc/stat");
		exit(1);
	}
	fclose(f);
	/* user nice system [idle] [iowait] irq softirq steal */
	busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	return busy / sysconf(_SC_CLK_TCK);
}

/* A command naming the domain, with a codec attribute if non-zero. */
static int name_cmd(struct ldm_nl *nl, const char *name, int cmd,
		    uint32_t codec)
{
	struct ldm_msg m;

	ldm_msg_init(&m, nl->family, 0, cmd, LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, name);
	if (codec)
		ldm_msg_put_u32(&m, LDM_A_MIG_CODEC, codec);
	return ldm_nl_request(nl, &m, NULL, NULL);
}

static int ring_bytes_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ldm_attrs a;

	ldm_nl_parse(nlh, &a);
	if (a.tb[LDM_A_MIG_RING_BYTES])
		memcpy(arg, NLA_DATA(a.tb[LDM_A_MIG_RING_BYTES]), 8);
	return 0;
}

/* One timed round 0. Returns 0 and fills @r, or -errno. */
static int run_once(struct ldm_nl *nl, const char *name, size_t resident,
		    unsigned int workers, unsigned int flags, int copy_out,
		    uint32_t codec, void *scratch, struct result *r)
{
	static const unsigned char key[LDM_KEY_BYTES] = { 42 };
	struct ldm_ring_hdr *hdr;
	uint64_t ring_bytes = 0, cons;
	const struct ldm_batch_hdr *b;
	double t0, c0;
	struct ldm_msg m;
	void *map;
	int fd, err, done = 0;

	/* The session belongs to this open file: its ring maps through it. */
	fd = open("/dev/ldm/snapbench", O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "snapbench: /dev/ldm/snapbench: %s\n",
			strerror(errno));
		return -errno;
	}
	ldm_msg_init(&m, nl->family, 0, LDM_CMD_MIGRATE_START,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, name);
	ldm_msg_put_u32(&m, LDM_A_MIG_FD, (uint32_t)fd);
	ldm_msg_put_u32(&m, LDM_A_MIG_WORKERS, workers);
	if (flags)
		ldm_msg_put_u32(&m, LDM_A_MIG_FLAGS, flags);
	err = ldm_nl_request(nl, &m, NULL, NULL);
	if (!err)
		err = ldm_session_key(fd, key, 7);
	if (err) {
		fprintf(stderr, "snapbench: start: %s\n",
			nl->ext_msg[0] ? nl->ext_msg : strerror(-err));
		close(fd);
		return err;
	}
	ldm_msg_init(&m, nl->family, 0, LDM_CMD_MIGRATE_GET, LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, name);
	err = ldm_nl_request(nl, &m, ring_bytes_cb, &ring_bytes);
	map = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   LDM_RING_OFFSET);
	if (err || map == MAP_FAILED) {
		fprintf(stderr, "snapbench: cannot map the ring\n");
		return -EIO;
	}
	hdr = map;
	memset(r, 0, sizeof(*r));

	c0 = cpu_busy();
	t0 = now();
	err = name_cmd(nl, name, LDM_CMD_MIGRATE_ROUND, codec);
	while (!err && !done) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		cons = hdr->cons;
		if (cons == __atomic_load_n(&hdr->prod, __ATOMIC_ACQUIRE)) {
			if (poll(&p, 1, 60000) != 1 || (p.revents & POLLERR))
				err = -EIO;
			continue;
		}
		b = (const void *)((char *)map + hdr->slots_offset +
				   (cons % hdr->nslots) * hdr->slot_bytes);
		if (copy_out)
			memcpy(scratch, b, sizeof(*b) + b->payload_bytes +
			       LDM_TAG_BYTES);
		done = b->flags & LDM_BATCH_F_ROUND_END;
		r->batches++;
		r->bytes_out += sizeof(*b) + b->payload_bytes + LDM_TAG_BYTES;
		__atomic_store_n(&hdr->cons, cons + 1, __ATOMIC_RELEASE);
		/* A full fence between the store and the flag (see ldm.h). */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&hdr->flags, __ATOMIC_RELAXED) &
		    LDM_RING_F_NEED_WAKEUP)
			ioctl(fd, LDM_IOC_RING_KICK);
	}
	r->workers = workers;
	r->mbps = resident / (now() - t0) / 1e6;
	r->cpu_s = cpu_busy() - c0;

	name_cmd(nl, name, LDM_CMD_MIGRATE_STOP, 0);
	munmap(map, ring_bytes);
	close(fd);
	return err;
}

static int cmp_result(const void *a, const void *b)
{
	double x = ((const struct result *)a)->mbps;
	double y = ((const struct result *)b)->mbps;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const unsigned int mix[CORPUS_KINDS] = { 40, 20, 20, 10, 10 };
	size_t mib = 64, page = sysconf(_SC_PAGESIZE);
	unsigned int reps = 3, ncpu = sysconf(_SC_NPROCESSORS_ONLN), i, k;
	static struct result runs[20][16];
	struct result rows[20], *base;
	const char *labels[20];
	unsigned int nrows;
	struct corpus c;
	struct ldm_nl nl;
	void *mem, *scratch;
	int fd, opt;

	while ((opt = getopt(argc, argv, "m:r:")) != -1) {
		if (opt == 'm')
			mib = strtoul(optarg, NULL, 0);
		else if (opt == 'r')
			reps = strtoul(optarg, NULL, 0);
		else
			return fprintf(stderr,
				       "usage: snapbench [-m MiB] [-r reps]\n"),
			       2;
	}
	if (!mib || !reps || reps > 16) {
		fprintf(stderr, "snapbench: bad -m or -r\n");
		return 2;
	}
	if (corpus_build(&c, mib << 20, page, mix, 1))
		return 1;
	corpus_describe(&c, "guest RAM");
	if (ldm_nl_open_ldm(&nl) ||
	    ldm_domain_new(&nl, "snapbench", mib << 20)) {
		fprintf(stderr, "snapbench: cannot create the domain: %s\n",
			nl.ext_msg);
		return 1;
	}
	fd = open("/dev/ldm/snapbench", O_RDWR);
	mem = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	scratch = malloc(LDM_BATCH_MAX + 4096);
	if (fd < 0 || mem == MAP_FAILED || !scratch) {
		perror("snapbench: domain");
		return 1;
	}
	memcpy(mem, c.data, mib << 20);

	/*
	 * Configurations: 1..ncpu workers, then all workers with copy-out,
	 * with LZ4 and with no compression, then the baseline. The
	 * repetitions are interleaved, so drift on the shared host touches
	 * every configuration alike.
	 */
	nrows = ncpu + 4 > 20 ? 20 : ncpu + 4;
	for (i = 0; i < reps; i++) {
		for (k = 0; k < nrows; k++) {
			int base_row = k == nrows - 1;
			unsigned int w = base_row ? 1 : k < ncpu ? k + 1 : ncpu;
			uint32_t codec = k == ncpu + 1 ? LDM_CODEC_LZ4 :
					 k == ncpu + 2 ? LDM_CODEC_NONE : 0;

			if (run_once(&nl, "snapbench", mib << 20, w,
				     base_row ? LDM_MIG_F_BASELINE : 0,
				     k == ncpu, codec, scratch, &runs[k][i]))
				return 1;
		}
	}
	for (k = 0; k < nrows; k++) {
		qsort(runs[k], reps, sizeof(runs[k][0]), cmp_result);
		rows[k] = runs[k][reps / 2];
		labels[k] = k == nrows - 1 ?
			    "baseline (1 worker, 2 copies, no zero skip)" :
			    k == ncpu ? "ldm, all workers, + copy-out" :
			    k == ncpu + 1 ? "ldm, all workers, LZ4" :
			    k == ncpu + 2 ? "ldm, all workers, no compression" :
			    "ldm";
	}
	base = &rows[nrows - 1];

	printf("\n%-46s %7s %10s %10s %12s %9s\n", "configuration", "workers",
	       "MB/s", "CPU s", "CPU s/GB", "vs base");
	for (i = 0; i < nrows; i++)
		printf("%-46s %7u %10.1f %10.2f %12.2f %8.2fx\n", labels[i],
		       rows[i].workers, rows[i].mbps, rows[i].cpu_s,
		       rows[i].cpu_s / ((double)(mib << 20) / 1e9),
		       rows[i].mbps / base->mbps);
	printf("\ncsv,configuration,workers,mbps,cpu_s,ratio_vs_baseline\n");
	for (i = 0; i < nrows; i++)
		printf("csv,%s,%u,%.1f,%.3f,%.3f\n", labels[i], rows[i].workers,
		       rows[i].mbps, rows[i].cpu_s, rows[i].mbps / base->mbps);

	munmap(mem, mib << 20);
	close(fd);
	ldm_domain_del(&nl, "snapbench");
	ldm_nl_close(&nl);
	corpus_free(&c);
	free(scratch);
	return 0;
}
