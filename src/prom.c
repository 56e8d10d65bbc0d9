// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text exposition format (0.0.4) and OpenMetrics 1.0, for
 * node_exporter's textfile collector (written to a temporary file and
 * renamed, so the collector never reads half a file) and the exporter's
 * /metrics: per process and per VM figures.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cgroup_attr.h"
#include "escape.h"
#include "figures.h"
#include "kube.h"
#include "model.h"
#include "names.h"
#include "output.h"
#include "prom.h"
#include "rangeset.h"
#include "vm.h"

#define LABEL_LEN 600
/* a cgroup path may be PATH_MAX long, and escaping can double it */
#define CGROUP_LABEL_LEN 8200

/*
 * A process's labels: pid, comm, vm, cgroup, and what the cgroup says:
 * systemd_unit, container_runtime, container_id, pod_uid, pod_namespace,
 * pod_name ("" when none, which Prometheus stores as no label). With
 * @proc false, only the cgroup's. Malloc'd; NULL: out of memory.
 */
static char *labels(const struct mla_proc *p, bool proc)
{
	char comm[MLA_COMM_LEN + 1], ecomm[LABEL_LEN], evm[LABEL_LEN];
	char ecg[CGROUP_LABEL_LEN], eunit[LABEL_LEN], head[2 * LABEL_LEN + 64];
	const struct cgroup_attr *a = p->cg_attr;
	char *all;

	escape_prom_label(p->cgroup ? p->cgroup : "", ecg, sizeof(ecg));
	escape_prom_label(a ? a->unit : "", eunit, sizeof(eunit));
	head[0] = '\0';
	if (proc) {
		memcpy(comm, p->comm, MLA_COMM_LEN);
		comm[MLA_COMM_LEN] = '\0';
		escape_prom_label(comm, ecomm, sizeof(ecomm));
		escape_prom_label(p->vm ? p->vm->name : "", evm, sizeof(evm));
		snprintf(head, sizeof(head),
			 "pid=\"%u\",comm=\"%s\",vm=\"%s\",", p->tgid, ecomm,
			 evm);
	}
	/*
	 * runtime, id and uid are checked to be [a-z0-9-] by cgroup_attr.c,
	 * the pod's names to be DNS-1123 by kube.c
	 */
	if (asprintf(
		    &all,
		    "%scgroup=\"%s\",systemd_unit=\"%s\",container_runtime=\"%s\","
		    "container_id=\"%s\",pod_uid=\"%s\",pod_namespace=\"%s\","
		    "pod_name=\"%s\"",
		    head, ecg, eunit, a ? a->runtime : "",
		    a ? a->container_id : "", a ? a->pod_uid : "",
		    a ? a->pod_namespace : "", a ? a->pod_name : "") < 0)
		return NULL;
	return all;
}

/*
 * OpenMetrics names a counter's family without the _total its samples
 * carry; the text format names both the same.
 */
static void help(FILE *f, bool om, const char *name, const char *type,
		 const char *text)
{
	int len = (int)strlen(name);

	if (om && !strcmp(type, "counter") && len > 6 &&
	    !strcmp(name + len - 6, "_total"))
		len -= 6;
	fprintf(f, "# HELP %.*s %s\n# TYPE %.*s %s\n", len, name, text, len,
		name, type);
}

static bool shown(const struct mla_proc *p, const struct proc_filter *flt)
{
	return !p->exited && proc_matches(p, flt) &&
	       (proc_final(p, MLA_LOCKED_VM) || proc_final(p, MLA_PINNED_VM) ||
		p->nfailures);
}

/*
 * What a process holds of @counter from @source, pages: of an mm counter
 * its own, of a per-user one its share of its user's.
 */
static int64_t held_from(const struct mla_proc *p, int counter, int source)
{
	if (counter < MLA_NR_MM_COUNTERS)
		return proc_source(p, counter, source);
	return proc_user_share(p, counter - MLA_NR_MM_COUNTERS, source);
}

/* The processes past --max-series, summed (pages). */
struct rest {
	size_t procs;
	int64_t by_src[MLA_NR_COUNTERS][MLA_NR_SOURCES];
};

/* The samples write_procs() gives @p. */
static size_t proc_series(const struct mla_proc *p, unsigned int page_size)
{
	struct overlap_figures fig;
	bool known, cap;
	size_t n = 1; /* refusals */
	double r;

	for (int c = 0; c < MLA_NR_COUNTERS; c++)
		for (int s = 0; s < MLA_NR_SOURCES; s++)
			n += held_from(p, c, s) != 0;
	n += p->limit_known && p->limit_soft != UINT64_MAX;
	n += proc_headroom_ratio(p, 0, page_size, &r) ? MLA_NR_MM_COUNTERS : 0;
	n += proc_overlap(p, &fig, &known, &cap) ? 3 : 0;
	return n;
}

