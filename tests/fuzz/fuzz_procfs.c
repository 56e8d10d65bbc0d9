// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the /proc parsers. The first byte picks the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	struct proc_status st;
	struct mla_range *r = NULL;
	uint64_t a, b;
	size_t n;

	if (!size)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		parse_status(text, &st);
		break;
	case 1:
		parse_stat_starttime(text, &a);
		break;
	case 2:
		if (!parse_smaps_locked(text, &r, &n))
			for (size_t i = 0; i < n; i++)
				if (r[i].end < r[i].start)
					abort();
		free(r);
		break;
	case 3:
		parse_limits_memlock(text, &a, &b);
		break;
	}
	free(text);
	return 0;
}
