#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_migrate.sh: TAP tests of 'ldmctl migrate' and 'ldmctl serve' between
# the lab's two "hosts" (network namespaces ldm-src and ldm-dst, lab/netns.sh):
#
#   make && lab/run --timeout 900 -- selftests/ldm_migrate.sh
#
# Certificates are made here, at run time, with the openssl command (a CA,
# a certificate per host, and bad ones: self-signed, expired, signed by an
# impostor of the CA) under $LAB_OUT or /tmp; no key is ever committed.
# Checks: idle and busy migrations (selftests/ldm_guest dirtying the
# source) end with the target byte-identical to the source, as the test
# sees it through its own hash and the guest's own verification; every
# refusal (untrusted certificate either way, expired, wrongly signed, wrong
# password, password file open to others, target name taken, a FIPS
# mismatch either way (a peer claiming FIPS mode: no provider here), --fips
# without the provider) changes nothing; every failure (the target's
# migration process killed mid-round, a cancel, the link cut) leaves the
# source active and intact and the target without the domain.
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
. "$(dirname "$0")/migrate_lib.sh"

echo "1..53"
check "set up the two hosts" netns_setup
check "make a CA, host, self-signed, impostor and expired certificates" make_pki
check "serve on $DA:$PORT (certificates)" serve_start serve "$PORT"
check "serve on $DA:$PWPORT (certificates or passwords)" \
	serve_start pwserve "$PWPORT" -p "$PKI/check"

# ---- migrations ----

newdom idle 32M
out=$W/dry.out
migrate -n idle "$DA:idle-t" > "$out" 2>&1
rc=$?
check "dry run passes and creates nothing" \
	test "$rc" = 0 -a "$(grep -c '^  ok' "$out")" -ge 4 -a "$(state idle)" = active
! exists idle-t
tap $? "dry run: no target domain"

t0=$(date +%s.%N)
migrate --verify idle "$DA:idle-t" > "$W/idle.out" 2>&1
rc=$?
t1=$(date +%s.%N)
say "idle 32M migration: $(awk "BEGIN { print $t1 - $t0 }") s"
sed -n 's/^/#   /p' "$W/idle.out"
tap "$rc" "migrate an idle 32M domain with --verify"
check "idle: target byte-identical, guest pages valid" same idle idle-t
check "idle: source marked migrated" test "$(state idle)" = migrated

# Key epochs of 256 batches: a 256M domain (about 60 MB of batches)
# crosses three key renewals; both modules switch at the same batch.
newdom rekey 256M
migrate -j --verify --rekey-batches 256 rekey "$DA:rekey-t" > "$W/rekey.out" 2>&1
rc=$?
grep '"event":"done"' "$W/rekey.out" | sed 's/^/#   /'
epochs=$(sed -n 's/.*"event":"done".*"key_epochs":\([0-9]*\).*/\1/p' "$W/rekey.out")
say "keys used: ${epochs:-none}"
[ "$rc" = 0 ] && [ "${epochs:-0}" -ge 4 ]
tap $? "--rekey-batches 256: a 256M domain migrates under 4 keys or more, --verify passes"
check "rekey: target byte-identical" same rekey rekey-t
migrate --rekey-batches 300 rekey "$DA:rekey-u" > "$W/rekey300.out" 2>&1
rc=$?
migrate --rekey-batches 128 rekey "$DA:rekey-u" > "$W/rekey128.out" 2>&1
rc2=$?
[ "$rc" = 2 ] && [ "$rc2" = 2 ] && grep -q "power of two" "$W/rekey300.out" &&
	grep -q "from 256" "$W/rekey128.out" && ! exists rekey-u
tap $? "--rekey-batches that is not a power of two, or below 256: usage error, nothing made"
on_src remove-domain rekey; "$L" remove-domain rekey-t

