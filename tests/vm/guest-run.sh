#!/bin/sh
# shellcheck shell=dash source-path=SCRIPTDIR
# The kinds' functions are called through a variable:
# shellcheck disable=SC2317
# The guest side of run-scenarios.sh, copied into the payload as run.sh.
#
# Runs every vm scenario of scenarios.list (tests/scenarios.list) under
# memlockacct and prints each file it produced as
# "MLA|<scenario>|<kind>|<line>" on the console, where the host picks them
# out from among the kernel's own messages. Kinds: rc, out (the scenario's
# step lines), err, json (the tool's summary), ev (its events).
T=/payload/memlockacct
S=/payload
# shellcheck source=../lib/wait.sh
. "$S/wait.sh"

# Kernel messages (vfio's RLIMIT_MEMLOCK warnings among them) would land in
# the middle of our lines: keep them off the console.
echo 1 >/proc/sys/kernel/printk

dump() { # NAME KIND FILE
	[ -f "$3" ] && sed "s/^/MLA|$1|$2|/" "$3"
}

# report_start NAME: `report --json` in the background, ready to trace
# (its pid in $reporter); report_stop NAME: stop it, print its exit status.
report_start() {
	rm -f "/tmp/$1.tool"
	# shellcheck disable=SC2086 # the scenario's options, one word each
	env $mla_env "$T" report $mla_opts --json -o "/tmp/$1.json" --ready-file "/tmp/$1.tool" \
		2>"/tmp/$1.err" &
	reporter=$!
	mla_wait_file "/tmp/$1.tool" 600
}
report_stop() {
	kill -INT "$reporter"
	wait "$reporter"
	echo "MLA|$1|rc|$?"
}

# One function per kind of scenarios.list, called by the loop at the end.

# tool NAME ARGS...: output of a command of the tool itself.
tool() {
	local name=$1 rc
	shift
	"$T" "$@" >"/tmp/$name.out" 2>"/tmp/$name.err"
	rc=$?
	echo "MLA|$name|rc|$rc"
	for k in out err; do dump "$name" "$k" "/tmp/$name.$k"; done
}

# run NAME OPTIONS COMMAND...: the command runs under `memlockacct run
# OPTIONS`, which also records it; the recording is read back as JSON
# (rjson, to compare) and as the text an operator reads (txt).
run() {
	local name=$1 opts=$2 rc
	shift 2
	# shellcheck disable=SC2086 # options, one word each
	env $mla_env "$T" run $opts --json -o "/tmp/$name.json" --events "/tmp/$name.ev" \
		--record "/tmp/$name.mla" -- "$@" >"/tmp/$name.out" 2>"/tmp/$name.err"
	rc=$?
	echo "MLA|$name|rc|$rc"
	"$T" report -i "/tmp/$name.mla" --json -o "/tmp/$name.rjson" 2>>"/tmp/$name.err"
	"$T" report -i "/tmp/$name.mla" -o "/tmp/$name.txt" 2>>"/tmp/$name.err"
	rm -f "/tmp/$name.mla"
	for k in out err json ev rjson txt; do dump "$name" "$k" "/tmp/$name.$k"; done
}