static uint64_t held(const struct mla_proc *p)
{
	return proc_final(p, MLA_LOCKED_VM) + proc_final(p, MLA_PINNED_VM);
}

/* Refused processes first (alerts name them), then the largest. */
static int by_rank(const void *a, const void *b)
{
	const struct mla_proc *p = *(struct mla_proc *const *)a;
	const struct mla_proc *q = *(struct mla_proc *const *)b;

	if (!p->nfailures != !q->nfailures)
		return p->nfailures ? -1 : 1;
	if (held(p) != held(q))
		return held(p) > held(q) ? -1 : 1;
	return p->tgid < q->tgid ? -1 : p->tgid > q->tgid;
}

/*
 * Keep in @pv the best ranked processes while their samples fit @max (0:
 * no bound); sum the others' sizes into @rest.
 */
static size_t select_procs(struct mla_proc **pv, size_t n,
			   const struct out_opts *o, unsigned int max,
			   struct rest *rest)
{
	size_t kept = 0, series = 0;

	memset(rest, 0, sizeof(*rest));
	if (!max)
		return n;
	qsort(pv, n, sizeof(*pv), by_rank);
	for (size_t i = 0; i < n; i++) {
		size_t ns = proc_series(pv[i], o->page_size);

		if (!rest->procs && series + ns <= max) {
			series += ns;
			pv[kept++] = pv[i];
			continue;
		}
		rest->procs++;
		for (int c = 0; c < MLA_NR_COUNTERS; c++)
			for (int s = 0; s < MLA_NR_SOURCES; s++)
				rest->by_src[c][s] += held_from(pv[i], c, s);
	}
	return kept;
}

static void write_held(FILE *f, bool om, struct mla_proc **pv, char **l,
		       size_t n, const struct rest *rest,
		       const struct out_opts *o)
{
	help(f, om, "memlockacct_locked_bytes", "gauge",
	     "Memory charged to a counter compared with RLIMIT_MEMLOCK, by the "
	     "subsystem holding it; of a per-user counter, the process's share.");
	for (int c = 0; c < MLA_NR_COUNTERS; c++) {
		for (size_t i = 0; i < n; i++)
			for (int s = 0; s < MLA_NR_SOURCES; s++) {
				int64_t v = held_from(pv[i], c, s);

				if (v)
					fprintf(f,
						"memlockacct_locked_bytes{%s,"
						"counter=\"%s\",source=\"%s\"} "
						"%" PRId64 "\n",
						l[i], counter_name(c),
						source_name(s),
						v * (int64_t)o->page_size);
			}
		for (int s = 0; rest->procs && s < MLA_NR_SOURCES; s++)
			if (rest->by_src[c][s])
				fprintf(f,
					"memlockacct_locked_bytes{summed=\"true\","
					"counter=\"%s\",source=\"%s\"} %" PRId64
					"\n",
					counter_name(c), source_name(s),
					rest->by_src[c][s] *
						(int64_t)o->page_size);
	}
}

