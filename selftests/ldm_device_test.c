// SPDX-License-Identifier: GPL-2.0
/*
 * ldm_device_test: the per-domain device node /dev/ldm/<domain>.
 *
 * The node's life and permissions, llseek and mmap bounds, the memory it
 * maps (zeroed, shared between every mapping and file, allocated lazily),
 * and the open/mapped accounting that keeps a busy domain from being
 * destroyed.
 *
 * Runs in the lab VM with ldm.ko loaded (selftests/run.sh).
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "ldm_test.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#define DOMAIN_PAGES	64
#define MAX_FDS		8
#define MAX_MAPS	8

FIXTURE(dev)
{
	struct ldm_nl nl;
	size_t page;
	size_t size;
	char name[LDM_NAME_MAX];
	char path[256];
	/* extra domains a test made, destroyed by the teardown */
	char extra[4][LDM_NAME_MAX];
	int nextra;
	/* files and mappings the teardown must release first */
	int fds[MAX_FDS];
	struct { void *addr; size_t len; } maps[MAX_MAPS];
};

FIXTURE_SETUP(dev)
{
	int i;

	for (i = 0; i < MAX_FDS; i++)
		self->fds[i] = -1;
	ASSERT_EQ(0, ldm_nl_open_ldm(&self->nl));
	self->page = page_size();
	self->size = DOMAIN_PAGES * self->page;
	ldm_test_name(self->name, sizeof(self->name), "dev");
	ldm_node_path(self->path, sizeof(self->path), self->name);
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->name, self->size))
		TH_LOG("%s", self->nl.ext_msg);
}

FIXTURE_TEARDOWN(dev)
{
	int i, err;

	for (i = 0; i < MAX_MAPS; i++)
		if (self->maps[i].addr)
			munmap(self->maps[i].addr, self->maps[i].len);
	for (i = 0; i < MAX_FDS; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	err = ldm_domain_del(&self->nl, self->name);
	if (err && err != -ENOENT)
		TH_LOG("teardown: destroying %s: %s (%s)", self->name,
		       strerror(-err), self->nl.ext_msg);
	for (i = 0; i < self->nextra; i++)
		ldm_domain_del(&self->nl, self->extra[i]);
	ldm_nl_close(&self->nl);
}

/* Open the fixture's node (or @name's) and keep the fd for teardown. */
static int dev_open(FIXTURE_DATA(dev) *self, const char *name, int flags)
{
	int fd = ldm_open(name ? name : self->name, flags);
	int i;

	if (fd < 0)
		return -errno;
	for (i = 0; i < MAX_FDS; i++) {
		if (self->fds[i] < 0) {
			self->fds[i] = fd;
			break;
		}
	}
	return fd;
}

static void dev_close(FIXTURE_DATA(dev) *self, int fd)
{
	int i;

	for (i = 0; i < MAX_FDS; i++)
		if (self->fds[i] == fd)
			self->fds[i] = -1;
	close(fd);
}

/* mmap(MAP_SHARED, RW); MAP_FAILED with errno set on failure. */
static void *dev_map(FIXTURE_DATA(dev) *self, int fd, size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	int i;

	if (p == MAP_FAILED)
		return p;
	for (i = 0; i < MAX_MAPS; i++) {
		if (!self->maps[i].addr) {
			self->maps[i].addr = p;
			self->maps[i].len = len;
			break;
		}
	}
	return p;
}

/* munmap part or all of a tracked mapping. */
static int dev_unmap(FIXTURE_DATA(dev) *self, void *addr, size_t len)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++) {
		char *a = self->maps[i].addr;

		if (!a || (char *)addr < a ||
		    (char *)addr + len > a + self->maps[i].len)
			continue;
		if ((char *)addr == a && len == self->maps[i].len) {
			self->maps[i].addr = NULL;
		} else if ((char *)addr == a) {
			self->maps[i].addr = a + len;
			self->maps[i].len -= len;
		} else if ((char *)addr + len == a + self->maps[i].len) {
			self->maps[i].len -= len;
		}
		/* a hole in the middle: the teardown's munmap of the
		 * whole range still covers both pieces */
		break;
	}
	return munmap(addr, len);
}

static const char *extra_domain(FIXTURE_DATA(dev) *self, const char *tag)
{
	char *name = self->extra[self->nextra++];

	ldm_test_name(name, LDM_NAME_MAX, tag);
	return name;
}

static int get_info(FIXTURE_DATA(dev) *self, struct ldm_domain_info *info)
{
	return ldm_domain_get(&self->nl, self->name, info);
}

