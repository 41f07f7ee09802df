// SPDX-License-Identifier: GPL-2.0-only
/*
 * sync-uapi: TAP-13 test of the sync_file uAPI (include/uapi/linux/sync_file.h)
 * and of sw_sync, its debugfs fence driver, with the semantics of Linux 6.12.
 *
 * Fences come from sw_sync timelines (debugfs sync/sw_sync: one timeline per
 * open, named after the opener's comm, closing it fails what is left with
 * -ENOENT).  Everything is observed from userspace: return values and errno,
 * what SYNC_IOC_FILE_INFO reports per fence, the deadlines SW_SYNC_GET_DEADLINE
 * reads back, poll()/select()/epoll readiness, blocked pollers in threads and
 * forked children, debugfs sync/info, /proc/self/fd and /proc/slabinfo for
 * leaks.  Where 6.12's errno or answer is not the obvious guess a comment
 * says where it comes from.
 *
 * Two groups only pass on our sync_file/sw_sync and skip on upstream's: the
 * fail-nth walks (every allocation of our ioctls asks dma_buf_fail_alloc(),
 * see dma-buf-fault.h) and the sync_file fdinfo lines; each detects whether
 * the kernel has the feature and says "# SKIP" if not.
 *
 * Without arguments it prints TAP and exits 0 iff every case passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>

#include "tap.h"

/* one layout for 64-bit and i386 tasks: the ioctls are compat_ptr_ioctl */
_Static_assert(sizeof(struct sync_merge_data) == 48, "sync_merge_data");
_Static_assert(sizeof(struct sync_fence_info) == 80, "sync_fence_info");
_Static_assert(sizeof(struct sync_file_info) == 56, "sync_file_info");
_Static_assert(sizeof(struct sync_set_deadline) == 16, "sync_set_deadline");
_Static_assert(sizeof(struct sw_sync_create_fence_data) == 40, "create_fence_data");
_Static_assert(sizeof(struct sw_sync_get_deadline) == 16, "get_deadline");

#define SYNC_INFO_PATH	"/sys/kernel/debug/sync/info"
#define FI_SIZE		sizeof(struct sync_fence_info)
#define MAXF		64	/* fences per sync_file we ever look at */

static long pgsz;
static char *bad_ptr;		/* an unmapped page, right after a mapped one */
static char *ro_page;		/* a read-only page (ro_put() writes it) */
static char comm[16];		/* our task name: every timeline's default name */
static bool have_fdinfo;	/* sync_file fdinfo has our "sync_file:" lines */
static unsigned int uniq;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* a copy of len bytes of src at ro_page + off, which stays read-only */
static void *ro_put(const void *src, size_t len, size_t off)
{
	mprotect(ro_page, pgsz, PROT_READ | PROT_WRITE);
	memcpy(ro_page + off, src, len);
	mprotect(ro_page, pgsz, PROT_READ);
	return ro_page + off;
}

static unsigned int rnd_state;

static unsigned int rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* ---- timelines, fences, sync_files -------------------------------------- */

static int tl_new(void)
{
	return open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
}

/* a timeline called name: sw_sync names it after the opener's comm */
static int tl_named(const char *name)
{
	int fd;

	prctl(PR_SET_NAME, name);
	fd = tl_new();
	prctl(PR_SET_NAME, comm);
	return fd;
}

/* a timeline name no other timeline has (at most 15 characters) */
static const char *uniq_name(char *buf, const char *tag)
{
	snprintf(buf, 16, "%.8s-%u", tag, ++uniq);
	return buf;
}

static int fence_new(int tl, __u32 value)
{
	struct sw_sync_create_fence_data d = { .value = value, .name = "uapi", .fence = -1 };

	return tl < 0 || ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d) ? -1 : d.fence;
}

static int tl_inc(int tl, __u32 n)
{
	return ioctl(tl, SW_SYNC_IOC_INC, &n);
}

static int merge(int a, int b, const char *name)
{
	struct sync_merge_data d = { .fd2 = b, .fence = -1 };

	snprintf(d.name, sizeof(d.name), "%s", name);
	return a < 0 || b < 0 || ioctl(a, SYNC_IOC_MERGE, &d) ? -1 : d.fence;
}

/* merge b into *acc, closing both inputs: false on error */
static bool merge_into(int *acc, int b, const char *name)
{
	int m = *acc < 0 ? b : merge(*acc, b, name);

	if (*acc >= 0)
		CLOSE(*acc, b);
	*acc = m;
	return m >= 0;
}

/* a merge of new fences at va on ta and vb on tb (closed after): its fd */
static int merge_new(int ta, __u32 va, int tb, __u32 vb, const char *name)
{
	int fa = fence_new(ta, va), fb = fence_new(tb, vb), m = merge(fa, fb, name);

	CLOSE(fa, fb);
	return m;
}

/* merge a new fence at v on tl into *acc */
static bool merge_new_into(int *acc, int tl, __u32 v, const char *name)
{
	int f = fence_new(tl, v);

	return f >= 0 && merge_into(acc, f, name);
}

/* SYNC_IOC_FILE_INFO into *info, nfi entries at fi: the count or -1 */
static int sf_info(int sf, struct sync_file_info *info, struct sync_fence_info *fi, __u32 nfi)
{
	memset(info, 0, sizeof(*info));
	info->num_fences = nfi;
	info->sync_fence_info = (uintptr_t)fi;
	info->status = -99;
	return ioctl(sf, SYNC_IOC_FILE_INFO, info) ? -1 : (int)info->num_fences;
}

/* the file-level status, num_fences = 0 (-99 on error) */
static int sf_status(int sf)
{
	struct sync_file_info info;

	return sf_info(sf, &info, NULL, 0) < 0 ? -99 : info.status;
}

static int sf_count(int sf)
{
	struct sync_file_info info;

	return sf_info(sf, &info, NULL, 0);
}

/* the per-fence info (at most MAXF) with the two-call protocol: the count */
static int sf_fences(int sf, struct sync_fence_info *fi, int *status)
{
	struct sync_file_info info;
	int n = sf_info(sf, &info, NULL, 0);

	if (n <= 0 || n > MAXF)
		return -1;
	memset(fi, 0, n * FI_SIZE);
	n = sf_info(sf, &info, fi, n);
	if (status)
		*status = info.status;
	return n;
}

static int fence_status(int sf, int i)
{
	struct sync_fence_info fi[MAXF];
	int n = sf_fences(sf, fi, NULL);

	return i < n ? fi[i].status : -99;
}

static unsigned long long fence_ts(int sf, int i)
{
	struct sync_fence_info fi[MAXF];
	int n = sf_fences(sf, fi, NULL);

	return i < n ? fi[i].timestamp_ns : 0;
}

static bool sf_name(int sf, char *name)
{
	struct sync_file_info info;

	if (sf_info(sf, &info, NULL, 0) < 0)
		return false;
	memcpy(name, info.name, 32);
	name[31] = 0;
	return true;
}

#define SF_IS(sf, n, st, what) ({					\
	struct sync_file_info i_;					\
	int n_ = sf_info(sf, &i_, NULL, 0);				\
	EXPECT(n_ == (n) && i_.status == (st), "%s: %d fences, status %d; want %d, %d", \
	       what, n_, i_.status, n, st);				\
})

static int set_deadline(int sf, __u64 ns)
{
	struct sync_set_deadline d = { .deadline_ns = ns };

	return ioctl(sf, SYNC_IOC_SET_DEADLINE, &d);
}

/* SW_SYNC_GET_DEADLINE through timeline fd tl: 0 or -1 (errno) */
static int get_deadline(int tl, int sf, __u64 *ns)
{
	struct sw_sync_get_deadline d = { .fence_fd = sf };
	int r = ioctl(tl, SW_SYNC_GET_DEADLINE, &d);

	if (!r && ns)
		*ns = d.deadline_ns;
	return r;
}

static int poll_ev(int fd, short events, int timeout)
{
	struct pollfd p = { .fd = fd, .events = events };
	int ret = poll(&p, 1, timeout);

	return ret <= 0 ? ret : p.revents;
}

/* the "sw_sync-<comm><context>-<seqno>" name 6.12 gives an unnamed sync_file */
static bool sw_name_ctx(const char *name, const char *tl_name, unsigned long long *ctx,
			unsigned long long *seqno)
{
	size_t l = strlen(tl_name);
	char *end;

	if (strncmp(name, "sw_sync-", 8) || strncmp(name + 8, tl_name, l) ||
	    name[8 + l] < '0' || name[8 + l] > '9')
		return false;
	*ctx = strtoull(name + 8 + l, &end, 10);
	if (*end != '-')
		return false;
	*seqno = strtoull(end + 1, &end, 10);
	return !*end;
}

/* ---- procfs, debugfs ------------------------------------------------------ */

/* a timeline's block of sync/info: "<name>: <value>", then "  fence ..." */
struct tlinfo {
	int value, n;
	char fence[8][96];
};

static bool syncinfo_find(const char *name, struct tlinfo *ti)
{
	size_t len = strlen(name);
	bool objs = false, in = false, found = false;
	char *l, *save;

	memset(ti, 0, sizeof(*ti));
	if (!read_text(SYNC_INFO_PATH))
		return false;
	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(l, "objs:")) {
			objs = true;
		} else if (!strcmp(l, "fences:") || !objs) {
			break;
		} else if (!strncmp(l, "  fence ", 8)) {
			if (in && ti->n < 8)
				snprintf(ti->fence[ti->n], sizeof(ti->fence[0]), "%s", l);
			ti->n += in;
		} else if (l[0] != '-') {
			if (found)
				break;
			in = !strncmp(l, name, len) && !strncmp(l + len, ": ", 2);
			if (in) {
				found = true;
				ti->value = atoi(l + len + 2);
			}
		}
	}
	return found;
}

/* timelines and fence lines in sync/info, lines under "fences:" */
static bool syncinfo_counts(int *ntl, int *nfence, int *nfiles)
{
	int section = 0;
	char *l, *save;

	*ntl = *nfence = *nfiles = 0;
	if (!read_text(SYNC_INFO_PATH))
		return false;
	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(l, "objs:"))
			section = 1;
		else if (!strcmp(l, "fences:"))
			section = 2;
		else if (!strcmp(l, "--------------"))
			continue;
		else if (section == 1 && !strncmp(l, "  fence ", 8))
			(*nfence)++;
		else if (section == 1)
			(*ntl)++;
		else if (section == 2)
			(*nfiles)++;
	}
	return section == 2;
}

/* the timeline's block must be listed with this value and fence lines */
static void syncinfo_is(const char *name, int value, int n, const char *const *lines, int line)
{
	struct tlinfo ti;
	bool same = false;
	int i, tries;

	/* points are dropped when their last sync_file goes: allow a moment */
	for (tries = 0; tries < 50; tries++) {
		same = syncinfo_find(name, &ti) && ti.value == value && ti.n == n;
		for (i = 0; same && i < n; i++)
			same = !strcmp(ti.fence[i], lines[i]);
		if (same)
			break;
		sleep_ms(20);
	}
	if (report(same, __func__, line, "sync/info \"%s\": value %d, %d fences; want %d, %d",
		   name, ti.value, ti.n, value, n))
		return;
	for (i = 0; i < ti.n && i < 8; i++)
		printf("#   have [%s]\n", ti.fence[i]);
	for (i = 0; i < n; i++)
		printf("#   want [%s]\n", lines[i]);
}
#define SYNCINFO_IS(name, value, ...)					\
	syncinfo_is(name, value, sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *) - 1, \
		    (const char *[]){ __VA_ARGS__ }, __LINE__)

static bool syncinfo_gone(const char *name)
{
	struct tlinfo ti;
	int i;

	for (i = 0; i < 100 && syncinfo_find(name, &ti); i++)
		sleep_ms(20);
	return i < 100;
}

/* ---- fdinfo of a sync_file (ours) ----------------------------------------- */

struct fdi_fence {
	unsigned long long ctx, seqno;
	int status;			/* 0 active, 1 signaled, < 0 error */
	long long pending_ms, ts;	/* -1: not shown */
	char driver[32], timeline[48];
};

struct fdi {
	char name[48];
	int status, n;
	struct fdi_fence f[MAXF];
};

/* "active", "signaled" or "error -E" at *p: the status; *p moves past it */
static bool parse_status(char **p, int *st)
{
	char *end;
	long v;

	if (!strncmp(*p, "active", 6)) {
		*st = 0;
		*p += 6;
	} else if (!strncmp(*p, "signaled", 8)) {
		*st = 1;
		*p += 8;
	} else if (!strncmp(*p, "error -", 7)) {
		v = strtol(*p + 6, &end, 10);
		if (end == *p + 7 || v >= 0 || v < -4095)
			return false;
		*st = (int)v;
		*p = end;
	} else {
		return false;
	}
	return true;
}

/* a number after key at *p; *p moves past it */
static bool parse_num(char **p, const char *key, long long *v)
{
	size_t l = strlen(key);
	char *end;

	if (strncmp(*p, key, l) || (*p)[l] < '0' || (*p)[l] > '9')
		return false;
	*v = strtoll(*p + l, &end, 10);
	*p = end;
	return true;
}

static bool parse_fence_line(char *p, struct fdi_fence *f)
{
	long long v;
	char *t;

	f->pending_ms = f->ts = -1;
	if (strncmp(p, "fence:\t", 7))
		return false;
	p += 7;
	if (!parse_num(&p, "context=", &v))
		return false;
	f->ctx = v;
	if (!parse_num(&p, " seqno=", &v))
		return false;
	f->seqno = v;
	if (strncmp(p, " status=", 8))
		return false;
	p += 8;
	if (!parse_status(&p, &f->status))
		return false;
	if (!strncmp(p, " pending_ms=", 12) && !parse_num(&p, " pending_ms=", &f->pending_ms))
		return false;
	if (!strncmp(p, " timestamp_ns=", 14) && !parse_num(&p, " timestamp_ns=", &f->ts))
		return false;
	if (strncmp(p, " driver=", 8))
		return false;
	p += 8;
	t = strstr(p, " timeline=");
	if (!t || t == p || (size_t)(t - p) >= sizeof(f->driver) || memchr(p, ' ', t - p))
		return false;
	memcpy(f->driver, p, t - p);
	f->driver[t - p] = 0;
	snprintf(f->timeline, sizeof(f->timeline), "%s", t + 10);
	/* pending_ms on active fences only, timestamp_ns on the others */
	return (f->status == 0) == (f->pending_ms >= 0) && (f->status != 0) == (f->ts >= 0);
}

