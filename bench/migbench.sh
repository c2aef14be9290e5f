#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench/migbench.sh: whole live migrations of one SPARC guest, side by side:
# ldm against its own baseline mode and against QEMU's own migration, in
# one lab run, so that only ratios within the run need to mean anything.
#
#   lab/run --timeout 2400 --out DIR -- bench/migbench.sh   (make bench does it)
#
# Inside the lab VM, with ldm.ko loaded. Two "hosts" (lab/netns.sh: ldm-src
# 192.0.2.1 and ldm-dst 192.0.2.2) each run 'ldmctl serve'. Two guests are
# booted once and then moved back and forth between the hosts, never
# rebooted. MIGBENCH_GUEST picks them: "linux" (the default) is the SPARC
# Linux guest (make sparc-linux; 256 MiB, its workload from guest/ with
# MIGBENCH_APPEND's options), "openbios" the firmware's prompt (64 MiB),
# the quick smoke test.
#
#   guest L, RAM on an ldm domain (/dev/ldm/<name>), migrated by
#     ldm            ldmctl migrate --qmp, default options (every CPU)
#     ldm-prepared   the same into a target domain and QEMU made before
#                    the migration (migrate --prepared)
#     ldm-dl         ldm-prepared with --dirty-limit auto (the module slows
#                    the guest's writes to clean pages when the convergence
#                    forecast misses the downtime limit)
#     ldm-baseline   the same with --baseline (LDM_MIG_F_BASELINE: one
#                    worker, pages copied twice, no zero-page skip)
#     ldm-lzjb, ldm-lz4, ldm-none   --compress lzjb|lz4|none
#   guest Q, RAM on ordinary shared memory (a tmpfs file, share=on),
#   migrated by QEMU itself (-tls: over TLS, tls-creds-x509, both ends
#   verified; without: plain TCP):
#     qemu, qemu-tls             QEMU's defaults
#     qemu-mfdN-zstd[-tls]       multifd, N channels, zstd
#     qemu-xbzrle-tls            xbzrle
#     qemu-ac-tls                auto-converge
#     qemu-postcopy-tls          postcopy-ram, switched to post-copy after
#                                the second dirty sync
#
# On equal footing: QEMU's bandwidth cap (128 MiB/s by default) is lifted,
# both tools get the same downtime limit (MIGBENCH_DOWNTIME ms, 300), the
# same guest image, workload and link. Their stopping policies differ and
# are kept as they are: ldm forces its final round after --max-rounds
# (10) pre-copy rounds; QEMU iterates until the rest fits the limit, and
# a migration that has not finished after MIGBENCH_TIMEOUT is cancelled
# and counted as failed ("did not converge"). QEMU's target is started
# before the migration, and so is ldm-prepared's; the other ldm methods'
# target QEMU during the migration, when serve has made its domain
# (tgt_up_s says when, tgt_wait_ms how much of the pause waited for it).
#
# The Linux guest's dirty rates (MIGBENCH_RATES: idle moderate max) are
# set on its console before each migration ("set ldm.rate=..."): idle
# writes nothing, moderate is MIGBENCH_MODERATE ("ldm.rate=20
# ldm.cacherate=1"), max MIGBENCH_MAX ("ldm.rate=max ldm.cacherate=1", as
# fast as it can). Its pause statistics are reset then ("reset"); after
# the migration its status line on the target gives the pages it really
# wrote per second, its own longest pause since the reset (guest_gap_ms,
# its heartbeat against the host's clock: lab/sparc-clock.py) and
# "integrity ok" (its checksums of everything it wrote), without which the
# migration counts as failed.
#
# The OpenBIOS guest dirties its RAM at a controlled rate: a Forth loop
# typed at the prompt writes one cell in each of N distinct pages per tick
# (cycling through a 16 MiB buffer at 8 MiB) and waits T ms between ticks,
# until a key is pressed. Rates: idle (no loop), low and high ("N T":
# MIGBENCH_LOW, MIGBENCH_HIGH); the rate reached is measured from its
# own page counter and clock; the constant ldmval typed after its boot
# must read back 4242 on the target.
#
# While one guest is measured the other is stopped (QMP stop), so that
# both never compete for the VM's two CPUs.
#
# For every migration: total time and downtime as the tool reports them
# (ldm: total_ms and suspend_ms of 'ldmctl migrate -j'; QEMU: total-time
# and downtime of query-migrate), rounds (ldm rounds; QEMU
# dirty-sync-count), bytes as the tool counts them (ldm wire_bytes; QEMU
# ram.transferred) and as the veth pair counted them (both directions),
# and CPU seconds (bench/migbench.py cpu-delta): source side (source QEMU
# without its vCPU thread, plus ldmctl migrate), target side (target QEMU
# without its vCPU thread, from the moment its QMP socket is up, plus
# ldmctl serve and its children), kernel threads (kworker, where ldm's
# workqueue runs, ksoftirqd) plus irq and softirq time, and the whole VM.
# The phases (bench/migbench.py phases; ms): setup (to the first round;
# ldm: connection, handshake, target domain), round0 (the first pass over
# RAM), later (the other pre-copy rounds and waits), final (ldm: from the
# suspension to the final round's end; QEMU: its downtime), devstate (ldm:
# QEMU's device state through ldmctl) and commit (ldm: to the end);
# ended, how pre-copy ended: ldm's final_because ("converged", "max
# rounds", "dirty rate >= send rate"), QEMU "converged" (or "postcopy"
# once switched).
# How the tool held the guest back (bench/migbench.py throttle): ldm's
# dirty limit at the end (pages/s; 0: none was set), the write faults it
# made wait and their wait in all (dirty_limit, throttled, throttle_ms of
# the done event), the pages its module saw dirtied a second in round 0
# (tool_dirty_pps), the last forecast of the final round (fc_ms, fc_fits);
# QEMU's dirty-pages-rate while active (tool_dirty_pps), auto-converge's
# highest cpu-throttle-percentage seen (throttle_pct). QEMU 7.2's own
# dirty limit (set-vcpu-dirty-limit) is probed once on guest Q after its
# boot (bench/migbench.py qemu-dirty-limit; logs/qemu-dirty-limit.log):
# it needs KVM's dirty ring, and qemu-system-sparc has TCG only.
# And one meter for every method, the guest's pause (gap_ms): from the
# source QEMU's STOP event to the target QEMU's RESUME event, as QEMU
# timestamps them on a second QMP monitor of every QEMU (one clock: both
# run in the VM), whatever the tool calls its downtime.
#
# Results: $LAB_OUT/results.csv (one line per migration; a migration that
# fails has status "failed: why" and empty figures), logs in
# $LAB_OUT/logs/. bench/migreport.py makes the table and plot from it.
# Every step has a timeout; every QEMU and serve is stopped at the end,
# also on failure or interrupt. Environment: MIGBENCH_GUEST,
# MIGBENCH_METHODS, MIGBENCH_RATES, MIGBENCH_LEGS (migrations per method
# and rate, default 2: there and back), MIGBENCH_APPEND, MIGBENCH_MODERATE,
# MIGBENCH_MAX, MIGBENCH_LOW ("16 20"), MIGBENCH_HIGH ("256 1"),
# MIGBENCH_DOWNTIME (300), MIGBENCH_WARM (seconds of dirtying before a
# migration, 3), MIGBENCH_TIMEOUT (seconds per migration, 60),
# MIGBENCH_MEM (guest RAM in MiB, 256 Linux, 64 OpenBIOS; the SS-5 takes
# 32 to 256), SPARC_BOOT_TIMEOUT (900), MIGBENCH_RAMCHECK (1: a diagnosis,
# not a measurement: QEMU's target is started with -S, and once the
# migration completed its RAM is compared page by page with the stopped
# source's, bench/migbench.py ramdiff, before "cont"; logs/ramcheck.log;
# ldm migrates with --verify, every page's checksum compared at the
# commit; the pause figures then include the comparison).
# shellcheck disable=SC2046,SC2086 # word splitting wanted ($H, helpers' output)
set -eu