busy() { # NAME RATE: migrate while the guest dirties RATE pages/s
	local name=$1 rate=$2 gp rc
	newdom "$name" 32M
	"$G" dirty "$name" "$rate" 0 > "$W/$name.guest" &
	gp=$!
	sleep 1
	migrate -j --max-rounds 6 "$name" "$DA:$name-t" > "$W/$name.out" 2>&1
	rc=$?
	# The guest now blocks in page_mkwrite (the domain is migrated).
	kill -9 "$gp" 2>/dev/null
	wait "$gp" 2>/dev/null
	grep '"event":"done"' "$W/$name.out" | sed 's/^/#   /'
	grep -c '"event":"round"' "$W/$name.out" | sed 's/^/#   rounds: /'
	return "$rc"
}
check "migrate a 32M domain dirtied at 300 pages/s" busy busy300 300
check "busy 300/s: target byte-identical to the suspended source" same busy300 busy300-t
check "migrate a 32M domain dirtied at 3000 pages/s" busy busy3000 3000
check "busy 3000/s: target byte-identical to the suspended source" same busy3000 busy3000-t
# A guest writing as fast as it can through every phase: pre-copy, the
# suspension (its writes wait), the final round and the commit.
check "migrate a 32M domain whose guest rewrites pages as fast as it can" busy busymax max
# A guest writing as fast as it can may be stopped by the suspension in
# the middle of a page: that page is torn on the source, and must be torn
# the same way on the target.
same_torn() {
	[ "$(sum "$1")" = "$(sum "$2")" ] || { say "$1 and $2 differ"; return 1; }
	"$G" verify "$2" 1 1 | sed 's/^/#   /'
	[ "${PIPESTATUS[0]}" = 0 ]
}
check "busy at full speed: target byte-identical to the suspended source" same_torn busymax busymax-t

# ---- both directions at once: each host serves and migrates ----
# east moves to the target host while west moves the other way, both
# guests writing all along; each lands byte-identical to its suspended
# source. The target host's certificate serves as a client one here too.
both_ways() {
	local ge gw pe pw re rw
	serve_on "$SRC" "$LDM_SRC_ADDR" src rserve $((PORT + 5)) || return 1
	newdom east 32M || return 1
	ip netns exec "$DST" "$L" add-domain west --mem 32M &&
		"$G" fill west >/dev/null || return 1
	"$G" dirty east 1000 0 > "$W/east.guest" &
	ge=$!
	"$G" dirty west 1000 0 > "$W/west.guest" &
	gw=$!
	sleep 1
	migrate -j --max-rounds 6 east "$DA:east-t" > "$W/east.out" 2>&1 &
	pe=$!
	ip netns exec "$DST" "$L" migrate --cert "$PKI/dst.crt" --key "$PKI/dst.key" \
		--trust-dir "$PKI/trust" --port $((PORT + 5)) --timeout 15 \
		-j --max-rounds 6 west "$LDM_SRC_ADDR:west-t" > "$W/west.out" 2>&1 &
	pw=$!
	wait "$pe"
	re=$?
	wait "$pw"
	rw=$?
	kill -9 "$ge" "$gw" 2>/dev/null
	wait "$ge" "$gw" 2>/dev/null
	grep -h '"event":"done"' "$W/east.out" "$W/west.out" | sed 's/^/#   /'
	[ "$re" = 0 ] && [ "$rw" = 0 ] && return 0
	say "east exit $re, west exit $rw"
	grep -h '"event":"error"' "$W/east.out" "$W/west.out" | sed 's/^/#   /'
	return 1
}
check "both directions at once, both guests writing 1000 pages/s" both_ways
both_same() { same east east-t && same west west-t; }
check "both ways: east and west byte-identical on the other host" both_same

# ---- refusals: nothing changes ----

newdom ref 8M
refsum=$(sum ref)

