// SPDX-License-Identifier: GPL-2.0
/*
 * `features`: the plan of probes for this kernel as a table or JSON, and
 * --verify, which loads every program on its own.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include <linux/types.h>
#include "memlockacct.h"
#include "memlockacct.skel.h"
#include "escape.h"
#include "kernel_features.h"
#include "ksyms.h"
#include "probes.h"

static const char *state_name(enum probe_state s)
{
	return s == PROBE_ACTIVE ? "active" : s == PROBE_OFF ? "off" : "failed";
}

/* Are the syscall exits hooked by fexit, so no syscall tracepoint is on? */
static bool syscalls_by_fexit(const struct probes *p)
{
	for (unsigned int i = 0; i < p->n; i++)
		if (p->list[i].tier == TIER_PORTABLE &&
		    p->list[i].kind == PROBE_TRACEPOINT &&
		    p->list[i].state == PROBE_ACTIVE)
			return false;
	return true;
}

void features_print(const struct probes *p, FILE *out, bool json)
{
	struct json_object *root, *arr;

	if (!json) {
		fprintf(out, "%-27s %-9s %-10s %-7s %s\n", "PROBE", "TIER",
			"KIND", "STATUS", "TARGET, OR WHY NOT");
		for (unsigned int i = 0; i < p->n; i++) {
			const struct probe *pr = &p->list[i];
			char target[300];

			if (pr->state != PROBE_ACTIVE)
				snprintf(target, sizeof(target), "%s", pr->why);
			else if (pr->target_module[0])
				snprintf(target, sizeof(target), "%s [%s]",
					 pr->target, pr->target_module);
			else
				snprintf(target, sizeof(target), "%s",
					 pr->target);
			fprintf(out, "%-27s %-9s %-10s %-7s %s\n", pr->label,
				probe_tier_name(pr->tier),
				probe_kind_name(pr->kind),
				state_name(pr->state), target);
		}
		fprintf(out, "\nTier: %s%s.%s\n",
			p->precise ? "precise (kprobes, fentry/fexit) over "
				     "portable" :
				     "portable",
			syscalls_by_fexit(p) ?
				" (syscall exits by fexit: no syscall "
				"tracepoint)" :
				" (tracepoints only)",
			p->lazy_baseline ? " Baseline: first sight." : "");
		if (!p->precise)
			fprintf(out,
				"Without the precise tier the tool cannot name "
				"the VFIO mapping of a charge, nor explain\n"
				"refusals made inside the kernel "
				"(vfio_pin_pages_remote); totals are exact.\n");
		return;
	}
	root = json_object_new_object();
	arr = json_object_new_array();
	for (unsigned int i = 0; i < p->n; i++) {
		const struct probe *pr = &p->list[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "probe",
				       json_object_new_string(pr->label));
		json_object_object_add(
			o, "tier",
			json_object_new_string(probe_tier_name(pr->tier)));
		json_object_object_add(
			o, "kind",
			json_object_new_string(probe_kind_name(pr->kind)));
		json_object_object_add(
			o, "status",
			json_object_new_string(state_name(pr->state)));
		json_object_object_add(o, "target",
				       json_object_new_string(pr->target));
		if (pr->target_module[0] || pr->module)
			json_object_object_add(
				o, "module",
				json_object_new_string(
					pr->target_module[0] ?
						pr->target_module :
						pr->module));
		if (pr->state != PROBE_ACTIVE)
			json_object_object_add(o, "why",
					       json_object_new_string(pr->why));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "probes", arr);
	json_object_object_add(root, "precise",
			       json_object_new_boolean(p->precise));
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	json_object_put(root);
}

/* ---- the verifier check of every program ------------------------------- */

#define MAX_PROGS 128 /* skeleton programs; 55 today */

static char verify_log[4096];

static int verify_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	size_t used = strlen(verify_log);

	if (level != LIBBPF_WARN || used + 1 >= sizeof(verify_log))
		return 0;
	return vsnprintf(verify_log + used, sizeof(verify_log) - used, fmt, ap);
}

/*
 * A flavour of mmap_lock_released written for the other layout of its
 * arguments: a tp_btf program is checked against this kernel's, so it
 * cannot load here. Returns why, or NULL when it is this kernel's.
 */
static const char *other_flavour(const char *prog, int nargs)
{
	if (strncmp(prog, "mmap_lock_released", 18))
		return NULL;
	if (nargs < 0)
		return " (no mmap_lock tracepoints in this kernel)";
	if (nargs == 3 && !strcmp(prog, "mmap_lock_released"))
		return " (for kernels since 6.10; this one passes the memcg path)";
	if (nargs != 3 && strcmp(prog, "mmap_lock_released"))
		return " (for kernels before 6.10, whose tracepoint passes the "
		       "memcg path)";
	return NULL;
}

