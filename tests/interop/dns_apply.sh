#!/bin/bash
# dns_apply.sh IKE_UP IKECTL - ike-up --request-vip --dns-apply auto (issue 15) in two
# namespaces: a client (ike-up initiator, TUN data plane, its own resolv.conf through
# /etc/netns/<client>/resolv.conf pointing at an "ISP" resolver) and a server (ike-up
# responder with --pool and --dns). Two dnsmasq resolvers answer the same name
# differently: the inside one on the server's lo behind the tunnel (the address the
# server pushes), the ISP one on the server's outer address.
# Checks:
#   - before the tunnel the client gets the ISP's answer;
#   - dns_applied says method file on /etc/resolv.conf, rewritten in place (same inode),
#     the state file is 0600; the client now gets the inside answer, and the capture on
#     its outer link holds ESP but no DNS packet in clear;
#   - ikectl terminate (the Child SA goes down): resolv.conf byte for byte as before;
#   - SIGTERM: restored byte for byte, dns_restored said so;
#   - SIGKILL leaves it applied; the next start repairs it (dns_restored reason
#     stale_state naming the killed pid) and restores it again at its own exit.
# Exit 0 pass, 1 fail, 77 skip.
set -u
IKE_UP=$1 IKECTL=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/test.sh"
. "$HERE/lib/netns.sh"
test_need_root
test_need ip getent dnsmasq python3 dumpcap tshark
[ -e /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

P=ikdns C=ikdns-c S=ikdns-s
CO=172.19.0.1 SO=172.19.0.2 ISP=172.19.0.99 INSIDE_DNS=172.19.2.53 POOL=172.19.99.0/24
NAME=vpn.ikekit.test INSIDE_ANSWER=198.18.0.1 ISP_ANSWER=198.18.0.2
NETNS_ETC=/etc/netns/$C
W=$(mktemp -d /tmp/ikekit-dns.XXXXXX)
PIDS=()
made_etc_netns=0
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
test_stop() {
  stop_pids "${PIDS[@]}"
  [ -n "${STATE:-}" ] && rm -f "$STATE"
  netns_pair_down "$C" "$S"
  rm -rf "$NETNS_ETC"
  [ $made_etc_netns = 1 ] && rmdir /etc/netns 2>/dev/null
  return 0
}
test_logs() { tail_logs 15 "$W"/*.jsonl "$W"/*.err "$W"/*.txt; }
test_trap "$W"

[ -e "$NETNS_ETC" ] && { echo "SKIP: $NETNS_ETC exists (another run?)"; exit 77; }
netns_pair "$C" "$S" "$P-c0" "$P-s0" no-v6 || fail "veth"
ip -n "$C" addr add "$CO/24" dev "$P-c0"
ip -n "$S" addr add "$SO/24" dev "$P-s0"
ip -n "$S" addr add "$ISP/24" dev "$P-s0"
ip -n "$S" addr add "$INSIDE_DNS/32" dev lo
ip -n "$C" link set "$P-c0" up
ip -n "$S" link set "$P-s0" up

# The client namespace's own resolv.conf: odd on purpose (comment, options, CRLF, no
# final newline) so "byte for byte" means something.
[ -d /etc/netns ] || made_etc_netns=1
mkdir -p "$NETNS_ETC"
printf '# the ISP'"'"'s resolver\r\nnameserver %s\noptions timeout:1 attempts:1\nsearch isp.example' "$ISP" > "$NETNS_ETC/resolv.conf"
cp "$NETNS_ETC/resolv.conf" "$W/original"
INODE=$(stat -c %i "$NETNS_ETC/resolv.conf")
STATE=/run/ikekit/dns-file-$(stat -c %d-%i "$NETNS_ETC/resolv.conf").state

resolver() { # resolver ADDRESS ANSWER
  ip netns exec "$S" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --pid-file= \
    --bind-interfaces --listen-address="$1" --address="/$NAME/$2" --log-queries \
    --log-facility=- > "$W/dnsmasq-$1.txt" 2>&1 &
  PIDS+=($!)
}
resolver "$INSIDE_DNS" "$INSIDE_ANSWER"
resolver "$ISP" "$ISP_ANSWER"
lookup() { ip netns exec "$C" getent hosts "$NAME" | awk '{print $1}'; }
for _ in $(seq 30); do [ "$(lookup)" = "$ISP_ANSWER" ] && break; sleep 0.1; done
[ "$(lookup)" = "$ISP_ANSWER" ] || fail "before the tunnel: $NAME is '$(lookup)', expected the ISP's $ISP_ANSWER"
ok "before the tunnel the client gets the ISP's answer"

make_psk "$W/psk"
common=(--name dns --psk-file "$W/psk" --dataplane tun --ike-proposal aes256gcm16-prfsha256-x25519
        --esp-proposal aes256gcm16 --dpd-delay 0 --retransmit-timeout 1s)
ip netns exec "$S" "$IKE_UP" --role responder --local "$SO" --local-id server@dns \
  --remote-id client@dns --local-ts 172.19.2.0/24 --pool "$POOL" --dns "$INSIDE_DNS" \
  "${common[@]}" --control-socket none > "$W/server.jsonl" 2> "$W/server.err" &
PIDS+=($!)

CLIENT=
start_client() { # start_client RUN
  ip netns exec "$C" "$IKE_UP" --role initiator --local "$CO" --remote "$SO" \
    --local-id client@dns --remote-id server@dns --remote-ts 172.19.2.0/24 --request-vip \
    --dns-apply auto "${common[@]}" --control-socket "$W/client$1.sock" \
    > "$W/client$1.jsonl" 2> "$W/client$1.err" &
  CLIENT=$!
  PIDS+=("$CLIENT")
}
same_as_original() { cmp -s "$W/original" "$NETNS_ETC/resolv.conf"; }

# Run 1: applied with the tunnel, nothing in clear, restored when the Child SA goes.
netns_capture "$C" "$P-c0" "$W/cap.pcap"
CAP=$CAPTURE_PID
PIDS+=("$CAP")
sleep 0.2
start_client 1
wait_line "$W/client1.jsonl" '"type":"dns_applied"' || fail "run 1: no dns_applied"
python3 - "$W/client1.jsonl" "$INSIDE_DNS" <<'PY' || fail "run 1: events"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines[0]["type"] == "started" and lines[0]["dns_apply"] == "file", lines[0]
a = next(l for l in lines if l["type"] == "dns_applied")
assert a["method"] == "file" and a["file"] == "/etc/resolv.conf", a
assert a["servers"] == [sys.argv[2]] and a["link"] is None and a["conn"] == "dns", a
assert a["outside_tunnel"] == [], a # 172.19.2.53 is inside --remote-ts 172.19.2.0/24
up = next(l for l in lines if l["type"] == "child_sa_up")
assert up["dns"] == [sys.argv[2]] and up["virtual_ips"] == ["172.19.99.1"], up
assert not any(l["type"] in ("dns_restored", "dns_error") for l in lines), lines
PY
grep -qx "nameserver $INSIDE_DNS" "$NETNS_ETC/resolv.conf" || fail "resolv.conf: $(cat "$NETNS_ETC/resolv.conf")"
grep -q "$ISP" "$NETNS_ETC/resolv.conf" && fail "the ISP's resolver is still in resolv.conf"
[ "$(stat -c %i "$NETNS_ETC/resolv.conf")" = "$INODE" ] || fail "resolv.conf was replaced, not rewritten in place"
[ "$(stat -c %a "$STATE" 2>/dev/null)" = 600 ] || fail "state file $STATE: $(ls -l "$STATE" 2>&1)"
ok "dns_applied: the namespace's resolv.conf rewritten in place, state file 0600"

answer=$(lookup)
[ "$answer" = "$INSIDE_ANSWER" ] || fail "with the tunnel: $NAME is '$answer', expected the inside $INSIDE_ANSWER"
grep -q "query.*$NAME from 172.19.99.1" "$W/dnsmasq-$INSIDE_DNS.txt" ||
  fail "the inside resolver saw no query from the virtual IP"
sleep 0.3
kill -TERM "$CAP"; wait "$CAP" 2>/dev/null
tshark -r "$W/cap.pcap" -Y "dns || udp.port == 53 || tcp.port == 53" > "$W/clear-dns.txt" 2>/dev/null
esp=$(tshark -r "$W/cap.pcap" -Y "esp && ip.dst == $SO" 2>/dev/null | wc -l)
[ -s "$W/clear-dns.txt" ] && fail "DNS in clear on the outer link: $(head -3 "$W/clear-dns.txt")"
[ "$esp" -gt 0 ] || fail "no ESP to the server in the capture (did the query go anywhere?)"
ok "the client gets the inside answer; the outer link holds $esp ESP packets to the server and no DNS"

ip netns exec "$C" "$IKECTL" --socket "$W/client1.sock" terminate --ike dns --wait > "$W/terminate.txt" 2>&1 ||
  fail "ikectl terminate: $(cat "$W/terminate.txt")"
wait_line "$W/client1.jsonl" '"type":"dns_restored"' || fail "run 1: no dns_restored after the Child SA went down"
same_as_original || fail "after the Child SA went down resolv.conf is not as it was"
grep -q '"type":"dns_restored".*"reason":"child_sa_down"' "$W/client1.jsonl" || fail "run 1: reason not child_sa_down"
[ -e "$STATE" ] && fail "state file left after the restore"
kill -INT "$CLIENT"; wait "$CLIENT"
same_as_original || fail "resolv.conf changed at exit"
ok "Child SA down: resolv.conf byte for byte as before, state file gone"

# Run 2: SIGTERM.
start_client 2
wait_line "$W/client2.jsonl" '"type":"dns_applied"' || fail "run 2: no dns_applied"
same_as_original && fail "run 2: resolv.conf unchanged while applied"
kill -TERM "$CLIENT"; wait "$CLIENT"
same_as_original || fail "after SIGTERM resolv.conf is not as it was"
grep -q '"type":"dns_restored"' "$W/client2.jsonl" || fail "run 2: no dns_restored"
ok "SIGTERM: restored byte for byte"

# Run 3: SIGKILL leaves it; run 4 repairs it at start.
start_client 3
wait_line "$W/client3.jsonl" '"type":"dns_applied"' || fail "run 3: no dns_applied"
KILLED=$CLIENT
kill -KILL "$CLIENT"; wait "$CLIENT" 2>/dev/null
same_as_original && fail "SIGKILL: resolv.conf restored (nothing left to repair?)"
[ -e "$STATE" ] || fail "SIGKILL: no state file left"
start_client 4
wait_line "$W/client4.jsonl" '"reason":"stale_state"' || fail "run 4: no stale_state repair"
python3 - "$W/client4.jsonl" "$KILLED" "$INSIDE_DNS" <<'PY' || fail "run 4: stale repair event"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
r = next(l for l in lines if l["type"] == "dns_restored")
assert r["reason"] == "stale_state" and r["stale_pid"] == int(sys.argv[2]), r
assert r["method"] == "file" and r["servers"] == [sys.argv[3]] and r["file_changed"] is False, r
types = [l["type"] for l in lines]
if "ike_sa_up" in types: # repaired before the first IKE packet went out
    assert types.index("dns_restored") < types.index("ike_sa_up"), types
PY
wait_line "$W/client4.jsonl" '"type":"dns_applied"' || fail "run 4: no dns_applied"
kill -TERM "$CLIENT"; wait "$CLIENT"
same_as_original || fail "after run 4 resolv.conf is not as it was"
[ -e "$STATE" ] && fail "run 4: state file left"
ok "SIGKILL left it applied; the next start repaired it (stale_state, pid $KILLED) and restored at exit"
echo PASS
