// SPDX-License-Identifier: GPL-2.0
/*
 * Attach the floor programs (floor.bpf.c) and wait for a signal.
 *   floor READY_FILE
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	struct floor *skel = floor__open_and_load();
	FILE *f;

	if (skel) /* the alternative bench/hookcost.c times, not the floor */
		bpf_program__set_autoattach(skel->progs.any_sys_exit, false);
	if (!skel || floor__attach(skel)) {
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
	return 0;
}
