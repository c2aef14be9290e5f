// SPDX-License-Identifier: GPL-2.0
/*
 * ldm_dirty_test: dirty-page tracking and LDM_IOC_HARVEST.
 *
 * The contract: a harvest reports exactly the pages written since the
 * previous harvest (since creation for the first) and re-arms tracking;
 * reads never dirty a page; a failed harvest loses nothing; and no write
 * is ever lost, even while writers race with harvests (the "nolost"
 * fixture, the test that matters most).
 *
 * Runs in the lab VM with ldm.ko loaded (selftests/run.sh).
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "ldm_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

/* Not a multiple of 64: the bitmap's last word is partly used. */
#define PAGES		100
#define BITMAP_ALLOC	4096

FIXTURE(dirty)
{
	struct ldm_nl nl;
	size_t page;
	size_t pages;
	size_t bm_bytes;	/* the minimum bitmap size for the domain */
	char name[LDM_NAME_MAX];
	int fd;
	volatile unsigned char *map;
	uint64_t *bm;		/* BITMAP_ALLOC bytes */
	char extra[LDM_NAME_MAX];
};

FIXTURE_SETUP(dirty)
{
	self->fd = -1;
	ASSERT_EQ(0, ldm_nl_open_ldm(&self->nl));
	self->page = page_size();
	self->pages = PAGES;
	self->bm_bytes = ldm_bitmap_bytes(PAGES);
	ldm_test_name(self->name, sizeof(self->name), "dirty");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->name,
				    self->pages * self->page))
		TH_LOG("%s", self->nl.ext_msg);
	self->fd = ldm_open(self->name, O_RDWR);
	ASSERT_GE(self->fd, 0) TH_LOG("%s", strerror(errno));
	self->map = mmap(NULL, self->pages * self->page,
			 PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, (void *)self->map);
	self->bm = malloc(BITMAP_ALLOC);
	ASSERT_NE(NULL, self->bm);
}

FIXTURE_TEARDOWN(dirty)
{
	if (self->map && self->map != MAP_FAILED)
		munmap((void *)self->map, self->pages * self->page);
	if (self->fd >= 0)
		close(self->fd);
	ldm_domain_del(&self->nl, self->name);
	if (self->extra[0])
		ldm_domain_del(&self->nl, self->extra);
	free(self->bm);
	ldm_nl_close(&self->nl);
}

static void touch_write(FIXTURE_DATA(dirty) *self, size_t pg, unsigned char v)
{
	self->map[pg * self->page + (v * 37) % self->page] = v;
}

static unsigned char touch_read(FIXTURE_DATA(dirty) *self, size_t pg)
{
	return self->map[pg * self->page + 7];
}

/* Harvest into self->bm with the minimum size; 0 or -errno. */
static int harvest(FIXTURE_DATA(dirty) *self, uint64_t *dirty)
{
	memset(self->bm, 0, BITMAP_ALLOC);
	return ldm_harvest(self->fd, self->bm, self->bm_bytes, dirty);
}

/*
 * Harvest and expect exactly the @n pages in @want (and a dirty count of
 * @n): the check every basic test makes.
 */
static void expect_harvest(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dirty) *self,
			   const size_t *want, size_t n)
{
	uint64_t dirty = ~0ULL;
	size_t i, j;
	int err = harvest(self, &dirty);

	ASSERT_EQ(0, err) TH_LOG("harvest: %s", strerror(-err));
	EXPECT_EQ(n, dirty);
	for (i = 0; i < self->pages; i++) {
		int wanted = 0;

		for (j = 0; j < n; j++)
			wanted |= want[j] == i;
		EXPECT_EQ(wanted, bit_test(self->bm, i))
			TH_LOG("page %zu: %s", i, wanted ?
			       "written but not reported" :
			       "reported but not written");
	}
	/* bits past the last page in the last word stay clear */
	for (i = self->pages; i < self->bm_bytes * 8; i++) {
		EXPECT_EQ(0, bit_test(self->bm, i)) TH_LOG("bit %zu", i);
	}
	EXPECT_EQ(n, bitmap_weight(self->bm, self->bm_bytes * 8));
}

