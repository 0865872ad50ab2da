#!/usr/bin/env python3
"""layer-graph.py - print the layer graph of lib/ as the build sees it; --check fails on
an upward edge.

  scripts/layer-graph.py [--check] BUILD_DIR

Two graphs are read from the build and compared with the order of DESIGN 2:
  links     ikekit_<layer> -> ikekit_<layer>, from `cmake --graphviz` of BUILD_DIR
  includes  lib/<layer>/**.cpp|hpp -> the layer of each #include "<layer>/...", for every
            file of lib/ (compile_commands.json names the sources the build compiles)
An edge is upward when it goes from a layer to one of a higher rank than itself or to
one of the same rank that is not itself (eap and radius, ike and esp, decode and ctl are siblings).
Exit 0: no upward edge; 1: upward edges (listed); 2: the build directory is unusable.
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

# DESIGN 2: base <- wire <- crypto <- eap, radius <- ike, esp <- json <- decode, ctl <- io
# <- cli; sim (the engines' simulated network, for tests, fuzzer and ike-bench) sits
# beside json on ike. eap and radius are sans-I/O building blocks under the engine (ike will run EAP
# inside IKE_AUTH) and under io (which drives the RADIUS client over a socket).
RANK = {"base": 0, "wire": 1, "crypto": 2, "eap": 3, "radius": 3, "ike": 4, "esp": 4,
        "json": 5, "sim": 5, "decode": 6, "ctl": 6, "io": 7, "cli": 8}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/', re.M)


def upward(src, dst):
    return src != dst and RANK[dst] >= RANK[src]


def link_edges(build):
    with tempfile.TemporaryDirectory() as tmp:
        dot = pathlib.Path(tmp) / "g.dot"
        subprocess.run(["cmake", f"--graphviz={dot}", str(build)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        text = dot.read_text()
    names = dict(re.findall(r'"(node\d+)" \[ label = "([^"]+)"', text))
    edges = set()
    for a, b in re.findall(r'"(node\d+)" -> "(node\d+)"', text):
        la, lb = names[a], names[b]
        if la.startswith("ikekit_") and lb.startswith("ikekit_"):
            la, lb = la[len("ikekit_"):], lb[len("ikekit_"):]
            if la in RANK and lb in RANK:
                edges.add((la, lb))
    return edges


def include_edges(root):
    edges = {}
    for f in sorted((root / "lib").rglob("*")):
        if f.suffix not in (".cpp", ".hpp") or not f.is_file():
            continue
        src = f.relative_to(root / "lib").parts[0]
        if src not in RANK:
            continue
        for dst in INCLUDE.findall(f.read_text(errors="replace")):
            if dst in RANK and dst != src:
                edges.setdefault((src, dst), []).append(str(f.relative_to(root)))
    return edges


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    build = pathlib.Path(args[0]).resolve()
    if not (build / "compile_commands.json").exists():
        print(f"layer-graph: {build}: no compile_commands.json (configure the build first)",
              file=sys.stderr)
        return 2
    root = pathlib.Path(__file__).resolve().parent.parent
    links = link_edges(build)
    includes = include_edges(root)
    bad = []
    print("links:")
    for a, b in sorted(links, key=lambda e: (RANK[e[0]], e)):
        mark = "  UPWARD" if upward(a, b) else ""
        print(f"  {a} -> {b}{mark}")
        if mark:
            bad.append(f"link {a} -> {b}")
    print("includes:")
    for (a, b), files in sorted(includes.items(), key=lambda e: (RANK[e[0][0]], e[0])):
        mark = "  UPWARD" if upward(a, b) else ""
        print(f"  {a} -> {b} ({len(files)} files){mark}")
        if mark:
            bad.append(f"include {a} -> {b}: {', '.join(files[:5])}")
    if check and bad:
        print("layer-graph: upward edges (DESIGN 2):", file=sys.stderr)
        for b in bad:
            print(f"  {b}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
