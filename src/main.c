// SPDX-License-Identifier: GPL-2.0
/*
 * memlockacct: where a host's locked and pinned memory goes, per process,
 * and why a process hits RLIMIT_MEMLOCK. The command line.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "exporter.h"
#include "probes.h"
#include "session.h"

#define MLA_VERSION "0.1"

const char *argp_program_version = "memlockacct " MLA_VERSION;
const char *argp_program_bug_address = NULL;

static bool input_given;

static const char doc_main[] =
	"Show where locked (VmLck, mm->locked_vm) and pinned (VmPin, "
	"mm->pinned_vm) memory goes, per process and source, and why a "
	"process hits RLIMIT_MEMLOCK. Sizes are in KiB unless --bytes or "
	"--pages is given.\n"
	"\nCommands:\n"
	"  trace     one line per change of a counter\n"
	"  top       a refreshing table of processes\n"
	"  report    a summary after -d SECONDS or Ctrl-C\n"
	"  run       run a command, trace it and its children, summarise\n"
	"  record    save a trace to a file, for report -i elsewhere\n"
	"  exporter  serve the figures to Prometheus over HTTP\n"
	"  features  which probes this kernel supports, and why not\n"
	"\nSee 'memlockacct COMMAND --help' and memlockacct(8).";

/* ---- trace ---------------------------------------------------------------- */

static const struct argp_option trace_opts[] = {
	{ "json", 'j', NULL, 0, "JSON Lines, one object per event", 0 },
	{ "failures", OPT_FAILURES, NULL, 0, "Only refused charges", 0 },
	{ "wall-time", 'T', NULL, 0, "Wall-clock time instead of seconds "
				     "since start", 0 },
	{},
};

static error_t parse_trace(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j':
		cli.s.out.json = true;
		break;
	case OPT_FAILURES:
		cli.s.failures_only = true;
		break;
	case 'T':
		cli.s.out.wall_time = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num > 0)
			cli_error(state, "unexpected argument '%s'", arg);
		cli.s.duration_s = parse_seconds(arg, "duration", state);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp trace_argp = {
	.options = trace_opts,
	.parser = parse_trace,
	.args_doc = "[DURATION]",
	.doc =
	"Print one line per change of locked_vm, pinned_vm or the per-user "
	"buckets, with its source and cause, for DURATION seconds or until "
	"Ctrl-C.",
	.children = filter_children,
};

/* ---- top ------------------------------------------------------------------ */

static const struct argp_option top_opts[] = {
	{ "noclear", 'C', NULL, 0, "Do not clear the screen", 0 },
	{ "sort", 's', "KEY", 0, "Sort by locked (default), pinned or pid", 0 },
	{ "rows", 'r', "N", 0, "Show at most N processes", 0 },
	{},
};

static error_t parse_top(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'C':
		cli.s.no_clear = true;
		break;
	case 's':
		if (strcmp(arg, "locked") && strcmp(arg, "pinned") &&
		    strcmp(arg, "pid"))
			cli_error(state, "invalid sort key '%s' (locked, "
					  "pinned or pid)",
				   arg);
		cli.s.sort = arg;
		break;
	case 'r':
		cli.s.rows = parse_long(arg, "row count", 1, 100000, state);
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0)
			cli.s.interval_s = parse_seconds(arg, "interval", state);
		else if (state->arg_num == 1)
			cli.s.count = parse_long(arg, "count", 1, INT_MAX, state);
		else
			cli_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp top_argp = {
	.options = top_opts,
	.parser = parse_top,
	.args_doc = "[INTERVAL [COUNT]]",
	.doc =
	"A table of the processes that hold locked or pinned memory, "
	"refreshed every INTERVAL seconds (default 1), COUNT times.",
	.children = filter_children,
};

/* ---- report --------------------------------------------------------------- */

