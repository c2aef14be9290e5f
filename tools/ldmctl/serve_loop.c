// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon of 'ldmctl serve' (target.h): listen, and for each
 * connection either refuse it at once or fork a child of its own that
 * serves it (target_run.c). Anyone who can reach the port can connect, so
 * connections are admitted in two budgets (admit.h): those not yet
 * authenticated, few, per address too, each with a short deadline; and
 * authenticated migrations, which the others cannot take. The child says
 * when it has authenticated and serve gives it a migration slot, or tells
 * it to turn the source away, busy. Before it creates a domain the child
 * leaves a marker under /run/ldm/incoming/; serve discards the domain of
 * any child that dies without removing its marker (killed, crashed), and
 * so does a serve that starts and finds markers of dead processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admit.h"
#include "domain.h"
#include "net.h"
#include "oplock.h"
#include "pwfile.h"
#include "target.h"
#include "tls.h"

volatile sig_atomic_t serve_stopping;
static volatile sig_atomic_t serve_reload;

static void on_stop(int sig)
{
	(void)sig;
	serve_stopping = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	serve_reload = 1;
}

/*
 * Whether stderr is systemd's journal (JOURNAL_STREAM names its device
 * and inode): then each line starts with its syslog level, "<6>" info,
 * "<4>" warning, which the journal takes off and keeps as the priority.
 */
static bool to_journal(void)
{
	static int known = -1;
	unsigned long long dev, ino;
	const char *js;
	struct stat st;

	if (known < 0) {
		js = getenv("JOURNAL_STREAM");
		known = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
			!fstat(STDERR_FILENO, &st) &&
			(unsigned long long)st.st_dev == dev &&
			(unsigned long long)st.st_ino == ino;
	}
	return known;
}

