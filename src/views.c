// SPDX-License-Identifier: GPL-2.0
/*
 * What each command shows (view_ops), out of the event loop: trace prints
 * events as they come, top a table every interval, report and run a summary
 * at the end, record only its file, exporter publishes the metrics for its
 * HTTP server every interval. The Prometheus textfile is anyone's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>
#include "memlockacct.h"
#include "memlockacct.skel.h"
#include "exporter.h"
#include "model.h"
#include "output.h"
#include "prom.h"
#include "session_int.h"

void prom_refresh(struct session *s)
{
	struct run_stats rs;
	int err;

	if (!s->o->prom_path)
		return;
	refresh_for_view(s);
	stats_of(s, &rs);
	err = prom_write(s->o->prom_path, s->model, &s->o->filter, &s->o->out,
			 &rs);
	if (err)
		fprintf(stderr, "memlockacct: cannot write %s: %s\n",
			s->o->prom_path, strerror(-err));
}

/* ---- trace ---------------------------------------------------------------- */

static bool event_shown(struct session *s, const struct mla_event *e)
{
	const struct proc_filter *f = &s->o->filter;

	/* a refused set of the limit is a refusal too */
	if (s->o->failures_only && e->type != MLA_EV_FAILURE &&
	    !(e->type == MLA_EV_LIMIT && e->ret))
		return false;
	if (e->type != MLA_EV_CHANGE && e->type != MLA_EV_FAILURE &&
	    e->type != MLA_EV_LIMIT)
		return false;
	if (f->pid && (int)e->tgid != f->pid)
		return false;
	if (f->comm && strncmp(e->comm, f->comm, strlen(f->comm)))
		return false;
	return true;
}

static void trace_start(struct session *s)
{
	if (s->o->out.json)
		return;
	fprintf(stderr,
		"Tracing changes of locked and pinned memory (%s "
		"tier)... Hit Ctrl-C to end.\n",
		s->probes.precise ? "precise" : "portable");
	if (!s->o->failures_only)
		trace_header(s->out, &s->o->out, false);
}

static void trace_one(struct session *s, const struct mla_event *e)
{
	const struct out_opts *o = &s->o->out;
	const struct mla_failure *fl;
	size_t n;

	if (!event_shown(s, e))
		return;
	n = model_failures(s->model, &fl);
	if (e->type == MLA_EV_FAILURE && n && fl[n - 1].ev.ts_ns == e->ts_ns) {
		const struct mla_proc *p =
			model_proc(s->model, e->tgid, e->start_ns, false);

		/* refusals come with their explanation */
		if (o->json)
			json_print(s->out, failure_json(&fl[n - 1], p, o),
				   false);
		else
			failure_print(s->out, &fl[n - 1], p, o);
	} else if (o->json) {
		json_print(s->out, event_json(o, e), false);
	} else {
		trace_event(s->out, o, e);
	}
	fflush(s->out);
}

static void trace_end(struct session *s)
{
	uint64_t lost = s->probes.skel->bss->stats.lost_events;

	if (lost)
		fprintf(stderr,
			"memlockacct: %" PRIu64 " events lost (ring "
			"buffer full); totals are still exact\n",
			lost);
}

/* ---- top ------------------------------------------------------------------ */

static bool top_refresh(struct session *s)
{
	refresh_for_view(s);
	if (!s->o->no_clear)
		fprintf(s->out, "\033[H\033[2J");
	top_text(s->out, s->model, &s->o->filter, &s->o->out, s->o->sort,
		 s->o->rows);
	fflush(s->out);
	return s->o->count && ++s->refreshes > s->o->count;
}

static void top_start(struct session *s)
{
	top_refresh(s);
}

/* ---- report and run: a summary at the end ----------------------------------- */

void print_report(FILE *out, struct mla_model *m, const struct session_opts *o,
		  const struct run_stats *rs)
{
	if (o->out.json)
		json_print(out, report_json(m, &o->filter, &o->out, rs), true);
	else if (o->vm_view)
		vms_text(out, m, &o->filter, &o->out);
	else if (o->users_view)
		users_text(out, m, &o->filter, &o->out);
	else
		report_text(out, m, &o->filter, &o->out, rs);
	fflush(out);
}

static void summary(struct session *s)
{
	struct run_stats rs;

	stats_of(s, &rs);
	refresh_for_view(s);
	print_report(s->out, s->model, s->o, &rs);
}

/* ---- record --------------------------------------------------------------- */

static void record_end(struct session *s)
{
	if (!s->rec_err)
		fprintf(stderr,
			"memlockacct: recorded %" PRIu64 " events to %s\n",
			(uint64_t)s->probes.skel->bss->stats.events,
			s->o->record_path);
}

/* ---- exporter ------------------------------------------------------------- */

/* @fmt rendered into a malloc'd buffer; NULL when out of memory. */
static char *render(struct session *s, enum prom_format fmt,
		    const struct run_stats *rs, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	prom_render(f, fmt, s->model, &s->o->filter, &s->o->out, rs);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

static bool exporter_refresh(struct session *s)
{
	struct run_stats rs;
	size_t tl = 0, ol = 0;
	char *text, *om;

	refresh_for_view(s);
	stats_of(s, &rs);
	text = render(s, PROM_TEXT, &rs, &tl);
	om = render(s, PROM_OPENMETRICS, &rs, &ol);
	exporter_publish(s->exporter, text, tl, om, ol);
	return false;
}

static void exporter_begin(struct session *s)
{
	exporter_refresh(s);
	fprintf(stderr,
		"memlockacct: serving /metrics and /healthz on %s (%s tier), "
		"refreshed every %g s\n",
		s->o->listen, s->probes.precise ? "precise" : "portable",
		s->o->interval_s);
}

static const struct view_ops views[] = {
	[MODE_TRACE] = { .start = trace_start,
			 .event = trace_one,
			 .end = trace_end,
			 .forget_exited = true },
	[MODE_TOP] = { .start = top_start,
		       .refresh = top_refresh,
		       .reconcile = true,
		       .forget_exited = true },
	[MODE_REPORT] = { .end = summary, .reconcile = true },
	[MODE_RUN] = { .end = summary },
	[MODE_RECORD] = { .end = record_end, .reconcile = true },
	[MODE_EXPORTER] = { .start = exporter_begin,
			    .refresh = exporter_refresh,
			    .reconcile = true,
			    .forget_exited = true },
};

const struct view_ops *view_of(enum session_mode mode)
{
	return &views[mode];
}
