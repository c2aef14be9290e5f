// SPDX-License-Identifier: GPL-2.0
/*
 * Batch sealing with the kernel crypto API's gcm(aes).
 *
 * A batch is sealed once, after compression: the header is the associated
 * data, the payload is encrypted, the 16-byte tag follows it. The nonce is
 * the session salt followed by the batch sequence number, both
 * little-endian: sequence numbers are never reused in a session, so
 * neither are nonces. A key lives only in its tfm (the crypto API wipes
 * its context when the tfm is freed); it arrives through an ioctl on the
 * session's own file, whose copy the caller wipes, never through netlink.
 *
 * Keys are renewed per epoch: the batches from epoch << shift on are
 * sealed under that epoch's key and salt, so no key seals more than
 * 2^LDM_EPOCH_BYTES_SHIFT bytes. Userland derives each epoch's key from
 * the TLS session and gives it before the epoch's first batch; a batch
 * whose epoch has no key fails with -ENOKEY, never falls back to an old
 * key. The table holds the last LDM_CRYPT_KEYS epochs: a receiver gets
 * batches a little out of order, from several streams, but never more
 * than its replay window apart, which spans fewer epochs. Each batch
 * holds a reference on its key while the AEAD runs, so a key that leaves
 * the table meanwhile is freed only after that batch.
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

#include <linux/build_bug.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "crypt.h"

#define LDM_NONCE_BYTES	12

/*
 * Whatever the shift, the epochs a receiver's replay window (a ring of
 * the most slots) spans, and the next one, fit the table.
 */
static_assert(LDM_RING_SLOTS_MAX >> LDM_EPOCH_SHIFT_MIN < LDM_CRYPT_KEYS - 2);

/* A gcm(aes) with our tag size, without a key. */
static struct crypto_aead *ldm_crypt_tfm(void)
{
	struct crypto_aead *tfm = crypto_alloc_aead("gcm(aes)", 0, 0);
	int err;

	if (IS_ERR(tfm))
		return tfm;
	err = crypto_aead_setauthsize(tfm, LDM_TAG_BYTES);
	if (err) {
		crypto_free_aead(tfm);
		return ERR_PTR(err);
	}
	return tfm;
}

static struct ldm_crypt_key *ldm_crypt_key_alloc(void)
{
	struct ldm_crypt_key *k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);

	if (!k)
		return ERR_PTR(-ENOMEM);
	k->tfm = ldm_crypt_tfm();
	if (IS_ERR(k->tfm)) {
		long err = PTR_ERR(k->tfm);

		kfree(k);
		return ERR_PTR(err);
	}
	kref_init(&k->ref);
	return k;
}

/* The crypto API wipes the key schedule as it frees the tfm. */
static void ldm_crypt_key_release(struct kref *ref)
{
	struct ldm_crypt_key *k = container_of(ref, struct ldm_crypt_key, ref);

	crypto_free_aead(k->tfm);
	kfree_sensitive(k);
}

static void ldm_crypt_key_put(struct ldm_crypt_key *k)
{
	if (k)
		kref_put(&k->ref, ldm_crypt_key_release);
}

/**
 * ldm_crypt_init() - set up the session AEAD, without its first key yet
 * @c: the AEAD
 * @epoch_shift: an epoch is 1 << @epoch_shift batches, checked by the
 *	caller
 *
 * Return: 0 or -errno (-ENOENT if gcm(aes) is not available).
 */
int ldm_crypt_init(struct ldm_crypt *c, u32 epoch_shift)
{
	struct ldm_crypt_key *k = ldm_crypt_key_alloc();

	if (IS_ERR(k))
		return PTR_ERR(k);
	spin_lock_init(&c->lock);
	c->keys[0] = k;
	c->next_epoch = 0;
	c->top_epoch = 0;
	c->epoch_shift = epoch_shift;
	return 0;
}

