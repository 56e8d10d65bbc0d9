// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup paths as each runtime makes them (systemd and cgroupfs drivers),
 * and what memlockacct reads off them. The Kubernetes shapes are those
 * reported from real nodes (containerd, CRI-O, kind, a static pod).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cgroup_attr.h"

#define ID "7dea796eb5d6826a85978fa316612874aa3d576ac576495bed83d77fbc9dc744"
#define ID2 "5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c"

static void expect(const char *path, const char *unit, const char *runtime,
		   const char *id, const char *pod)
{
	struct cgroup_attr a;
	bool any = cgroup_attr_parse(path, &a);

	assert_string_equal(a.unit, unit);
	assert_string_equal(a.runtime, runtime);
	assert_string_equal(a.container_id, id);
	assert_string_equal(a.pod_uid, pod);
	assert_int_equal(any, unit[0] || id[0] || pod[0]);
}

static void test_systemd(void **state)
{
	expect("/system.slice/ssh.service", "ssh.service", "", "", "");
	expect("/user.slice/user-1000.slice/user@1000.service/app.slice/"
	       "app-gnome-x.scope",
	       "app-gnome-x.scope", "", "", "");
	expect("/", "", "", "", "");
	expect("", "", "", "", "");
	expect(NULL, "", "", "", "");
	/* libvirt's machine scope; the VM name itself comes from vm.c */
	expect("/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/libvirt/emulator",
	       "machine-qemu\\x2d1\\x2dvm1.scope", "", "", "");
}

static void test_docker_podman(void **state)
{
	expect("/system.slice/docker-" ID ".scope", "docker-" ID ".scope",
	       "docker", ID, "");
	expect("/docker/" ID, "", "docker", ID, "");
	expect("/machine.slice/libpod-" ID ".scope", "libpod-" ID ".scope",
	       "podman", ID, "");
	expect("/machine.slice/libpod-conmon-" ID ".scope",
	       "libpod-conmon-" ID ".scope", "podman", ID, "");
	expect("/user.slice/user-1000.slice/user@1000.service/user.slice/"
	       "libpod-" ID ".scope",
	       "libpod-" ID ".scope", "podman", ID, "");
	expect("/libpod_parent/libpod-" ID, "", "podman", ID, "");
	/* not an id: too short, not hex, not under libpod_parent */
	expect("/system.slice/docker-abc.scope", "docker-abc.scope", "", "",
	       "");
	expect("/docker/" ID "x", "", "", "", "");
	expect("/x/libpod-" ID, "", "", "", "");
	expect("/system.slice/docker.service", "docker.service", "", "", "");
}

static void test_kubernetes(void **state)
{
	expect("/kubepods.slice/kubepods-burstable.slice/"
	       "kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice/"
	       "cri-containerd-" ID ".scope",
	       "cri-containerd-" ID ".scope", "containerd", ID,
	       "55c6c714-b240-4dec-9a45-57b61696ab6e");
	/* a static pod: the hash of its manifest, no dashes */
	expect("/kubepods.slice/kubepods-burstable.slice/"
	       "kubepods-burstable-pod8daa50c3a64c9ff60bb9eab7b44b56fd.slice/"
	       "cri-containerd-" ID ".scope",
	       "cri-containerd-" ID ".scope", "containerd", ID,
	       "8daa50c3a64c9ff60bb9eab7b44b56fd");
	/* guaranteed QoS: no QoS slice */
	expect("/kubepods.slice/"
	       "kubepods-pod1e597579_417e_482f_bf65_5fe170c3aebd.slice/"
	       "crio-" ID2 ".scope",
	       "crio-" ID2 ".scope", "cri-o", ID2,
	       "1e597579-417e-482f-bf65-5fe170c3aebd");
	expect("/kubepods.slice/kubepods-burstable.slice/"
	       "kubepods-burstable-poda5c1f8d5_1919_434d_add7_4afaafdaef89.slice/"
	       "crio-conmon-" ID2 ".scope",
	       "crio-conmon-" ID2 ".scope", "cri-o", ID2,
	       "a5c1f8d5-1919-434d-add7-4afaafdaef89");
	/* kind: kubelet's own slice prefix */
	expect("/kubelet.slice/kubelet-kubepods.slice/"
	       "kubelet-kubepods-besteffort.slice/"
	       "kubelet-kubepods-besteffort-pod1e597579_417e_482f_bf65_5fe170c3aebd.slice/"
	       "cri-containerd-" ID ".scope",
	       "cri-containerd-" ID ".scope", "containerd", ID,
	       "1e597579-417e-482f-bf65-5fe170c3aebd");
	/* cgroupfs driver: the runtime is not in the path */
	expect("/kubepods/burstable/pod55c6c714-b240-4dec-9a45-57b61696ab6e/" ID,
	       "", "", ID, "55c6c714-b240-4dec-9a45-57b61696ab6e");
	expect("/kubepods/pod55c6c714-b240-4dec-9a45-57b61696ab6e/" ID, "", "",
	       ID, "55c6c714-b240-4dec-9a45-57b61696ab6e");
	/* the pod's own slice, no container yet */
	expect("/kubepods.slice/kubepods-besteffort.slice/"
	       "kubepods-besteffort-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice",
	       "", "", "", "55c6c714-b240-4dec-9a45-57b61696ab6e");
	/* look-alikes: no kubepods, a bad UID */
	expect("/system.slice/pod55c6c714-b240-4dec-9a45-57b61696ab6e", "", "",
	       "", "");
	expect("/kubepods.slice/kubepods-besteffort-podXYZ.slice", "", "", "",
	       "");
}

