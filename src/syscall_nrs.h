/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86_64 syscall numbers the tool classifies. The BPF side cannot include
 * <sys/syscall.h>; the frontend checks these against it at build time.
 */
#ifndef MLA_SYSCALL_NRS_H
#define MLA_SYSCALL_NRS_H

/* the base page of every architecture built for (x86-64) */
#define MLA_PAGE_SHIFT 12
#define MLA_PAGE_SIZE (1ULL << MLA_PAGE_SHIFT)

#define MLA_NR_close 3
#define MLA_NR_mmap 9
#define MLA_NR_munmap 11
#define MLA_NR_brk 12
#define MLA_NR_ioctl 16
#define MLA_NR_mremap 25
#define MLA_NR_shmget 29
#define MLA_NR_shmctl 31
#define MLA_NR_exit 60
#define MLA_NR_mlock 149
#define MLA_NR_munlock 150
#define MLA_NR_mlockall 151
#define MLA_NR_munlockall 152
#define MLA_NR_setrlimit 160
#define MLA_NR_exit_group 231
#define MLA_NR_prlimit64 302
#define MLA_NR_mlock2 325
#define MLA_NR_io_uring_setup 425
#define MLA_NR_io_uring_enter 426
#define MLA_NR_io_uring_register 427

/* ioctl "type" bytes (bits 8-15 of the request) of the charging drivers. */
#define MLA_IOC_TYPE_VFIO 0x3b	/* ';': VFIO below nr 0x80, iommufd from 0x80 */
#define MLA_IOC_IOMMUFD_BASE 0x80
#define MLA_IOC_TYPE_RDMA 0x1b	/* RDMA_VERBS_IOCTL */
#define MLA_IOC_TYPE_VHOST 0xaf /* vhost-vdpa */
#define MLA_IOC_TYPE_VDUSE 0x81

/*
 * The ioctls the tool names, by type byte and nr: an enum of their
 * requests' low 16 bits (MLA_VFIO_IOMMU_MAP_DMA, ...) and names.c's
 * names both come from here.
 */
#define MLA_IOCTLS(X)                             \
	X(VFIO_SET_IOMMU, VFIO, 0x66)             \
	X(VFIO_GROUP_SET_CONTAINER, VFIO, 0x68)   \
	X(VFIO_GROUP_UNSET_CONTAINER, VFIO, 0x69) \
	X(VFIO_IOMMU_MAP_DMA, VFIO, 0x71)         \
	X(VFIO_IOMMU_UNMAP_DMA, VFIO, 0x72)       \
	X(IOMMU_IOAS_MAP, VFIO, 0x85)             \
	X(IOMMU_IOAS_UNMAP, VFIO, 0x86)           \
	X(IOMMU_OPTION, VFIO, 0x87)               \
	X(RDMA_VERBS_IOCTL, RDMA, 0x01)

enum mla_ioctl {
#define MLA_X(name, type, nr) MLA_##name = MLA_IOC_TYPE_##type << 8 | (nr),
	MLA_IOCTLS(MLA_X)
#undef MLA_X
};
/* what the list holds of a request: type and nr, without size and dir */
#define MLA_IOC_TYPENR(cmd) ((cmd) & 0xffff)

#define MLA_SHM_LOCK 11
#define MLA_SHM_UNLOCK 12
#define MLA_IORING_REGISTER_BUFFERS 0
#define MLA_IORING_UNREGISTER_BUFFERS 1
#define MLA_MAP_SHARED 0x01
#define MLA_MAP_LOCKED 0x2000
#define MLA_MAP_ANONYMOUS 0x20
#define MLA_MAP_HUGETLB 0x40000
#define MLA_MCL_CURRENT 1
#define MLA_RLIMIT_MEMLOCK 8
#define MLA_MCL_FUTURE 2
#define MLA_MCL_ONFAULT 4

#endif /* MLA_SYSCALL_NRS_H */
