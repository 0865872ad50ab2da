#!/bin/bash
# ike_up_eap_radius_swan.sh IKE_UP INDEX
# EAP relayed to RADIUS (RFC 3579) by an ike-up server: a real FreeRADIUS (Debian
# freeradius, EAP-MSCHAPv2, users file) listens on 127.0.0.1 in the server's namespace,
# ike-up (left, IA_NET.0.1) runs --remote-auth eap-radius --radius-server 127.0.0.1:PORT,
# and a real strongSwan (right, IA_NET.0.2, eap-mschapv2) is the road warrior.
#   1. carol, right password: the IKE SA and the Child SA come up on both sides with the
#      same SPIs, ike-up reports eap-radius and identity carol, FreeRADIUS logs the
#      login, a ping crosses the tunnel; ikectl list-conns says remote_auth eap-radius.
#   2. dave, wrong password (same FreeRADIUS, same ike-up): FreeRADIUS rejects, ike-up
#      reports a failure at step eap (backend_reject, Access-Reject) and sends
#      AUTHENTICATION_FAILED, which strongSwan's log shows; no IKE SA for dave.
#   3. One RADIUS client per connection: ike-up has a second connection, rw-b (same
#      address, identity right.ia.test, which erin's IDr picks), whose first RADIUS
#      server is a silent listener (it records what it gets) and FreeRADIUS the second
#      (--radius-retries 0, 500ms). erin comes up through the fail-over; the silent
#      server saw only rw-b's requests (NAS-Identifier), never rw's, and each connection
#      sends from a socket of its own (one source port per connection at FreeRADIUS,
#      rw-b's the same at both of its servers); ikectl status lists both RADIUS clients,
#      rw-b's with one fail-over and FreeRADIUS as its current server, rw's with none.
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
UP_PID= SILENT_PID= SILENT_PORT=1899
fail() { echo "FAIL: $*" >&2; exit 1; }
test_stop() { stop_pids "$UP_PID" "$SILENT_PID"; freeradius_stop; swan_stop "$W/right"; netns_down; }
test_logs() {
  tail_logs 200 "$W/events.jsonl" "$W/ike-up.err" "$W/initiate-"*.log
  swan_logs "$W/right"
  tail_logs 40 "$W/radius/radiusd.out"
}
test_trap "$W"

netns_up || fail "namespace setup"
# erin's network behind strongSwan (charon routes its Child SA from an address in it).
ip -n "$NS_RIGHT" addr add "$IA_NET.3.1/32" dev lo || fail "erin's address"
L=$IA_NET.0.1 R=$IA_NET.0.2
mkdir -p "$W/radius/raddb"
printf 'carol\tCleartext-Password := "correct horse battery"\n' >"$W/radius/raddb/users"
printf 'dave\tCleartext-Password := "dave knows this one"\n' >>"$W/radius/raddb/users"
printf 'erin\tCleartext-Password := "erin password"\n' >>"$W/radius/raddb/users"
freeradius_start "$W/radius" 127.0.0.1 1812 127.0.0.1 "$SECRET" ip netns exec "$NS_LEFT" ||
  fail "FreeRADIUS did not start"
printf '%s\n' "$SECRET" >"$W/radius.secret"
chmod 600 "$W/radius.secret"

pki_make "$W/pki" ecdsa >/dev/null || fail "PKI"
mkdir -p "$W/right/swanctl/x509ca"
cp "$W/pki/ca-ecdsa.crt" "$W/right/swanctl/x509ca/"
# Road warriors in one charon: carol and erin know their passwords, dave does not.
rw() { # NAME CHILD [SERVER_ID [NET]]: NET (default IA_NET.2.0/24) behind the client
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
      id = ${3:-left.ia.test} }
    children {
      $2 {
        local_ts = ${4:-$IA_NET.2.0/24}
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
$(rw erin erin-net right.ia.test "$IA_NET.3.0/24")
}
secrets {
  eap-carol { id = carol
    secret = "correct horse battery" }
  eap-dave { id = dave
    secret = "not the password" }
  eap-erin { id = erin
    secret = "erin password" }
}
EOC
swan_start "$NS_RIGHT" "$W/right" "$W/right.conf" >/dev/null || fail "strongSwan did not start"

# The silent first server of rw-b: never answers, writes "PORT NAS-Identifier" per request.
ip netns exec "$NS_LEFT" python3 -u - "$SILENT_PORT" > "$W/silent.txt" 2>&1 <<'EOP' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
while True:
    data, (host, port) = s.recvfrom(4096)
    i, nas = 20, ""
    while i + 2 <= len(data) and data[i + 1] >= 2:
        if data[i] == 32:  # NAS-Identifier (RFC 2865 5.32)
            nas = data[i + 2:i + data[i + 1]].decode()
        i += data[i + 1]
    print(port, nas, flush=True)
EOP
SILENT_PID=$!
wait_line "$W/silent.txt" ready 5 "$SILENT_PID" || fail "the silent RADIUS listener did not start"
conn() { # NAME SIDE SERVERS(JSON) TIMEOUT RETRIES REMOTE_TS
  printf '{"name":"%s","role":"responder","local":"%s","remote":"%s","ike_proposal":"aes256gcm16-prfsha256-ecp256",
  "esp_proposal":"aes256gcm16","local_ts":["%s"],"remote_ts":["%s"],"dpd_delay":"0s",
  "cert":"%s","key":"%s","local_id":"%s.ia.test","remote_auth":"eap-radius","radius_server":%s,
  "radius_secret_file":"%s","radius_timeout":"%s","radius_retries":%s}' "$1" "$L" "$R" "$IA_NET.1.0/24" \
    "$6" "$W/pki/$2-ecdsa.crt" "$W/pki/$2-ecdsa.key" "$2" "$3" "$W/radius.secret" "$4" "$5"
}
printf '{"connections":[%s,%s]}' "$(conn rw left '["127.0.0.1:1812"]' 1s 2 "$IA_NET.2.0/24")" \
  "$(conn rw-b right "[\"127.0.0.1:$SILENT_PORT\",\"127.0.0.1:1812\"]" 500ms 0 "$IA_NET.3.0/24")" > "$W/ike-up.json"
