#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_sparc_linux.sh: TAP test of a live migration of a Linux guest at
# work: the SPARC Linux guest (lab/sparc-linux.sh, guest/) on a QEMU SS-5
# whose 256 MiB of RAM is an ldm domain moves from the lab's source "host"
# (namespace ldm-src) to its target (ldm-dst) while its workload writes its
# heap, rewrites its page cache and re-verifies everything it wrote.
#
#   make sparc-linux && make && lab/run --timeout 1500 -- selftests/ldm_sparc_linux.sh
#
# The guest boots on /dev/ldm/lnx-src and says "ready" once its heap and
# its cache are filled. 'ldmctl serve --qmp-dir Q' runs on the target; when
# serve has created /dev/ldm/lnx-dst, the test starts the target QEMU on it
# (the same kernel, initramfs and command line, '-incoming defer -S') and
# links its QMP socket into Q. 'ldmctl migrate --qmp --verify' moves the
# RAM through ldm and QEMU's device state over the same TLS connection.
# Then, from the guest's own console on the TARGET: it goes on writing
# (its clock and its write count move past where the source left them),
# it reports the pause it lived through (its heartbeat, served the host's
# clock by lab/sparc-clock.py on each side), it completes a whole
# verification pass of its heap after the migration, and "status" answers
# "integrity ok". The source QEMU must be stopped (postmigrate) and its
# domain marked migrated.
#
# Environment: LDMCTL; SPARC_APPEND (the workload, default
# "ldm.mem=8 ldm.rate=20 ldm.threads=2 ldm.cache=1 ldm.cacherate=1 ldm.report=3"),
# SPARC_BOOT_TIMEOUT (seconds to "ready", default 900), LAB_OUT (consoles
# and logs are copied there as ldm_sparc_linux.*).
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
if [ ! -d /sys/module/ldm ]; then
	echo "1..0 # SKIP ldm.ko is not loaded"
	exit 0
fi
MIG_TMP=/tmp	# FIFOs and sockets: not on the lab's 9p
. "$(dirname "$0")/migrate_lib.sh"
. lab/sparc.sh

SD=lnx-src
TD=lnx-dst
PORT=8121
APPEND=${SPARC_APPEND:-ldm.mem=8 ldm.rate=20 ldm.threads=2 ldm.cache=1 ldm.cacherate=1 ldm.report=3}
Q=$W/qmp	# serve --qmp-dir
S=$W/src	# the source guest's handle
T=$W/dst	# the target guest's handle
mkdir -p "$Q" "$S" "$T"
chmod 700 "$W" "$Q"


linux_cleanup() {
	[ -f "$W/watch.pid" ] && kill "$(cat "$W/watch.pid")" 2>/dev/null
	sparc_stop "$T" 2>/dev/null
	sparc_stop "$S" 2>/dev/null
	if [ -n "${LAB_OUT:-}" ]; then
		sparc_save "$S" "$LAB_OUT/ldm_sparc_linux.src"
		sparc_save "$T" "$LAB_OUT/ldm_sparc_linux.dst"
		for f in serve.log migrate.out; do
			cp "$W/$f" "$LAB_OUT/ldm_sparc_linux.$f" 2>/dev/null
		done
	fi
	cleanup
	rm -rf "$W"
}
trap linux_cleanup EXIT

echo "1..12"
t0=$(date +%s)

for f in "${SPARC_KERNEL:-build/sparc/zImage}" "${SPARC_INITRD:-build/guest/initramfs.cpio}"; do
	[ -r "$f" ] || { say "$f is missing: run 'make sparc-linux' first"; break; }
done
[ -r "${SPARC_KERNEL:-build/sparc/zImage}" ] && [ -r "${SPARC_INITRD:-build/guest/initramfs.cpio}" ]
tap $? "the guest's kernel and initramfs are built (make sparc-linux)"

netns_setup && make_pki_hosts
tap $? "two hosts ($SRC, $DST) with certificates"

"$L" remove-domain "$TD" >/dev/null 2>&1
"$L" remove-domain "$SD" >/dev/null 2>&1
say "workload: $APPEND"
on_src add-domain "$SD" --mem 256M &&
	sparc_wait_node "/dev/ldm/$SD" 5 &&
	sparc_start_linux "$S" "/dev/ldm/$SD" "$APPEND" &&
	sparc_wait_console "$S" '^ldm-guest: starting' "${SPARC_BOOT_TIMEOUT:-900}" >/dev/null &&
	say "/init after $(($(date +%s) - t0)) s" &&
	ready=$(sparc_wait_console "$S" '^ldm-guest: (ready|error)' "${SPARC_BOOT_TIMEOUT:-900}") &&
	echo "# source: $ready" && case $ready in *ready*) true ;; *) false ;; esac
