#!/bin/bash
# fuzz.sh - a libFuzzer campaign over the targets in fuzz/ (fuzz/README.md).
#   scripts/fuzz.sh [SECONDS] [TARGET...]    default 60 s each, every fuzz/fuzz_*.cpp;
#                                            TARGET "behind": those furthest from the goal
#   scripts/fuzz.sh --ledger                 the campaign's totals (fuzz/campaign.json)
#   scripts/fuzz.sh --coverage [TARGET...]   coverage of lib/ per file by the committed corpora
#   scripts/fuzz.sh --lines [TARGET...]      line coverage (llvm-cov) of the code each fuzzes
# Builds build-fuzz with clang-14 (-DIKEKIT_FUZZ=ON: libFuzzer, ASan, UBSan), runs each
# target for SECONDS on its committed corpus (fuzz/corpus/<target>/, plus
# fuzz/<target>.dict when there is one, and the libFuzzer flags in fuzz/<target>.options) and a local working corpus that persists
# between runs (build-fuzz/corpus/<target>/, where new inputs go), then merges the
# local corpus into the committed one (-set_cover_merge=1, libFuzzer's -merge=1 with a
# smaller result, and -use_counters=0): only inputs that reach edges the committed
# corpus does not are added, the fewest that cover them, which keeps it small. Adds the
# run to the campaign ledger fuzz/campaign.json (scripts/fuzz-campaign.py: executions,
# seconds, crashes, coverage per target, summed over every run) and prints one JSON
# document (schema ikekit.fuzz/1: executions, executions/s, coverage per target,
# crashes, and the campaign totals); exits 1 when a target crashed, leaving the input
# in build-fuzz/artifacts/<target>/ and the command that reproduces it in the JSON and
# on stderr.
# --coverage replays each committed corpus once in the fuzz build with libFuzzer's
# -print_coverage=1 and writes the coverage of lib/ (edges, functions, the lines of
# uncovered edges) per target, directory and file to build-fuzz/coverage/summary.{txt,json}
# (scripts/fuzz-coverage.py).
# --lines builds the targets as replay binaries (build-fuzz-lines: clang-14 with
# -fprofile-instr-generate -fcoverage-mapping, no sanitizers), replays each committed
# corpus once, merges the profile (llvm-profdata-14) and prints per target the line and
# function coverage (llvm-cov-14) of the code it fuzzes (fuzz/line-coverage-scope.txt)
# and of all the lib/ code it links, to build-fuzz-lines/lines/lines.{txt,json}
# (scripts/fuzz-line-coverage.py, with the uncovered lines per file in the JSON).
# Environment: FUZZ_JOBS (parallel jobs per target, default: the number of cores, at
# most 2), FUZZ_MAX_LEN (libFuzzer -max_len, default 4096), CC/CXX (default clang-14),
# FUZZ_LEDGER (default fuzz/campaign.json), FUZZ_DETECT_LEAKS (libFuzzer -detect_leaks
# while fuzzing, default 0: an input that allocates more than it frees, which OpenSSL's
# lazily filled tables make common, is run twice and the whole heap scanned, which took
# two thirds of fuzz_auth_sign's time; a leak still fails the run, reported by
# LeakSanitizer with its allocation stack when the fuzzer exits, and the replay of the
# committed corpus after the merge checks every input for leaks one by one),
# FUZZ_ASAN_OPTIONS (ASAN_OPTIONS while fuzzing, default
# malloc_context_size=0:quarantine_size_mb=64: no stack is unwound and stored per malloc
# and free, which was a sixth of fuzz_ctl's and a quarter of fuzz_tcp_encap's CPU time;
# a crash report then lacks the allocation and free stacks, which the printed reproduce
# command, run without it, shows; the replay of the committed corpus keeps them. A
# 64 MiB quarantine of freed memory instead of 256 MiB still spans many inputs' frees,
# and spares the page faults of cycling a quarter gigabyte: fuzz_ike_engine and
# fuzz_x509 took 18-29% fewer CPU-seconds, fuzz/README.md).
set -eu
cd "$(dirname "$0")/.."

mode=run
case "${1:-}" in
--ledger) exec python3 scripts/fuzz-campaign.py totals ;;
--coverage)
  mode=coverage
  shift
  ;;
--lines)
  mode=lines
  shift
  ;;
