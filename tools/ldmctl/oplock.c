// SPDX-License-Identifier: GPL-2.0
/* Run-time files of the migration commands; see oplock.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "name.h"
#include "oplock.h"

static int run_dir(const char *sub)
{
	if (mkdir(LDM_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	if (mkdir(sub, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static void lock_path(char *buf, size_t size, const char *domain)
{
	snprintf(buf, size, LDM_RUN_MIGRATE_DIR "/%s.lock", domain);
}

int oplock_acquire(const char *domain, pid_t *holder)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[128];
	int fd, err;

	*holder = 0;
	err = run_dir(LDM_RUN_MIGRATE_DIR);
	if (err)
		return err;
	lock_path(path, sizeof(path), domain);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fcntl(fd, F_SETLK, &fl)) {
		err = -errno;
		if (err == -EAGAIN || err == -EACCES) {
			if (!fcntl(fd, F_GETLK, &fl) && fl.l_type != F_UNLCK)
				*holder = fl.l_pid;
			err = -EBUSY;
		}
		close(fd);
		return err;
	}
	oplock_status(fd, "running");
	return fd;
}

void oplock_status(int fd, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/*
	 * Write, then cut: a reader ('ldmctl list -o status', several times
	 * a second) never finds the file empty, and what a longer old line
	 * leaves past the newline is cut or ignored.
	 */
	if (pwrite(fd, line, (size_t)n, 0) < 0 || ftruncate(fd, n))
		return;	/* the status is a courtesy; the lock is what counts */
}

void oplock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}

int oplock_holder(const char *domain, pid_t *pid)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[128];
	int fd, err = 0;

	*pid = 0;
	lock_path(path, sizeof(path), domain);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fcntl(fd, F_GETLK, &fl))
		err = -errno;
	else if (fl.l_type != F_UNLCK)
		*pid = fl.l_pid;
	close(fd);
	return err;
}

int oplock_read_status(const char *domain, char *buf, size_t size)
{
	char path[128];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	lock_path(path, sizeof(path), domain);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void request_path(char *buf, size_t size, const char *domain,
			 const char *suffix)
{
	snprintf(buf, size, LDM_RUN_MIGRATE_DIR "/%s.set%s", domain, suffix);
}

int oplock_request_put(const char *domain, const char *text)
{
	char tmp[160], path[160];
	size_t len = strlen(text);
	int fd, err = 0;

	err = run_dir(LDM_RUN_MIGRATE_DIR);
	if (err)
		return err;
	request_path(tmp, sizeof(tmp), domain, ".new");
	request_path(path, sizeof(path), domain, "");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	/* Whole or not at all: the migrate never reads half a request. */
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

bool oplock_request_pending(const char *domain)
{
	char path[160];

	request_path(path, sizeof(path), domain, "");
	return !access(path, F_OK);
}

void oplock_request_drop(const char *domain)
{
	char path[160];

	request_path(path, sizeof(path), domain, "");
	unlink(path);
}

int oplock_request_take(const char *domain, char *buf, size_t size)
{
	char path[160];
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	buf[0] = '\0';
	request_path(path, sizeof(path), domain, "");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	/* Only what this user wrote, and nobody else could have. */
	if (fstat(fd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
		 (st.st_mode & 022))
		err = -EPERM;
	if (!err) {
		n = read(fd, buf, size - 1);
		if (n < 0)
			err = -errno;
		else
			buf[n] = '\0';
	}
	close(fd);
	unlink(path);
	return err;
}

int oplock_request_parse(char *text, uint64_t *downtime_ms,
			 uint64_t *bandwidth)
{
	uint64_t downtime = *downtime_ms, bw = *bandwidth;
	char *line, *save = NULL, *end;
	unsigned long long v;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq || eq[1] < '0' || eq[1] > '9')
			return -EINVAL;
		*eq = '\0';
		errno = 0;
		v = strtoull(eq + 1, &end, 10);
		if (*end || errno)
			return -EINVAL;
		if (!strcmp(line, "downtime-limit") && v >= 1 &&
		    v <= OPLOCK_DOWNTIME_MAX)
			downtime = v;
		else if (!strcmp(line, "bandwidth"))
			bw = v;
		else
			return -EINVAL;
	}
	*downtime_ms = downtime;
	*bandwidth = bw;
	return 0;
}

static void marker_path(char *buf, size_t size, const char *domain)
{
	snprintf(buf, size, LDM_RUN_INCOMING_DIR "/%s", domain);
}

int incoming_mark(const char *domain)
{
	char path[128], line[32];
	int fd, err, n;

	err = run_dir(LDM_RUN_INCOMING_DIR);
	if (err)
		return err;
	marker_path(path, sizeof(path), domain);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	err = write(fd, line, (size_t)n) == n ? 0 : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

void incoming_unmark(const char *domain)
{
	char path[128];

	marker_path(path, sizeof(path), domain);
	unlink(path);
}

int incoming_owner(const char *domain, pid_t *pid)
{
	char path[128], line[32], *end;
	ssize_t n;
	long v;
	int fd;

	marker_path(path, sizeof(path), domain);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	line[n] = '\0';
	v = strtol(line, &end, 10);
	if (v <= 0 || *end != '\n')
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

void incoming_orphans(pid_t dead, void (*fn)(const char *domain, void *arg),
		      void *arg)
{
	struct dirent *d;
	const char *why;
	DIR *dp;
	pid_t pid;

	dp = opendir(LDM_RUN_INCOMING_DIR);
	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (name_validate(d->d_name, &why) || d->d_name[0] == '.')
			continue;
		int r = incoming_owner(d->d_name, &pid);

		if (r == -ENOENT)
			continue;
		/* A marker half-written by a dying process is an orphan too. */
		if (r == -EINVAL || pid == dead ||
		    (kill(pid, 0) && errno == ESRCH))
			fn(d->d_name, arg);
	}
	closedir(dp);
}