#define EXPECT_HARVEST(...) do {					\
	const size_t __w[] = { __VA_ARGS__ };				\
	expect_harvest(_metadata, self, __w + 1, ARRAY_SIZE(__w) - 1);	\
} while (0)

TEST_F(dirty, first_harvest_after_create_reports_nothing)
{
	EXPECT_HARVEST(0);
}

TEST_F(dirty, harvest_reports_exactly_the_written_pages)
{
	/* across 64-bit word boundaries, the last page included */
	touch_write(self, 3, 1);
	touch_write(self, 63, 1);
	touch_write(self, 64, 1);
	touch_write(self, 99, 1);
	EXPECT_HARVEST(0, 3, 63, 64, 99);
}

TEST_F(dirty, second_harvest_without_writes_reports_nothing)
{
	touch_write(self, 5, 1);
	touch_write(self, 70, 1);
	EXPECT_HARVEST(0, 5, 70);
	EXPECT_HARVEST(0);
	EXPECT_HARVEST(0);
}

TEST_F(dirty, rewriting_a_page_after_harvest_reports_it_again)
{
	touch_write(self, 10, 1);
	touch_write(self, 11, 1);
	touch_write(self, 12, 1);
	EXPECT_HARVEST(0, 10, 11, 12);
	/* the page was writable before the harvest: tracking must have
	 * write-protected it again */
	touch_write(self, 11, 2);
	EXPECT_HARVEST(0, 11);
	touch_write(self, 11, 3);
	touch_write(self, 12, 3);
	EXPECT_HARVEST(0, 11, 12);
	EXPECT_HARVEST(0);
}

TEST_F(dirty, many_writes_to_one_page_report_it_once)
{
	int i;

	for (i = 0; i < 1000; i++)
		touch_write(self, 42, i);
	EXPECT_HARVEST(0, 42);
}

TEST_F(dirty, reads_never_dirty_a_page)
{
	struct ldm_domain_info info;
	unsigned int sum = 0;
	size_t i;

	for (i = 0; i < self->pages; i++)
		sum += touch_read(self, i);
	EXPECT_EQ(0, sum);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->name, &info));
	EXPECT_EQ(self->pages, info.resident);
	EXPECT_EQ(0, info.dirty);
	EXPECT_HARVEST(0);

	/* and after a harvest of written pages, reading them is clean */
	touch_write(self, 1, 9);
	EXPECT_HARVEST(0, 1);
	for (i = 0; i < self->pages; i++)
		sum += touch_read(self, i);
	EXPECT_HARVEST(0);
}

TEST_F(dirty, write_after_a_read_fault_is_reported)
{
	/* the read maps the page read-only; the write must still fault */
	EXPECT_EQ(0, touch_read(self, 30));
	EXPECT_HARVEST(0);
	touch_write(self, 30, 1);
	EXPECT_HARVEST(0, 30);
}

TEST_F(dirty, harvest_overwrites_stale_bits_in_the_bitmap)
{
	uint64_t dirty = ~0ULL;
	size_t i;

	touch_write(self, 2, 1);
	memset(self->bm, 0xff, BITMAP_ALLOC);
	ASSERT_EQ(0, ldm_harvest(self->fd, self->bm, self->bm_bytes, &dirty));
	EXPECT_EQ(1, dirty);
	for (i = 0; i < self->pages; i++) {
		EXPECT_EQ(i == 2, bit_test(self->bm, i)) TH_LOG("page %zu", i);
	}
}

