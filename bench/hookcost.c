// SPDX-License-Identifier: GPL-2.0
/*
 * hookcost: what the floor's hooks cost, part by part, with every
 * configuration timed in this one process: each round attaches one set of
 * the floor's empty programs (floor.bpf.c), times the operations, and
 * detaches them. Configurations alternate within seconds, so a host whose
 * speed drifts (BENCHMARKS.md) moves them all alike; bench/run.sh must
 * start and stop a tracer per configuration instead.
 *
 *   hookcost [ROUNDS [RESULTS.json]]
 *
 * Configurations: none; "lock" (tp_btf mmap_lock_released, and exit_mmap);
 * "exits" (the 13 syscall exit tracepoints); "floor" (both: the hooks of
 * memlockacct's portable tier); "any_exit" (lock, and one tp_btf program
 * on every system call's exit instead of the 13 tracepoints).
 */
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "floor.skel.h"
#include "ops.h"

enum { CF_NONE, CF_LOCK, CF_EXITS, CF_FLOOR, CF_ANY_EXIT, NR_CF };
enum { OP_MLOCK, OP_CHURN, OP_GETPPID, NR_OP };

static const char *const cf_name[NR_CF] = { "none", "lock", "exits", "floor",
					    "any_exit" };
static const char *const op_name[NR_OP] = { "mlock", "churn", "getppid" };
/* about 0.1 s each on the machine of BENCHMARKS.md */
static const long op_iters[NR_OP] = { 50000, 15000, 1000000 };

static bool in_config(int cf, const char *prog)
{
	bool lock = !strcmp(prog, "mmap_lock_released") ||
		    !strcmp(prog, "exit_mmap");
	bool exit = !strncmp(prog, "sys_exit_", 9);

	switch (cf) {
	case CF_LOCK:
		return lock;
	case CF_EXITS:
		return exit;
	case CF_FLOOR:
		return lock || exit;
	case CF_ANY_EXIT:
		return lock || !strcmp(prog, "any_sys_exit");
	}
	return false;
}

static int attach(struct floor *skel, int cf, struct bpf_link **links)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, skel->obj) {
		if (!in_config(cf, bpf_program__name(prog)))
			continue;
		links[n] = bpf_program__attach(prog);
		if (!links[n]) {
			fprintf(stderr, "hookcost: cannot attach %s: %s\n",
				bpf_program__name(prog), strerror(errno));
			exit(1);
		}
		n++;
	}
	return n;
}

static double time_op(int op)
{
	switch (op) {
	case OP_MLOCK:
		return op_mlock(op_iters[op]);
	case OP_CHURN:
		return op_churn(op_iters[op]);
	}
	return op_getppid(op_iters[op]);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The q-th quantile of the sorted @v, as Python's statistics.quantiles()
 * computes it by default (bench/run.sh): position q * (n + 1), from 1
 */
static double quantile(const double *v, int n, double q)
{
	double pos = q * (n + 1) - 1;
	int i = (int)pos;

	if (pos <= 0)
		return v[0];
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 30;
	const char *dest = argc > 2 ? argv[2] : NULL;
	struct json_object *out = json_object_new_object();
	struct bpf_link *links[32];
	struct floor *skel;
	double *ns;

	if (rounds < 3 || rounds > 10000) {
		fprintf(stderr,
			"usage: hookcost [ROUNDS (3-10000) [RESULTS.json]]\n");
		return 2;
	}
	skel = floor__open();
	if (skel) {
		struct bpf_program *prog;

		/* the fexit forms are vm-hooks.sh's: this host has no trampolines */
		bpf_object__for_each_program(prog, skel->obj)
			if (!strncmp(bpf_program__name(prog), "fexit_sys_", 10))
				bpf_program__set_autoload(prog, false);
		if (floor__load(skel)) {
			floor__destroy(skel);
			skel = NULL;
		}
	}
	if (!skel) {
		fprintf(stderr,
			"hookcost: cannot load the floor's programs: %s\n",
			strerror(errno));
		return 1;
	}
	ns = calloc((size_t)NR_CF * NR_OP * rounds, sizeof(*ns));
	if (!ns)
		return 1;
#define NS(cf, op, r) ns[((cf)*NR_OP + (op)) * rounds + (r)]
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < NR_CF; i++) {
			/* the order turns each round: no configuration is always first */
			int cf = (i + r) % NR_CF;
			int n = attach(skel, cf, links);

			usleep(10000); /* text patching settles */
			for (int op = 0; op < NR_OP; op++)
				NS(cf, op, r) = time_op(op);
			while (n--)
				bpf_link__destroy(links[n]);
		}
	}
	printf("%-8s %-9s %9s %19s %9s %8s\n", "op", "hooks", "ns median",
	       "q1-q3", "added ns", "added");
	for (int op = 0; op < NR_OP; op++) {
		struct json_object *jo = json_object_new_object();
		double base = 0;

		for (int cf = 0; cf < NR_CF; cf++) {
			double *v = &NS(cf, op, 0), med, q1, q3;
			struct json_object *jc = json_object_new_object();

			qsort(v, rounds, sizeof(*v), cmp_double);
			med = quantile(v, rounds, 0.5);
			q1 = quantile(v, rounds, 0.25);
			q3 = quantile(v, rounds, 0.75);
			if (cf == CF_NONE)
				base = med;
			printf("%-8s %-9s %9.1f %9.1f-%-9.1f %9.1f %7.1f%%\n",
			       op_name[op], cf_name[cf], med, q1, q3,
			       med - base, 100 * (med - base) / base);
			json_object_object_add(jc, "median",
					       json_object_new_double(med));
			json_object_object_add(jc, "q1",
					       json_object_new_double(q1));
			json_object_object_add(jc, "q3",
					       json_object_new_double(q3));
			json_object_object_add(
				jc, "added_pct",
				json_object_new_double(100 * (med - base) /
						       base));
			json_object_object_add(jo, cf_name[cf], jc);
		}
		json_object_object_add(out, op_name[op], jo);
	}
	json_object_object_add(out, "rounds", json_object_new_int(rounds));
	if (dest && json_object_to_file_ext(dest, out, JSON_C_TO_STRING_PRETTY))
		fprintf(stderr, "hookcost: cannot write %s\n", dest);
	json_object_put(out);
	free(ns);
	floor__destroy(skel);
	return 0;
}
