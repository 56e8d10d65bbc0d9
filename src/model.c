// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting model (see model.h). Lookups use the POSIX search trees,
 * so every operation is O(log n) in the number of processes.
 */
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"
#include "names.h"
#include "rangeset.h"
#include "syscall_nrs.h"

static int proc_cmp(const void *a, const void *b)
{
	const struct mla_proc *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return 0;
}

static int inst_cmp(const void *a, const void *b)
{
	const struct mla_inst *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int user_cmp(const void *a, const void *b)
{
	const struct mla_user *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

struct mla_model *model_new(void)
{
	return calloc(1, sizeof(struct mla_model));
}

static void inst_free(void *p)
{
	struct mla_inst *inst = p;

	rangeset_free(inst->locked);
	rangeset_free(inst->pinned);
	tdestroy(inst->maps, free);
	free(inst);
}

static void proc_free(void *p)
{
	free(((struct mla_proc *)p)->limit_set);
	free(((struct mla_proc *)p)->limit_refused);
	free(((struct mla_proc *)p)->vm);
	free(((struct mla_proc *)p)->cgroup);
	free(((struct mla_proc *)p)->cg_attr);
	free(p);
}

void model_free(struct mla_model *m)
{
	if (!m)
		return;
	tdestroy(m->procs, proc_free);
	tdestroy(m->insts, inst_free);
	tdestroy(m->users, free);
	tdestroy(m->pending, proc_free);
	free(m->failures);
	free(m);
}

/*
 * A limit set on a process the model did not know yet, by another (its
 * start time is known to BPF only for the caller), waits in m->pending by
 * tgid: the process, once seen, takes it. Kept out of m->procs, so no
 * mm or user points at it when it is freed.
 */
static void adopt_pending(struct mla_model *m, struct mla_proc *p)
{
	struct mla_proc key = { .tgid = p->tgid }, *ph, **found;

	found = tfind(&key, &m->pending, proc_cmp);
	if (!found)
		return;
	ph = *found;
	p->limit_set = ph->limit_set;
	p->limit_refused = ph->limit_refused;
	p->limit_refusals = ph->limit_refusals;
	/* the limit it set is the kernel's until /proc says otherwise */
	p->limit_known = ph->limit_known;
	p->limit_soft = ph->limit_soft;
	p->limit_hard = ph->limit_hard;
	ph->limit_set = ph->limit_refused = NULL;
	tdelete(ph, &m->pending, proc_cmp);
	m->npending--;
	proc_free(ph);
}

static struct mla_proc *pending_get(struct mla_model *m, uint32_t tgid)
{
	struct mla_proc key = { .tgid = tgid }, *p, **found;

	found = tfind(&key, &m->pending, proc_cmp);
	if (found)
		return *found;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	if (!tsearch(p, &m->pending, proc_cmp)) {
		free(p);
		return NULL;
	}
	m->npending++;
	return p;
}

struct mla_proc *model_proc(struct mla_model *m, uint32_t tgid,
			    uint64_t start_ns, bool create)
{
	struct mla_proc key = { .tgid = tgid, .start_ns = start_ns };
	struct mla_proc *p, **found = tfind(&key, &m->procs, proc_cmp);

	if (found)
		return *found;
	if (!create)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	p->start_ns = start_ns;
	if (!tsearch(p, &m->procs, proc_cmp)) {
		free(p);
		return NULL;
	}
	m->nprocs++;
	if (start_ns)
		adopt_pending(m, p);
	return p;
}

static struct inst_node *inst_node(struct mla_model *m, uint64_t id)
{
	struct mla_inst key = { .id = id };
	struct mla_inst **found = tfind(&key, &m->insts, inst_cmp);

	return found ? (struct inst_node *)*found : NULL;
}

struct mla_inst *model_inst(struct mla_model *m, uint64_t id)
{
	struct inst_node *n = inst_node(m, id);

	return n ? &n->inst : NULL;
}

/* Keep the process's instances newest (highest id) first. */
static void proc_link(struct mla_proc *p, struct mla_inst *inst)
{
	struct mla_inst **pos = &p->newest;

	while (*pos && (*pos)->id > inst->id)
		pos = &(*pos)->older;
	inst->older = *pos;
	*pos = inst;
	inst->proc = p;
}

static struct inst_node *inst_get(struct mla_model *m, uint64_t id,
				  uint32_t tgid, uint64_t start_ns,
				  const char *comm, uint32_t uid)
{
	struct inst_node *n = inst_node(m, id);
	struct mla_proc *p;

	if (n)
		return n;
	p = model_proc(m, tgid, start_ns, true);
	n = calloc(1, sizeof(*n));
	if (!p || !n)
		goto fail;
	n->inst.id = id; /* the key, before tsearch sees the node */
	n->inst.locked = rangeset_new();
	n->inst.pinned = rangeset_new();
	/* an mm first seen after we started: we know its ranges from birth */
	n->inst.flags = MLA_INST_RANGES_KNOWN;
	if (!n->inst.locked || !n->inst.pinned ||
	    !tsearch(&n->inst, &m->insts, inst_cmp))
		goto fail;
	m->ninsts++;
	proc_link(p, &n->inst);
	if (comm && comm[0])
		memcpy(p->comm, comm, sizeof(p->comm));
	p->uid = uid;
	return n;
fail:
	if (n) {
		rangeset_free(n->inst.locked);
		rangeset_free(n->inst.pinned);
	}
	free(n);
	return NULL;
}

struct mla_user *model_user(struct mla_model *m, uint32_t uid, bool create)
{
	struct mla_user key = { .uid = uid };
	struct mla_user **found = tfind(&key, &m->users, user_cmp);
	struct user_node *n;

	if (found)
		return *found;
	if (!create)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->user.uid = uid;
	if (!tsearch(&n->user, &m->users, user_cmp)) {
		free(n);
		return NULL;
	}
	m->nusers++;
	return &n->user;
}

/* What the refused process held, by source, when it was refused. */
static void failure_context(struct mla_model *m, struct mla_failure *f)
{
	const struct mla_event *e = &f->ev;
	struct mla_proc *p = model_proc(m, e->tgid, e->start_ns, false);
	const struct mla_inst *cur = p ? proc_current(p) : NULL;
	struct mla_user *u;
	struct overlap_figures fig;
	bool known, cap;

	if (e->counter < MLA_NR_MM_COUNTERS && cur) {
		/*
		 * e->value is the counter at the refusal. A map snapshot taken
		 * after it (the ring drained, then the refusal and the next
		 * charge, then the snapshot) already holds what came later: a
		 * refusal of a process that held nothing is told as such.
		 */
		for (int s = 0; s < MLA_NR_SOURCES && e->value; s++)
			f->sources[s] = proc_source(p, e->counter, s);
		if (proc_overlap(p, &fig, &known, &cap))
			f->twice = fig.mlock_vfio + fig.vfio_vfio +
				   (e->counter == MLA_PINNED_VM ?
					    fig.locked_pinned : 0);
		if (e->nr == MLA_NR_mlock || e->nr == MLA_NR_mlock2)
			f->already_locked =
				rangeset_overlap(cur->locked,
						 PAGE_DOWN(e->args[0]),
						 PAGE_UP(e->args[0] +
							 e->args[1])) / PAGE;
	} else if (e->counter >= MLA_USER_LOCKED &&
		   e->counter < MLA_NR_COUNTERS &&
		   (u = model_user(m, e->uid, false))) {
		for (int s = 0; s < MLA_NR_SOURCES; s++)
			f->sources[s] = u->by_src[e->counter - MLA_USER_LOCKED][s];
	}
}

static void add_failure(struct mla_model *m, const struct mla_event *e)
{
	if (m->nfailures == m->capfailures) {
		size_t cap = m->capfailures ? m->capfailures * 2 : 16;
		struct mla_failure *f;

		if (cap > MLA_MAX_FAILURES)
			return;
		f = realloc(m->failures, cap * sizeof(*f));
		if (!f)
			return;
		m->failures = f;
		m->capfailures = cap;
	}
	memset(&m->failures[m->nfailures], 0, sizeof(m->failures[0]));
	m->failures[m->nfailures].ev = *e;
	failure_context(m, &m->failures[m->nfailures++]);
}

/*
 * Is an event with @seq news to a node last synced at @synced? Events of a
 * record file from before seqs carry 0, and always are.
 */
static bool unseen(uint64_t seq, uint64_t synced)
{
	return !seq || seq > synced;
}

static void apply_mm_change(struct inst_node *n, const struct mla_event *e)
{
	struct mla_inst *inst = &n->inst;
	unsigned int c = e->counter, s = e->source;

	if (!unseen(e->seq, n->seq))
		return; /* already in a snapshot */
	n->seq = e->seq;
	if (s >= MLA_NR_SOURCES)
		s = MLA_SRC_OTHER;
	inst->seen[c] = e->value;
	inst->by_src[c][s] = sadd(inst->by_src[c][s], e->delta);
	if (e->value > inst->peak[c])
		inst->peak[c] = e->value;
}

static void apply_user_change(struct mla_model *m, struct inst_node *n,
			      const struct mla_event *e)
{
	unsigned int uc = e->counter - MLA_USER_LOCKED, s = e->source;
	struct user_node *un =
		(struct user_node *)model_user(m, e->uid, true);

	if (s >= MLA_NR_SOURCES)
		s = MLA_SRC_OTHER;
	if (un && unseen(e->useq, un->seq)) {
		un->seq = e->useq;
		un->user.seen[uc] = e->value;
		un->user.by_src[uc][s] = sadd(un->user.by_src[uc][s], e->delta);
		if (e->value > un->user.peak[uc])
			un->user.peak[uc] = e->value;
	}
	if (n && unseen(e->seq, n->seq)) {
		int64_t share = 0;

		n->seq = e->seq;
		n->inst.user_by_src[uc][s] =
			sadd(n->inst.user_by_src[uc][s], e->delta);
		for (int i = 0; i < MLA_NR_SOURCES; i++)
			share = sadd(share, n->inst.user_by_src[uc][i]);
		if (share > 0 && (uint64_t)share > n->inst.user_peak[uc])
			n->inst.user_peak[uc] = share;
	}
}

/* The living process of @tgid the model knows (newest), or NULL. */
static struct mla_proc *proc_living(struct mla_model *m, uint32_t tgid)
{
	struct mla_proc **pv, *p = NULL;
	size_t n = model_procs(m, &pv);

	for (size_t i = 0; i < n; i++)
		if (pv[i]->tgid == tgid && !pv[i]->exited)
			p = pv[i]; /* sorted by start: the last is the newest */
	free(pv);
	return p;
}

void model_limit_set_of(const struct mla_event *e, struct mla_limit_set *ls)
{
	*ls = (struct mla_limit_set){
		.by_tgid = e->cur_tgid,
		.by_pid = e->pid,
		.by_uid = e->uid,
		.ts_ns = e->ts_ns,
		.nr = e->nr,
		.ret = e->ret,
		.soft = e->limit_cur,
		.hard = e->limit_max,
		.old_known = e->flags & MLA_F_OLD_LIMIT,
		.old_soft = e->ctx[0],
		.old_hard = e->ctx[1],
	};
	memcpy(ls->by_comm, e->comm, sizeof(ls->by_comm));
}

/* RLIMIT_MEMLOCK set on e->tgid, or refused: who, to what, when. */
static struct mla_proc *apply_limit(struct mla_model *m,
				    const struct mla_event *e)
{
	struct mla_limit_set *ls = calloc(1, sizeof(*ls)), **slot;
	struct mla_proc *p;

	p = e->start_ns ? model_proc(m, e->tgid, e->start_ns, true) :
			  proc_living(m, e->tgid);
	if (!p)
		p = pending_get(m, e->tgid);
	if (!p || !ls) {
		free(ls);
		return p;
	}
	model_limit_set_of(e, ls);
	if (e->ret) {
		p->limit_refusals++;
		slot = &p->limit_refused;
	} else {
		/* what the kernel now compares, until /proc says otherwise */
		p->limit_known = true;
		p->limit_soft = e->limit_cur;
		p->limit_hard = e->limit_max;
		slot = &p->limit_set;
	}
	free(*slot);
	*slot = ls;
	return p;
}

void model_vfio_precise(struct mla_model *m, bool precise)
{
	m->vfio_precise = precise;
}

/*
 * Aggregate mode: the changes of an mm that only mlock charged were not
 * sent, until @e (MLA_F_UNSTREAMED). Each was mlock's, to locked_vm, so
 * what locked_vm held before @e that we did not see is mlock's. Its ranges
 * are for the caller to read from smaps.
 */
static void catch_up_unstreamed(struct inst_node *n, const struct mla_event *e)
{
	struct mla_inst *inst = &n->inst;
	uint64_t before = e->other[MLA_LOCKED_VM];
	int64_t unseen;

	if (e->type == MLA_EV_CHANGE && e->counter == MLA_LOCKED_VM)
		before = e->value - e->delta;
	unseen = (int64_t)(before - inst->seen[MLA_LOCKED_VM]);
	inst->by_src[MLA_LOCKED_VM][MLA_SRC_MLOCK] =
		sadd(inst->by_src[MLA_LOCKED_VM][MLA_SRC_MLOCK], unseen);
	inst->seen[MLA_LOCKED_VM] = before;
	if (before > inst->peak[MLA_LOCKED_VM])
		inst->peak[MLA_LOCKED_VM] = before;
}

static void note_limit(struct mla_proc *p, const struct mla_event *e)
{
	if (!p || !(e->flags & MLA_F_HAS_LIMIT) || e->cur_tgid != e->tgid)
		return;
	p->limit_known = true;
	p->limit_soft = e->limit_cur;
	p->limit_hard = e->limit_max;
	p->cap_known = true;
	p->cap_ipc_lock = e->flags & MLA_F_CAP_IPC_LOCK;
}

static struct mla_proc *apply(struct mla_model *m, const struct mla_event *e);

struct mla_proc *model_apply_event(struct mla_model *m,
				   const struct mla_event *e)
{
	struct mla_proc *p = apply(m, e);

	note_limit(p, e);
	return p;
}

static struct mla_proc *apply(struct mla_model *m, const struct mla_event *e)
{
	struct inst_node *n = NULL;
	struct mla_proc *p;

	switch (e->type) {
	case MLA_EV_CHANGE:
		if (e->counter >= MLA_NR_COUNTERS)
			return NULL;
		if (e->mm_id)
			n = inst_get(m, e->mm_id, e->tgid, e->start_ns, e->comm,
				     e->uid);
		if (e->counter < MLA_NR_MM_COUNTERS) {
			if (!n)
				return NULL;
			if ((e->flags & MLA_F_UNSTREAMED) &&
			    unseen(e->seq, n->seq))
				catch_up_unstreamed(n, e);
			apply_mm_change(n, e);
			/* mlock's range: its exit sends no event of its own */
			if (e->counter == MLA_LOCKED_VM &&
			    e->cause == MLA_CAUSE_SYSCALL && !n->inst.gone)
				model_mlock_range(&n->inst, e->nr, e->args[0],
						  e->args[1]);
			if (m->vfio_precise)
				model_vfio_charge(&n->inst, e);
			if (e->cause == MLA_CAUSE_KFUNC && !n->inst.gone)
				model_kfunc_range(&n->inst, e);
		} else {
			apply_user_change(m, n, e);
		}
		return n ? n->inst.proc : model_proc(m, e->tgid, e->start_ns, false);
	case MLA_EV_FAILURE:
		/* a snapshot newer than the refusal already holds the rest */
		if ((e->flags & MLA_F_UNSTREAMED) && e->mm_id &&
		    (n = inst_node(m, e->mm_id)) && unseen(e->seq, n->seq))
			catch_up_unstreamed(n, e);
		p = model_proc(m, e->tgid, e->start_ns, true);
		if (p) {
			p->nfailures++;
			if (!p->comm[0])
				memcpy(p->comm, e->comm, sizeof(p->comm));
			p->uid = e->uid;
		}
		if (e->counter < MLA_NR_COUNTERS && e->source < MLA_NR_SOURCES)
			m->refused[e->counter][e->source]++;
		add_failure(m, e);
		return p;
	case MLA_EV_MM_GONE:
		n = inst_get(m, e->mm_id, e->tgid, e->start_ns, e->comm, e->uid);
		if (!n)
			return NULL;
		n->inst.gone = e->cause;
		n->inst.truth[MLA_LOCKED_VM] = e->value;
		n->inst.truth[MLA_PINNED_VM] = e->ctx[0];
		if (e->cause == MLA_CAUSE_EXIT)
			n->inst.proc->exited = true;
		return n->inst.proc;
	case MLA_EV_RANGE:
		/* device memory charges nothing: its map may be the first seen */
		if ((e->flags & MLA_F_DEVICE_MEM) && e->mm_id &&
		    !inst_get(m, e->mm_id, e->tgid, e->start_ns, e->comm,
			      e->uid))
			return NULL;
		model_apply_range(m, e);
		return NULL;
	case MLA_EV_LIMIT:
		return apply_limit(m, e);
	case MLA_EV_PROCESS:
		p = model_proc(m, e->tgid, e->start_ns, true);
		if (p) {
			p->in_tree = true;
			memcpy(p->comm, e->comm, sizeof(p->comm));
		}
		return p;
	}
	return NULL;
}

struct mla_inst *model_sync_mm(struct mla_model *m,
			       const struct mla_mm_stat *st)
{
	struct inst_node *n =
		inst_get(m, st->id, st->tgid, st->start_ns, st->comm, st->uid);
	struct mla_inst *inst;

	if (!n)
		return NULL;
	inst = &n->inst;
	n->seq = st->seq;
	/* aggregate mode: mlock moved ranges that no event told us of */
	if ((st->flags & MLA_MM_UNSTREAMED) && st->seq != inst->ranges_seq)
		inst->flags |= MLA_INST_RANGES_STALE;
	inst->first_ns = st->first_ns;
	memcpy(inst->seen, st->seen, sizeof(inst->seen));
	memcpy(inst->peak, st->peak, sizeof(inst->peak));
	memcpy(inst->by_src, st->by_src, sizeof(inst->by_src));
	memcpy(inst->user_by_src, st->user_by_src, sizeof(inst->user_by_src));
	memcpy(inst->user_peak, st->user_peak, sizeof(inst->user_peak));
	if ((st->flags & MLA_MM_SEEDED) && !(inst->flags & MLA_INST_INFERRED))
		inst->flags &= ~MLA_INST_RANGES_KNOWN; /* until smaps is read */
	inst->flags = (inst->flags & ~0xffu) | (st->flags & 0xffu);
	if (st->flags & MLA_MM_IN_TREE)
		inst->proc->in_tree = true;
	if (st->gone) {
		inst->gone = st->gone;
		memcpy(inst->truth, st->truth, sizeof(inst->truth));
		if (st->gone == MLA_CAUSE_EXIT)
			inst->proc->exited = true;
	}
	return inst;
}

void model_sync_user(struct mla_model *m, uint32_t uid,
		     const struct mla_user_stat *us)
{
	struct user_node *n = (struct user_node *)model_user(m, uid, true);

	if (!n)
		return;
	n->seq = us->seq;
	memcpy(n->user.seen, us->seen, sizeof(n->user.seen));
	memcpy(n->user.peak, us->peak, sizeof(n->user.peak));
	memcpy(n->user.by_src, us->by_src, sizeof(n->user.by_src));
}

void model_infer(struct mla_inst *inst, int counter, int source,
		 uint64_t pages, bool exact)
{
	int64_t avail;

	if (counter < 0 || counter >= MLA_NR_MM_COUNTERS || source <= 0 ||
	    source >= MLA_NR_SOURCES)
		return;
	avail = inst->by_src[counter][MLA_SRC_PREEXISTING] +
		inst->base[counter][MLA_SRC_PREEXISTING] +
		inst->inferred[counter][MLA_SRC_PREEXISTING];
	if ((int64_t)pages > avail)
		pages = avail > 0 ? avail : 0;
	if (exact) {
		inst->base[counter][MLA_SRC_PREEXISTING] -= pages;
		inst->base[counter][source] += pages;
	} else {
		inst->inferred[counter][MLA_SRC_PREEXISTING] -= pages;
		inst->inferred[counter][source] += pages;
	}
	inst->flags |= MLA_INST_INFERRED;
}

void model_reconcile(struct mla_proc *p, const uint64_t kernel[2])
{
	for (int c = 0; c < MLA_NR_MM_COUNTERS; c++) {
		p->kernel[c] = kernel[c];
		p->drift[c] = (int64_t)(proc_final(p, c) - kernel[c]);
	}
	p->reconciled = true;
}

const struct mla_inst *proc_current(const struct mla_proc *p)
{
	/* after exec the process runs on a new mm that holds nothing yet */
	if (!p->newest || p->newest->gone == MLA_CAUSE_EXEC)
		return NULL;
	return p->newest;
}

uint64_t proc_final(const struct mla_proc *p, int counter)
{
	const struct mla_inst *cur = proc_current(p);

	return cur ? cur->seen[counter] : 0;
}

uint64_t proc_peak(const struct mla_proc *p, int counter)
{
	uint64_t peak = 0;

	for (const struct mla_inst *i = p->newest; i; i = i->older)
		if (i->peak[counter] > peak)
			peak = i->peak[counter];
	return peak;
}

int64_t proc_source(const struct mla_proc *p, int counter, int source)
{
	const struct mla_inst *cur = proc_current(p);

	if (!cur)
		return 0;
	return sadd(sadd(cur->by_src[counter][source],
			 cur->base[counter][source]),
		    cur->inferred[counter][source]);
}

int64_t proc_inferred(const struct mla_proc *p, int counter, int source)
{
	const struct mla_inst *cur = proc_current(p);

	return cur ? cur->inferred[counter][source] : 0;
}

int64_t proc_user_share(const struct mla_proc *p, int ucounter, int source)
{
	int64_t sum = 0;

	for (const struct mla_inst *i = p->newest; i; i = i->older)
		sum = sadd(sum, i->user_by_src[ucounter][source]);
	return sum;
}

uint64_t proc_user_peak(const struct mla_proc *p, int ucounter)
{
	uint64_t peak = 0;

	for (const struct mla_inst *i = p->newest; i; i = i->older)
		if (i->user_peak[ucounter] > peak)
			peak = i->user_peak[ucounter];
	return peak;
}

size_t model_forget_exited(struct mla_model *m)
{
	struct mla_proc **pv;
	size_t n = model_procs(m, &pv), gone = 0;

	for (size_t i = 0; i < n; i++) {
		struct mla_proc *p = pv[i];
		struct mla_inst *inst, *older;

		if (!p->exited)
			continue;
		for (inst = p->newest; inst; inst = older) {
			older = inst->older;
			tdelete(inst, &m->insts, inst_cmp);
			m->ninsts--;
			inst_free(inst);
		}
		tdelete(p, &m->procs, proc_cmp);
		m->nprocs--;
		proc_free(p);
		gone++;
	}
	free(pv);
	return gone;
}

/* twalk_r collects the nodes in order into an array. */
struct collect {
	void **items;
	size_t n, cap;
};

static void collect_node(const void *nodep, VISIT which, void *arg)
{
	struct collect *c = arg;

	if ((which != postorder && which != leaf) || c->n == c->cap)
		return;
	c->items[c->n++] = *(void *const *)nodep;
}

static size_t collect(void *root, size_t count, void ***out)
{
	struct collect c = { .cap = count };

	*out = NULL;
	if (!count)
		return 0;
	c.items = calloc(count, sizeof(void *));
	if (!c.items)
		return 0;
	twalk_r(root, collect_node, &c);
	*out = c.items;
	return c.n;
}

size_t model_procs(struct mla_model *m, struct mla_proc ***out)
{
	return collect(m->procs, m->nprocs, (void ***)out);
}

size_t model_pending(struct mla_model *m, struct mla_proc ***out)
{
	return collect(m->pending, m->npending, (void ***)out);
}

size_t model_users(struct mla_model *m, struct mla_user ***out)
{
	return collect(m->users, m->nusers, (void ***)out);
}

uint64_t model_refusals(const struct mla_model *m, int counter, int source)
{
	return m->refused[counter][source];
}

size_t model_failures(struct mla_model *m, const struct mla_failure **out)
{
	*out = m->failures;
	return m->nfailures;
}
