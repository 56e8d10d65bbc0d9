// SPDX-License-Identifier: GPL-2.0
/* JSON: events, refusals, the report, VMs (memlockacct(8), JSON OUTPUT). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cgroup_attr.h"
#include "kube.h"
#include "explain.h"
#include "model.h"
#include "names.h"
#include "output.h"
#include "syscall_nrs.h"
#include "users.h"
#include "vm.h"

static const char *type_name(unsigned int t)
{
	switch (t) {
	case MLA_EV_CHANGE:
		return "change";
	case MLA_EV_FAILURE:
		return "failure";
	case MLA_EV_MM_GONE:
		return "mm_gone";
	case MLA_EV_RANGE:
		return "range";
	case MLA_EV_PROCESS:
		return "process";
	case MLA_EV_LIMIT:
		return "limit";
	}
	return "unknown";
}

static void jadd(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static struct json_object *jint(int64_t v)
{
	return json_object_new_int64(v);
}

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static struct json_object *jlimit(uint64_t bytes)
{
	return bytes == UINT64_MAX ? NULL : jint(bytes);
}

static void limit_set_fields(struct json_object *j,
			     const struct mla_limit_set *ls);

/* A limit event: its pid is the target's, the rest the caller's. */
static struct json_object *limit_event_json(const struct mla_event *e,
					    struct json_object *j)
{
	struct mla_limit_set ls;

	model_limit_set_of(e, &ls);
	jadd(j, "type", jstr("limit"));
	jadd(j, "pid", jint(e->tgid));
	jadd(j, "ret", jint(e->ret));
	limit_set_fields(j, &ls);
	return j;
}

struct json_object *event_json(const struct out_opts *o,
			       const struct mla_event *e)
{
	struct json_object *j = json_object_new_object();
	char comm[COMM_ESC], cause[64];

	if (e->type == MLA_EV_LIMIT)
		return limit_event_json(e, j);
	jadd(j, "type", jstr(type_name(e->type)));
	jadd(j, "ts_ns", jint(e->ts_ns));
	jadd(j, "pid", jint(e->tgid));
	jadd(j, "tid", jint(e->pid));
	jadd(j, "comm", jstr(comm_escaped(e->comm, comm)));
	jadd(j, "uid", jint(e->uid));
	jadd(j, "start_boottime_ns", jint(e->start_ns));
	if (e->cur_tgid != e->tgid)
		jadd(j, "by_pid", jint(e->cur_tgid));
	jadd(j, "cause",
	     jstr(cause_str(e->cause, e->nr, e->cmd, cause, sizeof(cause))));
	if (e->type == MLA_EV_CHANGE || e->type == MLA_EV_FAILURE) {
		jadd(j, "counter", jstr(counter_name(e->counter)));
		jadd(j, "source", jstr(source_name(e->source)));
	}
	if (e->type == MLA_EV_CHANGE) {
		jadd(j, "delta_kib", jint(spages_kib(o, e->delta)));
		jadd(j, "value_kib", jint(pages_kib(o, e->value)));
	}
	if (e->type == MLA_EV_FAILURE) {
		jadd(j, "errno", jstr(errno_name(e->ret)));
		jadd(j, "ret", jint(e->ret));
		jadd(j, "requested_kib", jint(pages_kib(o, e->request)));
		jadd(j, "counter_kib", jint(pages_kib(o, e->value)));
	}
	if (e->type == MLA_EV_RANGE || e->type == MLA_EV_MM_GONE)
		jadd(j, "ret", jint(e->ret));
	if (e->flags & MLA_F_HAS_LIMIT) {
		jadd(j, "limit_bytes", jlimit(e->limit_cur));
		jadd(j, "cap_ipc_lock",
		     json_object_new_boolean(e->flags & MLA_F_CAP_IPC_LOCK));
	}
	if (e->flags & MLA_F_VFIO_CTX || e->cmd == MLA_VFIO_IOMMU_MAP_DMA ||
	    e->cmd == MLA_VFIO_IOMMU_UNMAP_DMA) {
		jadd(j, "iova", jint(e->ctx[0]));
		jadd(j, "vaddr", jint(e->ctx[1]));
		jadd(j, "size_bytes", jint(e->ctx[2]));
	}
	if (e->flags & MLA_F_ASYNC)
		jadd(j, "async", json_object_new_boolean(true));
	return j;
}

