// SPDX-License-Identifier: GPL-2.0
/* The accounting model, fed synthetic event streams and map snapshots. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"
#include "rangeset.h"
#include "syscall_nrs.h"

#define TGID 4242
#define START 1000000000ULL

static struct mla_event change(uint64_t mm_id, int counter, int source,
			       int64_t delta, uint64_t value, uint64_t seq)
{
	struct mla_event e = {
		.type = MLA_EV_CHANGE,
		.mm_id = mm_id,
		.tgid = TGID,
		.cur_tgid = TGID,
		.start_ns = START,
		.counter = counter,
		.source = source,
		.delta = delta,
		.value = value,
		.seq = seq,
	};

	strcpy(e.comm, "qemu-system-x86");
	return e;
}

static struct mla_event gone(uint64_t mm_id, int cause, uint64_t locked)
{
	struct mla_event e = {
		.type = MLA_EV_MM_GONE,
		.mm_id = mm_id,
		.tgid = TGID,
		.start_ns = START,
		.cause = cause,
		.value = locked,
	};

	return e;
}

static struct mla_proc *the_proc(struct mla_model *m)
{
	struct mla_proc *p = model_proc(m, TGID, START, false);

	assert_non_null(p);
	return p;
}

static void test_mlock_munlock(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e;
	struct mla_proc *p;

	e = change(1, MLA_LOCKED_VM, MLA_SRC_MLOCK, 256, 256, 1);
	model_apply_event(m, &e);
	e = change(1, MLA_LOCKED_VM, MLA_SRC_MLOCK, -64, 192, 2);
	model_apply_event(m, &e);
	p = the_proc(m);
	assert_int_equal(proc_final(p, MLA_LOCKED_VM), 192);
	assert_int_equal(proc_peak(p, MLA_LOCKED_VM), 256);
	assert_int_equal(proc_source(p, MLA_LOCKED_VM, MLA_SRC_MLOCK), 192);
	assert_int_equal(proc_final(p, MLA_PINNED_VM), 0);
	assert_string_equal(p->comm, "qemu-system-x86");
	model_free(m);
}

/* mlock 8 MiB, then VFIO maps 12 MiB of which 4 overlap: 20 MiB charged. */
static void test_double_charge_two_sources(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e;
	struct mla_proc *p;

	e = change(7, MLA_LOCKED_VM, MLA_SRC_MLOCK, 2048, 2048, 1);
	model_apply_event(m, &e);
	e = change(7, MLA_LOCKED_VM, MLA_SRC_VFIO, 3072, 5120, 2);
	model_apply_event(m, &e);
	p = the_proc(m);
	assert_int_equal(proc_final(p, MLA_LOCKED_VM), 5120);
	assert_int_equal(proc_source(p, MLA_LOCKED_VM, MLA_SRC_MLOCK), 2048);
	assert_int_equal(proc_source(p, MLA_LOCKED_VM, MLA_SRC_VFIO), 3072);
	model_free(m);
}

/* A snapshot of the map is authoritative; events it already holds are skipped. */
static void test_snapshot_then_stale_events(void **state)
{
	struct mla_model *m = model_new();
	struct mla_mm_stat st = {
		.id = 3, .seq = 2, .tgid = TGID, .start_ns = START,
		.seen = { 300, 0 }, .peak = { 300, 0 },
	};
	struct mla_event e;
	struct mla_proc *p;

	st.by_src[MLA_LOCKED_VM][MLA_SRC_MLOCK] = 300;
	model_sync_mm(m, &st);
	/* events 1 and 2 are in the snapshot already: no double count */
	e = change(3, MLA_LOCKED_VM, MLA_SRC_MLOCK, 100, 100, 1);
	model_apply_event(m, &e);
	e = change(3, MLA_LOCKED_VM, MLA_SRC_MLOCK, 200, 300, 2);
	model_apply_event(m, &e);
	/* event 3 is news */
	e = change(3, MLA_LOCKED_VM, MLA_SRC_MLOCK, -300, 0, 3);
	model_apply_event(m, &e);
	p = the_proc(m);
	assert_int_equal(proc_final(p, MLA_LOCKED_VM), 0);
	assert_int_equal(proc_source(p, MLA_LOCKED_VM, MLA_SRC_MLOCK), 0);
	assert_int_equal(proc_peak(p, MLA_LOCKED_VM), 300);
	model_free(m);
}

