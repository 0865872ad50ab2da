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
radiusd=$(command -v freeradius || command -v radiusd || true)
if [ -z "$radiusd" ]; then
  echo "SKIP: freeradius is not installed (scripts/install-deps.sh test installs it)"
  exit 77
fi

work=$(mktemp -d /tmp/ikekit-freeradius.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  fi
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
mkdir -p "$work/raddb" "$work/run" "$work/log"
start_freeradius() { # PORT: writes the configuration for PORT and starts freeradius
port=$1
dead_port=$((port + 1))
error_port=$((port + 2))
echo '$INCLUDE /usr/share/freeradius/dictionary' >"$work/raddb/dictionary"
printf 'alice\tCleartext-Password := "correct horse"\n' >"$work/raddb/users"
cat >"$work/raddb/radiusd.conf" <<CONF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
raddbdir = $work/raddb
confdir = \${raddbdir}
logdir = $work/log
run_dir = $work/run
db_dir = $work/run
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/radiusd.pid
name = freeradius
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = files
  file = \${logdir}/radius.log
  auth = yes
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
client ikekit {
  ipaddr = 127.0.0.1
  secret = $secret
  require_message_authenticator = yes
}
modules {
  files {
    filename = \${raddbdir}/users
  }
  mschap {
    use_mppe = yes
    require_encryption = yes
    require_strong = yes
  }
  eap {
    default_eap_type = mschapv2
    timer_expire = 60
    ignore_unknown_eap_types = no
    max_sessions = 64
    mschapv2 {
    }
  }
  # The same with send_error = yes: a wrong password gets an MS-CHAPv2 Failure Request
  # (E=691) before the EAP-Failure instead of the EAP-Failure alone.
  eap eap_send_error {
    default_eap_type = mschapv2
    timer_expire = 60
    ignore_unknown_eap_types = no
    max_sessions = 64
    mschapv2 {
      send_error = yes
    }
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = $port
  }
  authorize {
    files
    eap {
      ok = return
    }
  }
  authenticate {
    Auth-Type MS-CHAP {
      mschap
    }
    eap
  }
}
server send_error {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = $error_port
  }
  authorize {
    files
    eap_send_error {
      ok = return
    }
  }
  authenticate {
    Auth-Type MS-CHAP {
      mschap
    }
    eap_send_error
  }
}
CONF

# -X: foreground, debug log on stdout (kept for the failure report).
"$radiusd" -X -d "$work/raddb" -n radiusd >"$work/radiusd.out" 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q "Ready to process requests" "$work/radiusd.out" && return 0
  kill -0 "$pid" 2>/dev/null || return 1
  sleep 0.1
done
fail "freeradius did not become ready"
}

# Ports nobody else uses, derived from our PID; another set when one is taken.
started=0
for attempt in 0 1 2 3 4; do
  if start_freeradius $((20000 + ($$ + 97 * attempt) % 20000)); then
    started=1
    break
  fi
  grep -q "Address already in use" "$work/radiusd.out" || fail "freeradius exited at start"
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
