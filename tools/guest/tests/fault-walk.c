// SPDX-License-Identifier: GPL-2.0-only
/*
 * fault-walk: every uAPI path of dma-buf, walked one allocation failure at
 * a time with the per-task fail-nth (/proc/self/task/<tid>/fail-nth,
 * CONFIG_FAULT_INJECTION).
 *
 * Step k of a walk sets fail-nth = k, makes the call, reads fail-nth back
 * and sets it to 0.  Every fault point the task passes counts it down and
 * the one that takes it to 0 fails.  Then:
 *  - the call failed: with ENOMEM and fail-nth 0 (our fault, not another
 *    error), writing no out field, leaving nothing behind (fd count,
 *    dma-bufs and attached devices in debugfs dma_buf/bufinfo, timelines
 *    and points in sync/info) and its inputs working (each path's check:
 *    a failed SYNC_IOC_MERGE's inputs still show their fence, a failed
 *    SET_NAME leaves the old name in fdinfo, ...);
 *  - it succeeded with fail-nth left over: k is past the last point and the
 *    walk is complete with k - 1 points; the result must work;
 *  - it succeeded with fail-nth 0: a point took the fault and the call did
 *    not fail -- an allocation that copes with failing.  On the debug
 *    kernel most are kmemleak's metadata for each slab object (it falls
 *    back to its pool: with kmemleak=off they are gone), the rest GFP_NOWAIT
 *    or GFP_ATOMIC tries with a fallback: xarray and radix-tree nodes (to
 *    the preload pool, e.g. dma-debug's cacheline tree in vgem's import), a
 *    high-order page before order 0, debug-objects and stack depot refills,
 *    a page table in a fault (VM_FAULT_OOM, which the #PF handler retries).
 *    The step is tried ABSORB_TRIES more times, then counted as "absorbed"
 *    and the walk goes on.  Without failslab and fail_page_alloc our
 *    dma_buf_fail_alloc() (dma-buf-fault.h) is the only consumer, and such
 *    a step is a failure the path ignored: an error there.
 * After each walk /proc/meminfo Slab must be back within SLAB_SLACK_KB: a
 * coarse check (walks have 1 to 30 steps, so only a leak of tens of KiB
 * per step shows); small leaks show in the fd, dma-buf and timeline counts
 * and the pins checked after every step, or to kmemleak at the end.  No
 * step may have put a WARNING, BUG or KASAN line in the kernel log
 * (/dev/kmsg).
 *
 * Each path is walked in two flavours, one TAP case each:
 *  hook: failslab and fail_page_alloc as they are.  On the test kernel (no
 *    CONFIG_FAILSLAB/FAIL_PAGE_ALLOC) that is our own fault points only;
 *    so it is on the debug kernel, whose /init closes their filters
 *    (failslab cache-filter, fail_page_alloc min-order 11); elsewhere their
 *    default ignore-gfp-wait=Y adds the allocations that cannot sleep.
 *  all: where debugfs has failslab and fail_page_alloc (the debug kernel),
 *    their filters are opened -- no cache filter, ignore-gfp-wait=N,
 *    highmem and order 0
 *    too, verbose 0; probability stays 0, so only fail-nth fails anything --
 *    and every slab and page allocation of the path is a point: names, fd
 *    tables, inodes, files, sysfs nodes, sg tables, pages, page tables.
 *    The knobs are saved at the start and put back after each case, at exit
 *    and on the case alarm.  Skipped where they do not exist.
 *
 * Buffers are a few pages so that each case fits the 120 s alarm at the
 * debug kernel's pace under QEMU TCG.  TAP on stdout, exit 0 iff all passed.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <setjmp.h>
#include <stdint.h>
#include <time.h>
#include <sys/mman.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>
#include <linux/udmabuf.h>

#include "tap.h"

#define MAX_K		2000	/* no path has that many points */
#define ABSORB_TRIES	3	/* retries of a step whose fault went elsewhere */
#define CASE_BUDGET_MS	105000	/* give up cleanly before run_cases' 120 s alarm */
#define SLAB_SLACK_KB	1024
#define HEAP_DIR	"/dev/dma_heap"
#define FI_DIR		"/sys/kernel/debug/"
#define RW_CLOEXEC	(O_RDWR | O_CLOEXEC)

static long pgsz;
static int sys_heap = -1, cma_heap = -1, udev = -1, vgem = -1, kmsg = -1;
static bool other_consumers;	/* failslab or fail_page_alloc: fail-nth is not ours alone */
static double case_t0;
static unsigned int n_paths, n_points, n_absorbed;

/* async-signal-safe: the alarm handler restores the knobs with it */
static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), len = strlen(s);
	int r = fd >= 0 && write(fd, s, len) == len ? 0 : -1;

	if (fd >= 0)
		close(fd);
	return r;
}

/* ---- the "all" flavour's knobs ------------------------------------------ */

