// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
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

#define PORTABLE "portable"
#define PRECISE "precise"
#define VFIO_MOD "vfio_iommu_type1"

/* Tracepoints of the portable tier; the syscall exits are classic ones. */
static const struct probe portable_tpl[] = {
	{ .label = "mmap_lock_released", .prog = "mmap_lock_released",
	  .optional_tp = true },
	{ .label = "exit_mmap", .prog = "exit_mmap", .optional_tp = true },
	{ .label = "sched_process_fork", .prog = "sched_process_fork" },
	{ .label = "sched_process_exec", .prog = "sched_process_exec" },
	{ .label = "sched_process_free", .prog = "sched_process_free" },
	{ .label = "sys_exit_mlock", .prog = "sys_exit_mlock" },
	{ .label = "sys_exit_mlock2", .prog = "sys_exit_mlock2" },
	{ .label = "sys_exit_munlock", .prog = "sys_exit_munlock" },
	{ .label = "sys_exit_mlockall", .prog = "sys_exit_mlockall" },
	{ .label = "sys_exit_munlockall", .prog = "sys_exit_munlockall" },
	{ .label = "sys_exit_mmap", .prog = "sys_exit_mmap" },
	{ .label = "sys_exit_munmap", .prog = "sys_exit_munmap" },
	{ .label = "sys_exit_mremap", .prog = "sys_exit_mremap" },
	{ .label = "sys_exit_brk", .prog = "sys_exit_brk" },
	{ .label = "sys_exit_shmctl", .prog = "sys_exit_shmctl" },
	{ .label = "sys_exit_io_uring_register",
	  .prog = "sys_exit_io_uring_register", .optional_tp = true },
	{ .label = "sys_exit_io_uring_setup", .prog = "sys_exit_io_uring_setup",
	  .optional_tp = true },
	{ .label = "sys_exit_ioctl", .prog = "sys_exit_ioctl" },
	{ .label = "task iterator (baseline)", .prog = "baseline" },
	{ .label = "task iterator (resync)", .prog = "resync" },
	{ .label = "VFIO container walk", .prog = "vfio_maps",
	  .module = VFIO_MOD },
};

static const struct probe precise_tpl[] = {
	{ .label = "__account_locked_vm",
	  .prog = "kprobe_account_locked_vm_inner",
	  .retprog = "kretprobe_account_locked_vm_inner",
	  .fexit = "fexit_account_locked_vm_inner" },
	{ .label = "account_locked_vm",
	  .prog = "kprobe_account_locked_vm",
	  .retprog = "kretprobe_account_locked_vm",
	  .fexit = "fexit_account_locked_vm" },
	{ .label = "vfio_lock_acct",
	  .module = VFIO_MOD,
	  .prog = "kprobe_vfio_lock_acct",
	  .retprog = "kretprobe_vfio_lock_acct",
	  .fentry = "fentry_vfio_lock_acct",
	  .fexit = "fexit_vfio_lock_acct" },
	{ .label = "mm_lock_acct",
	  .module = VFIO_MOD,
	  .prog = "kprobe_mm_lock_acct",
	  .retprog = "kretprobe_mm_lock_acct",
	  .fentry = "fentry_mm_lock_acct",
	  .fexit = "fexit_mm_lock_acct" },
	{ .label = "vfio_pin_pages_remote",
	  .module = VFIO_MOD,
	  .prog = "kprobe_vfio_pin_pages_remote",
	  .fentry = "fentry_vfio_pin_pages_remote" },
	{ .label = "user_shm_lock",
	  .prog = "kprobe_user_shm_lock",
	  .retprog = "kretprobe_user_shm_lock" },
	{ .label = "__io_account_mem",
	  .prog = "kprobe_io_account_mem",
	  .retprog = "kretprobe_io_account_mem" },
};

#define N_PORTABLE (sizeof(portable_tpl) / sizeof(portable_tpl[0]))
#define N_PRECISE (sizeof(precise_tpl) / sizeof(precise_tpl[0]))

