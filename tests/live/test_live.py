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

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import mla_check  # noqa: E402
import mla_scenarios  # noqa: E402
from mla_scenarios import run_tool  # noqa: E402


def program(bindir, command):
    """A manifest command, its scenario program found in BINDIR."""
    return [os.path.join(bindir, command[0]), *command[1:]]


def run_scenario(c, tool, bindir, sc):
    """Kind run: the scenario under `memlockacct run`, then its checks."""
    test = f"{sc.name}: memlockacct run"
    with tempfile.TemporaryDirectory() as d:
        try:
            proc, summary_text, events_text = run_tool(
                tool, program(bindir, sc.command), d, sc.options)
        except (OSError, subprocess.SubprocessError) as e:
            c.check(test, False, str(e))
            return
    if not c.check(test, proc.returncode == 0,
                   f"exit {proc.returncode}: {proc.stderr.strip()}"):
        return
    summary = json.loads(summary_text)
    steps = mla_check.load_steps(proc.stdout)
    events = mla_check.load_events(events_text)
    mla_scenarios.check_run(c, sc.name, steps, summary, events, "portable")
    for check in sc.checks:
        RUN_CHECKS[check](c, sc.name, steps, summary, events, proc.stdout)


def check_exit_sources(c, name, steps, summary, events, _out):
    """workload: what the main process and its child held at exit, by
    source, and both of the main process's mms retired."""
    main_pid = steps[0]["pid"]
    procs = {p["pid"]: p for p in summary["processes"]}
    child = [s for s in steps if s["step"] == "child_mlock"]
    test = f"{name}: sources held at exit, after exec and fork"
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


def check_failures(c, name, steps, summary, events, _out):
    """The tracepoint tier does not see a SysV segment's size; and no
    /proc file shows the user's io_uring total that other processes of
    root may hold (the VM stage checks both exactly)."""
    skip = mla_check.SKIP
    mla_check.check_failures(c, steps, summary, name, {
        **mla_check.TRACEPOINT_SHM,
        ("io_uring_register_refused", "counter_kib"): skip,
        ("io_uring_register_refused", "suggested_limit_kib"): skip,
        ("io_uring_register_refused", "sources"): skip,
    })


def check_limit_setters(c, name, steps, summary, events, out):
    """Who set RLIMIT_MEMLOCK: read off the scenario's own lines (out)."""
    mla_check.check_limit_setters(c, name, out, summary, events)


# a run scenario's checks field, for the host: each gets the scenario's
# steps, the tool's summary and events, and the scenario's output
RUN_CHECKS = {"exit_sources": check_exit_sources, "failures": check_failures,
              "limit_setters": check_limit_setters}


def check_record_replay(c, tool, bindir, sc):
    """record then report -i: the same summary as the live one."""
    test = "record then report -i: the live summary"
    with tempfile.TemporaryDirectory() as d:
        rec = os.path.join(d, "w.rec")
        proc, live_text, _ = run_tool(
            tool, program(bindir, sc.command), d,
            extra=(*sc.options, "--record", rec))
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


