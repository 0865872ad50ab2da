#!/bin/bash
# ike_up_mobike.sh IKE_UP ROAMER INDEX
# MOBIKE (RFC 4555) roaming between two access networks, as a phone moves from Wi-Fi to
# cellular: three namespaces,
#
#   client --link a IA_NET.1.2--[IA_NET.1.1  router  IA_NET.0.1]--[IA_NET.0.2 server]
#          --link b IA_NET.4.2--[IA_NET.4.1                    ]
#   inner IA_NET.3.1 (lo)                                           inner IA_NET.2.1 (lo)
#
# ROAMER = swan: strongSwan is the client and initiates (MOBIKE on, its default), ike-up
#          (TUN data plane) the responder on the server.
# ROAMER = ike-up: ike-up (TUN data plane) is the client and initiates, strongSwan
#          (mobike = yes) the responder on the server; ike-up follows the kernel's
#          address and route changes over rtnetlink (ike-up(8) ROAMING).
# ROAMER = ike-up-nat: as ike-up, but link b is behind the router's nftables masquerade
#          (to ROUTER_S): the client starts with no NAT and roams into one. IKE is on
#          port 4500 since IKE_AUTH (RFC 4555 3.3); the update's NAT detection finds the
#          NAT (ike-up: nat_local, ike_sa_encap_changed; strongSwan: the NAT's address),
#          and a capture on the server's link shows the ESP from the NAT in UDP 4500,
#          none plain. (strongSwan's kernel-libipsec encapsulates ESP always and says so
#          with a fake NAT_D: ike-up's encap is nat from the start here, nat_remote.)
# ROAMER = pair-nat: as ike-up-nat, but the server is ike-up too (responder, TUN data
#          plane), so nothing encapsulates without a NAT: before the move ESP is plain
#          (IP protocol 50) while IKE is on 4500 with encap none; after it, ESP comes from
#          the NAT in UDP 4500 and none is plain after the update's round trip (a capture
#          on the server's link; within it the client may still send plain: it moves ESP
#          with the update, as strongSwan does, and learns of the NAT from the reply). The
#          client reports the NAT (ike_sa_encap_changed, nat_local), the server's ikectl
#          list-sas too (nat_remote, the NAT's address). No strongSwan here.
# The client's address on link a is removed and its default route moved to link b; the
# client sends UPDATE_SA_ADDRESSES from IA_NET.4.2 (and strongSwan's userspace data plane
# rekeys its Child SA right after). Checks: ike-up reports ike_sa_moved (reason mobike) to
# the new address, the IKE SA keeps its SPIs on both ends (ike-up's ikectl list-sas,
# strongSwan's list-sas), ping through the tunnel recovers. A ping every 10 ms runs
# across the switch; the time from the switch to the first reply is printed.
# Exit 0 pass, 1 fail (logs kept in $KEEP_DIR if set), 77 skip.
set -u
IKE_UP=$1 ROAMER=$2 IDX=$3
HERE=$(cd "$(dirname "$0")" && pwd)
IKECTL=$(dirname "$IKE_UP")/ikectl
PSK="ikekit-interop-psk-0123456789abcdef"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
case $ROAMER in swan|ike-up|ike-up-nat|pair-nat) ;;
  *) echo "ROAMER: swan, ike-up, ike-up-nat or pair-nat" >&2; exit 2 ;;
esac
for t in python3 ip; do
  command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/install-deps.sh test)"; exit 77; }
done
if [ "$ROAMER" != pair-nat ]; then
  command -v swanctl >/dev/null || { echo "SKIP: swanctl missing (scripts/install-deps.sh test)"; exit 77; }
  [ -x /usr/sbin/charon-systemd ] || { echo "SKIP: charon-systemd missing (scripts/install-deps.sh test)"; exit 77; }
else
  [ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
fi
case $ROAMER in ike-up-nat|pair-nat) NAT=1 ;; *) NAT= ;; esac
if [ -n "$NAT" ]; then
  for t in nft dumpcap tshark; do
    command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/install-deps.sh test)"; exit 77; }
  done
fi

