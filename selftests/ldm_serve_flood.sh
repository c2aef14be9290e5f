#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_serve_flood.sh: TAP tests of how 'ldmctl serve' admits connections
# (ldmctl(8), serve, "Admission of connections"), between the lab's two
# hosts:
#
#   make && lab/run --timeout 900 -- selftests/ldm_serve_flood.sh
#
# Anyone who can reach serve's port can connect. Here eight more addresses
# of the source host (192.0.2.10-17) keep hundreds of connections at
# serve that never authenticate (selftests/ldm_stall.py: silent ones, a TLS
# record header and nothing more, half-closed ones, one byte a second),
# reopening each one serve drops, for 25 s, while a real migration from
# the source's own address (192.0.2.1) must get in and succeed, the target
# identical. serve must never hold more than its budget of unauthenticated
# connections, must drop each within its deadline (10 s, plus the second
# serve gives the child to end by itself), and must say so in its log, a
# line a second at most. A source whose own address has used up its share
# is reset at once, and its migrate says what that may mean. Then, with
# every migration slot taken (--max-migrations 1, one migration held open
# at 1 MB/s), a second authenticated source (a password one) must be told
# "busy", exit 8 with nothing changed, and succeed once the slot is free
# again.
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
. "$(dirname "$0")/migrate_lib.sh"

STALL=$PWD/selftests/ldm_stall.py
HANDSHAKE_S=10		# serve's default --handshake-timeout
STARTUPS=32		# serve's default --max-startups
FLOOD_S=25

echo "1..16"
check "set up the two hosts" netns_setup

# Only what this test needs: a CA, the two hosts, a password.
mini_pki() {
	mkdir -p "$PKI" &&
	mkcert ca ldm-test-ca "DNS:ldm-test-ca" self &&
	mkcert src ldm-src "IP:$LDM_SRC_ADDR" ca &&
	mkcert dst ldm-dst "IP:$DA" ca &&
	"$L" trust add --trust-dir "$PKI/trust" "$PKI/ca.crt" >/dev/null &&
	printf 'migrator:s3cret-pass\n' > "$PKI/check" && chmod 600 "$PKI/check" &&
	printf 's3cret-pass\n' > "$PKI/pw" && chmod 600 "$PKI/pw"
}
check "make the certificates" mini_pki

# The flooders: more addresses of the source host, besides its own (the
# first, which the kernel picks for the legitimate migrations).
FLOODERS=
flooders() {
	local i
	for i in $(seq 10 17); do
		ip -n "$SRC" addr add "192.0.2.$i/$LDM_NETNS_PREFIX" dev eth0 || return 1
		FLOODERS=${FLOODERS:+$FLOODERS,}192.0.2.$i
	done
}
check "give the source host 8 more addresses to flood from" flooders

check "serve on $DA:$PORT (certificates or passwords, --max-migrations 1)" \
	serve_start serve "$PORT" -p "$PKI/check" --max-migrations 1
SPID=$(cat "$W/serve.pid")

