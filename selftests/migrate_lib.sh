# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# selftests/migrate_lib.sh: what the two-host migration tests share
# (ldm_migrate.sh, ldm_resume.sh, ldm_status.sh, ldm_serve_flood.sh,
# ldm_security.sh, ldm_soak.sh, ldm_faults.sh). Source it after lib.sh and
# lab_tap_begin; it sources lab/netns.sh and lab/pki.sh itself:
#
#   . "$(dirname "$0")/lib.sh"
#   lab_tap_begin
#   . "$(dirname "$0")/migrate_lib.sh"
#
# It gives the tools ($L, $G; LDMCTL=PATH tests another build of ldmctl),
# a work directory $W (under $LAB_OUT or /tmp; MIG_TMP=DIR before sourcing
# puts it under DIR instead), certificates (make_pki, make_pki_hosts),
# 'migrate', 'migrate_from', 'migrate_cmd', 'serve_start' and 'serve_on'
# with them, and checks of domains (exists, state, sum, gone, intact,
# same, expect_fail, newdom, finish). cleanup runs at exit: a test with
# more to undo traps its own function, which calls cleanup.

. lab/netns.sh
. lab/pki.sh

L=${LDMCTL:-$PWD/tools/ldmctl/ldmctl}	# LDMCTL=PATH tests another build
G=$PWD/selftests/ldm_guest
need_built "$L" "$G"

W=$(mktemp -d "${MIG_TMP:-${LAB_OUT:-/tmp}}/$(basename "$0" .sh).XXXXXX")
PKI=$W/pki
SRC=$LDM_SRC_NS
DST=$LDM_DST_NS
DA=$LDM_DST_ADDR
PORT=8101
PWPORT=8102


# ---- certificates ----

# An expired certificate needs explicit dates: 'openssl ca' takes them.
mkexpired() {
	local d=$PKI/ca.d
	mkdir -p "$d/new" && : > "$d/index.txt" && echo 01 > "$d/serial"
	cat > "$d/ca.cnf" <<-EOF
	[ca]
	default_ca = c
	[c]
	database = $d/index.txt
	new_certs_dir = $d/new
	serial = $d/serial
	default_md = sha256
	policy = p
	copy_extensions = copy
	[p]
	commonName = supplied
	EOF
	newkey "$PKI/expired.key" &&
	ossl req -new -key "$PKI/expired.key" -subj "/CN=ldm-src-expired" \
		-addext "subjectAltName=IP:$LDM_SRC_ADDR" -out "$PKI/expired.csr" &&
	ossl ca -batch -config "$d/ca.cnf" -cert "$PKI/ca.crt" -keyfile "$PKI/ca.key" \
		-startdate 20200101000000Z -enddate 20200102000000Z \
		-in "$PKI/expired.csr" -out "$PKI/expired.crt"
}

# make_pki_hosts: a CA and a certificate it signs for each host ($PKI/src
# for ldm-src's address, $PKI/dst for ldm-dst's), and the trust directory
# $PKI/trust that trusts the CA (lab/pki.sh's mkhosts).
make_pki_hosts() { mkhosts "$L"; }

# make_pki: make_pki_hosts, and the bad ones: self-signed (rogue, trusted
# only by $PKI/rogue-trust), signed by an impostor of the CA (forged),
# expired; password files (check, pw, badpw, and openpw open to others).
make_pki() {
	make_pki_hosts &&
	mkcert rogue ldm-rogue "IP:$LDM_SRC_ADDR" self &&
	# An impostor CA: the same name as the real one, another key.
	mkcert fakeca ldm-test-ca "DNS:ldm-test-ca" self &&
	mkcert forged ldm-src-forged "IP:$LDM_SRC_ADDR" fakeca &&
	mkexpired &&
	"$L" trust add --trust-dir "$PKI/rogue-trust" "$PKI/rogue.crt" >/dev/null &&
	printf 'migrator:s3cret-pass\n' > "$PKI/check" && chmod 600 "$PKI/check" &&
	printf 's3cret-pass\n' > "$PKI/pw" && chmod 600 "$PKI/pw" &&
	printf 'wrong-pass\n' > "$PKI/badpw" && chmod 600 "$PKI/badpw" &&
	printf 's3cret-pass\n' > "$PKI/openpw" && chmod 644 "$PKI/openpw"
}

# ---- helpers ----

# migrate [ARGS...]: ldmctl migrate on the source host with its certificate.
migrate() { migrate_from "$SRC" src "$@"; }