ip netns exec "$NS_LEFT" "$IKE_UP" --config "$W/ike-up.json" --control-socket "$W/ctl.sock" \
  > "$W/events.jsonl" 2> "$W/ike-up.err" &
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
# ikectl list-conns tells how the server checks clients: EAP relayed to RADIUS.
"$(dirname "$IKE_UP")/ikectl" --socket "$W/ctl.sock" list-conns > "$W/conns.json" 2>&1 || fail "ikectl list-conns"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); c = d.get("result", d)["connections"]
assert [x["remote_auth"] for x in c] == ["eap-radius"] * 2, c' "$W/conns.json" || fail "list-conns remote_auth: $(cat "$W/conns.json")"
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

# 3. erin: connection rw-b, whose RADIUS client tries its silent first server, then
# FreeRADIUS; rw's client never saw that server.
swan_ctl "$W/right" --initiate --child erin-net --timeout 10 > "$W/initiate-erin.log" 2>&1 ||
  fail "swanctl --initiate (erin) failed"
wait_line "$W/events.jsonl" '"eap_identity":"erin"' 5 "$UP_PID" || fail "no ike_sa_up for erin"
wait_line "$W/events.jsonl" '"type":"child_sa_up","time":"[^"]*","sa":[0-9]*,"conn":"rw-b"' 5 "$UP_PID" ||
  fail "no child_sa_up for erin"
python3 - "$W/events.jsonl" "$W/silent.txt" "$W/radius/radiusd.out" <<'EOP' || fail "one RADIUS client per connection"
import json, re, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
up = {e["eap_identity"]: e["conn"] for e in events if e["type"] == "ike_sa_up"}
assert up == {"carol": "rw", "erin": "rw-b"}, up
silent = [l.split() for l in open(sys.argv[2]).read().splitlines()[1:]]
assert silent and all(nas == "rw-b" for _, nas in silent), silent
# FreeRADIUS -X: "(N) Received Access-Request Id I from 127.0.0.1:PORT ..." and, among
# the attributes of request N, "(N)   NAS-Identifier = "NAME"".
port, nas = {}, {}
for l in open(sys.argv[3]):
    if m := re.match(r"\((\d+)\) Received Access-Request Id \d+ from 127\.0\.0\.1:(\d+)", l):
        port[m[1]] = m[2]
    elif m := re.match(r'\((\d+)\)\s+NAS-Identifier = "([^"]*)"', l):
        nas[m[1]] = m[2]
ports = {}
for n, p in port.items():
    ports.setdefault(nas[n], set()).add(p)
assert set(ports) == {"rw", "rw-b"}, ports
assert all(len(p) == 1 for p in ports.values()) and ports["rw"] != ports["rw-b"], ports
assert {p for p, _ in silent} == ports["rw-b"], (silent, ports)
print(f"RADIUS clients: rw from port {ports['rw'].pop()}, rw-b from port {ports['rw-b'].pop()} "
      f"({len(silent)} request(s) to its silent server first)")
EOP
# ikectl status shows each connection's RADIUS client: rw-b failed over once, rw never.
"$(dirname "$IKE_UP")/ikectl" --socket "$W/ctl.sock" status > "$W/status.json" 2>&1 || fail "ikectl status"
python3 - "$W/status.json" "$SILENT_PORT" <<'EOP' || fail "ikectl status radius: $(cat "$W/status.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
r = doc.get("result", doc)["radius"]
freeradius, silent = "127.0.0.1:1812", f"127.0.0.1:{sys.argv[2]}"
assert sorted(r) == ["rw", "rw-b"], r
assert r["rw"]["servers"] == [freeradius] and r["rw"]["current_server"] == freeradius, r["rw"]
assert r["rw"]["failovers"] == 0 and r["rw"]["timeouts"] == 0 and r["rw"]["requests"] >= 5, r["rw"]
assert r["rw"]["responses"] == r["rw"]["requests"], r["rw"]
assert r["rw-b"]["servers"] == [silent, freeradius] and r["rw-b"]["current_server"] == freeradius, r["rw-b"]
assert r["rw-b"]["failovers"] == 1 and r["rw-b"]["timeouts"] == 0, r["rw-b"]
assert r["rw-b"]["responses"] == r["rw-b"]["requests"] and r["rw-b"]["outstanding"] == 0, r["rw-b"]
assert sum(r["rw-b"]["dropped"].values()) == 0, r["rw-b"]
print("ikectl status radius:", json.dumps({k: {f: v[f] for f in ("requests", "failovers", "responses")} for k, v in r.items()}))
EOP
"$(dirname "$IKE_UP")/ikectl" --socket "$W/ctl.sock" --text status > "$W/status.txt" 2>&1 || fail "ikectl --text status"
grep -q "^radius *rw-b: 127.0.0.1:1812, requests [0-9]*, retransmissions 0, failovers 1, timeouts 0$" "$W/status.txt" ||
  fail "ikectl --text status: $(grep radius "$W/status.txt")"
echo "PASS"
