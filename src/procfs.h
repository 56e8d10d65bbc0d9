/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc readers. Each file has a parse_* function that takes the text, so
 * the parsers can be unit-tested and fuzzed without a live process.
 * Values are in the unit the kernel prints unless the name says otherwise.
 */
#ifndef MLA_PROCFS_H
#define MLA_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rangeset.h" /* struct mla_range */

struct proc_status {
	uint64_t vmlck_kib;
	uint64_t vmpin_kib;
	uint32_t uid;
	uint32_t tgid;
	bool has_vm; /* kernel threads have no Vm* lines */
	bool cap_ipc_lock; /* in CapEff */
};


int parse_status(const char *text, struct proc_status *st);
/* Field 22 of /proc/PID/stat, in clock ticks since boot. */
int parse_stat_starttime(const char *text, uint64_t *ticks);
/* VM_LOCKED VMAs ("lo" in VmFlags), in address order; caller frees. */
int parse_smaps_locked(const char *text, struct mla_range **ranges,
		       size_t *n);
/* Device memory VMAs ("io" or "pf" in VmFlags: VM_IO, VM_PFNMAP). */
int parse_smaps_device(const char *text, struct mla_range **ranges, size_t *n);
/* "Max locked memory" of /proc/PID/limits, bytes; UINT64_MAX = unlimited. */
int parse_limits_memlock(const char *text, uint64_t *soft, uint64_t *hard);

/* Read a whole /proc file (NUL-terminated); caller frees. */
char *proc_read(pid_t pid, const char *file, size_t *len);

int proc_status(pid_t pid, struct proc_status *st);
int proc_starttime(pid_t pid, uint64_t *ticks);
int proc_locked_ranges(pid_t pid, struct mla_range **ranges, size_t *n);
int proc_device_ranges(pid_t pid, struct mla_range **ranges, size_t *n);
int proc_memlock_limit(pid_t pid, uint64_t *soft, uint64_t *hard);
int proc_comm(pid_t pid, char *buf, size_t len);
/* Does the process hold a VFIO container, group, device or iommufd open? */
bool proc_has_vfio(pid_t pid);
/* How many VFIO groups (/dev/vfio/N) it holds open. */
unsigned int proc_vfio_groups(pid_t pid);
/* The cgroup v2 path in /proc/PID/cgroup's @text; caller frees, NULL: none. */
char *cgroup_v2_path(const char *text);

/* The same process as (tgid, start_boottime ns) from the BPF side? */
bool proc_same_start(pid_t pid, uint64_t start_ns);

/*
 * /proc/PID/cgroup is relative to the reader's cgroup namespace: in a
 * container's own (each one's, under Kubernetes on cgroup v2) another
 * pod's path reads "/../../kubepods.slice/...". Enter PID 1's, so that
 * paths are the host's (PID 1 is the host's init with hostPID). Only the
 * calling thread enters: call it from the one that reads /proc. 1:
 * entered, 0: the same already, -errno: could not.
 */
int proc_host_cgroupns(void);

#endif
