#!/bin/bash
# test.sh - install what is missing, build everything, run every test.
#   scripts/test.sh               release build (warnings are errors) + all ctest labels
#   scripts/test.sh --sanitize    ASan+UBSan build, unit and fuzz-replay tests only
# Tests that need root or network namespaces skip with a reason when those are
# missing; with CI=true (or IKEKIT_REQUIRE_ALL=1) a skip fails the run instead.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh all
scripts/check-format.sh

build=build
opts=(-DIKEKIT_WERROR=ON)
labels=()
if [ "${1:-}" = "--sanitize" ]; then
  build=build-asan
  opts+=(-DIKEKIT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  labels=(-L 'unit|fuzz-replay')
fi
[ "${CI:-}" = "true" ] && export IKEKIT_REQUIRE_ALL=1

cmake -S . -B "$build" -G Ninja "${opts[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 600 "${labels[@]}" 2>&1 | tee "$build/ctest.log"
status=${PIPESTATUS[0]}
if [ "${IKEKIT_REQUIRE_ALL:-0}" = 1 ] && grep -qE '\*\*\*Skipped|Not Run' "$build/ctest.log"; then
  echo "test.sh: some tests were skipped, which CI does not allow" >&2
  exit 1
fi
exit "$status"
