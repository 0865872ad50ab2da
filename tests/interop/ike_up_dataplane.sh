#!/bin/bash
# ike_up_dataplane.sh IKE_UP - which data plane ike-up starts, in a fresh network
# namespace (ike-up(8) --dataplane; issue 5):
#   kernel without XFRM ESP: --dataplane xfrm exits 3 naming CONFIG_INET_ESP (not a
#     bind failure on 4500), --dataplane auto starts the TUN data plane;
#   kernel with XFRM ESP: --dataplane xfrm starts (the XFRM data plane marks the
#     runner's own NAT-T socket instead of binding 4500 again, which failed with
#     EADDRINUSE), and auto picks xfrm.
# Exit 0 pass, 1 fail, 77 skip ("SKIP: <reason>": not root, no namespaces).
set -u
BIN=$1
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root to create network namespaces"; exit 77; fi
if ! command -v ip >/dev/null; then echo "SKIP: iproute2 (ip) is not installed"; exit 77; fi
ns="ikdp-$$"
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! ip netns add "$ns" 2>/dev/null; then echo "SKIP: cannot create a network namespace"; exit 77; fi
ip -n "$ns" link set lo up
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/psk"
chmod 600 "$work/psk" # ike-up refuses a PSK others may read
failed=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failed=1; }

# Does this kernel take an ESP state? (what probe_xfrm_esp asks, the same way)
if ip -n "$ns" xfrm state add src 127.0.0.253 dst 127.0.0.254 proto esp spi 0xfffffff0 \
     mode transport aead 'rfc4106(gcm(aes))' "0x$(printf '%072d' 0)" 128 2>/dev/null; then
  ip -n "$ns" xfrm state flush
  esp=1
else
  esp=0
fi
echo "kernel XFRM ESP: $([ $esp = 1 ] && echo yes || echo no)"

args=(--name dp --role responder --local 127.0.0.1 --psk-file "$work/psk" --dpd-delay 0
      --control-socket none)

# start MODE: runs ike-up in the namespace until its started line (or its exit);
# sets rc ("" while running) and leaves stdout/stderr in $work/MODE.{out,err}.
start() {
  local mode=$1
  ip netns exec "$ns" "$BIN" "${args[@]}" --dataplane "$mode" > "$work/$mode.out" 2> "$work/$mode.err" &
  pid=$!
  rc=
  for _ in $(seq 1 50); do
    grep -q '"type":"started"' "$work/$mode.out" && return
    if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; rc=$?; pid=; return; fi
    sleep 0.1
  done
}
stop() {
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  pid=
}

start xfrm
if [ $esp = 0 ]; then
  if [ "$rc" = 3 ]; then ok "--dataplane xfrm: exit 3 (environment)"; else fail "--dataplane xfrm: exit ${rc:-running}, expected 3"; fi
  if grep -q '"error"' "$work/xfrm.out" && grep -q 'CONFIG_INET_ESP' "$work/xfrm.out"; then
    ok "the error names CONFIG_INET_ESP"
  else
    fail "no error naming CONFIG_INET_ESP: $(cat "$work/xfrm.out" "$work/xfrm.err")"
  fi
  if grep -qiE 'in use|EADDRINUSE' "$work/xfrm.out" "$work/xfrm.err"; then
    fail "the error is about the port, not the kernel: $(cat "$work/xfrm.out")"
  else
    ok "not a bind failure on 4500"
  fi
else
  if [ -z "$rc" ] && grep -q '"dataplane":"xfrm"' "$work/xfrm.out"; then
    ok "--dataplane xfrm started on the runner's NAT-T socket"
    stop
    [ "$rc" = 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $rc"
  else
    fail "--dataplane xfrm did not start (exit ${rc:-?}): $(cat "$work/xfrm.out" "$work/xfrm.err")"
    [ -n "$pid" ] && stop
  fi
fi

start auto
want=$([ $esp = 1 ] && echo xfrm || echo tun)
if [ -z "$rc" ] && grep -q "\"dataplane\":\"$want\"" "$work/auto.out"; then
  ok "--dataplane auto picked $want"
  if [ $want = tun ]; then
    grep -q '"device":"ike[0-9]' "$work/auto.out" && ok "with a TUN device" || fail "no TUN device in: $(cat "$work/auto.out")"
  fi
  stop
  [ "$rc" = 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $rc"
else
  fail "--dataplane auto: expected $want (exit ${rc:-running}): $(cat "$work/auto.out" "$work/auto.err")"
  [ -n "$pid" ] && stop
fi
exit $failed
