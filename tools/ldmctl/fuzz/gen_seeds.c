// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpora of ldmctl's fuzz harnesses, at build time, so
 * that no binary input is committed: valid encodings of every protocol
 * message (made by proto_put_*, the real encoder), QMP sessions as QEMU
 * speaks them, sizes, addresses, names, password files, trust entry
 * names, fingerprints and a freshly made PEM certificate.
 *
 *   gen_seeds DIR      writes DIR/<harness>/<n> for every harness
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "proto.h"
#include "fuzz.h"

static const char *top;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void subdir(const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", top, name);
	if (mkdir(path, 0755) && errno != EEXIST)
		die(path);
}

/* DIR/@harness/NNN: a mode byte (or none, @mode < 0) and @n bytes. */
static void seed(const char *harness, int mode, const void *p, size_t n)
{
	static unsigned int count;
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%04u", top, harness, count++);
	f = fopen(path, "wb");
	if (!f)
		die(path);
	if (mode >= 0)
		fputc(mode, f);
	if (n && fwrite(p, 1, n, f) != n)
		die(path);
	if (fclose(f))
		die(path);
}

static void seed_str(const char *harness, int mode, const char *s)
{
	seed(harness, mode, s, strlen(s));
}

/* A message as one decoder's payload, and as a stream of one message. */
static void seed_msg(struct pbuf *b, int err)
{
	uint16_t type;

	if (err || b->len < PROTO_HDR_BYTES) {
		fprintf(stderr, "gen_seeds: an encoder refused a sample (%d)\n", err);
		exit(1);
	}
	type = (uint16_t)(b->data[4] << 8 | b->data[5]);
	seed("proto", type, b->data + PROTO_HDR_BYTES, b->len - PROTO_HDR_BYTES);
	seed("proto", FUZZ_PROTO_STREAM, b->data, b->len);
	pbuf_reset(b);
}

static void seeds_proto(void)
{
	static struct proto_sums sums;
	struct proto_hello hello = {
		.uapi_version = 1, .page_size = 4096,
		.flags = PROTO_HELLO_F_VERIFY | PROTO_HELLO_F_DEVSTATE,
		.tool_version = "0.1", .source = "guest", .target = "guest2",
		.size = 64 << 20, .resident = 1234, .streams = 4,
		.batch_bytes = 1 << 20, .user = "admin", .password = "s3cret",
	};
	struct proto_welcome welcome = {
		.uapi_version = 1, .page_size = 4096, .fips = 0,
		.tool_version = "0.1", .mem_available = 1ull << 33,
		.max_domain = 1ull << 32, .verdict = PROTO_E_MEMORY,
		.nchecks = 2,
		.checks = { { PROTO_OK, "page size 4096" },
			    { PROTO_E_MEMORY, "64M needed, 32M available" } },
	};
	struct proto_ready ready = { .data_port = 7411 };
	struct proto_round_done rd = { .round = 3, .final = 1, .batches = 17,
				       .pages = 5000, .bytes = 9000000 };
	struct proto_round_ack ra = { .round = 3, .batches = 17, .pages = 5000 };
	struct proto_commit commit = { .rounds = 4, .batches = 99, .verify = 1 };
	struct proto_verify verify = { .ok = 0, .first_bad = 77 };
	struct proto_abort ab = { .code = PROTO_E_CANCELLED,
				  .reason = "cancelled by the user" };
	uint8_t dev[300], token[PROTO_TOKEN_BYTES];
	uint8_t sh[2 + PROTO_STREAM_HELLO_BYTES];
	struct proto_devstate ds = { .offset = 65536, .last = 1,
				     .len = sizeof(dev), .data = dev };
	struct pbuf b, all;
	uint32_t i;

	subdir("proto");
	pbuf_init(&b);
	pbuf_init(&all);
	for (i = 0; i < sizeof(dev); i++)
		dev[i] = (uint8_t)(i * 31);
	sums.first = 1000;
	sums.count = 16;
	for (i = 0; i < sums.count; i++)
		sums.sums[i] = 0x0123456789abcdefull * (i + 1);

	seed_msg(&b, proto_put_hello(&b, &hello));
	seed_msg(&b, proto_put_welcome(&b, &welcome));
	seed_msg(&b, proto_put_ready(&b, &ready));
	seed_msg(&b, proto_put_empty(&b, PROTO_MSG_STREAMS_OK));
	seed_msg(&b, proto_put_round_done(&b, &rd));
	seed_msg(&b, proto_put_round_ack(&b, &ra));
	seed_msg(&b, proto_put_commit(&b, &commit));
	seed_msg(&b, proto_put_sums(&b, &sums));
	seed_msg(&b, proto_put_verify(&b, &verify));
	seed_msg(&b, proto_put_empty(&b, PROTO_MSG_COMMITTED));
	seed_msg(&b, proto_put_abort(&b, &ab));
	seed_msg(&b, proto_put_empty(&b, PROTO_MSG_PING));
	seed_msg(&b, proto_put_devstate(&b, &ds));
	{
		struct proto_resume rs = { .round = 3 };

		memset(rs.ticket, 0x5a, sizeof(rs.ticket));
		seed_msg(&b, proto_put_resume(&b, &rs));
		seed_msg(&b, proto_put_applied(&b, &sums));
	}

	/* A whole target's side of a session, one stream. */
	if (proto_put_welcome(&all, &welcome) ||
	    proto_put_ready(&all, &ready) ||
	    proto_put_empty(&all, PROTO_MSG_STREAMS_OK) ||
	    proto_put_round_ack(&all, &ra) || proto_put_sums(&all, &sums) ||
	    proto_put_empty(&all, PROTO_MSG_COMMITTED) || all.err)
		exit(1);
	seed("proto", FUZZ_PROTO_STREAM, all.data, all.len);

	/* Stream greetings: valid for 4 streams, and a wrong token. */
	fuzz_token(token);
	sh[0] = 4;
	sh[1] = 0;
	proto_put_stream_hello(sh + 2, 3, token);
	seed("proto", FUZZ_PROTO_STREAM_HELLO, sh, sizeof(sh));
	sh[2 + 8] ^= 1;
	seed("proto", FUZZ_PROTO_STREAM_HELLO, sh, sizeof(sh));

	/* The encoders: a type byte and the raw fields of a struct. */
	{
		uint8_t raw[64] = { 0 };

		for (i = 1; i < __PROTO_MSG_MAX; i++) {
			raw[0] = (uint8_t)(i - 1);
			raw[1] = 1;
			raw[5] = 1;
			raw[9] = 1;
			raw[13] = 1;
			seed("proto", FUZZ_PROTO_ENCODE, raw, sizeof(raw));
		}
		memset(raw, 0, sizeof(raw));
		seed("proto", FUZZ_PROTO_NAMES, raw, 4);
	}
	pbuf_free(&b);
	pbuf_free(&all);
}

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 2, " \
	"\"major\": 7}, \"package\": \"Debian 1:7.2+dfsg-7\"}, \"capabilities\": [\"oob\"]}}\n"

