// SPDX-License-Identifier: GPL-2.0
/* ldmctl migrate-set DOMAIN --dirty-limit N */
#include <getopt.h>
#include <string.h>

#include "domain.h"
#include "ldmctl.h"
#include "mig.h"
#include "name.h"

static int migrate_set(const struct subcommand *cmd, int argc, char **argv,
		       const struct ldmctl_opts *opts)
{
	enum { OPT_DIRTY_LIMIT = 256 };
	static const struct option longopts[] = {
		{ "dirty-limit", required_argument,	NULL, OPT_DIRTY_LIMIT },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	char quoted[QUOTE_MAX];
	const char *name, *why;
	struct ldm_genl *g;
	bool have = false;
	uint32_t limit = 0;
	int c, ret;

	(void)opts;
	subcommand_getopt_init();
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DIRTY_LIMIT:
			if (option_u32(cmd, "--dirty-limit", optarg, 0,
				       DIRTY_LIMIT_MAX, &limit))
				return LDMCTL_EXIT_USAGE;
			have = true;
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
	if (!have)
		return usage_error(cmd, "nothing to change: give --dirty-limit");
	name = argv[optind];
	if (name_validate(name, &why)) {
		report(cmd->name, name, "%s", why);
		return LDMCTL_EXIT_USAGE;
	}
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
	.synopsis = "--dirty-limit N DOMAIN",
	.summary = "change a running migration of a domain",
	.help =
	"Change the migration of DOMAIN that 'ldmctl migrate' runs on this\n"
	"host, from another shell, at once.\n"
	"\n"
	"  --dirty-limit N  let the guest dirty at most N pages a second from\n"
	"                   now on (0: no limit); its writers sleep on the way\n"
	"                   back to user space, reads never. The limit ends\n"
	"                   with the migration. With 'migrate --dirty-limit\n"
	"                   auto', the migration may tighten it further.\n"
	"  -h, --help       show this help\n",
	.run = migrate_set,
};
