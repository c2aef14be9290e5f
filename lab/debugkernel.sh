#!/bin/bash
# lab/debugkernel.sh: build (or reuse) the debug lab kernel, and ldm.ko for it.
#
# usage: lab/debugkernel.sh [--kernel-only]
#
# The normal lab boots Debian's own kernel, which has none of the checkers
# that find memory and locking bugs in a module. This builds a second lab
# kernel from Debian's kernel source package (/usr/src/linux-source-6.1.tar.xz,
# LDM_DEBUG_TARBALL overrides) with a small configuration of its own:
# `make tinyconfig`, then lab/debug.config merged on top (merge_config.sh),
# then olddefconfig. Every line of the fragment is then checked in the final
# .config, and the build fails naming any option Kconfig dropped (a missing
# dependency, a renamed symbol): a debug kernel silently without KASAN would
# pass every test and prove nothing. Everything the lab needs is built in;
# the debug part is KASAN (generic, inline), lockdep, DEBUG_VM,
# DEBUG_PAGEALLOC, kmemleak, UBSAN, DEBUG_LIST, DEBUG_ATOMIC_SLEEP and fault
# injection (failslab, fail_page_alloc, debugfs controls).
#
# One change to the source: ldm.ko needs wp_shared_mapping_range()
# (CONFIG_MAPPING_DIRTY_HELPERS), which only DRM_VMWGFX selects in 6.1, so
# the unpacked mm/Kconfig gets a prompt for that symbol and the fragment
# sets it, rather than building DRM for nothing.
#
# The build is out of tree in a cache directory (LDM_DEBUG_CACHE, default
# /var/tmp/ldm-debug-kernel), keyed by a checksum of the fragment, the
# tarball (name, size, time), this script and the compiler: it is rebuilt
# only when one of those changes (reconfigured from scratch, then an
# incremental make in the same tree; a new tarball starts a new tree), and
# a run with nothing changed takes seconds. Parallel runs wait for each
# other (flock). From scratch it takes about 14 min of CPU, 27 min on a
# busy 2-core machine (see Documentation/lab.rst); LDM_DEBUG_JOBS sets -j.
#
# Then ldm.ko is built against it, from a copy of the module's sources in
# build/debug/ldm/ (never in driver/: the normal in-tree build against
# Debian's headers stays untouched), with W=1. Results, for lab/run:
#
#   build/debug/bzImage            the kernel (a link into the cache)
#   build/debug/ldm/driver/ldm.ko  the module
#
# lab/run --kernel build/debug/bzImage --ko build/debug/ldm/driver/ldm.ko
# boots it; lab/check-debug.sh (`make check-debug`) runs the tests on it.
set -eu

prog=lab/debugkernel.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}
say() { echo "$prog: $*" >&2; }

kernel_only=0
case ${1:-} in
'') ;;
--kernel-only) kernel_only=1 ;;
*) sed -n '4p' "$0" | sed 's/^# //' >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$repo/build}
cache=${LDM_DEBUG_CACHE:-/var/tmp/ldm-debug-kernel}
tarball=${LDM_DEBUG_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
fragment=$repo/lab/debug.config
jobs=${LDM_DEBUG_JOBS:-$(nproc)}

[ -r "$tarball" ] || die "cannot read $tarball (run 'make deps': linux-source-6.1)"
for t in gcc make flex bison bc xz; do
	command -v "$t" >/dev/null || die "$t is missing (run 'make deps')"
done
for h in /usr/include/libelf.h /usr/include/openssl/ssl.h; do
	[ -r "$h" ] || die "$h is missing (run 'make deps': libelf-dev, libssl-dev)"
done

# The cache keys: one for the unpacked source, one for the built kernel.
tarkey=$(stat -c '%n %s %Y' "$tarball" | sha256sum | cut -c1-12)
key=$( {
	cat "$fragment" "$0"
	echo "$tarkey"
	gcc --version | head -n 1
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
# The prompt for MAPPING_DIRTY_HELPERS (see above); idempotent.
sed -i '/^config MAPPING_DIRTY_HELPERS$/{n;s/^\([[:space:]]*\)bool$/\1bool "Mapping dirty helpers (lab: for ldm.ko)"/}' \
	"$src/mm/Kconfig"

# kmake ARGS...: the kernel's make, out of tree in $obj, niced (a shared box).
kmake() {
	nice -n 10 make -C "$src" O="$obj" ARCH=x86_64 -j"$jobs" "$@"
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
	[ -z "$bad" ] || die "lab/debug.config did not end up in $obj/.config:$bad"
}

if [ "$(head -n 1 "$obj/.done" 2>/dev/null)" = "$key" ]; then
	say "kernel cached: $obj ($(sed -n 2p "$obj/.done"))"
else
	say "building the debug kernel in $obj (make -j$jobs; up to half an hour)"
	start=$SECONDS
	rm -f "$obj/.done"
	mkdir -p "$obj"
	kmake -s tinyconfig
	# -m: merge only, -O: into $obj; olddefconfig then resolves the rest.
	(cd "$obj" && ARCH=x86_64 "$src/scripts/kconfig/merge_config.sh" -m \
		-O "$obj" "$obj/.config" "$fragment") > "$obj/merge_config.log" 2>&1 ||
		die "merge_config.sh failed (see $obj/merge_config.log)"
	kmake -s olddefconfig
	check_config
	kmake -s all 2>&1 | tee "$obj/build.log" >&2
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

mkdir -p "$build/debug"
ln -sfn "$obj/arch/x86/boot/bzImage" "$build/debug/bzImage"
[ "$kernel_only" = 0 ] || exit 0

# The module, from a copy of its sources: the file list must match (else the
# copy starts over); cp -p keeps times, so make rebuilds only what changed.
mod=$build/debug/ldm
list=$(cd "$repo" && find Kbuild driver include -type f \
	\( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) | LC_ALL=C sort)
if [ "$list" != "$(cat "$mod.files" 2>/dev/null)" ] ||
	[ "$(readlink "$mod.kernel" 2>/dev/null)" != "$obj" ]; then
	rm -rf "$mod"
fi
mkdir -p "$mod"
# shellcheck disable=SC2086 # the list: our own paths, no spaces
(cd "$repo" && cp -p --parents $list "$mod/")
printf '%s\n' "$list" > "$mod.files"
ln -sfn "$obj" "$mod.kernel"
nice -n 10 make -s -C "$obj" M="$mod" W=1 modules >&2 ||
	die "building ldm.ko against the debug kernel failed"
say "module: $mod/driver/ldm.ko, kernel: $build/debug/bzImage ($(sed -n 2p "$obj/.done" | cut -d, -f1))"
