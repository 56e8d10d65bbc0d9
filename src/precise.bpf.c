// SPDX-License-Identifier: GPL-2.0
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
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "observe.bpf.h"

#define MLA_ENOMEM 12
#define MLA_PAGE_SHIFT 12

/*
 * struct vfio_dma is private to vfio_iommu_type1.c, so it is only in that
 * module's BTF. The suffix keeps it apart from any vmlinux.h definition;
 * CO-RE ignores it when matching.
 */
struct vfio_dma___mla {
	__u64 iova;
	unsigned long vaddr;
	__u64 size;
	bool lock_cap;
	struct task_struct *task;
	struct mm_struct *mm; /* 6.1.20+ ("vfio/type1: prevent underflow of locked_vm via exec()") */
} __attribute__((preserve_access_index));

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
	event_submit(e);
}

/* ---- vfio_pin_pages_remote's pre-check ---------------------------------- */

/*
 * The ioctl of the batch frame failed with @ret: was it the pre-check? Only
 * if the map could not fit, so an IOMMU mapping that failed is not told as
 * a refusal. Told at the ioctl's exit, when what the map charged before
 * the refusal is uncharged again: the numbers are those before the map.
 */
static __always_inline void pin_refusal(struct mla_kctx *k, long ret)
{
	if (k->failed || (k->pin_flags & MLA_F_LOCK_CAP) ||
	    k->pin_locked + k->pin_npage <= k->pin_limit)
		return;
	/* the map's dma: a rollback's vfio_lock_acct may have named another */
	k->kfunc = MLA_KF_VFIO_PIN_REMOTE;
	k->flags = k->pin_flags;
	k->dma = k->pin_dma;
	k->ctx[0] = k->pin_ctx[0];
	k->ctx[1] = k->pin_ctx[1];
	k->ctx[2] = k->pin_ctx[2];
	precise_failure(k, MLA_LOCKED_VM, ret, k->pin_locked, k->pin_npage,
			k->pin_limit, true);
}

/* Called by sys_exit_ioctl (portable.bpf.c) for every VFIO ioctl. */
int mla_vfio_batch_end(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mla_kctx *k;

	if (!precise)
		return 0;
	k = bpf_map_lookup_elem(&kctx, &tid);
	if (!k || !k->batch)
		return 0;
	pend_flush(k);
	if (ret == -MLA_ENOMEM)
		pin_refusal(k, ret);
	k->batch = 0;
	return 0;
}

/* ---- __account_locked_vm / account_locked_vm (mm/util.c, exported) ----- */

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
 * Shared by the fexit and kretprobe flavours: @r the mm charged and its
 * counters now. @task is whose rlimit applied (VFIO passes dma->task,
 * which may not be current).
 */
