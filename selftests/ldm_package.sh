#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ldm_package.sh: the Debian packages, installed and used in the lab VM,
# in TAP. Its own lab run, without the lab's ldm.ko (lab/check.sh's
# "package" step):
#
#   make deb && lab/run --no-module --timeout 1800 -- selftests/ldm_package.sh
#
# The lab VM has no systemd and its root is the build machine's, read-only
# over 9p. So the packages go into an overlay: overlayfs over / with a
# tmpfs upper layer, at $R, with its own /proc, /sys, /dev and /run and
# the test's /tmp, and everything below runs chrooted there:
# - dpkg -i of ldm-dkms and ldmctl (build/deb/, from 'make deb'): DKMS
#   builds ldm.ko for the lab kernel (timed) and installs it under
#   updates/dkms; dkms status says so;
# - boot's module loading: systemd-modules-load (what boot runs) loads
#   ldm from the package's modules-load.d, and modprobe names the DKMS
#   build (the lab's driver/ldm.ko is never loaded in this run);
# - udev's rule: udevadm test on a domain's device applies 60-ldm.rules
#   (root, 0600);
# - the service: ldm-serve.service's ExecStart command line, taken from
#   the installed unit file and run as it is (no systemd: none of its
#   sandboxing applies here), in the target "host" (lab/netns.sh), with
#   /etc/ldm/ldm.conf giving the lab's address, this host's certificate
#   at the package's defaults and the trust directory the package made;
#   a domain migrates into it from the source "host" with the packaged
#   ldmctl, byte-identical; ExecReload (SIGHUP) reloads it while it runs;
# - a real guest migrates into the service: the SPARCstation 5 of
#   lab/sparc.sh (OpenBIOS, as selftests/ldm_sparc_migrate.sh), whose
#   boot starts as soon as the module is loaded and the hosts are up (it
#   runs on while the steps above do: 1 to 2 minutes under TCG); a Forth
#   constant defined on its console; the packaged 'ldmctl migrate --qmp
#   --verify' from the source host; the target QEMU, started with
#   '-incoming defer -S' on the domain the service makes, its QMP socket
#   linked into the directory that ldm.conf's qmp-dir names (ExecStart has
#   no --qmp-dir: the packaged config drives it). The constant is read
#   back on the TARGET's console, which runs; the source QEMU is
#   'postmigrate' and its domain 'migrated';
# - a bad line in ldm.conf: ExecStart exits 2 (the unit's
#   RestartPreventExitStatus) naming the file and line;
# - dpkg --purge removes the module DKMS built.
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
if [ -d /sys/module/ldm ]; then
	# Not this test's module: run it with lab/run --no-module.
	rmmod ldm || {
		echo "1..1"
		echo "not ok 1 unload the lab's ldm.ko first (run with lab/run --no-module)"
		exit 1
	}
fi

DEBS=$PWD/build/deb
R=/tmp/ldm-package/root		# the overlay root
MIG_TMP=/tmp			# $W, under /tmp, which $R shares
PL=/tmp/ldm-package/ldmctl	# the packaged ldmctl, run in $R
export MIG_TMP
mkdir -p /tmp/ldm-package
printf '#!/bin/sh\nexec chroot %s /usr/sbin/ldmctl "$@"\n' "$R" > "$PL"
chmod 755 "$PL"
LDMCTL=$PL
. "$(dirname "$0")/migrate_lib.sh"
in_root() { chroot "$R" "$@"; }
. lab/sparc.sh

# The real guest (lab/sparc.sh): its domains, its handles, the service's
# QMP directory (under /tmp, which $R shares: the same path in and out).
GS=sparc-src		# the source guest's domain
GT=sparc-dst		# the target domain, which the service makes
VALUE=4242		# the Forth constant that must come across
S=$W/sparc-src
T=$W/sparc-dst
Q=$W/qmp

echo "1..22"

