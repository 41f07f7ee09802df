/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tap.h: what the TAP programs in this directory share -- the failure
 * report and its EXPECT family, fd and text helpers, and sw_sync's ioctls
 * (not uAPI: drivers/dma-buf/sync_debug.h has the kernel's copy).
 *
 * Each program is one translation unit: the state here is its own.  A
 * case sets case_failed through report(), or case_skip to a reason;
 * run_cases() prints "ok"/"not ok"/"# SKIP" per case.
 */
#ifndef DMABUF_TAP_H
#define DMABUF_TAP_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/types.h>

struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};

struct sw_sync_get_deadline {
	__u64 deadline_ns;
	__u32 pad;
	__s32 fence_fd;
};

#define SW_SYNC_IOC_CREATE_FENCE _IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC		 _IOW('W', 1, __u32)
#define SW_SYNC_GET_DEADLINE	 _IOWR('W', 2, struct sw_sync_get_deadline)
#define SW_SYNC_PATH		 "/sys/kernel/debug/sync/sw_sync"

static int case_failed;
static const char *case_skip;	/* set by a case: "ok N - ... # SKIP <reason>" */
static char text[1 << 20];	/* what read_text() read */

static inline bool report(bool ok, const char *fn, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline bool report(bool ok, const char *fn, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	case_failed = 1;
	printf("# %s:%d: ", fn, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return false;
}

/* cond is evaluated before the diagnostic's arguments */
#define EXPECT(cond, ...) ({						\
	bool c_ = (cond);						\
	report(c_, __func__, __LINE__, __VA_ARGS__);			\
})
#define REQUIRE(cond, ...)						\
	do {								\
		if (!EXPECT(cond, __VA_ARGS__))				\
			return;						\
	} while (0)
#define SETUP(cond) REQUIRE(cond, "setup: %s", strerror(errno))
/* expr must fail with errno want, or return 0 when want is 0 */
#define EXPECT_ERR(expr, want) ({					\
	long r_ = (long)(expr);						\
	int e_ = errno;							\
	EXPECT((want) ? r_ == -1 && e_ == (want) : r_ == 0, "%s = %ld (%s), want %s", \
	       #expr, r_, r_ == -1 ? strerror(e_) : "-", (want) ? strerror(want) : "0"); \
})
#define EXPECT_ZERO(expr) EXPECT_ERR(expr, 0)
/* an event mask (poll, epoll) must be want */
#define EV_IS(expr, want, what) ({					\
	int v_ = (expr);						\
	EXPECT(v_ == (want), "%s: %s = %#x, want %#x", what, #expr, v_, want); \
})

#define FDS_SAME(fds) EXPECT(fd_count() == (fds), "fd count %d, was %d", fd_count(), fds)

#define CLOSE(...) close_all((int[]){ __VA_ARGS__ }, sizeof((int[]){ __VA_ARGS__ }) / sizeof(int))
static inline void close_all(const int *fd, size_t n)
{
	while (n--)
		if (fd[n] >= 0)
			close(fd[n]);
}

/* the whole of a (small) file into text[], NUL-terminated; NULL on error */
static inline char *read_text(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, len = 0;

	if (fd < 0)
		return NULL;
	while (len < (ssize_t)sizeof(text) - 1 &&
	       (n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += n;
	close(fd);
	text[len] = 0;
	return text;
}

/* CLOCK_MONOTONIC in milliseconds */
static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* sleeps @ms milliseconds, signals or not */
static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* the kB of /proc/meminfo's line @key ("MemFree", ...), or -1 */
static inline long meminfo_kb(const char *key)
{
	size_t l = strlen(key);
	char *p = read_text("/proc/meminfo");

	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, l) && p[l] == ':')
			return strtol(p + l + 1, NULL, 10);
	return -1;
}

/* open fds of this process, not counting the one that reads the list */
static inline int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return d ? n - 1 : -1;
}

