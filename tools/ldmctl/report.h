/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How ldmctl tells the user what went wrong, and which exit code says it:
 *
 *   ldmctl: <command>: '<name>': <reason>
 *
 * The reason is the kernel's extended-ack message when there is one, else
 * strerror().
 */
#ifndef LDMCTL_REPORT_H
#define LDMCTL_REPORT_H

#include <stddef.h>
#include <stdio.h>

enum ldmctl_exit {
	LDMCTL_EXIT_OK = 0,
	LDMCTL_EXIT_FAIL = 1,		/* refused by the module or system */
	LDMCTL_EXIT_USAGE = 2,		/* bad command line; nothing was done */
	LDMCTL_EXIT_NO_MODULE = 3,	/* the "ldm" family is not registered */
	LDMCTL_EXIT_PERM = 4,		/* EPERM/EACCES: needs CAP_NET_ADMIN */
	/* Migrations (migrate, serve, cancel-operation): */
	LDMCTL_EXIT_REFUSED = 5,	/* authentication or checks refused */
	LDMCTL_EXIT_CANCELLED = 6,	/* cancelled; the source is intact */
	LDMCTL_EXIT_UNKNOWN = 7,	/* lost the target during the commit */
	LDMCTL_EXIT_BUSY = 8,		/* the target has no migration slot free */
};

/* Where messages go; stderr unless a test points it elsewhere. */
extern FILE *report_file;

/* Room for a quoted argument: 64 bytes shown, each up to 4 ("\xNN"). */
#define QUOTE_MAX	(64 * 4 + sizeof("..."))

/*
 * quote_arg() - make a user-supplied string safe to print between single
 * quotes: backslash and quote are escaped, control and non-ASCII bytes
 * become \xNN, and anything past 64 bytes becomes "...".
 * @buf: QUOTE_MAX bytes
 *
 * Return: @buf.
 */
char *quote_arg(const char *s, char *buf);

/*
 * report() - "ldmctl: CMD: 'NAME': MESSAGE"; CMD and NAME may be NULL to
 * leave their part out. NAME is quoted with quote_arg().
 */
void report(const char *cmd, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The exit code for a failed operation with negative errno @err. */
int exit_code_for(int err);

/*
 * report_result() - the outcome of one operation on NAME: on failure
 * (@err < 0) print the reason and return its exit code; on success print
 * @ext_ack as a warning if the kernel sent one, and return 0.
 */
int report_result(const char *cmd, const char *name, int err,
		  const char *ext_ack);

#endif /* LDMCTL_REPORT_H */
