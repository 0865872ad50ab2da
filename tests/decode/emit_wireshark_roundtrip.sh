#!/bin/bash
# emit_wireshark_roundtrip.sh IKE_DECODE SCENARIO_DIR
# Gives ike-decode only the IKE SA line of the key log (no ESP keys, no algorithm
# names), so it must infer the algorithms from the capture and derive every ESP key
# from SK_d; then tshark, reading the tables ike-decode wrote with --emit-wireshark,
# must decrypt the same capture and agree with ike-decode frame by frame.
set -eu
bin=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)
command -v tshark >/dev/null || { echo "SKIP: tshark is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep '"type":"ike_sa"' "$dir/keys.jsonl" |
  python3 -c 'import json,sys
for l in sys.stdin:
    o = json.loads(l)
    for k in ("encr", "integ", "prf", "ke"): o.pop(k, None)
    print(json.dumps(o))' > "$tmp/ike-only.jsonl"
"$bin" --keys "$tmp/ike-only.jsonl" --emit-wireshark "$tmp/ws" "$dir/capture.pcap" > "$tmp/out.jsonl"
grep -q '"undecryptable":0' "$tmp/out.jsonl" || { echo "ike-decode left packets undecrypted:"; tail -1 "$tmp/out.jsonl"; exit 1; }
case $dir in
  *chacha*) test "$(grep -vc '^#' "$tmp/ws/esp_sa")" -eq 0 || { echo "ChaCha20 SAs emitted for Wireshark 4.0"; exit 1; } ;;
  *) test "$(grep -vc '^#' "$tmp/ws/esp_sa")" -ge 2 || { echo "no ESP SAs emitted"; exit 1; } ;;
esac
python3 "$here/agree_with_tshark.py" "$bin" "$dir/capture.pcap" "$tmp/ws" --keys "$tmp/ike-only.jsonl" --all-decrypted
