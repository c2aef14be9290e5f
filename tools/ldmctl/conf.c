// SPDX-License-Identifier: GPL-2.0
/*
 * ldm.conf, the defaults of serve and migrate; see conf.h. The parser
 * (conf_parse()) is pure and fuzzed (fuzz/fuzz_conf.c); conf_args() is
 * the glue the two commands call before their own option parsing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapt.h"
#include "addr.h"
#include "admit.h"
#include "conf.h"
#include "ldmctl.h"
#include "proto.h"
#include "size.h"

enum conf_type { T_PATH, T_STRING, T_U32, T_LISTEN, T_SIZE, T_COMPRESS,
		 T_PORT, T_BOOL };

/* Where a setting may be: before the sections (both commands), or one. */
enum { AT_TOP, AT_SERVE, AT_MIGRATE, AT_N };
#define IN_TOP		(1u << AT_TOP)
#define IN_SERVE	(1u << AT_SERVE)
#define IN_MIGRATE	(1u << AT_MIGRATE)
#define IN_ALL		(IN_TOP | IN_SERVE | IN_MIGRATE)

static const char *const section_name[AT_N] = { "", "serve", "migrate" };

/*
 * The settings: the options of target_cmd.c and source_cmd.c a file may
 * set, with the same limits (a value they would refuse is refused here,
 * with its line). A name that means different things to the two commands
 * (workers, password-file) has an entry for each section.
 */
static const struct conf_key {
	const char *name;
	unsigned int in;
	enum conf_type type;
	uint32_t lo, hi;
} keys[] = {
	{ "cert",		IN_ALL,		T_PATH,		0, 0 },
	{ "key",		IN_ALL,		T_PATH,		0, 0 },
	{ "trust-dir",		IN_ALL,		T_PATH,		0, 0 },
	{ "fips",		IN_ALL,		T_BOOL,		0, 0 },
	{ "timeout",		IN_ALL,		T_U32,		1, 3600 },
	{ "listen",		IN_SERVE,	T_LISTEN,	0, 0 },
	{ "password-file",	IN_SERVE,	T_PATH,		0, 0 },
	{ "qmp-dir",		IN_SERVE,	T_PATH,		0, 0 },
	{ "on-receive",		IN_SERVE,	T_STRING,	0, 0 },
	{ "workers",		IN_SERVE,	T_U32,		1, 3600 },
	{ "handshake-timeout",	IN_SERVE,	T_U32,		1, 600 },
	{ "max-startups",	IN_SERVE,	T_U32,	1, ADMIT_MAX_STARTUPS },
	{ "max-startups-per-addr", IN_SERVE,	T_U32,	1, ADMIT_MAX_STARTUPS },
	{ "max-migrations",	IN_SERVE,	T_U32,	1, ADMIT_MAX_MIGRATIONS },
	{ "password-file",	IN_MIGRATE,	T_PATH,		0, 0 },
	{ "workers",		IN_MIGRATE,	T_U32,		1, 1024 },
	{ "streams",		IN_MIGRATE,	T_U32,	1, PROTO_STREAMS_MAX },
	{ "downtime-limit",	IN_MIGRATE,	T_U32,		1, 3600000 },
	{ "max-rounds",		IN_MIGRATE,	T_U32,	1, PROTO_ROUNDS_MAX - 1 },
	{ "bandwidth",		IN_MIGRATE,	T_SIZE,		0, 0 },
	{ "compress",		IN_MIGRATE,	T_COMPRESS,	0, 0 },
	{ "port",		IN_MIGRATE,	T_PORT,		0, 0 },
	{ "verify",		IN_MIGRATE,	T_BOOL,		0, 0 },
	{ "reconnect",		IN_MIGRATE,	T_U32,	0, PROTO_RESUME_WAIT_S },
	{ "dirty-limit",	IN_MIGRATE,	T_STRING,	0, 0 },
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

static const struct conf_key *key_find(const char *name, size_t len, int at)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == len &&
		    !memcmp(keys[i].name, name, len) && (keys[i].in & (1u << at)))
			return &keys[i];
	return NULL;
}

