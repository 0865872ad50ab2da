#!/usr/bin/env python3
"""agree_with_tshark.py - ike-decode and tshark must agree frame by frame.

usage: agree_with_tshark.py IKE_DECODE CAPTURE WIRESHARK_DIR [--keys FILE]... [--all-decrypted]
                           [--tshark-decrypted [--tshark-skip-spi SPI]...]

Runs `IKE_DECODE --keys ... CAPTURE` and tests/decode/tshark_summary.py CAPTURE
WIRESHARK_DIR, turns ike-decode's JSON Lines into tshark_summary's form and
compares every IKE message and ESP packet: frame, SPIs, exchange type, message
id, flags, outer payload types, fragment numbers and notify types always; the
decrypted inner payload types, CP attributes (types; IPv4 address, DNS and subnet
values), EAP code and type, and ESP inner protocol wherever tshark decrypted
too. With --all-decrypted, every SK/SKF payload and ESP packet must have been
decrypted by ike-decode with a good ICV (tshark 4.0 cannot do ChaCha20, so this
is how those captures are checked). With --tshark-decrypted, tshark must have decrypted
everything ike-decode decrypted, except ESP packets of the --tshark-skip-spi SPIs (SAs
whose algorithm Wireshark lacks): then the tables hold working keys for every SA.

Exit 0 when they agree, 1 with each difference on stderr, 2 usage, 77 when
tshark is not installed (ctest SKIP_RETURN_CODE).
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SK, SKF, NOTIFY, CP, EAP = 46, 53, 41, 47, 48
CFG_VALUES = (1, 3, 13)  # INTERNAL_IP4_ADDRESS, _DNS, _SUBNET: values both tools show


def record_summary(r):
    """One ike-decode record in tshark_summary.py's form; None for other line types."""
    if r["type"] == "ike":
        payloads = r["payloads"]
        outer = [p["payload_type"] for p in payloads]
        notifies = [p["notify_type"] for p in payloads if p["payload_type"] == NOTIFY]
        enc = payloads[-1] if payloads and payloads[-1]["payload_type"] in (SK, SKF) else None
        inner = None
        fragment = None
        decrypted = None
        cfg, eap = None, None
        if enc is not None:
            decrypted = enc["decrypted"] and enc["integrity"] == "ok"
            if enc["payload_type"] == SKF:
                fragment = {"number": enc["fragment_number"], "total": enc["total_fragments"]}
            if decrypted:
                inner_list = enc.get("payloads") or []
                inner = [p["payload_type"] for p in inner_list]
                notifies += [p["notify_type"] for p in inner_list if p["payload_type"] == NOTIFY]
                cfg = [[[a["type"], a["value"] if a["type"] in CFG_VALUES else None]
                        for a in p["attributes"]] for p in inner_list if p["payload_type"] == CP]
                eap = [[p["code"], p.get("eap_type")] for p in inner_list if p["payload_type"] == EAP]
        return {"frame": r["frame"], "kind": "ike", "spi_i": r["spi_i"], "spi_r": r["spi_r"],
                "exchange_type": r["exchange_type"], "message_id": r["message_id"],
                "initiator": r["initiator"], "response": r["response"], "payloads": outer,
                "decrypted": decrypted, "fragment": fragment, "inner_payloads": inner,
                "notify_types": notifies, "cfg_attributes": cfg, "eap": eap}
    if r["type"] == "esp":
        ok = r["decrypted"] and r["integrity"] == "ok"
        return {"frame": r["frame"], "kind": "esp", "spi": r["spi"], "seq": r["seq"],
                "decrypted": ok, "next_header": r["next_header"] if ok else None,
                "inner_protocol": (r["inner"] or {}).get("protocol") if ok else None}
    if r["type"] == "malformed":
        return {"frame": r["frame"], "kind": "malformed", "error": r["error"]}
    return None