refused() { # DESCRIPTION PATTERN SERVE-LOG-PATTERN MIGRATE-ARGS...
	local d=$1 pat=$2 spat=$3 rc
	shift 3
	"$@" > "$W/ref.out" 2>&1
	rc=$?
	expect_fail "$rc" 5 "$pat" "$W/ref.out" &&
	{ [ -z "$spat" ] || grep -q -- "$spat" "$W/serve.log" "$W/pwserve.log" ||
	  { say "no '$spat' in the serve logs"; false; }; } &&
	! exists ref-t && intact ref "$refsum"
	tap $? "$d"
}

refused "a source with an untrusted (self-signed) certificate is refused by the target" \
	"the target 192.0.2.2 refused the source" "refused the source's certificate: self-signed certificate (certificate /CN=ldm-rogue)" \
	ip netns exec "$SRC" "$L" migrate --cert "$PKI/rogue.crt" --key "$PKI/rogue.key" \
	--trust-dir "$PKI/trust" --timeout 15 ref "$DA:ref-t"
refused "a target with an untrusted certificate is refused by the source" \
	"the source refused the target 192.0.2.2's certificate" "" \
	ip netns exec "$SRC" "$L" migrate --cert "$PKI/src.crt" --key "$PKI/src.key" \
	--trust-dir "$PKI/rogue-trust" --timeout 15 ref "$DA:ref-t"
refused "an expired source certificate is refused" \
	"refused the source" "refused the source's certificate: certificate has expired" \
	ip netns exec "$SRC" "$L" migrate --cert "$PKI/expired.crt" --key "$PKI/expired.key" \
	--trust-dir "$PKI/trust" --timeout 15 ref "$DA:ref-t"
refused "a source certificate signed by an impostor CA is refused" \
	"refused the source" "refused the source's certificate: unable to get local issuer certificate (certificate /CN=ldm-src-forged)" \
	ip netns exec "$SRC" "$L" migrate --cert "$PKI/forged.crt" --key "$PKI/forged.key" \
	--trust-dir "$PKI/trust" --timeout 15 ref "$DA:ref-t"
refused "a wrong password is refused" "wrong password" "" \
	ip netns exec "$SRC" "$L" migrate -p "$PKI/badpw" --port "$PWPORT" \
	--trust-dir "$PKI/trust" --timeout 15 ref "migrator@$DA:ref-t"
ip netns exec "$SRC" "$L" migrate -n -p "$PKI/pw" --port "$PWPORT" \
	--trust-dir "$PKI/trust" --timeout 15 ref "migrator@$DA:ref-t" > "$W/pw.out" 2>&1
tap $? "the right password passes a dry run (the target still shows its certificate)"
refused "a password file readable by others is refused before connecting" \
	"accessible by group or others" "" \
	ip netns exec "$SRC" "$L" migrate -p "$PKI/openpw" --port "$PWPORT" \
	--trust-dir "$PKI/trust" ref "migrator@$DA:ref-t"
ip netns exec "$DST" "$L" add-domain taken --mem 8M
refused "a target name that is taken is refused" "already exists" "" \
	migrate ref "$DA:taken"
# migrate --prepared: into a domain made on the target beforehand (as a
# target QEMU is started before the migration), never into one that is
# missing, of another size, or written to.
refused "--prepared to a target never made is refused, naming the command that makes it" \
	"no prepared domain 'ref-t' on the target (ldmctl add-domain ref-t --mem 8M there first)" "" \
	migrate --prepared ref "$DA:ref-t"
ip netns exec "$DST" "$L" add-domain small-t --mem 4M
refused "--prepared to a domain of another size is refused" \
	"prepared domain 'small-t' has 4 MiB, the source's 8 MiB" "" \
	migrate --prepared ref "$DA:small-t"
ip netns exec "$DST" "$L" add-domain used-t --mem 8M && "$G" fill used-t > /dev/null
refused "--prepared into a domain that was written to is refused" \
	"prepared domain 'used-t' has been written to" "" \
	migrate --prepared ref "$DA:used-t"
