// SPDX-License-Identifier: GPL-2.0
/*
 * A process that holds 64 KiB mlocked under a name of the caller's choice
 * (any bytes, as PR_SET_NAME takes them), for the escaping tests.
 *   namer NAME SECONDS
 */
#include <stdlib.h>
#include <sys/prctl.h>

#include "../lib/scenario.h"

int main(int argc, char **argv)
{
	char *buf = map_anon(64 * KIB, 0);

	if (argc < 3 || mlock(buf, 64 * KIB))
		return 2;
	prctl(PR_SET_NAME, argv[1]);
	sleep(atoi(argv[2]));
	return 0;
}
