// SPDX-License-Identifier: GPL-2.0
/*
 * ldm_failnth: systematic fault injection into one ldm operation, for
 * ldm_faults.sh on the debug kernel (CONFIG_FAULT_INJECTION, failslab and
 * fail_page_alloc armed for every allocation: ignore-gfp-wait=N, min-order=0).
 *
 *   ldm_failnth new NAME BYTES   create (and destroy) domain NAME over and
 *                                over, failing its 1st, 2nd, ... allocation
 *   ldm_failnth touch NAME       write to fresh pages of domain NAME, the
 *                                page fault failing its 1st, 2nd, ...
 *                                allocation; then check every page
 *
 * The kernel's per-task /proc/thread-self/fail-nth fails exactly the Nth
 * allocation this thread makes from then on: reading it back gives 0 when
 * that fault was injected. N grows until an operation completes without
 * reaching it, so every allocation on the path fails once. Each injected
 * fault must end cleanly: "new" returns an errno and leaves no domain
 * behind, or succeeds with a usable domain (ENOBUFS is netlink's "a reply
 * was lost", here the kernel's ack: the domain may then exist, and must
 * be usable if it does); a failed page fault is retried
 * (VM_FAULT_OOM) or raises SIGBUS, and the page then holds what was written.
 * (A crash, a WARN, KASAN or a leak is for the kernel log, which the lab
 * checks.) Prints TAP comment lines and one summary line,
 *   "faults injected: K, errors returned: E, sigbus: S",
 * exits 0 if every step was clean, 1 otherwise, 4 without fail-nth.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "ldm_nl.h"

#define MAX_N	4000		/* no operation makes more allocations */

static int failnth_fd = -1;

/* Arm: the Nth allocation of this thread from now on fails. */
static int arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(failnth_fd, buf, len, 0) == len ? 0 : -errno;
}

/* Disarm; true if the armed fault was injected (the counter reached 0). */
static int injected(void)
{
	char buf[16] = "";
	int hit;

	if (pread(failnth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return 0;
	hit = atoi(buf) == 0;
	arm(0);
	return hit;
}

static int do_new(const char *name, uint64_t size)
{
	unsigned int n, faults = 0, errors = 0, lost = 0, bad = 0;
	struct ldm_domain_info info;
	struct ldm_nl nl;
	int err, gerr;

	for (n = 1; n <= MAX_N; n++) {
		err = ldm_nl_open_ldm(&nl);
		if (err) {
			fprintf(stderr, "ldm_failnth: netlink: %s\n", strerror(-err));
			return 1;
		}
		arm(n);
		err = ldm_domain_new(&nl, name, size);
		if (!injected()) {
			ldm_nl_close(&nl);
			if (err) {
				printf("# new: failed without an injected fault: %s\n",
				       strerror(-err));
				bad++;
			}
			break;
		}
		faults++;
		/* A fresh socket: the failed one may hold a stray ack. */
		ldm_nl_close(&nl);
		if (ldm_nl_open_ldm(&nl))
			return 1;
		gerr = ldm_domain_get(&nl, name, &info);
		if (err == -ENOBUFS && !gerr) {
			/* The ack was lost, the domain made: check it below. */
			lost++;
			printf("# new, allocation %u failed: the ack was lost (ENOBUFS), the domain exists\n", n);
		}
		if (err && !(err == -ENOBUFS && !gerr)) {
			errors++;
			printf("# new, allocation %u failed: %s\n", n, strerror(-err));
			if (gerr != -ENOENT) {
				printf("# not ok: a failed create left domain %s behind (get: %s)\n",
				       name, gerr ? strerror(-gerr) : "found");
				bad++;
			}
		} else if (gerr || info.state != LDM_DOMAIN_STATE_ACTIVE ||
			   info.size != size) {
			printf("# not ok: create succeeded despite fault %u, but the domain is not right (get: %s, state %u)\n",
			       n, strerror(-gerr), gerr ? 0 : info.state);
			bad++;
		}
		if (!gerr && ldm_domain_del(&nl, name)) {
			printf("# not ok: cannot destroy %s after fault %u\n", name, n);
			bad++;
		}
		ldm_nl_close(&nl);
		if (bad)
			break;
	}
	if (n > MAX_N) {
		printf("# new: still injecting after %u allocations\n", MAX_N);
		bad++;
	}
	/* The domain, made for real now, must work (the script removes it). */
	if (!bad && (ldm_nl_open_ldm(&nl) || ldm_domain_del(&nl, name) ||
		     ldm_domain_new(&nl, name, size))) {
		printf("# not ok: %s cannot be made again after the faults\n", name);
		bad++;
	}
	printf("faults injected: %u, errors returned: %u, acks lost: %u, sigbus: 0\n",
	       faults, errors, lost);
	return bad ? 1 : 0;
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

static uint64_t marker(size_t page)
{
	return 0x6c646d6661756c74ULL ^ (page * 0x9e3779b97f4a7c15ULL);
}

static int do_touch(const char *name)
{
	/* volatile: changed between sigsetjmp() and a siglongjmp() */
	volatile unsigned int n = 1, faults = 0, sigbus = 0, bad = 0;
	volatile size_t page;
	volatile uint64_t *p;
	long psz = sysconf(_SC_PAGESIZE);
	size_t npages, written, i;
	struct sigaction sa;
	char *lost;
	char path[256];
	off_t size;
	int fd;

	snprintf(path, sizeof(path), "/dev/ldm/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) <= 0) {
		fprintf(stderr, "ldm_failnth: %s: %s\n", path, strerror(errno));
		return 1;
	}
	npages = size / psz;
	lost = calloc(npages, 1);	/* pages whose write got SIGBUS */
	if (!lost)
		return 1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "ldm_failnth: mmap %s: %s\n", path, strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);

	/* One fresh page per N: only a page's first fault allocates. */
	for (page = 0; page < npages; page++) {
		volatile uint64_t *w = p + page * (psz / 8);

		if (sigsetjmp(bus_jmp, 1)) {
			/* SIGBUS: the fault failed for good; try again. */
			injected();
			lost[page] = 1;
			sigbus++;
			faults++;
			printf("# touch, page %zu: SIGBUS at allocation %u\n",
			       page, n);
			n++;
			continue;
		}
		arm(n);
		w[0] = marker(page);
		if (!injected())
			break;
		faults++;
		n++;
	}
	/* Every page written holds its marker; one that got SIGBUS, zero. */
	written = page < npages ? page + 1 : npages;
	for (i = 0; i < written; i++) {
		uint64_t v = p[i * (psz / 8)];

		if (v != (lost[i] ? 0 : marker(i))) {
			printf("# not ok: page %zu holds %#" PRIx64 "\n", i, v);
			bad++;
		}
	}
	if (page == npages) {
		printf("# touch: ran out of pages (%zu) while still injecting\n",
		       npages);
		bad++;
	}
	printf("faults injected: %u, errors returned: 0, sigbus: %u\n",
	       faults, sigbus);
	munmap((void *)p, size);
	close(fd);
	free(lost);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	failnth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (failnth_fd < 0) {
		fprintf(stderr, "ldm_failnth: /proc/thread-self/fail-nth: %s (no CONFIG_FAULT_INJECTION)\n",
			strerror(errno));
		return 4;
	}
	if (argc == 4 && !strcmp(argv[1], "new"))
		return do_new(argv[2], strtoull(argv[3], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "touch"))
		return do_touch(argv[2]);
	fprintf(stderr, "usage: ldm_failnth new NAME BYTES | touch NAME\n");
	return 2;
}
