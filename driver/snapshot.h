/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sending side: rounds of page snapshots into sealed batches.
 */
#ifndef _LDM_SNAPSHOT_H
#define _LDM_SNAPSHOT_H

#include <linux/types.h>
#include <linux/workqueue.h>

struct file;
struct ldm_domain;
struct ldm_page_set;
struct netlink_ext_ack;

void ldm_snapshot_work(struct work_struct *work);
int ldm_snapshot_round(struct ldm_domain *dom, u32 codec, u32 flags,
		       u32 *round, u64 *pages, struct netlink_ext_ack *extack);
int ldm_snapshot_set_codec(struct ldm_domain *dom, u32 codec,
			   struct netlink_ext_ack *extack);
long ldm_snapshot_ioctl_resend_skip(struct ldm_domain *dom, struct file *file,
				    struct ldm_page_set __user *uarg);

#endif /* _LDM_SNAPSHOT_H */
