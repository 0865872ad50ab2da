#!/bin/bash
# ike_up_rw_swan.sh IKE_UP IKECTL
# Three strongSwan road warriors at once on one ike-up server (issue 13), all behind
# one NAT (netns_nat_up 3: clients $P-c1..3, nftables masquerade, server IA_NET.0.2).
# ike-up is the server: certificate, --remote-auth eap-mschapv2 with three users, --pool,
# --dns, --local-ts IA_NET.2.1/32 (its lo), the TUN data plane for all clients. Each
# charon (own namespace, directory, vici socket) is a road warrior (eap-mschapv2, its own
# user, vips = 0.0.0.0, the resolve plugin) and all three initiate at the same moment.
# Checks: three IKE SAs from the one NAT address on three ports; three lease events with
# three distinct addresses of the pool, one per identity, each the virtual IP its charon
# lists (swanctl --list-sas local-vips) and installs, with the DNS server in its
# resolv.conf; ikectl list-sas and list-leases agree; each client pings IA_NET.2.1 from
# its virtual IP (all three at once). Then the second client disconnects: its lease is
# released (offline in list-leases) while the others keep theirs and their traffic; it
# reconnects and gets its address back (the same identity, RFC 7296 3.15.1 leases).
# Exit 0 pass, 1 fail (reason on stderr, logs kept in $KEEP_DIR if set), 77 skip.
set -u
IKE_UP=$1 IKECTL=$2
HERE=$(cd "$(dirname "$0")" && pwd)

export NS_PREFIX=ikrw IA_NET=10.196
. "$HERE/lib/test.sh"
. "$HERE/lib/netns.sh"
. "$HERE/lib/swan.sh"
. "$HERE/lib/pki.sh"
test_need_root
test_need python3 ip ping nft
swan_need eap-mschapv2 resolve
[ -c /dev/net/tun ] || { echo "SKIP: /dev/net/tun missing (the TUN data plane)"; exit 77; }

W=$(mktemp -d /tmp/ikekit-rw.XXXXXX)
UP_PID=
USERS=(alice bob carol)
fail() { echo "FAIL (three road warriors): $*" >&2; exit 1; }
test_stop() {
  stop_pids "$UP_PID"
  for i in 1 2 3; do swan_stop "$W/c$i"; done
  netns_down
}
test_logs() {
  tail_logs 100 "$W/events.jsonl" "$W/ike-up.err" "$W"/initiate-*.log
  for i in 1 2 3; do echo "=== client $i"; swan_logs "$W/c$i" 25; done
}
test_trap "$W"

netns_nat_up 3 || fail "namespace setup"
SERVER=$IA_NET.0.2 NAT=$IA_NET.0.1 INNER=$IA_NET.2.1
POOL=$IA_NET.99.0/24 DNS=$IA_NET.99.53
pki_make "$W/pki" ecdsa >/dev/null || fail "PKI"
: > "$W/users.txt"
chmod 600 "$W/users.txt"
for u in "${USERS[@]}"; do printf '%s:%s password\n' "$u" "$u" >> "$W/users.txt"; done

for i in 1 2 3; do
  u=${USERS[$((i - 1))]} d=$W/c$i
  swan_conf "$d" || fail "strongswan.conf $i"
  swan_resolve "$d" || fail "resolve plugin $i"
  mkdir -p "$d/swanctl/x509ca"
  cp "$W/pki/ca-ecdsa.crt" "$d/swanctl/x509ca/"
  cat > "$d/rw.conf" <<EOC
connections {
  rw {
    version = 2
    remote_addrs = $SERVER
    vips = 0.0.0.0
    proposals = aes256gcm16-prfsha256-ecp256
    mobike = no
    local { auth = eap-mschapv2
      id = $u }
    remote { auth = pubkey
      id = right.ia.test }
    children { net { remote_ts = $INNER/32
        esp_proposals = aes256gcm16 } }
  }
}
secrets { eap-$u { id = $u
    secret = "$u password" } }
EOC
  swan_start "$NS_PREFIX-c$i" "$d" "$d/rw.conf" >/dev/null || fail "strongSwan $i did not start"
done

ip netns exec "$NS_RIGHT" "$IKE_UP" --role responder --local "$SERVER" --local-id right.ia.test \
  --cert "$W/pki/right-ecdsa.crt" --key "$W/pki/right-ecdsa.key" \
  --remote-auth eap-mschapv2 --eap-users "$W/users.txt" --pool "$POOL" --dns "$DNS" \
  --local-ts "$INNER/32" --ike-proposal aes256gcm16-prfsha256-ecp256 --esp-proposal aes256gcm16 \
  --dpd-delay 0 --retransmit-timeout 1s --retransmit-tries 3 --dataplane tun \
  --control-socket "$W/ctl.sock" > "$W/events.jsonl" 2> "$W/ike-up.err" &
UP_PID=$!
wait_line "$W/events.jsonl" '"type":"started"' 5 "$UP_PID" || fail "ike-up did not start"

ctl() { ip netns exec "$NS_RIGHT" "$IKECTL" --socket "$W/ctl.sock" "$@"; }
initiate() { swan_ctl "$W/c$1" --initiate --child net --timeout 10 > "$W/initiate-$1.log" 2>&1; }
ping_from() { # CLIENT VIP: three pings from the virtual IP through the tunnel
  ip netns exec "$NS_PREFIX-c$1" ping -q -n -c 3 -i 0.2 -W 2 -I "$2" "$INNER" > "$W/ping-$1.txt" 2>&1
}
vip_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rw"]["local-vips"][0])' "$1"; }