/*
 * Our fdinfo: the generic pos/flags/mnt_id/ino lines, then "sync_file:",
 * "status:", "fences:" and one "fence:" line per fence, each with a tab after
 * the colon.  1: parsed into *fi; 0: no "sync_file:" line; -1: malformed.
 */
static int fdinfo_parse_text(char *s, struct fdi *fi, char *why, size_t wlen)
{
	static const char *const generic[4] = { "pos:\t", "flags:\t", "mnt_id:\t", "ino:\t" };
	char *lines[MAXF + 16], *nl, *p;
	long long v;
	int n = 0, i;

	memset(fi, 0, sizeof(*fi));
	if (!strstr(s, "\nsync_file:"))
		return 0;
	while (*s && n < (int)(sizeof(lines) / sizeof(lines[0]))) {
		nl = strchr(s, '\n');
		if (!nl) {
			snprintf(why, wlen, "last line not terminated: [%.100s]", s);
			return -1;
		}
		*nl = 0;
		lines[n++] = s;
		s = nl + 1;
	}
	for (i = 0; i < 4; i++) {
		if (i >= n || strncmp(lines[i], generic[i], strlen(generic[i]))) {
			snprintf(why, wlen, "line %d [%.100s], want %s...", i, i < n ? lines[i] : "",
				 generic[i]);
			return -1;
		}
	}
	if (n < 7 || strncmp(lines[4], "sync_file:\t", 11) || strncmp(lines[5], "status:\t", 8) ||
	    strncmp(lines[6], "fences:\t", 8)) {
		snprintf(why, wlen, "want sync_file:, status:, fences: after ino: (%d lines)", n);
		return -1;
	}
	snprintf(fi->name, sizeof(fi->name), "%s", lines[4] + 11);
	p = lines[5] + 8;
	if (!parse_status(&p, &fi->status) || *p) {
		snprintf(why, wlen, "bad [%.100s]", lines[5]);
		return -1;
	}
	p = lines[6];
	if (!parse_num(&p, "fences:\t", &v) || *p || v < 1 || v > MAXF || n != 7 + v) {
		snprintf(why, wlen, "bad [%.100s] with %d lines", lines[6], n);
		return -1;
	}
	fi->n = (int)v;
	for (i = 0; i < fi->n; i++) {
		if (!parse_fence_line(lines[7 + i], &fi->f[i])) {
			snprintf(why, wlen, "bad fence line [%.180s]", lines[7 + i]);
			return -1;
		}
	}
	return 1;
}

static int fdinfo_parse(int fd, struct fdi *fi, char *why, size_t wlen)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (!read_text(path)) {
		snprintf(why, wlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return fdinfo_parse_text(text, fi, why, wlen);
}

#define FDINFO(fd, fi) ({						\
	char w_[256] = "";						\
	int r_ = fdinfo_parse(fd, fi, w_, sizeof(w_));			\
	EXPECT(r_ == 1, "fdinfo of fd %d: %s", fd, r_ ? w_ : "no sync_file: line"); \
	r_ == 1;							\
})

/* ---- fail-nth ----------------------------------------------------------- */


/*
 * Walk N = 1, 2, ...: fail-nth = N makes the N-th fault-point check of this
 * thread fail; call() must then fail with ENOMEM and leave no fd (and what
 * failed() checks) behind, until a call succeeds.  fail-nth counts down at
 * each check and reads 0 once the failure fired; a call that consults fewer
 * than N points leaves N minus their number.  1: the N = 1 call succeeded,
 * so the kernel has no fault point there (upstream: fail-nth still reads 1);
 * 2: no fail-nth file (no CONFIG_FAULT_INJECTION), nothing called.
 */
static int failnth_walk(int (*call)(void *), void (*failed)(void *), void *arg)
{
	int n, r = -1, e, fds, nfail = 0;
	long left = -1;

	if (failnth_w < 0) {
		case_skip = "no fail-nth";
		return 2;
	}
	for (n = 1; n <= 200; n++) {
		fds = fd_count();
		if (!EXPECT(!failnth_set(n), "write fail-nth: %s", strerror(errno)))
			return -1;
		r = call(arg);
		e = errno;
		left = failnth_get();
		failnth_set(0);
		if (!r)
			break;
		nfail++;
		EXPECT(e == ENOMEM, "N=%d: %s, want ENOMEM", n, strerror(e));
		EXPECT(left == 0, "N=%d: fail-nth reads %ld after the failure, want 0", n, left);
		EXPECT(fd_count() == fds, "N=%d: fd count %d, was %d", n, fd_count(), fds);
		if (failed)
			failed(arg);
	}
	if (!r && n == 1) {
		printf("# N=1 succeeded, fail-nth then reads %ld\n", left);
		return 1;
	}
	EXPECT(!r, "still failing at N=%d", n - 1);
	printf("# %d failed call(s) (fail-nth 0 after each), success at N=%d, fail-nth %ld after it\n",
	       nfail, n, left);
	return 0;
}

/* ---- cases: SYNC_IOC_MERGE ------------------------------------------------ */

static void t_merge_basic(void)
{
	int ta = tl_new(), tb = tl_new(), fa = fence_new(ta, 1), fb = fence_new(tb, 2);
	struct sync_merge_data d = { .name = "basic", .fence = -1, .fd2 = fb };
	char name[32];
	int m2, m3;

	SETUP(fa >= 0 && fb >= 0);
	REQUIRE(!ioctl(fa, SYNC_IOC_MERGE, &d), "merge: %s", strerror(errno));
	/* the whole struct is written back: the new fd, the rest as given */
	EXPECT(d.fence >= 0 && d.fence != fa && d.fence != fb && d.fd2 == fb && !d.flags &&
	       !d.pad && !strcmp(d.name, "basic"), "written back: fence %d fd2 %d name %s",
	       d.fence, d.fd2, d.name);
	/* get_unused_fd_flags(O_CLOEXEC), as for CREATE_FENCE's fds */
	EXPECT(fcntl(d.fence, F_GETFD) == FD_CLOEXEC, "merged fd flags %d", fcntl(d.fence, F_GETFD));
	EXPECT(fcntl(fa, F_GETFD) == FD_CLOEXEC, "CREATE_FENCE fd flags %d", fcntl(fa, F_GETFD));
	SF_IS(d.fence, 2, 0, "merged");
	EXPECT(sf_name(d.fence, name) && !strcmp(name, "basic"), "name \"%s\"", name);
	/* the inputs are untouched */
	SF_IS(fa, 1, 0, "input a");
	SF_IS(fb, 1, 0, "input b");
	m2 = merge(fb, fa, "other order");
	SF_IS(m2, 2, 0, "b + a");
	/* a merged file merged with one of its fences: still two */
	m3 = merge(d.fence, fa, "again");
	SF_IS(m3, 2, 0, "merged + a");
	EXPECT_ZERO(tl_inc(ta, 1));
	SF_IS(d.fence, 2, 0, "a signalled");
	EXPECT_ZERO(tl_inc(tb, 2));
	SF_IS(d.fence, 2, 1, "both signalled");
	SF_IS(m3, 2, 1, "merged + a, both signalled");
	CLOSE(m3, m2, d.fence, fa, fb, ta, tb);
}

static void t_merge_einval(void)
{
	static const struct { __u32 flags, pad; } bad[] = {
		{ 1, 0 }, { 0x80000000u, 0 }, { 0, 1 }, { 0, 0x80000000u }, { ~0u, ~0u },
	};
	int tl = tl_new(), fa = fence_new(tl, 1), fb = fence_new(tl, 2), fds = fd_count();
	struct sync_merge_data d;
	size_t i;

	SETUP(fa >= 0 && fb >= 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&d, 0, sizeof(d));
		strcpy(d.name, "einval");
		d.fd2 = fb;
		d.fence = 12345;
		d.flags = bad[i].flags;
		d.pad = bad[i].pad;
		EXPECT_ERR(ioctl(fa, SYNC_IOC_MERGE, &d), EINVAL);
		EXPECT(d.fence == 12345, "flags %#x pad %#x: fence written (%d)", d.flags, d.pad,
		       d.fence);
		/* flags and pad are checked before fd2 is looked at */
		d.fd2 = -1;
		EXPECT_ERR(ioctl(fa, SYNC_IOC_MERGE, &d), EINVAL);
	}
	FDS_SAME(fds);
	CLOSE(fa, fb, tl);
}

static void t_merge_enoent(void)
{
	int tl = tl_new(), fa = fence_new(tl, 1), p[2] = { -1, -1 }, null, closed, fds, i;
	int others[6];
	struct sync_merge_data d = { .name = "enoent" };

	SETUP(fa >= 0 && !pipe2(p, O_CLOEXEC));
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	closed = fence_new(tl, 2);
	SETUP(null >= 0 && closed >= 0);
	close(closed);
	fds = fd_count();
	/* sync_file_fdget() finds no sync_file: ENOENT, not EBADF or EINVAL */
	others[0] = p[0];
	others[1] = null;
	others[2] = tl;		/* the timeline is no sync_file either */
	others[3] = closed;
	others[4] = -1;
	others[5] = 0x7fffffff;
	for (i = 0; i < 6; i++) {
		d.fd2 = others[i];
		d.fence = -7;
		EXPECT(ioctl(fa, SYNC_IOC_MERGE, &d) == -1 && errno == ENOENT && d.fence == -7,
		       "fd2 %d: %s, fence %d", others[i], strerror(errno), d.fence);
	}
	/* and MERGE on what is not a sync_file is not its ioctl */
	d.fd2 = fa;
	EXPECT_ERR(ioctl(p[0], SYNC_IOC_MERGE, &d), ENOTTY);
	EXPECT_ERR(ioctl(tl, SYNC_IOC_MERGE, &d), ENOTTY);
	FDS_SAME(fds);
	SF_IS(fa, 1, 0, "the first fence");
	CLOSE(p[0], p[1], null, fa, tl);
}

static void t_merge_efault(void)
{
	int tl = tl_new(), tb = tl_new(), fa = fence_new(tl, 1), fb = fence_new(tb, 2), fds;
	struct sync_merge_data d = { .name = "efault", .fence = -1 }, *ro;

	SETUP(fa >= 0 && fb >= 0);
	fds = fd_count();
	d.fd2 = fb;
	EXPECT_ERR(ioctl(fa, SYNC_IOC_MERGE, NULL), EFAULT);
	EXPECT_ERR(ioctl(fa, SYNC_IOC_MERGE, bad_ptr), EFAULT);
	memcpy(bad_ptr - sizeof(d) + 4, &d, sizeof(d) - 4);
	EXPECT_ERR(ioctl(fa, SYNC_IOC_MERGE, bad_ptr - sizeof(d) + 4), EFAULT);
	/*
	 * Readable but not writable: the merge is done, then copy_to_user()
	 * fails and the new file and its reserved fd are given back.
	 */
	ro = ro_put(&d, sizeof(d), 512);
	EXPECT_ERR(ioctl(fa, SYNC_IOC_MERGE, ro), EFAULT);
	EXPECT(ro->fence == -1, "the read-only struct changed");
	FDS_SAME(fds);
	SF_IS(fa, 1, 0, "a after the faults");
	CLOSE(fa, fb, tl, tb);
}

static void t_merge_name(void)
{
	const char *n31 = "0123456789abcdefghijklmnopqrstu";
	int ta = tl_new(), tb = tl_new(), fa = fence_new(ta, 3), fb = fence_new(tb, 4);
	int ts = tl_new(), sa = fence_new(ts, 1), sb = fence_new(ts, 2), m, m1, m2;
	struct sync_merge_data d = { .fence = -1 };
	unsigned long long ctx, seq;
	char name[32], want[32];

	SETUP(fa >= 0 && fb >= 0 && sa >= 0 && sb >= 0 && !tl_inc(ts, 2));
	/* 32 bytes without a NUL: the last is dropped */
	memcpy(d.name, "0123456789abcdefghijklmnopqrstuv", 32);
	d.fd2 = fb;
	REQUIRE(!ioctl(fa, SYNC_IOC_MERGE, &d), "merge: %s", strerror(errno));
	EXPECT(sf_name(d.fence, name) && !strcmp(name, n31), "32-byte name kept as \"%s\"", name);
	close(d.fence);
	/* what follows the NUL is ignored */
	memcpy(d.name, "ab\0cdefgh", 10);
	REQUIRE(!ioctl(fa, SYNC_IOC_MERGE, &d), "merge: %s", strerror(errno));
	EXPECT(sf_name(d.fence, name) && !strcmp(name, "ab"), "name \"%s\"", name);
	close(d.fence);
	/*
	 * An empty name: sync_file_get_name() makes one from the fence,
	 * "<driver>-<timeline><context>-<seqno>", for an array, for the one
	 * fence a merge collapsed to, and for the stub of all-signalled input.
	 */
	m = merge(fa, fb, "");
	EXPECT(sf_name(m, name) && !strncmp(name, "dma_fence_array-unbound", 23) &&
	       sscanf(name + 23, "%llu-%llu", &ctx, &seq) == 2 && seq == 1,
	       "array: \"%s\"", name);
	m1 = merge(fa, fa, "");
	EXPECT(sf_name(fa, want) && sf_name(m1, name) && !strcmp(name, want) &&
	       sw_name_ctx(name, comm, &ctx, &seq) && seq == 3, "single fence: \"%s\", want \"%s\"",
	       name, want);
	m2 = merge(sa, sb, "");
	EXPECT(sf_name(m2, name) && !strcmp(name, "stub-stub0-0"), "stub: \"%s\"", name);
	CLOSE(m, m1, m2, fa, fb, sa, sb, ta, tb, ts);
}

/*
 * MERGE copies the whole struct back after "data.name[sizeof(data.name) -
 * 1] = '\0'" (sync_file_ioctl_merge()): the caller sees that NUL too.
 */
static void t_merge_writeback(void)
{
	int ta = tl_new(), tb = tl_new(), fa = fence_new(ta, 1), fb = fence_new(tb, 1);
	struct sync_merge_data d = { .fence = -1 };

	SETUP(fa >= 0 && fb >= 0);
	memcpy(d.name, "0123456789abcdefghijklmnopqrstuv", 32);
	d.fd2 = fb;
	REQUIRE(!ioctl(fa, SYNC_IOC_MERGE, &d), "merge: %s", strerror(errno));
	EXPECT(!memcmp(d.name, "0123456789abcdefghijklmnopqrstu", 32) && d.fd2 == fb &&
	       !d.flags && !d.pad && d.fence >= 0, "written back: name \"%.32s\", fd2 %d",
	       d.name, d.fd2);
	CLOSE(d.fence, fa, fb, ta, tb);
}