/**
 * ldm_crypt_add_key() - give the AEAD the key of its next epoch
 * @c: the AEAD
 * @epoch: the epoch: @c->next_epoch, else -EINVAL
 * @key: %LDM_KEY_BYTES of key; the caller wipes it
 * @salt: nonce salt of the epoch
 *
 * The key of the epoch %LDM_CRYPT_KEYS before @epoch leaves the table; it
 * is wiped once the batches being sealed or opened with it are done.
 * Callers are serialized (the domain's session_lock).
 *
 * Return: 0, -EINVAL, -ENOMEM or the crypto API's error.
 */
int ldm_crypt_add_key(struct ldm_crypt *c, u64 epoch, const u8 *key,
		      u32 salt)
{
	struct ldm_crypt_key *k, *old;
	unsigned int i = epoch % LDM_CRYPT_KEYS;
	int err;

	if (epoch != READ_ONCE(c->next_epoch))
		return -EINVAL;
	/* Epoch 0's tfm was made at init; it is in no batch's hands yet. */
	k = epoch ? ldm_crypt_key_alloc() : c->keys[0];
	if (IS_ERR(k))
		return PTR_ERR(k);
	err = crypto_aead_setkey(k->tfm, key, LDM_KEY_BYTES);
	if (err) {
		if (epoch)
			ldm_crypt_key_put(k);
		return err;
	}
	k->epoch = epoch;
	k->salt = salt;

	spin_lock(&c->lock);
	old = epoch ? c->keys[i] : NULL;
	c->keys[i] = k;
	/* Published with the key: a batch of @epoch may be sealed now. */
	c->next_epoch = epoch + 1;
	spin_unlock(&c->lock);
	ldm_crypt_key_put(old);
	return 0;
}

/**
 * ldm_crypt_top_epoch() - the newest epoch a batch used
 * @c: the AEAD
 *
 * Return: that epoch (0 before any batch).
 */
u64 ldm_crypt_top_epoch(struct ldm_crypt *c)
{
	u64 top;

	spin_lock(&c->lock);
	top = c->top_epoch;
	spin_unlock(&c->lock);
	return top;
}

/* The key of @seq's epoch, with a reference; NULL if the table lacks it. */
static struct ldm_crypt_key *ldm_crypt_get(struct ldm_crypt *c, u64 seq)
{
	u64 epoch = seq >> c->epoch_shift;
	struct ldm_crypt_key *k;

	spin_lock(&c->lock);
	k = c->keys[epoch % LDM_CRYPT_KEYS];
	if (epoch >= c->next_epoch || !k || k->epoch != epoch) {
		k = NULL;
	} else {
		kref_get(&k->ref);
		c->top_epoch = max(c->top_epoch, epoch);
	}
	spin_unlock(&c->lock);
	return k;
}

/**
 * ldm_crypt_free() - drop every key; the crypto API wipes each schedule
 * @c: the AEAD
 */
void ldm_crypt_free(struct ldm_crypt *c)
{
	unsigned int i;

	for (i = 0; i < LDM_CRYPT_KEYS; i++) {
		ldm_crypt_key_put(c->keys[i]);
		c->keys[i] = NULL;
	}
}

/**
 * ldm_crypt_req_alloc() - a request for one worker
 * @c: the AEAD, after ldm_crypt_init()
 *
 * Sized for epoch 0's tfm; a later epoch's tfm is the same algorithm, and
 * a larger context (another implementation loaded meanwhile) gets a new
 * request when it is first used.
 *
 * Return: the request or NULL.
 */
