#!/bin/bash
# live_strongswan_decode.sh IKE_DECODE SCENARIO INDEX
# Runs a fresh strongSwan pair in two namespaces (tests/interop/capture-swan-pair.sh),
# captures it, takes the keys from charon's level-4 log, and checks that ike-decode
# agrees with tshark frame by frame (ChaCha20: decrypts everything, tshark 4.0 cannot).
# INDEX picks a distinct namespace prefix and /16 so scenarios can run in parallel.
# Exit 77 (skip, with the reason) when not root or strongSwan/tshark are missing.
set -u
bin=$1 scenario=$2 index=$3
here=$(cd "$(dirname "$0")" && pwd)
interop=$here/../interop
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
for tool in charon-systemd swanctl tshark dumpcap pki; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || [ -x "/usr/lib/ipsec/$tool" ] ||
    { echo "SKIP: $tool is not installed (scripts/install-deps.sh test)"; exit 77; }
done
ip netns add "ikdl-probe-$$" 2>/dev/null || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip netns del "ikdl-probe-$$"

tmp=$(mktemp -d /tmp/ikekit-live-decode.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export NS_PREFIX="ikdl$index" IA_NET="10.$((200 + index))"
if ! "$interop/capture-swan-pair.sh" "$scenario" "$tmp/out" >"$tmp/capture.log" 2>&1; then
  cat "$tmp/capture.log"
  echo "FAIL: strongSwan capture for $scenario failed"
  exit 1
fi
extra=()
case $scenario in *chacha*) extra=(--all-decrypted) ;; esac
python3 "$here/agree_with_tshark.py" "$bin" "$tmp/out/capture.pcap" "$tmp/out/wireshark" \
  --keys "$tmp/out/keys.jsonl" "${extra[@]}"
