/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Batch sealing: AES-256-GCM over the payload, the header as AAD.
 */
#ifndef _LDM_CRYPT_H
#define _LDM_CRYPT_H

#include <crypto/aead.h>
#include <linux/crypto.h>
#include <linux/kref.h>
#include <linux/spinlock.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

#include <uapi/linux/ldm.h>

/**
 * struct ldm_crypt_key - the key of one epoch of batches
 * @ref: one from the session's table, one per batch being sealed or
 *	opened with it: a key retired from the table lives until its last
 *	batch is done
 * @tfm: gcm(aes), keyed
 * @epoch: its epoch: batches @epoch << shift up to the next epoch's first
 * @salt: first 4 bytes of every nonce of the epoch
 */
struct ldm_crypt_key {
	struct kref ref;
	struct crypto_aead *tfm;
	u64 epoch;
	u32 salt;
};

/**
 * struct ldm_crypt - the AEAD of one session: a key per epoch
 * @lock: guards @keys, @next_epoch and @top_epoch
 * @keys: the keys of the last %LDM_CRYPT_KEYS epochs, by epoch modulo
 *	%LDM_CRYPT_KEYS; keys[0] is allocated, unkeyed, before epoch 0's key
 *	comes, so that a session without gcm(aes) fails at its start
 * @next_epoch: the epoch whose key comes next: 0 before the first key
 * @top_epoch: the newest epoch a batch was sealed or opened under
 * @epoch_shift: an epoch is 1 << @epoch_shift sequence numbers
 */
struct ldm_crypt {
	spinlock_t lock;	/* see above */
	struct ldm_crypt_key *keys[LDM_CRYPT_KEYS];
	u64 next_epoch;
	u64 top_epoch;
	u32 epoch_shift;
};

/* Scatterlist entries for a batch of up to LDM_BATCH_MAX bytes, any memory. */
#define LDM_CRYPT_SG_MAX	(LDM_BATCH_MAX / PAGE_SIZE + 4)

/**
 * struct ldm_crypt_req - one worker's AEAD request and scatterlist
 * @req: the request, pointed at the tfm of each batch's epoch in turn
 * @reqsize: the context size @req was allocated for
 * @wait: completion of an asynchronous implementation
 * @sg: the batch, in the worker's private buffer (sealed and opened in
 *	place)
 */
struct ldm_crypt_req {
	struct aead_request *req;
	unsigned int reqsize;
	struct crypto_wait wait;
	struct scatterlist sg[LDM_CRYPT_SG_MAX];
};

int ldm_crypt_init(struct ldm_crypt *c, u32 epoch_shift);
int ldm_crypt_add_key(struct ldm_crypt *c, u64 epoch, const u8 *key,
		      u32 salt);
u64 ldm_crypt_top_epoch(struct ldm_crypt *c);
void ldm_crypt_free(struct ldm_crypt *c);
struct ldm_crypt_req *ldm_crypt_req_alloc(struct ldm_crypt *c);
void ldm_crypt_req_free(struct ldm_crypt_req *r);
int ldm_crypt_seal(struct ldm_crypt *c, struct ldm_crypt_req *r, u64 seq,
		   void *batch, u32 len);
int ldm_crypt_open(struct ldm_crypt *c, struct ldm_crypt_req *r, u64 seq,
		   void *batch, u32 payload_bytes);

#endif /* _LDM_CRYPT_H */
