// SPDX-License-Identifier: GPL-2.0
/*
 * ldm_dom: the netlink requests ldm_module.sh needs, through the same
 * raw client as the C tests (not ldmctl: these tests check the kernel,
 * not the tool).
 *
 *   ldm_dom new NAME BYTES     create a domain
 *   ldm_dom del NAME           destroy it
 *   ldm_dom get NAME           print its attributes as key=value lines
 *   ldm_dom list               print every domain name, one a line
 *
 * Exits 0 on success, else with the errno (ENOENT when the family is
 * not registered) after printing the error and the extack message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldm_nl.h"

static int fail(const char *what, int err, const struct ldm_nl *nl)
{
	fprintf(stderr, "ldm_dom: %s: %s%s%s\n", what, strerror(-err),
		nl && nl->ext_msg[0] ? ": " : "", nl ? nl->ext_msg : "");
	return -err > 255 ? 255 : -err;
}

int main(int argc, char **argv)
{
	struct ldm_domain_info info, *all;
	struct ldm_nl nl;
	size_t i, n;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: ldm_dom new NAME BYTES | del NAME | "
			"get NAME | list | state NAME N\n");
		return 2;
	}
	err = ldm_nl_open_ldm(&nl);
	if (err)
		return fail("resolving the ldm family", err, NULL);

	if (!strcmp(argv[1], "new") && argc == 4) {
		err = ldm_domain_new(&nl, argv[2], strtoull(argv[3], NULL, 0));
	} else if (!strcmp(argv[1], "del") && argc == 3) {
		err = ldm_domain_del(&nl, argv[2]);
	} else if (!strcmp(argv[1], "get") && argc == 3) {
		err = ldm_domain_get(&nl, argv[2], &info);
		if (!err)
			printf("name=%s\nsize=%" PRIu64 "\npage_size=%u\n"
			       "resident=%" PRIu64 "\ndirty=%" PRIu64 "\n"
			       "state=%u\nopen=%u\nmapped=%u\nminor=%u\n",
			       info.name, info.size, info.page_size,
			       info.resident, info.dirty, info.state,
			       info.open, info.mapped, info.minor);
	} else if (!strcmp(argv[1], "state") && argc == 4) {
		struct ldm_msg m;

		ldm_msg_init(&m, nl.family, 0, LDM_CMD_DOMAIN_SET_STATE,
			     LDM_GENL_VERSION);
		ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, argv[2]);
		ldm_msg_put_u32(&m, LDM_A_DOMAIN_STATE,
				strtoul(argv[3], NULL, 0));
		err = ldm_nl_request(&nl, &m, NULL, NULL);
	} else if (!strcmp(argv[1], "list") && argc == 2) {
		all = calloc(4096, sizeof(*all));
		if (!all)
			return fail("list", -ENOMEM, NULL);
		err = ldm_domain_dump(&nl, all, 4096, &n);
		for (i = 0; !err && i < n && i < 4096; i++)
			printf("%s\n", all[i].name);
		free(all);
	} else {
		fprintf(stderr, "ldm_dom: bad arguments\n");
		return 2;
	}
	if (err)
		return fail(argv[1], err, &nl);
	ldm_nl_close(&nl);
	return 0;
}