# hold NAME PROGRAM SCENARIO: the tool started after a process already
# holds its VFIO mappings and mlocked memory; its first report must be right.
hold() {
	local name=$1 holder t0 t1
	rm -f "/tmp/$name.ready"
	"$2" "$3" "/tmp/$name.ready" >"/tmp/$name.out" 2>"/tmp/$name.err" &
	holder=$!
	mla_wait_file "/tmp/$name.ready" 1800
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

# hold_change NAME PROGRAM SCENARIO: hold's state, then `report` started,
# then the holder changes it (after .go, saying so in .done) while report
# runs: what the start-up walk found must leave the report as it goes.
hold_change() {
	local name=$1 holder
	rm -f "/tmp/$name.ready" "/tmp/$name.go" "/tmp/$name.done"
	"$2" "$3" "/tmp/$name.ready" "/tmp/$name.go" "/tmp/$name.done" \
		>"/tmp/$name.out" 2>"/tmp/$name.herr" &
	holder=$!
	mla_wait_file "/tmp/$name.ready" 1800
	report_start "$name"
	: >"/tmp/$name.go"
	mla_wait_file "/tmp/$name.done" 600
	report_stop "$name"
	kill "$holder"
	wait "$holder"
	cat "/tmp/$name.herr" >>"/tmp/$name.err"
	for k in out err json; do dump "$name" "$k" "/tmp/$name.$k"; done
}

# hold_live NAME PROGRAM SCENARIO: the same state made while `report`
# runs, which sums each VFIO map's charges into one event (aggregate
# mode): its report must be right.
hold_live() {
	local name=$1 holder
	rm -f "/tmp/$name.ready"
	report_start "$name"
	"$2" "$3" "/tmp/$name.ready" >"/tmp/$name.out" 2>>"/tmp/$name.err" &
	holder=$!
	mla_wait_file "/tmp/$name.ready" 1800
	report_stop "$name"
	kill "$holder"
	wait "$holder"
	for k in out err json; do dump "$name" "$k" "/tmp/$name.$k"; done
}

# report_limits NAME PROGRAM SCENARIO...: the limits scenario under
# `report`, which sums a VFIO map's charges into one event: its refusals
# must be told as under `run`; and refused_maps, maps over which report
# snapshots its maps.
report_limits() {
	local name=$1 prog=$2 sc
	shift 2
	report_start "$name"
	: >"/tmp/$name.out"
	for sc in "$@"; do
		"$prog" "$sc" >>"/tmp/$name.out" 2>>"/tmp/$name.err"
	done
	report_stop "$name"
	for k in out err json; do dump "$name" "$k" "/tmp/$name.$k"; done
}

# VM vm1, named as libvirt names a domain (check_qemu.py's VM1_UUID)
VM1_UUID=7a3f0c52-9d1e-4b8a-a2c4-5e6f70819203

# qemu_like NAME PROGRAM SCENARIO: a process with QEMU's name and command
# line is VM vm1.
qemu_like() {
	local name=$1 holder
	ln -sf "$2" /tmp/qemu-system-x86_64
	/tmp/qemu-system-x86_64 "$3" "/tmp/$name.ready" -name \
		guest=vm1,debug-threads=on -uuid "$VM1_UUID" \
		-m 512 -device \
		"vfio-pci,host=$MLA_EDU_BDF" >"/tmp/$name.out" 2>"/tmp/$name.err" &
	holder=$!
	mla_wait_file "/tmp/$name.ready" 600
	"$T" report --vm --json -d 1 -p "$holder" -o "/tmp/$name.json" \
		--prometheus "/tmp/$name.prom" 2>>"/tmp/$name.err"
	echo "MLA|$name|rc|$?"
	"$T" report --vm -d 1 -p "$holder" -o "/tmp/$name.txt" \
		2>>"/tmp/$name.err"
	kill "$holder"
	wait "$holder"
	for k in out err json txt prom; do dump "$name" "$k" "/tmp/$name.$k"; done
}

# qemu_start OUT LIMIT QEMU ARGS...: Debian's own QEMU (binary, libraries
# and firmware in the payload) in the background ($pid), 256 MiB and an
# edu device, stopped before its guest runs (-S): its RAM is DMA-mapped at
# machine init. LIMIT: - for root's capabilities, or an RLIMIT_MEMLOCK in
# KiB without CAP_IPC_LOCK (setpriv takes it out of the bounding set).
qemu_start() {
	local out=$1 limit=$2 qemu=$3
	shift 3
	# TCG is a module of Debian's QEMU
	set -- env QEMU_MODULE_DIR="$S/qemu-mod" "$qemu" "$@" \
		-L "$S/qemu-fw" -S -nodefaults -display none -monitor none \
		-serial none -M q35 -accel tcg -m 256 \
		-name guest=vm1,debug-threads=on \
		-uuid "$VM1_UUID" -device "vfio-pci,host=$MLA_EDU_BDF"
	[ "$limit" = - ] || set -- "$S/setpriv" --bounding-set=-ipc_lock \
		--inh-caps=-ipc_lock -- "$@"
	# shellcheck disable=SC2016 # the inner sh's
	sh -c '[ "$0" = - ] || ulimit -l "$0" && exec "$@"' "$limit" "$@" \
		>"$out" 2>&1 &
	pid=$!
}

# qemu_settle: wait until QEMU ($pid) has mapped its RAM (VmLck not 0,
# and the same for three seconds: $lck, after $i seconds) or has exited
# ($lck empty).
qemu_settle() {
	local prev same=0
	lck=0
	i=0
	while [ $i -lt 300 ] && [ $same -lt 3 ]; do
		sleep 1
		prev=$lck
		lck=$(awk '/^VmLck:/ { print $2 }' "/proc/$pid/status")
		[ -n "$lck" ] || break
		if [ "$lck" = "$prev" ] && [ "$lck" != 0 ]; then
			same=$((same + 1))
		else
			same=0
		fi
		i=$((i + 1))
	done
}

# qemu NAME QEMU ARGS...: `report --vm` runs from before QEMU starts until
# its VmLck stops growing, and once more (-d 1) after that.
qemu() {
	local name=$1 pid lck i reporter
	shift
	rm -f "/tmp/$name.tool"
	"$T" report --vm --json -o "/tmp/$name.json" \
		--ready-file "/tmp/$name.tool" 2>"/tmp/$name.err" &
	reporter=$!
	mla_wait_file "/tmp/$name.tool" 600
	qemu_start "/tmp/$name.qemu" - "$@"
	qemu_settle
	echo "{\"step\":\"holding\",\"pid\":$pid,\"vmlck_after\":${lck:-0},\"seconds\":$i}" \
		>"/tmp/$name.out"
	kill -INT "$reporter"
	wait "$reporter"
	echo "MLA|$name|rc|$?"
	"$T" report --vm --json -d 1 -p "$pid" -o "/tmp/$name.after" \
		2>>"/tmp/$name.err"
	echo "MLA|$name|rc_after|$?"
	"$T" report --vm -d 1 -p "$pid" -o "/tmp/$name.txt" 2>>"/tmp/$name.err"
	# the kernel's VMAs, a line each: range, flags (lo: VM_LOCKED)
	awk '/^[0-9a-f]+-[0-9a-f]+ / { r = $1 } /^VmFlags:/ { print r, $0 }' \
		"/proc/$pid/smaps" >"/tmp/$name.vmas"
	kill "$pid"
	wait "$pid"
	for k in out err json after txt qemu vmas; do dump "$name" "$k" "/tmp/$name.$k"; done
}

# qemu_refused NAME QEMU: QEMU under a 64 MiB RLIMIT_MEMLOCK without
# CAP_IPC_LOCK is refused (VFIO_IOMMU_MAP_DMA: ENOMEM) and exits; it is
# started again with the limit `trace --failures` suggested (the largest of
# its refusals'), as an operator would, until it starts (6 tries at most).
# One step line per try; the kernel's own RLIMIT_MEMLOCK warnings (dmesg),
# and what `trace --failures` printed, as JSON (ev) and as text (txt).
qemu_refused() {
	local name=$1 qemu=$2 limit=65536 try=1 pid lck i rc next tracer texter
	rm -f "/tmp/$name.tool" "/tmp/$name.tool2"
	dmesg -c >/dev/null
	"$T" trace --failures --json --ready-file "/tmp/$name.tool" \
		>"/tmp/$name.ev" 2>"/tmp/$name.err" &
	tracer=$!
	"$T" trace --failures --ready-file "/tmp/$name.tool2" \
		>"/tmp/$name.txt" 2>>"/tmp/$name.err" &
	texter=$!
	mla_wait_file "/tmp/$name.tool" 600
	mla_wait_file "/tmp/$name.tool2" 600
	: >"/tmp/$name.out"
	while [ $try -le 6 ]; do
		qemu_start "/tmp/$name.qemu$try" "$limit" "$qemu"
		qemu_settle
		if [ -n "$lck" ]; then
			echo "{\"step\":\"try_$try\",\"pid\":$pid,\"limit_kib\":$limit,\"started\":true,\"vmlck_after\":$lck}" \
				>>"/tmp/$name.out"
			kill "$pid"
			wait "$pid"
			break
		fi
		wait "$pid"
		rc=$?
		sleep 1 # for the tracer's line
		next=$(grep "\"pid\":$pid," "/tmp/$name.ev" |
			sed -n 's/.*"suggested_limit_kib":\([0-9]*\).*/\1/p' |
			sort -n | tail -n 1)
		echo "{\"step\":\"try_$try\",\"pid\":$pid,\"limit_kib\":$limit,\"started\":false,\"rc\":$rc,\"suggested_kib\":${next:-0}}" \
			>>"/tmp/$name.out"
		[ -n "$next" ] && [ "$next" -gt "$limit" ] || break
		limit=$next
		try=$((try + 1))
	done
	kill -INT "$tracer" "$texter"
	wait "$tracer"
	echo "MLA|$name|rc|$?"
	wait "$texter"
	echo "MLA|$name|rc_text|$?"
	dmesg | grep 'RLIMIT_MEMLOCK (' >"/tmp/$name.dmesg"
	i=1 # the manifest's loop runs with globbing off
	while [ $i -le $try ]; do
		cat "/tmp/$name.qemu$i"
		i=$((i + 1))
	done >"/tmp/$name.qemu"
	for k in out err ev txt dmesg qemu; do dump "$name" "$k" "/tmp/$name.$k"; done
}

# cgroupns NAME CGNS HOLDER: a holder in a cgroup shaped like a Kubernetes
# pod's, and the tool in a cgroup namespace of its own (a pod's, where
# /proc shows other pods as /../kubepods.slice/...): it must enter PID
# 1's and report the host's path.
cgroupns() {
	local name=$1 cg=/sys/fs/cgroup holder pod i
	pod=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5d1c2e0a_7b1f_4c55_9a3e_0f6b8e2d4c11.slice
	pod=$pod/cri-containerd-3f9e3f9e3f9e3f9e3f9e3f9e3f9e3f9e3f9e3f9e3f9e3f9e3f9e3f9e3f9e3f9e.scope
	grep -q " $cg cgroup2 " /proc/mounts || mount -t cgroup2 none $cg
	mkdir -p "$cg/$pod" "$cg/mla-tool.scope"
	# shellcheck disable=SC2016 # $$: the inner sh's
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --hold' sh \
		"$cg/$pod" "$S/$3" >"/tmp/$name.out" 2>"/tmp/$name.err" &
	holder=$!
	i=0
	while ! grep -q holding "/tmp/$name.out" && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# shellcheck disable=SC2016
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh \
		"$cg/mla-tool.scope" "$2" "$T" report --json -d 1 -p "$holder" \
		-o "/tmp/$name.json" 2>>"/tmp/$name.err"
	echo "MLA|$name|rc|$?"
	echo "MLA|$name|path|/$pod"
	echo "MLA|$name|pid|$holder"
	echo "MLA|$name|vmlck|$(awk '/^VmLck:/ { print $2 }' "/proc/$holder/status")"
	kill "$holder"
	wait "$holder"
	for k in out err json; do dump "$name" "$k" "/tmp/$name.$k"; done
}

# late NAME PROGRAM SCENARIO: vfio_iommu_type1 loaded after the tool
# started; its probes must attach without a restart.
late() {
	local name=$1 tracer m
	rmmod vfio_pci vfio_pci_core vfio_iommu_type1 2>"/tmp/$name.err"
	"$T" trace --json --ready-file "/tmp/$name.ready" >"/tmp/$name.ev" \
		2>>"/tmp/$name.err" &
	tracer=$!
	mla_wait_file "/tmp/$name.ready" 600
	for m in $(grep -E 'vfio_iommu_type1|vfio.pci' /lib/modules/modules.order); do
		insmod "/lib/modules/$m" 2>>"/tmp/$name.err"
	done
	echo "1234 11e8" >/sys/bus/pci/drivers/vfio-pci/new_id 2>>"/tmp/$name.err"
	sleep 3 # the tool looks for new modules every second
	"$2" "$3" >"/tmp/$name.out" 2>>"/tmp/$name.err"
	sleep 1
	kill -INT "$tracer"
	wait "$tracer"
	echo "MLA|$name|rc|$?"
	for k in out err ev; do dump "$name" "$k" "/tmp/$name.$k"; done
}

# users NAME PROGRAM SCENARIO: two processes of nobody hold io_uring
# buffers of 64 and 128 KiB, registered while `report --users` runs (JSON
# and text); PROGRAM's uring_probe, before them and while they hold, says
# what the kernel's bucket holds.
users() {
	local name=$1 rj rt a b k d=/tmp/$1.d
	mkdir -p "$d"
	# the holders, as nobody, say they are ready there (the initramfs'
	# / and /tmp may be its staging directory's 0700)
	chmod a+x / /tmp
	chmod 777 "$d"
	"$2" uring_probe >"/tmp/$name.probe" 2>"/tmp/$name.err"
	for k in json txt; do
		rm -f "/tmp/$name.$k.ready"
		# shellcheck disable=SC2046 # --json for the json one only
		"$T" report --users $([ $k = json ] && echo --json) \
			-o "/tmp/$name.$k" --ready-file "/tmp/$name.$k.ready" \
			2>>"/tmp/$name.err" &
		[ $k = json ] && rj=$! || rt=$!
	done
	mla_wait_file "/tmp/$name.json.ready" 600
	mla_wait_file "/tmp/$name.txt.ready" 600
	"$2" "$3" 64 "$d/r64" >"/tmp/$name.out" 2>>"/tmp/$name.err" &
	a=$!
	mla_wait_file "$d/r64" 300
	"$2" "$3" 128 "$d/r128" >>"/tmp/$name.out" 2>>"/tmp/$name.err" &
	b=$!
	mla_wait_file "$d/r128" 300
	kill -INT "$rj" "$rt"
	wait "$rj"
	echo "MLA|$name|rc|$?"
	wait "$rt"
	echo "MLA|$name|rc_text|$?"
	"$2" uring_probe >>"/tmp/$name.probe" 2>>"/tmp/$name.err"
	echo "MLA|$name|holders|$a $b"
	kill "$a" "$b"
	wait "$a" "$b"
	for k in out err json txt probe; do dump "$name" "$k" "/tmp/$name.$k"; done
}

# Whether a scenario's where field names this guest's kernel.
here() {
	case ",$1," in
	*,vm,* | *",vm/${mla_label:-},"*) return 0 ;;
	esac
	return 1
}

