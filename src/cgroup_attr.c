// SPDX-License-Identifier: GPL-2.0
/*
 * The shapes, by runtime and cgroup driver (systemd / cgroupfs):
 *   docker      .../docker-ID.scope            /docker/ID
 *   containerd  .../cri-containerd-ID.scope    (cgroupfs: under a pod, ID)
 *   cri-o       .../crio-ID.scope, crio-conmon-ID.scope
 *   podman      .../libpod-ID.scope, libpod-conmon-ID.scope
 *                                              /libpod_parent/libpod-ID
 *   kubelet     kubepods[-QOS]-podUID.slice (UID's dashes as _; kind adds
 *               a kubelet- prefix)             /kubepods[/QOS]/podUID/ID
 * The container's conmon scope is attributed to the container.
 */
#include <stdio.h>
#include <string.h>

#include "cgroup_attr.h"

static bool all_hex(const char *s, size_t n)
{
	return strspn(s, "0123456789abcdef") >= n;
}

/* @c (length @n) is PREFIX + 64 hex + SUFFIX: the id into @id. */
static bool id_in(const char *c, size_t n, const char *prefix,
		  const char *suffix, char *id)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);

	if (n != pl + 64 + sl || strncmp(c, prefix, pl) ||
	    strncmp(c + pl + 64, suffix, sl) || !all_hex(c + pl, 64))
		return false;
	memcpy(id, c + pl, 64);
	id[64] = '\0';
	return true;
}

static const struct {
	const char *prefix, *suffix, *runtime;
} shapes[] = {
	{ "docker-", ".scope", "docker" },
	{ "cri-containerd-", ".scope", "containerd" },
	{ "crio-conmon-", ".scope", "cri-o" },
	{ "crio-", ".scope", "cri-o" },
	{ "libpod-conmon-", ".scope", "podman" },
	{ "libpod-", ".scope", "podman" },
	{ "libpod-", "", "podman" }, /* cgroupfs, under libpod_parent */
};

/* A pod UID: 36 of hex and @dash, or 32 hex (a static pod's). */
static bool pod_uid(const char *s, size_t n, char dash, char *out)
{
	if (n != 36 && n != 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool sep = n == 36 && (i == 8 || i == 13 || i == 18 || i == 23);

		if (sep ? s[i] != dash : !all_hex(s + i, 1))
			return false;
		out[i] = sep ? '-' : s[i];
	}
	out[n] = '\0';
	return true;
}

/* systemd driver: "...kubepods[-QOS]-podUID.slice" */
static bool pod_slice(const char *c, size_t n, char *out)
{
	const char *k = strstr(c, "kubepods"), *p;

	if (!k || k >= c + n || n < 6 || strncmp(c + n - 6, ".slice", 6))
		return false;
	p = strstr(k, "-pod");
	if (!p || p >= c + n)
		return false;
	p += 4;
	return pod_uid(p, c + n - 6 - p, '_', out);
}

bool cgroup_attr_parse(const char *path, struct cgroup_attr *a)
{
	const char *c = path, *prev = "";
	size_t prev_len = 0;
	bool kubepods = false;

	memset(a, 0, sizeof(*a));
	a->runtime = "";
	if (!path)
		return false;
	while (*c) {
		size_t n;

		c += strspn(c, "/");
		n = strcspn(c, "/");
		if (!n)
			break;
		if ((n > 8 && !strncmp(c + n - 8, ".service", 8)) ||
		    (n > 6 && !strncmp(c + n - 6, ".scope", 6)))
			snprintf(a->unit, sizeof(a->unit), "%.*s", (int)n, c);
		if (n >= 8 && !strncmp(c, "kubepods", 8))
			kubepods = true;
		if (!a->pod_uid[0] && pod_slice(c, n, a->pod_uid))
			kubepods = true;
		if (kubepods && !a->pod_uid[0] && n > 3 &&
		    !strncmp(c, "pod", 3))
			pod_uid(c + 3, n - 3, '-', a->pod_uid);
		for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]);
		     i++) {
			/* cgroupfs libpod-ID only under libpod_parent */
			if (!shapes[i].suffix[0] &&
			    (prev_len != 13 ||
			     strncmp(prev, "libpod_parent", 13)))
				continue;
			if (id_in(c, n, shapes[i].prefix, shapes[i].suffix,
				  a->container_id)) {
				a->runtime = shapes[i].runtime;
				break;
			}
		}
		/* cgroupfs: /docker/ID, and a pod's containers /kubepods/.../podUID/ID */
		if (n == 64 && all_hex(c, 64) &&
		    ((prev_len == 6 && !strncmp(prev, "docker", 6)) ||
		     (a->pod_uid[0] && prev_len > 3 &&
		      !strncmp(prev, "pod", 3)))) {
			memcpy(a->container_id, c, 64);
			a->container_id[64] = '\0';
			a->runtime = prev[0] == 'd' ? "docker" : "";
		}
		prev = c;
		prev_len = n;
		c += n;
	}
	return a->unit[0] || a->container_id[0] || a->pod_uid[0];
}

bool cgroup_attr_matches(const struct cgroup_attr *a, enum cg_sel sel,
			 const char *value)
{
	const char *slash;

	if (!a)
		return false;
	switch (sel) {
	case CG_SEL_UNIT:
		return a->unit[0] && !strcmp(a->unit, value);
	case CG_SEL_POD:
		slash = strchr(value, '/');
		if (!slash)
			return a->pod_uid[0] && !strcmp(a->pod_uid, value);
		return a->pod_name[0] &&
		       strlen(a->pod_namespace) == (size_t)(slash - value) &&
		       !strncmp(a->pod_namespace, value, slash - value) &&
		       !strcmp(a->pod_name, slash + 1);
	case CG_SEL_CONTAINER:
		return a->container_id[0] && value[0] &&
		       !strncmp(a->container_id, value, strlen(value));
	default:
		return false;
	}
}

const char *cgroup_attr_where(const struct cgroup_attr *a, char *buf,
			      size_t len)
{
	if (a && a->pod_name[0])
		snprintf(buf, len, "pod %s/%s", a->pod_namespace, a->pod_name);
	else if (a && a->pod_uid[0])
		snprintf(buf, len, "pod %s", a->pod_uid);
	else if (a && a->container_id[0])
		snprintf(buf, len, "%s:%.12s",
			 a->runtime[0] ? a->runtime : "container",
			 a->container_id);
	else if (a && a->unit[0])
		snprintf(buf, len, "%s", a->unit);
	else
		snprintf(buf, len, "-");
	return buf;
}
