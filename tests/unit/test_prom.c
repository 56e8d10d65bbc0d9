// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus formats and the exporter's pure parts: content
 * negotiation, --listen addresses, and a model rendered in both formats
 * with exact samples and hostile labels escaped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cgroup_attr.h"
#include "exporter.h"
#include "model.h"
#include "prom.h"
#include "vm.h"

#define ID "7dea796eb5d6826a85978fa316612874aa3d576ac576495bed83d77fbc9dc744"
#define ID_POD                                                                     \
	"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_" \
	"b240_4dec_9a45_57b61696ab6e.slice/cri-containerd-" ID ".scope"

/* Prometheus 2.42's scrape Accept header, as it sent it to a test server */
#define PROM_ACCEPT                                          \
	"application/openmetrics-text;version=1.0.0,"        \
	"application/openmetrics-text;version=0.0.1;q=0.75," \
	"text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

static void test_negotiate(void **state)
{
	assert_int_equal(prom_negotiate(PROM_ACCEPT), PROM_OPENMETRICS);
	assert_int_equal(prom_negotiate(NULL), PROM_TEXT);
	assert_int_equal(prom_negotiate(""), PROM_TEXT);
	assert_int_equal(prom_negotiate("*/*"), PROM_TEXT); /* curl */
	assert_int_equal(prom_negotiate("text/plain;version=0.0.4"), PROM_TEXT);
	assert_int_equal(
		prom_negotiate(
			"text/plain, application/openmetrics-text;q=0.9"),
		PROM_TEXT);
	assert_int_equal(
		prom_negotiate(
			"text/plain;q=0.2, Application/OpenMetrics-Text"),
		PROM_OPENMETRICS);
	/* q=0 is "not acceptable" */
	assert_int_equal(prom_negotiate("application/openmetrics-text;q=0"),
			 PROM_TEXT);
	assert_int_equal(prom_negotiate(" ,;;,q=,application/json"), PROM_TEXT);
	assert_string_equal(prom_content_type(PROM_TEXT),
			    "text/plain; version=0.0.4; charset=utf-8");
}

static void test_listen_split(void **state)
{
	char host[64], port[8];

	assert_int_equal(listen_split("127.0.0.1:9877", host, sizeof(host),
				      port, sizeof(port)),
			 0);
	assert_string_equal(host, "127.0.0.1");
	assert_string_equal(port, "9877");
	assert_int_equal(listen_split("[::1]:80", host, sizeof(host), port,
				      sizeof(port)),
			 0);
	assert_string_equal(host, "::1");
	assert_int_equal(
		listen_split(":9877", host, sizeof(host), port, sizeof(port)),
		0);
	assert_string_equal(host, "");
	assert_int_equal(listen_split("localhost:1", host, sizeof(host), port,
				      sizeof(port)),
			 0);
	static const char *const bad[] = {
		"",
		"9877",
		"::1:80",
		"[::1]80",
		"[::1",
		"h:",
		"h:0",
		"h:65536",
		"h:12x",
		"h:-1",
		"h:99999999999",
		"a-host-name-far-longer-than-the-sixty-four-bytes-of-the-buffer-"
		"example:1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(listen_split(bad[i], host, sizeof(host), port,
					      sizeof(port)),
				 -EINVAL);
}

/* The value of @text's one sample of @metric ("name{") with @label; "" if none */
static const char *sample(const char *text, const char *metric,
			  const char *label)
{
	static char v[64];
	const char *p = text, *nl, *end;

	v[0] = '\0';
	while ((p = strstr(p, metric))) {
		nl = strchr(p, '\n');
		end = strstr(p, "} ");
		if (nl && end && end < nl && (p == text || p[-1] == '\n')) {
			const char *l = strstr(p, label);

			if (l && l < end) {
				snprintf(v, sizeof(v), "%.*s",
					 (int)(nl - end - 2), end + 2);
				return v;
			}
		}
		p += strlen(metric);
	}
	return v;
}

