# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# bench/lib.sh: what bench/codecbench.sh and bench/streambench.sh share.
# Sourced in the lab VM from the repository's top; it sources
# selftests/lib.sh and selftests/migrate_lib.sh (the two hosts, the tools,
# $W, certificates, serve_start, migrate) and sets the two hosts up with a
# serve on the target.
#
#   bench_setup NAME          the hosts, certificates and serve, or die
#   bench_one LINK SETTING REP MIB ARGS...
#                             migrate a fresh domain of MIB MiB, filled by
#                             ldm_guest, with migrate ARGS; one CSV line:
#                             LINK,SETTING,REP,total_ms,wire_bytes,
#                             guest_bytes,codec_switches,ok|failed
#   bench_csv_head SETTING    that line's header, with SETTING's name
#   bench_links LINK QDISC OPTION SETTINGS
#                             the runs: on the bare veth, then on LINK (the
#                             source's eth0 under 'tc qdisc add ... root
#                             QDISC'), REPS rounds of one bench_one per
#                             setting (migrate OPTION SETTING), interleaved;
#                             the lines appended to $CSV and shown

[ "${LAB:-}" = 1 ] || { echo "$0: run it in the lab (lab/run -- $0)" >&2; exit 2; }
. selftests/lib.sh
. selftests/migrate_lib.sh

bench_die() { echo "$bench_name: $*" >&2; exit 1; }

bench_setup() {
	bench_name=$1
	netns_setup || bench_die "cannot set up the two hosts"
	make_pki_hosts || bench_die "cannot make certificates"
	serve_start serve "$PORT" --timeout 60 ||
		bench_die "serve did not start: $(cat "$W/serve.log")"
}

bench_csv_head() { echo "link,$1,rep,total_ms,wire_bytes,guest_bytes,codec_switches,status"; }

# bench_field FILE KEY: a number from the "done" event.
bench_field() { grep '"event":"done"' "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

bench_one() {
	local link=$1 set=$2 rep=$3 mib=$4 name=bn$2 out
	shift 4
	out=$W/$link-$set-$rep.out
	newdom "$name" "${mib}M" || bench_die "cannot make the domain"
	if migrate -j --timeout 60 "$@" "$name" "$DA:$name-t" > "$out" 2>&1; then
		echo "$link,$set,$rep,$(bench_field "$out" total_ms),$(bench_field "$out" wire_bytes),$(bench_field "$out" bytes_in),$(bench_field "$out" codec_switches),ok"
	else
		echo "$link,$set,$rep,,,,,failed"
		sed 's/^/# /' "$out" >&2
	fi
	"$L" remove-domain "$name" 2>/dev/null
	"$L" remove-domain "$name-t" 2>/dev/null
}

bench_links() {
	local link=$1 qdisc=$2 opt=$3 settings=$4 l rep v
	for l in veth "$link"; do
		if [ "$l" != veth ]; then
			# shellcheck disable=SC2086 # tc's words
			ip netns exec "$SRC" tc qdisc add dev eth0 root $qdisc ||
				bench_die "cannot shape the link with tc (qdisc $qdisc)"
		fi
		for rep in $(seq "$REPS"); do
			for v in $settings; do
				bench_one "$l" "$v" "$rep" "$MIB" "$opt" "$v" | tee -a "$CSV"
			done
		done
	done
}
