// SPDX-License-Identifier: GPL-2.0
/* TLS for the migration control connection; see tls.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "tls.h"

/*
 * What the verify callback saw, for the message. A process runs one
 * handshake at a time (serve forks one child per connection).
 */
static struct {
	int err;		/* X509_V_* of the first failure, or 0 */
	int depth;
	char subject[256];
} verify_seen;

static int alert_index = -1;	/* SSL ex_data: last alert received */

void tls_errors(char *buf, size_t size)
{
	unsigned long e;
	size_t len = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) && len + 2 < size) {
		char one[256];

		ERR_error_string_n(e, one, sizeof(one));
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					len ? "; " : "", one);
	}
	ERR_clear_error();
	if (!buf[0])
		snprintf(buf, size, "unknown OpenSSL error");
}

int tls_fips_enable(char why[TLS_WHY_MAX])
{
	OSSL_PROVIDER *fips;
	char e[TLS_WHY_MAX - 200];

	fips = OSSL_PROVIDER_load(NULL, "fips");
	if (!fips) {
		tls_errors(e, sizeof(e));
		snprintf(why, TLS_WHY_MAX,
			 "OpenSSL's FIPS provider is not available: the \"fips\" provider module (fips.so in %s) is not installed or not configured (openssl fipsinstall); refusing to run without it (%s)",
			 OPENSSL_info(OPENSSL_INFO_MODULES_DIR) ?
			 OPENSSL_info(OPENSSL_INFO_MODULES_DIR) : "?", e);
		return -ENOENT;
	}
	if (!EVP_default_properties_enable_fips(NULL, 1)) {
		tls_errors(e, sizeof(e));
		snprintf(why, TLS_WHY_MAX,
			 "cannot make fips=yes the default properties: %s", e);
		return -EIO;
	}
	return 0;
}

bool tls_kernel_fips(void)
{
	FILE *f = fopen("/proc/sys/crypto/fips_enabled", "r");
	int v = 0;

	if (!f)
		return false;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v == 1;
}

static int verify_cb(int ok, X509_STORE_CTX *x)
{
	if (!ok && !verify_seen.err) {
		X509 *cert = X509_STORE_CTX_get_current_cert(x);

		verify_seen.err = X509_STORE_CTX_get_error(x);
		verify_seen.depth = X509_STORE_CTX_get_error_depth(x);
		verify_seen.subject[0] = '\0';
		if (cert)
			X509_NAME_oneline(X509_get_subject_name(cert),
					  verify_seen.subject,
					  sizeof(verify_seen.subject));
	}
	return ok;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	/*
	 * Both bits: SSL_CB_ALERT alone is also an alert we write, and
	 * taking our own "decode error" for the peer's refusal would blame
	 * the peer for what we refused.
	 */
	if ((where & SSL_CB_READ_ALERT) == SSL_CB_READ_ALERT && alert_index >= 0)
		SSL_set_ex_data((SSL *)ssl, alert_index,
				(void *)SSL_alert_desc_string_long(ret));
}

const char *tls_peer_alert(const SSL *ssl)
{
	const char *a = alert_index >= 0 ? SSL_get_ex_data(ssl, alert_index) :
			NULL;

	/* close_notify is a goodbye, not a refusal. */
	return a && strcmp(a, "close notify") ? a : NULL;
}

static int file_ok(const char *what, const char *path, bool dir,
		   char why[TLS_WHY_MAX])
{
	struct stat st;

	if (stat(path, &st)) {
		snprintf(why, TLS_WHY_MAX, "%s %s: %s", what, path,
			 strerror(errno));
		return -1;
	}
	if (dir != !!S_ISDIR(st.st_mode)) {
		snprintf(why, TLS_WHY_MAX, "%s %s: %s", what, path,
			 dir ? "not a directory" : "is a directory");
		return -1;
	}
	return 0;
}

SSL_CTX *tls_ctx_new(const struct tls_config *c, char why[TLS_WHY_MAX])
{
	char e[TLS_WHY_MAX - 160];
	X509_VERIFY_PARAM *vp;
	SSL_CTX *ctx;
	int mode;

	if (alert_index < 0)
		alert_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	ctx = SSL_CTX_new(c->server ? TLS_server_method() : TLS_client_method());
	if (!ctx) {
		tls_errors(e, sizeof(e));
		snprintf(why, TLS_WHY_MAX, "cannot set up TLS: %s", e);
		return NULL;
	}
	/* TLS 1.3 only, and no tickets: every migration a full handshake. */
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx,
				      "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256")) {
		tls_errors(e, sizeof(e));
		snprintf(why, TLS_WHY_MAX, "cannot restrict TLS to 1.3: %s", e);
		goto fail;
	}
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_info_callback(ctx, info_cb);

	if (c->cert) {
		if (file_ok("certificate", c->cert, false, why) ||
		    file_ok("private key", c->key, false, why))
			goto fail;
		if (SSL_CTX_use_certificate_chain_file(ctx, c->cert) != 1) {
			tls_errors(e, sizeof(e));
			snprintf(why, TLS_WHY_MAX,
				 "cannot load the certificate %s: %s", c->cert, e);
			goto fail;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, c->key,
						SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			tls_errors(e, sizeof(e));
			snprintf(why, TLS_WHY_MAX,
				 "cannot load the private key %s (or it does not match %s): %s",
				 c->key, c->cert, e);
			goto fail;
		}
	}
	if (file_ok("trust directory", c->trust_dir, true, why))
		goto fail;
	if (SSL_CTX_load_verify_dir(ctx, c->trust_dir) != 1) {
		tls_errors(e, sizeof(e));
		snprintf(why, TLS_WHY_MAX, "cannot use the trust directory %s: %s",
			 c->trust_dir, e);
		goto fail;
	}
	/*
	 * A peer's own certificate may be what is trusted (no CA): accept a
	 * chain that ends at any certificate of the directory.
	 */
	vp = SSL_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	mode = SSL_VERIFY_PEER;
	if (c->server && !c->cert_optional)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, verify_cb);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void tls_peer_subject(SSL *ssl, char *buf, size_t size)
{
	X509 *x = SSL_get1_peer_certificate(ssl);

	snprintf(buf, size, "(none)");
	if (x) {
		X509_NAME_oneline(X509_get_subject_name(x), buf, (int)size);
		X509_free(x);
	}
}