static bool key_known(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == len && !memcmp(keys[i].name, name, len))
			return true;
	return false;
}

static int fail(char why[CONF_WHY_MAX], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(char why[CONF_WHY_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, CONF_WHY_MAX, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A decimal number, digits only, lo..hi. */
static bool u32_ok(const char *s, uint32_t lo, uint32_t hi)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > hi)
			return false;
	}
	return v >= lo;
}

/* Whether @v is a value the option would take; else why not. */
static int value_check(const struct conf_key *k, const char *v,
		       char why[CONF_WHY_MAX])
{
	char host[ADDR_HOST_MAX + 1];
	const char *w = NULL;
	uint64_t bytes;
	uint32_t codec;
	uint16_t port;
	const char *p;

	for (p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return fail(why, "'%s' has a control character in its value",
				    k->name);
	switch (k->type) {
	case T_PATH:
		if (v[0] != '/')
			return fail(why, "'%s' must be an absolute path", k->name);
		break;
	case T_STRING:
		break;
	case T_U32:
		if (!u32_ok(v, k->lo, k->hi))
			return fail(why, "'%s' must be a number from %u to %u",
				    k->name, k->lo, k->hi);
		break;
	case T_LISTEN:
		if (listen_parse(v, host, &port, LDM_DEFAULT_PORT, &w))
			return fail(why, "invalid 'listen': %s", w);
		break;
	case T_SIZE:
		if (size_parse(v, &bytes, &w))
			return fail(why, "invalid '%s': %s", k->name, w);
		break;
	case T_COMPRESS:
		if (adapt_parse(v, &codec))
			return fail(why, "'%s' must be auto, lzjb, lz4 or none",
				    k->name);
		break;
	case T_PORT:
		if (port_parse(v, &port))
			return fail(why, "'%s' must be a number from 1 to 65535",
				    k->name);
		break;
	case T_BOOL:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return fail(why, "'%s' must be yes or no", k->name);
		break;
	}
	return 0;
}

/* A setting as read, before it is known whether the command takes it. */
struct seen {
	const struct conf_key *k;
	int at;
	char *value;
	unsigned int line;
};

static void seen_free(struct seen *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(s[i].value);
	free(s);
}

/*
 * One line (@p, @len bytes, no newline) of section *@at: a setting into
 * @s[*n], or a new section into *@at. Return: 0, -EINVAL, -ENOMEM.
 */
static int parse_line(const char *p, size_t len, int *at, struct seen *s,
		      size_t *n, char why[CONF_WHY_MAX])
{
	const struct conf_key *k;
	const char *name, *v;
	size_t nlen, vlen, i;
	int a;

	while (len && is_blank(*p)) {
		p++;
		len--;
	}
	while (len && (is_blank(p[len - 1]) || p[len - 1] == '\r'))
		len--;
	if (!len || *p == '#')
		return 0;
	if (*p == '[') {
		if (p[len - 1] != ']')
			return fail(why, "a section is [serve] or [migrate], on a line of its own");
		for (a = AT_SERVE; a < AT_N; a++)
			if (len - 2 == strlen(section_name[a]) &&
			    !memcmp(p + 1, section_name[a], len - 2))
				break;
		if (a == AT_N)
			return fail(why, "unknown section '%.*s': [serve] or [migrate]",
				    (int)(len > 40 ? 40 : len), p);
		*at = a;
		return 0;
	}
	name = p;
	for (nlen = 0; nlen < len && ((p[nlen] >= 'a' && p[nlen] <= 'z') ||
				      p[nlen] == '-'); nlen++)
		;
	for (i = nlen; i < len && is_blank(p[i]); i++)
		;
	if (!nlen || i == len || p[i] != '=')
		return fail(why, "expected NAME = VALUE, a [section] or a # comment");
	for (i++; i < len && is_blank(p[i]); i++)
		;
	v = p + i;
	vlen = len - i;
	k = key_find(name, nlen, *at);
	if (!k) {
		if (!key_known(name, nlen))
			return fail(why, "unknown setting '%.*s'", (int)nlen, name);
		if (*at == AT_TOP)
			return fail(why, "'%.*s' belongs in a section: [serve] or [migrate]",
				    (int)nlen, name);
		return fail(why, "'%.*s' is not a setting of [%s]", (int)nlen,
			    name, section_name[*at]);
	}
	if (!vlen)
		return fail(why, "'%s' has no value", k->name);
	for (i = 0; i < *n; i++)
		if (s[i].at == *at && !strcmp(s[i].k->name, k->name))
			return fail(why, "'%s' is already set on line %u",
				    k->name, s[i].line);
	s[*n].value = strndup(v, vlen);
	if (!s[*n].value)
		return -ENOMEM;
	s[*n].k = k;
	s[*n].at = *at;
	(*n)++;
	return value_check(k, s[*n - 1].value, why);
}

/* The settings of @cmd, in option order, from what was read. */
static int select_settings(struct seen *s, size_t n, enum conf_cmd cmd,
			   struct conf *c)
{
	int mine = cmd == CONF_SERVE ? AT_SERVE : AT_MIGRATE;
	size_t i, j;

	c->set = calloc(n ? n : 1, sizeof(*c->set));
	if (!c->set)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		bool replaced = false;

		if (s[i].at != mine && s[i].at != AT_TOP)
			continue;
		if (s[i].at == AT_TOP)
			for (j = 0; j < n; j++)
				if (s[j].at == mine &&
				    !strcmp(s[j].k->name, s[i].k->name))
					replaced = true;
		if (replaced)
			continue;
		if (s[i].k->type == T_BOOL && strcmp(s[i].value, "yes"))
			continue;
		c->set[c->n].name = s[i].k->name;
		c->set[c->n].line = s[i].line;
		if (s[i].k->type != T_BOOL) {
			c->set[c->n].value = s[i].value;
			s[i].value = NULL;
		}
		c->n++;
	}
	/*
	 * In the order of the file: those before the sections come first (no
	 * line goes back there), so a section's, given later, would win.
	 */
	return 0;
}

