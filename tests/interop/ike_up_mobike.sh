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
# The client's address on link a is removed and its default route moved to link b; the
# client sends UPDATE_SA_ADDRESSES from IA_NET.4.2 (and strongSwan's userspace data plane
# rekeys its Child SA right after). Checks: ike-up reports ike_sa_moved (reason mobike) to
# the new address, the IKE SA keeps its SPIs on both ends (ike-up's ikectl list-sas,
# strongSwan's list-sas), ping through the tunnel recovers.
# Exit 0 pass, 1 fail (logs kept in $KEEP_DIR if set), 77 skip.
set -u
IKE_UP=$1 ROAMER=$2 IDX=$3
HERE=$(cd "$(dirname "$0")" && pwd)
IKECTL=$(dirname "$IKE_UP")/ikectl
PSK="ikekit-interop-psk-0123456789abcdef"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
for t in swanctl python3 ip; do
  command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/install-deps.sh test)"; exit 77; }
done
[ -x /usr/sbin/charon-systemd ] || { echo "SKIP: charon-systemd missing (scripts/install-deps.sh test)"; exit 77; }
case $ROAMER in swan) ;; *) echo "ROAMER: swan" >&2; exit 2 ;; esac

P="ikmob$IDX" NET="10.$((215 + IDX))"
NS_C=$P-cli NS_R=$P-rtr NS_S=$P-srv
CLIENT_A=$NET.1.2 CLIENT_B=$NET.4.2 ROUTER_A=$NET.1.1 ROUTER_B=$NET.4.1 ROUTER_S=$NET.0.1
SERVER=$NET.0.2 INNER_C=$NET.3.1 INNER_S=$NET.2.1
. "$HERE/lib/swan.sh"

