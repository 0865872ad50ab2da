#!/usr/bin/env python3
"""pcap_counts.py FILE FILTER... - how many frames of FILE match each display FILTER.

Prints the counts on one line, in the order of the filters. One tshark pass for all of
them (-z io,stat): a capture of an iperf3 stream holds ~10^6 frames and tshark
dissects them all on every pass (about 3 s each), so N `tshark -Y F | wc -l` cost N
times that. Exit 1 when tshark fails or the capture holds no frame (a capture that
failed must not read as "0 packets in the clear").
"""
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: pcap_counts.py FILE FILTER...")
    path, filters = sys.argv[1], sys.argv[2:]
    if any("," in f for f in filters):
        sys.exit("pcap_counts.py: a filter with a comma cannot go into -z io,stat")
    out = subprocess.run(["tshark", "-r", path, "-q", "-z", "io,stat,0," + ",".join(filters)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"pcap_counts.py: tshark exited {out.returncode}: {out.stderr.strip()}")
    # The one interval's row: "| 0.000 <> 2.345 | frames | bytes | frames | bytes |".
    rows = [l for l in out.stdout.splitlines() if "<>" in l]
    if not rows:  # no frame at all (tshark also says nothing for a 0-byte file)
        sys.exit(f"pcap_counts.py: {path}: no frames")
    cells = [c.strip() for c in rows[-1].split("|")[2:-1]]
    if len(cells) != 2 * len(filters):
        sys.exit(f"pcap_counts.py: unexpected io,stat row: {rows[-1]}")
    print(" ".join(cells[0::2]))


if __name__ == "__main__":
    main()
