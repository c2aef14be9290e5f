/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The trust directory: the certificates of the peers (or of the CAs that
 * sign them) that 'ldmctl serve' and 'ldmctl migrate' accept, in the
 * hashed layout OpenSSL's X509_LOOKUP_hash_dir reads (SSL_CTX_load_verify_dir):
 * each certificate is a PEM file named HASH.N, where HASH is
 * X509_subject_name_hash() of its subject as 8 lower-case hex digits and N
 * counts 0, 1, 2... among certificates whose subjects share a hash.
 * OpenSSL stops at the first missing N, so removing an entry moves the
 * last one of its hash into the gap.
 *
 * Functions return 0 or a negative errno; when the reason is not an errno
 * (a file that holds no certificate, an OpenSSL failure) @why gets it.
 */
#ifndef LDMCTL_TRUSTDIR_H
#define LDMCTL_TRUSTDIR_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

/* "1a2b3c4d.12" and the NUL. */
#define TRUST_NAME_MAX		24
/* SHA-256 as 32 hex pairs separated by colons, and the NUL. */
#define TRUST_FPR_MAX		(32 * 3)
/* Certificates whose subjects share one hash: far more than ever seen. */
#define TRUST_INDEX_MAX		1000

struct trust_entry {
	char name[TRUST_NAME_MAX];	/* HASH.N */
	char subject[256];		/* RFC 2253, truncated */
	char issuer[256];
	char not_after[32];		/* "2026-01-31 12:00:00 UTC" */
	char fingerprint[TRUST_FPR_MAX]; /* SHA-256, "AB:CD:..." */
	bool expired;
	bool self_signed;
};

/*
 * trust_entry_name() - the file name of a certificate's entry @index:
 * "%08lx.%u" of X509_subject_name_hash().
 * Return: 0, or -EINVAL if @index is out of range.
 */
int trust_entry_name(X509 *x, unsigned int index, char name[TRUST_NAME_MAX]);

/*
 * trust_name_parse() - recognise an entry name: exactly 8 lower-case hex
 * digits, a dot, and a decimal index below TRUST_INDEX_MAX without leading
 * zeros. Anything else in the directory (CRLs "HASH.rN", editor backups,
 * README) is not an entry.
 * Return: true for an entry name.
 */
bool trust_name_parse(const char *name, unsigned long *hash,
		      unsigned int *index);

/* trust_fingerprint() - SHA-256 of the DER certificate, "AB:CD:...". */
int trust_fingerprint(X509 *x, char fpr[TRUST_FPR_MAX]);

/*
 * trust_fingerprint_match() - does @arg name the fingerprint @fpr? @arg is
 * hex, with or without colons, either case, at least 8 digits: a prefix.
 */
bool trust_fingerprint_match(const char *arg, const char *fpr);

/* trust_describe() - fill @e (but not @e->name) from @x. */
void trust_describe(X509 *x, struct trust_entry *e);

/*
 * trust_load_pem() - every certificate of a PEM file
 * @certs: out: a stack to free with sk_X509_pop_free(.., X509_free)
 * Return: 0; -errno if the file cannot be read; -EINVAL if it holds no
 * certificate (@why says so).
 */
int trust_load_pem(const char *file, STACK_OF(X509) **certs,
		   const char **why);

/*
 * trust_add() - add one certificate, unless an identical one is there
 * @name: out: its entry
 * @added: out: false if it was already trusted (then @name is that entry)
 * The directory is created (mode 0755) if it does not exist. The entry is
 * written to a temporary file first and linked into place, so a reader
 * never sees half a certificate.
 */
int trust_add(const char *dir, X509 *x, char name[TRUST_NAME_MAX],
	      bool *added, const char **why);

/*
 * trust_list() - every entry, sorted by name
 * @list: out: malloc'd array (free() it), NULL if empty
 * An entry that does not parse is listed with subject "(unreadable)".
 */
int trust_list(const char *dir, struct trust_entry **list, size_t *count,
	       const char **why);

/*
 * trust_remove() - remove the entry @name and close the gap it leaves.
 * Return: 0, -ENOENT if there is no such entry.
 */
int trust_remove(const char *dir, const char *name, const char **why);

#endif /* LDMCTL_TRUSTDIR_H */
