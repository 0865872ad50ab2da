#!/usr/bin/env python3
"""fuzz-coverage.py - coverage of lib/ by the committed fuzz corpora, per target and per
source directory and file, from libFuzzer's -print_coverage=1 (scripts/fuzz.sh --coverage
replays each corpus once in the fuzz build with it).

  scripts/fuzz-coverage.py SOURCE_ROOT OUT_DIR TARGET...
      reads OUT_DIR/<target>.log, writes OUT_DIR/summary.json (schema
      ikekit.fuzz-coverage/1) and OUT_DIR/summary.txt, and prints the text.

Counted per file of lib/ (a function counts in the file that defines it): edges (the
instrumented basic blocks libFuzzer's feedback is made of) covered of those compiled
in, functions entered of those compiled in, and the source lines of the uncovered edges
of entered functions. A target counts the lib/ code linked into it (its layer and those
below: a file it never enters counts as uncovered there); "all" counts an edge covered
when any target covers it (edges of one function compiled into several targets are the
same edges).
"""
import os
import re
import sys
from collections import defaultdict

import fuzz_report
from fuzz_report import percents, row, write

FUNC = re.compile(r"^(COVERED|UNCOVERED)_FUNC: hits: (\d+) edges: (\d+)/(\d+) (.*) (\S+):(\d+)$")
PC = re.compile(r"^\s+UNCOVERED_PC: (\S+):(\d+)$")


def rel(path, root):
    return os.path.relpath(os.path.realpath(path), root)


def functions_of(log, root):
    """{(file, name): (covered edges, total edges, {uncovered lines})} of lib/ functions."""
    out, current = {}, None
    with open(log, errors="replace") as f:
        for line in f:
            m = FUNC.match(line.rstrip("\n"))
            if m:
                path = rel(m.group(6), root)
                current = None
                if path.startswith("lib/"):
                    current = (path, m.group(5))
                    out[current] = [int(m.group(3)), int(m.group(4)), set()]
                continue
            p = PC.match(line.rstrip("\n"))
            if p and current and rel(p.group(1), root) == current[0] and p.group(2) != "0":
                out[current][2].add(int(p.group(2)))
    return out


def zero():
    return fuzz_report.zero("edges", "functions")


def table(funcs):
    files = defaultdict(zero)
    uncovered = defaultdict(set)
    for (path, _), (cov, tot, lines) in funcs.items():
        f = files[path]
        f["edges"]["covered"] += cov
        f["edges"]["total"] += tot
        f["functions"]["covered"] += 1 if cov else 0
        f["functions"]["total"] += 1
        uncovered[path] |= lines
    for path, f in files.items():
        f["uncovered_lines"] = sorted(uncovered[path])
    return dict(sorted(files.items()))


def directory(path):
    return path.split("/include/")[0] if "/include/" in path else os.path.dirname(path)


def rollup(files):
    total, dirs = zero(), defaultdict(zero)
    for path, f in files.items():
        for into in (total, dirs[directory(path)]):
            for k in ("edges", "functions"):
                into[k]["covered"] += f[k]["covered"]
                into[k]["total"] += f[k]["total"]
    for s in [total, *dirs.values(), *files.values()]:
        percents({k: s[k] for k in ("edges", "functions")})
    return total, dict(sorted(dirs.items()))


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        sys.exit(2)
    root, out, targets = os.path.realpath(argv[1]), argv[2], argv[3:]
    doc = {"schema": "ikekit.fuzz-coverage/1", "targets": {}}
    text = ["Coverage of lib/ by the committed corpora (libFuzzer -print_coverage; per target:",
            "the lib/ code it links, per directory)", ""]
    union = {}
    for t in targets:
        funcs = functions_of(os.path.join(out, t + ".log"), root)
        for key, (cov, tot, lines) in funcs.items():
            if key in union:  # covered by either: the larger count, uncovered lines of both runs' best
                u = union[key]
                if cov > u[0]:
                    union[key] = [cov, tot, set(lines)]
            else:
                union[key] = [cov, tot, set(lines)]
        files = table(funcs)
        total, dirs = rollup(files)
        doc["targets"][t] = {"total": total, "directories": dirs}
        text.append(row(t, total, "edges", 30))
        for d, s in dirs.items():
            if s["edges"]["covered"]:
                text.append(row("  " + d, s, "edges", 30))
    files = table(union)
    total, dirs = rollup(files)
    doc["all"] = {"total": total, "directories": dirs, "files": files}
    text += ["", "Every target together, per directory and file", row("all", total, "edges", 46)]
    for d, s in dirs.items():
        text.append(row("  " + d, s, "edges", 46))
        for path, f in files.items():
            if directory(path) == d:
                text.append(row("    " + path[len(d) + 1:], f, "edges", 46))
    write(out, "summary", doc, text)


if __name__ == "__main__":
    main(sys.argv)
