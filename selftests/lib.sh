#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# selftests/lib.sh: what the shell selftests share. Source it first:
#
#   . "$(dirname "$0")/lib.sh"
#   lab_tap_begin
#
# lab_tap_begin    cd to the repository, print the TAP header, and skip
#                  (plan 1..0) unless running as root inside the lab VM
# tap ST DESC [DIRECTIVE]
#                  one TAP line from a status; counts $n and $fails
# need_built PATH...
#                  skip (plan 1..0) unless every PATH is an executable
# check DESC CMD...  ok if CMD succeeds
# say TEXT...      a TAP comment line

n=0
fails=0

lab_tap_begin() {
	cd "$(dirname "$0")/.." || exit 1
	echo "TAP version 13"
	if [ "${LAB:-}" != 1 ] || [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root inside the lab VM (lab/run -- $0)"
		exit 0
	fi
}

need_built() {
	for _need in "$@"; do
		if [ ! -x "$_need" ]; then
			echo "1..0 # SKIP $_need is not built (run make)"
			exit 0
		fi
	done
}

tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2${3:+ # $3}"
	else
		echo "not ok $n $2${3:+ # $3}"
		fails=$((fails + 1))
	fi
}

check() {
	_check_desc=$1
	shift
	"$@"
	tap $? "$_check_desc"
}

say() { echo "# $*"; }
