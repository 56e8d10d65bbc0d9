// SPDX-License-Identifier: GPL-2.0
/* Parsers of outside input: /proc files, kallsyms, and output escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"
#include "ksyms.h"
#include "procfs.h"

static void test_status(void **state)
{
	const char *text = "Name:\tqemu\nTgid:\t812\nUid:\t107\t107\t107\t107\n"
			   "VmLck:\t   20480 kB\nVmPin:\t     512 kB\n";
	struct proc_status st;

	assert_int_equal(parse_status(text, &st), 0);
	assert_true(st.has_vm);
	assert_int_equal(st.vmlck_kib, 20480);
	assert_int_equal(st.vmpin_kib, 512);
	assert_int_equal(st.uid, 107);
	assert_int_equal(st.tgid, 812);
}

static void test_status_kthread_and_garbage(void **state)
{
	struct proc_status st;

	assert_int_equal(parse_status("Name:\tkworker/0:1\nTgid:\t9\n", &st), 0);
	assert_false(st.has_vm);
	assert_int_equal(parse_status("VmLck:\tlots kB\n", &st), -22);
	assert_int_equal(parse_status("", &st), 0);
}

/* comm is free text: "a) b (c" must not confuse the field count */
static void test_stat_starttime(void **state)
{
	const char *text = "123 (a) b (c) S 1 123 123 0 -1 4194560 100 0 0 0 "
			   "0 0 0 0 20 0 1 0 987654 1000000 100\n";
	uint64_t t;

	assert_int_equal(parse_stat_starttime(text, &t), 0);
	assert_int_equal(t, 987654);
	assert_int_equal(parse_stat_starttime("123 (x) S 1", &t), -22);
	assert_int_equal(parse_stat_starttime("no paren", &t), -22);
}

static void test_smaps_locked(void **state)
{
	const char *text =
		"7f0000000000-7f0000100000 rw-p 00000000 00:00 0\n"
		"Size:               1024 kB\n"
		"VmFlags: rd wr mr mw me lo ac sd\n"
		"7f0000100000-7f0000200000 rw-p 00000000 00:00 0\n"
		"VmFlags: rd wr mr mw me ac sd\n"
		"7f0000200000-7f0000201000 r--p 00000000 00:00 0 /lo lo\n"
		"Locked:                4 kB\n"
		"VmFlags: rd mr lo\n";
	struct mla_range *r;
	size_t n;

	assert_int_equal(parse_smaps_locked(text, &r, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].start, 0x7f0000000000ULL);
	assert_int_equal(r[0].end, 0x7f0000100000ULL);
	assert_int_equal(r[1].end - r[1].start, 4096);
	free(r);
	/* "lock" or "lox" are not the lo flag; a header out of order is ignored */
	assert_int_equal(parse_smaps_locked("VmFlags: lo\n1000-2000 r\n"
					    "VmFlags: lox\n", &r, &n), 0);
	assert_int_equal(n, 0);
	free(r);
}

/* a vfio-pci BAR mmap is "io pf" (VM_IO | VM_PFNMAP); RAM is neither */
static void test_smaps_device(void **state)
{
	const char *text =
		"7f0000000000-7f0000100000 rw-s 00000000 00:0e 12 /dev/vfio/0\n"
		"VmFlags: rd wr sh mr mw me ms io pf dd sd\n"
		"7f0000100000-7f0000200000 rw-p 00000000 00:00 0\n"
		"VmFlags: rd wr mr mw me lo ac sd\n"
		"7f0000200000-7f0000201000 rw-s 00000000 00:0e 12 /io pf\n"
		"VmFlags: rd wr sh pf\n"
		"7f0000300000-7f0000301000 rw-s 00000000 00:0e 12\n"
		"VmFlags: rd wr sh io\n"
		"7f0000400000-7f0000401000 rw-s 00000000 00:0e 12\n"
		"VmFlags: rd wr iox pfn\n";
	struct mla_range *r;
	size_t n;

	assert_int_equal(parse_smaps_device(text, &r, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].start, 0x7f0000000000ULL);
	assert_int_equal(r[0].end, 0x7f0000100000ULL);
	assert_int_equal(r[1].start, 0x7f0000200000ULL);
	assert_int_equal(r[2].start, 0x7f0000300000ULL);
	free(r);
	/* and the lo parser takes none of them but the RAM */
	assert_int_equal(parse_smaps_locked(text, &r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].start, 0x7f0000100000ULL);
	free(r);
}

