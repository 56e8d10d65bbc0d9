/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exporter's --web.config.file: Prometheus' web configuration format
 * (the exporter-toolkit's, as node_exporter reads it) for TLS and basic
 * authentication. What memlockacct cannot honour is refused by name, never
 * ignored: a security setting silently dropped would be worse than none.
 */
#ifndef MLA_WEBCONFIG_H
#define MLA_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct web_user {
	char *name;
	char *hash;	/* bcrypt, as htpasswd -B makes it */
	char *verified; /* the last password that matched, or NULL */
};

struct web_config {
	char *cert_pem, *key_pem; /* NULL: plain HTTP */
	const char *priorities;	  /* GnuTLS: the TLS versions allowed */
	struct web_user *users;
	size_t nusers; /* 0: no authentication */
};

/*
 * Read @path into @wc. 0, or -1 with why (the file, the key, what to do)
 * in @why.
 */
int web_config_load(const char *path, struct web_config *wc, char *why,
		    size_t why_len);
void web_config_free(struct web_config *wc);

/* Do @user and @password pass (always, without users)? */
bool web_config_allows(struct web_config *wc, const char *user,
		       const char *password);

#endif
