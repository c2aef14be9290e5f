// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the kept statistics of a domain's last migration
 * (lastmig.c), lastmig_parse() and lastmig_format().
 *
 * Why: 'ldmctl list -o status' reads /run/ldm/migrate/<domain>.last and
 * shows what it says, in a table and as JSON; a file that is not what
 * 'ldmctl migrate' writes must be refused whole, never half taken.
 *
 * The input is the file's bytes, in a heap block of exactly their size
 * (no NUL). Invariants: 0 or -EINVAL, a reason (and no line past the
 * input's) with every refusal; what is accepted has printable ASCII
 * strings within their fields, no figure that means unknown where one is
 * required, and formats to a text of at most LASTMIG_FILE_MAX bytes that
 * parses back to the same statistics.
 */
#include <errno.h>

#include "lastmig.h"
#include "fuzz.h"

static void check_printable(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	FUZZ_CHECK(n < size);
	while (n--)
		FUZZ_CHECK(s[n] >= 0x20 && s[n] < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in = fuzz_dup(data, size);
	struct lastmig l, back;
	char text[LASTMIG_FILE_MAX];
	const char *why = NULL;
	unsigned int line = 0, lines = 0;
	size_t i;
	int r, n;

	for (i = 0; i < size; i++)
		lines += in[i] == '\n';
	r = lastmig_parse((const char *)in, size, &l, &why, &line);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r) {
		FUZZ_CHECK(why && *why);
		FUZZ_CHECK(line <= lines + 1);
		free(in);
		return 0;
	}
	FUZZ_CHECK(size <= LASTMIG_FILE_MAX);
	check_printable(l.error, sizeof(l.error));
	check_printable(l.dest, sizeof(l.dest));
	FUZZ_CHECK(l.end_time != LASTMIG_UNKNOWN && l.total_ms != LASTMIG_UNKNOWN);
	FUZZ_CHECK(l.rounds != LASTMIG_UNKNOWN && l.pages != LASTMIG_UNKNOWN);
	FUZZ_CHECK(l.wire_bytes != LASTMIG_UNKNOWN);
	n = lastmig_format(text, sizeof(text), &l);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(text) && (size_t)n == strlen(text));
	FUZZ_CHECK(lastmig_parse(text, (size_t)n, &back, &why, &line) == 0);
	FUZZ_CHECK(!memcmp(&l, &back, sizeof(l)));
	free(in);
	return 0;
}
