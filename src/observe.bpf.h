/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Snapshot-and-diff accounting shared by both tiers.
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

#define MLA_ENOSYS 38

struct mla_cause {
	__u8 kind;   /* enum mla_cause_kind */
	__u8 source; /* valid when has_source */
	__u8 has_source;
	__u8 pad;
	__u32 nr;
	__u32 flags;
	__u64 cmd;
	__u64 args[4];
	__u64 ctx[3];
};

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

/*
 * Create the entry of an mm seen for the first time. Its counters start at 0
 * (mm_init zeroes them and the start-up iterator seeded every mm that held
 * anything), unless no iterator ran and the owner predates the tool.
 */
static __always_inline struct mla_mm_stat *
mm_stat_create(struct mm_struct *mm, __u64 locked, __u64 pinned, bool seed)
{
	__u64 key = (__u64)mm;
	__u32 zero = 0;
	struct mla_mm_stat *st = bpf_map_lookup_elem(&scratch, &zero);
	struct task_struct *owner;
	long err;

	if (!st)
		return NULL;
	__builtin_memset(st, 0, sizeof(*st));
	owner = mm_owner(mm);
	stat_identity(st, owner);
	if (!seed && lazy_baseline && owner && st->start_ns < tool_start_ns)
		seed = true;
	if (seed) {
		st->seen[MLA_LOCKED_VM] = locked;
		st->seen[MLA_PINNED_VM] = pinned;
		st->peak[MLA_LOCKED_VM] = locked;
		st->peak[MLA_PINNED_VM] = pinned;
		st->by_src[MLA_LOCKED_VM][MLA_SRC_PREEXISTING] = locked;
		st->by_src[MLA_PINNED_VM][MLA_SRC_PREEXISTING] = pinned;
		st->flags |= MLA_MM_SEEDED;
	}
	err = bpf_map_update_elem(&mms, &key, st, BPF_NOEXIST);
	if (!err)
		hint_add(key, 1);
	else if (err != -17 /* EEXIST: another CPU made it */)
		stat_inc(&stats.dropped_mms);
	return bpf_map_lookup_elem(&mms, &key);
}

