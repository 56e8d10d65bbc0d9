// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: escaping of process names. The output must hold no control
 * byte, no invalid UTF-8, and fit its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[256], prom[512];
	size_t len;

	escape_bytes((const char *)data, size, out, sizeof(out));
	len = strlen(out);
	if (len >= sizeof(out))
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
	escape_prom_label(out, prom, sizeof(prom));
	for (size_t i = 0; prom[i]; i++)
		if (prom[i] == '"' && (i == 0 || prom[i - 1] != '\\'))
			abort();
	return 0;
}
