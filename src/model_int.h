// SPDX-License-Identifier: GPL-2.0
/*
 * What model.c and model_ranges.c share and nobody else sees: the model's
 * store and the nodes its search trees keep.
 */
#ifndef MLA_MODEL_INT_H
#define MLA_MODEL_INT_H

#include "model.h"
#include "syscall_nrs.h"

#define MLA_MAX_FAILURES 100000
#define PAGE MLA_PAGE_SIZE
#define PAGE_DOWN(x) ((x) & ~(PAGE - 1))
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))

struct mla_model {
	void *procs; /* tsearch roots */
	void *insts;
	void *users;
	/* limits set on processes not seen yet, by tgid: see apply_limit */
	void *pending;
	size_t nprocs, ninsts, nusers, npending;
	struct mla_failure *failures;
	size_t nfailures, capfailures;
	/* every refusal, by counter checked and source: failures[] is bounded */
	uint64_t refused[MLA_NR_COUNTERS][MLA_NR_SOURCES];
	bool vfio_precise;
};

/* tsearch keeps pointers; the first fields of each object are its key. */
struct inst_node {
	struct mla_inst inst;
	uint64_t seq;
};

struct user_node {
	struct mla_user user;
	uint64_t seq;
};

/* model_ranges.c: the address ranges a range or change event moves */
void model_apply_range(struct mla_model *m, const struct mla_event *e);
void model_kfunc_range(struct mla_inst *inst, const struct mla_event *e);
bool model_mlock_range(struct mla_inst *inst, uint32_t nr, uint64_t a0,
		       uint64_t a1);
void model_vfio_charge(struct mla_inst *inst, const struct mla_event *e);

#endif
