// SPDX-License-Identifier: GPL-2.0
/*
 * Every probe of both tiers and the skeleton programs that serve it, as
 * planned before this kernel is looked at; probes.c decides per kernel.
 */
#include <linux/types.h>
#include "memlockacct.h"
#include "probes.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Tracepoints of the portable tier and the iterators the frontend runs.
 * The syscall exits (no .kind: a classic tracepoint) have an fexit
 * flavour on the syscall's entry point, which probes.c picks where
 * trampolines attach.
 */
const struct probe probe_list_portable[] = {
	{ .label = "mmap_lock_released",
	  .prog = "mmap_lock_released",
	  /* (mm, memcg_path, write) until 6.10 */
	  .alt_prog = "mmap_lock_released_memcg",
	  .kind = PROBE_TP_BTF,
	  .optional_tp = true },
	{ .label = "exit_mmap",
	  .prog = "exit_mmap",
	  .kind = PROBE_RAW_TP,
	  .optional_tp = true },
	{ .label = "sched_process_fork",
	  .prog = "sched_process_fork",
	  .kind = PROBE_RAW_TP,
	  .run_only = true },
	{ .label = "sched_process_exec",
	  .prog = "sched_process_exec",
	  .kind = PROBE_RAW_TP,
	  .run_only = true },
	{ .label = "sched_process_free",
	  .prog = "sched_process_free",
	  .kind = PROBE_RAW_TP,
	  .run_only = true },
	{ .label = "sys_exit_mlock",
	  .prog = "sys_exit_mlock",
	  .fexit = "fexit_sys_mlock" },
	{ .label = "sys_exit_mlock2",
	  .prog = "sys_exit_mlock2",
	  .fexit = "fexit_sys_mlock2" },
	{ .label = "sys_exit_munlock",
	  .prog = "sys_exit_munlock",
	  .fexit = "fexit_sys_munlock" },
	{ .label = "sys_exit_mlockall",
	  .prog = "sys_exit_mlockall",
	  .fexit = "fexit_sys_mlockall" },
	{ .label = "sys_exit_munlockall",
	  .prog = "sys_exit_munlockall",
	  .fexit = "fexit_sys_munlockall" },
	{ .label = "sys_exit_mmap",
	  .prog = "sys_exit_mmap",
	  .fexit = "fexit_sys_mmap" },
	{ .label = "sys_exit_munmap",
	  .prog = "sys_exit_munmap",
	  .fexit = "fexit_sys_munmap" },
	{ .label = "sys_exit_mremap",
	  .prog = "sys_exit_mremap",
	  .fexit = "fexit_sys_mremap" },
	{ .label = "sys_exit_brk",
	  .prog = "sys_exit_brk",
	  .fexit = "fexit_sys_brk" },
	{ .label = "sys_exit_shmctl",
	  .prog = "sys_exit_shmctl",
	  .fexit = "fexit_sys_shmctl" },
	{ .label = "sys_exit_io_uring_register",
	  .prog = "sys_exit_io_uring_register",
	  .fexit = "fexit_sys_io_uring_register",
	  .optional_tp = true },
	{ .label = "sys_exit_io_uring_setup",
	  .prog = "sys_exit_io_uring_setup",
	  .fexit = "fexit_sys_io_uring_setup",
	  .optional_tp = true },
	{ .label = "sys_exit_ioctl",
	  .prog = "sys_exit_ioctl",
	  .fexit = "fexit_sys_ioctl" },
	{ .label = "task iterator (baseline)",
	  .prog = "baseline",
	  .kind = PROBE_ITER_TASK },
	{ .label = "task iterator (resync)",
	  .prog = "resync",
	  .kind = PROBE_ITER_TASK },
	{ .label = "VFIO container walk",
	  .prog = "vfio_maps",
	  .module = PROBES_VFIO_MOD,
	  .kind = PROBE_ITER_TASK_FILE },
};

const struct probe probe_list_precise[] = {
	{ .label = "__account_locked_vm",
	  .prog = "kprobe_account_locked_vm_inner",
	  .retprog = "kretprobe_account_locked_vm_inner",
	  .fexit = "fexit_account_locked_vm_inner" },
	{ .label = "account_locked_vm",
	  .prog = "kprobe_account_locked_vm",
	  .retprog = "kretprobe_account_locked_vm",
	  .fexit = "fexit_account_locked_vm" },
	{ .label = "vfio_lock_acct",
	  .module = PROBES_VFIO_MOD,
	  .prog = "kprobe_vfio_lock_acct",
	  .retprog = "kretprobe_vfio_lock_acct",
	  .fentry = "fentry_vfio_lock_acct",
	  .fexit = "fexit_vfio_lock_acct" },
	{ .label = "mm_lock_acct",
	  .module = PROBES_VFIO_MOD,
	  .prog = "kprobe_mm_lock_acct",
	  .retprog = "kretprobe_mm_lock_acct",
	  .fentry = "fentry_mm_lock_acct",
	  .fexit = "fexit_mm_lock_acct" },
	{ .label = "vfio_pin_pages_remote",
	  .module = PROBES_VFIO_MOD,
	  .prog = "kprobe_vfio_pin_pages_remote",
	  .fentry = "fentry_vfio_pin_pages_remote" },
	{ .label = "user_shm_lock",
	  .prog = "kprobe_user_shm_lock",
	  .retprog = "kretprobe_user_shm_lock" },
	{ .label = "__io_account_mem",
	  .prog = "kprobe_io_account_mem",
	  .retprog = "kretprobe_io_account_mem" },
};

_Static_assert(N_ELEMS(probe_list_portable) == PROBES_NR_PORTABLE,
	       "PROBES_NR_PORTABLE in probes.h");
_Static_assert(N_ELEMS(probe_list_precise) == PROBES_NR_PRECISE,
	       "PROBES_NR_PRECISE in probes.h");
