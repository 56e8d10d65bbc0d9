/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who a process belongs to, read off its cgroup v2 path: the systemd unit,
 * the container runtime and container id, the Kubernetes pod. Pure: a
 * path in, fields out (tests/unit/test_cgroup_attr.c has real path shapes
 * of each runtime, systemd and cgroupfs drivers).
 */
#ifndef MLA_CGROUP_ATTR_H
#define MLA_CGROUP_ATTR_H

#include <stdbool.h>
#include <stddef.h>

#include "kube.h"

#define CG_ID_LEN 65  /* 64 hex digits */
#define CG_UID_LEN 37 /* a UUID with dashes (static pods: 32 hex) */

struct cgroup_attr {
	char unit[256];	     /* the deepest .service or .scope, or "" */
	const char *runtime; /* docker, containerd, cri-o, podman, or "" */
	char container_id[CG_ID_LEN]; /* or "" */
	char pod_uid[CG_UID_LEN];     /* with dashes, or "" */
	/* the kubelet's names for that pod (kube.h), or "" */
	char pod_namespace[KUBE_NS_LEN];
	char pod_name[KUBE_NAME_LEN];
};

/* What --cgroup KEY=VALUE selects by. */
enum cg_sel { CG_SEL_NONE, CG_SEL_UNIT, CG_SEL_POD, CG_SEL_CONTAINER };

/*
 * Does @a match: unit=NAME (the unit), pod=NAMESPACE/NAME or pod=UID,
 * container=ID (the id or a prefix of it, as docker ps shows)? NULL
 * matches nothing.
 */
bool cgroup_attr_matches(const struct cgroup_attr *a, enum cg_sel sel,
			 const char *value);

/*
 * Where a process runs, for a table column: "pod NS/NAME" (or the pod's
 * UID), "RUNTIME:ID" (12 digits of it), else the unit, else "-".
 */
const char *cgroup_attr_where(const struct cgroup_attr *a, char *buf,
			      size_t len);

/*
 * Fill @a from @path ("/system.slice/docker-ID.scope"); false: nothing.
 * Pod names are not in a path: the caller adds them (kube_pod_names).
 */
bool cgroup_attr_parse(const char *path, struct cgroup_attr *a);

#endif
