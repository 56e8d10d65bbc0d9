/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout shared by the BPF programs and the frontend: map values and the
 * ring-buffer event. Everything here is in pages unless the name says
 * otherwise; the frontend converts to KiB for display.
 */
#ifndef MEMLOCKACCT_H
#define MEMLOCKACCT_H

#define MLA_COMM_LEN 16
/* Map sizes; the frontend can resize mms and dead (--max-procs). */
#define MLA_MAX_MMS 16384 /* processes holding something at one time */
#define MLA_MAX_USERS 4096
#define MLA_MAX_DEAD 4096 /* exited mms between two harvests */
#define MLA_MAX_TREE 16384
#define MLA_MAX_TASKS 4096 /* tasks inside a probed kernel function */
#define MLA_RINGBUF_BYTES (4 << 20)
/* wake the frontend early when this much is waiting (it polls every 50 ms) */
#define MLA_WAKEUP_BYTES (MLA_RINGBUF_BYTES / 8)

/* The four kernel counters that are each compared with RLIMIT_MEMLOCK. */
enum mla_counter {
	MLA_LOCKED_VM,	 /* mm->locked_vm, VmLck */
	MLA_PINNED_VM,	 /* mm->pinned_vm, VmPin */
	MLA_USER_LOCKED, /* user_struct->locked_vm, per uid */
	MLA_USER_SHM,	 /* SHM_LOCK ucounts (or user->locked_shm), per uid */
	MLA_NR_COUNTERS,
};
#define MLA_NR_MM_COUNTERS 2
#define MLA_NR_USER_COUNTERS 2

/*
 * The subsystem that owns a charge, and its name in output and JSON (the
 * man page's SOURCE entry lists them; test_names checks it does). Order
 * is ABI for record files.
 */
#define MLA_SOURCES(X)                                                         \
	X(PREEXISTING, "preexisting") /* held before the tool started */       \
	X(MLOCK, "mlock") /* mlock*, MAP_LOCKED, mlockall, locked brk/stack */ \
	X(VFIO, "vfio")                                                        \
	X(IOMMUFD, "iommufd")                                                  \
	X(RDMA, "rdma")                                                        \
	X(IO_URING, "io_uring")                                                \
	X(PERF, "perf")                                                        \
	X(VDPA, "vdpa")                                                        \
	X(SHM, "shm")                                                          \
	X(OTHER, "other")

enum mla_source {
#define MLA_X(id, name) MLA_SRC_##id,
	MLA_SOURCES(MLA_X)
#undef MLA_X
	MLA_NR_SOURCES,
};

/* Where the change was observed; with nr/cmd it names the cause. */
enum mla_cause_kind {
	MLA_CAUSE_NONE,
	MLA_CAUSE_SYSCALL, /* nr = syscall number, cmd = ioctl/shmctl/... op */
	MLA_CAUSE_FAULT,   /* page fault: a VM_LOCKED stack growing */
	MLA_CAUSE_FOREIGN, /* another task's context (nr = its syscall) */
	MLA_CAUSE_KTHREAD, /* kernel thread or worker */
	MLA_CAUSE_EXEC,	   /* the old mm went away at exec */
	MLA_CAUSE_EXIT,	   /* the mm went away at exit */
	MLA_CAUSE_KFUNC,   /* precise tier: nr = enum mla_kfunc */
	MLA_CAUSE_BASELINE,
	MLA_CAUSE_RESYNC,  /* found by the periodic resync, cause unknown */
};

/*
 * Precise-tier functions, for MLA_CAUSE_KFUNC and failure checks: the id,
 * the name causes show, and the check of explain.c that a refusal there
 * is explained by (its r_<check> rule). Order is ABI for record files.
 */
#define MLA_KFUNCS(X)                                                         \
	X(NONE, "kernel", account)                                            \
	X(ACCOUNT_LOCKED_VM, "__account_locked_vm", account) /* +wrapper */   \
	X(VFIO_LOCK_ACCT, "vfio_lock_acct", account)                          \
	X(MM_LOCK_ACCT, "mm_lock_acct", account)                              \
	X(VFIO_PIN_REMOTE, "vfio_pin_pages_remote", vfio_pre) /* pre-check */ \
	X(USER_SHM_LOCK, "user_shm_lock", shm)                                \
	X(IO_ACCOUNT_MEM, "__io_account_mem", io_uring)                       \
	X(IB_UMEM, "ib_umem_get", ib_umem)                                    \
	X(IB_UMEM_RELEASE, "ib_umem_release", ib_umem)