static const char *const knob[][2] = {
	/* /init closes these on the debug kernel (quiet_fault_injection) */
	{ FI_DIR "failslab/cache-filter", "N" },
	{ FI_DIR "failslab/ignore-gfp-wait", "N" },
	{ FI_DIR "failslab/verbose", "0" },
	{ FI_DIR "fail_page_alloc/ignore-gfp-wait", "N" },
	{ FI_DIR "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ FI_DIR "fail_page_alloc/min-order", "0" },
	{ FI_DIR "fail_page_alloc/verbose", "0" },
	/* not set, but each injected failure counts them down: put back too */
	{ FI_DIR "failslab/times", NULL },
	{ FI_DIR "fail_page_alloc/times", NULL },
};
#define NKNOBS (sizeof(knob) / sizeof(knob[0]))	/* no ARRAY_SIZE in userspace */
static char knob_saved[NKNOBS][24];
static bool have_knobs;
static volatile sig_atomic_t knobs_set;

static void knobs_restore(void)
{
	unsigned int i;

	for (i = 0; knobs_set && i < NKNOBS; i++)
		write_str(knob[i][0], knob_saved[i]);
	knobs_set = 0;
}

static void knobs_save(void)
{
	unsigned int i;
	char *t;

	for (i = 0, have_knobs = true; have_knobs && i < NKNOBS; i++) {
		t = read_text(knob[i][0]);
		have_knobs = t && *t;
		if (have_knobs)
			snprintf(knob_saved[i], sizeof(knob_saved[0]), "%.*s", (int)strcspn(t, "\n"), t);
	}
}

static bool knobs_open(void)
{
	unsigned int i;
	bool ok = true;

	knobs_set = 1;
	for (i = 0; i < NKNOBS; i++)
		if (knob[i][1] && write_str(knob[i][0], knob[i][1]))
			ok = EXPECT(false, "write %s: %s", knob[i][0], strerror(errno));
	return ok;
}

/* the case alarm: the knobs back first, then tap.h's timeout line */
static void on_alarm(int sig)
{
	failnth_set(0);
	knobs_restore();
	tap_on_alarm(sig);
}

/* killed (init's timeout, ^C): the knobs back, then die of the signal */
static void on_term(int sig)
{
	failnth_set(0);
	knobs_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- what a step may not leave behind ----------------------------------- */

struct state {
	int fds, bufs, attached, timelines, points;
};

static void state_now(struct state *s)
{
	char *p, *l, *word;
	int n, sect = 0;

	s->fds = fd_count();
	s->bufs = s->attached = s->timelines = s->points = -1;
	/* "Total N devices attached" per buffer, "Total N objects, M bytes" */
	p = read_text("/sys/kernel/debug/dma_buf/bufinfo");
	if (p)
		s->attached = 0;
	for (l = p ? strstr(p, "\nTotal ") : NULL; l; l = strstr(l + 1, "\nTotal ")) {
		word = strchr(l + 7, ' ');
		if (sscanf(l, "\nTotal %d", &n) != 1 || !word)
			continue;
		if (!strncmp(word, " devices attached", 17))
			s->attached += n;
		else if (!strncmp(word, " objects", 8))
			s->bufs = n;
	}
	p = read_text("/sys/kernel/debug/sync/info");
	if (p)
		for (s->timelines = s->points = 0, l = strtok(p, "\n"); l; l = strtok(NULL, "\n")) {
			if (!strcmp(l, "objs:") || !strcmp(l, "fences:"))
				sect = l[0] == 'o';
			else if (sect && l[0] != '-')
				*(strncmp(l, "  fence ", 8) ? &s->timelines : &s->points) += 1;
		}
}

/* back at base; releases lag a little (fput, RCU): poll a second */
static bool state_back(const struct state *base, const char *path, int k)
{
	struct state s;
	int i;

	for (i = 0; i < 50; i++) {
		state_now(&s);
		if (!memcmp(&s, base, sizeof(s)))
			return true;
		sleep_ms(20);
	}
	return EXPECT(false, "%s k=%d: fds %d (were %d), dma-bufs %d (%d), attached %d (%d), "
		      "timelines %d (%d), sw_sync points %d (%d)", path, k, s.fds, base->fds, s.bufs,
		      base->bufs, s.attached, base->attached, s.timelines, base->timelines, s.points,
		      base->points);
}

/*
 * New kernel log lines that say the kernel found a bug.  What injected
 * failures print on purpose (page allocation failure, "SLUB: Unable to
 * allocate", kobject_add_internal failed) does not match.
 */
static bool kmsg_clean(const char *path, int k)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "UBSAN:", "general protection fault", "INFO: task",
		"kmemleak: Cannot", "dma-debug disabled", "DMA-API: debugging out of memory",
	};
	char rec[8192], *m;	/* a read shorter than the record is EINVAL */
	unsigned int i, n_bad = 0;
	ssize_t n;

	while (kmsg >= 0 && ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 || errno == EPIPE)) {
		if (n <= 0)	/* EPIPE: records overwritten, read on */
			continue;
		rec[n] = 0;
		m = strchr(rec, ';') ? strchr(rec, ';') + 1 : rec;
		m[strcspn(m, "\n")] = 0;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strstr(m, bad[i]) && n_bad++ < 8)
				printf("# %s k=%d: kernel: %s\n", path, k, m);
	}
	return EXPECT(!n_bad, "%s k=%d: %u kernel log line(s) of a bug", path, k, n_bad);
}

/* ---- Slab ------------------------------------------------------------------ */

static struct slabs {
	int n;
	char name[600][40];
	long kb[600];
} slab_before, slab_after;

static void slabs_read(struct slabs *s)
{
	char *p = read_text("/proc/slabinfo"), *l;
	long act, num, size;

	s->n = 0;
	for (l = p ? strtok(p, "\n") : NULL; l && s->n < 600; l = strtok(NULL, "\n"))
		if (sscanf(l, "%39s %ld %ld %ld", s->name[s->n], &act, &num, &size) == 4)
			s->kb[s->n++] = act * size / 1024;
}

static long slab_wait(long slab0, int ms)
{
	double t = now_ms();
	long s;

	while ((s = meminfo_kb("Slab")) > slab0 + SLAB_SLACK_KB && now_ms() - t < ms)
		sleep_ms(100);
	return s;
}

