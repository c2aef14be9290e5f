/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Domain names, checked by the same rules as the module so that a bad name
 * is refused with the same words before the kernel is ever asked.
 */
#ifndef LDMCTL_NAME_H
#define LDMCTL_NAME_H

/*
 * name_validate() - check a domain name
 * @name: the name (NULL means it is missing)
 * @why: out: on failure, the reason, worded as the kernel words it
 *
 * A name is 1 to LDM_NAME_MAX - 1 bytes of [A-Za-z0-9_.-] and is neither
 * "." nor "..": it becomes the file name /dev/ldm/<name>.
 *
 * Return: 0, -EINVAL or -ENAMETOOLONG.
 */
int name_validate(const char *name, const char **why);

#endif /* LDMCTL_NAME_H */
