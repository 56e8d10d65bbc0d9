// SPDX-License-Identifier: GPL-2.0
/*
 * The per-user buckets and pinned_vm, one step line each
 * (tests/lib/scenario.h); `buckets SCENARIO`:
 *
 *   shm       SHM_LOCK and SHM_UNLOCK of a 1 MiB SysV segment
 *   io_uring  register and unregister a 1 MiB buffer, without CAP_IPC_LOCK
 *   io_uring_mlocked  mlock a 1 MiB buffer, register it, exit holding both:
 *             the same pages in locked_vm and in pinned_vm
 *   perf      mmap and munmap a perf ring buffer of 1 + 4 pages, charged
 *             to pinned_vm
 *   limit_setters  RLIMIT_MEMLOCK set by a parent (prlimit64), by the
 *             process itself (setrlimit), and a raise refused (EPERM)
 *   uring_hold KIB READY  as nobody, hold an io_uring buffer of KIB KiB
 *             (report --users' live and VM tests)
 *   uring_probe  as nobody under 1 MiB, with a ring like uring_hold's:
 *             the largest buffer the kernel lets it register now, which
 *             says what the user's bucket holds (report --users' VM test)
 *   refusals  without CAP_IPC_LOCK under a 64 KiB RLIMIT_MEMLOCK, one
 *             refusal of each kind the VFIO "limits" scenario does not
 *             make, each step stating the explanation it must get
 *
 * No /proc file shows user->locked_vm or the SHM_LOCK bucket, so those
 * steps state the change the kernel's rules give ("user_locked_delta_kib",
 * "user_shm_delta_kib"); VmLck and VmPin still come from /proc.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "../../lib/scenario.h"

static void die(const char *what)
{
	say("{\"error\":\"%s: %s\"}\n", what, strerror(errno));
	_exit(2);
}

static int shm(void)
{
	int id = shmget(IPC_PRIVATE, 1 * MIB, IPC_CREAT | 0600);

	if (id < 0)
		die("shmget");
	/* shmem_lock charges the whole segment to the user's bucket */
	step_note("\"user_shm_delta_kib\":1024");
	STEP("shm_lock", "shm", rc(shmctl(id, SHM_LOCK, NULL)));
	step_note("\"user_shm_delta_kib\":-1024");
	STEP("shm_unlock", "shm", rc(shmctl(id, SHM_UNLOCK, NULL)));
	shmctl(id, IPC_RMID, NULL);
	return 0;
}

static int drop_ipc_lock(void)
{
	return drop_cap(CAP_IPC_LOCK);
}

/*
 * Registered buffers are charged to pinned_vm always, and to the user's
 * locked_vm when the ring was made without CAP_IPC_LOCK.
 */
static int io_uring_child(void)
{
	/* enough for the buffer; lowering needs no CAP_SYS_RESOURCE */
	struct rlimit rl = { 8 * MIB, 8 * MIB };
	struct io_uring_params p = { 0 };
	char *buf = map_anon(1 * MIB, 0);
	struct iovec iov = { buf, 1 * MIB };
	int ring;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || drop_ipc_lock())
		die("limits");
	ring = syscall(__NR_io_uring_setup, 8, &p);
	if (ring < 0)
		die("io_uring_setup");
	step_note("\"user_locked_delta_kib\":1024");
	STEP("register_buffers", "io_uring",
	     rc(syscall(__NR_io_uring_register, ring,
			IORING_REGISTER_BUFFERS, &iov, 1)));
	step_note("\"user_locked_delta_kib\":-1024");
	STEP("unregister_buffers", "io_uring",
	     rc(syscall(__NR_io_uring_register, ring,
			IORING_UNREGISTER_BUFFERS, NULL, 0)));
	close(ring);
	return 0;
}

static int io_uring_mlocked(void)
{
	struct io_uring_params p = { 0 };
	char *buf = map_anon(1 * MIB, 0);
	struct iovec iov = { buf, 1 * MIB };
	int ring = syscall(__NR_io_uring_setup, 8, &p);

	if (ring < 0)
		die("io_uring_setup");
	STEP("mlock_buffer", "mlock", rc(mlock(buf, 1 * MIB)));
	step_note("\"locked_and_pinned_kib\":1024,\"unique_locked_kib\":1024");
	STEP("register_mlocked_buffer", "io_uring",
	     rc(syscall(__NR_io_uring_register, ring,
			IORING_REGISTER_BUFFERS, &iov, 1)));
	return 0;
}

