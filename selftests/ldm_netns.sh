#!/bin/sh
# ldm_netns.sh: TAP test of the lab's two "hosts" (lab/netns.sh).
#
# The migration tests stand on two network namespaces joined by a veth
# pair; this checks that foundation on its own: both come up, they reach
# each other both ways, a few MiB cross over TCP intact, cutting the link
# stops traffic and restoring it brings it back, and teardown leaves
# nothing behind. Runs inside the lab VM only (lab/run sets LAB=1):
#   lab/run --no-module -- selftests/ldm_netns.sh
set -u

. "$(dirname "$0")/lib.sh"
lab_tap_begin
. lab/netns.sh

refute() { # DESCRIPTION CMD...: ok if CMD fails
	_d=$1
	shift
	if "$@"; then tap 1 "$_d"; else tap 0 "$_d"; fi
}

# send_tcp MIB: move MIB MiB of random bytes from ldm-src to ldm-dst over
# TCP and compare length and SHA-256 on both ends.
send_tcp() {
	tmp=$(mktemp -d)
	head -c "$(($1 * 1048576))" /dev/urandom > "$tmp/data"
	want="$(wc -c < "$tmp/data") $(sha256sum < "$tmp/data" | cut -d' ' -f1)"
	netns_exec "$LDM_DST_NS" python3 -c '
import hashlib, socket, sys
s = socket.create_server((sys.argv[1], 5555))
s.settimeout(30)
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(1 << 16)
    if not b:
        break
    h.update(b)
    n += len(b)
print(n, h.hexdigest())
' "$LDM_DST_ADDR" > "$tmp/got" &
	rx=$!
	netns_exec "$LDM_SRC_NS" python3 -c '
import socket, sys, time
for _ in range(100):  # the receiver may not listen yet
    try:
        c = socket.create_connection((sys.argv[1], 5555), timeout=5)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("cannot connect to the receiver")
with open(sys.argv[2], "rb") as f:
    c.sendfile(f)
c.close()
' "$LDM_DST_ADDR" "$tmp/data"
	sent=$?
	wait "$rx"
	got=$(cat "$tmp/got")
	rm -rf "$tmp"
	[ "$sent" = 0 ] && [ "$got" = "$want" ] && return 0
	echo "# sent: $want; received: $got"
	return 1
}

# connect_fails: a TCP connection attempt from ldm-src to ldm-dst fails.
connect_fails() {
	! netns_exec "$LDM_SRC_NS" python3 -c '
import socket, sys
socket.create_connection((sys.argv[1], 5555), timeout=3)
' "$LDM_DST_ADDR" 2>/dev/null
}

gone() {
	! ip netns list | cut -d' ' -f1 | grep -qxE "$LDM_SRC_NS|$LDM_DST_NS"
}

echo "1..9"
check "set up $LDM_SRC_NS and $LDM_DST_NS joined by a veth pair" netns_setup
check "$LDM_SRC_NS pings $LDM_DST_ADDR" netns_ping "$LDM_SRC_NS" "$LDM_DST_ADDR"
check "$LDM_DST_NS pings $LDM_SRC_ADDR" netns_ping "$LDM_DST_NS" "$LDM_SRC_ADDR"
check "TCP carries 4 MiB intact from $LDM_SRC_NS to $LDM_DST_NS" send_tcp 4
check "bring the link down" netns_link down
refute "no ping across a down link" netns_ping "$LDM_SRC_NS" "$LDM_DST_ADDR"
check "no TCP connection across a down link" connect_fails
netns_link up
# The route comes back with the link; give the veth a moment to carry.
sleep 1
check "link up again: $LDM_SRC_NS pings $LDM_DST_ADDR" \
	netns_ping "$LDM_SRC_NS" "$LDM_DST_ADDR"
netns_teardown
check "teardown removes both namespaces" gone
[ "$fails" = 0 ]
