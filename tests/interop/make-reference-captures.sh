#!/bin/bash
# make-reference-captures.sh - (re)generate the committed strongSwan reference
# captures under tests/data/<scenario>/ and check that tshark decrypts them.
#
#   tests/interop/make-reference-captures.sh [--check-only] [--out DIR] [SCENARIO...]
#
# --out DIR writes DIR/<scenario>/ instead of tests/data/<scenario>/ (a live
# capture + tshark check, e.g. from ctest).
# Default: all scenarios of capture-swan-pair.sh --list, one after the other.
# For each: capture-swan-pair.sh SCENARIO tests/data/SCENARIO, then
# tests/decode/tshark_summary.py writes tests/data/SCENARIO/tshark-summary.jsonl
# and check-tshark-summary.py asserts that tshark decrypted every IKE SK/SKF
# payload and every ESP packet (ICMP inside), except for ChaCha20-Poly1305,
# which tshark 4.0 cannot decrypt.  --check-only skips the capture.
# Exit status: 0 all ok, 1 some scenario failed.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHECK_ONLY=0
OUTROOT=tests/data
while [ $# -gt 0 ]; do
    case "$1" in
        --check-only) CHECK_ONLY=1 ;;
        --out) OUTROOT=$(mkdir -p "$2" && cd "$2" && pwd) || exit 1; shift ;;
        -*) echo "make-reference-captures: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
    shift
done
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} = 0 ] && mapfile -t SCENARIOS < <("$HERE/capture-swan-pair.sh" --list)
cd "$ROOT" || exit 1
rc=0
for s in "${SCENARIOS[@]}"; do
    out=$OUTROOT/$s
    if [ $CHECK_ONLY = 0 ]; then
        rm -rf "$out"
        if ! tests/interop/capture-swan-pair.sh "$s" "$out"; then
            echo "FAIL $s: capture" >&2; rc=1; continue
        fi
        chmod 644 "$out/capture.pcap"
    fi
    if ! python3 tests/decode/tshark_summary.py "$out/capture.pcap" "$out" > "$out/tshark-summary.jsonl"; then
        echo "FAIL $s: tshark_summary" >&2; rc=1; continue
    fi
    want=all
    case $s in *chacha20*) want=none ;; esac
    if python3 "$HERE/check-tshark-summary.py" "$out/tshark-summary.jsonl" --decrypted "$want"; then
        echo "ok   $s ($(stat -c %s "$out/capture.pcap") bytes)"
    else
        echo "FAIL $s: tshark decryption check" >&2; rc=1
    fi
done
exit $rc
