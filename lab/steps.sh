# shellcheck shell=bash
# lab/steps.sh: the step runner of lab/check.sh and lab/check-debug.sh
# (source it; bash):
#
#   steps_begin DIR             # cd to the repository; $logs, fresh:
#                               # ${BUILD:-build}/DIR (logs for check.sh,
#                               # logs-debug for check-debug.sh)
#   run_step NAME CMD...        # run CMD, shown and logged in $logs/NAME.log,
#                               # timed; $st is its exit status
#   step_tap NAME DESCRIPTION   # the step as one test ($st: ok or not), in
#                               # $logs/NAME.tap; $r is OK or FAIL
#   step_result LOG[:STATUS]    # a log for the summary to count
#   tap_one FILE OK|FAIL DESCRIPTION   # a one-test TAP stream
#   lab_dmesg_tap LOG DESCRIPTION      # one test: no kernel problem in the
#                               # lab's dmesg (build/.../lab/dmesg.log)
#   steps_summary               # lab/tap-summary over every result, kept in
#                               # $logs/summary.log; exits with its status:
#                               # the last line is "N passed, N failed"

results=()	# LOG[:STATUS] arguments for lab/tap-summary

# steps_begin DIR: cd to the repository; fresh logs in ${BUILD:-build}/DIR.
steps_begin() {
	repo=$(cd "$(dirname "$0")/.." && pwd)
	cd "$repo" || exit 1
	logs=${BUILD:-$repo/build}/$1
	rm -rf "$logs"
	mkdir -p "$logs"
}

# run_step NAME CMD...: run CMD, show and log its output; $st is its status.
run_step() {
	local name=$1 t0=$SECONDS
	shift
	echo
	echo "=== $name: $*"
	"$@" < /dev/null 2>&1 | tee "$logs/$name.log"
	st=${PIPESTATUS[0]}
	echo "=== $name: exit $st after $((SECONDS - t0)) s"
}

# tap_one FILE OK|FAIL DESCRIPTION: a one-test TAP stream.
tap_one() {
	{
		echo "TAP version 13"
		echo "1..1"
		if [ "$2" = OK ]; then echo "ok 1 $3"; else echo "not ok 1 $3"; fi
	} >> "$1"
}

# step_result LOG[:STATUS]: counted by the summary (STATUS: what wrote LOG
# exited with; non-zero fails it even with no failing TAP line).
step_result() {
	results+=("$1")
}

# step_tap NAME DESCRIPTION: the last run_step ($st) as one test.
step_tap() {
	if [ "$st" = 0 ]; then r=OK; else r=FAIL; fi
	tap_one "$logs/$1.tap" "$r" "$2"
	step_result "$logs/$1.tap"
}

# lab_dmesg_tap LOG DESCRIPTION: one test in LOG: no kernel problem in the
# dmesg of the lab run whose --out was $logs/lab (its console log if the VM
# wrote no dmesg; nothing if it wrote neither). lab/run fails the run on
# kernel problems already; this makes them a visible test of their own.
lab_dmesg_tap() {
	local dmesg=$logs/lab/dmesg.log
	[ -f "$dmesg" ] || dmesg=$logs/lab/console.log
	[ -f "$dmesg" ] || return 0
	if lab/run --check-dmesg "$dmesg" > /dev/null; then
		tap_one "$1" OK "$2"
	else
		tap_one "$1" FAIL "$2 (see $dmesg)"
	fi
}

# steps_summary: count every result; exit with tap-summary's status.
steps_summary() {
	echo
	echo "=== summary (logs in $logs)"
	lab/tap-summary "${results[@]}" | tee "$logs/summary.log"
	exit "${PIPESTATUS[0]}"
}
