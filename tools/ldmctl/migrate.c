// SPDX-License-Identifier: GPL-2.0
/*
 * ldmctl migrate [options] DOMAIN [user@]HOST[:TARGET]
 *
 * The source side of a live migration (protocol in ldmctl(8) and
 * Documentation/ldm.rst): authenticate the target over TLS 1.3, let it create the
 * target domain, derive the batch key from the TLS session, then send
 * pre-copy rounds from the module's ring on plain TCP streams until they
 * converge, a final round, and commit. Any failure before the commit
 * stops the sending session and leaves the source domain as it was; the
 * target discards its half-made domain.
 *
 * With --qmp the source QEMU is driven over QMP (qmp.c): "stop" before
 * the final round, then its device state, saved with x-ignore-shared (no
 * RAM) into a pipe, goes to the target in DEVSTATE messages before the
 * COMMIT; a failure before the commit cancels that and sends "cont".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "addr.h"
#include "config.h"
#include "adapt.h"
#include "converge.h"
#include "ctl.h"
#include "domain.h"
#include "json.h"
#include "ldmctl.h"
#include "mig.h"
#include "name.h"
#include "net.h"
#include "oplock.h"
#include "pagesum.h"
#include "progress.h"
#include "proto.h"
#include "pwfile.h"
#include "qmp.h"
#include "send.h"
#include "size.h"
#include "status.h"
#include "tls.h"

#define DEFAULT_DOWNTIME_MS	300
#define DEFAULT_MAX_ROUNDS	10
#define DEFAULT_TIMEOUT_S	30

static volatile sig_atomic_t cancelled;

static void on_signal(int sig)
{
	(void)sig;
	cancelled = 1;
}

struct migrate_opts {
	bool dry_run, fips, verify, json;
	bool baseline;			/* --baseline (benchmarks) */
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
	bool session;			/* the sending session was started */
	struct uring ring;
	struct sender snd;
	bool paused;			/* the emulator got SIGSTOP */
	struct qmp qmp;			/* --qmp */
	bool qmp_up;
	bool qmp_was_running;		/* QEMU ran when we came */
	bool qmp_stopped;		/* we sent "stop" */
	bool qmp_migrating;		/* QEMU's own migration started */
	uint8_t *devstate;		/* QEMU's device state */
	size_t devstate_len;
	uint64_t devstate_ns;
	uint64_t t_start, t_suspend;
	bool suspended;
	bool outcome_unknown;
	uint32_t rounds_done;
	uint64_t batches_total;
	const char *why_final;
	uint64_t pages_done;		/* pages handled by finished rounds */
	uint64_t round_pages, round_base, last_wire;
	int64_t last_tick_ms;
	uint32_t round;
	bool final;
	struct adapt ad;		/* the codec, chosen as it goes */
	struct conv_forecast fc;	/* after each pre-copy round */
	bool have_fc;
	uint16_t data_port;		/* the target's, from READY */
	uint8_t ticket[32];		/* --reconnect: shown to resume */
	bool may_resume;		/* expect(): a loss is LOST, not final */
	char lost_why[600];
	uint32_t resumes;
};

/* run_round() and expect(): the connection dropped; --reconnect may help. */
#define LOST	(-1)

