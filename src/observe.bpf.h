/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Snapshot-and-diff accounting shared by both tiers: the cause of a change,
 * event helpers, and the entry points that observe.bpf.c implements.
 *
 * Each tracked mm (and uid) remembers the counter values it was last seen
 * with. An observation reads the kernel's counters, charges the difference
 * to a source and a cause, and remembers the new values. Observing twice is
 * harmless, so every hook can simply observe: the sum of the deltas always
 * equals the kernel's counter, whatever order the hooks fire in.
 */
#ifndef MLA_OBSERVE_BPF_H
#define MLA_OBSERVE_BPF_H

#include "maps.bpf.h"
#include "core_fixes.bpf.h"
#include "syscall_nrs.h"

/* errno values: the BPF side has no libc headers */
#define MLA_EPERM 1
#define MLA_EAGAIN 11
#define MLA_ENOMEM 12
#define MLA_EBUSY 16
#define MLA_ENOSPC 28
#define MLA_ENOSYS 38
/* a syscall returning an address fails with -1 .. -MLA_MAX_ERRNO */
#define MLA_MAX_ERRNO 4095

struct mla_cause {
	__u8 kind;   /* enum mla_cause_kind */
	__u8 source; /* valid when has_source */
	__u8 has_source;
	/* args[] not read yet: an event reads them from current's registers */
	__u8 args_lazy;
	__u32 nr;
	__u32 flags;
	__u64 cmd;
	__u64 args[4];
	__u64 ctx[3];
	__u64 obj; /* struct vfio_dma * (precise) or the container's file */
};

/*
 * An mm and its counters, read by the caller with plain loads through a
 * BTF pointer (a write lock being released, an fexit). The mm is passed in
 * memory because a BTF pointer cannot be hashed: in memory it is a plain
 * number.
 */
struct mla_released {
	__u64 mm;
	__u64 locked;
	__u64 pinned;
};

/*
 * A change of locked_vm that account() keeps back for its caller instead of
 * sending it, when @want (the precise tier sums a VFIO map's runs into one
 * event, in aggregate mode). On the caller's stack: the task's own.
 */
struct mla_kept {
	__s64 delta;
	__u64 value;
	__u32 want;
	__u32 valid;
};

/* The pages [addr, addr + len) spans: what a pinning charges. */
static __always_inline __u64 span_pages(__u64 addr, __u64 len)
{
	__u64 start = addr & ~(MLA_PAGE_SIZE - 1);
	__u64 end = (addr + len + MLA_PAGE_SIZE - 1) & ~(MLA_PAGE_SIZE - 1);

	return (end - start) >> MLA_PAGE_SHIFT;
}

/*
 * BTF-typed arguments (fexit, and raw_tp on recent kernels) are trusted
 * pointers, on which the verifier forbids the arithmetic done to map keys;
 * a copy through the stack turns one into a plain number.
 */
static __always_inline void *as_number(void *p)
{
	void *copy = p, *out = NULL;

	bpf_probe_read_kernel(&out, sizeof(out), &copy);
	return out;
}

static __always_inline void stat_inc(__u64 *field)
{
	__sync_fetch_and_add(field, 1);
}

/*
 * Insert a new entry. EEXIST means another CPU made it first, EBUSY that the
 * bucket was locked by a program this one interrupted (the next observation
 * makes the entry). Anything else is tried once more, then counted as lost,
 * with its errno kept for the frontend's warning: a full map says E2BIG,
 * but a 6.1 guest once lost one insert into a nearly empty map.
 */
static __always_inline long map_insert(void *map, const void *key,
				       const void *val, __u64 *dropped)
{
	/*
	 * int, not long: before 6.4 ("bpf: return long from bpf_map_ops
	 * funcs") the verifier's direct call of the map's update returned an
	 * int whose upper 32 bits are not its sign, so 6.1 saw -EEXIST as
	 * 4294967279 and counted a racing insert as a lost one (errno 17)
	 */
	int err = bpf_map_update_elem(map, key, val, BPF_NOEXIST);

	if (err && err != -17 /* EEXIST */ && err != -16 /* EBUSY */)
		err = bpf_map_update_elem(map, key, val, BPF_NOEXIST);
	if (!err || err == -17)
		return err;
	if (err == -16) {
		stat_inc(&stats.busy);
	} else {
		stat_inc(dropped);
		drop_errno = -err;
	}
	return err;
}

