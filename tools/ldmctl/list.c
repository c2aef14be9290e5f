// SPDX-License-Identifier: GPL-2.0
/* ldmctl list [-j] [-o status] [NAME...] */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "json.h"
#include "lastmig.h"
#include "ldmctl.h"
#include "name.h"
#include "oplock.h"
#include "size.h"
#include "status.h"
#include "table.h"

/*
 * Memory in bytes, like SIZE, so the columns compare at a glance; the
 * page counts are in the JSON. A kernel that sent no page size gets "-"
 * rather than a wrong number.
 */
static char *pages_format(uint64_t pages, uint32_t page_size, char *buf)
{
	if (!page_size) {
		buf[0] = '-';
		buf[1] = '\0';
		return buf;
	}
	/* Never more than the domain size; saturate on a bogus reply. */
	if (pages > UINT64_MAX / page_size)
		return size_format(UINT64_MAX, buf, SIZE_STR_MAX);
	return size_format(pages * page_size, buf, SIZE_STR_MAX);
}

int list_print_table(FILE *f, const struct ldm_domain_info *list, size_t n)
{
	static const struct table_column cols[] = {
		{ "NAME",	TABLE_LEFT },
		{ "SIZE",	TABLE_RIGHT },
		{ "RESIDENT",	TABLE_RIGHT },
		{ "DIRTY",	TABLE_RIGHT },
		{ "STATE",	TABLE_LEFT },
		{ "OPEN",	TABLE_RIGHT },
		{ "MAPPED",	TABLE_RIGHT },
	};
	char buf[SIZE_STR_MAX];
	struct table t;
	size_t i;
	int ret;

	table_init(&t, cols, sizeof(cols) / sizeof(cols[0]));
	for (i = 0; i < n; i++) {
		const struct ldm_domain_info *d = &list[i];

		table_cell(&t, "%s", d->name);
		table_cell(&t, "%s", size_format(d->size, buf, sizeof(buf)));
		table_cell(&t, "%s",
			   pages_format(d->resident, d->page_size, buf));
		table_cell(&t, "%s",
			   pages_format(d->dirty, d->page_size, buf));
		table_cell(&t, "%s", ldm_domain_state_name(d->state));
		table_cell(&t, "%u", d->open);
		table_cell(&t, "%u", d->mapped);
	}
	ret = table_print(&t, f);
	table_free(&t);
	return ret;
}

int list_print_json(FILE *f, const struct ldm_domain_info *list, size_t n)
{
	struct json j;
	size_t i;

	json_init(&j, f, true);
	json_array_begin(&j);
	for (i = 0; i < n; i++) {
		const struct ldm_domain_info *d = &list[i];

		/* These keys are an interface: see OUTPUT in ldmctl(8). */
		json_object_begin(&j);
		json_key(&j, "name");
		json_string(&j, d->name);
		json_key(&j, "size");
		json_u64(&j, d->size);
		json_key(&j, "page_size");
		json_u64(&j, d->page_size);
		json_key(&j, "resident_pages");
		json_u64(&j, d->resident);
		json_key(&j, "dirty_pages");
		json_u64(&j, d->dirty);
		json_key(&j, "state");
		json_string(&j, ldm_domain_state_name(d->state));
		json_key(&j, "open");
		json_u64(&j, d->open);
		json_key(&j, "mapped");
		json_u64(&j, d->mapped);
		json_key(&j, "minor");
		json_u64(&j, d->minor);
		json_object_end(&j);
	}
	json_array_end(&j);
	return json_end(&j);
}

/* Each named domain in turn; a missing one is reported, the rest shown. */
static int get_named(const struct subcommand *cmd, struct ldm_genl *g,
		     char **names, size_t count, struct ldm_domain_info *list,
		     size_t *found)
{
	int status = LDMCTL_EXIT_OK;
	size_t i;

	*found = 0;
	for (i = 0; i < count; i++) {
		int err = ldm_domain_get(g, names[i], &list[*found]);
		int code = report_result(cmd->name, names[i], err,
					 ldm_genl_ext_ack(g));

		if (!err)
			(*found)++;
		else if (!status)
			status = code;
	}
	return status;
}

/*
 * The kept statistics of @name's last migration (lastmig.h), or NULL: a
 * file that is there but cannot be trusted is named in a warning.
 */
static const struct lastmig *last_of(const char *cmd, const char *name,
				     struct lastmig *l)
{
	char why[160], path[128];
	int err = lastmig_read(name, l, why, sizeof(why));

	if (!err)
		return l;
	/* None, or this user may not look (no lock file either, then). */
	if (err == -ENOENT || err == -EACCES)
		return NULL;
	lastmig_path(path, sizeof(path), name);
	report(cmd, NULL, "warning: %s ignored: %s", path, why);
	return NULL;
}

/*
 * -o status: each domain's session, its migrate lock, and the statistics
 * of its last migration. A domain gone in between, or a session the
 * module cannot report, shows no session.
 */
