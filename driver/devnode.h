/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device numbers, the "ldm" class and the private inodes behind
 * /dev/ldm/<domain>; node.c supplies the file operations.
 */
#ifndef _LDM_DEVNODE_H
#define _LDM_DEVNODE_H

#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/types.h>

struct device;

/* Minors, handed out cyclically: every minor a device number can carry. */
#define LDM_MINORS	(MINORMASK + 1)

struct inode *ldm_devnode_new_inode(u64 size);
struct device *ldm_devnode_add(u32 minor, const char *name, void *data);
void ldm_devnode_remove(u32 minor);
void *ldm_devnode_file_data(struct file *file);

int ldm_devnode_init(const struct file_operations *fops);
void ldm_devnode_uninit(void);

#endif /* _LDM_DEVNODE_H */