static int fail(struct migration *m, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Report a failure (once, with the domain) and pick the exit code. */
static int fail(struct migration *m, int code, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	progress_clear(&m->pr);
	report(m->cmd->name, m->o.domain, "%s", msg);
	if (m->o.json) {
		struct json j;

		json_init(&j, stdout, false);
		json_object_begin(&j);
		json_key(&j, "event");
		json_string(&j, "error");
		json_key(&j, "message");
		json_string(&j, msg);
		json_key(&j, "exit");
		json_u64(&j, (uint64_t)code);
		json_object_end(&j);
		json_end(&j);
	}
	if (m->lock_fd >= 0)
		oplock_status(m->lock_fd, "%s: %s",
			      code == LDMCTL_EXIT_CANCELLED ? "cancelled" :
			      "failed", msg);
	return code;
}

/*
 * Suspension (Documentation/ldm.rst): the domain is suspended in the module
 * (LDM_CMD_DOMAIN_SET_STATE), so every write that faults from then on
 * waits in page_mkwrite; the final round's harvest re-arms every page, so
 * from its end no write reaches guest RAM. With --pause-pid the emulator
 * process is also stopped (SIGSTOP), as QMP "stop" stops QEMU, so that it
 * does not sit blocked in a fault. The suspension time is measured from
 * here to the commit.
 */
static int domain_suspend_hook(struct migration *m)
{
	int err;

	/* QEMU first: a vCPU blocked in a suspended page could not stop. */
	if (m->qmp_up && m->qmp_was_running) {
		err = qmp_exec(&m->qmp, "stop", NULL, -1, m->o.timeout_ms, NULL);
		if (err) {
			progress_note(&m->pr, "cannot stop QEMU: %s", m->qmp.why);
			return err;
		}
		m->qmp_stopped = true;
	}
	if (m->o.pause_pid) {
		if (kill(m->o.pause_pid, SIGSTOP))
			return -errno;
		m->paused = true;
	}
	err = ldm_domain_set_state(m->g, m->o.domain, LDM_DOMAIN_STATE_SUSPENDED);
	if (err) {
		progress_note(&m->pr, "cannot suspend: %s",
			      ldm_genl_ext_ack(m->g) ? ldm_genl_ext_ack(m->g) :
			      strerror(-err));
		return err;
	}
	m->t_suspend = now_ns();
	m->suspended = true;
	progress_event(&m->pr, "suspended", NULL);
	return 0;
}

/*
 * Undo the suspension: the source runs on (any failure before the
 * commit). Not when the outcome is unknown: then the domain may be
 * running on the target, and it must never run in two places.
 */
static void domain_resume_hook(struct migration *m)
{
	if (m->suspended && !m->outcome_unknown) {
		int err = ldm_domain_set_state(m->g, m->o.domain,
					       LDM_DOMAIN_STATE_ACTIVE);

		if (err)
			progress_note(&m->pr, "cannot resume '%s': %s",
				      m->o.domain, ldm_genl_ext_ack(m->g) ?
				      ldm_genl_ext_ack(m->g) : strerror(-err));
		else
			progress_note(&m->pr, "'%s' resumed on the source",
				      m->o.domain);
		m->suspended = false;
	}
	if (m->paused && !m->outcome_unknown &&
	    kill(m->o.pause_pid, SIGCONT) == 0)
		progress_note(&m->pr, "emulator (pid %ld) resumed",
			      (long)m->o.pause_pid);
	if (m->qmp_up && m->qmp_migrating &&
	    qmp_exec(&m->qmp, "migrate_cancel", NULL, -1, 5000, NULL))
		progress_note(&m->pr, "QEMU: %s", m->qmp.why);
	m->qmp_migrating = false;
	if (m->qmp_up && m->qmp_stopped && !m->outcome_unknown) {
		if (qmp_exec(&m->qmp, "cont", NULL, -1, 5000, NULL))
			progress_note(&m->pr, "cannot resume QEMU: %s", m->qmp.why);
		else
			progress_note(&m->pr, "QEMU resumed on the source");
		m->qmp_stopped = false;
	}
	if (m->outcome_unknown && m->suspended)
		progress_note(&m->pr, "'%s' stays suspended on the source until you know where it runs (ldmctl list)",
			      m->o.domain);
	m->paused = false;
}

static void wipe_secrets(struct migration *m)
{
	OPENSSL_cleanse(m->key, sizeof(m->key));
	OPENSSL_cleanse(m->token, sizeof(m->token));
	OPENSSL_cleanse(&m->salt, sizeof(m->salt));
	OPENSSL_cleanse(m->password, sizeof(m->password));
}

/* Tell the target why we stop, if it can still hear it. */
static void send_abort(struct migration *m, uint32_t code, const char *why)
{
	struct proto_abort ab = { .code = code };
	struct pbuf b;

	if (!m->ctl_up)
		return;
	snprintf(ab.reason, sizeof(ab.reason), "%s", why);
	pbuf_init(&b);
	if (!proto_put_abort(&b, &ab))
		ctl_send(&m->ctl, &b, 2000);
	pbuf_free(&b);
}

/* Stop everything on this side; the source domain is left as it was. */
static void teardown(struct migration *m)
{
	uint32_t i;

	for (i = 0; i < m->snd.nstreams; i++)
		if (m->snd.st[i].fd >= 0)
			close(m->snd.st[i].fd);
	m->snd.nstreams = 0;
	if (m->ring.map)
		uring_unmap(&m->ring);
	if (m->session) {
		mig_stop(m->g, m->o.domain);
		m->session = false;
	}
	if (m->ctl_up) {
		ctl_close(&m->ctl);
		m->ctl_up = false;
	}
	domain_resume_hook(m);
	if (m->qmp_up) {
		qmp_close(&m->qmp);
		m->qmp_up = false;
	}
	free(m->devstate);
	m->devstate = NULL;
	wipe_secrets(m);
}

static int send_msg(struct migration *m, struct pbuf *b, int ret)
{
	if (ret)
		return ret;
	ret = ctl_send(&m->ctl, b, m->o.timeout_ms);
	pbuf_reset(b);
	return ret;
}

/* The message in is the target's ABORT: its refusal, reported. */
static int target_aborted(struct migration *m)
{
	struct proto_abort ab;

	if (proto_get_abort(m->ctl.payload, m->ctl.len, &ab))
		return fail(m, LDMCTL_EXIT_FAIL, "malformed ABORT from the target");
	m->ctl_up = false;	/* it is gone; no ABORT back */
	ctl_close(&m->ctl);
	/* Nothing wrong with this migration: the target has no room now. */
	if (ab.code == PROTO_E_BUSY)
		return fail(m, LDMCTL_EXIT_BUSY,
			    "the target %s refused: %s; nothing was changed",
			    m->o.dest.host, ab.reason);
	return fail(m, ab.code == PROTO_E_TARGET || ab.code == PROTO_E_DATA ?
		    LDMCTL_EXIT_FAIL : LDMCTL_EXIT_REFUSED,
		    "the target refused: %s (%s); the source domain is intact",
		    ab.reason, proto_code_name(ab.code));
}

/*
 * Wait for a message of @type. An ABORT from the target is its refusal;
 * a cancel ends the wait. Returns 0 or an exit code (reported).
 */
static int expect(struct migration *m, uint16_t type, const char *what)
{
	int64_t deadline = now_ms() + m->o.timeout_ms;
	int ret;

	ctl_next(&m->ctl);
	for (;;) {
		if (cancelled)
			return fail(m, LDMCTL_EXIT_CANCELLED,
				    "cancelled while waiting for %s; the source domain is intact",
				    what);
		ret = ctl_recv(&m->ctl, 250);
		if (ret == -ETIMEDOUT || ret == -EINTR) {
			if (now_ms() < deadline)
				continue;
			return fail(m, LDMCTL_EXIT_FAIL,
				    "%s did not come within %d s; the source domain is intact",
				    what, m->o.timeout_ms / 1000);
		}
		if (ret < 0 && m->may_resume && !tls_peer_alert(m->ctl.ssl)) {
			snprintf(m->lost_why, sizeof(m->lost_why), "%s",
				 m->ctl.why);
			return LOST;
		}
		if (ret < 0) {
			const char *a = tls_peer_alert(m->ctl.ssl);

			/* TLS 1.3: the target's verdict on our certificate comes now. */
			if (a)
				return fail(m, LDMCTL_EXIT_REFUSED,
					    "the target %s refused the source's certificate: TLS alert \"%s\" (see the target's log for why)",
					    m->o.dest.host, a);
			return fail(m, LDMCTL_EXIT_FAIL,
				    "lost the target while waiting for %s: %s; the source domain is intact",
				    what, m->ctl.why);
		}
		if (m->ctl.type == PROTO_MSG_PING) {
			ctl_next(&m->ctl);
			continue;
		}
		/* It may come whenever the target's QEMU is up (proto.h). */
		if (m->ctl.type == PROTO_MSG_QEMU_READY && type != m->ctl.type &&
		    !proto_get_empty(m->ctl.payload, m->ctl.len)) {
			m->snd.target_qemu_ready = true;
			ctl_next(&m->ctl);
			continue;
		}
		break;
	}
	if (m->ctl.type == PROTO_MSG_ABORT)
		return target_aborted(m);
	if (m->ctl.type != type)
		return fail(m, LDMCTL_EXIT_FAIL,
			    "protocol error: the target sent %s instead of %s",
			    proto_msg_name(m->ctl.type), proto_msg_name(type));
	return 0;
}

/*
 * Before authentication a serve has nothing it could tell us in
 * confidence: resetting the connection at once is how it turns away one
 * over its budget of unauthenticated connections (ldmctl(8), "Admission
 * of connections"), whether the reset comes before the TCP connect is
 * seen through or during the handshake.
 */
#define TURNED_AWAY " (a serve with too many connections not yet authenticated resets new ones at once; see its log)"

static int connect_target(struct migration *m)
{
	struct tls_config tc = {
		.cert = m->o.pwfile ? NULL : m->o.cert,
		.key = m->o.key,
		.trust_dir = m->o.trust_dir,
	};
	char why[TLS_WHY_MAX], subj[256];
	enum tls_refusal refused;
	SSL *ssl;
	int fd;

	m->ctx = tls_ctx_new(&tc, why);
	if (!m->ctx)
		return fail(m, LDMCTL_EXIT_FAIL, "%s", why);
	fd = net_connect(m->o.dest.host, m->o.port, m->o.timeout_ms);
	if (cancelled) {
		if (fd >= 0)
			close(fd);
		return fail(m, LDMCTL_EXIT_CANCELLED,
			    "cancelled while connecting to %s; nothing was changed",
			    m->o.dest.host);
	}
	if (fd < 0)
		return fail(m, LDMCTL_EXIT_FAIL,
			    "cannot connect to %s port %u: %s%s", m->o.dest.host,
			    m->o.port, fd == -ENOENT ? "unknown host" :
			    strerror(-fd), fd == -ECONNRESET ? TURNED_AWAY : "");
	ssl = tls_handshake(m->ctx, fd, m->o.dest.host, m->o.timeout_ms,
			    &cancelled, why, &refused);
	if (!ssl && cancelled) {
		close(fd);
		return fail(m, LDMCTL_EXIT_CANCELLED,
			    "cancelled during the TLS handshake with %s; nothing was changed",
			    m->o.dest.host);
	}
	if (!ssl) {
		net_linger_close(fd, 2000);
		if (refused == TLS_WE_REFUSED)
			return fail(m, LDMCTL_EXIT_REFUSED,
				    "the source refused the target %s's certificate: %s (trust directory %s)",
				    m->o.dest.host, why, m->o.trust_dir);
		if (refused == TLS_PEER_REFUSED)
			return fail(m, LDMCTL_EXIT_REFUSED,
				    "the target %s refused the source: %s",
				    m->o.dest.host, why);
		return fail(m, LDMCTL_EXIT_FAIL, "%s: %s%s", m->o.dest.host, why,
			    !strncmp(why, "connection closed during the TLS handshake",
				     strlen("connection closed during the TLS handshake")) ?
			    TURNED_AWAY : "");
	}
	if (ctl_init(&m->ctl, ssl, fd)) {
		SSL_free(ssl);
		close(fd);
		return fail(m, LDMCTL_EXIT_FAIL, "out of memory");
	}
	m->ctl_up = true;
	tls_peer_subject(ssl, subj, sizeof(subj));
	progress_note(&m->pr, "connected to %s (%s, %s)", m->o.dest.host, subj,
		      SSL_get_cipher_name(ssl));
	return 0;
}

/* HELLO, then the target's WELCOME: its checks and its verdict. */
static int greet(struct migration *m, struct proto_welcome *w)
{
	struct proto_hello h = {
		.uapi_version = LDM_UAPI_VERSION,
		.page_size = m->info.page_size,
		.flags = (m->o.dry_run ? PROTO_HELLO_F_DRY_RUN : 0) |
			 (m->o.fips ? PROTO_HELLO_F_FIPS : 0) |
			 (m->o.verify ? PROTO_HELLO_F_VERIFY : 0) |
			 (m->o.qmp ? PROTO_HELLO_F_DEVSTATE : 0) |
			 (m->o.reconnect_s ? PROTO_HELLO_F_RESUMABLE : 0),
		.size = m->info.size,
		.resident = m->info.resident,
		.streams = m->o.streams,
		.batch_bytes = LDM_BATCH_DEFAULT,
	};
	struct pbuf b;
	uint32_t i;
	int ret, bad = 0;

	snprintf(h.tool_version, sizeof(h.tool_version), "%s", LDMCTL_VERSION);
	snprintf(h.source, sizeof(h.source), "%s", m->o.domain);
	snprintf(h.target, sizeof(h.target), "%s", m->target);
	snprintf(h.user, sizeof(h.user), "%s", m->o.dest.user);
	memcpy(h.password, m->password, sizeof(m->password));
	pbuf_init(&b);
	ret = send_msg(m, &b, proto_put_hello(&b, &h));
	OPENSSL_cleanse(h.password, sizeof(h.password));
	pbuf_free(&b);
	if (ret) {
		const char *a = tls_peer_alert(m->ctl.ssl);

		/* TLS 1.3: the target may have refused our certificate. */
		if (a)
			return fail(m, LDMCTL_EXIT_REFUSED,
				    "the target %s refused the source's certificate: TLS alert \"%s\" (see the target's log for why)",
				    m->o.dest.host, a);
		return fail(m, LDMCTL_EXIT_FAIL, "cannot send HELLO: %s",
			    m->ctl.why);
	}
	ret = expect(m, PROTO_MSG_WELCOME, "the target's answer");
	if (ret)
		return ret;
	if (proto_get_welcome(m->ctl.payload, m->ctl.len, w))
		return fail(m, LDMCTL_EXIT_FAIL, "malformed WELCOME from the target");

	/* Our own checks of what the target says about itself. */
	if (w->uapi_version != LDM_UAPI_VERSION && w->nchecks < PROTO_CHECKS_MAX) {
		w->checks[w->nchecks].code = PROTO_E_VERSION;
		snprintf(w->checks[w->nchecks++].text, PROTO_STR_TEXT_MAX,
			 "the target's ldm UAPI is version %u, the source's %u",
			 w->uapi_version, LDM_UAPI_VERSION);
	}
	if (w->fips != (m->o.fips ? 1u : 0u) && w->nchecks < PROTO_CHECKS_MAX) {
		w->checks[w->nchecks].code = PROTO_E_FIPS;
		snprintf(w->checks[w->nchecks++].text, PROTO_STR_TEXT_MAX,
			 "FIPS mode mismatch: the source is%s in FIPS mode, the target is%s",
			 m->o.fips ? "" : " not", w->fips ? "" : " not");
	}
	for (i = 0; i < w->nchecks; i++) {
		bad |= w->checks[i].code != PROTO_OK;
		if (m->o.dry_run) {
			if (m->o.json) {
				struct json j;

				json_init(&j, stdout, false);
				json_object_begin(&j);
				json_key(&j, "event");
				json_string(&j, "check");
				json_key(&j, "ok");
				json_bool(&j, w->checks[i].code == PROTO_OK);
				json_key(&j, "message");
				json_string(&j, w->checks[i].text);
				json_object_end(&j);
				json_end(&j);
			} else {
				printf("  %s  %s\n", w->checks[i].code ? "FAIL" : "ok  ",
				       w->checks[i].text);
			}
		} else if (w->checks[i].code) {
			progress_note(&m->pr, "refused: %s", w->checks[i].text);
		}
	}
	if (w->verdict != PROTO_OK || bad) {
		uint32_t code = w->verdict;

		for (i = 0; !code && i < w->nchecks; i++)
			code = w->checks[i].code;
		return fail(m, LDMCTL_EXIT_REFUSED,
			    "the target refused%s: %s; nothing was changed",
			    m->o.dry_run ? " (dry run)" : "", proto_code_name(code));
	}
	return 0;
}

static int derive_keys(struct migration *m)
{
	uint8_t salt[4];

	if (tls_export(m->ctl.ssl, TLS_LABEL_BATCH_KEY, m->key, sizeof(m->key)) ||
	    tls_export(m->ctl.ssl, TLS_LABEL_BATCH_SALT, salt, sizeof(salt)) ||
	    tls_export(m->ctl.ssl, TLS_LABEL_STREAM_TOKEN, m->token,
		       sizeof(m->token)) ||
	    (m->o.reconnect_s &&
	     tls_export(m->ctl.ssl, TLS_LABEL_RESUME_TICKET, m->ticket,
			sizeof(m->ticket))))
		return fail(m, LDMCTL_EXIT_FAIL,
			    "cannot derive the batch key from the TLS session");
	memcpy(&m->salt, salt, sizeof(salt));
	OPENSSL_cleanse(salt, sizeof(salt));
	return 0;
}

/* The streams: plain TCP, bound to this session by the token. */
static int open_streams(struct migration *m, uint16_t port)
{
	uint8_t hello[PROTO_STREAM_HELLO_BYTES];
	uint32_t i;
	int fd;

	for (i = 0; i < m->o.streams; i++)
		m->snd.st[i].fd = -1;
	m->snd.nstreams = m->o.streams;
	for (i = 0; i < m->o.streams; i++) {
		ssize_t w;

		fd = net_connect(m->o.dest.host, port, m->o.timeout_ms);
		if (fd < 0)
			return fail(m, LDMCTL_EXIT_FAIL,
				    "cannot open data stream %u to %s port %u: %s",
				    i, m->o.dest.host, port, strerror(-fd));
		m->snd.st[i].fd = fd;
		/* Bulk data: keep Nagle's coalescing off, big buffers. */
		proto_put_stream_hello(hello, (uint16_t)i, m->token);
		w = send(fd, hello, sizeof(hello), MSG_NOSIGNAL);
		OPENSSL_cleanse(hello, sizeof(hello));
		if (w != (ssize_t)sizeof(hello))
			return fail(m, LDMCTL_EXIT_FAIL,
				    "cannot greet on data stream %u: %s", i,
				    w < 0 ? strerror(errno) : "short write");
	}
	return expect(m, PROTO_MSG_STREAMS_OK, "the target's data streams");
}

static void tick(void *arg)
{
	struct migration *m = arg;
	struct progress_state ps = { .round = m->round, .final = m->final };
	struct ldm_domain_info di;
	struct mig_info mi;
	uint64_t done_round = 0, left, wire, dt;
	int64_t now = now_ms();
	uint32_t codec;
	double pps, fill;

	if (mig_get(m->g, m->o.domain, &mi))
		return;
	done_round = mig_stats_pages(&mi.totals) - m->round_base;
	if (done_round > m->round_pages)
		done_round = m->round_pages;
	fill = (double)(uring_load(&m->ring.hdr->prod) - m->snd.cons) /
	       (double)m->ring.nslots;
	codec = adapt_tick(&m->ad, now_ns(), mi.totals.v[LDM_A_STAT_BYTES_IN],
			   mi.totals.v[LDM_A_STAT_BYTES_OUT], fill,
			   done_round < m->round_pages);
	if (codec && mig_set_codec(m->g, m->o.domain, codec) == -EOPNOTSUPP)
		codec = adapt_unavailable(&m->ad, codec, now_ns());
	if (codec)
		progress_event(&m->pr, "codec", "round", (uint64_t)m->round,
			       "codec", (uint64_t)codec,
			       "lzjb_kBps", (uint64_t)(m->ad.rate[LDM_CODEC_LZJB] / 1e3),
			       "lz4_kBps", (uint64_t)(m->ad.rate[LDM_CODEC_LZ4] / 1e3),
			       "none_kBps", (uint64_t)(m->ad.rate[LDM_CODEC_NONE] / 1e3),
			       "ring_fill_pct", (uint64_t)(fill * 100),
			       NULL);
	left = m->round_pages - done_round;
	if (!m->final && !ldm_domain_get(m->g, m->o.domain, &di))
		left += di.dirty;
	ps.pages_left = left;
	ps.percent = conv_percent(m->pages_done + done_round, left);
	wire = m->snd.wire_bytes;
	dt = m->last_tick_ms ? (uint64_t)(now - m->last_tick_ms) : 0;
	ps.mbps = dt ? (double)(wire - m->last_wire) / 1e3 / (double)dt : 0;
	m->last_wire = wire;
	m->last_tick_ms = now;
	pps = conv_rate(done_round, now_ns() - m->t_start);
	ps.eta_ms = conv_final_ms(left, pps);
	ps.codec = adapt_codec_name(m->ad.current);
	if (m->have_fc) {
		ps.fc_rounds = m->fc.rounds;
		ps.fc_downtime_ms = m->fc.downtime_ms;
	}
	progress_update(&m->pr, &ps);
	/* What 'ldmctl list -o status' shows, from this process's figures. */
	if (m->lock_fd >= 0)
		status_publish(m->lock_fd, m->dest_str, &ps);
}

/*
 * --qmp: the guest is suspended only once the target's QEMU is up and
 * armed for the device state (QEMU_READY, proto.h), so that its start-up
 * is no part of the downtime. Meanwhile the guest runs on; PINGs keep the
 * target from taking the silence for a dead source. Returns 0 or an exit
 * code (reported).
 */
static int wait_target_qemu(struct migration *m)
{
	int64_t t0 = now_ms(), deadline = t0 + m->o.timeout_ms, ping = 0;
	struct pbuf b;
	int ret;

	progress_note(&m->pr, "waiting for the target QEMU on %s before suspending; '%s' runs on",
		      m->o.dest.host, m->o.domain);
	ctl_next(&m->ctl);
	pbuf_init(&b);
	while (!m->snd.target_qemu_ready) {
		if (cancelled) {
			pbuf_free(&b);
			return fail(m, LDMCTL_EXIT_CANCELLED,
				    "cancelled while waiting for the target QEMU; the source domain is intact");
		}
		if (now_ms() >= deadline) {
			pbuf_free(&b);
			return fail(m, LDMCTL_EXIT_FAIL,
				    "no target QEMU came up for '%s' on %s within %d s (serve --qmp-dir: a QEMU started with -incoming defer on /dev/ldm/%s); the source domain is intact",
				    m->target, m->o.dest.host,
				    m->o.timeout_ms / 1000, m->target);
		}
		ret = 0;
		if (now_ms() >= ping) {
			ret = send_msg(m, &b, proto_put_empty(&b, PROTO_MSG_PING));
			ping = now_ms() + 1000;
		}
		if (!ret)
			ret = ctl_recv(&m->ctl, 250);
		if (ret == -ETIMEDOUT || ret == -EINTR)
			continue;
		/* Between rounds: --reconnect resumes cut rounds only. */
		if (ret < 0) {
			pbuf_free(&b);
			return fail(m, LDMCTL_EXIT_FAIL,
				    "lost the target while waiting for its QEMU: %s; the source domain is intact",
				    m->ctl.why);
		}
		if (m->ctl.type == PROTO_MSG_ABORT) {
			pbuf_free(&b);
			return target_aborted(m);
		}
		if (m->ctl.type == PROTO_MSG_QEMU_READY &&
		    !proto_get_empty(m->ctl.payload, m->ctl.len))
			m->snd.target_qemu_ready = true;
		else if (m->ctl.type != PROTO_MSG_PING) {
			pbuf_free(&b);
			return fail(m, LDMCTL_EXIT_FAIL,
				    "protocol error: the target sent %s while its QEMU was awaited",
				    proto_msg_name(m->ctl.type));
		}
		ctl_next(&m->ctl);
	}
	pbuf_free(&b);
	progress_event(&m->pr, "target_qemu", "ms", (uint64_t)(now_ms() - t0),
		       NULL);
	progress_note(&m->pr, "the target QEMU is ready (waited %lld ms)",
		      (long long)(now_ms() - t0));
	return 0;
}

/* One round: harvest, send, then wait for the target to apply it all. */
static int run_round(struct migration *m, bool resend, uint64_t *pages,
		     uint64_t *ns)
{
	struct proto_round_done rd = { 0 };
	struct proto_round_ack ack;
	struct round_result res;
	struct mig_info mi;
	uint64_t t0 = now_ns();
	struct pbuf b;
	uint32_t codec;
	int ret;

	if (m->final && !m->suspended) {
		ret = domain_suspend_hook(m);
		if (ret && m->qmp_was_running && !m->qmp_stopped)
			return fail(m, LDMCTL_EXIT_FAIL,
				    "cannot stop QEMU (%s): %s; the source domain is intact",
				    m->o.qmp, m->qmp.why);
		if (ret && m->o.pause_pid && !m->paused)
			return fail(m, LDMCTL_EXIT_FAIL,
				    "cannot stop the emulator (pid %ld): %s",
				    (long)m->o.pause_pid, strerror(-ret));
		if (ret)
			return fail(m, LDMCTL_EXIT_FAIL,
				    "cannot suspend '%s': %s; the source domain is intact",
				    m->o.domain, strerror(-ret));
	}
	if (!mig_get(m->g, m->o.domain, &mi))
		m->round_base = mig_stats_pages(&mi.totals);
	codec = adapt_round_codec(&m->ad);
	ret = mig_round(m->g, m->o.domain, codec,
			resend ? LDM_ROUND_F_RESEND : 0, &m->round,
			&m->round_pages);
	if (ret == -EOPNOTSUPP && !m->o.compress) {
		/* No LZ4 in this kernel: auto does without it. */
		codec = adapt_unavailable(&m->ad, codec, now_ns());
		ret = mig_round(m->g, m->o.domain, codec,
				resend ? LDM_ROUND_F_RESEND : 0, &m->round,
				&m->round_pages);
	}
	if (ret)
		return report_result(m->cmd->name, m->o.domain, ret,
				     ldm_genl_ext_ack(m->g));
	progress_event(&m->pr, "round", "round", (uint64_t)m->round,
		       "pages", m->round_pages, "final", (uint64_t)m->final,
		       "codec", (uint64_t)codec, NULL);
	ret = sender_round(&m->snd, m->round, tick, m, &res);
	if (ret == -ECANCELED)
		return fail(m, LDMCTL_EXIT_CANCELLED,
			    "cancelled in round %u; the source domain is intact",
			    m->round);
	if (ret == -ECONNABORTED) {
		m->ctl_up = false;
		return fail(m, LDMCTL_EXIT_FAIL,
			    "the target aborted in round %u: %s (%s); the source domain is intact",
			    m->round, m->snd.why, proto_code_name(m->snd.abort_code));
	}
	if (ret == -EIO) {
		mig_get(m->g, m->o.domain, &mi);
		return fail(m, LDMCTL_EXIT_FAIL,
			    "the module failed the sending session: %s; the source domain is intact",
			    mi.errmsg[0] ? mi.errmsg : "unknown error");
	}
	if (ret && ret != -EPROTO && m->o.reconnect_s && !m->final) {
		snprintf(m->lost_why, sizeof(m->lost_why), "%s", m->snd.why);
		return LOST;
	}
	if (ret)
		return fail(m, LDMCTL_EXIT_FAIL,
			    "round %u failed: %s; the source domain is intact",
			    m->round, m->snd.why);

	rd.round = m->round;
	rd.final = m->final;
	rd.batches = res.batches;
	rd.pages = res.records;
	rd.bytes = res.bytes;
	pbuf_init(&b);
	ret = send_msg(m, &b, proto_put_round_done(&b, &rd));
	pbuf_free(&b);
	if (ret && m->o.reconnect_s && !m->final) {
		snprintf(m->lost_why, sizeof(m->lost_why), "%s", m->ctl.why);
		return LOST;
	}
	if (ret)
		return fail(m, LDMCTL_EXIT_FAIL, "lost the target after round %u: %s",
			    m->round, m->ctl.why);
	m->may_resume = m->o.reconnect_s && !m->final;
	ret = expect(m, PROTO_MSG_ROUND_ACK, "the target's acknowledgement");
	m->may_resume = false;
	if (ret)
		return ret;
	if (proto_get_round_ack(m->ctl.payload, m->ctl.len, &ack) ||
	    ack.round != m->round || ack.batches != res.batches)
		return fail(m, LDMCTL_EXIT_FAIL,
			    "the target acknowledged round %u with %llu batches, %llu were sent",
			    ack.round, (unsigned long long)ack.batches,
			    (unsigned long long)res.batches);
	m->batches_total += res.batches;
	m->rounds_done++;
	m->pages_done += m->round_pages;
	*pages = m->round_pages;
	*ns = now_ns() - t0;
	return 0;
}

/* --verify: the target's checksums against ours, page by page. */
static int verify(struct migration *m)
{
	size_t psz = m->info.page_size, n = m->info.size / psz;
	struct proto_verify v = { .ok = 1, .first_bad = UINT64_MAX };
	struct proto_sums *s;
	uint64_t *mine, next = 0;
	struct pbuf b;
	uint32_t i;
	int ret;

	ret = pagesum_domain(m->o.domain, m->info.size, psz, &mine);
	if (ret)
		return fail(m, LDMCTL_EXIT_FAIL, "--verify: cannot read '%s': %s",
			    m->o.domain, strerror(-ret));
	s = malloc(sizeof(*s));
	if (!s) {
		free(mine);
		return fail(m, LDMCTL_EXIT_FAIL, "out of memory");
	}
	while (next < n) {
		ret = expect(m, PROTO_MSG_SUMS, "the target's checksums");
		if (ret)
			goto out;
		if (proto_get_sums(m->ctl.payload, m->ctl.len, s) ||
		    s->first != next || s->first + s->count > n) {
			ret = fail(m, LDMCTL_EXIT_FAIL,
				   "malformed checksums from the target");
			goto out;
		}
		for (i = 0; i < s->count; i++) {
			if (v.ok && s->sums[i] != mine[next + i]) {
				v.ok = 0;
				v.first_bad = next + i;
			}
		}
		next += s->count;
	}
	pbuf_init(&b);
	ret = send_msg(m, &b, proto_put_verify(&b, &v));
	pbuf_free(&b);
	if (ret) {
		ret = fail(m, LDMCTL_EXIT_FAIL, "lost the target during --verify: %s",
			   m->ctl.why);
		goto out;
	}
	if (!v.ok)
		ret = fail(m, LDMCTL_EXIT_FAIL,
			   "--verify: page %llu differs between source and target; the target discards its copy",
			   (unsigned long long)v.first_bad);
out:
	free(s);
	free(mine);
	return ret;
}

static int commit(struct migration *m)
{
	struct proto_commit c = {
		.rounds = m->rounds_done,
		.batches = m->batches_total,
		.verify = m->o.verify,
	};
	bool ignored = false;
	struct pbuf b;
	int ret;

	pbuf_init(&b);
	ret = send_msg(m, &b, proto_put_commit(&b, &c));
	pbuf_free(&b);
	if (ret)
		return fail(m, LDMCTL_EXIT_FAIL, "lost the target before commit: %s",
			    m->ctl.why);
	if (m->o.verify) {
		ret = verify(m);
		if (ret)
			return ret;
	}
	/*
	 * The target holds everything and commits on its own now; cancel
	 * has no say from here (nor can it: only the target knows whether
	 * it committed). Said here so that an operator's cancel-operation,
	 * and a script's -j reader, see where the point of no return was.
	 */
	oplock_status(m->lock_fd, "running: committing on %s", m->dest_str);
	progress_event(&m->pr, "commit", NULL);
	progress_note(&m->pr, "asked %s to commit: too late to cancel", m->dest_str);
	ctl_next(&m->ctl);
	ret = ctl_recv(&m->ctl, m->o.timeout_ms);
	while (ret == -EINTR) {	/* too late to cancel: the target decides */
		if (cancelled && !ignored) {
			progress_note(&m->pr, "cancel ignored: %s decides now",
				      m->dest_str);
			ignored = true;
		}
		ret = ctl_recv(&m->ctl, m->o.timeout_ms);
	}
	if (ret < 0) {
		/*
		 * The target may have committed and its answer been lost: the
		 * domain must not run in two places, so say so and stop.
		 */
		m->outcome_unknown = true;
		return fail(m, LDMCTL_EXIT_UNKNOWN,
			    "outcome unknown: lost the target after asking it to commit (%s); check '%s' on %s before resuming the source",
			    m->ctl.why, m->target, m->o.dest.host);
	}
	if (m->ctl.type == PROTO_MSG_ABORT) {
		struct proto_abort ab;

		if (proto_get_abort(m->ctl.payload, m->ctl.len, &ab))
			snprintf(ab.reason, sizeof(ab.reason), "malformed ABORT");
		m->ctl_up = false;
		return fail(m, LDMCTL_EXIT_FAIL,
			    "the target refused to commit: %s; the source domain is intact",
			    ab.reason);
	}
	if (m->ctl.type != PROTO_MSG_COMMITTED ||
	    proto_get_empty(m->ctl.payload, m->ctl.len)) {
		m->outcome_unknown = true;
		return fail(m, LDMCTL_EXIT_UNKNOWN,
			    "outcome unknown: the target answered the commit with %s",
			    proto_msg_name(m->ctl.type));
	}
	return 0;
}

/*
 * --qmp: reach the source QEMU before anything moves, and switch on
 * x-ignore-shared so that its own migration will carry no guest RAM (the
 * RAM is the ldm domain's, a shared mapping; ldm moves it).
 */
static int qmp_setup(struct migration *m)
{
	char st[64];
	int err;

	err = qmp_open(&m->qmp, m->o.qmp, m->o.timeout_ms);
	if (err)
		return fail(m, LDMCTL_EXIT_FAIL, "--qmp %s: %s", m->o.qmp,
			    m->qmp.why);
	m->qmp_up = true;
	err = qmp_status(&m->qmp, st, sizeof(st), m->o.timeout_ms);
	if (err)
		return fail(m, LDMCTL_EXIT_FAIL, "--qmp %s: %s", m->o.qmp,
			    m->qmp.why);
	if (strcmp(st, "running") && strcmp(st, "paused"))
		return fail(m, LDMCTL_EXIT_FAIL,
			    "--qmp %s: QEMU is in state '%s', not running or paused",
			    m->o.qmp, st);
	m->qmp_was_running = !strcmp(st, "running");
	if (m->o.dry_run) {	/* reachable is all a dry run checks */
		progress_note(&m->pr, "QEMU %s on %s: %s", m->qmp.version,
			      m->o.qmp, st);
		return 0;
	}
	err = qmp_exec(&m->qmp, "migrate-set-capabilities",
		       "{\"capabilities\": [{\"capability\": \"x-ignore-shared\", \"state\": true}]}",
		       -1, m->o.timeout_ms, NULL);
	if (err)
		return fail(m, LDMCTL_EXIT_FAIL, "--qmp %s: %s", m->o.qmp,
			    m->qmp.why);
	progress_note(&m->pr, "QEMU %s on %s: %s, x-ignore-shared on",
		      m->qmp.version, m->o.qmp, st);
	return 0;
}

/* Poll "query-migrate" until QEMU's outgoing migration has ended. */
static int devstate_wait(struct migration *m, int64_t deadline)
{
	for (;;) {
		const char *st, *desc;
		struct jv *r;
		int err;

		err = qmp_exec(&m->qmp, "query-migrate", NULL, -1,
			       m->o.timeout_ms, &r);
		if (err)
			return fail(m, LDMCTL_EXIT_FAIL, "QEMU: %s", m->qmp.why);
		st = jv_str(jv_get(r, "status"));
		desc = jv_str(jv_get(r, "error-desc"));
		if (st && !strcmp(st, "completed")) {
			jv_free(r);
			return 0;
		}
		if (!st || !strcmp(st, "failed") || !strcmp(st, "cancelled") ||
		    !strcmp(st, "none") || now_ms() > deadline) {
			err = fail(m, LDMCTL_EXIT_FAIL,
				   "QEMU's device state migration %s%s%s; the source domain is intact",
				   !st ? "has no status" : now_ms() > deadline ?
				   "timed out" : st, desc ? ": " : "",
				   desc ? desc : "");
			jv_free(r);
			return err;
		}
		jv_free(r);
		usleep(20000);
	}
}

/*
 * The source QEMU is stopped and the final round is in: let QEMU migrate
 * into a pipe we pass it (getfd), with x-ignore-shared, and keep what it
 * writes. That is its device state, without RAM.
 */
static int devstate_capture(struct migration *m)
{
	int64_t deadline = now_ms() + m->o.timeout_ms;
	uint64_t t0 = now_ns();
	size_t cap = 1 << 20;
	int pfd[2], err;

	if (pipe2(pfd, O_CLOEXEC))
		return fail(m, LDMCTL_EXIT_FAIL, "pipe: %s", strerror(errno));
	err = qmp_exec(&m->qmp, "getfd", "{\"fdname\": \"ldm-devstate\"}",
		       pfd[1], m->o.timeout_ms, NULL);
	close(pfd[1]);
	if (!err) {
		err = qmp_exec(&m->qmp, "migrate",
			       "{\"uri\": \"fd:ldm-devstate\"}", -1,
			       m->o.timeout_ms, NULL);
		if (err)
			qmp_exec(&m->qmp, "closefd",
				 "{\"fdname\": \"ldm-devstate\"}", -1, 2000,
				 NULL);
	}
	if (err) {
		close(pfd[0]);
		return fail(m, LDMCTL_EXIT_FAIL,
			    "QEMU refused to migrate its device state: %s; the source domain is intact",
			    m->qmp.why);
	}
	m->qmp_migrating = true;
	m->devstate = malloc(cap);
	m->devstate_len = 0;
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t r;

		if (!m->devstate) {
			close(pfd[0]);
			return fail(m, LDMCTL_EXIT_FAIL, "out of memory");
		}
		if (cancelled || left <= 0) {
			close(pfd[0]);
			return fail(m, cancelled ? LDMCTL_EXIT_CANCELLED :
				    LDMCTL_EXIT_FAIL,
				    "%s while QEMU wrote its device state; the source domain is intact",
				    cancelled ? "cancelled" : "timed out");
		}
		if (poll(&p, 1, (int)(left > 250 ? 250 : left)) <= 0)
			continue;
		if (m->devstate_len == cap) {
			uint8_t *n;

			if (cap >= PROTO_DEVSTATE_MAX) {
				close(pfd[0]);
				return fail(m, LDMCTL_EXIT_FAIL,
					    "QEMU's device state is over %u MiB: is the guest RAM a shared ldm mapping (share=on)?",
					    PROTO_DEVSTATE_MAX >> 20);
			}
			n = realloc(m->devstate, cap * 2);
			if (!n)
				free(m->devstate);
			m->devstate = n;
			cap *= 2;
			continue;
		}
		r = read(pfd[0], m->devstate + m->devstate_len,
			 cap - m->devstate_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			close(pfd[0]);
			return fail(m, LDMCTL_EXIT_FAIL,
				    "reading QEMU's device state: %s", strerror(err));
		}
		if (!r)
			break;
		m->devstate_len += (size_t)r;
	}
	close(pfd[0]);
	err = devstate_wait(m, deadline);
	if (err)
		return err;
	m->qmp_migrating = false;
	m->devstate_ns = now_ns() - t0;
	progress_note(&m->pr, "QEMU device state: %zu bytes in %.0f ms",
		      m->devstate_len, (double)m->devstate_ns / 1e6);
	progress_event(&m->pr, "devstate", "bytes", (uint64_t)m->devstate_len,
		       "ms", m->devstate_ns / 1000000, NULL);
	return 0;
}