TEST_F(dev, node_is_root_only_char_device_with_reported_minor)
{
	struct ldm_domain_info info;
	struct stat st;

	ASSERT_EQ(0, stat(self->path, &st))
		TH_LOG("%s: %s", self->path, strerror(errno));
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777)
		TH_LOG("mode %o", st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	EXPECT_EQ(info.minor, minor(st.st_rdev));
}

TEST_F(dev, sysfs_class_is_ldm_so_qemu_takes_size_from_lseek)
{
	char sys[128], link[PATH_MAX], *base;
	struct stat st;
	ssize_t n;

	ASSERT_EQ(0, stat(self->path, &st));
	snprintf(sys, sizeof(sys), "/sys/dev/char/%u:%u/subsystem",
		 major(st.st_rdev), minor(st.st_rdev));
	n = readlink(sys, link, sizeof(link) - 1);
	ASSERT_GT(n, 0) TH_LOG("%s: %s", sys, strerror(errno));
	link[n] = '\0';
	base = strrchr(link, '/');
	ASSERT_NE(NULL, base);
	EXPECT_STREQ("ldm", base + 1);
}

TEST_F(dev, node_and_sysfs_entry_disappear_on_destroy)
{
	char sys[128];
	struct stat st;

	ASSERT_EQ(0, stat(self->path, &st));
	snprintf(sys, sizeof(sys), "/sys/dev/char/%u:%u",
		 major(st.st_rdev), minor(st.st_rdev));
	ASSERT_EQ(0, access(sys, F_OK));
	ASSERT_EQ(0, ldm_domain_del(&self->nl, self->name));
	EXPECT_NE(0, stat(self->path, &st));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_NE(0, access(sys, F_OK));
}

