// SPDX-License-Identifier: GPL-2.0
/*
 * Native unit tests of ldm.conf (conf.c): the parser, its refusals with
 * the line at fault, the file's checks (owner, mode, kind, size), and the
 * options it puts in front of serve's and migrate's command lines, which
 * win over it.
 *
 * Output is TAP, one test point per function in tests[].
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "ldmctl.h"

#include "check.h"

static char tmpdir[64];

/* A file of @text in tmpdir, mode @mode; its path (static buffer). */
static const char *file_of(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode)) {
		perror(path);
		exit(2);
	}
	close(fd);
	return path;
}

static int parse(const char *text, enum conf_cmd cmd, struct conf *c,
		 unsigned int *line, char *why)
{
	return conf_parse(text, strlen(text), cmd, c, line, why);
}

/* "--NAME=VALUE" or "--NAME" of setting @i. */
static const char *setting(const struct conf *c, size_t i)
{
	static char buf[512];

	if (i >= c->n)
		return "(none)";
	if (c->set[i].value)
		snprintf(buf, sizeof(buf), "--%s=%s", c->set[i].name,
			 c->set[i].value);
	else
		snprintf(buf, sizeof(buf), "--%s", c->set[i].name);
	return buf;
}

static const char sample[] =
	"# ldm.conf\n"
	"\n"
	"cert = /etc/ldm/host.crt\n"
	"  key=/etc/ldm/host.key   \n"
	"fips = no\n"
	"timeout = 20\r\n"
	"[serve]\n"
	"\t# indented comment\n"
	"listen = 192.0.2.1:9000\n"
	"password-file = /etc/ldm/passwords\n"
	"qmp-dir = /run/ldm/qmp\n"
	"on-receive = /usr/local/bin/start-qemu \"$LDM_DOMAIN\" # not a comment\n"
	"workers = 3600\n"
	"handshake-timeout = 5\n"
	"max-startups = 4\n"
	"max-startups-per-addr = 2\n"
	"max-migrations = 1\n"
	"timeout = 40\n"
	"[migrate]\n"
	"password-file = /root/pw\n"
	"workers = 2\n"
	"streams = 4\n"
	"downtime-limit = 150\n"
	"max-rounds = 999\n"
	"bandwidth = 100M\n"
	"compress = lz4\n"
	"port = 8102\n"
	"verify = yes\n"
	"reconnect = 0\n"
	"fips = yes";	/* no newline at the end */

