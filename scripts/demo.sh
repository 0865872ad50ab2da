#!/bin/bash
# demo.sh - ikekit's main job on a built-in default: decode and decrypt a real
# strongSwan capture that ships in the repository, with the key log next to it.
#   scripts/demo.sh [SCENARIO]     default: psk-aes256gcm16-ecp256 (see tests/data/README.md)
# Installs what is missing (Debian packages), builds, then prints ike-decode's JSON Lines.
set -eu
cd "$(dirname "$0")/.."
scenario=${1:-psk-aes256gcm16-ecp256}
data=tests/data/$scenario
[ -f "$data/capture.pcap" ] || { echo "demo: no capture $data/capture.pcap" >&2; exit 2; }
scripts/install-deps.sh build
cmake -S . -B build -G Ninja >/dev/null
cmake --build build --target ike-decode >/dev/null
echo "demo: build/bin/ike-decode --keys $data/keys.jsonl $data/capture.pcap" >&2
build/bin/ike-decode --keys "$data/keys.jsonl" "$data/capture.pcap"
