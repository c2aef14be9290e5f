#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_resume.sh: TAP tests of 'ldmctl migrate --reconnect' between the
# lab's two hosts:
#
#   make && lab/run --timeout 900 -- selftests/ldm_resume.sh
#
# The veth goes down past the source's --timeout, and comes back within
# its --reconnect, at each moment of pre-copy a cable may choose:
#
#   - two thirds into round 0 (streaming): the source reconnects, the
#     target says which pages it has (LDM_IOC_APPLIED), and only the rest
#     is sent again;
#   - while the source waits for round 0's acknowledgement: the target's
#     control packets are dropped (tc) from the round's start, so that the
#     acknowledgement is surely lost, and the link goes down once the
#     round is sent (the round_sent event); the wait's silence is a loss,
#     the target has the whole round, nothing of it is sent again;
#   - for longer than --reconnect: the migration fails, the source domain
#     is intact and the target discards its half-made one.
#
#   - while the source waits for the target QEMU (--qmp, QEMU_READY),
#     the guest running on: ldm_fakeqmp.py stands for the source QEMU and
#     a serve with an empty --qmp-dir for a target whose QEMU never comes,
#     so the migration resumes and then fails for the missing QEMU, the
#     source intact (finishing it needs a QEMU on each side: ldm_sparc_*).
#
# This scenario found a ring bug: in about a quarter of its runs the
# target refused a round-0 batch as failing authentication. With the ring
# full (--bandwidth), one freed slot woke every waiting worker and two
# could take it, the second writing over a slot still being sent. Fixed in
# ring.c (the check and the taking are one step); ldm_migrate_test's
# full_ring_slots_stay_put_until_released catches it in the module alone.
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
. "$(dirname "$0")/migrate_lib.sh"

echo "1..10"
check "set up the two hosts" netns_setup
check "make the certificates" make_pki
check "serve on $DA:$PORT (certificates)" serve_start serve "$PORT"

# --reconnect: the link goes down for 14 s (past --timeout 10; 5 s were
# too few for a cold lab VM's first WELCOME under load) two thirds
# into round 0; the source reconnects, learns what the target already has and
# resends only the rest: the resend round is far smaller than round 0.
resume_link() {
	local o=$W/resume.out p=0 r0 r1 rc
	newdom rsm 64M
	migrate -j --bandwidth 2M --reconnect 50 --timeout 10 rsm "$DA:rsm-t" > "$o" 2>&1 &
	echo $! > "$W/rsm.mpid"
	for _ in $(seq 600); do
		p=$(grep '"event":"progress"' "$o" | tail -n 1 |
		    sed -n 's/.*"percent":\([0-9]*\).*/\1/p')
		[ "${p:-0}" -ge 65 ] && break
		sleep 0.1
	done
	say "cutting the link at ${p:-?}% of round 0"
	# Longer than the source's --timeout: it must notice and reconnect.
	netns_link down
	sleep 14
	netns_link up
	finish rsm
	rc=$?
	grep -E '"event":"(round|lost|resumed|done)"' "$o" | sed 's/^/#   /'
	[ "$rc" = 0 ] || { sed 's/^/#   /' "$o"; return 1; }
	same rsm rsm-t || return 1
	grep -q '"event":"resumed"' "$o" || { say "no resume"; return 1; }
	r0=$(grep '"event":"round"' "$o" | sed -n '1s/.*"pages":\([0-9]*\).*/\1/p')
	r1=$(grep -A100 '"event":"resumed"' "$o" | grep '"event":"round"' |
	     sed -n '1s/.*"pages":\([0-9]*\).*/\1/p')
	say "round 0: $r0 pages; the resend after the reconnect: $r1 pages"
	[ -n "$r0" ] && [ -n "$r1" ] && [ "$r1" -lt $((r0 * 6 / 10)) ]
}
check "--reconnect: the link down mid-round 0, the migration resumes and resends only what the target lacks" resume_link
grep -q "resumed 'rsm-t' after round 0 was cut" "$W/serve.log"
tap $? "the target kept the half-made domain and resumed it"

# wait_for FILE PATTERN SECONDS: PATTERN (grep -E) shows in FILE in time.
wait_for() {
	for _ in $(seq $(($3 * 10))); do
		grep -qE "$2" "$1" && return 0
		sleep 0.1
	done
	say "no '$2' in $1 within $3 s"
	return 1
}

# acks_drop on|off: the target's messages on the first control
# connection (from port $PORT: the ROUND_ACKs) dropped at its eth0, or
# not. Its TCP acknowledgements (IP packets under 64 bytes) pass, so that
# the source's kernel sees a live peer and only the message is missing.
acks_drop() {
	local tcf=(ip netns exec "$DST" tc filter add dev eth0 egress protocol ip)
	if [ "$1" = on ]; then
		ip netns exec "$DST" tc qdisc add dev eth0 clsact &&
			"${tcf[@]}" prio 1 u32 match ip sport "$PORT" 0xffff \
				match u16 0 0xffc0 at 2 action ok &&
			"${tcf[@]}" prio 2 u32 match ip sport "$PORT" 0xffff \
				action drop
	else
		ip netns exec "$DST" tc qdisc del dev eth0 clsact
	fi
}