static struct status_row *status_rows(const char *cmd, struct ldm_genl *g,
				      const struct ldm_domain_info *list,
				      size_t count)
{
	struct lastmig last;
	struct status_row *rows = calloc(count ? count : 1, sizeof(*rows));
	struct mig_info *mi = malloc(sizeof(*mi));
	char line[STATUS_MSG_MAX + STATUS_PEER_MAX];
	size_t i;

	if (!rows || !mi) {
		free(rows);
		free(mi);
		return NULL;
	}
	for (i = 0; i < count; i++) {
		const char *name = list[i].name;
		bool have_mi = !mig_get(g, name, mi);
		bool have_line = !oplock_read_status(name, line, sizeof(line));
		pid_t pid = 0;

		if (oplock_holder(name, &pid))
			pid = 0;
		status_row_build(&rows[i], &list[i], have_mi ? mi : NULL,
				 (long)pid, have_line ? line : NULL);
		if (rows[i].op != STATUS_OP_MIGRATE_OUT)
			status_row_set_last(&rows[i],
					    last_of(cmd, name, &last));
	}
	free(mi);
	return rows;
}

static int list_domains(const struct subcommand *cmd, int argc, char **argv,
			const struct ldmctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	struct ldm_domain_info *list = NULL;
	struct status_row *rows = NULL;
	bool json = opts->json, status = false;
	char quoted[QUOTE_MAX];
	struct ldm_genl *g;
	size_t count = 0;
	const char *why;
	int c, i, ret;

	subcommand_getopt_init();
	while ((c = getopt_long(argc, argv, ":jo:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'o':
			if (strcmp(optarg, "status"))
				return usage_error(cmd, "unknown output format '%s' (only 'status')",
						   quote_arg(optarg, quoted));
			status = true;
			break;
		case 'h':
			subcommand_help(cmd, stdout);
			return LDMCTL_EXIT_OK;
		default:
			return option_error(cmd, argv, c, longopts);
		}
	}
	for (i = optind; i < argc; i++) {
		if (name_validate(argv[i], &why)) {
			report(cmd->name, argv[i], "%s", why);
			return LDMCTL_EXIT_USAGE;
		}
	}

	ret = ldmctl_connect(cmd, &g);
	if (ret)
		return ret;
	if (optind == argc) {
		int err = ldm_domain_dump(g, &list, &count);

		ret = report_result(cmd->name, NULL, err, ldm_genl_ext_ack(g));
	} else {
		list = calloc((size_t)(argc - optind), sizeof(*list));
		if (list)
			ret = get_named(cmd, g, argv + optind,
					(size_t)(argc - optind), list, &count);
		else
			ret = report_result(cmd->name, NULL, -ENOMEM, NULL);
	}
	if (status && (count || !ret)) {
		rows = status_rows(cmd->name, g, list, count);
		if (!rows) {
			ldm_genl_close(g);
			free(list);
			return report_result(cmd->name, NULL, -ENOMEM, NULL);
		}
	}
	ldm_genl_close(g);

	/*
	 * Show what was found even if some names were not; but a failure
	 * with nothing found prints nothing, not an empty table that reads
	 * like "no domains".
	 */
	if (count || !ret) {
		int err;

		if (status)
			err = json ? status_print_json(stdout, rows, count) :
				     status_print_table(stdout, rows, count);
		else
			err = json ? list_print_json(stdout, list, count) :
				     list_print_table(stdout, list, count);

		if (err < 0 && !ret)
			ret = report_result(cmd->name, NULL, err, NULL);
	}
	free(rows);
	free(list);
	return ret;
}

const struct subcommand cmd_list = {
	.name = "list",
	.synopsis = "[-j] [-o status] [NAME...]",
	.summary = "show domains",
	.help =
	"Show every domain, or the ones named. For each: NAME, SIZE, RESIDENT\n"
	"(memory allocated so far), DIRTY (memory written since the last\n"
	"harvest), STATE, OPEN (open files of /dev/ldm/NAME) and MAPPED\n"
	"(memory mappings). Sizes use binary suffixes; a decimal point\n"
	"means the value is rounded.\n"
	"\n"
	"With -o status, what each domain is doing instead: NAME, STATE, the\n"
	"OPERATION of a migration running on it here (migrate-out, receive-in),\n"
	"its PEER, ROUND, PROGRESS (percent), MB/s on the wire, pages LEFT to\n"
	"send, ETA, the convergence FORECAST, the guest's DIRTY/s (pages a\n"
	"second, the last round's), the THROTTLE (dirty limit, waits), the\n"
	"LAST migration's outcome when none runs, and the ERROR of a failed\n"
	"or cancelled migration.\n"
	"\n"
	"  NAME                 show only this domain (may be repeated)\n"
	"  -j, --json           print a JSON array instead, one object per domain,\n"
	"                       with exact numbers (see ldmctl(8), OUTPUT)\n"
	"  -o, --output status  show the migration status (see above)\n"
	"  -h, --help           show this help\n",
	.run = list_domains,
};
