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
. "$(dirname "$0")/migrate_lib.sh"

HOPS=${1:-6}
SEED=77
PORT=8201	# serve on both hosts
echo "1..$((HOPS + 2))"

netns_setup && make_pki_hosts &&
	serve_on "$SRC" "$LDM_SRC_ADDR" src "serve-$SRC" "$PORT" &&
	serve_on "$DST" "$LDM_DST_ADDR" dst "serve-$DST" "$PORT" &&
	on_src add-domain soak0 --mem 16M && "$G" fill soak0 "$SEED" > /dev/null
tap $? "two hosts serving, a 16M domain filled by the guest"

start=$SECONDS
for hop in $(seq 1 "$HOPS"); do
	from=soak$((hop - 1))
	to=soak$hop
	if [ $((hop % 2)) = 1 ]; then
		ns=$SRC cert=src peer=$LDM_DST_ADDR
	else
		ns=$DST cert=dst peer=$LDM_SRC_ADDR
	fi
	"$G" dirty "$from" 1000 0 "$SEED" > "$W/$from.guest" &
	gp=$!
	sleep 0.5
	migrate_from "$ns" "$cert" -j --max-rounds 5 --pause-pid "$gp" \
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
