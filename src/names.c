// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include <linux/types.h>
#include "memlockacct.h"
#include "names.h"
#include "syscall_nrs.h"

/* The BPF side's copies of the syscall numbers must match libc's. */
_Static_assert(MLA_NR_mlock == SYS_mlock, "syscall numbers");
_Static_assert(MLA_NR_mlock2 == SYS_mlock2, "syscall numbers");
_Static_assert(MLA_NR_mmap == SYS_mmap, "syscall numbers");
_Static_assert(MLA_NR_ioctl == SYS_ioctl, "syscall numbers");
_Static_assert(MLA_NR_io_uring_register == SYS_io_uring_register,
	       "syscall numbers");

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const counters[MLA_NR_COUNTERS] = {
	[MLA_LOCKED_VM] = "locked_vm",
	[MLA_PINNED_VM] = "pinned_vm",
	[MLA_USER_LOCKED] = "user_locked_vm",
	[MLA_USER_SHM] = "user_shm_locked",
};

static const char *const sources[MLA_NR_SOURCES] = {
	[MLA_SRC_PREEXISTING] = "preexisting",
	[MLA_SRC_MLOCK] = "mlock",
	[MLA_SRC_VFIO] = "vfio",
	[MLA_SRC_IOMMUFD] = "iommufd",
	[MLA_SRC_RDMA] = "rdma",
	[MLA_SRC_IO_URING] = "io_uring",
	[MLA_SRC_PERF] = "perf",
	[MLA_SRC_VDPA] = "vdpa",
	[MLA_SRC_SHM] = "shm",
	[MLA_SRC_OTHER] = "other",
};

static const char *const kfuncs[MLA_NR_KFUNCS] = {
	[MLA_KF_NONE] = "kernel",
	[MLA_KF_ACCOUNT_LOCKED_VM] = "__account_locked_vm",
	[MLA_KF_VFIO_LOCK_ACCT] = "vfio_lock_acct",
	[MLA_KF_MM_LOCK_ACCT] = "mm_lock_acct",
	[MLA_KF_VFIO_PIN_REMOTE] = "vfio_pin_pages_remote",
	[MLA_KF_USER_SHM_LOCK] = "user_shm_lock",
	[MLA_KF_IO_ACCOUNT_MEM] = "__io_account_mem",
	[MLA_KF_IB_UMEM] = "ib_umem_get",
};

const char *counter_name(unsigned int counter)
{
	return counter < ARRAY_SIZE(counters) ? counters[counter] : "?";
}

const char *source_name(unsigned int source)
{
	return source < ARRAY_SIZE(sources) ? sources[source] : "other";
}

int source_by_name(const char *name)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(sources); i++)
		if (!strcmp(sources[i], name))
			return i;
	return -1;
}

const char *kfunc_name(unsigned int kfunc)
{
	return kfunc < ARRAY_SIZE(kfuncs) ? kfuncs[kfunc] : "kernel";
}

static const struct {
	unsigned int nr;
	const char *name;
} syscalls[] = {
	{ SYS_close, "close" },
	{ SYS_mmap, "mmap" },
	{ SYS_munmap, "munmap" },
	{ SYS_brk, "brk" },
	{ SYS_ioctl, "ioctl" },
	{ SYS_mremap, "mremap" },
	{ SYS_shmget, "shmget" },
	{ SYS_shmctl, "shmctl" },
	{ SYS_shmdt, "shmdt" },
	{ SYS_exit, "exit" },
	{ SYS_exit_group, "exit_group" },
	{ SYS_execve, "execve" },
	{ SYS_execveat, "execveat" },
	{ SYS_mlock, "mlock" },
	{ SYS_munlock, "munlock" },
	{ SYS_mlockall, "mlockall" },
	{ SYS_munlockall, "munlockall" },
	{ SYS_mlock2, "mlock2" },
	{ SYS_mprotect, "mprotect" },
	{ SYS_madvise, "madvise" },
	{ SYS_write, "write" },
	{ SYS_setsockopt, "setsockopt" },
	{ SYS_perf_event_open, "perf_event_open" },
	{ SYS_io_uring_setup, "io_uring_setup" },
	{ SYS_io_uring_enter, "io_uring_enter" },
	{ SYS_io_uring_register, "io_uring_register" },
};

