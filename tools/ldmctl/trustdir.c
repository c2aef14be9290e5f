// SPDX-License-Identifier: GPL-2.0
/*
 * The trust directory in OpenSSL's hashed layout; see trustdir.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "trustdir.h"

int trust_entry_name(X509 *x, unsigned int index, char name[TRUST_NAME_MAX])
{
	/* The very hash X509_LOOKUP_hash_dir computes to find a file. */
	unsigned long h = X509_subject_name_hash(x);

	if (index >= TRUST_INDEX_MAX)
		return -EINVAL;
	snprintf(name, TRUST_NAME_MAX, "%08lx.%u", h & 0xffffffffUL, index);
	return 0;
}

bool trust_name_parse(const char *name, unsigned long *hash,
		      unsigned int *index)
{
	unsigned long h = 0;
	unsigned int i = 0;
	const char *p = name;
	int n;

	for (n = 0; n < 8; n++, p++) {
		if (*p >= '0' && *p <= '9')
			h = h * 16 + (unsigned long)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			h = h * 16 + (unsigned long)(*p - 'a' + 10);
		else
			return false;
	}
	if (*p++ != '.')
		return false;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1]))
		return false;
	for (n = 0; *p; p++, n++) {
		if (*p < '0' || *p > '9' || n >= 4)
			return false;
		i = i * 10 + (unsigned int)(*p - '0');
	}
	if (i >= TRUST_INDEX_MAX)
		return false;
	if (hash)
		*hash = h;
	if (index)
		*index = i;
	return true;
}

