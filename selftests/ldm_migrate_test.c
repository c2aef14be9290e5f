// SPDX-License-Identifier: GPL-2.0
/*
 * The migration engine, in one VM: domain A is sent through its batch
 * ring, a loop in this test stands in for the network and copies every
 * batch into domain B's ring, and B must end up equal to A byte for byte.
 * Also: corrupted, replayed and reordered batches, bad requests, and a
 * reader that dies mid-migration.
 */

#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include <time.h>

#include "kselftest_harness.h"
#include "ldm_test.h"
#include "ldm_mig.h"

#define DOM_PAGES	2048	/* 8 MiB: a full round in well under a second */

/* Deterministic guest content: zero, text, random, pattern pages. */
static void fill_page(uint8_t *p, size_t psz, unsigned int i, unsigned int gen)
{
	static const char words[] = "the quick brown fox jumps over the lazy "
				    "domain while ldm migrates its memory ";
	uint32_t x = i * 2654435761u + gen * 40503u + 1;
	size_t k;

	switch ((i + gen) % 8) {
	case 0:
	case 1:
	case 2:
		memset(p, 0, psz);
		break;
	case 3:
	case 4:
		for (k = 0; k < psz; k++)
			p[k] = words[(k + i + gen) % (sizeof(words) - 1)];
		break;
	case 5:
		for (k = 0; k < psz; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			p[k] = (uint8_t)x;
		}
		break;
	default:
		for (k = 0; k < psz; k++)
			p[k] = (uint8_t)((k / 16 + i + gen) & 0xff);
		break;
	}
}

/*
 * Guest pages may be larger than the host's: a SPARC guest's 8 KiB page is
 * two host pages. Fill host page @i as its part of a guest page of @unit
 * bytes (0: the host page size).
 */
static void fill_unit(uint8_t *p, size_t psz, size_t unit, unsigned int i,
		      unsigned int gen)
{
	uint8_t buf[16384];
	size_t per = unit > psz ? unit / psz : 1;

	if (per == 1 || unit > sizeof(buf)) {
		fill_page(p, psz, i, gen);
		return;
	}
	fill_page(buf, unit, i / per, gen);
	memcpy(p, buf + (i % per) * psz, psz);
}

static int page_is_zero(const uint8_t *p, size_t psz)
{
	return !p[0] && !memcmp(p, p + 1, psz - 1);
}

FIXTURE(migrate)
{
	struct ldm_nl nl;
	char src[LDM_NAME_MAX], dst[LDM_NAME_MAX];
	int src_fd;
	uint8_t *a;		/* A's RAM */
	size_t psz, bytes;
	struct ring tx, rx;
};

FIXTURE_VARIANT(migrate)
{
	uint32_t workers;	/* 0: all online CPUs */
	uint32_t flags;
	size_t unit;		/* guest page size of the data; 0: host's */
};

FIXTURE_VARIANT_ADD(migrate, one_worker) { .workers = 1 };
FIXTURE_VARIANT_ADD(migrate, two_workers) { .workers = 2 };
FIXTURE_VARIANT_ADD(migrate, all_cpus) { .workers = 0 };
FIXTURE_VARIANT_ADD(migrate, all_cpus_8k_guest_pages) { .workers = 0,
							.unit = 8192 };
FIXTURE_VARIANT_ADD(migrate, baseline) { .workers = 1,
					 .flags = LDM_MIG_F_BASELINE };

FIXTURE_SETUP(migrate)
{
	unsigned int i;

	ASSERT_EQ(0, ldm_nl_open_ldm(&self->nl));
	self->psz = page_size();
	self->bytes = DOM_PAGES * self->psz;
	ldm_test_name(self->src, sizeof(self->src), "msrc");
	ldm_test_name(self->dst, sizeof(self->dst), "mdst");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->src, self->bytes));
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->dst, self->bytes));
	self->src_fd = ldm_open(self->src, O_RDWR);
	ASSERT_LE(0, self->src_fd);
	self->a = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->src_fd, 0);
	ASSERT_NE(MAP_FAILED, self->a);
	/* Every fourth page is never touched: it must stay absent on B. */
	for (i = 0; i < DOM_PAGES; i++)
		if (i % 4 != 3)
			fill_unit(self->a + i * self->psz, self->psz,
				  variant->unit, i, 0);
}

FIXTURE_TEARDOWN(migrate)
{
	name_cmd(&self->nl, self->src, LDM_CMD_MIGRATE_STOP, NULL, NULL);
	name_cmd(&self->nl, self->dst, LDM_CMD_MIGRATE_STOP, NULL, NULL);
	ring_unmap(&self->tx);
	ring_unmap(&self->rx);
	munmap(self->a, self->bytes);
	close(self->src_fd);
	ldm_domain_del(&self->nl, self->src);
	ldm_domain_del(&self->nl, self->dst);
	ldm_nl_close(&self->nl);
}

static int start_both(struct __test_metadata *_metadata,
		      FIXTURE_DATA(migrate) *self,
		      const FIXTURE_VARIANT(migrate) *variant)
{
	EXPECT_EQ(0, session_start(&self->nl, self->src, LDM_CMD_MIGRATE_START,
				   variant->workers, variant->flags, &self->tx))
		TH_LOG("start: %s", self->nl.ext_msg);
	EXPECT_EQ(0, session_start(&self->nl, self->dst, LDM_CMD_RECEIVE_START,
				   variant->workers, 0, &self->rx))
		TH_LOG("receive: %s", self->nl.ext_msg);
	EXPECT_EQ(0, ring_map(&self->nl, self->src, &self->tx));
	EXPECT_EQ(0, ring_map(&self->nl, self->dst, &self->rx));
	return _metadata->passed ? 0 : -1;
}

/* Compare B with A through a fresh mapping of B. */
static int compare(FIXTURE_DATA(migrate) *self, size_t *first_diff)
{
	int fd = ldm_open(self->dst, O_RDWR);
	uint8_t *b;
	size_t i;
	int diff = 0;

	if (fd < 0)
		return -errno;
	b = mmap(NULL, self->bytes, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (b == MAP_FAILED)
		return -errno;
	for (i = 0; i < DOM_PAGES; i++) {
		if (memcmp(self->a + i * self->psz, b + i * self->psz,
			   self->psz)) {
			*first_diff = i;
			diff = 1;
			break;
		}
	}
	munmap(b, self->bytes);
	return diff;
}

TEST_F_TIMEOUT(migrate, round0_b_equals_a, 120)
{
	struct session_info si, ri;
	struct ldm_domain_info info;
	uint64_t zero = 0, sent;
	size_t diff = 0;
	unsigned int i;

	for (i = 0; i < DOM_PAGES; i++)
		/* Untouched pages are not read: that would allocate them. */
		zero += i % 4 != 3 && page_is_zero(self->a + i * self->psz,
						   self->psz);

	ASSERT_EQ(0, start_both(_metadata, self, variant));
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward,
				&self->rx));
	ASSERT_EQ(0, ring_drain(&self->rx));
	ASSERT_EQ(0, session_get(&self->nl, self->src, &si));
	ASSERT_EQ(0, session_get(&self->nl, self->dst, &ri));
	EXPECT_EQ(LDM_MIG_STATE_SENDING, si.state);
	EXPECT_EQ(LDM_MIG_STATE_RECEIVING, ri.state) TH_LOG("%s", ri.errmsg);
	sent = si.stat[LDM_A_STAT_PAGES_LZJB] + si.stat[LDM_A_STAT_PAGES_RAW] +
	       si.stat[LDM_A_STAT_PAGES_ZERO];
	/* Round 0 skips zero pages, except in the baseline mode. */
	if (variant->flags & LDM_MIG_F_BASELINE) {
		EXPECT_EQ(0, si.stat[LDM_A_STAT_PAGES_SKIPPED]);
		EXPECT_EQ(DOM_PAGES / 4 * 3, sent);
	} else {
		EXPECT_EQ(zero, si.stat[LDM_A_STAT_PAGES_SKIPPED]);
		EXPECT_EQ(DOM_PAGES / 4 * 3 - zero, sent);
	}
	EXPECT_LT(0, si.stat[LDM_A_STAT_PAGES_LZJB]);
	EXPECT_LT(0, si.stat[LDM_A_STAT_PAGES_RAW]);
	EXPECT_EQ(si.stat[LDM_A_STAT_BATCHES], ri.stat[LDM_A_STAT_BATCHES]);
	/* B allocated a page per page sent, none for the skipped ones. */
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->dst, &info));
	EXPECT_EQ(sent, info.resident);
	EXPECT_EQ(0, compare(self, &diff)) TH_LOG("first differing page %zu",
						 diff);
	TH_LOG("sent: %llu lzjb, %llu raw, %llu zero skipped, %llu batches, "
	       "%llu bytes for %llu",
	       (unsigned long long)si.stat[LDM_A_STAT_PAGES_LZJB],
	       (unsigned long long)si.stat[LDM_A_STAT_PAGES_RAW],
	       (unsigned long long)si.stat[LDM_A_STAT_PAGES_SKIPPED],
	       (unsigned long long)si.stat[LDM_A_STAT_BATCHES],
	       (unsigned long long)si.stat[LDM_A_STAT_BYTES_OUT],
	       (unsigned long long)si.stat[LDM_A_STAT_BYTES_IN]);
}

