// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: password files (pwfile.c), pwfile_read(),
 * pw_first_line() and pw_check().
 *
 * Why: 'migrate -p FILE' sends the first line of FILE as the password and
 * 'serve -p FILE' checks every HELLO's user and password against the
 * lines of FILE; the password and user in HELLO come from the other host.
 * The file is read whole, with a size limit and a permission check.
 *
 * The input's first byte picks how the file is presented (modes 0600,
 * 0400, 0640, 0606, or a symbolic link to it); the rest is the file,
 * written to a private temporary directory. Invariants: pwfile_read()
 * refuses group/other access (-EPERM) and links (-ELOOP) and otherwise
 * returns the file's bytes exactly, NUL-terminated; pw_first_line()
 * returns the bytes before the first line end, 1 to PW_MAX of them, or
 * -EINVAL with a reason; pw_check() agrees with a plain reading of the
 * file (a line PASSWORD for anyone, USER:PASSWORD for that user, '#'
 * lines and empty passwords never match) for passwords and users taken
 * from the file's own lines and for ones that are not in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pwfile.h"
#include "fuzz.h"

static char dir[] = "/tmp/ldmctl-fuzz-pw.XXXXXX";
static char file[64], link_path[64];

static void cleanup(void)
{
	unlink(link_path);
	unlink(file);
	rmdir(dir);
}

static void setup(void)
{
	FUZZ_CHECK(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/pw", dir);
	snprintf(link_path, sizeof(link_path), "%s/link", dir);
	FUZZ_CHECK(!symlink("pw", link_path));
	atexit(cleanup);
}

/* pw_check() as pwfile.h words it. */
static bool oracle(const char *text, const char *user, const char *pw)
{
	const char *line = text;

	if (!*pw)
		return false;
	while (*line) {
		size_t n = strcspn(line, "\r\n");
		const char *colon = memchr(line, ':', n), *cand = line;
		size_t clen = n;

		if (colon) {
			size_t ulen = (size_t)(colon - line);

			if (ulen != strlen(user) || memcmp(line, user, ulen))
				cand = NULL;
			else {
				cand = colon + 1;
				clen = n - ulen - 1;
			}
		}
		if (n && line[0] != '#' && cand && clen &&
		    clen == strlen(pw) && !memcmp(cand, pw, clen))
			return true;
		line += n;
		line += strspn(line, "\r\n");
	}
	return false;
}

static void check(const char *text, const char *user, const char *pw)
{
	FUZZ_CHECK(pw_check(text, user, pw) == oracle(text, user, pw));
}

/* Users and passwords from the first lines of @text, and a few others. */
static void check_lines(const char *text)
{
	const char *line = text;
	char user[PW_MAX + 1], pw[PW_MAX + 1];
	int k;

	check(text, "", "not-in-the-file");
	check(text, "", "");
	for (k = 0; k < 4 && *line; k++) {
		size_t n = strcspn(line, "\r\n"), c;

		if (n <= PW_MAX) {
			memcpy(pw, line, n);
			pw[n] = '\0';
			check(text, "", pw);
			check(text, "nobody-else", pw);
			c = strcspn(pw, ":");
			if (pw[c] == ':') {
				memcpy(user, pw, c);
				user[c] = '\0';
				check(text, user, pw + c + 1);
				check(text, "", pw + c + 1);
				if (c)
					check(text, user + 1, pw + c + 1);
			}
		}
		line += n;
		line += strspn(line, "\r\n");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const mode_t modes[] = { 0600, 0400, 0640, 0606 };
	char out[PW_MAX + 1], *buf = NULL;
	const char *why = NULL, *path = file;
	unsigned int how;
	size_t off = 0, n;
	int fd, r;

	if (!size)
		return 0;
	if (!file[0])
		setup();
	how = data[0] % 5;
	data++;
	size--;

	unlink(file);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);

		FUZZ_CHECK(w > 0);
		off += (size_t)w;
	}
	FUZZ_CHECK(!fchmod(fd, how < 4 ? modes[how] : 0600));
	close(fd);
	if (how == 4)
		path = link_path;

	r = pwfile_read(path, &buf, &why);
	if (how == 4) {
		FUZZ_CHECK(r == -ELOOP && !buf && why);
		return 0;
	}
	if (modes[how] & 077) {
		FUZZ_CHECK(r == -EPERM && !buf && why);
		return 0;
	}
	if (size > PW_FILE_MAX) {
		FUZZ_CHECK(r == -EFBIG && !buf);
		return 0;
	}
	FUZZ_CHECK(r == 0 && buf);
	FUZZ_CHECK(!memcmp(buf, data, size) && buf[size] == '\0');

	/* What the parsers see: the file up to a NUL, if it has one. */
	n = strcspn(buf, "\r\n");
	memset(out, 'x', sizeof(out));
	r = pw_first_line(buf, out, &why);
	if (n >= 1 && n <= PW_MAX)
		FUZZ_CHECK(r == 0 && strlen(out) == n && !memcmp(out, buf, n));
	else
		FUZZ_CHECK(r == -EINVAL && why && *why);
	check_lines(buf);
	pwfile_free(buf);
	return 0;
}