/*
 * Slab back within the slack after a walk, else shrink each cache that
 * grew and look again: that frees empty slabs and, with KASAN, the freed
 * objects its quarantine holds (kmem_cache_shrink() drains the cache's
 * quarantine), which a leak-free walk can fill far past the slack.
 * Returns the growth in kB; grown names what grew 256 kB or more.
 */
static long slab_check(const char *path, long slab0, char *grown, size_t len)
{
	long s = slab_wait(slab0, 1000), d;
	char p[128];
	int i, j;

	grown[0] = 0;
	if (s <= slab0 + SLAB_SLACK_KB)
		return s - slab0;
	slabs_read(&slab_after);
	for (i = 0; i < slab_after.n; i++) {
		for (j = 0; j < slab_before.n && strcmp(slab_before.name[j], slab_after.name[i]); j++)
			;
		d = slab_after.kb[i] - (j < slab_before.n ? slab_before.kb[j] : 0);
		if (d < 32)
			continue;
		snprintf(p, sizeof(p), "/sys/kernel/slab/%s/shrink", slab_after.name[i]);
		write_str(p, "1");
		if (d >= 256 && strlen(grown) + 60 < len)
			sprintf(grown + strlen(grown), " %s +%ld kB", slab_after.name[i], d);
	}
	s = slab_wait(slab0, 2000);
	EXPECT(s <= slab0 + SLAB_SLACK_KB, "%s: Slab %ld kB after the walk, %ld kB before; grew:%s",
	       path, s, slab0, grown);
	return s - slab0;
}

/* ---- the walk ----------------------------------------------------------- */

struct walk {
	const char *path;
	int (*prep)(struct walk *w);	/* per step, fail-nth 0: fresh inputs */
	int (*op)(struct walk *w);	/* the walked call(s): 0, or -1 and errno */
	/* after a failure: the inputs still work; after the success: the result */
	void (*check)(struct walk *w, bool failed);
	const char *step;		/* which call of op failed */
	int k;
	int a, b;			/* inputs that stay for the walk */
	int out, out0;			/* the call's out field, and what it was before */
	int fd, mfd[2];			/* what a step made: dropped after it */
	__u32 flags, handle, handle2;
	size_t len;
	unsigned char *map;
};

static void gem_close(__u32 *handle)
{
	struct drm_gem_close c = { .handle = *handle };

	if (*handle)
		ioctl(vgem, DRM_IOCTL_GEM_CLOSE, &c);
	*handle = 0;
}

static void walk(struct walk *w)
{
	int k, tries = 0, r = 0, e = 0, nfail = 0, absorbed = 0, bad_errno = 0;
	long left = -1, slab0 = meminfo_kb("Slab"), grew;
	char ks[160] = "", grown[400];
	double t0 = now_ms();
	struct state base;
	bool complete = false;

	if (case_failed)	/* an earlier walk of this case failed */
		return;
	state_now(&base);
	slabs_read(&slab_before);
	kmsg_clean(w->path, 0);
	for (k = 1; k <= MAX_K && !complete; k++) {
		for (tries = 0; tries <= ABSORB_TRIES; tries++) {
			if (!EXPECT(now_ms() - case_t0 < CASE_BUDGET_MS, "%s: out of time at k=%d",
				    w->path, k))
				goto out;
			w->k = k;
			w->step = NULL;
			w->fd = w->mfd[0] = w->mfd[1] = -1;
			w->handle = w->handle2 = 0;
			w->map = NULL;
			w->out = w->out0;
			if (w->prep && !EXPECT(!w->prep(w), "%s k=%d: setup: %s", w->path, k, strerror(errno)))
				goto out;
			if (!EXPECT(!failnth_set(k), "write fail-nth: %s", strerror(errno)))
				goto out;
			r = w->op(w);
			e = errno;
			left = failnth_get();
			failnth_set(0);
			if (r) {
				/* with the fault still pending it failed for another reason */
				EXPECT(left == 0, "%s k=%d: %s%s%s, fail-nth %ld left: not our fault",
				       w->path, k, w->step ?: "", w->step ? ": " : "", strerror(e), left);
				EXPECT(w->out == w->out0, "%s k=%d: out field %d written by the failure",
				       w->path, k, w->out);
				if (e != ENOMEM && bad_errno++ < 5)
					printf("# %s k=%d: %s%s%s, want ENOMEM\n", w->path, k,
					       w->step ?: "", w->step ? ": " : "", strerror(e));
			} else if (w->out != w->out0) {
				w->fd = w->out;
			}
			if (w->check && (r || left > 0))
				w->check(w, r);
			if (w->map)
				munmap(w->map, w->len);
			CLOSE(w->fd, w->mfd[0], w->mfd[1]);
			gem_close(&w->handle);
			gem_close(&w->handle2);
			if (!state_back(&base, w->path, k) || !kmsg_clean(w->path, k) || case_failed)
				goto out;
			if (r || left > 0)
				break;
		}
		if (r) {
			nfail++;
		} else if (left > 0) {
			complete = true;
		} else {
			absorbed++;
			if (strlen(ks) < sizeof(ks) - 12)
				sprintf(ks + strlen(ks), " %d", k);
		}
	}
out:
	failnth_set(0);
	k--;	/* the last step's */
	EXPECT(complete || case_failed, "%s: still failing at k=%d", w->path, k);
	EXPECT(!bad_errno, "%s: %d failure(s) with another errno than ENOMEM", w->path, bad_errno);
	EXPECT(!absorbed || other_consumers, "%s: fault(s) of ours spent without a failure at k =%s "
	       "(nothing else consumes fail-nth here)", w->path, ks);
	if (complete) {
		grew = slab_check(w->path, slab0, grown, sizeof(grown));
		printf("# %s: %d fault points (%d failed, %d absorbed%s%s), %.1f s, Slab %+ld kB%s%s\n",
		       w->path, k - 1, nfail, absorbed, absorbed ? " at k =" : "", ks,
		       (now_ms() - t0) / 1e3, grew, grown[0] ? ", shrunk:" : "", grown);
		n_paths++;
		n_points += k - 1;
		n_absorbed += absorbed;
	}
}