/*
 * START with the smallest batches and ring the module accepts, owned by a
 * new open file of the node in @r->fd.
 */
static int start_small(struct ldm_nl *nl, const char *name, int cmd,
		       uint32_t workers, uint32_t flags, struct ring *r)
{
	int err = ring_open(name, r);

	return err ? err : ldm_session_start_small(nl, name, cmd, r->fd,
						   workers, flags, test_key,
						   0x5a17);
}

struct held {
	struct ring *rx;
	uint8_t copy[LDM_BATCH_MIN + 2 * 4096 + LDM_TAG_BYTES];
	unsigned int batches, changed;
};

/*
 * A slow reader: keep each batch a while before releasing its slot, and
 * check that nothing wrote into the slot meanwhile.
 */
static int hold_and_check(void *batch, size_t len, void *arg)
{
	struct held *h = arg;

	if (len > sizeof(h->copy))
		return -EMSGSIZE;
	memcpy(h->copy, batch, len);
	usleep(300);
	h->changed += !!memcmp(h->copy, batch, len);
	h->batches++;
	return ring_put(h->rx, h->copy, len);
}

/*
 * A full ring holds every worker back, and each released slot wakes them
 * all: exactly one may take it. Under a reader slower than the workers,
 * no slot is written before the reader releases it, and B equals A.
 */
TEST_F_TIMEOUT(migrate, full_ring_slots_stay_put_until_released, 120)
{
	struct held *h = calloc(1, sizeof(*h));
	unsigned int gen, i;
	size_t diff = 0;

	ASSERT_NE(NULL, h);
	h->rx = &self->rx;
	ASSERT_EQ(0, start_small(&self->nl, self->src, LDM_CMD_MIGRATE_START,
				 variant->workers, variant->flags, &self->tx))
		TH_LOG("start: %s", self->nl.ext_msg);
	ASSERT_EQ(0, start_small(&self->nl, self->dst, LDM_CMD_RECEIVE_START,
				 variant->workers, 0, &self->rx))
		TH_LOG("receive: %s", self->nl.ext_msg);
	ASSERT_EQ(0, ring_map(&self->nl, self->src, &self->tx));
	ASSERT_EQ(0, ring_map(&self->nl, self->dst, &self->rx));
	/* Rounds rewriting every page: hundreds of full-ring waits. */
	for (gen = 1; gen <= 6; gen++) {
		ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx,
					hold_and_check, h));
		for (i = 0; gen < 6 && i < DOM_PAGES; i++)
			fill_unit(self->a + i * self->psz, self->psz,
				  variant->unit, i, gen);
	}
	ASSERT_EQ(0, ring_drain(&self->rx));
	EXPECT_LT(300, h->batches);
	EXPECT_EQ(0, h->changed) TH_LOG("%u of %u batches changed while held",
					h->changed, h->batches);
	EXPECT_EQ(0, compare(self, &diff)) TH_LOG("first differing page %zu",
						 diff);
	free(h);
}

/* Rewrite pages between rounds; B follows A to its final content. */
TEST_F_TIMEOUT(migrate, rounds_follow_writes, 120)
{
	unsigned int gen, i;
	size_t diff = 0;

	ASSERT_EQ(0, start_both(_metadata, self, variant));
	for (gen = 1; gen <= 3; gen++) {
		ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx,
					forward, &self->rx));
		/* Rewrite a changing subset, including pages now zero. */
		for (i = gen; i < DOM_PAGES; i += 5)
			fill_unit(self->a + i * self->psz, self->psz,
				  variant->unit, i, gen);
	}
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward,
				&self->rx));
	ASSERT_EQ(0, ring_drain(&self->rx));
	EXPECT_EQ(0, compare(self, &diff)) TH_LOG("first differing page %zu",
						 diff);
}

/*
 * The batch keys of key epochs, given the way ldmctl gives them: the
 * sender gets epoch N + 1's key as its consumer takes epoch N's first
 * batch (before releasing that slot), the receiver gets epoch N's before
 * a batch of N goes into its ring. Either side may be left out.
 */
struct epochs {
	struct ring *tx, *rx;
	uint32_t shift;
	bool rekey_tx, rekey_rx;
	uint64_t tx_next, rx_next;	/* the epoch whose key each lacks */
	uint64_t batches;
};

static int forward_rekeyed(void *batch, size_t len, void *arg)
{
	const struct ldm_batch_hdr *h = batch;
	struct epochs *e = arg;
	uint64_t epoch = h->seq >> e->shift;
	int err;

	while (e->rekey_tx && e->tx_next <= epoch + 1) {
		err = session_rekey(e->tx->fd, e->tx_next++);
		if (err)
			return err;
	}
	while (e->rekey_rx && e->rx_next <= epoch) {
		err = session_rekey(e->rx->fd, e->rx_next++);
		if (err)
			return err;
	}
	e->batches++;
	return ring_put(e->rx, batch, len);
}

/* Both sessions, with key epochs of 1 << @shift batches, and their rings. */
static int start_epochs(FIXTURE_DATA(migrate) *self,
			const FIXTURE_VARIANT(migrate) *variant, uint32_t shift)
{
	return session_start_epochs(&self->nl, self->src,
				    LDM_CMD_MIGRATE_START, variant->workers,
				    variant->flags, shift, &self->tx) ?:
	       session_start_epochs(&self->nl, self->dst,
				    LDM_CMD_RECEIVE_START, variant->workers,
				    0, shift, &self->rx) ?:
	       ring_map(&self->nl, self->src, &self->tx) ?:
	       ring_map(&self->nl, self->dst, &self->rx);
}

/* Rewrite every page and send it all, until @want batches went by. */
static int pump_epochs(FIXTURE_DATA(migrate) *self,
		       const FIXTURE_VARIANT(migrate) *variant,
		       struct epochs *e, uint64_t want)
{
	unsigned int gen, i;
	int err = 0;

	for (gen = 1; !err && e->batches < want && gen < 200; gen++) {
		err = pump_round(&self->nl, self->src, &self->tx,
				 forward_rekeyed, e);
		for (i = 0; i < DOM_PAGES; i++)
			if (i % 4 != 3)
				fill_unit(self->a + i * self->psz, self->psz,
					  variant->unit, i, gen);
	}
	if (!err)
		err = pump_round(&self->nl, self->src, &self->tx,
				 forward_rekeyed, e);
	return err ?: ring_drain(&self->rx);
}

/*
 * Key epochs of 256 batches: both modules switch to the next key at the
 * same batch, over four epochs and more, and B ends equal to A.
 */
TEST_F_TIMEOUT(migrate, keys_renewed_per_epoch, 300)
{
	struct epochs e = { &self->tx, &self->rx, LDM_EPOCH_SHIFT_MIN,
			    true, true, 1, 1, 0 };
	struct session_info si, ri;
	size_t diff = 0;

	ASSERT_EQ(0, start_epochs(self, variant, e.shift))
		TH_LOG("%s", self->nl.ext_msg);
	/* Always one ahead on the sender, as ldmctl is. */
	ASSERT_EQ(0, session_rekey(self->tx.fd, e.tx_next++));

	ASSERT_EQ(0, pump_epochs(self, variant, &e, (4ull << e.shift) + 100));
	ASSERT_EQ(0, session_get(&self->nl, self->src, &si));
	ASSERT_EQ(0, session_get(&self->nl, self->dst, &ri));
	EXPECT_EQ(LDM_MIG_STATE_SENDING, si.state) TH_LOG("%s", si.errmsg);
	EXPECT_EQ(LDM_MIG_STATE_RECEIVING, ri.state) TH_LOG("%s", ri.errmsg);
	EXPECT_LE(4, si.key_epoch);
	EXPECT_EQ(si.key_epoch, ri.key_epoch);
	EXPECT_EQ((e.batches - 1) >> e.shift, ri.key_epoch);
	EXPECT_EQ(0, compare(self, &diff)) TH_LOG("first differing page %zu",
						 diff);
	TH_LOG("%llu batches under %llu keys",
	       (unsigned long long)e.batches,
	       (unsigned long long)ri.key_epoch + 1);
}

/*
 * A sender whose next key never comes fails its first batch of epoch 1,
 * saying so; it never seals it under epoch 0's key.
 */
TEST_F_TIMEOUT(migrate, sender_without_the_next_key_fails, 300)
{
	struct epochs e = { &self->tx, &self->rx, LDM_EPOCH_SHIFT_MIN,
			    false, true, 1, 1, 0 };
	struct session_info si, ri;

	ASSERT_EQ(0, start_epochs(self, variant, e.shift))
		TH_LOG("%s", self->nl.ext_msg);
	EXPECT_NE(0, pump_epochs(self, variant, &e, 2ull << e.shift));
	ASSERT_EQ(0, session_get(&self->nl, self->src, &si));
	EXPECT_EQ(LDM_MIG_STATE_FAILED, si.state);
	EXPECT_EQ(ENOKEY, si.error);
	EXPECT_NE(NULL, strstr(si.errmsg, "LDM_IOC_SESSION_REKEY"))
		TH_LOG("%s", si.errmsg);
	EXPECT_EQ(0, si.key_epoch);
	/* What came before is intact and applied; nothing of epoch 1. */
	ASSERT_EQ(0, session_get(&self->nl, self->dst, &ri));
	EXPECT_EQ(0, ri.key_epoch);
}