/* what a merge collapses to: the fence itself, the latest per timeline */
static void t_merge_self(void)
{
	int ta = tl_new(), tb = tl_new(), fa = fence_new(ta, 1), fa5 = fence_new(ta, 5);
	int fb = fence_new(tb, 1), tc = tl_new(), fc = fence_new(tc, 1), m, m5, mab, mm;
	unsigned long long ca, cb, s;
	__u64 dl = 0;
	char na[32], nb[32];

	SETUP(fa >= 0 && fa5 >= 0 && fb >= 0 && fc >= 0);
	/* a file merged with itself holds its one fence: the same sync_pt */
	m = merge(fa, fa, "self");
	SF_IS(m, 1, 0, "a + a");
	EXPECT_ZERO(set_deadline(m, 123456789));
	EXPECT(!get_deadline(ta, fa, &dl) && dl == 123456789, "deadline via the input: %s %llu",
	       strerror(errno), (unsigned long long)dl);
	/* two points of one timeline: only the later one is kept */
	m5 = merge(fa, fa5, "1+5");
	SF_IS(m5, 1, 0, "1 + 5");
	EXPECT_ZERO(tl_inc(ta, 1));
	SF_IS(m5, 1, 0, "1 + 5 with 1 signalled");
	EXPECT_ZERO(tl_inc(ta, 4));
	SF_IS(m5, 1, 1, "1 + 5 with 5 signalled");
	/* one timeline per open: same seqno, different contexts, two fences */
	mab = merge(fb, fc, "ab");
	SF_IS(mab, 2, 0, "two opens");
	EXPECT(sf_name(fa5, na) && sf_name(fb, nb) && sw_name_ctx(na, comm, &ca, &s) &&
	       sw_name_ctx(nb, comm, &cb, &s) && cb > ca, "contexts of \"%s\" and \"%s\"", na, nb);
	/* an array merged with itself: the same fences again */
	mm = merge(mab, mab, "ab+ab");
	SF_IS(mm, 2, 0, "array + itself");
	CLOSE(m, m5, mab, mm, fa, fa5, fb, fc, ta, tb, tc);
}

/*
 * dma_fence_unwrap_merge() drops the fences that have signalled (with or
 * without an error), at merge time; with nothing left it returns a private
 * stub fence stamped with the latest of their timestamps.
 */
static void t_merge_signalled(void)
{
	int ta = tl_new(), tb = tl_new(), tc = tl_new(), te = tl_new();
	int sa, sb, pb, pc, pe, b7, mcb, m, m2, m3, m4, m5;
	struct sync_fence_info fi[MAXF];
	unsigned long long ta_ns, tb_ns;
	int st;

	SETUP(ta >= 0 && tb >= 0 && tc >= 0 && te >= 0 && !tl_inc(ta, 1));
	sa = fence_new(ta, 1);		/* born signalled */
	sleep_ms(2);
	pb = fence_new(tb, 1);
	sb = fence_new(tb, 1);		/* the same point as pb */
	pc = fence_new(tc, 1);
	pe = fence_new(te, 1);
	SETUP(sa >= 0 && pb >= 0 && sb >= 0 && pc >= 0 && pe >= 0);
	m = merge(sa, pc, "s+p");
	EXPECT(sf_fences(m, fi, &st) == 1 && !strcmp(fi[0].driver_name, "sw_sync") &&
	       !fi[0].status && !st, "signalled + pending: %d fences, %s/%d",
	       sf_count(m), fi[0].driver_name, fi[0].status);
	EXPECT_ZERO(tl_inc(tb, 1));
	ta_ns = fence_ts(sa, 0);
	tb_ns = fence_ts(sb, 0);
	m2 = merge(sa, sb, "s+s");
	EXPECT(sf_fences(m2, fi, &st) == 1 && !strcmp(fi[0].driver_name, "stub") &&
	       !strcmp(fi[0].obj_name, "stub") && fi[0].status == 1 && st == 1,
	       "all signalled: %d fences, %s/%s/%d", sf_count(m2), fi[0].driver_name,
	       fi[0].obj_name, fi[0].status);
	EXPECT(tb_ns > ta_ns && fi[0].timestamp_ns == tb_ns,
	       "stub timestamp %llu, inputs %llu and %llu", (unsigned long long)fi[0].timestamp_ns,
	       ta_ns, tb_ns);
	SF_IS(m2, 1, 1, "the stub, num_fences 0");
	EV_IS(poll_ev(m2, POLLIN, 0), POLLIN, "the stub");
	/* an errored fence counts as signalled: dropped; only errors: a stub, status 1 */
	close(te);
	SF_IS(pe, 1, -ENOENT, "closed timeline's fence");
	m3 = merge(pe, pc, "e+p");
	EXPECT(sf_fences(m3, fi, &st) == 1 && fi[0].status == 0 && st == 0,
	       "error + pending: %d fences, status %d", sf_count(m3), fi[0].status);
	m4 = merge(pe, pe, "e+e");
	EXPECT(sf_fences(m4, fi, &st) == 1 && !strcmp(fi[0].driver_name, "stub") &&
	       fi[0].status == 1 && st == 1, "only errors: %s/%d, file %d", fi[0].driver_name,
	       fi[0].status, st);
	/* a component that signalled after its merge is dropped by the next */
	b7 = fence_new(tb, 7);
	mcb = merge(pc, b7, "c+b7");
	SF_IS(mcb, 2, 0, "c + b7");
	EXPECT_ZERO(tl_inc(tc, 1));
	m5 = merge(mcb, mcb, "again");
	EXPECT(sf_fences(m5, fi, &st) == 1 && fi[0].status == 0, "after c signalled: %d fences",
	       sf_count(m5));
	CLOSE(m, m2, m3, m4, m5, mcb, b7, sa, sb, pb, pc, pe, ta, tb, tc);
}

/*
 * One merge configuration: nf fences on ntl timelines (timeline i already
 * at 10 * (i % 4), so some fences are born signalled), seqnos 1..40 with
 * duplicates, merged one by one or as a binary tree.  The result has one
 * fence per timeline with pending fences, the latest, in context (= open)
 * order; signalling each timeline up to just before its latest point must
 * leave that entry pending.
 */
static void merge_cfg(int nf, int ntl, bool tree)
{
	int tl[64], adv[64], maxp[64], rank[64], stack[16], lvl[16], sp = 0, acc = -1;
	int i, j, k, t, np = 0, n, st, fds = fd_count(), bad = 0;
	struct sync_fence_info fi[MAXF];
	__u32 v;

	for (i = 0; i < ntl; i++) {
		tl[i] = tl_new();
		adv[i] = (i % 4) * 10;
		maxp[i] = 0;
		SETUP(tl[i] >= 0 && !tl_inc(tl[i], adv[i]));
	}
	for (j = 0; j < nf; j++) {
		t = nf == ntl ? j : (int)(rnd() % ntl);
		v = 1 + rnd() % 40;
		k = fence_new(tl[t], v);
		REQUIRE(k >= 0, "fence %d: %s", j, strerror(errno));
		if ((int)v > adv[t] && (int)v > maxp[t])
			maxp[t] = v;
		if (!tree) {
			REQUIRE(merge_into(&acc, k, "many"), "merge %d: %s", j, strerror(errno));
			if (j % 97 == 96)
				REQUIRE(merge_into(&acc, dup(acc), "many"), "self merge");
			continue;
		}
		stack[sp] = k;
		lvl[sp++] = 0;
		while (sp >= 2 && lvl[sp - 1] == lvl[sp - 2]) {
			REQUIRE(merge_into(&stack[sp - 2], stack[sp - 1], "many"), "tree merge: %s",
				strerror(errno));
			lvl[sp - 2]++;
			sp--;
		}
	}
	for (; tree && sp >= 2; sp--)
		REQUIRE(merge_into(&stack[sp - 2], stack[sp - 1], "many"), "tree merge");
	if (tree)
		acc = stack[0];
	if (nf == 1)
		REQUIRE(merge_into(&acc, dup(acc), "many"), "self merge");
	for (i = 0; i < ntl; i++)
		rank[i] = maxp[i] ? np++ : -1;
	n = sf_fences(acc, fi, &st);
	if (!np) {
		EXPECT(n == 1 && fi[0].status == 1 && !strcmp(fi[0].driver_name, "stub"),
		       "%d/%d: nothing pending, %d fences", nf, ntl, n);
		close(acc);
		for (i = 0; i < ntl; i++)
			close(tl[i]);
		return;
	}
	EXPECT(n == np && st == 0, "%d fences on %d timelines: %d fences (status %d), want %d",
	       nf, ntl, n, st, np);
	for (i = 0; i < n; i++)
		bad += fi[i].status || strcmp(fi[i].driver_name, "sw_sync") ||
		       strcmp(fi[i].obj_name, comm) || fi[i].timestamp_ns;
	EXPECT(!bad, "%d entries not a pending sw_sync fence", bad);
	/* an array when more than one is left, else the sw_sync point itself */
	k = np > 1 ? EINVAL : ENOENT;
	EXPECT_ERR(get_deadline(tl[0], acc, NULL), k);
	for (i = 0; n == np && i < ntl && !bad; i++) {
		if (!maxp[i])
			continue;
		/* maxp[i] > adv[i]: up to just before the latest point, then it */
		tl_inc(tl[i], maxp[i] - 1 - adv[i]);
		sf_fences(acc, fi, NULL);
		for (k = 0; k < n; k++)
			bad += fi[k].status != (k < rank[i]);
		tl_inc(tl[i], 1);
		sf_fences(acc, fi, NULL);
		for (k = 0; k < n; k++)
			bad += fi[k].status != (k <= rank[i]);
		EXPECT(!bad, "timeline %d (entry %d) up to %d: statuses wrong", i, rank[i], maxp[i]);
	}
	SF_IS(acc, np, 1, "all signalled");
	EV_IS(poll_ev(acc, POLLIN, 1000), POLLIN, "all signalled");
	close(acc);
	for (i = 0; i < ntl; i++)
		close(tl[i]);
	FDS_SAME(fds);
}

static void t_merge_many(void)
{
	static const struct { int nf, ntl; bool tree; } cfg[] = {
		{ 1, 1, false }, { 2, 1, false }, { 2, 2, true }, { 3, 2, false }, { 16, 4, true },
		{ 100, 10, false }, { 64, 64, true }, { 1024, 64, true }, { 1024, 64, false },
		{ 1024, 1, true }, { 200, 3, true },
	};
	size_t i;

	rnd_state = 12345;
	for (i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++)
		merge_cfg(cfg[i].nf, cfg[i].ntl, cfg[i].tree);
}

static void t_merge_poll(void)
{
	int ta = tl_new(), tb = tl_new(), fa = fence_new(ta, 1), fb = fence_new(tb, 1);
	int m = merge(fa, fb, "poll"), m2 = merge(fa, fb, "poll2");

	SETUP(m >= 0 && m2 >= 0);
	EV_IS(poll_ev(m, POLLIN, 0), 0, "both pending");
	EV_IS(poll_ev(m, POLLIN, 30), 0, "both pending, 30 ms");
	EXPECT_ZERO(tl_inc(ta, 1));
	EV_IS(poll_ev(fa, POLLIN, 0), POLLIN, "a itself");
	EV_IS(poll_ev(m, POLLIN, 0), 0, "one of two");
	/* m2 was never polled before: its signalling is enabled now */
	EV_IS(poll_ev(m2, POLLIN, 0), 0, "one of two, first poll");
	SF_IS(m, 2, 0, "one of two");
	EXPECT_ZERO(tl_inc(tb, 1));
	EV_IS(poll_ev(m, POLLIN, 1000), POLLIN, "both signalled");
	EV_IS(poll_ev(m2, POLLIN, 1000), POLLIN, "both signalled (m2)");
	SF_IS(m, 2, 1, "both signalled");
	CLOSE(m, m2, fa, fb, ta, tb);
}

/* ---- cases: SYNC_IOC_FILE_INFO -------------------------------------------- */

static void t_info_protocol(void)
{
	int ta = tl_new(), tb = tl_new(), m = merge_new(ta, 1, tb, 1, "proto");
	struct sync_fence_info fi[2];
	struct sync_file_info info;

	SETUP(m >= 0);
	/* num_fences 0: count and status only, the pointer is not looked at */
	memset(&info, 0, sizeof(info));
	info.sync_fence_info = (uintptr_t)bad_ptr;
	EXPECT_ZERO(ioctl(m, SYNC_IOC_FILE_INFO, &info));
	EXPECT(info.num_fences == 2 && !info.status && !strcmp(info.name, "proto") &&
	       info.sync_fence_info == (uintptr_t)bad_ptr && !info.flags && !info.pad,
	       "first call: %u fences, status %d, \"%s\"", info.num_fences, info.status, info.name);
	info.sync_fence_info = 1ULL << 63;
	info.num_fences = 0;
	EXPECT_ZERO(ioctl(m, SYNC_IOC_FILE_INFO, &info));
	info.sync_fence_info = 0;
	info.num_fences = 0;
	EXPECT_ZERO(ioctl(m, SYNC_IOC_FILE_INFO, &info));
	/* second call: that many entries */
	memset(fi, 0xaa, sizeof(fi));
	info.sync_fence_info = (uintptr_t)fi;
	EXPECT_ZERO(ioctl(m, SYNC_IOC_FILE_INFO, &info));
	EXPECT(info.num_fences == 2 && !info.status && !strcmp(fi[0].driver_name, "sw_sync") &&
	       !strcmp(fi[1].driver_name, "sw_sync"), "second call: %u fences", info.num_fences);
	CLOSE(m, ta, tb);
}

static void t_info_einval(void)
{
	int ta = tl_new(), tb = tl_new(), tc = tl_new(), m, i;
	struct sync_fence_info fi[3], pat[3];
	struct sync_file_info info;

	m = merge_new(ta, 1, tb, 1, "x");
	SETUP(merge_new_into(&m, tc, 1, "three") && sf_count(m) == 3);
	memset(pat, 0x5c, sizeof(pat));
	for (i = 0; i < 4; i++) {
		memset(&info, 0, sizeof(info));
		info.flags = i & 1 ? 1 : 0;
		info.pad = i & 2 ? 0x100 : 0;
		info.num_fences = i < 2 ? 0 : 3;
		info.sync_fence_info = (uintptr_t)fi;
		if (!i)
			continue;
		memcpy(fi, pat, sizeof(fi));
		EXPECT_ERR(ioctl(m, SYNC_IOC_FILE_INFO, &info), EINVAL);
		EXPECT(!memcmp(fi, pat, sizeof(fi)) && info.num_fences == (i < 2 ? 0u : 3u) &&
		       !info.name[0], "flags %#x pad %#x: written to", info.flags, info.pad);
	}
	/* fewer entries than fences */
	for (i = 1; i < 3; i++) {
		memset(&info, 0, sizeof(info));
		info.num_fences = i;
		info.sync_fence_info = (uintptr_t)fi;
		memcpy(fi, pat, sizeof(fi));
		EXPECT_ERR(ioctl(m, SYNC_IOC_FILE_INFO, &info), EINVAL);
		EXPECT(!memcmp(fi, pat, sizeof(fi)) && info.num_fences == (__u32)i,
		       "num_fences %d: written to", i);
	}
	/* not a sync_file: not its ioctl */
	EXPECT_ERR(ioctl(ta, SYNC_IOC_FILE_INFO, &info), ENOTTY);
	CLOSE(m, ta, tb, tc);
}

