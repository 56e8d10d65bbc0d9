/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtual machines: which processes are VMMs (QEMU, cloud-hypervisor,
 * crosvm, firecracker), the VM's name, guest RAM and devices from the
 * command line, and the RLIMIT_MEMLOCK libvirt would give it.
 * Parsers take the text (NUL-separated cmdline, a cgroup path), so they
 * can be unit-tested and fuzzed.
 */
#ifndef MLA_VM_H
#define MLA_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_NAME_LEN 128

enum vmm { VMM_NONE, VMM_QEMU, VMM_CLOUD_HYPERVISOR, VMM_CROSVM,
	   VMM_FIRECRACKER };

struct vm_info {
	enum vmm vmm;
	char name[VM_NAME_LEN]; /* "" when the command line has none */
	char uuid[37];		/* QEMU -uuid (libvirt's domain UUID), or "" */
	uint64_t ram_kib;	/* guest RAM, 0 when not given */
	unsigned int nvfio;	/* VFIO PCI or mdev devices */
	unsigned int nnvme;	/* NVMe disks used through VFIO */
	unsigned int nvdpa;	/* vDPA network or disk devices */
	bool viommu;		/* a virtual IOMMU in the guest */
	bool mem_locked;	/* -overcommit mem-lock=on / -realtime mlock=on */
};

/* @cmdline: /proc/PID/cmdline, @len bytes of NUL-separated arguments. */
bool vm_parse_cmdline(const char *cmdline, size_t len, struct vm_info *vm);
/*
 * libvirt's machine scope in /proc/PID/cgroup ("machine-qemu\x2d3\x2dvm1
 * .scope") gives the domain name (vm1). False when there is none.
 */
bool vm_name_from_cgroup(const char *cgroup, char *name, size_t len);

/*
 * The memlock limit libvirt computes for such a domain (qemuDomainGet-
 * MemLockLimitBytes on x86): factor x guest RAM + 1 GiB, the factor
 * counting vDPA and NVMe devices and VFIO devices (one for all without a
 * vIOMMU, each with one); UINT64_MAX for locked memory; 0 when libvirt
 * would not set one. @extra_vfio: as if that many more VFIO devices were
 * plugged (hotplug planning).
 */
uint64_t libvirt_memlock_kib(const struct vm_info *vm, unsigned int extra_vfio);

const char *vmm_name(enum vmm v);

#endif
