/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sets of disjoint address ranges [start, end): a process's VM_LOCKED
 * ranges, its pinned buffers. Adding merges, removing splits; both cost
 * O(log n) plus the ranges they touch (a treap keyed by start).
 *
 * And the overlap arithmetic of locked memory: given the mlocked set, the
 * VFIO mappings (which may overlap each other) and the pinned set, how
 * much is counted twice, and the size of the union.
 */
#ifndef MLA_RANGESET_H
#define MLA_RANGESET_H

#include <stddef.h>
#include <stdint.h>

struct rangeset;

struct rangeset *rangeset_new(void);
void rangeset_free(struct rangeset *rs);
void rangeset_clear(struct rangeset *rs);
struct rangeset *rangeset_copy(const struct rangeset *rs);

void rangeset_add(struct rangeset *rs, uint64_t start, uint64_t end);
void rangeset_remove(struct rangeset *rs, uint64_t start, uint64_t end);

size_t rangeset_count(const struct rangeset *rs);
uint64_t rangeset_bytes(const struct rangeset *rs);
/* Bytes of [start, end) the set covers. */
uint64_t rangeset_overlap(const struct rangeset *rs, uint64_t start,
			  uint64_t end);
/* The ranges in address order. */
void rangeset_foreach(const struct rangeset *rs,
		      void (*cb)(uint64_t start, uint64_t end, void *arg),
		      void *arg);

struct mla_range {
	uint64_t start, end;
};

/* Figures in bytes. */
struct overlap_figures {
	uint64_t mlock_vfio;	/* mlocked bytes under a VFIO mapping, per mapping */
	uint64_t vfio_vfio;	/* bytes mapped again, (k - 1) times for k maps */
	uint64_t max_multiplicity; /* most VFIO mappings over one byte */
	uint64_t locked_pinned; /* bytes in locked_vm and in pinned_vm */
	uint64_t unique_locked; /* the union of mlocked and VFIO-mapped */
	/* VFIO mappings of device memory (none of the above: not RAM) */
	uint64_t device, device_maps;
};

/*
 * One sweep over the sorted end points: O(n log n) in the number of
 * ranges. @vfio may overlap itself; @mlocked and @pinned are sets.
 */
void overlap_compute(const struct rangeset *mlocked,
		     const struct mla_range *vfio, size_t nvfio,
		     const struct rangeset *pinned,
		     struct overlap_figures *out);

#endif
