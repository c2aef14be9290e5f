// SPDX-License-Identifier: GPL-2.0
/*
 * Native unit tests of ldmctl's own logic: size and name parsing, output
 * formatting (sizes, JSON, tables, messages), extended-ack and reply
 * decoding, and the command-line checks that must stop a command before
 * it reaches netlink. Nothing here opens a netlink socket; every command
 * run below is a usage error.
 *
 * Output is TAP: one test point per function in tests[], with "# " lines
 * saying which check failed. Exit status 1 if any failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/ldm.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "domain.h"
#include "genl.h"
#include "json.h"
#include "lastmig.h"
#include "ldmctl.h"
#include "name.h"
#include "oplock.h"
#include "report.h"
#include "size.h"
#include "status.h"
#include "table.h"

/* ---- the harness (check.h), with a more talkative CHECK_STR ---- */

/* Strings are shown escaped, so a stray newline or byte is visible. */
static void show(const char *label, const char *s)
{
	printf("#   %s: ", label);
	if (!s) {
		puts("(null)");
		return;
	}
	json_escape(stdout, s);
	putchar('\n');
}

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (!g_ || !w_ ? g_ != w_ : strcmp(g_, w_) != 0) {		\
		fail_at(__FILE__, __LINE__, "%s differs", #got);	\
		show("got ", g_);					\
		show("want", w_);					\
	}								\
} while (0)

#include "check.h"

/* Output written to a FILE *, collected as a string. */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *capture_begin(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	if (!c->f) {
		perror("open_memstream");
		exit(2);
	}
	return c->f;
}

/* Returns the text; free() it. */
static char *capture_end(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

/* ---- size.c ---- */

static void expect_size(const char *file, int line, const char *s,
			int want_ret, uint64_t want, const char *want_why)
{
	const char *why = NULL;
	uint64_t v = 0xdeadbeef;
	int ret = size_parse(s, &v, &why);

	if (ret != want_ret) {
		fail_at(file, line, "size_parse(\"%s\") = %d, want %d", s ? s : "NULL",
			ret, want_ret);
		return;
	}
	if (!ret && v != want)
		fail_at(file, line, "size_parse(\"%s\") gave %" PRIu64
			", want %" PRIu64, s, v, want);
	if (ret && want_why && (!why || strcmp(why, want_why)))
		fail_at(file, line, "size_parse(\"%s\") says \"%s\", want \"%s\"",
			s ? s : "NULL", why ? why : "(null)", want_why);
}

#define SIZE_OK(s, v)	expect_size(__FILE__, __LINE__, s, 0, v, NULL)
#define SIZE_BAD(s, ret, why) expect_size(__FILE__, __LINE__, s, ret, 0, why)

static const char *const why_junk = "not a number";
static const char *const why_suffix =
	"unknown size suffix (use K, M, G, T, P or E)";
static const char *const why_big = "size is too large";

static void test_size_parse_plain(void)
{
	SIZE_OK("4096", 4096);
	SIZE_OK("1", 1);
	SIZE_OK("0004096", 4096);
	SIZE_OK("67108864", UINT64_C(67108864));
}

static void test_size_parse_suffixes(void)
{
	SIZE_OK("4K", UINT64_C(4) << 10);
	SIZE_OK("4k", UINT64_C(4) << 10);
	SIZE_OK("64M", UINT64_C(64) << 20);
	SIZE_OK("64m", UINT64_C(64) << 20);
	SIZE_OK("1G", UINT64_C(1) << 30);
	SIZE_OK("1g", UINT64_C(1) << 30);
	SIZE_OK("3T", UINT64_C(3) << 40);
	SIZE_OK("3t", UINT64_C(3) << 40);
	SIZE_OK("2P", UINT64_C(2) << 50);
	SIZE_OK("2p", UINT64_C(2) << 50);
	SIZE_OK("15E", UINT64_C(15) << 60);
	SIZE_OK("1e", UINT64_C(1) << 60);
	SIZE_OK("1536M", UINT64_C(1536) << 20);
}

static void test_size_parse_limits(void)
{
	SIZE_OK("18446744073709551615", UINT64_MAX);
	SIZE_BAD("18446744073709551616", -ERANGE, why_big);
	SIZE_BAD("99999999999999999999999999", -ERANGE, why_big);
	SIZE_OK("16777215T", (UINT64_C(16777215) << 40));
	SIZE_BAD("16777216T", -ERANGE, why_big);
	SIZE_OK("17179869183G", UINT64_C(17179869183) << 30);
	SIZE_BAD("17179869184G", -ERANGE, why_big);
	SIZE_BAD("16E", -ERANGE, why_big);
	SIZE_BAD("18014398509481984K", -ERANGE, why_big);
}

static void test_size_parse_junk(void)
{
	SIZE_BAD(NULL, -EINVAL, "size is empty");
	SIZE_BAD("", -EINVAL, "size is empty");
	SIZE_BAD("abc", -EINVAL, why_junk);
	SIZE_BAD("M", -EINVAL, why_junk);
	SIZE_BAD(" 64M", -EINVAL, why_junk);
	SIZE_BAD("+64M", -EINVAL, why_junk);
	SIZE_BAD("\t64", -EINVAL, why_junk);
	SIZE_BAD("0x40", -EINVAL, why_suffix);
	SIZE_BAD("64X", -EINVAL, why_suffix);
	SIZE_BAD("64MB", -EINVAL, why_suffix);
	SIZE_BAD("64MiB", -EINVAL, why_suffix);
	SIZE_BAD("64 M", -EINVAL, why_suffix);
	SIZE_BAD("64M ", -EINVAL, why_suffix);
	SIZE_BAD("64\n", -EINVAL, why_suffix);
	SIZE_BAD("6 4", -EINVAL, why_suffix);
	SIZE_BAD("1e3", -EINVAL, why_suffix);
	SIZE_BAD("64MM", -EINVAL, why_suffix);
}

static void test_size_parse_negative(void)
{
	SIZE_BAD("-1", -EINVAL, "size cannot be negative");
	SIZE_BAD("-64M", -EINVAL, "size cannot be negative");
	SIZE_BAD("-0", -EINVAL, "size cannot be negative");
}

static void test_size_parse_fraction(void)
{
	static const char *const why =
		"fractional sizes are not supported (use a smaller unit: 1536M, not 1.5G)";

	SIZE_BAD("1.5G", -EINVAL, why);
	SIZE_BAD("0.5", -EINVAL, why);
	SIZE_BAD("1.", -EINVAL, why);
	SIZE_BAD("1,5G", -EINVAL, why);
	SIZE_BAD("1.0", -EINVAL, why);
}

static void test_size_parse_zero(void)
{
	SIZE_BAD("0", -EINVAL, "size cannot be zero");
	SIZE_BAD("000", -EINVAL, "size cannot be zero");
	SIZE_BAD("0K", -EINVAL, "size cannot be zero");
	SIZE_BAD("0e", -EINVAL, "size cannot be zero");
}

static void test_size_format_exact(void)
{
	char buf[SIZE_STR_MAX];

	CHECK_STR(size_format(0, buf, sizeof(buf)), "0");
	CHECK_STR(size_format(1, buf, sizeof(buf)), "1");
	CHECK_STR(size_format(1023, buf, sizeof(buf)), "1023");
	CHECK_STR(size_format(1024, buf, sizeof(buf)), "1K");
	CHECK_STR(size_format(4096, buf, sizeof(buf)), "4K");
	CHECK_STR(size_format(UINT64_C(64) << 20, buf, sizeof(buf)), "64M");
	CHECK_STR(size_format(UINT64_C(1) << 30, buf, sizeof(buf)), "1G");
	CHECK_STR(size_format(UINT64_C(1023) << 30, buf, sizeof(buf)), "1023G");
	CHECK_STR(size_format(UINT64_C(1) << 40, buf, sizeof(buf)), "1T");
	CHECK_STR(size_format(UINT64_C(1) << 50, buf, sizeof(buf)), "1P");
	CHECK_STR(size_format(UINT64_C(15) << 60, buf, sizeof(buf)), "15E");
}

static void test_size_format_rounded(void)
{
	char buf[SIZE_STR_MAX];

	CHECK_STR(size_format(1025, buf, sizeof(buf)), "1.0K");
	CHECK_STR(size_format(1536, buf, sizeof(buf)), "1.5K");
	CHECK_STR(size_format(1280, buf, sizeof(buf)), "1.3K");	/* 1.25 */
	CHECK_STR(size_format(1126, buf, sizeof(buf)), "1.1K");
	CHECK_STR(size_format(UINT64_C(1536) << 20, buf, sizeof(buf)), "1.5G");
	CHECK_STR(size_format(2047, buf, sizeof(buf)), "2.0K");
	/* 1023.98K rounds up into the next unit. */
	CHECK_STR(size_format(1023 * 1024 + 1000, buf, sizeof(buf)), "1.0M");
	CHECK_STR(size_format(UINT64_MAX, buf, sizeof(buf)), "16.0E");
	CHECK_STR(size_format((UINT64_C(1) << 60) + 1, buf, sizeof(buf)),
		  "1.0E");
}

static void test_size_round_trip(void)
{
	static const uint64_t values[] = {
		1, 512, 1024, 4096, UINT64_C(64) << 20, UINT64_C(3) << 30,
		UINT64_C(1) << 40, UINT64_C(7) << 50, UINT64_C(15) << 60,
		1023, UINT64_C(1023) << 20,
	};
	char buf[SIZE_STR_MAX];
	const char *why;
	size_t i;

	/* Whatever is printed exactly reads back as the same value. */
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint64_t v = 0;

		size_format(values[i], buf, sizeof(buf));
		CHECK_INT(size_parse(buf, &v, &why), 0);
		CHECK_U64(v, values[i]);
	}
}

static void test_size_format_small_buffer(void)
{
	char buf[4] = "xxx";

	/* Truncated, but terminated. */
	size_format(UINT64_C(1536) << 20, buf, 3);
	CHECK_STR(buf, "1.");
}

/* ---- name.c ---- */

static void expect_name(const char *file, int line, const char *name,
			int want_ret, const char *want_why)
{
	const char *why = NULL;
	int ret = name_validate(name, &why);

	if (ret != want_ret)
		fail_at(file, line, "name_validate(\"%s\") = %d, want %d",
			name ? name : "NULL", ret, want_ret);
	else if (ret && strcmp(why, want_why))
		fail_at(file, line, "name_validate(\"%s\") says \"%s\"",
			name ? name : "NULL", why);
}

#define NAME_OK(n)		expect_name(__FILE__, __LINE__, n, 0, NULL)
#define NAME_BAD(n, ret, why)	expect_name(__FILE__, __LINE__, n, ret, why)

static const char *const why_chars =
	"domain name may only contain A-Z, a-z, 0-9, '_', '.' and '-'";
static const char *const why_long = "domain name is longer than 31 bytes";
static const char *const why_dots = "domain name cannot be '.' or '..'";

static void test_name_valid(void)
{
	NAME_OK("a");
	NAME_OK("vm0");
	NAME_OK("Z");
	NAME_OK("web-01.prod_A");
	NAME_OK("0123456789");
	NAME_OK("...");
	NAME_OK(".a");
	NAME_OK("a..");
	NAME_OK("-x");
	NAME_OK("_");
	NAME_OK("abcdefghijklmnopqrstuvwxyzABCDE");	/* 31 */
}

static void test_name_missing_or_empty(void)
{
	NAME_BAD(NULL, -EINVAL, "missing domain name");
	NAME_BAD("", -EINVAL, "domain name is empty");
}

static void test_name_too_long(void)
{
	char huge[10000];

	NAME_BAD("abcdefghijklmnopqrstuvwxyzABCDEF", -ENAMETOOLONG, why_long);
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	NAME_BAD(huge, -ENAMETOOLONG, why_long);
	/* Length is checked first, as in the kernel: a long bad name. */
	memset(huge, '/', 40);
	huge[40] = '\0';
	NAME_BAD(huge, -ENAMETOOLONG, why_long);
}

static void test_name_bad_chars(void)
{
	static const char *const bad[] = {
		"a/b", "/", "a b", " a", "a\tb", "a\nb", "a:b", "a\\b",
		"a*", "a?", "\xc3\xa9t\xc3\xa9", "a\x7f", "a\x01", "a'b",
		"a\"b", "a+b", "a@b", "a~",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		NAME_BAD(bad[i], -EINVAL, why_chars);
}

static void test_name_dots(void)
{
	NAME_BAD(".", -EINVAL, why_dots);
	NAME_BAD("..", -EINVAL, why_dots);
}

/* ---- json.c ---- */

static char *escaped(const char *s)
{
	struct capture c;

	json_escape(capture_begin(&c), s);
	return capture_end(&c);
}

#define CHECK_ESCAPE(in, want) do {					\
	char *e_ = escaped(in);						\
	CHECK_STR(e_, want);						\
	free(e_);							\
} while (0)