prepared() {
	newdom prep 8M && ip netns exec "$DST" "$L" add-domain prep-t --mem 8M ||
		return 1
	migrate -n --prepared prep "$DA:prep-t" > "$W/prep-n.out" 2>&1 &&
		grep -q "prepared domain 'prep-t' is empty and waits" "$W/prep-n.out" &&
		migrate --prepared --verify prep "$DA:prep-t" > "$W/prep.out" 2>&1 || {
		sed 's/^/#   /' "$W/prep-n.out" "$W/prep.out"
		return 1
	}
	same prep prep-t && test "$(state prep)" = migrated &&
		test "$(state prep-t)" = active
}
check "--prepared: the source moves into the empty domain made on the target, byte-identical" prepared
"$L" remove-domain small-t && "$L" remove-domain used-t

# A target that cannot host the domain (here: its size limit, which both
# lab hosts share, lowered after the source was made) refuses up front.
echo 4 > /sys/module/ldm/parameters/max_domain_mib
refused "a target without room for the domain is refused before any data moves" \
	"exceeds the target's max_domain_mib" "" migrate ref "$DA:ref-t"
echo 65536 > /sys/module/ldm/parameters/max_domain_mib
# A target without the memory: a source domain made resident up to 60% of
# what the VM has available leaves the target (the same VM) less than its
# size; the dry run says so, with the figures, and creates nothing.
memrefused() {
	local avail mib rc
	avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	mib=$((avail * 3 / 5))
	on_src add-domain big --mem "${mib}M" || return 1
	# Read faults allocate: MAP_POPULATE makes every page resident.
	python3 -c 'import mmap, os, sys
fd = os.open("/dev/ldm/big", os.O_RDWR)
mmap.mmap(fd, int(sys.argv[1]) << 20, mmap.MAP_SHARED | mmap.MAP_POPULATE)' "$mib" ||
		{ "$L" remove-domain big; return 1; }
	migrate -n big "$DA:big-t" > "$W/mem.out" 2>&1
	rc=$?
	sed -n '/available memory/s/^/#   /p' "$W/mem.out"
	"$L" remove-domain big
	expect_fail "$rc" 5 "exceed the target's available memory" "$W/mem.out" &&
		! exists big-t
}
check "a target without the memory for the domain's resident pages refuses it in a dry run, with the figures" memrefused
migrate --fips ref "$DA:ref-t" > "$W/fips.out" 2>&1
rc=$?
expect_fail "$rc" 1 "FIPS provider is not available" "$W/fips.out" && ! exists ref-t
tap $? "--fips without OpenSSL's FIPS provider fails at once, saying so"
sed -n '1s/^/#   /p' "$W/fips.out"

# A FIPS mismatch, each way: no FIPS provider here, so no ldmctl runs with
# --fips; tools/ldmctl/tests/fipspeer speaks ldmctl's protocol and claims
# FIPS mode on the wire, as a source to the serve, then as a target to a
# migrate. Each real end must refuse it, naming the mismatch.
P=$PWD/tools/ldmctl/tests/fipspeer
need_built "$P"
ip netns exec "$SRC" "$P" source "$DA" "$PORT" "$PKI/src.crt" "$PKI/src.key" \
	"$PKI/trust" ref ref-t > "$W/fipssrc.out" 2>&1
rc=$?
sed 's/^/#   /' "$W/fipssrc.out" | grep -i fips
[ "$rc" = 0 ] &&
	grep -q "FIPS mode mismatch: the source is in FIPS mode, the target is not" "$W/fipssrc.out" &&
	grep -q "refused: FIPS mode mismatch" "$W/serve.log" &&
	! exists ref-t && intact ref "$refsum"
