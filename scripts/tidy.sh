#!/bin/bash
# tidy.sh - clang-tidy (checks in .clang-tidy) over lib/ and tools/; exit 1 on any finding.
#   scripts/tidy.sh              every file (needs clang-tidy-14: scripts/install-deps.sh)
#   scripts/tidy.sh FILE...      only these
# It configures its own compile database in build-tidy (no build needed: clang-tidy
# parses, it does not compile), without precompiled headers, which clang cannot read
# from GCC. Cost: ~10 CPU-seconds per file (lib/ and tools/: ~200 files, ~17 minutes on
# 2 cores), which is why scripts/test.sh does not run it yet (README, Two commands).
set -eu
cd "$(dirname "$0")/.."
tidy=$(command -v clang-tidy-14 || true)
if [ -z "$tidy" ]; then
  echo "tidy.sh: clang-tidy-14 not found (scripts/install-deps.sh installs it)" >&2
  exit 3
fi
cmake -S . -B build-tidy -G Ninja -DIKEKIT_PCH=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
# run-clang-tidy runs one clang-tidy per file of the database whose path matches one of
# the regexes, nproc at a time, and fails if any did.
if [ $# -gt 0 ]; then
  files=("$@")
else
  files=("^$PWD/(lib|tools)/.*\\.cpp\$")
fi
run-clang-tidy-14 -clang-tidy-binary "$tidy" -p build-tidy -quiet -j "$(nproc)" "${files[@]}" \
  > build-tidy/tidy.log 2>&1 && status=0 || status=$?
# (run-clang-tidy asks clang-tidy for colours, even into a file)
sed 's/\x1b\[[0-9;]*m//g' build-tidy/tidy.log | grep -E '(warning|error): ' | sort -u || true
if [ "$status" -ne 0 ]; then
  echo "tidy.sh: clang-tidy found problems (full output: build-tidy/tidy.log)" >&2
  exit 1
fi
echo "tidy.sh: $(grep -c '^/.*clang-tidy' build-tidy/tidy.log || true) files, no findings"