TEST_F(dev, lseek_end_is_size_and_beyond_size_is_einval)
{
	int fd = dev_open(self, NULL, O_RDWR);

	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	EXPECT_EQ((off_t)self->size, lseek(fd, 0, SEEK_END));
	EXPECT_EQ((off_t)self->size / 2, lseek(fd, self->size / 2, SEEK_SET));
	EXPECT_EQ((off_t)self->size, lseek(fd, self->size, SEEK_SET));
	EXPECT_EQ(0, lseek(fd, 0, SEEK_SET));

	errno = 0;
	EXPECT_EQ(-1, lseek(fd, self->size + 1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, lseek(fd, 1, SEEK_END));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, lseek(fd, -1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, lseek(fd, LLONG_MAX, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, mmap_shared_works_for_any_aligned_range_inside)
{
	int fd = dev_open(self, NULL, O_RDWR);
	struct { size_t off, len; } r[] = {
		{ 0, self->size },
		{ 0, self->page },
		{ self->page, 3 * self->page },
		{ self->size - self->page, self->page },
		{ self->size / 2, self->size / 2 },
	};
	unsigned int i;

	ASSERT_GE(fd, 0);
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		volatile unsigned char *p = dev_map(self, fd, r[i].len,
						    r[i].off);

		ASSERT_NE(MAP_FAILED, (void *)p)
			TH_LOG("mmap [%zu, +%zu): %s", r[i].off, r[i].len,
			       strerror(errno));
		/* every page of the range is usable */
		p[0] = 1;
		p[r[i].len - 1] = 2;
		EXPECT_EQ(1, p[0]);
		EXPECT_EQ(2, p[r[i].len - 1]);
	}
}

TEST_F(dev, mmap_private_is_einval)
{
	int fd = dev_open(self, NULL, O_RDWR);
	void *p;

	ASSERT_GE(fd, 0);
	p = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, mmap_reaching_past_the_end_is_einval)
{
	int fd = dev_open(self, NULL, O_RDWR);
	struct { size_t off, len; } r[] = {
		{ 0, self->size + self->page },
		{ self->size, self->page },
		{ self->size - self->page, 2 * self->page },
		{ self->page, self->size },
		{ (size_t)1 << 40, self->page },
	};
	unsigned int i;

	ASSERT_GE(fd, 0);
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		void *p = mmap(NULL, r[i].len, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, r[i].off);

		EXPECT_EQ(MAP_FAILED, p)
			TH_LOG("mmap [%zu, +%zu) of a %zu-byte domain worked",
			       r[i].off, r[i].len, self->size);
		if (p != MAP_FAILED) {
			munmap(p, r[i].len);
		} else {
			EXPECT_EQ(EINVAL, errno);
		}
	}
}

TEST_F(dev, mremap_cannot_grow_a_mapping)
{
	int fd = dev_open(self, NULL, O_RDWR);
	volatile char *p;
	void *q;

	ASSERT_GE(fd, 0);
	p = dev_map(self, fd, 2 * self->page, 0);
	ASSERT_NE(MAP_FAILED, (void *)p);
	p[0] = 'x';
	q = mremap((void *)p, 2 * self->page, 4 * self->page, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q);
	if (q != MAP_FAILED) {
		dev_unmap(self, (void *)p, 2 * self->page);
		munmap(q, 4 * self->page);
		return;
	}
	q = mremap((void *)p, 2 * self->page, 4 * self->page, 0);
	EXPECT_EQ(MAP_FAILED, q);
	/* the original mapping is intact */
	EXPECT_EQ('x', p[0]);
}

TEST_F(dev, memory_starts_zeroed)
{
	int fd = dev_open(self, NULL, O_RDWR);
	const uint64_t *p;
	size_t i, nonzero = 0;

	ASSERT_GE(fd, 0);
	p = dev_map(self, fd, self->size, 0);
	ASSERT_NE(MAP_FAILED, (void *)p);
	for (i = 0; i < self->size / 8; i++)
		nonzero += p[i] != 0;
	EXPECT_EQ(0, nonzero);
}

TEST_F(dev, writes_are_seen_through_every_mapping_and_file)
{
	int fd1 = dev_open(self, NULL, O_RDWR);
	int fd2 = dev_open(self, NULL, O_RDWR);
	volatile uint32_t *a, *b, *c;
	size_t words = self->page / 4;

	ASSERT_GE(fd1, 0);
	ASSERT_GE(fd2, 0);
	/* a: pages [0, 4) via fd1; b: pages [2, 6) via fd2 */
	a = dev_map(self, fd1, 4 * self->page, 0);
	b = dev_map(self, fd2, 4 * self->page, 2 * self->page);
	ASSERT_NE(MAP_FAILED, (void *)a);
	ASSERT_NE(MAP_FAILED, (void *)b);

	a[2 * words + 5] = 0xdeadbeef;		/* page 2 via a */
	EXPECT_EQ(0xdeadbeef, b[5]);
	b[1 * words + 7] = 0xcafef00d;		/* page 3 via b */
	EXPECT_EQ(0xcafef00d, a[3 * words + 7]);

	/* a mapping made afterwards, through a new file, sees both */
	c = dev_map(self, fd1, self->page, 3 * self->page);
	ASSERT_NE(MAP_FAILED, (void *)c);
	EXPECT_EQ(0xcafef00d, c[7]);
	EXPECT_EQ(0xdeadbeef, a[2 * words + 5]);
}

TEST_F(dev, data_survives_unmap_close_and_reopen)
{
	int fd = dev_open(self, NULL, O_RDWR);
	volatile uint64_t *p;

	ASSERT_GE(fd, 0);
	p = dev_map(self, fd, self->size, 0);
	ASSERT_NE(MAP_FAILED, (void *)p);
	p[0] = 0x1122334455667788ULL;
	p[self->size / 8 - 1] = 0x99;
	dev_unmap(self, (void *)p, self->size);
	dev_close(self, fd);

	fd = dev_open(self, NULL, O_RDWR);
	ASSERT_GE(fd, 0);
	p = dev_map(self, fd, self->size, 0);
	ASSERT_NE(MAP_FAILED, (void *)p);
	EXPECT_EQ(0x1122334455667788ULL, p[0]);
	EXPECT_EQ(0x99, p[self->size / 8 - 1]);
}

TEST_F(dev, recreated_domain_starts_zeroed)
{
	int fd = dev_open(self, NULL, O_RDWR);
	volatile uint64_t *p;
	size_t i, nonzero = 0;

	ASSERT_GE(fd, 0);
	p = dev_map(self, fd, self->size, 0);
	ASSERT_NE(MAP_FAILED, (void *)p);
	for (i = 0; i < self->size / 8; i++)
		p[i] = ~0ULL;
	dev_unmap(self, (void *)p, self->size);
	dev_close(self, fd);
	ASSERT_EQ(0, ldm_domain_del(&self->nl, self->name));
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->name, self->size));

	fd = dev_open(self, NULL, O_RDWR);
	ASSERT_GE(fd, 0);
	p = dev_map(self, fd, self->size, 0);
	ASSERT_NE(MAP_FAILED, (void *)p);
	for (i = 0; i < self->size / 8; i++)
		nonzero += p[i] != 0;
	EXPECT_EQ(0, nonzero);
}

