#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ldm_sparc_migrate.sh: TAP test of a whole live migration of a real
# guest: a QEMU SPARCstation 5 (OpenBIOS) whose RAM is an ldm domain moves
# from the lab's source "host" (namespace ldm-src) to its target (ldm-dst)
# and runs on there, with the state it had.
#
#   make && lab/run --timeout 900 -- selftests/ldm_sparc_migrate.sh
#
# The source guest boots on /dev/ldm/sparc-src and a Forth constant is
# defined on its console. 'ldmctl serve --qmp-dir Q' runs on the target;
# once serve has created /dev/ldm/sparc-dst the test starts the target
# QEMU on it with '-incoming defer -S' and its QMP socket at
# Q/sparc-dst.qmp; serve arms it for the device state and says so, and
# only then does the source suspend its guest. 'ldmctl migrate --qmp
# SOCKET --verify' moves the RAM through ldm and QEMU's device state
# (x-ignore-shared: no RAM) over the migration's TLS connection; serve
# loads it into the target QEMU and resumes it after the commit. The
# constant is then read back on the TARGET's console; the source QEMU must
# be stopped (postmigrate) and the source domain marked migrated. In that
# migration a cancel comes once the commit was asked for: too late, it
# goes through. Before it: a target whose QEMU never comes (the source
# gives up before suspending: its QEMU runs on, the target holds no
# domain); and a target killed after it was asked to commit: the outcome
# is unknown, so the source stays suspended and its QEMU stopped until the
# operator resumes them by hand. About 2 minutes under TCG, most of it the
# guest's boot. Environment: LDMCTL, SPARC_BOOT_TIMEOUT (default 400 s),
# LAB_OUT (logs are copied there).
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
if [ ! -d /sys/module/ldm ]; then
	echo "1..0 # SKIP ldm.ko is not loaded"
	exit 0
fi
. lab/sparc.sh
. lab/netns.sh
. lab/pki.sh

L=${LDMCTL:-$PWD/tools/ldmctl/ldmctl}
SRC=sparc-src
DST=sparc-dst
PORT=8111
VALUE=4242
W=$(mktemp -d /tmp/ldm-sparc-migrate.XXXXXX)	# tmpfs: FIFOs, sockets
PKI=$W/pki
Q=$W/qmp	# serve --qmp-dir
S=$W/src	# the source guest's handle
T=$W/dst	# the target guest's handle
mkdir -p "$Q" "$S" "$T"
chmod 700 "$W" "$Q"

state() { "$L" -j list "$1" 2>/dev/null | sed -n 's/.*"state": "\([a-z]*\)".*/\1/p'; }

wait_for() { # FILE PATTERN [TENTHS]: until PATTERN is in FILE (grep -q)
	_i=0
	until grep -q -- "$2" "$1" 2>/dev/null || [ "$_i" -ge "${3:-1200}" ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	grep -q -- "$2" "$1" 2>/dev/null
}

# serve_qmp NAME PORT QMP-DIR [ARGS...]: ldmctl serve --qmp-dir QMP-DIR on
# the target host, logged in $W/NAME.log (its pid in $W/NAME.pid); true
# once it listens.
serve_qmp() {
	_n=$1 _port=$2 _q=$3
	shift 3
	ip netns exec "$LDM_DST_NS" "$L" serve --listen "$LDM_DST_ADDR:$_port" \
		--cert "$PKI/dst.crt" --key "$PKI/dst.key" --trust-dir "$PKI/trust" \
		--qmp-dir "$_q" "$@" 2> "$W/$_n.log" &
	echo $! > "$W/$_n.pid"
	wait_for "$W/$_n.log" listening 100
}

# source_runs_on WHAT: the source QEMU running, its domain active, and
# ldmval still there on its console.
source_runs_on() {
	st=$(sparc_status "$S")
	sst=$(state "$SRC")
	out=$(sparc_type "$S" "decimal ldmval . hex" 60)
	echo "$out" | sed 's/^/# source: /'
	[ "$st" = running ] && [ "$sst" = active ] && case $out in *"$VALUE "*) true ;; *) false ;; esac
	tap $? "$1: QEMU '$st', domain '$sst', ldmval intact"
}

