#!/usr/bin/env python3
"""ike-bench end to end: a short `esp` run gives a complete, sane ikekit.ike-bench/1
document; the gate passes against that document, fails (exit 1, regression listed)
against a copy with inflated rates, refuses (exit 2) a baseline that is not an
ike-bench document; usage errors exit 2 naming the flag.
No timing assertions: only that rates are positive and the shapes are right."""
import json
import os
import subprocess
import sys
import tempfile

CONTEXT_KEYS = ["host", "kernel", "cpus", "cpu_model", "cpu_flags", "openssl_version",
                "build_type", "ikekit_version", "git_commit", "date"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(args):
    p = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=100)
    doc = None
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        check(False, f"{args}: stdout is not one JSON document: {p.stdout!r}")
    return p.returncode, doc, p.stderr


BIN = sys.argv[1]
ESP = ["esp", "--cipher", "aes256gcm16", "--size", "256", "--duration", "200ms", "--rounds", "3"]

with tempfile.TemporaryDirectory() as tmp:
    rc, doc, err = run(ESP)
    check(rc == 0, f"esp exit {rc}, stderr {err}")
    check(doc["schema"] == "ikekit.ike-bench/1", "schema")
    ctx = doc["context"]
    check(list(ctx.keys()) == CONTEXT_KEYS, f"context keys {list(ctx.keys())}")
    check(isinstance(ctx["cpus"], int) and ctx["cpus"] > 0, "context.cpus")
    check(isinstance(ctx["cpu_flags"], list), "context.cpu_flags")
    check(ctx["date"].endswith("Z") and "T" in ctx["date"], "context.date RFC 3339")
    results = doc["results"]
    check([r["name"] for r in results] == ["esp_seal", "esp_open"], "two results, seal and open")
    for r in results:
        check(r["params"] == {"cipher": "aes256gcm16", "size_bytes": 256}, f"{r['name']} params")
        check(r["error"] is None, f"{r['name']} error {r['error']}")
        check(r["packets_per_s"] > 0 and r["bytes_per_s"] > 0, f"{r['name']} rates positive")
        check(abs(r["bytes_per_s"] - r["packets_per_s"] * 256) <= 256, f"{r['name']} bytes = pps * size")
        check(r["rounds"] == 3, f"{r['name']} rounds")
        check(r["spread_pct"] >= 0, f"{r['name']} spread")
        check(r["raw"]["packets_per_s"] > 0, f"{r['name']} raw rate")
        check(r["raw"]["text_bytes"] == 260, f"{r['name']} raw text = 256 + 2 padding + 2 trailer")
        check(r["ratio"]["vs_openssl_raw"] > 0, f"{r['name']} ratio")
    check("gate" not in doc, "no gate without --baseline")

    base = os.path.join(tmp, "base.json")
    with open(base, "w") as f:
        json.dump(doc, f)

    # Against itself with a generous limit: passes (the limit only absorbs run-to-run noise
    # of this short run; no timing is asserted).
    rc, same, err = run(ESP + ["--baseline", base, "--max-regression", "95"])
    check(rc == 0, f"self gate exit {rc}: {err}")
    g = same.get("gate", {})
    check(g.get("passed") is True and g.get("regressions") == [], f"self gate {g}")
    check(g.get("baseline") == base and g.get("max_regression_pct") == 95, "gate echoes options")
    check(g.get("compared") == 6, f"gate compared {g.get('compared')}")

    # Inflated rates: every rate regresses.
    inflated = json.loads(json.dumps(doc))
    for r in inflated["results"]:
        r["packets_per_s"] *= 1000
        r["bytes_per_s"] *= 1000
    infl = os.path.join(tmp, "inflated.json")
    with open(infl, "w") as f:
        json.dump(inflated, f)
    rc, bad, err = run(ESP + ["--baseline", infl, "--max-regression", "10"])
    check(rc == 1, f"inflated gate exit {rc}")
    g = bad.get("gate", {})
    check(g.get("passed") is False, "inflated gate fails")
    # Every inflated rate regresses; the ratio may too, by run-to-run noise alone.
    listed = {(x["name"], x["metric"]) for x in g.get("regressions", [])}
    expected = {("esp_open", "bytes_per_s"), ("esp_open", "packets_per_s"),
                ("esp_seal", "bytes_per_s"), ("esp_seal", "packets_per_s")}
    check(expected <= listed, f"regressions {sorted(listed)}")
    for x in g.get("regressions", []):
        if x["metric"].endswith("_per_s"):
            check(x["change_pct"] < -99 and x["baseline"] > x["current"], f"regression values {x}")
        check(x["params"] == {"cipher": "aes256gcm16", "size_bytes": 256}, "regression params")
    check(err.count("regression: esp_") == len(listed), f"stderr lists each regression: {err}")
    check("results" in bad and len(bad["results"]) == 2, "document still printed with the gate")

    # A baseline that is not an ike-bench document: usage error naming the file.
    other = os.path.join(tmp, "other.json")
    with open(other, "w") as f:
        json.dump({"schema": "ikekit.ike-decode/1"}, f)
    rc, e, err = run(ESP + ["--baseline", other])
    check(rc == 2, f"foreign baseline exit {rc}")
    check(e and e["error"]["field"] == "--baseline" and other in e["error"]["message"],
          f"foreign baseline error {e}")
    rc, e, err = run(ESP + ["--baseline", os.path.join(tmp, "missing.json")])
    check(rc == 2 and e["error"]["code"] == "usage", f"missing baseline exit {rc}")

# Usage errors.
rc, e, err = run(["esp", "--cipher", "aes999"])
check(rc == 2 and e["error"]["field"] == "--cipher", f"bad cipher: {rc} {e}")
rc, e, err = run(["esp", "--duration", "5x"])
check(rc == 2 and e["error"]["field"] == "--duration", f"bad duration: {rc} {e}")
rc, e, err = run(["esp", "--size", "0"])
check(rc == 2 and e["error"]["field"] == "--size", f"bad size: {rc} {e}")
rc, e, err = run([])
check(rc == 2 and "error" in e, f"no subcommand: {rc}")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("ok")
