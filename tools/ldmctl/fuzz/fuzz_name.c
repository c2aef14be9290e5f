// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: domain names (name.c), name_validate().
 *
 * Why: a domain name becomes the file name /dev/ldm/<name>, a netlink
 * string and the target name of a migration (it arrives in HELLO from the
 * other host); ldmctl must refuse exactly what the module refuses, or a
 * name could reach a path it was not meant to.
 *
 * The input is the name (cut at a NUL, in a block of its size; so that a
 * walk past the terminator is seen). Invariants: 0 exactly for 1 to 31
 * bytes of [A-Za-z0-9_.-] other than "." and ".."; otherwise -EINVAL, or
 * -ENAMETOOLONG exactly when the name has 32 bytes or more; a reason
 * whenever it fails. A valid name is never a path: no '/', not "." or
 * "..".
 */
#include <errno.h>

#include <linux/ldm.h>

#include "name.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	size_t n = strlen(s), i;
	const char *why = NULL;
	bool ok = n >= 1 && n < LDM_NAME_MAX;
	int r;

	for (i = 0; ok && i < n; i++) {
		char c = s[i];

		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		     (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
	}
	ok = ok && strcmp(s, ".") && strcmp(s, "..");
	r = name_validate(s, &why);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENAMETOOLONG);
	FUZZ_CHECK(!r == ok);
	FUZZ_CHECK(r == 0 || (why && *why));
	FUZZ_CHECK((r == -ENAMETOOLONG) == (n >= LDM_NAME_MAX));
	if (!r)
		FUZZ_CHECK(!strchr(s, '/') && strcmp(s, ".") && strcmp(s, ".."));
	why = NULL;
	FUZZ_CHECK(name_validate(NULL, &why) == -EINVAL && why);
	free(s);
	return 0;
}