static struct json_object *counter_json(const struct mla_proc *p, int c,
					const struct out_opts *o)
{
	struct json_object *j = json_object_new_object();
	struct json_object *by = json_object_new_object();

	jadd(j, "peak_kib", jint(pages_kib(o, proc_peak(p, c))));
	jadd(j, "final_kib", jint(pages_kib(o, proc_final(p, c))));
	jadd(j, "drift_kib", jint(spages_kib(o, proc_drift(p, c))));
	for (int s = 0; s < MLA_NR_SOURCES; s++) {
		int64_t v = proc_source(p, c, s), inf = proc_inferred(p, c, s);
		struct json_object *src;

		if (s == MLA_SRC_PREEXISTING && !v)
			continue;
		src = json_object_new_object();
		jadd(src, "final_kib", jint(spages_kib(o, v)));
		if (inf && s != MLA_SRC_PREEXISTING)
			jadd(src, "inferred_kib", jint(spages_kib(o, inf)));
		jadd(by, source_name(s), src);
	}
	jadd(j, "by_source", by);
	return j;
}

static struct json_object *user_share_json(const struct mla_proc *p, int u,
					   const struct out_opts *o)
{
	struct json_object *j = json_object_new_object();
	struct json_object *by = json_object_new_object();
	int64_t total = 0;

	for (int s = 0; s < MLA_NR_SOURCES; s++) {
		int64_t v = proc_user_share(p, u, s);
		struct json_object *src;

		total = sadd(total, v);
		if (!v)
			continue;
		src = json_object_new_object();
		jadd(src, "final_kib", jint(spages_kib(o, v)));
		jadd(by, source_name(s), src);
	}
	jadd(j, "peak_kib", jint(pages_kib(o, proc_user_peak(p, u))));
	jadd(j, "final_kib", jint(spages_kib(o, total)));
	jadd(j, "by_source", by);
	return j;
}

/* Who set (or was refused setting) a process's RLIMIT_MEMLOCK. */
static void limit_set_fields(struct json_object *j,
			     const struct mla_limit_set *ls)
{
	char comm[COMM_ESC];

	jadd(j, "by_pid", jint(ls->by_tgid));
	jadd(j, "by_tid", jint(ls->by_pid));
	jadd(j, "by_comm", jstr(comm_escaped(ls->by_comm, comm)));
	jadd(j, "by_uid", jint(ls->by_uid));
	jadd(j, "ts_ns", jint(ls->ts_ns));
	jadd(j, "syscall", jstr(syscall_name(ls->nr) ?: "?"));
	jadd(j, "soft_bytes", jlimit(ls->soft));
	jadd(j, "hard_bytes", jlimit(ls->hard));
	if (ls->old_known) {
		jadd(j, "old_soft_bytes", jlimit(ls->old_soft));
		jadd(j, "old_hard_bytes", jlimit(ls->old_hard));
	}
	if (ls->ret)
		jadd(j, "errno", jstr(errno_name(ls->ret)));
}

static struct json_object *limit_set_json(const struct mla_limit_set *ls)
{
	struct json_object *j;

	if (!ls)
		return NULL;
	j = json_object_new_object();
	limit_set_fields(j, ls);
	return j;
}

static struct json_object *limit_json(const struct mla_proc *p,
				      const struct out_opts *o)
{
	struct json_object *j;

	if (!p->limit_known)
		return NULL;
	j = json_object_new_object();
	jadd(j, "set_by", limit_set_json(p->limit_set));
	jadd(j, "refused_set", limit_set_json(p->limit_refused));
	jadd(j, "refused_sets", jint(p->limit_refusals));
	jadd(j, "soft_bytes", jlimit(p->limit_soft));
	jadd(j, "hard_bytes", jlimit(p->limit_hard));
	jadd(j, "soft_kib",
	     p->limit_soft == UINT64_MAX ? NULL : jint(p->limit_soft / 1024));
	jadd(j, "hard_kib",
	     p->limit_hard == UINT64_MAX ? NULL : jint(p->limit_hard / 1024));
	return j;
}