W=$(mktemp -d /tmp/ikekit-mobike.XXXXXX)
UP_PID=
SWAN_DIR=$W/swan
fail() { echo "FAIL (mobike $ROAMER): $*" >&2; exit 1; }
ns_down() { for ns in $NS_C $NS_R $NS_S; do ip netns del "$ns" 2>/dev/null; done; return 0; }
cleanup() {
  local rc=$?
  trap - EXIT
  [ -n "$UP_PID" ] && kill -TERM "$UP_PID" 2>/dev/null && wait "$UP_PID" 2>/dev/null
  swan_stop "$SWAN_DIR"
  ns_down
  if [ $rc -ne 0 ]; then
    echo "--- ike-up events"; cat "$W/events.jsonl" 2>/dev/null
    echo "--- ike-up stderr"; tail -20 "$W/ike-up.err" 2>/dev/null
    echo "--- charon log"; tail -60 "$SWAN_DIR/charon.log" 2>/dev/null
    [ -n "${KEEP_DIR:-}" ] && cp -a "$W" "$KEEP_DIR"
  fi
  rm -rf "$W"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for ns in $NS_C $NS_R $NS_S; do
  ip netns list | awk '{print $1}' | grep -qx "$ns" && fail "namespace $ns exists (another run?)"
done
(
  set -e
  for ns in $NS_C $NS_R $NS_S; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  done
  ip link add "$P-a" netns "$NS_C" type veth peer name "$P-ra" netns "$NS_R"
  ip link add "$P-b" netns "$NS_C" type veth peer name "$P-rb" netns "$NS_R"
  ip link add "$P-o" netns "$NS_R" type veth peer name "$P-s" netns "$NS_S"
  ip -n "$NS_C" addr add "$CLIENT_A/24" dev "$P-a"
  ip -n "$NS_C" addr add "$CLIENT_B/24" dev "$P-b"
  ip -n "$NS_R" addr add "$ROUTER_A/24" dev "$P-ra"
  ip -n "$NS_R" addr add "$ROUTER_B/24" dev "$P-rb"
  ip -n "$NS_R" addr add "$ROUTER_S/24" dev "$P-o"
  ip -n "$NS_S" addr add "$SERVER/24" dev "$P-s"
  ip -n "$NS_C" addr add "$INNER_C/32" dev lo
  ip -n "$NS_S" addr add "$INNER_S/32" dev lo
  for l in "$NS_C $P-a" "$NS_C $P-b" "$NS_R $P-ra" "$NS_R $P-rb" "$NS_R $P-o" "$NS_S $P-s"; do
    set -- $l; ip -n "$1" link set "$2" up
  done
  ip -n "$NS_C" route add default via "$ROUTER_A"
  ip -n "$NS_S" route add default via "$ROUTER_S"
  ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
) || fail "namespace setup"
for _ in $(seq 20); do ip netns exec "$NS_C" ping -c1 -W1 "$SERVER" >/dev/null 2>&1 && break; sleep 0.2; done

printf '%s\n' "$PSK" > "$W/psk"
chmod 600 "$W/psk"
mkdir -p "$SWAN_DIR"
swan_conf "$SWAN_DIR" || fail "strongswan.conf"
cat > "$W/swan.conf" <<EOC
connections {
  mob {
    version = 2
    remote_addrs = $SERVER
    proposals = aes256gcm16-prfsha256-ecp256
    mobike = yes
    local { auth = psk
      id = client@ia.test }
    remote { auth = psk
      id = server@ia.test }
    children {
      net {
        local_ts = $INNER_C/32
        remote_ts = $INNER_S/32
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
swan_start "$NS_C" "$SWAN_DIR" "$W/swan.conf" >/dev/null || fail "strongSwan did not start"

ip netns exec "$NS_S" "$IKE_UP" --role responder --local "$SERVER" --remote %any \
  --local-ts "$INNER_S/32" --remote-ts "$INNER_C/32" --psk-file "$W/psk" \
  --local-id server@ia.test --remote-id client@ia.test \
  --ike-proposal aes256gcm16-prfsha256-ecp256 --esp-proposal aes256gcm16 \
  --dataplane tun --retransmit-timeout 1s --retransmit-tries 3 --control-socket "$W/ctl.sock" \
  > "$W/events.jsonl" 2> "$W/ike-up.err" &
UP_PID=$!
sleep 0.3
swan_ctl "$SWAN_DIR" --initiate --child net --timeout 10 >"$W/initiate.log" 2>&1 &

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
swan_sas() { swan_ctl "$SWAN_DIR" --list-sas --pretty 2>&1 | python3 "$HERE/swan_sas.py"; }

wait_for child_sa_up 15 || fail "no child_sa_up from ike-up"
sleep 0.3
ping_tunnel 3 0.2 > "$W/ping1.txt" 2>&1 || { cat "$W/ping1.txt"; fail "no ping through the tunnel"; }
swan_sas > "$W/sas1.json" || fail "swanctl --list-sas"

# The roam: the address on link a goes, the default route moves to link b.
t0=$(date +%s.%N)
ip -n "$NS_C" addr del "$CLIENT_A/24" dev "$P-a"
ip -n "$NS_C" route replace default via "$ROUTER_B"
wait_for ike_sa_moved 10 || fail "no ike_sa_moved from ike-up"
# Ping recovers: a reply within 5 s, then steady.
ok=0
for _ in $(seq 50); do
  ip netns exec "$NS_C" ping -q -n -c 1 -W 0.1 -I "$INNER_C" "$INNER_S" >/dev/null 2>&1 && { ok=1; break; }
done
t1=$(date +%s.%N)
[ $ok = 1 ] || fail "no ping through the tunnel after the roam"
ping_tunnel 5 0.1 > "$W/ping2.txt" 2>&1 || { cat "$W/ping2.txt"; fail "ping after the roam"; }
echo "recovered in $(python3 -c "print(f'{$t1 - $t0:.3f}')") s after the roam; $(grep -E 'packets transmitted' "$W/ping2.txt")"

"$IKECTL" --socket "$W/ctl.sock" list-sas > "$W/list.json" 2>&1 || fail "ikectl list-sas"
"$IKECTL" --socket "$W/ctl.sock" status > "$W/stats.json" 2>&1 || fail "ikectl status"
swan_sas > "$W/sas2.json" || fail "swanctl --list-sas"
python3 - "$W/events.jsonl" "$W/list.json" "$W/stats.json" "$W/sas1.json" "$W/sas2.json" \
  "$CLIENT_A" "$CLIENT_B" <<'EOP' || fail "after the roam"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
listed, stats = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
before, after = json.load(open(sys.argv[4]))["mob"], json.load(open(sys.argv[5]))["mob"]
old, new = sys.argv[6], sys.argv[7]
listed, stats = listed.get("result", listed), stats.get("result", stats)
up = next(e for e in events if e["type"] == "ike_sa_up")
moved = [e for e in events if e["type"] == "ike_sa_moved"]
assert moved and moved[0]["reason"] == "mobike", moved
m = moved[-1]
assert m["remote"].startswith(new + ":") and m["old_remote"].startswith(old + ":"), m
sa = listed["ike_sas"][0]
assert sa["mobike"] and sa["moves"] >= 1, sa
assert sa["remote"] == m["remote"], (sa, m)
# The same IKE SA on both ends: SPIs unchanged, strongSwan now on the new address.
assert (sa["spi_i"], sa["spi_r"]) == (up["spi_i"], up["spi_r"]), (sa, up)
spis = lambda s: (s["initiator-spi"], s["responder-spi"])
assert spis(before) == spis(after) and after["state"] == "ESTABLISHED", (before, after)
assert int(after["initiator-spi"], 16) == int(up["spi_i"], 16), (after, up)
assert after["local-host"] == new, after
counters = stats["counters"]
assert counters["mobike_updates_received"] >= 1, counters
print(f"ike-up moved {m['old_remote']} -> {m['remote']} (mobike), IKE SA {sa['spi_i']}/"
      f"{sa['spi_r']} kept on both ends; Child SAs now {len(sa['children'])}, "
      f"events child_sa_up {sum(e['type'] == 'child_sa_up' for e in events)}")
EOP
echo "PASS (mobike $ROAMER)"
