/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The accounting model: per process and per user, what each counter holds,
 * by source, built from events and corrected from the BPF maps, which are
 * authoritative. Pure logic: no BPF, no /proc; unit-tested.
 *
 * A process is (tgid, start time): PIDs are reused, start times are not.
 * Its mm changes at exec, so it owns a list of mm instances (one per mm,
 * by id); what it holds now is what its newest instance holds.
 */
#ifndef MLA_MODEL_H
#define MLA_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>
#include "memlockacct.h"

#define MLA_INST_INFERRED (1u << 8) /* preexisting split by inference */
/* mlockall, or a locked mmap of a file: re-read from smaps */
#define MLA_INST_RANGES_STALE (1u << 9)
#define MLA_INST_RANGES_KNOWN (1u << 10) /* ranges tracked since birth or smaps */
#define MLA_INST_DEVICE_MAPS (1u << 11)	 /* has (had) device memory mappings */

struct rangeset;
struct cgroup_attr;

/* A VFIO DMA mapping of this mm. */
struct mla_mapping {
	uint64_t obj;  /* struct vfio_dma * (precise) or container file */
	uint64_t iova; /* with obj, the key */
	uint64_t vaddr, size; /* bytes */
	int64_t charged; /* pages charged for it (precise tier) */
	bool lock_cap;
	bool device; /* device memory (a BAR): not RAM, never charged */
};

struct mla_inst {
	uint64_t id;
	struct mla_proc *proc;
	struct mla_inst *older; /* the process's previous mm */
	uint64_t first_ns;
	uint64_t seen[MLA_NR_MM_COUNTERS];
	uint64_t peak[MLA_NR_MM_COUNTERS];
	uint64_t truth[MLA_NR_MM_COUNTERS];
	int64_t by_src[MLA_NR_MM_COUNTERS][MLA_NR_SOURCES];
	/*
	 * Preexisting pages moved to a source at start-up: read from the
	 * kernel (smaps VM_LOCKED ranges, the VFIO DMA tree) into base, or
	 * only inferred (VmLck minus the VM_LOCKED ranges, VFIO open).
	 */
	int64_t base[MLA_NR_MM_COUNTERS][MLA_NR_SOURCES];
	int64_t inferred[MLA_NR_MM_COUNTERS][MLA_NR_SOURCES];
	int64_t user_by_src[MLA_NR_USER_COUNTERS][MLA_NR_SOURCES];
	uint64_t user_peak[MLA_NR_USER_COUNTERS];
	uint32_t gone; /* 0, MLA_CAUSE_EXEC or MLA_CAUSE_EXIT */
	uint32_t flags;
	/* address ranges, from range events and smaps */
	struct rangeset *locked; /* VM_LOCKED */
	struct rangeset *pinned; /* registered buffers (io_uring) */
	void *maps;		 /* VFIO mappings: tsearch root */
	size_t nmaps;
	uint64_t brk_end;
	/* aggregate mode: the snapshot seq its VM_LOCKED ranges date from */
	uint64_t ranges_seq;
};

struct mla_proc {
	uint32_t tgid;
	uint32_t uid;
	uint64_t start_ns;
	char comm[MLA_COMM_LEN];
	struct mla_inst *newest;
	bool in_tree;	 /* run mode: part of the traced command */
	bool exited;	 /* known to have exited */
	bool reconciled; /* drift below was measured */
	int64_t drift[MLA_NR_MM_COUNTERS]; /* pages, tool minus kernel */
	uint64_t kernel[MLA_NR_MM_COUNTERS]; /* kernel's value at that time */
	unsigned int nfailures;
	/* RLIMIT_MEMLOCK, bytes (UINT64_MAX: unlimited), when known */
	bool limit_known;
	uint64_t limit_soft, limit_hard;
	bool cap_known;
	bool cap_ipc_lock; /* bypasses RLIMIT_MEMLOCK for most sources */
	/* a VMM's VM, from its command line and cgroup (vm.h); NULL if not */
	struct vm_info *vm;
	bool vm_checked;
	/* its name then: a VMM exec'd by a process seen before (libvirt sets
	 * the limits, then execs QEMU) is looked at again */
	char vm_comm[MLA_COMM_LEN];
	char *cgroup; /* its cgroup v2 path, as the harvest last read it */
	/* unit, container, pod read off that path; NULL: none found */
	struct cgroup_attr *cg_attr;
	bool cgroup_checked;
	unsigned int vfio_groups; /* /dev/vfio/N groups it holds open */
	/* the last set of its RLIMIT_MEMLOCK, and of a refused one, seen */
	struct mla_limit_set *limit_set, *limit_refused;
	unsigned int limit_refusals;
};

/* Who set a process's RLIMIT_MEMLOCK (prlimit64, setrlimit), to what. */
struct mla_limit_set {
	uint32_t by_tgid, by_pid, by_uid;
	char by_comm[MLA_COMM_LEN];
	uint64_t ts_ns;
	uint32_t nr;	     /* the syscall */
	int32_t ret;	     /* 0, or -errno when refused */
	uint64_t soft, hard; /* asked for, bytes (UINT64_MAX: unlimited) */
	bool old_known;	     /* prlimit64 returned the limit it replaced */
	uint64_t old_soft, old_hard;
};

