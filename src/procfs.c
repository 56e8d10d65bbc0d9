// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"

#define PROC_MAX_FILE (64u << 20) /* smaps of a huge process stays below */

/* Value of a "Key:   123 kB" line, or -ENOENT. */
static int status_field(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(p + klen + 1, &end, 10);
			if (errno || end == p + klen + 1)
				return -EINVAL;
			*out = v;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

int parse_status(const char *text, struct proc_status *st)
{
	uint64_t v;
	int err;

	memset(st, 0, sizeof(*st));
	if (!status_field(text, "Uid", &v))
		st->uid = v;
	if (!status_field(text, "Tgid", &v))
		st->tgid = v;
	{
		const char *cap = strstr(text, "\nCapEff:");

		/* CAP_IPC_LOCK is bit 14 of the hex mask */
		if (cap)
			st->cap_ipc_lock = (strtoull(cap + 8, NULL, 16) >> 14) & 1;
	}
	err = status_field(text, "VmLck", &st->vmlck_kib);
	if (err == -ENOENT)
		return 0; /* a kernel thread, or a zombie */
	if (err)
		return err;
	/* VmPin arrived with VmLck's split in 3.2; treat absence as zero */
	err = status_field(text, "VmPin", &st->vmpin_kib);
	if (err && err != -ENOENT)
		return err;
	st->has_vm = true;
	return 0;
}

int parse_stat_starttime(const char *text, uint64_t *ticks)
{
	/* comm may hold spaces and parentheses: fields start after the last ')' */
	const char *p = strrchr(text, ')');
	unsigned long long v;
	char *end;

	if (!p)
		return -EINVAL;
	p++;
	/* after comm, the state is field 3 */
	for (int field = 3;; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -EINVAL;
		if (field == 22)
			break;
		while (*p && *p != ' ')
			p++;
	}
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || end == p)
		return -EINVAL;
	*ticks = v;
	return 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A VMA header line: "start-end perms offset dev inode [path]". */
static bool vma_header(const char *line, struct mla_range *r)
{
	char *end;
	unsigned long long s, e;

	if (!is_hex(line[0]))
		return false;
	errno = 0;
	s = strtoull(line, &end, 16);
	if (errno || *end != '-')
		return false;
	e = strtoull(end + 1, &end, 16);
	if (errno || *end != ' ' || e < s)
		return false;
	r->start = s;
	r->end = e;
	return true;
}

/* Has a VmFlags line one of the two-letter @flags ("lo", "io pf")? */
static bool vmflags_any(const char *line, const char *flags)
{
	const char *p = line + strlen("VmFlags:");

	while (*p && *p != '\n') {
		while (*p == ' ')
			p++;
		if (p[0] && p[1] && (p[2] == ' ' || p[2] == '\n' || !p[2]))
			for (const char *f = flags; f[0] && f[1];
			     f += f[2] ? 3 : 2)
				if (p[0] == f[0] && p[1] == f[1])
					return true;
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	return false;
}

/* The VMAs of smaps @text whose VmFlags have one of @flags. */
static int parse_smaps_flags(const char *text, const char *flags,
			     struct mla_range **ranges, size_t *n)
{
	struct mla_range cur = { 0 }, *out = NULL;
	size_t cnt = 0, cap = 0;
	bool have = false;
	const char *p = text;

	while (p && *p) {
		struct mla_range r;

		if (vma_header(p, &r)) {
			cur = r;
			have = true;
		} else if (have && !strncmp(p, "VmFlags:", 8)) {
			if (vmflags_any(p, flags)) {
				if (cnt == cap) {
					size_t ncap = cap ? cap * 2 : 16;
					struct mla_range *t =
						realloc(out, ncap * sizeof(*t));

					if (!t) {
						free(out);
						return -ENOMEM;
					}
					out = t;
					cap = ncap;
				}
				out[cnt++] = cur;
			}
			have = false;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	*ranges = out;
	*n = cnt;
	return 0;
}

int parse_smaps_locked(const char *text, struct mla_range **ranges, size_t *n)
{
	return parse_smaps_flags(text, "lo", ranges, n);
}

/* VM_IO or VM_PFNMAP: device memory (a BAR mmapped through vfio-pci) */
int parse_smaps_device(const char *text, struct mla_range **ranges, size_t *n)
{
	return parse_smaps_flags(text, "io pf", ranges, n);
}

static int parse_limit_value(const char **p, uint64_t *v)
{
	char *end;
	unsigned long long x;

	while (**p == ' ')
		(*p)++;
	if (!strncmp(*p, "unlimited", 9)) {
		*v = UINT64_MAX;
		*p += 9;
		return 0;
	}
	errno = 0;
	x = strtoull(*p, &end, 10);
	if (errno || end == *p)
		return -EINVAL;
	*v = x;
	*p = end;
	return 0;
}

int parse_limits_memlock(const char *text, uint64_t *soft, uint64_t *hard)
{
	const char *p = strstr(text, "Max locked memory");

	if (!p)
		return -ENOENT;
	p += strlen("Max locked memory");
	if (parse_limit_value(&p, soft) || parse_limit_value(&p, hard))
		return -EINVAL;
	return 0;
}

char *proc_read(pid_t pid, const char *file, size_t *len)
{
	char path[64];
	size_t cap = 4096, used = 0;
	char *buf;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		ssize_t r;

		if (used + 1 >= cap) {
			char *t = cap < PROC_MAX_FILE ? realloc(buf, cap * 2) : NULL;

			if (!t) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = t;
			cap *= 2;
		}
		r = read(fd, buf + used, cap - used - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (r == 0)
			break;
		used += r;
	}
	close(fd);
	if (buf) {
		buf[used] = '\0';
		if (len)
			*len = used;
	}
	return buf;
}

int proc_status(pid_t pid, struct proc_status *st)
{
	char *text = proc_read(pid, "status", NULL);
	int err;

	if (!text)
		return -errno ? -errno : -ENOENT;
	err = parse_status(text, st);
	free(text);
	return err;
}

int proc_starttime(pid_t pid, uint64_t *ticks)
{
	char *text = proc_read(pid, "stat", NULL);
	int err;

	if (!text)
		return -ENOENT;
	err = parse_stat_starttime(text, ticks);
	free(text);
	return err;
}

static int proc_smaps_ranges(pid_t pid,
			     int (*parse)(const char *, struct mla_range **,
					  size_t *),
			     struct mla_range **ranges, size_t *n)
{
	char *text = proc_read(pid, "smaps", NULL);
	int err;

	if (!text)
		return -ENOENT;
	err = parse(text, ranges, n);
	free(text);
	return err;
}

int proc_locked_ranges(pid_t pid, struct mla_range **ranges, size_t *n)
{
	return proc_smaps_ranges(pid, parse_smaps_locked, ranges, n);
}

int proc_device_ranges(pid_t pid, struct mla_range **ranges, size_t *n)
{
	return proc_smaps_ranges(pid, parse_smaps_device, ranges, n);
}

int proc_memlock_limit(pid_t pid, uint64_t *soft, uint64_t *hard)
{
	char *text = proc_read(pid, "limits", NULL);
	int err;

	if (!text)
		return -ENOENT;
	err = parse_limits_memlock(text, soft, hard);
	free(text);
	return err;
}

int proc_comm(pid_t pid, char *buf, size_t len)
{
	char *text = proc_read(pid, "comm", NULL);
	size_t n;

	if (!text)
		return -ENOENT;
	n = strcspn(text, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	free(text);
	return 0;
}

/* Count the fds of @pid whose target starts with @prefix. */
static unsigned int count_fds(pid_t pid, const char *prefix, bool groups)
{
	char dir[64], path[PATH_MAX], target[PATH_MAX];
	struct dirent *d;
	unsigned int n = 0;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		ssize_t len;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strncmp(target, prefix, strlen(prefix)))
			continue;
		/* a group is /dev/vfio/N; /dev/vfio/vfio is the container */
		if (groups && !isdigit((unsigned char)target[strlen(prefix)]))
			continue;
		n++;
	}
	closedir(dp);
	return n;
}

unsigned int proc_vfio_groups(pid_t pid)
{
	return count_fds(pid, "/dev/vfio/", true);
}

bool proc_has_vfio(pid_t pid)
{
	char dir[64], path[PATH_MAX], target[PATH_MAX];
	struct dirent *d;
	bool found = false;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	dp = opendir(dir);
	if (!dp)
		return false;
	while (!found && (d = readdir(dp))) {
		ssize_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		/* a device's file from VFIO_GROUP_GET_DEVICE_FD (passed on
		 * by a helper) is anonymous; it keeps its group's container */
		found = !strncmp(target, "/dev/vfio/", 10) ||
			!strcmp(target, "/dev/iommu") ||
			!strcmp(target, "anon_inode:[vfio-device]");
	}
	closedir(dp);
	return found;
}

char *cgroup_v2_path(const char *text)
{
	const char *p = text;

	/* cgroup v2: the line "0::/path" */
	while (p && *p) {
		if (!strncmp(p, "0::", 3))
			return strndup(p + 3, strcspn(p + 3, "\n"));
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

bool proc_same_start(pid_t pid, uint64_t start_ns)
{
	static long hz;
	uint64_t ticks;

	if (!hz)
		hz = sysconf(_SC_CLK_TCK);
	if (proc_starttime(pid, &ticks))
		return false;
	return ticks == start_ns / (1000000000ULL / hz);
}

int proc_host_cgroupns(void)
{
	struct stat self, init;
	int fd, err = 0;

	if (stat("/proc/self/ns/cgroup", &self))
		return 0; /* a kernel without cgroup namespaces */
	if (stat("/proc/1/ns/cgroup", &init))
		return -errno;
	if (self.st_ino == init.st_ino && self.st_dev == init.st_dev)
		return 0;
	fd = open("/proc/1/ns/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWCGROUP))
		err = -errno;
	close(fd);
	return err ? err : 1;
}
