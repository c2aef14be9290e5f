/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The target side of live migration, 'ldmctl serve', one concern a file,
 * in the order a migration comes in:
 *
 *   target_cmd.c     the command: its options, help text and exit status
 *   serve_loop.c     the daemon: accept, admit (admit.h), one child
 *                    process per connection, reap, clean up after the dead
 *   target_run.c     one incoming migration in its child, from the TLS
 *                    handshake to the end; the new domain, and discarding it
 *   target_ctl.c     the control conversation: messages, the checks of a
 *                    HELLO (WELCOME), the data streams
 *   target_rounds.c  the rounds, received by recv.c, acknowledged
 *   target_qemu.c    --qmp-dir: the target QEMU and the device state
 *   target_commit.c  the device state (fed to QEMU at once), COMMIT,
 *                    --verify, COMMITTED
 *   target_resume.c  a source that lost its connection and comes back
 *
 * The control messages go through ctl.c, as the source's (source.h) do.
 * Every function returns 0 or a negative errno (report.h); a failure is
 * told to the source (target_abort()) and logged where it is found.
 */
#ifndef LDMCTL_TARGET_H
#define LDMCTL_TARGET_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "addr.h"
#include "ctl.h"
#include "ldmctl.h"
#include "mig.h"
#include "proto.h"
#include "qmp.h"
#include "recv.h"
#include "rekey.h"

struct serve_opts {
	char host[ADDR_HOST_MAX + 1];
	uint16_t port;
	const char *cert, *key, *trust_dir, *pwfile;
	const char *qmp_dir;		/* target QEMUs' sockets: DIR/<name>.qmp */
	const char *on_receive;		/* sh -c CMD once a domain is made */
	bool fips;
	uint32_t workers;
	int timeout_ms;
	/* Admission (admit.h): before and after authentication. */
	uint32_t max_startups, max_per_addr, max_migrations;
	int handshake_ms;
};

/* One incoming migration, in its child process. */
struct incoming {
	const struct serve_opts *o;
	char peer[64];
	char *pwtext;			/* the check file, if -p */
	struct ldm_genl *g;
	struct ctl ctl;
	bool ctl_up;
	struct proto_hello hello;
	uint64_t page_size;
	bool marked, created, session;
	struct uring ring;
	struct receiver rx;
	int data_fd;
	uint8_t key[LDM_KEY_BYTES], token[PROTO_TOKEN_BYTES];
	uint32_t salt;
	struct rekey rk;		/* the keys after the first */
	uint64_t *pc_words;		/* post-copy: the pages to come, so far */
	size_t pc_got;			/* words of it in */
	bool postcopy;			/* marked: the guest may run here */
	uint64_t page_reqs;		/* pages its faults asked for */
	uint64_t expected[PROTO_ROUNDS_MAX];	/* from ROUND_DONE */
	uint32_t rounds_acked;
	bool final_acked;
	uint64_t t_start;
	uint8_t *devstate;		/* QEMU's device state, from the source */
	size_t devstate_len;
	struct qmp qmp;			/* the target QEMU, --qmp-dir */
	bool qmp_up;
	int devstate_fd;		/* armed: the pipe the QEMU loads from */
	bool qemu_ready_sent;		/* QEMU_READY on this control link */
	int64_t next_arm_ms;		/* when to look for the QEMU again */
	SSL_CTX *ctx;			/* for a resumed control connection */
	bool resumable;			/* HELLO asked to wait for a reconnect */
	uint8_t ticket[32];		/* what the reconnect must show */
	uint32_t resumes;
	uint64_t cut_batches;		/* applied from rounds that were cut */
};

/*
 * Between serve and the child serving a connection, on a socketpair: the
 * child says AUTHENTICATED once it is; serve answers GO (a migration slot
 * is the child's) or BUSY (none free: @running of @max are taken).
 */
enum admit_msg_type { ADMIT_MSG_AUTHENTICATED = 1, ADMIT_MSG_GO, ADMIT_MSG_BUSY };

struct admit_msg {
	uint32_t type;
	uint32_t running, max;
};

