#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_serve_reload.sh: 'ldmctl serve' configured by a file (--config) and
# reloaded by SIGHUP (systemctl reload ldm-serve), in TAP, between the
# lab's two hosts (lab/netns.sh):
#
#   make && lab/run --timeout 900 -- selftests/ldm_serve_reload.sh
#
# serve gets every setting from its ldm.conf (listen address, certificate,
# key, trust directory, password check file, timeout), with its standard
# error marked as the journal's (JOURNAL_STREAM), so its lines carry their
# syslog level. Checks: a changed password check file counts after a
# SIGHUP, not before; a reload that fails (a check file open to others, a
# missing key) logs a warning and keeps what was loaded, and migrations
# still pass; a migration in flight while serve reloads, three times,
# completes byte-identical; SIGTERM still stops serve.
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
. "$(dirname "$0")/migrate_lib.sh"

echo "1..14"
check "set up the two hosts and certificates" eval 'netns_setup && make_pki'

CONF=$W/ldm.conf
LOG=$W/serve.log
start() {
	cat > "$CONF" <<-EOF
	# every setting of this serve
	cert = $PKI/dst.crt
	key = $PKI/dst.key
	trust-dir = $PKI/trust
	timeout = 15
	[serve]
	listen = $DA:$PORT
	password-file = $PKI/check
	EOF
	chmod 600 "$CONF"
	: > "$LOG"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$LOG") \
		ip netns exec "$DST" "$L" serve --config "$CONF" 2>> "$LOG" &
	echo $! > "$W/serve.pid"
	for _ in $(seq 200); do
		grep -q listening "$LOG" && return 0
		sleep 0.1
	done
	sed 's/^/#   /' "$LOG"
	return 1
}
check "serve --config FILE: every setting from the file; it listens" start
check "under the journal, its lines start with their level (<6>, info)" \
	grep -q "^<6>ldmctl: serve: .*listening on $DA:$PORT (trust $PKI/trust, passwords accepted" "$LOG"

pw_dry() { # PWFILE: a dry run authenticated by password
	on_src migrate -n -p "$1" --trust-dir "$PKI/trust" --timeout 15 \
		pwdom "migrator@$DA:pwdom-t" > "$W/pw.out" 2>&1
}
newdom pwdom 4M
check "the password of the file's check file passes a dry run" pw_dry "$PKI/pw"

# hup PATTERN: SIGHUP serve; true once its log has one more line with
# PATTERN (within 10 s).
hup() {
	local before
	before=$(grep -c -- "$1" "$LOG")
	kill -HUP "$(cat "$W/serve.pid")" || return 1
	for _ in $(seq 100); do
		[ "$(grep -c -- "$1" "$LOG")" -gt "$before" ] && {
			grep -- "$1" "$LOG" | tail -n 1 | sed 's/^/#   /'
			return 0
		}
		sleep 0.1
	done
	say "no new '$1' in serve's log:"
	tail -n 5 "$LOG" | sed 's/^/#   /'
	return 1
}

printf 'new-pass\n' > "$W/newpw" && chmod 600 "$W/newpw"
new_check() {
	printf 'migrator:new-pass\n' > "$PKI/check.new" &&
	chmod 600 "$PKI/check.new" && mv "$PKI/check.new" "$PKI/check" || return 1
	# Not read again before the reload: the old password still passes.
	pw_dry "$PKI/pw" || { say "the old password failed before the reload"; return 1; }
	hup "reloaded: certificate $PKI/dst.crt, key $PKI/dst.key, trust $PKI/trust, password check file $PKI/check"
}
check "a new check file: the old password passes until SIGHUP; then serve logs 'reloaded'" new_check
old_refused() {
	pw_dry "$PKI/pw"
	expect_fail $? 5 "wrong password" "$W/pw.out"
}
check "after the reload the old password is refused (exit 5)" old_refused
check "after the reload the new password passes" pw_dry "$W/newpw"

bad_pw_reload() {
	chmod 644 "$PKI/check" &&
	hup "reload failed, keeping the certificates, trust and passwords loaded before: password check file $PKI/check" &&
	grep -q "^<4>ldmctl: serve: .*reload failed" "$LOG"
}
check "a check file open to others: the reload fails, a warning (<4>) says why" bad_pw_reload
check "... and the password loaded before still passes; serve runs on" \
	eval 'pw_dry "$W/newpw" && kill -0 "$(cat "$W/serve.pid")"'
chmod 600 "$PKI/check"

bad_key_reload() {
	mv "$PKI/dst.key" "$PKI/dst.key.away" &&
	hup "reload failed, keeping the certificates, trust and passwords loaded before: private key $PKI/dst.key"
	local rc=$?
	mv "$PKI/dst.key.away" "$PKI/dst.key"
	return "$rc"
}
check "the key missing: the reload fails and says so" bad_key_reload
cert_dry() {
	migrate -n pwdom "$DA:pwdom-t" > "$W/cert.out" 2>&1 ||
		{ sed 's/^/#   /' "$W/cert.out"; return 1; }
}
check "... and the certificate and key loaded before still serve a source" cert_dry

# A migration in flight while serve reloads: its process keeps its own
# context; serve's reloads touch only the next connections.
in_flight() {
	local mp rc i during=0
	newdom flight 16M || return 1
	"$G" dirty flight 200 0 > "$W/flight.guest" &
	echo $! > "$W/flight.gpid"
	migrate_cmd "$SRC" src
	# Uncompressed at 2 MB/s: 16 MiB take 8 s or more.
	"${mcmd[@]}" -j --bandwidth 2M --compress none --max-rounds 4 flight \
		"$DA:flight-t" > "$W/flight.out" 2>&1 &
	mp=$!
	echo "$mp" > "$W/flight.mpid"
	for _ in $(seq 300); do
		grep -q '"event":"round"' "$W/flight.out" && break
		sleep 0.1
	done
	for i in 1 2 3; do
		kill -0 "$mp" 2>/dev/null || break
		hup "reloaded" || say "reload $i not logged"
		# Reloaded while the migration still ran:
		kill -0 "$mp" 2>/dev/null && during=$((during + 1))
		sleep 1
	done
	finish flight
	rc=$?
	kill -9 "$(cat "$W/flight.gpid")" 2>/dev/null
	wait "$(cat "$W/flight.gpid")" 2>/dev/null
	rm -f "$W/flight.gpid"
	grep '"event":"done"' "$W/flight.out" | sed 's/^/#   /'
	[ "$rc" = 0 ] || { say "migrate exit $rc"; sed 's/^/#   /' "$W/flight.out"; return 1; }
	[ "$during" = 3 ] || { say "only $during reloads happened during the migration"; return 1; }
}
check "a migration (2 MB/s, guest writing) reloaded three times in flight completes" in_flight
check "... byte-identical to the suspended source" same flight flight-t

stop() {
	local p
	p=$(cat "$W/serve.pid")
	kill "$p" && wait "$p"
	rm -f "$W/serve.pid"
	grep -q "stopped" "$LOG"
}
check "SIGTERM still stops serve" stop

[ "$fails" = 0 ]
