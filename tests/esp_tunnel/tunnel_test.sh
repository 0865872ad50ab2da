#!/bin/bash
# tunnel_test.sh ESP_TUNNEL SCENARIO [ARG] - esp-tunnel between two network
# namespaces (see lib.sh). Scenarios:
#   ping SUITE [udp|esp]  ping through the tunnel; capture the veth and let tshark
#                         decrypt the ESP with an esp_sa table (AES suites) and find
#                         the ICMP inside: wire-format proof against Wireshark; with
#                         aes128gcm16 over UDP also that an idle esp-tunnel sleeps (its
#                         main thread wakes for nothing in 1 s without traffic)
#   keys SUITE            the same, with both sides reading an ikekit key log (--keys)
#   iperf SUITE           an iperf3 TCP stream through the tunnel carries data
#   replay                captured ESP re-sent to the receiver is dropped as replay
#   restart               left restarts (clean exit, then kill -9) while right runs on:
#                         its sequence numbers go on from the state file, so right's
#                         replay window accepts them and no (SPI, sequence number), i.e.
#                         no GCM nonce, is ever sent twice; --keys-are-fresh is refused
#                         for keys with a state and keeps none for new ones
#   ipv6 SUITE            IPv6 outer addresses, IPv4 and IPv6 inner: ping and iperf3
#   xfrm                  --backend xfrm: exit 3 naming CONFIG_INET_ESP on a kernel
#                         without ESP, or runs and cleans up on one with it
# Exit 0 pass, 1 fail, 77 skip ("SKIP: reason").
set -u
BIN=$1 SCENARIO=$2 ARG=${3:-} ARG2=${4:-}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

ping_and_check() {
  ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 "$R_IN" >"$WORK/ping.out" 2>&1 ||
    fail "ping $R_IN through the tunnel: $(cat "$WORK/ping.out")"
  ok "ping through the tunnel ($1)"
}

tshark_check() {
  [ -z "$WS_ENCR" ] && { ok "tshark check skipped: Wireshark has no $CIPHER ESP decryption"; return; }
  command -v tshark >/dev/null || { ok "tshark not installed: wire check skipped"; return; }
  write_wireshark_dir "$WORK/ws"
  local esp icmp
  esp=$(tshark -r "$WORK/cap.pcap" -Y esp 2>/dev/null | wc -l)
  icmp=$(WIRESHARK_CONFIG_DIR="$WORK/ws" tshark -r "$WORK/cap.pcap" -Y "esp && icmp" 2>/dev/null | wc -l)
  [ "$esp" -ge 6 ] || fail "expected >= 6 ESP packets on the wire, tshark saw $esp"
  [ "$icmp" -ge 6 ] || fail "tshark decrypted $icmp ICMP packets out of $esp ESP with the esp_sa table"
  local bad
  bad=$(WIRESHARK_CONFIG_DIR="$WORK/ws" tshark -r "$WORK/cap.pcap" -Y "esp && _ws.expert.severity >= warning" 2>/dev/null | wc -l)
  [ "$bad" = 0 ] || fail "tshark flagged $bad ESP packets (ICV or padding)"
  ok "tshark decrypted $icmp ICMP packets in $esp ESP packets ($CIPHER${INTEG:+/$INTEG}, authentication checked)"
}

# voluntary_switches PID [TID]: the voluntary context switches (sleeps) of one thread
# of that process, or of all of them.
voluntary_switches() {
  awk '/^voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }' /proc/"$1"/task/"${2:-*}"/status
}

# idle_check SIDE: that esp-tunnel's main thread sleeps until something happens (a
# signal, a stats deadline, a data plane notice): over 1 s without traffic it may
# wake a couple of times at most (it woke every 100 ms before).
idle_check() {
  local pid main0 all0 main1 all1
  pid=$(eval echo "\$${1^^}_PID")
  main0=$(voluntary_switches "$pid" "$pid")
  all0=$(voluntary_switches "$pid")
  sleep 1
  main1=$(voluntary_switches "$pid" "$pid")
  all1=$(voluntary_switches "$pid")
  [ $((main1 - main0)) -le 2 ] ||
    fail "idle $1 esp-tunnel's main thread woke $((main1 - main0)) times in 1 s"
  ok "idle $1 esp-tunnel slept: main thread woke $((main1 - main0)) times in 1 s, all threads $((all1 - all0))"
}

