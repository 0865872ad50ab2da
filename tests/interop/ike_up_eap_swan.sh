#!/bin/bash
# ike_up_eap_swan.sh IKE_UP SCENARIO INDEX
# EAP-MSCHAPv2 inside IKE_AUTH (RFC 7296 2.16) between ike-up (left gateway,
# IA_NET.0.1) and a real strongSwan (right, IA_NET.0.2) in two network namespaces.
# The server authenticates with an ECDSA certificate, the client with EAP-MSCHAPv2.
#   swan-client:    strongSwan (local auth = eap-mschapv2) initiates to the ike-up
#                   server (--remote-auth eap-mschapv2 --eap-users).
#   ike-up-client:  a remote-access client behind a real NAT (netns_nat_up: nftables
#                   masquerade in a router namespace; no --local: the route's source):
#                   ike-up (--local-auth eap-mschapv2 --request-vip, TUN data plane)
#                   initiates to the strongSwan server (remote auth = eap-mschapv2, an
#                   eap secret, `pools` with addrs and dns). ike-up reports the virtual
#                   IP and the DNS server (child_sa_up, ikectl list-sas), strongSwan lists
#                   it as remote-vips, both see the NAT (ike-up: nat_local, encap nat),
#                   and the ping leaves from the virtual IP.
#   Both: the IKE SA and the Child SA come up on both sides with the same SPIs,
#   ike-up reports the EAP method and identity, and a ping crosses the tunnel
#   (ike-up's userspace or TUN data plane, strongSwan's kernel-libipsec).
#   swan-client-wrong-password / ike-up-client-wrong-password: the client's password
#   is wrong: ike-up reports a failure at step eap (and as client exits 1), strongSwan
#   gets no SA.
# INDEX picks the namespace prefix and /16 so tests run in parallel.
# Exit 0 pass, 1 fail (reason on stderr, logs kept in $KEEP_DIR if set), 77 skip.
set -u
IKE_UP=$1 SCEN=$2 IDX=$3
HERE=$(cd "$(dirname "$0")" && pwd)
PASSWORD="correct horse battery"

export NS_PREFIX="ikeap$IDX" IA_NET="10.$((235 + IDX))"
. "$HERE/lib/test.sh"
. "$HERE/lib/netns.sh"
. "$HERE/lib/swan.sh"
. "$HERE/lib/pki.sh"
test_need_root
test_need python3 ip
swan_need eap-mschapv2
case $SCEN in ike-up-client*) test_need nft; [ -c /dev/net/tun ] || { echo "SKIP: /dev/net/tun missing"; exit 77; } ;; esac

case $SCEN in
  swan-client|ike-up-client) CLIENT_PASSWORD=$PASSWORD ;;
  swan-client-wrong-password|ike-up-client-wrong-password) CLIENT_PASSWORD="not the password" ;;
  *) echo "unknown scenario $SCEN" >&2; exit 2 ;;
esac

W=$(mktemp -d /tmp/ikekit-eap.XXXXXX)
UP_PID=
fail() { echo "FAIL ($SCEN): $*" >&2; exit 1; }
test_stop() { stop_pids "$UP_PID"; swan_stop "$W/right"; netns_down; }
test_logs() { tail_logs 200 "$W/events.jsonl" "$W/ike-up.err" "$W/initiate.log"; swan_logs "$W/right"; }
test_trap "$W"

L=$IA_NET.0.1 R=$IA_NET.0.2 UP_NS=$NS_LEFT NAT=$IA_NET.0.1
POOL=$IA_NET.99.0/24 VIP=$IA_NET.99.1 DNS=$IA_NET.99.53
case $SCEN in
  ike-up-client*) netns_nat_up 1 || fail "namespace setup"
                  UP_NS=$NS_PREFIX-c1 L=%any ;;
  *) netns_up || fail "namespace setup" ;;
esac
pki_make "$W/pki" ecdsa >/dev/null || fail "PKI"
mkdir -p "$W/right/swanctl/x509" "$W/right/swanctl/x509ca" "$W/right/swanctl/private"
cp "$W/pki/ca-ecdsa.crt" "$W/right/swanctl/x509ca/"
UP_COMMON=(--remote "$R" --ike-proposal aes256gcm16-prfsha256-ecp256
           --esp-proposal aes256gcm16 --remote-ts "$IA_NET.2.0/24"
           --dpd-delay 0 --retransmit-timeout 1s --retransmit-tries 3
           --control-socket "$W/ctl.sock")