tap $? "the source guest boots Linux on /dev/ldm/$SD and its workload is ready"
say "ready after $(($(date +%s) - t0)) s"

# A status line from the running source: where the guest is before.
from=$(sparc_console_size "$S")
before=$(sparc_wait_console "$S" '^ldm-guest: t=' 60 "$from")
echo "# source: $before"
case $before in *"integrity ok"*) true ;; *) false ;; esac
tap $? "the source guest writes and verifies its memory: integrity ok"

serve_start serve "$PORT" --qmp-dir "$Q" --timeout 120
tap $? "serve --qmp-dir listens on the target host"

# The target QEMU: the same machine, kernel and command line, waiting for
# the device state; started when serve makes its domain.
(
	sparc_wait_node "/dev/ldm/$TD" 600 &&
		sparc_start_linux "$T" "/dev/ldm/$TD" "$APPEND" -incoming defer -S &&
		sparc_wait_qmp "$T" 120 &&
		ln -s "$T/qmp.sock" "$Q/$TD.qmp"
) &
echo $! > "$W/watch.pid"

t1=$(date +%s)
ip netns exec "$SRC" "$L" migrate --cert "$PKI/src.crt" --key "$PKI/src.key" \
	--trust-dir "$PKI/trust" --port "$PORT" --timeout 120 --verify \
	--qmp "$S/qmp.sock" "$SD" "$DA:$TD" > "$W/migrate.out" 2>&1
rc=$?
rm -f "$W/watch.pid"
say "migration took $(($(date +%s) - t1)) s"
sed 's/^/#   /' "$W/migrate.out"
tap "$rc" "ldmctl migrate --qmp --verify $SD $DA:$TD, the workload running"

sparc_wait_status "$T" running 60
tap $? "the target QEMU runs after the commit (status '$(sparc_status "$T")')"

st=$(sparc_status "$S")
sst=$(state "$SD")
[ "$st" = postmigrate ] && [ "$sst" = migrated ]
tap $? "the source QEMU is stopped ('$st'), its domain marked migrated ('$sst')"

# Alive on the target: its own clock and its write count go past the
# source's last status line.
last=$(_sparc_lines "$S/console.log" 1 | grep '^ldm-guest: t=' | tail -n 1)
t_src=$(sparc_field t "$last")
w_src=$(sparc_field written "$last")
after=$(sparc_wait_console "$T" '^ldm-guest: t=' 120)
echo "# target: $after"
t_dst=$(sparc_field t "$after")
w_dst=$(sparc_field written "$after")
[ -n "$t_dst" ] && [ -n "$w_dst" ] && [ "$t_dst" -gt "${t_src:-0}" ] &&
	[ "$w_dst" -gt "${w_src:-0}" ]
tap $? "the guest runs on the target: t=${t_dst:-?} s after ${t_src:-?} s, written=${w_dst:-?} after ${w_src:-?}"

# The pause the guest lived through, from its heartbeat: its first gap
# line on the target is the migration's, and it covers ldm's suspension
# (QEMU stops before the suspension and runs again after the commit).
gap=$(_sparc_lines "$T/console.log" 1 | grep -m 1 '^ldm-guest: gap ')
echo "# target: ${gap:-no gap line}"
gap_ms=$(echo "$gap" | sed -n 's/.*gap \([0-9]*\) ms.*/\1/p')
err_ms=$(echo "$gap" | sed -n 's/.*(+-\([0-9]*\) ms.*/\1/p')
down=$(sed -n 's/^  suspension: *\([0-9]*\).*/\1/p' "$W/migrate.out")
clock=$(sparc_field clock "$after")
[ "$clock" = host ] && [ -n "$gap_ms" ] && [ -n "$err_ms" ] && [ -n "$down" ] &&
	[ $((gap_ms + err_ms)) -ge "$down" ]
tap $? "the guest measured its pause on the host's clock: ${gap_ms:-?} ms (+-${err_ms:-?}), ldm's suspension ${down:-?} ms within it"

# A whole verification pass after the migration, then "status".
p0=$(sparc_field passes "$after")
st=$(sparc_verified "$T" "$after" 120)
echo "# target: $st"
p2=$(sparc_field passes "$st")
[ -n "$p2" ] && [ "$p2" -gt "${p0:-0}" ] && case $st in *"integrity ok"*) true ;; *) false ;; esac
tap $? "after a whole verification pass on the target (passes ${p0:-?} -> ${p2:-?}): integrity ok"

! _sparc_lines "$T/console.log" 1 | grep -q '^ldm-guest: BAD'
tap $? "no page reported bad on the target's console"

sed 's/^/# serve: /' "$W/serve.log"
say "total $(($(date +%s) - t0)) s"
[ "$fails" = 0 ]
