// SPDX-License-Identifier: GPL-2.0
/* ldmctl trust add|list|remove [--trust-dir DIR] ... */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509.h>

#include "config.h"
#include "json.h"
#include "ldmctl.h"
#include "table.h"
#include "trustdir.h"

static int trust_add_files(const struct subcommand *cmd, const char *dir,
			   char **files, int n)
{
	int status = LDMCTL_EXIT_OK, i, k, err;
	char name[TRUST_NAME_MAX];
	struct trust_entry e;
	STACK_OF(X509) *certs;
	const char *why;
	bool added;

	for (i = 0; i < n; i++) {
		why = NULL;
		err = trust_load_pem(files[i], &certs, &why);
		if (err) {
			report(cmd->name, files[i], "%s",
			       why ? why : strerror(-err));
			status = exit_code_for(err);
			continue;
		}
		for (k = 0; k < sk_X509_num(certs); k++) {
			X509 *x = sk_X509_value(certs, k);

			why = NULL;
			err = trust_add(dir, x, name, &added, &why);
			if (err) {
				report(cmd->name, dir, "%s%s%s",
				       why ? why : "", why ? ": " : "",
				       strerror(-err));
				status = exit_code_for(err);
				continue;
			}
			trust_describe(x, &e);
			printf("%s %s: %s%s\n", added ? "added" : "already trusted as",
			       name, e.subject, e.expired ? " (expired)" : "");
		}
		sk_X509_pop_free(certs, X509_free);
	}
	return status;
}

static int trust_print(const struct subcommand *cmd, const char *dir,
		       bool json)
{
	static const struct table_column cols[] = {
		{ "ENTRY",	TABLE_LEFT },
		{ "SUBJECT",	TABLE_LEFT },
		{ "EXPIRES",	TABLE_LEFT },
		{ "SHA256",	TABLE_LEFT },
	};
	struct trust_entry *list;
	const char *why = NULL;
	struct table t;
	struct json j;
	size_t n, i;
	int err;

	err = trust_list(dir, &list, &n, &why);
	if (err == -ENOENT) {
		/* No directory yet is an empty list, not an error. */
		list = NULL;
		n = 0;
	} else if (err) {
		report(cmd->name, dir, "%s: %s", why ? why : "cannot list",
		       strerror(-err));
		return exit_code_for(err);
	}
	if (json) {
		json_init(&j, stdout, true);
		json_array_begin(&j);
		for (i = 0; i < n; i++) {
			json_object_begin(&j);
			json_key(&j, "entry");
			json_string(&j, list[i].name);
			json_key(&j, "subject");
			json_string(&j, list[i].subject);
			json_key(&j, "issuer");
			json_string(&j, list[i].issuer);
			json_key(&j, "not_after");
			json_string(&j, list[i].not_after);
			json_key(&j, "expired");
			json_bool(&j, list[i].expired);
			json_key(&j, "self_signed");
			json_bool(&j, list[i].self_signed);
			json_key(&j, "sha256");
			json_string(&j, list[i].fingerprint);
			json_object_end(&j);
		}
		json_array_end(&j);
		err = json_end(&j);
	} else {
		table_init(&t, cols, sizeof(cols) / sizeof(cols[0]));
		for (i = 0; i < n; i++) {
			table_cell(&t, "%s", list[i].name);
			table_cell(&t, "%s", list[i].subject);
			table_cell(&t, "%s%s", list[i].not_after,
				   list[i].expired ? " (expired)" : "");
			/* Enough to tell them apart; -j has all of it. */
			table_cell(&t, "%.23s", list[i].fingerprint);
		}
		err = table_print(&t, stdout);
		table_free(&t);
	}
	free(list);
	return report_result(cmd->name, NULL, err, NULL);
}

/*
 * What to remove: an entry name, a fingerprint (prefix), or a PEM file
 * whose certificates are looked up by content.
 */
