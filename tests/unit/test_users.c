// SPDX-License-Identifier: GPL-2.0
/* report --users: the per-user buckets and the processes that make them up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "users.h"

#define UID 1000
#define PAGE 4096
#define MIB (1024 * 1024ULL)

/* Process @tgid (mm @mm) charges @delta pages of @src to user UID. */
static void charge(struct mla_model *m, uint32_t tgid, uint64_t mm,
		   int source, int64_t delta, uint64_t value, uint64_t seq)
{
	struct mla_event e = {
		.type = MLA_EV_CHANGE,
		.mm_id = mm,
		.tgid = tgid,
		.cur_tgid = tgid,
		.start_ns = 1000 + tgid,
		.counter = MLA_USER_LOCKED,
		.source = source,
		.delta = delta,
		.value = value,
		.seq = seq,
		.uid = UID,
		.useq = seq,
	};

	strcpy(e.comm, "app");
	model_apply_event(m, &e);
}

static struct mla_proc *proc_of(struct mla_model *m, uint32_t tgid)
{
	struct mla_proc *p = model_proc(m, tgid, 1000 + tgid, false);

	assert_non_null(p);
	return p;
}

static void test_members_and_headroom(void **state)
{
	struct mla_model *m = model_new();
	struct proc_filter f = { 0 };
	struct user_group *g;
	struct mla_proc *small;
	int64_t head;
	size_t n;

	charge(m, 10, 1, MLA_SRC_IO_URING, 16, 16, 1); /* 64 KiB */
	charge(m, 11, 2, MLA_SRC_IO_URING, 32, 48, 2); /* 128 KiB */
	charge(m, 11, 2, MLA_SRC_PERF, 8, 56, 3);
	small = proc_of(m, 10);
	small->limit_known = true;
	small->limit_soft = 1 * MIB;
	small->limit_hard = 1 * MIB;
	g = user_groups(m, &f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].u->uid, UID);
	assert_int_equal(g[0].n, 2);
	/* largest first */
	assert_int_equal(g[0].members[0].p->tgid, 11);
	assert_int_equal(g[0].members[0].total[0], 40);
	assert_int_equal(g[0].members[0].share[0][MLA_SRC_PERF], 8);
	assert_int_equal(g[0].members[1].total[0], 16);
	assert_int_equal(g[0].unattributed[0], 0);
	/* its own limit less the whole bucket (56 pages), not its 16 */
	assert_true(user_member_headroom(&g[0], &g[0].members[1], 0, PAGE,
					 &head));
	assert_int_equal(head, (int64_t)(1 * MIB - 56 * PAGE));
	/* no limit known for the other: no headroom to tell */
	assert_false(user_member_headroom(&g[0], &g[0].members[0], 0, PAGE,
					  &head));
	user_groups_free(g, n);
	model_free(m);
}

static void test_exited_and_filtered(void **state)
{
	struct mla_model *m = model_new();
	struct proc_filter f = { .pid = 10 };
	struct user_group *g;
	size_t n;

	charge(m, 10, 1, MLA_SRC_IO_URING, 16, 16, 1);
	charge(m, 11, 2, MLA_SRC_IO_URING, 32, 48, 2);
	/* a pid filter shows its process; the other's share is still its */
	g = user_groups(m, &f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].n, 1);
	assert_int_equal(g[0].members[0].p->tgid, 10);
	assert_int_equal(g[0].unattributed[0], 0);
	user_groups_free(g, n);
	/* gone: what it held is no living process's */
	proc_of(m, 11)->exited = true;
	f.pid = 0;
	g = user_groups(m, &f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].n, 1);
	assert_int_equal(g[0].unattributed[0], 32);
	user_groups_free(g, n);
	/* a filter naming no process of the user shows no user */
	f.pid = 99;
	g = user_groups(m, &f, &n);
	assert_int_equal(n, 0);
	user_groups_free(g, n);
	model_free(m);
}

static void test_empty_bucket_hidden(void **state)
{
	struct mla_model *m = model_new();
	struct proc_filter f = { 0 };
	struct user_group *g;
	size_t n;

	charge(m, 10, 1, MLA_SRC_IO_URING, 16, 16, 1);
	charge(m, 10, 1, MLA_SRC_IO_URING, -16, 0, 2);
	proc_of(m, 10)->exited = true;
	g = user_groups(m, &f, &n);
	assert_int_equal(n, 0);
	user_groups_free(g, n);
	f.all = true; /* -a: also what holds nothing now */
	g = user_groups(m, &f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].n, 0);
	user_groups_free(g, n);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members_and_headroom),
		cmocka_unit_test(test_exited_and_filtered),
		cmocka_unit_test(test_empty_bucket_hidden),
	};

	return cmocka_run_group_tests_name("users", tests, NULL, NULL);
}