static void write_procs(FILE *f, bool om, struct mla_proc **pv, size_t n,
			const struct rest *rest, const struct out_opts *o)
{
	static const char *const kinds[] = { "mlock_and_vfio", "vfio_and_vfio",
					     "locked_and_pinned" };
	/* each process's labels, made once for all its samples */
	char **l = calloc(n ? n : 1, sizeof(*l));
	struct overlap_figures *figs;
	size_t kept = 0;

	for (size_t i = 0; l && i < n; i++) {
		l[kept] = labels(pv[i], true);
		if (l[kept]) /* out of memory: that process has no samples */
			pv[kept++] = pv[i];
	}
	n = kept;
	write_held(f, om, pv, l, n, rest, o);
	help(f, om, "memlockacct_limit_bytes", "gauge",
	     "The process's RLIMIT_MEMLOCK soft limit (absent when unlimited).");
	for (size_t i = 0; i < n; i++) {
		if (!pv[i]->limit_known || pv[i]->limit_soft == UINT64_MAX)
			continue;
		fprintf(f, "memlockacct_limit_bytes{%s} %" PRIu64 "\n", l[i],
			pv[i]->limit_soft);
	}
	help(f, om, "memlockacct_headroom_ratio", "gauge",
	     "What is left of RLIMIT_MEMLOCK for the counter, as a share of it "
	     "(absent when unlimited or CAP_IPC_LOCK).");
	for (size_t i = 0; i < n; i++) {
		double r;

		if (!proc_headroom_ratio(pv[i], 0, o->page_size, &r))
			continue;
		for (int c = 0; c < MLA_NR_MM_COUNTERS; c++) {
			proc_headroom_ratio(pv[i], c, o->page_size, &r);
			fprintf(f,
				"memlockacct_headroom_ratio{%s,counter=\"%s\"} %.6g\n",
				l[i], counter_name(c), r);
		}
	}
	help(f, om, "memlockacct_double_counted_bytes", "gauge",
	     "Bytes a counter holds more than once: mlocked and VFIO-mapped, "
	     "mapped by several VFIO mappings, in locked_vm and pinned_vm.");
	/* each process's figures once, for both families below */
	figs = calloc(n ? n : 1, sizeof(*figs));
	for (size_t i = 0; figs && i < n; i++) {
		bool known, cap;
		uint64_t v[3];

		if (!proc_overlap(pv[i], &figs[i], &known, &cap))
			continue;
		v[0] = figs[i].mlock_vfio;
		v[1] = figs[i].vfio_vfio;
		v[2] = figs[i].locked_pinned;
		for (int k = 0; k < 3; k++)
			fprintf(f,
				"memlockacct_double_counted_bytes{%s,"
				"kind=\"%s\"} %" PRIu64 "\n",
				l[i], kinds[k], v[k]);
	}
	help(f, om, "memlockacct_vfio_device_bytes", "gauge",
	     "Device memory (PCI BARs) the process has mapped for DMA through "
	     "VFIO: not RAM, charged to no counter (absent when none).");
	for (size_t i = 0; figs && i < n; i++)
		if (figs[i].device_maps)
			fprintf(f,
				"memlockacct_vfio_device_bytes{%s} %" PRIu64
				"\n",
				l[i], figs[i].device);
	free(figs);
	help(f, om, "memlockacct_process_refusals_total", "counter",
	     "Charges refused to the process since the tool started.");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "memlockacct_process_refusals_total{%s} %u\n", l[i],
			pv[i]->nfailures);
	}
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

/* Order processes by cgroup path (none last), to sum them per cgroup. */
static int by_cgroup(const void *a, const void *b)
{
	const struct mla_proc *p = *(struct mla_proc *const *)a;
	const struct mla_proc *q = *(struct mla_proc *const *)b;

	if (!p->cgroup || !q->cgroup)
		return !p->cgroup - !q->cgroup;
	return strcmp(p->cgroup, q->cgroup);
}

struct cg_sum {
	const struct mla_proc *first; /* its labels */
	uint64_t pages[MLA_NR_MM_COUNTERS];
};

static int by_size(const void *a, const void *b)
{
	const struct cg_sum *x = a, *y = b;
	uint64_t sx = x->pages[0] + x->pages[1], sy = y->pages[0] + y->pages[1];

	return sx > sy ? -1 : sx < sy;
}

/*
 * Per cgroup, what its shown processes hold (all of them, also those
 * past --max-series): pods and units outlive their processes' pids. At
 * most @max cgroups (0: all), the largest; memlockacct_cgroups_left_out
 * counts the others.
 */
static void write_cgroups(FILE *f, bool om, struct mla_proc **pv, size_t n,
			  unsigned int max, const struct out_opts *o)
{
	struct mla_proc **sorted = malloc((n ? n : 1) * sizeof(*sorted));
	struct cg_sum *sum = calloc(n ? n : 1, sizeof(*sum));
	size_t nsum = 0, left = 0;

	help(f, om, "memlockacct_cgroup_locked_bytes", "gauge",
	     "What a cgroup's processes hold in locked_vm and pinned_vm.");
	if (!sorted || !sum) { /* out of memory: no cgroup series this time */
		free(sorted);
		free(sum);
		return;
	}
	if (n)
		memcpy(sorted, pv, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), by_cgroup);
	for (size_t i = 0; i < n && sorted[i]->cgroup; i++) {
		if (!nsum ||
		    strcmp(sum[nsum - 1].first->cgroup, sorted[i]->cgroup))
			sum[nsum++].first = sorted[i];
		for (int c = 0; c < MLA_NR_MM_COUNTERS; c++)
			sum[nsum - 1].pages[c] += proc_final(sorted[i], c);
	}
	qsort(sum, nsum, sizeof(*sum), by_size);
	if (max && nsum > max) {
		left = nsum - max;
		nsum = max;
	}
	for (size_t i = 0; i < nsum; i++) {
		char *l = labels(sum[i].first, false);

		for (int c = 0; l && c < MLA_NR_MM_COUNTERS; c++)
			fprintf(f,
				"memlockacct_cgroup_locked_bytes{%s,counter=\"%s\"} "
				"%" PRIu64 "\n",
				l, counter_name(c),
				umul(sum[i].pages[c], o->page_size));
		free(l);
	}
	help(f, om, "memlockacct_cgroups_left_out", "gauge",
	     "cgroups past --max-series, without a "
	     "memlockacct_cgroup_locked_bytes series.");
	fprintf(f, "memlockacct_cgroups_left_out %zu\n", left);
	free(sorted);
	free(sum);
}

