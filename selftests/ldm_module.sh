#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_module.sh: the module's lifetime, in TAP. Runs in the lab VM, last
# (selftests/run.sh), because it unloads and reloads ldm.ko ($LDM_KO):
#
# - rmmod works with idle domains, and takes their nodes and the netlink
#   family with it; insmod works again and starts with no domains;
# - the max_domain_mib parameter can be given to insmod;
# - rmmod is refused while a process maps a domain (its fd closed) or keeps
#   the node open; once it is gone, destroy and rmmod work;
# - rmmod stops live sessions that hold no file (workers waiting on a full
#   ring, a receiver waiting for batches) and unloads cleanly;
# - it ends with the module loaded again, as the lab expects.
set -u

here=$(cd "$(dirname "$0")" && pwd)
dom=$here/ldm_dom
hold=$here/ldm_hold
param=/sys/module/ldm/parameters/max_domain_mib
ENOENT=2 EBUSY=16 ERANGE=34
MiB=$((1 << 20))

n=0 failures=0
plan=10
echo "TAP version 13"
echo "1..$plan"

diag() { echo "# $*"; }

# t DESCRIPTION FUNCTION: run one test case and report it.
t() {
	n=$((n + 1))
	if "$2"; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		failures=$((failures + 1))
	fi
}

# expect_status WANT CMD...: run CMD, fail unless it exits WANT.
expect_status() {
	local want=$1 got
	shift
	"$@" >/dev/null 2>&1
	got=$?
	[ "$got" = "$want" ] && return 0
	diag "'$*' exited $got, want $want"
	return 1
}

loaded() { [ -d /sys/module/ldm ]; }

do_insmod() {
	if ! insmod "$LDM_KO" "$@"; then
		diag "insmod $LDM_KO $* failed"
		return 1
	fi
}

do_rmmod() {
	if ! timeout 120 rmmod ldm; then
		diag "rmmod ldm failed"
		return 1
	fi
}

# The domain's attribute KEY, from ldm_dom get.
attr() { "$dom" get "$1" 2>/dev/null | sed -n "s/^$2=//p"; }

pfx=mod$$

# Holder process: started with start_holder CMD... (ldm_hold [-o] NAME,
# ldm_dom sessions SRC DST); it prints "ready" once it holds what it
# holds, and exits when its stdin closes.
start_holder() {
	local line
	coproc HOLDER { exec "$@"; }
	holder_pid=$HOLDER_PID
	exec {holder_in}>&"${HOLDER[1]}" {holder_out}<&"${HOLDER[0]}"
	# only our copies may stay open: the holder waits for EOF on stdin
	eval "exec ${HOLDER[1]}>&- ${HOLDER[0]}<&-"
	if ! read -r -t 60 -u "$holder_out" line || [ "$line" != ready ]; then
		diag "ldm_hold $* did not get ready (said '${line:-}')"
		return 1
	fi
}

stop_holder() {
	local st
	exec {holder_in}>&-
	wait "$holder_pid"
	st=$?
	exec {holder_out}<&-
	[ "$st" = 0 ] || diag "ldm_hold exited $st"
	return "$st"
}

test_loaded_at_start() {
	[ -n "${LDM_KO:-}" ] && [ -f "$LDM_KO" ] ||
		{ diag "LDM_KO='${LDM_KO:-}' is not the module file"; return 1; }
	loaded || { diag "ldm is not loaded"; return 1; }
	[ -x "$dom" ] && [ -x "$hold" ] ||
		{ diag "helpers missing: run make"; return 1; }
}

test_rmmod_idle_domains() {
	local a=$pfx-a b=$pfx-b
	"$dom" new "$a" $MiB || return 1
	"$dom" new "$b" $((16 * MiB)) || return 1
	# give one of them resident, dirty pages
	"$hold" "$b" </dev/null >/dev/null || return 1
	[ "$(attr "$b" resident)" = 1 ] ||
		{ diag "resident=$(attr "$b" resident), want 1"; return 1; }
	[ -c "/dev/ldm/$a" ] && [ -c "/dev/ldm/$b" ] ||
		{ diag "nodes missing before rmmod"; return 1; }
	do_rmmod || return 1
	! loaded || { diag "/sys/module/ldm still there"; return 1; }
	[ ! -e "/dev/ldm/$a" ] && [ ! -e "/dev/ldm/$b" ] ||
		{ diag "nodes left behind: $(ls /dev/ldm 2>&1)"; return 1; }
}

test_family_gone() {
	# ldm_dom exits ENOENT when CTRL_CMD_GETFAMILY does not know "ldm"
	expect_status $ENOENT "$dom" list
}

test_insmod_param() {
	do_insmod max_domain_mib=16 || return 1
	[ "$(cat $param)" = 16 ] || { diag "$param: $(cat $param)"; return 1; }
	local left
	left=$("$dom" list) || { diag "list failed"; return 1; }
	[ -z "$left" ] || { diag "domains after reload: $left"; return 1; }
	expect_status $ERANGE "$dom" new $pfx-c $((32 * MiB)) || return 1
	"$dom" new $pfx-c $((16 * MiB)) || return 1
	"$dom" del $pfx-c || return 1
}

