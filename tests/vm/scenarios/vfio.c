// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO type1 scenarios, on the QEMU edu devices bound to vfio-pci in the
 * test guest ($MLA_VFIO_GROUPS: /dev/vfio/N ...). One step line per
 * operation (tests/lib/scenario.h); `vfio SCENARIO`:
 *
 *   map_unmap   map and unmap 8 MiB of plain memory
 *   mlocked     mlock 8 MiB, then map 12 MiB overlapping 4 MiB of it
 *   double_map  one 4 MiB buffer at two IOVAs, and in a second container
 *   other_task  unmaps by another thread, another process, and a container
 *               released by another process's exit; exit holding a map
 *   limits      without CAP_IPC_LOCK under a 64 KiB RLIMIT_MEMLOCK, all of
 *               it mlocked: mlock, mmap(MAP_LOCKED) and VFIO_IOMMU_MAP_DMA
 *               are refused; then under 128 KiB, a map refused half-way
 *   refused_maps  under 36 MiB, 4 MiB mlocked: 20 maps of 64 MiB refused
 *               half-way, each after 8192 one-page runs (for `report`)
 *   overlap_mlock  mlock 8 MiB, map 12 MiB overlapping 4 MiB of it, and
 *               exit holding both (mlock and vfio share 4 MiB)
 *   overlap_vfio   map one 4 MiB buffer at two IOVAs and exit holding both
 *   bar         map the edu device's BAR0 (device memory, VM_PFNMAP: not
 *               charged) at two IOVAs, then 4 MiB of RAM mlocked first;
 *               exit holding all: only the RAM counts, once per source
 *   hold_bar READY [GO DONE]  bar's state, then wait like hold; with GO:
 *               once GO appears, unmap the BAR's second map, touch DONE
 *               and wait again
 *   hold        overlap_mlock's state, then wait to be killed (for a tool
 *               started afterwards); touches $2 when ready
 *   hold_many   map one page at 65535 IOVAs (type1's default
 *               dma_entry_limit), then wait like hold
 *   hold_vm     run as a QEMU (argv[0] qemu-system-x86_64, -name, -m):
 *               without CAP_IPC_LOCK, map 4 MiB, then wait like hold
 *   owner_change  a child under a 1 MiB RLIMIT_MEMLOCK is refused the take-over
 *               of a 4 MiB mapping (VFIO_DMA_MAP_FLAG_VADDR); another child
 *               takes it over
 *   bench_map N [thp-apart|asis]
 *               map and unmap 1 GiB N times (the benchmark); the buffer's
 *               physical layout: see bench_map()
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../../lib/scenario.h"

#define IOVA(n) (0x10000000UL * (n))

static char groups[4][64];
static int ngroups;

static void die(const char *what)
{
	say("{\"error\":\"%s: %s\"}\n", what, strerror(errno));
	_exit(2);
}

static void find_groups(void)
{
	char *env = getenv("MLA_VFIO_GROUPS");
	char *save = NULL, *tok;
	static char copy[256];

	if (!env)
		env = getenv("MLA_VFIO_GROUP");
	if (!env)
		die("no MLA_VFIO_GROUPS");
	snprintf(copy, sizeof(copy), "%s", env);
	for (tok = strtok_r(copy, " ", &save); tok && ngroups < 4;
	     tok = strtok_r(NULL, " ", &save))
		snprintf(groups[ngroups++], sizeof(groups[0]), "%s", tok);
}

/* A container with group @g attached and a TYPE1v2 IOMMU; @gfd: the group. */
static int container_open(int g, int *gfd)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int c = open("/dev/vfio/vfio", O_RDWR);

	if (c < 0)
		die("open /dev/vfio/vfio");
	*gfd = open(groups[g], O_RDWR);
	if (*gfd < 0)
		die(groups[g]);
	if (ioctl(*gfd, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(*gfd, VFIO_GROUP_SET_CONTAINER, &c))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU");
	return c;
}

