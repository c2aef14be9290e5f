#!/bin/sh
# lab/demo.sh: show ldm at work, step by step, for a person watching.
#
#   make demo          (= make sparc-linux, then
#                       lab/run --timeout 2400 -- lab/demo.sh)
#
# Inside the lab VM, with ldm.ko loaded: create a domain, boot a SPARC
# guest (QEMU SS-5, Linux with the workload of guest/: a heap rewritten
# all the time, files in a tmpfs, a verifier and a heartbeat) whose RAM is
# the domain's device node, show 'ldmctl list' and the guest's console
# while it boots and works, then live-migrate the running guest to a
# second "host" (a network namespace) with ldmctl serve / migrate --qmp:
# its RAM through ldm, QEMU's device state through QEMU's own migration
# (x-ignore-shared, no RAM) carried by ldmctl. The guest resumes on the
# target, whose console shows that it kept running, its longest pause and,
# after a whole verification pass there, "integrity ok". Everything is
# cleaned up, even on failure or Ctrl-C. SPARC_APPEND replaces the
# workload's options (guest/init.c lists them).
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
heap=8
append=${SPARC_APPEND:-ldm.mem=$heap ldm.rate=200 ldm.threads=2 ldm.cache=1 ldm.report=5}
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

say "On the source host, create a domain: 256 MiB of guest RAM, owned by the kernel module"
run ip netns exec "$LDM_SRC_NS" "$ldmctl" add-domain "$name" --mem 256M
sparc_wait_node "/dev/ldm/$name" 5
run ls -l "/dev/ldm/$name"
run "$ldmctl" list
echo "(no page is allocated until the guest touches it)"

say "Boot Linux on a SPARCstation 5 (QEMU) with /dev/ldm/$name as its RAM"
echo "\$ qemu-system-sparc -machine SS-5,memory-backend=ram0 -m 256M \\"
echo "    -object memory-backend-file,id=ram0,size=256M,mem-path=/dev/ldm/$name,share=on \\"
echo "    -kernel build/sparc/zImage -initrd build/guest/initramfs.cpio \\"
echo "    -append 'console=ttyS0 $append' ..."
echo "The guest's /init is its workload (guest/): a heap of ${heap} MiB of text, code,"
echo "random, zero and repeated pages rewritten all the time, files in a tmpfs, a"
echo "verifier that re-reads everything it wrote against its checksums, and a"
echo "heartbeat that measures every pause the guest lives through."
sparc_start_linux "$dir" "/dev/ldm/$name" "$append"
echo "Linux emulated inside an emulated x86 VM: a few minutes to boot and fill"
echo "its heap. Meanwhile, the domain as ldm sees it, and the guest's console:"
start=$(date +%s)
shown=0
until ready=$(_sparc_lines "$dir/console.log" 1 | grep -E -m 1 '^ldm-guest: (ready|error)'); do
	sparc_running "$dir" || {
		echo "QEMU exited:" >&2
		cat "$dir/qemu.log" >&2
		exit 1
	}
	if [ $(($(date +%s) - start)) -ge 1200 ]; then
		echo "the guest was not ready after 1200 s" >&2
		exit 1
	fi
	sleep 20
	echo "--- after $(($(date +%s) - start)) s:"
	"$ldmctl" list
	size=$(sparc_console_size "$dir")
	_sparc_lines "$dir/console.log" "$((shown + 1))" |
		grep -E '^(ldm-guest: |\[ *[0-9.]*\] Run /init)' | tail -n 2 | sed 's/^/  guest: /'
	shown=$size
done
echo "  guest: $ready"
case $ready in *error*) exit 1 ;; esac
echo "The guest was ready after $(($(date +%s) - start)) s."

say "The guest at work: its status line (t: its clock; written, verified: pages)"
from=$(sparc_console_size "$dir")
sparc_wait_console "$dir" '^ldm-guest: t=' 60 "$from" | sed 's/^/  guest: /'
run "$ldmctl" list

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
echo "(when /dev/ldm/$name-b appears: the same machine, kernel and command line on"
echo " it, with -incoming defer -S, its QMP socket linked as qmp/$name-b.qmp)"
(
	sparc_wait_node "/dev/ldm/$name-b" 120
	sparc_start_linux "$dir/dst" "/dev/ldm/$name-b" "$append" -incoming defer -S
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

say "The guest runs on the target: its own console there, unedited"
sparc_wait_status "$dir/dst" running 60 || {
	echo "the target QEMU does not run" >&2
	exit 1
}
last=$(_sparc_lines "$dir/console.log" 1 | grep '^ldm-guest: t=' | tail -n 1)
echo "Its last status line on the source was:"
echo "  source: $last"
sparc_wait_console "$dir/dst" '^ldm-guest: t=' 120 >/dev/null
echo "On the target, its clock and its counters go on from there; the pause it"
echo "lived through, measured by its heartbeat against the host's clock:"
_sparc_lines "$dir/dst/console.log" 1 | grep '^ldm-guest: ' | sed 's/^/  target: /'

say "Ask the guest, on the TARGET's console, whether its memory is intact"
echo "(it re-reads every page it wrote against the checksums it keeps; wait for"
echo " one whole pass over its heap on the target, then type 'status')"
l=$(sparc_wait_console "$dir/dst" '^ldm-guest: t=' 60)
l=$(sparc_verified "$dir/dst" "$l" 60)
echo "> status"
echo "  target: $l"
case $l in
*"integrity ok"*)
	echo "The guest kept running, its memory intact; its longest pause:" \
		"$(sparc_field maxgap_ms "$l") ms." ;;
*) echo "the guest does NOT report its memory intact" >&2
   exit 1 ;;
esac

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
