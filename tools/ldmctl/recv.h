/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The target's data pump: each data stream's bytes are received straight
 * into a slot of the receiving ring (recv() into the mapped slot, no
 * copy), and a slot is handed to the module once its batch is whole.
 * Slots are reserved as streams have data, filled in any order, and
 * published in order; the module verifies and applies them.
 *
 * What arrives is untrusted: a batch header is checked (magic, version,
 * length within the batch size and the slot) before a byte of its payload
 * is read, and the module authenticates the rest.
 */
#ifndef LDMCTL_RECV_H
#define LDMCTL_RECV_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/ldm.h>

#include "mig.h"
#include "proto.h"

struct rekey;

struct recv_stream {
	int fd;
	bool has_slot;
	uint64_t seq;
	uint32_t off, len;	/* in the slot, once the header is in */
	/*
	 * The header is read here first (32 bytes), so that a slot is
	 * reserved only for a batch that has begun to arrive: an empty
	 * reservation would hold back the slots after it.
	 */
	struct ldm_batch_hdr hdr;
	uint32_t hdr_got;
};

struct receiver {
	struct uring *ring;
	struct rekey *rk;		/* keys after the first; NULL: none */
	bool postcopy;			/* watch for faults' requests */
	bool asked;			/* out: the ring's file said EPOLLPRI */
	struct recv_stream st[PROTO_STREAMS_MAX];
	uint32_t nstreams;
	uint32_t batch_bytes;
	uint64_t reserve;		/* next slot to hand to a stream */
	uint64_t prod;			/* slots published to the module */
	uint8_t filled[LDM_RING_SLOTS_MAX];
	uint64_t got[PROTO_ROUNDS_MAX];	/* batches received, by round */
	uint64_t wire_bytes;
	int64_t last_data_ms;
	char why[300];
};

void receiver_init(struct receiver *r, struct uring *ring,
		   uint32_t batch_bytes);

/*
 * receiver_step() - wait up to @timeout_ms for data on the streams, for
 * free slots, or for @ctl_fd (the control connection), and take in what
 * came.
 * @ctl_ready: out: @ctl_fd is readable
 * Return: 0; -EIO if the session failed in the module; -EPIPE if the
 * source closed a stream; -EBADMSG for a malformed batch header; -errno.
 * r->why says which.
 */
int receiver_step(struct receiver *r, int ctl_fd, int timeout_ms,
		  bool *ctl_ready);

/*
 * receiver_drop_streams() - close every stream and give back the slots
 * not yet published (batches cut short by a dropped connection).
 */
void receiver_drop_streams(struct receiver *r);

/* Every published slot was processed by the module. */
bool receiver_drained(const struct receiver *r);

#endif /* LDMCTL_RECV_H */
