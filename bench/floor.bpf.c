// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of the benchmarks: programs on the very hooks memlockacct's
 * portable tier uses, which return at once. What a tracer must cost at
 * least, for the kernel to call it there.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "syscall_nrs.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/mmap_lock_released")
int BPF_PROG(mmap_lock_released) { return 0; }

SEC("raw_tp/exit_mmap")
int BPF_PROG(exit_mmap) { return 0; }

/*
 * Each exit in both of memlockacct's forms: its syscall tracepoint, and
 * fexit on the syscall's entry point (floor.c sets the target, and loads
 * one form).
 */
#define EXIT(name)                                 \
	SEC("tracepoint/syscalls/sys_exit_" #name) \
	int sys_exit_##name(void *ctx)             \
	{                                          \
		return 0;                          \
	}                                          \
	SEC("fexit")                               \
	int BPF_PROG(fexit_sys_##name)             \
	{                                          \
		return 0;                          \
	}

EXIT(mlock)
EXIT(mlock2)
EXIT(munlock)
EXIT(mlockall)
EXIT(munlockall)
EXIT(mmap)
EXIT(munmap)
EXIT(mremap)
EXIT(brk)
EXIT(shmctl)
EXIT(io_uring_register)
EXIT(io_uring_setup)
EXIT(ioctl)

/*
 * Not part of the floor (floor.c leaves it unattached): one program on
 * every system call's exit, testing the number, as the alternative to the
 * thirteen syscall tracepoints above. bench/hookcost.c times both.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(any_sys_exit, struct pt_regs *regs, long ret)
{
	switch (regs->orig_ax) {
	case MLA_NR_mlock:
	case MLA_NR_mlock2:
	case MLA_NR_munlock:
	case MLA_NR_mlockall:
	case MLA_NR_munlockall:
	case MLA_NR_mmap:
	case MLA_NR_munmap:
	case MLA_NR_mremap:
	case MLA_NR_brk:
	case MLA_NR_shmctl:
	case MLA_NR_io_uring_register:
	case MLA_NR_io_uring_setup:
	case MLA_NR_ioctl:
		return 1;
	}
	return 0;
}
