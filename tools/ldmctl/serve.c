// SPDX-License-Identifier: GPL-2.0
/*
 * ldmctl serve [--listen ADDR[:PORT]] [--cert F --key F --trust-dir D]
 *              [-p CHECKFILE] [--fips] [--workers N] [--timeout S]
 *              [--qmp-dir DIR] [--on-receive CMD] [--handshake-timeout S]
 *              [--max-startups N] [--max-startups-per-addr N]
 *              [--max-migrations N]
 *
 * The target side of live migration: a daemon that accepts migrations
 * into new domains. Each control connection is served by a child process
 * of its own, which owns the receiving session (the module ends a session
 * with its netlink socket). Anyone who can reach the port can connect, so
 * connections are admitted in two budgets (admit.h): those not yet
 * authenticated, few, per address too, each with a short deadline; and
 * authenticated migrations, which the others cannot take. The child says
 * when it has authenticated and serve gives it a migration slot, or tells
 * it to turn the source away, busy. Before it creates a domain the child
 * leaves a marker under /run/ldm/incoming/; the parent discards the
 * domain of any child that dies without removing its marker (killed,
 * crashed), and so does a serve that starts and finds markers of dead
 * processes.
 *
 * With --qmp-dir, a source's QEMU device state (migrate --qmp) is loaded
 * into the target QEMU whose QMP socket is DIR/<target>.qmp, started by
 * the operator with -incoming defer on /dev/ldm/<target>, before the
 * commit; that QEMU is resumed only after COMMITTED, and told to quit if
 * the migration fails (ldmctl(8), "QEMU guests"). --on-receive runs a
 * command of the operator's (typically: start that QEMU) once the target
 * domain exists, before any data arrives.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "addr.h"
#include "admit.h"
#include "config.h"
#include "ctl.h"
#include "domain.h"
#include "ldmctl.h"
#include "mig.h"
#include "name.h"
#include "net.h"
#include "oplock.h"
#include "pagesum.h"
#include "proto.h"
#include "pwfile.h"
#include "qmp.h"
#include "recv.h"
#include "tls.h"

#define DEFAULT_TIMEOUT_S	30

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

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

static void logf_(const char *peer, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logf_(const char *peer, const char *fmt, ...)
{
	char when[32], line[1024];
	time_t t = time(NULL);
	va_list ap;
	int n;

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	n = snprintf(line, sizeof(line), "ldmctl: serve: %s%s%s: ", when,
		     peer ? " " : "", peer ? peer : "");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	/*
	 * One write a line: many processes log at once (one per connection),
	 * and pieces of their lines must not interleave.
	 */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

static void send_abort(struct incoming *in, uint32_t code, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));

static void send_abort(struct incoming *in, uint32_t code, const char *fmt,
		       ...)
{
	struct proto_abort ab = { .code = code };
	struct pbuf b;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ab.reason, sizeof(ab.reason), fmt, ap);
	va_end(ap);
	logf_(in->peer, "aborting: %s", ab.reason);
	if (!in->ctl_up)
		return;
	pbuf_init(&b);
	if (!proto_put_abort(&b, &ab))
		ctl_send(&in->ctl, &b, 2000);
	pbuf_free(&b);
}

/* The half-made domain goes: session, ring, domain, marker. */
static void discard(struct incoming *in)
{
	const char *name = in->hello.target;
	int i, err = 0;

	if (in->ring.map)
		uring_unmap(&in->ring);
	if (in->session) {
		mig_stop(in->g, name);
		in->session = false;
	}
	if (in->created) {
		for (i = 0; i < 50; i++) {
			err = ldm_domain_del(in->g, name);
			if (err != -EBUSY)
				break;
			usleep(100000);
		}
		if (err)
			logf_(in->peer, "cannot discard domain '%s': %s", name,
			      ldm_genl_ext_ack(in->g) ? ldm_genl_ext_ack(in->g) :
			      strerror(-err));
		else
			logf_(in->peer, "discarded the half-made domain '%s'",
			      name);
		in->created = false;
	}
	if (in->marked && !err) {
		incoming_unmark(name);
		in->marked = false;
	}
}

static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

static uint64_t max_domain(void)
{
	FILE *f = fopen("/sys/module/ldm/parameters/max_domain_mib", "r");
	unsigned long long mib = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &mib) != 1)
		mib = 0;
	fclose(f);
	return (uint64_t)mib << 20;
}

static void check(struct proto_welcome *w, uint32_t code, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));

static void check(struct proto_welcome *w, uint32_t code, const char *fmt,
		  ...)
{
	va_list ap;

	if (w->nchecks == PROTO_CHECKS_MAX)
		return;
	w->checks[w->nchecks].code = code;
	va_start(ap, fmt);
	vsnprintf(w->checks[w->nchecks].text, PROTO_STR_TEXT_MAX + 1, fmt, ap);
	va_end(ap);
	w->nchecks++;
	if (code && !w->verdict)
		w->verdict = code;
}

/* Everything the source asked, checked; nothing changed. */
static void judge(struct incoming *in, struct proto_welcome *w)
{
	const struct proto_hello *h = &in->hello;
	struct ldm_domain_info di;
	const char *why;
	uint64_t need = h->resident * h->page_size;
	int err;

	w->uapi_version = LDM_UAPI_VERSION;
	w->page_size = (uint32_t)in->page_size;
	w->fips = in->o->fips;
	snprintf(w->tool_version, sizeof(w->tool_version), "%s", LDMCTL_VERSION);
	w->mem_available = mem_available();
	w->max_domain = max_domain();

	check(w, PROTO_OK, "authenticated the source %s", in->peer);
	if (h->uapi_version != LDM_UAPI_VERSION)
		check(w, PROTO_E_VERSION,
		      "ldm UAPI versions differ: source %u, target %u",
		      h->uapi_version, LDM_UAPI_VERSION);
	else
		check(w, PROTO_OK, "versions: protocol %d, ldm UAPI %d, ldmctl %s (source %s)",
		      PROTO_VERSION, LDM_UAPI_VERSION, LDMCTL_VERSION,
		      h->tool_version);
	if (!!(h->flags & PROTO_HELLO_F_FIPS) != in->o->fips)
		check(w, PROTO_E_FIPS,
		      "FIPS mode mismatch: the source is%s in FIPS mode, the target is%s",
		      h->flags & PROTO_HELLO_F_FIPS ? "" : " not",
		      in->o->fips ? "" : " not");
	if (h->page_size != in->page_size)
		check(w, PROTO_E_PAGE_SIZE, "page sizes differ: source %u, target %" PRIu64,
		      h->page_size, in->page_size);
	else
		check(w, PROTO_OK, "page size %u", h->page_size);
	if (name_validate(h->target, &why)) {
		check(w, PROTO_E_NAME, "target name '%s': %s", h->target, why);
	} else {
		err = ldm_domain_get(in->g, h->target, &di);
		if (!err)
			check(w, PROTO_E_NAME,
			      "domain '%s' already exists on the target", h->target);
		else if (err != -ENOENT)
			check(w, PROTO_E_TARGET, "cannot look up '%s': %s",
			      h->target, strerror(-err));
		else
			check(w, PROTO_OK, "domain name '%s' is free", h->target);
	}
	if (!h->size || h->size % in->page_size)
		check(w, PROTO_E_REQUEST, "bad domain size %" PRIu64, h->size);
	else if (w->max_domain && h->size > w->max_domain)
		check(w, PROTO_E_MEMORY,
		      "domain size %" PRIu64 " MiB exceeds the target's max_domain_mib (%" PRIu64 ")",
		      h->size >> 20, w->max_domain >> 20);
	else if (need > w->mem_available)
		check(w, PROTO_E_MEMORY,
		      "the domain's %" PRIu64 " MiB in use exceed the target's available memory (%" PRIu64 " MiB)",
		      need >> 20, w->mem_available >> 20);
	else
		check(w, PROTO_OK, "memory: %" PRIu64 " MiB in use fit the %" PRIu64 " MiB available",
		      need >> 20, w->mem_available >> 20);
	if ((h->flags & PROTO_HELLO_F_DEVSTATE) && !in->o->qmp_dir)
		check(w, PROTO_E_TARGET,
		      "the source sends QEMU's device state, but this serve has no --qmp-dir for the target QEMU");
	else if (h->flags & PROTO_HELLO_F_DEVSTATE)
		check(w, PROTO_OK, "QEMU device state goes to the QEMU on %s/%s.qmp",
		      in->o->qmp_dir, h->target);
	if (h->batch_bytes < LDM_BATCH_MIN || h->batch_bytes > LDM_BATCH_MAX)
		check(w, PROTO_E_REQUEST, "batch size %u out of range",
		      h->batch_bytes);
}

static int send_msg(struct incoming *in, struct pbuf *b, int ret)
{
	if (!ret)
		ret = ctl_send(&in->ctl, b, in->o->timeout_ms);
	pbuf_reset(b);
	return ret;
}

