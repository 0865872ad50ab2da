#!/usr/bin/env python3
"""tcp_encap_decode.py - ike-decode on IKE and ESP carried in TCP (RFC 9329).

usage: tcp_encap_decode.py IKE_DECODE TCP_ENCAP_CAPTURE [--tshark]

TCP_ENCAP_CAPTURE (tests/decode/tcp_encap_capture.cpp) writes a session of two real
engines (handshake, Child SA rekey, ESP before and after) laid into one TCP connection
with split frames, several frames per segment, a retransmission, an overlap and an
out-of-order pair, the same messages as UDP/4500 datagrams, the IKE SA's keys and what
each message is. Then:
  - ike-decode decodes the TCP capture with exit 0: every IKE message (exchange, message
    ID, initiator/response flags, outer payloads) and ESP packet (SPI, sequence number,
    the inner packet as sealed) as expected, in order, marked "transport":"tcp", every
    SK payload and ESP packet decrypted with a good ICV (the ESP keys derived from SK_d
    through the CREATE_CHILD_SA in the stream), nothing malformed, the retransmission
    and the overlap counted;
  - it decodes exactly like the UDP twin: the same records field by field (decrypted
    inner payloads included), only frame, time, ports, transport and udp_encap differ;
  - with --tshark: tshark (its own TCP reassembly, out-of-order segments included, and
    its isakmp and esp dissectors decrypting with the tables ike-decode --emit-wireshark
    wrote; tests/decode/rfc9329.lua adds only the RFC 9329 framing, which Wireshark 4.0
    lacks) reports the same IKE messages and ESP packets at the same frames: exchange
    types, message IDs, flags, outer and inner payloads, notify types, ESP SPIs, sequence
    numbers and inner protocols. Exit 77 when tshark is not installed.
Exit 0 when all holds, 1 with each difference on stderr, 2 usage.
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import agree_with_tshark  # noqa: E402
import tshark_summary  # noqa: E402

PORT = 4500
# Fields that differ between the TCP capture and its UDP twin by construction.
TRANSPORT_FIELDS = ("frame", "time", "src", "dst", "transport", "udp_encap")


def decode(binary, capture, keys, extra=()):
    cmd = [binary, "--keys", keys, *extra, capture]
    run = subprocess.run(cmd, capture_output=True, text=True)
    lines = [json.loads(l) for l in run.stdout.splitlines() if l.strip()]
    return run.returncode, lines, run.stderr


def records(lines):
    return [l for l in lines if l["type"] in ("ike", "esp", "malformed")]


def check_expected(recs, expected, problems):
    if len(recs) != len(expected):
        problems.append(f"{len(recs)} records, expected {len(expected)}")
    for i, (r, e) in enumerate(zip(recs, expected)):
        where = f"record {i} (frame {r['frame']})"
        if r["type"] != e["kind"]:
            problems.append(f"{where}: a {r['type']} record, expected {e['kind']}")
            continue
        if r["transport"] != "tcp":
            problems.append(f"{where}: transport {r['transport']!r}, expected 'tcp'")
        if r["type"] == "ike":
            got = {k: r[k] for k in ("exchange_type", "message_id", "initiator", "response")}
            got["payloads"] = [p["payload_type"] for p in r["payloads"]]
            want = {k: e[k] for k in got}
            if got != want:
                problems.append(f"{where}: {got}, expected {want}")
            if not r["non_esp_marker"]:
                problems.append(f"{where}: non_esp_marker false")
            sk = r["payloads"][-1]
            if sk["payload_type"] == 46 and not (sk["decrypted"] and sk["integrity"] == "ok"):
                problems.append(f"{where}: SK not decrypted: {sk['problem']}")
        else:
            if (r["spi"], r["seq"]) != (e["spi"], e["seq"]):
                problems.append(f"{where}: ESP {r['spi']}/{r['seq']}, expected {e['spi']}/{e['seq']}")
            if not (r["decrypted"] and r["integrity"] == "ok"):
                problems.append(f"{where}: ESP not decrypted: {r['problem']}")
            inner = {k: v for k, v in (r["inner"] or {}).items() if k != "protocol_name"}
            if inner != e["inner"]:
                problems.append(f"{where}: inner {inner}, expected {e['inner']}")


def check_udp_twin(tcp_recs, udp_recs, problems):
    strip = lambda r: {k: v for k, v in r.items() if k not in TRANSPORT_FIELDS}
    if len(tcp_recs) != len(udp_recs):
        problems.append(f"TCP: {len(tcp_recs)} records, UDP twin: {len(udp_recs)}")
    for i, (a, b) in enumerate(zip(tcp_recs, udp_recs)):
        if strip(a) != strip(b):
            problems.append(f"record {i}: over TCP {strip(a)}\n  over UDP {strip(b)}")


def check_tshark(binary, capture, keys, tmp, problems):
    ws = os.path.join(tmp, "wireshark")
    rc, lines, err = decode(binary, capture, keys, ["--emit-wireshark", ws])
    if rc != 0:
        problems.append(f"ike-decode --emit-wireshark exited {rc}: {err.strip()}")
        return
    ours, seen = {}, collections.Counter()  # (frame, n-th record of that frame)
    for r in records(lines):
        ours[(r["frame"], seen[r["frame"]])] = agree_with_tshark.record_summary(r)
        seen[r["frame"]] += 1
    extra = ["-o", "tcp.reassemble_out_of_order:TRUE",
             "-X", "lua_script:" + os.path.join(HERE, "rfc9329.lua"), "-X", f"lua_script1:{PORT}"]
    got = tshark_summary.summarize(capture, ws, extra, every_message=True)
    if got is None:
        problems.append("tshark_summary failed")
        return
    theirs, seen = {}, collections.Counter()
    for rec in got:
        theirs[(rec["frame"], seen[rec["frame"]])] = rec
        seen[rec["frame"]] += 1
    problems += agree_with_tshark.compare(ours, theirs, all_decrypted=True, tshark_decrypted=True)
    ike = [k for k, v in theirs.items() if v["kind"] == "ike"]
    print(f"tcp_encap_decode: tshark reports {len(ike)} IKE messages and "
          f"{len(theirs) - len(ike)} ESP packets; ike-decode {len(ours)} records")


def main(argv):
    args = [a for a in argv if a != "--tshark"]
    with_tshark = "--tshark" in argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if with_tshark and shutil.which("tshark") is None:
        print("SKIP: tshark is not installed (apt-get install tshark)")
        return 77
    binary, generator = args
    problems = []
    with tempfile.TemporaryDirectory(prefix="tcp-encap.") as tmp:
        gen = subprocess.run([generator, tmp], capture_output=True, text=True)
        if gen.returncode != 0:
            print(f"tcp_encap_decode: {generator} failed: {gen.stderr.strip()}", file=sys.stderr)
            return 1
        capture, keys = os.path.join(tmp, "capture.pcap"), os.path.join(tmp, "keys.jsonl")
        with open(os.path.join(tmp, "expected.jsonl")) as f:
            expected = [json.loads(l) for l in f if l.strip()]
        if with_tshark:
            check_tshark(binary, capture, keys, tmp, problems)
        else:
            rc, lines, err = decode(binary, capture, keys)
            summary = lines[-1]
            if rc != 0:
                problems.append(f"ike-decode exited {rc}: {err.strip()}")
            tcp_recs = records(lines)
            check_expected(tcp_recs, expected, problems)
            if summary["malformed"] or summary["tcp_retransmitted"] < 2:
                problems.append(f"summary: {summary} (want malformed 0, tcp_retransmitted >= 2)")
            rc, udp_lines, err = decode(binary, os.path.join(tmp, "capture-udp.pcap"), keys)
            if rc != 0:
                problems.append(f"ike-decode on the UDP twin exited {rc}: {err.strip()}")
            check_udp_twin(tcp_recs, records(udp_lines), problems)
            print(f"tcp_encap_decode: {len(tcp_recs)} records over TCP, {len(expected)} expected; "
                  f"summary {json.dumps(summary)}")
    for p in problems:
        print("tcp_encap_decode: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