def check_aggregate(c, tool, bindir, sc):
    """`report` sends no events for what only mlock holds (aggregate mode):
    its figures come from the maps, its ranges from smaps, and a refusal is
    still explained exactly."""
    test = "report (aggregate mode): memlockacct report"
    hold = os.path.join(bindir, "workload")
    # one holder from before the tool (its mm is seeded), one from after
    early = subprocess.Popen([hold, "--hold", "--wait"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    held_early = mla_scenarios.read_until(early.stdout, "waiting")
    with tempfile.TemporaryDirectory() as d:
        out, ready = os.path.join(d, "report.json"), os.path.join(d, "ready")
        rep = subprocess.Popen([tool, "report", "--json", "-o", out,
                                "--ready-file", ready],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
        holder = None
        try:
            if not c.check(test, mla_scenarios.wait_file(ready, 60, rep),
                           "never ready"):
                return
            early.stdin.write("go\n")
            early.stdin.flush()
            held_early += mla_scenarios.read_until(early.stdout, "holding")
            holder = subprocess.Popen([hold, "--hold"],
                                      stdout=subprocess.PIPE, text=True)
            held = mla_scenarios.read_until(holder.stdout, "holding")
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
    agg = c.scope("report (aggregate mode): ")
    mla_check.check_summary(agg, summary)
    mla_check.check_processes(agg, steps_all, summary)
    mla_check.check_figures(agg, steps, summary)
    skip = mla_check.SKIP
    mla_check.check_failures(c, refusals, summary,
                             "report (aggregate mode): refusals", {
        **mla_check.TRACEPOINT_SHM,
        ("io_uring_register_refused", "counter_kib"): skip,
        ("io_uring_register_refused", "suggested_limit_kib"): skip,
        ("io_uring_register_refused", "sources"): skip,
    })


def check_churn(c, tool, bindir, sc):
    """10,000 short-lived processes: nothing left behind, nothing merged."""
    test = "churn: 10000 processes that lock memory"
    with tempfile.TemporaryDirectory() as d:
        proc, summary_text, _ = run_tool(
            tool, program(bindir, sc.command), d, sc.options)
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


def check_full_maps(c, tool, bindir, sc):
    """More holders than the map has room for (--max-procs 64): counted,
    said, no crash."""
    test = "full maps: drops counted and reported"
    with tempfile.TemporaryDirectory() as d:
        proc, summary_text, _ = run_tool(
            tool, program(bindir, sc.command), d, sc.options)
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


def check_deep_tree(c, tool, bindir, sc):
    """More descendants over a run than --max-procs (64), three alive at a
    time: the gone leave the tree, so each child's own child is followed
    too."""
    test = "run: 200 grandchildren with room for 64 processes"
    cmd = " ".join(program(bindir, sc.command))
    script = f'for i in $(seq 200); do sh -c "{cmd}; true"; done'
    with tempfile.TemporaryDirectory() as d:
        proc, summary_text, _ = run_tool(tool, ["sh", "-c", script], d,
                                         sc.options)
    if not c.check(test, proc.returncode == 0,
                   f"exit {proc.returncode}: {proc.stderr.strip()}"):
        return
    s = json.loads(summary_text)
    held = [p for p in s["processes"] if p["locked_vm"]["peak_kib"] == 64]
    c.equal(test, "grandchildren reported, each 64 KiB", len(held), 200)
    c.equal(test, "dropped mms", s["dropped"]["mms"], 0)


def check_users(c, tool, bindir, sc):
    """`report --users`: two processes of nobody (uid 65534, whose bucket
    nothing else here charges) each hold an io_uring buffer, 64 and 128
    KiB, registered while the tool runs. Its user_locked_vm must be what
    the kernel's bucket gained (probed with `buckets uring_probe` before
    and while they hold), each share its buffer plus the same ring charge,
    nothing unattributed, and each one's headroom its own 1 MiB limit less
    the whole bucket, in the JSON and the table (mla_check.check_users)."""
    test = "report --users: memlockacct report"
    holders = []
    probe = program(bindir, [sc.command[0], "uring_probe"])
    probes = subprocess.run(probe, capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o777)  # the holders, as nobody, say they are ready here
        ready = os.path.join(d, "ready")
        outs = {"json": os.path.join(d, "users.json"),
                "text": os.path.join(d, "users.txt")}
        reps = [subprocess.Popen([tool, "report", "--users", "-o", outs[k],
                                  "--ready-file", f"{ready}.{k}"] +
                                 (["--json"] if k == "json" else []),
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
                for k in outs]
        try:
            for k, rep in zip(outs, reps):
                if not c.check(test, mla_scenarios.wait_file(
                        f"{ready}.{k}", 60, rep), f"{k}: never ready"):
                    return
            for kib in (64, 128):
                r = os.path.join(d, f"held.{kib}")
                holders.append((kib, subprocess.Popen(
                    program(bindir, sc.command) + [str(kib), r])))
                if not c.check(test, mla_scenarios.wait_file(
                        r, 30, holders[-1][1]), f"holder {kib} not ready"):
                    return
            for rep in reps:
                rep.send_signal(signal.SIGINT)
            errs = [rep.communicate(timeout=60)[1] for rep in reps]
            probes += subprocess.run(probe, capture_output=True,
                                     text=True).stdout
        finally:
            for _, h in holders:
                h.kill()
                h.wait()
            for rep in reps:
                if rep.poll() is None:
                    rep.kill()
                    rep.wait()
        for rep, err in zip(reps, errs):
            c.check(test, rep.returncode == 0,
                    f"exit {rep.returncode}: {err.strip()}")
        with open(outs["json"]) as f:
            summary = json.load(f)
        with open(outs["text"]) as f:
            table = f.read()
    mla_check.check_users(c, "report --users", summary, table,
                          {kib: h.pid for kib, h in holders}, 1024,
                          mla_check.probe_fits(probes))


# one function a kind of tests/scenarios.list
KINDS = {"run": run_scenario, "record_replay": check_record_replay,
         "aggregate": check_aggregate, "churn": check_churn,
         "full_maps": check_full_maps, "deep_tree": check_deep_tree,
         "users": check_users}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--bin", required=True, help="scenario programs")
    args = ap.parse_args()

    c = mla_check.Checks("live ")
    for sc in mla_scenarios.load("live"):
        bad = [k for k in sc.checks if k not in RUN_CHECKS]
        if sc.kind not in KINDS or bad:
            c.check(f"{sc.name}: scenarios.list", False,
                    f"kind {sc.kind}, checks {bad}: not known here")
            continue
        KINDS[sc.kind](c, args.tool, args.bin, sc)
    _, failed = c.print_results()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
