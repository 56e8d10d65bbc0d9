// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of the benchmarks: programs on the very hooks memlockacct's
 * portable tier uses, which return at once. What a tracer must cost at
 * least, for the kernel to call it there.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/mmap_lock_released")
int BPF_PROG(mmap_lock_released) { return 0; }

SEC("raw_tp/exit_mmap")
int BPF_PROG(exit_mmap) { return 0; }

#define EXIT(name)                                         \
	SEC("tracepoint/syscalls/sys_exit_" #name)         \
	int sys_exit_##name(void *ctx) { return 0; }

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
