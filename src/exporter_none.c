// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter in the static test binary (make static): Debian has no
 * static GnuTLS or p11-kit for libmicrohttpd to link with, and the test
 * VMs never serve HTTP. The exporter command says so.
 */
#include <stdio.h>
#include <stdlib.h>

#include "exporter.h"

struct exporter *exporter_start(const char *listen, double stale_s,
				const char *web_config, char *why,
				size_t why_len)
{
	snprintf(why, why_len,
		 "this is the static test binary, built without the HTTP "
		 "exporter; use the memlockacct that make or the package "
		 "installs, or top --prometheus FILE");
	return NULL;
}

void exporter_publish(struct exporter *ex, char *text, size_t text_len,
		      char *om, size_t om_len)
{
	free(text);
	free(om);
}

void exporter_stop(struct exporter *ex)
{
}
