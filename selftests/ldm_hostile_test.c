// SPDX-License-Identifier: GPL-2.0
/*
 * ldm_hostile_test: a migration session against the processes that hold
 * the domain's node open without owning the session.
 *
 * An emulator maps guest RAM from /dev/ldm/<domain> and runs guest code:
 * if a guest escapes into it, it has the node open. It must get neither
 * the kernel (nothing it writes may be trusted: lengths, sequence numbers,
 * nonces come from kernel state) nor a way to corrupt the guest being
 * migrated (no ring, no session ioctl, no stolen dirty bits). Each test
 * here plays that emulator, or a scribbler on the ring:
 *
 *  - slots: a spy reading every ring slot never sees plaintext, and a
 *    scribbler overwriting slot headers as fast as it can changes nothing
 *    the kernel seals: every batch that authenticates carries the
 *    sequence number of its ring position, no two the same, and a target
 *    fed what authenticates holds only the source's pages;
 *  - owner: another open file of the node cannot map the ring, kick it,
 *    key the session, run its ioctls or harvest its dirty bits, and the
 *    owner's ring mapping does not cross fork();
 *  - minors: a destroyed domain's node does not open the next domain;
 *  - races: a destroy racing a session start never leaves a session on a
 *    domain that is gone.
 */
#define _GNU_SOURCE
#include <openssl/evp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "ldm_test.h"
#include "ldm_mig.h"

#define NPAGES		192
#define SALT		0x5a17
#define MARKER		"LDM-PLAINTEXT-MARKER"

/* Incompressible pages that each carry the marker in plaintext. */
static void fill_marked(uint8_t *p, size_t psz, unsigned int seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	size_t i;

	for (i = 0; i < psz; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
	memcpy(p + 64, MARKER, sizeof(MARKER) - 1);
}

/*
 * Verify and decrypt a sealed batch with the test key, as a receiver
 * would: the nonce from the header's sequence number, the header as AAD.
 * Return: 0 when it authenticates, -EBADMSG otherwise.
 */
static int open_batch(const uint8_t *batch, size_t len, uint8_t *plain)
{
	const struct ldm_batch_hdr *h = (const void *)batch;
	uint32_t salt = SALT, payload;
	uint8_t nonce[12];
	EVP_CIPHER_CTX *c;
	int n, ok;

	payload = h->payload_bytes;
	if (len < sizeof(*h) + LDM_TAG_BYTES ||
	    payload > len - sizeof(*h) - LDM_TAG_BYTES)
		return -EBADMSG;
	memcpy(nonce, &salt, 4);
	memcpy(nonce + 4, &h->seq, 8);
	c = EVP_CIPHER_CTX_new();
	ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
	     EVP_DecryptInit_ex(c, NULL, NULL, test_key, nonce) &&
	     EVP_DecryptUpdate(c, NULL, &n, batch, sizeof(*h)) &&
	     EVP_DecryptUpdate(c, plain, &n, batch + sizeof(*h), payload) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, LDM_TAG_BYTES,
				 (void *)(batch + sizeof(*h) + payload)) &&
	     EVP_DecryptFinal_ex(c, plain + n, &n) > 0;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EBADMSG;
}

FIXTURE(slots)
{
	struct ldm_nl nl;
	char src[LDM_NAME_MAX], dst[LDM_NAME_MAX];
	size_t psz, bytes;
	int src_fd;
	uint8_t *a;
	struct ring tx, rx;
};

FIXTURE_SETUP(slots)
{
	unsigned int i;

	ASSERT_EQ(0, ldm_nl_open_ldm(&self->nl));
	self->psz = page_size();
	self->bytes = NPAGES * self->psz;
	ldm_test_name(self->src, sizeof(self->src), "hsrc");
	ldm_test_name(self->dst, sizeof(self->dst), "hdst");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->src, self->bytes));
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->dst, self->bytes));
	self->src_fd = ldm_open(self->src, O_RDWR);
	ASSERT_LE(0, self->src_fd);
	self->a = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->src_fd, 0);
	ASSERT_NE(MAP_FAILED, self->a);
	for (i = 0; i < NPAGES; i++)
		fill_marked(self->a + i * self->psz, self->psz, i);
}

FIXTURE_TEARDOWN(slots)
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