static __always_inline void
account_done(struct mla_kctx *k, const struct mla_released *r, __u64 pages,
	     bool inc, struct task_struct *task, bool bypass, long ret)
{
	struct mla_kept kept = {};
	struct mla_cause c;
	__u64 limit_cur = 0, limit_max = 0;

	if (!k)
		return;
	/* in the kctx, so that a refusal's event names it too */
	if (k->source == MLA_SRC_OTHER)
		k->source = syscall_source();
	kctx_cause(&c, k);
	if (ret == -MLA_ENOMEM && inc) {
		if (task)
			task_memlock_rlimit(task, &limit_cur, &limit_max);
		precise_failure(k, MLA_LOCKED_VM, ret, r->locked, pages,
				limit_cur >> MLA_PAGE_SHIFT, task != NULL);
		return;
	}
	if (bypass)
		c.flags |= MLA_F_LOCK_CAP;
	/*
	 * report and top need totals, which the maps hold: a VFIO map's runs
	 * (up to 512 a GiB) make one event, not one each (BENCHMARKS.md,
	 * workload 4)
	 */
	kept.want = aggregate && k->batch;
	mla_observe_mm_read(r, &c, &kept);
	if (kept.valid)
		pend_add(k, &c, r->mm, &kept);
	k->observed = 1;
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

SEC("fexit/__account_locked_vm")
int BPF_PROG(fexit_account_locked_vm_inner, struct mm_struct *mm,
	     unsigned long pages, bool inc, struct task_struct *task,
	     bool bypass_rlim, int ret)
{
	struct mla_kctx *k = kctx_enter(MLA_KF_ACCOUNT_LOCKED_VM, MLA_SRC_OTHER);
	struct mla_released r;

	read_btf_mm(&r, mm);

	/* the task is only read for a refusal: launder it only then */
	account_done(k, &r, pages, inc,
		     ret == -MLA_ENOMEM ? as_number(task) : NULL, bypass_rlim,
		     ret);
	kctx_leave(k);
	return 0;
}

SEC("fexit/account_locked_vm")
int BPF_PROG(fexit_account_locked_vm, struct mm_struct *mm,
	     unsigned long pages, bool inc, int ret)
{
	struct mla_kctx *k = kctx_enter(MLA_KF_ACCOUNT_LOCKED_VM, MLA_SRC_OTHER);
	struct mla_released r;

	read_btf_mm(&r, mm);

	account_done(k, &r, pages, inc, NULL, false, ret);
	kctx_leave(k);
	return 0;
}

SEC("kprobe/__account_locked_vm")
int BPF_KPROBE(kprobe_account_locked_vm_inner, struct mm_struct *mm,
	       unsigned long pages, bool inc, struct task_struct *task,
	       bool bypass_rlim)
{
	struct mla_kctx *k = kctx_enter(MLA_KF_ACCOUNT_LOCKED_VM, MLA_SRC_OTHER);

	if (!k)
		return 0;
	k->acct_mm = (__u64)mm;
	k->acct_pages = pages;
	k->acct_task = (__u64)task;
	k->acct_inc = inc;
	k->acct_bypass = bypass_rlim;
	return 0;
}

SEC("kretprobe/__account_locked_vm")
int BPF_KRETPROBE(kretprobe_account_locked_vm_inner, int ret)
{
	struct mla_kctx *k = kctx_get();
	struct mla_released r;

	if (!k)
		return 0;
	read_mm(&r, k->acct_mm);
	account_done(k, &r, k->acct_pages, k->acct_inc,
		     (struct task_struct *)k->acct_task, k->acct_bypass, ret);
	kctx_leave(k);
	return 0;
}

SEC("kprobe/account_locked_vm")
int BPF_KPROBE(kprobe_account_locked_vm, struct mm_struct *mm,
	       unsigned long pages, bool inc)
{
	struct mla_kctx *k = kctx_enter(MLA_KF_ACCOUNT_LOCKED_VM, MLA_SRC_OTHER);

	if (!k)
		return 0;
	k->acct_mm = (__u64)mm;
	k->acct_pages = pages;
	k->acct_task = 0;
	k->acct_inc = inc;
	k->acct_bypass = 0;
	return 0;
}

SEC("kretprobe/account_locked_vm")
int BPF_KRETPROBE(kretprobe_account_locked_vm, int ret)
{
	struct mla_kctx *k = kctx_get();
	struct mla_released r;

	if (!k)
		return 0;
	read_mm(&r, k->acct_mm);
	account_done(k, &r, k->acct_pages, k->acct_inc, NULL, false, ret);
	kctx_leave(k);
	return 0;
}

/* ---- VFIO type1 (module vfio_iommu_type1) ------------------------------ */

/*
 * A field of the dma: a plain load through the BTF pointer an fentry gets,
 * a probe read through the number a kprobe gets. Plain loads took fentry
 * vfio_pin_pages_remote from 836 to 359 ns a batch in the test VM
 * (BENCHMARKS.md, workload 4). The fentry flavour stores the pointers
 * themselves in the kctx map, which needs CAP_PERFMON (the verifier's
 * allow_ptr_leaks), as loading tracing programs does anyway.
 */
#define DMA_READ(dma, btf, field) \
	((btf) ? (dma)->field : BPF_CORE_READ(dma, field))

/* @btf: @dma_ptr is the fentry's BTF pointer (a compile-time constant) */
static __always_inline void vfio_dma_ctx(struct mla_kctx *k, void *dma_ptr,
					 const bool btf)
{
	struct vfio_dma___mla *dma = dma_ptr;

	/* module BTF missing: no layout, the inner probe still has the mm */
	if (!bpf_core_type_exists(struct vfio_dma___mla) || !dma)
		return;
	/* vfio_lock_acct inside vfio_pin_pages_remote: the same dma */
	if (k->dma == (__u64)dma)
		return;
	k->dma = (__u64)dma;
	k->ctx[0] = DMA_READ(dma, btf, iova);
	k->ctx[1] = DMA_READ(dma, btf, vaddr);
	k->ctx[2] = DMA_READ(dma, btf, size);
	k->flags |= MLA_F_VFIO_CTX;
	if (DMA_READ(dma, btf, lock_cap))
		k->flags |= MLA_F_LOCK_CAP;
	if (bpf_core_field_exists(dma->mm))
		k->mm = (__u64)DMA_READ(dma, btf, mm);
	else /* before 6.1.20: the group leader's mm at the time */
		k->mm = btf ? (__u64)dma->task->mm :
			      (__u64)BPF_CORE_READ(dma, task, mm);
}

/*
 * Each VFIO hook has a kprobe pair and an fentry/fexit pair with the same
 * bodies. The frontend uses the pair where the kernel attaches trampolines
 * and the module's BTF and kallsyms have the function, the kprobes
 * elsewhere or with --kprobes.
 */
static __always_inline void lock_acct_enter(void *dma, bool async,
					    const bool btf)
{
	struct mla_kctx *k = kctx_enter(MLA_KF_VFIO_LOCK_ACCT, MLA_SRC_VFIO);

	if (!k)
		return;
	k->kfunc = MLA_KF_VFIO_LOCK_ACCT;
	k->source = MLA_SRC_VFIO;
	k->observed = 0;
	if (async)
		k->flags |= MLA_F_ASYNC;
	vfio_dma_ctx(k, dma, btf);
}

/* vfio_lock_acct and mm_lock_acct return */
static __always_inline void lock_acct_exit(void)
{
	struct mla_kctx *k = kctx_get();

	if (!k)
		return;
	observe_unless_seen(k);
	kctx_leave(k);
}

static __always_inline void mm_lock_acct_enter(__u64 mm, bool lock_cap)
{
	struct mla_kctx *k = kctx_enter(MLA_KF_MM_LOCK_ACCT, MLA_SRC_VFIO);

	if (!k)
		return;
	k->source = MLA_SRC_VFIO;
	k->mm = mm;
	k->observed = 0;
	if (lock_cap)
		k->flags |= MLA_F_LOCK_CAP;
}

/*
 * vfio_pin_pages_remote(dma, vaddr, npage, pfn_base, limit, batch) pins one
 * physically contiguous run and charges it; it refuses with its own
 * pre-check (locked_vm + pages > @limit, the caller's rlimit in pages)
 * before any accounting call. It runs once per run, up to 512 times a GiB,
 * so it has an entry probe only: a return probe cost 0.35 us a run
 * (BENCHMARKS.md, workload 4). The batch frame it opens stays until the
 * ioctl returns; a refusal is told from it by pin_refusal().
 */
static __always_inline void
pin_remote_enter(void *dma_ptr, long npage, unsigned long limit, const bool btf)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mla_kctx *k;
	bool first;

	/*
	 * Only sys_exit_ioctl closes the frame: a 32-bit (compat) ioctl, which
	 * no syscalls tracepoint sees, gets none (its charges are named
	 * without their dma)
	 */
	if (syscall_source() != MLA_SRC_VFIO)
		return;
	k = kctx_current();
	if (!k)
		return;
	if (!k->batch) { /* the ioctl's first run: a refusal is still to tell */
		__builtin_memset(k, 0, sizeof(*k));
		k->batch = 1;
	}
	first = k->pin_dma != (__u64)dma_ptr;
	k->kfunc = MLA_KF_VFIO_PIN_REMOTE;
	k->source = MLA_SRC_VFIO;
	k->flags = 0;
	k->dma = 0; /* dma->size moved: read it again */
	vfio_dma_ctx(k, dma_ptr, btf);
	if (!first)
		return;
	/*
	 * A refusal is told as the map's: what locked_vm held before it and
	 * all the pages it asked for, whichever run the pre-check stopped.
	 */
	k->pin_dma = (__u64)dma_ptr;
	k->pin_limit = limit;
	k->pin_npage = npage;
	k->pin_locked = task->mm ? task->mm->locked_vm : 0;
	k->pin_flags = k->flags;
	k->pin_ctx[0] = k->ctx[0];
	k->pin_ctx[1] = k->ctx[1];
	k->pin_ctx[2] = k->ctx[2];
}