/* A receiver given no key for epoch 1 refuses its first batch. */
TEST_F_TIMEOUT(migrate, receiver_without_the_key_refuses, 300)
{
	struct epochs e = { &self->tx, &self->rx, LDM_EPOCH_SHIFT_MIN,
			    true, false, 1, 1, 0 };
	struct session_info ri;

	ASSERT_EQ(0, start_epochs(self, variant, e.shift))
		TH_LOG("%s", self->nl.ext_msg);
	ASSERT_EQ(0, session_rekey(self->tx.fd, e.tx_next++));
	EXPECT_NE(0, pump_epochs(self, variant, &e, 2ull << e.shift));
	ASSERT_EQ(0, session_get(&self->nl, self->dst, &ri));
	EXPECT_EQ(LDM_MIG_STATE_FAILED, ri.state);
	EXPECT_EQ(ENOKEY, ri.error);
	EXPECT_STREQ("no key for the batch's epoch (not given yet, or retired)",
		     ri.errmsg);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Hundreds of tiny rounds on the smallest ring (two slots a worker), so
 * that workers wait for room all the time and the consumer's kick is
 * needed at every turn: a kick lost between the consumer's store of cons
 * and its load of the wake-up flag would leave a round stuck until the
 * consumer's timeout. Each round must end within 5 s.
 */
TEST_F_TIMEOUT(migrate, tiny_rounds_never_lose_a_kick, 300)
{
	double t, slowest = 0;
	unsigned int r, i;
	size_t diff = 0;

	ASSERT_EQ(0, start_small(&self->nl, self->src, LDM_CMD_MIGRATE_START,
				 variant->workers, variant->flags, &self->tx));
	ASSERT_EQ(0, start_small(&self->nl, self->dst, LDM_CMD_RECEIVE_START,
				 variant->workers, 0, &self->rx));
	ASSERT_EQ(0, ring_map(&self->nl, self->src, &self->tx));
	ASSERT_EQ(0, ring_map(&self->nl, self->dst, &self->rx));
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward,
				&self->rx));
	for (r = 1; r <= 250; r++) {
		for (i = r % 7; i < DOM_PAGES; i += 97)
			fill_unit(self->a + i * self->psz, self->psz,
				  variant->unit, i, r);
		t = now_s();
		ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx,
					forward, &self->rx));
		t = now_s() - t;
		if (t > slowest)
			slowest = t;
		ASSERT_GT(5.0, t) TH_LOG("round %u took %.1f s", r, t);
	}
	TH_LOG("250 rounds on a %u-slot ring, slowest %.0f ms",
	       self->tx.hdr->nslots, slowest * 1e3);
	ASSERT_EQ(0, ring_drain(&self->rx));
	EXPECT_EQ(0, compare(self, &diff)) TH_LOG("first differing page %zu",
						 diff);
}

/* Each round may use another codec; B follows A whatever they are. */
TEST_F_TIMEOUT(migrate, codecs_per_round, 120)
{
	static const uint32_t codecs[] = { LDM_CODEC_LZ4, LDM_CODEC_NONE,
					   LDM_CODEC_LZJB };
	uint64_t lz4 = 0, lzjb = 0;
	struct session_info si;
	unsigned int i, r;
	size_t diff = 0;

	ASSERT_EQ(0, start_both(_metadata, self, variant));
	for (r = 0; r < 3; r++) {
		ASSERT_EQ(0, pump_codec(&self->nl, self->src, &self->tx,
					codecs[r], forward, &self->rx));
		ASSERT_EQ(0, session_get(&self->nl, self->src, &si));
		if (r == 0) {
			/* LZ4 only: every compressible page went LZ4. */
			lz4 = si.stat[LDM_A_STAT_PAGES_LZ4];
			EXPECT_LT(0, lz4);
			EXPECT_EQ(0, si.stat[LDM_A_STAT_PAGES_LZJB]);
		} else if (r == 1) {
			/* None: no page compressed, all raw. */
			EXPECT_EQ(lz4, si.stat[LDM_A_STAT_PAGES_LZ4]);
			EXPECT_EQ(0, si.stat[LDM_A_STAT_PAGES_LZJB]);
		} else {
			lzjb = si.stat[LDM_A_STAT_PAGES_LZJB];
			EXPECT_LT(0, lzjb);
		}
		for (i = r; i < DOM_PAGES; i += 3)
			fill_unit(self->a + i * self->psz, self->psz,
				  variant->unit, i, 20 + r);
	}
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward,
				&self->rx));
	ASSERT_EQ(0, ring_drain(&self->rx));
	EXPECT_EQ(0, compare(self, &diff)) TH_LOG("first differing page %zu",
						 diff);
	EXPECT_EQ(-ERANGE, pump_codec(&self->nl, self->src, &self->tx, 9,
				      forward, &self->rx));
}

static int set_codec(struct ldm_nl *nl, const char *name, uint32_t codec)
{
	struct ldm_msg m;

	ldm_msg_init(&m, nl->family, 0, LDM_CMD_MIGRATE_SET, LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, name);
	if (codec)
		ldm_msg_put_u32(&m, LDM_A_MIG_CODEC, codec);
	return ldm_nl_request(nl, &m, NULL, NULL);
}

/*
 * MIGRATE_SET switches the codec while a round runs (the adaptive
 * codec of ldmctl measures each this way): the workers, held by the
 * full ring, go on with LZ4 where they started with none (which fills
 * the ring soonest); one round then holds both kinds and B still
 * follows A.
 */
TEST_F_TIMEOUT(migrate, codec_switched_mid_round, 120)
{
	struct session_info si;
	struct ldm_msg m;
	uint32_t round;
	size_t diff = 0;
	int i;

	ASSERT_EQ(0, start_both(_metadata, self, variant));
	/* Nothing to switch without a sending session, or to junk. */
	EXPECT_EQ(-ENOENT, set_codec(&self->nl, self->dst, LDM_CODEC_LZ4));
	EXPECT_STREQ("domain has no sending session", self->nl.ext_msg);
	EXPECT_EQ(-EINVAL, set_codec(&self->nl, self->src, 0));
	EXPECT_EQ(-ERANGE, set_codec(&self->nl, self->src, 9));

	ldm_msg_init(&m, self->nl.family, 0, LDM_CMD_MIGRATE_ROUND,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, self->src);
	ldm_msg_put_u32(&m, LDM_A_MIG_CODEC, LDM_CODEC_NONE);
	ASSERT_EQ(0, ldm_nl_request(&self->nl, &m, round_cb, &round));
	/* Wait for the 16 slots to fill: the round is far from done. */
	for (i = 0; i < 10000; i++) {
		if (__atomic_load_n(&self->tx.hdr->prod, __ATOMIC_ACQUIRE) -
		    self->tx.hdr->cons >= 16)
			break;
		usleep(1000);
	}
	ASSERT_LT(i, 10000) TH_LOG("the ring never filled");
	ASSERT_EQ(0, session_get(&self->nl, self->src, &si));
	EXPECT_LT(0, si.stat[LDM_A_STAT_PAGES_RAW]);
	EXPECT_EQ(0, si.stat[LDM_A_STAT_PAGES_LZJB]);
	EXPECT_EQ(0, si.stat[LDM_A_STAT_PAGES_LZ4]);
	ASSERT_EQ(0, set_codec(&self->nl, self->src, LDM_CODEC_LZ4))
		TH_LOG("%s", self->nl.ext_msg);

	/* Drain the rest of this round, the way pump_codec() does. */
	ASSERT_EQ(0, pump_codec_from(&self->tx, round, forward, &self->rx));
	ASSERT_EQ(0, session_get(&self->nl, self->src, &si));
	EXPECT_LT(0, si.stat[LDM_A_STAT_PAGES_LZ4]) TH_LOG("no LZ4 after the switch");
	ASSERT_EQ(0, ring_drain(&self->rx));
	EXPECT_EQ(0, compare(self, &diff)) TH_LOG("first differing page %zu",
						 diff);
}

/* The second migration of two_migrations_at_once, in its own thread. */
struct pair {
	struct ldm_nl nl;
	const char *src;
	struct ring tx, rx;
	uint8_t *mem;
	size_t psz, unit;
	int err;
};

static void *pair_run(void *arg)
{
	struct pair *p = arg;
	unsigned int i, r;

	for (r = 0; r < 4 && !p->err; r++) {
		p->err = pump_round(&p->nl, p->src, &p->tx, forward, &p->rx);
		for (i = r; r < 3 && i < DOM_PAGES; i += 9)
			fill_unit(p->mem + i * p->psz, p->psz, p->unit, i,
				  50 + r);
	}
	if (!p->err)
		p->err = ring_drain(&p->rx);
	return NULL;
}