static int start_pair(struct __test_metadata *_metadata,
		      FIXTURE_DATA(slots) *self)
{
	EXPECT_EQ(0, session_start(&self->nl, self->src, LDM_CMD_MIGRATE_START,
				   0, 0, &self->tx)) TH_LOG("%s", self->nl.ext_msg);
	EXPECT_EQ(0, session_start(&self->nl, self->dst, LDM_CMD_RECEIVE_START,
				   0, 0, &self->rx)) TH_LOG("%s", self->nl.ext_msg);
	EXPECT_EQ(0, ring_map(&self->nl, self->src, &self->tx));
	EXPECT_EQ(0, ring_map(&self->nl, self->dst, &self->rx));
	return _metadata->passed ? 0 : -1;
}

struct spy {
	struct ring *ring;
	atomic_int stop;
	unsigned long passes, seen, scribbles;
	unsigned int seed;
};

static uint8_t *slot_at(struct ring *r, unsigned int i)
{
	return (uint8_t *)r->map + r->hdr->slots_offset +
	       (size_t)i * r->hdr->slot_bytes;
}

/* Read every slot, over and over, looking for the pages' plaintext. */
static void *spy_run(void *arg)
{
	struct spy *sp = arg;
	struct ring *r = sp->ring;
	unsigned int i;

	while (!atomic_load(&sp->stop)) {
		for (i = 0; i < r->hdr->nslots; i++)
			if (memmem(slot_at(r, i), r->hdr->slot_bytes, MARKER,
				   sizeof(MARKER) - 1))
				sp->seen++;
		sp->passes++;
	}
	return NULL;
}

/*
 * While rounds run, a spy scans every slot of the sending ring for the
 * marker that every page carries in plaintext: a slot only ever holds
 * sealed bytes, so it never sees one. The target still gets every page.
 */
