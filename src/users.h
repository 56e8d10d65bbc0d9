/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-user buckets and the processes that make them up (users.c), for
 * report --users, the JSON's users[] and the exporter.
 */
#ifndef MLA_USERS_H
#define MLA_USERS_H

#include "figures.h"

/* One process's charges to its user's buckets, in pages. */
struct user_member {
	const struct mla_proc *p;
	int64_t share[MLA_NR_USER_COUNTERS][MLA_NR_SOURCES];
	int64_t total[MLA_NR_USER_COUNTERS];
};

struct user_group {
	const struct mla_user *u;
	struct user_member *members; /* shown by the filter, largest first */
	size_t n;
	/*
	 * Pages of each bucket that no process the tool knows (shown or
	 * not) charged while it traced: held from before it started, or
	 * charged on this uid by another user's process.
	 */
	int64_t unattributed[MLA_NR_USER_COUNTERS];
};

/* The users whose buckets the filter shows; user_groups_free() them. */
struct user_group *user_groups(struct mla_model *m,
			       const struct proc_filter *f, size_t *count);
void user_groups_free(struct user_group *g, size_t n);

/*
 * What @mb's next charge to bucket @uc may add before its own soft limit
 * refuses it: that limit minus all the bucket holds (everyone's), bytes;
 * below 0 already over. False: unlimited, unknown, or CAP_IPC_LOCK.
 */
bool user_member_headroom(const struct user_group *g,
			  const struct user_member *mb, int uc,
			  unsigned int page_size, int64_t *bytes);

#endif
