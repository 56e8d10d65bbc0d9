#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Live tests on the host kernel (tracepoint tier): `memlockacct run` over
each scenario must report exactly what /proc/PID/status said at every step
(and, for the per-user buckets, what the kernel's rules give)."""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

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


def run_scenario(c, tool, name, cmd):
    """Run one scenario under the tool; (steps, summary, events) or None."""
    test = f"{name}: memlockacct run"
    with tempfile.TemporaryDirectory() as d:
        try:
            proc, summary_text, events_text = run_tool(tool, cmd, d)
        except (OSError, subprocess.SubprocessError) as e:
            c.check(test, False, str(e))
            return None
    if not c.check(test, proc.returncode == 0,
                   f"exit {proc.returncode}: {proc.stderr.strip()}"):
        return None
    summary = json.loads(summary_text)
    steps = mla_check.load_steps(proc.stdout)
    c.check(test, steps, "the scenario printed no steps")
    c.equal(test, "tier", summary["tier"], "portable")
    sc = mla_check.Checks(f"{c.prefix}{name}: ")
    mla_check.check_run(sc, steps, summary, mla_check.load_events(events_text))
    c.tests.update(sc.tests)
    return steps, summary, mla_check.load_events(events_text)


def check_workload_extras(c, run):
    steps, summary, events = run
    main_pid = steps[0]["pid"]
    procs = {p["pid"]: p for p in summary["processes"]}
    child = [s for s in steps if s["step"] == "child_mlock"]
    test = "workload: sources held at exit, after exec and fork"
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


def check_record_replay(c, tool, bindir):
    """record then report -i: the same summary as the live one."""
    test = "record then report -i: the live summary"
    with tempfile.TemporaryDirectory() as d:
        rec = os.path.join(d, "w.rec")
        proc, live_text, _ = run_tool(
            tool, [os.path.join(bindir, "workload")], d,
            extra=("--record", rec))
        if not c.check(test, proc.returncode == 0, proc.stderr.strip()):
            return
        out = os.path.join(d, "replay.json")
        r = subprocess.run([tool, "report", "-i", rec, "--json", "-o", out],
                           capture_output=True, text=True, timeout=60)
        if not c.check(test, r.returncode == 0, r.stderr.strip()):
            return
        live, replay = json.loads(live_text), json.load(open(out))
        for doc in (live, replay):
            doc.pop("duration_s")
            doc.pop("map_entries")
        c.equal(test, "summary", replay, live)
        # a cut file is an error that says where, and no crash
        with open(rec, "rb") as f:
            data = f.read()
        for name, cut in (("truncated", data[:len(data) // 2]),
                          ("corrupt", data[:60] + b"\xff" * 40 + data[100:]),
                          ("not a recording", b"hello\n" * 20)):
            bad = os.path.join(d, name)
            with open(bad, "wb") as f:
                f.write(cut)
            r = subprocess.run([tool, "report", "-i", bad],
                               capture_output=True, text=True, timeout=60)
            c.check(f"record file {name}: one clear error",
                    r.returncode == 1 and len(r.stderr.splitlines()) == 1
                    and ("record file" in r.stderr),
                    f"exit {r.returncode}: {r.stderr.strip()}")


def check_aggregate(c, tool, bindir):
    """`report` sends no events for what only mlock holds (aggregate mode):
    its figures come from the maps, its ranges from smaps, and a refusal is
    still explained exactly."""
    test = "report (aggregate mode): memlockacct report"
    hold = os.path.join(bindir, "workload")
    # one holder from before the tool (its mm is seeded), one from after
    early = subprocess.Popen([hold, "--hold", "--wait"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    held_early = []
    for line in early.stdout:
        if line.startswith("waiting"):
            break
        held_early.append(line)
    with tempfile.TemporaryDirectory() as d:
        out, ready = os.path.join(d, "report.json"), os.path.join(d, "ready")
        rep = subprocess.Popen([tool, "report", "--json", "-o", out,
                                "--ready-file", ready],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
        holder = None
        try:
            for _ in range(600):
                if os.path.exists(ready) or rep.poll() is not None:
                    break
                time.sleep(0.1)
            if not c.check(test, os.path.exists(ready), "never ready"):
                return
            early.stdin.write("go\n")
            early.stdin.flush()
            for line in early.stdout:
                if line.startswith("holding"):
                    break
                held_early.append(line)
            holder = subprocess.Popen([hold, "--hold"],
                                      stdout=subprocess.PIPE, text=True)
            held = []
            for line in holder.stdout:
                if line.startswith("holding"):
                    break
                held.append(line)
            runs = [subprocess.run(cmd, capture_output=True, text=True,
                                   timeout=120)
                    for cmd in ([os.path.join(bindir, "workload")],
                                [os.path.join(bindir, "buckets"),
                                 "refusals"])]
            rep.send_signal(signal.SIGINT)
            _, err = rep.communicate(timeout=60)
        finally:
            for h in (holder, early):
                if h:
                    h.kill()
                    h.wait()
            if rep.poll() is None:
                rep.kill()
                rep.wait()
        if not c.check(test, rep.returncode == 0,
                       f"exit {rep.returncode}: {err.strip()}"):
            return
        with open(out) as f:
            summary = json.load(f)
    steps = mla_check.load_steps("".join(held) + "".join(held_early))
    refusals = mla_check.load_steps(runs[1].stdout)
    steps_all = steps + mla_check.load_steps(runs[0].stdout) + refusals
    c.check(test, len(steps) == 6 and all(r.returncode == 0 for r in runs),
            "a scenario failed")
    sc = mla_check.Checks(f"{c.prefix}report (aggregate mode): ")
    mla_check.check_summary(sc, summary)
    mla_check.check_processes(sc, steps_all, summary)
    mla_check.check_figures(sc, steps, summary)
    c.tests.update(sc.tests)
    skip = mla_check.SKIP
    mla_check.check_failures(c, refusals, summary,
                             "report (aggregate mode): refusals", {
        ("shm_lock_refused", "requested_kib"): 0,
        ("shm_lock_refused", "suggested_limit_kib"): None,
        ("io_uring_register_refused", "counter_kib"): skip,
        ("io_uring_register_refused", "suggested_limit_kib"): skip,
        ("io_uring_register_refused", "sources"): skip,
    })


def check_churn(c, tool, bindir):
    """10,000 short-lived processes: nothing left behind, nothing merged."""
    test = "churn: 10000 processes that lock memory"
    with tempfile.TemporaryDirectory() as d:
        proc, summary_text, _ = run_tool(
            tool, [os.path.join(bindir, "churn"), "10000", "8", "0"], d)
    if not c.check(test, proc.returncode == 0,
                   f"exit {proc.returncode}: {proc.stderr.strip()}"):
        return
    s = json.loads(summary_text)
    c.equal(test, "lost_events", s["lost_events"], 0)
    c.equal(test, "dropped", s["dropped"],
            {"mms": 0, "exited_mms": 0, "users": 0, "vfio_walk": 0,
             "last_errno": 0})
    for m, e in s["map_entries"].items():
        c.equal(test, f"{m} map entries back to baseline", e["end"],
                e["start"])
    children = [p for p in s["processes"] if p["exited"] and
                p["locked_vm"]["peak_kib"] == 4]
    c.equal(test, "children reported apart", len(children), 10000)
    c.equal(test, "each held 4 KiB at exit, drift 0",
            sorted({(p["locked_vm"]["final_kib"], p["drift_kib"])
                    for p in children}), [(4, 0)])


def check_full_maps(c, tool, bindir):
    """More holders than the map has room for: counted, said, no crash."""
    test = "full maps: drops counted and reported"
    with tempfile.TemporaryDirectory() as d:
        proc, summary_text, _ = run_tool(
            tool, [os.path.join(bindir, "churn"), "200", "200", "500"], d,
            extra=("--max-procs", "64"))
    if not c.check(test, proc.returncode == 0,
                   f"exit {proc.returncode}: {proc.stderr.strip()}"):
        return
    s = json.loads(summary_text)
    c.check(test, s["dropped"]["mms"] > 0,
            f"no drop counted: {s['dropped']}")
    c.equal(test, "a full map's errno", s["dropped"]["last_errno"], 7)
    held = [p for p in s["processes"] if p["locked_vm"]["peak_kib"] == 4]
    c.check(test, 0 < len(held) <= 64,
            f"{len(held)} processes tracked with room for 64")


def check_deep_tree(c, tool, bindir):
    """More descendants over a run than --max-procs, three alive at a time:
    the gone leave the tree, so each child's own child is followed too."""
    test = "run: 200 grandchildren with room for 64 processes"
    namer = os.path.join(bindir, "namer")
    script = f'for i in $(seq 200); do sh -c "{namer} x 0; true"; done'
    with tempfile.TemporaryDirectory() as d:
        proc, summary_text, _ = run_tool(tool, ["sh", "-c", script], d,
                                         extra=("--max-procs", "64"))
    if not c.check(test, proc.returncode == 0,
                   f"exit {proc.returncode}: {proc.stderr.strip()}"):
        return
    s = json.loads(summary_text)
    held = [p for p in s["processes"] if p["locked_vm"]["peak_kib"] == 64]
    c.equal(test, "grandchildren reported, each 64 KiB", len(held), 200)
    c.equal(test, "dropped mms", s["dropped"]["mms"], 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--bin", required=True, help="scenario programs")
    args = ap.parse_args()

    c = mla_check.Checks("live ")
    run = run_scenario(c, args.tool, "workload",
                       [os.path.join(args.bin, "workload")])
    if run:
        check_workload_extras(c, run)
    for sc in ("shm", "io_uring", "io_uring_mlocked", "perf"):
        run_scenario(c, args.tool, sc, [os.path.join(args.bin, "buckets"), sc])
    run = run_scenario(c, args.tool, "refusals",
                       [os.path.join(args.bin, "buckets"), "refusals"])
    if run:
        # the tracepoint tier does not see a SysV segment's size; and no
        # /proc file shows the user's io_uring total that other processes
        # of root may hold (the VM stage checks both exactly)
        skip = mla_check.SKIP
        mla_check.check_failures(c, run[0], run[1], "refusals", {
            ("shm_lock_refused", "requested_kib"): 0,
            ("shm_lock_refused", "suggested_limit_kib"): None,
            ("io_uring_register_refused", "counter_kib"): skip,
            ("io_uring_register_refused", "suggested_limit_kib"): skip,
            ("io_uring_register_refused", "sources"): skip,
        })
    check_record_replay(c, args.tool, args.bin)
    check_aggregate(c, args.tool, args.bin)
    check_churn(c, args.tool, args.bin)
    check_full_maps(c, args.tool, args.bin)
    check_deep_tree(c, args.tool, args.bin)
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
