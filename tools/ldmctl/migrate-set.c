// SPDX-License-Identifier: GPL-2.0
/*
 * ldmctl migrate-set DOMAIN [--downtime-limit MS] [--bandwidth RATE]
 *			    [--dirty-limit N]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "domain.h"
#include "ldmctl.h"
#include "mig.h"
#include "name.h"
#include "oplock.h"
#include "size.h"

/* How long the migration has to take a change before we give up on it. */
#define TAKE_WAIT_S	10

/*
 * The downtime limit and the bandwidth are the migrate's own: hand them
 * to it (oplock.h) and wait until it took them.
 */
static int hand_over(const struct subcommand *cmd, const char *name,
		     const char *text)
{
	pid_t pid;
	int err, i;

	err = oplock_holder(name, &pid);
	if (err == -ENOENT || (!err && !pid)) {
		report(cmd->name, name, "no migration of this domain is running on this host");
		return LDMCTL_EXIT_FAIL;
	}
	if (!err)
		err = oplock_request_put(name, text);
	if (err) {
		report(cmd->name, name, "cannot write to %s: %s",
		       LDM_RUN_MIGRATE_DIR, strerror(-err));
		return exit_code_for(err);
	}
	for (i = 0; i < TAKE_WAIT_S * 10 && oplock_request_pending(name); i++)
		usleep(100000);
	if (oplock_request_pending(name)) {
		oplock_request_drop(name);
		report(cmd->name, name,
		       "the migration (pid %ld) did not take the change within %d s (it takes changes while a round runs and between rounds); nothing was changed",
		       (long)pid, TAKE_WAIT_S);
		return LDMCTL_EXIT_FAIL;
	}
	return 0;
}

static int migrate_set(const struct subcommand *cmd, int argc, char **argv,
		       const struct ldmctl_opts *opts)
{
	enum { OPT_DIRTY_LIMIT = 256, OPT_DOWNTIME, OPT_BANDWIDTH };
	static const struct option longopts[] = {
		{ "downtime-limit", required_argument,	NULL, OPT_DOWNTIME },
		{ "bandwidth",	required_argument,	NULL, OPT_BANDWIDTH },
		{ "dirty-limit", required_argument,	NULL, OPT_DIRTY_LIMIT },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	char quoted[QUOTE_MAX], text[128] = "";
	const char *name, *why;
	struct ldm_genl *g;
	bool limit_given = false;
	uint32_t limit = 0, v;
	size_t len = 0;
	uint64_t bytes;
	int c, ret;

	(void)opts;
	subcommand_getopt_init();
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DOWNTIME:
			if (option_u32(cmd, "--downtime-limit", optarg, 1,
				       3600000, &v))
				return LDMCTL_EXIT_USAGE;
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"downtime-limit=%u\n", v);
			break;
		case OPT_BANDWIDTH:
			/* 0 lifts the cap; size_parse() takes no zero. */
			if (!strcmp(optarg, "0"))
				bytes = 0;
			else if (size_parse(optarg, &bytes, &why))
				return usage_error(cmd, "invalid --bandwidth '%s': %s",
						   quote_arg(optarg, quoted), why);
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"bandwidth=%llu\n",
						(unsigned long long)bytes);
			break;
		case OPT_DIRTY_LIMIT:
			if (option_u32(cmd, "--dirty-limit", optarg, 0,
				       DIRTY_LIMIT_MAX, &limit))
				return LDMCTL_EXIT_USAGE;
			limit_given = true;
			break;
		case 'h':
			subcommand_help(cmd, stdout);
			return LDMCTL_EXIT_OK;
		default:
			return option_error(cmd, argv, c, longopts);
		}
	}
	if (optind == argc)
		return usage_error(cmd, "missing domain name");
	if (argc - optind > 1)
		return usage_error(cmd, "unexpected argument '%s'",
				   quote_arg(argv[optind + 1], quoted));
	if (!limit_given && !len)
		return usage_error(cmd, "nothing to change: give --downtime-limit, --bandwidth or --dirty-limit");
	name = argv[optind];
	if (name_validate(name, &why)) {
		report(cmd->name, name, "%s", why);
		return LDMCTL_EXIT_USAGE;
	}
	if (len) {
		ret = hand_over(cmd, name, text);
		if (ret)
			return ret;
	}
	if (!limit_given)
		return LDMCTL_EXIT_OK;
	ret = ldmctl_connect(cmd, &g);
	if (ret)
		return ret;
	ret = mig_set_dirty_limit(g, name, limit);
	ret = report_result(cmd->name, name, ret, ldm_genl_ext_ack(g));
	ldm_genl_close(g);
	return ret;
}

const struct subcommand cmd_migrate_set = {
	.name = "migrate-set",
	.synopsis = "[--downtime-limit MS] [--bandwidth RATE] [--dirty-limit N]\n"
		    "              DOMAIN",
	.summary = "change a running migration of a domain",
	.help =
	"Change the migration of DOMAIN that 'ldmctl migrate' runs on this\n"
	"host, from another shell.\n"
	"\n"
	"  --downtime-limit MS  the final round's time budget, from the next\n"
	"                   decision on\n"
	"  --bandwidth RATE at most RATE bytes/s on the data streams from the\n"
	"                   next batch on (e.g. 100M; 0: no limit)\n"
	"  --dirty-limit N  let the guest dirty at most N pages a second from\n"
	"                   now on (0: no limit); its writers sleep on the way\n"
	"                   back to user space, reads never. The limit ends\n"
	"                   with the migration. With 'migrate --dirty-limit\n"
	"                   auto', the migration may tighten it further.\n"
	"  -h, --help       show this help\n"
	"\n"
	"The migration takes a downtime limit or a bandwidth while a round runs\n"
	"or between rounds, and says so (a 'set' event); migrate-set waits for\n"
	"that, up to 10 s.\n",
	.run = migrate_set,
};