struct mla_user {
	uint32_t uid;
	uint64_t seen[MLA_NR_USER_COUNTERS];
	uint64_t peak[MLA_NR_USER_COUNTERS];
	int64_t by_src[MLA_NR_USER_COUNTERS][MLA_NR_SOURCES];
};

struct mla_model;

/*
 * Figures may come from a record file, not only from the kernel: sums
 * wrap instead of being undefined when they overflow.
 */
static inline int64_t sadd(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

static inline int64_t ssub(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

/* A limit event (MLA_EV_LIMIT) as the set it records. */
void model_limit_set_of(const struct mla_event *e, struct mla_limit_set *ls);

struct mla_model *model_new(void);
void model_free(struct mla_model *m);

/* Feed one ring-buffer event. Returns the process it concerns, or NULL. */
struct mla_proc *model_apply_event(struct mla_model *m,
				   const struct mla_event *e);

/* Overwrite an mm's figures with the map's (authoritative) snapshot. */
struct mla_inst *model_sync_mm(struct mla_model *m,
			       const struct mla_mm_stat *st);
void model_sync_user(struct mla_model *m, uint32_t uid,
		     const struct mla_user_stat *us);

/*
 * Move @pages of an instance's preexisting charge to @source: @exact when
 * read from the kernel's own structures, else only inferred.
 */
void model_infer(struct mla_inst *inst, int counter, int source,
		 uint64_t pages, bool exact);

/* Drop an instance's VFIO mappings (a record file's final ones follow). */
void model_clear_mappings(struct mla_inst *inst);

/* A VFIO mapping that existed when tracing began. */
void model_add_mapping(struct mla_inst *inst, uint64_t obj, uint64_t iova,
		       uint64_t vaddr, uint64_t size, int64_t charged,
		       bool lock_cap, bool device);
/*
 * Forget @inst's device memory mappings: its container was closed with
 * them mapped, which charges nothing and so sends no event.
 */
void model_drop_device(struct mla_inst *inst);

void model_reconcile(struct mla_proc *p, const uint64_t kernel[2]);

/*
 * Forget the processes that have exited, for the long-running views
 * (top, trace) that no longer show them: memory stays flat under churn.
 * Returns how many were forgotten.
 */
size_t model_forget_exited(struct mla_model *m);

struct mla_proc *model_proc(struct mla_model *m, uint32_t tgid,
			    uint64_t start_ns, bool create);
struct mla_inst *model_inst(struct mla_model *m, uint64_t id);
struct mla_user *model_user(struct mla_model *m, uint32_t uid, bool create);

/* Figures of a process, in pages. */
uint64_t proc_final(const struct mla_proc *p, int counter);
uint64_t proc_peak(const struct mla_proc *p, int counter);
int64_t proc_source(const struct mla_proc *p, int counter, int source);
int64_t proc_inferred(const struct mla_proc *p, int counter, int source);
int64_t proc_user_share(const struct mla_proc *p, int ucounter, int source);
uint64_t proc_user_peak(const struct mla_proc *p, int ucounter);
/* The instance that holds the process's current figures, or NULL. */
const struct mla_inst *proc_current(const struct mla_proc *p);

/* Snapshots for output, sorted by tgid then start; caller frees. */
size_t model_procs(struct mla_model *m, struct mla_proc ***out);
/* Processes not seen yet that a limit was set on: tgid and limits only. */
size_t model_pending(struct mla_model *m, struct mla_proc ***out);
size_t model_users(struct mla_model *m, struct mla_user ***out);

/* Replace an instance's VM_LOCKED ranges (from /proc/PID/smaps). */
struct mla_range;
void model_set_locked(struct mla_inst *inst, const struct mla_range *r,
		      size_t n);
/* Its ranges are stale and smaps cannot be read (it exited): unknown. */
void model_ranges_lost(struct mla_inst *inst);
/* Where the VFIO mappings come from: the precise probes, or the ioctls. */
void model_vfio_precise(struct mla_model *m, bool precise);
/* Every mapping of an instance, in key order; caller frees. */
size_t inst_mappings(const struct mla_inst *inst, struct mla_mapping ***out);

struct overlap_figures;
/* Double counting of the process's current mm; false if it holds none. */
bool proc_overlap(const struct mla_proc *p, struct overlap_figures *f,
		  bool *ranges_known, bool *lock_cap_maps);

struct mla_failure {
	struct mla_event ev;
	/* the refusing process's counter by source at the time, pages */
	int64_t sources[MLA_NR_SOURCES];
	uint64_t twice;		 /* bytes of it counted more than once */
	uint64_t already_locked; /* pages of an mlock request locked already */
};
size_t model_failures(struct mla_model *m, const struct mla_failure **out);
/* Refusals since the start, by the counter checked and the source. */
uint64_t model_refusals(const struct mla_model *m, int counter, int source);

#endif
