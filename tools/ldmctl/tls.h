/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TLS 1.3 for the control connection of a migration (OpenSSL 3): mutual
 * X.509 authentication against the trust directory, the password mode
 * in which only the target shows a certificate, FIPS mode, and the keys
 * derived from the session with the TLS exporter.
 */
#ifndef LDMCTL_TLS_H
#define LDMCTL_TLS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define TLS_WHY_MAX	512

struct tls_config {
	const char *cert;	/* PEM certificate (chain); NULL: show none */
	const char *key;	/* PEM private key */
	const char *trust_dir;	/* hashed directory of trusted certificates */
	bool server;
	bool cert_optional;	/* server: a client may show no certificate */
};

/*
 * tls_fips_enable() - load OpenSSL's "fips" provider and make "fips=yes"
 * the default property query, so that only approved algorithms are
 * fetched from then on. Never falls back: if the provider cannot be
 * loaded, this fails and says what is missing.
 * Return: 0, or -ENOENT / -EIO with @why.
 */
int tls_fips_enable(char why[TLS_WHY_MAX]);

/*
 * tls_kernel_fips() - whether the kernel runs in FIPS mode
 * (/proc/sys/crypto/fips_enabled), which the module's gcm(aes) needs.
 */
bool tls_kernel_fips(void);

/*
 * tls_ctx_new() - a TLS 1.3-only context with the certificate, key and
 * trust directory of @c loaded and checked.
 * Return: the context, or NULL with @why naming the file and the reason.
 */
SSL_CTX *tls_ctx_new(const struct tls_config *c, char why[TLS_WHY_MAX]);

enum tls_refusal {
	TLS_NOT_REFUSED,	/* a network or TLS failure */
	TLS_WE_REFUSED,		/* this host refused the peer's certificate */
	TLS_PEER_REFUSED,	/* the peer refused this host (an alert) */
};

/*
 * tls_handshake() - run the handshake on the connected socket @fd (made
 * non-blocking here) within @timeout_ms. A client checks that the target's
 * certificate names @host (DNS name or IP address). A signal that sets
 * *@stop (a cancel; may be NULL) ends the wait: NULL, @why "cancelled".
 * Return: the connection, or NULL with @refused saying who refused whom
 * and @why the reason ("certificate has expired (certificate /CN=x)",
 * "TLS alert \"unknown CA\"", "TLS handshake timed out after 30 s").
 */
SSL *tls_handshake(SSL_CTX *ctx, int fd, const char *host, int timeout_ms,
		   const volatile sig_atomic_t *stop, char why[TLS_WHY_MAX],
		   enum tls_refusal *refused);

/*
 * tls_peer_alert() - the description of the last TLS alert the peer sent
 * on @ssl ("certificate expired"), or NULL. A TLS 1.3 client learns that
 * the server refused its certificate only after its own handshake
 * finished, from an alert on the first read.
 */
const char *tls_peer_alert(const SSL *ssl);

/* The subject of the peer's certificate (RFC 2253), or "(none)". */
void tls_peer_subject(SSL *ssl, char *buf, size_t size);

/*
 * tls_export() - @n bytes from the TLS exporter (RFC 8446, 7.5) with
 * @label and no context. Distinct labels give independent keys.
 * Return: 0 or -EIO.
 */
int tls_export(SSL *ssl, const char *label, uint8_t *out, size_t n);

/* Labels of the exported secrets: one per use. */
#define TLS_LABEL_BATCH_KEY	"EXPORTER-ldm-batch-key"
#define TLS_LABEL_BATCH_SALT	"EXPORTER-ldm-batch-salt"
#define TLS_LABEL_STREAM_TOKEN	"EXPORTER-ldm-stream-token"
#define TLS_LABEL_RESUME_TICKET	"EXPORTER-ldm-resume-ticket"

/* The OpenSSL error queue as one line, then cleared. */
void tls_errors(char *buf, size_t size);

#endif /* LDMCTL_TLS_H */
