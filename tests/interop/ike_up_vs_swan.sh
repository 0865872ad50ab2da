#!/bin/bash
# ike_up_vs_swan.sh IKE_UP SCENARIO DIRECTION INDEX [REKEY]
# ike-up against a real strongSwan (charon-systemd, userspace ESP) in two network
# namespaces: ike-up on the left gateway (IA_NET.0.1), strongSwan on the right
# (IA_NET.0.2). DIRECTION is ike-up-initiates or swan-initiates.
#   Positive scenarios: the Child SA comes up; ike-up's events and strongSwan's
#   `swanctl --list-sas` agree on state, IKE and ESP SPIs and algorithms; then the
#   side that did not initiate deletes the IKE SA and the other side sees it go.
#   mismatch-proposal / wrong-psk: ike-up (initiator) prints a failure event with
#   the evidence and exits 1.
#   REKEY (optional): child-by-swan, child-by-ike-up, ike-by-swan or ike-by-ike-up:
#   after the SAs are up, that side rekeys the Child SA or the IKE SA (CREATE_CHILD_SA);
#   both sides must then agree on the new SPIs, and the capture still decodes fully.
# INDEX picks the namespace prefix and /16 so tests run in parallel.
# Exit 0 pass, 1 fail (reason on stderr, logs kept in $KEEP_DIR if set), 77 skip.
set -u
IKE_UP=$1 SCEN=$2 DIR=$3 IDX=$4 REKEY=${5:-}
HERE=$(cd "$(dirname "$0")" && pwd)
PSK="ikekit-interop-psk-0123456789abcdef"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
for t in swanctl python3 ip; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
[ -x /usr/sbin/charon-systemd ] || { echo "SKIP: charon-systemd missing (scripts/install-deps.sh test)"; exit 77; }

export NS_PREFIX="ikup$IDX" IA_NET="10.$((160 + IDX))"
. "$HERE/lib/netns.sh"
. "$HERE/lib/swan.sh"
. "$HERE/lib/pki.sh"

AUTH=psk
SWAN_IKE=aes256gcm16-prfsha256-ecp256 SWAN_ESP=aes256gcm16
case $SCEN in
  psk-aes256gcm16-ecp256) ;;
  psk-aes128-sha256-modp2048) SWAN_IKE=aes128-sha256-modp2048 SWAN_ESP=aes128-sha256 ;;
  psk-chacha20-x25519) SWAN_IKE=chacha20poly1305-prfsha256-x25519 SWAN_ESP=chacha20poly1305 ;;
  psk-aes256-sha384-ecp384) SWAN_IKE=aes256-sha384-ecp384 SWAN_ESP=aes256-sha384 ;;
  ecdsa-*) AUTH=ecdsa ;;
  rsa-*) AUTH=rsa ;;
  ed25519-*) AUTH=ed25519 ;;
  mismatch-proposal|wrong-psk) ;;
  *) echo "unknown scenario $SCEN" >&2; exit 2 ;;
esac
UP_IKE=$SWAN_IKE UP_ESP=$SWAN_ESP UP_PSK=$PSK
[ "$SCEN" = mismatch-proposal ] && UP_IKE=aes128-sha256-modp2048
[ "$SCEN" = wrong-psk ] && UP_PSK="not-the-right-psk-0123456789"

W=$(mktemp -d /tmp/ikekit-ikeup.XXXXXX)
UP_PID=
DUMPCAP_PID=
IKE_DECODE=$(dirname "$IKE_UP")/ike-decode
fail() { echo "FAIL ($SCEN $DIR): $*" >&2; exit 1; }
cleanup() {
  local rc=$?
  trap - EXIT
  [ -n "$UP_PID" ] && kill -TERM "$UP_PID" 2>/dev/null && wait "$UP_PID" 2>/dev/null
  [ -n "$DUMPCAP_PID" ] && kill -TERM "$DUMPCAP_PID" 2>/dev/null && wait "$DUMPCAP_PID" 2>/dev/null
  swan_stop "$W/right"
  netns_down
  if [ $rc -ne 0 ]; then
    echo "--- ike-up events"; cat "$W/events.jsonl" 2>/dev/null
    echo "--- ike-up stderr"; tail -20 "$W/ike-up.err" 2>/dev/null
    echo "--- charon log"; tail -40 "$W/right/charon.log" 2>/dev/null
    [ -n "${KEEP_DIR:-}" ] && cp -a "$W" "$KEEP_DIR"
  fi
  rm -rf "$W"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

netns_up || fail "namespace setup"
L=$IA_NET.0.1 R=$IA_NET.0.2

# strongSwan, the right side.
mkdir -p "$W/right/swanctl/x509" "$W/right/swanctl/x509ca" "$W/right/swanctl/private"
UP_AUTH=(--psk-file "$W/psk" --local-id left@ia.test --remote-id right@ia.test)
printf '%s\n' "$UP_PSK" > "$W/psk"
if [ $AUTH = psk ]; then
  swan_local="local { auth = psk
      id = right@ia.test }"
  swan_remote="remote { auth = psk
      id = left@ia.test }"
