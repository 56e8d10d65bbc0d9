/* SPDX-License-Identifier: GPL-2.0 */
/* What this kernel and this process can do: BTF, privileges, kprobes, ... */
#ifndef MLA_KERNEL_FEATURES_H
#define MLA_KERNEL_FEATURES_H

#include <stdbool.h>

struct btf;

/* 0 if we may load and attach BPF; else -EPERM with @why filled. */
int check_privileges(char *why, int len);

/* vmlinux BTF (or @btf_path), loaded once; NULL if there is none. */
struct btf *vmlinux_btf(const char *btf_path);

/* Argument count of tracepoint @tp per BTF (btf_trace_<tp>), or -1. */
int tp_btf_nargs(struct btf *btf, const char *tp);

bool have_kprobes(void);
bool module_loaded(const char *module);
bool module_has_btf(const char *module);
/* Can an fentry program attach to vmlinux function @func? */
bool fentry_can_attach(const char *func);
bool module_btf_has_func(const char *module, const char *func);
bool kernel_has_helper(const char *name);

/*
 * Make sure tracefs is reachable for the syscall tracepoints: mount it on
 * /sys/kernel/tracing if nothing is mounted there. 0 or -errno.
 */
int ensure_tracefs(char *why, int len);

#endif
