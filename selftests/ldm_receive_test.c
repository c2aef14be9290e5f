// SPDX-License-Identifier: GPL-2.0
/*
 * The receiving side against a hostile sender that holds the key: every
 * batch here is built and sealed by the test itself (OpenSSL AES-256-GCM,
 * the same nonce and AAD rules as the kernel), so it authenticates, and
 * only the kernel's own checks stand between it and the target domain.
 * Each malformed batch must fail the session with a message naming what is
 * wrong, and apply nothing. A well-formed hand-made batch, with an LZJB
 * record compressed by the project's codec in userland, must apply.
 */
#define _GNU_SOURCE
#include <openssl/evp.h>

#include "kselftest_harness.h"
#include "ldm_test.h"
#include "ldm_mig.h"
#include "../driver/lzjb.h"

#define NPAGES	64
#define SALT	0x5a17

struct builder {
	uint8_t buf[LDM_BATCH_DEFAULT + 4096];
	struct ldm_batch_hdr *hdr;
	size_t used;		/* payload bytes */
};

static void b_init(struct builder *b, uint64_t seq, uint32_t round)
{
	memset(b, 0, sizeof(*b));
	b->hdr = (void *)b->buf;
	b->hdr->magic = LDM_BATCH_MAGIC;
	b->hdr->version = LDM_BATCH_VERSION;
	b->hdr->round = round;
	b->hdr->seq = seq;
	b->hdr->page_size = page_size();
}

/* Append a record and its data (padded to 8). */
static void b_rec(struct builder *b, uint64_t page, uint32_t round,
		  uint8_t kind, const void *data, uint32_t len)
{
	struct ldm_record *r = (void *)(b->buf + sizeof(*b->hdr) + b->used);

	r->page = page;
	r->round = round;
	r->len = len;
	r->kind = kind;
	if (len)
		memcpy(r + 1, data, len);
	b->used += sizeof(*r) + ((len + 7) & ~7u);
	b->hdr->nrecords++;
}

/* Seal as the kernel does; returns the batch length. */
static size_t b_seal(struct builder *b)
{
	uint8_t nonce[12], *payload = b->buf + sizeof(*b->hdr);
	uint32_t salt = SALT;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	b->hdr->payload_bytes = b->used;
	memcpy(nonce, &salt, 4);
	memcpy(nonce + 4, &b->hdr->seq, 8);
	ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
	     EVP_EncryptInit_ex(c, NULL, NULL, test_key, nonce) &&
	     EVP_EncryptUpdate(c, NULL, &n, b->buf, sizeof(*b->hdr)) &&
	     EVP_EncryptUpdate(c, payload, &n, payload, b->used) &&
	     EVP_EncryptFinal_ex(c, payload + n, &n) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, LDM_TAG_BYTES,
				 payload + b->used);
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		abort();
	return sizeof(*b->hdr) + b->used + LDM_TAG_BYTES;
}

FIXTURE(hostile)
{
	struct ldm_nl nl;
	char name[LDM_NAME_MAX];
	struct ring rx;
	struct builder b;
	uint8_t page[65536];
};

FIXTURE_SETUP(hostile)
{
	struct ldm_msg m;

	ASSERT_EQ(0, ldm_nl_open_ldm(&self->nl));
	ldm_test_name(self->name, sizeof(self->name), "rx");
	ASSERT_EQ(0, ldm_domain_new(&self->nl, self->name,
				    NPAGES * page_size()));
	ASSERT_EQ(0, ring_open(self->name, &self->rx));
	ldm_msg_init(&m, self->nl.family, 0, LDM_CMD_RECEIVE_START,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, self->name);
	ldm_msg_put_u32(&m, LDM_A_MIG_FD, (uint32_t)self->rx.fd);
	ldm_msg_put_u32(&m, LDM_A_MIG_WORKERS, 1);
	ASSERT_EQ(0, ldm_nl_request(&self->nl, &m, NULL, NULL))
		TH_LOG("%s", self->nl.ext_msg);
	ASSERT_EQ(0, ldm_session_key(self->rx.fd, test_key, SALT));
	ASSERT_EQ(0, ring_map(&self->nl, self->name, &self->rx));
	memset(self->page, 0xa5, sizeof(self->page));
}