tap $? "FIPS mismatch: a serve not in FIPS mode refuses a source in FIPS mode"
fips_target() {
	local fp o=$W/fipsdst.out
	ip netns exec "$DST" "$P" target "$DA" $((PORT + 6)) "$PKI/dst.crt" \
		"$PKI/dst.key" "$PKI/trust" > "$W/fipspeer.out" 2>&1 &
	fp=$!
	for _ in $(seq 50); do
		grep -q listening "$W/fipspeer.out" && break
		sleep 0.1
	done
	ip netns exec "$SRC" "$L" migrate --cert "$PKI/src.crt" --key "$PKI/src.key" \
		--trust-dir "$PKI/trust" --port $((PORT + 6)) --timeout 15 \
		ref "$DA:ref-t" > "$o" 2>&1
	rc=$?
	wait "$fp" || { say "fipspeer: $(cat "$W/fipspeer.out")"; return 1; }
	grep -i fips "$o" | sed 's/^/#   /'
	expect_fail "$rc" 5 "FIPS mode mismatch: the source is not in FIPS mode, the target is" "$o" &&
		grep -q "the source hung up" "$W/fipspeer.out" && intact ref "$refsum"
}
check "FIPS mismatch: a migrate not in FIPS mode refuses a target in FIPS mode" fips_target

# serve --on-receive: the operator's command runs once the target domain
# exists (its device node there), before the data, with the names in its
# environment.
on_receive() {
	local out=$W/hook.out
	serve_start hook 8103 --on-receive \
		"[ -e \"\$LDM_DEVICE\" ] && echo \"\$LDM_DOMAIN \$LDM_SOURCE \$LDM_DEVICE\" > $out" ||
		return 1
	newdom hk 8M
	migrate --port 8103 hk "$DA:hk-t" > "$W/hk.out" 2>&1 || { sed 's/^/#   /' "$W/hk.out"; return 1; }
	for _ in $(seq 50); do
		[ -s "$out" ] && break
		sleep 0.1
	done
	say "hook: $(cat "$out" 2>/dev/null)"
	[ "$(cat "$out" 2>/dev/null)" = "hk-t hk /dev/ldm/hk-t" ] && same hk hk-t
}
check "serve --on-receive runs the operator's command with the new domain, before its data" on_receive

# ---- codecs and the convergence forecast ----

# jnum FILE KEY: a number from the "done" event.
jnum() { grep '"event":"done"' "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

migrate --compress zstd ref "$DA:ref-t" > "$W/zstd.out" 2>&1
expect_fail $? 2 "invalid --compress 'zstd': auto, lzjb, lz4 or none" "$W/zstd.out" &&
	! exists ref-t
tap $? "--compress with an unknown codec is a usage error naming it"

# forced CODEC: only that codec's records; the target matches.
forced() {
	local c=$1 o=$W/forced-$1.out lzjb lz4 raw
	newdom "f$c" 8M
	migrate -j --no-force --compress "$c" "f$c" "$DA:f$c-t" > "$o" 2>&1 ||
		{ sed 's/^/#   /' "$o"; return 1; }
	same "f$c" "f$c-t" || return 1
	lzjb=$(jnum "$o" pages_lzjb) lz4=$(jnum "$o" pages_lz4)
	raw=$(jnum "$o" pages_raw)
	say "--compress $c: lzjb $lzjb lz4 $lz4 raw $raw"
	grep -q '"event":"codec"' "$o" && { say "a forced codec changed"; return 1; }
	case $c in
	lzjb) [ "$lzjb" -gt 0 ] && [ "$lz4" = 0 ] ;;
	lz4) [ "$lz4" -gt 0 ] && [ "$lzjb" = 0 ] ;;
	none) [ "$lz4" = 0 ] && [ "$lzjb" = 0 ] && [ "$raw" -gt 0 ] ;;
	esac
}
check "--compress lzjb, lz4, none (and --no-force when it fits): that codec only, targets identical" \
	eval 'forced lzjb && forced lz4 && forced none'

