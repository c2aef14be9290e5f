// SPDX-License-Identifier: GPL-2.0
/*
 * Post-copy on the target, in one VM: domain A is sent to domain B as in
 * ldm_migrate_test, B is mapped as its emulator would map it, and then B
 * is told which pages it still lacks (LDM_IOC_POSTCOPY). A fault on one
 * of them must wait for exactly that page, ask for it (poll's EPOLLPRI,
 * LDM_IOC_POSTCOPY_REQUESTS), never see the stale copy B had, and go on
 * once the page arrives; other pages run at full speed; a waiter can be
 * killed.
 */

#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "ldm_test.h"
#include "ldm_mig.h"

#define DOM_PAGES	2048
#define EVERY		8	/* every EVERY-th page is rewritten on A */

/* A page that says which it is and which generation wrote it. */
static void fill(uint8_t *p, size_t psz, unsigned int i, unsigned int gen)
{
	size_t k;

	for (k = 0; k < psz; k++)
		p[k] = (uint8_t)(i * 7 + gen * 31 + k / 64);
	memcpy(p, &i, sizeof(i));
	memcpy(p + sizeof(i), &gen, sizeof(gen));
}

FIXTURE(postcopy)
{
	struct ldm_nl nl;
	char src[LDM_NAME_MAX], dst[LDM_NAME_MAX];
	int src_fd, dst_fd;
	uint8_t *a, *b;		/* A's RAM; B's, mapped as an emulator */
	size_t psz, bytes;
	struct ring tx, rx;
	uint64_t missing[DOM_PAGES / 64];
	unsigned int nmissing;
};

FIXTURE_SETUP(postcopy)
{
	volatile uint8_t sink = 0;
	unsigned int i;

	ASSERT_EQ(0, ldm_nl_open_ldm(&self->nl));
	self->psz = page_size();
	self->bytes = DOM_PAGES * self->psz;
	ldm_test_name(self->src, sizeof(self->src), "pcsrc");
	ldm_test_name(self->dst, sizeof(self->dst), "pcdst");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->src, self->bytes));
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->dst, self->bytes));
	self->src_fd = ldm_open(self->src, O_RDWR);
	self->dst_fd = ldm_open(self->dst, O_RDWR);
	ASSERT_LE(0, self->src_fd);
	ASSERT_LE(0, self->dst_fd);
	self->a = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->src_fd, 0);
	ASSERT_NE(MAP_FAILED, self->a);
	for (i = 0; i < DOM_PAGES; i++)
		fill(self->a + i * self->psz, self->psz, i, 0);

	/* Pre-copy: round 0 brings all of A to B. */
	ASSERT_EQ(0, session_start(&self->nl, self->src, LDM_CMD_MIGRATE_START,
				   0, 0, &self->tx));
	ASSERT_EQ(0, session_start(&self->nl, self->dst, LDM_CMD_RECEIVE_START,
				   0, 0, &self->rx));
	ASSERT_EQ(0, ring_map(&self->nl, self->src, &self->tx));
	ASSERT_EQ(0, ring_map(&self->nl, self->dst, &self->rx));
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward,
				&self->rx));
	ASSERT_EQ(0, ring_drain(&self->rx));

	/* B's emulator maps B and reads it all: every page is mapped now. */
	self->b = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->dst_fd, 0);
	ASSERT_NE(MAP_FAILED, self->b);
	for (i = 0; i < DOM_PAGES; i++)
		sink ^= self->b[i * self->psz + 100];
	(void)sink;

	/* The guest on A writes more: B's copies of those are stale. */
	memset(self->missing, 0, sizeof(self->missing));
	for (i = 0; i < DOM_PAGES; i += EVERY) {
		fill(self->a + i * self->psz, self->psz, i, 1);
		self->missing[i / 64] |= 1ull << (i % 64);
	}
	self->nmissing = DOM_PAGES / EVERY;
}

