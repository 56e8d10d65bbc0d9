#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The benchmarks. Each workload runs, in one invocation, under (a) no
# tracing, (b) the floor (the same hooks, empty programs), (c) memlockacct
# report (aggregating in the kernel), (c2) memlockacct trace (every change
# streamed) and (d) the equivalent bpftrace script, in rotation, REPS times;
# each start of a tracer times both workloads SAMPLES times, alternating, in
# runs of about 0.2 s, so that many short samples spread over the whole run
# (this host's speed drifts by tens of percent over minutes). The table
# gives median ns/op with the quartiles, the cost each adds over (a), and
# the ratios the targets are set on. Then the burst, frontend and map
# memory figures. Raw results go to bench/results.json.
#
#   bench/run.sh [REPS]        (as root; BENCH_QUICK=1 for a short run)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${OUTPUT:-$top/.output}
tool=$top/memlockacct
wl=$out/bench/workload
reps=${1:-15}
samples=3
mlock_iters=100000
churn_iters=25000
burst_secs=60
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	reps=3 burst_secs=10
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
results=$work/results.jsonl

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"

configs=(none floor memlockacct trace bpftrace)
for ((r = 1; r <= reps; r++)); do
	for c in "${configs[@]}"; do
		start "$c" || { echo "cannot start $c" >&2; exit 1; }
		for ((k = 1; k <= samples; k++)); do
			for w in mlock churn; do
				iters=$mlock_iters
				[[ $w == churn ]] && iters=$churn_iters
				"$wl" "$w" "$iters" |
					sed "s/^{/{\"config\":\"$c\",\"rep\":$r,/" >>"$results"
			done
		done
		stop
	done
done

# the burst: >= 100,000 changes/s for a minute, nothing lost, exact
"$tool" run --json -o "$work/burst.json" -- "$wl" burst 2 "$burst_secs" \
	>"$work/burst.out"
# replay: record a 20 s burst (millions of events), load it three times
"$tool" run --record "$work/trace.mla" -o /dev/null -- "$wl" burst 2 \
	"$(( burst_secs < 20 ? burst_secs : 20 ))" >/dev/null
for i in 1 2 3; do
	MLA_REPLAY_STATS=1 "$tool" report -i "$work/trace.mla" -o /dev/null \
		2>>"$work/replay.out"
done
ls -l "$work/trace.mla" | awk '{ print $5 }' >"$work/trace.size"
# the frontend's memory with 10,000 processes holding locked memory
"$tool" report --json -o "$work/procs.json" --ready-file "$work/ready2" \
	>/dev/null 2>&1 &
rep=$!
wait_for "$work/ready2"
"$out/tests/churn" 10000 10000 15000 >/dev/null &
churner=$!
sleep 12
bpftool map show -j >"$work/maps.json"
rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$rep/status")
wait "$churner"
kill -INT "$rep"
wait "$rep"

python3 - "$results" "$work" "$rss" "$top/bench/results.json" <<'EOF'
import json, statistics, sys, os
results, work, rss, dest = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = [json.loads(l) for l in open(results)]
out = {"workloads": {}}
def quartiles(v):
    q = statistics.quantiles(v, n=4)
    return q[0], statistics.median(v), q[2]
