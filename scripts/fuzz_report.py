"""fuzz_report.py - what scripts/fuzz-coverage.py (edges per file, libFuzzer) and
scripts/fuzz-line-coverage.py (lines per file, llvm-cov) print alike: the percentages,
the rows of their text tables, and the JSON document and text written side by side.

A stats dict maps a kind ("edges", "lines", "functions") to {"covered", "total"} and,
once percents() has run, "percent".
"""
import json
import os


def zero(*kinds):
    """A stats dict with nothing counted of each kind."""
    return {k: {"covered": 0, "total": 0} for k in kinds}


def percents(stats):
    """Adds "percent" (one decimal, 0.0 when nothing is counted) to every kind of stats."""
    for s in stats.values():
        s["percent"] = round(100.0 * s["covered"] / s["total"], 1) if s["total"] else 0.0
    return stats


def row(label, stats, kind, width):
    """One line of a table: `kind` ("edges" or "lines") covered of total, then functions."""
    k, fn = stats[kind], stats["functions"]
    return (f"{label:<{width}} {kind} {k['covered']:>6}/{k['total']:<6} {k['percent']:>5.1f}%"
            f"   functions {fn['covered']:>5}/{fn['total']:<5} {fn['percent']:>5.1f}%")


def write(out, stem, doc, text):
    """Writes OUT/<stem>.json (doc) and OUT/<stem>.txt (text lines), and prints the text."""
    with open(os.path.join(out, stem + ".json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    with open(os.path.join(out, stem + ".txt"), "w") as f:
        f.write("\n".join(text) + "\n")
    print("\n".join(text))
