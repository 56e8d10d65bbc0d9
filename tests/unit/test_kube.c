// SPDX-License-Identifier: GPL-2.0
/*
 * Pod names from a directory shaped like the kubelet's /var/log/pods
 * (<namespace>_<name>_<uid>, as the kubelet names it), and KubeVirt VMIs
 * from libvirt domain names (<namespace>_<name>).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kube.h"

#define UID1 "55c6c714-b240-4dec-9a45-57b61696ab6e"
#define UID2 "8daa50c3a64c9ff60bb9eab7b44b56fd"

static char dir[] = "/tmp/mla-kube-XXXXXX";

static void mk(const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(mkdir(p, 0755), 0);
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	mk("kube-system_kube-apiserver-node1_" UID2);
	mk("default_virt-launcher-vm1-x7k2p_" UID1);
	mk("default_other_11111111-2222-3333-4444-555555555555");
	/* not DNS-1123: upper case, a leading dash */
	mk("Bad_pod_aaaaaaaa-2222-3333-4444-555555555555");
	mk("ns_-pod_bbbbbbbb-2222-3333-4444-555555555555");
	mk("justuid_cccccccc-2222-3333-4444-555555555555");
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void expect_pod(const char *uid, const char *ns, const char *name)
{
	char n[KUBE_NS_LEN], p[KUBE_NAME_LEN];

	assert_int_equal(kube_pod_names(dir, uid, n, p), ns[0] != '\0');
	assert_string_equal(n, ns);
	assert_string_equal(p, name);
}

static void test_pod_names(void **state)
{
	expect_pod(UID1, "default", "virt-launcher-vm1-x7k2p");
	expect_pod(UID2, "kube-system", "kube-apiserver-node1");
	expect_pod("11111111-2222-3333-4444-555555555555", "default", "other");
	expect_pod("aaaaaaaa-2222-3333-4444-555555555555", "", "");
	expect_pod("bbbbbbbb-2222-3333-4444-555555555555", "", "");
	expect_pod("cccccccc-2222-3333-4444-555555555555", "", "");
	/* a suffix of a uid is not that uid */
	expect_pod("4444-555555555555", "", "");
	expect_pod("", "", "");
	expect_pod("99999999-2222-3333-4444-555555555555", "", "");
}

static void test_no_dir(void **state)
{
	char n[KUBE_NS_LEN], p[KUBE_NAME_LEN];

	assert_false(kube_pod_names("/nonexistent/pods", UID1, n, p));
	assert_string_equal(n, "");
	assert_string_equal(p, "");
}

static void expect_vmi(const char *domain, const char *ns, const char *name)
{
	char n[KUBE_NS_LEN], v[KUBE_NAME_LEN];

	assert_int_equal(kube_vmi(domain, n, v), ns[0] != '\0');
	assert_string_equal(n, ns);
	assert_string_equal(v, name);
}

static void test_vmi(void **state)
{
	expect_vmi("default_testvmi", "default", "testvmi");
	expect_vmi("kubevirt-ns_vm.a-1", "kubevirt-ns", "vm.a-1");
	/* a plain libvirt domain: no namespace */
	expect_vmi("guest1", "", "");
	expect_vmi("a.b_vm", "", ""); /* a namespace has no dots */
	expect_vmi("_vm", "", "");
	expect_vmi("ns_", "", "");
	expect_vmi("ns_a_b", "", "");
	expect_vmi("NS_vm", "", "");
	expect_vmi("", "", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pod_names),
		cmocka_unit_test(test_no_dir),
		cmocka_unit_test(test_vmi),
	};

	return cmocka_run_group_tests_name("kube", tests, setup, teardown);
}