static void log_line(int level, const char *peer, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void log_line(int level, const char *peer, const char *fmt, va_list ap)
{
	char when[32], line[1024];
	time_t t = time(NULL);
	int n;

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	n = snprintf(line, sizeof(line), "%sldmctl: serve: %s%s%s: ",
		     to_journal() ? (level == 4 ? "<4>" : "<6>") : "",
		     when, peer ? " " : "", peer ? peer : "");
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	/*
	 * One write a line: many processes log at once (one per connection),
	 * and pieces of their lines must not interleave.
	 */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void serve_log(const char *peer, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(6, peer, fmt, ap);
	va_end(ap);
}

void serve_warn(const char *peer, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(4, peer, fmt, ap);
	va_end(ap);
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
		serve_log(NULL, "discarded '%s', left half-made by a migration that died",
			  name);
		incoming_unmark(name);
	} else {
		serve_log(NULL, "cannot discard '%s' left by a dead migration: %s",
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
		serve_log(peer, "%s (and %u more connections refused or dropped before authentication since the last such line)",
			  msg, held);
	else
		serve_log(peer, "%s", msg);
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
			serve_log(k->peer, "killed: still telling an authenticated source it is busy after %d s",
				  ADMIT_REFUSE_GRACE_MS / 1000);
		else
			refusal(sv, k->peer, "killed: not authenticated within %d s (--handshake-timeout)",
				sv->o->handshake_ms / 1000);
		kid_forget(sv, i);
		admit_kill(&sv->adm, i);
	}
	if (admit_quiet_flush(&sv->quiet, now, &held))
		serve_log(NULL, "%u more connections refused or dropped before authentication in the last %d s (not logged one by one)",
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
		serve_log(k->peer, "refused an authenticated source: busy, %u migration%s running (--max-migrations %u)",
			  running, running == 1 ? "" : "s", sv->adm.lim.migrations);
	}
	if (write(k->admit_fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		serve_log(k->peer, "cannot answer this connection's process about its migration slot: %s",
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
		serve_log(peer, "cannot make the admission socket: %s", strerror(errno));
		admit_release(&sv->adm, slot);
		close(fd);
		return;
	}
	pid = fork();
	if (pid < 0) {
		serve_log(peer, "cannot fork: %s", strerror(errno));
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
		signal(SIGHUP, SIG_IGN);	/* a reload is serve's alone */
		_exit(exit_code_for(target_run(sv->o, sv->ctx, fd, peer,
					       sv->pwtext, sp[1])));
	}
	close(sp[1]);
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	sv->kids[slot].pid = pid;
	sv->kids[slot].admit_fd = sp[0];
	snprintf(sv->kids[slot].peer, sizeof(sv->kids[slot].peer), "%s", peer);
	close(fd);
}

/*
 * SIGHUP: what start() loaded (target_cmd.c), loaded again from the same
 * paths: the TLS context with this host's certificate, key and trust
 * directory, and the password check file. Either everything new is taken
 * or nothing: a reload that fails keeps the old, and says why. Children
 * running a migration keep the context they were forked with; the next
 * connection gets the new one.
 */
static void reload(struct server *sv)
{
	const struct serve_opts *o = sv->o;
	struct tls_config tc = { .server = true, .cert = o->cert,
				 .key = o->key, .trust_dir = o->trust_dir,
				 .cert_optional = o->pwfile != NULL };
	char why[TLS_WHY_MAX], *pwtext = NULL;
	const char *w = NULL;
	SSL_CTX *ctx;
	int ret;

	if (o->pwfile) {
		ret = pwfile_read_check(o->pwfile, &pwtext, &w);
		if (ret) {
			serve_warn(NULL, "reload failed, keeping the certificates, trust and passwords loaded before: password check file %s %s",
				   o->pwfile, w ? w : strerror(-ret));
			pwfile_free(pwtext);
			return;
		}
	}
	ctx = tls_ctx_new(&tc, why);
	if (!ctx) {
		serve_warn(NULL, "reload failed, keeping the certificates, trust and passwords loaded before: %s",
			   why);
		pwfile_free(pwtext);
		return;
	}
	SSL_CTX_free(sv->ctx);
	sv->ctx = ctx;
	pwfile_free(sv->pwtext);
	sv->pwtext = pwtext;
	serve_log(NULL, "reloaded: certificate %s, key %s, trust %s%s%s",
		  o->cert, o->key, o->trust_dir,
		  o->pwfile ? ", password check file " : "",
		  o->pwfile ? o->pwfile : "");
}

int serve_loop(const struct subcommand *cmd, const struct serve_opts *o,
	       SSL_CTX **ctxp, char **pwtextp)
{
	struct admit_limits lim = {
		.startups = o->max_startups,
		.per_addr = o->max_per_addr,
		.migrations = o->max_migrations,
		.handshake_ms = o->handshake_ms,
	};
	struct sigaction sa = { .sa_handler = on_stop };
	struct sigaction hup = { .sa_handler = on_hup };
	struct server sv = { .o = o, .ctx = *ctxp, .pwtext = *pwtextp };
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
	sigaction(SIGHUP, &hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	incoming_orphans(0, discard_orphan, NULL);
	serve_log(NULL, "listening on %s:%u (trust %s%s%s; at most %u connections not authenticated yet, %u per address, %d s each to authenticate; at most %u migration%s at once)",
		  o->host[0] ? o->host : "*", o->port, o->trust_dir,
		  sv.pwtext ? ", passwords accepted" : "", o->fips ? ", FIPS mode" : "",
		  lim.startups, lim.per_addr, o->handshake_ms / 1000,
		  lim.migrations, lim.migrations == 1 ? "" : "s");

	while (!serve_stopping) {
		int64_t next, wait_ms = 200;
		nfds_t np = 0, k;
		int burst;

		if (serve_reload) {
			serve_reload = 0;
			reload(&sv);
		}
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
		for (burst = 0; burst < 64 && !serve_stopping; burst++) {
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
	serve_log(NULL, "stopped");
out:
	if (sv.kids)
		for (i = 0; i < sv.adm.nslots; i++)
			kid_forget(&sv, (int)i);
	free(sv.kids);
	free(pfd);
	free(pidx);
	admit_free(&sv.adm);
	*ctxp = sv.ctx;
	*pwtextp = sv.pwtext;
	return err;
}
