// SPDX-License-Identifier: GPL-2.0
/*
 * Precise tier, VFIO type1 (module vfio_iommu_type1): vfio_lock_acct,
 * mm_lock_acct and vfio_pin_pages_remote's pre-check, which give each
 * charge its dma and explain a refused map. See precise.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "precise.bpf.h"

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
	struct mm_struct *
		mm; /* 6.1.20+ ("vfio/type1: prevent underflow of locked_vm via exec()") */
} __attribute__((preserve_access_index));

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
	/* dma->size grows as runs are mapped: the map's is what it asked */
	k->ctx[2] = k->pin_ctx[2] + (k->pin_npage << MLA_PAGE_SHIFT);
	precise_failure(k, MLA_LOCKED_VM, ret, k->pin_locked, k->pin_npage,
			k->pin_limit, true);
}

/* Called by sys_exit_ioctl (portable_pin.bpf.c) for every VFIO ioctl. */
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