FIXTURE_TEARDOWN(hostile)
{
	name_cmd(&self->nl, self->name, LDM_CMD_MIGRATE_STOP, NULL, NULL);
	ring_unmap(&self->rx);
	ldm_domain_del(&self->nl, self->name);
	ldm_nl_close(&self->nl);
}

/* Deliver the sealed batch; the session must fail with @err and @msg. */
static void refused(struct __test_metadata *_metadata,
		    FIXTURE_DATA(hostile) *self, size_t len, uint32_t err,
		    const char *msg, uint64_t max_resident)
{
	struct ldm_domain_info info;
	struct session_info si;

	ASSERT_EQ(0, ring_put(&self->rx, self->b.buf, len));
	EXPECT_EQ(-EIO, ring_drain(&self->rx));
	ASSERT_EQ(0, session_get(&self->nl, self->name, &si));
	EXPECT_EQ(LDM_MIG_STATE_FAILED, si.state);
	EXPECT_EQ(err, si.error);
	EXPECT_STREQ(msg, si.errmsg);
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->name, &info));
	EXPECT_GE(max_resident, info.resident);
}

#define BAD_RECORD "batch record has a bad kind or length"

TEST_F(hostile, well_formed_batch_applies)
{
	uint8_t text[4096], lz[8192], *p;
	struct ldm_domain_info info;
	size_t psz = page_size(), clen, i;
	int fd;

	ASSERT_GE(sizeof(text), psz);
	for (i = 0; i < psz; i++)
		text[i] = "ldm hand-made batch "[i % 20];
	clen = lzjb_compress(text, lz, psz, psz - 1);
	ASSERT_LT(clen, psz);
	b_init(&self->b, 7, 0);
	b_rec(&self->b, 3, 0, LDM_REC_RAW, self->page, psz);
	b_rec(&self->b, 5, 0, LDM_REC_LZJB, lz, clen);
	b_rec(&self->b, 9, 0, LDM_REC_ZERO, NULL, 0);
	ASSERT_EQ(0, ring_put(&self->rx, self->b.buf, b_seal(&self->b)));
	ASSERT_EQ(0, ring_drain(&self->rx));
	ASSERT_EQ(0, ldm_domain_get(&self->nl, self->name, &info));
	EXPECT_EQ(2, info.resident);	/* the zero page allocates nothing */
	fd = ldm_open(self->name, O_RDONLY);
	ASSERT_LE(0, fd);
	p = mmap(NULL, NPAGES * psz, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p + 3 * psz, self->page, psz));
	EXPECT_EQ(0, memcmp(p + 5 * psz, text, psz));
	EXPECT_EQ(0, p[9 * psz]);
	munmap(p, NPAGES * psz);
	close(fd);
}

TEST_F(hostile, page_outside_the_domain)
{
	b_init(&self->b, 1, 0);
	b_rec(&self->b, NPAGES, 0, LDM_REC_ZERO, NULL, 0);
	refused(_metadata, self, b_seal(&self->b), EBADMSG,
		"batch record names a page outside the domain", 0);
}

TEST_F(hostile, unknown_record_kind)
{
	b_init(&self->b, 1, 0);
	b_rec(&self->b, 1, 0, 9, NULL, 0);
	refused(_metadata, self, b_seal(&self->b), EBADMSG, BAD_RECORD, 0);
}

TEST_F(hostile, raw_record_of_the_wrong_length)
{
	b_init(&self->b, 1, 0);
	b_rec(&self->b, 1, 0, LDM_REC_RAW, self->page, 100);
	refused(_metadata, self, b_seal(&self->b), EBADMSG, BAD_RECORD, 0);
}

TEST_F(hostile, compressed_record_as_long_as_a_page)
{
	b_init(&self->b, 1, 0);
	b_rec(&self->b, 1, 0, LDM_REC_LZJB, self->page, page_size());
	refused(_metadata, self, b_seal(&self->b), EBADMSG, BAD_RECORD, 0);
}

TEST_F(hostile, zero_record_with_data)
{
	b_init(&self->b, 1, 0);
	b_rec(&self->b, 1, 0, LDM_REC_ZERO, self->page, 8);
	refused(_metadata, self, b_seal(&self->b), EBADMSG, BAD_RECORD, 0);
}

TEST_F(hostile, record_round_differs_from_the_batch)
{
	b_init(&self->b, 1, 2);
	b_rec(&self->b, 1, 1, LDM_REC_ZERO, NULL, 0);
	refused(_metadata, self, b_seal(&self->b), EBADMSG, BAD_RECORD, 0);
}