static int dma_map_flags(int c, void *vaddr, unsigned long iova, size_t size,
			 __u32 flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = flags,
		.vaddr = (unsigned long)vaddr,
		.iova = iova,
		.size = size,
	};

	return rc(ioctl(c, VFIO_IOMMU_MAP_DMA, &m));
}

static int dma_map(int c, void *vaddr, unsigned long iova, size_t size)
{
	return dma_map_flags(c, vaddr, iova, size,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
}

static int dma_unmap_flags(int c, unsigned long iova, size_t size, __u32 flags)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.flags = flags,
		.iova = iova,
		.size = size,
	};

	return rc(ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u));
}

static int dma_unmap(int c, unsigned long iova, size_t size)
{
	return dma_unmap_flags(c, iova, size, 0);
}

static int map_unmap(void)
{
	int g, c = container_open(0, &g);
	char *buf = map_anon(8 * MIB, 0);

	STEP("map", "vfio", dma_map(c, buf, IOVA(1), 8 * MIB));
	STEP("unmap", "vfio", dma_unmap(c, IOVA(1), 8 * MIB));
	return 0;
}

/* The kernel charges the overlap twice: 8 + 12 = 20 MiB of locked_vm. */
static int mlocked(void)
{
	int g, c = container_open(0, &g);
	char *buf = map_anon(16 * MIB, 0);

	STEP("mlock_8m", "mlock", rc(mlock(buf, 8 * MIB)));
	step_note("\"mlock_and_vfio_kib\":4096");
	STEP("map_12m_overlap_4m", "vfio",
	     dma_map(c, buf + 4 * MIB, IOVA(1), 12 * MIB));
	STEP("unmap", "vfio", dma_unmap(c, IOVA(1), 12 * MIB));
	STEP("munlock", "mlock", rc(munlock(buf, 8 * MIB)));
	return 0;
}

/* The figures of the double-counting report, held at exit. */
static int overlap_mlock(void)
{
	int g, c = container_open(0, &g);
	char *buf = map_anon(16 * MIB, 0);

	STEP("mlock_8m", "mlock", rc(mlock(buf, 8 * MIB)));
	step_note("\"mlock_and_vfio_kib\":4096,\"unique_locked_kib\":16384");
	STEP("map_12m_overlap_4m", "vfio",
	     dma_map(c, buf + 4 * MIB, IOVA(1), 12 * MIB));
	return 0;
}

static int overlap_vfio(void)
{
	int g, c = container_open(0, &g);
	char *buf = map_anon(4 * MIB, 0);

	STEP("map_iova1", "vfio", dma_map(c, buf, IOVA(1), 4 * MIB));
	step_note("\"vfio_and_vfio_kib\":4096,\"max_vfio_multiplicity\":2,"
		  "\"unique_locked_kib\":4096");
	STEP("map_iova2_same_buffer", "vfio",
	     dma_map(c, buf, IOVA(2), 4 * MIB));
	return 0;
}

static int double_map(void)
{
	int g1, g2, c1 = container_open(0, &g1), c2 = -1;
	char *buf = map_anon(4 * MIB, 0);

	STEP("map_iova1", "vfio", dma_map(c1, buf, IOVA(1), 4 * MIB));
	step_note("\"vfio_and_vfio_kib\":4096,\"multiplicity\":2");
	STEP("map_iova2_same_buffer", "vfio",
	     dma_map(c1, buf, IOVA(2), 4 * MIB));
	if (ngroups > 1) {
		c2 = container_open(1, &g2);
		step_note("\"vfio_and_vfio_kib\":4096,\"multiplicity\":3");
		STEP("map_second_container", "vfio",
		     dma_map(c2, buf, IOVA(1), 4 * MIB));
		STEP("unmap_second_container", "vfio",
		     dma_unmap(c2, IOVA(1), 4 * MIB));
	}
	STEP("unmap_iova2", "vfio", dma_unmap(c1, IOVA(2), 4 * MIB));
	STEP("unmap_iova1", "vfio", dma_unmap(c1, IOVA(1), 4 * MIB));
	return 0;
}