static struct json_object *double_json(const struct mla_proc *p,
				       const struct proc_view *v,
				       const struct out_opts *o)
{
	struct json_object *j = json_object_new_object();
	uint64_t locked = proc_final(p, MLA_LOCKED_VM);

	jadd(j, "mlock_and_vfio", jint(v->f.mlock_vfio / 1024));
	jadd(j, "vfio_and_vfio", jint(v->f.vfio_vfio / 1024));
	jadd(j, "locked_and_pinned", jint(v->f.locked_pinned / 1024));
	jadd(j, "max_vfio_multiplicity", jint(v->f.max_multiplicity));
	/* shares of the counter they inflate, in percent */
	jadd(j, "mlock_and_vfio_pct",
	     json_object_new_double(locked ? 100.0 * v->f.mlock_vfio /
						     (locked * o->page_size) :
					     0));
	jadd(j, "vfio_and_vfio_pct",
	     json_object_new_double(locked ? 100.0 * v->f.vfio_vfio /
						     (locked * o->page_size) :
					     0));
	jadd(j, "ranges_known", json_object_new_boolean(v->ranges_known));
	return j;
}

/* One bucket against the process's limit. */
static struct json_object *bucket_json(uint64_t held_pages, bool bypass,
				       const struct mla_proc *p,
				       const struct out_opts *o)
{
	struct json_object *j = json_object_new_object();
	uint64_t held = pages_kib(o, held_pages);

	jadd(j, "held_kib", jint(held));
	if (p->limit_known && p->limit_soft != UINT64_MAX) {
		jadd(j, "limit_kib", jint(p->limit_soft / 1024));
		jadd(j, "headroom_kib",
		     jint((int64_t)(p->limit_soft / 1024 - held)));
	} else {
		jadd(j, "limit_kib", NULL);
		jadd(j, "headroom_kib", NULL);
	}
	jadd(j, "bypass", json_object_new_boolean(bypass));
	return j;
}

static struct json_object *headroom_json(struct mla_model *m,
					 const struct mla_proc *p,
					 const struct proc_view *v,
					 const struct out_opts *o)
{
	struct json_object *j = json_object_new_object();
	struct mla_user *u = model_user(m, p->uid, false);
	bool cap = v->cap;
	struct json_object *uni;

	jadd(j, "cap_ipc_lock",
	     p->cap_known ? json_object_new_boolean(p->cap_ipc_lock) : NULL);
	jadd(j, "vfio_lock_cap", json_object_new_boolean(v->vfio_lock_cap));
	jadd(j, "locked_vm",
	     bucket_json(proc_final(p, MLA_LOCKED_VM), cap, p, o));
	jadd(j, "pinned_vm",
	     bucket_json(proc_final(p, MLA_PINNED_VM), cap, p, o));
	/* the per-user buckets hold every process of the user */
	jadd(j, "user_locked_vm", bucket_json(u ? u->seen[0] : 0, cap, p, o));
	jadd(j, "user_shm_locked", bucket_json(u ? u->seen[1] : 0, cap, p, o));
	/* four buckets, each allowed the limit on its own */
	jadd(j, "effective_limit_kib",
	     v->limited ? jint(4 * (p->limit_soft / 1024)) : NULL);
	uni = bucket_json(v->unified, cap, p, o);
	jadd(uni, "would_exceed", json_object_new_boolean(v->would_exceed));
	jadd(j, "unified", uni);
	return j;
}

/* Where it runs: the path and what it says, null when not read. */
static struct json_object *cgroup_json(const struct mla_proc *p)
{
	const struct cgroup_attr *a = p->cg_attr;
	struct json_object *j;
	char buf[4 * 4096];

	if (!p->cgroup)
		return NULL;
	j = json_object_new_object();
	jadd(j, "path", jstr(escape_text(p->cgroup, buf, sizeof(buf))));
	jadd(j, "systemd_unit",
	     a && a->unit[0] ? jstr(escape_text(a->unit, buf, sizeof(buf))) :
			       NULL);
	jadd(j, "container_runtime",
	     a && a->runtime[0] ? jstr(a->runtime) : NULL);
	jadd(j, "container_id",
	     a && a->container_id[0] ? jstr(a->container_id) : NULL);
	jadd(j, "pod_uid", a && a->pod_uid[0] ? jstr(a->pod_uid) : NULL);
	/* DNS-1123 names (kube.c): nothing to escape */
	jadd(j, "pod_namespace",
	     a && a->pod_namespace[0] ? jstr(a->pod_namespace) : NULL);
	jadd(j, "pod_name", a && a->pod_name[0] ? jstr(a->pod_name) : NULL);
	return j;
}