swan_remote_ts="remote_ts = $IA_NET.1.0/24"
swan_pools=

case $SCEN in
  swan-client*)
    # ike-up is the EAP server; strongSwan the road warrior that initiates.
    printf 'alice:other password\ncarol:%s\n' "$PASSWORD" > "$W/users.txt"
    chmod 600 "$W/users.txt"
    UP_ARGS=(--role responder --local "$L" --local-ts "$IA_NET.1.0/24"
             --cert "$W/pki/left-ecdsa.crt" --key "$W/pki/left-ecdsa.key"
             --local-id left.ia.test --remote-auth eap-mschapv2 --eap-users "$W/users.txt")
    swan_auth="local { auth = eap-mschapv2
      id = carol }
    remote { auth = pubkey
      id = left.ia.test }"
    swan_secret="eap-carol { id = carol
      secret = \"$CLIENT_PASSWORD\" }"
    ;;
  ike-up-client*)
    # strongSwan is the EAP server (its eap_id: the client's IKE identity, alice).
    cp "$W/pki/right-ecdsa.crt" "$W/right/swanctl/x509/"
    cp "$W/pki/right-ecdsa.key" "$W/right/swanctl/private/"
    printf '%s\n' "$CLIENT_PASSWORD" > "$W/pw.txt"
    chmod 600 "$W/pw.txt"
    UP_ARGS=(--role initiator --ca "$W/pki/ca-ecdsa.crt" --remote-id right.ia.test
             --local-auth eap-mschapv2 --eap-identity alice --eap-password-file "$W/pw.txt"
             --request-vip --dataplane tun)
    # The client's inner address is the virtual IP from the pool (remote_ts dynamic).
    swan_remote_ts=
    swan_pools="pools { rw { addrs = $POOL
    dns = $DNS } }"
    swan_auth="local { auth = pubkey
      certs = right-ecdsa.crt
      id = right.ia.test }
    remote { auth = eap-mschapv2
      id = alice }"
    swan_secret="eap-alice { id = alice
      secret = \"$PASSWORD\" }"
    ;;
esac
cat > "$W/right.conf" <<EOC
connections {
  ia {
    version = 2
    local_addrs = $R
    remote_addrs = $L
    proposals = aes256gcm16-prfsha256-ecp256
    mobike = no
    $swan_auth
    ${swan_pools:+pools = rw}
    children {
      net {
        local_ts = $IA_NET.2.0/24
        $swan_remote_ts
        esp_proposals = aes256gcm16
      }
    }
  }
}
$swan_pools
secrets {
  $swan_secret
}
EOC
swan_start "$NS_RIGHT" "$W/right" "$W/right.conf" >/dev/null || fail "strongSwan did not start"

ip netns exec "$UP_NS" "$IKE_UP" "${UP_COMMON[@]}" "${UP_ARGS[@]}" \
  > "$W/events.jsonl" 2> "$W/ike-up.err" &
UP_PID=$!
sleep 0.3
case $SCEN in
  swan-client*) swan_ctl "$W/right" --initiate --child net --timeout 10 > "$W/initiate.log" 2>&1 &
                SWAN_INIT_PID=$! ;;
esac

wait_for() { wait_line "$W/events.jsonl" "\"type\":\"$1\"" "$2" "$UP_PID"; } # TYPE SECONDS

case $SCEN in
  *-wrong-password)
    if [ "$SCEN" = ike-up-client-wrong-password ]; then  # the client gives up and exits 1
      for _ in $(seq 1 100); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$UP_PID" 2>/dev/null && fail "ike-up did not give up"
      wait "$UP_PID"; rc=$?; UP_PID=
      [ $rc -eq 1 ] || fail "ike-up exited $rc, expected 1"
    else
      wait_for failure 15 || fail "ike-up (server) printed no failure event"
      wait "$SWAN_INIT_PID" && fail "swanctl --initiate succeeded with a wrong password"
    fi
    swan_sas_json "$W/right" "$W/sas.json"
    python3 - "$W/events.jsonl" "$W/sas.json" "$SCEN" <<'EOP' || fail "the failure is not reported as expected"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sas = json.load(open(sys.argv[2]))
