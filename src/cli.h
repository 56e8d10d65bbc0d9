// SPDX-License-Identifier: GPL-2.0
/*
 * What every command's option parser shares (cli.c): the parsed command
 * line, the usage error, number parsers, and the common and filter
 * options every command takes as argp children.
 */
#ifndef MLA_CLI_H
#define MLA_CLI_H

#include <argp.h>

#include "session.h"

enum {
	OPT_BTF = 1000,
	OPT_PORTABLE,
	OPT_KPROBES,
	OPT_READY,
	OPT_BYTES,
	OPT_PAGES,
	OPT_CGROUP,
	OPT_EVENTS,
	OPT_FAILURES,
	OPT_VERIFY,
	OPT_MAX_PROCS,
	OPT_VM,
	OPT_USERS,
	OPT_RECORD,
	OPT_PROM,
	OPT_LISTEN,
	OPT_WEB_CONFIG,
	OPT_MAX_SERIES,
};

struct cli {
	struct session_opts s;
	const char *command;
	int command_next; /* argv index after the command */
	bool json;
	bool verify;
	int cgroup_fd;
};

extern struct cli cli;

/* A usage error: one line, naming the command and what is wrong, exit 2. */
void __attribute__((format(printf, 2, 3), noreturn))
cli_error(const struct argp_state *state, const char *fmt, ...);
long parse_long(const char *arg, const char *what, long min, long max,
		struct argp_state *state);
double parse_seconds(const char *arg, const char *what,
		     struct argp_state *state);

/* argp children: the common options; the filters and the common options */
extern const struct argp_child common_child[];
extern const struct argp_child filter_children[];

#endif
