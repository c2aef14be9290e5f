#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_status.sh: TAP tests of 'ldmctl list -o status' during and after a
# real two-host migration (network namespaces ldm-src and ldm-dst,
# lab/netns.sh):
#
#   make && lab/run --timeout 600 -- selftests/ldm_status.sh
#
# A 16M domain kept dirty by selftests/ldm_guest migrates at 512 KB/s, so
# that it runs for several seconds and more than one round. While it runs,
# the table and the JSON must show it as migrate-out to the target with a
# percent from 0 to 100, and the target domain as receive-in; afterwards
# the source is migrated, with the destination as its peer. A cancelled
# migration leaves its reason in the ERROR column. The default 'list'
# output keeps its columns. While it runs the JSON also carries the
# guest's measured dirty rate (above 0: a writer runs) and the dirty limit
# in force; its done event and the human summary of another migration
# give the suspension measured against its forecast; after each
# migration (succeeded, cancelled) 'list -o status' shows the statistics
# kept in /run/ldm/migrate/NAME.last (a 'last' object, a LAST cell), and a
# .last file that is malformed or writable by others is ignored with a
# warning naming it. LDMCTL=PATH tests another build of ldmctl.
# The set-up (tools, certificates, serve, migrate) is migrate_lib.sh's.
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
. "$(dirname "$0")/migrate_lib.sh"

# migrate_bg NAME ARGS...: a slow migration of NAME to NAME-t, in the
# background ($W/NAME.mpid, output in $W/NAME.out).
migrate_bg() {
	local name=$1
	shift
	migrate -j "$@" "$name" "$DA:$name-t" > "$W/$name.out" 2>&1 &
	echo $! > "$W/$name.mpid"
}

# jfield FILE KEY: the value of KEY in the one-object JSON array in FILE.
jfield() {
	sed -n "s/^    \"$2\": \\(.*\\)\$/\\1/p" "$1" | sed 's/,$//; s/^"\(.*\)"$/\1/'
}

# lfield FILE KEY: the value of KEY in the 'last' object of FILE's one
# domain (its members are indented by six blanks).
lfield() {
	sed -n "s/^      \"$2\": \(.*\)\$/\1/p" "$1" | sed 's/,$//; s/^"\(.*\)"$/\1/'
}

# num V: V is a decimal number.
num() { case $1 in ''|*[!0-9]*) return 1 ;; esac; }

# row FILE NAME: NAME's line of a -o status table, fields split by blanks.
row() { awk -v n="$2" '$1 == n' "$1"; }


echo "1..25"
check "set up the two hosts" netns_setup
check "make a CA and the two hosts' certificates" make_pki
check "serve on $DA:$PORT" serve_start serve "$PORT"

on_src add-domain st --mem 16M && "$G" fill st >/dev/null
"$G" dirty st 600 0 > "$W/guest.out" &
gp=$!
echo "$gp" > "$W/st.gpid"
sleep 0.5

"$L" list > "$W/plain.out" 2>&1
check "plain 'list' keeps its columns" \
	grep -q '^NAME  *SIZE  *RESIDENT  *DIRTY  *STATE  *OPEN  *MAPPED$' "$W/plain.out"

# A dirty limit far above the writer's rate: in force, holding nothing.
migrate_bg st --bandwidth 512K --max-rounds 4 --downtime-limit 1 \
	--dirty-limit 100000