static void test_limits(void **state)
{
	const char *text =
		"Limit                     Soft Limit           Hard Limit"
		"           Units     \n"
		"Max locked memory         65536                unlimited"
		"            bytes     \n";
	uint64_t soft, hard;

	assert_int_equal(parse_limits_memlock(text, &soft, &hard), 0);
	assert_int_equal(soft, 65536);
	assert_true(hard == UINT64_MAX);
	assert_int_equal(parse_limits_memlock("Max locked memory  x", &soft,
					      &hard), -22);
	assert_int_equal(parse_limits_memlock("nothing", &soft, &hard), -2);
}

static void test_ksyms_suffix_and_exact(void **state)
{
	const char *text =
		"ffffffffc0a01000 t vfio_lock_acct.part.0\t[vfio_iommu_type1]\n"
		"ffffffffc0a02000 t mm_lock_acct\t[vfio_iommu_type1]\n"
		"ffffffff81200000 T __account_locked_vm.cold\n"
		"ffffffff81200100 T __account_locked_vm\n"
		"ffffffff81200200 T __account_locked_vm_other\n"
		"ffffffff81300000 d not_text\n";
	struct ksym_query q[] = {
		{ .name = "vfio_lock_acct" },
		{ .name = "__account_locked_vm" },
		{ .name = "not_text" },
		{ .name = "missing" },
	};

	ksyms_parse(text, q, 4);
	assert_string_equal(q[0].found, "vfio_lock_acct.part.0");
	assert_string_equal(q[0].module, "vfio_iommu_type1");
	assert_false(q[0].exact);
	assert_string_equal(q[1].found, "__account_locked_vm");
	assert_true(q[1].exact);
	assert_string_equal(q[1].module, "");
	assert_string_equal(q[2].found, "");
	assert_string_equal(q[3].found, "");
}

static void test_escape(void **state)
{
	char out[128];

	assert_string_equal(escape_text("qemu-kvm", out, sizeof(out)),
			    "qemu-kvm");
	/* a terminal escape, a newline, a tab, a backslash */
	assert_string_equal(escape_text("a\033[31mb\n\t\\", out, sizeof(out)),
			    "a\\x1b[31mb\\x0a\\x09\\\\");
	/* valid UTF-8 stays; invalid bytes and C1 controls are escaped */
	assert_string_equal(escape_text("caf\xc3\xa9", out, sizeof(out)),
			    "caf\xc3\xa9");
	assert_string_equal(escape_text("\xff\xc3(\xc2\x9b", out, sizeof(out)),
			    "\\xff\\xc3(\\xc2\\x9b");
	/* overlong encoding of '/' */
	assert_string_equal(escape_text("\xc0\xaf", out, sizeof(out)),
			    "\\xc0\\xaf");
	/* truncation never splits an escape */
	assert_string_equal(escape_text("\033\033", out, 6), "\\x1b");
	assert_string_equal(escape_prom_label("a\"b\\", out, sizeof(out)),
			    "a\\\"b\\\\\\\\");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_kthread_and_garbage),
		cmocka_unit_test(test_stat_starttime),
		cmocka_unit_test(test_smaps_locked),
		cmocka_unit_test(test_smaps_device),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_ksyms_suffix_and_exact),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests_name("parsers", tests, NULL, NULL);
}