P="ikmob$IDX" NET="10.$((215 + IDX))"
NS_C=$P-cli NS_R=$P-rtr NS_S=$P-srv
CLIENT_A=$NET.1.2 CLIENT_B=$NET.4.2 ROUTER_A=$NET.1.1 ROUTER_B=$NET.4.1 ROUTER_S=$NET.0.1
SERVER=$NET.0.2 INNER_C=$NET.3.1 INNER_S=$NET.2.1
. "$HERE/lib/swan.sh"
. "$HERE/lib/roam_topology.sh"

W=$(mktemp -d /tmp/ikekit-mobike.XXXXXX)
UP_PID= PING_PID= CAP_PID= SRV_PID=
SWAN_DIR=$W/swan
fail() { echo "FAIL (mobike $ROAMER): $*" >&2; exit 1; }
ns_down() { for ns in $NS_C $NS_R $NS_S; do ip netns del "$ns" 2>/dev/null; done; return 0; }
cleanup() {
  local rc=$?
  trap - EXIT
  [ -n "$PING_PID" ] && kill -TERM "$PING_PID" 2>/dev/null && wait "$PING_PID" 2>/dev/null
  [ -n "$UP_PID" ] && kill -TERM "$UP_PID" 2>/dev/null && wait "$UP_PID" 2>/dev/null
  [ -n "$SRV_PID" ] && kill -TERM "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
  [ -n "$CAP_PID" ] && kill -TERM "$CAP_PID" 2>/dev/null && wait "$CAP_PID" 2>/dev/null
  swan_stop "$SWAN_DIR"
  ns_down
  if [ $rc -ne 0 ]; then
    echo "--- ike-up events"; cat "$W/events.jsonl" 2>/dev/null
    echo "--- ike-up stderr"; tail -20 "$W/ike-up.err" 2>/dev/null
    [ -s "$W/server.jsonl" ] && { echo "--- ike-up server events"; cat "$W/server.jsonl"; }
    [ -s "$W/server.err" ] && { echo "--- ike-up server stderr"; tail -20 "$W/server.err"; }
    echo "--- charon log"; tail -60 "$SWAN_DIR/charon.log" 2>/dev/null
    [ -n "${KEEP_DIR:-}" ] && cp -a "$W" "$KEEP_DIR"
  fi
  rm -rf "$W"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

roam_topology_check || fail "namespace setup"
(
  set -e
  roam_topology_up "$ROUTER_A"
  # ike-up-nat, pair-nat: link b is behind a NAT (what leaves from it has the router's
  # address).
  [ -z "$NAT" ] || ip netns exec "$NS_R" nft -f - <<NFT
table ip roamnat {
  chain post { type nat hook postrouting priority 100; ip saddr $NET.4.0/24 oifname "$P-o" masquerade; }
}
NFT
) || fail "namespace setup"
for _ in $(seq 20); do ip netns exec "$NS_C" ping -c1 -W1 "$SERVER" >/dev/null 2>&1 && break; sleep 0.2; done

printf '%s\n' "$PSK" > "$W/psk"
chmod 600 "$W/psk"
start_capture() {  # start_capture FILTER: dumpcap on the server's link into $W/roam.pcap
  ip netns exec "$NS_S" dumpcap -q -P -i "$P-s" -f "$1" -w "$W/roam.pcap" 2>"$W/dumpcap.err" &
  CAP_PID=$!
  for _ in $(seq 50); do [ -s "$W/roam.pcap" ] && break; sleep 0.1; done
  [ -s "$W/roam.pcap" ] || fail "dumpcap did not start"
}
UP_ARGS=(--psk-file "$W/psk" --ike-proposal aes256gcm16-prfsha256-ecp256 --esp-proposal aes256gcm16
  --dataplane tun --retransmit-timeout 1s --retransmit-tries 3)
if [ "$ROAMER" = pair-nat ]; then
  # The server: ike-up as responder with its own TUN data plane and control socket; the
  # capture runs from before the handshake, so it holds the plain ESP of the first pings.
  start_capture 'udp port 500 or udp port 4500 or esp'
  ip netns exec "$NS_S" "$IKE_UP" --role responder --local "$SERVER" --remote %any \
    --local-ts "$INNER_S/32" --remote-ts "$INNER_C/32" \
    --local-id server@ia.test --remote-id client@ia.test "${UP_ARGS[@]}" \
    --control-socket "$W/srv.sock" > "$W/server.jsonl" 2> "$W/server.err" &
  SRV_PID=$!
  for _ in $(seq 50); do [ -S "$W/srv.sock" ] && break; sleep 0.1; done
  [ -S "$W/srv.sock" ] || fail "the ike-up server did not start"
else
mkdir -p "$SWAN_DIR"
swan_conf "$SWAN_DIR" || fail "strongswan.conf"
if [ "$ROAMER" = swan ]; then
  SWAN_NS=$NS_C SWAN_SIDE="remote_addrs = $SERVER" SWAN_LOCAL=client SWAN_REMOTE=server
  SWAN_LTS=$INNER_C SWAN_RTS=$INNER_S
else
  SWAN_NS=$NS_S SWAN_SIDE="local_addrs = $SERVER" SWAN_LOCAL=server SWAN_REMOTE=client
  SWAN_LTS=$INNER_S SWAN_RTS=$INNER_C
fi
cat > "$W/swan.conf" <<EOC
connections {
  mob {
    version = 2
    $SWAN_SIDE
    proposals = aes256gcm16-prfsha256-ecp256
    mobike = yes
    local { auth = psk
      id = $SWAN_LOCAL@ia.test }
    remote { auth = psk
      id = $SWAN_REMOTE@ia.test }
    children {
      net {
        local_ts = $SWAN_LTS/32
        remote_ts = $SWAN_RTS/32
        esp_proposals = aes256gcm16
      }
    }
  }
}
secrets {
  ike-mob {
    id-1 = client@ia.test
    id-2 = server@ia.test
    secret = "$PSK"
  }
}
EOC
swan_start "$SWAN_NS" "$SWAN_DIR" "$W/swan.conf" >/dev/null || fail "strongSwan did not start"
fi

UP_ARGS+=(--control-socket "$W/ctl.sock")
if [ "$ROAMER" = swan ]; then
  ip netns exec "$NS_S" "$IKE_UP" --role responder --local "$SERVER" --remote %any \
    --local-ts "$INNER_S/32" --remote-ts "$INNER_C/32" \
    --local-id server@ia.test --remote-id client@ia.test "${UP_ARGS[@]}" \
    > "$W/events.jsonl" 2> "$W/ike-up.err" &
  UP_PID=$!
  sleep 0.3
  swan_ctl "$SWAN_DIR" --initiate --child net --timeout 10 >"$W/initiate.log" 2>&1 &
else
  ip netns exec "$NS_C" "$IKE_UP" --role initiator --local "$CLIENT_A" --remote "$SERVER" \
    --local-ts "$INNER_C/32" --remote-ts "$INNER_S/32" \
    --local-id client@ia.test --remote-id server@ia.test "${UP_ARGS[@]}" \
    > "$W/events.jsonl" 2> "$W/ike-up.err" &
  UP_PID=$!
fi

wait_for() {  # wait_for TYPE SECONDS: an event of TYPE in ike-up's output
  local i
  for i in $(seq 1 $(($2 * 10))); do
    grep -q "\"type\":\"$1\"" "$W/events.jsonl" 2>/dev/null && return 0
    kill -0 "$UP_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
ping_tunnel() {  # ping_tunnel COUNT INTERVAL: from the client's inner address to the server's
  ip netns exec "$NS_C" ping -q -n -c "$1" -i "$2" -W 1 -I "$INNER_C" "$INNER_S"
}
swan_sas() {
  if [ "$ROAMER" = pair-nat ]; then echo '{}'; return 0; fi # no strongSwan: checked below
  swan_ctl "$SWAN_DIR" --list-sas --pretty 2>&1 | python3 "$HERE/swan_sas.py"
}

wait_for child_sa_up 15 || fail "no child_sa_up from ike-up"
sleep 0.3
ping_tunnel 3 0.2 > "$W/ping1.txt" 2>&1 || { cat "$W/ping1.txt"; fail "no ping through the tunnel"; }
swan_sas > "$W/sas1.json" || fail "swanctl --list-sas"

# ike-up-nat: the server's link, for the ESP that comes from the NAT after the move.
[ "$ROAMER" != ike-up-nat ] || start_capture 'udp port 4500 or esp'
# The roam: the address on link a goes, the default route moves to link b; a ping every
# 10 ms (timestamped) runs across it.
ip netns exec "$NS_C" ping -n -D -i 0.01 -W 1 -I "$INNER_C" "$INNER_S" > "$W/ping-roam.txt" 2>&1 &
PING_PID=$!
sleep 0.3
t0=$(date +%s.%N)
ip -n "$NS_C" addr del "$CLIENT_A/24" dev "$P-a"
ip -n "$NS_C" route replace default via "$ROUTER_B"
wait_for ike_sa_moved 10 || fail "no ike_sa_moved from ike-up"
# Ping recovers within 5 s: a reply after the pings the switch lost, and 5 more after it.
cat > "$W/recovery.py" <<'EOP'
import re, sys
t0 = float(sys.argv[2])
replies = [(float(m[1]), int(m[2])) for m in
           re.finditer(r"^\[(\d+\.\d+)\] .*icmp_seq=(\d+)", open(sys.argv[1]).read(), re.M)]
last_before = max((q for t, q in replies if t <= t0), default=0)
seqs = {q for _, q in replies}
# The outage: the first reply after the switch that follows a ping without reply.
first = next(((t, q) for t, q in sorted(replies, key=lambda r: r[1])
              if q > last_before and q - 1 not in seqs), None)
if first is None:  # nothing lost so far: pass once half a second of pings got through
    if sum(q > last_before for q in seqs) < 50:
        sys.exit(1)
    print("no ping lost across the switch (ping -D -i 0.01)")
    sys.exit(0)
if sum(q > first[1] for q in seqs) < 5:
    sys.exit(1)
lost = first[1] - max(q for q in seqs if q < first[1]) - 1
print(f"recovered in {(first[0] - t0) * 1000:.0f} ms after the switch (first reply icmp_seq="
      f"{first[1]}, {lost} pings lost; ping -D -i 0.01)")
EOP
ok=0
for _ in $(seq 50); do
  python3 "$W/recovery.py" "$W/ping-roam.txt" "$t0" > "$W/recovery.txt" 2>&1 && { ok=1; break; }
  sleep 0.1
done
kill -INT "$PING_PID" 2>/dev/null; wait "$PING_PID" 2>/dev/null; PING_PID=
[ $ok = 1 ] || fail "no ping through the tunnel after the roam"
cat "$W/recovery.txt"
if [ "$ROAMER" = pair-nat ]; then
  # The server's side of the update and the client's NAT detection of the response.
  for _ in $(seq 50); do
    grep -q '"type":"ike_sa_encap_changed"' "$W/events.jsonl" &&
      grep -q '"type":"ike_sa_moved"' "$W/server.jsonl" && break
    sleep 0.1
  done
fi
if [ -n "$CAP_PID" ]; then
  sleep 0.2
  kill -TERM "$CAP_PID"; wait "$CAP_PID" 2>/dev/null; CAP_PID=
  if [ "$ROAMER" = pair-nat ]; then
    # Before the move, no NAT: ESP plain (IP protocol 50) both ways, none in UDP, while
    # IKE ran on 4500 (RFC 4555 3.3).
    count() { tshark -r "$W/roam.pcap" -Y "$1" 2>/dev/null | wc -l; }
    plain_out=$(count "ip.src == $CLIENT_A && ip.proto == 50")
    plain_in=$(count "ip.dst == $CLIENT_A && ip.proto == 50")
    udp_a=$(count "ip.addr == $CLIENT_A && udp && esp")
    ike_a=$(count "ip.src == $CLIENT_A && udp.srcport == 4500 && isakmp")
    [ "$plain_out" -ge 3 ] && [ "$plain_in" -ge 3 ] ||
      fail "plain ESP before the move: $plain_out from $CLIENT_A, $plain_in to it"
    [ "$udp_a" = 0 ] || fail "$udp_a ESP-in-UDP packets before the move (no NAT there)"
    [ "$ike_a" -ge 1 ] || fail "no IKE from $CLIENT_A on port 4500 before the move"
    echo "before the move: $plain_out plain ESP packets from $CLIENT_A, $plain_in to it," \
      "none in UDP; IKE from $CLIENT_A:4500 ($ike_a messages)"
  fi
  # After the move ESP comes from the NAT's address in UDP 4500 (RFC 3948), never plain.
  esp_udp=$(tshark -r "$W/roam.pcap" -Y "ip.src == $ROUTER_S && udp && esp" 2>/dev/null | wc -l)
  # Plain ESP never goes to the NAT. From it, only in the update's round trip: the client
  # moves its Child SAs with the update, on the old path's encapsulation (none), and
  # takes ESP in UDP when the response's NAT detection shows the NAT (RFC 4555 3.5;
  # strongSwan's initiator does the same, ike_mobike.c updates the children twice).
  plain_to=$(tshark -r "$W/roam.pcap" -Y "ip.dst == $ROUTER_S && esp && !udp" 2>/dev/null | wc -l)
  [ "$plain_to" = 0 ] || fail "$plain_to plain ESP packets to the NAT"
  update_answered=$(tshark -r "$W/roam.pcap" -Y "ip.dst == $ROUTER_S && isakmp" -T fields \
    -e frame.time_epoch 2>/dev/null | head -1)
  [ -n "$update_answered" ] || fail "no IKE from the server to the NAT (the update's response)"
  # 50 ms: what the client sent before the response reached it, queued in the namespaces.
  tshark -r "$W/roam.pcap" -Y "ip.src == $ROUTER_S && esp && !udp" -T fields \
    -e frame.time_epoch 2>/dev/null > "$W/plain-from-nat.txt"
  esp_plain=$(awk -v t="$update_answered" '$1 > t + 0.05' "$W/plain-from-nat.txt" | wc -l)
  esp_back=$(tshark -r "$W/roam.pcap" -Y "ip.dst == $ROUTER_S && udp && esp" 2>/dev/null | wc -l)
  [ "$esp_udp" -ge 5 ] && [ "$esp_back" -ge 5 ] ||
    fail "ESP in UDP through the NAT: $esp_udp from it, $esp_back to it"
  [ "$esp_plain" = 0 ] || fail "$esp_plain plain ESP packets from the NAT after the update"
  echo "through the NAT: $esp_udp ESP-in-UDP packets from $ROUTER_S, $esp_back to it," \
    "none plain to it, $(wc -l < "$W/plain-from-nat.txt") plain from it in the update's round trip"
fi
"$IKECTL" --socket "$W/ctl.sock" list-sas > "$W/list.json" 2>&1 || fail "ikectl list-sas"
"$IKECTL" --socket "$W/ctl.sock" status > "$W/stats.json" 2>&1 || fail "ikectl status"
swan_sas > "$W/sas2.json" || fail "swanctl --list-sas"
echo '{}' > "$W/srv-list.json"
if [ "$ROAMER" = pair-nat ]; then
  "$IKECTL" --socket "$W/srv.sock" list-sas > "$W/srv-list.json" 2>&1 ||
    fail "ikectl list-sas (server)"
fi
python3 - "$W/events.jsonl" "$W/list.json" "$W/stats.json" "$W/sas1.json" "$W/sas2.json" \
  "$CLIENT_A" "$CLIENT_B" "$ROAMER" "$ROUTER_S" "$W/server.jsonl" "$W/srv-list.json" \
  <<'EOP' || fail "after the roam"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
listed, stats = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
old, new, roamer, nat_address = sys.argv[6], sys.argv[7], sys.argv[8], sys.argv[9]
swan = roamer != "pair-nat"
if swan:
    before, after = json.load(open(sys.argv[4]))["mob"], json.load(open(sys.argv[5]))["mob"]
listed, stats = listed.get("result", listed), stats.get("result", stats)
up = next(e for e in events if e["type"] == "ike_sa_up")
moved = [e for e in events if e["type"] == "ike_sa_moved"]
assert moved and moved[0]["reason"] == "mobike", moved
m = moved[-1]
# The client's side of the SA moved: ours when ike-up roams, the peer's otherwise.
ours = roamer in ("ike-up", "ike-up-nat", "pair-nat")
nat = roamer in ("ike-up-nat", "pair-nat")
side, swan_side = ("local", "remote-host") if ours else ("remote", "local-host")
assert m[side].startswith(new + ":") and m["old_" + side].startswith(old + ":"), m
sa = listed["ike_sas"][0]
assert sa["mobike"] and sa["moves"] >= 1, sa
assert sa[side] == m[side], (sa, m)
# The same IKE SA on both ends: SPIs unchanged, strongSwan sees the client's new address.
assert (sa["spi_i"], sa["spi_r"]) == (up["spi_i"], up["spi_r"]), (sa, up)
if swan:
    spis = lambda s: (s["initiator-spi"], s["responder-spi"])
    assert spis(before) == spis(after) and after["state"] == "ESTABLISHED", (before, after)
    assert int(after["initiator-spi"], 16) == int(up["spi_i"], 16), (after, up)
    assert after[swan_side] == (nat_address if nat else new), after
if nat:  # IKE on 4500 since IKE_AUTH (RFC 4555 3.3); the update found the NAT
    assert up["nat_t"] and up["local"].endswith(":4500"), up
    assert sa["nat_local"] and sa["encap"] == "nat" and sa["local"].endswith(":4500"), sa
    assert sa["children"] and all(c["udp_encap"] for c in sa["children"]), sa
    found = [e for e in events if e["type"] == "ike_sa_encap_changed"]
    assert found and found[-1]["nat_local"] and found[-1]["udp_encap"], found
    assert found[-1]["encap"] == "nat", found
    if swan:
        assert after.get("nat-remote") == "yes", after
if roamer == "pair-nat":  # ike-up on both ends: no encapsulation until the NAT
    assert up["encap"] == "none" and not up["nat_local"] and not up["nat_remote"], up
    cup = next(e for e in events if e["type"] == "child_sa_up")
    assert not cup["udp_encap"] and cup["encap"] == "none", cup
    assert found[-1]["old_encap"] == "none", found
    # The client's ike_sa_moved comes when it moves, before the response's NAT detection
    # (RFC 4555 3.5): it still says what the old path had; ike_sa_encap_changed the NAT.
    assert m["encap"] == "none" and not m["nat_local"], m
    server = [json.loads(l) for l in open(sys.argv[10]) if l.strip()]
    srv = json.load(open(sys.argv[11]))
    srv = srv.get("result", srv)["ike_sas"][0]
    assert (srv["spi_i"], srv["spi_r"]) == (up["spi_i"], up["spi_r"]), (srv, up)
    assert srv["remote"].startswith(nat_address + ":") and srv["local"].endswith(":4500"), srv
    assert srv["nat_remote"] and not srv["nat_local"] and srv["encap"] == "nat", srv
    assert srv["children"] and all(c["udp_encap"] for c in srv["children"]), srv
    sup = next(e for e in server if e["type"] == "ike_sa_up")
    assert sup["encap"] == "none" and sup["nat_t"], sup
    smoved = [e for e in server if e["type"] == "ike_sa_moved"]
    assert smoved and smoved[-1]["reason"] == "mobike", smoved
    sm = smoved[-1]
    assert sm["remote"].startswith(nat_address + ":") and sm["old_remote"].startswith(old + ":"), sm
    assert sm["encap"] == "nat" and sm["nat_remote"] and sm["udp_encap"], sm
    print(f"server: {sm['old_remote']} -> {sm['remote']}, encap {sm['encap']}, nat_remote; "
          f"list-sas remote {srv['remote']}, encap {srv['encap']}")
counters = stats["counters"]
assert counters["mobike_updates_sent" if ours else "mobike_updates_received"] >= 1, counters
if ours:  # ike-up saw the path change and said it moves
    changed = [e for e in events if e["type"] == "path_changed"]
    assert changed and changed[0]["moving"] and changed[0]["new_local"] == new, changed
    # ikectl status "roaming": the watch saw the change, asked the kernel, moved.
    r = stats["roaming"]
    assert r["route_changes"] >= 1 and r["checks"] >= 1 and r["moves_started"] >= 1, r
    assert 1 <= r["route_lookups"] <= r["checks"], r  # one peer: one lookup per check
    assert r["path_changes"] >= 1 and r["move_errors"] == 0, r
print(f"ike-up: {m['old_' + side]} -> {m[side]} (mobike), IKE SA {sa['spi_i']}/"
      f"{sa['spi_r']} kept on both ends; Child SAs now {len(sa['children'])}, "
      f"events child_sa_up {sum(e['type'] == 'child_sa_up' for e in events)}")
EOP
echo "PASS (mobike $ROAMER)"
