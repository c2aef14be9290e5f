// SPDX-License-Identifier: GPL-2.0
/*
 * The target's control conversation with the source (target.h): how it
 * sends, waits and gives up, over ctl.c as the source does; its checks of
 * what the source asks in HELLO, which make the WELCOME; and the data
 * streams, bound to the session by their token.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "domain.h"
#include "name.h"
#include "net.h"
#include "target.h"

void target_abort(struct incoming *in, uint32_t code, const char *fmt, ...)
{
	char reason[PROTO_STR_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	serve_log(in->peer, "aborting: %s", reason);
	if (in->ctl_up)
		ctl_abort(&in->ctl, code, reason);
}

int target_send(struct incoming *in, struct pbuf *b, int enc)
{
	return ctl_send_msg(&in->ctl, b, enc, in->o->timeout_ms);
}

int target_source_aborted(struct incoming *in)
{
	struct proto_abort ab;

	if (proto_get_abort(in->ctl.payload, in->ctl.len, &ab))
		snprintf(ab.reason, sizeof(ab.reason), "(malformed)");
	serve_log(in->peer, "the source aborted: %s (%s)", ab.reason,
		  proto_code_name(ab.code));
	in->ctl_up = false;
	return -ECONNABORTED;
}

int target_expect_within(struct incoming *in, uint16_t type, int timeout_ms)
{
	int err;

	err = ctl_expect(&in->ctl, type, timeout_ms, &serve_stopping, NULL,
			 NULL);
	switch (err) {
	case 0:
		return 0;
	case -ECONNABORTED:
		return target_source_aborted(in);
	case -EBADMSG:
		target_abort(in, PROTO_E_REQUEST, "expected %s, got %s",
			     proto_msg_name(type), proto_msg_name(in->ctl.type));
		return -EPROTO;
	case -ECANCELED:
		serve_log(in->peer, "lost the source while waiting for %s: shutting down",
			  proto_msg_name(type));
		return -EINTR;
	default:
		serve_log(in->peer, "lost the source while waiting for %s: %s",
			  proto_msg_name(type), in->ctl.why);
		return err;
	}
}

int target_expect(struct incoming *in, uint16_t type)
{
	return target_expect_within(in, type, in->o->timeout_ms);
}

static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

static uint64_t max_domain(void)
{
	FILE *f = fopen("/sys/module/ldm/parameters/max_domain_mib", "r");
	unsigned long long mib = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &mib) != 1)
		mib = 0;
	fclose(f);
	return (uint64_t)mib << 20;
}

static void check(struct proto_welcome *w, uint32_t code, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));

static void check(struct proto_welcome *w, uint32_t code, const char *fmt,
		  ...)
{
	va_list ap;

	if (w->nchecks == PROTO_CHECKS_MAX)
		return;
	w->checks[w->nchecks].code = code;
	va_start(ap, fmt);
	vsnprintf(w->checks[w->nchecks].text, PROTO_STR_TEXT_MAX + 1, fmt, ap);
	va_end(ap);
	w->nchecks++;
	if (code && !w->verdict)
		w->verdict = code;
}

/*
 * migrate --prepared: the target domain must be there already, in this
 * serve's network namespace, of the source's size, active and never
 * written (the kernel checks that last one again when the session
 * starts: round 0 skips zero pages, so the target must start all zero).
 */
static void judge_prepared(struct incoming *in, struct proto_welcome *w)
{
	const struct proto_hello *h = &in->hello;
	struct ldm_domain_info di;
	int err;

	err = ldm_domain_get(in->g, h->target, &di);
	if (err == -ENOENT)
		check(w, PROTO_E_NAME,
		      "no prepared domain '%s' on the target (ldmctl add-domain %s --mem %" PRIu64 "M there first)",
		      h->target, h->target, h->size >> 20);
	else if (err)
		check(w, PROTO_E_TARGET, "cannot look up '%s': %s", h->target,
		      strerror(-err));
	else if (di.size != h->size)
		check(w, PROTO_E_NAME,
		      "prepared domain '%s' has %" PRIu64 " MiB, the source's %" PRIu64 " MiB",
		      h->target, di.size >> 20, h->size >> 20);
	else if (di.state != LDM_DOMAIN_STATE_ACTIVE)
		check(w, PROTO_E_NAME,
		      "prepared domain '%s' is %s, not active", h->target,
		      ldm_domain_state_name(di.state));
	else if (di.resident)
		check(w, PROTO_E_NAME,
		      "prepared domain '%s' has been written to (%" PRIu64 " pages): it cannot receive",
		      h->target, di.resident);
	else
		check(w, PROTO_OK, "prepared domain '%s' is empty and waits", h->target);
}