static void t_info_sizes(void)
{
	static const __u32 big[] = { 3, 8, 0x80000000u, 0xffffffffu };
	int ta = tl_new(), tb = tl_new(), m = merge_new(ta, 1, tb, 1, "sizes");
	struct sync_fence_info fi[8], pat;
	struct sync_file_info info;
	size_t i, j, bad;

	SETUP(m >= 0);
	memset(&pat, 0xaa, sizeof(pat));
	/* more room than fences: num_fences comes back as 2, 2 entries written */
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		for (j = 0; j < 8; j++)
			fi[j] = pat;
		memset(&info, 0, sizeof(info));
		info.num_fences = big[i];
		info.sync_fence_info = (uintptr_t)fi;
		EXPECT_ZERO(ioctl(m, SYNC_IOC_FILE_INFO, &info));
		EXPECT(info.num_fences == 2 && !strcmp(fi[0].driver_name, "sw_sync") &&
		       !strcmp(fi[1].driver_name, "sw_sync"), "num_fences %#x: %u back", big[i],
		       info.num_fences);
		for (j = 2, bad = 0; j < 8; j++)
			bad += !!memcmp(&fi[j], &pat, sizeof(pat));
		EXPECT(!bad, "num_fences %#x: %zu entries after the 2 written", big[i], bad);
	}
	/* exactly two entries of room, right before the unmapped page */
	memset(&info, 0, sizeof(info));
	info.num_fences = 0xffffffffu;
	info.sync_fence_info = (uintptr_t)(bad_ptr - 2 * FI_SIZE);
	EXPECT_ZERO(ioctl(m, SYNC_IOC_FILE_INFO, &info));
	EXPECT(info.num_fences == 2 && !strcmp(((struct sync_fence_info *)(bad_ptr - FI_SIZE))->driver_name,
					       "sw_sync"), "at the page end: %u", info.num_fences);
	CLOSE(m, ta, tb);
}

static void t_info_efault(void)
{
	int ta = tl_new(), tb = tl_new(), m = merge_new(ta, 1, tb, 1, "efault");
	struct sync_fence_info fi[2];
	struct sync_file_info info, *ro;
	uint64_t ptrs[6];
	size_t i, n = 0;

	SETUP(m >= 0);
	EXPECT_ERR(ioctl(m, SYNC_IOC_FILE_INFO, NULL), EFAULT);
	EXPECT_ERR(ioctl(m, SYNC_IOC_FILE_INFO, bad_ptr), EFAULT);
	memset(&info, 0, sizeof(info));
	memcpy(bad_ptr - sizeof(info) + 8, &info, sizeof(info) - 8);
	EXPECT_ERR(ioctl(m, SYNC_IOC_FILE_INFO, bad_ptr - sizeof(info) + 8), EFAULT);
	/* readable, not writable: fails when the answer is copied back */
	ro = ro_put(&info, sizeof(info), 1024);
	EXPECT_ERR(ioctl(m, SYNC_IOC_FILE_INFO, ro), EFAULT);
	info.num_fences = 2;
	info.sync_fence_info = (uintptr_t)fi;
	ro = ro_put(&info, sizeof(info), 1024);
	EXPECT_ERR(ioctl(m, SYNC_IOC_FILE_INFO, ro), EFAULT);
	/* the entries: unmapped, read-only, straddling into the hole, not user */
	ptrs[n++] = 0;
	ptrs[n++] = (uintptr_t)bad_ptr;
	ptrs[n++] = (uintptr_t)ro_page;
	ptrs[n++] = (uintptr_t)(bad_ptr - FI_SIZE - FI_SIZE / 2);
	ptrs[n++] = (1ULL << 63) | (uintptr_t)fi;
	if (sizeof(void *) == 4)	/* a compat task's pointer is 64 bits here */
		ptrs[n++] = (1ULL << 32) | (uintptr_t)fi;
	for (i = 0; i < n; i++) {
		memset(&info, 0, sizeof(info));
		info.num_fences = 2;
		info.status = 0x5555;
		info.sync_fence_info = ptrs[i];
		EXPECT_ERR(ioctl(m, SYNC_IOC_FILE_INFO, &info), EFAULT);
		/* the entries are copied out first: the struct is not updated */
		EXPECT(info.num_fences == 2 && info.status == 0x5555 && !info.name[0],
		       "pointer %#llx: struct updated (%u, %d)", (unsigned long long)ptrs[i],
		       info.num_fences, info.status);
	}
	SF_IS(m, 2, 0, "after the faults");
	CLOSE(m, ta, tb);
}

/* every byte after the string's NUL is 0 or, with caller >= 0, that byte */
static bool tail_is(const char *s, size_t size, int caller)
{
	size_t i = strnlen(s, size);

	while (++i < size)
		if (s[i] && (unsigned char)s[i] != caller)
			return false;
	return true;
}

/*
 * The entries: obj_name is the timeline's name, driver_name "sw_sync",
 * status 0/1/-errno, timestamp_ns 0 while pending and the CLOCK_MONOTONIC
 * time of the signal after, flags 0.  6.12 kzalloc()s the entries and
 * strscpy()s the names, so the bytes after each NUL are zero.  The file's
 * name is strscpy()d into the struct copied in from the caller: after its
 * NUL, strscpy()'s word-at-a-time copy zeroes the rest of the last word
 * and leaves the caller's bytes beyond, so no byte there is the kernel's.
 */
static void t_info_fields(void)
{
	char n1[16], n2[16], n3[16] = "fifteen-chars-x";
	int t1 = tl_named(uniq_name(n1, "fields")), t2 = tl_named(uniq_name(n2, "fld")), t3, m;
	struct sync_fence_info fi[4];
	struct sync_file_info info;
	unsigned long long b2, a2, b3, a3;
	int i, bad = 0;

	t3 = tl_named(n3);
	m = merge_new(t1, 1, t2, 1, "f");
	SETUP(merge_new_into(&m, t3, 1, "fields"));
	b2 = now_ns();
	EXPECT_ZERO(tl_inc(t2, 1));
	a2 = now_ns();
	b3 = now_ns();
	close(t3);
	a3 = now_ns();
	memset(fi, 0xaa, sizeof(fi));
	memset(&info, 0xaa, sizeof(info));
	info.flags = info.pad = 0;
	info.num_fences = 4;
	info.sync_fence_info = (uintptr_t)fi;
	REQUIRE(!ioctl(m, SYNC_IOC_FILE_INFO, &info), "FILE_INFO: %s", strerror(errno));
	EXPECT(info.num_fences == 3 && !strcmp(info.name, "fields"), "%u fences, \"%s\"",
	       info.num_fences, info.name);
	EXPECT(tail_is(info.name, sizeof(info.name), 0xaa), "name tail neither 0 nor the caller's");
	/* statuses 0, 1, -2: the first that is not positive, 0 */
	EXPECT(info.status == 0 && !info.flags && !info.pad, "status %d flags %u pad %u",
	       info.status, info.flags, info.pad);
	EXPECT(!strcmp(fi[0].obj_name, n1) && !strcmp(fi[1].obj_name, n2) &&
	       !strcmp(fi[2].obj_name, n3), "timelines %s %s %s", fi[0].obj_name, fi[1].obj_name,
	       fi[2].obj_name);
	for (i = 0; i < 3; i++)
		bad += strcmp(fi[i].driver_name, "sw_sync") || fi[i].flags ||
		       !tail_is(fi[i].obj_name, 32, -1) || !tail_is(fi[i].driver_name, 32, -1);
	EXPECT(!bad, "%d entries with a wrong driver, flags or non-zero name tails", bad);
	EXPECT(fi[0].status == 0 && fi[0].timestamp_ns == 0, "pending: %d %llu", fi[0].status,
	       (unsigned long long)fi[0].timestamp_ns);
	EXPECT(fi[1].status == 1 && fi[1].timestamp_ns >= b2 && fi[1].timestamp_ns <= a2,
	       "signalled: %d at %llu, INC in [%llu, %llu]", fi[1].status,
	       (unsigned long long)fi[1].timestamp_ns, b2, a2);
	EXPECT(fi[2].status == -ENOENT && fi[2].timestamp_ns >= b3 && fi[2].timestamp_ns <= a3,
	       "errored: %d at %llu, close in [%llu, %llu]", fi[2].status,
	       (unsigned long long)fi[2].timestamp_ns, b3, a3);
	{
		struct sync_fence_info *p = fi + 3, q;

		memset(&q, 0xaa, sizeof(q));
		EXPECT(!memcmp(p, &q, sizeof(q)), "the 4th entry was written");
	}
	EXPECT(fi[1].timestamp_ns <= now_ns(), "timestamp in the future");
	CLOSE(m, t1, t2);
}

/*
 * The file-level status: with num_fences = 0 it is the sync_file's fence's
 * (an array: pending until all are signalled); with entries it is 1 unless
 * an entry is not positive, then the first such entry's status, in entry
 * (context) order: sync_file.c "info.status = info.status <= 0 ? info.status
 * : status".  So an error behind a pending fence does not show, one before
 * it does.
 */
static void t_info_status(void)
{
	int ta = tl_new(), tb = tl_new(), tc = tl_new(), td = tl_new();
	int m1 = merge_new(ta, 1, tb, 1, "a+b"), m2 = merge_new(tc, 1, td, 1, "c+d");
	struct sync_fence_info fi[MAXF];
	int st;

	SETUP(m1 >= 0 && m2 >= 0);
	EV_IS(poll_ev(m1, POLLIN, 0), 0, "m1");	/* enables its signalling */
	close(ta);			/* entry 0 of m1 errors */
	close(td);			/* entry 1 of m2 errors */
	EXPECT(sf_fences(m1, fi, &st) == 2 && fi[0].status == -ENOENT && !fi[1].status &&
	       st == -ENOENT, "m1 entries %d %d, file %d", fi[0].status, fi[1].status, st);
	SF_IS(m1, 2, 0, "m1, num_fences 0");
	EXPECT(sf_fences(m2, fi, &st) == 2 && !fi[0].status && fi[1].status == -ENOENT && st == 0,
	       "m2 entries %d %d, file %d", fi[0].status, fi[1].status, st);
	SF_IS(m2, 2, 0, "m2, num_fences 0");
	EV_IS(poll_ev(m1, POLLIN, 0), 0, "m1 with one error");
	EXPECT_ZERO(tl_inc(tb, 1));
	EV_IS(poll_ev(m1, POLLIN, 1000), POLLIN, "m1 complete");
	/* the array carries the first error of its components */
	SF_IS(m1, 2, -ENOENT, "m1 complete, num_fences 0");
	EXPECT(sf_fences(m1, fi, &st) == 2 && st == -ENOENT, "m1 complete: file %d", st);
	EXPECT_ZERO(tl_inc(tc, 1));
	EXPECT(sf_fences(m2, fi, &st) == 2 && fi[0].status == 1 && st == -ENOENT,
	       "m2 complete: entries %d %d, file %d", fi[0].status, fi[1].status, st);
	/*
	 * m2's signalling was never enabled: 6.12's dma_fence_array_signaled()
	 * then clears the pending error ("dma_fence_array_clear_pending_error")
	 * and the array reads 1; only noted, our core keeps the error.
	 */
	printf("# never-polled array of an error and a signal, num_fences 0: status %d (6.12: 1)\n",
	       sf_status(m2));
	CLOSE(m1, m2, tb, tc);
}

/* 6.12's name of an unnamed sync_file, and CREATE_FENCE's ignored name */
static void t_info_name(void)
{
	int ta = tl_new(), tb = tl_new(), f1, f7, fb, fbig;
	struct sw_sync_create_fence_data d = { .value = 7, .name = "ignored-name", .fence = -1 };
	unsigned long long c1, c7, cb, s1, s7, sb;
	char n1[32], n7[32], nb[32], nbig[32], want[64];

	f1 = fence_new(ta, 1);
	SETUP(f1 >= 0 && !ioctl(ta, SW_SYNC_IOC_CREATE_FENCE, &d));
	f7 = d.fence;
	EXPECT(d.value == 7 && !strcmp(d.name, "ignored-name") && f7 >= 0, "written back: %u %s %d",
	       d.value, d.name, d.fence);
	fb = fence_new(tb, 1);
	fbig = fence_new(ta, 4000000000u);
	SETUP(fb >= 0 && fbig >= 0);
	EXPECT(sf_name(f1, n1) && sw_name_ctx(n1, comm, &c1, &s1) && s1 == 1, "\"%s\"", n1);
	EXPECT(sf_name(f7, n7) && sw_name_ctx(n7, comm, &c7, &s7) && s7 == 7 && c7 == c1,
	       "\"%s\" (the first: \"%s\")", n7, n1);
	EXPECT(sf_name(fb, nb) && sw_name_ctx(nb, comm, &cb, &sb) && cb != c1, "\"%s\"", nb);
	/* snprintf() into 32 bytes: cut at 31 */
	snprintf(want, sizeof(want), "sw_sync-%s%llu-%u", comm, c1, 4000000000u);
	want[31] = 0;
	EXPECT(sf_name(fbig, nbig) && !strcmp(nbig, want), "\"%s\", want \"%s\"", nbig, want);
	CLOSE(f1, f7, fb, fbig, ta, tb);
}

/* ---- cases: deadlines ------------------------------------------------------ */