# children: how many live processes serve has now, from /proc (pgrep is
# slow under TCG, and the count is sampled often). Not the zombies: one
# killed (deadline, eviction) is reaped on serve's next turn, a moment
# after its place went to a new one.
children() {
	local c n=0 st
	# shellcheck disable=SC2013 # one pid a word
	for c in $(cat "/proc/$SPID/task/$SPID/children" 2>/dev/null); do
		{ read -r st < "/proc/$c/stat"; } 2>/dev/null || continue
		st=${st##*) }
		[ "${st%% *}" = Z ] || n=$((n + 1))
	done
	echo "$n"
}

# ---- the flood, and a real migration through it ----

ip netns exec "$SRC" python3 "$STALL" --to "$DA:$PORT" --from "$FLOODERS" \
	--count 300 --duration "$FLOOD_S" --rate 30 \
	--limit $((HANDSHAKE_S + 3)) > "$W/stall.out" 2> "$W/stall.err" &
fp=$!
# serve's processes, sampled all along the flood: the most at once.
(
	max=0
	while kill -0 "$fp" 2>/dev/null; do
		c=$(children)
		[ "$c" -gt "$max" ] && max=$c
		sleep 0.2
	done
	echo "$max" > "$W/children.max"
) &
sp=$!
# Let the flood take every slot first.
for _ in $(seq 100); do
	[ "$(children)" -ge "$STARTUPS" ] && break
	sleep 0.1
done
say "serve has $(children) processes before the migration"

newdom vm 16M
t0=$(date +%s.%N)
# --timeout 30: the flood loads the VM too (TCG); the test is about serve.
migrate -j --timeout 30 vm "$DA:vm-t" > "$W/vm.out" 2>&1
rc=$?
say "the migration took $(awk "BEGIN { print $(date +%s.%N) - $t0 }") s, in a flood"
[ "$rc" = 0 ] || sed 's/^/#   /' "$W/vm.out"
tap "$rc" "a migration from the source's own address succeeds while hundreds of connections stall serve"
check "the target is byte-identical to the suspended source" same vm vm-t

wait "$fp"
wait "$sp"
sed 's/^/#   flood: /' "$W/stall.out" "$W/stall.err"
fig() { sed -n "s/^$1 //p" "$W/stall.out"; }
max=$(cat "$W/children.max" 2>/dev/null || echo 999)
say "serve's processes during the flood: at most $max"
# The flood filled the budget; the migration's own process is the one more.
[ "$max" -ge $((STARTUPS / 2)) ] && [ "$max" -le $((STARTUPS + 1)) ]
tap $? "serve never held more than its $STARTUPS unauthenticated connections (and the migration)"

flood_ok() {
	local opened quick held overstayed longest
	opened=$(fig opened) quick=$(fig quick) held=$(fig held)
	overstayed=$(fig overstayed) longest=$(fig longest)
	[ "${opened:-0}" -ge 300 ] && [ "${quick:-0}" -ge 100 ] &&
		[ "${held:-0}" -ge 8 ] && [ "${overstayed:-1}" = 0 ] &&
		awk "BEGIN { exit !($longest <= $HANDSHAKE_S + 3) }"
}
check "hundreds were refused at once, and every admitted one dropped within the $HANDSHAKE_S s deadline" \
	flood_ok

logged() {
	local n
	grep -q "refused: .*not authenticated yet" "$W/serve.log" || { say "no refusal logged"; return 1; }
	grep -q "more connections refused or dropped before authentication" "$W/serve.log" ||
		{ say "no count of unlogged refusals"; return 1; }
	grep -q "TLS handshake timed out after $HANDSHAKE_S s" "$W/serve.log" ||
		{ say "no handshake timeout logged"; return 1; }
	# A line a second at most of refusals before authentication.
	n=$(grep -c "refused: .*not authenticated yet\|dropped, not authenticated\|killed: not authenticated" "$W/serve.log")
	say "serve logged $n refusals one by one"
	[ "$n" -le $((FLOOD_S + 10)) ]
}
check "serve logged the refusals (rate-limited) and the handshake timeouts" logged

drained() {
	for _ in $(seq $(((HANDSHAKE_S + 2) * 10))); do
		[ "$(children)" = 0 ] && return 0
		sleep 0.1
	done
	say "serve still has $(children) processes"
	return 1
}
check "once the flood stops, serve holds no process for it" drained

newdom small 8M
small_sum=$(sum small)

# The legitimate source's own address over its share (8 stalled
# connections of its own): its migrate is reset at once, and says what
# that may mean.
own_share() {
	local p rc
	ip netns exec "$SRC" python3 "$STALL" --to "$DA:$PORT" --from "$LDM_SRC_ADDR" \
		--count 8 --modes silent,header --duration 8 --rate 0 > "$W/own.out" 2>&1 &
	p=$!
	for _ in $(seq 100); do
		[ "$(children)" -ge 8 ] && break
		sleep 0.1
	done
	migrate -n small "$DA:small-t" > "$W/own-mig.out" 2>&1
	rc=$?
	kill "$p" 2>/dev/null
	wait "$p"
	sed -n '1,3s/^/#   /p' "$W/own-mig.out"
	expect_fail "$rc" 1 "resets new ones at once; see its log" "$W/own-mig.out" &&
		grep -q "192.0.2.1: refused: 8 connections from this address are not authenticated yet (--max-startups-per-addr 8)" "$W/serve.log" &&
		intact small "$small_sum"
}
check "a source whose own address has used up its share is reset at once; migrate says why that may be" own_share

# ---- every migration slot taken: "busy" ----

newdom hold 32M
migrate -j --bandwidth 1M hold "$DA:hold-t" > "$W/hold.out" 2>&1 &
echo $! > "$W/hold.mpid"
held_open() {
	for _ in $(seq 150); do
		[ -f /run/ldm/incoming/hold-t ] && grep -q '"event":"round"' "$W/hold.out" &&
			return 0
		sleep 0.1
	done
	sed 's/^/#   /' "$W/hold.out"
	return 1
}
check "a migration holds serve's only migration slot (1 MB/s)" held_open

pwmigrate() { # ARGS...: a source without a certificate, with the password
	ip netns exec "$SRC" "$L" migrate -p "$PKI/pw" --port "$PORT" \
		--trust-dir "$PKI/trust" --timeout 15 "$@"
}
pwmigrate small "migrator@$DA:small-t" > "$W/busy.out" 2>&1
rc=$?
sed -n '1,3s/^/#   /p' "$W/busy.out"
expect_fail "$rc" 8 "refused: busy, 1 migration running" "$W/busy.out" &&
	! exists small-t && intact small "$small_sum"
tap $? "a second authenticated source is told busy, exits 8, and nothing changes"
grep -q "refused an authenticated source: busy, 1 migration running (--max-migrations 1)" "$W/serve.log"
tap $? "serve logged the busy refusal"

"$L" cancel-operation migration hold > /dev/null 2>&1
finish hold
rc=$?
expect_fail "$rc" 6 "cancelled" "$W/hold.out" && gone hold-t
tap $? "the held migration, cancelled, frees its slot (target discarded)"

pwmigrate small "migrator@$DA:small-t" > "$W/small.out" 2>&1
rc=$?
[ "$rc" = 0 ] || sed 's/^/#   /' "$W/small.out"
[ "$rc" = 0 ] && same small small-t
tap $? "the busy source, again, migrates once the slot is free; target identical"

# The log, without the line each stalled connection's process leaves.
grep -v "no TLS session: " "$W/serve.log" | sed 's/^/# serve: /' | head -n 80
say "$SECONDS s in all"
[ "$fails" = 0 ]
