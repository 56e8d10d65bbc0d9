// SPDX-License-Identifier: GPL-2.0
/*
 * A session's lifecycle: open -> start the probes -> the event loop ->
 * the final snapshot, and run's command. What the maps and /proc say is
 * harvest.c's; what is shown, views.c's.
 */
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

#include <linux/types.h>
#include "memlockacct.h"
#include "memlockacct.skel.h"
#include "exporter.h"
#include "model.h"
#include "output.h"
#include "procfs.h"
#include "replay.h"
#include "session_int.h"

#define POLL_MS 50
#define HARVEST_NS 250000000ULL /* the maps are read this often */
#define TURN_NS 25000000ULL	/* the ring is read this long at most a turn */
#define FINAL_NS 1000000000ULL	/* and this long for a final snapshot */
#define RESYNC_NS 1000000000ULL

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

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void apply_event(struct session *s, const void *data, size_t size)
{
	struct mla_event e;
	struct mla_proc *p;

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
	if (e.type == MLA_EV_RANGE)
		settle_device(&e);
	p = model_apply_event(s->model, &e);
	if (p && e.type == MLA_EV_FAILURE)
		learn_process(s, p, e.comm);
	record_put(&s->rec, MLA_REC_EVENT, &e, sizeof(e));
	/* mlockall(MCL_CURRENT) locked every VMA: smaps says which */
	if (e.type == MLA_EV_RANGE && e.mm_id) {
		struct mla_inst *inst = model_inst(s->model, e.mm_id);

		if (inst && (inst->flags & MLA_INST_RANGES_STALE))
			read_locked_ranges(inst, NULL);
	}
	if (s->view->event)
		s->view->event(s, &e);
	if (s->events && e.type != MLA_EV_PROCESS)
		json_print(s->events, event_json(&s->o->out, &e), false);
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
bool drain(struct session *s, bool final)
{
	if (final)
		start_turn(s, FINAL_NS);
	return ring_buffer__consume(s->rb) != -EAGAIN;
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
	if (s->o->mode == MODE_EXPORTER) {
		char why[512];
		/* healthy while the loop publishes: 3 intervals, at least 10 s */
		double stale =
			s->o->interval_s * 3 > 10 ? s->o->interval_s * 3 : 10;

		s->exporter =
			exporter_start(s->o->listen, stale, s->o->web_config,
				       why, sizeof(why));
		if (!s->exporter) {
			fprintf(stderr, "memlockacct: %s\n", why);
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
	exporter_stop(s->exporter);
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
	uint64_t last_sync = 0, last_view = 0, last_resync = 0, deadline = 0;
	const struct view_ops *v = s->view;

	if (s->o->duration_s > 0)
		deadline = s->start_mono + s->o->duration_s * 1e9;
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
		if (s->child) {
			/* run: the command decides when tracing ends */
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
			/*
			 * A view that refreshes compares with /proc when it
			 * renders, not at every harvest: reading each
			 * process's status 4 times a second cost the
			 * exporter 90 % of a core with 10,000 holders.
			 */
			if (v->reconcile && !v->refresh)
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
			 * While events wait, one of a forgotten mm would make
			 * its process anew
			 */
			if (v->forget_exited && s->caught_up)
				model_forget_exited(s->model);
			last_sync = now;
		}
		if (now - last_view >= s->o->interval_s * 1e9) {
			bool done;

			if (v->reconcile && v->refresh)
				sync_all(s, false);
			done = v->refresh && v->refresh(s);

			prom_refresh(s);
			last_view = now;
			if (done)
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
	struct session s = { .o = o,
			     .view = view_of(o->mode),
			     .turn_ns = FINAL_NS };
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
	/* after the command's fork: what it runs keeps its own namespace */
	err = proc_host_cgroupns();
	s.cgroupns_err = err < 0 ? err : 0;
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
	if (s.view->start)
		s.view->start(&s);
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
	/* the record's ranges as the views will show them */
	refresh_for_view(&s);
	if (o->record_path) {
		record_final(&s);
		s.rec_err = record_close(&s.rec);
		if (s.rec_err) {
			fprintf(stderr, "memlockacct: writing %s: %s\n",
				o->record_path, strerror(-s.rec_err));
			ret = 1;
		}
	}
	if (s.view->end)
		s.view->end(&s);
	prom_refresh(&s);
	if (s.child)
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
	} else {
		print_report(s.out, s.model, o, &rs);
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