cleanup() {
	# nothing may stay stopped (SIGSTOP) by the tests below
	for _p in "$(sparc_pid "$W/lost")" "$(sparc_pid "$T")" \
		"$(cat "$W/migrate.pid" 2>/dev/null)"; do
		[ -n "$_p" ] && kill -CONT "$_p" 2>/dev/null
	done
	[ -f "$W/migrate.pid" ] && kill "$(cat "$W/migrate.pid")" 2>/dev/null
	[ -f "$W/watch.pid" ] && kill "$(cat "$W/watch.pid")" 2>/dev/null
	[ -f "$W/serve.pid" ] && kill "$(cat "$W/serve.pid")" 2>/dev/null
	[ -f "$W/serve-noqemu.pid" ] && kill "$(cat "$W/serve-noqemu.pid")" 2>/dev/null
	[ -f "$W/serve-lost.pid" ] && kill "$(cat "$W/serve-lost.pid")" 2>/dev/null
	sparc_stop "$T" 2>/dev/null
	sparc_stop "$W/lost" 2>/dev/null
	sparc_stop "$S" 2>/dev/null
	wait 2>/dev/null
	"$L" remove-domain "$DST" >/dev/null 2>&1
	"$L" remove-domain "$SRC" >/dev/null 2>&1
	"$L" remove-domain sparc-nope >/dev/null 2>&1
	"$L" remove-domain sparc-lost >/dev/null 2>&1
	netns_teardown >/dev/null 2>&1
	if [ -n "${LAB_OUT:-}" ]; then
		sparc_save "$S" "$LAB_OUT/ldm_sparc_migrate.src"
		sparc_save "$T" "$LAB_OUT/ldm_sparc_migrate.dst"
		for f in serve.log serve-noqemu.log serve-lost.log migrate.out \
			fail.out lost.out cancel.out; do
			cp "$W/$f" "$LAB_OUT/ldm_sparc_migrate.$f" 2>/dev/null
		done
	fi
	rm -rf "$W"
}
trap cleanup EXIT

echo "1..17"
t0=$(date +%s)

netns_setup && mkhosts "$L"
tap $? "two hosts ($LDM_SRC_NS, $LDM_DST_NS) with certificates"

"$L" remove-domain "$DST" >/dev/null 2>&1
"$L" remove-domain "$SRC" >/dev/null 2>&1
ip netns exec "$LDM_SRC_NS" "$L" add-domain "$SRC" --mem 64M &&
	sparc_wait_node "/dev/ldm/$SRC" 5 &&
	sparc_start "$S" "/dev/ldm/$SRC" &&
	sparc_wait_prompt "$S" "${SPARC_BOOT_TIMEOUT:-400}"
tap $? "the source guest boots OpenBIOS on /dev/ldm/$SRC"
say "boot took $(($(date +%s) - t0)) s"

out=$(sparc_type "$S" "decimal $VALUE constant ldmval hex" 60) &&
	out=$(sparc_type "$S" "decimal ldmval . hex" 60)
echo "$out" | sed 's/^/# source: /'
case $out in
*"$VALUE "*) tap 0 "the source guest defines the Forth constant ldmval = $VALUE" ;;
*) tap 1 "the source guest defines the Forth constant ldmval = $VALUE" ;;
esac

# ---- a failure before the suspension: the target's QEMU never comes ----
# The source waits for the target QEMU before it suspends anything; after
# its --timeout it gives up, its guest never stopped.
mkdir -p "$W/noqemu"
serve_qmp serve-noqemu $((PORT + 1)) "$W/noqemu" --timeout 5
ip netns exec "$LDM_SRC_NS" "$L" migrate --cert "$PKI/src.crt" \
	--key "$PKI/src.key" --trust-dir "$PKI/trust" --port $((PORT + 1)) \
	--timeout 15 --qmp "$S/qmp.sock" "$SRC" "$LDM_DST_ADDR:sparc-nope" \
	> "$W/fail.out" 2>&1