case "$SCENARIO" in
  ping)
    require_root_tools ping dumpcap
    setup_namespaces
    make_keys "$ARG"
    encap=--udp-encap
    [ "$ARG2" = esp ] && encap=--no-udp-encap
    # shellcheck disable=SC2046
    start_tunnel left $(key_args left) $encap --stats-interval 1s
    # shellcheck disable=SC2046
    start_tunnel right $(key_args right) $encap
    start_capture
    ping_and_check "$ARG ${ARG2:-udp}"
    stop_capture
    [ "$ARG" = aes128gcm16 ] && [ "${ARG2:-udp}" = udp ] && idle_check right
    stats_now left
    [ "$(last_stats left in.packets)" -ge 3 ] || fail "left stats: in.packets < 3"
    [ "$(last_stats left out.packets)" -ge 3 ] || fail "left stats: out.packets < 3"
    if [ "$ARG2" = esp ]; then
      n=$(tshark -r "$WORK/cap.pcap" -Y "ip.proto == 50 && !udp" 2>/dev/null | wc -l)
      [ "$n" -ge 6 ] || fail "expected raw ESP (IP protocol 50) on the wire, saw $n"
      ok "raw ESP (protocol 50) on the wire: $n packets"
    else
      n=$(tshark -r "$WORK/cap.pcap" -Y "udp.port == 4500 && esp" 2>/dev/null | wc -l)
      [ "$n" -ge 6 ] || fail "expected ESP in UDP 4500 on the wire, saw $n"
      ok "ESP in UDP 4500 on the wire: $n packets"
    fi
    tshark_check
    stop_tunnel left
    stop_tunnel right
    grep -q '"encapsulation"' "$WORK/left.out" || fail "started line lacks encapsulation"
    if grep -qi "$EK_LR\|$EK_RL" "$WORK/left.out" "$WORK/right.out"; then fail "a key appeared in the output"; fi
    ok "clean exit on SIGTERM with a final stats line; no key in the output"
    ;;
  keys)
    require_root_tools ping
    setup_namespaces
    make_keys "$ARG"
    # An ikekit key log (ikekit-json(7)), as ike-up --keylog writes it.
    jstr() { if [ -n "$1" ]; then echo "\"$1\""; else echo null; fi; }
    line() {  # SPI SRC DST EKEY IKEY
      echo "{\"type\":\"child_sa\",\"spi\":\"$1\",\"src\":\"$2\",\"dst\":\"$3\",\"protocol\":\"esp\",\"encr\":\"$CIPHER\",\"integ\":$(jstr "$INTEG"),\"encr_key\":\"$4\",\"integ_key\":$(jstr "$5")}"
    }
    {
      line "$SPI_LR" "$L_OUT" "$R_OUT" "$EK_LR" "$IK_LR"
      line "$SPI_RL" "$R_OUT" "$L_OUT" "$EK_RL" "$IK_RL"
    } >"$WORK/keys.jsonl"
    chmod 600 "$WORK/keys.jsonl" # esp-tunnel refuses a key file others may read
    start_tunnel left --keys "$WORK/keys.jsonl"
    start_tunnel right --keys "$WORK/keys.jsonl"
    grep -q "\"encr\":\"$CIPHER\"" "$WORK/left.out" || fail "started line does not name $CIPHER"
    ping_and_check "$ARG from --keys"
    stop_tunnel left
    stop_tunnel right
    ;;
  iperf)
    require_root_tools iperf3
    setup_namespaces
    make_keys "$ARG"
    # shellcheck disable=SC2046
    start_tunnel left $(key_args left)
    # shellcheck disable=SC2046
    start_tunnel right $(key_args right)
    ip netns exec "$RIGHT" iperf3 -s -1 -B "$R_IN" >"$WORK/iperf-server.out" 2>&1 &
    PIDS+=($!)
    wait_iperf_server
    # 1 s is 100 MB and more at the rates these tunnels run (0.5-3 Gbit/s on CI's 2 cores);
    # the checks below need 1 MB and 1,000 packets.
    ip netns exec "$LEFT" iperf3 -c "$R_IN" -t 1 -J >"$WORK/iperf.json" 2>"$WORK/iperf.err" ||
      fail "iperf3 through the tunnel failed: $(tail -5 "$WORK/iperf.json")"
    bytes=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"]))' "$WORK/iperf.json")
    gbps=$(python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e9))' "$WORK/iperf.json")
    [ "$bytes" -gt 1000000 ] || fail "iperf3 carried only $bytes bytes"
    ok "iperf3 TCP through the tunnel ($ARG): $bytes bytes, $gbps Gbit/s"
    stop_tunnel left
    stop_tunnel right
    [ "$(last_stats right in.packets)" -gt 1000 ] || fail "right delivered too few packets"
    # The TCP stream lies within the selectors (RFC 4301 5.2): no inbound selector drop.
    for side in left right; do
      for why in src dst protocol port; do
        [ "$(last_stats $side in.drops.selector_$why)" = 0 ] ||
          fail "$side dropped the stream's packets as outside its selectors ($why)"
      done
    done
    ok "no inbound selector drops on either side"
    ;;
  replay)
    require_root_tools ping dumpcap tshark python3
    setup_namespaces
    make_keys aes256gcm16
    # shellcheck disable=SC2046
    start_tunnel left $(key_args left)
    # shellcheck disable=SC2046
    start_tunnel right $(key_args right)
    start_capture
    ping_and_check "before the replay"
    stop_capture
    # The ESP datagrams left sent to right, as captured (UDP payload = SPI..ICV).
    tshark -r "$WORK/cap.pcap" -Y "ip.src == $L_OUT && udp.dstport == 4500" -T fields -e udp.payload \
      2>/dev/null | grep -v '^$' >"$WORK/esp.hex"
    k=$(wc -l <"$WORK/esp.hex")
    [ "$k" -ge 3 ] || fail "captured only $k ESP datagrams"
    stats_now right
    p0=$(last_stats right in.packets) r0=$(last_stats right in.drops.replay)
    # Re-send each captured datagram to right's port 4500 (from another port: the SA
    # lookup is by SPI, so only the replay window can stop them).
    ip netns exec "$LEFT" python3 - "$WORK/esp.hex" "$R_OUT" <<'PY' || fail "python sender failed"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for line in open(sys.argv[1]):
    s.sendto(bytes.fromhex(line.strip().replace(":", "")), (sys.argv[2], 4500))
