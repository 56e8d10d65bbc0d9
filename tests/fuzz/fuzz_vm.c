// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: VM command lines (/proc/PID/cmdline) and cgroup paths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_info vm;
	char name[64], *text;

	vm_parse_cmdline((const char *)data, size, &vm);
	if (strnlen(vm.name, sizeof(vm.name)) >= sizeof(vm.name))
		abort();
	libvirt_memlock_kib(&vm, 1);
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	vm_name_from_cgroup(text, name, sizeof(name));
	free(text);
	return 0;
}
