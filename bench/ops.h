/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The operations the benchmarks time, shared by workload.c (one process
 * per configuration) and hookcost.c (every configuration in one process).
 * Each runs @iters of its operation and returns the ns one took.
 */
#ifndef MLA_BENCH_OPS_H
#define MLA_BENCH_OPS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void *bench_pages(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(p, 1, len);
	return p;
}

/* 1: mlock and munlock one page, the tool's own hot path */
static inline double op_mlock(long iters)
{
	static char *p;
	double t0;

	if (!p)
		p = bench_pages(4096);
	t0 = bench_now();
	for (long i = 0; i < iters; i++) {
		if (mlock(p, 4096) || munlock(p, 4096)) {
			perror("mlock");
			exit(1);
		}
	}
	return (bench_now() - t0) * 1e9 / iters;
}

/*
 * 2: what a malloc-heavy service that locks nothing does: mmap, touch and
 * munmap 64 KiB, and brk up and down
 */
static inline double op_churn(long iters)
{
	double t0 = bench_now();

	for (long i = 0; i < iters; i++) {
		char *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
		p[0] = p[32768] = 1;
		munmap(p, 65536);
		if (sbrk(8192) == (void *)-1 || sbrk(-8192) == (void *)-1) {
			perror("sbrk");
			exit(1);
		}
	}
	return (bench_now() - t0) * 1e9 / iters;
}

/*
 * The cheapest system call, none of whose exits is hooked: what a hooked
 * exit anywhere costs every other system call on the host
 */
static inline double op_getppid(long iters)
{
	double t0 = bench_now();

	for (long i = 0; i < iters; i++)
		syscall(SYS_getppid);
	return (bench_now() - t0) * 1e9 / iters;
}

#endif /* MLA_BENCH_OPS_H */
