#!/bin/bash
# ike_up_unique.sh IKE_UP CASE INDEX - ike-up's uniqueness policy (--unique, issue 20)
# against a real strongSwan initiator that brings up a second IKE SA with the same
# identities. strongSwan (right, IA_NET.0.2 and IA_NET.0.3) runs with unique = never and
# reuse_ikesa = no, so `swanctl --initiate` always makes a new IKE SA, and the second one
# carries no INITIAL_CONTACT (charon sends it only without an IKE SA to the peer): the
# peer re-initiating without INITIAL_CONTACT of issue 20. ike-up (left, IA_NET.0.1) is
# the responder.
#   replace: the same connection initiated twice from IA_NET.0.2: ike-up deletes the
#            first IKE SA (ike_sa_down reason replaced, ike_sa_up replaces), both ends
#            end with exactly the second IKE SA, and a ping crosses its Child SA.
#   keep:    then from IA_NET.0.3 (connection ia2, same identities): ike-up refuses it
#            (failure step unique, AUTHENTICATION_FAILED), both ends keep the first.
#   no:      the same connection twice (no INITIAL_CONTACT): ike-up keeps both.
# Exit 0 pass, 1 fail (reason on stderr, logs kept in $KEEP_DIR if set), 77 skip.
set -u
IKE_UP=$1 CASE=$2 IDX=$3
HERE=$(cd "$(dirname "$0")" && pwd)
IKECTL=$(dirname "$IKE_UP")/ikectl
PSK="ikekit-interop-psk-0123456789abcdef"

case $CASE in replace|keep|no) ;; *) echo "unknown case $CASE" >&2; exit 2 ;; esac

export NS_PREFIX="ikuq$IDX" IA_NET="10.$((230 + IDX))"
. "$HERE/lib/test.sh"
. "$HERE/lib/netns.sh"
. "$HERE/lib/swan.sh"
test_need_root
test_need python3 ip ping
swan_need

W=$(mktemp -d /tmp/ikekit-unique.XXXXXX)
UP_PID=
fail() { echo "FAIL (unique $CASE): $*" >&2; exit 1; }
test_stop() { stop_pids "$UP_PID"; swan_stop "$W/right"; netns_down; }
test_logs() { tail_logs 200 "$W/events.jsonl" "$W/ike-up.err"; swan_logs "$W/right" 60; }
test_trap "$W"

netns_up || fail "namespace setup"
L=$IA_NET.0.1 R=$IA_NET.0.2 R2=$IA_NET.0.3
ip -n "$NS_RIGHT" addr add "$R2/24" dev "$NS_PREFIX-r0" || fail "second address"

conn() { # name local_addrs
  cat <<EOC
  $1 {
    version = 2
    local_addrs = $2
    remote_addrs = $L
    proposals = aes256gcm16-prfsha256-ecp256
    unique = never
    mobike = no
    local { auth = psk
      id = right@ia.test }
    remote { auth = psk
      id = left@ia.test }
    children {
      net {
        local_ts = $IA_NET.2.0/24
        remote_ts = $IA_NET.1.0/24
        esp_proposals = aes256gcm16
      }
    }
  }
EOC
}
{
  echo "connections {"
  conn ia "$R"
  conn ia2 "$R2"
  echo "}"
  printf 'secrets {\n  ike-ia {\n    id-1 = left@ia.test\n    id-2 = right@ia.test\n    secret = "%s"\n  }\n}\n' "$PSK"
} > "$W/right.conf"
swan_conf "$W/right" || fail "strongswan.conf"
# Every --initiate makes a new IKE SA (charon's default reuses an established one).
printf 'charon {\n    reuse_ikesa = no\n}\n' >> "$W/right/strongswan.conf"
swan_start "$NS_RIGHT" "$W/right" "$W/right.conf" >/dev/null || fail "strongSwan did not start"

printf '%s\n' "$PSK" > "$W/psk"
chmod 600 "$W/psk"
ip netns exec "$NS_LEFT" "$IKE_UP" --role responder --local "$L" --remote %any \
  --psk-file "$W/psk" --local-id left@ia.test --remote-id right@ia.test \
  --ike-proposal aes256gcm16-prfsha256-ecp256 --esp-proposal aes256gcm16 \
  --local-ts "$IA_NET.1.0/24" --remote-ts "$IA_NET.2.0/24" --dpd-delay 0 \
  --retransmit-timeout 1s --retransmit-tries 3 --unique "$CASE" \
  --control-socket "$W/ctl.sock" > "$W/events.jsonl" 2> "$W/ike-up.err" &
UP_PID=$!
for _ in $(seq 1 50); do [ -S "$W/ctl.sock" ] && break; sleep 0.1; done

