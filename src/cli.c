// SPDX-License-Identifier: GPL-2.0
/*
 * The options every command shares (see cli.h); each command's own are in
 * main.c.
 */
#include <argp.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

struct cli cli = {
	.s = {
		.interval_s = 1,
		.probes = { .cgroup_fd = -1 },
		.out = { .unit = UNIT_KIB, .max_series = 10000 },
	},
	.cgroup_fd = -1,
};

/*
 * A usage error: one line, naming the command and what is wrong, exit 2.
 * (argp's own adds a second "Try --help" line; we run it with ARGP_NO_ERRS
 * and report its errors here too.)
 */
void cli_error(const struct argp_state *state, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr,
		"%s: ", state && state->name ? state->name : "memlockacct");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s --help')\n",
		state && state->name ? state->name : "memlockacct");
	exit(2);
}

/* argp met an option it does not know, or one missing its value. */
static error_t bad_option(struct argp_state *state)
{
	const char *arg = state->next > 0 && state->next <= state->argc ?
				  state->argv[state->next - 1] :
				  "?";

	cli_error(state, "unknown option, or option without its value: '%s'",
		  arg);
}

long parse_long(const char *arg, const char *what, long min, long max,
		struct argp_state *state)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < min || v > max)
		cli_error(state,
			  "invalid %s: '%s' (a whole number from %ld "
			  "to %ld)",
			  what, arg, min, max);
	return v;
}

double parse_seconds(const char *arg, const char *what,
		     struct argp_state *state)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || end == arg || !(v > 0) || v > 31536000)
		cli_error(state, "invalid %s: '%s' (seconds, more than 0)",
			  what, arg);
	return v;
}

/* --cgroup unit=NAME, pod=NS/NAME or pod=UID, container=ID */
static bool set_cgroup_sel(const char *arg, struct argp_state *state)
{
	static const struct {
		const char *key;
		enum cg_sel sel;
	} keys[] = { { "unit=", CG_SEL_UNIT },
		     { "pod=", CG_SEL_POD },
		     { "container=", CG_SEL_CONTAINER } };

	if (arg[0] == '/' || !strchr(arg, '='))
		return false;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t len = strlen(keys[i].key);

		if (strncmp(arg, keys[i].key, len))
			continue;
		if (!arg[len])
			cli_error(state, "--cgroup %s: a value after '='", arg);
		cli.s.filter.cg_sel = keys[i].sel;
		cli.s.filter.cg_value = arg + len;
		return true;
	}
	cli_error(
		state,
		"--cgroup %s: a cgroup path, or unit=NAME, pod=NAMESPACE/NAME, "
		"pod=UID, container=ID",
		arg);
	return true;
}

/*
 * --cgroup accepts /sys/fs/cgroup/X or the cgroup path /X, or what the
 * cgroup says (set_cgroup_sel).
 */
static void set_cgroup(const char *arg, struct argp_state *state)
{
	static char rel[PATH_MAX];
	char full[PATH_MAX + 32];
	const char *root = "/sys/fs/cgroup";
	struct stat st;

	if (set_cgroup_sel(arg, state))
		return;
	if (!strncmp(arg, root, strlen(root)))
		snprintf(rel, sizeof(rel), "%s", arg + strlen(root));
	else
		snprintf(rel, sizeof(rel), "%s", arg);
	if (!rel[0])
		snprintf(rel, sizeof(rel), "/");
	snprintf(full, sizeof(full), "%s%s", root, rel);
	if (stat(full, &st) || !S_ISDIR(st.st_mode))
		cli_error(state,
			  "no cgroup %s (cgroup v2 paths, as in "
			  "/sys/fs/cgroup/system.slice)",
			  arg);
	cli.cgroup_fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cli.cgroup_fd < 0)
		cli_error(state, "cannot open cgroup %s: %s", full,
			  strerror(errno));
	cli.s.filter.cgroup = rel;
	cli.s.probes.cgroup_fd = cli.cgroup_fd;
}

