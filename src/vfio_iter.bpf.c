// SPDX-License-Identifier: GPL-2.0
/*
 * The VFIO mappings that exist when the tool starts: a task_file iterator
 * finds every open VFIO container (/dev/vfio/vfio, by its file_operations),
 * and walks its type1 IOMMU's tree of DMA mappings, writing one
 * struct mla_vfio_map per mapping to the walk_out ring buffer (a container
 * can hold 65535 mappings, more than the iterator's own output buffer),
 * and one byte per container to the iterator's output, so the frontend's
 * read() returns, and it drains the ring, after each container.
 *
 * The types are private to the vfio and vfio_iommu_type1 modules, so they
 * are declared here with only the fields read, and resolved through the
 * modules' BTF. The walk does not take the IOMMU's lock: a map or unmap
 * racing with it may be missed; the resync and the events cover it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "observe.bpf.h"

/* kallsyms addresses, set by the frontend before load */
const volatile __u64 vfio_fops_addr = 0;
const volatile __u64 type1_ops_addr = 0;

#define MLA_MAX_DMA_WALK 65536

/* Sized by the frontend: 8 MiB holds a container of 65535 mappings. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} walk_out SEC(".maps");

/* drivers/vfio/container.c */
struct vfio_container___mla {
	struct vfio_iommu_driver___mla *iommu_driver;
	void *iommu_data;
} __attribute__((preserve_access_index));

struct vfio_iommu_driver___mla {
	const void *ops;
} __attribute__((preserve_access_index));

/* drivers/vfio/vfio_iommu_type1.c */
struct vfio_iommu___mla {
	struct rb_root dma_list;
} __attribute__((preserve_access_index));

struct vfio_dma___iter {
	struct rb_node node;
	__u64 iova;
	unsigned long vaddr;
	__u64 size;
	bool lock_cap;
	struct task_struct *task;
	struct mm_struct *mm;	/* 6.1.20+ */
	__u64 locked_vm;	/* 6.1.20+: pages this dma charged */
} __attribute__((preserve_access_index));

struct walk {
	struct rb_node *node;
	struct mla_vfio_map rec;
	__u64 lost;
};

static __always_inline struct rb_node *rb_parent(struct rb_node *n)
{
	return (void *)(BPF_CORE_READ(n, __rb_parent_color) & ~3UL);
}

/* In-order successor; a tree of 65536 nodes is at most 32 levels deep. */
static __always_inline struct rb_node *rb_next(struct rb_node *n)
{
	struct rb_node *next = BPF_CORE_READ(n, rb_right), *parent;

	if (next) {
		for (int d = 0; d < 64; d++) {
			struct rb_node *l = BPF_CORE_READ(next, rb_left);

			if (!l)
				break;
			next = l;
		}
		return next;
	}
	parent = rb_parent(n);
	for (int d = 0; d < 64 && parent; d++) {
		if (BPF_CORE_READ(parent, rb_right) != n)
			break;
		n = parent;
		parent = rb_parent(n);
	}
	return parent;
}

static long walk_step(__u32 i, struct walk *w)
{
	struct vfio_dma___iter *dma = (void *)w->node;

	if (!dma)
		return 1;
	w->rec.dma = (__u64)dma;
	w->rec.iova = BPF_CORE_READ(dma, iova);
	w->rec.vaddr = BPF_CORE_READ(dma, vaddr);
	w->rec.size = BPF_CORE_READ(dma, size);
	w->rec.lock_cap = BPF_CORE_READ(dma, lock_cap);
	/* before 6.1.20 the group leader's mm, and no per-dma count */
	if (bpf_core_field_exists(dma->mm)) {
		w->rec.mm = (__u64)BPF_CORE_READ(dma, mm);
		w->rec.locked = BPF_CORE_READ(dma, locked_vm);
	} else {
		w->rec.mm = (__u64)BPF_CORE_READ(dma, task, mm);
		w->rec.locked = w->rec.size >> MLA_PAGE_SHIFT;
	}
	if (bpf_ringbuf_output(&walk_out, &w->rec, sizeof(w->rec), 0))
		w->lost++;
	w->node = rb_next(w->node);
	return 0;
}

SEC("iter/task_file")
int vfio_maps(struct bpf_iter__task_file *ctx)
{
	struct file *file = ctx->file;
	struct task_struct *task = ctx->task;
	struct vfio_container___mla *c;
	struct vfio_iommu___mla *iommu;
	struct walk w = {};
	struct rb_node *n;

	if (!bpf_core_type_exists(struct vfio_container___mla) ||
	    !bpf_core_type_exists(struct vfio_iommu___mla) || !file || !task ||
	    !vfio_fops_addr)
		return 0;
	if ((__u64)BPF_CORE_READ(file, f_op) != vfio_fops_addr)
		return 0;
	c = (void *)BPF_CORE_READ(file, private_data);
	/* only the type1 IOMMU keeps this tree */
	if ((__u64)BPF_CORE_READ(c, iommu_driver, ops) != type1_ops_addr)
		return 0;
	iommu = BPF_CORE_READ(c, iommu_data);
	n = BPF_CORE_READ(iommu, dma_list.rb_node);
	/* the leftmost node: the first mapping by IOVA */
	for (int d = 0; d < 64 && n; d++) {
		struct rb_node *l = BPF_CORE_READ(n, rb_left);

		if (!l)
			break;
		n = l;
	}
	w.node = n;
	w.rec.container = (__u64)file;
	w.rec.tgid = BPF_CORE_READ(task, tgid);
	w.rec.start_ns = task_start_ns(task);
	bpf_loop(MLA_MAX_DMA_WALK, walk_step, &w, 0);
	stats.walk_lost += w.lost;
	/* one byte: read() returns, and the frontend drains walk_out */
	bpf_seq_write(ctx->meta->seq, &w.lost, 1);
	return 0;
}
