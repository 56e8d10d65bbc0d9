/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/kallsyms lookups. GCC may rename a static function it splits or
 * specialises (vfio_lock_acct -> vfio_lock_acct.part.0), so a name matches
 * its suffixed variants too, and the caller learns the real one.
 */
#ifndef MLA_KSYMS_H
#define MLA_KSYMS_H

#include <stdbool.h>
#include <stddef.h>

struct ksym_query {
	const char *name;   /* what we look for */
	bool data;	    /* a data symbol (needs CONFIG_KALLSYMS_ALL) */
	char found[128];    /* the symbol as kallsyms has it, "" if absent */
	char module[64];    /* "" for vmlinux */
	bool exact;         /* found under its own name */
	unsigned long addr;
};

/* Resolve every query in one pass over @text (kallsyms format). */
void ksyms_parse(const char *text, struct ksym_query *q, size_t n);
/* The same over /proc/kallsyms; -errno if it cannot be read. */
int ksyms_resolve(struct ksym_query *q, size_t n);

#endif