static void t_deadline(void)
{
	int tl = tl_new(), f = fence_new(tl, 1), same = fence_new(tl, 1), s, fds;
	struct sync_set_deadline sd = { .deadline_ns = 1000, .pad = 1 };
	__u64 dl = 0;

	SETUP(f >= 0 && same >= 0);
	fds = fd_count();
	EXPECT_ERR(get_deadline(tl, f, &dl), ENOENT);
	EXPECT_ERR(ioctl(f, SYNC_IOC_SET_DEADLINE, &sd), EINVAL);
	sd.pad = 1ULL << 63;
	EXPECT_ERR(ioctl(f, SYNC_IOC_SET_DEADLINE, &sd), EINVAL);
	EXPECT_ERR(get_deadline(tl, f, &dl), ENOENT);
	EXPECT_ERR(ioctl(f, SYNC_IOC_SET_DEADLINE, NULL), EFAULT);
	EXPECT_ERR(ioctl(f, SYNC_IOC_SET_DEADLINE, bad_ptr - 8), EFAULT);
	EXPECT_ZERO(set_deadline(f, 2000000));
	EXPECT(!get_deadline(tl, f, &dl) && dl == 2000000, "first: %llu", (unsigned long long)dl);
	/* a later one does not replace it, an earlier one does */
	EXPECT_ZERO(set_deadline(f, 3000000));
	EXPECT(!get_deadline(tl, f, &dl) && dl == 2000000, "later: %llu", (unsigned long long)dl);
	EXPECT_ZERO(set_deadline(f, 500));
	EXPECT(!get_deadline(tl, f, &dl) && dl == 500, "earlier: %llu", (unsigned long long)dl);
	/* a second CREATE_FENCE at a pending value returns the same point */
	EXPECT(!get_deadline(tl, same, &dl) && dl == 500, "same point: %llu",
	       (unsigned long long)dl);
	EXPECT_ZERO(set_deadline(same, 0));
	EXPECT(!get_deadline(tl, f, &dl) && dl == 0, "deadline 0: %llu", (unsigned long long)dl);
	/* kept after the signal; a signalled fence takes no deadline */
	EXPECT_ZERO(tl_inc(tl, 1));
	EXPECT(!get_deadline(tl, f, &dl) && dl == 0, "after the signal: %llu",
	       (unsigned long long)dl);
	s = fence_new(tl, 1);
	EXPECT_ZERO(set_deadline(s, 42));
	EXPECT_ERR(get_deadline(tl, s, &dl), ENOENT);
	close(s);
	FDS_SAME(fds);
	CLOSE(f, same, tl);
}

static void t_deadline_get_errors(void)
{
	int ta = tl_new(), tb = tl_new(), fa = fence_new(ta, 1), fb = fence_new(tb, 1);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC), m = merge(fa, fb, "m");
	int ts = tl_new(), stub = (tl_inc(ts, 1), merge_new(ts, 1, ts, 1, "stub")), i;
	struct sw_sync_get_deadline d;
	const int nots[] = { ta, null, -1, 100000 };

	SETUP(m >= 0 && null >= 0 && stub >= 0 && sf_status(stub) == 1);
	EXPECT_ZERO(set_deadline(fa, 77));
	memset(&d, 0, sizeof(d));
	d.fence_fd = fa;
	d.deadline_ns = 1;
	EXPECT_ERR(ioctl(ta, SW_SYNC_GET_DEADLINE, &d), EINVAL);
	d.deadline_ns = 0;
	d.pad = 1;
	EXPECT_ERR(ioctl(ta, SW_SYNC_GET_DEADLINE, &d), EINVAL);
	d.pad = 0;
	EXPECT_ERR(ioctl(ta, SW_SYNC_GET_DEADLINE, NULL), EFAULT);
	EXPECT_ERR(ioctl(ta, SW_SYNC_GET_DEADLINE, bad_ptr - 4), EFAULT);
	EXPECT(!ioctl(ta, SW_SYNC_GET_DEADLINE, &d) && d.deadline_ns == 77 && d.fence_fd == fa &&
	       !d.pad, "read back: %llu, fd %d", (unsigned long long)d.deadline_ns, d.fence_fd);
	/* not a sync_file: sync_file_get_fence() fails, EINVAL */
	for (i = 0; i < 4; i++)
		EXPECT(get_deadline(ta, nots[i], NULL) == -1 && errno == EINVAL, "fd %d: %s",
		       nots[i], strerror(errno));
	/* a sync_file whose fence is no sw_sync point: dma_fence_to_sync_pt() */
	EXPECT_ZERO(set_deadline(m, 50));
	EXPECT_ERR(get_deadline(ta, m, NULL), EINVAL);
	EXPECT_ERR(get_deadline(ta, stub, NULL), EINVAL);
	/* any timeline's fd answers for any sw_sync fence: the owner is not checked */
	EXPECT(!get_deadline(ta, fb, &d.deadline_ns) && d.deadline_ns == 50, "b via a: %s",
	       strerror(errno));
	EXPECT(!get_deadline(ts, fa, &d.deadline_ns) && d.deadline_ns == 50, "a via the stub's: %s",
	       strerror(errno));
	CLOSE(m, stub, null, fa, fb, ta, tb, ts);
}

/* dma_fence_array's set_deadline passes the hint to each pending component */
static void t_deadline_merged(void)
{
	int ta = tl_new(), tb = tl_new(), tc = tl_new(), fa = fence_new(ta, 1), fb = fence_new(tb, 1);
	int fc = fence_new(tc, 1), m, m2, one;
	__u64 dl = 0;

	SETUP(fa >= 0 && fb >= 0 && fc >= 0);
	m = merge(fa, fb, "ab");
	m2 = merge(m, fc, "abc");
	SETUP(m2 >= 0);
	EXPECT_ZERO(tl_inc(tc, 1));		/* fc signalled after the merge */
	EXPECT_ZERO(set_deadline(m2, 9000));
	EXPECT(!get_deadline(ta, fa, &dl) && dl == 9000, "a: %s %llu", strerror(errno),
	       (unsigned long long)dl);
	EXPECT(!get_deadline(ta, fb, &dl) && dl == 9000, "b: %s %llu", strerror(errno),
	       (unsigned long long)dl);
	/* dma_fence_set_deadline() skips a signalled fence */
	EXPECT_ERR(get_deadline(ta, fc, NULL), ENOENT);
	EXPECT_ZERO(set_deadline(m, 10000));
	EXPECT(!get_deadline(ta, fa, &dl) && dl == 9000, "a after a later one: %llu",
	       (unsigned long long)dl);
	EXPECT_ZERO(set_deadline(m, 8000));
	EXPECT(!get_deadline(ta, fb, &dl) && dl == 8000, "b after an earlier one: %llu",
	       (unsigned long long)dl);
	/* a merge that collapsed to one point is that point */
	one = merge(fa, fa, "one");
	EXPECT(!get_deadline(tb, one, &dl) && dl == 8000, "collapsed: %s %llu", strerror(errno),
	       (unsigned long long)dl);
	CLOSE(one, m, m2, fa, fb, fc, ta, tb, tc);
}

/* ---- cases: other ioctls, the files ---------------------------------------- */

static void t_unknown_ioctl(void)
{
	const unsigned long sf_bad[] = {
		_IO('>', 0), _IO('>', 3), _IOWR('>', 3, __u64), _IOR('>', 4, struct sync_file_info),
		_IOW('>', 4, struct sync_file_info), _IOWR('>', 5, struct sync_set_deadline),
		_IOW('>', 5, __u64), _IOWR('>', 6, struct sync_file_info), _IO('>', 0xff),
		SW_SYNC_IOC_CREATE_FENCE, SW_SYNC_IOC_INC, SW_SYNC_GET_DEADLINE, DMA_BUF_IOCTL_SYNC,
	};
	const unsigned long tl_bad[] = {
		SYNC_IOC_MERGE, SYNC_IOC_FILE_INFO, SYNC_IOC_SET_DEADLINE, _IO('W', 0), _IO('W', 1),
		_IOW('W', 1, __u64), _IOR('W', 1, __u32), _IOWR('W', 3, __u32),
		_IOWR('W', 2, __u64), _IOW('W', 0, struct sw_sync_create_fence_data),
	};
	int tl = tl_new(), f = fence_new(tl, 1), fds = fd_count();
	char buf[128] = { 0 };
	size_t i;

	SETUP(f >= 0);
	for (i = 0; i < sizeof(sf_bad) / sizeof(sf_bad[0]); i++)
		EXPECT(ioctl(f, sf_bad[i], buf) == -1 && errno == ENOTTY, "sync_file cmd %#lx: %s",
		       sf_bad[i], strerror(errno));
	for (i = 0; i < sizeof(tl_bad) / sizeof(tl_bad[0]); i++)
		EXPECT(ioctl(tl, tl_bad[i], buf) == -1 && errno == ENOTTY, "timeline cmd %#lx: %s",
		       tl_bad[i], strerror(errno));
	FDS_SAME(fds);
	SF_IS(f, 1, 0, "the fence");
	CLOSE(f, tl);
}

/* a sync_file is an O_RDONLY anon-inode file with poll and ioctl only */
static void t_file_ops(void)
{
	int tl = tl_new(), f = fence_new(tl, 1);
	char link[64] = "", path[64], c = 0;
	ssize_t n;

	SETUP(f >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", f);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	EXPECT(!strcmp(link, "anon_inode:sync_file"), "link \"%s\"", link);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", tl);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	EXPECT(!strcmp(link, SW_SYNC_PATH), "timeline link \"%s\"", link);
	EXPECT((fcntl(f, F_GETFL) & O_ACCMODE) == O_RDONLY, "F_GETFL %#x", fcntl(f, F_GETFL));
	EXPECT_ERR(read(f, &c, 1), EINVAL);
	EXPECT_ERR(write(f, &c, 1), EBADF);
	EXPECT_ERR(lseek(f, 0, SEEK_SET), ESPIPE);
	EXPECT(mmap(NULL, pgsz, PROT_READ, MAP_SHARED, f, 0) == MAP_FAILED && errno == ENODEV,
	       "mmap: %s", strerror(errno));
	/* the timeline has no read or write either */
	EXPECT_ERR(read(tl, &c, 1), EINVAL);
	EXPECT_ERR(write(tl, &c, 1), EINVAL);
	CLOSE(f, tl);
}

/* ---- cases: sw_sync ---------------------------------------------------------- */

static void t_sw_sync_efault(void)
{
	char name[16];
	int tl = tl_named(uniq_name(name, "efault")), f = fence_new(tl, 1), fds;
	struct sw_sync_create_fence_data d = { .value = 3, .name = "ro", .fence = -1 }, *ro;

	SETUP(f >= 0);
	fds = fd_count();
	EXPECT_ERR(ioctl(tl, SW_SYNC_IOC_INC, NULL), EFAULT);
	EXPECT_ERR(ioctl(tl, SW_SYNC_IOC_INC, bad_ptr), EFAULT);
	EXPECT_ERR(ioctl(tl, SW_SYNC_IOC_INC, bad_ptr - 2), EFAULT);
	SF_IS(f, 1, 0, "fence 1 after failed INCs");
	EXPECT_ERR(ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, NULL), EFAULT);
	EXPECT_ERR(ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, bad_ptr), EFAULT);
	memcpy(bad_ptr - sizeof(d) + 4, &d, sizeof(d) - 4);
	EXPECT_ERR(ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, bad_ptr - sizeof(d) + 4), EFAULT);
	/* read-only: the point and its sync_file are made, then dropped */
	ro = ro_put(&d, sizeof(d), 2048);
	EXPECT_ERR(ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, ro), EFAULT);
	FDS_SAME(fds);
	SYNCINFO_IS(name, 0, "  fence active: 1 / 0", NULL);
	CLOSE(f, tl);
	EXPECT(syncinfo_gone(name), "timeline %s still listed", name);
}

/* INC signals the points up to the new value, in seqno order */
static void t_sw_sync_inc(void)
{
	static const __u32 vals[10] = { 7, 3, 9, 1, 5, 2, 8, 4, 10, 6 };
	int tl = tl_new(), f[11], i, bad = 0, b10, b1, p11, p11b, m;
	unsigned long long ts[11], t0;
	char n1[32], n2[32];

	SETUP(tl >= 0);
	for (i = 0; i < 10; i++) {
		f[vals[i]] = fence_new(tl, vals[i]);
		SETUP(f[vals[i]] >= 0);
		bad += fcntl(f[vals[i]], F_GETFD) != FD_CLOEXEC;
	}
	EXPECT(!bad, "CREATE_FENCE fds without FD_CLOEXEC");
	EXPECT_ZERO(tl_inc(tl, 3));
	for (i = 1, bad = 0; i <= 10; i++)
		bad += sf_status(f[i]) != (i <= 3);
	EXPECT(!bad, "after INC 3: %d wrong", bad);
	EXPECT_ZERO(tl_inc(tl, 0));
	EXPECT_ZERO(tl_inc(tl, 4));
	for (i = 1, bad = 0; i <= 10; i++)
		bad += sf_status(f[i]) != (i <= 7);
	EXPECT(!bad, "after INC 4: %d wrong", bad);
	EXPECT_ZERO(tl_inc(tl, 3));
	for (i = 1, bad = 0; i <= 10; i++) {
		ts[i] = fence_ts(f[i], 0);
		bad += sf_status(f[i]) != 1 || (i > 1 && ts[i] < ts[i - 1]);
	}
	EXPECT(!bad, "after INC 3 more: %d wrong or out of order", bad);
	EXPECT(ts[3] < ts[4] && ts[7] < ts[8], "batches: %llu %llu, %llu %llu", ts[3], ts[4],
	       ts[7], ts[8]);
	/* at or before the timeline's value: born signalled */
	t0 = now_ns();
	b10 = fence_new(tl, 10);
	b1 = fence_new(tl, 1);
	p11 = fence_new(tl, 11);
	p11b = fence_new(tl, 11);
	SETUP(b10 >= 0 && b1 >= 0 && p11 >= 0 && p11b >= 0);
	SF_IS(b10, 1, 1, "at the value");
	SF_IS(b1, 1, 1, "before the value");
	EXPECT(fence_ts(b10, 0) >= t0 && fence_ts(b10, 0) <= now_ns(), "born signalled at %llu",
	       fence_ts(b10, 0));
	SF_IS(p11, 1, 0, "after the value");
	/* the same pending value twice: one point, one name */
	EXPECT(sf_name(p11, n1) && sf_name(p11b, n2) && !strcmp(n1, n2), "\"%s\" vs \"%s\"", n1,
	       n2);
	m = merge(p11, p11b, "same");
	SF_IS(m, 1, 0, "the same point twice");
	EXPECT_ZERO(tl_inc(tl, 1));
	SF_IS(p11b, 1, 1, "11");
	for (i = 1; i <= 10; i++)
		close(f[i]);
	CLOSE(m, b10, b1, p11, p11b, tl);
}

