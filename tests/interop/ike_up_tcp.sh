#!/bin/bash
# ike_up_tcp.sh IKE_UP IKE_DECODE - IKE over TCP (RFC 9329) between two ike-up instances
# in network namespaces, with nftables dropping every UDP packet between them (issue 18):
#   - the initiator (--transport auto --tcp-fallback-after 1s) sends IKE_SA_INIT on UDP,
#     gets no answer, and after 1 s sends it in a TCP stream to the responder
#     (--transport auto: it listens on TCP 4500); both report ike_sa_up with
#     "transport":"tcp", and the capture has the UDP attempt and then only TCP;
#   - the IKE SA is rekeyed (ikectl rekey --ike: new SPIs; the old IKE SA's Delete goes
#     on the same connection, RFC 9329 6.1), then the connection breaks: nftables answers
#     its next segment with a TCP reset; the initiator (DPD every second) connects again
#     and resends, the responder follows it to the new connection, and the rekeyed IKE
#     SA keeps its SPIs (no new ike_sa_up, no ike_sa_down); the Child SAs' ESP follows;
#   - MOBIKE over TCP (RFC 9329 7.1): the route to the responder moves to a second
#     address; the initiator's roaming opens a new connection from there and sends
#     UPDATE_SA_ADDRESSES in it, the responder moves (ike_sa_moved, reason mobike) with
#     the SPIs kept, and the ESP of both sides follows to the new connection;
#   - the TUN data plane carries ESP in the same stream (RFC 9329 3.2): ping and a 1 s
#     TCP transfer (iperf3) through the tunnel in both directions before the reset and
#     after the MOBIKE move, pings after the reset (the data plane follows the IKE SA to
#     each new connection on both sides);
#   - a TCP connect that is refused or not up within --tcp-connect-timeout fails
#     IKE_SA_INIT at once (failure step connect), not after the overall timeout;
#   - the capture decodes with ike-decode (every IKE message and ESP packet in the
#     stream, decrypted with the key log; ESP on all three connections, none outside TCP;
#     one move, at the UPDATE_SA_ADDRESSES, named by every record after it) and
#     tshark agrees on every IKE message and ESP packet (exchange, message ID, flags,
#     payloads, SPI, sequence number; tests/decode/tcp_encap_decode.py's check with
#     tests/decode/rfc9329.lua); plain tshark sees no ESP, no UDP 4500 and no inner
#     packet on the wire.
# Exit 0 pass, 1 fail, 77 skip.
set -u
IKE_UP=$1 IKE_DECODE=$2
IKECTL=$(dirname "$IKE_UP")/ikectl
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
for t in ip nft ss python3 dumpcap tshark iperf3 ping; do
  command -v $t >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }
done

