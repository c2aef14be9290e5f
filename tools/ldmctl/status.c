// SPDX-License-Identifier: GPL-2.0
/* 'ldmctl list -o status': sources, estimate and output; see status.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "converge.h"
#include "json.h"
#include "oplock.h"
#include "status.h"
#include "table.h"

#define LINE_RUNNING	"running"
#define LINE_SENDING	"running: sending to "
#define LINE_COMMITTING	"running: committing on "
#define LINE_MIGRATED	"migrated to "
#define LINE_FAILED	"failed: "
#define LINE_CANCELLED	"cancelled: "
#define LINE_DRY_RUN	"dry run passed"

static bool prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

static void copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* A decimal u64 of exactly @len bytes. */
static bool parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (!len || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

static void forget_figures(struct status_line *out)
{
	out->has_progress = false;
	out->round = STATUS_UNKNOWN;
	out->percent = STATUS_UNKNOWN;
	out->kbps = STATUS_UNKNOWN;
	out->pages_left = STATUS_UNKNOWN;
	out->eta_ms = STATUS_UNKNOWN;
	out->fc_rounds = STATUS_UNKNOWN;
	out->fc_downtime_ms = STATUS_UNKNOWN;
	out->dirty_rate = STATUS_UNKNOWN;
}

/* "k=v k=v ...": the figures of a running line. */
static void parse_figures(const char *s, struct status_line *out)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "round",	offsetof(struct status_line, round) },
		{ "percent",	offsetof(struct status_line, percent) },
		{ "kbps",	offsetof(struct status_line, kbps) },
		{ "pages_left",	offsetof(struct status_line, pages_left) },
		{ "eta_ms",	offsetof(struct status_line, eta_ms) },
		{ "fc_rounds",	offsetof(struct status_line, fc_rounds) },
		{ "fc_downtime_ms",
				offsetof(struct status_line, fc_downtime_ms) },
		{ "dirty_rate",	offsetof(struct status_line, dirty_rate) },
	};

	while (*s) {
		size_t len, klen, i;
		const char *eq;

		s += strspn(s, " ");
		len = strcspn(s, " ");
		if (!len)
			break;
		eq = memchr(s, '=', len);
		if (!eq) {
			forget_figures(out);
			return;
		}
		klen = (size_t)(eq - s);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			uint64_t *v = (uint64_t *)((char *)out + keys[i].off);

			if (strlen(keys[i].key) != klen ||
			    strncmp(keys[i].key, s, klen))
				continue;
			if (!parse_u64(eq + 1, len - klen - 1, v)) {
				forget_figures(out);
				return;
			}
			break;
		}
		s += len;
	}
	if (out->percent > 100 || out->round > UINT32_MAX) {
		forget_figures(out);
		return;
	}
	out->has_progress = out->percent != STATUS_UNKNOWN;
}

void status_line_parse(const char *line, struct status_line *out)
{
	memset(out, 0, sizeof(*out));
	forget_figures(out);
	if (!line || !*line) {
		out->kind = STATUS_LINE_NONE;
	} else if (prefix(line, LINE_SENDING)) {
		const char *p = line + strlen(LINE_SENDING);
		size_t len = strcspn(p, ";");

		out->kind = STATUS_LINE_RUNNING;
		while (len && p[len - 1] == ' ')
			len--;
		copy(out->peer, sizeof(out->peer), p, len);
		p += strcspn(p, ";");
		if (*p == ';')
			parse_figures(p + 1, out);
	} else if (prefix(line, LINE_COMMITTING)) {
		/* The commit asked (source_commit.c): still the same peer. */
		out->kind = STATUS_LINE_RUNNING;
		snprintf(out->peer, sizeof(out->peer), "%s",
			 line + strlen(LINE_COMMITTING));
	} else if (!strcmp(line, LINE_RUNNING) ||
		   prefix(line, LINE_RUNNING ": ")) {
		out->kind = STATUS_LINE_RUNNING;
	} else if (prefix(line, LINE_MIGRATED)) {
		out->kind = STATUS_LINE_MIGRATED;
		snprintf(out->peer, sizeof(out->peer), "%s",
			 line + strlen(LINE_MIGRATED));
	} else if (prefix(line, LINE_FAILED)) {
		out->kind = STATUS_LINE_FAILED;
		snprintf(out->message, sizeof(out->message), "%s",
			 line + strlen(LINE_FAILED));
	} else if (prefix(line, LINE_CANCELLED)) {
		out->kind = STATUS_LINE_CANCELLED;
		snprintf(out->message, sizeof(out->message), "%s",
			 line + strlen(LINE_CANCELLED));
	} else if (!strcmp(line, LINE_DRY_RUN)) {
		out->kind = STATUS_LINE_DRY_RUN;
	} else {
		out->kind = STATUS_LINE_OTHER;
		snprintf(out->message, sizeof(out->message), "%s", line);
	}
}

