// SPDX-License-Identifier: GPL-2.0
/* The statistics of a domain's last migration, kept; see lastmig.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "lastmig.h"

enum field_kind { FIELD_U64, FIELD_STR, FIELD_RESULT };

struct field {
	const char *key;
	enum field_kind kind;
	bool required;
	size_t off;
	size_t size;		/* FIELD_STR: the buffer's */
};

#define U64(k, req) { #k, FIELD_U64, req, offsetof(struct lastmig, k), 0 }
#define STR(k, m) { #k, FIELD_STR, false, offsetof(struct lastmig, m), \
		    sizeof(((struct lastmig *)0)->m) }

/* In the order they are written. */
static const struct field fields[] = {
	{ "result", FIELD_RESULT, true, offsetof(struct lastmig, result), 0 },
	STR(error, error),
	STR(destination, dest),
	U64(end_time, true),
	U64(total_ms, true),
	U64(suspend_ms, false),
	U64(expected_suspend_ms, false),
	U64(rounds, true),
	U64(wire_bytes, true),
	U64(pages, true),
	U64(dirty_rate, false),
	U64(dirty_limit, false),
	U64(throttled, false),
	U64(throttle_ms, false),
};

#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

static const char *const result_names[] = {
	[LASTMIG_SUCCEEDED]	  = "succeeded",
	[LASTMIG_FAILED]	  = "failed",
	[LASTMIG_CANCELLED]	  = "cancelled",
	[LASTMIG_UNKNOWN_OUTCOME] = "unknown",
};

const char *lastmig_result_name(enum lastmig_result r)
{
	if ((unsigned int)r >= sizeof(result_names) / sizeof(result_names[0]))
		return "unknown";
	return result_names[r];
}

void lastmig_init(struct lastmig *l)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < NFIELDS; i++)
		if (fields[i].kind == FIELD_U64 && !fields[i].required)
			*(uint64_t *)((char *)l + fields[i].off) =
				LASTMIG_UNKNOWN;
}