def ike_decode_summary(binary, capture, keys):
    cmd = [binary]
    for k in keys:
        cmd += ["--keys", k]
    cmd.append(capture)
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode not in (0, 4):
        sys.exit(f"agree: {' '.join(cmd)} exited {run.returncode}: {run.stderr.strip()}")
    lines = [json.loads(l) for l in run.stdout.splitlines() if l.strip()]
    assert lines[0]["type"] == "header" and lines[-1]["type"] == "summary", "header/summary missing"
    out = {}
    for r in lines:
        rec = record_summary(r)
        if rec is not None:
            out[r["frame"]] = rec
    return out, lines[-1]


def tshark_summary(capture, keydir):
    run = subprocess.run([sys.executable, os.path.join(HERE, "tshark_summary.py"), capture, keydir],
                         capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"agree: tshark_summary.py failed: {run.stderr.strip()}")
    return {r["frame"]: r for r in (json.loads(l) for l in run.stdout.splitlines() if l.strip())}


def compare(ours, theirs, all_decrypted, tshark_decrypted=False, skip_spis=()):
    problems = []
    for frame in sorted(set(ours) | set(theirs)):
        a, b = ours.get(frame), theirs.get(frame)
        if a is None or b is None:
            problems.append(f"frame {frame}: only {'tshark' if a is None else 'ike-decode'} reports it: {a or b}")
            continue
        if a["kind"] != b["kind"]:
            problems.append(f"frame {frame}: ike-decode says {a['kind']}, tshark {b['kind']}")
            continue
        if a["kind"] == "ike":
            fields = ["spi_i", "spi_r", "exchange_type", "message_id", "initiator", "response", "payloads", "fragment"]
            # Notify types: tshark lists inner ones only when it decrypted.
            if b["decrypted"] or a["decrypted"] is None:
                fields.append("notify_types")
            if b["decrypted"]:
                fields += ["decrypted", "inner_payloads", "cfg_attributes", "eap"]
            if all_decrypted and a["decrypted"] is False:
                problems.append(f"frame {frame}: ike-decode did not decrypt the SK/SKF payload")
        else:
            fields = ["spi", "seq"]
            if b["decrypted"]:
                fields += ["decrypted", "next_header", "inner_protocol"]
            if all_decrypted and not a["decrypted"]:
                problems.append(f"frame {frame}: ike-decode did not decrypt the ESP packet")
        if tshark_decrypted and a.get("decrypted") and not b.get("decrypted") and \
                not (a["kind"] == "esp" and a["spi"] in skip_spis):
            problems.append(f"frame {frame} ({a['kind']}): tshark did not decrypt it with the tables")
        for f in fields:
            if a.get(f) != b.get(f):
                problems.append(f"frame {frame} ({a['kind']}): {f}: ike-decode {a.get(f)!r}, tshark {b.get(f)!r}")
    return problems


def main(argv):
    args, keys, all_decrypted, tshark_decrypted, skip_spis = [], [], False, False, set()
    it = iter(argv)
    for a in it:
        if a == "--keys":
            keys.append(next(it))
        elif a == "--all-decrypted":
            all_decrypted = True
        elif a == "--tshark-decrypted":
            tshark_decrypted = True
        elif a == "--tshark-skip-spi":
            skip_spis.add(next(it))
        else:
            args.append(a)
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    if shutil.which("tshark") is None:
        print("SKIP: tshark is not installed (apt-get install tshark)")
        return 77
    binary, capture, keydir = args
    ours, summary = ike_decode_summary(binary, capture, keys)
    theirs = tshark_summary(capture, keydir)
    problems = compare(ours, theirs, all_decrypted, tshark_decrypted, skip_spis)
    if summary["malformed"]:
        problems.append(f"ike-decode counted {summary['malformed']} malformed packets")
    for p in problems:
        print("agree: " + p, file=sys.stderr)
    print(f"agree: {len(ours)} records compared, {len(problems)} differences; summary {json.dumps(summary)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
