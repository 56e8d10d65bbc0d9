// SPDX-License-Identifier: GPL-2.0
/* The figures the views share: filters, cgroups, headroom, VM limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "figures.h"
#include "procfs.h"
#include "rangeset.h"

#define TGID 4242
#define START 1000000000ULL
#define PAGE 4096

/* A process holding @pages of mlock in locked_vm, by one change event. */
static struct mla_proc *holder(struct mla_model *m, uint64_t pages)
{
	struct mla_event e = {
		.type = MLA_EV_CHANGE,
		.mm_id = 1,
		.tgid = TGID,
		.cur_tgid = TGID,
		.start_ns = START,
		.counter = MLA_LOCKED_VM,
		.source = MLA_SRC_MLOCK,
		.delta = (int64_t)pages,
		.value = pages,
		.seq = 1,
	};
	struct mla_range r = { 0x10000000, 0x10000000 + pages * PAGE };
	struct mla_proc *p;

	strcpy(e.comm, "qemu-system-x86");
	model_apply_event(m, &e);
	p = model_proc(m, TGID, START, false);
	assert_non_null(p);
	/* its VM_LOCKED range, as smaps would say */
	model_set_locked(model_inst(m, 1), &r, 1);
	return p;
}

static void test_cgroup_contains(void **state)
{
	assert_true(cgroup_contains("/", "/system.slice/a.service"));
	assert_true(cgroup_contains("/machine.slice", "/machine.slice"));
	assert_true(
		cgroup_contains("/machine.slice/", "/machine.slice/x.scope"));
	assert_false(cgroup_contains("/machine.slice", "/machine.slicex/y"));
	assert_false(cgroup_contains("/machine.slice/x", "/machine.slice"));
	assert_false(cgroup_contains("/", NULL));
}

static void test_cgroup_v2_path(void **state)
{
	char *p;

	p = cgroup_v2_path("0::/user.slice/user-0.slice/session-1.scope\n");
	assert_string_equal(p, "/user.slice/user-0.slice/session-1.scope");
	free(p);
	/* a hybrid host: v1 hierarchies first, some ending in "0::"-like text */
	p = cgroup_v2_path(
		"12:memory:/a\n10::/not-this\n1:name=systemd:/b\n"
		"0::/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope\n");
	assert_string_equal(p,
			    "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope");
	free(p);
	assert_null(cgroup_v2_path("12:memory:/a\n"));
	assert_null(cgroup_v2_path(""));
}

static void test_filter_by_cgroup(void **state)
{
	struct mla_model *m = model_new();
	struct mla_proc *p = holder(m, 16);
	struct proc_filter f = { .cgroup = "/machine.slice" };

	assert_false(proc_matches(p, &f)); /* not read yet: not shown */
	p->cgroup = strdup("/machine.slice/machine-qemu-1-vm1.scope/libvirt");
	assert_true(proc_matches(p, &f));
	f.cgroup = "/system.slice";
	assert_false(proc_matches(p, &f));
	f.cgroup = NULL;
	assert_true(proc_matches(p, &f));
	p->exited = true;
	f.cgroup = "/machine.slice";
	assert_false(proc_matches(p, &f));
	model_free(m);
}

/* The unified count against the limit: over it, at it, bypassed. */
static void test_would_exceed(void **state)
{
	struct mla_model *m = model_new();
	struct mla_proc *p = holder(m, 256); /* 1 MiB */
	struct proc_view v;

	proc_view(p, PAGE, &v);
	assert_false(v.limited); /* no limit known yet */
	assert_false(v.would_exceed);
	p->limit_known = true;
	p->limit_soft = 1024 * 1024;
	proc_view(p, PAGE, &v);
	assert_true(v.limited);
	assert_int_equal(v.unified, 256);
	assert_false(v.would_exceed); /* exactly at the limit passes */
	p->limit_soft = 1024 * 1024 - PAGE;
	proc_view(p, PAGE, &v);
	assert_true(v.would_exceed);
	p->cap_known = p->cap_ipc_lock = true;
	proc_view(p, PAGE, &v);
	assert_true(v.cap);
	assert_false(v.would_exceed);
	p->cap_ipc_lock = false;
	p->limit_soft = UINT64_MAX;
	proc_view(p, PAGE, &v);
	assert_false(v.limited);
	assert_false(v.would_exceed);
	model_free(m);
}

/* A QEMU with 1 GiB and one device, holding 1 GiB, limit 1 GiB + 64 MiB. */
static void test_vm_limits(void **state)
{
	struct mla_model *m = model_new();
	struct mla_proc *p = holder(m, 262144);
	struct proc_filter f = { 0 };
	struct vm_limits l;
	struct vm_group *g;
	size_t n;

	p->vm = calloc(1, sizeof(*p->vm));
	p->vm->vmm = VMM_QEMU;
	strcpy(p->vm->name, "vm1");
	p->vm->ram_kib = 1024 * 1024;
	p->vm->nvfio = 1;
	p->limit_known = true;
	p->limit_soft = (1024 + 64) * 1024 * 1024ULL;
	g = vm_groups(m, &f, PAGE, &n);
	assert_int_equal(n, 1);
	assert_string_equal(g[0].name, "vm1");
	assert_int_equal(g[0].locked, 262144);
	vm_limits(&g[0], PAGE, &l);
	assert_true(l.known);
	assert_int_equal(l.soft_kib, (1024 + 64) * 1024);
	assert_int_equal(l.headroom_kib, 64 * 1024);
	/* libvirt: RAM + 1 GiB for one device */
	assert_int_equal(l.libvirt_kib, 2 * 1024 * 1024);
	assert_true(l.below_libvirt);
	/* a second device shares the container: it charges nothing more */
	assert_int_equal(l.next_device_kib, 0);
	assert_true(l.fits_next_device);
	free(g);
	model_free(m);
}

static void test_headroom_ratio(void **state)
{
	struct mla_model *m = model_new();
	struct mla_proc *p = holder(m, 16); /* 64 KiB locked */
	double r = 9;

	assert_false(proc_headroom_ratio(p, MLA_LOCKED_VM, PAGE, &r));
	p->limit_known = true;
	p->limit_soft = 256 * 1024;
	assert_true(proc_headroom_ratio(p, MLA_LOCKED_VM, PAGE, &r));
	assert_true(r == 0.75);
	assert_true(proc_headroom_ratio(p, MLA_PINNED_VM, PAGE, &r));
	assert_true(r == 1);
	p->limit_soft = 32 * 1024; /* over it: held twice the limit */
	assert_true(proc_headroom_ratio(p, MLA_LOCKED_VM, PAGE, &r));
	assert_true(r == -1);
	p->limit_soft = 0;
	assert_true(proc_headroom_ratio(p, MLA_LOCKED_VM, PAGE, &r));
	assert_true(r == -1);
	assert_true(proc_headroom_ratio(p, MLA_PINNED_VM, PAGE, &r));
	assert_true(r == 0);
	p->limit_soft = UINT64_MAX;
	assert_false(proc_headroom_ratio(p, MLA_LOCKED_VM, PAGE, &r));
	p->limit_soft = 256 * 1024;
	p->cap_known = p->cap_ipc_lock = true;
	assert_false(proc_headroom_ratio(p, MLA_LOCKED_VM, PAGE, &r));
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_contains),
		cmocka_unit_test(test_cgroup_v2_path),
		cmocka_unit_test(test_filter_by_cgroup),
		cmocka_unit_test(test_would_exceed),
		cmocka_unit_test(test_vm_limits),
		cmocka_unit_test(test_headroom_ratio),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
