// SPDX-License-Identifier: GPL-2.0
/* ldmctl help [COMMAND] */
#include <string.h>

#include "ldmctl.h"

void ldmctl_help(FILE *f)
{
	size_t i, width = 0;

	fputs("usage: ldmctl [-j] COMMAND [ARGS...]\n"
	      "       ldmctl --version\n"
	      "\n"
	      "Manage ldm domains: guest RAM owned by the ldm kernel module.\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < nsubcommands; i++)
		if (strlen(subcommands[i]->name) > width)
			width = strlen(subcommands[i]->name);
	for (i = 0; i < nsubcommands; i++)
		fprintf(f, "  %-*s  %s\n", (int)width, subcommands[i]->name,
			subcommands[i]->summary);
	fputs("\n"
	      "Options:\n"
	      "  -j, --json     machine-readable output (for commands that print)\n"
	      "  -h, --help     show this help\n"
	      "      --version  show the versions of ldmctl, the ldm UAPI and OpenSSL\n"
	      "\n"
	      "migrate and serve take defaults from /etc/ldm/ldm.conf (sections\n"
	      "[migrate], [serve]) if it exists, or from --config FILE.\n"
	      "\n"
	      "'ldmctl help COMMAND' or 'ldmctl COMMAND --help' explains a command;\n"
	      "ldmctl(8) has the details.\n", f);
}

static int help(const struct subcommand *cmd, int argc, char **argv,
		const struct ldmctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const struct subcommand *topic;
	char quoted[QUOTE_MAX];
	int c;

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
	if (optind == argc) {
		ldmctl_help(stdout);
		return LDMCTL_EXIT_OK;
	}
	if (argc - optind > 1)
		return usage_error(cmd, "unexpected argument '%s'",
				   quote_arg(argv[optind + 1], quoted));
	topic = subcommand_find(argv[optind]);
	if (!topic)
		return usage_error(cmd, "no command '%s'; 'ldmctl help' lists them",
				   quote_arg(argv[optind], quoted));
	subcommand_help(topic, stdout);
	return LDMCTL_EXIT_OK;
}

const struct subcommand cmd_help = {
	.name = "help",
	.synopsis = "[COMMAND]",
	.summary = "explain ldmctl, or one of its commands",
	.help =
	"Without COMMAND, list the commands; with one, show its usage and\n"
	"options.\n"
	"\n"
	"  -h, --help  show this help\n",
	.run = help,
};