/*
 * Two migrations at once: A -> B (the fixture's) from this thread, C -> D
 * from another, each with its own netlink socket; their rounds run at the
 * same time on the same workqueue, and each target ends equal to its own
 * source.
 */
TEST_F_TIMEOUT(migrate, two_migrations_at_once, 120)
{
	char c_name[LDM_NAME_MAX], d_name[LDM_NAME_MAX];
	struct pair p = { .psz = self->psz, .unit = variant->unit };
	unsigned int i, r;
	size_t diff = 0;
	pthread_t th;
	int cfd, dfd;
	uint8_t *d;

	ldm_test_name(c_name, sizeof(c_name), "msrc2");
	ldm_test_name(d_name, sizeof(d_name), "mdst2");
	p.src = c_name;
	ASSERT_EQ(0, ldm_nl_open_ldm(&p.nl));
	ASSERT_EQ(0, ldm_domain_new(&p.nl, c_name, self->bytes));
	ASSERT_EQ(0, ldm_domain_new(&p.nl, d_name, self->bytes));
	cfd = ldm_open(c_name, O_RDWR);
	ASSERT_LE(0, cfd);
	p.mem = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		     cfd, 0);
	ASSERT_NE(MAP_FAILED, p.mem);
	for (i = 0; i < DOM_PAGES; i += 2)
		fill_unit(p.mem + i * self->psz, self->psz, variant->unit, i,
			  33);

	ASSERT_EQ(0, start_both(_metadata, self, variant));
	ASSERT_EQ(0, session_start(&p.nl, c_name, LDM_CMD_MIGRATE_START,
				   variant->workers, variant->flags, &p.tx));
	ASSERT_EQ(0, session_start(&p.nl, d_name, LDM_CMD_RECEIVE_START,
				   variant->workers, 0, &p.rx));
	ASSERT_EQ(0, ring_map(&p.nl, c_name, &p.tx));
	ASSERT_EQ(0, ring_map(&p.nl, d_name, &p.rx));
	ASSERT_EQ(0, pthread_create(&th, NULL, pair_run, &p));
	for (r = 0; r < 4; r++) {
		EXPECT_EQ(0, pump_round(&self->nl, self->src, &self->tx,
					forward, &self->rx));
		for (i = r; r < 3 && i < DOM_PAGES; i += 9)
			fill_unit(self->a + i * self->psz, self->psz,
				  variant->unit, i, 40 + r);
	}
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(0, p.err);
	ASSERT_EQ(0, ring_drain(&self->rx));
	EXPECT_EQ(0, compare(self, &diff)) TH_LOG("A/B: page %zu", diff);
	dfd = ldm_open(d_name, O_RDONLY);
	ASSERT_LE(0, dfd);
	d = mmap(NULL, self->bytes, PROT_READ, MAP_SHARED, dfd, 0);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(0, memcmp(p.mem, d, self->bytes));

	munmap(d, self->bytes);
	close(dfd);
	name_cmd(&p.nl, c_name, LDM_CMD_MIGRATE_STOP, NULL, NULL);
	name_cmd(&p.nl, d_name, LDM_CMD_MIGRATE_STOP, NULL, NULL);
	ring_unmap(&p.tx);
	ring_unmap(&p.rx);
	munmap(p.mem, self->bytes);
	close(cfd);
	EXPECT_EQ(0, ldm_domain_del(&p.nl, c_name));
	EXPECT_EQ(0, ldm_domain_del(&p.nl, d_name));
	ldm_nl_close(&p.nl);
}

/* Forward only every other batch (and the round end): a lossy link. */
static int forward_half(void *batch, size_t len, void *arg)
{
	static unsigned int n;
	const struct ldm_batch_hdr *h = batch;

	if (!(h->flags & LDM_BATCH_F_ROUND_END) && n++ % 2)
		return 0;
	return ring_put(arg, batch, len);
}

static int pump_flags(struct ldm_nl *nl, const char *src, struct ring *tx,
		      uint32_t flags, batch_fn fn, void *arg)
{
	struct ldm_msg m;
	uint32_t round;
	struct ldm_batch_hdr *h;
	uint64_t cons;
	int err, done = 0;

	ldm_msg_init(&m, nl->family, 0, LDM_CMD_MIGRATE_ROUND,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, src);
	ldm_msg_put_u32(&m, LDM_A_MIG_ROUND_FLAGS, flags);
	err = ldm_nl_request(nl, &m, round_cb, &round);
	while (!err && !done) {
		cons = tx->hdr->cons;
		if (cons == __atomic_load_n(&tx->hdr->prod, __ATOMIC_ACQUIRE)) {
			err = ring_wait(tx, POLLIN);
			continue;
		}
		h = ring_slot(tx, cons);
		err = fn(h, batch_len(h), arg);
		done = (h->flags & LDM_BATCH_F_ROUND_END) && h->round == round;
		ring_release(tx, cons + 1);
	}
	return err;
}

/*
 * A round whose batches were half lost (a dropped connection) is repaired
 * by one LDM_ROUND_F_RESEND round, not by starting over: it sends the lost
 * round's pages again, plus what was dirtied since, and B equals A.
 */
TEST_F_TIMEOUT(migrate, resend_repairs_a_lost_round, 120)
{
	struct session_info si;
	uint64_t full;
	unsigned int i;
	size_t diff = 0;

	ASSERT_EQ(0, start_both(_metadata, self, variant));
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward,
				&self->rx));
	ASSERT_EQ(0, session_get(&self->nl, self->src, &si));
	full = si.stat[LDM_A_STAT_BATCHES];
	/* Round 1 after rewriting pages; half of its batches are lost. */
	for (i = 0; i < DOM_PAGES; i += 2)
		fill_unit(self->a + i * self->psz, self->psz, variant->unit,
			  i, 60);
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward_half,
				&self->rx));
	ASSERT_EQ(0, ring_drain(&self->rx));
	EXPECT_EQ(1, compare(self, &diff));	/* B misses pages */
	/* A few more writes, then the repair round. */
	for (i = 1; i < DOM_PAGES; i += 97)
		fill_unit(self->a + i * self->psz, self->psz, variant->unit,
			  i, 61);
	ASSERT_EQ(0, pump_flags(&self->nl, self->src, &self->tx,
				LDM_ROUND_F_RESEND, forward, &self->rx));
	ASSERT_EQ(0, ring_drain(&self->rx));
	EXPECT_EQ(0, compare(self, &diff)) TH_LOG("first differing page %zu",
						 diff);
	ASSERT_EQ(0, session_get(&self->nl, self->src, &si));
	TH_LOG("round 0: %llu batches; all three rounds: %llu",
	       (unsigned long long)full,
	       (unsigned long long)si.stat[LDM_A_STAT_BATCHES]);
	/* An unknown round flag fails the policy's mask. */
	EXPECT_EQ(-EINVAL, pump_flags(&self->nl, self->src, &self->tx, 0x10,
				      forward, &self->rx));
}

static int page_set(int fd, unsigned long cmd, uint64_t *bits, size_t bytes,
		    uint32_t round, uint64_t *count)
{
	struct ldm_page_set ps = {
		.bitmap = (uintptr_t)bits, .bitmap_bytes = bytes, .round = round,
	};

	if (ioctl(fd, cmd, &ps))
		return -errno;
	*count = ps.count;
	return 0;
}

static uint64_t stat_pages(const struct session_info *si)
{
	return si->stat[LDM_A_STAT_PAGES_ZERO] +
	       si->stat[LDM_A_STAT_PAGES_SKIPPED] +
	       si->stat[LDM_A_STAT_PAGES_LZJB] +
	       si->stat[LDM_A_STAT_PAGES_LZ4] + si->stat[LDM_A_STAT_PAGES_RAW];
}

/*
 * Resuming after a dropped connection: the target reports what it has
 * (LDM_IOC_APPLIED), the source leaves that out (LDM_IOC_RESEND_SKIP),
 * and the resend round carries only the rest plus what was written
 * since: far fewer pages than round 0, and B equals A.
 */