/* The per-user counters, by source: all of a uid's processes share one. */
static void write_users(FILE *f, bool om, struct mla_model *m,
			const struct out_opts *o)
{
	struct mla_user **uv;
	size_t n = model_users(m, &uv);

	help(f, om, "memlockacct_user_locked_bytes", "gauge",
	     "What a uid's per-user counter holds, by the subsystem holding it.");
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < MLA_NR_USER_COUNTERS; c++)
			for (int s = 0; s < MLA_NR_SOURCES; s++)
				if (uv[i]->by_src[c][s])
					fprintf(f,
						"memlockacct_user_locked_bytes{"
						"uid=\"%u\",counter=\"%s\","
						"source=\"%s\"} %" PRId64 "\n",
						uv[i]->uid,
						counter_name(
							MLA_NR_MM_COUNTERS + c),
						source_name(s),
						uv[i]->by_src[c][s] *
							(int64_t)o->page_size);
	free(uv);
}

/* Refusals host-wide: they stay counted after their processes exit. */
static void write_refusals(FILE *f, bool om, struct mla_model *m)
{
	help(f, om, "memlockacct_refusals_total", "counter",
	     "Charges the kernel refused since the tool started, by the counter "
	     "it checked against RLIMIT_MEMLOCK and the source.");
	for (int c = 0; c < MLA_NR_COUNTERS; c++)
		for (int s = 0; s < MLA_NR_SOURCES; s++)
			if (model_refusals(m, c, s))
				fprintf(f,
					"memlockacct_refusals_total{source=\"%s\","
					"check=\"%s\"} %" PRIu64 "\n",
					source_name(s), counter_name(c),
					model_refusals(m, c, s));
}

/* A VM's gauge: a value, or absent (unknown, unlimited). */
static bool vm_value(const struct vm_group *g, const struct vm_limits *l,
		     unsigned int page_size, int which, int64_t *v)
{
	switch (which) {
	case 0:
		*v = (int64_t)umul(g->locked, page_size);
		return true;
	case 1:
		*v = (int64_t)umul(l->libvirt_kib, 1024);
		return l->libvirt_kib && l->libvirt_kib != UINT64_MAX;
	case 2:
		*v = l->headroom_kib * 1024;
		return l->known && l->soft_kib != UINT64_MAX;
	case 3:
		*v = l->below_libvirt;
		return true;
	default:
		*v = l->fits_next_device;
		return true;
	}
}

static void write_vms(FILE *f, bool om, struct mla_model *m,
		      const struct proc_filter *flt, const struct out_opts *o)
{
	static const struct {
		const char *metric, *help;
	} fields[] = {
		{ "memlockacct_vm_locked_bytes",
		  "What the VM's processes hold in locked_vm." },
		{ "memlockacct_vm_libvirt_limit_bytes",
		  "The RLIMIT_MEMLOCK libvirt would set for this command line." },
		{ "memlockacct_vm_headroom_bytes",
		  "The VMM's RLIMIT_MEMLOCK minus what it holds." },
		{ "memlockacct_vm_limit_below_libvirt",
		  "1 when the VMM's limit is below libvirt's." },
		{ "memlockacct_vm_one_more_device_fits",
		  "1 when one more VFIO device would fit the limit." },
	};
	size_t n, nl = 0;
	struct vm_group *g = vm_groups(m, flt, o->page_size, &n);
	/* each VM's labels and limits, made once for its five samples */
	struct vm_limits *lim = calloc(n ? n : 1, sizeof(*lim));
	char **lab = calloc(n ? n : 1, sizeof(*lab));

	for (size_t i = 0; g && lim && lab && i < n; i++, nl++) {
		char label[LABEL_LEN], ns[KUBE_NS_LEN], vmi[KUBE_NAME_LEN];

		vm_limits(&g[i], o->page_size, &lim[i]);
		escape_prom_label(g[i].name, label, sizeof(label));
		vm_group_vmi(&g[i], ns, vmi);
		/* a UUID is hex and dashes (vm.c), VMI names DNS-1123 */
		if (asprintf(&lab[i],
			     "vm=\"%s\",vm_uuid=\"%s\",vmi_namespace=\"%s\","
			     "vmi_name=\"%s\"",
			     label, g[i].main->vm->uuid, ns, vmi) < 0)
			lab[i] = NULL; /* out of memory: no samples for it */
	}
	for (int k = 0; k < (int)(sizeof(fields) / sizeof(fields[0])); k++) {
		help(f, om, fields[k].metric, "gauge", fields[k].help);
		for (size_t i = 0; i < nl; i++) {
			int64_t v;

			if (lab[i] &&
			    vm_value(&g[i], &lim[i], o->page_size, k, &v))
				fprintf(f, "%s{%s} %" PRId64 "\n",
					fields[k].metric, lab[i], v);
		}
	}
	for (size_t i = 0; i < nl; i++)
		free(lab[i]);
	free(lab);
	free(lim);
	free(g);
}