int conf_parse(const char *text, size_t len, enum conf_cmd cmd,
	       struct conf *c, unsigned int *line, char why[CONF_WHY_MAX])
{
	int at = AT_TOP, ret = 0;
	struct seen *s = NULL;
	size_t n = 0, i, lines = 1, off;

	*c = (struct conf){ 0 };
	*line = 0;
	why[0] = '\0';
	if (len > CONF_FILE_MAX)
		return fail(why, "longer than %u bytes", CONF_FILE_MAX);
	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			lines++;
	s = calloc(lines, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (off = 0; off < len && !ret;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (text + off)) : len - off;

		(*line)++;
		if (memchr(text + off, '\0', l))
			ret = fail(why, "a NUL byte");
		else if (l > CONF_LINE_MAX)
			ret = fail(why, "longer than %u bytes", CONF_LINE_MAX);
		else {
			size_t before = n;

			ret = parse_line(text + off, l, &at, s, &n, why);
			if (n > before)
				s[before].line = *line;
		}
		off += l + (nl ? 1 : 0);
	}
	if (!ret) {
		*line = 0;
		ret = select_settings(s, n, cmd, c);
	}
	seen_free(s, n);
	if (ret)
		conf_free(c);
	return ret;
}

void conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->set[i].value);
	free(c->set);
	*c = (struct conf){ 0 };
}

int conf_read(const char *path, enum conf_cmd cmd, struct conf *c,
	      unsigned int *line, char why[CONF_WHY_MAX])
{
	struct stat st;
	char *text;
	ssize_t got;
	size_t len = 0;
	int fd, ret;

	*c = (struct conf){ 0 };
	*line = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		snprintf(why, CONF_WHY_MAX, "%s", strerror(errno));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(why, CONF_WHY_MAX, "%s", strerror(errno));
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode))
		ret = fail(why, "not a regular file");
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		ret = fail(why, "not owned by root (it names commands serve runs)");
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		ret = fail(why, "writable by group or others (it names commands serve runs)");
	else if (st.st_size > CONF_FILE_MAX)
		ret = fail(why, "longer than %u bytes", CONF_FILE_MAX);
	else
		ret = 0;
	if (ret) {
		close(fd);
		return ret;
	}
	text = malloc(CONF_FILE_MAX + 1);
	if (!text) {
		close(fd);
		return -ENOMEM;
	}
	while (len <= CONF_FILE_MAX &&
	       (got = read(fd, text + len, CONF_FILE_MAX + 1 - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = -errno;
			snprintf(why, CONF_WHY_MAX, "%s", strerror(errno));
			break;
		}
		len += (size_t)got;
	}
	close(fd);
	if (!ret)
		ret = conf_parse(text, len, cmd, c, line, why);
	free(text);
	return ret;
}

