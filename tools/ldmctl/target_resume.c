// SPDX-License-Identifier: GPL-2.0
/*
 * A resumable migration (migrate --reconnect) whose source was lost
 * during pre-copy (target.h): keep the domain, its session and the data
 * port, let what arrived be applied, and wait for a reconnect that shows
 * the resume ticket; then tell it which pages are here from the cut round
 * on (APPLIED), and take new data streams. The source's half is
 * source_resume.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "net.h"
#include "target.h"
#include "tls.h"

/* APPLIED: the pages the module has from round @round on, in chunks. */
static int send_applied(struct incoming *in, uint32_t round)
{
	uint64_t npages = in->hello.size / in->page_size, count = 0, i;
	size_t nwords = (size_t)((npages + 63) / 64);
	struct proto_sums *s = calloc(1, sizeof(*s));
	uint64_t *words = calloc(nwords, sizeof(*words));
	struct pbuf b;
	int err;

	pbuf_init(&b);
	err = s && words ? mig_page_set(in->ring.fd, LDM_IOC_APPLIED, words,
					nwords, round, &count) : -ENOMEM;
	for (i = 0; !err && i < nwords; i += s->count) {
		s->first = i;
		s->count = (uint32_t)(nwords - i < PROTO_SUMS_MAX ?
				      nwords - i : PROTO_SUMS_MAX);
		memcpy(s->sums, words + i, s->count * sizeof(*words));
		err = target_send(in, &b, proto_put_applied(&b, s));
	}
	if (!err)
		serve_log(in->peer, "'%s' has %" PRIu64 " pages from round %u on",
			  in->hello.target, count, round);
	pbuf_free(&b);
	free(words);
	free(s);
	return err;
}

/*
 * Round @round was cut: whatever of it the module applied is not in the
 * source's count of batches (nor is the round before, if its
 * acknowledgement was lost on the way): remember it for the commit.
 */
static int cut_round(struct incoming *in, uint32_t round)
{
	uint64_t before = 0;
	struct mig_info mi;
	uint32_t r;
	int err;

	err = mig_get(in->g, in->hello.target, &mi);
	if (err)
		return err;
	/* What the source counts: the rounds before, acknowledged. */
	for (r = round; r <= in->rounds_acked && r < PROTO_ROUNDS_MAX; r++)
		in->expected[r] = 0;
	for (r = 0; r < round; r++)
		before += in->expected[r];
	if (mi.totals.v[LDM_A_STAT_BATCHES] < before)
		return -EPROTO;
	in->cut_batches = mi.totals.v[LDM_A_STAT_BATCHES] - before;
	return 0;
}

/*
 * The source is gone mid-way through pre-copy and asked for a chance to
 * come back: keep the domain, its session and the data port, let what
 * arrived be applied, and wait for a reconnect that shows the ticket.
 * Return: 0 with the new control connection and streams, or an error
 * (the caller discards the domain).
 */
int target_resume_wait(struct incoming *in, const char *why)
{
	int64_t deadline = now_ms() + PROTO_RESUME_WAIT_S * 1000;
	struct proto_resume rs;
	enum tls_refusal refused;
	char twhy[TLS_WHY_MAX];
	struct pbuf b;
	SSL *ssl;
	int fd, err;

	serve_log(in->peer, "lost the source (%s); keeping '%s' %d s for it to resume",
		  why, in->hello.target, PROTO_RESUME_WAIT_S);
	if (in->ctl.ssl)
		ctl_close(&in->ctl);
	in->ctl_up = false;
	receiver_drop_streams(&in->rx);
	while (!receiver_drained(&in->rx) && now_ms() < deadline && !serve_stopping)
		poll(NULL, 0, 20);
	pbuf_init(&b);
	while (!serve_stopping && now_ms() < deadline) {
		struct pollfd p = { .fd = in->data_fd, .events = POLLIN };
		int64_t left = deadline - now_ms();

		if (poll(&p, 1, left > 1000 ? 1000 : (int)left) <= 0)
			continue;
		fd = accept4(in->data_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		net_tune(fd, in->o->timeout_ms);
		ssl = tls_handshake(in->ctx, fd, NULL, in->o->timeout_ms,
				    &serve_stopping, twhy, &refused);
		if (!ssl) {
			serve_log(in->peer, "refused a reconnect: %s", twhy);
			net_linger_close(fd, 1000);
			continue;
		}
		if (ctl_init(&in->ctl, ssl, fd)) {
			SSL_free(ssl);
			close(fd);
			break;
		}
		in->ctl_up = true;
		err = target_expect(in, PROTO_MSG_RESUME);
		if (!err && (proto_get_resume(in->ctl.payload, in->ctl.len, &rs) ||
			     CRYPTO_memcmp(rs.ticket, in->ticket,
					   sizeof(in->ticket)) ||
			     rs.round > in->rounds_acked ||
			     rs.round + 1 < in->rounds_acked)) {
			target_abort(in, PROTO_E_REQUEST,
				     "this is not a resume of the migration into '%s'",
				     in->hello.target);
			err = -EPERM;
		}
		if (!err)
			err = cut_round(in, rs.round);
		if (!err)
			err = send_applied(in, rs.round);
		if (!err && tls_export(in->ctl.ssl, TLS_LABEL_STREAM_TOKEN,
				       in->token, sizeof(in->token)))
			err = -EIO;
		if (!err)
			err = target_accept_streams(in);
		if (!err)
			err = ctl_send_empty(&in->ctl, PROTO_MSG_STREAMS_OK,
					     in->o->timeout_ms);
		if (!err) {
			in->rounds_acked = rs.round + 1;
			in->rx.last_data_ms = now_ms();
			in->resumes++;
			/* Said again on the new link (it may have been lost). */
			in->qemu_ready_sent = false;
			serve_log(in->peer, "resumed '%s' after round %u was cut",
				  in->hello.target, rs.round);
			pbuf_free(&b);
			return 0;
		}
		serve_log(in->peer, "the reconnect failed: %s", strerror(-err));
		receiver_drop_streams(&in->rx);
		ctl_close(&in->ctl);
		in->ctl_up = false;
	}
	pbuf_free(&b);
	serve_log(in->peer, "the source did not come back within %d s",
		  PROTO_RESUME_WAIT_S);
	return -ETIMEDOUT;
}