TEST_F_TIMEOUT(migrate, resume_sends_only_what_the_target_lacks, 120)
{
	uint64_t bits[DOM_PAGES / 64], applied = 0, skipped = 0, round0, resent;
	struct session_info si;
	unsigned int i;
	size_t diff = 0;

	ASSERT_EQ(0, start_both(_metadata, self, variant));
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward_half,
				&self->rx));
	ASSERT_EQ(0, ring_drain(&self->rx));
	EXPECT_EQ(1, compare(self, &diff));	/* B misses pages */
	ASSERT_EQ(0, session_get(&self->nl, self->src, &si));
	round0 = stat_pages(&si);

	/* Each side only answers for its own kind of session. */
	EXPECT_EQ(-ENODEV, page_set(self->tx.fd, LDM_IOC_APPLIED, bits,
				    sizeof(bits), 0, &applied));
	EXPECT_EQ(-ENODEV, page_set(self->rx.fd, LDM_IOC_RESEND_SKIP, bits,
				    sizeof(bits), 0, &skipped));
	EXPECT_EQ(-EINVAL, page_set(self->rx.fd, LDM_IOC_APPLIED, bits,
				    sizeof(bits) - 8, 0, &applied));
	EXPECT_EQ(-EFAULT, page_set(self->rx.fd, LDM_IOC_APPLIED, NULL,
				    sizeof(bits), 0, &applied));

	ASSERT_EQ(0, page_set(self->rx.fd, LDM_IOC_APPLIED, bits, sizeof(bits),
			      0, &applied));
	EXPECT_LT(0, applied);
	EXPECT_GT(round0, applied);
	ASSERT_EQ(0, page_set(self->tx.fd, LDM_IOC_RESEND_SKIP, bits,
			      sizeof(bits), 0, &skipped));
	EXPECT_EQ(applied, skipped);

	/* Writes after the drop are sent whatever the target had. */
	for (i = 1; i < DOM_PAGES; i += 97)
		fill_unit(self->a + i * self->psz, self->psz, variant->unit,
			  i, 61);
	ASSERT_EQ(0, pump_flags(&self->nl, self->src, &self->tx,
				LDM_ROUND_F_RESEND, forward, &self->rx));
	ASSERT_EQ(0, ring_drain(&self->rx));
	EXPECT_EQ(0, compare(self, &diff)) TH_LOG("first differing page %zu",
						 diff);
	ASSERT_EQ(0, session_get(&self->nl, self->src, &si));
	resent = stat_pages(&si) - round0;
	TH_LOG("round 0: %llu pages, %llu applied before the drop; resent %llu",
	       (unsigned long long)round0, (unsigned long long)applied,
	       (unsigned long long)resent);
	EXPECT_GE(round0 - applied + DOM_PAGES / 97 + 1, resent);
}

/* Collect a whole round, then deliver it backwards. */
struct collect {
	uint8_t *buf;
	size_t used, cap;
	size_t off[4096];
	unsigned int n;
};

static int collect(void *batch, size_t len, void *arg)
{
	struct collect *c = arg;

	if (c->used + len > c->cap || c->n == 4096)
		return -ENOSPC;
	memcpy(c->buf + c->used, batch, len);
	c->off[c->n++] = c->used;
	c->used += len;
	return 0;
}

TEST_F_TIMEOUT(migrate, out_of_order_applies, 120)
{
	struct collect *c = calloc(1, sizeof(*c));
	size_t diff = 0;
	unsigned int i;
	void *b;

	ASSERT_NE(NULL, c);
	c->cap = 2 * self->bytes;
	c->buf = malloc(c->cap);
	ASSERT_NE(NULL, c->buf);
	ASSERT_EQ(0, start_both(_metadata, self, variant));
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, collect, c));
	/* A second round after rewriting pages, also collected. */
	for (i = 0; i < DOM_PAGES; i += 3)
		fill_unit(self->a + i * self->psz, self->psz, variant->unit,
			  i, 7);
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, collect, c));
	ASSERT_LT(2, c->n);
	for (i = c->n; i-- > 0;) {
		b = c->buf + c->off[i];
		ASSERT_EQ(0, ring_put(&self->rx, b, batch_len(b)));
	}
	ASSERT_EQ(0, ring_drain(&self->rx));
	EXPECT_EQ(0, compare(self, &diff)) TH_LOG("first differing page %zu",
						 diff);
	free(c->buf);
	free(c);
}

/* One batch, collected, then tampered with before delivery. */
FIXTURE(tamper)
{
	struct ldm_nl nl;
	char src[LDM_NAME_MAX], dst[LDM_NAME_MAX];
	int src_fd;
	uint8_t *a;
	size_t psz, bytes;
	struct ring tx, rx;
	struct collect *c;
};

FIXTURE_VARIANT(tamper)
{
	int where;	/* 0 header, 1 record, 2 page data, 3 tag, 4 replay */
};

FIXTURE_VARIANT_ADD(tamper, header) { .where = 0 };
FIXTURE_VARIANT_ADD(tamper, record) { .where = 1 };
FIXTURE_VARIANT_ADD(tamper, payload) { .where = 2 };
FIXTURE_VARIANT_ADD(tamper, tag) { .where = 3 };
FIXTURE_VARIANT_ADD(tamper, replay) { .where = 4 };

FIXTURE_SETUP(tamper)
{
	unsigned int i;

	ASSERT_EQ(0, ldm_nl_open_ldm(&self->nl));
	self->psz = page_size();
	self->bytes = 64 * self->psz;
	ldm_test_name(self->src, sizeof(self->src), "tsrc");
	ldm_test_name(self->dst, sizeof(self->dst), "tdst");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->src, self->bytes));
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->dst, self->bytes));
	self->src_fd = ldm_open(self->src, O_RDWR);
	ASSERT_LE(0, self->src_fd);
	self->a = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->src_fd, 0);
	ASSERT_NE(MAP_FAILED, self->a);
	for (i = 0; i < 64; i++)
		fill_page(self->a + i * self->psz, self->psz, i + 3, 0);
	self->c = calloc(1, sizeof(*self->c));
	ASSERT_NE(NULL, self->c);
	self->c->cap = 4 * self->bytes;
	self->c->buf = malloc(self->c->cap);
	ASSERT_NE(NULL, self->c->buf);
	ASSERT_EQ(0, session_start(&self->nl, self->src, LDM_CMD_MIGRATE_START,
				   1, 0, &self->tx));
	ASSERT_EQ(0, session_start(&self->nl, self->dst, LDM_CMD_RECEIVE_START,
				   1, 0, &self->rx));
	ASSERT_EQ(0, ring_map(&self->nl, self->src, &self->tx));
	ASSERT_EQ(0, ring_map(&self->nl, self->dst, &self->rx));
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, collect,
				self->c));
}

FIXTURE_TEARDOWN(tamper)
{
	name_cmd(&self->nl, self->src, LDM_CMD_MIGRATE_STOP, NULL, NULL);
	name_cmd(&self->nl, self->dst, LDM_CMD_MIGRATE_STOP, NULL, NULL);
	ring_unmap(&self->tx);
	ring_unmap(&self->rx);
	munmap(self->a, self->bytes);
	close(self->src_fd);
	ldm_domain_del(&self->nl, self->src);
	ldm_domain_del(&self->nl, self->dst);
	if (self->c)
		free(self->c->buf);
	free(self->c);
	ldm_nl_close(&self->nl);
}

TEST_F(tamper, rejected_and_nothing_applied)
{
	uint8_t *b = self->c->buf;	/* the first batch: records */
	size_t len = batch_len(b), off;
	struct ldm_domain_info info;
	struct session_info ri;

	ASSERT_EQ(0, ((struct ldm_batch_hdr *)b)->flags);
	switch (variant->where) {
	case 0:
		off = offsetof(struct ldm_batch_hdr, round);
		break;
	case 1:
		off = sizeof(struct ldm_batch_hdr) + 2;
		break;
	case 2:
		off = len - LDM_TAG_BYTES - 40;
		break;
	case 3:
		off = len - 3;
		break;
	default:
		/* Deliver it intact, then again. */
		ASSERT_EQ(0, ring_put(&self->rx, b, len));
		ASSERT_EQ(0, ring_drain(&self->rx));
		ASSERT_EQ(0, ldm_domain_get(&self->nl, self->dst, &info));
		ASSERT_LT(0, info.resident);
		ASSERT_EQ(0, ring_put(&self->rx, b, len));
		EXPECT_EQ(-EIO, ring_drain(&self->rx));
		ASSERT_EQ(0, session_get(&self->nl, self->dst, &ri));
		EXPECT_EQ(LDM_MIG_STATE_FAILED, ri.state);
		EXPECT_EQ(EEXIST, ri.error);
		EXPECT_STREQ("batch was replayed", ri.errmsg);
		return;
	}
	b[off] ^= 0x40;
	ASSERT_EQ(0, ring_put(&self->rx, b, len));
	EXPECT_EQ(-EIO, ring_drain(&self->rx));
	ASSERT_EQ(0, session_get(&self->nl, self->dst, &ri));
	EXPECT_EQ(LDM_MIG_STATE_FAILED, ri.state);
	EXPECT_EQ(EBADMSG, ri.error);
	EXPECT_STREQ("batch failed authentication (corrupted or forged)",
		     ri.errmsg);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->dst, &info));
	EXPECT_EQ(0, info.resident);
	/* Once failed, the ring says so to poll(). */
	EXPECT_EQ(-EIO, ring_wait(&self->rx, POLLOUT));
}

/* Requests that must be refused, each with a message. */
FIXTURE(requests)
{
	struct ldm_nl nl;
	char name[LDM_NAME_MAX];
	struct ring r;		/* an open file of the node, for START */
};

FIXTURE_SETUP(requests)
{
	ASSERT_EQ(0, ldm_nl_open_ldm(&self->nl));
	ldm_test_name(self->name, sizeof(self->name), "req");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->name, 64 * page_size()));
	ASSERT_EQ(0, ring_open(self->name, &self->r));
}

