// SPDX-License-Identifier: GPL-2.0
/* Destination and listen addresses; see addr.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "addr.h"
#include "name.h"

int port_parse(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (!v || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static int host_ok(const char *h, size_t n, bool bracketed)
{
	size_t i;

	if (!n || n > ADDR_HOST_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = h[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    (bracketed && (c == ':' || c == '%')))
			continue;
		return 0;
	}
	return 1;
}

/*
 * Split HOST from what follows: "[v6]rest" or "name-or-v4rest", where
 * rest starts at the first ':' after the host (or is "").
 */
static int split_host(const char *s, char host[ADDR_HOST_MAX + 1],
		      const char **rest, const char **why)
{
	const char *e;
	size_t n;

	if (*s == '[') {
		e = strchr(s, ']');
		if (!e) {
			*why = "missing ']' after an IPv6 address";
			return -EINVAL;
		}
		n = (size_t)(e - s - 1);
		if (!host_ok(s + 1, n, true)) {
			*why = "bad IPv6 address";
			return -EINVAL;
		}
		memcpy(host, s + 1, n);
		host[n] = '\0';
		*rest = e + 1;
		if (**rest && **rest != ':') {
			*why = "unexpected characters after ']'";
			return -EINVAL;
		}
		return 0;
	}
	e = strchr(s, ':');
	n = e ? (size_t)(e - s) : strlen(s);
	if (!host_ok(s, n, false)) {
		*why = n ? "bad host name (IPv6 addresses go in brackets)" :
			   "missing host";
		return -EINVAL;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	*rest = s + n;
	return 0;
}

int dest_parse(const char *s, struct mig_dest *d, const char **why)
{
	const char *at = strchr(s, '@'), *rest;
	size_t n, i;
	int err;

	memset(d, 0, sizeof(*d));
	if (at) {
		n = (size_t)(at - s);
		if (!n || n > ADDR_USER_MAX) {
			*why = "user name must be 1 to 64 bytes";
			return -EINVAL;
		}
		for (i = 0; i < n; i++) {
			char c = s[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			      c == '-')) {
				*why = "user name may only contain A-Z, a-z, 0-9, '.', '_' and '-'";
				return -EINVAL;
			}
		}
		memcpy(d->user, s, n);
		s = at + 1;
	}
	err = split_host(s, d->host, &rest, why);
	if (err)
		return err;
	if (*rest == ':') {
		if (name_validate(rest + 1, why))
			return -EINVAL;
		memcpy(d->target, rest + 1, strlen(rest + 1) + 1);
	}
	return 0;
}

int listen_parse(const char *s, char host[ADDR_HOST_MAX + 1],
		 uint16_t *port, uint16_t def_port, const char **why)
{
	const char *rest;
	int err;

	*port = def_port;
	host[0] = '\0';
	if (*s == ':') {
		rest = s;
	} else {
		err = split_host(s, host, &rest, why);
		if (err)
			return err;
	}
	if (*rest == ':' && port_parse(rest + 1, port)) {
		*why = "port must be a number from 1 to 65535";
		return -EINVAL;
	}
	return 0;
}
