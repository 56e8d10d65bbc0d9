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
_Static_assert(MLA_NR_prlimit64 == SYS_prlimit64, "syscall numbers");
_Static_assert(MLA_NR_setrlimit == SYS_setrlimit, "syscall numbers");
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
#define X(id, name) [MLA_SRC_##id] = name,
	MLA_SOURCES(X)
#undef X
};

static const char *const kfuncs[MLA_NR_KFUNCS] = {
#define X(id, name, check) [MLA_KF_##id] = name,
	MLA_KFUNCS(X)
#undef X
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
	{ SYS_prlimit64, "prlimit64" },
	{ SYS_setrlimit, "setrlimit" },
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
#define X(name, type, nr) { MLA_##name, #name },
	MLA_IOCTLS(X)
#undef X
};

static const char *ioctl_name(uint64_t cmd)
{
	uint32_t short_cmd = MLA_IOC_TYPENR(cmd);

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
	if (nr == SYS_shmctl && cmd == MLA_SHM_LOCK)
		return "SHM_LOCK";
	if (nr == SYS_shmctl && cmd == MLA_SHM_UNLOCK)
		return "SHM_UNLOCK";
	if (nr == SYS_io_uring_register && cmd == MLA_IORING_REGISTER_BUFFERS)
		return "IORING_REGISTER_BUFFERS";
	if (nr == SYS_io_uring_register && cmd == MLA_IORING_UNREGISTER_BUFFERS)
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