test_reload_default() {
	do_rmmod || return 1
	do_insmod || return 1
	[ "$(cat $param)" = 65536 ] || { diag "$param: $(cat $param)"; return 1; }
}

# rmmod must be refused while HOLDER_ARGS hold domain NAME.
refused_while_held() { # NAME [-o]
	local name=$1 opt=${2:-} ok=0 ref
	"$dom" new "$name" $((4 * MiB)) || return 1
	start_holder "$hold" $opt "$name" || { stop_holder; return 1; }
	ref=$(cat /sys/module/ldm/refcnt)
	[ "$ref" -gt 0 ] || { diag "refcnt $ref while held"; ok=1; }
	if [ -z "$opt" ]; then
		# the mapping holds the closed file: one open file, one VMA
		[ "$(attr "$name" open)" = 1 ] && [ "$(attr "$name" mapped)" = 1 ] ||
			{ diag "open=$(attr "$name" open) mapped=$(attr "$name" mapped), want 1 and 1"; ok=1; }
	else
		[ "$(attr "$name" open)" = 1 ] ||
			{ diag "open=$(attr "$name" open), want 1"; ok=1; }
	fi
	if timeout 120 rmmod ldm 2>/dev/null; then
		diag "rmmod succeeded while the domain was held"
		stop_holder
		do_insmod
		return 1
	fi
	loaded || { diag "module gone after a refused rmmod"; ok=1; }
	[ -c "/dev/ldm/$name" ] || { diag "node gone"; ok=1; }
	expect_status $EBUSY "$dom" del "$name" || ok=1
	stop_holder || ok=1		# the holder checks its data survived
	return $ok
}

test_rmmod_refused_mapped() {
	refused_while_held $pfx-h
}

test_destroy_and_rmmod_after_holder() {
	"$dom" del $pfx-h || return 1
	[ ! -e /dev/ldm/$pfx-h ] || { diag "node left"; return 1; }
	do_rmmod || return 1
	! loaded
}

test_rmmod_refused_open() {
	do_insmod || return 1
	refused_while_held $pfx-o -o || return 1
	"$dom" del $pfx-o || return 1
	do_rmmod
}

# Live sessions whose owner maps no ring (ldmctl always does, so only a
# raw client can): round 0's workers wait on a full ring, a receiving
# session waits for batches, and nothing holds the module. rmmod must stop
# both, with their workers, and unload; the lab's dmesg scan (and, on the
# debug kernel, KASAN, lockdep and kmemleak) sees what it leaves.
test_rmmod_stops_live_sessions() {
	local s=$pfx-ss r=$pfx-sr ok=0
	do_insmod || return 1
	"$dom" new "$s" $((8 * MiB)) && "$dom" new "$r" $((8 * MiB)) || return 1
	"$hold" "$s" </dev/null >/dev/null || return 1
	start_holder "$dom" sessions "$s" "$r" || { stop_holder; return 1; }
	sleep 1		# the workers fill the ring and wait
	[ "$(cat /sys/module/ldm/refcnt)" = 0 ] ||
		{ diag "refcnt $(cat /sys/module/ldm/refcnt), want 0"; ok=1; }
	do_rmmod || ok=1
	! loaded || { diag "still loaded"; ok=1; }
	[ ! -e "/dev/ldm/$s" ] && [ ! -e "/dev/ldm/$r" ] ||
		{ diag "nodes left"; ok=1; }
	stop_holder || ok=1
	return $ok
}

test_insmod_final() {
	do_insmod || return 1
	loaded && [ "$(cat $param)" = 65536 ] && "$dom" list >/dev/null
}

t "module_is_loaded_at_start" test_loaded_at_start
t "rmmod_with_idle_domains_works_and_removes_their_nodes" test_rmmod_idle_domains
t "netlink_family_is_gone_after_rmmod" test_family_gone
t "insmod_again_starts_empty_and_takes_max_domain_mib" test_insmod_param
t "reload_without_parameter_restores_default_limit" test_reload_default
t "rmmod_is_refused_while_a_mapping_outlives_its_fd" test_rmmod_refused_mapped
t "destroy_and_rmmod_work_once_the_mapping_is_gone" test_destroy_and_rmmod_after_holder
t "rmmod_is_refused_while_the_node_is_open" test_rmmod_refused_open
t "rmmod_stops_live_sessions_with_workers_waiting" test_rmmod_stops_live_sessions
t "insmod_at_the_end_leaves_the_module_loaded" test_insmod_final

# Whatever happened, leave the module loaded for the lab.
loaded || insmod "$LDM_KO" 2>/dev/null

echo "# Totals: pass:$((n - failures)) fail:$failures"
[ "$failures" -eq 0 ] && [ "$n" -eq "$plan" ]