/* The target domain, its receiving session and ring, the data port. */
static int prepare(struct incoming *in, uint16_t *port)
{
	const struct proto_hello *h = &in->hello;
	struct mig_params mp = { .workers = in->o->workers,
				 .batch_bytes = h->batch_bytes };
	struct mig_info mi;
	uint8_t salt[4];
	int err;

	err = incoming_mark(h->target);
	if (err) {
		send_abort(in, PROTO_E_NAME,
			   "domain '%s' is being created by another migration",
			   h->target);
		return err;
	}
	in->marked = true;
	err = ldm_domain_new(in->g, h->target, h->size);
	if (err) {
		send_abort(in, err == -EEXIST ? PROTO_E_NAME : PROTO_E_TARGET,
			   "cannot create domain '%s': %s", h->target,
			   ldm_genl_ext_ack(in->g) ? ldm_genl_ext_ack(in->g) :
			   strerror(-err));
		return err;
	}
	in->created = true;
	if (tls_export(in->ctl.ssl, TLS_LABEL_BATCH_KEY, in->key,
		       sizeof(in->key)) ||
	    tls_export(in->ctl.ssl, TLS_LABEL_BATCH_SALT, salt, sizeof(salt)) ||
	    tls_export(in->ctl.ssl, TLS_LABEL_STREAM_TOKEN, in->token,
		       sizeof(in->token)) ||
	    ((h->flags & PROTO_HELLO_F_RESUMABLE) &&
	     tls_export(in->ctl.ssl, TLS_LABEL_RESUME_TICKET, in->ticket,
			sizeof(in->ticket)))) {
		send_abort(in, PROTO_E_TARGET, "cannot derive the batch key");
		return -EIO;
	}
	memcpy(&in->salt, salt, sizeof(salt));
	OPENSSL_cleanse(salt, sizeof(salt));
	in->resumable = h->flags & PROTO_HELLO_F_RESUMABLE;
	mp.key = in->key;
	mp.salt = in->salt;
	mp.flags = in->o->fips ? LDM_MIG_F_FIPS : 0;
	err = mig_start(in->g, h->target, false, &mp, &in->ring);
	OPENSSL_cleanse(in->key, sizeof(in->key));
	OPENSSL_cleanse(&in->salt, sizeof(in->salt));
	if (err) {
		send_abort(in, PROTO_E_TARGET, "cannot start receiving: %s",
			   ldm_genl_ext_ack(in->g) ? ldm_genl_ext_ack(in->g) :
			   strerror(-err));
		return err;
	}
	in->session = true;
	err = mig_get(in->g, h->target, &mi);
	if (!err)
		err = uring_map(&in->ring, mi.ring_bytes);
	if (err) {
		send_abort(in, PROTO_E_TARGET, "cannot map the ring: %s",
			   strerror(-err));
		return err;
	}
	receiver_init(&in->rx, &in->ring, h->batch_bytes);
	/* Streams come to the address the control connection reached. */
	{
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char addr[64];

		getsockname(in->ctl.fd, (struct sockaddr *)&ss, &len);
		net_addr_string(&ss, addr, sizeof(addr));
		in->data_fd = net_listen(addr, 0);
	}
	if (in->data_fd < 0) {
		send_abort(in, PROTO_E_TARGET, "cannot listen for data streams: %s",
			   strerror(-in->data_fd));
		return in->data_fd;
	}
	*port = (uint16_t)net_local_port(in->data_fd);
	return 0;
}