# ---- the overlay ----
mounted=()
overlay_up() {
	local d=/tmp/ldm-package
	mkdir -p "$d/upper" "$d/work" "$R" &&
	modprobe overlay &&
	mount -t overlay overlay \
		-o "lowerdir=/,upperdir=$d/upper,workdir=$d/work" "$R" &&
	mounted+=("$R") || return 1
	mount -t proc proc "$R/proc" && mounted+=("$R/proc") &&
	mount -t sysfs sys "$R/sys" && mounted+=("$R/sys") &&
	mount --rbind /dev "$R/dev" && mounted+=("$R/dev") &&
	mount -t tmpfs -o mode=755 tmpfs "$R/run" && mounted+=("$R/run") &&
	mount --bind /tmp "$R/tmp" && mounted+=("$R/tmp")
}
overlay_down() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[i]}" 2>/dev/null
	done
}
guests_stop() {
	[ -f "$W/target-qemu.wpid" ] && kill "$(cat "$W/target-qemu.wpid")" 2>/dev/null
	rm -f "$W/target-qemu.wpid"
	sparc_stop "$T" 2>/dev/null
	sparc_stop "$S" 2>/dev/null
}
pkg_cleanup() {
	[ -f "$W/pkgserve.pid" ] && kill "$(cat "$W/pkgserve.pid")" 2>/dev/null
	guests_stop
	if [ -n "${LAB_OUT:-}" ]; then
		sparc_save "$S" "$LAB_OUT/ldm_package.sparc-src"
		sparc_save "$T" "$LAB_OUT/ldm_package.sparc-dst"
		for f in pkgserve.log guest-migrate.out target-qemu.log; do
			cp "$W/$f" "$LAB_OUT/ldm_package.$f" 2>/dev/null
		done
	fi
	cleanup 2>/dev/null
	rmmod ldm 2>/dev/null
	overlay_down
}
trap pkg_cleanup EXIT

ls "$DEBS"/ldm-dkms_*_all.deb "$DEBS"/ldmctl_*_amd64.deb > /dev/null 2>&1
tap $? "the packages are built ($DEBS: run 'make deb')"
check "overlayfs over / at $R, with its own /proc, /sys, /dev, /run" overlay_up

# ---- installing: DKMS builds the module ----
install_debs() {
	local t0=$SECONDS rc
	cp "$DEBS"/ldm-dkms_*_all.deb "$DEBS"/ldmctl_*_amd64.deb "$W/" &&
	in_root dpkg -i "$W"/ldm-dkms_*_all.deb "$W"/ldmctl_*_amd64.deb \
		> "$W/dpkg.log" 2>&1
	rc=$?
	say "dpkg -i of both packages (DKMS building ldm.ko for $(uname -r)): $((SECONDS - t0)) s"
	[ "$rc" = 0 ] || sed 's/^/#   /' "$W/dpkg.log"
	return "$rc"
}
check "dpkg -i ldm-dkms ldmctl (DKMS builds ldm.ko)" install_debs

kv=$(uname -r)
built() {
	local st
	st=$(in_root dkms status -m ldm -k "$kv" 2>&1)
	say "dkms status: $st"
	case $st in *": installed"*) ;; *) return 1 ;; esac
	[ -f "$R/lib/modules/$kv/updates/dkms/ldm.ko" ] ||
		[ -f "$R/lib/modules/$kv/updates/dkms/ldm.ko.xz" ]
}
check "dkms status: ldm installed for $kv, in updates/dkms" built
files() {
	local f
	for f in /usr/sbin/ldmctl /etc/ldm/ldm.conf /etc/ldm/trust \
		/lib/systemd/system/ldm-serve.service /usr/lib/modules-load.d/ldm.conf \
		/lib/udev/rules.d/60-ldm.rules /usr/share/man/man8/ldmctl.8.gz \
		/usr/share/bash-completion/completions/ldmctl; do
		[ -e "$R$f" ] || { say "missing: $f"; return 1; }
	done
	# Every setting of the shipped ldm.conf is commented out: no options.
	in_root /usr/sbin/ldmctl serve --config /etc/ldm/ldm.conf --cert /nonexistent \
		2>&1 | grep -q "certificate /nonexistent"
}
check "ldmctl, ldm.conf, the trust directory, the unit, modules-load.d, udev rule, man page, completion" files

# ---- boot: modules-load.d; udev ----
boot_load() {
	local how
	in_root /lib/systemd/systemd-modules-load > "$W/modules-load.log" 2>&1 ||
		{ sed 's/^/#   /' "$W/modules-load.log"; return 1; }
	[ -d /sys/module/ldm ] || { say "ldm is not loaded"; return 1; }
	how=$(in_root modinfo -n ldm)
	say "modinfo -n ldm: $how"
	case $how in */updates/dkms/ldm.ko*) return 0 ;; esac
	return 1
}
check "systemd-modules-load (boot) loads ldm, DKMS's build" boot_load
udev_rule() {
	in_root /usr/sbin/ldmctl add-domain pkgudev --mem 4M &&
	[ -c /dev/ldm/pkgudev ] || return 1
	in_root udevadm test /sys/class/ldm/pkgudev > "$W/udev.log" 2>&1
	in_root /usr/sbin/ldmctl remove-domain pkgudev
	grep -E '60-ldm\.rules|MODE 0600|OWNER' "$W/udev.log" | sed 's/^/#   /'
	grep -q '60-ldm.rules' "$W/udev.log" &&
		grep -Eq 'MODE 0?600' "$W/udev.log"
}
check "udevadm test: a domain's node gets 60-ldm.rules (root, 0600)" udev_rule

