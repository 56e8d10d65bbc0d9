// SPDX-License-Identifier: GPL-2.0
/* Text: trace lines, the top and report tables, refusals explained. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup_attr.h"
#include "explain.h"
#include "model.h"
#include "names.h"
#include "output.h"
#include "users.h"
#include "vm.h"

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
		snprintf(buf, len, "%.6f", (double)(ts_ns - o->start_ns) / 1e9);
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

static const char *event_cause(const struct mla_event *e, char *buf, size_t len)
{
	return cause_str(e->cause, e->nr, e->cmd, buf, len);
}

static void fmt_rlim(char *buf, size_t len, uint64_t bytes)
{
	if (bytes == UINT64_MAX)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%" PRIu64 " KiB", bytes / 1024);
}

/*
 * "soft S, hard H, by pid P (comm) with prlimit64 at T s[, was S/H]", or
 * its refusal: the one line every view tells a limit set with.
 */
static const char *limit_set_str(const struct mla_limit_set *ls,
				 const struct out_opts *o, char *buf,
				 size_t len)
{
	char comm[COMM_ESC], when[32], soft[24], hard[24], was[96] = "";

	fmt_time(o, ls->ts_ns, when, sizeof(when));
	fmt_rlim(soft, sizeof(soft), ls->soft);
	fmt_rlim(hard, sizeof(hard), ls->hard);
	if (ls->old_known) {
		char os[24], oh[24];

		fmt_rlim(os, sizeof(os), ls->old_soft);
		fmt_rlim(oh, sizeof(oh), ls->old_hard);
		snprintf(was, sizeof(was), ", was soft %s, hard %s", os, oh);
	}
	snprintf(buf, len,
		 "%s soft %s, hard %s, by pid %u (%s) with %s at %s%s%s",
		 ls->ret ? "refused:" : "set to", soft, hard, ls->by_tgid,
		 comm_escaped(ls->by_comm, comm), syscall_name(ls->nr) ?: "?",
		 when, o->wall_time ? "" : " s", was);
	if (ls->ret)
		snprintf(buf + strlen(buf), len - strlen(buf), " (%s)",
			 errno_name(ls->ret));
	return buf;
}

static void limit_event(FILE *out, const struct out_opts *o,
			const struct mla_event *e, const char *when)
{
	struct mla_limit_set ls;
	char line[400];

	model_limit_set_of(e, &ls);
	fprintf(out, "%-12s %-7u %-16s RLIMIT_MEMLOCK %s\n", when, e->tgid, "-",
		limit_set_str(&ls, o, line, sizeof(line)));
}

