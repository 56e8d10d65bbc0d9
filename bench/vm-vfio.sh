#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark 4: VFIO_IOMMU_MAP_DMA/UNMAP_DMA of 1 GiB in a test VM (the
# harness of tests/vm), untraced, under memlockacct --portable, and under
# memlockacct with the precise tier, its hooks on kprobes (--kprobes, as
# kernels without trampolines run it) and on fentry/fexit where they attach
# (the default); REPS sessions of each, in rotation,
# each timing PAIRS map+unmap pairs after an untimed one (under TCG, the
# first run of freshly JIT-compiled BPF code pays for its translation:
# 2-10 ms, an artefact of emulation). Then, once per tier, the programs'
# own time per pair from the kernel's BPF statistics and the frontend's CPU
# time. Prints the tables and writes bench/results-vfio-LABEL.json.
#
# The tracer's programs run once per vfio_pin_pages_remote() batch, i.e.
# once per physically contiguous run of the buffer, so the buffer's layout
# decides their share: BENCH_VFIO_LAYOUT=thp-apart (the default) builds it
# from 2 MiB huge pages no two of which are adjacent (512 runs a GiB, the
# same in every session); "asis" takes what the allocator gives (2 to 260
# runs a GiB in one guest, alternating between sessions).
#
# The guest runs with "-icount shift=0": its clock advances one nanosecond
# per instruction executed (by either vCPU), so the times are instruction
# counts, unmoved by the load of the shared host (in real time, the medians
# of the same configuration moved by 15 % between runs here). That also
# charges the frontend's work on the other vCPU to the workload: an upper
# bound of what a busy host pays. BENCH_VFIO_REALTIME=1 measures real time.
#   bench/vm-vfio.sh [LABEL [REPS [PAIRS]]]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/vm/lib.sh
. "$top/tests/vm/lib.sh"
label=${1:-6.12}
layout=${BENCH_VFIO_LAYOUT:-thp-apart}
name=$label
[[ $layout == thp-apart ]] || name=$label-$layout
reps=${2:-8}
pairs=${3:-12}
out=${OUTPUT:-$top/.output}
work=$(mktemp -d)
clock=instructions
if [[ ${BENCH_VFIO_REALTIME:-0} == 1 ]]; then
	clock=real
else
	export MLA_VM_QEMU_ARGS="${MLA_VM_QEMU_ARGS:-} -icount shift=0,sleep=off"
fi
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/payload"
cp "$out/static/memlockacct" "$out/tests/vfio" "$out/bench/progstats" "$work/payload/"
cat >"$work/payload/run.sh" <<GUEST
#!/bin/sh
T=/payload/memlockacct
pairs=$pairs
# start CONFIG: the tool as that configuration runs it, in the background
start() {
	rm -f /tmp/ready
	case \$1 in
	portable) \$T report --portable -o /dev/null --ready-file /tmp/ready & ;;
	kprobes) \$T report --kprobes -o /dev/null --ready-file /tmp/ready & ;;
	precise) \$T report -o /dev/null --ready-file /tmp/ready & ;;
	*) sleep 2; return ;;
	esac
	tracer=\$!
	while [ ! -e /tmp/ready ]; do sleep 0.1; done
	# attaching leaves work behind (RCU grace periods for the replaced
	# trampolines and ftrace ops) that would count against the first pairs
	sleep 2
}
# The order turns by one each session, so every configuration runs as often
# in each place: with the asis layout every other session's buffer had ten
# times the runs (BENCHMARKS.md), and a fixed order of four put all sessions
# of two configurations on the many-runs side.
order="none portable kprobes precise"
for r in \$(seq $reps); do
	for c in \$order; do
		start \$c
		/payload/vfio bench_map \$((pairs + 1)) $layout | tail -n +2 |
			sed "s/^{/MLA-BENCH {\"config\":\"\$c\",/"
		[ \$c = none ] || { kill -INT \$tracer; wait \$tracer; }
	done
	set -- \$order; first=\$1; shift; order="\$* \$first"
done
# Where the time goes: the programs' own run time (the kernel's BPF
# statistics) and the frontend's CPU time, over PAIRS pairs after an untimed one.
cpu() { set -- \$(sed 's/.*) //' /proc/\$1/stat); echo \$((\${12} + \${13})); }
for c in portable kprobes precise; do
	start \$c
	/payload/vfio bench_map 1 $layout >/dev/null
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	/payload/progstats | sed "s/^/MLA-STATS \$c before /"
	t0=\$(cpu \$tracer)
	/payload/vfio bench_map \$pairs $layout | sed "s/^{/MLA-BENCH {\\"config\\":\\"\$c\\",\\"stats\\":1,/"
	t1=\$(cpu \$tracer)
	/payload/progstats | sed "s/^/MLA-STATS \$c after /"
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
	echo "MLA-CPU \$c \$((t1 - t0))"
	kill -INT \$tracer; wait \$tracer
done
GUEST
chmod 755 "$work/payload/run.sh"
suite=$(mla_label_suite "$label") || exit 1
"$top/tests/vm/fetch-kernel.sh" "$label" "$suite" >/dev/null 2>&1 ||
	{ echo "cannot fetch kernel $label"; exit 1; }
