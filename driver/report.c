// SPDX-License-Identifier: GPL-2.0
/*
 * What the module reports of a migration: a session's state and counters
 * (LDM_CMD_MIGRATE_GET) and a target domain's post-copy (DOMAIN_GET), as
 * netlink attributes. Reading only: nothing here changes a session.
 */

#include <linux/mm.h>
#include <net/genetlink.h>

#include <uapi/linux/ldm.h>

#include "crypt.h"
#include "domain.h"
#include "postcopy.h"
#include "report.h"
#include "ring.h"
#include "session.h"
#include "throttle.h"
#include "workers.h"

static int ldm_report_stats(struct sk_buff *msg, int type,
			    const struct ldm_stats *st)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest ||
	    nla_put_u64_64bit(msg, LDM_A_STAT_PAGES_ZERO, st->pages_zero,
			      LDM_A_STAT_PAD) ||
	    nla_put_u64_64bit(msg, LDM_A_STAT_PAGES_SKIPPED, st->pages_skipped,
			      LDM_A_STAT_PAD) ||
	    nla_put_u64_64bit(msg, LDM_A_STAT_PAGES_LZJB, st->pages_lzjb,
			      LDM_A_STAT_PAD) ||
	    nla_put_u64_64bit(msg, LDM_A_STAT_PAGES_LZ4, st->pages_lz4,
			      LDM_A_STAT_PAD) ||
	    nla_put_u64_64bit(msg, LDM_A_STAT_PAGES_RAW, st->pages_raw,
			      LDM_A_STAT_PAD) ||
	    nla_put_u64_64bit(msg, LDM_A_STAT_PAGES_STALE, st->pages_stale,
			      LDM_A_STAT_PAD) ||
	    nla_put_u64_64bit(msg, LDM_A_STAT_BYTES_IN, st->bytes_in,
			      LDM_A_STAT_PAD) ||
	    nla_put_u64_64bit(msg, LDM_A_STAT_BYTES_OUT, st->bytes_out,
			      LDM_A_STAT_PAD) ||
	    nla_put_u64_64bit(msg, LDM_A_STAT_BATCHES, st->batches,
			      LDM_A_STAT_PAD) ||
	    nla_put_u64_64bit(msg, LDM_A_STAT_BUSY_NS, st->busy_ns,
			      LDM_A_STAT_PAD) ||
	    nla_put_u64_64bit(msg, LDM_A_STAT_TIME_NS, st->time_ns,
			      LDM_A_STAT_PAD) ||
	    nla_put_u64_64bit(msg, LDM_A_STAT_ROUND_BATCHES, st->round_batches,
			      LDM_A_STAT_PAD))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Rounds a MIGRATE_GET reply carries: the latest ones. */
#define LDM_REPORT_ROUNDS	8

/* Bytes of one nested set of counters, as ldm_report_stats() writes it. */
static size_t ldm_report_stats_size(void)
{
	return nla_total_size(0) +
	       (LDM_A_STAT_MAX - LDM_A_STAT_PAD) * nla_total_size_64bit(8);
}

/**
 * ldm_report_session_size() - bytes of a MIGRATE_GET reply
 * @workers: workers of the session
 *
 * The totals, the latest rounds and one set per worker, whatever the
 * number of workers, plus the name, the scalars and the error message.
 *
 * Return: the bytes ldm_report_session() needs at most.
 */
size_t ldm_report_session_size(u32 workers)
{
	return nla_total_size(LDM_NAME_MAX) +
	       5 * nla_total_size(sizeof(u32)) +
	       nla_total_size(128) +
	       4 * nla_total_size_64bit(sizeof(u64)) +
	       3 * nla_total_size(0) +
	       (1 + LDM_REPORT_ROUNDS + workers) * ldm_report_stats_size();
}

/**
 * ldm_report_session() - a session's state and counters, for MIGRATE_GET
 * @msg: the reply
 * @s: the session; the caller holds its domain's session_lock
 *
 * Return: 0, or -EMSGSIZE when @msg is full.
 */
