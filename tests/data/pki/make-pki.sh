#!/bin/sh
# Regenerates the test PKI in this directory with the openssl CLI (OpenSSL 3).
# See README.md for what each file is for. Run from anywhere:
#   sh tests/data/pki/make-pki.sh
# Validity is long (CAs 7300 days, end entities 3650) but tests never read the clock:
# they validate at times derived from each certificate's own notBefore/notAfter.
set -eu
cd "$(dirname "$0")"
umask 022

DN="/C=CH/O=ikekit test"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key() {  # key <name> <rsa|p256|p384|p521|ed25519>
  case "$2" in
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" ;;
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out "$1.key" ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve -out "$1.key" ;;
    p521) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -pkeyopt ec_param_enc:named_curve -out "$1.key" ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$1.key" ;;
  esac
}

digest() {  # Ed25519 signs without a separate digest
  case "$1" in ed25519) ;; *) echo "-sha256" ;; esac
}

root_ca() {  # root_ca <name> <keytype> <CN>
  key "$1" "$2"
  openssl req -x509 -new -key "$1.key" $(digest "$2") -subj "$DN/CN=$3" -days 7300 \
    -set_serial "0x$(openssl rand -hex 8)" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$1.crt"
}

# issue <name> <keytype> <issuer> <issuer keytype> <CN> <days> <extensions...>
issue() {
  name=$1 kt=$2 ca=$3 cakt=$4 cn=$5 days=$6
  shift 6
  key "$name" "$kt"
  {
    echo "[ext]"
    echo "authorityKeyIdentifier=keyid"
    echo "subjectKeyIdentifier=hash"
    for e in "$@"; do echo "$e"; done
  } >"$tmp/$name.ext"
  openssl req -new -key "$name.key" -subj "$DN/CN=$cn" -out "$tmp/$name.csr"
  openssl x509 -req -in "$tmp/$name.csr" -CA "$ca.crt" -CAkey "$ca.key" $(digest "$cakt") \
    -set_serial "0x$(openssl rand -hex 8)" -days "$days" \
    -extfile "$tmp/$name.ext" -extensions ext -out "$name.crt"
}

EE_KU="keyUsage=critical,digitalSignature"
EE_EKU="extendedKeyUsage=serverAuth,clientAuth,1.3.6.1.5.5.7.3.17"
EE_BC="basicConstraints=CA:FALSE"

# Trust anchors, one per key type.
root_ca ca-rsa rsa "ikekit RSA Root CA"
root_ca ca-p256 p256 "ikekit P-256 Root CA"
root_ca ca-p384 p384 "ikekit P-384 Root CA"
root_ca ca-ed25519 ed25519 "ikekit Ed25519 Root CA"

# P-384 intermediate below the P-384 root.
issue int-p384 p384 ca-p384 p384 "ikekit P-384 Intermediate CA" 5000 \
  "basicConstraints=critical,CA:TRUE,pathlen:0" "keyUsage=critical,keyCertSign,cRLSign"

# End entities with dNSName, iPAddress and rfc822Name SANs.
issue ee-rsa rsa ca-rsa rsa moon.ikekit.test 3650 "$EE_BC" "$EE_KU" "$EE_EKU" \
  "subjectAltName=DNS:moon.ikekit.test,IP:192.0.2.1,email:moon@ikekit.test"
issue ee-p256 p256 ca-p256 p256 sun.ikekit.test 3650 "$EE_BC" "$EE_KU" "$EE_EKU" \
  "subjectAltName=DNS:sun.ikekit.test,IP:2001:db8::1,email:sun@ikekit.test"
issue ee-p384 p384 int-p384 p384 carol.ikekit.test 3650 "$EE_BC" "$EE_KU" "$EE_EKU" \
  "subjectAltName=DNS:carol.ikekit.test,IP:192.0.2.3"
issue ee-p521 p521 ca-p384 p384 eve.ikekit.test 3650 "$EE_BC" "$EE_KU" \
  "subjectAltName=DNS:eve.ikekit.test"
issue ee-ed25519 ed25519 ca-ed25519 ed25519 dave.ikekit.test 3650 "$EE_BC" "$EE_KU" "$EE_EKU" \
  "subjectAltName=DNS:dave.ikekit.test,IP:192.0.2.4"

# Negative cases, all below the P-256 root.
issue ee-nosan-p256 p256 ca-p256 p256 nosan.ikekit.test 3650 "$EE_BC" "$EE_KU"
issue ee-noku-p256 p256 ca-p256 p256 noku.ikekit.test 3650 "$EE_BC" \
  "keyUsage=critical,keyEncipherment" "subjectAltName=DNS:noku.ikekit.test"
issue ee-codesign-p256 p256 ca-p256 p256 codesign.ikekit.test 3650 "$EE_BC" "$EE_KU" \
  "extendedKeyUsage=codeSigning" "subjectAltName=DNS:codesign.ikekit.test"
# A client-only certificate (must not pass as a gateway's) and one with only the IKE
# intermediate EKU (accepted for a gateway, as Windows and macOS clients do).
issue ee-client-p256 p256 ca-p256 p256 client.ikekit.test 3650 "$EE_BC" "$EE_KU" \
  "extendedKeyUsage=clientAuth" "subjectAltName=DNS:client.ikekit.test,IP:192.0.2.5"
issue ee-ikeint-p256 p256 ca-p256 p256 ikeint.ikekit.test 3650 "$EE_BC" "$EE_KU" \
  "extendedKeyUsage=1.3.6.1.5.5.8.2.2" "subjectAltName=DNS:ikeint.ikekit.test,IP:192.0.2.6"

# The same keys in the traditional (non-PKCS#8) PEM forms, for the loader tests.
openssl rsa -in ee-rsa.key -traditional -out ee-rsa.pkcs1.key
openssl ec -in ee-p256.key -out ee-p256.sec1.key

# DER copies: CERT payload encoding 4 carries DER (RFC 7296 3.6).
openssl x509 -in ee-p256.crt -outform DER -out ee-p256.der

# CA bundle: several anchors in one PEM file.
cat ca-rsa.crt ca-p256.crt >bundle-rsa-p256.crt

rm -f ./*.srl
echo "test PKI written to $(pwd)"
