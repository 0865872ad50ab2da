#!/usr/bin/env python3
"""tidy-run.py - run clang-tidy for scripts/tidy.sh; exit 1 on any finding.

  scripts/tidy-run.py TIDY BUILD_DIR              every .cpp of lib/ and tools/, by batch
  scripts/tidy-run.py TIDY BUILD_DIR FILE...      only these files, one by one

BUILD_DIR is configured with -DIKEKIT_UNITY=ON: its compile database lists CMake's unity
batches (unity_N_cxx.cxx, 8 sources of one target each), not the sources. clang-tidy
parses and checks the standard library, nlohmann/json and OpenSSL headers once per
translation unit, which is most of its time, so a batch costs little more than one of its
files (README, Two commands). Findings in the included sources are reported through the
header filter, which is this checkout: lib/, tools/, the generated headers in BUILD_DIR.
Every .cpp of lib/ and tools/ must be in some batch, or the run fails naming it (a gate
that silently skips a file is no gate).

With FILEs, each is checked on its own with the flags of the batch that holds it (its
target's include roots and definitions); a file outside lib/ and tools/ (the planted bug
of tests/tidy/) gets -std=c++20 only.

Units run `nproc` at a time, slowest first (estimated_cost); each unit's output is
printed whole, then one line per unit with its time. Exit 0: no finding; 1: findings or a
file no batch holds (listed).
"""
import concurrent.futures
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'^#include\s+"([^"]+)"', re.M)


def own_sources():
    """Every .cpp of lib/ and tools/ (what the CMake globs of lib/ and tools/ compile)."""
    return sorted(p for d in ("lib", "tools") for p in (ROOT / d).rglob("*.cpp"))


def batches(build):
    """{unity file: (its compile command entry, the sources it includes)} for lib/, tools/."""
    out = {}
    for entry in json.loads((build / "compile_commands.json").read_text()):
        unit = pathlib.Path(entry["directory"], entry["file"]).resolve()
        rel = unit.relative_to(build) if unit.is_relative_to(build) else None
        if rel is None or rel.parts[0] not in ("lib", "tools") or "Unity" not in rel.parts:
            continue
        srcs = [pathlib.Path(s).resolve() for s in INCLUDE.findall(unit.read_text())]
        out[unit] = (entry, srcs)
    return out


def command_for(entry, source):
    """entry's compile command, compiling `source` instead of the batch (no output file)."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    kept, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("-o", "-c"):
            skip = True
        else:
            kept.append(a)
    return kept + ["-c", str(source)]


def estimated_cost(srcs):
    """For the order of the run: a batch with CLI11 (lib/cli, the tools) costs ~30 CPU-s,
    most of it performance-unnecessary-value-param in CLI11's functions; others 2-17 s."""
    texts = [s.read_text() for s in srcs]
    heavy = any('#include "cli/' in t or "<CLI/" in t for t in texts)
    return (heavy, sum(len(t) for t in texts))


def units_and_db(build, files, db_dir):
    """The translation units to check and a compile database (in db_dir) naming them."""
    held = {src: entry for entry, srcs in batches(build).values() for src in srcs}
    db, units = [], []
    if files:
        for f in files:
            src = pathlib.Path(f).resolve()
            if src in held:
                cmd = command_for(held[src], src)
            else:
                cmd = ["c++", "-std=c++20", "-c", str(src)]
            db.append({"directory": str(ROOT), "file": str(src), "arguments": cmd})
            units.append(src)
    else:
        missing = [s for s in own_sources() if s not in held]
        if missing:
            print("tidy: in no unity batch of %s, so not checked:" % build, file=sys.stderr)
            for s in missing:
                print("  " + str(s.relative_to(ROOT)), file=sys.stderr)
            sys.exit(1)
        for unit, (entry, srcs) in batches(build).items():
            db.append(entry)
            units.append((estimated_cost(srcs), unit))
        units = [u for _, u in sorted(units, reverse=True)]
    (db_dir / "compile_commands.json").write_text(json.dumps(db))
    return units


def run_unit(tidy, db_dir, header_filter, unit):
    """Check one translation unit: (unit, exit status, output, wall s, CPU s)."""
    start = time.monotonic()
    proc = subprocess.Popen([tidy, "-p", str(db_dir), "--quiet", "--header-filter=" + header_filter,
                             str(unit)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    return unit, os.waitstatus_to_exitcode(status), output, time.monotonic() - start, cpu


def main():
    tidy, build, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    build = pathlib.Path(build).resolve()
    header_filter = "^" + re.escape(str(ROOT)) + "/"
    with tempfile.TemporaryDirectory(prefix="ikekit-tidy.") as tmp:
        db_dir = pathlib.Path(tmp)
        units = units_and_db(build, files, db_dir)
        failed, findings, cpu_total = [], set(), 0.0
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
            jobs = [pool.submit(run_unit, tidy, db_dir, header_filter, u) for u in units]
            for job in concurrent.futures.as_completed(jobs):
                unit, status, output, wall, cpu = job.result()
                name = os.path.relpath(unit, ROOT)
                cpu_total += cpu
                print("tidy: %-66s %5.1f s (CPU %5.1f s)%s" % (name, wall, cpu, "" if status == 0 else "  FAILED"), flush=True)
                if status != 0:
                    failed.append(name)
                    print(output, end="")
                findings.update(l for l in output.splitlines() if re.search(r"(warning|error): ", l))
    wall = time.monotonic() - start
    if failed:
        print("tidy: %d finding(s) in %d of %d units (%.0f s, CPU %.0f s):" % (len(findings), len(failed), len(units), wall, cpu_total))
        for line in sorted(findings):
            print("  " + line)
        return 1
    print("tidy: %d units, no findings (%.0f s, CPU %.0f s)" % (len(units), wall, cpu_total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
