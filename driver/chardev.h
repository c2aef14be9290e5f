/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device nodes /dev/ldm/<domain>: open, llseek, mmap, ioctl.
 */
#ifndef _LDM_CHARDEV_H
#define _LDM_CHARDEV_H

#include <linux/types.h>

struct device;
struct file;
struct inode;
struct ldm_domain;

struct inode *ldm_chardev_new_inode(u64 size);
struct device *ldm_chardev_add(struct ldm_domain *dom);
void ldm_chardev_remove(struct ldm_domain *dom);
struct ldm_domain *ldm_chardev_file_domain(struct file *file);

int ldm_chardev_init(void);
void ldm_chardev_uninit(void);

#endif /* _LDM_CHARDEV_H */