static void seeds_qmp(void)
{
	static const char *const json[] = {
		GREETING,
		"{\"return\": {}, \"id\": 1}",
		"{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": 2}",
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"No such command\"}, \"id\": 3}",
		"{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 12}, \"event\": \"STOP\"}",
		"{\"event\": \"MIGRATION\", \"data\": {\"status\": \"completed\"}}",
		"[1, -2.5e+3, 0.25, true, false, null, \"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\", {}, []]",
		"  {\"a\": {\"b\": {\"c\": [[[[]]]]}}}  ",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
		"18446744073709551615",
	};
	static const char *const sessions[] = {
		/* open, query-status, stop, getfd */
		GREETING
		"{\"return\": {}, \"id\": 1}\n"
		"{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}\n"
		"{\"return\": {\"status\": \"paused\", \"running\": false}, \"id\": 2}\n"
		"{\"return\": {}, \"id\": 3}\r\n"
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"no fd\"}, \"id\": 4}\n"
		"{\"return\": {\"status\": \"postmigrate\"}, \"id\": 5}\n",
		GREETING "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"x\"}, \"id\": 1}\n",
		GREETING "{\"return\": {}, \"id\": 1}\n{\"return\": {}, \"id\": 7}\n",
		GREETING "{\"return\": {}, \"id\": 1}\n{\"return\": {\"status\": 1}, \"id\": 2}\n",
		GREETING GREETING,
		"{\"return\": {}, \"id\": 1}\n",
		GREETING "{\"return\": {}, \"id\": 1",
	};
	size_t i;

	subdir("json");
	for (i = 0; i < sizeof(json) / sizeof(json[0]); i++)
		seed_str("json", -1, json[i]);
	subdir("qmp");
	for (i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++)
		seed_str("qmp", -1, sessions[i]);
}