static void test_json_escape_specials(void)
{
	CHECK_ESCAPE("", "\"\"");
	CHECK_ESCAPE("vm0", "\"vm0\"");
	CHECK_ESCAPE("a\"b", "\"a\\\"b\"");
	CHECK_ESCAPE("a\\b", "\"a\\\\b\"");
	CHECK_ESCAPE("/", "\"/\"");
	CHECK_ESCAPE("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	CHECK_ESCAPE("\x01\x1f", "\"\\u0001\\u001f\"");
	CHECK_ESCAPE("\x7f", "\"\\u007f\"");
	CHECK_ESCAPE(" ~", "\" ~\"");
}

static void test_json_escape_utf8(void)
{
	/* Valid UTF-8 passes through untouched. */
	CHECK_ESCAPE("\xc3\xa9", "\"\xc3\xa9\"");		/* é */
	CHECK_ESCAPE("\xe2\x82\xac", "\"\xe2\x82\xac\"");	/* € */
	CHECK_ESCAPE("\xf0\x9f\x99\x82", "\"\xf0\x9f\x99\x82\"");
	CHECK_ESCAPE("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");
	/* Invalid bytes: one U+FFFD each, never raw. */
	CHECK_ESCAPE("\xff", "\"\\ufffd\"");
	CHECK_ESCAPE("a\xc3", "\"a\\ufffd\"");			/* cut short */
	CHECK_ESCAPE("\xc3(", "\"\\ufffd(\"");
	CHECK_ESCAPE("\xc0\xaf", "\"\\ufffd\\ufffd\"");		/* overlong */
	CHECK_ESCAPE("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_ESCAPE("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	CHECK_ESCAPE("\xf4\x90\x80\x80",
		     "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");	/* > U+10FFFF */
	CHECK_ESCAPE("\x80", "\"\\ufffd\"");
	CHECK_ESCAPE("\xe2\x82", "\"\\ufffd\\ufffd\"");
}

static void test_json_compact(void)
{
	struct capture c;
	struct json j;
	char *out;

	json_init(&j, capture_begin(&c), false);
	json_object_begin(&j);
	json_key(&j, "a");
	json_u64(&j, UINT64_MAX);
	json_key(&j, "b");
	json_array_begin(&j);
	json_i64(&j, -5);
	json_bool(&j, true);
	json_bool(&j, false);
	json_null(&j);
	json_string(&j, "x\"y");
	json_array_end(&j);
	json_key(&j, "e");
	json_array_begin(&j);
	json_array_end(&j);
	json_key(&j, "o");
	json_object_begin(&j);
	json_object_end(&j);
	json_key(&j, "k\n");
	json_u64(&j, 0);
	json_object_end(&j);
	CHECK_INT(json_end(&j), 0);
	out = capture_end(&c);
	CHECK_STR(out, "{\"a\":18446744073709551615,\"b\":[-5,true,false,null,"
		  "\"x\\\"y\"],\"e\":[],\"o\":{},\"k\\n\":0}\n");
	free(out);
}

static void test_json_pretty(void)
{
	struct capture c;
	struct json j;
	char *out;

	json_init(&j, capture_begin(&c), true);
	json_array_begin(&j);
	json_object_begin(&j);
	json_key(&j, "name");
	json_string(&j, "vm0");
	json_key(&j, "list");
	json_array_begin(&j);
	json_u64(&j, 1);
	json_u64(&j, 2);
	json_array_end(&j);
	json_object_end(&j);
	json_object_begin(&j);
	json_object_end(&j);
	json_array_end(&j);
	CHECK_INT(json_end(&j), 0);
	out = capture_end(&c);
	CHECK_STR(out,
		  "[\n"
		  "  {\n"
		  "    \"name\": \"vm0\",\n"
		  "    \"list\": [\n"
		  "      1,\n"
		  "      2\n"
		  "    ]\n"
		  "  },\n"
		  "  {}\n"
		  "]\n");
	free(out);

	json_init(&j, capture_begin(&c), true);
	json_array_begin(&j);
	json_array_end(&j);
	CHECK_INT(json_end(&j), 0);
	out = capture_end(&c);
	CHECK_STR(out, "[]\n");
	free(out);
}

/* Each misuse must be caught by json_end(), not silently emitted. */
static void test_json_misuse(void)
{
	struct capture c;
	struct json j;

	/* A value in an object without a key. */
	json_init(&j, capture_begin(&c), false);
	json_object_begin(&j);
	json_u64(&j, 1);
	json_object_end(&j);
	CHECK_INT(json_end(&j), -EINVAL);
	free(capture_end(&c));

	/* A key in an array. */
	json_init(&j, capture_begin(&c), false);
	json_array_begin(&j);
	json_key(&j, "k");
	json_array_end(&j);
	CHECK_INT(json_end(&j), -EINVAL);
	free(capture_end(&c));

	/* Unclosed, and a key left without its value. */
	json_init(&j, capture_begin(&c), false);
	json_object_begin(&j);
	json_key(&j, "k");
	CHECK_INT(json_end(&j), -EINVAL);
	free(capture_end(&c));

	/* Mismatched closing. */
	json_init(&j, capture_begin(&c), false);
	json_array_begin(&j);
	json_object_end(&j);
	CHECK_INT(json_end(&j), -EINVAL);
	free(capture_end(&c));

	/* Two top-level values. */
	json_init(&j, capture_begin(&c), false);
	json_u64(&j, 1);
	json_u64(&j, 2);
	CHECK_INT(json_end(&j), -EINVAL);
	free(capture_end(&c));

	/* Nothing at all. */
	json_init(&j, capture_begin(&c), false);
	CHECK_INT(json_end(&j), -EINVAL);
	free(capture_end(&c));

	/* Too deep. */
	json_init(&j, capture_begin(&c), false);
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
		json_array_begin(&j);
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
		json_array_end(&j);
	CHECK_INT(json_end(&j), -EINVAL);
	free(capture_end(&c));
}

/* ---- table.c ---- */

static const struct table_column test_cols[] = {
	{ "NAME",	TABLE_LEFT },
	{ "N",		TABLE_RIGHT },
	{ "STATE",	TABLE_LEFT },
};

static void test_table_alignment(void)
{
	struct capture c;
	struct table t;
	char *out;

	table_init(&t, test_cols, 3);
	table_cell(&t, "%s", "a");
	table_cell(&t, "%d", 12345);
	table_cell(&t, "%s", "x");
	table_cell(&t, "%s", "longer-name");
	table_cell(&t, "%d", 7);
	table_cell(&t, "%s", "active");
	CHECK_INT(table_rows(&t), 2);
	CHECK_INT(table_print(&t, capture_begin(&c)), 0);
	out = capture_end(&c);
	/* Left columns padded except the last; right columns padded left. */
	CHECK_STR(out,
		  "NAME             N  STATE\n"
		  "a            12345  x\n"
		  "longer-name      7  active\n");
	free(out);
	table_free(&t);
}

static void test_table_empty_and_incomplete(void)
{
	struct capture c;
	struct table t;
	char *out;

	table_init(&t, test_cols, 3);
	CHECK_INT(table_print(&t, capture_begin(&c)), 0);
	out = capture_end(&c);
	CHECK_STR(out, "NAME  N  STATE\n");
	free(out);

	table_cell(&t, "%s", "only-one");
	CHECK_INT(table_rows(&t), 0);
	CHECK_INT(table_print(&t, capture_begin(&c)), -EINVAL);
	out = capture_end(&c);
	CHECK_STR(out, "");
	free(out);
	table_free(&t);
}

static void test_table_many_rows(void)
{
	struct capture c;
	struct table t;
	char *out;
	int i;

	/* Past the first growth of the cell array. */
	table_init(&t, test_cols, 3);
	for (i = 0; i < 100; i++) {
		table_cell(&t, "d%d", i);
		table_cell(&t, "%d", i);
		table_cell(&t, "s");
	}
	CHECK_INT(table_rows(&t), 100);
	CHECK_INT(table_print(&t, capture_begin(&c)), 0);
	out = capture_end(&c);
	CHECK(strstr(out, "\nd99   99  s\n") != NULL);
	CHECK(strstr(out, " \n") == NULL);
	free(out);
	table_free(&t);
}

/* ---- list output ---- */

static const struct ldm_domain_info test_domains[] = {
	{
		.name = "vm0", .size = UINT64_C(64) << 20, .page_size = 4096,
		.resident = 12288, .dirty = 100,
		.state = LDM_DOMAIN_STATE_ACTIVE, .open = 1, .mapped = 1,
		.minor = 0,
	},
	{
		.name = "big.db-1", .size = UINT64_C(3) << 30,
		.page_size = 4096, .resident = 0, .dirty = 0,
		.state = LDM_DOMAIN_STATE_ACTIVE, .open = 0, .mapped = 0,
		.minor = 7,
	},
	{
		.name = "odd", .size = 4096, .page_size = 0, .resident = 1,
		.dirty = 1, .state = 42, .open = 123, .mapped = 2, .minor = 9,
	},
};

static void test_list_table(void)
{
	struct capture c;
	char *out;

	CHECK_INT(list_print_table(capture_begin(&c), test_domains, 3), 0);
	out = capture_end(&c);
	CHECK_STR(out,
		  "NAME      SIZE  RESIDENT  DIRTY  STATE    OPEN  MAPPED\n"
		  "vm0        64M       48M   400K  active      1       1\n"
		  "big.db-1    3G         0      0  active      0       0\n"
		  "odd         4K         -      -  unknown   123       2\n");
	free(out);

	CHECK_INT(list_print_table(capture_begin(&c), NULL, 0), 0);
	out = capture_end(&c);
	CHECK_STR(out,
		  "NAME  SIZE  RESIDENT  DIRTY  STATE  OPEN  MAPPED\n");
	free(out);
}

static void test_list_json(void)
{
	struct capture c;
	char *out;

	CHECK_INT(list_print_json(capture_begin(&c), test_domains, 2), 0);
	out = capture_end(&c);
	CHECK_STR(out,
		  "[\n"
		  "  {\n"
		  "    \"name\": \"vm0\",\n"
		  "    \"size\": 67108864,\n"
		  "    \"page_size\": 4096,\n"
		  "    \"resident_pages\": 12288,\n"
		  "    \"dirty_pages\": 100,\n"
		  "    \"state\": \"active\",\n"
		  "    \"open\": 1,\n"
		  "    \"mapped\": 1,\n"
		  "    \"minor\": 0\n"
		  "  },\n"
		  "  {\n"
		  "    \"name\": \"big.db-1\",\n"
		  "    \"size\": 3221225472,\n"
		  "    \"page_size\": 4096,\n"
		  "    \"resident_pages\": 0,\n"
		  "    \"dirty_pages\": 0,\n"
		  "    \"state\": \"active\",\n"
		  "    \"open\": 0,\n"
		  "    \"mapped\": 0,\n"
		  "    \"minor\": 7\n"
		  "  }\n"
		  "]\n");
	free(out);

	CHECK_INT(list_print_json(capture_begin(&c), NULL, 0), 0);
	out = capture_end(&c);
	CHECK_STR(out, "[]\n");
	free(out);
}

/* ---- list -o status ---- */

static void test_status_line_parse(void)
{
	struct status_line sl;

	status_line_parse(NULL, &sl);
	CHECK_INT(sl.kind, STATUS_LINE_NONE);
	CHECK(!sl.has_progress);
	status_line_parse("", &sl);
	CHECK_INT(sl.kind, STATUS_LINE_NONE);

	status_line_parse("running", &sl);
	CHECK_INT(sl.kind, STATUS_LINE_RUNNING);
	CHECK_STR(sl.peer, "");
	CHECK(!sl.has_progress);

	/* Once the commit was asked: the same peer, no figures. */
	status_line_parse("running: committing on 192.0.2.2:vm0-t", &sl);
	CHECK_INT(sl.kind, STATUS_LINE_RUNNING);
	CHECK_STR(sl.peer, "192.0.2.2:vm0-t");
	CHECK(!sl.has_progress);

	/* What migrate writes today: no figures. */
	status_line_parse("running: sending to 192.0.2.2:vm0-t", &sl);
	CHECK_INT(sl.kind, STATUS_LINE_RUNNING);
	CHECK_STR(sl.peer, "192.0.2.2:vm0-t");
	CHECK(!sl.has_progress);
	CHECK_U64(sl.percent, STATUS_UNKNOWN);

	/* With figures (status_publish()); unknown keys are skipped. */
	status_line_parse("running: sending to host-b:vm0; round=3 percent=42 "
			  "kbps=12345 pages_left=777 eta_ms=5000 future=9", &sl);
	CHECK_INT(sl.kind, STATUS_LINE_RUNNING);
	CHECK_STR(sl.peer, "host-b:vm0");
	CHECK(sl.has_progress);
	CHECK_U64(sl.round, 3);
	CHECK_U64(sl.percent, 42);
	CHECK_U64(sl.kbps, 12345);
	CHECK_U64(sl.pages_left, 777);
	CHECK_U64(sl.eta_ms, 5000);

	/* ETA left out: unknown. */
	status_line_parse("running: sending to h:d; round=0 percent=0 kbps=0 "
			  "pages_left=8192", &sl);
	CHECK(sl.has_progress);
	CHECK_U64(sl.percent, 0);
	CHECK_U64(sl.eta_ms, STATUS_UNKNOWN);

	/* Malformed figures are all dropped; the peer stays. */
	status_line_parse("running: sending to h:d; percent=101", &sl);
	CHECK_STR(sl.peer, "h:d");
	CHECK(!sl.has_progress);
	CHECK_U64(sl.percent, STATUS_UNKNOWN);
	status_line_parse("running: sending to h:d; percent=4x round=1", &sl);
	CHECK(!sl.has_progress);
	CHECK_U64(sl.round, STATUS_UNKNOWN);
	status_line_parse("running: sending to h:d; percent= round=1", &sl);
	CHECK(!sl.has_progress);
	status_line_parse("running: sending to h:d; percent=-1", &sl);
	CHECK(!sl.has_progress);
	status_line_parse("running: sending to h:d; percent=5 kbps=99999999999999999999", &sl);
	CHECK(!sl.has_progress);
	CHECK_U64(sl.kbps, STATUS_UNKNOWN);
	status_line_parse("running: sending to h:d; garbage", &sl);
	CHECK(!sl.has_progress);
	status_line_parse("running: sending to h:d; round=4294967296 percent=1", &sl);
	CHECK(!sl.has_progress);
	/* Figures without a percent are no progress. */
	status_line_parse("running: sending to h:d; round=2", &sl);
	CHECK(!sl.has_progress);

	/* The guest's dirty rate, once a round has measured it. */
	status_line_parse("running: sending to h:d; round=1 percent=60 kbps=5 "
			  "pages_left=9 dirty_rate=1234", &sl);
	CHECK(sl.has_progress);
	CHECK_U64(sl.dirty_rate, 1234);
	status_line_parse("running: sending to h:d; round=1 percent=60", &sl);
	CHECK(sl.has_progress);
	CHECK_U64(sl.dirty_rate, STATUS_UNKNOWN);
	/* A malformed one drops every figure, as any other. */
	status_line_parse("running: sending to h:d; percent=60 dirty_rate=1e3", &sl);
	CHECK(!sl.has_progress);
	CHECK_U64(sl.dirty_rate, STATUS_UNKNOWN);
	status_line_parse("running: sending to h:d; percent=60 dirty_rate=", &sl);
	CHECK(!sl.has_progress);
	status_line_parse("running: sending to h:d; percent=60 "
			  "dirty_rate=18446744073709551616", &sl);
	CHECK(!sl.has_progress);
	CHECK_U64(sl.dirty_rate, STATUS_UNKNOWN);

	status_line_parse("migrated to 192.0.2.2:vm0", &sl);
	CHECK_INT(sl.kind, STATUS_LINE_MIGRATED);
	CHECK_STR(sl.peer, "192.0.2.2:vm0");

	status_line_parse("failed: the target aborted in round 2: x (y); the source domain is intact", &sl);
	CHECK_INT(sl.kind, STATUS_LINE_FAILED);
	CHECK_STR(sl.message, "the target aborted in round 2: x (y); the source domain is intact");

	status_line_parse("cancelled: cancelled in round 0; the source domain is intact", &sl);
	CHECK_INT(sl.kind, STATUS_LINE_CANCELLED);
	CHECK_STR(sl.message, "cancelled in round 0; the source domain is intact");

	status_line_parse("dry run passed", &sl);
	CHECK_INT(sl.kind, STATUS_LINE_DRY_RUN);

	status_line_parse("something new", &sl);
	CHECK_INT(sl.kind, STATUS_LINE_OTHER);
	CHECK_STR(sl.message, "something new");
}

static void test_status_line_round_trip(void)
{
	struct progress_state ps = {
		.round = 2, .percent = 57, .mbps = 12.3456,
		.pages_left = 1000, .eta_ms = 2500,
	};
	struct status_line sl;
	char buf[STATUS_PEER_MAX + 160];

	CHECK_STR(status_line_format(buf, sizeof(buf), "192.0.2.2:vm0", &ps),
		  "running: sending to 192.0.2.2:vm0; round=2 percent=57 "
		  "kbps=12345 pages_left=1000 eta_ms=2500");
	status_line_parse(buf, &sl);
	CHECK_INT(sl.kind, STATUS_LINE_RUNNING);
	CHECK_STR(sl.peer, "192.0.2.2:vm0");
	CHECK(sl.has_progress);
	CHECK_U64(sl.round, 2);
	CHECK_U64(sl.percent, 57);
	CHECK_U64(sl.kbps, 12345);
	CHECK_U64(sl.pages_left, 1000);
	CHECK_U64(sl.eta_ms, 2500);

	/* Unknown ETA is left out; a percent over 100 is capped. */
	ps.eta_ms = UINT64_MAX;
	ps.percent = 250;
	ps.mbps = 0;
	CHECK_STR(status_line_format(buf, sizeof(buf), "h:d", &ps),
		  "running: sending to h:d; round=2 percent=100 kbps=0 "
		  "pages_left=1000");
	status_line_parse(buf, &sl);
	CHECK(sl.has_progress);
	CHECK_U64(sl.eta_ms, STATUS_UNKNOWN);

	/* The forecast, once there is one, round trips. */
	ps.fc_rounds = 4;
	ps.fc_downtime_ms = 120;
	CHECK_STR(status_line_format(buf, sizeof(buf), "h:d", &ps),
		  "running: sending to h:d; round=2 percent=100 kbps=0 "
		  "pages_left=1000 fc_rounds=4 fc_downtime_ms=120");
	status_line_parse(buf, &sl);
	CHECK(sl.has_progress);
	CHECK_U64(sl.fc_rounds, 4);
	CHECK_U64(sl.fc_downtime_ms, 120);
	ps.fc_downtime_ms = UINT64_MAX;
	status_line_format(buf, sizeof(buf), "h:d", &ps);
	status_line_parse(buf, &sl);
	CHECK_U64(sl.fc_rounds, 4);
	CHECK_U64(sl.fc_downtime_ms, STATUS_UNKNOWN);

	/* The dirty rate, once measured, round trips; 0 is a rate. */
	ps.fc_rounds = 0;
	ps.has_dirty_rate = true;
	ps.dirty_rate = 0;
	CHECK_STR(status_line_format(buf, sizeof(buf), "h:d", &ps),
		  "running: sending to h:d; round=2 percent=100 kbps=0 "
		  "pages_left=1000 dirty_rate=0");
	status_line_parse(buf, &sl);
	CHECK_U64(sl.dirty_rate, 0);
	ps.dirty_rate = 98765;
	status_line_format(buf, sizeof(buf), "h:d", &ps);
	status_line_parse(buf, &sl);
	CHECK(sl.has_progress);
	CHECK_U64(sl.dirty_rate, 98765);
	ps.has_dirty_rate = false;
	ps.fc_rounds = 4;

	/* A buffer too small truncates, never overflows. */
	status_line_format(buf, 20, "h:d", &ps);
	CHECK_INT(strlen(buf), 19);
	status_line_format(buf, 75, "h:d", &ps);
	CHECK_INT(strlen(buf), 74);
}

static void test_status_format(void)
{
	char buf[24];

	CHECK_STR(status_format_percent(0, buf, sizeof(buf)), "0%");
	CHECK_STR(status_format_percent(42, buf, sizeof(buf)), "42%");
	CHECK_STR(status_format_percent(100, buf, sizeof(buf)), "100%");
	CHECK_STR(status_format_percent(STATUS_UNKNOWN, buf, sizeof(buf)), "-");

	CHECK_STR(status_format_rate(0, buf, sizeof(buf)), "0.0");
	CHECK_STR(status_format_rate(1000, buf, sizeof(buf)), "1.0");
	CHECK_STR(status_format_rate(123456, buf, sizeof(buf)), "123.5");
	CHECK_STR(status_format_rate(STATUS_UNKNOWN, buf, sizeof(buf)), "-");

	CHECK_STR(status_format_eta(0, buf, sizeof(buf)), "0:00");
	CHECK_STR(status_format_eta(1, buf, sizeof(buf)), "0:01");
	CHECK_STR(status_format_eta(5000, buf, sizeof(buf)), "0:05");
	CHECK_STR(status_format_eta(65000, buf, sizeof(buf)), "1:05");
	CHECK_STR(status_format_eta(3600000, buf, sizeof(buf)), "1:00:00");
	CHECK_STR(status_format_eta(STATUS_UNKNOWN, buf, sizeof(buf)), "-");

	CHECK_STR(status_format_forecast(STATUS_UNKNOWN, 5, buf, sizeof(buf)), "-");
	CHECK_STR(status_format_forecast(3, STATUS_UNKNOWN, buf, sizeof(buf)),
		  "3 rounds");
	CHECK_STR(status_format_forecast(3, 120, buf, sizeof(buf)),
		  "3 rounds, 120 ms");

	CHECK_STR(status_format_throttle(STATUS_UNKNOWN, 5, buf, sizeof(buf)), "-");
	CHECK_STR(status_format_throttle(0, 0, buf, sizeof(buf)), "none");
	CHECK_STR(status_format_throttle(200, 0, buf, sizeof(buf)), "200/s");
	CHECK_STR(status_format_throttle(200, 1, buf, sizeof(buf)), "200/s, 1 wait");
	/* Lifted by migrate-set after it held writers. */
	CHECK_STR(status_format_throttle(0, 35, buf, sizeof(buf)), "none, 35 waits");
	CHECK_STR(status_format_throttle(200, STATUS_UNKNOWN, buf, sizeof(buf)),
		  "200/s");

	CHECK_STR(status_op_name(STATUS_OP_MIGRATE_OUT), "migrate-out");
	CHECK_STR(status_op_name(STATUS_OP_RECEIVE_IN), "receive-in");
	CHECK(status_op_name(STATUS_OP_NONE) == NULL);
	CHECK_STR(status_session_name(LDM_MIG_STATE_NONE), "none");
	CHECK_STR(status_session_name(LDM_MIG_STATE_SENDING), "sending");
	CHECK_STR(status_session_name(LDM_MIG_STATE_RECEIVING), "receiving");
	CHECK_STR(status_session_name(LDM_MIG_STATE_FAILED), "failed");
	CHECK_STR(status_session_name(77), "unknown");
}

static const struct ldm_domain_info status_dom = {
	.name = "vm0", .size = UINT64_C(64) << 20, .page_size = 4096,
	.resident = 8000, .dirty = 2000, .state = LDM_DOMAIN_STATE_ACTIVE,
};

static void test_status_row_idle(void)
{
	struct mig_info mi = { .state = LDM_MIG_STATE_NONE };
	struct status_row r;

	/* Nothing running, no lock file. */
	status_row_build(&r, &status_dom, &mi, 0, NULL);
	CHECK_STR(r.name, "vm0");
	CHECK_INT(r.state, LDM_DOMAIN_STATE_ACTIVE);
	CHECK_INT(r.op, STATUS_OP_NONE);
	CHECK_STR(r.peer, "");
	CHECK_U64(r.round, STATUS_UNKNOWN);
	CHECK_U64(r.percent, STATUS_UNKNOWN);
	CHECK_U64(r.eta_ms, STATUS_UNKNOWN);
	CHECK_U64(r.dirty_limit, STATUS_UNKNOWN);
	CHECK_U64(r.throttled, STATUS_UNKNOWN);
	CHECK_U64(r.throttle_ms, STATUS_UNKNOWN);
	CHECK_U64(r.dirty_rate, STATUS_UNKNOWN);
	CHECK_STR(r.error, "");
	CHECK(!r.estimated);
	CHECK(!r.has_last);
	{
		struct lastmig l;

		lastmig_init(&l);
		l.rounds = 3;
		status_row_set_last(&r, &l);
		CHECK(r.has_last);
		CHECK_U64(r.last.rounds, 3);
		status_row_set_last(&r, NULL);
		CHECK(!r.has_last);
	}

	/* A failed migrate left its reason: shown, nothing running. */
	status_row_build(&r, &status_dom, NULL, 0,
			 "failed: lost the target after round 1: reset");
	CHECK_INT(r.op, STATUS_OP_NONE);
	CHECK_STR(r.error, "lost the target after round 1: reset");
	status_row_build(&r, &status_dom, NULL, 0,
			 "cancelled: cancelled in round 0; the source domain is intact");
	CHECK_STR(r.error, "cancelled: cancelled in round 0; the source domain is intact");

	/* Migrated away: the destination, no operation. */
	{
		struct ldm_domain_info d = status_dom;

		d.state = LDM_DOMAIN_STATE_MIGRATED;
		status_row_build(&r, &d, &mi, 0, "migrated to 192.0.2.2:vm0");
		CHECK_INT(r.op, STATUS_OP_NONE);
		CHECK_STR(r.peer, "192.0.2.2:vm0");
		CHECK_U64(r.percent, STATUS_UNKNOWN);
		CHECK_STR(r.error, "");
	}
	/* An active domain does not claim an old destination. */
	status_row_build(&r, &status_dom, &mi, 0, "migrated to 192.0.2.2:vm0");
	CHECK_STR(r.peer, "");
}

static void test_status_row_sending_estimate(void)
{
	struct mig_info mi = { .state = LDM_MIG_STATE_SENDING, .round = 1,
			       .dirty_limit = 500, .throttled = 7,
			       .throttle_ns = 2500000000 };
	struct status_row r;

	/* Round 0 runs: nothing finished, every resident page to come. */
	status_row_build(&r, &status_dom, &mi, 4242,
			 "running: sending to 192.0.2.2:vm0-t");
	CHECK_U64(r.dirty_limit, 500);
	CHECK_U64(r.throttled, 7);
	CHECK_U64(r.throttle_ms, 2500);
	CHECK_U64(r.dirty_rate, STATUS_UNKNOWN);	/* not estimated */
	CHECK_INT(r.op, STATUS_OP_MIGRATE_OUT);
	CHECK_STR(r.peer, "192.0.2.2:vm0-t");
	CHECK_INT(r.pid, 4242);
	CHECK_U64(r.round, 0);
	CHECK_U64(r.percent, 0);
	CHECK_U64(r.pages_left, 10000);
	CHECK_U64(r.kbps, STATUS_UNKNOWN);
	CHECK_U64(r.eta_ms, STATUS_UNKNOWN);
	CHECK(r.estimated);

	/* Round 1 runs: round 0 sent 6000 pages in 2 s, 3 MB. */
	mi.round = 2;
	mi.totals.v[LDM_A_STAT_PAGES_LZJB] = 4000;
	mi.totals.v[LDM_A_STAT_PAGES_LZ4] = 1000;
	mi.totals.v[LDM_A_STAT_PAGES_SKIPPED] = 1000;
	mi.nrounds = 1;
	mi.round_ids[0] = 0;
	mi.rounds[0] = mi.totals;
	mi.rounds[0].v[LDM_A_STAT_TIME_NS] = 2000000000;
	mi.rounds[0].v[LDM_A_STAT_BYTES_OUT] = 3000000;
	status_row_build(&r, &status_dom, &mi, 4242,
			 "running: sending to 192.0.2.2:vm0-t");
	CHECK_U64(r.round, 1);
	CHECK_U64(r.pages_left, 2000);
	CHECK_U64(r.percent, 75);		/* 6000 of 8000 */
	CHECK_U64(r.kbps, 1500);		/* 3 MB in 2 s */
	CHECK_U64(r.eta_ms, 667);		/* 2000 pages at 3000/s */
	CHECK(r.estimated);

	/* Never 100% before the commit. */
	{
		struct ldm_domain_info d = status_dom;

		d.dirty = 0;
		status_row_build(&r, &d, &mi, 4242, NULL);
		CHECK_U64(r.percent, 99);
		CHECK_U64(r.eta_ms, 0);
	}
}

static void test_status_row_sending_published(void)
{
	struct mig_info mi = { .state = LDM_MIG_STATE_SENDING, .round = 1 };
	struct status_row r;

	/* The migrate's own figures win over the estimate. */
	status_row_build(&r, &status_dom, &mi, 99,
			 "running: sending to h:t; round=0 percent=37 kbps=980 "
			 "pages_left=5000 eta_ms=4100");
	CHECK_INT(r.op, STATUS_OP_MIGRATE_OUT);
	CHECK_STR(r.peer, "h:t");
	CHECK_U64(r.round, 0);
	CHECK_U64(r.percent, 37);
	CHECK_U64(r.kbps, 980);
	CHECK_U64(r.pages_left, 5000);
	CHECK_U64(r.eta_ms, 4100);
	CHECK_U64(r.dirty_rate, STATUS_UNKNOWN);	/* no round ended yet */
	CHECK(!r.estimated);
	status_row_build(&r, &status_dom, &mi, 99,
			 "running: sending to h:t; round=1 percent=50 kbps=980 "
			 "pages_left=5000 dirty_rate=321");
	CHECK_U64(r.dirty_rate, 321);
	/* A running migration shows no kept statistics. */
	{
		struct lastmig l;

		lastmig_init(&l);
		status_row_set_last(&r, &l);
		CHECK(!r.has_last);
	}

	/* Committed, not yet exited. */
	status_row_build(&r, &status_dom, NULL, 99, "migrated to h:t");
	CHECK_INT(r.op, STATUS_OP_MIGRATE_OUT);
	CHECK_STR(r.peer, "h:t");
	CHECK_U64(r.percent, 100);
	CHECK_U64(r.pages_left, 0);

	/* Connecting: the lock is held, no session yet. */
	status_row_build(&r, &status_dom, &(struct mig_info){ 0 }, 99, "running");
	CHECK_INT(r.op, STATUS_OP_MIGRATE_OUT);
	CHECK_STR(r.peer, "");
	CHECK_U64(r.round, STATUS_UNKNOWN);
	CHECK_U64(r.percent, STATUS_UNKNOWN);
}

static void test_status_row_failed_and_receiving(void)
{
	struct mig_info mi = { .state = LDM_MIG_STATE_FAILED, .round = 3,
			       .error = EBADMSG };
	struct status_row r;

	/* The module's message of a failed session. */
	snprintf(mi.errmsg, sizeof(mi.errmsg), "batch failed authentication (corrupted or forged)");
	status_row_build(&r, &status_dom, &mi, 0, NULL);
	CHECK_INT(r.op, STATUS_OP_RECEIVE_IN);
	CHECK_U64(r.round, 2);
	CHECK_STR(r.error, "batch failed authentication (corrupted or forged)");
	CHECK_U64(r.percent, STATUS_UNKNOWN);

	/* No message: the errno's text. */
	mi.errmsg[0] = '\0';
	status_row_build(&r, &status_dom, &mi, 7, "running: sending to h:t; percent=50");
	CHECK_INT(r.op, STATUS_OP_MIGRATE_OUT);
	CHECK_STR(r.error, strerror(EBADMSG));
	CHECK_U64(r.percent, STATUS_UNKNOWN);	/* figures of a dead session */

	/* Receiving: no peer, no percent, the round seen. */
	mi.state = LDM_MIG_STATE_RECEIVING;
	mi.round = 1;
	status_row_build(&r, &status_dom, &mi, 0, NULL);
	CHECK_INT(r.op, STATUS_OP_RECEIVE_IN);
	CHECK_U64(r.round, 0);
	CHECK_STR(r.peer, "");
	CHECK_U64(r.percent, STATUS_UNKNOWN);
	CHECK_STR(r.error, "");
	CHECK(!r.estimated);
}

static const struct status_row status_rows_fixture[] = {
	{
		.name = "vm0", .state = LDM_DOMAIN_STATE_ACTIVE,
		.session = LDM_MIG_STATE_SENDING, .op = STATUS_OP_MIGRATE_OUT,
		.peer = "192.0.2.2:vm0", .pid = 321, .round = 2, .percent = 42,
		.kbps = 12345, .pages_left = 800, .eta_ms = 5000,
		.fc_rounds = 3, .fc_downtime_ms = 120, .dirty_rate = 2100,
		.dirty_limit = 500, .throttled = 7, .throttle_ms = 1400,
		.estimated = true,
	},
	{
		.name = "vm0-t", .state = LDM_DOMAIN_STATE_ACTIVE,
		.session = LDM_MIG_STATE_RECEIVING, .op = STATUS_OP_RECEIVE_IN,
		.round = 0, .percent = STATUS_UNKNOWN, .kbps = STATUS_UNKNOWN,
		.pages_left = STATUS_UNKNOWN, .eta_ms = STATUS_UNKNOWN,
		.dirty_rate = STATUS_UNKNOWN, .dirty_limit = STATUS_UNKNOWN,
		.throttled = STATUS_UNKNOWN, .throttle_ms = STATUS_UNKNOWN,
	},
	{
		.name = "old", .state = LDM_DOMAIN_STATE_MIGRATED,
		.session = LDM_MIG_STATE_NONE, .peer = "h:old",
		.round = STATUS_UNKNOWN, .percent = STATUS_UNKNOWN,
		.kbps = STATUS_UNKNOWN, .pages_left = STATUS_UNKNOWN,
		.eta_ms = STATUS_UNKNOWN, .dirty_rate = STATUS_UNKNOWN,
		.dirty_limit = STATUS_UNKNOWN, .throttled = STATUS_UNKNOWN,
		.throttle_ms = STATUS_UNKNOWN, .has_last = true,
		.last = {
			.result = LASTMIG_SUCCEEDED, .dest = "h:old",
			.end_time = 1700000000, .total_ms = 12345,
			.rounds = 4, .wire_bytes = 9000000, .pages = 20000,
			.suspend_ms = 85, .expected_suspend_ms = 60,
			.dirty_rate = 1500, .dirty_limit = 0, .throttled = 0,
			.throttle_ms = 0,
		},
	},
	{
		.name = "bad", .state = LDM_DOMAIN_STATE_ACTIVE,
		.session = LDM_MIG_STATE_NONE,
		.round = STATUS_UNKNOWN, .percent = STATUS_UNKNOWN,
		.kbps = STATUS_UNKNOWN, .pages_left = STATUS_UNKNOWN,
		.eta_ms = STATUS_UNKNOWN, .dirty_rate = STATUS_UNKNOWN,
		.dirty_limit = STATUS_UNKNOWN, .throttled = STATUS_UNKNOWN,
		.throttle_ms = STATUS_UNKNOWN, .error = "lost the \"target\"",
		.has_last = true,
		.last = {
			.result = LASTMIG_CANCELLED, .error = "cancelled in round 0",
			.total_ms = 2100, .rounds = 1,
			.suspend_ms = LASTMIG_UNKNOWN,
			.expected_suspend_ms = LASTMIG_UNKNOWN,
			.dirty_rate = LASTMIG_UNKNOWN,
			.dirty_limit = LASTMIG_UNKNOWN,
			.throttled = LASTMIG_UNKNOWN,
			.throttle_ms = LASTMIG_UNKNOWN,
		},
	},
};

static void test_status_table(void)
{
	struct capture c;
	char *out;

	CHECK_INT(status_print_table(capture_begin(&c), status_rows_fixture, 4), 0);
	out = capture_end(&c);
	CHECK_STR(out,
		  "NAME   STATE     OPERATION    PEER           ROUND  PROGRESS  MB/s  LEFT   ETA  FORECAST          DIRTY/s  THROTTLE        LAST                                                        ERROR\n"
		  "vm0    active    migrate-out  192.0.2.2:vm0      2       42%  12.3   800  0:05  3 rounds, 120 ms     2100  500/s, 7 waits  -                                                           -\n"
		  "vm0-t  active    receive-in   -                  0         -     -     -     -  -                       -  -               -                                                           -\n"
		  "old    migrated  -            h:old              -         -     -     -     -  -                       -  -               succeeded in 12.3 s, down 85 ms (forecast 60 ms), 4 rounds  -\n"
		  "bad    active    -            -                  -         -     -     -     -  -                       -  -               cancelled in 2.1 s, 1 round                                 lost the \"target\"\n");
	free(out);

	CHECK_INT(status_print_table(capture_begin(&c), NULL, 0), 0);
	out = capture_end(&c);
	CHECK_STR(out, "NAME  STATE  OPERATION  PEER  ROUND  PROGRESS  MB/s  LEFT  ETA  FORECAST  DIRTY/s  THROTTLE  LAST  ERROR\n");
	free(out);
}

static void test_status_json(void)
{
	struct capture c;
	char *out;

	CHECK_INT(status_print_json(capture_begin(&c), status_rows_fixture, 2), 0);
	out = capture_end(&c);
	CHECK_STR(out,
		  "[\n"
		  "  {\n"
		  "    \"name\": \"vm0\",\n"
		  "    \"state\": \"active\",\n"
		  "    \"session\": \"sending\",\n"
		  "    \"operation\": \"migrate-out\",\n"
		  "    \"peer\": \"192.0.2.2:vm0\",\n"
		  "    \"pid\": 321,\n"
		  "    \"round\": 2,\n"
		  "    \"percent\": 42,\n"
		  "    \"kbps\": 12345,\n"
		  "    \"pages_left\": 800,\n"
		  "    \"eta_ms\": 5000,\n"
		  "    \"forecast_rounds\": 3,\n"
		  "    \"forecast_downtime_ms\": 120,\n"
		  "    \"dirty_rate\": 2100,\n"
		  "    \"dirty_limit\": 500,\n"
		  "    \"throttled\": 7,\n"
		  "    \"throttle_ms\": 1400,\n"
		  "    \"estimated\": true,\n"
		  "    \"error\": null,\n"
		  "    \"last\": null\n"
		  "  },\n"
		  "  {\n"
		  "    \"name\": \"vm0-t\",\n"
		  "    \"state\": \"active\",\n"
		  "    \"session\": \"receiving\",\n"
		  "    \"operation\": \"receive-in\",\n"
		  "    \"peer\": null,\n"
		  "    \"pid\": null,\n"
		  "    \"round\": 0,\n"
		  "    \"percent\": null,\n"
		  "    \"kbps\": null,\n"
		  "    \"pages_left\": null,\n"
		  "    \"eta_ms\": null,\n"
		  "    \"forecast_rounds\": null,\n"
		  "    \"forecast_downtime_ms\": null,\n"
		  "    \"dirty_rate\": null,\n"
		  "    \"dirty_limit\": null,\n"
		  "    \"throttled\": null,\n"
		  "    \"throttle_ms\": null,\n"
		  "    \"estimated\": false,\n"
		  "    \"error\": null,\n"
		  "    \"last\": null\n"
		  "  }\n"
		  "]\n");
	free(out);

	/* The kept statistics of the last migration. */
	CHECK_INT(status_print_json(capture_begin(&c), status_rows_fixture + 2, 1), 0);
	out = capture_end(&c);
	CHECK(strstr(out,
		     "    \"last\": {\n"
		     "      \"result\": \"succeeded\",\n"
		     "      \"error\": null,\n"
		     "      \"destination\": \"h:old\",\n"
		     "      \"end_time\": 1700000000,\n"
		     "      \"total_ms\": 12345,\n"
		     "      \"suspend_ms\": 85,\n"
		     "      \"expected_suspend_ms\": 60,\n"
		     "      \"rounds\": 4,\n"
		     "      \"wire_bytes\": 9000000,\n"
		     "      \"pages\": 20000,\n"
		     "      \"dirty_rate\": 1500,\n"
		     "      \"dirty_limit\": 0,\n"
		     "      \"throttled\": 0,\n"
		     "      \"throttle_ms\": 0\n"
		     "    }\n"
		     "  }\n"
		     "]\n") != NULL);
	free(out);

	CHECK_INT(status_print_json(capture_begin(&c), status_rows_fixture + 3, 1), 0);
	out = capture_end(&c);
	CHECK(strstr(out, "\"operation\": null,\n") != NULL);
	CHECK(strstr(out, "\"error\": \"lost the \\\"target\\\"\",\n") != NULL);
	CHECK(strstr(out, "\"result\": \"cancelled\",\n"
		      "      \"error\": \"cancelled in round 0\",\n"
		      "      \"destination\": null,\n") != NULL);
	CHECK(strstr(out, "\"suspend_ms\": null,\n"
		      "      \"expected_suspend_ms\": null,\n") != NULL);
	free(out);

	CHECK_INT(status_print_json(capture_begin(&c), NULL, 0), 0);
	out = capture_end(&c);
	CHECK_STR(out, "[]\n");
	free(out);
}

/* ---- lastmig.c: the kept statistics of the last migration ---- */

static void test_lastmig_round_trip(void)
{
	struct lastmig l, back;
	const char *why = NULL;
	unsigned int line = 99;
	char buf[LASTMIG_FILE_MAX];
	int n;

	lastmig_init(&l);
	CHECK_U64(l.suspend_ms, LASTMIG_UNKNOWN);
	CHECK_U64(l.dirty_rate, LASTMIG_UNKNOWN);
	l.result = LASTMIG_SUCCEEDED;
	snprintf(l.dest, sizeof(l.dest), "192.0.2.2:vm0-t");
	l.end_time = 1700000000;
	l.total_ms = 12345;
	l.suspend_ms = 85;
	l.expected_suspend_ms = 60;
	l.rounds = 4;
	l.wire_bytes = 9000000;
	l.pages = 20000;
	l.dirty_rate = 0;
	n = lastmig_format(buf, sizeof(buf), &l);
	CHECK_STR(buf,
		  "result=succeeded\n"
		  "destination=192.0.2.2:vm0-t\n"
		  "end_time=1700000000\n"
		  "total_ms=12345\n"
		  "suspend_ms=85\n"
		  "expected_suspend_ms=60\n"
		  "rounds=4\n"
		  "wire_bytes=9000000\n"
		  "pages=20000\n"
		  "dirty_rate=0\n");
	CHECK_INT(n, strlen(buf));
	CHECK_INT(lastmig_parse(buf, (size_t)n, &back, &why, &line), 0);
	CHECK_INT(line, 0);
	CHECK(!memcmp(&l, &back, sizeof(l)));

	/* A failure's message; bytes that are not printable become '?'. */
	l.result = LASTMIG_CANCELLED;
	snprintf(l.error, sizeof(l.error), "cancelled\n in\tround 0 \xc3\xa9");
	l.dirty_limit = 200;
	l.throttled = 7;
	l.throttle_ms = 1400;
	n = lastmig_format(buf, sizeof(buf), &l);
	CHECK(strstr(buf, "result=cancelled\nerror=cancelled? in?round 0 ??\n") == buf);
	CHECK(strstr(buf, "dirty_limit=200\nthrottled=7\nthrottle_ms=1400\n") != NULL);
	CHECK_INT(lastmig_parse(buf, (size_t)n, &back, &why, &line), 0);
	CHECK_STR(back.error, "cancelled? in?round 0 ??");
	CHECK_INT(back.result, LASTMIG_CANCELLED);
	CHECK_U64(back.throttled, 7);

	CHECK_STR(lastmig_result_name(LASTMIG_FAILED), "failed");
	CHECK_STR(lastmig_result_name(LASTMIG_UNKNOWN_OUTCOME), "unknown");
	CHECK_STR(lastmig_result_name((enum lastmig_result)42), "unknown");

	/* Too small a buffer is refused, never overflowed. */
	CHECK_INT(lastmig_format(buf, 20, &l), -ENOSPC);
	CHECK_INT(lastmig_format(buf, 0, &l), -ENOSPC);
}

/* lastmig_parse() of @text: 0, or -EINVAL with the line it names. */
static int lastmig_try(const char *text, unsigned int *line)
{
	struct lastmig l;
	const char *why = NULL;
	int ret = lastmig_parse(text, strlen(text), &l, &why, line);

	if (ret && !why)
		return -999;	/* a refusal must say why */
	return ret;
}

#define LASTMIG_BASE "result=failed\nend_time=1\ntotal_ms=2\nrounds=0\n" \
		     "wire_bytes=0\npages=0\n"

static void test_lastmig_parse_malformed(void)
{
	char big[LASTMIG_FILE_MAX + 64];
	unsigned int line;
	struct lastmig l;
	const char *why;

	CHECK_INT(lastmig_try(LASTMIG_BASE, &line), 0);
	/* A key of a later ldmctl is skipped. */
	CHECK_INT(lastmig_try(LASTMIG_BASE "future_key=whatever it is\n", &line), 0);
	/* Each required key. */
	CHECK_INT(lastmig_try("end_time=1\ntotal_ms=2\nrounds=0\nwire_bytes=0\npages=0\n",
			      &line), -EINVAL);
	CHECK_INT(line, 0);
	CHECK_INT(lastmig_try("result=failed\ntotal_ms=2\nrounds=0\nwire_bytes=0\npages=0\n",
			      &line), -EINVAL);
	CHECK_INT(lastmig_try("", &line), -EINVAL);
	/* Lines that are not key=value, bad values, keys twice. */
	CHECK_INT(lastmig_try(LASTMIG_BASE "garbage\n", &line), -EINVAL);
	CHECK_INT(line, 7);
	CHECK_INT(lastmig_try("result=won\n" LASTMIG_BASE, &line), -EINVAL);
	CHECK_INT(line, 1);
	CHECK_INT(lastmig_try(LASTMIG_BASE "result=failed\n", &line), -EINVAL);
	CHECK_INT(lastmig_try(LASTMIG_BASE "suspend_ms=-1\n", &line), -EINVAL);
	CHECK_INT(lastmig_try(LASTMIG_BASE "suspend_ms=\n", &line), -EINVAL);
	CHECK_INT(lastmig_try(LASTMIG_BASE "suspend_ms=12 \n", &line), -EINVAL);
	CHECK_INT(lastmig_try(LASTMIG_BASE "suspend_ms=18446744073709551616\n", &line), -EINVAL);
	/* UINT64_MAX means unknown: never written, never taken. */
	CHECK_INT(lastmig_try(LASTMIG_BASE "suspend_ms=18446744073709551615\n", &line), -EINVAL);
	CHECK_INT(lastmig_try(LASTMIG_BASE "Suspend_ms=1\n", &line), -EINVAL);
	CHECK_INT(lastmig_try(LASTMIG_BASE "=1\n", &line), -EINVAL);
	/* Control bytes, bytes above ASCII, a missing last newline. */
	CHECK_INT(lastmig_try(LASTMIG_BASE "error=a\rb\n", &line), -EINVAL);
	CHECK_INT(lastmig_try(LASTMIG_BASE "error=caf\xc3\xa9\n", &line), -EINVAL);
	CHECK_INT(lastmig_try(LASTMIG_BASE "rounds_x=1", &line), -EINVAL);
	CHECK_INT(lastmig_parse(LASTMIG_BASE "\0x=1\n", sizeof(LASTMIG_BASE "\0x=1\n") - 1,
				&l, &why, &line), -EINVAL);
	/* A string longer than its field, a file over the limit. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "error=", 6);
	big[6 + LASTMIG_ERROR_MAX] = '\n';
	big[7 + LASTMIG_ERROR_MAX] = '\0';
	CHECK_INT(lastmig_parse(big, strlen(big), &l, &why, &line), -EINVAL);
	CHECK_INT(lastmig_parse(big, sizeof(big), &l, &why, &line), -EINVAL);
	CHECK_STR(why, "too long");
	/* What a refusal leaves is no half-read file. */
	CHECK_U64(l.suspend_ms, LASTMIG_UNKNOWN);
}

static void test_lastmig_file_checks(void)
{
	char dir[] = "/tmp/ldmctl-unit.XXXXXX", path[64], link[64], why[160];
	struct lastmig l, back;

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/vm0.last", dir);
	snprintf(link, sizeof(link), "%s/ln.last", dir);
	lastmig_init(&l);
	l.result = LASTMIG_FAILED;
	snprintf(l.error, sizeof(l.error), "lost the target");
	l.rounds = 2;
	CHECK_INT(lastmig_read_file(path, &back, why, sizeof(why)), -ENOENT);
	CHECK_INT(lastmig_write_file(path, &l), 0);
	CHECK_INT(lastmig_read_file(path, &back, why, sizeof(why)), 0);
	CHECK_STR(back.error, "lost the target");
	CHECK_U64(back.rounds, 2);
	/* Renamed into place: no temporary file left. */
	snprintf(link, sizeof(link), "%s/vm0.last.new", dir);
	CHECK(access(link, F_OK) && errno == ENOENT);
	snprintf(link, sizeof(link), "%s/ln.last", dir);

	/* Writable by others: never trusted. */
	CHECK_INT(chmod(path, 0620), 0);
	CHECK_INT(lastmig_read_file(path, &back, why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "only this user may write") != NULL);
	CHECK_INT(chmod(path, 0602), 0);
	CHECK_INT(lastmig_read_file(path, &back, why, sizeof(why)), -EPERM);
	CHECK_INT(chmod(path, 0644), 0);
	CHECK_INT(lastmig_read_file(path, &back, why, sizeof(why)), 0);
	/* A symbolic link, a directory. */
	CHECK_INT(symlink(path, link), 0);
	CHECK_INT(lastmig_read_file(link, &back, why, sizeof(why)), -EPERM);
	CHECK_STR(why, "a symbolic link");
	unlink(link);
	CHECK_INT(mkdir(link, 0700), 0);
	CHECK_INT(lastmig_read_file(link, &back, why, sizeof(why)), -EPERM);
	rmdir(link);
	/* Malformed: the line named. */
	{
		FILE *f = fopen(path, "w");

		CHECK(f != NULL);
		if (f) {
			fputs("result=failed\nend_time=soon\n", f);
			fclose(f);
		}
	}
	CHECK_INT(lastmig_read_file(path, &back, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "malformed: line 2: a value that does not parse");
	unlink(path);
	rmdir(dir);
}

/* ---- report.c ---- */

/* ---- oplock.c: migrate-set's requests ---- */

static void test_request_parse(void)
{
	uint64_t down = 300, bw = 1000;
	char t1[] = "downtime-limit=2000\nbandwidth=0\n";
	char t2[] = "bandwidth=5000000";
	char t3[] = "downtime-limit=0\n";
	char t4[] = "bandwidth=-1\n";
	char t5[] = "speed=5\n";
	char t6[] = "downtime-limit=12x\n";
	char t7[] = "";

	CHECK_INT(oplock_request_parse(t1, &down, &bw), 0);
	CHECK_U64(down, 2000);
	CHECK_U64(bw, 0);
	/* What a request does not name keeps its value. */
	CHECK_INT(oplock_request_parse(t2, &down, &bw), 0);
	CHECK_U64(down, 2000);
	CHECK_U64(bw, 5000000);
	/* Anything else changes nothing. */
	CHECK_INT(oplock_request_parse(t3, &down, &bw), -EINVAL);
	CHECK_INT(oplock_request_parse(t4, &down, &bw), -EINVAL);
	CHECK_INT(oplock_request_parse(t5, &down, &bw), -EINVAL);
	CHECK_INT(oplock_request_parse(t6, &down, &bw), -EINVAL);
	CHECK_U64(down, 2000);
	CHECK_U64(bw, 5000000);
	CHECK_INT(oplock_request_parse(t7, &down, &bw), 0);
	CHECK_U64(down, 2000);
}

static void test_quote_arg(void)
{
	char buf[QUOTE_MAX];
	char huge[1000];

	CHECK_STR(quote_arg("vm0", buf), "vm0");
	CHECK_STR(quote_arg("", buf), "");
	CHECK_STR(quote_arg("a/b c", buf), "a/b c");
	CHECK_STR(quote_arg("it's", buf), "it\\'s");
	CHECK_STR(quote_arg("a\\b", buf), "a\\\\b");
	CHECK_STR(quote_arg("a\nb\x1b[0m", buf), "a\\x0ab\\x1b[0m");
	CHECK_STR(quote_arg("\xc3\xa9\x7f", buf), "\\xc3\\xa9\\x7f");

	memset(huge, 'x', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	quote_arg(huge, buf);
	CHECK_INT(strlen(buf), 64 + 3);
	CHECK(!strcmp(buf + 64, "..."));
	/* Exactly 64 bytes: shown whole, no ellipsis. */
	huge[64] = '\0';
	CHECK_STR(quote_arg(huge, buf), huge);
	/* The worst case fills QUOTE_MAX exactly. */
	memset(huge, 0x01, 100);
	huge[100] = '\0';
	quote_arg(huge, buf);
	CHECK_INT(strlen(buf) + 1, QUOTE_MAX);
}

static char *reported(const char *cmd, const char *name, int err,
		      const char *ext_ack, int *code)
{
	struct capture c;

	report_file = capture_begin(&c);
	*code = report_result(cmd, name, err, ext_ack);
	report_file = NULL;
	return capture_end(&c);
}

static void test_report_messages(void)
{
	char *out;
	int code;

	out = reported("add-domain", "a", -EEXIST, "domain already exists",
		       &code);
	CHECK_STR(out, "ldmctl: add-domain: 'a': domain already exists\n");
	CHECK_INT(code, LDMCTL_EXIT_FAIL);
	free(out);

	/* No extended ack: strerror(). */
	out = reported("remove-domain", "vm0", -EBUSY, NULL, &code);
	CHECK_STR(out, "ldmctl: remove-domain: 'vm0': Device or resource busy\n");
	CHECK_INT(code, LDMCTL_EXIT_FAIL);
	free(out);

	/* A capability failure comes with no message: say what is needed. */
	out = reported("list", NULL, -EPERM, NULL, &code);
	CHECK_STR(out, "ldmctl: list: Operation not permitted (ldmctl needs CAP_NET_ADMIN)\n");
	CHECK_INT(code, LDMCTL_EXIT_PERM);
	free(out);

	out = reported("list", "x", -EACCES, NULL, &code);
	CHECK_INT(code, LDMCTL_EXIT_PERM);
	free(out);

	/* Success with a message is a warning; exit 0. */
	out = reported("add-domain", "a", 0, "something odd", &code);
	CHECK_STR(out, "ldmctl: add-domain: 'a': warning: something odd\n");
	CHECK_INT(code, LDMCTL_EXIT_OK);
	free(out);

	out = reported("add-domain", "a", 0, NULL, &code);
	CHECK_STR(out, "");
	CHECK_INT(code, LDMCTL_EXIT_OK);
	free(out);

	/* Names are quoted safely. */
	out = reported("list", "a'\n", -ENOENT, "no such domain", &code);
	CHECK_STR(out, "ldmctl: list: 'a\\'\\x0a': no such domain\n");
	free(out);
}

static void test_exit_codes(void)
{
	CHECK_INT(exit_code_for(0), 0);
	CHECK_INT(exit_code_for(-EPERM), 4);
	CHECK_INT(exit_code_for(-EACCES), 4);
	CHECK_INT(exit_code_for(-EEXIST), 1);
	CHECK_INT(exit_code_for(-ENOENT), 1);
	CHECK_INT(exit_code_for(-EBUSY), 1);
	CHECK_INT(exit_code_for(-ENOMEM), 1);
	CHECK_INT(exit_code_for(-EINVAL), 1);
	CHECK_INT(exit_code_for(-ETIMEDOUT), 1);
	CHECK_INT(exit_code_for(ERR_NO_MODULE), 3);
	CHECK_INT(exit_code_for(ERR_REFUSED), 5);
	CHECK_INT(exit_code_for(ERR_CANCELLED), 6);
	CHECK_INT(exit_code_for(ERR_UNKNOWN), 7);
	CHECK_INT(exit_code_for(ERR_BUSY), 8);
}

/* ---- genl.c: extended acks ---- */

/*
 * Builds what the kernel sends: an NLMSG_ERROR (or DONE) with @flags, the
 * status, the echoed request unless NLM_F_CAPPED, then @tlv_msg as
 * NLMSGERR_ATTR_MSG when given.
 */
static struct nl_msg *ack_msg(int type, int flags, int error,
			      const char *tlv_msg)
{
	struct nl_msg *req, *msg;
	struct nlmsghdr *rh;

	/* A request as ldmctl would send it, to be echoed. */
	req = nlmsg_alloc();
	genlmsg_put(req, 1234, 7, 0x1f, 0, NLM_F_REQUEST | NLM_F_ACK,
		    LDM_CMD_DOMAIN_NEW, LDM_GENL_VERSION);
	nla_put_string(req, LDM_A_DOMAIN_NAME, "vm0");
	nla_put_u64(req, LDM_A_DOMAIN_SIZE, UINT64_C(64) << 20);
	rh = nlmsg_hdr(req);

	msg = nlmsg_alloc();
	if (type == NLMSG_ERROR) {
		struct nlmsgerr e = { .error = error, .msg = *rh };
		bool capped = flags & NLM_F_CAPPED;

		nlmsg_put(msg, 0, 7, NLMSG_ERROR, 0, flags);
		nlmsg_append(msg, &e, sizeof(e), 0);
		if (!capped)
			nlmsg_append(msg, nlmsg_data(rh), nlmsg_datalen(rh),
				     NLMSG_ALIGNTO);
		else
			nlmsg_hdr(msg)->nlmsg_len = NLMSG_ALIGN(nlmsg_hdr(msg)->nlmsg_len);
	} else {
		nlmsg_put(msg, 0, 7, NLMSG_DONE, 0, flags | NLM_F_MULTI);
		nlmsg_append(msg, &error, sizeof(error), NLMSG_ALIGNTO);
	}
	if (tlv_msg)
		nla_put_string(msg, NLMSGERR_ATTR_MSG, tlv_msg);
	nlmsg_free(req);
	return msg;
}

static void test_ext_ack_error_echoed(void)
{
	struct nl_msg *m = ack_msg(NLMSG_ERROR, NLM_F_ACK_TLVS, -EEXIST,
				   "domain already exists");
	char buf[LDM_GENL_EXT_ACK_MAX];
	int error = 1;

	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)), 0);
	CHECK_INT(error, -EEXIST);
	CHECK_STR(buf, "domain already exists");
	nlmsg_free(m);
}

