#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftests/run.sh: run every ldm selftest, inside the lab VM:
#
#   make && lab/run -- selftests/run.sh
#
# Runs the kselftest programs in order, then the shell tests (two hosts,
# migrations, security, SPARC), then ldm_module.sh last (it unloads and
# reloads the module). Each prints TAP under a header line.
# The last line counts every test case of every program:
#
#   selftests: N passed, N failed, N skipped
#
# LDM_SELFTESTS="PROG..." runs those programs instead, in that order (the
# debug kernel's subset, lab/check-debug.sh).
#
# A skipped case is not a pass: any failure or skip, a program that is
# missing, crashes or reports fewer results than it planned, makes the
# exit status non-zero. A listed program that is not there (a C test not
# built, a shell test renamed or deleted) is a failure that names it, in
# TAP and in the summary. With LAB_OUT set, the whole log is also kept in
# $LAB_OUT/selftests.log.
set -u

here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.." || exit 1

programs=(
	selftests/ldm_netlink_test
	selftests/ldm_device_test
	selftests/ldm_dirty_test
	selftests/ldm_migrate_test
	selftests/ldm_postcopy_test
	selftests/ldm_receive_test
	selftests/ldm_nlfuzz_test
	selftests/ldm_hostile_test
	selftests/ldm_netns.sh
	selftests/ldm_migrate.sh
	selftests/ldm_resume.sh
	selftests/ldm_serve_flood.sh
	selftests/ldm_serve_reload.sh
	selftests/ldm_status.sh
	selftests/ldm_throttle.sh
	selftests/ldm_postcopy.sh
	selftests/ldm_soak.sh
	selftests/ldm_security.sh
	selftests/ldm_sparc.sh
	selftests/ldm_sparc_migrate.sh
	selftests/ldm_sparc_linux.sh
	selftests/ldm_module.sh
)
if [ -n "${LDM_SELFTESTS:-}" ]; then
	read -r -a programs <<< "$LDM_SELFTESTS"
fi

# run_one PROG: run it, print its TAP, set p, f, s, rc and note.
run_one() {
	local prog=$1 log plan missing why

	note=
	if [ ! -x "$prog" ]; then
		# A listed test that is not there fails, by name: never a skip.
		if [ -e "$prog" ]; then why="is not executable"; else why="does not exist"; fi
		case $prog in *.sh | *.py) ;; *) why+=" (run 'make' first)" ;; esac
		echo "TAP version 13"
		echo "1..1"
		echo "not ok 1 $prog: a listed test that $why"
		p=0 f=1 s=0 rc=127 note=" (MISSING: $why)"
		return
	fi
	log=$(mktemp)
	"./$prog" </dev/null 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# Count the program's own TAP results (lines in column 0 only).
	p=$(grep -cE '^ok [0-9]+' "$log")
	s=$(grep -ciE '^ok [0-9]+.*# skip' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	p=$((p - s))
	plan=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' "$log" | head -n 1)
	rm -f "$log"
	if [ -n "$plan" ] && [ $((p + s + f)) -lt "$plan" ]; then
		missing=$((plan - p - s - f))
		note=" ($missing planned results missing)"
		f=$((f + missing))
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
		note=" (exited $rc without reporting a failure)"
		f=$((f + 1))
	fi
	if [ $((p + s + f)) -eq 0 ]; then
		note=" (no TAP results)"
		f=1
	fi
}

run_all() {
	local passed=0 failed=0 skipped=0 prog start line
	local -a summary

	if [ ! -d /sys/module/ldm ]; then
		echo "# run.sh: warning: ldm.ko is not loaded (run me through lab/run)"
	fi
	for prog in "${programs[@]}"; do
		echo "# ==================== $prog ===================="
		start=$SECONDS
		run_one "$prog"
		line="$prog: $p passed, $f failed, $s skipped, exit $rc, $((SECONDS - start)) s$note"
		echo "# $line"
		summary+=("$line")
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
	done

	echo "# ==================== summary ===================="
	for line in "${summary[@]}"; do
		echo "# $line"
	done
	echo "selftests: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ]
}

# (No process substitution: the lab's /dev has no /dev/fd.)
if [ -n "${LAB_OUT:-}" ] && [ -d "$LAB_OUT" ] && [ -w "$LAB_OUT" ]; then
	run_all 2>&1 | tee "$LAB_OUT/selftests.log"
	exit "${PIPESTATUS[0]}"
fi
run_all
