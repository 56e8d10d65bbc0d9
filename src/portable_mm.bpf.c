// SPDX-License-Identifier: GPL-2.0
/*
 * Portable tier, the life of an mm and of run's processes: the mmap write
 * lock's release (where locked_vm changes are seen in order), exit_mmap,
 * fork, exec and free.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "portable.bpf.h"

/*
 * @mm is a BTF pointer (tp_btf): the counters are plain loads, the cheapest
 * reads there are, on the hottest hook (every mmap write lock released).
 */
static __always_inline int mmap_write_released(struct mm_struct *mm)
{
	struct mla_released r = {
		.mm = (__u64)mm,
		.locked = mm->locked_vm,
		.pinned = mm->pinned_vm.counter,
	};

	return mla_observe_released(&r);
}

SEC("tp_btf/mmap_lock_released")
int BPF_PROG(mmap_lock_released, struct mm_struct *mm, bool write)
{
	return write ? mmap_write_released(mm) : 0;
}

/*
 * Until 6.10 the tracepoint also passed the memcg path (commit "mm:
 * mmap_lock: replace get_memcg_path_buf() with on-stack buffer" and its
 * successors dropped it); the frontend picks the flavour from BTF.
 */
SEC("tp_btf/mmap_lock_released")
int BPF_PROG(mmap_lock_released_memcg, struct mm_struct *mm,
	     const char *memcg_path, bool write)
{
	return write ? mmap_write_released(mm) : 0;
}

/*
 * The mm is going away: keep its last state in the dead map for the
 * frontend, with the kernel's own final values beside ours.
 */
SEC("raw_tp/exit_mmap")
int BPF_PROG(exit_mmap, struct mm_struct *btf_mm)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mm_struct *mm = as_number(btf_mm);
	__u64 key = (__u64)mm;
	struct mla_mm_stat *st;
	struct mla_event *e;
	void *cur_mm;

	if (!hint_maybe_tracked(key))
		return 0;
	st = bpf_map_lookup_elem(&mms, &key);
	if (!st)
		return 0;
	st->truth[MLA_LOCKED_VM] = mm_locked_vm(mm);
	st->truth[MLA_PINNED_VM] = mm_pinned_vm(mm);
	/* exec has already switched current to its new mm */
	cur_mm = BPF_CORE_READ(task, mm);
	st->gone = (cur_mm && cur_mm != (void *)mm &&
		    BPF_CORE_READ(task, tgid) == st->tgid) ?
			   MLA_CAUSE_EXEC :
			   MLA_CAUSE_EXIT;
	map_insert(&dead, &st->id, st, &stats.dropped_dead);
	if (stat_wanted(st)) {
		e = event_new(MLA_EV_MM_GONE);
		if (e) {
			event_owner(e, st);
			e->cause = st->gone;
			e->value = st->truth[MLA_LOCKED_VM];
			e->ctx[0] = st->truth[MLA_PINNED_VM];
			event_submit(e);
		}
	}
	if (!bpf_map_delete_elem(&mms, &key))
		hint_add(key, -1);
	return 0;
}

/* run mode: the frontend learns a process of the tree, and its name */
static __always_inline void emit_process(struct task_struct *task,
					 __u32 cur_tgid)
{
	struct mla_event *e = event_new(MLA_EV_PROCESS);

	if (!e)
		return;
	e->tgid = BPF_CORE_READ(task, tgid);
	e->cur_tgid = cur_tgid;
	e->start_ns = task_start_ns(task);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm),
				  BPF_CORE_READ(task, comm));
	event_submit(e);
}

/* run mode: follow the traced command's descendants */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent,
	     struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u64 start = task_start_ns(child);

	if (ptgid == ctgid || !tree_entry(ptgid, task_start_ns(parent)))
		return 0;
	bpf_map_update_elem(&tree, &ctgid, &start, BPF_ANY);
	emit_process(child, ptgid);
	return 0;
}

/*
 * run mode: a process of the tree ran a new program. Its name changes
 * (comm is set before this tracepoint): say so, or the report would show
 * a child that never charged anything under its parent's name.
 */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 started = task_start_ns(task);
	__u64 *start = tree_entry(tgid, started);

	if (!start)
		return 0;
	if (!*start) /* the command's exec: known by its start from now on */
		*start = started;
	emit_process(task, tgid);
	return 0;
}

/*
 * run mode: a process of the tree is reaped (its leader, the last of its
 * threads, is freed). Its entry goes: the map holds the living (--max-procs
 * of them), not every process the command ever ran. Not at its exit:
 * closing its files (a VFIO container) still charges and uncharges after
 * that, and its mm may go after it (MLA_MM_IN_TREE keeps their events).
 */
SEC("raw_tp/sched_process_free")
int BPF_PROG(sched_process_free, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (BPF_CORE_READ(task, pid) != tgid)
		return 0;
	if (tree_entry(tgid, task_start_ns(task)))
		bpf_map_delete_elem(&tree, &tgid);
	return 0;
}