static void test_ext_ack_error_capped(void)
{
	struct nl_msg *m = ack_msg(NLMSG_ERROR, NLM_F_ACK_TLVS | NLM_F_CAPPED,
				   -ENAMETOOLONG,
				   "domain name is longer than 31 bytes");
	char buf[LDM_GENL_EXT_ACK_MAX];
	int error = 1;

	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)), 0);
	CHECK_INT(error, -ENAMETOOLONG);
	CHECK_STR(buf, "domain name is longer than 31 bytes");
	nlmsg_free(m);
}

static void test_ext_ack_absent(void)
{
	char buf[LDM_GENL_EXT_ACK_MAX] = "stale";
	struct nl_msg *m;
	int error = 1;

	/* Plain error, no attributes. */
	m = ack_msg(NLMSG_ERROR, 0, -EPERM, NULL);
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)), 0);
	CHECK_INT(error, -EPERM);
	CHECK_STR(buf, "");
	nlmsg_free(m);

	/* Attributes present but not flagged: not read. */
	m = ack_msg(NLMSG_ERROR, NLM_F_CAPPED, -EPERM, "ignored");
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "");
	nlmsg_free(m);

	/* A success ACK, capped as the kernel sends it. */
	m = ack_msg(NLMSG_ERROR, NLM_F_CAPPED, 0, NULL);
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)), 0);
	CHECK_INT(error, 0);
	CHECK_STR(buf, "");
	nlmsg_free(m);
}

