// SPDX-License-Identifier: GPL-2.0
/*
 * Keeping the model in step with the kernel: the BPF maps (authoritative
 * totals), then /proc for what no map holds (VM_LOCKED ranges, limits,
 * capabilities, VM command lines, cgroups) and the reconciliation that
 * measures drift.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <linux/types.h>
#include "cgroup_attr.h"
#include "kube.h"
#include "memlockacct.h"
#include "memlockacct.skel.h"
#include "model.h"
#include "procfs.h"
#include "replay.h"
#include "session_int.h"
#include "vm.h"

/* Read a process's VM_LOCKED ranges from /proc/PID/smaps into @inst. */
int read_locked_ranges(struct mla_inst *inst, uint64_t *pages)
{
	struct mla_proc *p = inst->proc;
	struct mla_range *r = NULL;
	size_t n = 0;
	int err;

	if (!proc_same_start(p->tgid, p->start_ns))
		return -ESRCH;
	err = proc_locked_ranges(p->tgid, &r, &n);
	if (err)
		return err;
	model_set_locked(inst, r, n);
	if (pages) {
		long page = sysconf(_SC_PAGESIZE);

		*pages = 0;
		for (size_t i = 0; i < n; i++)
			*pages += (r[i].end - r[i].start) / page;
	}
	free(r);
	return 0;
}

/* Does [start, start + size) touch one of @r's VMAs? */
static bool in_ranges(const struct mla_range *r, size_t n, uint64_t start,
		      uint64_t size)
{
	for (size_t i = 0; i < n; i++)
		if (start < r[i].end && r[i].start < start + size)
			return true;
	return false;
}

/*
 * A VFIO map the BPF side could not classify (MLA_F_DEVICE_UNSURE): smaps
 * says whether its vaddr is device memory, before the model sees it. A
 * process gone meanwhile keeps it RAM, as before 5.17.
 */
void settle_device(struct mla_event *e)
{
	struct mla_range *r = NULL;
	size_t n = 0;

	if (!(e->flags & MLA_F_DEVICE_UNSURE))
		return;
	e->flags &= ~MLA_F_DEVICE_UNSURE;
	if (!proc_same_start(e->tgid, e->start_ns) ||
	    proc_device_ranges(e->tgid, &r, &n))
		return;
	if (in_ranges(r, n, e->ctx[1], e->ctx[2]))
		e->flags |= MLA_F_DEVICE_MEM;
	free(r);
}

/* ---- keeping the model in step with the maps ------------------------------ */

/*
 * A process that held memory before we started: split what its mm held
 * between mlock (its VM_LOCKED VMAs, from smaps) and VFIO (its mappings,
 * from the walk of open containers, or only inferred when it has VFIO open
 * and the walk could not run).
 */
static void infer_baseline(struct session *s, struct mla_inst *inst, __u64 mm)
{
	struct mla_proc *p = inst->proc;
	bool precise = probes_active(&s->probes, "vfio_lock_acct");
	uint64_t locked = 0, vfio = 0;
	struct mla_range *dev = NULL;
	size_t ndev = 0;
	bool walked = false, dev_known;
	int64_t rest;

	if (read_locked_ranges(inst, &locked))
		return;
	model_infer(inst, MLA_LOCKED_VM, MLA_SRC_MLOCK, locked, true);
	dev_known = !proc_device_ranges(p->tgid, &dev, &ndev);
	for (size_t i = 0; i < s->probes.nvfio_maps; i++) {
		const struct mla_vfio_map *r = &s->probes.vfio_maps[i];
		bool device;

		if (r->mm != mm)
			continue;
		/*
		 * smaps' VmFlags say; without them, a map that charged
		 * nothing (6.1.20+ counts per dma) is taken for one. An
		 * mdev's container pins lazily: charged nothing, RAM still.
		 */
		device = dev_known ? in_ranges(dev, ndev, r->vaddr, r->size) :
				     !r->locked && r->size;
		/* keyed as the events that remove it will name it: a charged
		 * dma by its pointer (precise tier), else by the container */
		model_add_mapping(inst,
				  precise && !device ? r->dma : r->container,
				  r->iova, r->vaddr, r->size, r->locked,
				  r->lock_cap, device);
		vfio += r->locked;
		walked = true;
	}
	free(dev);
	if (walked) {
		model_infer(inst, MLA_LOCKED_VM, MLA_SRC_VFIO, vfio, true);
		return;
	}
	rest = inst->by_src[MLA_LOCKED_VM][MLA_SRC_PREEXISTING] +
	       inst->base[MLA_LOCKED_VM][MLA_SRC_PREEXISTING] +
	       inst->inferred[MLA_LOCKED_VM][MLA_SRC_PREEXISTING];
	if (rest > 0 && proc_has_vfio(p->tgid))
		model_infer(inst, MLA_LOCKED_VM, MLA_SRC_VFIO, rest, false);
}

