// SPDX-License-Identifier: GPL-2.0
/*
 * Batch sealing with the kernel crypto API's gcm(aes).
 *
 * A batch is sealed once, after compression: the header is the associated
 * data, the payload is encrypted, the 16-byte tag follows it. The nonce is
 * the session salt followed by the batch sequence number, both
 * little-endian: sequence numbers are never reused in a session, so
 * neither are nonces. The key lives only in the tfm (the crypto API wipes
 * its context when the tfm is freed); it arrives through an ioctl on the
 * session's own file, whose copy the caller wipes, never through netlink.
 *
 * Ring slots are memory userland can write, so the AEAD never touches
 * one: it seals and opens in place in a worker's private buffer, and the
 * callers copy a sealed batch to a slot, or a received one from it, in
 * one memcpy(). Length and sequence number (so the nonce) are the
 * caller's kernel state, passed as arguments, never read back.
 *
 * Sealing straight into the slot (out of place) would save that copy but
 * not be safe: gcm(aes) may read its output back (the generic template
 * runs CTR into the destination, then GHASH over it), so a process
 * writing the slot between the two passes would get its own bytes
 * authenticated under the session key. Opening straight from the slot
 * has the mirror problem (the tag checked over bytes that change before
 * they are decrypted). The copy costs a few percent of compressing the
 * same bytes.
 *
 * The scatterlists are bounded by construction: a batch is at most
 * LDM_BATCH_MAX bytes plus header and tag, which LDM_CRYPT_SG_MAX entries
 * describe in any memory; a longer one is refused before any entry is
 * written.
 */

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "crypt.h"

#define LDM_NONCE_BYTES	12

/**
 * ldm_crypt_init() - set up the session AEAD, without its key yet
 * @c: the AEAD
 *
 * Return: 0 or -errno (-ENOENT if gcm(aes) is not available).
 */
int ldm_crypt_init(struct ldm_crypt *c)
{
	int err;

	c->tfm = crypto_alloc_aead("gcm(aes)", 0, 0);
	if (IS_ERR(c->tfm)) {
		err = PTR_ERR(c->tfm);
		c->tfm = NULL;
		return err;
	}
	err = crypto_aead_setauthsize(c->tfm, LDM_TAG_BYTES);
	if (err) {
		crypto_free_aead(c->tfm);
		c->tfm = NULL;
	}
	return err;
}

/**
 * ldm_crypt_set_key() - give the AEAD its key, before any batch
 * @c: the AEAD
 * @key: %LDM_KEY_BYTES of key; the caller wipes it
 * @salt: nonce salt
 *
 * Return: 0 or the crypto API's error.
 */
int ldm_crypt_set_key(struct ldm_crypt *c, const u8 *key, u32 salt)
{
	int err = crypto_aead_setkey(c->tfm, key, LDM_KEY_BYTES);

	if (!err)
		c->salt = salt;
	return err;
}

/**
 * ldm_crypt_free() - free the AEAD; the crypto API wipes the key schedule
 * @c: the AEAD
 */
void ldm_crypt_free(struct ldm_crypt *c)
{
	crypto_free_aead(c->tfm);
	c->tfm = NULL;
	c->salt = 0;
}

/**
 * ldm_crypt_req_alloc() - a request for one worker
 * @c: the AEAD
 *
 * Return: the request or NULL.
 */
struct ldm_crypt_req *ldm_crypt_req_alloc(struct ldm_crypt *c)
{
	struct ldm_crypt_req *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return NULL;
	r->req = aead_request_alloc(c->tfm, GFP_KERNEL);
	if (!r->req) {
		kfree(r);
		return NULL;
	}
	return r;
}

/**
 * ldm_crypt_req_free() - free a request
 * @r: the request, or NULL
 */
void ldm_crypt_req_free(struct ldm_crypt_req *r)
{
	if (!r)
		return;
	aead_request_free(r->req);
	kfree(r);
}

/*
 * Describe @len bytes at @buf, linear or vmalloc memory.
 * Return: 0, or -EINVAL when @sg cannot hold them (a caller's bug).
 */
