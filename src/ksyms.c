// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"

/* "name" or "name.part.0", "name.isra.0", "name.constprop.0", ... */
static bool matches(const char *sym, size_t symlen, const char *name,
		    bool *exact)
{
	size_t n = strlen(name);

	if (symlen < n || strncmp(sym, name, n))
		return false;
	*exact = symlen == n;
	return symlen == n || sym[n] == '.';
}

static void parse_line(const char *line, size_t len, struct ksym_query *q,
		       size_t n)
{
	char type, sym[128], mod[64] = "";
	unsigned long addr;
	const char *p;
	size_t symlen;

	if (len < 20 || sscanf(line, "%lx %c ", &addr, &type) != 2)
		return;
	type |= 0x20; /* lower case: local or global alike */
	if (type != 't' && type != 'd' && type != 'r' && type != 'b')
		return;
	p = strchr(line, ' ');
	p = p ? strchr(p + 1, ' ') : NULL;
	if (!p)
		return;
	p++;
	symlen = strcspn(p, " \t\n");
	if (symlen == 0 || symlen >= sizeof(sym))
		return;
	memcpy(sym, p, symlen);
	sym[symlen] = '\0';
	p += symlen;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '[') {
		size_t mlen = strcspn(p + 1, "]\n");

		if (mlen < sizeof(mod)) {
			memcpy(mod, p + 1, mlen);
			mod[mlen] = '\0';
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool exact;

		if ((type == 't') == q[i].data)
			continue;
		if (q[i].exact || !matches(sym, symlen, q[i].name, &exact))
			continue;
		/* an exact name wins over a suffixed one */
		if (q[i].found[0] && !exact)
			continue;
		snprintf(q[i].found, sizeof(q[i].found), "%s", sym);
		snprintf(q[i].module, sizeof(q[i].module), "%s", mod);
		q[i].exact = exact;
		q[i].addr = addr;
	}
}

void ksyms_parse(const char *text, struct ksym_query *q, size_t n)
{
	const char *p = text;

	for (size_t i = 0; i < n; i++) {
		q[i].found[0] = q[i].module[0] = '\0';
		q[i].exact = false;
		q[i].addr = 0;
	}
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		parse_line(p, len, q, n);
		p = nl ? nl + 1 : NULL;
	}
}

int ksyms_resolve(struct ksym_query *q, size_t n)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	for (size_t i = 0; i < n; i++) {
		q[i].found[0] = q[i].module[0] = '\0';
		q[i].exact = false;
		q[i].addr = 0;
	}
	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) > 0)
		parse_line(line, len, q, n);
	free(line);
	fclose(f);
	return 0;
}
