#!/bin/bash
# ikectl_pair.sh IKECTL IKE_UP
# Two ike-up daemons (PSK; left initiator IA_NET.0.1, right responder IA_NET.0.2) in two
# network namespaces, each with a control socket, driven with ikectl:
#   list-sas agrees with the events the daemons printed (IKE and ESP SPIs, both ends);
#   status counts the messages; rekey --child --wait changes the ESP SPIs on both ends;
#   a client that never reads (a stuck monitor) and one that never sends do not stall the
#   daemon; bad and oversized request lines get error answers; monitor shows the events
#   of terminate --wait (deleted on both ends) and initiate --wait; load adds (and
#   initiates) a connection; unload deletes its IKE SA on both ends and removes it; the
#   responder's connection unloaded and loaded again from a file is accepted again; a
#   missing socket is exit 3 naming the path.
# Exit 0 pass, 1 fail, 77 skip (not root).
set -u
IKECTL=$1 IKE_UP=$2
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
for t in ip python3; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done

export NS_PREFIX=ictl IA_NET=10.231
. "$HERE/../interop/lib/netns.sh"

UP=$IKE_UP

W=$(mktemp -d /tmp/ikekit-ikectl.XXXXXX)
PIDS=()
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
  local rc=$? p
  trap - EXIT
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  netns_down
  if [ $rc -ne 0 ]; then
    for f in left.jsonl right.jsonl left.err right.err monitor.jsonl; do echo "--- $f"; tail -30 "$W/$f" 2>/dev/null; done
    [ -n "${KEEP_DIR:-}" ] && cp -a "$W" "$KEEP_DIR"
  fi
  rm -rf "$W"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM
netns_up || fail "namespace setup"
L=$IA_NET.0.1 R=$IA_NET.0.2
LS=$W/left.sock RS=$W/right.sock
ctl() { local s=$1; shift; "$IKECTL" --socket "$s" --timeout 20s "$@"; }

printf 'ikekit-ikectl-test-psk-0123456789\n' > "$W/psk"
chmod 600 "$W/psk" # ike-up refuses a PSK others may read
conn() {  # conn NAME ROLE LOCAL REMOTE LTS RTS
  cat <<EOC
{"name":"$1","role":"$2","local":"$3","remote":"$4","psk_file":"$W/psk",
 "local_id":"$3","remote_id":"$4","ike_proposal":"aes256gcm16-prfsha256-x25519","esp_proposal":"aes256gcm16",
 "local_ts":["$5"],"remote_ts":["$6"],"dpd_delay":"0"}
EOC
}
echo "{\"retransmit_timeout\":\"1s\",\"retransmit_tries\":3,\"connections\":[$(conn home initiator $L $R $IA_NET.1.0/24 $IA_NET.2.0/24)]}" > "$W/left.json"
echo "{\"retransmit_timeout\":\"1s\",\"retransmit_tries\":3,\"connections\":[$(conn gw responder $R $L $IA_NET.2.0/24 $IA_NET.1.0/24)]}" > "$W/right.json"

ip netns exec "$NS_RIGHT" "$UP" --config "$W/right.json" --control-socket "$RS" > "$W/right.jsonl" 2> "$W/right.err" &
PIDS+=($!)
for i in $(seq 1 50); do [ -S "$RS" ] && break; sleep 0.1; done
[ -S "$RS" ] || fail "right daemon has no control socket"
ip netns exec "$NS_LEFT" "$UP" --config "$W/left.json" --control-socket "$LS" > "$W/left.jsonl" 2> "$W/left.err" &
PIDS+=($!)
LEFT_PID=$!

wait_for() {  # wait_for FILE TYPE COUNT SECONDS
  local i
  for i in $(seq 1 $(($4 * 10))); do
    [ "$(grep -c "\"type\":\"$2\"" "$1" 2>/dev/null)" -ge "$3" ] && return 0
    sleep 0.1
  done
  return 1
}
wait_for "$W/left.jsonl" child_sa_up 1 15 || fail "no child_sa_up on the left"
wait_for "$W/right.jsonl" child_sa_up 1 5 || fail "no child_sa_up on the right"
[ "$(stat -c %a "$LS")" = 600 ] || fail "control socket mode $(stat -c %a "$LS"), expected 600"

