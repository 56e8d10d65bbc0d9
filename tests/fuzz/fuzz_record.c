// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: record files (report -i) and the model they feed. A valid
 * header is prepended half of the time, so the fuzzer reaches the records.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "model.h"
#include "output.h"
#include "record.h"

static void feed(void *ctx, int type, const void *payload)
{
	struct mla_model *m = ctx;

	if (type == MLA_REC_EVENT)
		model_apply_event(m, payload);
	else if (type == MLA_REC_MM)
		model_sync_mm(m, payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mla_model *m = model_new();
	struct record_reader r = { .record = feed, .ctx = m };
	struct record_header h = { .version = MLA_RECORD_VERSION,
				   .page_size = 4096 };
	struct out_opts o = { .page_size = 4096 };
	struct proc_filter f = { .all = true };
	struct run_stats rs = { .tier = "x" };
	unsigned char *buf;
	char why[256];

	buf = malloc(size + sizeof(h));
	if (!buf || !m)
		goto out;
	if (size && (data[0] & 1)) {
		/* a real header, then the fuzzer's records */
		record_header_init(&h, 4096, 0);
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), data + 1, size - 1);
		record_parse(buf, sizeof(h) + size - 1, &r, &h, why, sizeof(why));
	} else {
		memcpy(buf, data, size);
		record_parse(buf, size, &r, &h, why, sizeof(why));
	}
	json_object_put(report_json(m, &f, &o, &rs));
out:
	free(buf);
	model_free(m);
	return 0;
}
