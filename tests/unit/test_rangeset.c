// SPDX-License-Identifier: GPL-2.0
/* The interval structure and the overlap arithmetic. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "rangeset.h"

#define K 4096ULL
#define M (1024 * K)

struct collected {
	struct mla_range r[16];
	int n;
};

static void collect(uint64_t s, uint64_t e, void *arg)
{
	struct collected *c = arg;

	if (c->n < 16)
		c->r[c->n++] = (struct mla_range){ s, e };
}

static void expect(const struct rangeset *rs, int n, const uint64_t *v)
{
	struct collected c = { .n = 0 };
	uint64_t bytes = 0;

	rangeset_foreach(rs, collect, &c);
	assert_int_equal(c.n, n);
	assert_int_equal(rangeset_count(rs), n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(c.r[i].start, v[2 * i]);
		assert_int_equal(c.r[i].end, v[2 * i + 1]);
		bytes += v[2 * i + 1] - v[2 * i];
	}
	assert_int_equal(rangeset_bytes(rs), bytes);
}

static void test_add_merges(void **state)
{
	struct rangeset *rs = rangeset_new();

	rangeset_add(rs, 10 * K, 20 * K);
	rangeset_add(rs, 30 * K, 40 * K);
	expect(rs, 2, (uint64_t[]){ 10 * K, 20 * K, 30 * K, 40 * K });
	rangeset_add(rs, 15 * K, 35 * K); /* bridges both */
	expect(rs, 1, (uint64_t[]){ 10 * K, 40 * K });
	rangeset_add(rs, 40 * K, 50 * K); /* touching: one range */
	rangeset_add(rs, 0, 10 * K);
	expect(rs, 1, (uint64_t[]){ 0, 50 * K });
	rangeset_add(rs, 20 * K, 30 * K); /* inside: nothing changes */
	expect(rs, 1, (uint64_t[]){ 0, 50 * K });
	rangeset_free(rs);
}

/* munlock or munmap of the middle of a locked area splits it */
static void test_remove_splits(void **state)
{
	struct rangeset *rs = rangeset_new();

	rangeset_add(rs, 0, 1 * M);
	rangeset_remove(rs, 256 * 1024, 512 * 1024);
	expect(rs, 2, (uint64_t[]){ 0, 256 * 1024, 512 * 1024, 1 * M });
	rangeset_remove(rs, 0, 64 * 1024); /* the head */
	rangeset_remove(rs, 768 * 1024, 2 * M); /* the tail and beyond */
	expect(rs, 2, (uint64_t[]){ 64 * 1024, 256 * 1024, 512 * 1024,
				    768 * 1024 });
	rangeset_remove(rs, 0, 4 * M);
	expect(rs, 0, NULL);
	rangeset_remove(rs, 0, 4 * M); /* from nothing: nothing */
	rangeset_free(rs);
}

/* mremap moving a locked area: out of the old place, into the new */
static void test_mremap_move(void **state)
{
	struct rangeset *rs = rangeset_new();

	rangeset_add(rs, 100 * K, 164 * K);
	assert_int_equal(rangeset_overlap(rs, 100 * K, 164 * K), 64 * K);
	rangeset_remove(rs, 100 * K, 164 * K);
	rangeset_add(rs, 900 * K, 1028 * K); /* grown to 128 pages */
	expect(rs, 1, (uint64_t[]){ 900 * K, 1028 * K });
	assert_int_equal(rangeset_overlap(rs, 0, 950 * K), 50 * K);
	assert_int_equal(rangeset_overlap(rs, 1000 * K, 2000 * K), 28 * K);
	rangeset_free(rs);
}

/* mlock 8 MiB, map 12 MiB overlapping 4 MiB of it */
static void test_overlap_mlock_vfio(void **state)
{
	struct rangeset *locked = rangeset_new();
	struct mla_range v[] = { { 4 * M, 16 * M } };
	struct overlap_figures f;

	rangeset_add(locked, 0, 8 * M);
	overlap_compute(locked, v, 1, NULL, &f);
	assert_int_equal(f.mlock_vfio, 4 * M);
	assert_int_equal(f.vfio_vfio, 0);
	assert_int_equal(f.unique_locked, 16 * M);
	assert_int_equal(f.max_multiplicity, 1);
	rangeset_free(locked);
}

/* one buffer mapped 3 times, partly mlocked, partly pinned */
static void test_overlap_multiplicity(void **state)
{
	struct rangeset *locked = rangeset_new(), *pinned = rangeset_new();
	struct mla_range v[] = { { 0, 4 * M }, { 0, 4 * M }, { 2 * M, 6 * M } };
	struct overlap_figures f;

	rangeset_add(locked, 3 * M, 5 * M);
	rangeset_add(pinned, 5 * M, 10 * M);
	overlap_compute(locked, v, 3, pinned, &f);
	/* [0,2): x2, [2,4): x3, [4,6): x1 */
	assert_int_equal(f.vfio_vfio, 2 * M * 1 + 2 * M * 2);
	assert_int_equal(f.max_multiplicity, 3);
	/* mlocked [3,5): [3,4) under 3 maps, [4,5) under 1 */
	assert_int_equal(f.mlock_vfio, 1 * M * 3 + 1 * M * 1);
	/* locked (mlock or vfio) [0,6) meets pinned [5,10) on [5,6) */
	assert_int_equal(f.locked_pinned, 1 * M);
	assert_int_equal(f.unique_locked, 6 * M);
	rangeset_free(locked);
	rangeset_free(pinned);
}

/* A VM with 65535 DMA mappings, and as many locked ranges: stays fast. */
static void test_many_mappings(void **state)
{
	enum { N = 65535 };
	struct rangeset *locked = rangeset_new();
	struct mla_range *v = calloc(N, sizeof(*v));
	struct overlap_figures f;
	struct timespec a, b;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (uint64_t i = 0; i < N; i++) {
		v[i] = (struct mla_range){ i * 2 * K, i * 2 * K + K };
		rangeset_add(locked, i * 2 * K, i * 2 * K + K / 2);
	}
	for (uint64_t i = 0; i < N; i += 2) /* unlock every other one */
		rangeset_remove(locked, i * 2 * K, i * 2 * K + K);
	overlap_compute(locked, v, N, NULL, &f);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	assert_int_equal(rangeset_count(locked), N / 2);
	assert_int_equal(f.mlock_vfio, (N / 2) * (K / 2));
	assert_int_equal(f.unique_locked, N * K);
	/* a figure for the log; speed is measured in the benchmarks */
	print_message("65535 mappings: %.1f ms\n", ms);
	free(v);
	rangeset_free(locked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_merges),
		cmocka_unit_test(test_remove_splits),
		cmocka_unit_test(test_mremap_move),
		cmocka_unit_test(test_overlap_mlock_vfio),
		cmocka_unit_test(test_overlap_multiplicity),
		cmocka_unit_test(test_many_mappings),
	};

	return cmocka_run_group_tests_name("rangeset", tests, NULL, NULL);
}
