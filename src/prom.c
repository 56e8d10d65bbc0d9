// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text exposition format, for node_exporter's textfile
 * collector: per process and per VM figures, written to a temporary file
 * and renamed, so the collector never reads half a file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "model.h"
#include "names.h"
#include "output.h"
#include "prom.h"
#include "rangeset.h"
#include "vm.h"

#define LABEL_LEN 600

struct labels {
	char pid[16];
	char comm[LABEL_LEN];
	char vm[LABEL_LEN];
};

static void proc_labels(const struct mla_proc *p, struct labels *l)
{
	char comm[MLA_COMM_LEN + 1];

	memcpy(comm, p->comm, MLA_COMM_LEN);
	comm[MLA_COMM_LEN] = '\0';
	snprintf(l->pid, sizeof(l->pid), "%u", p->tgid);
	escape_prom_label(comm, l->comm, sizeof(l->comm));
	escape_prom_label(p->vm ? p->vm->name : "", l->vm, sizeof(l->vm));
}

static void help(FILE *f, const char *name, const char *type,
		 const char *text)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static bool shown(const struct mla_proc *p, const struct proc_filter *flt)
{
	return !p->exited && proc_matches(p, flt) &&
	       (proc_final(p, MLA_LOCKED_VM) || proc_final(p, MLA_PINNED_VM) ||
		p->nfailures);
}

static void write_procs(FILE *f, struct mla_proc **pv, size_t n,
			const struct proc_filter *flt,
			const struct out_opts *o)
{
	static const char *const kinds[] = { "mlock_and_vfio", "vfio_and_vfio",
					     "locked_and_pinned" };
	static const struct {
		const char *name;
		int counter;
		const char *help;
	} by_source[] = {
		{ "memlockacct_locked_bytes", MLA_LOCKED_VM,
		  "Memory charged to mm->locked_vm (VmLck), by the subsystem "
		  "holding it." },
		{ "memlockacct_pinned_bytes", MLA_PINNED_VM,
		  "Memory charged to mm->pinned_vm (VmPin), by the subsystem "
		  "holding it." },
	};
	struct labels l;

	for (size_t b = 0; b < 2; b++) {
		help(f, by_source[b].name, "gauge", by_source[b].help);
		for (size_t i = 0; i < n; i++) {
			if (!shown(pv[i], flt))
				continue;
			proc_labels(pv[i], &l);
			for (int s = 0; s < MLA_NR_SOURCES; s++) {
				int64_t v = proc_source(pv[i], by_source[b].counter, s);

				if (v)
					fprintf(f, "%s{pid=\"%s\",comm=\"%s\",vm=\"%s\","
						"source=\"%s\"} %" PRId64 "\n",
						by_source[b].name, l.pid, l.comm,
						l.vm, source_name(s),
						v * (int64_t)o->page_size);
			}
		}
	}
	help(f, "memlockacct_memlock_limit_bytes", "gauge",
	     "The process's RLIMIT_MEMLOCK soft limit (absent when unlimited).");
	for (size_t i = 0; i < n; i++) {
		if (!shown(pv[i], flt) || !pv[i]->limit_known ||
		    pv[i]->limit_soft == UINT64_MAX)
			continue;
		proc_labels(pv[i], &l);
		fprintf(f, "memlockacct_memlock_limit_bytes{pid=\"%s\",comm=\"%s\","
			"vm=\"%s\"} %" PRIu64 "\n",
			l.pid, l.comm, l.vm, pv[i]->limit_soft);
	}
	help(f, "memlockacct_double_counted_bytes", "gauge",
	     "Bytes a counter holds more than once: mlocked and VFIO-mapped, "
	     "mapped by several VFIO mappings, in locked_vm and pinned_vm.");
	for (size_t i = 0; i < n; i++) {
		struct overlap_figures fig;
		bool known, cap;
		uint64_t v[3];

		if (!shown(pv[i], flt) || !proc_overlap(pv[i], &fig, &known, &cap))
			continue;
		proc_labels(pv[i], &l);
		v[0] = fig.mlock_vfio;
		v[1] = fig.vfio_vfio;
		v[2] = fig.locked_pinned;
		for (int k = 0; k < 3; k++)
			fprintf(f, "memlockacct_double_counted_bytes{pid=\"%s\","
				"comm=\"%s\",vm=\"%s\",kind=\"%s\"} %" PRIu64 "\n",
				l.pid, l.comm, l.vm, kinds[k], v[k]);
	}
	help(f, "memlockacct_refusals_total", "counter",
	     "Charges refused to the process since the tool started.");
	for (size_t i = 0; i < n; i++) {
		if (!shown(pv[i], flt))
			continue;
		proc_labels(pv[i], &l);
		fprintf(f, "memlockacct_refusals_total{pid=\"%s\",comm=\"%s\","
			"vm=\"%s\"} %u\n",
			l.pid, l.comm, l.vm, pv[i]->nfailures);
	}
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

static void write_vms(FILE *f, struct mla_model *m,
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
	size_t n;
	struct vm_group *g = vm_groups(m, flt, o->page_size, &n);

	for (int k = 0; k < (int)(sizeof(fields) / sizeof(fields[0])); k++) {
		help(f, fields[k].metric, "gauge", fields[k].help);
		for (size_t i = 0; g && i < n; i++) {
			char label[LABEL_LEN];
			struct vm_limits l;
			int64_t v;

			vm_limits(&g[i], o->page_size, &l);
			if (!vm_value(&g[i], &l, o->page_size, k, &v))
				continue;
			escape_prom_label(g[i].name, label, sizeof(label));
			fprintf(f, "%s{vm=\"%s\"} %" PRId64 "\n",
				fields[k].metric, label, v);
		}
	}
	free(g);
}

int prom_write(const char *path, struct mla_model *m,
	       const struct proc_filter *flt, const struct out_opts *o,
	       const struct run_stats *rs)
{
	char tmp[4096];
	struct mla_proc **pv;
	size_t n;
	FILE *f;
	int err = 0;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	n = model_procs(m, &pv);
	write_procs(f, pv, n, flt, o);
	free(pv);
	write_vms(f, m, flt, o);
	help(f, "memlockacct_lost_events_total", "counter",
	     "Events the ring buffer had no room for (totals stay exact).");
	fprintf(f, "memlockacct_lost_events_total %" PRIu64 "\n",
		rs->lost_events);
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
