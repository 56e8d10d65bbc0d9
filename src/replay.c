// SPDX-License-Identifier: GPL-2.0
/*
 * The model to and from a record file: what report -i needs besides the
 * events, the facts the frontend learnt from /proc and the start-up walk.
 */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "rangeset.h"
#include "replay.h"
#include "vm.h"

struct range_ctx {
	struct record_writer *w;
	__u64 mm_id;
	__u32 pinned;
};

static void put_range(uint64_t start, uint64_t end, void *arg)
{
	struct range_ctx *c = arg;
	struct mla_rec_range r = { .mm_id = c->mm_id, .start = start,
				   .end = end, .pinned = c->pinned };

	record_put(c->w, MLA_REC_RANGE, &r, sizeof(r));
}

static void dump_inst(struct record_writer *w, const struct mla_inst *inst)
{
	struct mla_rec_inst ri = { .mm_id = inst->id, .flags = inst->flags };
	struct range_ctx rc = { w, inst->id, 0 };
	struct mla_mapping **maps;
	size_t n;

	memcpy(ri.base, inst->base, sizeof(ri.base));
	memcpy(ri.inferred, inst->inferred, sizeof(ri.inferred));
	record_put(w, MLA_REC_INST, &ri, sizeof(ri));
	rangeset_foreach(inst->locked, put_range, &rc);
	rc.pinned = 1;
	rangeset_foreach(inst->pinned, put_range, &rc);
	n = inst_mappings(inst, &maps);
	for (size_t i = 0; i < n; i++) {
		struct mla_rec_mapping rm = {
			.mm_id = inst->id,
			.obj = maps[i]->obj,
			.iova = maps[i]->iova,
			.vaddr = maps[i]->vaddr,
			.size = maps[i]->size,
			.charged = maps[i]->charged,
			.lock_cap = maps[i]->lock_cap,
			.device = maps[i]->device,
		};

		record_put(w, MLA_REC_MAPPING, &rm, sizeof(rm));
	}
	free(maps);
}

static void dump_proc(struct record_writer *w, const struct mla_proc *p)
{
	struct mla_rec_proc rp = {
		.start_ns = p->start_ns, .tgid = p->tgid,
		.limit_soft = p->limit_soft, .limit_hard = p->limit_hard,
		.vfio_groups = p->vfio_groups,
	};

	rp.flags = (p->limit_known ? MLA_RP_LIMIT : 0) |
		   (p->cap_known ? MLA_RP_CAP_KNOWN : 0) |
		   (p->cap_ipc_lock ? MLA_RP_CAP : 0) |
		   (p->reconciled ? MLA_RP_RECONCILED : 0) |
		   (p->exited ? MLA_RP_EXITED : 0) | (p->vm ? MLA_RP_VM : 0) |
		   (p->in_tree ? MLA_RP_TREE : 0);
	memcpy(rp.kernel, p->kernel, sizeof(rp.kernel));
	if (p->vm) {
		rp.vmm = p->vm->vmm;
		rp.ram_kib = p->vm->ram_kib;
		rp.nvfio = p->vm->nvfio;
		rp.nnvme = p->vm->nnvme;
		rp.nvdpa = p->vm->nvdpa;
		rp.vflags = (p->vm->viommu ? 1 : 0) | (p->vm->mem_locked ? 2 : 0);
		memcpy(rp.vm_name, p->vm->name, sizeof(rp.vm_name));
	}
	record_put(w, MLA_REC_PROC, &rp, sizeof(rp));
	for (const struct mla_inst *i = p->newest; i; i = i->older)
		dump_inst(w, i);
}

void replay_dump(struct mla_model *m, struct record_writer *w)
{
	struct mla_proc **pv;
	size_t n = model_procs(m, &pv);

	for (size_t i = 0; i < n; i++)
		dump_proc(w, pv[i]);
	free(pv);
}

/* ---- loading --------------------------------------------------------------- */

struct load_ctx {
	struct mla_model *m;
	struct run_stats *rs;
	struct mla_rec_end end;
	bool have_end;
	uint64_t events;
};

