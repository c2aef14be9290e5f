#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_postcopy.sh: TAP tests of 'ldmctl migrate --postcopy' between the
# two lab hosts, on the synthetic guest: the guest dirties pages on the
# source; after one pre-copy round (at 512 KB/s, so that post-copy takes
# seconds) the source stops it and the target marks the pages it lacks;
# a reader on the target then reads the whole domain while they arrive,
# and a cancel that comes meanwhile is refused. Every page it reads must already be the
# source's final page (its faults wait for the page, never see a stale or
# zero one), the faults must have asked for pages, and the domains must
# end identical.
#
# Runs in the lab VM: lab/run -- selftests/ldm_postcopy.sh
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
. "$(dirname "$0")/migrate_lib.sh"

echo "1..11"
check "set up the two hosts" netns_setup
check "certificates" make_pki_hosts
check "serve on $DA:$PORT" serve_start serve "$PORT"

migrate --postcopy --reconnect 5 x "$DA:y" > "$W/usage.out" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q -- "--postcopy does not work with --reconnect yet" "$W/usage.out"
tap $? "--postcopy with --reconnect: a usage error that says so"

newdom pc 32M
"$G" dirty pc 2000 0 > "$W/pc.guest" &
echo $! > "$W/pc.gpid"
sleep 1
migrate_cmd "$SRC" src
"${mcmd[@]}" -j --postcopy --max-rounds 1 --bandwidth 512K pc "$DA:pc-t" \
	> "$W/pc.out" 2>&1 &
echo $! > "$W/pc.mpid"
for _ in $(seq 1200); do
	grep -q '"event":"postcopy"' "$W/pc.out" && break
	sleep 0.1
done
# The guest on the target reads every page at once, while they arrive
# (first: a slow kernel makes every command here take its time); an
# operator's cancel comes meanwhile, and is refused.
t0=$(date +%s.%N)
"$G" sum pc-t > "$W/during.sum" &
rp=$!
"$L" cancel-operation migration pc > "$W/cancel.out" 2>&1 &
cp=$!
grep '"event":"postcopy"' "$W/pc.out" | sed 's/^/#   /'
grep -q '"event":"postcopy"' "$W/pc.out" && [ "$(state pc)" = suspended ]
tap $? "post-copy starts: the target has marked the pages it lacks, the source guest is stopped"
wait "$rp"
t1=$(date +%s.%N)
during=$(cat "$W/during.sum")
say "the target read the whole domain in $(awk "BEGIN { print $t1 - $t0 }") s during post-copy"
finish pc
rc=$?
wait "$cp"
crc=$?
kill -9 "$(cat "$W/pc.gpid")" 2>/dev/null
grep -E '"event":"(done|error)"' "$W/pc.out" | sed 's/^/#   /'
tap "$rc" "the post-copy migration completes"

sed 's/^/#   /' "$W/cancel.out"
[ "$crc" != 0 ] && grep -q "cancel refused: the guest runs on" "$W/pc.out"
tap $? "a cancel during post-copy is refused, saying why; the migration goes on"

final=$(sum pc)
[ -n "$during" ] && [ "$during" = "$final" ]
tap $? "what the target read during post-copy is the source's final content ($during)"
check "the domains are identical" same pc pc-t
[ "$(state pc)" = migrated ]
tap $? "the source domain is migrated"

selftests/ldm_dom get pc-t > "$W/pct.get"
sed 's/^/#   /' "$W/pct.get" | grep -E 'missing|fault'
grep -q '^missing=0$' "$W/pct.get" &&
	[ "$(sed -n 's/^remote_faults=//p' "$W/pct.get")" -gt 0 ]
tap $? "nothing is missing on the target, and its faults waited for pages"

[ "$fails" = 0 ]