TEST_F(dirty, get_dirty_is_what_the_next_harvest_reports)
{
	struct ldm_domain_info info;
	uint64_t dirty = 0;

	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->name, &info));
	EXPECT_EQ(0, info.dirty);
	touch_write(self, 0, 1);
	touch_write(self, 50, 1);
	touch_write(self, 50, 2);
	touch_write(self, 77, 1);
	EXPECT_EQ(0, touch_read(self, 78));
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->name, &info));
	EXPECT_EQ(3, info.dirty);
	ASSERT_EQ(0, harvest(self, &dirty));
	EXPECT_EQ(info.dirty, dirty);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->name, &info));
	EXPECT_EQ(0, info.dirty);
	touch_write(self, 50, 3);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->name, &info));
	EXPECT_EQ(1, info.dirty);
}

TEST_F(dirty, too_small_bitmap_is_einval_and_loses_nothing)
{
	size_t sizes[] = { 0, 1, 8, self->bm_bytes - 1 };
	uint64_t dirty = 0;
	unsigned int i;

	touch_write(self, 4, 1);
	touch_write(self, 96, 1);	/* its bit is in the last word */
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		EXPECT_EQ(-EINVAL, ldm_harvest(self->fd, self->bm, sizes[i],
					       &dirty))
			TH_LOG("bitmap of %zu bytes", sizes[i]);
	}
	EXPECT_HARVEST(0, 4, 96);
}

TEST_F(dirty, larger_bitmap_is_accepted)
{
	uint64_t dirty = 0;
	size_t i;

	touch_write(self, 99, 1);
	memset(self->bm, 0, BITMAP_ALLOC);
	ASSERT_EQ(0, ldm_harvest(self->fd, self->bm, BITMAP_ALLOC, &dirty));
	EXPECT_EQ(1, dirty);
	for (i = 0; i < BITMAP_ALLOC * 8; i++) {
		EXPECT_EQ(i == 99, bit_test(self->bm, i)) TH_LOG("bit %zu", i);
	}
}

TEST_F(dirty, nonzero_flags_or_pad_is_einval_and_loses_nothing)
{
	uint64_t dirty = 0;

	touch_write(self, 7, 1);
	EXPECT_EQ(-EINVAL, ldm_harvest_raw(self->fd, (uintptr_t)self->bm,
					   self->bm_bytes, 1, 0, &dirty));
	EXPECT_EQ(-EINVAL, ldm_harvest_raw(self->fd, (uintptr_t)self->bm,
					   self->bm_bytes, 0x80000000u, 0,
					   &dirty));
	EXPECT_EQ(-EINVAL, ldm_harvest_raw(self->fd, (uintptr_t)self->bm,
					   self->bm_bytes, 0, 1, &dirty));
	EXPECT_HARVEST(0, 7);
}

TEST_F(dirty, bad_bitmap_pointer_is_efault_and_loses_nothing)
{
	void *gone = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *ro = mmap(NULL, self->page, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t dirty = 0;

	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_NE(MAP_FAILED, ro);
	munmap(gone, self->page);
	touch_write(self, 8, 1);
	touch_write(self, 80, 1);

	EXPECT_EQ(-EFAULT, ldm_harvest_raw(self->fd, 0, self->bm_bytes, 0, 0,
					   &dirty));
	EXPECT_EQ(-EFAULT, ldm_harvest(self->fd, gone, self->bm_bytes,
				       &dirty));
	EXPECT_EQ(-EFAULT, ldm_harvest(self->fd, ro, self->bm_bytes, &dirty));
	/* a kernel address */
	EXPECT_EQ(-EFAULT, ldm_harvest_raw(self->fd, 0xffff888000000000ULL,
					   self->bm_bytes, 0, 0, &dirty));
	EXPECT_HARVEST(0, 8, 80);
	munmap(ro, self->page);
}

TEST_F(dirty, bad_ioctl_argument_pointer_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, LDM_IOC_HARVEST, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dirty, bitmap_faulting_partway_is_efault_and_loses_nothing)
{
	/* 40000 pages: a 5000-byte bitmap whose second page is PROT_NONE */
	const size_t pages = 40000;
	const size_t bytes = ldm_bitmap_bytes(pages);
	volatile unsigned char *map;
	uint64_t dirty = 0, *bm;
	char *area;
	int fd;

	ldm_test_name(self->extra, sizeof(self->extra), "part");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->extra,
				    pages * self->page));
	fd = ldm_open(self->extra, O_RDWR);
	ASSERT_GE(fd, 0);
	map = mmap(NULL, pages * self->page, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, (void *)map);
	map[1 * self->page] = 1;		/* bit in the good page */
	map[(pages - 1) * self->page] = 1;	/* bit in the bad page */

	area = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, mprotect(area + self->page, self->page, PROT_NONE));
	/* the bitmap starts 1000 bytes before the hole */
	bm = (uint64_t *)(area + self->page - 1000);
	ASSERT_LT(1000, bytes);
	EXPECT_EQ(-EFAULT, ldm_harvest(fd, bm, bytes, &dirty));

	/* both pages are still reported */
	bm = calloc(1, bytes);
	ASSERT_NE(NULL, bm);
	ASSERT_EQ(0, ldm_harvest(fd, bm, bytes, &dirty));
	EXPECT_EQ(2, dirty);
	EXPECT_TRUE(bit_test(bm, 1));
	EXPECT_TRUE(bit_test(bm, pages - 1));
	EXPECT_EQ(2, bitmap_weight(bm, pages));
	free(bm);
	munmap(area, 2 * self->page);
	munmap((void *)map, pages * self->page);
	close(fd);
}

