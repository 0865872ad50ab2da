#!/usr/bin/env python3
"""sigpipe_test.py BIN_DIR CAPTURE KEYS - every tool survives a closed stdout.

Each tool runs with stdout a pipe whose reading end is already closed, so its first
write fails. With SIGPIPE ignored (cli::parse_args) the write gets EPIPE and the tool
ends with its own exit code; before, SIGPIPE killed it (returncode -13) before any
cleanup. ike-decode, whose whole job is its output, exits 1 and says so on stderr.
Prints 'N passed, N failed'.
"""
import os
import signal
import subprocess
import sys

bin_dir, capture, keys = sys.argv[1:4]
passed = failed = 0


def run_closed_stdout(args):
    r, w = os.pipe()
    os.close(r)
    try:
        return subprocess.run(args, stdout=w, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(w)


def check(name, ok, detail):
    global passed, failed
    if ok:
        passed += 1
        print("ok:", name)
    else:
        failed += 1
        print("FAIL:", name, detail)


for tool in ["ike-up", "esp-tunnel", "ike-decode", "ikectl", "ike-bench"]:
    path = os.path.join(bin_dir, tool)
    if not os.path.exists(path):
        check(tool + " exists", False, path)
        continue
    p = run_closed_stdout([path, "--version"])
    check(tool + " --version into a closed pipe is not killed by SIGPIPE",
          p.returncode != -signal.SIGPIPE, "returncode %d" % p.returncode)

p = run_closed_stdout([os.path.join(bin_dir, "ike-decode"), "--keys", keys, capture])
check("ike-decode into a closed pipe exits 1 and says why",
      p.returncode == 1 and b"write failed" in p.stderr,
      "returncode %d, stderr %r" % (p.returncode, p.stderr[-200:]))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
