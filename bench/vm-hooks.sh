#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark 1, 2 and 6 on Debian's kernels in the test VM (the harness of
# tests/vm), which have BPF trampolines: mlock+munlock of a page (1), an
# unrelated process's mmap/touch/munmap and brk churn (2), and getppid, a
# system call none of the hooks is about (6). Each under
#   none          no tracing
#   floor_tp      the floor: empty programs on the hooks of the tracepoint
#                 form (mmap_lock_released, exit_mmap, 13 syscall
#                 tracepoints), as kernels without trampolines run it
#   floor_fexit   the same with the 13 syscall exits by fexit on the
#                 syscalls' entry points, the form memlockacct uses here
#   floor_lock    only mmap_lock_released and exit_mmap: the floor's part
#                 that is not the syscall exits
#   report_tp     memlockacct report --portable (the tracepoint form)
#   report        memlockacct report (fexit syscall exits, precise tier)
#   trace_tp      memlockacct trace --portable
#   trace         memlockacct trace
#   bpftrace_tp   bench/memlockacct.bt (its syscall tracepoints)
#   bpftrace_fexit the same script with kretfunc on the entry points (but
#                 munlockall's, which bpftrace 0.17 calls not traceable)
# in rotation, REPS sessions each (SAMPLES samples of each workload per
# session). The guest runs with "-icount shift=0,sleep=off": its clock
# advances one nanosecond per instruction executed (by either vCPU), so the
# times are instruction counts, unmoved by the load of the shared host
# (bench/vm-vfio.sh measured why); the tracer's own work on the other vCPU
# is charged to the workload, an upper bound of what a busy host pays.
# Prints the table and writes bench/results-hooks-LABEL.json.
#   bench/vm-hooks.sh [LABEL [REPS]]   (after make bench-programs static)
# BENCH_HOOKS_CONFIGS="none report ...": those configurations only;
# BENCH_HOOKS_ONLY=getppid: workload 6 only, samples of 1,000,000 calls.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/vm/lib.sh
. "$top/tests/vm/lib.sh"
label=${1:-6.12}
# BENCH_HOOKS_TAG=T: results in results-hooks-LABEL-T.json (a partial run)
name=$label${BENCH_HOOKS_TAG:+-$BENCH_HOOKS_TAG}
reps=${2:-3}
samples=3
out=${OUTPUT:-$top/.output}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MLA_VM_QEMU_ARGS="${MLA_VM_QEMU_ARGS:-} -icount shift=0,sleep=off"

mkdir -p "$work/payload/bt/lib"
cp "$out/static/memlockacct" "$out/bench/static/floor" \
	"$out/bench/static/workload" "$work/payload/" || exit 1
# bpftrace with its libraries, run through their loader: the guest has no
# /lib of its own
bt=$(command -v bpftrace) || { echo "bpftrace not installed (make deps-test)"; exit 1; }
cp "$bt" "$work/payload/bt/"
ldd "$bt" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' |
	while read -r lib; do cp -L "$lib" "$work/payload/bt/lib/"; done
ld=$(basename "$(ldd "$bt" | awk '/ld-linux/ { print $1 }')")
cp "$top/bench/memlockacct.bt" "$work/payload/tp.bt"
# the fexit form: kretfunc on each syscall's entry point, the return value
# for args->ret; one probe each, as bpftrace 0.17 refuses attach points
# whose arguments are named differently (SYSCALL_DEFINE0's __unused)
python3 - "$top/bench/memlockacct.bt" >"$work/payload/fexit.bt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"((?:tracepoint:syscalls:sys_exit_\w+,?\s*)+)(\{.*?\n\})", text, re.S)
names = re.findall(r"sys_exit_(\w+)", m.group(1))
body = m.group(2).replace("args->ret", "retval")
# munlockall: bpftrace 0.17 calls it not traceable
blocks = "\n\n".join(f"kretfunc:__x64_sys_{n}\n{body}" for n in names
                     if n != "munlockall")