struct ldm_crypt_req *ldm_crypt_req_alloc(struct ldm_crypt *c)
{
	struct ldm_crypt_req *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return NULL;
	r->req = aead_request_alloc(c->keys[0]->tfm, GFP_KERNEL);
	if (!r->req) {
		kfree(r);
		return NULL;
	}
	r->reqsize = crypto_aead_reqsize(c->keys[0]->tfm);
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

/* Point the worker's request at @tfm. */
static int ldm_crypt_req_bind(struct ldm_crypt_req *r, struct crypto_aead *tfm)
{
	unsigned int size = crypto_aead_reqsize(tfm);
	struct aead_request *req;

	if (size > r->reqsize) {
		req = aead_request_alloc(tfm, GFP_KERNEL);
		if (!req)
			return -ENOMEM;
		aead_request_free(r->req);
		r->req = req;
		r->reqsize = size;
	}
	aead_request_set_tfm(r->req, tfm);
	return 0;
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

static void ldm_crypt_nonce(const struct ldm_crypt_key *k, u64 seq,
			    u8 *nonce)
{
	__le32 salt = cpu_to_le32(k->salt);
	__le64 s = cpu_to_le64(seq);

	memcpy(nonce, &salt, sizeof(salt));
	memcpy(nonce + sizeof(salt), &s, sizeof(s));
}

static int ldm_crypt_wait(struct ldm_crypt_req *r, bool encrypt)
{
	crypto_init_wait(&r->wait);
	aead_request_set_callback(r->req, CRYPTO_TFM_REQ_MAY_SLEEP |
				  CRYPTO_TFM_REQ_MAY_BACKLOG,
				  crypto_req_done, &r->wait);
	return crypto_wait_req(encrypt ? crypto_aead_encrypt(r->req) :
					 crypto_aead_decrypt(r->req),
			       &r->wait);
}

/*
 * Run the AEAD over @bytes at @batch (header, then @textlen bytes of text
 * and, opening, the tag) under the key of @seq's epoch.
 */
static int ldm_crypt_run(struct ldm_crypt *c, struct ldm_crypt_req *r,
			 u64 seq, void *batch, size_t bytes, u32 textlen,
			 bool encrypt)
{
	struct ldm_crypt_key *k = ldm_crypt_get(c, seq);
	u8 nonce[LDM_NONCE_BYTES];
	int err;

	if (!k)
		return -ENOKEY;
	ldm_crypt_nonce(k, seq, nonce);
	err = ldm_crypt_sg(r->sg, batch, bytes);
	if (!err)
		err = ldm_crypt_req_bind(r, k->tfm);
	if (!err) {
		aead_request_set_crypt(r->req, r->sg, r->sg, textlen, nonce);
		aead_request_set_ad(r->req, sizeof(struct ldm_batch_hdr));
		err = ldm_crypt_wait(r, encrypt);
	}
	ldm_crypt_key_put(k);
	return err;
}

/**
 * ldm_crypt_seal() - encrypt a batch in place and append its tag
 * @c: the AEAD
 * @r: the worker's request
 * @seq: the batch's sequence number, from kernel state: the nonce and
 *	the key's epoch
 * @batch: the header (filled in, @seq and @len in it), @len bytes of
 *	plaintext and room for the tag, in memory only the kernel writes
 * @len: payload bytes, from kernel state
 *
 * Return: 0, -ENOKEY when @seq's epoch has no key, or -errno.
 */
int ldm_crypt_seal(struct ldm_crypt *c, struct ldm_crypt_req *r, u64 seq,
		   void *batch, u32 len)
{
	return ldm_crypt_run(c, r, seq, batch,
			     sizeof(struct ldm_batch_hdr) + len + LDM_TAG_BYTES,
			     len, true);
}

/**
 * ldm_crypt_open() - verify and decrypt a batch in place
 * @c: the AEAD
 * @r: the worker's request
 * @seq: the sequence number of the checked header: the nonce and the
 *	key's epoch
 * @batch: the sealed batch (header, ciphertext, tag) in the worker's
 *	private memory; on success the payload is plaintext
 * @payload_bytes: payload length, from the checked header
 *
 * Return: 0, -EBADMSG when the tag does not verify, -ENOKEY when @seq's
 * epoch has no key (not given yet, or retired), or -errno.
 */
int ldm_crypt_open(struct ldm_crypt *c, struct ldm_crypt_req *r, u64 seq,
		   void *batch, u32 payload_bytes)
{
	return ldm_crypt_run(c, r, seq, batch,
			     sizeof(struct ldm_batch_hdr) + payload_bytes +
			     LDM_TAG_BYTES,
			     payload_bytes + LDM_TAG_BYTES, false);
}