static void test_parse_serve(void)
{
	static const char *const want[] = {
		"--cert=/etc/ldm/host.crt", "--key=/etc/ldm/host.key",
		"--listen=192.0.2.1:9000", "--password-file=/etc/ldm/passwords",
		"--qmp-dir=/run/ldm/qmp",
		"--on-receive=/usr/local/bin/start-qemu \"$LDM_DOMAIN\" # not a comment",
		"--workers=3600", "--handshake-timeout=5", "--max-startups=4",
		"--max-startups-per-addr=2", "--max-migrations=1",
		"--timeout=40",
	};
	char why[CONF_WHY_MAX];
	unsigned int line = 99;
	struct conf c;
	size_t i;

	CHECK_INT(parse(sample, CONF_SERVE, &c, &line, why), 0);
	CHECK_INT(line, 0);
	CHECK_INT(c.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR(setting(&c, i), want[i]);
	CHECK_INT(c.set[0].line, 3);
	CHECK_INT(c.set[c.n - 1].line, 18);
	conf_free(&c);
}

static void test_parse_migrate(void)
{
	static const char *const want[] = {
		"--cert=/etc/ldm/host.crt", "--key=/etc/ldm/host.key",
		"--timeout=20", "--password-file=/root/pw", "--workers=2",
		"--streams=4", "--downtime-limit=150", "--max-rounds=999",
		"--bandwidth=100M", "--compress=lz4", "--port=8102",
		"--verify", "--reconnect=0", "--fips",
	};
	char why[CONF_WHY_MAX];
	unsigned int line;
	struct conf c;
	size_t i;

	CHECK_INT(parse(sample, CONF_MIGRATE, &c, &line, why), 0);
	CHECK_INT(c.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR(setting(&c, i), want[i]);
	conf_free(&c);
}

/* A section's setting replaces the one before the sections; "no" too. */
static void test_section_replaces_top(void)
{
	static const char text[] =
		"trust-dir = /a\nfips = yes\n[serve]\ntrust-dir = /b\nfips = no\n";
	char why[CONF_WHY_MAX];
	unsigned int line;
	struct conf c;

	CHECK_INT(parse(text, CONF_SERVE, &c, &line, why), 0);
	CHECK_INT(c.n, 1);
	CHECK_STR(setting(&c, 0), "--trust-dir=/b");
	conf_free(&c);
	CHECK_INT(parse(text, CONF_MIGRATE, &c, &line, why), 0);
	CHECK_INT(c.n, 2);
	CHECK_STR(setting(&c, 0), "--trust-dir=/a");
	CHECK_STR(setting(&c, 1), "--fips");
	conf_free(&c);
}

static void test_empty_and_comments(void)
{
	char why[CONF_WHY_MAX];
	unsigned int line;
	struct conf c;

	CHECK_INT(parse("", CONF_SERVE, &c, &line, why), 0);
	CHECK_INT(c.n, 0);
	conf_free(&c);
	CHECK_INT(parse("# all\n   # commented\n\n[serve]\n# out\n[migrate]\n",
			CONF_MIGRATE, &c, &line, why), 0);
	CHECK_INT(c.n, 0);
	conf_free(&c);
}

/* Every refusal names its line and what is wrong, whichever command. */
static void test_refusals(void)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *why;
	} bad[] = {
		{ "cert = /a\nbogus = 1\n", 2, "unknown setting 'bogus'" },
		{ "listen = :1\n", 1, "'listen' belongs in a section: [serve] or [migrate]" },
		{ "[migrate]\nlisten = :1\n", 2, "'listen' is not a setting of [migrate]" },
		{ "[serve]\nstreams = 2\n", 2, "'streams' is not a setting of [serve]" },
		{ "[server]\n", 1, "unknown section '[server]': [serve] or [migrate]" },
		{ "[serve\n", 1, "a section is [serve] or [migrate], on a line of its own" },
		{ "cert /a\n", 1, "expected NAME = VALUE, a [section] or a # comment" },
		{ "= /a\n", 1, "expected NAME = VALUE, a [section] or a # comment" },
		{ "Cert = /a\n", 1, "expected NAME = VALUE, a [section] or a # comment" },
		{ "--cert = /a\n", 1, "unknown setting '--cert'" },
		{ "cert =\n", 1, "'cert' has no value" },
		{ "cert = etc/ldm/x.crt\n", 1, "'cert' must be an absolute path" },
		{ "\n[serve]\nworkers = 1\n\nworkers = 2\n", 5, "'workers' is already set on line 3" },
		{ "[serve]\nworkers = 0\n", 2, "'workers' must be a number from 1 to 3600" },
		{ "[serve]\nworkers = 3601\n", 2, "'workers' must be a number from 1 to 3600" },
		{ "[migrate]\nworkers = 1025\n", 2, "'workers' must be a number from 1 to 1024" },
		{ "[migrate]\nstreams = 17\n", 2, "'streams' must be a number from 1 to 16" },
		{ "[migrate]\nstreams = -1\n", 2, "'streams' must be a number from 1 to 16" },
		{ "[migrate]\nstreams = 4 # four\n", 2, "'streams' must be a number from 1 to 16" },
		{ "[migrate]\nstreams = 99999999999999999999\n", 2, "'streams' must be a number from 1 to 16" },
		{ "[migrate]\ndowntime-limit = 3600001\n", 2, "'downtime-limit' must be a number from 1 to 3600000" },
		{ "[migrate]\ncompress = zstd\n", 2, "'compress' must be auto, lzjb, lz4 or none" },
		{ "[migrate]\nport = 65536\n", 2, "'port' must be a number from 1 to 65535" },
		{ "[migrate]\nbandwidth = 0\n", 2, "invalid 'bandwidth': " },
		{ "[migrate]\nverify = true\n", 2, "'verify' must be yes or no" },
		{ "[serve]\nlisten = 1.2.3.4:99999\n", 2, "invalid 'listen': " },
		{ "[serve]\non-receive = a\033b\n", 2, "'on-receive' has a control character in its value" },
		{ "cert = /a\n[serve]\nhandshake-timeout = 601\n", 3, "'handshake-timeout' must be a number from 1 to 600" },
	};
	char why[CONF_WHY_MAX];
	unsigned int line;
	struct conf c;
	size_t i;
	int cmd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (cmd = CONF_SERVE; cmd <= CONF_MIGRATE; cmd++) {
			CHECK_INT(parse(bad[i].text, (enum conf_cmd)cmd, &c,
					&line, why), -EINVAL);
			CHECK_INT(line, bad[i].line);
			if (strncmp(why, bad[i].why, strlen(bad[i].why)))
				printf("# \"%s\": got \"%s\", want \"%s\"\n",
				       bad[i].text, why, bad[i].why);
			CHECK(!strncmp(why, bad[i].why, strlen(bad[i].why)));
			CHECK_INT(c.n, 0);
			CHECK(!c.set);
		}
	}
}

