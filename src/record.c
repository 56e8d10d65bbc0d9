// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"

static const __u32 record_sizes[MLA_REC_TYPES] = {
	[MLA_REC_EVENT] = sizeof(struct mla_event),
	[MLA_REC_MM] = sizeof(struct mla_mm_stat),
	[MLA_REC_USER] = sizeof(struct mla_rec_user),
	[MLA_REC_PROC] = sizeof(struct mla_rec_proc),
	[MLA_REC_INST] = sizeof(struct mla_rec_inst),
	[MLA_REC_RANGE] = sizeof(struct mla_rec_range),
	[MLA_REC_MAPPING] = sizeof(struct mla_rec_mapping),
	[MLA_REC_END] = sizeof(struct mla_rec_end),
};

void record_header_init(struct record_header *h, unsigned int page_size,
			uint64_t start_ns)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, MLA_RECORD_MAGIC, sizeof(h->magic));
	h->version = MLA_RECORD_VERSION;
	h->page_size = page_size;
	h->start_ns = start_ns;
	memcpy(h->sizes, record_sizes, sizeof(h->sizes));
}

int record_create(struct record_writer *w, const char *path,
		  unsigned int page_size, uint64_t start_ns)
{
	struct record_header h;

	record_header_init(&h, page_size, start_ns);
	w->err = 0;
	w->f = fopen(path, "we");
	if (!w->f)
		return -errno;
	if (fwrite(&h, sizeof(h), 1, w->f) != 1)
		w->err = -EIO;
	return w->err;
}

void record_put(struct record_writer *w, int type, const void *payload,
		size_t len)
{
	unsigned char t = type;
	__u32 l = len;

	if (!w->f || w->err)
		return;
	if (fwrite(&t, 1, 1, w->f) != 1 || fwrite(&l, sizeof(l), 1, w->f) != 1 ||
	    fwrite(payload, len, 1, w->f) != 1)
		w->err = -EIO;
}

int record_close(struct record_writer *w)
{
	int err = w->err;

	if (w->f && fclose(w->f) && !err)
		err = -errno;
	w->f = NULL;
	return err;
}

int record_parse(const unsigned char *data, size_t len,
		 const struct record_reader *r, struct record_header *hdr,
		 char *why, size_t whylen)
{
	size_t off = sizeof(*hdr);

	if (len < sizeof(*hdr) || memcmp(data, MLA_RECORD_MAGIC, 8)) {
		snprintf(why, whylen, "not a memlockacct record file");
		return -EINVAL;
	}
	memcpy(hdr, data, sizeof(*hdr));
	if (hdr->version != MLA_RECORD_VERSION) {
		snprintf(why, whylen, "record file version %u; this memlockacct "
			 "reads version %u", hdr->version, MLA_RECORD_VERSION);
		return -EINVAL;
	}
	/* the same version with other sizes: another build's layout */
	if (memcmp(hdr->sizes, record_sizes, sizeof(record_sizes))) {
		snprintf(why, whylen, "record file written by a memlockacct with "
			 "another record layout");
		return -EINVAL;
	}
	if (hdr->page_size < 1024 || hdr->page_size > (1u << 20) ||
	    (hdr->page_size & (hdr->page_size - 1))) {
		snprintf(why, whylen, "record file header is corrupt (page size "
			 "%u)", hdr->page_size);
		return -EINVAL;
	}
	while (off < len) {
		unsigned char type;
		__u32 rlen;

		if (len - off < 5) {
			snprintf(why, whylen, "record file truncated at byte %zu "
				 "(in a record header)", off);
			return -EINVAL;
		}
		type = data[off];
		memcpy(&rlen, data + off + 1, sizeof(rlen));
		off += 5;
		if (type < MLA_REC_EVENT || type >= MLA_REC_TYPES ||
		    rlen != record_sizes[type]) {
			snprintf(why, whylen, "record file corrupt at byte %zu "
				 "(record type %u, length %u)", off - 5, type,
				 rlen);
			return -EINVAL;
		}
		if (len - off < rlen) {
			snprintf(why, whylen, "record file truncated at byte %zu "
				 "(a record of %u bytes, %zu left)", off - 5,
				 rlen, len - off);
			return -EINVAL;
		}
		/* a copy: the payload in the file need not be aligned */
		{
			_Alignas(8) unsigned char buf[1024];

			_Static_assert(sizeof(struct mla_mm_stat) <= 1024,
				       "record buffer");
			memcpy(buf, data + off, rlen);
			if (r->record)
				r->record(r->ctx, type, buf);
		}
		off += rlen;
	}
	return 0;
}

int record_read(const char *path, const struct record_reader *r,
		struct record_header *hdr, char *why, size_t whylen)
{
	struct stat st;
	void *data;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		snprintf(why, whylen, "%s: not a memlockacct record file", path);
		return -EINVAL;
	}
	data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED) {
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	err = record_parse(data, st.st_size, r, hdr, why, whylen);
	munmap(data, st.st_size);
	return err;
}