# ---- the service ----
check "set up the two hosts and certificates" eval 'netns_setup && make_pki_hosts'
# The real guest's boot takes minutes: it starts now, and the steps below
# run while it boots.
guest_start() {
	mkdir -p "$Q" && chmod 700 "$Q" &&
	on_src add-domain "$GS" --mem 64M &&
	sparc_wait_node "/dev/ldm/$GS" 5 &&
	sparc_start "$S" "/dev/ldm/$GS"
}
t_boot=$SECONDS
check "the source guest (QEMU SS-5, OpenBIOS) starts booting on /dev/ldm/$GS" guest_start
unit=$R/lib/systemd/system/ldm-serve.service
start_cmd=$(sed -n 's/^ExecStart=//p' "$unit")
reload_cmd=$(sed -n 's/^ExecReload=//p' "$unit")
say "ExecStart=$start_cmd"
configure() {
	install -m 0600 "$PKI/dst.crt" "$R/etc/ldm/server.crt" &&
	install -m 0600 "$PKI/dst.key" "$R/etc/ldm/server.key" &&
	in_root /usr/sbin/ldmctl trust add "$PKI/ca.crt" > /dev/null &&
	# The shipped file, with three settings of the lab's. (serve gives a
	# target QEMU a third of its timeout to load the device state: 10 s.)
	sed -e "s|^#listen = .*|listen = $DA:$PORT|" \
		-e 's|^#timeout = .*|timeout = 30|' \
		-e "s|^#qmp-dir = .*|qmp-dir = $Q|" \
		"$R/etc/ldm/ldm.conf" > "$W/ldm.conf" &&
	grep -q "^qmp-dir = $Q\$" "$W/ldm.conf" &&
	install -m 0644 "$W/ldm.conf" "$R/etc/ldm/ldm.conf"
}
check "ldm.conf: listen on the target host, qmp-dir $Q; its certificate and trust at the defaults" configure
# ExecStart as the unit has it, in the target host, logging to a file.
start_service() {
	# shellcheck disable=SC2086 # the unit's command line, split as systemd does
	ip netns exec "$DST" chroot "$R" $start_cmd 2> "$W/pkgserve.log" &
	echo $! > "$W/pkgserve.pid"
	for _ in $(seq 200); do
		grep -q listening "$W/pkgserve.log" && return 0
		sleep 0.1
	done
	sed 's/^/#   /' "$W/pkgserve.log"
	return 1
}
check "ExecStart ($start_cmd) listens on $DA:$PORT" start_service
migrate_in() {
	newdom pkgdom 32M || return 1
	on_src migrate --cert "$PKI/src.crt" --key "$PKI/src.key" \
		--trust-dir /etc/ldm/trust --verify pkgdom "$DA:pkgdom-t" \
		> "$W/migrate.out" 2>&1 ||
		{ sed 's/^/#   /' "$W/migrate.out" "$W/pkgserve.log"; return 1; }
	same pkgdom pkgdom-t && test "$(state pkgdom)" = migrated
}
check "a 32M domain migrates into the service, byte-identical (--verify)" migrate_in
reload() {
	MAINPID=$(cat "$W/pkgserve.pid") sh -c "$reload_cmd" || return 1
	for _ in $(seq 100); do
		grep -q reloaded "$W/pkgserve.log" && break
		sleep 0.1
	done
	grep 'reload' "$W/pkgserve.log" | sed 's/^/#   /'
	grep -q reloaded "$W/pkgserve.log" && kill -0 "$(cat "$W/pkgserve.pid")"
}
check "ExecReload ($reload_cmd): serve reloads and runs on" reload

