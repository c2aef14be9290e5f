/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by ldmctl's libFuzzer harnesses (see Makefile in this
 * directory). An invariant that does not hold is a finding: FUZZ_CHECK
 * prints which one and aborts, and libFuzzer writes the input that did it
 * under build/.
 */
#ifndef LDMCTL_FUZZ_H
#define LDMCTL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n",\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/*
 * A heap copy of exactly @n bytes (at least one allocated byte), so that
 * AddressSanitizer reports a read of even one byte past what a parser was
 * given.
 */
static inline uint8_t *fuzz_dup(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	FUZZ_CHECK(d);
	if (n)
		memcpy(d, p, n);
	return d;
}

/* The bytes as a C string (cut at the first NUL), in a block of its size. */
static inline char *fuzz_str(const uint8_t *p, size_t n)
{
	size_t len = strnlen((const char *)p, n);
	char *s = malloc(len + 1);

	FUZZ_CHECK(s);
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/*
 * The proto harness: the first input byte picks what is fuzzed
 * (modulo FUZZ_PROTO_MODES); gen_seeds writes seeds for each.
 */
enum fuzz_proto_mode {
	FUZZ_PROTO_STREAM = 0,		/* header, payload, header, ... */
	/* 1 .. __PROTO_MSG_MAX - 1: that type's decoder on the rest */
	FUZZ_PROTO_STREAM_HELLO = 20,	/* nstreams u16 LE, then 40 bytes */
	FUZZ_PROTO_ENCODE,		/* type, then a struct's bytes */
	FUZZ_PROTO_NAMES,		/* proto_code_name, proto_msg_name */
	FUZZ_PROTO_MODES
};

/* The session token the stream-hello harness expects. */
static inline void fuzz_token(uint8_t token[32])
{
	int i;

	for (i = 0; i < 32; i++)
		token[i] = (uint8_t)(i * 7 + 3);
}

#endif /* LDMCTL_FUZZ_H */
