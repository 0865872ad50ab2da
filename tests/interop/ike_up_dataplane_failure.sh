#!/bin/bash
# ike_up_dataplane_failure.sh IKE_UP - ike-up notices its TUN data plane failing
# (ike-up(8) EXIT STATUS, ikekit-json(7) dataplane_error): two ike-up instances with the
# TUN data plane in two namespaces, a Child SA up and a ping through it; then the left
# one's TUN device is deleted (ip link del: its reads fail with EBADFD, the data plane's
# sending thread stops on that and signals failure_fd). Checks: the left ike-up prints
# dataplane_error with fatal true and the data plane's own reason (code io, field tun,
# the device named), the same line reaches an ikectl monitor on its control socket, it
# deletes its IKE SA (the right one reports ike_sa_down "deleted by peer"), ends with the
# {"error":...} line and exits 1 within seconds; its --kill-switch table stays (fail
# closed; checked where nft is installed). About 2 s.
# Exit 0 pass, 1 fail, 77 skip.
set -u
IKE_UP=$1
IKECTL=$(dirname "$IKE_UP")/ikectl
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/test.sh"
. "$HERE/lib/netns.sh"
test_need_root
test_need ip ping python3
[ -e /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

L=ikdf-l R=ikdf-r
W=$(mktemp -d /tmp/ikekit-dpfail.XXXXXX)
PIDS=()
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
test_stop() { stop_pids "${PIDS[@]}"; netns_pair_down "$L" "$R"; }
test_logs() { tail_logs 15 "$W"/*.jsonl "$W"/*.err; }
test_trap "$W"

netns_pair "$L" "$R" ikdf-l0 ikdf-r0 no-v6 || fail "veth"
LO=10.232.0.1 RO=10.232.0.2 L4=10.232.1.1 R4=10.232.2.1
ip -n "$L" addr add "$LO/24" dev ikdf-l0 && ip -n "$R" addr add "$RO/24" dev ikdf-r0
ip -n "$L" addr add "$L4/32" dev lo && ip -n "$R" addr add "$R4/32" dev lo
ip -n "$L" link set ikdf-l0 up && ip -n "$R" link set ikdf-r0 up
for _ in $(seq 20); do ip netns exec "$L" ping -c1 -W1 "$RO" >/dev/null 2>&1 && break; sleep 0.1; done

make_psk "$W/psk"
KS=()
command -v nft >/dev/null && KS=(--kill-switch)
common=(--name df --psk-file "$W/psk" --dataplane tun --dpd-delay 0
        --ike-proposal aes256gcm16-prfsha256-x25519 --esp-proposal aes256gcm16)
ip netns exec "$R" "$IKE_UP" --role responder --local "$RO" --remote "$LO" \
  --local-id right@df --remote-id left@df --local-ts "$R4/32" --remote-ts "$L4/32" \
  "${common[@]}" --control-socket none > "$W/right.jsonl" 2> "$W/right.err" &
RIGHT=$!
PIDS+=($RIGHT)
wait_line "$W/right.jsonl" '"type":"started"' 5 "$RIGHT" || fail "the responder did not start"
ip netns exec "$L" "$IKE_UP" --role initiator --local "$LO" --remote "$RO" \
  --local-id left@df --remote-id right@df --local-ts "$L4/32" --remote-ts "$R4/32" \
  "${common[@]}" "${KS[@]}" --control-socket "$W/left.sock" > "$W/left.jsonl" 2> "$W/left.err" &
LEFT=$!
PIDS+=($LEFT)
wait_line "$W/left.jsonl" '"child_sa_up"' 10 "$LEFT" || fail "no Child SA"
wait_line "$W/right.jsonl" '"child_sa_up"' 5 "$RIGHT" || fail "no Child SA at the responder"
ip netns exec "$L" ping -q -c 1 -W 2 -I "$L4" "$R4" >/dev/null 2>&1 || fail "no ping through the tunnel"
ok "Child SA up, ping through it"

ip netns exec "$L" "$IKECTL" --socket "$W/left.sock" monitor > "$W/monitor.jsonl" 2> "$W/monitor.err" &
PIDS+=($!)
wait_line "$W/monitor.jsonl" '"type":"monitor"' 5 || fail "ikectl monitor did not subscribe"

DEV=$(python3 -c 'import json, sys
print(next(e for e in map(json.loads, open(sys.argv[1])) if e["type"] == "started")["device"])' \
  "$W/left.jsonl") || fail "no device in the started line"
ip -n "$L" link del "$DEV" || fail "ip link del $DEV"
t0=$(date +%s%N)
rc=
for _ in $(seq 100); do
  kill -0 "$LEFT" 2>/dev/null || { wait "$LEFT"; rc=$?; break; }
  sleep 0.1
done
[ -n "$rc" ] || fail "ike-up still runs 10 s after its TUN device $DEV was deleted"
PIDS=("$RIGHT" "${PIDS[@]:2}")
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 1 ] || fail "ike-up exited $rc after its data plane failed (expected 1)"
ok "ike-up exited 1, $ms ms after $DEV was deleted"

python3 - "$W/left.jsonl" "$W/monitor.jsonl" "$DEV" <<'PY' || fail "the dataplane_error line"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
dev = sys.argv[3]
fatal = [e for e in lines if e.get("type") == "dataplane_error" and e["fatal"]]
assert len(fatal) == 1, lines
err = fatal[0]["error"]
assert err["code"] == "io" and err["field"] == "tun" and dev in err["message"], err
# Every SA deleted after it (INFORMATIONAL with D), then the error line that ends a failed run.
after = lines[lines.index(fatal[0]) + 1:]
assert any(e.get("type") == "ike_sa_down" and e["reason"] == "deleted locally" for e in after), after
assert lines[-1] == {"error": err}, lines[-1]
mon = [json.loads(l) for l in open(sys.argv[2])]
assert any(e.get("type") == "dataplane_error" and e["fatal"] and e["error"] == err for e in mon), mon
print("ok: dataplane_error (fatal):", err["message"])
PY
grep -q "ike-up: tun: " "$W/left.err" || fail "no error on stderr: $(cat "$W/left.err")"
wait_line "$W/right.jsonl" '"type":"ike_sa_down".*"reason":"deleted by peer"' 5 "$RIGHT" ||
  fail "the responder was not told (no ike_sa_down deleted by peer)"
ok "the peer was told: ike_sa_down deleted by peer"
kill -0 "$RIGHT" 2>/dev/null || fail "the responder exited"
if [ ${#KS[@]} -gt 0 ]; then
  ip netns exec "$L" nft list table inet ikekit_kill_switch >/dev/null 2>&1 ||
    fail "the kill switch was removed on the data plane's failure (expected it to stay)"
  grep -q '"type":"kill_switch","time":"[^"]*","state":"off"' "$W/left.jsonl" &&
    fail "a kill_switch off line after the data plane's failure"
  ok "the kill switch stays (fail closed)"
else
  echo "note: nft not installed, the kill switch part is not checked"
fi
echo PASS