void target_judge(struct incoming *in, struct proto_welcome *w)
{
	const struct proto_hello *h = &in->hello;
	struct ldm_domain_info di;
	const char *why;
	uint64_t need = h->resident * h->page_size;
	int err;

	w->uapi_version = LDM_UAPI_VERSION;
	w->page_size = (uint32_t)in->page_size;
	w->fips = in->o->fips;
	snprintf(w->tool_version, sizeof(w->tool_version), "%s", LDMCTL_VERSION);
	w->mem_available = mem_available();
	w->max_domain = max_domain();

	check(w, PROTO_OK, "authenticated the source %s", in->peer);
	if (h->uapi_version != LDM_UAPI_VERSION)
		check(w, PROTO_E_VERSION,
		      "ldm UAPI versions differ: source %u, target %u",
		      h->uapi_version, LDM_UAPI_VERSION);
	else
		check(w, PROTO_OK, "versions: protocol %d, ldm UAPI %d, ldmctl %s (source %s)",
		      PROTO_VERSION, LDM_UAPI_VERSION, LDMCTL_VERSION,
		      h->tool_version);
	if (!!(h->flags & PROTO_HELLO_F_FIPS) != in->o->fips)
		check(w, PROTO_E_FIPS,
		      "FIPS mode mismatch: the source is%s in FIPS mode, the target is%s",
		      h->flags & PROTO_HELLO_F_FIPS ? "" : " not",
		      in->o->fips ? "" : " not");
	if (h->page_size != in->page_size)
		check(w, PROTO_E_PAGE_SIZE, "page sizes differ: source %u, target %" PRIu64,
		      h->page_size, in->page_size);
	else
		check(w, PROTO_OK, "page size %u", h->page_size);
	if (name_validate(h->target, &why)) {
		check(w, PROTO_E_NAME, "target name '%s': %s", h->target, why);
	} else if (h->flags & PROTO_HELLO_F_PREPARED) {
		judge_prepared(in, w);
	} else {
		err = ldm_domain_get(in->g, h->target, &di);
		if (!err)
			check(w, PROTO_E_NAME,
			      "domain '%s' already exists on the target", h->target);
		else if (err != -ENOENT)
			check(w, PROTO_E_TARGET, "cannot look up '%s': %s",
			      h->target, strerror(-err));
		else
			check(w, PROTO_OK, "domain name '%s' is free", h->target);
	}
	if (!h->size || h->size % in->page_size)
		check(w, PROTO_E_REQUEST, "bad domain size %" PRIu64, h->size);
	else if (w->max_domain && h->size > w->max_domain)
		check(w, PROTO_E_MEMORY,
		      "domain size %" PRIu64 " MiB exceeds the target's max_domain_mib (%" PRIu64 ")",
		      h->size >> 20, w->max_domain >> 20);
	else if (need > w->mem_available)
		check(w, PROTO_E_MEMORY,
		      "the domain's %" PRIu64 " MiB in use exceed the target's available memory (%" PRIu64 " MiB)",
		      need >> 20, w->mem_available >> 20);
	else
		check(w, PROTO_OK, "memory: %" PRIu64 " MiB in use fit the %" PRIu64 " MiB available",
		      need >> 20, w->mem_available >> 20);
	if ((h->flags & PROTO_HELLO_F_DEVSTATE) && !in->o->qmp_dir)
		check(w, PROTO_E_TARGET,
		      "the source sends QEMU's device state, but this serve has no --qmp-dir for the target QEMU");
	else if (h->flags & PROTO_HELLO_F_DEVSTATE)
		check(w, PROTO_OK, "QEMU device state goes to the QEMU on %s/%s.qmp",
		      in->o->qmp_dir, h->target);
	if (h->batch_bytes < LDM_BATCH_MIN || h->batch_bytes > LDM_BATCH_MAX)
		check(w, PROTO_E_REQUEST, "batch size %u out of range",
		      h->batch_bytes);
	else if (h->epoch_shift < LDM_EPOCH_SHIFT_MIN ||
		 h->epoch_shift > rekey_shift_max(h->batch_bytes))
		check(w, PROTO_E_REQUEST,
		      "key epochs of 2^%u batches: out of range (2^%u to 2^%u)",
		      h->epoch_shift, LDM_EPOCH_SHIFT_MIN,
		      rekey_shift_max(h->batch_bytes));
}

int target_accept_streams(struct incoming *in)
{
	int64_t deadline = now_ms() + in->o->timeout_ms;
	uint32_t n = 0;

	while (n < in->hello.streams) {
		uint8_t hello[PROTO_STREAM_HELLO_BYTES];
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct pollfd p = { .fd = in->data_fd, .events = POLLIN };
		size_t got = 0;
		uint16_t idx;
		char addr[64];
		int fd, err;

		if (serve_stopping || now_ms() > deadline ||
		    poll(&p, 1, (int)(deadline - now_ms())) <= 0) {
			target_abort(in, PROTO_E_DATA,
				     "only %u of %u data streams arrived", n,
				     in->hello.streams);
			return -ETIMEDOUT;
		}
		fd = accept4(in->data_fd, (struct sockaddr *)&ss, &len,
			     SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		net_addr_string(&ss, addr, sizeof(addr));
		net_tune(fd, in->o->timeout_ms);
		while (got < sizeof(hello)) {
			struct pollfd q = { .fd = fd, .events = POLLIN };
			ssize_t r;

			if (poll(&q, 1, 5000) <= 0)
				break;
			r = recv(fd, hello + got, sizeof(hello) - got, 0);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		err = got == sizeof(hello) ?
		      proto_check_stream_hello(hello, in->token,
					       (uint16_t)in->hello.streams, &idx) :
		      -EPROTO;
		if (!err && in->rx.st[idx].fd >= 0)
			err = -EEXIST;
		if (err) {
			serve_log(in->peer, "refused a data stream from %s: %s", addr,
				  err == -EPERM ? "wrong session token" :
				  err == -EEXIST ? "stream index used twice" :
				  "malformed stream greeting");
			close(fd);
			continue;
		}
		in->rx.st[idx].fd = fd;
		n++;
	}
	in->rx.nstreams = in->hello.streams;
	/* A resumable migration keeps the port: the source comes back there. */
	if (!in->resumable) {
		close(in->data_fd);
		in->data_fd = -1;
	}
	OPENSSL_cleanse(in->token, sizeof(in->token));
	return 0;
}
