// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshot-and-diff accounting, shared by both tiers (see observe.bpf.h).
 *
 * The entry points are global BPF functions: the verifier checks each once
 * per program instead of once per call site, which keeps loading fast.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* the maps and globals of the whole skeleton are defined here */
#define MLA_OWNER
#include "observe.bpf.h"

/* one license for the linked object (bpftool gen object) */
char LICENSE[] SEC("license") = "GPL";

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

	if (!st)
		return NULL;
	__builtin_memset(st, 0, sizeof(*st));
	owner = mm_owner(mm);
	stat_identity(st, owner);
	stat_in_tree(st);
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
	if (!map_insert(&mms, &key, st, &stats.dropped_mms))
		hint_add(key, 1);
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

static __always_inline void emit_change(struct mla_mm_stat *st,
					const struct mla_cause *c, int counter,
					__u8 source, __s64 delta, __u64 value,
					__u64 seq)
{
	struct mla_event *e;

	if (!stat_wanted(st))
		return;
	e = event_new(MLA_EV_CHANGE);
	if (!e)
		return;
	event_owner(e, st);
	/* this event tells the frontend what the skipped ones did */
	if (e->flags & MLA_F_UNSTREAMED)
		__sync_fetch_and_and(&st->flags, ~MLA_MM_UNSTREAMED);
	event_cause(e, c);
	e->counter = counter;
	e->source = source;
	e->delta = delta;
	e->value = value;
	e->seq = seq;
	if (e->cur_tgid == st->tgid)
		event_limit(e);
	event_submit(e);
}

/* Charge the difference between @value and what @st last saw. */
/*
 * The resync reads counters from outside, without the locks their writers
 * hold: a change it sees may belong to an operation still in progress,
 * whose own hook will observe it in a moment. So a resync takes a change
 * only when an earlier resync pass (not just an earlier task of this pass:
 * a user's bucket is looked at once per task) saw the same value already.
 */
static __always_inline bool resync_wait(const struct mla_cause *c, int i,
					__u64 value, __u64 seen,
					__u64 *pending, __u64 *pass,
					__u32 *flags)
{
	__u32 bit = MLA_PENDING(i);

	/* atomic: a hook may set MLA_MM_UNSTREAMED in the same word */
	if (c->kind != MLA_CAUSE_RESYNC || value == seen) {
		if (*flags & bit)
			__sync_fetch_and_and(flags, ~bit);
		return c->kind == MLA_CAUSE_RESYNC;
	}
	if ((*flags & bit) && *pending == value)
		return *pass == stats.resync_pass; /* wait for the next pass */
	*pending = value;
	*pass = stats.resync_pass;
	if (!(*flags & bit))
		__sync_fetch_and_or(flags, bit);
	return true;
}

/*
 * Aggregate mode: is every page of this mm's locked_vm mlock's (or held
 * before we started, which smaps splits the same way), and its pinned_vm
 * empty? Then its mlock changes need no event: the map holds the totals,
 * and its VM_LOCKED ranges (what double counting needs) are in smaps.
 * This is the hot path of a process that mlocks in a loop.
 */
static __always_inline bool mlock_only(const struct mla_mm_stat *st)
{
	if (st->seen[MLA_PINNED_VM])
		return false;
	for (int i = 0; i < MLA_NR_SOURCES; i++)
		if (i != MLA_SRC_MLOCK && i != MLA_SRC_PREEXISTING &&
		    st->by_src[MLA_LOCKED_VM][i])
			return false;
	return true;
}

/* @kept: NULL, or where a kept-back change of locked_vm goes (want set) */
static __always_inline void account(struct mla_mm_stat *st,
				    const struct mla_cause *c, int counter,
				    __u64 value, struct mla_kept *kept)
{
	__u64 old, seq;
	__s64 delta;
	__u32 src;

	if (counter < 0 || counter >= MLA_NR_MM_COUNTERS)
		return;
	if (resync_wait(c, counter, value, st->seen[counter],
			&st->pending[counter], &st->pending_pass[counter],
			&st->flags))
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
	if (value > st->peak[counter])
		st->peak[counter] = value;
	/*
	 * Kept back: its share of by_src and its seq move when the sum is
	 * sent (mla_emit_pending). A snapshot of the map then holds all of
	 * the summed event or none of it; taken mid-map, it held the runs so
	 * far, and the event's seq, newer, made the model add them again.
	 */
	if (kept && kept->want && counter == MLA_LOCKED_VM) {
		kept->delta = delta;
		kept->value = value;
		kept->valid = 1;
		return;
	}
	__sync_fetch_and_add(&st->by_src[counter][src], delta);
	seq = __sync_fetch_and_add(&st->seq, 1) + 1;
	/* the first change is sent: it names the process and its limit */
	if (aggregate && seq > 1 && counter == MLA_LOCKED_VM &&
	    src == MLA_SRC_MLOCK && c->kind != MLA_CAUSE_RESYNC &&
	    mlock_only(st)) {
		if (!(st->flags & MLA_MM_UNSTREAMED))
			__sync_fetch_and_or(&st->flags, MLA_MM_UNSTREAMED);
		return;
	}
	stat_inc(&stats.events);
	emit_change(st, c, counter, src, delta, value, seq);
}