/* ---- helpers ---------------------------------------------------------------- */

static int buf_new(int heap, size_t len)
{
	struct dma_heap_allocation_data d = { .len = len, .fd_flags = RW_CLOEXEC };

	return heap < 0 || ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d) ? -1 : (int)d.fd;
}

static int buf_sync(int fd, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

/* fd is len bytes that map, sync and keep what was written */
static bool buf_works(int fd, size_t len)
{
	unsigned char *p;
	bool ok;
	size_t i;

	if (fd < 0 || lseek(fd, 0, SEEK_END) != (off_t)len)
		return false;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return false;
	ok = !buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	for (i = 0; i < len; i += pgsz)
		p[i] = (unsigned char)(i / pgsz + 7);
	ok = !buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW) && ok;
	for (i = 0; ok && i < len; i += pgsz)
		ok = p[i] == (unsigned char)(i / pgsz + 7);
	munmap(p, len);
	return ok;
}

#define BUF_WORKS(fd, len, what)					\
	EXPECT(buf_works(fd, len), "%s k=%d: %s (fd %d) is not %zu bytes that map, sync, keep data", \
	       w->path, w->k, what, fd, (size_t)(len))

static int tl_new(void)
{
	return open(SW_SYNC_PATH, RW_CLOEXEC);
}

static int fence_new(int tl, __u32 value)
{
	struct sw_sync_create_fence_data d = { .value = value, .name = "fault-walk", .fence = -1 };

	return tl < 0 || ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d) ? -1 : d.fence;
}

static int merge(int a, int b)
{
	struct sync_merge_data d = { .name = "fault-walk", .fd2 = b, .fence = -1 };

	return a < 0 || b < 0 || ioctl(a, SYNC_IOC_MERGE, &d) ? -1 : d.fence;
}

/* a sync_file's fence count (num_fences = 0 asks for it) and status */
#define SF_IS(sf, n, st, what) ({					\
	struct sync_file_info i_ = { .status = -99 };			\
	int n_ = (sf) < 0 || ioctl(sf, SYNC_IOC_FILE_INFO, &i_) ? -1 : (int)i_.num_fences; \
	EXPECT(n_ == (n) && i_.status == (st), "%s k=%d: %s: %d fences, status %d; want %d, %d", \
	       w->path, w->k, what, n_, i_.status, n, st);		\
})

static int import_sf(int buf, int sf, __u32 flags)
{
	struct dma_buf_import_sync_file a = { .flags = flags, .fd = sf };

	return ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &a);
}

/* ---- paths: heap ALLOC, udmabuf ------------------------------------------------ */

static void check_buf(struct walk *w, bool failed)
{
	if (!failed)
		BUF_WORKS(w->fd, w->len, "the new dma-buf");
}

static int op_alloc(struct walk *w)
{
	struct dma_heap_allocation_data d = { .len = w->len, .fd_flags = RW_CLOEXEC };
	int r = ioctl(w->a, DMA_HEAP_IOCTL_ALLOC, &d);

	w->out = (int)d.fd;	/* 6.12's dma_heap_ioctl() copies out after a success only */
	return r;
}

/* system: 17 pages, an order-4 chunk (its failure falls back to pages) and a page */
static void p_alloc_system(void)
{
	struct walk w = { .path = "heap ALLOC system", .op = op_alloc, .check = check_buf,
			  .a = sys_heap, .len = 17 * pgsz, .out0 = 0 };

	walk(&w);
}

static void p_alloc_cma(void)
{
	struct walk w = { .path = "heap ALLOC cma", .op = op_alloc, .check = check_buf,
			  .a = cma_heap, .len = 4 * pgsz, .out0 = 0 };

	if (cma_heap < 0)
		case_skip = "no CMA heap";
	else
		walk(&w);
}

/* fresh memfds each step: the pin allocates their shmem pages too */
static int prep_memfds(struct walk *w)
{
	int i;

	for (i = 0; i < 2; i++) {
		w->mfd[i] = memfd_create("fault-walk", MFD_ALLOW_SEALING | MFD_CLOEXEC);
		if (w->mfd[i] < 0 || ftruncate(w->mfd[i], w->len) ||
		    fcntl(w->mfd[i], F_ADD_SEALS, F_SEAL_SHRINK))
			return -1;
	}
	return 0;
}

static int op_create(struct walk *w)
{
	struct udmabuf_create c = { .memfd = w->mfd[0], .flags = UDMABUF_FLAGS_CLOEXEC,
				    .size = w->len };

	w->out = ioctl(udev, UDMABUF_CREATE, &c);
	return w->out < 0 ? -1 : 0;
}

/* two items, half of each memfd (8-byte aligned for the __u64 fields) */
static __u64 ulist[(sizeof(struct udmabuf_create_list) +
		     2 * sizeof(struct udmabuf_create_item)) / 8];

