#!/bin/bash
# ike_up_nat.sh IKE_UP BEHIND INDEX
# NAT traversal through a real NAT (RFC 7296 2.23, RFC 3948): three namespaces,
#
#   [client IA_NET.11.2]--[IA_NET.11.1  router (nftables masquerade)  IA_NET.0.1]--[IA_NET.0.2 server]
#    inner IA_NET.3.1 (lo)                                                         inner IA_NET.2.1 (lo)
# (lib/netns.sh netns_nat_up 1, NS_PREFIX iknat<INDEX>, IA_NET 10.(200+INDEX)).
#
# BEHIND = swan: a remote-access client (issue 13): strongSwan is a road warrior behind
#          the NAT (EAP-MSCHAPv2, vips = 0.0.0.0) and initiates; ike-up (TUN data plane)
#          is the server on the other side (certificate, --remote-auth eap-mschapv2,
#          --pool, --dns, --local-ts): strongSwan gets its virtual IP and the DNS server
#          from ike-up's pool (swanctl --list-sas, ike-up's lease event), the network
#          behind ike-up as INTERNAL_IP4_SUBNET (charon's log), and pings from the virtual
#          IP; ike-up's --keylog decrypts the capture of it all with ike-decode (EAP and CP
#          shown), and tshark with the same keys agrees on every IKE message and ESP packet;
#          ike-up: ike-up is the client behind the NAT (PSK, no --local: the route's source)
#          and initiates, strongSwan responds.
# Checks: the SA comes up with the NAT reported on the right side (ike-up's ike_sa_up
# nat_local/nat_remote and encap "nat", the same in ikectl list-sas, strongSwan's
# list-sas nat-local/nat-remote);
# ping through the tunnel; NAT keepalives (one 0xFF byte, UDP length 9) from the client
# reach the server's link while the tunnel is idle (tshark); then the router changes the
# mapping (snat to another port range, conntrack flushed) and ping through the tunnel
# goes on; the server side shows the client's new outer port (ike-up: ike_sa_moved and
# ikectl list-sas; strongSwan: list-sas remote-port).
# Exit 0 pass, 1 fail (logs kept in $KEEP_DIR if set), 77 skip.
set -u
IKE_UP=$1 BEHIND=$2 IDX=$3
HERE=$(cd "$(dirname "$0")" && pwd)
IKECTL=$(dirname "$IKE_UP")/ikectl
IKE_DECODE=$(dirname "$IKE_UP")/ike-decode
PSK="ikekit-interop-psk-0123456789abcdef"
PASSWORD="correct horse battery"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
for t in swanctl python3 ip nft conntrack tshark dumpcap; do
  command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/install-deps.sh test)"; exit 77; }
done
[ -x /usr/sbin/charon-systemd ] || { echo "SKIP: charon-systemd missing (scripts/install-deps.sh test)"; exit 77; }
if [ "$BEHIND" = swan ]; then
  ls /usr/lib/ipsec/plugins/libstrongswan-eap-mschapv2.so >/dev/null 2>&1 ||
    { echo "SKIP: strongSwan's eap-mschapv2 plugin missing (libcharon-extauth-plugins)"; exit 77; }
  command -v pki >/dev/null || { echo "SKIP: pki missing (strongswan-pki)"; exit 77; }
fi
case $BEHIND in swan|ike-up) ;; *) echo "BEHIND: swan or ike-up" >&2; exit 2 ;; esac

P="iknat$IDX" NET="10.$((200 + IDX))"
export NS_PREFIX=$P IA_NET=$NET
. "$HERE/lib/netns.sh"
NS_C=$P-c1 NS_N=$P-nat NS_S=$NS_RIGHT
CLIENT=$NET.11.2 ROUTER_OUT=$NET.0.1 SERVER=$NET.0.2
INNER_C=$NET.3.1 INNER_S=$NET.2.1
POOL=$NET.99.0/24 VIP=$NET.99.1 DNS=$NET.99.53
. "$HERE/lib/swan.sh"
. "$HERE/lib/pki.sh"

