// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <linux/types.h>
#include "memlockacct.h"
#include "memlockacct.skel.h"
#include "kernel_features.h"
#include "ksyms.h"
#include "probes.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define N_PORTABLE PROBES_NR_PORTABLE
#define N_PRECISE PROBES_NR_PRECISE

static const char *const kind_names[] = {
#define X(id, name) [PROBE_##id] = name,
	PROBE_KINDS(X)
#undef X
};

const char *probe_kind_name(enum probe_kind kind)
{
	return kind < N_ELEMS(kind_names) ? kind_names[kind] : "?";
}

const char *probe_tier_name(enum probe_tier tier)
{
	return tier == TIER_PRECISE ? "precise" : "portable";
}

static struct probe *probe_labelled(struct probes *p, const char *label);
static int attach_one(struct probes *p, struct probe *pr, char *why, int len);

static struct bpf_program *prog_by_name(struct memlockacct *skel,
					const char *name)
{
	return name ? bpf_object__find_program_by_name(skel->obj, name) : NULL;
}

static void set_autoload(struct memlockacct *skel, const char *name, bool on)
{
	struct bpf_program *prog = prog_by_name(skel, name);

	if (prog)
		bpf_program__set_autoload(prog, on);
}

static void probe_off(struct probe *pr, const char *fmt, const char *arg)
{
	pr->state = PROBE_OFF;
	snprintf(pr->why, sizeof(pr->why), fmt, arg ? arg : "");
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The walk of open VFIO containers finds them by their file_operations and
 * the type1 IOMMU by its driver ops: both from kallsyms (data symbols,
 * CONFIG_KALLSYMS_ALL), present once the modules are loaded.
 */
static void plan_vfio_walk(struct probes *p, struct probe *pr)
{
	struct ksym_query q[] = {
		{ .name = "vfio_fops", .data = true },
		{ .name = "vfio_iommu_driver_ops_type1", .data = true },
	};

	if (!module_loaded("vfio") || !module_loaded(PROBES_VFIO_MOD)) {
		probe_off(pr, "module %s not loaded", PROBES_VFIO_MOD);
		return;
	}
	if (!module_has_btf("vfio") || !module_has_btf(PROBES_VFIO_MOD)) {
		probe_off(pr, "no BTF for the vfio modules "
			      "(CONFIG_DEBUG_INFO_BTF_MODULES): VFIO held "
			      "before start is inferred%s",
			  NULL);
		return;
	}
	if (ksyms_resolve(q, 2) || !q[0].addr || !q[1].addr) {
		probe_off(pr, "vfio_fops or the type1 driver ops not in "
			      "kallsyms (CONFIG_KALLSYMS_ALL, or root to see "
			      "addresses)%s",
			  NULL);
		return;
	}
	p->vfio_fops = q[0].addr;
	p->type1_ops = q[1].addr;
	snprintf(pr->target, sizeof(pr->target), "vfio_fops");
}

/*
 * The syscall's own entry point, the arch's wrapper of (struct pt_regs *)
 * that libbpf's ksyscall programs also attach to, into @buf; false if this
 * kernel's BTF has none (CONFIG_ARCH_HAS_SYSCALL_WRAPPER unset).
 */
bool probe_syscall_entry(const struct btf *btf, const char *syscall, char *buf,
			 size_t len)
{
	static const char *const prefixes[] = { "__x64_sys_", "__arm64_sys_" };

	for (unsigned int i = 0; i < N_ELEMS(prefixes); i++) {
		snprintf(buf, len, "%s%s", prefixes[i], syscall);
		if (btf__find_by_name_kind(btf, buf, BTF_KIND_FUNC) > 0)
			return true;
	}
	buf[0] = '\0';
	return false;
}

/*
 * A syscall exit hooked by fexit on the syscall's entry point where
 * trampolines attach there: no syscall tracepoint, so no other system call
 * pays for ours (BENCHMARKS.md, workload 6). Each is tried, so a kernel
 * that refuses one keeps its tracepoint.
 */
static bool plan_syscall_fexit(struct probe *pr, const struct probes_opts *o,
			       struct btf *btf)
{
	char entry[sizeof(pr->target)];

	if (!pr->fexit || o->portable_only || o->kprobes_only)
		return false;
	if (!probe_syscall_entry(btf, pr->label + strlen("sys_exit_"), entry,
				 sizeof(entry)) ||
	    !fentry_can_attach(entry))
		return false;
	pr->kind = PROBE_FEXIT;
	snprintf(pr->target, sizeof(pr->target), "%s", entry);
	return true;
}

/* Portable tier: which tracepoints exist here, in which flavour. */
static void plan_portable(struct probes *p, const struct probes_opts *o,
			  struct btf *btf)
{
	for (unsigned int i = 0; i < N_PORTABLE; i++) {
		struct probe *pr = &p->list[i];
		char path[128], dbg[128];
		int nargs;

		pr->tier = TIER_PORTABLE;
		snprintf(pr->target, sizeof(pr->target), "%s", pr->label);
		switch (pr->kind) {
		case PROBE_ITER_TASK:
			break;
		case PROBE_ITER_TASK_FILE:
			plan_vfio_walk(p, pr);
			break;
		case PROBE_TRACEPOINT:
			if (plan_syscall_fexit(pr, o, btf))
				break;
			snprintf(path, sizeof(path),
				 "/sys/kernel/tracing/events/syscalls/%s",
				 pr->label);
			snprintf(dbg, sizeof(dbg), "/sys/kernel/debug/tracing/"
				 "events/syscalls/%s", pr->label);
			if (pr->optional_tp && access(path, F_OK) &&
			    access(dbg, F_OK))
				probe_off(pr, "no tracepoint %s in this kernel",
					  pr->label);
			break;
		case PROBE_TP_BTF: /* mmap_lock_released, in two layouts */
			nargs = tp_btf_nargs(btf, pr->label);
			if (nargs < 0)
				probe_off(pr,
					  "no mmap_lock tracepoints (Linux < 5.15)"
					  ": changes are seen at syscall exit "
					  "only%s",
					  NULL);
			else if (nargs == 3)
				pr->prog = pr->alt_prog;
			break;
		default: /* raw_tp */
			if (pr->run_only && !o->follow_tree)
				probe_off(pr,
					  "only used by 'run' to follow "
					  "children%s",
					  NULL);
			else if (tp_btf_nargs(btf, pr->label) < 0)
				probe_off(pr,
					  "no tracepoint %s in this kernel "
					  "(Linux < 6.1): exits are found "
					  "by the reconciliation",
					  pr->label);
		}
	}
}

bool probe_fentry_present(const struct probe *pr, const struct ksym_query *q)
{
	const char *mod = q->module[0] ? q->module : pr->module;

	return pr->fentry && q->exact && mod &&
	       module_btf_has_func(mod, q->found);
}

/*
 * A module function gets an fentry/fexit pair when its target is present,
 * the kernel attaches trampolines (tried on __account_locked_vm) and fexit
 * can read a return value whatever the argument count (bpf_get_func_ret,
 * 5.17).
 */
static bool use_fentry_pair(const struct probe *pr, const struct ksym_query *q,
			    int *tramp)
{
	if (!probe_fentry_present(pr, q))
		return false;
	if (*tramp < 0)
		*tramp = fentry_can_attach("__account_locked_vm") &&
			 kernel_has_helper("BPF_FUNC_get_func_ret");
	return *tramp;
}

int probes_resolve_precise(struct ksym_query *q)
{
	/* labels, then the alt_labels of renamed functions: one pass */
	struct ksym_query all[2 * N_PRECISE] = { 0 };
	unsigned int idx[N_PRECISE] = { 0 }, na = 0;
	int err;

	for (unsigned int i = 0; i < N_PRECISE; i++) {
		all[i].name = probe_list_precise[i].label;
		if (probe_list_precise[i].alt_label) {
			all[N_PRECISE + na].name =
				probe_list_precise[i].alt_label;
			idx[na++] = i;
		}
	}
	err = ksyms_resolve(all, N_PRECISE + na);
	for (unsigned int i = 0; i < N_PRECISE; i++)
		q[i] = all[i];
	for (unsigned int k = 0; !err && k < na; k++)
		if (!q[idx[k]].found[0] && all[N_PRECISE + k].found[0])
			q[idx[k]] = all[N_PRECISE + k];
	return err;
}

/*
 * mm_lock_acct (6.1.20+) charges through __account_locked_vm, and its
 * caller vfio_lock_acct names the dma: with both hooked, its pair only
 * repeats, once per VFIO batch, what they see (a sixth of the precise
 * tier's instructions a batch in the test VM, BENCHMARKS.md workload 4).
 * Its one other caller, vfio_change_dma_owner, is named by the ioctl it
 * serves (account_done in precise_account.bpf.c). Where vfio_lock_acct is inlined
 * away, it stays: a release's uncharge has no ioctl to be named by.
 */
static void skip_mm_lock_acct(struct probes *p)
{
	struct probe *acct = probe_labelled(p, "__account_locked_vm");
	struct probe *lock = probe_labelled(p, "vfio_lock_acct");
	struct probe *mm = probe_labelled(p, "mm_lock_acct");

	if (!acct || !lock || !mm || acct->state == PROBE_OFF ||
	    lock->state == PROBE_OFF)
		return;
	mm->late = false;
	probe_off(mm,
		  "not needed: the __account_locked_vm probe sees its "
		  "charges%s",
		  NULL);
}

/* Precise tier: kprobes present, targets present, fentry where it works. */
static void plan_precise(struct probes *p, const struct probes_opts *o)
{
	struct ksym_query q[N_PRECISE] = { 0 };
	bool kprobes = have_kprobes();
	int kerr, tramp = -1;

	kerr = probes_resolve_precise(q);
	for (unsigned int i = 0; i < N_PRECISE; i++) {
		struct probe *pr = &p->list[N_PORTABLE + i];

		pr->tier = TIER_PRECISE;
		pr->kind = PROBE_KPROBE;
		if (o->portable_only) {
			probe_off(pr, "--portable was given%s", NULL);
			continue;
		}
		if (kerr) {
			probe_off(pr, "cannot read /proc/kallsyms%s", NULL);
			continue;
		}
		if (!q[i].found[0]) {
			if (pr->module && !module_loaded(pr->module) && kprobes) {
				/* load it anyway, to attach once the module is in */
				probe_off(pr, "module %s not loaded (attached if "
					      "it is loaded while we run)",
					  pr->module);
				pr->late = true;
			} else if (pr->module && !module_loaded(pr->module))
				probe_off(pr, "module %s not loaded", pr->module);
			else
				probe_off(pr, "symbol %s not in this kernel "
					      "(renamed or inlined)",
					  pr->label);
			continue;
		}
		snprintf(pr->target, sizeof(pr->target), "%s", q[i].found);
		snprintf(pr->target_module, sizeof(pr->target_module), "%s",
			 q[i].module);
		/*
		 * Trampolines first: one per hook, where kprobes need a kprobe
		 * and a kretprobe (and an int3 where ftrace cannot serve them).
		 * In the test VMs (6.12) they ran fewer of a VFIO map's
		 * instructions than kprobes (BENCHMARKS.md, workload 4).
		 */
		if (!o->kprobes_only) {
			if (use_fentry_pair(pr, &q[i], &tramp)) {
				pr->kind = PROBE_FENTRY;
				continue;
			}
			if (pr->fexit && !pr->fentry && q[i].exact &&
			    fentry_can_attach(pr->label)) {
				pr->kind = PROBE_FEXIT;
				continue;
			}
		}
		if (!kprobes)
			probe_off(pr, "no kprobes in this kernel "
				      "(CONFIG_KPROBES is not set)%s",
				  NULL);
	}
	skip_mm_lock_acct(p);
}

static void apply_autoload(struct probes *p)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, p->skel->obj)
		bpf_program__set_autoload(prog, false);
	for (unsigned int i = 0; i < p->n; i++) {
		struct probe *pr = &p->list[i];

		if (pr->state != PROBE_ACTIVE && !pr->late)
			continue;
		if (pr->kind == PROBE_FENTRY)
			set_autoload(p->skel, pr->fentry, true);
		if (probe_kind_trampoline(pr->kind)) {
			set_autoload(p->skel, pr->fexit, true);
			/*
			 * a syscall's: its target is this kernel's entry point;
			 * a renamed function's: its name here
			 */
			if (pr->tier == TIER_PORTABLE || pr->alt_label) {
				bpf_program__set_attach_target(
					prog_by_name(p->skel, pr->fexit), 0,
					pr->target);
				if (pr->kind == PROBE_FENTRY)
					bpf_program__set_attach_target(
						prog_by_name(p->skel,
							     pr->fentry),
						0, pr->target);
			}
			continue;
		}
		set_autoload(p->skel, pr->prog, true);
		set_autoload(p->skel, pr->retprog, true);
	}
}

