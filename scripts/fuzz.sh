#!/bin/bash
# fuzz.sh - a libFuzzer campaign over the targets in fuzz/ (fuzz/README.md).
#   scripts/fuzz.sh [SECONDS] [TARGET...]    default 60 s each, every fuzz/fuzz_*.cpp
# Builds build-fuzz with clang-14 (-DIKEKIT_FUZZ=ON: libFuzzer, ASan, UBSan), runs each
# target for SECONDS on its committed corpus (fuzz/corpus/<target>/, plus
# fuzz/<target>.dict when there is one) and a local working corpus that persists
# between runs (build-fuzz/corpus/<target>/, where new inputs go), then merges the
# local corpus into the committed one (-set_cover_merge=1, libFuzzer's -merge=1 with a
# smaller result, and -use_counters=0): only inputs that reach edges the committed
# corpus does not are added, the fewest that cover them, which keeps it small. Prints one JSON document
# (schema ikekit.fuzz/1: executions, executions/s, coverage per target, crashes);
# exits 1 when a target crashed, leaving the input in build-fuzz/artifacts/<target>/
# and the command that reproduces it in the JSON and on stderr.
# Environment: FUZZ_JOBS (parallel jobs per target, default: the number of cores, at
# most 2), FUZZ_MAX_LEN (libFuzzer -max_len, default 4096), CC/CXX (default clang-14).
set -eu
cd "$(dirname "$0")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "fuzz.sh: SECONDS: \"$seconds\": expected a whole number of seconds, at least 1" >&2
  exit 2
fi
all=()
for f in fuzz/fuzz_*.cpp; do all+=("$(basename "$f" .cpp)"); done
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
for t in "${targets[@]}"; do
  if [ ! -f "fuzz/$t.cpp" ]; then
    echo "fuzz.sh: TARGET: \"$t\": no fuzz/$t.cpp; expected one of: ${all[*]}" >&2
    exit 2
  fi
done
cores=$(nproc)
jobs=${FUZZ_JOBS:-$((cores < 2 ? cores : 2))}
max_len=${FUZZ_MAX_LEN:-4096}
cxx=${CXX:-clang++-14}
cc=${CC:-clang-14}
if ! command -v "$cxx" >/dev/null; then
  echo "fuzz.sh: $cxx not found (scripts/install-deps.sh installs clang-14)" >&2
  exit 3
fi

build="build-fuzz"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DIKEKIT_FUZZ=ON -DIKEKIT_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >&2
cmake --build "$build" -j"$cores" --target "${targets[@]}" >&2

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
  opts=(-max_total_time="$seconds" -max_len="$max_len" -timeout=25 -rss_limit_mb=2048
    -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ -f "fuzz/$t.dict" ] && opts+=(-dict="$(realpath "fuzz/$t.dict")")
  echo "fuzz.sh: $t for ${seconds}s with $jobs job(s)" >&2
  # New inputs land in the local corpus (the first dir); the committed one is only read.
  # Jobs write their logs to fuzz-N.log in the current directory.
  set +e
  if [ "$jobs" -gt 1 ]; then
    (cd "$work" && "$bin" "${opts[@]}" -jobs="$jobs" -workers="$jobs" "$local_corpus" \
      "$corpus" >"$work/run.log" 2>&1)
  else
    "$bin" "${opts[@]}" "$local_corpus" "$corpus" >"$work/fuzz-0.log" 2>&1
  fi
  run_status=$?
  set -e
  before=$(find "$corpus" -type f | wc -l)
  # Minimise: only inputs that reach new edges join the committed corpus.
  "$bin" -set_cover_merge=1 -use_counters=0 -max_len="$max_len" "$corpus" "$local_corpus" \
    >"$work/merge.log" 2>&1 || true
  after=$(find "$corpus" -type f | wc -l)
  # Coverage of the corpus as committed now (edges and features of our code).
  "$bin" -runs=0 -max_len="$max_len" "$corpus" >"$work/coverage.log" 2>&1 || true
  crash=$(find "$artifacts" -type f -newer "$work/started" 2>/dev/null | head -1)
  if [ "$run_status" -ne 0 ] || [ -n "$crash" ]; then
    status=1
    echo "fuzz.sh: $t crashed: input ${crash:-?}; reproduce with: $bin ${crash:-<input>}" >&2
  fi
  printf '%s\n' "$t" "$run_status" "$((after - before))" "$after" "${crash:-}" "$bin" >"$work/facts"
done

python3 - "$results" "$seconds" "$jobs" "${targets[@]}" <<'EOF'
import glob, json, os, re, subprocess, sys
results, seconds, jobs, targets = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]

def final_stat(text, name):
    return [float(m) for m in re.findall(r"stat::%s:\s*([0-9.]+)" % name, text)]

out = []
for t in targets:
    work = os.path.join(results, t)
    name, run_status, added, files, crash, binary = open(os.path.join(work, "facts")).read().split("\n")[:6]
    logs = "".join(open(f, errors="replace").read() for f in glob.glob(os.path.join(work, "fuzz-*.log")))
    execs = int(sum(final_stat(logs, "number_of_executed_units")))
    rate = sum(final_stat(logs, "average_exec_per_sec"))
    if execs == 0:  # a job killed by a crash prints no final stats: its last status line
        last = re.findall(r"^#(\d+)\s+(?:NEW|REDUCE|pulse|DONE).*exec/s: (\d+)", logs, re.M)[-1:]
        execs, rate = (int(last[0][0]), float(last[0][1])) if last else (0, 0)
    rss = max(final_stat(logs, "peak_rss_mb") or [0])
    cov = re.findall(r"INITED cov: (\d+) ft: (\d+)", open(os.path.join(work, "coverage.log"), errors="replace").read())
    entry = {
        "target": t,
        "seconds": seconds,
        "jobs": jobs,
        "executions": execs,
        "executions_per_s": round(rate) if rate else round(execs / seconds),
        "coverage_edges": int(cov[-1][0]) if cov else None,
        "coverage_features": int(cov[-1][1]) if cov else None,
        "corpus_files": int(files),
        "corpus_files_added": int(added),
        "peak_rss_mb": int(rss),
        "crash": None,
    }
    if run_status != "0" or crash:
        entry["crash"] = {"input": crash or None, "reproduce": binary + " " + (crash or "<input>"),
                          "exit_status": int(run_status), "log": work}
    out.append(entry)
doc = {
    "schema": "ikekit.fuzz/1",
    "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip() or None,
    "targets": out,
    "crashes": sum(1 for e in out if e["crash"]),
}
print(json.dumps(doc, indent=2))
EOF
exit "$status"
