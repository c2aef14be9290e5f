#!/bin/sh
# lab/sparc-linux-pause.sh: boot the SPARC Linux guest, prove its pause
# meter against QEMU's, and check its integrity.
#
# usage: lab/sparc-linux-pause.sh [PAUSE-SECONDS...]     (default: 1 3 5)
#
#   make sparc-linux && lab/sparc-linux-pause.sh            # natively
#   make sparc-linux && lab/run --timeout 2400 -- lab/sparc-linux-pause.sh
#
# Natively the guest's RAM is a plain 256 MiB file (a temporary directory);
# in the lab (LAB=1, ldm.ko loaded) it is an ldm domain,
# /dev/ldm/sparc-linux. The guest's clock for its pause meter is the
# host's, served over its console by lab/sparc-clock.py (guest/meter.c).
#
# Once the guest says "ready", for each PAUSE-SECONDS: wait for a status
# line (the guest runs), then stop the guest for that long over QMP
# (sparc_pause: QEMU's own STOP and RESUME event times give the length
# QEMU was stopped), then wait for the guest's "gap N ms (+-E ms ...)"
# line. A pause passes when the guest's figure is within E +
# SPARC_GAP_TOL_MS (default 50) ms of QEMU's. Finally "status" is typed
# on the console and the answer must say "integrity ok". Prints the boot
# times and a table; exits 0 when all passed.
#
# Environment: SPARC_APPEND (the guest's options, default
# "ldm.mem=64 ldm.rate=500 ldm.threads=2 ldm.cache=8"), SPARC_BOOT_TIMEOUT
# (seconds to "ready", default 1200), LDMCTL; the console is kept in
# $LAB_OUT (the lab) or build/sparc-linux/ (natively) as
# sparc-linux-pause.console.log.
set -u

cd "$(dirname "$0")/.." || exit 1
# shellcheck source=lab/sparc.sh
. lab/sparc.sh

append=${SPARC_APPEND:-ldm.mem=64 ldm.rate=500 ldm.threads=2 ldm.cache=8}
boot_timeout=${SPARC_BOOT_TIMEOUT:-1200}
tol=${SPARC_GAP_TOL_MS:-50}
pauses=${*:-1 3 5}
ldmctl=${LDMCTL:-$PWD/tools/ldmctl/ldmctl}
name=sparc-linux
for n in $pauses; do
	case $n in
	''|*[!0-9]*) echo "lab/sparc-linux-pause.sh: pause '$n': whole seconds, please" >&2
		exit 2 ;;
	esac
done

W=$(mktemp -d /tmp/ldm-sparc-linux.XXXXXX)
G=$W/guest
domain=
if [ "${LAB:-}" = 1 ]; then
	logdir=${LAB_OUT:-$W}
else
	logdir=build/sparc-linux
	mkdir -p "$logdir"
