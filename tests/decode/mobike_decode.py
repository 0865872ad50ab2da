#!/usr/bin/env python3
"""mobike_decode.py - ike-decode follows an IKE SA that moves (MOBIKE, RFC 4555), and
agrees with tshark on every packet both decrypt.

usage: mobike_decode.py IKE_DECODE DATA_DIR

DATA_DIR (tests/data/mobike-ike-up, see tests/data/README.md): capture.pcap, keys.jsonl
(the server's ike-up --keylog) and wireshark/ (the same keys as Wireshark tables, ESP
rows with wildcard addresses). The capture's IKE SA moves twice: out of a NAT (ESP in UDP
before; plain ESP from the server after) and into it again (ESP in UDP from the server).

Checks (about 3 s: four ike-decode runs and three tshark runs):
  - ike-decode with the key log decrypts every SK payload and ESP packet (exit 0),
    follows two moves (reason mobike, at the UPDATE_SA_ADDRESSES requests, from the NAT's
    address to the client's own and back), and every record says the last move of its
    SA so far (sa_moved);
  - tshark with tables bound to the key log's addresses (how Wireshark matches ESP SAs)
    decrypts the ESP before the move and after the move back, but none of the ESP to or
    from the client's address outside the NAT: the SPI alone does not find the SA there;
  - tshark with wildcard addresses (wireshark/), and with ike-decode's --emit-wireshark
    tables (a row per pair of addresses a Child SA was used between), decrypts all of it;
  - in each run, ike-decode and tshark agree on every IKE message and ESP packet
    (tests/decode/agree_with_tshark.py's fields), decrypted fields wherever tshark decrypted.
Exit 0 pass, 1 fail, 2 usage, 77 without tshark.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import agree_with_tshark as agree  # noqa: E402

UPDATE_SA_ADDRESSES = 16400
NAT_ADDRESS = "10.229.0.1"  # the router's outside address (make-mobike-capture.sh)
CLIENT_A, SERVER = "10.229.1.2", "10.229.0.2"


def addr(endpoint):
    """The address of an "ip:port" endpoint (IPv4: the capture has no IPv6)."""
    return endpoint.rsplit(":", 1)[0]


def decode(binary, data, emit_dir):
    run = subprocess.run([binary, "--keys", os.path.join(data, "keys.jsonl"), "--emit-wireshark",
                          emit_dir, os.path.join(data, "capture.pcap")], capture_output=True, text=True)
    assert run.returncode == 0, f"ike-decode exited {run.returncode}: {run.stderr}"
    return [json.loads(l) for l in run.stdout.splitlines() if l.strip()]


def check_moves(lines, problems):
    """The two moves, and sa_moved on every record; returns the phase of each ESP frame."""
    ike = [r for r in lines if r["type"] == "ike"]
    esp = [r for r in lines if r["type"] == "esp"]
    summary = lines[-1]
    sk = [r for r in ike if r["payloads"] and r["payloads"][-1]["payload_type"] == 46]
    for r in sk:
        if not (r["payloads"][-1]["decrypted"] and r["payloads"][-1]["integrity"] == "ok"):
            problems.append(f"frame {r['frame']}: SK not decrypted")
    for r in esp:
        if not (r["decrypted"] and r["integrity"] == "ok"):
            problems.append(f"frame {r['frame']}: ESP not decrypted: {r['problem']}")
    updates = [r["frame"] for r in sk if not r["response"] and any(
        p.get("notify_type") == UPDATE_SA_ADDRESSES for p in r["payloads"][-1]["payloads"] or [])]
    moves = [r["sa_moved"] for r in sk if r["sa_moved"] and r["sa_moved"]["frame"] == r["frame"]]
    if summary["sa_moves"] != 2 or len(moves) != 2:
        problems.append(f"expected 2 moves: summary {summary['sa_moves']}, {moves}")
        return {}
    # Each move is an UPDATE_SA_ADDRESSES request (the first one sent on the new path).
    for m in moves:
        if m["frame"] not in updates or m["reason"] != "mobike":
            problems.append(f"move {m}: not at an UPDATE_SA_ADDRESSES request {updates}")
    out, back = moves
    if addr(out["old_initiator"]) != NAT_ADDRESS or addr(out["initiator"]) != CLIENT_A:
        problems.append(f"first move not from the NAT's {NAT_ADDRESS} to {CLIENT_A}: {out}")
    if addr(back["old_initiator"]) != CLIENT_A or addr(back["initiator"]) != NAT_ADDRESS:
        problems.append(f"second move not from {CLIENT_A} back to the NAT: {back}")
    if not all(addr(m["responder"]) == SERVER == addr(m["old_responder"]) for m in moves):
        problems.append(f"the responder moved: {moves}")
    # Every IKE and ESP record after IKE_SA_INIT names the last move before it (or none).
    phase_of = {}
    for r in lines:
        if r["type"] not in ("ike", "esp") or (r["type"] == "ike" and r["exchange_type"] == 34):
            continue
        want = None if r["frame"] < out["frame"] else out if r["frame"] < back["frame"] else back
        if r["sa_moved"] != want:
            problems.append(f"frame {r['frame']} ({r['type']}): sa_moved {r['sa_moved']}, expected {want}")
        if r["type"] == "esp":
            phase_of[r["frame"]] = 0 if want is None else 1 if want is out else 2
    # What carried ESP in each phase: UDP behind the NAT, plain (at least from the server,
    # which detected no NAT) outside it, UDP (at least from the server) behind it again.
    carried = {p: sorted({r["transport"] for r in esp if phase_of.get(r["frame"]) == p}) for p in range(3)}
    if carried[0] != ["udp"] or "ip" not in carried[1] or "udp" not in carried[2]:
        problems.append(f"ESP transports per phase {carried}: expected udp, ip, udp")
    for p in range(3):
        if sum(1 for f in phase_of.values() if f == p) < 4:
            problems.append(f"phase {p}: fewer than 4 ESP packets")
    return phase_of


def keylog_tables(data, emitted, out_dir):
    """Wireshark tables with the key log's addresses only (the rows ike-decode writes for
    the SAs as created, without the moved rows)."""
    os.makedirs(out_dir)
    shutil.copy(os.path.join(emitted, "ikev2_decryption_table"), out_dir)
    shutil.copy(os.path.join(emitted, "preferences"), out_dir)
    pairs = set()
    for line in open(os.path.join(data, "keys.jsonl")):
        k = json.loads(line)
        if k["type"] == "child_sa":
            pairs.add((k["src"], k["dst"], "0x" + k["spi"]))
    with open(os.path.join(emitted, "esp_sa")) as f, open(os.path.join(out_dir, "esp_sa"), "w") as o:
        for row in f:
            cols = [c.strip('"') for c in row.strip().split(",")]
            if row.startswith("#") or (cols[1], cols[2], cols[3]) in pairs:
                o.write(row)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if shutil.which("tshark") is None:
        print("SKIP: tshark is not installed (apt-get install tshark)")
        return 77
    binary, data = argv
    capture, keys = os.path.join(data, "capture.pcap"), os.path.join(data, "keys.jsonl")
    problems = []
    with tempfile.TemporaryDirectory(prefix="ikekit-mobike-decode.") as tmp:
        emitted = os.path.join(tmp, "emitted")
        lines = decode(binary, data, emitted)
        phase_of = check_moves(lines, problems)
        keylog_only = os.path.join(tmp, "keylog-only")
        keylog_tables(data, emitted, keylog_only)
        ours, _ = agree.ike_decode_summary(binary, capture, [keys])
        tables = [("wildcard", os.path.join(data, "wireshark")), ("emitted", emitted),
                  ("key log addresses", keylog_only)]
        report = {}
        for name, confdir in tables:
            theirs = agree.tshark_summary(capture, confdir)
            full = name != "key log addresses"
            for p in agree.compare(ours, theirs, True, full):
                problems.append(f"tshark ({name} tables): {p}")
            per_phase = [0, 0, 0]
            for frame, phase in phase_of.items():
                per_phase[phase] += bool(theirs.get(frame, {}).get("decrypted"))
            report[name] = per_phase
            if not full:
                # Bound to the addresses of the key log (the NAT's): the ESP of the
                # phase outside the NAT is beyond it, the rest decrypts.
                want = [sum(1 for p in phase_of.values() if p == q) if q != 1 else 0 for q in range(3)]
                if per_phase != want:
                    problems.append(f"tshark with the key log's addresses decrypted {per_phase} "
                                    f"ESP packets per phase, expected {want}")
        total = [sum(1 for p in phase_of.values() if p == q) for q in range(3)]
    for p in problems:
        print("mobike_decode: " + p, file=sys.stderr)
    print(f"mobike_decode: ESP per phase (behind the NAT, outside it, behind it again): {total}; ike-decode "
          f"decrypted all; tshark decrypted " +
          "; ".join(f"{n} tables {c}" for n, c in report.items()) +
          f"; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