/* The device state to the target, in DEVSTATE chunks. */
static int devstate_send(struct migration *m)
{
	struct proto_devstate d = { 0 };
	struct pbuf b;
	int ret = 0;

	pbuf_init(&b);
	do {
		size_t left = m->devstate_len - d.offset;

		d.len = left > PROTO_DEVSTATE_CHUNK ? PROTO_DEVSTATE_CHUNK :
			(uint32_t)left;
		d.last = d.offset + d.len == m->devstate_len;
		d.data = m->devstate + d.offset;
		ret = send_msg(m, &b, proto_put_devstate(&b, &d));
		d.offset += d.len;
	} while (!ret && !d.last);
	pbuf_free(&b);
	if (ret)
		return fail(m, LDMCTL_EXIT_FAIL,
			    "cannot send QEMU's device state: %s; the source domain is intact",
			    ret == -EINVAL ? "too large" : m->ctl.why);
	return 0;
}

/* The target's APPLIED chunks, into @words (@nwords of them). */
static int applied_recv(struct migration *m, uint64_t *words, size_t nwords)
{
	struct proto_sums *c = malloc(sizeof(*c));
	size_t got = 0;
	int ret = 0;

	if (!c)
		return fail(m, LDMCTL_EXIT_FAIL, "out of memory");
	while (!ret && got < nwords) {
		ret = expect(m, PROTO_MSG_APPLIED, "the target's applied pages");
		if (ret)
			break;
		if (proto_get_applied(m->ctl.payload, m->ctl.len, c) ||
		    c->first != got || c->count > nwords - got) {
			ret = fail(m, LDMCTL_EXIT_FAIL,
				   "malformed APPLIED from the target");
			break;
		}
		memcpy(words + got, c->sums, c->count * sizeof(*words));
		got += c->count;
	}
	free(c);
	return ret;
}