/*
 * fail-nth of the calling thread (CONFIG_FAULT_INJECTION): writing N makes
 * the N-th fault-point check of this thread fail (drivers/dma-buf's
 * dma_buf_fail_alloc()).  failnth_open() once in main(); failnth_w stays
 * -1 on a kernel without it.
 */
static char failnth_path[64];
static int failnth_w = -1;

static inline void failnth_open(void)
{
	snprintf(failnth_path, sizeof(failnth_path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	/*
	 * One descriptor for both directions: reading back through a fresh
	 * open() would walk /proc/self, whose link lookup allocates without
	 * reclaim -- a point failslab counts, which would consume a fault the
	 * call under test left over.
	 */
	failnth_w = open(failnth_path, O_RDWR | O_CLOEXEC);
}

static inline int failnth_set(unsigned int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%u", n);

	return write(failnth_w, b, len) == len ? 0 : -1;
}

static inline long failnth_get(void)
{
	char b[16] = "";
	ssize_t r = failnth_w < 0 ? -1 : pread(failnth_w, b, sizeof(b) - 1, 0);

	return r > 0 ? strtol(b, NULL, 10) : -1;
}

/* ---- the case runner ---------------------------------------------------- */

struct tap_case {
	void (*fn)(void);
	const char *name;
};

/* ---- DRM nodes ---- */

/*
 * DRM_IOCTL_VERSION's argument, declared here rather than from <drm/drm.h>
 * so that programs which spell the DRM uAPI themselves (to check it) can
 * use drm_open() too; the layout is the uAPI's, 64- and 32-bit.
 */
struct tap_drm_version {
	int major, minor, patchlevel;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

#define TAP_DRM_IOCTL_VERSION	_IOWR('d', 0x00, struct tap_drm_version)

/*
 * The first DRM node whose driver is @want, primary nodes before render
 * nodes (dumb buffers need a primary one), opened O_RDWR | O_CLOEXEC; its
 * path goes to @path unless that is NULL.  Returns the fd, or -1.
 */
static inline int drm_open(const char *want, char *path, size_t len)
{
	struct tap_drm_version v;
	char name[32], p[32];
	int i, fd;

	for (i = 0; i < 32; i++) {
		snprintf(p, sizeof(p), i < 16 ? "/dev/dri/card%d" : "/dev/dri/renderD%d",
			 i < 16 ? i : 112 + i);
		fd = open(p, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (!ioctl(fd, TAP_DRM_IOCTL_VERSION, &v) && !strcmp(name, want)) {
			if (path)
				snprintf(path, len, "%s", p);
			return fd;
		}
		close(fd);
	}
	return -1;
}

/* what the alarm prints: the case that hung, as a TAP failure */
static char tap_timeout_line[200];

static void tap_on_alarm(int sig)
{
	(void)sig;
	if (write(1, tap_timeout_line, strlen(tap_timeout_line)) < 0)
		_exit(3);
	_exit(2);
}

/*
 * Runs the @n cases in order, each under a 120 s alarm (a hung case ends
 * the program with its own "not ok" line, not the harness's timeout), and
 * returns the exit status: 0 when none failed.  main() has printed the plan.
 */
static inline int run_cases(const struct tap_case *cases, unsigned int n)
{
	unsigned int i, failed = 0;

	signal(SIGALRM, tap_on_alarm);
	for (i = 0; i < n; i++) {
		case_failed = 0;
		case_skip = NULL;
		snprintf(tap_timeout_line, sizeof(tap_timeout_line),
			 "# timed out after 120 s\nnot ok %u - %s\n", i + 1, cases[i].name);
		alarm(120);
		cases[i].fn();
		alarm(0);
		if (case_skip && !case_failed)
			printf("ok %u - %s # SKIP %s\n", i + 1, cases[i].name, case_skip);
		else
			printf("%sok %u - %s\n", case_failed ? "not " : "", i + 1, cases[i].name);
		failed += case_failed;
	}
	if (failed)
		printf("# %u of %u cases failed\n", failed, n);
	return !!failed;
}

#endif /* DMABUF_TAP_H */
