// SPDX-License-Identifier: GPL-2.0
/*
 * ldmctl: the userland tool of ldm. main() only reads the global options
 * and hands over to a command from the table in commands.c.
 */
#include <errno.h>
#include <string.h>

#include <linux/ldm.h>
#include <netlink/version.h>
#include <openssl/crypto.h>

#include "ldmctl.h"

static void print_version(void)
{
	printf("ldmctl %s\n", LDMCTL_VERSION);
	printf("ldm UAPI %d (generic netlink family \"%s\", version %d)\n",
	       LDM_UAPI_VERSION, LDM_GENL_NAME, LDM_GENL_VERSION);
	/* The libraries actually loaded, not the headers built against. */
	printf("libnl %d.%d.%d\n", nl_ver_maj, nl_ver_min, nl_ver_mic);
	printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
}

/* A full disk or closed pipe must not pass for success. */
static int flush_stdout(const char *cmd, int ret)
{
	if (fflush(stdout) || ferror(stdout)) {
		report(cmd, NULL, "cannot write output: %s", strerror(errno));
		if (!ret)
			ret = LDMCTL_EXIT_FAIL;
	}
	return ret;
}

int main(int argc, char **argv)
{
	enum { OPT_VERSION = 256 };
	static const struct option longopts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, OPT_VERSION },
		{ NULL,		0,		NULL, 0 },
	};
	struct ldmctl_opts opts = { 0 };
	const struct subcommand *cmd;
	char quoted[QUOTE_MAX];
	int c, ret;

	/* '+': stop at the command word; what follows is the command's. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opts.json = true;
			break;
		case 'h':
			ldmctl_help(stdout);
			return flush_stdout(NULL, LDMCTL_EXIT_OK);
		case OPT_VERSION:
			print_version();
			return flush_stdout(NULL, LDMCTL_EXIT_OK);
		default:
			return option_error(NULL, argv, c, longopts);
		}
	}
	if (optind == argc) {
		/* Bare "ldmctl": the overview is the most useful answer. */
		ldmctl_help(stderr);
		return LDMCTL_EXIT_USAGE;
	}
	cmd = subcommand_find(argv[optind]);
	if (!cmd)
		return usage_error(NULL, "no command '%s'",
				   quote_arg(argv[optind], quoted));

	ret = cmd->run(cmd, argc - optind, argv + optind, &opts);
	return flush_stdout(cmd->name, ret);
}
