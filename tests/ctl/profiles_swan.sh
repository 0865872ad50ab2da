#!/bin/bash
# profiles_swan.sh IKECTL IKE_UP
# ikectl profile (issue 15) against one running ike-up EAP-MSCHAPv2 server (left, with a
# certificate, a pool and a DNS server) in network namespaces:
#   - every format is written; mobileconfig is parsed with plistlib, sswan with json,
#     powershell with a small parser, and each is checked for the keys its platform
#     documents;
#   - the algorithms of the mobileconfig, sswan and powershell profiles are turned back
#     into strongSwan proposals, and a strongSwan client (right) connects with each of
#     them to the same server, as does the swanctl profile as written, so a profile
#     whose algorithms the server refuses fails here;
#   - an ike-up client connects with the ike-up profile as written;
#   - a connection whose proposal iOS cannot express makes --format mobileconfig exit 2
#     naming it (and one with Curve25519 only, --format powershell).
# Exit 0 pass, 1 fail (reason on stderr), 77 skip.
set -u
IKECTL=$1 IKE_UP=$2
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=$HERE/../interop/lib

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
for t in swanctl python3 ip openssl; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
[ -x /usr/sbin/charon-systemd ] || { echo "SKIP: charon-systemd missing (scripts/install-deps.sh test)"; exit 77; }
ls /usr/lib/ipsec/plugins/libstrongswan-eap-mschapv2.so >/dev/null 2>&1 ||
  { echo "SKIP: strongSwan's eap-mschapv2 plugin missing (libcharon-extauth-plugins)"; exit 77; }

export NS_PREFIX=ikprof IA_NET=10.225
. "$LIB/netns.sh"
. "$LIB/swan.sh"
. "$LIB/pki.sh"

W=$(mktemp -d /tmp/ikekit-profiles.XXXXXX)
SRV_PID= CLI_PID=
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
  local rc=$?
  trap - EXIT
  for p in $CLI_PID $SRV_PID; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  swan_stop "$W/right"
  netns_down
  if [ $rc -ne 0 ]; then
    echo "--- server events"; tail -20 "$W/server.jsonl" 2>/dev/null
    echo "--- server stderr"; tail -20 "$W/server.err" 2>/dev/null
    echo "--- ike-up client"; tail -20 "$W/client.jsonl" "$W/client.err" 2>/dev/null
    echo "--- charon log"; tail -40 "$W/right/charon.log" 2>/dev/null
    [ -n "${KEEP_DIR:-}" ] && cp -a "$W" "$KEEP_DIR"
  fi
  rm -rf "$W"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

netns_up || fail "namespace setup"
L=$IA_NET.0.1 R=$IA_NET.0.2 POOL=$IA_NET.3.0/24 DNS=$IA_NET.1.53
pki_make "$W/pki" ecdsa >/dev/null || fail "PKI"
USERS=(carol dave erin frank grace)
for u in "${USERS[@]}"; do printf '%s:pw of %s\n' "$u" "$u"; done > "$W/users.txt"
chmod 600 "$W/users.txt"
mkdir -p "$W/out"

# The server: its first IKE proposal has a group Windows lacks, its second fits everyone.
ip netns exec "$NS_LEFT" "$IKE_UP" --role responder --local "$L" --name rw \
  --cert "$W/pki/left-ecdsa.crt" --key "$W/pki/left-ecdsa.key" --ca "$W/pki/ca-ecdsa.crt" \
  --local-id left.ia.test --remote-auth eap-mschapv2 --eap-users "$W/users.txt" \
  --ike-proposal aes256gcm16-prfsha256-x25519,aes128gcm16-prfsha384-ecp384 \
  --esp-proposal aes256gcm16,aes128-sha256 --local-ts "$IA_NET.1.0/24" \
  --pool "$POOL" --dns "$DNS" --dpd-delay 0 --dataplane none \
  --control-socket "$W/ctl.sock" > "$W/server.jsonl" 2> "$W/server.err" &
SRV_PID=$!
for _ in $(seq 1 50); do [ -S "$W/ctl.sock" ] && break; sleep 0.1; done
[ -S "$W/ctl.sock" ] || fail "the server's control socket did not appear"

profile() { "$IKECTL" --socket "$W/ctl.sock" profile --conn rw "$@"; }
profile --user carol --format mobileconfig --on-demand --include-all-networks \
  --remote-address "$L" -o "$W/out/carol.mobileconfig" > "$W/out/carol.json" || fail "mobileconfig"
profile --user dave --format sswan -o "$W/out/dave.sswan" > /dev/null || fail "sswan"
profile --user erin --format powershell -o "$W/out/erin.ps1" > /dev/null || fail "powershell"
printf 'pw of frank\n' > "$W/frank.pw"; printf 'pw of grace\n' > "$W/grace.pw"
chmod 600 "$W/frank.pw" "$W/grace.pw"
profile --user frank --format swanctl --include-password --password-file "$W/frank.pw" \
  -o "$W/out/frank.conf" > "$W/out/frank.json" || fail "swanctl"
profile --user grace --format ike-up --local "$R" --include-password --password-file "$W/grace.pw" \
  -o "$W/out/grace.json" > "$W/out/grace-done.json" || fail "ike-up"