static __always_inline __u32 hint_slot(__u64 mm)
{
	/* mm_structs are slab objects; mix the address before masking */
	return ((mm * 0x9E3779B97F4A7C15ULL) >> 52) & (MLA_HINT_SLOTS - 1);
}

static __always_inline void hint_add(__u64 mm, int v)
{
	__u32 slot = hint_slot(mm);
	__u32 *n = bpf_map_lookup_elem(&mm_hint, &slot);

	if (n)
		__sync_fetch_and_add(n, v);
}

/* Cheap test before any hash work: can this mm have an entry? */
static __always_inline bool hint_maybe_tracked(__u64 mm)
{
	__u32 slot = hint_slot(mm);
	__u32 *n = bpf_map_lookup_elem(&mm_hint, &slot);

	return n && *n;
}

/*
 * run mode: the tree's start time for the process @tgid started at @start,
 * not for a later one given its recycled pid; NULL if it is not the
 * command's. The command itself is held with start 0 until its exec (the
 * frontend knows its start in ticks only).
 */
static __always_inline __u64 *tree_entry(__u32 tgid, __u64 start)
{
	__u64 *held = bpf_map_lookup_elem(&tree, &tgid);

	if (held && *held && *held != start)
		return NULL;
	return held;
}

/*
 * run mode: mark a new entry whose process is the command's
 * (MLA_MM_IN_TREE). Every entry made while the command runs is made by
 * mm_stat_create(); the start-up iterator's come before it.
 */
static __always_inline void stat_in_tree(struct mla_mm_stat *st)
{
	if (filter_tree && tree_entry(st->tgid, st->start_ns))
		st->flags |= MLA_MM_IN_TREE;
}

static __always_inline bool event_wanted(__u32 owner_tgid)
{
	__u32 cur_tgid = bpf_get_current_pid_tgid() >> 32;

	if (filter_tree && !bpf_map_lookup_elem(&tree, &owner_tgid))
		return false;
	/* The cgroup test can only ask about current; the frontend re-checks. */
	if (filter_cgroup && cur_tgid == owner_tgid &&
	    bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return false;
	return true;
}

/*
 * An event of @st's mm: its process may have left the tree by now (run:
 * reaped while a VFIO release or a reader of its /proc files still held
 * the mm), which the mark made at its first charge remembers.
 */
static __always_inline bool stat_wanted(const struct mla_mm_stat *st)
{
	return (st->flags & MLA_MM_IN_TREE) || event_wanted(st->tgid);
}

static __always_inline struct task_struct *mm_owner(struct mm_struct *mm)
{
	struct task_struct *cur = (void *)bpf_get_current_task();

	if ((void *)BPF_CORE_READ(cur, mm) == (void *)mm)
		return cur;
	/* mm->owner exists with CONFIG_MEMCG, which every distro enables */
	if (bpf_core_field_exists(mm->owner))
		return BPF_CORE_READ(mm, owner);
	return NULL;
}

/* Fill the identity of a new entry from its owner task. */
static __always_inline void stat_identity(struct mla_mm_stat *st,
					  struct task_struct *owner)
{
	st->id = __sync_fetch_and_add(&stats.next_id, 1) + 1;
	st->first_ns = bpf_ktime_get_boot_ns();
	if (!owner)
		return;
	st->tgid = BPF_CORE_READ(owner, tgid);
	st->start_ns = task_start_ns(owner);
	st->uid = task_uid(owner);
	bpf_probe_read_kernel_str(st->comm, sizeof(st->comm),
				  BPF_CORE_READ(owner, group_leader, comm));
}

static __always_inline __u32 ioctl_source(__u64 cmd)
{
	__u32 type = (cmd >> 8) & 0xff, nr = cmd & 0xff;

	switch (type) {
	case MLA_IOC_TYPE_VFIO:
		return nr < MLA_IOC_IOMMUFD_BASE ? MLA_SRC_VFIO : MLA_SRC_IOMMUFD;
	case MLA_IOC_TYPE_RDMA:
		return MLA_SRC_RDMA;
	case MLA_IOC_TYPE_VHOST:
	case MLA_IOC_TYPE_VDUSE:
		return MLA_SRC_VDPA;
	}
	return MLA_SRC_OTHER;
}

static __always_inline void cause_regs(struct mla_cause *c,
				       struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	/*
	 * The syscall's arguments where the arch keeps them (libbpf's
	 * PT_REGS_PARMn_SYSCALL: di, si, dx, r10 on x86_64). @task and @regs
	 * are BTF pointers, so these are plain loads, cheaper on the hot path
	 * than a bpf_probe_read_kernel() call each.
	 */
	c->args[0] = PT_REGS_PARM1_SYSCALL(regs);
	c->args[1] = PT_REGS_PARM2_SYSCALL(regs);
	c->args[2] = PT_REGS_PARM3_SYSCALL(regs);
	c->args[3] = PT_REGS_PARM4_SYSCALL(regs);
	if (c->nr == MLA_NR_ioctl || c->nr == MLA_NR_shmctl ||
	    c->nr == MLA_NR_io_uring_register)
		c->cmd = c->args[1];
}

/* Precise tier: the probe that is running in this task, if any. */
static __always_inline bool cause_kctx(struct mla_cause *c)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mla_kctx *k;

	if (!precise)
		return false;
	k = bpf_map_lookup_elem(&kctx, &tid);
	if (!k || (!k->depth && !k->batch)) /* idle: see struct mla_kctx */
		return false;
	c->kind = MLA_CAUSE_KFUNC;
	c->nr = k->kfunc;
	c->source = k->source;
	c->has_source = 1;
	c->flags = k->flags;
	c->ctx[0] = k->ctx[0];
	c->ctx[1] = k->ctx[1];
	c->ctx[2] = k->ctx[2];
	c->obj = k->dma;
	return true;
}

