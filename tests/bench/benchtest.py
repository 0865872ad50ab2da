"""What the ike-bench end-to-end tests share: failure collection, the namespaces and
processes a run must leave behind (none), and SIGINT in the middle of a run."""
import json
import os
import signal
import subprocess
import sys
import time

SKIP = 77
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


def finish():
    """The exit status: 1 when a check failed."""
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("ok", file=sys.stderr)
    return 0


def usage_errors(run, command, cases):
    """Each (args, field) of `cases`: `ike-bench COMMAND ARGS` exits 2, and when it
    printed a document its error names `field`. `run(argv)` returns (rc, doc, err)."""
    for args, field in cases:
        rc, doc, err = run([command] + args)
        check(rc == 2, f"{command} {args}: exit {rc}, expected 2")
        if doc:
            check(doc.get("error", {}).get("field") == field, f"{command} {args}: error {doc}")


def namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def leftover_children():
    """Processes that are our children now: orphans of ike-bench (the caller made itself the child subreaper)."""
    kids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != os.getpid():
                continue
            with open(f"/proc/{p}/cmdline", "rb") as f:
                kids.append(f.read().replace(b"\0", b" ").decode().strip() or f"pid {p}")
            os.kill(int(p), signal.SIGKILL)
        except (OSError, IndexError, ValueError):
            pass
    while True:  # reap them
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0 and not kids:
                break
        except ChildProcessError:
            break
        if kids:
            time.sleep(0.05)
    return kids


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def interrupt(argv, what, settle_s=1.0, timeout=20):
    """Starts ike-bench (argv), waits for its namespaces ikb-PID-l/-r, lets it run
    settle_s, sends SIGINT: exit 1 with a result saying "interrupted", and nothing
    left behind (namespaces, children, the responder). Returns the first result."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mine = {f"ikb-{p.pid}-l", f"ikb-{p.pid}-r"}
    deadline = time.time() + 10
    while time.time() < deadline and not mine <= namespaces():
        time.sleep(0.05)
    check(mine <= namespaces(), f"{what}: the namespaces never appeared")
    time.sleep(settle_s)
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        check(False, f"{what}: ike-bench did not end within {timeout} s")
    check(p.returncode == 1, f"{what}: exit {p.returncode}, expected 1 ({err.strip()[-200:]})")
    check(not (namespaces() & mine), f"{what}: namespaces left behind")
    ps = subprocess.run(["ps", "-eo", "ppid=,comm="], capture_output=True, text=True).stdout
    check(not any(l.split()[0] == str(p.pid) for l in ps.splitlines() if l.strip()), f"{what}: children left")
    try:
        r = json.loads(out)["results"][0]
    except (ValueError, KeyError, IndexError):
        check(False, f"{what}: stdout is not a document: {out!r}")
        return {}
    check("interrupted" in (r.get("error") or {}).get("message", ""), f"{what}: error {r.get('error')}")
    pid = (r.get("responder") or {}).get("pid")
    check(pid is None or not pid_alive(pid), f"{what}: responder {pid} still running")
    return r
