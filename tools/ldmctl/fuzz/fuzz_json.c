// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the JSON parser and QMP message classifier of qmp.c
 * (jv_parse, jv_get, jv_str, qmp_classify).
 *
 * Why: 'migrate --qmp' and 'serve --qmp-dir' parse whatever arrives on
 * QEMU's QMP socket, and the parser promises strict RFC 8259: one value,
 * no trailing bytes, no control characters or NULs in strings, depth at
 * most JV_MAX_DEPTH, no duplicate members.
 *
 * The input is the text, in a heap block of exactly its length and not
 * NUL-terminated, as the client hands over one line of its buffer.
 * Invariants: the result is 0, -EBADMSG or -ENOMEM; an accepted value has
 * depth <= JV_MAX_DEPTH, unique keys, strings that are NUL-free UTF-8 (as
 * qmp.h says), numbers that are JSON numbers; written back out as JSON it
 * parses again to the same tree, and that second text is a fixed point;
 * qmp_classify() gives a kind or -EBADMSG with a reason, and a reply's id
 * prints back as the "id" member's text.
 */
#include <errno.h>
#include <inttypes.h>

#include "qmp.h"
#include "fuzz.h"

struct sb {
	char *p;
	size_t len, cap;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		FUZZ_CHECK(b->p);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void emit_str(struct sb *b, const char *s)
{
	char esc[8];

	sb_put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			sb_put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			sb_put(b, esc, 6);
		} else {
			sb_put(b, s, 1);
		}
	}
	sb_put(b, "\"", 1);
}

static void emit(struct sb *b, const struct jv *v)
{
	size_t i;

	switch (v->type) {
	case JV_NULL:
		sb_put(b, "null", 4);
		break;
	case JV_BOOL:
		sb_put(b, v->b ? "true" : "false", v->b ? 4 : 5);
		break;
	case JV_NUM:
		sb_put(b, v->s, strlen(v->s));
		break;
	case JV_STR:
		emit_str(b, v->s);
		break;
	case JV_ARR:
	case JV_OBJ:
		sb_put(b, v->type == JV_ARR ? "[" : "{", 1);
		for (i = 0; i < v->n; i++) {
			if (i)
				sb_put(b, ", ", 2);
			if (v->type == JV_OBJ) {
				emit_str(b, v->keys[i]);
				sb_put(b, ": ", 2);
			}
			emit(b, &v->items[i]);
		}
		sb_put(b, v->type == JV_ARR ? "]" : "}", 1);
		break;
	}
}

/* Well-formed UTF-8: no overlong form, no surrogate, nothing over 10FFFF. */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned int cp, n, i;

		if (*p < 0x80) {
			p++;
			continue;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			n = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			n = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			n = 3;
		} else {
			return false;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

/* A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number_ok(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0') {
		s++;
	} else if (*s >= '1' && *s <= '9') {
		while (*s >= '0' && *s <= '9')
			s++;
	} else {
		return false;
	}
	if (*s == '.') {
		if (*++s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return !*s;
}

static void check_tree(const struct jv *v, int depth)
{
	size_t i, j;

	switch (v->type) {
	case JV_NULL:
	case JV_BOOL:
		break;
	case JV_NUM:
		FUZZ_CHECK(v->s && number_ok(v->s));
		break;
	case JV_STR:
		FUZZ_CHECK(v->s && utf8_ok(v->s));
		FUZZ_CHECK(jv_str(v) == v->s);
		break;
	case JV_ARR:
	case JV_OBJ:
		FUZZ_CHECK(depth + 1 <= JV_MAX_DEPTH);
		FUZZ_CHECK(!v->n || v->items);
		for (i = 0; i < v->n; i++) {
			if (v->type == JV_OBJ) {
				FUZZ_CHECK(v->keys && v->keys[i]);
				FUZZ_CHECK(utf8_ok(v->keys[i]));
				for (j = 0; j < i; j++)
					FUZZ_CHECK(strcmp(v->keys[i], v->keys[j]));
				FUZZ_CHECK(jv_get(v, v->keys[i]) == &v->items[i]);
			}
			check_tree(&v->items[i], depth + 1);
		}
		break;
	default:
		FUZZ_CHECK(!"a value of no known type");
	}
	if (v->type != JV_OBJ)
		FUZZ_CHECK(!jv_get(v, "id"));
	if (v->type != JV_STR)
		FUZZ_CHECK(!jv_str(v));
}

static bool same(const struct jv *a, const struct jv *b)
{
	size_t i;

	if (a->type != b->type || a->n != b->n)
		return false;
	switch (a->type) {
	case JV_BOOL:
		return a->b == b->b;
	case JV_NUM:
	case JV_STR:
		return !strcmp(a->s, b->s);
	case JV_ARR:
	case JV_OBJ:
		for (i = 0; i < a->n; i++) {
			if (a->type == JV_OBJ && strcmp(a->keys[i], b->keys[i]))
				return false;
			if (!same(&a->items[i], &b->items[i]))
				return false;
		}
		return true;
	default:
		return true;
	}
}

static void check_classify(const struct jv *v)
{
	char why[128], num[24];
	uint64_t id = 0;
	int kind;

	why[0] = '\0';
	kind = qmp_classify(v, &id, why, sizeof(why));
	if (kind < 0) {
		FUZZ_CHECK(kind == -EBADMSG);
		FUZZ_CHECK(why[0] && strnlen(why, sizeof(why)) < sizeof(why));
		return;
	}
	FUZZ_CHECK(v->type == JV_OBJ);
	switch (kind) {
	case QMP_GREETING:
		FUZZ_CHECK(v->n == 1 && jv_get(v, "QMP")->type == JV_OBJ);
		break;
	case QMP_EVENT:
		FUZZ_CHECK(jv_str(jv_get(v, "event")));
		break;
	case QMP_ERROR:
		FUZZ_CHECK(jv_str(jv_get(jv_get(v, "error"), "class")) &&
			   jv_str(jv_get(jv_get(v, "error"), "desc")));
		/* fall through */
	case QMP_RETURN:
		FUZZ_CHECK(!jv_get(v, "return") != !jv_get(v, "error"));
		snprintf(num, sizeof(num), "%" PRIu64, id);
		FUZZ_CHECK(!strcmp(num, jv_get(v, "id")->s));
		break;
	default:
		FUZZ_CHECK(!"an unknown kind");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = (char *)fuzz_dup(data, size);
	struct sb out = { 0 }, out2 = { 0 };
	struct jv *v, *w, *x;
	int r;

	r = jv_parse(text, size, &v);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOMEM);
	if (r) {
		FUZZ_CHECK(!v);
		free(text);
		return 0;
	}
	check_tree(v, 0);
	check_classify(v);

	emit(&out, v);
	r = jv_parse(out.p, out.len, &w);
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(same(v, w));
	emit(&out2, w);
	FUZZ_CHECK(out.len == out2.len && !memcmp(out.p, out2.p, out.len));

	/* Surrounding whitespace is allowed, anything else after is not. */
	sb_put(&out, " \r\n\t", 4);
	FUZZ_CHECK(jv_parse(out.p, out.len, &x) == 0);
	jv_free(x);
	sb_put(&out, "0", 1);
	FUZZ_CHECK(jv_parse(out.p, out.len, &x) == -EBADMSG && !x);

	jv_free(w);
	jv_free(v);
	free(out.p);
	free(out2.p);
	free(text);
	return 0;
}
