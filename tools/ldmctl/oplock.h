/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run-time files of the migration commands, under /run/ldm:
 *
 * migrate/<domain>.lock  held (fcntl write lock) by the 'ldmctl migrate'
 *	of that domain while it runs. 'ldmctl cancel-operation' asks the
 *	lock who holds it (F_GETLK), signals that process, and waits for the
 *	lock to go. The file's one line is the migration's status
 *	("running", "cancelled", "failed: ...", "migrated to HOST:DOMAIN").
 * migrate/<domain>.set   a change to the running migration ('ldmctl
 *	migrate-set': "downtime-limit=MS", "bandwidth=BYTES/S" lines),
 *	written whole (renamed into place) and taken (read and removed) by
 *	that migration from its next round on.
 * migrate/<domain>.last  the statistics of the last migration of that
 *	domain, kept after it ends (lastmig.h).
 * incoming/<domain>      written by the 'ldmctl serve' process that is
 *	creating that target domain (its pid) and removed once the domain is
 *	committed or discarded. A marker whose process is gone names a
 *	half-made domain that serve discards.
 */
#ifndef LDMCTL_OPLOCK_H
#define LDMCTL_OPLOCK_H

#include <stdbool.h>
#include <stdint.h>
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

/* oplock_request_put() - write @text as @domain's change request. */
int oplock_request_put(const char *domain, const char *text);
/* Whether @domain's request is still there (not taken yet). */
bool oplock_request_pending(const char *domain);
void oplock_request_drop(const char *domain);
/*
 * oplock_request_take() - read and remove @domain's request, into @buf.
 * Return: 0; -ENOENT when there is none; -EPERM (removed unread) when it
 * is not a regular file of this user that only this user may write.
 */
int oplock_request_take(const char *domain, char *buf, size_t size);

/* The largest downtime limit, ms, as migrate --downtime-limit takes. */
#define OPLOCK_DOWNTIME_MAX	3600000u

/*
 * oplock_request_parse() - a request's lines ("downtime-limit=MS",
 * "bandwidth=BYTES/S"), into *@downtime_ms and *@bandwidth, which keep
 * their values for what it does not name. @text is cut up.
 * Return: 0, or -EINVAL (nothing changed) for anything else.
 */
int oplock_request_parse(char *text, uint64_t *downtime_ms,
			 uint64_t *bandwidth);

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