/*
 * Is this process a VMM? Its VM's name, RAM and devices, read once, and
 * again if it was no VM under another name (@comm: its name now).
 */
static void learn_vm(struct mla_proc *p, const char *comm)
{
	struct vm_info vm;
	char *cmd, *cg, scope[VM_NAME_LEN];
	size_t len = 0;
	bool is_vm;

	if (p->vm_checked &&
	    (p->vm || !strncmp(p->vm_comm, comm, sizeof(p->vm_comm))))
		return;
	if (p->exited || !proc_same_start(p->tgid, p->start_ns))
		return;
	p->vm_checked = true;
	strncpy(p->vm_comm, comm, sizeof(p->vm_comm) - 1);
	cmd = proc_read(p->tgid, "cmdline", &len);
	is_vm = cmd && vm_parse_cmdline(cmd, len, &vm);
	free(cmd);
	if (!is_vm)
		memset(&vm, 0, sizeof(vm));
	/* libvirt names the domain in its scope; its helpers share it */
	cg = proc_read(p->tgid, "cgroup", NULL);
	if (cg && vm_name_from_cgroup(cg, scope, sizeof(scope))) {
		if (!vm.name[0])
			snprintf(vm.name, sizeof(vm.name), "%s", scope);
		is_vm = true;
	}
	free(cg);
	if (!is_vm)
		return;
	p->vm = malloc(sizeof(vm));
	if (p->vm)
		*p->vm = vm;
	p->vfio_groups = proc_vfio_groups(p->tgid);
}

/* Its cgroup v2 path, for --cgroup, and who it belongs to, for labels. */
static void learn_cgroup(struct session *s, struct mla_proc *p)
{
	struct cgroup_attr attr;
	char *text;

	p->cgroup_checked = true;
	if (p->exited || !proc_same_start(p->tgid, p->start_ns))
		return;
	text = proc_read(p->tgid, "cgroup", NULL);
	if (!text)
		return;
	free(p->cgroup);
	p->cgroup = cgroup_v2_path(text);
	free(text);
	/* another cgroup namespace's process: said once, and not at start,
	 * where an unreadable PID 1 (a sandbox's) says nothing yet */
	if (p->cgroup && !strncmp(p->cgroup, "/..", 3) && !s->cgroupns_warned) {
		s->cgroupns_warned = true;
		fprintf(stderr,
			"memlockacct: cgroup paths are relative to this "
			"container's cgroup namespace (they start with /..): "
			"%s%s\n",
			s->cgroupns_err ? "cannot enter PID 1's: " :
					  "PID 1 is in it too (no hostPID?)",
			s->cgroupns_err ? strerror(-s->cgroupns_err) : "");
	}
	if (!cgroup_attr_parse(p->cgroup, &attr)) {
		free(p->cg_attr);
		p->cg_attr = NULL;
		return;
	}
	/* read again (--cgroup): the same pod keeps the names it had */
	if (p->cg_attr && !strcmp(p->cg_attr->pod_uid, attr.pod_uid)) {
		memcpy(attr.pod_namespace, p->cg_attr->pod_namespace,
		       sizeof(attr.pod_namespace));
		memcpy(attr.pod_name, p->cg_attr->pod_name,
		       sizeof(attr.pod_name));
	} else if (attr.pod_uid[0]) {
		kube_pod_names(KUBE_POD_LOG_DIR, attr.pod_uid,
			       attr.pod_namespace, attr.pod_name);
	}
	if (!p->cg_attr)
		p->cg_attr = malloc(sizeof(*p->cg_attr));
	if (p->cg_attr)
		*p->cg_attr = attr;
}

