/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The figures the views show, computed from the model once for text, JSON
 * and Prometheus alike: units, which processes a view shows, drift, double
 * counting, headroom, VMs and their limits. Pure: no /proc (the harvest
 * fills the fields read here), no output; unit-tested.
 */
#ifndef MLA_FIGURES_H
#define MLA_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>
#include "memlockacct.h"
#include "model.h"
#include "rangeset.h"
#include "cgroup_attr.h"
#include "vm.h"

enum out_unit { UNIT_KIB, UNIT_BYTES, UNIT_PAGES };

struct out_opts {
	enum out_unit unit;
	bool json;
	bool wall_time;	   /* -T: wall clock instead of seconds since start */
	uint64_t start_ns; /* boottime of tracing start, for relative times */
	unsigned int page_size;
	unsigned int max_series; /* Prometheus: per-process samples, 0: all */
};

/* Which processes a table or report shows. */
struct proc_filter {
	int pid;	    /* 0: any */
	const char *comm;   /* prefix, NULL: any */
	const char *cgroup; /* cgroup v2 path, NULL: any */
	/* --cgroup KEY=VALUE: what the cgroup says (cgroup_attr.h) */
	enum cg_sel cg_sel;
	const char *cg_value;
	bool tree_only;	    /* run mode: only the traced command's tree */
	bool all;	    /* also processes that hold nothing now */
};

/* Host-wide figures the report prints besides the processes. */
struct run_stats {
	uint64_t lost_events;
	uint64_t dropped_mms;
	uint64_t dropped_dead;
	uint64_t dropped_users;
	uint64_t busy;
	uint64_t walk_lost;
	int drop_errno; /* of the last lost map insert, 0: none or unknown */
	/* entries in the mms, dead and users maps, at start and at the end */
	uint32_t maps_start[3], maps_end[3];
	uint64_t events;
	const char *tier;
	uint64_t duration_ns;
};

/*
 * Sizes in the chosen unit. Figures may come from a record file, not only
 * from the kernel: products saturate instead of overflowing.
 */
const char *unit_suffix(enum out_unit u);
uint64_t in_unit(const struct out_opts *o, uint64_t pages);
int64_t sin_unit(const struct out_opts *o, int64_t pages);
uint64_t pages_kib(const struct out_opts *o, uint64_t pages);
int64_t spages_kib(const struct out_opts *o, int64_t pages);
uint64_t umul(uint64_t a, uint64_t b);

/* Is @cg (a cgroup v2 path) @path or below it? */
bool cgroup_contains(const char *path, const char *cg);

/* Does a view with this filter show the process? */
bool proc_matches(const struct mla_proc *p, const struct proc_filter *f);

/* Tool total minus the kernel's, in pages, at the last reconciliation. */
int64_t proc_drift(const struct mla_proc *p, int counter);
/* Was it compared with the kernel's own figure (live or at exit)? */
bool proc_checked(const struct mla_proc *p);

/* A process's double counting and what a single count would hold. */
struct proc_view {
	struct overlap_figures f; /* bytes */
	bool has;		  /* the process has a current mm */
	bool ranges_known;	  /* ranges tracked since birth or from smaps */
	bool vfio_lock_cap;	  /* a VFIO mapping bypasses the limit */
	uint64_t unified;	  /* pages held once each */
	bool cap;		  /* CAP_IPC_LOCK known, and held */
	bool limited;		  /* a finite soft limit is known */
	bool would_exceed;	  /* the unified count is over that limit */
};

void proc_view(const struct mla_proc *p, unsigned int page_size,
	       struct proc_view *v);

/*
 * What is left of the limit for @counter (locked_vm or pinned_vm, each
 * compared with RLIMIT_MEMLOCK on its own), as a share of the limit:
 * 1 empty, 0 full, below 0 over it. False when there is no limit to run
 * into: unlimited, unknown, or CAP_IPC_LOCK held.
 */
bool proc_headroom_ratio(const struct mla_proc *p, int counter,
			 unsigned int page_size, double *ratio);

/* Processes of one VM summed: the VMM and its helpers. */
struct vm_group {
	const struct mla_proc *main; /* the VMM process (else the first) */
	char name[VM_NAME_LEN + 16];
	uint64_t locked, peak, pinned; /* pages */
	int64_t by_src[MLA_NR_SOURCES];
	struct overlap_figures f;
	unsigned int nprocs, vfio_groups;
};

/*
 * The KubeVirt VMI a VM is (its VMM in a pod, not one named otherwise than
 * virt-launcher-*, its domain <namespace>_<name>); false: none.
 */
bool vm_group_vmi(const struct vm_group *g, char *ns, char *name);

/* The VMs among the shown processes; caller frees. */
struct vm_group *vm_groups(struct mla_model *m, const struct proc_filter *flt,
			   unsigned int page_size, size_t *count);

/* What the VM may hold, and whether one more VFIO device would fit. */
struct vm_limits {
	bool known;
	uint64_t soft_kib; /* UINT64_MAX: unlimited */
	int64_t headroom_kib;
	uint64_t libvirt_kib;	   /* libvirt's computed limit, 0: none */
	uint64_t libvirt_next_kib; /* ... with one more VFIO device */
	uint64_t next_device_kib;  /* what one more device would charge */
	bool below_libvirt;
	bool fits_next_device;
};

void vm_limits(const struct vm_group *v, unsigned int page_size,
	       struct vm_limits *l);

#endif