# Longer than --reconnect: the link goes down in round 0 and stays down
# until the source gave up; it fails, its domain intact. (The target's
# discarding of its half-made domain, 60 s later, is checked at the end.)
long_cut() {
	local o=$W/long.out rc s
	newdom rlong 32M
	s=$(sum rlong)
	migrate -j --bandwidth 2M --reconnect 4 --timeout 3 rlong "$DA:rlong-t" > "$o" 2>&1 &
	echo $! > "$W/rlong.mpid"
	wait_for "$o" '"event":"round"' 30 || return 1
	sleep 2
	netns_link down
	finish rlong
	rc=$?
	netns_link up
	grep -E '"event":"(round|lost|resumed|error)"' "$o" | sed 's/^/#   /'
	grep -q '"event":"lost"' "$o" || { say "no loss seen"; return 1; }
	! grep -q '"event":"resumed"' "$o" || { say "resumed?"; return 1; }
	expect_fail "$rc" 1 "could not resume within --reconnect" "$o" &&
		intact rlong "$s"
}
check "--reconnect: a cut longer than --reconnect fails, the source domain intact" long_cut

# The link cut while the source waits for round 0's acknowledgement: the
# acknowledgement is dropped, and 2.5 s into the wait (its --timeout 8:
# the wait's own deadline, not the kernel's TCP_USER_TIMEOUT, must see
# the loss; the source's keepalive probe at 2 s was answered) the link
# goes down for 10 s.
ack_cut() {
	local o=$W/ack.out rc r1
	newdom rack 32M
	# Round 0 takes about 10 s: time for tc to drop its acknowledgement.
	migrate -j --bandwidth 1M --reconnect 30 --timeout 8 rack "$DA:rack-t" > "$o" 2>&1 &
	echo $! > "$W/rack.mpid"
	wait_for "$o" '"event":"round"' 30 || return 1
	acks_drop on || { say "tc cannot drop"; return 1; }
	if ! wait_for "$o" '"event":"round_sent"' 60; then
		acks_drop off
		return 1
	fi
	sleep 2.5
	say "round 0 sent, its acknowledgement dropped: the link goes down for 10 s"
	netns_link down
	acks_drop off
	sleep 10
	netns_link up
	finish rack
	rc=$?
	grep -E '"event":"(round|round_sent|lost|resumed|done|error)"' "$o" | sed 's/^/#   /'
	grep '"event":"note"' "$o" | grep -E 'lost|resumed' | sed 's/^/#   /'
	[ "$rc" = 0 ] || { sed 's/^/#   /' "$o"; return 1; }
	same rack rack-t || return 1
	# Lost in round 0's acknowledgement wait: after round_sent, before
	# any round 1, for the acknowledgement's silence.
	grep -E '"event":"(round|round_sent|lost)"' "$o" | head -n 3 | tr -d '\n' |
		grep -qE '"round_sent","round":0.*"lost","round":0' ||
		{ say "not lost in the acknowledgement's wait"; return 1; }
	grep '"event":"note"' "$o" | grep -q "acknowledgement did not come" ||
		{ say "not lost for the acknowledgement"; return 1; }
	# The target had all of round 0: the resend carries none of it.
	r1=$(grep -A100 '"event":"resumed"' "$o" | grep '"event":"round"' |
	     sed -n '1s/.*"pages":\([0-9]*\).*/\1/p')
	say "the resend after the reconnect: ${r1:-?} pages"
	[ -n "$r1" ] && [ "$r1" -lt 64 ]
}
check "--reconnect: the link down while the source waits for a round's acknowledgement, the migration resumes" ack_cut
grep -q "resumed 'rack-t' after round 0 was cut" "$W/serve.log"
tap $? "the target resumed at the round whose acknowledgement was lost"

# The link cut while the source waits for the target QEMU: the silence
# of the target (its kernel no longer acknowledges the source's PINGs) is
# a loss; after the resume the source waits again, and fails only for
# the QEMU that never came.
qemu_cut() {
	local o=$W/qemu.out rc s q
	# Sockets on a local file system ($W may be the lab's 9p export).
	q=$(mktemp -d /run/ldm_resume.XXXXXX) || return 1
	serve_start serveq 8109 --qmp-dir "$q" || return 1
	python3 selftests/ldm_fakeqmp.py "$q/src.qmp" > "$W/fakeqmp.log" 2>&1 &
	echo $! > "$W/fakeqmp.gpid"
	for _ in $(seq 100); do [ -S "$q/src.qmp" ] && break; sleep 0.1; done
	newdom rq 16M
	s=$(sum rq)
	migrate -j --port 8109 --qmp "$q/src.qmp" --reconnect 30 --timeout 6 \
		rq "$DA:rq-t" > "$o" 2>&1 &
	echo $! > "$W/rq.mpid"
	wait_for "$o" 'waiting for the target QEMU' 60 || return 1
	sleep 1
	say "the source waits for the target QEMU: the link goes down for 12 s"
	netns_link down
	sleep 12
	netns_link up
	finish rq
	rc=$?
	grep -E '"event":"(round|lost|resumed|error)"' "$o" | sed 's/^/#   /'
	grep '"event":"note"' "$o" | grep -E 'lost|resumed|QEMU' | sed 's/^/#   /'
	grep '"event":"note"' "$o" |
		grep -q "lost the target.*while waiting for the target QEMU" ||
		{ say "not lost while waiting for the target QEMU"; return 1; }
	grep -q '"event":"resumed"' "$o" || { say "no resume"; return 1; }
	[ "$(grep -c 'waiting for the target QEMU on' "$o")" -ge 2 ] ||
		{ say "the target QEMU was not awaited again"; return 1; }
	expect_fail "$rc" 1 "no target QEMU came up" "$o" && intact rq "$s" &&
		gone rq-t 30
}
check "--reconnect --qmp: the link down while the source waits for the target QEMU, the migration resumes (then fails for want of the QEMU, the source intact)" qemu_cut

check "the target discards the domain of a source that never came back" gone rlong-t 90

sed 's/^/# serve: /' "$W/serve.log"
[ "$fails" = 0 ]
