#!/bin/bash
# tidy.sh - clang-tidy (checks in .clang-tidy) over lib/ and tools/; exit 1 on any finding.
#   scripts/tidy.sh              every .cpp of lib/ and tools/ (scripts/test.sh runs this)
#   scripts/tidy.sh FILE...      only these, one by one (what to run on the files you change)
# It configures its own compile database in build-tidy (no build needed: clang-tidy
# parses, it does not compile), without precompiled headers, which clang cannot read from
# GCC, and as a unity build: the whole run checks CMake's batches of 8 sources (one
# translation unit each), so the standard library, nlohmann/json and CLI11 are parsed and
# matched once per batch, not once per file (scripts/tidy-run.py; numbers in README).
set -eu
cd "$(dirname "$0")/.."
tidy=$(command -v clang-tidy-14 || true)
if [ -z "$tidy" ]; then
  echo "tidy.sh: clang-tidy-14 not found (scripts/install-deps.sh installs it)" >&2
  exit 3
fi
cmake -S . -B build-tidy -G Ninja -DIKEKIT_UNITY=ON -DIKEKIT_PCH=OFF -DIKEKIT_TESTS=OFF \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
exec scripts/tidy-run.py "$tidy" build-tidy "$@"