static void test_ext_ack_warning(void)
{
	struct nl_msg *m = ack_msg(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS,
				   0, "a warning");
	char buf[LDM_GENL_EXT_ACK_MAX];
	int error = 1;

	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)), 0);
	CHECK_INT(error, 0);
	CHECK_STR(buf, "a warning");
	nlmsg_free(m);
}

static void test_ext_ack_done(void)
{
	char buf[LDM_GENL_EXT_ACK_MAX];
	struct nl_msg *m;
	int error = 1;

	m = ack_msg(NLMSG_DONE, NLM_F_ACK_TLVS, -ENOSPC, "dump failed");
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)), 0);
	CHECK_INT(error, -ENOSPC);
	CHECK_STR(buf, "dump failed");
	nlmsg_free(m);

	m = ack_msg(NLMSG_DONE, 0, 0, NULL);
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)), 0);
	CHECK_INT(error, 0);
	CHECK_STR(buf, "");
	nlmsg_free(m);

	/* A DONE without the status int counts as success. */
	m = nlmsg_alloc();
	nlmsg_put(m, 0, 7, NLMSG_DONE, 0, NLM_F_MULTI);
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)), 0);
	CHECK_INT(error, 0);
	nlmsg_free(m);
}

static void test_ext_ack_truncation(void)
{
	char longmsg[600], buf[16];
	struct nl_msg *m;
	struct nlattr *a;
	int error;

	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	m = ack_msg(NLMSG_ERROR, NLM_F_ACK_TLVS, -EINVAL, longmsg);
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)), 0);
	CHECK_INT(strlen(buf), sizeof(buf) - 1);
	nlmsg_free(m);

	/* A message without its NUL is still read within its length. */
	m = ack_msg(NLMSG_ERROR, NLM_F_ACK_TLVS | NLM_F_CAPPED, -EINVAL, NULL);
	nla_put(m, NLMSGERR_ATTR_MSG, 3, "abc");
	a = nlmsg_find_attr(nlmsg_hdr(m), NLMSG_ALIGN(sizeof(struct nlmsgerr)),
			    NLMSGERR_ATTR_MSG);
	CHECK(a != NULL);
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "abc");
	nlmsg_free(m);
}

