#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs ldmctl's fuzz harnesses one after the other, each for a bounded
# time, and says per harness how many inputs it executed (libFuzzer's
# stat::number_of_executed_units, from -print_final_stats=1) and whether
# it found anything. A finding leaves its reproducer in OUT (libFuzzer's
# crash-, leak-, timeout- or oom- file, prefixed by the harness's name)
# and makes the exit status 1.
#
#   run.sh report OUT SECONDS HARNESS...   one line per harness
#   run.sh tap OUT SECONDS HARNESS...      TAP: "ok N fuzz NAME: ..."
#
# Replay a reproducer: OUT/fuzz_NAME OUT/crash-NAME-...

set -u
mode=$1
out=$2
seconds=$3
shift 3
n=0
failed=0

# The largest input per harness: a QMP session and JSON text get more.
max_len() {
	case $1 in
	qmp | json) echo 16384 ;;
	*) echo 4096 ;;
	esac
}

[ "$mode" = tap ] && echo "TAP version 13"
for name in "$@"; do
	n=$((n + 1))
	log=$out/$name.log
	mkdir -p "$out/corpus/$name"
	"$out/fuzz_$name" -max_total_time="$seconds" -timeout=10 \
		-max_len="$(max_len "$name")" -print_final_stats=1 \
		-artifact_prefix="$out/crash-$name-" \
		"$out/corpus/$name" "$out/seeds/$name" >"$log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
	if [ "$status" -eq 0 ]; then
		msg="fuzz $name: ${runs:-?} inputs in ${seconds} s, no crash"
		if [ "$mode" = tap ]; then echo "ok $n $msg"; else echo "$msg"; fi
	else
		failed=$((failed + 1))
		msg="fuzz $name: FOUND A PROBLEM after ${runs:-?} inputs (exit $status): reproducer ${artifact:-none}, log $log"
		if [ "$mode" = tap ]; then
			echo "not ok $n $msg"
			grep -E 'ERROR: |invariant failed|SUMMARY|runtime error' "$log" |
				head -n 5 | sed 's/^/# /'
		else
			echo "$msg"
			grep -E 'ERROR: |invariant failed|SUMMARY|runtime error' "$log" |
				head -n 5 | sed 's/^/  /'
		fi
	fi
done
[ "$mode" = tap ] && echo "1..$n"
if [ "$failed" -ne 0 ]; then
	[ "$mode" = tap ] && echo "# $failed of $n fuzz harnesses found a problem"
	exit 1
fi
exit 0