/*
 * Observe @mm's counters. @create: make an entry even when both are zero
 * (for a process whose only charges are to its user's buckets).
 */
static __always_inline struct mla_mm_stat *
observe_counts(struct mm_struct *mm, struct mla_mm_stat *st,
	       const struct mla_cause *c, bool create, __u64 locked,
	       __u64 pinned, struct mla_kept *kept)
{
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
	account(st, c, MLA_LOCKED_VM, locked, kept);
	account(st, c, MLA_PINNED_VM, pinned, NULL);
	return st;
}

static __always_inline void observe_mm_at(__u64 mm, const struct mla_cause *c,
					  bool create, __u64 locked,
					  __u64 pinned, struct mla_kept *kept)
{
	if (!mm || !c)
		return;
	if (!locked && !pinned && !create && !hint_maybe_tracked(mm))
		return;
	observe_counts((struct mm_struct *)mm, bpf_map_lookup_elem(&mms, &mm),
		       c, create, locked, pinned, kept);
}

int mla_observe_mm(__u64 mm, const struct mla_cause *c, int create)
{
	if (mm)
		observe_mm_at(mm, c, create, mm_locked_vm((void *)mm),
			      mm_pinned_vm((void *)mm), NULL);
	return 0;
}

int mla_observe_mm_read(const struct mla_released *r,
			const struct mla_cause *c, struct mla_kept *kept)
{
	if (r && kept)
		observe_mm_at(r->mm, c, false, r->locked, r->pinned, kept);
	return 0;
}

int mla_emit_pending(const struct mla_pending *p)
{
	struct mla_mm_stat *st;
	struct mla_cause c;
	__u64 key, seq;
	__u32 src;

	if (!p || !p->valid)
		return 0;
	key = p->mm;
	st = bpf_map_lookup_elem(&mms, &key);
	if (!st)
		return 0;
	src = p->source < MLA_NR_SOURCES ? p->source : MLA_SRC_OTHER;
	barrier_var(src);
	__sync_fetch_and_add(&st->by_src[MLA_LOCKED_VM][src], p->delta);
	seq = __sync_fetch_and_add(&st->seq, 1) + 1;
	__builtin_memset(&c, 0, sizeof(c));
	c.kind = MLA_CAUSE_KFUNC;
	c.nr = p->kfunc;
	c.source = p->source;
	c.has_source = 1;
	c.flags = p->flags;
	c.ctx[0] = p->ctx[0];
	c.ctx[1] = p->ctx[1];
	c.ctx[2] = p->ctx[2];
	c.obj = p->dma;
	stat_inc(&stats.events);
	emit_change(st, &c, MLA_LOCKED_VM, src, p->delta, p->value, seq);
	return 0;
}

/*
 * Most write-lock releases of a tracked mm change nothing (an mmap of
 * unlocked memory; a VFIO batch the precise tier has seen already): the
 * cause is worked out only when a counter moved.
 */
int mla_observe_released(const struct mla_released *r)
{
	const __u32 pending = MLA_PENDING(MLA_LOCKED_VM) |
			      MLA_PENDING(MLA_PINNED_VM);
	struct mla_mm_stat *st;
	struct mla_cause c;
	__u64 key;

	if (!r || (!r->locked && !r->pinned && !hint_maybe_tracked(r->mm)))
		return 0;
	key = r->mm;
	st = bpf_map_lookup_elem(&mms, &key);
	if (st && st->seen[MLA_LOCKED_VM] == r->locked &&
	    st->seen[MLA_PINNED_VM] == r->pinned && !(st->flags & pending))
		return 0;
	__builtin_memset(&c, 0, sizeof(c));
	cause_from_current(&c, (struct mm_struct *)r->mm);
	observe_counts((struct mm_struct *)r->mm, st, &c, false, r->locked,
		       r->pinned, NULL);
	return 0;
}

