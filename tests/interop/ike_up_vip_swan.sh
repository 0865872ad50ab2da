#!/bin/bash
# ike_up_vip_swan.sh IKE_UP IKECTL DIRECTION
# Virtual IPs and DNS from the configuration payload (RFC 7296 2.19, 3.15) between
# ike-up (left gateway, IA_NET.0.1, IA_NET.1.1 on lo) and a real strongSwan (right,
# IA_NET.0.2, IA_NET.2.1 on lo), PSK, ike-up with the TUN data plane.
#   swan-client: strongSwan is a road warrior (vips = 0.0.0.0) of an ike-up server with
#     --pool/--dns: strongSwan gets the pool's first address (swanctl --list-sas
#     local-vips) and the DNS server (its resolve plugin writes it to a file of its
#     own), pings IA_NET.1.1 from that address through the tunnel; ike-up reports the
#     lease, ikectl list-leases and list-sas show it, and it is released when strongSwan
#     deletes the IKE SA; ike-up's --local-ts reaches charon as INTERNAL_IP4_SUBNET.
#   ike-up-client: ike-up --request-vip against a strongSwan server with `pools`
#     (addrs + dns): child_sa_up reports the virtual IP and DNS server, strongSwan lists
#     it as remote-vips, and a ping to IA_NET.2.1 leaves from the virtual IP (the TUN
#     device holds it and its route prefers it as source). --dns-apply auto (issue 15):
#     strongSwan pushes a dnsmasq behind it (IA_NET.2.53); ike-up rewrites its
#     namespace's resolv.conf (/etc/netns/<left>/resolv.conf, which names an "ISP"
#     dnsmasq on strongSwan's outer side) in place, a lookup gets the inside answer, the
#     capture on the outer link holds no DNS in clear, and after SIGTERM resolv.conf is
#     byte for byte what it was.
# Exit 0 pass, 1 fail (reason on stderr, logs kept in $KEEP_DIR if set), 77 skip.
set -u
IKE_UP=$1 IKECTL=$2 DIR=$3
HERE=$(cd "$(dirname "$0")" && pwd)
PSK="ikekit-interop-psk-0123456789abcdef"

case $DIR in
  swan-client) n=1 ;;
  ike-up-client) n=2 ;;
  *) echo "unknown direction $DIR" >&2; exit 2 ;;
esac
export NS_PREFIX="ikvip$n" IA_NET="10.$((250 + n))"
. "$HERE/lib/test.sh"
. "$HERE/lib/netns.sh"
. "$HERE/lib/swan.sh"
test_need_root
test_need python3 ip ping
swan_need
[ -c /dev/net/tun ] || { echo "SKIP: /dev/net/tun missing (the TUN data plane)"; exit 77; }
[ "$DIR" = ike-up-client ] && test_need dnsmasq getent dumpcap tshark

W=$(mktemp -d /tmp/ikekit-vip.XXXXXX)
UP_PID=
BG_PIDS=()
NETNS_ETC=/etc/netns/$NS_LEFT
made_etc_netns=0
fail() { echo "FAIL ($DIR): $*" >&2; exit 1; }
test_stop() {
  stop_pids "$UP_PID" "${BG_PIDS[@]}"
  swan_stop "$W/right"
  [ -n "${DNS_STATE:-}" ] && rm -f "$DNS_STATE"
  netns_down
  if [ "$DIR" = ike-up-client ]; then
    rm -rf "$NETNS_ETC"
    [ $made_etc_netns = 1 ] && rmdir /etc/netns 2>/dev/null
  fi
  return 0
}
test_logs() { tail_logs 200 "$W/events.jsonl" "$W/ike-up.err"; swan_logs "$W/right"; }
test_trap "$W"

