# shellcheck shell=bash
# freeradius.sh - a private FreeRADIUS (Debian freeradius) for tests: its configuration in
# a directory of its own (nothing under /etc is read but the dictionaries and modules),
# EAP-MSCHAPv2 for the users of DIR/raddb/users, run in the foreground (-X) with its
# debug log in DIR/radiusd.out.
#   freeradius_bin                      prints the daemon's path; 1 when not installed
#   freeradius_start DIR ADDR PORT CLIENT SECRET [PREFIX...]
#       Listens on ADDR:PORT (virtual server "default": a wrong password gets
#       EAP-Failure alone, FreeRADIUS's send_error = no) and on ADDR:PORT+2 (the same
#       with send_error = yes: an MS-CHAPv2 Failure Request E=691 first); accepts
#       requests from CLIENT (an address) signed with SECRET. PREFIX runs the daemon
#       (e.g. ip netns exec NS). Sets FREERADIUS_PID; 0 once it is ready, 1 when it
#       exited (e.g. the port is taken: "Address already in use" in DIR/radiusd.out).
#       Users: lines like  alice<TAB>Cleartext-Password := "secret"  in DIR/raddb/users,
#       written before the start.
#   freeradius_stop                     ends the daemon of FREERADIUS_PID
FREERADIUS_PID=""

freeradius_bin() { command -v freeradius || command -v radiusd; }

freeradius_start() {
  local dir=$1 addr=$2 port=$3 client=$4 secret=$5
  shift 5
  local bin
  bin=$(freeradius_bin) || return 1
  mkdir -p "$dir/raddb" "$dir/run" "$dir/log"
  touch "$dir/raddb/users"
  # shellcheck disable=SC2016 # $INCLUDE is FreeRADIUS syntax, not a shell expansion
  echo '$INCLUDE /usr/share/freeradius/dictionary' >"$dir/raddb/dictionary"
  cat >"$dir/raddb/radiusd.conf" <<CONF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
raddbdir = $dir/raddb
confdir = \${raddbdir}
logdir = $dir/log
run_dir = $dir/run
db_dir = $dir/run
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
  ipaddr = $client
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
    ipaddr = $addr
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
    ipaddr = $addr
    port = $((port + 2))
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
  "$@" "$bin" -X -d "$dir/raddb" -n radiusd >"$dir/radiusd.out" 2>&1 &
  FREERADIUS_PID=$!
  local _
  for _ in $(seq 100); do
    grep -q "Ready to process requests" "$dir/radiusd.out" && return 0
    kill -0 "$FREERADIUS_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

freeradius_stop() {
  local pid=$FREERADIUS_PID _
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  FREERADIUS_PID=""
}