static void test_ext_ack_malformed(void)
{
	char buf[LDM_GENL_EXT_ACK_MAX];
	struct nl_msg *m;
	int error;

	/* Shorter than an nlmsgerr. */
	m = ack_msg(NLMSG_ERROR, NLM_F_ACK_TLVS, -EINVAL, "x");
	nlmsg_hdr(m)->nlmsg_len = NLMSG_HDRLEN + 2;
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)),
		  -EBADMSG);
	nlmsg_free(m);

	/* The echo claims more than the message holds. */
	m = ack_msg(NLMSG_ERROR, NLM_F_ACK_TLVS, -EINVAL, "x");
	((struct nlmsgerr *)nlmsg_data(nlmsg_hdr(m)))->msg.nlmsg_len = 100000;
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)),
		  -EBADMSG);
	nlmsg_free(m);

	/* An echoed header shorter than a header. */
	m = ack_msg(NLMSG_ERROR, NLM_F_ACK_TLVS, -EINVAL, "x");
	((struct nlmsgerr *)nlmsg_data(nlmsg_hdr(m)))->msg.nlmsg_len = 3;
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)),
		  -EBADMSG);
	nlmsg_free(m);

	/* A positive "errno". */
	m = ack_msg(NLMSG_ERROR, NLM_F_CAPPED, EINVAL, NULL);
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)),
		  -EBADMSG);
	nlmsg_free(m);

	/* Not an ack at all. */
	m = nlmsg_alloc();
	nlmsg_put(m, 0, 7, 0x1f, 4, 0);
	CHECK_INT(ldm_genl_parse_ack(nlmsg_hdr(m), &error, buf, sizeof(buf)),
		  -EBADMSG);
	nlmsg_free(m);
}

