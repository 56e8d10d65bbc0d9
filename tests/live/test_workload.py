#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Live test on the host kernel (tracepoint tier): `memlockacct run` over
the workload must report exactly what /proc/PID/status said at every step."""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import mla_check  # noqa: E402


def run_tool(tool, cmd, workdir, extra=()):
    summary = os.path.join(workdir, "summary.json")
    events = os.path.join(workdir, "events.jsonl")
    proc = subprocess.run(
        [tool, "run", "--json", "-o", summary, "--events", events, *extra,
         "--", *cmd],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        timeout=120)
    with open(summary) as f:
        summary_text = f.read()
    with open(events) as f:
        events_text = f.read()
    return proc, summary_text, events_text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--workload", required=True)
    args = ap.parse_args()

    c = mla_check.Checks("live workload: ")
    with tempfile.TemporaryDirectory() as d:
        try:
            proc, summary_text, events_text = run_tool(
                args.tool, [args.workload], d)
        except (OSError, subprocess.SubprocessError) as e:
            c.check("memlockacct run", False, str(e))
            return report(c)
        if not c.check("memlockacct run", proc.returncode == 0,
                       f"exit {proc.returncode}: {proc.stderr.strip()}"):
            return report(c)
        summary = __import__("json").loads(summary_text)
        steps = mla_check.load_steps(proc.stdout)
        events = mla_check.load_events(events_text)

    c.check("memlockacct run", len(steps) >= 15,
            f"the workload printed {len(steps)} steps")
    mla_check.check_summary(c, summary)
    mla_check.check_steps(c, steps, events)
    mla_check.check_processes(c, steps, summary)

    main_pid = steps[0]["pid"]
    procs = {p["pid"]: p for p in summary["processes"]}
    child = [s for s in steps if s["step"] == "child_mlock"]
    c.equal("memlockacct run", "tier", summary["tier"], "portable")
    test = "sources held at exit, after exec and fork"
    if c.check(test, main_pid in procs, "main process missing"):
        c.equal(test, "main process mlock",
                procs[main_pid]["locked_vm"]["by_source"]["mlock"],
                {"final_kib": 128})
    if c.check(test, child and child[0]["pid"] in procs, "child missing"):
        c.equal(test, "forked child mlock",
                procs[child[0]["pid"]]["locked_vm"]["by_source"]["mlock"],
                {"final_kib": 64})
    gone = [e for e in events
            if e.get("type") == "mm_gone" and e["pid"] == main_pid]
    c.equal(test, "mms retired", sorted(e["cause"] for e in gone),
            ["exec", "exit"])
    return report(c)


def report(c):
    failed = 0
    for ok, name, msg in c.results:
        if ok:
            print(f"ok {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {msg}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
