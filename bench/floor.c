// SPDX-License-Identifier: GPL-2.0
/*
 * Attach the floor programs (floor.bpf.c) and wait for a signal.
 *   floor READY_FILE [fexit|lock]
 * fexit: the syscall exits by fexit on the syscalls' entry points, as
 * memlockacct hooks them where trampolines attach; lock: no syscall exit,
 * only the mmap lock release and exit_mmap (the floor's parts, apart);
 * otherwise the syscall exits by their syscall tracepoints.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* the entry point of the syscall @prog exits, as probes.c names it */
static int set_entry(struct bpf_program *prog, const struct btf *btf)
{
	static const char *const prefixes[] = { "__x64_sys_", "__arm64_sys_" };
	const char *syscall = bpf_program__name(prog) + strlen("fexit_sys_");
	char entry[128];

	for (unsigned int i = 0; i < 2; i++) {
		snprintf(entry, sizeof(entry), "%s%s", prefixes[i], syscall);
		if (btf__find_by_name_kind(btf, entry, BTF_KIND_FUNC) > 0)
			return bpf_program__set_attach_target(prog, 0, entry);
	}
	return -1;
}

int main(int argc, char **argv)
{
	bool fexit = argc > 2 && !strcmp(argv[2], "fexit");
	bool lock_only = argc > 2 && !strcmp(argv[2], "lock");
	struct btf *btf = btf__load_vmlinux_btf();
	struct bpf_program *prog;
	struct floor *skel = floor__open();
	FILE *f;

	if (!skel || !btf) {
		fprintf(stderr, "floor: cannot open, or no kernel BTF\n");
		return 1;
	}
	/* the alternative bench/hookcost.c times, not the floor */
	bpf_program__set_autoload(skel->progs.any_sys_exit, false);
	bpf_object__for_each_program(prog, skel->obj) {
		const char *name = bpf_program__name(prog);

		if (!strncmp(name, "fexit_sys_", 10))
			bpf_program__set_autoload(
				prog, fexit && !set_entry(prog, btf));
		else if (!strncmp(name, "sys_exit_", 9))
			bpf_program__set_autoload(prog, !fexit && !lock_only);
	}
	if (floor__load(skel) || floor__attach(skel)) {
		fprintf(stderr, "floor: cannot load or attach\n");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (argc > 1 && (f = fopen(argv[1], "w")))
		fclose(f);
	while (!stop)
		pause();
	floor__destroy(skel);
	btf__free(btf);
	return 0;
}
