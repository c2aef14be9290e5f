/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal harness shared by ldmctl's native unit tests: CHECK macros that
 * report where and what failed as TAP comments, and a runner that prints
 * one TAP test point per test function. Include it from exactly one file
 * per test program.
 */
#ifndef LDMCTL_TESTS_CHECK_H
#define LDMCTL_TESTS_CHECK_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool test_failed;

static void fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	test_failed = true;
}

#define CHECK(cond) do {						\
	if (!(cond))							\
		fail_at(__FILE__, __LINE__, "CHECK(%s)", #cond);	\
} while (0)

#define CHECK_INT(got, want) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (g_ != w_)							\
		fail_at(__FILE__, __LINE__, "%s = %lld, want %lld",	\
			#got, g_, w_);					\
} while (0)

#define CHECK_U64(got, want) do {					\
	uint64_t g_ = (got), w_ = (want);				\
	if (g_ != w_)							\
		fail_at(__FILE__, __LINE__, "%s = %" PRIu64		\
			", want %" PRIu64, #got, g_, w_);		\
} while (0)

/* A test program may define its own, more talkative, before including. */
#ifndef CHECK_STR
#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (!g_ || strcmp(g_, w_))					\
		fail_at(__FILE__, __LINE__, "%s = \"%s\", want \"%s\"",	\
			#got, g_ ? g_ : "(null)", w_);			\
} while (0)
#endif

struct unit_test {
	const char *name;
	void (*fn)(void);
};

/* An entry of the test table, named without its "test_" prefix. */
#define T(fn)	{ &(#fn)[sizeof("test_") - 1], fn }

/* Run every test, print TAP; the exit status of the program. */
static int run_tests(const struct unit_test *tests, size_t n)
{
	size_t i, failed = 0;

	/* Keep TAP lines in order with the tests' own output. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%zu\n", n);
	for (i = 0; i < n; i++) {
		test_failed = false;
		tests[i].fn();
		printf("%sok %zu %s\n", test_failed ? "not " : "", i + 1,
		       tests[i].name);
		failed += test_failed;
	}
	printf("# %zu passed, %zu failed\n", n - failed, failed);
	return failed ? 1 : 0;
}

#endif /* LDMCTL_TESTS_CHECK_H */
