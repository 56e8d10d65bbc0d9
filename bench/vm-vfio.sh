#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark 4: VFIO_IOMMU_MAP_DMA/UNMAP_DMA of 1 GiB in a test VM (the
# harness of tests/vm), untraced, under memlockacct --portable, and under
# memlockacct with the precise tier; REPS sessions of each, in rotation,
# each timing 4 map+unmap pairs after an untimed one (under TCG, the first
# run of freshly JIT-compiled BPF code pays for its translation: 2-10 ms,
# an artefact of emulation). Prints the table and writes
# bench/results-vfio.json.
#   bench/vm-vfio.sh [LABEL [REPS]]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/vm/lib.sh
. "$top/tests/vm/lib.sh"
label=${1:-6.12}
reps=${2:-5}
out=${OUTPUT:-$top/.output}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/payload"
cp "$out/static/memlockacct" "$out/tests/vfio" "$work/payload/"
cat >"$work/payload/run.sh" <<GUEST
#!/bin/sh
T=/payload/memlockacct
for r in \$(seq $reps); do
	for c in none portable precise; do
		rm -f /tmp/ready
		case \$c in
		portable) \$T report --portable -o /dev/null --ready-file /tmp/ready & ;;
		precise) \$T report -o /dev/null --ready-file /tmp/ready & ;;
		esac
		tracer=\$!
		[ \$c = none ] || while [ ! -e /tmp/ready ]; do sleep 0.1; done
		/payload/vfio bench_map 5 | tail -n +2 |
			sed "s/^{/MLA-BENCH {\"config\":\"\$c\",/"
		[ \$c = none ] || { kill -INT \$tracer; wait \$tracer; }
	done
done
GUEST
chmod 755 "$work/payload/run.sh"
suite=$(mla_label_suite "$label") || exit 1
"$top/tests/vm/fetch-kernel.sh" "$label" "$suite" >/dev/null 2>&1 ||
	{ echo "cannot fetch kernel $label"; exit 1; }
"$top/tests/vm/mkinitramfs.sh" "$label" "$work/payload" "$work/initrd.gz" 2>/dev/null
MLA_VM_MEM=2560M "$top/tests/vm/boot.sh" "$label" "$work/initrd.gz" "$work/log" 2>/dev/null ||
	{ echo "the guest did not finish: $(tail -5 "$work/log")"; exit 1; }
python3 - "$work/log" "$top/bench/results-vfio.json" "$label" <<'PY'
import json, statistics, sys
rows = [json.loads(l.split("MLA-BENCH ", 1)[1]) for l in open(sys.argv[1]) if "MLA-BENCH {" in l]
out = {"kernel": sys.argv[3]}
print(f"{'config':<9} {'map s (median, min-max)':>26} {'unmap s (median, min-max)':>28}")
for c in ("none", "portable", "precise"):
    m = [r["map_s"] for r in rows if r["config"] == c]
    u = [r["unmap_s"] for r in rows if r["config"] == c]
    out[c] = {"map_median": statistics.median(m), "map_min": min(m), "map_max": max(m),
              "unmap_median": statistics.median(u), "unmap_min": min(u), "unmap_max": max(u), "reps": len(m)}
    print(f"{c:<9} {statistics.median(m):10.4f} ({min(m):.4f}-{max(m):.4f}) {statistics.median(u):10.4f} ({min(u):.4f}-{max(u):.4f})")
for c in ("portable", "precise"):
    t = out[c]["map_median"] + out[c]["unmap_median"]
    t0 = out["none"]["map_median"] + out["none"]["unmap_median"]
    out[c]["added_pct"] = 100 * (t - t0) / t0
    print(f"{c}: adds {out[c]['added_pct']:+.1f}% to map+unmap of 1 GiB")
json.dump(out, open(sys.argv[2], "w"), indent=1)
PY
