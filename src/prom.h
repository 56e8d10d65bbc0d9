/* SPDX-License-Identifier: GPL-2.0 */
/* --prometheus FILE: the figures for node_exporter's textfile collector. */
#ifndef MLA_PROM_H
#define MLA_PROM_H

#include "output.h"

struct mla_model;

/* Write @path atomically (a temporary file, then rename). 0 or -errno. */
int prom_write(const char *path, struct mla_model *m,
	       const struct proc_filter *flt, const struct out_opts *o,
	       const struct run_stats *rs);

#endif
