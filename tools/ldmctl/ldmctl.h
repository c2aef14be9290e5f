/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ldmctl: the command table. Each subcommand lives in its own file and
 * exports one struct subcommand; commands.c lists them. Adding a command
 * is one new file and one line there.
 */
#ifndef LDMCTL_H
#define LDMCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "genl.h"
#include "report.h"

#ifndef LDMCTL_VERSION
#define LDMCTL_VERSION "0.1.0"
#endif

/* Options given before the command; they apply to every command. */
struct ldmctl_opts {
	bool json;	/* -j: machine-readable output where there is output */
};

struct subcommand {
	const char *name;
	/* What follows the name on a usage line: "NAME --mem SIZE". */
	const char *synopsis;
	/* One line for the command list of 'ldmctl help'. */
	const char *summary;
	/* What 'ldmctl help CMD' adds below the usage line. */
	const char *help;
	/*
	 * Runs the command. @argv[0] is the command name; options may
	 * appear anywhere (getopt permutes). Returns an enum ldmctl_exit.
	 */
	int (*run)(const struct subcommand *cmd, int argc, char **argv,
		   const struct ldmctl_opts *opts);
};

extern const struct subcommand cmd_add_domain;
extern const struct subcommand cmd_remove_domain;
extern const struct subcommand cmd_resume_domain;
extern const struct subcommand cmd_list;
extern const struct subcommand cmd_migrate;
extern const struct subcommand cmd_migrate_set;
extern const struct subcommand cmd_serve;
extern const struct subcommand cmd_cancel_operation;
extern const struct subcommand cmd_trust;
extern const struct subcommand cmd_help;

/* The table, in the order 'ldmctl help' lists it. */
extern const struct subcommand *const subcommands[];
extern const size_t nsubcommands;

const struct subcommand *subcommand_find(const char *name);

/* The overview that 'ldmctl help' and 'ldmctl --help' print. */
void ldmctl_help(FILE *f);

/* "usage: ldmctl NAME SYNOPSIS", then the command's help text. */
void subcommand_help(const struct subcommand *cmd, FILE *f);

/*
 * Prepare getopt_long() for a command's own options: start again at
 * argv[1] and let the command word its own errors.
 */
void subcommand_getopt_init(void);

/*
 * usage_error() - "ldmctl: CMD: MESSAGE" and the usage line, on the
 * report stream. A NULL @cmd stands for ldmctl itself (global options).
 * Return: LDMCTL_EXIT_USAGE.
 */
int usage_error(const struct subcommand *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * option_error() - word what getopt_long() returned ('?' or ':', with
 * optstring starting with ':') as a usage error; @longopts are the ones
 * just given to getopt_long().
 * Return: LDMCTL_EXIT_USAGE.
 */
/*
 * name_arg() - parse "[-h] NAME" for commands that take one domain name.
 * Returns true when the caller is done and should return *exit_code (help
 * was shown, or the arguments were wrong, with a message); false with a
 * valid name in *name.
 */
bool name_arg(const struct subcommand *cmd, int argc, char **argv,
	      const char **name, int *exit_code);

int option_error(const struct subcommand *cmd, char **argv, int c,
		 const struct option *longopts);

/*
 * option_u32() - the value @s of option @opt ("--workers"), a decimal
 * number from @lo to @hi, into *@v; or "OPT must be a number from LO to
 * HI" as a usage error.
 * Return: 0, or LDMCTL_EXIT_USAGE.
 */
int option_u32(const struct subcommand *cmd, const char *opt, const char *s,
	       uint32_t lo, uint32_t hi, uint32_t *v);

/*
 * ldmctl_open() - open the "ldm" family; on failure say why (the module
 * is not loaded, or the system error), as command @cmd.
 * Return: 0, ERR_NO_MODULE, or another negative errno.
 */
int ldmctl_open(const char *cmd, struct ldm_genl **g);

/* ldmctl_open() for a command's edge: 0, or the exit code to leave with. */
int ldmctl_connect(const struct subcommand *cmd, struct ldm_genl **g);

struct ldm_domain_info;

/*
 * The two renderings of 'ldmctl list', exposed for the tests.
 * Return: 0 or a negative errno (nothing usable was written).
 */
int list_print_table(FILE *f, const struct ldm_domain_info *list, size_t n);
int list_print_json(FILE *f, const struct ldm_domain_info *list, size_t n);

#endif /* LDMCTL_H */
