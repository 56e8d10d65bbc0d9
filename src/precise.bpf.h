/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Precise tier: fentry/fexit, or kprobes where trampolines do not attach,
 * inside the accounting code.
 *
 * Entry probes record in kctx what the task is doing (VFIO, with the dma's
 * iova/vaddr/size and the mm it charges); the portable tier's observations
 * then attribute to it. Return probes observe the charged mm themselves,
 * which may not be current's (VFIO unmaps from another thread, container
 * release), and explain refused charges with the numbers the check used.
 *
 * The frontend turns off, before load, every program whose target this
 * kernel lacks, and attaches the VFIO ones under their real symbol names
 * (vfio_lock_acct is often only vfio_lock_acct.part.0).
 *
 * This header: the per-task probe context and the helpers every precise
 * file shares; each family of kernel sites has its own precise_*.bpf.c.
 */
#ifndef MLA_PRECISE_BPF_H
#define MLA_PRECISE_BPF_H

#include "observe.bpf.h"

/* ---- per-task probe context ------------------------------------------ */

/* A new entry's value: from .rodata, not the programs' 512-byte stack */
static const struct mla_kctx kctx_zero;

static __always_inline struct mla_kctx *kctx_current(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mla_kctx *k = bpf_map_lookup_elem(&kctx, &tid);

	if (k)
		return k;
	bpf_map_update_elem(&kctx, &tid, &kctx_zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&kctx, &tid);
}

static __always_inline struct mla_kctx *kctx_enter(__u32 kfunc, __u8 source)
{
	struct mla_kctx *k = kctx_current();

	if (!k)
		return NULL;
	if (!k->depth && !k->batch) { /* the outermost probe: start afresh */
		__builtin_memset(k, 0, sizeof(*k));
		k->kfunc = kfunc;
		k->source = source;
	} else if (k->source == MLA_SRC_OTHER) {
		/* an inner probe that knows better names the source */
		k->source = source;
	}
	k->depth++;
	return k;
}

static __always_inline struct mla_kctx *kctx_get(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mla_kctx *k = bpf_map_lookup_elem(&kctx, &tid);

	return k && k->depth ? k : NULL;
}

static __always_inline void kctx_leave(struct mla_kctx *k)
{
	if (k && k->depth)
		k->depth--;
}

static __always_inline void kctx_cause(struct mla_cause *c,
				       const struct mla_kctx *k)
{
	__builtin_memset(c, 0, sizeof(*c));
	c->kind = MLA_CAUSE_KFUNC;
	c->nr = k->kfunc;
	c->source = k->source;
	c->has_source = 1;
	c->flags = k->flags;
	c->ctx[0] = k->ctx[0];
	c->ctx[1] = k->ctx[1];
	c->ctx[2] = k->ctx[2];
	c->obj = k->dma;
}

/* Remember that this syscall's refusal is explained, for the portable tier. */
static __always_inline void mark_failed(struct mla_kctx *k)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u8 one = 1;

	if (k)
		k->failed = 1;
	bpf_map_update_elem(&failed_tids, &tid, &one, BPF_ANY);
}

/* ---- aggregate mode: one change event a VFIO map (struct mla_pending) -- */

#define MLA_PEND_MAX_PAGES (1LL << (30 - MLA_PAGE_SHIFT))

static __always_inline void pend_flush(struct mla_kctx *k)
{
	if (!k->pend.valid)
		return;
	mla_emit_pending(&k->pend);
	k->pend.valid = 0;
}