else
  pki_make "$W/pki" $AUTH >/dev/null || fail "PKI"
  cp "$W/pki/ca-$AUTH.crt" "$W/right/swanctl/x509ca/"
  cp "$W/pki/right-$AUTH.crt" "$W/right/swanctl/x509/"
  cp "$W/pki/right-$AUTH.key" "$W/right/swanctl/private/"
  swan_local="local { auth = pubkey
      certs = right-$AUTH.crt
      id = right.ia.test }"
  swan_remote="remote { auth = pubkey
      id = left.ia.test }"
  UP_AUTH=(--cert "$W/pki/left-$AUTH.crt" --key "$W/pki/left-$AUTH.key" --ca "$W/pki/ca-$AUTH.crt"
           --local-id left.ia.test --remote-id right.ia.test)
fi
cat > "$W/right.conf" <<EOC
connections {
  ia {
    version = 2
    local_addrs = $R
    remote_addrs = $L
    proposals = $SWAN_IKE
    fragmentation = yes
    mobike = no
    $swan_local
    $swan_remote
    children {
      net {
        local_ts = $IA_NET.2.0/24
        remote_ts = $IA_NET.1.0/24
        esp_proposals = $SWAN_ESP
      }
    }
  }
}
secrets {
  ike-ia {
    id-1 = left@ia.test
    id-2 = right@ia.test
    secret = "$PSK"
  }
}
EOC
swan_start "$NS_RIGHT" "$W/right" "$W/right.conf" >/dev/null || fail "strongSwan did not start"

# Capture the session: ike-decode must decrypt all of it with ike-up's key log.
if command -v dumpcap >/dev/null; then
  ip netns exec "$NS_LEFT" dumpcap -q -P -i "$NS_PREFIX-l0" -f 'udp port 500 or udp port 4500' \
    -w "$W/capture.pcap" 2>"$W/dumpcap.log" &
  DUMPCAP_PID=$!
  for i in $(seq 1 50); do [ -s "$W/capture.pcap" ] && break; sleep 0.1; done
fi

role=responder
[ "$DIR" = ike-up-initiates ] && role=initiator
REKEY_FLAGS=()
case $REKEY in
  child-by-ike-up) REKEY_FLAGS=(--rekey-time 5s) ;;
  ike-by-ike-up) REKEY_FLAGS=(--ike-rekey-time 5s) ;;
esac
ip netns exec "$NS_LEFT" "$IKE_UP" --role $role --local "$L" --remote "$R" "${UP_AUTH[@]}" \
  --ike-proposal "$UP_IKE" --esp-proposal "$UP_ESP" \
  --local-ts "$IA_NET.1.0/24" --remote-ts "$IA_NET.2.0/24" --dpd-delay 0 \
  --retransmit-timeout 1s --retransmit-tries 3 --keylog "$W/keylog.jsonl" "${REKEY_FLAGS[@]}" \
  > "$W/events.jsonl" 2> "$W/ike-up.err" &
UP_PID=$!
sleep 0.3
[ "$DIR" = swan-initiates ] && { swan_ctl "$W/right" --initiate --child net --timeout 10 >"$W/initiate.log" 2>&1 & }