static void configure(struct probes *p, const struct probes_opts *o)
{
	struct memlockacct *s = p->skel;

	s->rodata->filter_tree = o->filter_tree;
	s->rodata->aggregate = o->aggregate;
	s->rodata->filter_cgroup = o->cgroup_fd >= 0;
	s->rodata->lazy_baseline = p->lazy_baseline;
	s->rodata->tool_start_ns = p->start_ns;
	s->rodata->vfio_fops_addr = p->vfio_fops;
	s->rodata->type1_ops_addr = p->type1_ops;
	/* the tests' way through the path kernels before 5.17 take */
	s->rodata->device_by_smaps = !!getenv("MLA_DEVICE_BY_SMAPS");
	for (unsigned int i = N_PORTABLE; i < p->n; i++)
		if (p->list[i].state == PROBE_ACTIVE)
			s->rodata->precise = 1;
}

struct probe *probes_find(struct probes *p, const char *prog)
{
	for (unsigned int i = 0; i < p->n; i++)
		if (!strcmp(p->list[i].prog, prog))
			return &p->list[i];
	return NULL;
}

static struct probe *probe_labelled(struct probes *p, const char *label)
{
	for (unsigned int i = 0; i < p->n; i++)
		if (!strcmp(p->list[i].label, label))
			return &p->list[i];
	return NULL;
}

