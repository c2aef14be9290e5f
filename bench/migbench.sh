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
# booted once (QEMU SS-5, OpenBIOS, 64 MiB, lab/sparc.sh) and then moved
# back and forth between the hosts, never rebooted:
#
#   guest L, RAM on an ldm domain (/dev/ldm/<name>), migrated by
#     ldm            ldmctl migrate --qmp, default options (every CPU)
#     ldm-baseline   the same with --baseline (LDM_MIG_F_BASELINE: one
#                    worker, pages copied twice, no zero-page skip)
#   guest Q, RAM on ordinary shared memory (a tmpfs file, share=on),
#   migrated by QEMU itself over TLS (tls-creds-x509, both ends verified):
#     qemu           QEMU's defaults
#     qemu-mfd-zstd  multifd, 2 channels, multifd-compression zstd
#
# Every method is encrypted: ldm's control connection is TLS 1.3 and its
# batches AES-256-GCM; QEMU's stream is TLS. The certificates are minted
# at run time (lab/pki.sh) in the run's temporary directory.
#
# The guest dirties its RAM at a controlled rate: a Forth loop typed at
# the OpenBIOS prompt writes one cell in each of N distinct pages per tick
# (cycling through a 16 MiB buffer at 8 MiB) and waits T ms between ticks,
# until a key is pressed. Rates (MIGBENCH_RATES): idle (no loop), low and
# high ("N T": MIGBENCH_LOW, MIGBENCH_HIGH). The rate the guest really
# reached is measured from its own page counter and clock. While one
# guest is measured the other is stopped (QMP stop), so that both never
# compete for the VM's two CPUs.
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
# And one meter for every method, the guest's pause (gap_ms): from the
# source QEMU's STOP event to the target QEMU's RESUME event, as QEMU
# timestamps them on a second QMP monitor of every QEMU (one clock: both
# run in the VM), whatever the tool calls its downtime.
# After each migration the guest must answer on the target: the Forth
# constant ldmval typed after its boot must read back 4242.
#
# Results: $LAB_OUT/results.csv (one line per migration; a migration that
# fails has status "failed: why" and empty figures), logs in
# $LAB_OUT/logs/. bench/migreport.py makes the table and plot from it.
# Every step has a timeout; every QEMU and serve is stopped at the end,
# also on failure or interrupt. Environment: MIGBENCH_METHODS,
# MIGBENCH_RATES, MIGBENCH_LEGS (migrations per method and rate, default
# 2: there and back), MIGBENCH_LOW ("16 20"), MIGBENCH_HIGH ("256 1"),
# MIGBENCH_WARM (seconds of dirtying before a migration, 3),
# MIGBENCH_TIMEOUT (seconds per migration, 60), MIGBENCH_MEM (guest RAM
# in MiB, 64; the SS-5 takes 32 to 256), SPARC_BOOT_TIMEOUT (600).
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
METHODS=${MIGBENCH_METHODS:-ldm ldm-baseline qemu qemu-mfd-zstd}
RATES=${MIGBENCH_RATES:-idle low high}
LEGS=${MIGBENCH_LEGS:-2}
LOW=${MIGBENCH_LOW:-16 20}
HIGH=${MIGBENCH_HIGH:-256 1}
WARM=${MIGBENCH_WARM:-3}
MIG_TIMEOUT=${MIGBENCH_TIMEOUT:-60}
BOOT_TIMEOUT=${SPARC_BOOT_TIMEOUT:-600}
RAM_MIB=${MIGBENCH_MEM:-64}
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
		[ -d "$d" ] && sparc_save "$d" "$OUT/logs/$(basename "$d")"
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
	sparc_start_in "$(ns "$sg_h")" "$sg_d" "$sg_m" \
		-name "$(basename "$sg_d"),debug-threads=on" \
		-qmp "unix:$sg_d/ev.sock,server=on,wait=off" "$@" ||
		return 1
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
forth_setup() { # DIR
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

# probe DIR: ask the guest for its page counter, clock and ldmval; sets
# p_dc, p_ms; false unless it answers with ldmval = VALUE.
probe() {
	pr_o=$(sparc_type "$1" 'decimal dc @ . get-msecs . ldmval . hex' 60) ||
		return 1
	set -- $(echo "$pr_o" | tail -n 1 | awk '$NF == "ok" { print $(NF-3), $(NF-2), $(NF-1) }')
	[ "$#" = 3 ] && [ "$3" = "$VALUE" ] || {
		warn "the guest answered: $pr_o"
		return 1
	}
	p_dc=$1 p_ms=$2
}

# dirty_start DIR RATE / dirty_stop DIR RATE: the loop, and the pages per
# second it really dirtied between the two (dirty_stop sets pps; both
# probe the guest, so dirty_stop is the check that it still answers).
dirty_start() {
	probe "$1" || return 1
	d_dc=$p_dc d_ms=$p_ms
	case $2 in
	idle) return 0 ;;
	low) set -- "$1" "$LOW" ;;
	high) set -- "$1" "$HIGH" ;;
	*) warn "unknown rate '$2'"; return 1 ;;
	esac
	printf 'decimal %s dl\r' "$2" > "$1/serial.in"
}
dirty_stop() {
	if [ "$2" != idle ] && ! sparc_key "$1" ' ' 60 > /dev/null; then
		warn "the dirtying loop does not stop"
		return 1
	fi
	probe "$1" || return 1
	pps=$(awk -v c="$((p_dc - d_dc))" -v t="$((p_ms - d_ms))" \
		'BEGIN { if (t > 0) printf "%.0f", c * 1000 / t; else print "" }')
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

CSV_HEAD=method,rate,leg,from,to,status,dirty_pps,total_ms,downtime_ms,rounds,tool_bytes,veth_bytes,ram_mib,ram_mbps,src_cpu_s,dst_cpu_s,kern_cpu_s,vm_cpu_s,wall_s,tgt_up_s,tgt_wait_ms,gap_ms
# row METHOD RATE LEG FROM TO STATUS [FIGURES]: one CSV line; FIGURES is
# what figures printed, or nothing for a failed migration.
row() {
	echo "$1,$2,$3,$4,$5,\"$(echo "$6" | tr -d '"\n' | cut -c1-200)\",${7:-,,,,,,$RAM_MIB,,,,,,,,,}" >> "$CSV"
}
# m_row STATUS [FIGURES]: the row of the migration under way ($m_meth,
# $m_rate, $m_leg, $m_src, $m_dst).
m_row() {
	row "$m_meth" "$m_rate" "$m_leg" "$m_src" "$m_dst" "$@"
}
# m_ok FIGURES SRC-DIR: a migration that went through: FIGURES and the
# guest's pause, from the STOP of SRC-DIR's QEMU to the RESUME of the
# target's ($m_t), in its row.
m_ok() {
	m_f="$1,$($H gap "$2/events.log" "$m_t/events.log" || :)"
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
	m_flag=
	[ "$m_meth" = ldm-baseline ] && m_flag=--baseline
	echo "--- $m_meth, $m_rate, leg $m_leg: $m_src -> $m_dst ($l_dom -> $m_dom)"
	if ! guest_on L || ! dirty_start "$l_dir" "$m_rate"; then
		m_row "failed: the guest does not answer before the migration"
		return 1
	fi
	sleep "$WARM"
	# The target QEMU, as soon as serve has made the target domain; its
	# CPU counts from when its QMP socket is up (as for QEMU's targets).
	(
		sparc_wait_node "/dev/ldm/$m_dom" "$MIG_TIMEOUT" 2>/dev/null || exit 1
		start_guest "$m_dst" "$m_t" "/dev/ldm/$m_dom" -incoming defer -S || exit 1
		awk '{ print $14 + $15 }' "/proc/$(sparc_pid "$m_t")/stat" > "$m_t/cpu0"
		date +%s.%N > "$m_t/up"
		ln -s "$m_t/qmp.sock" "$W/qmp-$m_dst/$m_dom.qmp"
	) &
	echo $! > "$W/watch.pid"
	mark_begin
	m_rc=0
	timeout -k 10 "$MIG_TIMEOUT" ip netns exec "$(ns "$m_src")" \
		$H rusage "$W/migrate.cpu" "$W/migrate.stamps" -- \
		"$L" migrate -j $m_flag \
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
	m_mfd=false m_par=
	if [ "$m_meth" = qemu-mfd-zstd ]; then
		m_mfd=true
		m_par=', "multifd-channels": 2, "multifd-compression": "zstd"'
	fi
	m_cap="{\"capabilities\": [{\"capability\": \"multifd\", \"state\": $m_mfd}]}"
	truncate -s "$SPARC_MEM" "$m_mem"
	# shellcheck disable=SC2046 # qemu_tls: separate arguments
	if ! start_guest "$m_dst" "$m_t" "$m_mem" -incoming defer $(qemu_tls "$m_dst") ||
		! $H qmp "$m_t/qmp.sock" migrate-set-capabilities "$m_cap" \
			migrate-set-parameters "{\"tls-creds\": \"tls-srv\"$m_par}" \
			migrate-incoming "{\"uri\": \"$m_uri\"}" > /dev/null; then
		m_row "failed: cannot start the target QEMU"
		sparc_stop "$m_t" 2>/dev/null || :
		rm -f "$m_mem"
		return 0
	fi
	if ! guest_on Q ||
		! $H qmp "$q_dir/qmp.sock" migrate-set-capabilities "$m_cap" \
			migrate-set-parameters "{\"tls-creds\": \"tls-cli\"$m_par}" > /dev/null ||
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
		"$MIG_TIMEOUT" "$m_uri" > "$W/qemu-migrate.out" 2> "$W/qemu-migrate.err" || m_rc=$?
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
		m_row "failed: the guest does not answer on the target"
		moved Q
		return 1
	fi
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
	sparc_save "$rt_d" "$OUT/logs/$(basename "$rt_d")" || :
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
	sparc_wait_prompt "$b_dir" "$BOOT_TIMEOUT" && forth_setup "$b_dir"
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

say "methods: $METHODS; rates: $RATES (low '$LOW', high '$HIGH': pages per tick, ms between ticks); $LEGS legs each"
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
say "booting both guests (OpenBIOS; a few minutes under TCG)"
# shellcheck disable=SC2046 # qemu_tls: separate arguments
start_guest A "$l_dir" /dev/ldm/mb0 &&
	start_guest A "$q_dir" "$q_mem" $(qemu_tls A) || exit 1
for d in "$l_dir" "$q_dir"; do
	if ! sparc_wait_prompt "$d" "$BOOT_TIMEOUT" || ! forth_setup "$d"; then
		warn "guest $(basename "$d") did not boot to a usable prompt"
		exit 1
	fi
done
say "both at the prompt after $(($(date +%s) - t)) s"

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
			ldm|ldm-baseline)
				if [ "$l_ok" = 1 ]; then
					mig_ldm "$m" "$rate" "$leg" || l_ok=0
				else
					row "$m" "$rate" "$leg" "$l_host" "" "failed: guest L was lost in an earlier migration"
				fi
				if [ "$l_ok" = 0 ] && [ "$l_lives" = 1 ]; then
					l_lives=0
					if relive L; then l_ok=1; fi
				fi ;;
			qemu|qemu-mfd-zstd)
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
