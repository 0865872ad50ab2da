#!/usr/bin/env python3
"""ike-bench roam end to end (root; exit 77 "SKIP: ..." otherwise).

roam_cli.py IKE_BENCH
  usage errors (exit 2 naming the flag); then one short run,
  `roam --compare ikekit,strongswan,wireguard-go --rounds 1 --max-wait 2s`: the
  ikekit.ike-bench/1 document is complete (every field of every peer; a peer that is not
  installed reports an environment error naming its package), ikekit and strongSwan
  (MOBIKE) recover within --max-wait on the IKE SA they had, the ratios
  name every other peer; nothing is left behind (no ikr-<pid>-* namespace, no process,
  no /tmp/ike-bench-roam-* directory). No timing assertions beyond "within --max-wait"."""
import ctypes
import glob
import json
import os
import shutil
import subprocess
import sys

from benchtest import usage_errors, check, finish, leftover_children, namespaces

PEERS = ["ikekit", "strongswan", "wireguard-go"]
FIELDS = ["name", "params", "recovery_ms", "recovery_ms_per_round", "move_ms_max", "timeouts", "pings_sent",
          "pings_lost", "ike_sa_kept", "rounds", "ratio", "error"]
MAX_WAIT_MS = 2000


def run(args, timeout=120):
    p = subprocess.Popen([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=timeout)
    doc = None
    try:
        doc = json.loads(out)
    except ValueError:
        check(False, f"{args}: stdout is not one JSON document: {out!r} (stderr {err})")
    left = [n for n in namespaces() if n.startswith(f"ikr-{p.pid}-")]
    check(not left, f"{args}: namespaces left behind: {left}")
    kids = leftover_children()
    check(not kids, f"{args}: processes left behind: {kids}")
    dirs = set(glob.glob("/tmp/ike-bench-roam-*")) - DIRS_BEFORE
    check(not dirs, f"{args}: work directories left behind: {dirs}")
    return p.returncode, doc, err


def installed(peer):
    need = {"ikekit": [os.path.join(os.path.dirname(BIN), t) for t in ("ike-up", "ikectl")],
            "strongswan": ["/usr/sbin/charon-systemd", "/usr/sbin/swanctl"],
            "wireguard-go": ["wireguard-go", "wg"]}[peer]
    return all(shutil.which(t) for t in need)


def check_result(r, peer):
    what = f"roam {peer}"
    for k in FIELDS:
        check(k in r, f"{what}: field {k} missing")
    if not installed(peer):
        check(r.get("error") and r["error"]["code"] == "environment",
              f"{what}: not installed, expected an environment error: {r.get('error')}")
        return
    check(r["error"] is None, f"{what}: error {r['error']}")
    if r["error"] is not None:
        return
    p = r["params"]
    check(p == {"peer": peer, "interval_ms": 10, "max_wait_ms": MAX_WAIT_MS}, f"{what}: params {p}")
    check(r["rounds"] == 1 and len(r["recovery_ms_per_round"]) == 1, f"{what}: one round")
    rec = r["recovery_ms"]
    check(set(rec) == {"p50", "p99", "min", "max"}, f"{what}: recovery_ms {rec}")
    per_round = r["recovery_ms_per_round"][0]
    check(r["timeouts"] == (per_round is None), f"{what}: timeouts {r['timeouts']} vs {per_round}")
    if per_round is not None:
        check(0 < per_round <= MAX_WAIT_MS and rec["p50"] == per_round,
              f"{what}: recovery {per_round} ms, recovery_ms {rec}")
    else:
        check(all(v is None for v in rec.values()), f"{what}: a timeout has no percentiles: {rec}")
    check(0 < r["move_ms_max"] < 5000, f"{what}: move_ms_max {r['move_ms_max']}")
    check(r["pings_sent"] > 0 and 0 <= r["pings_lost"] <= r["pings_sent"],
          f"{what}: pings {r['pings_sent']} sent, {r['pings_lost']} lost")
    if peer == "wireguard-go":
        check(r["ike_sa_kept"] is None, f"{what}: WireGuard has no IKE SA: {r['ike_sa_kept']}")
    elif per_round is not None:
        check(r["ike_sa_kept"] is True, f"{what}: recovered on another IKE SA")
    others = {f"recovery_vs_{o.replace('-', '_')}" for o in PEERS if o != peer and installed(o)}
    check(set(r["ratio"]) == others, f"{what}: ratio keys {sorted(r['ratio'])}, expected {others}")


def usage():
    usage_errors(run, "roam", [
        (["--compare", "ikekit,openvpn"], "--compare"),
        (["--compare", "none"], "--compare"),
        (["--compare", "strongswan,strongswan"], "--compare"),
        (["--rounds", "0"], "--rounds"),
        (["--max-wait", "5x"], "--max-wait"),
        (["--interval", "0ms"], "--interval"),
    ])


def short_run():
    rc, doc, err = run(["roam", "--compare", ",".join(PEERS), "--rounds", "1",
                        "--max-wait", f"{MAX_WAIT_MS}ms"])
    every = all(installed(p) for p in PEERS)
    check(rc == (0 if every else 1), f"roam: exit {rc}: {err[-500:]}")
    if not doc:
        return
    check(doc.get("schema") == "ikekit.ike-bench/1", "schema")
    got = [r["params"]["peer"] for r in doc["results"]]
    check(got == PEERS, f"results for {got}, expected {PEERS}")
    for r, peer in zip(doc["results"], PEERS):
        check_result(r, peer)
    # The IKE peers roam with MOBIKE (RFC 4555): they recover, on the IKE SA they had.
    for r in doc["results"][:2]:
        if installed(r["params"]["peer"]) and r["error"] is None:
            check(r["timeouts"] == 0 and r["ike_sa_kept"] is True,
                  f"{r['params']['peer']} did not recover on its IKE SA: {r}")
    print(json.dumps([{k: r[k] for k in ("params", "recovery_ms", "pings_lost", "ike_sa_kept")}
                      for r in doc["results"]]), file=sys.stderr)


BIN = sys.argv[1]
if os.geteuid() != 0:
    print("SKIP: ike-bench roam needs root (network namespaces, nftables, raw ICMP)")
    sys.exit(77)
for tool, pkg in [("ip", "iproute2"), ("ping", "iputils-ping"), ("nft", "nftables")]:
    if not shutil.which(tool):
        print(f"SKIP: {tool} is not installed (Debian package {pkg})")
        sys.exit(77)
PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
DIRS_BEFORE = set(glob.glob("/tmp/ike-bench-roam-*"))
usage()
short_run()
sys.exit(finish())
