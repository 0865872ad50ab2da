#!/usr/bin/env python3
"""fragment_flood.py - ike-decode under a flood of fragments (issue 11).

usage: fragment_flood.py IKE_DECODE [--write PCAP] [--count N]

Writes a raw-IP pcap holding N (40000) IPv4 fragments of one UDP datagram to port 4500
(its last piece, then the same middle 8 bytes over and over; the first piece never comes) followed by one whole IKE-port
datagram, runs ike-decode on it and checks that the flood was capped: the summary counts
the dropped fragments, one malformed "ip_fragments" record names the limit, and the
frame after the flood is still decoded. Exit 0 ok, 1 with the reason, 2 usage.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile


def ipv4(ident, frag_field, payload, proto=17):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag_field, 64, proto, 0,
                      bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2]))
    return hdr + payload


def write_pcap(path, count):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))  # LINKTYPE_RAW
        frames = [ipv4(7, 64 // 8, bytes(8))] + [ipv4(7, 0x2000 | 8 // 8, bytes(8))] * (count - 1)
        udp = struct.pack("!HHHH", 500, 500, 8 + 1, 0) + b"\x00"
        frames.append(ipv4(8, 0, udp))
        for n, frame in enumerate(frames):
            f.write(struct.pack("<IIII", n // 1000000, n % 1000000, len(frame), len(frame)))
            f.write(frame)


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    binary, args = argv[0], argv[1:]
    count = int(args[args.index("--count") + 1]) if "--count" in args else 40000
    tmp = tempfile.mkdtemp(prefix="ikekit-flood.")
    pcap = args[args.index("--write") + 1] if "--write" in args else os.path.join(tmp, "flood.pcap")
    write_pcap(pcap, count)
    run = subprocess.run([binary, pcap], capture_output=True, text=True)
    lines = [json.loads(l) for l in run.stdout.splitlines() if l.strip()]
    summary = lines[-1]
    problems = []
    if summary.get("type") != "summary":
        problems.append("no summary line")
    if summary.get("fragments_dropped") != count:
        problems.append(f"summary.fragments_dropped {summary.get('fragments_dropped')}, expected {count}")
    lost = [l for l in lines if l["type"] == "malformed" and l.get("kind") == "ip_fragments"]
    if len(lost) != 1 or "limit" not in lost[0]["error"]["message"]:
        problems.append(f"expected one ip_fragments record naming the limit, got {lost}")
    if summary.get("packets") != count + 1:
        problems.append(f"summary.packets {summary.get('packets')}, expected {count + 1}")
    for p in problems:
        print("fragment_flood: " + p, file=sys.stderr)
    print(f"fragment_flood: {count} fragments, exit {run.returncode}, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