static struct probe *probe_named(struct probes *p, const char *prog);
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

	snprintf(pr->kind, sizeof(pr->kind), "iter/task_file");
	if (!module_loaded("vfio") || !module_loaded(VFIO_MOD)) {
		probe_off(pr, "module %s not loaded", VFIO_MOD);
		return;
	}
	if (!module_has_btf("vfio") || !module_has_btf(VFIO_MOD)) {
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

/* Portable tier: which tracepoints exist here, in which flavour. */
static void plan_portable(struct probes *p, const struct probes_opts *o,
			  struct btf *btf)
{
	for (unsigned int i = 0; i < N_PORTABLE; i++) {
		struct probe *pr = &p->list[i];

		pr->tier = PORTABLE;
		snprintf(pr->kind, sizeof(pr->kind), "tracepoint");
		snprintf(pr->target, sizeof(pr->target), "%s", pr->label);
		if (!strcmp(pr->prog, "baseline") ||
		    !strcmp(pr->prog, "resync")) {
			snprintf(pr->kind, sizeof(pr->kind), "iter/task");
			continue;
		}
		if (!strcmp(pr->prog, "vfio_maps")) {
			plan_vfio_walk(p, pr);
			continue;
		}
		if (!strncmp(pr->prog, "sys_exit_", 9)) {
			char path[128], dbg[128];

			snprintf(path, sizeof(path),
				 "/sys/kernel/tracing/events/syscalls/%s",
				 pr->label);
			snprintf(dbg, sizeof(dbg), "/sys/kernel/debug/tracing/"
				 "events/syscalls/%s", pr->label);
			if (pr->optional_tp && access(path, F_OK) &&
			    access(dbg, F_OK))
				probe_off(pr, "no tracepoint %s in this kernel",
					  pr->label);
			continue;
		}
		snprintf(pr->kind, sizeof(pr->kind), "raw_tp");
		if (!strncmp(pr->prog, "sched_process_", 14) &&
		    !o->follow_tree) {
			probe_off(pr, "only used by 'run' to follow children%s",
				  NULL);
			continue;
		}
		if (!strcmp(pr->prog, "mmap_lock_released")) {
			int nargs = tp_btf_nargs(btf, "mmap_lock_released");

			snprintf(pr->kind, sizeof(pr->kind), "tp_btf");

			if (nargs < 0)
				probe_off(pr,
					  "no mmap_lock tracepoints (Linux < 5.15)"
					  ": changes are seen at syscall exit "
					  "only%s",
					  NULL);
			else if (nargs == 3)
				/* (mm, memcg_path, write) until 6.10 */
				pr->prog = "mmap_lock_released_memcg";
			continue;
		}
		if (tp_btf_nargs(btf, pr->label) < 0)
			probe_off(pr, "no tracepoint %s in this kernel (Linux "
				      "< 6.1): exits are found by the "
				      "reconciliation",
				  pr->label);
	}
}

/* An fentry/fexit pair can name @pr's function: BTF and kallsyms agree. */
static bool fentry_target_present(const struct probe *pr, bool exact)
{
	return pr->fentry && exact &&
	       module_btf_has_func(pr->module, pr->label);
}

/* fentry/fexit programs rather than a kprobe and a kretprobe */
static bool on_trampoline(const struct probe *pr)
{
	return !strcmp(pr->kind, "fexit") || !strcmp(pr->kind, "fentry");
}

/*
 * A module function gets an fentry/fexit pair when its target is present,
 * the kernel attaches trampolines (tried on __account_locked_vm) and fexit
 * can read a return value whatever the argument count (bpf_get_func_ret,
 * 5.17).
 */
static bool use_fentry_pair(const struct probe *pr, bool exact, int *tramp)
{
	if (!fentry_target_present(pr, exact))
		return false;
	if (*tramp < 0)
		*tramp = fentry_can_attach("__account_locked_vm") &&
			 kernel_has_helper("BPF_FUNC_get_func_ret");
	return *tramp;
}

/* Where the precise tier's functions are in kallsyms; -errno if unreadable. */
static int resolve_precise(struct ksym_query q[N_PRECISE])
{
	for (unsigned int i = 0; i < N_PRECISE; i++)
		q[i].name = precise_tpl[i].label;
	return ksyms_resolve(q, N_PRECISE);
}

/*
 * mm_lock_acct (6.1.20+) charges through __account_locked_vm, and its
 * caller vfio_lock_acct names the dma: with both hooked, its pair only
 * repeats, once per VFIO batch, what they see (a sixth of the precise
 * tier's instructions a batch in the test VM, BENCHMARKS.md workload 4).
 * Its one other caller, vfio_change_dma_owner, is named by the ioctl it
 * serves (account_done in precise.bpf.c). Where vfio_lock_acct is inlined
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

	kerr = resolve_precise(q);
	for (unsigned int i = 0; i < N_PRECISE; i++) {
		struct probe *pr = &p->list[N_PORTABLE + i];

		pr->tier = PRECISE;
		snprintf(pr->kind, sizeof(pr->kind), "kprobe");
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
		/*
		 * Trampolines first: one per hook, where kprobes need a kprobe
		 * and a kretprobe (and an int3 where ftrace cannot serve them).
		 * In the test VMs (6.12) they ran fewer of a VFIO map's
		 * instructions than kprobes (BENCHMARKS.md, workload 4).
		 */
		if (!o->kprobes_only) {
			if (use_fentry_pair(pr, q[i].exact, &tramp)) {
				snprintf(pr->kind, sizeof(pr->kind), "fentry");
				continue;
			}
			if (pr->fexit && !pr->fentry && q[i].exact &&
			    fentry_can_attach(pr->label)) {
				snprintf(pr->kind, sizeof(pr->kind), "fexit");
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
		if (!strcmp(pr->kind, "fentry"))
			set_autoload(p->skel, pr->fentry, true);
		if (on_trampoline(pr)) {
			set_autoload(p->skel, pr->fexit, true);
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
	for (unsigned int i = N_PORTABLE; i < p->n; i++)
		if (p->list[i].state == PROBE_ACTIVE)
			s->rodata->precise = 1;
}

static struct probe *probe_named(struct probes *p, const char *prog)
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

/* Run an iterator whose work is its side effects on the maps. */
static int run_iter(struct bpf_program *prog)
{
	struct bpf_link *link;
	char buf[256];
	int fd;

	link = bpf_program__attach_iter(prog, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		bpf_link__destroy(link);
		return -errno;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	bpf_link__destroy(link);
	return 0;
}

static int keep_vfio_map(void *ctx, void *data, size_t size)
{
	struct probes *p = ctx;
	struct mla_vfio_map *v;

	if (size < sizeof(*v))
		return 0;
	if (p->nvfio_maps % 1024 == 0) {
		v = realloc(p->vfio_maps, (p->nvfio_maps + 1024) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->vfio_maps = v;
	}
	memcpy(&p->vfio_maps[p->nvfio_maps++], data, sizeof(*v));
	return 0;
}

/*
 * Walk the open VFIO containers: the mappings come through walk_out, and
 * each container's one byte of iterator output lets us drain it in time.
 */
static int run_vfio_walk(struct probes *p)
{
	struct ring_buffer *rb;
	struct bpf_link *link;
	char byte;
	int fd, err = 0;

	rb = ring_buffer__new(bpf_map__fd(p->skel->maps.walk_out),
			      keep_vfio_map, p, NULL);
	if (!rb)
		return -errno;
	link = bpf_program__attach_iter(p->skel->progs.vfio_maps, NULL);
	fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	if (fd < 0)
		err = -errno;
	while (fd >= 0 && read(fd, &byte, 1) > 0)
		ring_buffer__consume(rb);
	ring_buffer__consume(rb);
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	ring_buffer__free(rb);
	return err;
}

int probes_attach_late(struct probes *p)
{
	int attached = 0;

	for (unsigned int i = 0; i < p->n; i++) {
		struct probe *pr = &p->list[i];
		struct ksym_query q = { .name = pr->label };
		char why[64];

		if (!pr->late || !module_loaded(pr->module) ||
		    ksyms_resolve(&q, 1) || !q.found[0])
			continue;
		pr->late = false;
		snprintf(pr->target, sizeof(pr->target), "%s", q.found);
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

int probes_resync(struct probes *p)
{
	struct probe *pr = probe_named(p, "resync");

	if (!pr || pr->state != PROBE_ACTIVE)
		return -EOPNOTSUPP;
	p->skel->bss->stats.resync_pass++;
	return run_iter(p->skel->progs.resync);
}

static int attach_one(struct probes *p, struct probe *pr, char *why, int len)
{
	struct bpf_program *prog, *ret;

	if (!strcmp(pr->kind, "fentry")) {
		pr->links[0] =
			bpf_program__attach(prog_by_name(p->skel, pr->fentry));
		if (!pr->links[0])
			return -errno;
	}
	if (on_trampoline(pr)) {
		if (!pr->fexit) /* an entry probe only */
			return 0;
		prog = prog_by_name(p->skel, pr->fexit);
		pr->links[1] = bpf_program__attach(prog);
		return pr->links[1] ? 0 : -errno;
	}
	prog = prog_by_name(p->skel, pr->prog);
	ret = prog_by_name(p->skel, pr->retprog);
	if (!strcmp(pr->kind, "kprobe")) {
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

		if (pr->state != PROBE_ACTIVE || !strncmp(pr->kind, "iter/", 5))
			continue;
		err = attach_one(p, pr, why, len);
		if (!err)
			continue;
		pr->state = PROBE_FAILED;
		snprintf(pr->why, sizeof(pr->why), "attach failed: %s",
			 strerror(-err));
		if (!strcmp(pr->tier, PORTABLE) && !pr->optional_tp) {
			snprintf(why, len, "cannot attach %s %s: %s", pr->kind,
				 pr->label, strerror(-err));
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
	if (probe_named(p, "vfio_maps")->state == PROBE_ACTIVE)
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
	struct probe *iter;
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
	memcpy(p->list, portable_tpl, sizeof(portable_tpl));
	memcpy(p->list + N_PORTABLE, precise_tpl, sizeof(precise_tpl));
	plan_portable(p, o, btf);
	plan_precise(p, o);
	p->start_ns = boottime_ns();

	iter = probe_named(p, "baseline");
	/* task iterators came with 5.8; bpf_iter__task with them */
	if (btf__find_by_name_kind(btf, "bpf_iter__task", BTF_KIND_STRUCT) < 0) {
		probe_off(iter, "no task iterators (Linux < 5.8): processes "
				"are seeded when first seen%s",
			  NULL);
		probe_off(probe_named(p, "resync"),
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
	if (iter->state == PROBE_ACTIVE) {
		err = run_iter(p->skel->progs.baseline);
		if (err) {
			snprintf(why, whylen, "the start-up task iterator "
					      "failed: %s",
				 strerror(-err));
			goto fail;
		}
	}
	if (probe_named(p, "vfio_maps")->state == PROBE_ACTIVE &&
	    (err = run_vfio_walk(p))) {
		struct probe *w = probe_named(p, "vfio_maps");

		w->state = PROBE_FAILED;
		snprintf(w->why, sizeof(w->why), "walk failed: %s",
			 strerror(-err));
	}
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

static const char *state_name(enum probe_state s)
{
	return s == PROBE_ACTIVE ? "active" : s == PROBE_OFF ? "off" : "failed";
}

void probes_print(const struct probes *p, FILE *out, bool json)
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
			else if (pr->module)
				snprintf(target, sizeof(target), "%s [%s]",
					 pr->target, pr->module);
			else
				snprintf(target, sizeof(target), "%s",
					 pr->target);
			fprintf(out, "%-27s %-9s %-10s %-7s %s\n", pr->label,
				pr->tier, pr->kind, state_name(pr->state),
				target);
		}
		fprintf(out, "\nTier: %s.%s\n",
			p->precise ? "precise (kprobes, fentry/fexit) over "
				     "portable" :
				     "portable (tracepoints only)",
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

		json_object_object_add(o, "probe", json_object_new_string(pr->label));
		json_object_object_add(o, "tier", json_object_new_string(pr->tier));
		json_object_object_add(o, "kind", json_object_new_string(pr->kind));
		json_object_object_add(o, "status",
				       json_object_new_string(state_name(pr->state)));
		json_object_object_add(o, "target",
				       json_object_new_string(pr->target));
		if (pr->module)
			json_object_object_add(o, "module",
					       json_object_new_string(pr->module));
		if (pr->state != PROBE_ACTIVE)
			json_object_object_add(o, "why",
					       json_object_new_string(pr->why));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "probes", arr);
	json_object_object_add(root, "precise", json_object_new_boolean(p->precise));
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	json_object_put(root);
}

/* ---- the verifier check of every program ------------------------------- */

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
				  char *why, size_t len)
{
	for (unsigned int i = 0; i < N_PRECISE; i++) {
		const struct probe *t = &precise_tpl[i];

		if (!t->module || !t->fentry ||
		    (strcmp(prog, t->fentry) &&
		     (!t->fexit || strcmp(prog, t->fexit))))
			continue;
		if (fentry_target_present(t, q[i].exact))
			return false;
		snprintf(why, len,
			 " (%s of %s is not here under that name, in BTF and "
			 "kallsyms: module not loaded, or the function "
			 "renamed or inlined; its kprobes are used)",
			 t->label, t->module);
		return true;
	}
	return false;
}

int probes_verify_all(const char *btf_path, FILE *out, int *refused)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf_path);
	struct memlockacct *skel = memlockacct__open_opts(&oo);
	libbpf_print_fn_t old;
	struct bpf_program *prog;
	const char **names;
	struct btf *vmlinux;
	int n = 0, failed = 0, nargs;
	struct ksym_query q[N_PRECISE] = { 0 };
	char missing[256];

	*refused = 0;
	if (!skel)
		return -1;
	names = calloc(64, sizeof(*names));
	bpf_object__for_each_program(prog, skel->obj)
		if (names && n < 64)
			names[n++] = strdup(bpf_program__name(prog));
	memlockacct__destroy(skel);
	if (!names)
		return -1;
	vmlinux = btf_path ? btf__parse(btf_path, NULL) :
			     btf__load_vmlinux_btf();
	nargs = vmlinux ? tp_btf_nargs(vmlinux, "mmap_lock_released") : -1;
	resolve_precise(q); /* unreadable: none exact, the VFIO pairs n/a */
	btf__free(vmlinux);
	old = libbpf_set_print(verify_print);
	for (int i = 0; i < n; i++) {
		const char *why = other_flavour(names[i], nargs);
		int err;

		if (why) {
			fprintf(out, "n/a %s%s\n", names[i], why);
			free((void *)names[i]);
			continue;
		}
		if (fentry_target_missing(names[i], q, missing,
					  sizeof(missing))) {
			fprintf(out, "n/a %s%s\n", names[i], missing);
			free((void *)names[i]);
			continue;
		}
		why = "";
		skel = memlockacct__open_opts(&oo);
		if (!skel)
			break;
		bpf_object__for_each_program(prog, skel->obj)
			bpf_program__set_autoload(
				prog, !strcmp(bpf_program__name(prog), names[i]));
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
		fprintf(out, "%s %s%s\n", err ? "REFUSED" : "loaded", names[i], why);
		if (err && !*why) {
			char safe[512];

			escape_text(verify_log, safe, sizeof(safe));
			fprintf(out, "  %s\n", safe);
		}
		memlockacct__destroy(skel);
		free((void *)names[i]);
	}
	libbpf_set_print(old);
	free(names);
	return failed;
}
