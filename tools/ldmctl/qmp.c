// SPDX-License-Identifier: GPL-2.0
/*
 * A strict QMP client and the JSON parser it needs; see qmp.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

/* ---- JSON ---- */

struct parser {
	const char *p, *end;
	int depth;
	int err;		/* -EBADMSG or -ENOMEM, sticky */
};

static void ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool lit(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return false;
	ps->p += n;
	return true;
}

static int hex4(struct parser *ps, unsigned int *v)
{
	int i;

	*v = 0;
	if (ps->end - ps->p < 4)
		return -EBADMSG;
	for (i = 0; i < 4; i++) {
		char c = *ps->p++;

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned int)(c - 'A' + 10);
		else
			return -EBADMSG;
	}
	return 0;
}

static size_t utf8_put(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * The length of the well-formed UTF-8 sequence (RFC 3629) at @s, whose
 * lead byte is 0x80 or more, or 0 if it is not one: a stray continuation
 * byte, an overlong form, a surrogate, or beyond U+10FFFF. It stops at the
 * first byte that is not a continuation, so never reads past the string's
 * closing quote.
 */
static size_t utf8_len(const unsigned char *s)
{
	unsigned int cp, n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * A string literal (at its opening quote); NULs are refused (C strings),
 * and so are bytes that are not UTF-8 (RFC 8259, section 8.1).
 */
static char *string(struct parser *ps)
{
	const char *start = ++ps->p;
	char *out, *o;

	/* The decoded string is never longer than its literal. */
	while (ps->p < ps->end && *ps->p != '"') {
		if (*ps->p == '\\')
			ps->p++;
		ps->p++;
	}
	if (ps->p >= ps->end) {
		ps->err = -EBADMSG;
		return NULL;
	}
	out = malloc((size_t)(ps->p - start) + 1);
	if (!out) {
		ps->err = -ENOMEM;
		return NULL;
	}
	ps->p = start;
	o = out;
	while (*ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p++;
		unsigned int cp, lo;

		if (c < 0x20)
			goto bad;
		if (c >= 0x80) {
			size_t k = utf8_len((const unsigned char *)ps->p - 1);

			if (!k)
				goto bad;
			memcpy(o, ps->p - 1, k);
			o += k;
			ps->p += k - 1;
			continue;
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		c = (unsigned char)*ps->p++;
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (hex4(ps, &cp) || !cp)
				goto bad;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				goto bad;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (!lit(ps, "\\u") || hex4(ps, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			/* \uXXXX is 6 bytes, its UTF-8 at most 3 (4 for 12) */
			o += utf8_put(o, cp);
			break;
		default:
			goto bad;
		}
	}
	ps->p++;
	*o = '\0';
	return out;
bad:
	free(out);
	ps->err = -EBADMSG;
	return NULL;
}

static bool digits(struct parser *ps)
{
	const char *s = ps->p;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	return ps->p > s;
}

static char *number(struct parser *ps)
{
	const char *s = ps->p;
	char *out;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0')
		ps->p++;
	else if (!digits(ps))
		goto bad;
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!digits(ps))
			goto bad;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!digits(ps))
			goto bad;
	}
	out = strndup(s, (size_t)(ps->p - s));
	if (!out)
		ps->err = -ENOMEM;
	return out;
bad:
	ps->err = -EBADMSG;
	return NULL;
}

static void value(struct parser *ps, struct jv *v);

/* Append one item (and key) to a container. */
static struct jv *grow(struct parser *ps, struct jv *v, char *key)
{
	struct jv *items = realloc(v->items, (v->n + 1) * sizeof(*items));

	if (!items) {
		ps->err = -ENOMEM;
		free(key);
		return NULL;
	}
	v->items = items;
	if (v->type == JV_OBJ) {
		char **keys = realloc(v->keys, (v->n + 1) * sizeof(*keys));

		if (!keys) {
			ps->err = -ENOMEM;
			free(key);
			return NULL;
		}
		v->keys = keys;
		keys[v->n] = key;
	}
	memset(&items[v->n], 0, sizeof(items[0]));
	return &items[v->n++];
}

static void container(struct parser *ps, struct jv *v, char close)
{
	struct jv *item;
	char *key = NULL;

	if (++ps->depth > JV_MAX_DEPTH) {
		ps->err = -EBADMSG;
		return;
	}
	ps->p++;
	ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return;
	}
	for (;;) {
		ws(ps);
		if (v->type == JV_OBJ) {
			if (ps->p >= ps->end || *ps->p != '"') {
				ps->err = -EBADMSG;
				return;
			}
			key = string(ps);
			if (!key)
				return;
			ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				ps->err = -EBADMSG;
				return;
			}
			ps->p++;
			if (jv_get(v, key)) {	/* duplicate member */
				free(key);
				ps->err = -EBADMSG;
				return;
			}
		}
		item = grow(ps, v, key);
		if (!item)
			return;
		value(ps, item);
		if (ps->err)
			return;
		ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			ps->depth--;
			return;
		}
		ps->err = -EBADMSG;
		return;
	}
}