/* vfio_lock_acct(dma, npage, async); kprobes attach its kallsyms name */
SEC("kprobe")
int BPF_KPROBE(kprobe_vfio_lock_acct, void *dma, long npage, bool async)
{
	lock_acct_enter(dma, async, false);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kretprobe_vfio_lock_acct, int ret)
{
	lock_acct_exit();
	return 0;
}

SEC("fentry/vfio_lock_acct")
int BPF_PROG(fentry_vfio_lock_acct, void *dma, long npage, bool async)
{
	lock_acct_enter(dma, async, true);
	return 0;
}

SEC("fexit/vfio_lock_acct")
int BPF_PROG(fexit_vfio_lock_acct)
{
	lock_acct_exit();
	return 0;
}

/* mm_lock_acct(task, mm, lock_cap, npage): 6.1.20+, also vfio_change_dma_owner */
SEC("kprobe/mm_lock_acct")
int BPF_KPROBE(kprobe_mm_lock_acct, struct task_struct *task,
	       struct mm_struct *mm, bool lock_cap, long npage)
{
	mm_lock_acct_enter((__u64)mm, lock_cap);
	return 0;
}

SEC("kretprobe/mm_lock_acct")
int BPF_KRETPROBE(kretprobe_mm_lock_acct, int ret)
{
	lock_acct_exit();
	return 0;
}