/* exec replaces the mm: what the old one held is no longer the process's. */
static void test_exec_then_exit(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e;
	struct mla_proc *p;

	e = change(1, MLA_LOCKED_VM, MLA_SRC_MLOCK, 1000, 1000, 1);
	model_apply_event(m, &e);
	e = gone(1, MLA_CAUSE_EXEC, 1000);
	model_apply_event(m, &e);
	p = the_proc(m);
	assert_int_equal(proc_final(p, MLA_LOCKED_VM), 0);
	assert_int_equal(proc_peak(p, MLA_LOCKED_VM), 1000);
	assert_false(p->exited);

	e = change(2, MLA_LOCKED_VM, MLA_SRC_MLOCK, 32, 32, 1);
	model_apply_event(m, &e);
	assert_int_equal(proc_final(p, MLA_LOCKED_VM), 32);
	e = gone(2, MLA_CAUSE_EXIT, 32);
	model_apply_event(m, &e);
	/* exited: the final value is the one held just before exit */
	assert_true(p->exited);
	assert_int_equal(proc_final(p, MLA_LOCKED_VM), 32);
	assert_int_equal(proc_current(p)->truth[MLA_LOCKED_VM], 32);
	model_free(m);
}

/* A reused PID is another process: its figures never merge. */
static void test_pid_reuse(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e = change(1, MLA_LOCKED_VM, MLA_SRC_MLOCK, 10, 10, 1);
	struct mla_proc **pv;

	model_apply_event(m, &e);
	e = change(2, MLA_LOCKED_VM, MLA_SRC_MLOCK, 5, 5, 1);
	e.start_ns = START + 1;
	model_apply_event(m, &e);
	assert_int_equal(model_procs(m, &pv), 2);
	assert_int_equal(proc_final(pv[0], MLA_LOCKED_VM), 10);
	assert_int_equal(proc_final(pv[1], MLA_LOCKED_VM), 5);
	free(pv);
	model_free(m);
}

static void test_user_buckets_and_shares(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e = change(5, MLA_USER_LOCKED, MLA_SRC_IO_URING, 16, 16, 1);
	struct mla_user *u;
	struct mla_proc *p;

	e.uid = 1000;
	e.useq = 1;
	model_apply_event(m, &e);
	e = change(5, MLA_USER_SHM, MLA_SRC_SHM, 512, 512, 2);
	e.uid = 1000;
	e.useq = 2;
	model_apply_event(m, &e);
	u = model_user(m, 1000, false);
	assert_non_null(u);
	assert_int_equal(u->seen[0], 16);
	assert_int_equal(u->seen[1], 512);
	assert_int_equal(u->by_src[0][MLA_SRC_IO_URING], 16);
	p = the_proc(m);
	assert_int_equal(proc_user_share(p, 0, MLA_SRC_IO_URING), 16);
	assert_int_equal(proc_user_share(p, 1, MLA_SRC_SHM), 512);
	assert_int_equal(proc_user_peak(p, 1), 512);
	model_free(m);
}

/* A limit set by another process before the target was seen waits for it. */
static void test_limit_set_before_seen(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e = {
		.type = MLA_EV_LIMIT,
		.tgid = TGID, /* the target; its start unknown to BPF */
		.cur_tgid = 77,
		.pid = 77,
		.nr = 302,
		.limit_cur = 131072,
		.limit_max = 262144,
		.flags = MLA_F_OLD_LIMIT,
		.ctx = { 8388608, 8388608 },
	};
	struct mla_proc **pv;
	struct mla_proc *p;

	strcpy(e.comm, "libvirtd");
	model_apply_event(m, &e);
	e.ret = -1; /* EPERM */
	e.limit_max = 1 << 20;
	model_apply_event(m, &e);
	/* the process, first seen by its first charge */
	e = change(5, MLA_LOCKED_VM, MLA_SRC_MLOCK, 4, 4, 1);
	model_apply_event(m, &e);
	assert_int_equal(model_procs(m, &pv), 1);
	free(pv);
	p = the_proc(m);
	assert_non_null(p->limit_set);
	assert_int_equal(p->limit_set->by_tgid, 77);
	assert_string_equal(p->limit_set->by_comm, "libvirtd");
	assert_int_equal(p->limit_set->soft, 131072);
	assert_true(p->limit_set->old_known);
	assert_int_equal(p->limit_set->old_hard, 8388608);
	assert_non_null(p->limit_refused);
	assert_int_equal(p->limit_refused->hard, 1 << 20);
	assert_int_equal(p->limit_refusals, 1);
	/* a successful set is what the kernel now compares */
	assert_true(p->limit_known);
	assert_int_equal(p->limit_soft, 131072);
	assert_int_equal(model_pending(m, &pv), 0);
	free(pv);
	model_free(m);
}

