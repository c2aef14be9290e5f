/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny streaming JSON writer: enough for ldmctl's output, strict about
 * the result (escaping, commas, nesting) so scripts can trust it.
 */
#ifndef LDMCTL_JSON_H
#define LDMCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	16

struct json {
	FILE *f;
	bool pretty;		/* newlines and two-space indentation */
	bool bad;		/* misuse: unbalanced, key outside object... */
	bool after_key;		/* a key was written, its value is due */
	int depth;
	/* Per level: 'o'bject or 'a'rray, and whether it has an item yet. */
	char kind[JSON_MAX_DEPTH];
	bool nonempty[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f, bool pretty);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);

/* A member name inside an object; the next call writes its value. */
void json_key(struct json *j, const char *key);

void json_string(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/*
 * json_end() - finish the document: a final newline, then a check.
 * Return: 0, or -EINVAL if the calls did not form one complete value.
 */
int json_end(struct json *j);

/*
 * An event of ldmctl migrate's -j output, one object a line on stdout
 * (ldmctl(8), "Migration events"): json_event_begin() opens it with
 * "event": @event; json_event_end() closes it and flushes stdout, so
 * that a reader sees each event as it happens.
 */
void json_event_begin(struct json *j, const char *event);
void json_event_end(struct json *j);

/*
 * json_escape() - write @s as a JSON string literal, quotes included.
 * Control characters are escaped; bytes that are not valid UTF-8 become
 * U+FFFD, so the output is always valid JSON whatever @s holds.
 */
void json_escape(FILE *f, const char *s);

#endif /* LDMCTL_JSON_H */
