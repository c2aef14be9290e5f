/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ldm.conf: defaults for the options of 'ldmctl serve' and 'ldmctl
 * migrate', read from a file (--config FILE, else /etc/ldm/ldm.conf if it
 * exists). The format, one setting a line:
 *
 *   # a comment (whole lines only)
 *   cert = /etc/ldm/server.crt     before any section: both commands
 *   [serve]
 *   listen = 192.0.2.1:8101        the long option's name, without "--"
 *   [migrate]
 *   streams = 4
 *
 * Each setting becomes the long option of the same name, placed before
 * the command line's options, so the command line wins. A setting in a
 * command's section replaces the same setting before the sections. Every
 * line of the file is checked, whichever command reads it: an unknown
 * section or setting, a setting given twice in one place, a value the
 * option would refuse, a line that is not "NAME = VALUE" fail the command
 * with "FILE:LINE: what is wrong" before it does anything.
 */
#ifndef LDMCTL_CONF_H
#define LDMCTL_CONF_H

#include <stddef.h>

#include "config.h"

#define LDM_DEFAULT_CONF	LDM_ETC_DIR "/ldm.conf"

/* At most this much of a file, this long a line. */
#define CONF_FILE_MAX		(64 * 1024)
#define CONF_LINE_MAX		1024
#define CONF_WHY_MAX		256

enum conf_cmd { CONF_SERVE, CONF_MIGRATE };

/* One setting that applies to the command: "--NAME" and its value. */
struct conf_setting {
	const char *name;	/* the long option, without "--" */
	char *value;		/* NULL for a flag ("fips = yes") */
	unsigned int line;
};

struct conf {
	struct conf_setting *set;
	size_t n;
};

/*
 * conf_parse() - check all of @text (@len bytes, NUL bytes refused) and
 * keep in @c the settings of @cmd, in the order their options are to be
 * given. On failure, @line is the line at fault (0: the file as a whole)
 * and @why says what is wrong.
 * Return: 0, -EINVAL, or -ENOMEM.
 */
int conf_parse(const char *text, size_t len, enum conf_cmd cmd,
	       struct conf *c, unsigned int *line, char why[CONF_WHY_MAX]);

/*
 * conf_read() - conf_parse() on the file @path: a regular file, owned by
 * root or the caller, writable by nobody else (it names commands that
 * serve runs, and the keys it trusts), at most CONF_FILE_MAX bytes.
 * Return: 0, -ENOENT if there is no such file, or another negative errno
 * with @line and @why.
 */
int conf_read(const char *path, enum conf_cmd cmd, struct conf *c,
	      unsigned int *line, char why[CONF_WHY_MAX]);

void conf_free(struct conf *c);

/* The command line with the file's options in front of its own. */
struct conf_args {
	int argc;
	char **argv;
	size_t owned;		/* argv[1..owned]: the file's, allocated */
	struct conf c;
};

struct subcommand;

/*
 * conf_args() - take --config FILE (or --config=FILE) out of the command
 * line @argc/@argv of @sub, read the file (else LDM_DEFAULT_CONF, if it
 * exists; nothing with -h or --help) and put its options after argv[0].
 * --config is recognised as a word of its own before any "--"; the
 * value of another option cannot be "--config".
 * Return: -1 to go on with @a's argc/argv (free them with
 * conf_args_free()), or the exit status to leave with: 2 after
 * reporting a bad or missing file.
 */
int conf_args(const struct subcommand *sub, enum conf_cmd cmd, int argc,
	      char **argv, struct conf_args *a);

void conf_args_free(struct conf_args *a);

#endif /* LDMCTL_CONF_H */
