#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh: the lab part of 'make bench', and its report, one
# directory per run.
#
#   make bench            (= make bench-codec, then bench/run.sh)
#   bench/run.sh          after 'make'; MIGBENCH_* (see bench/migbench.sh)
#                         and SNAPBENCH_ARGS (e.g. "-m 32 -r 3") pass through
#
# Runs, each in a lab VM of its own (lab/run), bench/snapbench (the sending
# pipeline, workers 1..N against the baseline mode), bench/codecbench.sh
# (--compress auto against each fixed codec, fast and throttled link),
# bench/streambench.sh (--streams 1, 2, 4 on a bare and a per-flow capped
# link) and bench/migbench.sh
# (whole migrations of a SPARC guest: ldm, ldm's baseline mode, QEMU's own
# migration with its defaults and with multifd + zstd); then, here on the
# host, bench/migreport.py turns the migrations into a table with ldm's
# ratios to each other method, summary.csv and plot.png. Everything lands
# in build/bench/<timestamp>/ (build/bench/latest points to the newest):
#
#   snapbench.txt         snapbench's table and CSV lines
#   codecbench.txt streambench.txt    those benchmarks' tables
#   results.csv           one line per migration, raw
#   table.txt summary.csv plot.png    the report
#   migbench.log          the migration run's output; lab/, lab-snapbench/
#                         the lab runs (console, dmesg, logs/ of each QEMU)
#
# A step that fails is reported and the next one still runs; the exit
# status is non-zero if any failed. About 47 minutes on a 2-CPU TCG lab
# loaded by other runs.
set -eu

cd "$(dirname "$0")/.."
top=build/bench
stamp=$(date +%Y%m%d-%H%M%S)
dir=$top/$stamp
mkdir -p "$dir"
ln -sfn "$stamp" "$top/latest"
fails=

# run LOG CMD...: CMD with its output on the terminal and in LOG; its status.
run() {
	_log=$1
	shift
	{ "$@" 2>&1; echo $? > "$dir/.status"; } | tee "$_log"
	return "$(cat "$dir/.status")"
}

echo "== bench/snapbench in the lab (the sending pipeline)"
# shellcheck disable=SC2086 # SNAPBENCH_ARGS: separate arguments
run "$dir/snapbench.txt" lab/run --timeout 1800 --out "$dir/lab-snapbench" \
	-- bench/snapbench ${SNAPBENCH_ARGS:-} || {
	echo "bench: bench/snapbench failed (log: $dir/snapbench.txt)" >&2
	fails="$fails snapbench"
}

echo "== bench/codecbench.sh in the lab (--compress auto against each codec)"
run "$dir/codecbench.txt" lab/run --timeout 1500 --out "$dir/lab-codecbench" \
	-- bench/codecbench.sh || {
	echo "bench: bench/codecbench.sh failed (log: $dir/codecbench.txt)" >&2
	fails="$fails codecbench"
}

echo "== bench/streambench.sh in the lab (--streams N, bare and per-flow capped link)"
run "$dir/streambench.txt" lab/run --timeout 1500 --out "$dir/lab-streambench" \
	-- bench/streambench.sh || {
	echo "bench: bench/streambench.sh failed (log: $dir/streambench.txt)" >&2
	fails="$fails streambench"
}

echo "== bench/migbench.sh in the lab (whole migrations, side by side)"
set -- env
for v in GUEST METHODS RATES LEGS LOW HIGH MODERATE MAX APPEND DOWNTIME WARM TIMEOUT MEM; do
	eval "val=\${MIGBENCH_$v-}"
	[ -z "${val:-}" ] || set -- "$@" "MIGBENCH_$v=$val"
done
[ -z "${SPARC_BOOT_TIMEOUT:-}" ] || set -- "$@" "SPARC_BOOT_TIMEOUT=$SPARC_BOOT_TIMEOUT"
run "$dir/migbench.log" lab/run --timeout 9000 --out "$dir/lab" -- \
	"$@" bench/migbench.sh || {
	echo "bench: bench/migbench.sh failed (log: $dir/migbench.log)" >&2
	fails="$fails migbench"
}
rm -f "$dir/.status"

if [ -s "$dir/lab/results.csv" ]; then
	cp "$dir/lab/results.csv" "$dir/results.csv"
	echo "== the migrations, side by side ($dir)"
	bench/migreport.py "$dir" || fails="$fails migreport"
else
	echo "bench: no results.csv from the migration run" >&2
	fails="$fails migreport"
fi
echo "bench: results in $dir (build/bench/latest)"
if [ -n "$fails" ]; then
	echo "bench: failed:$fails" >&2
	exit 1
fi
