// SPDX-License-Identifier: GPL-2.0
/*
 * The address ranges of each mm in the model: its VM_LOCKED ranges, its
 * pinned buffers and its VFIO DMA mappings, moved by the syscalls that
 * move them, so that double counting (mlocked and mapped) is an overlap of
 * ranges, not a guess.
 */
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"
#include "rangeset.h"
#include "syscall_nrs.h"

static int mapping_cmp(const void *a, const void *b)
{
	const struct mla_mapping *x = a, *y = b;

	if (x->obj != y->obj)
		return x->obj < y->obj ? -1 : 1;
	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

static struct mla_mapping *mapping_find(struct mla_inst *inst, uint64_t obj,
					uint64_t iova)
{
	struct mla_mapping key = { .obj = obj, .iova = iova }, **found;

	found = tfind(&key, &inst->maps, mapping_cmp);
	return found ? *found : NULL;
}

static struct mla_mapping *mapping_add(struct mla_inst *inst, uint64_t obj,
				       uint64_t iova, uint64_t vaddr,
				       uint64_t size)
{
	struct mla_mapping *mp = mapping_find(inst, obj, iova);

	if (mp)
		return mp;
	mp = calloc(1, sizeof(*mp));
	if (!mp)
		return NULL;
	*mp = (struct mla_mapping){
		.obj = obj, .iova = iova, .vaddr = vaddr, .size = size
	};
	if (!tsearch(mp, &inst->maps, mapping_cmp)) {
		free(mp);
		return NULL;
	}
	inst->nmaps++;
	return mp;
}

static void mapping_del(struct mla_inst *inst, struct mla_mapping *mp)
{
	tdelete(mp, &inst->maps, mapping_cmp);
	inst->nmaps--;
	free(mp);
}

struct gather {
	struct mla_mapping **v;
	size_t n, cap;
};

static void gather_node(const void *nodep, VISIT which, void *arg)
{
	struct gather *g = arg;

	if ((which == postorder || which == leaf) && g->n < g->cap)
		g->v[g->n++] = *(struct mla_mapping *const *)nodep;
}

size_t inst_mappings(const struct mla_inst *inst, struct mla_mapping ***out)
{
	struct gather g = { .cap = inst->nmaps };

	*out = NULL;
	if (!inst->nmaps)
		return 0;
	g.v = calloc(inst->nmaps, sizeof(*g.v));
	if (!g.v)
		return 0;
	twalk_r(inst->maps, gather_node, &g);
	*out = g.v;
	return g.n;
}

/* VFIO_IOMMU_UNMAP_DMA of [iova, iova + size) in container @obj. */
static void mapping_unmap(struct mla_inst *inst, uint64_t obj, uint64_t iova,
			  uint64_t size)
{
	struct mla_mapping *mp = mapping_find(inst, obj, iova), **all;
	size_t n;

	/* the common case: exactly one earlier map */
	if (mp && mp->size == size) {
		mapping_del(inst, mp);
		return;
	}
	n = inst_mappings(inst, &all);
	for (size_t i = 0; i < n; i++)
		if (all[i]->obj == obj && all[i]->iova >= iova &&
		    all[i]->iova + all[i]->size <= iova + size)
			mapping_del(inst, all[i]);
	free(all);
}

void model_set_locked(struct mla_inst *inst, const struct mla_range *r,
		      size_t n)
{
	rangeset_clear(inst->locked);
	for (size_t i = 0; i < n; i++)
		rangeset_add(inst->locked, r[i].start, r[i].end);
	inst->flags &= ~MLA_INST_RANGES_STALE;
	inst->flags |= MLA_INST_RANGES_KNOWN;
	inst->ranges_seq = ((struct inst_node *)inst)->seq;
}

void model_ranges_lost(struct mla_inst *inst)
{
	rangeset_clear(inst->locked);
	inst->flags &= ~(MLA_INST_RANGES_STALE | MLA_INST_RANGES_KNOWN);
}

/* The process's current mm, for a range event of a syscall it made. */
static struct mla_inst *range_inst(struct mla_model *m,
				   const struct mla_event *e)
{
	struct mla_inst *inst = e->mm_id ? model_inst(m, e->mm_id) : NULL;

	return inst && !inst->gone ? inst : NULL;
}

static void apply_brk(struct mla_inst *inst, const struct mla_event *e)
{
	uint64_t start = e->ctx[0], end = PAGE_UP(e->ctx[1]);
	uint64_t old = inst->brk_end ? inst->brk_end : PAGE_UP(start);

	if (!(e->flags & MLA_F_DEF_LOCKED))
		return;
	if (end > old)
		rangeset_add(inst->locked, old, end);
	else
		rangeset_remove(inst->locked, end, old);
	inst->brk_end = end;
}

/*
 * A mmap under MCL_FUTURE or MAP_LOCKED. The kernel locks an anonymous one
 * (hugetlb aside); a file's it leaves unlocked when the driver made it
 * VM_SPECIAL (a VFIO BAR: VM_IO | VM_PFNMAP), which the arguments do not
 * say: smaps does, read at once (session.c), as file mappings under
 * MCL_FUTURE are few (libraries, devices).
 */
static void apply_locked_mmap(struct mla_inst *inst, const struct mla_event *e)
{
	/* ret is 32 bits: the address is in value */
	uint64_t start = e->value, end = e->value + PAGE_UP(e->args[1]);

	rangeset_add(inst->locked, start, end);
	if (!(e->args[3] & MLA_MAP_ANONYMOUS) || (e->args[3] & MLA_MAP_HUGETLB))
		inst->flags |= MLA_INST_RANGES_STALE;
}

/*
 * A VFIO map or unmap completed. The precise tier names each charged dma
 * itself; device memory charges nothing, so only this event tells of it,
 * in both tiers (keyed by the container, which no charged dma is).
 */
static void apply_vfio_range(struct mla_model *m, struct mla_inst *inst,
			     const struct mla_event *e)
{
	bool device = e->flags & MLA_F_DEVICE_MEM;
	struct mla_mapping *mp;

	if (e->ret)
		return;
	if (MLA_IOC_TYPENR(e->cmd) == MLA_VFIO_IOMMU_MAP_DMA &&
	    (device || !m->vfio_precise)) {
		mp = mapping_add(inst, e->obj, e->ctx[0], e->ctx[1], e->ctx[2]);
		if (mp)
			mp->device = device;
		if (device)
			inst->flags |= MLA_INST_DEVICE_MAPS;
	} else if (MLA_IOC_TYPENR(e->cmd) == MLA_VFIO_IOMMU_UNMAP_DMA) {
		mapping_unmap(inst, e->obj, e->ctx[0], e->ctx[2]);
	}
}

/*
 * mlock, mlock2 or munlock of [a0, a0 + a1) took effect. Both the change
 * event (which carries the syscall's arguments) and, in records made by
 * earlier versions, a range event at the syscall's exit say so: applying
 * twice is a no-op.
 */
bool model_mlock_range(struct mla_inst *inst, uint32_t nr, uint64_t a0,
		       uint64_t a1)
{
	switch (nr) {
	case MLA_NR_mlock:
	case MLA_NR_mlock2:
		rangeset_add(inst->locked, PAGE_DOWN(a0), PAGE_UP(a0 + a1));
		return true;
	case MLA_NR_munlock:
		rangeset_remove(inst->locked, PAGE_DOWN(a0), PAGE_UP(a0 + a1));
		return true;
	}
	return false;
}

/* A syscall that may move VM_LOCKED ranges or pinned buffers completed. */
void model_apply_range(struct mla_model *m, const struct mla_event *e)
{
	struct mla_inst *inst = range_inst(m, e);
	uint64_t a0 = e->args[0], a1 = e->args[1];

	if (!inst || e->cause != MLA_CAUSE_SYSCALL)
		return;
	if (!e->ret && model_mlock_range(inst, e->nr, a0, a1))
		return;
	switch (e->nr) {
	case MLA_NR_munmap:
		if (!e->ret)
			rangeset_remove(inst->locked, PAGE_DOWN(a0),
					PAGE_UP(a0 + a1));
		break;
	case MLA_NR_mlockall:
		if (!e->ret && (a0 & MLA_MCL_CURRENT))
			inst->flags |= MLA_INST_RANGES_STALE; /* every VMA */
		break;
	case MLA_NR_munlockall:
		if (!e->ret) {
			rangeset_clear(inst->locked);
			inst->flags &=
				~MLA_INST_RANGES_STALE; /* none, for sure */
		}
		break;
	case MLA_NR_mmap:
		if ((e->args[3] & MLA_MAP_LOCKED) ||
		    (e->flags & MLA_F_DEF_LOCKED))
			apply_locked_mmap(inst, e);
		break;
	case MLA_NR_mremap:
		/* a locked area moves (and may grow) with its lock; ret is 32
		 * bits, the new address is in value */
		if (rangeset_overlap(inst->locked, PAGE_DOWN(a0),
				     PAGE_UP(a0 + a1))) {
			rangeset_remove(inst->locked, PAGE_DOWN(a0),
					PAGE_UP(a0 + a1));
			rangeset_add(inst->locked, e->value,
				     e->value + PAGE_UP(e->args[2]));
		}
		break;
	case MLA_NR_brk:
		apply_brk(inst, e);
		break;
	case MLA_NR_ioctl:
		apply_vfio_range(m, inst, e);
		break;
	case MLA_NR_io_uring_register:
		if (e->cmd == MLA_IORING_REGISTER_BUFFERS)
			rangeset_add(inst->pinned, PAGE_DOWN(e->ctx[1]),
				     PAGE_UP(e->ctx[1] + e->ctx[2]));
		else if (e->cmd == MLA_IORING_UNREGISTER_BUFFERS)
			rangeset_clear(inst->pinned);
		break;
	}
}

/*
 * Precise tier: an RDMA region (ib_umem_get, ctx[1] its address, ctx[2]
 * its size) pinned, or given back by ib_umem_release. A set, not a
 * count: two regions over the same pages, one released, leave none.
 */
void model_kfunc_range(struct mla_inst *inst, const struct mla_event *e)
{
	uint64_t a = PAGE_DOWN(e->ctx[1]), b = PAGE_UP(e->ctx[1] + e->ctx[2]);

	if ((e->nr != MLA_KF_IB_UMEM && e->nr != MLA_KF_IB_UMEM_RELEASE) ||
	    e->counter != MLA_PINNED_VM || !e->ctx[2] || b <= a)
		return;
	if (e->delta > 0)
		rangeset_add(inst->pinned, a, b);
	else
		rangeset_remove(inst->pinned, a, b);
}

/* Precise tier: a charge or uncharge of one VFIO dma, named by its pointer. */
void model_vfio_charge(struct mla_inst *inst, const struct mla_event *e)
{
	struct mla_mapping *mp;

	if (!(e->flags & MLA_F_VFIO_CTX) || e->counter != MLA_LOCKED_VM ||
	    !e->obj)
		return;
	mp = mapping_add(inst, e->obj, e->ctx[0], e->ctx[1], e->ctx[2]);
	if (!mp)
		return;
	/*
	 * While VFIO_IOMMU_MAP_DMA pins chunk after chunk, dma->size is what
	 * is mapped so far: this charge covers the next delta pages.
	 */
	if (e->delta > 0 && e->ctx[2] + e->delta * PAGE > mp->size)
		mp->size = e->ctx[2] + e->delta * PAGE;
	mp->charged = sadd(mp->charged, e->delta);
	mp->lock_cap = e->flags & MLA_F_LOCK_CAP;
	if (mp->charged <= 0)
		mapping_del(inst, mp);
}

void model_clear_mappings(struct mla_inst *inst)
{
	tdestroy(inst->maps, free);
	inst->maps = NULL;
	inst->nmaps = 0;
}

void model_add_mapping(struct mla_inst *inst, uint64_t obj, uint64_t iova,
		       uint64_t vaddr, uint64_t size, int64_t charged,
		       bool lock_cap, bool device)
{
	struct mla_mapping *mp = mapping_add(inst, obj, iova, vaddr, size);

	if (mp) {
		mp->charged = charged;
		mp->lock_cap = lock_cap;
		mp->device = device;
	}
	if (device)
		inst->flags |= MLA_INST_DEVICE_MAPS;
}

void model_drop_device(struct mla_inst *inst)
{
	struct mla_mapping **all;
	size_t n = inst_mappings(inst, &all);

	for (size_t i = 0; i < n; i++)
		if (all[i]->device)
			mapping_del(inst, all[i]);
	free(all);
	inst->flags &= ~MLA_INST_DEVICE_MAPS;
}

bool proc_overlap(const struct mla_proc *p, struct overlap_figures *f,
		  bool *ranges_known, bool *lock_cap_maps)
{
	const struct mla_inst *cur = proc_current(p);
	struct mla_mapping **maps;
	struct mla_range *r;
	size_t n, nram = 0;

	memset(f, 0, sizeof(*f));
	*ranges_known = false;
	*lock_cap_maps = false;
	if (!cur)
		return false;
	*ranges_known = cur->flags & MLA_INST_RANGES_KNOWN;
	n = inst_mappings(cur, &maps);
	r = calloc(n ? n : 1, sizeof(*r));
	for (size_t i = 0; r && i < n; i++) {
		if (maps[i]->device)
			continue;
		r[nram++] =
			(struct mla_range){ maps[i]->vaddr,
					    maps[i]->vaddr + maps[i]->size };
		*lock_cap_maps |= maps[i]->lock_cap;
	}
	if (r)
		overlap_compute(cur->locked, r, nram, cur->pinned, f);
	/* device memory is not RAM: apart, and never counted twice */
	for (size_t i = 0; i < n; i++)
		if (maps[i]->device) {
			f->device += maps[i]->size;
			f->device_maps++;
		}
	free(r);
	free(maps);
	return true;
}