NS_PREFIX=iktcp IA_NET=10.226
# shellcheck source=lib/netns.sh
. "$HERE/lib/netns.sh"
L=$NS_LEFT R=$NS_RIGHT LO=$IA_NET.0.1 RO=$IA_NET.0.2
LI=$IA_NET.1.1 RI=$IA_NET.2.1 # on the gateways' lo (netns.sh), inside the selectors
W=$(mktemp -d /tmp/ikekit-tcp.XXXXXX)
PIDS=()
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $* [$SECONDS s]"; }
cleanup() {
  local rc=$?
  trap - EXIT
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  netns_down
  if [ $rc != 0 ] && [ $rc != 77 ]; then
    for f in "$W"/*.jsonl "$W"/*.err "$W"/*.txt; do [ -s "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }; done
  fi
  rm -rf "$W"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

netns_up || fail "cannot create namespaces $L/$R"
for _ in $(seq 20); do ip netns exec "$L" ping -c1 -W1 $RO >/dev/null 2>&1 && break; sleep 0.2; done
# A network that blocks UDP: dropped both ways at the responder.
ip netns exec "$R" nft -f - <<'NFT' || fail "nftables"
table inet iktcp {
  chain input { type filter hook input priority 0; meta l4proto udp drop; }
  chain output { type filter hook output priority 0; meta l4proto udp drop; }
}
NFT

ip netns exec "$L" dumpcap -q -P -i "$NS_PREFIX-l0" -w "$W/cap.pcap" 2>"$W/dumpcap.err" &
CAP=$!
PIDS+=("$CAP")
for _ in $(seq 50); do [ -s "$W/cap.pcap" ] && break; sleep 0.1; done

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$W/psk"
chmod 600 "$W/psk"
common=(--name tcpt --psk-file "$W/psk" --dataplane tun --transport auto
        --ike-proposal aes256gcm16-prfsha256-x25519 --esp-proposal aes256gcm16)
ip netns exec "$R" "$IKE_UP" --role responder --local $RO --remote $LO --dpd-delay 0 \
  --local-ts "$IA_NET.2.0/24" --remote-ts "$IA_NET.1.0/24" \
  "${common[@]}" --keylog "$W/keys-r.jsonl" --control-socket "$W/right.sock" \
  > "$W/right.jsonl" 2> "$W/right.err" &
PIDS+=($!)
for _ in $(seq 50); do ip netns exec "$R" ss -Htln 'sport = :4500' | grep -q . && break; sleep 0.1; done
START=$(date +%s.%N)
ip netns exec "$L" "$IKE_UP" --role initiator --local $LO --remote $RO --dpd-delay 1s \
  --local-ts "$IA_NET.1.0/24" --remote-ts "$IA_NET.2.0/24" \
  --tcp-fallback-after 1s "${common[@]}" --keylog "$W/keys-l.jsonl" \
  --control-socket "$W/left.sock" > "$W/left.jsonl" 2> "$W/left.err" &
PIDS+=($!)
for _ in $(seq 80); do
  grep -qs '"ike_sa_up"' "$W/left.jsonl" && grep -qs '"ike_sa_up"' "$W/right.jsonl" && break
  sleep 0.1
done
UP=$(date +%s.%N)
for side in left right; do
  grep '"ike_sa_up"' "$W/$side.jsonl" | grep -q '"transport":"tcp"' ||
    fail "$side: no ike_sa_up with transport tcp"
done
for _ in $(seq 30); do grep -qs '"child_sa_up"' "$W/left.jsonl" && break; sleep 0.1; done
grep -q '"child_sa_up"' "$W/right.jsonl" || fail "no Child SA"
grep -q '"dataplane_error"' "$W/left.jsonl" "$W/right.jsonl" && fail "a data plane error"
python3 -c "import sys; d = float(sys.argv[2]) - float(sys.argv[1]); assert 1.0 <= d < 4, d" \
  "$START" "$UP" || fail "fallback took $(python3 -c "print($UP - $START)") s, expected 1 s and a round trip"
ok "UDP blocked: IKE SA up over TCP after the 1 s fallback"

ip netns exec "$R" iperf3 -s -D -B $RI -I "$W/iperf.pid" >/dev/null 2>&1
for _ in $(seq 30); do ip netns exec "$R" ss -Htln 'sport = :5201' | grep -q . && break; sleep 0.1; done
PIDS+=("$(cat "$W/iperf.pid" 2>/dev/null)")
# ESP in the stream, both ways: pings from each side, 1 s of TCP each way (2 Mbit/s:
# enough to fill batches, few enough packets for the tshark comparison).
pings() { # label
  ip netns exec "$L" ping -q -c 3 -i 0.1 -W 2 -I $LI $RI > "$W/ping.txt" 2>&1 ||
    fail "$1: ping $LI -> $RI: $(cat "$W/ping.txt")"
  ip netns exec "$R" ping -q -c 3 -i 0.1 -W 2 -I $RI $LI > "$W/ping.txt" 2>&1 ||
    fail "$1: ping $RI -> $LI: $(cat "$W/ping.txt")"
}
traffic() { # label
  pings "$1"
  for dir in "" -R; do
    ip netns exec "$L" iperf3 -c $RI -B $LI -t 1 -b 2M $dir -J > "$W/iperf.json" 2>&1 ||
      fail "$1: iperf3 $dir: $(tail -5 "$W/iperf.json")"
    python3 - "$W/iperf.json" "$1 ${dir:-forward}" <<'PY' || fail "$1: TCP transfer $dir"
import json, sys
e = json.load(open(sys.argv[1]))["end"]
got = e["sum_received"]["bytes"]
assert got >= 200_000, (got, e["sum_received"])
print(f"ok: {sys.argv[2]}: {got} bytes of TCP through ESP in the stream, "
      f"{e['sum_received']['bits_per_second'] / 1e6:.0f} Mbit/s")
PY
  done
  ok "$1: ping both ways and 1 s of TCP each way through the tunnel"
}
traffic "first connection"

list_sa() { # side -> "spi_i spi_r remote state" of the one IKE SA
  "$IKECTL" --socket "$W/$1.sock" list-sas | python3 -c '
import json, sys
sas = json.load(sys.stdin)["ike_sas"]
assert len(sas) == 1, sas
s = sas[0]
print(s["spi_i"], s["spi_r"], s["remote"], s["state"], s["transport"])'
}
initial=$(list_sa right) || fail "ikectl list-sas"
"$IKECTL" --socket "$W/left.sock" rekey --ike tcpt --wait > "$W/rekey.txt" 2>&1 ||
  fail "ikectl rekey --ike: $(cat "$W/rekey.txt")"
for _ in $(seq 30); do before=$(list_sa right 2>/dev/null) && break; sleep 0.1; done
[ -n "$before" ] || fail "ikectl list-sas after the rekey"
set -- $initial; i_spis="$1 $2"
set -- $before
[ "$1 $2" != "$i_spis" ] || fail "the IKE SA rekey kept the SPIs $i_spis"
[ "$(ip netns exec "$L" ss -Htn state established "( dport = :4500 )" | wc -l)" = 1 ] ||
  fail "not one TCP connection after the rekey: $(ip netns exec "$L" ss -Htn)"
ok "IKE SA rekeyed over TCP: SPIs $i_spis -> $1 $2, one connection"
set -- $before
[ "$5" = tcp ] || fail "list-sas transport $5"
OLD_PORT=${3##*:}
# The next segment of this connection gets a TCP reset (the initiator's DPD is due
# within a second); the connection that replaces it has another source port.
ip netns exec "$R" nft add rule inet iktcp input tcp sport "$OLD_PORT" reject with tcp reset ||
  fail "nft reject rule"
moved=""
for _ in $(seq 60); do
  after=$(list_sa right 2>/dev/null) || true
  set -- $after
  [ -n "$after" ] && [ "${3##*:}" != "$OLD_PORT" ] && { moved=1; break; }
  sleep 0.1
done
[ -n "$moved" ] || fail "the responder did not follow a new connection (still $after)"
set -- $before; b_spis="$1 $2"
set -- $after; a_spis="$1 $2"; NEW_PORT=${3##*:}
[ "$a_spis" = "$b_spis" ] || fail "SPIs changed: $b_spis -> $a_spis"
[ "$4" = established ] || fail "IKE SA $4 after the reconnect"
left_after=$(list_sa left) || fail "ikectl list-sas (left)"
set -- $left_after
[ "$1 $2" = "$b_spis" ] && [ "$4" = established ] || fail "initiator: $left_after"
for side in left right; do
  [ "$(grep -c '"ike_sa_up"' "$W/$side.jsonl")" = 1 ] || fail "$side: a second ike_sa_up"
  grep -q '"ike_sa_down"' "$W/$side.jsonl" && fail "$side: ike_sa_down"
done
ok "connection reset (port $OLD_PORT): re-established from port $NEW_PORT, rekeyed SPIs $b_spis kept"
pings "after the reset"
ok "after the reset: ping both ways through the tunnel"


# MOBIKE over TCP: the route to the responder now leaves from a second address (the
# first stays: the old connection is left, not broken). ike-up's roaming sees it on
# rtnetlink; the update goes in a new connection from the new address.
ip -n "$L" addr add $IA_NET.0.3/24 dev "$NS_PREFIX-l0" || fail "a second address"
ip -n "$L" route replace $RO/32 dev "$NS_PREFIX-l0" src $IA_NET.0.3 || fail "route via $IA_NET.0.3"
for _ in $(seq 50); do grep -qs '"ike_sa_moved"' "$W/right.jsonl" && break; sleep 0.1; done
for side in left right; do
  grep '"ike_sa_moved"' "$W/$side.jsonl" | grep -q '"reason":"mobike"' ||
    fail "$side: no ike_sa_moved with reason mobike"
done
grep '"path_changed"' "$W/left.jsonl" | grep -q '"moving":true' || fail "left: no path_changed moving"
roamed=$(list_sa right) || fail "ikectl list-sas after the move"
set -- $roamed; MOBIKE_PORT=${3##*:}
[ "${3%:*}" = $IA_NET.0.3 ] || fail "the responder did not move to $IA_NET.0.3: $roamed"
[ "$1 $2" = "$b_spis" ] && [ "$4" = established ] || fail "after the move: $roamed"
[ "$(ip netns exec "$L" ss -Htn state established "( dport = :4500 ) and src $IA_NET.0.3" | wc -l)" = 1 ] ||
  fail "no connection from $IA_NET.0.3: $(ip netns exec "$L" ss -Htn)"
ok "MOBIKE over TCP: moved to $IA_NET.0.3 (connection from port $MOBIKE_PORT), SPIs $b_spis kept"
# ikectl status "tcp": three connections opened (first, after the reset, after the move),
# the IKE SA went over to a new one twice, one open from the new address, no framing error.
"$IKECTL" --socket "$W/left.sock" status > "$W/status-l.json" 2>&1 || fail "ikectl status"
"$IKECTL" --socket "$W/right.sock" status > "$W/status-r.json" 2>&1 || fail "ikectl status (right)"
python3 - "$W/status-l.json" "$W/status-r.json" "$IA_NET.0.3" <<'PY' || fail "ikectl status tcp counters"
import json, sys
left, right = (json.load(open(f))["tcp"] for f in sys.argv[1:3])
assert left["connections_opened"] == 3 and left["reestablished"] == 2, left
assert right["connections_accepted"] == 3 and right["reestablished"] == 2, right
for t in (left, right):
    assert not any(t["framing_errors"].values()), t["framing_errors"]
    assert t["frames_in"]["ike"] > 0 and t["frames_out"]["ike"] > 0 and t["frames_in"]["esp"] > 0, t
    assert len(t["open"]) == 1 and t["open"][0]["ike_sas"], t["open"]
assert left["open"][0]["local"].startswith(sys.argv[3] + ":") and left["open"][0]["originator"], left
print(f"ok: ikectl status tcp: left {left['connections_opened']} opened, right "
      f"{right['connections_accepted']} accepted, {left['reestablished']} re-established")
PY
traffic "after the MOBIKE move"

sleep 0.3
kill -TERM "$CAP"; wait "$CAP" 2>/dev/null
cat "$W/keys-l.jsonl" > "$W/keys.jsonl"
# Without the RFC 9329 dissector tshark sees only TCP: no ESP, no UDP 4500, nothing inner.
outside=$(tshark -r "$W/cap.pcap" -Y "esp || udp.port == 4500 || ip.addr == $LI || ip.addr == $RI" 2>/dev/null | wc -l)
[ "$outside" = 0 ] || fail "$outside ESP, UDP 4500 or inner packets outside the TCP stream"
ok "on the wire: no ESP and no inner packet outside TCP"
python3 - "$IKE_DECODE" "$W/cap.pcap" "$W/keys.jsonl" "$W" "$HERE/../decode" "$OLD_PORT" "$NEW_PORT" \
  "$MOBIKE_PORT" "$IA_NET.0.3" <<'PY' || fail "decode"
import json, subprocess, sys
binary, cap, keys, tmp, decode_dir, old_port, new_port, mobike_port, moved_to = sys.argv[1:]
sys.path.insert(0, decode_dir)
import tcp_encap_decode
run = subprocess.run([binary, "--keys", keys, cap], capture_output=True, text=True)
assert run.returncode == 0, run.stderr
recs = [json.loads(l) for l in run.stdout.splitlines() if l.strip()]
ike = [r for r in recs if r["type"] == "ike"]
bad = [r for r in recs if r["type"] == "malformed"]
assert not bad, bad
udp = [r for r in ike if r["transport"] == "udp"]
tcp = [r for r in ike if r["transport"] == "tcp"]
# the UDP IKE_SA_INIT (34) attempt first, then everything in the stream
assert udp and all(r["exchange_type"] == 34 and not r["response"] for r in udp), udp
assert tcp and ike.index(tcp[0]) == len(udp), [r["transport"] for r in ike]
exchanges = [r["exchange_type"] for r in tcp]
assert exchanges[:4] == [34, 34, 35, 35], exchanges
assert exchanges.count(36) >= 2, exchanges  # the IKE SA rekey
assert exchanges.count(37) >= 2, exchanges  # DPD before and after the reset
for r in tcp:
    sk = r["payloads"][-1]
    if sk["payload_type"] == 46:
        assert sk["decrypted"] and sk["integrity"] == "ok", r
esp = [r for r in recs if r["type"] == "esp"]
assert all(r["transport"] == "tcp" for r in esp), "ESP outside a TCP stream"
assert all(r["decrypted"] and r["integrity"] == "ok" for r in esp), "ESP not decrypted"
def port(r):  # the initiator's side of the connection
    return next(a.rsplit(":", 1)[1] for a in (r["src"], r["dst"]) if not a.endswith(":4500"))
per_conn = {p: sum(1 for r in esp if port(r) == p) for p in (old_port, new_port, mobike_port)}
# iperf3 on the first connection, pings after the reset, iperf3 after the MOBIKE move
assert per_conn[old_port] >= 200 and per_conn[new_port] >= 6, per_conn
assert per_conn[mobike_port] >= 200, per_conn
# One move (the reset's new connection between the same addresses is none): the
# UPDATE_SA_ADDRESSES in the connection from the new address; every record after it
# says so, ESP included (its Child SA came from the first IKE SA, rekeyed since).
assert recs[-1]["sa_moves"] == 1, recs[-1]
move = next(r["sa_moved"] for r in tcp if r["sa_moved"] and r["sa_moved"]["frame"] == r["frame"])
assert move["reason"] == "mobike" and move["initiator"].startswith(moved_to + ":"), move
after = [r for r in recs if r["type"] in ("ike", "esp") and r["frame"] >= move["frame"]]
assert after and all(r["sa_moved"] == move for r in after), [r["frame"] for r in after if r["sa_moved"] != move]
assert not any(r.get("sa_moved") for r in recs if r["type"] in ("ike", "esp") and r["frame"] < move["frame"])
print(f"ok: ike-decode: {len(udp)} IKE message(s) on UDP, {len(tcp)} in TCP streams, "
      f"ESP by connection {per_conn}, all decrypted; moved at frame {move['frame']} to {moved_to}")
problems = []
tcp_encap_decode.check_tshark(binary, cap, keys, tmp, problems)
for p in problems:
    print("tshark: " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
ok "tshark agrees with ike-decode on every IKE message and ESP packet"

# A connection that never comes up fails IKE_SA_INIT at once (step connect, naming why),
# not after the ~100 s overall timeout: refused (no listener on 4600), and SYNs dropped
# (4601) with --tcp-connect-timeout 1s.
ip netns exec "$R" nft add rule inet iktcp input tcp dport 4601 drop || fail "nft drop rule"
# (from $IA_NET.0.3: UDP 500/4500 of $LO are taken)
for port in 4600 4601; do
  T0=$SECONDS
  timeout 10 ip netns exec "$L" "$IKE_UP" --role initiator --local $IA_NET.0.3 --remote $RO \
    --name unreach --psk-file "$W/psk" --dataplane none --transport tcp --tcp-port $port \
    --tcp-connect-timeout 1s --control-socket none > "$W/unreach.jsonl" 2> "$W/unreach.err"
  rc=$?
  [ $rc = 1 ] || fail "port $port: ike-up exit $rc, expected 1 (failure)"
  [ $((SECONDS - T0)) -le 4 ] || fail "port $port: the failure took $((SECONDS - T0)) s"
  grep '"failure"' "$W/unreach.jsonl" | grep '"step":"connect"' | grep -q "tcp connect to $RO:$port" ||
    fail "port $port: no failure with step connect: $(cat "$W/unreach.jsonl")"
done
ok "TCP connect refused / not up after 1 s: IKE_SA_INIT failed at once (step connect)"