/* The device's BAR0 mmapped, as QEMU does for peer-to-peer DMA; its size. */
static void *map_bar0(int g, size_t *size)
{
	struct vfio_region_info r = { .argsz = sizeof(r),
				      .index = VFIO_PCI_BAR0_REGION_INDEX };
	const char *bdf = getenv("MLA_EDU_BDF");
	int dev = bdf ? ioctl(g, VFIO_GROUP_GET_DEVICE_FD, bdf) : -1;
	void *p;

	if (dev < 0)
		die("VFIO_GROUP_GET_DEVICE_FD $MLA_EDU_BDF");
	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &r) ||
	    !(r.flags & VFIO_REGION_INFO_FLAG_MMAP))
		die("BAR0 cannot be mmapped");
	p = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		 r.offset);
	if (p == MAP_FAILED)
		die("mmap BAR0");
	*size = r.size;
	return p;
}

/* What bar's state must show: the RAM once per source, the BAR apart
 * (@maps of it) */
static void bar_figures(size_t size, int maps)
{
	step_note("\"mlock_and_vfio_kib\":4096,\"vfio_and_vfio_kib\":0,"
		  "\"max_vfio_multiplicity\":1,\"unique_locked_kib\":4096,"
		  "\"vfio_device_kib\":%zu,\"vfio_device_mappings\":%d",
		  maps * size / 1024, maps);
}

/*
 * Device memory in a VFIO container charges nothing (type1 skips reserved
 * and PFNMAP pages); mapped twice it is still no RAM counted twice.
 * @ready: then hold it (hold_bar), for a tool started afterwards; @go:
 * once it appears, unmap one of the BAR's two maps, which the tool found
 * at its start, and hold that (saying so in @done).
 */
static int bar(const char *ready, const char *go, const char *done)
{
	int g, c = container_open(0, &g);
	char *ram = map_anon(4 * MIB, 0);
	size_t size;
	char *bar0 = map_bar0(g, &size);

	STEP("map_bar0", "vfio", dma_map(c, bar0, IOVA(1), size));
	STEP("map_bar0_again", "vfio", dma_map(c, bar0, IOVA(2), size));
	STEP("mlock_4m", "mlock", rc(mlock(ram, 4 * MIB)));
	if (!ready)
		bar_figures(size, 2);
	STEP("map_ram_4m", "vfio", dma_map(c, ram, IOVA(3), 4 * MIB));
	if (!ready)
		return 0;
	bar_figures(size, 2);
	step_note(",\"mlock_kib\":4096,\"vfio_kib\":4096");
	STEP("holding", "none", 0);
	if (go) {
		ready_then_wait(ready, go);
		STEP("unmap_bar0_again", "vfio", dma_unmap(c, IOVA(2), size));
		bar_figures(size, 1);
		step_note(",\"mlock_kib\":4096,\"vfio_kib\":4096");
		STEP("holding", "none", 0);
		ready = done;
	}
	wait_killed(ready);
}

struct unmap_args {
	int container;
	int ret;
};

static void *unmap_thread(void *arg)
{
	struct unmap_args *a = arg;

	a->ret = dma_unmap(a->container, IOVA(1), 4 * MIB);
	return NULL;
}

static int by_thread(int c)
{
	struct unmap_args a = { .container = c };
	pthread_t t;

	if (pthread_create(&t, NULL, unmap_thread, &a))
		return -EAGAIN;
	pthread_join(t, NULL);
	return a.ret;
}

/* A child process unmaps through the container fd it inherited. */
static int by_child(int c)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(dma_unmap(c, IOVA(2), 4 * MIB) ? 1 : 0);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -ECHILD;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