TEST_F(dev, resident_counts_exactly_the_pages_touched)
{
	int fd = dev_open(self, NULL, O_RDWR);
	struct ldm_domain_info info;
	volatile unsigned char *p, *q;
	size_t pg = self->page;
	unsigned char sum = 0;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(0, info.resident);

	p = dev_map(self, fd, self->size, 0);
	ASSERT_NE(MAP_FAILED, (void *)p);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(0, info.resident) TH_LOG("mmap alone allocated pages");

	sum += p[0 * pg];			/* read */
	sum += p[10 * pg + 100];		/* read */
	p[20 * pg] = 1;				/* write */
	p[30 * pg + pg - 1] = 1;		/* write */
	sum += p[63 * pg];			/* read, then write */
	p[63 * pg] = 1;
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(5, info.resident);
	EXPECT_EQ(0, sum);

	/* touching the same pages again, or through another mapping and
	 * file, allocates nothing more */
	sum += p[0] + p[10 * pg] + p[20 * pg];
	p[30 * pg] = 2;
	q = dev_map(self, dev_open(self, NULL, O_RDWR), self->size, 0);
	ASSERT_NE(MAP_FAILED, (void *)q);
	sum += q[63 * pg];
	q[20 * pg] = 3;
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(5, info.resident);

	q[40 * pg] = 4;
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(6, info.resident);
}

TEST_F(dev, domain_larger_than_the_vm_costs_only_touched_pages)
{
	/* 16 GiB: far more than the lab VM's RAM */
	const uint64_t size = 16ULL << 30;
	const char *name = extra_domain(self, "huge");
	struct ldm_domain_info info;
	volatile uint64_t *p;
	uint64_t words = size / 8;
	int fd;

	ASSERT_EQ(0, ldm_domain_new(&self->nl, name, size))
		TH_LOG("%s", self->nl.ext_msg);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, name, &info));
	EXPECT_EQ(size, info.size);
	EXPECT_EQ(0, info.resident);

	fd = dev_open(self, name, O_RDWR);
	ASSERT_GE(fd, 0);
	EXPECT_EQ((off_t)size, lseek(fd, 0, SEEK_END));
	p = dev_map(self, fd, size, 0);
	ASSERT_NE(MAP_FAILED, (void *)p) TH_LOG("%s", strerror(errno));
	p[0] = 1;
	p[words / 2] = 2;
	p[words - 1] = 3;
	EXPECT_EQ(1, p[0]);
	EXPECT_EQ(2, p[words / 2]);
	EXPECT_EQ(3, p[words - 1]);
	EXPECT_EQ(0, p[words / 4]);	/* a read: one more page */
	ASSERT_EQ(0, ldm_domain_get(&self->nl, name, &info));
	EXPECT_EQ(4, info.resident);
}

TEST_F(dev, destroy_is_ebusy_while_a_file_is_open)
{
	struct ldm_domain_info info;
	int fd = dev_open(self, NULL, O_RDWR);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EBUSY, ldm_domain_del(&self->nl, self->name));
	EXPECT_NE(NULL, strstr(self->nl.ext_msg, "domain is open or mapped"))
		TH_LOG("extack: \"%s\"", self->nl.ext_msg);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(1, info.open);
	EXPECT_EQ(0, access(self->path, F_OK));

	/* read-only opens count too */
	dev_close(self, fd);
	fd = dev_open(self, NULL, O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EBUSY, ldm_domain_del(&self->nl, self->name));

	dev_close(self, fd);
	EXPECT_EQ(0, ldm_domain_del(&self->nl, self->name))
		TH_LOG("%s", self->nl.ext_msg);
	EXPECT_NE(0, access(self->path, F_OK));
}

TEST_F(dev, destroy_is_ebusy_while_mapped_after_the_file_is_closed)
{
	struct ldm_domain_info info;
	volatile char *p;
	int fd = dev_open(self, NULL, O_RDWR);

	ASSERT_GE(fd, 0);
	p = dev_map(self, fd, 2 * self->page, self->page);
	ASSERT_NE(MAP_FAILED, (void *)p);
	dev_close(self, fd);
	p[0] = 'm';

	/* the mapping holds the file: it is still open until munmap */
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(1, info.open);
	EXPECT_EQ(1, info.mapped);
	EXPECT_EQ(-EBUSY, ldm_domain_del(&self->nl, self->name));
	EXPECT_NE(NULL, strstr(self->nl.ext_msg, "domain is open or mapped"))
		TH_LOG("extack: \"%s\"", self->nl.ext_msg);
	EXPECT_EQ('m', p[0]);

	dev_unmap(self, (void *)p, 2 * self->page);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(0, info.mapped);
	EXPECT_EQ(0, info.open);
	EXPECT_EQ(0, ldm_domain_del(&self->nl, self->name))
		TH_LOG("%s", self->nl.ext_msg);
}