/* Accept the streams; a connection without this session's token is dropped. */
static int accept_streams(struct incoming *in)
{
	int64_t deadline = now_ms() + in->o->timeout_ms;
	uint32_t n = 0;

	while (n < in->hello.streams) {
		uint8_t hello[PROTO_STREAM_HELLO_BYTES];
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct pollfd p = { .fd = in->data_fd, .events = POLLIN };
		size_t got = 0;
		uint16_t idx;
		char addr[64];
		int fd, err;

		if (stopping || now_ms() > deadline ||
		    poll(&p, 1, (int)(deadline - now_ms())) <= 0) {
			send_abort(in, PROTO_E_DATA,
				   "only %u of %u data streams arrived", n,
				   in->hello.streams);
			return -ETIMEDOUT;
		}
		fd = accept4(in->data_fd, (struct sockaddr *)&ss, &len,
			     SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		net_addr_string(&ss, addr, sizeof(addr));
		net_tune(fd, in->o->timeout_ms);
		while (got < sizeof(hello)) {
			struct pollfd q = { .fd = fd, .events = POLLIN };
			ssize_t r;

			if (poll(&q, 1, 5000) <= 0)
				break;
			r = recv(fd, hello + got, sizeof(hello) - got, 0);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		err = got == sizeof(hello) ?
		      proto_check_stream_hello(hello, in->token,
					       (uint16_t)in->hello.streams, &idx) :
		      -EPROTO;
		if (!err && in->rx.st[idx].fd >= 0)
			err = -EEXIST;
		if (err) {
			logf_(in->peer, "refused a data stream from %s: %s", addr,
			      err == -EPERM ? "wrong session token" :
			      err == -EEXIST ? "stream index used twice" :
			      "malformed stream greeting");
			close(fd);
			continue;
		}
		in->rx.st[idx].fd = fd;
		n++;
	}
	in->rx.nstreams = in->hello.streams;
	/* A resumable migration keeps the port: the source comes back there. */
	if (!in->resumable) {
		close(in->data_fd);
		in->data_fd = -1;
	}
	OPENSSL_cleanse(in->token, sizeof(in->token));
	return 0;
}

static int expect(struct incoming *in, uint16_t type);
static int qmp_target_poll(struct incoming *in);

/* APPLIED: the pages the module has from round @round on, in chunks. */
static int send_applied(struct incoming *in, uint32_t round)
{
	uint64_t npages = in->hello.size / in->page_size, count = 0, i;
	size_t nwords = (size_t)((npages + 63) / 64);
	struct proto_sums *s = calloc(1, sizeof(*s));
	uint64_t *words = calloc(nwords, sizeof(*words));
	struct pbuf b;
	int err;

	pbuf_init(&b);
	err = s && words ? mig_page_set(in->ring.fd, LDM_IOC_APPLIED, words,
					nwords, round, &count) : -ENOMEM;
	for (i = 0; !err && i < nwords; i += s->count) {
		s->first = i;
		s->count = (uint32_t)(nwords - i < PROTO_SUMS_MAX ?
				      nwords - i : PROTO_SUMS_MAX);
		memcpy(s->sums, words + i, s->count * sizeof(*words));
		err = send_msg(in, &b, proto_put_applied(&b, s));
	}
	if (!err)
		logf_(in->peer, "'%s' has %" PRIu64 " pages from round %u on",
		      in->hello.target, count, round);
	pbuf_free(&b);
	free(words);
	free(s);
	return err;
}

/*
 * Round @round was cut: whatever of it the module applied is not in the
 * source's count of batches (nor is the round before, if its
 * acknowledgement was lost on the way): remember it for the commit.
 */
static int cut_round(struct incoming *in, uint32_t round)
{
	uint64_t before = 0;
	struct mig_info mi;
	uint32_t r;
	int err;

	err = mig_get(in->g, in->hello.target, &mi);
	if (err)
		return err;
	/* What the source counts: the rounds before, acknowledged. */
	for (r = round; r <= in->rounds_acked && r < PROTO_ROUNDS_MAX; r++)
		in->expected[r] = 0;
	for (r = 0; r < round; r++)
		before += in->expected[r];
	if (mi.totals.v[LDM_A_STAT_BATCHES] < before)
		return -EPROTO;
	in->cut_batches = mi.totals.v[LDM_A_STAT_BATCHES] - before;
	return 0;
}

/*
 * The source is gone mid-way through pre-copy and asked for a chance to
 * come back: keep the domain, its session and the data port, let what
 * arrived be applied, and wait for a reconnect that shows the ticket.
 * Return: 0 with the new control connection and streams, or an error
 * (the caller discards the domain).
 */
static int resume_wait(struct incoming *in, const char *why)
{
	int64_t deadline = now_ms() + PROTO_RESUME_WAIT_S * 1000;
	struct proto_resume rs;
	enum tls_refusal refused;
	char twhy[TLS_WHY_MAX];
	struct pbuf b;
	SSL *ssl;
	int fd, err;

	logf_(in->peer, "lost the source (%s); keeping '%s' %d s for it to resume",
	      why, in->hello.target, PROTO_RESUME_WAIT_S);
	if (in->ctl.ssl)
		ctl_close(&in->ctl);
	in->ctl_up = false;
	receiver_drop_streams(&in->rx);
	while (!receiver_drained(&in->rx) && now_ms() < deadline && !stopping)
		poll(NULL, 0, 20);
	pbuf_init(&b);
	while (!stopping && now_ms() < deadline) {
		struct pollfd p = { .fd = in->data_fd, .events = POLLIN };
		int64_t left = deadline - now_ms();

		if (poll(&p, 1, left > 1000 ? 1000 : (int)left) <= 0)
			continue;
		fd = accept4(in->data_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		net_tune(fd, in->o->timeout_ms);
		ssl = tls_handshake(in->ctx, fd, NULL, in->o->timeout_ms,
				    &stopping, twhy, &refused);
		if (!ssl) {
			logf_(in->peer, "refused a reconnect: %s", twhy);
			net_linger_close(fd, 1000);
			continue;
		}
		if (ctl_init(&in->ctl, ssl, fd)) {
			SSL_free(ssl);
			close(fd);
			break;
		}
		in->ctl_up = true;
		err = expect(in, PROTO_MSG_RESUME);
		if (!err && (proto_get_resume(in->ctl.payload, in->ctl.len, &rs) ||
			     CRYPTO_memcmp(rs.ticket, in->ticket,
					   sizeof(in->ticket)) ||
			     rs.round > in->rounds_acked ||
			     rs.round + 1 < in->rounds_acked)) {
			send_abort(in, PROTO_E_REQUEST,
				   "this is not a resume of the migration into '%s'",
				   in->hello.target);
			err = -EPERM;
		}
		if (!err)
			err = cut_round(in, rs.round);
		if (!err)
			err = send_applied(in, rs.round);
		if (!err && tls_export(in->ctl.ssl, TLS_LABEL_STREAM_TOKEN,
				       in->token, sizeof(in->token)))
			err = -EIO;
		if (!err)
			err = accept_streams(in);
		if (!err)
			err = send_msg(in, &b, proto_put_empty(&b,
							       PROTO_MSG_STREAMS_OK));
		if (!err) {
			in->rounds_acked = rs.round + 1;
			in->rx.last_data_ms = now_ms();
			in->resumes++;
			/* Said again on the new link (it may have been lost). */
			in->qemu_ready_sent = false;
			logf_(in->peer, "resumed '%s' after round %u was cut",
			      in->hello.target, rs.round);
			pbuf_free(&b);
			return 0;
		}
		logf_(in->peer, "the reconnect failed: %s", strerror(-err));
		receiver_drop_streams(&in->rx);
		ctl_close(&in->ctl);
		in->ctl_up = false;
	}
	pbuf_free(&b);
	logf_(in->peer, "the source did not come back within %d s",
	      PROTO_RESUME_WAIT_S);
	return -ETIMEDOUT;
}

/* A failure the source may come back from: the connection, not the data. */
static bool connection_lost(int err)
{
	return err == -EPIPE || err == -ECONNRESET || err == -ETIMEDOUT ||
	       err == -ENOTCONN || err == -EHOSTUNREACH || err == -ENETUNREACH;
}

/* Round @round is whole when every batch is in and the module took them. */
static int round_complete(struct incoming *in, uint32_t round, bool *done)
{
	struct proto_round_ack ack = { .round = round };
	const struct mig_stats *rs;
	struct mig_info mi;
	struct pbuf b;
	int err;

	*done = false;
	if (in->rx.got[round] < in->expected[round] || !receiver_drained(&in->rx))
		return 0;
	if (in->rx.got[round] > in->expected[round]) {
		send_abort(in, PROTO_E_DATA,
			   "round %u: %" PRIu64 " batches arrived, %" PRIu64 " announced",
			   round, in->rx.got[round], in->expected[round]);
		return -EBADMSG;
	}
	err = mig_get(in->g, in->hello.target, &mi);
	if (err) {
		send_abort(in, PROTO_E_TARGET, "cannot read the session: %s",
			   strerror(-err));
		return err;
	}
	if (mi.state != LDM_MIG_STATE_RECEIVING) {
		send_abort(in, PROTO_E_DATA, "the target's module refused a batch: %s",
			   mi.errmsg[0] ? mi.errmsg : "session ended");
		return -EIO;
	}
	rs = mig_round_stats(&mi, round);
	/* The round-end batch, authenticated, says how many there were. */
	if (!rs || rs->v[LDM_A_STAT_BATCHES] != in->expected[round] ||
	    rs->v[LDM_A_STAT_ROUND_BATCHES] != in->expected[round]) {
		send_abort(in, PROTO_E_DATA,
			   "round %u: the module applied %" PRIu64 " batches of %" PRIu64
			   " announced by the round end, the source sent %" PRIu64,
			   round, rs ? rs->v[LDM_A_STAT_BATCHES] : 0,
			   rs ? rs->v[LDM_A_STAT_ROUND_BATCHES] : 0,
			   in->expected[round]);
		return -EBADMSG;
	}
	ack.batches = rs->v[LDM_A_STAT_BATCHES];
	ack.pages = rs->v[LDM_A_STAT_PAGES_ZERO] + rs->v[LDM_A_STAT_PAGES_LZJB] +
		    rs->v[LDM_A_STAT_PAGES_RAW];
	pbuf_init(&b);
	err = send_msg(in, &b, proto_put_round_ack(&b, &ack));
	pbuf_free(&b);
	if (err)
		return err;
	*done = true;
	return 0;
}

/* Rounds until the final one is acknowledged. */
static int receive_rounds(struct incoming *in)
{
	int64_t pending = -1;	/* the round announced, not yet acked */
	struct proto_round_done rd;
	struct proto_abort ab;
	bool ctl_ready, done;
	int err;

	ctl_next(&in->ctl);	/* HELLO was dealt with */
	for (;;) {
		if (stopping) {
			send_abort(in, PROTO_E_TARGET, "the target is shutting down");
			return -EINTR;
		}
		err = receiver_step(&in->rx, in->ctl.fd, 100, &ctl_ready);
		if (err == -EIO) {
			struct mig_info mi;

			mig_get(in->g, in->hello.target, &mi);
			send_abort(in, PROTO_E_DATA,
				   "the target's module refused a batch: %s",
				   mi.errmsg[0] ? mi.errmsg : "session failed");
			return err;
		}
		if (err && in->resumable && !in->final_acked &&
		    connection_lost(err)) {
			err = resume_wait(in, in->rx.why);
			if (err)
				return err;
			pending = -1;
			ctl_next(&in->ctl);
			continue;
		}
		if (err) {
			send_abort(in, PROTO_E_DATA, "%s", in->rx.why);
			return err;
		}
		if (ctl_ready || ctl_pending(&in->ctl)) {
			err = ctl_pump(&in->ctl);
			if (err < 0 && in->resumable && !in->final_acked) {
				err = resume_wait(in, in->ctl.why);
				if (err)
					return err;
				pending = -1;
				ctl_next(&in->ctl);
				continue;
			}
			if (err < 0) {
				logf_(in->peer, "lost the source: %s", in->ctl.why);
				in->ctl_up = false;
				return err;
			}
			in->rx.last_data_ms = now_ms();
		}
		if (in->ctl.ready) {
			switch (in->ctl.type) {
			case PROTO_MSG_ROUND_DONE:
				if (proto_get_round_done(in->ctl.payload,
							 in->ctl.len, &rd) ||
				    pending >= 0 || rd.round != in->rounds_acked) {
					send_abort(in, PROTO_E_REQUEST,
						   "unexpected or malformed ROUND_DONE");
					return -EPROTO;
				}
				in->expected[rd.round] = rd.batches;
				pending = rd.round;
				if (rd.final)
					in->final_acked = true;	/* once acked */
				break;
			case PROTO_MSG_ABORT:
				if (proto_get_abort(in->ctl.payload, in->ctl.len,
						    &ab))
					snprintf(ab.reason, sizeof(ab.reason),
						 "(malformed)");
				logf_(in->peer, "the source aborted: %s (%s)",
				      ab.reason, proto_code_name(ab.code));
				in->ctl_up = false;
				return -ECONNABORTED;
			case PROTO_MSG_PING:
				break;
			default:
				send_abort(in, PROTO_E_REQUEST,
					   "unexpected %s during the rounds",
					   proto_msg_name(in->ctl.type));
				return -EPROTO;
			}
			ctl_next(&in->ctl);
		}
		err = qmp_target_poll(in);
		if (err)
			return err;
		if (pending >= 0) {
			err = round_complete(in, (uint32_t)pending, &done);
			if (err)
				return err;
			if (done) {
				in->rounds_acked++;
				pending = -1;
				if (in->final_acked)
					return 0;
			}
		}
		if (now_ms() - in->rx.last_data_ms > in->o->timeout_ms &&
		    in->resumable && !in->final_acked) {
			err = resume_wait(in, "no data for the timeout");
			if (err)
				return err;
			pending = -1;
			ctl_next(&in->ctl);
			continue;
		}
		if (now_ms() - in->rx.last_data_ms > in->o->timeout_ms) {
			send_abort(in, PROTO_E_DATA, "no data from the source for %d s",
				   in->o->timeout_ms / 1000);
			return -ETIMEDOUT;
		}
	}
}

/* A message of @type within @timeout_ms; an ABORT is the source's. */
static int expect_within(struct incoming *in, uint16_t type, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct proto_abort ab;
	int err;

	ctl_next(&in->ctl);
	do {
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			snprintf(in->ctl.why, sizeof(in->ctl.why),
				 "no answer from the peer within %d s",
				 timeout_ms / 1000);
			err = -ETIMEDOUT;
			break;
		}
		err = ctl_recv(&in->ctl, (int)left);
	} while (err == -EINTR && !stopping);
	if (err < 0) {
		logf_(in->peer, "lost the source while waiting for %s: %s",
		      proto_msg_name(type), err == -EINTR ? "shutting down" :
		      in->ctl.why);
		return err;
	}
	if (in->ctl.type == PROTO_MSG_ABORT) {
		if (proto_get_abort(in->ctl.payload, in->ctl.len, &ab))
			snprintf(ab.reason, sizeof(ab.reason), "(malformed)");
		logf_(in->peer, "the source aborted: %s (%s)", ab.reason,
		      proto_code_name(ab.code));
		in->ctl_up = false;
		return -ECONNABORTED;
	}
	if (in->ctl.type != type) {
		send_abort(in, PROTO_E_REQUEST, "expected %s, got %s",
			   proto_msg_name(type), proto_msg_name(in->ctl.type));
		return -EPROTO;
	}
	return 0;
}

static int expect(struct incoming *in, uint16_t type)
{
	return expect_within(in, type, in->o->timeout_ms);
}

static int send_sums(struct incoming *in)
{
	uint64_t *sums, n = in->hello.size / in->page_size, i;
	struct proto_sums *s;
	struct pbuf b;
	int err;

	err = pagesum_domain(in->hello.target, in->hello.size, in->page_size,
			     &sums);
	if (err) {
		send_abort(in, PROTO_E_TARGET, "--verify: cannot read '%s': %s",
			   in->hello.target, strerror(-err));
		return err;
	}
	s = malloc(sizeof(*s));
	pbuf_init(&b);
	for (i = 0; s && !err && i < n; i += s->count) {
		s->first = i;
		s->count = n - i > PROTO_SUMS_MAX ? PROTO_SUMS_MAX :
			   (uint32_t)(n - i);
		memcpy(s->sums, sums + i, s->count * sizeof(*sums));
		err = send_msg(in, &b, proto_put_sums(&b, s));
	}
	pbuf_free(&b);
	free(s);
	free(sums);
	return s ? err : -ENOMEM;
}

/* DEVSTATE chunks, in order, until the last. */
static int devstate_receive(struct incoming *in)
{
	struct proto_devstate d;
	size_t cap = 0;

	do {
		int err = expect(in, PROTO_MSG_DEVSTATE);

		if (err)
			return err;
		if (proto_get_devstate(in->ctl.payload, in->ctl.len, &d) ||
		    d.offset != in->devstate_len) {
			send_abort(in, PROTO_E_REQUEST, "malformed or out-of-order DEVSTATE");
			return -EPROTO;
		}
		if (in->devstate_len + d.len > cap) {
			size_t ncap = cap ? cap * 2 : 1 << 20;
			uint8_t *n;

			while (ncap < in->devstate_len + d.len)
				ncap *= 2;
			n = realloc(in->devstate, ncap);
			if (!n) {
				send_abort(in, PROTO_E_TARGET, "out of memory");
				return -ENOMEM;
			}
			in->devstate = n;
			cap = ncap;
		}
		if (d.len)
			memcpy(in->devstate + in->devstate_len, d.data, d.len);
		in->devstate_len += d.len;
	} while (!d.last);
	logf_(in->peer, "QEMU device state: %zu bytes", in->devstate_len);
	return 0;
}

/* The target QEMU's QMP socket appears when the operator starts it. */
static int qmp_target_open(struct incoming *in, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%s.qmp", in->o->qmp_dir,
		 in->hello.target);
	for (;;) {
		err = qmp_open(&in->qmp, path, timeout_ms);
		if (!err) {
			in->qmp_up = true;
			return 0;
		}
		if ((err != -ENOENT && err != -ECONNREFUSED) ||
		    now_ms() > deadline || stopping)
			return err;
		usleep(100000);
	}
}

/*
 * Make the target QEMU, started with -incoming defer on
 * /dev/ldm/<target>, ready for the device state: x-ignore-shared (the RAM
 * is the domain's, which ldm fills), and an incoming migration from a
 * pipe of ours, armed now and fed at the commit. Waits up to @wait_ms for
 * the QEMU's socket and for each answer. @tentative (during the rounds,
 * whose data must not wait long): a QEMU not answering yet, still
 * starting, is left for a later try (-EAGAIN) as long as nothing was
 * asked of it. Return: 0, -EAGAIN, or -errno after an ABORT to the source.
 */
static int qmp_target_arm(struct incoming *in, int wait_ms, bool tentative)
{
	char st[64];
	int pfd[2], err;

	err = qmp_target_open(in, wait_ms);
	if (!err)
		err = qmp_status(&in->qmp, st, sizeof(st), wait_ms);
	if (tentative && (err == -ETIMEDOUT || err == -ENOENT ||
			  err == -ECONNREFUSED)) {
		if (in->qmp_up)
			qmp_close(&in->qmp);
		in->qmp_up = false;
		return -EAGAIN;
	}
	if (err && !in->qmp_up) {
		send_abort(in, PROTO_E_TARGET, "no target QEMU on %s/%s.qmp: %s",
			   in->o->qmp_dir, in->hello.target, in->qmp.why);
		return err;
	}
	if (!err && strcmp(st, "inmigrate")) {
		send_abort(in, PROTO_E_TARGET,
			   "the target QEMU is '%s', not waiting for a migration (-incoming defer)",
			   st);
		return -EBUSY;
	}
	if (!err)
		err = qmp_exec(&in->qmp, "migrate-set-capabilities",
			       "{\"capabilities\": [{\"capability\": \"x-ignore-shared\", \"state\": true}]}",
			       -1, wait_ms, NULL);
	if (err) {
		send_abort(in, PROTO_E_TARGET, "target QEMU: %s", in->qmp.why);
		return err;
	}
	/* Our end never blocks: QEMU may stop reading. */
	if (pipe2(pfd, O_CLOEXEC) || fcntl(pfd[1], F_SETFL, O_NONBLOCK)) {
		err = -errno;
		send_abort(in, PROTO_E_TARGET, "pipe: %s", strerror(-err));
		return err;
	}
	err = qmp_exec(&in->qmp, "getfd", "{\"fdname\": \"ldm-devstate\"}",
		       pfd[0], wait_ms, NULL);
	close(pfd[0]);
	if (!err)
		err = qmp_exec(&in->qmp, "migrate-incoming",
			       "{\"uri\": \"fd:ldm-devstate\"}", -1,
			       wait_ms, NULL);
	if (err) {
		close(pfd[1]);
		send_abort(in, PROTO_E_TARGET, "target QEMU: %s", in->qmp.why);
		return err;
	}
	in->devstate_fd = pfd[1];
	logf_(in->peer, "target QEMU %s on %s/%s.qmp is ready for the device state",
	      in->qmp.version, in->o->qmp_dir, in->hello.target);
	return 0;
}

/*
 * During the rounds, with --qmp-dir and a source sending device state:
 * once the target QEMU's socket is there, arm it and say QEMU_READY (see
 * proto.h), at most every 100 ms while it is not; again after a resume.
 */
static int qmp_target_poll(struct incoming *in)
{
	char path[PATH_MAX];
	struct pbuf b;
	int err;

	if (!(in->hello.flags & PROTO_HELLO_F_DEVSTATE) || in->qemu_ready_sent)
		return 0;
	if (in->devstate_fd < 0) {
		if (now_ms() < in->next_arm_ms)
			return 0;
		in->next_arm_ms = now_ms() + 100;
		snprintf(path, sizeof(path), "%s/%s.qmp", in->o->qmp_dir,
			 in->hello.target);
		if (access(path, F_OK))
			return 0;
		err = qmp_target_arm(in, 1000, true);
		if (err == -EAGAIN) {
			in->next_arm_ms = now_ms() + 1000;
			return 0;
		}
		if (err)
			return err;
	}
	pbuf_init(&b);
	err = send_msg(in, &b, proto_put_empty(&b, PROTO_MSG_QEMU_READY));
	pbuf_free(&b);
	if (!err)
		in->qemu_ready_sent = true;
	/* A lost link is the rounds' to notice (and maybe resume). */
	return 0;
}

/*
 * Load the device state into the armed target QEMU (arming it first if
 * it was not: its socket may have come late) and wait until it has
 * loaded it. The source stopped its QEMU, so the target's ends in
 * "paused" and runs only when we "cont" it, after the commit.
 */
static int devstate_load(struct incoming *in)
{
	/*
	 * A third of --timeout to find QEMU, a third to load: the source,
	 * waiting for COMMITTED, must hear from us before its own timeout.
	 */
	int wait_ms = in->o->timeout_ms / 3;
	const uint8_t *p = in->devstate;
	size_t left = in->devstate_len;
	int64_t deadline;
	char st[64];
	int err;

	if (in->devstate_fd < 0) {
		err = qmp_target_arm(in, wait_ms, false);
		if (err)
			return err;
	}
	deadline = now_ms() + wait_ms;
	while (left) {
		struct pollfd q = { .fd = in->devstate_fd, .events = POLLOUT };
		ssize_t w;

		if (now_ms() > deadline || stopping ||
		    poll(&q, 1, 250) < 0) {
			send_abort(in, PROTO_E_TARGET,
				   "the target QEMU does not read the device state");
			return -ETIMEDOUT;
		}
		if (!(q.revents & (POLLOUT | POLLERR)))
			continue;
		w = write(in->devstate_fd, p, left);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0) {
			err = -errno;
			send_abort(in, PROTO_E_TARGET,
				   "the target QEMU stopped reading the device state: %s",
				   strerror(-err));
			return err;
		}
		p += w;
		left -= (size_t)w;
	}
	close(in->devstate_fd);
	in->devstate_fd = -1;
	/* QEMU exits if the load fails: its socket closes (-EPIPE). */
	for (;;) {
		err = qmp_status(&in->qmp, st, sizeof(st), wait_ms);
		if (err) {
			send_abort(in, PROTO_E_TARGET,
				   "the target QEMU failed to load the device state (%s; see its log)",
				   in->qmp.why);
			return err;
		}
		if (strcmp(st, "inmigrate"))
			break;
		if (now_ms() > deadline || stopping) {
			send_abort(in, PROTO_E_TARGET,
				   "the target QEMU did not load the device state in %d ms",
				   wait_ms);
			return -ETIMEDOUT;
		}
		usleep(5000);
	}
	if (strcmp(st, "paused")) {
		/* It must not run before the commit: stop it, and give up. */
		qmp_exec(&in->qmp, "stop", NULL, -1, 5000, NULL);
		send_abort(in, PROTO_E_TARGET,
			   "the target QEMU is '%s' after loading, not 'paused'", st);
		return -EPROTO;
	}
	logf_(in->peer, "target QEMU %s loaded the device state; paused until the commit",
	      in->qmp.version);
	return 0;
}