void prom_render(FILE *f, enum prom_format fmt, struct mla_model *m,
		 const struct proc_filter *flt, const struct out_opts *o,
		 const struct run_stats *rs)
{
	bool om = fmt == PROM_OPENMETRICS;
	struct mla_proc **pv;
	size_t n, shown_n = 0;
	struct rest rest;

	n = model_procs(m, &pv);
	for (size_t i = 0; i < n; i++)
		if (shown(pv[i], flt))
			pv[shown_n++] = pv[i];
	write_cgroups(f, om, pv, shown_n, o->max_series, o);
	n = select_procs(pv, shown_n, o, o->max_series, &rest);
	write_procs(f, om, pv, n, &rest, o);
	free(pv);
	help(f, om, "memlockacct_summed_processes", "gauge",
	     "Processes past --max-series: their sizes are summed into the "
	     "summed=\"true\" series.");
	fprintf(f, "memlockacct_summed_processes %zu\n", rest.procs);
	write_users(f, om, m, o);
	write_refusals(f, om, m);
	write_vms(f, om, m, flt, o);
	help(f, om, "memlockacct_lost_events_total", "counter",
	     "Events the ring buffer had no room for (totals stay exact).");
	fprintf(f, "memlockacct_lost_events_total %" PRIu64 "\n",
		rs->lost_events);
	if (om)
		fputs("# EOF\n", f);
}

int prom_write(const char *path, struct mla_model *m,
	       const struct proc_filter *flt, const struct out_opts *o,
	       const struct run_stats *rs)
{
	char tmp[4096];
	FILE *f;
	int err = 0;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	prom_render(f, PROM_TEXT, m, flt, o, rs);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* One media range's q (RFC 9110 12.4.2), 1 when it gives none. */
static double media_q(const char *params, size_t len)
{
	const char *p = params, *end = params + len;

	while (p < end) {
		while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
			p++;
		if (end - p > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
			return strtod(p + 2, NULL);
		while (p < end && *p != ';')
			p++;
	}
	return 1;
}

enum prom_format prom_negotiate(const char *accept)
{
	double q_om = 0, q_text = 0;
	const char *p = accept;

	while (p && *p) {
		size_t len = strcspn(p, ","), type_len;
		double q;

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		type_len = strcspn(p, ";, \t");
		if (type_len > len)
			type_len = len;
		q = media_q(p + type_len, len - type_len);
		if (type_len == 28 &&
		    !strncasecmp(p, "application/openmetrics-text", 28))
			q_om = q > q_om ? q : q_om;
		else if ((type_len == 10 &&
			  !strncasecmp(p, "text/plain", 10)) ||
			 (type_len == 6 && !strncasecmp(p, "text/*", 6)) ||
			 (type_len == 3 && !strncmp(p, "*/*", 3)))
			q_text = q > q_text ? q : q_text;
		p += len;
		if (*p == ',')
			p++;
	}
	/* a tie, or nothing we know, gets the text format */
	return q_om > 0 && q_om > q_text ? PROM_OPENMETRICS : PROM_TEXT;
}

const char *prom_content_type(enum prom_format fmt)
{
	return fmt == PROM_OPENMETRICS ?
		       "application/openmetrics-text; version=1.0.0; "
		       "charset=utf-8" :
		       "text/plain; version=0.0.4; charset=utf-8";
}
