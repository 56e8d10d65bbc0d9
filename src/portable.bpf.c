// SPDX-License-Identifier: GPL-2.0
/*
 * Portable tier: tracepoints only, so it runs on any kernel with BTF.
 *
 * Every writer of mm->locked_vm in mm/ and in VFIO holds the mmap write lock,
 * and mmap_lock_released fires before the lock is dropped: observing there
 * sees each change of locked_vm in order, with the mm being charged even
 * when another task does the charging. The syscall exits add return codes
 * (refused charges), address ranges, and the counters that are not under
 * the mmap lock (pinned_vm, the per-user buckets).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "observe.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define MLA_EAGAIN 11
#define MLA_ENOMEM 12
#define MLA_EPERM 1
#define MLA_ENOSPC 28
#define MLA_PAGE_SHIFT 12
#define MLA_PAGE_SIZE (1UL << MLA_PAGE_SHIFT)

static __always_inline __u64 span_pages(__u64 addr, __u64 len)
{
	__u64 start = addr & ~(MLA_PAGE_SIZE - 1);
	__u64 end = (addr + len + MLA_PAGE_SIZE - 1) & ~(MLA_PAGE_SIZE - 1);

	return (end - start) >> MLA_PAGE_SHIFT;
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

/*
 * @mm is a BTF pointer (tp_btf): the counters are plain loads, the cheapest
 * reads there are, on the hottest hook (every mmap write lock released).
 */
static __always_inline int mmap_write_released(struct mm_struct *mm)
{
	struct mla_released r = {
		.mm = (__u64)mm,
		.locked = mm->locked_vm,
		.pinned = mm->pinned_vm.counter,
	};

	return mla_observe_released(&r);
}

SEC("tp_btf/mmap_lock_released")
int BPF_PROG(mmap_lock_released, struct mm_struct *mm, bool write)
{
	return write ? mmap_write_released(mm) : 0;
}

/*
 * Until 6.10 the tracepoint also passed the memcg path (commit "mm:
 * mmap_lock: replace get_memcg_path_buf() with on-stack buffer" and its
 * successors dropped it); the frontend picks the flavour from BTF.
 */
SEC("tp_btf/mmap_lock_released")
int BPF_PROG(mmap_lock_released_memcg, struct mm_struct *mm,
	     const char *memcg_path, bool write)
{
	return write ? mmap_write_released(mm) : 0;
}

/*
 * The mm is going away: keep its last state in the dead map for the
 * frontend, with the kernel's own final values beside ours.
 */
SEC("raw_tp/exit_mmap")
int BPF_PROG(exit_mmap, struct mm_struct *btf_mm)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mm_struct *mm = as_number(btf_mm);
	__u64 key = (__u64)mm;
	struct mla_mm_stat *st;
	struct mla_event *e;
	void *cur_mm;

	if (!hint_maybe_tracked(key))
		return 0;
	st = bpf_map_lookup_elem(&mms, &key);
	if (!st)
		return 0;
	st->truth[MLA_LOCKED_VM] = mm_locked_vm(mm);
	st->truth[MLA_PINNED_VM] = mm_pinned_vm(mm);
	/* exec has already switched current to its new mm */
	cur_mm = BPF_CORE_READ(task, mm);
	st->gone = (cur_mm && cur_mm != (void *)mm &&
		    BPF_CORE_READ(task, tgid) == st->tgid) ?
			   MLA_CAUSE_EXEC :
			   MLA_CAUSE_EXIT;
	map_insert(&dead, &st->id, st, &stats.dropped_dead);
	if (stat_wanted(st)) {
		e = event_new(MLA_EV_MM_GONE);
		if (e) {
			event_owner(e, st);
			e->cause = st->gone;
			e->value = st->truth[MLA_LOCKED_VM];
			e->ctx[0] = st->truth[MLA_PINNED_VM];
			event_submit(e);
		}
	}
	if (!bpf_map_delete_elem(&mms, &key))
		hint_add(key, -1);
	return 0;
}

/* run mode: the frontend learns a process of the tree, and its name */
static __always_inline void emit_process(struct task_struct *task,
					 __u32 cur_tgid)
{
	struct mla_event *e = event_new(MLA_EV_PROCESS);

	if (!e)
		return;
	e->tgid = BPF_CORE_READ(task, tgid);
	e->cur_tgid = cur_tgid;
	e->start_ns = task_start_ns(task);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm),
				  BPF_CORE_READ(task, comm));
	event_submit(e);
}

