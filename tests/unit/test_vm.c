// SPDX-License-Identifier: GPL-2.0
/* VM recognition and libvirt's memlock formula. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vm.h"

#define GIB (1024ULL * 1024) /* in KiB */

/* A cmdline as /proc/PID/cmdline has it: NUL after every argument. */
static bool parse(const char *spaced, struct vm_info *vm)
{
	static char buf[1024];
	size_t n = strlen(spaced);

	memcpy(buf, spaced, n + 1);
	for (size_t i = 0; i < n; i++)
		if (buf[i] == ' ')
			buf[i] = '\0';
	return vm_parse_cmdline(buf, n + 1, vm);
}

static void test_qemu_cmdline(void **state)
{
	struct vm_info vm;

	assert_true(parse("/usr/bin/qemu-system-x86_64 -machine q35 -name "
			  "guest=vm1,debug-threads=on -m 512 -device "
			  "vfio-pci,host=0000:00:02.0 -device intel-iommu",
			  &vm));
	assert_int_equal(vm.vmm, VMM_QEMU);
	assert_string_equal(vm.name, "vm1");
	assert_int_equal(vm.ram_kib, 512 * 1024);
	assert_int_equal(vm.nvfio, 1);
	assert_true(vm.viommu);
	assert_string_equal(vm.uuid, "");
	/* libvirt's: -uuid; only a UUID's shape is taken */
	assert_true(parse("qemu-system-x86_64 -name guest=vm1 -uuid "
			  "7a3f0c52-9d1e-4b8a-a2c4-5e6f70819203 -m 1G",
			  &vm));
	assert_string_equal(vm.uuid, "7a3f0c52-9d1e-4b8a-a2c4-5e6f70819203");
	assert_true(parse("qemu-system-x86_64 -uuid 7a3f0c52\"9d1e-4b8a-a2c4-"
			  "5e6f70819203",
			  &vm));
	assert_string_equal(vm.uuid, "");
	assert_true(parse("qemu-system-x86_64 -uuid 7a3f0c52-9d1e-4b8a-a2c4-"
			  "5e6f708192031",
			  &vm));
	assert_string_equal(vm.uuid, "");
	assert_true(parse("qemu-kvm -name web -m size=4G,slots=4,maxmem=8G "
			  "-overcommit mem-lock=on", &vm));
	assert_string_equal(vm.name, "web");
	assert_int_equal(vm.ram_kib, 4 * GIB);
	assert_true(vm.mem_locked);
	assert_false(parse("/usr/sbin/sshd -D", &vm));
	/* a truncated last argument (no NUL) is dropped, not overrun */
	assert_true(vm_parse_cmdline("qemu-system-x86_64\0-name", 24, &vm));
	assert_string_equal(vm.name, "");
}

static void test_other_vmms(void **state)
{
	struct vm_info vm;

	assert_true(parse("cloud-hypervisor --memory size=4G --device "
			  "path=/sys/bus/pci/devices/0000:01:00.0/ --device "
			  "path=/sys/bus/pci/devices/0000:02:00.0/", &vm));
	assert_int_equal(vm.vmm, VMM_CLOUD_HYPERVISOR);
	assert_int_equal(vm.ram_kib, 4 * GIB);
	assert_int_equal(vm.nvfio, 2);
	assert_true(parse("crosvm run --mem 2048 --vfio /sys/x", &vm));
	assert_int_equal(vm.ram_kib, 2 * GIB);
	assert_int_equal(vm.nvfio, 1);
}

static void test_libvirt_scope(void **state)
{
	char name[64];

	assert_true(vm_name_from_cgroup(
		"0::/machine.slice/machine-qemu\\x2d3\\x2dvm\\x2dweb.scope/libvirt/emulator\n",
		name, sizeof(name)));
	assert_string_equal(name, "vm-web");
	assert_false(vm_name_from_cgroup("0::/user.slice/session-1.scope",
					 name, sizeof(name)));
}

/* libvirt's qemumemlocktest-like cases, for a 1 GiB guest */
static void test_libvirt_formula(void **state)
{
	struct {
		unsigned int nvfio, nnvme, nvdpa;
		bool viommu, locked;
		uint64_t want;
	} cases[] = {
		{ 0, 0, 0, false, false, 0 },		/* nothing to lock */
		{ 1, 0, 0, false, false, 2 * GIB },	/* pc-hostdev */
		{ 2, 0, 0, false, false, 2 * GIB },	/* shared w/o vIOMMU */
		{ 2, 0, 0, true, false, 3 * GIB },	/* each, with a vIOMMU */
		{ 1, 1, 0, false, false, 3 * GIB },	/* hostdev + NVMe */
		{ 0, 0, 1, false, false, 2 * GIB },	/* vDPA */
		{ 1, 0, 0, false, true, UINT64_MAX },	/* <locked/> */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_info vm = {
			.ram_kib = GIB, .nvfio = cases[i].nvfio,
			.nnvme = cases[i].nnvme, .nvdpa = cases[i].nvdpa,
			.viommu = cases[i].viommu,
			.mem_locked = cases[i].locked,
		};

		assert_int_equal(libvirt_memlock_kib(&vm, 0), cases[i].want);
	}
	/* one more device hotplugged behind a vIOMMU: one more guest RAM */
	{
		struct vm_info vm = { .ram_kib = GIB, .nvfio = 1, .viommu = true };

		assert_int_equal(libvirt_memlock_kib(&vm, 1), 3 * GIB);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_cmdline),
		cmocka_unit_test(test_other_vmms),
		cmocka_unit_test(test_libvirt_scope),
		cmocka_unit_test(test_libvirt_formula),
	};

	return cmocka_run_group_tests_name("vm", tests, NULL, NULL);
}