wait_for() {  # wait_for TYPE SECONDS: an event of TYPE in ike-up's output
  local i
  for i in $(seq 1 $(($2 * 10))); do
    grep -q "\"type\":\"$1\"" "$W/events.jsonl" 2>/dev/null && return 0
    kill -0 "$UP_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

if [ "$SCEN" = mismatch-proposal ] || [ "$SCEN" = wrong-psk ]; then
  for i in $(seq 1 100); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$UP_PID" 2>/dev/null && fail "ike-up did not give up"
  wait "$UP_PID"; rc=$?; UP_PID=
  [ $rc -eq 1 ] || fail "ike-up exited $rc, expected 1"
  python3 - "$W/events.jsonl" "$SCEN" "$UP_IKE" <<'EOP' || fail "failure event lacks the evidence"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
f = [e for e in events if e["type"] == "failure"]
assert f, "no failure event"
f = f[0]
if sys.argv[2] == "mismatch-proposal":
    assert f["step"] == "proposal", f
    # ike-up prints its offer in canonical form (prf spelled out): compare the algorithms.
    want = set(sys.argv[3].split("-"))
    assert any(want <= set(o.split("-")) for o in f["offered"]), f
    assert f["notify"] == "NO_PROPOSAL_CHOSEN", f
else:
    assert f["step"] == "auth", f
    assert f["exchange"] == "ike_auth", f
print("failure evidence:", json.dumps(f))
EOP
  echo "PASS ($SCEN $DIR)"
  exit 0
fi

wait_for child_sa_up 15 || fail "no child_sa_up from ike-up"
sleep 0.5
swan_ctl "$W/right" --list-sas --pretty > "$W/sas.txt" 2>&1
python3 "$HERE/swan_sas.py" < "$W/sas.txt" > "$W/sas.json"
python3 - "$W/events.jsonl" "$W/sas.json" "$SWAN_IKE" "$SWAN_ESP" <<'EOP' || fail "ike-up and strongSwan disagree"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sas = json.load(open(sys.argv[2]))
ike_up = next(e for e in events if e["type"] == "ike_sa_up")
child = next(e for e in events if e["type"] == "child_sa_up")
ia = sas["ia"]
assert ia["state"] == "ESTABLISHED", ia["state"]
assert ia["initiator-spi"] == ike_up["spi_i"], (ia["initiator-spi"], ike_up["spi_i"])
assert ia["responder-spi"] == ike_up["spi_r"], (ia["responder-spi"], ike_up["spi_r"])
kids = list(ia["child-sas"].values())
assert len(kids) == 1, kids
k = kids[0]
assert k["state"] == "INSTALLED", k["state"]
assert k["spi-in"] == child["spi_out"] and k["spi-out"] == child["spi_in"], (k, child)
# Algorithms: strongSwan names vs our keywords.
ike_prop, esp_prop = sys.argv[3], sys.argv[4]
assert ike_up["encr"] in ike_prop and ike_up["ke"] in ike_prop, (ike_up, ike_prop)
assert child["encr"] in esp_prop, (child, esp_prop)
swan_encr = ia["encr-alg"] + ia.get("encr-keysize", "")
print(f"agree: IKE {ike_up['spi_i']}_i {ike_up['spi_r']}_r {ike_up['encr']}/{ike_up['prf']}/{ike_up['ke']} "
      f"(strongSwan {swan_encr} {ia.get('prf-alg')} {ia.get('dh-group')}), "
      f"ESP in {child['spi_in']} out {child['spi_out']} {child['encr']} udp_encap={child['udp_encap']}")
EOP

# Traffic through the tunnel: ike-up's TUN data plane <-> strongSwan's userspace ESP.
ping_tunnel() { ip netns exec "$NS_LEFT" ping -q -n -c "$1" -i "$2" -W 2 -I "$IA_NET.1.1" "$IA_NET.2.1"; }
if [ -z "${NO_TRAFFIC:-}" ]; then
  ping_tunnel 5 0.2 > "$W/ping.txt" 2>&1 || { cat "$W/ping.txt"; fail "no ping through the tunnel"; }
  echo "ping: $(grep -E 'packets transmitted' "$W/ping.txt")"
  swan_ctl "$W/right" --list-sas --pretty > "$W/sas-traffic.txt" 2>&1
  python3 - "$W/sas-traffic.txt" "$HERE/swan_sas.py" <<'EOP3' || fail "strongSwan's counters did not move"
import json, subprocess, sys
sas = json.loads(subprocess.run([sys.executable, sys.argv[2]], stdin=open(sys.argv[1]), capture_output=True, text=True).stdout)
k = list(sas["ia"]["child-sas"].values())[0]
assert int(k["packets-in"]) >= 5 and int(k["packets-out"]) >= 5, k
print(f"strongSwan counters: packets-in {k['packets-in']} packets-out {k['packets-out']}")
EOP3
fi

check_agreement() {  # SPIs of ike-up's latest SAs against strongSwan's list
  swan_ctl "$W/right" --list-sas --pretty > "$W/sas2.txt" 2>&1
  python3 "$HERE/swan_sas.py" < "$W/sas2.txt" > "$W/sas2.json"
  python3 - "$W/events.jsonl" "$W/sas2.json" <<'EOP2'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ia = json.load(open(sys.argv[2]))["ia"]
spi_i, spi_r = None, None
for e in events:
    if e["type"] == "ike_sa_up": spi_i, spi_r = e["spi_i"], e["spi_r"]
    if e["type"] == "ike_sa_rekeyed": spi_i, spi_r = e["new_spi_i"], e["new_spi_r"]
child = [e for e in events if e["type"] == "child_sa_up"][-1]
assert ia["state"] == "ESTABLISHED", ia["state"]
assert (ia["initiator-spi"], ia["responder-spi"]) == (spi_i, spi_r), (ia["initiator-spi"], ia["responder-spi"], spi_i, spi_r)
installed = [k for k in ia["child-sas"].values() if k["state"] == "INSTALLED"]
assert any(k["spi-in"] == child["spi_out"] and k["spi-out"] == child["spi_in"] for k in installed), (installed, child)
print(f"after rekey: IKE {spi_i}_i {spi_r}_r, ESP in {child['spi_in']} out {child['spi_out']}")
EOP2
}
# A steady ping across the rekey: the switch-over must lose less than 1%.
PING_PID=
if [ -n "$REKEY" ] && [ -z "${NO_TRAFFIC:-}" ]; then
  ping_tunnel 160 0.05 > "$W/ping-rekey.txt" 2>&1 &
  PING_PID=$!
  sleep 1
fi
case $REKEY in
  child-by-swan) swan_ctl "$W/right" --rekey --child net >/dev/null 2>&1 || fail "swanctl --rekey --child" ;;
  ike-by-swan) swan_ctl "$W/right" --rekey --ike ia >/dev/null 2>&1 || fail "swanctl --rekey --ike" ;;
