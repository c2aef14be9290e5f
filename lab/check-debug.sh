#!/bin/bash
# lab/check-debug.sh: the selftests on the debug kernel; last line
# "N passed, N failed" (`make check-debug`).
#
# usage: lab/check-debug.sh
#
# Debian's lab kernel shows a module's memory and locking bugs only when
# they crash or WARN. This runs the tests again on the debug kernel of
# lab/debugkernel.sh (built first, or taken from its cache), where KASAN,
# UBSAN, lockdep, DEBUG_VM/DEBUG_PAGEALLOC/DEBUG_LIST and kmemleak watch
# every step of ldm.ko, and adds the fault-injection test that only that
# kernel can run (selftests/ldm_faults.sh):
#   1. kernel     lab/debugkernel.sh: the kernel (cached) and ldm.ko for it
#   2. selftests  lab/run --kernel ... -- selftests/run.sh, with the subset
#                 below (LDM_SELFTESTS), TAP; then one test each: no kernel
#                 problem in the VM's dmesg (KASAN, UBSAN, lockdep, WARN,
#                 BUG, ...), and no kmemleak suspect after the run
# Logs go to build/logs-debug/ (kernel.log, selftests.log, and the lab's
# dmesg, console and kmemleak logs under lab/; the step runner is
# lab/steps.sh, shared with lab/check.sh). Exit status: non-zero on any
# failure.
#
# The subset: everything but the two SPARC tests, whose nested OpenBIOS
# boot under TCG with KASAN takes far beyond any CI budget (they test QEMU
# integration, which the debug kernel adds nothing to), and ldm_soak.sh,
# a timed load test whose rate targets mean nothing on a KASAN kernel.
# LDM_DEBUG_SELFTESTS overrides the list; LDM_DEBUG_TIMEOUT (s) the lab's;
# LDM_DEBUG_BUILD_TIMEOUT (s) bounds the kernel build (exit 3 if it runs
# out: CI's time budget).
set -u

# shellcheck source=lab/steps.sh
. "$(dirname "$0")/steps.sh"
steps_begin logs-debug

subset="selftests/ldm_netlink_test selftests/ldm_device_test
selftests/ldm_dirty_test selftests/ldm_migrate_test selftests/ldm_postcopy_test
selftests/ldm_receive_test
selftests/ldm_nlfuzz_test selftests/ldm_hostile_test selftests/ldm_netns.sh
selftests/ldm_migrate.sh selftests/ldm_resume.sh selftests/ldm_status.sh
selftests/ldm_security.sh selftests/ldm_faults.sh selftests/ldm_module.sh"
subset=${LDM_DEBUG_SELFTESTS:-$subset}
subset=${subset//$'\n'/ }	# one line, for LDM_SELFTESTS

# 1. The kernel and the module. With LDM_DEBUG_BUILD_TIMEOUT (s), a build
# that has not finished by then is stopped, and nothing is run or counted
# (exit 3): a time budget ran out, which says nothing of the code.
if [ -n "${LDM_DEBUG_BUILD_TIMEOUT:-}" ]; then
	run_step kernel timeout -k 10 "$LDM_DEBUG_BUILD_TIMEOUT" lab/debugkernel.sh
	if [ "$st" = 124 ] || [ "$st" = 137 ]; then
		echo "=== the debug kernel did not build within ${LDM_DEBUG_BUILD_TIMEOUT} s: nothing run, nothing counted"
		exit 3
	fi
else
	run_step kernel lab/debugkernel.sh
fi
step_tap kernel "the debug kernel and ldm.ko for it build (lab/debugkernel.sh)"

# 2. The selftests on it.
if [ "$r" = OK ]; then
	run_step selftests lab/run --kernel build/debug/bzImage \
		--ko build/debug/ldm/driver/ldm.ko \
		--timeout "${LDM_DEBUG_TIMEOUT:-2700}" --out "$logs/lab" -- \
		env LDM_SELFTESTS="$subset" selftests/run.sh
	lab_dmesg_tap "$logs/selftests.log" "no kernel problems (KASAN, UBSAN, lockdep, WARN, BUG...) in the debug lab's dmesg"
	leaks=$logs/lab/kmemleak.log
	if [ ! -f "$leaks" ]; then
		tap_one "$logs/selftests.log" FAIL "kmemleak scanned after the run (no $leaks)"
	elif [ -s "$leaks" ]; then
		tap_one "$logs/selftests.log" FAIL "no kmemleak suspects after the run (see $leaks)"
	else
		tap_one "$logs/selftests.log" OK "no kmemleak suspects after the run"
	fi
	step_result "$logs/selftests.log:$st"
fi

steps_summary
