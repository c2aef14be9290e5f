// SPDX-License-Identifier: GPL-2.0
/* ldmctl remove-domain NAME */
#include "domain.h"
#include "ldmctl.h"
#include "name.h"

static int remove_domain(const struct subcommand *cmd, int argc, char **argv,
			 const struct ldmctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	char quoted[QUOTE_MAX];
	const char *name, *why;
	struct ldm_genl *g;
	int c, ret;

	(void)opts;
	subcommand_getopt_init();
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
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
	name = argv[optind];
	if (name_validate(name, &why)) {
		report(cmd->name, name, "%s", why);
		return LDMCTL_EXIT_USAGE;
	}

	ret = ldmctl_connect(cmd, &g);
	if (ret)
		return ret;
	ret = ldm_domain_del(g, name);
	ret = report_result(cmd->name, name, ret, ldm_genl_ext_ack(g));
	ldm_genl_close(g);
	return ret;
}

const struct subcommand cmd_remove_domain = {
	.name = "remove-domain",
	.synopsis = "NAME",
	.summary = "destroy a domain that is not in use",
	.help =
	"Destroy the domain NAME, its guest RAM and /dev/ldm/NAME. The module\n"
	"refuses while the device is open or its memory mapped (say, by a\n"
	"running QEMU).\n"
	"\n"
	"  NAME        the domain\n"
	"  -h, --help  show this help\n",
	.run = remove_domain,
};