/*
 * What current is doing, seen from inside the kernel: a syscall (x86 keeps
 * ax == -ENOSYS until the syscall returns), a fault, or a kernel thread.
 * @c is zeroed by the caller. The arguments are left for an event to read
 * (args_lazy): the hot path sends none.
 */
static __always_inline void cause_from_current(struct mla_cause *c,
					       struct mm_struct *mm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	bool own;

	if (task->flags & MLA_PF_KTHREAD) {
		c->kind = MLA_CAUSE_KTHREAD;
		cause_kctx(c);
		return;
	}
	own = (void *)task->mm == (void *)mm;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if ((long)regs->ax == -MLA_ENOSYS) {
		c->kind = own ? MLA_CAUSE_SYSCALL : MLA_CAUSE_FOREIGN;
		c->nr = regs->orig_ax;
		c->args_lazy = 1;
		if (c->nr == MLA_NR_ioctl || c->nr == MLA_NR_shmctl ||
		    c->nr == MLA_NR_io_uring_register)
			c->cmd = regs->si;
	} else {
		c->kind = own ? MLA_CAUSE_FAULT : MLA_CAUSE_FOREIGN;
	}
	/*
	 * The mlock family and brk change locked_vm in mm/ alone: no precise
	 * hook's frame can be open under them: no hash lookup for it on
	 * each of their changes (BENCHMARKS.md, workload 1 in the VM).
	 */
	if (c->kind == MLA_CAUSE_SYSCALL &&
	    (c->nr == MLA_NR_mlock || c->nr == MLA_NR_munlock ||
	     c->nr == MLA_NR_mlock2 || c->nr == MLA_NR_mlockall ||
	     c->nr == MLA_NR_munlockall || c->nr == MLA_NR_brk))
		return;
	cause_kctx(c);
}

static __always_inline void cause_syscall(struct mla_cause *c, __u32 nr)
{
	__builtin_memset(c, 0, sizeof(*c));
	c->kind = MLA_CAUSE_SYSCALL;
	c->nr = nr;
	cause_regs(c, bpf_get_current_task_btf());
	cause_kctx(c);
}

static __always_inline struct mla_event *event_new(__u8 type)
{
	struct mla_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_inc(&stats.lost_events);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->pid = (__u32)bpf_get_current_pid_tgid();
	e->cur_tgid = bpf_get_current_pid_tgid() >> 32;
	return e;
}

