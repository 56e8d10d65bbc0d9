// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "escape.h"
#include "explain.h"
#include "model.h"
#include "names.h"
#include "output.h"
#include "procfs.h"
#include "rangeset.h"
#include "vm.h"

#define COMM_ESC 80 /* a 15-byte name escaped, worst case 4 bytes each */

const char *unit_suffix(enum out_unit u)
{
	return u == UNIT_BYTES ? "B" : u == UNIT_PAGES ? "pages" : "KiB";
}

/*
 * Figures may come from a record file, not only from the kernel: products
 * saturate instead of overflowing.
 */
static uint64_t umul(uint64_t a, uint64_t b)
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

/* A signed count of pages in the chosen unit. */
static int64_t sin_unit(const struct out_opts *o, int64_t pages)
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

static int64_t spages_kib(const struct out_opts *o, int64_t pages)
{
	return smul(pages, o->page_size / 1024);
}

static const char *comm_of(const char *comm, char *buf)
{
	char raw[MLA_COMM_LEN + 1];

	memcpy(raw, comm, MLA_COMM_LEN);
	raw[MLA_COMM_LEN] = '\0';
	return escape_text(raw, buf, COMM_ESC);
}

/* ---- trace ---------------------------------------------------------------- */

void trace_header(FILE *out, const struct out_opts *o, bool failures)
{
	if (o->json)
		return;
	if (failures)
		fprintf(out, "%-12s %-7s %-16s %-9s %-10s %s\n", "TIME", "PID",
			"COMM", "ERRNO", "COUNTER", "WHY");
	else
		fprintf(out, "%-12s %-7s %-16s %-14s %-9s %11s %11s %11s %s\n",
			o->wall_time ? "TIME" : "TIME(s)", "PID", "COMM",
			"COUNTER", "SOURCE", "DELTA", "VALUE", "LIMIT",
			"CAUSE");
}

static void fmt_time(const struct out_opts *o, uint64_t ts_ns, char *buf,
		     size_t len)
{
	if (o->wall_time) {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(buf, len, "%H:%M:%S", &tm);
	} else {
		snprintf(buf, len, "%.6f",
			 (double)(ts_ns - o->start_ns) / 1e9);
	}
}

static void fmt_limit(const struct out_opts *o, const struct mla_event *e,
		      char *buf, size_t len)
{
	if (!(e->flags & MLA_F_HAS_LIMIT))
		snprintf(buf, len, "-");
	else if (e->flags & MLA_F_CAP_IPC_LOCK)
		snprintf(buf, len, "cap");
	else if (e->limit_cur == UINT64_MAX)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%" PRIu64,
			 in_unit(o, e->limit_cur / o->page_size));
}

static const char *event_cause(const struct mla_event *e, char *buf,
			       size_t len)
{
	return cause_str(e->cause, e->nr, e->cmd, buf, len);
}