FIXTURE_TEARDOWN(postcopy)
{
	name_cmd(&self->nl, self->src, LDM_CMD_MIGRATE_STOP, NULL, NULL);
	name_cmd(&self->nl, self->dst, LDM_CMD_MIGRATE_STOP, NULL, NULL);
	ring_unmap(&self->tx);
	ring_unmap(&self->rx);
	munmap(self->a, self->bytes);
	munmap(self->b, self->bytes);
	close(self->src_fd);
	close(self->dst_fd);
	ldm_domain_del(&self->nl, self->src);
	ldm_domain_del(&self->nl, self->dst);
	ldm_nl_close(&self->nl);
}

/* LDM_IOC_POSTCOPY on @fd: the fixture's pages come with round 1. */
static int postcopy_start(FIXTURE_DATA(postcopy) *self, int fd,
			  uint64_t *count)
{
	struct ldm_page_set ps = {
		.bitmap = (uintptr_t)self->missing,
		.bitmap_bytes = sizeof(self->missing),
		.round = 1,
	};
	int err = ioctl(fd, LDM_IOC_POSTCOPY, &ps) ? -errno : 0;

	if (count)
		*count = ps.count;
	return err;
}

struct reader {
	const uint8_t *page;
	uint8_t copy[16384];
	size_t psz;
	atomic_int done;
};

static void *read_page(void *arg)
{
	struct reader *r = arg;

	memcpy(r->copy, r->page, r->psz);
	atomic_store(&r->done, 1);
	return NULL;
}

/* Is @page in the requests B's module gives? Takes them all. */
static int asked_for(int fd, uint64_t page, unsigned int *n)
{
	struct ldm_postcopy_requests rq;
	int found = 0;
	uint32_t i;

	*n = 0;
	do {
		memset(&rq, 0, sizeof(rq));
		if (ioctl(fd, LDM_IOC_POSTCOPY_REQUESTS, &rq))
			return -errno;
		for (i = 0; i < rq.count; i++)
			found |= rq.pages[i] == page;
		*n += rq.count;
	} while (rq.count == LDM_POSTCOPY_REQ_MAX);
	return found;
}

/*
 * A read of a missing page waits, asks for it, and then sees the new
 * content, never the stale copy it had mapped; a page not missing reads
 * at once.
 */
TEST_F_TIMEOUT(postcopy, a_fault_waits_for_its_page, 60)
{
	unsigned int s0 = 3 * EVERY, asked, i;
	struct reader r = { .psz = self->psz };
	struct pollfd p = { .fd = self->rx.fd, .events = POLLPRI };
	struct ldm_domain_info info;
	uint64_t count = 0;
	pthread_t t;

	ASSERT_EQ(0, postcopy_start(self, self->rx.fd, &count));
	EXPECT_EQ(self->nmissing, count);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->dst, &info));
	EXPECT_EQ(self->nmissing, info.missing);

	r.page = self->b + s0 * self->psz;
	ASSERT_EQ(0, pthread_create(&t, NULL, read_page, &r));
	ASSERT_EQ(1, poll(&p, 1, 5000));
	EXPECT_TRUE(p.revents & POLLPRI);
	EXPECT_EQ(1, asked_for(self->rx.fd, s0, &asked));
	EXPECT_EQ(1, asked);
	/* Asked once: nothing more to report while it still waits. */
	EXPECT_EQ(0, poll(&p, 1, 100));
	usleep(200 * 1000);
	EXPECT_EQ(0, atomic_load(&r.done));
	/* Pages B has run at full speed meanwhile. */
	EXPECT_EQ(s0 + 1, *(unsigned int *)(self->b + (s0 + 1) * self->psz));

	/* The post-copy round: everything A wrote since round 0. */
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward,
				&self->rx));
	ASSERT_EQ(0, ring_drain(&self->rx));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, memcmp(r.copy, self->a + s0 * self->psz, self->psz));
	for (i = 0; i < DOM_PAGES; i++)
		if (memcmp(self->a + i * self->psz, self->b + i * self->psz,
			   self->psz))
			break;
	EXPECT_EQ(DOM_PAGES, i) TH_LOG("page %u differs", i);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->dst, &info));
	EXPECT_EQ(0, info.missing);
	EXPECT_LE(1, info.remote_faults);
	EXPECT_LE(200ull * 1000 * 1000, info.fault_wait_max_ns);
	TH_LOG("%llu remote faults, the longest %.1f ms",
	       (unsigned long long)info.remote_faults,
	       info.fault_wait_max_ns / 1e6);
}