/*
 * A sw_sync value is an int compared with 32-bit wrapping: a point more
 * than INT_MAX ahead counts as passed.  INC by more than INT_MAX is done in
 * INT_MAX steps (sw_sync_ioctl_inc), each signalling what it passes.
 */
static void t_sw_sync_wrap(void)
{
	char name[16];
	int tl = tl_named(uniq_name(name, "wrap")), f1, f1k, fmax, fhalf, f0, fff;

	f1 = fence_new(tl, 1);
	f1k = fence_new(tl, 1000);
	fmax = fence_new(tl, 0x7fffffff);
	fhalf = fence_new(tl, 0x80000000u);
	SETUP(f1 >= 0 && f1k >= 0 && fmax >= 0 && fhalf >= 0);
	SF_IS(fmax, 1, 0, "INT_MAX ahead");
	SF_IS(fhalf, 1, 1, "INT_MAX + 1 ahead: already passed");
	EXPECT_ZERO(tl_inc(tl, 0xffffffffu));
	SF_IS(f1, 1, 1, "1");
	SF_IS(f1k, 1, 1, "1000");
	SF_IS(fmax, 1, 1, "INT_MAX");
	SYNCINFO_IS(name, -1, NULL);
	/* at -1, 0 is one ahead; 0xffffffff is the value itself */
	f0 = fence_new(tl, 0);
	fff = fence_new(tl, 0xffffffffu);
	SF_IS(f0, 1, 0, "0 after 0xffffffff");
	SF_IS(fff, 1, 1, "0xffffffff");
	SYNCINFO_IS(name, -1, "  fence active: 0 / -1", NULL);
	EXPECT_ZERO(tl_inc(tl, 1));
	SF_IS(f0, 1, 1, "0 after one more");
	CLOSE(f0, fff, fmax, fhalf);
	fmax = fence_new(tl, 0x7fffffff);
	EXPECT_ZERO(tl_inc(tl, 0x80000000u));
	SF_IS(fmax, 1, 1, "INT_MAX, INC by 2^31");
	SYNCINFO_IS(name, (int)0x80000000u, NULL);
	CLOSE(f1, f1k, fmax, tl);
}

struct poller {
	pthread_t thread;
	int fd, ret;
	short events;
	int timeout;
	double ms;
	volatile int started, done;
};

static void *poller_fn(void *arg)
{
	struct poller *p = arg;
	double t0 = now_ms();

	p->started = 1;
	p->ret = poll_ev(p->fd, p->events, p->timeout);
	p->ms = now_ms() - t0;
	p->done = 1;
	return NULL;
}

static bool poller_start(struct poller *p, int fd, short events, int timeout)
{
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->events = events;
	p->timeout = timeout;
	if (pthread_create(&p->thread, NULL, poller_fn, p))
		return false;
	while (!p->started)
		sleep_ms(1);
	sleep_ms(50);		/* into poll() */
	return true;
}

/* closing the timeline fails its pending points with -ENOENT */
static void t_sw_sync_close(void)
{
	int tl = tl_new(), tq = tl_new(), p5, p7, s1, q, m;
	unsigned long long t0, t1;
	struct poller w;

	SETUP(tl >= 0 && tq >= 0 && !tl_inc(tl, 1));
	p5 = fence_new(tl, 5);
	p7 = fence_new(tl, 7);
	s1 = fence_new(tl, 1);
	q = fence_new(tq, 1);
	m = merge(p5, q, "p5+q");
	SETUP(p5 >= 0 && p7 >= 0 && s1 >= 0 && m >= 0);
	REQUIRE(poller_start(&w, p7, POLLIN, 5000), "pthread_create");
	EXPECT(!w.done, "the poller returned %#x at once", w.ret);
	t0 = now_ns();
	close(tl);
	t1 = now_ns();
	pthread_join(w.thread, NULL);
	EXPECT(w.ret == POLLIN && w.ms < 4500, "the poller: %#x after %.0f ms", w.ret, w.ms);
	SF_IS(p5, 1, -ENOENT, "5");
	SF_IS(p7, 1, -ENOENT, "7");
	EXPECT(fence_status(p7, 0) == -ENOENT && fence_ts(p7, 0) >= t0 && fence_ts(p7, 0) <= t1,
	       "7: %d at %llu, close in [%llu, %llu]", fence_status(p7, 0), fence_ts(p7, 0), t0, t1);
	EV_IS(poll_ev(p5, POLLIN | POLLOUT | POLLPRI, 0), POLLIN, "errored: POLLIN, no POLLERR");
	SF_IS(s1, 1, 1, "1, signalled before");
	/* the merge waits for q still; entry 0 (p5) shows the error */
	EV_IS(poll_ev(m, POLLIN, 0), 0, "p5 + q");
	EXPECT(fence_status(m, 0) == -ENOENT && fence_status(m, 1) == 0, "entries %d %d",
	       fence_status(m, 0), fence_status(m, 1));
	EXPECT_ZERO(tl_inc(tq, 1));
	EV_IS(poll_ev(m, POLLIN, 1000), POLLIN, "p5 + q, q signalled");
	CLOSE(m, p5, p7, s1, q, tq);
}

/*
 * debugfs sync/info, 6.12's format: "<name>: <value>" per timeline, then
 * "  fence <status>[@<sec>.<nsec>]: <seqno> / <value>" per point not yet
 * signalled (or failed by closing the timeline), a blank line; then a
 * "fences:" section that 6.12 never fills (sync_file_debug_add() has no
 * caller).  A timeline stays until its file and all its points are gone.
 */
static void t_syncinfo(void)
{
	char name[16], line[96];
	int tl = tl_named(uniq_name(name, "info")), f5, f3, f1, ntl, nf, nfiles;
	unsigned long long ts;

	SETUP(tl >= 0 && !tl_inc(tl, 2));
	f5 = fence_new(tl, 5);
	f3 = fence_new(tl, 3);
	f1 = fence_new(tl, 1);
	SETUP(f5 >= 0 && f3 >= 0 && f1 >= 0);
	SYNCINFO_IS(name, 2, "  fence active: 3 / 2", "  fence active: 5 / 2", NULL);
	EXPECT(syncinfo_counts(&ntl, &nf, &nfiles) && !nfiles, "%d lines under fences:", nfiles);
	EXPECT_ZERO(tl_inc(tl, 1));
	SYNCINFO_IS(name, 3, "  fence active: 5 / 3", NULL);
	close(tl);
	ts = fence_ts(f5, 0);
	snprintf(line, sizeof(line), "  fence error@%llu.%09llu: 5 / 3", ts / 1000000000,
		 ts % 1000000000);
	SYNCINFO_IS(name, 3, line, NULL);
	close(f5);
	SYNCINFO_IS(name, 3, NULL);
	close(f3);
	SYNCINFO_IS(name, 3, NULL);
	close(f1);
	EXPECT(syncinfo_gone(name), "timeline %s listed after everything is closed", name);
}

/* ---- cases: poll, select, epoll ------------------------------------------- */

static void t_poll(void)
{
	int tl = tl_new(), f = fence_new(tl, 1), s = fence_new(tl, 0);
	struct timeval tv = { 0, 50000 };
	fd_set rd;
	double t0;

	SETUP(f >= 0 && s >= 0);
	EV_IS(poll_ev(f, POLLIN, 0), 0, "pending");
	t0 = now_ms();
	EV_IS(poll_ev(f, POLLIN | POLLOUT | POLLPRI, 100), 0, "pending, 100 ms");
	EXPECT(now_ms() - t0 >= 90, "timed out after %.0f ms", now_ms() - t0);
	EV_IS(poll_ev(f, POLLIN, 10), 0, "pending, again");
	FD_ZERO(&rd);
	FD_SET(f, &rd);
	EXPECT(select(f + 1, &rd, NULL, NULL, &tv) == 0, "select while pending");
	/* born signalled: the first poll's callback cannot be added */
	EV_IS(poll_ev(s, POLLIN, 0), POLLIN, "born signalled");
	EXPECT_ZERO(tl_inc(tl, 1));
	EV_IS(poll_ev(f, POLLIN, 0), POLLIN, "signalled");
	EV_IS(poll_ev(f, POLLIN | POLLOUT, 0), POLLIN, "IN|OUT");
	/* never POLLOUT */
	EV_IS(poll_ev(f, POLLOUT, 0), 0, "POLLOUT only");
	FD_ZERO(&rd);
	FD_SET(f, &rd);
	tv.tv_sec = 1;
	EXPECT(select(f + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(f, &rd), "select signalled");
	CLOSE(f, s, tl);
}

/* pollers blocked in threads: on one file (one callback), and on a merge */
static void t_poll_threads(void)
{
	int ta = tl_new(), tb = tl_new(), f = fence_new(ta, 1), g = fence_new(tb, 1), m, i;
	struct poller w[4];

	m = merge(f, g, "threads");
	SETUP(m >= 0);
	EV_IS(poll_ev(f, POLLIN, 20), 0, "armed before");
	REQUIRE(poller_start(&w[0], f, POLLIN, 5000) && poller_start(&w[1], f, POLLIN, 5000) &&
		poller_start(&w[2], m, POLLIN, 5000) && poller_start(&w[3], g, POLLIN, 5000),
		"pthread_create");
	sleep_ms(150);
	for (i = 0; i < 4; i++)
		EXPECT(!w[i].done, "poller %d returned %#x early", i, w[i].ret);
	EXPECT_ZERO(tl_inc(ta, 1));
	for (i = 0; i < 2; i++) {
		pthread_join(w[i].thread, NULL);
		EXPECT(w[i].ret == POLLIN && w[i].ms >= 150 && w[i].ms < 4500,
		       "poller %d: %#x after %.0f ms", i, w[i].ret, w[i].ms);
	}
	sleep_ms(100);
	EXPECT(!w[2].done && !w[3].done, "the merge's or g's poller returned");
	EXPECT_ZERO(tl_inc(tb, 1));
	for (i = 2; i < 4; i++) {
		pthread_join(w[i].thread, NULL);
		EXPECT(w[i].ret == POLLIN && w[i].ms < 4500, "poller %d: %#x after %.0f ms", i,
		       w[i].ret, w[i].ms);
	}
	EV_IS(poll_ev(f, POLLIN, 0), POLLIN, "after");
	CLOSE(m, f, g, ta, tb);
}

static int epoll_one(int ep, int timeout, __u64 *data)
{
	struct epoll_event out[2];
	int n = epoll_wait(ep, out, 2, timeout);

	if (n == 1 && data)
		*data = out[0].data.u64;
	return n == 1 ? (int)out[0].events : -100 - n;
}

static void *inc_later(void *arg)
{
	sleep_ms(200);
	tl_inc(*(int *)arg, 1);
	return NULL;
}

static void t_epoll(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), tl[4], f[4], s, i, ev;
	struct epoll_event e = { .events = EPOLLIN };
	pthread_t th;
	double t0;

	for (i = 0; i < 4; i++) {
		tl[i] = tl_new();
		f[i] = fence_new(tl[i], 1);
		SETUP(ep >= 0 && f[i] >= 0);
	}
	/* level-triggered: reported on every wait once signalled */
	EXPECT_ZERO(epoll_ctl(ep, EPOLL_CTL_ADD, f[0], &e));
	EV_IS(epoll_one(ep, 0, NULL), -100, "pending");
	EV_IS(epoll_one(ep, 50, NULL), -100, "pending, 50 ms");
	EXPECT_ZERO(tl_inc(tl[0], 1));
	EV_IS(epoll_one(ep, 1000, NULL), EPOLLIN, "signalled");
	EV_IS(epoll_one(ep, 0, NULL), EPOLLIN, "signalled, level");
	EXPECT_ZERO(epoll_ctl(ep, EPOLL_CTL_DEL, f[0], NULL));
	/* edge-triggered: once */
	e.events = EPOLLIN | EPOLLET;
	EXPECT_ZERO(epoll_ctl(ep, EPOLL_CTL_ADD, f[1], &e));
	EV_IS(epoll_one(ep, 0, NULL), -100, "ET pending");
	EXPECT_ZERO(tl_inc(tl[1], 1));
	EV_IS(epoll_one(ep, 1000, NULL), EPOLLIN, "ET signalled");
	EV_IS(epoll_one(ep, 50, NULL), -100, "ET, no second edge");
	EXPECT_ZERO(epoll_ctl(ep, EPOLL_CTL_DEL, f[1], NULL));
	/* edge-triggered on a signalled fence: the one at insertion */
	s = fence_new(tl[1], 1);
	EXPECT_ZERO(epoll_ctl(ep, EPOLL_CTL_ADD, s, &e));
	EV_IS(epoll_one(ep, 0, NULL), EPOLLIN, "ET added signalled");
	EV_IS(epoll_one(ep, 0, NULL), -100, "ET added signalled, again");
	EXPECT_ZERO(epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL));
	/* EPOLLOUT is never reported */
	e.events = EPOLLOUT;
	EXPECT_ZERO(epoll_ctl(ep, EPOLL_CTL_ADD, s, &e));
	EV_IS(epoll_one(ep, 0, NULL), -100, "EPOLLOUT on a signalled fence");
	EXPECT_ZERO(epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL));
	/* a blocked epoll_wait() is woken by an INC from another thread */
	e.events = EPOLLIN;
	EXPECT_ZERO(epoll_ctl(ep, EPOLL_CTL_ADD, f[2], &e));
	t0 = now_ms();
	REQUIRE(!pthread_create(&th, NULL, inc_later, &tl[2]), "pthread_create");
	ev = epoll_one(ep, 5000, NULL);
	t0 = now_ms() - t0;
	pthread_join(th, NULL);
	EXPECT(ev == EPOLLIN && t0 >= 150 && t0 < 4500, "woken: %#x after %.0f ms", ev, t0);
	CLOSE(ep, s, f[0], f[1], f[2], f[3], tl[0], tl[1], tl[2], tl[3]);
}

/*
 * Closing a sync_file someone waits on: poll() holds its own reference
 * (the poll table's), so the file lives on until the waiter wakes, then
 * finds the fd gone (POLLNVAL); epoll holds none, the last close takes the
 * file out of the set.  Nothing may crash when the fence signals after.
 */