/*
 * The container's last reference is a child's: the release (and the
 * uncharge of our mm) runs in that child's exit, after its own mm is gone.
 */
static int release_by_child_exit(int *c, int *g)
{
	int go[2], st;
	char x;
	pid_t pid;

	if (pipe(go))
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &x, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	close(*c);
	close(*g);
	*c = *g = -1;
	close(go[1]); /* the child's read returns: it exits */
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -ECHILD;
	return 0;
}

static int other_task(void)
{
	int g, c = container_open(0, &g), g2, c2;
	char *buf = map_anon(4 * MIB, 0), *more = map_anon(2 * MIB, 0);

	STEP("map_a", "vfio", dma_map(c, buf, IOVA(1), 4 * MIB));
	STEP("unmap_by_thread", "vfio", by_thread(c));
	STEP("map_b", "vfio", dma_map(c, buf, IOVA(2), 4 * MIB));
	STEP("unmap_by_child", "vfio", by_child(c));
	STEP("map_c", "vfio", dma_map(c, buf, IOVA(3), 4 * MIB));
	STEP("release_by_child_exit", "vfio", release_by_child_exit(&c, &g));
	/* exit holding a mapping: the release after exit uncharges nothing */
	c2 = container_open(0, &g2);
	STEP("map_and_exit_holding", "vfio", dma_map(c2, more, IOVA(1), 2 * MIB));
	return 0;
}

/* Drop CAP_IPC_LOCK for good, so RLIMIT_MEMLOCK applies. */
static void drop_ipc_lock(void)
{
	if (drop_cap(CAP_IPC_LOCK))
		die("dropping CAP_IPC_LOCK");
}

static int owner_container; /* the container new_owner() maps into */

/*
 * In a child: give the invalidated mapping a vaddr of its own. type1 moves
 * the charge from the parent's mm to the child's (vfio_change_dma_owner,
 * 6.1.20+, which charges through mm_lock_acct directly, no vfio_lock_acct
 * around).
 */
static int new_owner(void)
{
	char *buf = map_anon(4 * MIB, 0);

	return STEP("map_vaddr_as_new_owner", "vfio",
		    dma_map_flags(owner_container, buf, IOVA(1), 4 * MIB,
				  VFIO_DMA_MAP_FLAG_VADDR)) != 0;
}

/*
 * In a child whose limit (1 MiB) cannot take the mapping's 4 MiB: type1
 * charges the new owner first, so the take-over is refused and the charge
 * stays with the parent.
 */
static int limited_new_owner(void)
{
	struct rlimit rl = { 1 * MIB, 1 * MIB };
	char *buf = map_anon(4 * MIB, 0);

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		die("setrlimit");
	drop_ipc_lock();
	step_note("\"errno\":\"ENOMEM\",\"request_kib\":4096,"
		  "\"limit_kib\":1024,\"check\":\"__account_locked_vm\"");
	STEP("map_vaddr_as_new_owner_refused", "vfio",
	     dma_map_flags(owner_container, buf, IOVA(1), 4 * MIB,
			   VFIO_DMA_MAP_FLAG_VADDR));
	return 0;
}

static int owner_change(void)
{
	int g, c = container_open(0, &g);
	char *buf = map_anon(4 * MIB, 0);

	if (ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR) != 1)
		die("no VFIO_UPDATE_VADDR");
	STEP("map", "vfio", dma_map(c, buf, IOVA(1), 4 * MIB));
	/* type1's live update: the vaddr is invalid, the pages stay pinned */
	STEP("invalidate_vaddr", "vfio",
	     dma_unmap_flags(c, IOVA(1), 4 * MIB, VFIO_DMA_UNMAP_FLAG_VADDR));
	owner_container = c;
	STEP("charge_stays_with_parent", "vfio",
	     in_child(limited_new_owner) ? -EIO : 0);
	STEP("charge_moved_to_child", "vfio", in_child(new_owner) ? -EIO : 0);
	return 0;
}

