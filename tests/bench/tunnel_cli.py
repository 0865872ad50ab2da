#!/usr/bin/env python3
"""ike-bench tunnel end to end (root; exit 77 "SKIP: ..." otherwise).

tunnel_cli.py IKE_BENCH basic   usage errors (exit 2 naming the flag); not root (exit 3);
                                a missing peer tool (exit 3 naming the Debian package);
                                --peer none, and the gate on a doctored copy of it;
                                --compare ikekit,none --transport tcp,udp (ikekit-tcp:
                                ike-up with IKE and ESP in TCP, RFC 9329; ratios); SIGTERM
                                mid-run (exit 1, "interrupted", everything removed)
tunnel_cli.py IKE_BENCH peers   --compare ikekit,wireguard-go,strongswan (1 s, 2 rounds)

Every run checks the ikekit.ike-bench/1 document (positive rates, rtt > 0, p50 <= p99,
error null) and that nothing is left behind: no ikb-<pid>-* namespace, no process
(this script is the child subreaper, so an orphaned esp-tunnel, charon, wireguard-go
or iperf3 would become its child), no /tmp/ike-bench-tunnel-* directory.
No timing assertions."""
import ctypes
import glob
import json
import os
import shutil
import select
import signal
import subprocess
import sys
import tempfile
import time

from benchtest import usage_errors, check, failures, leftover_children, namespaces


def check_clean(pid, what):
    left = [n for n in namespaces() if n.startswith(f"ikb-{pid}-")]
    check(not left, f"{what}: namespaces left behind: {left}")
    kids = leftover_children()
    check(not kids, f"{what}: processes left behind: {kids}")
    dirs = set(glob.glob("/tmp/ike-bench-tunnel-*")) - DIRS_BEFORE
    check(not dirs, f"{what}: work directories left behind: {dirs}")


def run(args, env=None, timeout=100):
    p = subprocess.Popen([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env)
    out, err = p.communicate(timeout=timeout)
    doc = None
    try:
        doc = json.loads(out)
    except ValueError:
        check(False, f"{args}: stdout is not one JSON document: {out!r} (stderr {err})")
    check_clean(p.pid, " ".join(args))
    return p.returncode, doc, err


def check_result(r, peer):
    what = f"tunnel {peer}"
    check(r["name"] == "tunnel", f"{what}: name")
    check(r["error"] is None, f"{what}: error {r['error']}")
    if r["error"] is not None:
        return
    p = r["params"]
    check(p["peer"] == peer, f"{what}: params.peer {p['peer']}")
    check(p["transport"] == {"ikekit-tcp": "tcp", "none": None}.get(peer, "udp"),
          f"{what}: params.transport {p['transport']}")
    for k in ["cipher", "backend", "streams", "duration_s"]:
        check(k in p, f"{what}: params.{k} missing")
    for k in ["tcp_single_bits_per_s", "tcp_single_bytes_per_s", "tcp_multi_bits_per_s",
              "tcp_multi_bytes_per_s", "ping_rtt_avg_ms"]:
        v = r.get(k)
        check(isinstance(v, (int, float)) and v > 0, f"{what}: {k} = {v!r}, expected > 0")
    check(abs(r["tcp_single_bytes_per_s"] * 8 - r["tcp_single_bits_per_s"]) < 1,
          f"{what}: bytes_per_s * 8 != bits_per_s")
    rtt = r["ping_rtt_ms"]
    check(isinstance(rtt, dict) and 0 < rtt["min"] <= rtt["p50"] <= rtt["p99"] <= rtt["max"],
          f"{what}: ping_rtt_ms {rtt}")
    check(r["ping_received"] > 0 and r["ping_sent"] >= r["ping_received"], f"{what}: ping counts")
    check(r["rounds"] >= 1, f"{what}: rounds")


def check_doc(doc, peers):
    check(doc["schema"] == "ikekit.ike-bench/1", "schema")
    check(isinstance(doc.get("context"), dict), "context")
    got = [r["params"]["peer"] for r in doc["results"]]
    check(got == peers, f"results for {got}, expected {peers}")
    for r, peer in zip(doc["results"], peers):
        check_result(r, peer)


def usage():
    usage_errors(run, "tunnel", [
        (["--duration", "500ms"], "--duration"),
        (["--compare", "ikekit,openvpn"], "--compare"),
        (["--compare", "none,none"], "--compare"),
        (["--cipher", "rot13"], "--cipher"),
        (["--backend", "xfrm"], "--backend"),
        (["--streams", "1"], "--streams"),
        (["--transport", "quic"], "--transport"),
        (["--transport", "tcp,tcp"], "--transport"),
    ])
    # Not root: exit 3 before anything runs, saying why.
    if shutil.which("setpriv"):
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BIN,
                            "tunnel", "--peer", "none", "--duration", "1s"],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 3, f"tunnel as nobody: exit {p.returncode}, expected 3 ({p.stderr})")
        check('"environment"' in p.stdout and "root" in p.stdout, f"tunnel as nobody: {p.stdout}")
    # A peer whose tool is missing: its result names the Debian package; nothing ran: 3.
    with tempfile.TemporaryDirectory() as bindir:
        for tool in ["ip", "ping", "iperf3", "sysctl"]:
            os.symlink(shutil.which(tool), os.path.join(bindir, tool))
        env = dict(os.environ, PATH=bindir)
        rc, doc, err = run(["tunnel", "--peer", "wireguard-go", "--duration", "1s"], env=env)
        check(rc == 3, f"tunnel --peer wireguard-go without wireguard-go: exit {rc}, expected 3")
        if doc:
            e = doc["results"][0]["error"] or {}
            check(e.get("code") == "environment" and "wireguard-go" in e.get("message", ""),
                  f"missing wireguard-go: error {e}")


