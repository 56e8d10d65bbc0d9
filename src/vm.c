// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

#define GIB_KIB (1024ULL * 1024)

const char *vmm_name(enum vmm v)
{
	switch (v) {
	case VMM_QEMU: return "qemu";
	case VMM_CLOUD_HYPERVISOR: return "cloud-hypervisor";
	case VMM_CROSVM: return "crosvm";
	case VMM_FIRECRACKER: return "firecracker";
	default: return "";
	}
}

static enum vmm vmm_of(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	if (!strncmp(base, "qemu-system-", 12) || !strcmp(base, "qemu-kvm"))
		return VMM_QEMU;
	if (!strcmp(base, "cloud-hypervisor"))
		return VMM_CLOUD_HYPERVISOR;
	if (!strcmp(base, "crosvm"))
		return VMM_CROSVM;
	if (!strcmp(base, "firecracker"))
		return VMM_FIRECRACKER;
	return VMM_NONE;
}

/* "512", "512M", "4G", "4096k", "1T": to KiB; QEMU's default unit is MiB. */
static uint64_t size_kib(const char *s, char default_unit)
{
	char *end;
	unsigned long long v;
	char unit;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	unit = *end ? toupper((unsigned char)*end) : default_unit;
	switch (unit) {
	case 'K': return v;
	case 'M': return v << 10;
	case 'G': return v << 20;
	case 'T': return v << 30;
	case 'B': return v >> 10;
	}
	return 0;
}

/* The value of "key=" in a comma-separated option string, in @out. */
static bool opt_value(const char *opts, const char *key, char *out,
		      size_t len)
{
	size_t klen = strlen(key);
	const char *p = opts;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, ",");

			if (n >= len)
				n = len - 1;
			memcpy(out, p + klen + 1, n);
			out[n] = '\0';
			return true;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

static void parse_qemu_name(const char *arg, struct vm_info *vm)
{
	/* -name guest=NAME,debug-threads=on, or -name NAME[,...] */
	if (!opt_value(arg, "guest", vm->name, sizeof(vm->name))) {
		size_t n = strcspn(arg, ",");

		if (n >= sizeof(vm->name))
			n = sizeof(vm->name) - 1;
		memcpy(vm->name, arg, n);
		vm->name[n] = '\0';
	}
}

/* Only a UUID's shape is kept: it becomes a label as it is. */
static void parse_uuid(const char *arg, struct vm_info *vm)
{
	size_t n = strlen(arg);

	if (n != 36)
		return;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? arg[i] != '-' : !isxdigit((unsigned char)arg[i]))
			return;
	}
	memcpy(vm->uuid, arg, n + 1);
}

static void parse_qemu_device(const char *arg, struct vm_info *vm)
{
	if (!strncmp(arg, "vfio-pci", 8) || !strncmp(arg, "vfio-ap", 7) ||
	    !strncmp(arg, "vfio-ccw", 8))
		vm->nvfio++;
	else if (!strncmp(arg, "intel-iommu", 11) ||
		 !strncmp(arg, "virtio-iommu", 12) ||
		 !strncmp(arg, "amd-iommu", 9))
		vm->viommu = true;
	else if (!strncmp(arg, "vhost-vdpa", 10))
		vm->nvdpa++;
}

static void parse_qemu(const char **argv, int argc, struct vm_info *vm)
{
	char v[64];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : "";

		if (a[0] == '-' && a[1] == '-')
			a++; /* QEMU takes --opt as -opt */
		if (!strcmp(a, "-name")) {
			parse_qemu_name(next, vm);
		} else if (!strcmp(a, "-uuid")) {
			parse_uuid(next, vm);
		} else if (!strcmp(a, "-m")) {
			/* -m 4G, or -m size=4G,slots=...,maxmem=... */
			vm->ram_kib = opt_value(next, "size", v, sizeof(v)) ?
					      size_kib(v, 'M') :
					      size_kib(next, 'M');
		} else if (!strcmp(a, "-device")) {
			parse_qemu_device(next, vm);
		} else if (!strcmp(a, "-netdev") &&
			   !strncmp(next, "vhost-vdpa", 10)) {
			vm->nvdpa++;
		} else if (!strcmp(a, "-blockdev") &&
			   (strstr(next, "driver=nvme") ||
			    strstr(next, "\"nvme\""))) {
			vm->nnvme++;
		} else if ((!strcmp(a, "-overcommit") &&
			    strstr(next, "mem-lock=on")) ||
			   (!strcmp(a, "-realtime") &&
			    strstr(next, "mlock=on"))) {
			vm->mem_locked = true;
		} else if (!strcmp(a, "-machine") && strstr(next, "iommu=on")) {
			vm->viommu = true;
		}
	}
}

/* cloud-hypervisor and crosvm: --memory size=4G / --mem 4096, --device. */
static void parse_other(const char **argv, int argc, struct vm_info *vm)
{
	char v[64];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(a, "--memory") && opt_value(next, "size", v, sizeof(v)))
			vm->ram_kib = size_kib(v, 'B');
		else if (!strcmp(a, "--mem") || !strcmp(a, "-m"))
			vm->ram_kib = size_kib(next, 'M');
		else if (!strcmp(a, "--device") || !strcmp(a, "--vfio"))
			vm->nvfio++;
		else if (!strcmp(a, "--vdpa"))
			vm->nvdpa++;
		else if (!strcmp(a, "--platform") && strstr(next, "iommu"))
			vm->viommu = true;
		else if (!strcmp(a, "--name") || !strcmp(a, "--id"))
			snprintf(vm->name, sizeof(vm->name), "%s", next);
	}
}

bool vm_parse_cmdline(const char *cmdline, size_t len, struct vm_info *vm)
{
	const char *argv[512];
	int argc = 0;
	size_t i = 0;

	memset(vm, 0, sizeof(*vm));
	while (i < len && argc < 512) {
		size_t n = strnlen(cmdline + i, len - i);

		if (i + n >= len) /* the last argument lacks its NUL: drop it */
			break;
		argv[argc++] = cmdline + i;
		i += n + 1;
	}
	if (!argc)
		return false;
	vm->vmm = vmm_of(argv[0]);
	if (vm->vmm == VMM_QEMU)
		parse_qemu(argv, argc, vm);
	else if (vm->vmm != VMM_NONE)
		parse_other(argv, argc, vm);
	return vm->vmm != VMM_NONE;
}

bool vm_name_from_cgroup(const char *cgroup, char *name, size_t len)
{
	const char *p = strstr(cgroup, "machine-qemu");
	size_t o = 0;
	int dashes = 0;

	if (!p || !len)
		return false;
	p += strlen("machine-qemu");
	/* "\x2d<id>\x2d<name>.scope": skip to after the second dash */
	while (*p && *p != '.' && *p != '\n' && *p != '/') {
		char c = *p++;

		if (c == '\\' && p[0] == 'x' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], 0 };

			c = (char)strtol(hex, NULL, 16);
			p += 3;
		}
		if (dashes < 2) {
			dashes += c == '-';
			continue;
		}
		if (o + 1 < len)
			name[o++] = c;
	}
	name[o] = '\0';
	return o > 0;
}

uint64_t libvirt_memlock_kib(const struct vm_info *vm, unsigned int extra_vfio)
{
	unsigned int nvfio = vm->nvfio + extra_vfio, factor;

	if (vm->mem_locked)
		return UINT64_MAX;
	factor = vm->nvdpa + vm->nnvme + (nvfio ? (vm->viommu ? nvfio : 1) : 0);
	if (!factor)
		return 0;
	return factor * vm->ram_kib + GIB_KIB;
}