static char *render(struct mla_model *m, enum prom_format fmt)
{
	struct out_opts o = { .page_size = 4096 };
	struct proc_filter flt = { 0 };
	struct run_stats rs = { .lost_events = 3 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	prom_render(f, fmt, m, &flt, &o, &rs);
	fclose(f);
	return buf;
}

static void test_render(void **state)
{
	struct mla_model *m = model_new();
	struct mla_event e = {
		.type = MLA_EV_CHANGE,
		.mm_id = 1,
		.tgid = 4242,
		.cur_tgid = 4242,
		.start_ns = 1000000000ULL,
		.counter = MLA_LOCKED_VM,
		.source = MLA_SRC_MLOCK,
		.delta = 16,
		.value = 16,
		.seq = 1,
	};
	struct mla_proc *p;
	char *text, *om;

	memcpy(e.comm, "a\"b\\c\nd", 8);
	model_apply_event(m, &e);
	p = model_proc(m, 4242, 1000000000ULL, false);
	assert_non_null(p);
	p->cgroup = strdup("/system.slice/x\".service");
	/* what harvest.c reads off a path (here another one's) */
	p->cg_attr = malloc(sizeof(*p->cg_attr));
	assert_true(cgroup_attr_parse("/system.slice/docker-" ID ".scope",
				      p->cg_attr));
	text = render(m, PROM_TEXT);
	assert_non_null(strstr(
		text,
		/* made safe to print first (escape.c), then a label value */
		"memlockacct_locked_bytes{pid=\"4242\",comm=\"a\\\"b\\\\\\\\c"
		"\\\\x0ad\",vm=\"\",cgroup=\"/system.slice/x\\\".service\","
		"systemd_unit=\"docker-" ID
		".scope\",container_runtime=\"docker\","
		"container_id=\"" ID
		"\",pod_uid=\"\",pod_namespace=\"\",pod_name=\"\","
		"counter=\"locked_vm\",source=\"mlock\"} 65536\n"));
	assert_non_null(
		strstr(text, "# TYPE memlockacct_refusals_total counter\n"));
	assert_non_null(strstr(
		text, "# TYPE memlockacct_process_refusals_total counter\n"));
	assert_non_null(strstr(text, "memlockacct_lost_events_total 3\n"));
	assert_null(strstr(text, "memlockacct_headroom_ratio{"));
	p->limit_known = true;
	p->limit_soft = 256 * 1024;
	free(text);
	text = render(m, PROM_TEXT);
	assert_non_null(strstr(text, "counter=\"locked_vm\"} 0.75\n"));
	assert_non_null(strstr(text, "counter=\"pinned_vm\"} 1\n"));
	assert_non_null(strstr(text, "memlockacct_limit_bytes{pid=\"4242\""));
	assert_null(strstr(text, "# EOF"));
	om = render(m, PROM_OPENMETRICS);
	assert_non_null(strstr(om, "# TYPE memlockacct_refusals counter\n"));
	assert_non_null(strstr(om, "# TYPE memlockacct_lost_events counter\n"));
	assert_non_null(strstr(om, "memlockacct_lost_events_total 3\n"));
	assert_non_null(strstr(om, "source=\"mlock\"} 65536\n"));
	assert_int_equal(strlen(om) - strlen("# EOF\n"),
			 strstr(om, "# EOF\n") - om);
	assert_null(strstr(text, "memlockacct_vfio_device_bytes{"));
	free(text);
	/*
	 * A BAR of 1 MiB mapped for DMA at two IOVAs: device memory, 2 MiB in
	 * a sample of its own, and no RAM mapped twice (the same vaddr twice
	 * would be vfio_and_vfio were it RAM)
	 */
	model_add_mapping(model_inst(m, 1), 9, 1 << 28, 0x7f0000000000ULL,
			  1 << 20, 0, false, true);
	model_add_mapping(model_inst(m, 1), 9, 2 << 28, 0x7f0000000000ULL,
			  1 << 20, 0, false, true);
	text = render(m, PROM_TEXT);
	assert_string_equal(
		sample(text, "memlockacct_vfio_device_bytes{", "pid=\"4242\""),
		"2097152");
	assert_non_null(
		strstr(text, "memlockacct_double_counted_bytes{pid=\"4242\""));
	assert_string_equal(sample(text, "memlockacct_double_counted_bytes{",
				   "kind=\"vfio_and_vfio\""),
			    "0");
	free(text);
	free(om);
	model_free(m);
}

static struct mla_proc *holding(struct mla_model *m, uint32_t tgid,
				uint64_t pages)
{
	struct mla_event e = {
		.type = MLA_EV_CHANGE,
		.mm_id = tgid,
		.tgid = tgid,
		.cur_tgid = tgid,
		.start_ns = 1000000000ULL,
		.counter = MLA_LOCKED_VM,
		.source = MLA_SRC_MLOCK,
		.delta = (int64_t)pages,
		.value = pages,
		.seq = 1,
	};

	memcpy(e.comm, "p", 2);
	model_apply_event(m, &e);
	return model_proc(m, tgid, 1000000000ULL, false);
}

static size_t count(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)); p++)
		n++;
	return n;
}

