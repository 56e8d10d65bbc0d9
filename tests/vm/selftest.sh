#!/bin/bash
# selftest.sh — end-to-end check of the VM harness.
#
# For every kernel of kernels.list (or those named in MLA_VM_KERNELS):
# fetch it, build an initramfs whose payload is selftest_payload.c (VFIO
# type1 map/unmap of 4 MiB, VmLck before/after), boot it and check the
# result. Prints "ok LABEL RELEASE SECONDSs" or "FAIL LABEL REASON" per
# kernel and "N passed, N failed" at the end; exits non-zero on any failure.
# Guest logs are kept in $MLA_VM_LOGDIR (default /tmp/memlockacct-vm-logs).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LOGDIR=${MLA_VM_LOGDIR:-${TMPDIR:-/tmp}/memlockacct-vm-logs}

# The payload: a static test program and the run.sh /init starts.
build_payload() {
	local dir=$1
	mla_need gcc gcc
	mkdir -p "$dir"
	gcc -static -O2 -Wall -Wextra -o "$dir/selftest_payload" "$MLA_VM_DIR/selftest_payload.c" ||
		mla_die "cannot build selftest_payload.c (static glibc comes with libc6-dev)"
	cat >"$dir/run.sh" <<-'EOF'
		#!/bin/sh
		# Guest side of selftest.sh: $MLA_VFIO_GROUP is set by /init.
		exec /payload/selftest_payload
	EOF
	chmod 755 "$dir/run.sh"
}

# The last error line a step printed, as the FAIL reason.
reason() { grep -v '^ ' "$1" | tail -n 1 | sed 's/^[^:]*: //'; }

# Run one step with its stderr kept in ERR (for the FAIL reason) and then
# passed on; time it.
step() {
	local name=$1 t rc=0
	shift
	t=$(mla_now)
	"$@" 2>"$ERR" || rc=$?
	cat "$ERR" >&2
	mla_log "$LABEL: $name $(mla_elapsed "$t")s"
	return $rc
}

# Prints the ok/FAIL line; returns non-zero on failure.
test_kernel() {
	local suite start log initrd release
	LABEL=$1
	suite=$(mla_label_suite "$LABEL") || { echo "FAIL $LABEL not in kernels.list"; return 1; }
	ERR=$WORK/$LABEL.err
	log=$LOGDIR/$LABEL.log
	initrd=$WORK/$LABEL.cpio.gz
	start=$(mla_now)
	if ! step fetch "$MLA_VM_DIR/fetch-kernel.sh" "$LABEL" "$suite"; then
		echo "FAIL $LABEL fetch: $(reason "$ERR")"
		return 1
	fi
	if ! step initramfs "$MLA_VM_DIR/mkinitramfs.sh" "$LABEL" "$WORK/payload" "$initrd"; then
		echo "FAIL $LABEL initramfs: $(reason "$ERR")"
		return 1
	fi
	if ! step boot "$MLA_VM_DIR/boot.sh" "$LABEL" "$initrd" "$log"; then
		echo "FAIL $LABEL boot: $(grep -m1 '^MLA-SELFTEST FAIL' "$log" || reason "$ERR") (log: $log)"
		return 1
	fi
	grep '^MLA-SELFTEST VmLck' "$log" | sed "s/^/$MLA_PROG: $LABEL: /" >&2
	if ! grep -q '^MLA-SELFTEST PASS' "$log"; then
		echo "FAIL $LABEL payload did not report PASS (log: $log)"
		return 1
	fi
	release=$(cat "$MLA_VM_CACHE/$LABEL/release")
	echo "ok $LABEL $release $(mla_elapsed "$start")s"
}

main() {
	local label passed=0 failed=0
	local -a labels
	mapfile -t labels < <(mla_labels)
	[[ ${#labels[@]} -gt 0 ]] || mla_die "no kernel selected (MLA_VM_KERNELS='${MLA_VM_KERNELS:-}')"
	mkdir -p "$LOGDIR"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/mla-selftest.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
	build_payload "$WORK/payload"
	for label in "${labels[@]}"; do
		if test_kernel "$label"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
	echo "$passed passed, $failed failed"
	[[ $failed -eq 0 ]]
}

main "$@"