TEST_F_TIMEOUT(slots, plaintext_never_in_a_slot, 300)
{
	struct spy sp = { .ring = &self->tx };
	unsigned int gen, i;
	pthread_t th;
	uint8_t *b;
	int fd;

	ASSERT_EQ(0, start_pair(_metadata, self));
	ASSERT_EQ(0, pthread_create(&th, NULL, spy_run, &sp));
	for (gen = 1; gen <= 8; gen++) {
		ASSERT_EQ(0, pump_round(&self->nl, self->src, &self->tx,
					forward, &self->rx));
		for (i = 0; gen < 8 && i < NPAGES; i++)
			fill_marked(self->a + i * self->psz, self->psz,
				    i + gen * NPAGES);
	}
	atomic_store(&sp.stop, 1);
	pthread_join(th, NULL);
	TH_LOG("spy: %lu passes over %u slots, plaintext seen %lu times",
	       sp.passes, self->tx.hdr->nslots, sp.seen);
	EXPECT_LT(0, sp.passes);
	EXPECT_EQ(0, sp.seen);
	ASSERT_EQ(0, ring_drain(&self->rx));
	fd = ldm_open(self->dst, O_RDONLY);
	ASSERT_LE(0, fd);
	b = mmap(NULL, self->bytes, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(0, memcmp(self->a, b, self->bytes));
	munmap(b, self->bytes);
	close(fd);
}

/* Overwrite slot headers (and now and then a whole slot) with junk. */
static void *scribble_run(void *arg)
{
	struct spy *sp = arg;
	struct ring *r = sp->ring;
	unsigned int i, seed = sp->seed;
	uint32_t junk[8];
	size_t j;

	while (!atomic_load(&sp->stop)) {
		for (i = 0; i < r->hdr->nslots; i++) {
			uint8_t *s = slot_at(r, i);

			for (j = 0; j < 8; j++)
				junk[j] = (uint32_t)rand_r(&seed) *
					  2654435761u;
			switch (rand_r(&seed) % 4) {
			case 0:	/* the length and sequence fields */
				memset(s + 16, 0xff, 16);
				break;
			case 1:	/* random bytes over the header */
				memcpy(s, junk, sizeof(junk));
				break;
			case 2:	/* a plausible header with a huge length */
				((struct ldm_batch_hdr *)s)->payload_bytes =
					0xffffffffu;
				((struct ldm_batch_hdr *)s)->seq = 0;
				break;
			default:	/* junk into the payload */
				memset(s + sizeof(struct ldm_batch_hdr) +
				       junk[0] % 4096, junk[1] & 0xff, 512);
				break;
			}
			sp->scribbles++;
		}
		sched_yield();
	}
	return NULL;
}

struct collect {
	struct ring *rx;
	uint8_t *plain;
	size_t slot_bytes;
	uint64_t pos;		/* ring position of the next batch */
	unsigned long authentic, refused, misplaced;
	uint8_t *seen;		/* one flag per sequence number */
	size_t nseen;
	uint8_t *copy;
};

/*
 * Each batch as a receiver gets it: copied once, then authenticated. One
 * that authenticates must carry its ring position as sequence number (so
 * the kernel sealed it with that nonce), never one seen before; it goes
 * to the target. One that does not is refused, as a target would.
 */
static int check_batch(void *batch, size_t len, void *arg)
{
	struct collect *c = arg;
	const struct ldm_batch_hdr *h = (const void *)c->copy;
	uint64_t pos = c->pos++;

	(void)len;
	memcpy(c->copy, batch, c->slot_bytes);
	if (open_batch(c->copy, c->slot_bytes, c->plain)) {
		c->refused++;
		return 0;
	}
	if (h->seq != pos || h->seq >= c->nseen || c->seen[h->seq]) {
		c->misplaced++;
		return 0;
	}
	c->seen[h->seq] = 1;
	c->authentic++;
	return ring_put(c->rx, c->copy, sizeof(*h) + h->payload_bytes +
			LDM_TAG_BYTES);
}

/*
 * Run round 0 and take its batches from a ring whose slots are being
 * overwritten all along: nothing in a slot can be trusted, not even the
 * round-end flag, so the round is over when the module says so (its
 * results are in) and every batch it sealed was taken.
 */
static int pump_scribbled(struct ldm_nl *nl, const char *src, struct ring *tx,
			  struct collect *c)
{
	struct session_info si;
	uint64_t cons, prod;
	uint32_t round;
	int err;

	err = name_cmd(nl, src, LDM_CMD_MIGRATE_ROUND, round_cb, &round);
	while (!err) {
		cons = tx->hdr->cons;
		prod = __atomic_load_n(&tx->hdr->prod, __ATOMIC_ACQUIRE);
		if (cons < prod) {
			err = check_batch(ring_slot(tx, cons), 0, c);
			ring_release(tx, cons + 1);
			continue;
		}
		err = session_get(nl, src, &si);
		if (err)
			break;
		if (si.state != LDM_MIG_STATE_SENDING)
			return -EIO;
		if (si.rounds_done && si.stat[LDM_A_STAT_BATCHES] == prod)
			return 0;
		usleep(1000);
	}
	return err;
}

/*
 * A scribbler overwrites the header of every slot as fast as it can while
 * round 0 runs, five sessions over. The kernel seals from its own state:
 * nothing of what was scribbled is read back (no oops, no KASAN report, no
 * failed session), every batch that authenticates sits at its own
 * sequence number, and the target, fed only those, holds the source's
 * pages and nothing else.
 */
TEST_F_TIMEOUT(slots, scribbled_headers_change_nothing_sealed, 300)
{
	struct collect c = {};
	struct spy sp = { .seed = 1 };
	struct session_info si;
	unsigned int run, i, got = 0;
	pthread_t th;
	uint8_t *b;
	int fd;

	for (run = 0; run < 5; run++) {
		ASSERT_EQ(0, start_pair(_metadata, self));
		c.rx = &self->rx;
		c.slot_bytes = self->tx.hdr->slot_bytes;
		c.pos = 0;
		c.nseen = 1 << 16;
		free(c.seen);
		c.seen = calloc(c.nseen, 1);
		c.copy = realloc(c.copy, c.slot_bytes);
		c.plain = realloc(c.plain, c.slot_bytes);
		ASSERT_TRUE(c.seen && c.copy && c.plain);
		sp.ring = &self->tx;
		atomic_store(&sp.stop, 0);
		ASSERT_EQ(0, pthread_create(&th, NULL, scribble_run, &sp));
		EXPECT_EQ(0, pump_scribbled(&self->nl, self->src, &self->tx,
					    &c));
		atomic_store(&sp.stop, 1);
		pthread_join(th, NULL);
		ASSERT_EQ(0, session_get(&self->nl, self->src, &si));
		EXPECT_EQ(LDM_MIG_STATE_SENDING, si.state) TH_LOG("%s",
								  si.errmsg);
		/* Whatever the target took is the source's page. */
		ring_drain(&self->rx);
		fd = ldm_open(self->dst, O_RDONLY);
		ASSERT_LE(0, fd);
		b = mmap(NULL, self->bytes, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, b);
		for (i = 0; i < NPAGES; i++) {
			const uint8_t *p = b + i * self->psz;

			if (p[0] == 0 && !memcmp(p, p + 1, self->psz - 1))
				continue;
			got++;
			EXPECT_EQ(0, memcmp(self->a + i * self->psz, p,
					    self->psz)) TH_LOG("page %u", i);
		}
		munmap(b, self->bytes);
		close(fd);
		name_cmd(&self->nl, self->src, LDM_CMD_MIGRATE_STOP, NULL, NULL);
		name_cmd(&self->nl, self->dst, LDM_CMD_MIGRATE_STOP, NULL, NULL);
		ring_unmap(&self->tx);
		ring_unmap(&self->rx);
		/* A fresh, empty target for the next run. */
		ldm_domain_del(&self->nl, self->dst);
		ASSERT_EQ(0, ldm_domain_new(&self->nl, self->dst, self->bytes));
	}
	TH_LOG("%lu scribbles; batches: %lu authentic, %lu refused, %lu misplaced; %u pages reached the targets",
	       sp.scribbles, c.authentic, c.refused, c.misplaced, got);
	EXPECT_EQ(0, c.misplaced);
	EXPECT_LT(0, sp.scribbles);
	EXPECT_LT(0, c.authentic + c.refused);
	free(c.seen);
	free(c.copy);
	free(c.plain);
}

FIXTURE(owner)
{
	struct ldm_nl nl;
	char name[LDM_NAME_MAX];
	size_t bytes;
	struct ring r;		/* the owner */
	int emu;		/* an emulator's open file of the node */
	uint8_t *ram;		/* ... and its mapping of guest RAM */
};

FIXTURE_SETUP(owner)
{
	ASSERT_EQ(0, ldm_nl_open_ldm(&self->nl));
	ldm_test_name(self->name, sizeof(self->name), "own");
	self->bytes = 16 * page_size();
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->name, self->bytes));
	self->emu = ldm_open(self->name, O_RDWR);
	ASSERT_LE(0, self->emu);
	self->ram = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->emu, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	memset(self->ram, 0x42, self->bytes);
}

