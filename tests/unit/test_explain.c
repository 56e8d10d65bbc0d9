// SPDX-License-Identifier: GPL-2.0
/* Explanations of refused charges: the check, memlock or not, the fix. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "explain.h"
#include "syscall_nrs.h"

static struct mla_event failure(unsigned int cause, unsigned int nr,
				int counter, int ret, uint64_t held,
				uint64_t asked, uint64_t limit_bytes)
{
	struct mla_event e = {
		.type = MLA_EV_FAILURE, .cause = cause, .nr = nr,
		.counter = counter, .ret = ret, .value = held,
		.request = asked, .limit_cur = limit_bytes,
		.flags = MLA_F_HAS_LIMIT,
	};

	return e;
}

/* VFIO MAP_DMA of 1 GiB over a 64 KiB limit with 16 KiB mlocked */
static void test_vfio_precheck(void **state)
{
	struct mla_event e = failure(MLA_CAUSE_KFUNC, MLA_KF_VFIO_PIN_REMOTE,
				     MLA_LOCKED_VM, -ENOMEM, 4, 262144, 65536);
	struct explanation x;

	explain_failure(&e, 0, 4096, &x);
	assert_string_equal(x.check, "vfio_pin_pages_remote");
	assert_true(x.memlock);
	assert_int_equal(x.counter_kib, 16);
	assert_int_equal(x.request_kib, 1048576);
	assert_int_equal(x.limit_kib, 64);
	assert_int_equal(x.suggested_kib, 1048592);
	assert_non_null(strstr(x.advice, "ulimit -l 1048592"));
	assert_non_null(strstr(x.advice, "LimitMEMLOCK=1073758208"));
	assert_non_null(strstr(x.advice, "<hard_limit unit='KiB'>1048592<"));
}

/* mlock of 1 MiB of which 32 KiB is locked already: only the rest counts */
static void test_mlock_overlap(void **state)
{
	struct mla_event e = failure(MLA_CAUSE_SYSCALL, MLA_NR_mlock,
				     MLA_LOCKED_VM, -ENOMEM, 8, 256, 65536);
	struct explanation x;

	explain_failure(&e, 8, 4096, &x);
	assert_string_equal(x.check, "do_mlock");
	assert_int_equal(x.suggested_kib, 1024);
	assert_true(x.memlock);
}

/* portable tier: SHM_LOCK refused, the segment's size not seen */
static void test_shm_size_unknown(void **state)
{
	struct mla_event e = failure(MLA_CAUSE_SYSCALL, MLA_NR_shmctl,
				     MLA_USER_SHM, -ENOMEM, 4, 0, 65536);
	struct explanation x;

	explain_failure(&e, 0, 4096, &x);
	assert_string_equal(x.check, "user_shm_lock");
	assert_true(x.memlock);
	assert_true(x.size_unknown);
	assert_true(x.per_user);
	assert_non_null(strstr(x.advice, "at least 16 KiB plus the segment"));
	/* with the size (precise tier): an exact limit */
	e.request = 256;
	explain_failure(&e, 0, 4096, &x);
	assert_false(x.size_unknown);
	assert_int_equal(x.suggested_kib, 1040);
}

static void test_look_alikes(void **state)
{
	struct mla_event e;
	struct explanation x;

	/* VFIO's dma_entry_limit */
	e = failure(MLA_CAUSE_SYSCALL, MLA_NR_ioctl, MLA_LOCKED_VM, -ENOSPC,
		    0, 1, 1 << 30);
	explain_failure(&e, 0, 4096, &x);
	assert_false(x.memlock);
	assert_string_equal(x.check, "vfio dma_entry_limit");
	/* ENOMEM within the limit: an unmapped range, not the limit */
	e = failure(MLA_CAUSE_SYSCALL, MLA_NR_mlock, MLA_LOCKED_VM, -ENOMEM,
		    8, 1, 65536);
	explain_failure(&e, 0, 4096, &x);
	assert_false(x.memlock);
	/* over the limit, but with CAP_IPC_LOCK: not the limit either */
	e = failure(MLA_CAUSE_SYSCALL, MLA_NR_mlock, MLA_LOCKED_VM, -ENOMEM,
		    800, 1, 65536);
	e.flags |= MLA_F_CAP_IPC_LOCK;
	explain_failure(&e, 0, 4096, &x);
	assert_false(x.memlock);
	assert_non_null(strstr(x.advice, "CAP_IPC_LOCK"));
}

static void test_zero_limit_and_per_user(void **state)
{
	struct mla_event e = failure(MLA_CAUSE_SYSCALL, MLA_NR_mlock,
				     MLA_LOCKED_VM, -EPERM, 0, 1, 0);
	struct explanation x;

	explain_failure(&e, 0, 4096, &x);
	assert_string_equal(x.check, "can_do_mlock");
	assert_true(x.memlock);
	assert_int_equal(x.suggested_kib, 4);
	e = failure(MLA_CAUSE_SYSCALL, MLA_NR_io_uring_register,
		    MLA_USER_LOCKED, -ENOMEM, 16, 256, 65536);
	explain_failure(&e, 0, 4096, &x);
	assert_true(x.per_user);
	assert_string_equal(x.check, "__io_account_mem");
	assert_non_null(strstr(x.advice, "other processes of the user"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vfio_precheck),
		cmocka_unit_test(test_mlock_overlap),
		cmocka_unit_test(test_look_alikes),
		cmocka_unit_test(test_shm_size_unknown),
		cmocka_unit_test(test_zero_limit_and_per_user),
	};

	return cmocka_run_group_tests_name("explain", tests, NULL, NULL);
}