int ldm_report_session(struct sk_buff *msg, struct ldm_session *s)
{
	struct ldm_stats totals, rounds[LDM_REPORT_ROUNDS];
	struct nlattr *nest;
	u32 i, first, n, state, error;
	const char *errmsg;

	ldm_session_totals(s, &totals);
	spin_lock(&s->lock);
	state = s->state;
	error = s->error;
	errmsg = s->errmsg;
	n = s->nrounds;
	/* The latest rounds only: the message has a size limit. */
	first = n > ARRAY_SIZE(rounds) ? n - ARRAY_SIZE(rounds) : 0;
	for (i = first; i < n; i++)
		rounds[i - first] = s->rounds[i];
	spin_unlock(&s->lock);

	if (nla_put_u32(msg, LDM_A_MIG_STATE, state) ||
	    nla_put_u32(msg, LDM_A_MIG_ERROR, error) ||
	    (errmsg && nla_put_string(msg, LDM_A_MIG_ERROR_MSG, errmsg)) ||
	    nla_put_u32(msg, LDM_A_MIG_ROUND, s->sending ? s->round : n) ||
	    nla_put_u64_64bit(msg, LDM_A_MIG_RING_BYTES,
			      PAGE_ALIGN(s->ring->bytes), LDM_A_PAD) ||
	    nla_put_u32(msg, LDM_A_MIG_EPOCH_SHIFT, s->params.epoch_shift) ||
	    nla_put_u64_64bit(msg, LDM_A_MIG_KEY_EPOCH,
			      ldm_crypt_top_epoch(&s->crypt), LDM_A_PAD) ||
	    ldm_report_stats(msg, LDM_A_MIG_TOTALS, &totals))
		return -EMSGSIZE;
	if (s->sending) {
		u64 delayed, delay_ns;
		u32 limit;

		ldm_throttle_read(&s->dom->throttle, &limit, &delayed,
				  &delay_ns);
		if (nla_put_u32(msg, LDM_A_MIG_DIRTY_LIMIT, limit) ||
		    nla_put_u64_64bit(msg, LDM_A_MIG_THROTTLED, delayed,
				      LDM_A_PAD) ||
		    nla_put_u64_64bit(msg, LDM_A_MIG_THROTTLE_NS, delay_ns,
				      LDM_A_PAD))
			return -EMSGSIZE;
	}

	nest = nla_nest_start(msg, LDM_A_MIG_ROUNDS);
	if (!nest)
		return -EMSGSIZE;
	for (i = first; i < n; i++)
		if (ldm_report_stats(msg, i + 1, &rounds[i - first]))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);

	nest = nla_nest_start(msg, LDM_A_MIG_WORKER_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < s->params.workers; i++)
		if (ldm_report_stats(msg, i + 1, &s->workers[i].total))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/**
 * ldm_report_postcopy() - a target in post-copy: what it lacks, and what
 * its faults waited
 * @skb: the DOMAIN_GET reply
 * @dom: the domain; nothing is added outside post-copy
 *
 * Return: 0, or -EMSGSIZE when @skb is full.
 */
int ldm_report_postcopy(struct sk_buff *skb, struct ldm_domain *dom)
{
	struct ldm_postcopy *pc = ldm_domain_postcopy(dom);
	u64 missing, faults, wait_ns, max_ns;

	if (!pc)
		return 0;
	ldm_postcopy_stats(pc, &missing, &faults, &wait_ns, &max_ns);
	return nla_put_u64_64bit(skb, LDM_A_DOMAIN_MISSING, missing,
				 LDM_A_PAD) ||
	       nla_put_u64_64bit(skb, LDM_A_DOMAIN_REMOTE_FAULTS, faults,
				 LDM_A_PAD) ||
	       nla_put_u64_64bit(skb, LDM_A_DOMAIN_FAULT_WAIT_NS, wait_ns,
				 LDM_A_PAD) ||
	       nla_put_u64_64bit(skb, LDM_A_DOMAIN_FAULT_WAIT_MAX_NS, max_ns,
				 LDM_A_PAD);
}

