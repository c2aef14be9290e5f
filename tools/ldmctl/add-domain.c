// SPDX-License-Identifier: GPL-2.0
/* ldmctl add-domain NAME --mem SIZE */
#include <stdint.h>

#include "domain.h"
#include "ldmctl.h"
#include "name.h"
#include "size.h"

static int add_domain(const struct subcommand *cmd, int argc, char **argv,
		      const struct ldmctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "mem",	required_argument,	NULL, 'm' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	char quoted[QUOTE_MAX];
	const char *name, *mem = NULL, *why;
	struct ldm_genl *g;
	uint64_t size;
	int c, ret;

	(void)opts;
	subcommand_getopt_init();
	while ((c = getopt_long(argc, argv, ":m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			/* Two sizes is a mistake, not a preference. */
			if (mem)
				return usage_error(cmd, "--mem given twice");
			mem = optarg;
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
	name = argv[optind];

	/* Everything the user can get wrong is caught before netlink. */
	if (name_validate(name, &why)) {
		report(cmd->name, name, "%s", why);
		return LDMCTL_EXIT_USAGE;
	}
	if (!mem)
		return usage_error(cmd, "missing --mem SIZE");
	if (size_parse(mem, &size, &why)) {
		report(cmd->name, name, "invalid size '%s': %s",
		       quote_arg(mem, quoted), why);
		return LDMCTL_EXIT_USAGE;
	}

	ret = ldmctl_connect(cmd, &g);
	if (ret)
		return ret;
	ret = ldm_domain_new(g, name, size);
	ret = report_result(cmd->name, name, ret, ldm_genl_ext_ack(g));
	ldm_genl_close(g);
	return ret;
}

const struct subcommand cmd_add_domain = {
	.name = "add-domain",
	.synopsis = "NAME --mem SIZE",
	.summary = "create a domain and its guest RAM",
	.help =
	"Create the domain NAME with SIZE bytes of guest RAM, reachable as\n"
	"/dev/ldm/NAME. Pages are allocated on first touch.\n"
	"\n"
	"  NAME            1 to 31 bytes of A-Z a-z 0-9 _ . -, not . or ..\n"
	"  -m, --mem SIZE  guest RAM in bytes, with an optional suffix K, M,\n"
	"                  G, T, P or E (binary: 1K = 1024), e.g. 64M; a\n"
	"                  multiple of the page size\n"
	"  -h, --help      show this help\n",
	.run = add_domain,
};