SEC("fentry/mm_lock_acct")
int BPF_PROG(fentry_mm_lock_acct, struct task_struct *task,
	     struct mm_struct *mm, bool lock_cap, long npage)
{
	mm_lock_acct_enter((__u64)mm, lock_cap);
	return 0;
}

SEC("fexit/mm_lock_acct")
int BPF_PROG(fexit_mm_lock_acct)
{
	lock_acct_exit();
	return 0;
}

SEC("kprobe/vfio_pin_pages_remote")
int BPF_KPROBE(kprobe_vfio_pin_pages_remote, void *dma, unsigned long vaddr,
	       long npage, void *pfn_base, unsigned long limit)
{
	pin_remote_enter(dma, npage, limit, false);
	return 0;
}

SEC("fentry/vfio_pin_pages_remote")
int BPF_PROG(fentry_vfio_pin_pages_remote, void *dma, unsigned long vaddr,
	     long npage, void *pfn_base, unsigned long limit)
{
	pin_remote_enter(dma, npage, limit, true);
	return 0;
}

/* ---- SysV SHM_LOCK: user_shm_lock(size, ucounts) returns 1 if allowed ---- */

SEC("kprobe/user_shm_lock")
int BPF_KPROBE(kprobe_user_shm_lock, __u64 size)
{
	struct mla_kctx *k = kctx_enter(MLA_KF_USER_SHM_LOCK, MLA_SRC_SHM);

	if (k)
		k->arg = size;
	return 0;
}

SEC("kretprobe/user_shm_lock")
int BPF_KRETPROBE(kretprobe_user_shm_lock, int allowed)
{
	struct mla_kctx *k = kctx_get();
	struct mla_cause c;

	if (!k)
		return 0;
	kctx_cause(&c, k);
	if (!allowed) {
		struct task_struct *task = (void *)bpf_get_current_task();

		precise_failure(k, MLA_USER_SHM, -MLA_ENOMEM,
				task_shm_locked(task),
				(k->arg + 4095) >> MLA_PAGE_SHIFT, 0, false);
	} else {
		observe_user(&c);
	}
	kctx_leave(k);
	return 0;
}

/* ---- io_uring: __io_account_mem(user, nr_pages), global since 6.1 ------ */

SEC("kprobe/__io_account_mem")
int BPF_KPROBE(kprobe_io_account_mem, struct user_struct *user,
	       unsigned long nr_pages)
{
	struct mla_kctx *k = kctx_enter(MLA_KF_IO_ACCOUNT_MEM, MLA_SRC_IO_URING);

	if (k)
		k->arg = nr_pages;
	return 0;
}

SEC("kretprobe/__io_account_mem")
int BPF_KRETPROBE(kretprobe_io_account_mem, int ret)
{
	struct mla_kctx *k = kctx_get();
	struct mla_cause c;

	if (!k)
		return 0;
	kctx_cause(&c, k);
	if (ret == -MLA_ENOMEM) {
		struct task_struct *task = (void *)bpf_get_current_task();

		precise_failure(k, MLA_USER_LOCKED, ret,
				user_locked_vm(BPF_CORE_READ(task, cred, user)),
				k->arg, 0, false);
	} else {
		observe_user(&c);
	}
	kctx_leave(k);
	return 0;
}
