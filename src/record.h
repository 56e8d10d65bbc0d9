/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Record files: a trace saved on a production host (record -o FILE) and
 * analysed elsewhere (report -i FILE). Versioned: a header with a magic,
 * the version and the size of every record type, then records of
 * { u8 type, u32 length, payload }. A reader checks every length against
 * the header and the file, so a truncated or corrupt file is an error
 * message, never a crash.
 */
#ifndef MLA_RECORD_H
#define MLA_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>
#include "memlockacct.h"

#define MLA_RECORD_MAGIC "MLAREC\r\n"
#define MLA_RECORD_VERSION 1U

/*
 * A recording holds the events as they came, the map snapshots, and at the
 * end what the frontend learnt outside the events (from /proc and the
 * start-up walk): enough for report -i to print what report would have.
 */
enum mla_record_type {
	MLA_REC_EVENT = 1, /* struct mla_event */
	MLA_REC_MM,	   /* struct mla_mm_stat: a map snapshot */
	MLA_REC_USER,	   /* struct mla_rec_user */
	MLA_REC_PROC,	   /* struct mla_rec_proc: limits, drift, VM */
	MLA_REC_INST,	   /* struct mla_rec_inst: start-up splits */
	MLA_REC_RANGE,	   /* struct mla_rec_range: locked/pinned ranges */
	MLA_REC_MAPPING,   /* struct mla_rec_mapping: a VFIO mapping */
	MLA_REC_END,	   /* struct mla_rec_end */
	MLA_REC_TYPES,
};

struct mla_rec_user {
	__u32 uid;
	__u32 pad;
	struct mla_user_stat us;
};

struct mla_rec_proc {
	__u64 start_ns;
	__u32 tgid;
	__u32 flags; /* MLA_RP_* */
	__u64 limit_soft, limit_hard;
	__u64 kernel[MLA_NR_MM_COUNTERS]; /* /proc at the last reconciliation */
	__u32 vfio_groups;
	__u32 vmm;
	__u64 ram_kib;
	__u32 nvfio, nnvme, nvdpa, vflags; /* vflags: 1 viommu, 2 mem_locked */
	char vm_name[128];
};

#define MLA_RP_LIMIT (1u << 0)
#define MLA_RP_CAP_KNOWN (1u << 1)
#define MLA_RP_CAP (1u << 2)
#define MLA_RP_RECONCILED (1u << 3)
#define MLA_RP_VM (1u << 4)
#define MLA_RP_EXITED (1u << 5)
#define MLA_RP_TREE (1u << 6) /* part of the traced command (run) */

struct mla_rec_inst {
	__u64 mm_id;
	__u32 flags;
	__u32 pad;
	__s64 base[MLA_NR_MM_COUNTERS][MLA_NR_SOURCES];
	__s64 inferred[MLA_NR_MM_COUNTERS][MLA_NR_SOURCES];
};

struct mla_rec_range {
	__u64 mm_id;
	__u64 start, end;
	__u32 pinned; /* 0: VM_LOCKED, 1: a pinned buffer */
	__u32 pad;
};

struct mla_rec_mapping {
	__u64 mm_id;
	__u64 obj, iova, vaddr, size;
	__s64 charged;
	__u32 lock_cap;
	__u32 device; /* device memory (0 in records before it was kept) */
};

struct mla_rec_end {
	struct mla_stats stats;
	__u64 duration_ns;
	__u32 precise;
	__u32 tree_only; /* a run: only the command's processes count */
};

struct record_header {
	char magic[8];
	__u32 version;
	__u32 page_size;
	__u32 sizes[MLA_REC_TYPES]; /* by record type, as written */
	__u64 start_ns;
};

struct record_writer {
	FILE *f;
	int err;
};

/* The header this version writes: magic, version and every record's size. */
void record_header_init(struct record_header *h, unsigned int page_size,
			uint64_t start_ns);
int record_create(struct record_writer *w, const char *path,
		  unsigned int page_size, uint64_t start_ns);
void record_put(struct record_writer *w, int type, const void *payload,
		size_t len);
int record_close(struct record_writer *w);

/* Called with each record, its payload copied to aligned memory. */
struct record_reader {
	void (*record)(void *ctx, int type, const void *payload);
	void *ctx;
};

/*
 * Read @len bytes of a record file. 0, or -EINVAL with @why saying what
 * is wrong and where. @hdr receives the header.
 */
int record_parse(const unsigned char *data, size_t len,
		 const struct record_reader *r, struct record_header *hdr,
		 char *why, size_t whylen);
int record_read(const char *path, const struct record_reader *r,
		struct record_header *hdr, char *why, size_t whylen);

#endif
