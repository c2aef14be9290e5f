#!/bin/sh
# Extract the few files the project takes from Debian's kernel source
# package (linux-source-6.1): checkpatch and its data, and the kselftest
# headers. They are never copied into the repository.
set -e
out=${1:?usage: lab/ksrc.sh OUTDIR}
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
[ -n "$tarball" ] || {
	echo "lab/ksrc.sh: no /usr/src/linux-source-*.tar.xz (run 'make deps')" >&2
	exit 1
}
stamp="$out/.from"
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$tarball" ] && exit 0
top=$(basename "$tarball" .tar.xz)
rm -rf "$out"
mkdir -p "$out"
tar -xJf "$tarball" -C "$out" --strip-components=1 \
	"$top/scripts/checkpatch.pl" \
	"$top/scripts/spelling.txt" \
	"$top/scripts/const_structs.checkpatch" \
	"$top/tools/testing/selftests/kselftest.h" \
	"$top/tools/testing/selftests/kselftest_harness.h"
echo "$tarball" > "$stamp"