int probes_attach_late(struct probes *p)
{
	int attached = 0;

	for (unsigned int i = 0; i < p->n; i++) {
		struct probe *pr = &p->list[i];
		struct ksym_query q[2] = { { .name = pr->label },
					   { .name = pr->alt_label } };
		char why[64];

		if (!pr->late || !module_loaded(pr->module) ||
		    ksyms_resolve(q, pr->alt_label ? 2 : 1) ||
		    (!q[0].found[0] && !q[1].found[0]))
			continue;
		pr->late = false;
		snprintf(pr->target, sizeof(pr->target), "%s",
			 q[0].found[0] ? q[0].found : q[1].found);
		if (attach_one(p, pr, why, sizeof(why))) {
			pr->state = PROBE_FAILED;
			snprintf(pr->why, sizeof(pr->why), "late attach failed");
			continue;
		}
		pr->state = PROBE_ACTIVE;
		p->precise = true;
		attached++;
	}
	return attached;
}

bool probes_active(struct probes *p, const char *label)
{
	struct probe *pr = probe_labelled(p, label);

	return pr && pr->state == PROBE_ACTIVE;
}

static int attach_one(struct probes *p, struct probe *pr, char *why, int len)
{
	struct bpf_program *prog, *ret;

	if (pr->kind == PROBE_FENTRY) {
		pr->links[0] =
			bpf_program__attach(prog_by_name(p->skel, pr->fentry));
		if (!pr->links[0])
			return -errno;
	}
	if (probe_kind_trampoline(pr->kind)) {
		if (!pr->fexit) /* an entry probe only */
			return 0;
		prog = prog_by_name(p->skel, pr->fexit);
		pr->links[1] = bpf_program__attach(prog);
		return pr->links[1] ? 0 : -errno;
	}
	prog = prog_by_name(p->skel, pr->prog);
	ret = prog_by_name(p->skel, pr->retprog);
	if (pr->kind == PROBE_KPROBE) {
		pr->links[0] = bpf_program__attach_kprobe(prog, false, pr->target);
		if (!pr->links[0] || !ret)
			return pr->links[0] ? 0 : -errno;
		pr->links[1] = bpf_program__attach_kprobe(ret, true, pr->target);
		return pr->links[1] ? 0 : -errno;
	}
	pr->links[0] = bpf_program__attach(prog);
	return pr->links[0] ? 0 : -errno;
}

