#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The programs' own cost per operation, from the kernel's BPF run-time
# statistics (kernel.bpf_stats_enabled): for each workload, the time spent
# in the floor's and in memlockacct's programs, per operation, and its share
# of the operation's time. On a noisy machine, wall-clock ratios of a cheap
# path drown in the noise (the churn workload varies by 30 % from run to
# run untraced); this does not. It leaves out the hook dispatch, which both
# pay alike (the floor's wall-clock cost in bench/run.sh), and it includes
# the statistics' own two clock reads per run.
# Writes bench/results-progcost.json.
#   bench/progcost.sh [REPS]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${OUTPUT:-$top/.output}
tool=$top/memlockacct
wl=$out/bench/workload
reps=${1:-3}
work=$(mktemp -d)
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$old_stats"; kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"

# prog_ns TRACER_PID: total run_time_ns of the programs TRACER_PID loaded
prog_ns() {
	bpftool prog show -j | python3 -c '
import json, sys
ids = set(sys.argv[1].split())
print(sum(p.get("run_time_ns", 0) for p in json.load(sys.stdin) if str(p["id"]) in ids))' \
		"$(ls -l /proc/"$1"/fd 2>/dev/null | awk '/anon_inode:bpf-prog/ { print $9 }' |
		   xargs -r -I{} awk '/^prog_id:/ { print $2 }' /proc/"$1"/fdinfo/{})"
}

sysctl -qw kernel.bpf_stats_enabled=1
for ((r = 1; r <= reps; r++)); do
	for c in floor memlockacct; do
		start "$c" || { echo "cannot start $c" >&2; exit 1; }
		for w in mlock churn; do
			n=100000
			[[ $w == churn ]] && n=50000
			before=$(prog_ns "$TRACER")
			line=$("$wl" "$w" "$n")
			after=$(prog_ns "$TRACER")
			echo "{\"config\":\"$c\",\"workload\":\"$w\",\"ops\":$n,\"prog_ns\":$((after - before)),\"run\":$line}" \
				>>"$work/rows"
		done
		stop
	done
done

python3 - "$work/rows" "$top/bench/results-progcost.json" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
out = {}
print(f"{'workload':<8} {'programs of':<12} {'ns/op in BPF':>13} {'min-max':>15} {'of the op':>10}")
for w in ("mlock", "churn"):
    for c in ("floor", "memlockacct"):
        rs = [r for r in rows if r["workload"] == w and r["config"] == c]
        v = [r["prog_ns"] / r["ops"] for r in rs]
        op = statistics.median(r["run"]["ns_per_op"] for r in rs)
        m = statistics.median(v)
        out.setdefault(w, {})[c] = {"median": m, "min": min(v), "max": max(v), "reps": len(v),
                                    "op_ns": op, "share_pct": 100 * m / op}
        print(f"{w:<8} {c:<12} {m:13.1f} {min(v):7.1f}-{max(v):<7.1f} {100 * m / op:9.2f}%")
json.dump(out, open(sys.argv[2], "w"), indent=1)
EOF
