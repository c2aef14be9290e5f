#!/bin/sh
# lab/demo.sh: show ldm at work, step by step, for a person watching.
#
#   make demo          (= lab/run --timeout 900 -- lab/demo.sh)
#
# Inside the lab VM, with ldm.ko loaded: create a domain, boot a SPARC
# guest (QEMU SS-5, OpenBIOS) whose RAM is the domain's device node, show
# 'ldmctl list' while it boots and runs, define a Forth constant on its
# console, then live-migrate the running guest to a second "host" (a
# network namespace) with ldmctl serve / migrate --qmp: its RAM through
# ldm, QEMU's device state through QEMU's own migration (x-ignore-shared,
# no RAM) carried by ldmctl. The guest resumes on the target, whose
# console prints the constant. Everything is cleaned up, even on failure
# or Ctrl-C.
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
	[ -f "$dir/watch.pid" ] && kill "$(cat "$dir/watch.pid")" 2>/dev/null
	sparc_stop "$dir/dst" 2>/dev/null || true
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

say "Two hosts: network namespaces $LDM_SRC_NS ($LDM_SRC_ADDR) and $LDM_DST_NS ($LDM_DST_ADDR)"
netns_setup
run ip -n "$LDM_DST_NS" -brief address show
echo "(a domain belongs to the namespace that creates it; the initial one, the"
echo " lab's own, sees them all)"

say "On the source host, create a domain: 64 MiB of guest RAM, owned by the kernel module"
run ip netns exec "$LDM_SRC_NS" "$ldmctl" add-domain "$name" --mem 64M
sparc_wait_node "/dev/ldm/$name" 5
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

say "Type Forth lines on the guest's serial console"
line='decimal 1234 5678 * . hex'
echo "0 > $line"
sparc_type "$dir" "$line" | tail -n 1
line='decimal 4242 constant ldmval hex'
echo "0 > $line"
sparc_type "$dir" "$line" | tail -n 1
echo "(the constant lives in the guest's RAM: we will ask for it on the target)"

say "The domain now: pages the guest touched are resident, and dirty"
run "$ldmctl" list
run "$ldmctl" list -j

say "Certificates for both hosts, signed by a CA both trust (made now, thrown away after)"
PKI=$dir/pki
mkcert ca ldm-demo-ca DNS:ldm-demo-ca self
mkcert src ldm-src "IP:$LDM_SRC_ADDR" ca
mkcert dst ldm-dst "IP:$LDM_DST_ADDR" ca
run "$ldmctl" trust add --trust-dir "$PKI/trust" "$PKI/ca.crt"

say "The target host listens for migrations; its QEMUs' QMP sockets go in qmp/"
mkdir -m 700 "$dir/qmp"
echo "\$ ip netns exec $LDM_DST_NS ldmctl serve --listen $LDM_DST_ADDR:7070 --cert dst.crt --key dst.key --trust-dir trust --qmp-dir qmp &"
ip netns exec "$LDM_DST_NS" "$ldmctl" serve --listen "$LDM_DST_ADDR:7070" \
	--cert "$PKI/dst.crt" --key "$PKI/dst.key" --trust-dir "$PKI/trust" \
	--qmp-dir "$dir/qmp" 2> "$dir/serve.log" &
echo $! > "$dir/serve.pid"
i=0
until grep -q listening "$dir/serve.log" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { cat "$dir/serve.log" >&2; exit 1; }
	sleep 0.1
done

say "On the target, a QEMU waits for the guest as soon as serve makes its domain"
echo "(when /dev/ldm/$name-b appears: the same machine on it, with -incoming defer -S,"
echo " its QMP socket linked as qmp/$name-b.qmp)"
(
	sparc_wait_node "/dev/ldm/$name-b" 120
	sparc_start "$dir/dst" "/dev/ldm/$name-b" -incoming defer -S
	sparc_wait_qmp "$dir/dst" 30
	ln -s "$dir/dst/qmp.sock" "$dir/qmp/$name-b.qmp"
) &
echo $! > "$dir/watch.pid"

say "Live-migrate the running guest to the target, and check its RAM page by page"
echo "(pre-copy rounds while the guest runs; QEMU is stopped for the final round,"
echo " its device state goes over the same TLS connection, the target resumes it)"
echo "\$ ip netns exec $LDM_SRC_NS ldmctl migrate --verify --qmp qmp.sock $name $LDM_DST_ADDR:$name-b"
ip netns exec "$LDM_SRC_NS" "$ldmctl" migrate --cert "$PKI/src.crt" \
	--key "$PKI/src.key" --trust-dir "$PKI/trust" --port 7070 --verify \
	--qmp "$dir/qmp.sock" "$name" "$LDM_DST_ADDR:$name-b"
rm -f "$dir/watch.pid"
echo "The target's log:"
sed 's/^ldmctl: serve: /  /' "$dir/serve.log"

say "The guest runs on the target: ask it for the constant on the TARGET's console"
sparc_wait_status "$dir/dst" running 60 || {
	echo "the target QEMU does not run" >&2
	exit 1
}
line='decimal ldmval . hex'
echo "0 > $line"
sparc_type "$dir/dst" "$line" | tail -n 1

say "Both hosts now: the source QEMU is stopped, its domain marked migrated"
echo "source QEMU: $(sparc_qmp "$dir" '{"execute": "query-status"}')"
echo "target QEMU: $(sparc_qmp "$dir/dst" '{"execute": "query-status"}')"
run "$ldmctl" list

say "Stop both guests and remove both domains"
sparc_stop "$dir/dst"
sparc_stop "$dir"
echo "QEMU stopped, on both hosts."
run "$ldmctl" remove-domain "$name"
run "$ldmctl" remove-domain "$name-b"
run "$ldmctl" list
echo
echo "Demo done."