static void test_genl_errno(void)
{
	CHECK_INT(ldm_genl_errno(0), 0);
	CHECK_INT(ldm_genl_errno(-NLE_OBJ_NOTFOUND), -ENOENT);
	CHECK_INT(ldm_genl_errno(NLE_OBJ_NOTFOUND), -ENOENT);
	CHECK_INT(ldm_genl_errno(-NLE_PERM), -EPERM);
	CHECK_INT(ldm_genl_errno(-NLE_NOACCESS), -EACCES);
	CHECK_INT(ldm_genl_errno(-NLE_NOMEM), -ENOMEM);
	CHECK_INT(ldm_genl_errno(-NLE_EXIST), -EEXIST);
	CHECK_INT(ldm_genl_errno(-NLE_BUSY), -EBUSY);
	CHECK_INT(ldm_genl_errno(-NLE_DUMP_INTR), -EAGAIN);
	CHECK_INT(ldm_genl_errno(-NLE_SEQ_MISMATCH), -EBADMSG);
	CHECK_INT(ldm_genl_errno(-NLE_FAILURE), -EIO);
	CHECK_INT(ldm_genl_errno(-9999), -EIO);
}

/* ---- domain.c: replies ---- */

static struct nl_msg *reply_msg(void)
{
	struct nl_msg *m = nlmsg_alloc();