enum mla_kfunc {
#define MLA_X(id, name, check) MLA_KF_##id,
	MLA_KFUNCS(MLA_X)
#undef MLA_X
	MLA_NR_KFUNCS,
};

enum mla_event_type {
	MLA_EV_CHANGE,	/* a counter moved */
	MLA_EV_FAILURE, /* a charge was refused */
	MLA_EV_MM_GONE, /* exit_mmap: final values are in the dead map */
	MLA_EV_RANGE, /* a syscall that may change VM_LOCKED ranges completed */
	MLA_EV_PROCESS, /* a traced process was forked (run mode) */
	MLA_EV_LIMIT,	/* RLIMIT_MEMLOCK set (or refused): tgid the target */
};

/* Event flags. */
#define MLA_F_CAP_IPC_LOCK (1u << 0) /* the task had CAP_IPC_LOCK */
#define MLA_F_LOCK_CAP (1u << 1)     /* VFIO dma->lock_cap */
#define MLA_F_ASYNC (1u << 2)	     /* VFIO async accounting */
#define MLA_F_DEF_LOCKED (1u << 3)   /* mm->def_flags has VM_LOCKED */
#define MLA_F_NEW_MM (1u << 4)	     /* first sight of this mm */
#define MLA_F_VFIO_CTX (1u << 5)     /* ctx[] holds vfio_dma fields */
#define MLA_F_HAS_LIMIT (1u << 6)    /* limit_cur/max are the owner's */
/*
 * Aggregate mode (top, report): changes of this mm before this event were
 * not sent. Each was mlock's, to locked_vm, while nothing but mlock (and
 * what predates the tool) held its locked_vm and pinned_vm was 0; its
 * VM_LOCKED ranges must be read from smaps.
 */
#define MLA_F_UNSTREAMED (1u << 7)
/* MLA_EV_LIMIT: ctx[0], ctx[1] hold the limit it replaced (prlimit64) */
#define MLA_F_OLD_LIMIT (1u << 8)
/* MLA_EV_RANGE of a VFIO map: its vaddr is device memory (VM_IO, VM_PFNMAP) */
#define MLA_F_DEVICE_MEM (1u << 9)
/*
 * ... or the BPF side could not tell (no bpf_find_vma before 5.17; the
 * mmap_lock contended): the frontend settles it from smaps' VmFlags
 */
#define MLA_F_DEVICE_UNSURE (1u << 10)

/* struct mla_mm_stat.flags and mla_user_stat.flags */
#define MLA_MM_SEEDED (1u << 0)	 /* created by the start-up iterator */
#define MLA_PENDING(counter) (2u << (counter)) /* pending[counter] is set */
/* aggregate mode: a change was not streamed since the last event (above) */
#define MLA_MM_UNSTREAMED (1u << 5)
/* run: its process is one of the command's (it may be reaped before the mm) */
#define MLA_MM_IN_TREE (1u << 6)

/*
 * A frontend that applies events and also reads this map skips an event
 * whose seq it has already seen in a snapshot, so nothing counts twice.
 *
 * Per-mm totals, keyed by the mm_struct address while the mm lives. They are
 * kept in the map, not rebuilt from events, so totals stay exact if the ring
 * buffer overflows. At exit_mmap the entry moves to the dead map under its
 * id, which never repeats (an mm address does).
 */
