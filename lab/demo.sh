#!/bin/sh
# lab/demo.sh: show ldm at work, step by step, for a person watching.
#
#   make demo          (= lab/run --timeout 900 -- lab/demo.sh)
#
# Inside the lab VM, with ldm.ko loaded: create a domain, boot a SPARC
# guest (QEMU SS-5, OpenBIOS) whose RAM is the domain's device node, show
# 'ldmctl list' while it boots and runs, type a Forth line on its console,
# then live-migrate the running guest's RAM to a second "host" (a network
# namespace) with ldmctl serve / migrate, and show the migration's stats.
# Everything is cleaned up, even on failure or Ctrl-C.
#
# The guest's device state does not move yet (QEMU's own migration with
# x-ignore-shared comes with 'migrate --qmp'), so the guest is paused for
# the final round and not resumed on the target.
set -eu

cd "$(dirname "$0")/.."
if [ "${LAB:-}" != 1 ]; then
	echo "lab/demo.sh runs inside the lab VM: use 'make demo'" >&2
	exit 2
fi
. lab/sparc.sh
. lab/netns.sh
. lab/pki.sh

ldmctl=${LDMCTL:-$PWD/tools/ldmctl/ldmctl}
name=demo
dir=$(mktemp -d /tmp/ldm-demo.XXXXXX)
step=0
say() {
	step=$((step + 1))
	printf '\n=== %d. %s\n' "$step" "$*"
}
run() { # show a command, then run it
	echo "\$ $*"
	"$@"
}
cleanup() {
	st=$?
	trap - EXIT INT TERM
	[ -f "$dir/serve.pid" ] && kill "$(cat "$dir/serve.pid")" 2>/dev/null
	sparc_stop "$dir" 2>/dev/null || true
	"$ldmctl" remove-domain "$name" >/dev/null 2>&1 || true
	"$ldmctl" remove-domain "$name-b" >/dev/null 2>&1 || true
	netns_teardown >/dev/null 2>&1 || true
	rm -rf "$dir"
	[ "$st" = 0 ] || echo "demo: failed (exit $st)" >&2
	exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "The lab: a VM running Debian's $(uname -r) kernel, with ldm loaded"
run lsmod | grep -E '^(Module|ldm )' || {
	echo "ldm.ko is not loaded (build it with 'make')" >&2
	exit 1
}

say "Create a domain: 64 MiB of guest RAM, owned by the kernel module"
run "$ldmctl" add-domain "$name" --mem 64M
i=0
while [ ! -c "/dev/ldm/$name" ] && [ "$i" -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
run ls -l "/dev/ldm/$name"
run "$ldmctl" list
echo "(no page is allocated until the guest touches it)"

say "Boot a SPARCstation 5 (QEMU, OpenBIOS) with /dev/ldm/$name as its RAM"
echo "\$ qemu-system-sparc -machine SS-5,memory-backend=ram0 -m 64M \\"
echo "    -object memory-backend-file,id=ram0,size=64M,mem-path=/dev/ldm/$name,share=on ..."
sparc_start "$dir" "/dev/ldm/$name"
echo "Emulated inside an emulated x86 VM, the firmware takes about 2 minutes"
echo "to reach its prompt. Meanwhile, the domain as ldm sees it:"
start=$(date +%s)
until sparc_at_prompt "$dir"; do
	sparc_running "$dir" || {
		echo "QEMU exited:" >&2
		cat "$dir/qemu.log" >&2
		exit 1
	}
	if [ $(($(date +%s) - start)) -ge 400 ]; then
		echo "no OpenBIOS prompt after 400 s" >&2
		exit 1
	fi
	echo "--- after $(($(date +%s) - start)) s:"
	"$ldmctl" list
	i=0
	while [ "$i" -lt 20 ] && ! sparc_at_prompt "$dir"; do
		sleep 1
		i=$((i + 1))
	done
done
echo "OpenBIOS reached its prompt after $(($(date +%s) - start)) s. Its console:"
tr -d '\r' < "$dir/console.log" | tail -n 8

say "Type a Forth line on the guest's serial console"
line='decimal 1234 5678 * . hex'
echo "0 > $line"
sparc_type "$dir" "$line" | tail -n 1

say "The domain now: pages the guest touched are resident, and dirty"
run "$ldmctl" list
run "$ldmctl" list -j

say "Two hosts: network namespaces $LDM_SRC_NS ($LDM_SRC_ADDR) and $LDM_DST_NS ($LDM_DST_ADDR)"
netns_setup
run ip -n "$LDM_DST_NS" -brief address show

say "Certificates for both hosts, signed by a CA both trust (made now, thrown away after)"
PKI=$dir/pki
mkcert ca ldm-demo-ca DNS:ldm-demo-ca self
mkcert src ldm-src "IP:$LDM_SRC_ADDR" ca
mkcert dst ldm-dst "IP:$LDM_DST_ADDR" ca
run "$ldmctl" trust add --trust-dir "$PKI/trust" "$PKI/ca.crt"

say "The target host listens for migrations"
echo "\$ ip netns exec $LDM_DST_NS ldmctl serve --listen $LDM_DST_ADDR:7070 --cert dst.crt --key dst.key --trust-dir trust &"
ip netns exec "$LDM_DST_NS" "$ldmctl" serve --listen "$LDM_DST_ADDR:7070" \
	--cert "$PKI/dst.crt" --key "$PKI/dst.key" --trust-dir "$PKI/trust" \
	2> "$dir/serve.log" &
echo $! > "$dir/serve.pid"
i=0
until grep -q listening "$dir/serve.log" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { cat "$dir/serve.log" >&2; exit 1; }
	sleep 0.1
done

say "Live-migrate the running guest's RAM to the target, then check it page by page"
echo "(pre-copy rounds while the guest runs; QEMU is paused for the final round)"
echo "\$ ip netns exec $LDM_SRC_NS ldmctl migrate --verify --pause-pid QEMU $name $LDM_DST_ADDR:$name-b"
ip netns exec "$LDM_SRC_NS" "$ldmctl" migrate --cert "$PKI/src.crt" \
	--key "$PKI/src.key" --trust-dir "$PKI/trust" --port 7070 --verify \
	--pause-pid "$(cat "$dir/qemu.pid")" "$name" "$LDM_DST_ADDR:$name-b"

say "Both hosts now: the source is marked migrated, the target holds the RAM"
run "$ldmctl" list

say "Stop the paused guest and remove both domains"
kill -CONT "$(cat "$dir/qemu.pid")" 2>/dev/null || true
sparc_stop "$dir"
echo "QEMU stopped."
run "$ldmctl" remove-domain "$name"
run "$ldmctl" remove-domain "$name-b"
run "$ldmctl" list
echo
echo "Demo done."
