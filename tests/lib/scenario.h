/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the scenario programs (tests/live, tests/vm/scenarios): run
 * one operation as a "step" and print one JSON line with the kernel's own
 * VmLck/VmPin (from /proc/self/status) before and after it, and the
 * CLOCK_BOOTTIME window it ran in, so a checker can match the tool's
 * events to the step and its numbers to the kernel's.
 *
 * No malloc, and output through write(2) from a static buffer: nothing
 * a scenario does between steps may change VmLck (under mlockall even a
 * stdio buffer would).
 */
#ifndef MLA_SCENARIO_H
#define MLA_SCENARIO_H

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIB 1024UL
#define MIB (1024 * KIB)

struct counters {
	long vmlck, vmpin; /* KiB, as /proc prints them */
};

static char scenario_out[1024];
static char scenario_status[8192];
/* Extra JSON members for the next step line, e.g. "\"errno\":\"ENOMEM\"". */
static char step_extra[512];

static inline long status_field(const char *key)
{
	const char *p = strstr(scenario_status, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static inline struct counters read_counters(void)
{
	struct counters c;
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, scenario_status,
				       sizeof(scenario_status) - 1);

	if (fd >= 0)
		close(fd);
	scenario_status[n > 0 ? n : 0] = '\0';
	c.vmlck = status_field("VmLck:");
	c.vmpin = status_field("VmPin:");
	return c;
}

static inline unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline void say(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(scenario_out, sizeof(scenario_out), fmt, ap);
	va_end(ap);
	if (n > 0 && write(STDOUT_FILENO, scenario_out, n) != n)
		_exit(3);
}

/* Add a member to the next step line. */
static inline void step_note(const char *fmt, ...)
{
	size_t used = strlen(step_extra);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(step_extra + used, sizeof(step_extra) - used, fmt, ap);
	va_end(ap);
}

static inline void emit(const char *step, const char *source, struct counters a,
		 struct counters b, unsigned long long t0,
		 unsigned long long t1, int ret)
{
	say("{\"step\":\"%s\",\"pid\":%d,\"source\":\"%s\",\"t0\":%llu,"
	    "\"t1\":%llu,\"ret\":%d,\"vmlck_before\":%ld,\"vmlck_after\":%ld,"
	    "\"vmpin_before\":%ld,\"vmpin_after\":%ld%s%s}\n",
	    step, getpid(), source, t0, t1, ret, a.vmlck, b.vmlck, a.vmpin,
	    b.vmpin, step_extra[0] ? "," : "", step_extra);
	step_extra[0] = '\0';
}

/* Run @op as one step; its value (0 or -errno) is recorded as "ret". */
#define STEP(name, source, op)                                         \
	({                                                             \
		struct counters a_ = read_counters();                  \
		unsigned long long t0_ = now_ns();                     \
		int r_ = (op);                                         \
		unsigned long long t1_ = now_ns();                     \
		emit(name, source, a_, read_counters(), t0_, t1_, r_); \
		r_;                                                    \
	})

static inline int rc(long r)
{
	return r < 0 ? -errno : 0;
}

static inline void *map_anon(size_t len, int extra)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);

	if (p == MAP_FAILED) {
		say("{\"error\":\"mmap %zu: %s\"}\n", len, strerror(errno));
		_exit(2);
	}
	memset(p, 1, len); /* populated: what VFIO pins must be there */
	return p;
}

static inline const char *errno_str(int ret)
{
	switch (-ret) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case ENOSPC: return "ENOSPC";
	}
	return "other";
}

/* Drop @cap for good (bounding set too): 0, or -1 with errno. */
static inline int drop_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective &= ~(1u << cap);
	d[0].permitted &= ~(1u << cap);
	d[0].inheritable &= ~(1u << cap);
	return prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) ||
	       syscall(SYS_capset, &h, d);
}

/* Create @ready (the tests wait for it), then hold until killed. */
static inline void touch_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	if (fd < 0) {
		say("{\"error\":\"%s: %s\"}\n", path, strerror(errno));
		_exit(2);
	}
	close(fd);
}

static inline __attribute__((noreturn)) void wait_killed(const char *ready)
{
	touch_file(ready);
	for (;;)
		pause();
}

/* Say @ready, then wait up to 600 s for @go (the harness's next step). */
static inline void ready_then_wait(const char *ready, const char *go)
{
	touch_file(ready);
	for (int i = 0; i < 60000 && access(go, F_OK); i++)
		usleep(10000);
	if (access(go, F_OK)) {
		say("{\"error\":\"%s never came\"}\n", go);
		_exit(2);
	}
}

/*
 * Run @fn in a child and return its exit status: for steps that lower
 * limits or drop capabilities the rest of the scenario still needs.
 */
static inline int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

#endif /* MLA_SCENARIO_H */