FIXTURE_TEARDOWN(owner)
{
	name_cmd(&self->nl, self->name, LDM_CMD_MIGRATE_STOP, NULL, NULL);
	ring_unmap(&self->r);
	munmap(self->ram, self->bytes);
	close(self->emu);
	ldm_domain_del(&self->nl, self->name);
	ldm_nl_close(&self->nl);
}

static int page_set_on(int fd, unsigned long cmd)
{
	uint64_t bits[4] = {};
	struct ldm_page_set ps = {
		.bitmap = (uintptr_t)bits,
		.bitmap_bytes = sizeof(bits),
	};

	return ioctl(fd, cmd, &ps) ? -errno : 0;
}

/*
 * The emulator's file maps guest RAM, and nothing else: the ring, its
 * kick, the key, the session's ioctls are the owner's; the dirty bits are
 * the session's while it runs.
 */
TEST_F(owner, other_files_get_guest_ram_only)
{
	struct ldm_session_key k = {};
	struct session_info si;
	uint64_t dirty, bits[1];
	struct pollfd p;
	void *m;

	ASSERT_EQ(0, session_start(&self->nl, self->name, LDM_CMD_MIGRATE_START,
				   1, 0, &self->r));
	ASSERT_EQ(0, ring_map(&self->nl, self->name, &self->r));
	ASSERT_EQ(0, session_get(&self->nl, self->name, &si));

	m = mmap(NULL, si.ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->emu, LDM_RING_OFFSET);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EPERM, errno);
	m = mmap(NULL, si.ring_bytes, PROT_READ, MAP_SHARED, self->emu,
		 LDM_RING_OFFSET);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(-1, ioctl(self->emu, LDM_IOC_RING_KICK));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(self->emu, LDM_IOC_SESSION_KEY, &k));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EPERM, page_set_on(self->emu, LDM_IOC_RESEND_SKIP));
	EXPECT_EQ(-EBUSY, ldm_harvest(self->emu, bits, sizeof(bits), &dirty));
	/* Not even the owner's file harvests while the session runs. */
	EXPECT_EQ(-EBUSY, ldm_harvest(self->r.fd, bits, sizeof(bits), &dirty));
	p.fd = self->emu;
	p.events = POLLIN | POLLOUT;
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLERR, p.revents);

	/* The emulator's guest RAM works all along. */
	self->ram[7] = 0x43;
	EXPECT_EQ(0x43, self->ram[7]);
	/* The owner's file does all of it. */
	EXPECT_EQ(0, page_set_on(self->r.fd, LDM_IOC_RESEND_SKIP));
	EXPECT_EQ(0, ioctl(self->r.fd, LDM_IOC_RING_KICK));

	/* Once the session is over, harvesting is anyone's again. */
	ASSERT_EQ(0, name_cmd(&self->nl, self->name, LDM_CMD_MIGRATE_STOP,
			      NULL, NULL));
	EXPECT_EQ(0, ldm_harvest(self->emu, bits, sizeof(bits), &dirty));
	EXPECT_EQ(-1, ioctl(self->emu, LDM_IOC_RING_KICK));
	EXPECT_EQ(ENODEV, errno);
}

