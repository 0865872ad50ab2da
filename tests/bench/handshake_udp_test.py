#!/usr/bin/env python3
"""ike-bench handshake --mode udp, briefly, against the responder it starts itself.

usage: handshake_udp_test.py IKE_BENCH ikekit|strongswan

  ikekit:     count 50, concurrency 8 against ike-up; then SIGINT during a --duration
              run (namespaces and responder gone afterwards); then exit 3 without root.
  strongswan: count 20, concurrency 8 against charon-systemd.

Checks the result is complete and sane (completed == count, failed == 0, p50 <= p99,
positive rate, responder CPU reported) and that the namespaces and the responder
process are gone afterwards. No timing thresholds. Needs root (exit 77 otherwise).
"""
import json
import os
import shutil
import subprocess
import sys

from benchtest import SKIP, check, finish, interrupt, namespaces as netns_names, pid_alive


def run_count(bench, peer, count, concurrency):
    cmd = [bench, "handshake", "--mode", "udp", "--peer", peer, "--count", str(count),
           "--concurrency", str(concurrency)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        print(p.stdout, p.stderr, file=sys.stderr)
    check(p.returncode == 0, f"{peer}: exit {p.returncode}")
    doc = json.loads(p.stdout)
    check(doc.get("schema") == "ikekit.ike-bench/1", f"{peer}: schema")
    (r,) = doc["results"]
    print(json.dumps(r), file=sys.stderr)
    check(r["name"] == "handshake_udp", f"{peer}: name")
    check(r["error"] is None, f"{peer}: error {r['error']}")
    check(r["params"].get("peer") == peer and r["params"].get("mode") == "udp", f"{peer}: params")
    check(r["params"].get("concurrency") == concurrency, f"{peer}: params.concurrency")
    check(r["completed"] == count, f"{peer}: completed {r['completed']} != {count}")
    check(r["failed"] == 0, f"{peer}: failed {r['failed']}")
    check((r["handshakes_per_s"] or 0) > 0, f"{peer}: handshakes_per_s {r['handshakes_per_s']}")
    lat = r["latency_ms"]
    check(all(isinstance(lat[k], (int, float)) for k in ("p50", "p90", "p99", "max")), f"{peer}: latency {lat}")
    if all(isinstance(lat[k], (int, float)) for k in ("p50", "p90", "p99", "max")):
        check(0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"], f"{peer}: percentiles out of order {lat}")
    cpu = r["cpu_ms_per_handshake"]
    check(isinstance(cpu["initiator"], (int, float)) and cpu["initiator"] > 0, f"{peer}: initiator cpu {cpu}")
    # Clock-tick resolution (10 ms): a short run may round the responder down to 0.
    check(isinstance(cpu["responder"], (int, float)) and cpu["responder"] >= 0, f"{peer}: responder cpu {cpu}")
    check(r["messages_per_handshake"] >= 4, f"{peer}: messages_per_handshake {r['messages_per_handshake']}")
    check(r["bytes_per_handshake"] > 0, f"{peer}: bytes_per_handshake")
    resp = r.get("responder") or {}
    expected = "ike-up" if peer == "ikekit" else "charon-systemd"
    check(resp.get("program") == expected, f"{peer}: responder.program {resp.get('program')}")
    left = netns_names() & set(resp.get("namespaces", []))
    check(not left, f"{peer}: namespaces left behind: {left}")
    check(len(resp.get("namespaces", [])) == 2, f"{peer}: responder.namespaces")
    pid = resp.get("pid")
    check(isinstance(pid, int) and not pid_alive(pid), f"{peer}: responder pid {pid} still running")


def run_interrupted(bench):
    """SIGINT in the middle of a --duration run: error result, everything cleaned up."""
    interrupt([bench, "handshake", "--mode", "udp", "--duration", "20s", "--concurrency", "4"], "sigint")


def run_unprivileged(bench):
    """Without root: exit 3 and an environment error naming --mode."""
    if not shutil.which("setpriv"):
        print("note: setpriv missing, unprivileged check skipped", file=sys.stderr)
        return
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bench, "handshake",
                        "--mode", "udp", "--count", "5"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 3, f"unprivileged: exit {p.returncode} (want 3): {p.stderr.strip()}")
    check("root" in (p.stdout + p.stderr), "unprivileged: the message does not mention root")


def run_compare(bench):
    """--compare: both peers in one document, ratios present."""
    p = subprocess.run([bench, "handshake", "--mode", "udp", "--compare", "--rounds", "1", "--count", "10",
                        "--concurrency", "4"], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"compare: exit {p.returncode}: {p.stderr.strip()}")
    results = json.loads(p.stdout)["results"]
    peers = [r["params"].get("peer") for r in results]
    check(peers == ["ikekit", "strongswan"], f"compare: peers {peers}")
    check(all(r["error"] is None and r["completed"] == 10 for r in results), "compare: errors or counts")
    ratio = results[0].get("ratio") or {}
    check(isinstance(ratio.get("vs_strongswan"), (int, float)) and ratio["vs_strongswan"] > 0,
          f"compare: ratio {ratio}")


def main():
    bench, peer = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces)", file=sys.stderr)
        return SKIP
    if not shutil.which("ip"):
        print("SKIP: iproute2 (ip) not installed", file=sys.stderr)
        return SKIP
    if peer == "strongswan":
        if not (os.access("/usr/sbin/charon-systemd", os.X_OK) and os.access("/usr/sbin/swanctl", os.X_OK)):
            print("SKIP: charon-systemd / strongswan-swanctl not installed", file=sys.stderr)
            return SKIP
        run_count(bench, "strongswan", 20, 8)
        run_compare(bench)
    else:
        run_count(bench, "ikekit", 50, 8)
        run_interrupted(bench)
        run_unprivileged(bench)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
