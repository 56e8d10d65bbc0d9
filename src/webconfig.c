// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus' web configuration file (webconfig.h), parsed with libyaml;
 * passwords checked with libcrypt's bcrypt. File paths in it are relative
 * to the file's directory, as the exporter-toolkit reads them.
 */
#include <crypt.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "webconfig.h"

/* exporter-toolkit's default minimum is TLS 1.2 */
#define PRIO_TLS12 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define PRIO_TLS13 "NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define MAX_PEM (1 << 20)

struct wc_parse {
	const char *path;
	yaml_document_t doc;
	char *why;
	size_t why_len;
};

static int fail(struct wc_parse *p, const char *fmt, ...)
{
	int n = snprintf(p->why, p->why_len, "%s: ", p->path);
	va_list ap;

	if (n < 0 || (size_t)n >= p->why_len)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->why + n, p->why_len - n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *scalar(struct wc_parse *p, yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* The whole of a PEM file, named relative to the config file's directory. */
static char *read_pem(struct wc_parse *p, const char *key, const char *name)
{
	char full[PATH_MAX];
	const char *slash = strrchr(p->path, '/');
	char *buf;
	size_t len;
	FILE *f;

	if (name[0] == '/' || !slash)
		snprintf(full, sizeof(full), "%s", name);
	else
		snprintf(full, sizeof(full), "%.*s/%s",
			 (int)(slash - p->path), p->path, name);
	f = fopen(full, "re");
	if (!f) {
		fail(p, "tls_server_config.%s: cannot read %s: %s", key, full,
		     strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_PEM + 1);
	len = buf ? fread(buf, 1, MAX_PEM + 1, f) : 0;
	fclose(f);
	if (!buf || !len || len > MAX_PEM) {
		fail(p, "tls_server_config.%s: %s is %s", key, full,
		     !buf ? "too big for memory" : len ? "over 1 MiB" : "empty");
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static int parse_tls(struct wc_parse *p, yaml_node_t *map,
		     struct web_config *wc)
{
	const char *cert = NULL, *key = NULL;

	if (map->type != YAML_MAPPING_NODE)
		return fail(p, "tls_server_config is not a mapping");
	wc->priorities = PRIO_TLS12;
	for (yaml_node_pair_t *kv = map->data.mapping.pairs.start;
	     kv < map->data.mapping.pairs.top; kv++) {
		const char *k = scalar(p, yaml_document_get_node(&p->doc, kv->key));
		const char *v = scalar(p, yaml_document_get_node(&p->doc, kv->value));

		if (!k || !v)
			return fail(p, "tls_server_config: keys and values are "
				       "strings");
		if (!strcmp(k, "cert_file"))
			cert = v;
		else if (!strcmp(k, "key_file"))
			key = v;
		else if (!strcmp(k, "client_auth_type") &&
			 !strcmp(v, "NoClientCert"))
			continue;
		else if (!strcmp(k, "min_version") && !strcmp(v, "TLS12"))
			wc->priorities = PRIO_TLS12;
		else if (!strcmp(k, "min_version") && !strcmp(v, "TLS13"))
			wc->priorities = PRIO_TLS13;
		else
			return fail(p,
				    "tls_server_config: \"%s: %s\" is not "
				    "supported (memlockacct reads cert_file, "
				    "key_file, min_version TLS12 or TLS13, "
				    "client_auth_type NoClientCert)",
				    k, v);
	}
	if (!cert || !key)
		return fail(p, "tls_server_config needs cert_file and key_file");
	wc->cert_pem = read_pem(p, "cert_file", cert);
	if (!wc->cert_pem)
		return -1;
	wc->key_pem = read_pem(p, "key_file", key);
	return wc->key_pem ? 0 : -1;
}

static int parse_users(struct wc_parse *p, yaml_node_t *map,
		       struct web_config *wc)
{
	size_t n;

	if (map->type != YAML_MAPPING_NODE)
		return fail(p, "basic_auth_users is not a mapping of user "
			       "names to bcrypt hashes");
	n = map->data.mapping.pairs.top - map->data.mapping.pairs.start;
	wc->users = calloc(n ? n : 1, sizeof(*wc->users));
	if (!wc->users)
		return fail(p, "out of memory");
	for (yaml_node_pair_t *kv = map->data.mapping.pairs.start;
	     kv < map->data.mapping.pairs.top; kv++) {
		const char *k = scalar(p, yaml_document_get_node(&p->doc, kv->key));
		const char *v = scalar(p, yaml_document_get_node(&p->doc, kv->value));
		struct web_user *u = &wc->users[wc->nusers];

		if (!k || !v || !k[0])
			return fail(p, "basic_auth_users: user names and hashes "
				       "are strings");
		/* only bcrypt, as the exporter-toolkit: crypt(3) would also
		 * take DES or MD5 */
		if (strncmp(v, "$2a$", 4) && strncmp(v, "$2b$", 4) &&
		    strncmp(v, "$2y$", 4))
			return fail(p,
				    "basic_auth_users: %s's password is not a "
				    "bcrypt hash (make one with htpasswd -nBC 10 "
				    "\"\" | tr -d ':\\n')",
				    k);
		u->name = strdup(k);
		u->hash = strdup(v);
		wc->nusers++;
		if (!u->name || !u->hash)
			return fail(p, "out of memory");
	}
	return 0;
}

static int parse_root(struct wc_parse *p, struct web_config *wc)
{
	yaml_node_t *root = yaml_document_get_root_node(&p->doc);

	if (!root) /* an empty file: plain HTTP, no users, as the toolkit */
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return fail(p, "not a mapping of tls_server_config and "
			       "basic_auth_users");
	for (yaml_node_pair_t *kv = root->data.mapping.pairs.start;
	     kv < root->data.mapping.pairs.top; kv++) {
		const char *k = scalar(p, yaml_document_get_node(&p->doc, kv->key));
		yaml_node_t *v = yaml_document_get_node(&p->doc, kv->value);
		int err;

		if (!k || !v)
			return fail(p, "a key that is not a string");
		if (!strcmp(k, "tls_server_config"))
			err = parse_tls(p, v, wc);
		else if (!strcmp(k, "basic_auth_users"))
			err = parse_users(p, v, wc);
		else
			return fail(p,
				    "\"%s\" is not supported (memlockacct "
				    "reads tls_server_config and "
				    "basic_auth_users)",
				    k);
		if (err)
			return err;
	}
	return 0;
}

int web_config_load(const char *path, struct web_config *wc, char *why,
		    size_t why_len)
{
	struct wc_parse p = { .path = path, .why = why, .why_len = why_len };
	yaml_parser_t parser;
	FILE *f;
	int err;

	memset(wc, 0, sizeof(*wc));
	f = fopen(path, "re");
	if (!f)
		return fail(&p, "cannot read: %s", strerror(errno));
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return fail(&p, "out of memory");
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &p.doc)) {
		err = fail(&p, "line %zu: %s", parser.problem_mark.line + 1,
			   parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		fclose(f);
		return err;
	}
	err = parse_root(&p, wc);
	yaml_document_delete(&p.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (err)
		web_config_free(wc);
	return err;
}

void web_config_free(struct web_config *wc)
{
	for (size_t i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
		free(wc->users[i].verified);
	}
	free(wc->users);
	free(wc->cert_pem);
	if (wc->key_pem)
		explicit_bzero(wc->key_pem, strlen(wc->key_pem));
	free(wc->key_pem);
	memset(wc, 0, sizeof(*wc));
}

/* Equal, in a time that does not say where they differ. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return !d;
}

bool web_config_allows(struct web_config *wc, const char *user,
		       const char *password)
{
	struct crypt_data cd;
	struct web_user *u;
	const char *out;

	if (!wc->nusers)
		return true;
	if (!user || !password)
		return false;
	for (size_t i = 0; i <= wc->nusers; i++) {
		if (i == wc->nusers) {
			/* no such user: as long to say so as a bad password */
			memset(&cd, 0, sizeof(cd));
			crypt_rn(password, wc->users[0].hash, &cd, sizeof(cd));
			return false;
		}
		u = &wc->users[i];
		if (strcmp(u->name, user))
			continue;
		/* bcrypt costs tens of ms: a scraper's next request is free */
		if (u->verified && same(u->verified, password))
			return true;
		memset(&cd, 0, sizeof(cd));
		out = crypt_rn(password, u->hash, &cd, sizeof(cd));
		if (!out || !same(out, u->hash))
			return false;
		free(u->verified);
		u->verified = strdup(password);
		return true;
	}
	return false;
}