netns_up || fail "namespace setup"
L=$IA_NET.0.1 R=$IA_NET.0.2
POOL=$IA_NET.99.0/24 VIP=$IA_NET.99.1 DNS=$IA_NET.99.53
if [ "$DIR" = ike-up-client ]; then
  # A resolver behind strongSwan (inside its local_ts) and an "ISP" one on its outer
  # side answer the same name differently; the left namespace starts with the ISP's.
  [ -e "$NETNS_ETC" ] && fail "$NETNS_ETC exists (another run?)"
  DNS=$IA_NET.2.53 ISP=$IA_NET.0.99 NAME=vpn.ikekit.test
  ip -n "$NS_RIGHT" addr add "$DNS/32" dev lo || fail "inside resolver address"
  ip -n "$NS_RIGHT" addr add "$ISP/24" dev "$NS_PREFIX-r0" || fail "ISP resolver address"
  for r in "$DNS=198.18.0.1" "$ISP=198.18.0.2"; do
    ip netns exec "$NS_RIGHT" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts \
      --pid-file= --bind-interfaces --listen-address="${r%=*}" --address="/$NAME/${r#*=}" \
      > "$W/dnsmasq-${r%=*}.txt" 2>&1 &
    BG_PIDS+=("$!")
  done
  [ -d /etc/netns ] || made_etc_netns=1
  mkdir -p "$NETNS_ETC"
  printf '# ISP\nnameserver %s\noptions timeout:1 attempts:1' "$ISP" > "$NETNS_ETC/resolv.conf"
  cp "$NETNS_ETC/resolv.conf" "$W/resolv.orig"
  DNS_STATE=/run/ikekit/dns-file-$(stat -c %d-%i "$NETNS_ETC/resolv.conf").state
  lookup() { ip netns exec "$NS_LEFT" getent hosts "$NAME" | awk '{print $1}'; }
  for _ in $(seq 30); do [ "$(lookup)" = 198.18.0.2 ] && break; sleep 0.1; done
  [ "$(lookup)" = 198.18.0.2 ] || fail "before the tunnel: $NAME is '$(lookup)', not the ISP's answer"
  netns_capture "$NS_LEFT" "$NS_PREFIX-l0" "$W/cap.pcap"
  CAP=$CAPTURE_PID
  BG_PIDS+=("$CAP")
fi
printf '%s\n' "$PSK" > "$W/psk"
chmod 600 "$W/psk"

# strongSwan: the resolve plugin writes received DNS servers to a file of its own.
swan_conf "$W/right" || fail "strongswan.conf"
swan_resolve "$W/right" || fail "could not add the resolve plugin"
if [ "$DIR" = swan-client ]; then
  swan_conn="local_addrs = $R
    remote_addrs = $L
    vips = 0.0.0.0
    children { rw { remote_ts = $IA_NET.1.0/24
        esp_proposals = aes256gcm16 } }"
  pools=
else
  swan_conn="local_addrs = $R
    remote_addrs = %any
    pools = rw
    children { rw { local_ts = $IA_NET.2.0/24
        esp_proposals = aes256gcm16 } }"
  pools="pools { rw { addrs = $POOL
    dns = $DNS } }"
fi
cat > "$W/right.conf" <<EOC
connections {
  rw {
    version = 2
    proposals = aes256gcm16-prfsha256-ecp256
    mobike = no
    $swan_conn
    local { auth = psk
      id = swan@ia.test }
    remote { auth = psk
      id = ikeup@ia.test }
  }
}
$pools
secrets {
  ike-rw {
    id-1 = swan@ia.test
    id-2 = ikeup@ia.test
    secret = "$PSK"
  }
}
EOC
swan_start "$NS_RIGHT" "$W/right" "$W/right.conf" >/dev/null || fail "strongSwan did not start"

common=(--local "$L" --psk-file "$W/psk" --local-id ikeup@ia.test --remote-id swan@ia.test
        --ike-proposal aes256gcm16-prfsha256-ecp256 --esp-proposal aes256gcm16 --dpd-delay 0
        --retransmit-timeout 1s --retransmit-tries 3 --dataplane tun --control-socket "$W/ctl.sock")
