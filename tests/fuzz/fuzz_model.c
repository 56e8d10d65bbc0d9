// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the accounting model and its JSON output fed arbitrary event
 * streams and map snapshots (as from a record file): no crash, no leak,
 * and output that json-c can parse back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "model.h"
#include "output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mla_model *m = model_new();
	struct out_opts o = { .page_size = 4096 };
	struct proc_filter f = { .all = true };
	struct run_stats rs = { .tier = "portable" };
	struct json_object *j, *back;
	size_t off = 0;

	/* records: a kind byte, then an event or a snapshot */
	while (m && off < size) {
		uint8_t kind = data[off++];
		struct mla_mm_stat st;
		struct mla_event e;

		if (kind & 1) {
			if (off + sizeof(st) > size)
				break;
			memcpy(&st, data + off, sizeof(st));
			model_sync_mm(m, &st);
			off += sizeof(st);
		} else {
			if (off + sizeof(e) > size)
				break;
			memcpy(&e, data + off, sizeof(e));
			model_apply_event(m, &e);
			off += sizeof(e);
		}
	}
	if (m) {
		j = report_json(m, &f, &o, &rs);
		back = json_tokener_parse(json_object_to_json_string(j));
		if (!back)
			abort();
		json_object_put(back);
		json_object_put(j);
	}
	model_free(m);
	return 0;
}
