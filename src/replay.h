/* SPDX-License-Identifier: GPL-2.0 */
/* The accounting model to and from a record file (record.h). */
#ifndef MLA_REPLAY_H
#define MLA_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "record.h"

struct mla_model;

/* Everything the model knows besides events: processes, splits, ranges. */
void replay_dump(struct mla_model *m, struct record_writer *w);

/*
 * Feed a record file to @m; @rs, @page_size and @events from it. 0, or
 * -errno with a one-line @why.
 */
int replay_load(const char *path, struct mla_model *m, struct run_stats *rs,
		unsigned int *page_size, uint64_t *events, bool *tree_only,
		char *why, size_t whylen);

#endif