if [ "$DIR" = swan-client ]; then
  ip netns exec "$NS_LEFT" "$IKE_UP" --role responder "${common[@]}" --pool "$POOL" --dns "$DNS" \
    --local-ts "$IA_NET.1.0/24" > "$W/events.jsonl" 2> "$W/ike-up.err" &
else
  ip netns exec "$NS_LEFT" "$IKE_UP" --role initiator "${common[@]}" --remote "$R" --request-vip --dns-apply auto \
    --remote-ts "$IA_NET.2.0/24" > "$W/events.jsonl" 2> "$W/ike-up.err" &
fi
UP_PID=$!
sleep 0.3
[ "$DIR" = swan-client ] && { swan_ctl "$W/right" --initiate --child rw --timeout 10 >"$W/initiate.log" 2>&1 & }

wait_for() { wait_line "$W/events.jsonl" "$1" "$2" "$UP_PID"; } # PATTERN SECONDS
ctl() { ip netns exec "$NS_LEFT" "$IKECTL" --socket "$W/ctl.sock" "$@"; }

wait_for '"type":"child_sa_up"' 15 || fail "no child_sa_up from ike-up"
sleep 0.5
swan_sas_json "$W/right" "$W/sas.json"
ctl list-sas > "$W/list-sas.json" || fail "ikectl list-sas"
ctl list-leases > "$W/list-leases.json" || fail "ikectl list-leases"

python3 - "$DIR" "$W/events.jsonl" "$W/sas.json" "$W/list-sas.json" "$W/list-leases.json" \
  "$POOL" "$VIP" "$DNS" <<'EOP' || fail "virtual IP or DNS not as expected"
import json, sys
d, ev, sas, lsas, lleases, pool, vip, dns = sys.argv[1:]
events = [json.loads(l) for l in open(ev) if l.strip()]
rw = json.load(open(sas))["rw"]
assert rw["state"] == "ESTABLISHED", rw["state"]
child = next(e for e in events if e["type"] == "child_sa_up")
ikectl_sa = json.load(open(lsas))["result"]["ike_sas"][0] if "result" in json.load(open(lsas)) else json.load(open(lsas))["ike_sas"][0]
leases_doc = json.load(open(lleases))
pools = leases_doc.get("result", leases_doc)["pools"]
if d == "swan-client":
    assert rw.get("local-vips") == [vip], rw.get("local-vips")
    lease = next(e for e in events if e["type"] == "lease")
    assert lease["action"] == "assigned" and lease["address"] == vip, lease
    assert lease["pool"] == pool and lease["identity"] == "swan@ia.test", lease
    assert child["remote_ts"] == [vip + "/32"] or child["remote_ts"] == [vip], child["remote_ts"]
    assert child["virtual_ips"] == [], child
    assert ikectl_sa["virtual_ips"] == [vip], ikectl_sa
    assert len(pools) == 1 and pools[0]["pool"] == pool, pools
    assert pools[0]["online"] == 1 and pools[0]["size"] == 254, pools
    assert pools[0]["leases"] == [{"address": vip, "identity": "swan@ia.test", "online": True}], pools
else:
    assert rw.get("remote-vips") == [vip], rw.get("remote-vips")
    assert child["virtual_ips"] == [vip], child
    assert child["dns"] == [dns], child
    assert child["subnets"] == [], child  # strongSwan sends none without its attr plugin
    assert child["local_ts"] in ([vip + "/32"], [vip]), child["local_ts"]
    assert ikectl_sa["virtual_ips"] == [vip] and ikectl_sa["dns"] == [dns], ikectl_sa
    assert pools == [], pools
print("vip ok:", json.dumps({"child_sa_up": {k: child[k] for k in ("local_ts", "remote_ts", "virtual_ips", "dns")}}))
EOP