# migrate_from NS CERT [ARGS...]: ldmctl migrate in namespace NS with
# certificate CERT (src, dst), to port $PORT.
migrate_from() {
	local mcmd
	migrate_cmd "$1" "$2"
	shift 2
	"${mcmd[@]}" "$@"
}

# migrate_cmd NS CERT: that command line, in the array mcmd, for a test
# that needs ldmctl's own pid ("${mcmd[@]}" ARGS... & then $!; a function
# run in the background is a subshell, ldmctl its child).
migrate_cmd() {
	mcmd=(ip netns exec "$1" "$L" migrate --cert "$PKI/$2.crt"
		--key "$PKI/$2.key" --trust-dir "$PKI/trust" --port "$PORT"
		--timeout 15)
}

serve_start() { # NAME PORT [ARGS...]: a serve on the target host, logged
	serve_on "$DST" "$DA" dst "$@"
}

# serve_on NS ADDR CERT NAME PORT [ARGS...]: a serve in namespace NS on
# ADDR:PORT with certificate CERT (dst, src), logged in $W/NAME.log (its
# pid in $W/NAME.pid); true once it listens (within 20 s: a debug kernel
# is slow).
serve_on() {
	local ns=$1 addr=$2 cert=$3 name=$4 port=$5
	shift 5
	ip netns exec "$ns" "$L" serve --listen "$addr:$port" \
		--cert "$PKI/$cert.crt" --key "$PKI/$cert.key" \
		--trust-dir "$PKI/trust" --timeout 15 "$@" \
		2>> "$W/$name.log" &
	echo $! > "$W/$name.pid"
	for _ in $(seq 200); do
		grep -q listening "$W/$name.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

exists() { "$L" list "$1" >/dev/null 2>&1; }
state() { "$L" -j list "$1" 2>/dev/null | sed -n 's/.*"state": "\([a-z]*\)".*/\1/p'; }
sum() { "$G" sum "$1"; }

# gone NAME [SECONDS (15)]: the target domain disappears in time.
gone() {
	for _ in $(seq $((${2:-15} * 10))); do
		exists "$1" || return 0
		sleep 0.1
	done
	say "domain $1 still exists"
	return 1
}

# intact NAME SUM: the source domain is active and holds what it held.
intact() {
	local s st
	st=$(state "$1")
	s=$(sum "$1")
	[ "$st" = active ] && [ "$s" = "$2" ] && return 0
	say "$1: state '$st', sum $s, want active and $2"
	return 1
}

# same SRC DST: byte-identical by the test's own hash, and DST holds only
# pages the guest wrote.
same() {
	local a b
	a=$(sum "$1")
	b=$(sum "$2")
	if [ "$a" != "$b" ]; then
		say "$1 $a != $2 $b"
		return 1
	fi
	"$G" verify "$2" >/dev/null
}

# expect_fail CODE PATTERN OUTFILE: the last command's status and message.
expect_fail() {
	local rc=$1 want=$2 pat=$3 out=$4
	if [ "$rc" = "$want" ] && grep -q -- "$pat" "$out"; then
		return 0
	fi
	say "exit $rc (want $want); output:"
	sed 's/^/#   /' "$out"
	return 1
}

# on_src ARGS...: ldmctl on the source host. A domain belongs to the
# network namespace that creates it (the initial one, where the checks
# run, sees them all), so a domain the source migrates is made there.
on_src() { ip netns exec "$SRC" "$L" "$@"; }

newdom() { # NAME SIZE: a filled source domain, owned by the source host
	on_src add-domain "$1" --mem "$2" && "$G" fill "$1" >/dev/null
}

cleanup() {
	local f
	# serves (.pid), background migrates (.mpid), guests (.gpid)
	for f in "$W"/*.pid "$W"/*.mpid "$W"/*.gpid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	wait 2>/dev/null
	netns_teardown
	# (a domain left suspended is resumed first: nothing stays blocked on it)
	for d in $("$L" -j list | sed -n 's/.*"name": "\([^"]*\)".*/\1/p'); do
		"$L" resume-domain "$d" >/dev/null 2>&1
		"$L" remove-domain "$d" 2>/dev/null
	done
}

finish() { # NAME: wait for the background migrate; its exit status
	local p rc
	p=$(cat "$W/$1.mpid")
	wait "$p"
	rc=$?
	rm -f "$W/$1.mpid"
	return "$rc"
}

trap cleanup EXIT
