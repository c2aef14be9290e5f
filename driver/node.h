/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device nodes /dev/ldm/<domain>: open, llseek, mmap, poll, ioctl.
 */
#ifndef _LDM_NODE_H
#define _LDM_NODE_H

int ldm_node_init(void);
void ldm_node_uninit(void);

#endif /* _LDM_NODE_H */
