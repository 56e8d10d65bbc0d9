// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "explain.h"
#include "syscall_nrs.h"

struct rule {
	const char *check;
	const char *what;
	bool per_user;
};

static const struct rule r_mlock = {
	"do_mlock", "locked_vm + the range > RLIMIT_MEMLOCK", false };
static const struct rule r_mlock_zero = {
	"can_do_mlock", "RLIMIT_MEMLOCK is 0 and no CAP_IPC_LOCK", false };
static const struct rule r_mlockall = {
	"mlockall", "total_vm (everything mapped) > RLIMIT_MEMLOCK", false };
static const struct rule r_future = {
	"mlock_future_ok",
	"locked_vm + the new locked area > RLIMIT_MEMLOCK (MAP_LOCKED, or "
	"mlockall(MCL_FUTURE) in force)", false };
static const struct rule r_vfio_pre = {
	"vfio_pin_pages_remote",
	"locked_vm + the pages being pinned > the mapping process's "
	"RLIMIT_MEMLOCK", false };
static const struct rule r_account = {
	"__account_locked_vm", "locked_vm + pages > RLIMIT_MEMLOCK", false };
static const struct rule r_vfio_ioctl = {
	"VFIO_IOMMU_MAP_DMA", "locked_vm + the mapping > RLIMIT_MEMLOCK", false };
static const struct rule r_shm = {
	"user_shm_lock",
	"the user's SHM_LOCK total + the segment > RLIMIT_MEMLOCK", true };
static const struct rule r_io_uring = {
	"__io_account_mem",
	"the user's locked_vm (all their processes) + the buffers > "
	"RLIMIT_MEMLOCK", true };
static const struct rule r_perf = {
	"perf_mmap",
	"pinned_vm + the pages past perf_event_mlock_kb > RLIMIT_MEMLOCK "
	"(perf_event_paranoid > 0)", false };
static const struct rule r_ib_umem = {
	"ib_umem_get",
	"pinned_vm + the region's pages > RLIMIT_MEMLOCK (RDMA memory "
	"registration)",
	false
};
static const struct rule r_pinned = {
	"pinned_vm check", "pinned_vm + pages > RLIMIT_MEMLOCK", false };

/* the check named for each function in memlockacct.h's MLA_KFUNCS */
static const struct rule *const kfunc_rules[MLA_NR_KFUNCS] = {
#define X(id, name, check) [MLA_KF_##id] = &r_##check,
	MLA_KFUNCS(X)
#undef X
};

static const struct rule *rule_of(const struct mla_event *e)
{
	if (e->cause == MLA_CAUSE_KFUNC)
		return e->nr < MLA_NR_KFUNCS ? kfunc_rules[e->nr] : &r_account;
	switch (e->nr) {
	case MLA_NR_mlock:
	case MLA_NR_mlock2:
		return e->ret == -EPERM ? &r_mlock_zero : &r_mlock;
	case MLA_NR_mlockall:
		return e->ret == -EPERM ? &r_mlock_zero : &r_mlockall;
	case MLA_NR_mmap:
		return e->counter == MLA_PINNED_VM ? &r_perf : &r_future;
	case MLA_NR_mremap:
	case MLA_NR_brk:
		return &r_future;
	case MLA_NR_shmctl:
		return &r_shm;
	case MLA_NR_io_uring_register:
		return &r_io_uring;
	case MLA_NR_ioctl:
		return e->counter == MLA_LOCKED_VM ? &r_vfio_ioctl : &r_pinned;
	}
	return &r_account;
}

static uint64_t kib(uint64_t pages, unsigned int page_size)
{
	return pages * (page_size / 1024);
}

