// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark workloads; each prints one JSON line with ns per operation.
 *
 *   workload mlock ITERS       mlock and munlock one page, in a loop
 *   workload churn ITERS       what a malloc-heavy service does that locks
 *                              nothing: mmap/touch/munmap 64 KiB, and brk
 *                              up and down
 *   workload getppid ITERS     a system call none of the hooks is about
 *   workload burst THREADS SECONDS
 *                              mlock/munlock from THREADS threads for
 *                              SECONDS; counts the changes made
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "ops.h"

static int print_op(const char *name, long iters, double ns)
{
	printf("{\"workload\":\"%s\",\"ops\":%ld,\"ns_per_op\":%.1f}\n", name,
	       iters, ns);
	return 0;
}

static atomic_long changes;
static double deadline;

static void *burst_thread(void *arg)
{
	char *p = bench_pages(4096);
	long n = 0;

	while (bench_now() < deadline) {
		for (int i = 0; i < 256; i++)
			if (mlock(p, 4096) || munlock(p, 4096))
				exit(1);
		n += 512;
	}
	atomic_fetch_add(&changes, n);
	return NULL;
}

static int bench_burst(int threads, double seconds)
{
	pthread_t t[64];
	double t0 = bench_now();

	if (threads < 1 || threads > 64)
		return 1;
	deadline = t0 + seconds;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, burst_thread, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("{\"workload\":\"burst\",\"threads\":%d,\"changes\":%ld,"
	       "\"changes_per_s\":%.0f}\n",
	       threads, (long)changes, changes / (bench_now() - t0));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "mlock"))
		return print_op("mlock", atol(argv[2]),
				op_mlock(atol(argv[2])));
	if (argc >= 3 && !strcmp(argv[1], "churn"))
		return print_op("churn", atol(argv[2]),
				op_churn(atol(argv[2])));
	if (argc >= 3 && !strcmp(argv[1], "getppid"))
		return print_op("getppid", atol(argv[2]),
				op_getppid(atol(argv[2])));
	if (argc >= 4 && !strcmp(argv[1], "burst"))
		return bench_burst(atoi(argv[2]), atof(argv[3]));
	fprintf(stderr,
		"usage: workload mlock|churn|getppid ITERS | burst THREADS SECONDS\n");
	return 2;
}