static struct json_object *proc_json(struct mla_model *m,
				     const struct mla_proc *p,
				     const struct out_opts *o)
{
	struct proc_view v;
	struct json_object *j = json_object_new_object();
	char comm[COMM_ESC];
	int64_t drift = 0;

	jadd(j, "pid", jint(p->tgid));
	jadd(j, "comm", jstr(comm_escaped(p->comm, comm)));
	jadd(j, "uid", jint(p->uid));
	jadd(j, "start_boottime_ns", jint(p->start_ns));
	jadd(j, "exited", json_object_new_boolean(p->exited));
	jadd(j, "locked_vm", counter_json(p, MLA_LOCKED_VM, o));
	jadd(j, "pinned_vm", counter_json(p, MLA_PINNED_VM, o));
	jadd(j, "user_locked_vm", user_share_json(p, 0, o));
	jadd(j, "user_shm_locked", user_share_json(p, 1, o));
	for (int c = 0; c < MLA_NR_MM_COUNTERS; c++)
		drift = sadd(drift, proc_drift(p, c));
	jadd(j, "drift_kib", jint(spages_kib(o, drift)));
	jadd(j, "reconciled", json_object_new_boolean(proc_checked(p)));
	jadd(j, "rlimit_memlock", limit_json(p, o));
	proc_view(p, o->page_size, &v);
	jadd(j, "double_counted_kib", double_json(p, &v, o));
	jadd(j, "unique_locked_kib", jint(v.f.unique_locked / 1024));
	jadd(j, "vfio_device_kib", jint(v.f.device / 1024));
	jadd(j, "vfio_device_mappings", jint(v.f.device_maps));
	jadd(j, "headroom", headroom_json(m, p, &v, o));
	jadd(j, "failures", jint(p->nfailures));
	jadd(j, "cgroup", cgroup_json(p));
	if (p->vm) {
		struct json_object *vm = json_object_new_object();
		char name[4 * VM_NAME_LEN];

		jadd(vm, "name",
		     jstr(escape_text(p->vm->name, name, sizeof(name))));
		jadd(vm, "vmm", jstr(vmm_name(p->vm->vmm)));
		jadd(j, "vm", vm);
	}
	return j;
}

struct json_object *failure_json(const struct mla_failure *f,
				 const struct mla_proc *p,
				 const struct out_opts *o)
{
	struct json_object *j = event_json(o, &f->ev);
	struct json_object *src = json_object_new_object();
	struct explanation x;

	explain_failure(&f->ev, f->already_locked, o->page_size, &x);
	jadd(j, "limit_kib",
	     x.limit_kib == UINT64_MAX ? NULL : jint(x.limit_kib));
	jadd(j, "check", jstr(x.check));
	jadd(j, "rule", jstr(x.what));
	jadd(j, "memlock", json_object_new_boolean(x.memlock));
	jadd(j, "per_user", json_object_new_boolean(x.per_user));
	jadd(j, "size_known", json_object_new_boolean(!x.size_unknown));
	jadd(j, "suggested_limit_kib",
	     x.memlock && !x.size_unknown ? jint(x.suggested_kib) : NULL);
	jadd(j, "suggested_limit_bytes",
	     x.memlock && !x.size_unknown ? jint(x.suggested_kib * 1024) :
					    NULL);
	for (int s = 0; s < MLA_NR_SOURCES; s++)
		if (f->sources[s])
			jadd(src, source_name(s),
			     jint(spages_kib(o, f->sources[s])));
	jadd(j, "sources", src);
	jadd(j, "counted_twice_kib", jint(f->twice / 1024));
	jadd(j, "fix", jstr(x.advice));
	jadd(j, "vm", p && p->vm && p->vm->name[0] ? jstr(p->vm->name) : NULL);
	return j;
}

/* A process's charges to its user's buckets, and its next headroom. */
static struct json_object *member_json(const struct user_group *g,
				       const struct user_member *mb,
				       const struct out_opts *o)
{
	struct json_object *j = json_object_new_object();
	char comm[COMM_ESC];

	jadd(j, "pid", jint(mb->p->tgid));
	jadd(j, "comm", jstr(comm_escaped(mb->p->comm, comm)));
	for (int c = 0; c < MLA_NR_USER_COUNTERS; c++) {
		struct json_object *cj = json_object_new_object();
		struct json_object *by = json_object_new_object();
		int64_t head;

		jadd(cj, "final_kib", jint(spages_kib(o, mb->total[c])));
		for (int src = 0; src < MLA_NR_SOURCES; src++)
			if (mb->share[c][src])
				jadd(by, source_name(src),
				     jint(spages_kib(o, mb->share[c][src])));
		jadd(cj, "by_source", by);
		/* its own limit against the whole bucket: its next charge */
		jadd(cj, "headroom_kib",
		     user_member_headroom(g, mb, c, o->page_size, &head) ?
			     jint(head / 1024) :
			     NULL);
		jadd(j, counter_name(MLA_USER_LOCKED + c), cj);
	}
	return j;
}

