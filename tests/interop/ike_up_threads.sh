#!/bin/bash
# ike_up_threads.sh IKE_UP INDEX - ike-up --threads 2 as a responder (issue 17,
# ike/shard.hpp): ike-bench starts 200 IKE SAs, 32 at a time, from another namespace.
# Checks: the started event says 2 engines, every handshake completes, ikectl list-sas
# shows every IKE SA with both engines owning some (engine i's SA ids are i+1 mod 2, its
# responder SPIs' top byte i mod 2), the summed counters agree, and a clean exit (every
# IKE SA deleted); then --threads auto is one engine per online core for --unique never
# and one, with an info line, for --unique no.  IKE_BENCH: the ike-bench binary.
# Exit 0 pass, 1 fail, 77 skip.
set -u
IKE_UP=$1 IDX=$2
IKECTL=$(dirname "$IKE_UP")/ikectl
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/test.sh"
. "$HERE/lib/netns.sh"
test_need_root
test_need ip python3
[ -x "${IKE_BENCH:-}" ] || { echo "SKIP: IKE_BENCH is not set"; exit 77; }

P=ikth$IDX L=ikth$IDX-l R=ikth$IDX-r
W=$(mktemp -d /tmp/ikekit-threads.XXXXXX)
PIDS=()
fail() { echo "FAIL: $*"; exit 1; }
test_stop() { stop_pids "${PIDS[@]}"; netns_pair_down "$L" "$R"; }
test_logs() { tail_logs 15 "$W"/*.jsonl "$W"/*.err "$W"/*.json; }
test_trap "$W"

netns_pair "$L" "$R" "$P-l0" "$P-r0" novx || fail "veth"
LO=10.$((140 + IDX)).0.1 RO=10.$((140 + IDX)).0.2
ip -n "$L" addr add "$LO/24" dev "$P-l0"
ip -n "$R" addr add "$RO/24" dev "$P-r0"
ip -n "$L" link set "$P-l0" up
ip -n "$R" link set "$P-r0" up

make_psk "$W/psk"
ip netns exec "$R" "$IKE_UP" --threads 2 --name threads --role responder --local "$RO" \
  --psk-file "$W/psk" --ike-proposal aes256gcm16-prfsha256-x25519 --esp-proposal aes256gcm16 \
  --unique never --dataplane none --dpd-delay 0 --cookie-threshold 100000 \
  --half-open-limit 0 --half-open-limit-per-ip 0 --control-socket "$W/ctl.sock" \
  > "$W/responder.jsonl" 2> "$W/responder.err" &
RPID=$!
PIDS+=($RPID)
wait_line "$W/responder.jsonl" '"started"' 10 "$RPID" || fail "ike-up did not start"
grep '"started"' "$W/responder.jsonl" | grep -q '"threads":2' || fail "started: threads is not 2"

ip netns exec "$L" "$IKE_BENCH" handshake --mode udp --target "$RO" --psk-file "$W/psk" \
  --count 200 --concurrency 32 > "$W/bench.json" 2> "$W/bench.err" || fail "ike-bench handshake"
"$IKECTL" --socket "$W/ctl.sock" --timeout 5s list-sas > "$W/sas.json" || fail "ikectl list-sas"
"$IKECTL" --socket "$W/ctl.sock" --timeout 5s status > "$W/status.json" || fail "ikectl status"

python3 - "$W/bench.json" "$W/sas.json" "$W/status.json" <<'EOP' || fail "SA ownership"
import json, sys
bench = json.load(open(sys.argv[1]))
results = bench.get("results", [bench])
done = sum(r.get("completed", 0) for r in results)
assert done == 200, f"ike-bench completed {done} of 200"
sas = json.load(open(sys.argv[2]))["result"]["ike_sas"] if "result" in json.load(open(sys.argv[2])) else json.load(open(sys.argv[2]))["ike_sas"]
established = [s for s in sas if s["state"] == "established"]
assert len(established) >= 200, f"list-sas shows {len(established)} established IKE SAs"
for s in established:
    engine = (s["sa"] - 1) % 2
    assert int(s["spi_r"][:2], 16) % 2 == engine, f"SA {s['sa']}: SPIr {s['spi_r']} not of engine {engine}"
per_engine = [sum(1 for s in established if (s["sa"] - 1) % 2 == e) for e in (0, 1)]
assert min(per_engine) > 0, f"one engine took every SA: {per_engine}"
st = json.load(open(sys.argv[3]))
st = st.get("result", st)
assert st["counters"]["ike_sas_established"] >= 200, st["counters"]
assert st["counters"]["dropped"]["handoff_full"] == 0, st["counters"]["dropped"]
print("ok: 200 handshakes; list-sas shows", len(established), "IKE SAs, per engine", per_engine)
EOP

kill -TERM "$RPID"
wait "$RPID"
RC=$?
PIDS=()
[ "$RC" = 0 ] || fail "ike-up exited $RC"
echo "ok: clean exit"

# --threads auto (the default): one engine per online core for a configuration that can
# be split; one, with an info line saying why, for one that cannot (--unique no).
auto_threads() { # EXPECTED_THREADS EXTRA_ARGS...
  local want=$1 out=$W/auto-$1.jsonl err=$W/auto-$1.err
  shift
  ip netns exec "$R" "$IKE_UP" --name auto --role responder --local "$RO" --psk-file "$W/psk" \
    --dataplane none --control-socket none "$@" > "$out" 2> "$err" &
  local pid=$!
  PIDS=($pid)
  wait_line "$out" '"started"' 10 "$pid" || fail "ike-up $* did not start"
  grep '"started"' "$out" | grep -q "\"threads\":$want[,}]" || fail "ike-up $*: threads is not $want"
  kill -TERM "$pid"
  wait "$pid"
  PIDS=()
}
CORES=$(getconf _NPROCESSORS_ONLN)
[ "$CORES" -gt 64 ] && CORES=64
auto_threads "$CORES" --unique never
auto_threads 1 --unique no
if [ "$CORES" -gt 1 ]; then
  grep -q 'info: --threads auto: 1 engine, as several cannot serve .*unique no' "$W/auto-1.err" ||
    fail "no info line for --threads auto with --unique no: $(cat "$W/auto-1.err")"
fi
echo "ok: --threads auto is $CORES engines, 1 with --unique no"
