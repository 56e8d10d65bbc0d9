#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Workload 4 session by session: bench/vfio-sessions.py GUEST_LOG [RESULTS_JSON]

Each session is one process mapping its own 1 GiB buffer, PAIRS times.
type1 pins a buffer one physically contiguous run at a time (one
vfio_pin_pages_remote() batch each), and the tracer's programs run once per
batch, so a session's time depends on how many runs its buffer has: with
the "asis" layout that alternated between about 25 and 250 from one session
to the next (what first looked like "every other session is slower").

Prints each session (configuration, runs, median map+unmap) and, per
configuration, the least-squares line time = fixed + per_run * runs over its
sessions where the runs vary: the untraced line's slope is the kernel's own
cost of a batch, a traced one's slope minus it the tracer's. Given
RESULTS_JSON, adds both under "sessions" and "per_run".
"""
import json
import statistics
import sys

ORDER = ("none", "portable", "kprobes", "precise")


def sessions(path):
    """[(config, runs, pair_ms)], medians per session, in order."""
    out, cur = [], []
    with open(path, errors="replace") as f:
        for line in f:
            if "MLA-BENCH {" not in line:
                continue
            r = json.loads(line.split("MLA-BENCH ", 1)[1])
            if r.get("stats"):
                continue
            # the rotation never runs one configuration twice in a row
            if cur and r["config"] != cur[0]["config"]:
                out.append(cur)
                cur = []
            cur.append(r)
    if cur:
        out.append(cur)
    return [(s[0]["config"], s[0].get("phys_runs", 0),
             statistics.median(r["map_s"] + r["unmap_s"] for r in s) * 1e3)
            for s in out]


def fit(points):
    """(fixed_ms, per_run_us) of the least-squares line, or None."""
    points = [(x, y) for x, y in points if x > 0]  # 0: runs unknown
    xs = [x for x, _ in points]
    # a slope needs runs that differ: 511 against 512 says nothing
    if not xs or max(xs) - min(xs) < 0.2 * max(xs):
        return None
    mx, my = statistics.mean(xs), statistics.mean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x in xs)
    if not sxx:
        return None
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - slope * mx, slope * 1e3


def main():
    sess = sessions(sys.argv[1])
    print("sessions: configuration, physical runs of its buffer, "
          "median map+unmap ms")
    for c, runs, ms in sess:
        print(f"  {c:<9} {runs:5d} {ms:9.3f}")
    lines = {c: fit([(r, ms) for k, r, ms in sess if k == c]) for c in ORDER}
    per_run = {}
    if lines.get("none"):
        base_fixed, base_slope = lines["none"]
        print("time = fixed + per_run x runs, least squares per configuration:")
        for c in ORDER:
            if not lines.get(c):
                continue
            fixed, slope = lines[c]
            per_run[c] = {"fixed_ms": fixed, "per_run_us": slope,
                          "added_fixed_ms": fixed - base_fixed,
                          "added_per_run_us": slope - base_slope}
            print(f"  {c:<9} {fixed:8.3f} ms + {slope:6.2f} us x runs"
                  + ("" if c == "none" else
                     f"   (adds {fixed - base_fixed:+.3f} ms "
                     f"+ {slope - base_slope:+.2f} us a run)"))
    else:
        print("(the sessions' runs hardly differ: no per-run line to fit)")
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            doc = json.load(f)
        doc.pop("by_parity", None)
        doc["sessions"] = [{"config": c, "phys_runs": r, "pair_ms": ms}
                           for c, r, ms in sess]
        doc["per_run"] = per_run
        with open(sys.argv[2], "w") as f:
            json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
