// SPDX-License-Identifier: GPL-2.0
/*
 * Precise tier, RDMA memory registration (module ib_uverbs, 6.1+):
 * ib_umem_get(device, addr, size, access) pins a user region and charges
 * current->mm->pinned_vm, refusing with ENOMEM when pinned_vm after the
 * add passes RLIMIT_MEMLOCK without CAP_IPC_LOCK; ib_umem_release(umem)
 * gives it back to umem->owning_mm. Both name the region (ctx[1] its
 * address, ctx[2] its size): the model keeps it as pinned, for locked and
 * pinned counted twice. The ioctl exit alone gets the figures, not the
 * region or a refusal's request. See precise.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "precise.bpf.h"

/* only the fields read, from ib_core's BTF (include/rdma/ib_umem.h) */
struct ib_umem___mla {
	struct mm_struct *owning_mm;
	size_t length;
	unsigned long address;
} __attribute__((preserve_access_index));

static __always_inline void umem_enter(__u32 kfunc, __u64 mm, __u64 addr,
				       __u64 size)
{
	struct mla_kctx *k = kctx_enter(kfunc, MLA_SRC_RDMA);

	if (!k)
		return;
	k->mm = mm;
	k->ctx[1] = addr;
	k->ctx[2] = size;
}

static __always_inline void umem_get_exit(long ret)
{
	struct mla_kctx *k = kctx_get();
	struct task_struct *task;
	struct mla_cause c;

	if (!k)
		return;
	task = (void *)bpf_get_current_task();
	if (ret == -MLA_ENOMEM) {
		__u64 cur = 0, max = 0;

		/* the add was taken back: pinned_vm is what it held before */
		task_memlock_rlimit(task, &cur, &max);
		precise_failure(k, MLA_PINNED_VM, ret,
				mm_pinned_vm(BPF_CORE_READ(task, mm)),
				span_pages(k->ctx[1], k->ctx[2]),
				cur >> MLA_PAGE_SHIFT, true);
	} else if (ret >= 0 || ret <= -4096) { /* not an ERR_PTR */
		kctx_cause(&c, k);
		observe_mm(BPF_CORE_READ(task, mm), &c, false);
	}
	kctx_leave(k);
}

/*
 * After the release the mm may be gone (a process's files close after
 * its mm): an mm no longer tracked is not observed (create is false).
 */
static __always_inline void umem_release_exit(void)
{
	struct mla_kctx *k = kctx_get();
	struct mla_cause c;

	if (!k)
		return;
	kctx_cause(&c, k);
	if (k->mm)
		observe_mm((struct mm_struct *)k->mm, &c, false);
	kctx_leave(k);
}

static __always_inline void umem_release_enter(void *umem)
{
	struct ib_umem___mla *u = umem;

	/*
	 * Without ib_core's BTF (not loaded when we load: a late kprobe, or
	 * features --verify) the reads would not relocate: the frame names
	 * no mm, and the ioctl exit sees the release
	 */
	if (!bpf_core_type_exists(struct ib_umem___mla)) {
		umem_enter(MLA_KF_IB_UMEM_RELEASE, 0, 0, 0);
		return;
	}
	umem_enter(MLA_KF_IB_UMEM_RELEASE, (__u64)BPF_CORE_READ(u, owning_mm),
		   BPF_CORE_READ(u, address), BPF_CORE_READ(u, length));
}

SEC("kprobe/ib_umem_get")
int BPF_KPROBE(kprobe_ib_umem_get, void *device, unsigned long addr,
	       size_t size)
{
	umem_enter(MLA_KF_IB_UMEM, 0, addr, size);
	return 0;
}

SEC("kretprobe/ib_umem_get")
int BPF_KRETPROBE(kretprobe_ib_umem_get, long ret)
{
	umem_get_exit(ret);
	return 0;
}

SEC("fentry/ib_umem_get")
int BPF_PROG(fentry_ib_umem_get, void *device, unsigned long addr,
	     size_t size)
{
	umem_enter(MLA_KF_IB_UMEM, 0, addr, size);
	return 0;
}

SEC("fexit/ib_umem_get")
int BPF_PROG(fexit_ib_umem_get, void *device, unsigned long addr, size_t size,
	     int access, void *ret)
{
	/* a BTF pointer (struct ib_umem *): a number, to compare and send */
	umem_get_exit((long)as_number(ret));
	return 0;
}

SEC("kprobe/ib_umem_release")
int BPF_KPROBE(kprobe_ib_umem_release, void *umem)
{
	umem_release_enter(umem); /* NULL: reads 0, the exit sees no mm */
	return 0;
}

SEC("kretprobe/ib_umem_release")
int BPF_KRETPROBE(kretprobe_ib_umem_release)
{
	umem_release_exit();
	return 0;
}

SEC("fentry/ib_umem_release")
int BPF_PROG(fentry_ib_umem_release, void *umem)
{
	umem_release_enter(umem); /* NULL: reads 0, the exit sees no mm */
	return 0;
}

SEC("fexit/ib_umem_release")
int BPF_PROG(fexit_ib_umem_release)
{
	umem_release_exit();
	return 0;
}
