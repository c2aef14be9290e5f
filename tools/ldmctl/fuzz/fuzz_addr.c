// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the addresses of addr.c, dest_parse() (migrate's
 * [user@]HOST[:TARGET]), listen_parse() (serve's --listen ADDR[:PORT])
 * and port_parse().
 *
 * Why: these strings come from the command line and from scripts, are
 * copied into fixed arrays (user 64, host 255, target 31 bytes) and then
 * go to getaddrinfo() and into the HELLO message.
 *
 * The input is the argument (cut at a NUL, in a block of its size), given
 * to all three parsers. Invariants: 0, or -EINVAL with a reason; what is
 * accepted fits its array and holds only the characters addr.h allows;
 * the destination written back from its parts is the input, byte for
 * byte; the listen address written back parses to the same host and port;
 * port_parse() agrees with a plain reading of 1 to 5 digits.
 */
#include <errno.h>

#include "addr.h"
#include "name.h"
#include "fuzz.h"

static bool user_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static bool host_char(char c, bool bracketed)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' ||
	       (bracketed && (c == ':' || c == '%'));
}

/* A host as the parsers accept it; "needs brackets" in @v6. */
static void check_host(const char *h, bool bracketed)
{
	size_t n = strnlen(h, ADDR_HOST_MAX + 1), i;

	FUZZ_CHECK(n >= 1 && n <= ADDR_HOST_MAX);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(host_char(h[i], bracketed));
}

static void fuzz_dest(const char *s)
{
	struct mig_dest d, d2;
	const char *why = NULL, *after;
	char back[ADDR_USER_MAX + ADDR_HOST_MAX + 40];
	bool bracketed;
	size_t i, n;
	int r;

	r = dest_parse(s, &d, &why);
	FUZZ_CHECK(r == 0 || (r == -EINVAL && why && *why));
	if (r)
		return;
	n = strnlen(d.user, sizeof(d.user));
	FUZZ_CHECK(n <= ADDR_USER_MAX);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(user_char(d.user[i]));
	FUZZ_CHECK(!n == !strchr(s, '@'));
	after = n ? s + n + 1 : s;
	bracketed = *after == '[';
	check_host(d.host, bracketed);
	FUZZ_CHECK(strnlen(d.target, sizeof(d.target)) < sizeof(d.target));
	FUZZ_CHECK(!d.target[0] || !name_validate(d.target, &why));

	snprintf(back, sizeof(back), "%s%s%s%s%s%s%s", d.user, n ? "@" : "",
		 bracketed ? "[" : "", d.host, bracketed ? "]" : "",
		 d.target[0] ? ":" : "", d.target);
	FUZZ_CHECK(!strcmp(back, s));
	FUZZ_CHECK(dest_parse(back, &d2, &why) == 0);
	FUZZ_CHECK(!strcmp(d.user, d2.user) && !strcmp(d.host, d2.host) &&
		   !strcmp(d.target, d2.target));
}

static void fuzz_listen(const char *s)
{
	char host[ADDR_HOST_MAX + 1], host2[ADDR_HOST_MAX + 1];
	char back[ADDR_HOST_MAX + 16];
	const char *why = NULL;
	uint16_t port = 0, port2 = 0;
	bool bracketed = *s == '[';
	int r;

	memset(host, 'x', sizeof(host));
	r = listen_parse(s, host, &port, 4242, &why);
	FUZZ_CHECK(r == 0 || (r == -EINVAL && why && *why));
	if (r)
		return;
	FUZZ_CHECK(port != 0);
	if (*s == ':')
		FUZZ_CHECK(!host[0]);
	else
		check_host(host, bracketed);
	if (!strchr(s + (bracketed ? strcspn(s, "]") : 0), ':'))
		FUZZ_CHECK(port == 4242);
	snprintf(back, sizeof(back), "%s%s%s:%u", bracketed ? "[" : "", host,
		 bracketed ? "]" : "", port);
	FUZZ_CHECK(listen_parse(back, host2, &port2, 1, &why) == 0);
	FUZZ_CHECK(!strcmp(host, host2) && port == port2);
}

static void fuzz_port(const char *s)
{
	size_t n = strlen(s), i;
	unsigned long v = 0;
	uint16_t port = 0;
	bool ok = n >= 1 && n <= 5;
	int r;

	for (i = 0; ok && i < n; i++) {
		ok = s[i] >= '0' && s[i] <= '9';
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	ok = ok && v >= 1 && v <= 65535;
	r = port_parse(s, &port);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	FUZZ_CHECK(!r == ok);
	if (ok)
		FUZZ_CHECK(port == v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);

	fuzz_dest(s);
	fuzz_listen(s);
	fuzz_port(s);
	free(s);
	return 0;
}
