// SPDX-License-Identifier: GPL-2.0
/* Text: per VM (report --vm) and per user (report --users). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "figures.h"
#include "model.h"
#include "names.h"
#include "output.h"
#include "users.h"
#include "vm.h"

/* ---- per VM --------------------------------------------------------------- */

void vms_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
	      const struct out_opts *o)
{
	size_t n;
	struct vm_group *g = vm_groups(m, f, o->page_size, &n);
	const char *u = unit_suffix(o->unit);

	fprintf(out, "%-20s %-7s %9s %5s %11s %11s %11s %11s %11s %s\n", "VM",
		"PID", "RAM(MiB)", "VFIO", "LOCKED", "TWICE", "LIMIT",
		"LIBVIRT", "HEADROOM", "FLAGS");
	for (size_t i = 0; g && i < n; i++) {
		const struct vm_info *vm = g[i].main->vm;
		char name[4 * sizeof(g[i].name)], lim[24], lv[24], head[24];
		struct vm_limits l;

		vm_limits(&g[i], o->page_size, &l);
		escape_text(g[i].name, name, sizeof(name));
		if (!l.known)
			snprintf(lim, sizeof(lim), "?");
		else if (l.soft_kib == UINT64_MAX)
			snprintf(lim, sizeof(lim), "unlimited");
		else
			snprintf(
				lim, sizeof(lim), "%" PRIu64,
				in_unit(o, l.soft_kib / (o->page_size / 1024)));
		if (l.libvirt_kib == UINT64_MAX)
			snprintf(lv, sizeof(lv), "unlimited");
		else if (!l.libvirt_kib)
			snprintf(lv, sizeof(lv), "-");
		else
			snprintf(lv, sizeof(lv), "%" PRIu64,
				 in_unit(o, l.libvirt_kib /
						    (o->page_size / 1024)));
		if (!l.known || l.soft_kib == UINT64_MAX)
			snprintf(head, sizeof(head), "-");
		else
			snprintf(head, sizeof(head), "%" PRId64,
				 sin_unit(o, l.headroom_kib /
						     (int64_t)(o->page_size /
							       1024)));
		fprintf(out,
			"%-20s %-7u %9" PRIu64 " %5u %11" PRIu64 " %11" PRIu64
			" %11s %11s %11s %s%s\n",
			name, g[i].main->tgid, vm->ram_kib / 1024, vm->nvfio,
			in_unit(o, g[i].locked),
			in_unit(o, (g[i].f.mlock_vfio + g[i].f.vfio_vfio) /
					   o->page_size),
			lim, lv, head,
			l.below_libvirt ? "limit-below-libvirt " : "",
			l.fits_next_device ? "" : "no-room-for-another-device");
		if (g[i].f.device_maps)
			fprintf(out,
				"%-20s device memory mapped for DMA: %" PRIu64
				" in %" PRIu64 " mappings (not RAM, not in "
				"LOCKED)\n",
				"", in_unit(o, g[i].f.device / o->page_size),
				g[i].f.device_maps);
	}
	if (!n)
		fprintf(out, "(no virtual machine found)\n");
	fprintf(out,
		"(sizes in %s; LIBVIRT: the limit libvirt would set for "
		"this command line)\n",
		u);
	free(g);
}

/* ---- per user ------------------------------------------------------------ */

static void size_or_dash(char *buf, size_t len, bool known, int64_t v)
{
	if (known)
		snprintf(buf, len, "%" PRId64, v);
	else
		snprintf(buf, len, "-");
}

void users_text(FILE *out, struct mla_model *m, const struct proc_filter *f,
		const struct out_opts *o)
{
	size_t n;
	struct user_group *g = user_groups(m, f, &n);
	const char *u = unit_suffix(o->unit);

	for (size_t i = 0; g && i < n; i++) {
		const struct mla_user *us = g[i].u;

		fprintf(out,
			"uid %u: user_locked_vm %" PRIu64 " (peak %" PRIu64
			"), user_shm_locked %" PRIu64 " (peak %" PRIu64 ")\n",
			us->uid, in_unit(o, us->seen[0]),
			in_unit(o, us->peak[0]), in_unit(o, us->seen[1]),
			in_unit(o, us->peak[1]));
		fprintf(out, "  %-7s %-16s %-16s %-22s %10s %12s\n", "PID",
			"COMM", "BUCKET", "SOURCES", "HOLDS", "HEADROOM");
		for (size_t k = 0; k < g[i].n; k++) {
			const struct user_member *mb = &g[i].members[k];
			char comm[COMM_ESC];

			comm_escaped(mb->p->comm, comm);
			for (int c = 0; c < MLA_NR_USER_COUNTERS; c++) {
				char srcs[64] = "", head[24];
				int64_t h = 0;
				bool known;

				if (!mb->total[c])
					continue;
				for (int s = 0; s < MLA_NR_SOURCES; s++)
					if (mb->share[c][s])
						snprintf(srcs + strlen(srcs),
							 sizeof(srcs) -
								 strlen(srcs),
							 "%s%s",
							 srcs[0] ? "," : "",
							 source_name(s));
				known = user_member_headroom(&g[i], mb, c,
							     o->page_size, &h);
				size_or_dash(
					head, sizeof(head), known,
					sin_unit(o, h / (int64_t)o->page_size));
				fprintf(out,
					"  %-7u %-16s %-16s %-22s %10" PRId64
					" %12s\n",
					mb->p->tgid, comm,
					counter_name(MLA_USER_LOCKED + c), srcs,
					sin_unit(o, mb->total[c]), head);
			}
		}
		for (int c = 0; c < MLA_NR_USER_COUNTERS; c++)
			if (g[i].unattributed[c])
				fprintf(out,
					"  %-7s %-16s %-16s %-22s %10" PRId64
					"\n",
					"-", "(no process)",
					counter_name(MLA_USER_LOCKED + c),
					"before start, or gone",
					sin_unit(o, g[i].unattributed[c]));
	}
	if (!n)
		fprintf(out, "(no user holds per-user locked memory)\n");
	fprintf(out,
		"(sizes in %s; each bucket is the user's, all processes "
		"together, and a charge is checked against the RLIMIT_MEMLOCK "
		"of the process that asks: HEADROOM is what that process "
		"could still add)\n",
		u);
	user_groups_free(g, n);
}