static struct json_object *user_json(const struct mla_user *u,
				     const struct user_group *ug, size_t nug,
				     const struct out_opts *o)
{
	struct json_object *j = json_object_new_object();
	struct json_object *procs = json_object_new_array();
	const struct user_group *g = NULL;

	for (size_t k = 0; k < nug; k++)
		if (ug[k].u == u)
			g = &ug[k];
	jadd(j, "uid", jint(u->uid));
	for (int c = 0; c < MLA_NR_USER_COUNTERS; c++) {
		struct json_object *cj = json_object_new_object();
		struct json_object *by = json_object_new_object();

		jadd(cj, "peak_kib", jint(pages_kib(o, u->peak[c])));
		jadd(cj, "final_kib", jint(pages_kib(o, u->seen[c])));
		for (int src = 0; src < MLA_NR_SOURCES; src++) {
			struct json_object *sj;

			if (!u->by_src[c][src])
				continue;
			sj = json_object_new_object();
			jadd(sj, "final_kib",
			     jint(spages_kib(o, u->by_src[c][src])));
			jadd(by, source_name(src), sj);
		}
		jadd(cj, "by_source", by);
		if (g)
			jadd(cj, "unattributed_kib",
			     jint(spages_kib(o, g->unattributed[c])));
		jadd(j, counter_name(MLA_USER_LOCKED + c), cj);
	}
	for (size_t k = 0; g && k < g->n; k++)
		json_object_array_add(procs, member_json(g, &g->members[k], o));
	jadd(j, "processes", procs);
	return j;
}

struct json_object *report_json(struct mla_model *m,
				const struct proc_filter *f,
				const struct out_opts *o,
				const struct run_stats *s)
{
	struct json_object *root = json_object_new_object();
	struct json_object *procs = json_object_new_array();
	struct json_object *users = json_object_new_array();
	struct json_object *fails = json_object_new_array();
	struct json_object *dropped = json_object_new_object();
	const struct mla_failure *fl;
	struct mla_proc **pv;
	struct mla_user **uv;
	size_t n, nug;
	struct user_group *ug = user_groups(m, f, &nug);

	jadd(root, "version", jint(1));
	jadd(root, "tier", jstr(s->tier ? s->tier : "portable"));
	jadd(root, "page_size", jint(o->page_size));
	jadd(root, "duration_s", json_object_new_double(s->duration_ns / 1e9));
	jadd(root, "lost_events", jint(s->lost_events));
	/* change events sent (top and report send none for mlock-only mms) */
	jadd(root, "events", jint(s->events));
	jadd(dropped, "mms", jint(s->dropped_mms));
	jadd(dropped, "exited_mms", jint(s->dropped_dead));
	jadd(dropped, "users", jint(s->dropped_users));
	jadd(dropped, "vfio_walk", jint(s->walk_lost));
	jadd(dropped, "last_errno", jint(s->drop_errno));
	/* not a loss: the entry is made at the next observation */
	jadd(root, "map_busy_retries", jint(s->busy));
	jadd(root, "dropped", dropped);
	{
		struct json_object *me = json_object_new_object();
		static const char *const names[3] = { "mms", "dead", "users" };

		for (int i = 0; i < 3; i++) {
			struct json_object *e = json_object_new_object();

			jadd(e, "start", jint(s->maps_start[i]));
			jadd(e, "end", jint(s->maps_end[i]));
			jadd(me, names[i], e);
		}
		jadd(root, "map_entries", me);
	}

	n = model_procs(m, &pv);
	for (size_t i = 0; i < n; i++)
		if (proc_matches(pv[i], f))
			json_object_array_add(procs, proc_json(m, pv[i], o));
	free(pv);
	jadd(root, "processes", procs);

	n = model_users(m, &uv);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(users, user_json(uv[i], ug, nug, o));
	free(uv);
	user_groups_free(ug, nug);
	jadd(root, "users", users);

	n = model_failures(m, &fl);
	for (size_t i = 0; i < n; i++) {
		struct mla_proc *p =
			model_proc(m, fl[i].ev.tgid, fl[i].ev.start_ns, false);

		if (p && !proc_matches(p, f))
			continue;
		json_object_array_add(fails, failure_json(&fl[i], p, o));
	}
	jadd(root, "failures", fails);
	jadd(root, "vms", vms_json(m, f, o));
	return root;
}

