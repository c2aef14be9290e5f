/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The source side of a live migration, 'ldmctl migrate' (protocol in
 * ldmctl(8) and Documentation/ldm.rst), one concern a file, in the order
 * the migration goes:
 *
 *   source_cmd.c     the command: its options, help text and exit status
 *   source_run.c     one migration from start to end; failure and undoing
 *   source_ctl.c     the control conversation: TLS, HELLO/WELCOME, keys,
 *                    the data streams
 *   source_rounds.c  the pre-copy rounds, the suspension, the final round
 *   source_qemu.c    --qmp: the source QEMU and its device state
 *   source_commit.c  the device state and COMMIT behind the final round,
 *                    its acknowledgement, --verify, the target's answer
 *   source_resume.c  --reconnect: a connection lost during pre-copy
 *
 * The batches themselves go out through send.c; the control messages
 * through ctl.c, which the target (target.h) uses too.
 *
 * Every function returns 0 or a negative errno (report.h); a failure is
 * reported once, where it is found, with source_fail(), and turned into
 * an exit status only by the command, in source_cmd.c.
 */
#ifndef LDMCTL_SOURCE_H
#define LDMCTL_SOURCE_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "adapt.h"
#include "addr.h"
#include "converge.h"
#include "ctl.h"
#include "domain.h"
#include "ldmctl.h"
#include "mig.h"
#include "progress.h"
#include "proto.h"
#include "pwfile.h"
#include "qmp.h"
#include "rekey.h"
#include "send.h"

/* Set by SIGINT, SIGTERM and SIGHUP (cancel-operation sends SIGTERM). */
extern volatile sig_atomic_t source_cancelled;

struct migrate_opts {
	bool dry_run, fips, verify, json;
	bool baseline;			/* --baseline (benchmarks) */
	bool prepared;			/* --prepared: the target exists */
	const char *pwfile;
	uint32_t workers, streams, max_rounds;
	uint64_t downtime_ms, bandwidth;
	int timeout_ms;
	uint16_t port;
	const char *cert, *key, *trust_dir;
	pid_t pause_pid;
	uint32_t compress;		/* --compress: LDM_CODEC_*, 0: auto */
	bool no_force;			/* refuse what cannot meet the limit */
	uint32_t reconnect_s;		/* --reconnect: 0 off */
	uint32_t dirty_limit;		/* --dirty-limit N: pages/s, 0 none */
	bool dirty_auto;		/* --dirty-limit auto */
	uint32_t rekey_shift;		/* --rekey-batches: its log2 */
	bool postcopy;			/* --postcopy */
	const char *qmp;		/* --qmp: the source QEMU's QMP socket */
	const char *domain;
	const char *dest_arg;
	struct mig_dest dest;
};

/* Everything one migration holds, so that one function can undo it. */
struct migration {
	const struct subcommand *cmd;
	struct migrate_opts o;
	const char *target;		/* TARGET, or the source's name */
	char dest_str[300];		/* "host:target" for messages */
	struct progress pr;
	struct ldm_genl *g;
	struct ldm_domain_info info;
	int lock_fd;
	SSL_CTX *ctx;
	struct ctl ctl;
	bool ctl_up;
	char password[PW_MAX + 1];
	uint8_t key[LDM_KEY_BYTES];
	uint8_t token[PROTO_TOKEN_BYTES];
	uint32_t salt;
	struct rekey rk;		/* the keys after the first */
	bool session;			/* the sending session was started */
	struct uring ring;
	struct sender snd;
	bool paused;			/* the emulator got SIGSTOP */
	struct qmp qmp;			/* --qmp */
	bool qmp_up;
	bool qmp_was_running;		/* QEMU ran when we came */
	bool qmp_stopped;		/* we sent "stop" */
	bool qmp_migrating;		/* QEMU's own migration started */
	int devstate_fd;		/* QEMU writes its device state here */
	uint8_t *devstate;		/* QEMU's device state */
	size_t devstate_len;
	uint64_t devstate_t0, devstate_ns;
	uint64_t t_start, t_suspend;
	uint64_t t_connected;		/* TCP up, before the TLS handshake */
	bool suspended;
	bool outcome_unknown;
	bool postcopy_running;		/* POSTCOPY_RUNNING came: no way back */
	uint64_t t_running;		/* when */
	bool cancel_refused;		/* and a cancel was said to be refused */
	uint32_t auto_limit;		/* --dirty-limit auto: set, pages/s */
	uint32_t rounds_done;
	uint64_t batches_total;
	const char *why_final;
	uint64_t pages_done;		/* pages handled by finished rounds */
	uint64_t round_pages, round_base, last_wire;
	int64_t last_tick_ms;
	uint32_t round;
	bool final;
	/*
	 * The final round went out and its ROUND_DONE with it; the target's
	 * acknowledgement is awaited behind the COMMIT (source_commit.c).
	 */
	bool final_unacked;
	uint64_t final_batches;
	struct adapt ad;		/* the codec, chosen as it goes */
	struct conv_forecast fc;	/* after each pre-copy round */
	bool have_fc;
	uint64_t dirty_rate;		/* pages/s, the last pre-copy round's;
					 * UINT64_MAX before one ends */
	uint64_t expected_suspend_ms;	/* fc.downtime_ms when the final
					 * round was chosen; UINT64_MAX none */
	char fail_msg[900];		/* what source_fail() reported */
	struct mig_summary sum;		/* finish()'s, kept (lastmig.h) */
	bool have_sum;
	uint16_t data_port;		/* the target's, from READY */
	uint8_t ticket[32];		/* --reconnect: shown to resume */
	bool may_resume;		/* source_expect(): a loss (or silence) is SOURCE_LOST */
	uint64_t last_batches;		/* of the last acknowledged round */
	char lost_why[600];
	uint32_t resumes;
};