print(f"{'workload':<8} {'config':<12} {'ns/op median':>13} {'q1-q3':>17} {'added ns':>9} {'added, q1':>10}")
configs = ("none", "floor", "memlockacct", "trace", "bpftrace")
for w in ("mlock", "churn"):
    med, q1 = {}, {}
    for c in configs:
        v = [r["ns_per_op"] for r in rows if r["workload"] == w and r["config"] == c]
        q1[c], med[c], q3 = quartiles(v)
        out["workloads"].setdefault(w, {})[c] = {"median": med[c], "q1": q1[c], "q3": q3,
                                                 "min": min(v), "max": max(v), "samples": len(v)}
    for c in configs:
        s = out["workloads"][w][c]
        print(f"{w:<8} {c:<12} {s['median']:13.1f} {s['q1']:8.1f}-{s['q3']:<8.1f} "
              f"{med[c]-med['none']:9.1f} {q1[c]-q1['none']:10.1f}")
    add = {c: med[c] - med["none"] for c in med}
    add1 = {c: q1[c] - q1["none"] for c in q1}
    ratio = lambda a, b: a / b if b > 0 else None
    r = out["workloads"][w]["ratios"] = {
        "tool_over_floor_added": ratio(add["memlockacct"], add["floor"]),
        "tool_over_bpftrace_added": ratio(add["memlockacct"], add["bpftrace"]),
        "trace_over_floor_added": ratio(add["trace"], add["floor"]),
        "tool_over_floor_added_q1": ratio(add1["memlockacct"], add1["floor"]),
        "tool_over_bpftrace_added_q1": ratio(add1["memlockacct"], add1["bpftrace"]),
        "tool_slowdown_pct": 100 * add["memlockacct"] / med["none"],
        "floor_slowdown_pct": 100 * add["floor"] / med["none"],
        "bpftrace_slowdown_pct": 100 * add["bpftrace"] / med["none"],
    }
    fx = lambda v: "n/a" if v is None else f"{v:.2f}x"
    print(f"  {w}: memlockacct adds {fx(r['tool_over_floor_added'])} the floor's cost "
          f"({fx(r['tool_over_floor_added_q1'])} by first quartiles), "
          f"{fx(r['tool_over_bpftrace_added'])} bpftrace's ({fx(r['tool_over_bpftrace_added_q1'])}); slowdown "
          f"{r['tool_slowdown_pct']:.1f}% (floor {r['floor_slowdown_pct']:.1f}%, "
          f"bpftrace {r['bpftrace_slowdown_pct']:.1f}%); trace (every change "
          f"streamed) adds {fx(r['trace_over_floor_added'])} the floor's")
b = json.load(open(os.path.join(work, "burst.json")))
bw = [json.loads(l) for l in open(os.path.join(work, "burst.out")) if l.startswith("{")][0]
p = [x for x in b["processes"] if x["locked_vm"]["peak_kib"]][0]
out["burst"] = {"changes": bw["changes"], "changes_per_s": bw["changes_per_s"],
                "events": b.get("events"), "lost_events": b["lost_events"],
                "final_kib": p["locked_vm"]["final_kib"], "drift_kib": p["drift_kib"]}
print(f"burst: {bw['changes']} changes at {bw['changes_per_s']:.0f}/s from 2 threads; "
      f"events counted {b.get('events')}, lost {b['lost_events']}, final {p['locked_vm']['final_kib']} KiB, drift {p['drift_kib']}")
rp = [l.split() for l in open(os.path.join(work, "replay.out")) if l.startswith("replayed")]
rate = [float(x[6].lstrip("(")) for x in rp]
size = int(open(os.path.join(work, "trace.size")).read())
out["replay"] = {"events": int(rp[0][1]), "file_bytes": size, "events_per_s_median": statistics.median(rate),
                 "events_per_s_min": min(rate), "events_per_s_max": max(rate), "reps": len(rate)}
print(f"replay: {int(rp[0][1])} events ({size / 1048576:.0f} MiB) loaded at "
      f"{statistics.median(rate) / 1e6:.2f} M events/s median ({min(rate) / 1e6:.2f}-{max(rate) / 1e6:.2f})")
maps = json.load(open(os.path.join(work, "maps.json")))
ours = {"mms", "dead", "users", "events", "tree", "cgroup_filter", "mm_hint", "user_hint",
        "scratch", "scratch_user", "kctx", "failed_tids", "walk_out"}
mem = sum(m.get("bytes_memlock", 0) for m in maps if m.get("name") in ours)
procs = json.load(open(os.path.join(work, "procs.json")))
out["frontend"] = {"processes": len(procs["processes"]), "rss_hwm_kib": rss}
out["bpf_maps_bytes"] = mem
print(f"frontend: {len(procs['processes'])} processes reported, peak RSS {rss} KiB; "
      f"BPF maps {mem / 1048576:.1f} MiB (bytes_memlock)")
json.dump(out, open(dest, "w"), indent=1)
EOF