struct writer {
	uint8_t *page;
	atomic_int done;
};

static void *write_page(void *arg)
{
	struct writer *w = arg;

	w->page[4000] = 0xee;
	atomic_store(&w->done, 1);
	return NULL;
}

/* A write to a missing page waits too, and lands on the arrived page. */
TEST_F_TIMEOUT(postcopy, a_write_waits_and_lands_on_the_page, 60)
{
	unsigned int s0 = 5 * EVERY;
	struct writer w = { .page = self->b + s0 * self->psz };
	uint8_t want[16384];
	pthread_t t;

	ASSERT_EQ(0, postcopy_start(self, self->rx.fd, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, write_page, &w));
	usleep(300 * 1000);
	EXPECT_EQ(0, atomic_load(&w.done));
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward,
				&self->rx));
	ASSERT_EQ(0, ring_drain(&self->rx));
	ASSERT_EQ(0, pthread_join(t, NULL));
	memcpy(want, self->a + s0 * self->psz, self->psz);
	want[4000] = 0xee;
	EXPECT_EQ(0, memcmp(want, self->b + s0 * self->psz, self->psz));
}

/* A process waiting for a page that never comes can be killed. */
TEST_F_TIMEOUT(postcopy, a_waiter_can_be_killed, 60)
{
	unsigned int s0 = 7 * EVERY;
	int status = 0;
	pid_t pid;

	ASSERT_EQ(0, postcopy_start(self, self->rx.fd, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		volatile uint8_t v = self->b[s0 * self->psz];

		(void)v;
		_exit(0);
	}
	usleep(300 * 1000);
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	kill(pid, SIGKILL);
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* Start a post-copy round on A; its number in *@round. */
static int start_postcopy_round(FIXTURE_DATA(postcopy) *self, uint32_t *round)
{
	struct ldm_msg m;

	*round = ~0u;
	ldm_msg_init(&m, self->nl.family, 0, LDM_CMD_MIGRATE_ROUND,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, self->src);
	ldm_msg_put_u32(&m, LDM_A_MIG_ROUND_FLAGS, LDM_ROUND_F_POSTCOPY);
	return ldm_nl_request(&self->nl, &m, round_cb, round);
}

struct counted {
	struct ring *rx;
	struct reader *r;
	unsigned int batches, at;	/* forwarded; when @r was done */
};

/* Forward a batch, let B apply it, and note when the reader got its page. */
static int forward_counted(void *batch, size_t len, void *arg)
{
	struct counted *c = arg;
	int err = ring_put(c->rx, batch, len);

	if (!err)
		err = ring_drain(c->rx);
	c->batches++;
	usleep(1000);
	if (!c->at && atomic_load(&c->r->done))
		c->at = c->batches;
	return err;
}

/*
 * The target's fault asks for the last page of the domain, which the
 * round would send last: LDM_IOC_URGENT sends it ahead, within the
 * batches already in the ring and a few more.
 */
TEST_F_TIMEOUT(postcopy, asked_pages_go_first, 120)
{
	struct ldm_postcopy_requests rq = { 0 };
	struct reader r = { .psz = self->psz };
	struct counted c = { .rx = &self->rx, .r = &r };
	unsigned int last = DOM_PAGES - 1, i, asked;
	uint32_t round, x = 1;
	pthread_t t;
	size_t k;

	/* Everything rewritten, incompressible: many batches. */
	memset(self->missing, 0xff, sizeof(self->missing));
	for (i = 0; i < DOM_PAGES; i++)
		for (k = 0; k < self->psz; k += 4) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			memcpy(self->a + i * self->psz + k, &x, 4);
		}
	ASSERT_EQ(0, postcopy_start(self, self->rx.fd, NULL));
	r.page = self->b + last * self->psz;
	ASSERT_EQ(0, pthread_create(&t, NULL, read_page, &r));

	/* Not before a post-copy round runs; at most 62 at once. */
	rq.count = 1;
	rq.pages[0] = last;
	EXPECT_EQ(-1, ioctl(self->tx.fd, LDM_IOC_URGENT, &rq));
	EXPECT_EQ(EINVAL, errno);

	ASSERT_EQ(0, start_postcopy_round(self, &round));
	EXPECT_EQ(1, round);
	/* The fault's request, from B to A; the ring on A is full by now. */
	usleep(300 * 1000);
	EXPECT_EQ(1, asked_for(self->rx.fd, last, &asked));
	rq.count = LDM_POSTCOPY_REQ_MAX + 1;
	EXPECT_EQ(-1, ioctl(self->tx.fd, LDM_IOC_URGENT, &rq));
	EXPECT_EQ(EINVAL, errno);
	rq.count = 2;
	rq.pages[1] = DOM_PAGES + 5;	/* outside the domain: ignored */
	ASSERT_EQ(0, ioctl(self->tx.fd, LDM_IOC_URGENT, &rq));
	EXPECT_EQ(1, rq.count);

	ASSERT_EQ(0, pump_codec_from(&self->tx, round, forward_counted, &c));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, memcmp(r.copy, self->a + last * self->psz, self->psz));
	/* The ring held 16; the page came right behind them, not last. */
	EXPECT_NE(0, c.at);
	EXPECT_GT(c.batches / 2, c.at);
	TH_LOG("the asked-for page came with batch %u of %u", c.at, c.batches);
	for (i = 0; i < DOM_PAGES; i++)
		if (memcmp(self->a + i * self->psz, self->b + i * self->psz,
			   self->psz))
			break;
	EXPECT_EQ(DOM_PAGES, i) TH_LOG("page %u differs", i);
}