/*
 * A failure before the commit: the target QEMU was started for this
 * migration only, and maps the domain; it goes, so that the domain can.
 */
static void qmp_target_quit(struct incoming *in)
{
	if (!in->qmp_up && qmp_target_open(in, 1000))
		return;
	if (qmp_exec(&in->qmp, "quit", NULL, -1, 5000, NULL) &&
	    in->qmp.why[0])
		logf_(in->peer, "target QEMU: %s", in->qmp.why);
	else
		logf_(in->peer, "told the target QEMU to quit");
	qmp_close(&in->qmp);
	in->qmp_up = false;
}

static int commit(struct incoming *in)
{
	struct proto_commit c;
	struct proto_verify v;
	struct mig_info mi;
	struct pbuf b;
	int err;

	if (in->hello.flags & PROTO_HELLO_F_DEVSTATE) {
		err = devstate_receive(in);
		if (err)
			return err;
	}
	err = expect(in, PROTO_MSG_COMMIT);
	if (err)
		return err;
	if (proto_get_commit(in->ctl.payload, in->ctl.len, &c) ||
	    c.rounds != in->rounds_acked) {
		send_abort(in, PROTO_E_REQUEST, "COMMIT after %u rounds, %u were acknowledged",
			   c.rounds, in->rounds_acked);
		return -EPROTO;
	}
	err = mig_get(in->g, in->hello.target, &mi);
	if (err || mi.state != LDM_MIG_STATE_RECEIVING ||
	    mi.totals.v[LDM_A_STAT_BATCHES] - in->cut_batches != c.batches) {
		send_abort(in, PROTO_E_DATA,
			   "the module applied %" PRIu64 " batches (%" PRIu64
			   " of rounds cut short), the source sent %" PRIu64,
			   mi.totals.v[LDM_A_STAT_BATCHES], in->cut_batches,
			   c.batches);
		return -EBADMSG;
	}
	/* All in: the session ends (the key goes with it). */
	uring_unmap(&in->ring);
	mig_stop(in->g, in->hello.target);
	in->session = false;
	if (c.verify) {
		err = send_sums(in);
		if (err)
			return err;
		err = expect(in, PROTO_MSG_VERIFY);
		if (err)
			return err;
		if (proto_get_verify(in->ctl.payload, in->ctl.len, &v) || !v.ok) {
			logf_(in->peer, "--verify failed: page %" PRIu64 " differs",
			      v.first_bad);
			return -EBADMSG;
		}
	}
	if (in->devstate) {
		err = devstate_load(in);
		if (err)
			return err;
	}
	/* Committed: from here on the domain is ours to keep. */
	incoming_unmark(in->hello.target);
	in->marked = false;
	in->created = false;
	pbuf_init(&b);
	err = send_msg(in, &b, proto_put_empty(&b, PROTO_MSG_COMMITTED));
	pbuf_free(&b);
	logf_(in->peer, "committed domain '%s' (from '%s', %u rounds, %" PRIu64
	      " batches, %.2f s)%s", in->hello.target, in->hello.source,
	      c.rounds, c.batches, (double)(now_ns() - in->t_start) / 1e9,
	      c.verify ? ", verified" : "");
	if (err)
		logf_(in->peer, "the source may not know: %s", in->ctl.why);
	/* Only now may the guest run here. */
	if (in->qmp_up) {
		if (qmp_exec(&in->qmp, "cont", NULL, -1, in->o->timeout_ms, NULL))
			logf_(in->peer, "cannot resume the target QEMU: %s (resume it with QMP 'cont')",
			      in->qmp.why);
		else
			logf_(in->peer, "resumed the target QEMU: '%s' runs here",
			      in->hello.target);
	}
	return 0;
}

