// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's web configuration (Prometheus' format): what it reads,
 * what it refuses by name, and bcrypt passwords as htpasswd -B makes them.
 */
#include <crypt.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "webconfig.h"

static char dir[] = "/tmp/mla-webconfig-XXXXXX";
static char hash[CRYPT_OUTPUT_SIZE];

static void put(const char *name, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd = { 0 };

	if (!mkdtemp(dir))
		return -1;
	/* cost 4, the lowest: the check is the same at any cost */
	if (!crypt_gensalt_rn("$2y$", 4, NULL, 0, salt, sizeof(salt)) ||
	    !crypt_rn("s3cret", salt, &cd, sizeof(cd)))
		return -1;
	snprintf(hash, sizeof(hash), "%s", cd.output);
	put("cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n"
			"-----END CERTIFICATE-----\n");
	put("key.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n"
		       "-----END PRIVATE KEY-----\n");
	put("empty.pem", "");
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Load @text as a web config; 0 or -1, with why in @why. */
static int load(const char *text, struct web_config *wc, char *why,
		size_t len)
{
	char p[512];

	put("web.yml", text);
	snprintf(p, sizeof(p), "%s/web.yml", dir);
	why[0] = '\0';
	return web_config_load(p, wc, why, len);
}

static void refused(const char *text, const char *what)
{
	struct web_config wc;
	char why[512];

	assert_int_equal(load(text, &wc, why, sizeof(why)), -1);
	if (!strstr(why, what))
		fail_msg("\"%s\" not in \"%s\"", what, why);
	assert_null(wc.users);
	assert_null(wc.cert_pem);
}

static void test_tls_and_users(void **state)
{
	struct web_config wc;
	char text[1024], why[512];

	snprintf(text, sizeof(text),
		 "# as node_exporter reads it\n"
		 "tls_server_config:\n"
		 "  cert_file: cert.pem\n"
		 "  key_file: %s/key.pem\n"
		 "  min_version: TLS13\n"
		 "  client_auth_type: NoClientCert\n"
		 "basic_auth_users:\n"
		 "  prometheus: '%s'\n"
		 "  other: \"%s\"\n",
		 dir, hash, hash);
	assert_int_equal(load(text, &wc, why, sizeof(why)), 0);
	assert_non_null(strstr(wc.cert_pem, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(wc.key_pem, "BEGIN PRIVATE KEY"));
	assert_string_equal(wc.priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	assert_int_equal(wc.nusers, 2);
	assert_true(web_config_allows(&wc, "prometheus", "s3cret"));
	/* again, from what it verified last */
	assert_true(web_config_allows(&wc, "prometheus", "s3cret"));
	assert_false(web_config_allows(&wc, "prometheus", "s3cre"));
	assert_false(web_config_allows(&wc, "prometheus", "s3cret "));
	assert_false(web_config_allows(&wc, "nobody", "s3cret"));
	assert_false(web_config_allows(&wc, "prometheus", NULL));
	assert_false(web_config_allows(&wc, NULL, NULL));
	assert_true(web_config_allows(&wc, "other", "s3cret"));
	web_config_free(&wc);
}

static void test_plain(void **state)
{
	struct web_config wc;
	char why[512];

	/* an empty file, as the exporter-toolkit: plain HTTP, anyone */
	assert_int_equal(load("", &wc, why, sizeof(why)), 0);
	assert_null(wc.cert_pem);
	assert_true(web_config_allows(&wc, NULL, NULL));
	web_config_free(&wc);
	assert_int_equal(load("tls_server_config:\n  cert_file: cert.pem\n"
			      "  key_file: key.pem\n",
			      &wc, why, sizeof(why)),
			 0);
	assert_string_equal(wc.priorities,
			    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
	assert_int_equal(wc.nusers, 0);
	web_config_free(&wc);
}

static void test_refused(void **state)
{
	char text[512];

	refused("tls_server_config:\n  cert_file: cert.pem\n"
		"  key_file: key.pem\n"
		"  client_auth_type: RequireAndVerifyClientCert\n",
		"\"client_auth_type: RequireAndVerifyClientCert\" is not "
		"supported");
	refused("tls_server_config:\n  cert_file: cert.pem\n",
		"needs cert_file and key_file");
	refused("tls_server_config:\n  cert_file: nothere.pem\n"
		"  key_file: key.pem\n",
		"cannot read");
	refused("tls_server_config:\n  cert_file: empty.pem\n"
		"  key_file: key.pem\n",
		"is empty");
	refused("tls_server_config:\n  cert_file: cert.pem\n"
		"  key_file: key.pem\n  min_version: TLS10\n",
		"\"min_version: TLS10\" is not supported");
	refused("http_server_config:\n  http2: false\n",
		"\"http_server_config\" is not supported");
	refused("basic_auth_users:\n  alice: $1$abc$def\n",
		"alice's password is not a bcrypt hash");
	refused("basic_auth_users:\n  alice: plaintext\n", "not a bcrypt hash");
	refused("basic_auth_users: [a, b]\n", "not a mapping");
	refused("- a\n- b\n", "not a mapping");
	refused("tls_server_config: [\n", "line ");
	snprintf(text, sizeof(text), "basic_auth_users:\n  ? [x]\n  : '%s'\n",
		 hash);
	refused(text, "are strings");
	refused("tls_server_config:\n  cert_file: [a]\n  key_file: key.pem\n",
		"strings");
}

static void test_no_file(void **state)
{
	struct web_config wc;
	char why[512];

	assert_int_equal(web_config_load("/nonexistent/web.yml", &wc, why,
					 sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "/nonexistent/web.yml: cannot read"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_and_users),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_no_file),
	};

	return cmocka_run_group_tests_name("webconfig", tests, setup, teardown);
}
