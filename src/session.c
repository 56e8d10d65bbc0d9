// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include <linux/types.h>
#include "memlockacct.h"
#include "memlockacct.skel.h"
#include "model.h"
#include "procfs.h"
#include "prom.h"
#include "replay.h"
#include "vm.h"
#include "session.h"

#define POLL_MS 50
#define HARVEST_NS 250000000ULL /* the maps are read this often */
#define TURN_NS 25000000ULL	/* the ring is read this long at most a turn */
#define FINAL_NS 1000000000ULL	/* and this long for a final snapshot */
#define RESYNC_NS 1000000000ULL

struct session {
	struct session_opts *o;
	struct probes probes;
	struct mla_model *model;
	struct ring_buffer *rb;
	FILE *out;
	FILE *events;
	pid_t child;
	int child_status;
	bool child_done;
	uint64_t child_start; /* ns, at clock-tick resolution */
	uint32_t maps_start[3];
	struct record_writer rec; /* record -o */
	uint64_t start_mono;
	uint64_t turn_ns;  /* how long this turn reads the ring */
	uint64_t turn_end; /* handle_event() yields past it; 0: not begun */
	unsigned int turn_events;
	bool caught_up; /* the last harvest read the ring to its end */
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t child_pid_for_signals;

static void on_signal(int sig)
{
	/* run: the command decides when tracing ends; pass the signal on */
	if (child_pid_for_signals > 0 && sig != SIGINT) {
		kill(child_pid_for_signals, sig);
		return;
	}
	if (child_pid_for_signals > 0 && !stop_requested) {
		stop_requested = 1; /* SIGINT reached the command as well */
		return;
	}
	stop_requested = 2;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool event_shown(struct session *s, const struct mla_event *e)
{
	const struct proc_filter *f = &s->o->filter;

	if (s->o->failures_only && e->type != MLA_EV_FAILURE)
		return false;
	if (e->type != MLA_EV_CHANGE && e->type != MLA_EV_FAILURE)
		return false;
	if (f->pid && (int)e->tgid != f->pid)
		return false;
	if (f->comm && strncmp(e->comm, f->comm, strlen(f->comm)))
		return false;
	return true;
}

/* Read a process's VM_LOCKED ranges from /proc/PID/smaps into @inst. */
static int read_locked_ranges(struct mla_inst *inst, uint64_t *pages)
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
		*pages = 0;
		for (size_t i = 0; i < n; i++)
			*pages += (r[i].end - r[i].start) / 4096;
	}
	free(r);
	return 0;
}

