// SPDX-License-Identifier: GPL-2.0
/*
 * ldmctl migrate [options] [--config F] DOMAIN [user@]HOST[:TARGET]
 *
 * The source side of a live migration, as a command: its options, its
 * help text, and its exit status, the one place where an error becomes
 * one (exit_code_for()). The migration itself is source_run.c's; the
 * files of the source side are listed in source.h.
 *
 * Authenticate the target over TLS 1.3, let it create the target domain,
 * derive the batch key from the TLS session, then send pre-copy rounds
 * from the module's ring on plain TCP streams until they converge, a
 * final round, and commit. Any failure before the commit stops the
 * sending session and leaves the source domain as it was; the target
 * discards its half-made domain. With --qmp the source QEMU's device
 * state goes along (source_qemu.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "config.h"
#include "name.h"
#include "oplock.h"
#include "size.h"
#include "source.h"
#include "rekey.h"
#include "tls.h"

#define DEFAULT_DOWNTIME_MS	300
#define DEFAULT_MAX_ROUNDS	10
#define DEFAULT_TIMEOUT_S	30

volatile sig_atomic_t source_cancelled;

static void on_signal(int sig)
{
	(void)sig;
	source_cancelled = 1;
}

/* An epoch is a power of two batches: both ends find it by a shift. */
static bool rekey_batches_ok(const struct subcommand *cmd, uint32_t v)
{
	if (!(v & (v - 1)))
		return true;
	usage_error(cmd, "--rekey-batches must be a power of two, not %u", v);
	return false;
}

/*
 * The command line, into m->o (its defaults set). Return: -1 to go on, or
 * the exit status to leave with: the help was shown (0), or a usage
 * error was reported (2).
 */
