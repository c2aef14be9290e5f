#!/bin/sh
# lab/layers.sh: the module's calls go down only (Documentation/ldm.rst,
# "Layers"). Each driver file may include the header of its own file and
# the headers of files in lower layers, never one beside or above it; a
# file missing from the map below fails the check too, so a new file has
# to be placed in a layer. Quiet when the layering holds; otherwise names
# each include that breaks it, and exits non-zero.
set -eu
cd "$(dirname "$0")/.."

# layer FILE-STEM: its layer, 6 (the module) down to 0 (mechanisms).
layer() {
	case $1 in
	main) echo 6 ;;
	netlink | node) echo 5 ;;
	send | receive | report) echo 4 ;;
	session) echo 3 ;;
	domain) echo 2 ;;
	dirty | workers | throttle | postcopy | urgent) echo 1 ;;
	mem | pagebits | ring | crypt | lzjb | devnode) echo 0 ;;
	*) echo none ;;
	esac
}

bad=0
for f in driver/*.c driver/*.h; do
	case $f in *.mod.c) continue ;; esac
	stem=$(basename "$f"); stem=${stem%.*}
	l=$(layer "$stem")
	if [ "$l" = none ]; then
		echo "$f: not in any layer (add it to lab/layers.sh and to Documentation/ldm.rst)"
		bad=1
		continue
	fi
	for inc in $(sed -n 's/^#include "\([a-z0-9_]*\)\.h"$/\1/p' "$f"); do
		[ "$inc" = "$stem" ] && continue
		il=$(layer "$inc")
		if [ "$il" = none ] || [ "$il" -ge "$l" ]; then
			echo "$f (layer $l) includes $inc.h (layer $il): calls must go down"
			bad=1
		fi
	done
done
exit "$bad"