struct mla_mm_stat {
	__u64 id;
	__u64 seq;	/* bumped by every change; events carry it */
	__u64 start_ns; /* owner's start_boottime: with tgid, the process */
	__u64 first_ns;
	__u64 seen[MLA_NR_MM_COUNTERS]; /* last observed value */
	__u64 peak[MLA_NR_MM_COUNTERS];
	__u64 truth[MLA_NR_MM_COUNTERS]; /* kernel value at exit_mmap */
	__u64 pending[MLA_NR_MM_COUNTERS]; /* resync: value awaiting a 2nd look */
	__u64 pending_pass[MLA_NR_MM_COUNTERS]; /* ... seen by this pass */
	__s64 by_src[MLA_NR_MM_COUNTERS][MLA_NR_SOURCES];
	/* this process's share of the per-user buckets */
	__s64 user_by_src[MLA_NR_USER_COUNTERS][MLA_NR_SOURCES];
	__s64 user_total[MLA_NR_USER_COUNTERS]; /* sum of user_by_src rows */
	__u64 user_peak[MLA_NR_USER_COUNTERS];
	__u32 tgid;
	__u32 uid;
	__u32 flags;
	__u32 gone; /* 0 alive, else MLA_CAUSE_EXEC / MLA_CAUSE_EXIT */
	char comm[MLA_COMM_LEN];
};

struct mla_user_stat {
	__u64 seq;
	__u64 pending[MLA_NR_USER_COUNTERS];
	__u64 pending_pass[MLA_NR_USER_COUNTERS];
	__u32 flags;
	__u32 pad;
	__u64 seen[MLA_NR_USER_COUNTERS];
	__u64 peak[MLA_NR_USER_COUNTERS];
	__s64 by_src[MLA_NR_USER_COUNTERS][MLA_NR_SOURCES];
};

/* Global counters, in the BPF program's .bss. */
struct mla_stats {
	__u64 lost_events;   /* ring buffer full */
	__u64 dropped_mms;   /* mms map full: that mm is not tracked */
	__u64 dropped_users; /* users map full */
	__u64 dropped_dead;  /* dead map full: a final value was lost */
	__u64 busy;	     /* map bucket busy (nested program): retried */
	__u64 events;
	__u64 next_id;
	__u64 resync_pass; /* bumped by the frontend before each resync */
	__u64 walk_lost;   /* VFIO mappings the start-up walk could not keep */
};

/* A VFIO mapping found by the start-up walk of open containers. */
struct mla_vfio_map {
	__u64 mm;	 /* the mm it is charged to */
	__u64 container; /* the container's struct file */
	__u64 dma;	 /* struct vfio_dma *, as precise events name it */
	__u64 iova, vaddr, size; /* bytes */
	__u64 locked;	 /* pages it charged */
	__u64 start_ns;	 /* of the process holding the container */
	__u32 tgid;
	__u32 lock_cap;
};

struct mla_event {
	__u64 ts_ns;
	__u64 mm_id;	/* mla_mm_stat.id of the mm charged, 0 for none */
	__u64 start_ns; /* owner process identity, with tgid */
	__u32 tgid;	/* owner of the mm charged (not always current) */
	__u32 pid;	/* task that ran the operation */
	__u32 cur_tgid;
	__u32 uid;
	__u8 type;    /* enum mla_event_type */
	__u8 counter; /* enum mla_counter */
	__u8 source;  /* enum mla_source */
	__u8 cause;   /* enum mla_cause_kind */
	__u32 nr;     /* syscall number or enum mla_kfunc */
	__u64 cmd;    /* ioctl request, shmctl op, io_uring opcode, ... */
	__s64 delta;  /* pages; signed */
	__u64 value;  /* pages, after the change (failure: before) */
	__u64 limit_cur; /* RLIMIT_MEMLOCK that applied, bytes */
	__u64 limit_max;
	__u64 request;	 /* failure: pages asked for */
	__s32 ret;	 /* syscall or function return (failures) */
	__u32 flags;	 /* MLA_F_* */
	__u64 args[4];	 /* syscall arguments (address, length, flags...) */
	__u64 ctx[3];	 /* VFIO: iova, vaddr, size */
	__u64 other[MLA_NR_COUNTERS]; /* all counters at the time, pages */
	__u64 obj;	/* the object charged: VFIO dma or container file */
	__u64 seq;	/* mla_mm_stat.seq after this change */
	__u64 useq;	/* mla_user_stat.seq after this change */
	char comm[MLA_COMM_LEN];
};

#endif /* MEMLOCKACCT_H */
