/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sending side: rounds of page snapshots into sealed batches.
 */
#ifndef _LDM_SEND_H
#define _LDM_SEND_H

#include <linux/types.h>
#include <linux/workqueue.h>

struct file;
struct ldm_domain;
struct ldm_page_set;
struct ldm_postcopy_requests;
struct netlink_ext_ack;

void ldm_send_work(struct work_struct *work);
int ldm_send_round(struct ldm_domain *dom, u32 codec, u32 flags,
		   u32 *round, u64 *pages, struct netlink_ext_ack *extack);
int ldm_send_set_codec(struct ldm_domain *dom, u32 codec,
		       struct netlink_ext_ack *extack);
long ldm_send_ioctl_resend_skip(struct ldm_domain *dom, struct file *file,
				struct ldm_page_set __user *uarg);
long ldm_send_ioctl_round_pages(struct ldm_domain *dom, struct file *file,
				struct ldm_page_set __user *uarg);
long ldm_send_ioctl_urgent(struct ldm_domain *dom, struct file *file,
			   struct ldm_postcopy_requests __user *uarg);

#endif /* _LDM_SEND_H */