/*
 * --reconnect: the connection dropped during pre-copy. Let the module end
 * the cut round unsent, reconnect to the target's data port (TLS, both
 * certificates checked again), show the resume ticket, learn which pages
 * the target has from that round on and leave them out of the resend;
 * new data streams. Return: 0 (the next round resends), or an exit code.
 */
static int reconnect(struct migration *m)
{
	int64_t t0 = now_ms(), deadline = t0 + m->o.reconnect_s * 1000LL;
	size_t nwords = (size_t)((m->info.size / m->info.page_size + 63) / 64);
	uint32_t cut = m->round, attempts = 0;
	struct proto_resume rs = { .round = cut };
	enum tls_refusal refused;
	char why[TLS_WHY_MAX];
	uint64_t *words, skipped = 0;
	struct pbuf b;
	SSL *ssl;
	int fd, ret;

	progress_note(&m->pr, "lost the target in round %u (%s); reconnecting for up to %u s",
		      cut, m->lost_why, m->o.reconnect_s);
	progress_event(&m->pr, "lost", "round", (uint64_t)cut, NULL);
	ret = sender_drop_round(&m->snd, cut);
	if (ret)
		return fail(m, LDMCTL_EXIT_FAIL,
			    "cannot end round %u after losing the target: %s; the source domain is intact",
			    cut, m->snd.why);
	ctl_close(&m->ctl);
	m->ctl_up = false;
	/* Its number is spent: the target counts it too. */
	m->rounds_done++;
	words = calloc(nwords, sizeof(*words));
	if (!words)
		return fail(m, LDMCTL_EXIT_FAIL, "out of memory");
	memcpy(rs.ticket, m->ticket, sizeof(rs.ticket));
	pbuf_init(&b);
	for (ret = LOST; ret == LOST && !cancelled && now_ms() < deadline;) {
		if (attempts++)
			poll(NULL, 0, 1000);
		fd = net_connect(m->o.dest.host, m->data_port, 5000);
		if (fd < 0)
			continue;
		ssl = tls_handshake(m->ctx, fd, m->o.dest.host, m->o.timeout_ms,
				    &cancelled, why, &refused);
		if (!ssl) {
			close(fd);
			continue;
		}
		if (ctl_init(&m->ctl, ssl, fd)) {
			SSL_free(ssl);
			close(fd);
			ret = fail(m, LDMCTL_EXIT_FAIL, "out of memory");
			break;
		}
		m->ctl_up = true;
		m->may_resume = true;
		ret = send_msg(m, &b, proto_put_resume(&b, &rs)) ? LOST :
		      applied_recv(m, words, nwords);
		m->may_resume = false;
		if (ret == LOST) {
			ctl_close(&m->ctl);
			m->ctl_up = false;
		}
	}
	OPENSSL_cleanse(rs.ticket, sizeof(rs.ticket));
	pbuf_free(&b);
	if (ret == LOST)
		ret = fail(m, cancelled ? LDMCTL_EXIT_CANCELLED : LDMCTL_EXIT_FAIL,
			   "lost the target in round %u (%s) and %s; the source domain is intact",
			   cut, m->lost_why, cancelled ? "was cancelled while reconnecting" :
			   "could not resume within --reconnect");
	if (!ret) {
		ret = mig_page_set(m->ring.fd, LDM_IOC_RESEND_SKIP, words,
				   nwords, 0, &skipped);
		if (ret)
			ret = fail(m, LDMCTL_EXIT_FAIL,
				   "cannot leave out what the target has: %s",
				   strerror(-ret));
	}
	free(words);
	if (!ret && tls_export(m->ctl.ssl, TLS_LABEL_STREAM_TOKEN, m->token,
			       sizeof(m->token)))
		ret = fail(m, LDMCTL_EXIT_FAIL,
			   "cannot derive the stream token from the TLS session");
	if (!ret)
		ret = open_streams(m, m->data_port);
	if (ret)
		return ret;
	m->resumes++;
	progress_note(&m->pr, "resumed after %u attempt%s in %.1f s: the target has %" PRIu64
		      " pages of round %u on, not sent again",
		      attempts, attempts == 1 ? "" : "s",
		      (double)(now_ms() - t0) / 1000, skipped, cut);
	progress_event(&m->pr, "resumed", "round", (uint64_t)cut,
		       "skipped", skipped, "attempts", (uint64_t)attempts,
		       "ms", (uint64_t)(now_ms() - t0), NULL);
	return 0;
}

