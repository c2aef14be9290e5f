#!/bin/bash
# lab/check.sh: run every test and end with "N passed, N failed".
#
# What `make check` runs, after `make all`:
#   1. unit       make -C tools/ldmctl check        (native, TAP)
#      codec      make -C tools/codec check         (native LZJB tests,
#                 ASan+UBSan, bounded libFuzzer runs; TAP)
#      fuzz       make -C tools/ldmctl fuzz-check   (ldmctl's parsers under
#                 libFuzzer+ASan+UBSan, bounded, under a minute; TAP)
#   2. sparc-linux make sparc-linux (the SPARC Linux guest's kernel, cached,
#                 and initramfs)                     one test
#      selftests  lab/run -- selftests/run.sh       (in the lab VM, TAP),
#                 plus one test: no kernel problem in the VM's dmesg
#      deb        make deb (the Debian packages, lintian: no error)  one test
#      package    lab/run --no-module -- selftests/ldm_package.sh  (its own
#                 lab run: the packages installed in an overlay, DKMS's
#                 ldm.ko instead of the lab's; TAP)
#   3. style      make style  (checkpatch --strict)  one test
#   4. sparse     make sparse (C=2)                  one test
#   5. layers     lab/layers.sh (includes go down)   one test
# Output goes to the terminal and to build/logs/ (NAME.log per step, the
# lab's dmesg, console and test logs under build/logs/lab/; the step
# runner is lab/steps.sh, shared with lab/check-debug.sh). lab/tap-summary
# then counts the results across the logs: a step that fails without a
# failing TAP line (a crash, a lab timeout, a missing selftests/run.sh)
# counts as a failure too. Exit status: non-zero on any failure.
set -u

# shellcheck source=lab/steps.sh
. "$(dirname "$0")/steps.sh"
steps_begin logs

# 1. Native unit tests.
run_step unit make -C tools/ldmctl check
step_result "$logs/unit.log:$st"
run_step codec make -C tools/codec check
step_result "$logs/codec.log:$st"
run_step fuzz make -C tools/ldmctl fuzz-check
step_result "$logs/fuzz.log:$st"

# 2. Selftests in the lab VM.
# The SPARC Linux guest (its kernel cached: about 11 min the first time),
# which selftests/ldm_sparc_linux.sh migrates.
run_step sparc-linux make sparc-linux
step_tap sparc-linux "make sparc-linux: the SPARC Linux guest's kernel and initramfs"

if [ -x selftests/run.sh ]; then
	run_step selftests lab/run --timeout 2100 --out "$logs/lab" -- \
		selftests/run.sh
	lab_dmesg_tap "$logs/selftests.log" "no kernel problems in the lab's dmesg"
else
	echo "lab/check.sh: selftests/run.sh is missing or not executable: the in-lab selftests cannot run" |
		tee "$logs/selftests.log"
	tap_one "$logs/selftests.log" FAIL "selftests/run.sh exists"
	st=1
fi
step_result "$logs/selftests.log:$st"

# The Debian packages: built here, installed in a lab VM of their own that
# never loads the lab's driver/ldm.ko (DKMS builds the one it loads).
run_step deb make deb
step_tap deb "make deb: ldm-dkms and ldmctl build, lintian reports no error"
run_step package lab/run --no-module --timeout 1800 --out "$logs/lab-package" -- \
	selftests/ldm_package.sh
step_result "$logs/package.log:$st"

# 3, 4. Style and static checks, one test each.
run_step style make style
step_tap style "make style: checkpatch --strict is clean"
run_step sparse make sparse
step_tap sparse "make sparse: sparse C=2 is clean"
run_step layers lab/layers.sh
step_tap layers "lab/layers.sh: the module's includes go down its layers"

steps_summary
