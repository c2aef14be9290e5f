// SPDX-License-Identifier: GPL-2.0
/* Admission of connections by 'ldmctl serve'; see admit.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"

int admit_init(struct admit *a, const struct admit_limits *l)
{
	memset(a, 0, sizeof(*a));
	if (!l->startups || l->startups > ADMIT_MAX_STARTUPS ||
	    !l->per_addr || l->per_addr > l->startups || !l->migrations ||
	    l->migrations > ADMIT_MAX_MIGRATIONS || l->handshake_ms <= 0)
		return -EINVAL;
	a->lim = *l;
	/* Killed slots keep their index until reaped: room for as many. */
	a->nslots = 2 * l->startups + l->migrations;
	a->slot = calloc(a->nslots, sizeof(*a->slot));
	return a->slot ? 0 : -ENOMEM;
}

void admit_free(struct admit *a)
{
	free(a->slot);
	memset(a, 0, sizeof(*a));
}

void admit_addr_from(struct admit_addr *k, const struct sockaddr *sa)
{
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		k->family = 4;
		memcpy(k->a, &s4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *b = s6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			/* A dual-stack listener sees IPv4 sources so. */
			k->family = 4;
			memcpy(k->a, b + 12, 4);
		} else {
			/*
			 * A host is usually given a whole /64 and may use any
			 * address of it: counting addresses would count nothing.
			 */
			k->family = 6;
			memcpy(k->a, b, 8);
		}
	}
}

static bool same_addr(const struct admit_addr *x, const struct admit_addr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, sizeof(x->a));
}

static bool in_startups(enum admit_state s)
{
	return s == ADMIT_PREAUTH || s == ADMIT_REFUSING;
}

uint32_t admit_addr_count(const struct admit *a, const struct admit_addr *k)
{
	uint32_t i;

	for (i = 0; i < a->nslots; i++)
		if (in_startups(a->slot[i].state) &&
		    same_addr(&a->slot[i].addr, k))
			return a->slot[i].same;
	return 0;
}

/* The startups of @k's address changed by @delta: every one of them knows. */
static void recount(struct admit *a, const struct admit_addr *k, int delta)
{
	uint32_t i;

	for (i = 0; i < a->nslots; i++)
		if (in_startups(a->slot[i].state) &&
		    same_addr(&a->slot[i].addr, k))
			a->slot[i].same += (uint32_t)delta;
}

/* A slot leaves the budget it counts in. */
static void leave(struct admit *a, struct admit_slot *s)
{
	if (in_startups(s->state)) {
		a->startups--;
		s->state = ADMIT_FREE;	/* not counted by its own recount */
		recount(a, &s->addr, -1);
	} else if (s->state == ADMIT_MIGRATING) {
		a->migrations--;
	}
	s->same = 0;
	s->deadline_ms = 0;
}

/*
 * The victim when startups are full: the oldest unauthenticated
 * connection among those of the address holding the most.
 */
static int victim(const struct admit *a)
{
	int best = -1;
	uint32_t i;

	for (i = 0; i < a->nslots; i++) {
		const struct admit_slot *s = &a->slot[i];

		if (s->state != ADMIT_PREAUTH)
			continue;
		if (best < 0 || s->same > a->slot[best].same ||
		    (s->same == a->slot[best].same &&
		     s->since_ms < a->slot[best].since_ms))
			best = (int)i;
	}
	return best;
}

enum admit_verdict admit_connection(struct admit *a, const struct admit_addr *k,
				    int64_t now, int *slot, int *evicted)
{
	uint32_t mine = admit_addr_count(a, k), i;
	int free_slot = -1, v = -1;

	*slot = -1;
	*evicted = -1;
	if (mine >= a->lim.per_addr)
		return ADMIT_OUT_ADDR;
	if (a->startups >= a->lim.startups) {
		/*
		 * Fair shares: evict only from an address that would still
		 * hold at least as many as this one after the swap, so that
		 * two addresses never take turns evicting each other, and a
		 * source holding a single connection is never evicted by
		 * another with none.
		 */
		v = victim(a);
		if (v < 0 || a->slot[v].same < mine + 2)
			return ADMIT_OUT_FULL;
	}
	for (i = 0; i < a->nslots && free_slot < 0; i++)
		if (a->slot[i].state == ADMIT_FREE)
			free_slot = (int)i;
	/* Every index held, by connections killed but not reaped yet. */
	if (free_slot < 0)
		return ADMIT_OUT_FULL;
	if (v >= 0) {
		admit_kill(a, v);
		*evicted = v;
	}
	a->slot[free_slot] = (struct admit_slot){
		.state = ADMIT_PREAUTH,
		.addr = *k,
		.same = mine,	/* the recount adds this one */
		.since_ms = now,
		.deadline_ms = now + a->lim.handshake_ms + ADMIT_KILL_GRACE_MS,
	};
	a->startups++;
	recount(a, k, 1);
	*slot = free_slot;
	return v >= 0 ? ADMIT_IN_EVICTING : ADMIT_IN;
}

bool admit_authenticated(struct admit *a, int slot, int64_t now,
			 uint32_t *running)
{
	struct admit_slot *s;

	*running = 0;
	if (slot < 0 || (uint32_t)slot >= a->nslots)
		return false;
	s = &a->slot[slot];
	if (s->state != ADMIT_PREAUTH)
		return false;
	if (a->migrations >= a->lim.migrations) {
		*running = a->migrations;
		s->state = ADMIT_REFUSING;
		s->deadline_ms = now + ADMIT_REFUSE_GRACE_MS;
		return false;
	}
	leave(a, s);
	s->state = ADMIT_MIGRATING;
	a->migrations++;
	return true;
}

int admit_expired(const struct admit *a, int64_t now)
{
	uint32_t i;

	for (i = 0; i < a->nslots; i++)
		if (in_startups(a->slot[i].state) &&
		    a->slot[i].deadline_ms <= now)
			return (int)i;
	return -1;
}

int64_t admit_next_deadline(const struct admit *a)
{
	int64_t next = INT64_MAX;
	uint32_t i;

	for (i = 0; i < a->nslots; i++)
		if (in_startups(a->slot[i].state) &&
		    a->slot[i].deadline_ms < next)
			next = a->slot[i].deadline_ms;
	return next;
}

void admit_kill(struct admit *a, int slot)
{
	struct admit_slot *s = &a->slot[slot];

	if (s->state == ADMIT_FREE || s->state == ADMIT_DYING)
		return;
	leave(a, s);
	s->state = ADMIT_DYING;
}

void admit_release(struct admit *a, int slot)
{
	struct admit_slot *s = &a->slot[slot];

	leave(a, s);
	memset(s, 0, sizeof(*s));
}

bool admit_quiet_log(struct admit_quiet *q, int64_t now, uint32_t *held)
{
	*held = 0;
	if (q->logged && now - q->last_ms < ADMIT_QUIET_MS) {
		q->held++;
		return false;
	}
	*held = q->held;
	q->held = 0;
	q->last_ms = now;
	q->logged = true;
	return true;
}

bool admit_quiet_flush(struct admit_quiet *q, int64_t now, uint32_t *held)
{
	*held = 0;
	if (!q->held || now - q->last_ms < ADMIT_QUIET_MS)
		return false;
	*held = q->held;
	q->held = 0;
	q->last_ms = now;
	return true;
}