cd "$(dirname "$0")/.."
prog=migbench
if [ "${LAB:-}" != 1 ] || [ "$(id -u)" != 0 ] || [ ! -d /sys/module/ldm ]; then
	echo "$prog: runs as root inside the lab VM with ldm.ko loaded:" \
		"lab/run -- bench/migbench.sh (or make bench)" >&2
	exit 2
fi
. lab/sparc.sh
. lab/netns.sh
. lab/pki.sh

L=${LDMCTL:-$PWD/tools/ldmctl/ldmctl}
H="python3 $PWD/bench/migbench.py"
GUEST=${MIGBENCH_GUEST:-linux}
case $GUEST in
linux)
	METHODS=${MIGBENCH_METHODS:-ldm ldm-prepared ldm-baseline qemu qemu-tls qemu-mfd2-zstd qemu-mfd2-zstd-tls qemu-mfd4-zstd-tls qemu-xbzrle-tls qemu-ac-tls qemu-postcopy-tls}
	RATES=${MIGBENCH_RATES:-idle moderate max}
	RAM_MIB=${MIGBENCH_MEM:-256}
	;;
openbios)
	METHODS=${MIGBENCH_METHODS:-ldm ldm-baseline qemu-tls qemu-mfd2-zstd-tls}
	RATES=${MIGBENCH_RATES:-idle low high}
	RAM_MIB=${MIGBENCH_MEM:-64}
	;;
*) echo "$prog: MIGBENCH_GUEST is linux or openbios, not '$GUEST'" >&2
   exit 2 ;;
esac
# The Linux guest's workload (guest/init.c): booted idle, each rate set
# with "set" commands on its console before a migration.
APPEND=${MIGBENCH_APPEND:-ldm.mem=8 ldm.rate=0 ldm.threads=2 ldm.cache=1 ldm.cacherate=0 ldm.report=0 ldm.gapwarn=2000}
MODERATE=${MIGBENCH_MODERATE:-ldm.rate=20 ldm.cacherate=1}
MAX=${MIGBENCH_MAX:-ldm.rate=max ldm.cacherate=1}
DOWNTIME=${MIGBENCH_DOWNTIME:-300}	# ms, both tools' limit
LEGS=${MIGBENCH_LEGS:-2}
LOW=${MIGBENCH_LOW:-16 20}
HIGH=${MIGBENCH_HIGH:-256 1}
WARM=${MIGBENCH_WARM:-3}
MIG_TIMEOUT=${MIGBENCH_TIMEOUT:-60}
RAMCHECK=${MIGBENCH_RAMCHECK:-0}
BOOT_TIMEOUT=${SPARC_BOOT_TIMEOUT:-900}
SPARC_MEM=${RAM_MIB}M
VALUE=4242
PORT=8121	# ldmctl serve, on both hosts
QPORT=9100	# QEMU's incoming migrations: QPORT + migration number
OUT=${LAB_OUT:-/tmp}
CSV=$OUT/results.csv
W=$(mktemp -d /tmp/migbench.XXXXXX)	# tmpfs: FIFOs, sockets, keys
PKI=$W/pki
n=0	# migrations (and QEMU instances) so far

say() { echo "$prog: $*"; }
warn() { echo "$prog: $*" >&2; }

# The two hosts: A (namespace ldm-src) and B (ldm-dst).
ns() { if [ "$1" = A ]; then echo "$LDM_SRC_NS"; else echo "$LDM_DST_NS"; fi; }
addr() { if [ "$1" = A ]; then echo "$LDM_SRC_ADDR"; else echo "$LDM_DST_ADDR"; fi; }
other() { if [ "$1" = A ]; then echo B; else echo A; fi; }