TEST_F(dirty, writes_through_any_mapping_or_file_are_reported)
{
	int fd2 = ldm_open(self->name, O_RDWR);
	volatile unsigned char *m2;
	uint64_t dirty = 0;

	ASSERT_GE(fd2, 0);
	/* pages [60, 100) through a second file */
	m2 = mmap(NULL, 40 * self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
		  fd2, 60 * self->page);
	ASSERT_NE(MAP_FAILED, (void *)m2);
	m2[0] = 1;			/* page 60 */
	m2[39 * self->page] = 1;	/* page 99 */
	touch_write(self, 61, 1);
	/* harvest through the other file: tracking is per domain */
	memset(self->bm, 0, BITMAP_ALLOC);
	ASSERT_EQ(0, ldm_harvest(fd2, self->bm, self->bm_bytes, &dirty));
	EXPECT_EQ(3, dirty);
	EXPECT_TRUE(bit_test(self->bm, 60));
	EXPECT_TRUE(bit_test(self->bm, 61));
	EXPECT_TRUE(bit_test(self->bm, 99));
	/* both mappings were re-armed */
	m2[1 * self->page] = 2;		/* page 61 */
	touch_write(self, 99, 2);
	EXPECT_HARVEST(0, 61, 99);
	munmap((void *)m2, 40 * self->page);
	close(fd2);
}

TEST_F(dirty, write_then_munmap_is_still_reported)
{
	touch_write(self, 20, 1);
	touch_write(self, 21, 1);
	ASSERT_EQ(0, munmap((void *)self->map, self->pages * self->page));
	self->map = NULL;
	EXPECT_HARVEST(0, 20, 21);
}

TEST_F(dirty, write_from_a_forked_child_is_reported)
{
	pid_t pid;
	int status;

	EXPECT_HARVEST(0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		touch_write(self, 33, 1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_HARVEST(0, 33);
	/* and from the parent, on a page the child had made writable */
	touch_write(self, 33, 2);
	EXPECT_HARVEST(0, 33);
}

TEST_F(dirty, unknown_ioctl_is_enotty)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(LDM_IOC_MAGIC, 0x7f, uint64_t),
			    self->bm));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO('x', 1)));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dirty, write_after_mprotect_to_writable_is_reported)
{
	volatile unsigned char *ro;
	int fd = ldm_open(self->name, O_RDWR);

	ASSERT_GE(fd, 0);
	ro = mmap(NULL, self->page, PROT_READ, MAP_SHARED, fd,
		  40 * self->page);
	ASSERT_NE(MAP_FAILED, (void *)ro);
	EXPECT_EQ(0, ro[0]);
	ASSERT_EQ(0, mprotect((void *)ro, self->page,
			      PROT_READ | PROT_WRITE));
	ro[1] = 1;
	EXPECT_HARVEST(0, 40);
	ro[2] = 2;
	EXPECT_HARVEST(0, 40);
	munmap((void *)ro, self->page);
	close(fd);
}

