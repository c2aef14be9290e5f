// SPDX-License-Identifier: GPL-2.0
/*
 * ldm: live-migration accelerator for emulated domains.
 *
 * Module init and exit only: each concern sets itself up in its own file,
 * in dependency order, and is torn down in reverse.
 */

#include <linux/module.h>

#include <uapi/linux/ldm.h>

#include "domain.h"
#include "netlink.h"
#include "node.h"
#include "session.h"
#include "workers.h"

static int __init ldm_init(void)
{
	int err;

	err = ldm_workers_init();
	if (err)
		return err;

	err = ldm_node_init();
	if (err)
		goto err_uninit_workers;

	err = ldm_domain_init();
	if (err)
		goto err_uninit_node;

	/* Last: requests may create domains as soon as the family exists. */
	err = ldm_netlink_init();
	if (err)
		goto err_uninit_domain;

	pr_info("ldm: loaded, user ABI version %d\n", LDM_UAPI_VERSION);
	return 0;

err_uninit_domain:
	ldm_domain_uninit();
err_uninit_node:
	ldm_node_uninit();
err_uninit_workers:
	ldm_workers_uninit();
	return err;
}

static void __exit ldm_exit(void)
{
	ldm_netlink_uninit();
	/* Sessions outlive their sockets' notifier; end them first. */
	ldm_session_stop_all();
	ldm_domain_uninit();
	ldm_node_uninit();
	ldm_workers_uninit();
}

module_init(ldm_init);
module_exit(ldm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ldm: guest RAM and live migration for emulated domains");
MODULE_AUTHOR("The ldm developers");
