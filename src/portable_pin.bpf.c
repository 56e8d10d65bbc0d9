// SPDX-License-Identifier: GPL-2.0
/*
 * Portable tier, the subsystems that pin or charge the per-user counters:
 * SysV SHM_LOCK, io_uring's buffer registration, and driver ioctls (VFIO
 * type1's map and unmap, iommufd, vhost-vdpa).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "portable.bpf.h"

/* ---- subsystems that pin: SysV SHM, io_uring, driver ioctls ------------ */

static __always_inline int shmctl_exit(long ret)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mla_cause c;
	__u64 cmd;

	cause_syscall(&c, MLA_NR_shmctl);
	cmd = c.args[1] & ~0x100ULL; /* strip IPC_64 */
	c.cmd = cmd;
	if (cmd != MLA_SHM_LOCK && cmd != MLA_SHM_UNLOCK && cmd != 0 /* RMID */)
		return 0;
	observe_user(&c);
	if (cmd == MLA_SHM_LOCK && ret < 0)
		syscall_failure(&c, ret, MLA_USER_SHM, MLA_SRC_SHM,
				task_shm_locked(task), 0);
	else if (cmd == MLA_SHM_LOCK || cmd == MLA_SHM_UNLOCK)
		emit_range(&c, ret, 0, 0);
	return 0;
}

MLA_SYSCALL_EXIT(shmctl, shmctl_exit(ret))

/*
 * Up to 32 registered iovecs: the pages they span (what io_uring charges),
 * and, with @ranges, one range event each for the pinned set.
 */
static __always_inline __u64 iovec_walk(struct mla_cause *c, __u64 uptr,
					__u64 n, bool ranges)
{
	__u64 pages = 0;

	for (int i = 0; i < 32; i++) {
		struct iovec iov;

		if (i >= n)
			break;
		if (bpf_probe_read_user(&iov, sizeof(iov),
					(void *)(uptr + i * sizeof(iov))))
			break;
		pages += span_pages((__u64)iov.iov_base, iov.iov_len);
		if (ranges) {
			c->ctx[1] = (__u64)iov.iov_base;
			c->ctx[2] = iov.iov_len;
			emit_range(c, 0, 0, 0);
		}
	}
	return pages;
}

static __always_inline int io_uring_register_exit(long ret)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mla_cause c;

	cause_syscall(&c, MLA_NR_io_uring_register);
	observe_mm(current_mm(), &c, false);
	observe_user(&c);
	c.obj = current_file(c.args[0]);
	if (ret == 0 && c.args[1] == 0 /* IORING_REGISTER_BUFFERS */)
		iovec_walk(&c, c.args[2], c.args[3], true);
	else if (ret == 0 && c.args[1] == 1 /* UNREGISTER_BUFFERS */)
		emit_range(&c, 0, 0, 0);
	/* IORING_REGISTER_BUFFERS (0): ENOMEM is the per-user memlock check */
	if (ret == -MLA_ENOMEM && c.args[1] == 0)
		syscall_failure(&c, ret, MLA_USER_LOCKED, MLA_SRC_IO_URING,
				user_locked_vm(BPF_CORE_READ(task, cred, user)),
				iovec_walk(&c, c.args[2], c.args[3], false));
	return 0;
}

MLA_SYSCALL_EXIT(io_uring_register, io_uring_register_exit(ret))

static __always_inline int io_uring_setup_exit(long ret)
{
	struct mla_cause c;

	/* 6.19+ charges ring memory to the user */
	cause_syscall(&c, MLA_NR_io_uring_setup);
	observe_user(&c);
	return 0;
}

MLA_SYSCALL_EXIT(io_uring_setup, io_uring_setup_exit(ret))

struct mla_vfio_dma_map {
	__u32 argsz;
	__u32 flags;
	__u64 vaddr;
	__u64 iova;
	__u64 size;
};

