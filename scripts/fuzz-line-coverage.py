#!/usr/bin/env python3
"""fuzz-line-coverage.py - line coverage of the code each fuzz target fuzzes, by its
committed corpus (scripts/fuzz.sh --lines builds the replay binaries with clang-14's
-fprofile-instr-generate -fcoverage-mapping, replays each corpus once and merges the
profile with llvm-profdata-14; this script asks llvm-cov-14 for the per-file counts).

  scripts/fuzz-line-coverage.py SOURCE_ROOT BUILD_DIR OUT_DIR TARGET...
      reads OUT_DIR/<target>.profdata and BUILD_DIR/fuzz/<target>, writes
      OUT_DIR/lines.json (schema ikekit.fuzz-lines/1) and OUT_DIR/lines.txt, and prints
      the text.

Per target: "fuzzed" is the code fuzz/line-coverage-scope.txt names for it (lines and
functions covered of those llvm-cov counts, with the files and their uncovered lines in
the JSON); "linked" is every lib/ file the binary contains code of (the layer and those
below). A row of the scope that matches no file of the binary fails the report, so the
table cannot go stale silently.
"""
import fnmatch
import json
import os
import subprocess
import sys

from fuzz_report import percents, row, write, zero

LLVM_COV = os.environ.get("LLVM_COV", "llvm-cov-14")


def scopes(root):
    out = {}
    with open(os.path.join(root, "fuzz", "line-coverage-scope.txt")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                target, globs = line.split(":", 1)
                out[target.strip()] = globs.split()
    return out


def files_of(root, binary, profdata):
    """{repo-relative path: llvm-cov's per-file summary} of lib/ files in the binary."""
    doc = json.loads(subprocess.run(
        [LLVM_COV, "export", "-summary-only", "-instr-profile", profdata, binary],
        check=True, capture_output=True, text=True).stdout)
    out = {}
    for f in doc["data"][0]["files"]:
        path = os.path.relpath(os.path.realpath(f["filename"]), root)
        if path.startswith("lib/"):
            out[path] = f["summary"]
    return out


def uncovered_lines(root, binary, profdata, paths):
    """{path: [line, ...]} of the lines with a count of 0 (llvm-cov show's text)."""
    if not paths:
        return {}
    # Every file, filtered here: llvm-cov's own file filter matches the paths as they were
    # compiled (relative ones under ccache's base_dir), not as given.
    text = subprocess.run(
        [LLVM_COV, "show", "-instr-profile", profdata, binary, "-show-line-counts",
         "-use-color=false"], check=True, capture_output=True, text=True).stdout
    wanted, out, current = set(paths), {}, None
    for line in text.splitlines():
        if line.endswith(":") and "|" not in line:  # a file's heading
            current = os.path.relpath(os.path.realpath(line[:-1]), root)
            continue
        parts = line.split("|", 2)
        if current in wanted and len(parts) == 3 and parts[1].strip() == "0" and parts[0].strip().isdigit():
            out.setdefault(current, []).append(int(parts[0]))
    return out


def add(into, summary):
    for k in ("lines", "functions"):
        into[k]["covered"] += summary[k]["covered"]
        into[k]["total"] += summary[k]["count"]


def total(files):
    t = zero("lines", "functions")
    for s in files.values():
        add(t, s)
    return percents(t)


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        sys.exit(2)
    root, build, out, targets = os.path.realpath(argv[1]), argv[2], argv[3], argv[4:]
    table = scopes(root)
    doc = {"schema": "ikekit.fuzz-lines/1", "targets": {}}
    text = ["Line coverage by the committed corpora (llvm-cov; fuzzed: fuzz/line-coverage-scope.txt,",
            "linked: every lib/ file in the target)", ""]
    failed = False
    for t in targets:
        if t not in table:
            sys.stderr.write(f"fuzz-line-coverage: {t}: no row in fuzz/line-coverage-scope.txt\n")
            failed = True
            continue
        binary, profdata = os.path.join(build, "fuzz", t), os.path.join(out, t + ".profdata")
        linked = files_of(root, binary, profdata)
        fuzzed = {}
        for g in table[t]:
            hits = [p for p in linked if fnmatch.fnmatch(p, g)]
            if not hits:
                sys.stderr.write(f"fuzz-line-coverage: {t}: \"{g}\" matches no file of the binary\n")
                failed = True
            fuzzed.update({p: linked[p] for p in hits})
        missed = uncovered_lines(root, binary, profdata, sorted(fuzzed))
        doc["targets"][t] = {
            "fuzzed": total(fuzzed),
            "linked": total(linked),
            "files": {p: {"lines": s["lines"], "functions": s["functions"],
                          "uncovered_lines": missed.get(p, [])} for p, s in sorted(fuzzed.items())},
        }
        text += [row(t + " fuzzed", doc["targets"][t]["fuzzed"], "lines", 34),
                 row(t + " linked", doc["targets"][t]["linked"], "lines", 34)]
    write(out, "lines", doc, text)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv)
