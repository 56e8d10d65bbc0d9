// SPDX-License-Identifier: GPL-2.0
/*
 * Portable tier, the task iterators: the start-up baseline of every mm
 * that already holds memory, and the resync that observes every process
 * from outside.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "portable.bpf.h"

/*
 * Run by the frontend every second and at the end: observe every process
 * and user from outside, which catches what changed where no hook looks
 * (a vhost-vdpa write(), io_uring's teardown in a kworker, ...).
 */
SEC("iter/task")
int resync(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct mla_cause c = { .kind = MLA_CAUSE_RESYNC };
	struct mm_struct *mm;

	if (!task || BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid) ||
	    (BPF_CORE_READ(task, flags) & MLA_PF_KTHREAD))
		return 0;
	task = as_number(task);
	mm = BPF_CORE_READ(task, mm);
	if (mm)
		observe_mm(mm, &c, false);
	mla_observe_user((__u64)task, &c);
	return 0;
}

/*
 * Seed every process that already holds something, so the first report is
 * right and later deltas start from the truth. Runs once, before attach.
 */
SEC("iter/task")
int baseline(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct mm_struct *mm;
	__u64 locked, pinned, key, v[MLA_NR_USER_COUNTERS];
	__u32 uid;

	if (!task || BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid))
		return 0;
	mm = BPF_CORE_READ(task, mm);
	if (mm && !(BPF_CORE_READ(task, flags) & MLA_PF_KTHREAD)) {
		locked = mm_locked_vm(mm);
		pinned = mm_pinned_vm(mm);
		key = (__u64)mm;
		if ((locked || pinned) && !bpf_map_lookup_elem(&mms, &key)) {
			__u32 zero = 0;
			struct mla_mm_stat *st =
				bpf_map_lookup_elem(&scratch, &zero);

			if (st) {
				__builtin_memset(st, 0, sizeof(*st));
				stat_identity(st, task);
				st->seen[MLA_LOCKED_VM] = locked;
				st->seen[MLA_PINNED_VM] = pinned;
				st->peak[MLA_LOCKED_VM] = locked;
				st->peak[MLA_PINNED_VM] = pinned;
				st->by_src[MLA_LOCKED_VM][MLA_SRC_PREEXISTING] =
					locked;
				st->by_src[MLA_PINNED_VM][MLA_SRC_PREEXISTING] =
					pinned;
				st->flags = MLA_MM_SEEDED;
				if (!map_insert(&mms, &key, st,
						&stats.dropped_mms))
					hint_add(key, 1);
			}
		}
	}
	uid = task_uid(task);
	v[0] = user_locked_vm(BPF_CORE_READ(task, cred, user));
	v[1] = task_shm_locked(task);
	if ((v[0] || v[1]) && !bpf_map_lookup_elem(&users, &uid)) {
		struct mla_user_stat us = {};

		for (int i = 0; i < MLA_NR_USER_COUNTERS; i++) {
			us.seen[i] = v[i];
			us.peak[i] = v[i];
			us.by_src[i][MLA_SRC_PREEXISTING] = v[i];
		}
		map_insert(&users, &uid, &us, &stats.dropped_users);
	}
	return 0;
}