/* An RDMA region over mlocked memory: locked and pinned, until released. */
/* @e, a change of locked_vm by 4 MiB, as mlock(0x100000, 4 MiB)'s */
static void mlock_4m_at_1m(struct mla_model *m, struct mla_event *e)
{
	e->cause = MLA_CAUSE_SYSCALL;
	e->nr = MLA_NR_mlock;
	e->args[0] = 0x100000;
	e->args[1] = 4 << 20;
	model_apply_event(m, e);
}

static void test_rdma_region_pinned(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e =
		change(5, MLA_LOCKED_VM, MLA_SRC_MLOCK, 1024, 1024, 1);
	struct overlap_figures f;
	bool known, lock_cap;
	struct mla_proc *p;

	mlock_4m_at_1m(m, &e);
	e = change(5, MLA_PINNED_VM, MLA_SRC_RDMA, 1024, 1024, 2);
	e.cause = MLA_CAUSE_KFUNC;
	e.nr = MLA_KF_IB_UMEM;
	e.ctx[1] = 0x100000;
	e.ctx[2] = 4 << 20;
	p = model_apply_event(m, &e);
	assert_non_null(p);
	proc_overlap(p, &f, &known, &lock_cap);
	assert_int_equal(f.locked_pinned, 4 << 20);
	e = change(5, MLA_PINNED_VM, MLA_SRC_RDMA, -1024, 0, 3);
	e.cause = MLA_CAUSE_KFUNC;
	e.nr = MLA_KF_IB_UMEM_RELEASE;
	e.ctx[1] = 0x100000;
	e.ctx[2] = 4 << 20;
	model_apply_event(m, &e);
	proc_overlap(p, &f, &known, &lock_cap);
	assert_int_equal(f.locked_pinned, 0);
	model_free(m);
}

static uint64_t unique_locked(struct mla_model *m)
{
	struct overlap_figures f;
	bool known, lock_cap;

	proc_overlap(the_proc(m), &f, &known, &lock_cap);
	return f.unique_locked;
}

/* A mmap under MCL_FUTURE: its range event */
static void locked_mmap(struct mla_model *m, uint64_t addr, uint64_t len,
			uint64_t flags)
{
	struct mla_event e = change(5, MLA_LOCKED_VM, MLA_SRC_MLOCK, 0, 0, 0);

	e.type = MLA_EV_RANGE;
	e.cause = MLA_CAUSE_SYSCALL;
	e.nr = MLA_NR_mmap;
	e.args[1] = len;
	e.args[3] = flags;
	e.ret = (int32_t)addr; /* as the kernel's event has it: 32 bits */
	e.value = addr;
	e.flags = MLA_F_DEF_LOCKED;
	model_apply_event(m, &e);
}

/*
 * QEMU with -overcommit mem-lock=on: its mmaps are locked at addresses
 * past 32 bits; a file's (a VFIO BAR's, which the kernel leaves unlocked)
 * makes the ranges smaps' to say.
 */
static void test_mcl_future_mmaps(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e =
		change(5, MLA_LOCKED_VM, MLA_SRC_MLOCK, 1024, 1024, 1);
	uint64_t ram = 0x7fb5cbc00000ULL, bar = 0x7fab97aff000ULL;
	struct mla_inst *inst;

	mlock_4m_at_1m(m, &e);
	inst = model_inst(m, 5);
	assert_non_null(inst);
	locked_mmap(m, ram, 2 << 20, 0x22); /* MAP_PRIVATE | MAP_ANONYMOUS */
	assert_int_equal(unique_locked(m), 6 << 20);
	assert_false(inst->flags & MLA_INST_RANGES_STALE);
	locked_mmap(m, bar, 1 << 20, 0x01); /* MAP_SHARED of the BAR */
	assert_true(inst->flags & MLA_INST_RANGES_STALE);
	model_free(m);
}

/* A VFIO map or unmap's range event (the ioctl's exit), in container 9. */
static void vfio_ioctl(struct mla_model *m, uint32_t cmd, uint64_t iova,
		       uint64_t vaddr, uint64_t size, bool device)
{
	struct mla_event e = change(5, MLA_LOCKED_VM, MLA_SRC_VFIO, 0, 0, 0);

	e.type = MLA_EV_RANGE;
	e.cause = MLA_CAUSE_SYSCALL;
	e.nr = MLA_NR_ioctl;
	e.cmd = cmd;
	e.obj = 9;
	e.ctx[0] = iova;
	e.ctx[1] = vaddr;
	e.ctx[2] = size;
	e.flags = device ? MLA_F_DEVICE_MEM : 0;
	model_apply_event(m, &e);
}

