#!/bin/bash
# ike_up_eap_radius_swan.sh IKE_UP INDEX
# EAP relayed to RADIUS (RFC 3579) by an ike-up server: a real FreeRADIUS (Debian
# freeradius, EAP-MSCHAPv2, users file) listens on 127.0.0.1 in the server's namespace,
# ike-up (left, IA_NET.0.1) runs --remote-auth eap-radius --radius-server 127.0.0.1:PORT,
# and a real strongSwan (right, IA_NET.0.2, eap-mschapv2) is the road warrior.
#   1. carol, right password: the IKE SA and the Child SA come up on both sides with the
#      same SPIs, ike-up reports eap-radius and identity carol, FreeRADIUS logs the
#      login, a ping crosses the tunnel.
#   2. dave, wrong password (same FreeRADIUS, same ike-up): FreeRADIUS rejects, ike-up
#      reports a failure at step eap (backend_reject, Access-Reject) and sends
#      AUTHENTICATION_FAILED, which strongSwan's log shows; no IKE SA for dave.
# INDEX picks the namespace prefix and /16 so tests run in parallel.
# Exit 0 pass, 1 fail (reason on stderr, logs kept in $KEEP_DIR if set), 77 skip.
set -u
IKE_UP=$1 IDX=$2
HERE=$(cd "$(dirname "$0")" && pwd)
SECRET="radius-secret-for-ikekit"

export NS_PREFIX="ikrad$IDX" IA_NET="10.$((225 + IDX))"
. "$HERE/lib/test.sh"
. "$HERE/lib/netns.sh"
. "$HERE/lib/swan.sh"
. "$HERE/lib/pki.sh"
. "$HERE/lib/freeradius.sh"
test_need_root
test_need python3 ip
swan_need eap-mschapv2
freeradius_bin >/dev/null || { echo "SKIP: freeradius is not installed (scripts/install-deps.sh test)"; exit 77; }

W=$(mktemp -d /tmp/ikekit-eap-radius.XXXXXX)
UP_PID=
fail() { echo "FAIL: $*" >&2; exit 1; }
test_stop() { stop_pids "$UP_PID"; freeradius_stop; swan_stop "$W/right"; netns_down; }
test_logs() {
  tail_logs 200 "$W/events.jsonl" "$W/ike-up.err" "$W/initiate-"*.log
  swan_logs "$W/right"
  tail_logs 40 "$W/radius/radiusd.out"
}
test_trap "$W"

netns_up || fail "namespace setup"
L=$IA_NET.0.1 R=$IA_NET.0.2
mkdir -p "$W/radius/raddb"
printf 'carol\tCleartext-Password := "correct horse battery"\n' >"$W/radius/raddb/users"
printf 'dave\tCleartext-Password := "dave knows this one"\n' >>"$W/radius/raddb/users"
freeradius_start "$W/radius" 127.0.0.1 1812 127.0.0.1 "$SECRET" ip netns exec "$NS_LEFT" ||
  fail "FreeRADIUS did not start"
printf '%s\n' "$SECRET" >"$W/radius.secret"
chmod 600 "$W/radius.secret"

pki_make "$W/pki" ecdsa >/dev/null || fail "PKI"
mkdir -p "$W/right/swanctl/x509ca"
cp "$W/pki/ca-ecdsa.crt" "$W/right/swanctl/x509ca/"
# Two road warriors in one charon: carol knows her password, dave does not.
rw() { # NAME CHILD
  cat <<EOC
  $1 {
    version = 2
    local_addrs = $R
    remote_addrs = $L
    proposals = aes256gcm16-prfsha256-ecp256
    mobike = no
    local { auth = eap-mschapv2
      id = $1 }
    remote { auth = pubkey
      id = left.ia.test }
    children {
      $2 {
        local_ts = $IA_NET.2.0/24
        remote_ts = $IA_NET.1.0/24
        esp_proposals = aes256gcm16
      }
    }
  }
EOC
}
cat > "$W/right.conf" <<EOC
connections {
$(rw carol net)
$(rw dave dave-net)
}
secrets {
  eap-carol { id = carol
    secret = "correct horse battery" }
  eap-dave { id = dave
    secret = "not the password" }
}
EOC
swan_start "$NS_RIGHT" "$W/right" "$W/right.conf" >/dev/null || fail "strongSwan did not start"