static int op_create_list(struct walk *w)
{
	struct udmabuf_create_list *l = (void *)ulist;
	int i;

	l->flags = UDMABUF_FLAGS_CLOEXEC;
	l->count = 2;
	for (i = 0; i < 2; i++) {
		l->list[i].memfd = w->mfd[i];
		l->list[i].offset = i * w->len / 2;
		l->list[i].size = w->len / 2;
	}
	w->out = ioctl(udev, UDMABUF_CREATE_LIST, l);
	return w->out < 0 ? -1 : 0;
}

/*
 * After a failure no folio stays pinned: F_SEAL_WRITE waits for extra
 * references on the memfd's pages, EBUSY while one is left
 * (memfd_wait_for_pins()).
 */
static void check_create(struct walk *w, bool failed)
{
	int i;

	for (i = 0; failed && i < 2; i++)
		EXPECT(!fcntl(w->mfd[i], F_ADD_SEALS, F_SEAL_WRITE), "%s k=%d: F_SEAL_WRITE on memfd %d: "
		       "%s (a pin left?)", w->path, w->k, i, strerror(errno));
	check_buf(w, failed);
}

static void p_udmabuf(int (*op)(struct walk *w), const char *path)
{
	struct walk w = { .path = path, .prep = prep_memfds, .op = op, .check = check_create,
			  .len = 4 * pgsz, .out0 = -1 };

	if (udev < 0)
		case_skip = "no /dev/udmabuf";
	else
		walk(&w);
}

static void p_udmabuf_create(void)
{
	p_udmabuf(op_create, "UDMABUF_CREATE");
}

static void p_udmabuf_list(void)
{
	p_udmabuf(op_create_list, "UDMABUF_CREATE_LIST");
}

/* ---- paths: implicit fences, the name ---------------------------------------- */

static int op_export(struct walk *w)
{
	struct dma_buf_export_sync_file a = { .flags = w->flags, .fd = -1 };
	int r = ioctl(w->a, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &a);

	w->out = a.fd;
	return r;
}

/* b fences on the buffer come back, or with none the signalled stub */
static void check_export(struct walk *w, bool failed)
{
	if (failed) {
		EXPECT(!op_export(w), "%s k=%d: EXPORT again: %s", w->path, w->k, strerror(errno));
		w->fd = w->out;
	}
	SF_IS(w->fd, w->b ? w->b : 1, w->b ? 0 : 1, failed ? "exported again" : "the sync_file");
}

static void p_export(void)
{
	struct walk w = { .path = "EXPORT_SYNC_FILE pending", .op = op_export, .check = check_export,
			  .flags = DMA_BUF_SYNC_WRITE, .b = 2, .out0 = -1 };
	int t1 = tl_new(), t2 = tl_new(), f1 = fence_new(t1, 1), f2 = fence_new(t2, 1);

	/* a write and a read fence on two timelines: a fence array to make */
	w.a = buf_new(sys_heap, pgsz);
	SETUP(w.a >= 0 && f1 >= 0 && f2 >= 0);
	SETUP(!import_sf(w.a, f1, DMA_BUF_SYNC_WRITE) && !import_sf(w.a, f2, DMA_BUF_SYNC_READ));
	walk(&w);
	CLOSE(f1, f2, t1, t2, w.a);
	w.path = "EXPORT_SYNC_FILE idle";
	w.a = buf_new(sys_heap, pgsz);
	w.b = 0;
	w.flags = DMA_BUF_SYNC_RW;
	SETUP(w.a >= 0);
	walk(&w);
	close(w.a);
}

static int op_import(struct walk *w)
{
	return import_sf(w->a, w->b, w->flags);
}

/* a failure adds nothing; a read fence holds off writers, a write fence all */
static void check_import(struct walk *w, bool failed)
{
	struct pollfd p = { .fd = w->a, .events = POLLIN | POLLOUT };
	int want = failed ? POLLIN | POLLOUT : w->flags == DMA_BUF_SYNC_READ ? POLLIN : 0;

	EXPECT(poll(&p, 1, 0) >= 0 && p.revents == want, "%s k=%d: poll %#x after the %s, want %#x",
	       w->path, w->k, p.revents, failed ? "failure" : "import", want);
	SF_IS(w->b, 1, 0, "the sync_file");
}

static void p_import(void)
{
	struct walk w = { .path = "IMPORT_SYNC_FILE READ", .op = op_import, .check = check_import,
			  .flags = DMA_BUF_SYNC_READ, .out0 = -1 };
	int b1 = buf_new(sys_heap, pgsz), b2 = buf_new(sys_heap, pgsz), tl = tl_new();

	w.b = fence_new(tl, 1);
	SETUP(b1 >= 0 && b2 >= 0 && w.b >= 0);
	w.a = b1;
	walk(&w);
	w.path = "IMPORT_SYNC_FILE RW";
	w.a = b2;
	w.flags = DMA_BUF_SYNC_RW;
	walk(&w);
	CLOSE(w.b, tl, b1, b2);
}

static int op_set_name(struct walk *w)
{
	char name[] = "fw-after";	/* on the stack: resident, no fault to take */

	return ioctl(w->a, DMA_BUF_SET_NAME_B, name);
}

