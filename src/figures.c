// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_attr.h"
#include "figures.h"
#include "kube.h"

const char *unit_suffix(enum out_unit u)
{
	return u == UNIT_BYTES ? "B" : u == UNIT_PAGES ? "pages" : "KiB";
}

uint64_t umul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static int64_t smul(int64_t a, int64_t b)
{
	int64_t r;

	if (!__builtin_mul_overflow(a, b, &r))
		return r;
	return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
}

uint64_t in_unit(const struct out_opts *o, uint64_t pages)
{
	switch (o->unit) {
	case UNIT_BYTES:
		return umul(pages, o->page_size);
	case UNIT_PAGES:
		return pages;
	default:
		return umul(pages, o->page_size / 1024);
	}
}

int64_t sin_unit(const struct out_opts *o, int64_t pages)
{
	switch (o->unit) {
	case UNIT_BYTES:
		return smul(pages, o->page_size);
	case UNIT_PAGES:
		return pages;
	default:
		return smul(pages, o->page_size / 1024);
	}
}

uint64_t pages_kib(const struct out_opts *o, uint64_t pages)
{
	return umul(pages, o->page_size / 1024);
}

int64_t spages_kib(const struct out_opts *o, int64_t pages)
{
	return smul(pages, o->page_size / 1024);
}

bool cgroup_contains(const char *path, const char *cg)
{
	size_t plen = strlen(path), cglen;

	if (!cg)
		return false;
	cglen = strlen(cg);
	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	return cglen >= plen && !strncmp(cg, path, plen) &&
	       (cglen == plen || cg[plen] == '/' || plen == 1);
}

bool proc_matches(const struct mla_proc *p, const struct proc_filter *f)
{
	if (f->tree_only && !p->in_tree)
		return false;
	if (f->pid && (int)p->tgid != f->pid)
		return false;
	if (f->comm && strncmp(p->comm, f->comm, strlen(f->comm)))
		return false;
	if (f->cgroup && (p->exited || !cgroup_contains(f->cgroup, p->cgroup)))
		return false;
	if (f->cg_sel &&
	    (p->exited ||
	     !cgroup_attr_matches(p->cg_attr, f->cg_sel, f->cg_value)))
		return false;
	if (f->all || f->tree_only || f->pid || p->nfailures)
		return true;
	for (int c = 0; c < MLA_NR_MM_COUNTERS; c++)
		if (proc_final(p, c) || proc_peak(p, c))
			return true;
	for (int u = 0; u < MLA_NR_USER_COUNTERS; u++)
		if (proc_user_peak(p, u))
			return true;
	return false;
}

int64_t proc_drift(const struct mla_proc *p, int c)
{
	const struct mla_inst *cur = proc_current(p);

	if (p->reconciled)
		return p->drift[c];
	/* exited: the kernel's own value was read at exit_mmap */
	if (cur && cur->gone == MLA_CAUSE_EXIT)
		return (int64_t)(cur->seen[c] - cur->truth[c]);
	return 0;
}

bool proc_checked(const struct mla_proc *p)
{
	return p->reconciled ||
	       (proc_current(p) && proc_current(p)->gone == MLA_CAUSE_EXIT);
}

bool proc_headroom_ratio(const struct mla_proc *p, int counter,
			 unsigned int page_size, double *ratio)
{
	uint64_t held = umul(proc_final(p, counter), page_size);

	if (!p->limit_known || p->limit_soft == UINT64_MAX ||
	    (p->cap_known && p->cap_ipc_lock))
		return false;
	if (!p->limit_soft) /* nothing may be locked: none left */
		*ratio = held ? -1 : 0;
	else
		*ratio = ((double)p->limit_soft - (double)held) /
			 (double)p->limit_soft;
	return true;
}

void proc_view(const struct mla_proc *p, unsigned int page_size,
	       struct proc_view *v)
{
	uint64_t pinned = umul(proc_final(p, MLA_PINNED_VM), page_size);
	int64_t shm = 0;

