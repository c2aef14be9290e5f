/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The statistics of the last migration of a domain from this host, kept
 * after it ends (as libvirt's 'virsh domjobinfo --completed'):
 * /run/ldm/migrate/<domain>.last, written whole by 'ldmctl migrate' when
 * it ends (succeeded, failed, cancelled, or with its outcome unknown),
 * while it still holds the domain's lock, and renamed into place; read by
 * 'ldmctl list -o status'.
 *
 * The file is lines of "key=value", each key at most once:
 *
 *   result=succeeded|failed|cancelled|unknown    required
 *   end_time=SECONDS since the epoch             required
 *   total_ms=MS rounds=N wire_bytes=B pages=N    required
 *   error=TEXT destination=HOST:TARGET           optional strings
 *   suspend_ms expected_suspend_ms dirty_rate
 *   dirty_limit throttled throttle_ms            optional numbers
 *
 * Numbers are decimal u64; strings are printable ASCII. A key made of
 * [a-z_] that is not known is skipped (a later ldmctl's); anything else
 * (a line without '=', a bad value, a key twice, a required key missing,
 * over LASTMIG_FILE_MAX bytes) makes the whole file malformed. The file
 * is taken only if it is a regular file of the reading user that nobody
 * else may write, as migrate-set's requests are (oplock.h).
 *
 * Parsing and formatting are free of I/O, for the unit tests.
 */
#ifndef LDMCTL_LASTMIG_H
#define LDMCTL_LASTMIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LASTMIG_UNKNOWN		UINT64_MAX	/* an optional number absent */
#define LASTMIG_FILE_MAX	4096
#define LASTMIG_ERROR_MAX	600
#define LASTMIG_DEST_MAX	300

enum lastmig_result {
	LASTMIG_SUCCEEDED,
	LASTMIG_FAILED,
	LASTMIG_CANCELLED,
	LASTMIG_UNKNOWN_OUTCOME,	/* lost the target while committing */
};

struct lastmig {
	enum lastmig_result result;
	char error[LASTMIG_ERROR_MAX];	/* "" none */
	char dest[LASTMIG_DEST_MAX];	/* "host:target", "" unknown */
	uint64_t end_time;		/* seconds since the epoch */
	uint64_t total_ms;
	uint64_t rounds;
	uint64_t wire_bytes;
	uint64_t pages;			/* pages handled, every round */
	/* LASTMIG_UNKNOWN when absent: */
	uint64_t suspend_ms;		/* the suspension measured */
	uint64_t expected_suspend_ms;	/* its forecast, when final was chosen */
	uint64_t dirty_rate;		/* pages/s, the last pre-copy round */
	uint64_t dirty_limit;		/* pages/s at the end, 0 none */
	uint64_t throttled;		/* write faults the limit made wait */
	uint64_t throttle_ms;		/* their waits */
};

/* "succeeded", "failed", "cancelled", "unknown". */
const char *lastmig_result_name(enum lastmig_result r);

/* Every optional figure unknown, the required ones 0, the strings empty. */
void lastmig_init(struct lastmig *l);

/*
 * lastmig_format() - the file's text. Bytes of the strings that are not
 * printable ASCII are written as '?', so that what is written parses.
 * Return: its length, or -ENOSPC if @size is too small.
 */
int lastmig_format(char *buf, size_t size, const struct lastmig *l);

/*
 * lastmig_parse() - @len bytes of @text (no NUL needed) into @l.
 * Return: 0, or -EINVAL with @why (a static string) and *@line (1-based,
 * 0 for the file as a whole) saying what is wrong.
 */
int lastmig_parse(const char *text, size_t len, struct lastmig *l,
		  const char **why, unsigned int *line);

/* The file's path for @domain, into @buf (128 bytes is enough). */
void lastmig_path(char *buf, size_t size, const char *domain);

/*
 * lastmig_write() - write @l as @domain's file: a temporary file, then
 * rename(2), so that a reader sees the old file or the new, whole.
 * Return: 0 or -errno.
 */
int lastmig_write(const char *domain, const struct lastmig *l);
/* The same at @path (PATH.new, then renamed). */
int lastmig_write_file(const char *path, const struct lastmig *l);

/*
 * lastmig_read() - @domain's file into @l.
 * Return: 0; -ENOENT if there is none; -EPERM when it is not a regular
 * file of this user that only this user may write; -EINVAL when it is
 * malformed; -errno. @why (@size bytes) says why for the last three.
 */
int lastmig_read(const char *domain, struct lastmig *l, char *why,
		 size_t size);
/* The same from @path. */
int lastmig_read_file(const char *path, struct lastmig *l, char *why,
		      size_t size);

#endif /* LDMCTL_LASTMIG_H */
