#!/bin/sh
# Build (or reuse) the lab VM's initramfs and print its path.
#
# usage: lab/initramfs.sh KVER OUTDIR
#
# The initramfs is tiny on purpose: a static busybox, lab/init as /init, and
# the modules the lab kernel needs to mount the host's root over virtio-9p.
# KVER "builtin" is for a kernel that has all of them built in (the debug
# kernel, lab/debugkernel.sh): the image then holds no modules at all.
# Everything else (the tests, ldm.ko, qemu-system-sparc, ...) is used from
# the host root itself, read-only, so the image only changes when these
# inputs do. The image is cached under OUTDIR, keyed by a checksum of its
# inputs, and replaced atomically so parallel lab runs can share it.
set -eu

kver=${1:?usage: lab/initramfs.sh KVER OUTDIR}
outdir=${2:?usage: lab/initramfs.sh KVER OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)

# Load order matters: each module needs the ones before it.
mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
netfs fscache 9pnet 9pnet_virtio 9p"
[ "$kver" != builtin ] || mods=

# busybox-static installs a static /bin/busybox; a dynamic one would not
# run in the initramfs (no libc there).
busybox=/bin/busybox
if [ ! -x "$busybox" ] || ! dpkg-query -W busybox-static >/dev/null 2>&1; then
	echo "lab/initramfs.sh: static busybox is missing" \
		"(run 'make deps': busybox-static)" >&2
	exit 1
fi

paths=""
for m in $mods; do
	p=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || {
		echo "lab/initramfs.sh: module $m not found for kernel $kver" \
			"(run 'make deps': linux-image-amd64, kmod)" >&2
		exit 1
	}
	case $p in
	*.ko) ;;
	*) echo "lab/initramfs.sh: $p: only uncompressed .ko modules are supported" >&2
	   exit 1 ;;
	esac
	paths="$paths $p"
done

# shellcheck disable=SC2086 # $paths is a list of paths without spaces
key=$(cat "$0" "$here/init" "$busybox" $paths | sha256sum | cut -c1-16)
img="$outdir/initramfs-$kver-$key.cpio"
if [ -s "$img" ]; then
	echo "$img"
	exit 0
fi

mkdir -p "$outdir"
tmp=$(mktemp -d "$outdir/.initramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/host" \
	"$root/out" "$root/lib/modules"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$here/init" "$root/init"
chmod 755 "$root/init"
for m in $mods; do
	cp "$(modinfo -k "$kver" -n "$m")" "$root/lib/modules/$m.ko"
done
# One name a line (none at all for "builtin").
for m in $mods; do echo "$m"; done > "$root/lib/modules/order"
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) \
	> "$tmp/img.cpio"
# Drop older images for this kernel, then publish the new one atomically.
rm -f "$outdir/initramfs-$kver-"*.cpio
mv "$tmp/img.cpio" "$img"
echo "$img"