static void test_nul_and_long_lines(void)
{
	char text[CONF_LINE_MAX + 64], why[CONF_WHY_MAX];
	unsigned int line;
	struct conf c;
	char *big;

	CHECK_INT(conf_parse("cert = /a\n# x\0y\n", 16, CONF_SERVE, &c, &line,
			     why), -EINVAL);
	CHECK_INT(line, 2);
	CHECK_STR(why, "a NUL byte");
	snprintf(text, sizeof(text), "\n\ncert = /%0*d\n", CONF_LINE_MAX, 0);
	CHECK_INT(parse(text, CONF_SERVE, &c, &line, why), -EINVAL);
	CHECK_INT(line, 3);
	CHECK_STR(why, "longer than 1024 bytes");
	big = calloc(1, CONF_FILE_MAX + 2);
	if (!big)
		exit(2);
	memset(big, '\n', CONF_FILE_MAX + 1);
	CHECK_INT(conf_parse(big, CONF_FILE_MAX + 1, CONF_SERVE, &c, &line,
			     why), -EINVAL);
	CHECK_INT(line, 0);
	CHECK_STR(why, "longer than 65536 bytes");
	CHECK_INT(conf_parse(big, CONF_FILE_MAX, CONF_SERVE, &c, &line, why), 0);
	conf_free(&c);
	free(big);
}

static void test_read_checks_the_file(void)
{
	char why[CONF_WHY_MAX], dir[128];
	unsigned int line;
	struct conf c;
	const char *p;

	p = file_of("ok.conf", "[serve]\nworkers = 2\n", 0644);
	CHECK_INT(conf_read(p, CONF_SERVE, &c, &line, why), 0);
	CHECK_INT(c.n, 1);
	CHECK_STR(setting(&c, 0), "--workers=2");
	conf_free(&c);
	p = file_of("gw.conf", "[serve]\nworkers = 2\n", 0664);
	CHECK_INT(conf_read(p, CONF_SERVE, &c, &line, why), -EINVAL);
	CHECK_STR(why, "writable by group or others (it names commands serve runs)");
	p = file_of("ow.conf", "", 0602);
	CHECK_INT(conf_read(p, CONF_SERVE, &c, &line, why), -EINVAL);
	p = file_of("bad.conf", "[serve]\n\nworkers = x\n", 0600);
	CHECK_INT(conf_read(p, CONF_SERVE, &c, &line, why), -EINVAL);
	CHECK_INT(line, 3);
	snprintf(dir, sizeof(dir), "%s/missing.conf", tmpdir);
	CHECK_INT(conf_read(dir, CONF_SERVE, &c, &line, why), -ENOENT);
	CHECK_INT(conf_read(tmpdir, CONF_SERVE, &c, &line, why), -EINVAL);
	CHECK_STR(why, "not a regular file");
}

/* conf_args() and a command after it, messages captured. */
struct ran {
	int code;
	char err[2048];
};

static struct ran run(const char *const *args)
{
	const struct subcommand *cmd;
	struct ldmctl_opts opts = { 0 };
	struct ran r = { 0 };
	char *argv[32], *buf = NULL;
	size_t len = 0;
	int argc = 0;

	while (argc < 31 && args[argc]) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	cmd = subcommand_find(argv[0]);
	report_file = open_memstream(&buf, &len);
	r.code = cmd->run(cmd, argc, argv, &opts);
	fclose(report_file);
	report_file = NULL;
	snprintf(r.err, sizeof(r.err), "%s", buf ? buf : "");
	free(buf);
	return r;
}

static void test_args_order_and_removal(void)
{
	static const char *const cmdline[] = {
		"serve", "--cert", "/cl.crt", "--config", NULL, "-p", "/pw",
		"--", "--config", NULL
	};
	const struct subcommand *serve = subcommand_find("serve");
	char *argv[16], path[128];
	struct conf_args a;
	int i, n = 9;

	snprintf(path, sizeof(path), "%s", file_of("args.conf",
		 "cert = /file.crt\n[serve]\nfips = yes\nworkers = 3\n", 0600));
	for (i = 0; i < n; i++)
		argv[i] = (char *)(cmdline[i] ? cmdline[i] : path);
	argv[n] = NULL;
	CHECK_INT(conf_args(serve, CONF_SERVE, n, argv, &a), -1);
	CHECK_INT(a.argc, 10);
	if (a.argc == 10) {
		CHECK_STR(a.argv[0], "serve");
		CHECK_STR(a.argv[1], "--cert=/file.crt");
		CHECK_STR(a.argv[2], "--fips");
		CHECK_STR(a.argv[3], "--workers=3");
		CHECK_STR(a.argv[4], "--cert");
		CHECK_STR(a.argv[5], "/cl.crt");
		CHECK_STR(a.argv[6], "-p");
		CHECK_STR(a.argv[7], "/pw");
		CHECK_STR(a.argv[8], "--");
		CHECK_STR(a.argv[9], "--config");	/* after "--": an argument */
		CHECK(!a.argv[10]);
	}
	conf_args_free(&a);
}

