/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Password files. 'ldmctl migrate -p FILE' reads the password from the
 * first line of FILE; 'ldmctl serve -p FILE' checks passwords against
 * FILE, whose lines are PASSWORD (any user) or USER:PASSWORD. Both files
 * hold secrets, so both must be readable by their owner only: a file
 * readable or writable by group or others is refused, as ssh refuses a
 * private key.
 */
#ifndef LDMCTL_PWFILE_H
#define LDMCTL_PWFILE_H

#include <stdbool.h>
#include <stddef.h>

#define PW_MAX		256
#define PW_FILE_MAX	(64 * 1024)

/*
 * pwfile_read() - the whole file, after checking it is a regular file of
 * mode 0600 or stricter and at most PW_FILE_MAX bytes
 * @buf: out: malloc'd, NUL-terminated; free with pwfile_free()
 * Return: 0, -EPERM (permissions, @why says so), or -errno.
 */
int pwfile_read(const char *path, char **buf, const char **why);

/*
 * pwfile_read_check() - serve's password check file: pwfile_read(), and
 * owned by root or by the caller (-EPERM, "is not owned by root", and
 * nothing in @buf otherwise)
 */
int pwfile_read_check(const char *path, char **buf, const char **why);
void pwfile_free(char *buf);

/*
 * pw_first_line() - the password of a client file: its first line, without
 * the line end, 1 to PW_MAX bytes.
 * Return: 0, or -EINVAL with @why.
 */
int pw_first_line(const char *text, char out[PW_MAX + 1], const char **why);

/*
 * pw_check() - does @password of @user (may be "") match a line of a
 * check file? Comparisons take the same time whatever the bytes.
 */
bool pw_check(const char *text, const char *user, const char *password);

#endif /* LDMCTL_PWFILE_H */
