# shellcheck shell=bash
# pki.sh - a small test PKI made with strongSwan's "pki" tool
# (Debian package strongswan-pki).  Source this file.
#
#   pki_make OUTDIR [TYPES]   TYPES: any of "ecdsa rsa ed25519" (default all)
#
# For each type T, creates in OUTDIR (PEM):
#   ca-T.key ca-T.crt               self-signed CA "C=XX, O=ia-test, CN=ia-test T CA"
#   left-T.key left-T.crt           end-entity cert, CN=left.ia.test,
#   right-T.key right-T.crt         CN=right.ia.test, issued by ca-T
# Key sizes: ECDSA P-256, RSA-2048, Ed25519.  End-entity certs carry
# subjectAltName left.ia.test / right.ia.test (the IKE identities, ID_FQDN)
# plus the outer addresses IA_NET.0.1 / IA_NET.0.2 (IA_NET default 10.241)
# and EKU serverAuth + clientAuth.  Returns 1 (message on stderr) on failure.

pki_make() {
    local out=$1 types=${2:-ecdsa rsa ed25519} conf t size side ip rc=0
    command -v pki >/dev/null || { echo "pki_make: pki not found (apt-get install strongswan-pki)" >&2; return 1; }
    mkdir -p "$out" || return 1
    # quiet plugin set (the default list tries to load TPM 2.0)
    conf=$(mktemp /tmp/ikekit-pki.XXXXXX.conf) || return 1
    echo 'pki { load = random nonce openssl gmp curve25519 pem pkcs1 pkcs8 x509 pubkey sha1 sha2 constraints }' > "$conf"
    # not "( ... ) || rc=1": set -e is ignored inside an || list
    (
    set -e -o pipefail
    export STRONGSWAN_CONF=$conf
    cd "$out"
    for t in $types; do
        case $t in
            ecdsa) size="--size 256" ;;
            rsa) size="--size 2048" ;;
            ed25519) size="" ;;
            *) echo "pki_make: unknown type $t" >&2; exit 1 ;;
        esac
        # shellcheck disable=SC2086
        pki --gen --type $t $size --outform pem > ca-$t.key
        pki --self --ca --lifetime 3650 --in ca-$t.key --type $t \
            --dn "C=XX, O=ia-test, CN=ia-test $t CA" --outform pem > ca-$t.crt
        for side in left right; do
            if [ $side = left ]; then ip=${IA_NET:-10.241}.0.1; else ip=${IA_NET:-10.241}.0.2; fi
            # shellcheck disable=SC2086
            pki --gen --type $t $size --outform pem > $side-$t.key
            pki --pub --in $side-$t.key --type priv |
                pki --issue --lifetime 3650 --cacert ca-$t.crt --cakey ca-$t.key \
                    --dn "C=XX, O=ia-test, CN=$side.ia.test" \
                    --san $side.ia.test --san "$ip" \
                    --flag serverAuth --flag clientAuth --outform pem > $side-$t.crt
        done
    done
    chmod 600 ./*.key
    )
    rc=$?
    rm -f "$conf"
    [ $rc = 0 ] || echo "pki_make: failed in $out" >&2
    return $rc
}
