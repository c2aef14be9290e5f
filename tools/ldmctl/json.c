// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>

#include "json.h"

void json_init(struct json *j, FILE *f, bool pretty)
{
	*j = (struct json){ .f = f, .pretty = pretty };
}

static void indent(struct json *j)
{
	int i;

	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Everything that starts a value goes through here: the comma, the place. */
static void before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->depth) {
		/* One document, one top-level value. */
		if (j->nonempty[0])
			j->bad = true;
		j->nonempty[0] = true;
		return;
	}
	if (j->kind[j->depth] == 'o') {
		/* An object member needs json_key() first. */
		j->bad = true;
		return;
	}
	if (j->nonempty[j->depth])
		fputc(',', j->f);
	j->nonempty[j->depth] = true;
	indent(j);
}

static void container_open(struct json *j, char kind, char c)
{
	before_value(j);
	fputc(c, j->f);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->bad = true;
		return;
	}
	j->depth++;
	j->kind[j->depth] = kind;
	j->nonempty[j->depth] = false;
}

static void container_close(struct json *j, char kind, char c)
{
	bool had_items;

	if (!j->depth || j->kind[j->depth] != kind || j->after_key) {
		j->bad = true;
		return;
	}
	had_items = j->nonempty[j->depth];
	j->depth--;
	/* Empty containers stay on one line: [] and {}. */
	if (had_items)
		indent(j);
	fputc(c, j->f);
}

void json_object_begin(struct json *j)
{
	container_open(j, 'o', '{');
}

void json_object_end(struct json *j)
{
	container_close(j, 'o', '}');
}

void json_array_begin(struct json *j)
{
	container_open(j, 'a', '[');
}

void json_array_end(struct json *j)
{
	container_close(j, 'a', ']');
}

void json_key(struct json *j, const char *key)
{
	if (!j->depth || j->kind[j->depth] != 'o' || j->after_key) {
		j->bad = true;
		return;
	}
	if (j->nonempty[j->depth])
		fputc(',', j->f);
	j->nonempty[j->depth] = true;
	indent(j);
	json_escape(j->f, key);
	fputs(j->pretty ? ": " : ":", j->f);
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	before_value(j);
	json_escape(j->f, s);
}

void json_u64(struct json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->f, "%" PRIu64, v);
}

void json_i64(struct json *j, int64_t v)
{
	before_value(j);
	fprintf(j->f, "%" PRId64, v);
}

void json_bool(struct json *j, bool v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	before_value(j);
	fputs("null", j->f);
}

int json_end(struct json *j)
{
	if (j->depth || j->after_key || !j->nonempty[0])
		j->bad = true;
	fputc('\n', j->f);
	return j->bad ? -EINVAL : 0;
}

/*
 * Length of the well-formed UTF-8 sequence at @s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
 */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return 0;
	}
	/* The NUL terminator fails the range test, so no overrun. */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void json_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t n;

		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(f, "\\u%04x", *p);
				break;
			}
			n = utf8_len(p);
			if (!n) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		p++;
	}
	fputc('"', f);
}

void json_event_begin(struct json *j, const char *event)
{
	json_init(j, stdout, false);
	json_object_begin(j);
	json_key(j, "event");
	json_string(j, event);
}

void json_event_end(struct json *j)
{
	json_object_end(j);
	json_end(j);
	fflush(stdout);
}
