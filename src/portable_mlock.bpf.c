// SPDX-License-Identifier: GPL-2.0
/*
 * Portable tier, the syscalls that lock or move address ranges: the mlock
 * family, mmap, munmap, mremap and brk (their exits: return codes and
 * ranges).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "portable.bpf.h"

/* ---- mlock family ---------------------------------------------------- */

static __always_inline int mlock_exit(long ret, __u32 nr)
{
	struct mm_struct *mm;
	struct mla_cause c;
	__u64 value, request;

	/*
	 * mlock, mlock2 and munlock charge under the mmap write lock, whose
	 * release observed the change and sent their range with it: a
	 * success has nothing left to say.
	 */
	if (ret == 0 && nr != MLA_NR_mlockall && nr != MLA_NR_munlockall)
		return 0;
	mm = current_mm();
	cause_syscall(&c, nr);
	observe_mm(mm, &c, false);
	if (ret == 0) {
		emit_range(&c, ret, 0, 0);
		return 0;
	}
	if (nr == MLA_NR_munlock || nr == MLA_NR_munlockall)
		return 0;
	if (nr == MLA_NR_mlockall) {
		/* mlockall(MCL_CURRENT) compares total_vm, not locked_vm */
		value = BPF_CORE_READ(mm, total_vm);
		request = (c.args[0] & MLA_MCL_CURRENT) ? value : 0;
	} else {
		value = mm_locked_vm(mm);
		request = span_pages(c.args[0], c.args[1]);
	}
	syscall_failure(&c, ret, MLA_LOCKED_VM, MLA_SRC_MLOCK, value, request);
	return 0;
}

MLA_SYSCALL_EXIT(mlock, mlock_exit(ret, MLA_NR_mlock))

MLA_SYSCALL_EXIT(mlock2, mlock_exit(ret, MLA_NR_mlock2))

MLA_SYSCALL_EXIT(munlock, mlock_exit(ret, MLA_NR_munlock))

MLA_SYSCALL_EXIT(mlockall, mlock_exit(ret, MLA_NR_mlockall))

MLA_SYSCALL_EXIT(munlockall, mlock_exit(ret, MLA_NR_munlockall))

/* ---- address-space syscalls: hot in every process, so bail early ------ */

static __always_inline int mmap_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	__u64 flags = PT_REGS_PARM4_SYSCALL(regs);
	long fd = PT_REGS_PARM5_SYSCALL(regs);
	bool locked = (flags & MLA_MAP_LOCKED) || def_locked(task->mm);
	bool shared_file = (flags & MLA_MAP_SHARED) && fd >= 0;
	struct mm_struct *mm;
	struct mla_cause c;

	if (!locked && !shared_file)
		return 0;
	mm = current_mm();
	cause_syscall(&c, MLA_NR_mmap);
	if (ret < 0 && ret >= -MLA_MAX_ERRNO) {
		if (locked && (ret == -MLA_EAGAIN || ret == -MLA_EPERM))
			syscall_failure(&c, ret, MLA_LOCKED_VM, MLA_SRC_MLOCK,
					mm_locked_vm(mm),
					span_pages(0, c.args[1]));
		/* perf_mmap refuses with EPERM past the limit */
		else if (shared_file && ret == -MLA_EPERM)
			syscall_failure(&c, ret, MLA_PINNED_VM, MLA_SRC_PERF,
					mm_pinned_vm(mm),
					span_pages(0, c.args[1]));
		return 0;
	}
	observe_mm(mm, &c, false);
	if (shared_file)
		observe_user(&c); /* a perf ring buffer charges the user */
	if (locked)
		emit_range(&c, ret, 0, 0);
	return 0;
}

MLA_SYSCALL_EXIT(mmap, mmap_exit(ret))

static __always_inline int munmap_exit(long ret)
{
	struct mm_struct *mm = current_mm_btf();
	struct mla_cause c;

	if (!mm_interesting(mm))
		return 0;
	mm = as_number(mm);
	cause_syscall(&c, MLA_NR_munmap);
	observe_mm(mm, &c, false);
	observe_user(&c);
	emit_range(&c, ret, 0, 0);
	return 0;
}

MLA_SYSCALL_EXIT(munmap, munmap_exit(ret))

static __always_inline int mremap_exit(long ret)
{
	struct mm_struct *mm = current_mm_btf();
	struct mla_cause c;

	if (!mm_interesting(mm) && !def_locked(mm))
		return 0;
	mm = as_number(mm);
	cause_syscall(&c, MLA_NR_mremap);
	observe_mm(mm, &c, false);
	if (ret < 0 && ret >= -MLA_MAX_ERRNO) {
		/* growing a VM_LOCKED area past the limit: EAGAIN */
		if (ret == -MLA_EAGAIN && c.args[2] > c.args[1])
			syscall_failure(&c, ret, MLA_LOCKED_VM, MLA_SRC_MLOCK,
					mm_locked_vm(mm),
					span_pages(0, c.args[2] - c.args[1]));
		return 0;
	}
	emit_range(&c, ret, 0, 0);
	return 0;
}

MLA_SYSCALL_EXIT(mremap, mremap_exit(ret))

static __always_inline int brk_exit(unsigned long ret)
{
	struct mm_struct *mm = current_mm_btf();
	struct mla_cause c;

	if (!def_locked(mm))
		return 0;
	mm = as_number(mm);
	cause_syscall(&c, MLA_NR_brk);
	observe_mm(mm, &c, false);
	/* a refused brk returns the old break, with no errno */
	if (c.args[0] > ret && ret >= BPF_CORE_READ(mm, start_brk))
		syscall_failure(&c, -MLA_EAGAIN, MLA_LOCKED_VM, MLA_SRC_MLOCK,
				mm_locked_vm(mm),
				span_pages(ret, c.args[0] - ret));
	else
		emit_range(&c, ret, BPF_CORE_READ(mm, start_brk),
			   BPF_CORE_READ(mm, brk));
	return 0;
}

MLA_SYSCALL_EXIT(brk, brk_exit(ret))