/*
 * --no-force: the forecast says the final round would not fit the
 * downtime limit; stop now, before the domain is suspended.
 */
static int refuse_downtime(struct migration *m, const struct conv_round *r)
{
	char down[32];

	if (m->fc.downtime_ms == UINT64_MAX)
		snprintf(down, sizeof(down), "an unknown time");
	else
		snprintf(down, sizeof(down), "%" PRIu64 " ms", m->fc.downtime_ms);
	return fail(m, LDMCTL_EXIT_REFUSED,
		    "--no-force: cannot meet --downtime-limit %" PRIu64
		    " ms: after round %u the forecast is %s of downtime after %u rounds (%s; the guest dirties %.0f pages/s, %.0f pages/s are sent); the source domain is intact and was never suspended",
		    m->o.downtime_ms, r->round, down, m->fc.rounds,
		    conv_decision_name(m->fc.why), conv_rate(r->dirty, r->ns),
		    conv_rate(r->pages, r->ns));
}

static int migrate_run(struct migration *m)
{
	struct conv_params cp = {
		.downtime_ms = m->o.downtime_ms,
		.max_rounds = m->o.max_rounds,
	};
	struct mig_params mp = { .workers = m->o.workers };
	struct proto_welcome w;
	struct mig_summary sum = { 0 };
	struct mig_info mi;
	struct proto_ready rdy;
	enum conv_decision d;
	bool resend = false;
	pid_t holder;
	int ret;

	m->lock_fd = oplock_acquire(m->o.domain, &holder);
	if (m->lock_fd == -EBUSY)
		return fail(m, LDMCTL_EXIT_FAIL,
			    "a migration of this domain is already running (pid %ld)",
			    (long)holder);
	if (m->lock_fd < 0)
		return fail(m, exit_code_for(m->lock_fd),
			    "cannot lock %s: %s", LDM_RUN_MIGRATE_DIR,
			    strerror(-m->lock_fd));
	ret = ldmctl_connect(m->cmd, &m->g);
	if (ret)
		return ret;
	ret = ldm_domain_get(m->g, m->o.domain, &m->info);
	if (ret)
		return report_result(m->cmd->name, m->o.domain, ret,
				     ldm_genl_ext_ack(m->g));
	if (!mig_get(m->g, m->o.domain, &mi) && mi.state != LDM_MIG_STATE_NONE)
		return fail(m, LDMCTL_EXIT_FAIL,
			    "the domain already has a migration session");

	if (m->o.qmp) {
		ret = qmp_setup(m);
		if (ret)
			return ret;
	}

	m->t_start = now_ns();
	ret = connect_target(m);
	if (ret)
		return ret;
	ret = greet(m, &w);
	if (ret)
		return ret;
	if (m->o.dry_run) {
		progress_clear(&m->pr);
		if (!m->o.json)
			printf("dry run: '%s' (%" PRIu64 " bytes, %" PRIu64
			       " pages resident) can migrate to %s; nothing was changed\n",
			       m->o.domain, m->info.size, m->info.resident,
			       m->dest_str);
		progress_event(&m->pr, "dry_run_ok", NULL);
		oplock_status(m->lock_fd, "dry run passed");
		return LDMCTL_EXIT_OK;
	}
	ret = derive_keys(m);
	if (ret)
		return ret;
	ret = expect(m, PROTO_MSG_READY, "the target domain");
	if (ret)
		return ret;
	if (proto_get_ready(m->ctl.payload, m->ctl.len, &rdy))
		return fail(m, LDMCTL_EXIT_FAIL, "malformed READY from the target");
	m->data_port = rdy.data_port;
	ret = open_streams(m, rdy.data_port);
	if (ret)
		return ret;

	mp.key = m->key;
	mp.salt = m->salt;
	/* The module checks the kernel's FIPS mode too. */
	mp.flags = m->o.fips ? LDM_MIG_F_FIPS : 0;
	if (m->o.baseline)
		mp.flags |= LDM_MIG_F_BASELINE;
	ret = mig_start(m->g, m->o.domain, true, &mp, &m->ring);
	OPENSSL_cleanse(m->key, sizeof(m->key));	/* the module has it */
	if (ret)
		return report_result(m->cmd->name, m->o.domain, ret,
				     ldm_genl_ext_ack(m->g));
	m->session = true;
	ret = mig_get(m->g, m->o.domain, &mi);
	if (!ret)
		ret = uring_map(&m->ring, mi.ring_bytes);
	if (ret)
		return fail(m, LDMCTL_EXIT_FAIL, "cannot map the batch ring: %s",
			    strerror(-ret));
	m->snd.ring = &m->ring;
	m->snd.ctl = &m->ctl;
	m->snd.bandwidth = m->o.bandwidth;
	m->snd.timeout_ms = m->o.timeout_ms;
	m->snd.cancel = &cancelled;
	adapt_init(&m->ad, m->o.compress);
	oplock_status(m->lock_fd, "running: sending to %s", m->dest_str);

	for (;;) {
		struct conv_round cr;
		struct ldm_domain_info di;
		uint64_t pages = 0, ns = 0;

		ret = run_round(m, resend, &pages, &ns);
		if (ret == LOST) {
			ret = reconnect(m);
			if (ret)
				return ret;
			resend = true;
			continue;
		}
		resend = false;
		if (ret)
			return ret;
		if (m->final)
			break;
		cr.round = m->round;
		cr.pages = pages;
		cr.ns = ns;
		cr.dirty = ldm_domain_get(m->g, m->o.domain, &di) ? UINT64_MAX :
			   di.dirty;
		d = conv_decide(&cp, &cr);
		conv_forecast(&cp, &cr, &m->fc);
		m->have_fc = true;
		progress_event(&m->pr, "round_done", "round", (uint64_t)m->round,
			       "pages", pages, "ms", ns / 1000000,
			       "dirty", cr.dirty, NULL);
		progress_event(&m->pr, "forecast", "round", (uint64_t)m->round,
			       "rounds", (uint64_t)m->fc.rounds,
			       "downtime_ms", m->fc.downtime_ms == UINT64_MAX ?
			       (uint64_t)0 : m->fc.downtime_ms,
			       "fits", (uint64_t)m->fc.fits, NULL);
		if (m->o.no_force && !m->fc.fits)
			return refuse_downtime(m, &cr);
		if (d != CONV_CONTINUE) {
			m->final = true;
			m->why_final = conv_decision_name(d);
		}
		if (m->final && m->qmp_up && !m->snd.target_qemu_ready) {
			ret = wait_target_qemu(m);
			if (ret)
				return ret;
			/*
			 * What the guest wrote while we waited goes in one
			 * more pre-copy round, not in the downtime; unless
			 * --max-rounds says no more.
			 */
			if (d != CONV_MAX_ROUNDS)
				m->final = false;
		}
	}
	progress_event(&m->pr, "round_done", "round", (uint64_t)m->round,
		       "final", (uint64_t)1, NULL);
	if (cancelled)
		return fail(m, LDMCTL_EXIT_CANCELLED,
			    "cancelled before commit; the source domain is intact");
	if (m->qmp_up) {
		ret = devstate_capture(m);
		if (!ret)
			ret = devstate_send(m);
		if (ret)
			return ret;
	}
	ret = commit(m);
	if (ret)
		return ret;

	/* Committed: the domain is the target's now. */
	memset(&mi, 0, sizeof(mi));
	mig_get(m->g, m->o.domain, &mi);
	sum.domain = m->o.domain;
	sum.dest = m->dest_str;
	sum.total_ns = now_ns() - m->t_start;
	sum.suspend_ns = m->suspended ? (int64_t)(now_ns() - m->t_suspend) : -1;
	sum.suspend_emulator_only = false;
	sum.rounds = m->rounds_done;
	sum.why_final = m->why_final;
	sum.pages_zero = mi.totals.v[LDM_A_STAT_PAGES_ZERO];
	sum.pages_skipped = mi.totals.v[LDM_A_STAT_PAGES_SKIPPED];
	sum.pages_lzjb = mi.totals.v[LDM_A_STAT_PAGES_LZJB];
	sum.pages_lz4 = mi.totals.v[LDM_A_STAT_PAGES_LZ4];
	sum.compress = adapt_codec_name(m->o.compress);
	sum.codec_switches = m->ad.switches;
	sum.pages_raw = mi.totals.v[LDM_A_STAT_PAGES_RAW];
	sum.bytes_in = mi.totals.v[LDM_A_STAT_BYTES_IN];
	sum.bytes_out = mi.totals.v[LDM_A_STAT_BYTES_OUT];
	sum.batches = mi.totals.v[LDM_A_STAT_BATCHES];
	sum.wire_bytes = m->snd.wire_bytes + m->ctl.bytes_in + m->ctl.bytes_out;
	sum.streams = m->o.streams;
	sum.verified = m->o.verify;
	/*
	 * The session ends, and the source marks the domain migrated: its
	 * writes block for good, it can only be destroyed. A paused emulator
	 * stays stopped: the domain runs on the target now.
	 */
	m->paused = false;
	m->qmp_stopped = false;
	mig_stop(m->g, m->o.domain);
	m->session = false;
	ret = ldm_domain_set_state(m->g, m->o.domain, LDM_DOMAIN_STATE_MIGRATED);
	if (ret)
		progress_note(&m->pr, "cannot mark '%s' migrated: %s", m->o.domain,
			      ldm_genl_ext_ack(m->g) ? ldm_genl_ext_ack(m->g) :
			      strerror(-ret));
	m->suspended = false;
	oplock_status(m->lock_fd, "migrated to %s", m->dest_str);
	progress_summary(&m->pr, &sum);
	progress_note(&m->pr, "'%s' is marked migrated here%s: destroy it when its emulator is gone",
		      m->o.domain, m->o.pause_pid || m->qmp_up ?
		      " and its emulator stays stopped" : "");
	return LDMCTL_EXIT_OK;
}