ip netns exec "$NS_LEFT" "$IKE_UP" --role responder --local "$L" --remote "$R" \
  --ike-proposal aes256gcm16-prfsha256-ecp256 --esp-proposal aes256gcm16 \
  --local-ts "$IA_NET.1.0/24" --remote-ts "$IA_NET.2.0/24" --dpd-delay 0 \
  --cert "$W/pki/left-ecdsa.crt" --key "$W/pki/left-ecdsa.key" --local-id left.ia.test \
  --remote-auth eap-radius --radius-server 127.0.0.1:1812 --radius-secret-file "$W/radius.secret" \
  --radius-timeout 1s --control-socket "$W/ctl.sock" > "$W/events.jsonl" 2> "$W/ike-up.err" &
UP_PID=$!
wait_line "$W/events.jsonl" '"type":"started"' 5 || fail "ike-up did not start"

wait_for() { wait_line "$W/events.jsonl" "\"type\":\"$1\"" "$2" "$UP_PID"; } # TYPE SECONDS

# 1. carol: up, agreeing SPIs, ping.
swan_ctl "$W/right" --initiate --child net --timeout 10 > "$W/initiate-carol.log" 2>&1 ||
  fail "swanctl --initiate (carol) failed"
wait_for child_sa_up 5 || fail "no child_sa_up from ike-up"
swan_sas_json "$W/right" "$W/sas.json"
swan_agree "$W/events.jsonl" "$W/sas.json" carol || fail "ike-up and strongSwan disagree"
python3 - "$W/events.jsonl" <<'EOP' || fail "ike-up does not report the EAP-RADIUS authentication"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
up = next(e for e in events if e["type"] == "ike_sa_up")
assert up["eap_method"] == "eap-radius" and up["eap_identity"] == "carol", up
assert up["remote_auth"] == "eap-radius" and up["remote_id"] == "carol", up
print(f"EAP {up['eap_method']} identity {up['eap_identity']}")
EOP
grep -q "Login OK: \[carol\]" "$W/radius/radiusd.out" || fail "FreeRADIUS logged no login of carol"
ip netns exec "$NS_LEFT" ping -q -n -c 3 -i 0.2 -W 2 -I "$IA_NET.1.1" "$IA_NET.2.1" > "$W/ping.txt" 2>&1 ||
  { cat "$W/ping.txt"; fail "no ping through the tunnel"; }
echo "ping: $(grep -E 'packets transmitted' "$W/ping.txt")"

# 2. dave, wrong password: rejected by FreeRADIUS, AUTHENTICATION_FAILED on both sides.
swan_ctl "$W/right" --initiate --child dave-net --timeout 10 > "$W/initiate-dave.log" 2>&1 &&
  fail "swanctl --initiate (dave) succeeded with a wrong password"
wait_for failure 5 || fail "ike-up printed no failure event"
grep -q "received AUTHENTICATION_FAILED" "$W/right/charon.log" ||
  fail "strongSwan did not log AUTHENTICATION_FAILED"
grep -q "Login incorrect.*\[dave" "$W/radius/radiusd.out" || fail "FreeRADIUS logged no rejected login of dave"
python3 - "$W/events.jsonl" <<'EOP' || fail "the failure is not reported as expected"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert [e["eap_identity"] for e in events if e["type"] == "ike_sa_up"] == ["carol"], events
f = [e for e in events if e["type"] == "failure"]
assert len(f) == 1, f
f = f[0]
assert f["exchange"] == "ike_auth" and f["step"] == "eap", f
assert "backend_reject" in f["reason"] and "Access-Reject from 127.0.0.1:1812" in f["reason"], f
assert f["offered"] == ["dave"] and f["notify"] == "AUTHENTICATION_FAILED", f
print("failure:", json.dumps(f))
EOP
echo "PASS"
