/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-page checksums for 'ldmctl migrate --verify': a fast 64-bit hash of
 * each page of a domain, computed by both ends over their own mapping of
 * the domain and compared after the last round. It detects corruption
 * and lost writes, not forgeries (the batches are authenticated already).
 */
#ifndef LDMCTL_PAGESUM_H
#define LDMCTL_PAGESUM_H

#include <stddef.h>
#include <stdint.h>

/* The hash of one page of @size bytes (a multiple of 8). */
uint64_t pagesum(const void *page, size_t size);

/*
 * pagesum_domain() - map /dev/ldm/NAME read-only and hash every page
 * @sums: out: malloc'd array of size / page_size entries
 * Reading a page the domain never touched allocates it (zeroed): --verify
 * costs memory on both ends, as much as the domain's size.
 * Return: 0 or -errno.
 */
int pagesum_domain(const char *name, uint64_t size, size_t page_size,
		   uint64_t **sums);

#endif /* LDMCTL_PAGESUM_H */