static void check_set_name(struct walk *w, bool failed)
{
	char path[64], want[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", w->a);
	snprintf(want, sizeof(want), "\nname:\t%s\n", failed ? "fw-before" : "fw-after");
	EXPECT(read_text(path) && strstr(text, want), "%s k=%d: fdinfo has not \"%s\"", w->path,
	       w->k, want + 1);
}

static void p_set_name(void)
{
	struct walk w = { .path = "DMA_BUF_SET_NAME_B", .op = op_set_name, .check = check_set_name,
			  .out0 = -1 };

	w.a = buf_new(sys_heap, pgsz);
	SETUP(w.a >= 0 && !ioctl(w.a, DMA_BUF_SET_NAME_B, "fw-before"));
	walk(&w);
	close(w.a);
}

/* ---- paths: sync_file, sw_sync --------------------------------------------- */

static int op_merge(struct walk *w)
{
	struct sync_merge_data d = { .name = "walked", .fd2 = w->b, .fence = -1 };
	int r = ioctl(w->a, SYNC_IOC_MERGE, &d);

	w->out = d.fence;
	return r;
}

static void check_merge(struct walk *w, bool failed)
{
	SF_IS(w->a, 1, 0, "input a");
	SF_IS(w->b, 1, 0, "input b");
	if (!failed)
		SF_IS(w->fd, 2, 0, "the merged sync_file");
}

static void p_merge(void)
{
	struct walk w = { .path = "SYNC_IOC_MERGE", .op = op_merge, .check = check_merge,
			  .out0 = -1 };
	int t1 = tl_new(), t2 = tl_new();

	w.a = fence_new(t1, 1);
	w.b = fence_new(t2, 1);
	SETUP(w.a >= 0 && w.b >= 0);
	walk(&w);
	CLOSE(w.a, w.b, t1, t2);
}

static struct sync_fence_info fi[3];
static struct sync_file_info info;

static int op_info(struct walk *w)
{
	memset(fi, 0x5c, sizeof(fi));
	memset(&info, 0, sizeof(info));
	info.num_fences = 3;
	info.sync_fence_info = (uintptr_t)fi;
	return ioctl(w->a, SYNC_IOC_FILE_INFO, &info);
}

static void check_info(struct walk *w, bool failed)
{
	struct sync_fence_info pat;

	memset(&pat, 0x5c, sizeof(pat));
	if (failed)
		EXPECT(info.num_fences == 3 && !info.name[0] && !memcmp(&fi[0], &pat, sizeof(pat)),
		       "%s k=%d: a failed FILE_INFO wrote to its arguments", w->path, w->k);
	else
		EXPECT(info.num_fences == 3 && !strcmp(fi[2].driver_name, "sw_sync") && !fi[2].status,
		       "%s k=%d: %u fences, [2] driver \"%.32s\" status %d", w->path, w->k,
		       info.num_fences, fi[2].driver_name, fi[2].status);
	SF_IS(w->a, 3, 0, "the sync_file");
}

/* num_fences = the count: the call that fills the array */
static void p_info(void)
{
	struct walk w = { .path = "SYNC_IOC_FILE_INFO", .op = op_info, .check = check_info,
			  .out0 = -1 };
	int t[3] = { tl_new(), tl_new(), tl_new() }, f[3], m;

	f[0] = fence_new(t[0], 1);
	f[1] = fence_new(t[1], 1);
	f[2] = fence_new(t[2], 1);
	m = merge(f[0], f[1]);
	w.a = merge(m, f[2]);
	SETUP(w.a >= 0);
	walk(&w);
	CLOSE(w.a, m, f[0], f[1], f[2], t[0], t[1], t[2]);
}

static int op_create_fence(struct walk *w)
{
	struct sw_sync_create_fence_data d = { .value = 5, .name = "walked", .fence = -1 };
	int r = ioctl(w->a, SW_SYNC_IOC_CREATE_FENCE, &d);

	w->out = d.fence;
	return r;
}

/* a point that a failure left on the timeline shows in sync/info */
static void check_create_fence(struct walk *w, bool failed)
{
	if (!failed)
		SF_IS(w->fd, 1, 0, "the new fence");
}

static void p_create_fence(void)
{
	struct walk w = { .path = "SW_SYNC_IOC_CREATE_FENCE", .op = op_create_fence,
			  .check = check_create_fence, .out0 = -1 };

	w.a = tl_new();
	SETUP(w.a >= 0);
	walk(&w);
	close(w.a);
}

/* ---- paths: opening the devices ------------------------------------------------ */

static const char *open_path;

static int op_open(struct walk *w)
{
	w->out = open(open_path, RW_CLOEXEC);
	return w->out < 0 ? -1 : 0;
}

/* a new timeline takes a fence, a new heap fd allocates */
static void check_open(struct walk *w, bool failed)
{
	int f = -1;

	if (!failed && !strcmp(open_path, SW_SYNC_PATH)) {
		f = fence_new(w->fd, 1);
		SF_IS(f, 1, 0, "a fence on the new timeline");
	} else if (!failed && !strcmp(open_path, HEAP_DIR "/system")) {
		f = buf_new(w->fd, pgsz);
		BUF_WORKS(f, pgsz, "a buffer of the new heap fd");
	}
	CLOSE(f);
}

static bool p_open(const char *path, const char *name)
{
	struct walk w = { .path = name, .op = op_open, .check = check_open, .out0 = -1 };

	if (access(path, R_OK | W_OK)) {
		printf("# %s: %s\n", path, strerror(errno));
		return false;
	}
	open_path = path;
	walk(&w);
	return true;
}

static void p_open_sw_sync(void)
{
	if (!p_open(SW_SYNC_PATH, "open sw_sync"))
		case_skip = "no sw_sync";
}

static void p_open_devs(void)
{
	bool heap = p_open(HEAP_DIR "/system", "open " HEAP_DIR "/system");

	if (!p_open("/dev/udmabuf", "open /dev/udmabuf") && !heap)
		case_skip = "no such devices";
}

/* ---- paths: mmap and SYNC ------------------------------------------------------ */

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_bus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static bool touch(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->len; i += pgsz)
		w->map[i] = (unsigned char)(w->k + i / pgsz);
	for (i = 0; i < w->len; i += pgsz)
		if (w->map[i] != (unsigned char)(w->k + i / pgsz))
			return false;
	return true;
}

