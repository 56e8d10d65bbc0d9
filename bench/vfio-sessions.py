#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Workload 4 by session: bench/vfio-sessions.py GUEST_LOG [RESULTS_JSON]

The guest's sessions alternate between two speeds whatever runs in them:
every other session, untraced ones too, maps and unmaps more slowly (seen
on 6.12 and 7.2; cause not found). A configuration's cost is therefore
taken against the untraced sessions of the same parity: the added
percentage for the even and for the odd sessions. Prints the table and,
given RESULTS_JSON, adds it there under "by_parity".
"""
import json
import statistics
import sys

ORDER = ("none", "portable", "kprobes", "precise")


def sessions(path):
    """[(config, map_ms, unmap_ms)], medians per session, in order."""
    out, cur, key = [], [], None
    with open(path, errors="replace") as f:
        for line in f:
            if "MLA-BENCH {" not in line:
                continue
            r = json.loads(line.split("MLA-BENCH ", 1)[1])
            if r.get("stats"):
                continue
            k = r["config"]  # the rotation never repeats one at once
            if cur and k != key:
                out.append(cur)
                cur = []
            key = k
            cur.append(r)
    if cur:
        out.append(cur)
    return [(s[0]["config"],
             statistics.median(r["map_s"] for r in s) * 1e3,
             statistics.median(r["unmap_s"] for r in s) * 1e3) for s in out]


def main():
    sess = sessions(sys.argv[1])
    table = {}
    for parity in (0, 1):
        rows = [s for i, s in enumerate(sess) if i % 2 == parity]
        by = {}
        for c, m, u in rows:
            by.setdefault(c, []).append(m + u)
        if "none" not in by:
            continue
        base = statistics.median(by["none"])
        table[parity] = {c: {"sessions": len(v),
                             "pair_ms": statistics.median(v),
                             "added_pct": 100 * (statistics.median(v) - base)
                             / base}
                         for c, v in by.items()}
    print("by session parity: median map+unmap ms (sessions), added to the "
          "untraced sessions of the same parity")
    for parity, t in table.items():
        cells = [f"{c} {t[c]['pair_ms']:.3f} ({t[c]['sessions']}) "
                 f"{t[c]['added_pct']:+.1f}%" for c in ORDER if c in t]
        print(f"  {'even' if parity == 0 else 'odd '}: " + "; ".join(cells))
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            doc = json.load(f)
        doc["by_parity"] = {("even" if p == 0 else "odd"): t
                            for p, t in table.items()}
        with open(sys.argv[2], "w") as f:
            json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