/*
 * With --cgroup, every process again at every harvest and before a view
 * renders: it may have been moved since (systemd and libvirt move a
 * process into its scope after it started). Otherwise once, at first sight.
 */
static void learn_cgroups(struct session *s, bool again)
{
	struct mla_proc **pv;
	size_t n = model_procs(s->model, &pv);

	for (size_t i = 0; i < n; i++)
		if (again || !pv[i]->cgroup_checked)
			learn_cgroup(s, pv[i]);
	free(pv);
}

void learn_process(struct session *s, struct mla_proc *p, const char *comm)
{
	learn_vm(p, comm);
	if (!p->cgroup_checked)
		learn_cgroup(s, p);
}

static void sync_one(struct session *s, __u64 key, const struct mla_mm_stat *st)
{
	struct mla_inst *inst = model_sync_mm(s->model, st);

	if (!inst)
		return;
	learn_process(s, inst->proc, st->comm);
	if ((st->flags & MLA_MM_SEEDED) && !(inst->flags & MLA_INST_INFERRED))
		infer_baseline(s, inst, key);
}

/*
 * A key at a time: kernels before 5.6 have no batch lookup, and a hash
 * bucket with more entries than a batch holds refuses one (ENOSPC).
 */
static void harvest_live_keys(struct session *s, int fd)
{
	__u64 key, next, *prev = NULL;
	struct mla_mm_stat st;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &st))
			sync_one(s, key, &st);
	}
}

#define HARVEST_BATCH 256

/*
 * Every live mm, HARVEST_BATCH a system call: two calls an mm, 4 times a
 * second, were most of the exporter's CPU with 10,000 holders.
 */
static void harvest_live(struct session *s)
{
	int fd = bpf_map__fd(s->probes.skel->maps.mms);
	static __u64 keys[HARVEST_BATCH];
	static struct mla_mm_stat vals[HARVEST_BATCH];
	__u64 token = 0; /* where the last batch ended (a hash bucket) */
	bool first = true;

	for (;;) {
		__u32 count = HARVEST_BATCH;
		int err =
			bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					     keys, vals, &count, NULL);

		if (err && errno != ENOENT) {
			/* all of it the slow way: synced twice is harmless */
			harvest_live_keys(s, fd);
			return;
		}
		for (__u32 i = 0; i < count; i++)
			sync_one(s, keys[i], &vals[i]);
		if (err) /* ENOENT: that was the last of them */
			return;
		first = false;
	}
}

static void harvest_dead(struct session *s)
{
	int fd = bpf_map__fd(s->probes.skel->maps.dead);
	__u64 key;
	struct mla_mm_stat st;

	/* restart from the top: the key just deleted cannot lead further */
	while (!bpf_map_get_next_key(fd, NULL, &key)) {
		if (!bpf_map_lookup_elem(fd, &key, &st)) {
			model_sync_mm(s->model, &st);
			record_put(&s->rec, MLA_REC_MM, &st, sizeof(st));
		}
		if (bpf_map_delete_elem(fd, &key))
			break;
	}
}

static void harvest_users(struct session *s)
{
	int fd = bpf_map__fd(s->probes.skel->maps.users);
	__u32 key, next, *prev = NULL;
	struct mla_user_stat us;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &us))
			model_sync_user(s->model, key, &us);
	}
}