void explain_failure(const struct mla_event *e, uint64_t already_locked,
		     unsigned int page_size, struct explanation *x)
{
	const struct rule *r = rule_of(e);
	uint64_t need_pages;

	memset(x, 0, sizeof(*x));
	x->check = r->check;
	x->what = r->what;
	x->per_user = r->per_user;
	x->counter_kib = kib(e->value, page_size);
	x->request_kib = kib(e->request, page_size);
	x->limit_kib = (e->flags & MLA_F_HAS_LIMIT) && e->limit_cur != UINT64_MAX ?
			       e->limit_cur / 1024 : UINT64_MAX;
	need_pages = e->value + (e->request > already_locked ?
					 e->request - already_locked : 0);
	x->suggested_kib = kib(need_pages, page_size);
	/*
	 * Over the limit, or refused at zero, and not bypassed: every check
	 * here is skipped with CAP_IPC_LOCK (VFIO: the map's lock_cap).
	 */
	x->memlock = !(e->flags & (MLA_F_CAP_IPC_LOCK | MLA_F_LOCK_CAP)) &&
		     (e->ret == -EPERM ||
		      (x->limit_kib != UINT64_MAX &&
		       x->suggested_kib > x->limit_kib));
	if (e->ret == -ENOSPC) {
		x->memlock = false;
		x->check = "vfio dma_entry_limit";
		x->what = "the container already has dma_entry_limit mappings "
			  "(65535 by default)";
		snprintf(x->advice, sizeof(x->advice),
			 "not a memlock refusal: raise the vfio_iommu_type1 "
			 "module parameter dma_entry_limit, or map in larger "
			 "pieces");
		return;
	}
	/*
	 * SHM_LOCK's only ENOMEM is user_shm_lock's check, but the portable
	 * tier cannot see the segment's size (the precise tier's kprobe on
	 * user_shm_lock can).
	 */
	if (r == &r_shm && e->ret == -ENOMEM && !e->request &&
	    !(e->flags & MLA_F_CAP_IPC_LOCK)) {
		x->memlock = true;
		x->size_unknown = true;
		snprintf(x->advice, sizeof(x->advice),
			 "a limit of at least %" PRIu64 " KiB plus the segment's "
			 "size (ipcs -m shows it; this kernel's tracepoints do "
			 "not), in KiB for ulimit -l and limits.conf, in bytes "
			 "for prlimit and systemd LimitMEMLOCK=; or CAP_IPC_LOCK "
			 "(the bucket is the user's: other processes of the user "
			 "count too)", x->counter_kib);
		return;
	}
	if (!x->memlock && (e->flags & (MLA_F_CAP_IPC_LOCK | MLA_F_LOCK_CAP))) {
		snprintf(x->advice, sizeof(x->advice),
			 "not refused by the limit: the process has "
			 "CAP_IPC_LOCK, which bypasses it; another cause, such "
			 "as a range not mapped, or no memory");
		return;
	}
	if (!x->memlock) {
		x->what = "the request fits within the limit, so this check "
			  "did not refuse it";
		snprintf(x->advice, sizeof(x->advice),
			 "not refused by the limit (%" PRIu64 " KiB held + %" PRIu64
			 " KiB asked is within it): another cause, such as a "
			 "range not mapped, or no memory",
			 x->counter_kib, x->request_kib);
		return;
	}
	snprintf(x->advice, sizeof(x->advice),
		 "a limit of at least %" PRIu64 " KiB: ulimit -l %" PRIu64
		 " or limits.conf memlock %" PRIu64 "; prlimit --memlock=%" PRIu64
		 " or systemd LimitMEMLOCK=%" PRIu64 " (bytes); libvirt "
		 "<memtune><hard_limit unit='KiB'>%" PRIu64 "</hard_limit>; or "
		 "CAP_IPC_LOCK%s",
		 x->suggested_kib, x->suggested_kib, x->suggested_kib,
		 x->suggested_kib * 1024, x->suggested_kib * 1024,
		 x->suggested_kib,
		 r->per_user ? " (the bucket is the user's: other processes "
			       "of the user count too)" : "");
}