/*
 * perf_mmap charges the user's locked_vm up to the per-user allowance
 * (perf_event_mlock_kb per CPU) and pinned_vm beyond it. With the allowance
 * at 0, the whole ring (1 + 4 pages) goes to pinned_vm, which /proc shows:
 * a figure checked against the kernel, not against our reading of it.
 */
static int perf(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_DUMMY,
		.disabled = 1,
	};
	const char *knob = "/proc/sys/kernel/perf_event_mlock_kb";
	char saved[32] = "516\n";
	long page = sysconf(_SC_PAGESIZE);
	size_t len = 5 * page;
	int fd = syscall(__NR_perf_event_open, &a, 0, -1, -1, 0), k;
	void *ring = MAP_FAILED;
	ssize_t n;

	if (fd < 0)
		die("perf_event_open");
	k = open(knob, O_RDWR);
	if (k < 0 || (n = read(k, saved, sizeof(saved) - 1)) <= 0 ||
	    pwrite(k, "0\n", 2, 0) != 2)
		die(knob);
	STEP("mmap_perf_ring", "perf",
	     (ring = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			  0)) == MAP_FAILED ? -errno : 0);
	STEP("munmap_perf_ring", "perf", rc(munmap(ring, len)));
	if (pwrite(k, saved, n, 0) != n)
		die(knob);
	close(k);
	close(fd);
	return 0;
}

/* An address with nothing mapped there. */
static char *hole(size_t len)
{
	char *p = map_anon(len, 0);

	munmap(p, len);
	return p;
}

static int ring_setup(void)
{
	struct io_uring_params p = { 0 };
	int ring = syscall(__NR_io_uring_setup, 8, &p);

	if (ring < 0)
		die("io_uring_setup");
	return ring;
}

/*
 * The expected explanation goes in each step's notes: errno, the check,
 * the counter and what it held, the request and the limit (KiB); the
 * checker adds the smallest limit that passes (held + request).
 */
static void expect(const char *err, const char *check, const char *counter,
		   long held_kib, long request_kib, long limit_kib, bool memlock)
{
	step_note("\"errno\":\"%s\",\"check\":\"%s\",\"counter\":\"%s\","
		  "\"counter_kib\":%ld,\"request_kib\":%ld,\"limit_kib\":%ld,"
		  "\"memlock\":%s", err, check, counter, held_kib, request_kib,
		  limit_kib, memlock ? "true" : "false");
}

