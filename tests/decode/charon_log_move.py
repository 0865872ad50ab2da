#!/usr/bin/env python3
"""charon_log_move.py - with a charon log as its only keys, ike-decode keeps decrypting a
Child SA after its IKE SA moved, when the log's keys for it are matched only at its first
ESP packet, after the move; and tshark agrees, with the tables ike-decode emits.

usage: charon_log_move.py IKE_DECODE DATA_DIR

DATA_DIR: tests/data/psk-aes256gcm16-ecp256 (strongSwan, no MOBIKE; capture.pcap and
charon-keys.log, the initiator's log). The capture is edited the way
tests/unit/decode/test_sa_moves.cpp edits it: the IKE_AUTH response is dropped (so the
first Child SA's keys can only come from the SPIs charon logged installing it), the ESP
to the initiator before the CREATE_CHILD_SA request is dropped but for its last packet,
which follows the request, and from the request on the initiator 10.241.0.1 appears as
10.241.0.9 (a NAT mapping change, RFC 7296 2.23; IPv4 header checksums redone, UDP
checksums 0).

Checks (about 2 s: three ike-decode runs and one tshark run):
  - ike-decode decrypts every SK payload and ESP packet (exit 0), one move (nat_mapping,
    at the request), and the moved ESP packet (to 10.241.0.9) names it in sa_moved;
  - tshark with ike-decode's --emit-wireshark tables decrypts every packet ike-decode
    did, and agrees on each (tests/decode/agree_with_tshark.py's fields).
Exit 0 pass, 1 fail, 2 usage, 77 without tshark.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import agree_with_tshark as agree  # noqa: E402

OLD_I, NEW_I = bytes([10, 241, 0, 1]), bytes([10, 241, 0, 9])
ETH = 14


def addr(endpoint):
    """The address of an "ip:port" or "ip" endpoint (IPv4: the capture has no IPv6)."""
    return endpoint.split(":")[0]


def read_pcap(path):
    """The global header and the records (header, data) of a little-endian classic pcap."""
    data = open(path, "rb").read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1", "expected a little-endian pcap"
    head, frames, off = data[:24], [], 24
    while off < len(data):
        caplen = struct.unpack_from("<I", data, off + 8)[0]
        frames.append((bytearray(data[off:off + 16]), bytearray(data[off + 16:off + 16 + caplen])))
        off += 16 + caplen
    return head, frames


def rewrite_initiator(frame):
    """10.241.0.1 -> 10.241.0.9 in the IPv4 header; checksums made consistent."""
    ihl = (frame[ETH] & 0x0f) * 4
    changed = False
    for at in (ETH + 12, ETH + 16):
        if frame[at:at + 4] == OLD_I:
            frame[at:at + 4] = NEW_I
            changed = True
    if not changed:
        return
    frame[ETH + 10:ETH + 12] = b"\0\0"
    total = sum(struct.unpack(f"!{ihl // 2}H", bytes(frame[ETH:ETH + ihl])))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    frame[ETH + 10:ETH + 12] = struct.pack("!H", ~total & 0xffff)
    if frame[ETH + 9] == 17:  # UDP: no checksum (allowed over IPv4, RFC 768)
        frame[ETH + ihl + 6:ETH + ihl + 8] = b"\0\0"


def decode(binary, keys, capture, emit_dir=None):
    cmd = [binary, "--keys", keys] + (["--emit-wireshark", emit_dir] if emit_dir else []) + [capture]
    run = subprocess.run(cmd, capture_output=True, text=True)
    return run.returncode, [json.loads(l) for l in run.stdout.splitlines() if l.strip()], run.stderr


def edit(frames, lines):
    """The edited capture's records, and the (1-based) frame of the moving request."""
    recs = {r["frame"]: r for r in lines if r["type"] in ("ike", "esp")}
    auth_response = next(f for f, r in recs.items()
                         if r["type"] == "ike" and r["exchange_type"] == 35 and r["response"])
    create = min(f for f, r in recs.items()
                 if r["type"] == "ike" and r["exchange_type"] == 36 and not r["response"])
    to_i = [f for f, r in recs.items()
            if r["type"] == "esp" and f < create and addr(r["dst"]) == "10.241.0.1"]
    assert len(to_i) >= 2, f"expected ESP to the initiator before frame {create}: {to_i}"
    out = []
    for n, rec in enumerate(frames, 1):
        if n != auth_response and n not in to_i:
            out.append(rec)
        if n == create:
            out.append(frames[to_i[-1] - 1])
    moved_at = out.index(frames[create - 1]) + 1
    out = [(bytearray(h), bytearray(d)) for h, d in out]
    for h, d in out[moved_at - 1:]:
        rewrite_initiator(d)
    return out, moved_at


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if shutil.which("tshark") is None:
        print("SKIP: tshark is not installed (apt-get install tshark)")
        return 77
    binary, data = argv
    keys = os.path.join(data, "charon-keys.log")
    problems = []
    with tempfile.TemporaryDirectory(prefix="ikekit-charon-log-move.") as tmp:
        rc, lines, err = decode(binary, keys, os.path.join(data, "capture.pcap"))
        if rc != 0:
            print(f"charon_log_move: the unedited capture: ike-decode exited {rc}: {err}", file=sys.stderr)
            return 1
        head, frames = read_pcap(os.path.join(data, "capture.pcap"))
        edited, moved_at = edit(frames, lines)
        capture = os.path.join(tmp, "moved.pcap")
        with open(capture, "wb") as f:
            f.write(head)
            for h, d in edited:
                f.write(h + d)
        emitted = os.path.join(tmp, "emitted")
        rc, lines, err = decode(binary, keys, capture, emitted)
        if rc != 0:
            problems.append(f"ike-decode exited {rc} (4: packets it could not decrypt): {err.strip()}")
        summary = lines[-1] if lines else {}
        if summary.get("sa_moves") != 1:
            problems.append(f"expected one move: summary {summary}")
        moved = [r for r in lines if r["type"] == "esp" and r["frame"] == moved_at + 1]
        if not moved or addr(moved[0]["dst"]) != "10.241.0.9" or not moved[0]["decrypted"] \
                or (moved[0]["sa_moved"] or {}).get("frame") != moved_at:
            problems.append(f"frame {moved_at + 1}: expected the ESP to 10.241.0.9, decrypted, "
                            f"moved at frame {moved_at}: {moved}")
        ours, _ = agree.ike_decode_summary(binary, capture, [keys])
        theirs = agree.tshark_summary(capture, emitted)
        problems += [f"tshark: {p}" for p in agree.compare(ours, theirs, True, True)]
    for p in problems:
        print("charon_log_move: " + p, file=sys.stderr)
    print(f"charon_log_move: {len(edited)} frames, moved at frame {moved_at}; ike-decode and tshark "
          f"(emitted tables) decrypted {sum(1 for r in theirs.values() if r.get('decrypted'))} "
          f"of them alike; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
