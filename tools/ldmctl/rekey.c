// SPDX-License-Identifier: GPL-2.0
/* Batch keys renewed per epoch; see rekey.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>

#include <linux/ldm.h>

#include "rekey.h"
#include "tls.h"

int rekey_export(struct rekey *rk, SSL *ssl, uint32_t shift)
{
	memset(rk, 0, sizeof(*rk));
	rk->fd = -1;
	rk->shift = shift;
	return tls_export(ssl, TLS_LABEL_EPOCH_SECRET, rk->secret,
			  sizeof(rk->secret));
}

void rekey_attach(struct rekey *rk, int fd)
{
	rk->fd = fd;
	rk->next = 1;
}

int rekey_derive(const uint8_t secret[REKEY_SECRET_BYTES], uint64_t epoch,
		 uint8_t *key, uint32_t *salt)
{
	uint8_t out[LDM_KEY_BYTES + sizeof(*salt)];
	char info[64];
	OSSL_PARAM p[5];
	EVP_KDF_CTX *ctx;
	EVP_KDF *kdf;
	int ok;

	/* The label names the epoch: each epoch's key is independent. */
	snprintf(info, sizeof(info), "ldm batch key and salt, epoch %llu",
		 (unsigned long long)epoch);
	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!ctx)
		return -EIO;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE,
						(char *)"EXPAND_ONLY", 0);
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)"SHA256", 0);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)secret,
						 REKEY_SECRET_BYTES);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info,
						 strlen(info));
	p[4] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, out, sizeof(out), p) == 1;
	EVP_KDF_CTX_free(ctx);
	if (ok) {
		memcpy(key, out, LDM_KEY_BYTES);
		memcpy(salt, out + LDM_KEY_BYTES, sizeof(*salt));
	}
	OPENSSL_cleanse(out, sizeof(out));
	return ok ? 0 : -EIO;
}

static int give(struct rekey *rk, uint64_t epoch, char *why, size_t whylen)
{
	struct ldm_session_rekey k = { .epoch = epoch };
	int err;

	err = rekey_derive(rk->secret, epoch, k.key, &k.salt);
	if (!err)
		err = ioctl(rk->fd, LDM_IOC_SESSION_REKEY, &k) ? -errno : 0;
	OPENSSL_cleanse(&k, sizeof(k));
	if (err)
		snprintf(why, whylen,
			 "cannot give the module the key of epoch %llu: %s",
			 (unsigned long long)epoch,
			 err == -EIO ? "key derivation failed" : strerror(-err));
	return err;
}

int rekey_upto(struct rekey *rk, uint64_t seq, uint64_t ahead, char *why,
	       size_t whylen)
{
	uint64_t want = (seq >> rk->shift) + ahead;
	int err;

	if (want < rk->next)
		return 0;
	if (rk->fd < 0 || want > rk->next + 1) {
		snprintf(why, whylen,
			 "batch %llu is in key epoch %llu, more than two past the newest key's (%llu)",
			 (unsigned long long)seq,
			 (unsigned long long)(seq >> rk->shift),
			 (unsigned long long)(rk->next - 1));
		return -ERANGE;
	}
	for (; rk->next <= want; rk->next++) {
		err = give(rk, rk->next, why, whylen);
		if (err)
			return err;
	}
	return 0;
}

uint32_t rekey_shift_max(uint32_t batch_bytes)
{
	uint64_t slot = sizeof(struct ldm_batch_hdr) + (uint64_t)batch_bytes +
			LDM_TAG_BYTES;
	uint32_t order = 0;

	while ((1ull << order) < slot)
		order++;
	return LDM_EPOCH_BYTES_SHIFT - order;
}

void rekey_wipe(struct rekey *rk)
{
	OPENSSL_cleanse(rk->secret, sizeof(rk->secret));
	rk->fd = -1;
}