def basic():
    usage()
    rc, doc, err = run(["tunnel", "--peer", "none", "--duration", "1s", "--streams", "2"])
    check(rc == 0, f"--peer none: exit {rc}: {err}")
    if doc:
        check_doc(doc, ["none"])
        check(doc["results"][0]["params"]["cipher"] is None, "none: cipher is not null")

        # The gate on a doctored baseline (the rate 100x higher): exit 1, the metric named.
        base = json.loads(json.dumps(doc))
        base["results"][0]["tcp_single_bits_per_s"] *= 100
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(base, f)
        try:
            rc, gdoc, err = run(["tunnel", "--peer", "none", "--duration", "1s", "--streams", "2",
                                 "--baseline", f.name])
        finally:
            os.unlink(f.name)
        check(rc == 1, f"gate on a doctored baseline: exit {rc}, expected 1")
        if gdoc:
            regs = [r["metric"] for r in gdoc.get("gate", {}).get("regressions", [])]
            check("tcp_single_bits_per_s" in regs, f"gate regressions {regs}")
            check("tcp_single_bits_per_s" in err, f"gate: stderr does not list the metric: {err}")

    rc, doc, err = run(["tunnel", "--compare", "ikekit,none", "--transport", "tcp,udp",
                        "--duration", "1s", "--streams", "2"])
    check(rc == 0, f"--compare ikekit,none --transport tcp,udp: exit {rc}: {err}")
    if doc:
        check_doc(doc, ["ikekit-tcp", "ikekit", "none"])
        ik = doc["results"][0]
        check(ik["params"]["cipher"] == "aes256gcm16", f"ikekit cipher {ik['params']['cipher']}")
        ratio = ik.get("ratio", {})
        for k in ["vs_ikekit", "vs_none", "tcp_multi_vs_none", "rtt_vs_none"]:
            check(isinstance(ratio.get(k), (int, float)) and ratio[k] > 0, f"ratio.{k} = {ratio.get(k)}")
        check("ratio" not in doc["results"][1], "the second peer carries no ratio")

    # SIGTERM in the middle of a measurement: exit 1, the document says interrupted,
    # and the cleanup leaves nothing.
    p = subprocess.Popen([BIN, "tunnel", "--compare", "ikekit,none", "--duration", "3s"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen, deadline = b"", time.time() + 30
    while time.time() < deadline and b"iperf3" not in seen and p.poll() is None:
        ready, _, _ = select.select([p.stderr], [], [], 0.1)
        if ready:
            seen += os.read(p.stderr.fileno(), 4096)
    check(b"iperf3" in seen, f"SIGTERM test: no iperf3 progress line: {seen!r}")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    out = out.decode()
    check(p.returncode == 1, f"SIGTERM: exit {p.returncode}, expected 1")
    try:
        doc = json.loads(out)
        errs = [r["error"] for r in doc["results"] if r["error"]]
        check(any("interrupted" in e["message"] for e in errs), f"SIGTERM: results {errs}")
    except ValueError:
        check(False, f"SIGTERM: stdout is not JSON: {out!r}")
    check_clean(p.pid, "SIGTERM")


def peers():
    # Two rounds: the second must not trip over the first's files or namespaces.
    rc, doc, err = run(["tunnel", "--compare", "ikekit,wireguard-go,strongswan", "--duration", "1s",
                        "--streams", "2", "--rounds", "2"])
    check(rc == 0, f"--compare ikekit,wireguard-go,strongswan: exit {rc}: {err}")
    if doc:
        check_doc(doc, ["ikekit", "wireguard-go", "strongswan"])
        ratio = doc["results"][0].get("ratio", {})
        for k in ["vs_wireguard_go", "rtt_vs_wireguard_go", "vs_strongswan", "rtt_vs_strongswan"]:
            check(isinstance(ratio.get(k), (int, float)) and ratio[k] > 0, f"ratio.{k} = {ratio.get(k)}")
        check(doc["results"][1]["params"]["cipher"] == "chacha20poly1305", "wireguard-go cipher")
        check(doc["results"][2]["params"]["backend"] == "kernel-libipsec", "strongswan backend")
        check(all(r["rounds"] == 2 for r in doc["results"]), "every peer ran 2 rounds")


BIN, MODE = sys.argv[1], sys.argv[2]
if os.geteuid() != 0:
    print("SKIP: ike-bench tunnel needs root (network namespaces, TUN)")
    sys.exit(77)
for tool in ["ip", "ping", "iperf3"]:
    if not shutil.which(tool):
        print(f"SKIP: {tool} is not installed")
        sys.exit(77)
if MODE == "peers":
    for tool, pkg in [("wireguard-go", "wireguard-go"), ("wg", "wireguard-tools"),
                      ("/usr/sbin/charon-systemd", "charon-systemd"), ("/usr/sbin/swanctl", "strongswan-swanctl")]:
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed (Debian package {pkg})")
            sys.exit(77)
PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
DIRS_BEFORE = set(glob.glob("/tmp/ike-bench-tunnel-*"))
{"basic": basic, "peers": peers}[MODE]()
if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print(f"ok: ike-bench tunnel {MODE}")
