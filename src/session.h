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

enum session_mode { MODE_TRACE, MODE_TOP, MODE_REPORT, MODE_RUN };

struct session_opts {
	enum session_mode mode;
	struct probes_opts probes;
	struct out_opts out;
	struct proc_filter filter;
	bool failures_only;	 /* trace --failures */
	bool verbose;
	double interval_s;	 /* top */
	int count;		 /* top: refreshes, 0 = forever */
	bool no_clear;		 /* top -C */
	const char *sort;	 /* top -s */
	int rows;		 /* top -r */
	double duration_s;	 /* trace/report: 0 = until Ctrl-C */
	const char *output_path; /* -o */
	const char *events_path; /* run --events */
	const char *ready_file;
	char **cmd;		 /* run: the command */
};

/* Returns the exit status for main (run: the command's). */
int session_run(struct session_opts *o);

#endif
