/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside a session, shared by its three parts: session.c (lifecycle, the
 * event loop, the traced command), harvest.c (the maps and /proc into the
 * model) and views.c (what each command prints, as view_ops).
 */
#ifndef MLA_SESSION_INT_H
#define MLA_SESSION_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "model.h"
#include "probes.h"
#include "record.h"
#include "session.h"

struct view_ops;

struct session {
	struct session_opts *o;
	const struct view_ops *view;
	struct probes probes;
	struct mla_model *model;
	struct ring_buffer *rb;
	/* proc_host_cgroupns(): -errno when PID 1's could not be entered */
	int cgroupns_err;
	bool cgroupns_warned;
	FILE *out;
	FILE *events;
	struct exporter *exporter; /* the exporter command's HTTP server */
	pid_t child;
	int child_status;
	bool child_done;
	uint64_t child_start; /* ns, at clock-tick resolution */
	uint32_t maps_start[3];
	struct record_writer rec; /* record -o */
	int rec_err;		  /* of closing it: 0 or -errno */
	uint64_t start_mono;
	uint64_t turn_ns;  /* how long this turn reads the ring */
	uint64_t turn_end; /* handle_event() yields past it; 0: not begun */
	unsigned int turn_events;
	bool caught_up; /* the last harvest read the ring to its end */
	int refreshes;	/* top: screens shown */
};

/*
 * What a command shows, called by the loop: start once every probe is
 * attached (before run's command starts), event for every event the model
 * has taken, refresh every interval (true: done, top's COUNT), end after
 * the final snapshot. Any may be NULL.
 */
struct view_ops {
	void (*start)(struct session *s);
	void (*event)(struct session *s, const struct mla_event *e);
	bool (*refresh)(struct session *s);
	void (*end)(struct session *s);
	bool reconcile; /* compare with /proc: at every harvest, or refresh */
	bool forget_exited; /* never shows an exited process again */
};

const struct view_ops *view_of(enum session_mode mode);
/* The summary of report, run and report -i: table, VMs or JSON. */
void print_report(FILE *out, struct mla_model *m, const struct session_opts *o,
		  const struct run_stats *rs);
/* --prometheus: the textfile, rewritten at every interval */
void prom_refresh(struct session *s);

/* session.c */
uint64_t mono_ns(void);
/* Read the ring, for a turn or a final snapshot's time; true: to its end. */
bool drain(struct session *s, bool final);

/* harvest.c: the maps, then /proc, into the model */
void harvest(struct session *s, bool final);
/* Only the exits, every loop turn (the dead map fills fastest). */
bool harvest_exits(struct session *s, bool final);
/* harvest() and compare with /proc, again if a change raced them */
void sync_all(struct session *s, bool final);
/* Before a view renders: what moved where no event says (smaps, cgroups). */
void refresh_for_view(struct session *s);
void count_entries(struct session *s, uint32_t out[3]);
void stats_of(struct session *s, struct run_stats *rs);
/* record -o: the end of a recording, all the model knows besides events. */
void record_final(struct session *s);
/*
 * Its VM and cgroup from /proc now, not at the next harvest: a process
 * refused often exits at once (QEMU does), and may be in no map to harvest.
 */
void learn_process(struct session *s, struct mla_proc *p, const char *comm);
/* VM_LOCKED ranges from /proc/PID/smaps into @inst; pages of them. */
int read_locked_ranges(struct mla_inst *inst, uint64_t *pages);
/* A VFIO map's MLA_F_DEVICE_UNSURE settled from smaps: DEVICE_MEM or not. */
void settle_device(struct mla_event *e);

#endif