/* run mode: follow the traced command's descendants */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent,
	     struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u64 start = task_start_ns(child);

	if (ptgid == ctgid || !tree_entry(ptgid, task_start_ns(parent)))
		return 0;
	bpf_map_update_elem(&tree, &ctgid, &start, BPF_ANY);
	emit_process(child, ptgid);
	return 0;
}

/*
 * run mode: a process of the tree ran a new program. Its name changes
 * (comm is set before this tracepoint): say so, or the report would show
 * a child that never charged anything under its parent's name.
 */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 started = task_start_ns(task);
	__u64 *start = tree_entry(tgid, started);

	if (!start)
		return 0;
	if (!*start) /* the command's exec: known by its start from now on */
		*start = started;
	emit_process(task, tgid);
	return 0;
}

/*
 * run mode: a process of the tree is reaped (its leader, the last of its
 * threads, is freed). Its entry goes: the map holds the living (--max-procs
 * of them), not every process the command ever ran. Not at its exit:
 * closing its files (a VFIO container) still charges and uncharges after
 * that, and its mm may go after it (MLA_MM_IN_TREE keeps their events).
 */
SEC("raw_tp/sched_process_free")
int BPF_PROG(sched_process_free, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (BPF_CORE_READ(task, pid) != tgid)
		return 0;
	if (tree_entry(tgid, task_start_ns(task)))
		bpf_map_delete_elem(&tree, &tgid);
	return 0;
}

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

SEC("tracepoint/syscalls/sys_exit_mlock")
int sys_exit_mlock(struct trace_event_raw_sys_exit *ctx)
{
	return mlock_exit(ctx->ret, MLA_NR_mlock);
}

SEC("tracepoint/syscalls/sys_exit_mlock2")
int sys_exit_mlock2(struct trace_event_raw_sys_exit *ctx)
{
	return mlock_exit(ctx->ret, MLA_NR_mlock2);
}

SEC("tracepoint/syscalls/sys_exit_munlock")
int sys_exit_munlock(struct trace_event_raw_sys_exit *ctx)
{
	return mlock_exit(ctx->ret, MLA_NR_munlock);
}

SEC("tracepoint/syscalls/sys_exit_mlockall")
int sys_exit_mlockall(struct trace_event_raw_sys_exit *ctx)
{
	return mlock_exit(ctx->ret, MLA_NR_mlockall);
}

SEC("tracepoint/syscalls/sys_exit_munlockall")
int sys_exit_munlockall(struct trace_event_raw_sys_exit *ctx)
{
	return mlock_exit(ctx->ret, MLA_NR_munlockall);
}

/* ---- address-space syscalls: hot in every process, so bail early ------ */