static const struct argp_option report_opts[] = {
	{ "json", 'j', NULL, 0, "JSON (see memlockacct(8) for the format)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Trace this long, then report", 0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE", 0 },
	{ "all", 'a', NULL, 0, "Also processes that hold nothing now", 0 },
	{ "input", 'i', "FILE", 0,
	  "Report on a recording (record -o) instead of tracing", 0 },
	{ "vm", OPT_VM, NULL, 0,
	  "Per virtual machine (QEMU, cloud-hypervisor, crosvm, firecracker): "
	  "what it locks, its limit, and the limit libvirt would give it",
	  0 },
	{ "users", OPT_USERS, NULL, 0,
	  "Per user: the per-user buckets (io_uring, perf, SHM_LOCK, ...), "
	  "the processes that make them up, and what each may still add",
	  0 },
	{},
};

static error_t parse_report(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j':
		cli.s.out.json = true;
		break;
	case 'd':
		cli.s.duration_s = parse_seconds(arg, "duration", state);
		break;
	case 'o':
		cli.s.output_path = arg;
		break;
	case 'a':
		cli.s.filter.all = true;
		break;
	case OPT_VM:
		cli.s.vm_view = true;
		break;
	case OPT_USERS:
		cli.s.users_view = true;
		break;
	case 'i':
		cli.s.input_path = arg;
		input_given = true;
		break;
	case ARGP_KEY_ARG:
		cli_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (cli.s.vm_view && cli.s.users_view)
			cli_error(state, "--vm and --users are two views: "
					 "give one");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp report_argp = {
	.options = report_opts,
	.parser = parse_report,
	.args_doc = "",
	.doc =
	"Trace for -d SECONDS, or until Ctrl-C, then summarise per process: "
	"peaks, final values by source, limits, drift, refused charges.",
	.children = filter_children,
};

/* ---- run ------------------------------------------------------------------ */

static const struct argp_option run_opts[] = {
	{ "json", 'j', NULL, 0, "JSON summary (see memlockacct(8))", 0 },
	{ "output", 'o', "FILE", 0, "Write the summary to FILE", 0 },
	{ "events", OPT_EVENTS, "FILE", 0,
	  "Also write every event to FILE, as JSON Lines", 0 },
	{ "record", OPT_RECORD, "FILE", 0,
	  "Also record the session to FILE, for report -i", 0 },
	{},
};

static error_t parse_run(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j':
		cli.s.out.json = true;
		break;
	case 'o':
		cli.s.output_path = arg;
		break;
	case OPT_EVENTS:
		cli.s.events_path = arg;
		break;
	case OPT_RECORD:
		cli.s.record_path = arg;
		break;
	case ARGP_KEY_ARG:
		/* the command and its own arguments: stop parsing here */
		cli.s.cmd = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!cli.s.cmd)
			cli_error(state, "run needs a command: memlockacct run "
					  "[OPTIONS] -- CMD [ARGS...]");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp run_argp = {
	.options = run_opts,
	.parser = parse_run,
	.args_doc = "-- CMD [ARGS...]",
	.doc =
	"Start CMD, trace it and all its descendants from their first "
	"instruction to their exit, then summarise. Exits with CMD's status.",
	.children = common_child,
};

/* ---- record ----------------------------------------------------------------- */

static const struct argp_option record_opts[] = {
	{ "output", 'o', "FILE", 0, "Write the recording to FILE (required)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Record this long (else until Ctrl-C)",
	  0 },
	{},
};

static error_t parse_record(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'o':
		cli.s.record_path = arg;
		break;
	case 'd':
		cli.s.duration_s = parse_seconds(arg, "duration", state);
		break;
	case ARGP_KEY_ARG:
		cli_error(state, "unexpected argument '%s'", arg);
	case ARGP_KEY_END:
		if (!cli.s.record_path)
			cli_error(state, "record needs -o FILE");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp record_argp = {
	.options = record_opts,
	.parser = parse_record,
	.args_doc = "",
	.doc =
	"Record every event, and what the tool learns from /proc, to FILE, for "
	"`memlockacct report -i FILE` on another machine. The file is "
	"versioned.",
	.children = filter_children,
};

/* ---- exporter ------------------------------------------------------------- */

static const struct argp_option exporter_opts[] = {
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0,
	  "Serve on ADDR:PORT (default " EXPORTER_DEFAULT_LISTEN "; [V6]:PORT, "
	  ":PORT for every address)",
	  0 },
	{ "interval", 'i', "SECONDS", 0,
	  "Refresh the figures every SECONDS (default 5)", 0 },
	{ "web.config.file", OPT_WEB_CONFIG, "FILE", 0,
	  "TLS and basic authentication, in Prometheus' web configuration "
	  "format (tls_server_config, basic_auth_users)",
	  0 },
	{},
};

static error_t parse_exporter(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_LISTEN:
		cli.s.listen = arg;
		break;
	case OPT_WEB_CONFIG:
		cli.s.web_config = arg;
		break;
	case 'i':
		cli.s.interval_s = parse_seconds(arg, "interval", state);
		break;
	case ARGP_KEY_INIT:
		cli.s.listen = EXPORTER_DEFAULT_LISTEN;
		cli.s.interval_s = 5;
		break;
	case ARGP_KEY_ARG:
		cli_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp exporter_argp = {
	.options = exporter_opts,
	.parser = parse_exporter,
	.args_doc = "",
	.doc = "Serve the figures top --prometheus writes, over HTTP for Prometheus to "
	       "scrape: /metrics (the text format, or OpenMetrics when the scraper "
	       "asks for it) and /healthz, until SIGINT or SIGTERM.",
	.children = filter_children,
};

/* ---- features ------------------------------------------------------------- */

static const struct argp_option features_opts[] = {
	{ "json", 'j', NULL, 0, "JSON", 0 },
	{ "verify", OPT_VERIFY, NULL, 0,
	  "Load every BPF program on its own, without attaching, and say "
	  "whether this kernel's verifier accepts it", 0 },
	{},
};

static error_t parse_features(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j':
		cli.json = true;
		break;
	case OPT_VERIFY:
		cli.verify = true;
		break;
	case ARGP_KEY_ARG:
		cli_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp features_argp = {
	.options = features_opts,
	.parser = parse_features,
	.args_doc = "",
	.doc =
	"Attach every probe this kernel supports, print which are active and "
	"why the others are not, and detach.",
	.children = common_child,
};

static int cmd_features(void)
{
	struct probes p;
	char why[512];
	int err, refused;

	if (cli.verify) {
		err = features_verify(cli.s.probes.btf_path, stdout, &refused);
		if (err < 0) {
			fprintf(stderr, "memlockacct: cannot open the BPF "
					"object\n");
			return 1;
		}
		printf("%d refused by the verifier, %d fentry/fexit programs "
		       "not loadable here (no trampolines, or their module "
		       "is not loaded)\n",
		       err, refused);
		return err ? 1 : 0;
	}
	if (!cli.s.verbose)
		libbpf_set_print(NULL);
	err = probes_start(&p, &cli.s.probes, why, sizeof(why));
	if (err) {
		fprintf(stderr, "memlockacct: %s\n", why);
		return 1;
	}
	features_print(&p, stdout, cli.json);
	probes_stop(&p);
	return 0;
}

/* ---- dispatch ------------------------------------------------------------- */

static const struct {
	const char *name;
	const struct argp *argp;
	enum session_mode mode;
} commands[] = {
	{ "trace", &trace_argp, MODE_TRACE },
	{ "top", &top_argp, MODE_TOP },
	{ "report", &report_argp, MODE_REPORT },
	{ "run", &run_argp, MODE_RUN },
	{ "record", &record_argp, MODE_RECORD },
	{ "exporter", &exporter_argp, MODE_EXPORTER },
	{ "features", &features_argp, 0 },
};

static error_t parse_main(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case ARGP_KEY_ARG:
		cli.command = arg;
		cli.command_next = state->next;
		/* the rest belongs to the command's own parser */
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!cli.command)
			cli_error(state, "a command is needed: trace, top, "
					 "report, run, record, exporter or "
					 "features");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp main_argp = {
	.parser = parse_main,
	.args_doc = "COMMAND [OPTIONS]",
	.doc = doc_main,
	.children = common_child,
};

/*
 * --help, --usage and --version print and exit 0 through argp itself;
 * ARGP_NO_ERRS (one-line errors) would stop it from exiting.
 */
static unsigned int parse_flags(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-?") ||
		    !strcmp(argv[i], "--usage") ||
		    !strcmp(argv[i], "--version") || !strcmp(argv[i], "-V"))
			return ARGP_IN_ORDER;
	return ARGP_IN_ORDER | ARGP_NO_ERRS;
}

int main(int argc, char **argv)
{
	unsigned int flags = parse_flags(argc, argv);
	int idx;

	argp_err_exit_status = 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argp_parse(&main_argp, argc, argv, flags, NULL, NULL) ||
	    !cli.command)
		cli_error(NULL, "invalid command line");
	idx = cli.command_next;
	for (unsigned int i = 0; i < sizeof(commands) / sizeof(commands[0]);
	     i++) {
		char name[64];
		int sub_argc = argc - idx + 1;
		char **sub_argv = argv + idx - 1;

		if (strcmp(commands[i].name, cli.command))
			continue;
		snprintf(name, sizeof(name), "memlockacct %s", cli.command);
		sub_argv[0] = name;
		if (argp_parse(commands[i].argp, sub_argc, sub_argv, flags,
			       NULL, NULL))
			cli_error(NULL, "invalid command line");
		if (!strcmp(cli.command, "features"))
			return cmd_features();
		cli.s.mode = commands[i].mode;
		cli.s.out.page_size = sysconf(_SC_PAGESIZE);
		if (cli.s.mode == MODE_RUN) {
			cli.s.probes.follow_tree = true;
			cli.s.probes.filter_tree = true;
			cli.s.filter.tree_only = true;
		} else if (cli.s.filter.pid) {
			cli.s.probes.filter_tree = true;
		}
		/* the always-on views need totals, not every change */
		cli.s.probes.aggregate =
			(cli.s.mode == MODE_TOP || cli.s.mode == MODE_REPORT ||
			 cli.s.mode == MODE_EXPORTER) &&
			!cli.s.record_path && !cli.s.events_path;
		if (input_given)
			return session_replay(&cli.s);
		if (cli.s.filter.pid && kill(cli.s.filter.pid, 0) &&
		    errno == ESRCH) {
			fprintf(stderr, "memlockacct %s: no process %d\n",
				cli.command, cli.s.filter.pid);
			return 2;
		}
		return session_run(&cli.s);
	}
	fprintf(stderr,
		"memlockacct: unknown command '%s' (trace, top, "
		"report, run, record, exporter or features)\n",
		cli.command);
	return 2;
}