/*
 * run_round() (source_rounds.c), source_qemu_wait_target() and
 * source_expect(): the connection dropped, or the target fell silent,
 * where --reconnect may resume it: any wait of pre-copy. Not reported:
 * source_reconnect() decides.
 */
#define SOURCE_LOST	(-ENOLINK)

/* source_run.c */

/*
 * source_fail() - report a failure of the migration, once, with the
 * domain: on stderr, as a JSON "error" event with -j, and in the lock
 * file's status.
 * @err: what failed, a negative errno; ERR_* (report.h) for the exit
 *	 statuses of their own
 * Return: @err.
 */
int source_fail(struct migration *m, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * source_module_error() - the module refused @err: say so as every command
 * does (report_result(), with its extended ack). Return: @err.
 */
int source_module_error(struct migration *m, int err);

/* The whole migration. Return: 0 (migrated, or the dry run passed). */
int source_run(struct migration *m);

/*
 * source_keep_last() - the statistics of this migration, ended with
 * @err, kept for 'list -o status' (lastmig.h). Called before
 * source_teardown(), while the session's counters are still there, and
 * with the lock still held; not for a dry run or without the lock.
 */
void source_keep_last(struct migration *m, int err);

/* Stop everything on this side; the source domain is left as it was. */
void source_teardown(struct migration *m);

void source_wipe_secrets(struct migration *m);

/* source_ctl.c */

/* TLS 1.3 to the target, each end checking the other's certificate. */
int source_connect(struct migration *m);

/* HELLO, then the target's WELCOME: its checks and its verdict. */
int source_greet(struct migration *m, struct proto_welcome *w);

/* The batch key and salt, the stream token (and resume ticket): TLS. */
int source_derive_keys(struct migration *m);

/* The data streams to @port, each greeted with the stream token. */
int source_open_streams(struct migration *m, uint16_t port);

/*
 * source_expect() - wait for a message of @type (@what, for messages):
 * the target's ABORT is its refusal, a cancel ends the wait, either is
 * reported. SOURCE_LOST instead when m->may_resume.
 */
int source_expect(struct migration *m, uint16_t type, const char *what);

/*
 * source_postcopy_begin() - the post-copy round was started: send its
 * pages to the target and wait until the guest may run there
 * (source_postcopy.c). Return: 0 or the reported failure.
 */
int source_postcopy_begin(struct migration *m);

/*
 * source_postcopy_failed() - a failure after POSTCOPY_RUNNING: the source
 * stays suspended; reported. Return: ERR_UNKNOWN.
 */
int source_postcopy_failed(struct migration *m, const char *what);

/*
 * source_postcopy_cancel() - a cancel after POSTCOPY_RUNNING: say once
 * that it is refused; the migration goes on.
 */
void source_postcopy_cancel(struct migration *m);

/* The message in is the target's ABORT: its refusal, reported. */
int source_target_aborted(struct migration *m);

/* Send the message just encoded in @b (@enc: the encoder's result). */
int source_send(struct migration *m, struct pbuf *b, int enc);

/* Tell the target why we stop, if it can still hear it. */
void source_abort(struct migration *m, uint32_t code, const char *why);

/* source_rounds.c */

/* Pre-copy rounds until they converge, then the final round. */
int source_rounds(struct migration *m);

/* Undo the suspension on failure: the source domain runs on. */
void source_unsuspend(struct migration *m);

/* source_qemu.c */

/* Reach the source QEMU before anything moves; x-ignore-shared. */
int source_qemu_setup(struct migration *m);

/*
 * Before the final round: until the target's QEMU is ready (QEMU_READY).
 * With --reconnect a dead or silent target is SOURCE_LOST, not reported.
 */
int source_qemu_wait_target(struct migration *m);

/* QEMU stopped: its own migration starts writing its device state. */
int source_devstate_start(struct migration *m);

/* The final round out: the device state read in, into m->devstate. */
int source_devstate_collect(struct migration *m);

/* m->devstate to the target, in DEVSTATE messages. */
int source_devstate_send(struct migration *m);

/* source_commit.c */

/*
 * The final round is out: the device state and COMMIT right behind it,
 * then the target's acknowledgement of the round, --verify, and its
 * answer (ERR_UNKNOWN if lost).
 */
int source_commit(struct migration *m);

/* source_resume.c */

/* After SOURCE_LOST: reconnect and resume (0), or a reported failure. */
int source_reconnect(struct migration *m);

#endif /* LDMCTL_SOURCE_H */
