#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table of bench/vm-hooks.sh from its guest's log.

    vm-hooks.py LOG RESULTS.json LABEL

Per workload and configuration: the median time per operation in guest
instructions (the quartiles beside it), what it adds over no tracing, and
the ratios the targets are set on, each tracer against the floor and the
bpftrace script of the same hook form.
"""
import json
import statistics
import sys

CONFIGS = ("none", "floor_tp", "floor_fexit", "floor_lock", "report_tp",
           "report",
           "trace_tp", "trace", "bpftrace_tp", "bpftrace_fexit")
WORKLOADS = (("mlock", "1: mlock+munlock"), ("churn", "2: mmap/munmap/brk churn"),
             ("getppid", "6: getppid"))
# the tracer, the floor and bpftrace of one hook form
FORMS = {"fexit": ("report", "trace", "floor_fexit", "bpftrace_fexit"),
         "tracepoint": ("report_tp", "trace_tp", "floor_tp", "bpftrace_tp")}


def quartiles(v):
    if len(v) < 2:
        return v[0], v[0], v[0]
    q = statistics.quantiles(v, n=4)
    return q[0], statistics.median(v), q[2]


def main():
    log, dest, label = sys.argv[1:4]
    lines = open(log, errors="replace").read().splitlines()
    rows = [json.loads(l.split("MLA-BENCH ", 1)[1]) for l in lines
            if "MLA-BENCH {" in l]
    failed = [l.split()[-1] for l in lines if "MLA-BENCH-FAIL" in l]
    features = [l.split("MLA-FEATURES ", 1)[1] for l in lines
                if "MLA-FEATURES " in l]
    out = {"kernel": label, "clock": "instructions", "workloads": {},
           "failed_to_start": failed, "features": features}
    print(f"kernel {label}; times in guest instructions (-icount shift=0)")
    if failed:
        print("did not start: " + ", ".join(failed))
    print(f"{'workload':<26} {'config':<15} {'ns/op':>9} {'q1-q3':>17} "
          f"{'added':>8} {'added %':>8}")
    for w, title in WORKLOADS:
        res = out["workloads"][w] = {}
        for c in CONFIGS:
            v = [r["ns_per_op"] for r in rows
                 if r["workload"] == w and r["config"] == c]
            if not v:
                continue
            q1, med, q3 = quartiles(v)
            res[c] = {"median": med, "q1": q1, "q3": q3, "samples": len(v)}
        base = res.get("none", {}).get("median")
        for c, s in res.items():
            s["added"] = s["median"] - base if base else None
            s["added_pct"] = 100 * s["added"] / base if base else None
            print(f"{title:<26} {c:<15} {s['median']:9.1f} "
                  f"{s['q1']:8.1f}-{s['q3']:<8.1f} {s['added']:8.1f} "
                  f"{s['added_pct']:7.2f}%")
        ratios = res["ratios"] = {}
        for form, (tool, trace, floor, bt) in FORMS.items():
            def ratio(a, b):
                if a not in res or b not in res or res[b]["added"] <= 0:
                    return None
                return res[a]["added"] / res[b]["added"]
            if tool not in res:
                continue
            r = ratios[form] = {
                "report_over_floor": ratio(tool, floor),
                "report_over_bpftrace": ratio(tool, bt),
                "trace_over_floor": ratio(trace, floor),
                "report_added_pct": res.get(tool, {}).get("added_pct"),
            }
            fx = lambda v: "n/a" if v is None else f"{v:.2f}x"
            pct = r["report_added_pct"]
            print(f"  {title}, {form} form: report adds "
                  f"{'n/a' if pct is None else f'{pct:.2f}%'}; "
                  f"{fx(r['report_over_floor'])} the floor's added cost, "
                  f"{fx(r['report_over_bpftrace'])} bpftrace's; trace "
                  f"{fx(r['trace_over_floor'])} the floor's")
    json.dump(out, open(dest, "w"), indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
