#!/bin/sh
# shellcheck shell=dash
# The guest side of run-scenarios.sh, copied into the payload as run.sh.
#
# Runs every scenario under memlockacct and prints each file it produced as
# "MLA|<scenario>|<kind>|<line>" on the console, where the host picks them
# out from among the kernel's own messages. Kinds: rc, out (the scenario's
# step lines), err, json (the tool's summary), ev (its events).
T=/payload/memlockacct
TOOL_ARGS= # extra options for `run`
S=/payload

# Kernel messages (vfio's RLIMIT_MEMLOCK warnings among them) would land in
# the middle of our lines: keep them off the console.
echo 1 >/proc/sys/kernel/printk

dump() { # NAME KIND FILE
	[ -f "$3" ] && sed "s/^/MLA|$1|$2|/" "$3"
}

# wait_file PATH TENTHS: until PATH exists, at most TENTHS tenths of a second.
wait_file() {
	local i=0
	while [ ! -e "$1" ] && [ $i -lt "$2" ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# report_start NAME: `report --json` in the background, ready to trace
# (its pid in $tool); report_stop NAME: stop it, print its exit status.
report_start() {
	rm -f "/tmp/$1.tool"
	"$T" report --json -o "/tmp/$1.json" --ready-file "/tmp/$1.tool" \
		2>"/tmp/$1.err" &
	tool=$!
	wait_file "/tmp/$1.tool" 600
}
report_stop() {
	kill -INT "$tool"
	wait "$tool"
	echo "MLA|$1|rc|$?"
}

# run NAME COMMAND...: the command runs under `memlockacct run`, which
# also records it; the recording is read back as JSON (rjson, to compare)
# and as the text an operator reads (txt).
run() {
	local name=$1 rc
	shift
	"$T" run $TOOL_ARGS --json -o "/tmp/$name.json" --events "/tmp/$name.ev" \
		--record "/tmp/$name.mla" -- "$@" >"/tmp/$name.out" 2>"/tmp/$name.err"
	rc=$?
	echo "MLA|$name|rc|$rc"
	"$T" report -i "/tmp/$name.mla" --json -o "/tmp/$name.rjson" 2>>"/tmp/$name.err"
	"$T" report -i "/tmp/$name.mla" -o "/tmp/$name.txt" 2>>"/tmp/$name.err"
	rm -f "/tmp/$name.mla"
	for k in out err json ev rjson txt; do dump "$name" "$k" "/tmp/$name.$k"; done
}

# plain NAME COMMAND...: output of a command of the tool itself.
plain() {
	local name=$1 rc
	shift
	"$@" >"/tmp/$name.out" 2>"/tmp/$name.err"
	rc=$?
	echo "MLA|$name|rc|$rc"
	for k in out err; do dump "$name" "$k" "/tmp/$name.$k"; done
}

plain features "$T" features
plain verify "$T" features --verify

for sc in map_unmap mlocked double_map overlap_mlock overlap_vfio other_task \
	owner_change limits; do
	run "$sc" "$S/vfio" "$sc"
done
# Again with kprobes only, as kernels without trampolines or module BTF
# run (the runs above use fentry/fexit where they attach).
plain features_kprobes "$T" features --kprobes
TOOL_ARGS=--kprobes
for sc in mlocked limits owner_change; do
	run "kprobes_$sc" "$S/vfio" "$sc"
done
TOOL_ARGS=
for sc in shm io_uring io_uring_mlocked perf refusals; do
	run "$sc" "$S/buckets" "$sc"
done
run workload "$S/workload"

# hold NAME SCENARIO: the tool started after a process already holds its
# VFIO mappings and mlocked memory; its first report must be right.
hold() {
	local name=$1 holder t0 t1
	rm -f "/tmp/$name.ready"
	"$S/vfio" "$2" "/tmp/$name.ready" >"/tmp/$name.out" 2>"/tmp/$name.err" &
	holder=$!
	wait_file "/tmp/$name.ready" 1800
	t0=$(cut -d' ' -f1 /proc/uptime)
	"$T" report --json -d 1 -p "$holder" -o "/tmp/$name.json" >/dev/null \
		2>>"/tmp/$name.err"
	echo "MLA|$name|rc|$?"
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "MLA|$name|seconds|$t0 $t1"
	kill "$holder"
	wait "$holder"
	for k in out err json; do dump "$name" "$k" "/tmp/$name.$k"; done
}

hold hold hold
hold hold_many hold_many

# hold_live: the same state made while `report` runs, which sums each VFIO
# map's charges into one event (aggregate mode): its report must be right.
hold_live() {
	local holder
	rm -f /tmp/hold_live.ready
	report_start hold_live
	"$S/vfio" hold /tmp/hold_live.ready >/tmp/hold_live.out \
		2>>/tmp/hold_live.err &
	holder=$!
	wait_file /tmp/hold_live.ready 1800
	report_stop hold_live
	kill "$holder"
	wait "$holder"
	for k in out err json; do dump hold_live "$k" "/tmp/hold_live.$k"; done
}
hold_live

# report_limits: the limits scenario under `report`, which sums a VFIO map's
# charges into one event: its refusals must be told as under `run`; and
# refused_maps, maps over which report snapshots its maps.
report_limits() {
	report_start report_limits
	"$S/vfio" limits >/tmp/report_limits.out 2>>/tmp/report_limits.err
	"$S/vfio" refused_maps >>/tmp/report_limits.out \
		2>>/tmp/report_limits.err
	report_stop report_limits
	for k in out err json; do
		dump report_limits "$k" "/tmp/report_limits.$k"
	done
}
report_limits

# qemu_like: a process with QEMU's name and command line is VM vm1.
qemu_like() {
	local holder
	ln -sf "$S/vfio" /tmp/qemu-system-x86_64
	/tmp/qemu-system-x86_64 hold_vm /tmp/qemu.ready -name \
		guest=vm1,debug-threads=on -m 512 -device \
		"vfio-pci,host=$MLA_EDU_BDF" >/tmp/qemu_like.out 2>/tmp/qemu_like.err &
	holder=$!
	wait_file /tmp/qemu.ready 600
	"$T" report --vm --json -d 1 -p "$holder" -o /tmp/qemu_like.json \
		--prometheus /tmp/qemu_like.prom 2>>/tmp/qemu_like.err
	echo "MLA|qemu_like|rc|$?"
	"$T" report --vm -d 1 -p "$holder" -o /tmp/qemu_like.txt \
		2>>/tmp/qemu_like.err
	kill "$holder"
	wait "$holder"
	for k in out err json txt prom; do
		dump qemu_like "$k" "/tmp/qemu_like.$k"
	done
}
qemu_like

# late: vfio_iommu_type1 loaded after the tool started; its probes must
# attach without a restart.
late() {
	local tracer m
	rmmod vfio_pci vfio_pci_core vfio_iommu_type1 2>/tmp/late.err
	"$T" trace --json --ready-file /tmp/late.ready >/tmp/late.ev \
		2>>/tmp/late.err &
	tracer=$!
	wait_file /tmp/late.ready 600
	for m in $(grep -E 'vfio_iommu_type1|vfio.pci' /lib/modules/modules.order); do
		insmod "/lib/modules/$m" 2>>/tmp/late.err
	done
	echo "1234 11e8" >/sys/bus/pci/drivers/vfio-pci/new_id 2>>/tmp/late.err
	sleep 3 # the tool looks for new modules every second
	"$S/vfio" map_unmap >/tmp/late.out 2>>/tmp/late.err
	sleep 1
	kill -INT "$tracer"
	wait "$tracer"
	echo "MLA|late|rc|$?"
	for k in out err ev; do dump late "$k" "/tmp/late.$k"; done
}
late
exit 0
