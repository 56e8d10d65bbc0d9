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
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective &= ~(1u << CAP_IPC_LOCK);
	d[0].permitted &= ~(1u << CAP_IPC_LOCK);
	d[0].inheritable &= ~(1u << CAP_IPC_LOCK);
	return prctl(PR_CAPBSET_DROP, CAP_IPC_LOCK, 0, 0, 0) ||
	       syscall(SYS_capset, &h, d);
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

static int io_uring(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(io_uring_child());
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
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

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "shm"))
		return shm();
	if (!strcmp(what, "io_uring"))
		return io_uring();
	if (!strcmp(what, "io_uring_mlocked"))
		return io_uring_mlocked();
	if (!strcmp(what, "perf"))
		return perf();
	say("{\"error\":\"usage: buckets shm|io_uring|io_uring_mlocked|perf\"}\n");
	return 2;
}