# Sample the status while the migration runs.
samples=0 bad=0 jsamples=0 jbad=0 tsamples=0 maxpct=-1 rounds= fc=0 fcbad=0
dr=0 drbad=0 lim=0 limbad=0
for _ in $(seq 300); do
	[ -f "$W/st.mpid" ] && kill -0 "$(cat "$W/st.mpid")" 2>/dev/null || break
	"$L" list -o status st > "$W/t.out" 2>&1
	"$L" list -o status -j st > "$W/j.out" 2>&1
	r=$(row "$W/t.out" st)
	# NAME STATE OPERATION PEER ROUND PROGRESS MB/s LEFT ETA ERROR
	set -- $r
	if [ "${3:-}" = migrate-out ]; then
		case ${6:-} in
		[0-9]%|[0-9][0-9]%|100%)
			samples=$((samples + 1))
			[ "$4" = "$DA:st-t" ] || { bad=$((bad + 1)); say "peer: $r"; }
			rounds="$rounds $5"
			;;
		-) ;;	# connecting: no session yet
		*) bad=$((bad + 1)); say "table: $r" ;;
		esac
	fi
	if [ "$(jfield "$W/j.out" operation)" = migrate-out ]; then
		p=$(jfield "$W/j.out" percent)
		case $p in
		null) ;;
		*[!0-9]*|'') jbad=$((jbad + 1)); say "json percent '$p'" ;;
		*)
			if [ "$p" -le 100 ] && [ "$(jfield "$W/j.out" peer)" = "$DA:st-t" ]; then
				jsamples=$((jsamples + 1))
				# After round 0: the convergence forecast, >= 2 rounds.
				case $(jfield "$W/j.out" forecast_rounds) in
				null) ;;
				[2-9]|[1-9][0-9]) fc=$((fc + 1)) ;;
				*) fcbad=$((fcbad + 1)) ;;
				esac
				[ "$p" -gt "$maxpct" ] && maxpct=$p
				# The guest's dirty rate, once a round measured it.
				v=$(jfield "$W/j.out" dirty_rate)
				if [ "$v" = null ]; then :
				elif num "$v" && [ "$v" -gt 0 ]; then dr=$((dr + 1))
				else drbad=$((drbad + 1)); say "dirty_rate '$v'"
				fi
				# The limit in force, and what it held (nothing).
				v=$(jfield "$W/j.out" dirty_limit)
				t=$(jfield "$W/j.out" throttled)
				if [ "$v" = 100000 ] && num "$t" &&
				   [ "$(jfield "$W/j.out" last)" = null ]; then
					lim=$((lim + 1))
				elif [ "$(jfield "$W/j.out" session)" = sending ]; then
					limbad=$((limbad + 1))
					say "dirty_limit '$v' throttled '$t'"
				fi
			else
				jbad=$((jbad + 1))
				sed 's/^/#   /' "$W/j.out"
			fi
			;;
		esac
	fi
	if [ "$tsamples" = 0 ]; then
		"$L" list -o status st-t > "$W/tt.out" 2>/dev/null
		# shellcheck disable=SC2046 # the fields, split on purpose
		set -- $(row "$W/tt.out" st-t)
		[ "${3:-}" = receive-in ] && tsamples=1
	fi
	sleep 0.2
done
say "table samples $samples (bad $bad), rounds seen:$(echo $rounds | tr ' ' '\n' | uniq | tr '\n' ' ')"
say "json samples $jsamples (bad $jbad), highest percent $maxpct"
say "last table:"
sed 's/^/#   /' "$W/t.out"
check "while it runs, 'list -o status' shows migrate-out to $DA:st-t with a percent" \
	test "$samples" -ge 2 -a "$bad" = 0
check "while it runs, 'list -o status -j' has operation, peer and percent 0..100" \
	test "$jsamples" -ge 2 -a "$jbad" = 0
check "while it runs, the target domain shows receive-in" test "$tsamples" -ge 1
say "samples with a forecast: $fc (bad $fcbad)"
check "after round 0, 'list -o status -j' carries the convergence forecast" \
	test "$fc" -ge 1 -a "$fcbad" = 0
say "samples with a dirty rate: $dr (bad $drbad); with the limit: $lim (bad $limbad)"
check "while the writer runs, 'list -o status -j' shows its dirty rate above 0" \
	test "$dr" -ge 1 -a "$drbad" = 0
check "while it runs, the dirty limit in force and the faults it held, no 'last'" \
	test "$lim" -ge 1 -a "$limbad" = 0
grep -q '^NAME .* FORECAST  *DIRTY/s  *THROTTLE  *LAST  *ERROR$' "$W/t.out"
check "the table has the DIRTY/s, THROTTLE and LAST columns" test $? = 0

finish st
rc=$?
# The guest now blocks in page_mkwrite (the domain is migrated).
kill -9 "$gp" 2>/dev/null
wait "$gp" 2>/dev/null
rm -f "$W/st.gpid"
grep '"event":"done"' "$W/st.out" | sed 's/^/#   /'
tap "$rc" "the migration succeeds"
done_ev=$(grep '"event":"done"' "$W/st.out")
# has TEXT PATTERN: TEXT matches the extended regular expression PATTERN.
has() { printf '%s\n' "$1" | grep -Eq -- "$2"; }
check "the done event has the suspension measured and its forecast, the dirty rate and limit" \
	has "$done_ev" '"suspend_ms":[0-9]+,"expected_suspend_ms":[0-9]+,.*"dirty_limit":100000,.*"dirty_rate":[1-9][0-9]*}$'
fc_ev=$(grep '"event":"forecast"' "$W/st.out" | tail -1)
say "$fc_ev"
check "the forecast events carry the dirty and send rates" \
	has "$fc_ev" '"dirty_rate":[0-9]+,"send_rate":[1-9][0-9]*}$'

"$L" list -o status st > "$W/t.out" 2>&1
sed 's/^/#   /' "$W/t.out"
# shellcheck disable=SC2046 # the fields, split on purpose
set -- $(row "$W/t.out" st)
check "after it, the table shows st migrated to $DA:st-t, no operation" \
	test "${2:-}" = migrated -a "${3:-}" = - -a "${4:-}" = "$DA:st-t"
"$L" list -o status -j st > "$W/j.out" 2>&1
check "after it, the JSON says migrated, operation null, no error" \
	test "$(jfield "$W/j.out" state)" = migrated -a \
	"$(jfield "$W/j.out" operation)" = null -a \
	"$(jfield "$W/j.out" peer)" = "$DA:st-t" -a \
	"$(jfield "$W/j.out" error)" = null

