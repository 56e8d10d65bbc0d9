// SPDX-License-Identifier: GPL-2.0
/*
 * `verbs`: RDMA memory registration through rdma-core's libibverbs, on a soft-RoCE
 * device (rdma_rxe) in the test guest: ib_umem_get() pins the pages and
 * charges mm->pinned_vm (VmPin); deregistration gives it back. One step
 * line per operation (tests/lib/scenario.h); `verbs SCENARIO`:
 *
 *   reg_dereg  register and deregister 4 MiB
 *   mlocked    mlock 4 MiB, register it, deregister it, munlock it
 *   hold READY mlock 4 MiB and register it (locked and pinned: counted
 *              twice), create READY, and wait to be killed
 *   refused    without CAP_IPC_LOCK under a 64 KiB RLIMIT_MEMLOCK, a
 *              registration of 4 MiB is refused (ENOMEM), after one of
 *              32 KiB that passes and is deregistered last
 *
 * Dynamically linked (libibverbs loads its providers with dlopen): the
 * guest's initramfs carries the libraries (tests/vm/mkinitramfs.sh). The
 * device is made first, with iproute2's `rdma link add` (rdma_setup()).
 */
#define _GNU_SOURCE
#include <infiniband/verbs.h>
#include <stdbool.h>
#include <sys/resource.h>

#include "../../lib/scenario.h"

#define RXE_NAME "mla_rxe0"

static void die(const char *what)
{
	say("{\"error\":\"%s: %s\"}\n", what, strerror(errno));
	_exit(2);
}

/* Soft-RoCE over the loopback netdev, unless a device is there already. */
static struct ibv_context *rdma_open(void)
{
	struct ibv_device **list;
	struct ibv_context *ctx;
	char cmd[128];
	int n;

	list = ibv_get_device_list(&n);
	if (!list || !n) {
		if (list)
			ibv_free_device_list(list);
		/* the guest's payload carries the host's iproute2 rdma */
		snprintf(cmd, sizeof(cmd),
			 "%s link add " RXE_NAME " type rxe netdev lo",
			 access("/payload/rdma", X_OK) ? "rdma" : "/payload/rdma");
		if (system(cmd))
			die(cmd);
		list = ibv_get_device_list(&n);
	}
	if (!list || !n)
		die("no RDMA device after rdma link add");
	ctx = ibv_open_device(list[0]);
	if (!ctx)
		die("ibv_open_device");
	ibv_free_device_list(list);
	return ctx;
}

static struct ibv_pd *pd;
static struct ibv_mr *mr;

static int reg(void *buf, size_t len)
{
	mr = ibv_reg_mr(pd, buf, len, IBV_ACCESS_LOCAL_WRITE);
	return mr ? 0 : -errno;
}

static int dereg(void)
{
	int r = ibv_dereg_mr(mr);

	mr = NULL;
	return r ? -r : 0;
}

static void setup(void)
{
	struct ibv_context *ctx = rdma_open();

	pd = ibv_alloc_pd(ctx);
	if (!pd)
		die("ibv_alloc_pd");
}

static int reg_dereg(void)
{
	char *buf = map_anon(4 * MIB, 0);

	setup();
	STEP("reg_mr", "rdma", reg(buf, 4 * MIB));
	STEP("dereg_mr", "rdma", dereg());
	return 0;
}

static int mlocked(void)
{
	char *buf = map_anon(4 * MIB, 0);

	setup();
	STEP("mlock", "mlock", rc(mlock(buf, 4 * MIB)));
	STEP("reg_mr_mlocked", "rdma", reg(buf, 4 * MIB));
	STEP("dereg_mr", "rdma", dereg());
	STEP("munlock", "mlock", rc(munlock(buf, 4 * MIB)));
	return 0;
}

/*
 * Held while `report` runs: exiting holding would not do, as the uverbs
 * file's release gives pinned_vm back before the mm goes (seen on 6.12).
 */
static __attribute__((noreturn)) int hold(const char *ready)
{
	char *buf = map_anon(4 * MIB, 0);

	setup();
	STEP("mlock", "mlock", rc(mlock(buf, 4 * MIB)));
	STEP("reg_mr_mlocked", "rdma", reg(buf, 4 * MIB));
	step_note("\"locked_and_pinned_kib\":4096,\"unique_locked_kib\":4096,"
		  "\"rdma_kib\":4096");
	STEP("holding", "none", 0);
	wait_killed(ready);
}

static int refused_child(void)
{
	struct rlimit rl = { 64 * KIB, 64 * KIB };
	char *small = map_anon(32 * KIB, 0), *big = map_anon(4 * MIB, 0);
	struct ibv_mr *held;

	setup();
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || drop_cap(CAP_IPC_LOCK))
		die("limits");
	STEP("reg_mr_32k", "rdma", reg(small, 32 * KIB));
	/* ib_umem_get: pinned_vm after the add is compared with the limit */
	step_note("\"errno\":\"ENOMEM\",\"check\":\"ib_umem_get\","
		  "\"counter\":\"pinned_vm\",\"counter_kib\":32,"
		  "\"holder\":\"rdma\","
		  "\"request_kib\":4096,\"limit_kib\":64,\"memlock\":true");
	held = mr;
	STEP("reg_mr_refused", "rdma", reg(big, 4 * MIB));
	/*
	 * Exiting with the MR would make the final pinned_vm a race: the
	 * uverbs file may be released before or after the mm is torn down
	 * (both seen on 6.1), so the step says what the end is.
	 */
	mr = held;
	STEP("dereg_mr_32k", "rdma", dereg());
	return 0;
}

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";

	if (!strcmp(s, "reg_dereg"))
		return reg_dereg();
	if (!strcmp(s, "mlocked"))
		return mlocked();
	if (!strcmp(s, "refused"))
		return in_child(refused_child);
	if (!strcmp(s, "hold") && argc > 2)
		return hold(argv[2]);
	say("{\"error\":\"usage: verbs reg_dereg|mlocked|refused|hold READY\"}\n");
	return 2;
}