/*
 * --on-receive: the operator's command, detached (a grandchild, so that
 * nobody waits for it), with what it needs to know in its environment.
 */
static void on_receive(struct incoming *in)
{
	char dev[64], qmp[PATH_MAX];
	pid_t pid;
	int status;

	snprintf(dev, sizeof(dev), "/dev/ldm/%s", in->hello.target);
	if (in->o->qmp_dir)
		snprintf(qmp, sizeof(qmp), "%s/%s.qmp", in->o->qmp_dir,
			 in->hello.target);
	pid = fork();
	if (pid < 0) {
		logf_(in->peer, "--on-receive: cannot fork: %s", strerror(errno));
		return;
	}
	if (!pid) {
		if (fork())
			_exit(0);
		setsid();
		setenv("LDM_DOMAIN", in->hello.target, 1);
		setenv("LDM_DEVICE", dev, 1);
		setenv("LDM_SOURCE", in->hello.source, 1);
		setenv("LDM_PEER", in->peer, 1);
		if (in->o->qmp_dir)
			setenv("LDM_QMP", qmp, 1);
		/*
		 * Not one of our descriptors: a command holding the netlink
		 * socket would keep the receiving session alive after we die.
		 */
		close_range(3, ~0U, 0);
		execl("/bin/sh", "sh", "-c", in->o->on_receive, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	logf_(in->peer, "--on-receive started for '%s'", in->hello.target);
}

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

/*
 * Authenticated: ask serve for a migration slot. Return 0 to go on, or
 * -EBUSY after telling the source so, or another -errno after an ABORT.
 */
static int admission(struct incoming *in, int admit_fd)
{
	struct admit_msg m = { .type = ADMIT_MSG_AUTHENTICATED };
	struct pollfd p = { .fd = admit_fd, .events = POLLIN };
	ssize_t n = -1;
	int r;

	if (write(admit_fd, &m, sizeof(m)) == (ssize_t)sizeof(m)) {
		/* serve answers at once; it kills us if we linger. */
		do {
			r = poll(&p, 1, ADMIT_REFUSE_GRACE_MS);
		} while (r < 0 && errno == EINTR && !stopping);
		if (r > 0)
			n = read(admit_fd, &m, sizeof(m));
	}
	close(admit_fd);
	if (n != (ssize_t)sizeof(m) ||
	    (m.type != ADMIT_MSG_GO && m.type != ADMIT_MSG_BUSY)) {
		send_abort(in, PROTO_E_TARGET,
			   "the target's serve gave no migration slot (it may be stopping)");
		return -EIO;
	}
	if (m.type == ADMIT_MSG_BUSY) {
		send_abort(in, PROTO_E_BUSY,
			   "busy, %u migration%s running (the target's serve --max-migrations %u); try again later",
			   m.running, m.running == 1 ? "" : "s", m.max);
		return -EBUSY;
	}
	return 0;
}

static int handle(const struct serve_opts *o, SSL_CTX *ctx, int fd,
		  const char *peer, char *pwtext, int admit_fd)
{
	struct incoming *in = calloc(1, sizeof(*in));
	/* To authenticate in: the handshake, and with passwords the HELLO. */
	int64_t auth_deadline = now_ms() + o->handshake_ms;
	char why[TLS_WHY_MAX], subj[256];
	enum tls_refusal refused;
	struct proto_welcome w = { 0 };
	struct proto_ready rdy;
	bool client_cert;
	struct pbuf b;
	int64_t left;
	SSL *ssl;
	int err, status = LDMCTL_EXIT_FAIL;

	if (!in)
		return LDMCTL_EXIT_FAIL;
	in->o = o;
	in->data_fd = -1;
	in->ring.fd = -1;
	in->qmp.fd = -1;
	in->devstate_fd = -1;
	in->pwtext = pwtext;
	in->ctx = ctx;
	in->t_start = now_ns();
	snprintf(in->peer, sizeof(in->peer), "%s", peer);
	pbuf_init(&b);

	ssl = tls_handshake(ctx, fd, NULL, o->handshake_ms, &stopping, why,
			    &refused);
	if (!ssl) {
		logf_(peer, "%s: %s",
		      refused == TLS_WE_REFUSED ?
		      "the target refused the source's certificate" :
		      refused == TLS_PEER_REFUSED ?
		      "the source refused the target" : "no TLS session", why);
		/* Lingering for an alert to arrive must not outlast the deadline. */
		left = auth_deadline - now_ms();
		net_linger_close(fd, left > 2000 ? 2000 : left > 0 ? (int)left : 0);
		goto out;
	}
	ctl_init(&in->ctl, ssl, fd);
	in->ctl_up = true;
	client_cert = SSL_get0_peer_certificate(ssl) != NULL;
	tls_peer_subject(ssl, subj, sizeof(subj));
	err = expect_within(in, PROTO_MSG_HELLO,
			    (int)(auth_deadline - now_ms()));
	if (err)
		goto out;
	if (proto_get_hello(in->ctl.payload, in->ctl.len, &in->hello)) {
		send_abort(in, PROTO_E_REQUEST, "malformed HELLO");
		goto out;
	}
	/* Password mode: a source without a certificate needs the password. */
	if (!client_cert && !(in->pwtext &&
			      pw_check(in->pwtext, in->hello.user,
				       in->hello.password))) {
		OPENSSL_cleanse(in->hello.password, sizeof(in->hello.password));
		sleep(1);	/* slow down guessing */
		send_abort(in, PROTO_E_AUTH, "wrong password%s%s",
			   in->hello.user[0] ? " for user " : "", in->hello.user);
		status = LDMCTL_EXIT_REFUSED;
		goto out;
	}
	OPENSSL_cleanse(in->hello.password, sizeof(in->hello.password));
	logf_(peer, "%s authenticated by %s: '%s' -> '%s'%s", subj,
	      client_cert ? "certificate" : "password", in->hello.source,
	      in->hello.target,
	      in->hello.flags & PROTO_HELLO_F_DRY_RUN ? " (dry run)" : "");
	err = admission(in, admit_fd);
	admit_fd = -1;
	if (err) {
		status = err == -EBUSY ? LDMCTL_EXIT_BUSY : LDMCTL_EXIT_FAIL;
		goto out;
	}

	if (ldm_genl_open(&in->g, LDM_GENL_NAME, LDM_GENL_VERSION)) {
		send_abort(in, PROTO_E_TARGET, "the ldm module is not loaded on the target");
		goto out;
	}
	in->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	judge(in, &w);
	if (w.verdict == PROTO_OK && !(in->hello.flags & PROTO_HELLO_F_DRY_RUN)) {
		err = prepare(in, &rdy.data_port);
		if (err)
			goto out;
		if (o->on_receive)
			on_receive(in);
	}
	err = send_msg(in, &b, proto_put_welcome(&b, &w));
	if (err || w.verdict != PROTO_OK ||
	    (in->hello.flags & PROTO_HELLO_F_DRY_RUN)) {
		if (w.verdict != PROTO_OK)
			logf_(peer, "refused: %s", proto_code_name(w.verdict));
		status = w.verdict ? LDMCTL_EXIT_REFUSED : err ? 1 : 0;
		goto out;
	}
	err = send_msg(in, &b, proto_put_ready(&b, &rdy));
	if (!err)
		err = accept_streams(in);
	if (!err)
		err = send_msg(in, &b, proto_put_empty(&b, PROTO_MSG_STREAMS_OK));
	if (!err)
		logf_(peer, "%u data streams bound; receiving '%s'",
		      in->hello.streams, in->hello.target);
	if (!err)
		err = receive_rounds(in);
	if (!err)
		err = commit(in);
	if (!err)
		status = LDMCTL_EXIT_OK;
out:
	if (admit_fd >= 0)
		close(admit_fd);
	pbuf_free(&b);
	/* Without its state, an armed target QEMU's load fails: it exits. */
	if (in->devstate_fd >= 0)
		close(in->devstate_fd);
	if (status != LDMCTL_EXIT_OK && in->created &&
	    (in->hello.flags & PROTO_HELLO_F_DEVSTATE) && in->o->qmp_dir)
		qmp_target_quit(in);
	if (in->qmp_up)
		qmp_close(&in->qmp);
	free(in->devstate);
	if (status != LDMCTL_EXIT_OK && in->created)
		discard(in);
	else if (in->marked)
		discard(in);
	if (in->ring.map)
		uring_unmap(&in->ring);
	if (in->data_fd >= 0)
		close(in->data_fd);
	for (uint32_t i = 0; i < PROTO_STREAMS_MAX; i++)
		if (in->rx.st[i].fd > 0)
			close(in->rx.st[i].fd);
	if (in->ctl_up || in->ctl.ssl)
		ctl_close(&in->ctl);
	ldm_genl_close(in->g);
	OPENSSL_cleanse(in, sizeof(*in));
	free(in);
	return status;
}

/* A half-made domain of a dead process: discard it. */
static void discard_orphan(const char *name, void *arg)
{
	struct ldm_genl *g = NULL;
	int err;

	(void)arg;
	if (ldm_genl_open(&g, LDM_GENL_NAME, LDM_GENL_VERSION))
		return;
	/* Its session died with its owner's socket; the stop is for safety. */
	mig_stop(g, name);
	err = ldm_domain_del(g, name);
	if (!err || err == -ENOENT) {
		logf_(NULL, "discarded '%s', left half-made by a migration that died",
		      name);
		incoming_unmark(name);
	} else {
		logf_(NULL, "cannot discard '%s' left by a dead migration: %s",
		      name, ldm_genl_ext_ack(g) ? ldm_genl_ext_ack(g) :
		      strerror(-err));
	}
	ldm_genl_close(g);
}

/*
 * The children, one per admitted connection, at the index of their slot
 * in the admission controller (admit.h), which decides who gets one.
 */
struct child {
	pid_t pid;
	int admit_fd;		/* serve's end, until the child is admitted */
	char peer[64];
};

struct server {
	const struct serve_opts *o;
	SSL_CTX *ctx;
	char *pwtext;
	int lfd;
	struct admit adm;
	struct child *kids;	/* adm.nslots */
	struct admit_quiet quiet;	/* refusals before authentication */
};

static void kid_forget(struct server *sv, int i)
{
	if (sv->kids[i].admit_fd >= 0)
		close(sv->kids[i].admit_fd);
	sv->kids[i].admit_fd = -1;
}

static void reap(struct server *sv)
{
	uint32_t i;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < sv->adm.nslots; i++) {
			if (sv->kids[i].pid != pid)
				continue;
			kid_forget(sv, (int)i);
			sv->kids[i].pid = 0;
			admit_release(&sv->adm, (int)i);
		}
		incoming_orphans(pid, discard_orphan, NULL);
	}
}

