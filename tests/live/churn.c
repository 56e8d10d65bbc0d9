// SPDX-License-Identifier: GPL-2.0
/*
 * Churn: N short-lived children, P at a time, each mlocking 4 KiB and
 * holding it for HOLD_MS before it exits.
 *   churn N P HOLD_MS
 */
#include <stdlib.h>
#include <sys/wait.h>

#include "../lib/scenario.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	int par = argc > 2 ? atoi(argv[2]) : 1;
	int hold_ms = argc > 3 ? atoi(argv[3]) : 0;
	int running = 0, failed = 0;

	for (int i = 0; i < n || running; ) {
		int st;

		if (i < n && running < par) {
			pid_t pid = fork();

			if (pid == 0) {
				char *p = map_anon(4 * KIB, 0);

				if (mlock(p, 4 * KIB))
					_exit(1);
				if (hold_ms)
					usleep(hold_ms * 1000);
				_exit(0);
			}
			if (pid > 0)
				running++;
			i++;
			continue;
		}
		if (wait(&st) > 0) {
			running--;
			failed += !WIFEXITED(st) || WEXITSTATUS(st);
		}
	}
	say("{\"children\":%d,\"failed\":%d}\n", n, failed);
	return failed != 0;
}
