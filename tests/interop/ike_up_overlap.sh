#!/bin/bash
# ike_up_overlap.sh IKE_UP - one peer never takes another peer's traffic (issue 11,
# High 1): a responder gateway R (TUN data plane) with two connections whose remote
# traffic selectors overlap (both 10.246.9.0/24, as a configuration may allow); peer A
# connects first and carries 10.246.9.1, then peer B gets the same selectors. R's data
# plane refuses B's Child SA (dataplane_error, field remote_ts), deletes it (B sees
# child_sa_down), and R's traffic to 10.246.9.1 still reaches A. Before the fix B's
# outbound SA replaced A's and the ping went to B.
#
#   A 10.246.1.1 ==veth== 10.246.1.2 [R, IKE on 10.246.0.2] 10.246.2.2 ==veth== 10.246.2.1 B
#   lo 10.246.9.1/32                  lo 10.246.100.1/32                    lo 10.246.9.2/32
#
# Exit 0 pass, 1 fail, 77 skip ("SKIP: <reason>": not root, no namespaces, no TUN).
set -u
BIN=$1
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root to create network namespaces"; exit 77; fi
if ! command -v ip >/dev/null; then echo "SKIP: iproute2 (ip) is not installed"; exit 77; fi
if ! command -v ping >/dev/null; then echo "SKIP: ping is not installed"; exit 77; fi
[ -e /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
P="ikov$$"
R=$P-r A=$P-a B=$P-b
work=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for ns in $R $A $B; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
failed=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failed=1; }

for ns in $R $A $B; do
  ip netns add "$ns" 2>/dev/null || { echo "SKIP: cannot create a network namespace"; exit 77; }
  ip -n "$ns" link set lo up
done
ip link add "$P-ra" netns $R type veth peer name "$P-a" netns $A
ip link add "$P-rb" netns $R type veth peer name "$P-b" netns $B
ip -n $R addr add 10.246.1.2/24 dev "$P-ra" && ip -n $R addr add 10.246.2.2/24 dev "$P-rb"
ip -n $A addr add 10.246.1.1/24 dev "$P-a" && ip -n $B addr add 10.246.2.1/24 dev "$P-b"
for l in "$R $P-ra" "$R $P-rb" "$A $P-a" "$B $P-b"; do set -- $l; ip -n "$1" link set "$2" up; done
ip -n $R addr add 10.246.0.2/32 dev lo && ip -n $R addr add 10.246.100.1/32 dev lo
ip -n $A addr add 10.246.9.1/32 dev lo && ip -n $B addr add 10.246.9.2/32 dev lo
ip -n $A route add 10.246.0.2/32 via 10.246.1.2 && ip -n $B route add 10.246.0.2/32 via 10.246.2.2
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/psk"
chmod 600 "$work/psk" # ike-up refuses a PSK file others may read

conn() { # name remote id
  printf '{"name":"%s","role":"responder","local":"10.246.0.2","remote":"%s","psk_file":"%s",
   "local_id":"r@ov","remote_id":"%s","local_ts":["10.246.100.0/24"],"remote_ts":["10.246.9.0/24"]}' \
    "$1" "$2" "$work/psk" "$3"
}
printf '{"connections":[%s,%s],"dataplane":"tun"}' "$(conn a 10.246.1.1 a@ov)" \
  "$(conn b 10.246.2.1 b@ov)" > "$work/r.json"
common=(--psk-file "$work/psk" --dataplane tun --dpd-delay 0 --control-socket none)
ip netns exec $R "$BIN" --config "$work/r.json" --dpd-delay 0 --control-socket none \
  > "$work/r.jsonl" 2> "$work/r.err" &
PIDS+=($!)
sleep 0.3
# initiator NS NAME LOCAL ID: connects to R claiming 10.246.9.0/24.
initiator() {
  ip netns exec "$1" "$BIN" --name "$2" --role initiator --local "$3" --remote 10.246.0.2 \
    --local-id "$4" --remote-id r@ov --local-ts 10.246.9.0/24 --remote-ts 10.246.100.0/24 \
    "${common[@]}" > "$work/$2.jsonl" 2> "$work/$2.err" &
  PIDS+=($!)
}
wait_for() { # FILE PATTERN
  for _ in $(seq 1 100); do grep -q "$2" "$1" && return 0; sleep 0.1; done
  return 1
}

initiator $A a 10.246.1.1 a@ov
if wait_for "$work/a.jsonl" '"child_sa_up"' && wait_for "$work/r.jsonl" '"child_sa_up"'; then
  ok "peer A's Child SA is up"
else
  fail "peer A's Child SA did not come up: $(cat "$work/a.err" "$work/r.err")"
fi
ping_a() { ip netns exec $R ping -q -n -c 3 -i 0.2 -W 2 -I 10.246.100.1 10.246.9.1 > "$work/ping.txt" 2>&1; }
ping_a && ok "R reaches 10.246.9.1 (peer A) through A's SA" || fail "no ping to A: $(cat "$work/ping.txt")"

initiator $B b 10.246.2.1 b@ov
if wait_for "$work/r.jsonl" '"dataplane_error"'; then
  line=$(grep '"dataplane_error"' "$work/r.jsonl" | head -1)
  echo "$line"
  if echo "$line" | grep -q '"field":"remote_ts"' && echo "$line" | grep -q 'another IKE SA' &&
     echo "$line" | grep -q '"fatal":false'; then
    ok "R's data plane refused B's overlapping Child SA, naming remote_ts (not fatal)"
  else
    fail "unexpected dataplane_error: $line"
  fi
else
  fail "no dataplane_error for B's overlapping Child SA: $(cat "$work/r.jsonl")"
fi
if wait_for "$work/b.jsonl" '"child_sa_down"'; then
  ok "the refused Child SA was deleted (B: $(grep '"child_sa_down"' "$work/b.jsonl" | grep -o '"reason":"[^"]*"'))"
else
  fail "B's refused Child SA was not deleted: $(cat "$work/b.jsonl")"
fi
ping_a && ok "R still reaches 10.246.9.1 through A's SA, not B's" ||
  fail "R's traffic to 10.246.9.1 no longer reaches A: $(cat "$work/ping.txt")"
exit $failed