/*
 * Wake the frontend only when the ring fills past MLA_WAKEUP_BYTES. A
 * wakeup is an irq_work, a self-IPI: microseconds each, far more under
 * virtualisation (an APIC MSR write that exits to the hypervisor: 47% of
 * the mlock loop's profile), and with a frontend that keeps up, every event
 * would send one. One wakeup per crossing is enough, since the frontend
 * drains the ring before it waits again; past half the ring every event
 * wakes it, in case two CPUs crossed at once. It polls every 50 ms anyway.
 */
static __always_inline void event_submit(struct mla_event *e)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 flags = BPF_RB_NO_WAKEUP;

	if ((avail >= MLA_WAKEUP_BYTES &&
	     avail < MLA_WAKEUP_BYTES + 2 * sizeof(*e) + 16) ||
	    avail >= MLA_RINGBUF_BYTES / 2)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/*
 * A refusal wakes the frontend at once: the process often exits right
 * after it (QEMU does), and its command line names its VM only until then.
 */
static __always_inline void event_submit_now(struct mla_event *e)
{
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

static __always_inline void event_cause(struct mla_event *e,
					const struct mla_cause *c)
{
	e->cause = c->kind;
	e->nr = c->nr;
	e->cmd = c->cmd;
	e->flags |= c->flags;
	if (c->args_lazy) {
		struct mla_cause now = { .nr = c->nr };

		cause_regs(&now, bpf_get_current_task_btf());
		__builtin_memcpy(e->args, now.args, sizeof(e->args));
	} else {
		__builtin_memcpy(e->args, c->args, sizeof(e->args));
	}
	__builtin_memcpy(e->ctx, c->ctx, sizeof(e->ctx));
	e->obj = c->obj;
}

static __always_inline void event_owner(struct mla_event *e,
					const struct mla_mm_stat *st)
{
	if (st->flags & MLA_MM_UNSTREAMED)
		e->flags |= MLA_F_UNSTREAMED;
	e->mm_id = st->id;
	e->tgid = st->tgid;
	e->start_ns = st->start_ns;
	e->uid = st->uid;
	__builtin_memcpy(e->comm, st->comm, sizeof(e->comm));
	e->other[MLA_LOCKED_VM] = st->seen[MLA_LOCKED_VM];
	e->other[MLA_PINNED_VM] = st->seen[MLA_PINNED_VM];
}

static __always_inline void event_limit(struct mla_event *e)
{
	current_memlock_rlimit(&e->limit_cur, &e->limit_max);
	e->flags |= MLA_F_HAS_LIMIT;
	if (current_cap_ipc_lock())
		e->flags |= MLA_F_CAP_IPC_LOCK;
}

/* A refused charge: what the refusing check compared, and what was asked. */
struct mla_refusal {
	long ret;
	__u64 value;   /* the counter the check compared, pages */
	__u64 request; /* pages asked for */
	int counter;
	__u8 source;
};

/*
 * observe.bpf.c: global (not static, not hidden) functions, which the
 * verifier checks on their own, once per program.
 */

/* Observe mm @mm; @create: keep an entry even when it holds nothing. */
int mla_observe_mm(__u64 mm, const struct mla_cause *c, int create);
/* Observe the per-user buckets of @task's user (0: current's). */
int mla_observe_user(__u64 task, const struct mla_cause *c);
int mla_emit_failure(const struct mla_cause *c,
			     const struct mla_refusal *r);
/* Send the change summed in @p (struct mla_pending, kctx). */
int mla_emit_pending(const struct mla_pending *p);
/* precise_vfio.bpf.c: an ioctl returns; end its vfio_pin_pages_remote frame. */
int mla_vfio_batch_end(long ret);
/* Observe @r->mm, whose counters the caller read (plain loads, fexit); @kept:
 * see struct mla_kept. */
int mla_observe_mm_read(const struct mla_released *r,
			const struct mla_cause *c, struct mla_kept *kept);
/* Observe an mm whose mmap write lock is released, if it holds or held any. */
int mla_observe_released(const struct mla_released *r);

static __always_inline void observe_mm(struct mm_struct *mm,
				       const struct mla_cause *c, bool create)
{
	mla_observe_mm((__u64)mm, c, create);
}

static __always_inline void observe_user(const struct mla_cause *c)
{
	mla_observe_user(0, c);
}

#endif /* MLA_OBSERVE_BPF_H */
