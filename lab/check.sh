#!/bin/bash
# lab/check.sh: run every test and end with "N passed, N failed".
#
# What `make check` runs, after `make all`:
#   1. unit       make -C tools/ldmctl check        (native, TAP)
#      codec      make -C tools/codec check         (native LZJB tests,
#                 ASan+UBSan, bounded libFuzzer runs; TAP)
#      fuzz       make -C tools/ldmctl fuzz-check   (ldmctl's parsers under
#                 libFuzzer+ASan+UBSan, bounded, under a minute; TAP)
#   2. selftests  lab/run -- selftests/run.sh       (in the lab VM, TAP),
#                 plus one test: no kernel problem in the VM's dmesg
#   3. style      make style  (checkpatch --strict)  one test
#   4. sparse     make sparse (C=2)                  one test
#   5. layers     lab/layers.sh (includes go down)   one test
# Output goes to the terminal and to build/logs/ (NAME.log per step, the
# lab's dmesg, console and test logs under build/logs/lab/). lab/tap-summary
# then counts the results across the logs: a step that fails without a
# failing TAP line (a crash, a lab timeout, a missing selftests/run.sh)
# counts as a failure too. Exit status: non-zero on any failure.
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
logs=${BUILD:-$repo/build}/logs
rm -rf "$logs"
mkdir -p "$logs"
results=()	# LOG[:STATUS] arguments for lab/tap-summary

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

# 1. Native unit tests.
run_step unit make -C tools/ldmctl check
results+=("$logs/unit.log:$st")
run_step codec make -C tools/codec check
results+=("$logs/codec.log:$st")
run_step fuzz make -C tools/ldmctl fuzz-check
results+=("$logs/fuzz.log:$st")

# 2. Selftests in the lab VM.
if [ -x selftests/run.sh ]; then
	run_step selftests lab/run --timeout 2100 --out "$logs/lab" -- \
		selftests/run.sh
	# lab/run fails the run on kernel problems already; this makes them
	# a visible test of their own (when the VM lived to write a log).
	dmesg=$logs/lab/dmesg.log
	[ -f "$dmesg" ] || dmesg=$logs/lab/console.log
	if [ -f "$dmesg" ]; then
		if lab/run --check-dmesg "$dmesg" > /dev/null; then
			tap_one "$logs/selftests.log" OK "no kernel problems in the lab's dmesg"
		else
			tap_one "$logs/selftests.log" FAIL "no kernel problems in the lab's dmesg (see $dmesg)"
		fi
	fi
else
	echo "lab/check.sh: selftests/run.sh is missing or not executable: the in-lab selftests cannot run" |
		tee "$logs/selftests.log"
	tap_one "$logs/selftests.log" FAIL "selftests/run.sh exists"
	st=1
fi
results+=("$logs/selftests.log:$st")

# 3, 4. Style and static checks, one test each.
run_step style make style
[ "$st" = 0 ] && r=OK || r=FAIL
tap_one "$logs/style.tap" "$r" "make style: checkpatch --strict is clean"
results+=("$logs/style.tap")
run_step sparse make sparse
[ "$st" = 0 ] && r=OK || r=FAIL
tap_one "$logs/sparse.tap" "$r" "make sparse: sparse C=2 is clean"
results+=("$logs/sparse.tap")
run_step layers lab/layers.sh
[ "$st" = 0 ] && r=OK || r=FAIL
tap_one "$logs/layers.tap" "$r" "lab/layers.sh: the module's includes go down its layers"
results+=("$logs/layers.tap")

echo
echo "=== summary (logs in $logs)"
lab/tap-summary "${results[@]}" | tee "$logs/summary.log"
exit "${PIPESTATUS[0]}"
