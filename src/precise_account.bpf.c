// SPDX-License-Identifier: GPL-2.0
/*
 * Precise tier, mm/util.c: __account_locked_vm and account_locked_vm, the
 * exported charge of mm->locked_vm that VFIO type1, iommufd's per-mm mode,
 * VFIO SPAPR and FPGA DFL call. See precise.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "precise.bpf.h"

/*
 * Shared by the fexit and kretprobe flavours: @r the mm charged and its
 * counters now. @task is whose rlimit applied (VFIO passes dma->task,
 * which may not be current).
 */
static __always_inline void
account_done(struct mla_kctx *k, const struct mla_released *r, __u64 pages,
	     bool inc, struct task_struct *task, bool bypass, long ret)
{
	struct mla_kept kept = {};
	struct mla_cause c;
	__u64 limit_cur = 0, limit_max = 0;

	if (!k)
		return;
	/* in the kctx, so that a refusal's event names it too */
	if (k->source == MLA_SRC_OTHER)
		k->source = syscall_source();
	kctx_cause(&c, k);
	if (ret == -MLA_ENOMEM && inc) {
		if (task)
			task_memlock_rlimit(task, &limit_cur, &limit_max);
		precise_failure(k, MLA_LOCKED_VM, ret, r->locked, pages,
				limit_cur >> MLA_PAGE_SHIFT, task != NULL);
		return;
	}
	if (bypass)
		c.flags |= MLA_F_LOCK_CAP;
	/*
	 * report and top need totals, which the maps hold: a VFIO map's runs
	 * (up to 512 a GiB) make one event, not one each (BENCHMARKS.md,
	 * workload 4)
	 */
	kept.want = aggregate && k->batch;
	mla_observe_mm_read(r, &c, &kept);
	if (kept.valid)
		pend_add(k, &c, r->mm, &kept);
	k->observed = 1;
}

SEC("fexit/__account_locked_vm")
int BPF_PROG(fexit_account_locked_vm_inner, struct mm_struct *mm,
	     unsigned long pages, bool inc, struct task_struct *task,
	     bool bypass_rlim, int ret)
{
	struct mla_kctx *k =
		kctx_enter(MLA_KF_ACCOUNT_LOCKED_VM, MLA_SRC_OTHER);
	struct mla_released r;

	read_btf_mm(&r, mm);

	/* the task is only read for a refusal: launder it only then */
	account_done(k, &r, pages, inc,
		     ret == -MLA_ENOMEM ? as_number(task) : NULL, bypass_rlim,
		     ret);
	kctx_leave(k);
	return 0;
}

SEC("fexit/account_locked_vm")
int BPF_PROG(fexit_account_locked_vm, struct mm_struct *mm, unsigned long pages,
	     bool inc, int ret)
{
	struct mla_kctx *k =
		kctx_enter(MLA_KF_ACCOUNT_LOCKED_VM, MLA_SRC_OTHER);
	struct mla_released r;

	read_btf_mm(&r, mm);

	account_done(k, &r, pages, inc, NULL, false, ret);
	kctx_leave(k);
	return 0;
}

SEC("kprobe/__account_locked_vm")
int BPF_KPROBE(kprobe_account_locked_vm_inner, struct mm_struct *mm,
	       unsigned long pages, bool inc, struct task_struct *task,
	       bool bypass_rlim)
{
	struct mla_kctx *k =
		kctx_enter(MLA_KF_ACCOUNT_LOCKED_VM, MLA_SRC_OTHER);

	if (!k)
		return 0;
	k->acct_mm = (__u64)mm;
	k->acct_pages = pages;
	k->acct_task = (__u64)task;
	k->acct_inc = inc;
	k->acct_bypass = bypass_rlim;
	return 0;
}

SEC("kretprobe/__account_locked_vm")
int BPF_KRETPROBE(kretprobe_account_locked_vm_inner, int ret)
{
	struct mla_kctx *k = kctx_get();
	struct mla_released r;

	if (!k)
		return 0;
	read_mm(&r, k->acct_mm);
	account_done(k, &r, k->acct_pages, k->acct_inc,
		     (struct task_struct *)k->acct_task, k->acct_bypass, ret);
	kctx_leave(k);
	return 0;
}

SEC("kprobe/account_locked_vm")
int BPF_KPROBE(kprobe_account_locked_vm, struct mm_struct *mm,
	       unsigned long pages, bool inc)
{
	struct mla_kctx *k =
		kctx_enter(MLA_KF_ACCOUNT_LOCKED_VM, MLA_SRC_OTHER);

	if (!k)
		return 0;
	k->acct_mm = (__u64)mm;
	k->acct_pages = pages;
	k->acct_task = 0;
	k->acct_inc = inc;
	k->acct_bypass = 0;
	return 0;
}

SEC("kretprobe/account_locked_vm")
int BPF_KRETPROBE(kretprobe_account_locked_vm, int ret)
{
	struct mla_kctx *k = kctx_get();
	struct mla_released r;

	if (!k)
		return 0;
	read_mm(&r, k->acct_mm);
	account_done(k, &r, k->acct_pages, k->acct_inc, NULL, false, ret);
	kctx_leave(k);
	return 0;
}