"$top/tests/vm/mkinitramfs.sh" "$label" "$work/payload" "$work/initrd.gz" 2>/dev/null
MLA_VM_MEM=2560M "$top/tests/vm/boot.sh" "$label" "$work/initrd.gz" "$work/log" 2>/dev/null ||
	{ echo "the guest did not finish: $(tail -5 "$work/log")"; exit 1; }
python3 - "$work/log" "$top/bench/results-vfio-$name.json" "$label" "$clock" "$layout" <<'PY'
import json, statistics, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
rows = [json.loads(l.split("MLA-BENCH ", 1)[1]) for l in lines if "MLA-BENCH {" in l]
stat_rows = [r for r in rows if r.get("stats")]
rows = [r for r in rows if not r.get("stats")]
out = {"kernel": sys.argv[3], "clock": sys.argv[4], "layout": sys.argv[5]}
print(f"guest clock: {sys.argv[4]}; buffer layout: {sys.argv[5]}")
print(f"{'config':<9} {'map s (median, min-max)':>26} {'unmap s (median, min-max)':>28}")
for c in ("none", "portable", "kprobes", "precise"):
    m = [r["map_s"] for r in rows if r["config"] == c]
    u = [r["unmap_s"] for r in rows if r["config"] == c]
    runs = [r.get("phys_runs", 0) for r in rows if r["config"] == c]
    out[c] = {"map_median": statistics.median(m), "map_min": min(m), "map_max": max(m),
              "unmap_median": statistics.median(u), "unmap_min": min(u), "unmap_max": max(u), "reps": len(m),
              "phys_runs_median": statistics.median(runs), "phys_runs_min": min(runs),
              "phys_runs_max": max(runs)}
    print(f"{c:<9} {statistics.median(m):10.4f} ({min(m):.4f}-{max(m):.4f}) {statistics.median(u):10.4f} ({min(u):.4f}-{max(u):.4f})"
          f"  runs {statistics.median(runs):g} ({min(runs)}-{max(runs)})")
for c in ("portable", "kprobes", "precise"):
    t = out[c]["map_median"] + out[c]["unmap_median"]
    t0 = out["none"]["map_median"] + out["none"]["unmap_median"]
    out[c]["added_pct"] = 100 * (t - t0) / t0
    # the fastest pair of each: the least disturbed by the shared host
    b = min(r["map_s"] + r["unmap_s"] for r in rows if r["config"] == c)
    b0 = min(r["map_s"] + r["unmap_s"] for r in rows if r["config"] == "none")
    out[c]["added_pct_best"] = 100 * (b - b0) / b0
    runs = out[c]["phys_runs_median"]  # 0: pagemap gave no PFNs
    out[c]["added_us_per_run"] = (t - t0) * 1e6 / runs if runs else None
    per_run = (f"{out[c]['added_us_per_run']:.2f} us per physical run ({runs:g})"
               if runs else "physical runs unknown")
    print(f"{c}: adds {out[c]['added_pct']:+.1f}% to map+unmap of 1 GiB "
          f"(medians; fastest pairs: {out[c]['added_pct_best']:+.1f}%), {per_run}")
# programs' time and the frontend's CPU (ticks of 10 ms) per map+unmap pair
for c in ("portable", "kprobes", "precise"):
    snap = {"before": {}, "after": {}}
    for l in lines:
        f = l.split("MLA-STATS ", 1)[-1].split() if "MLA-STATS " in l else []
        if len(f) == 6 and f[0] == c:
            snap[f[1]][(f[2], f[3])] = (int(f[4]), int(f[5]))
    pairs = len([r for r in stat_rows if r["config"] == c]) or 1
    progs = {}
    for k, (cnt, ns) in snap["after"].items():
        b = snap["before"].get(k, (0, 0))
        if cnt > b[0]:
            progs[f"{k[1]} (id {k[0]})"] = {"runs_per_pair": (cnt - b[0]) / pairs,
                           "ns_per_pair": (ns - b[1]) / pairs}
    total = sum(p["ns_per_pair"] for p in progs.values())
    wall = statistics.median([r["map_s"] + r["unmap_s"] for r in stat_rows
                              if r["config"] == c] or [0])
    cpu = [int(l.split()[-1]) for l in lines if l.startswith("MLA-CPU " + c + " ")]
    out[c]["programs"] = progs
    out[c]["prog_ns_per_pair"] = total
    out[c]["prog_share_pct"] = 100 * total / (wall * 1e9) if wall else None
    out[c]["frontend_cpu_ms_per_pair"] = cpu[0] * 10 / pairs if cpu else None
    print(f"{c}: programs {total / 1e6:.3f} ms per pair "
          f"({out[c]['prog_share_pct'] or 0:.2f}% of its {wall:.4f} s), "
          f"frontend CPU {out[c]['frontend_cpu_ms_per_pair']} ms per pair")
    for name, p in sorted(progs.items(), key=lambda kv: -kv[1]["ns_per_pair"]):
        print(f"  {name:<28} {p['runs_per_pair']:8.1f} runs {p['ns_per_pair'] / 1e3:10.1f} us")
json.dump(out, open(sys.argv[2], "w"), indent=1)
PY
# the guest log stays (.output/bench), and the sessions one by one
mkdir -p "$out/bench" && cp "$work/log" "$out/bench/vm-vfio-$name.log"
python3 "$top/bench/vfio-sessions.py" "$work/log" "$top/bench/results-vfio-$name.json"