/* @len of memory whose neighbouring pages are seldom physically adjacent */
static char *interleaved(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	/* a transparent huge page would be one run */
	madvise(p, len, MADV_NOHUGEPAGE);
	for (size_t off = 4 * KIB; off < len; off += 8 * KIB)
		p[off] = 1;
	for (size_t off = 0; off < len; off += 8 * KIB)
		p[off] = 1;
	return p;
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int limited_child(void)
{
	struct rlimit rl = { 64 * KIB, 64 * KIB };
	char *small = map_anon(64 * KIB, 0), *big = map_anon(1 * MIB, 0);
	int g, c, r;
	void *p;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		die("setrlimit");
	drop_ipc_lock();
	c = container_open(0, &g);
	/*
	 * Up to the limit exactly: headroom 0, so each charge below is refused
	 * before any part of it is taken (a VFIO map that fails half-way
	 * raises VmLck for a moment, which /proc cannot show).
	 */
	STEP("mlock_64k_to_the_limit", "mlock", rc(mlock(small, 64 * KIB)));
	step_note("\"errno\":\"ENOMEM\",\"request_kib\":1024,\"limit_kib\":64,"
		  "\"check\":\"do_mlock\"");
	STEP("mlock_1m_refused", "mlock", rc(mlock(big, 1 * MIB)));
	step_note("\"errno\":\"EAGAIN\",\"request_kib\":1024,\"limit_kib\":64,"
		  "\"check\":\"mlock_future_ok\"");
	r = STEP("mmap_locked_1m_refused", "mlock",
		 (p = mmap(NULL, 1 * MIB, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0)) ==
				 MAP_FAILED ? -errno : 0);
	if (!r)
		munmap(p, 1 * MIB);
	step_note("\"errno\":\"ENOMEM\",\"request_kib\":1024,\"limit_kib\":64,"
		  "\"check\":\"vfio_pin_pages_remote\"");
	STEP("map_dma_1m_refused", "vfio", dma_map(c, big, IOVA(1), 1 * MIB));
	/*
	 * Half-way: with 64 KiB of headroom the map charges runs until the
	 * pre-check refuses one, then uncharges them. The buffer's odd pages
	 * are touched before its even ones, so runs are a page or so and
	 * several are charged first. Told as the map's refusal, with what
	 * locked_vm held before it; then up to the limit again.
	 */
	rl.rlim_cur = rl.rlim_max = 128 * KIB;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		die("raising RLIMIT_MEMLOCK");
	p = interleaved(1 * MIB);
	step_note("\"errno\":\"ENOMEM\",\"request_kib\":1024,\"limit_kib\":128,"
		  "\"check\":\"vfio_pin_pages_remote\"");
	STEP("map_dma_1m_refused_half_way", "vfio",
	     dma_map(c, p, IOVA(2), 1 * MIB));
	STEP("mlock_64k_more_to_the_limit", "mlock",
	     rc(mlock(map_anon(64 * KIB, 0), 64 * KIB)));
	return 0;
}

/*
 * 20 maps refused half-way, one after another: each charges 32 MiB in 8192
 * one-page runs (50-100 ms under TCG), then uncharges them. `report` sums a
 * map's runs into one event and snapshots its maps every 250 ms, so some
 * snapshots fall in the middle of a map: each refusal must still be told
 * with what was held before its map, by source (4 MiB, mlock's).
 */
static int refused_maps_child(void)
{
	struct rlimit rl = { 36 * MIB, 36 * MIB };
	double in_maps = 0, t0;
	char *p = interleaved(64 * MIB), *held = map_anon(4 * MIB, 0);
	char name[64];
	int g, c;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		die("setrlimit");
	drop_ipc_lock();
	c = container_open(0, &g);
	STEP("mlock_4m", "mlock", rc(mlock(held, 4 * MIB)));
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "map_dma_64m_refused_half_way_%d",
			 i);
		step_note("\"errno\":\"ENOMEM\",\"request_kib\":65536,"
			  "\"limit_kib\":36864,"
			  "\"check\":\"vfio_pin_pages_remote\"");
		t0 = seconds();
		STEP(name, "vfio", dma_map(c, p, IOVA(1), 64 * MIB));
		in_maps += seconds() - t0;
	}
	step_note("\"maps_ms\":%u", (unsigned int)(in_maps * 1000));
	STEP("refused_maps_done", "none", 0);
	return 0;
}

