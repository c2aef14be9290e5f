// SPDX-License-Identifier: GPL-2.0
/*
 * --reconnect on the source (source.h): the control connection dropped
 * during pre-copy. The cut round is ended unsent, the source reconnects
 * to the target's data port and shows the resume ticket, the target says
 * which pages it already has, and the rounds go on without them on new
 * data streams. The target's half is target_resume.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "net.h"
#include "source.h"
#include "tls.h"

/* The target's APPLIED chunks, into @words (@nwords of them). */
static int applied_recv(struct migration *m, uint64_t *words, size_t nwords)
{
	struct proto_sums *c = malloc(sizeof(*c));
	size_t got = 0;
	int ret = 0;

	if (!c)
		return source_fail(m, -ENOMEM, "out of memory");
	while (!ret && got < nwords) {
		ret = source_expect(m, PROTO_MSG_APPLIED, "the target's applied pages");
		if (ret)
			break;
		if (proto_get_applied(m->ctl.payload, m->ctl.len, c) ||
		    c->first != got || c->count > nwords - got) {
			ret = source_fail(m, -EPROTO,
					  "malformed APPLIED from the target");
			break;
		}
		memcpy(words + got, c->sums, c->count * sizeof(*words));
		got += c->count;
	}
	free(c);
	return ret;
}

/*
 * --reconnect: the connection dropped during pre-copy. Let the module end
 * the cut round unsent, reconnect to the target's data port (TLS, both
 * certificates checked again), show the resume ticket, learn which pages
 * the target has from that round on and leave them out of the resend;
 * new data streams. Return: 0 (the next round resends), or -errno.
 */
int source_reconnect(struct migration *m)
{
	int64_t t0 = now_ms(), deadline = t0 + m->o.reconnect_s * 1000LL;
	size_t nwords = (size_t)((m->info.size / m->info.page_size + 63) / 64);
	uint32_t cut = m->round, attempts = 0;
	struct proto_resume rs = { .round = cut };
	enum tls_refusal refused;
	char why[TLS_WHY_MAX];
	uint64_t *words, skipped = 0;
	struct pbuf b;
	SSL *ssl;
	int fd, ret;

	progress_note(&m->pr, "lost the target in round %u (%s); reconnecting for up to %u s",
		      cut, m->lost_why, m->o.reconnect_s);
	progress_event(&m->pr, "lost", "round", (uint64_t)cut, NULL);
	ret = sender_drop_round(&m->snd, cut);
	if (ret)
		return source_fail(m, -EIO,
				   "cannot end round %u after losing the target: %s; the source domain is intact",
				   cut, m->snd.why);
	ctl_close(&m->ctl);
	m->ctl_up = false;
	/* Its number is spent: the target counts it too. */
	m->rounds_done++;
	words = calloc(nwords, sizeof(*words));
	if (!words)
		return source_fail(m, -ENOMEM, "out of memory");
	memcpy(rs.ticket, m->ticket, sizeof(rs.ticket));
	pbuf_init(&b);
	for (ret = SOURCE_LOST;
	     ret == SOURCE_LOST && !source_cancelled && now_ms() < deadline;) {
		if (attempts++)
			poll(NULL, 0, 1000);
		fd = net_connect(m->o.dest.host, m->data_port, 5000);
		if (fd < 0)
			continue;
		ssl = tls_handshake(m->ctx, fd, m->o.dest.host, m->o.timeout_ms,
				    &source_cancelled, why, &refused);
		if (!ssl) {
			close(fd);
			continue;
		}
		if (ctl_init(&m->ctl, ssl, fd)) {
			SSL_free(ssl);
			close(fd);
			ret = source_fail(m, -ENOMEM, "out of memory");
			break;
		}
		m->ctl_up = true;
		m->may_resume = true;
		ret = source_send(m, &b, proto_put_resume(&b, &rs)) ? SOURCE_LOST :
		      applied_recv(m, words, nwords);
		m->may_resume = false;
		if (ret == SOURCE_LOST) {
			ctl_close(&m->ctl);
			m->ctl_up = false;
		}
	}
	OPENSSL_cleanse(rs.ticket, sizeof(rs.ticket));
	pbuf_free(&b);
	if (ret == SOURCE_LOST)
		ret = source_fail(m, source_cancelled ? ERR_CANCELLED : -ETIMEDOUT,
				  "lost the target in round %u (%s) and %s; the source domain is intact",
				  cut, m->lost_why, source_cancelled ?
				  "was cancelled while reconnecting" :
				  "could not resume within --reconnect");
	if (!ret) {
		ret = mig_page_set(m->ring.fd, LDM_IOC_RESEND_SKIP, words,
				   nwords, 0, &skipped);
		if (ret)
			ret = source_fail(m, -EIO,
					  "cannot leave out what the target has: %s",
					  strerror(-ret));
	}
	free(words);
	if (!ret && tls_export(m->ctl.ssl, TLS_LABEL_STREAM_TOKEN, m->token,
			       sizeof(m->token)))
		ret = source_fail(m, -EIO,
				  "cannot derive the stream token from the TLS session");
	if (!ret)
		ret = source_open_streams(m, m->data_port);
	if (ret)
		return ret;
	m->resumes++;
	progress_note(&m->pr, "resumed after %u attempt%s in %.1f s: the target has %" PRIu64
		      " pages of round %u on, not sent again",
		      attempts, attempts == 1 ? "" : "s",
		      (double)(now_ms() - t0) / 1000, skipped, cut);
	progress_event(&m->pr, "resumed", "round", (uint64_t)cut,
		       "skipped", skipped, "attempts", (uint64_t)attempts,
		       "ms", (uint64_t)(now_ms() - t0), NULL);
	return 0;
}