static int trust_remove_args(const struct subcommand *cmd, const char *dir,
			     char **args, int n)
{
	int status = LDMCTL_EXIT_OK, i, k, err;
	struct trust_entry *list = NULL;
	size_t count = 0, m;
	const char *why = NULL;
	struct stat st;

	err = trust_list(dir, &list, &count, &why);
	if (err) {
		report(cmd->name, dir, "%s: %s", why ? why : "cannot list",
		       strerror(-err));
		return exit_code_for(err);
	}
	for (i = 0; i < n; i++) {
		char want[8][TRUST_FPR_MAX];
		int nwant = 0, found = 0;
		bool is_name = trust_name_parse(args[i], NULL, NULL);

		if (!is_name && !stat(args[i], &st) && S_ISREG(st.st_mode)) {
			STACK_OF(X509) *certs;

			why = NULL;
			err = trust_load_pem(args[i], &certs, &why);
			if (err) {
				report(cmd->name, args[i], "%s",
				       why ? why : strerror(-err));
				status = exit_code_for(err);
				continue;
			}
			for (k = 0; k < sk_X509_num(certs) && nwant < 8; k++)
				trust_fingerprint(sk_X509_value(certs, k),
						  want[nwant++]);
			sk_X509_pop_free(certs, X509_free);
		}
		/*
		 * Entries are removed from the highest index down, so that
		 * the renumbering of one does not rename another match.
		 */
		for (m = count; m-- > 0;) {
			bool match = false;

			if (is_name)
				match = !strcmp(list[m].name, args[i]);
			else if (nwant)
				for (k = 0; k < nwant; k++)
					match |= !strcmp(list[m].fingerprint,
							 want[k]);
			else
				match = trust_fingerprint_match(args[i],
							list[m].fingerprint);
			if (!match)
				continue;
			why = NULL;
			err = trust_remove(dir, list[m].name, &why);
			if (err) {
				report(cmd->name, list[m].name, "%s: %s",
				       why ? why : "cannot remove",
				       strerror(-err));
				status = exit_code_for(err);
				continue;
			}
			printf("removed %s: %s\n", list[m].name,
			       list[m].subject);
			found++;
		}
		if (!found && status == LDMCTL_EXIT_OK) {
			report(cmd->name, args[i],
			       "no such entry, fingerprint or trusted certificate in %s",
			       dir);
			status = LDMCTL_EXIT_FAIL;
		}
		/* The names moved: read the directory again. */
		free(list);
		list = NULL;
		if (trust_list(dir, &list, &count, &why))
			count = 0;
	}
	free(list);
	return status;
}

static int trust(const struct subcommand *cmd, int argc, char **argv,
		 const struct ldmctl_opts *opts)
{
	enum { OPT_TRUST_DIR = 256 };
	static const struct option longopts[] = {
		{ "trust-dir",	required_argument,	NULL, OPT_TRUST_DIR },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *dir = LDM_DEFAULT_TRUST_DIR, *action;
	char quoted[QUOTE_MAX];
	bool json = opts->json;
	int c, nargs;

	subcommand_getopt_init();
	while ((c = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TRUST_DIR:
			dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			subcommand_help(cmd, stdout);
			return LDMCTL_EXIT_OK;
		default:
			return option_error(cmd, argv, c, longopts);
		}
	}
	if (optind == argc)
		return usage_error(cmd, "missing action: add, list or remove");
	if (!*dir)
		return usage_error(cmd, "--trust-dir is empty");
	action = argv[optind++];
	nargs = argc - optind;
	if (!strcmp(action, "add")) {
		if (!nargs)
			return usage_error(cmd, "add: missing certificate file");
		return trust_add_files(cmd, dir, argv + optind, nargs);
	}
	if (!strcmp(action, "list")) {
		if (nargs)
			return usage_error(cmd, "list: unexpected argument '%s'",
					   quote_arg(argv[optind], quoted));
		return trust_print(cmd, dir, json);
	}
	if (!strcmp(action, "remove")) {
		if (!nargs)
			return usage_error(cmd, "remove: missing entry, fingerprint or certificate file");
		return trust_remove_args(cmd, dir, argv + optind, nargs);
	}
	return usage_error(cmd, "unknown action '%s' (add, list or remove)",
			   quote_arg(action, quoted));
}

const struct subcommand cmd_trust = {
	.name = "trust",
	.synopsis = "add|list|remove [--trust-dir DIR] [-j] [ARG...]",
	.summary = "manage the certificates trusted for migrations",
	.help =
	"Manage the trust directory: the certificates of the hosts (or of the\n"
	"CAs that sign them) that 'ldmctl serve' and 'ldmctl migrate' accept\n"
	"as peers. It uses OpenSSL's hashed layout (X509_LOOKUP_hash_dir):\n"
	"each certificate is a file HASH.N named after its subject hash.\n"
	"\n"
	"  add FILE...       trust every certificate in the PEM files; one\n"
	"                    already trusted is left as it is\n"
	"  list              show the trusted certificates\n"
	"  remove ARG...     stop trusting: ARG is an entry (HASH.N), a SHA-256\n"
	"                    fingerprint or a prefix of at least 8 hex digits,\n"
	"                    or a PEM file whose certificates are removed\n"
	"  --trust-dir DIR   the directory (default " LDM_DEFAULT_TRUST_DIR ")\n"
	"  -j, --json        list: a JSON array\n"
	"  -h, --help        show this help\n",
	.run = trust,
};
