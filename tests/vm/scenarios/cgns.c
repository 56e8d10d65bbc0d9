// SPDX-License-Identifier: GPL-2.0
/*
 * `cgns PROGRAM ARGS...`: PROGRAM in a cgroup namespace of its own, rooted
 * at the caller's cgroup, as a container runtime starts a pod's (busybox's
 * unshare has no --cgroup). For the cgroupns scenario.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: cgns PROGRAM [ARGS...]\n");
		return 2;
	}
	if (unshare(CLONE_NEWCGROUP)) {
		fprintf(stderr, "cgns: unshare(CLONE_NEWCGROUP): %s\n",
			strerror(errno));
		return 1;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "cgns: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