rc=$?
sed 's/^/#   /' "$W/fail.out"
[ "$rc" = 1 ] && grep -q "no target QEMU came up for 'sparc-nope'" "$W/fail.out" &&
	! grep -q "resumed on the source" "$W/fail.out"
tap $? "a target whose QEMU never comes: migrate gives up before suspending, exits 1"
kill "$(cat "$W/serve-noqemu.pid")" 2>/dev/null
wait "$(cat "$W/serve-noqemu.pid")" 2>/dev/null
rm -f "$W/serve-noqemu.pid"
sed 's/^/# serve: /' "$W/serve-noqemu.log"
source_runs_on "the source runs on"
! "$L" list sparc-nope >/dev/null 2>&1
tap $? "the target holds no half-made domain"

# ---- the outcome unknown: the target is lost once asked to commit ----
# The source is held (SIGSTOP, once its data streams are up and serve
# receives) while the target QEMU comes up and serve arms it; that QEMU is then frozen, so that serve, asked to commit, waits
# for it to load the device state; its process for the migration (serve
# forks one per migration) is killed then. Whether it committed is
# unknowable to the source, which must neither resume nor let QEMU run.
mkdir -p "$W/lostq" "$W/lost"
serve_qmp serve-lost $((PORT + 2)) "$W/lostq" --timeout 120
ip netns exec "$LDM_SRC_NS" "$L" -j migrate --cert "$PKI/src.crt" \
	--key "$PKI/src.key" --trust-dir "$PKI/trust" --port $((PORT + 2)) \
	--timeout 120 --qmp "$S/qmp.sock" "$SRC" "$LDM_DST_ADDR:sparc-lost" \
	> "$W/lost.out" 2>&1 &
mpid=$!
if wait_for "$W/serve-lost.log" "data streams bound" 1200 && kill -STOP "$mpid" &&
	sparc_start "$W/lost" /dev/ldm/sparc-lost -incoming defer -S &&
	sparc_wait_qmp "$W/lost" 120 &&
	ln -s "$W/lost/qmp.sock" "$W/lostq/sparc-lost.qmp" &&
	wait_for "$W/serve-lost.log" "ready for the device state" 1200 &&
	kill -STOP "$(sparc_pid "$W/lost")"; then
	kill -CONT "$mpid"
	wait_for "$W/lost.out" '"event":"commit"' && sleep 1
	kill -9 "$(cat /run/ldm/incoming/sparc-lost)" 2>/dev/null
else
	# Not held as planned: this migration must not go on by itself (its
	# guest would be gone for the tests below); it never got to suspend.
	say "could not hold the target QEMU up and frozen; migrate killed"
	kill -9 "$mpid"
fi
wait "$mpid"
rc=$?
grep -v '"event":"progress"' "$W/lost.out" | sed 's/^/#   /'
[ "$rc" = 7 ] && grep -q "outcome unknown: lost the target after asking it to commit" "$W/lost.out"
tap $? "the target killed after the COMMIT: migrate exits 7, outcome unknown"
st=$(sparc_status "$S")
sst=$(state "$SRC")
[ "$st" != running ] && [ -n "$st" ] && [ "$sst" = suspended ] &&
	! grep -q "QEMU resumed on the source" "$W/lost.out"
tap $? "the source stays stopped: QEMU '$st', domain '$sst'"
kill -CONT "$(sparc_pid "$W/lost")" 2>/dev/null
sparc_stop "$W/lost"
kill "$(cat "$W/serve-lost.pid")" 2>/dev/null
wait "$(cat "$W/serve-lost.pid")" 2>/dev/null
rm -f "$W/serve-lost.pid"
sed 's/^/# serve: /' "$W/serve-lost.log"
# What the operator does once they know the target never committed.
{ ! "$L" list sparc-lost >/dev/null 2>&1 || "$L" remove-domain sparc-lost; } &&
	{ [ "$(state "$SRC")" != suspended ] || "$L" resume-domain "$SRC" >/dev/null; } &&
	{ [ "$(sparc_status "$S")" = running ] || sparc_qmp "$S" '{"execute": "cont"}' >/dev/null; }