struct mla_vfio_dma_unmap {
	__u32 argsz;
	__u32 flags;
	__u64 iova;
	__u64 size;
};

/* bpf_find_vma's callback: the VMA is device memory (a BAR mmapped through
 * vfio-pci: VM_IO | VM_PFNMAP), which type1 maps but never charges */
static long vma_device(struct task_struct *task, struct vm_area_struct *vma,
		       void *data)
{
	*(bool *)data =
		BPF_CORE_READ(vma, vm_flags) & (MLA_VM_IO | MLA_VM_PFNMAP);
	return 0;
}

/*
 * Is @vaddr in device memory? MLA_F_DEVICE_MEM, 0 for RAM, or
 * MLA_F_DEVICE_UNSURE where the VMA could not be looked at: bpf_find_vma
 * is 5.17+, and it only trylocks the mmap_lock (-EBUSY while another
 * thread holds it); the frontend then reads smaps.
 */
static __always_inline __u32 vaddr_device(__u64 vaddr)
{
	bool device = false;

	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_find_vma) ||
	    device_by_smaps)
		return MLA_F_DEVICE_UNSURE;
	if (bpf_find_vma(bpf_get_current_task_btf(), vaddr, vma_device, &device,
			 0) == -MLA_EBUSY)
		return MLA_F_DEVICE_UNSURE;
	return device ? MLA_F_DEVICE_MEM : 0;
}

static __always_inline int ioctl_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	__u64 cmd = PT_REGS_PARM2_SYSCALL(regs);
	__u8 src = ioctl_source(cmd);
	struct mm_struct *mm;
	struct mla_cause c;

	if (src == MLA_SRC_OTHER)
		return 0;
	/*
	 * First: the precise tier's summed event and refusal come before what
	 * this exit sends, and its frame must not name this exit's cause
	 */
	mla_vfio_batch_end(ret);
	mm = current_mm();
	cause_syscall(&c, MLA_NR_ioctl);
	observe_mm(mm, &c, false);
	observe_user(&c);
	if (cmd == MLA_VFIO_IOMMU_MAP_DMA || cmd == MLA_VFIO_IOMMU_UNMAP_DMA)
		c.obj = current_file(c.args[0]);
	if (cmd == MLA_VFIO_IOMMU_MAP_DMA) {
		struct mla_vfio_dma_map m = {};

		bpf_probe_read_user(&m, sizeof(m), (void *)c.args[2]);
		c.ctx[0] = m.iova;
		c.ctx[1] = m.vaddr;
		c.ctx[2] = m.size;
		if (ret == -MLA_ENOMEM || ret == -MLA_ENOSPC)
			syscall_failure(&c, ret, MLA_LOCKED_VM, MLA_SRC_VFIO,
					mm_locked_vm(mm),
					m.size >> MLA_PAGE_SHIFT);
		else {
			__u32 dev = ret ? 0 : vaddr_device(m.vaddr);

			if (dev) {
				/* device memory charges nothing: name the mm */
				c.flags |= dev;
				observe_mm(mm, &c, true);
			}
			emit_range(&c, ret, 0, 0);
		}
	} else if (cmd == MLA_VFIO_IOMMU_UNMAP_DMA) {
		struct mla_vfio_dma_unmap u = {};

		/* read after the call: the kernel writes back the size unmapped */
		bpf_probe_read_user(&u, sizeof(u), (void *)c.args[2]);
		c.ctx[0] = u.iova;
		c.ctx[2] = u.size;
		emit_range(&c, ret, 0, 0);
	} else if (ret == -MLA_ENOMEM) {
		/* RDMA, iommufd, vDPA: ENOMEM is their memlock refusal */
		syscall_failure(&c, ret,
				src == MLA_SRC_IOMMUFD ? MLA_USER_LOCKED :
							 MLA_PINNED_VM,
				src, mm_pinned_vm(mm), 0);
	}
	return 0;
}

MLA_SYSCALL_EXIT(ioctl, ioctl_exit(ret))
