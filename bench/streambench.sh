#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/streambench.sh: when do several data streams (--streams N) help?
# Runs in the lab VM:
#
#   make && lab/run --timeout 1500 -- bench/streambench.sh
#
# The same domain (STREAMBENCH_MIB, default 32 MiB, filled by
# selftests/ldm_guest: zero, text-like and random pages) migrates between
# the lab's two hosts with --streams 1, 2 and 4 (STREAMBENCH_STREAMS), on
# two links: the bare veth, where the lab's CPUs are the bottleneck, and
# the same veth under tc's fq qdisc with a per-connection rate cap
# (STREAMBENCH_FLOW, default 8mbit), the shape of a path that limits each
# TCP connection (a per-flow shaper, or a long fat pipe where one
# connection's window caps its rate). Runs are interleaved and repeated
# STREAMBENCH_REPS times (default 2); each setting's fastest run is kept,
# and the result is its speed against one stream on the same link,
# measured in the same run. Raw lines go to $LAB_OUT/streambench.csv.
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

MIB=${STREAMBENCH_MIB:-32}
FLOW=${STREAMBENCH_FLOW:-8mbit}
REPS=${STREAMBENCH_REPS:-2}
STREAMS=${STREAMBENCH_STREAMS:-1 2 4}
CSV=${LAB_OUT:-$W}/streambench.csv

bench_setup streambench
bench_csv_head streams > "$CSV"
bench_links "fq-$FLOW-per-flow" "fq maxrate $FLOW" --streams "$STREAMS"

# The table: per link, each setting's fastest run, and its speed-up over
# one stream on that link.
echo
awk -F, -v mib="$MIB" '
NR > 1 && $8 == "ok" {
	k = $1 SUBSEP $2
	if (!(k in best) || $4 < best[k]) { best[k] = $4; wire[k] = $5 }
	if (!($1 in seen)) { seen[$1] = 1; order[++nl] = $1 }
	if (!($2 in sseen)) { sseen[$2] = 1; sorder[++ns] = $2 }
}
END {
	printf "%-22s %-7s %9s %9s %9s %s\n", "link", "streams", "time ms", "MB/s", "wire MB", "speed-up"
	bad = 0
	for (i = 1; i <= nl; i++) {
		l = order[i]
		one = best[l SUBSEP sorder[1]]
		for (j = 1; j <= ns; j++) {
			k = l SUBSEP sorder[j]
			if (!(k in best)) { printf "%-22s %-7s %9s\n", l, sorder[j], "failed"; bad = 1; continue }
			printf "%-22s %-7s %9d %9.1f %9.1f %s\n", l, sorder[j], best[k],
			       mib * 1.048576 * 1000 / best[k], wire[k] / 1e6,
			       one ? sprintf("%.2fx", one / best[k]) : "-"
		}
	}
	exit bad
}' "$CSV"