static int parse_u32(const struct subcommand *cmd, const char *opt,
		     const char *s, uint32_t lo, uint32_t hi, uint32_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || x < lo || x > hi)
		return usage_error(cmd, "%s must be a number from %u to %u", opt,
				   lo, hi);
	*v = (uint32_t)x;
	return 0;
}

static int migrate(const struct subcommand *cmd, int argc, char **argv,
		   const struct ldmctl_opts *opts)
{
	enum {
		OPT_FIPS = 256, OPT_WORKERS, OPT_STREAMS, OPT_DOWNTIME,
		OPT_MAX_ROUNDS, OPT_BANDWIDTH, OPT_VERIFY, OPT_CERT, OPT_KEY,
		OPT_TRUST_DIR, OPT_PORT, OPT_TIMEOUT, OPT_PAUSE_PID, OPT_QMP,
		OPT_BASELINE, OPT_COMPRESS, OPT_NO_FORCE, OPT_RECONNECT,
	};
	static const struct option longopts[] = {
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "password-file", required_argument,	NULL, 'p' },
		{ "fips",	no_argument,		NULL, OPT_FIPS },
		{ "workers",	required_argument,	NULL, OPT_WORKERS },
		{ "streams",	required_argument,	NULL, OPT_STREAMS },
		{ "downtime-limit", required_argument,	NULL, OPT_DOWNTIME },
		{ "max-rounds",	required_argument,	NULL, OPT_MAX_ROUNDS },
		{ "bandwidth",	required_argument,	NULL, OPT_BANDWIDTH },
		{ "verify",	no_argument,		NULL, OPT_VERIFY },
		{ "cert",	required_argument,	NULL, OPT_CERT },
		{ "key",	required_argument,	NULL, OPT_KEY },
		{ "trust-dir",	required_argument,	NULL, OPT_TRUST_DIR },
		{ "port",	required_argument,	NULL, OPT_PORT },
		{ "timeout",	required_argument,	NULL, OPT_TIMEOUT },
		{ "pause-pid",	required_argument,	NULL, OPT_PAUSE_PID },
		{ "qmp",	required_argument,	NULL, OPT_QMP },
		/* Hidden, for make bench: LDM_MIG_F_BASELINE (ldmctl(8)). */
		{ "baseline",	no_argument,		NULL, OPT_BASELINE },
		{ "compress",	required_argument,	NULL, OPT_COMPRESS },
		{ "no-force",	no_argument,		NULL, OPT_NO_FORCE },
		{ "reconnect",	required_argument,	NULL, OPT_RECONNECT },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	struct migration *m;
	struct sigaction sa = { .sa_handler = on_signal };
	char quoted[QUOTE_MAX], why_fips[TLS_WHY_MAX];
	const char *why;
	uint32_t v;
	int c, ret;

	m = calloc(1, sizeof(*m));
	if (!m)
		return report_result(cmd->name, NULL, -ENOMEM, NULL);
	m->cmd = cmd;
	m->lock_fd = -1;
	m->ring.fd = -1;
	m->qmp.fd = -1;
	m->o.json = opts->json;
	m->o.streams = 2;
	m->o.max_rounds = DEFAULT_MAX_ROUNDS;
	m->o.downtime_ms = DEFAULT_DOWNTIME_MS;
	m->o.timeout_ms = DEFAULT_TIMEOUT_S * 1000;
	m->o.port = LDM_DEFAULT_PORT;
	m->o.cert = LDM_DEFAULT_CERT;
	m->o.key = LDM_DEFAULT_KEY;
	m->o.trust_dir = LDM_DEFAULT_TRUST_DIR;
	m->why_final = "converged";

	subcommand_getopt_init();
	ret = -1;
	while (ret < 0 &&
	       (c = getopt_long(argc, argv, ":np:jh", longopts, NULL)) != -1) {
		uint64_t bytes;

		switch (c) {
		case 'n':
			m->o.dry_run = true;
			break;
		case 'p':
			m->o.pwfile = optarg;
			break;
		case OPT_FIPS:
			m->o.fips = true;
			break;
		case OPT_WORKERS:
			if (parse_u32(cmd, "--workers", optarg, 1, 1024, &v))
				ret = LDMCTL_EXIT_USAGE;
			m->o.workers = v;
			break;
		case OPT_STREAMS:
			if (parse_u32(cmd, "--streams", optarg, 1,
				      PROTO_STREAMS_MAX, &v))
				ret = LDMCTL_EXIT_USAGE;
			m->o.streams = v;
			break;
		case OPT_DOWNTIME:
			if (parse_u32(cmd, "--downtime-limit", optarg, 1,
				      3600000, &v))
				ret = LDMCTL_EXIT_USAGE;
			m->o.downtime_ms = v;
			break;
		case OPT_MAX_ROUNDS:
			if (parse_u32(cmd, "--max-rounds", optarg, 1,
				      PROTO_ROUNDS_MAX - 1, &v))
				ret = LDMCTL_EXIT_USAGE;
			m->o.max_rounds = v;
			break;
		case OPT_BANDWIDTH:
			if (size_parse(optarg, &bytes, &why)) {
				ret = usage_error(cmd, "invalid --bandwidth '%s': %s",
						  quote_arg(optarg, quoted), why);
				break;
			}
			m->o.bandwidth = bytes;
			break;
		case OPT_VERIFY:
			m->o.verify = true;
			break;
		case OPT_CERT:
			m->o.cert = optarg;
			break;
		case OPT_KEY:
			m->o.key = optarg;
			break;
		case OPT_TRUST_DIR:
			m->o.trust_dir = optarg;
			break;
		case OPT_PORT:
			if (port_parse(optarg, &m->o.port))
				ret = usage_error(cmd, "--port must be a number from 1 to 65535");
			break;
		case OPT_TIMEOUT:
			if (parse_u32(cmd, "--timeout", optarg, 1, 3600, &v))
				ret = LDMCTL_EXIT_USAGE;
			m->o.timeout_ms = (int)v * 1000;
			break;
		case OPT_PAUSE_PID:
			if (parse_u32(cmd, "--pause-pid", optarg, 2, INT32_MAX,
				      &v))
				ret = LDMCTL_EXIT_USAGE;
			m->o.pause_pid = (pid_t)v;
			break;
		case OPT_QMP:
			m->o.qmp = optarg;
			break;
		case OPT_BASELINE:
			m->o.baseline = true;
			break;
		case OPT_COMPRESS:
			if (adapt_parse(optarg, &m->o.compress))
				ret = usage_error(cmd, "invalid --compress '%s': auto, lzjb, lz4 or none",
						  quote_arg(optarg, quoted));
			break;
		case OPT_NO_FORCE:
			m->o.no_force = true;
			break;
		case OPT_RECONNECT:
			if (parse_u32(cmd, "--reconnect", optarg, 0,
				      PROTO_RESUME_WAIT_S, &v))
				ret = LDMCTL_EXIT_USAGE;
			m->o.reconnect_s = v;
			break;
		case 'j':
			m->o.json = true;
			break;
		case 'h':
			subcommand_help(cmd, stdout);
			ret = LDMCTL_EXIT_OK;
			break;
		default:
			ret = option_error(cmd, argv, c, longopts);
			break;
		}
	}
	if (ret >= 0)
		goto out;
	if (argc - optind < 2) {
		ret = usage_error(cmd, optind == argc ? "missing domain name" :
				  "missing destination [user@]HOST[:TARGET]");
		goto out;
	}
	if (argc - optind > 2) {
		ret = usage_error(cmd, "unexpected argument '%s'",
				  quote_arg(argv[optind + 2], quoted));
		goto out;
	}
	if (m->o.qmp && m->o.pause_pid) {
		ret = usage_error(cmd, "--qmp and --pause-pid both stop the emulator: give one");
		goto out;
	}
	m->o.domain = argv[optind];
	m->o.dest_arg = argv[optind + 1];
	if (name_validate(m->o.domain, &why)) {
		report(cmd->name, m->o.domain, "%s", why);
		ret = LDMCTL_EXIT_USAGE;
		goto out;
	}
	if (dest_parse(m->o.dest_arg, &m->o.dest, &why)) {
		ret = usage_error(cmd, "invalid destination '%s': %s",
				  quote_arg(m->o.dest_arg, quoted), why);
		goto out;
	}
	m->target = m->o.dest.target[0] ? m->o.dest.target : m->o.domain;
	snprintf(m->dest_str, sizeof(m->dest_str), "%s:%s", m->o.dest.host,
		 m->target);
	progress_init(&m->pr, m->o.json);

	/* Refusals that need nothing but this host come first. */
	if (m->o.pwfile) {
		char *text;

		why = NULL;
		ret = pwfile_read(m->o.pwfile, &text, &why);
		if (!ret) {
			ret = pw_first_line(text, m->password, &why);
			pwfile_free(text);
		}
		if (ret) {
			report(cmd->name, m->o.pwfile, "password file %s",
			       why ? why : strerror(-ret));
			ret = LDMCTL_EXIT_REFUSED;
			goto out;
		}
	}
	if (m->o.fips) {
		if (tls_fips_enable(why_fips)) {
			report(cmd->name, NULL, "--fips: %s", why_fips);
			ret = LDMCTL_EXIT_FAIL;
			goto out;
		}
		if (!tls_kernel_fips()) {
			report(cmd->name, NULL,
			       "--fips: the kernel is not in FIPS mode (/proc/sys/crypto/fips_enabled is not 1), so the module's gcm(aes) is not FIPS-validated");
			ret = LDMCTL_EXIT_FAIL;
			goto out;
		}
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = migrate_run(m);
	if (ret && m->ctl_up)
		send_abort(m, ret == LDMCTL_EXIT_CANCELLED ? PROTO_E_CANCELLED :
			   PROTO_E_SOURCE, "the source gave up (see its messages)");
	teardown(m);
out:
	if (m->g)
		ldm_genl_close(m->g);
	if (m->ctx)
		SSL_CTX_free(m->ctx);
	oplock_release(m->lock_fd);
	wipe_secrets(m);
	free(m);
	return ret;
}

const struct subcommand cmd_migrate = {
	.name = "migrate",
	.synopsis = "[-n] [-p PWFILE] [--fips] [--workers N] [--streams N]\n"
		    "              [--downtime-limit MS] [--max-rounds N] [--no-force] [--bandwidth RATE]\n"
		    "              [--compress auto|lzjb|lz4|none] [--reconnect S]\n"
		    "              [--verify] [--qmp SOCKET | --pause-pid PID] [--port PORT] [--timeout S]\n"
		    "              [--cert F --key F --trust-dir D] [-j] DOMAIN [user@]HOST[:TARGET]",
	.summary = "live-migrate a domain to another host",
	.help =
	"Move DOMAIN's memory to HOST, where 'ldmctl serve' creates TARGET\n"
	"(default: the same name), while the domain keeps running: pre-copy\n"
	"rounds until the rest fits the downtime limit, a final round, and a\n"
	"commit. The control connection is TLS 1.3 with mutual certificate\n"
	"authentication against the trust directory; the batches, sealed by the\n"
	"module with a key derived from that TLS session, travel on plain TCP\n"
	"streams. Any failure before the commit leaves DOMAIN as it was and the\n"
	"target without TARGET.\n"
	"\n"
	"  -n, --dry-run          connect, authenticate and check the target can\n"
	"                         take the domain; change nothing\n"
	"  -p, --password-file F  authenticate with the password in F (mode 0600)\n"
	"                         instead of a certificate; the target still shows one\n"
	"      --fips             OpenSSL's FIPS provider only; both ends must agree\n"
	"      --workers N        page-copy workers of the module (default: all CPUs)\n"
	"      --streams N        data streams, 1 to 16 (default 2)\n"
	"      --downtime-limit MS  final round's time budget (default 300)\n"
	"      --max-rounds N     pre-copy rounds at most (default 10)\n"
	"      --no-force         refuse, before suspending, a migration whose\n"
	"                         forecast misses the downtime limit\n"
	"      --compress C       auto (default: measured as it goes), lzjb, lz4\n"
	"                         or none\n"
	"      --reconnect S      if the connection drops during pre-copy, reconnect\n"
	"                         for up to S seconds (at most 60) and go on without\n"
	"                         resending what the target has (default 0: fail)\n"
	"      --bandwidth RATE   at most RATE bytes/s on the data streams (e.g. 100M)\n"
	"      --verify           compare per-page checksums of both domains at commit\n"
	"      --qmp SOCKET       the QEMU on DOMAIN: QMP 'stop' before the final\n"
	"                         round, then its device state (x-ignore-shared, no\n"
	"                         RAM) to the target's QEMU; 'cont' if the migration\n"
	"                         fails (see ldmctl(8), serve --qmp-dir)\n"
	"      --pause-pid PID    also SIGSTOP this emulator for the final round\n"
	"                         (SIGCONT if the migration fails)\n"
	"      --port PORT        the target's port (default 8101)\n"
	"      --timeout S        give up after S seconds without progress (default 30)\n"
	"      --cert F           this host's certificate (default " LDM_DEFAULT_CERT ")\n"
	"      --key F            its private key (default " LDM_DEFAULT_KEY ")\n"
	"      --trust-dir D      trusted certificates (default " LDM_DEFAULT_TRUST_DIR ")\n"
	"  -j, --json             JSON events on stdout, one per line\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit status: 0 migrated, 1 failed (the source is intact), 2 usage,\n"
	"5 refused (authentication or the target's checks), 6 cancelled,\n"
	"7 outcome unknown (lost the target during the commit), 8 the target\n"
	"is busy (every migration slot taken; nothing changed, try again later).\n",
	.run = migrate,
};