count() { grep -c "\"type\":\"$1\"" "$W/events.jsonl" 2>/dev/null; }
wait_count() { # TYPE N SECONDS: at least N events of TYPE
  for _ in $(seq 1 $(($3 * 10))); do
    [ "$(count "$1")" -ge "$2" ] && return 0
    kill -0 "$UP_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
swan_initiate() { swan_ctl "$W/right" --initiate --child net --ike "$1" --timeout 10 >> "$W/initiate.log" 2>&1; }
# Both views as JSON: ike-up's IKE SAs (ikectl list-sas) and strongSwan's (--all).
snapshot() {
  "$IKECTL" --socket "$W/ctl.sock" --timeout 5s list-sas > "$W/ikectl.json" || fail "ikectl list-sas"
  swan_sas_json "$W/right" "$W/sas.json" --all
}
# check N_IKE_UP N_SWAN [SPI_I]: how many IKE SAs each end has, and that they are the
# same one (SPI_I, when given, is the one that must remain).
check() {
  python3 - "$W/ikectl.json" "$W/sas.json" "$1" "$2" "${3:-}" <<'EOP'
import json, sys
ours = json.load(open(sys.argv[1]))["ike_sas"]
theirs = [e["sa"] for e in json.load(open(sys.argv[2]))]
n_ours, n_theirs, keep = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
assert len(ours) == n_ours, ("ike-up", [(s["sa"], s["spi_i"], s["state"]) for s in ours])
assert len(theirs) == n_theirs, ("strongSwan", [(s["initiator-spi"], s["state"]) for s in theirs])
if keep:
    assert [s["spi_i"] for s in ours] == [keep], (ours, keep)
    assert [s["initiator-spi"] for s in theirs] == [keep], (theirs, keep)
print("ike-up:", [(s["sa"], s["spi_i"], s["state"]) for s in ours],
      "strongSwan:", [(s["initiator-spi"], s["state"]) for s in theirs])
EOP
}
spi_of_up() { # N: spi_i of ike-up's Nth ike_sa_up
  grep '"type":"ike_sa_up"' "$W/events.jsonl" | sed -n "${1}p" | python3 -c 'import json,sys; print(json.load(sys.stdin)["spi_i"])'
}

swan_initiate ia || fail "strongSwan's first initiate failed: $(tail -5 "$W/initiate.log")"
wait_count child_sa_up 1 10 || fail "no first child_sa_up"
first=$(spi_of_up 1)

case $CASE in
replace)
  swan_initiate ia || fail "strongSwan's second initiate failed: $(tail -5 "$W/initiate.log")"
  wait_count ike_sa_down 1 10 || fail "ike-up did not replace the first IKE SA"
  # strongSwan gets ike-up's Delete for the first IKE SA.
  for _ in $(seq 1 50); do
    snapshot
    [ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$W/sas.json")" = 1 ] && break
    sleep 0.1
  done
  second=$(spi_of_up 2)
  check 1 1 "$second" || fail "not exactly the second IKE SA on both ends"
  python3 - "$W/events.jsonl" <<'EOP' || fail "events do not say what was replaced"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ups = [e for e in ev if e["type"] == "ike_sa_up"]
downs = [e for e in ev if e["type"] == "ike_sa_down"]
cdowns = [e for e in ev if e["type"] == "child_sa_down"]
assert len(ups) == 2 and len(downs) == 1, (ups, downs)
assert downs[0]["sa"] == ups[0]["sa"] and downs[0]["reason"] == "replaced", downs
assert downs[0]["replaced_by"] == ups[1]["sa"], downs
assert ups[1]["replaces"] == [ups[0]["sa"]], ups[1]
assert [c["reason"] for c in cdowns] == ["replaced"], cdowns
assert not [e for e in ev if e["type"] in ("failure", "dataplane_error")], ev
print("events:", json.dumps(downs[0]), "replaces", ups[1]["replaces"])
EOP
  grep -q "received DELETE for IKE_SA" "$W/right/charon.log" || fail "strongSwan's log shows no DELETE for the first IKE SA"
  ip netns exec "$NS_LEFT" ping -q -n -c 3 -i 0.2 -W 2 -I "$IA_NET.1.1" "$IA_NET.2.1" > "$W/ping.txt" 2>&1 ||
    fail "no ping through the second IKE SA's Child SA: $(cat "$W/ping.txt")"
  echo "ping: $(grep -E 'packets transmitted' "$W/ping.txt")"
  ;;
keep)
  swan_initiate ia2 && fail "strongSwan's initiate from $R2 succeeded under unique=keep"
  wait_count failure 1 10 || fail "ike-up reported no failure for the refused IKE SA"
  grep -q "received AUTHENTICATION_FAILED" "$W/right/charon.log" ||
    fail "strongSwan's log shows no AUTHENTICATION_FAILED"
  snapshot
  check 1 1 "$first" || fail "not exactly the first IKE SA on both ends"
  python3 - "$W/events.jsonl" "$R2" <<'EOP' || fail "the failure event lacks the evidence"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
f = [e for e in ev if e["type"] == "failure"]
assert len(f) == 1, f
f = f[0]
assert f["step"] == "unique" and f["exchange"] == "ike_auth", f
assert f["notify"] == "AUTHENTICATION_FAILED", f
assert f["configured"] == ["unique=keep"] and f["offered"] == ["right@ia.test"], f
assert not [e for e in ev if e["type"] == "ike_sa_down"], ev
print("failure:", json.dumps(f))
EOP
  ;;
no)
  swan_initiate ia || fail "strongSwan's second initiate failed: $(tail -5 "$W/initiate.log")"
  wait_count ike_sa_up 2 10 || fail "no second ike_sa_up"
  sleep 0.5
  snapshot
  check 2 2 || fail "ike-up did not keep both IKE SAs"
  [ "$(count ike_sa_down)" = 0 ] || fail "an IKE SA went down under unique=no"
  ;;
esac
echo "PASS (unique $CASE)"
