/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tracing session: start the probes, consume events, keep the model in
 * step with the maps and with /proc, and print what the subcommand wants.
 */
#ifndef MLA_SESSION_H
#define MLA_SESSION_H

#include <stdbool.h>

#include "output.h"
#include "probes.h"

enum session_mode {
	MODE_TRACE,
	MODE_TOP,
	MODE_REPORT,
	MODE_RUN,
	MODE_RECORD,
	MODE_EXPORTER
};

struct session_opts {
	enum session_mode mode;
	struct probes_opts probes;
	struct out_opts out;
	struct proc_filter filter;
	bool failures_only;	 /* trace --failures */
	bool vm_view;		 /* report/run --vm: per virtual machine */
	bool users_view;	 /* report/run --users: per user bucket */
	bool verbose;
	double interval_s;	 /* top, exporter */
	int count;		 /* top: refreshes, 0 = forever */
	bool no_clear;		 /* top -C */
	const char *sort;	 /* top -s */
	int rows;		 /* top -r */
	double duration_s;	 /* trace/report: 0 = until Ctrl-C */
	const char *output_path; /* -o */
	const char *events_path; /* run --events */
	const char *ready_file;
	const char *record_path; /* record -o */
	const char *prom_path;	 /* --prometheus */
	const char *listen;	 /* exporter --listen */
	const char *web_config;	 /* exporter --web.config.file */
	const char *input_path;	 /* report -i: a record file, no tracing */
	char **cmd;		 /* run: the command */
};

/* Returns the exit status for main (run: the command's). */
int session_run(struct session_opts *o);

/* report -i FILE: the summary of a recording, without tracing. */
int session_replay(struct session_opts *o);

#endif