/* Options every command takes. */
static const struct argp_option common_opts[] = {
	{ "btf", OPT_BTF, "FILE", 0,
	  "BTF of the running kernel, for kernels without "
	  "/sys/kernel/btf/vmlinux",
	  0 },
	{ "portable", OPT_PORTABLE, NULL, 0,
	  "Use tracepoints only, even where kprobes or trampolines work", 0 },
	{ "kprobes", OPT_KPROBES, NULL, 0,
	  "No trampolines: kprobes in the precise tier, syscall exits by "
	  "their tracepoints",
	  0 },
	{ "ready-file", OPT_READY, "PATH", 0,
	  "Write PATH once every probe is attached", 0 },
	{ "bytes", OPT_BYTES, NULL, 0, "Print sizes in bytes", 0 },
	{ "pages", OPT_PAGES, NULL, 0, "Print sizes in pages", 0 },
	{ "prometheus", OPT_PROM, "FILE", 0,
	  "Also keep FILE in Prometheus text format (node_exporter textfile "
	  "collector), rewritten every interval (top, report: 1 s; exporter: "
	  "its -i)",
	  0 },
	{ "max-series", OPT_MAX_SERIES, "N", 0,
	  "Prometheus: at most N per-process samples, the best ranked "
	  "processes' (refused, then largest); the others summed (default "
	  "10000, 0: no bound)",
	  0 },
	{ "max-procs", OPT_MAX_PROCS, "N", 0,
	  "Track up to N processes holding memory at once, and, for run, up "
	  "to N of its command's living processes (default 16384)",
	  0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf's messages", 0 },
	{},
};

static error_t parse_common(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_BTF:
		if (access(arg, R_OK))
			cli_error(state, "cannot read BTF file %s: %s", arg,
				  strerror(errno));
		cli.s.probes.btf_path = arg;
		break;
	case OPT_PORTABLE:
		cli.s.probes.portable_only = true;
		break;
	case OPT_KPROBES:
		cli.s.probes.kprobes_only = true;
		break;
	case OPT_READY:
		cli.s.ready_file = arg;
		break;
	case OPT_BYTES:
		cli.s.out.unit = UNIT_BYTES;
		break;
	case OPT_PAGES:
		cli.s.out.unit = UNIT_PAGES;
		break;
	case OPT_PROM:
		cli.s.prom_path = arg;
		break;
	case OPT_MAX_SERIES:
		cli.s.out.max_series =
			parse_long(arg, "series count", 0, 1 << 24, state);
		break;
	case OPT_MAX_PROCS:
		cli.s.probes.max_procs =
			parse_long(arg, "process count", 64, 1 << 22, state);
		break;
	case 'v':
		cli.s.verbose = true;
		break;
	case ARGP_KEY_ERROR:
		return bad_option(state);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp common_argp = {
	.options = common_opts,
	.parser = parse_common,
};

const struct argp_child common_child[] = {
	{ &common_argp, 0, "Common options:", 10 },
	{},
};

/* Filters, for trace, top and report. */
static const struct argp_option filter_opts[] = {
	{ "pid", 'p', "PID", 0, "Only this process", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Only processes in this cgroup (v2), or in what the cgroup says: "
	  "unit=NAME, pod=NAMESPACE/NAME, pod=UID, container=ID",
	  0 },
	{ "comm", 'c', "COMM", 0, "Only processes whose name starts with COMM",
	  0 },
	{},
};

static error_t parse_filter(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'p':
		cli.s.filter.pid = parse_long(arg, "PID", 1, INT_MAX, state);
		break;
	case OPT_CGROUP:
		set_cgroup(arg, state);
		break;
	case 'c':
		cli.s.filter.comm = arg;
		break;
	default:
		return parse_common(key, arg, state);
	}
	return 0;
}

static const struct argp filter_argp = {
	.options = filter_opts,
	.parser = parse_filter,
};

const struct argp_child filter_children[] = {
	{ &filter_argp, 0, "Filters:", 5 },
	{ &common_argp, 0, "Common options:", 10 },
	{},
};