/* A receiving session too: its APPLIED report is the owner's only. */
TEST_F(owner, receiving_session_is_the_owners)
{
	ASSERT_EQ(0, name_cmd(&self->nl, self->name, LDM_CMD_MIGRATE_STOP,
			      NULL, NULL) == -ENOENT ? 0 : -1);
	munmap(self->ram, self->bytes);
	self->ram = MAP_FAILED;
	/* A target starts empty: a fresh domain. */
	close(self->emu);
	ASSERT_EQ(0, ldm_domain_del(&self->nl, self->name));
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->name, self->bytes));
	self->emu = ldm_open(self->name, O_RDWR);
	ASSERT_LE(0, self->emu);
	self->ram = mmap(NULL, self->bytes, PROT_READ, MAP_SHARED, self->emu,
			 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	ASSERT_EQ(0, session_start(&self->nl, self->name, LDM_CMD_RECEIVE_START,
				   1, 0, &self->r));
	EXPECT_EQ(-EPERM, page_set_on(self->emu, LDM_IOC_APPLIED));
	EXPECT_EQ(0, page_set_on(self->r.fd, LDM_IOC_APPLIED));
	EXPECT_EQ(-1, ioctl(self->emu, LDM_IOC_RING_KICK));
	EXPECT_EQ(EPERM, errno);
}

/*
 * The owner closes its file: the session runs on (its socket owns it),
 * but no file drives its data path any more, not even a new one.
 */
TEST_F(owner, closed_owner_leaves_no_data_path)
{
	struct session_info si;
	int again;
	void *m;

	ASSERT_EQ(0, session_start(&self->nl, self->name, LDM_CMD_MIGRATE_START,
				   1, 0, &self->r));
	ASSERT_EQ(0, session_get(&self->nl, self->name, &si));
	close(self->r.fd);
	self->r.fd = -1;
	again = ldm_open(self->name, O_RDWR);
	ASSERT_LE(0, again);
	m = mmap(NULL, si.ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		 again, LDM_RING_OFFSET);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(again, LDM_IOC_RING_KICK));
	EXPECT_EQ(EPERM, errno);
	close(again);
	ASSERT_EQ(0, session_get(&self->nl, self->name, &si));
	EXPECT_EQ(LDM_MIG_STATE_SENDING, si.state);
}

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

