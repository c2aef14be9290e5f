// SPDX-License-Identifier: GPL-2.0
/* ldmctl resume-domain NAME */
#include <linux/ldm.h>

#include "domain.h"
#include "ldmctl.h"

static int resume_domain(const struct subcommand *cmd, int argc, char **argv,
			 const struct ldmctl_opts *opts)
{
	struct ldm_genl *g;
	const char *name;
	int ret;

	(void)opts;
	if (name_arg(cmd, argc, argv, &name, &ret))
		return ret;
	ret = ldmctl_connect(cmd, &g);
	if (ret)
		return ret;
	ret = ldm_domain_set_state(g, name, LDM_DOMAIN_STATE_ACTIVE);
	ret = report_result(cmd->name, name, ret, ldm_genl_ext_ack(g));
	ldm_genl_close(g);
	return ret;
}

const struct subcommand cmd_resume_domain = {
	.name = "resume-domain",
	.synopsis = "NAME",
	.summary = "let a suspended domain's guest write again",
	.help =
	"Resume the domain NAME after a migration left it suspended: its\n"
	"writes, blocked in the kernel, go on. ldmctl migrate never does this\n"
	"by itself when it cannot tell whether the target took over (it says\n"
	"so and exits 7): check that the domain is not running on the target\n"
	"first, or it would run on two hosts. A migrated domain cannot be\n"
	"resumed; destroy it.\n"
	"\n"
	"  NAME        the domain\n"
	"  -h, --help  show this help\n",
	.run = resume_domain,
};