char *status_line_format(char *buf, size_t size, const char *peer,
			 const struct progress_state *ps)
{
	int n;

	n = snprintf(buf, size, LINE_SENDING "%s; round=%" PRIu32
		     " percent=%u kbps=%" PRIu64 " pages_left=%" PRIu64,
		     peer, ps->round, ps->percent > 100 ? 100 : ps->percent,
		     ps->mbps > 0 ? (uint64_t)(ps->mbps * 1000) : 0,
		     ps->pages_left);
	if (n >= 0 && (size_t)n < size && ps->eta_ms != UINT64_MAX)
		n += snprintf(buf + n, size - (size_t)n, " eta_ms=%" PRIu64,
			      ps->eta_ms);
	if (n >= 0 && (size_t)n < size && ps->fc_rounds)
		n += snprintf(buf + n, size - (size_t)n, " fc_rounds=%" PRIu32,
			      ps->fc_rounds);
	if (n >= 0 && (size_t)n < size && ps->fc_rounds &&
	    ps->fc_downtime_ms != UINT64_MAX)
		n += snprintf(buf + n, size - (size_t)n,
			      " fc_downtime_ms=%" PRIu64, ps->fc_downtime_ms);
	if (n >= 0 && (size_t)n < size && ps->has_dirty_rate &&
	    ps->dirty_rate != UINT64_MAX)
		snprintf(buf + n, size - (size_t)n, " dirty_rate=%" PRIu64,
			 ps->dirty_rate);
	return buf;
}

void status_publish(int fd, const char *peer, const struct progress_state *ps)
{
	char line[STATUS_PEER_MAX + 160];

	if (fd >= 0)
		oplock_status(fd, "%s",
			      status_line_format(line, sizeof(line), peer, ps));
}

void status_row_set_last(struct status_row *r, const struct lastmig *last)
{
	r->has_last = last && r->op != STATUS_OP_MIGRATE_OUT;
	if (r->has_last)
		r->last = *last;
}

const char *status_op_name(enum status_op op)
{
	switch (op) {
	case STATUS_OP_MIGRATE_OUT:
		return "migrate-out";
	case STATUS_OP_RECEIVE_IN:
		return "receive-in";
	default:
		return NULL;
	}
}

const char *status_session_name(uint32_t session)
{
	switch (session) {
	case LDM_MIG_STATE_NONE:
		return "none";
	case LDM_MIG_STATE_SENDING:
		return "sending";
	case LDM_MIG_STATE_RECEIVING:
		return "receiving";
	case LDM_MIG_STATE_FAILED:
		return "failed";
	default:
		return "unknown";
	}
}

/*
 * Without figures from the migrate itself: the module's counters. They
 * add up finished rounds only (a sending worker's counts join the totals
 * at the end of its round), so the estimate moves round by round: done is
 * what the finished rounds handled; left is what the guest dirtied since
 * the last harvest, plus every resident page while round 0 runs. The
 * rates are the latest finished round's.
 */
static void estimate_sending(struct status_row *r,
			     const struct ldm_domain_info *d,
			     const struct mig_info *mi)
{
	const struct mig_stats *latest = NULL;
	uint64_t done = mig_stats_pages(&mi->totals), left = d->dirty;
	uint32_t finished = 0, i;

	r->estimated = true;
	if (!mi->round)
		return;
	for (i = 0; i < mi->nrounds; i++) {
		if (mi->round_ids[i] + 1 > finished) {
			finished = mi->round_ids[i] + 1;
			latest = &mi->rounds[i];
		}
	}
	if (!finished)
		left += d->resident;
	r->pages_left = left;
	r->percent = conv_percent(done, left);
	/* Not done before the commit. */
	if (r->percent > 99)
		r->percent = 99;
	if (latest && latest->v[LDM_A_STAT_TIME_NS]) {
		uint64_t ns = latest->v[LDM_A_STAT_TIME_NS];
		double pps = conv_rate(mig_stats_pages(latest), ns);

		r->kbps = (uint64_t)((double)latest->v[LDM_A_STAT_BYTES_OUT] *
				     1e6 / (double)ns);
		r->eta_ms = conv_final_ms(left, pps);
		if (r->eta_ms == UINT64_MAX)
			r->eta_ms = STATUS_UNKNOWN;
	}
}

