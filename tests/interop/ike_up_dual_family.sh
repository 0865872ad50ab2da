#!/bin/bash
# ike_up_dual_family.sh IKE_UP [swan] - one ike-up TUN data plane carries ESP of both outer
# address families at once (issue 16): a responder R with four connections, two on its
# IPv4 address and two on its IPv6 address (the first connection's is IPv4), and four
# ike-up initiators, one per family and encapsulation:
#   c4p  IPv4, plain ESP (IP protocol 50: no NAT)     c6p  IPv6, plain ESP
#   c4u  IPv4, ESP in UDP (--force-encap, RFC 3948)   c6u  IPv6, ESP in UDP
# With "swan", c6u is strongSwan instead (charon, kernel-libipsec, which always puts ESP
# in UDP). R pings the inner address behind each of them, all four at the same time. Before, R's
# data plane refused every Child SA of the second family ("address family differs from
# the data plane's socket": one raw socket and one default UDP socket, both of the first
# connection's family), so c6p and c6u carried nothing.
#
#            c4p 10.249.1.1 ==veth== 10.249.1.2 \            / fd00:249:3::2 ==veth== fd00:249:3::1 c6p
#   lo 10.249.9.1/32                      [R, IKE on 10.249.0.2 and fd00:249::2]       lo 10.249.9.3/32
#            c4u 10.249.2.1 ==veth== 10.249.2.2 /  lo 10.249.100.1 \ fd00:249:4::2 ==veth== fd00:249:4::1 c6u
#   lo 10.249.9.2/32                                                                   lo 10.249.9.4/32
#
# Exit 0 pass, 1 fail, 77 skip ("SKIP: <reason>": not root, no namespaces, no TUN).
set -u
BIN=$1 SWAN=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/test.sh"
. "$HERE/lib/swan.sh"
test_need_root
test_need ip ping
[ -n "$SWAN" ] && swan_need
[ -e /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
P="ikdu$$"
R=$P-r
CLIENTS=(c4p c4u c6p c6u)
W=$(mktemp -d /tmp/ikekit-dual.XXXXXX)
PIDS=()
failed=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failed=1; }
test_stop() {
  stop_pids "${PIDS[@]}"
  [ -n "$SWAN" ] && swan_stop "$W/swan"
  local c
  for c in "$R" "${CLIENTS[@]/#/$P-}"; do ip netns del "$c" 2>/dev/null; done
  return 0
}
test_logs() {
  tail_logs 15 "$W"/*.jsonl "$W"/*.err "$W"/ping-*.txt "$W"/swan/charon.log "$W"/swan/initiate.log
}
test_trap "$W"

ip netns add "$R" 2>/dev/null || { echo "SKIP: cannot create a network namespace"; exit 77; }
ip -n "$R" link set lo up
ip netns exec "$R" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.accept_dad=0
ip -n "$R" addr add 10.249.0.2/32 dev lo
ip -n "$R" addr add 10.249.100.1/32 dev lo
ip -n "$R" addr add fd00:249::2/128 dev lo nodad
# client NAME INDEX FAMILY: its namespace, the veth to R, its inner address on lo.
client() {
  local c=$P-$1 i=$2 fam=$3 mine peer plen route
  ip netns add "$c" || return 1
  ip -n "$c" link set lo up
  ip netns exec "$c" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.accept_dad=0
  ip link add "$P-$i" netns "$R" type veth peer name "$P-c" netns "$c" || return 1
  if [ "$fam" = 4 ]; then
    mine=10.249.$i.1 peer=10.249.$i.2 plen=24 route=10.249.0.2/32
  else
    mine=fd00:249:$i::1 peer=fd00:249:$i::2 plen=64 route=fd00:249::2/128
  fi
  local flags=()
  [ "$fam" = 6 ] && flags=(nodad)
  ip -n "$R" addr add "$peer/$plen" dev "$P-$i" "${flags[@]}"
  ip -n "$c" addr add "$mine/$plen" dev "$P-c" "${flags[@]}"
  ip -n "$R" link set "$P-$i" up
  ip -n "$c" link set "$P-c" up
  ip -n "$c" route add "$route" via "$peer"
  ip -n "$c" addr add "10.249.9.$i/32" dev lo
  echo "$mine" > "$W/$1.addr"
}
setup=() # the four at once: a second less of set-up
for c in "c4p 1 4" "c4u 2 4" "c6p 3 6" "c6u 4 6"; do
  client $c &
  setup+=($!)
done
for p in "${setup[@]}"; do wait "$p" || { echo "FAIL: namespaces and veths"; exit 1; }; done
make_psk "$W/psk"

conn() { # NAME LOCAL INDEX
  printf '{"name":"%s","role":"responder","local":"%s","remote":"%s","psk_file":"%s",
   "local_id":"r@df","remote_id":"%s@df","local_ts":["10.249.100.0/24"],
   "remote_ts":["10.249.9.%s/32"]}' "$1" "$2" "$(cat "$W/$1.addr")" "$W/psk" "$1" "$3"
}
printf '{"connections":[%s,%s,%s,%s],"dataplane":"tun"}' "$(conn c4p 10.249.0.2 1)" \
  "$(conn c4u 10.249.0.2 2)" "$(conn c6p fd00:249::2 3)" "$(conn c6u fd00:249::2 4)" > "$W/r.json"
ip netns exec "$R" "$BIN" --config "$W/r.json" --dpd-delay 0 --control-socket none \
  > "$W/r.jsonl" 2> "$W/r.err" &
RPID=$!
PIDS+=($RPID)

# strongSwan as c6u: started while R starts (charon takes longest), initiated with the others.
if [ -n "$SWAN" ]; then
  mkdir -p "$W/swan"
  cat > "$W/swan.conf" <<EOC
connections {
  df {
    version = 2
    local_addrs = $(cat "$W/c6u.addr")
    remote_addrs = fd00:249::2
    proposals = aes256gcm16-prfsha256-x25519
    mobike = no
    local { auth = psk
      id = c6u@df }
    remote { auth = psk
      id = r@df }
    children {
      net {
        local_ts = 10.249.9.4/32
        remote_ts = 10.249.100.0/24
        esp_proposals = aes256gcm16
      }
    }
  }
}
secrets {
  ike-df {
    id-1 = c6u@df
    id-2 = r@df
    secret = "$(cat "$W/psk")"
  }
}
EOC
  swan_start "$P-c6u" "$W/swan" "$W/swan.conf" > /dev/null || { echo "FAIL: strongSwan did not start"; exit 1; }
fi

wait_line "$W/r.jsonl" '"type":"started"' 5 "$RPID" || { echo "FAIL: R did not start"; exit 1; }

# The four initiators at once; c4u and c6u force UDP encapsulation (R then sees a NAT).
for i in 1 2 3 4; do
  name=${CLIENTS[$((i - 1))]}
  if [ "$name" = c6u ] && [ -n "$SWAN" ]; then
    swan_ctl "$W/swan" --initiate --child net --timeout 5 > "$W/swan/initiate.log" 2>&1 &
    PIDS+=($!)
    continue
  fi
  remote=10.249.0.2
  [ "${name:1:1}" = 6 ] && remote=fd00:249::2
  extra=()
  [ "${name:2:1}" = u ] && extra=(--force-encap)
  ip netns exec "$P-$name" "$BIN" --name "$name" --role initiator --local "$(cat "$W/$name.addr")" \
    --remote "$remote" --local-id "$name@df" --remote-id r@df --local-ts "10.249.9.$i/32" \
    --remote-ts 10.249.100.0/24 --psk-file "$W/psk" --dataplane tun --dpd-delay 0 \
    --control-socket none "${extra[@]}" > "$W/$name.jsonl" 2> "$W/$name.err" &
  PIDS+=($!)
done
for name in "${CLIENTS[@]}"; do
  [ "$name" = c6u ] && [ -n "$SWAN" ] && continue
  wait_line "$W/$name.jsonl" '"child_sa_up"' 5 || fail "$name: no Child SA"
done
for _ in $(seq 50); do
  [ "$(grep -c '"child_sa_up"' "$W/r.jsonl")" -ge 4 ] && break
  sleep 0.1
done
# R's view: each connection's Child SA up with the encapsulation its initiator chose, on
# its family's address, and its data plane took all four (no dataplane_error, no Child SA
# deleted). (grep, not python: its start-up alone takes a second on a loaded machine.)
if grep -E '"type":"(dataplane_error|child_sa_down)"' "$W/r.jsonl"; then
  fail "R refused or deleted a Child SA"
fi
for name in "${CLIENTS[@]}"; do
  line=$(grep '"type":"child_sa_up"' "$W/r.jsonl" | grep "\"conn\":\"$name\"" | head -1)
  encap=false local=10.249.0.2
  [ "${name:2:1}" = u ] && encap=true
  [ "${name:1:1}" = 6 ] && local=fd00:249::2
  if [ -z "$line" ]; then
    fail "R: no child_sa_up for $name"
  elif ! echo "$line" | grep -q "\"udp_encap\":$encap" || ! echo "$line" | grep -qF "$local"; then
    fail "R: $name's Child SA is not udp_encap $encap on $local: $line"
  else
    ok "R: $name's Child SA up (udp_encap $encap, local $local)"
  fi
done

# Through all four tunnels at the same time.
pings=()
for i in 1 2 3 4; do
  ip netns exec "$R" ping -q -n -c 3 -i 0.1 -W 2 -I 10.249.100.1 "10.249.9.$i" \
    > "$W/ping-${CLIENTS[$((i - 1))]}.txt" 2>&1 &
  pings+=($!)
done
for i in 1 2 3 4; do
  name=${CLIENTS[$((i - 1))]}
  if wait "${pings[$((i - 1))]}"; then
    ok "R reaches 10.249.9.$i through $name's tunnel"
  else
    fail "no ping through $name's tunnel: $(cat "$W/ping-$name.txt")"
  fi
done
exit $failed