void trace_event(FILE *out, const struct out_opts *o, const struct mla_event *e)
{
	char comm[COMM_ESC], when[32], cause[64], limit[32];

	fmt_time(o, e->ts_ns, when, sizeof(when));
	comm_escaped(e->comm, comm);
	if (e->type == MLA_EV_LIMIT) {
		limit_event(out, o, e, when);
		return;
	}
	if (e->type == MLA_EV_FAILURE) {
		fprintf(out,
			"%-12s %-7u %-16s %-9s %-10s %s: asked %" PRIu64
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
	fprintf(out,
		"%-12s %-7u %-16s %-14s %-9s %+11" PRId64 " %11" PRIu64
		" %11s %s\n",
		when, e->tgid, comm, counter_name(e->counter),
		source_name(e->source), sin_unit(o, e->delta),
		in_unit(o, e->value), limit,
		event_cause(e, cause, sizeof(cause)));
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
		snprintf(asked, sizeof(asked), "%" PRIu64 " KiB",
			 x.request_kib);
	fprintf(out, "%s (pid %u, uid %u%s) was refused %s (%s, %s):\n",
		comm_escaped(e->comm, comm), e->tgid, e->uid, vm, asked,
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
	fputc('\n', out);
	/* who gave it that limit, if it was set while we traced */
	if (p && p->limit_set && p->limit_set->ts_ns <= e->ts_ns) {
		char line[400];

		fprintf(out, "  limit: %s\n",
			limit_set_str(p->limit_set, o, line, sizeof(line)));
	}
	fprintf(out, "  fix: %s\n", x.advice);
}

/* The limits set, or refused, on the shown processes while we traced. */
static void limits_text(FILE *out, struct mla_proc **pv, size_t n,
			const struct proc_filter *f, const struct out_opts *o,
			bool *header)
{
	for (size_t i = 0; i < n; i++) {
		const struct mla_proc *p = pv[i];
		const struct mla_limit_set *sets[2] = { p->limit_set,
							p->limit_refused };
		char comm[COMM_ESC], line[400];

		if ((!sets[0] && !sets[1]) || !proc_matches(p, f))
			continue;
		if (!*header)
			fprintf(out, "\nRLIMIT_MEMLOCK set while tracing:\n");
		*header = true;
		for (int k = 0; k < 2; k++)
			if (sets[k])
				fprintf(out, "%s (pid %u): %s\n",
					p->comm[0] ?
						comm_escaped(p->comm, comm) :
						"?",
					p->tgid,
					limit_set_str(sets[k], o, line,
						      sizeof(line)));
	}
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
	char where[300], ewhere[4 * sizeof(where)];
	struct proc_view v;

	comm_escaped(p->comm, comm);
	/* a unit's name is anyone's: made safe; a longer one is whole */
	escape_text(cgroup_attr_where(p->cg_attr, where, sizeof(where)), ewhere,
		    sizeof(ewhere));
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
	proc_view(p, o->page_size, &v);
	fprintf(out,
		"%-7u %-16s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
		" %10" PRIu64 " %10s %10s %5" PRId64 " %-28s %s%s%s\n",
		p->tgid, comm, in_unit(o, proc_final(p, MLA_LOCKED_VM)),
		in_unit(o, proc_peak(p, MLA_LOCKED_VM)),
		in_unit(o, proc_final(p, MLA_PINNED_VM)),
		in_unit(o,
			(v.f.mlock_vfio + v.f.vfio_vfio + v.f.locked_pinned) /
				o->page_size),
		lim, head,
		sin_unit(o, proc_drift(p, MLA_LOCKED_VM)) +
			sin_unit(o, proc_drift(p, MLA_PINNED_VM)),
		ewhere, lsrc, strcmp(psrc, "-") ? " pinned:" : "",
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
	fprintf(out, "%-7s %-16s %10s %10s %10s %10s %10s %10s %5s %-28s %s\n",
		"PID", "COMM", l, pk, pn, tw, lim, h, "DRIFT", "WHERE",
		"BY SOURCE");
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
		proc_view(pv[i], o->page_size, &v);
		twice = v.f.mlock_vfio + v.f.vfio_vfio + v.f.locked_pinned;
		if (!v.has || (!twice && !v.f.unique_locked))
			continue;
		if (!header) {
			fprintf(out,
				"\nCounted more than once (%s), and what a "
				"single count would hold:\n",
				u);
			fprintf(out,
				"%-7s %-16s %11s %11s %11s %5s %11s %11s%s\n",
				"PID", "COMM", "MLOCK+VFIO", "VFIO+VFIO",
				"LOCK+PIN", "MAXN", "UNIQUE", "UNIFIED",
				" OVER-LIMIT-IF-UNIFIED");
			header = true;
		}
		fprintf(out,
			"%-7u %-16s %11" PRIu64 " %11" PRIu64 " %11" PRIu64
			" %5" PRIu64 " %11" PRIu64 " %11" PRIu64 " %s%s\n",
			pv[i]->tgid, comm_escaped(pv[i]->comm, comm),
			in_unit(o, v.f.mlock_vfio / o->page_size),
			in_unit(o, v.f.vfio_vfio / o->page_size),
			in_unit(o, v.f.locked_pinned / o->page_size),
			v.f.max_multiplicity,
			in_unit(o, v.f.unique_locked / o->page_size),
			in_unit(o, v.unified), v.would_exceed ? "yes" : "no",
			v.ranges_known ? "" : " (ranges unknown)");
	}
}

/* VFIO mappings of device memory: not RAM, so in no counter nor figure above */
static void device_text(FILE *out, struct mla_proc **pv, size_t n,
			const struct proc_filter *f, const struct out_opts *o)
{
	bool header = false;

	for (size_t i = 0; i < n; i++) {
		struct proc_view v;
		char comm[COMM_ESC];

		if (!proc_matches(pv[i], f))
			continue;
		proc_view(pv[i], o->page_size, &v);
		if (!v.has || !v.f.device_maps)
			continue;
		if (!header)
			fprintf(out,
				"\nDevice memory mapped for DMA (%s; not RAM, "
				"charged to no counter):\n%-7s %-16s %8s %11s\n",
				unit_suffix(o->unit), "PID", "COMM", "MAPPINGS",
				"SIZE");
		header = true;
		fprintf(out, "%-7u %-16s %8" PRIu64 " %11" PRIu64 "\n",
			pv[i]->tgid, comm_escaped(pv[i]->comm, comm),
			v.f.device_maps, in_unit(o, v.f.device / o->page_size));
	}
}

void report_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
		 const struct out_opts *o, const struct run_stats *s)
{
	const struct mla_failure *fl;
	struct mla_proc **pv;
	size_t n, shown = 0;
	bool header = false;

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
	device_text(out, pv, n, f, o);
	limits_text(out, pv, n, f, o, &header);
	free(pv);
	/* and on processes never seen to charge anything */
	n = model_pending(m, &pv);
	limits_text(out, pv, n, f, o, &header);
	free(pv);
	n = model_failures(m, &fl);
	if (n)
		fprintf(out, "\nRefused charges:\n");
	for (size_t i = 0; i < n; i++) {
		struct mla_proc *p =
			model_proc(m, fl[i].ev.tgid, fl[i].ev.start_ns, false);

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
	fprintf(out,
		"%s memlockacct: locked (VmLck) and pinned (VmPin) "
		"memory per process\n\n",
		when);
	table_header(out, o);
	n = model_procs(m, &pv);
	shown = calloc(n ? n : 1, sizeof(*shown));
	for (size_t i = 0; shown && i < n; i++)
		if (proc_matches(pv[i], f) && !pv[i]->exited)
			shown[k++] = pv[i];
	sort_key = !sort || !strcmp(sort, "locked") ? 0 :
		   !strcmp(sort, "pinned")	    ? 1 :
						      2;
	if (k) /* shown may be NULL (out of memory) */
		qsort(shown, k, sizeof(*shown), cmp_procs);
	for (size_t i = 0; i < k && (rows <= 0 || (int)i < rows); i++)
		table_row(out, shown[i], o);
	if (!k)
		fprintf(out, "(no process holds locked or pinned memory)\n");
	free(shown);
	free(pv);
}
