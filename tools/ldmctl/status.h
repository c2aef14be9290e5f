/* SPDX-License-Identifier: GPL-2.0 */
/*
 * 'ldmctl list -o status': what each domain is doing, from four sources:
 *
 *  - the module's DOMAIN_GET (its state) and MIGRATE_GET (the session:
 *    sending, receiving or failed, the error, the round, the counters,
 *    the dirty limit and what it held);
 *  - the status line of the domain's migrate lock file (oplock.h), which
 *    names the destination, the outcome of the last migrate, and, when
 *    the running migrate publishes them (status_publish()), its own
 *    progress figures, forecast and the guest's measured dirty rate;
 *  - which process holds that lock (a migrate running here);
 *  - when none does, the statistics kept of the last migration
 *    (lastmig.h, status_row_set_last()).
 *
 * Parsing, the progress estimate and the formatting are free of I/O so
 * that the unit tests can check them.
 */
#ifndef LDMCTL_STATUS_H
#define LDMCTL_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "domain.h"
#include "lastmig.h"
#include "mig.h"
#include "progress.h"

#define STATUS_UNKNOWN		UINT64_MAX	/* a figure nobody knows */
#define STATUS_PEER_MAX		300
#define STATUS_MSG_MAX		600

/* What the one line of /run/ldm/migrate/<domain>.lock says. */
enum status_line_kind {
	STATUS_LINE_NONE,	/* empty or absent */
	STATUS_LINE_RUNNING,	/* "running[: sending to PEER[; k=v ...]]" */
	STATUS_LINE_MIGRATED,	/* "migrated to PEER" */
	STATUS_LINE_FAILED,	/* "failed: MESSAGE" */
	STATUS_LINE_CANCELLED,	/* "cancelled: MESSAGE" */
	STATUS_LINE_DRY_RUN,	/* "dry run passed" */
	STATUS_LINE_OTHER,	/* anything else, kept as the message */
};

struct status_line {
	enum status_line_kind kind;
	char peer[STATUS_PEER_MAX];	/* "host:target", or "" */
	char message[STATUS_MSG_MAX];	/* failed, cancelled, other */
	bool has_progress;		/* percent= was there, all valid */
	/* The figures; STATUS_UNKNOWN when absent. */
	uint64_t round;
	uint64_t percent;
	uint64_t kbps;			/* kB/s on the wire */
	uint64_t pages_left;
	uint64_t eta_ms;
	uint64_t fc_rounds;		/* the convergence forecast */
	uint64_t fc_downtime_ms;
	uint64_t dirty_rate;		/* pages/s, the last round's */
};

/*
 * status_line_parse() - decode a lock file line. Never fails: what does
 * not parse is STATUS_LINE_OTHER with the line as the message; unknown
 * k=v keys are skipped, a malformed value drops the figures.
 */
void status_line_parse(const char *line, struct status_line *out);

/*
 * status_line_format() - the line a running migrate publishes:
 * "running: sending to PEER; round=R percent=P kbps=K pages_left=L
 * eta_ms=E fc_rounds=N fc_downtime_ms=D dirty_rate=R" (eta_ms, the
 * forecast and the dirty rate omitted when unknown). Returns @buf.
 */
char *status_line_format(char *buf, size_t size, const char *peer,
			 const struct progress_state *ps);

/* status_line_format() into the lock file @fd (oplock_status()). */
void status_publish(int fd, const char *peer, const struct progress_state *ps);

enum status_op {
	STATUS_OP_NONE,
	STATUS_OP_MIGRATE_OUT,		/* "migrate-out" */
	STATUS_OP_RECEIVE_IN,		/* "receive-in" */
};

/* One row of 'list -o status'. Unknown numbers are STATUS_UNKNOWN. */
struct status_row {
	char name[LDM_NAME_MAX];
	uint32_t state;			/* enum ldm_domain_state */
	uint32_t session;		/* enum ldm_mig_state */
	enum status_op op;
	char peer[STATUS_PEER_MAX];	/* "" unknown */
	long pid;			/* the migrate holding the lock, or 0 */
	uint64_t round;			/* 0-based, the current or last */
	uint64_t percent;		/* 0..100 */
	uint64_t kbps;
	uint64_t pages_left;
	uint64_t eta_ms;
	uint64_t fc_rounds;		/* forecast: rounds in all */
	uint64_t fc_downtime_ms;	/* forecast: the final round's */
	uint64_t dirty_rate;		/* pages/s the guest dirtied, last round */
	uint64_t dirty_limit;		/* sending: pages/s, 0 none */
	uint64_t throttled;		/* sending: write faults made to wait */
	uint64_t throttle_ms;		/* sending: their waits */
	bool estimated;			/* figures from the module's counters */
	char error[STATUS_MSG_MAX + 16];	/* "" none */
	bool has_last;			/* the last migration's statistics */
	struct lastmig last;
};

/*
 * status_row_build() - combine the sources of one domain: @mi NULL when
 * MIGRATE_GET gave nothing, @pid the lock's holder (0: none), @line the
 * lock file's line (NULL: no lock file).
 */
void status_row_build(struct status_row *r, const struct ldm_domain_info *d,
		      const struct mig_info *mi, long pid, const char *line);

/*
 * status_row_set_last() - the kept statistics of the domain's last
 * migration (lastmig.h), shown only while no migration of it runs here.
 */
void status_row_set_last(struct status_row *r, const struct lastmig *last);

/* "migrate-out", "receive-in", or NULL. */
const char *status_op_name(enum status_op op);
/* "none", "sending", "receiving", "failed", "unknown". */
const char *status_session_name(uint32_t session);

/* "42%", or "-". @buf: 8 bytes. */
char *status_format_percent(uint64_t percent, char *buf, size_t size);
/* "12.3" (MB/s from kB/s), or "-". @buf: 24 bytes. */
char *status_format_rate(uint64_t kbps, char *buf, size_t size);
/* "3 rounds, 120 ms", "4 rounds", or "-". @buf: 64 bytes. */
char *status_format_forecast(uint64_t rounds, uint64_t downtime_ms,
			     char *buf, size_t size);
/* "none", "200/s", "200/s, 35 waits", or "-". @buf: 64 bytes. */
char *status_format_throttle(uint64_t limit, uint64_t throttled, char *buf,
			     size_t size);
/*
 * The LAST column: "succeeded in 12.3 s, down 85 ms (forecast 60 ms), 4
 * rounds", or "-". @buf: 128 bytes.
 */
char *status_format_last(const struct status_row *r, char *buf, size_t size);
/* "0:05", "1:00:00", or "-". @buf: 24 bytes. */
char *status_format_eta(uint64_t eta_ms, char *buf, size_t size);

/* The renderings; 0 or a negative errno. */
int status_print_table(FILE *f, const struct status_row *rows, size_t n);
int status_print_json(FILE *f, const struct status_row *rows, size_t n);

#endif /* LDMCTL_STATUS_H */
