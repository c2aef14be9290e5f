/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run-time files of the migration commands, under /run/ldm:
 *
 * migrate/<domain>.lock  held (fcntl write lock) by the 'ldmctl migrate'
 *	of that domain while it runs. 'ldmctl cancel-operation' asks the
 *	lock who holds it (F_GETLK), signals that process, and waits for the
 *	lock to go. The file's one line is the migration's status
 *	("running", "cancelled", "failed: ...", "migrated to HOST:DOMAIN").
 * incoming/<domain>      written by the 'ldmctl serve' process that is
 *	creating that target domain (its pid) and removed once the domain is
 *	committed or discarded. A marker whose process is gone names a
 *	half-made domain that serve discards.
 */
#ifndef LDMCTL_OPLOCK_H
#define LDMCTL_OPLOCK_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * oplock_acquire() - take the lock of @domain's migration
 * Return: the lock's fd, -EBUSY with @holder if another process has it,
 * or -errno.
 */
int oplock_acquire(const char *domain, pid_t *holder);

/* Replace the status line. */
void oplock_status(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Drop the lock (closing the file releases it). */
void oplock_release(int fd);

/*
 * oplock_holder() - who holds @domain's lock
 * Return: 0 and @pid (0 if nobody); -ENOENT if no migration of it ever
 * ran here; -errno.
 */
int oplock_holder(const char *domain, pid_t *pid);

/* The status line of @domain's lock file, into @buf. */
int oplock_read_status(const char *domain, char *buf, size_t size);

int incoming_mark(const char *domain);
void incoming_unmark(const char *domain);

/*
 * incoming_owner() - the pid in @domain's marker.
 * Return: 0, -ENOENT, or -EINVAL for a marker that does not parse.
 */
int incoming_owner(const char *domain, pid_t *pid);

/*
 * incoming_orphans() - call @fn for each marker whose process is gone (or
 * is @dead, a child that was just reaped).
 */
void incoming_orphans(pid_t dead, void (*fn)(const char *domain, void *arg),
		      void *arg);

#endif /* LDMCTL_OPLOCK_H */