static int refusals_child(void)
{
	struct rlimit zero = { 0, 64 * KIB }, rl = { 64 * KIB, 64 * KIB };
	char *small = map_anon(16 * KIB, 0), *big = map_anon(1 * MIB, 0);
	struct iovec iov = { big, 1 * MIB };
	const char *knob = "/proc/sys/kernel/perf_event_mlock_kb";
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_DUMMY,
		.disabled = 1,
	};
	long page = sysconf(_SC_PAGESIZE);
	char saved[32];
	int ring, shm_id, perf_fd, k;
	unsigned long brk0;
	ssize_t n;
	void *p;

	if (setrlimit(RLIMIT_MEMLOCK, &zero) || drop_ipc_lock())
		die("limits");
	/* limit 0: refused whatever the size */
	expect("EPERM", "can_do_mlock", "locked_vm", 0, 16, 0, true);
	STEP("mlock_at_limit_0", "mlock", rc(mlock(small, 16 * KIB)));
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		die("setrlimit");
	STEP("mlock_16k", "mlock", rc(mlock(small, 16 * KIB)));
	/* growing a locked area: the growth is what is asked */
	expect("EAGAIN", "mlock_future_ok", "locked_vm", 16, 1008, 64, true);
	p = hole(1 * MIB);
	STEP("mremap_locked_grow_refused", "mlock",
	     mremap(small, 16 * KIB, 1 * MIB, MREMAP_MAYMOVE | MREMAP_FIXED,
		    p) == MAP_FAILED ? -errno : 0);
	/* a look-alike: ENOMEM for a range not mapped, within the limit */
	expect("ENOMEM", "do_mlock", "locked_vm", 16, 8, 64, false);
	STEP("mlock_unmapped_enomem", "mlock", rc(mlock(hole(8 * KIB), 8 * KIB)));
	STEP("munlock_16k", "mlock", rc(munlock(small, 16 * KIB)));

	/* the user's SHM_LOCK bucket: nothing else of this user holds any */
	shm_id = shmget(IPC_PRIVATE, 1 * MIB, IPC_CREAT | 0600);
	if (shm_id < 0)
		die("shmget");
	expect("ENOMEM", "user_shm_lock", "user_shm_locked", 0, 1024, 64, true);
	STEP("shm_lock_refused", "shm", rc(shmctl(shm_id, SHM_LOCK, NULL)));
	shmctl(shm_id, IPC_RMID, NULL);

	/* the user's locked_vm, for a ring made without CAP_IPC_LOCK */
	ring = ring_setup();
	expect("ENOMEM", "__io_account_mem", "user_locked_vm", 0, 1024, 64, true);
	STEP("io_uring_register_refused", "io_uring",
	     rc(syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
			&iov, 1)));
	close(ring);

	/* perf: with no per-user allowance the ring (1 + 16 pages) is pinned */
	perf_fd = syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);
	k = open(knob, O_RDWR);
	if (perf_fd < 0 || k < 0 ||
	    (n = read(k, saved, sizeof(saved) - 1)) <= 0 ||
	    pwrite(k, "0\n", 2, 0) != 2)
		die("perf");
	expect("EPERM", "perf_mmap", "pinned_vm", 0, 17 * page / KIB, 64, true);
	STEP("perf_mmap_refused", "perf",
	     (p = mmap(NULL, 17 * page, PROT_READ | PROT_WRITE, MAP_SHARED,
		       perf_fd, 0)) == MAP_FAILED ? -errno : 0);
	if (p != MAP_FAILED)
		munmap(p, 17 * page);
	if (pwrite(k, saved, n, 0) != n)
		die(knob);
	close(k);
	close(perf_fd);

	/*
	 * Last: under mlockall(MCL_FUTURE) a brk that would pass the limit
	 * fails silently (the old break comes back); the tool says why.
	 */
	STEP("mlockall_future", "mlock", rc(mlockall(MCL_FUTURE)));
	brk0 = syscall(SYS_brk, 0);
	expect("EAGAIN", "mlock_future_ok", "locked_vm", 0, 1024, 64, true);
	STEP("brk_grow_refused", "mlock",
	     syscall(SYS_brk, brk0 + 1 * MIB) == (long)brk0 ? -EAGAIN : 0);
	STEP("munlockall", "mlock", rc(munlockall()));
	return 0;
}

/*
 * As uid 65534 (nobody, whose bucket nothing else on a test host charges)
 * under a 1 MiB RLIMIT_MEMLOCK: register a buffer of @kib KiB, create
 * @ready, and hold it until killed. report --users' live test.
 */
/* As nobody under a 1 MiB RLIMIT_MEMLOCK: a ring, the same for each. */
static int nobody_ring(void)
{
	struct rlimit rl = { 1 * MIB, 1 * MIB };
	struct io_uring_params p = { 0 };
	int ring;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) || setuid(65534))
		die("limits");
	ring = syscall(__NR_io_uring_setup, 8, &p);
	if (ring < 0)
		die("io_uring_setup");
	return ring;
}

static int uring_hold(long kib, const char *ready)
{
	char *buf = map_anon(kib * 1024, 0);
	struct iovec iov = { buf, kib * 1024 };
	int ring = nobody_ring();

	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov,
		    1))
		die("io_uring_register");
	wait_killed(ready);
}

/* Register (and unregister) one buffer of @pages pages: did it fit? */
static bool uring_fits(int ring, char *buf, long pages)
{
	struct iovec iov = { buf, pages * sysconf(_SC_PAGESIZE) };

	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov,
		    1))
		return false;
	if (syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS,
		    NULL, 0))
		die("io_uring_unregister");
	return true;
}

/*
 * The kernel's own answer to what nobody's user_locked_vm holds: under
 * the holders' 1 MiB limit, the largest buffer that registers is the
 * limit less the bucket (and this ring's own charge, as a holder's). A
 * bisection; a retry of the answer and of one page more must agree, so
 * a late uncharge cannot pass unseen.
 */
static int uring_probe(void)
{
	long page = sysconf(_SC_PAGESIZE), lo = 0, hi = MIB / page + 1;
	char *buf = map_anon(MIB + page, 0);
	int ring = nobody_ring();

	while (hi - lo > 1) { /* lo fits (0 always does), hi does not */
		long mid = (lo + hi) / 2;

		if (uring_fits(ring, buf, mid))
			lo = mid;
		else
			hi = mid;
	}
	say("{\"probe\":\"uring\",\"fits_kib\":%ld,\"again\":%s,"
	    "\"one_more_refused\":%s}\n",
	    lo * page / 1024,
	    !lo || uring_fits(ring, buf, lo) ? "true" : "false",
	    uring_fits(ring, buf, lo + 1) ? "false" : "true");
	return 0;
}