/*
 * The command itself went into the tree from /proc, whose start time has
 * clock-tick resolution: match it to the process the BPF side knows, and
 * only when there is none (it never charged anything) make one up.
 */
static struct mla_proc *tree_root(struct session *s, __u32 tgid, bool create)
{
	uint64_t tick = 1000000000ULL / sysconf(_SC_CLK_TCK);
	struct mla_proc **pv, *found = NULL;
	size_t n = model_procs(s->model, &pv);

	for (size_t i = 0; i < n; i++)
		if (pv[i]->tgid == tgid &&
		    pv[i]->start_ns / tick == s->child_start / tick)
			found = pv[i];
	free(pv);
	if (!found && create)
		found = model_proc(s->model, tgid, s->child_start, true);
	return found;
}

static void harvest_tree(struct session *s, bool final)
{
	int fd = bpf_map__fd(s->probes.skel->maps.tree);
	__u32 key, next, *prev = NULL;
	__u64 start;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct mla_proc *p;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &start))
			continue;
		p = start ? model_proc(s->model, key, start, true) :
			    tree_root(s, key, final);
		if (!p)
			continue;
		p->in_tree = true;
		/* /proc, if the pid is still this process's */
		if (!p->comm[0] && proc_same_start(key, p->start_ns))
			proc_comm(key, p->comm, sizeof(p->comm));
	}
}

/*
 * Snapshot the maps into the model. Events first: the maps are newer than
 * the ring (the programs wake us only when the ring fills, so it is rarely
 * empty here); all of them for a final snapshot, a turn's worth otherwise
 * (drain()).
 */
bool harvest_exits(struct session *s, bool final)
{
	bool to_end = drain(s, final);

	harvest_dead(s);
	return to_end;
}

void harvest(struct session *s, bool final)
{
	s->caught_up = harvest_exits(s, final);
	harvest_live(s);
	harvest_users(s);
	if (s->o->probes.follow_tree)
		harvest_tree(s, final);
	if (s->o->filter.cgroup || s->o->filter.cg_sel)
		learn_cgroups(s, true);
}

/*
 * Aggregate mode sends no events for what only mlock holds: before a view
 * shows double counting, read the ranges that moved from smaps (a process
 * that has exited since keeps them unknown); and drop the device maps of
 * a process that closed its containers.
 */
static void refresh_ranges(struct session *s)
{
	struct mla_proc **pv;
	size_t n = model_procs(s->model, &pv);

	for (size_t i = 0; i < n; i++) {
		struct mla_inst *inst = pv[i]->newest;

		if (inst && (inst->flags & MLA_INST_RANGES_STALE) &&
		    read_locked_ranges(inst, NULL))
			model_ranges_lost(inst);
		/* device maps go with the container, and it with the process's
		 * last VFIO file: no event says so */
		if (inst && (inst->flags & MLA_INST_DEVICE_MAPS) &&
		    proc_same_start(pv[i]->tgid, pv[i]->start_ns) &&
		    !proc_has_vfio(pv[i]->tgid))
			model_drop_device(inst);
	}
	free(pv);
}

void refresh_for_view(struct session *s)
{
	refresh_ranges(s);
	/* and those known only from events (a refusal) get their label */
	learn_cgroups(s, s->o->filter.cgroup || s->o->filter.cg_sel);
}

