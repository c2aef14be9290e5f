/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The source's data pump: batches go from the sending ring, where the
 * module sealed them, straight onto the data streams with send() from the
 * mapped slot (no copy, no second encryption), in ring order spread over
 * the streams, and each slot is released once its batch is on the wire.
 */
#ifndef LDMCTL_SEND_H
#define LDMCTL_SEND_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/ldm.h>

#include "ctl.h"
#include "mig.h"
#include "proto.h"

struct rekey;

struct send_stream {
	int fd;
	bool busy;		/* a batch is being sent */
	uint64_t seq;		/* its ring sequence number */
	uint32_t off, len;
};

struct sender {
	struct uring *ring;
	struct ctl *ctl;		/* watched for the target's ABORT */
	struct rekey *rk;		/* keys after the first; NULL: none */
	int postcopy_fd;		/* post-copy: the session's file; -1 */
	uint64_t page_reqs;		/* post-copy: pages the target asked for */
	struct send_stream st[PROTO_STREAMS_MAX];
	uint32_t nstreams;
	uint64_t next;			/* next ring slot to hand out */
	uint64_t cons;			/* slots released */
	uint8_t sent[LDM_RING_SLOTS_MAX];	/* per slot: all on the wire */
	uint64_t bandwidth;		/* bytes/s, 0: unlimited */
	double bucket;			/* bytes allowed now */
	uint64_t bucket_ns;
	uint64_t wire_bytes;		/* total on the data streams */
	int timeout_ms;			/* no progress for this long: fail */
	volatile sig_atomic_t *cancel;
	uint32_t abort_code;		/* the target's, on -ECONNABORTED */
	bool round_end_out;		/* the round-end batch was handed out */
	bool target_qemu_ready;		/* QEMU_READY came (see proto.h) */
	char why[600];
};

/* Progress, the adaptive codec's measurements: 10 a second. */
#define SEND_TICK_MS	100

struct round_result {
	uint64_t batches;		/* the round-end batch included */
	uint64_t records;
	uint64_t bytes;			/* on the wire */
};

/*
 * sender_round() - send every batch of round @round, up to and including
 * its round-end batch. @tick is called every %SEND_TICK_MS or so.
 * Return: 0; -ECANCELED (cancel flag); -ECONNABORTED (the target sent
 * ABORT: why, abort_code); -EIO (the session failed in the module);
 * -ETIMEDOUT (no progress for timeout_ms); -EPROTO or -errno of a stream
 * or of the control connection (why).
 */
int sender_round(struct sender *s, uint32_t round,
		 void (*tick)(void *arg), void *arg, struct round_result *res);

/*
 * sender_check_ctl() - read what the target sent, without blocking: an
 * ABORT becomes -ECONNABORTED, anything else unexpected -EPROTO.
 */
int sender_check_ctl(struct sender *s);

/*
 * sender_aside() - the message in on s->ctl is one the target may send at
 * any time: a PING, or QEMU_READY (noted in target_qemu_ready). Its
 * signature is ctl_expect()'s @aside, with the sender as @arg.
 */
bool sender_aside(struct ctl *c, void *sender);

/*
 * sender_drop_round() - after a dropped connection: close the streams and
 * release every batch of round @round, up to its round-end batch, unsent,
 * so that the module finishes the round (its pages are sent again).
 * Return: 0, -EIO if the session failed, -ETIMEDOUT.
 */
int sender_drop_round(struct sender *s, uint32_t round);

#endif /* LDMCTL_SEND_H */