# ---- the real guest migrates into the service ----
guest_boot() {
	sparc_wait_prompt "$S" "${SPARC_BOOT_TIMEOUT:-400}" || return 1
	say "the source guest's boot: $((SECONDS - t_boot)) s from its start"
}
check "the source guest boots to OpenBIOS's prompt" guest_boot
guest_define() {
	local out
	out=$(sparc_type "$S" "decimal $VALUE constant ldmval hex" 60) &&
		out=$(sparc_type "$S" "decimal ldmval . hex" 60) || return 1
	printf '%s\n' "$out" | sed 's/^/# source: /'
	[[ $out == *"$VALUE "* ]]
}
check "the source guest defines the Forth constant ldmval = $VALUE" guest_define
# wait_log FILE PATTERN TENTHS: until PATTERN is in FILE (grep -q).
wait_log() {
	local i
	for ((i = 0; i < $3; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	grep -q -- "$2" "$1" 2>/dev/null
}
# The target QEMU, as its operator would start it: once the service
# receives the domain, on its node, with -incoming defer -S, its QMP
# socket linked where ldm.conf's qmp-dir says.
target_qemu() {
	wait_log "$W/pkgserve.log" "receiving '$GT'" 1200 &&
	sparc_wait_node "/dev/ldm/$GT" 10 &&
	sparc_start "$T" "/dev/ldm/$GT" -incoming defer -S &&
	sparc_wait_qmp "$T" 120 &&
	ln -s "$T/qmp.sock" "$Q/$GT.qmp"
}
migrate_guest() {
	local t0=$SECONDS rc from
	case $start_cmd in
	*qmp*) say "ExecStart names a QMP directory itself"; return 1 ;;
	esac
	from=$(($(wc -l < "$W/pkgserve.log") + 1))
	target_qemu > "$W/target-qemu.log" 2>&1 &
	echo $! > "$W/target-qemu.wpid"
	# The source's --timeout (ldm.conf's is 30 s) covers the target
	# QEMU's start-up, which the source waits for before it suspends.
	on_src migrate --cert "$PKI/src.crt" --key "$PKI/src.key" \
		--trust-dir /etc/ldm/trust --timeout 120 --verify \
		--qmp "$S/qmp.sock" "$GS" "$DA:$GT" > "$W/guest-migrate.out" 2>&1
	rc=$?
	# (a migration refused early: no target QEMU is awaited any more)
	[ "$rc" = 0 ] || kill "$(cat "$W/target-qemu.wpid")" 2>/dev/null
	wait "$(cat "$W/target-qemu.wpid")" || say "the target QEMU did not come up"
	rm -f "$W/target-qemu.wpid"
	say "the real guest's migration: $((SECONDS - t0)) s"
	sed 's/^/#   /' "$W/guest-migrate.out" "$W/target-qemu.log"
	tail -n "+$from" "$W/pkgserve.log" | sed 's/^/# serve: /'
	[ "$rc" = 0 ] &&
		grep -q "on $Q/$GT.qmp is ready for the device state" "$W/pkgserve.log" &&
		grep -q "loaded the device state" "$W/pkgserve.log"
}
check "the guest migrates into the service (migrate --qmp --verify), its device state to the QEMU on ldm.conf's qmp-dir" migrate_guest
check "the target QEMU runs after the commit" sparc_wait_status "$T" running 60
target_value() {
	local out
	out=$(sparc_type "$T" "decimal ldmval . hex" 60)
	printf '%s\n' "$out" | sed 's/^/# target: /'
	[[ $out == *"$VALUE "* ]]
}
check "the TARGET guest's console prints ldmval = $VALUE" target_value
source_stopped() {
	local st
	st=$(sparc_status "$S")
	say "source QEMU: '$st'"
	[ "$st" = postmigrate ]
}
check "the source QEMU is stopped (postmigrate)" source_stopped
source_migrated() {
	local st
	st=$(state "$GS")
	say "source domain: '$st'"
	[ "$st" = migrated ]
}
check "the source domain is marked migrated" source_migrated
guests_stop
stop_service() {
	local p
	p=$(cat "$W/pkgserve.pid")
	kill "$p" && wait "$p"
	rm -f "$W/pkgserve.pid"
	grep -q stopped "$W/pkgserve.log"
}
bad_conf() {
	local rc
	stop_service || return 1
	printf '[serve]\nstreams = 4\n' >> "$W/ldm.conf"
	install -m 0644 "$W/ldm.conf" "$R/etc/ldm/ldm.conf"
	# shellcheck disable=SC2086 # as above
	ip netns exec "$DST" chroot "$R" $start_cmd > "$W/bad.log" 2>&1
	rc=$?
	sed 's/^/#   /' "$W/bad.log"
	[ "$rc" = 2 ] && grep -q "RestartPreventExitStatus=2" "$unit" &&
		grep -q "^ldmctl: serve: /etc/ldm/ldm.conf:[0-9]*: 'streams' is not a setting of \[serve\]" "$W/bad.log"
}
check "a bad ldm.conf line: ExecStart exits 2, naming file and line; no restart (RestartPreventExitStatus=2)" bad_conf

# ---- removal ----
purge() {
	local t0
	guests_stop
	cleanup 2>/dev/null
	L=$PWD/tools/ldmctl/ldmctl	# for the last cleanup, at exit
	rmmod ldm || return 1
	t0=$SECONDS
	in_root dpkg --purge ldm-dkms ldmctl > "$W/purge.log" 2>&1 ||
		{ sed 's/^/#   /' "$W/purge.log"; return 1; }
	say "dpkg --purge of both packages: $((SECONDS - t0)) s"
	[ ! -e "$R/lib/modules/$kv/updates/dkms/ldm.ko" ] &&
		[ ! -e "$R/usr/sbin/ldmctl" ] && [ ! -e "$R/etc/ldm/ldm.conf" ]
}
check "dpkg --purge: DKMS's ldm.ko, ldmctl and ldm.conf are gone" purge
say "total: $SECONDS s"

[ "$fails" = 0 ]
