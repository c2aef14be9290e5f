// SPDX-License-Identifier: GPL-2.0
/* The source's data pump; see send.h. */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "rekey.h"
#include "send.h"

#define BUCKET_BURST	(256.0 * 1024)

/*
 * Post-copy: the target's faults wait for these pages; the module sends
 * them ahead of the round (LDM_IOC_URGENT), in its chunks. Pages the
 * module does not take are on their way already, or outside the round.
 */
static bool page_req(struct sender *s, struct ctl *c)
{
	struct ldm_postcopy_requests rq;
	struct proto_sums *m = malloc(sizeof(*m));
	uint32_t i, n;

	if (!m || proto_get_words(c->payload, c->len, m) || m->first) {
		free(m);
		return false;
	}
	for (i = 0; i < m->count; i += n) {
		n = m->count - i < LDM_POSTCOPY_REQ_MAX ? m->count - i :
		    LDM_POSTCOPY_REQ_MAX;
		memset(&rq, 0, sizeof(rq));
		memcpy(rq.pages, m->sums + i, n * sizeof(rq.pages[0]));
		rq.count = n;
		/* A round that ended meanwhile sent them all: EINVAL. */
		if (!ioctl(s->postcopy_fd, LDM_IOC_URGENT, &rq))
			s->page_reqs += rq.count;
	}
	free(m);
	return true;
}

bool sender_aside(struct ctl *c, void *sender)
{
	struct sender *s = sender;

	if (c->type == PROTO_MSG_PAGE_REQ && s->postcopy_fd >= 0)
		return page_req(s, c);
	if (c->type == PROTO_MSG_QEMU_READY &&
	    !proto_get_empty(c->payload, c->len)) {
		s->target_qemu_ready = true;
		return true;
	}
	return c->type == PROTO_MSG_PING;
}

int sender_check_ctl(struct sender *s)
{
	struct proto_abort ab;
	int ret;

	ret = ctl_pump(s->ctl);
	if (ret < 0) {
		snprintf(s->why, sizeof(s->why), "control connection: %s",
			 s->ctl->why);
		return ret;
	}
	if (!ret)
		return 0;
	if (s->ctl->type == PROTO_MSG_ABORT &&
	    !proto_get_abort(s->ctl->payload, s->ctl->len, &ab)) {
		s->abort_code = ab.code;
		snprintf(s->why, sizeof(s->why), "%s", ab.reason);
		return -ECONNABORTED;
	}
	if (sender_aside(s->ctl, s)) {
		ctl_next(s->ctl);
		return 0;
	}
	snprintf(s->why, sizeof(s->why),
		 "unexpected %s message from the target during a round",
		 proto_msg_name(s->ctl->type));
	return -EPROTO;
}

/* Batch @seq is taken from the ring: its next epoch's key to the module. */
static int sender_rekey(struct sender *s, uint64_t seq)
{
	return s->rk ? rekey_upto(s->rk, seq, 1, s->why, sizeof(s->why)) : 0;
}

/* Give an idle stream the next batch; 1 if one was handed out. */
static int assign(struct sender *s, struct send_stream *st, uint64_t prod,
		  uint32_t round, struct round_result *res, bool *end_seen)
{
	const struct ldm_batch_hdr *h;
	uint32_t payload;
	uint64_t len;
	int err;

	if (*end_seen || s->next == prod)
		return 0;
	h = (const void *)uring_slot(s->ring, s->next);
	payload = le32toh(h->payload_bytes);
	len = sizeof(*h) + (uint64_t)payload + LDM_TAG_BYTES;
	if (le32toh(h->magic) != LDM_BATCH_MAGIC || len > s->ring->slot_bytes) {
		snprintf(s->why, sizeof(s->why),
			 "the module produced a malformed batch (sequence %llu)",
			 (unsigned long long)s->next);
		return -EPROTO;
	}
	if (le32toh(h->round) != round) {
		snprintf(s->why, sizeof(s->why),
			 "batch of round %u in round %u", le32toh(h->round),
			 round);
		return -EPROTO;
	}
	/* The next epoch's key before this slot can be released. */
	err = sender_rekey(s, s->next);
	if (err)
		return err;
	st->busy = true;
	st->seq = s->next;
	st->off = 0;
	st->len = (uint32_t)len;
	s->sent[s->next & (s->ring->nslots - 1)] = 0;
	res->batches++;
	res->records += le32toh(h->nrecords);
	if (le16toh(h->flags) & LDM_BATCH_F_ROUND_END) {
		*end_seen = true;
		s->round_end_out = true;
	}
	s->next++;
	return 1;
}

/* Release every leading slot whose batch is on the wire. */
static void release(struct sender *s)
{
	uint64_t c = s->cons;

	while (c < s->next && s->sent[c & (s->ring->nslots - 1)])
		c++;
	if (c == s->cons)
		return;
	s->cons = c;
	uring_release(s->ring, c);
}

static void refill(struct sender *s)
{
	uint64_t now = now_ns();

	if (!s->bandwidth)
		return;
	s->bucket += (double)(now - s->bucket_ns) * (double)s->bandwidth / 1e9;
	if (s->bucket > BUCKET_BURST)
		s->bucket = BUCKET_BURST;
	s->bucket_ns = now;
}