# The manifest's commands are split into words, never globbed; the loop
# reads it on fd 3, which the scenarios do not get. Its checks field is
# the host's.
set -f
# shellcheck disable=SC2086
while read -r name where kind _ opts prog args <&3; do
	case $name in '' | '#'*) continue ;; esac
	here "$where" || continue
	# MLA_VM_ONLY on the host (run-scenarios.sh): these scenarios only
	case ",${mla_only:-$name}," in *",$name,"*) ;; *) continue ;; esac
	[ "$opts" = - ] && opts= || opts=$(echo "$opts" | tr , ' ')
	# MLA_X=Y among the options: the tool's environment (run and
	# report_start take both)
	mla_env='' mla_opts=''
	for o in $opts; do
		case $o in
		MLA_*=*) mla_env="$mla_env $o" ;;
		*) mla_opts="$mla_opts $o" ;;
		esac
	done
	opts=$mla_opts
	case $kind in
	tool) tool "$name" "$prog" $args ;;
	run) run "$name" "$opts" "$S/$prog" $args ;;
	hold | hold_change | hold_live | report_limits | qemu_like | late | cgroupns | \
		qemu | qemu_refused | users)
		"$kind" "$name" "$S/$prog" $args ;;
	*) echo "guest-run.sh: $name: unknown kind '$kind'" >&2 ;;
	esac 3<&-
done 3<"$S/scenarios.list"
exit 0