/* --max-series: the refused and the largest kept, the rest summed. */
static void test_max_series(void **state)
{
	struct mla_model *m = model_new();
	struct out_opts o = { .page_size = 4096 };
	struct proc_filter flt = { 0 };
	struct run_stats rs = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	holding(m, 1, 16);
	holding(m, 2, 32);
	holding(m, 3, 8)->nfailures = 1;
	/* 5 samples each: locked by mlock, 3 double counted, refusals */
	o.max_series = 10;
	f = open_memstream(&text, &len);
	prom_render(f, PROM_TEXT, m, &flt, &o, &rs);
	fclose(f);
	assert_int_equal(count(text, "{pid=\"3\""), 5);
	assert_int_equal(count(text, "{pid=\"2\""), 5);
	assert_int_equal(count(text, "{pid=\"1\""), 0);
	assert_int_equal(count(text, "{pid="), 10);
	assert_non_null(strstr(text, "memlockacct_locked_bytes{summed=\"true\","
				     "counter=\"locked_vm\",source=\"mlock\"} "
				     "65536\n"));
	assert_non_null(strstr(text, "memlockacct_summed_processes 1\n"));
	free(text);
	/* 0: no bound; a bound under one process's samples: all summed */
	for (unsigned int max = 0; max <= 4; max += 4) {
		o.max_series = max;
		text = NULL;
		f = open_memstream(&text, &len);
		prom_render(f, PROM_TEXT, m, &flt, &o, &rs);
		fclose(f);
		assert_int_equal(count(text, "{pid="), max ? 0 : 15);
		assert_non_null(strstr(text, max ? "summed_processes 3\n" :
						   "summed_processes 0\n"));
		free(text);
	}
	model_free(m);
}

