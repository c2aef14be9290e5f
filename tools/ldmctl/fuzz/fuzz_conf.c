// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: ldm.conf (conf.c), conf_parse().
 *
 * Why: serve and migrate read it before anything else, as root, and serve
 * runs one of its values (on-receive) as a command; a line it takes must
 * be one the command's options take, and a line it refuses must be named.
 *
 * The input is the file. Invariants, for both commands: the parser
 * returns 0 or -EINVAL and nothing else; on -EINVAL it says why, names a
 * line of the input (or 0, the file as a whole) and leaves no setting; on
 * 0 each setting is one of the known names, appears once, comes from a
 * line of the input in increasing order, and has a value that is
 * non-empty, on one line, without control bytes or blanks at either end
 * (NULL only for a flag). Written back as a file (every setting under the
 * command's section, flags as "yes"), the settings parse again to the
 * same list.
 */
#include <errno.h>

#include "conf.h"
#include "ldmctl.h"
#include "fuzz.h"

/* conf_args()'s reporting, which this harness never reaches. */
void report(const char *cmd, const char *name, const char *fmt, ...)
{
	(void)cmd;
	(void)name;
	(void)fmt;
	abort();
}

int report_result(const char *cmd, const char *name, int err,
		  const char *ext_ack)
{
	(void)cmd;
	(void)name;
	(void)err;
	(void)ext_ack;
	abort();
}

int usage_error(const struct subcommand *cmd, const char *fmt, ...)
{
	(void)cmd;
	(void)fmt;
	abort();
}

static const char *const known[] = {
	"cert", "key", "trust-dir", "fips", "timeout", "listen",
	"password-file", "qmp-dir", "on-receive", "workers",
	"handshake-timeout", "max-startups", "max-startups-per-addr",
	"max-migrations", "streams", "downtime-limit", "max-rounds",
	"bandwidth", "compress", "port", "verify", "reconnect",
};

static bool is_known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i], name))
			return true;
	return false;
}

static void one(const uint8_t *data, size_t size, enum conf_cmd cmd)
{
	char *text = (char *)fuzz_dup(data, size), why[CONF_WHY_MAX];
	unsigned int line, lines = 1, prev = 0;
	struct conf c, again;
	size_t i, j, len = 0, cap;
	char *out;
	int ret;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	ret = conf_parse(text, size, cmd, &c, &line, why);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret) {
		FUZZ_CHECK(why[0]);
		FUZZ_CHECK(line <= lines);
		FUZZ_CHECK(!c.n && !c.set);
		free(text);
		return;
	}
	cap = 32;
	for (i = 0; i < c.n; i++) {
		const struct conf_setting *s = &c.set[i];

		FUZZ_CHECK(is_known(s->name));
		FUZZ_CHECK(s->line > prev && s->line <= lines);
		prev = s->line;
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(c.set[j].name, s->name));
		if (s->value) {
			size_t n = strlen(s->value);

			FUZZ_CHECK(n > 0 && n <= CONF_LINE_MAX);
			FUZZ_CHECK(s->value[0] != ' ' && s->value[0] != '\t');
			FUZZ_CHECK(s->value[n - 1] != ' ' && s->value[n - 1] != '\t');
			for (j = 0; j < n; j++)
				FUZZ_CHECK((unsigned char)s->value[j] >= 0x20 &&
					   s->value[j] != 0x7f);
			cap += strlen(s->name) + n + 8;
		} else {
			cap += strlen(s->name) + 8;
		}
	}
	out = malloc(cap);
	FUZZ_CHECK(out);
	len = (size_t)snprintf(out, cap, "[%s]\n",
			       cmd == CONF_SERVE ? "serve" : "migrate");
	for (i = 0; i < c.n; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s = %s\n",
					c.set[i].name,
					c.set[i].value ? c.set[i].value : "yes");
	FUZZ_CHECK(len < cap);
	FUZZ_CHECK(!conf_parse(out, len, cmd, &again, &line, why));
	FUZZ_CHECK(again.n == c.n);
	for (i = 0; i < c.n; i++) {
		FUZZ_CHECK(!strcmp(again.set[i].name, c.set[i].name));
		FUZZ_CHECK(!again.set[i].value == !c.set[i].value);
		FUZZ_CHECK(!c.set[i].value ||
			   !strcmp(again.set[i].value, c.set[i].value));
		FUZZ_CHECK(again.set[i].line == i + 2);
	}
	conf_free(&again);
	conf_free(&c);
	free(out);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, CONF_SERVE);
	one(data, size, CONF_MIGRATE);
	return 0;
}