# All three at once.
pids=()
for i in 1 2 3; do initiate $i & pids+=("$!"); done
for i in 1 2 3; do wait "${pids[$((i - 1))]}" || fail "swanctl --initiate of client $i ($(tail -1 "$W/initiate-$i.log"))"; done
for i in 1 2 3; do swan_sas_json "$W/c$i" "$W/sas-$i.json"; done
ctl list-sas > "$W/list-sas.json" || fail "ikectl list-sas"
ctl list-leases > "$W/list-leases.json" || fail "ikectl list-leases"
python3 - "$W" "$POOL" "$NAT" "${USERS[@]}" <<'EOP' || fail "the three clients' addresses"
import ipaddress, json, sys
w, pool, nat, users = sys.argv[1], ipaddress.ip_network(sys.argv[2]), sys.argv[3], sys.argv[4:]
events = [json.loads(l) for l in open(f"{w}/events.jsonl") if l.strip()]
leases = [e for e in events if e["type"] == "lease"]
assert all(e["action"] == "assigned" for e in leases) and len(leases) == 3, leases
by_id = {e["identity"]: e["address"] for e in leases}
assert sorted(by_id) == sorted(users), by_id
assert len(set(by_id.values())) == 3 and all(ipaddress.ip_address(a) in pool for a in by_id.values()), by_id
for i, u in enumerate(users, 1):
    rw = json.load(open(f"{w}/sas-{i}.json"))["rw"]
    assert rw["state"] == "ESTABLISHED" and rw["local-vips"] == [by_id[u]], (u, rw)
    assert rw.get("nat-local") == "yes", (u, rw)
doc = json.load(open(f"{w}/list-sas.json"))
sas = doc.get("result", doc)["ike_sas"]
assert len(sas) == 3, sas
listed = {s["eap_identity"]: s for s in sas}
ports = {s["remote"] for s in sas}
assert len(ports) == 3 and all(p.startswith(nat + ":") for p in ports), ports
for u in users:
    assert listed[u]["virtual_ips"] == [by_id[u]] and listed[u]["nat_remote"], listed[u]
doc = json.load(open(f"{w}/list-leases.json"))
p = doc.get("result", doc)["pools"][0]
assert p["online"] == 3, p
assert sorted((l["identity"], l["address"]) for l in p["leases"]) == sorted(by_id.items()), p
print("leases:", json.dumps(by_id), "from", sorted(ports))
EOP
VIPS=()
for i in 1 2 3; do
  VIPS+=("$(vip_of "$W/sas-$i.json")")
  grep -q "installing DNS server $DNS" "$W/c$i/charon.log" || fail "client $i's charon installed no DNS server $DNS"
  grep -q "nameserver $DNS" "$W/c$i/resolv.conf" || fail "client $i's resolv.conf lacks $DNS"
done
pids=()
for i in 1 2 3; do ping_from $i "${VIPS[$((i - 1))]}" & pids+=("$!"); done
for i in 1 2 3; do
  wait "${pids[$((i - 1))]}" || { cat "$W/ping-$i.txt"; fail "ping from client $i's ${VIPS[$((i - 1))]}"; }
done
echo "ping: three clients, each from its virtual IP (${VIPS[*]})"

# Client 2 leaves: its lease goes offline, the others stay up; it comes back.
swan_ctl "$W/c2" --terminate --ike rw --timeout 10 > /dev/null 2>&1 || fail "swanctl --terminate (client 2)"
wait_line "$W/events.jsonl" '"action":"released"' 5 "$UP_PID" || fail "no lease released"
ctl list-leases > "$W/list-leases-2.json" || fail "ikectl list-leases"
python3 - "$W" "${VIPS[1]}" <<'EOP' || fail "the lease of client 2 after it left"
import json, sys
w, vip = sys.argv[1:]
events = [json.loads(l) for l in open(f"{w}/events.jsonl") if l.strip()]
rel = [e for e in events if e["type"] == "lease" and e["action"] == "released"]
assert len(rel) == 1 and rel[0]["address"] == vip and rel[0]["identity"] == "bob", rel
doc = json.load(open(f"{w}/list-leases-2.json"))
p = doc.get("result", doc)["pools"][0]
assert p["online"] == 2 and p["offline"] == 1, p
assert {"address": vip, "identity": "bob", "online": False} in p["leases"], p
EOP
ping_from 1 "${VIPS[0]}" || fail "client 1 lost its tunnel when client 2 left"
initiate 2 || fail "swanctl --initiate of client 2 again ($(tail -1 "$W/initiate-2.log"))"
swan_sas_json "$W/c2" "$W/sas-2b.json"
[ "$(vip_of "$W/sas-2b.json")" = "${VIPS[1]}" ] || fail "client 2 came back with $(vip_of "$W/sas-2b.json"), not ${VIPS[1]}"
python3 - "$W/events.jsonl" "${VIPS[1]}" <<'EOP' || fail "no lease assigned to client 2 again"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
leases = [(e["action"], e["identity"], e["address"]) for e in events if e["type"] == "lease"]
assert leases[3:] == [("released", "bob", sys.argv[2]), ("assigned", "bob", sys.argv[2])], leases
EOP
ping_from 2 "${VIPS[1]}" || { cat "$W/ping-2.txt"; fail "ping from client 2 after it came back"; }
echo "client 2 left (lease ${VIPS[1]} released) and came back with it"
echo "PASS (three road warriors)"