static bool printable(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/* One "key=value\n" at @buf + *@n; false if it does not fit. */
static bool put_field(char *buf, size_t size, size_t *n,
		      const struct field *f, const struct lastmig *l)
{
	const char *p = (const char *)l + f->off;
	size_t room = size - *n, len, i;
	int w;

	if (f->kind == FIELD_U64) {
		uint64_t v = *(const uint64_t *)p;

		if (v == LASTMIG_UNKNOWN)
			return true;
		w = snprintf(buf + *n, room, "%s=%" PRIu64 "\n", f->key, v);
	} else if (f->kind == FIELD_RESULT) {
		w = snprintf(buf + *n, room, "%s=%s\n", f->key,
			     lastmig_result_name(l->result));
	} else {
		if (!*p)
			return true;
		w = snprintf(buf + *n, room, "%s=%s\n", f->key, p);
		if (w > 0 && (size_t)w < room) {
			len = strlen(f->key) + 1;
			for (i = len; i + 1 < (size_t)w; i++)
				if (!printable((unsigned char)buf[*n + i]))
					buf[*n + i] = '?';
		}
	}
	if (w < 0 || (size_t)w >= room)
		return false;
	*n += (size_t)w;
	return true;
}

int lastmig_format(char *buf, size_t size, const struct lastmig *l)
{
	size_t n = 0, i;

	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	for (i = 0; i < NFIELDS; i++)
		if (!put_field(buf, size, &n, &fields[i], l))
			return -ENOSPC;
	return (int)n;
}

/* A decimal u64 of exactly @len bytes, not UINT64_MAX (unknown). */
static bool parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (!len || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	if (x == LASTMIG_UNKNOWN)
		return false;
	*v = x;
	return true;
}

static bool parse_value(const struct field *f, const char *v, size_t len,
			struct lastmig *l)
{
	char *p = (char *)l + f->off;
	size_t i;

	switch (f->kind) {
	case FIELD_U64:
		return parse_u64(v, len, (uint64_t *)p);
	case FIELD_RESULT:
		for (i = 0; i < sizeof(result_names) / sizeof(result_names[0]);
		     i++) {
			if (strlen(result_names[i]) == len &&
			    !memcmp(result_names[i], v, len)) {
				l->result = (enum lastmig_result)i;
				return true;
			}
		}
		return false;
	case FIELD_STR:
		if (len >= f->size)
			return false;
		memcpy(p, v, len);
		p[len] = '\0';
		return true;
	}
	return false;
}

static bool key_syntax(const char *k, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((k[i] < 'a' || k[i] > 'z') && k[i] != '_')
			return false;
	return len > 0;
}

/* One line (without its newline); *@seen marks the keys found. */
static int parse_line(const char *s, size_t len, struct lastmig *l,
		      bool *seen, const char **why)
{
	const char *eq = memchr(s, '=', len);
	size_t klen, i;

	for (i = 0; i < len; i++) {
		if (!printable((unsigned char)s[i])) {
			*why = "a byte that is not printable ASCII";
			return -EINVAL;
		}
	}
	if (!eq || !key_syntax(s, (size_t)(eq - s))) {
		*why = "not key=value";
		return -EINVAL;
	}
	klen = (size_t)(eq - s);
	for (i = 0; i < NFIELDS; i++) {
		if (strlen(fields[i].key) != klen ||
		    memcmp(fields[i].key, s, klen))
			continue;
		if (seen[i]) {
			*why = "a key given twice";
			return -EINVAL;
		}
		seen[i] = true;
		if (!parse_value(&fields[i], eq + 1, len - klen - 1, l)) {
			*why = "a value that does not parse";
			return -EINVAL;
		}
		return 0;
	}
	return 0;	/* a key of a later ldmctl */
}

int lastmig_parse(const char *text, size_t len, struct lastmig *l,
		  const char **why, unsigned int *line)
{
	bool seen[NFIELDS] = { false };
	size_t pos = 0, i;

	lastmig_init(l);
	*line = 0;
	if (len > LASTMIG_FILE_MAX) {
		*why = "too long";
		return -EINVAL;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		(*line)++;
		if (!nl) {
			*why = "no newline at the end";
			return -EINVAL;
		}
		if (parse_line(text + pos, n, l, seen, why))
			return -EINVAL;
		pos += n + 1;
	}
	*line = 0;
	for (i = 0; i < NFIELDS; i++) {
		if (fields[i].required && !seen[i]) {
			*why = "a required key is missing";
			return -EINVAL;
		}
	}
	return 0;
}

void lastmig_path(char *buf, size_t size, const char *domain)
{
	snprintf(buf, size, LDM_RUN_MIGRATE_DIR "/%s.last", domain);
}

int lastmig_write(const char *domain, const struct lastmig *l)
{
	char path[128];

	if (mkdir(LDM_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	if (mkdir(LDM_RUN_MIGRATE_DIR, 0700) && errno != EEXIST)
		return -errno;
	lastmig_path(path, sizeof(path), domain);
	return lastmig_write_file(path, l);
}

int lastmig_write_file(const char *path, const struct lastmig *l)
{
	char text[LASTMIG_FILE_MAX], tmp[PATH_MAX];
	int fd, len, err = 0;

	len = lastmig_format(text, sizeof(text), l);
	if (len < 0)
		return len;
	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)len) != len)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	/* Whole or not at all: a reader sees the old file or this one. */
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* Only what this user wrote, and nobody else could have. */
static int read_checked(int fd, char *buf, size_t size, ssize_t *n)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022))
		return -EPERM;
	*n = read(fd, buf, size);
	return *n < 0 ? -errno : 0;
}

int lastmig_read(const char *domain, struct lastmig *l, char *why,
		 size_t size)
{
	char path[128];

	lastmig_path(path, sizeof(path), domain);
	return lastmig_read_file(path, l, why, size);
}

int lastmig_read_file(const char *path, struct lastmig *l, char *why,
		      size_t size)
{
	char text[LASTMIG_FILE_MAX + 1];
	const char *what = NULL;
	unsigned int line;
	ssize_t n = 0;
	int fd, err;

	why[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		err = errno == ELOOP ? -EPERM : -errno;
		if (err != -ENOENT)
			snprintf(why, size, "%s", err == -EPERM ?
				 "a symbolic link" : strerror(-err));
		return err;
	}
	err = read_checked(fd, text, sizeof(text), &n);
	close(fd);
	if (err == -EPERM)
		snprintf(why, size, "not a regular file of this user that only this user may write");
	else if (err)
		snprintf(why, size, "%s", strerror(-err));
	else if (lastmig_parse(text, (size_t)n, l, &what, &line)) {
		err = -EINVAL;
		if (line)
			snprintf(why, size, "malformed: line %u: %s", line, what);
		else
			snprintf(why, size, "malformed: %s", what);
	}
	return err;
}