void status_row_build(struct status_row *r, const struct ldm_domain_info *d,
		      const struct mig_info *mi, long pid, const char *line)
{
	uint32_t session = mi ? mi->state : LDM_MIG_STATE_NONE;
	bool live = session != LDM_MIG_STATE_NONE;
	struct status_line sl;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", d->name);
	r->state = d->state;
	r->session = session;
	r->pid = pid;
	r->round = r->percent = r->kbps = STATUS_UNKNOWN;
	r->pages_left = r->eta_ms = STATUS_UNKNOWN;
	r->fc_rounds = r->fc_downtime_ms = STATUS_UNKNOWN;
	r->dirty_rate = STATUS_UNKNOWN;
	r->dirty_limit = r->throttled = r->throttle_ms = STATUS_UNKNOWN;
	if (session == LDM_MIG_STATE_SENDING) {
		r->dirty_limit = mi->dirty_limit;
		r->throttled = mi->throttled;
		r->throttle_ms = mi->throttle_ns / 1000000;
	}
	status_line_parse(line, &sl);

	/*
	 * A session lives as long as the netlink socket that started it:
	 * with nobody holding the lock, a session is a 'serve' receiving
	 * (or one that failed, on its way out).
	 */
	if (pid > 0 || session == LDM_MIG_STATE_SENDING)
		r->op = STATUS_OP_MIGRATE_OUT;
	else if (live)
		r->op = STATUS_OP_RECEIVE_IN;

	if ((r->op == STATUS_OP_MIGRATE_OUT ||
	     d->state == LDM_DOMAIN_STATE_MIGRATED) &&
	    (sl.kind == STATUS_LINE_RUNNING || sl.kind == STATUS_LINE_MIGRATED))
		snprintf(r->peer, sizeof(r->peer), "%s", sl.peer);

	if (live && mi->round)
		r->round = mi->round - 1;
	if (r->op == STATUS_OP_MIGRATE_OUT && sl.kind == STATUS_LINE_MIGRATED) {
		r->percent = 100;
		r->pages_left = 0;
		r->eta_ms = 0;
	} else if (r->op == STATUS_OP_MIGRATE_OUT && sl.has_progress &&
		   session != LDM_MIG_STATE_FAILED) {
		if (sl.round != STATUS_UNKNOWN)
			r->round = sl.round;
		r->percent = sl.percent;
		r->kbps = sl.kbps;
		r->pages_left = sl.pages_left;
		r->eta_ms = sl.eta_ms;
		r->fc_rounds = sl.fc_rounds;
		r->fc_downtime_ms = sl.fc_downtime_ms;
		r->dirty_rate = sl.dirty_rate;
	} else if (session == LDM_MIG_STATE_SENDING) {
		estimate_sending(r, d, mi);
	}

	if (session == LDM_MIG_STATE_FAILED)
		snprintf(r->error, sizeof(r->error), "%s", mi->errmsg[0] ?
			 mi->errmsg : mi->error ? strerror((int)mi->error) :
			 "unknown error");
	else if (sl.kind == STATUS_LINE_FAILED ||
		 sl.kind == STATUS_LINE_CANCELLED)
		snprintf(r->error, sizeof(r->error), "%s%s",
			 sl.kind == STATUS_LINE_CANCELLED ? "cancelled: " : "",
			 sl.message);
}

char *status_format_percent(uint64_t percent, char *buf, size_t size)
{
	if (percent == STATUS_UNKNOWN)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%" PRIu64 "%%", percent);
	return buf;
}

char *status_format_rate(uint64_t kbps, char *buf, size_t size)
{
	if (kbps == STATUS_UNKNOWN)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f", (double)kbps / 1000.0);
	return buf;
}