/* The ring does not cross fork(): a child (a hook, an emulator) lacks it. */
TEST_F(owner, ring_mapping_not_inherited)
{
	volatile uint32_t magic = 0;
	int status;
	pid_t pid;

	ASSERT_EQ(0, session_start(&self->nl, self->name, LDM_CMD_MIGRATE_START,
				   1, 0, &self->r));
	ASSERT_EQ(0, ring_map(&self->nl, self->name, &self->r));
	EXPECT_EQ(LDM_RING_MAGIC, self->r.hdr->magic);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct sigaction sa = { .sa_handler = on_fault };

		sigaction(SIGSEGV, &sa, NULL);
		if (sigsetjmp(fault_jmp, 1))
			_exit(0);	/* not mapped here: as it should be */
		magic = self->r.hdr->magic;
		_exit(magic == LDM_RING_MAGIC ? 1 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

FIXTURE(minors)
{
	struct ldm_nl nl;
	char dir[64];
};

FIXTURE_SETUP(minors)
{
	ASSERT_EQ(0, ldm_nl_open_ldm(&self->nl));
	strcpy(self->dir, "/tmp/ldm-minors.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(minors)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/node", self->dir);
	unlink(path);
	rmdir(self->dir);
	ldm_nl_close(&self->nl);
}

/*
 * A copy of a destroyed domain's node (as a container's /dev would keep)
 * does not open the domain created next: it fails with ENXIO.
 */
TEST_F(minors, stale_node_does_not_open_the_next_domain)
{
	char a[LDM_NAME_MAX], b[LDM_NAME_MAX], path[256], copy[128];
	struct stat sa, sb;
	int fd;

	ldm_test_name(a, sizeof(a), "mina");
	ldm_test_name(b, sizeof(b), "minb");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, a, page_size()));
	ldm_node_path(path, sizeof(path), a);
	ASSERT_EQ(0, stat(path, &sa));
	snprintf(copy, sizeof(copy), "%s/node", self->dir);
	ASSERT_EQ(0, mknod(copy, S_IFCHR | 0600, sa.st_rdev));
	fd = open(copy, O_RDWR);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, ldm_domain_del(&self->nl, a));
	ASSERT_EQ(0, ldm_domain_new(&self->nl, b, page_size()));
	ldm_node_path(path, sizeof(path), b);
	ASSERT_EQ(0, stat(path, &sb));
	EXPECT_NE(sa.st_rdev, sb.st_rdev);
	EXPECT_EQ(-1, open(copy, O_RDWR));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(0, ldm_domain_del(&self->nl, b));
}

struct racer {
	struct ldm_nl nl;
	const char *name;
	int fd;
	int err;
	atomic_int *go;
};

static void *race_start(void *arg)
{
	struct racer *r = arg;
	struct ldm_msg m;

	while (!atomic_load(r->go))
		;
	ldm_msg_init(&m, r->nl.family, 0, LDM_CMD_MIGRATE_START,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, r->name);
	ldm_msg_put_u32(&m, LDM_A_MIG_FD, (uint32_t)r->fd);
	ldm_msg_put_u32(&m, LDM_A_MIG_WORKERS, 1);
	r->err = ldm_nl_request(&r->nl, &m, NULL, NULL);
	return NULL;
}

static void *race_del(void *arg)
{
	struct racer *r = arg;

	while (!atomic_load(r->go))
		;
	close(r->fd);
	r->err = ldm_domain_del(&r->nl, r->name);
	return NULL;
}

/*
 * DEL racing START, many times: the starter's file is closed and the
 * domain destroyed while the start is on its way. Never do both succeed
 * (a session on a domain that is gone, which nothing could stop); a
 * domain left with a session is stopped and destroyed cleanly.
 */
TEST_F_TIMEOUT(minors, destroy_racing_start_leaves_no_orphan, 300)
{
	struct racer s = {}, d = {};
	unsigned int i, both = 0, started = 0, deleted = 0;
	char name[LDM_NAME_MAX];
	atomic_int go;
	pthread_t ts, td;

	ASSERT_EQ(0, ldm_nl_open_ldm(&s.nl));
	ASSERT_EQ(0, ldm_nl_open_ldm(&d.nl));
	for (i = 0; i < 300; i++) {
		ldm_test_name(name, sizeof(name), "race");
		ASSERT_EQ(0, ldm_domain_new(&self->nl, name, page_size()));
		s.name = d.name = name;
		s.fd = d.fd = ldm_open(name, O_RDWR);
		ASSERT_LE(0, s.fd);
		atomic_store(&go, 0);
		s.go = d.go = &go;
		ASSERT_EQ(0, pthread_create(&ts, NULL, race_start, &s));
		ASSERT_EQ(0, pthread_create(&td, NULL, race_del, &d));
		atomic_store(&go, 1);
		pthread_join(ts, NULL);
		pthread_join(td, NULL);
		both += !s.err && !d.err;
		started += !s.err;
		deleted += !d.err;
		if (!d.err)
			continue;
		/* The domain stayed: stop what started, then destroy it. */
		name_cmd(&s.nl, name, LDM_CMD_MIGRATE_STOP, NULL, NULL);
		EXPECT_EQ(0, ldm_domain_del(&self->nl, name)) TH_LOG("%s: %s",
			name, self->nl.ext_msg);
	}
	TH_LOG("300 races: %u starts and %u destroys succeeded", started,
	       deleted);
	EXPECT_EQ(0, both);
	ldm_nl_close(&s.nl);
	ldm_nl_close(&d.nl);
}

TEST_HARNESS_MAIN