# save_guest DIR: its console, QEMU's log and the QMP event logger's
# output (gap_ms) to $OUT/logs/.
save_guest() {
	mkdir -p "$OUT/logs"
	sv_n=$OUT/logs/$(basename "$1")
	sparc_save "$1" "$sv_n" || return 1
	for sv_f in events.log events.err; do
		[ ! -f "$1/$sv_f" ] || cp "$1/$sv_f" "$sv_n.$sv_f"
	done
}

cleanup() {
	st=$?
	trap - EXIT INT TERM
	for p in "$W"/*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	for d in "$W"/g*; do
		[ -d "$d" ] && sparc_stop "$d" 2>/dev/null
	done
	wait 2>/dev/null
	for d in $("$L" list 2>/dev/null | awk '$1 ~ /^mb[0-9]+$/ { print $1 }'); do
		"$L" remove-domain "$d" >/dev/null 2>&1
	done
	rm -f /dev/shm/migbench-*
	netns_teardown >/dev/null 2>&1
	mkdir -p "$OUT/logs"
	for f in "$W"/*.log "$W"/*.out "$W"/*.err; do
		[ -f "$f" ] && cp "$f" "$OUT/logs/"
	done
	for d in "$W"/g*; do
		[ -d "$d" ] && save_guest "$d"
	done
	rm -rf "$W"
	[ "$st" = 0 ] || warn "failed (exit $st); logs in $OUT/logs"
	exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_guest HOST DIR MEMPATH [QEMU-ARGS...]: a SPARC guest on HOST (in
# its namespace, so that QEMU's own migration uses that host's address);
# threads named, so that the vCPU thread can be told apart.
start_guest() {
	sg_h=$1 sg_d=$2 sg_m=$3
	shift 3
	if [ "$GUEST" = linux ]; then
		sparc_start_linux_in "$(ns "$sg_h")" "$sg_d" "$sg_m" "$APPEND" \
			-name "$(basename "$sg_d"),debug-threads=on" \
			-qmp "unix:$sg_d/ev.sock,server=on,wait=off" "$@"
	else
		sparc_start_in "$(ns "$sg_h")" "$sg_d" "$sg_m" \
			-name "$(basename "$sg_d"),debug-threads=on" \
			-qmp "unix:$sg_d/ev.sock,server=on,wait=off" "$@"
	fi || return 1
	# A second monitor for the STOP and RESUME events (gap_ms); the
	# logger ends with QEMU.
	$H events "$sg_d/ev.sock" "$sg_d/events.log" 2>> "$sg_d/events.err" &
	sparc_wait_qmp "$sg_d" 30 || {
		warn "QEMU on $sg_m did not come up"
		return 1
	}
}

# TLS credentials of QEMU on HOST: both roles, the host's certificate.
qemu_tls() {
	echo "-object tls-creds-x509,id=tls-srv,endpoint=server,dir=$W/tls-$1,verify-peer=on" \
		"-object tls-creds-x509,id=tls-cli,endpoint=client,dir=$W/tls-$1"
}

# Forth words typed after the boot: the constant checked after every
# migration, and the dirtying loop 'N T dl' (page counter dc).
ob_setup() { # DIR
	for fs_l in "decimal $VALUE constant ldmval hex" \
		'variable dp 0 dp ! variable dc 0 dc !' \
		': d1 dp @ 800000 + dc @ swap ! dp @ 1000 + ffffff and dp ! ;' \
		': dn 0 ?do d1 1 dc +! loop ;' \
		': dl begin over dn dup ms key? until 2drop key drop ;'; do
		sparc_type "$1" "$fs_l" 60 > "$W/forth.out" || return 1
		if grep -qiE 'undefined|error|exception' "$W/forth.out"; then
			warn "the guest refused '$fs_l':"
			cat "$W/forth.out" >&2
			return 1
		fi
	done
}

# ob_probe DIR: ask the guest for its page counter, clock and ldmval; sets
# p_dc, p_ms; false unless it answers with ldmval = VALUE.
ob_probe() {
	pr_o=$(sparc_type "$1" 'decimal dc @ . get-msecs . ldmval . hex' 60) ||
		return 1
	set -- $(echo "$pr_o" | tail -n 1 | awk '$NF == "ok" { print $(NF-3), $(NF-2), $(NF-1) }')
	[ "$#" = 3 ] && [ "$3" = "$VALUE" ] || {
		warn "the guest answered: $pr_o"
		return 1
	}
	p_dc=$1 p_ms=$2
}

# ob_dirty_start DIR RATE / ob_dirty_stop DIR RATE: the loop, and the pages per
# second it really dirtied between the two (dirty_stop sets pps; both
# probe the guest, so dirty_stop is the check that it still answers).
ob_dirty_start() {
	ob_probe "$1" || return 1
	d_dc=$p_dc d_ms=$p_ms
	case $2 in
	idle) return 0 ;;
	low) set -- "$1" "$LOW" ;;
	high) set -- "$1" "$HIGH" ;;
	*) warn "unknown rate '$2'"; return 1 ;;
	esac
	printf 'decimal %s dl\r' "$2" > "$1/serial.in"
}
ob_dirty_stop() {
	if [ "$2" != idle ] && ! sparc_key "$1" ' ' 60 > /dev/null; then
		warn "the dirtying loop does not stop"
		return 1
	fi
	ob_probe "$1" || return 1
	pps=$(awk -v c="$((p_dc - d_dc))" -v t="$((p_ms - d_ms))" \
		'BEGIN { if (t > 0) printf "%.0f", c * 1000 / t; else print "" }')
}

# ---- the Linux guest (guest/): its console commands ----

# lx_cmd DIR LINE REGEX: type LINE on the guest's console and wait for its
# answer (a line matching REGEX), which goes to lx_line; one command at a
# time (the guest keeps only the last line typed).
lx_cmd() {
	lc_from=$(sparc_console_size "$1")
	sparc_send "$1" "$2"
	lx_line=$(sparc_wait_console "$1" "$3" 60 "$lc_from") || {
		warn "the guest did not answer '$2'"
		return 1
	}
}
lx_field() { sparc_field "$1" "$lx_line"; }

# lx_probe DIR: its status line, which must say "integrity ok"; sets p_dc
# (pages written so far), p_ms (the host's clock, ms) and p_gap (its
# longest pause since the last "reset").
lx_probe() {
	lx_cmd "$1" status '^ldm-guest: t=' || return 1
	p_ms=$(date +%s%3N)
	case $lx_line in
	*"integrity ok"*) ;;
	*) warn "the guest says: $lx_line"; return 1 ;;
	esac
	p_dc=$(lx_field written) p_gap=$(lx_field maxgap_ms)
}

# lx_dirty_start DIR RATE: the workload's rates for RATE, the pause
# statistics reset; lx_dirty_stop DIR RATE (on the target): the pages per
# second it really wrote in between (pps) and its longest pause (g_gap).
lx_dirty_start() {
	case $2 in
	idle) set -- "$1" "ldm.rate=0 ldm.cacherate=0" ;;
	moderate) set -- "$1" "$MODERATE" ;;
	max) set -- "$1" "$MAX" ;;
	*) warn "unknown rate '$2'"; return 1 ;;
	esac
	for ds_o in $2; do
		lx_cmd "$1" "set $ds_o" "^ldm-guest: (set $ds_o|error)" || return 1
		case $lx_line in *error*) warn "$lx_line"; return 1 ;; esac
	done
	lx_cmd "$1" reset '^ldm-guest: reset' && lx_probe "$1" || return 1
	d_dc=$p_dc d_ms=$p_ms
}
lx_dirty_stop() {
	lx_probe "$1" || return 1
	g_gap=$p_gap
	pps=$(awk -v c="$((p_dc - d_dc))" -v t="$((p_ms - d_ms))" \
		'BEGIN { if (t > 0) printf "%.0f", c * 1000 / t; else print "" }')
}

# What the methods call, for either guest.
guest_setup() { if [ "$GUEST" = linux ]; then :; else ob_setup "$1"; fi; }
dirty_start() { g_gap=; if [ "$GUEST" = linux ]; then lx_dirty_start "$@"; else ob_dirty_start "$@"; fi; }
dirty_stop() { if [ "$GUEST" = linux ]; then lx_dirty_stop "$@"; else ob_dirty_stop "$@"; fi; }
# guest_wait_boot DIR: until the guest is ready for the measurements.
guest_wait_boot() {
	if [ "$GUEST" = linux ]; then
		gw_l=$(sparc_wait_console "$1" '^ldm-guest: (ready|error)' "$BOOT_TIMEOUT") &&
			case $gw_l in *ready*) true ;; *) warn "$gw_l"; false ;; esac
	else
		sparc_wait_prompt "$1" "$BOOT_TIMEOUT"
	fi
}

# The figures around a migration: CPU snapshots and veth byte counters.
veth_bytes() {
	ip netns exec "$LDM_SRC_NS" cat /proc/net/dev |
		awk '$1 == "eth0:" { print $2 + $10 }'
}
mark_begin() {
	$H cpu-sample "$W/cpu0" && v0=$(veth_bytes) && t0=$(date +%s.%N)
}
mark_end() {
	t1=$(date +%s.%N) && v1=$(veth_bytes) && $H cpu-sample "$W/cpu1"
}

CSV_HEAD=method,rate,leg,from,to,status,dirty_pps,total_ms,downtime_ms,rounds,tool_bytes,veth_bytes,ram_mib,ram_mbps,src_cpu_s,dst_cpu_s,kern_cpu_s,vm_cpu_s,wall_s,tgt_up_s,tgt_wait_ms,gap_ms,guest_gap_ms,setup_ms,round0_ms,later_ms,final_ms,devstate_ms,commit_ms,ended,dirty_limit,throttled,throttle_ms,tool_dirty_pps,fc_ms,fc_fits,throttle_pct
# row METHOD RATE LEG FROM TO STATUS [FIGURES]: one CSV line; FIGURES is
# what figures printed, or nothing for a failed migration.
row() {
	echo "$1,$2,$3,$4,$5,\"$(echo "$6" | tr -d '"\n' | cut -c1-200)\",${7:-,,,,,,$RAM_MIB,,,,,,,,,,,,,,,,,,,,,,,,}" >> "$CSV"
}
# m_row STATUS [FIGURES]: the row of the migration under way ($m_meth,
# $m_rate, $m_leg, $m_src, $m_dst).
m_row() {
	row "$m_meth" "$m_rate" "$m_leg" "$m_src" "$m_dst" "$@"
}
# m_ok FIGURES SRC-DIR: a migration that went through: FIGURES and the
# guest's pause, from the STOP of SRC-DIR's QEMU to the RESUME of the
# target's ($m_t), in its row, then the phases ($m_ph), how pre-copy ended
# ($m_end) and how the tool held the guest back ($m_thr).
m_ok() {
	m_f="$1,$($H gap "$2/events.log" "$m_t/events.log" || :),${g_gap:-},${m_ph:-,,,,,},${m_end:-},${m_thr:-,,,,,,}"
	m_row ok "$m_f"
	echo "    ok: $m_f"
}
# figures TOTAL_MS DOWNTIME_MS ROUNDS TOOL_BYTES SRC_EXTRA_S SRCSPEC DSTSPEC
# [TGT_UP SUSPENDED]: the numeric fields of a successful migration's row,
# comma-separated. TGT_UP: when the target QEMU was up (date +%s.%N), if
# it was started during the migration (ldm); tgt_up_s is that from t0.
# SUSPENDED: when the source was suspended; tgt_wait_ms is how much of the
# downtime went by before the target QEMU was up.
figures() {
	fg_cpu=$($H cpu-delta "$W/cpu0" "$W/cpu1" "$6" "$7") || return 1
	echo "$fg_cpu" | awk -v pps="${pps:-}" -v ms="$1" -v down="$2" \
		-v rounds="$3" -v bytes="$4" -v extra="$5" -v veth="$((v1 - v0))" \
		-v mib="$RAM_MIB" -v t0="$t0" -v t1="$t1" -v up="${8:-}" \
		-v susp="${9:-}" 'NF == 4 {
		mbps = ms > 0 ? sprintf("%.2f", mib * 1.048576 * 1000 / ms) : ""
		wait = up != "" && susp != "" ? (up > susp ? up - susp : 0) : ""
		wait = wait != "" ? sprintf("%.0f", wait * 1000) : ""
		up = up != "" ? sprintf("%.1f", up - t0) : ""
		printf "%s,%s,%s,%s,%s,%s,%s,%s,%.2f,%s,%s,%s,%.1f,%s,%s\n", pps,
			ms, down, rounds, bytes, veth, mib, mbps, $1 + extra, $2,
			$3, $4, t1 - t0, up, wait
		ok = 1
	} END { exit !ok }'
}

# ---- guest L: RAM on an ldm domain, moved by ldmctl ----

# mig_ldm METHOD RATE LEG: migrate guest L ($l_host, $l_dir, $l_dom) to
# the other host; on success it lives there.
mig_ldm() {
	m_meth=$1 m_rate=$2 m_leg=$3
	m_src=$l_host
	m_dst=$(other "$m_src")
	n=$((n + 1))
	m_dom=mb$n
	m_t=$W/g$n
	m_prep=
	case $m_meth in
	ldm) m_flag= ;;
	ldm-prepared) m_flag=--prepared m_prep=1 ;;
	ldm-dl) m_flag="--prepared --dirty-limit auto" m_prep=1 ;;
	ldm-baseline) m_flag=--baseline ;;
	ldm-lzjb|ldm-lz4|ldm-none) m_flag=--compress=${m_meth#ldm-} ;;
	*) m_row "failed: unknown method"; return 0 ;;
	esac
	# MIGBENCH_RAMCHECK: ldm compares every page's checksum at the commit.
	[ "$RAMCHECK" = 0 ] || m_flag="$m_flag --verify"
	echo "--- $m_meth, $m_rate, leg $m_leg: $m_src -> $m_dst ($l_dom -> $m_dom)"
	if ! guest_on L || ! dirty_start "$l_dir" "$m_rate"; then
		m_row "failed: the guest does not answer before the migration"
		return 1
	fi
	# The target QEMU: ldm-prepared starts it on a domain made on the
	# target before the migration (migrate --prepared), as QEMU's targets
	# are started before theirs; the others as soon as serve has made the
	# target domain. Its CPU counts from when its QMP socket is up.
	tgt_qemu() {
		start_guest "$m_dst" "$m_t" "/dev/ldm/$m_dom" -incoming defer -S || return 1
		awk '{ print $14 + $15 }' "/proc/$(sparc_pid "$m_t")/stat" > "$m_t/cpu0"
		date +%s.%N > "$m_t/up"
		ln -s "$m_t/qmp.sock" "$W/qmp-$m_dst/$m_dom.qmp"
	}
	if [ -n "$m_prep" ]; then
		if ! ip netns exec "$(ns "$m_dst")" "$L" add-domain "$m_dom" \
			--mem "$SPARC_MEM" > /dev/null ||
			! sparc_wait_node "/dev/ldm/$m_dom" 5 || ! tgt_qemu; then
			m_row "failed: cannot prepare the target domain and QEMU"
			sparc_stop "$m_t" 2>/dev/null || :
			"$L" remove-domain "$m_dom" >/dev/null 2>&1 || :
			return 0
		fi
		sleep "$WARM"
		: > "$W/watch.pid"
	else
		sleep "$WARM"
		(
			sparc_wait_node "/dev/ldm/$m_dom" "$MIG_TIMEOUT" 2>/dev/null || exit 1
			tgt_qemu || exit 1
		) &
		echo $! > "$W/watch.pid"
	fi
	mark_begin
	m_rc=0
	timeout -k 10 "$MIG_TIMEOUT" ip netns exec "$(ns "$m_src")" \
		$H rusage "$W/migrate.cpu" "$W/migrate.stamps" -- \
		"$L" migrate -j $m_flag --downtime-limit "$DOWNTIME" \
		--cert "$PKI/$m_src.crt" --key "$PKI/$m_src.key" \
		--trust-dir "$PKI/trust" --port "$PORT" --qmp "$l_dir/qmp.sock" \
		"$l_dom" "$(addr "$m_dst"):$m_dom" > "$W/migrate.out" 2> "$W/migrate.err" ||
		m_rc=$?
	mark_end
	# After a success the watcher is done; after a failure it may wait
	# for a node that never comes.
	[ "$m_rc" = 0 ] || kill "$(cat "$W/watch.pid")" 2>/dev/null || :
	wait "$(cat "$W/watch.pid")" 2>/dev/null || :
	rm -f "$W/watch.pid"
	cat "$W/migrate.out" "$W/migrate.err" >> "$W/ldm-migrate.log"
	grep '"event": *"done"' "$W/migrate.out" | tail -n 1 > "$W/done.json" || :
	if [ "$m_rc" != 0 ] || [ ! -s "$W/done.json" ]; then
		m_why=$(sed -n 's/.*"event": *"error", *"message": *"\([^"]*\)".*/\1/p' "$W/migrate.out" | tail -n 1)
		[ "$m_rc" = 124 ] && m_why="timed out after ${MIG_TIMEOUT}s"
		[ -n "$m_why" ] || m_why=$(tail -n 1 "$W/migrate.err")
		warn "$m_meth: ldmctl migrate failed (exit $m_rc): $m_why"
		m_row "failed: $m_why"
		# The source runs on (ldmctl resumed it); the target goes.
		sparc_stop "$m_t" 2>/dev/null || :
		rm -f "$W/qmp-$m_dst/$m_dom.qmp"
		"$L" remove-domain "$m_dom" >/dev/null 2>&1 || :
		dirty_stop "$l_dir" "$m_rate" || return 1
		return 0
	fi
	if ! $H qmp-until "$m_t/qmp.sock" running 30 ||
		! dirty_stop "$m_t" "$m_rate"; then
		m_row "failed: the guest does not answer on the target"
		moved L
		return 1
	fi
	m_ph=$($H phases ldm "$W/migrate.stamps" || echo ",,,,,")
	m_end=$($H json "$W/done.json" final_because | tr -d ',' || :)
	m_thr=$($H throttle ldm "$W/migrate.stamps" || echo ",,,,,,")
	set -- $($H json "$W/done.json" total_ms suspend_ms rounds wire_bytes)
	m_f=$(figures "$1" "$2" "$3" "$4" "$(cat "$W/migrate.cpu")" \
		"$(sparc_pid "$l_dir"):qemu" \
		"$(sparc_pid "$m_t"):qemu@$m_t/cpu0,$(cat "$W/serve-$m_dst.pid"):tree" \
		"$(cat "$m_t/up")" \
		"$(awk '/"event": *"suspended"/ { print $1; exit }' "$W/migrate.stamps")") || {
		m_row "failed: no CPU figures"
		return 1
	}
	m_ok "$m_f" "$l_dir"
	# The source QEMU is stopped for good and its domain marked migrated.
	moved L
}

