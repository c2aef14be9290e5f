// SPDX-License-Identifier: GPL-2.0
/*
 * The command table and what every command shares: usage lines, option
 * errors and the connection to the module.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/ldm.h>

#include "ldmctl.h"
#include "name.h"

const struct subcommand *const subcommands[] = {
	&cmd_add_domain,
	&cmd_remove_domain,
	&cmd_resume_domain,
	&cmd_list,
	&cmd_migrate,
	&cmd_migrate_set,
	&cmd_serve,
	&cmd_cancel_operation,
	&cmd_trust,
	&cmd_help,
};

const size_t nsubcommands = sizeof(subcommands) / sizeof(subcommands[0]);

const struct subcommand *subcommand_find(const char *name)
{
	size_t i;

	for (i = 0; i < nsubcommands; i++)
		if (!strcmp(subcommands[i]->name, name))
			return subcommands[i];
	return NULL;
}

static FILE *report_stream(void)
{
	return report_file ? report_file : stderr;
}

static void usage_line(const struct subcommand *cmd, FILE *f)
{
	if (cmd)
		fprintf(f, "usage: ldmctl %s %s\n", cmd->name, cmd->synopsis);
	else
		fputs("usage: ldmctl [-j] COMMAND [ARGS...]  ('ldmctl help' lists the commands)\n",
		      f);
}

void subcommand_help(const struct subcommand *cmd, FILE *f)
{
	usage_line(cmd, f);
	fprintf(f, "\n%s", cmd->help);
}

void subcommand_getopt_init(void)
{
	/*
	 * glibc: optind = 0 also resets getopt's internal state (a half-read
	 * "-ab" cluster, the permutation bookkeeping) left by main().
	 */
	optind = 0;
	opterr = 0;
}

int usage_error(const struct subcommand *cmd, const char *fmt, ...)
{
	FILE *f = report_stream();
	va_list ap;

	fputs("ldmctl: ", f);
	if (cmd)
		fprintf(f, "%s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	usage_line(cmd, f);
	return LDMCTL_EXIT_USAGE;
}

int option_error(const struct subcommand *cmd, char **argv, int c,
		 const struct option *longopts)
{
	char quoted[QUOTE_MAX];
	const char *word = argv[optind - 1];
	const struct option *o;
	size_t len;

	quote_arg(word, quoted);
	if (c == ':') {
		/* A missing value ends its word, so optind has moved past. */
		if (!strncmp(word, "--", 2))
			return usage_error(cmd, "option '%s' needs a value",
					   quoted);
		return usage_error(cmd, "option '-%c' needs a value", optopt);
	}
	/* glibc: 0 for an unknown long option (whole word, behind optind). */
	if (!optopt)
		return usage_error(cmd, "unknown option '%s'", quoted);
	/* A known long option given "=value" it does not take. */
	if (!strncmp(word, "--", 2) && strchr(word, '=')) {
		len = (size_t)(strchr(word, '=') - word - 2);
		for (o = longopts; o && o->name; o++)
			if (o->val == optopt && strlen(o->name) == len &&
			    !strncmp(o->name, word + 2, len))
				return usage_error(cmd, "option '--%s' takes no value",
						   o->name);
	}
	/*
	 * Inside a cluster such as "-xj", optind has not moved on yet, so
	 * the word is unreliable; optopt names the bad letter.
	 */
	return usage_error(cmd, "unknown option '-%c'", optopt);
}

int option_u32(const struct subcommand *cmd, const char *opt, const char *s,
	       uint32_t lo, uint32_t hi, uint32_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || x < lo || x > hi)
		return usage_error(cmd, "%s must be a number from %u to %u", opt,
				   lo, hi);
	*v = (uint32_t)x;
	return 0;
}

int ldmctl_open(const char *cmd, struct ldm_genl **g)
{
	int err = ldm_genl_open(g, LDM_GENL_NAME, LDM_GENL_VERSION);

	if (err == -ENOENT) {
		report(cmd, NULL,
		       "the ldm module is not loaded (no generic netlink family \"%s\")",
		       LDM_GENL_NAME);
		return ERR_NO_MODULE;
	}
	if (err < 0)
		report(cmd, NULL, "cannot talk to the ldm module: %s",
		       strerror(-err));
	return err;
}

int ldmctl_connect(const struct subcommand *cmd, struct ldm_genl **g)
{
	return exit_code_for(ldmctl_open(cmd->name, g));
}

bool name_arg(const struct subcommand *cmd, int argc, char **argv,
	      const char **name, int *exit_code)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	char quoted[QUOTE_MAX];
	const char *why;
	int c;

	subcommand_getopt_init();
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			subcommand_help(cmd, stdout);
			*exit_code = LDMCTL_EXIT_OK;
		} else {
			*exit_code = option_error(cmd, argv, c, longopts);
		}
		return true;
	}
	if (optind == argc) {
		*exit_code = usage_error(cmd, "missing domain name");
		return true;
	}
	if (argc - optind > 1) {
		*exit_code = usage_error(cmd, "unexpected argument '%s'",
					 quote_arg(argv[optind + 1], quoted));
		return true;
	}
	*name = argv[optind];
	if (name_validate(*name, &why)) {
		report(cmd->name, *name, "%s", why);
		*exit_code = LDMCTL_EXIT_USAGE;
		return true;
	}
	return false;
}
