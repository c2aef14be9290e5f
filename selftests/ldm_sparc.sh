#!/bin/sh
# ldm_sparc.sh: TAP test with a real client: a SPARC guest on ldm memory.
#
# Creates an ldm domain, boots QEMU's SPARCstation 5 (OpenBIOS) with the
# domain's device node as its RAM, types a Forth computation on the serial
# console and checks the answer, checks that the domain saw the guest's
# memory (resident and dirty pages), stops QEMU and removes the domain.
# Under TCG in the lab the boot alone takes about 2 minutes.
#
#   lab/run -- selftests/ldm_sparc.sh
#
# Without ldm.ko loaded (lab/run --no-module) the guest boots on a plain
# file in /dev/shm instead and the domain checks are skipped: that tests
# the SPARC harness (lab/sparc.sh) on its own.
# Environment: LDMCTL (default tools/ldmctl/ldmctl), SPARC_BOOT_TIMEOUT
# (default 400 s), LAB_OUT (console logs are copied there).
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
. lab/sparc.sh

ldmctl=${LDMCTL:-$PWD/tools/ldmctl/ldmctl}
name=ldm-sparc-test
forth='decimal 1234 5678 * . hex'
answer=7006652
skip() { tap 0 "$1" "SKIP $2"; }

# field NAME KEY: KEY of domain NAME in 'ldmctl list -j'.
field() {
	"$ldmctl" list -j | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    if d["name"] == sys.argv[1]:
        print(d[sys.argv[2]])
' "$1" "$2"
}

dir=$(mktemp -d /tmp/ldm-sparc.XXXXXX)
cleanup() {
	sparc_stop "$dir" 2>/dev/null
	[ -z "${LAB_OUT:-}" ] || sparc_save "$dir" "$LAB_OUT/ldm_sparc" 2>/dev/null
	rm -rf "$dir"
	[ -z "${shm:-}" ] || rm -f "$shm"
}
trap cleanup EXIT

echo "1..7"
if [ -d /sys/module/ldm ]; then
	have_ldm=1
	mem=/dev/ldm/$name
	"$ldmctl" remove-domain "$name" >/dev/null 2>&1	# a leftover
	"$ldmctl" add-domain "$name" --mem 64M
	st=$?
	[ "$st" != 0 ] || sparc_wait_node "$mem" 5 2>/dev/null || {
		echo "# $mem did not appear"
		st=1
	}
	tap "$st" "ldmctl add-domain $name --mem 64M makes $mem"
else
	have_ldm=0
	shm=/dev/shm/$name
	truncate -s 64M "$shm"
	mem=$shm
	skip "ldmctl add-domain $name --mem 64M" "ldm.ko not loaded: guest RAM is $shm"
fi

start=$(date +%s)
sparc_start "$dir" "$mem" && sparc_wait_prompt "$dir" "${SPARC_BOOT_TIMEOUT:-400}"
st=$?
echo "# boot took $(($(date +%s) - start)) s"
tap "$st" "SS-5 boots OpenBIOS to its '0 >' prompt on $mem"

out=$(sparc_type "$dir" "$forth" 60)
echo "$out" | sed 's/^/# guest: /'
case $out in
*" $answer "*) tap 0 "Forth '$forth' answers $answer" ;;
*) tap 1 "Forth '$forth' answers $answer" ;;
esac

if [ "$have_ldm" = 1 ]; then
	for key in resident_pages dirty_pages; do
		v=$(field "$name" "$key")
		echo "# $key: $v"
		[ "${v:-0}" -gt 0 ] 2>/dev/null
		tap $? "domain reports $key > 0"
	done
else
	skip "domain reports resident_pages > 0" "no ldm.ko"
	skip "domain reports dirty_pages > 0" "no ldm.ko"
fi

sparc_stop "$dir"
tap $? "QEMU stops"

if [ "$have_ldm" = 1 ]; then
	"$ldmctl" remove-domain "$name"
	tap $? "ldmctl remove-domain $name"
else
	skip "ldmctl remove-domain $name" "no ldm.ko"
fi
[ "$fails" = 0 ]
