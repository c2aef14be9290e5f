#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_soak.sh: a bounded soak of live migrations back and forth between
# the lab's two hosts, with a busy guest, in TAP:
#
#   make && lab/run --timeout 900 -- selftests/ldm_soak.sh [HOPS]
#
# Each host runs 'ldmctl serve' with its own certificate. A domain hops
# HOPS times (default 6), alternately ldm-src -> ldm-dst and back, each hop
# to a new name; during each hop the synthetic guest (selftests/ldm_guest)
# rewrites 1000 pages a second of the domain it runs on, and is paused for
# the final round with --pause-pid. After each hop the target must hash
# like the source as it was suspended, and the guest's own check must find
# every page valid (right index, seed and generation): after N migrations
# the guest's memory still matches its own record of what it wrote.
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
. lab/netns.sh
. lab/pki.sh

L=$PWD/tools/ldmctl/ldmctl
G=$PWD/selftests/ldm_guest
HOPS=${1:-6}
SEED=77
W=$(mktemp -d "${LAB_OUT:-/tmp}/ldm_soak.XXXXXX")
PKI=$W/pki
echo "1..$((HOPS + 2))"
cleanup() {
	local f
	for f in "$W"/serve-*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	wait 2>/dev/null
	netns_teardown
	for d in $("$L" -j list | sed -n 's/.*"name": "\([^"]*\)".*/\1/p'); do
		"$L" resume-domain "$d" >/dev/null 2>&1
		"$L" remove-domain "$d" 2>/dev/null
	done
}
trap cleanup EXIT

# host NS ADDR: a serve on it, with its own certificate.
serve() {
	ip netns exec "$1" "$L" serve --listen "$2:8201" --cert "$PKI/$1.crt" \
		--key "$PKI/$1.key" --trust-dir "$PKI/trust" --timeout 15 \
		2>> "$W/serve-$1.log" &
	echo $! > "$W/serve-$1.pid"
	for _ in $(seq 50); do
		grep -q listening "$W/serve-$1.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

netns_setup &&
	mkcert ca ldm-soak-ca DNS:ldm-soak-ca self &&
	mkcert "$LDM_SRC_NS" ldm-src "IP:$LDM_SRC_ADDR" ca &&
	mkcert "$LDM_DST_NS" ldm-dst "IP:$LDM_DST_ADDR" ca &&
	"$L" trust add --trust-dir "$PKI/trust" "$PKI/ca.crt" > /dev/null &&
	serve "$LDM_SRC_NS" "$LDM_SRC_ADDR" && serve "$LDM_DST_NS" "$LDM_DST_ADDR" &&
	ip netns exec "$LDM_SRC_NS" "$L" add-domain soak0 --mem 16M &&
	"$G" fill soak0 "$SEED" > /dev/null
tap $? "two hosts serving, a 16M domain filled by the guest"

start=$SECONDS
for hop in $(seq 1 "$HOPS"); do
	from=soak$((hop - 1))
	to=soak$hop
	if [ $((hop % 2)) = 1 ]; then
		ns=$LDM_SRC_NS peer=$LDM_DST_ADDR
	else
		ns=$LDM_DST_NS peer=$LDM_SRC_ADDR
	fi
	"$G" dirty "$from" 1000 0 "$SEED" > "$W/$from.guest" &
	gp=$!
	sleep 0.5
	ip netns exec "$ns" "$L" migrate -j --cert "$PKI/$ns.crt" \
		--key "$PKI/$ns.key" --trust-dir "$PKI/trust" --port 8201 \
		--timeout 15 --max-rounds 5 --pause-pid "$gp" \
		"$from" "$peer:$to" > "$W/$to.out" 2>&1
	rc=$?
	# The guest is stopped, and blocked for good on the migrated domain.
	kill -9 "$gp" 2>/dev/null
	wait "$gp" 2>/dev/null
	a=$("$G" sum "$from")
	b=$("$G" sum "$to")
	[ "$rc" = 0 ] && [ "$a" = "$b" ] && "$G" verify "$to" "$SEED" > "$W/$to.verify" 2>&1 &&
		"$L" remove-domain "$from"
	st=$?
	[ "$st" = 0 ] || sed 's/^/#   /' "$W/$to.out" "$W/$to.verify" 2>/dev/null | tail -n 20
	grep '"event":"done"' "$W/$to.out" | sed 's/^/#   /'
	tap "$st" "hop $hop: $from -> $to ($ns to $peer), target identical, every page valid"
done
"$G" verify "soak$HOPS" "$SEED" > /dev/null
tap $? "after $HOPS migrations in $((SECONDS - start)) s the guest's memory matches its own record"
[ "$fails" = 0 ]
