#!/usr/bin/env python3
"""capture_variants.py IKE_DECODE SCENARIO_DIR

The same strongSwan session (a committed reference capture, classic pcap, Ethernet,
IPv4, ESP in UDP 4500) re-wrapped the ways real captures come, each decoded by
ike-decode and compared with the original decode:

  pcapng       the same frames in a pcapng file (SHB, IDB, EPBs)
  loopback     DLT_NULL (BSD loopback, 4-byte address family) instead of Ethernet
  sll          Linux cooked capture v1 (tcpdump -i any)
  ipv6         every IPv4 header rewritten to IPv6 (fd00::/96 + the IPv4 address),
               UDP checksums recomputed; keys: only the ike_sa line (ESP keys derived
               from SK_d for the IPv6 addresses)
  raw-esp      ESP moved out of UDP 4500 into IP protocol 50 (RFC 4303 without 3948)
  fragmented   the largest IKE message split into two IPv4 fragments
and the exit codes of ike-decode(1):
  0  all decrypted;   4  a key that does not fit (integrity fails);
  4  a datagram whose second fragment is missing (reported as kind ip_fragments);
  0  no key at all for the SA (no_key counted, not partial);
  2  an unreadable key file, naming the line and field;   1  not a capture.
Exit 0 pass, 1 fail.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

IKE_DECODE, SCEN = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def read_pcap(path):
    b = open(path, "rb").read()
    magic, = struct.unpack("<I", b[:4])
    assert magic == 0xA1B2C3D4, "expects a little-endian microsecond pcap"
    off, out = 24, []
    while off + 16 <= len(b):
        sec, usec, incl, _ = struct.unpack("<IIII", b[off:off + 16])
        out.append((sec, usec, b[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


def write_pcap(path, frames, linktype):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for sec, usec, data in frames:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)


def write_pcapng(path, frames, linktype):
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", linktype, 0, 262144)))
        for sec, usec, data in frames:
            ts = sec * 1000000 + usec
            f.write(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + data))


def csum(data):
    data += b"\0" * (len(data) % 2)
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def split_ipv4(ip):
    """(src, dst, proto, payload) of an unfragmented IPv4 packet."""
    ihl = (ip[0] & 15) * 4
    total, = struct.unpack("!H", ip[2:4])
    return ip[12:16], ip[16:20], ip[9], ip[ihl:total]


def to_ipv6(ip):
    src, dst, proto, payload = split_ipv4(ip)
    s6, d6 = b"\xfd" + b"\0" * 11 + src, b"\xfd" + b"\0" * 11 + dst
    if proto == 17:  # UDP: the checksum covers the IPv6 pseudo-header (RFC 8200 8.1)
        udp = payload[:6] + b"\0\0" + payload[8:]
        pseudo = s6 + d6 + struct.pack("!IxxxB", len(udp), 17)
        c = csum(pseudo + udp) or 0xFFFF
        payload = udp[:6] + struct.pack("!H", c) + udp[8:]
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, 64, s6, d6) + payload


def decode(capture, *keys):
    args = [IKE_DECODE]
    for k in keys:
        args += ["--keys", k]
    p = subprocess.run(args + [capture], capture_output=True, text=True)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    return p.returncode, lines, p.stderr


def shape(lines):
    """What must not change with the wrapping: per record, its kind, exchange, SPI and
    whether it decrypted (with the inner payload types / inner protocol)."""
    out = []
    for l in lines:
        if l["type"] == "ike":
            sk = [p for p in l["payloads"] if p["payload_type"] in (46, 53)]
            inner = [q["payload_type"] for p in sk for q in (p.get("payloads") or [])]
            out.append(("ike", l["exchange"], l["message_id"], [p["decrypted"] for p in sk], inner))
        elif l["type"] == "esp":
            out.append(("esp", l["spi"], l["seq"], l["decrypted"], (l.get("inner") or {}).get("protocol")))
    return out


def summary(lines):
    return lines[-1] if lines and lines[-1]["type"] == "summary" else {}


w = tempfile.mkdtemp(prefix="ikekit-variants.")
keys = os.path.join(SCEN, "keys.jsonl")
ike_keys = os.path.join(w, "ike-only.jsonl")
with open(keys) as src, open(ike_keys, "w") as dst:
    dst.writelines(l for l in src if '"type":"ike_sa"' in l.replace(" ", ""))
frames = read_pcap(os.path.join(SCEN, "capture.pcap"))

rc, base, _ = decode(os.path.join(SCEN, "capture.pcap"), keys)
base_shape = shape(base)
check(rc == 0 and summary(base)["undecryptable"] == 0, f"original decodes fully (exit {rc})")


def variant(name, frames_out, linktype, keyfiles=(keys,), writer=write_pcap, expect=None):
    path = os.path.join(w, name + (".pcapng" if writer is write_pcapng else ".pcap"))
    writer(path, frames_out, linktype)
    rc, lines, err = decode(path, *keyfiles)
    got = shape(lines)
    want = base_shape if expect is None else expect
    check(rc == 0 and got == want and summary(lines)["malformed"] == 0,
          f"{name}: exit {rc}, {len(got)} records as the original{'' if got == want else ': ' + repr(got)}"
          f"{' ' + err.strip() if rc else ''}")
    return lines


eth = lambda data: data[14:]  # the IPv4 packet of an Ethernet frame
variant("pcapng", frames, 1, writer=write_pcapng)
variant("loopback", [(s, u, struct.pack("<I", 2) + eth(d)) for s, u, d in frames], 0)
sll = lambda d: struct.pack("!HHH8sH", 0, 1, 6, d[6:12] + b"\0\0", 0x0800) + eth(d)
variant("sll", [(s, u, sll(d)) for s, u, d in frames], 113)

# IPv6: Ethernet type 0x86dd; ESP keys come from SK_d, so the shape is the original's.
v6 = [(s, u, d[:12] + b"\x86\xdd" + to_ipv6(eth(d))) for s, u, d in frames]
lines = variant("ipv6", v6, 1, keyfiles=(ike_keys,))
check(any(l.get("src", "").startswith("[fd00::") for l in lines if l["type"] == "ike"),
      "ipv6: addresses printed as [fd00::...]:port")


def raw_esp(d):
    src, dst, proto, payload = split_ipv4(eth(d))
    udp = payload[8:]
    if proto == 17 and struct.unpack("!H", payload[2:4])[0] == 4500 and len(udp) > 8 and udp[:4] != b"\0\0\0\0":
        return d[:14] + ipv4(src, dst, 50, udp)
    return d


lines = variant("raw-esp", [(s, u, raw_esp(d)) for s, u, d in frames], 1)
check([l["udp_encap"] for l in lines if l["type"] == "esp"] == [False] * len(
    [l for l in lines if l["type"] == "esp"]), "raw-esp: ESP lines say udp_encap false")

# IPv4 fragments: the largest IKE message in two pieces (offset in 8-byte units).
big = max(range(len(frames)), key=lambda i: len(frames[i][2]))
s, u, d = frames[big]
src, dst, proto, payload = split_ipv4(eth(d))
cut = (len(payload) // 2) & ~7
first = (s, u, d[:14] + ipv4(src, dst, proto, payload[:cut], 0x4242, 0x2000))
second = (s, u + 1, d[:14] + ipv4(src, dst, proto, payload[cut:], 0x4242, cut // 8))
variant("fragmented", frames[:big] + [first, second] + frames[big + 1:], 1,
        expect=base_shape)  # the record is reported at the frame that completed it

# Exit codes.
path = os.path.join(w, "first-fragment-only.pcap")
write_pcap(path, frames[:big] + [first] + frames[big + 1:], 1)
rc, lines, _ = decode(path, keys)
lost = [l for l in lines if l["type"] == "malformed" and l["kind"] == "ip_fragments"]
check(rc == 4 and len(lost) == 1 and lost[0]["frame"] == big + 1,
      f"a missing second fragment is reported at frame {big + 1} (kind ip_fragments), exit 4 (got {rc}, {lost})")

wrong = os.path.join(w, "wrong.jsonl")
with open(keys) as src, open(wrong, "w") as dst:
    for l in src:
        j = json.loads(l)
        for k in ("sk_ei", "sk_er", "encr_key"):
            if j.get(k):
                j[k] = ("00" if j[k][:2] != "00" else "11") + j[k][2:]
        dst.write(json.dumps(j) + "\n")
rc, lines, _ = decode(os.path.join(SCEN, "capture.pcap"), wrong)
check(rc == 4 and summary(lines)["decrypted"] == 0, f"wrong keys: integrity fails, exit 4 (got {rc})")

other = os.path.join(w, "other-sa.jsonl")
with open(other, "w") as f:
    f.write(json.dumps({"type": "ike_sa", "spi_i": "0123456789abcdef", "spi_r": "fedcba9876543210",
                        "sk_d": "00" * 32, "sk_ei": "00" * 36, "sk_er": "00" * 36,
                        "sk_ai": None, "sk_ar": None}) + "\n")
rc, lines, err = decode(os.path.join(SCEN, "capture.pcap"), other)
sm = summary(lines)
check(rc == 0 and sm["no_key"] == sm["undecryptable"] > 0 and "had no key" in err,
      f"keys for another SA only: no_key {sm.get('no_key')}, exit 0, noted on stderr (got {rc})")

bad = os.path.join(w, "bad.jsonl")
with open(bad, "w") as f:
    f.write('{"type":"ike_sa","spi_i":"xyz","spi_r":"00"}\n')
rc, lines, _ = decode(os.path.join(SCEN, "capture.pcap"), bad)
err = lines[-1].get("error", {}) if lines else {}
check(rc == 2 and "spi_i" in err.get("field", "") + err.get("message", "") and ":1" in
      err.get("field", "") + err.get("message", ""), f"bad key line: exit 2 naming line 1 and spi_i (got {rc}, {err})")

notcap = os.path.join(w, "not-a-capture.pcap")
open(notcap, "w").write("hello\n")
rc, _, _ = decode(notcap)
check(rc == 1, f"not a capture: exit 1 (got {rc})")

subprocess.run(["rm", "-rf", w])
print(f"{len(failures)} failed" if failures else "all variants agree")
sys.exit(1 if failures else 0)
