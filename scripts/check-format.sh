#!/bin/bash
# check-format.sh - fail when a C++ source differs from the committed .clang-format.
#   scripts/check-format.sh          list unformatted files, exit 1 if any
#   scripts/check-format.sh --fix    format them in place
# Uses Debian 12's clang-format-14: another version lays some constructs out differently.
set -eu
cd "$(dirname "$0")/.."
cf=$(command -v clang-format-14 || true)
if [ -z "$cf" ]; then
  echo "check-format: clang-format-14 not found (scripts/install-deps.sh installs it)" >&2
  exit 3
fi
mapfile -t files < <(git ls-files -co --exclude-standard -- 'lib/*.cpp' 'lib/*.hpp' 'tools/*.cpp' \
  'tools/*.hpp' 'bench/*.cpp' 'bench/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'fuzz/*.cpp' 'fuzz/*.hpp')
if [ "${1:-}" = "--fix" ]; then
  "$cf" -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  "$cf" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: ${#bad[@]} file(s) differ from .clang-format (scripts/check-format.sh --fix):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