static int attach_all(struct probes *p, char *why, int len)
{
	for (unsigned int i = 0; i < p->n; i++) {
		struct probe *pr = &p->list[i];
		int err;

		if (pr->state != PROBE_ACTIVE || probe_kind_iter(pr->kind))
			continue;
		err = attach_one(p, pr, why, len);
		if (!err)
			continue;
		pr->state = PROBE_FAILED;
		snprintf(pr->why, sizeof(pr->why), "attach failed: %s",
			 strerror(-err));
		if (pr->tier == TIER_PORTABLE && !pr->optional_tp) {
			snprintf(why, len, "cannot attach %s %s: %s",
				 probe_kind_name(pr->kind), pr->label,
				 strerror(-err));
			return err;
		}
	}
	for (unsigned int i = N_PORTABLE; i < p->n; i++)
		if (p->list[i].state == PROBE_ACTIVE)
			p->precise = true;
	return 0;
}

static int load(struct probes *p, const struct probes_opts *o, char *why,
		int len)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	int err;

	p->skel = memlockacct__open_opts(&oo);
	if (!p->skel) {
		snprintf(why, len, "cannot open the BPF object: %s",
			 strerror(errno));
		return -errno;
	}
	apply_autoload(p);
	configure(p, o);
	/* room for one container of 65535 mappings, when the walk runs */
	if (probes_find(p, "vfio_maps")->state == PROBE_ACTIVE)
		bpf_map__set_max_entries(p->skel->maps.walk_out, 8 << 20);
	if (o->max_procs) {
		unsigned int dead = o->max_procs / 4;

		bpf_map__set_max_entries(p->skel->maps.mms, o->max_procs);
		bpf_map__set_max_entries(p->skel->maps.tree, o->max_procs);
		bpf_map__set_max_entries(p->skel->maps.dead,
					 dead < 1024 ? 1024 : dead);
	}
	err = memlockacct__load(p->skel);
	if (err) {
		memlockacct__destroy(p->skel);
		p->skel = NULL;
		snprintf(why, len, "cannot load the BPF programs: %s%s",
			 strerror(-err),
			 err == -EPERM ? " (run as root, or raise "
					 "'ulimit -l' on kernels before 5.11)" :
					 " (run with -v for the verifier log)");
	}
	return err;
}

