/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attach logic (probes.c): open the skeleton, decide per kernel which
 * programs of probe_list.c can run (autoload off for the rest), configure,
 * load, seed the baseline (iters.c), attach.
 */
#ifndef MLA_PROBES_H
#define MLA_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>
#include "memlockacct.h"

struct ksym_query;

enum probe_state { PROBE_ACTIVE, PROBE_OFF, PROBE_FAILED };

/* How a probe is attached, with the name `features` prints for it. */
#define PROBE_KINDS(X)                         \
	X(TRACEPOINT, "tracepoint")            \
	X(RAW_TP, "raw_tp")                    \
	X(TP_BTF, "tp_btf")                    \
	X(FENTRY, "fentry") /* fentry+fexit */ \
	X(FEXIT, "fexit")                      \
	X(KPROBE, "kprobe") /* +kretprobe */   \
	X(ITER_TASK, "iter/task")              \
	X(ITER_TASK_FILE, "iter/task_file")

enum probe_kind {
#define X(id, name) PROBE_##id,
	PROBE_KINDS(X)
#undef X
};

enum probe_tier { TIER_PORTABLE, TIER_PRECISE };

const char *probe_kind_name(enum probe_kind kind);
const char *probe_tier_name(enum probe_tier tier);

/* fentry/fexit programs rather than a kprobe and a kretprobe */
static inline bool probe_kind_trampoline(enum probe_kind kind)
{
	return kind == PROBE_FENTRY || kind == PROBE_FEXIT;
}

/* run by the frontend (baseline, resync, the VFIO walk), never attached */
static inline bool probe_kind_iter(enum probe_kind kind)
{
	return kind == PROBE_ITER_TASK || kind == PROBE_ITER_TASK_FILE;
}

struct probe {
	const char *label;  /* the kernel hook */
	const char *alt_label; /* its name where it was renamed, or NULL */
	const char *module; /* NULL: in vmlinux; where kallsyms finds it wins */
	const char *prog;   /* skeleton program names */
	const char *retprog; /* NULL: an entry probe only */
	const char *alt_prog; /* tp_btf: for the older argument layout */
	const char *fexit;    /* fexit flavour, used when fentry works; for a
			     * syscall exit, on the syscall's entry point */
	const char *fentry; /* with fexit: a pair in place of the kprobes;
			     * without: in place of the kprobe */
	bool optional_tp;   /* a tracepoint that older kernels lack */
	bool run_only;	    /* only 'run' needs it, to follow children */
	bool late;	    /* loaded: attach when its module appears */
	enum probe_tier tier;
	enum probe_kind kind; /* how it is attached here */
	char target[128];   /* the symbol as this kernel names it */
	char target_module[64]; /* and its module there, "" for vmlinux */
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

/* The probe of skeleton program @prog, or NULL. */
struct probe *probes_find(struct probes *p, const char *prog);

/*
 * Before attaching: seed the maps with what processes hold (the baseline
 * iterator) and read the open VFIO containers' mappings. -errno, with
 * @why, if the baseline failed.
 */
int probes_seed(struct probes *p, char *why, int whylen);

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

/*
 * features.c, the `features` command (its header is not features.h, a
 * name <stdio.h> includes from the C library): the probe table, and
 * whether the verifier accepts each program, one line each. Returns the
 * number refused (fentry/fexit programs where the kernel has no
 * trampolines are counted apart, in @refused).
 */
void features_print(const struct probes *p, FILE *out, bool json);
int features_verify(const char *btf_path, FILE *out, int *refused);

/*
 * probe_list.c: every probe, as planned before this kernel is looked at
 * (PROBES_NR_*: their counts, checked there at build time).
 */
#define PROBES_NR_PORTABLE 23
#define PROBES_NR_PRECISE 9
#define PROBES_VFIO_MOD "vfio_iommu_type1"
/* ib_umem_get, ib_umem_release: in ib_uverbs on 6.1, 6.12; ib_core on 7.2 */
#define PROBES_RDMA_MOD "ib_uverbs"
extern const struct probe probe_list_portable[];
extern const struct probe probe_list_precise[];

/*
 * Where the precise tier's functions are in kallsyms, into @q (as many as
 * probe_list_precise, in its order), under the alt_label of one renamed
 * where the label is absent; -errno if it is unreadable.
 */
int probes_resolve_precise(struct ksym_query *q);
/* The entry point of @syscall ("mlock") in @btf, as __x64_sys_mlock. */
struct btf;
bool probe_syscall_entry(const struct btf *btf, const char *syscall, char *buf,
			 size_t len);
/*
 * An fentry/fexit pair can name @pr's function, found as @q says: BTF and
 * kallsyms agree.
 */
bool probe_fentry_present(const struct probe *pr, const struct ksym_query *q);

#endif