/* Add the change account() kept back in @d for @mm, caused by @c. */
static __always_inline void pend_add(struct mla_kctx *k,
				     const struct mla_cause *c, __u64 mm,
				     const struct mla_kept *d)
{
	struct mla_pending *p = &k->pend;

	if (p->valid && (p->mm != mm || p->dma != c->obj ||
			 (p->delta < 0) != (d->delta < 0)))
		pend_flush(k);
	if (!p->valid) {
		p->mm = mm;
		p->dma = c->obj;
		p->ctx[0] = c->ctx[0];
		p->ctx[1] = c->ctx[1];
		p->ctx[2] = c->ctx[2];
		p->kfunc = c->nr;
		p->flags = c->flags;
		p->source = c->source;
		p->delta = 0;
		p->valid = 1;
	}
	p->delta += d->delta;
	p->value = d->value;
	/*
	 * The model sizes a mapping as ctx[2] + delta pages: make that the end
	 * of the last run, as a run's own event would (a run may have pages
	 * it does not charge: reserved ones, or pinned by an mdev already)
	 */
	if (d->delta > 0 && c->ctx[2] + (d->delta << MLA_PAGE_SHIFT) >=
				    (p->delta << MLA_PAGE_SHIFT))
		p->ctx[2] = c->ctx[2] + (d->delta << MLA_PAGE_SHIFT) -
			    (p->delta << MLA_PAGE_SHIFT);
	/*
	 * by_src waits for the sum: send a GiB at a time, so that the views of
	 * a guest of many GiB, mapping for minutes, trail it by a GiB at most
	 */
	if (p->delta >= MLA_PEND_MAX_PAGES || p->delta <= -MLA_PEND_MAX_PAGES)
		pend_flush(k);
}

static __always_inline void precise_failure(struct mla_kctx *k, int counter,
					    long ret, __u64 value,
					    __u64 request, __u64 limit_pages,
					    bool have_limit)
{
	struct mla_cause c;
	struct mla_event *e;

	if (!k || k->failed)
		return;
	pend_flush(k); /* the charges before the refusal come first */
	kctx_cause(&c, k);
	mark_failed(k);
	if (!event_wanted(bpf_get_current_pid_tgid() >> 32))
		return;
	e = event_new(MLA_EV_FAILURE);
	if (!e)
		return;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	{
		struct task_struct *task = (void *)bpf_get_current_task();
		struct mm_struct *mm = BPF_CORE_READ(task, mm);

		e->tgid = e->cur_tgid;
		e->start_ns = task_start_ns(task);
		e->uid = task_uid(task);
		if (mm) {
			e->other[MLA_LOCKED_VM] = mm_locked_vm(mm);
			e->other[MLA_PINNED_VM] = mm_pinned_vm(mm);
		}
		e->other[MLA_USER_LOCKED] =
			user_locked_vm(BPF_CORE_READ(task, cred, user));
		e->other[MLA_USER_SHM] = task_shm_locked(task);
	}
	event_cause(e, &c);
	event_limit(e);
	if (have_limit)
		e->limit_cur = limit_pages << MLA_PAGE_SHIFT;
	e->counter = counter;
	e->source = k->source;
	e->ret = ret;
	e->value = value;
	e->request = request;
	event_submit_now(e);
}

/*
 * No enclosing probe named the source: vfio_change_dma_owner's charges
 * (its mm_lock_acct is not hooked, see probes.c), iommufd's, FPGA's. The
 * ioctl being served names it, as it does for the portable tier.
 */
static __always_inline __u8 syscall_source(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;

	if (task->flags & MLA_PF_KTHREAD)
		return MLA_SRC_OTHER;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	/* x86 keeps ax == -ENOSYS until the syscall returns */
	if ((long)regs->ax == -MLA_ENOSYS && regs->orig_ax == MLA_NR_ioctl)
		return ioctl_source(regs->si);
	return MLA_SRC_OTHER;
}

/*
 * fexit: @mm is a BTF pointer, so the counters are plain loads (the
 * kretprobe's read_mm() takes two probe reads); in @r the pointer becomes
 * a number.
 */
static __always_inline void read_btf_mm(struct mla_released *r,
					struct mm_struct *mm)
{
	r->mm = (__u64)mm;
	r->locked = mm->locked_vm;
	r->pinned = mm->pinned_vm.counter;
}

static __always_inline void read_mm(struct mla_released *r, __u64 mm)
{
	r->mm = mm;
	r->locked = mm ? mm_locked_vm((void *)mm) : 0;
	r->pinned = mm ? mm_pinned_vm((void *)mm) : 0;
}

/*
 * The return probes of vfio_lock_acct and mm_lock_acct observe the mm only
 * when no __account_locked_vm probe inside them did (it is static inline,
 * or its probe did not attach): one observation per VFIO batch, not three.
 */
static __always_inline void observe_unless_seen(struct mla_kctx *k)
{
	struct mla_cause c;

	if (k->observed || !k->mm)
		return;
	kctx_cause(&c, k);
	observe_mm((struct mm_struct *)k->mm, &c, false);
}

#endif