/* Compare each live process with the kernel's own VmLck and VmPin. */
static int reconcile(struct session *s)
{
	unsigned int kib_per_page = s->o->out.page_size / 1024;
	struct mla_proc **pv;
	size_t n = model_procs(s->model, &pv);
	int drifting = 0;

	for (size_t i = 0; i < n; i++) {
		struct mla_proc *p = pv[i];
		struct proc_status st;
		uint64_t kernel[2], soft, hard;

		if (p->exited || !proc_matches(p, &s->o->filter))
			continue;
		if (proc_status(p->tgid, &st) || !st.has_vm ||
		    !proc_same_start(p->tgid, p->start_ns)) {
			if (!p->newest)
				p->exited = true; /* never charged, now gone */
			continue;
		}
		p->cap_known = true;
		p->cap_ipc_lock = st.cap_ipc_lock;
		kernel[MLA_LOCKED_VM] = st.vmlck_kib / kib_per_page;
		kernel[MLA_PINNED_VM] = st.vmpin_kib / kib_per_page;
		model_reconcile(p, kernel);
		if (p->drift[0] || p->drift[1])
			drifting++;
		if (!proc_memlock_limit(p->tgid, &soft, &hard)) {
			p->limit_known = true;
			p->limit_soft = soft;
			p->limit_hard = hard;
		}
	}
	free(pv);
	return drifting;
}

/* Harvest and reconcile; a change racing the two shows as drift: retry. */
void sync_all(struct session *s, bool final)
{
	for (int tries = 0; tries < 3; tries++) {
		probes_resync(&s->probes);
		harvest(s, final);
		if (!reconcile(s))
			break;
		usleep(20000);
	}
}

/* Entries in a map: what churn must not leave behind. */
static uint32_t map_entries(struct bpf_map *map, size_t key_size)
{
	__u64 key[2], next[2];
	void *prev = NULL;
	uint32_t n = 0;

	while (!bpf_map_get_next_key(bpf_map__fd(map), prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

void count_entries(struct session *s, uint32_t out[3])
{
	out[0] = map_entries(s->probes.skel->maps.mms, sizeof(__u64));
	out[1] = map_entries(s->probes.skel->maps.dead, sizeof(__u64));
	out[2] = map_entries(s->probes.skel->maps.users, sizeof(__u32));
}

void stats_of(struct session *s, struct run_stats *rs)
{
	const struct mla_stats *st = &s->probes.skel->bss->stats;

	memset(rs, 0, sizeof(*rs));
	memcpy(rs->maps_start, s->maps_start, sizeof(rs->maps_start));
	count_entries(s, rs->maps_end);
	rs->lost_events = st->lost_events;
	rs->dropped_mms = st->dropped_mms;
	rs->dropped_dead = st->dropped_dead;
	rs->dropped_users = st->dropped_users;
	rs->drop_errno = (int)s->probes.skel->bss->drop_errno;
	rs->busy = st->busy;
	rs->walk_lost = st->walk_lost;
	rs->events = st->events;
	rs->tier = probe_tier_name(s->probes.precise ? TIER_PRECISE :
						       TIER_PORTABLE);
	rs->duration_ns = mono_ns() - s->start_mono;
}

/* record -o: the end of a recording, all the model knows besides events. */
void record_final(struct session *s)
{
	int fd = bpf_map__fd(s->probes.skel->maps.mms);
	__u64 key, next, *prev = NULL;
	struct mla_rec_end end = { 0 };
	struct mla_rec_user ru;
	struct mla_mm_stat st;
	__u32 ukey, unext, *uprev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &st))
			record_put(&s->rec, MLA_REC_MM, &st, sizeof(st));
	}
	fd = bpf_map__fd(s->probes.skel->maps.users);
	while (!bpf_map_get_next_key(fd, uprev, &unext)) {
		ukey = unext;
		uprev = &ukey;
		memset(&ru, 0, sizeof(ru));
		ru.uid = ukey;
		if (!bpf_map_lookup_elem(fd, &ukey, &ru.us))
			record_put(&s->rec, MLA_REC_USER, &ru, sizeof(ru));
	}
	replay_dump(s->model, &s->rec);
	end.stats = s->probes.skel->bss->stats;
	end.duration_ns = mono_ns() - s->start_mono;
	end.precise = s->probes.precise;
	end.tree_only = s->o->filter.tree_only;
	record_put(&s->rec, MLA_REC_END, &end, sizeof(end));
}
