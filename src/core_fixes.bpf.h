/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CO-RE shims for kernel layouts that changed. Each one names the kernel
 * that forced it. Readers take raw or BTF pointers alike.
 */
#ifndef MLA_CORE_FIXES_BPF_H
#define MLA_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

#define MLA_VM_LOCKED 0x00002000UL
#define MLA_VM_PFNMAP 0x00000400UL
#define MLA_VM_IO 0x00004000UL
#define MLA_RLIMIT_MEMLOCK 8
#define MLA_CAP_IPC_LOCK 14
#define MLA_PF_KTHREAD 0x00200000

static __always_inline __u64 mm_locked_vm(struct mm_struct *mm)
{
	return BPF_CORE_READ(mm, locked_vm);
}

/* pinned_vm is atomic64_t since 5.1 ("mm: change mm_struct.pinned_vm to atomic64"). */
static __always_inline __u64 mm_pinned_vm(struct mm_struct *mm)
{
	return BPF_CORE_READ(mm, pinned_vm.counter);
}

/*
 * 6.18 turns vm_flags-style words into vma_flags_t in places; mm->def_flags
 * is still a plain unsigned long everywhere we run.
 */
static __always_inline bool mm_def_locked(struct mm_struct *mm)
{
	return BPF_CORE_READ(mm, def_flags) & MLA_VM_LOCKED;
}

/* user_struct.locked_vm only exists with PERF_EVENTS/BPF/NET/IO_URING. */
static __always_inline __u64 user_locked_vm(struct user_struct *user)
{
	if (!user || !bpf_core_field_exists(user->locked_vm))
		return 0;
	return BPF_CORE_READ(user, locked_vm.counter);
}

/* 5.10 and older kept SHM_LOCK pages in user->locked_shm. */
struct user_struct___pre515 {
	unsigned long locked_shm;
} __attribute__((preserve_access_index));

/* 5.15 kept the SHM_LOCK bucket in ucounts->ucount[] (enum ucount_type). */
struct ucounts___v515 {
	atomic_long_t ucount[1];
} __attribute__((preserve_access_index));

enum ucount_type___v515 { UCOUNT_RLIMIT_MEMLOCK___v515 = 0 };

/* SHM_LOCK pages of the task's user: ucounts->rlimit[] since 6.1. */
static __always_inline __u64 task_shm_locked(struct task_struct *task)
{
	const struct cred *cred = BPF_CORE_READ(task, cred);

	if (bpf_core_field_exists(struct ucounts, rlimit)) {
		struct ucounts *uc = BPF_CORE_READ(cred, ucounts);
		int idx = bpf_core_enum_value(enum rlimit_type,
					      UCOUNT_RLIMIT_MEMLOCK);
		long v = 0;

		if (!uc || idx < 0 || idx > 7)
			return 0;
		bpf_core_read(&v, sizeof(v), &uc->rlimit[idx]);
		return v;
	}
	if (bpf_core_enum_value_exists(enum ucount_type___v515,
				       UCOUNT_RLIMIT_MEMLOCK___v515)) {
		struct ucounts___v515 *uc = (void *)BPF_CORE_READ(cred, ucounts);
		int idx = bpf_core_enum_value(enum ucount_type___v515,
					      UCOUNT_RLIMIT_MEMLOCK___v515);
		long v = 0;

		if (!uc || idx < 0 || idx > 31)
			return 0;
		bpf_core_read(&v, sizeof(v), &uc->ucount[idx]);
		return v;
	}
	if (bpf_core_field_exists(struct user_struct___pre515, locked_shm)) {
		struct user_struct___pre515 *u = (void *)BPF_CORE_READ(cred, user);

		return BPF_CORE_READ(u, locked_shm);
	}
	return 0;
}

static __always_inline __u32 task_uid(struct task_struct *task)
{
	return BPF_CORE_READ(task, cred, uid.val);
}

/*
 * kernel_cap_t is { u32 cap[2] } before 6.3 and { u64 val } since: both put
 * capability 14 in the first 32 bits on little-endian, so read 8 bytes.
 */
static __always_inline bool current_cap_ipc_lock(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 caps = 0;

	bpf_core_read(&caps, sizeof(caps), &task->cred->cap_effective);
	return caps & (1ULL << MLA_CAP_IPC_LOCK);
}

/* current's, with plain loads through BTF pointers (the change hot path) */
static __always_inline void current_memlock_rlimit(__u64 *cur, __u64 *max)
{
	struct task_struct *task = bpf_get_current_task_btf();

	*cur = task->signal->rlim[MLA_RLIMIT_MEMLOCK].rlim_cur;
	*max = task->signal->rlim[MLA_RLIMIT_MEMLOCK].rlim_max;
}

static __always_inline void task_memlock_rlimit(struct task_struct *task,
						__u64 *cur, __u64 *max)
{
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	struct rlimit rl = {};

	bpf_core_read(&rl, sizeof(rl), &sig->rlim[MLA_RLIMIT_MEMLOCK]);
	*cur = rl.rlim_cur;
	*max = rl.rlim_max;
}

/* Before 5.5 the boot-based start time was called real_start_time. */
struct task_struct___pre55 {
	__u64 real_start_time;
} __attribute__((preserve_access_index));

/* start_boottime: the clock of /proc/PID/stat starttime, and never reused. */
static __always_inline __u64 task_start_ns(struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	if (bpf_core_field_exists(leader->start_boottime))
		return BPF_CORE_READ(leader, start_boottime);
	return BPF_CORE_READ((struct task_struct___pre55 *)leader,
			     real_start_time);
}

#endif /* MLA_CORE_FIXES_BPF_H */