int trust_fingerprint(X509 *x, char fpr[TRUST_FPR_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	fpr[0] = '\0';
	if (!X509_digest(x, EVP_sha256(), md, &len) || len != 32)
		return -EINVAL;
	for (i = 0; i < len; i++)
		snprintf(fpr + 3 * i, TRUST_FPR_MAX - 3 * i, "%02X%s", md[i],
			 i + 1 < len ? ":" : "");
	return 0;
}

bool trust_fingerprint_match(const char *arg, const char *fpr)
{
	size_t digits = 0;
	const char *f = fpr;

	for (; *arg; arg++) {
		char c = *arg;

		if (c == ':')
			continue;
		if (c >= 'a' && c <= 'f')
			c = (char)(c - 'a' + 'A');
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
			return false;
		while (*f == ':')
			f++;
		if (*f != c)
			return false;
		f++;
		digits++;
	}
	return digits >= 8;
}

static void name_string(X509_NAME *n, char *buf, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	int len;

	buf[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
		len = BIO_read(b, buf, (int)size - 1);
		buf[len > 0 ? len : 0] = '\0';
	}
	BIO_free(b);
}

void trust_describe(X509 *x, struct trust_entry *e)
{
	const ASN1_TIME *na = X509_get0_notAfter(x);
	struct tm tm;

	name_string(X509_get_subject_name(x), e->subject, sizeof(e->subject));
	name_string(X509_get_issuer_name(x), e->issuer, sizeof(e->issuer));
	e->not_after[0] = '\0';
	if (na && ASN1_TIME_to_tm(na, &tm))
		strftime(e->not_after, sizeof(e->not_after),
			 "%Y-%m-%d %H:%M:%S UTC", &tm);
	e->expired = na && X509_cmp_current_time(na) < 0;
	e->self_signed = X509_check_issued(x, x) == X509_V_OK;
	trust_fingerprint(x, e->fingerprint);
}

int trust_load_pem(const char *file, STACK_OF(X509) **certs,
		   const char **why)
{
	STACK_OF(X509) *sk;
	FILE *f;
	X509 *x;

	*certs = NULL;
	f = fopen(file, "r");
	if (!f)
		return -errno;
	sk = sk_X509_new_null();
	if (!sk) {
		fclose(f);
		return -ENOMEM;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
	}
	fclose(f);
	/* The end of the file shows up as a "no start line" error. */
	ERR_clear_error();
	if (!sk_X509_num(sk)) {
		sk_X509_free(sk);
		*why = "no PEM certificate in the file";
		return -EINVAL;
	}
	*certs = sk;
	return 0;
}

static X509 *load_one(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (!f)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	return x;
}

static int path_of(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* mkdir -p with mode 0755 for what it creates. */
static int make_dirs(const char *dir)
{
	char path[4096];
	size_t len = strlen(dir), i;

	if (!len || len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		path[i] = dir[i];
	}
	return 0;
}

int trust_add(const char *dir, X509 *x, char name[TRUST_NAME_MAX],
	      bool *added, const char **why)
{
	char tmp[4096], path[4096];
	unsigned int i;
	X509 *have;
	FILE *f;
	int fd, err;

	*added = false;
	err = make_dirs(dir);
	if (err) {
		*why = "cannot create the trust directory";
		return err;
	}
	/* An identical certificate already there makes this a no-op. */
	for (i = 0; i < TRUST_INDEX_MAX; i++) {
		trust_entry_name(x, i, name);
		err = path_of(path, sizeof(path), dir, name);
		if (err)
			return err;
		if (access(path, F_OK))
			break;
		have = load_one(path);
		if (have && !X509_cmp(have, x)) {
			X509_free(have);
			return 0;
		}
		X509_free(have);
	}

	err = path_of(tmp, sizeof(tmp), dir, ".ldmctl-trust.XXXXXX");
	if (err)
		return err;
	fd = mkstemp(tmp);
	if (fd < 0) {
		*why = "cannot write in the trust directory";
		return -errno;
	}
	/* Certificates are public: readable by all, like /etc/ssl/certs. */
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out_unlink;
	}
	if (!PEM_write_X509(f, x) || fflush(f) || fsync(fileno(f))) {
		err = -EIO;
		*why = "cannot write the certificate";
		fclose(f);
		goto out_unlink;
	}
	if (fclose(f)) {
		err = -errno;
		goto out_unlink;
	}
	/* link() fails if another ldmctl took the name first: next one. */
	for (; i < TRUST_INDEX_MAX; i++) {
		trust_entry_name(x, i, name);
		err = path_of(path, sizeof(path), dir, name);
		if (err)
			goto out_unlink;
		if (!link(tmp, path)) {
			*added = true;
			err = 0;
			goto out_unlink;
		}
		if (errno != EEXIST) {
			err = -errno;
			goto out_unlink;
		}
	}
	*why = "too many certificates share this subject hash";
	err = -ENOSPC;
out_unlink:
	unlink(tmp);
	return err;
}

static int by_name(const void *a, const void *b)
{
	const struct trust_entry *x = a, *y = b;
	unsigned long hx, hy;
	unsigned int ix, iy;

	trust_name_parse(x->name, &hx, &ix);
	trust_name_parse(y->name, &hy, &iy);
	if (hx != hy)
		return hx < hy ? -1 : 1;
	return ix < iy ? -1 : ix > iy;
}

int trust_list(const char *dir, struct trust_entry **list, size_t *count,
	       const char **why)
{
	struct trust_entry *v = NULL, *e;
	size_t n = 0, cap = 0;
	char path[4096];
	struct dirent *d;
	DIR *dp;
	X509 *x;

	*list = NULL;
	*count = 0;
	dp = opendir(dir);
	if (!dp) {
		*why = "cannot open the trust directory";
		return -errno;
	}
	while ((d = readdir(dp))) {
		if (!trust_name_parse(d->d_name, NULL, NULL))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			e = realloc(v, cap * sizeof(*v));
			if (!e) {
				closedir(dp);
				free(v);
				return -ENOMEM;
			}
			v = e;
		}
		e = &v[n++];
		memset(e, 0, sizeof(*e));
		/* trust_name_parse() bounded the length. */
		memcpy(e->name, d->d_name, strlen(d->d_name) + 1);
		x = path_of(path, sizeof(path), dir, d->d_name) ? NULL :
		    load_one(path);
		if (!x) {
			snprintf(e->subject, sizeof(e->subject), "(unreadable)");
			continue;
		}
		trust_describe(x, e);
		X509_free(x);
	}
	closedir(dp);
	if (n)
		qsort(v, n, sizeof(*v), by_name);
	*list = v;
	*count = n;
	return 0;
}

int trust_remove(const char *dir, const char *name, const char **why)
{
	char path[4096], last[4096], lname[TRUST_NAME_MAX];
	unsigned int index, i, top;
	unsigned long hash;
	int err;

	if (!trust_name_parse(name, &hash, &index)) {
		*why = "not a trust directory entry name (HASH.N)";
		return -EINVAL;
	}
	err = path_of(path, sizeof(path), dir, name);
	if (err)
		return err;
	if (unlink(path)) {
		*why = errno == ENOENT ? "no such entry in the trust directory" :
		       "cannot remove the entry";
		return -errno;
	}
	/* OpenSSL stops at the first gap: move the last entry into it. */
	top = index;
	for (i = index + 1; i < TRUST_INDEX_MAX; i++) {
		snprintf(lname, sizeof(lname), "%08lx.%u", hash, i);
		if (path_of(last, sizeof(last), dir, lname) ||
		    access(last, F_OK))
			break;
		top = i;
	}
	if (top == index)
		return 0;
	snprintf(lname, sizeof(lname), "%08lx.%u", hash, top);
	err = path_of(last, sizeof(last), dir, lname);
	if (!err && rename(last, path)) {
		*why = "removed, but cannot renumber the entries after it";
		err = -errno;
	}
	return err;
}
