#!/bin/sh
# lab/deps.sh: install every Debian 12 package ldm needs (`make deps`).
#
# Idempotent: installs only the packages that are missing, and does
# nothing at all (no apt-get update, no network) when none is. Needs root
# to install. What each is for:
#   linux-image-amd64 linux-headers-amd64   the lab VM's kernel, and the
#                                           headers ldm.ko is built against
#   linux-source-6.1                        checkpatch, kselftest headers
#   qemu-system-x86 seabios                 the lab VM (qemu-system-x86 only
#                                           recommends its BIOS)
#   qemu-system-sparc                       the SPARC guest (OpenBIOS)
#   busybox-static kmod cpio                the lab's initramfs
#   iproute2 python3                        netns "hosts", test helpers
#   make gcc clang libclang-rt-14-dev sparse pkg-config
#   libnl-genl-3-dev libssl-dev liblz4-dev  building and checking the code
#   zlib1g-dev openssl xz-utils             codec corpus (man pages), test
#                                           certificates, linux-source
#   flex bison bc libelf-dev                building the debug lab kernel
#                                           (lab/debugkernel.sh; libssl-dev
#                                           above too; no BTF, so no dwarves)
#   gnuplot-nox                             make bench's plot
#   libzstd-dev                             make bench-codec: zstd -1 beside
#                                           LZ4 and LZJB
#   gcc-sparc64-linux-gnu                   the SPARC Linux guest: its sparc32
#                                           kernel (lab/sparc-linux.sh) and
#                                           its freestanding /init (guest/)
#   dpkg-dev debhelper dh-dkms lintian      make deb: the packages ldm-dkms and
#                                           ldmctl (lab/deb.sh)
#   dkms                                    DKMS itself: the lab VM installs
#                                           ldm-dkms (selftests/ldm_package.sh);
#                                           nothing is built or installed on
#                                           this machine by having it
# The host kernel is never touched: the lab kernel is only booted in QEMU.
set -eu

pkgs="linux-image-amd64 linux-headers-amd64 linux-source-6.1
qemu-system-x86 seabios qemu-system-sparc busybox-static kmod cpio
iproute2 python3 make gcc clang libclang-rt-14-dev sparse pkg-config
libnl-genl-3-dev libssl-dev liblz4-dev zlib1g-dev openssl xz-utils
flex bison bc libelf-dev gnuplot-nox libzstd-dev gcc-sparc64-linux-gnu
dpkg-dev debhelper dh-dkms lintian dkms"

missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all $(echo "$pkgs" | wc -w) packages are installed"
	exit 0
fi
echo "deps: missing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: run 'make deps' as root to install them" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "deps: apt-get update"
apt-get update -q
echo "deps: apt-get install$missing"
# shellcheck disable=SC2086 # a list of package names
apt-get install -y -q --no-install-recommends $missing
echo "deps: done; lab kernel: $(dirname "$0")/kver says $("$(dirname "$0")/kver")"