sys.stdout.write(text[:m.start()] + blocks + text[m.end():])
PY

# BENCH_HOOKS_ONLY=getppid: workload 6 alone, ten times as long a sample
workloads() {
	if [[ ${BENCH_HOOKS_ONLY:-} == getppid ]]; then
		# shellcheck disable=SC2016 # $W is the guest's
		echo '$W getppid 1000000'
	else
		# shellcheck disable=SC2016
		echo '$W mlock 20000; $W churn 5000; $W getppid 100000'
	fi
}
cat >"$work/payload/run.sh" <<GUEST
#!/bin/sh
T=/payload/memlockacct
W=/payload/workload
# start CONFIG: the tracer as that configuration runs it, in the background
start() {
	rm -f /tmp/ready /tmp/bt.out
	case \$1 in
	none) sleep 2; tracer=; return ;;
	floor_tp) /payload/floor /tmp/ready & ;;
	floor_fexit) /payload/floor /tmp/ready fexit & ;;
	floor_lock) /payload/floor /tmp/ready lock & ;;
	report_tp) \$T report --portable -o /dev/null --ready-file /tmp/ready & ;;
	report) \$T report -o /dev/null --ready-file /tmp/ready & ;;
	trace_tp) \$T trace --portable --ready-file /tmp/ready >/dev/null & ;;
	trace) \$T trace --ready-file /tmp/ready >/dev/null & ;;
	bpftrace_*) /payload/bt/lib/$ld --library-path /payload/bt/lib \\
		/payload/bt/bpftrace /payload/\${1#bpftrace_}.bt >/tmp/bt.out 2>&1 & ;;
	esac
	tracer=\$!
	i=0
	until [ -e /tmp/ready ] || grep -q '^ready' /tmp/bt.out 2>/dev/null; do
		sleep 0.1
		i=\$((i + 1))
		if ! kill -0 \$tracer 2>/dev/null || [ \$i -gt 6000 ]; then
			echo "MLA-BENCH-FAIL \$1"; cat /tmp/bt.out 2>/dev/null
			tracer=; return 1
		fi
	done
	# attaching leaves work behind (RCU grace periods, text patching)
	sleep 2
}
stop() {
	[ -n "\$tracer" ] || return 0
	kill -INT \$tracer; wait \$tracer
}
order="${BENCH_HOOKS_CONFIGS:-none floor_tp floor_fexit floor_lock report_tp report trace_tp trace bpftrace_tp bpftrace_fexit}"
\$T features | sed 's/^/MLA-FEATURES /'
for r in \$(seq $reps); do
	for c in \$order; do
		start \$c || continue
		for k in \$(seq $samples); do
			$(workloads)
		done | sed "s/^{/MLA-BENCH {\"config\":\"\$c\",\"rep\":\$r,/"
		stop
	done
	set -- \$order; first=\$1; shift; order="\$* \$first"
done
GUEST
chmod 755 "$work/payload/run.sh"
suite=$(mla_label_suite "$label") || exit 1
"$top/tests/vm/fetch-kernel.sh" "$label" "$suite" >/dev/null 2>&1 ||
	{ echo "cannot fetch kernel $label"; exit 1; }
"$top/tests/vm/mkinitramfs.sh" "$label" "$work/payload" "$work/initrd.gz" 2>/dev/null
MLA_VM_MEM=2048M MLA_VM_TIMEOUT=${MLA_VM_TIMEOUT:-5400} \
	"$top/tests/vm/boot.sh" "$label" "$work/initrd.gz" "$work/log" 2>/dev/null
rc=$?
# the guest log stays (.output/bench), finished or not
mkdir -p "$out/bench" && cp "$work/log" "$out/bench/vm-hooks-$name.log"
[[ $rc == 0 ]] ||
	{ echo "the guest did not finish (log: $out/bench/vm-hooks-$name.log): $(tail -5 "$work/log")"; exit 1; }
python3 "$top/bench/vm-hooks.py" "$work/log" "$top/bench/results-hooks-$name.json" "$label"