static __always_inline struct mla_user_stat *user_stat_get(__u32 uid,
							   const __u64 *v)
{
	struct mla_user_stat *us = bpf_map_lookup_elem(&users, &uid);
	__u32 zero = 0;
	struct mla_user_stat *fresh;

	if (us)
		return us;
	fresh = bpf_map_lookup_elem(&scratch_user, &zero);
	if (!fresh)
		return NULL;
	__builtin_memset(fresh, 0, sizeof(*fresh));
	/* without the start-up iterator, what is there now predates us */
	if (lazy_baseline) {
		for (int i = 0; i < MLA_NR_USER_COUNTERS; i++) {
			fresh->seen[i] = v[i];
			fresh->peak[i] = v[i];
			fresh->by_src[i][MLA_SRC_PREEXISTING] = v[i];
		}
	}
	map_insert(&users, &uid, fresh, &stats.dropped_users);
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
	event_submit(e);
}

/*
 * Observe the per-user buckets of @task's user (0: current's). The hint
 * array keeps the last values per uid slot so the common "nothing changed"
 * case does no hash lookup.
 */
int mla_observe_user(__u64 task_addr, const struct mla_cause *c)
{
	struct task_struct *task = task_addr ? (void *)task_addr :
					       (void *)bpf_get_current_task();
	__u32 uid = task_uid(task), slot = uid & 1023;
	__u64 v[MLA_NR_USER_COUNTERS];
	struct mla_user_hint *h;
	struct mla_user_stat *us;
	struct mla_mm_stat *proc = NULL;

	v[0] = user_locked_vm(BPF_CORE_READ(task, cred, user));
	v[1] = task_shm_locked(task);
	h = bpf_map_lookup_elem(&user_hint, &slot);
	if (!h || !c)
		return 0;
	if (h->valid && h->uid == uid && h->seen[0] == v[0] &&
	    h->seen[1] == v[1])
		return 0;
	us = bpf_map_lookup_elem(&users, &uid);
	if (!us && !v[0] && !v[1])
		goto out;
	if (!us)
		us = user_stat_get(uid, v);
	if (!us)
		return 0;
	for (int i = 0; i < MLA_NR_USER_COUNTERS; i++) {
		__u64 old, seq = 0, useq;
		__s64 delta;
		__u32 src;

		if (resync_wait(c, i, v[i], us->seen[i], &us->pending[i],
				&us->pending_pass[i], &us->flags))
			continue;
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
		if (!proc && c->kind != MLA_CAUSE_RESYNC) {
			__u64 mm = (__u64)BPF_CORE_READ(task, mm);

			/* a call, not inlined: keeps the verifier's work small */
			mla_observe_mm(mm, c, true);
			proc = bpf_map_lookup_elem(&mms, &mm);
		}
		if (proc) {
			__s64 share;

			__sync_fetch_and_add(&proc->user_by_src[i][src], delta);
			share = __sync_add_and_fetch(&proc->user_total[i], delta);
			if (share > 0 && (__u64)share > proc->user_peak[i])
				proc->user_peak[i] = share;
			seq = __sync_fetch_and_add(&proc->seq, 1) + 1;
		}
		emit_user_change(uid, proc, c, MLA_USER_LOCKED + i, src, delta,
				 v[i], seq, useq);
	}
out:
	/* the hint says "nothing new": only true once all of it is accounted */
	if (us && (us->seen[0] != v[0] || us->seen[1] != v[1])) {
		h->valid = 0;
		return 0;
	}
	h->uid = uid;
	h->seen[0] = v[0];
	h->seen[1] = v[1];
	h->valid = 1;
	return 0;
}

int mla_emit_failure(const struct mla_cause *c,
			     const struct mla_refusal *r)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u64 key = (__u64)mm;
	struct mla_mm_stat *st = bpf_map_lookup_elem(&mms, &key);
	struct mla_event *e;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!c || !r || !event_wanted(tgid))
		return 0;
	e = event_new(MLA_EV_FAILURE);
	if (!e)
		return 0;
	if (st) {
		event_owner(e, st);
		/* not a change: the seq of the last one, which it follows */
		e->seq = st->seq;
	} else {
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
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
	event_submit_now(e);
	return 0;
}
