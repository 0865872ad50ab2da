#!/bin/bash
# freeradius_eap.sh - our EAP-MSCHAPv2 peer through our RADIUS client against a real
# FreeRADIUS (Debian freeradius), on loopback (127.0.0.1, a non-standard port), with a
# private configuration in a temporary directory: a users file with one test user, the
# eap module with default_eap_type = mschapv2, one client with a shared secret.
#   freeradius_eap.sh RADIUS_EAP_PEER
# Checks: the right password gives Access-Accept and the MSK from MS-MPPE-Recv-Key |
# MS-MPPE-Send-Key equals the MSK our peer computed; a wrong password gives Access-Reject
# (with E=691 at the peer where the server sends it); an unreachable server first in the list is failed over.
# Exit 0 pass, 1 fail, 77 skip (freeradius not installed). No root needed; no namespaces.
set -u
driver=${1:?usage: freeradius_eap.sh RADIUS_EAP_PEER}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/freeradius.sh"
if ! freeradius_bin >/dev/null; then
  echo "SKIP: freeradius is not installed (scripts/install-deps.sh test installs it)"
  exit 77
fi

work=$(mktemp -d /tmp/ikekit-freeradius.XXXXXX)
cleanup() {
  freeradius_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  echo "FAIL: $*" >&2
  echo "--- freeradius log (tail) ---" >&2
  tail -n 60 "$work/radiusd.out" >&2
  exit 1
}

secret="ikekit-test-secret"
mkdir -p "$work/raddb"
printf 'alice\tCleartext-Password := "correct horse"\n' >"$work/raddb/users"
start_freeradius() { # PORT: FreeRADIUS on PORT (and PORT+2: send_error = yes)
  port=$1
  dead_port=$((port + 1))
  error_port=$((port + 2))
  freeradius_start "$work" 127.0.0.1 "$port" 127.0.0.1 "$secret"
}

# Ports nobody else uses, derived from our PID; another set when one is taken.
started=0
for attempt in 0 1 2 3 4; do
  if start_freeradius $((20000 + ($$ + 97 * attempt) % 20000)); then
    started=1
    break
  fi
  grep -q "Address already in use" "$work/radiusd.out" || fail "freeradius did not start"
  freeradius_stop
done
[ $started -eq 1 ] || fail "freeradius found no free port"

check() { # NAME EXPECTED-REGEX... -- ARGS
  local name=$1
  shift
  local patterns=()
  while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
  shift
  local out
  out=$("$driver" --secret "$secret" --user alice "$@" 2>&1)
  local rc=$?
  echo "$name: $out"
  [ $rc -eq 0 ] || fail "$name: driver exit $rc"
  for p in "${patterns[@]}"; do
    echo "$out" | grep -Eq "$p" || fail "$name: expected $p"
  done
}

check "right password" '"outcome":"accept"' '"peer_status":"success"' '"msk_match":true' \
  '"failovers":0' -- --password "correct horse" "127.0.0.1:$port"
# FreeRADIUS's default (send_error = no): EAP-Failure alone.
check "wrong password" '"outcome":"reject"' '"peer_status":"failure"' \
  '"peer_failure":"rejected"' '"msk_match":false' \
  -- --password "wrong horse" "127.0.0.1:$port"
# send_error = yes: the MS-CHAPv2 Failure Request with E=691, our Failure Response, Reject.
check "wrong password, E=691" '"outcome":"reject"' '"peer_status":"failure"' \
  '"peer_failure":"authentication_failure"' '"server_error":691' '"msk_match":false' \
  -- --password "wrong horse" "127.0.0.1:$error_port"
check "right password, second virtual server" '"outcome":"accept"' '"msk_match":true' \
  -- --password "correct horse" "127.0.0.1:$error_port"
check "fail-over from a dead server" '"outcome":"accept"' '"msk_match":true' '"failovers":1' \
  '"retransmissions":1' -- --password "correct horse" --timeout-ms 300 \
  "127.0.0.1:$dead_port" "127.0.0.1:$port"
grep -q "Login OK: \[alice\]" "$work/log/radius.log" 2>/dev/null ||
  grep -q "Login OK" "$work/radiusd.out" || fail "freeradius did not log the accepted login"
echo "PASS"
