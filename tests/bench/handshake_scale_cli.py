#!/usr/bin/env python3
"""ike-bench handshake --mode inproc and ike-bench scale end to end: short runs give a
complete, sane ikekit.ike-bench/1 document (results present, error null, positive
rates, p50 <= p99); a baseline with every rate multiplied by 10 makes the gate fail
(exit 1); bad flags exit 2 naming the flag. No timing assertions."""
import json
import os
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(args):
    p = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=50)
    doc = None
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        check(False, f"{args}: stdout is not one JSON document: {p.stdout!r}")
    return p.returncode, doc or {}, p.stderr


def inflate(doc, path):
    """Multiplies every top-level rate and every ratio by 10 and writes the document."""
    d = json.loads(json.dumps(doc))
    for r in d["results"]:
        for k, v in list(r.items()):
            if k.endswith("_per_s") and isinstance(v, (int, float)):
                r[k] = v * 10
        for k, v in r.get("ratio", {}).items():
            if isinstance(v, (int, float)):
                r["ratio"][k] = v * 10
    with open(path, "w") as f:
        json.dump(d, f)


def gate_fails(args, doc, tmp, name):
    path = os.path.join(tmp, name + ".json")
    inflate(doc, path)
    rc, bad, err = run(args + ["--baseline", path, "--max-regression", "20"])
    check(rc == 1, f"{name}: doctored baseline exit {rc}: {err}")
    g = bad.get("gate", {})
    check(g.get("passed") is False and g.get("regressions"), f"{name}: gate {g}")
    check("regression:" in err, f"{name}: stderr lists the regressions: {err}")
    check(len(bad.get("results", [])) == 1, f"{name}: document still printed")


BIN = sys.argv[1]
HS = ["handshake", "--mode", "inproc", "--count", "50"]
SCALE = ["scale", "--sas", "200", "--batch", "16", "--lookups", "100"]

with tempfile.TemporaryDirectory() as tmp:
    rc, doc, err = run(HS)
    check(rc == 0, f"handshake exit {rc}: {err}")
    check(doc.get("schema") == "ikekit.ike-bench/1", "handshake schema")
    res = doc.get("results", [])
    check(len(res) == 1, "one handshake result")
    if res:
        r = res[0]
        check(r["name"] == "handshake_inproc", "name")
        check(r["error"] is None, f"error {r['error']}")
        check(r["params"]["count"] == 50 and r["params"]["auth"] == "psk", f"params {r['params']}")
        check(r["completed"] == 50 and r["failed"] == 0, "50 completed, none failed")
        check(r["handshakes_per_s"] > 0, "rate positive")
        l = r["latency_ms"]
        check(0 < l["p50"] <= l["p90"] <= l["p99"] <= l["max"], f"latency order {l}")
        cpu = r["cpu_ms_per_handshake"]
        check(cpu["initiator"] > 0 and cpu["responder"] > 0 and cpu["total"] > 0, f"cpu {cpu}")
        check(r["messages_per_handshake"] == 4, "4 messages per PSK handshake")
        check(r["bytes_per_handshake"] > 0 and r["bytes_per_s"] > 0, "bytes")
        check(r["kex_bound_handshakes_per_s"] > 0, "kex bound")
        check(r["ratio"]["vs_kex_bound"] > 0, "ratio to the kex bound")
        text = json.dumps(doc)
        for secret in ("in-process psk", "sk_d", "sk_ei", "PRIVATE KEY"):
            check(secret not in text, f"no key material in the document ({secret})")
        gate_fails(HS, doc, tmp, "handshake")

    rc, doc, err = run(["handshake", "--count", "3", "--auth", "ecdsa"])
    check(rc == 0, f"handshake ecdsa exit {rc}: {err}")
    r = (doc.get("results") or [{}])[0]
    check(r.get("error") is None and r.get("completed") == 3, f"ecdsa result {r.get('error')}")
    check(r.get("signature", {}).get("sign_ms", 0) > 0, "ecdsa signature cost")

    rc, doc, err = run(SCALE)
    check(rc == 0, f"scale exit {rc}: {err}")
    check(doc.get("schema") == "ikekit.ike-bench/1", "scale schema")
    res = doc.get("results", [])
    check(len(res) == 1, "one scale result")
    if res:
        r = res[0]
        check(r["name"] == "scale" and r["error"] is None, f"scale error {r.get('error')}")
        check(r["established"] == 200 and r["failed"] == 0, "200 established")
        check(r["setup_per_s"] > 0, "setup rate")
        check(r["lookup_ns"] > 0 and r["lookup_retransmit_ns"] > 0, "lookup cost")
        check(r["lookups"] == 100 and r["retransmits_answered"] == 100, "lookups answered")
        check(isinstance(r["memory_per_sa_pair_bytes"], (int, float)), "memory figure")
        gate_fails(SCALE, doc, tmp, "scale")

# Usage errors: exit 2 naming the flag.
for args, field in [
    (["handshake", "--mode", "tcp"], "--mode"),
    (["handshake", "--auth", "dsa"], "--auth"),
    (["handshake", "--ike-proposal", "aes999-prfsha256-x25519"], "--ike-proposal"),
    (["handshake", "--esp-proposal", "nope"], "--esp-proposal"),
    (["handshake", "--duration", "5x"], "--duration"),
    (["handshake", "--count", "0"], "--count"),
    (["handshake", "--target", "127.0.0.1"], "--target"),
    (["handshake", "--peer", "strongswan"], "--peer"),
    (["scale", "--sas", "0"], "--sas"),
    (["scale", "--batch", "0"], "--batch"),
    (["scale", "--ike-proposal", "aes256gcm16-prfsha256"], "--ike-proposal"),
]:
    rc, e, err = run(args)
    check(rc == 2, f"{args} exit {rc}")
    check(e.get("error", {}).get("field") == field, f"{args} error {e}")
rc, e, err = run(["handshake", "--count", "3", "--duration", "1s"])
check(rc == 2 and "error" in e, f"--count with --duration exit {rc}")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("ok")
