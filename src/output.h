/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The renderers of the figures (figures.h): text (out_text.c: trace lines,
 * the top and report tables, VMs, refusals explained) and JSON
 * (out_json.c). Prometheus is prom.c.
 */
#ifndef MLA_OUTPUT_H
#define MLA_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "figures.h"

struct mla_model;
struct mla_proc;
struct mla_failure;
struct json_object;

#define COMM_ESC 80 /* a 15-byte name escaped, worst case 4 bytes each */

/* A process name as the kernel keeps it (not NUL-terminated), escaped. */
static inline const char *comm_escaped(const char *comm, char *buf)
{
	return escape_bytes(comm, strnlen(comm, MLA_COMM_LEN), buf, COMM_ESC);
}

/* ---- text ---- */
void trace_header(FILE *out, const struct out_opts *o, bool failures);
void trace_event(FILE *out, const struct out_opts *o,
		 const struct mla_event *e);
/* A refusal explained, in several lines (trace --failures, report). */
void failure_print(FILE *out, const struct mla_failure *f,
		   const struct mla_proc *p, const struct out_opts *o);
void report_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
		 const struct out_opts *o, const struct run_stats *s);
/* One screen of top: at most @rows processes (0: all), sorted by @sort. */
void top_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
	      const struct out_opts *o, const char *sort, int rows);
/* Per virtual machine: the VMM's processes summed, limits, libvirt's. */
void vms_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
	      const struct out_opts *o);

/* Per user: each bucket, the processes that make it up, their headroom. */
void users_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
		const struct out_opts *o);

/* ---- JSON ---- */
struct json_object *event_json(const struct out_opts *o,
			       const struct mla_event *e);
/* @p: the refused process, for its VM's name (NULL: not known) */
struct json_object *failure_json(const struct mla_failure *f,
				 const struct mla_proc *p,
				 const struct out_opts *o);
struct json_object *report_json(struct mla_model *m,
				const struct proc_filter *f,
				const struct out_opts *o,
				const struct run_stats *s);
struct json_object *vms_json(struct mla_model *m, const struct proc_filter *f,
			     const struct out_opts *o);
/* Print @j, one line or pretty, and free it. */
void json_print(FILE *out, struct json_object *j, bool pretty);

#endif