TEST_F_TIMEOUT(dirty, harvest_works_at_the_default_size_limit, 120)
{
	/* 64 GiB: 16 Mi pages, a 2 MiB bitmap */
	const uint64_t size = 64ULL << 30;
	const size_t pages = size / self->page;
	const size_t bytes = ldm_bitmap_bytes(pages);
	volatile unsigned char *map;
	uint64_t dirty = 0, *bm;
	int fd, i;

	ldm_test_name(self->extra, sizeof(self->extra), "64g");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->extra, size))
		TH_LOG("%s", self->nl.ext_msg);
	fd = ldm_open(self->extra, O_RDWR);
	ASSERT_GE(fd, 0);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, (void *)map) TH_LOG("%s", strerror(errno));
	bm = malloc(bytes);
	ASSERT_NE(NULL, bm);
	for (i = 0; i < 3; i++) {
		map[0] = i;
		map[size - 1] = i;
		memset(bm, 0, bytes);
		ASSERT_EQ(0, ldm_harvest(fd, bm, bytes, &dirty));
		EXPECT_EQ(2, dirty);
		EXPECT_TRUE(bit_test(bm, 0));
		EXPECT_TRUE(bit_test(bm, pages - 1));
	}
	free(bm);
	munmap((void *)map, size);
	close(fd);
}

/*
 * Two harvesters at once, one writer writing each page once: every page
 * must be reported by one harvester or the other.
 */
#define PH_PAGES	4096

struct par_harvest {
	int fd;
	_Atomic int stop;
	_Atomic unsigned int reports[PH_PAGES];
	int error;
	unsigned long harvests;
};

static void *harvester(void *p)
{
	struct par_harvest *ph = p;
	uint64_t bm[PH_PAGES / 64], dirty;
	int last = 0;

	/* one more round after the writer is done */
	while (!last) {
		size_t i;
		int err;

		last = atomic_load(&ph->stop);
		memset(bm, 0, sizeof(bm));
		err = ldm_harvest(ph->fd, bm, sizeof(bm), &dirty);
		if (err) {
			ph->error = -err;
			break;
		}
		ph->harvests++;
		for (i = 0; i < PH_PAGES; i++)
			if (bit_test(bm, i))
				atomic_fetch_add(&ph->reports[i], 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(dirty, parallel_harvesters_report_every_written_page, 120)
{
	struct par_harvest *ph = calloc(1, sizeof(*ph));
	volatile unsigned char *map;
	size_t i, never = 0, twice = 0;
	uint32_t *order = calloc(PH_PAGES, sizeof(*order));
	uint64_t x = 88172645463325252ULL;
	pthread_t th[2];
	int fd;

	ASSERT_NE(NULL, ph);
	ASSERT_NE(NULL, order);
	ldm_test_name(self->extra, sizeof(self->extra), "par");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->extra,
				    PH_PAGES * self->page));
	fd = ldm_open(self->extra, O_RDWR);
	ASSERT_GE(fd, 0);
	map = mmap(NULL, PH_PAGES * self->page, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, (void *)map);
	/* a random order of all pages */
	for (i = 0; i < PH_PAGES; i++)
		order[i] = i;
	for (i = PH_PAGES - 1; i > 0; i--) {
		size_t j;
		uint32_t t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = x % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	ph->fd = fd;
	ASSERT_EQ(0, pthread_create(&th[0], NULL, harvester, ph));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, harvester, ph));
	for (i = 0; i < PH_PAGES; i++) {
		map[order[i] * self->page + 100] = 1;
		if (i % 64 == 0)
			sched_yield();
	}
	atomic_store(&ph->stop, 1);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	ASSERT_EQ(0, ph->error) TH_LOG("harvest: %s", strerror(ph->error));
	for (i = 0; i < PH_PAGES; i++) {
		unsigned int r = atomic_load(&ph->reports[i]);

		never += r == 0;
		twice += r > 1;
	}
	/*
	 * A page may be reported twice: a harvest can take its bit after
	 * page_mkwrite but before the store itself retires; the store then
	 * faults again and the next harvest reports it again. Only a page
	 * never reported is a bug.
	 */
	TH_LOG("%lu harvests, %zu pages reported twice", ph->harvests, twice);
	EXPECT_EQ(0, never) TH_LOG("written pages never reported");
	munmap((void *)map, PH_PAGES * self->page);
	close(fd);
	free(order);
	free(ph);
}