struct json_object *vms_json(struct mla_model *m, const struct proc_filter *f,
			     const struct out_opts *o)
{
	struct json_object *arr = json_object_new_array();
	size_t n;
	struct vm_group *g = vm_groups(m, f, o->page_size, &n);

	for (size_t i = 0; g && i < n; i++) {
		struct json_object *j = json_object_new_object();
		struct json_object *by = json_object_new_object();
		struct json_object *d = json_object_new_object();
		const struct vm_info *vm = g[i].main->vm;
		char name[4 * sizeof(g[i].name)];
		char vmi_ns[KUBE_NS_LEN], vmi[KUBE_NAME_LEN];
		struct json_object *kv = NULL;
		struct vm_limits l;

		vm_limits(&g[i], o->page_size, &l);
		if (vm_group_vmi(&g[i], vmi_ns, vmi)) {
			kv = json_object_new_object();
			jadd(kv, "namespace", jstr(vmi_ns));
			jadd(kv, "name", jstr(vmi));
		}
		jadd(j, "name",
		     jstr(escape_text(g[i].name, name, sizeof(name))));
		jadd(j, "vmm", jstr(vmm_name(vm->vmm)));
		jadd(j, "uuid", vm->uuid[0] ? jstr(vm->uuid) : NULL);
		jadd(j, "kubevirt_vmi", kv);
		jadd(j, "pid", jint(g[i].main->tgid));
		jadd(j, "processes", jint(g[i].nprocs));
		jadd(j, "guest_ram_kib", jint(vm->ram_kib));
		jadd(j, "vfio_devices", jint(vm->nvfio));
		jadd(j, "vfio_groups_open", jint(g[i].vfio_groups));
		jadd(j, "viommu", json_object_new_boolean(vm->viommu));
		jadd(j, "locked_kib", jint(pages_kib(o, g[i].locked)));
		jadd(j, "locked_peak_kib", jint(pages_kib(o, g[i].peak)));
		jadd(j, "pinned_kib", jint(pages_kib(o, g[i].pinned)));
		for (int s = 0; s < MLA_NR_SOURCES; s++)
			if (g[i].by_src[s])
				jadd(by, source_name(s),
				     jint(spages_kib(o, g[i].by_src[s])));
		jadd(j, "locked_by_source_kib", by);
		jadd(d, "mlock_and_vfio", jint(g[i].f.mlock_vfio / 1024));
		jadd(d, "vfio_and_vfio", jint(g[i].f.vfio_vfio / 1024));
		jadd(d, "locked_and_pinned", jint(g[i].f.locked_pinned / 1024));
		jadd(j, "double_counted_kib", d);
		jadd(j, "unique_locked_kib", jint(g[i].f.unique_locked / 1024));
		jadd(j, "vfio_device_kib", jint(g[i].f.device / 1024));
		jadd(j, "rlimit_soft_kib",
		     !l.known || l.soft_kib == UINT64_MAX ? NULL :
							    jint(l.soft_kib));
		jadd(j, "headroom_kib",
		     !l.known || l.soft_kib == UINT64_MAX ?
			     NULL :
			     jint(l.headroom_kib));
		jadd(j, "libvirt_limit_kib",
		     l.libvirt_kib == UINT64_MAX || !l.libvirt_kib ?
			     NULL :
			     jint(l.libvirt_kib));
		jadd(j, "libvirt_limit_unlimited",
		     json_object_new_boolean(l.libvirt_kib == UINT64_MAX));
		jadd(j, "libvirt_limit_with_one_more_device_kib",
		     l.libvirt_next_kib == UINT64_MAX || !l.libvirt_next_kib ?
			     NULL :
			     jint(l.libvirt_next_kib));
		jadd(j, "limit_below_libvirt",
		     json_object_new_boolean(l.below_libvirt));
		jadd(j, "one_more_device_needs_kib", jint(l.next_device_kib));
		jadd(j, "one_more_device_fits",
		     json_object_new_boolean(l.fits_next_device));
		json_object_array_add(arr, j);
	}
	free(g);
	return arr;
}

void json_print(FILE *out, struct json_object *j, bool pretty)
{
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(
			j, pretty ? JSON_C_TO_STRING_PRETTY :
				    JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
}