/*
 * A BAR (device memory) mapped at two IOVAs beside 4 MiB mlocked and
 * mapped: in either tier it is apart, not RAM, never counted twice.
 */
static void test_device_memory(void **state)
{
	uint64_t bar = 0x7fab97aff000ULL;

	for (int precise = 0; precise < 2; precise++) {
		struct mla_model *m = model_new();
		struct mla_event e =
			change(5, MLA_LOCKED_VM, MLA_SRC_MLOCK, 1024, 1024, 1);
		struct overlap_figures f;
		bool known, lock_cap;

		model_vfio_precise(m, precise);
		/* first: the mm is known by these alone */
		vfio_ioctl(m, MLA_VFIO_IOMMU_MAP_DMA, 1 << 28, bar, 1 << 20,
			   true);
		vfio_ioctl(m, MLA_VFIO_IOMMU_MAP_DMA, 2 << 28, bar, 1 << 20,
			   true);
		mlock_4m_at_1m(m, &e);
		if (!precise) /* the RAM's map; the precise tier names it */
			vfio_ioctl(m, MLA_VFIO_IOMMU_MAP_DMA, 3 << 28, 0x100000,
				   4 << 20, false);
		proc_overlap(the_proc(m), &f, &known, &lock_cap);
		assert_int_equal(f.device, 2 << 20);
		assert_int_equal(f.device_maps, 2);
		assert_int_equal(f.vfio_vfio, 0);
		assert_int_equal(f.max_multiplicity, precise ? 0 : 1);
		assert_int_equal(f.unique_locked, 4 << 20);
		vfio_ioctl(m, MLA_VFIO_IOMMU_UNMAP_DMA, 1 << 28, 0, 1 << 20,
			   false);
		proc_overlap(the_proc(m), &f, &known, &lock_cap);
		assert_int_equal(f.device, 1 << 20);
		assert_int_equal(f.device_maps, 1);
		/* its container closed: the RAM's uncharge is the kernel's
		 * (precise) or the map stays for the harvest; the BAR goes */
		model_drop_device(the_proc(m)->newest);
		proc_overlap(the_proc(m), &f, &known, &lock_cap);
		assert_int_equal(f.device, 0);
		assert_int_equal(f.device_maps, 0);
		assert_int_equal(f.unique_locked, 4 << 20);
		model_free(m);
	}
}

/*
 * A record can name a process with start time 0, as the limit of one not
 * yet seen is kept: the mm that names it must not lose it when a limit
 * set on the tgid is adopted (found by fuzz_model: a use after free).
 */
static void test_pending_limit_apart_from_start_0(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e = change(5, MLA_LOCKED_VM, MLA_SRC_MLOCK, 4, 4, 1);
	struct mla_event lim = {
		.type = MLA_EV_LIMIT,
		.tgid = TGID,
		.cur_tgid = 77,
		.pid = 77,
		.nr = 302,
		.limit_cur = 65536,
		.limit_max = 65536,
	};
	struct mla_proc **pv;
	struct mla_proc *zero, *p;

	model_apply_event(m, &lim); /* no process yet: pending */
	e.start_ns = 0;
	zero = model_apply_event(m, &e);
	assert_non_null(zero);
	assert_int_equal(model_pending(m, &pv), 1);
	free(pv);
	/* the real process, seen: it takes the limit */
	e = change(6, MLA_LOCKED_VM, MLA_SRC_MLOCK, 4, 4, 2);
	p = model_apply_event(m, &e);
	assert_non_null(p);
	assert_ptr_not_equal(p, zero);
	assert_non_null(p->limit_set);
	assert_int_equal(model_pending(m, &pv), 0);
	free(pv);
	/* and mm 5 still names its own, living, process */
	e = change(5, MLA_LOCKED_VM, MLA_SRC_MLOCK, 4, 8, 3);
	e.start_ns = 0;
	assert_ptr_equal(model_apply_event(m, &e), zero);
	assert_int_equal(zero->tgid, TGID);
	assert_null(zero->limit_set);
	model_free(m);
}

/*
 * Aggregate mode: mlock's changes 2 and 3 were not sent; VFIO's change 4
 * says so (MLA_F_UNSTREAMED), and what locked_vm held before it is mlock's.
 */
