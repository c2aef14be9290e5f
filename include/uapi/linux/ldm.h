/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ldm: live-migration accelerator for emulated domains.
 *
 * The user ABI of ldm.ko: the generic netlink family "ldm", the ioctls of
 * the per-domain device /dev/ldm/<domain>, and the limits both share.
 * Everything here is fixed-width, explicitly padded and pointer-free, so
 * that 32-bit and 64-bit userland see the same layout.
 */
#ifndef _UAPI_LINUX_LDM_H
#define _UAPI_LINUX_LDM_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define LDM_GENL_NAME		"ldm"
#define LDM_GENL_VERSION	1

/* The user ABI version; bumped on every incompatible change. */
#define LDM_UAPI_VERSION	1

/*
 * A domain name: 1 to LDM_NAME_MAX - 1 bytes of [A-Za-z0-9_.-], not "."
 * or "..". It names the node /dev/ldm/<name>, so it must be a safe file
 * name.
 */
#define LDM_NAME_MAX		32

/**
 * enum ldm_cmd - commands of the "ldm" generic netlink family
 * @LDM_CMD_UNSPEC: unused
 * @LDM_CMD_DOMAIN_NEW: create a domain; needs %LDM_A_DOMAIN_NAME and
 *	%LDM_A_DOMAIN_SIZE
 * @LDM_CMD_DOMAIN_DEL: destroy an idle domain; needs %LDM_A_DOMAIN_NAME
 * @LDM_CMD_DOMAIN_GET: doit: one domain by %LDM_A_DOMAIN_NAME; dumpit: all
 *	domains. Replies carry the LDM_A_DOMAIN_* attributes.
 * @__LDM_CMD_MAX: internal
 * @LDM_CMD_MAX: highest command number
 *
 * Every command needs CAP_NET_ADMIN in the caller's network namespace.
 */
enum ldm_cmd {
	LDM_CMD_UNSPEC,
	LDM_CMD_DOMAIN_NEW,
	LDM_CMD_DOMAIN_DEL,
	LDM_CMD_DOMAIN_GET,

	__LDM_CMD_MAX,
	LDM_CMD_MAX = __LDM_CMD_MAX - 1
};

/**
 * enum ldm_attr - attributes of the "ldm" generic netlink family
 * @LDM_A_UNSPEC: unused
 * @LDM_A_PAD: padding for 64-bit attributes
 * @LDM_A_DOMAIN_NAME: NUL-terminated string, the domain name
 * @LDM_A_DOMAIN_SIZE: u64, guest RAM size in bytes (a multiple of the
 *	page size, at most the module parameter max_domain_mib)
 * @LDM_A_DOMAIN_PAGE_SIZE: u32, the page size of the domain (reply only)
 * @LDM_A_DOMAIN_RESIDENT: u64, pages allocated so far (reply only)
 * @LDM_A_DOMAIN_DIRTY: u64, pages written since the last harvest (reply
 *	only)
 * @LDM_A_DOMAIN_STATE: u32, &enum ldm_domain_state (reply only)
 * @LDM_A_DOMAIN_OPEN: u32, open files of the device node (reply only)
 * @LDM_A_DOMAIN_MAPPED: u32, memory mappings of the domain (reply only)
 * @LDM_A_DOMAIN_MINOR: u32, minor number of the device node (reply only)
 * @__LDM_A_MAX: internal
 * @LDM_A_MAX: highest attribute number
 */
enum ldm_attr {
	LDM_A_UNSPEC,
	LDM_A_PAD,
	LDM_A_DOMAIN_NAME,
	LDM_A_DOMAIN_SIZE,
	LDM_A_DOMAIN_PAGE_SIZE,
	LDM_A_DOMAIN_RESIDENT,
	LDM_A_DOMAIN_DIRTY,
	LDM_A_DOMAIN_STATE,
	LDM_A_DOMAIN_OPEN,
	LDM_A_DOMAIN_MAPPED,
	LDM_A_DOMAIN_MINOR,

	__LDM_A_MAX,
	LDM_A_MAX = __LDM_A_MAX - 1
};

/**
 * enum ldm_domain_state - life cycle of a domain
 * @LDM_DOMAIN_STATE_UNSPEC: unused
 * @LDM_DOMAIN_STATE_ACTIVE: guest RAM is usable and dirty tracking is on
 */
enum ldm_domain_state {
	LDM_DOMAIN_STATE_UNSPEC,
	LDM_DOMAIN_STATE_ACTIVE,
};

/**
 * struct ldm_harvest - argument of %LDM_IOC_HARVEST
 * @bitmap: user address of a bitmap with one bit per page of the domain,
 *	little-endian bit order within 64-bit words (bit i of word w is page
 *	64 * w + i)
 * @bitmap_bytes: size of that buffer; at least 8 * ceil(pages / 64)
 * @dirty: out: number of pages reported
 * @flags: must be 0
 * @pad: must be 0
 *
 * Fills @bitmap with the pages written since the previous harvest and
 * re-arms tracking, so that any write that lands after the call returns
 * is reported by a later harvest. On -EFAULT nothing is lost: the pages
 * stay dirty for the next harvest.
 */
struct ldm_harvest {
	__u64 bitmap;
	__u64 bitmap_bytes;
	__u64 dirty;
	__u32 flags;
	__u32 pad;
};

#define LDM_IOC_MAGIC		0xd6
#define LDM_IOC_HARVEST		_IOWR(LDM_IOC_MAGIC, 1, struct ldm_harvest)

#endif /* _UAPI_LINUX_LDM_H */
