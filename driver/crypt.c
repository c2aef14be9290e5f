// SPDX-License-Identifier: GPL-2.0
/*
 * Batch sealing with the kernel crypto API's gcm(aes).
 *
 * A batch is sealed once, in place in its ring slot, after compression:
 * the header is the associated data, the payload is encrypted, the 16-byte
 * tag follows it. The nonce is the session salt followed by the batch
 * sequence number, both little-endian: sequence numbers are never reused in
 * a session, so neither are nonces. The key lives only in the tfm (the
 * crypto API wipes its context when the tfm is freed) and in the caller's
 * netlink buffer, which the caller wipes.
 *
 * Opening (receiving) is out of place: the ring slot is user-writable
 * memory, so the plaintext goes to a worker's private buffer, where
 * userland cannot change it between verification and use.
 */

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "crypt.h"

#define LDM_NONCE_BYTES	12

/**
 * ldm_crypt_init() - set up the session AEAD
 * @c: the AEAD
 * @key: %LDM_KEY_BYTES of key
 * @salt: nonce salt
 *
 * Return: 0 or -errno (-ENOENT if gcm(aes) is not available).
 */
int ldm_crypt_init(struct ldm_crypt *c, const u8 *key, u32 salt)
{
	int err;

	c->tfm = crypto_alloc_aead("gcm(aes)", 0, 0);
	if (IS_ERR(c->tfm)) {
		err = PTR_ERR(c->tfm);
		c->tfm = NULL;
		return err;
	}
	err = crypto_aead_setkey(c->tfm, key, LDM_KEY_BYTES);
	if (!err)
		err = crypto_aead_setauthsize(c->tfm, LDM_TAG_BYTES);
	if (err) {
		crypto_free_aead(c->tfm);
		c->tfm = NULL;
		return err;
	}
	c->salt = salt;
	return 0;
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

/* Describe @len bytes at @buf, linear or vmalloc memory. */
static void ldm_crypt_sg(struct scatterlist *sg, const void *buf, size_t len)
{
	unsigned int n = 0;

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
 * @batch: header (filled in) followed by the plaintext payload and room
 *	for the tag
 *
 * Return: 0 or -errno.
 */
int ldm_crypt_seal(struct ldm_crypt *c, struct ldm_crypt_req *r, void *batch)
{
	const struct ldm_batch_hdr *hdr = batch;
	u32 len = le32_to_cpu(hdr->payload_bytes);
	u8 nonce[LDM_NONCE_BYTES];

	ldm_crypt_nonce(c, le64_to_cpu(hdr->seq), nonce);
	ldm_crypt_sg(r->src, batch, sizeof(*hdr) + len + LDM_TAG_BYTES);
	aead_request_set_crypt(r->req, r->src, r->src, len, nonce);
	aead_request_set_ad(r->req, sizeof(*hdr));
	return ldm_crypt_run(r, true);
}

/**
 * ldm_crypt_open() - verify and decrypt a batch out of place
 * @c: the AEAD
 * @r: the worker's request
 * @batch: the sealed batch (in a ring slot); its header already checked
 * @out: receives a copy of the header's space, then the plaintext
 *	(sizeof(struct ldm_batch_hdr) + @payload_bytes + tag bytes)
 * @payload_bytes: payload length, from the checked header
 *
 * Return: 0, -EBADMSG when the tag does not verify, or -errno.
 */
int ldm_crypt_open(struct ldm_crypt *c, struct ldm_crypt_req *r,
		   const void *batch, void *out, u32 payload_bytes)
{
	const struct ldm_batch_hdr *hdr = out;
	size_t total = sizeof(*hdr) + payload_bytes + LDM_TAG_BYTES;
	u8 nonce[LDM_NONCE_BYTES];

	/* The nonce comes from the header the caller checked, in @out. */
	ldm_crypt_nonce(c, le64_to_cpu(hdr->seq), nonce);
	ldm_crypt_sg(r->src, batch, total);
	ldm_crypt_sg(r->dst, out, total);
	aead_request_set_crypt(r->req, r->src, r->dst,
			       payload_bytes + LDM_TAG_BYTES, nonce);
	aead_request_set_ad(r->req, sizeof(*hdr));
	return ldm_crypt_run(r, false);
}
