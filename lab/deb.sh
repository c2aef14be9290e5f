#!/bin/sh
# lab/deb.sh: the Debian packages ldm-dkms and ldmctl (`make deb`).
#
# Copies the files the packages are built from (debian/, dist/, driver/,
# include/, Kbuild, tools/ldmctl/, the man page; as the work tree has
# them, committed or not, never build products) to
# build/deb/ldm-VERSION/ and runs dpkg-buildpackage -b there, so that the
# .deb files, .buildinfo and .changes land in build/deb/ and nothing is
# written beside the repository. Then lintian on both packages: its
# report is build/deb/lintian.log; an error (E:) fails the target.
# Needs dpkg-dev, debhelper, dh-dkms, lintian (`make deps`).
set -eu

cd "$(dirname "$0")/.."
for t in dpkg-buildpackage dh dh_dkms lintian; do
	command -v "$t" > /dev/null || {
		echo "lab/deb.sh: $t is missing: run 'make deps' (as root)" >&2
		exit 1
	}
done
ver=$(dpkg-parsechangelog -SVersion)
out=${BUILD:-$PWD/build}/deb
src=$out/ldm-$ver
rm -rf "$out"
mkdir -p "$src"
git ls-files -co --exclude-standard -- debian dist driver include Kbuild \
	tools/ldmctl Documentation/ldmctl.8 | cpio -pdm --quiet "$src"
echo "deb: building ldm $ver in $src"
(cd "$src" && dpkg-buildpackage -b -us -uc) > "$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "lab/deb.sh: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
# Only the packages and their metadata are kept beside them.
rm -rf "$src"
ls "$out"/*.deb
lintian --info "$out"/*.changes > "$out/lintian.log" 2>&1 || true
cat "$out/lintian.log"
if grep -q '^E: ' "$out/lintian.log"; then
	echo "lab/deb.sh: lintian reports errors (above)" >&2
	exit 1
fi
n=$(find "$out" -maxdepth 1 -name "*.deb" | wc -l)
echo "deb: $n packages in $out; lintian: $(grep -c '^W: ' "$out/lintian.log") warnings, no errors"
