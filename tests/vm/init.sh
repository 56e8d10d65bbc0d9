#!/bin/sh
# shellcheck shell=dash
# /init of the test guest, run by busybox sh as PID 1 (copied into every
# initramfs by mkinitramfs.sh).
#
# It prepares the kernel interfaces the tests need, loads the modules listed
# in /lib/modules/modules.order, binds the QEMU edu device to vfio-pci,
# prints "MLA-FACT <key> <value...>" lines, runs /payload/run.sh under a
# time limit and ends with "MLA-GUEST-EXIT <rc>" and a power-off.
#
# Kernel command line words of the form key=value that the kernel does not
# know arrive here as environment variables (mla_scenario=..., mla_timeout=...)
# and are inherited by run.sh. PID 1 must never exit (that panics), so there
# is no "set -e": every step reports its failure and carries on.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
# The initramfs holds only /bin/busybox and /bin/sh: add the applet links.
/bin/busybox --install -s /bin
export HOME=/root

# Kernel symbols the project probes, reported with their exact kallsyms
# names: GCC may rename a function to NAME.part.0, NAME.isra.0, ...
KSYMS="__account_locked_vm account_locked_vm vfio_lock_acct mm_lock_acct
vfio_pin_pages_remote vfio_unpin_pages_remote vfio_pin_page_external mlock_fixup
user_shm_lock user_shm_unlock ib_umem_get __ib_umem_get_va ib_umem_release __io_account_mem
io_account_mem io_unaccount_mem perf_mmap perf_mmap_close do_update_pinned
iopt_pages_update_pinned vhost_vdpa_pa_map expand_downwards exit_mmap"

fact() { echo "MLA-FACT $*"; }

yesno() { if [ -e "$1" ]; then echo yes; else echo no; fi; }

# A failed mount is reported but not fatal: the payload decides whether it
# needed that file system.
mnt() {
	mkdir -p "$3"
	mount -t "$1" "$2" "$3" || echo "MLA-INIT cannot mount $1 on $3"
}

mount_all() {
	mnt proc proc /proc
	mnt sysfs sysfs /sys
	mnt devtmpfs devtmpfs /dev
	# The kernel may have found no console node in the initramfs: now that
	# devtmpfs is there, make sure output reaches the serial console.
	exec </dev/console >/dev/console 2>&1
	mnt devpts devpts /dev/pts
	mnt tmpfs tmpfs /dev/shm
	mnt tmpfs tmpfs /tmp
	mnt tracefs tracefs /sys/kernel/tracing
	mnt debugfs debugfs /sys/kernel/debug
	mnt bpf bpf /sys/fs/bpf
}

# Load in the order fetch-kernel.sh resolved (dependencies first).
load_modules() {
	local m failed=""
	[ -r /lib/modules/modules.order ] || return 0
	while read -r m; do
		insmod "/lib/modules/$m" || failed="$failed $m"
	done </lib/modules/modules.order
	[ -z "$failed" ] || echo "MLA-INIT insmod failed:$failed"
}

# One line per top-level module: loaded, failed, builtin or missing.
report_modules() {
	local name status
	[ -r /lib/modules/modules.top ] || return 0
	while read -r name status; do
		if [ "$status" = module ]; then
			status=failed
			[ -d "/sys/module/$name" ] && status=loaded
		fi
		fact module "$name" "$status"
	done </lib/modules/modules.top
}

is_edu() { [ "$(cat "$1/vendor")" = 0x1234 ] && [ "$(cat "$1/device")" = 0x11e8 ]; }

# Bind every edu device (1234:11e8) to vfio-pci and export the groups for
# the payload: MLA_EDU_BDF and MLA_VFIO_GROUP (/dev/vfio/N) of the first,
# MLA_VFIO_GROUPS of all ("/dev/vfio/N /dev/vfio/M").
bind_edu() {
	local d drv group
	if [ -d /sys/bus/pci/drivers/vfio-pci ]; then
		echo "1234 11e8" >/sys/bus/pci/drivers/vfio-pci/new_id ||
			echo "MLA-INIT cannot add 1234:11e8 to vfio-pci"
	fi
	MLA_VFIO_GROUPS=
	for d in /sys/bus/pci/devices/*; do
		is_edu "$d" || continue
		drv=none
		[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
		group=none
		[ -e "$d/iommu_group" ] && group=$(basename "$(readlink "$d/iommu_group")")
		fact edu "${d##*/}" driver "$drv" group "$group"
		fact dev-vfio-group "/dev/vfio/$group" "$(yesno "/dev/vfio/$group")"
		if [ -z "$MLA_VFIO_GROUPS" ]; then
			export MLA_EDU_BDF="${d##*/}" MLA_VFIO_GROUP="/dev/vfio/$group"
			MLA_VFIO_GROUPS="/dev/vfio/$group"
		else
			MLA_VFIO_GROUPS="$MLA_VFIO_GROUPS /dev/vfio/$group"
		fi
	done
	export MLA_VFIO_GROUPS
	[ -n "$MLA_VFIO_GROUPS" ] || fact edu absent
}

# One pass over kallsyms (large: a pass per symbol is slow under TCG).
# Prints "MLA-FACT ksym WANTED NAME[module],..." or "... absent".
report_ksyms() {
	awk -v want="$KSYMS" '
		BEGIN { n = split(want, w, /[ \n]+/); for (i = 1; i <= n; i++) if (w[i] != "") is[w[i]] = 1 }
		{
			base = $3; sub(/\..*/, "", base)
			if (!(base in is)) next
			name = $3
			if ($4 != "") name = name $4
			if (!(name in seen)) {
				seen[name] = 1
				found[base] = found[base] sep[base] name
				sep[base] = ","
			}
		}
		END {
			for (i = 1; i <= n; i++) if (w[i] != "")
				print "MLA-FACT ksym " w[i] " " ((found[w[i]] != "") ? found[w[i]] : "absent")
		}' /proc/kallsyms
}

report_facts() {
	fact uname-r "$(uname -r)"
	fact dev-vfio-vfio "$(yesno /dev/vfio/vfio)"
	fact btf-vmlinux "$(yesno /sys/kernel/btf/vmlinux)"
	fact btf-vfio_iommu_type1 "$(yesno /sys/kernel/btf/vfio_iommu_type1)"
	fact kprobe_events "$(yesno /sys/kernel/tracing/kprobe_events)"
	report_modules
	report_ksyms
	fact init-uptime "$(cut -d' ' -f1 /proc/uptime)"
}

# Run the payload in its own directory, killed after mla_timeout seconds.
run_payload() {
	local rc
	if [ ! -f /payload/run.sh ]; then
		echo "MLA-INIT no /payload/run.sh"
		return 0
	fi
	cd /payload || return 1
	timeout -s KILL "${mla_timeout:-300}" sh /payload/run.sh
	rc=$?
	cd /
	return $rc
}

main() {
	mount_all
	# Start on a fresh line: the firmware leaves the cursor mid-line.
	echo
	echo "MLA-INIT start label=$(cat /etc/mla-label 2>/dev/null) scenario=${mla_scenario:-}"
	load_modules
	bind_edu
	report_facts
	run_payload
	rc=$?
	echo "MLA-GUEST-EXIT $rc"
	# Let the serial port drain before the power goes.
	sync
	sleep 1
	poweroff -f
	# Not reached unless power-off failed; PID 1 must not return.
	while :; do sleep 60; done
}

main "$@"
