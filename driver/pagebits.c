// SPDX-License-Identifier: GPL-2.0
/*
 * Page bitmaps.
 *
 * In the kernel a set of pages is a bitmap of unsigned longs; at the user
 * ABI (struct ldm_harvest, struct ldm_page_set) it is an array of u64
 * words in host byte order, bit i of word w being page 64 * w + i, the
 * same for 32-bit and 64-bit callers. Every ioctl that passes one goes
 * through here, so the layout is converted, and the user's buffer size
 * checked, in one place.
 */

#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "pagebits.h"

/**
 * ldm_pagebits_alloc() - a zeroed bitmap of @npages bits
 * @npages: pages of the domain
 *
 * 2 MiB for 64 GiB of 4 KiB pages, past what kmalloc() reliably gives, so
 * it may come from vmalloc; charged to the caller's memory cgroup.
 *
 * Return: the bitmap or NULL.
 */
unsigned long *ldm_pagebits_alloc(pgoff_t npages)
{
	return kvcalloc(BITS_TO_LONGS(npages), sizeof(unsigned long),
			GFP_KERNEL_ACCOUNT);
}

/**
 * ldm_pagebits_free() - free a bitmap
 * @bits: the bitmap, or NULL
 */
void ldm_pagebits_free(unsigned long *bits)
{
	kvfree(bits);
}

/**
 * ldm_pagebits_user_fits() - whether a user buffer holds a page set
 * @ubytes: the buffer's size, as the caller says
 * @npages: pages of the domain
 *
 * Return: true when @ubytes is at least 8 * ceil(@npages / 64).
 */
bool ldm_pagebits_user_fits(u64 ubytes, pgoff_t npages)
{
	return ubytes >= DIV_ROUND_UP((u64)npages, 64) * sizeof(u64);
}

/**
 * ldm_pagebits_to_user() - copy a bitmap out in the user layout
 * @uaddr: the user buffer, checked with ldm_pagebits_user_fits()
 * @bits: the bitmap
 * @npages: its bits
 *
 * Return: 0, -EFAULT, -ENOMEM.
 */
int ldm_pagebits_to_user(u64 uaddr, const unsigned long *bits,
			 pgoff_t npages)
{
	size_t words = DIV_ROUND_UP(npages, 64);
	u64 *arr;
	int err = 0;

	arr = kvmalloc_array(words, sizeof(u64), GFP_KERNEL_ACCOUNT);
	if (!arr)
		return -ENOMEM;
	bitmap_to_arr64(arr, bits, npages);
	if (copy_to_user(u64_to_user_ptr(uaddr), arr, words * sizeof(u64)))
		err = -EFAULT;
	kvfree(arr);
	return err;
}

/**
 * ldm_pagebits_from_user() - read a bitmap in the user layout
 * @bits: the bitmap to fill; bits past @npages stay clear
 * @uaddr: the user buffer, checked with ldm_pagebits_user_fits()
 * @npages: its bits
 *
 * Return: 0, -EFAULT, -ENOMEM.
 */
int ldm_pagebits_from_user(unsigned long *bits, u64 uaddr, pgoff_t npages)
{
	size_t words = DIV_ROUND_UP(npages, 64);
	u64 *arr;
	int err = 0;

	arr = kvmalloc_array(words, sizeof(u64), GFP_KERNEL_ACCOUNT);
	if (!arr)
		return -ENOMEM;
	if (copy_from_user(arr, u64_to_user_ptr(uaddr), words * sizeof(u64)))
		err = -EFAULT;
	else
		bitmap_from_arr64(bits, arr, npages);
	kvfree(arr);
	return err;
}
