/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Admission of connections by 'ldmctl serve', in the spirit of OpenSSH's
 * MaxStartups, PerSourceMaxStartups and LoginGraceTime. Anyone who can
 * reach serve's port can open connections; only an authenticated source
 * may hold a migration slot. So there are two budgets:
 *
 *   startups    connections not authenticated yet (a TLS handshake, and
 *               with passwords the HELLO that carries one), at most
 *               @per_addr of them from one address (an IPv6 source counts
 *               by its /64), each given @handshake_ms to authenticate;
 *   migrations  authenticated migrations, which no unauthenticated
 *               connection can take.
 *
 * A connection over the startups budget is refused before anything is
 * spent on it (no process). When the budget is full, a connection from an
 * address holding less than its share is admitted in place of the oldest
 * unauthenticated connection of the address that holds the most, so that
 * a few flooding addresses cannot lock everybody else out; only an
 * attacker with more addresses than the budget has slots can, and then
 * only for @handshake_ms at a time. An authenticated connection that finds
 * every migration slot taken is told "busy".
 *
 * Pure logic: the caller gives the clock and the addresses and carries
 * out the verdicts (fork, close, kill), so all of it is unit-tested with
 * made-up clocks and addresses.
 */
#ifndef LDMCTL_ADMIT_H
#define LDMCTL_ADMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADMIT_DEFAULT_STARTUPS		32
#define ADMIT_DEFAULT_PER_ADDR		8
#define ADMIT_DEFAULT_MIGRATIONS	16
#define ADMIT_DEFAULT_HANDSHAKE_S	10
/* serve holds a descriptor for each startup: well under RLIMIT_NOFILE. */
#define ADMIT_MAX_STARTUPS		256
#define ADMIT_MAX_MIGRATIONS		1024

/*
 * The child serving a connection gives up by itself at @handshake_ms and
 * says why; serve kills what is left this much later (a child stuck, or
 * too slow to notice).
 */
#define ADMIT_KILL_GRACE_MS		1000
/* An authenticated source turned away "busy": the time to tell it so. */
#define ADMIT_REFUSE_GRACE_MS		3000

struct admit_limits {
	uint32_t startups;	/* unauthenticated connections at once */
	uint32_t per_addr;	/* of which from one address */
	uint32_t migrations;	/* authenticated migrations at once */
	int64_t handshake_ms;	/* from the accept to authenticated */
};

/* What counts as one address: IPv4, an IPv6 /64, or anything else. */
struct admit_addr {
	uint8_t family;		/* 4, 6, or 0 (another family: one bucket) */
	uint8_t a[16];		/* IPv4: 4 bytes; IPv6: the /64; zeros after */
};

enum admit_state {
	ADMIT_FREE,
	ADMIT_PREAUTH,		/* not authenticated: counts in startups */
	ADMIT_REFUSING,		/* authenticated, turned away busy: startups */
	ADMIT_MIGRATING,	/* authenticated: counts in migrations */
	ADMIT_DYING,		/* killed, not reaped yet: counts nowhere */
};

struct admit_slot {
	enum admit_state state;
	struct admit_addr addr;
	uint32_t same;		/* startups of this address, itself included */
	int64_t since_ms;	/* accepted */
	int64_t deadline_ms;	/* PREAUTH, REFUSING: to be killed from then */
};

struct admit {
	struct admit_limits lim;
	struct admit_slot *slot;
	uint32_t nslots;
	uint32_t startups;	/* PREAUTH and REFUSING slots */
	uint32_t migrations;	/* MIGRATING slots */
};

/*
 * admit_init() - an empty controller for @l (startups 1..ADMIT_MAX_STARTUPS,
 * per_addr 1..startups, migrations 1..ADMIT_MAX_MIGRATIONS, handshake_ms
 * positive). It has room for every slot of both budgets and as many again
 * for killed connections not reaped yet.
 * Return: 0, -EINVAL for limits out of range, -ENOMEM.
 */
int admit_init(struct admit *a, const struct admit_limits *l);
void admit_free(struct admit *a);

/* The address @sa counts as (an IPv4-mapped IPv6 address as IPv4). */
void admit_addr_from(struct admit_addr *k, const struct sockaddr *sa);

enum admit_verdict {
	ADMIT_IN,		/* admitted, in *slot */
	ADMIT_IN_EVICTING,	/* admitted in place of *evicted: kill that one
				 * and admit_kill() it */
	ADMIT_OUT_ADDR,		/* refused: its address has per_addr already */
	ADMIT_OUT_FULL,		/* refused: startups all taken, none unfairly */
};

/*
 * admit_connection() - a new connection from @k at @now: admitted into
 * *@slot as PREAUTH (its deadline @now + handshake_ms +
 * ADMIT_KILL_GRACE_MS), or refused. With ADMIT_IN_EVICTING, *@evicted is
 * the oldest unauthenticated connection of the address holding the most,
 * already counted out (ADMIT_DYING): the caller kills it.
 */
enum admit_verdict admit_connection(struct admit *a, const struct admit_addr *k,
				    int64_t now, int *slot, int *evicted);

/* How many startups @k holds. */
uint32_t admit_addr_count(const struct admit *a, const struct admit_addr *k);

/*
 * admit_authenticated() - the connection in @slot has authenticated.
 * Return: true if it now holds a migration slot; false if every one is
 * taken (*@running of them): it is REFUSING, still in startups, until
 * ADMIT_REFUSE_GRACE_MS from @now, time to tell the source. False too for
 * a slot that is not PREAUTH (killed meanwhile), with *@running 0.
 */
bool admit_authenticated(struct admit *a, int slot, int64_t now,
			 uint32_t *running);

/*
 * admit_expired() - a PREAUTH or REFUSING slot whose deadline has come at
 * @now, or -1. The caller kills it and admit_kill()s it, then asks again.
 */
int admit_expired(const struct admit *a, int64_t now);

/* The earliest deadline of any slot, or INT64_MAX. */
int64_t admit_next_deadline(const struct admit *a);

/* @slot was killed: out of every budget, its index kept until reaped. */
void admit_kill(struct admit *a, int slot);

/* @slot's process was reaped: the slot is free. */
void admit_release(struct admit *a, int slot);

/*
 * Refusals of unauthenticated connections are logged at most once every
 * ADMIT_QUIET_MS; those in between are only counted, so that a flood
 * cannot flood the log too.
 */
#define ADMIT_QUIET_MS			1000

struct admit_quiet {
	int64_t last_ms;	/* when a line was last logged */
	uint32_t held;		/* refusals not logged since */
	bool logged;		/* any line yet */
};

/*
 * admit_quiet_log() - a refusal at @now: true if it is to be logged, with
 * *@held the refusals not logged before it (then counted from zero again);
 * false if it is only counted.
 */
bool admit_quiet_log(struct admit_quiet *q, int64_t now, uint32_t *held);

/*
 * admit_quiet_flush() - true when refusals were held and ADMIT_QUIET_MS
 * has passed since the last line: log *@held of them in one line now.
 */
bool admit_quiet_flush(struct admit_quiet *q, int64_t now, uint32_t *held);

#endif /* LDMCTL_ADMIT_H */