static void load_proc(struct mla_model *m, const struct mla_rec_proc *rp)
{
	struct mla_proc *p = model_proc(m, rp->tgid, rp->start_ns, true);

	if (!p)
		return;
	p->limit_known = rp->flags & MLA_RP_LIMIT;
	p->limit_soft = rp->limit_soft;
	p->limit_hard = rp->limit_hard;
	p->cap_known = rp->flags & MLA_RP_CAP_KNOWN;
	p->cap_ipc_lock = rp->flags & MLA_RP_CAP;
	p->exited = rp->flags & MLA_RP_EXITED;
	p->in_tree = rp->flags & MLA_RP_TREE;
	p->vfio_groups = rp->vfio_groups;
	if (rp->flags & MLA_RP_RECONCILED) {
		uint64_t kernel[MLA_NR_MM_COUNTERS] = { rp->kernel[0],
							rp->kernel[1] };

		model_reconcile(p, kernel);
	}
	if ((rp->flags & MLA_RP_VM) && !p->vm) {
		p->vm = calloc(1, sizeof(*p->vm));
		if (p->vm) {
			p->vm->vmm = rp->vmm <= VMM_FIRECRACKER ? rp->vmm : VMM_NONE;
			p->vm->ram_kib = rp->ram_kib;
			p->vm->nvfio = rp->nvfio;
			p->vm->nnvme = rp->nnvme;
			p->vm->nvdpa = rp->nvdpa;
			p->vm->viommu = rp->vflags & 1;
			p->vm->mem_locked = rp->vflags & 2;
			memcpy(p->vm->name, rp->vm_name, sizeof(p->vm->name));
			p->vm->name[sizeof(p->vm->name) - 1] = '\0';
		}
	}
	p->vm_checked = true;
}

static void load_inst(struct mla_model *m, const struct mla_rec_inst *ri)
{
	struct mla_inst *inst = model_inst(m, ri->mm_id);

	if (!inst)
		return;
	memcpy(inst->base, ri->base, sizeof(inst->base));
	memcpy(inst->inferred, ri->inferred, sizeof(inst->inferred));
	inst->flags = ri->flags;
	/* the ranges and mappings that follow are the final ones */
	rangeset_clear(inst->locked);
	rangeset_clear(inst->pinned);
	model_clear_mappings(inst);
}

static void load_record(void *arg, int type, const void *payload)
{
	struct load_ctx *c = arg;
	struct mla_inst *inst;

	switch (type) {
	case MLA_REC_EVENT:
		model_apply_event(c->m, payload);
		c->events++;
		break;
	case MLA_REC_MM:
		model_sync_mm(c->m, payload);
		break;
	case MLA_REC_USER: {
		const struct mla_rec_user *ru = payload;

		model_sync_user(c->m, ru->uid, &ru->us);
		break;
	}
	case MLA_REC_PROC:
		load_proc(c->m, payload);
		break;
	case MLA_REC_INST:
		load_inst(c->m, payload);
		break;
	case MLA_REC_RANGE: {
		const struct mla_rec_range *r = payload;

		inst = model_inst(c->m, r->mm_id);
		if (inst && r->start < r->end)
			rangeset_add(r->pinned ? inst->pinned : inst->locked,
				     r->start, r->end);
		break;
	}
	case MLA_REC_MAPPING: {
		const struct mla_rec_mapping *rm = payload;

		inst = model_inst(c->m, rm->mm_id);
		if (inst)
			model_add_mapping(inst, rm->obj, rm->iova, rm->vaddr,
					  rm->size, rm->charged, rm->lock_cap,
					  rm->device);
		break;
	}
	case MLA_REC_END:
		memcpy(&c->end, payload, sizeof(c->end));
		c->have_end = true;
		break;
	}
}

int replay_load(const char *path, struct mla_model *m, struct run_stats *rs,
		unsigned int *page_size, uint64_t *events, bool *tree_only,
		char *why, size_t whylen)
{
	struct load_ctx c = { .m = m, .rs = rs };
	struct record_reader r = { .record = load_record, .ctx = &c };
	struct record_header hdr;
	int err = record_read(path, &r, &hdr, why, whylen);

	if (err)
		return err;
	*page_size = hdr.page_size;
	*events = c.events;
	memset(rs, 0, sizeof(*rs));
	if (c.have_end) {
		rs->lost_events = c.end.stats.lost_events;
		rs->dropped_mms = c.end.stats.dropped_mms;
		rs->dropped_dead = c.end.stats.dropped_dead;
		rs->dropped_users = c.end.stats.dropped_users;
		rs->busy = c.end.stats.busy;
		rs->walk_lost = c.end.stats.walk_lost;
		rs->events = c.end.stats.events;
		rs->duration_ns = c.end.duration_ns;
		rs->tier = c.end.precise ? "precise" : "portable";
		*tree_only = c.end.tree_only;
	} else {
		rs->tier = "unknown";
	}
	return 0;
}