source_runs_on "resumed by hand, the source runs on"

# ---- the migration ----
serve_qmp serve "$PORT" "$Q"
tap $? "serve --qmp-dir listens on the target host"

t1=$(date +%s)
ip netns exec "$LDM_SRC_NS" "$L" migrate --cert "$PKI/src.crt" \
	--key "$PKI/src.key" --trust-dir "$PKI/trust" --port "$PORT" \
	--verify --qmp "$S/qmp.sock" "$SRC" "$LDM_DST_ADDR:$DST" \
	> "$W/migrate.out" 2>&1 &
echo $! > "$W/migrate.pid"

# The target QEMU starts once serve receives, the source held meanwhile
# (SIGSTOP) so that it cannot get ahead; once serve
# has armed the QEMU, that QEMU is frozen and the source let go. Asked to
# commit, serve then waits for the QEMU to load the device state: a cancel
# comes then, too late; the migration must go through once the QEMU runs.
(
	wait_for "$W/serve.log" "data streams bound" 1200 || exit 1
	mp=$(cat "$W/migrate.pid")
	kill -STOP "$mp"
	sparc_start "$T" "/dev/ldm/$DST" -incoming defer -S &&
		sparc_wait_qmp "$T" 120 &&
		ln -s "$T/qmp.sock" "$Q/$DST.qmp" &&
		wait_for "$W/serve.log" "ready for the device state" 1200 &&
		kill -STOP "$(sparc_pid "$T")"
	kill -CONT "$mp"
	wait_for "$W/migrate.out" "too late to cancel"
	ip netns exec "$LDM_SRC_NS" "$L" cancel-operation migration "$SRC" \
		> "$W/cancel.out" 2>&1 &
	cpid=$!
	wait_for "$W/migrate.out" "cancel ignored" 100
	kill -CONT "$(sparc_pid "$T")"
	wait "$cpid"
	echo $? > "$W/cancel.rc"
) &
echo $! > "$W/watch.pid"

wait "$(cat "$W/migrate.pid")"
rc=$?
rm -f "$W/migrate.pid"
say "migration took $(($(date +%s) - t1)) s"
sed 's/^/#   /' "$W/migrate.out"
tap "$rc" "ldmctl migrate --qmp --verify $SRC $LDM_DST_ADDR:$DST"
wait "$(cat "$W/watch.pid")"
rm -f "$W/watch.pid"
sed 's/^/# cancel: /' "$W/cancel.out"
[ "$(cat "$W/cancel.rc" 2>/dev/null)" = 1 ] &&
	grep -q "too late: the domain had already migrated to" "$W/cancel.out" &&
	grep -q "cancel ignored" "$W/migrate.out"
tap $? "a cancel once the commit was asked for is too late: cancel-operation exits 1"

grep -q "QEMU device state: [0-9]* bytes" "$W/migrate.out" &&
	grep -q "loaded the device state" "$W/serve.log"
tap $? "QEMU's device state went through ldmctl to the target QEMU"

# serve sends 'cont' right after the commit.
sparc_wait_status "$T" running 60
tap $? "the target QEMU runs after the commit (status '$(sparc_status "$T")')"

out=$(sparc_type "$T" "decimal ldmval . hex" 60)
echo "$out" | sed 's/^/# target: /'
case $out in
*"$VALUE "*) tap 0 "the TARGET guest's console prints ldmval = $VALUE" ;;
*) tap 1 "the TARGET guest's console prints ldmval = $VALUE" ;;
esac

st=$(sparc_status "$S")
[ "$st" = postmigrate ]
tap $? "the source QEMU is stopped (status '$st')"
st=$(state "$SRC")
[ "$st" = migrated ]
tap $? "the source domain is marked migrated (state '$st')"

sed 's/^/# serve: /' "$W/serve.log"
say "total $(($(date +%s) - t0)) s"
[ "$fails" = 0 ]
