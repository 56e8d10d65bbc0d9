// SPDX-License-Identifier: GPL-2.0
/*
 * Precise tier, the per-user counters: SysV SHM_LOCK and io_uring's
 * user->locked_vm. See precise.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "precise.bpf.h"

/* ---- SysV SHM_LOCK: user_shm_lock(size, ucounts) returns 1 if allowed ---- */

SEC("kprobe/user_shm_lock")
int BPF_KPROBE(kprobe_user_shm_lock, __u64 size)
{
	struct mla_kctx *k = kctx_enter(MLA_KF_USER_SHM_LOCK, MLA_SRC_SHM);

	if (k)
		k->arg = size;
	return 0;
}

SEC("kretprobe/user_shm_lock")
int BPF_KRETPROBE(kretprobe_user_shm_lock, int allowed)
{
	struct mla_kctx *k = kctx_get();
	struct mla_cause c;

	if (!k)
		return 0;
	kctx_cause(&c, k);
	if (!allowed) {
		struct task_struct *task = (void *)bpf_get_current_task();

		precise_failure(k, MLA_USER_SHM, -MLA_ENOMEM,
				task_shm_locked(task),
				(k->arg + 4095) >> MLA_PAGE_SHIFT, 0, false);
	} else {
		observe_user(&c);
	}
	kctx_leave(k);
	return 0;
}

/* ---- io_uring: __io_account_mem(user, nr_pages), global since 6.1 ------ */

SEC("kprobe/__io_account_mem")
int BPF_KPROBE(kprobe_io_account_mem, struct user_struct *user,
	       unsigned long nr_pages)
{
	struct mla_kctx *k =
		kctx_enter(MLA_KF_IO_ACCOUNT_MEM, MLA_SRC_IO_URING);

	if (k)
		k->arg = nr_pages;
	return 0;
}

SEC("kretprobe/__io_account_mem")
int BPF_KRETPROBE(kretprobe_io_account_mem, int ret)
{
	struct mla_kctx *k = kctx_get();
	struct mla_cause c;

	if (!k)
		return 0;
	kctx_cause(&c, k);
	if (ret == -MLA_ENOMEM) {
		struct task_struct *task = (void *)bpf_get_current_task();

		precise_failure(k, MLA_USER_LOCKED, ret,
				user_locked_vm(BPF_CORE_READ(task, cred, user)),
				k->arg, 0, false);
	} else {
		observe_user(&c);
	}
	kctx_leave(k);
	return 0;
}
