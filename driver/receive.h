/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The receiving side: batches from the ring into the target domain.
 */
#ifndef _LDM_RECEIVE_H
#define _LDM_RECEIVE_H

#include <linux/compiler_types.h>
#include <linux/workqueue.h>

struct file;
struct ldm_domain;
struct ldm_page_set;
struct ldm_postcopy_requests;
struct ldm_session;

void ldm_receive_work(struct work_struct *work);
int ldm_receive_kick(struct ldm_session *s);
long ldm_receive_ioctl_applied(struct ldm_domain *dom, struct file *file,
			       struct ldm_page_set __user *uarg);
long ldm_receive_ioctl_postcopy(struct ldm_domain *dom, struct file *file,
				struct ldm_page_set __user *uarg);
long ldm_receive_ioctl_requests(struct ldm_domain *dom, struct file *file,
				struct ldm_postcopy_requests __user *uarg);

#endif /* _LDM_RECEIVE_H */
