# Shared helpers for the esp-tunnel namespace tests (sourced). Two network
# namespaces ikesp<N>-left / ikesp<N>-right joined by a veth in 10.31.N.0/24; each
# runs one esp-tunnel whose TUN device holds 10.32.N.1 / 10.32.N.2 and routes the
# peer's address. Everything started is recorded and torn down in an EXIT trap,
# also on failure.

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; FAILED=1; exit 1; }
ok() { echo "ok: $*"; }

require_root_tools() {
  [ "$(id -u)" = 0 ] || skip "needs root to create network namespaces"
  command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
  [ -e /dev/net/tun ] || skip "no /dev/net/tun"
  for t in "$@"; do command -v "$t" >/dev/null || skip "$t is not installed"; done
}

PIDS=()
WORK=$(mktemp -d /tmp/esp-tunnel-test.XXXXXX)
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  [ -n "${LEFT:-}" ] && ip netns del "$LEFT" 2>/dev/null
  [ -n "${RIGHT:-}" ] && ip netns del "$RIGHT" 2>/dev/null
  if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
    for f in "$WORK"/*.out "$WORK"/*.err; do
      [ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
    done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

# Picks a free N (namespaces ikesp<N>-*), creates both namespaces and the veth.
setup_namespaces() {
  local tries=0
  while :; do
    N=$(( (RANDOM + $$) % 200 + 20 ))
    LEFT=ikesp$N-left RIGHT=ikesp$N-right
    if ip netns add "$LEFT" 2>/dev/null; then
      if ip netns add "$RIGHT" 2>/dev/null; then break; fi
      ip netns del "$LEFT"
    fi
    tries=$((tries + 1))
    [ $tries -gt 20 ] && { LEFT= RIGHT=; skip "cannot create network namespaces"; }
  done
  L_OUT=10.31.$N.1 R_OUT=10.31.$N.2 L_IN=10.32.$N.1 R_IN=10.32.$N.2
  VETH_L=ikv$N-l VETH_R=ikv$N-r
  ip link add "$VETH_L" netns "$LEFT" type veth peer name "$VETH_R" netns "$RIGHT" ||
    fail "cannot create the veth pair"
  ip -n "$LEFT" link set lo up
  ip -n "$RIGHT" link set lo up
  ip -n "$LEFT" addr add "$L_OUT/24" dev "$VETH_L"
  ip -n "$RIGHT" addr add "$R_OUT/24" dev "$VETH_R"
  ip -n "$LEFT" link set "$VETH_L" up
  ip -n "$RIGHT" link set "$VETH_R" up
}

randhex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# suite_params SUITE: sets CIPHER INTEG EKEY_LEN IKEY_LEN WS_ENCR WS_INTEG
suite_params() {
  INTEG= IKEY_LEN=0 WS_INTEG=NULL
  case "$1" in
    aes128gcm16) CIPHER=aes128gcm16 EKEY_LEN=20 WS_ENCR="AES-GCM with 16 octet ICV [RFC4106]" ;;
    aes256gcm16) CIPHER=aes256gcm16 EKEY_LEN=36 WS_ENCR="AES-GCM with 16 octet ICV [RFC4106]" ;;
    chacha20poly1305) CIPHER=chacha20poly1305 EKEY_LEN=36 WS_ENCR= ;;
    aes128-sha256) CIPHER=aes128 INTEG=sha256 EKEY_LEN=16 IKEY_LEN=32
      WS_ENCR="AES-CBC [RFC3602]" WS_INTEG="HMAC-SHA-256-128 [RFC4868]" ;;
    aes256-sha512) CIPHER=aes256 INTEG=sha512 EKEY_LEN=32 IKEY_LEN=64
      WS_ENCR="AES-CBC [RFC3602]" WS_INTEG="HMAC-SHA-512-256 [RFC4868]" ;;
    *) fail "unknown suite $1" ;;
  esac
}

# make_keys SUITE: SPI_LR/SPI_RL (left->right, right->left) and their keys.
make_keys() {
  suite_params "$1"
  SPI_LR=c1$(randhex 3) SPI_RL=c2$(randhex 3)
  EK_LR=$(randhex "$EKEY_LEN") EK_RL=$(randhex "$EKEY_LEN")
  IK_LR= IK_RL=
  if [ "$IKEY_LEN" != 0 ]; then IK_LR=$(randhex "$IKEY_LEN") IK_RL=$(randhex "$IKEY_LEN"); fi
}

# key_args SIDE: the key flags for left or right.
key_args() {
  local kin kout iin iout
  if [ "$1" = left ]; then kin=$EK_RL kout=$EK_LR iin=$IK_RL iout=$IK_LR
  else kin=$EK_LR kout=$EK_RL iin=$IK_LR iout=$IK_RL; fi
  echo "--cipher $CIPHER --key-in $kin --key-out $kout"
  [ -n "$INTEG" ] && echo "--integ $INTEG --integ-key-in $iin --integ-key-out $iout"
}

# start_tunnel SIDE EXTRA...: runs esp-tunnel in that side's namespace (with the flags
# in ESP_TUNNEL_EXTRA, e.g. --no-offload, before EXTRA); sets
# LEFT_PID/RIGHT_PID; waits for its `started` line.
start_tunnel() {
  local side=$1; shift
  local ns local remote spi_in spi_out tun_in route
  if [ "$side" = left ]; then
    ns=$LEFT local=$L_OUT remote=$R_OUT spi_in=$SPI_RL spi_out=$SPI_LR tun_in=$L_IN route=$R_IN
  else
    ns=$RIGHT local=$R_OUT remote=$L_OUT spi_in=$SPI_LR spi_out=$SPI_RL tun_in=$R_IN route=$L_IN
  fi
  # Each side keeps its sequence state in the test's directory, never in /var/lib.
  ip netns exec "$ns" "$BIN" --local "$local" --remote "$remote" --spi-in "$spi_in" \
    --spi-out "$spi_out" --tun-name "ikt$N" --tun-addr "$tun_in/32" --route "$route/32" \
    --state-dir "$WORK/state-$side" ${ESP_TUNNEL_EXTRA:-} "$@" >"$WORK/$side.out" 2>"$WORK/$side.err" &
  local pid=$!
  PIDS+=("$pid")
  eval "${side^^}_PID=$pid"
  for _ in $(seq 50); do
    grep -q '"type":"started"' "$WORK/$side.out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail "$side esp-tunnel exited early: $(cat "$WORK/$side.out" "$WORK/$side.err")"
    sleep 0.1
  done
  fail "$side esp-tunnel did not print its started line"
}

# stop_tunnel SIDE: SIGTERM, expect exit 0 and a last stats line (reason exit).
stop_tunnel() {
  local side=$1 pid
  pid=$(eval echo "\$${side^^}_PID")
  kill -TERM "$pid"
  wait "$pid"
  local rc=$?
  [ "$rc" = 0 ] || fail "$side esp-tunnel exited $rc after SIGTERM"
  tail -n 1 "$WORK/$side.out" | grep -q '"reason":"exit"' || fail "$side: no final stats line"
}

# last_stats SIDE FIELD (python path like in.drops.replay): from the newest stats line.
last_stats() {
  python3 - "$WORK/$1.out" "$2" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
s = [l for l in lines if l.get("type") == "stats"][-1]
v = s
for k in sys.argv[2].split("."):
    v = v[k]
print(v)
PY
}

# stats_now SIDE: asks for a stats line (SIGUSR1) and waits for it.
stats_now() {
  local side=$1 pid before
  pid=$(eval echo "\$${side^^}_PID")
  before=$(grep -c '"type":"stats"' "$WORK/$side.out")
  kill -USR1 "$pid"
  for _ in $(seq 30); do
    [ "$(grep -c '"type":"stats"' "$WORK/$side.out")" -gt "$before" ] && return 0
    sleep 0.1
  done
  fail "$side: no stats line after SIGUSR1"
}

# write_wireshark_dir DIR: esp_sa for both directions + preferences (RFC 4106/3602 names).
write_wireshark_dir() {
  local d=$1
  mkdir -p "$d"
  local ik_lr=${IK_LR:-} ik_rl=${IK_RL:-}
  {
    echo "\"IPv4\",\"$L_OUT\",\"$R_OUT\",\"0x$SPI_LR\",\"$WS_ENCR\",\"0x$EK_LR\",\"$WS_INTEG\",\"0x$ik_lr\""
    echo "\"IPv4\",\"$R_OUT\",\"$L_OUT\",\"0x$SPI_RL\",\"$WS_ENCR\",\"0x$EK_RL\",\"$WS_INTEG\",\"0x$ik_rl\""
  } >"$d/esp_sa"
  printf 'esp.enable_encryption_decode: TRUE\nesp.enable_authentication_check: TRUE\n' >"$d/preferences"
}

# wait_iperf_server: until an iperf3 server listens (TCP 5201) in $RIGHT (at most 5 s).
wait_iperf_server() {
  for _ in $(seq 100); do
    ip netns exec "$RIGHT" ss -Htln 'sport = :5201' | grep -q . && return 0
    sleep 0.05
  done
  fail "no iperf3 server listening in $RIGHT"
}

# start_capture: dumpcap on the left veth into $WORK/cap.pcapng.
start_capture() {
  ip netns exec "$LEFT" dumpcap -q -P -i "$VETH_L" -w "$WORK/cap.pcap" >"$WORK/dumpcap.out" 2>&1 &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  for _ in $(seq 50); do
    [ -s "$WORK/cap.pcap" ] && { sleep 0.2; return 0; }
    sleep 0.1
  done
  fail "dumpcap did not start: $(cat "$WORK/dumpcap.out")"
}
stop_capture() {
  sleep 0.3
  kill -TERM "$CAP_PID" 2>/dev/null
  wait "$CAP_PID" 2>/dev/null
}
