#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_throttle.sh: TAP tests of the dirty-rate limit (migrate --dirty-limit,
# ldmctl migrate-set --dirty-limit; driver/throttle.c), and of migrate-set's
# other changes to a running migration, in a real two-host migration
# (lab/netns.sh):
#
#   make && lab/run --timeout 900 -- selftests/ldm_throttle.sh
#
# The guest is selftests/ldm_guest writing pages in a random order as fast
# as it can; what it wrote in a few seconds is its write rate. Checked:
# - outside a migration nothing slows it (its rate before, and after a
#   limited migration was cancelled, against each other);
# - --dirty-limit N holds its first writes to clean pages to about N a
#   second, and the module counts the faults it made wait;
# - migrate-set changes the limit of a running migration from another
#   shell, and is refused with a reason where there is none;
# - a writer sleeping under the limit dies at once on SIGKILL;
# - --dirty-limit auto, on a guest that dirties faster than a 2 MB/s link
#   sends, tightens the limit round by round until the forecast fits, and
#   the migration converges instead of forcing a long final round; the
#   target is byte-identical to the source; the same migration without a
#   limit forces a longer final round;
# - migrate-set --bandwidth 0 --downtime-limit lifts the bandwidth cap of a
#   migration crawling at 64 KB/s, which then finishes at once, with a
#   'set' event; without a migration it is refused, saying so.
# LDMCTL=PATH tests another build of ldmctl.
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
. "$(dirname "$0")/migrate_lib.sh"

# rate NAME SECS: pages NAME's writer wrote in SECS seconds, as fast as it can.
rate() { "$G" dirty "$1" max "$2" | sed -n 's/^wrote \([0-9]*\) pages.*/\1/p'; }