static void apply_event(struct session *s, const void *data, size_t size)
{
	struct mla_event e;

	if (size < sizeof(e))
		return;
	memcpy(&e, data, sizeof(e));
	/*
	 * Aggregate mode: this mm's mlock changes were not sent until now
	 * (it gained another source, or was refused): its ranges from smaps,
	 * before the model explains anything with them.
	 */
	if ((e.flags & MLA_F_UNSTREAMED) && e.mm_id &&
	    (e.type == MLA_EV_CHANGE || e.type == MLA_EV_FAILURE)) {
		struct mla_inst *inst = model_inst(s->model, e.mm_id);

		if (inst && read_locked_ranges(inst, NULL))
			model_ranges_lost(inst);
	}
	model_apply_event(s->model, &e);
	record_put(&s->rec, MLA_REC_EVENT, &e, sizeof(e));
	/* mlockall(MCL_CURRENT) locked every VMA: smaps says which */
	if (e.type == MLA_EV_RANGE && e.mm_id) {
		struct mla_inst *inst = model_inst(s->model, e.mm_id);

		if (inst && (inst->flags & MLA_INST_RANGES_STALE))
			read_locked_ranges(inst, NULL);
	}
	if (s->o->mode == MODE_TRACE && event_shown(s, &e)) {
		const struct mla_failure *fl;
		size_t n = model_failures(s->model, &fl);

		if (e.type == MLA_EV_FAILURE && n &&
		    fl[n - 1].ev.ts_ns == e.ts_ns) {
			/* refusals come with their explanation */
			if (s->o->out.json) {
				struct json_object *j =
					failure_json(&fl[n - 1], &s->o->out);

				fprintf(s->out, "%s\n",
					json_object_to_json_string_ext(
						j, JSON_C_TO_STRING_PLAIN));
				json_object_put(j);
			} else {
				failure_print(s->out, &fl[n - 1],
					      model_proc(s->model, e.tgid,
							 e.start_ns, false),
					      &s->o->out);
			}
		} else {
			trace_event(s->out, &s->o->out, &e);
		}
		fflush(s->out);
	}
	if (s->events && e.type != MLA_EV_PROCESS) {
		struct json_object *j = event_json(&s->o->out, &e);

		fprintf(s->events, "%s\n",
			json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	}
}

/*
 * A turn of the event loop reads the ring for TURN_NS at most from its
 * first event, so that the loop empties the dead map in between: a
 * frontend slower than the programs (--events in the sanitizer build)
 * never reached the ring's end while they produced, and 10,000 exits
 * overflowed the dead map meanwhile. A final snapshot reads for FINAL_NS
 * at most: what a busy host adds after Ctrl-C must not hold the exit.
 * libbpf has consumed the event when this says stop.
 */
static void start_turn(struct session *s, uint64_t ns)
{
	s->turn_ns = ns;
	s->turn_end = 0;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	apply_event(s, data, size);
	if (!s->turn_end)
		s->turn_end = mono_ns() + s->turn_ns;
	else if (!(++s->turn_events % 64) && mono_ns() >= s->turn_end)
		return -EAGAIN;
	return 0;
}

/*
 * Read the ring, for the rest of the turn or a final snapshot's time; true
 * if it reached the end. A snapshot of the maps taken while events wait is
 * still right: the model takes no counter from an event older than the
 * snapshot (by seq), only its detail.
 */
static bool drain(struct session *s, bool final)
{
	if (final)
		start_turn(s, FINAL_NS);
	return ring_buffer__consume(s->rb) != -EAGAIN;
}

/* ---- keeping the model in step with the maps ------------------------------ */

/*
 * A process that held memory before we started: split what its mm held
 * between mlock (its VM_LOCKED VMAs, from smaps) and VFIO (its mappings,
 * from the walk of open containers, or only inferred when it has VFIO open
 * and the walk could not run).
 */
static void infer_baseline(struct session *s, struct mla_inst *inst,
			   __u64 mm)
{
	struct mla_proc *p = inst->proc;
	uint64_t locked = 0, vfio = 0;
	bool walked = false;
	int64_t rest;

	if (read_locked_ranges(inst, &locked))
		return;
	model_infer(inst, MLA_LOCKED_VM, MLA_SRC_MLOCK, locked, true);
	for (size_t i = 0; i < s->probes.nvfio_maps; i++) {
		const struct mla_vfio_map *r = &s->probes.vfio_maps[i];

		if (r->mm != mm)
			continue;
		model_add_mapping(inst, r->dma, r->iova, r->vaddr, r->size,
				  r->locked, r->lock_cap);
		vfio += r->locked;
		walked = true;
	}
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

/* Is this process a VMM? Its VM's name, RAM and devices, read once. */
static void learn_vm(struct mla_proc *p)
{
	struct vm_info vm;
	char *cmd, *cg, scope[VM_NAME_LEN];
	size_t len = 0;
	bool is_vm;

	if (p->vm_checked || p->exited || !proc_same_start(p->tgid, p->start_ns))
		return;
	p->vm_checked = true;
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

static void harvest_live(struct session *s)
{
	int fd = bpf_map__fd(s->probes.skel->maps.mms);
	__u64 key, next, *prev = NULL;
	struct mla_mm_stat st;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &st))
			continue;
		struct mla_inst *inst = model_sync_mm(s->model, &st);

		if (inst)
			learn_vm(inst->proc);
		if (inst && (st.flags & MLA_MM_SEEDED) &&
		    !(inst->flags & MLA_INST_INFERRED))
			infer_baseline(s, inst, key);
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
static bool harvest_exits(struct session *s, bool final)
{
	bool to_end = drain(s, final);

	harvest_dead(s);
	return to_end;
}

static void harvest(struct session *s, bool final)
{
	s->caught_up = harvest_exits(s, final);
	harvest_live(s);
	harvest_users(s);
	if (s->o->probes.follow_tree)
		harvest_tree(s, final);
}

/*
 * Aggregate mode sends no events for what only mlock holds: before a view
 * shows double counting, read the ranges that moved from smaps (a process
 * that has exited since keeps them unknown).
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
	}
	free(pv);
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
static void sync_all(struct session *s, bool final)
{
	for (int tries = 0; tries < 3; tries++) {
		probes_resync(&s->probes);
		harvest(s, final);
		if (!reconcile(s))
			break;
		usleep(20000);
	}
}

/* ---- run: the traced command ---------------------------------------------- */

/* Fork the command, stopped until the probes are attached. */
static int spawn(struct session *s, int *go_fd)
{
	int go[2], err_pipe[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char c;
		int e;

		close(go[1]);
		close(err_pipe[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(s->o->cmd[0], s->o->cmd);
		e = errno;
		if (write(err_pipe[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err_pipe[1]);
	*go_fd = go[1];
	s->child = pid;
	/* keep the read end: after go, it says whether exec worked */
	return err_pipe[0];
}

static bool tree_alive(struct session *s)
{
	struct mla_proc **pv;
	size_t n = model_procs(s->model, &pv);
	bool alive = false;

	for (size_t i = 0; i < n && !alive; i++) {
		struct proc_status st;

		if (!pv[i]->in_tree || pv[i]->exited)
			continue;
		/* a zombie has no Vm lines: it is done with its memory */
		if (!proc_status(pv[i]->tgid, &st) && st.has_vm &&
		    proc_same_start(pv[i]->tgid, pv[i]->start_ns))
			alive = true;
	}
	free(pv);
	return alive;
}

static void check_child(struct session *s)
{
	int status;

	if (s->child_done || !s->child)
		return;
	if (waitpid(s->child, &status, WNOHANG) == s->child) {
		s->child_done = true;
		s->child_status = WIFEXITED(status) ? WEXITSTATUS(status) :
						     128 + WTERMSIG(status);
		child_pid_for_signals = 0;
	}
}

/* ---- the session ---------------------------------------------------------- */

static void write_ready_file(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f) {
		fprintf(stderr, "memlockacct: cannot write %s: %s\n", path,
			strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
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

static void count_entries(struct session *s, uint32_t out[3])
{
	out[0] = map_entries(s->probes.skel->maps.mms, sizeof(__u64));
	out[1] = map_entries(s->probes.skel->maps.dead, sizeof(__u64));
	out[2] = map_entries(s->probes.skel->maps.users, sizeof(__u32));
}

static void stats_of(struct session *s, struct run_stats *rs)
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
	rs->tier = s->probes.precise ? "precise" : "portable";
	rs->duration_ns = mono_ns() - s->start_mono;
}

/* record -o: the end of a recording, all the model knows besides events. */
static void record_final(struct session *s)
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

static void print_summary(struct session *s)
{
	struct run_stats rs;

	stats_of(s, &rs);
	refresh_ranges(s);
	if (s->o->out.json) {
		struct json_object *j =
			report_json(s->model, &s->o->filter, &s->o->out, &rs);

		fprintf(s->out, "%s\n", json_object_to_json_string_ext(
						j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
	} else if (s->o->vm_view) {
		vms_text(s->out, s->model, &s->o->filter, &s->o->out);
	} else {
		report_text(s->out, s->model, &s->o->filter, &s->o->out, &rs);
	}
	fflush(s->out);
}

/* --prometheus: the textfile, rewritten at every refresh */
static void prom_refresh(struct session *s)
{
	struct run_stats rs;
	int err;

	if (!s->o->prom_path)
		return;
	refresh_ranges(s);
	stats_of(s, &rs);
	err = prom_write(s->o->prom_path, s->model, &s->o->filter, &s->o->out,
			 &rs);
	if (err)
		fprintf(stderr, "memlockacct: cannot write %s: %s\n",
			s->o->prom_path, strerror(-err));
}

static void top_refresh(struct session *s)
{
	refresh_ranges(s);
	if (!s->o->no_clear)
		fprintf(s->out, "\033[H\033[2J");
	top_text(s->out, s->model, &s->o->filter, &s->o->out, s->o->sort,
		 s->o->rows);
	fflush(s->out);
}

static int open_outputs(struct session *s)
{
	s->out = stdout;
	if (s->o->output_path) {
		s->out = fopen(s->o->output_path, "we");
		if (!s->out) {
			fprintf(stderr, "memlockacct: cannot write %s: %s\n",
				s->o->output_path, strerror(errno));
			return 2;
		}
	}
	if (s->o->events_path) {
		s->events = fopen(s->o->events_path, "we");
		if (!s->events) {
			fprintf(stderr, "memlockacct: cannot write %s: %s\n",
				s->o->events_path, strerror(errno));
			return 2;
		}
	}
	return 0;
}

static void close_outputs(struct session *s)
{
	if (s->out && s->out != stdout)
		fclose(s->out);
	if (s->events)
		fclose(s->events);
}

static int add_to_tree(struct session *s, pid_t pid)
{
	uint64_t ticks = 0;
	__u32 key = pid;
	__u64 zero = 0; /* "the root": see tree_root() */

	if (proc_starttime(pid, &ticks))
		return -ESRCH;
	s->child_start = ticks * (1000000000ULL / sysconf(_SC_CLK_TCK));
	if (bpf_map__update_elem(s->probes.skel->maps.tree, &key, sizeof(key),
				 &zero, sizeof(zero), BPF_ANY))
		return -errno;
	return 0;
}

static int loop(struct session *s)
{
	uint64_t last_sync = 0, last_top = 0, last_resync = 0, deadline = 0;
	int refreshes = 0;

	if (s->o->duration_s > 0)
		deadline = s->start_mono + s->o->duration_s * 1e9;
	if (s->o->mode == MODE_TOP)
		top_refresh(s);
	while (stop_requested < 2) {
		uint64_t now;
		int err;

		start_turn(s, TURN_NS);
		err = ring_buffer__poll(s->rb, POLL_MS);
		if (err < 0 && err != -EINTR && err != -EAGAIN) {
			fprintf(stderr, "memlockacct: reading events: %s\n",
				strerror(-err));
			return 1;
		}
		now = mono_ns();
		/*
		 * Exits outrun the full harvest: 10,000 processes forked and
		 * gone in 0.8 s overflowed the dead map (MLA_MAX_DEAD) between
		 * two 250 ms harvests. Emptying it costs a syscall when empty.
		 */
		harvest_exits(s, false);
		if (s->o->mode == MODE_RUN) {
			check_child(s);
			if (s->child_done) {
				harvest(s, false);
				if (!tree_alive(s))
					break;
			}
		} else if (stop_requested) {
			break;
		}
		if (now - last_sync >= HARVEST_NS) {
			if (s->o->mode == MODE_TOP || s->o->mode == MODE_REPORT ||
			    s->o->mode == MODE_RECORD)
				sync_all(s, false);
			else
				harvest(s, false);
			if (now - last_resync >= RESYNC_NS) {
				probes_resync(&s->probes);
				if (probes_attach_late(&s->probes))
					fprintf(stderr, "memlockacct: vfio_iommu_type1 "
							"was loaded: its probes are "
							"attached now\n");
				last_resync = now;
			}
			/*
			 * top and trace never show exited processes again;
			 * while events wait, one of a forgotten mm would make
			 * it anew
			 */
			if ((s->o->mode == MODE_TOP ||
			     s->o->mode == MODE_TRACE) &&
			    s->caught_up)
				model_forget_exited(s->model);
			last_sync = now;
		}
		if (s->o->prom_path && now - last_top >= s->o->interval_s * 1e9 &&
		    s->o->mode != MODE_TOP) {
			prom_refresh(s);
			last_top = now;
		}
		if (s->o->mode == MODE_TOP &&
		    now - last_top >= s->o->interval_s * 1e9) {
			top_refresh(s);
			prom_refresh(s);
			last_top = now;
			if (s->o->count && ++refreshes >= s->o->count)
				break;
		}
		if (deadline && now >= deadline)
			break;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return 0;
}

int session_run(struct session_opts *o)
{
	struct session s = { .o = o, .turn_ns = FINAL_NS };
	char why[512] = "";
	int go_fd = -1, exec_err_fd = -1, err, ret = 0;
	struct sigaction sa = { .sa_handler = on_signal };

	libbpf_set_print(o->verbose ? libbpf_print : libbpf_quiet);
	ret = open_outputs(&s);
	if (ret)
		goto out;
	s.model = model_new();
	if (!s.model) {
		ret = 1;
		goto out;
	}
	if (o->mode == MODE_RUN) {
		exec_err_fd = spawn(&s, &go_fd);
		if (exec_err_fd < 0) {
			fprintf(stderr, "memlockacct: cannot start %s: %s\n",
				o->cmd[0], strerror(-exec_err_fd));
			ret = 1;
			goto out;
		}
	}
	err = probes_start(&s.probes, &o->probes, why, sizeof(why));
	if (err) {
		fprintf(stderr, "memlockacct: %s\n", why);
		ret = 1;
		goto out;
	}
	o->out.start_ns = s.probes.start_ns;
	if (o->record_path) {
		err = record_create(&s.rec, o->record_path, o->out.page_size,
				    s.probes.start_ns);
		if (err) {
			fprintf(stderr, "memlockacct: cannot write %s: %s\n",
				o->record_path, strerror(-err));
			ret = 2;
			goto out;
		}
	}
	model_vfio_precise(s.model, probes_active(&s.probes, "vfio_lock_acct"));
	s.rb = ring_buffer__new(bpf_map__fd(s.probes.skel->maps.events),
				handle_event, &s, NULL);
	if (!s.rb) {
		fprintf(stderr, "memlockacct: cannot read the event ring: %s\n",
			strerror(errno));
		ret = 1;
		goto out;
	}
	if (o->mode == MODE_RUN && add_to_tree(&s, s.child)) {
		fprintf(stderr, "memlockacct: lost track of %s\n", o->cmd[0]);
		ret = 1;
		goto out;
	}
	if (o->filter.pid && !o->probes.follow_tree) {
		uint64_t ticks = 0;
		__u32 key = o->filter.pid;
		__u64 val = 0;

		if (proc_starttime(o->filter.pid, &ticks)) {
			fprintf(stderr, "memlockacct: no process %d\n",
				o->filter.pid);
			ret = 2;
			goto out;
		}
		bpf_map__update_elem(s.probes.skel->maps.tree, &key,
				     sizeof(key), &val, sizeof(val), BPF_ANY);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	s.start_mono = mono_ns();
	harvest(&s, false); /* the baseline */
	count_entries(&s, s.maps_start);
	if (o->ready_file)
		write_ready_file(o->ready_file);
	if (o->mode == MODE_TRACE) {
		if (!o->out.json)
			fprintf(stderr, "Tracing changes of locked and pinned "
					"memory (%s tier)... Hit Ctrl-C to end.\n",
				s.probes.precise ? "precise" : "portable");
		if (!o->failures_only)
			trace_header(s.out, &o->out, false);
	}
	if (o->mode == MODE_RUN) {
		int exec_err = 0;

		child_pid_for_signals = s.child;
		if (write(go_fd, "g", 1) != 1 ||
		    read(exec_err_fd, &exec_err, sizeof(exec_err)) > 0) {
			fprintf(stderr, "memlockacct: cannot run %s: %s\n",
				o->cmd[0], strerror(exec_err ? exec_err : EIO));
			check_child(&s);
			ret = 127;
			goto out;
		}
	}
	ret = loop(&s);
	if (ret)
		goto out;
	sync_all(&s, true);
	if (!s.caught_up)
		fprintf(stderr,
			"memlockacct: events still arriving after "
			"%.0f s of final reading were not read (totals "
			"are exact)\n",
			FINAL_NS / 1e9);
	if (o->mode == MODE_REPORT || o->mode == MODE_RUN)
		print_summary(&s);
	prom_refresh(&s);
	if (o->record_path) {
		record_final(&s);
		err = record_close(&s.rec);
		if (err) {
			fprintf(stderr, "memlockacct: writing %s: %s\n",
				o->record_path, strerror(-err));
			ret = 1;
		} else if (o->mode == MODE_RECORD) {
			fprintf(stderr, "memlockacct: recorded %" PRIu64 " events "
				"to %s\n",
				(uint64_t)s.probes.skel->bss->stats.events,
				o->record_path);
		}
	}
	if (o->mode == MODE_TRACE && s.probes.skel->bss->stats.lost_events)
		fprintf(stderr, "memlockacct: %" PRIu64 " events lost (ring "
				"buffer full); totals are still exact\n",
			(uint64_t)s.probes.skel->bss->stats.lost_events);
	if (o->mode == MODE_RUN)
		ret = s.child_status;
out:
	if (s.child && !s.child_done) {
		if (go_fd >= 0 && ret)
			kill(s.child, SIGKILL);
		waitpid(s.child, NULL, 0);
	}
	if (go_fd >= 0)
		close(go_fd);
	if (exec_err_fd >= 0)
		close(exec_err_fd);
	record_close(&s.rec);
	ring_buffer__free(s.rb);
	probes_stop(&s.probes);
	model_free(s.model);
	close_outputs(&s);
	return ret;
}

int session_replay(struct session_opts *o)
{
	struct session s = { .o = o };
	struct run_stats rs;
	uint64_t events = 0;
	struct timespec t0, t1;
	char why[512];
	int ret, err;

	ret = open_outputs(&s);
	if (ret)
		return ret;
	s.model = model_new();
	if (!s.model)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = replay_load(o->input_path, s.model, &rs, &o->out.page_size,
			  &events, &o->filter.tree_only, why, sizeof(why));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err) {
		fprintf(stderr, "memlockacct: %s\n", why);
		ret = 1;
	} else if (o->out.json) {
		struct json_object *j =
			report_json(s.model, &o->filter, &o->out, &rs);

		fprintf(s.out, "%s\n", json_object_to_json_string_ext(
						j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
	} else if (o->vm_view) {
		vms_text(s.out, s.model, &o->filter, &o->out);
	} else {
		report_text(s.out, s.model, &o->filter, &o->out, &rs);
	}
	/* the benchmark's figure: loading only, not the report */
	if (!err && getenv("MLA_REPLAY_STATS")) {
		double secs = (t1.tv_sec - t0.tv_sec) +
			      (t1.tv_nsec - t0.tv_nsec) / 1e9;

		fprintf(stderr,
			"replayed %" PRIu64 " events in %.3f s (%.0f events/s)\n",
			events, secs, secs > 0 ? events / secs : 0);
	}
	model_free(s.model);
	close_outputs(&s);
	return ret;
}
