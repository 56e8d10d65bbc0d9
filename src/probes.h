/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attach logic: open the skeleton, decide per kernel which programs can run
 * (autoload off for the rest), configure, load, seed the baseline, attach.
 */
#ifndef MLA_PROBES_H
#define MLA_PROBES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>
#include "memlockacct.h"

enum probe_state { PROBE_ACTIVE, PROBE_OFF, PROBE_FAILED };

struct probe {
	const char *label;  /* the kernel hook */
	const char *tier;   /* "portable" or "precise" */
	const char *module; /* NULL: in vmlinux */
	const char *prog;   /* skeleton program names */
	const char *retprog; /* NULL: an entry probe only */
	const char *fexit;  /* fexit flavour, used when fentry works */
	const char *fentry; /* with fexit: a pair in place of the kprobes;
			     * without: in place of the kprobe */
	bool optional_tp;   /* a tracepoint that older kernels lack */
	bool late;	    /* loaded: attach when its module appears */
	char kind[16];	    /* how it is attached here */
	char target[128];   /* the symbol as this kernel names it */
	enum probe_state state;
	char why[256];
	struct bpf_link *links[2];
};

struct probes_opts {
	const char *btf_path;  /* --btf */
	bool portable_only;    /* --portable */
	bool kprobes_only;     /* --kprobes: no fentry/fexit */
	bool follow_tree;      /* run mode: follow forks of the tree map */
	bool filter_tree;      /* events only for the tree map */
	int cgroup_fd;	       /* -1, or a cgroup v2 directory */
	unsigned int max_procs; /* size of the per-mm map; 0: default */
	bool aggregate;	       /* no change events for mlock-only mms */
};

struct probes {
	struct memlockacct *skel;
	struct probe *list;
	unsigned int n;
	bool precise;	    /* at least one precise probe attached */
	bool lazy_baseline; /* no iterator: baseline from first sight */
	uint64_t start_ns;  /* CLOCK_BOOTTIME when tracing began */
	/* VFIO mappings open at start, from the container walk */
	struct mla_vfio_map *vfio_maps;
	size_t nvfio_maps;
	__u64 vfio_fops, type1_ops; /* kallsyms, for the walk */
};

/*
 * open -> configure -> load -> baseline -> attach. On failure returns
 * -errno with a one-line explanation for the operator in @why.
 */
int probes_start(struct probes *p, const struct probes_opts *o, char *why,
		 int whylen);
void probes_stop(struct probes *p);

/*
 * Observe every process and user from the frontend's side, for what
 * changed where no hook sees. -EOPNOTSUPP without task iterators.
 */
int probes_resync(struct probes *p);

/*
 * Attach the probes of modules loaded since we started (vfio_iommu_type1
 * for a VM started later). Returns how many were attached.
 */
int probes_attach_late(struct probes *p);

/* Is the probe of this label (as `features` shows it) attached? */
bool probes_active(struct probes *p, const char *label);

/* The `features` table. */
void probes_print(const struct probes *p, FILE *out, bool json);

/*
 * Load every program of both tiers on its own, without attaching, and
 * print one line per program: whether the verifier accepted it here.
 * Returns the number that failed (fexit flavours on a kernel without
 * trampolines are reported, and counted, separately in @refused).
 */
int probes_verify_all(const char *btf_path, FILE *out, int *refused);

#endif
