#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_security.sh: TAP tests of who may do what, beyond one open file
# (ldm_hostile_test covers the node's files):
#
# - network namespaces: a container with CAP_NET_ADMIN in a namespace of
#   its own sees and touches only the domains it made; the host's (the
#   initial namespace) sees them all; a namespace that goes away leaves
#   its domains to the host, running, never destroyed;
# - memory cgroups: a domain's pages are charged to the cgroup of the
#   process that created it, whoever touches them (an emulator elsewhere,
#   a receiving worker); what the cgroup cannot hold is refused with a
#   clear error (creation, a fault's SIGBUS, a target's refusal), never
#   paid for by an OOM kill.
#
# Runs in the lab VM: lab/run -- selftests/ldm_security.sh
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
. "$(dirname "$0")/migrate_lib.sh"

CTR=ldm-ctr
CG=/sys/fs/cgroup
pfx=sec$$

# in_ctr ARGS...: ldmctl in the container's namespace.
in_ctr() { ip netns exec "$CTR" "$L" "$@"; }

# fails_with PATTERN CMD...: CMD fails and says PATTERN.
fails_with() {
	local pat=$1 out
	shift
	if out=$("$@" 2>&1); then
		say "succeeded: $*"
		return 1
	fi
	echo "$out" | grep -q -- "$pat" && return 0
	say "$*: $out"
	return 1
}

# touch_all NAME: write every page of a domain, as an emulator would.
touch_all() {
	python3 -c 'import mmap, os, sys
fd = os.open("/dev/ldm/" + sys.argv[1], os.O_RDWR)
size = os.lseek(fd, 0, os.SEEK_END)
m = mmap.mmap(fd, size, mmap.MAP_SHARED)
for off in range(0, size, 4096):
    m[off] = 0x5a' "$1"
}

# cg_make NAME MAX: a memory cgroup with memory.max MAX.
cg_make() {
	mkdir -p "$CG/$1" && echo "$2" > "$CG/$1/memory.max"
}

# in_cg NAME CMD...: CMD run as a member of cgroup NAME.
in_cg() {
	local g=$1
	shift
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$CG/$g" "$@"
}

cg_setup() {
	if [ ! -f "$CG/cgroup.controllers" ]; then
		mount -t cgroup2 none "$CG" || return 1
	fi
	grep -qw memory "$CG/cgroup.controllers" || {
		say "no memory controller in $(cat "$CG/cgroup.controllers")"
		return 1
	}
	echo +memory > "$CG/cgroup.subtree_control"
}

cleanup_sec() {
	local g
	for d in $("$L" -j list | sed -n 's/.*"name": "\('"$pfx"'[^"]*\)".*/\1/p'); do
		"$L" remove-domain "$d" 2>/dev/null
	done
	ip netns del "$CTR" 2>/dev/null
	for g in "$pfx"-a "$pfx"-b "$pfx"-t1 "$pfx"-t2; do
		[ -d "$CG/$g" ] || continue
		# a cgroup goes once its last member (a serve) is gone
		while read -r p; do kill "$p" 2>/dev/null; done < "$CG/$g/cgroup.procs"
		sleep 0.2
		rmdir "$CG/$g" 2>/dev/null
	done
	cleanup
}
trap cleanup_sec EXIT

echo "1..16"

# ---- network namespaces ----

"$L" add-domain "$pfx-host" --mem 4M && ip netns add "$CTR" &&
	ip -n "$CTR" link set lo up
tap $? "the host makes a domain; a container gets a network namespace"

in_ctr list > "$W/ctr-list.out" 2>&1 && ! grep -q "$pfx-host" "$W/ctr-list.out"
tap $? "the container's 'list' does not show the host's domain"

fails_with "no such domain" in_ctr remove-domain "$pfx-host" &&
	fails_with "no such domain" in_ctr resume-domain "$pfx-host" &&
	fails_with "No such file" ip netns exec "$CTR" selftests/ldm_dom state "$pfx-host" 2 &&
	[ "$(state "$pfx-host")" = active ]
tap $? "the container cannot destroy, resume or suspend it: 'no such domain', it stays active"

in_ctr add-domain "$pfx-ctr" --mem 4M && exists "$pfx-ctr" &&
	in_ctr list "$pfx-ctr" > /dev/null
tap $? "the container makes its own domain; both it and the host see it"

fails_with "taken by another network namespace" in_ctr add-domain "$pfx-host" --mem 4M
tap $? "a name the host uses is refused to the container, saying why"

