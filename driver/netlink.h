/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "ldm" generic netlink family.
 */
#ifndef _LDM_NETLINK_H
#define _LDM_NETLINK_H

int ldm_netlink_init(void);
void ldm_netlink_uninit(void);

#endif /* _LDM_NETLINK_H */