# wait_round FILE: true once the -j output in FILE has its first round.
wait_round() {
	for _ in $(seq 300); do
		grep -q '"event":"round"' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# jnum FILE EVENT KEY: KEY's number in the last EVENT of -j output FILE.
jnum() {
	grep "\"event\":\"$2\"" "$1" | tail -1 |
		sed -n "s/.*\"$3\":\\([0-9]*\\).*/\\1/p"
}

echo "1..21"
check "set up the two hosts" netns_setup
check "make a CA and the two hosts' certificates" make_pki
check "serve on $DA:$PORT" serve_start serve "$PORT"

newdom th 32M
free0=$(rate th 3)
say "outside a migration: $free0 pages in 3 s"
check "the writer writes freely outside a migration (over 3000 pages in 3 s)" \
	test "${free0:-0}" -gt 3000

# A limited migration, slow enough to outlast the writer's 3 s.
LIMIT=200
migrate -j --bandwidth 256K --dirty-limit "$LIMIT" th "$DA:th-t" \
	> "$W/th.out" 2>&1 &
echo $! > "$W/th.mpid"
check "the limited migration starts its first round" wait_round "$W/th.out"
held=$(rate th 3)
say "under --dirty-limit $LIMIT: $held pages in 3 s"
# The first writes are to clean pages, each charged; a burst of a tenth
# of a second goes through; rewrites of pages already dirty are free.
check "--dirty-limit $LIMIT holds the writer to about $LIMIT pages/s (at most $((LIMIT * 5)) in 3 s)" \
	test "${held:-999999}" -le $((LIMIT * 5)) -a "${held:-0}" -gt 0
mig_limit() {
	local o
	o=$(ip netns exec "$SRC" "$L" migrate-set --dirty-limit "$1" th 2>&1) ||
		{ say "$o"; return 1; }
}
check "migrate-set --dirty-limit 20 on the running migration" mig_limit 20
held20=$(rate th 3)
say "after migrate-set --dirty-limit 20: $held20 pages in 3 s"
check "the new limit holds from the next write on (at most 120 in 3 s)" \
	test "${held20:-999999}" -le 120

# A writer asleep under a limit of 1 page/s dies at once on SIGKILL.
mig_limit 1
"$G" dirty th max 0 > /dev/null &
wp=$!
sleep 2
t0=$(date +%s%N)
kill -KILL "$wp"
wait "$wp" 2>/dev/null
dt=$((($(date +%s%N) - t0) / 1000000))
say "the throttled writer was gone $dt ms after SIGKILL"
check "a throttled writer dies on SIGKILL within a second" test "$dt" -lt 1000

on_src cancel-operation migration th > "$W/cancel.out" 2>&1
wait "$(cat "$W/th.mpid")" 2>/dev/null
rm -f "$W/th.mpid"
free1=$(rate th 3)
say "after the cancelled migration: $free1 pages in 3 s (before: $free0)"
check "the limit ended with the migration: the writer is free again (over half its rate before)" \
	test "${free1:-0}" -gt $((free0 / 2))

out=$(on_src migrate-set --dirty-limit 100 th 2>&1)
rc=$?
say "$out"
check "migrate-set without a migration: refused, saying so" \
	eval 'test "$rc" != 0 && case $out in *"no sending migration session"*) true ;; *) false ;; esac'

# busy NAME [ARGS...]: a 16M domain NAME whose writer dirties as fast as
# it can, migrated to NAME-t behind 2 MB/s with ARGS; rc its exit status,
# its -j output in $W/NAME.out; why and susp its done event's
# final_because and suspend_ms.
busy() {
	local name=$1
	shift
	newdom "$name" 16M
	"$G" dirty "$name" max 0 > "$W/$name.guest" &
	echo $! > "$W/$name.gpid"
	sleep 0.5
	migrate -j --bandwidth 2M --max-rounds 12 --downtime-limit 300 \
		"$@" "$name" "$DA:$name-t" > "$W/$name.out" 2>&1
	rc=$?
	# Its domain migrated: the writer is blocked for good, killably only.
	kill -KILL "$(cat "$W/$name.gpid")" 2>/dev/null
	wait "$(cat "$W/$name.gpid")" 2>/dev/null
	rm -f "$W/$name.gpid"
	grep -E '"event":"(throttle|round_done|done)"' "$W/$name.out" |
		sed 's/^/#   /'
	[ "$rc" = 0 ] || sed 's/^/#   /' "$W/$name.out"
	why=$(grep '"event":"done"' "$W/$name.out" |
		sed -n 's/.*"final_because":"\([^"]*\)".*/\1/p')
	susp=$(jnum "$W/$name.out" "done" suspend_ms)
}

# --dirty-limit auto against a guest that dirties faster than 2 MB/s.
busy au --dirty-limit auto
check "--dirty-limit auto: the migration succeeds" test "$rc" = 0
tightened=$(grep -c '"event":"throttle"' "$W/au.out")
waited=$(jnum "$W/au.out" "done" throttled)
check "--dirty-limit auto tightened the limit ($tightened times; ${waited:-0} write faults made to wait)" \
	test "$tightened" -ge 1 -a "${waited:-0}" -gt 0
say "final round because: $why; suspension ${susp:-?} ms"
check "--dirty-limit auto: pre-copy converged (not forced), target byte-identical" \
	eval 'test "$why" = converged && same au au-t'

# The same guest without the limit, for comparison.
susp_auto=$susp
busy nl
check "without a dirty limit the same migration succeeds" test "$rc" = 0
say "without a limit: final round because: $why; suspension ${susp:-?} ms (with auto: ${susp_auto:-?} ms)"
check "without a dirty limit the final round is forced, and its suspension is longer than with auto" \
	eval 'test "$why" != converged -a "${susp:-0}" -gt "${susp_auto:-0}"'

# migrate-set --bandwidth and --downtime-limit: the migrate's own settings.
newdom bw 32M
migrate -j --bandwidth 64K bw "$DA:bw-t" > "$W/bw.out" 2>&1 &
echo $! > "$W/bw.mpid"
check "a migration crawling at 64 KB/s starts" wait_round "$W/bw.out"
t0=$SECONDS
out=$(on_src migrate-set --bandwidth 0 --downtime-limit 2000 bw 2>&1)
rc=$?
[ "$rc" = 0 ] || say "$out"
check "migrate-set --bandwidth 0 --downtime-limit 2000 is taken" test "$rc" = 0
wait "$(cat "$W/bw.mpid")"
rc=$?
rm -f "$W/bw.mpid"
dt=$((SECONDS - t0))
say "the migration ended $dt s after migrate-set (at 64 KB/s it would take about two minutes)"
grep -E '"event":"(set|done)"' "$W/bw.out" | sed 's/^/#   /'
check "it then finished within 40 s, byte-identical" \
	eval 'test "$rc" = 0 -a "$dt" -le 40 && same bw bw-t'
check "its 'set' event says downtime limit 2000 ms, no bandwidth cap" \
	grep -q '"event":"set".*"downtime_limit_ms":2000,"bandwidth":0' "$W/bw.out"
out=$(on_src migrate-set --bandwidth 1M bw 2>&1)
rc=$?
say "$out"
check "migrate-set --bandwidth without a migration: refused, saying so" \
	eval 'test "$rc" = 1 && case $out in *"no migration of this domain is running on this host"*) true ;; *) false ;; esac'

[ "$fails" = 0 ]