# The statistics kept: the done event's figures, and the end.
last_ok() { # FILE RESULT: the 'last' object of FILE, as a finished migration's
	local f=$1 v k
	[ "$(lfield "$f" result)" = "$2" ] || { say "result '$(lfield "$f" result)'"; return 1; }
	for k in end_time total_ms rounds wire_bytes pages; do
		v=$(lfield "$f" "$k")
		num "$v" || { say "$k '$v'"; return 1; }
	done
	v=$(lfield "$f" end_time)
	[ $(( $(date +%s) - v )) -lt 600 ] || { say "end_time $v"; return 1; }
}
check "after it, 'last' says succeeded, with its figures" last_ok "$W/j.out" succeeded
sus=$(echo "$done_ev" | sed -n 's/.*"suspend_ms":\([0-9]*\),.*/\1/p')
exp=$(echo "$done_ev" | sed -n 's/.*"expected_suspend_ms":\([0-9]*\),.*/\1/p')
say "suspension $sus ms, forecast $exp ms; last: $(lfield "$W/j.out" suspend_ms) ms, $(lfield "$W/j.out" expected_suspend_ms) ms"
check "'last' has the done event's suspension, its forecast, the dirty rate and limit" \
	test "$(lfield "$W/j.out" suspend_ms)" = "$sus" -a \
	"$(lfield "$W/j.out" expected_suspend_ms)" = "$exp" -a \
	"$(lfield "$W/j.out" dirty_limit)" = 100000 -a \
	"$(lfield "$W/j.out" error)" = null -a \
	"$(lfield "$W/j.out" destination)" = "$DA:st-t" -a \
	"$(lfield "$W/j.out" dirty_rate)" -gt 0
check "after it, the table's LAST says succeeded, down N ms (forecast M ms)" \
	grep -q "succeeded in [0-9.]* s, down $sus ms (forecast $exp ms), [0-9]* rounds" "$W/t.out"

# The human summary of a quick migration: the suspension against its forecast.
newdom hs 4M
migrate hs "$DA:hs-t" > "$W/hs.out" 2>&1
rc=$?
sed 's/^/#   /' "$W/hs.out"
check "the summary shows the suspension and its forecast" \
	test "$rc" = 0 -a "$(grep -c '^  suspension:   [0-9.]* ms (forecast [0-9]* ms)$' "$W/hs.out")" = 1

# A cancelled migration leaves its reason.
on_src add-domain cx --mem 16M && "$G" fill cx >/dev/null
migrate_bg cx --bandwidth 1M
for _ in $(seq 100); do
	grep -q '"event":"round"' "$W/cx.out" && break
	sleep 0.1
done
"$L" cancel-operation migration cx > "$W/cancel.out" 2>&1
finish cx
rc=$?
"$L" list -o status -j cx > "$W/j.out" 2>&1
sed 's/^/#   /' "$W/j.out"
check "a cancelled migration: active, no operation, the reason as its error" \
	test "$rc" = 6 -a "$(jfield "$W/j.out" state)" = active -a \
	"$(jfield "$W/j.out" operation)" = null -a \
	"$(jfield "$W/j.out" error | cut -c1-11)" = "cancelled: "
cancelled_last() { # the 'last' of a migration cancelled in pre-copy
	last_ok "$W/j.out" cancelled &&
	test "$(lfield "$W/j.out" error | cut -c1-19)" = "cancelled in round " -a \
		"$(lfield "$W/j.out" suspend_ms)" = null
}
check "a cancelled migration's 'last': result cancelled, with its message" \
	cancelled_last

# A kept file that cannot be trusted is ignored, and named.
lf=/run/ldm/migrate/cx.last
cp "$lf" "$W/cx.last"
untrusted() { # WHAT: 'list -o status -j cx' warns about $lf, shows no 'last'
	"$L" list -o status -j cx > "$W/u.out" 2> "$W/u.err"
	local rc=$?
	sed 's/^/#   /' "$W/u.err"
	[ "$rc" = 0 ] && grep -q "warning: $lf ignored: $1" "$W/u.err" &&
		[ "$(jfield "$W/u.out" last)" = null ] &&
		[ "$(jfield "$W/u.out" name)" = cx ]
}
chmod 0646 "$lf"
check "a .last file writable by others is ignored with a warning" \
	untrusted "not a regular file of this user that only this user may write"
cp "$W/cx.last" "$lf.tmp" && chmod 0600 "$lf.tmp" && mv "$lf.tmp" "$lf"
printf 'result=cancelled\nend_time=yesterday\n' > "$lf"
check "a malformed .last file is ignored with a warning naming its line" \
	untrusted "malformed: line 2"

"$L" list -o status nosuch > "$W/nosuch.out" 2>&1
check "a missing name is reported, exit 1" \
	test $? = 1 -a "$(grep -c "nosuch" "$W/nosuch.out")" = 1

sed 's/^/# serve: /' "$W/serve.log"
[ "$fails" = 0 ]
