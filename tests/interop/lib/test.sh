# shellcheck shell=bash
# test.sh - what every interop script does around its test: skips, the exit trap,
# processes, waiting for a line. Source this file.
#
#   test_need_root [WHY]         SKIP (exit 77) unless root ("needs root for WHY",
#                                default network namespaces)
#   test_need TOOL...            SKIP (exit 77) naming the first TOOL not installed
#   test_trap DIR                on exit: the script's test_stop (ends its processes and
#                                namespaces); on failure (status not 0 or 77) the
#                                script's test_logs and a copy of DIR in $KEEP_DIR when
#                                set; DIR removed; the status kept. INT and TERM end
#                                the test as a failure.
#   stop_pids PID...             SIGTERM to each (empty ones skipped), then wait for each
#   tail_logs N FILE...          "--- FILE" and its last N lines, for each FILE not empty
#   wait_line FILE PATTERN [SECONDS [PID]]
#                                0 once a line of FILE matches PATTERN (grep); 1 after
#                                SECONDS (default 10) or once PID has exited
#   make_psk FILE                a random PSK (32 bytes as hex), mode 0600

test_need_root() {
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for ${1:-network namespaces}"; exit 77; }
}

test_need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "SKIP: $t is not installed (scripts/install-deps.sh test)"; exit 77; }
  done
}

TEST_DIR=
test_exit() {
  local rc=$?
  trap - EXIT
  test_stop
  if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
    test_logs
    [ -n "${KEEP_DIR:-}" ] && cp -a "$TEST_DIR" "$KEEP_DIR"
  fi
  rm -rf "$TEST_DIR"
  exit $rc
}

test_trap() {
  TEST_DIR=$1
  trap test_exit EXIT
  trap 'exit 1' INT TERM
}

stop_pids() {
  local p
  for p in "$@"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; done
  for p in "$@"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  return 0
}

tail_logs() {
  local n=$1 f
  shift
  for f in "$@"; do [ -s "$f" ] && { echo "--- $f"; tail -n "$n" "$f"; }; done
  return 0
}

wait_line() {
  local file=$1 pattern=$2 seconds=${3:-10} pid=${4:-} _
  for _ in $(seq 1 $((seconds * 10))); do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && return 1
    sleep 0.1
  done
  return 1
}

make_psk() {
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$1" && chmod 600 "$1"
}