	memset(v, 0, sizeof(*v));
	v->has = proc_overlap(p, &v->f, &v->ranges_known, &v->vfio_lock_cap);
	for (int s = 0; s < MLA_NR_SOURCES; s++)
		shm = sadd(shm, proc_user_share(p, 1, s));
	/*
	 * Counted once: the union of mlocked and VFIO-mapped ranges, the pinned
	 * pages not in it, and SHM_LOCK segments (io_uring's user charge is
	 * for the same pages as its pinned_vm one).
	 */
	v->unified =
		(v->f.unique_locked + (pinned > v->f.locked_pinned ?
					       pinned - v->f.locked_pinned :
					       0)) /
			page_size +
		(shm > 0 ? shm : 0);
	v->cap = p->cap_known && p->cap_ipc_lock;
	v->limited = p->limit_known && p->limit_soft != UINT64_MAX;
	v->would_exceed = !v->cap && v->limited &&
			  umul(v->unified, page_size) > p->limit_soft;
}

static void vm_add(struct vm_group *v, const struct mla_proc *p,
		   unsigned int page_size)
{
	struct proc_view pview;

	if (!v->main || (p->vm->vmm && !v->main->vm->vmm))
		v->main = p;
	v->nprocs++;
	v->vfio_groups += p->vfio_groups;
	v->locked += proc_final(p, MLA_LOCKED_VM);
	v->peak += proc_peak(p, MLA_LOCKED_VM);
	v->pinned += proc_final(p, MLA_PINNED_VM);
	for (int s = 0; s < MLA_NR_SOURCES; s++)
		v->by_src[s] =
			sadd(v->by_src[s], proc_source(p, MLA_LOCKED_VM, s));
	proc_view(p, page_size, &pview);
	v->f.mlock_vfio += pview.f.mlock_vfio;
	v->f.vfio_vfio += pview.f.vfio_vfio;
	v->f.locked_pinned += pview.f.locked_pinned;
	v->f.unique_locked += pview.f.unique_locked;
	v->f.device += pview.f.device;
	v->f.device_maps += pview.f.device_maps;
}

struct vm_group *vm_groups(struct mla_model *m, const struct proc_filter *flt,
			   unsigned int page_size, size_t *count)
{
	struct mla_proc **pv;
	size_t n = model_procs(m, &pv), ng = 0;
	struct vm_group *g = calloc(n ? n : 1, sizeof(*g));

	for (size_t i = 0; g && i < n; i++) {
		const struct mla_proc *p = pv[i];
		struct vm_group *v = NULL;
		char name[VM_NAME_LEN + 16];

		if (!p->vm || !proc_matches(p, flt))
			continue;
		if (p->vm->name[0])
			snprintf(name, sizeof(name), "%s", p->vm->name);
		else
			snprintf(name, sizeof(name), "(pid %u)", p->tgid);
		for (size_t k = 0; k < ng && !v; k++)
			if (!strcmp(g[k].name, name))
				v = &g[k];
		if (!v) {
			v = &g[ng++];
			snprintf(v->name, sizeof(v->name), "%s", name);
		}
		vm_add(v, p, page_size);
	}
	free(pv);
	*count = ng;
	return g;
}

void vm_limits(const struct vm_group *v, unsigned int page_size,
	       struct vm_limits *l)
{
	const struct mla_proc *p = v->main;
	const struct vm_info *vm = p->vm;
	bool cap = p->cap_known && p->cap_ipc_lock;

	memset(l, 0, sizeof(*l));
	l->known = p->limit_known;
	l->soft_kib = !p->limit_known || p->limit_soft == UINT64_MAX ?
			      UINT64_MAX :
			      p->limit_soft / 1024;
	l->headroom_kib = l->soft_kib == UINT64_MAX ?
				  INT64_MAX :
				  (int64_t)(l->soft_kib -
					    umul(v->locked, page_size / 1024));
	l->libvirt_kib = libvirt_memlock_kib(vm, 0);
	l->libvirt_next_kib = libvirt_memlock_kib(vm, 1);
	/* a device in a new container (vIOMMU) or the first one: all RAM */
	l->next_device_kib = vm->viommu || !vm->nvfio ? vm->ram_kib : 0;
	l->below_libvirt =
		!cap && l->libvirt_kib && l->soft_kib < l->libvirt_kib;
	l->fits_next_device =
		cap || l->headroom_kib >= (int64_t)l->next_device_kib;
}

bool vm_group_vmi(const struct vm_group *g, char *ns, char *name)
{
	const struct cgroup_attr *a = g->main->cg_attr;

	ns[0] = name[0] = '\0';
	if (!g->main->vm || !a || !a->pod_uid[0] ||
	    (a->pod_name[0] && strncmp(a->pod_name, "virt-launcher-", 14)))
		return false;
	return kube_vmi(g->main->vm->name, ns, name);
}