/*
 * No lost writes.
 *
 * Writers pick random pages. Each write first bumps counter[p] (seq_cst,
 * outside the domain), then stores into the page. The harvester harvests
 * in a loop and, after each harvest returns, sets mark[p] = counter[p] for
 * every page reported. When the writers have stopped, a last harvest does
 * the same. A write whose bump came after the last harvest that reported
 * its page, and which no later harvest reported, leaves
 * counter[p] > mark[p]: a lost write.
 *
 * Writer w keeps, in slot w of page p, how many times it wrote page p, so
 * at the end the sum of a page's slots must equal counter[p].
 */
#define NOLOST_PAGES	4096
#define MAX_WRITERS	4
#define SLOT_STRIDE	64	/* one cache line per writer slot */

struct nolost_shared {
	_Atomic uint64_t counter[NOLOST_PAGES];
	_Atomic uint64_t writes[MAX_WRITERS];
	_Atomic int stop;
	_Atomic int started;
};

FIXTURE(nolost)
{
	struct ldm_nl nl;
	char name[LDM_NAME_MAX];
	size_t page;
	int fd;
	volatile unsigned char *map;
	struct nolost_shared *sh;	/* MAP_SHARED: seen by children */
	size_t pages;			/* the domain's size */
	uint64_t mark[NOLOST_PAGES];
	uint64_t bm[NOLOST_PAGES / 64];
};

FIXTURE_VARIANT(nolost)
{
	int writers;
	int processes;		/* writers are processes, not threads */
	int own_mapping;	/* each writer maps the domain itself */
	int remap_every;	/* writer remaps after this many writes */
	int pages;		/* domain size, NOLOST_PAGES if 0 */
};

FIXTURE_VARIANT_ADD(nolost, threads_one_mapping)
{
	.writers = 3,
};

FIXTURE_VARIANT_ADD(nolost, threads_own_mappings_remapping)
{
	.writers = 3,
	.own_mapping = 1,
	.remap_every = 300,
};

FIXTURE_VARIANT_ADD(nolost, processes_own_mappings)
{
	.writers = 2,
	.processes = 1,
	.own_mapping = 1,
};

/* A few hot pages: harvests are short and every write races one. */
FIXTURE_VARIANT_ADD(nolost, threads_few_hot_pages)
{
	.writers = 3,
	.pages = 16,
};

FIXTURE_SETUP(nolost)
{
	self->fd = -1;
	self->page = page_size();
	self->pages = variant->pages ?: NOLOST_PAGES;
	ASSERT_LE(self->pages, NOLOST_PAGES);
	ASSERT_EQ(0, ldm_nl_open_ldm(&self->nl));
	ldm_test_name(self->name, sizeof(self->name), "nolost");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->name,
				    self->pages * self->page));
	self->fd = ldm_open(self->name, O_RDWR);
	ASSERT_GE(self->fd, 0);
	self->map = mmap(NULL, self->pages * self->page,
			 PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, (void *)self->map);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
}

FIXTURE_TEARDOWN(nolost)
{
	if (self->sh && self->sh != MAP_FAILED) {
		atomic_store(&self->sh->stop, 1);
		munmap(self->sh, sizeof(*self->sh));
	}
	if (self->map && self->map != MAP_FAILED)
		munmap((void *)self->map, self->pages * self->page);
	if (self->fd >= 0)
		close(self->fd);
	ldm_domain_del(&self->nl, self->name);
	ldm_nl_close(&self->nl);
}

