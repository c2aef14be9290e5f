/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small, strict QMP client: QEMU's machine protocol, JSON over a unix
 * socket. It reads the greeting, negotiates capabilities (none), runs one
 * command at a time with a numeric "id" that the reply must echo, skips
 * asynchronous events, and treats anything else as a protocol error.
 * Every wait has a deadline. The JSON parser is strict RFC 8259 (no
 * trailing garbage, no control characters in strings, depth-limited) and
 * is exposed for the unit tests.
 */
#ifndef LDMCTL_QMP_H
#define LDMCTL_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- JSON values ---- */

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

#define JV_MAX_DEPTH	32

struct jv {
	enum jv_type type;
	bool b;			/* JV_BOOL */
	char *s;		/* JV_STR (UTF-8, NUL-free) or JV_NUM (its text) */
	size_t n;		/* items of JV_ARR / members of JV_OBJ */
	char **keys;		/* JV_OBJ */
	struct jv *items;	/* JV_ARR, JV_OBJ */
};

/*
 * jv_parse() - parse exactly one JSON value from @text (@len bytes;
 * whitespace around it allowed, nothing else).
 * Return: 0 and *@out (free with jv_free()), -EBADMSG, or -ENOMEM.
 */
int jv_parse(const char *text, size_t len, struct jv **out);
void jv_free(struct jv *v);

/* The member @key of object @v, or NULL (also if @v is not an object). */
const struct jv *jv_get(const struct jv *v, const char *key);
/* The string of @v, or NULL if @v is not a string (or NULL). */
const char *jv_str(const struct jv *v);

/* ---- the client ---- */

#define QMP_LINE_MAX	(1024 * 1024)
#define QMP_WHY_MAX	512

struct qmp {
	int fd;
	uint64_t next_id;
	char *buf;		/* received bytes not yet taken */
	size_t len;
	char why[QMP_WHY_MAX];	/* the reason of the last failure */
	char version[32];	/* QEMU's, from the greeting */
};

enum qmp_kind {
	QMP_GREETING,		/* {"QMP": {...}} */
	QMP_EVENT,		/* {"event": "...", ...} */
	QMP_RETURN,		/* {"return": ..., "id": N} */
	QMP_ERROR,		/* {"error": {"class", "desc"}, "id": N} */
};

/*
 * qmp_classify() - what one QMP message is. For QMP_RETURN and QMP_ERROR
 * *@id is its id (a non-negative integer; a reply without one, or with
 * another kind of id, is malformed).
 * Return: the kind, or -EBADMSG (@why says what is wrong).
 */
int qmp_classify(const struct jv *msg, uint64_t *id, char *why, size_t whylen);

/*
 * qmp_open() - connect to the unix socket @path, read the greeting and
 * send qmp_capabilities, all within @timeout_ms. qmp_open_fd() does the
 * same on a connected socket (which it then owns, even on failure).
 * Return: 0; -errno (q->why says what failed).
 */
int qmp_open(struct qmp *q, const char *path, int timeout_ms);
int qmp_open_fd(struct qmp *q, int fd, int timeout_ms);
void qmp_close(struct qmp *q);

/*
 * qmp_exec() - run one command and wait for its reply.
 * @cmd: the command's name (plain ASCII, no quoting needed)
 * @args: its "arguments" object as JSON text, or NULL
 * @pass_fd: a file descriptor to send along (SCM_RIGHTS, for getfd), or -1
 * @ret: out, may be NULL: the "return" value (free with jv_free())
 * Events that arrive meanwhile are skipped.
 * Return: 0; -EREMOTEIO if QEMU answered with an error (q->why holds its
 * class and description); -ETIMEDOUT; -EPIPE if QEMU closed the socket;
 * -EBADMSG for anything that is not QMP; -errno otherwise.
 */
int qmp_exec(struct qmp *q, const char *cmd, const char *args, int pass_fd,
	     int timeout_ms, struct jv **ret);

/*
 * qmp_status() - "query-status": the run state's name (e.g. "running",
 * "paused", "inmigrate", "postmigrate") into @st.
 */
int qmp_status(struct qmp *q, char *st, size_t stlen, int timeout_ms);

#endif /* LDMCTL_QMP_H */
