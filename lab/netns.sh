# shellcheck shell=sh
# lab/netns.sh: two "hosts" inside the lab VM, for tests to source.
#
#   . lab/netns.sh
#   netns_setup                  # ldm-src (192.0.2.1) <-veth-> ldm-dst (192.0.2.2)
#   netns_exec ldm-src CMD...    # run CMD on one "host"
#   netns_ping ldm-src 192.0.2.2 # one ping, 2 s deadline
#   netns_link down|up           # cut or restore the wire (ldm-src's end)
#   netns_teardown               # both namespaces (and so the veth) gone
#
# Migration needs a source and a target host; the lab VM has no NIC at all,
# so two network namespaces joined by a veth pair stand in for them. The
# addresses are from TEST-NET-1 (RFC 5737): nothing could route them out
# even if the VM had a way out. Each namespace has lo up and one interface,
# eth0, like a small host. POSIX sh; every function returns non-zero on
# failure and says why on stderr. Only for the lab: creating a veth would
# load a module into the running kernel, so netns_setup refuses without LAB.

LDM_SRC_NS=ldm-src
LDM_DST_NS=ldm-dst
LDM_SRC_ADDR=192.0.2.1
LDM_DST_ADDR=192.0.2.2
LDM_NETNS_PREFIX=24

netns_exec() { # NS CMD...
	_ns=$1
	shift
	ip netns exec "$_ns" "$@"
}

netns_teardown() {
	for _ns in "$LDM_SRC_NS" "$LDM_DST_NS"; do
		if ip netns list | cut -d' ' -f1 | grep -qx "$_ns"; then
			ip netns del "$_ns" || return 1
		fi
	done
}

netns_setup() {
	if [ "${LAB:-}" != 1 ]; then
		echo "netns_setup: only inside the lab VM (lab/run sets LAB=1)" >&2
		return 1
	fi
	netns_teardown || return 1
	modprobe veth || return 1
	if ! { ip netns add "$LDM_SRC_NS" && ip netns add "$LDM_DST_NS" &&
		ip link add eth0 netns "$LDM_SRC_NS" type veth \
			peer name eth0 netns "$LDM_DST_NS"; }; then
		echo "netns_setup: cannot create the namespaces and veth pair" >&2
		netns_teardown
		return 1
	fi
	for _ns in "$LDM_SRC_NS:$LDM_SRC_ADDR" "$LDM_DST_NS:$LDM_DST_ADDR"; do
		_addr=${_ns#*:}/$LDM_NETNS_PREFIX
		_ns=${_ns%%:*}
		if ! { ip -n "$_ns" link set lo up &&
			ip -n "$_ns" addr add "$_addr" dev eth0 &&
			ip -n "$_ns" link set eth0 up; }; then
			echo "netns_setup: cannot configure $_ns" >&2
			netns_teardown
			return 1
		fi
	done
}

netns_link() { # up|down
	ip -n "$LDM_SRC_NS" link set eth0 "$1"
}

netns_ping() { # NS ADDR
	if command -v ping >/dev/null 2>&1; then
		netns_exec "$1" ping -q -c 1 -W 2 "$2" >/dev/null 2>&1
	else
		netns_exec "$1" busybox ping -q -c 1 -W 2 "$2" >/dev/null 2>&1
	fi
}