	genlmsg_put(m, 0, 7, 0x1f, 0, 0, LDM_CMD_DOMAIN_GET, LDM_GENL_VERSION);
	return m;
}

static void test_domain_reply(void)
{
	struct ldm_domain_info info;
	struct nl_msg *m = reply_msg();
	uint32_t pad = 0;

	nla_put_string(m, LDM_A_DOMAIN_NAME, "vm0");
	/* The kernel pads 64-bit attributes with LDM_A_PAD. */
	nla_put(m, LDM_A_PAD, 0, &pad);
	nla_put_u64(m, LDM_A_DOMAIN_SIZE, UINT64_C(64) << 20);
	nla_put_u32(m, LDM_A_DOMAIN_PAGE_SIZE, 4096);
	nla_put_u64(m, LDM_A_DOMAIN_RESIDENT, 12288);
	nla_put_u64(m, LDM_A_DOMAIN_DIRTY, 100);
	nla_put_u32(m, LDM_A_DOMAIN_STATE, LDM_DOMAIN_STATE_ACTIVE);
	nla_put_u32(m, LDM_A_DOMAIN_OPEN, 2);
	nla_put_u32(m, LDM_A_DOMAIN_MAPPED, 3);
	nla_put_u32(m, LDM_A_DOMAIN_MINOR, 4);
	/* A newer kernel's attribute is skipped, not an error. */
	nla_put_u32(m, LDM_A_MAX + 5, 99);

	CHECK_INT(ldm_domain_info_parse(m, &info), 0);
	CHECK_STR(info.name, "vm0");
	CHECK_U64(info.size, UINT64_C(64) << 20);
	CHECK_INT(info.page_size, 4096);
	CHECK_U64(info.resident, 12288);
	CHECK_U64(info.dirty, 100);
	CHECK_INT(info.state, LDM_DOMAIN_STATE_ACTIVE);
	CHECK_INT(info.open, 2);
	CHECK_INT(info.mapped, 3);
	CHECK_INT(info.minor, 4);
	nlmsg_free(m);
}

static void test_domain_reply_minimal(void)
{
	struct ldm_domain_info info;
	struct nl_msg *m = reply_msg();

	nla_put_string(m, LDM_A_DOMAIN_NAME, "abcdefghijklmnopqrstuvwxyzABCDE");
	nla_put_u64(m, LDM_A_DOMAIN_SIZE, 4096);
	memset(&info, 0xff, sizeof(info));
	CHECK_INT(ldm_domain_info_parse(m, &info), 0);
	CHECK_STR(info.name, "abcdefghijklmnopqrstuvwxyzABCDE");
	CHECK_U64(info.size, 4096);
	CHECK_INT(info.page_size, 0);
	CHECK_U64(info.resident, 0);
	CHECK_INT(info.minor, 0);
	nlmsg_free(m);
}

static void test_domain_reply_malformed(void)
{
	struct ldm_domain_info info;
	struct nl_msg *m;

	/* No name. */
	m = reply_msg();
	nla_put_u64(m, LDM_A_DOMAIN_SIZE, 4096);
	CHECK_INT(ldm_domain_info_parse(m, &info), -EBADMSG);
	nlmsg_free(m);

	/* No size. */
	m = reply_msg();
	nla_put_string(m, LDM_A_DOMAIN_NAME, "vm0");
	CHECK_INT(ldm_domain_info_parse(m, &info), -EBADMSG);
	nlmsg_free(m);

	/* A name too long for LDM_NAME_MAX. */
	m = reply_msg();
	nla_put_string(m, LDM_A_DOMAIN_NAME, "abcdefghijklmnopqrstuvwxyzABCDEF");
	nla_put_u64(m, LDM_A_DOMAIN_SIZE, 4096);
	CHECK_INT(ldm_domain_info_parse(m, &info), -EBADMSG);
	nlmsg_free(m);

	/* A name without its NUL. */
	m = reply_msg();
	nla_put(m, LDM_A_DOMAIN_NAME, 3, "vm0");
	nla_put_u64(m, LDM_A_DOMAIN_SIZE, 4096);
	CHECK_INT(ldm_domain_info_parse(m, &info), -EBADMSG);
	nlmsg_free(m);

	/* A u64 cut to 32 bits. */
	m = reply_msg();
	nla_put_string(m, LDM_A_DOMAIN_NAME, "vm0");
	nla_put_u32(m, LDM_A_DOMAIN_SIZE, 4096);
	CHECK_INT(ldm_domain_info_parse(m, &info), -EBADMSG);
	nlmsg_free(m);

	/* A u32 cut to 16 bits. */
	m = reply_msg();
	nla_put_string(m, LDM_A_DOMAIN_NAME, "vm0");
	nla_put_u64(m, LDM_A_DOMAIN_SIZE, 4096);
	nla_put_u16(m, LDM_A_DOMAIN_OPEN, 1);
	CHECK_INT(ldm_domain_info_parse(m, &info), -EBADMSG);
	nlmsg_free(m);

	/* Shorter than a genetlink header. */
	m = nlmsg_alloc();
	nlmsg_put(m, 0, 7, 0x1f, 2, 0);
	CHECK_INT(ldm_domain_info_parse(m, &info), -EBADMSG);
	nlmsg_free(m);
}

static void test_domain_state_names(void)
{
	CHECK_STR(ldm_domain_state_name(LDM_DOMAIN_STATE_ACTIVE), "active");
	CHECK_STR(ldm_domain_state_name(LDM_DOMAIN_STATE_UNSPEC), "unknown");
	CHECK_STR(ldm_domain_state_name(99), "unknown");
}

/* ---- the command line, up to (never into) netlink ---- */

struct run_result {
	int code;
	char *out;	/* stdout */
	char *err;	/* messages */
};

/*
 * Runs a command as main() would after the global options. stdout goes
 * to a temporary file (commands print help there with printf-style
 * calls on stdout), messages to a memory stream.
 */
static struct run_result run(bool json, const char *const *args)
{
	struct ldmctl_opts opts = { .json = json };
	const struct subcommand *cmd;
	struct run_result r = { 0 };
	struct capture err;
	char *argv[32];
	int argc = 0, saved;
	FILE *tmp;
	long len;

	while (argc < 31 && args[argc]) {
		/* getopt permutes the pointers, never the strings. */
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	cmd = subcommand_find(argv[0]);
	if (!cmd) {
		r.code = -1;
		return r;
	}

	fflush(stdout);
	tmp = tmpfile();
	saved = dup(STDOUT_FILENO);
	if (!tmp || saved < 0 || dup2(fileno(tmp), STDOUT_FILENO) < 0) {
		perror("redirecting stdout");
		exit(2);
	}
	report_file = capture_begin(&err);

	r.code = cmd->run(cmd, argc, argv, &opts);

	report_file = NULL;
	r.err = capture_end(&err);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	len = ftell(tmp);
	r.out = calloc(1, (size_t)len + 1);
	rewind(tmp);
	if (fread(r.out, 1, (size_t)len, tmp) != (size_t)len)
		r.code = -2;
	fclose(tmp);
	return r;
}

static void run_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
}

/* A usage error: exit 2, @err_want on stderr, nothing on stdout. */
#define CHECK_USAGE(err_want, ...) do {					\
	static const char *const a_[] = { __VA_ARGS__, NULL };		\
	struct run_result r_ = run(false, a_);				\
	CHECK_INT(r_.code, LDMCTL_EXIT_USAGE);				\
	CHECK_STR(r_.err, err_want);					\
	CHECK_STR(r_.out, "");						\
	run_free(&r_);							\
} while (0)

static void test_command_table(void)
{
	size_t i, k;

	CHECK(nsubcommands >= 4);
	for (i = 0; i < nsubcommands; i++) {
		const struct subcommand *c = subcommands[i];

		CHECK(c->name && c->synopsis && c->summary && c->help && c->run);
		CHECK(subcommand_find(c->name) == c);
		/* Help texts end their last line. */
		CHECK(c->help[strlen(c->help) - 1] == '\n');
		for (k = i + 1; k < nsubcommands; k++)
			CHECK(strcmp(c->name, subcommands[k]->name));
	}
	CHECK(subcommand_find("nope") == NULL);
	CHECK(subcommand_find("") == NULL);
	CHECK(subcommand_find("add") == NULL);
}

static const char *const add_usage = "usage: ldmctl add-domain NAME --mem SIZE\n";