SSL *tls_handshake(SSL_CTX *ctx, int fd, const char *host, int timeout_ms,
		   const volatile sig_atomic_t *stop, char why[TLS_WHY_MAX],
		   enum tls_refusal *refused)
{
	long deadline = ms_now() + timeout_ms;
	unsigned char a4[16];
	char e[TLS_WHY_MAX - 200];
	const char *alert;
	int ret, err;
	SSL *ssl;

	*refused = TLS_NOT_REFUSED;
	memset(&verify_seen, 0, sizeof(verify_seen));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd)) {
		tls_errors(e, sizeof(e));
		snprintf(why, TLS_WHY_MAX, "cannot set up TLS: %s", e);
		SSL_free(ssl);
		return NULL;
	}
	if (host) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);

		/* The target's certificate must name the host we dialled. */
		if (inet_pton(AF_INET, host, a4) == 1 ||
		    inet_pton(AF_INET6, host, a4) == 1)
			ret = X509_VERIFY_PARAM_set1_ip_asc(vp, host);
		else
			ret = X509_VERIFY_PARAM_set1_host(vp, host, 0) &&
			      SSL_set_tlsext_host_name(ssl, host);
		if (!ret) {
			snprintf(why, TLS_WHY_MAX, "cannot check the name %s", host);
			SSL_free(ssl);
			return NULL;
		}
	}
	for (;;) {
		struct pollfd p = { .fd = fd };
		long left;

		ret = host ? SSL_connect(ssl) : SSL_accept(ssl);
		if (ret == 1)
			return ssl;
		err = SSL_get_error(ssl, ret);
		if (err == SSL_ERROR_WANT_READ)
			p.events = POLLIN;
		else if (err == SSL_ERROR_WANT_WRITE)
			p.events = POLLOUT;
		else
			break;
		left = deadline - ms_now();
		if (stop && *stop) {
			snprintf(why, TLS_WHY_MAX, "cancelled");
			SSL_free(ssl);
			return NULL;
		}
		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			snprintf(why, TLS_WHY_MAX,
				 "TLS handshake timed out after %d s",
				 timeout_ms / 1000);
			SSL_free(ssl);
			return NULL;
		}
	}

	alert = tls_peer_alert(ssl);
	tls_errors(e, sizeof(e));
	if (verify_seen.err) {
		*refused = TLS_WE_REFUSED;
		snprintf(why, TLS_WHY_MAX, "%s (%s%s)",
			 X509_verify_cert_error_string(verify_seen.err),
			 verify_seen.subject[0] ? "certificate " : "depth ",
			 verify_seen.subject[0] ? verify_seen.subject : "?");
	} else if (!host && !SSL_get0_peer_certificate(ssl) &&
		   strstr(e, "peer did not return a certificate")) {
		*refused = TLS_WE_REFUSED;
		snprintf(why, TLS_WHY_MAX,
			 "it showed no certificate (and no password is accepted here: serve has no -p)");
	} else if (alert) {
		*refused = TLS_PEER_REFUSED;
		snprintf(why, TLS_WHY_MAX, "TLS alert \"%s\"", alert);
	} else if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN ||
		   /* OpenSSL 3's word for the peer's FIN mid-handshake */
		   strstr(e, "unexpected eof while reading")) {
		int sys = err == SSL_ERROR_SYSCALL ? errno : 0;

		snprintf(why, TLS_WHY_MAX,
			 "connection closed during the TLS handshake%s%s",
			 sys ? ": " : "", sys ? strerror(sys) : "");
	} else {
		snprintf(why, TLS_WHY_MAX, "TLS handshake failed: %s", e);
	}
	SSL_free(ssl);
	return NULL;
}

int tls_export(SSL *ssl, const char *label, uint8_t *out, size_t n)
{
	return SSL_export_keying_material(ssl, out, n, label, strlen(label),
					  NULL, 0, 0) == 1 ? 0 : -EIO;
}