esac
case $REKEY in
  child-*) wait_for child_sa_rekeyed 12 || fail "no child_sa_rekeyed ($REKEY)"
           sleep 1; check_agreement || fail "SPIs disagree after the Child SA rekey" ;;
  ike-*) wait_for ike_sa_rekeyed 12 || fail "no ike_sa_rekeyed ($REKEY)"
         sleep 1; check_agreement || fail "SPIs disagree after the IKE SA rekey" ;;
esac

if [ -n "$PING_PID" ]; then
  wait "$PING_PID"
  python3 - "$W/ping-rekey.txt" <<'EOP4' || { cat "$W/ping-rekey.txt"; fail "more than 1% loss across the rekey"; }
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
sent, got = int(m.group(1)), int(m.group(2))
loss = 100.0 * (sent - got) / sent
print(f"ping across the rekey: {got}/{sent} received, {loss:.1f}% loss")
assert loss < 1.0
EOP4
fi

# DELETE from the side that did not initiate.
if [ "$DIR" = ike-up-initiates ]; then
  swan_ctl "$W/right" --terminate --ike ia --timeout 5 >/dev/null 2>&1
  wait_for ike_sa_down 5 || fail "ike-up did not see strongSwan's DELETE"
else
  kill -TERM "$UP_PID"
  for i in $(seq 1 50); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
  wait "$UP_PID"; rc=$?; UP_PID=
  [ $rc -eq 0 ] || fail "ike-up exited $rc after SIGTERM"
  grep -q '"type":"ike_sa_down"' "$W/events.jsonl" || fail "ike-up printed no ike_sa_down"
  sleep 0.3
  swan_ctl "$W/right" --list-sas --pretty > "$W/sas-after.txt" 2>&1
  grep -q "ESTABLISHED" "$W/sas-after.txt" && fail "strongSwan still has the IKE SA after ike-up's DELETE"
fi
grep -q '"type":"ike_sa"' "$W/keylog.jsonl" || fail "no ike_sa line in the key log"
if [ -n "$DUMPCAP_PID" ]; then
  sleep 0.3
  kill -TERM "$DUMPCAP_PID"; wait "$DUMPCAP_PID" 2>/dev/null; DUMPCAP_PID=
  "$IKE_DECODE" --keys "$W/keylog.jsonl" "$W/capture.pcap" > "$W/decoded.jsonl"
  rc=$?
  summary=$(tail -1 "$W/decoded.jsonl")
  [ $rc -eq 0 ] || fail "ike-decode with ike-up's key log exited $rc: $summary"
  echo "$summary" | grep -q '"undecryptable":0' || fail "capture not fully decrypted: $summary"
  echo "decoded: $summary"
fi
grep -q '"type":"child_sa"' "$W/keylog.jsonl" || fail "no child_sa line in the key log"
echo "PASS ($SCEN $DIR)"