# 1. list-sas matches the events on both ends.
ctl "$LS" list-sas > "$W/left-sas.json" || fail "ikectl list-sas (left) exited $?"
ctl "$RS" list-sas > "$W/right-sas.json" || fail "ikectl list-sas (right) exited $?"
python3 - "$W" <<'EOP' || fail "list-sas disagrees with the events"
import json, sys
w = sys.argv[1]
ev = lambda side: [json.loads(l) for l in open(f"{w}/{side}.jsonl") if l.startswith("{")]
for side, other in (("left", "right"), ("right", "left")):
    doc = json.load(open(f"{w}/{side}-sas.json"))
    assert doc["schema"] == "ikekit.ikectl.list-sas/1", doc
    sas = doc["ike_sas"]
    assert len(sas) == 1, sas
    sa = sas[0]
    up = next(e for e in ev(side) if e["type"] == "ike_sa_up")
    child = next(e for e in ev(side) if e["type"] == "child_sa_up")
    assert sa["state"] == "established", sa
    assert (sa["spi_i"], sa["spi_r"]) == (up["spi_i"], up["spi_r"]), (sa, up)
    assert sa["sa"] == up["sa"] and sa["conn"] == up["conn"], (sa, up)
    c = sa["children"][0]
    assert (c["spi_in"], c["spi_out"]) == (child["spi_in"], child["spi_out"]), (c, child)
    peer = json.load(open(f"{w}/{other}-sas.json"))["ike_sas"][0]["children"][0]
    assert c["spi_in"] == peer["spi_out"], (c, peer)
    assert (sa["local_auth"], sa["remote_auth"]) == ("psk", "psk"), sa
    assert (sa["nat_local"], sa["nat_remote"]) == (up["nat_local"], up["nat_remote"]), (sa, up)
    assert "reauth_in_s" in sa and sa["reauth_in_s"] is None, sa
    dataplane = next(e for e in ev(side) if e["type"] == "started")["dataplane"]
    for k in ("bytes_in", "packets_in", "bytes_out", "packets_out"):
        assert k in c and (c[k] is None) == (dataplane == "none"), (k, c, dataplane)
    assert "last_used" in c, c
    print(f"{side}: list-sas agrees: IKE {sa['spi_i']}_i {sa['spi_r']}_r, ESP in {c['spi_in']} out {c['spi_out']}")
EOP

# 2. status counts the messages and SAs.
ctl "$LS" status > "$W/status.json" || fail "ikectl status exited $?"
python3 - "$W/status.json" <<'EOP' || fail "status"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["schema"] == "ikekit.ikectl.status/1", s
assert s["ike_sas"]["established"] == 1 and s["child_sas"] == 1, s
assert s["counters"]["ike_messages_out"] >= 2 and s["counters"]["ike_messages_in"] >= 2, s
assert any(a.endswith(":500") for a in s["listening"]), s
print("status:", s["version"], "in", s["counters"]["ike_messages_in"], "out", s["counters"]["ike_messages_out"])
EOP
ctl "$LS" --text list-sas | grep -q "established" || fail "list-sas --text shows no established SA"
ctl "$LS" --text status | grep -q "^listening" || fail "status --text"
ctl "$LS" list-conns | grep -q '"name":"home"' || fail "list-conns lacks home"
ctl "$LS" list-conns | grep -q "ikekit-ikectl-test-psk" && fail "list-conns shows the PSK"

# 3. rekey --child changes the ESP SPIs on both ends.
OLD_IN=$(python3 -c "import json;print(json.load(open('$W/left-sas.json'))['ike_sas'][0]['children'][0]['spi_in'])")
ctl "$LS" rekey --child "$OLD_IN" --wait > "$W/rekey.jsonl"; rc=$?
[ $rc -eq 0 ] || fail "rekey --child --wait exited $rc: $(tail -1 "$W/rekey.jsonl")"
sleep 0.5
ctl "$LS" list-sas > "$W/left-sas2.json" && ctl "$RS" list-sas > "$W/right-sas2.json" || fail "list-sas after rekey"
python3 - "$W" "$OLD_IN" <<'EOP' || fail "rekey did not change the SPIs on both ends"
import json, sys
w, old = sys.argv[1], sys.argv[2]
l = json.load(open(f"{w}/left-sas2.json"))["ike_sas"][0]["children"]
r = json.load(open(f"{w}/right-sas2.json"))["ike_sas"][0]["children"]
assert len(l) == 1 and len(r) == 1, (l, r)
assert l[0]["spi_in"] != old, (l, old)
assert l[0]["spi_in"] == r[0]["spi_out"] and l[0]["spi_out"] == r[0]["spi_in"], (l, r)
lines = [json.loads(x) for x in open(f"{w}/rekey.jsonl")]
assert lines[-1] == {"type": "done", "ok": True, "error": None}, lines[-1]
print(f"rekey: ESP in {old} -> {l[0]['spi_in']}, paired with the right's out")
EOP

