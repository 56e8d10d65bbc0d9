// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's HTTP side, on libmicrohttpd: its thread answers scrapes
 * from the last metrics the event loop published, so a scrape costs the
 * loop nothing and waits only for a copy under the lock.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "exporter.h"
#include "prom.h"
#include "webconfig.h"

struct exporter {
	struct MHD_Daemon *daemon;
	int fd;
	pthread_mutex_t lock; /* the buffers and published_ns */
	char *text, *om;
	size_t text_len, om_len;
	uint64_t published_ns; /* CLOCK_MONOTONIC; 0: nothing yet */
	uint64_t stale_ns;
	struct web_config wc; /* read only by the server's one thread */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int listen_split(const char *addr, char *host, size_t host_len, char *port,
		 size_t port_len)
{
	const char *colon, *h = addr;
	size_t hl;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = addr + 1;
		hl = close - h;
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || memchr(addr, ':', colon - addr))
			return -EINVAL; /* a bare IPv6 address needs [] */
		hl = colon - addr;
	}
	if (hl >= host_len || strlen(colon + 1) >= port_len || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, port_len, "%s", colon + 1);
	return atoi(port) > 0 && atoi(port) < 65536 ? 0 : -EINVAL;
}

/* A bound, listening socket for @addr, or -1 with why. */
static int open_listener(const char *addr, char *why, size_t why_len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char host[256], port[8];
	int fd, one = 1, zero = 0, err;

	if (listen_split(addr, host, sizeof(host), port, sizeof(port))) {
		snprintf(why, why_len,
			 "--listen: '%s' is not HOST:PORT, "
			 "[IPV6]:PORT or :PORT (port 1-65535)",
			 addr);
		return -1;
	}
	if (!host[0])
		hints.ai_family = AF_INET6; /* every address, v4 mapped too */
	err = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (err) {
		snprintf(why, why_len, "--listen %s: %s", addr,
			 gai_strerror(err));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!host[0])
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
			err = errno;
			close(fd);
			fd = -1;
			errno = err;
		}
	}
	if (fd < 0)
		snprintf(why, why_len, "cannot listen on %s: %s", addr,
			 strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

/* @vary: the body depends on the Accept header (/metrics) */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     const char *type, bool vary, void *body,
			     size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (vary)
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text_reply(struct MHD_Connection *c, unsigned int status,
				  const char *msg)
{
	return reply(c, status, "text/plain; charset=utf-8", false, (void *)msg,
		     strlen(msg), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result metrics(struct exporter *ex, struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	enum prom_format fmt = prom_negotiate(accept);
	char *copy = NULL;
	size_t len = 0;

	pthread_mutex_lock(&ex->lock);
	if (ex->published_ns && (fmt == PROM_OPENMETRICS ? ex->om : ex->text)) {
		const char *src = fmt == PROM_OPENMETRICS ? ex->om : ex->text;

		len = fmt == PROM_OPENMETRICS ? ex->om_len : ex->text_len;
		copy = malloc(len ? len : 1);
		if (copy)
			memcpy(copy, src, len);
	}
	pthread_mutex_unlock(&ex->lock);
	if (!copy)
		return text_reply(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "starting: no figures yet\n");
	return reply(c, MHD_HTTP_OK, prom_content_type(fmt), true, copy, len,
		     MHD_RESPMEM_MUST_FREE);
}

/* The event loop is alive: it published within the last stale_ns. */
static enum MHD_Result healthz(struct exporter *ex, struct MHD_Connection *c)
{
	uint64_t last, age;
	char *msg;
	int n;

	pthread_mutex_lock(&ex->lock);
	last = ex->published_ns;
	pthread_mutex_unlock(&ex->lock);
	if (!last)
		return text_reply(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "starting\n");
	age = now_ns() - last;
	if (age <= ex->stale_ns)
		return text_reply(c, MHD_HTTP_OK, "ok\n");
	n = asprintf(&msg, "stalled: no refresh for %.1f s\n", age / 1e9);
	if (n < 0)
		return MHD_NO;
	return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		     "text/plain; charset=utf-8", false, msg, n,
		     MHD_RESPMEM_MUST_FREE);
}

/*
 * libmicrohttpd 0.9.77 replaced the call that returns the user and the
 * password (bookworm has 0.9.75, trixie 1.0, which deprecates it).
 */
static bool authorized(struct exporter *ex, struct MHD_Connection *c)
{
	bool ok;

	if (!ex->wc.nusers)
		return true;
#if MHD_VERSION >= 0x00097701
	struct MHD_BasicAuthInfo *bi = MHD_basic_auth_get_username_password3(c);

	ok = bi && web_config_allows(&ex->wc, bi->username, bi->password);
	MHD_free(bi);
#else
	char *password = NULL, *user;

	user = MHD_basic_auth_get_username_password(c, &password);
	ok = web_config_allows(&ex->wc, user, password);
	MHD_free(user);
	MHD_free(password);
#endif
	return ok;
}

static enum MHD_Result unauthorized(struct MHD_Connection *c)
{
	static const char msg[] = "authentication required\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(
		sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	ret = MHD_queue_basic_auth_fail_response(c, "memlockacct", r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct exporter *ex = cls;

	/* every path, as the exporter-toolkit: /healthz says what runs */
	if (!authorized(ex, c))
		return unauthorized(c);
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return text_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "only GET and HEAD\n");
	if (!strcmp(url, "/metrics"))
		return metrics(ex, c);
	if (!strcmp(url, "/healthz"))
		return healthz(ex, c);
	if (!strcmp(url, "/"))
		return text_reply(c, MHD_HTTP_OK,
				  "memlockacct exporter: /metrics, /healthz\n");
	return text_reply(c, MHD_HTTP_NOT_FOUND,
			  "not found: /metrics or /healthz\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	fputs("memlockacct: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static void exporter_free(struct exporter *ex)
{
	pthread_mutex_destroy(&ex->lock);
	web_config_free(&ex->wc);
	free(ex->text);
	free(ex->om);
	free(ex);
}

struct exporter *exporter_start(const char *addr, double stale_s,
				const char *web_config, char *why,
				size_t why_len)
{
	struct exporter *ex = calloc(1, sizeof(*ex));
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	sigset_t block, old;

	if (!ex) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&ex->lock, NULL);
	ex->stale_ns = stale_s * 1e9;
	if (web_config && web_config_load(web_config, &ex->wc, why, why_len)) {
		exporter_free(ex);
		return NULL;
	}
	if (ex->wc.cert_pem &&
	    MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(why, why_len,
			 "%s asks for TLS, which this libmicrohttpd was built "
			 "without (Debian's libmicrohttpd12 has it)",
			 web_config);
		exporter_free(ex);
		return NULL;
	}
	if (ex->wc.cert_pem)
		flags |= MHD_USE_TLS;
	ex->fd = open_listener(addr, why, why_len);
	if (ex->fd < 0) {
		exporter_free(ex);
		return NULL;
	}
	/* the signals are the event loop's: the server's thread blocks them */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	/* without TLS, libmicrohttpd ignores the three HTTPS options */
	ex->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, ex, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, ex->fd,
		MHD_OPTION_CONNECTION_LIMIT, 64u,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, 16u,
		MHD_OPTION_CONNECTION_TIMEOUT, 15u,
		ex->wc.cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		ex->wc.cert_pem, MHD_OPTION_HTTPS_MEM_KEY, ex->wc.key_pem,
		MHD_OPTION_HTTPS_PRIORITIES, ex->wc.priorities, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!ex->daemon) {
		snprintf(why, why_len, "cannot start the HTTP server on %s%s",
			 addr,
			 ex->wc.cert_pem ? " (is the key the certificate's?)" :
					   "");
		close(ex->fd);
		exporter_free(ex);
		return NULL;
	}
	return ex;
}

void exporter_publish(struct exporter *ex, char *text, size_t text_len,
		      char *om, size_t om_len)
{
	char *old_text, *old_om;

	pthread_mutex_lock(&ex->lock);
	old_text = ex->text;
	old_om = ex->om;
	ex->text = text;
	ex->text_len = text_len;
	ex->om = om;
	ex->om_len = om_len;
	ex->published_ns = now_ns();
	pthread_mutex_unlock(&ex->lock);
	free(old_text);
	free(old_om);
}

void exporter_stop(struct exporter *ex)
{
	if (!ex)
		return;
	MHD_stop_daemon(ex->daemon); /* it closes the listening socket */
	exporter_free(ex);
}