const char *syscall_name(unsigned int nr)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(syscalls); i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].name;
	return NULL;
}

static const struct {
	uint32_t cmd;
	const char *name;
} ioctls[] = {
	{ 0x3b66, "VFIO_SET_IOMMU" },
	{ 0x3b68, "VFIO_GROUP_SET_CONTAINER" },
	{ 0x3b69, "VFIO_GROUP_UNSET_CONTAINER" },
	{ 0x3b71, "VFIO_IOMMU_MAP_DMA" },
	{ 0x3b72, "VFIO_IOMMU_UNMAP_DMA" },
	{ 0x3b85, "IOMMU_IOAS_MAP" },
	{ 0x3b86, "IOMMU_IOAS_UNMAP" },
	{ 0x3b87, "IOMMU_OPTION" },
	{ 0x1b01, "RDMA_VERBS_IOCTL" },
};

static const char *ioctl_name(uint64_t cmd)
{
	uint32_t short_cmd = cmd & 0xffff;

	for (unsigned int i = 0; i < ARRAY_SIZE(ioctls); i++)
		if (ioctls[i].cmd == short_cmd)
			return ioctls[i].name;
	return NULL;
}

const char *errno_name(int err)
{
	/* (unsigned): -INT_MIN is undefined, and a record file may hold it */
	switch (err < 0 ? -(unsigned int)err : (unsigned int)err) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case ENOSPC: return "ENOSPC";
	case ENOBUFS: return "ENOBUFS";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EINTR: return "EINTR";
	case ESRCH: return "ESRCH";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	}
	return "errno";
}

static const char *syscall_cause(unsigned int nr, uint64_t cmd, char *buf,
				 size_t len)
{
	const char *name = syscall_name(nr);

	if (nr == SYS_ioctl) {
		const char *ioc = ioctl_name(cmd);

		if (ioc)
			return ioc;
		snprintf(buf, len, "ioctl(0x%llx)", (unsigned long long)cmd);
		return buf;
	}
	if (nr == SYS_shmctl && (cmd == 11 || cmd == 12))
		return cmd == 11 ? "SHM_LOCK" : "SHM_UNLOCK";
	if (nr == SYS_io_uring_register && cmd == 0)
		return "IORING_REGISTER_BUFFERS";
	if (nr == SYS_io_uring_register && cmd == 1)
		return "IORING_UNREGISTER_BUFFERS";
	if (name)
		return name;
	snprintf(buf, len, "syscall %u", nr);
	return buf;
}

const char *cause_str(unsigned int kind, unsigned int nr, uint64_t cmd,
		      char *buf, size_t len)
{
	char tmp[48];
	const char *s;

	switch (kind) {
	case MLA_CAUSE_SYSCALL:
		s = syscall_cause(nr, cmd, buf, len);
		if (s != buf)
			snprintf(buf, len, "%s", s);
		break;
	case MLA_CAUSE_FOREIGN:
		s = nr ? syscall_cause(nr, cmd, tmp, sizeof(tmp)) : "fault";
		snprintf(buf, len, "%s (other task)", s);
		break;
	case MLA_CAUSE_FAULT:
		snprintf(buf, len, "fault (stack growth)");
		break;
	case MLA_CAUSE_KTHREAD:
		snprintf(buf, len, "kernel thread");
		break;
	case MLA_CAUSE_EXEC:
		snprintf(buf, len, "exec");
		break;
	case MLA_CAUSE_EXIT:
		snprintf(buf, len, "exit");
		break;
	case MLA_CAUSE_KFUNC:
		snprintf(buf, len, "%s", kfunc_name(nr));
		break;
	case MLA_CAUSE_BASELINE:
		snprintf(buf, len, "baseline");
		break;
	case MLA_CAUSE_RESYNC:
		snprintf(buf, len, "resync (changed where no hook sees)");
		break;
	default:
		snprintf(buf, len, "unknown");
	}
	return buf;
}