FIXTURE_TEARDOWN(requests)
{
	name_cmd(&self->nl, self->name, LDM_CMD_MIGRATE_STOP, NULL, NULL);
	ring_unmap(&self->r);
	ldm_domain_del(&self->nl, self->name);
	ldm_nl_close(&self->nl);
}

/* MIGRATE_START of @name owned by @fd (none if negative), with @attr. */
static int start_with(struct ldm_nl *nl, const char *name, int fd,
		      uint32_t attr, uint32_t val)
{
	struct ldm_msg m;

	ldm_msg_init(&m, nl->family, 0, LDM_CMD_MIGRATE_START,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, name);
	if (fd >= 0)
		ldm_msg_put_u32(&m, LDM_A_MIG_FD, (uint32_t)fd);
	if (attr)
		ldm_msg_put_u32(&m, attr, val);
	return ldm_nl_request(nl, &m, NULL, NULL);
}

TEST_F(requests, bad_start_refused)
{
	uint8_t key[LDM_KEY_BYTES] = { 1 };
	int fd = self->r.fd, other, ro;
	char other_name[LDM_NAME_MAX];
	struct ldm_msg m;
	long long fips;

	EXPECT_EQ(-EINVAL, start_with(&self->nl, self->name, -1, 0, 0));
	EXPECT_STREQ("missing the file descriptor of the domain's node",
		     self->nl.ext_msg);
	/* Version 1's key attributes are refused: no key rides netlink. */
	ldm_msg_init(&m, self->nl.family, 0, LDM_CMD_MIGRATE_START,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, self->name);
	ldm_msg_put_u32(&m, LDM_A_MIG_FD, (uint32_t)fd);
	ldm_msg_put(&m, LDM_A_MIG_KEY_V1, key, sizeof(key));
	EXPECT_EQ(-EINVAL, ldm_nl_request(&self->nl, &m, NULL, NULL));
	EXPECT_STREQ("keys go through LDM_IOC_SESSION_KEY, never netlink",
		     self->nl.ext_msg);
	EXPECT_EQ(-EINVAL, start_with(&self->nl, self->name, fd,
				      LDM_A_MIG_SALT_V1, 1));
	EXPECT_EQ(-ERANGE, start_with(&self->nl, self->name, fd,
				      LDM_A_MIG_WORKERS, 0));
	EXPECT_EQ(-ERANGE, start_with(&self->nl, self->name, fd,
				      LDM_A_MIG_WORKERS, LDM_WORKERS_MAX + 1));
	EXPECT_EQ(-EINVAL, start_with(&self->nl, self->name, fd,
				      LDM_A_MIG_BATCH_BYTES, 100));
	EXPECT_STREQ("batch size out of range", self->nl.ext_msg);
	EXPECT_EQ(-EINVAL, start_with(&self->nl, self->name, fd,
				      LDM_A_MIG_BATCH_BYTES, 64 << 20));
	EXPECT_EQ(-EINVAL, start_with(&self->nl, self->name, fd,
				      LDM_A_MIG_RAW_THRESHOLD, 0));
	EXPECT_STREQ("raw threshold must be 1 to the page size",
		     self->nl.ext_msg);
	EXPECT_EQ(-EINVAL, start_with(&self->nl, self->name, fd,
				      LDM_A_MIG_RING_SLOTS, 12));
	EXPECT_EQ(-EINVAL, start_with(&self->nl, self->name, fd,
				      LDM_A_MIG_RING_SLOTS, 1 << 20));
	EXPECT_EQ(-EINVAL, start_with(&self->nl, self->name, fd,
				      LDM_A_MIG_FLAGS, 0x80));
	EXPECT_STREQ("unknown migration flags", self->nl.ext_msg);
	/*
	 * The lab kernel does not run in FIPS mode; one built without
	 * CRYPTO_FIPS (the debug kernel) has no such file and never can.
	 */
	fips = read_param("/proc/sys/crypto/fips_enabled");
	ASSERT_TRUE(fips == 0 || fips == -ENOENT) TH_LOG("fips_enabled: %lld",
							 fips);
	EXPECT_EQ(-EPERM, start_with(&self->nl, self->name, fd,
				     LDM_A_MIG_FLAGS, LDM_MIG_F_FIPS));
	EXPECT_STREQ("FIPS mode requested, but the kernel is not in FIPS mode (fips=1)",
		     self->nl.ext_msg);
	EXPECT_EQ(-ENOENT, start_with(&self->nl, "no-such-domain", fd, 0, 0));
	EXPECT_STREQ("no such domain", self->nl.ext_msg);

	/* The owner must be an open, read-write file of this very node. */
	EXPECT_EQ(-EBADF, start_with(&self->nl, self->name, 9999, 0, 0));
	EXPECT_STREQ("not an open file descriptor", self->nl.ext_msg);
	EXPECT_EQ(-EINVAL, start_with(&self->nl, self->name, STDIN_FILENO, 0,
				      0));
	EXPECT_STREQ("file descriptor is not this domain's node",
		     self->nl.ext_msg);
	ldm_test_name(other_name, sizeof(other_name), "req2");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, other_name, page_size()));
	other = ldm_open(other_name, O_RDWR);
	ASSERT_LE(0, other);
	EXPECT_EQ(-EINVAL, start_with(&self->nl, self->name, other, 0, 0));
	EXPECT_STREQ("file descriptor is not this domain's node",
		     self->nl.ext_msg);
	close(other);
	EXPECT_EQ(0, ldm_domain_del(&self->nl, other_name));
	ro = ldm_open(self->name, O_RDONLY);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, start_with(&self->nl, self->name, ro, 0, 0));
	EXPECT_STREQ("the domain's node must be open read-write",
		     self->nl.ext_msg);
	close(ro);
	/* Nothing was started by any of those. */
	EXPECT_EQ(-ENOENT, name_cmd(&self->nl, self->name,
				    LDM_CMD_MIGRATE_ROUND, NULL, NULL));
	EXPECT_STREQ("domain has no sending session", self->nl.ext_msg);
}

/*
 * The key goes through the owning file only, once, before any round; the
 * kernel never hands it back.
 */
TEST_F(requests, key_through_the_owning_file_once)
{
	struct ldm_session_key k = { .salt = 7 };
	int other = ldm_open(self->name, O_RDWR);
	uint32_t round;

	ASSERT_LE(0, other);
	memset(k.key, 0xa5, sizeof(k.key));
	ASSERT_EQ(0, start_with(&self->nl, self->name, self->r.fd, 0, 0));
	EXPECT_EQ(-ENOKEY, name_cmd(&self->nl, self->name,
				    LDM_CMD_MIGRATE_ROUND, round_cb, &round));
	EXPECT_STREQ("the session has no key yet (LDM_IOC_SESSION_KEY)",
		     self->nl.ext_msg);
	/* Another open file of the node (an emulator's) cannot key it. */
	EXPECT_EQ(-1, ioctl(other, LDM_IOC_SESSION_KEY, &k));
	EXPECT_EQ(EPERM, errno);
	k.flags = 1;
	EXPECT_EQ(-1, ioctl(self->r.fd, LDM_IOC_SESSION_KEY, &k));
	EXPECT_EQ(EINVAL, errno);
	k.flags = 0;
	EXPECT_EQ(-1, ioctl(self->r.fd, LDM_IOC_SESSION_KEY, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, ioctl(self->r.fd, LDM_IOC_SESSION_KEY, &k));
	/* Nothing is written back. */
	EXPECT_EQ(0xa5, k.key[0]);
	EXPECT_EQ(7, k.salt);
	EXPECT_EQ(-1, ioctl(self->r.fd, LDM_IOC_SESSION_KEY, &k));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, name_cmd(&self->nl, self->name, LDM_CMD_MIGRATE_ROUND,
			      round_cb, &round));
	EXPECT_EQ(0, round);
	close(other);
}

/*
 * Far more workers than the lab has CPUs (a big host's count): the
 * MIGRATE_GET reply is sized for them, every worker's counters included.
 * Starting 256 workers takes a debug kernel on a loaded host over 30 s.
 */
/*
 * LDM_IOC_SESSION_REKEY: only after the first key, only the next epoch,
 * only through the owning file, no flags; and the epoch length is
 * checked at START against the batch size and the ring.
 */