int sender_round(struct sender *s, uint32_t round,
		 void (*tick)(void *arg), void *arg, struct round_result *res)
{
	struct pollfd p[PROTO_STREAMS_MAX + 2];
	int64_t last_progress = now_ms(), last_tick = 0;
	bool end_seen = false;
	uint32_t i;
	int ret;

	memset(res, 0, sizeof(*res));
	s->round_end_out = false;
	/* The last message (an acknowledgement) was dealt with. */
	ctl_next(s->ctl);
	if (s->bandwidth && !s->bucket_ns) {
		s->bucket_ns = now_ns();
		s->bucket = BUCKET_BURST;
	}
	for (;;) {
		uint64_t prod = uring_load(&s->ring->hdr->prod);
		bool busy = false;
		int timeout = SEND_TICK_MS, n;

		if (*s->cancel)
			return -ECANCELED;
		if (__atomic_load_n(&s->ring->hdr->state, __ATOMIC_ACQUIRE) ==
		    LDM_MIG_STATE_FAILED) {
			snprintf(s->why, sizeof(s->why),
				 "the sending session failed in the module");
			return -EIO;
		}
		for (i = 0; i < s->nstreams; i++) {
			if (!s->st[i].busy) {
				ret = assign(s, &s->st[i], prod, round, res,
					     &end_seen);
				if (ret < 0)
					return ret;
				if (ret)
					last_progress = now_ms();
			}
			busy |= s->st[i].busy;
		}
		if (end_seen && !busy && s->cons == s->next)
			return 0;

		refill(s);
		for (i = 0; i < s->nstreams; i++) {
			p[i].fd = s->st[i].fd;
			p[i].events = s->st[i].busy &&
				      (!s->bandwidth || s->bucket >= 1) ?
				      POLLOUT : 0;
			p[i].revents = 0;
		}
		if (s->bandwidth && s->bucket < 1)
			timeout = 5;
		/* The ring: wake when the module publishes batches. */
		p[i].fd = s->ring->fd;
		p[i].events = s->next == prod && !end_seen ? POLLIN : 0;
		p[i].revents = 0;
		p[i + 1].fd = s->ctl->fd;
		p[i + 1].events = POLLIN;
		p[i + 1].revents = 0;
		if (ctl_pending(s->ctl))
			timeout = 0;
		n = poll(p, s->nstreams + 2, timeout);
		if (n < 0 && errno != EINTR) {
			snprintf(s->why, sizeof(s->why), "poll: %s",
				 strerror(errno));
			return -errno;
		}
		if (n > 0 && (p[i + 1].revents || ctl_pending(s->ctl))) {
			ret = sender_check_ctl(s);
			if (ret)
				return ret;
		}
		for (i = 0; n > 0 && i < s->nstreams; i++) {
			struct send_stream *st = &s->st[i];
			size_t want;
			ssize_t w;

			if (!(p[i].revents & (POLLOUT | POLLERR | POLLHUP)))
				continue;
			want = st->len - st->off;
			if (s->bandwidth && want > s->bucket)
				want = (size_t)s->bucket;
			if (!want)
				continue;
			/* Straight from the mapped slot: no copy. */
			w = send(st->fd, uring_slot(s->ring, st->seq) + st->off,
				 want, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				snprintf(s->why, sizeof(s->why),
					 "data stream %u: %s", i, strerror(errno));
				return -errno;
			}
			st->off += (uint32_t)w;
			s->wire_bytes += (uint64_t)w;
			res->bytes += (uint64_t)w;
			if (s->bandwidth)
				s->bucket -= (double)w;
			last_progress = now_ms();
			if (st->off == st->len) {
				st->busy = false;
				s->sent[st->seq & (s->ring->nslots - 1)] = 1;
			}
		}
		release(s);
		if (now_ms() - last_progress > s->timeout_ms) {
			snprintf(s->why, sizeof(s->why),
				 "no progress for %d s: the target or the network does not respond",
				 s->timeout_ms / 1000);
			return -ETIMEDOUT;
		}
		if (tick && now_ms() - last_tick >= SEND_TICK_MS) {
			last_tick = now_ms();
			tick(arg);
		}
	}
}

int sender_drop_round(struct sender *s, uint32_t round)
{
	int64_t deadline = now_ms() + s->timeout_ms;
	bool end = s->round_end_out;
	uint32_t i;

	for (i = 0; i < PROTO_STREAMS_MAX; i++) {
		if (s->st[i].fd >= 0)
			close(s->st[i].fd);
		memset(&s->st[i], 0, sizeof(s->st[i]));
		s->st[i].fd = -1;
	}
	s->nstreams = 0;
	for (;;) {
		uint64_t prod = uring_load(&s->ring->hdr->prod);
		struct pollfd p = { .fd = s->ring->fd, .events = POLLIN };

		/* Batches handed out or not, none will be sent now. */
		while (!end && s->next < prod) {
			const struct ldm_batch_hdr *h =
				(const void *)uring_slot(s->ring, s->next);
			int err = sender_rekey(s, s->next++);

			if (err)
				return err;
			end = (le16toh(h->flags) & LDM_BATCH_F_ROUND_END) &&
			      le32toh(h->round) == round;
		}
		s->cons = s->next;
		uring_release(s->ring, s->cons);
		if (end)
			return 0;
		if (__atomic_load_n(&s->ring->hdr->state, __ATOMIC_ACQUIRE) ==
		    LDM_MIG_STATE_FAILED) {
			snprintf(s->why, sizeof(s->why),
				 "the sending session failed in the module");
			return -EIO;
		}
		if (now_ms() > deadline) {
			snprintf(s->why, sizeof(s->why),
				 "round %u did not end within %d s", round,
				 s->timeout_ms / 1000);
			return -ETIMEDOUT;
		}
		poll(&p, 1, 100);
	}
}