static void refusal(struct server *sv, const char *peer, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A connection refused or dropped before it authenticated: anyone can
 * cause these, as fast as they like, so at most one line a second says
 * so, and how many were not said.
 */
static void refusal(struct server *sv, const char *peer, const char *fmt, ...)
{
	char msg[400];
	uint32_t held;
	va_list ap;

	if (!admit_quiet_log(&sv->quiet, now_ms(), &held))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (held)
		logf_(peer, "%s (and %u more connections refused or dropped before authentication since the last such line)",
		      msg, held);
	else
		logf_(peer, "%s", msg);
}

/* A refused connection leaves nothing behind: no TIME_WAIT, a reset. */
static void abort_close(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* Kill what overstayed: unauthenticated past the deadline, busy refusals. */
static void expire(struct server *sv)
{
	int64_t now = now_ms();
	uint32_t held;
	int i;

	while ((i = admit_expired(&sv->adm, now)) >= 0) {
		struct child *k = &sv->kids[i];

		if (k->pid > 0)
			kill(k->pid, SIGKILL);
		if (sv->adm.slot[i].state == ADMIT_REFUSING)
			logf_(k->peer, "killed: still telling an authenticated source it is busy after %d s",
			      ADMIT_REFUSE_GRACE_MS / 1000);
		else
			refusal(sv, k->peer, "killed: not authenticated within %d s (--handshake-timeout)",
				sv->o->handshake_ms / 1000);
		kid_forget(sv, i);
		admit_kill(&sv->adm, i);
	}
	if (admit_quiet_flush(&sv->quiet, now, &held))
		logf_(NULL, "%u more connections refused or dropped before authentication in the last %d s (not logged one by one)",
		      held, ADMIT_QUIET_MS / 1000);
}

/* A child says it authenticated: a migration slot, or "busy". */
static void on_admit_msg(struct server *sv, int i)
{
	struct child *k = &sv->kids[i];
	struct admit_msg m;
	uint32_t running;
	ssize_t n;

	n = read(k->admit_fd, &m, sizeof(m));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* Gone (reaping frees its slot), or not a question it may ask. */
	if (n != (ssize_t)sizeof(m) || m.type != ADMIT_MSG_AUTHENTICATED ||
	    sv->adm.slot[i].state != ADMIT_PREAUTH) {
		kid_forget(sv, i);
		return;
	}
	if (admit_authenticated(&sv->adm, i, now_ms(), &running)) {
		m = (struct admit_msg){ .type = ADMIT_MSG_GO };
	} else {
		m = (struct admit_msg){ .type = ADMIT_MSG_BUSY,
					.running = running,
					.max = sv->adm.lim.migrations };
		logf_(k->peer, "refused an authenticated source: busy, %u migration%s running (--max-migrations %u)",
		      running, running == 1 ? "" : "s", sv->adm.lim.migrations);
	}
	if (write(k->admit_fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		logf_(k->peer, "cannot answer this connection's process about its migration slot: %s",
		      strerror(errno));
	kid_forget(sv, i);
}

/* A new connection: refused at once, or a child process of its own. */
static void admit_one(struct server *sv, int fd,
		      const struct sockaddr_storage *ss)
{
	const struct admit_limits *l = &sv->adm.lim;
	enum admit_verdict v;
	struct admit_addr key;
	int slot, ev, sp[2];
	char peer[64];
	uint32_t j;
	pid_t pid;

	net_addr_string(ss, peer, sizeof(peer));
	admit_addr_from(&key, (const struct sockaddr *)ss);
	v = admit_connection(&sv->adm, &key, now_ms(), &slot, &ev);
	if (v == ADMIT_OUT_ADDR || v == ADMIT_OUT_FULL) {
		abort_close(fd);
		if (v == ADMIT_OUT_ADDR)
			refusal(sv, peer, "refused: %u connections from this address are not authenticated yet (--max-startups-per-addr %u)",
				admit_addr_count(&sv->adm, &key), l->per_addr);
		else
			refusal(sv, peer, "refused: all %u slots for connections not authenticated yet are taken, none by an address holding more than its share (--max-startups %u)",
				sv->adm.startups, l->startups);
		return;
	}
	if (v == ADMIT_IN_EVICTING) {
		struct child *e = &sv->kids[ev];

		if (e->pid > 0)
			kill(e->pid, SIGKILL);
		refusal(sv, e->peer, "dropped, not authenticated after %.1f s, for %s: this address held %u of the %u slots for connections not authenticated yet (--max-startups)",
			(double)(now_ms() - sv->adm.slot[ev].since_ms) / 1e3,
			peer, admit_addr_count(&sv->adm,
					       &sv->adm.slot[ev].addr) + 1,
			l->startups);
		kid_forget(sv, ev);
	}
	net_tune(fd, sv->o->timeout_ms);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) {
		logf_(peer, "cannot make the admission socket: %s", strerror(errno));
		admit_release(&sv->adm, slot);
		close(fd);
		return;
	}
	pid = fork();
	if (pid < 0) {
		logf_(peer, "cannot fork: %s", strerror(errno));
		admit_release(&sv->adm, slot);
		close(sp[0]);
		close(sp[1]);
		close(fd);
		return;
	}
	if (!pid) {
		/* None of serve's other ends: they tell serve of the others. */
		close(sv->lfd);
		close(sp[0]);
		for (j = 0; j < sv->adm.nslots; j++)
			if (sv->kids[j].admit_fd >= 0)
				close(sv->kids[j].admit_fd);
		signal(SIGINT, SIG_IGN);	/* the parent forwards TERM */
		_exit(handle(sv->o, sv->ctx, fd, peer, sv->pwtext, sp[1]));
	}
	close(sp[1]);
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	sv->kids[slot].pid = pid;
	sv->kids[slot].admit_fd = sp[0];
	snprintf(sv->kids[slot].peer, sizeof(sv->kids[slot].peer), "%s", peer);
	close(fd);
}

static int serve_loop(const struct subcommand *cmd, const struct serve_opts *o,
		      SSL_CTX *ctx, char *pwtext)
{
	struct admit_limits lim = {
		.startups = o->max_startups,
		.per_addr = o->max_per_addr,
		.migrations = o->max_migrations,
		.handshake_ms = o->handshake_ms,
	};
	struct sigaction sa = { .sa_handler = on_stop };
	struct server sv = { .o = o, .ctx = ctx, .pwtext = pwtext };
	struct pollfd *pfd = NULL;
	int *pidx = NULL, err;
	uint32_t i;

	err = admit_init(&sv.adm, &lim);
	if (!err) {
		sv.kids = calloc(sv.adm.nslots, sizeof(*sv.kids));
		pfd = calloc(sv.adm.nslots + 1, sizeof(*pfd));
		pidx = calloc(sv.adm.nslots + 1, sizeof(*pidx));
		if (!sv.kids || !pfd || !pidx)
			err = -ENOMEM;
	}
	if (err) {
		report(cmd->name, NULL, "cannot set up the admission of connections: %s",
		       strerror(-err));
		goto out;
	}
	for (i = 0; i < sv.adm.nslots; i++)
		sv.kids[i].admit_fd = -1;
	sv.lfd = net_listen(o->host, o->port);
	if (sv.lfd < 0) {
		report(cmd->name, NULL, "cannot listen on %s port %u: %s",
		       o->host[0] ? o->host : "*", o->port, strerror(-sv.lfd));
		err = sv.lfd;
		goto out;
	}
	/*
	 * A burst of connections must not fill the accept queue before the
	 * loop gets to refuse them: a legitimate source's would be dropped.
	 */
	listen(sv.lfd, SOMAXCONN);
	fcntl(sv.lfd, F_SETFL, fcntl(sv.lfd, F_GETFL) | O_NONBLOCK);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	incoming_orphans(0, discard_orphan, NULL);
	logf_(NULL, "listening on %s:%u (trust %s%s%s; at most %u connections not authenticated yet, %u per address, %d s each to authenticate; at most %u migration%s at once)",
	      o->host[0] ? o->host : "*", o->port, o->trust_dir,
	      pwtext ? ", passwords accepted" : "", o->fips ? ", FIPS mode" : "",
	      lim.startups, lim.per_addr, o->handshake_ms / 1000,
	      lim.migrations, lim.migrations == 1 ? "" : "s");

	while (!stopping) {
		int64_t next, wait_ms = 200;
		nfds_t np = 0, k;
		int burst;

		reap(&sv);
		expire(&sv);
		pfd[np++] = (struct pollfd){ .fd = sv.lfd, .events = POLLIN };
		for (i = 0; i < sv.adm.nslots; i++) {
			if (sv.kids[i].admit_fd < 0)
				continue;
			pidx[np] = (int)i;
			pfd[np++] = (struct pollfd){ .fd = sv.kids[i].admit_fd,
						     .events = POLLIN };
		}
		next = admit_next_deadline(&sv.adm) - now_ms();
		if (next < wait_ms)
			wait_ms = next > 0 ? next : 0;
		if (poll(pfd, np, (int)wait_ms) <= 0)
			continue;
		for (k = 1; k < np; k++)
			if (pfd[k].revents && sv.kids[pidx[k]].admit_fd >= 0)
				on_admit_msg(&sv, pidx[k]);
		if (!(pfd[0].revents & POLLIN))
			continue;
		/* What is queued, at most a bounded burst between checks. */
		for (burst = 0; burst < 64 && !stopping; burst++) {
			struct sockaddr_storage ss;
			socklen_t len = sizeof(ss);
			int fd = accept4(sv.lfd, (struct sockaddr *)&ss, &len,
					 SOCK_CLOEXEC);

			if (fd < 0 && (errno == EMFILE || errno == ENFILE ||
				       errno == ENOBUFS || errno == ENOMEM)) {
				/* Still queued: do not spin on it meanwhile. */
				refusal(&sv, NULL, "cannot accept a connection: %s",
					strerror(errno));
				poll(NULL, 0, 100);
			}
			if (fd < 0)
				break;
			admit_one(&sv, fd, &ss);
		}
	}
	close(sv.lfd);
	/*
	 * Ask the migrations to give up and clean up; kill the connections
	 * not admitted to one, which hold nothing. Wait, and clean what the
	 * children leave.
	 */
	for (i = 0; i < sv.adm.nslots; i++)
		if (sv.kids[i].pid > 0)
			kill(sv.kids[i].pid,
			     sv.adm.slot[i].state == ADMIT_MIGRATING ? SIGTERM :
			     SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	incoming_orphans(0, discard_orphan, NULL);
	logf_(NULL, "stopped");
out:
	if (sv.kids)
		for (i = 0; i < sv.adm.nslots; i++)
			kid_forget(&sv, (int)i);
	free(sv.kids);
	free(pfd);
	free(pidx);
	admit_free(&sv.adm);
	return err ? exit_code_for(err) : LDMCTL_EXIT_OK;
}

static int serve(const struct subcommand *cmd, int argc, char **argv,
		 const struct ldmctl_opts *opts)
{
	enum {
		OPT_LISTEN = 256, OPT_CERT, OPT_KEY, OPT_TRUST_DIR, OPT_FIPS,
		OPT_WORKERS, OPT_TIMEOUT, OPT_QMP_DIR, OPT_ON_RECEIVE,
		OPT_HANDSHAKE_TIMEOUT, OPT_MAX_STARTUPS, OPT_MAX_PER_ADDR,
		OPT_MAX_MIGRATIONS,
	};
	static const struct option longopts[] = {
		{ "listen",	required_argument,	NULL, OPT_LISTEN },
		{ "cert",	required_argument,	NULL, OPT_CERT },
		{ "key",	required_argument,	NULL, OPT_KEY },
		{ "trust-dir",	required_argument,	NULL, OPT_TRUST_DIR },
		{ "password-file", required_argument,	NULL, 'p' },
		{ "fips",	no_argument,		NULL, OPT_FIPS },
		{ "workers",	required_argument,	NULL, OPT_WORKERS },
		{ "timeout",	required_argument,	NULL, OPT_TIMEOUT },
		{ "qmp-dir",	required_argument,	NULL, OPT_QMP_DIR },
		{ "on-receive",	required_argument,	NULL, OPT_ON_RECEIVE },
		{ "handshake-timeout", required_argument, NULL, OPT_HANDSHAKE_TIMEOUT },
		{ "max-startups", required_argument,	NULL, OPT_MAX_STARTUPS },
		{ "max-startups-per-addr", required_argument, NULL, OPT_MAX_PER_ADDR },
		{ "max-migrations", required_argument,	NULL, OPT_MAX_MIGRATIONS },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	struct serve_opts o = {
		.port = LDM_DEFAULT_PORT,
		.cert = LDM_DEFAULT_CERT,
		.key = LDM_DEFAULT_KEY,
		.trust_dir = LDM_DEFAULT_TRUST_DIR,
		.timeout_ms = DEFAULT_TIMEOUT_S * 1000,
		.max_startups = ADMIT_DEFAULT_STARTUPS,
		.max_per_addr = ADMIT_DEFAULT_PER_ADDR,
		.max_migrations = ADMIT_DEFAULT_MIGRATIONS,
		.handshake_ms = ADMIT_DEFAULT_HANDSHAKE_S * 1000,
	};
	struct tls_config tc = { .server = true };
	bool per_addr_set = false;
	char quoted[QUOTE_MAX], why[TLS_WHY_MAX], *pwtext = NULL;
	const char *w;
	unsigned long v;
	char *end;
	SSL_CTX *ctx;
	int c, ret;

	(void)opts;
	subcommand_getopt_init();
	while ((c = getopt_long(argc, argv, ":p:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			if (listen_parse(optarg, o.host, &o.port, LDM_DEFAULT_PORT,
					 &w))
				return usage_error(cmd, "invalid --listen '%s': %s",
						   quote_arg(optarg, quoted), w);
			break;
		case OPT_CERT:
			o.cert = optarg;
			break;
		case OPT_KEY:
			o.key = optarg;
			break;
		case OPT_TRUST_DIR:
			o.trust_dir = optarg;
			break;
		case 'p':
			o.pwfile = optarg;
			break;
		case OPT_FIPS:
			o.fips = true;
			break;
		case OPT_QMP_DIR:
			o.qmp_dir = optarg;
			break;
		case OPT_ON_RECEIVE:
			if (!*optarg)
				return usage_error(cmd, "--on-receive needs a command");
			o.on_receive = optarg;
			break;
		case OPT_WORKERS:
		case OPT_TIMEOUT:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || *optarg == '-' || !v ||
			    v > 3600)
				return usage_error(cmd, "--%s must be a number from 1 to 3600",
						   c == OPT_WORKERS ? "workers" : "timeout");
			if (c == OPT_WORKERS)
				o.workers = (uint32_t)v;
			else
				o.timeout_ms = (int)v * 1000;
			break;
		case OPT_HANDSHAKE_TIMEOUT:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || *optarg == '-' || !v ||
			    v > 600)
				return usage_error(cmd, "--handshake-timeout must be a number of seconds from 1 to 600");
			o.handshake_ms = (int)v * 1000;
			break;
		case OPT_MAX_STARTUPS:
		case OPT_MAX_PER_ADDR:
		case OPT_MAX_MIGRATIONS:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || *optarg == '-' || !v ||
			    v > (c == OPT_MAX_MIGRATIONS ? ADMIT_MAX_MIGRATIONS :
				 ADMIT_MAX_STARTUPS))
				return usage_error(cmd, "--%s must be a number from 1 to %d",
						   c == OPT_MAX_STARTUPS ? "max-startups" :
						   c == OPT_MAX_PER_ADDR ? "max-startups-per-addr" :
						   "max-migrations",
						   c == OPT_MAX_MIGRATIONS ?
						   ADMIT_MAX_MIGRATIONS : ADMIT_MAX_STARTUPS);
			if (c == OPT_MAX_STARTUPS)
				o.max_startups = (uint32_t)v;
			else if (c == OPT_MAX_PER_ADDR)
				o.max_per_addr = (uint32_t)v;
			else
				o.max_migrations = (uint32_t)v;
			per_addr_set |= c == OPT_MAX_PER_ADDR;
			break;
		case 'h':
			subcommand_help(cmd, stdout);
			return LDMCTL_EXIT_OK;
		default:
			return option_error(cmd, argv, c, longopts);
		}
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'",
				   quote_arg(argv[optind], quoted));
	if (o.max_per_addr > o.max_startups) {
		/* A smaller --max-startups alone lowers the default share too. */
		if (per_addr_set)
			return usage_error(cmd, "--max-startups-per-addr %u exceeds --max-startups %u",
					   o.max_per_addr, o.max_startups);
		o.max_per_addr = o.max_startups;
	}
	if (o.fips) {
		if (tls_fips_enable(why)) {
			report(cmd->name, NULL, "--fips: %s", why);
			return LDMCTL_EXIT_FAIL;
		}
		if (!tls_kernel_fips()) {
			report(cmd->name, NULL,
			       "--fips: the kernel is not in FIPS mode (/proc/sys/crypto/fips_enabled is not 1)");
			return LDMCTL_EXIT_FAIL;
		}
	}
	if (o.pwfile) {
		struct stat st;

		w = NULL;
		ret = pwfile_read(o.pwfile, &pwtext, &w);
		if (!ret && (stat(o.pwfile, &st) ||
			     (st.st_uid != 0 && st.st_uid != geteuid()))) {
			w = "is not owned by root";
			ret = -EPERM;
		}
		if (ret) {
			report(cmd->name, o.pwfile, "password check file %s",
			       w ? w : strerror(-ret));
			pwfile_free(pwtext);
			return LDMCTL_EXIT_REFUSED;
		}
	}
	tc.cert = o.cert;
	tc.key = o.key;
	tc.trust_dir = o.trust_dir;
	tc.cert_optional = o.pwfile != NULL;
	ctx = tls_ctx_new(&tc, why);
	if (!ctx) {
		report(cmd->name, NULL, "%s", why);
		pwfile_free(pwtext);
		return LDMCTL_EXIT_FAIL;
	}
	ret = serve_loop(cmd, &o, ctx, pwtext);
	SSL_CTX_free(ctx);
	pwfile_free(pwtext);
	return ret;
}

const struct subcommand cmd_serve = {
	.name = "serve",
	.synopsis = "[--listen ADDR[:PORT]] [--cert F --key F --trust-dir D]\n"
		    "              [-p CHECKFILE] [--fips] [--workers N] [--timeout S]\n"
		    "              [--qmp-dir DIR] [--on-receive CMD] [--handshake-timeout S]\n"
		    "              [--max-startups N] [--max-startups-per-addr N]\n"
		    "              [--max-migrations N]",
	.summary = "accept live migrations into new domains",
	.help =
	"Listen for 'ldmctl migrate' from other hosts and receive each migration\n"
	"into a new domain. A source is accepted if its certificate is trusted\n"
	"(trust directory) or, with -p, if it gives a password of CHECKFILE.\n"
	"A domain whose migration fails before the commit is discarded. Runs\n"
	"in the foreground and logs to stderr; SIGTERM stops it.\n"
	"\n"
	"  --listen ADDR[:PORT]     address and port (default every address, 8101)\n"
	"  --cert F                 this host's certificate (default " LDM_DEFAULT_CERT ")\n"
	"  --key F                  its private key (default " LDM_DEFAULT_KEY ")\n"
	"  --trust-dir D            trusted certificates (default " LDM_DEFAULT_TRUST_DIR ")\n"
	"  -p, --password-file F    also accept sources without a certificate that\n"
	"                           give a password of F: lines PASSWORD or\n"
	"                           USER:PASSWORD; F must be root's, mode 0600\n"
	"  --fips                   OpenSSL's FIPS provider only; sources must agree\n"
	"  --workers N              the module's receive workers (default: all CPUs)\n"
	"  --timeout S              give up on a silent source after S s (default 30)\n"
	"  --qmp-dir DIR            QEMU guests: the device state of a source with\n"
	"                           --qmp goes to the QEMU whose QMP socket is\n"
	"                           DIR/TARGET.qmp (started with -incoming defer on\n"
	"                           /dev/ldm/TARGET), resumed after the commit\n"
	"  --on-receive CMD         run sh -c CMD once a target domain exists, before\n"
	"                           its data arrives (e.g. start its QEMU), with\n"
	"                           LDM_DOMAIN, LDM_DEVICE, LDM_SOURCE, LDM_PEER and,\n"
	"                           with --qmp-dir, LDM_QMP in the environment\n"
	"  --handshake-timeout S    close a connection not authenticated within S s\n"
	"                           (the TLS handshake, and with -p the password;\n"
	"                           default 10)\n"
	"  --max-startups N         connections not authenticated yet, at most\n"
	"                           (default 32); more are closed at once, or take\n"
	"                           the place of the oldest from an address that\n"
	"                           holds more than its share\n"
	"  --max-startups-per-addr N  of those, from one address (an IPv6 /64) at\n"
	"                           most (default 8)\n"
	"  --max-migrations N       authenticated migrations at once (default 16);\n"
	"                           a source beyond them is told \"busy\" (its\n"
	"                           migrate exits 8); unauthenticated connections\n"
	"                           never take these\n"
	"  -h, --help               show this help\n",
	.run = serve,
};
