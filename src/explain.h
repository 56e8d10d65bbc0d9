/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Why a charge was refused, and what limit would have let it through.
 * Pure logic over a failure event: unit-tested.
 */
#ifndef MLA_EXPLAIN_H
#define MLA_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>
#include "memlockacct.h"

struct explanation {
	const char *check;   /* the kernel check that refused, short */
	const char *what;    /* the rule it applies, in words */
	bool memlock;	     /* a memlock refusal (else a look-alike) */
	bool per_user;	     /* the bucket sums all of the user's processes */
	bool size_unknown;   /* the request's size was not seen */
	uint64_t counter_kib; /* what the counter held */
	uint64_t request_kib; /* what was asked */
	uint64_t limit_kib;   /* UINT64_MAX: unlimited */
	uint64_t suggested_kib; /* the smallest limit that works */
	char advice[512];    /* the fix, in every unit people use */
};

/*
 * Explain failure @e. @already_locked: pages of the request already
 * locked (mlock of a partly mlocked range charges only the rest).
 */
void explain_failure(const struct mla_event *e, uint64_t already_locked,
		     unsigned int page_size, struct explanation *x);

#endif