/* A good record first: a bad batch applies nothing, not even that. */
TEST_F(hostile, truncated_record_applies_nothing)
{
	b_init(&self->b, 1, 0);
	b_rec(&self->b, 1, 0, LDM_REC_RAW, self->page, page_size());
	self->b.hdr->nrecords = 2;
	refused(_metadata, self, b_seal(&self->b), EBADMSG,
		"batch record is truncated", 0);
}

TEST_F(hostile, data_running_past_the_payload)
{
	b_init(&self->b, 1, 0);
	b_rec(&self->b, 1, 0, LDM_REC_RAW, self->page, page_size());
	self->b.used -= 64;	/* the record claims more than there is */
	refused(_metadata, self, b_seal(&self->b), EBADMSG,
		"batch record is truncated", 0);
}

TEST_F(hostile, bytes_after_the_last_record)
{
	b_init(&self->b, 1, 0);
	b_rec(&self->b, 1, 0, LDM_REC_RAW, self->page, page_size());
	self->b.used += 8;
	refused(_metadata, self, b_seal(&self->b), EBADMSG,
		"batch has bytes after its last record", 0);
}

/* An authentic LZJB stream that is garbage: at most its page is hit. */
TEST_F(hostile, lzjb_stream_that_does_not_decompress)
{
	b_init(&self->b, 1, 0);
	b_rec(&self->b, 1, 0, LDM_REC_LZJB, self->page, 200);
	refused(_metadata, self, b_seal(&self->b), EINVAL,
		"batch record does not decompress to a page", 1);
}

TEST_F(hostile, lz4_stream_that_does_not_decompress)
{
	b_init(&self->b, 1, 0);
	b_rec(&self->b, 1, 0, LDM_REC_LZ4, self->page, 200);
	refused(_metadata, self, b_seal(&self->b), EINVAL,
		"batch record does not decompress to a page", 1);
}

TEST_F(hostile, malformed_round_end)
{
	b_init(&self->b, 1, 0);
	b_rec(&self->b, 1, 0, LDM_REC_ZERO, NULL, 0);
	self->b.hdr->flags = LDM_BATCH_F_ROUND_END;
	refused(_metadata, self, b_seal(&self->b), EBADMSG,
		"round-end batch is malformed", 0);
}

TEST_F(hostile, unknown_batch_flags)
{
	b_init(&self->b, 1, 0);
	self->b.hdr->flags = 0x8;
	refused(_metadata, self, b_seal(&self->b), EBADMSG,
		"batch has unknown flags", 0);
}

TEST_F(hostile, other_page_size)
{
	b_init(&self->b, 1, 0);
	self->b.hdr->page_size = 2 * page_size();
	refused(_metadata, self, b_seal(&self->b), EINVAL,
		"batch page size differs from this host's", 0);
}

TEST_F(hostile, other_version)
{
	b_init(&self->b, 1, 0);
	self->b.hdr->version = LDM_BATCH_VERSION + 1;
	refused(_metadata, self, b_seal(&self->b), EPROTONOSUPPORT,
		"batch version is not supported", 0);
}

TEST_F(hostile, bad_magic)
{
	b_init(&self->b, 1, 0);
	self->b.hdr->magic = 0;
	refused(_metadata, self, b_seal(&self->b), EBADMSG,
		"batch has a bad magic number", 0);
}

TEST_F(hostile, larger_than_the_batch_size)
{
	b_init(&self->b, 1, 0);
	self->b.used = LDM_BATCH_DEFAULT + 8;
	refused(_metadata, self, b_seal(&self->b), EMSGSIZE,
		"batch is larger than the batch size", 0);
}

TEST_F(hostile, round_out_of_range)
{
	b_init(&self->b, 1, 5000);
	refused(_metadata, self, b_seal(&self->b), ERANGE,
		"batch round is out of range", 0);
}

TEST_F(hostile, older_than_the_replay_window)
{
	b_init(&self->b, 100000, 0);
	ASSERT_EQ(0, ring_put(&self->rx, self->b.buf, b_seal(&self->b)));
	ASSERT_EQ(0, ring_drain(&self->rx));
	b_init(&self->b, 1, 0);
	refused(_metadata, self, b_seal(&self->b), ESTALE,
		"batch is older than the replay window", 0);
}

TEST_HARNESS_MAIN
