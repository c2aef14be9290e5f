/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the ldm selftests. Include after kselftest_harness.h.
 */
#ifndef LDM_TEST_H
#define LDM_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "ldm_nl.h"

#define LDM_DEV_DIR	"/dev/ldm"
#define LDM_PARAM_MAX_MIB "/sys/module/ldm/parameters/max_domain_mib"
#define NOBODY_ID	65534

static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * A domain name unique to this process and call: "<tag>-<pid>-<n>".
 * Tests never reuse a name, so a domain leaked by a failed test cannot
 * make a later test fail with EEXIST.
 */
static inline void ldm_test_name(char *buf, size_t len, const char *tag)
{
	static unsigned int n;

	snprintf(buf, len, "%.12s-%d-%u", tag, (int)getpid(), n++);
}

static inline void ldm_node_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, LDM_DEV_DIR "/%.*s", LDM_NAME_MAX * 4, name);
}

static inline int ldm_open(const char *name, int flags)
{
	char path[256];

	ldm_node_path(path, sizeof(path), name);
	return open(path, flags | O_CLOEXEC);
}

/* LDM_IOC_HARVEST: 0 or -errno; *dirty gets the reported count. */
static inline int ldm_harvest_raw(int fd, uint64_t bitmap, uint64_t bytes,
				  uint32_t flags, uint32_t pad,
				  uint64_t *dirty)
{
	struct ldm_harvest h = {
		.bitmap = bitmap,
		.bitmap_bytes = bytes,
		.dirty = ~0ULL,
		.flags = flags,
		.pad = pad,
	};

	if (ioctl(fd, LDM_IOC_HARVEST, &h) < 0)
		return -errno;
	if (dirty)
		*dirty = h.dirty;
	return 0;
}

static inline int ldm_harvest(int fd, uint64_t *bitmap, size_t bytes,
			      uint64_t *dirty)
{
	return ldm_harvest_raw(fd, (uintptr_t)bitmap, bytes, 0, 0, dirty);
}

/* Bytes of bitmap needed for @pages pages: 8 * ceil(pages / 64). */
static inline size_t ldm_bitmap_bytes(size_t pages)
{
	return 8 * ((pages + 63) / 64);
}

static inline int bit_test(const uint64_t *bm, size_t i)
{
	return (bm[i / 64] >> (i % 64)) & 1;
}

static inline size_t bitmap_weight(const uint64_t *bm, size_t bits)
{
	size_t i, n = 0;

	for (i = 0; i < bits; i++)
		n += bit_test(bm, i);
	return n;
}

/* Read one 64-bit module parameter; -errno on failure. */
static inline long long read_param(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

static inline int write_param(const char *path, long long v)
{
	char buf[64];
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int len, err = 0;

	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%lld\n", v);
	if (write(fd, buf, len) != len)
		err = -errno ?: -EIO;
	close(fd);
	return err;
}

/*
 * Give up every privilege the way a daemon dropping to "nobody" does:
 * setgroups/setgid/setuid to 65534 clears the permitted and effective
 * capability sets (no SECBIT_KEEP_CAPS).
 */
static inline int drop_to_nobody(void)
{
	gid_t g = NOBODY_ID;

	if (setgroups(1, &g) || setresgid(NOBODY_ID, NOBODY_ID, NOBODY_ID) ||
	    setresuid(NOBODY_ID, NOBODY_ID, NOBODY_ID))
		return -errno;
	return 0;
}

/* Stay uid 0 but lose CAP_NET_ADMIN from every capability set. */
static inline int drop_cap_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	data[CAP_NET_ADMIN / 32].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
	data[CAP_NET_ADMIN / 32].inheritable &= ~(1u << (CAP_NET_ADMIN % 32));
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/*
 * Run @fn in a child process (after @drop, if any) and hand back what it
 * wrote in @res, a shared result block of @size bytes. Returns 0 when the
 * child ran and exited 0, else a description via a negative value.
 */
static inline int run_in_child(int (*drop)(void),
			       void (*fn)(void *res, void *arg),
			       void *res, size_t size, void *arg)
{
	void *shared = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status, ret = 0;
	pid_t pid;

	if (shared == MAP_FAILED)
		return -errno;
	memcpy(shared, res, size);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		munmap(shared, size);
		return ret;
	}
	if (pid == 0) {
		if (drop && drop())
			_exit(2);
		fn(shared, arg);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		ret = -ECHILD;
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		ret = -EPROTO;
	memcpy(res, shared, size);
	munmap(shared, size);
	return ret;
}

#endif /* LDM_TEST_H */
