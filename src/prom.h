/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The figures in Prometheus' formats: --prometheus FILE for node_exporter's
 * textfile collector, and the exporter's /metrics.
 */
#ifndef MLA_PROM_H
#define MLA_PROM_H

#include <stdio.h>

#include "output.h"

struct mla_model;

enum prom_format {
	PROM_TEXT,	  /* text/plain; version=0.0.4 */
	PROM_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

/* Every metric, in @fmt, to @f. */
void prom_render(FILE *f, enum prom_format fmt, struct mla_model *m,
		 const struct proc_filter *flt, const struct out_opts *o,
		 const struct run_stats *rs);

/* Write @path atomically (a temporary file, then rename). 0 or -errno. */
int prom_write(const char *path, struct mla_model *m,
	       const struct proc_filter *flt, const struct out_opts *o,
	       const struct run_stats *rs);

/* The format an HTTP Accept header prefers (NULL: the text format). */
enum prom_format prom_negotiate(const char *accept);
/* Its Content-Type. */
const char *prom_content_type(enum prom_format fmt);

#endif
