#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/codecbench.sh: does --compress auto pick right? Runs in the lab VM:
#
#   make && lab/run --timeout 1500 -- bench/codecbench.sh
#
# The same domain (CODECBENCH_MIB, default 256 MiB, filled by
# selftests/ldm_guest: a mix of zero, text-like and random pages) is
# migrated between the lab's two hosts with each fixed codec (lzjb, lz4,
# none) and with auto, on two links: the bare veth (as fast as the lab's
# CPUs can push, where compression tends to cost more than it saves) and
# the same veth throttled by a tc token bucket to CODECBENCH_RATE (default
# 40mbit, about 5 MB/s, where it pays). The four runs of a link are
# interleaved and repeated CODECBENCH_REPS times (default 2), and each
# method's fastest run is kept, so that a burst of load on the shared
# cores does not decide. The result is auto's time against the best fixed
# codec of that link: a ratio <= 1.05 means auto matched or beat every
# fixed choice. Raw lines go to $LAB_OUT/codecbench.csv.
set -u

cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

MIB=${CODECBENCH_MIB:-256}
RATE=${CODECBENCH_RATE:-40mbit}
REPS=${CODECBENCH_REPS:-2}
CSV=${LAB_OUT:-$W}/codecbench.csv

bench_setup codecbench

bench_csv_head codec > "$CSV"
bench_links "tbf-$RATE" "tbf rate $RATE burst 64k latency 200ms" \
	--compress "lzjb lz4 none auto"

# The table: per link, each method's fastest run, and auto against the
# best fixed codec.
echo
awk -F, -v mib="$MIB" '
NR > 1 && $8 == "ok" {
	k = $1 SUBSEP $2
	if (!(k in best) || $4 < best[k]) { best[k] = $4; wire[k] = $5; sw[k] = $7 }
	links[$1] = 1
}
END {
	printf "%-14s %-5s %9s %9s %11s %s\n", "link", "codec", "time ms", "MB/s", "wire MB", "switches"
	bad = 0
	for (l in links) {
		fixed = ""
		n = split("lzjb lz4 none auto", cs, " ")
		for (i = 1; i <= n; i++) {
			k = l SUBSEP cs[i]
			if (!(k in best)) { printf "%-14s %-5s %9s\n", l, cs[i], "failed"; bad = 1; continue }
			printf "%-14s %-5s %9d %9.1f %11.1f %s\n", l, cs[i], best[k],
			       mib * 1.048576 * 1000 / best[k], wire[k] / 1e6, cs[i] == "auto" ? sw[k] : "-"
			if (cs[i] != "auto" && (fixed == "" || best[k] < best[l SUBSEP fixed]))
				fixed = cs[i]
		}
		if (fixed != "" && ((l SUBSEP "auto") in best))
			printf "%-14s auto / best fixed (%s): %.2f\n", l, fixed,
			       best[l SUBSEP "auto"] / best[l SUBSEP fixed]
	}
	exit bad
}' "$CSV"
