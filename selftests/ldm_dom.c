// SPDX-License-Identifier: GPL-2.0
/*
 * ldm_dom: the netlink requests ldm_module.sh needs, through the same
 * raw client as the C tests (not ldmctl: these tests check the kernel,
 * not the tool).
 *
 *   ldm_dom new NAME BYTES     create a domain
 *   ldm_dom del NAME           destroy it
 *   ldm_dom get NAME           print its attributes as key=value lines
 *                              (a post-copy target's too)
 *   ldm_dom list               print every domain name, one a line
 *   ldm_dom sessions SRC DST   start a sending session on SRC and run its
 *                              round 0 into a small ring nobody maps, and
 *                              a receiving session on DST; print "ready",
 *                              keep both (and their netlink socket) until
 *                              stdin closes
 *
 * Exits 0 on success, else with the errno (ENOENT when the family is
 * not registered) after printing the error and the extack message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ldm_nl.h"

static int fail(const char *what, int err, const struct ldm_nl *nl)
{
	fprintf(stderr, "ldm_dom: %s: %s%s%s\n", what, strerror(-err),
		nl && nl->ext_msg[0] ? ": " : "", nl ? nl->ext_msg : "");
	return -err > 255 ? 255 : -err;
}

/* Not a secret: these sessions never carry anything off the host. */
static const uint8_t session_key[LDM_KEY_BYTES] = { 'l', 'd', 'm', 0x42 };

/*
 * Sessions whose owner keeps its netlink socket but maps no ring: round
 * 0's workers fill the ring and wait for room that never comes.
 */
static int sessions(struct ldm_nl *nl, const char *src, const char *dst)
{
	struct ldm_msg m;
	char buf[64];
	int err, sfd, dfd;

	/* Each session needs an owning file to start; then it holds none. */
	snprintf(buf, sizeof(buf), "/dev/ldm/%s", src);
	sfd = open(buf, O_RDWR | O_CLOEXEC);
	snprintf(buf, sizeof(buf), "/dev/ldm/%s", dst);
	dfd = open(buf, O_RDWR | O_CLOEXEC);
	if (sfd < 0 || dfd < 0)
		return -errno;
	err = ldm_session_start_small(nl, src, LDM_CMD_MIGRATE_START, sfd, 0,
				      0, session_key, 1);
	if (err)
		return err;
	ldm_msg_init(&m, nl->family, 0, LDM_CMD_MIGRATE_ROUND,
		     LDM_GENL_VERSION);
	ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, src);
	err = ldm_nl_request(nl, &m, NULL, NULL);
	if (!err)
		err = ldm_session_start_small(nl, dst, LDM_CMD_RECEIVE_START,
					      dfd, 0, 0, session_key, 1);
	close(sfd);
	close(dfd);
	if (err)
		return err;
	printf("ready\n");
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	struct ldm_domain_info info, *all;
	struct ldm_nl nl;
	size_t i, n;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: ldm_dom new NAME BYTES | del NAME | "
			"get NAME | list | state NAME N | sessions SRC DST\n");
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
		/* Post-copy targets only. */
		if (!err && info.present & 1ull << LDM_A_DOMAIN_MISSING)
			printf("missing=%" PRIu64 "\nremote_faults=%" PRIu64
			       "\nfault_wait_ns=%" PRIu64
			       "\nfault_wait_max_ns=%" PRIu64 "\n",
			       info.missing, info.remote_faults,
			       info.fault_wait_ns, info.fault_wait_max_ns);
	} else if (!strcmp(argv[1], "state") && argc == 4) {
		struct ldm_msg m;

		ldm_msg_init(&m, nl.family, 0, LDM_CMD_DOMAIN_SET_STATE,
			     LDM_GENL_VERSION);
		ldm_msg_put_str(&m, LDM_A_DOMAIN_NAME, argv[2]);
		ldm_msg_put_u32(&m, LDM_A_DOMAIN_STATE,
				strtoul(argv[3], NULL, 0));
		err = ldm_nl_request(&nl, &m, NULL, NULL);
	} else if (!strcmp(argv[1], "sessions") && argc == 4) {
		err = sessions(&nl, argv[2], argv[3]);
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