openssl x509 -in "$W/pki/ca-ecdsa.crt" -outform der -out "$W/ca.der" || fail "openssl"

# Parse each back, check the documented keys, and turn the algorithms into strongSwan
# connections (right.conf) for the same server.
python3 "$HERE/profiles_check.py" "$W" "$L" "$IA_NET" > "$W/right.conf" || fail "the profiles do not hold what their platforms document"
cat "$W/out/frank.conf" >> "$W/right.conf"

# The ike-up profile as written: an ike-up client (before charon takes port 500 there).
ip netns exec "$NS_RIGHT" "$IKE_UP" --config "$W/out/grace.json" --dataplane none \
  > "$W/client.jsonl" 2> "$W/client.err" &
CLI_PID=$!
for _ in $(seq 1 100); do grep -q '"type":"child_sa_up"' "$W/client.jsonl" 2>/dev/null && break; sleep 0.1; done
grep -q '"type":"child_sa_up"' "$W/client.jsonl" || fail "the ike-up client with the ike-up profile got no Child SA"
python3 - "$W/client.jsonl" "$POOL" "$DNS" <<'EOP' || fail "ike-up client"
import json, sys, ipaddress
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
up = next(e for e in ev if e["type"] == "ike_sa_up")
child = next(e for e in ev if e["type"] == "child_sa_up")
assert up["eap_identity"] == "grace" and up["remote_id"] == "left.ia.test", up
assert ipaddress.ip_address(child["virtual_ips"][0]) in ipaddress.ip_network(sys.argv[2]), child
assert child["dns"] == [sys.argv[3]], child
print("ike-up profile: up as grace, virtual IP", child["virtual_ips"][0])
EOP
kill -TERM "$CLI_PID"; wait "$CLI_PID"; CLI_PID=

# strongSwan with the connections from the profiles, one after another.
swan_start "$NS_RIGHT" "$W/right" "$W/right.conf" >/dev/null || fail "strongSwan did not start (right.conf)"
# (The swanctl profile names the server's Child SA, ike-up's default "child".)
for conn in apple android windows rw; do
  child=net; [ $conn = rw ] && child=child
  swan_ctl "$W/right" --initiate --ike "$conn" --child $child --timeout 10 > "$W/init-$conn.log" 2>&1 ||
    { cat "$W/init-$conn.log"; fail "strongSwan with the $conn profile did not connect"; }
  swan_ctl "$W/right" --list-sas --ike "$conn" > "$W/sas-$conn.txt" 2>&1
  grep -q "ESTABLISHED" "$W/sas-$conn.txt" && grep -q "INSTALLED" "$W/sas-$conn.txt" ||
    { cat "$W/sas-$conn.txt"; fail "$conn: no established SA"; }
  echo "strongSwan with the $conn profile: $(grep -o 'ESTABLISHED.*' "$W/sas-$conn.txt" | head -1)"
  swan_ctl "$W/right" --terminate --ike "$conn" --timeout 5 > /dev/null 2>&1
done

# A proposal iOS cannot express (the PRF AES-XCBC: Apple derives the PRF from SHA2 names)
# and a group Windows lacks: exit 2 naming them.
cat > "$W/odd.json" <<EOJ
{"connections":[{"name":"odd","role":"responder","local":"$L","cert":"$W/pki/left-ecdsa.crt",
 "key":"$W/pki/left-ecdsa.key","ca":["$W/pki/ca-ecdsa.crt"],"local_id":"left.ia.test",
 "remote_auth":"eap-mschapv2","eap_users":"$W/users.txt",
 "ike_proposal":"aes256gcm16-prfaesxcbc-ecp256","esp_proposal":"aes256gcm16"},
 {"name":"c25519","role":"responder","local":"$L","cert":"$W/pki/left-ecdsa.crt",
 "key":"$W/pki/left-ecdsa.key","ca":["$W/pki/ca-ecdsa.crt"],"local_id":"left.ia.test",
 "remote_auth":"eap-mschapv2","eap_users":"$W/users.txt",
 "ike_proposal":"aes256gcm16-prfsha256-x25519","esp_proposal":"aes256gcm16"}]}
EOJ
"$IKECTL" --socket "$W/ctl.sock" load --config "$W/odd.json" > /dev/null || fail "ikectl load"
for c in "odd mobileconfig prfaesxcbc iOS/macOS" "c25519 powershell x25519 Windows"; do
  set -- $c
  "$IKECTL" --socket "$W/ctl.sock" profile --conn "$1" --user carol --format "$2" -o "$W/out/$1" \
    > "$W/$1.out" 2> "$W/$1.err"
  rc=$?
  [ $rc -eq 2 ] || fail "--format $2 for $1 exited $rc, expected 2"
  [ ! -e "$W/out/$1" ] || fail "--format $2 for $1 wrote a profile anyway"
  grep -q "$3" "$W/$1.err" && grep -q "$4" "$W/$1.err" || { cat "$W/$1.err"; fail "the error does not name $3 and $4"; }
  echo "refused: $(head -c 300 "$W/$1.err")"
done
echo "PASS"
