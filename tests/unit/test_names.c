// SPDX-License-Identifier: GPL-2.0
/*
 * The names generated from memlockacct.h's and syscall_nrs.h's lists: each
 * one found back, and every source in the man page's SOURCE entry.
 */
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include <linux/types.h>
#include "memlockacct.h"
#include "names.h"
#include "syscall_nrs.h"

static char man_path[4096];

static void test_sources(void **state)
{
	for (unsigned int s = 0; s < MLA_NR_SOURCES; s++)
		assert_int_equal(source_by_name(source_name(s)), s);
	assert_string_equal(source_name(MLA_SRC_IO_URING), "io_uring");
	assert_string_equal(source_name(MLA_NR_SOURCES), "other");
}

static void test_kfuncs(void **state)
{
	char buf[64];

	for (unsigned int a = 0; a < MLA_NR_KFUNCS; a++)
		for (unsigned int b = a + 1; b < MLA_NR_KFUNCS; b++)
			assert_string_not_equal(kfunc_name(a), kfunc_name(b));
	cause_str(MLA_CAUSE_KFUNC, MLA_KF_VFIO_PIN_REMOTE, 0, buf, sizeof(buf));
	assert_string_equal(buf, "vfio_pin_pages_remote");
}

/* an ioctl is named by its type and nr, whatever its size and direction */
static void test_ioctls(void **state)
{
	char buf[64];

	assert_int_equal(MLA_VFIO_IOMMU_MAP_DMA, 0x3b71);
	assert_int_equal(MLA_RDMA_VERBS_IOCTL, 0x1b01);
	cause_str(MLA_CAUSE_SYSCALL, SYS_ioctl, 0xc0183b71, buf, sizeof(buf));
	assert_string_equal(buf, "VFIO_IOMMU_MAP_DMA");
	cause_str(MLA_CAUSE_SYSCALL, SYS_ioctl, MLA_IOMMU_IOAS_MAP, buf,
		  sizeof(buf));
	assert_string_equal(buf, "IOMMU_IOAS_MAP");
	cause_str(MLA_CAUSE_SYSCALL, SYS_ioctl, 0x3b70, buf, sizeof(buf));
	assert_string_equal(buf, "ioctl(0x3b70)");
	cause_str(MLA_CAUSE_SYSCALL, SYS_shmctl, MLA_SHM_UNLOCK, buf,
		  sizeof(buf));
	assert_string_equal(buf, "SHM_UNLOCK");
}

/* The man page's SOURCE entry: from ".B SOURCE" to the next ".TP". */
static void test_man_lists_sources(void **state)
{
	FILE *f = fopen(man_path, "r");
	char line[512], entry[2048] = "";
	bool in = false;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strcmp(line, ".B SOURCE\n"))
			in = true;
		else if (in && !strncmp(line, ".TP", 3))
			break;
		else if (in) {
			line[strcspn(line, "\n")] =
				' '; /* lines join as words */
			strncat(entry, line, sizeof(entry) - strlen(entry) - 1);
		}
	}
	fclose(f);
	assert_true(in);
	for (unsigned int s = 0; s < MLA_NR_SOURCES; s++) {
		const char *name = source_name(s), *at = entry;
		size_t len = strlen(name);

		/* as a whole word: " mlock," or " other;", not " vfio_x" */
		while ((at = strstr(at, name)) &&
		       (at == entry || at[-1] != ' ' ||
			!strchr(",; ", at[len])))
			at++;
		assert_non_null(at);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_kfuncs),
		cmocka_unit_test(test_ioctls),
		cmocka_unit_test(test_man_lists_sources),
	};
	char self[4096];

	/* run from anywhere: the binary is .output/tests/test_names */
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(man_path, sizeof(man_path), "%s/../../man/memlockacct.8",
		 dirname(self));
	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