SEC("tracepoint/syscalls/sys_exit_mmap")
int sys_exit_mmap(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	__u64 flags = regs->r10;
	long fd = regs->r8;
	long ret = ctx->ret;
	bool locked = (flags & MLA_MAP_LOCKED) || def_locked(task->mm);
	bool shared_file = (flags & MLA_MAP_SHARED) && fd >= 0;
	struct mm_struct *mm;
	struct mla_cause c;

	if (!locked && !shared_file)
		return 0;
	mm = current_mm();
	cause_syscall(&c, MLA_NR_mmap);
	if (ret < 0 && ret > -4096) {
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

SEC("tracepoint/syscalls/sys_exit_munmap")
int sys_exit_munmap(struct trace_event_raw_sys_exit *ctx)
{
	struct mm_struct *mm = current_mm_btf();
	struct mla_cause c;

	if (!mm_interesting(mm))
		return 0;
	mm = as_number(mm);
	cause_syscall(&c, MLA_NR_munmap);
	observe_mm(mm, &c, false);
	observe_user(&c);
	emit_range(&c, ctx->ret, 0, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mremap")
int sys_exit_mremap(struct trace_event_raw_sys_exit *ctx)
{
	struct mm_struct *mm = current_mm_btf();
	long ret = ctx->ret;
	struct mla_cause c;

	if (!mm_interesting(mm) && !def_locked(mm))
		return 0;
	mm = as_number(mm);
	cause_syscall(&c, MLA_NR_mremap);
	observe_mm(mm, &c, false);
	if (ret < 0 && ret > -4096) {
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

SEC("tracepoint/syscalls/sys_exit_brk")
int sys_exit_brk(struct trace_event_raw_sys_exit *ctx)
{
	struct mm_struct *mm = current_mm_btf();
	unsigned long ret = ctx->ret;
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

/* ---- subsystems that pin: SysV SHM, io_uring, driver ioctls ------------ */

SEC("tracepoint/syscalls/sys_exit_shmctl")
int sys_exit_shmctl(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mla_cause c;
	__u64 cmd;

	cause_syscall(&c, MLA_NR_shmctl);
	cmd = c.args[1] & ~0x100ULL; /* strip IPC_64 */
	c.cmd = cmd;
	if (cmd != MLA_SHM_LOCK && cmd != MLA_SHM_UNLOCK && cmd != 0 /* RMID */)
		return 0;
	observe_user(&c);
	if (cmd == MLA_SHM_LOCK && ctx->ret < 0)
		syscall_failure(&c, ctx->ret, MLA_USER_SHM, MLA_SRC_SHM,
				task_shm_locked(task), 0);
	else if (cmd == MLA_SHM_LOCK || cmd == MLA_SHM_UNLOCK)
		emit_range(&c, ctx->ret, 0, 0);
	return 0;
}

/*
 * Up to 32 registered iovecs: the pages they span (what io_uring charges),
 * and, with @ranges, one range event each for the pinned set.
 */
static __always_inline __u64 iovec_walk(struct mla_cause *c, __u64 uptr,
					__u64 n, bool ranges)
{
	__u64 pages = 0;

	for (int i = 0; i < 32; i++) {
		struct iovec iov;

		if (i >= n)
			break;
		if (bpf_probe_read_user(&iov, sizeof(iov),
					(void *)(uptr + i * sizeof(iov))))
			break;
		pages += span_pages((__u64)iov.iov_base, iov.iov_len);
		if (ranges) {
			c->ctx[1] = (__u64)iov.iov_base;
			c->ctx[2] = iov.iov_len;
			emit_range(c, 0, 0, 0);
		}
	}
	return pages;
}

SEC("tracepoint/syscalls/sys_exit_io_uring_register")
int sys_exit_io_uring_register(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mla_cause c;

	cause_syscall(&c, MLA_NR_io_uring_register);
	observe_mm(current_mm(), &c, false);
	observe_user(&c);
	c.obj = current_file(c.args[0]);
	if (ctx->ret == 0 && c.args[1] == 0 /* IORING_REGISTER_BUFFERS */)
		iovec_walk(&c, c.args[2], c.args[3], true);
	else if (ctx->ret == 0 && c.args[1] == 1 /* UNREGISTER_BUFFERS */)
		emit_range(&c, 0, 0, 0);
	/* IORING_REGISTER_BUFFERS (0): ENOMEM is the per-user memlock check */
	if (ctx->ret == -MLA_ENOMEM && c.args[1] == 0)
		syscall_failure(&c, ctx->ret, MLA_USER_LOCKED,
				MLA_SRC_IO_URING,
				user_locked_vm(BPF_CORE_READ(task, cred, user)),
				iovec_walk(&c, c.args[2], c.args[3], false));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_io_uring_setup")
int sys_exit_io_uring_setup(struct trace_event_raw_sys_exit *ctx)
{
	struct mla_cause c;

	/* 6.19+ charges ring memory to the user */
	cause_syscall(&c, MLA_NR_io_uring_setup);
	observe_user(&c);
	return 0;
}

struct mla_vfio_dma_map {
	__u32 argsz;
	__u32 flags;
	__u64 vaddr;
	__u64 iova;
	__u64 size;
};

struct mla_vfio_dma_unmap {
	__u32 argsz;
	__u32 flags;
	__u64 iova;
	__u64 size;
};

SEC("tracepoint/syscalls/sys_exit_ioctl")
int sys_exit_ioctl(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	__u64 cmd = regs->si;
	__u8 src = ioctl_source(cmd);
	struct mm_struct *mm;
	struct mla_cause c;
	long ret = ctx->ret;

	if (src == MLA_SRC_OTHER)
		return 0;
	/*
	 * First: the precise tier's summed event and refusal come before what
	 * this exit sends, and its frame must not name this exit's cause
	 */
	mla_vfio_batch_end(ret);
	mm = current_mm();
	cause_syscall(&c, MLA_NR_ioctl);
	observe_mm(mm, &c, false);
	observe_user(&c);
	if (cmd == MLA_VFIO_IOMMU_MAP_DMA || cmd == MLA_VFIO_IOMMU_UNMAP_DMA)
		c.obj = current_file(c.args[0]);
	if (cmd == MLA_VFIO_IOMMU_MAP_DMA) {
		struct mla_vfio_dma_map m = {};

		bpf_probe_read_user(&m, sizeof(m), (void *)c.args[2]);
		c.ctx[0] = m.iova;
		c.ctx[1] = m.vaddr;
		c.ctx[2] = m.size;
		if (ret == -MLA_ENOMEM || ret == -MLA_ENOSPC)
			syscall_failure(&c, ret, MLA_LOCKED_VM, MLA_SRC_VFIO,
					mm_locked_vm(mm), m.size >> MLA_PAGE_SHIFT);
		else
			emit_range(&c, ret, 0, 0);
	} else if (cmd == MLA_VFIO_IOMMU_UNMAP_DMA) {
		struct mla_vfio_dma_unmap u = {};

		/* read after the call: the kernel writes back the size unmapped */
		bpf_probe_read_user(&u, sizeof(u), (void *)c.args[2]);
		c.ctx[0] = u.iova;
		c.ctx[2] = u.size;
		emit_range(&c, ret, 0, 0);
	} else if (ret == -MLA_ENOMEM) {
		/* RDMA, iommufd, vDPA: ENOMEM is their memlock refusal */
		syscall_failure(&c, ret,
				src == MLA_SRC_IOMMUFD ? MLA_USER_LOCKED :
							 MLA_PINNED_VM,
				src, mm_pinned_vm(mm), 0);
	}
	return 0;
}

/* ---- resync and start-up baseline --------------------------------------- */

/*
 * Run by the frontend every second and at the end: observe every process
 * and user from outside, which catches what changed where no hook looks
 * (a vhost-vdpa write(), io_uring's teardown in a kworker, ...).
 */
SEC("iter/task")
int resync(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct mla_cause c = { .kind = MLA_CAUSE_RESYNC };
	struct mm_struct *mm;

	if (!task || BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid) ||
	    (BPF_CORE_READ(task, flags) & MLA_PF_KTHREAD))
		return 0;
	task = as_number(task);
	mm = BPF_CORE_READ(task, mm);
	if (mm)
		observe_mm(mm, &c, false);
	mla_observe_user((__u64)task, &c);
	return 0;
}

/*
 * Seed every process that already holds something, so the first report is
 * right and later deltas start from the truth. Runs once, before attach.
 */
SEC("iter/task")
int baseline(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct mm_struct *mm;
	__u64 locked, pinned, key, v[MLA_NR_USER_COUNTERS];
	__u32 uid;

	if (!task || BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid))
		return 0;
	mm = BPF_CORE_READ(task, mm);
	if (mm && !(BPF_CORE_READ(task, flags) & MLA_PF_KTHREAD)) {
		locked = mm_locked_vm(mm);
		pinned = mm_pinned_vm(mm);
		key = (__u64)mm;
		if ((locked || pinned) && !bpf_map_lookup_elem(&mms, &key)) {
			__u32 zero = 0;
			struct mla_mm_stat *st =
				bpf_map_lookup_elem(&scratch, &zero);

			if (st) {
				__builtin_memset(st, 0, sizeof(*st));
				stat_identity(st, task);
				st->seen[MLA_LOCKED_VM] = locked;
				st->seen[MLA_PINNED_VM] = pinned;
				st->peak[MLA_LOCKED_VM] = locked;
				st->peak[MLA_PINNED_VM] = pinned;
				st->by_src[MLA_LOCKED_VM][MLA_SRC_PREEXISTING] =
					locked;
				st->by_src[MLA_PINNED_VM][MLA_SRC_PREEXISTING] =
					pinned;
				st->flags = MLA_MM_SEEDED;
				if (!map_insert(&mms, &key, st,
						&stats.dropped_mms))
					hint_add(key, 1);
			}
		}
	}
	uid = task_uid(task);
	v[0] = user_locked_vm(BPF_CORE_READ(task, cred, user));
	v[1] = task_shm_locked(task);
	if ((v[0] || v[1]) && !bpf_map_lookup_elem(&users, &uid)) {
		struct mla_user_stat us = {};

		for (int i = 0; i < MLA_NR_USER_COUNTERS; i++) {
			us.seen[i] = v[i];
			us.peak[i] = v[i];
			us.by_src[i][MLA_SRC_PREEXISTING] = v[i];
		}
		map_insert(&users, &uid, &us, &stats.dropped_users);
	}
	return 0;
}