if [ "$DIR" = swan-client ]; then
  grep -q "installing DNS server $DNS" "$W/right/charon.log" || fail "charon's log shows no DNS server $DNS"
  # ike-up's --local-ts as INTERNAL_IP4_SUBNET (RFC 7296 3.15.2) in the CFG_REPLY.
  grep -q "CPRP(ADDR DNS SUBNET)" "$W/right/charon.log" ||
    fail "charon's log shows no SUBNET in the CFG_REPLY: $(grep -o 'CPRP([^)]*)' "$W/right/charon.log")"
  grep -q "nameserver $DNS" "$W/right/resolv.conf" || fail "strongSwan's resolv.conf lacks $DNS"
  ip netns exec "$NS_RIGHT" ping -c 3 -i 0.2 -W 2 -I "$VIP" "$IA_NET.1.1" > "$W/ping.txt" 2>&1 ||
    { cat "$W/ping.txt" >&2; fail "ping from strongSwan's virtual IP $VIP to $IA_NET.1.1"; }
  swan_ctl "$W/right" --terminate --ike rw --timeout 10 > /dev/null 2>&1
  wait_for '"action":"released"' 10 || fail "ike-up released no lease"
  ctl list-leases > "$W/list-leases.json" || fail "ikectl list-leases"
  python3 - "$W/list-leases.json" "$VIP" <<'EOP' || fail "lease not offline after the delete"
import json, sys
doc = json.load(open(sys.argv[1]))
p = doc.get("result", doc)["pools"][0]
assert p["online"] == 0 and p["offline"] == 1, p
assert p["leases"] == [{"address": sys.argv[2], "identity": "swan@ia.test", "online": False}], p
EOP
else
  # No -I: the route into the TUN device picks the virtual IP as source.
  ip netns exec "$NS_LEFT" ping -c 3 -i 0.2 -W 2 "$IA_NET.2.1" > "$W/ping.txt" 2>&1 ||
    { cat "$W/ping.txt" >&2; fail "ping from ike-up's virtual IP to $IA_NET.2.1"; }
  ip -n "$NS_LEFT" route get "$IA_NET.2.1" | grep -q "src $VIP" || fail "the route to $IA_NET.2.1 does not prefer $VIP"
  # --dns-apply auto: the namespace's resolv.conf names strongSwan's DNS server.
  grep -q '"type":"dns_applied","time":"[^"]*","method":"file","servers":\["'"$DNS"'"\],"file":"/etc/resolv.conf"' \
    "$W/events.jsonl" || fail "no dns_applied (method file, servers [$DNS])"
  grep -qx "nameserver $DNS" "$NETNS_ETC/resolv.conf" || fail "resolv.conf: $(cat "$NETNS_ETC/resolv.conf")"
  answer=$(lookup)
  [ "$answer" = 198.18.0.1 ] || fail "with the tunnel: $NAME is '$answer', not the inside answer 198.18.0.1"
  sleep 0.3
  kill -TERM "$CAP"; wait "$CAP" 2>/dev/null
  tshark -r "$W/cap.pcap" -Y "dns || udp.port == 53 || tcp.port == 53" > "$W/clear-dns.txt" 2>/dev/null
  [ -s "$W/clear-dns.txt" ] && fail "DNS in clear on the outer link: $(head -3 "$W/clear-dns.txt")"
  esp=$(tshark -r "$W/cap.pcap" -Y "esp && ip.dst == $R" 2>/dev/null | wc -l)
  [ "$esp" -gt 0 ] || fail "no ESP to strongSwan in the capture"
  kill -TERM "$UP_PID"; wait "$UP_PID"; UP_PID=
  cmp -s "$W/resolv.orig" "$NETNS_ETC/resolv.conf" || fail "after SIGTERM resolv.conf is not as it was"
  grep -q '"type":"dns_restored"' "$W/events.jsonl" || fail "no dns_restored"
  [ -e "$DNS_STATE" ] && fail "state file left after the exit"
  echo "dns ok: inside answer through the tunnel, $esp ESP packets and no DNS in clear, resolv.conf restored"
fi
echo "PASS ($DIR)"
