#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The VM stage of the tests: for each kernel of kernels.list (or those in
# MLA_VM_KERNELS), fetch Debian's kernel, build an initramfs whose payload
# is the static memlockacct, the scenario programs, guest-run.sh and the
# manifest it reads (tests/scenarios.list), boot it under QEMU and check
# the console log (check_vm.py). Prints one line
# per test ("ok vm LABEL ...", "FAIL vm LABEL ...") and, per kernel, a
# "# vm LABEL: N passed, N failed in S s" line.
#
# A kernel that cannot be fetched or booted is a failure, not a skip.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TOP=$(cd "$MLA_VM_DIR/../.." && pwd)
OUT=${OUTPUT:-$TOP/.output}
SCENARIOS=$TOP/tests/scenarios.list
LOGDIR=${MLA_VM_LOGDIR:-${TMPDIR:-/tmp}/memlockacct-vm-logs}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The scenario programs the vm scenarios of the manifest run: the first
# word of each command (a tool scenario's command is memlockacct's own).
vm_programs() {
	# the qemu kinds run Debian's QEMU, copied below
	awk '!/^[ \t]*(#|$)/ && $3 != "tool" && $3 !~ /^qemu(_refused)?$/ && $6 != "-" &&
		("," $2 ",") ~ /,vm(\/[^,]*)?,/ { print $6 }' "$SCENARIOS" | sort -u
}

build_payload() {
	local dir=$WORK/payload f
	mkdir -p "$dir"
	for f in "$OUT/static/memlockacct" $(vm_programs | sed "s|^|$OUT/tests/|"); do
		[[ -x $f ]] || { echo "FAIL vm payload: $f is not built (make test-programs static)"; return 1; }
		cp "$f" "$dir/"
	done
	# verbs makes its soft-RoCE device with iproute2's rdma (its
	# libraries come with it: mkinitramfs.sh)
	cp "$(command -v rdma)" "$dir/rdma" ||
		{ echo "FAIL vm payload: no rdma (apt-get install iproute2)"; return 1; }
	# qemu_refused runs QEMU without CAP_IPC_LOCK with util-linux's setpriv
	cp "$(command -v setpriv)" "$dir/setpriv" ||
		{ echo "FAIL vm payload: no setpriv (apt-get install util-linux)"; return 1; }
	# the qemu scenario: Debian's QEMU and the firmware a q35 machine
	# stopped before its guest runs reads (its libraries: mkinitramfs.sh)
	mkdir -p "$dir/qemu-fw" "$dir/qemu-mod"
	cp /usr/bin/qemu-system-x86_64 "$dir/" &&
		cp /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin "$dir/qemu-fw/" &&
		cp /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so "$dir/qemu-mod/" ||
		{ echo "FAIL vm payload: no QEMU (apt-get install qemu-system-x86)"; return 1; }
	cp "$MLA_VM_DIR/guest-run.sh" "$dir/run.sh"
	chmod 755 "$dir/run.sh"
	cp "$SCENARIOS" "$TOP/tests/lib/wait.sh" "$dir/"
}

# The reason a step failed: its last stderr line.
reason() { grep -v '^ ' "$1" | tail -n 1 | sed 's/^[^:]*: //'; }

test_kernel() {
	local label=$1 suite start log initrd err=$WORK/$1.err rc
	start=$(mla_now)
	log=$LOGDIR/$label.log
	initrd=$WORK/$label.cpio.gz
	if ! suite=$(mla_label_suite "$label"); then
		echo "FAIL vm $label: not in kernels.list"
		return
	fi
	if ! "$MLA_VM_DIR/fetch-kernel.sh" "$label" "$suite" 2>"$err"; then
		echo "FAIL vm $label: cannot fetch the kernel: $(reason "$err")"
		return
	fi
	if ! "$MLA_VM_DIR/mkinitramfs.sh" "$label" "$WORK/payload" "$initrd" 2>"$err"; then
		echo "FAIL vm $label: cannot build the initramfs: $(reason "$err")"
		return
	fi
	"$MLA_VM_DIR/boot.sh" "$label" "$initrd" "$log" \
		${MLA_VM_ONLY:+mla_only=$MLA_VM_ONLY} 2>"$err"
	rc=$?
	# Under TCG a vCPU now and then executes the int3 that live kernel
	# text patching (static keys: every tracepoint we attach or detach)
	# leaves for a moment, after the patch is done: "Oops: int3" at a
	# patched site, in any task, seen on 7.2 with and without the tool
	# (tests/vm/README.md). One more boot, said so; a second one fails.
	if [[ $rc -eq 121 ]] && grep -q 'Oops: int3' "$log"; then
		echo "# vm $label: the guest hit TCG's text-patching fault" \
			"($(grep -m1 -o 'RIP: [^ ]*' "$log" | tail -n 1)); booting it again" \
			"(first log: $log.int3)"
		mv "$log" "$log.int3"
		"$MLA_VM_DIR/boot.sh" "$label" "$initrd" "$log" \
			${MLA_VM_ONLY:+mla_only=$MLA_VM_ONLY} 2>"$err"
		rc=$?
	fi
	if [[ $rc -ne 0 ]]; then
		echo "FAIL vm $label: the guest did not finish (boot.sh status $rc): $(reason "$err"); log in $log"
		return
	fi
	python3 "$MLA_VM_DIR/check_vm.py" --label "$label" --log "$log" \
		--seconds "$(mla_elapsed "$start")"
}

main() {
	local label
	mkdir -p "$LOGDIR"
	build_payload || return 1
	for label in $(mla_labels); do
		test_kernel "$label"
	done
}

main "$@"