/* serve's admission options are checked before anything listens. */
static void test_serve_admission_usage(void)
{
	static const struct {
		const char *const args[8];
		const char *msg;
	} bad[] = {
		{ { "serve", "--max-startups", "0" },
		  "ldmctl: serve: --max-startups must be a number from 1 to 256\n" },
		{ { "serve", "--max-startups", "257" },
		  "ldmctl: serve: --max-startups must be a number from 1 to 256\n" },
		{ { "serve", "--max-startups-per-addr", "-1" },
		  "ldmctl: serve: --max-startups-per-addr must be a number from 1 to 256\n" },
		{ { "serve", "--max-migrations", "many" },
		  "ldmctl: serve: --max-migrations must be a number from 1 to 1024\n" },
		{ { "serve", "--handshake-timeout", "601" },
		  "ldmctl: serve: --handshake-timeout must be a number of seconds from 1 to 600\n" },
		{ { "serve", "--max-startups", "4", "--max-startups-per-addr", "5" },
		  "ldmctl: serve: --max-startups-per-addr 5 exceeds --max-startups 4\n" },
	};
	static const char *const fine[] = {
		"serve", "--max-startups", "4", "--max-migrations", "1",
		"--handshake-timeout", "1", "--cert", "/nonexistent/ldm.crt", NULL
	};
	struct run_result r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = run(false, bad[i].args);
		CHECK_INT(r.code, LDMCTL_EXIT_USAGE);
		CHECK(r.err && !strncmp(r.err, bad[i].msg, strlen(bad[i].msg)));
		CHECK(r.err && strstr(r.err, "\nusage: ldmctl serve "));
		CHECK_STR(r.out, "");
		run_free(&r);
	}
	/*
	 * A --max-startups below the default share lowers the share too:
	 * not a usage error; this one fails on the certificate instead.
	 */
	r = run(false, fine);
	CHECK_INT(r.code, LDMCTL_EXIT_FAIL);
	CHECK(r.err && strstr(r.err, "/nonexistent/ldm.crt"));
	run_free(&r);
}

static void test_add_domain_usage(void)
{
	CHECK_USAGE("ldmctl: add-domain: missing domain name\n"
		    "usage: ldmctl add-domain NAME --mem SIZE\n",
		    "add-domain");
	CHECK_USAGE("ldmctl: add-domain: missing domain name\n"
		    "usage: ldmctl add-domain NAME --mem SIZE\n",
		    "add-domain", "--mem", "64M");
	CHECK_USAGE("ldmctl: add-domain: missing --mem SIZE\n"
		    "usage: ldmctl add-domain NAME --mem SIZE\n",
		    "add-domain", "vm0");
	CHECK_USAGE("ldmctl: add-domain: unexpected argument 'extra'\n"
		    "usage: ldmctl add-domain NAME --mem SIZE\n",
		    "add-domain", "vm0", "extra", "--mem", "64M");
	CHECK_USAGE("ldmctl: add-domain: --mem given twice\n"
		    "usage: ldmctl add-domain NAME --mem SIZE\n",
		    "add-domain", "--mem", "1G", "vm0", "-m", "2G");
	CHECK_USAGE("ldmctl: add-domain: option '--mem' needs a value\n"
		    "usage: ldmctl add-domain NAME --mem SIZE\n",
		    "add-domain", "vm0", "--mem");
	CHECK_USAGE("ldmctl: add-domain: option '-m' needs a value\n"
		    "usage: ldmctl add-domain NAME --mem SIZE\n",
		    "add-domain", "vm0", "-m");
	CHECK_USAGE("ldmctl: add-domain: unknown option '--frob'\n"
		    "usage: ldmctl add-domain NAME --mem SIZE\n",
		    "add-domain", "vm0", "--mem", "64M", "--frob");
	CHECK_USAGE("ldmctl: add-domain: unknown option '-x'\n"
		    "usage: ldmctl add-domain NAME --mem SIZE\n",
		    "add-domain", "-x", "vm0", "--mem", "64M");
	CHECK_USAGE("ldmctl: add-domain: option '--help' takes no value\n"
		    "usage: ldmctl add-domain NAME --mem SIZE\n",
		    "add-domain", "--help=yes");
	(void)add_usage;
}

static void test_add_domain_bad_values(void)
{
	CHECK_USAGE("ldmctl: add-domain: 'a/b': domain name may only contain A-Z, a-z, 0-9, '_', '.' and '-'\n",
		    "add-domain", "a/b", "--mem", "64M");
	CHECK_USAGE("ldmctl: add-domain: '..': domain name cannot be '.' or '..'\n",
		    "add-domain", "..", "--mem", "64M");
	CHECK_USAGE("ldmctl: add-domain: '': domain name is empty\n",
		    "add-domain", "", "--mem", "64M");
	CHECK_USAGE("ldmctl: add-domain: 'abcdefghijklmnopqrstuvwxyzABCDEF': domain name is longer than 31 bytes\n",
		    "add-domain", "abcdefghijklmnopqrstuvwxyzABCDEF", "--mem", "64M");
	/* A bad name is reported even when the size is bad too. */
	CHECK_USAGE("ldmctl: add-domain: 'a b': domain name may only contain A-Z, a-z, 0-9, '_', '.' and '-'\n",
		    "add-domain", "a b", "--mem", "0");
	CHECK_USAGE("ldmctl: add-domain: 'vm0': invalid size '0': size cannot be zero\n",
		    "add-domain", "vm0", "--mem", "0");
	CHECK_USAGE("ldmctl: add-domain: 'vm0': invalid size '64MB': unknown size suffix (use K, M, G, T, P or E)\n",
		    "add-domain", "vm0", "--mem=64MB");
	CHECK_USAGE("ldmctl: add-domain: 'vm0': invalid size '-1G': size cannot be negative\n",
		    "add-domain", "vm0", "-m", "-1G");
	CHECK_USAGE("ldmctl: add-domain: 'vm0': invalid size '1.5G': fractional sizes are not supported (use a smaller unit: 1536M, not 1.5G)\n",
		    "add-domain", "vm0", "--mem", "1.5G");
	CHECK_USAGE("ldmctl: add-domain: 'vm0': invalid size '99999999999E': size is too large\n",
		    "add-domain", "vm0", "--mem", "99999999999E");
	CHECK_USAGE("ldmctl: add-domain: 'vm0': invalid size '': size is empty\n",
		    "add-domain", "vm0", "--mem", "");
}

static void test_remove_domain_usage(void)
{
	CHECK_USAGE("ldmctl: remove-domain: missing domain name\n"
		    "usage: ldmctl remove-domain NAME\n",
		    "remove-domain");
	CHECK_USAGE("ldmctl: remove-domain: unexpected argument 'b'\n"
		    "usage: ldmctl remove-domain NAME\n",
		    "remove-domain", "a", "b");
	CHECK_USAGE("ldmctl: remove-domain: unknown option '--mem'\n"
		    "usage: ldmctl remove-domain NAME\n",
		    "remove-domain", "a", "--mem", "1G");
	CHECK_USAGE("ldmctl: remove-domain: '.': domain name cannot be '.' or '..'\n",
		    "remove-domain", ".");
	CHECK_USAGE("ldmctl: remove-domain: 'x\\x0ay': domain name may only contain A-Z, a-z, 0-9, '_', '.' and '-'\n",
		    "remove-domain", "x\ny");
}

static void test_list_usage(void)
{
	/* Every name is checked before any is looked up. */
	CHECK_USAGE("ldmctl: list: 'b/c': domain name may only contain A-Z, a-z, 0-9, '_', '.' and '-'\n",
		    "list", "a", "b/c", "d");
	CHECK_USAGE("ldmctl: list: unknown option '-x'\n"
		    "usage: ldmctl list [-j] [-o status] [NAME...]\n",
		    "list", "-jx");
	CHECK_USAGE("ldmctl: list: unknown option '-x'\n"
		    "usage: ldmctl list [-j] [-o status] [NAME...]\n",
		    "list", "--json", "-xj");
	CHECK_USAGE("ldmctl: list: unknown option '--all'\n"
		    "usage: ldmctl list [-j] [-o status] [NAME...]\n",
		    "list", "--all");
	CHECK_USAGE("ldmctl: list: option '--json' takes no value\n"
		    "usage: ldmctl list [-j] [-o status] [NAME...]\n",
		    "list", "--json=1");
	CHECK_USAGE("ldmctl: list: unknown output format 'size' (only 'status')\n"
		    "usage: ldmctl list [-j] [-o status] [NAME...]\n",
		    "list", "-o", "size");
	CHECK_USAGE("ldmctl: list: unknown output format 'a\\x0ab' (only 'status')\n"
		    "usage: ldmctl list [-j] [-o status] [NAME...]\n",
		    "list", "--output=a\nb");
	CHECK_USAGE("ldmctl: list: option '-o' needs a value\n"
		    "usage: ldmctl list [-j] [-o status] [NAME...]\n",
		    "list", "-o");
	/* Names are still checked first with -o status. */
	CHECK_USAGE("ldmctl: list: 'b/c': domain name may only contain A-Z, a-z, 0-9, '_', '.' and '-'\n",
		    "list", "-o", "status", "b/c");
}

static void test_help_command(void)
{
	static const char *const a_help[] = { "help", NULL };
	static const char *const a_topic[] = { "help", "add-domain", NULL };
	static const char *const a_flag[] = { "list", "--help", NULL };
	struct run_result r;

	r = run(false, a_help);
	CHECK_INT(r.code, 0);
	CHECK_STR(r.err, "");
	CHECK(!strncmp(r.out, "usage: ldmctl [-j] COMMAND", 26));
	/* Names are padded to the longest, cancel-operation. */
	CHECK(strstr(r.out, "\n  add-domain        create a domain") != NULL);
	CHECK(strstr(r.out, "\n  remove-domain     ") != NULL);
	CHECK(strstr(r.out, "\n  list              ") != NULL);
	CHECK(strstr(r.out, "\n  migrate           ") != NULL);
	CHECK(strstr(r.out, "\n  serve             ") != NULL);
	CHECK(strstr(r.out, "\n  cancel-operation  ") != NULL);
	CHECK(strstr(r.out, "\n  trust             ") != NULL);
	CHECK(strstr(r.out, "--version") != NULL);
	run_free(&r);

	r = run(false, a_topic);
	CHECK_INT(r.code, 0);
	CHECK(!strncmp(r.out, "usage: ldmctl add-domain NAME --mem SIZE\n\n", 42));
	CHECK(strstr(r.out, "-m, --mem SIZE") != NULL);
	run_free(&r);

	/* 'CMD --help' is the same text as 'help CMD'. */
	r = run(false, a_flag);
	CHECK_INT(r.code, 0);
	{
		struct capture c;
		char *want;

		subcommand_help(&cmd_list, capture_begin(&c));
		want = capture_end(&c);
		CHECK_STR(r.out, want);
		free(want);
	}
	run_free(&r);

	CHECK_USAGE("ldmctl: help: no command 'frob'; 'ldmctl help' lists them\n"
		    "usage: ldmctl help [COMMAND]\n",
		    "help", "frob");
	CHECK_USAGE("ldmctl: help: unexpected argument 'list'\n"
		    "usage: ldmctl help [COMMAND]\n",
		    "help", "add-domain", "list");
}

/* ---- the list of tests ---- */

/* The name without its "test_". */
static const struct unit_test tests[] = {
	T(test_size_parse_plain),
	T(test_size_parse_suffixes),
	T(test_size_parse_limits),
	T(test_size_parse_junk),
	T(test_size_parse_negative),
	T(test_size_parse_fraction),
	T(test_size_parse_zero),
	T(test_size_format_exact),
	T(test_size_format_rounded),
	T(test_size_round_trip),
	T(test_size_format_small_buffer),
	T(test_name_valid),
	T(test_name_missing_or_empty),
	T(test_name_too_long),
	T(test_name_bad_chars),
	T(test_name_dots),
	T(test_json_escape_specials),
	T(test_json_escape_utf8),
	T(test_json_compact),
	T(test_json_pretty),
	T(test_json_misuse),
	T(test_table_alignment),
	T(test_table_empty_and_incomplete),
	T(test_table_many_rows),
	T(test_list_table),
	T(test_list_json),
	T(test_status_line_parse),
	T(test_status_line_round_trip),
	T(test_status_format),
	T(test_status_row_idle),
	T(test_status_row_sending_estimate),
	T(test_status_row_sending_published),
	T(test_status_row_failed_and_receiving),
	T(test_status_table),
	T(test_status_json),
	T(test_lastmig_round_trip),
	T(test_lastmig_parse_malformed),
	T(test_lastmig_file_checks),
	T(test_request_parse),
	T(test_quote_arg),
	T(test_report_messages),
	T(test_exit_codes),
	T(test_ext_ack_error_echoed),
	T(test_ext_ack_error_capped),
	T(test_ext_ack_absent),
	T(test_ext_ack_warning),
	T(test_ext_ack_done),
	T(test_ext_ack_truncation),
	T(test_ext_ack_malformed),
	T(test_genl_errno),
	T(test_domain_reply),
	T(test_domain_reply_minimal),
	T(test_domain_reply_malformed),
	T(test_domain_state_names),
	T(test_command_table),
	T(test_add_domain_usage),
	T(test_serve_admission_usage),
	T(test_add_domain_bad_values),
	T(test_remove_domain_usage),
	T(test_list_usage),
	T(test_help_command),
};

int main(void)
{
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
