/* SPDX-License-Identifier: GPL-2.0 */
/* Output formats: trace lines, the top/report tables, and JSON. */
#ifndef MLA_OUTPUT_H
#define MLA_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>
#include "memlockacct.h"

struct mla_model;
struct mla_proc;
struct json_object;

enum out_unit { UNIT_KIB, UNIT_BYTES, UNIT_PAGES };

struct out_opts {
	enum out_unit unit;
	bool json;
	bool wall_time;	  /* -T: wall clock instead of seconds since start */
	uint64_t start_ns; /* boottime of tracing start, for relative times */
	unsigned int page_size;
};

/* Which processes a table or report shows. */
struct proc_filter {
	int pid;	    /* 0: any */
	const char *comm;   /* prefix, NULL: any */
	const char *cgroup; /* cgroup v2 path, NULL: any */
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

const char *unit_suffix(enum out_unit u);
/* @pages in the chosen unit. */
uint64_t in_unit(const struct out_opts *o, uint64_t pages);
uint64_t pages_kib(const struct out_opts *o, uint64_t pages);

void trace_header(FILE *out, const struct out_opts *o, bool failures);
void trace_event(FILE *out, const struct out_opts *o,
		 const struct mla_event *e);

bool proc_matches(const struct mla_proc *p, const struct proc_filter *f);

struct json_object *report_json(struct mla_model *m, const struct proc_filter *f,
				const struct out_opts *o,
				const struct run_stats *s);
void report_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
		 const struct out_opts *o, const struct run_stats *s);
/* One screen of top: at most @rows processes (0: all), sorted by @sort. */
void top_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
	      const struct out_opts *o, const char *sort, int rows);

/* Per virtual machine: the VMM's processes summed, limits, libvirt's. */
struct json_object *vms_json(struct mla_model *m, const struct proc_filter *f,
			     const struct out_opts *o);
void vms_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
	      const struct out_opts *o);

struct mla_failure;
/* A refusal explained, in several lines (trace --failures, report). */
void failure_print(FILE *out, const struct mla_failure *f,
		   const struct mla_proc *p, const struct out_opts *o);

struct json_object *failure_json(const struct mla_failure *f,
				 const struct out_opts *o);

/* An event as a JSON object, for trace --json and run --events. */
struct json_object *event_json(const struct out_opts *o,
			       const struct mla_event *e);

#endif
