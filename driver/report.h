/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the module reports of a migration, as netlink attributes.
 */
#ifndef _LDM_REPORT_H
#define _LDM_REPORT_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct ldm_domain;
struct ldm_session;

size_t ldm_report_session_size(u32 workers);
int ldm_report_session(struct sk_buff *msg, struct ldm_session *s);
int ldm_report_postcopy(struct sk_buff *skb, struct ldm_domain *dom);

#endif /* _LDM_REPORT_H */
