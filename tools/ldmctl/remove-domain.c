// SPDX-License-Identifier: GPL-2.0
/* ldmctl remove-domain NAME */
#include "domain.h"
#include "ldmctl.h"

static int remove_domain(const struct subcommand *cmd, int argc, char **argv,
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
	ret = ldm_domain_del(g, name);
	ret = report_result(cmd->name, name, ret, ldm_genl_ext_ack(g));
	ldm_genl_close(g);
	return ret;
}

const struct subcommand cmd_remove_domain = {
	.name = "remove-domain",
	.synopsis = "NAME",
	.summary = "destroy a domain that is not in use",
	.help =
	"Destroy the domain NAME, its guest RAM and /dev/ldm/NAME. The module\n"
	"refuses while the device is open or its memory mapped (say, by a\n"
	"running QEMU).\n"
	"\n"
	"  NAME        the domain\n"
	"  -h, --help  show this help\n",
	.run = remove_domain,
};