# On a link far slower than the compressors, auto tries each codec and
# settles on one that compresses.
auto_slow() {
	local o=$W/auto.out last
	newdom auto 32M
	migrate -j --bandwidth 2M auto "$DA:auto-t" > "$o" 2>&1 ||
		{ sed 's/^/#   /' "$o"; return 1; }
	same auto auto-t || return 1
	grep '"event":"codec"' "$o" | sed 's/^/#   /'
	last=$(grep '"event":"codec"' "$o" | tail -n 1 |
	       sed -n 's/.*"codec":\([0-9]*\).*/\1/p')
	# LZ4 first, then at least LZJB tried; LZJB (1) or LZ4 (2) kept, not
	# none (3), which the full ring rules out or its trial loses.
	[ "$(jnum "$o" codec_switches)" -ge 1 ] && { [ "$last" = 1 ] || [ "$last" = 2 ]; }
}
check "--compress auto on a 2 MB/s link measures every codec and keeps a compressing one" auto_slow

# --no-force: a guest dirtying faster than a 1 MB/s link carries cannot
# meet 1 ms; refused after the first round, never suspended.
noforce() {
	local o=$W/noforce.out gp rc
	newdom nf 8M
	"$G" dirty nf 3000 0 > "$W/nf.guest" &
	gp=$!
	sleep 1
	migrate -j --no-force --bandwidth 1M --downtime-limit 1 nf "$DA:nf-t" > "$o" 2>&1
	rc=$?
	grep '"event":"forecast"' "$o" | sed 's/^/#   /'
	# The guest still runs: never suspended.
	kill -0 "$gp" 2>/dev/null || { say "the guest is gone"; rc=99; }
	kill "$gp" 2>/dev/null
	wait "$gp" 2>/dev/null
	expect_fail "$rc" 5 "no-force: cannot meet --downtime-limit 1 ms" "$o" &&
		grep -q '"event":"forecast".*"fits":0' "$o" &&
		gone nf-t && test "$(state nf)" = active
}
check "--no-force refuses a migration whose forecast misses the downtime limit; the source never stops" noforce
check "the refused source still verifies (its guest's pages are its own)" \
	eval '"$G" verify nf >/dev/null'

# ---- failures: the source runs on, intact; the target keeps nothing ----

# start_slow NAME: a migration slowed to 1 MB/s, in the background.
start_slow() {
	newdom "$1" 32M
	eval "sum_$1=\$(sum $1)"
	migrate -j --bandwidth 1M "$1" "$DA:$1-t" > "$W/$1.out" 2>&1 &
	echo $! > "$W/$1.mpid"
	# Wait until data flows (the target's marker exists, a round started).
	for _ in $(seq 100); do
		[ -f "/run/ldm/incoming/$1-t" ] && grep -q '"event":"round"' "$W/$1.out" &&
			{ sleep 1; return 0; }
		sleep 0.1
	done
	say "the migration of $1 did not start"
	return 1
}
after_failure() { # NAME WANT-EXIT PATTERN
	local rc
	finish "$1"
	rc=$?
	expect_fail "$rc" "$2" "$3" "$W/$1.out" && gone "$1-t" &&
		intact "$1" "$(eval echo "\$sum_$1")"
}

start_slow killed
kill -9 "$(cat "/run/ldm/incoming/killed-t")"
after_failure killed 1 "the source domain is intact"
tap $? "the target's migration process killed mid-round: source intact, target domain discarded"

start_slow cancelled
"$L" cancel-operation migration cancelled > "$W/cancel.out" 2>&1
rc=$?
after_failure cancelled 6 "cancelled"
tap $? "cancel-operation mid-round: source intact, target domain discarded"
check "cancel-operation says it cancelled" \
	test "$rc" = 0 -a "$(grep -c 'cancelled the migration' "$W/cancel.out")" = 1

