#!/bin/bash
# gate_test.sh - the clang-tidy gate can fail: scripts/tidy.sh on a planted use-after-move,
# seen through a unity-style batch (as the whole run sees lib/ and tools/), must exit 1 and
# name the finding at its line in the included file. One small file: ~2 CPU-s.
set -u
cd "$(dirname "$0")/../.."
if ! command -v clang-tidy-14 >/dev/null; then
  echo "SKIP: clang-tidy-14 not installed (scripts/install-deps.sh)"
  exit 77
fi
out=$(scripts/tidy.sh tests/tidy/planted_batch.cxx 2>&1)
status=$?
echo "$out"
if [ "$status" -ne 1 ]; then
  echo "FAIL: scripts/tidy.sh exited $status on a planted bug, expected 1"
  exit 1
fi
if ! grep -qE 'tests/tidy/planted_bug\.cpp:8:[0-9]+: error: .*\[bugprone-use-after-move' <<<"$out"; then
  echo "FAIL: the planted use-after-move (planted_bug.cpp:8) is not reported through the batch"
  exit 1
fi
echo "PASS: the gate fails on the planted bug and names it"
