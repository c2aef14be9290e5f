// SPDX-License-Identifier: GPL-2.0
/* Password files; see pwfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "pwfile.h"

int pwfile_read(const char *path, char **buf, const char **why)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	char *b;
	int fd;

	*buf = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		*why = errno == ELOOP ? "is a symbolic link" : NULL;
		return -errno;
	}
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		*why = "is not a regular file";
		return -EINVAL;
	}
	if (st.st_mode & 077) {
		close(fd);
		*why = "is accessible by group or others (chmod 600 it)";
		return -EPERM;
	}
	if (st.st_size > PW_FILE_MAX) {
		close(fd);
		*why = "is too large for a password file";
		return -EFBIG;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, b + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	return 0;
}

void pwfile_free(char *buf)
{
	if (buf) {
		OPENSSL_cleanse(buf, strlen(buf));
		free(buf);
	}
}

int pw_first_line(const char *text, char out[PW_MAX + 1], const char **why)
{
	size_t n = strcspn(text, "\r\n");

	if (!n) {
		*why = "the first line (the password) is empty";
		return -EINVAL;
	}
	if (n > PW_MAX) {
		*why = "the password is longer than 256 bytes";
		return -EINVAL;
	}
	memcpy(out, text, n);
	out[n] = '\0';
	return 0;
}

/*
 * Compare digests, not the strings: equal time whatever the lengths and
 * wherever the first difference is.
 */
static bool same_secret(const char *a, size_t alen, const char *b)
{
	unsigned char da[32], db[32];
	unsigned int la = 0, lb = 0;
	bool same;

	if (!EVP_Digest(a, alen, da, &la, EVP_sha256(), NULL) ||
	    !EVP_Digest(b, strlen(b), db, &lb, EVP_sha256(), NULL))
		return false;
	same = la == 32 && lb == 32 && !CRYPTO_memcmp(da, db, 32);
	OPENSSL_cleanse(da, sizeof(da));
	OPENSSL_cleanse(db, sizeof(db));
	return same;
}

bool pw_check(const char *text, const char *user, const char *password)
{
	const char *line = text, *colon, *pw;
	bool ok = false;
	size_t n, ulen;

	if (!*password)
		return false;
	while (*line) {
		n = strcspn(line, "\r\n");
		colon = memchr(line, ':', n);
		pw = line;
		/* USER:PASSWORD only for that user; PASSWORD for anyone. */
		if (colon) {
			ulen = (size_t)(colon - line);
			pw = colon + 1;
			if (ulen != strlen(user) || memcmp(line, user, ulen))
				pw = NULL;
		}
		if (pw && pw < line + n && line[0] != '#')
			ok |= same_secret(pw, (size_t)(line + n - pw), password);
		line += n;
		line += strspn(line, "\r\n");
	}
	return ok;
}

int pwfile_read_check(const char *path, char **buf, const char **why)
{
	struct stat st;
	int ret = pwfile_read(path, buf, why);

	if (!ret && (stat(path, &st) ||
		     (st.st_uid != 0 && st.st_uid != geteuid()))) {
		pwfile_free(*buf);
		*buf = NULL;
		*why = "is not owned by root";
		ret = -EPERM;
	}
	return ret;
}