static void t_close_polled(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), tl = tl_new(), f = fence_new(tl, 1);
	int g = fence_new(tl, 2), h = fence_new(tl, 3), k = fence_new(tl, 4), d, n;
	struct epoll_event e = { .events = EPOLLIN };
	struct poller w;
	__u64 data = 0;

	SETUP(ep >= 0 && f >= 0 && g >= 0 && h >= 0 && k >= 0);
	REQUIRE(poller_start(&w, f, POLLIN, 5000), "pthread_create");
	close(f);
	sleep_ms(100);
	EXPECT(!w.done, "the poller returned %#x at the close", w.ret);
	e.data.u64 = 0x1234;
	EXPECT_ZERO(epoll_ctl(ep, EPOLL_CTL_ADD, g, &e));
	close(g);
	EXPECT_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, g, NULL), EBADF);
	/* h: still open through a dup, so still in the set under its old fd */
	d = fcntl(h, F_DUPFD_CLOEXEC, 1000);	/* not f's number, see the poller */
	e.data.u64 = 0x5678;
	EXPECT_ZERO(epoll_ctl(ep, EPOLL_CTL_ADD, h, &e));
	close(h);
	/* k: closed with its poll callback armed */
	EV_IS(poll_ev(k, POLLIN, 0), 0, "k pending");
	close(k);
	EXPECT_ZERO(tl_inc(tl, 4));
	pthread_join(w.thread, NULL);
	EXPECT(w.ret == POLLNVAL && w.ms < 4500,
	       "poller of the closed fd: %#x after %.0f ms", w.ret, w.ms);
	n = epoll_one(ep, 1000, &data);
	EXPECT(n == EPOLLIN && data == 0x5678, "epoll: %#x, data %#llx", n,
	       (unsigned long long)data);
	EV_IS(epoll_one(ep, 0, NULL), EPOLLIN, "epoll, level");
	close(d);
	EV_IS(epoll_one(ep, 50, NULL), -100, "epoll after the last close");
	/* and the machinery still works */
	f = fence_new(tl, 5);
	EV_IS(poll_ev(f, POLLIN, 0), 0, "a new fence");
	EXPECT_ZERO(tl_inc(tl, 1));
	EV_IS(poll_ev(f, POLLIN, 1000), POLLIN, "a new fence, signalled");
	CLOSE(f, ep, tl);
}

/* ---- cases: processes --------------------------------------------------------- */

/* a child: its own timelines, fences, merges, polls; then the parent's fence */
static int child_work(int idx, int shared, int ptl, int ready)
{
	int tl[3], pend[3] = { 0 }, i, t, f, m = -1, n, st, rank = 0;
	struct sync_fence_info fi[MAXF];
	__u32 v;

	signal(SIGALRM, SIG_DFL);
	alarm(60);
	close(ptl);			/* the parent's timeline stays open there */
	rnd_state = 1000 + idx;
	for (i = 0; i < 3; i++)
		if ((tl[i] = tl_new()) < 0)
			return 2;
	for (i = 0; i < 40; i++) {
		t = rnd() % 3;
		v = 1 + rnd() % 20;
		f = fence_new(tl[t], v);
		if (f < 0)
			return 3;
		if ((int)v > pend[t])
			pend[t] = v;
		if (!merge_into(&m, f, "child"))
			return 4;
	}
	n = !!pend[0] + !!pend[1] + !!pend[2];
	if (sf_fences(m, fi, &st) != n || st)
		return 5;
	if (poll_ev(m, POLLIN, 0) != 0)
		return 6;
	/* entries in context order: the order this child opened its timelines */
	for (i = 0; i < 3; i++) {
		if (!pend[i])
			continue;
		if (tl_inc(tl[i], pend[i] - 1) || fence_status(m, rank) != 0)
			return 7;
		if (tl_inc(tl[i], 1) || fence_status(m, rank++) != 1)
			return 8;
	}
	if (poll_ev(m, POLLIN, 2000) != POLLIN || sf_status(m) != 1)
		return 9;
	if (write(ready, "r", 1) != 1)
		return 10;
	if (poll_ev(shared, POLLIN, 20000) != POLLIN)
		return 11;
	if (sf_status(shared) != 1)	/* 1, not -ENOENT */
		return 12;
	CLOSE(m, tl[0], tl[1], tl[2], shared);
	return 0;
}

static void t_fork(void)
{
	enum { NCHILD = 4 };
	int ptl = tl_new(), shared = fence_new(ptl, 1), p[2], i, got = 0, status;
	pid_t pid[NCHILD];
	double t0;
	char c;

	SETUP(shared >= 0 && !pipe2(p, O_CLOEXEC));
	fflush(stdout);
	for (i = 0; i < NCHILD; i++) {
		pid[i] = fork();
		if (!pid[i]) {
			close(p[0]);
			_exit(child_work(i, shared, ptl, p[1]));
		}
		EXPECT(pid[i] > 0, "fork: %s", strerror(errno));
	}
	close(p[1]);
	/* every child has done its own work and waits for the parent's fence */
	while (got < NCHILD && poll_ev(p[0], POLLIN, 30000) > 0 && read(p[0], &c, 1) == 1)
		got++;
	EXPECT(got == NCHILD, "%d of %d children ready", got, NCHILD);
	SF_IS(shared, 1, 0, "the shared fence, before");
	EXPECT_ZERO(tl_inc(ptl, 1));
	t0 = now_ms();
	for (i = 0; i < NCHILD; i++) {
		status = -1;
		if (pid[i] <= 0)
			continue;
		while (waitpid(pid[i], &status, WNOHANG) == 0 && now_ms() - t0 < 60000)
			sleep_ms(10);
		if (status == -1) {
			kill(pid[i], SIGKILL);
			waitpid(pid[i], &status, 0);
		}
		EXPECT(WIFEXITED(status) && !WEXITSTATUS(status), "child %d: status %#x", i, status);
	}
	SF_IS(shared, 1, 1, "the shared fence, after");
	CLOSE(p[0], shared, ptl);
}

/* ---- cases: leaks --------------------------------------------------------------- */

static bool slab_counted(const char *name)
{
	return !strncmp(name, "kmalloc-", 8) || !strcmp(name, "filp");
}

/*
 * Active objects of the kmalloc caches and filp; -1 without /proc/slabinfo.
 * Each is shrunk first (/sys/kernel/slab/<cache>/shrink), which gives back
 * the per-CPU slabs: their free objects count as active in slabinfo.
 */
static long slab_active(void)
{
	char *l, *save, name[64], path[128];
	long total = 0, active;
	bool any = false;
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	int fd;

	while (d && (e = readdir(d))) {
		if (!slab_counted(e->d_name))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%.64s/shrink", e->d_name);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && write(fd, "1", 1) != 1)
			errno = 0;
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
	if (!read_text("/proc/slabinfo"))
		return -1;
	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (sscanf(l, "%63s %ld", name, &active) != 2 || !slab_counted(name))
			continue;
		total += active;
		any = true;
	}
	return any ? total : -1;
}

/*
 * A round of everything, bad input included; everything closed after.
 * ro_merge and ro_create: read-only MERGE (with a valid fd2) and
 * CREATE_FENCE arguments, which fail only when the answer is written.
 */
static void *ro_merge, *ro_create;

static void leak_round(int i, int tlb)
{
	struct sync_merge_data md = { .name = "leak", .flags = 1 };
	static __u32 next;
	struct sync_fence_info fi[2];
	struct sync_file_info info;
	int tl = tl_new(), a = fence_new(tl, 1), b = fence_new(tl, 2), c = fence_new(tlb, ++next);
	int m = merge(a, c, "leak");

	sf_info(m, &info, fi, 2);
	poll_ev(m, POLLIN, 0);
	set_deadline(m, 1000 + i);
	md.fd2 = b;
	ioctl(a, SYNC_IOC_MERGE, &md);		/* EINVAL */
	md.flags = 0;
	ioctl(a, SYNC_IOC_MERGE, ro_merge);		/* EFAULT after the merge */
	ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, ro_create);	/* EFAULT after the point */
	info.num_fences = 2;
	info.sync_fence_info = (uintptr_t)bad_ptr;
	ioctl(m, SYNC_IOC_FILE_INFO, &info);	/* EFAULT */
	if (i % 3 == 0)
		close(m);			/* with its callback armed */
	if (i % 4 == 0)
		close(tl);			/* b fails with -ENOENT */
	else
		tl_inc(tl, 2);
	tl_inc(tlb, 1);
	CLOSE(i % 3 ? m : -1, i % 4 ? tl : -1, a, b, c);
}

static void t_leaks(void)
{
	int fds, ntl0, nf0, nfl0, ntl, nf, nfl, tlb = tl_new(), keep = fence_new(tlb, 1u << 30), i;
	struct sw_sync_create_fence_data cd = { .value = 3, .name = "ro", .fence = -1 };
	struct sync_merge_data md = { .name = "ro", .fd2 = keep, .fence = -1 };
	long s0, s1 = -1, best = -1;
	double t0 = now_ms();

	SETUP(tlb >= 0 && keep >= 0);
	ro_merge = ro_put(&md, sizeof(md), 512);
	ro_create = ro_put(&cd, sizeof(cd), 2048);
	for (i = 0; i < 200; i++)		/* warm up caches and the fd table */
		leak_round(i, tlb);
	fds = fd_count();
	SETUP(syncinfo_counts(&ntl0, &nf0, &nfl0));
	sleep_ms(200);
	s0 = slab_active();
	for (i = 0; i < 2000; i++)
		leak_round(i, tlb);
	FDS_SAME(fds);
	/* only the always-open tlb, in the same state */
	for (i = 0; i < 100; i++) {
		if (syncinfo_counts(&ntl, &nf, &nfl) && ntl == ntl0 && nf == nf0 && nfl == nfl0)
			break;
		sleep_ms(20);
	}
	EXPECT(ntl == ntl0 && nf == nf0 && !nfl, "sync/info: %d timelines, %d fences; were %d, %d",
	       ntl, nf, ntl0, nf0);
	/*
	 * sync_file, sync_pt and arrays come from the kmalloc caches (6.12
	 * has no caches of its own to attribute), so watch all of them and
	 * filp: 2000 rounds leaking one object each would add 2000.  RCU
	 * frees the fences late: take the lowest of a few samples.
	 */
	for (i = 0; s0 >= 0 && i < 20; i++) {
		sleep_ms(200);
		s1 = slab_active();
		if (best < 0 || s1 - s0 < best)
			best = s1 - s0;
		if (best < 100)
			break;
	}
	if (s0 < 0)
		printf("# no /proc/slabinfo: slab check skipped\n");
	else if (EXPECT(best < 600, "kmalloc-* + filp active objects: %ld -> %ld (+%ld) in 2000 rounds",
			s0, s1, best))
		printf("# kmalloc-* + filp active objects after 2000 rounds: %+ld (%.0f ms)\n", best,
		       now_ms() - t0);
	SF_IS(keep, 1, 0, "the long-lived fence");
	CLOSE(keep, tlb);
}

/* ---- cases: fail-nth (ours) ------------------------------------------------------ */

struct walk_arg {
	int a, b, tl, fd;
	struct sync_file_info info;
	struct sync_fence_info fi[4];
	char name[16];
};

static int call_merge(void *arg)
{
	struct walk_arg *w = arg;
	struct sync_merge_data d = { .name = "walk", .fd2 = w->b, .fence = -1 };
	int r = ioctl(w->a, SYNC_IOC_MERGE, &d);

	w->fd = d.fence;
	return r;
}

static void t_failnth_merge(void)
{
	int ta = tl_new(), tb = tl_new(), tc = tl_new(), td = tl_new(), r;
	struct walk_arg w = { .fd = -1 };

	/* two arrays with interleaved contexts: the merge must sort and allocate */
	w.a = merge_new(ta, 1, tc, 1, "ac");
	w.b = merge_new(tb, 1, td, 1, "bd");
	SETUP(w.a >= 0 && w.b >= 0);
	r = failnth_walk(call_merge, NULL, &w);
	if (r == 1)
		case_skip = "no dma-buf fault point in this ioctl";
	else if (!r)
		SF_IS(w.fd, 4, 0, "the merge that succeeded");
	SF_IS(w.a, 2, 0, "input a");
	SF_IS(w.b, 2, 0, "input b");
	CLOSE(w.fd, w.a, w.b, ta, tb, tc, td);
}

static int call_create(void *arg)
{
	struct walk_arg *w = arg;
	struct sw_sync_create_fence_data d = { .value = 5, .name = "walk", .fence = -1 };
	int r = ioctl(w->tl, SW_SYNC_IOC_CREATE_FENCE, &d);

	w->fd = d.fence;
	return r;
}

static void no_point_left(void *arg)
{
	struct walk_arg *w = arg;

	SYNCINFO_IS(w->name, 0, NULL);
}

static void t_failnth_create(void)
{
	struct walk_arg w = { .fd = -1 };
	int r;

	w.tl = tl_named(uniq_name(w.name, "walk"));
	SETUP(w.tl >= 0);
	r = failnth_walk(call_create, no_point_left, &w);
	if (r == 1)
		case_skip = "no dma-buf fault point in this ioctl";
	if (r < 2)
		SF_IS(w.fd, 1, 0, "the fence that was made");
	if (r < 2)
		SYNCINFO_IS(w.name, 0, "  fence active: 5 / 0", NULL);
	CLOSE(w.fd, w.tl);
}

static int call_info(void *arg)
{
	struct walk_arg *w = arg;

	memset(w->fi, 0x5c, sizeof(w->fi));
	memset(&w->info, 0, sizeof(w->info));
	w->info.num_fences = 4;
	w->info.sync_fence_info = (uintptr_t)w->fi;
	return ioctl(w->a, SYNC_IOC_FILE_INFO, &w->info);
}

static void info_untouched(void *arg)
{
	struct walk_arg *w = arg;
	struct sync_fence_info pat;

	memset(&pat, 0x5c, sizeof(pat));
	EXPECT(w->info.num_fences == 4 && !w->info.name[0] && !memcmp(&w->fi[0], &pat, sizeof(pat)),
	       "a failed FILE_INFO wrote to its arguments");
}

static void t_failnth_info(void)
{
	int ta = tl_new(), tb = tl_new(), tc = tl_new(), r;
	struct walk_arg w = { .fd = -1 };

	w.a = merge_new(ta, 1, tb, 1, "ab");
	SETUP(merge_new_into(&w.a, tc, 1, "abc"));
	r = failnth_walk(call_info, info_untouched, &w);
	if (r == 1)
		case_skip = "no dma-buf fault point in this ioctl";
	else if (!r)
		EXPECT(w.info.num_fences == 3 && !strcmp(w.fi[2].driver_name, "sw_sync"),
		       "the call that succeeded: %u fences", w.info.num_fences);
	CLOSE(w.a, ta, tb, tc);
}

/* ---- cases: fdinfo (ours) --------------------------------------------------------- */