static int ldm_crypt_sg(struct scatterlist *sg, const void *buf, size_t len)
{
	unsigned int n = 0;

	if (WARN_ON_ONCE(!len ||
			 DIV_ROUND_UP(offset_in_page(buf) + len, PAGE_SIZE) >
			 LDM_CRYPT_SG_MAX))
		return -EINVAL;
	sg_init_table(sg, LDM_CRYPT_SG_MAX);
	while (len) {
		size_t off = offset_in_page(buf);
		size_t chunk = min_t(size_t, len, PAGE_SIZE - off);
		struct page *page = is_vmalloc_addr(buf) ?
				    vmalloc_to_page(buf) : virt_to_page(buf);

		sg_set_page(&sg[n++], page, chunk, off);
		buf += chunk;
		len -= chunk;
	}
	sg_mark_end(&sg[n - 1]);
	return 0;
}

static void ldm_crypt_nonce(const struct ldm_crypt *c, u64 seq, u8 *nonce)
{
	__le32 salt = cpu_to_le32(c->salt);
	__le64 s = cpu_to_le64(seq);

	memcpy(nonce, &salt, sizeof(salt));
	memcpy(nonce + sizeof(salt), &s, sizeof(s));
}

static int ldm_crypt_run(struct ldm_crypt_req *r, bool encrypt)
{
	crypto_init_wait(&r->wait);
	aead_request_set_callback(r->req, CRYPTO_TFM_REQ_MAY_SLEEP |
				  CRYPTO_TFM_REQ_MAY_BACKLOG,
				  crypto_req_done, &r->wait);
	return crypto_wait_req(encrypt ? crypto_aead_encrypt(r->req) :
					 crypto_aead_decrypt(r->req),
			       &r->wait);
}

/**
 * ldm_crypt_seal() - encrypt a batch in place and append its tag
 * @c: the AEAD
 * @r: the worker's request
 * @seq: the batch's sequence number, from kernel state: the nonce
 * @batch: the header (filled in, @seq and @len in it), @len bytes of
 *	plaintext and room for the tag, in memory only the kernel writes
 * @len: payload bytes, from kernel state
 *
 * Return: 0 or -errno.
 */
int ldm_crypt_seal(struct ldm_crypt *c, struct ldm_crypt_req *r, u64 seq,
		   void *batch, u32 len)
{
	size_t hdr = sizeof(struct ldm_batch_hdr);
	u8 nonce[LDM_NONCE_BYTES];
	int err;

	ldm_crypt_nonce(c, seq, nonce);
	err = ldm_crypt_sg(r->sg, batch, hdr + len + LDM_TAG_BYTES);
	if (err)
		return err;
	aead_request_set_crypt(r->req, r->sg, r->sg, len, nonce);
	aead_request_set_ad(r->req, hdr);
	return ldm_crypt_run(r, true);
}

/**
 * ldm_crypt_open() - verify and decrypt a batch in place
 * @c: the AEAD
 * @r: the worker's request
 * @seq: the sequence number of the checked header: the nonce
 * @batch: the sealed batch (header, ciphertext, tag) in the worker's
 *	private memory; on success the payload is plaintext
 * @payload_bytes: payload length, from the checked header
 *
 * Return: 0, -EBADMSG when the tag does not verify, or -errno.
 */
int ldm_crypt_open(struct ldm_crypt *c, struct ldm_crypt_req *r, u64 seq,
		   void *batch, u32 payload_bytes)
{
	size_t total = sizeof(struct ldm_batch_hdr) + payload_bytes +
		       LDM_TAG_BYTES;
	u8 nonce[LDM_NONCE_BYTES];
	int err;

	ldm_crypt_nonce(c, seq, nonce);
	err = ldm_crypt_sg(r->sg, batch, total);
	if (err)
		return err;
	aead_request_set_crypt(r->req, r->sg, r->sg,
			       payload_bytes + LDM_TAG_BYTES, nonce);
	aead_request_set_ad(r->req, sizeof(struct ldm_batch_hdr));
	return ldm_crypt_run(r, false);
}
