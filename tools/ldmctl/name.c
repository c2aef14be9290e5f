// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <linux/ldm.h>

#include "name.h"

/* The message below spells the limit out, as the kernel's does. */
_Static_assert(LDM_NAME_MAX == 32, "update the 'longer than' message");

/*
 * Spelled out rather than isalnum(): the locale must not widen the set the
 * kernel accepts.
 */
static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

int name_validate(const char *name, const char **why)
{
	size_t len, i;

	if (!name) {
		*why = "missing domain name";
		return -EINVAL;
	}
	if (!name[0]) {
		*why = "domain name is empty";
		return -EINVAL;
	}
	/* strnlen: an argument may be huge; no need to walk all of it. */
	len = strnlen(name, LDM_NAME_MAX);
	if (len >= LDM_NAME_MAX) {
		*why = "domain name is longer than 31 bytes";
		return -ENAMETOOLONG;
	}
	for (i = 0; i < len; i++) {
		if (!name_char_ok(name[i])) {
			*why = "domain name may only contain A-Z, a-z, 0-9, '_', '.' and '-'";
			return -EINVAL;
		}
	}
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		*why = "domain name cannot be '.' or '..'";
		return -EINVAL;
	}
	return 0;
}