fi
# shellcheck disable=SC2317 # called from the trap below
cleanup() {
	sparc_stop "$G" 2>/dev/null
	cp "$G/console.log" "$logdir/sparc-linux-pause.console.log" 2>/dev/null
	cp "$G/qemu.log" "$logdir/sparc-linux-pause.qemu.log" 2>/dev/null
	[ -z "$domain" ] || "$ldmctl" remove-domain "$name" >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail=0
if [ "${LAB:-}" = 1 ]; then
	[ -d /sys/module/ldm ] || { echo "ldm.ko is not loaded" >&2; exit 1; }
	"$ldmctl" remove-domain "$name" >/dev/null 2>&1
	"$ldmctl" add-domain "$name" --mem 256M || exit 1
	domain=1
	i=0
	while [ ! -c "/dev/ldm/$name" ] && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	mem=/dev/ldm/$name
else
	mem=$W/ram
	truncate -s 256M "$mem" || exit 1
fi

echo "guest: $append (RAM: $mem)"
t0=$(date +%s.%N)
sparc_start_linux "$G" "$mem" "$append" || exit 1
line=$(sparc_wait_console "$G" '^ldm-guest: starting' "$boot_timeout") || exit 1
t_init=$(date +%s.%N)
echo "$line"
kinit=$(tr -d '\r' < "$G/console.log" | sed -n 's/^\[ *\([0-9.]*\)\] Run \/init.*/\1/p')
# Until "ready", the guest's lines as they come, with the host's time.
shown=0
until line=$(tr -d '\r' < "$G/console.log" |
	grep -E -m 1 '^ldm-guest: (ready|error)'); do
	sparc_running "$G" || { cat "$G/qemu.log" >&2; exit 1; }
	if [ "$(echo "$(date +%s.%N) - $t0 > $boot_timeout" | bc)" = 1 ]; then
		echo "no 'ready' after $boot_timeout s" >&2
		exit 1
	fi
	size=$(sparc_console_size "$G")
	head -c "$size" "$G/console.log" | tail -c "+$((shown + 1))" | tr -d '\r' |
		grep '^ldm-guest: ' | grep -v '^ldm-guest: meter:' |
		sed "s/^/[+$(echo "$(date +%s.%N) - $t0" | bc | cut -d. -f1) s] /"
	shown=$size
	sleep 5
done
t_ready=$(date +%s.%N)
echo "$line"
case $line in *error*) exit 1 ;; esac
boot=$(echo "$t_init - $t0" | bc)
ready=$(echo "$t_ready - $t0" | bc)
echo "boot: /init after $boot s (kernel clock: ${kinit:-?} s), ready after $ready s"

table=
for n in $pauses; do
	from=$(sparc_console_size "$G")
	st=$(sparc_wait_console "$G" '^ldm-guest: t=' 120 "$from") || { fail=1; break; }
	echo "$st"
	from=$(sparc_console_size "$G")
	qemu_ms=$(sparc_pause "$G" "$n") || { fail=1; break; }
	# The guest reports a gap as soon as it runs again: the first
	# gap line of at least half the pause after it is this pause's.
	half=$(((qemu_ms + 1) / 2))
	end=$(($(date +%s) + 120))
	until gl=$(_sparc_lines "$G/console.log" "$((from + 1))" |
		awk -v h="$half" '/^ldm-guest: gap / && $3 >= h { print; exit }') &&
		[ -n "$gl" ]; do
		if [ "$(date +%s)" -ge "$end" ] || ! sparc_running "$G"; then
			break
		fi
		sleep 1
	done
	[ -n "$gl" ] || { echo "no gap reported after a pause of $n s" >&2; fail=1; break; }
	echo "$gl"
	guest_ms=$(echo "$gl" | sed -n 's/.*gap \([0-9]*\) ms.*/\1/p')
	err_ms=$(echo "$gl" | sed -n 's/.*(+-\([0-9]*\) ms.*/\1/p')
	diff=$((guest_ms - qemu_ms))
	ad=${diff#-}
	if [ "$ad" -le $((err_ms + tol)) ]; then
		verdict=ok
	else
		verdict=FAIL
		fail=1
	fi
	table="$table
$(printf '%8s %12s %12s %8s %10s  %s' "$n" "$qemu_ms" "$guest_ms" "$diff" "+-$err_ms" "$verdict")"
done

from=$(sparc_console_size "$G")
sparc_send "$G" status
st=$(sparc_wait_console "$G" '^ldm-guest: t=' 120 "$from") || fail=1
echo "$st"
case $st in
*"integrity ok"*) ;;
*) echo "integrity: NOT ok" >&2; fail=1 ;;
esac

echo
echo "pause meter: QEMU stopped (STOP..RESUME events) vs the guest's gap"
printf '%8s %12s %12s %8s %10s  %s' "pause_s" "qemu_ms" "guest_ms" "diff_ms" "meter_ms" "verdict"
echo "$table"
echo "boot: /init after $boot s, ready after $ready s"
[ "$fail" = 0 ] && echo "sparc-linux-pause: all passed" ||
	echo "sparc-linux-pause: FAILED"
exit "$fail"
