#!/bin/bash
# boot.sh LABEL INITRAMFS LOG [extra kernel args...]
#
# Boot kernel LABEL (from $MLA_VM_CACHE/LABEL) with INITRAMFS under QEMU
# (TCG, q35, intel-iommu with interrupt remapping, the edu PCI device) and
# write the serial console, CRs stripped, to LOG.
#
# Exit status: the guest's "MLA-GUEST-EXIT <rc>", or, when there is no such
# line, one of these (with a one-line message on stderr):
#   120  QEMU could not run
#   121  the guest kernel panicked
#   122  the guest never reached /init, or /init ended without a result
#   124  timed out after MLA_VM_TIMEOUT seconds
# A guest rc in 120..124 is told apart by the message "guest exit <rc>".
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: $MLA_PROG LABEL INITRAMFS LOG [kernel args...]" >&2; exit 2; }

# The guest gets a shorter limit for its payload so that it can still report
# MLA-GUEST-EXIT before the host kills QEMU; boot itself takes 10-30 s.
guest_timeout() {
	local t=$1
	if ((t > 120)); then echo $((t - 60)); else echo $((t * 3 / 4)); fi
}

qemu_command() {
	local entry=$1 append=$2
	# One host thread runs both vCPUs in turn: with a thread each, a vCPU
	# now and then ran the int3 of a live text patch (static keys, BPF
	# trampolines) after the patch was done and the kernel died of it
	# ("Oops: int3", tests/vm/README.md). MLA_VM_TCG_THREAD=multi: one each.
	# shellcheck disable=SC2054 # the commas are QEMU's own syntax
	QEMU=(qemu-system-x86_64 -M q35
		-accel "tcg,thread=${MLA_VM_TCG_THREAD:-single}"
		-m "${MLA_VM_MEM:-1024M}" -smp "${MLA_VM_SMP:-2}"
		-nographic -no-reboot
		# No network card: saves the iPXE option ROM at boot.
		-nic none
		-kernel "$entry/vmlinuz" -initrd "$INITRD" -append "$append"
		# The IOMMU must come before the PCI devices it translates for;
		# intremap=on, or VFIO_SET_IOMMU fails with EPERM.
		-device intel-iommu,intremap=on
		# two edu devices: two IOMMU groups, so two VFIO containers
		-device edu -device edu)
	if [[ -n ${MLA_VM_QEMU_CPU:-} ]]; then QEMU+=(-cpu "$MLA_VM_QEMU_CPU"); fi
	# e.g. "-icount shift=0" (bench/vm-vfio.sh): guest time counts instructions
	if [[ -n ${MLA_VM_QEMU_ARGS:-} ]]; then
		local extra
		read -ra extra <<<"$MLA_VM_QEMU_ARGS"
		QEMU+=("${extra[@]}")
	fi
}

# CRs and the firmware's terminal control sequences out of the log.
CLEAN='s/\r//g; s/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[c78]//g'

# Run QEMU under a hard timeout; the log gets every line as it comes so a
# hung guest still leaves its last words. Sets QEMU_RC.
run_qemu() {
	local t=$1
	set +e
	if [[ ${MLA_VM_VERBOSE:-0} == 1 ]]; then
		timeout -k 10 "$t" "${QEMU[@]}" </dev/null 2>&1 | sed -u "$CLEAN" | tee "$LOG"
	else
		timeout -k 10 "$t" "${QEMU[@]}" </dev/null 2>&1 | sed -u "$CLEAN" >"$LOG"
	fi
	QEMU_RC=${PIPESTATUS[0]}
	set -e
}

# Show the end of the log when the guest did not produce a result.
fail() {
	local rc=$1
	shift
	mla_log "$LABEL: $*; last lines of $LOG:"
	tail -n 15 "$LOG" | sed 's/^/    /' >&2
	exit "$rc"
}

judge() {
	local t=$1 elapsed=$2 rc
	rc=$(awk '/^MLA-GUEST-EXIT [0-9]+$/ { rc = $2 } END { print rc }' "$LOG")
	if [[ -n $rc ]]; then
		mla_log "$LABEL: guest exit $rc after ${elapsed}s"
		exit "$rc"
	fi
	if [[ $QEMU_RC -eq 124 || $QEMU_RC -eq 137 ]]; then
		fail 124 "timed out after ${t}s"
	elif grep -q 'Kernel panic' "$LOG"; then
		fail 121 "guest kernel panicked: $(grep -m1 'Kernel panic' "$LOG")"
	elif ! grep -q '^MLA-INIT start' "$LOG"; then
		if [[ $QEMU_RC -ne 0 ]] && [[ ! -s $LOG || $(grep -c . "$LOG") -lt 5 ]]; then
			fail 120 "QEMU failed (status $QEMU_RC)"
		fi
		fail 122 "guest never reached /init (QEMU status $QEMU_RC)"
	fi
	fail 122 "/init ended without MLA-GUEST-EXIT (QEMU status $QEMU_RC)"
}

main() {
	[[ $# -ge 3 ]] || usage
	LABEL=$1 INITRD=$2 LOG=$3
	shift 3
	mla_need qemu-system-x86_64 qemu-system-x86
	local entry=$MLA_VM_CACHE/$LABEL t append start
	[[ -s $entry/vmlinuz ]] || mla_die "$LABEL: no kernel in $entry: run fetch-kernel.sh first"
	[[ -s $INITRD ]] || mla_die "initramfs '$INITRD' does not exist"
	t=${MLA_VM_TIMEOUT:-900}
	[[ $t =~ ^[0-9]+$ && $t -gt 0 ]] || mla_die "MLA_VM_TIMEOUT must be a number of seconds"
	# quiet keeps the kernel's boot chatter (slow on an emulated UART) out
	# of the log; panics and oopses are still printed.
	append="console=ttyS0 intel_iommu=on panic=-1 quiet mla_label=$LABEL"
	append+=" mla_timeout=$(guest_timeout "$t")${*:+ $*}"
	mkdir -p "$(dirname "$LOG")"
	qemu_command "$entry" "$append"
	start=$(mla_now)
	run_qemu "$t"
	judge "$t" "$(mla_elapsed "$start")"
}

main "$@"
