// SPDX-License-Identifier: GPL-2.0
/*
 * A treap of disjoint ranges keyed by start: split and merge give add and
 * remove in O(log n) expected time, plus the ranges they absorb.
 */
#include <stdlib.h>
#include <string.h>

#include "rangeset.h"

struct node {
	uint64_t start, end;
	uint32_t prio;
	struct node *left, *right;
};

struct rangeset {
	struct node *root;
	size_t count;
	uint64_t bytes;
	uint32_t seed;
};

static uint32_t next_prio(struct rangeset *rs)
{
	/* xorshift32: priorities only need to look random */
	uint32_t x = rs->seed;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	rs->seed = x;
	return x;
}

struct rangeset *rangeset_new(void)
{
	struct rangeset *rs = calloc(1, sizeof(*rs));

	if (rs)
		rs->seed = 2463534242u;
	return rs;
}

static void free_nodes(struct node *n)
{
	while (n) {
		struct node *right = n->right;

		free_nodes(n->left);
		free(n);
		n = right;
	}
}

void rangeset_clear(struct rangeset *rs)
{
	if (!rs)
		return;
	free_nodes(rs->root);
	rs->root = NULL;
	rs->count = 0;
	rs->bytes = 0;
}

void rangeset_free(struct rangeset *rs)
{
	rangeset_clear(rs);
	free(rs);
}

/* Split @t into keys < @key (*l) and keys >= @key (*r). */
static void split(struct node *t, uint64_t key, struct node **l,
		  struct node **r)
{
	if (!t) {
		*l = *r = NULL;
	} else if (t->start < key) {
		split(t->right, key, &t->right, r);
		*l = t;
	} else {
		split(t->left, key, l, &t->left);
		*r = t;
	}
}

/* Every key of @a is below every key of @b. */
static struct node *merge(struct node *a, struct node *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->prio > b->prio) {
		a->right = merge(a->right, b);
		return a;
	}
	b->left = merge(a, b->left);
	return b;
}

static struct node *last(struct node *t)
{
	while (t && t->right)
		t = t->right;
	return t;
}

/* Drop the last node of @t (the caller has it from last()). */
static struct node *drop_last(struct node *t)
{
	struct node **p = &t, *n;

	while ((*p)->right)
		p = &(*p)->right;
	n = *p;
	*p = n->left;
	free(n);
	return t;
}

static struct node *make(struct rangeset *rs, uint64_t start, uint64_t end)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->start = start;
	n->end = end;
	n->prio = next_prio(rs);
	rs->count++;
	rs->bytes += end - start;
	return n;
}

/* Free a whole subtree, taking its ranges out of the totals. */
static void forget(struct rangeset *rs, struct node *t)
{
	if (!t)
		return;
	forget(rs, t->left);
	forget(rs, t->right);
	rs->count--;
	rs->bytes -= t->end - t->start;
	free(t);
}

void rangeset_add(struct rangeset *rs, uint64_t start, uint64_t end)
{
	struct node *a, *b, *mid, *rest, *tail, *n;

	if (start >= end)
		return;
	split(rs->root, start, &a, &b);
	/* the range before may reach into (or touch) the new one */
	tail = last(a);
	if (tail && tail->end >= start) {
		start = tail->start;
		if (tail->end > end)
			end = tail->end;
		rs->count--;
		rs->bytes -= tail->end - tail->start;
		a = drop_last(a);
	}
	/* ranges starting inside (or right after) it are absorbed */
	split(b, end + 1, &mid, &rest);
	tail = last(mid);
	if (tail && tail->end > end)
		end = tail->end;
	forget(rs, mid);
	n = make(rs, start, end);
	rs->root = merge(merge(a, n), rest);
}

void rangeset_remove(struct rangeset *rs, uint64_t start, uint64_t end)
{
	struct node *a, *b, *mid, *rest, *tail;
	uint64_t keep_start = 0, keep_end = 0;

	if (start >= end)
		return;
	split(rs->root, start, &a, &b);
	tail = last(a);
	if (tail && tail->end > start) {
		/* cut the range that begins before: it may also go past end */
		if (tail->end > end) {
			keep_start = end;
			keep_end = tail->end;
		}
		rs->bytes -= tail->end - start;
		tail->end = start;
	}
	split(b, end, &mid, &rest);
	tail = last(mid);
	if (tail && tail->end > end) {
		keep_start = end;
		keep_end = tail->end;
	}
	forget(rs, mid);
	if (keep_end > keep_start)
		rest = merge(make(rs, keep_start, keep_end), rest);
	rs->root = merge(a, rest);
}