/* Per cgroup (summed over its processes), per user, refusals host-wide. */
static void test_aggregates(void **state)
{
	struct mla_model *m = model_new();
	struct out_opts o = { .page_size = 4096 };
	struct proc_filter flt = { 0 };
	struct run_stats rs = { 0 };
	struct mla_event e = {
		.type = MLA_EV_CHANGE,
		.mm_id = 7,
		.tgid = 7,
		.cur_tgid = 7,
		.uid = 1000,
		.start_ns = 1000000000ULL,
		.counter = MLA_USER_LOCKED,
		.source = MLA_SRC_IO_URING,
		.delta = 4,
		.value = 4,
		.seq = 2,
		.useq = 1,
	};
	const char *pod = "/kubepods.slice/kubepods-burstable.slice/"
			  "kubepods-burstable-pod55c6c714_b240_4dec_9a45_"
			  "57b61696ab6e.slice/cri-containerd-" ID ".scope";
	struct mla_proc *p[3];
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	p[0] = holding(m, 7, 16);
	p[1] = holding(m, 8, 32);
	p[2] = holding(m, 9, 8);
	for (int i = 0; i < 2; i++) {
		p[i]->cgroup = strdup(pod);
		p[i]->cg_attr = calloc(1, sizeof(*p[i]->cg_attr));
		assert_true(cgroup_attr_parse(pod, p[i]->cg_attr));
		strcpy(p[i]->cg_attr->pod_namespace, "default");
		strcpy(p[i]->cg_attr->pod_name, "virt-launcher-vm1-x7k2p");
	}
	p[2]->cgroup = strdup("/system.slice/a.service");
	/* KubeVirt: the domain is <namespace>_<vmi> in a virt-launcher pod */
	p[0]->vm = calloc(1, sizeof(*p[0]->vm));
	p[0]->vm->vmm = VMM_QEMU;
	strcpy(p[0]->vm->name, "default_vm1");
	p[0]->vm_checked = true;
	model_apply_event(m, &e);
	e.type = MLA_EV_FAILURE;
	e.counter = MLA_LOCKED_VM;
	e.source = MLA_SRC_VFIO;
	model_apply_event(m, &e);
	e.tgid = e.cur_tgid = 9;
	model_apply_event(m, &e);
	e.counter = MLA_PINNED_VM;
	e.source = MLA_SRC_RDMA;
	model_apply_event(m, &e);
	f = open_memstream(&text, &len);
	prom_render(f, PROM_TEXT, m, &flt, &o, &rs);
	fclose(f);
	/* 16 + 32 pages of the pod's two processes */
	assert_non_null(strstr(
		text,
		"memlockacct_cgroup_locked_bytes{cgroup=\"" ID_POD
		"\",systemd_unit=\"cri-containerd-" ID
		".scope\",container_runtime=\"containerd\","
		"container_id=\"" ID "\","
		"pod_uid=\"55c6c714-b240-4dec-9a45-57b61696ab6e\","
		"pod_namespace=\"default\",pod_name=\"virt-launcher-vm1-x7k2p\","
		"counter=\"locked_vm\"} 196608\n"));
	assert_non_null(strstr(text,
			       "memlockacct_vm_locked_bytes{vm=\"default_vm1\","
			       "vm_uuid=\"\",vmi_namespace=\"default\","
			       "vmi_name=\"vm1\"} 65536\n"));
	assert_non_null(strstr(text, "cgroup=\"/system.slice/a.service\","
				     "systemd_unit=\"\",container_runtime=\"\","
				     "container_id=\"\",pod_uid=\"\","
				     "pod_namespace=\"\",pod_name=\"\","
				     "counter=\"locked_vm\"} 32768\n"));
	assert_int_equal(count(text, "memlockacct_cgroup_locked_bytes{"), 4);
	assert_non_null(strstr(text, "memlockacct_cgroups_left_out 0\n"));
	assert_non_null(strstr(text,
			       "memlockacct_user_locked_bytes{uid=\"1000\","
			       "counter=\"user_locked_vm\","
			       "source=\"io_uring\"} 16384\n"));
	/* the process's share of it, with its other figures */
	assert_non_null(strstr(
		text,
		"pod_name=\"virt-launcher-vm1-x7k2p\",counter=\"user_locked_vm\","
		"source=\"io_uring\"} 16384\n"));
	assert_non_null(strstr(text,
			       "memlockacct_refusals_total{source=\"vfio\","
			       "check=\"locked_vm\"} 2\n"));
	assert_non_null(strstr(text,
			       "memlockacct_refusals_total{source=\"rdma\","
			       "check=\"pinned_vm\"} 1\n"));
	assert_non_null(
		strstr(text, "memlockacct_process_refusals_total{pid=\"9\","));
	free(text);
	/* one cgroup series pair at most: the larger, the pod */
	o.max_series = 1;
	text = NULL;
	f = open_memstream(&text, &len);
	prom_render(f, PROM_TEXT, m, &flt, &o, &rs);
	fclose(f);
	assert_int_equal(count(text, "memlockacct_cgroup_locked_bytes{"), 2);
	assert_int_equal(
		count(text,
		      "memlockacct_cgroup_locked_bytes{cgroup=\"/kubepods"),
		2);
	assert_non_null(strstr(text, "memlockacct_cgroups_left_out 1\n"));
	free(text);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_listen_split),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_max_series),
		cmocka_unit_test(test_aggregates),
	};

	return cmocka_run_group_tests_name("prom", tests, NULL, NULL);
}