static void seeds_strings(void)
{
	static const char *const sizes[] = {
		"64M", "1G", "4096", "1536m", "1.5G", "100M", "16E", "17179869184G",
		"18446744073709551615", "18446744073709551616", "0", "-1", "1K ",
		"7t", "2p", "+5", "0x10",
	};
	static const char *const addrs[] = {
		"host", "root@host:guest", "[::1]:dom", "[fe80::1%eth0]",
		"10.0.0.2:target-1", "user.name_x@host-b.example.org", ":7411",
		"0.0.0.0:7411", "[::]:65535", "host:0", "@host", "a@b@c", "[::1",
		"[::1]x", "h:..", "12345",
	};
	static const char *const names[] = {
		"guest", "a", ".", "..", "...", "guest-2_b.x",
		"0123456789012345678901234567890", "01234567890123456789012345678901",
		"a/b", "",
	};
	static const char *const pwfiles[] = {
		"s3cret\n", "s3cret", "admin:pw1\nops:pw2\r\nshared\n",
		"# comment\n\n\r\nuser:\n:x\nplain:with:colons\n", "\n",
	};
	static const char *const confs[] = {
		"# ldm.conf\ncert = /etc/ldm/a.crt\nkey=/etc/ldm/a.key\n"
		"trust-dir = /etc/ldm/trust\nfips = no\ntimeout = 30\n",
		"[serve]\nlisten = [::1]:8101\npassword-file = /etc/ldm/pw\n"
		"qmp-dir = /run/ldm/qmp\non-receive = /bin/start \"$LDM_DOMAIN\"\n"
		"workers = 4\nhandshake-timeout = 10\nmax-startups = 32\n"
		"max-startups-per-addr = 8\nmax-migrations = 16\n",
		"[migrate]\npassword-file = /root/pw\nworkers = 2\nstreams = 4\n"
		"downtime-limit = 300\nmax-rounds = 10\nbandwidth = 100M\n"
		"compress = lz4\nport = 8101\nverify = yes\nreconnect = 60\n",
		"cert = /a\n[serve]\ncert = /b\n[migrate]\nfips = yes\n",
		"[serve]\nworkers = 1\nworkers = 2\n", "[bogus]\n", "x y\n",
	};
	static const char *const tnames[] = {
		"1a2b3c4d.0", "1a2b3c4d.999", "1a2b3c4d.1000", "1a2b3c4d.01",
		"1A2B3C4D.0", "1a2b3c4d.r0", "README", "1a2b3c4d.12~",
	};
	static const char *const fprs[] = {
		"0007:0E15", "00070e151c232a31", "00:07:0e:15:1c:23:2a:31:38:3f",
		"0007", "zz070e151c232a31",
	};
	static const char *const lasts[] = {
		"result=succeeded\ndestination=192.0.2.2:vm0-t\nend_time=1700000000\n"
		"total_ms=34720\nsuspend_ms=5993\nexpected_suspend_ms=6020\n"
		"rounds=5\nwire_bytes=17013063\npages=13572\ndirty_rate=405\n"
		"dirty_limit=100000\nthrottled=0\nthrottle_ms=0\n",
		"result=cancelled\nerror=cancelled in round 0; the source domain is intact\n"
		"destination=192.0.2.2:cx-t\nend_time=1\ntotal_ms=555\nrounds=0\n"
		"wire_bytes=486700\npages=1829\ndirty_limit=0\nthrottled=0\n"
		"throttle_ms=0\nnext_key=1\n",
		"result=cancelled\nend_time=yesterday\n", "result=failed\n",
	};
	uint8_t md[32 + 64];
	size_t i, j;

	subdir("size");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		seed_str("size", -1, sizes[i]);
	subdir("addr");
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		seed_str("addr", -1, addrs[i]);
	subdir("name");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		seed_str("name", -1, names[i]);
	subdir("pwfile");
	for (i = 0; i < sizeof(pwfiles) / sizeof(pwfiles[0]); i++)
		for (j = 0; j < 5; j++)
			seed_str("pwfile", (int)j, pwfiles[i]);
	subdir("conf");
	for (i = 0; i < sizeof(confs) / sizeof(confs[0]); i++)
		seed_str("conf", -1, confs[i]);
	subdir("lastmig");
	for (i = 0; i < sizeof(lasts) / sizeof(lasts[0]); i++)
		seed_str("lastmig", -1, lasts[i]);
	subdir("trust");
	for (i = 0; i < sizeof(tnames) / sizeof(tnames[0]); i++)
		seed_str("trust", 0, tnames[i]);
	for (i = 0; i < 32; i++)
		md[i] = (uint8_t)(i * 7);
	for (i = 0; i < sizeof(fprs) / sizeof(fprs[0]); i++) {
		size_t n = strlen(fprs[i]);

		memcpy(md + 32, fprs[i], n);
		seed("trust", 1, md, 32 + n);
	}
}

/* A self-signed certificate, made now, in PEM. */
static void seeds_pem(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	long len;

	if (!key || !x || !b)
		exit(1);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
				   (const unsigned char *)"ldm fuzz", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)"host-a", -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (!X509_sign(x, key, EVP_sha256()) || !PEM_write_bio_X509(b, x) ||
	    !PEM_write_bio_X509(b, x))
		exit(1);
	len = BIO_get_mem_data(b, &pem);
	seed("trust", 2, pem, (size_t)len / 2);	/* one certificate */
	seed("trust", 2, pem, (size_t)len);	/* two */
	seed_str("trust", 2, "not a certificate\n");
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(key);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 2;
	}
	top = argv[1];
	if (mkdir(top, 0755) && errno != EEXIST)
		die(top);
	seeds_proto();
	seeds_qmp();
	seeds_strings();
	seeds_pem();
	return 0;
}