"$G" fill "$pfx-ctr" > /dev/null && before=$(sum "$pfx-ctr") &&
	ip netns del "$CTR" && sleep 0.5 && exists "$pfx-ctr" &&
	[ "$(sum "$pfx-ctr")" = "$before" ] && [ "$(state "$pfx-ctr")" = active ] &&
	dmesg | grep -q "$pfx-ctr: its network namespace is gone"
tap $? "the namespace goes: its domain passes to the host, intact and active"

"$L" remove-domain "$pfx-ctr" && "$L" remove-domain "$pfx-host"
tap $? "the host destroys both"

# ---- memory cgroups ----

cg_setup && cg_make "$pfx-a" 48M
tap $? "a memory cgroup with memory.max 48M"

fails_with "memory limit (memory.max)" in_cg "$pfx-a" "$L" add-domain "$pfx-big" --mem 64M
tap $? "a domain larger than the creator's memory.max is refused at creation"

in_cg "$pfx-a" "$L" add-domain "$pfx-m1" --mem 24M && c0=$(cat "$CG/$pfx-a/memory.current") &&
	touch_all "$pfx-m1" && c1=$(cat "$CG/$pfx-a/memory.current") &&
	say "memory.current: $c0 -> $c1 after the host touched 24M" &&
	[ $((c1 - c0)) -ge $((24 << 20)) ]
tap $? "pages touched by another process are charged to the creator's cgroup"

in_cg "$pfx-a" "$L" add-domain "$pfx-m2" --mem 32M
touch_all "$pfx-m2" 2> "$W/m2.err"
rc=$?
say "touching 32M more than the cgroup holds: exit $rc ($(tail -n 1 "$W/m2.err"))"
[ "$rc" = 135 ] || [ "$rc" = 139 ] || grep -q Bus "$W/m2.err" || [ "$rc" -gt 128 ]
tap $? "a page beyond the cgroup's limit is refused: the toucher gets SIGBUS"

oom=$(sed -n 's/^oom_kill //p' "$CG/$pfx-a/memory.events")
dmesg | grep -q "ldm: $pfx-m2: cannot allocate guest page" && [ "${oom:-0}" = 0 ]
tap $? "the kernel log names the domain, and nothing was OOM-killed (oom_kill ${oom:-?})"

"$L" remove-domain "$pfx-m1" && "$L" remove-domain "$pfx-m2" &&
	c2=$(cat "$CG/$pfx-a/memory.current") && say "memory.current after: $c2" &&
	[ "$c2" -lt $((8 << 20)) ]
tap $? "destroying the domains gives their pages back to the cgroup"

# A target host whose serve runs in a cgroup that cannot hold the domain
# refuses it at once; with room, the received pages are charged there.
hosts() { netns_setup && make_pki; }
# A TLS handshake took over serve's default 10 s on a debug kernel of a
# loaded host (serve killed it: "not authenticated within 10 s").
hs="--handshake-timeout 120"
check "two hosts with certificates" hosts
cg_make "$pfx-t1" 16M && cg_make "$pfx-t2" 96M &&
	echo $$ > "$CG/$pfx-t1/cgroup.procs" && serve_start s1 "$PORT" $hs &&
	echo $$ > "$CG/$pfx-t2/cgroup.procs" && serve_start s2 "$PWPORT" $hs &&
	echo $$ > "$CG/cgroup.procs" &&
	newdom "$pfx-src" 32M &&
	migrate "$pfx-src" "$DA:$pfx-t1" > "$W/t1.out" 2>&1
rc=$?
sed 's/^/#   /' "$W/t1.out" | tail -n 3
[ "$rc" != 0 ] && grep -q "memory limit" "$W/t1.out" && ! exists "$pfx-t1" &&
	[ "$(state "$pfx-src")" = active ]
tap $? "a target whose serve's cgroup cannot hold the domain refuses it, nothing changed"

m0=$(cat "$CG/$pfx-t2/memory.current")
ip netns exec "$SRC" "$L" migrate --cert "$PKI/src.crt" --key "$PKI/src.key" \
	--trust-dir "$PKI/trust" --port "$PWPORT" --timeout 15 \
	"$pfx-src" "$DA:$pfx-t2" > "$W/t2.out" 2>&1 &&
	m1=$(cat "$CG/$pfx-t2/memory.current") &&
	say "serve's cgroup: memory.current $m0 -> $m1" &&
	same "$pfx-src" "$pfx-t2" && [ $((m1 - m0)) -ge $((24 << 20)) ]
tap $? "with room, the migration goes through and the received pages are charged to serve's cgroup"

[ "$fails" = 0 ]