static void test_unstreamed_mlock_caught_up(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e;
	struct mla_proc *p;

	e = change(5, MLA_LOCKED_VM, MLA_SRC_MLOCK, 256, 256, 1);
	model_apply_event(m, &e);
	/* unsent: +256 (512), -128 (384) */
	e = change(5, MLA_LOCKED_VM, MLA_SRC_VFIO, 1024, 1408, 4);
	e.flags = MLA_F_UNSTREAMED;
	model_apply_event(m, &e);
	p = the_proc(m);
	assert_int_equal(proc_final(p, MLA_LOCKED_VM), 1408);
	assert_int_equal(proc_source(p, MLA_LOCKED_VM, MLA_SRC_MLOCK), 384);
	assert_int_equal(proc_source(p, MLA_LOCKED_VM, MLA_SRC_VFIO), 1024);
	/* a refusal after more unsent mlock changes: 1408 -> 1664 */
	e = (struct mla_event){ .type = MLA_EV_FAILURE, .mm_id = 5,
				.tgid = TGID, .start_ns = START,
				.counter = MLA_LOCKED_VM, .ret = -12,
				.flags = MLA_F_UNSTREAMED };
	e.other[MLA_LOCKED_VM] = 1664;
	model_apply_event(m, &e);
	assert_int_equal(proc_source(p, MLA_LOCKED_VM, MLA_SRC_MLOCK), 640);
	model_free(m);
}

/*
 * A refusal read after a newer snapshot of its mm (the frontend was behind
 * and emptied the dead map first): the snapshot holds what followed it, so
 * the refusal's "before" must not be caught up to.
 */
static void test_unstreamed_refusal_after_snapshot(void **state)
{
	struct mla_model *m = model_new();
	struct mla_mm_stat st = {
		.id = 6,
		.seq = 9,
		.tgid = TGID,
		.start_ns = START,
		.seen = { 512, 0 },
		.peak = { 1024, 0 },
		.flags = MLA_MM_UNSTREAMED,
		.gone = MLA_CAUSE_EXIT,
	};
	struct mla_event e = { .type = MLA_EV_FAILURE,
			       .mm_id = 6,
			       .tgid = TGID,
			       .start_ns = START,
			       .counter = MLA_LOCKED_VM,
			       .ret = -12,
			       .flags = MLA_F_UNSTREAMED,
			       .seq = 7 };
	struct mla_proc *p;

	st.by_src[MLA_LOCKED_VM][MLA_SRC_MLOCK] = 512;
	model_sync_mm(m, &st);
	e.other[MLA_LOCKED_VM] = 1024; /* at the refusal, changes 1-7 */
	model_apply_event(m, &e);
	p = the_proc(m);
	assert_int_equal(proc_source(p, MLA_LOCKED_VM, MLA_SRC_MLOCK), 512);
	assert_int_equal(proc_final(p, MLA_LOCKED_VM), 512);
	assert_int_equal(p->nfailures, 1);
	model_free(m);
}

static void test_failures_are_kept(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e = { .type = MLA_EV_FAILURE, .tgid = TGID,
			       .start_ns = START, .ret = -12, .request = 9 };
	const struct mla_failure *f;

	model_apply_event(m, &e);
	model_apply_event(m, &e);
	assert_int_equal(model_failures(m, &f), 2);
	assert_int_equal(f[1].ev.request, 9);
	assert_int_equal(the_proc(m)->nfailures, 2);
	model_free(m);
}

/* A snapshot newer than the refusal does not lend it what came after. */
static void test_failure_sources_at_refusal(void **state)
{
	struct mla_model *m = model_new();
	struct mla_mm_stat st = {
		.id = 9, .tgid = TGID, .start_ns = START, .seq = 1,
		.seen = { 4, 0 },
	};
	struct mla_event e = { .type = MLA_EV_FAILURE, .tgid = TGID,
			       .start_ns = START, .ret = -1, .request = 4,
			       .counter = MLA_LOCKED_VM, .value = 0 };
	const struct mla_failure *f;

	st.by_src[MLA_LOCKED_VM][MLA_SRC_MLOCK] = 4;
	model_sync_mm(m, &st);
	model_apply_event(m, &e);
	e.value = 4;
	model_apply_event(m, &e);
	assert_int_equal(model_failures(m, &f), 2);
	assert_int_equal(f[0].sources[MLA_SRC_MLOCK], 0);
	assert_int_equal(f[1].sources[MLA_SRC_MLOCK], 4);
	model_free(m);
}

