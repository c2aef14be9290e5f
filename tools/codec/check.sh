#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the codec's tests as one TAP stream: the unit tests natively, the
# unit tests under ASan+UBSan (--quick), and each fuzz target for a bounded
# time (one TAP test each). Exit status 0 only if every test passed.
#
#   check.sh OUT_DIR FUZZ_SECONDS_PER_TARGET FUZZ_MAX_LEN

set -u
out=$1
fuzz_seconds=$2
max_len=$3
n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n $*"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $*"
}

# Runs a TAP-printing test program; renumbers its results into ours.
run_tap() {
	prefix=$1
	shift
	log=$out/$prefix.tap
	"$@" >"$log" 2>&1
	status=$?
	bad=0
	while IFS= read -r line; do
		case $line in
		"not ok "*)
			rest=${line#not ok }
			not_ok "$prefix: ${rest#* }"
			bad=1 ;;
		"ok "*)
			rest=${line#ok }
			ok "$prefix: ${rest#* }" ;;
		"TAP version"* | 1..*) ;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done <"$log"
	if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
		not_ok "$prefix: exited with status $status"
	fi
}

run_fuzz() {
	name=$1
	log=$out/fuzz_$name.log
	mkdir -p "$out/corpus/$name"
	if "$out/fuzz_$name" -max_total_time="$fuzz_seconds" \
		-max_len="$max_len" -print_final_stats=1 \
		-artifact_prefix="$out/" \
		"$out/corpus/$name" "$out/seeds/$name" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		ok "fuzz: $name, ${fuzz_seconds}s, ${runs:-?} inputs, no finding"
	else
		not_ok "fuzz: $name found a problem (see $log)"
		tail -n 30 "$log" | sed 's/^/# /'
	fi
}

echo "TAP version 13"
run_tap native "$out/test_lzjb"
run_tap asan+ubsan "$out/test_lzjb_san" --quick
run_fuzz decompress
run_fuzz roundtrip
echo "1..$n"
if [ "$failed" -ne 0 ]; then
	echo "# $failed of $n tests failed"
	exit 1
fi