W=$(mktemp -d /tmp/ikekit-nat.XXXXXX)
UP_PID= DUMPCAP_PID=
SWAN_DIR=$W/swan
fail() { echo "FAIL (nat $BEHIND): $*" >&2; exit 1; }
cleanup() {
  local rc=$?
  trap - EXIT
  [ -n "$UP_PID" ] && kill -TERM "$UP_PID" 2>/dev/null && wait "$UP_PID" 2>/dev/null
  [ -n "$DUMPCAP_PID" ] && kill -TERM "$DUMPCAP_PID" 2>/dev/null && wait "$DUMPCAP_PID" 2>/dev/null
  swan_stop "$SWAN_DIR"
  netns_down
  if [ $rc -ne 0 ]; then
    echo "--- ike-up events"; cat "$W/events.jsonl" 2>/dev/null
    echo "--- ike-up stderr"; tail -20 "$W/ike-up.err" 2>/dev/null
    echo "--- charon log"; tail -40 "$SWAN_DIR/charon.log" 2>/dev/null
    [ -n "${KEEP_DIR:-}" ] && cp -a "$W" "$KEEP_DIR"
  fi
  rm -rf "$W"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The server has no route to the client's network: only the NAT's address reaches it.
netns_nat_up 1 || fail "namespace setup"
ip -n "$NS_C" addr add "$INNER_C/32" dev lo || fail "the client's inner address"
# One datagram per GSO message on the captured link (see ike_up_vs_swan.sh).
for l in "$NS_S $P-s" "$NS_N $P-o" "$NS_C $P-c1"; do set -- $l; ip -n "$1" link set "$2" gso_max_segs 1 2>/dev/null; done

# The capture on the server's link: what arrives from the NAT's outside address.
ip netns exec "$NS_S" dumpcap -q -P -i "$P-s" -f 'udp port 500 or udp port 4500 or udp portrange 40000-40999' \
  -w "$W/capture.pcap" 2>"$W/dumpcap.log" &
DUMPCAP_PID=$!
for _ in $(seq 50); do [ -s "$W/capture.pcap" ] && break; sleep 0.1; done

printf '%s\n' "$PSK" > "$W/psk"
chmod 600 "$W/psk"
mkdir -p "$SWAN_DIR"
if [ "$BEHIND" = swan ]; then
  SWAN_NS=$NS_C UP_NS=$NS_S SRC=$VIP
  swan_id=carol up_id=left.ia.test
  # The client's DPD is the authenticated IKE message from its new mapping that moves
  # ike-up (RFC 7296 2.23).
  swan_dpd=2s
  pki_make "$W/pki" ecdsa >/dev/null || fail "PKI"
  mkdir -p "$SWAN_DIR/swanctl/x509ca"
  cp "$W/pki/ca-ecdsa.crt" "$SWAN_DIR/swanctl/x509ca/"
  printf 'alice:other password\ncarol:%s\n' "$PASSWORD" > "$W/users.txt"
  chmod 600 "$W/users.txt"
  UP_ARGS=(--role responder --local "$SERVER" --remote "$ROUTER_OUT" --local-ts "$INNER_S/32"
           --cert "$W/pki/left-ecdsa.crt" --key "$W/pki/left-ecdsa.key" --remote-auth eap-mschapv2
           --eap-users "$W/users.txt" --pool "$POOL" --dns "$DNS" --keylog "$W/keys.jsonl")
  swan_conn="local_addrs = $CLIENT
    remote_addrs = $SERVER
    vips = 0.0.0.0
    local { auth = eap-mschapv2
      id = $swan_id }
    remote { auth = pubkey
      id = $up_id }
    children { net { remote_ts = $INNER_S/32
        esp_proposals = aes256gcm16 } }"
  swan_secret="eap-carol { id = carol
    secret = \"$PASSWORD\" }"
else
  SWAN_NS=$NS_S UP_NS=$NS_C SRC=$INNER_C
  swan_id=server@ia.test up_id=client@ia.test
  # ike-up's DPD (5 s) tells strongSwan the new mapping; strongSwan's own DPD would
  # keep the path busy and leave no idle time for keepalives.
  swan_dpd=0s
  # No --local: ike-up sends from the source of its route to the server (CLIENT).
  UP_ARGS=(--role initiator --remote "$SERVER" --local-ts "$INNER_C/32" --remote-ts "$INNER_S/32"
           --nat-keepalive 1s --dpd-delay 5s --psk-file "$W/psk")
  swan_conn="local_addrs = $SERVER
    remote_addrs = %any
    local { auth = psk
      id = $swan_id }
    remote { auth = psk
      id = $up_id }
    children { net { local_ts = $INNER_S/32
        remote_ts = $INNER_C/32
        esp_proposals = aes256gcm16 } }"
  swan_secret="ike-nat { id-1 = client@ia.test
    id-2 = server@ia.test
    secret = \"$PSK\" }"
fi
swan_conf "$SWAN_DIR" || fail "strongswan.conf"
# NAT keepalives every second (strongSwan's charon.keep_alive, 20 s by default).
printf 'charon {\n  keep_alive = 1s\n}\n' >> "$SWAN_DIR/strongswan.conf"
cat > "$W/swan.conf" <<EOC
connections {
  nat {
    version = 2
    proposals = aes256gcm16-prfsha256-ecp256
    mobike = no
    dpd_delay = $swan_dpd
    $swan_conn
  }
}
secrets {
  $swan_secret
}
EOC
swan_start "$SWAN_NS" "$SWAN_DIR" "$W/swan.conf" >/dev/null || fail "strongSwan did not start"

ip netns exec "$UP_NS" "$IKE_UP" "${UP_ARGS[@]}" --local-id "$up_id" \
  --remote-id "$swan_id" --ike-proposal aes256gcm16-prfsha256-ecp256 --esp-proposal aes256gcm16 \
  --dataplane tun --retransmit-timeout 1s --retransmit-tries 3 --control-socket "$W/ctl.sock" \
  ${UP_DPD:-} > "$W/events.jsonl" 2> "$W/ike-up.err" &
UP_PID=$!
# strongSwan initiates once ike-up has bound its sockets ("started" follows the bind).
for _ in $(seq 50); do grep -qs '"type":"started"' "$W/events.jsonl" && break; sleep 0.05; done
[ "$BEHIND" = swan ] && { swan_ctl "$SWAN_DIR" --initiate --child net --timeout 10 >"$W/initiate.log" 2>&1 & }

wait_for() {  # wait_for TYPE SECONDS: an event of TYPE in ike-up's output
  local i
  for i in $(seq 1 $(($2 * 10))); do
    grep -q "\"type\":\"$1\"" "$W/events.jsonl" 2>/dev/null && return 0
    kill -0 "$UP_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
ping_tunnel() {  # ping_tunnel COUNT INTERVAL: from the client's inner (virtual) address to the server's
  ip netns exec "$NS_C" ping -q -n -c "$1" -i "$2" -W 1 -I "$SRC" "$INNER_S"
}
swan_sas() { swan_ctl "$SWAN_DIR" --list-sas --pretty 2>&1 | python3 "$HERE/swan_sas.py"; }

wait_for child_sa_up 15 || fail "no child_sa_up from ike-up"
sleep 0.5
swan_sas > "$W/sas1.json" || fail "swanctl --list-sas"
python3 - "$W/events.jsonl" "$W/sas1.json" "$BEHIND" "$ROUTER_OUT" "$VIP" "$DNS" "$CLIENT" \
  <<'EOP' || fail "NAT, EAP or virtual IP not reported as they are"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sas, behind, router = json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
vip, dns, client = sys.argv[5:8]
up = next(e for e in events if e["type"] == "ike_sa_up")
child = next(e for e in events if e["type"] == "child_sa_up")
swan = sas["nat"]
assert swan["state"] == "ESTABLISHED", swan
assert up["encap"] == "nat" and child["encap"] == "nat" and child["udp_encap"], (up, child)
if behind == "swan":   # ike-up sees the client's NAT; strongSwan sees its own
    assert up["nat_remote"] and not up["nat_local"], up
    assert up["remote"] == f"{router}:4500", up
    assert swan.get("nat-local") == "yes" and swan.get("nat-remote") != "yes", swan
    # Remote access: EAP identity, the lease from ike-up's pool, the child narrowed to it.
    assert up["eap_method"] == "eap-mschapv2" and up["eap_identity"] == "carol", up
    lease = next(e for e in events if e["type"] == "lease")
    assert lease["action"] == "assigned" and lease["address"] == vip, lease
    assert lease["identity"] == "carol", lease
    assert child["remote_ts"] in ([vip], [vip + "/32"]), child["remote_ts"]
    assert swan.get("local-vips") == [vip], swan.get("local-vips")
else:
    # Without --local: the source of the route to the server, the client's own address.
    started = next(e for e in events if e["type"] == "started")
    assert started["connections"][0]["local"] == client, started
    assert up["local"].startswith(client + ":"), up
    # strongSwan with kernel-libipsec fakes its NAT_DETECTION_SOURCE_IP (the backend
    # requires UDP encapsulation, KERNEL_REQUIRE_UDP_ENCAPSULATION): ike-up cannot tell
    # that from a NAT, so nat_remote is what the hash says.
    assert up["nat_local"] and up["nat_remote"], up
    assert swan.get("nat-remote") == "yes" and swan.get("nat-local") != "yes", swan
    assert swan["remote-host"] == router, swan
print(f"up: ike-up nat_local={up['nat_local']} nat_remote={up['nat_remote']} encap={up['encap']} "
      f"remote={up['remote']}; strongSwan nat-local="
      f"{swan.get('nat-local', 'no')} nat-remote={swan.get('nat-remote', 'no')}")
EOP
if [ "$BEHIND" = swan ]; then
  # charon parsed the CFG_REPLY: the address, the DNS server and the subnet behind ike-up
  # (it has no handler for the last two without its resolve/unity plugins, and says so).
  grep -q "CPRP(ADDR DNS SUBNET)" "$SWAN_DIR/charon.log" ||
    fail "charon's log shows no CPRP(ADDR DNS SUBNET): $(grep -o 'CPRP([^)]*)' "$SWAN_DIR/charon.log")"
  grep -q "handling INTERNAL_IP4_SUBNET attribute" "$SWAN_DIR/charon.log" ||
    fail "charon's log does not name INTERNAL_IP4_SUBNET"
  grep -q "installing new virtual IP $VIP" "$SWAN_DIR/charon.log" ||
    fail "charon's log shows no virtual IP $VIP"
fi
ping_tunnel 3 0.2 > "$W/ping1.txt" 2>&1 || { cat "$W/ping1.txt"; fail "no ping through the tunnel"; }
echo "ping before: $(grep -E 'packets transmitted' "$W/ping1.txt")"

# Idle: the client behind the NAT keeps its mapping with keepalives (every second
# here). The idle time ends once ike-up has counted two more (received from strongSwan,
# or sent itself), and a moment later, when they have certainly crossed the capture
# point (at most ~10 s; the capture, not the counter, is what the check below counts).
keepalive_counter=nat_keepalives_received
[ "$BEHIND" = ike-up ] && keepalive_counter=nat_keepalives_sent
keepalives() {
  local n
  n=$("$IKECTL" --socket "$W/ctl.sock" status 2>/dev/null | grep -o "\"$keepalive_counter\": *[0-9]*")
  echo "${n##*[: ]}"
}
t0=$(date +%s.%N)
k0=$(keepalives)
[ -n "$k0" ] || fail "ikectl status has no counters.$keepalive_counter"
for _ in $(seq 50); do
  sleep 0.2
  [ "$(keepalives)" -ge $((k0 + 2)) ] && break
done
sleep 0.2
t1=$(date +%s.%N)

# The mapping changes: the router now maps to ports 40000-40999 and forgets every
# existing mapping, as a NAT that reboots or times the mapping out does.
ip netns exec "$NS_N" nft flush chain ip ikekit_nat post
ip netns exec "$NS_N" nft add rule ip ikekit_nat post oifname "$P-o" meta l4proto udp snat to "$ROUTER_OUT:40000-40999"
ip netns exec "$NS_N" conntrack -F >/dev/null 2>&1 || fail "conntrack -F"
ping_tunnel 30 0.2 > "$W/ping2.txt" 2>&1
echo "ping across the change: $(grep -E 'packets transmitted' "$W/ping2.txt")"
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$W/ping2.txt")
# Replies stop until the client's next DPD comes from the new mapping: strongSwan's
# (2 s) leaves most of the 6 s of pings; ike-up's (5 s after the last inbound message,
# which may fall just before the change) can leave only the last second.
min_replies=15
[ "$BEHIND" = ike-up ] && min_replies=3
[ "${received:-0}" -ge $min_replies ] ||
  fail "the tunnel did not survive the new NAT mapping (${received:-0}/30 replies)"
# Replies arrive again at the end (the last 5 pings).
ping_tunnel 5 0.2 > "$W/ping3.txt" 2>&1 || { cat "$W/ping3.txt"; fail "no ping after the mapping change"; }

sleep 0.3
kill -TERM "$DUMPCAP_PID" 2>/dev/null; wait "$DUMPCAP_PID" 2>/dev/null; DUMPCAP_PID=
"$IKECTL" --socket "$W/ctl.sock" list-sas > "$W/list.json" 2>&1 || fail "ikectl list-sas"
"$IKECTL" --socket "$W/ctl.sock" status > "$W/stats.json" 2>&1 || fail "ikectl status"
swan_sas > "$W/sas2.json" || fail "swanctl --list-sas"
# Keepalives seen on the server's link during the idle time: UDP payload one 0xFF byte.
tshark -r "$W/capture.pcap" -Y "udp.length == 9 && frame[-1] == 0xff && ip.src == $ROUTER_OUT" \
  -T fields -e frame.time_epoch -e udp.srcport -e udp.dstport > "$W/keepalives.txt" 2>"$W/tshark.err" ||
  { cat "$W/tshark.err"; fail "tshark"; }
python3 - "$W/events.jsonl" "$W/list.json" "$W/stats.json" "$W/sas2.json" "$W/keepalives.txt" \
  "$BEHIND" "$t0" "$t1" <<'EOP' || fail "after the mapping change"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
listed, stats, sas = json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))
kas = [l.split("\t") for l in open(sys.argv[5]).read().splitlines() if l.strip()]
behind, t0, t1 = sys.argv[6], float(sys.argv[7]), float(sys.argv[8])
idle = [k for k in kas if t0 <= float(k[0]) <= t1]
assert len(idle) >= 2, f"keepalives in the idle {t1 - t0:.1f} s: {kas}"
assert all(k[2] == "4500" for k in kas), kas
print(f"keepalives: {len(idle)} in {t1 - t0:.1f} s idle ({len(kas)} in all), to port 4500, payload ff")
listed, stats = listed.get("result", listed), stats.get("result", stats)
sa = listed["ike_sas"][0]
counters = stats["counters"]
swan = sas["nat"]
# ikectl tells what the events told: the NAT on the same sides, encapsulated for it.
up = next(e for e in events if e["type"] == "ike_sa_up")
flags = lambda x: (x["nat_local"], x["nat_remote"], x["encap"])
assert flags(sa) == flags(up) and sa["nat_t"], (sa, up)
assert sa["children"] and all(c["udp_encap"] for c in sa["children"]), sa["children"]
if behind == "swan":
    moved = [e for e in events if e["type"] == "ike_sa_moved"]
    assert moved, "no ike_sa_moved event"
    m = moved[-1]
    port = int(m["remote"].rsplit(":", 1)[1])
    assert m["reason"] == "nat_mapping" and 40000 <= port <= 40999, m
    assert sa["remote"] == m["remote"], (sa["remote"], m)
    assert counters["nat_keepalives_received"] >= 2, counters
    assert counters["peer_moves"] >= 1, counters
    assert counters["dropped"]["malformed"] == 0, counters
    print(f"ike-up moved: {m['old_remote']} -> {m['remote']}; list-sas remote {sa['remote']}")