/* Set by SIGTERM (and SIGINT in serve itself): stop, and clean up. */
extern volatile sig_atomic_t serve_stopping;

/* serve_loop.c */

/*
 * serve_log() - one line on stderr, "ldmctl: serve: HH:MM:SS PEER: ...",
 * in one write: many processes log at once. @peer may be NULL.
 */
void serve_log(const char *peer, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * serve_warn() - serve_log() at the journal's warning level (both go to
 * stderr; under systemd's journal, serve_log() lines are "info").
 */
void serve_warn(const char *peer, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Accept and admit connections until SIGTERM. SIGHUP reloads the TLS
 * context (certificate, key, trust directory) and the password check
 * file; *@ctx and *@pwtext are then the new ones, for the caller to free.
 * Return: 0 or -errno.
 */
int serve_loop(const struct subcommand *cmd, const struct serve_opts *o,
	       SSL_CTX **ctx, char **pwtext);

/* target_run.c */

/*
 * target_run() - serve the connection @fd from @peer, in its own child
 * process, to the end of its migration; @admit_fd is the socket to ask
 * serve for a migration slot on. Return: 0 (committed, or the dry run
 * answered), ERR_REFUSED, ERR_BUSY, or another -errno.
 */
int target_run(const struct serve_opts *o, SSL_CTX *ctx, int fd,
	       const char *peer, char *pwtext, int admit_fd);

/* The half-made domain goes: session, ring, domain, marker. */
void target_discard(struct incoming *in);

/* target_ctl.c */

/* Log why, and tell the source (if it can still hear it): ABORT. */
void target_abort(struct incoming *in, uint32_t code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Send the message just encoded in @b (@enc: the encoder's result). */
int target_send(struct incoming *in, struct pbuf *b, int enc);

/*
 * target_expect_within() - a message of @type within @timeout_ms: an
 * ABORT is the source's, logged (-ECONNABORTED); another message is a
 * protocol error, told to the source (-EPROTO); serve stopping, -EINTR.
 */
int target_expect_within(struct incoming *in, uint16_t type, int timeout_ms);

/* target_expect_within() with --timeout. */
int target_expect(struct incoming *in, uint16_t type);

/* The message in is the source's ABORT: log it. Return: -ECONNABORTED. */
int target_source_aborted(struct incoming *in);

/* Everything the source asked in its HELLO, checked; nothing changed. */
void target_judge(struct incoming *in, struct proto_welcome *w);

/* Accept the streams; a connection without this session's token is dropped. */
int target_accept_streams(struct incoming *in);

/* target_rounds.c */

/* Rounds until the final one is acknowledged. */
int target_rounds(struct incoming *in);

/* target_commit.c */

/* Device state, COMMIT, --verify, COMMITTED: the domain is kept. */
int target_commit(struct incoming *in);

/* target_resume.c */

/* The source was lost (@why): wait for it to resume, or -ETIMEDOUT. */
int target_resume_wait(struct incoming *in, const char *why);

/* target_qemu.c */

/* During the rounds: arm the target QEMU once it is up; QEMU_READY. */
int target_qemu_poll(struct incoming *in);

/* The source's device state, in DEVSTATE messages, into in->devstate. */
int target_devstate_receive(struct incoming *in);

/* Feed it to the target QEMU, which starts loading it. */
int target_devstate_feed(struct incoming *in);

/* Wait until QEMU has loaded it; it stays paused until the commit. */
int target_devstate_loaded(struct incoming *in);

/* After a failure: the target QEMU quits, so that the domain can go. */
void target_qemu_quit(struct incoming *in);

/*
 * target_postcopy_chunk() - the POSTCOPY message in: its words; with the
 * last, mark the pages missing and answer POSTCOPY_RUNNING. Return: 0 or
 * -errno, the source told.
 */
int target_postcopy_chunk(struct incoming *in);

/*
 * target_postcopy_requests() - the pages faults ask for, to the source
 * as PAGE_REQ, when the ring's file said so. Return: 0 or -errno.
 */
int target_postcopy_requests(struct incoming *in);

#endif /* LDMCTL_TARGET_H */
