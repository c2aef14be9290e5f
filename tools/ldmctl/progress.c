// SPDX-License-Identifier: GPL-2.0
/* Progress and statistics of a migration; see progress.h. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "converge.h"
#include "json.h"
#include "net.h"
#include "progress.h"
#include "size.h"

void progress_init(struct progress *p, bool json)
{
	memset(p, 0, sizeof(*p));
	p->json = json;
	p->tty = !json && isatty(STDERR_FILENO);
}

void progress_clear(struct progress *p)
{
	if (p->line_shown) {
		fputs("\r\033[K", stderr);
		p->line_shown = false;
	}
}

void progress_note(struct progress *p, const char *fmt, ...)
{
	char msg[600];
	struct json j;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->json) {
		json_event_begin(&j, "note");
		json_key(&j, "message");
		json_string(&j, msg);
		json_event_end(&j);
		return;
	}
	progress_clear(p);
	fprintf(stderr, "ldmctl: migrate: %s\n", msg);
}

void progress_event(struct progress *p, const char *event, ...)
{
	const char *key;
	struct json j;
	va_list ap;

	if (!p->json)
		return;
	json_event_begin(&j, event);
	va_start(ap, event);
	while ((key = va_arg(ap, const char *))) {
		json_key(&j, key);
		json_u64(&j, va_arg(ap, uint64_t));
	}
	va_end(ap);
	json_event_end(&j);
}

/* The "progress" event; dirty_rate is null until a round has ended. */
static void progress_json(const struct progress_state *s)
{
	struct json j;

	json_event_begin(&j, "progress");
	json_key(&j, "round");
	json_u64(&j, s->round);
	json_key(&j, "percent");
	json_u64(&j, s->percent);
	json_key(&j, "kbps");
	json_u64(&j, (uint64_t)(s->mbps * 1000));
	json_key(&j, "pages_left");
	json_u64(&j, s->pages_left);
	json_key(&j, "eta_ms");
	json_u64(&j, s->eta_ms == UINT64_MAX ? 0 : s->eta_ms);
	json_key(&j, "dirty_rate");
	if (s->has_dirty_rate)
		json_u64(&j, s->dirty_rate);
	else
		json_null(&j);
	json_key(&j, "dirty_limit");
	json_u64(&j, s->dirty_limit);
	json_key(&j, "throttled");
	json_u64(&j, s->throttled);
	json_event_end(&j);
}

void progress_update(struct progress *p, const struct progress_state *s)
{
	int64_t now = now_ms();
	char eta[16], fc[64] = "";

	if (p->json) {
		if (now - p->last_ms < 1000)
			return;
		p->last_ms = now;
		progress_json(s);
		return;
	}
	if (s->fc_rounds && s->fc_downtime_ms != UINT64_MAX)
		snprintf(fc, sizeof(fc), "  forecast %" PRIu32 " rounds, %" PRIu64
			 " ms down", s->fc_rounds, s->fc_downtime_ms);
	else if (s->fc_rounds)
		snprintf(fc, sizeof(fc), "  forecast %" PRIu32 " rounds",
			 s->fc_rounds);
	if (!p->tty || now - p->last_ms < 250)
		return;
	p->last_ms = now;
	fprintf(stderr, "\r\033[K%3u%%  %7.1f MB/s  round %" PRIu32 "%s  %" PRIu64
		" pages left  ETA %s%s%s%s", s->percent, s->mbps, s->round,
		s->final ? " (final)" : "", s->pages_left,
		conv_format_eta(s->eta_ms, eta, sizeof(eta)),
		s->codec ? "  " : "", s->codec ? s->codec : "", fc);
	fflush(stderr);
	p->line_shown = true;
}

static void json_u64_or_null(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	if (v == UINT64_MAX)
		json_null(j);
	else
		json_u64(j, v);
}

/* The suspension measured, against its forecast. */
static void print_suspension(const struct mig_summary *s)
{
	char fc[64] = "";

	if (s->suspend_ns < 0) {
		printf("  suspension:   none\n");
		return;
	}
	if (s->expected_suspend_ms != UINT64_MAX)
		snprintf(fc, sizeof(fc), " (forecast %" PRIu64 " ms)",
			 s->expected_suspend_ms);
	printf("  suspension:   %.1f ms%s%s\n", (double)s->suspend_ns / 1e6, fc,
	       s->suspend_emulator_only ?
	       " (emulator stopped; no kernel write block yet)" : "");
}

static double mb(uint64_t bytes)
{
	return (double)bytes / 1e6;
}