int conf_args(const struct subcommand *sub, enum conf_cmd cmd, int argc,
	      char **argv, struct conf_args *a)
{
	const char *path = NULL;
	char why[CONF_WHY_MAX];
	bool help = false, dashdash = false;
	unsigned int line;
	int i, n, ret;
	size_t k;

	*a = (struct conf_args){ 0 };
	a->argv = calloc((size_t)argc + 1, sizeof(*a->argv));
	if (!a->argv)
		return report_result(sub->name, NULL, -ENOMEM, NULL);
	a->argv[a->argc++] = argv[0];
	for (i = 1; i < argc; i++) {
		if (!dashdash && !strcmp(argv[i], "--config")) {
			if (i + 1 == argc) {
				conf_args_free(a);
				return usage_error(sub, "--config needs a file");
			}
			path = argv[++i];
			continue;
		}
		if (!dashdash && !strncmp(argv[i], "--config=", 9)) {
			path = argv[i] + 9;
			continue;
		}
		if (!strcmp(argv[i], "--"))
			dashdash = true;
		else if (!dashdash && (!strcmp(argv[i], "-h") ||
				       !strcmp(argv[i], "--help")))
			help = true;
		a->argv[a->argc++] = argv[i];
	}
	if (path && !*path) {
		conf_args_free(a);
		return usage_error(sub, "--config needs a file");
	}
	if (help)
		return -1;
	ret = conf_read(path ? path : LDM_DEFAULT_CONF, cmd, &a->c, &line, why);
	if (ret == -ENOENT && !path)
		return -1;
	if (ret) {
		if (ret == -ENOMEM)
			report(sub->name, NULL, "%s: out of memory",
			       path ? path : LDM_DEFAULT_CONF);
		else if (line)
			report(sub->name, NULL, "%s:%u: %s",
			       path ? path : LDM_DEFAULT_CONF, line, why);
		else
			report(sub->name, NULL, "%s: %s",
			       path ? path : LDM_DEFAULT_CONF, why);
		conf_args_free(a);
		return LDMCTL_EXIT_USAGE;
	}
	if (!a->c.n)
		return -1;
	/* argv[0], the file's options, then the command line's. */
	n = a->argc;
	{
		char **av = calloc((size_t)n + a->c.n + 1, sizeof(*av));

		if (!av) {
			conf_args_free(a);
			return report_result(sub->name, NULL, -ENOMEM, NULL);
		}
		av[0] = a->argv[0];
		for (k = 0; k < a->c.n; k++) {
			const struct conf_setting *s = &a->c.set[k];

			if (s->value ? asprintf(&av[k + 1], "--%s=%s", s->name,
						s->value) < 0 :
			    asprintf(&av[k + 1], "--%s", s->name) < 0) {
				av[k + 1] = NULL;
				for (; k > 0; k--)
					free(av[k]);
				free(av);
				conf_args_free(a);
				return report_result(sub->name, NULL, -ENOMEM,
						     NULL);
			}
		}
		for (i = 1; i < n; i++)
			av[a->c.n + (size_t)i] = a->argv[i];
		free(a->argv);
		a->argv = av;
		a->argc = n + (int)a->c.n;
		a->owned = a->c.n;
	}
	return -1;
}

void conf_args_free(struct conf_args *a)
{
	size_t k;

	if (a->argv)
		for (k = 0; k < a->owned; k++)
			free(a->argv[k + 1]);
	free(a->argv);
	conf_free(&a->c);
	*a = (struct conf_args){ 0 };
}
