#!/bin/bash
# demo.sh - ikekit's main job on a built-in default: an IKEv2/ESP tunnel between two
# network namespaces, negotiated by two ike-up instances (initiator and responder)
# with a generated PSK, carrying a ping through ikekit's userspace ESP (TUN).
#   scripts/demo.sh            the tunnel demo (root: it creates namespaces)
#   scripts/demo.sh --decode   decode a strongSwan capture shipped in tests/data instead
# Installs what is missing (Debian packages), builds, runs, prints the JSON events and
# the ping result, and removes everything it created (also on Ctrl-C).
set -u
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--decode" ]; then
  set -e
  data=tests/data/psk-aes256gcm16-ecp256
  scripts/install-deps.sh build
  cmake -S . -B build -G Ninja >/dev/null
  cmake --build build --target ike-decode >/dev/null
  echo "demo: build/bin/ike-decode --keys $data/keys.jsonl $data/capture.pcap" >&2
  exec build/bin/ike-decode --keys "$data/keys.jsonl" "$data/capture.pcap"
fi

[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces, TUN); try: sudo $0, or $0 --decode" >&2; exit 3; }
# IKE_UP=path skips the install and build (the test suite runs the demo that way).
IKE_UP=${IKE_UP:-}
if [ -z "$IKE_UP" ]; then
  scripts/install-deps.sh build || exit $?
  command -v ping >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iputils-ping >/dev/null
  cmake -S . -B build -G Ninja >/dev/null && cmake --build build --target ike-up >/dev/null || exit 1
  IKE_UP=build/bin/ike-up
fi

L=ikdemo-left R=ikdemo-right NET=10.250
WORK=$(mktemp -d /tmp/ikekit-demo.XXXXXX)
PIDS=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  ip netns del $L 2>/dev/null; ip netns del $R 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ns in $L $R; do
  ip netns list | grep -qw "^$ns" && { echo "demo: namespace $ns exists (an earlier demo still running?)" >&2; exit 1; }
done
ip netns add $L && ip netns add $R || exit 3
ip link add ikdemo-l0 netns $L type veth peer name ikdemo-r0 netns $R
ip -n $L addr add $NET.0.1/24 dev ikdemo-l0 && ip -n $R addr add $NET.0.2/24 dev ikdemo-r0
ip -n $L link set ikdemo-l0 up && ip -n $R link set ikdemo-r0 up
ip -n $L link set lo up && ip -n $R link set lo up
# The "inner" networks behind each gateway: one address each, on lo.
ip -n $L addr add $NET.1.1/32 dev lo && ip -n $R addr add $NET.2.1/32 dev lo
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$WORK/psk"
chmod 600 "$WORK/psk" # ike-up refuses a PSK file others may read

common=(--psk-file "$WORK/psk" --dataplane tun --dpd-delay 0)
ip netns exec $R "$IKE_UP" --name demo --role responder --local $NET.0.2 --remote $NET.0.1 \
  --local-id right@demo --remote-id left@demo --local-ts $NET.2.0/24 --remote-ts $NET.1.0/24 \
  "${common[@]}" > "$WORK/right.jsonl" 2> "$WORK/right.err" &
PIDS+=($!)
sleep 0.3
ip netns exec $L "$IKE_UP" --name demo --role initiator --local $NET.0.1 --remote $NET.0.2 \
  --local-id left@demo --remote-id right@demo --local-ts $NET.1.0/24 --remote-ts $NET.2.0/24 \
  "${common[@]}" > "$WORK/left.jsonl" 2> "$WORK/left.err" &
PIDS+=($!)

up=0
for _ in $(seq 1 100); do
  if grep -q '"child_sa_up"' "$WORK/left.jsonl" && grep -q '"child_sa_up"' "$WORK/right.jsonl"; then up=1; break; fi
  sleep 0.1
done
echo "== ike-up initiator ($L) events"; cat "$WORK/left.jsonl"
echo "== ike-up responder ($R) events"; cat "$WORK/right.jsonl"
if [ $up != 1 ]; then
  echo "demo: the tunnel did not come up" >&2; cat "$WORK/left.err" "$WORK/right.err" >&2; exit 1
fi
echo "== ping $NET.2.1 from $NET.1.1 through the tunnel"
ip netns exec $L ping -c 3 -i 0.3 -W 2 -I $NET.1.1 $NET.2.1
rc=$?
[ $rc = 0 ] && echo "demo: the tunnel carries traffic" || echo "demo: ping failed" >&2
exit $rc
