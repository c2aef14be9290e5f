/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aligned text tables for people: a header line, then rows, columns two
 * spaces apart, numbers right-aligned, no trailing blanks.
 */
#ifndef LDMCTL_TABLE_H
#define LDMCTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

enum table_align {
	TABLE_LEFT,
	TABLE_RIGHT,
};

struct table_column {
	const char *header;
	enum table_align align;
};

struct table {
	const struct table_column *cols;
	size_t ncols;
	char **cells;		/* row-major, owned */
	size_t ncells, cap;
	int err;		/* first table_cell() failure */
};

void table_init(struct table *t, const struct table_column *cols,
		size_t ncols);

/*
 * table_cell() - append the next cell, filling rows left to right.
 * Errors (no memory) are kept and returned by table_print().
 */
void table_cell(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Number of complete rows so far. */
size_t table_rows(const struct table *t);

/*
 * table_print() - write the table to @f.
 * Return: 0; -ENOMEM if a cell could not be stored; -EINVAL if the last
 * row is incomplete. Nothing is written on error.
 */
int table_print(const struct table *t, FILE *f);

void table_free(struct table *t);

#endif /* LDMCTL_TABLE_H */
