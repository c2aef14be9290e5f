// SPDX-License-Identifier: GPL-2.0
/* ldmctl cancel-operation migration DOMAIN */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ldmctl.h"
#include "name.h"
#include "oplock.h"

#define WAIT_S	60

static int cancel_operation(const struct subcommand *cmd, int argc,
			    char **argv, const struct ldmctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	char quoted[QUOTE_MAX], status[600];
	const char *name, *why;
	pid_t pid;
	int c, i, err;

	(void)opts;
	subcommand_getopt_init();
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			subcommand_help(cmd, stdout);
			return LDMCTL_EXIT_OK;
		default:
			return option_error(cmd, argv, c, longopts);
		}
	}
	if (optind == argc)
		return usage_error(cmd, "missing operation (migration)");
	if (strcmp(argv[optind], "migration"))
		return usage_error(cmd, "unknown operation '%s' (only 'migration')",
				   quote_arg(argv[optind], quoted));
	if (argc - optind < 2)
		return usage_error(cmd, "missing domain name");
	if (argc - optind > 2)
		return usage_error(cmd, "unexpected argument '%s'",
				   quote_arg(argv[optind + 2], quoted));
	name = argv[optind + 1];
	if (name_validate(name, &why)) {
		report(cmd->name, name, "%s", why);
		return LDMCTL_EXIT_USAGE;
	}

	err = oplock_holder(name, &pid);
	if (err == -ENOENT || (!err && !pid)) {
		report(cmd->name, name, "no migration of this domain is running on this host");
		return LDMCTL_EXIT_FAIL;
	}
	if (err) {
		report(cmd->name, name, "cannot read %s: %s", LDM_RUN_MIGRATE_DIR,
		       strerror(-err));
		return exit_code_for(err);
	}
	/* 'ldmctl migrate' takes SIGTERM as a cancel and cleans up itself. */
	if (kill(pid, SIGTERM)) {
		report(cmd->name, name, "cannot signal the migration (pid %ld): %s",
		       (long)pid, strerror(errno));
		return exit_code_for(-errno);
	}
	for (i = 0; i < WAIT_S * 10; i++) {
		if (oplock_holder(name, &pid) || !pid)
			break;
		usleep(100000);
	}
	if (pid) {
		report(cmd->name, name, "the migration (pid %ld) did not stop within %d s",
		       (long)pid, WAIT_S);
		return LDMCTL_EXIT_FAIL;
	}
	oplock_read_status(name, status, sizeof(status));
	if (!strncmp(status, "cancelled", 9)) {
		printf("cancelled the migration of '%s'; the source domain is intact\n",
		       name);
		return LDMCTL_EXIT_OK;
	}
	if (!strncmp(status, "migrated", 8)) {
		report(cmd->name, name, "too late: the domain had already %s",
		       status);
		return LDMCTL_EXIT_FAIL;
	}
	report(cmd->name, name, "the migration ended otherwise: %s", status);
	return LDMCTL_EXIT_FAIL;
}

const struct subcommand cmd_cancel_operation = {
	.name = "cancel-operation",
	.synopsis = "migration DOMAIN",
	.summary = "cancel the running migration of a domain",
	.help =
	"Cancel the 'ldmctl migrate' of DOMAIN running on this host, from any\n"
	"shell: it is found through its lock file " LDM_RUN_MIGRATE_DIR "/DOMAIN.lock,\n"
	"sent SIGTERM, and waited for. Before the commit a cancel stops the\n"
	"sending session, the target discards its half-made domain, and DOMAIN\n"
	"runs on here, intact. After the commit it is too late.\n"
	"\n"
	"  -h, --help  show this help\n"
	"\n"
	"Exit status: 0 cancelled, 1 nothing to cancel or too late.\n",
	.run = cancel_operation,
};