TEST_F(dev, open_count_follows_open_and_close_not_dup)
{
	struct ldm_domain_info info;
	int fd1, fd2, fd3;

	fd1 = dev_open(self, NULL, O_RDWR);
	ASSERT_GE(fd1, 0);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(1, info.open);
	fd2 = dev_open(self, NULL, O_RDWR);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(2, info.open);
	/* dup shares the open file: still two */
	fd3 = dup(fd2);
	ASSERT_GE(fd3, 0);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(2, info.open);
	dev_close(self, fd2);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(2, info.open);
	close(fd3);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(1, info.open);
	dev_close(self, fd1);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(0, info.open);
}

TEST_F(dev, mapped_count_follows_split_move_and_fork)
{
	struct ldm_domain_info info;
	char *p, *q, *target;
	int fd = dev_open(self, NULL, O_RDWR);
	int go[2], status;
	pid_t pid;
	size_t pg = self->page;

	ASSERT_GE(fd, 0);
	p = dev_map(self, fd, 3 * pg, 0);
	ASSERT_NE(MAP_FAILED, p);
	dev_close(self, fd);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(1, info.mapped);

	/* a hole in the middle splits the VMA in two */
	ASSERT_EQ(0, dev_unmap(self, p + pg, pg));
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(2, info.mapped);

	/* moving a piece keeps the count */
	target = mmap(NULL, 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	ASSERT_NE(MAP_FAILED, target);
	q = mremap(p + 2 * pg, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(target, q) TH_LOG("mremap move: %s", strerror(errno));
	munmap(target + pg, pg);
	q[0] = 'q';
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(2, info.mapped);

	/* a child inherits both pieces: four while it lives */
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char c;

		close(go[1]);
		_exit(read(go[0], &c, 1) == 0 && q[0] == 'q' ? 0 : 1);
	}
	close(go[0]);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(4, info.mapped);
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(2, info.mapped);

	/* the domain stays busy until the very last piece goes */
	ASSERT_EQ(0, munmap(q, pg));
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(1, info.mapped);
	EXPECT_EQ(-EBUSY, ldm_domain_del(&self->nl, self->name));
	ASSERT_EQ(0, dev_unmap(self, p, pg));
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(0, info.mapped);
	EXPECT_EQ(0, ldm_domain_del(&self->nl, self->name))
		TH_LOG("%s", self->nl.ext_msg);
}

struct open_result {
	int rdwr_errno;
	int rdonly_errno;
};

static void try_open(void *res, void *arg)
{
	struct open_result *r = res;
	const char *path = arg;
	int fd;

	fd = open(path, O_RDWR);
	r->rdwr_errno = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	fd = open(path, O_RDONLY);
	r->rdonly_errno = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
}

TEST_F(dev, nobody_cannot_open_the_node)
{
	struct open_result r = { -1, -1 };
	struct ldm_domain_info info;

	ASSERT_EQ(0, run_in_child(drop_to_nobody, try_open, &r, sizeof(r),
				  self->path));
	EXPECT_EQ(EACCES, r.rdwr_errno);
	EXPECT_EQ(EACCES, r.rdonly_errno);
	ASSERT_EQ(0, get_info(self, &info));
	EXPECT_EQ(0, info.open);
}

/*
 * Destroy racing with open: a thread opens, maps, writes and closes the
 * node in a loop while the main thread tries to destroy the domain. A
 * destroy may only succeed while no file is open, and once it has, no
 * open may succeed any more.
 */
struct opener {
	const char *name;
	size_t page;
	_Atomic int in_use;	/* set after open() returned, cleared before close() */
	_Atomic int deleted;	/* set by the main thread after a destroy */
	_Atomic int stop;
	int opened_after_destroy;
	int other_errno;
	unsigned long opens;
};

static void *open_loop(void *p)
{
	struct opener *o = p;

	while (!atomic_load(&o->stop)) {
		int gone = atomic_load(&o->deleted);
		volatile char *m;
		int fd = ldm_open(o->name, O_RDWR);

		if (fd < 0) {
			if (errno != ENOENT && errno != ENXIO)
				o->other_errno = errno;
			if (gone)
				break;
			continue;
		}
		atomic_store(&o->in_use, 1);
		if (gone)
			o->opened_after_destroy = 1;
		o->opens++;
		m = mmap(NULL, o->page, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
		if (m != MAP_FAILED) {
			m[0]++;
			munmap((void *)m, o->page);
		}
		atomic_store(&o->in_use, 0);
		close(fd);
	}
	return NULL;
}

TEST_F_TIMEOUT(dev, destroy_racing_with_open_never_frees_an_open_domain, 180)
{
	int round, rounds = 10;

	for (round = 0; round < rounds; round++) {
		struct opener o = { .page = self->page };
		char name[LDM_NAME_MAX], path[256];
		unsigned long tries = 0;
		pthread_t th;
		int err;

		ldm_test_name(name, sizeof(name), "orace");
		o.name = name;
		ASSERT_EQ(0, ldm_domain_new(&self->nl, name, 4 * self->page));
		ASSERT_EQ(0, pthread_create(&th, NULL, open_loop, &o));
		/* let it get going */
		while (!o.opens && tries++ < 1000000)
			sched_yield();
		do {
			err = ldm_domain_del(&self->nl, name);
			if (!err) {
				/* nothing may hold the domain now */
				EXPECT_EQ(0, atomic_load(&o.in_use))
					TH_LOG("round %d: destroyed with a file open",
					       round);
				atomic_store(&o.deleted, 1);
			} else {
				EXPECT_EQ(-EBUSY, err);
			}
		} while (err == -EBUSY && ++tries < 200000);
		atomic_store(&o.stop, 1);
		pthread_join(th, NULL);
		ASSERT_EQ(0, err) TH_LOG("round %d: never destroyed", round);
		EXPECT_EQ(0, o.opened_after_destroy) TH_LOG("round %d", round);
		EXPECT_EQ(0, o.other_errno)
			TH_LOG("round %d: open: %s", round,
			       strerror(o.other_errno));
		ldm_node_path(path, sizeof(path), name);
		EXPECT_NE(0, access(path, F_OK));
	}
}

/*
 * First touches racing: threads write their own slot of every page of a
 * fresh domain in the same order, so several fault on each new page at
 * once. All must get the same page (no write lost to a page that lost the
 * race) and each page is counted once.
 */
#define TOUCHERS	4

struct toucher {
	pthread_barrier_t *start;
	volatile unsigned char *map;
	size_t page, pages;
	int id;
};

static void *touch_all(void *p)
{
	struct toucher *t = p;
	size_t i;

	pthread_barrier_wait(t->start);
	for (i = 0; i < t->pages; i++)
		*(volatile uint64_t *)(t->map + i * t->page + t->id * 64) =
			i + 1;
	return NULL;
}

TEST_F_TIMEOUT(dev, racing_first_touches_share_one_page, 120)
{
	const size_t pages = 2048;
	const char *name = extra_domain(self, "touch");
	struct toucher t[TOUCHERS];
	pthread_t th[TOUCHERS];
	pthread_barrier_t start;
	struct ldm_domain_info info;
	volatile unsigned char *map;
	size_t i, bad = 0;
	int fd, k;

	ASSERT_EQ(0, ldm_domain_new(&self->nl, name, pages * self->page));
	fd = dev_open(self, name, O_RDWR);
	ASSERT_GE(fd, 0);
	map = dev_map(self, fd, pages * self->page, 0);
	ASSERT_NE(MAP_FAILED, (void *)map);
	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, TOUCHERS));
	for (k = 0; k < TOUCHERS; k++) {
		t[k] = (struct toucher){ &start, map, self->page, pages, k };
		ASSERT_EQ(0, pthread_create(&th[k], NULL, touch_all, &t[k]));
	}
	for (k = 0; k < TOUCHERS; k++)
		pthread_join(th[k], NULL);
	pthread_barrier_destroy(&start);

	for (i = 0; i < pages; i++)
		for (k = 0; k < TOUCHERS; k++)
			bad += *(volatile uint64_t *)(map + i * self->page +
						      k * 64) != i + 1;
	EXPECT_EQ(0, bad) TH_LOG("writes lost to racing first touches");
	ASSERT_EQ(0, ldm_domain_get(&self->nl, name, &info));
	EXPECT_EQ(pages, info.resident);
}

TEST_HARNESS_MAIN