/*
 * mmap, a write to each page, SYNC start and end.  The system heap maps
 * all of the buffer in mmap() (remap_pfn_range(): a page table it cannot
 * have is mmap's ENOMEM) and takes no fault after.  The CMA heap inserts
 * each page at its fault, where a page table it cannot have is
 * VM_FAULT_OOM, which the #PF handler retries: absorbed, not a failure.
 * A SIGBUS from the touch would be the exporter failing a fault: reported
 * as this step's error (EFAULT).
 */
static int op_mmap(struct walk *w)
{
	void *p = mmap(NULL, w->len, PROT_READ | PROT_WRITE, MAP_SHARED, w->a, 0);
	bool same;

	w->step = "mmap";
	if (p == MAP_FAILED)
		return -1;
	w->map = p;
	w->step = "touch: SIGBUS";
	bus_armed = 1;
	if (sigsetjmp(bus_jmp, 1)) {
		bus_armed = 0;
		errno = EFAULT;
		return -1;
	}
	same = touch(w);
	bus_armed = 0;
	w->step = "touch: read back";
	errno = EIO;
	if (!same)
		return -1;
	w->step = "SYNC start";
	if (buf_sync(w->a, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW))
		return -1;
	w->step = "SYNC end";
	return buf_sync(w->a, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
}

static void check_mmap(struct walk *w, bool failed)
{
	char *maps = read_text("/proc/self/maps");

	EXPECT(!failed || w->map || (maps && !strstr(maps, "/dmabuf:")),
	       "%s k=%d: a mapping of the dma-buf after the failed mmap", w->path, w->k);
	BUF_WORKS(w->a, w->len, "the buffer");
}

static void p_mmap(void)
{
	struct walk w = { .path = "mmap + SYNC system", .op = op_mmap, .check = check_mmap,
			  .len = 4 * pgsz, .out0 = -1 };

	w.a = buf_new(sys_heap, w.len);
	SETUP(w.a >= 0);
	walk(&w);
	close(w.a);
	if (cma_heap < 0)
		return;
	w.path = "mmap + SYNC cma";
	w.a = buf_new(cma_heap, w.len);
	SETUP(w.a >= 0);
	walk(&w);
	close(w.a);
}

/* ---- paths: vgem PRIME ---------------------------------------------------------- */

static int prep_dumb(struct walk *w)
{
	struct drm_mode_create_dumb c = { .width = 64, .height = 16, .bpp = 32 };

	if (ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &c))
		return -1;
	w->handle = c.handle;
	w->len = c.size;
	return 0;
}

