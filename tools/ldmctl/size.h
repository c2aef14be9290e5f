/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Byte sizes as people write them (64M, 1G, 4096) and as they read them.
 * Units are binary: K = 1024.
 */
#ifndef LDMCTL_SIZE_H
#define LDMCTL_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* Enough for any formatted size: "18446744073709551615" plus the NUL. */
#define SIZE_STR_MAX	24

/*
 * size_parse() - read a byte count
 * @s: decimal digits and an optional suffix K, M, G, T, P or E (either
 *	case); nothing else, not even spaces or a sign
 * @bytes: out: the size in bytes
 * @why: out: on failure, what is wrong, for the user
 *
 * Return: 0; -EINVAL for something that is not a size, or is negative,
 * fractional or zero; -ERANGE if it does not fit in 64 bits.
 */
int size_parse(const char *s, uint64_t *bytes, const char **why);

/*
 * size_format() - write @bytes for people: "0", "512", "64M", "1G" when
 * exact; one decimal ("1.5G", "1.0M") when rounded, so a decimal point
 * always means "about".
 * @buf: at least SIZE_STR_MAX bytes are always enough
 *
 * Return: @buf.
 */
char *size_format(uint64_t bytes, char *buf, size_t size);

#endif /* LDMCTL_SIZE_H */