TEST_F(requests, rekey_only_the_next_epoch)
{
	struct ldm_session_rekey bad = { .epoch = 1, .flags = 1 };
	int fd = self->r.fd, other;
	struct session_info si;
	struct ldm_msg m;

	/* 64 KiB batches: 2^19 batches make 2^36 bytes; 2^20 too many. */
	EXPECT_EQ(-ERANGE, start_with(&self->nl, self->name, fd,
				      LDM_A_MIG_EPOCH_SHIFT, 20));
	EXPECT_NE(NULL, strstr(self->nl.ext_msg, "key epoch shift"));
	EXPECT_EQ(-ERANGE, start_with(&self->nl, self->name, fd,
				      LDM_A_MIG_EPOCH_SHIFT,
				      LDM_EPOCH_SHIFT_MIN - 1));
	/* Shorter than the ring (512 slots). */
	ldm_msg_init(&m, self->nl.family, 0, LDM_CMD_MIGRATE_START,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, self->name);
	ldm_msg_put_u32(&m, LDM_A_MIG_FD, (uint32_t)fd);
	ldm_msg_put_u32(&m, LDM_A_MIG_RING_SLOTS, 512);
	ldm_msg_put_u32(&m, LDM_A_MIG_EPOCH_SHIFT, 8);
	EXPECT_EQ(-ERANGE, ldm_nl_request(&self->nl, &m, NULL, NULL));

	/* Not before the first key. */
	ASSERT_EQ(0, start_with(&self->nl, self->name, fd, 0, 0));
	EXPECT_EQ(-ENOKEY, session_rekey(fd, 1));
	ASSERT_EQ(0, ldm_session_key(fd, test_key, 1));
	/* Not epoch 0 again, not a skipped epoch, not with flags. */
	EXPECT_EQ(-EINVAL, session_rekey(fd, 0));
	EXPECT_EQ(-EINVAL, session_rekey(fd, 2));
	EXPECT_EQ(-1, ioctl(fd, LDM_IOC_SESSION_REKEY, &bad));
	EXPECT_EQ(EINVAL, errno);
	/* Not through another open file of the node. */
	other = ldm_open(self->name, O_RDWR);
	ASSERT_LE(0, other);
	EXPECT_EQ(-EPERM, session_rekey(other, 1));
	close(other);
	EXPECT_EQ(0, session_rekey(fd, 1));
	EXPECT_EQ(0, session_rekey(fd, 2));
	EXPECT_EQ(-EINVAL, session_rekey(fd, 2));
	/* No batch yet: the newest epoch used is still 0. */
	ASSERT_EQ(0, session_get(&self->nl, self->name, &si));
	EXPECT_EQ(0, si.key_epoch);
}

TEST_F_TIMEOUT(requests, migrate_get_fits_many_workers, 300)
{
	struct session_info si;
	uint32_t round;

	self->nl.rcvlen = 1 << 18;
	ASSERT_EQ(0, start_with(&self->nl, self->name, self->r.fd,
				LDM_A_MIG_WORKERS, LDM_WORKERS_MAX))
		TH_LOG("%s", self->nl.ext_msg);
	ASSERT_EQ(0, ldm_session_key(self->r.fd, test_key, 1));
	ASSERT_EQ(0, name_cmd(&self->nl, self->name, LDM_CMD_MIGRATE_ROUND,
			      round_cb, &round));
	ASSERT_EQ(0, session_get(&self->nl, self->name, &si))
		TH_LOG("%s", self->nl.ext_msg);
	EXPECT_EQ(LDM_MIG_STATE_SENDING, si.state);
	EXPECT_EQ(LDM_WORKERS_MAX, si.workers);
}

TEST_F(requests, session_commands_check_the_domain)
{
	static const int cmds[] = { LDM_CMD_MIGRATE_ROUND, LDM_CMD_MIGRATE_STOP,
				    LDM_CMD_MIGRATE_GET };
	struct ldm_msg m;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		EXPECT_EQ(-ENOENT, name_cmd(&self->nl, "no-such-domain",
					    cmds[i], NULL, NULL));
		EXPECT_STREQ("no such domain", self->nl.ext_msg);
		EXPECT_EQ(-EINVAL, name_cmd(&self->nl, "../x", cmds[i], NULL,
					    NULL));
		ldm_msg_init(&m, self->nl.family, 0, cmds[i], LDM_GENL_VERSION);
		EXPECT_EQ(-EINVAL, ldm_nl_request(&self->nl, &m, NULL, NULL));
		EXPECT_STREQ("missing domain name", self->nl.ext_msg);
	}
	/* A receive start takes no flags. */
	ldm_msg_init(&m, self->nl.family, 0, LDM_CMD_RECEIVE_START,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, self->name);
	ldm_msg_put_u32(&m, LDM_A_MIG_FD, (uint32_t)self->r.fd);
	ldm_msg_put_u32(&m, LDM_A_MIG_FLAGS, LDM_MIG_F_BASELINE);
	EXPECT_EQ(-EINVAL, ldm_nl_request(&self->nl, &m, NULL, NULL));
	EXPECT_STREQ("unknown migration flags", self->nl.ext_msg);
	/* A ring over 256 MiB. */
	EXPECT_EQ(-EINVAL, start_with(&self->nl, self->name, self->r.fd,
				      LDM_A_MIG_RING_SLOTS, 4096));
	EXPECT_STREQ("ring would exceed 256 MiB: fewer slots or smaller batches",
		     self->nl.ext_msg);
}

TEST_F(requests, one_session_per_domain_and_no_destroy)
{
	uint32_t round;

	ASSERT_EQ(0, start_with(&self->nl, self->name, self->r.fd, 0, 0));
	ASSERT_EQ(0, ldm_session_key(self->r.fd, test_key, 1));
	EXPECT_EQ(-EBUSY, start_with(&self->nl, self->name, self->r.fd, 0, 0));
	EXPECT_STREQ("domain already has a migration session",
		     self->nl.ext_msg);
	EXPECT_EQ(-EBUSY, ldm_domain_del(&self->nl, self->name));
	EXPECT_STREQ("domain is open or mapped", self->nl.ext_msg);
	/* A round on an empty domain is legal and produces a round end. */
	EXPECT_EQ(0, name_cmd(&self->nl, self->name, LDM_CMD_MIGRATE_ROUND,
			      round_cb, &round));
	EXPECT_EQ(0, round);
	/* With no file open, the session alone still blocks a destroy. */
	ring_unmap(&self->r);
	EXPECT_EQ(-EBUSY, ldm_domain_del(&self->nl, self->name));
	EXPECT_STREQ("domain has a migration session", self->nl.ext_msg);
	EXPECT_EQ(0, name_cmd(&self->nl, self->name, LDM_CMD_MIGRATE_STOP,
			      NULL, NULL));
	EXPECT_EQ(-ENOENT, name_cmd(&self->nl, self->name,
				    LDM_CMD_MIGRATE_STOP, NULL, NULL));
	EXPECT_STREQ("domain has no migration session", self->nl.ext_msg);
}

TEST_F(requests, receive_needs_an_empty_domain)
{
	int fd = ldm_open(self->name, O_RDWR);
	uint8_t *p;
	struct ldm_msg m;

	ASSERT_LE(0, fd);
	p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	munmap(p, page_size());
	close(fd);
	ldm_msg_init(&m, self->nl.family, 0, LDM_CMD_RECEIVE_START,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, self->name);
	ldm_msg_put_u32(&m, LDM_A_MIG_FD, (uint32_t)self->r.fd);
	EXPECT_EQ(-ENOTEMPTY, ldm_nl_request(&self->nl, &m, NULL, NULL));
	EXPECT_STREQ("target domain has been written to", self->nl.ext_msg);
}

/*
 * The reader dies mid-migration: a child starts a session, maps the ring,
 * takes one batch and is killed. The session ends with its socket, the
 * domain is intact and can be destroyed.
 */
TEST_F_TIMEOUT(requests, reader_dies_mid_migration, 60)
{
	int fd = ldm_open(self->name, O_RDWR), status, pipefd[2];
	size_t bytes = 64 * page_size();
	struct session_info si;
	unsigned int i;
	uint8_t *p;
	pid_t pid;
	char c;

	ASSERT_LE(0, fd);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < 64; i++)
		fill_page(p + i * page_size(), page_size(), i, 0);
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct ldm_nl nl;
		struct ring tx = {};

		if (ldm_nl_open_ldm(&nl) ||
		    session_start(&nl, self->name, LDM_CMD_MIGRATE_START, 1, 0,
				  &tx) ||
		    ring_map(&nl, self->name, &tx) ||
		    name_cmd(&nl, self->name, LDM_CMD_MIGRATE_ROUND, NULL,
			     NULL) ||
		    ring_wait(&tx, POLLIN))
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	ASSERT_EQ(0, session_get(&self->nl, self->name, &si));
	EXPECT_EQ(LDM_MIG_STATE_SENDING, si.state);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, session_get(&self->nl, self->name, &si));
	EXPECT_EQ(LDM_MIG_STATE_NONE, si.state);
	for (i = 0; i < 64; i++) {
		uint8_t want[page_size()];

		fill_page(want, page_size(), i, 0);
		EXPECT_EQ(0, memcmp(want, p + i * page_size(), page_size()));
	}
	munmap(p, bytes);
	close(fd);
	close(pipefd[0]);
	ring_unmap(&self->r);
	EXPECT_EQ(0, ldm_domain_del(&self->nl, self->name));
}