/* --cgroup unit=, pod=, container=, and the WHERE column */
static void test_select_and_where(void **state)
{
	struct cgroup_attr a;
	char buf[300];

	assert_true(cgroup_attr_parse(
		"/kubepods.slice/kubepods-burstable.slice/"
		"kubepods-burstable-pod55c6c714_b240_4dec_"
		"9a45_57b61696ab6e.slice/cri-containerd-" ID ".scope",
		&a));
	assert_true(cgroup_attr_matches(
		&a, CG_SEL_POD, "55c6c714-b240-4dec-9a45-57b61696ab6e"));
	assert_false(cgroup_attr_matches(&a, CG_SEL_POD, "default/web-0"));
	assert_string_equal(cgroup_attr_where(&a, buf, sizeof(buf)),
			    "pod 55c6c714-b240-4dec-9a45-57b61696ab6e");
	strcpy(a.pod_namespace, "default");
	strcpy(a.pod_name, "web-0");
	assert_true(cgroup_attr_matches(&a, CG_SEL_POD, "default/web-0"));
	assert_false(cgroup_attr_matches(&a, CG_SEL_POD, "default/web-"));
	assert_false(cgroup_attr_matches(&a, CG_SEL_POD, "defaul/web-0"));
	assert_false(cgroup_attr_matches(&a, CG_SEL_POD, "/web-0"));
	assert_string_equal(cgroup_attr_where(&a, buf, sizeof(buf)),
			    "pod default/web-0");
	assert_true(cgroup_attr_matches(&a, CG_SEL_CONTAINER, "7dea796eb5d6"));
	assert_true(cgroup_attr_matches(&a, CG_SEL_CONTAINER, ID));
	assert_false(cgroup_attr_matches(&a, CG_SEL_CONTAINER, "7deb"));
	assert_false(cgroup_attr_matches(&a, CG_SEL_CONTAINER, ""));
	assert_true(cgroup_attr_matches(&a, CG_SEL_UNIT,
					"cri-containerd-" ID ".scope"));
	assert_false(cgroup_attr_matches(&a, CG_SEL_UNIT, "cri-containerd"));
	assert_true(cgroup_attr_parse("/system.slice/docker-" ID ".scope", &a));
	assert_string_equal(cgroup_attr_where(&a, buf, sizeof(buf)),
			    "docker:7dea796eb5d6");
	assert_true(cgroup_attr_parse("/system.slice/ssh.service", &a));
	assert_string_equal(cgroup_attr_where(&a, buf, sizeof(buf)),
			    "ssh.service");
	assert_false(cgroup_attr_matches(&a, CG_SEL_POD, "x"));
	assert_false(cgroup_attr_matches(NULL, CG_SEL_UNIT, "ssh.service"));
	assert_string_equal(cgroup_attr_where(NULL, buf, sizeof(buf)), "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd),
		cmocka_unit_test(test_docker_podman),
		cmocka_unit_test(test_kubernetes),
		cmocka_unit_test(test_select_and_where),
	};

	return cmocka_run_group_tests_name("cgroup_attr", tests, NULL, NULL);
}