char *status_format_forecast(uint64_t rounds, uint64_t downtime_ms,
			     char *buf, size_t size)
{
	if (rounds == STATUS_UNKNOWN || !rounds)	/* 0: never a forecast */
		snprintf(buf, size, "-");
	else if (downtime_ms == STATUS_UNKNOWN)
		snprintf(buf, size, "%" PRIu64 " rounds", rounds);
	else
		snprintf(buf, size, "%" PRIu64 " rounds, %" PRIu64 " ms",
			 rounds, downtime_ms);
	return buf;
}

char *status_format_throttle(uint64_t limit, uint64_t throttled, char *buf,
			     size_t size)
{
	int n;

	if (limit == STATUS_UNKNOWN) {
		snprintf(buf, size, "-");
		return buf;
	}
	n = limit ? snprintf(buf, size, "%" PRIu64 "/s", limit) :
		    snprintf(buf, size, "none");
	if (throttled && throttled != STATUS_UNKNOWN && n >= 0 &&
	    (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, ", %" PRIu64 " wait%s",
			 throttled, throttled == 1 ? "" : "s");
	return buf;
}

/* ", down 85 ms (forecast 60 ms)", or "" without a suspension. */
static void format_down(const struct lastmig *l, char *buf, size_t size)
{
	int n;

	buf[0] = '\0';
	if (l->suspend_ms == LASTMIG_UNKNOWN)
		return;
	n = snprintf(buf, size, ", down %" PRIu64 " ms", l->suspend_ms);
	if (n >= 0 && (size_t)n < size &&
	    l->expected_suspend_ms != LASTMIG_UNKNOWN)
		snprintf(buf + n, size - (size_t)n, " (forecast %" PRIu64 " ms)",
			 l->expected_suspend_ms);
}

char *status_format_last(const struct status_row *r, char *buf, size_t size)
{
	const struct lastmig *l = &r->last;
	char down[80];

	if (!r->has_last) {
		snprintf(buf, size, "-");
		return buf;
	}
	format_down(l, down, sizeof(down));
	snprintf(buf, size, "%s in %.1f s%s, %" PRIu64 " round%s",
		 lastmig_result_name(l->result), (double)l->total_ms / 1000.0,
		 down, l->rounds, l->rounds == 1 ? "" : "s");
	return buf;
}

char *status_format_eta(uint64_t eta_ms, char *buf, size_t size)
{
	if (eta_ms == STATUS_UNKNOWN)
		snprintf(buf, size, "-");
	else
		conv_format_eta(eta_ms, buf, (unsigned int)size);
	return buf;
}

static const char *dash(const char *s)
{
	return s && *s ? s : "-";
}

int status_print_table(FILE *f, const struct status_row *rows, size_t n)
{
	static const struct table_column cols[] = {
		{ "NAME",	TABLE_LEFT },
		{ "STATE",	TABLE_LEFT },
		{ "OPERATION",	TABLE_LEFT },
		{ "PEER",	TABLE_LEFT },
		{ "ROUND",	TABLE_RIGHT },
		{ "PROGRESS",	TABLE_RIGHT },
		{ "MB/s",	TABLE_RIGHT },
		{ "LEFT",	TABLE_RIGHT },
		{ "ETA",	TABLE_RIGHT },
		{ "FORECAST",	TABLE_LEFT },
		{ "DIRTY/s",	TABLE_RIGHT },
		{ "THROTTLE",	TABLE_LEFT },
		{ "LAST",	TABLE_LEFT },
		{ "ERROR",	TABLE_LEFT },
	};
	char buf[32], fc[64], last[160];
	struct table t;
	size_t i;
	int ret;

	table_init(&t, cols, sizeof(cols) / sizeof(cols[0]));
	for (i = 0; i < n; i++) {
		const struct status_row *r = &rows[i];

		table_cell(&t, "%s", r->name);
		table_cell(&t, "%s", ldm_domain_state_name(r->state));
		table_cell(&t, "%s", dash(status_op_name(r->op)));
		table_cell(&t, "%s", dash(r->peer));
		if (r->round == STATUS_UNKNOWN)
			table_cell(&t, "-");
		else
			table_cell(&t, "%" PRIu64, r->round);
		table_cell(&t, "%s", status_format_percent(r->percent, buf,
							   sizeof(buf)));
		table_cell(&t, "%s", status_format_rate(r->kbps, buf,
							sizeof(buf)));
		if (r->pages_left == STATUS_UNKNOWN)
			table_cell(&t, "-");
		else
			table_cell(&t, "%" PRIu64, r->pages_left);
		table_cell(&t, "%s", status_format_eta(r->eta_ms, buf,
						       sizeof(buf)));
		table_cell(&t, "%s", status_format_forecast(r->fc_rounds,
							    r->fc_downtime_ms,
							    fc, sizeof(fc)));
		if (r->dirty_rate == STATUS_UNKNOWN)
			table_cell(&t, "-");
		else
			table_cell(&t, "%" PRIu64, r->dirty_rate);
		table_cell(&t, "%s", status_format_throttle(r->dirty_limit,
							    r->throttled, fc,
							    sizeof(fc)));
		table_cell(&t, "%s", status_format_last(r, last, sizeof(last)));
		table_cell(&t, "%s", dash(r->error));
	}
	ret = table_print(&t, f);
	table_free(&t);
	return ret;
}

static void json_u64_or_null(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	if (v == STATUS_UNKNOWN)
		json_null(j);
	else
		json_u64(j, v);
}

static void json_string_or_null(struct json *j, const char *key,
				const char *s)
{
	json_key(j, key);
	if (s && *s)
		json_string(j, s);
	else
		json_null(j);
}

/* The "last" member: the kept statistics, or null. */
static void json_last(struct json *j, const struct status_row *r)
{
	const struct lastmig *l = &r->last;

	json_key(j, "last");
	if (!r->has_last) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	json_key(j, "result");
	json_string(j, lastmig_result_name(l->result));
	json_string_or_null(j, "error", l->error);
	json_string_or_null(j, "destination", l->dest);
	json_u64_or_null(j, "end_time", l->end_time);
	json_u64_or_null(j, "total_ms", l->total_ms);
	json_u64_or_null(j, "suspend_ms", l->suspend_ms);
	json_u64_or_null(j, "expected_suspend_ms", l->expected_suspend_ms);
	json_u64_or_null(j, "rounds", l->rounds);
	json_u64_or_null(j, "wire_bytes", l->wire_bytes);
	json_u64_or_null(j, "pages", l->pages);
	json_u64_or_null(j, "dirty_rate", l->dirty_rate);
	json_u64_or_null(j, "dirty_limit", l->dirty_limit);
	json_u64_or_null(j, "throttled", l->throttled);
	json_u64_or_null(j, "throttle_ms", l->throttle_ms);
	json_object_end(j);
}

int status_print_json(FILE *f, const struct status_row *rows, size_t n)
{
	struct json j;
	size_t i;

	json_init(&j, f, true);
	json_array_begin(&j);
	for (i = 0; i < n; i++) {
		const struct status_row *r = &rows[i];

		/* These keys are an interface: see OUTPUT in ldmctl(8). */
		json_object_begin(&j);
		json_key(&j, "name");
		json_string(&j, r->name);
		json_key(&j, "state");
		json_string(&j, ldm_domain_state_name(r->state));
		json_key(&j, "session");
		json_string(&j, status_session_name(r->session));
		json_string_or_null(&j, "operation", status_op_name(r->op));
		json_string_or_null(&j, "peer", r->peer);
		json_u64_or_null(&j, "pid", r->pid > 0 ? (uint64_t)r->pid :
				 STATUS_UNKNOWN);
		json_u64_or_null(&j, "round", r->round);
		json_u64_or_null(&j, "percent", r->percent);
		json_u64_or_null(&j, "kbps", r->kbps);
		json_u64_or_null(&j, "pages_left", r->pages_left);
		json_u64_or_null(&j, "eta_ms", r->eta_ms);
		json_u64_or_null(&j, "forecast_rounds", r->fc_rounds ?
				 r->fc_rounds : STATUS_UNKNOWN);
		json_u64_or_null(&j, "forecast_downtime_ms", r->fc_rounds ?
				 r->fc_downtime_ms : STATUS_UNKNOWN);
		json_u64_or_null(&j, "dirty_rate", r->dirty_rate);
		json_u64_or_null(&j, "dirty_limit", r->dirty_limit);
		json_u64_or_null(&j, "throttled", r->throttled);
		json_u64_or_null(&j, "throttle_ms", r->throttle_ms);
		json_key(&j, "estimated");
		json_bool(&j, r->estimated);
		json_string_or_null(&j, "error", r->error);
		json_last(&j, r);
		json_object_end(&j);
	}
	json_array_end(&j);
	return json_end(&j);
}
