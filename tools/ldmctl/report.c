// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "report.h"

FILE *report_file;

/* Quoting stops here: a mistyped 10 KiB argument needs no full echo. */
#define QUOTE_SHOWN	64

char *quote_arg(const char *s, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char *o = buf;
	size_t n;

	for (n = 0; n < QUOTE_SHOWN && p[n]; n++) {
		unsigned char c = p[n];

		if (c == '\\' || c == '\'') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	if (p[n]) {
		memcpy(o, "...", 3);
		o += 3;
	}
	*o = '\0';
	return buf;
}

void report(const char *cmd, const char *name, const char *fmt, ...)
{
	FILE *f = report_file ? report_file : stderr;
	char quoted[QUOTE_MAX];
	va_list ap;

	fputs("ldmctl: ", f);
	if (cmd)
		fprintf(f, "%s: ", cmd);
	if (name)
		fprintf(f, "'%s': ", quote_arg(name, quoted));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

int exit_code_for(int err)
{
	if (!err)
		return LDMCTL_EXIT_OK;
	switch (err) {
	case -EPERM:
	case -EACCES:
		return LDMCTL_EXIT_PERM;
	case ERR_NO_MODULE:
		return LDMCTL_EXIT_NO_MODULE;
	case ERR_REFUSED:
		return LDMCTL_EXIT_REFUSED;
	case ERR_CANCELLED:
		return LDMCTL_EXIT_CANCELLED;
	case ERR_UNKNOWN:
		return LDMCTL_EXIT_UNKNOWN;
	case ERR_BUSY:
		return LDMCTL_EXIT_BUSY;
	default:
		return LDMCTL_EXIT_FAIL;
	}
}

int report_result(const char *cmd, const char *name, int err,
		  const char *ext_ack)
{
	if (!err) {
		if (ext_ack)
			report(cmd, name, "warning: %s", ext_ack);
		return LDMCTL_EXIT_OK;
	}
	if (ext_ack)
		report(cmd, name, "%s", ext_ack);
	else if (exit_code_for(err) == LDMCTL_EXIT_PERM)
		/* A failed capability check comes with no message. */
		report(cmd, name, "%s (ldmctl needs CAP_NET_ADMIN)",
		       strerror(-err));
	else
		report(cmd, name, "%s", strerror(-err));
	return exit_code_for(err);
}
