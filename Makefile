# SPDX-License-Identifier: GPL-2.0
#
# ldm: top-level build.
#
#   make            build driver/ldm.ko, tools/ldmctl/ldmctl and the tests
#   make deps       install every Debian package the project needs (root)
#   make check      run every test (native, then in the lab VM); last line
#                   is "N passed, N failed"
#   make debug-kernel   build (or reuse) the debug lab kernel (KASAN, lockdep,
#                   kmemleak, UBSAN, fault injection) and ldm.ko for it
#   make check-debug    the selftests on the debug kernel; last line
#                   "N passed, N failed"
#   make demo       boot the lab, create a domain, boot a SPARC guest on it
#   make lab CMD=…  run a command in the lab VM with ldm.ko loaded
#   make style      checkpatch --strict on driver/ and include/
#   make sparse     sparse (C=2) over the module
#   make bench      benchmarks, side by side with their baselines
#   make bench-codec   the LZJB codec against a byte-at-a-time LZJB, LZ4, zstd -1
#   make fuzz       libFuzzer: the codec and ldmctl's parsers (FUZZ_SECONDS)
#   make sparc-linux    the SPARC Linux guest: its kernel (lab/sparc-linux.sh,
#                   cached under LDM_SPARC_CACHE) and its initramfs (guest/)
#   make sparc-guest    the guest's initramfs alone
#   make deb        the Debian packages ldm-dkms and ldmctl in build/deb/,
#                   lintian-checked (lab/deb.sh; Documentation/install.rst)

KVER	?= $(shell lab/kver)
KDIR	?= /lib/modules/$(KVER)/build
BUILD	:= $(CURDIR)/build
# Files taken from Debian's linux-source-6.1 (checkpatch, kselftest headers).
KSRC	:= $(BUILD)/ksrc

export KVER KDIR BUILD KSRC

.PHONY: all module ldmctl selftests benches ksrc deps check unit lab demo \
	style sparse bench codec-check bench-codec fuzz clean debug-kernel \
	check-debug sparc-linux sparc-guest deb

all: module ldmctl selftests benches

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

ldmctl:
	$(MAKE) -C tools/ldmctl

ksrc:
	lab/ksrc.sh $(KSRC)

selftests: ksrc ldmctl
	$(MAKE) -C selftests KSFT_DIR=$(KSRC)/tools/testing/selftests

benches:
	$(MAKE) -C bench

deps:
	lab/deps.sh

# Native tests of ldmctl's own logic.
unit: ldmctl
	$(MAKE) -C tools/ldmctl check

lab: all
	lab/run -- $(CMD)

demo: all sparc-linux
	lab/run --timeout 2400 -- lab/demo.sh

# The codec natively, then in the lab the sending pipeline (workers 1..N
# against the baseline mode) and whole migrations of a SPARC guest (ldm,
# its baseline mode, QEMU's own migration): bench/run.sh; results, table
# and plot in build/bench/<timestamp>/ (build/bench/latest).
bench: all bench-codec sparc-linux
	bench/run.sh

# The LZJB codec natively: TAP unit tests, ASan+UBSan, a short fuzz run.
codec-check:
	$(MAKE) -C tools/codec check

# driver/lzjb.c against a byte-at-a-time LZJB, LZ4 and zstd -1
# (BENCH_ARGS="-k ..."; BENCH_BEFORE=main adds main's lzjb.c beside it).
bench-codec:
	$(MAKE) -C tools/codec bench

# The libFuzzer targets of the codec (FUZZ_SECONDS each, default 600) and
# of ldmctl's parsers (FUZZ_SECONDS each, default 300).
fuzz:
	$(MAKE) -C tools/codec fuzz
	$(MAKE) -C tools/ldmctl fuzz

style: ksrc
	lab/style.sh $(KSRC)

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CHECK=sparse W=1 modules 2>&1 | \
		tee $(BUILD)/sparse.log; \
	! grep -E 'warning|error' $(BUILD)/sparse.log

check: all
	lab/check.sh

# The debug lab kernel (lab/debug.config; cached under LDM_DEBUG_CACHE) and
# ldm.ko built for it in build/debug/, never in driver/.
debug-kernel:
	lab/debugkernel.sh

check-debug: ldmctl selftests
	lab/check-debug.sh

# The SPARC Linux guest: build/sparc/zImage (a sparc32 6.1 kernel, cached
# under LDM_SPARC_CACHE) and build/guest/initramfs.cpio (its /init, the
# workload); Documentation/lab.rst, "The SPARC Linux guest".
sparc-linux: sparc-guest
	lab/sparc-linux.sh

sparc-guest:
	$(MAKE) -C guest OUT=$(BUILD)/guest

# The Debian packages (lab/deb.sh): build/deb/ldm-dkms_*.deb, ldmctl_*.deb
# and lintian's report; Documentation/install.rst.
deb:
	lab/deb.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools/ldmctl clean
	$(MAKE) -C selftests clean
	$(MAKE) -C bench clean
	$(MAKE) -C tools/codec clean
	rm -rf $(BUILD)
