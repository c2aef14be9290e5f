/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page bitmaps: one bit per page of a domain, and their user ABI layout.
 */
#ifndef _LDM_PAGEBITS_H
#define _LDM_PAGEBITS_H

#include <linux/types.h>

unsigned long *ldm_pagebits_alloc(pgoff_t npages);
void ldm_pagebits_free(unsigned long *bits);
bool ldm_pagebits_user_fits(u64 ubytes, pgoff_t npages);
int ldm_pagebits_to_user(u64 uaddr, const unsigned long *bits,
			 pgoff_t npages);
int ldm_pagebits_from_user(unsigned long *bits, u64 uaddr, pgoff_t npages);

#endif /* _LDM_PAGEBITS_H */
