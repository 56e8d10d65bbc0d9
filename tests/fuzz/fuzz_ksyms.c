// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the kallsyms parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ksym_query q[] = {
		{ .name = "vfio_lock_acct" },
		{ .name = "__account_locked_vm" },
		{ .name = "vfio_fops", .data = true },
	};
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	ksyms_parse(text, q, 3);
	for (int i = 0; i < 3; i++)
		if (strlen(q[i].found) >= sizeof(q[i].found) ||
		    strlen(q[i].module) >= sizeof(q[i].module))
			abort();
	free(text);
	return 0;
}