/* What a process held before the tool started, split by inference. */
static void test_infer_preexisting(void **state)
{
	struct mla_model *m = model_new();
	struct mla_mm_stat st = {
		.id = 9, .tgid = TGID, .start_ns = START,
		.seen = { 3000, 0 }, .flags = MLA_MM_SEEDED,
	};
	struct mla_inst *inst;
	struct mla_proc *p;

	st.by_src[MLA_LOCKED_VM][MLA_SRC_PREEXISTING] = 3000;
	inst = model_sync_mm(m, &st);
	model_infer(inst, MLA_LOCKED_VM, MLA_SRC_MLOCK, 1000, true);
	model_infer(inst, MLA_LOCKED_VM, MLA_SRC_VFIO, 5000, false); /* capped */
	p = the_proc(m);
	assert_int_equal(proc_source(p, MLA_LOCKED_VM, MLA_SRC_MLOCK), 1000);
	assert_int_equal(proc_source(p, MLA_LOCKED_VM, MLA_SRC_VFIO), 2000);
	assert_int_equal(proc_source(p, MLA_LOCKED_VM, MLA_SRC_PREEXISTING), 0);
	assert_int_equal(proc_inferred(p, MLA_LOCKED_VM, MLA_SRC_VFIO), 2000);
	assert_int_equal(proc_inferred(p, MLA_LOCKED_VM, MLA_SRC_MLOCK), 0);
	/* a later snapshot keeps the inference */
	model_sync_mm(m, &st);
	assert_int_equal(proc_source(p, MLA_LOCKED_VM, MLA_SRC_VFIO), 2000);
	model_free(m);
}

static void test_reconcile_drift(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e = change(1, MLA_PINNED_VM, MLA_SRC_RDMA, 40, 40, 1);
	uint64_t kernel[2] = { 0, 50 };
	struct mla_proc *p;

	model_apply_event(m, &e);
	p = the_proc(m);
	model_reconcile(p, kernel);
	assert_true(p->reconciled);
	assert_int_equal(p->drift[MLA_PINNED_VM], -10);
	assert_int_equal(p->drift[MLA_LOCKED_VM], 0);
	model_free(m);
}

/* top and trace forget exited processes: churn leaves nothing behind */
static void test_forget_exited(void **state)
{
	struct mla_model *m = model_new();
	struct mla_proc **pv;

	for (uint64_t i = 1; i <= 100; i++) {
		struct mla_event e = change(i, MLA_LOCKED_VM, MLA_SRC_MLOCK,
					    1, 1, 1);

		e.tgid = 1000 + i;
		model_apply_event(m, &e);
		if (i % 2) {
			e = gone(i, MLA_CAUSE_EXIT, 1);
			e.tgid = 1000 + i;
			model_apply_event(m, &e);
		}
	}
	assert_int_equal(model_forget_exited(m), 50);
	assert_int_equal(model_procs(m, &pv), 50);
	for (int i = 0; i < 50; i++)
		assert_false(pv[i]->exited);
	free(pv);
	assert_null(model_inst(m, 1));
	assert_non_null(model_inst(m, 2));
	model_free(m);
}

static void test_run_tree_membership(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e = { .type = MLA_EV_PROCESS, .tgid = 77,
			       .start_ns = 5 };

	strcpy(e.comm, "child");
	model_apply_event(m, &e);
	assert_true(model_proc(m, 77, 5, false)->in_tree);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mlock_munlock),
		cmocka_unit_test(test_double_charge_two_sources),
		cmocka_unit_test(test_snapshot_then_stale_events),
		cmocka_unit_test(test_exec_then_exit),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_user_buckets_and_shares),
		cmocka_unit_test(test_limit_set_before_seen),
		cmocka_unit_test(test_pending_limit_apart_from_start_0),
		cmocka_unit_test(test_rdma_region_pinned),
		cmocka_unit_test(test_mcl_future_mmaps),
		cmocka_unit_test(test_unstreamed_mlock_caught_up),
		cmocka_unit_test(test_unstreamed_refusal_after_snapshot),
		cmocka_unit_test(test_failures_are_kept),
		cmocka_unit_test(test_failure_sources_at_refusal),
		cmocka_unit_test(test_infer_preexisting),
		cmocka_unit_test(test_reconcile_drift),
		cmocka_unit_test(test_forget_exited),
		cmocka_unit_test(test_device_memory),
		cmocka_unit_test(test_run_tree_membership),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
