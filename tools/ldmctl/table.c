// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

/* Between columns: two spaces read as a gap even with one-char cells. */
#define GAP	2

void table_init(struct table *t, const struct table_column *cols,
		size_t ncols)
{
	*t = (struct table){ .cols = cols, .ncols = ncols };
}

void table_cell(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (t->err)
		return;
	if (t->ncells == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 8 * t->ncols;
		char **cells = realloc(t->cells, cap * sizeof(*cells));

		if (!cells) {
			t->err = -ENOMEM;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		t->err = -ENOMEM;
		s = NULL;
	}
	va_end(ap);
	if (s)
		t->cells[t->ncells++] = s;
}

size_t table_rows(const struct table *t)
{
	return t->ncols ? t->ncells / t->ncols : 0;
}

static void print_line(const struct table *t, FILE *f, const size_t *width,
		       const char *const *cells)
{
	size_t c, last = t->ncols - 1;

	for (c = 0; c < t->ncols; c++) {
		int pad = (int)(width[c] - strlen(cells[c]));

		if (c)
			fprintf(f, "%*s", GAP, "");
		if (t->cols[c].align == TABLE_RIGHT)
			fprintf(f, "%*s%s", pad, "", cells[c]);
		else if (c == last)
			fputs(cells[c], f);
		else
			fprintf(f, "%s%*s", cells[c], pad, "");
	}
	fputc('\n', f);
}

int table_print(const struct table *t, FILE *f)
{
	const char **header;
	size_t *width;
	size_t r, c;

	if (t->err)
		return t->err;
	if (!t->ncols || t->ncells % t->ncols)
		return -EINVAL;

	width = calloc(t->ncols, sizeof(*width));
	header = calloc(t->ncols, sizeof(*header));
	if (!width || !header) {
		free(width);
		free(header);
		return -ENOMEM;
	}
	for (c = 0; c < t->ncols; c++) {
		header[c] = t->cols[c].header;
		width[c] = strlen(header[c]);
	}
	for (r = 0; r < table_rows(t); r++) {
		for (c = 0; c < t->ncols; c++) {
			size_t len = strlen(t->cells[r * t->ncols + c]);

			if (len > width[c])
				width[c] = len;
		}
	}

	print_line(t, f, width, header);
	for (r = 0; r < table_rows(t); r++)
		print_line(t, f, width,
			   (const char *const *)&t->cells[r * t->ncols]);
	free(width);
	free(header);
	return 0;
}

void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->ncells = t->cap = 0;
}