# 4. Clients that never read / never send do not stall the daemon.
python3 - "$LS" > "$W/stuck.log" 2>&1 <<'EOP' &
import socket, sys, time
stuck = socket.socket(socket.AF_UNIX); stuck.connect(sys.argv[1])
stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
stuck.sendall(b'{"id":1,"command":"monitor"}\n')   # then never reads
idle = socket.socket(socket.AF_UNIX); idle.connect(sys.argv[1])  # never sends, never reads
# many requests without reading the answers: the backlog grows until the server drops us
flood = socket.socket(socket.AF_UNIX); flood.connect(sys.argv[1]); flood.setblocking(False)
req = b'{"id":2,"command":"list-conns"}\n' * 1000
sent = 0
try:
    for _ in range(2000):
        try: sent += flood.send(req)
        except BlockingIOError: time.sleep(0.01)
except (BrokenPipeError, ConnectionResetError):
    print("flood client dropped after", sent, "bytes")
time.sleep(30)
EOP
PIDS+=($!)
sleep 2
timeout 5 "$IKECTL" --socket "$LS" --timeout 3s status > /dev/null || fail "status does not answer while clients never read"

# 5. Bad lines get error answers and the daemon goes on.
python3 - "$LS" <<'EOP' || fail "bad requests"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rb")
assert json.loads(f.readline())["type"] == "hello"
s.sendall(b'{not json\n' + b'{"id":7,"command":"launch"}\n' + b'x' * (70 * 1024) + b'\n{"id":8,"command":"status"}\n')
got = [json.loads(f.readline()) for _ in range(4)]
assert got[0]["error"]["field"] == "line", got[0]
assert got[1]["id"] == 7 and got[1]["error"]["field"] == "command", got[1]
assert got[2]["error"]["code"] == "bad_length", got[2]
assert got[3]["id"] == 8 and got[3]["ok"] is True, got[3]
print("bad lines answered:", [g.get("error", {}).get("code") for g in got[:3]])
EOP

# 6. monitor shows terminate (deleted on both ends) and initiate.
"$IKECTL" --socket "$LS" monitor > "$W/monitor.jsonl" 2>"$W/monitor.err" &
MON=$!; PIDS+=($MON)
sleep 0.5
ctl "$LS" terminate --ike home --wait > "$W/terminate.jsonl" || fail "terminate --ike --wait exited $?"
sleep 0.5
ctl "$LS" list-sas | grep -q '"ike_sas":\[\]' || fail "left still lists an IKE SA after terminate"
ctl "$RS" list-sas | grep -q '"ike_sas":\[\]' || fail "right still lists an IKE SA after the left's terminate"
ctl "$LS" initiate home --wait > "$W/initiate.jsonl" || fail "initiate --wait exited $?"
sleep 0.3
kill -TERM $MON 2>/dev/null; wait $MON 2>/dev/null  # (a background job ignores SIGINT)
python3 - "$W" <<'EOP' || fail "monitor did not show terminate and initiate"
import json, sys
w = sys.argv[1]
m = [json.loads(l) for l in open(f"{w}/monitor.jsonl")]
assert m[0]["type"] == "monitor" and m[0]["schema"] == "ikekit.ikectl.monitor/1", m[0]
types = [e["type"] for e in m[1:]]
i = types.index("ike_sa_down")
assert "ike_sa_up" in types[i:] and "child_sa_up" in types[i:], types
ini = [json.loads(l) for l in open(f"{w}/initiate.jsonl")]
assert ini[0]["type"] == "initiate" and ini[-1]["ok"] is True, ini
print("monitor:", types)
EOP