start_slow killsrc
# The ldmctl process itself (ip netns exec may stand between).
pkill -9 -f "ldmctl migrate .* killsrc $DA:killsrc-t"
finish killsrc
rc=$?
[ "$rc" = 137 ] && gone killsrc-t && intact killsrc "$sum_killsrc" &&
	"$L" remove-domain killsrc
tap $? "ldmctl migrate killed mid-round: its kernel session ends, source intact and removable, target discarded"

start_slow cut
netns_link down
after_failure cut 1 "intact"
tap $? "the link cut mid-round: source intact, target domain discarded"
netns_link up


"$L" cancel-operation migration nothing > "$W/c2.out" 2>&1
expect_fail $? 1 "no migration" "$W/c2.out"
tap $? "cancel-operation with nothing to cancel says so"

# A "target" that accepts the connection and never speaks TLS: the dry
# run waits in its handshake, and a cancel must end that wait at once
# (not at --timeout 15).
sleep 60 | ip netns exec "$DST" busybox nc -l -p 8109 > /dev/null 2>&1 &
echo $! > "$W/mute.pid"
sleep 0.5
migrate -n --port 8109 ref "$DA:ref-t" > "$W/c3.out" 2>&1 &
mp=$!
sleep 1.5
t0=$(date +%s%N)
"$L" cancel-operation migration ref > /dev/null 2>&1
wait "$mp"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
say "the handshake ended ${ms} ms after the cancel"
kill "$(cat "$W/mute.pid")" 2>/dev/null
pkill -f "busybox nc -l -p 8109" 2>/dev/null
expect_fail "$rc" 6 "cancelled during the TLS handshake" "$W/c3.out" &&
	[ "$ms" -lt 4000 ] && ! exists ref-t && intact ref "$refsum"
tap $? "cancel-operation during a dry run's TLS handshake ends it at once; nothing changes"

# Cancel in the final round: the domain was suspended (its guest's writes
# wait); the cancel resumes it, the guest goes on, the target is dropped.
final_cancel() {
	local gp rc
	newdom fc 32M
	"$G" dirty fc 2000 0 > "$W/fc.guest" &
	gp=$!
	sleep 1
	migrate -j --bandwidth 1M --max-rounds 1 fc "$DA:fc-t" > "$W/fc.out" 2>&1 &
	echo $! > "$W/fc.mpid"
	for _ in $(seq 600); do
		grep -q '"event":"suspended"' "$W/fc.out" && break
		sleep 0.1
	done
	grep -q '"event":"suspended"' "$W/fc.out" || { say "never suspended"; kill "$gp"; return 1; }
	test "$(state fc)" = suspended || say "state $(state fc) while suspended"
	"$L" cancel-operation migration fc > /dev/null 2>&1
	finish fc
	rc=$?
	# The guest runs again: its write counter moves.
	sleep 1
	kill -0 "$gp" 2>/dev/null || { say "the guest died"; rc=99; }
	kill "$gp" 2>/dev/null
	wait "$gp" 2>/dev/null
	expect_fail "$rc" 6 "cancelled" "$W/fc.out" && gone fc-t &&
		test "$(state fc)" = active && "$G" verify fc > /dev/null
}
check "cancel-operation in the final round: the suspended source resumes, its guest runs on, the target is discarded" final_cancel

# An operator's way out of a suspension ldmctl could not settle.
"$L" add-domain held --mem 1M && selftests/ldm_dom state held 2 &&
	[ "$(state held)" = suspended ] && "$L" resume-domain held &&
	[ "$(state held)" = active ]
tap $? "resume-domain lets a suspended domain run again"
selftests/ldm_dom state held 2 && selftests/ldm_dom state held 3 &&
	! "$L" resume-domain held > "$W/resume.out" 2>&1 &&
	grep -q "domain was migrated away; destroy it" "$W/resume.out" &&
	"$L" remove-domain held
tap $? "resume-domain refuses a migrated domain, which can only be destroyed"

sed 's/^/# serve: /' "$W/serve.log"
[ "$fails" = 0 ]