else:
    port = int(swan["remote-port"])
    assert 40000 <= port <= 40999, swan
    assert counters["nat_keepalives_sent"] >= 2, counters
    print(f"strongSwan follows ike-up to port {port}; ike-up list-sas remote {sa['remote']}; "
          f"keepalives sent {counters['nat_keepalives_sent']}")
EOP

if [ "$BEHIND" = swan ]; then
  # ike-up's key log decrypts the whole capture (RFC 7296 2.16 EAP and 3.15 CP shown), and
  # tshark, given the same keys as Wireshark tables, agrees on every message and packet.
  "$IKE_DECODE" --keys "$W/keys.jsonl" --emit-wireshark "$W/ws" "$W/capture.pcap" \
    > "$W/decode.jsonl" 2> "$W/decode.err" || { cat "$W/decode.err"; fail "ike-decode exited $?"; }
  python3 - "$W/decode.jsonl" "$VIP" "$DNS" "$INNER_S/32" <<'EOP' || fail "ike-decode of the EAP and CP capture"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
vip, dns, subnet = sys.argv[2:5]
ike = [l for l in lines if l["type"] == "ike"]
esp = [l for l in lines if l["type"] == "esp"]
sk = [l for l in ike if l["payloads"] and l["payloads"][-1]["payload_type"] in (46, 53)]
bad = [l["frame"] for l in sk if not (l["payloads"][-1]["decrypted"] and l["payloads"][-1]["integrity"] == "ok")]
bad += [l["frame"] for l in esp if not (l["decrypted"] and l["integrity"] == "ok")]
assert not bad, f"not decrypted: frames {bad}"
inner = [p for l in sk for p in (l["payloads"][-1].get("payloads") or [])]
eap = [p for p in inner if p["payload_type"] == 48]
codes = {p["code_name"] for p in eap}
types = {p["eap_type_name"] for p in eap if p.get("eap_type_name")}
assert {"REQUEST", "RESPONSE", "SUCCESS"} <= codes and "EAP_MSCHAP_V2" in types, (codes, types)
cps = [p for p in inner if p["payload_type"] == 47]
reply = next(p for p in cps if p["cfg_type_name"] == "CFG_REPLY")
attrs = [(a["name"], a["value"]) for a in reply["attributes"]]
assert attrs == [("INTERNAL_IP4_ADDRESS", vip), ("INTERNAL_IP4_DNS", dns),
                 ("INTERNAL_IP4_SUBNET", subnet)], attrs
summary = lines[-1]
assert summary["decrypted"] == len(sk) + len(esp) and not summary["malformed"], summary
print(f"ike-decode: {len(sk)} SK messages ({len(eap)} EAP), {len(esp)} ESP, all decrypted; "
      f"CFG_REPLY {attrs}")
EOP
  python3 "$HERE/../decode/agree_with_tshark.py" "$IKE_DECODE" "$W/capture.pcap" "$W/ws" \
    --keys "$W/keys.jsonl" --all-decrypted --tshark-decrypted || fail "ike-decode and tshark disagree"
fi
echo "PASS (nat $BEHIND)"