/* The file's options reach the command, and the command line's win. */
static void test_serve_takes_file_command_line_wins(void)
{
	char opt[160], path[128];
	const char *args[8] = { "serve", opt, NULL };
	struct ran r;

	snprintf(path, sizeof(path), "%s", file_of("serve.conf",
		 "# both\ncert = /nonexistent/file.crt\n[serve]\nmax-startups = 4\n",
		 0600));
	snprintf(opt, sizeof(opt), "--config=%s", path);
	r = run(args);
	CHECK_INT(r.code, LDMCTL_EXIT_FAIL);
	CHECK(strstr(r.err, "/nonexistent/file.crt"));
	args[2] = "--cert";
	args[3] = "/nonexistent/cmdline.crt";
	r = run(args);
	CHECK_INT(r.code, LDMCTL_EXIT_FAIL);
	CHECK(strstr(r.err, "/nonexistent/cmdline.crt"));
	CHECK(!strstr(r.err, "/nonexistent/file.crt"));
	/* The file's max-startups 4 lowers the default share (8) too. */
	args[2] = "--max-startups-per-addr";
	args[3] = "5";
	r = run(args);
	CHECK_INT(r.code, LDMCTL_EXIT_USAGE);
	CHECK(strstr(r.err, "--max-startups-per-addr 5 exceeds --max-startups 4"));
}

static void test_bad_file_stops_the_command(void)
{
	char opt[160], want[200];
	const char *args[4] = { "serve", "--config", NULL, NULL };
	const char *p;
	struct ran r;

	p = file_of("bad2.conf", "[serve]\nlisten = :8101\n[migrate]\nstreams = 0\n",
		    0600);
	snprintf(opt, sizeof(opt), "%s", p);
	args[2] = opt;
	r = run(args);
	CHECK_INT(r.code, LDMCTL_EXIT_USAGE);
	snprintf(want, sizeof(want),
		 "ldmctl: serve: %s:4: 'streams' must be a number from 1 to 16\n", p);
	CHECK_STR(r.err, want);
	args[0] = "migrate";
	r = run(args);
	CHECK_INT(r.code, LDMCTL_EXIT_USAGE);
	snprintf(want, sizeof(want),
		 "ldmctl: migrate: %s:4: 'streams' must be a number from 1 to 16\n", p);
	CHECK_STR(r.err, want);
	/* Named and missing: an error; -h: the help, no file read. */
	snprintf(opt, sizeof(opt), "%s/none.conf", tmpdir);
	args[0] = "serve";
	r = run(args);
	CHECK_INT(r.code, LDMCTL_EXIT_USAGE);
	snprintf(want, sizeof(want),
		 "ldmctl: serve: %s/none.conf: No such file or directory\n", tmpdir);
	CHECK_STR(r.err, want);
	args[3] = "-h";
	args[1] = "--config";
	{
		const char *h[] = { "serve", "--config", opt, "-h", NULL };
		int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);

		fflush(stdout);
		dup2(null, STDOUT_FILENO);
		r = run(h);
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
		close(null);
		CHECK_INT(r.code, LDMCTL_EXIT_OK);
		CHECK_STR(r.err, "");
	}
	args[1] = "--config";
	args[2] = NULL;
	r = run(args);
	CHECK_INT(r.code, LDMCTL_EXIT_USAGE);
	CHECK(!strncmp(r.err, "ldmctl: serve: --config needs a file\n", 37));
	args[1] = "--config=";
	r = run(args);
	CHECK_INT(r.code, LDMCTL_EXIT_USAGE);
	CHECK(!strncmp(r.err, "ldmctl: serve: --config needs a file\n", 37));
}

static const struct unit_test tests[] = {
	T(test_parse_serve),
	T(test_parse_migrate),
	T(test_section_replaces_top),
	T(test_empty_and_comments),
	T(test_refusals),
	T(test_nul_and_long_lines),
	T(test_read_checks_the_file),
	T(test_args_order_and_removal),
	T(test_serve_takes_file_command_line_wins),
	T(test_bad_file_stops_the_command),
};

int main(void)
{
	char cmd[96];
	int ret;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ldmctl-conf.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	ret = run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		ret = 2;
	return ret;
}
