#!/bin/bash
# test.sh - install what is missing, build everything, run every test.
#   scripts/test.sh               both passes below (what CI runs)
#   scripts/test.sh --release     clang-tidy gate (in the background), release build (warnings
#                                 are errors) + all ctest labels
#   scripts/test.sh --sanitize    ASan+UBSan build, unit and fuzz-replay tests only
# Tests that need root or network namespaces skip with a reason when those are
# missing; with CI=true (or IKEKIT_REQUIRE_ALL=1) a skip fails the run instead.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-all}
case "$mode" in
  all | --release | --sanitize) ;;
  *) echo "usage: scripts/test.sh [--release | --sanitize]" >&2; exit 2 ;;
esac
scripts/install-deps.sh all
scripts/check-format.sh
# Functions over 80 lines in lib/ and tools/ (DESIGN 3): a brace-matching scan, ~1 s.
scripts/long-functions.py --check
[ "${CI:-}" = "true" ] && export IKEKIT_REQUIRE_ALL=1

# run_pass BUILD_DIR LABEL_REGEX TARGET CMAKE_OPTION...: configure, build TARGET, ctest.
run_pass() {
  local build=$1 labels=$2 target=$3
  shift 3
  # (called in a `||` list, where set -e does not apply: every step checks itself)
  local t0=$SECONDS
  cmake -S . -B "$build" -G Ninja "$@" >/dev/null || return 1
  cmake --build "$build" -j"$(nproc)" --target "$target" || return 1
  local t1=$SECONDS
  ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 600 ${labels:+-L "$labels"} \
    2>&1 | tee "$build/ctest.log"
  local status=${PIPESTATUS[0]}
  # Where CI's time goes (the whole run must stay under 30 minutes on 2 cores).
  echo "test.sh: $build: build $((t1 - t0)) s, tests $((SECONDS - t1)) s"
  if [ "${IKEKIT_REQUIRE_ALL:-0}" = 1 ] && grep -qE '\*\*\*Skipped|Not Run' "$build/ctest.log"; then
    echo "test.sh: some tests in $build were skipped, which CI does not allow" >&2
    return 1
  fi
  return "$status"
}

# Both passes keep line tables only (-g1, not -g): backtraces and sanitizer reports still
# name file:line, and the compiler spends 20-35% less time per file. The code
# generated is the same (-g never changes it).
# Both are unity builds (-DIKEKIT_UNITY=ON, CMakeLists.txt): each target's sources are
# compiled in batches of 8, so the headers are parsed once per batch, not once per file.
status=0
tidy_pid=
tidy_log=
if [ "$mode" != --sanitize ]; then
  # clang-tidy (bugprone-*, performance-*: .clang-tidy) over lib/ and tools/, in unity
  # batches: ~360 CPU-s, ~3 min alone on 2 cores (README). It needs no build, so it runs
  # in the background at nice 19 from here to the end: it takes the CPU the passes leave
  # idle (the namespace tests mostly wait for timers and peers) and yields it at once to
  # anything else (CFS weight 15 against 1024), so no test's timing depends on it. Its
  # report is printed at the end; a finding fails the run, the passes still run, so one
  # CI run reports everything.
  # (Its own session, so that an interrupted run ends its clang-tidy processes too. A new
  # session is a new scheduler autogroup (kernel.sched_autogroup_enabled, on in Debian's
  # kernels), and CFS shares the CPU fairly between autogroups whatever the nice value of
  # their tasks: nice 19 alone gave it 65% of a core against a busy session, so it slowed
  # the builds and left the namespace tests' idle time unused. The autogroup's own nice
  # value, set from inside the session, makes it yield (2% measured); nice 19 still
  # applies where autogroups are off.)
  tidy_log=$(mktemp /tmp/ikekit-tidy.XXXXXX)
  setsid bash -c 'echo 19 2>/dev/null >/proc/self/autogroup; exec nice -n 19 scripts/tidy.sh' \
    >"$tidy_log" 2>&1 &
  tidy_pid=$!
  trap '[ -n "$tidy_pid" ] && kill -TERM -- "-$tidy_pid" 2>/dev/null; rm -f "$tidy_log"' EXIT
  trap 'exit 1' INT TERM
  run_pass build "" all -DIKEKIT_WERROR=ON "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
    -DIKEKIT_UNITY=ON || status=1
fi
if [ "$mode" != --release ]; then
  # ASan + UBSan over the unit, engine and fuzz-replay tests (every parser's corpus); the
  # build skips the interop-only helpers (unit-deps, CMakeLists.txt).
  # Precompiled standard headers and catch.hpp (cmake/pch.cmake; unoptimised builds only).
  run_pass build-asan 'unit|fuzz-replay' unit-deps -DIKEKIT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DIKEKIT_PCH=ON -DIKEKIT_UNITY=ON || status=1
fi
if [ -n "$tidy_pid" ]; then
  t0=$SECONDS
  wait "$tidy_pid" || status=1
  tidy_pid=
  cat "$tidy_log"
  echo "test.sh: clang-tidy: waited $((SECONDS - t0)) s for it after the passes"
fi
echo "test.sh: $SECONDS s in all"
exit "$status"
