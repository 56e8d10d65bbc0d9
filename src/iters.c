// SPDX-License-Identifier: GPL-2.0
/*
 * The iterators the frontend runs itself: the start-up baseline and the
 * VFIO container walk (before attaching), and the periodic resync.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <linux/types.h>
#include "memlockacct.h"
#include "memlockacct.skel.h"
#include "probes.h"

/* Run an iterator whose work is its side effects on the maps. */
static int run_iter(struct bpf_program *prog)
{
	struct bpf_link *link;
	char buf[256];
	int fd;

	link = bpf_program__attach_iter(prog, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		bpf_link__destroy(link);
		return -errno;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	bpf_link__destroy(link);
	return 0;
}

static int keep_vfio_map(void *ctx, void *data, size_t size)
{
	struct probes *p = ctx;
	struct mla_vfio_map *v;

	if (size < sizeof(*v))
		return 0;
	if (p->nvfio_maps % 1024 == 0) {
		v = realloc(p->vfio_maps, (p->nvfio_maps + 1024) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->vfio_maps = v;
	}
	memcpy(&p->vfio_maps[p->nvfio_maps++], data, sizeof(*v));
	return 0;
}

/*
 * Walk the open VFIO containers: the mappings come through walk_out, and
 * each container's one byte of iterator output lets us drain it in time.
 */
static int run_vfio_walk(struct probes *p)
{
	struct ring_buffer *rb;
	struct bpf_link *link;
	char byte;
	int fd, err = 0;

	rb = ring_buffer__new(bpf_map__fd(p->skel->maps.walk_out),
			      keep_vfio_map, p, NULL);
	if (!rb)
		return -errno;
	link = bpf_program__attach_iter(p->skel->progs.vfio_maps, NULL);
	fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	if (fd < 0)
		err = -errno;
	while (fd >= 0 && read(fd, &byte, 1) > 0)
		ring_buffer__consume(rb);
	ring_buffer__consume(rb);
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	ring_buffer__free(rb);
	return err;
}

int probes_seed(struct probes *p, char *why, int whylen)
{
	struct probe *w = probes_find(p, "vfio_maps");
	int err;

	if (probes_find(p, "baseline")->state == PROBE_ACTIVE) {
		err = run_iter(p->skel->progs.baseline);
		if (err) {
			snprintf(why, whylen,
				 "the start-up task iterator "
				 "failed: %s",
				 strerror(-err));
			return err;
		}
	}
	/* open containers are a help, not a need: a failed walk is shown */
	if (w->state == PROBE_ACTIVE && (err = run_vfio_walk(p))) {
		w->state = PROBE_FAILED;
		snprintf(w->why, sizeof(w->why), "walk failed: %s",
			 strerror(-err));
	}
	return 0;
}

int probes_resync(struct probes *p)
{
	struct probe *pr = probes_find(p, "resync");

	if (!pr || pr->state != PROBE_ACTIVE)
		return -EOPNOTSUPP;
	p->skel->bss->stats.resync_pass++;
	return run_iter(p->skel->progs.resync);
}