static int op_export_vgem(struct walk *w)
{
	struct drm_prime_handle p = { .handle = w->handle, .flags = DRM_CLOEXEC | DRM_RDWR };
	int r = ioctl(vgem, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	/* drm_ioctl() copies the argument out after a failure too: not checked */
	w->out = r ? w->out0 : p.fd;
	return r;
}

/* the bo exports again (the dma-buf may have stayed with it) */
static void check_export_vgem(struct walk *w, bool failed)
{
	if (failed) {
		EXPECT(!op_export_vgem(w), "%s k=%d: export again: %s", w->path, w->k, strerror(errno));
		w->fd = w->out;
	}
	check_buf(w, false);
}

static void p_vgem_export(void)
{
	struct walk w = { .path = "vgem PRIME export", .prep = prep_dumb, .op = op_export_vgem,
			  .check = check_export_vgem, .out0 = -1 };

	if (vgem < 0)
		case_skip = "no vgem";
	else
		walk(&w);
}

static int op_import_vgem(struct walk *w)
{
	struct drm_prime_handle p = { .fd = w->a };
	int r = ioctl(vgem, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

	if (!r)
		*(w->handle ? &w->handle2 : &w->handle) = p.handle;
	return r;
}

/* the buffer imports again; an attachment left shows in bufinfo */
static void check_import_vgem(struct walk *w, bool failed)
{
	if (failed)
		EXPECT(!op_import_vgem(w), "%s k=%d: import again: %s", w->path, w->k, strerror(errno));
}

static void p_vgem_import(void)
{
	struct walk w = { .path = "vgem PRIME import", .op = op_import_vgem,
			  .check = check_import_vgem, .out0 = -1 };

	if (vgem < 0) {
		case_skip = "no vgem";
		return;
	}
	w.a = buf_new(sys_heap, 4 * pgsz);
	SETUP(w.a >= 0);
	walk(&w);
	close(w.a);
}

/* ---- flavours and cases ---------------------------------------------------------- */

static void run_flavour(void (*fn)(void), bool all)
{
	struct state s0;

	signal(SIGALRM, on_alarm);
	case_t0 = now_ms();
	if (failnth_w < 0)
		case_skip = "no fail-nth (CONFIG_FAULT_INJECTION)";
	else if (all && !have_knobs)
		case_skip = "no failslab/fail_page_alloc in debugfs";
	/* with a probability set, open filters would fail others' allocations */
	else if (all && (strtol(read_text(FI_DIR "failslab/probability") ?: "1", NULL, 10) ||
			 strtol(read_text(FI_DIR "fail_page_alloc/probability") ?: "1", NULL, 10)))
		case_skip = "failslab/fail_page_alloc probability set";
	if (case_skip)
		return;
	state_now(&s0);
	if (!all || knobs_open())
		fn();
	failnth_set(0);
	knobs_restore();
	/* read with fail-nth 0, where opening the file spends nothing */
	EXPECT(failnth_get() == 0, "fail-nth %ld after the case", failnth_get());
	if (!case_skip)
		state_back(&s0, "after the case", 0);
}

/* each path, its "hook" and "all" case */
#define PATHS(X)							\
	X(p_alloc_system, "DMA_HEAP_IOCTL_ALLOC system, 17 pages; the buffer works")	\
	X(p_alloc_cma, "DMA_HEAP_IOCTL_ALLOC cma, 4 pages; the buffer works")	\
	X(p_udmabuf_create, "UDMABUF_CREATE of a sealed memfd; no pin left")	\
	X(p_udmabuf_list, "UDMABUF_CREATE_LIST of two memfds; no pin left")	\
	X(p_export, "EXPORT_SYNC_FILE with two fences and idle; exports again")	\
	X(p_import, "IMPORT_SYNC_FILE READ and RW; a failure adds no fence")	\
	X(p_set_name, "DMA_BUF_SET_NAME_B; the old name stays")		\
	X(p_merge, "SYNC_IOC_MERGE of two timelines; the inputs intact")	\
	X(p_info, "SYNC_IOC_FILE_INFO of 3 fences; arguments untouched")	\
	X(p_create_fence, "SW_SYNC_IOC_CREATE_FENCE; no point left")		\
	X(p_open_sw_sync, "open sw_sync (a timeline); none left")		\
	X(p_open_devs, "open " HEAP_DIR "/system and /dev/udmabuf")		\
	X(p_mmap, "mmap, touch, DMA_BUF_IOCTL_SYNC of heap buffers")		\
	X(p_vgem_export, "vgem dumb bo PRIME_HANDLE_TO_FD; exports again")	\
	X(p_vgem_import, "vgem PRIME_FD_TO_HANDLE of a heap buffer; no attachment left")
#define FLAVOURS(fn, what)						\
	static void fn##_hook(void) { run_flavour(fn, false); }	\
	static void fn##_all(void) { run_flavour(fn, true); }
#define CASES(fn, what) { fn##_hook, "hook: " what }, { fn##_all, "all: " what },
PATHS(FLAVOURS)
static const struct tap_case cases[] = { PATHS(CASES) };

/* the CMA heap: the one that is not "system" ("reserved" first) */
static const char *cma_open(void)
{
	static char path[300];
	DIR *d = opendir(HEAP_DIR);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "system") &&
		    (!path[0] || !strcmp(e->d_name, "reserved")))
			snprintf(path, sizeof(path), HEAP_DIR "/%s", e->d_name);
	if (d)
		closedir(d);
	cma_heap = path[0] ? open(path, RW_CLOEXEC) : -1;
	return cma_heap >= 0 ? path + sizeof(HEAP_DIR) : "";
}

int main(void)
{
	unsigned int i, n = sizeof(cases) / sizeof(cases[0]);
	struct sigaction sa = { .sa_handler = on_bus };
	struct state s;
	const char *cma;
	double t0;
	int r;

	t0 = now_ms();
	pgsz = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%u\n", n);
	sigaction(SIGBUS, &sa, NULL);
	sys_heap = open(HEAP_DIR "/system", RW_CLOEXEC);
	udev = open("/dev/udmabuf", RW_CLOEXEC);
	vgem = drm_open("vgem", NULL, 0);
	cma = cma_open();
	failnth_open();
	/* tap.h reads it back with pread() on the same fd: no allocation */
	if (failnth_w >= 0 && (failnth_set(5) || failnth_get() != 5)) {
		close(failnth_w);
		failnth_w = -1;
	}
	failnth_set(0);
	other_consumers = !access(FI_DIR "failslab", F_OK) || !access(FI_DIR "fail_page_alloc", F_OK);
	knobs_save();
	atexit(knobs_restore);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGHUP, on_term);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg < 0) {
		/* half of what a step is judged by */
		printf("Bail out! /dev/kmsg: %s\n", strerror(errno));
		return 1;
	}
	lseek(kmsg, 0, SEEK_END);
	state_now(&s);
	printf("# %s, heaps: system %s, udmabuf %s, vgem %s, fail-nth %s, failslab/fail_page_alloc %s, "
	       "kmsg %s; %d dma-bufs, %d timelines\n", sizeof(void *) == 8 ? "64-bit" : "32-bit", cma,
	       udev >= 0 ? "yes" : "no", vgem >= 0 ? "yes" : "no", failnth_w >= 0 ? "yes" : "no",
	       have_knobs ? "yes" : other_consumers ? "partly" : "no", kmsg >= 0 ? "yes" : "no",
	       s.bufs, s.timelines);
	if (sys_heap < 0) {
		printf("# setup: " HEAP_DIR "/system: %s\n", strerror(errno));
		for (i = 0; i < n; i++)
			printf("not ok %u - %s\n", i + 1, cases[i].name);
		return 1;
	}
	r = run_cases(cases, n);
	printf("# fault-walk: %u paths, %u fault points walked, %u absorbed, %.0f s\n", n_paths,
	       n_points, n_absorbed, (now_ms() - t0) / 1e3);
	return r;
}