assert not any(e["type"] == "ike_sa_up" for e in events), "an IKE SA came up"
assert "ia" not in sas or sas["ia"]["state"] != "ESTABLISHED", sas
f = [e for e in events if e["type"] == "failure"]
assert f, "no failure event"
f = f[0]
assert f["exchange"] == "ike_auth" and f["step"] == "eap", f
assert "authentication_failure" in f["reason"], f
if sys.argv[3] == "swan-client-wrong-password":
    # strongSwan answers our MS-CHAPv2 Failure with INFORMATIONAL AUTHENTICATION_FAILED
    assert f["offered"] == ["carol"] and f["notify"] == "AUTHENTICATION_FAILED", f
else:
    # strongSwan ends with EAP-Failure alone (no notify): the peer's verdict all the same
    assert f["from_peer"], f
print("failure:", json.dumps(f))
EOP
    echo "PASS ($SCEN)"
    exit 0 ;;
esac

wait_for child_sa_up 15 || fail "no child_sa_up from ike-up"
sleep 0.5
swan_sas_json "$W/right" "$W/sas.json"
swan_agree "$W/events.jsonl" "$W/sas.json" ia || fail "ike-up and strongSwan disagree"
python3 - "$W/events.jsonl" "$SCEN" <<'EOP' || fail "ike-up does not report the EAP authentication"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
up = next(e for e in events if e["type"] == "ike_sa_up")
assert up["eap_method"] == "eap-mschapv2", up
if sys.argv[2] == "swan-client":
    assert up["remote_auth"] == "eap-mschapv2" and up["eap_identity"] == "carol", up
    assert up["remote_id"] == "carol" and up["local_auth"].startswith("ecdsa"), up
else:
    assert up["local_auth"] == "eap-mschapv2" and up["eap_identity"] == "alice", up
    assert up["remote_id"] == "right.ia.test" and up["remote_auth"].startswith("ecdsa"), up
print(f"EAP {up['eap_method']} identity {up['eap_identity']}")
EOP
SRC=$IA_NET.1.1
if [ "$SCEN" = ike-up-client ]; then
  SRC=$VIP
  ip netns exec "$UP_NS" "$(dirname "$IKE_UP")/ikectl" --socket "$W/ctl.sock" list-sas > "$W/list-sas.json" ||
    fail "ikectl list-sas"
  python3 - "$W/events.jsonl" "$W/sas.json" "$W/list-sas.json" "$VIP" "$DNS" "$NAT" <<'EOP' ||
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ia = json.load(open(sys.argv[2]))["ia"]
doc = json.load(open(sys.argv[3]))
listed = doc.get("result", doc)["ike_sas"][0]
vip, dns, nat = sys.argv[4:7]
up = next(e for e in events if e["type"] == "ike_sa_up")
child = next(e for e in events if e["type"] == "child_sa_up")
assert child["virtual_ips"] == [vip] and child["dns"] == [dns], child
assert child["local_ts"] in ([vip], [vip + "/32"]), child["local_ts"]
assert listed["virtual_ips"] == [vip] and listed["dns"] == [dns], listed
assert ia.get("remote-vips") == [vip], ia
# Behind the NAT: ike-up detects it on its side and encapsulates; strongSwan sees the
# client at the router's outside address.
assert up["nat_local"] and up["encap"] == "nat" and child["udp_encap"], up
assert ia.get("nat-remote") == "yes" and ia["remote-host"] == nat, ia
print(f"virtual IP {vip}, DNS {dns}, NAT seen (remote {ia['remote-host']}:{ia['remote-port']})")
EOP
    fail "virtual IP, DNS or NAT not as expected"
  ip -n "$UP_NS" route get "$IA_NET.2.1" | grep -q "src $VIP" || fail "the route to $IA_NET.2.1 does not prefer $VIP"
fi
ip netns exec "$UP_NS" ping -q -n -c 5 -i 0.2 -W 2 -I "$SRC" "$IA_NET.2.1" > "$W/ping.txt" 2>&1 ||
  { cat "$W/ping.txt"; fail "no ping through the tunnel"; }
echo "ping: $(grep -E 'packets transmitted' "$W/ping.txt")"
echo "PASS ($SCEN)"
