// SPDX-License-Identifier: GPL-2.0
/* The target's data pump; see recv.h. */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "net.h"
#include "rekey.h"
#include "recv.h"

void receiver_init(struct receiver *r, struct uring *ring,
		   uint32_t batch_bytes)
{
	uint32_t i;

	memset(r, 0, sizeof(*r));
	r->ring = ring;
	r->batch_bytes = batch_bytes;
	for (i = 0; i < PROTO_STREAMS_MAX; i++)
		r->st[i].fd = -1;
	r->last_data_ms = now_ms();
}

void receiver_drop_streams(struct receiver *r)
{
	uint64_t s;
	uint32_t i;

	for (i = 0; i < PROTO_STREAMS_MAX; i++) {
		if (r->st[i].fd >= 0)
			close(r->st[i].fd);
		memset(&r->st[i], 0, sizeof(r->st[i]));
		r->st[i].fd = -1;
	}
	r->nstreams = 0;
	/*
	 * Slots reserved after the last published one hold batches cut
	 * short, or whole ones stuck behind those: never published, they
	 * are given back; their pages are sent again.
	 */
	for (s = r->prod; s < r->reserve; s++)
		r->filled[s & (r->ring->nslots - 1)] = 0;
	r->reserve = r->prod;
}

bool receiver_drained(const struct receiver *r)
{
	return r->prod == r->reserve &&
	       uring_load(&r->ring->hdr->cons) == r->prod;
}

/* Publish every leading filled slot and tell the module. */
static int publish(struct receiver *r)
{
	uint64_t p = r->prod;

	while (p < r->reserve && r->filled[p & (r->ring->nslots - 1)])
		r->filled[p++ & (r->ring->nslots - 1)] = 0;
	if (p == r->prod)
		return 0;
	r->prod = p;
	uring_store(&r->ring->hdr->prod, p);
	if (uring_kick(r->ring)) {
		snprintf(r->why, sizeof(r->why),
			 "the module refused the ring index: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

/* The header is in: check it and learn the batch's length. */
static int header_in(struct receiver *r, struct recv_stream *st, uint32_t i)
{
	const struct ldm_batch_hdr *h = &st->hdr;
	uint32_t payload = le32toh(h->payload_bytes);
	uint64_t len = sizeof(*h) + (uint64_t)payload + LDM_TAG_BYTES;

	if (le32toh(h->magic) != LDM_BATCH_MAGIC ||
	    le16toh(h->version) != LDM_BATCH_VERSION ||
	    payload > r->batch_bytes || len > r->ring->slot_bytes ||
	    le32toh(h->round) >= PROTO_ROUNDS_MAX) {
		snprintf(r->why, sizeof(r->why),
			 "data stream %u carried a malformed batch header", i);
		return -EBADMSG;
	}
	st->len = (uint32_t)len;
	/* Its epoch's key before the batch goes to the module. */
	if (r->rk && rekey_upto(r->rk, le64toh(h->seq), 0, r->why,
				sizeof(r->why)))
		return -EBADMSG;
	return 0;
}

/*
 * Take in what stream @i has. Returns 1 if bytes came (more may be
 * waiting), 0 if none did (or the ring is full), or -errno.
 */
static int stream_in(struct receiver *r, uint32_t i)
{
	struct recv_stream *st = &r->st[i];
	uint64_t cons = uring_load(&r->ring->hdr->cons);
	uint8_t *dst;
	size_t want;
	ssize_t n;
	int err;

	if (st->hdr_got < sizeof(st->hdr)) {
		dst = (uint8_t *)&st->hdr + st->hdr_got;
		want = sizeof(st->hdr) - st->hdr_got;
	} else {
		if (!st->has_slot) {
			/* A full ring holds the stream back; TCP pushes back. */
			if (r->reserve - cons >= r->ring->nslots)
				return 0;
			st->has_slot = true;
			st->seq = r->reserve++;
			memcpy(uring_slot(r->ring, st->seq), &st->hdr,
			       sizeof(st->hdr));
			st->off = sizeof(st->hdr);
		}
		/* The payload, straight into the ring slot: no copy. */
		dst = uring_slot(r->ring, st->seq) + st->off;
		want = st->len - st->off;
	}
	n = recv(st->fd, dst, want, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		snprintf(r->why, sizeof(r->why), "data stream %u: %s", i,
			 strerror(errno));
		return -errno;
	}
	if (!n) {
		snprintf(r->why, sizeof(r->why),
			 "data stream %u was closed by the source", i);
		return -EPIPE;
	}
	r->wire_bytes += (uint64_t)n;
	r->last_data_ms = now_ms();
	if (st->hdr_got < sizeof(st->hdr)) {
		st->hdr_got += (uint32_t)n;
		if (st->hdr_got == sizeof(st->hdr)) {
			err = header_in(r, st, i);
			if (err)
				return err;
		}
		return 1;
	}
	st->off += (uint32_t)n;
	if (st->off < st->len)
		return 1;
	r->got[le32toh(st->hdr.round)]++;
	r->filled[st->seq & (r->ring->nslots - 1)] = 1;
	st->has_slot = false;
	st->hdr_got = 0;
	err = publish(r);
	return err ? err : 1;
}

int receiver_step(struct receiver *r, int ctl_fd, int timeout_ms,
		  bool *ctl_ready)
{
	struct pollfd p[PROTO_STREAMS_MAX + 2];
	uint64_t cons = uring_load(&r->ring->hdr->cons);
	bool room = r->reserve - cons < r->ring->nslots;
	uint32_t i;
	int n, err;

	*ctl_ready = false;
	if (__atomic_load_n(&r->ring->hdr->state, __ATOMIC_ACQUIRE) ==
	    LDM_MIG_STATE_FAILED) {
		snprintf(r->why, sizeof(r->why),
			 "the receiving session failed in the module");
		return -EIO;
	}
	for (i = 0; i < r->nstreams; i++) {
		p[i].fd = r->st[i].fd;
		p[i].events = room || r->st[i].has_slot ||
			      r->st[i].hdr_got < sizeof(r->st[i].hdr) ? POLLIN : 0;
		p[i].revents = 0;
	}
	/* Wake when the module frees slots (or fails the session). */
	p[i].fd = r->ring->fd;
	p[i].events = (room ? 0 : POLLOUT) | (r->postcopy ? POLLPRI : 0);
	p[i].revents = 0;
	p[i + 1].fd = ctl_fd;
	p[i + 1].events = POLLIN;
	p[i + 1].revents = 0;
	n = poll(p, r->nstreams + 2, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	*ctl_ready = p[i + 1].revents != 0;
	if (p[i].revents & POLLPRI)
		r->asked = true;
	for (i = 0; n > 0 && i < r->nstreams; i++) {
		int k;

		if (!p[i].revents)
			continue;
		/* Take what is there, a bounded amount per stream per turn. */
		for (k = 0; k < 64; k++) {
			err = stream_in(r, i);
			if (err < 0)
				return err;
			if (!err)
				break;
		}
	}
	return 0;
}