static int parse(struct migration *m, const struct subcommand *cmd,
		 int argc, char **argv)
{
	enum {
		OPT_FIPS = 256, OPT_WORKERS, OPT_STREAMS, OPT_DOWNTIME,
		OPT_MAX_ROUNDS, OPT_BANDWIDTH, OPT_VERIFY, OPT_CERT, OPT_KEY,
		OPT_TRUST_DIR, OPT_PORT, OPT_TIMEOUT, OPT_PAUSE_PID, OPT_QMP,
		OPT_BASELINE, OPT_COMPRESS, OPT_NO_FORCE, OPT_RECONNECT,
		OPT_PREPARED, OPT_DIRTY_LIMIT, OPT_REKEY_BATCHES, OPT_POSTCOPY,
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
		{ "prepared",	no_argument,		NULL, OPT_PREPARED },
		{ "dirty-limit", required_argument,	NULL, OPT_DIRTY_LIMIT },
		{ "rekey-batches", required_argument,	NULL, OPT_REKEY_BATCHES },
		{ "postcopy",	no_argument,		NULL, OPT_POSTCOPY },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	char quoted[QUOTE_MAX];
	const char *why;
	uint32_t v;
	int c, ret;

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
			if (option_u32(cmd, "--workers", optarg, 1, 1024, &v))
				ret = LDMCTL_EXIT_USAGE;
			m->o.workers = v;
			break;
		case OPT_STREAMS:
			if (option_u32(cmd, "--streams", optarg, 1,
				      PROTO_STREAMS_MAX, &v))
				ret = LDMCTL_EXIT_USAGE;
			m->o.streams = v;
			break;
		case OPT_DOWNTIME:
			if (option_u32(cmd, "--downtime-limit", optarg, 1,
				      3600000, &v))
				ret = LDMCTL_EXIT_USAGE;
			m->o.downtime_ms = v;
			break;
		case OPT_MAX_ROUNDS:
			if (option_u32(cmd, "--max-rounds", optarg, 1,
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
			if (option_u32(cmd, "--timeout", optarg, 1, 3600, &v))
				ret = LDMCTL_EXIT_USAGE;
			m->o.timeout_ms = (int)v * 1000;
			break;
		case OPT_PAUSE_PID:
			if (option_u32(cmd, "--pause-pid", optarg, 2, INT32_MAX,
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
		case OPT_PREPARED:
			m->o.prepared = true;
			break;
		case OPT_POSTCOPY:
			m->o.postcopy = true;
			break;
		case OPT_DIRTY_LIMIT:
			m->o.dirty_auto = !strcmp(optarg, "auto");
			m->o.dirty_limit = 0;
			if (!m->o.dirty_auto &&
			    option_u32(cmd, "--dirty-limit, if not auto,", optarg, 1,
				       DIRTY_LIMIT_MAX, &m->o.dirty_limit))
				ret = LDMCTL_EXIT_USAGE;
			break;
		case OPT_REKEY_BATCHES:
			if (option_u32(cmd, "--rekey-batches", optarg,
				       1u << LDM_EPOCH_SHIFT_MIN,
				       1u << rekey_shift_max(LDM_BATCH_DEFAULT),
				       &v) ||
			    !rekey_batches_ok(cmd, v))
				ret = LDMCTL_EXIT_USAGE;
			m->o.rekey_shift = 0;
			while (v > 1u << m->o.rekey_shift)
				m->o.rekey_shift++;
			break;
		case OPT_RECONNECT:
			if (option_u32(cmd, "--reconnect", optarg, 0,
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
		return ret;
	if (argc - optind < 2)
		return usage_error(cmd, optind == argc ? "missing domain name" :
				   "missing destination [user@]HOST[:TARGET]");
	if (argc - optind > 2)
		return usage_error(cmd, "unexpected argument '%s'",
				   quote_arg(argv[optind + 2], quoted));
	if (m->o.qmp && m->o.pause_pid)
		return usage_error(cmd, "--qmp and --pause-pid both stop the emulator: give one");
	/* The emulator's hand-over and the reconnect are not done yet. */
	if (m->o.postcopy && (m->o.qmp || m->o.pause_pid || m->o.reconnect_s))
		return usage_error(cmd, "--postcopy does not work with %s yet",
				   m->o.qmp ? "--qmp" : m->o.pause_pid ?
				   "--pause-pid" : "--reconnect");
	m->o.domain = argv[optind];
	m->o.dest_arg = argv[optind + 1];
	if (name_validate(m->o.domain, &why)) {
		report(cmd->name, m->o.domain, "%s", why);
		return LDMCTL_EXIT_USAGE;
	}
	if (dest_parse(m->o.dest_arg, &m->o.dest, &why))
		return usage_error(cmd, "invalid destination '%s': %s",
				   quote_arg(m->o.dest_arg, quoted), why);
	m->target = m->o.dest.target[0] ? m->o.dest.target : m->o.domain;
	snprintf(m->dest_str, sizeof(m->dest_str), "%s:%s", m->o.dest.host,
		 m->target);
	return -1;
}

/*
 * Refusals that need nothing but this host come first: the password file
 * (ERR_REFUSED, whatever was wrong with it) and FIPS mode.
 */
static int local_checks(struct migration *m)
{
	const char *name = m->cmd->name, *why = NULL;
	char why_fips[TLS_WHY_MAX];
	int ret;

	if (m->o.pwfile) {
		char *text;

		ret = pwfile_read(m->o.pwfile, &text, &why);
		if (!ret) {
			ret = pw_first_line(text, m->password, &why);
			pwfile_free(text);
		}
		if (ret) {
			report(name, m->o.pwfile, "password file %s",
			       why ? why : strerror(-ret));
			return ERR_REFUSED;
		}
	}
	if (m->o.fips) {
		if (tls_fips_enable(why_fips)) {
			report(name, NULL, "--fips: %s", why_fips);
			return -EOPNOTSUPP;
		}
		if (!tls_kernel_fips()) {
			report(name, NULL,
			       "--fips: the kernel is not in FIPS mode (/proc/sys/crypto/fips_enabled is not 1), so the module's gcm(aes) is not FIPS-validated");
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/* The edge: options in, an exit status out (exit_code_for()). */
static int migrate(const struct subcommand *cmd, int argc, char **argv,
		   const struct ldmctl_opts *opts)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct migration *m;
	struct conf_args ca;
	int ret, err;

	/* ldm.conf's options first: the command line's, after them, win. */
	ret = conf_args(cmd, CONF_MIGRATE, argc, argv, &ca);
	if (ret >= 0)
		return ret;
	m = calloc(1, sizeof(*m));
	if (!m) {
		conf_args_free(&ca);
		return report_result(cmd->name, NULL, -ENOMEM, NULL);
	}
	m->cmd = cmd;
	m->lock_fd = -1;
	m->ring.fd = -1;
	m->qmp.fd = -1;
	m->devstate_fd = -1;
	m->o.json = opts->json;
	m->o.streams = 2;
	m->o.max_rounds = DEFAULT_MAX_ROUNDS;
	m->o.rekey_shift = rekey_shift_max(LDM_BATCH_DEFAULT);
	m->o.downtime_ms = DEFAULT_DOWNTIME_MS;
	m->o.timeout_ms = DEFAULT_TIMEOUT_S * 1000;
	m->o.port = LDM_DEFAULT_PORT;
	m->o.cert = LDM_DEFAULT_CERT;
	m->o.key = LDM_DEFAULT_KEY;
	m->o.trust_dir = LDM_DEFAULT_TRUST_DIR;
	m->why_final = "converged";
	m->dirty_rate = UINT64_MAX;
	m->expected_suspend_ms = UINT64_MAX;

	ret = parse(m, cmd, ca.argc, ca.argv);
	if (ret < 0) {
		progress_init(&m->pr, m->o.json);
		err = local_checks(m);
		if (!err) {
			sigaction(SIGINT, &sa, NULL);
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGHUP, &sa, NULL);
			signal(SIGPIPE, SIG_IGN);
			err = source_run(m);
			if (err)
				source_abort(m, err == ERR_CANCELLED ?
					     PROTO_E_CANCELLED : PROTO_E_SOURCE,
					     "the source gave up (see its messages)");
			source_keep_last(m, err);
			source_teardown(m);
		}
		ret = exit_code_for(err);
	}
	if (m->g)
		ldm_genl_close(m->g);
	if (m->ctx)
		SSL_CTX_free(m->ctx);
	oplock_release(m->lock_fd);
	source_wipe_secrets(m);
	free(m);
	conf_args_free(&ca);
	return ret;
}

const struct subcommand cmd_migrate = {
	.name = "migrate",
	.synopsis = "[-n] [-p PWFILE] [--fips] [--workers N] [--streams N]\n"
		    "              [--downtime-limit MS] [--max-rounds N] [--no-force] [--bandwidth RATE]\n"
		    "              [--compress auto|lzjb|lz4|none] [--dirty-limit N|auto]\n"
		    "              [--reconnect S] [--prepared] [--rekey-batches N] [--postcopy]\n"
		    "              [--verify] [--qmp SOCKET | --pause-pid PID] [--port PORT] [--timeout S]\n"
		    "              [--cert F --key F --trust-dir D] [--config F] [-j]\n"
		    "              DOMAIN [user@]HOST[:TARGET]",
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
	"      --dirty-limit N    while migrating, let the guest dirty at most N\n"
	"                         pages a second (its writers sleep, reads never);\n"
	"                         auto: only when the forecast misses the downtime\n"
	"                         limit, just enough to converge\n"
	"      --reconnect S      if the connection drops during pre-copy, reconnect\n"
	"                         for up to S seconds (at most 60) and go on without\n"
	"                         resending what the target has (default 0: fail)\n"
	"      --prepared         TARGET already exists on HOST, made empty with\n"
	"                         add-domain (its emulator may wait on it): receive\n"
	"                         into it; a failure leaves it there, written to\n"
	"      --postcopy         where pre-copy ends, run the guest on HOST at once\n"
	"                         and send the pages it still lacks after, those\n"
	"                         its faults wait for first (not yet with --qmp,\n"
	"                         --pause-pid or --reconnect)\n"
	"      --rekey-batches N  renew the batch key every N batches, a power of\n"
	"                         two from 256 (default: the most one key may seal,\n"
	"                         2^19 batches of 64 KiB)\n"
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
	"      --config F         defaults from F, section [migrate] (default\n"
	"                         " LDM_DEFAULT_CONF " if it exists); the command\n"
	"                         line wins\n"
	"  -j, --json             JSON events on stdout, one per line\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit status: 0 migrated, 1 failed (the source is intact), 2 usage,\n"
	"5 refused (authentication or the target's checks), 6 cancelled,\n"
	"7 outcome unknown (lost the target during the commit), 8 the target\n"
	"is busy (every migration slot taken; nothing changed, try again later).\n",
	.run = migrate,
};