/*
 * An fentry/fexit program for a module function that this kernel's BTF or
 * kallsyms lack under its name (module not loaded; the function inlined,
 * or renamed: 6.12 has BTF for vfio_lock_acct but only the symbol
 * vfio_lock_acct.part.0): says why in @why, for the n/a line.
 */
static bool fentry_target_missing(const char *prog, const struct ksym_query *q,
				  char *why, size_t len, char *target,
				  size_t tlen)
{
	for (unsigned int i = 0; i < PROBES_NR_PRECISE; i++) {
		const struct probe *t = &probe_list_precise[i];

		if (!t->module || !t->fentry ||
		    (strcmp(prog, t->fentry) &&
		     (!t->fexit || strcmp(prog, t->fexit))))
			continue;
		if (probe_fentry_present(t, &q[i])) {
			/* renamed here: the program's section names the old */
			if (strcmp(q[i].found, t->label))
				snprintf(target, tlen, "%s", q[i].found);
			return false;
		}
		snprintf(why, len,
			 " (%s of %s is not here under that name, in BTF and "
			 "kallsyms: module not loaded, or the function "
			 "renamed or inlined; its kprobes are used)",
			 t->label, q[i].module[0] ? q[i].module : t->module);
		return true;
	}
	return false;
}

/*
 * A syscall exit's fexit flavour targets the syscall's entry point, named
 * per arch: into @entry, or why there is none into @why.
 */
static bool syscall_fexit_target(const char *prog, const struct btf *vmlinux,
				 char *entry, size_t len, char *why,
				 size_t whylen)
{
	const char *syscall = prog + strlen("fexit_sys_");

	if (strncmp(prog, "fexit_sys_", strlen("fexit_sys_")))
		return false;
	if (vmlinux && probe_syscall_entry(vmlinux, syscall, entry, len))
		return false;
	snprintf(why, whylen,
		 " (no entry point of %s in this kernel's BTF: its tracepoint "
		 "is used)",
		 syscall);
	return true;
}

int features_verify(const char *btf_path, FILE *out, int *refused)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf_path);
	struct memlockacct *skel = memlockacct__open_opts(&oo);
	libbpf_print_fn_t old;
	struct bpf_program *prog;
	const char **names;
	struct btf *vmlinux;
	int n = 0, failed = 0, nargs;
	struct ksym_query q[PROBES_NR_PRECISE] = { 0 };
	char missing[256];

	*refused = 0;
	if (!skel)
		return -1;
	names = calloc(MAX_PROGS, sizeof(*names));
	bpf_object__for_each_program(prog, skel->obj)
		if (names && n < MAX_PROGS)
			names[n++] = strdup(bpf_program__name(prog));
	memlockacct__destroy(skel);
	if (!names)
		return -1;
	vmlinux =
		btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	nargs = vmlinux ? tp_btf_nargs(vmlinux, "mmap_lock_released") : -1;
	probes_resolve_precise(q); /* unreadable: none exact, VFIO pairs n/a */
	old = libbpf_set_print(verify_print);
	for (int i = 0; i < n; i++) {
		const char *why = other_flavour(names[i], nargs);
		char entry[128] = "";
		int err;

		if (why) {
			fprintf(out, "n/a %s%s\n", names[i], why);
			free((void *)names[i]);
			continue;
		}
		if (fentry_target_missing(names[i], q, missing, sizeof(missing),
					  entry, sizeof(entry)) ||
		    syscall_fexit_target(names[i], vmlinux, entry,
					 sizeof(entry), missing,
					 sizeof(missing))) {
			fprintf(out, "n/a %s%s\n", names[i], missing);
			free((void *)names[i]);
			continue;
		}
		why = "";
		skel = memlockacct__open_opts(&oo);
		if (!skel)
			break;
		bpf_object__for_each_program(prog, skel->obj) {
			bool self = !strcmp(bpf_program__name(prog), names[i]);

			bpf_program__set_autoload(prog, self);
			if (self && entry[0])
				bpf_program__set_attach_target(prog, 0, entry);
		}
		verify_log[0] = '\0';
		err = memlockacct__load(skel);
		if (err &&
		    (!strncmp(names[i], "fexit", 5) ||
		     !strncmp(names[i], "fentry", 6)) &&
		    !fentry_can_attach("__account_locked_vm")) {
			why = " (this kernel refuses fentry/fexit programs)";
			(*refused)++;
		} else if (err) {
			failed++;
		}
		fprintf(out, "%s %s%s\n", err ? "REFUSED" : "loaded", names[i],
			why);
		if (err && !*why) {
			char safe[512];

			escape_text(verify_log, safe, sizeof(safe));
			fprintf(out, "  %s\n", safe);
		}
		memlockacct__destroy(skel);
		free((void *)names[i]);
	}
	libbpf_set_print(old);
	btf__free(vmlinux);
	free(names);
	return failed;
}