static void on_term(int sig)
{
	_exit(0);
}

static int hold(const char *ready)
{
	signal(SIGTERM, on_term);
	overlap_mlock();
	step_note("\"mlock_and_vfio_kib\":4096,\"unique_locked_kib\":16384,"
		  "\"mlock_kib\":8192,\"vfio_kib\":12288");
	STEP("holding", "none", 0);
	wait_killed(ready);
	return 0;
}

static int hold_vm(const char *ready)
{
	int g, c;
	char *ram = map_anon(4 * MIB, 0);

	signal(SIGTERM, on_term);
	drop_ipc_lock();
	c = container_open(0, &g);
	STEP("map_guest_ram", "vfio", dma_map(c, ram, IOVA(1), 4 * MIB));
	STEP("holding", "none", 0);
	wait_killed(ready);
	return 0;
}

static int hold_many(const char *ready)
{
	int g, c = container_open(0, &g);
	char *page = map_anon(4 * KIB, 0);
	unsigned int n = 0;

	signal(SIGTERM, on_term);
	STEP("map_one_page_65535_times", "vfio", ({
		     int r_ = 0;

		     for (n = 0; n < 65535 && !r_; n++)
			     r_ = dma_map(c, page, IOVA(1) + n * 4 * KIB,
					  4 * KIB);
		     r_;
	     }));
	step_note("\"mappings\":%u,\"vfio_and_vfio_kib\":%lu,"
		  "\"max_vfio_multiplicity\":%u,\"unique_locked_kib\":4",
		  n, (unsigned long)(n - 1) * 4, n);
	STEP("holding", "none", 0);
	wait_killed(ready);
	return 0;
}

/*
 * Physically contiguous runs in [@buf, @buf + @len), from /proc/self/pagemap
 * (PFNs need CAP_SYS_ADMIN; 0 when unreadable). type1 pins one run per
 * vfio_pin_pages_remote() call, so the tracer's programs run once per run:
 * how fragmented the guest's memory is decides their share of the time.
 */
static long phys_runs(const char *buf, size_t len)
{
	size_t n = len / (4 * KIB), bytes = n * sizeof(uint64_t);
	uint64_t *pm = malloc(bytes);
	int fd = open("/proc/self/pagemap", O_RDONLY);
	long runs = 0;

	/* one read: each takes the mmap lock, which the tracer watches */
	if (pm && fd >= 0 &&
	    pread(fd, pm, bytes, (uintptr_t)buf / (4 * KIB) * 8) ==
		    (ssize_t)bytes) {
		for (size_t i = 0; i < n; i++) {
			uint64_t pfn = pm[i] & ((1ULL << 55) - 1);

			/* bit 63: present; else the bits are a swap entry */
			if (!(pm[i] >> 63) || !pfn) {
				runs = 0;
				break;
			}
			if (!i || pfn != (pm[i - 1] & ((1ULL << 55) - 1)) + 1)
				runs++;
		}
	}
	if (fd >= 0)
		close(fd);
	free(pm);
	return runs;
}

static char *align_2m(char *p)
{
	return (char *)(((uintptr_t)p + 2 * MIB - 1) & ~(2 * MIB - 1));
}

/*
 * @len of transparent huge pages, no two of them adjacent in physical
 * memory: each 2 MiB page is moved (mremap keeps the page) to the mirror
 * position, so neighbours are in descending physical order (unless the
 * allocator handed them out descending: the printed runs would say).
 * What a guest's RAM looks like on a host whose free memory is fragmented
 * above 2 MiB:
 * one vfio_pin_pages_remote() batch per huge page. A page the kernel could
 * not make huge shows as more runs (bench_map prints them).
 */