/* The source a decrement of unknown origin undoes: the largest holder. */
static __always_inline __u32 largest_holder(const __s64 *row)
{
	__u32 best = MLA_SRC_OTHER;
	__s64 max = 0;

	for (int i = 0; i < MLA_NR_SOURCES; i++) {
		if (row[i] > max) {
			max = row[i];
			best = i;
		}
	}
	return best;
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

/* Which subsystem owns a change of @counter made by @c. */
static __always_inline __u32 source_for(const struct mla_cause *c, int counter,
				       __s64 delta, const __s64 *row)
{
	if (c->has_source)
		return c->source;
	if (c->kind == MLA_CAUSE_SYSCALL || c->kind == MLA_CAUSE_FOREIGN) {
		switch (c->nr) {
		case MLA_NR_mlock:
		case MLA_NR_mlock2:
		case MLA_NR_munlock:
		case MLA_NR_mlockall:
		case MLA_NR_munlockall:
		case MLA_NR_brk:
		case MLA_NR_mremap:
			return MLA_SRC_MLOCK;
		case MLA_NR_mmap:
		case MLA_NR_munmap:
			/* only perf_mmap charges pinned_vm or the user here */
			return counter == MLA_LOCKED_VM ? MLA_SRC_MLOCK
							: MLA_SRC_PERF;
		case MLA_NR_ioctl:
			return ioctl_source(c->cmd);
		case MLA_NR_io_uring_setup:
		case MLA_NR_io_uring_enter:
		case MLA_NR_io_uring_register:
			return MLA_SRC_IO_URING;
		case MLA_NR_shmget:
		case MLA_NR_shmctl:
			return MLA_SRC_SHM;
		}
	}
	if (c->kind == MLA_CAUSE_FAULT && counter == MLA_LOCKED_VM)
		return MLA_SRC_MLOCK; /* a VM_LOCKED stack grew */
	if (delta < 0 && row)
		return largest_holder(row);
	return MLA_SRC_OTHER;
}

static __always_inline void cause_regs(struct mla_cause *c,
				       struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	/* x86_64 syscall arguments: di, si, dx, r10 */
	c->args[0] = BPF_CORE_READ(regs, di);
	c->args[1] = BPF_CORE_READ(regs, si);
	c->args[2] = BPF_CORE_READ(regs, dx);
	c->args[3] = BPF_CORE_READ(regs, r10);
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
	if (!k)
		return false;
	c->kind = MLA_CAUSE_KFUNC;
	c->nr = k->kfunc;
	c->source = k->source;
	c->has_source = 1;
	c->flags = k->flags;
	c->ctx[0] = k->ctx[0];
	c->ctx[1] = k->ctx[1];
	c->ctx[2] = k->ctx[2];
	return true;
}

/*
 * What current is doing, seen from inside the kernel: a syscall (x86 keeps
 * ax == -ENOSYS until the syscall returns), a fault, or a kernel thread.
 */
static __always_inline void cause_from_current(struct mla_cause *c,
					       struct mm_struct *mm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	bool own;

	__builtin_memset(c, 0, sizeof(*c));
	if (BPF_CORE_READ(task, flags) & MLA_PF_KTHREAD) {
		c->kind = MLA_CAUSE_KTHREAD;
		cause_kctx(c);
		return;
	}
	own = (void *)BPF_CORE_READ(task, mm) == (void *)mm;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if ((long)BPF_CORE_READ(regs, ax) == -MLA_ENOSYS) {
		c->kind = own ? MLA_CAUSE_SYSCALL : MLA_CAUSE_FOREIGN;
		c->nr = BPF_CORE_READ(regs, orig_ax);
		cause_regs(c, task);
	} else {
		c->kind = own ? MLA_CAUSE_FAULT : MLA_CAUSE_FOREIGN;
	}
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

static __always_inline void event_cause(struct mla_event *e,
					const struct mla_cause *c)
{
	e->cause = c->kind;
	e->nr = c->nr;
	e->cmd = c->cmd;
	e->flags |= c->flags;
	__builtin_memcpy(e->args, c->args, sizeof(e->args));
	__builtin_memcpy(e->ctx, c->ctx, sizeof(e->ctx));
}

static __always_inline void event_owner(struct mla_event *e,
					const struct mla_mm_stat *st)
{
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
	struct task_struct *task = (void *)bpf_get_current_task();

	task_memlock_rlimit(task, &e->limit_cur, &e->limit_max);
	e->flags |= MLA_F_HAS_LIMIT;
	if (task_cap_ipc_lock(task))
		e->flags |= MLA_F_CAP_IPC_LOCK;
}

static __always_inline void emit_change(const struct mla_mm_stat *st,
					const struct mla_cause *c, int counter,
					__u8 source, __s64 delta, __u64 value,
					__u64 seq)
{
	struct mla_event *e;

	stat_inc(&stats.events);
	if (!event_wanted(st->tgid))
		return;
	e = event_new(MLA_EV_CHANGE);
	if (!e)
		return;
	event_owner(e, st);
	event_cause(e, c);
	e->counter = counter;
	e->source = source;
	e->delta = delta;
	e->value = value;
	e->seq = seq;
	if (e->cur_tgid == st->tgid)
		event_limit(e);
	bpf_ringbuf_submit(e, 0);
}

/* Charge the difference between @value and what @st last saw. */
static __always_inline void account(struct mla_mm_stat *st,
				    const struct mla_cause *c, int counter,
				    __u64 value)
{
	__u64 old;
	__s64 delta;
	__u32 src;

	if (counter < 0 || counter >= MLA_NR_MM_COUNTERS)
		return;
	if (st->seen[counter] == value)
		return;
	old = __sync_lock_test_and_set(&st->seen[counter], value);
	delta = (__s64)(value - old);
	if (!delta)
		return;
	src = source_for(c, counter, delta, st->by_src[counter]);
	if (src >= MLA_NR_SOURCES)
		src = MLA_SRC_OTHER;
	barrier_var(src); /* index with the checked copy, for the verifier */
	__sync_fetch_and_add(&st->by_src[counter][src], delta);
	if (value > st->peak[counter])
		st->peak[counter] = value;
	emit_change(st, c, counter, src, delta, value,
		    __sync_fetch_and_add(&st->seq, 1) + 1);
}

/*
 * Not inlined, like observe_user() and emit_failure(): each has its own
 * stack frame, which keeps every program under the 512-byte stack limit.
 *
 * Observe @mm's counters. @create: make an entry even when both are zero
 * (for a process whose only charges are to its user's buckets).
 */
static __noinline struct mla_mm_stat *
observe_mm(struct mm_struct *mm, const struct mla_cause *c, bool create)
{
	__u64 key = (__u64)mm;
	__u64 locked, pinned;
	struct mla_mm_stat *st;

	if (!mm)
		return NULL;
	locked = mm_locked_vm(mm);
	pinned = mm_pinned_vm(mm);
	if (!locked && !pinned && !create && !hint_maybe_tracked(key))
		return NULL;
	st = bpf_map_lookup_elem(&mms, &key);
	if (!st) {
		if (!locked && !pinned && !create)
			return NULL;
		/*
		 * exit_mmap releases the mmap lock after its tracepoint took
		 * the entry away: a dying mm (no users) is not a new one.
		 */
		if (!BPF_CORE_READ(mm, mm_users.counter))
			return NULL;
		st = mm_stat_create(mm, locked, pinned, false);
		if (!st)
			return NULL;
	}
	account(st, c, MLA_LOCKED_VM, locked);
	account(st, c, MLA_PINNED_VM, pinned);
	return st;
}

static __always_inline struct mla_user_stat *user_stat_get(__u32 uid,
							   const __u64 *v)
{
	struct mla_user_stat *us = bpf_map_lookup_elem(&users, &uid);
	struct mla_user_stat fresh = {};

	if (us)
		return us;
	/* without the start-up iterator, what is there now predates us */
	if (lazy_baseline) {
		for (int i = 0; i < MLA_NR_USER_COUNTERS; i++) {
			fresh.seen[i] = v[i];
			fresh.peak[i] = v[i];
			fresh.by_src[i][MLA_SRC_PREEXISTING] = v[i];
		}
	}
	if (bpf_map_update_elem(&users, &uid, &fresh, BPF_NOEXIST) == -7 /* E2BIG */)
		stat_inc(&stats.dropped_users);
	return bpf_map_lookup_elem(&users, &uid);
}

static __always_inline void emit_user_change(__u32 uid, struct mla_mm_stat *proc,
					     const struct mla_cause *c,
					     int counter, __u8 src,
					     __s64 delta, __u64 value,
					     __u64 seq, __u64 useq)
{
	__u32 tgid = proc ? proc->tgid : bpf_get_current_pid_tgid() >> 32;
	struct mla_event *e;

	stat_inc(&stats.events);
	if (!event_wanted(tgid))
		return;
	e = event_new(MLA_EV_CHANGE);
	if (!e)
		return;
	if (proc)
		event_owner(e, proc);
	else
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->tgid = tgid;
	e->uid = uid;
	event_cause(e, c);
	e->counter = counter;
	e->source = src;
	e->delta = delta;
	e->value = value;
	e->seq = seq;
	e->useq = useq;
	event_limit(e);
	bpf_ringbuf_submit(e, 0);
}

/*
 * Observe the per-user buckets of current's user. The hint array keeps the
 * last values per uid slot so the common "nothing changed" case does no
 * hash lookup.
 */
static __noinline void observe_user(const struct mla_cause *c)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u32 uid = task_uid(task), slot = uid & 1023;
	__u64 v[MLA_NR_USER_COUNTERS];
	struct mla_user_hint *h;
	struct mla_user_stat *us;
	struct mla_mm_stat *proc = NULL;

	v[0] = user_locked_vm(BPF_CORE_READ(task, cred, user));
	v[1] = task_shm_locked(task);
	h = bpf_map_lookup_elem(&user_hint, &slot);
	if (!h)
		return;
	if (h->valid && h->uid == uid && h->seen[0] == v[0] &&
	    h->seen[1] == v[1])
		return;
	us = bpf_map_lookup_elem(&users, &uid);
	if (!us && !v[0] && !v[1])
		goto out;
	if (!us)
		us = user_stat_get(uid, v);
	if (!us)
		return;
	for (int i = 0; i < MLA_NR_USER_COUNTERS; i++) {
		__u64 old, seq = 0, useq;
		__s64 delta;
		__u32 src;

		if (us->seen[i] == v[i])
			continue;
		old = __sync_lock_test_and_set(&us->seen[i], v[i]);
		delta = (__s64)(v[i] - old);
		if (!delta)
			continue;
		src = source_for(c, MLA_USER_LOCKED + i, delta, us->by_src[i]);
		if (src >= MLA_NR_SOURCES)
			src = MLA_SRC_OTHER;
		barrier_var(src);
		__sync_fetch_and_add(&us->by_src[i][src], delta);
		if (v[i] > us->peak[i])
			us->peak[i] = v[i];
		useq = __sync_fetch_and_add(&us->seq, 1) + 1;
		/* the process's own share of its user's bucket */
		if (!proc)
			proc = observe_mm(BPF_CORE_READ(task, mm), c, true);
		if (proc) {
			__s64 share;

			__sync_fetch_and_add(&proc->user_by_src[i][src], delta);
			share = 0;
			for (int s = 0; s < MLA_NR_SOURCES; s++)
				share += proc->user_by_src[i][s];
			if (share > 0 && (__u64)share > proc->user_peak[i])
				proc->user_peak[i] = share;
			seq = __sync_fetch_and_add(&proc->seq, 1) + 1;
		}
		emit_user_change(uid, proc, c, MLA_USER_LOCKED + i, src, delta,
				 v[i], seq, useq);
	}
out:
	h->uid = uid;
	h->seen[0] = v[0];
	h->seen[1] = v[1];
	h->valid = 1;
}

/* A refused charge: what the refusing check compared, and what was asked. */
struct mla_refusal {
	long ret;
	__u64 value;   /* the counter the check compared, pages */
	__u64 request; /* pages asked for */
	int counter;
	__u8 source;
};

static __noinline void emit_failure(const struct mla_cause *c,
				    const struct mla_refusal *r)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u64 key = (__u64)mm;
	struct mla_mm_stat *st = bpf_map_lookup_elem(&mms, &key);
	struct mla_event *e;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!event_wanted(tgid))
		return;
	e = event_new(MLA_EV_FAILURE);
	if (!e)
		return;
	if (st)
		event_owner(e, st);
	else
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->tgid = tgid;
	e->start_ns = task_start_ns(task);
	e->uid = task_uid(task);
	event_cause(e, c);
	event_limit(e);
	if (mm) {
		e->other[MLA_LOCKED_VM] = mm_locked_vm(mm);
		e->other[MLA_PINNED_VM] = mm_pinned_vm(mm);
		if (mm_def_locked(mm))
			e->flags |= MLA_F_DEF_LOCKED;
	}
	e->other[MLA_USER_LOCKED] =
		user_locked_vm(BPF_CORE_READ(task, cred, user));
	e->other[MLA_USER_SHM] = task_shm_locked(task);
	e->counter = r->counter;
	e->source = r->source;
	e->ret = r->ret;
	e->value = r->value;
	e->request = r->request;
	bpf_ringbuf_submit(e, 0);
}

#endif /* MLA_OBSERVE_BPF_H */