static bool fdi_matches_info(int sf, const struct fdi *fi)
{
	struct sync_fence_info e[MAXF];
	char name[32];
	int n = sf_fences(sf, e, NULL), i, bad = 0, st = sf_status(sf);

	if (!sf_name(sf, name) || n != fi->n)
		return EXPECT(0, "fdinfo: %d fences, FILE_INFO %d", fi->n, n);
	for (i = 0; i < n; i++) {
		bad += e[i].status != fi->f[i].status || strcmp(e[i].obj_name, fi->f[i].timeline) ||
		       strcmp(e[i].driver_name, fi->f[i].driver) ||
		       (e[i].status && (long long)e[i].timestamp_ns != fi->f[i].ts);
	}
	return EXPECT(!strcmp(name, fi->name) && st == fi->status && !bad,
		      "fdinfo \"%s\" status %d, FILE_INFO \"%s\" %d; %d fences differ", fi->name,
		      fi->status, name, st, bad);
}

static void t_fdinfo_single(void)
{
	char sp[16] = "tl with space";
	unsigned long long ctx, seq;
	int tl, ts, f, g, s;
	struct fdi fi;
	char name[32];
	double t0;

	if (!have_fdinfo) {
		case_skip = "no sync_file fdinfo";
		return;
	}
	tl = tl_new();
	ts = tl_named(sp);
	t0 = now_ms();
	f = fence_new(tl, 3);
	g = fence_new(ts, 1);
	SETUP(f >= 0 && g >= 0 && tl_inc(tl, 1) == 0);
	s = fence_new(tl, 1);
	SETUP(s >= 0);
	sleep_ms(300);
	if (FDINFO(f, &fi)) {
		EXPECT(sf_name(f, name) && sw_name_ctx(name, comm, &ctx, &seq), "name \"%s\"", name);
		EXPECT(!strcmp(fi.name, name) && fi.status == 0 && fi.n == 1 &&
		       fi.f[0].ctx == ctx && fi.f[0].seqno == 3 && fi.f[0].status == 0 &&
		       !strcmp(fi.f[0].driver, "sw_sync") && !strcmp(fi.f[0].timeline, comm),
		       "active: \"%s\" %d, fence ctx %llu (%llu) seqno %llu %s %s", fi.name,
		       fi.status, fi.f[0].ctx, ctx, fi.f[0].seqno, fi.f[0].driver, fi.f[0].timeline);
		EXPECT(fi.f[0].pending_ms >= 300 && fi.f[0].pending_ms <= now_ms() - t0 + 5 &&
		       fi.f[0].pending_ms < 60000, "pending_ms %lld after %.0f ms",
		       fi.f[0].pending_ms, now_ms() - t0);
		fdi_matches_info(f, &fi);
	}
	if (FDINFO(g, &fi))
		EXPECT(fi.n == 1 && !strcmp(fi.f[0].timeline, sp), "timeline \"%s\"",
		       fi.f[0].timeline);
	if (FDINFO(s, &fi)) {
		EXPECT(fi.status == 1 && fi.n == 1 && fi.f[0].status == 1 && fi.f[0].ts > 0 &&
		       fi.f[0].seqno == 1, "signalled: %d, fence %d ts %lld", fi.status,
		       fi.f[0].status, fi.f[0].ts);
		fdi_matches_info(s, &fi);
	}
	EXPECT_ZERO(tl_inc(tl, 2));
	if (FDINFO(f, &fi)) {
		EXPECT(fi.status == 1 && fi.f[0].status == 1 && fi.f[0].pending_ms < 0 &&
		       fi.f[0].ts == (long long)fence_ts(f, 0), "f signalled: ts %lld, want %llu",
		       fi.f[0].ts, fence_ts(f, 0));
	}
	close(ts);
	if (FDINFO(g, &fi)) {
		EXPECT(fi.status == -ENOENT && fi.f[0].status == -ENOENT &&
		       fi.f[0].ts == (long long)fence_ts(g, 0), "errored: %d %d ts %lld", fi.status,
		       fi.f[0].status, fi.f[0].ts);
		fdi_matches_info(g, &fi);
	}
	CLOSE(f, g, s, tl);
}

static void t_fdinfo_merged(void)
{
	int ta, tb, tc, fa, fb, fc, m, stub, i;
	struct fdi fi;
	double t0, t1;

	if (!have_fdinfo) {
		case_skip = "no sync_file fdinfo";
		return;
	}
	ta = tl_new();
	tb = tl_new();
	tc = tl_new();
	t0 = now_ms();
	fa = fence_new(ta, 2);
	SETUP(fa >= 0);
	sleep_ms(300);
	t1 = now_ms();
	fb = fence_new(tb, 4);
	fc = fence_new(tc, 6);
	m = merge(fa, fb, "m-ab");
	SETUP(merge_into(&m, dup(fc), "merged fdinfo"));
	if (FDINFO(m, &fi)) {
		EXPECT(!strcmp(fi.name, "merged fdinfo") && fi.status == 0 && fi.n == 3,
		       "\"%s\" %d, %d fences", fi.name, fi.status, fi.n);
		for (i = 0; i < fi.n && i < 3; i++)
			EXPECT(fi.f[i].seqno == 2ULL + 2 * i && !fi.f[i].status &&
			       !strcmp(fi.f[i].driver, "sw_sync") && fi.f[i].pending_ms >= 0 &&
			       fi.f[i].pending_ms <= now_ms() - t0 + 5 &&
			       /*
				* a lower bound: the merge is as old as its
				* newer input, whose fences are younger
				*/
			       fi.f[i].pending_ms <= now_ms() - t1 + 5 &&
			       (!i || fi.f[i].ctx > fi.f[i - 1].ctx),
			       "fence %d: ctx %llu seqno %llu pending_ms %lld", i, fi.f[i].ctx,
			       fi.f[i].seqno, fi.f[i].pending_ms);
		fdi_matches_info(m, &fi);
	}
	EXPECT_ZERO(tl_inc(tb, 4));
	close(tc);
	if (FDINFO(m, &fi)) {
		EXPECT(fi.status == 0 && fi.n == 3 && fi.f[0].status == 0 && fi.f[1].status == 1 &&
		       fi.f[2].status == -ENOENT && fi.f[1].ts > 0 && fi.f[2].ts >= fi.f[1].ts,
		       "statuses %d %d %d", fi.f[0].status, fi.f[1].status, fi.f[2].status);
		fdi_matches_info(m, &fi);
	}
	EXPECT_ZERO(tl_inc(ta, 2));
	EV_IS(poll_ev(m, POLLIN, 1000), POLLIN, "all done");
	if (FDINFO(m, &fi))
		fdi_matches_info(m, &fi);
	stub = merge(fa, fb, "");
	if (FDINFO(stub, &fi)) {
		EXPECT(!strcmp(fi.name, "stub-stub0-0") && fi.status == 1 && fi.n == 1 &&
		       !fi.f[0].ctx && !fi.f[0].seqno && fi.f[0].status == 1 &&
		       fi.f[0].ts == (long long)fence_ts(fa, 0) && !strcmp(fi.f[0].driver, "stub") &&
		       !strcmp(fi.f[0].timeline, "stub"), "stub: \"%s\" ctx %llu %s/%s ts %lld",
		       fi.name, fi.f[0].ctx, fi.f[0].driver, fi.f[0].timeline, fi.f[0].ts);
		fdi_matches_info(stub, &fi);
	}
	CLOSE(stub, m, fa, fb, fc, ta, tb);
}

/* names come from userspace: a newline in one must not forge a line */
static void t_fdinfo_escaped_and_capped(void)
{
	char path[64], *p;
	int tl, f, m = -1, tls[300], i, lines = 0;

	if (!have_fdinfo) {
		case_skip = "no sync_file fdinfo";
		return;
	}
	tl = tl_named("e\nfence:\tx");
	f = fence_new(tl, 1);
	SETUP(f >= 0);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", f);
	SETUP(read_text(path));
	EXPECT(!strstr(text, "\nfence:\tx") && strstr(text, " timeline=e\\012fence:\\011x\n"),
	       "task name with a newline: [%.200s]", strstr(text, "timeline=") ?: text);
	CLOSE(f, tl);
	/* UTF-8 (a euro sign) is escaped byte by byte, not half of it */
	tl = tl_named("eur\xe2\x82\xac");
	f = fence_new(tl, 1);
	SETUP(f >= 0);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", f);
	SETUP(read_text(path));
	EXPECT(strstr(text, " timeline=eur\\342\\202\\254\n"), "UTF-8 task name: [%.200s]",
	       strstr(text, "timeline=") ?: text);
	CLOSE(f, tl);

	/* a merge of 300 fences lists 256 and counts the rest */
	for (i = 0; i < 300; i++)
		tls[i] = -1;
	for (i = 0; i < 300; i++) {
		tls[i] = tl_new();
		SETUP(merge_into(&m, fence_new(tls[i], 1), "300"));
	}
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", m);
	SETUP(read_text(path));
	for (p = text; (p = strstr(p, "\nfence:\t")); p++)
		lines++;
	EXPECT(strstr(text, "\nfences:\t300\n") && lines == 256 &&
	       strstr(text, "\nfences_not_listed:\t44\n"), "%d fence lines", lines);
	close(m);
	close_all(tls, 300);
}

static const struct tap_case cases[] = {
	{ t_merge_basic, "MERGE: two timelines, CLOEXEC fd, struct written back" },
	{ t_merge_einval, "MERGE: flags or pad set is EINVAL, before fd2" },
	{ t_merge_enoent, "MERGE: fd2 not a sync_file (pipe, null, timeline, closed) ENOENT" },
	{ t_merge_efault, "MERGE: bad pointers EFAULT, read-only result leaks no fd" },
	{ t_merge_name, "MERGE: name cut at 31, generated names when empty" },
	{ t_merge_writeback, "MERGE: the struct comes back with name[31] cleared" },
	{ t_merge_self, "MERGE: with itself, one timeline collapses, one per open" },
	{ t_merge_signalled, "MERGE: signalled/errored dropped, stub with latest time" },
	{ t_merge_many, "MERGE: 1..1024 fences on 1..64 timelines, latest kept" },
	{ t_merge_poll, "MERGE: poll of a merge follows its components" },
	{ t_info_protocol, "FILE_INFO: num_fences 0 counts, pointer unused" },
	{ t_info_einval, "FILE_INFO: flags/pad, too few entries EINVAL, untouched" },
	{ t_info_sizes, "FILE_INFO: more room (up to 0xffffffff) writes count entries" },
	{ t_info_efault, "FILE_INFO: bad struct/entry pointers EFAULT, struct kept" },
	{ t_info_fields, "FILE_INFO: names, driver, status, timestamps, zero tails" },
	{ t_info_status, "FILE_INFO: file status, first non-positive entry" },
	{ t_info_name, "FILE_INFO: sw_sync-<comm><ctx>-<seqno> name, cut at 31" },
	{ t_deadline, "SET_DEADLINE: pad EINVAL, earliest kept, shared point" },
	{ t_deadline_get_errors, "GET_DEADLINE: EINVAL/EFAULT cases, arrays, any timeline" },
	{ t_deadline_merged, "SET_DEADLINE: a merge passes it to pending components" },
	{ t_unknown_ioctl, "ioctl: unknown commands on sync_file and timeline ENOTTY" },
	{ t_file_ops, "file: anon_inode:sync_file, O_RDONLY, no read/write/seek/mmap" },
	{ t_sw_sync_efault, "sw_sync: INC/CREATE_FENCE faults EFAULT, nothing left" },
	{ t_sw_sync_inc, "sw_sync: INC signals up to the value in order, born signalled" },
	{ t_sw_sync_wrap, "sw_sync: INC 0xffffffff and 2^31, 32-bit wrapping order" },
	{ t_sw_sync_close, "sw_sync: closing the timeline fails points -ENOENT, wakes" },
	{ t_syncinfo, "sync/info: timeline value and points, until all closed" },
	{ t_poll, "poll/select: pending, timeout, POLLIN once signalled, no POLLOUT" },
	{ t_poll_threads, "poll: blocked pollers on a file and a merge are woken" },
	{ t_epoll, "epoll: level, edge, no EPOLLOUT, woken from a thread" },
	{ t_close_polled, "close while polled or in an epoll set, then signal" },
	{ t_fork, "fork: 4 children with own timelines and a shared fence" },
	{ t_leaks, "leaks: 2000 rounds, fds, sync/info, slab objects" },
	{ t_failnth_merge, "fail-nth: SYNC_IOC_MERGE walk, ENOMEM, no fd leaked" },
	{ t_failnth_create, "fail-nth: SW_SYNC_IOC_CREATE_FENCE walk, nothing left" },
	{ t_failnth_info, "fail-nth: SYNC_IOC_FILE_INFO walk, arguments untouched" },
	{ t_fdinfo_single, "fdinfo: one sw_sync fence active, signalled, errored" },
	{ t_fdinfo_merged, "fdinfo: a merge's fences, pending_ms, the stub" },
	{ t_fdinfo_escaped_and_capped, "fdinfo: names escaped, at most 256 fences listed" },
};

int main(void)
{
	unsigned int i, n = sizeof(cases) / sizeof(cases[0]);
	struct rlimit rl;
	char *area, *c, path[64];
	int tl, f;

	pgsz = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%u\n", n);
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 4096 && rl.rlim_max >= 4096) {
		rl.rlim_cur = 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	c = read_text("/proc/self/comm");
	snprintf(comm, sizeof(comm), "%s", c ? c : "");
	comm[strcspn(comm, "\n")] = 0;
	area = mmap(NULL, 3 * pgsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	tl = tl_new();
	f = fence_new(tl, 1);
	if (area == MAP_FAILED || tl < 0 || f < 0 || !comm[0]) {
		printf("# setup: %s: %s\n", SW_SYNC_PATH, strerror(errno));
		for (i = 0; i < n; i++)
			printf("not ok %u - %s\n", i + 1, cases[i].name);
		return 1;
	}
	munmap(area + pgsz, pgsz);
	bad_ptr = area + pgsz;
	ro_page = area + 2 * pgsz;
	mprotect(ro_page, pgsz, PROT_READ);
	failnth_open();
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", f);
	c = read_text(path);
	have_fdinfo = c && strstr(c, "\nsync_file:\t");
	printf("# comm \"%s\", %s, sync_file fdinfo %s, fail-nth %s\n", comm,
	       sizeof(void *) == 8 ? "64-bit" : "32-bit", have_fdinfo ? "yes" : "no",
	       failnth_w >= 0 ? "yes" : "no");
	CLOSE(f, tl);

	return run_cases(cases, n);
}
