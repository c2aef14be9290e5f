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

#include <errno.h>
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

/*
 * One error convention: inside, functions return 0 or a negative errno;
 * only a command's edge (its run()) turns that into its exit status, with
 * exit_code_for(). The exit statuses of ldmctl(8) that are not failures
 * of the system or the module have an errno of their own, one that no
 * layer below returns, so that they pass through every layer unchanged:
 */
#define ERR_NO_MODULE	(-ENOPKG)	/* 3: no "ldm" family */
#define ERR_REFUSED	(-EKEYREJECTED)	/* 5: authentication or checks */
#define ERR_CANCELLED	(-ECANCELED)	/* 6: cancelled, source intact */
#define ERR_UNKNOWN	(-EINPROGRESS)	/* 7: the commit's outcome */
#define ERR_BUSY	(-EUSERS)	/* 8: no migration slot free */

/*
 * exit_code_for() - the exit status for the result @err of an operation:
 * 0 -> 0; -EPERM, -EACCES -> 4 (needs CAP_NET_ADMIN); the ERR_* above ->
 * their status; any other negative errno -> 1. Usage errors (2) never get
 * here: the command line is judged before anything is done
 * (usage_error()).
 */
int exit_code_for(int err);

/*
 * report_result() - the outcome of one operation on NAME: on failure
 * (@err < 0) print the reason and return its exit code; on success print
 * @ext_ack as a warning if the kernel sent one, and return 0.
 */
int report_result(const char *cmd, const char *name, int err,
		  const char *ext_ack);

#endif /* LDMCTL_REPORT_H */
