// SPDX-License-Identifier: GPL-2.0
/*
 * The per-user buckets (user->locked_vm: io_uring, perf, AF_XDP, iommufd's
 * default mode; SHM_LOCK's locked_shm) and the processes whose charges
 * make them up. One bucket is shared by all of a user's processes, and
 * each is compared with the RLIMIT_MEMLOCK of whichever process charges
 * next: a refusal lands on the process that asked last, not on the one
 * that holds the most. Pure: figures from the model; unit-tested.
 */
#include <stdlib.h>
#include <string.h>

#include "users.h"

static int64_t member_total(const struct mla_proc *p, int uc,
			    int64_t share[MLA_NR_SOURCES])
{
	int64_t total = 0;

	for (int s = 0; s < MLA_NR_SOURCES; s++) {
		share[s] = proc_user_share(p, uc, s);
		total = sadd(total, share[s]);
	}
	return total;
}

/* The living processes of @u that charged its buckets; caller frees. */
static size_t members_of(struct mla_proc **pv, size_t np,
			 const struct mla_user *u, struct user_member **out)
{
	struct user_member *mv = calloc(np ? np : 1, sizeof(*mv));
	size_t n = 0;

	*out = mv;
	if (!mv)
		return 0;
	for (size_t i = 0; i < np; i++) {
		struct user_member *mb = &mv[n];
		bool any = false;

		/* what the exited held, if anything, is counted as no one's */
		if (pv[i]->uid != u->uid || pv[i]->exited)
			continue;
		for (int uc = 0; uc < MLA_NR_USER_COUNTERS; uc++) {
			mb->total[uc] = member_total(pv[i], uc, mb->share[uc]);
			for (int s = 0; s < MLA_NR_SOURCES; s++)
				any |= mb->share[uc][s] != 0;
		}
		if (!any) /* it never charged this user's buckets */
			continue;
		mb->p = pv[i];
		n++;
	}
	return n;
}

/* Largest share first: who holds the bucket. */
static int member_cmp(const void *a, const void *b)
{
	const struct user_member *x = a, *y = b;
	int64_t sx = sadd(x->total[0], x->total[1]);
	int64_t sy = sadd(y->total[0], y->total[1]);

	if (sx != sy)
		return sx < sy ? 1 : -1;
	return x->p->tgid < y->p->tgid ? -1 : x->p->tgid > y->p->tgid;
}

/* A filter that names processes shows only the users they charged. */
static bool filter_names_processes(const struct proc_filter *f)
{
	return f->pid || f->comm || f->cgroup || f->cg_sel != CG_SEL_NONE ||
	       f->tree_only;
}

struct user_group *user_groups(struct mla_model *m,
			       const struct proc_filter *f, size_t *count)
{
	struct mla_proc **pv = NULL;
	struct mla_user **uv = NULL;
	size_t np = model_procs(m, &pv), nu = model_users(m, &uv), n = 0;
	struct user_group *g = calloc(nu ? nu : 1, sizeof(*g));

	*count = 0;
	for (size_t i = 0; g && i < nu; i++) {
		struct user_group *ug = &g[n];
		struct user_member *all;
		size_t nall = members_of(pv, np, uv[i], &all);
		size_t shown = 0;
		bool held = uv[i]->seen[0] || uv[i]->seen[1];

		ug->u = uv[i];
		for (int uc = 0; uc < MLA_NR_USER_COUNTERS; uc++)
			ug->unattributed[uc] = (int64_t)uv[i]->seen[uc];
		/* what no living member charged; then keep the shown ones */
		for (size_t k = 0; k < nall; k++) {
			for (int uc = 0; uc < MLA_NR_USER_COUNTERS; uc++)
				ug->unattributed[uc] = ssub(
					ug->unattributed[uc], all[k].total[uc]);
			if (proc_matches(all[k].p, f))
				all[shown++] = all[k];
		}
		if (!shown && (filter_names_processes(f) || !(held || f->all))) {
			free(all);
			continue;
		}
		qsort(all, shown, sizeof(*all), member_cmp);
		ug->members = all;
		ug->n = shown;
		n++;
	}
	free(pv);
	free(uv);
	*count = n;
	return g;
}

void user_groups_free(struct user_group *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++)
		free(g[i].members);
	free(g);
}

bool user_member_headroom(const struct user_group *g,
			  const struct user_member *mb, int uc,
			  unsigned int page_size, int64_t *bytes)
{
	const struct mla_proc *p = mb->p;
	uint64_t held = umul(g->u->seen[uc], page_size);

	if (!p->limit_known || p->limit_soft == UINT64_MAX ||
	    (p->cap_known && p->cap_ipc_lock))
		return false;
	*bytes = (int64_t)(p->limit_soft - held);
	return true;
}