/* Who may start post-copy and take requests, and with what. */
TEST_F(postcopy, bad_requests)
{
	struct ldm_postcopy_requests rq = { .flags = 1 };
	struct ldm_page_set ps = {
		.bitmap = (uintptr_t)self->missing,
		.bitmap_bytes = sizeof(self->missing),
		.round = 1,
	};

	/* Requests before post-copy: none to take. */
	rq.flags = 0;
	EXPECT_EQ(-1, ioctl(self->rx.fd, LDM_IOC_POSTCOPY_REQUESTS, &rq));
	EXPECT_EQ(ENODEV, errno);
	ps.flags = 1;
	EXPECT_EQ(-1, ioctl(self->rx.fd, LDM_IOC_POSTCOPY, &ps));
	EXPECT_EQ(EINVAL, errno);
	ps.flags = 0;
	ps.bitmap_bytes = sizeof(self->missing) - 8;
	EXPECT_EQ(-1, ioctl(self->rx.fd, LDM_IOC_POSTCOPY, &ps));
	EXPECT_EQ(EINVAL, errno);
	/* Not on the sending side, not through another file. */
	EXPECT_EQ(-ENODEV, postcopy_start(self, self->tx.fd, NULL));
	EXPECT_EQ(-EPERM, postcopy_start(self, self->dst_fd, NULL));
	/* Once. */
	EXPECT_EQ(0, postcopy_start(self, self->rx.fd, NULL));
	EXPECT_EQ(-EBUSY, postcopy_start(self, self->rx.fd, NULL));
	rq.flags = 1;
	EXPECT_EQ(-1, ioctl(self->rx.fd, LDM_IOC_POSTCOPY_REQUESTS, &rq));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing asked yet. */
	memset(&rq, 0, sizeof(rq));
	EXPECT_EQ(0, ioctl(self->rx.fd, LDM_IOC_POSTCOPY_REQUESTS, &rq));
	EXPECT_EQ(0, rq.count);
	/* The pages come; nothing is left waiting in the teardown. */
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward,
				&self->rx));
	ASSERT_EQ(0, ring_drain(&self->rx));
}

TEST_HARNESS_MAIN
