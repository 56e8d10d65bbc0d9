/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and globals shared by the BPF objects that are linked into one
 * skeleton. observe.bpf.c defines them (MLA_OWNER); the others see externs.
 */
#ifndef MLA_MAPS_BPF_H
#define MLA_MAPS_BPF_H

#include "memlockacct.h"

#ifdef MLA_OWNER
#define MLA_DECL
#define MLA_RODATA(type, name, init) const volatile type name = init
#else
#define MLA_DECL extern
#define MLA_RODATA(type, name, init) extern const volatile type name
#endif

/* Live mms, by mm_struct address. */
MLA_DECL struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MLA_MAX_MMS);
	__type(key, __u64);
	__type(value, struct mla_mm_stat);
} mms SEC(".maps");

/* Mms that went away, by id, until the frontend harvests them. */
MLA_DECL struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MLA_MAX_DEAD);
	__type(key, __u64);
	__type(value, struct mla_mm_stat);
} dead SEC(".maps");

MLA_DECL struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MLA_MAX_USERS);
	__type(key, __u32);
	__type(value, struct mla_user_stat);
} users SEC(".maps");

MLA_DECL struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MLA_RINGBUF_BYTES);
} events SEC(".maps");

/* Processes whose events are wanted (-p, run); tgid -> start_boottime. */
MLA_DECL struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MLA_MAX_TREE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} tree SEC(".maps");

MLA_DECL struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/*
 * Fast-path hints, so a process that locks nothing costs an array load and
 * no hash lookup: how many tracked mms hash to each slot, and each slot's
 * last seen per-user values.
 */
#define MLA_HINT_SLOTS 4096
MLA_DECL struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MLA_HINT_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} mm_hint SEC(".maps");

struct mla_user_hint {
	__u32 uid;
	__u32 valid;
	__u64 seen[MLA_NR_USER_COUNTERS];
};

MLA_DECL struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct mla_user_hint);
} user_hint SEC(".maps");

/* Too big for the 512-byte stack: new entries are built here. */
MLA_DECL struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mla_mm_stat);
} scratch SEC(".maps");

/*
 * Precise tier: what the current task is doing inside the kernel. Probes
 * nest (vfio_pin_pages_remote -> vfio_lock_acct -> __account_locked_vm), so
 * each keeps its own saved arguments here. An entry with depth 0 is idle:
 * it stays for the task's next call (a VFIO map makes one call per 2-8 MiB,
 * and an insert and a delete each time cost more than its probes' work);
 * the LRU drops the entries of tasks gone.
 *
 * vfio_pin_pages_remote has an entry probe only: what it records is a
 * "batch" frame, kept with depth 0 until the ioctl returns (sys_exit_ioctl
 * ends it), so the probes inside it and its next call find it there.
 */
/*
 * Aggregate mode: a VFIO map's charges, one a physically contiguous run,
 * summed into one change event sent when the ioctl returns (or when a
 * charge of another dma, mm or sign comes first). What the event would
 * have said: the sum of the deltas and the value of the last; by_src and
 * the seq in mms move when it is sent.
 */
struct mla_pending {
	__u64 mm;
	__u64 dma;
	__u64 ctx[3]; /* iova, vaddr; [2] + delta pages: the last run's end */
	__s64 delta;
	__u64 value;
	__u32 kfunc;
	__u32 flags;
	__u8 source;
	__u8 valid;
	__u8 pad[6];
};

struct mla_kctx {
	__u64 mm;	/* the mm being charged (VFIO: dma->mm) */
	__u64 ctx[3];	/* vfio_dma: iova, vaddr, size */
	/* vfio_pin_pages_remote, at the first run of a dma: for a refusal */
	__u64 pin_limit; /* the rlimit, in pages */
	__u64 pin_npage; /* all the map asks for */
	__u64 pin_locked; /* current->mm's locked_vm, which its pre-check reads */
	__u64 pin_dma;
	__u64 pin_ctx[3];
	__u32 pin_flags;
	__u32 pin_pad;
	__u64 acct_mm;	 /* __account_locked_vm arguments */
	__u64 acct_pages;
	__u64 acct_task;
	__u64 arg;	 /* user_shm_lock size, __io_account_mem pages */
	__u64 dma;	 /* struct vfio_dma *, the mapping charged */
	__u32 kfunc;	 /* enum mla_kfunc of the outermost probe */
	__u32 flags;	 /* MLA_F_* */
	__u8 source;
	__u8 depth;
	__u8 failed;	 /* a refusal was already reported in this call */
	__u8 acct_inc;
	__u8 acct_bypass;
	__u8 observed;	 /* the inner __account_locked_vm probe saw the charge */
	__u8 batch;	 /* a vfio_pin_pages_remote frame is open (see above) */
	__u8 pad;
	struct mla_pending pend; /* aggregate mode, in a batch frame */
};

MLA_DECL struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MLA_MAX_TASKS);
	__type(key, __u32);
	__type(value, struct mla_kctx);
} kctx SEC(".maps");

/* Per-task: a failure already explained by the precise tier in this syscall. */
MLA_DECL struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MLA_MAX_TASKS);
	__type(key, __u32);
	__type(value, __u8);
} failed_tids SEC(".maps");

MLA_DECL struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mla_user_stat);
} scratch_user SEC(".maps");

/* Configuration, set by the frontend between open and load. */
MLA_RODATA(__u32, filter_tree, 0);   /* only processes in the tree map */
MLA_RODATA(__u32, filter_cgroup, 0); /* only tasks in cgroup_filter */
MLA_RODATA(__u32, precise, 0);	     /* kctx is maintained */
MLA_RODATA(__u32, lazy_baseline, 0); /* no start-up iterator ran */
MLA_RODATA(__u64, tool_start_ns, 0); /* boottime ns when tracing began */
/*
 * top and report without --events or --record: no change events for an mm
 * that only mlock charges (the maps hold its totals, smaps its ranges).
 */
MLA_RODATA(__u32, aggregate, 0);
/* VFIO maps' device memory from smaps only, as before 5.17 (the tests') */
MLA_RODATA(__u32, device_by_smaps, 0);

#ifdef MLA_OWNER
struct mla_stats stats = {};
__u32 drop_errno; /* of the last insert counted in stats.dropped_* */
#else
extern struct mla_stats stats;
extern __u32 drop_errno;
#endif

#endif /* MLA_MAPS_BPF_H */
