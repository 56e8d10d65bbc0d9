// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark workloads; each prints one JSON line with ns per operation.
 *
 *   workload mlock ITERS       mlock and munlock one page, in a loop
 *   workload churn ITERS       what a malloc-heavy service does that locks
 *                              nothing: mmap/touch/munmap 64 KiB, and brk
 *                              up and down
 *   workload burst THREADS SECONDS
 *                              mlock/munlock from THREADS threads for
 *                              SECONDS; counts the changes made
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *page_alloc(size_t len)
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

static int bench_mlock(long iters)
{
	char *p = page_alloc(4096);
	double t0 = now(), t;

	for (long i = 0; i < iters; i++) {
		if (mlock(p, 4096) || munlock(p, 4096)) {
			perror("mlock");
			return 1;
		}
	}
	t = now() - t0;
	printf("{\"workload\":\"mlock\",\"ops\":%ld,\"ns_per_op\":%.1f}\n",
	       iters, t * 1e9 / iters);
	return 0;
}

static int bench_churn(long iters)
{
	double t0 = now(), t;

	for (long i = 0; i < iters; i++) {
		char *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 1;
		p[0] = p[32768] = 1;
		munmap(p, 65536);
		if (sbrk(8192) == (void *)-1 || sbrk(-8192) == (void *)-1)
			return 1;
	}
	t = now() - t0;
	printf("{\"workload\":\"churn\",\"ops\":%ld,\"ns_per_op\":%.1f}\n",
	       iters, t * 1e9 / iters);
	return 0;
}

static atomic_long changes;
static double deadline;

static void *burst_thread(void *arg)
{
	char *p = page_alloc(4096);
	long n = 0;

	while (now() < deadline) {
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
	double t0 = now();

	if (threads < 1 || threads > 64)
		return 1;
	deadline = t0 + seconds;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, burst_thread, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("{\"workload\":\"burst\",\"threads\":%d,\"changes\":%ld,"
	       "\"changes_per_s\":%.0f}\n",
	       threads, (long)changes, changes / (now() - t0));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "mlock"))
		return bench_mlock(atol(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "churn"))
		return bench_churn(atol(argv[2]));
	if (argc >= 4 && !strcmp(argv[1], "burst"))
		return bench_burst(atoi(argv[2]), atof(argv[3]));
	fprintf(stderr, "usage: workload mlock|churn ITERS | burst THREADS SECONDS\n");
	return 2;
}
