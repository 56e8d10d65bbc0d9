// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-side check of the VM harness (tests/vm/selftest.sh): VFIO type1
 * DMA map/unmap of a 4 MiB anonymous (not mlocked) buffer on the QEMU edu
 * device, with VmLck from /proc/self/status before, after map and after
 * unmap. Built with gcc -static: the guest has no C library.
 *
 * The group comes from argv[1], else $MLA_VFIO_GROUP (set by /init).
 * Prints "MLA-SELFTEST ..." lines; exit 0 only when the map charged exactly
 * 4 MiB to VmLck and the unmap gave it back.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define BUF_SIZE (4UL << 20)
#define IOVA 0x10000000UL

/* A /proc/self/status field in kB, or -1. */
static long status_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			kb = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

static int fail(const char *what)
{
	printf("MLA-SELFTEST FAIL %s: %s\n", what, strerror(errno));
	return 1;
}

/* Container with the group attached and the TYPE1v2 IOMMU set, or -1. */
static int open_container(const char *group_path)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int container, group;

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		return fail("open /dev/vfio/vfio"), -1;
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return fail("VFIO_GET_API_VERSION"), -1;
	if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		return fail("VFIO_CHECK_EXTENSION TYPE1v2"), -1;
	group = open(group_path, O_RDWR);
	if (group < 0)
		return fail(group_path), -1;
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) < 0)
		return fail("VFIO_GROUP_GET_STATUS"), -1;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EBUSY;
		return fail("group not viable"), -1;
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0)
		return fail("VFIO_GROUP_SET_CONTAINER"), -1;
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		return fail("VFIO_SET_IOMMU TYPE1v2"), -1;
	return container;
}

int main(int argc, char **argv)
{
	const char *group_path = argc > 1 ? argv[1] : getenv("MLA_VFIO_GROUP");
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	long before, mapped, unmapped, pin_mapped;
	int container;
	void *buf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!group_path) {
		errno = ENOENT;
		return fail("no VFIO group (argv[1] or MLA_VFIO_GROUP)");
	}
	container = open_container(group_path);
	if (container < 0)
		return 1;

	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return fail("mmap");
	memset(buf, 0x5a, BUF_SIZE); /* fault the pages in, no mlock */

	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)buf;
	map.iova = IOVA;
	map.size = BUF_SIZE;
	unmap.iova = IOVA;
	unmap.size = BUF_SIZE;

	before = status_kb("VmLck");
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map) < 0)
		return fail("VFIO_IOMMU_MAP_DMA");
	mapped = status_kb("VmLck");
	pin_mapped = status_kb("VmPin");
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0)
		return fail("VFIO_IOMMU_UNMAP_DMA");
	unmapped = status_kb("VmLck");

	printf("MLA-SELFTEST VmLck before=%ld after_map=%ld after_unmap=%ld kB (VmPin after_map=%ld kB)\n",
	       before, mapped, unmapped, pin_mapped);
	if (mapped - before != (long)(BUF_SIZE >> 10) || unmapped != before) {
		printf("MLA-SELFTEST FAIL expected +%lu kB on map and back on unmap\n", BUF_SIZE >> 10);
		return 1;
	}
	printf("MLA-SELFTEST PASS\n");
	return 0;
}