size_t rangeset_count(const struct rangeset *rs)
{
	return rs ? rs->count : 0;
}

uint64_t rangeset_bytes(const struct rangeset *rs)
{
	return rs ? rs->bytes : 0;
}

static uint64_t overlap_walk(const struct node *t, uint64_t start,
			     uint64_t end)
{
	uint64_t sum = 0, s, e;

	while (t) {
		if (t->start >= end) {
			t = t->left;
			continue;
		}
		if (t->end <= start) {
			t = t->right;
			continue;
		}
		/* overlaps: both sides may hold more */
		s = t->start > start ? t->start : start;
		e = t->end < end ? t->end : end;
		sum += e - s;
		sum += overlap_walk(t->left, start, end);
		t = t->right;
	}
	return sum;
}

uint64_t rangeset_overlap(const struct rangeset *rs, uint64_t start,
			  uint64_t end)
{
	return rs && start < end ? overlap_walk(rs->root, start, end) : 0;
}

static void walk(const struct node *t,
		 void (*cb)(uint64_t, uint64_t, void *), void *arg)
{
	while (t) {
		walk(t->left, cb, arg);
		cb(t->start, t->end, arg);
		t = t->right;
	}
}

void rangeset_foreach(const struct rangeset *rs,
		      void (*cb)(uint64_t start, uint64_t end, void *arg),
		      void *arg)
{
	if (rs)
		walk(rs->root, cb, arg);
}

static void copy_one(uint64_t start, uint64_t end, void *arg)
{
	rangeset_add(arg, start, end);
}

struct rangeset *rangeset_copy(const struct rangeset *rs)
{
	struct rangeset *c = rangeset_new();

	if (c)
		rangeset_foreach(rs, copy_one, c);
	return c;
}

/* ---- overlap arithmetic -------------------------------------------------- */

enum kind { K_MLOCK, K_VFIO, K_PIN };

struct point {
	uint64_t addr;
	int8_t step; /* +1 start, -1 end */
	uint8_t kind;
};

struct points {
	struct point *v;
	size_t n, cap;
};

static void push(struct points *p, uint64_t addr, int step, int kind)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct point *v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (struct point){ addr, (int8_t)step, (uint8_t)kind };
}

struct push_ctx {
	struct points *p;
	int kind;
};

static void push_range(uint64_t start, uint64_t end, void *arg)
{
	struct push_ctx *c = arg;

	push(c->p, start, 1, c->kind);
	push(c->p, end, -1, c->kind);
}

static int point_cmp(const void *a, const void *b)
{
	const struct point *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void overlap_compute(const struct rangeset *mlocked,
		     const struct mla_range *vfio, size_t nvfio,
		     const struct rangeset *pinned,
		     struct overlap_figures *out)
{
	struct points p = { 0 };
	struct push_ctx c = { &p, K_MLOCK };
	int64_t count[3] = { 0 };
	uint64_t prev = 0;

	memset(out, 0, sizeof(*out));
	rangeset_foreach(mlocked, push_range, &c);
	c.kind = K_PIN;
	rangeset_foreach(pinned, push_range, &c);
	for (size_t i = 0; i < nvfio; i++)
		if (vfio[i].end > vfio[i].start)
			push_range(vfio[i].start, vfio[i].end,
				   &(struct push_ctx){ &p, K_VFIO });
	if (p.n)
		qsort(p.v, p.n, sizeof(*p.v), point_cmp);
	for (size_t i = 0; i < p.n; i++) {
		uint64_t len = p.v[i].addr - prev;
		int locked = count[K_MLOCK] > 0 || count[K_VFIO] > 0;

		if (len) {
			if (count[K_MLOCK] > 0 && count[K_VFIO] > 0)
				out->mlock_vfio += len * count[K_VFIO];
			if (count[K_VFIO] > 1)
				out->vfio_vfio += len * (count[K_VFIO] - 1);
			if (locked && count[K_PIN] > 0)
				out->locked_pinned += len;
			if (locked)
				out->unique_locked += len;
		}
		count[p.v[i].kind] += p.v[i].step;
		if (count[K_VFIO] > (int64_t)out->max_multiplicity)
			out->max_multiplicity = count[K_VFIO];
		prev = p.v[i].addr;
	}
	free(p.v);
}
