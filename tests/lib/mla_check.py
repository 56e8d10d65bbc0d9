# SPDX-License-Identifier: GPL-2.0
"""Compare memlockacct's output with the kernel's own numbers.

A scenario program prints one JSON line per step: the step's pid, the
CLOCK_BOOTTIME window [t0, t1] it ran in, and /proc/self/status VmLck and
VmPin (KiB) before and after it. The tool's `run --json` summary and its
`--events` JSON Lines are checked against those, exactly.

Assertions are grouped into tests (a step, a process); a test passes when
all its assertions hold. Each test yields (ok, name, message).
"""
import json


def text(block, kind):
    """One kind of a guest log's scenario block, as the file it was."""
    return "\n".join(block.get(kind, []))


def load_steps(text):
    """Step lines of a scenario's output (other lines are ignored)."""
    steps = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('{"step"'):
            steps.append(json.loads(line))
    return steps


def load_events(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


class Checks:
    def __init__(self, prefix, tests=None):
        self.prefix = prefix
        # name -> list of failure messages, in order
        self.tests = {} if tests is None else tests

    def scope(self, prefix):
        """The same tests, named with PREFIX after this one's."""
        return Checks(f"{self.prefix}{prefix}", self.tests)

    def check(self, test, ok, message=""):
        fails = self.tests.setdefault(f"{self.prefix}{test}", [])
        if not ok:
            fails.append(message)
        return ok

    def equal(self, test, what, got, want):
        return self.check(test, got == want,
                          f"{what}: got {got!r}, want {want!r}")

    @property
    def results(self):
        return [(not fails, name, "; ".join(fails))
                for name, fails in self.tests.items()]

    def print_results(self):
        """One "ok NAME" or "FAIL NAME: why" line a test; (passed, failed)."""
        passed = failed = 0
        for ok, name, msg in self.results:
            if ok:
                passed += 1
                print(f"ok {name}")
            else:
                failed += 1
                print(f"FAIL {name}: {msg}")
        return passed, failed


COUNTERS = (("locked_vm", "vmlck"), ("pinned_vm", "vmpin"))


def check_steps(c, steps, events):
    """Each step's events add up to the kernel's change, from the right source."""
    for s in steps:
        window = [e for e in events
                  if e.get("type") == "change" and e["pid"] == s["pid"]
                  and s["t0"] <= e["ts_ns"] <= s["t1"]]
        for counter, key in COUNTERS:
            mine = [e for e in window if e["counter"] == counter]
            want = s[f"{key}_after"] - s[f"{key}_before"]
            got = sum(e["delta_kib"] for e in mine)
            test = f"step {s['step']} (pid {s['pid']})"
            c.equal(test, f"{counter} delta_kib", got, want)
            if counter != "locked_vm" or not want:
                continue
            sources = sorted({e["source"] for e in mine})
            c.equal(test, "source", sources, [s["source"]])


USER_COUNTERS = (("user_locked_vm", "user_locked_delta_kib"),
                 ("user_shm_locked", "user_shm_delta_kib"))


def check_user_steps(c, steps, events):
    """Per-user buckets: no /proc file, so the step states the kernel's rule."""
    for s in steps:
        for counter, key in USER_COUNTERS:
            if key not in s:
                continue
            got = sum(e["delta_kib"] for e in events
                      if e.get("type") == "change" and e["pid"] == s["pid"]
                      and e["counter"] == counter
                      and s["t0"] <= e["ts_ns"] <= s["t1"])
            c.equal(f"step {s['step']} (pid {s['pid']})",
                    f"{counter} delta_kib", got, s[key])


FIGURES = ("mlock_and_vfio", "vfio_and_vfio", "locked_and_pinned",
           "max_vfio_multiplicity")
# a process's own fields, beside double_counted_kib: what a single count
# holds, and device memory (VFIO-mapped BARs, not RAM)
PROC_FIGURES = ("unique_locked_kib", "vfio_device_kib", "vfio_device_mappings")


def check_figures(c, steps, summary, test_prefix=""):
    """Double counting a process's last step states, in its summary."""
    procs = {p["pid"]: p for p in summary["processes"]}
    last = {}
    for s in steps:
        last[s["pid"]] = s
    for pid, s in sorted(last.items()):
        wanted = [k for k in FIGURES if f"{k}_kib" in s or k in s]
        alone = [k for k in PROC_FIGURES if k in s]
        if not wanted and not alone:
            continue
        test = f"{test_prefix}double counting of pid {pid}"
        p = procs.get(pid)
        if not c.check(test, p is not None, "not in the summary"):
            continue
        d = p["double_counted_kib"]
        for k in FIGURES:
            want = s.get(f"{k}_kib", s.get(k))
            if want is not None:
                c.equal(test, k, d[k], want)
        for k in alone:
            c.equal(test, k, p[k], s[k])
        c.equal(test, "ranges_known", d["ranges_known"], True)


def check_run(c, steps, summary, events):
    """Everything a `run --json` over a scenario must get exactly right."""
    check_summary(c, summary)
    check_steps(c, steps, events)
    check_user_steps(c, steps, events)
    check_processes(c, steps, summary)
    check_figures(c, steps, summary)


def check_processes(c, steps, summary):
    """Peaks, finals, drift and sources per process, against /proc."""
    procs = {p["pid"]: p for p in summary["processes"]}
    by_pid = {}
    for s in steps:
        by_pid.setdefault(s["pid"], []).append(s)
    for pid, ss in sorted(by_pid.items()):
        p = procs.get(pid)
        test = f"process {pid} peaks, finals, drift"
        if not c.check(test, p is not None, "not in the summary"):
            continue
        for counter, key in COUNTERS:
            values = [s[f"{key}_before"] for s in ss] + \
                     [s[f"{key}_after"] for s in ss]
            c.equal(test, f"{counter} peak_kib",
                    p[counter]["peak_kib"], max(values))
            c.equal(test, f"{counter} final_kib",
                    p[counter]["final_kib"], ss[-1][f"{key}_after"])
            c.equal(test, f"{counter} drift_kib", p[counter]["drift_kib"], 0)
            total = sum(v["final_kib"] for v in
                        p[counter]["by_source"].values())
            c.equal(test, f"{counter} by_source sum", total,
                    p[counter]["final_kib"])
        c.equal(test, "drift_kib", p["drift_kib"], 0)


def check_summary(c, summary):
    test = "nothing lost"
    c.equal(test, "lost_events", summary["lost_events"], 0)
    c.equal(test, "dropped", summary["dropped"],
            {"mms": 0, "exited_mms": 0, "users": 0, "vfio_walk": 0,
             "last_errno": 0})


def errno_name(ret):
    """A step's return value (0 or -errno) as the tool names it."""
    import errno
    return "0" if ret == 0 else errno.errorcode.get(-ret, str(ret))


# the source that holds a counter's KiB in a refusal scenario
HOLDER = {"locked_vm": "mlock", "pinned_vm": "perf",
          "user_locked_vm": "io_uring", "user_shm_locked": "shm"}


SKIP = object()


# The tracepoint tier does not see a SysV segment's size: what it says of
# a refused SHM_LOCK (check_failures' override)
TRACEPOINT_SHM = {
    ("shm_lock_refused", "requested_kib"): 0,
    ("shm_lock_refused", "suggested_limit_kib"): None,
}


def check_failures(c, steps, summary, name, override=None):
    """Each refused step is in the summary's failures, explained as its
    notes say: errno, check, counter, what it held (KiB; VmLck before the
    step unless stated) and by which source (holder), the request, the limit, memlock or look-alike, the
    smallest limit that passes and the sources. @override: {(step, field):
    value}, for what this machine's tier sees otherwise; SKIP where there is
    no ground truth (a per-user counter other processes share)."""
    override = override or {}
    refused = [s for s in steps if "errno" in s]
    c.check(f"{name}: refusals seen", refused, "no refused steps")
    for s in refused:
        test = f"{name}: {s['step']} explained"
        c.equal(test, "scenario errno", errno_name(s["ret"]), s["errno"])
        found = [f for f in summary["failures"] if f["pid"] == s["pid"]
                 and f["errno"] == s["errno"]
                 and s["t0"] <= f["ts_ns"] <= s["t1"]]
        if not c.check(test, len(found) == 1,
                       f"{len(found)} failures recorded"):
            continue
        f = found[0]
        counter = s.get("counter", "locked_vm")
        held = s.get("counter_kib", s["vmlck_before"])
        memlock = s.get("memlock", True)
        want = {
            "pid": s["pid"], "check": s["check"], "counter": counter,
            "counter_kib": held, "requested_kib": s["request_kib"],
            "limit_kib": s["limit_kib"], "memlock": memlock,
            "suggested_limit_kib":
                held + s["request_kib"] if memlock else None,
            "sources": {s.get("holder", HOLDER[counter]): held}
                       if held else {},
        }
        for field, value in want.items():
            value = override.get((s["step"], field), value)
            if value is not SKIP:
                c.equal(test, field, f.get(field), value)
        # a refused VFIO map names the whole map, as its ioctl asked
        if f.get("source") == "vfio" and "size_bytes" in f:
            c.equal(test, "size_bytes", f["size_bytes"],
                    s["request_kib"] * 1024)
        # the fix is always what was held plus what was asked
        if f["memlock"] and f.get("size_known", True):
            c.equal(test, "suggested = held + asked",
                    f["suggested_limit_kib"],
                    f["counter_kib"] + f["requested_kib"])


def check_limit_setters(c, name, out, summary, events):
    """Who set RLIMIT_MEMLOCK (buckets limit_setters): each set the
    scenario made, and the refused one, as a limit event with its caller,
    target and values; the target's rlimit_memlock.set_by is its last
    successful set and equals what /proc/PID/limits says now."""
    lines = [json.loads(l) for l in out.splitlines()
             if l.startswith('{"limit_set"') or l.startswith('{"limits_now"')]
    sets = [l for l in lines if "limit_set" in l]
    now = [l for l in lines if "limits_now" in l]
    limits = [e for e in events if e.get("type") == "limit"]
    test = f"{name}: limit events"
    if not c.check(test, len(sets) == 3 and len(now) == 1,
                   f"scenario printed {lines}"):
        return
    c.equal(test, "events", len(limits), len(sets))
    for s, e in zip(sets, limits):
        t = f"{name}: {s['limit_set']} as an event"
        c.equal(t, "pid (target)", e["pid"], s["pid"])
        c.equal(t, "by_pid", e["by_pid"], s["by"])
        c.equal(t, "soft_bytes", e["soft_bytes"], s["soft"])
        c.equal(t, "hard_bytes", e["hard_bytes"], s["hard"])
        c.equal(t, "ret", e["ret"], s["ret"])
        if s["old_soft"] >= 0:
            c.equal(t, "old_soft_bytes", e.get("old_soft_bytes"), s["old_soft"])
            c.equal(t, "old_hard_bytes", e.get("old_hard_bytes"), s["old_hard"])
    child = now[0]["limits_now"]
    procs = [p for p in summary["processes"] if p["pid"] == child]
    test = f"{name}: pid {child} rlimit_memlock"
    if not c.check(test, len(procs) == 1, "not in the summary"):
        return
    lim = procs[0].get("rlimit_memlock") or {}
    soft, hard = (int(v) for v in now[0]["proc_limits"].split())
    c.equal(test, "soft_bytes = /proc/PID/limits", lim.get("soft_bytes"), soft)
    c.equal(test, "hard_bytes = /proc/PID/limits", lim.get("hard_bytes"), hard)
    own = sets[1]
    set_by = lim.get("set_by") or {}
    c.equal(test, "set_by", (set_by.get("by_pid"), set_by.get("syscall"),
                             set_by.get("soft_bytes"), set_by.get("hard_bytes")),
            (own["by"], "setrlimit", own["soft"], own["hard"]))
    refused = lim.get("refused_set") or {}
    c.equal(test, "refused_set", (refused.get("errno"), refused.get("hard_bytes"),
                                  lim.get("refused_sets")),
            ("EPERM", sets[2]["hard"], 1))


def probe_fits(out):
    """The fits_kib of each `buckets uring_probe` line in @out, in order;
    None for a probe whose retries disagreed."""
    fits = []
    for line in out.splitlines():
        try:
            p = json.loads(line)
        except ValueError:
            continue
        if isinstance(p, dict) and p.get("probe") == "uring":
            ok = p.get("again") and p.get("one_more_refused")
            fits.append(p["fits_kib"] if ok else None)
    return fits


def check_users(c, name, summary, table, holders, limit_kib, probes):
    """`report --users` over processes of nobody (uid 65534) holding
    io_uring buffers: @holders maps each one's buffer size (KiB) to its
    pid; each runs under @limit_kib. @probes: `buckets uring_probe`'s
    largest buffer the kernel registered for another process of nobody
    under the same limit, before the holders and while they held theirs:
    their difference is what the kernel's bucket gained, the ground truth
    of user_locked_vm, as no /proc file shows it."""
    test = f"{name}: nobody's user_locked_vm"
    users = [u for u in summary["users"] if u["uid"] == 65534]
    if not c.check(test, len(users) == 1, f"uid 65534 not in {summary['users']}"):
        return
    bucket = users[0]["user_locked_vm"]
    procs = {p["pid"]: p["user_locked_vm"] for p in users[0]["processes"]}
    c.equal(test, "processes", sorted(procs), sorted(holders.values()))
    if c.check(test, len(probes) == 2 and None not in probes,
               f"kernel probes {probes}"):
        c.equal(test, "final_kib = the kernel's bucket (probed)",
                bucket["final_kib"], probes[0] - probes[1])
    shares = {kib: procs.get(pid, {}).get("final_kib", 0) - kib
              for kib, pid in holders.items()}
    # io_uring_setup charges its rings to the user on newer kernels: the
    # same for each holder, a few pages (8 KiB on 6.18), never a buffer
    c.equal(test, "ring charges, the same for each",
            len(set(shares.values())), 1)
    c.check(test, all(0 <= v <= 64 for v in shares.values()),
            f"ring charges {shares} (KiB) not within 0..64")
    c.equal(test, "final_kib = the shares", bucket["final_kib"],
            sum(p["final_kib"] for p in procs.values()))
    c.equal(test, "unattributed_kib", bucket["unattributed_kib"], 0)
    for pid, p in procs.items():
        c.equal(test, f"pid {pid} sources", list(p["by_source"]), ["io_uring"])
        c.equal(test, f"pid {pid} headroom_kib", p["headroom_kib"],
                limit_kib - bucket["final_kib"])
    test = f"{name}: the table"
    for pid, p in procs.items():
        row = [l.split() for l in table.splitlines()
               if l.split()[:1] == [str(pid)]]
        c.equal(test, f"pid {pid}", row, [[str(pid), "buckets",
                                          "user_locked_vm", "io_uring",
                                          str(p["final_kib"]),
                                          str(p["headroom_kib"])]])
