#!/bin/bash
# kill_switch.sh IKE_UP INDEX - ike-up --kill-switch (issue 15) in two namespaces: a
# client (ike-up initiator, TUN data plane) and a server (ike-up responder) on a veth
# that also holds an "outside" host (IPv4 and IPv6) the client could reach directly.
# Checks:
#   - the table is in place before the tunnel is up, and the kill_switch event says so;
#   - with the tunnel up, the inside host answers through it, the outside host (IPv4,
#     IPv6, UDP/53, TCP) does not answer at all;
#   - the server is killed: for 6 s the client keeps trying (a round of pings, DNS, TCP
#     and a ping into the tunnel about every second, its own DPD and the DPD's
#     retransmissions) and the capture on its outer link holds nothing but IKE and ESP to
#     the server (and ARP / IPv6 neighbour discovery / MLD reports to ff02::/16 with hop
#     limit 1), among them the DPD requests, the MLD report of a group the client
#     joined meanwhile (an address added: its solicited-node group) and its answer to an
#     MLD query from the server's end; the drop counter moved;
#   - a clean exit (SIGTERM) removes the table, the event says why, the outside answers;
#   - `ikectl kill-switch off` removes it from a running ike-up.
# Exit 0 pass, 1 fail, 77 skip.
set -u
IKE_UP=$1 IDX=$2
IKECTL=$(dirname "$IKE_UP")/ikectl
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/test.sh"
. "$HERE/lib/netns.sh"
test_need_root "network namespaces and nftables"
test_need ip ping nft python3 dumpcap tshark
[ -e /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

P=ikks$IDX C=ikks$IDX-c S=ikks$IDX-s
W=$(mktemp -d /tmp/ikekit-killswitch.XXXXXX)
PIDS=()
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
# the kill switch table goes with its namespace
test_stop() { stop_pids "${PIDS[@]}"; netns_pair_down "$C" "$S"; }
test_logs() { tail_logs 15 "$W"/*.jsonl "$W"/*.err "$W"/*.txt; }
test_trap "$W"

netns_pair "$C" "$S" "$P-c0" "$P-s0" || fail "veth"
N=$((20 + IDX)) # 172.20-31.x.x: no other test uses them
CO=172.$N.0.1 SO=172.$N.0.2 OUT4=172.$N.0.99 CO6=fd$N::1 OUT6=fd$N::99
CI=172.$N.1.1 SI=172.$N.2.1
ip -n "$C" addr add "$CO/24" dev "$P-c0"
ip -n "$C" addr add "$CO6/64" dev "$P-c0" nodad
ip -n "$S" addr add "$SO/24" dev "$P-s0"
ip -n "$S" addr add "$OUT4/24" dev "$P-s0" # the outside host: reachable without the tunnel
ip -n "$S" addr add "$OUT6/64" dev "$P-s0" nodad
ip -n "$C" addr add "$CI/32" dev lo
ip -n "$S" addr add "$SI/32" dev lo
ip -n "$C" link set "$P-c0" up
ip -n "$S" link set "$P-s0" up
for _ in $(seq 20); do ip netns exec "$C" ping -c1 -W1 "$OUT4" >/dev/null 2>&1 && break; sleep 0.2; done
ip netns exec "$C" ping -c1 -W2 "$OUT4" >/dev/null 2>&1 || fail "the outside host does not answer before the test"
ip netns exec "$C" ping -c1 -W2 "$OUT6" >/dev/null 2>&1 || fail "the outside host (IPv6) does not answer before the test"

# Listeners on the outside host: TCP 80 and UDP 53 answer whatever comes.
ip netns exec "$S" python3 - "$OUT4" > "$W/outside.txt" 2>&1 <<'PY' &
import socket, sys, threading
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((sys.argv[1], 80)); t.listen(16)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((sys.argv[1], 53))
def udp():
    while True:
        d, a = u.recvfrom(2048); u.sendto(d, a)
threading.Thread(target=udp, daemon=True).start()
while True:
    c, _ = t.accept(); c.sendall(b"outside\n"); c.close()
PY
PIDS+=($!)

make_psk "$W/psk"
common=(--psk-file "$W/psk" --dataplane tun --ike-proposal aes256gcm16-prfsha256-x25519
        --esp-proposal aes256gcm16)
ip netns exec "$S" "$IKE_UP" --name ks --role responder --local "$SO" --remote "$CO" \
  --local-id server@ks --remote-id client@ks --local-ts "$SI/32" --remote-ts "$CI/32" \
  --dpd-delay 0 "${common[@]}" --control-socket none > "$W/server.jsonl" 2> "$W/server.err" &
SERVER=$!
PIDS+=($SERVER)
wait_line "$W/server.jsonl" '"type":"started"' 5 "$SERVER" || fail "the server did not start" # sockets bound
ip netns exec "$C" "$IKE_UP" --name ks --role initiator --local "$CO" --remote "$SO" \
  --local-id client@ks --remote-id server@ks --local-ts "$CI/32" --remote-ts "$SI/32" \
  --dpd-delay 2s --dpd-action restart --retransmit-timeout 1s "${common[@]}" --kill-switch \
  --control-socket "$W/client.sock" > "$W/client.jsonl" 2> "$W/client.err" &
CLIENT=$!
PIDS+=($CLIENT)
for _ in $(seq 100); do grep -q '"child_sa_up"' "$W/client.jsonl" && break; sleep 0.1; done
grep -q '"child_sa_up"' "$W/client.jsonl" || fail "no Child SA"
python3 - "$W/client.jsonl" "$SO" <<'PY' || fail "kill_switch event"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
types = [l["type"] for l in lines]
assert lines[0]["type"] == "started" and lines[0]["kill_switch"] is True, lines[0]
ks = [l for l in lines if l["type"] == "kill_switch"]
assert ks and ks[0]["state"] == "on" and ks[0]["servers"] == [sys.argv[2]], ks
assert ks[0]["tunnel_device"] and ks[0]["allow_lan"] is False, ks
# before any IKE SA came up
assert types.index("kill_switch") < types.index("ike_sa_up"), types
PY
ip netns exec "$C" nft list table inet ikekit_kill_switch > "$W/table.txt" || fail "no nftables table"
ok "kill switch on before the first IKE packet, Child SA up"

ip netns exec "$C" ping -c 3 -i 0.2 -W 2 -I "$CI" "$SI" > "$W/ping.txt" 2>&1 ||
  fail "ping through the tunnel: $(cat "$W/ping.txt")"
ok "the inside host answers through the tunnel"

# probe_outside [CMD...]: every way out that must be blocked, all at once (each waits
# up to 1 s for an answer), and CMD beside them; prints what got through.
probe_outside() {
  local pids=() out=$W/probe
  rm -f "$out".*
  { ip netns exec "$C" ping -c 1 -W 1 "$OUT4" >/dev/null 2>&1 && echo "ping $OUT4"; } > "$out.4" &
  pids+=($!)
  { ip netns exec "$C" ping -c 1 -W 1 "$OUT6" >/dev/null 2>&1 && echo "ping $OUT6"; } > "$out.6" &
  pids+=($!)
  ip netns exec "$C" python3 - "$OUT4" > "$out.py" <<'PY' &
import socket, sys, threading
def dns():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(1)
    try:
        u.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01", (sys.argv[1], 53))
        u.recvfrom(2048); print("dns", sys.argv[1])
    except OSError: pass
def tcp():
    t = socket.socket(); t.settimeout(1)
    try:
        t.connect((sys.argv[1], 80)); print("tcp", sys.argv[1])
    except OSError: pass
probes = [threading.Thread(target=f) for f in (dns, tcp)]
for p in probes: p.start()
for p in probes: p.join()
PY
  pids+=($!)
  [ $# -gt 0 ] && { "$@" & pids+=($!); }
  wait "${pids[@]}"
  cat "$out".*
}
leaks=$(probe_outside)
[ -z "$leaks" ] || fail "with the tunnel up, reached outside directly: $leaks"
ok "the outside host is unreachable (IPv4, IPv6, DNS, TCP)"

netns_capture "$C" "$P-c0" "$W/cap.pcap"
CAP=$CAPTURE_PID
PIDS+=($CAP)
sleep 0.2
kill -KILL "$SERVER"
wait "$SERVER" 2>/dev/null
# A new address joins its solicited-node group (ff02::1:ff00:7): the kernel reports it
# (MLDv2, ICMPv6 143), which a switch snooping MLD needs to forward ND to the client.
ip -n "$C" addr add "fd$N::7/64" dev "$P-c0" nodad
# A querier on the link (the server's end) asks for every group: the client's answer (a
# report of current-state records, type 2) keeps a snooping switch forwarding them.
ip netns exec "$S" python3 - "$P-s0" <<'PY' || fail "could not send an MLD query"
import socket, struct, sys
ifindex = socket.if_nametoindex(sys.argv[1])
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
# MLDv2 general query (RFC 3810 5.1): type 130, code 0, checksum (the kernel's), maximum
# response 1000 ms, reserved, group ::, S/QRV 2, QQIC 125, no sources
query = struct.pack("!BBHHH16sBBH", 130, 0, 0, 1000, 0, bytes(16), 2, 125, 0)
router_alert = bytes([0, 0, 5, 2, 0, 0, 1, 0])  # hop-by-hop: router alert (MLD), PadN
s.sendmsg([query], [(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, router_alert)], 0,
          ("ff02::1", 0, 0, ifindex))
PY
into_tunnel() { ip netns exec "$C" ping -c 1 -W 1 -I "$CI" "$SI" >/dev/null 2>&1; }
end=$((SECONDS + 6))
while [ $SECONDS -lt $end ]; do
  leaks=$(probe_outside into_tunnel)
  [ -z "$leaks" ] || fail "with the server gone, reached outside directly: $leaks"
done
kill -TERM "$CAP"; wait "$CAP" 2>/dev/null
mld_out="icmpv6.type in {131, 132, 143} && ipv6.dst == ff02::/16 && ipv6.hlim == 1"
allowed="(ip.addr == $SO && (udp.port == 500 || udp.port == 4500 || esp)) || arp || icmpv6.type == 133 || icmpv6.type == 134 || icmpv6.type == 135 || icmpv6.type == 136 || ($mld_out)"
total=$(tshark -r "$W/cap.pcap" 2>/dev/null | wc -l)
# Only what the client sent can be a leak: the capture also holds what the server's end of
# the link sends (CI once caught its MLD report).
cmac=$(ip netns exec "$C" cat "/sys/class/net/$P-c0/address")
# A filter tshark refuses (exit 2) would find no leak: it fails the test instead.
tshark -r "$W/cap.pcap" -Y "eth.src == $cmac && !($allowed)" > "$W/leaks.txt" 2> "$W/tshark.err" ||
  fail "tshark: $(cat "$W/tshark.err")"
ike=$(tshark -r "$W/cap.pcap" -Y "ip.dst == $SO && (udp.port == 500 || udp.port == 4500)" 2>/dev/null | wc -l)
dpd=$(tshark -r "$W/cap.pcap" -Y "ip.dst == $SO && isakmp" 2>/dev/null | wc -l)
[ -s "$W/leaks.txt" ] && fail "packets other than IKE/ESP to the server on the outer link: $(head -5 "$W/leaks.txt")"
[ "$ike" -gt 0 ] || fail "the client sent no IKE/ESP to the server while it was gone (was it trying?)"
# DPD after 2 s of silence, retransmitted after 1 s and 1.8 s more: at least two requests.
[ "$dpd" -ge 2 ] || fail "$dpd IKE messages (DPD) to the server while it was gone, expected 2 or more"
mld=$(tshark -r "$W/cap.pcap" -Y "eth.src == $cmac && ($mld_out)" 2>/dev/null | wc -l)
[ "$mld" -gt 0 ] || fail "no MLD report from the client after it joined a group (the kill switch dropped it?)"
answers=$(tshark -r "$W/cap.pcap" -Y "eth.src == $cmac && icmpv6.mldr.mar.record_type == 2" 2>/dev/null | wc -l)
[ "$answers" -gt 0 ] || fail "the client did not answer the MLD query (the kill switch dropped the query?)"
ip netns exec "$C" nft list table inet ikekit_kill_switch > "$W/table.txt" ||
  fail "the table went away while the tunnel was down"
drops=$(sed -n 's/.*counter packets \([0-9]*\) .*drop.*/\1/p' "$W/table.txt" | head -1)
[ "${drops:-0}" -gt 0 ] || fail "the output drop counter did not move: $(cat "$W/table.txt")"
ok "6 s with the server gone: $total packets on the outer link, $ike IKE/ESP to the server ($dpd DPD), $mld MLD reports ($answers answering the query), nothing else; $drops dropped"

kill -TERM "$CLIENT"; wait "$CLIENT"; rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || fail "ike-up exited $rc after SIGTERM"
ip netns exec "$C" nft list table inet ikekit_kill_switch >/dev/null 2>&1 && fail "the table is still there after a clean exit"
grep -q '"type":"kill_switch".*"state":"off".*"reason":"exit"' "$W/client.jsonl" ||
  fail "no kill_switch off event (reason exit)"
ip netns exec "$C" ping -c 1 -W 2 "$OUT4" >/dev/null 2>&1 || fail "the outside host does not answer after the exit"
ok "a clean exit removed the table; direct traffic works again"

# ikectl kill-switch off on a running ike-up (no server needed).
ip netns exec "$C" "$IKE_UP" --name ks --role initiator --local "$CO" --remote "$SO" \
  --local-id client@ks --remote-id server@ks --local-ts "$CI/32" --remote-ts "$SI/32" \
  "${common[@]}" --kill-switch --control-socket "$W/client2.sock" > "$W/client2.jsonl" 2> "$W/client2.err" &
CLIENT=$!
PIDS+=($CLIENT)
for _ in $(seq 50); do [ -S "$W/client2.sock" ] && break; sleep 0.1; done
ip netns exec "$C" nft list table inet ikekit_kill_switch >/dev/null 2>&1 || fail "second run: no table"
ip netns exec "$C" ping -c 1 -W 1 "$OUT4" >/dev/null 2>&1 && fail "second run: outside reachable"
ip netns exec "$C" "$IKECTL" --socket "$W/client2.sock" kill-switch off > "$W/off.txt" 2>&1 ||
  fail "ikectl kill-switch off: $(cat "$W/off.txt")"
grep -q '"state":"off"' "$W/off.txt" || fail "ikectl's answer: $(cat "$W/off.txt")"
ip netns exec "$C" nft list table inet ikekit_kill_switch >/dev/null 2>&1 && fail "the table is still there after ikectl kill-switch off"
ip netns exec "$C" ping -c 1 -W 2 "$OUT4" >/dev/null 2>&1 || fail "outside unreachable after ikectl kill-switch off"
grep -q '"reason":"ikectl"' "$W/client2.jsonl" || fail "no kill_switch off event (reason ikectl)"
ok "ikectl kill-switch off removed the table of a running ike-up"
echo PASS
