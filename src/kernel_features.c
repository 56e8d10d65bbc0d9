// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>

#include "kernel_features.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int check_privileges(char *why, int len)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	unsigned long long eff;

	if (syscall(SYS_capget, &hdr, data)) {
		snprintf(why, len, "cannot read capabilities: %s", strerror(errno));
		return -EPERM;
	}
	eff = data[0].effective | ((unsigned long long)data[1].effective << 32);
	if (eff & (1ULL << CAP_SYS_ADMIN))
		return 0;
	if ((eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_PERFMON)))
		return 0;
	snprintf(why, len,
		 "loading BPF programs needs root, or CAP_BPF and CAP_PERFMON "
		 "(Linux 5.8+): run it with sudo, or grant them with "
		 "'setcap cap_bpf,cap_perfmon,cap_dac_read_search+ep'");
	return -EPERM;
}

struct btf *vmlinux_btf(const char *btf_path)
{
	static struct btf *btf;
	static bool tried;

	if (tried)
		return btf;
	tried = true;
	if (btf_path)
		btf = btf__parse(btf_path, NULL);
	else if (path_exists("/sys/kernel/btf/vmlinux"))
		btf = btf__load_vmlinux_btf();
	if (btf && libbpf_get_error(btf))
		btf = NULL;
	return btf;
}

int tp_btf_nargs(struct btf *btf, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	int id;

	if (!btf)
		return -1;
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);		/* typedef */
	t = btf__type_by_id(btf, t->type);	/* pointer */
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);	/* func proto */
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1; /* without the leading void *__data */
}

bool have_kprobes(void)
{
	/* libbpf uses the kprobe PMU, or falls back to tracefs kprobe_events */
	return path_exists("/sys/bus/event_source/devices/kprobe/type") ||
	       path_exists("/sys/kernel/tracing/kprobe_events") ||
	       path_exists("/sys/kernel/debug/tracing/kprobe_events");
}

bool module_loaded(const char *module)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", module);
	return path_exists(path);
}

bool module_has_btf(const char *module)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", module);
	return path_exists(path);
}

/*
 * As bcc's trace_helpers: load and attach a two-instruction fentry program
 * to vmlinux function @func. Kernels without trampolines refuse the load.
 */
bool fentry_can_attach(const char *func)
{
	struct btf *btf = vmlinux_btf(NULL);
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY);
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 },			   /* exit */
	};
	int id, prog_fd, link_fd = -1;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	if (id <= 0)
		return false;
	opts.attach_btf_id = id;
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2,
				&opts);
	if (prog_fd >= 0) {
		link_fd = bpf_raw_tracepoint_open(NULL, prog_fd);
		if (link_fd >= 0)
			close(link_fd);
		close(prog_fd);
	}
	return link_fd >= 0;
}

/*
 * Module @module's BTF has function @func, so fentry can target it. The
 * last module's BTF is kept: every hook asked about is in the same one.
 */
bool module_btf_has_func(const char *module, const char *func)
{
	static char name[64];
	static struct btf *btf;
	struct btf *base = vmlinux_btf(NULL);

	if (!base || !module_has_btf(module))
		return false;
	if (!btf || strcmp(name, module)) {
		btf__free(btf);
		btf = btf__load_module_btf(module, base);
		if (libbpf_get_error(btf))
			btf = NULL;
		snprintf(name, sizeof(name), "%s", module);
	}
	return btf && btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) > 0;
}

/* This kernel has BPF helper @name (a value of its enum bpf_func_id). */
bool kernel_has_helper(const char *name)
{
	struct btf *btf = vmlinux_btf(NULL);
	const struct btf_type *t;
	const struct btf_enum *e;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "bpf_func_id", BTF_KIND_ENUM);
	if (id <= 0)
		return false;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(btf, e->name_off), name))
			return true;
	return false;
}

int ensure_tracefs(char *why, int len)
{
	if (path_exists("/sys/kernel/tracing/events") ||
	    path_exists("/sys/kernel/debug/tracing/events"))
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) &&
	    mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL)) {
		snprintf(why, len,
			 "tracefs is not mounted and could not be mounted (%s): "
			 "mount it with 'mount -t tracefs tracefs "
			 "/sys/kernel/tracing'",
			 strerror(errno));
		return -errno;
	}
	if (path_exists("/sys/kernel/tracing/events") ||
	    path_exists("/sys/kernel/debug/tracing/events"))
		return 0;
	snprintf(why, len,
		 "no tracepoints: this kernel lacks CONFIG_TRACEPOINTS or "
		 "CONFIG_FTRACE_SYSCALLS, which the tool needs");
	return -ENOENT;
}