/* "SOFT HARD" of /proc/PID/limits' "Max locked memory", as it prints them */
static const char *proc_limits_memlock(pid_t pid)
{
	static char out[64];
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/limits", pid);
	f = fopen(path, "r");
	snprintf(out, sizeof(out), "?");
	while (f && fgets(line, sizeof(line), f)) {
		char soft[24], hard[24];

		if (!strncmp(line, "Max locked memory", 17) &&
		    sscanf(line + 17, "%23s %23s", soft, hard) == 2)
			snprintf(out, sizeof(out), "%s %s", soft, hard);
	}
	if (f)
		fclose(f);
	return out;
}

/* One line per set of RLIMIT_MEMLOCK: who, on whom, what, the result. */
static void limit_line(const char *name, pid_t by, pid_t pid,
		       unsigned long long soft, unsigned long long hard,
		       long ret, const struct rlimit *old)
{
	say("{\"limit_set\":\"%s\",\"by\":%d,\"pid\":%d,\"soft\":%llu,"
	    "\"hard\":%llu,\"ret\":%ld,\"old_soft\":%lld,\"old_hard\":%lld}\n",
	    name, by, pid, soft, hard, ret < 0 ? -errno : ret,
	    old ? (long long)old->rlim_cur : -1LL,
	    old ? (long long)old->rlim_max : -1LL);
}

/* The child: its own setrlimit, then one refused without CAP_SYS_RESOURCE. */
static int limits_child(int go)
{
	struct rlimit own = { 64 * 1024, 256 * 1024 };
	struct rlimit up = { 64 * 1024, 1 * MIB };
	char c, *buf;
	long r;

	if (read(go, &c, 1) != 1)
		die("pipe");
	r = syscall(SYS_setrlimit, RLIMIT_MEMLOCK, &own);
	limit_line("own", getpid(), getpid(), own.rlim_cur, own.rlim_max, r,
		   NULL);
	/* under the limit just set: a step the common checks measure */
	buf = map_anon(16 * 1024, 0);
	STEP("mlock_under_own_limit", "mlock", rc(mlock(buf, 16 * 1024)));
	STEP("munlock", "mlock", rc(munlock(buf, 16 * 1024)));
	if (drop_cap(CAP_SYS_RESOURCE))
		die("capset");
	r = syscall(SYS_setrlimit, RLIMIT_MEMLOCK, &up);
	limit_line("raise_refused", getpid(), getpid(), up.rlim_cur,
		   up.rlim_max, r, NULL);
	/* what the kernel holds now: /proc says it */
	say("{\"limits_now\":%d,\"proc_limits\":\"%s\"}\n", getpid(),
	    proc_limits_memlock(getpid()));
	return 0;
}

/*
 * Who set the limit: the parent sets its child's RLIMIT_MEMLOCK with
 * prlimit64 (as libvirt does QEMU's), the child sets its own, then fails
 * to raise the hard limit without CAP_SYS_RESOURCE (EPERM).
 */
static int limit_setters(void)
{
	struct rlimit set = { 128 * 1024, 256 * 1024 }, old;
	int go[2], st;
	pid_t child;
	long r;

	if (pipe(go))
		die("pipe");
	child = fork();
	if (child == 0)
		_exit(limits_child(go[0]));
	r = syscall(SYS_prlimit64, child, RLIMIT_MEMLOCK, &set, &old);
	limit_line("by_parent", getpid(), child, set.rlim_cur, set.rlim_max, r,
		   &old);
	if (write(go[1], "g", 1) != 1)
		die("pipe");
	waitpid(child, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "uring_hold") && argc == 4)
		return uring_hold(atol(argv[2]), argv[3]);
	if (!strcmp(what, "uring_probe"))
		return uring_probe();

	if (!strcmp(what, "shm"))
		return shm();
	if (!strcmp(what, "io_uring"))
		return in_child(io_uring_child);
	if (!strcmp(what, "io_uring_mlocked"))
		return io_uring_mlocked();
	if (!strcmp(what, "perf"))
		return perf();
	if (!strcmp(what, "refusals"))
		return in_child(refusals_child);
	if (!strcmp(what, "limit_setters"))
		return limit_setters();
	say("{\"error\":\"usage: buckets shm|io_uring|io_uring_mlocked|perf|"
	    "refusals|limit_setters|uring_hold KIB READY|uring_probe\"}\n");
	return 2;
}