static void value(struct parser *ps, struct jv *v)
{
	ws(ps);
	if (ps->p >= ps->end) {
		ps->err = -EBADMSG;
		return;
	}
	switch (*ps->p) {
	case '{':
		v->type = JV_OBJ;
		container(ps, v, '}');
		break;
	case '[':
		v->type = JV_ARR;
		container(ps, v, ']');
		break;
	case '"':
		v->type = JV_STR;
		v->s = string(ps);
		break;
	case 't':
	case 'f':
	case 'n':
		if (lit(ps, "true")) {
			v->type = JV_BOOL;
			v->b = true;
		} else if (lit(ps, "false")) {
			v->type = JV_BOOL;
		} else if (lit(ps, "null")) {
			v->type = JV_NULL;
		} else {
			ps->err = -EBADMSG;
		}
		break;
	default:
		v->type = JV_NUM;
		v->s = number(ps);
		break;
	}
}

static void jv_clear(struct jv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		jv_clear(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
}

void jv_free(struct jv *v)
{
	if (!v)
		return;
	jv_clear(v);
	free(v);
}

int jv_parse(const char *text, size_t len, struct jv **out)
{
	struct parser ps = { .p = text, .end = text + len };
	struct jv *v = calloc(1, sizeof(*v));

	*out = NULL;
	if (!v)
		return -ENOMEM;
	value(&ps, v);
	if (!ps.err) {
		ws(&ps);
		if (ps.p != ps.end)
			ps.err = -EBADMSG;
	}
	if (ps.err) {
		jv_free(v);
		return ps.err;
	}
	*out = v;
	return 0;
}

const struct jv *jv_get(const struct jv *v, const char *key)
{
	size_t i;

	if (!v || v->type != JV_OBJ)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (v->keys[i] && !strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

const char *jv_str(const struct jv *v)
{
	return v && v->type == JV_STR ? v->s : NULL;
}

/* ---- QMP messages ---- */

int qmp_classify(const struct jv *msg, uint64_t *id, char *why, size_t whylen)
{
	const struct jv *idv, *e;
	char *end;

	if (msg->type != JV_OBJ) {
		snprintf(why, whylen, "a QMP message that is not a JSON object");
		return -EBADMSG;
	}
	if (jv_get(msg, "QMP")) {
		if (jv_get(msg, "QMP")->type != JV_OBJ || msg->n != 1) {
			snprintf(why, whylen, "a malformed QMP greeting");
			return -EBADMSG;
		}
		return QMP_GREETING;
	}
	if (jv_get(msg, "event")) {
		if (!jv_str(jv_get(msg, "event"))) {
			snprintf(why, whylen, "an event without a name");
			return -EBADMSG;
		}
		return QMP_EVENT;
	}
	idv = jv_get(msg, "id");
	if (!jv_get(msg, "return") && !jv_get(msg, "error")) {
		snprintf(why, whylen, "a QMP message that is neither a reply nor an event");
		return -EBADMSG;
	}
	if (jv_get(msg, "return") && jv_get(msg, "error")) {
		snprintf(why, whylen, "a QMP reply with both return and error");
		return -EBADMSG;
	}
	if (!idv || idv->type != JV_NUM || idv->s[0] == '-' ||
	    strpbrk(idv->s, ".eE")) {
		snprintf(why, whylen, "a QMP reply without our numeric id");
		return -EBADMSG;
	}
	errno = 0;
	*id = strtoull(idv->s, &end, 10);
	if (errno || *end) {
		snprintf(why, whylen, "a QMP reply with an id out of range");
		return -EBADMSG;
	}
	e = jv_get(msg, "error");
	if (!e)
		return QMP_RETURN;
	if (!jv_str(jv_get(e, "class")) || !jv_str(jv_get(e, "desc"))) {
		snprintf(why, whylen, "a QMP error without class or description");
		return -EBADMSG;
	}
	return QMP_ERROR;
}

/* ---- the client ---- */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct qmp *q, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct qmp *q, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->why, sizeof(q->why), fmt, ap);
	va_end(ap);
	return err;
}

/* The next message (one line of JSON), by @deadline. */
static int next_msg(struct qmp *q, int64_t deadline, struct jv **msg)
{
	*msg = NULL;
	for (;;) {
		char *nl = q->buf ? memchr(q->buf, '\n', q->len) : NULL;
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		int64_t left;
		ssize_t r;
		char *nb;
		int err;

		if (nl) {
			size_t n = (size_t)(nl - q->buf);

			err = jv_parse(q->buf, n, msg);
			memmove(q->buf, nl + 1, q->len - n - 1);
			q->len -= n + 1;
			if (err)
				return fail(q, err, "QEMU sent something that is not JSON");
			return 0;
		}
		if (q->len >= QMP_LINE_MAX)
			return fail(q, -EBADMSG, "a QMP message over %d bytes",
				    QMP_LINE_MAX);
		left = deadline - mono_ms();
		if (left <= 0)
			return fail(q, -ETIMEDOUT, "no answer from QEMU in time");
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail(q, -errno, "poll: %s", strerror(errno));
		if (!r)
			continue;
		nb = realloc(q->buf, q->len + 4096 + 1);
		if (!nb)
			return fail(q, -ENOMEM, "out of memory");
		q->buf = nb;
		r = recv(q->fd, q->buf + q->len, 4096, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0 && errno != ECONNRESET)
			return fail(q, -errno, "reading QMP: %s", strerror(errno));
		if (r <= 0)
			return fail(q, -EPIPE, "QEMU closed its QMP socket");
		q->len += (size_t)r;
	}
}

static int send_all(struct qmp *q, const char *s, size_t n, int pass_fd,
		    int64_t deadline)
{
	while (n) {
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { .iov_base = (void *)s, .iov_len = n };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct pollfd p = { .fd = q->fd, .events = POLLOUT };
		int64_t left = deadline - mono_ms();
		ssize_t w;

		if (left <= 0)
			return fail(q, -ETIMEDOUT, "QEMU does not read its QMP socket");
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (pass_fd >= 0) {	/* with the first bytes only */
			struct cmsghdr *c;

			mh.msg_control = cbuf;
			mh.msg_controllen = sizeof(cbuf);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
		}
		w = sendmsg(q->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return fail(q, errno == EPIPE || errno == ECONNRESET ?
				    -EPIPE : -errno,
				    "writing QMP: %s", strerror(errno));
		pass_fd = -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int exec_until(struct qmp *q, const char *cmd, const char *args,
		      int pass_fd, int64_t deadline, struct jv **ret)
{
	uint64_t id = q->next_id++, got;
	char why[128];
	struct jv *msg;
	char *text;
	int err, kind;

	if (ret)
		*ret = NULL;
	if (asprintf(&text, "{\"execute\": \"%s\"%s%s, \"id\": %llu}\n", cmd,
		     args ? ", \"arguments\": " : "", args ? args : "",
		     (unsigned long long)id) < 0)
		return fail(q, -ENOMEM, "out of memory");
	err = send_all(q, text, strlen(text), pass_fd, deadline);
	free(text);
	if (err)
		return err;
	for (;;) {
		err = next_msg(q, deadline, &msg);
		if (err)
			return err;
		kind = qmp_classify(msg, &got, why, sizeof(why));
		if (kind == QMP_EVENT) {
			jv_free(msg);
			continue;
		}
		if (kind < 0 || kind == QMP_GREETING || got != id) {
			jv_free(msg);
			return fail(q, -EBADMSG, "'%s': QEMU answered with %s", cmd,
				    kind < 0 ? why : kind == QMP_GREETING ?
				    "a second greeting" : "another command's id");
		}
		break;
	}
	if (kind == QMP_ERROR) {
		const struct jv *e = jv_get(msg, "error");

		fail(q, -EREMOTEIO, "'%s': %s: %s", cmd,
		     jv_str(jv_get(e, "class")), jv_str(jv_get(e, "desc")));
		jv_free(msg);
		return -EREMOTEIO;
	}
	if (ret) {
		/* Hand over the "return" member, free the rest. */
		struct jv *r = malloc(sizeof(*r));
		size_t i;

		if (!r) {
			jv_free(msg);
			return fail(q, -ENOMEM, "out of memory");
		}
		for (i = 0; i < msg->n; i++)
			if (!strcmp(msg->keys[i], "return"))
				break;
		*r = msg->items[i];
		memset(&msg->items[i], 0, sizeof(msg->items[i]));
		*ret = r;
	}
	jv_free(msg);
	return 0;
}

int qmp_exec(struct qmp *q, const char *cmd, const char *args, int pass_fd,
	     int timeout_ms, struct jv **ret)
{
	if (q->fd < 0)
		return fail(q, -ENOTCONN, "no QMP connection");
	return exec_until(q, cmd, args, pass_fd, mono_ms() + timeout_ms, ret);
}

int qmp_open_fd(struct qmp *q, int fd, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	const struct jv *v;
	char why[128];
	struct jv *msg;
	uint64_t id;
	int err;

	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->next_id = 1;
	err = next_msg(q, deadline, &msg);
	if (err)
		goto out;
	if (qmp_classify(msg, &id, why, sizeof(why)) != QMP_GREETING) {
		jv_free(msg);
		err = fail(q, -EBADMSG, "no QMP greeting: is it QEMU's QMP socket?");
		goto out;
	}
	v = jv_get(jv_get(jv_get(msg, "QMP"), "version"), "qemu");
	if (v && jv_get(v, "major") && jv_get(v, "minor") &&
	    jv_get(v, "major")->type == JV_NUM && jv_get(v, "minor")->type == JV_NUM)
		snprintf(q->version, sizeof(q->version), "%.10s.%.10s",
			 jv_get(v, "major")->s, jv_get(v, "minor")->s);
	jv_free(msg);
	err = exec_until(q, "qmp_capabilities", NULL, -1, deadline, NULL);
out:
	if (err) {
		char why2[QMP_WHY_MAX];

		snprintf(why2, sizeof(why2), "%s", q->why);
		qmp_close(q);
		snprintf(q->why, sizeof(q->why), "%s", why2);
	}
	return err;
}

int qmp_open(struct qmp *q, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(q, -ENAMETOOLONG, "QMP socket path too long");
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(q, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;

		close(fd);
		return fail(q, -err, "cannot connect to %s: %s", path,
			    strerror(err));
	}
	return qmp_open_fd(q, fd, timeout_ms);
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	free(q->buf);
	q->buf = NULL;
	q->len = 0;
	q->fd = -1;
}

int qmp_status(struct qmp *q, char *st, size_t stlen, int timeout_ms)
{
	struct jv *r;
	const char *s;
	int err;

	err = qmp_exec(q, "query-status", NULL, -1, timeout_ms, &r);
	if (err)
		return err;
	s = jv_str(jv_get(r, "status"));
	if (!s) {
		jv_free(r);
		return fail(q, -EBADMSG, "'query-status': no status in the answer");
	}
	snprintf(st, stlen, "%s", s);
	jv_free(r);
	return 0;
}
