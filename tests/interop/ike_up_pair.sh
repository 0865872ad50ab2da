#!/bin/bash
# ike_up_pair.sh IKE_UP MODE FAMILY SUITE OFFLOAD INDEX - two ike-up instances with the
# TUN data plane in two network namespaces joined by a veth (issue 16):
#   MODE     tunnel: inner addresses on lo behind each gateway, IPv4 and IPv6 inner
#            traffic (one selector of each family);
#            transport: the outer addresses themselves (RFC 4303 3.1.1; the route of
#            the peer's own address into the TUN device must not catch IKE and ESP)
#   FAMILY   4 or 6: the outer addresses, IKE and ESP over IPv4 or IPv6
#   SUITE    aes256gcm16, chacha20poly1305 or aes128-sha256 (ESP)
#   OFFLOAD  on or off (--no-offload: no TSO/GRO on the TUN device, no UDP GSO)
# Checks: ping (each inner family) and an iperf3 TCP stream through the tunnel, both
# data planes counting the packets (ikectl list-sas), ICMP/TCP never seen in the clear
# on the veth, and a clean exit. No NAT between them: ESP is plain (IP protocol 50,
# through the data plane's raw socket), never in UDP (encap none, RFC 3948 only for a NAT),
# though IKE runs on port 4500 since IKE_AUTH (MOBIKE on by default, RFC 4555 3.3).
# strongSwan cannot be the peer for transport mode here: its userspace ESP
# (kernel-libipsec, the only one on a kernel without ESP) supports tunnel mode only.
# Exit 0 pass, 1 fail, 77 skip.
set -u
IKE_UP=$1 MODE=$2 FAMILY=$3 SUITE=$4 OFFLOAD=$5 IDX=$6
IKECTL=$(dirname "$IKE_UP")/ikectl
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/test.sh"
. "$HERE/lib/netns.sh"
test_need_root
test_need ip ping iperf3 python3 dumpcap tshark
[ -e /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

P=ikpr$IDX L=ikpr$IDX-l R=ikpr$IDX-r
W=$(mktemp -d /tmp/ikekit-pair.XXXXXX)
PIDS=()
fail() { echo "FAIL ($MODE IPv$FAMILY $SUITE offload $OFFLOAD): $*"; exit 1; }
ok() { echo "ok: $*"; }
test_stop() { stop_pids "${PIDS[@]}"; netns_pair_down "$L" "$R"; }
test_logs() { tail_logs 15 "$W"/*.jsonl "$W"/*.err "$W"/*.txt; }
test_trap "$W"

netns_pair "$L" "$R" "$P-l0" "$P-r0" || fail "veth"
if [ "$FAMILY" = 4 ]; then
  LO=10.$((100 + IDX)).0.1 RO=10.$((100 + IDX)).0.2 PLEN=24
else
  LO=fd00:$IDX::1 RO=fd00:$IDX::2 PLEN=64
fi
ip -n "$L" addr add "$LO/$PLEN" dev "$P-l0" nodad 2>/dev/null || ip -n "$L" addr add "$LO/$PLEN" dev "$P-l0"
ip -n "$R" addr add "$RO/$PLEN" dev "$P-r0" nodad 2>/dev/null || ip -n "$R" addr add "$RO/$PLEN" dev "$P-r0"
ip -n "$L" link set "$P-l0" up
ip -n "$R" link set "$P-r0" up
for _ in $(seq 20); do ip netns exec "$L" ping -c1 -W1 "$RO" >/dev/null 2>&1 && break; sleep 0.2; done

# What goes through the tunnel: the inner addresses (tunnel) or the outer ones (transport).
if [ "$MODE" = tunnel ]; then
  L4=10.$((100 + IDX)).1.1 R4=10.$((100 + IDX)).2.1 L6=fd01:$IDX::1 R6=fd02:$IDX::1
  ip -n "$L" addr add "$L4/32" dev lo && ip -n "$L" addr add "$L6/128" dev lo
  ip -n "$R" addr add "$R4/32" dev lo && ip -n "$R" addr add "$R6/128" dev lo
  TS_L=(--local-ts "$L4/32" --local-ts "$L6/128") TS_R=(--local-ts "$R4/32" --local-ts "$R6/128")
  TR_L=(--remote-ts "$R4/32" --remote-ts "$R6/128") TR_R=(--remote-ts "$L4/32" --remote-ts "$L6/128")
  TARGETS=("$L4 $R4" "$L6 $R6")
else
  HOST=$([ "$FAMILY" = 4 ] && echo 32 || echo 128)
  TS_L=(--local-ts "$LO/$HOST") TS_R=(--local-ts "$RO/$HOST")
  TR_L=(--remote-ts "$RO/$HOST") TR_R=(--remote-ts "$LO/$HOST")
  TARGETS=("$LO $RO")
fi

make_psk "$W/psk"
extra=()
[ "$OFFLOAD" = off ] && extra+=(--no-offload)
common=(--psk-file "$W/psk" --dataplane tun --dpd-delay 0 --mode "$MODE" --esp-proposal "$SUITE"
        --ike-proposal aes256gcm16-prfsha256-x25519 "${extra[@]}")
ip netns exec "$R" "$IKE_UP" --name pair --role responder --local "$RO" --remote "$LO" \
  --local-id right@pair --remote-id left@pair "${TS_R[@]}" "${TR_R[@]}" "${common[@]}" \
  --control-socket "$W/right.sock" > "$W/right.jsonl" 2> "$W/right.err" &
PIDS+=($!)
sleep 0.3
ip netns exec "$L" "$IKE_UP" --name pair --role initiator --local "$LO" --remote "$RO" \
  --local-id left@pair --remote-id right@pair "${TS_L[@]}" "${TR_L[@]}" "${common[@]}" \
  --control-socket "$W/left.sock" > "$W/left.jsonl" 2> "$W/left.err" &
PIDS+=($!)
for _ in $(seq 100); do
  grep -q '"child_sa_up"' "$W/left.jsonl" && grep -q '"child_sa_up"' "$W/right.jsonl" && break
  sleep 0.1
done
grep -q '"child_sa_up"' "$W/right.jsonl" || fail "no Child SA"
grep -q "\"mode\":\"$MODE\"" "$W/left.jsonl" || fail "child_sa_up does not say mode $MODE"
grep -q '"dataplane_error"' "$W/left.jsonl" "$W/right.jsonl" && fail "a data plane error"
for side in left right; do
  grep '"child_sa_up"' "$W/$side.jsonl" | grep -q '"encap":"none".*"udp_encap":false\|"udp_encap":false.*"encap":"none"' ||
    fail "$side's child_sa_up does not say encap none, udp_encap false"
  # RFC 4555 3.3: the MOBIKE initiator moved IKE to port 4500 for IKE_AUTH, NAT or not.
  python3 - "$W/$side.jsonl" "$side" <<'PY' || fail "$side's ike_sa_up: IKE not on port 4500"
import json, sys
up = next(e for e in map(json.loads, open(sys.argv[1])) if e.get("type") == "ike_sa_up")
assert up["nat_t"] and up["local"].endswith(":4500") and up["remote"].endswith(":4500"), up
assert up["encap"] == "none" and not up["nat_local"] and not up["nat_remote"], up
PY
done
ok "Child SA up ($MODE, IPv$FAMILY outer, $SUITE, offload $OFFLOAD)"
# RFC 9329: a UDP-only ike-up opens no TCP port (the runner listens only for tcp or auto).
for ns in "$L" "$R"; do
  ip netns exec "$ns" ss -Htln | grep -q . && fail "a TCP listener in $ns: $(ip netns exec "$ns" ss -Htln)"
done
ok "no TCP listener (UDP only)"

netns_capture "$L" "$P-l0" "$W/cap.pcap" 128 # headers are all the checks below read
CAP=$CAPTURE_PID
PIDS+=($CAP)
sleep 0.2

ip netns exec "$R" iperf3 -s -D -I "$W/iperf.pid" >/dev/null 2>&1
sleep 0.3
PIDS+=("$(cat "$W/iperf.pid" 2>/dev/null)")
for pair in "${TARGETS[@]}"; do
  set -- $pair
  ip netns exec "$L" ping -q -c 5 -i 0.1 -W 2 -I "$1" "$2" > "$W/ping.txt" 2>&1 ||
    fail "ping $2 from $1 through the tunnel: $(cat "$W/ping.txt")"
  ok "ping $1 -> $2"
  ip netns exec "$L" iperf3 -c "$2" -B "$1" -t 2 -J > "$W/iperf.json" 2>&1 ||
    fail "iperf3 $1 -> $2: $(tail -5 "$W/iperf.json")"
  python3 - "$W/iperf.json" "$1 -> $2" <<'PY' || fail "TCP stream"
import json, sys
e = json.load(open(sys.argv[1]))["end"]
got = e["sum_received"]["bytes"]
assert got > 2_000_000, got
print(f"ok: TCP {sys.argv[2]}: {got} bytes, {e['sum_received']['bits_per_second'] / 1e9:.2f} Gbit/s")
PY
done
sleep 0.3
kill -TERM "$CAP"; wait "$CAP" 2>/dev/null
# Nothing in the clear on the wire: every ICMP and TCP packet rode inside ESP.
# IKE may use UDP 4500 (above); ESP and keepalives there would be encapsulation.
# (One tshark pass for the three counts: the capture holds ~10^6 frames.)
counts=$(python3 "$HERE/lib/pcap_counts.py" "$W/cap.pcap" \
  "icmp || icmpv6.type == 128 || icmpv6.type == 129 || tcp" "esp && !udp" \
  "udp.port == 4500 && !isakmp") || fail "reading the capture: $counts"
read -r clear esp udp_esp <<< "$counts"
[ "$clear" = 0 ] || fail "$clear ICMP/TCP packets in the clear on the veth"
[ "$esp" -gt 1000 ] || fail "only $esp plain ESP packets (IP protocol 50) on the veth"
[ "$udp_esp" = 0 ] || fail "$udp_esp ESP-in-UDP or keepalive datagrams on UDP 4500 without a NAT"
ok "on the wire: $esp plain ESP packets (protocol 50), none in UDP, nothing in the clear; IKE on 4500"

# Both data planes counted the traffic on their Child SA.
for side in left right; do
  "$IKECTL" --socket "$W/$side.sock" list-sas > "$W/$side-sas.txt" 2>&1 || fail "ikectl list-sas ($side)"
  python3 - "$W/$side-sas.txt" "$side" <<'PY' || fail "$side's Child SA counters"
import json, sys
def walk(j):
    if isinstance(j, dict):
        if "packets_in" in j and isinstance(j["packets_in"], int): yield j
        for v in j.values(): yield from walk(v)
    elif isinstance(j, list):
        for v in j: yield from walk(v)
kids = list(walk(json.load(open(sys.argv[1]))))
pin = sum(k["packets_in"] for k in kids); pout = sum(k["packets_out"] for k in kids)
assert pin >= 500 and pout >= 500, kids
print(f"ok: {sys.argv[2]}: packets_in {pin} packets_out {pout}")
PY
done
for i in 1 0; do
  kill -TERM "${PIDS[$i]}"; wait "${PIDS[$i]}"; rc=$?
  [ $rc = 0 ] || fail "ike-up exited $rc after SIGTERM"
done
PIDS=("${PIDS[@]:2}")
ok "clean exit"
echo PASS