struct writer_arg {
	int id;
	const FIXTURE_VARIANT(nolost) *variant;
	struct nolost_shared *sh;
	volatile unsigned char *map;	/* shared mapping, if not own */
	const char *name;
	size_t page;
	size_t pages;
	int error;			/* errno of a failed setup */
};

static void *writer(void *p)
{
	struct writer_arg *a = p;
	size_t len = a->pages * a->page;
	volatile unsigned char *map = a->map;
	uint64_t *mine = calloc(NOLOST_PAGES, sizeof(*mine));
	uint64_t x = 0x9e3779b97f4a7c15ULL * (a->id + 1), n = 0;
	int fd = -1;

	if (!mine) {
		a->error = ENOMEM;
		return NULL;
	}
	if (a->variant->own_mapping) {
		fd = ldm_open(a->name, O_RDWR);
		map = fd < 0 ? MAP_FAILED :
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			     fd, 0);
		if (map == MAP_FAILED) {
			a->error = errno;
			free(mine);
			return NULL;
		}
	}
	atomic_fetch_add(&a->sh->started, 1);
	while (!atomic_load(&a->sh->stop)) {
		size_t pg;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pg = x % a->pages;
		/* the bump strictly before the store */
		atomic_fetch_add_explicit(&a->sh->counter[pg], 1,
					  memory_order_seq_cst);
		mine[pg]++;
		*(volatile uint64_t *)(map + pg * a->page +
				       a->id * SLOT_STRIDE) = mine[pg];
		n++;
		if (a->variant->remap_every && n % a->variant->remap_every == 0) {
			munmap((void *)map, len);
			map = mmap(NULL, len, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
			if (map == MAP_FAILED) {
				a->error = errno;
				break;
			}
		}
	}
	atomic_store(&a->sh->writes[a->id], n);
	if (a->variant->own_mapping) {
		if (map != MAP_FAILED)
			munmap((void *)map, len);
		close(fd);
	}
	free(mine);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Harvest once and mark what it reported. Returns the dirty count or
 * -errno; *phantom counts pages reported that were never written.
 */
static long harvest_and_mark(FIXTURE_DATA(nolost) *self, size_t *phantom)
{
	uint64_t dirty = 0, weight = 0;
	size_t w;
	int err;

	memset(self->bm, 0, sizeof(self->bm));
	err = ldm_harvest(self->fd, self->bm, ldm_bitmap_bytes(self->pages),
			  &dirty);
	if (err)
		return err;
	for (w = 0; w < ldm_bitmap_bytes(self->pages) / 8; w++) {
		uint64_t bits = self->bm[w];

		while (bits) {
			size_t p = w * 64 + __builtin_ctzll(bits);
			uint64_t c = atomic_load(&self->sh->counter[p]);

			bits &= bits - 1;
			weight++;
			if (!c)
				(*phantom)++;
			self->mark[p] = c;
		}
	}
	if (weight != dirty)
		return -EPROTO;
	return dirty;
}

TEST_F_TIMEOUT(nolost, concurrent_writers_lose_no_write_to_harvests, 180)
{
	const char *env = getenv("LDM_STRESS_SECONDS");
	double seconds = env ? atof(env) : 4.0;
	struct writer_arg args[MAX_WRITERS];
	pthread_t threads[MAX_WRITERS];
	pid_t pids[MAX_WRITERS];
	size_t phantom = 0, lost = 0, bad_content = 0, first_lost = 0;
	unsigned long harvests = 0, busy_harvests = 0, reported = 0;
	uint64_t total_writes = 0;
	double end;
	long ret;
	int i, w;

	ASSERT_LE(variant->writers, MAX_WRITERS);
	/* pages written before the test: none */
	ASSERT_EQ(0, harvest_and_mark(self, &phantom));

	for (w = 0; w < variant->writers; w++) {
		args[w] = (struct writer_arg) {
			.id = w, .variant = variant, .sh = self->sh,
			.map = self->map, .name = self->name,
			.page = self->page, .pages = self->pages,
		};
		if (variant->processes) {
			pids[w] = fork();
			ASSERT_GE(pids[w], 0);
			if (pids[w] == 0) {
				writer(&args[w]);
				_exit(args[w].error ? 1 : 0);
			}
		} else {
			ASSERT_EQ(0, pthread_create(&threads[w], NULL, writer,
						    &args[w]));
		}
	}
	/* start the clock once every writer runs */
	while (atomic_load(&self->sh->started) < variant->writers) {
		ASSERT_EQ(0, harvest_and_mark(self, &phantom) < 0);
		usleep(1000);
	}
	/*
	 * At least the planned time, and then until the race has happened
	 * enough to prove something (a slow debug kernel on a loaded host
	 * writes a few hundred pages a second), up to eight times as long.
	 */
	end = now() + seconds;
	for (;;) {
		uint64_t live = 0;
		double t = now();

		for (w = 0; w < variant->writers; w++)
			live += atomic_load(&self->sh->writes[w]);
		if (t >= end + 7 * seconds ||
		    (t >= end && live >= 1000 && busy_harvests >= 10))
			break;
		ret = harvest_and_mark(self, &phantom);
		ASSERT_GE(ret, 0) TH_LOG("harvest: %s", strerror(-ret));
		harvests++;
		reported += ret;
		busy_harvests += ret > 0;
	}
	seconds = now() - (end - seconds);
	atomic_store(&self->sh->stop, 1);
	for (w = 0; w < variant->writers; w++) {
		if (variant->processes) {
			int status;

			ASSERT_EQ(pids[w], waitpid(pids[w], &status, 0));
			EXPECT_TRUE(WIFEXITED(status) &&
				    WEXITSTATUS(status) == 0);
		} else {
			ASSERT_EQ(0, pthread_join(threads[w], NULL));
			EXPECT_EQ(0, args[w].error)
				TH_LOG("writer %d: %s", w,
				       strerror(args[w].error));
		}
		total_writes += atomic_load(&self->sh->writes[w]);
	}
	/* the final harvest, with every writer stopped */
	ret = harvest_and_mark(self, &phantom);
	ASSERT_GE(ret, 0);
	harvests++;
	reported += ret;

	for (i = 0; i < (int)self->pages; i++) {
		uint64_t c = atomic_load(&self->sh->counter[i]), sum = 0;

		if (c != self->mark[i]) {
			if (!lost++)
				first_lost = i;
		}
		for (w = 0; w < variant->writers; w++)
			sum += *(volatile uint64_t *)(self->map + i * self->page +
						      w * SLOT_STRIDE);
		bad_content += sum != c;
	}
	TH_LOG("%.1f s, %zu pages: %llu writes by %d %s, %lu harvests (%lu "
	       "non-empty while writers ran) reported %lu pages",
	       seconds, self->pages, (unsigned long long)total_writes,
	       variant->writers, variant->processes ? "processes" : "threads",
	       harvests, busy_harvests, reported);
	EXPECT_EQ(0, lost)
		TH_LOG("%zu pages have writes no harvest reported (first: page "
		       "%zu, counter %llu, last reported at %llu)", lost,
		       first_lost,
		       (unsigned long long)atomic_load(&self->sh->counter[first_lost]),
		       (unsigned long long)self->mark[first_lost]);
	EXPECT_EQ(0, phantom) TH_LOG("pages reported that were never written");
	EXPECT_EQ(0, bad_content)
		TH_LOG("pages whose content is not what the writers wrote");
	/* the test only proves something if the race really happened */
	EXPECT_GE(total_writes, 1000);
	EXPECT_GE(busy_harvests, 10);
	/* after the final harvest, nothing is dirty */
	ASSERT_EQ(0, harvest_and_mark(self, &phantom));
}

TEST_HARNESS_MAIN