# 7. A responder connection unloaded (the peer sees the Delete) and loaded again from a
#    file is accepted again; load adds (and initiates) a connection; unload deletes its
#    IKE SA on both ends and removes it.
LEFT_DOWN=$(grep -c '"type":"ike_sa_down"' "$W/left.jsonl")
ctl "$RS" unload gw --wait > "$W/unload-gw.jsonl" || fail "right: unload gw --wait exited $?"
wait_for "$W/left.jsonl" ike_sa_down $((LEFT_DOWN + 1)) 5 || fail "the left did not see the right's unload"
ctl "$RS" list-conns | grep -q '"connections":\[\]' || fail "right: list-conns after unload gw"
echo "{\"connections\":[$(conn gw responder $R $L $IA_NET.2.0/24 $IA_NET.1.0/24)]}" > "$W/gw.json"
ctl "$RS" load --config "$W/gw.json" > "$W/load-gw.json" || fail "right: load gw exited $?"
grep -q '"name":"gw","replaced":false,"initiated":false,"sa":null' "$W/load-gw.json" || fail "load gw: $(cat "$W/load-gw.json")"
ctl "$LS" initiate home --wait > "$W/initiate2.jsonl" || fail "initiate after the responder reloaded gw exited $?"
ctl "$RS" list-sas --ike gw | grep -q '"state":"established"' || fail "right: no established SA of the reloaded gw"
# (second sends INITIAL_CONTACT with home's identities: the right drops home's SA.)
echo "{\"connections\":[$(conn second initiator $L $R $IA_NET.1.0/24 $IA_NET.2.0/24)]}" > "$W/second.json"
ctl "$LS" load --config "$W/second.json" > "$W/load.json" || fail "load exited $?"
grep -q '"name":"second","replaced":false,"initiated":true' "$W/load.json" || fail "load: $(cat "$W/load.json")"
ctl "$LS" list-conns | grep -q '"name":"second"' || fail "list-conns lacks the loaded connection"
for i in $(seq 1 50); do
  ctl "$LS" list-sas --ike second | grep -q '"state":"established"' && break; sleep 0.1
done
ctl "$LS" list-sas --ike second | grep -q '"state":"established"' || fail "the loaded connection did not come up"
sleep 0.3  # the right's INITIAL_CONTACT ike_sa_down is printed by then
RIGHT_DOWN=$(grep -c '"type":"ike_sa_down"' "$W/right.jsonl")
ctl "$LS" unload second --wait > "$W/unload.jsonl" || fail "unload --wait exited $?: $(tail -1 "$W/unload.jsonl")"
ctl "$LS" list-conns | grep -q '"name":"second"' && fail "list-conns still shows the unloaded connection"
ctl "$LS" list-sas > "$W/left-sas3.json" || fail "list-sas after unload"
python3 - "$W" <<'EOP' || fail "list-sas after unload"
import json, sys
w = sys.argv[1]
sas = json.load(open(f"{w}/left-sas3.json"))["ike_sas"]
assert [s["conn"] for s in sas] == ["home"], sas
u = [json.loads(l) for l in open(f"{w}/unload.jsonl")]
assert u[0]["type"] == "unload" and u[0]["name"] == "second" and len(u[0]["targets"]) == 1, u[0]
assert u[-1] == {"type": "done", "ok": True, "error": None}, u[-1]
print("unload: second gone; left lists", [s["conn"] for s in sas])
EOP
wait_for "$W/right.jsonl" ike_sa_down $((RIGHT_DOWN + 1)) 5 || fail "the right did not see the unload's Delete"
grep '"type":"ike_sa_down"' "$W/right.jsonl" | tail -1 | grep -q '"reason":"deleted by peer"' ||
  fail "right: $(grep '"type":"ike_sa_down"' "$W/right.jsonl" | tail -1)"
ctl "$LS" unload second > /dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || fail "unload of an unknown connection exited $rc, expected 1 (not_found)"

echo "load/unload: initiator and responder connections added and removed at run time"

# 8. A missing socket is exit 3.
"$IKECTL" --socket "$W/none.sock" status > /dev/null 2> "$W/missing.err"; rc=$?
[ $rc -eq 3 ] || fail "missing socket: exit $rc, expected 3"
grep -q "$W/none.sock" "$W/missing.err" || fail "missing socket: the path is not in the message"

kill -0 "$LEFT_PID" 2>/dev/null || fail "the left daemon died"
echo "PASS"