/* Userland's ring index is checked: a bad one fails the session. */
TEST_F_TIMEOUT(requests, bad_ring_indexes_fail_the_session, 60)
{
	int fd = ldm_open(self->name, O_RDWR);
	struct session_info si;
	struct ring r = {};
	uint8_t *p;

	ASSERT_LE(0, fd);
	p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5a, page_size());	/* one page to send */
	munmap(p, page_size());
	close(fd);

	/* Sending: a consumer index past what was produced. */
	ASSERT_EQ(0, session_start(&self->nl, self->name, LDM_CMD_MIGRATE_START,
				   1, 0, &r));
	ASSERT_EQ(0, ring_map(&self->nl, self->name, &r));
	__atomic_store_n(&r.hdr->cons, 1000, __ATOMIC_RELEASE);
	ASSERT_EQ(0, name_cmd(&self->nl, self->name, LDM_CMD_MIGRATE_ROUND,
			      NULL, NULL));
	EXPECT_EQ(-EIO, ring_wait(&r, POLLIN));
	ASSERT_EQ(0, session_get(&self->nl, self->name, &si));
	EXPECT_EQ(LDM_MIG_STATE_FAILED, si.state);
	EXPECT_EQ(EPROTO, si.error);
	EXPECT_STREQ("ring consumer index out of range", si.errmsg);
	EXPECT_EQ(LDM_MIG_STATE_FAILED, r.hdr->state);
	EXPECT_EQ(EPROTO, r.hdr->error);
	ring_unmap(&r);
	ASSERT_EQ(0, name_cmd(&self->nl, self->name, LDM_CMD_MIGRATE_STOP,
			      NULL, NULL));
}

TEST_F(requests, bad_receive_index_fails_the_session)
{
	struct ldm_domain_info info;
	struct session_info si;
	struct ldm_msg m;

	ldm_msg_init(&m, self->nl.family, 0, LDM_CMD_RECEIVE_START,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, self->name);
	ldm_msg_put_u32(&m, LDM_A_MIG_FD, (uint32_t)self->r.fd);
	ldm_msg_put_u32(&m, LDM_A_MIG_WORKERS, 1);
	ASSERT_EQ(0, ldm_nl_request(&self->nl, &m, NULL, NULL));
	ASSERT_EQ(0, ring_map(&self->nl, self->name, &self->r));
	/* No batch is taken before the key. */
	EXPECT_EQ(-1, ioctl(self->r.fd, LDM_IOC_RING_KICK));
	EXPECT_EQ(ENOKEY, errno);
	ASSERT_EQ(0, ldm_session_key(self->r.fd, test_key, 1));
	/* More slots "filled" than the ring has. */
	__atomic_store_n(&self->r.hdr->prod, self->r.hdr->nslots + 5,
			 __ATOMIC_RELEASE);
	EXPECT_EQ(-1, ioctl(self->r.fd, LDM_IOC_RING_KICK));
	EXPECT_EQ(EPROTO, errno);
	ASSERT_EQ(0, session_get(&self->nl, self->name, &si));
	EXPECT_EQ(LDM_MIG_STATE_FAILED, si.state);
	EXPECT_STREQ("ring producer index out of range", si.errmsg);
	/* The domain got nothing. */
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->name, &info));
	EXPECT_EQ(0, info.resident);
}

/* Suspension: writes block in the kernel until the domain resumes. */
FIXTURE(suspend)
{
	struct ldm_nl nl;
	char name[LDM_NAME_MAX];
	int fd;
	volatile uint8_t *p;
	size_t bytes;
};

static int set_state(struct ldm_nl *nl, const char *name, int with_state,
		     uint32_t state)
{
	struct ldm_msg m;

	ldm_msg_init(&m, nl->family, 0, LDM_CMD_DOMAIN_SET_STATE,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, name);
	if (with_state)
		ldm_msg_put_u32(&m, LDM_A_DOMAIN_STATE, state);
	return ldm_nl_request(nl, &m, NULL, NULL);
}

FIXTURE_SETUP(suspend)
{
	uint64_t bitmap[1];

	ASSERT_EQ(0, ldm_nl_open_ldm(&self->nl));
	ldm_test_name(self->name, sizeof(self->name), "susp");
	self->bytes = 16 * page_size();
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->name, self->bytes));
	self->fd = ldm_open(self->name, O_RDWR);
	ASSERT_LE(0, self->fd);
	self->p = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->p);
	self->p[0] = 1;
	/* Re-arm: the next write to page 0 faults again. */
	ASSERT_EQ(0, ldm_harvest_raw(self->fd, (uintptr_t)bitmap,
				     sizeof(bitmap), 0, 0, NULL));
}

FIXTURE_TEARDOWN(suspend)
{
	set_state(&self->nl, self->name, 1, LDM_DOMAIN_STATE_ACTIVE);
	munmap((void *)self->p, self->bytes);
	close(self->fd);
	ldm_domain_del(&self->nl, self->name);
	ldm_nl_close(&self->nl);
}

/* A child that writes @v into page 0 and exits. */
static pid_t writer(volatile uint8_t *p, uint8_t v)
{
	pid_t pid = fork();

	if (!pid) {
		p[0] = v;
		_exit(0);
	}
	return pid;
}

TEST_F(suspend, writes_wait_until_resume)
{
	struct ldm_domain_info info;
	int status;
	pid_t pid;

	ASSERT_EQ(0, set_state(&self->nl, self->name, 1,
			       LDM_DOMAIN_STATE_SUSPENDED));
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->name, &info));
	EXPECT_EQ(LDM_DOMAIN_STATE_SUSPENDED, info.state);
	pid = writer(self->p, 0x55);
	ASSERT_LT(0, pid);
	usleep(300 * 1000);
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	/* Reads go on, and see the old content. */
	EXPECT_EQ(1, self->p[0]);
	ASSERT_EQ(0, set_state(&self->nl, self->name, 1,
			       LDM_DOMAIN_STATE_ACTIVE));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(0x55, self->p[0]);
}

TEST_F(suspend, a_blocked_writer_can_be_killed)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, set_state(&self->nl, self->name, 1,
			       LDM_DOMAIN_STATE_SUSPENDED));
	pid = writer(self->p, 0x66);
	ASSERT_LT(0, pid);
	usleep(200 * 1000);
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(1, self->p[0]);
}

TEST_F(suspend, migrated_is_final)
{
	struct ldm_domain_info info;
	int status;
	pid_t pid;

	EXPECT_EQ(-EINVAL, set_state(&self->nl, self->name, 1,
				     LDM_DOMAIN_STATE_MIGRATED));
	EXPECT_STREQ("only a suspended domain can be marked migrated",
		     self->nl.ext_msg);
	ASSERT_EQ(0, set_state(&self->nl, self->name, 1,
			       LDM_DOMAIN_STATE_SUSPENDED));
	ASSERT_EQ(0, set_state(&self->nl, self->name, 1,
			       LDM_DOMAIN_STATE_MIGRATED));
	EXPECT_EQ(-EINVAL, set_state(&self->nl, self->name, 1,
				     LDM_DOMAIN_STATE_ACTIVE));
	EXPECT_STREQ("domain was migrated away; destroy it", self->nl.ext_msg);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->name, &info));
	EXPECT_EQ(LDM_DOMAIN_STATE_MIGRATED, info.state);
	pid = writer(self->p, 0x77);
	usleep(200 * 1000);
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	EXPECT_EQ(1, self->p[0]);
}

TEST_F(suspend, bad_state_requests)
{
	EXPECT_EQ(-EINVAL, set_state(&self->nl, self->name, 0, 0));
	EXPECT_STREQ("missing domain state", self->nl.ext_msg);
	EXPECT_EQ(-ERANGE, set_state(&self->nl, self->name, 1, 0));
	EXPECT_EQ(-ERANGE, set_state(&self->nl, self->name, 1, 99));
	EXPECT_EQ(-ENOENT, set_state(&self->nl, "no-such-domain", 1,
				     LDM_DOMAIN_STATE_SUSPENDED));
	/* Setting the current state is a no-op. */
	EXPECT_EQ(0, set_state(&self->nl, self->name, 1,
			       LDM_DOMAIN_STATE_ACTIVE));
}

/*
 * The final round runs suspended: pages written before the suspension are
 * sent, writes after it wait, and B equals A as it was at the suspension.
 */
TEST_F_TIMEOUT(migrate, final_round_suspended, 120)
{
	unsigned int i;
	size_t diff = 0;
	int status;
	pid_t pid;

	ASSERT_EQ(0, start_both(_metadata, self, variant));
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward,
				&self->rx));
	for (i = 0; i < DOM_PAGES; i += 7)
		fill_unit(self->a + i * self->psz, self->psz, variant->unit,
			  i, 9);
	ASSERT_EQ(0, set_state(&self->nl, self->src, 1,
			       LDM_DOMAIN_STATE_SUSPENDED));
	ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx, forward,
				&self->rx));
	/* A write after the final harvest waits: A stays as sent. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		self->a[5 * self->psz] ^= 0xff;
		_exit(0);
	}
	usleep(200 * 1000);
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	ASSERT_EQ(0, ring_drain(&self->rx));
	EXPECT_EQ(0, compare(self, &diff)) TH_LOG("first differing page %zu",
						 diff);
	ASSERT_EQ(0, set_state(&self->nl, self->src, 1,
			       LDM_DOMAIN_STATE_ACTIVE));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
}

TEST_HARNESS_MAIN