void progress_summary(struct progress *p, const struct mig_summary *s)
{
	double secs = (double)s->total_ns / 1e9;
	char a[SIZE_STR_MAX], b[SIZE_STR_MAX], c[SIZE_STR_MAX];
	struct json j;

	if (p->json) {
		json_event_begin(&j, "done");
		json_key(&j, "domain");
		json_string(&j, s->domain);
		json_key(&j, "destination");
		json_string(&j, s->dest);
		json_key(&j, "total_ms");
		json_u64(&j, s->total_ns / 1000000);
		json_key(&j, "suspend_ms");
		if (s->suspend_ns < 0)
			json_null(&j);
		else
			json_u64(&j, (uint64_t)s->suspend_ns / 1000000);
		json_u64_or_null(&j, "expected_suspend_ms",
				 s->expected_suspend_ms);
		json_key(&j, "rounds");
		json_u64(&j, s->rounds);
		json_key(&j, "final_because");
		json_string(&j, s->why_final);
		json_key(&j, "pages_zero");
		json_u64(&j, s->pages_zero);
		json_key(&j, "pages_skipped");
		json_u64(&j, s->pages_skipped);
		json_key(&j, "pages_lzjb");
		json_u64(&j, s->pages_lzjb);
		json_key(&j, "pages_lz4");
		json_u64(&j, s->pages_lz4);
		json_key(&j, "pages_raw");
		json_u64(&j, s->pages_raw);
		json_key(&j, "compress");
		json_string(&j, s->compress ? s->compress : "auto");
		json_key(&j, "codec_switches");
		json_u64(&j, s->codec_switches);
		json_key(&j, "bytes_in");
		json_u64(&j, s->bytes_in);
		json_key(&j, "bytes_out");
		json_u64(&j, s->bytes_out);
		json_key(&j, "batches");
		json_u64(&j, s->batches);
		json_key(&j, "wire_bytes");
		json_u64(&j, s->wire_bytes);
		json_key(&j, "streams");
		json_u64(&j, s->streams);
		json_key(&j, "verified");
		json_bool(&j, s->verified);
		json_key(&j, "dirty_limit");
		json_u64(&j, s->dirty_limit);
		json_key(&j, "throttled");
		json_u64(&j, s->throttled);
		json_key(&j, "throttle_ms");
		json_u64(&j, s->throttle_ns / 1000000);
		json_key(&j, "key_epochs");
		json_u64(&j, s->key_epochs);
		json_u64_or_null(&j, "dirty_rate", s->dirty_rate);
		json_event_end(&j);
		return;
	}
	progress_clear(p);
	printf("migrated '%s' to %s in %.2f s\n", s->domain, s->dest, secs);
	printf("  rounds:       %" PRIu32 " (%" PRIu32 " pre-copy, then the final round: %s)\n",
	       s->rounds, s->rounds ? s->rounds - 1 : 0, s->why_final);
	print_suspension(s);
	printf("  pages:        %" PRIu64 " zero (%" PRIu64 " more skipped), %"
	       PRIu64 " LZJB, %" PRIu64 " LZ4, %" PRIu64 " raw\n",
	       s->pages_zero, s->pages_skipped, s->pages_lzjb, s->pages_lz4,
	       s->pages_raw);
	printf("  compression:  %s%s", s->compress ? s->compress : "auto",
	       s->compress && strcmp(s->compress, "auto") ? "\n" : "");
	if (!s->compress || !strcmp(s->compress, "auto"))
		printf(" (%" PRIu32 " codec change%s)\n", s->codec_switches,
		       s->codec_switches == 1 ? "" : "s");
	printf("  bytes:        %s of guest RAM read, %s after compression (%.1f%%)\n",
	       size_format(s->bytes_in, a, sizeof(a)),
	       size_format(s->bytes_out, b, sizeof(b)),
	       s->bytes_in ? 100.0 * (double)s->bytes_out / (double)s->bytes_in : 0);
	printf("  wire:         %s in %" PRIu64 " batches on %" PRIu32 " stream%s, under %"
	       PRIu64 " key%s\n",
	       size_format(s->wire_bytes, c, sizeof(c)), s->batches, s->streams,
	       s->streams == 1 ? "" : "s", s->key_epochs,
	       s->key_epochs == 1 ? "" : "s");
	printf("  throughput:   %.1f MB/s of guest RAM, %.1f MB/s on the wire\n",
	       secs > 0 ? mb(s->bytes_in) / secs : 0,
	       secs > 0 ? mb(s->wire_bytes) / secs : 0);
	if (s->dirty_rate != UINT64_MAX)
		printf("  dirty rate:   %" PRIu64 " pages/s in the last pre-copy round\n",
		       s->dirty_rate);
	if (s->dirty_limit || s->throttled)
		printf("  dirty limit:  %" PRIu32 " pages/s at the end; %" PRIu64
		       " write faults made to wait, %.1f s in all\n",
		       s->dirty_limit, s->throttled, (double)s->throttle_ns / 1e9);
	printf("  verified:     %s\n", s->verified ?
	       "yes, every page's checksum matches" : "no (--verify not given)");
}