void trace_event(FILE *out, const struct out_opts *o,
		 const struct mla_event *e)
{
	char comm[COMM_ESC], when[32], cause[64], limit[32];

	if (o->json) {
		struct json_object *j = event_json(o, e);

		fprintf(out, "%s\n", json_object_to_json_string_ext(
					     j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
		return;
	}
	fmt_time(o, e->ts_ns, when, sizeof(when));
	comm_of(e->comm, comm);
	if (e->type == MLA_EV_FAILURE) {
		fprintf(out, "%-12s %-7u %-16s %-9s %-10s %s: asked %" PRIu64
			" %s, held %" PRIu64 ", limit %s\n",
			when, e->tgid, comm, errno_name(e->ret),
			counter_name(e->counter),
			event_cause(e, cause, sizeof(cause)),
			in_unit(o, e->request), unit_suffix(o->unit),
			in_unit(o, e->value),
			(fmt_limit(o, e, limit, sizeof(limit)), limit));
		return;
	}
	if (e->type != MLA_EV_CHANGE)
		return;
	fmt_limit(o, e, limit, sizeof(limit));
	fprintf(out, "%-12s %-7u %-16s %-14s %-9s %+11" PRId64 " %11" PRIu64
		" %11s %s\n",
		when, e->tgid, comm, counter_name(e->counter),
		source_name(e->source),
		sin_unit(o, e->delta),
		in_unit(o, e->value), limit,
		event_cause(e, cause, sizeof(cause)));
}

static const char *type_name(unsigned int t)
{
	switch (t) {
	case MLA_EV_CHANGE: return "change";
	case MLA_EV_FAILURE: return "failure";
	case MLA_EV_MM_GONE: return "mm_gone";
	case MLA_EV_RANGE: return "range";
	case MLA_EV_PROCESS: return "process";
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

struct json_object *event_json(const struct out_opts *o,
			       const struct mla_event *e)
{
	struct json_object *j = json_object_new_object();
	char comm[COMM_ESC], cause[64];

	jadd(j, "type", jstr(type_name(e->type)));
	jadd(j, "ts_ns", jint(e->ts_ns));
	jadd(j, "pid", jint(e->tgid));
	jadd(j, "tid", jint(e->pid));
	jadd(j, "comm", jstr(comm_of(e->comm, comm)));
	jadd(j, "uid", jint(e->uid));
	jadd(j, "start_boottime_ns", jint(e->start_ns));
	if (e->cur_tgid != e->tgid)
		jadd(j, "by_pid", jint(e->cur_tgid));
	jadd(j, "cause", jstr(event_cause(e, cause, sizeof(cause))));
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
	if (e->flags & MLA_F_VFIO_CTX || e->cmd == 0x3b71 || e->cmd == 0x3b72) {
		jadd(j, "iova", jint(e->ctx[0]));
		jadd(j, "vaddr", jint(e->ctx[1]));
		jadd(j, "size_bytes", jint(e->ctx[2]));
	}
	if (e->flags & MLA_F_ASYNC)
		jadd(j, "async", json_object_new_boolean(true));
	return j;
}

/* ---- per-process summaries ------------------------------------------------ */

bool proc_matches(const struct mla_proc *p, const struct proc_filter *f)
{
	if (f->tree_only && !p->in_tree)
		return false;
	if (f->pid && (int)p->tgid != f->pid)
		return false;
	if (f->comm && strncmp(p->comm, f->comm, strlen(f->comm)))
		return false;
	if (f->cgroup && (p->exited || !proc_in_cgroup(p->tgid, f->cgroup)))
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

/* Tool total minus the kernel's, in pages, at the last reconciliation. */
static int64_t proc_drift(const struct mla_proc *p, int c)
{
	const struct mla_inst *cur = proc_current(p);

	if (p->reconciled)
		return p->drift[c];
	/* exited: the kernel's own value was read at exit_mmap */
	if (cur && cur->gone == MLA_CAUSE_EXIT)
		return (int64_t)(cur->seen[c] - cur->truth[c]);
	return 0;
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

static struct json_object *limit_json(const struct mla_proc *p,
				      const struct out_opts *o)
{
	struct json_object *j;

	if (!p->limit_known)
		return NULL;
	j = json_object_new_object();
	jadd(j, "soft_bytes", jlimit(p->limit_soft));
	jadd(j, "hard_bytes", jlimit(p->limit_hard));
	jadd(j, "soft_kib", p->limit_soft == UINT64_MAX ? NULL :
						jint(p->limit_soft / 1024));
	jadd(j, "hard_kib", p->limit_hard == UINT64_MAX ? NULL :
						jint(p->limit_hard / 1024));
	return j;
}

/* ---- double counting and headroom ---------------------------------------- */

struct proc_view {
	struct overlap_figures f; /* bytes */
	bool has;		  /* the process has a current mm */
	bool ranges_known;	  /* ranges tracked since birth or from smaps */
	bool vfio_lock_cap;	  /* a VFIO mapping bypasses the limit */
	uint64_t unified;	  /* pages held once each */
};

static void proc_view(const struct mla_proc *p, const struct out_opts *o,
		      struct proc_view *v)
{
	uint64_t pinned = umul(proc_final(p, MLA_PINNED_VM), o->page_size);
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
	v->unified = (v->f.unique_locked + (pinned > v->f.locked_pinned ?
					    pinned - v->f.locked_pinned : 0)) /
			     o->page_size +
		     (shm > 0 ? shm : 0);
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
	bool cap = p->cap_known && p->cap_ipc_lock;
	struct json_object *uni;

	jadd(j, "cap_ipc_lock",
	     p->cap_known ? json_object_new_boolean(p->cap_ipc_lock) : NULL);
	jadd(j, "vfio_lock_cap", json_object_new_boolean(v->vfio_lock_cap));
	jadd(j, "locked_vm", bucket_json(proc_final(p, MLA_LOCKED_VM), cap, p, o));
	jadd(j, "pinned_vm", bucket_json(proc_final(p, MLA_PINNED_VM), cap, p, o));
	/* the per-user buckets hold every process of the user */
	jadd(j, "user_locked_vm", bucket_json(u ? u->seen[0] : 0, cap, p, o));
	jadd(j, "user_shm_locked", bucket_json(u ? u->seen[1] : 0, cap, p, o));
	/* four buckets, each allowed the limit on its own */
	jadd(j, "effective_limit_kib",
	     p->limit_known && p->limit_soft != UINT64_MAX ?
		     jint(4 * (p->limit_soft / 1024)) : NULL);
	uni = bucket_json(v->unified, cap, p, o);
	jadd(uni, "would_exceed",
	     json_object_new_boolean(!cap && p->limit_known &&
				     p->limit_soft != UINT64_MAX &&
				     v->unified * o->page_size > p->limit_soft));
	jadd(j, "unified", uni);
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
	jadd(j, "comm", jstr(comm_of(p->comm, comm)));
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
	jadd(j, "reconciled", json_object_new_boolean(
				      p->reconciled ||
				      (proc_current(p) &&
				       proc_current(p)->gone == MLA_CAUSE_EXIT)));
	jadd(j, "rlimit_memlock", limit_json(p, o));
	proc_view(p, o, &v);
	jadd(j, "double_counted_kib", double_json(p, &v, o));
	jadd(j, "unique_locked_kib", jint(v.f.unique_locked / 1024));
	jadd(j, "headroom", headroom_json(m, p, &v, o));
	jadd(j, "failures", jint(p->nfailures));
	if (p->vm) {
		struct json_object *v = json_object_new_object();
		char name[4 * VM_NAME_LEN];

		jadd(v, "name", jstr(escape_text(p->vm->name, name,
						 sizeof(name))));
		jadd(v, "vmm", jstr(vmm_name(p->vm->vmm)));
		jadd(j, "vm", v);
	}
	return j;
}

struct json_object *failure_json(const struct mla_failure *f,
				 const struct out_opts *o)
{
	struct json_object *j = event_json(o, &f->ev);
	struct json_object *src = json_object_new_object();
	struct explanation x;

	explain_failure(&f->ev, f->already_locked, o->page_size, &x);
	jadd(j, "limit_kib", x.limit_kib == UINT64_MAX ? NULL :
						       jint(x.limit_kib));
	jadd(j, "check", jstr(x.check));
	jadd(j, "rule", jstr(x.what));
	jadd(j, "memlock", json_object_new_boolean(x.memlock));
	jadd(j, "per_user", json_object_new_boolean(x.per_user));
	jadd(j, "size_known", json_object_new_boolean(!x.size_unknown));
	jadd(j, "suggested_limit_kib", x.memlock && !x.size_unknown ?
					       jint(x.suggested_kib) : NULL);
	jadd(j, "suggested_limit_bytes", x.memlock && !x.size_unknown ?
					 jint(x.suggested_kib * 1024) : NULL);
	for (int s = 0; s < MLA_NR_SOURCES; s++)
		if (f->sources[s])
			jadd(src, source_name(s),
			     jint(spages_kib(o, f->sources[s])));
	jadd(j, "sources", src);
	jadd(j, "counted_twice_kib", jint(f->twice / 1024));
	jadd(j, "fix", jstr(x.advice));
	return j;
}

/* A refusal, for a tired operator: who, what, which check, the fix. */
void failure_print(FILE *out, const struct mla_failure *f,
		   const struct mla_proc *p, const struct out_opts *o)
{
	const struct mla_event *e = &f->ev;
	char comm[COMM_ESC], cause[64], lim[32], asked[32];
	char vm[4 * VM_NAME_LEN + 8] = "";
	struct explanation x;
	bool any = false;

	if (p && p->vm && p->vm->name[0]) {
		char name[4 * VM_NAME_LEN];

		snprintf(vm, sizeof(vm), ", VM %s",
			 escape_text(p->vm->name, name, sizeof(name)));
	}

	explain_failure(e, f->already_locked, o->page_size, &x);
	if (x.limit_kib == UINT64_MAX)
		snprintf(lim, sizeof(lim), "unlimited");
	else
		snprintf(lim, sizeof(lim), "%" PRIu64 " KiB", x.limit_kib);
	if (x.size_unknown)
		snprintf(asked, sizeof(asked), "an amount not seen");
	else
		snprintf(asked, sizeof(asked), "%" PRIu64 " KiB", x.request_kib);
	fprintf(out, "%s (pid %u, uid %u%s) was refused %s (%s, %s):\n",
		comm_of(e->comm, comm), e->tgid, e->uid, vm, asked,
		event_cause(e, cause, sizeof(cause)), errno_name(e->ret));
	fprintf(out, "  check: %s: %s; %s held %" PRIu64 " KiB, limit %s\n",
		x.check, x.what, counter_name(e->counter), x.counter_kib, lim);
	fprintf(out, "  held by:");
	for (int s = 0; s < MLA_NR_SOURCES; s++) {
		if (!f->sources[s])
			continue;
		fprintf(out, " %s %" PRId64 " KiB", source_name(s),
			spages_kib(o, f->sources[s]));
		any = true;
	}
	if (!any)
		fprintf(out, " nothing traced");
	if (f->twice)
		fprintf(out, " (%" PRIu64 " KiB of it counted twice)",
			f->twice / 1024);
	fprintf(out, "\n  fix: %s\n", x.advice);
}

struct json_object *report_json(struct mla_model *m, const struct proc_filter *f,
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
	size_t n;

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
	for (size_t i = 0; i < n; i++) {
		struct json_object *u = json_object_new_object();

		jadd(u, "uid", jint(uv[i]->uid));
		for (int c = 0; c < MLA_NR_USER_COUNTERS; c++) {
			struct json_object *cj = json_object_new_object();
			struct json_object *by = json_object_new_object();

			jadd(cj, "peak_kib", jint(pages_kib(o, uv[i]->peak[c])));
			jadd(cj, "final_kib", jint(pages_kib(o, uv[i]->seen[c])));
			for (int src = 0; src < MLA_NR_SOURCES; src++) {
				struct json_object *sj;

				if (!uv[i]->by_src[c][src])
					continue;
				sj = json_object_new_object();
				jadd(sj, "final_kib",
				     jint(spages_kib(o, uv[i]->by_src[c][src])));
				jadd(by, source_name(src), sj);
			}
			jadd(cj, "by_source", by);
			jadd(u, counter_name(MLA_USER_LOCKED + c), cj);
		}
		json_object_array_add(users, u);
	}
	free(uv);
	jadd(root, "users", users);

	n = model_failures(m, &fl);
	for (size_t i = 0; i < n; i++) {
		struct mla_proc *p = model_proc(m, fl[i].ev.tgid,
						fl[i].ev.start_ns, false);

		if (p && !proc_matches(p, f))
			continue;
		json_object_array_add(fails, failure_json(&fl[i], o));
	}
	jadd(root, "failures", fails);
	jadd(root, "vms", vms_json(m, f, o));
	return root;
}

/* ---- virtual machines ------------------------------------------------------ */

struct vm_group {
	const struct mla_proc *main; /* the VMM process (else the first) */
	char name[VM_NAME_LEN + 16];
	uint64_t locked, peak, pinned; /* pages */
	int64_t by_src[MLA_NR_SOURCES];
	struct overlap_figures f;
	unsigned int nprocs, vfio_groups;
};

static struct vm_group *vm_groups(struct mla_model *m,
				  const struct proc_filter *flt,
				  const struct out_opts *o, size_t *count)
{
	struct mla_proc **pv;
	size_t n = model_procs(m, &pv), ng = 0;
	struct vm_group *g = calloc(n ? n : 1, sizeof(*g));

	for (size_t i = 0; g && i < n; i++) {
		const struct mla_proc *p = pv[i];
		struct vm_group *v = NULL;
		struct proc_view pview;
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
		if (!v->main || (p->vm->vmm && !v->main->vm->vmm))
			v->main = p;
		v->nprocs++;
		v->vfio_groups += p->vfio_groups;
		v->locked += proc_final(p, MLA_LOCKED_VM);
		v->peak += proc_peak(p, MLA_LOCKED_VM);
		v->pinned += proc_final(p, MLA_PINNED_VM);
		for (int s = 0; s < MLA_NR_SOURCES; s++)
			v->by_src[s] = sadd(v->by_src[s],
					    proc_source(p, MLA_LOCKED_VM, s));
		proc_view(p, o, &pview);
		v->f.mlock_vfio += pview.f.mlock_vfio;
		v->f.vfio_vfio += pview.f.vfio_vfio;
		v->f.locked_pinned += pview.f.locked_pinned;
		v->f.unique_locked += pview.f.unique_locked;
	}
	free(pv);
	*count = ng;
	return g;
}

/* What the VM may hold, and whether one more VFIO device would fit. */
struct vm_limits {
	bool known;
	uint64_t soft_kib;	   /* UINT64_MAX: unlimited */
	int64_t headroom_kib;
	uint64_t libvirt_kib;	   /* libvirt's computed limit, 0: none */
	uint64_t libvirt_next_kib; /* ... with one more VFIO device */
	uint64_t next_device_kib;  /* what one more device would charge */
	bool below_libvirt;
	bool fits_next_device;
};

static void vm_limits(const struct vm_group *v, const struct out_opts *o,
		      struct vm_limits *l)
{
	const struct mla_proc *p = v->main;
	const struct vm_info *vm = p->vm;
	bool cap = p->cap_known && p->cap_ipc_lock;

	memset(l, 0, sizeof(*l));
	l->known = p->limit_known;
	l->soft_kib = !p->limit_known || p->limit_soft == UINT64_MAX ?
			      UINT64_MAX : p->limit_soft / 1024;
	l->headroom_kib = l->soft_kib == UINT64_MAX ? INT64_MAX :
			  (int64_t)(l->soft_kib - pages_kib(o, v->locked));
	l->libvirt_kib = libvirt_memlock_kib(vm, 0);
	l->libvirt_next_kib = libvirt_memlock_kib(vm, 1);
	/* a device in a new container (vIOMMU) or the first one: all RAM */
	l->next_device_kib = vm->viommu || !vm->nvfio ? vm->ram_kib : 0;
	l->below_libvirt = !cap && l->libvirt_kib && l->soft_kib < l->libvirt_kib;
	l->fits_next_device = cap || l->headroom_kib >= (int64_t)l->next_device_kib;
}

struct json_object *vms_json(struct mla_model *m, const struct proc_filter *f,
			     const struct out_opts *o)
{
	struct json_object *arr = json_object_new_array();
	size_t n;
	struct vm_group *g = vm_groups(m, f, o, &n);

	for (size_t i = 0; g && i < n; i++) {
		struct json_object *j = json_object_new_object();
		struct json_object *by = json_object_new_object();
		struct json_object *d = json_object_new_object();
		const struct vm_info *vm = g[i].main->vm;
		char name[4 * sizeof(g[i].name)];
		struct vm_limits l;

		vm_limits(&g[i], o, &l);
		jadd(j, "name", jstr(escape_text(g[i].name, name, sizeof(name))));
		jadd(j, "vmm", jstr(vmm_name(vm->vmm)));
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
		jadd(j, "rlimit_soft_kib", !l.known || l.soft_kib == UINT64_MAX ?
						   NULL : jint(l.soft_kib));
		jadd(j, "headroom_kib", !l.known || l.soft_kib == UINT64_MAX ?
						NULL : jint(l.headroom_kib));
		jadd(j, "libvirt_limit_kib",
		     l.libvirt_kib == UINT64_MAX || !l.libvirt_kib ?
			     NULL : jint(l.libvirt_kib));
		jadd(j, "libvirt_limit_unlimited",
		     json_object_new_boolean(l.libvirt_kib == UINT64_MAX));
		jadd(j, "libvirt_limit_with_one_more_device_kib",
		     l.libvirt_next_kib == UINT64_MAX || !l.libvirt_next_kib ?
			     NULL : jint(l.libvirt_next_kib));
		jadd(j, "limit_below_libvirt", json_object_new_boolean(l.below_libvirt));
		jadd(j, "one_more_device_needs_kib", jint(l.next_device_kib));
		jadd(j, "one_more_device_fits",
		     json_object_new_boolean(l.fits_next_device));
		json_object_array_add(arr, j);
	}
	free(g);
	return arr;
}

void vms_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
	      const struct out_opts *o)
{
	size_t n;
	struct vm_group *g = vm_groups(m, f, o, &n);
	const char *u = unit_suffix(o->unit);

	fprintf(out, "%-20s %-7s %9s %5s %11s %11s %11s %11s %11s %s\n",
		"VM", "PID", "RAM(MiB)", "VFIO", "LOCKED", "TWICE", "LIMIT",
		"LIBVIRT", "HEADROOM", "FLAGS");
	for (size_t i = 0; g && i < n; i++) {
		const struct vm_info *vm = g[i].main->vm;
		char name[4 * sizeof(g[i].name)], lim[24], lv[24], head[24];
		struct vm_limits l;

		vm_limits(&g[i], o, &l);
		escape_text(g[i].name, name, sizeof(name));
		if (!l.known)
			snprintf(lim, sizeof(lim), "?");
		else if (l.soft_kib == UINT64_MAX)
			snprintf(lim, sizeof(lim), "unlimited");
		else
			snprintf(lim, sizeof(lim), "%" PRIu64,
				 in_unit(o, l.soft_kib / (o->page_size / 1024)));
		if (l.libvirt_kib == UINT64_MAX)
			snprintf(lv, sizeof(lv), "unlimited");
		else if (!l.libvirt_kib)
			snprintf(lv, sizeof(lv), "-");
		else
			snprintf(lv, sizeof(lv), "%" PRIu64,
				 in_unit(o, l.libvirt_kib / (o->page_size / 1024)));
		if (!l.known || l.soft_kib == UINT64_MAX)
			snprintf(head, sizeof(head), "-");
		else
			snprintf(head, sizeof(head), "%" PRId64,
				 sin_unit(o, l.headroom_kib /
						     (int64_t)(o->page_size / 1024)));
		fprintf(out, "%-20s %-7u %9" PRIu64 " %5u %11" PRIu64 " %11" PRIu64
			" %11s %11s %11s %s%s\n",
			name, g[i].main->tgid, vm->ram_kib / 1024, vm->nvfio,
			in_unit(o, g[i].locked),
			in_unit(o, (g[i].f.mlock_vfio + g[i].f.vfio_vfio) /
					   o->page_size),
			lim, lv, head,
			l.below_libvirt ? "limit-below-libvirt " : "",
			l.fits_next_device ? "" : "no-room-for-another-device");
	}
	if (!n)
		fprintf(out, "(no virtual machine found)\n");
	fprintf(out, "(sizes in %s; LIBVIRT: the limit libvirt would set for "
		"this command line)\n", u);
	free(g);
}

/* ---- tables --------------------------------------------------------------- */

static void fmt_sources(const struct mla_proc *p, int c,
			const struct out_opts *o, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int s = 0; s < MLA_NR_SOURCES && used < len; s++) {
		int64_t v = proc_source(p, c, s);

		if (!v)
			continue;
		used += snprintf(buf + used, len - used, "%s%s=%" PRId64 "%s",
				 used ? "," : "", source_name(s),
				 sin_unit(o, v),
				 proc_inferred(p, c, s) && s ? "~" : "");
	}
	if (!used)
		snprintf(buf, len, "-");
}

static void fmt_headroom(const struct mla_proc *p, const struct out_opts *o,
			 char *buf, size_t len)
{
	uint64_t held = proc_final(p, MLA_LOCKED_VM) * o->page_size;

	if (!p->limit_known)
		snprintf(buf, len, "?");
	else if (p->limit_soft == UINT64_MAX)
		snprintf(buf, len, "unlimited");
	else if (held > p->limit_soft)
		snprintf(buf, len, "-%" PRIu64,
			 in_unit(o, (held - p->limit_soft) / o->page_size));
	else
		snprintf(buf, len, "%" PRIu64,
			 in_unit(o, (p->limit_soft - held) / o->page_size));
}

static void table_row(FILE *out, const struct mla_proc *p,
		      const struct out_opts *o)
{
	char comm[COMM_ESC], lsrc[128], psrc[96], head[32], lim[32];
	struct proc_view v;

	comm_of(p->comm, comm);
	fmt_sources(p, MLA_LOCKED_VM, o, lsrc, sizeof(lsrc));
	fmt_sources(p, MLA_PINNED_VM, o, psrc, sizeof(psrc));
	fmt_headroom(p, o, head, sizeof(head));
	if (!p->limit_known)
		snprintf(lim, sizeof(lim), "?");
	else if (p->limit_soft == UINT64_MAX)
		snprintf(lim, sizeof(lim), "unlimited");
	else
		snprintf(lim, sizeof(lim), "%" PRIu64,
			 in_unit(o, p->limit_soft / o->page_size));
	proc_view(p, o, &v);
	fprintf(out, "%-7u %-16s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
		" %10" PRIu64 " %10s %10s %5" PRId64 " %s%s%s\n",
		p->tgid, comm, in_unit(o, proc_final(p, MLA_LOCKED_VM)),
		in_unit(o, proc_peak(p, MLA_LOCKED_VM)),
		in_unit(o, proc_final(p, MLA_PINNED_VM)),
		in_unit(o, (v.f.mlock_vfio + v.f.vfio_vfio +
			    v.f.locked_pinned) / o->page_size),
		lim, head,
		sin_unit(o, proc_drift(p, MLA_LOCKED_VM)) +
			sin_unit(o, proc_drift(p, MLA_PINNED_VM)),
		lsrc, strcmp(psrc, "-") ? " pinned:" : "",
		strcmp(psrc, "-") ? psrc : "");
}

static void table_header(FILE *out, const struct out_opts *o)
{
	const char *u = unit_suffix(o->unit);
	char l[24], pk[24], pn[24], tw[24], lim[24], h[24];

	snprintf(l, sizeof(l), "LOCKED(%s)", u);
	snprintf(pk, sizeof(pk), "PEAK(%s)", u);
	snprintf(pn, sizeof(pn), "PINNED(%s)", u);
	snprintf(tw, sizeof(tw), "TWICE(%s)", u);
	snprintf(lim, sizeof(lim), "LIMIT(%s)", u);
	snprintf(h, sizeof(h), "HEADROOM");
	fprintf(out, "%-7s %-16s %10s %10s %10s %10s %10s %10s %5s %s\n",
		"PID", "COMM", l, pk, pn, tw, lim, h, "DRIFT", "BY SOURCE");
}

/* The processes whose pages are counted more than once. */
static void double_text(FILE *out, struct mla_proc **pv, size_t n,
			const struct proc_filter *f, const struct out_opts *o)
{
	const char *u = unit_suffix(o->unit);
	bool header = false;

	for (size_t i = 0; i < n; i++) {
		struct proc_view v;
		char comm[COMM_ESC];
		uint64_t twice;

		if (!proc_matches(pv[i], f))
			continue;
		proc_view(pv[i], o, &v);
		twice = v.f.mlock_vfio + v.f.vfio_vfio + v.f.locked_pinned;
		if (!v.has || (!twice && !v.f.unique_locked))
			continue;
		if (!header) {
			fprintf(out, "\nCounted more than once (%s), and what a "
				"single count would hold:\n", u);
			fprintf(out, "%-7s %-16s %11s %11s %11s %5s %11s %11s%s\n",
				"PID", "COMM", "MLOCK+VFIO", "VFIO+VFIO",
				"LOCK+PIN", "MAXN", "UNIQUE", "UNIFIED",
				" OVER-LIMIT-IF-UNIFIED");
			header = true;
		}
		fprintf(out, "%-7u %-16s %11" PRIu64 " %11" PRIu64 " %11" PRIu64
			" %5" PRIu64 " %11" PRIu64 " %11" PRIu64 " %s%s\n",
			pv[i]->tgid, comm_of(pv[i]->comm, comm),
			in_unit(o, v.f.mlock_vfio / o->page_size),
			in_unit(o, v.f.vfio_vfio / o->page_size),
			in_unit(o, v.f.locked_pinned / o->page_size),
			v.f.max_multiplicity,
			in_unit(o, v.f.unique_locked / o->page_size),
			in_unit(o, v.unified),
			!(pv[i]->cap_known && pv[i]->cap_ipc_lock) &&
					pv[i]->limit_known &&
					pv[i]->limit_soft != UINT64_MAX &&
					v.unified * o->page_size >
						pv[i]->limit_soft ?
				"yes" : "no",
			v.ranges_known ? "" : " (ranges unknown)");
	}
}

void report_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
		 const struct out_opts *o, const struct run_stats *s)
{
	const struct mla_failure *fl;
	struct mla_proc **pv;
	size_t n, shown = 0;

	table_header(out, o);
	n = model_procs(m, &pv);
	for (size_t i = 0; i < n; i++) {
		if (!proc_matches(pv[i], f))
			continue;
		table_row(out, pv[i], o);
		shown++;
	}
	if (!shown)
		fprintf(out, "(no process holds locked or pinned memory)\n");
	double_text(out, pv, n, f, o);
	free(pv);
	n = model_failures(m, &fl);
	if (n)
		fprintf(out, "\nRefused charges:\n");
	for (size_t i = 0; i < n; i++) {
		struct mla_proc *p = model_proc(m, fl[i].ev.tgid,
						fl[i].ev.start_ns, false);

		if (!p || proc_matches(p, f))
			failure_print(out, &fl[i], p, o);
	}
	fprintf(out, "\nTier: %s. Lost events: %" PRIu64 ".",
		s->tier ? s->tier : "portable", s->lost_events);
	if (s->dropped_mms || s->dropped_dead || s->dropped_users)
		fprintf(out, " Some processes were not tracked (%s).",
			!s->drop_errno || s->drop_errno == E2BIG ?
				"maps full: raise --max-procs" :
				strerror(s->drop_errno));
	fputc('\n', out);
}

static int sort_key;

static int cmp_procs(const void *a, const void *b)
{
	const struct mla_proc *x = *(struct mla_proc *const *)a;
	const struct mla_proc *y = *(struct mla_proc *const *)b;
	uint64_t vx, vy;

	switch (sort_key) {
	case 1:
		vx = proc_final(x, MLA_PINNED_VM);
		vy = proc_final(y, MLA_PINNED_VM);
		break;
	case 2:
		return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
	default:
		vx = proc_final(x, MLA_LOCKED_VM);
		vy = proc_final(y, MLA_LOCKED_VM);
	}
	return vx > vy ? -1 : vx < vy;
}

void top_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
	      const struct out_opts *o, const char *sort, int rows)
{
	struct mla_proc **pv, **shown;
	size_t n, k = 0;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(out, "%s memlockacct: locked (VmLck) and pinned (VmPin) "
		"memory per process\n\n", when);
	table_header(out, o);
	n = model_procs(m, &pv);
	shown = calloc(n ? n : 1, sizeof(*shown));
	for (size_t i = 0; shown && i < n; i++)
		if (proc_matches(pv[i], f) && !pv[i]->exited)
			shown[k++] = pv[i];
	sort_key = !sort || !strcmp(sort, "locked") ? 0 :
		   !strcmp(sort, "pinned") ? 1 : 2;
	if (k) /* shown may be NULL (out of memory) */
		qsort(shown, k, sizeof(*shown), cmp_procs);
	for (size_t i = 0; i < k && (rows <= 0 || (int)i < rows); i++)
		table_row(out, shown[i], o);
	if (!k)
		fprintf(out, "(no process holds locked or pinned memory)\n");
	free(shown);
	free(pv);
}
