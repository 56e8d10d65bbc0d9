// SPDX-License-Identifier: GPL-2.0
/*
 * The live test's workload: every way a process changes mm->locked_vm
 * without special hardware, one step each (see tests/lib/scenario.h).
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "../lib/scenario.h"

static char *g_map; /* results of steps, for the next ones */
static char *g_moved;

static int do_mmap_locked(void)
{
	g_map = mmap(NULL, 1 * MIB, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	return g_map == MAP_FAILED ? -errno : 0;
}

static int do_mremap_grow(char *area)
{
	g_moved = mremap(area, 256 * KIB, 512 * KIB, MREMAP_MAYMOVE);
	return g_moved == MAP_FAILED ? -errno : 0;
}

static int do_mremap_move(char *area, char *target)
{
	void *p = mremap(area, 512 * KIB, 512 * KIB,
			 MREMAP_MAYMOVE | MREMAP_FIXED, target);

	return p == MAP_FAILED ? -errno : 0;
}

static int do_fork_child(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *buf = map_anon(64 * KIB, 0);

		STEP("child_mlock", "mlock", rc(mlock(buf, 64 * KIB)));
		_exit(0); /* exits holding 64 KiB locked */
	}
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? 0 : -ECHILD;
}

static int after_exec(void)
{
	char *buf = map_anon(128 * KIB, 0);

	STEP("exec_done", "none", 0);
	STEP("mlock_after_exec", "mlock", rc(mlock(buf, 128 * KIB)));
	return 0; /* exit holding 128 KiB */
}

/*
 * For report's aggregate mode: mlock changes that it does not send (all
 * but the first), whose ranges it must read from smaps; held until killed.
 * @wait: after the first step, wait for a line on stdin (a process that
 * held memory before the tool started, and changes it after).
 */
static int hold(bool wait)
{
	char *a = map_anon(1 * MIB, 0);
	char line[16];

	STEP("hold_mlock", "mlock", rc(mlock(a, 1 * MIB)));
	if (wait) {
		printf("waiting\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 2;
	}
	STEP("hold_munlock", "mlock", rc(munlock(a + 256 * KIB, 512 * KIB)));
	/* [0, 256 KiB) and [512 KiB, 1 MiB) */
	step_note("\"unique_locked_kib\":768,\"mlock_and_vfio_kib\":0");
	STEP("hold_mlock_again", "mlock", rc(mlock(a + 512 * KIB, 256 * KIB)));
	printf("holding\n");
	fflush(stdout);
	pause(); /* until the test kills it */
	return 0;
}

int main(int argc, char **argv)
{
	char *a, *b, *c, *target;
	void *brk0;

	if (argc > 1 && !strcmp(argv[1], "--after-exec"))
		return after_exec();
	if (argc > 1 && !strcmp(argv[1], "--hold"))
		return hold(argc > 2 && !strcmp(argv[2], "--wait"));

	a = map_anon(1 * MIB, 0);
	/* a reserved place for mremap to move to: MREMAP_FIXED replaces it */
	target = mmap(NULL, 2 * MIB, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (target == MAP_FAILED)
		return 2;
	brk0 = sbrk(0);

	STEP("start", "none", 0);
	STEP("mlock", "mlock", rc(mlock(a, 1 * MIB)));
	STEP("munlock", "mlock", rc(munlock(a, 1 * MIB)));
	STEP("mlock2_onfault", "mlock",
	     rc(syscall(SYS_mlock2, a, 1 * MIB, 1 /* MLOCK_ONFAULT */)));
	STEP("munlock_onfault", "mlock", rc(munlock(a, 1 * MIB)));
	STEP("mlockall", "mlock", rc(mlockall(MCL_CURRENT | MCL_FUTURE)));
	STEP("mmap_after_mlockall", "mlock",
	     (b = mmap(NULL, 512 * KIB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED ?
		     -errno : 0);
	STEP("brk_after_mlockall", "mlock",
	     sbrk(256 * KIB) == (void *)-1 ? -errno : 0);
	STEP("brk_shrink", "mlock", brk(brk0) ? -errno : 0);
	STEP("munlockall", "mlock", rc(munlockall()));
	STEP("mmap_locked", "mlock", do_mmap_locked());
	STEP("munmap_partial", "mlock",
	     rc(munmap(g_map + 256 * KIB, 256 * KIB)));
	STEP("mmap_locked_small", "mlock",
	     (c = mmap(NULL, 256 * KIB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0)) ==
			     MAP_FAILED ?
		     -errno :
		     0);
	STEP("mremap_grow", "mlock", do_mremap_grow(c));
	STEP("mremap_move", "mlock", do_mremap_move(g_moved, target));
	STEP("fork", "none", do_fork_child());
	(void)b;
	/* exec drops the old mm; the new image continues in after_exec() */
	{
		struct counters before = read_counters();
		unsigned long long t0 = now_ns();

		emit("exec", "mlock", before, before, t0, t0, 0);
	}
	execl("/proc/self/exe", argv[0], "--after-exec", (char *)NULL);
	perror("exec");
	return 1;
}
