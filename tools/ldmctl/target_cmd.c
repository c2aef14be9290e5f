// SPDX-License-Identifier: GPL-2.0
/*
 * ldmctl serve [--listen ADDR[:PORT]] [--cert F --key F --trust-dir D]
 *              [-p CHECKFILE] [--fips] [--workers N] [--timeout S]
 *              [--qmp-dir DIR] [--on-receive CMD] [--handshake-timeout S]
 *              [--max-startups N] [--max-startups-per-addr N]
 *              [--max-migrations N] [--config F]
 *
 * The target side of live migration, as a command: its options, its help
 * text, and its exit status, the one place where an error becomes one
 * (exit_code_for()). The daemon is serve_loop.c's; the files of the
 * target side are listed in target.h.
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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admit.h"
#include "conf.h"
#include "config.h"
#include "pwfile.h"
#include "target.h"
#include "tls.h"

#define DEFAULT_TIMEOUT_S	30

/*
 * The command line, into @o (its defaults set). Return: -1 to go on, or
 * the exit status to leave with: the help was shown (0), or a usage
 * error was reported (2).
 */
static int parse(const struct subcommand *cmd, int argc, char **argv,
		 struct serve_opts *o)
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
	bool per_addr_set = false;
	char quoted[QUOTE_MAX];
	unsigned long lv;
	const char *w;
	char *end;
	uint32_t v;
	int c;

	subcommand_getopt_init();
	while ((c = getopt_long(argc, argv, ":p:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			if (listen_parse(optarg, o->host, &o->port, LDM_DEFAULT_PORT,
					 &w))
				return usage_error(cmd, "invalid --listen '%s': %s",
						   quote_arg(optarg, quoted), w);
			break;
		case OPT_CERT:
			o->cert = optarg;
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_TRUST_DIR:
			o->trust_dir = optarg;
			break;
		case 'p':
			o->pwfile = optarg;
			break;
		case OPT_FIPS:
			o->fips = true;
			break;
		case OPT_QMP_DIR:
			o->qmp_dir = optarg;
			break;
		case OPT_ON_RECEIVE:
			if (!*optarg)
				return usage_error(cmd, "--on-receive needs a command");
			o->on_receive = optarg;
			break;
		case OPT_WORKERS:
			if (option_u32(cmd, "--workers", optarg, 1, 3600,
				       &o->workers))
				return LDMCTL_EXIT_USAGE;
			break;
		case OPT_TIMEOUT:
			if (option_u32(cmd, "--timeout", optarg, 1, 3600, &v))
				return LDMCTL_EXIT_USAGE;
			o->timeout_ms = (int)v * 1000;
			break;
		case OPT_HANDSHAKE_TIMEOUT:
			errno = 0;
			lv = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || *optarg == '-' || !lv ||
			    lv > 600)
				return usage_error(cmd, "--handshake-timeout must be a number of seconds from 1 to 600");
			o->handshake_ms = (int)lv * 1000;
			break;
		case OPT_MAX_STARTUPS:
			if (option_u32(cmd, "--max-startups", optarg, 1,
				       ADMIT_MAX_STARTUPS, &o->max_startups))
				return LDMCTL_EXIT_USAGE;
			break;
		case OPT_MAX_PER_ADDR:
			if (option_u32(cmd, "--max-startups-per-addr", optarg, 1,
				       ADMIT_MAX_STARTUPS, &o->max_per_addr))
				return LDMCTL_EXIT_USAGE;
			per_addr_set = true;
			break;
		case OPT_MAX_MIGRATIONS:
			if (option_u32(cmd, "--max-migrations", optarg, 1,
				       ADMIT_MAX_MIGRATIONS, &o->max_migrations))
				return LDMCTL_EXIT_USAGE;
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
	if (o->max_per_addr > o->max_startups) {
		/* A smaller --max-startups alone lowers the default share too. */
		if (per_addr_set)
			return usage_error(cmd, "--max-startups-per-addr %u exceeds --max-startups %u",
					   o->max_per_addr, o->max_startups);
		o->max_per_addr = o->max_startups;
	}
	return -1;
}

/*
 * What needs nothing but this host (FIPS mode, the password check file,
 * the certificates), then the daemon. Return: 0 once stopped, or -errno.
 */
static int start(const struct subcommand *cmd, const struct serve_opts *o)
{
	struct tls_config tc = { .server = true };
	char why[TLS_WHY_MAX], *pwtext = NULL;
	const char *w;
	SSL_CTX *ctx;
	int ret;

	if (o->fips) {
		if (tls_fips_enable(why)) {
			report(cmd->name, NULL, "--fips: %s", why);
			return -EOPNOTSUPP;
		}
		if (!tls_kernel_fips()) {
			report(cmd->name, NULL,
			       "--fips: the kernel is not in FIPS mode (/proc/sys/crypto/fips_enabled is not 1)");
			return -EOPNOTSUPP;
		}
	}
	if (o->pwfile) {
		w = NULL;
		ret = pwfile_read_check(o->pwfile, &pwtext, &w);
		if (ret) {
			report(cmd->name, o->pwfile, "password check file %s",
			       w ? w : strerror(-ret));
			pwfile_free(pwtext);
			return ERR_REFUSED;
		}
	}
	tc.cert = o->cert;
	tc.key = o->key;
	tc.trust_dir = o->trust_dir;
	tc.cert_optional = o->pwfile != NULL;
	ctx = tls_ctx_new(&tc, why);
	if (!ctx) {
		report(cmd->name, NULL, "%s", why);
		pwfile_free(pwtext);
		return -EINVAL;
	}
	ret = serve_loop(cmd, o, &ctx, &pwtext);
	SSL_CTX_free(ctx);
	pwfile_free(pwtext);
	return ret;
}

/* The edge: options in, an exit status out (exit_code_for()). */
static int serve(const struct subcommand *cmd, int argc, char **argv,
		 const struct ldmctl_opts *opts)
{
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
	struct conf_args ca;
	int ret;

	(void)opts;
	/* ldm.conf's options first: the command line's, after them, win. */
	ret = conf_args(cmd, CONF_SERVE, argc, argv, &ca);
	if (ret >= 0)
		return ret;
	ret = parse(cmd, ca.argc, ca.argv, &o);
	if (ret < 0)
		ret = exit_code_for(start(cmd, &o));
	conf_args_free(&ca);
	return ret;
}

const struct subcommand cmd_serve = {
	.name = "serve",
	.synopsis = "[--listen ADDR[:PORT]] [--cert F --key F --trust-dir D]\n"
		    "              [-p CHECKFILE] [--fips] [--workers N] [--timeout S]\n"
		    "              [--qmp-dir DIR] [--on-receive CMD] [--handshake-timeout S]\n"
		    "              [--max-startups N] [--max-startups-per-addr N]\n"
		    "              [--max-migrations N] [--config F]",
	.summary = "accept live migrations into new domains",
	.help =
	"Listen for 'ldmctl migrate' from other hosts and receive each migration\n"
	"into a new domain. A source is accepted if its certificate is trusted\n"
	"(trust directory) or, with -p, if it gives a password of CHECKFILE.\n"
	"A domain whose migration fails before the commit is discarded. Runs\n"
	"in the foreground and logs to stderr; SIGTERM stops it; SIGHUP reloads\n"
	"the certificate, key, trust directory and password check file (a\n"
	"reload that fails keeps what was loaded; migrations go on).\n"
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
	"  --config F               defaults from F, section [serve] (default\n"
	"                           " LDM_DEFAULT_CONF " if it exists); the command\n"
	"                           line wins\n"
	"  -h, --help               show this help\n",
	.run = serve,
};
