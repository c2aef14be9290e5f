// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: what trustdir.c reads, trust_name_parse() (the
 * names of files in the trust directory), trust_fingerprint_match() (the
 * fingerprint argument of 'ldmctl trust remove') and trust_load_pem() with
 * trust_describe() ('ldmctl trust add FILE' and 'trust list').
 *
 * Why: the trust directory and a certificate file to add may hold
 * anything; a file name that is taken for an entry is renamed and
 * removed, and what a certificate says is copied into fixed arrays and
 * printed.
 *
 * The first byte picks the mode. 0: the rest is a file name; accepted
 * exactly when it is 8 lower-case hex digits, a dot and an index below
 * TRUST_INDEX_MAX without leading zeros, and then it prints back as
 * itself. 1: 32 bytes are a SHA-256 (formatted "AB:CD:..."), the rest is
 * the argument; it matches exactly when its hex digits (colons ignored,
 * either case), at least 8, are a prefix of the fingerprint's. 2: the
 * rest is a PEM file (in a private temporary directory); every
 * certificate loaded is described into NUL-terminated fields, with a
 * fingerprint of 32 colon-separated hex pairs that matches itself, and an
 * entry name that trust_name_parse() accepts.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/err.h>

#include "trustdir.h"
#include "fuzz.h"

static char dir[] = "/tmp/ldmctl-fuzz-trust.XXXXXX";
static char file[64];

static void cleanup(void)
{
	unlink(file);
	rmdir(dir);
}

static bool is_hex(char c, bool upper_ok, bool lower_ok)
{
	return (c >= '0' && c <= '9') ||
	       (upper_ok && c >= 'A' && c <= 'F') ||
	       (lower_ok && c >= 'a' && c <= 'f');
}

static void fuzz_name(const char *s)
{
	unsigned long hash = 0;
	unsigned int index = 0;
	bool ok = strlen(s) >= 10, r;
	char back[TRUST_NAME_MAX + 8];
	size_t i, n = strlen(s);

	for (i = 0; ok && i < 8; i++)
		ok = is_hex(s[i], false, true);
	ok = ok && s[8] == '.' && n <= 12;
	for (i = 9; ok && i < n; i++)
		ok = is_hex(s[i], false, false);
	ok = ok && (s[9] != '0' || n == 10);
	ok = ok && strtoul(s + 9, NULL, 10) < TRUST_INDEX_MAX;
	r = trust_name_parse(s, &hash, &index);
	FUZZ_CHECK(r == ok);
	FUZZ_CHECK(trust_name_parse(s, NULL, NULL) == r);
	if (!r)
		return;
	FUZZ_CHECK(hash <= 0xffffffffUL && index < TRUST_INDEX_MAX);
	snprintf(back, sizeof(back), "%08lx.%u", hash, index);
	FUZZ_CHECK(!strcmp(back, s));
}

static void fuzz_fingerprint(const uint8_t *md, const char *arg)
{
	char fpr[TRUST_FPR_MAX], hex[65], want[65];
	size_t n = 0, i;
	bool ok = true;

	for (i = 0; i < 32; i++)
		snprintf(fpr + 3 * i, sizeof(fpr) - 3 * i, "%02X%s", md[i],
			 i < 31 ? ":" : "");
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, sizeof(hex) - 2 * i, "%02X", md[i]);
	for (i = 0; arg[i] && ok; i++) {
		char c = arg[i];

		if (c == ':')
			continue;
		if (!is_hex(c, true, true) || n >= 64) {
			ok = false;
			break;
		}
		want[n++] = c >= 'a' ? (char)(c - 'a' + 'A') : c;
	}
	ok = ok && n >= 8 && !memcmp(want, hex, n);
	FUZZ_CHECK(trust_fingerprint_match(arg, fpr) == ok);
	FUZZ_CHECK(trust_fingerprint_match(fpr, fpr));
	FUZZ_CHECK(trust_fingerprint_match(hex, fpr));
}

static void check_field(const char *s, size_t size)
{
	FUZZ_CHECK(strnlen(s, size) < size);
}

static void fuzz_pem(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *certs = NULL;
	const char *why = NULL;
	size_t off = 0;
	int fd, r, i;

	if (!file[0]) {
		FUZZ_CHECK(mkdtemp(dir));
		snprintf(file, sizeof(file), "%s/cert.pem", dir);
		atexit(cleanup);
	}
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);

		FUZZ_CHECK(w > 0);
		off += (size_t)w;
	}
	close(fd);

	r = trust_load_pem(file, &certs, &why);
	FUZZ_CHECK(r == 0 || (r == -EINVAL && why && *why) || r == -ENOMEM);
	if (r) {
		FUZZ_CHECK(!certs);
		return;
	}
	FUZZ_CHECK(sk_X509_num(certs) > 0);
	for (i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		struct trust_entry e;
		unsigned long hash;
		unsigned int index;
		size_t k;

		memset(&e, 'x', sizeof(e));
		trust_describe(x, &e);
		check_field(e.subject, sizeof(e.subject));
		check_field(e.issuer, sizeof(e.issuer));
		check_field(e.not_after, sizeof(e.not_after));
		check_field(e.fingerprint, sizeof(e.fingerprint));
		if (e.fingerprint[0]) {
			FUZZ_CHECK(strlen(e.fingerprint) == 32 * 3 - 1);
			for (k = 0; k < 32 * 3 - 1; k++)
				FUZZ_CHECK(k % 3 == 2 ? e.fingerprint[k] == ':' :
					   is_hex(e.fingerprint[k], true, false));
			FUZZ_CHECK(trust_fingerprint_match(e.fingerprint,
							   e.fingerprint));
		}
		FUZZ_CHECK(trust_entry_name(x, (unsigned int)i, e.name) == 0);
		FUZZ_CHECK(trust_name_parse(e.name, &hash, &index) &&
			   index == (unsigned int)i);
		FUZZ_CHECK(trust_entry_name(x, TRUST_INDEX_MAX, e.name) ==
			   -EINVAL);
	}
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		s = fuzz_str(data + 1, size - 1);
		fuzz_name(s);
		free(s);
		break;
	case 1:
		if (size < 33)
			return 0;
		s = fuzz_str(data + 33, size - 33);
		fuzz_fingerprint(data + 1, s);
		free(s);
		break;
	default:
		fuzz_pem(data + 1, size - 1);
	}
	return 0;
}
