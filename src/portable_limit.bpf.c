// SPDX-License-Identifier: GPL-2.0
/*
 * Portable tier, who sets RLIMIT_MEMLOCK: prlimit64 (glibc's setrlimit
 * too) and setrlimit. One event for each set, or refused set, of that
 * resource: the caller, the target, the new and (prlimit64's) old values.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "portable.bpf.h"

struct mla_rlimit64 {
	__u64 cur;
	__u64 max;
};

static __always_inline int limit_exit(long ret, __u32 nr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct mla_rlimit64 lim = {}, old = {};
	__u64 resource, newp, oldp = 0;
	struct mla_cause c;
	struct mla_event *e;
	__u32 target;

	cause_syscall(&c, nr);
	if (nr == MLA_NR_prlimit64) {
		target = c.args[0];
		resource = c.args[1];
		newp = c.args[2];
		oldp = c.args[3];
	} else {
		target = 0;
		resource = c.args[0];
		newp = c.args[1];
	}
	if (resource != MLA_RLIMIT_MEMLOCK || !newp)
		return 0; /* a read of the limit changes nothing */
	if (!target)
		target = tgid;
	if (!event_wanted(target) && !event_wanted(tgid))
		return 0;
	bpf_probe_read_user(&lim, sizeof(lim), (void *)newp);
	e = event_new(MLA_EV_LIMIT);
	if (!e)
		return 0;
	e->tgid = target;
	/* the target's start is known here only when it is the caller */
	if (target == tgid)
		e->start_ns = task_start_ns(task);
	e->uid = task_uid(task);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	event_cause(e, &c);
	e->ret = ret;
	e->limit_cur = lim.cur;
	e->limit_max = lim.max;
	if (oldp && ret == 0 &&
	    !bpf_probe_read_user(&old, sizeof(old), (void *)oldp)) {
		e->ctx[0] = old.cur;
		e->ctx[1] = old.max;
		e->flags |= MLA_F_OLD_LIMIT;
	}
	event_submit(e);
	return 0;
}

MLA_SYSCALL_EXIT(prlimit64, limit_exit(ret, MLA_NR_prlimit64))

MLA_SYSCALL_EXIT(setrlimit, limit_exit(ret, MLA_NR_setrlimit))
