// SPDX-License-Identifier: GPL-2.0
/*
 * Device numbers, the "ldm" class and the private inodes of the domains.
 *
 * One character device region covers every minor; a domain's node
 * /dev/ldm/<name> is a device of class "ldm" with the domain's minor. The
 * file operations are node.c's, given at init: this file only registers
 * them, so that it sits below everything that uses domains.
 *
 * Every domain also gets an inode of a private pseudo filesystem, whose
 * address_space every open file of the domain uses (node.c), so that all
 * mappings of a domain hang off one address_space.
 */

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>

#include "devnode.h"

#define LDM_FS_MAGIC	0x6c646d21	/* "ldm!" */

static struct vfsmount *ldm_mnt;
static dev_t ldm_devt;
static struct cdev ldm_cdev;
static struct class *ldm_class;

static int ldm_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, LDM_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: kern_mount() pins the filesystem type, which would hold a
 * reference on the module for as long as it is loaded, and rmmod would
 * never succeed.
 */
static struct file_system_type ldm_fs_type = {
	.name = "ldm",
	.init_fs_context = ldm_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * ldm_devnode_new_inode() - a private inode for a new domain
 * @size: the domain size, reported as the inode size
 *
 * Return: the inode (released with iput()), or an ERR_PTR.
 */
struct inode *ldm_devnode_new_inode(u64 size)
{
	struct inode *inode = alloc_anon_inode(ldm_mnt->mnt_sb);

	if (!IS_ERR(inode))
		inode->i_size = size;
	return inode;
}

/**
 * ldm_devnode_add() - create /dev/ldm/<name>
 * @minor: its minor, below %LDM_MINORS
 * @name: the node's name
 * @data: the device's driver data
 *
 * Return: the device, or an ERR_PTR.
 */
struct device *ldm_devnode_add(u32 minor, const char *name, void *data)
{
	return device_create(ldm_class, NULL, MKDEV(MAJOR(ldm_devt), minor),
			     data, "%s", name);
}

/**
 * ldm_devnode_remove() - remove a node; its open files stay valid
 * @minor: its minor
 */
void ldm_devnode_remove(u32 minor)
{
	device_destroy(ldm_class, MKDEV(MAJOR(ldm_devt), minor));
}

/**
 * ldm_devnode_file_data() - what an open file of an ldm node refers to
 * @file: any open file
 *
 * Return: its private data (node.c: the domain), or NULL when @file is
 * not an ldm node.
 */
void *ldm_devnode_file_data(struct file *file)
{
	return file->f_op == ldm_cdev.ops ? file->private_data : NULL;
}

/* Nodes live in /dev/ldm/ and only root may map guest RAM. */
static char *ldm_devnode_name(struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return kasprintf(GFP_KERNEL, "ldm/%s", dev_name(dev));
}

/**
 * ldm_devnode_init() - register the device class, region and inode fs
 * @fops: the nodes' file operations
 *
 * Return: 0 or -errno.
 */
int ldm_devnode_init(const struct file_operations *fops)
{
	int err;

	ldm_mnt = kern_mount(&ldm_fs_type);
	if (IS_ERR(ldm_mnt))
		return PTR_ERR(ldm_mnt);

	err = alloc_chrdev_region(&ldm_devt, 0, LDM_MINORS, "ldm");
	if (err)
		goto err_unmount;

	cdev_init(&ldm_cdev, fops);
	ldm_cdev.owner = THIS_MODULE;
	err = cdev_add(&ldm_cdev, ldm_devt, LDM_MINORS);
	if (err)
		goto err_unregister_region;

	/*
	 * The class name must not end in "dax": QEMU would then read the size
	 * from sysfs instead of using lseek().
	 */
	ldm_class = class_create(THIS_MODULE, "ldm");
	if (IS_ERR(ldm_class)) {
		err = PTR_ERR(ldm_class);
		goto err_del_cdev;
	}
	ldm_class->devnode = ldm_devnode_name;
	return 0;

err_del_cdev:
	cdev_del(&ldm_cdev);
err_unregister_region:
	unregister_chrdev_region(ldm_devt, LDM_MINORS);
err_unmount:
	kern_unmount(ldm_mnt);
	return err;
}

/**
 * ldm_devnode_uninit() - undo ldm_devnode_init(); every domain is gone
 */
void ldm_devnode_uninit(void)
{
	class_destroy(ldm_class);
	cdev_del(&ldm_cdev);
	unregister_chrdev_region(ldm_devt, LDM_MINORS);
	kern_unmount(ldm_mnt);
}
