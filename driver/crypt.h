/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Batch sealing: AES-256-GCM over the payload, the header as AAD.
 */
#ifndef _LDM_CRYPT_H
#define _LDM_CRYPT_H

#include <crypto/aead.h>
#include <linux/crypto.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

#include <uapi/linux/ldm.h>

/**
 * struct ldm_crypt - the AEAD of one session
 * @tfm: gcm(aes) with the session key set; shared by every worker, each
 *	with its own request
 * @salt: first 4 bytes of every nonce
 */
struct ldm_crypt {
	struct crypto_aead *tfm;
	u32 salt;
};

/* Scatterlist entries for a batch of up to LDM_BATCH_MAX bytes, any memory. */
#define LDM_CRYPT_SG_MAX	(LDM_BATCH_MAX / PAGE_SIZE + 4)

/**
 * struct ldm_crypt_req - one worker's AEAD request and scatterlist
 * @req: the request, for the session's tfm
 * @wait: completion of an asynchronous implementation
 * @sg: the batch, in the worker's private buffer (sealed and opened in
 *	place)
 */
struct ldm_crypt_req {
	struct aead_request *req;
	struct crypto_wait wait;
	struct scatterlist sg[LDM_CRYPT_SG_MAX];
};

int ldm_crypt_init(struct ldm_crypt *c);
int ldm_crypt_set_key(struct ldm_crypt *c, const u8 *key, u32 salt);
void ldm_crypt_free(struct ldm_crypt *c);
struct ldm_crypt_req *ldm_crypt_req_alloc(struct ldm_crypt *c);
void ldm_crypt_req_free(struct ldm_crypt_req *r);
int ldm_crypt_seal(struct ldm_crypt *c, struct ldm_crypt_req *r, u64 seq,
		   void *batch, u32 len);
int ldm_crypt_open(struct ldm_crypt *c, struct ldm_crypt_req *r, u64 seq,
		   void *batch, u32 payload_bytes);

#endif /* _LDM_CRYPT_H */