int probes_start(struct probes *p, const struct probes_opts *o, char *why,
		 int whylen)
{
	struct btf *btf;
	int err;

	memset(p, 0, sizeof(*p));
	err = check_privileges(why, whylen);
	if (err)
		return err;
	btf = vmlinux_btf(o->btf_path);
	if (!btf) {
		snprintf(why, whylen,
			 o->btf_path ? "cannot read BTF from %s" :
				       "this kernel has no BTF "
				       "(/sys/kernel/btf/vmlinux is missing: "
				       "CONFIG_DEBUG_INFO_BTF is off): pass "
				       "--btf FILE with this kernel's BTF, "
				       "e.g. from BTFHub%s",
			 o->btf_path ? o->btf_path : "");
		return -ENOENT;
	}
	err = ensure_tracefs(why, whylen);
	if (err)
		return err;

	p->n = N_PORTABLE + N_PRECISE;
	p->list = calloc(p->n, sizeof(*p->list));
	if (!p->list)
		return -ENOMEM;
	memcpy(p->list, probe_list_portable, N_PORTABLE * sizeof(*p->list));
	memcpy(p->list + N_PORTABLE, probe_list_precise,
	       N_PRECISE * sizeof(*p->list));
	plan_portable(p, o, btf);
	plan_precise(p, o);
	p->start_ns = boottime_ns();

	/* task iterators came with 5.8; bpf_iter__task with them */
	if (btf__find_by_name_kind(btf, "bpf_iter__task", BTF_KIND_STRUCT) < 0) {
		probe_off(probes_find(p, "baseline"),
			  "no task iterators (Linux < 5.8): processes "
			  "are seeded when first seen%s",
			  NULL);
		probe_off(probes_find(p, "resync"),
			  "no task iterators (Linux < 5.8): changes no hook "
			  "sees show as drift%s",
			  NULL);
		p->lazy_baseline = true;
	}
	err = load(p, o, why, whylen);
	if (err)
		goto fail;
	if (o->cgroup_fd >= 0) {
		__u32 zero = 0;

		err = bpf_map__update_elem(p->skel->maps.cgroup_filter, &zero,
					   sizeof(zero), &o->cgroup_fd,
					   sizeof(o->cgroup_fd), BPF_ANY);
		if (err) {
			snprintf(why, whylen, "cannot set the cgroup filter: %s",
				 strerror(-err));
			goto fail;
		}
	}
	/* seed before attaching: entries made later start from zero */
	err = probes_seed(p, why, whylen);
	if (err)
		goto fail;
	err = attach_all(p, why, whylen);
	if (err)
		goto fail;
	return 0;
fail:
	probes_stop(p);
	return err ? err : -EINVAL;
}

void probes_stop(struct probes *p)
{
	for (unsigned int i = 0; p->list && i < p->n; i++) {
		bpf_link__destroy(p->list[i].links[0]);
		bpf_link__destroy(p->list[i].links[1]);
		p->list[i].links[0] = p->list[i].links[1] = NULL;
	}
	memlockacct__destroy(p->skel);
	p->skel = NULL;
	free(p->list);
	p->list = NULL;
	free(p->vfio_maps);
	p->vfio_maps = NULL;
	p->nvfio_maps = 0;
}
