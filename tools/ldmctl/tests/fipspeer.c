// SPDX-License-Identifier: GPL-2.0
/*
 * fipspeer: a peer that claims FIPS mode, for the refusal the lab cannot
 * reach with two real ends. There is no FIPS provider on these machines,
 * so no ldmctl runs with --fips here; yet each end must refuse a peer
 * whose mode differs from its own. This speaks ldmctl's own protocol
 * (its proto.c, ctl.c and tls.c, so the messages are exactly ldmctl's),
 * with the certificates the tests make, and claims FIPS mode on the wire:
 *
 *   fipspeer source HOST PORT CERT KEY TRUSTDIR SOURCE TARGET
 *	a source in FIPS mode against a serve: a dry-run HELLO with
 *	PROTO_HELLO_F_FIPS, otherwise acceptable; prints each check of the
 *	WELCOME as "CODE TEXT"; exit 0 if the verdict is PROTO_E_FIPS
 *   fipspeer target ADDR PORT CERT KEY TRUSTDIR
 *	a target in FIPS mode for one migrate: reads its HELLO, answers a
 *	WELCOME that passes every check but says fips=1, and waits for the
 *	source to hang up; exit 0 if it did so without going on (READY is
 *	never sent, so nothing can move)
 *
 * Exit 1 on anything else, with the reason on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/ldm.h>

#include "ctl.h"
#include "ldmctl.h"
#include "net.h"
#include "proto.h"
#include "rekey.h"
#include "tls.h"

#define TIMEOUT_MS	15000

static int die(const char *fmt, const char *arg)
{
	fprintf(stderr, "fipspeer: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 1;
}

static int source(char **a)
{
	struct tls_config tc = { .cert = a[2], .key = a[3], .trust_dir = a[4] };
	struct proto_hello h = {
		.uapi_version = LDM_UAPI_VERSION,
		.page_size = (uint32_t)sysconf(_SC_PAGESIZE),
		.flags = PROTO_HELLO_F_DRY_RUN | PROTO_HELLO_F_FIPS,
		.size = 1 << 20,
		.streams = 1,
		.batch_bytes = LDM_BATCH_DEFAULT,
		.epoch_shift = rekey_shift_max(LDM_BATCH_DEFAULT),
	};
	static struct proto_welcome w;
	char why[TLS_WHY_MAX];
	enum tls_refusal refused;
	struct ctl c;
	struct pbuf b;
	SSL_CTX *ctx;
	uint32_t i;
	SSL *ssl;
	int fd;

	snprintf(h.tool_version, sizeof(h.tool_version), "%s", LDMCTL_VERSION);
	snprintf(h.source, sizeof(h.source), "%s", a[5]);
	snprintf(h.target, sizeof(h.target), "%s", a[6]);
	ctx = tls_ctx_new(&tc, why);
	if (!ctx)
		return die("%s", why);
	fd = net_connect(a[0], (uint16_t)atoi(a[1]), TIMEOUT_MS);
	if (fd < 0)
		return die("cannot connect: %s", strerror(-fd));
	ssl = tls_handshake(ctx, fd, a[0], TIMEOUT_MS, NULL, why, &refused);
	if (!ssl || ctl_init(&c, ssl, fd))
		return die("TLS: %s", why);
	pbuf_init(&b);
	if (proto_put_hello(&b, &h) || ctl_send(&c, &b, TIMEOUT_MS))
		return die("cannot send HELLO: %s", c.why);
	if (ctl_recv(&c, TIMEOUT_MS) < 0 || c.type != PROTO_MSG_WELCOME ||
	    proto_get_welcome(c.payload, c.len, &w))
		return die("no WELCOME: %s", c.why);
	for (i = 0; i < w.nchecks; i++)
		printf("%s %s\n", proto_code_name(w.checks[i].code),
		       w.checks[i].text);
	printf("verdict %s\n", proto_code_name(w.verdict));
	pbuf_free(&b);
	ctl_close(&c);
	SSL_CTX_free(ctx);
	return w.verdict == PROTO_E_FIPS ? 0 : 1;
}

static int target(char **a)
{
	struct tls_config tc = { .cert = a[2], .key = a[3], .trust_dir = a[4],
				 .server = true };
	static struct proto_welcome w = {
		.uapi_version = LDM_UAPI_VERSION,
		.fips = 1,
		.mem_available = 1ull << 40,
		.verdict = PROTO_OK,
		.nchecks = 1,
	};
	static struct proto_hello h;
	char why[TLS_WHY_MAX];
	enum tls_refusal refused;
	int lfd, fd, ret;
	struct ctl c;
	struct pbuf b;
	SSL_CTX *ctx;
	SSL *ssl;

	w.page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	snprintf(w.tool_version, sizeof(w.tool_version), "%s", LDMCTL_VERSION);
	snprintf(w.checks[0].text, sizeof(w.checks[0].text),
		 "a target in FIPS mode (fipspeer)");
	ctx = tls_ctx_new(&tc, why);
	if (!ctx)
		return die("%s", why);
	lfd = net_listen(a[0], (uint16_t)atoi(a[1]));
	if (lfd < 0)
		return die("cannot listen: %s", strerror(-lfd));
	printf("listening\n");
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (fd < 0)
		return die("accept: %s", strerror(errno));
	ssl = tls_handshake(ctx, fd, NULL, TIMEOUT_MS, NULL, why, &refused);
	if (!ssl || ctl_init(&c, ssl, fd))
		return die("TLS: %s", why);
	if (ctl_recv(&c, TIMEOUT_MS) < 0 || c.type != PROTO_MSG_HELLO ||
	    proto_get_hello(c.payload, c.len, &h))
		return die("no HELLO: %s", c.why);
	printf("HELLO from '%s' for '%s', FIPS flag %s\n", h.source, h.target,
	       h.flags & PROTO_HELLO_F_FIPS ? "set" : "clear");
	pbuf_init(&b);
	if (proto_put_welcome(&b, &w) || ctl_send(&c, &b, TIMEOUT_MS))
		return die("cannot send WELCOME: %s", c.why);
	pbuf_free(&b);
	/* A source that refuses says ABORT, or just goes. */
	ctl_next(&c);
	ret = ctl_recv(&c, TIMEOUT_MS);
	if (ret >= 0 && c.type != PROTO_MSG_ABORT)
		return die("the source went on with %s",
			   proto_msg_name(c.type));
	if (ret == -ETIMEDOUT)
		return die("%s", "the source neither refused nor went");
	printf("the source hung up\n");
	ctl_close(&c);
	SSL_CTX_free(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 9 && !strcmp(argv[1], "source"))
		return source(argv + 2);
	if (argc == 7 && !strcmp(argv[1], "target"))
		return target(argv + 2);
	fprintf(stderr, "usage: fipspeer source HOST PORT CERT KEY TRUSTDIR SOURCE TARGET\n"
		"       fipspeer target ADDR PORT CERT KEY TRUSTDIR\n");
	return 2;
}
