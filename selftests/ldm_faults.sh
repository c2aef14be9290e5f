#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_faults.sh: allocation failures injected into ldm.ko, in TAP. Only on
# the debug kernel (lab/debugkernel.sh; CONFIG_FAULT_INJECTION with
# failslab and fail_page_alloc), where `make check-debug` runs it:
#
#   lab/debugkernel.sh && lab/run --kernel build/debug/bzImage \
#       --ko build/debug/ldm/driver/ldm.ko -- selftests/ldm_faults.sh
#
# On any other kernel it skips (1..0 # SKIP): it proves nothing there.
#
# Allocations are failed on purpose, each time only in the test's own
# processes, so that the lab around them keeps working:
# - domain creation and the first touch of a page: selftests/ldm_failnth
#   fails the 1st, 2nd, 3rd... allocation of the operation through the
#   task's /proc/thread-self/fail-nth, until the operation needs no more:
#   every allocation on those paths fails once;
# - a live migration between the two hosts (lab/netns.sh): once 'ldmctl
#   migrate' (or, in other rounds, 'ldmctl serve') is moving pages, its
#   tasks get make-it-fail, and failslab and fail_page_alloc (task-filter,
#   a probability and a number of times) fail some of their allocations.
# Every failure must be clean: an errno or a retried fault, the source
# domain active and holding what it held (checksum before and after), the
# target domain gone when the migration failed and identical when it
# succeeded, and no kernel problem in dmesg (KASAN, lockdep, UBSAN, WARN;
# lab/run's own scan, and kmemleak at the end of the lab run, see the
# rest). The faults injected are counted; none at all is a failure.
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin

D=/sys/kernel/debug
if [ ! -w /proc/self/fail-nth ] || [ ! -d "$D/failslab" ] ||
	[ ! -d "$D/fail_page_alloc" ]; then
	echo "1..0 # SKIP needs the debug kernel's fault injection (failslab, fail_page_alloc, fail-nth): make check-debug"
	exit 0
fi

# Work files on the VM's tmpfs (MIG_TMP), copied to $LAB_OUT at the end: a
# process whose allocations fail must not do its I/O over 9p (the lab's
# exports), whose client does not survive that (seen: every later open of
# the writable export failing with EINVAL, and the run's results lost).
# shellcheck disable=SC2034 # read by migrate_lib.sh
MIG_TMP=/tmp
. "$(dirname "$0")/migrate_lib.sh"
F=$PWD/selftests/ldm_failnth
need_built "$F"
PORT=8103
total=0		# faults injected, all tests

# inject PROBABILITY TIMES: arm both fault types for tasks with make-it-fail;
# PROBABILITY 0 disarms. Every allocation may fail: sleeping ones, highmem
# (guest pages), order 0.
inject() {
	local a
	for a in failslab fail_page_alloc; do
		echo 0 > "$D/$a/probability"
		echo Y > "$D/$a/task-filter"
		echo N > "$D/$a/ignore-gfp-wait"
		echo 1 > "$D/$a/interval"
		echo 0 > "$D/$a/space"
		echo 1 > "$D/$a/verbose"
		echo "$2" > "$D/$a/times"
		echo "$1" > "$D/$a/probability"
	done
	echo N > "$D/fail_page_alloc/ignore-gfp-highmem"
	echo 0 > "$D/fail_page_alloc/min-order"
}

# disarm: no more faults (and "times" left as it is, for the count).
disarm() {
	echo 0 > "$D/failslab/probability"
	echo 0 > "$D/fail_page_alloc/probability"
}

# injected TIMES: how many of TIMES armed faults (per type) were used.
injected() {
	local a left n=0
	for a in failslab fail_page_alloc; do
		left=$(cat "$D/$a/times")
		n=$((n + $1 - left))
	done
	echo "$n"
}

# make_it_fail PID 0|1: every thread of PID and of its children (new
# ones inherit it).
make_it_fail() {
	local t s pid ppid
	for s in /proc/[0-9]*/stat; do
		# pid (comm) state ppid ...: our commands have no blank in comm
		read -r pid _ _ ppid _ < "$s" 2>/dev/null || continue
		[ "$pid" = "$1" ] || [ "$ppid" = "$1" ] || continue
		for t in /proc/"$pid"/task/*; do
			echo "$2" > "$t/make-it-fail" 2>/dev/null
		done
	done
}

# clean_dmesg WHAT: no kernel problem since the last call.
dmesg_mark=0
clean_dmesg() {
	local n
	dmesg > "$W/dmesg.all"
	n=$(wc -l < "$W/dmesg.all")
	tail -n +"$((dmesg_mark + 1))" "$W/dmesg.all" > "$W/dmesg.new"
	dmesg_mark=$n
	if lab/run --check-dmesg "$W/dmesg.new" > "$W/problems"; then
		return 0
	fi
	say "kernel problems during $1:"
	sed 's/^/#   /' "$W/problems"
	return 1
}

# failnth NAME ARGS...: selftests/ldm_failnth ARGS, its output in
# $W/NAME.out (the end shown); $k is how many faults it injected, added
# to $total. True if it passed and injected any.
failnth() {
	local name=$1 rc
	shift
	"$F" "$@" > "$W/$name.out" 2>&1
	rc=$?
	sed 's/^/#   /' "$W/$name.out" | tail -n 12
	k=$(sed -n 's/^faults injected: \([0-9]*\).*/\1/p' "$W/$name.out")
	k=${k:-0}
	total=$((total + k))
	[ "$rc" = 0 ] && [ "$k" -gt 0 ]
}

