/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Batch keys renewed per epoch (ldm.h: LDM_IOC_SESSION_REKEY).
 *
 * The first key (epoch 0) comes from the TLS exporter as before. Each
 * later epoch's key and salt are HKDF-Expand (SHA-256) of an epoch secret
 * the exporter gave once, at the start, with a label that names the
 * epoch. Not the exporter itself per epoch: a --reconnect migration
 * outlives its first TLS session, and both ends must derive epoch N's key
 * alike whichever connection is current when each of them reaches N.
 *
 * The source gives its module epoch N + 1's key as it takes epoch N's
 * first batch from the ring, before that slot is released: its workers
 * are at most a ring ahead of it and an epoch is at least a ring long,
 * so they never wait for a key. The target gives epoch N's key as the
 * first batch of N arrives, before it goes into the ring.
 */
#ifndef LDMCTL_REKEY_H
#define LDMCTL_REKEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define REKEY_SECRET_BYTES	32

struct rekey {
	uint8_t secret[REKEY_SECRET_BYTES];
	uint32_t shift;			/* an epoch is 1 << shift batches */
	uint64_t next;			/* the epoch whose key the module lacks */
	int fd;				/* the session's open file; -1: none */
};

/* The exporter label of the epoch secret. */
#define TLS_LABEL_EPOCH_SECRET	"EXPORTER-ldm-epoch-secret"

/*
 * rekey_export() - take the epoch secret from the TLS session, for
 * epochs of 1 << @shift batches; no module session yet (fd -1).
 * Return: 0 or -EIO.
 */
int rekey_export(struct rekey *rk, SSL *ssl, uint32_t shift);

/*
 * rekey_attach() - the session whose open file is @fd has epoch 0's key:
 * the next one it needs is epoch 1's.
 */
void rekey_attach(struct rekey *rk, int fd);

/*
 * rekey_derive() - epoch @epoch's key and salt (@epoch >= 1). Exposed for
 * the unit tests. Return: 0 or -EIO.
 */
int rekey_derive(const uint8_t secret[REKEY_SECRET_BYTES], uint64_t epoch,
		 uint8_t *key, uint32_t *salt);

/*
 * rekey_upto() - give the module every epoch's key up to the one of
 * batch @seq plus @ahead (the source: 1, the target: 0). A batch more
 * than two epochs past the newest key is refused (-ERANGE): batches
 * arrive nearly in order. Return: 0 or -errno, with @why filled.
 */
int rekey_upto(struct rekey *rk, uint64_t seq, uint64_t ahead, char *why,
	       size_t whylen);

/* The longest epoch shift the module allows for @batch_bytes. */
uint32_t rekey_shift_max(uint32_t batch_bytes);

/* rekey_wipe() - forget the secret. */
void rekey_wipe(struct rekey *rk);

#endif /* LDMCTL_REKEY_H */
