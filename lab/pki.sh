#!/bin/sh
# lab/pki.sh: throwaway certificates for lab runs (source it).
#
# Tests and the demo make their keys and certificates at run time with the
# openssl CLI; no key is ever committed. Set PKI to the directory to fill
# first; openssl's chatter goes to $PKI/openssl.log.
#
#   mkcert NAME CN SAN ISSUER   $PKI/NAME.key and NAME.crt for CN, with
#                               subjectAltName SAN (e.g. IP:192.0.2.2),
#                               signed by $PKI/ISSUER.{crt,key} or "self"
#   mkhosts LDMCTL [SRC DST]    the lab's two hosts (after lab/netns.sh):
#                               a CA ($PKI/ca, CN ldm-test-ca), a
#                               certificate it signs for each host,
#                               $PKI/SRC (default src) for ldm-src's
#                               address and $PKI/DST (dst) for ldm-dst's,
#                               and $PKI/trust, LDMCTL's trust directory
#                               holding the CA

ossl() { openssl "$@" 2>>"$PKI/openssl.log"; }
newkey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

mkcert() {
	_name=$1 _cn=$2 _san=$3 _issuer=$4
	mkdir -p "$PKI" && newkey "$PKI/$_name.key" || return 1
	printf 'subjectAltName=%s\n' "$_san" > "$PKI/$_name.ext"
	if [ "$_issuer" = self ]; then
		ossl req -x509 -new -key "$PKI/$_name.key" -subj "/CN=$_cn" \
			-days 2 -addext "subjectAltName=$_san" -out "$PKI/$_name.crt"
	else
		ossl req -new -key "$PKI/$_name.key" -subj "/CN=$_cn" \
			-out "$PKI/$_name.csr" &&
		ossl x509 -req -in "$PKI/$_name.csr" -CA "$PKI/$_issuer.crt" \
			-CAkey "$PKI/$_issuer.key" -CAcreateserial -days 2 \
			-extfile "$PKI/$_name.ext" -out "$PKI/$_name.crt"
	fi
}

mkhosts() {
	mkcert ca ldm-test-ca "DNS:ldm-test-ca" self &&
	mkcert "${2:-src}" ldm-src "IP:$LDM_SRC_ADDR" ca &&
	mkcert "${3:-dst}" ldm-dst "IP:$LDM_DST_ADDR" ca &&
	"$1" trust add --trust-dir "$PKI/trust" "$PKI/ca.crt" >/dev/null
}