PY
    sleep 0.5
    stats_now right
    p1=$(last_stats right in.packets) r1=$(last_stats right in.drops.replay)
    [ "$p1" = "$p0" ] || fail "replayed packets were delivered: in.packets $p0 -> $p1"
    [ "$((r1 - r0))" = "$k" ] || fail "expected $k replay drops, counted $((r1 - r0))"
    ok "$k replayed ESP packets dropped and counted as replay, none delivered"
    ping_and_check "after the replay"
    stop_tunnel left
    stop_tunnel right
    ;;
  restart)
    require_root_tools ping dumpcap tshark python3
    setup_namespaces
    make_keys aes256gcm16
    json_field() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$1" "$2"; }
    # shellcheck disable=SC2046
    start_tunnel right $(key_args right)
    start_capture
    # Run 1: a new SA starts at 1 and records the exact next number on a clean exit.
    # shellcheck disable=SC2046
    start_tunnel left $(key_args left)
    [ "$(json_field "$WORK/left.out" first_seq_out)" = 1 ] || fail "run 1 does not start at 1"
    state=$(json_field "$WORK/left.out" seq_state)
    case "$state" in "$WORK/state-left/$SPI_LR-"*.seq) ;; *) fail "unexpected seq_state $state" ;; esac
    ping_and_check "run 1"
    stop_tunnel left
    sent1=$(last_stats left out.packets)
    next1=$(sed -n 's/^next_seq //p' "$state")
    [ "$next1" = $((sent1 + 1)) ] || fail "after a clean exit next_seq is $next1, expected $((sent1 + 1))"
    ok "run 1 sent $sent1 packets; the state says next_seq $next1"
    # Run 2 goes on at next1; right (still running) accepts it: no replay drops.
    # shellcheck disable=SC2046
    start_tunnel left $(key_args left)
    [ "$(json_field "$WORK/left.out" first_seq_out)" = "$next1" ] || fail "run 2 does not start at $next1"
    stats_now right
    r0=$(last_stats right in.drops.replay)
    ping_and_check "run 2, after a clean restart"
    # A crash (SIGKILL): no clean exit, the file keeps the whole reserved block.
    kill -KILL "$LEFT_PID"; wait "$LEFT_PID" 2>/dev/null
    # shellcheck disable=SC2046
    start_tunnel left $(key_args left)
    first3=$(json_field "$WORK/left.out" first_seq_out)
    [ "$first3" = $((next1 + 1048576)) ] || fail "after kill -9 run 3 starts at $first3, expected $((next1 + 1048576)) (one block on)"
    ping_and_check "run 3, after kill -9"
    stats_now right
    [ "$(last_stats right in.drops.replay)" = "$r0" ] || fail "right dropped restarted packets as replays"
    stop_tunnel left
    stop_capture
    # The wire: every (SPI, sequence number) left sent is unique, across the three runs.
    tshark -r "$WORK/cap.pcap" -Y "ip.src == $L_OUT && esp" -T fields -e esp.spi -e esp.sequence \
      2>/dev/null >"$WORK/seqs.txt"
    total=$(wc -l <"$WORK/seqs.txt") unique=$(sort -u "$WORK/seqs.txt" | wc -l)
    [ "$total" -ge 9 ] || fail "captured only $total ESP packets from left"
    [ "$total" = "$unique" ] || fail "left sent $((total - unique)) sequence numbers twice (nonce reuse)"
    ok "three runs (clean exit, kill -9): $total ESP packets, no sequence number (nonce) twice; run 3 started at $first3"
    # Consent: --keys-are-fresh for keys with a state is refused (exit 2, naming the file).
    # shellcheck disable=SC2046
    ip netns exec "$LEFT" "$BIN" --local "$L_OUT" --remote "$R_OUT" --spi-in "$SPI_RL" \
      --spi-out "$SPI_LR" --tun-name "ikt$N" --state-dir "$WORK/state-left" --keys-are-fresh \
      $(key_args left) >"$WORK/fresh.out" 2>/dev/null
    rc=$?
    [ "$rc" = 2 ] || fail "--keys-are-fresh with used keys: expected exit 2, got $rc"
    grep -q '"field":"--keys-are-fresh"' "$WORK/fresh.out" && grep -qF "$state" "$WORK/fresh.out" ||
      fail "the refusal does not name --keys-are-fresh and the state file: $(cat "$WORK/fresh.out")"
    ok "--keys-are-fresh refused for keys used before"
    stop_tunnel right
    # New keys with --keys-are-fresh: no state is kept, the sequence starts at 1.
    make_keys aes256gcm16
    before=$(find "$WORK/state-left" "$WORK/state-right" -type f | wc -l)
    # shellcheck disable=SC2046
    start_tunnel left $(key_args left) --keys-are-fresh
    # shellcheck disable=SC2046
    start_tunnel right $(key_args right) --keys-are-fresh
    [ "$(json_field "$WORK/left.out" seq_state)" = None ] || fail "seq_state is not null with --keys-are-fresh"
    ping_and_check "fresh keys"
    stop_tunnel left
    stop_tunnel right
    [ "$(find "$WORK/state-left" "$WORK/state-right" -type f | wc -l)" = "$before" ] ||
      fail "--keys-are-fresh wrote a state file"
    ok "--keys-are-fresh: no state kept for new keys"
    ;;
  xfrm)
    require_root_tools
    setup_namespaces
    make_keys aes256gcm16
    ip netns exec "$LEFT" "$BIN" --backend xfrm --local "$L_OUT" --remote "$R_OUT" \
      --spi-in "$SPI_RL" --spi-out "$SPI_LR" $(key_args left) --tun-addr "$L_IN/32" \
      --route "$R_IN/32" >"$WORK/xfrm.out" 2>"$WORK/xfrm.err" &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      # A kernel with ESP: it runs; SIGTERM must remove every state and policy.
      grep -q '"type":"started"' "$WORK/xfrm.out" || fail "xfrm backend runs but printed no started line"
      [ -n "$(ip -n "$LEFT" xfrm state)" ] || fail "no XFRM state installed"
      kill -TERM "$pid"; wait "$pid"; rc=$?
      [ "$rc" = 0 ] || fail "xfrm backend exited $rc after SIGTERM"
      [ -z "$(ip -n "$LEFT" xfrm state)$(ip -n "$LEFT" xfrm policy)" ] || fail "XFRM state/policy left behind"
      ok "xfrm backend installed its SAs and removed them on exit"
    else
      wait "$pid"; rc=$?
      [ "$rc" = 3 ] || fail "xfrm backend on this kernel: expected exit 3, got $rc: $(cat "$WORK/xfrm.out")"
      grep -q 'CONFIG_INET_ESP' "$WORK/xfrm.out" || fail "the error does not name CONFIG_INET_ESP: $(cat "$WORK/xfrm.out")"
      grep -q '"code":"environment"' "$WORK/xfrm.out" || fail "error code is not environment"
      [ -z "$(ip -n "$LEFT" xfrm state)$(ip -n "$LEFT" xfrm policy)" ] || fail "XFRM state/policy left behind"
      ok "xfrm backend: exit 3, $(grep -o 'the kernel lacks[^"]*' "$WORK/xfrm.out" | head -1)"
    fi
    ;;
  ipv6)
    # IPv6 outer addresses (ESP in UDP over IPv6, RFC 3948 with the UDP checksum the
    # kernel fills in) carrying IPv4 and IPv6 inner traffic: ping and a TCP stream each.
    require_root_tools ping iperf3 python3
    setup_namespaces
    for ns in "$LEFT" "$RIGHT"; do ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0; done
    L_OUT=fd00:$N::1 R_OUT=fd00:$N::2 L6=fd01:$N::1 R6=fd01:$N::2
    ip -n "$LEFT" addr add "$L_OUT/64" dev "$VETH_L" nodad
    ip -n "$RIGHT" addr add "$R_OUT/64" dev "$VETH_R" nodad
    make_keys "$ARG"
    # shellcheck disable=SC2046
    start_tunnel left $(key_args left) --tun-addr "$L6/128" --route "$R6/128"
    # shellcheck disable=SC2046
    start_tunnel right $(key_args right) --tun-addr "$R6/128" --route "$L6/128"
    ip netns exec "$RIGHT" iperf3 -s -D -I "$WORK/iperf.pid" >/dev/null 2>&1
    wait_iperf_server
    PIDS+=("$(cat "$WORK/iperf.pid")")
    for dst in "$R_IN" "$R6"; do
      ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 "$dst" >"$WORK/ping.out" 2>&1 ||
        fail "ping $dst through the tunnel over IPv6: $(cat "$WORK/ping.out")"
      ip netns exec "$LEFT" iperf3 -c "$dst" -t 1 -J >"$WORK/iperf.json" 2>&1 ||
        fail "iperf3 to $dst: $(tail -5 "$WORK/iperf.json")"
      bytes=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"]))' "$WORK/iperf.json")
      [ "$bytes" -gt 1000000 ] || fail "iperf3 to $dst carried only $bytes bytes"
      ok "IPv6 outer: ping and TCP to $dst ($bytes bytes)"
    done
    stop_tunnel left
    stop_tunnel right
    ;;
  measure)
    # Not a ctest entry: throughput and RTT through the tunnel and over the bare veth.
    require_root_tools iperf3 ping
    setup_namespaces
    make_keys "${ARG:-aes256gcm16}"
    # shellcheck disable=SC2046
    start_tunnel left $(key_args left)
    # shellcheck disable=SC2046
    start_tunnel right $(key_args right)
    ip netns exec "$RIGHT" iperf3 -s -D -I "$WORK/iperf.pid" >/dev/null 2>&1
    sleep 0.5
    PIDS+=("$(cat "$WORK/iperf.pid")")
    for target in "$R_IN" "$R_OUT"; do
      ip netns exec "$LEFT" iperf3 -c "$target" -t "${ARG2:-5}" -J >"$WORK/m.json" 2>&1
      python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]; print(sys.argv[2], "%.2f Gbit/s" % (e["sum_received"]["bits_per_second"]/1e9), "retransmits", e["sum_sent"].get("retransmits"))' "$WORK/m.json" "iperf3 to $target:"
      ip netns exec "$LEFT" ping -q -c 20 -i 0.05 "$target" | tail -1
    done
    stop_tunnel left
    stop_tunnel right
    tail -n 1 "$WORK/left.out"
    tail -n 1 "$WORK/right.out"
    ;;
  *) fail "unknown scenario $SCENARIO" ;;
esac
exit 0
