#!/bin/bash
# lab/sparc-linux.sh: build (or reuse) the SPARC Linux guest's kernel.
#
# usage: lab/sparc-linux.sh
#
# A sparc32 Linux 6.1 for QEMU's sun4m machines (the SS-5 the lab runs),
# from Debian's kernel source package (/usr/src/linux-source-6.1.tar.xz,
# LDM_SPARC_TARBALL overrides) and Debian's cross compiler
# (gcc-sparc64-linux-gnu, which builds 32-bit kernels too):
# `make ARCH=sparc sparc32_defconfig`, then lab/sparc-linux.config merged on
# top (merge_config.sh), then olddefconfig, then `make zImage`. Every line
# of the fragment is then checked in the final .config, and the build fails
# naming any option Kconfig dropped or changed.
#
# The build is out of tree in a cache directory (LDM_SPARC_CACHE, default
# /var/tmp/ldm-sparc-linux), keyed by a checksum of the fragment, the
# tarball (name, size, time), this script and the cross compiler's
# version: it is rebuilt only when one of those changes (reconfigured from
# scratch, then an incremental make in the same tree; a new tarball starts
# a new tree), and a run with nothing changed takes a second. Parallel runs
# wait for each other (flock). From scratch: about 13 min on two shared
# cores (see Documentation/lab.rst); LDM_SPARC_JOBS sets -j.
#
# Result: build/sparc/zImage (a copy from the cache), what
# `qemu-system-sparc -M SS-5 -kernel` boots; the guest's initramfs is
# guest/'s (make -C guest). `make sparc-linux` builds both.
set -eu

prog=lab/sparc-linux.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}
say() { echo "$prog: $*" >&2; }

[ $# = 0 ] || { sed -n '4p' "$0" | sed 's/^# //' >&2; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$repo/build}
cache=${LDM_SPARC_CACHE:-/var/tmp/ldm-sparc-linux}
tarball=${LDM_SPARC_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
fragment=$repo/lab/sparc-linux.config
jobs=${LDM_SPARC_JOBS:-$(nproc)}
cross=sparc64-linux-gnu-

[ -r "$tarball" ] || die "cannot read $tarball (run 'make deps': linux-source-6.1)"
command -v "${cross}gcc" >/dev/null ||
	die "${cross}gcc is missing (run 'make deps': gcc-sparc64-linux-gnu)"
for t in gcc make flex bison bc xz; do
	command -v "$t" >/dev/null || die "$t is missing (run 'make deps')"
done

# The cache keys: one for the unpacked source, one for the built kernel.
tarkey=$(stat -c '%n %s %Y' "$tarball" | sha256sum | cut -c1-12)
key=$( {
	cat "$fragment" "$0"
	echo "$tarkey"
	"${cross}gcc" --version | head -n 1
} | sha256sum | cut -c1-16)
src=$cache/src-$tarkey
obj=$cache/kernel-$tarkey
mkdir -p "$cache"

# One build at a time per cache; later runs then find it done.
exec 8> "$cache/lock"
if ! flock -n 8; then
	say "another build holds $cache/lock; waiting"
	flock 8
fi

if [ ! -f "$src/Makefile" ]; then
	say "unpacking $tarball into $src"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	mv "$src.tmp" "$src"
fi

# kmake ARGS...: the kernel's make, out of tree in $obj, niced (a shared box).
kmake() {
	nice -n 10 make -C "$src" O="$obj" ARCH=sparc CROSS_COMPILE="$cross" \
		-j"$jobs" "$@"
}

# check_config: every line of the fragment, as it is in $obj/.config.
check_config() {
	local line sym bad=
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$obj/.config" || {
				sym=${line%%=*}
				bad="$bad
  wanted $line, got: $(grep -E "^(# )?${sym}[= ]" "$obj/.config" || echo "$sym absent")"
			} ;;
		'# CONFIG_'*' is not set')
			sym=${line#\# }
			sym=${sym%% *}
			if grep -q "^$sym=" "$obj/.config"; then
				bad="$bad
  wanted $line, got: $(grep "^$sym=" "$obj/.config")"
			fi ;;
		esac
	done < "$fragment"
	[ -z "$bad" ] || die "lab/sparc-linux.config did not end up in $obj/.config:$bad"
}

if [ "$(head -n 1 "$obj/.done" 2>/dev/null)" = "$key" ]; then
	say "kernel cached: $obj ($(sed -n 2p "$obj/.done"))"
else
	say "building the SPARC guest kernel in $obj (make -j$jobs; about 13 min)"
	start=$SECONDS
	rm -f "$obj/.done"
	mkdir -p "$obj"
	kmake -s sparc32_defconfig
	# -m: merge only, -O: into $obj; olddefconfig then resolves the rest.
	(cd "$obj" && ARCH=sparc "$src/scripts/kconfig/merge_config.sh" -m \
		-O "$obj" "$obj/.config" "$fragment") > "$obj/merge_config.log" 2>&1 ||
		die "merge_config.sh failed (see $obj/merge_config.log)"
	kmake -s olddefconfig
	check_config
	kmake -s zImage 2>&1 | tee "$obj/build.log" >&2
	[ "${PIPESTATUS[0]}" = 0 ] || die "kernel build failed (log: $obj/build.log)"
	release=$(kmake -s kernelrelease)
	printf '%s\n%s\n' "$key" \
		"$release, built in $((SECONDS - start)) s on $(date -u +%FT%TZ)" > "$obj/.done"
	say "built $release in $((SECONDS - start)) s"
	# Trees and sources of other tarballs are dead weight (GBs).
	for d in "$cache"/kernel-* "$cache"/src-*; do
		[ "$d" = "$obj" ] || [ "$d" = "$src" ] || rm -rf "$d"
	done
fi
check_config

# A copy, not a link: the lab VM has its own tmpfs on /var/tmp.
mkdir -p "$build/sparc"
{ [ ! -L "$build/sparc/zImage" ] &&
	cmp -s "$obj/arch/sparc/boot/zImage" "$build/sparc/zImage"; } 2>/dev/null || {
	rm -f "$build/sparc/zImage"
	cp "$obj/arch/sparc/boot/zImage" "$build/sparc/zImage.tmp"
	mv "$build/sparc/zImage.tmp" "$build/sparc/zImage"
}
say "kernel: $build/sparc/zImage ($(sed -n 2p "$obj/.done" | cut -d, -f1))"