# cleanup, and no fault armed any more; the work files kept.
cleanup_faults() {
	local a
	for a in failslab fail_page_alloc; do
		echo 0 > "$D/$a/probability" 2>/dev/null
	done
	cleanup
	[ -z "${LAB_OUT:-}" ] || cp -r "$W" "$LAB_OUT/" 2>/dev/null
}
trap cleanup_faults EXIT

rounds=6
echo "1..$((7 + rounds))"

# ---- 1. domain creation, every allocation failed once ----

clean_dmesg "setup" > /dev/null
inject 0 0	# fail-nth only: failslab/fail_page_alloc filters still apply
failnth new new fnew 4194304
tap $? "domain creation: each of its $k allocations failed once, cleanly (errno, nothing left behind)"
"$L" remove-domain fnew 2>/dev/null
check "domain creation: no kernel problem in dmesg" clean_dmesg "domain creation"

# ---- 2. the first touch of a page, every allocation failed once ----

"$L" add-domain ftouch --mem 1M
failnth touch touch ftouch
tap $? "page faults: each of the $k allocations of a first touch failed once, the pages then right"
"$L" remove-domain ftouch
tap $? "page faults: the domain is destroyed afterwards"
check "page faults: no kernel problem in dmesg" clean_dmesg "page faults"

# ---- 3. migrations with failing allocations ----

# The migration is slowed down (--bandwidth) so that it is still moving
# pages when its side gets make-it-fail.
newsrc() { newdom fsrc 4M; }

# one_round N SIDE PROBABILITY TIMES: a migration of fsrc to fsrc-t with
# faults in SIDE's (src: migrate, dst: serve) tasks; then the checks.
one_round() {
	# (Not "n": that is lib.sh's TAP counter.)
	local r=$1 side=$2 p=$3 times=$4 before mp victim rc k ok=0 what
	before=$(sum fsrc)
	inject 0 "$times"
	migrate_cmd "$SRC" src	# $! below is ldmctl's pid, the src victim
	# shellcheck disable=SC2154 # mcmd: set by migrate_cmd
	"${mcmd[@]}" --bandwidth 512K --max-rounds 4 fsrc "$DA:fsrc-t" \
		> "$W/m$r.out" 2>&1 &
	mp=$!
	# Wait for pages to move (the target exists), then arm.
	for _ in $(seq 150); do
		exists fsrc-t && break
		kill -0 "$mp" 2>/dev/null || break
		sleep 0.2
	done
	if [ "$side" = src ]; then victim=$mp; else victim=$(cat "$W/serve.pid"); fi
	make_it_fail "$victim" 1
	inject "$p" "$times"
	wait "$mp"
	rc=$?
	disarm
	k=$(injected "$times")
	make_it_fail "$victim" 0
	total=$((total + k))
	if [ "$rc" = 0 ]; then
		what="migrated"
		if [ "$(sum fsrc-t)" != "$before" ] || ! "$G" verify fsrc-t >/dev/null; then
			say "the target differs from the source"
			ok=1
		fi
		if ! { "$L" remove-domain fsrc-t && "$L" remove-domain fsrc && newsrc; }; then
			say "cannot reset the domains"
			ok=1
		fi
	else
		what="failed (exit $rc: $(grep -m1 -i 'error\|fail' "$W/m$r.out" | cut -c1-100))"
		if [ "$(state fsrc)" != active ] || [ "$(sum fsrc)" != "$before" ]; then
			say "source: state '$(state fsrc)', sum $(sum fsrc), was $before"
			ok=1
		fi
		gone fsrc-t 45 || ok=1	# (serve's --timeout is 15 s)
	fi
	kill -0 "$(cat "$W/serve.pid")" 2>/dev/null || {
		say "serve exited ($(tail -n 1 "$W/serve.log")); restarting it"
		: > "$W/serve.log"
		serve_start serve "$PORT" || ok=1
	}
	clean_dmesg "migration round $r" || ok=1
	tap "$ok" "migration, faults in $side (p=$p%, $k injected): $what, cleanly"
}

# shellcheck disable=SC2016 # expanded by eval
check "set up the two hosts, certificates, serve" \
	eval 'netns_setup && make_pki_hosts && serve_start serve "$PORT" && newsrc'
# ldmctl and its libraries in the page cache (cache=loose keeps them), so
# that its tasks need no 9p reads while they have make-it-fail.
# shellcheck disable=SC2046 # paths from ldd, without blanks
cat "$L" $(ldd "$L" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p') \
	> /dev/null
clean_dmesg "setup" > /dev/null
r=0
for spec in "src 100 1" "dst 100 1" "src 10 3" "dst 10 3" "src 2 8" "dst 2 8"; do
	r=$((r + 1))
	# shellcheck disable=SC2086 # SIDE PROBABILITY TIMES
	one_round $r $spec
done

say "faults injected in all: $total"
test "$total" -gt 0
tap $? "faults were injected ($total)"
