#!/usr/bin/env python3
"""fuzz-campaign.py - the results of one scripts/fuzz.sh run, and the campaign ledger
(fuzz/campaign.json) that adds every run's executions per target, so "at least 10 million
executions per target over the campaign" is countable across sessions.

  scripts/fuzz-campaign.py record RESULTS_DIR SECONDS JOBS TARGET...
      reads each target's libFuzzer logs and facts in RESULTS_DIR/<target>/, adds the
      run to the ledger and prints one JSON document (schema ikekit.fuzz/1) with the
      run per target and the campaign totals after it
  scripts/fuzz-campaign.py totals      prints the ledger's totals (schema ikekit.fuzz-campaign/1)
  scripts/fuzz-campaign.py behind [TARGET...]
      prints the targets still short of the goal, fewest executions first
      (of TARGET..., or of every target in the ledger)

The ledger (FUZZ_LEDGER, default fuzz/campaign.json) keeps per target: executions,
seconds (wall clock spent fuzzing), cpu_seconds (seconds times jobs), runs, crashes, the
coverage of the committed corpus after the last run, and the date and commit of that run.
A run that crashed still counts its executions (the crash is counted too).
"""
import datetime
import fcntl
import glob
import json
import os
import re
import subprocess
import sys

GOAL = 10_000_000
LEDGER = os.environ.get("FUZZ_LEDGER", "fuzz/campaign.json")


def final_stat(text, name):
    return [float(m) for m in re.findall(r"stat::%s:\s*([0-9.]+)" % name, text)]


def run_entry(results, t, seconds, jobs):
    work = os.path.join(results, t)
    with open(os.path.join(work, "facts")) as f:
        _, run_status, added, files, crash, binary = f.read().split("\n")[:6]
    logs = "".join(open(f, errors="replace").read() for f in glob.glob(os.path.join(work, "fuzz-*.log")))
    execs = int(sum(final_stat(logs, "number_of_executed_units")))
    rate = sum(final_stat(logs, "average_exec_per_sec"))
    if execs == 0:  # a job killed by a crash prints no final stats: its last status line
        last = re.findall(r"^#(\d+)\s+(?:NEW|REDUCE|pulse|DONE).*exec/s: (\d+)", logs, re.M)[-1:]
        execs, rate = (int(last[0][0]), float(last[0][1])) if last else (0, 0)
    rss = max(final_stat(logs, "peak_rss_mb") or [0])
    with open(os.path.join(work, "coverage.log"), errors="replace") as f:
        cov = re.findall(r"INITED cov: (\d+) ft: (\d+)", f.read())
    entry = {
        "target": t,
        "seconds": seconds,
        "jobs": jobs,
        "executions": execs,
        "executions_per_s": round(rate) if rate else round(execs / seconds),
        "coverage_edges": int(cov[-1][0]) if cov else None,
        "coverage_features": int(cov[-1][1]) if cov else None,
        "corpus_files": int(files),
        "corpus_files_added": int(added),
        "peak_rss_mb": int(rss),
        "crash": None,
    }
    if run_status != "0" or crash:
        entry["crash"] = {"input": crash or None, "reproduce": binary + " " + (crash or "<input>"),
                          "exit_status": int(run_status), "log": work}
    return entry


def load(f):
    f.seek(0)
    text = f.read()
    doc = json.loads(text) if text.strip() else {}
    doc.setdefault("schema", "ikekit.fuzz-campaign/1")
    doc["goal_executions"] = GOAL
    doc.setdefault("targets", {})
    return doc


def totals(doc):
    targets = doc["targets"]
    behind = sorted((t for t in targets if targets[t]["executions"] < GOAL),
                    key=lambda t: targets[t]["executions"])
    return {
        "schema": doc["schema"],
        "goal_executions": GOAL,
        "targets": targets,
        "executions": sum(e["executions"] for e in targets.values()),
        "crashes": sum(e["crashes"] for e in targets.values()),
        "targets_at_goal": sum(1 for e in targets.values() if e["executions"] >= GOAL),
        "targets_behind": behind,
    }


def add_run(doc, entry, commit, date):
    e = doc["targets"].setdefault(entry["target"], {
        "executions": 0, "seconds": 0, "cpu_seconds": 0, "runs": 0, "crashes": 0})
    e["executions"] += entry["executions"]
    e["seconds"] += entry["seconds"]
    e["cpu_seconds"] += entry["seconds"] * entry["jobs"]
    e["runs"] += 1
    e["crashes"] += 1 if entry["crash"] else 0
    e["coverage_edges"] = entry["coverage_edges"]
    e["coverage_features"] = entry["coverage_features"]
    e["corpus_files"] = entry["corpus_files"]
    e["last_run"] = date
    e["last_commit"] = commit
    e["last_executions_per_s"] = entry["executions_per_s"]


def write(f, doc):
    doc["targets"] = dict(sorted(doc["targets"].items()))
    f.seek(0)
    f.truncate()
    json.dump(doc, f, indent=2)
    f.write("\n")


def record(results, seconds, jobs, targets):
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or None
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = [run_entry(results, t, seconds, jobs) for t in targets]
    with open(LEDGER, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # two campaigns at once add up, neither is lost
        doc = load(f)
        for entry in out:
            add_run(doc, entry, commit, date)
        write(f, doc)
    print(json.dumps({
        "schema": "ikekit.fuzz/1",
        "commit": commit,
        "targets": out,
        "crashes": sum(1 for e in out if e["crash"]),
        "campaign": totals(doc),
    }, indent=2))


def main(argv):
    if len(argv) >= 5 and argv[1] == "record":
        return record(argv[2], int(argv[3]), int(argv[4]), argv[5:])
    if len(argv) >= 2 and argv[1] in ("totals", "behind"):
        try:
            with open(LEDGER) as f:
                doc = load(f)
        except FileNotFoundError:
            doc = load(open(os.devnull))
        if argv[1] == "totals":
            print(json.dumps(totals(doc), indent=2))
            return
        wanted = argv[2:] or list(doc["targets"])
        ex = {t: doc["targets"].get(t, {}).get("executions", 0) for t in wanted}
        print("\n".join(sorted((t for t in wanted if ex[t] < GOAL), key=lambda t: ex[t])))
        return
    sys.stderr.write(__doc__)
    sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
