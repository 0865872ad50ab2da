#!/bin/bash
# make-mobike-capture.sh IKE_UP OUTDIR - a capture of an IKE SA that moves twice (MOBIKE,
# RFC 4555), with its key log, for ike-decode's tests (tests/data/README.md).
#
#   client --link a NET.1.2--[NET.1.1  router  NET.0.1]--capture--[NET.0.2 server]
#          --link b NET.4.2--[NET.4.1, masquerade to NET.0.1  ]
#   inner NET.3.1 (lo)                                              inner NET.2.1 (lo)
#
# Two ike-up instances (TUN data plane, MOBIKE on by default): the client initiates from
# link b, behind the router's masquerade (NAT detected: IKE floats to port 4500, ESP in
# UDP, RFC 3948) and pings 3 times through the tunnel; its address on link b goes and
# its default route moves to link a, without NAT: UPDATE_SA_ADDRESSES from there, the
# server sees no NAT any more and ESP is plain (IP protocol 50); 3 pings; the address
# on link b comes back with the default route (into the NAT again: UPDATE_SA_ADDRESSES
# from the NAT's address, ESP in UDP again); 3 pings; the client exits (Delete).
# (This order because a start without NAT once kept IKE on port 500, so a later move
# into a NAT got no ESP through; now a MOBIKE initiator floats to 4500 at IKE_AUTH, RFC
# 4555 3.3, and tests/interop/ike_up_mobike.sh ike-up-nat covers that order.) dumpcap records the
# server's link (udp 500/4500 or esp); the server's --keylog is the key log (the capture
# shows what the server saw).
# OUTDIR gets capture.pcap, keys.jsonl, events-client.jsonl, events-server.jsonl.
# Needs root, ip, nft, dumpcap, /dev/net/tun. Exit 0 ok, 1 failure, 77 skip.
set -u
IKE_UP=$1 OUT=$2
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
for t in ip nft dumpcap ping; do
  command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/roam_topology.sh"
P=ikmcap NET=10.229
NS_C=$P-cli NS_R=$P-rtr NS_S=$P-srv
CLIENT_A=$NET.1.2 CLIENT_B=$NET.4.2 ROUTER_A=$NET.1.1 ROUTER_B=$NET.4.1 ROUTER_S=$NET.0.1
SERVER=$NET.0.2 INNER_C=$NET.3.1 INNER_S=$NET.2.1
W=$(mktemp -d /tmp/ikekit-mobcap.XXXXXX)
CLI_PID= SRV_PID= CAP_PID=
fail() { echo "FAIL (make-mobike-capture): $*" >&2; exit 1; }
cleanup() {
  local rc=$?
  trap - EXIT
  for p in $CLI_PID $SRV_PID $CAP_PID; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  for ns in $NS_C $NS_R $NS_S; do ip netns del "$ns" 2>/dev/null; done
  if [ $rc -ne 0 ]; then
    for f in "$W"/*.jsonl "$W"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
  fi
  rm -rf "$W"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

roam_topology_check || fail "namespace setup"
(
  set -e
  roam_topology_up "$ROUTER_B"
  # Link b is behind a NAT: what leaves from it towards the server has the router's address.
  ip netns exec "$NS_R" nft -f - <<NFT
table ip mobcap {
  chain post { type nat hook postrouting priority 100; ip saddr $NET.4.0/24 oifname "$P-o" masquerade; }
}
NFT
) || fail "namespace setup"
for _ in $(seq 20); do ip netns exec "$NS_C" ping -c1 -W1 "$SERVER" >/dev/null 2>&1 && break; sleep 0.2; done

ip netns exec "$NS_S" dumpcap -q -P -i "$P-s" -f 'udp port 500 or udp port 4500 or esp' \
  -w "$W/capture.pcap" 2>"$W/dumpcap.err" &
CAP_PID=$!
for _ in $(seq 50); do [ -s "$W/capture.pcap" ] && break; sleep 0.1; done
[ -s "$W/capture.pcap" ] || fail "dumpcap did not start"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$W/psk"
chmod 600 "$W/psk"
COMMON=(--name mob --psk-file "$W/psk" --ike-proposal aes256gcm16-prfsha256-ecp256
  --esp-proposal aes256gcm16 --dataplane tun --dpd-delay 0 --control-socket none)
ip netns exec "$NS_S" "$IKE_UP" --role responder --local "$SERVER" --remote %any \
  --local-ts "$INNER_S/32" --remote-ts "$INNER_C/32" --local-id server@ia.test \
  --remote-id client@ia.test --keylog "$W/keys.jsonl" "${COMMON[@]}" \
  > "$W/events-server.jsonl" 2> "$W/server.err" &
SRV_PID=$!
sleep 0.3
ip netns exec "$NS_C" "$IKE_UP" --role initiator --local "$CLIENT_B" --remote "$SERVER" \
  --local-ts "$INNER_C/32" --remote-ts "$INNER_S/32" --local-id client@ia.test \
  --remote-id server@ia.test "${COMMON[@]}" > "$W/events-client.jsonl" 2> "$W/client.err" &
CLI_PID=$!

count() { grep -c "\"type\":\"$1\"" "$W/events-server.jsonl" 2>/dev/null; }
wait_count() { # TYPE N: the server reported N events of TYPE within 10 s
  for _ in $(seq 100); do [ "$(count "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  return 1
}
pings() { ip netns exec "$NS_C" ping -q -n -c 3 -i 0.2 -W 2 -I "$INNER_C" "$INNER_S" >/dev/null; }

wait_count child_sa_up 1 || fail "no child_sa_up"
sleep 0.3
pings || fail "no ping before the move"
# Out of the NAT.
ip -n "$NS_C" addr del "$CLIENT_B/24" dev "$P-b"
ip -n "$NS_C" route replace default via "$ROUTER_A"
wait_count ike_sa_moved 1 || fail "no ike_sa_moved out of the NAT"
sleep 0.3
pings || fail "no ping without the NAT"
# Into it again.
ip -n "$NS_C" addr add "$CLIENT_B/24" dev "$P-b"
ip -n "$NS_C" route replace default via "$ROUTER_B"
wait_count ike_sa_moved 2 || fail "no ike_sa_moved into the NAT"
sleep 0.3
pings || fail "no ping behind the NAT again"
kill -TERM "$CLI_PID"; wait "$CLI_PID" 2>/dev/null; CLI_PID=
wait_count ike_sa_down 1 || fail "no ike_sa_down on the server"
sleep 0.3
kill -TERM "$CAP_PID"; wait "$CAP_PID" 2>/dev/null; CAP_PID=
mkdir -p "$OUT" || fail "mkdir $OUT"
cp "$W/capture.pcap" "$W/keys.jsonl" "$W/events-client.jsonl" "$W/events-server.jsonl" "$OUT/"
echo "make-mobike-capture: $(stat -c %s "$OUT/capture.pcap") bytes in $OUT/capture.pcap"