# ---- guest Q: RAM on tmpfs, moved by QEMU over TLS ----

# qemu_method METHOD: QEMU's capabilities (m_cap: every one the methods
# use, set on or off, since the source QEMU lives on from one method to
# the next), parameters (m_par), TLS credentials of each end (m_tls_srv,
# m_tls_cli; "" is plain TCP) and, for postcopy, the dirty syncs before
# migrate-start-postcopy (m_pc). Every method: no bandwidth cap (QEMU's
# default is 128 MiB/s; ldm has none) and the same downtime limit as ldm.
qemu_method() {
	qm_mfd=false qm_xb=false qm_ac=false qm_pc=false
	m_par=", \"max-bandwidth\": 1099511627776, \"downtime-limit\": $DOWNTIME"
	m_tls_srv=tls-srv m_tls_cli=tls-cli m_pc=
	case $1 in
	qemu) m_tls_srv= m_tls_cli= ;;
	qemu-tls) ;;
	qemu-mfd[0-9]*-zstd|qemu-mfd[0-9]*-zstd-tls)
		qm_mfd=true
		qm_n=${1#qemu-mfd}
		qm_n=${qm_n%%-*}
		m_par="$m_par, \"multifd-channels\": $qm_n, \"multifd-compression\": \"zstd\""
		case $1 in *-tls) ;; *) m_tls_srv= m_tls_cli= ;; esac ;;
	qemu-xbzrle-tls) qm_xb=true ;;
	qemu-ac-tls) qm_ac=true ;;
	qemu-postcopy-tls) qm_pc=true m_pc=2 ;;
	*) return 1 ;;
	esac
	[ "$qm_mfd" = true ] || m_par="$m_par, \"multifd-compression\": \"none\""
	m_cap="{\"capabilities\": [{\"capability\": \"multifd\", \"state\": $qm_mfd},
		{\"capability\": \"xbzrle\", \"state\": $qm_xb},
		{\"capability\": \"auto-converge\", \"state\": $qm_ac},
		{\"capability\": \"postcopy-ram\", \"state\": $qm_pc}]}"
}

# mig_qemu METHOD RATE LEG: migrate guest Q ($q_host, $q_dir, $q_mem).
mig_qemu() {
	m_meth=$1 m_rate=$2 m_leg=$3
	m_src=$q_host
	m_dst=$(other "$m_src")
	n=$((n + 1))
	m_t=$W/g$n
	m_mem=/dev/shm/migbench-$n
	m_uri=tcp:$(addr "$m_dst"):$((QPORT + n))
	echo "--- $m_meth, $m_rate, leg $m_leg: $m_src -> $m_dst ($m_uri)"
	qemu_method "$m_meth" || {
		m_row "failed: unknown method"
		return 0
	}
	truncate -s "$SPARC_MEM" "$m_mem"
	# MIGBENCH_RAMCHECK: the target holds the guest (-S) until its RAM
	# was compared with the source's.
	m_hold=
	[ "$RAMCHECK" = 0 ] || m_hold=-S
	# shellcheck disable=SC2046 # qemu_tls: separate arguments
	if ! start_guest "$m_dst" "$m_t" "$m_mem" -incoming defer $m_hold $(qemu_tls "$m_dst") ||
		! $H qmp "$m_t/qmp.sock" migrate-set-capabilities "$m_cap" \
			migrate-set-parameters "{\"tls-creds\": \"$m_tls_srv\"$m_par}" \
			migrate-incoming "{\"uri\": \"$m_uri\"}" > /dev/null; then
		m_row "failed: cannot start the target QEMU"
		sparc_stop "$m_t" 2>/dev/null || :
		rm -f "$m_mem"
		return 0
	fi
	if ! guest_on Q ||
		! $H qmp "$q_dir/qmp.sock" migrate-set-capabilities "$m_cap" \
			migrate-set-parameters "{\"tls-creds\": \"$m_tls_cli\"$m_par}" > /dev/null ||
		! dirty_start "$q_dir" "$m_rate"; then
		m_row "failed: the source QEMU or guest does not answer"
		sparc_stop "$m_t" 2>/dev/null || :
		rm -f "$m_mem"
		return 1
	fi
	sleep "$WARM"
	mark_begin
	m_rc=0
	timeout -k 10 "$((MIG_TIMEOUT + 15))" $H qmp-wait "$q_dir/qmp.sock" \
		"$MIG_TIMEOUT" "$m_uri" $m_pc > "$W/qemu-migrate.out" 2> "$W/qemu-migrate.err" || m_rc=$?
	m_diff=
	if [ "$m_rc" = 0 ] && [ -n "$m_hold" ]; then
		{
			$H qmp-until "$m_t/qmp.sock" paused 60 &&
				m_diff=$($H ramdiff "$q_mem" "$m_mem") &&
				$H qmp "$m_t/qmp.sock" cont > /dev/null
		} 2>> "$W/qemu-migrate.err" || m_rc=$?
		echo "--- $m_meth $m_rate $m_leg: ${m_diff:-no comparison}" >> "$W/ramcheck.log"
		echo "    RAM: ${m_diff:-no comparison}"
	fi
	[ "$m_rc" != 0 ] || $H qmp-until "$m_t/qmp.sock" running 60 \
		2>> "$W/qemu-migrate.err" || m_rc=$?
	mark_end
	{ echo "--- $m_meth $m_rate $m_leg"; cat "$W/qemu-migrate.out" "$W/qemu-migrate.err"; } >> "$W/qemu-migrate.log"
	if [ "$m_rc" != 0 ]; then
		m_why=$(tail -n 1 "$W/qemu-migrate.err" | sed 's/^migbench.py: //')
		[ "$m_rc" = 124 ] && m_why="timed out after $((MIG_TIMEOUT + 15))s"
		warn "$m_meth: QEMU migration failed: $m_why"
		m_row "failed: $m_why"
		sparc_stop "$m_t" 2>/dev/null || :
		rm -f "$m_mem"
		# A failed outgoing migration leaves the source running.
		$H qmp "$q_dir/qmp.sock" cont > /dev/null 2>&1 || :
		dirty_stop "$q_dir" "$m_rate" || return 1
		return 0
	fi
	if ! dirty_stop "$m_t" "$m_rate"; then
		m_why=
		sparc_running "$m_t" || m_why=" (QEMU exited: $(head -n 1 "$m_t/qemu.log"))"
		m_row "failed: the guest does not answer on the target$m_why"
		moved Q
		return 1
	fi
	m_ph=$($H phases qemu "$W/qemu-migrate.out" || echo ",,,,,")
	m_end=converged
	[ -z "$m_pc" ] || m_end=postcopy
	m_thr=$($H throttle qemu "$W/qemu-migrate.out" || echo ",,,,,,")
	set -- $($H json "$W/qemu-migrate.out" total-time downtime \
		ram.dirty-sync-count ram.transferred)
	m_f=$(figures "$1" "$2" "$3" "$4" 0 "$(sparc_pid "$q_dir"):qemu" \
		"$(sparc_pid "$m_t"):qemu") || {
		m_row "failed: no CPU figures"
		return 1
	}
	m_ok "$m_f" "$q_dir"
	moved Q
}

# retire L|Q: stop that guest's current QEMU and free its RAM; its
# console goes to the logs now (a lab timeout would lose it).
retire() {
	if [ "$1" = L ]; then rt_d=$l_dir; else rt_d=$q_dir; fi
	mkdir -p "$OUT/logs"
	save_guest "$rt_d" || :
	if [ "$1" = L ]; then
		sparc_stop "$l_dir" || :
		"$L" remove-domain "$l_dom" > /dev/null || warn "cannot remove $l_dom"
		rm -f "$W/qmp-$l_host/$l_dom.qmp"
	else
		sparc_stop "$q_dir" || :
		rm -f "$q_mem"
	fi
}

# moved L|Q: that guest now lives on the target of its migration ($m_dst,
# $m_t; L: on domain $m_dom, Q: on $m_mem); its source QEMU retires.
moved() {
	retire "$1"
	if [ "$1" = L ]; then
		l_host=$m_dst l_dir=$m_t l_dom=$m_dom
	else
		q_host=$m_dst q_dir=$m_t q_mem=$m_mem
	fi
}

# boot L|Q: a fresh guest on its current host, at the prompt, with the
# Forth words; after a guest was lost, so that the measurements go on.
boot() {
	n=$((n + 1))
	if [ "$1" = L ]; then
		l_dom=mb$n l_dir=$W/g$n
		ip netns exec "$(ns "$l_host")" "$L" add-domain "$l_dom" \
			--mem "$SPARC_MEM" > /dev/null &&
			sparc_wait_node "/dev/ldm/$l_dom" 5 &&
			start_guest "$l_host" "$l_dir" "/dev/ldm/$l_dom" || return 1
		b_dir=$l_dir
	else
		q_mem=/dev/shm/migbench-$n q_dir=$W/g$n
		truncate -s "$SPARC_MEM" "$q_mem"
		# shellcheck disable=SC2046 # qemu_tls: separate arguments
		start_guest "$q_host" "$q_dir" "$q_mem" $(qemu_tls "$q_host") ||
			return 1
		b_dir=$q_dir
	fi
	guest_wait_boot "$b_dir" && guest_setup "$b_dir"
}

# guest_on L|Q: that guest runs, the other one is stopped (QMP), so that
# only the guest measured competes for the CPUs.
guest_on() {
	if [ "$1" = L ]; then go_on=${l_dir:-} go_off=${q_dir:-}; else go_on=${q_dir:-} go_off=${l_dir:-}; fi
	[ -z "$go_off" ] || ! sparc_running "$go_off" ||
		$H qmp "$go_off/qmp.sock" stop > /dev/null || return 1
	[ -n "$go_on" ] && $H qmp "$go_on/qmp.sock" cont > /dev/null
}

# ---- setup ----

if [ "$GUEST" = linux ]; then
	say "methods: $METHODS; rates: $RATES (moderate '$MODERATE', max '$MAX'); $LEGS legs each; downtime limit $DOWNTIME ms"
else
	say "methods: $METHODS; rates: $RATES (low '$LOW', high '$HIGH': pages per tick, ms between ticks); $LEGS legs each; downtime limit $DOWNTIME ms"
fi
say "QEMU $(qemu-system-sparc --version | head -n 1 | awk '{ print $4 }'), $(nproc) CPUs, guest RAM ${RAM_MIB} MiB"
netns_setup
mkhosts "$L" A B || {
	warn "cannot make the certificates (log: $PKI/openssl.log)"
	exit 1
}
for h in A B; do
	# QEMU's layout: ca-cert.pem, server-*.pem, client-*.pem.
	mkdir -m 700 "$W/tls-$h" "$W/qmp-$h"
	cp "$PKI/ca.crt" "$W/tls-$h/ca-cert.pem"
	for r in server client; do
		cp "$PKI/$h.crt" "$W/tls-$h/$r-cert.pem"
		cp "$PKI/$h.key" "$W/tls-$h/$r-key.pem"
	done
	ip netns exec "$(ns "$h")" "$L" serve --listen "$(addr "$h"):$PORT" \
		--cert "$PKI/$h.crt" --key "$PKI/$h.key" --trust-dir "$PKI/trust" \
		--qmp-dir "$W/qmp-$h" 2> "$W/serve-$h.log" &
	echo $! > "$W/serve-$h.pid"
done
for h in A B; do
	i=0
	until grep -q listening "$W/serve-$h.log" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -lt 300 ] || {
			warn "ldmctl serve on host $h does not listen:"
			cat "$W/serve-$h.log" >&2
			exit 1
		}
		sleep 0.1
	done
done

echo "$CSV_HEAD" > "$CSV"
# A domain belongs to the host (namespace) that makes it: the source.
ip netns exec "$(ns A)" "$L" add-domain mb0 --mem "$SPARC_MEM" &&
	sparc_wait_node /dev/ldm/mb0 5 || {
	warn "cannot create the ldm domain mb0"
	exit 1
}
l_host=A l_dir=$W/g0 l_dom=mb0
q_host=A q_dir=$W/gq q_mem=/dev/shm/migbench-q
truncate -s "$SPARC_MEM" "$q_mem"
t=$(date +%s)
say "booting both guests, one after the other ($GUEST; a few minutes each under TCG)"
# One at a time, the first stopped (QMP) once it is ready: two nested
# guests booting at once on the VM's two CPUs take more than twice as long.
# shellcheck disable=SC2046 # qemu_tls: separate arguments
for d in "$l_dir" "$q_dir"; do
	if [ "$d" = "$l_dir" ]; then
		start_guest A "$l_dir" /dev/ldm/mb0
	else
		start_guest A "$q_dir" "$q_mem" $(qemu_tls A)
	fi || exit 1
	if ! guest_wait_boot "$d" || ! guest_setup "$d"; then
		warn "guest $(basename "$d") did not boot to a usable prompt"
		exit 1
	fi
	say "guest $(basename "$d") ready after $(($(date +%s) - t)) s"
	if [ "$d" = "$q_dir" ]; then
		# QEMU's own dirty limit, asked once of the bench's QEMU.
		$H qemu-dirty-limit "$q_dir/qmp.sock" > "$W/qemu-dirty-limit.log" 2>&1 || :
		say "QEMU's dirty limit: $(sed -n 's/^set-vcpu-dirty-limit dirty-rate=1: //p' "$W/qemu-dirty-limit.log")"
	fi
	[ "$d" = "$q_dir" ] || $H qmp "$d/qmp.sock" stop > /dev/null || exit 1
done

# ---- the measurements, interleaved: rate, leg, method ----
# A guest lost (it does not answer) is booted again once per rate, and
# the measurements go on; after that its method's lines say why they fail.
# relive L|Q: that guest's QEMU gone, a new one booted; the other stopped.
relive() {
	warn "guest $1 lost: booting a new one"
	retire "$1"
	if [ "$1" = L ]; then rl_o=$q_dir; else rl_o=$l_dir; fi
	! sparc_running "$rl_o" || $H qmp "$rl_o/qmp.sock" stop > /dev/null || :
	boot "$1"
}
l_ok=1 q_ok=1
for rate in $RATES; do
	leg=1
	l_lives=1 q_lives=1
	while [ "$leg" -le "$LEGS" ]; do
		for m in $METHODS; do
			case $m in
			ldm|ldm-*)
				if [ "$l_ok" = 1 ]; then
					mig_ldm "$m" "$rate" "$leg" || l_ok=0
				else
					row "$m" "$rate" "$leg" "$l_host" "" "failed: guest L was lost in an earlier migration"
				fi
				if [ "$l_ok" = 0 ] && [ "$l_lives" = 1 ]; then
					l_lives=0
					if relive L; then l_ok=1; fi
				fi ;;
			qemu*)
				if [ "$q_ok" = 1 ]; then
					mig_qemu "$m" "$rate" "$leg" || q_ok=0
				else
					row "$m" "$rate" "$leg" "$q_host" "" "failed: guest Q was lost in an earlier migration"
				fi
				if [ "$q_ok" = 0 ] && [ "$q_lives" = 1 ]; then
					q_lives=0
					if relive Q; then q_ok=1; fi
				fi ;;
			*) row "$m" "$rate" "$leg" "" "" "failed: unknown method" ;;
			esac
		done
		leg=$((leg + 1))
	done
done
say "done: $(grep -c ',"ok",' "$CSV") of $(($(wc -l < "$CSV") - 1)) migrations ok; $CSV"