esac
seconds=60
if [ "$mode" = run ]; then
  seconds=${1:-60}
  [ $# -gt 0 ] && shift
  if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "fuzz.sh: SECONDS: \"$seconds\": expected a whole number of seconds, at least 1" >&2
    exit 2
  fi
fi
all=()
for f in fuzz/fuzz_*.cpp; do all+=("$(basename "$f" .cpp)"); done
targets=()
for t in "$@"; do
  if [ "$t" = behind ]; then
    mapfile -t -O "${#targets[@]}" targets < <(python3 scripts/fuzz-campaign.py behind "${all[@]}")
  else
    targets+=("$t")
  fi
done
[ $# -eq 0 ] && targets=("${all[@]}")
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: every target has reached the campaign's goal (scripts/fuzz.sh --ledger)" >&2
  exit 0
fi
for t in "${targets[@]}"; do
  if [ ! -f "fuzz/$t.cpp" ]; then
    echo "fuzz.sh: TARGET: \"$t\": no fuzz/$t.cpp; expected one of: ${all[*]} or behind" >&2
    exit 2
  fi
done
cores=$(nproc)
jobs=${FUZZ_JOBS:-$((cores < 2 ? cores : 2))}
max_len=${FUZZ_MAX_LEN:-4096}
detect_leaks=${FUZZ_DETECT_LEAKS:-0}
asan_options=${FUZZ_ASAN_OPTIONS-malloc_context_size=0:quarantine_size_mb=64}
cxx=${CXX:-clang++-14}
cc=${CC:-clang-14}
if ! command -v "$cxx" >/dev/null; then
  echo "fuzz.sh: $cxx not found (scripts/install-deps.sh installs clang-14)" >&2
  exit 3
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

# Coverage per file: each committed corpus replayed once (-runs=0) by the fuzz build with
# -print_coverage=1 (covered and uncovered functions with their edges, and the source
# lines of the uncovered edges); no second build.
coverage() {
  local out=build-fuzz/coverage t
  rm -rf "$out"
  mkdir -p "$out"
  for t in "${targets[@]}"; do
    echo "fuzz.sh: coverage of $t" >&2
    build-fuzz/fuzz/"$t" -runs=0 -max_len="$max_len" -print_coverage=1 "fuzz/corpus/$t" \
      >"$out/$t.log" 2>&1 || { echo "fuzz.sh: $t: the replay failed ($out/$t.log)" >&2 && exit 1; }
  done
  python3 scripts/fuzz-coverage.py . "$out" "${targets[@]}"
}
# Line coverage: the replay binaries built with clang's source-based coverage, each
# corpus replayed once into its own profile.
lines() {
  local build=build-fuzz-lines out=build-fuzz-lines/lines t flags
  for t in llvm-profdata-14 llvm-cov-14; do
    command -v "$t" >/dev/null || { echo "fuzz.sh: $t not found (apt-get install llvm-14)" >&2 && exit 3; }
  done
  # -O0: counts do not depend on optimisation, and it compiles fastest. A build type of
  # its own (no flags but these): an empty one becomes RelWithDebInfo (CMakeLists.txt),
  # whose -O2, later on the command line, would win. -DNDEBUG as in the fuzz build.
  flags="-O0 -DNDEBUG -fprofile-instr-generate -fcoverage-mapping"
  cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DIKEKIT_FUZZ=OFF -DIKEKIT_TESTS=OFF -DCMAKE_BUILD_TYPE=LineCoverage \
    "-DCMAKE_CXX_FLAGS_LINECOVERAGE=$flags" "-DCMAKE_CXX_FLAGS=" \
    "-DCMAKE_EXE_LINKER_FLAGS_LINECOVERAGE=-fprofile-instr-generate" "-DCMAKE_EXE_LINKER_FLAGS=" \
    "${launcher[@]}" >&2
  cmake --build "$build" -j"$cores" --target "${targets[@]}" >&2
  rm -rf "$out"
  mkdir -p "$out"
  for t in "${targets[@]}"; do
    echo "fuzz.sh: line coverage of $t" >&2
    LLVM_PROFILE_FILE="$out/$t.profraw" "$build/fuzz/$t" "fuzz/corpus/$t" >"$out/$t.log" 2>&1 ||
      { echo "fuzz.sh: $t: the replay failed ($out/$t.log)" >&2 && exit 1; }
    llvm-profdata-14 merge -sparse -o "$out/$t.profdata" "$out/$t.profraw"
  done
  python3 scripts/fuzz-line-coverage.py . "$build" "$out" "${targets[@]}"
}
if [ "$mode" = lines ]; then
  lines
  exit 0
fi
build="build-fuzz"
cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DIKEKIT_FUZZ=ON -DIKEKIT_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >&2
cmake --build "$build" -j"$cores" --target "${targets[@]}" >&2
if [ "$mode" = coverage ]; then
  coverage
  exit 0
fi

results=$(realpath -m "$build/fuzz-results")
rm -rf "$results"
mkdir -p "$results"
status=0
for t in "${targets[@]}"; do
  bin=$(realpath "$build/fuzz/$t")
  corpus=$(realpath "fuzz/corpus/$t")
  work=$(realpath -m "$results/$t")
  local_corpus=$(realpath -m "$build/corpus/$t")
  artifacts=$(realpath -m "$build/artifacts/$t")
  mkdir -p "$corpus" "$work" "$local_corpus" "$artifacts"
  touch "$work/started" # crash inputs of this run are newer
  # -detect_leaks: see FUZZ_DETECT_LEAKS above.
  opts=(-max_total_time="$seconds" -max_len="$max_len" -timeout=25 -rss_limit_mb=2048
    -print_final_stats=1 -artifact_prefix="$artifacts/" -detect_leaks="$detect_leaks")
  [ -f "fuzz/$t.dict" ] && opts+=(-dict="$(realpath "fuzz/$t.dict")")
  # fuzz/<target>.options: libFuzzer flags of that target, one a line, # comments.
  [ -f "fuzz/$t.options" ] && mapfile -t -O "${#opts[@]}" opts < <(sed -e 's/#.*//' -e '/^ *$/d' "fuzz/$t.options")
  echo "fuzz.sh: $t for ${seconds}s with $jobs job(s)" >&2
  # New inputs land in the local corpus (the first dir); the committed one is only read.
  # Jobs write their logs to fuzz-N.log in the current directory.
  set +e
  if [ "$jobs" -gt 1 ]; then
    (cd "$work" && ASAN_OPTIONS="$asan_options" "$bin" "${opts[@]}" -jobs="$jobs" -workers="$jobs" \
      "$local_corpus" "$corpus" >"$work/run.log" 2>&1)
  else
    ASAN_OPTIONS="$asan_options" "$bin" "${opts[@]}" "$local_corpus" "$corpus" >"$work/fuzz-0.log" 2>&1
  fi
  run_status=$?
  set -e
  before=$(find "$corpus" -type f | wc -l)
  # Minimise: only inputs that reach new edges join the committed corpus.
  "$bin" -set_cover_merge=1 -use_counters=0 -max_len="$max_len" "$corpus" "$local_corpus" \
    >"$work/merge.log" 2>&1 || true
  after=$(find "$corpus" -type f | wc -l)
  # Coverage of the corpus as committed now (edges and features of our code).
  # Each committed input once, with libFuzzer's leak check after every input.
  set +e
  "$bin" -runs=0 -max_len="$max_len" -artifact_prefix="$artifacts/" "$corpus" \
    >"$work/coverage.log" 2>&1
  replay_status=$?
  set -e
  [ "$run_status" -eq 0 ] && [ "$replay_status" -ne 0 ] && run_status=$replay_status
  # Not slow-unit-*: libFuzzer keeps any input that took over 10 s of wall time, which a
  # nice'd job starved on a busy machine reaches with an input of 0.07 CPU-seconds (a
  # real hang is a timeout-* past -timeout, and fails the job).
  crash=$(find "$artifacts" -type f -newer "$work/started" ! -name 'slow-unit-*' 2>/dev/null | head -1)
  if [ "$run_status" -ne 0 ] || [ -n "$crash" ]; then
    status=1
    echo "fuzz.sh: $t crashed: input ${crash:-?}; reproduce with: $bin ${crash:-<input>}" >&2
  fi
  printf '%s\n' "$t" "$run_status" "$((after - before))" "$after" "${crash:-}" "$bin" >"$work/facts"
done

python3 scripts/fuzz-campaign.py record "$results" "$seconds" "$jobs" "${targets[@]}"
exit "$status"
