/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Portable tier: tracepoints only, so it runs on any kernel with BTF.
 *
 * Every writer of mm->locked_vm in mm/ and in VFIO holds the mmap write lock,
 * and mmap_lock_released fires before the lock is dropped: observing there
 * sees each change of locked_vm in order, with the mm being charged even
 * when another task does the charging. The syscall exits add return codes
 * (refused charges), address ranges, and the counters that are not under
 * the mmap lock (pinned_vm, the per-user buckets).
 *
 * This header: the helpers the portable_*.bpf.c files share; each family of
 * hooks has its own file.
 */
#ifndef MLA_PORTABLE_BPF_H
#define MLA_PORTABLE_BPF_H

#include "observe.bpf.h"

/*
 * A syscall's exit hook in two forms with one body (@expr, of the
 * syscall's return value `ret`): its syscall tracepoint, which every kernel
 * with BTF has, and fexit on the syscall's own entry point (probes.c sets
 * the target, __x64_sys_NAME or its arch's name, before load) where
 * trampolines attach. One syscall tracepoint on puts every system call of
 * every process on the kernel's traced slow path (+11.5 ns on getppid,
 * BENCHMARKS.md run 4); fexit costs only the calls it hooks. probes.c
 * loads one of the two.
 */
#define MLA_SYSCALL_EXIT(name, expr)                                         \
	SEC("tracepoint/syscalls/sys_exit_" #name)                           \
	int sys_exit_##name(struct trace_event_raw_sys_exit *ctx)            \
	{                                                                    \
		long ret = ctx->ret;                                         \
		return expr;                                                 \
	}                                                                    \
	SEC("fexit")                                                         \
	int BPF_PROG(fexit_sys_##name, const struct pt_regs *regs, long ret) \
	{                                                                    \
		return expr;                                                 \
	}

static __always_inline struct mm_struct *current_mm(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	return BPF_CORE_READ(task, mm);
}

/*
 * current's mm as a BTF pointer: plain loads, for the tests that every
 * process pays on its mmap, munmap, mremap and brk.
 */
static __always_inline struct mm_struct *current_mm_btf(void)
{
	return bpf_get_current_task_btf()->mm;
}

/*
 * The tests every process pays on its mmap, munmap, mremap and brk take
 * current's mm as a BTF pointer (plain loads) from their caller, which
 * fetched it once: a helper call each time it is fetched again.
 */
static __always_inline bool def_locked(struct mm_struct *mm)
{
	return mm && (mm->def_flags & MLA_VM_LOCKED);
}

/* Does @mm (current's) hold, or may it gain, anything we track? */
static __always_inline bool mm_interesting(struct mm_struct *mm)
{
	if (!mm)
		return false;
	if (mm->locked_vm || mm->pinned_vm.counter)
		return true;
	return hint_maybe_tracked((__u64)as_number(mm));
}

/* The struct file behind current's @fd: the identity of a container. */
static __always_inline __u64 current_file(long fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return (__u64)f;
}

/*
 * A syscall that may have moved VM_LOCKED ranges, VFIO mappings or pinned
 * buffers completed: the frontend keeps the address ranges from these.
 */
static __always_inline void emit_range(const struct mla_cause *c, long ret,
				       __u64 x0, __u64 x1)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 mm = (__u64)current_mm();
	struct mla_mm_stat *st;
	struct mla_event *e;

	if (!event_wanted(tgid))
		return;
	e = event_new(MLA_EV_RANGE);
	if (!e)
		return;
	st = bpf_map_lookup_elem(&mms, &mm);
	if (st)
		event_owner(e, st);
	else
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->tgid = tgid;
	event_cause(e, c);
	e->ret = ret;
	e->value = ret;
	if (x0 || x1) {
		e->ctx[0] = x0;
		e->ctx[1] = x1;
	}
	if (mm_def_locked((struct mm_struct *)mm))
		e->flags |= MLA_F_DEF_LOCKED;
	event_submit(e);
}

static __always_inline void syscall_failure(const struct mla_cause *c, long ret,
					    int counter, __u8 source,
					    __u64 value, __u64 request)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	/* the precise tier already explained this one, from inside */
	struct mla_refusal r = {
		.ret = ret,
		.value = value,
		.request = request,
		.counter = counter,
		.source = source,
	};

	if (precise && bpf_map_lookup_elem(&failed_tids, &tid)) {
		bpf_map_delete_elem(&failed_tids, &tid);
		return;
	}
	mla_emit_failure(c, &r);
}

#endif