static char *map_thp_apart(size_t len)
{
	size_t n = len / (2 * MIB);
	char *src = mmap(NULL, len + 2 * MIB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *dst = mmap(NULL, len + 2 * MIB, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (src == MAP_FAILED || dst == MAP_FAILED)
		die("mmap");
	src = align_2m(src);
	dst = align_2m(dst);
	if (madvise(src, len, MADV_HUGEPAGE))
		die("madvise MADV_HUGEPAGE");
	memset(src, 1, len);
	for (size_t i = 0; i < n; i++)
		if (mremap(src + i * 2 * MIB, 2 * MIB, 2 * MIB,
			   MREMAP_MAYMOVE | MREMAP_FIXED,
			   dst + (n - 1 - i) * 2 * MIB) == MAP_FAILED)
			die("mremap");
	return dst;
}

/*
 * VFIO_IOMMU_MAP_DMA and UNMAP_DMA of 1 GiB, timed. @layout "asis": the
 * memory as the allocator hands it out (from 2 to 240 physical runs a GiB,
 * seen in one guest); "thp-apart": map_thp_apart(), the same in every run.
 */
static int bench_map(int n, const char *layout)
{
	int g, c = container_open(0, &g);
	char *buf = strcmp(layout, "asis") ? map_thp_apart(1024 * MIB) :
					     map_anon(1024 * MIB, 0);
	long runs = phys_runs(buf, 1024 * MIB);

	for (int i = 0; i < n; i++) {
		double t0 = seconds(), t1, t2;

		if (dma_map(c, buf, IOVA(1), 1024 * MIB))
			die("map");
		t1 = seconds();
		if (dma_unmap(c, IOVA(1), 1024 * MIB))
			die("unmap");
		t2 = seconds();
		say("{\"map_s\":%.6f,\"unmap_s\":%.6f,\"phys_runs\":%ld}\n",
		    t1 - t0, t2 - t1, runs);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	find_groups();
	if (!strcmp(what, "map_unmap"))
		return map_unmap();
	if (!strcmp(what, "mlocked"))
		return mlocked();
	if (!strcmp(what, "double_map"))
		return double_map();
	if (!strcmp(what, "overlap_mlock"))
		return overlap_mlock();
	if (!strcmp(what, "overlap_vfio"))
		return overlap_vfio();
	if (!strcmp(what, "bar"))
		return bar(NULL, NULL, NULL);
	if (!strcmp(what, "hold_bar") && argc > 2)
		return bar(argv[2], argc > 4 ? argv[3] : NULL,
			   argc > 4 ? argv[4] : NULL);
	if (!strcmp(what, "other_task"))
		return other_task();
	if (!strcmp(what, "owner_change"))
		return owner_change();
	if (!strcmp(what, "limits"))
		return in_child(limited_child);
	if (!strcmp(what, "refused_maps"))
		return in_child(refused_maps_child);
	if (!strcmp(what, "hold") && argc > 2)
		return hold(argv[2]);
	if (!strcmp(what, "hold_many") && argc > 2)
		return hold_many(argv[2]);
	if (!strcmp(what, "hold_vm") && argc > 2)
		return hold_vm(argv[2]);
	if (!strcmp(what, "bench_map") && argc > 2)
		return bench_map(atoi(argv[2]),
				 argc > 3 ? argv[3] : "thp-apart");
	say("{\"error\":\"usage: vfio map_unmap|mlocked|double_map|"
	    "overlap_mlock|overlap_vfio|bar|other_task|owner_change|limits|"
	    "refused_maps|"
	    "hold READY|hold_bar READY [GO DONE]|bench_map N [thp-apart|asis]\"}\n");
	return 2;
}
