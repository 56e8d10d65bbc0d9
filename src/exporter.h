/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memlockacct exporter: /metrics and /healthz over HTTP (libmicrohttpd, in
 * its own thread). The event loop renders the metrics at every interval
 * and publishes them here; a scrape is served from the last publication
 * and never waits for the loop.
 */
#ifndef MLA_EXPORTER_H
#define MLA_EXPORTER_H

#include <stddef.h>
#include <stdint.h>

#define EXPORTER_DEFAULT_LISTEN "127.0.0.1:9877"

struct exporter;

/*
 * Listen on @addr ("HOST:PORT", "[V6ADDR]:PORT", ":PORT" for every
 * address), with TLS and basic authentication as the web configuration
 * file @web_config says (webconfig.h; NULL: plain HTTP, no users).
 * /healthz fails once no publication came for @stale_s seconds. NULL on
 * error, with why in @why.
 */
struct exporter *exporter_start(const char *addr, double stale_s,
				const char *web_config, char *why,
				size_t why_len);

/*
 * The metrics from now on, in both formats; the exporter takes the buffers
 * (malloc'd) and frees the ones they replace.
 */
void exporter_publish(struct exporter *ex, char *text, size_t text_len,
		      char *om, size_t om_len);

void exporter_stop(struct exporter *ex);

/*
 * Split "HOST:PORT", "[HOST]:PORT" or ":PORT" (host "") into @host and
 * @port. 0, or -EINVAL when it is none of them or does not fit.
 */
int listen_split(const char *addr, char *host, size_t host_len, char *port,
		 size_t port_len);

#endif
