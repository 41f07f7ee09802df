// SPDX-License-Identifier: GPL-2.0-only
/*
 * heaps-uapi: TAP-13 test of the dma-buf heaps uAPI
 * (include/uapi/linux/dma-heap.h: /dev/dma_heap/<name>, DMA_HEAP_IOCTL_ALLOC)
 * with the semantics of Linux 6.12, on the system heap and on the CMA heap
 * (the default CMA area, "reserved" when the kernel is booted with cma=64M).
 *
 * Everything is observed from userspace: return values and errno, what the
 * argument looks like after the call (6.12 copies in and out as many bytes
 * as _IOC_SIZE(cmd) says, in only for _IOC_WRITE, out only for _IOC_READ,
 * and looks at nothing but _IOC_NR), the fds that appear (/proc/self/fd,
 * fdinfo, fcntl), what mmap lets through and what the mappings see
 * (including /proc/self/smaps), how many buffers the CMA area holds (which
 * shows cma_alloc()'s alignment), MemFree, CmaFree and debugfs
 * dma_buf/bufinfo for leaks, and children killed in the middle of an
 * allocation.  Upstream's
 * selftest (dmabuf-heaps/dmabuf-heap.c) covers the plain allocate/zeroed/
 * older-and-newer-struct successes; this goes for the edges.  Where 6.12's
 * answer is not the obvious guess a comment says which upstream line
 * gives it.
 *
 * The CMA cases skip when no heap other than "system" exists.  The fail-nth
 * walks (CONFIG_FAULT_INJECTION: every allocation of our dma-buf code asks
 * dma_buf_fail_alloc(), see dma-buf-fault.h) skip with "no dma-buf fault
 * point" on a kernel where fail-nth = 1 does not make ALLOC fail (upstream's
 * dma-buf code), and without /proc/self/task/<tid>/fail-nth.
 *
 * Without arguments it prints TAP and exits 0 iff every case passed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include "tap.h"

/* one layout and one command for 64-bit and i386 tasks (same handler) */
_Static_assert(sizeof(struct dma_heap_allocation_data) == 24, "dma_heap_allocation_data");
_Static_assert(DMA_HEAP_IOCTL_ALLOC == 0xc0184800u, "DMA_HEAP_IOCTL_ALLOC");

#define MiB		(1024ULL * 1024)
#define HEAP_DIR	"/dev/dma_heap"
#define BUFINFO_PATH	"/sys/kernel/debug/dma_buf/bufinfo"
#define RW_CLOEXEC	(O_RDWR | O_CLOEXEC)
#define ALLOC_SIZED(dir, type, size) _IOC(dir, type, 0, size)
#define IOC_RW		(_IOC_READ | _IOC_WRITE)
#define MAX_IOC_SIZE	((1u << _IOC_SIZEBITS) - 1)

struct heap {
	int fd;
	const char *name;
};

static long pgsz;
static char *bad_ptr;		/* an unmapped page, after 4 mapped ones */
static char *ro_page;		/* a read-only page after it (ro_put() writes it) */
static struct heap heaps[2];	/* system, then the CMA heap if there is one */
static int nheaps;
static struct heap *sys_heap, *cma_heap;
static char cma_name[256];
static unsigned long long cma_size;	/* CmaTotal, bytes */
static bool have_bufinfo;
static unsigned int rnd_state = 1;

static unsigned int rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* a copy of len bytes of src at ro_page + off, which stays read-only */
static void *ro_put(const void *src, size_t len, size_t off)
{
	mprotect(ro_page, pgsz, PROT_READ | PROT_WRITE);
	memcpy(ro_page + off, src, len);
	mprotect(ro_page, pgsz, PROT_READ);
	return ro_page + off;
}

/* ---- allocations ---------------------------------------------------------- */

static long hioctl(int fd, unsigned int cmd, void *arg)
{
	return ioctl(fd, cmd, arg);
}

/* a buffer of len bytes: its fd, or -1 (errno) */
static int buf_new(int heap, __u64 len, __u32 fd_flags)
{
	struct dma_heap_allocation_data d = { .len = len, .fd_flags = fd_flags };

	return ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d) ? -1 : (int)d.fd;
}

#define BUF(h, len) buf_new((h)->fd, len, RW_CLOEXEC)

/* the fd the next allocation gets */
static int lowest_free_fd(void)
{
	int fd = open("/", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/*
 * ALLOC with a size-byte argument that ends where the unmapped page begins
 * (bad_ptr - size): the fields that fit are set, the rest is tail bytes.
 */
static char *arg_at_end(unsigned int size, __u64 len, __u32 fd, __u32 fd_flags, __u64 heap_flags,
			int tail)
{
	char *a = bad_ptr - size;

	memset(a, tail, size);
	memcpy(a, &len, size < 8 ? size : 8);
	if (size >= 12)
		memcpy(a + 8, &fd, 4);
	if (size >= 16)
		memcpy(a + 12, &fd_flags, 4);
	if (size >= 24)
		memcpy(a + 16, &heap_flags, 8);
	return a;
}

static __u32 arg_fd(const char *a)
{
	__u32 fd;

	memcpy(&fd, a + 8, 4);
	return fd;
}

/* the whole CMA area but 4 MiB; the first try may meet pages in migration */
static int cma_big(unsigned long long len)
{
	int i, fd = -1;

	for (i = 0; i < 5 && fd < 0; i++) {
		if (i)
			sleep_ms(200);
		fd = BUF(cma_heap, len);
	}
	if (i > 1)
		printf("# CMA ALLOC of %llu MiB: %d tries%s\n", len / MiB, i, fd < 0 ? ", failed" : "");
	return fd;
}

static unsigned long long cma_whole(void)
{
	return cma_size - 4 * MiB;
}

/* the area (but 4 MiB) can be allocated: nothing of it leaked */
#define CMA_WHOLE_OK(what) ({						\
	int f_ = cma_big(cma_whole());					\
	bool ok_ = EXPECT(f_ >= 0, "%s: ALLOC of %llu MiB from %s: %s", what, \
			  cma_whole() / MiB, cma_name, strerror(errno)); \
	if (f_ >= 0)							\
		close(f_);						\
	ok_;								\
})

/* ---- procfs, debugfs ------------------------------------------------------ */

/* MemFree back to at least base - slack_kb, polling up to ms: the reading */
static long memfree_back(long base, long slack_kb, int ms)
{
	double t = now_ms();
	long f;

	while ((f = meminfo_kb("MemFree")) < base - slack_kb && now_ms() - t < ms)
		sleep_ms(20);
	return f;
}

#define MEMFREE_BACK(base, slack_kb, what) ({				\
	long f_ = memfree_back(base, slack_kb, 3000);			\
	EXPECT(f_ >= (base) - (slack_kb), "%s: MemFree %ld kB, was %ld kB (%ld kB less)", \
	       what, f_, (long)(base), (long)(base) - f_);		\
})

/* dma-bufs in the system (debugfs bufinfo's "Total N objects"), or -1 */
static int bufs_total(void)
{
	char *p = read_text(BUFINFO_PATH), *last = NULL;
	int n = -1;

	while (p && (p = strstr(p, "\nTotal ")))
		last = p++;
	return last && sscanf(last, "\nTotal %d objects", &n) == 1 ? n : -1;
}

/* the buffer count back at want (release may lag a little) */
#define BUFS_BACK(want, what) ({					\
	int w_ = (want), n_ = bufs_total(), i_;				\
	for (i_ = 0; w_ >= 0 && n_ != w_ && i_ < 100; i_++) {		\
		sleep_ms(20);						\
		n_ = bufs_total();					\
	}								\
	EXPECT(w_ < 0 || n_ == w_, "%s: %d dma-bufs, were %d", what, n_, w_); \
})

static char *fdinfo(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return read_text(path);
}

/* fdinfo of fd has the line "key:\tval" (never the first line, "pos") */
static bool fdinfo_line(int fd, const char *key, const char *val)
{
	char want[320];

	snprintf(want, sizeof(want), "\n%s:\t%s\n", key, val);
	return fdinfo(fd) && strstr(text, want);
}

static const char *fd_link(int fd, char *buf, size_t n)
{
	char path[64];
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = readlink(path, buf, n - 1);
	buf[r > 0 ? r : 0] = 0;
	return buf;
}

/* fd is a dma-buf of size bytes from heap exp (its name): link, seek, fdinfo */
static bool buf_is(int fd, unsigned long long size, const char *exp, const char *fn, int line)
{
	char link[64], sz[32];
	off_t end = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	bool lk, fi_size, fi_exp;

	fd_link(fd, link, sizeof(link));
	snprintf(sz, sizeof(sz), "%llu", size);
	/* dmabuffs_dname(): "/dmabuf:" and the name set by DMA_BUF_SET_NAME */
	lk = !strcmp(link, "/dmabuf:");
	fi_size = fdinfo_line(fd, "size", sz);
	fi_exp = fdinfo_line(fd, "exp_name", exp);
	return report(lk && end == (off_t)size && fi_size && fi_exp, fn, line,
		      "fd %d: link \"%s\", SEEK_END %lld, fdinfo size %s exp_name %s; want %llu bytes from %s",
		      fd, link, (long long)end, fi_size ? "ok" : "wrong", fi_exp ? "ok" : "wrong",
		      size, exp);
}

#define BUF_IS(fd, size, exp) buf_is(fd, size, exp, __func__, __LINE__)

static int accmode(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fl & O_ACCMODE;
}

/* the offset of the first byte of p[0, len) that is not c, or -1 */
static long first_not(const void *p, size_t len, unsigned char c)
{
	const uint64_t *w = p;
	const unsigned char *b = p;
	uint64_t pat = 0x0101010101010101ULL * c;
	size_t i, n = len / 8;

	for (i = 0; i < n && w[i] == pat; i++)
		;
	for (i *= 8; i < len; i++)
		if (b[i] != c)
			return (long)i;
	return -1;
}

static int sync_buf(int fd, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

/* the VmFlags of the mapping at addr, " "-framed ("" if not found) */
static const char *vmflags(const void *addr, char *out, size_t n)
{
	char key[32], *p, *e;

	snprintf(out, n, " ");
	snprintf(key, sizeof(key), "\n%08lx-", (unsigned long)(uintptr_t)addr);
	if (!read_text("/proc/self/smaps") || !(p = strstr(text, key)) ||
	    !(p = strstr(p, "\nVmFlags:")))
		return out;
	p += 9;
	e = strchr(p, '\n');
	snprintf(out, n, "%.*s ", e ? (int)(e - p) : (int)strlen(p), p);
	return out;
}

/* ---- fail-nth ----------------------------------------------------------- */


/*
 * Walk N = 1, 2, ...: fail-nth = N makes the N-th dma_buf_fail_alloc() of
 * this thread fail.  Each ALLOC (len bytes, a size-byte argument) that
 * fails must fail with ENOMEM and leave no fd, no dma-buf and (with
 * memslack_kb >= 0) no memory behind, until one succeeds.  fail-nth reads 0
 * once the failure fired: a failure with fail-nth left over was not ours.
 * Returns 0 when the walk reached a success (*fd_out), 1 when N = 1
 * succeeded (no fault point: upstream), 2 without fail-nth, -1 on errors.
 */
static int failnth_walk(struct heap *h, unsigned long long len, unsigned int size,
			long memslack_kb, int *fd_out)
{
	int n, r = -1, e = 0, fds = fd_count(), lo = lowest_free_fd(), bufs = bufs_total(), nfail = 0;
	long left = -1, free0 = meminfo_kb("MemFree");
	unsigned int cmd = ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, size);
	char *a = NULL;

	*fd_out = -1;
	if (failnth_w < 0) {
		case_skip = "no fail-nth (CONFIG_FAULT_INJECTION)";
		return 2;
	}
	for (n = 1; n <= 100; n++) {
		a = arg_at_end(size, len, 0, RW_CLOEXEC, 0, 0x3c);
		if (!EXPECT(!failnth_set(n), "write fail-nth: %s", strerror(errno)))
			return -1;
		r = hioctl(h->fd, cmd, a);
		e = errno;
		left = failnth_get();
		failnth_set(0);
		if (!r)
			break;
		nfail++;
		if (!EXPECT(e == ENOMEM && left == 0, "%s N=%d: %s, fail-nth %ld after it; want ENOMEM, 0",
			    h->name, n, strerror(e), left))
			return -1;
		EXPECT(fd_count() == fds && lowest_free_fd() == lo,
		       "%s N=%d: fd count %d (was %d), lowest free fd %d (was %d)",
		       h->name, n, fd_count(), fds, lowest_free_fd(), lo);
		EXPECT(arg_fd(a) == 0, "%s N=%d: fd field %u written", h->name, n, arg_fd(a));
		BUFS_BACK(bufs, h->name);
		if (memslack_kb >= 0)
			MEMFREE_BACK(free0, memslack_kb, h->name);
		if (case_failed)
			return -1;
	}
	if (!r)
		*fd_out = (int)arg_fd(a);
	if (!r && n == 1) {
		printf("# %s: N=1 succeeded, fail-nth then reads %ld\n", h->name, left);
		return 1;
	}
	if (!EXPECT(!r, "%s: still failing at N=%d: %s", h->name, n - 1, strerror(e)))
		return -1;
	printf("# %s, %u-byte argument: %d failed ALLOC(s), ENOMEM each, success at N=%d\n",
	       h->name, size, nfail, n);
	return 0;
}

/* ---- cases: the heap devices ---------------------------------------------- */

static void t_nodes(void)
{
	DIR *d = opendir(HEAP_DIR);
	struct dirent *e;
	unsigned int maj0 = 0, minors[128], n = 0, i, ma, mi;
	bool sys = false, cma = !cma_heap;

	SETUP(d);
	while ((e = readdir(d))) {
		char path[300], *t;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), HEAP_DIR "/%s", e->d_name);
		if (!EXPECT(!stat(path, &st), "stat %s: %s", path, strerror(errno)))
			continue;
		/* devtmpfs: dma_heap_devnode() sets no mode, so 0600 root */
		EXPECT(S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0600 && st.st_uid == 0,
		       "%s: mode %o uid %u", path, st.st_mode, st.st_uid);
		snprintf(path, sizeof(path), "/sys/class/dma_heap/%s/dev", e->d_name);
		t = read_text(path);
		if (!EXPECT(t && sscanf(t, "%u:%u", &ma, &mi) == 2 && makedev(ma, mi) == st.st_rdev,
			    "%s: \"%s\", /dev node %u:%u", path, t ? t : strerror(errno),
			    major(st.st_rdev), minor(st.st_rdev)))
			continue;
		printf("# %s: %u:%u\n", e->d_name, ma, mi);
		/* one chrdev region of 128 minors, one minor per heap */
		EXPECT(!n || ma == maj0, "%s: major %u, another heap has %u", e->d_name, ma, maj0);
		EXPECT(mi < 128, "%s: minor %u", e->d_name, mi);
		for (i = 0; i < n; i++)
			EXPECT(minors[i] != mi, "%s: minor %u twice", e->d_name, mi);
		maj0 = ma;
		if (n < 128)
			minors[n++] = mi;
		sys |= !strcmp(e->d_name, "system");
		cma |= cma_heap && !strcmp(e->d_name, cma_name);
	}
	closedir(d);
	EXPECT(sys && cma, "system heap %s, CMA heap %s", sys ? "found" : "missing",
	       cma ? "found" : "missing");
	d = opendir("/sys/class/dma_heap");
	for (i = 0; d && (e = readdir(d));)
		i += e->d_name[0] != '.';
	if (d)
		closedir(d);
	EXPECT(i == n, "/sys/class/dma_heap has %u entries, " HEAP_DIR " %u", i, n);
	if (cma_heap)
		EXPECT(cma_size >= 16 * MiB, "CmaTotal %llu kB", cma_size / 1024);
}

/* dma_heap_fops: open, ioctl and nothing else; nonseekable_open() */
static void t_devnode(void)
{
	char b[8], path[300];
	int i, fds = fd_count();

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];
		struct pollfd p = { .fd = h->fd, .events = POLLIN | POLLOUT };
		int ro, wo, f;

		EXPECT_ERR(read(h->fd, b, sizeof(b)), EINVAL);
		EXPECT_ERR(write(h->fd, b, sizeof(b)), EINVAL);
		EXPECT(lseek(h->fd, 0, SEEK_SET) == -1 && errno == ESPIPE, "%s: lseek: %s", h->name,
		       strerror(errno));
		EXPECT_ERR(pread(h->fd, b, 1, 0), ESPIPE);
		/* do_mmap(): no ->mmap is ENODEV */
		EXPECT(mmap(NULL, pgsz, PROT_READ, MAP_SHARED, h->fd, 0) == MAP_FAILED &&
		       errno == ENODEV, "%s: mmap of the heap: %s", h->name, strerror(errno));
		/* no ->poll: DEFAULT_POLLMASK */
		EXPECT(poll(&p, 1, 0) == 1 && p.revents == (POLLIN | POLLOUT), "%s: poll %#x",
		       h->name, p.revents);
		/* the ioctl does not look at how the heap was opened */
		snprintf(path, sizeof(path), HEAP_DIR "/%s", h->name);
		ro = open(path, O_RDONLY | O_CLOEXEC);
		wo = open(path, O_WRONLY | O_CLOEXEC);
		SETUP(ro >= 0 && wo >= 0);
		f = buf_new(ro, pgsz, RW_CLOEXEC);
		EXPECT(f >= 0 && accmode(f) == O_RDWR, "%s: ALLOC through an O_RDONLY open: %s",
		       h->name, f < 0 ? strerror(errno) : "not O_RDWR");
		CLOSE(f);
		f = buf_new(wo, pgsz, RW_CLOEXEC);
		EXPECT(f >= 0, "%s: ALLOC through an O_WRONLY open: %s", h->name, strerror(errno));
		CLOSE(f, ro, wo);
	}
	FDS_SAME(fds);
}

/* ---- cases: validation -------------------------------------------------- */

/* fd_flags: O_CLOEXEC | O_ACCMODE and nothing else; heap_flags: none; fd: 0 */
static void t_einval_fields(void)
{
	static const __u32 bad_fd[] = { 1, 2, 3, 0x80000000u, ~0u };
	static const __u32 good_flags[] = { 0, 1, 2, 3 };
	int i, fds = fd_count(), bufs = bufs_total();
	unsigned int bit, j, nbad = 0;

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];

		for (bit = 0; bit <= 32; bit++) {
			__u32 fl = bit == 32 ? ~0u : 1u << bit;
			struct dma_heap_allocation_data d = { .len = pgsz, .fd_flags = fl | O_RDWR };
			long r;

			if (fl & (O_ACCMODE | O_CLOEXEC))
				continue;
			r = hioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, &d);
			nbad += !EXPECT(r == -1 && errno == EINVAL && !d.fd,
					"%s: fd_flags %#x: %ld (%s), fd field %u", h->name,
					d.fd_flags, r, strerror(errno), d.fd);
			if (!r)
				close(d.fd);
		}
		for (bit = 0; bit < 64; bit++) {
			struct dma_heap_allocation_data d = {
				.len = pgsz, .fd_flags = RW_CLOEXEC, .heap_flags = 1ULL << bit
			};
			long r = hioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, &d);

			nbad += !EXPECT(r == -1 && errno == EINVAL && !d.fd,
					"%s: heap_flags %#llx: %ld (%s)", h->name,
					(unsigned long long)d.heap_flags, r, strerror(errno));
			if (!r)
				close(d.fd);
		}
		for (j = 0; j < sizeof(bad_fd) / sizeof(bad_fd[0]); j++) {
			struct dma_heap_allocation_data d = {
				.len = pgsz, .fd = bad_fd[j], .fd_flags = RW_CLOEXEC
			};
			long r = hioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, &d);

			nbad += !EXPECT(r == -1 && errno == EINVAL && d.fd == bad_fd[j],
					"%s: fd field %#x: %ld (%s), now %#x", h->name, bad_fd[j], r,
					strerror(errno), d.fd);
		}
		/* every access mode is allowed, O_ACCMODE itself included */
		for (j = 0; j < 8; j++) {
			__u32 fl = good_flags[j % 4] | (j >= 4 ? O_CLOEXEC : 0);
			int f = buf_new(h->fd, pgsz, fl);

			EXPECT(f >= 0, "%s: fd_flags %#x: %s", h->name, fl, strerror(errno));
			CLOSE(f);
		}
		if (nbad > 8)
			break;
	}
	FDS_SAME(fds);
	BUFS_BACK(bufs, "after the refused ALLOCs");
}

/* PAGE_ALIGN(len) must not be 0; the checks come before any allocation */
static void t_einval_len(void)
{
	const __u64 lens[] = { 0, ~0ULL, ~0ULL - (pgsz - 2), ~0ULL - 100 };
	int i, fds = fd_count();
	unsigned int j;

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];

		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			struct dma_heap_allocation_data d = { .len = lens[j], .fd_flags = RW_CLOEXEC };
			long r = hioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, &d);

			EXPECT(r == -1 && errno == EINVAL && !d.fd && d.len == lens[j],
			       "%s: len %#llx: %ld (%s)", h->name, (unsigned long long)lens[j], r,
			       strerror(errno));
			if (!r)
				close(d.fd);
		}
	}
	/* the CMA heap would say ENOMEM to this length: the flags are seen first */
	if (cma_heap) {
		struct dma_heap_allocation_data d = { .len = 2 * cma_size, .fd_flags = RW_CLOEXEC };
		struct dma_heap_allocation_data bad[] = {
			{ .len = 2 * cma_size, .fd_flags = RW_CLOEXEC, .heap_flags = 1 },
			{ .len = 2 * cma_size, .fd = 5, .fd_flags = RW_CLOEXEC },
			{ .len = 2 * cma_size, .fd_flags = RW_CLOEXEC | O_NONBLOCK },
		};

		for (j = 0; j < 3; j++)
			EXPECT_ERR(hioctl(cma_heap->fd, DMA_HEAP_IOCTL_ALLOC, &bad[j]), EINVAL);
		EXPECT_ERR(hioctl(cma_heap->fd, DMA_HEAP_IOCTL_ALLOC, &d), ENOMEM);
	}
	FDS_SAME(fds);
}

/* dma_heap_ioctl(): nr >= ARRAY_SIZE(dma_heap_ioctl_cmds) is -EINVAL */
static void t_ioctl_nr(void)
{
	static const unsigned int dirs[] = { IOC_RW, _IOC_WRITE, _IOC_READ, _IOC_NONE };
	int i, fds = fd_count(), bad = 0;
	unsigned int nr, j;

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];
		void *tio = bad_ptr - 64;	/* a readable, writable struct termios */

		for (nr = 1; nr < 256 && bad < 8; nr++) {
			for (j = 0; j < 4; j++) {
				struct dma_heap_allocation_data d = { .len = pgsz, .fd_flags = RW_CLOEXEC };
				unsigned int cmd = _IOC(dirs[j], DMA_HEAP_IOC_MAGIC, nr, dirs[j] ? sizeof(d) : 0);
				long r = hioctl(h->fd, cmd, &d);

				bad += !EXPECT(r == -1 && errno == EINVAL && !d.fd,
					       "%s: cmd %#x: %ld (%s), fd field %u", h->name, cmd, r,
					       strerror(errno), d.fd);
				if (!r)
					close(d.fd);
			}
		}
		/* the number is looked at before the argument */
		EXPECT_ERR(hioctl(h->fd, _IOWR(DMA_HEAP_IOC_MAGIC, 1, struct dma_heap_allocation_data), NULL),
			   EINVAL);
		EXPECT_ERR(hioctl(h->fd, _IOWR('X', 0x80, struct dma_heap_allocation_data), bad_ptr), EINVAL);
		/* not ENOTTY: isatty() fails with EINVAL */
		EXPECT_ERR(hioctl(h->fd, TCGETS, tio), EINVAL);
		errno = 0;
		EXPECT(!isatty(h->fd) && errno == EINVAL, "%s: isatty: %s", h->name, strerror(errno));
	}
	FDS_SAME(fds);
}

/* only _IOC_NR is looked at: nr 0 is ALLOC whatever the type, size, dir */
static void t_ioctl_magic(void)
{
	static const unsigned int types[] = { 'X', 0, 0xff, 'W' };
	int i, fds = fd_count();
	unsigned int j;

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];
		struct dma_heap_allocation_data d = { .len = pgsz, .fd_flags = RW_CLOEXEC };

		for (j = 0; j < 4; j++) {
			unsigned int cmd = ALLOC_SIZED(IOC_RW, types[j], sizeof(d));

			d.fd = 0;
			if (EXPECT(!hioctl(h->fd, cmd, &d), "%s: cmd %#x: %s", h->name, cmd, strerror(errno))) {
				BUF_IS((int)d.fd, pgsz, h->name);
				close((int)d.fd);
			}
			d.fd = 0;
		}
		d.fd = 0;
		/* nothing copied in: len reads 0 */
		EXPECT_ERR(hioctl(h->fd, _IO(DMA_HEAP_IOC_MAGIC, 0), &d), EINVAL);
		EXPECT_ERR(hioctl(h->fd, _IO('X', 0), NULL), EINVAL);
		EXPECT_ERR(hioctl(h->fd, ALLOC_SIZED(_IOC_NONE, DMA_HEAP_IOC_MAGIC, sizeof(d)), &d), EINVAL);
		EXPECT_ERR(hioctl(h->fd, ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, 0), &d), EINVAL);
		EXPECT(!d.fd, "%s: fd field %u written", h->name, d.fd);
	}
	FDS_SAME(fds);
}

/* copy_from_user() faults: EFAULT, nothing allocated */
static void t_efault_in(void)
{
	int i, fds = fd_count(), lo = lowest_free_fd(), bufs = bufs_total();

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];
		unsigned int big = ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, 200);

		EXPECT_ERR(hioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, NULL), EFAULT);
		EXPECT_ERR(hioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, (void *)1), EFAULT);
		EXPECT_ERR(hioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, bad_ptr), EFAULT);
		EXPECT_ERR(hioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, (void *)(uintptr_t)-4096), EFAULT);
		/* a struct whose len is readable and the rest not */
		EXPECT_ERR(hioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, arg_at_end(8, pgsz, 0, 0, 0, 0)), EFAULT);
		EXPECT_ERR(hioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, arg_at_end(16, pgsz, 0, RW_CLOEXEC, 0, 0)),
			   EFAULT);
		/* a 200-byte argument (bigger than the kernel's stack buffer) */
		EXPECT_ERR(hioctl(h->fd, big, arg_at_end(24, pgsz, 0, RW_CLOEXEC, 0, 0)), EFAULT);
		EXPECT_ERR(hioctl(h->fd, big, NULL), EFAULT);
	}
	EXPECT(fd_count() == fds && lowest_free_fd() == lo, "fd count %d (was %d), lowest free %d (was %d)",
	       fd_count(), fds, lowest_free_fd(), lo);
	BUFS_BACK(bufs, "after EFAULT");
}

/*
 * A read-only argument: copied in, allocated, then copy_to_user() faults;
 * 6.12 gives the reserved fd back (put_unused_fd) and drops the buffer.
 */
static void t_efault_out(void)
{
	int i, k, fds = fd_count(), lo = lowest_free_fd(), bufs = bufs_total();
	long free0 = meminfo_kb("MemFree");

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];
		struct dma_heap_allocation_data d = { .len = 3 * pgsz, .fd_flags = RW_CLOEXEC }, *p;
		unsigned int cmd16 = ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, 16);

		p = ro_put(&d, sizeof(d), pgsz - sizeof(d));
		EXPECT_ERR(hioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, p), EFAULT);
		EXPECT(!memcmp(p, &d, sizeof(d)), "%s: read-only argument changed", h->name);
		EXPECT_ERR(hioctl(h->fd, cmd16, p), EFAULT);
		EXPECT(lowest_free_fd() == lo, "%s: lowest free fd %d, was %d", h->name, lowest_free_fd(), lo);
	}
	/* big ones: memory and the CMA area come back */
	for (k = 0; k < 8; k++) {
		struct dma_heap_allocation_data d = { .len = 64 * MiB, .fd_flags = RW_CLOEXEC };

		if (!EXPECT_ERR(hioctl(sys_heap->fd, DMA_HEAP_IOCTL_ALLOC, ro_put(&d, sizeof(d), 0)), EFAULT))
			break;
	}
	MEMFREE_BACK(free0, 16 * 1024, "8 x 64 MiB system buffers refused at copy-out");
	if (cma_heap) {
		for (k = 0; k < 3; k++) {
			struct dma_heap_allocation_data d = { .len = cma_whole(), .fd_flags = RW_CLOEXEC };

			if (!EXPECT_ERR(hioctl(cma_heap->fd, DMA_HEAP_IOCTL_ALLOC, ro_put(&d, sizeof(d), 0)),
					EFAULT))
				break;
		}
		CMA_WHOLE_OK("after 3 refused at copy-out");
	}
	FDS_SAME(fds);
	BUFS_BACK(bufs, "after the copy-out faults");
}

/* ---- cases: argument sizes and directions ----------------------------------- */

/*
 * Older, smaller arguments: as many bytes as _IOC_SIZE are copied in (the
 * rest of the kernel's struct reads 0) and out, never one more.  With 12
 * bytes fd_flags reads 0 (O_RDONLY, no O_CLOEXEC); with 8 or 4 the fd is
 * installed but not written back: it is the lowest free one.
 */
static void t_size_small(void)
{
	int i, fds = fd_count();

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];
		__u64 len;
		char *a;
		int lo, f;

		/* the current struct, right before the unmapped page */
		a = arg_at_end(24, pgsz, 0, RW_CLOEXEC, 0, 0);
		if (EXPECT(!hioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, a), "%s: 24 bytes: %s", h->name,
			   strerror(errno))) {
			BUF_IS((int)arg_fd(a), pgsz, h->name);
			close((int)arg_fd(a));
		}

		/* 16 bytes: len, fd, fd_flags; heap_flags 0 */
		a = arg_at_end(16, 2 * pgsz, 0, RW_CLOEXEC, 0, 0);
		if (EXPECT(!hioctl(h->fd, ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, 16), a),
			   "%s: 16 bytes: %s", h->name, strerror(errno))) {
			f = (int)arg_fd(a);
			BUF_IS(f, 2 * pgsz, h->name);
			EXPECT(accmode(f) == O_RDWR && fcntl(f, F_GETFD) == FD_CLOEXEC,
			       "%s: 16 bytes: access mode %d, fd flags %d", h->name, accmode(f),
			       fcntl(f, F_GETFD));
			CLOSE(f);
		}
		a = arg_at_end(16, pgsz, 7, RW_CLOEXEC, 0, 0);
		EXPECT_ERR(hioctl(h->fd, ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, 16), a), EINVAL);

		/* 12 bytes: len, fd */
		a = arg_at_end(12, pgsz, 0, 0, 0, 0);
		if (EXPECT(!hioctl(h->fd, ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, 12), a),
			   "%s: 12 bytes: %s", h->name, strerror(errno))) {
			f = (int)arg_fd(a);
			BUF_IS(f, pgsz, h->name);
			EXPECT(accmode(f) == O_RDONLY && fcntl(f, F_GETFD) == 0,
			       "%s: 12 bytes: access mode %d, fd flags %d", h->name, accmode(f),
			       fcntl(f, F_GETFD));
			CLOSE(f);
		}

		/* 8 bytes: len only; the fd exists but nobody is told */
		lo = lowest_free_fd();
		a = arg_at_end(8, 3 * pgsz, 0, 0, 0, 0);
		if (EXPECT(!hioctl(h->fd, ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, 8), a),
			   "%s: 8 bytes: %s", h->name, strerror(errno))) {
			memcpy(&len, a, 8);
			EXPECT(len == 3ULL * pgsz && fd_count() == fds + 1,
			       "%s: 8 bytes: len now %llu, fd count %d (was %d)", h->name,
			       (unsigned long long)len, fd_count(), fds);
			BUF_IS(lo, 3 * pgsz, h->name);
			EXPECT(accmode(lo) == O_RDONLY && fcntl(lo, F_GETFD) == 0,
			       "%s: 8 bytes: fd %d access mode %d, fd flags %d", h->name, lo,
			       accmode(lo), fcntl(lo, F_GETFD));
			CLOSE(lo);
		}

		/* 4 bytes: the low half of len (little-endian), the high half 0 */
		lo = lowest_free_fd();
		a = arg_at_end(4, 2 * pgsz, 0, 0, 0, 0);
		if (EXPECT(!hioctl(h->fd, ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, 4), a),
			   "%s: 4 bytes: %s", h->name, strerror(errno))) {
			BUF_IS(lo, 2 * pgsz, h->name);
			close(lo);
		}
		FDS_SAME(fds);
	}
}

/*
 * Newer, bigger arguments: 6.12 copies _IOC_SIZE bytes in and the same out;
 * the bytes past its struct come back as they were, whatever they hold
 * (no "unknown fields must be zero" rule).
 */
static void t_size_big(void)
{
	static const unsigned int sizes[] = { 32, 40, 129, 4096, MAX_IOC_SIZE };
	int i, fds = fd_count(), bufs = bufs_total();
	unsigned int j;

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];

		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			unsigned int sz = sizes[j];
			char *a = arg_at_end(sz, 5 * pgsz - 1, 0, RW_CLOEXEC, 0, 0x5a);
			__u64 len, hf;
			__u32 fl;
			long off;

			if (!EXPECT(!hioctl(h->fd, ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, sz), a),
				    "%s: %u bytes: %s", h->name, sz, strerror(errno)))
				continue;
			memcpy(&len, a, 8);
			memcpy(&fl, a + 12, 4);
			memcpy(&hf, a + 16, 8);
			off = first_not(a + 24, sz - 24, 0x5a);
			EXPECT(len == 5ULL * pgsz - 1 && fl == RW_CLOEXEC && !hf && off < 0,
			       "%s: %u bytes: len %llu fd_flags %#x heap_flags %#llx, tail byte %ld is %#x",
			       h->name, sz, (unsigned long long)len, fl, (unsigned long long)hf,
			       off, off < 0 ? 0 : (unsigned char)a[24 + off]);
			BUF_IS((int)arg_fd(a), 5 * pgsz, h->name);
			CLOSE((int)arg_fd(a));
		}
		/* a tail that crosses into the unmapped page: EFAULT on the way in */
		EXPECT_ERR(hioctl(h->fd, ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, 40),
				  arg_at_end(32, pgsz, 0, RW_CLOEXEC, 0, 0)), EFAULT);
		EXPECT_ERR(hioctl(h->fd, ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, MAX_IOC_SIZE),
				  arg_at_end(4096, pgsz, 0, RW_CLOEXEC, 0, 0)), EFAULT);
		/* a non-zero tail does not make a bad field good */
		EXPECT_ERR(hioctl(h->fd, ALLOC_SIZED(IOC_RW, DMA_HEAP_IOC_MAGIC, 40),
				  arg_at_end(40, pgsz, 0, RW_CLOEXEC, 1, 0x5a)), EINVAL);
	}
	FDS_SAME(fds);
	BUFS_BACK(bufs, "after the big arguments");
}

/* _IOR: (ucmd & kcmd & IOC_IN) == 0, so nothing is copied in: len is 0 */
static void t_dir_ior(void)
{
	int i, fds = fd_count();

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];
		struct dma_heap_allocation_data d = { .len = pgsz, .fd_flags = RW_CLOEXEC };
		struct dma_heap_allocation_data want = d;

		EXPECT_ERR(hioctl(h->fd, _IOR(DMA_HEAP_IOC_MAGIC, 0, struct dma_heap_allocation_data), &d),
			   EINVAL);
		EXPECT(!memcmp(&d, &want, sizeof(d)), "%s: _IOR: argument written", h->name);
		/* no copy at all: not even a bad pointer is noticed */
		EXPECT_ERR(hioctl(h->fd, _IOR(DMA_HEAP_IOC_MAGIC, 0, struct dma_heap_allocation_data), NULL),
			   EINVAL);
		EXPECT_ERR(hioctl(h->fd, ALLOC_SIZED(_IOC_READ, 'X', MAX_IOC_SIZE), bad_ptr), EINVAL);
	}
	FDS_SAME(fds);
}

/*
 * _IOW: copied in, allocated, nothing copied out: 6.12 still installs the
 * fd (fd_install after a copy_to_user of 0 bytes).  The caller is not told
 * its number; it is the lowest free one, a "/dmabuf:" with the asked flags.
 */
static void t_dir_iow(void)
{
	unsigned int iow = _IOW(DMA_HEAP_IOC_MAGIC, 0, struct dma_heap_allocation_data);
	int i, fds = fd_count();

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];
		struct dma_heap_allocation_data d = { .len = 2 * pgsz, .fd_flags = RW_CLOEXEC }, *p;
		int lo = lowest_free_fd();

		if (EXPECT(!hioctl(h->fd, iow, &d), "%s: _IOW: %s", h->name, strerror(errno))) {
			EXPECT(!d.fd && fd_count() == fds + 1, "%s: _IOW: fd field %u, fd count %d (was %d)",
			       h->name, d.fd, fd_count(), fds);
			BUF_IS(lo, 2 * pgsz, h->name);
			EXPECT(fcntl(lo, F_GETFD) == FD_CLOEXEC && accmode(lo) == O_RDWR,
			       "%s: _IOW: fd %d flags %d mode %d", h->name, lo, fcntl(lo, F_GETFD),
			       accmode(lo));
			if (i == 0)
				printf("# _IOW: ALLOC returns 0, the fd field stays 0, fd %d is the buffer\n", lo);
			CLOSE(lo);
		}
		/* a read-only argument is fine then */
		p = ro_put(&d, sizeof(d), 0);
		lo = lowest_free_fd();
		if (EXPECT(!hioctl(h->fd, iow, p), "%s: _IOW, read-only: %s", h->name, strerror(errno))) {
			BUF_IS(lo, 2 * pgsz, h->name);
			close(lo);
		}
		/* and the checks still apply */
		d.heap_flags = 1;
		EXPECT_ERR(hioctl(h->fd, iow, &d), EINVAL);
		FDS_SAME(fds);
	}
}

/* ---- cases: the buffers --------------------------------------------------- */

/* dma_heap_ioctl_allocate(): len = PAGE_ALIGN(len); size, i_size, blocks */
static void t_len_round(void)
{
	const unsigned long long lens[][2] = {
		{ 1, 1 }, { pgsz - 1, 1 }, { pgsz, 1 }, { pgsz + 1, 2 }, { 5 * pgsz - 1, 5 },
		{ MiB + 1, MiB / pgsz + 1 },
	};
	int i, fds = fd_count();
	unsigned int j;

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];

		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			unsigned long long want = lens[j][1] * pgsz;
			int f = BUF(h, lens[j][0]);
			struct stat st;
			char *m;

			if (!EXPECT(f >= 0, "%s: len %llu: %s", h->name, lens[j][0], strerror(errno)))
				continue;
			BUF_IS(f, want, h->name);
			EXPECT(!fstat(f, &st) && (unsigned long long)st.st_size == want &&
			       (unsigned long long)st.st_blocks == want / 512,
			       "%s: len %llu: st_size %lld st_blocks %lld", h->name, lens[j][0],
			       (long long)st.st_size, (long long)st.st_blocks);
			m = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
			if (EXPECT(m != MAP_FAILED, "%s: mmap %llu: %s", h->name, want, strerror(errno))) {
				m[want - 1] = 1;
				munmap(m, want);
			}
			EXPECT(mmap(NULL, want + pgsz, PROT_READ, MAP_SHARED, f, 0) == MAP_FAILED &&
			       errno == EINVAL, "%s: mmap of a page more than %llu", h->name, want);
			close(f);
		}
	}
	FDS_SAME(fds);
}

static void t_cloexec(void)
{
	int i, fds = fd_count();

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];
		int lo = lowest_free_fd(), a = buf_new(h->fd, pgsz, RW_CLOEXEC);
		int b = buf_new(h->fd, pgsz, O_RDWR), c = buf_new(h->fd, pgsz, O_RDONLY | O_CLOEXEC);
		int hole;

		SETUP(a >= 0 && b >= 0 && c >= 0);
		/* get_unused_fd_flags(fd_flags): the lowest free fd */
		EXPECT(a == lo, "%s: fd %d, the lowest free was %d", h->name, a, lo);
		EXPECT(fcntl(a, F_GETFD) == FD_CLOEXEC && fcntl(b, F_GETFD) == 0 &&
		       fcntl(c, F_GETFD) == FD_CLOEXEC, "%s: FD_CLOEXEC %d %d %d", h->name,
		       fcntl(a, F_GETFD), fcntl(b, F_GETFD), fcntl(c, F_GETFD));
		hole = a;
		close(a);
		a = buf_new(h->fd, pgsz, O_RDWR);
		EXPECT(a == hole, "%s: fd %d, the hole was %d", h->name, a, hole);
		CLOSE(a, b, c);
	}
	FDS_SAME(fds);
}

/*
 * The access mode of fd_flags is the file's: dma_buf_getfile() keeps
 * O_ACCMODE, so O_ACCMODE itself (3) makes a file that is neither readable
 * nor writable (OPEN_FMODE).  mmap needs FMODE_READ; a shared writable one
 * FMODE_WRITE as well (do_mmap()).
 */
static void t_accmode(void)
{
	int i, fds = fd_count();

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];
		int rw = BUF(h, 2 * pgsz), ro = buf_new(h->fd, 2 * pgsz, O_RDONLY | O_CLOEXEC);
		int wo = buf_new(h->fd, 2 * pgsz, O_WRONLY | O_CLOEXEC);
		int no = buf_new(h->fd, 2 * pgsz, O_ACCMODE | O_CLOEXEC);
		char *m;

		SETUP(rw >= 0 && ro >= 0 && wo >= 0 && no >= 0);
		EXPECT(accmode(rw) == O_RDWR && accmode(ro) == O_RDONLY && accmode(wo) == O_WRONLY &&
		       accmode(no) == O_ACCMODE, "%s: F_GETFL modes %d %d %d %d", h->name, accmode(rw),
		       accmode(ro), accmode(wo), accmode(no));
		EXPECT(fdinfo_line(no, "flags", "02000003") && fdinfo_line(ro, "flags", "02000000"),
		       "%s: fdinfo flags of the O_ACCMODE/O_RDONLY buffers", h->name);
		m = mmap(NULL, 2 * pgsz, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
		if (EXPECT(m != MAP_FAILED, "%s: O_RDWR: %s", h->name, strerror(errno))) {
			m[pgsz] = 7;
			munmap(m, 2 * pgsz);
		}
		m = mmap(NULL, 2 * pgsz, PROT_READ, MAP_SHARED, ro, 0);
		if (EXPECT(m != MAP_FAILED, "%s: O_RDONLY, PROT_READ: %s", h->name, strerror(errno))) {
			EXPECT(!m[pgsz], "%s: O_RDONLY buffer reads %d", h->name, m[pgsz]);
			/* VM_MAYWRITE was cleared: no upgrade later */
			EXPECT_ERR(mprotect(m, 2 * pgsz, PROT_READ | PROT_WRITE), EACCES);
			munmap(m, 2 * pgsz);
		}
		EXPECT(mmap(NULL, 2 * pgsz, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED &&
		       errno == EACCES, "%s: O_RDONLY, PROT_WRITE shared: %s", h->name, strerror(errno));
		EXPECT(mmap(NULL, 2 * pgsz, PROT_READ, MAP_SHARED, wo, 0) == MAP_FAILED &&
		       errno == EACCES, "%s: O_WRONLY, PROT_READ: %s", h->name, strerror(errno));
		EXPECT(mmap(NULL, 2 * pgsz, PROT_WRITE, MAP_SHARED, wo, 0) == MAP_FAILED &&
		       errno == EACCES, "%s: O_WRONLY, PROT_WRITE: %s", h->name, strerror(errno));
		EXPECT(mmap(NULL, 2 * pgsz, PROT_READ, MAP_SHARED, no, 0) == MAP_FAILED &&
		       errno == EACCES, "%s: O_ACCMODE, PROT_READ: %s", h->name, strerror(errno));
		/* the CPU-access ioctl does not look at the mode */
		EXPECT_ZERO(sync_buf(ro, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
		EXPECT_ZERO(sync_buf(ro, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
		EXPECT_ZERO(sync_buf(no, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
		EXPECT_ZERO(sync_buf(no, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
		CLOSE(rw, ro, wo, no);
	}
	FDS_SAME(fds);
}

/* dma_buf_show_fdinfo(): exp_name is dma_heap_get_name(), the heap's name */
static void t_fdinfo(void)
{
	int i, fds = fd_count();

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];
		int a = BUF(h, 3 * pgsz + 1), b = buf_new(h->fd, pgsz, O_RDONLY), d;
		unsigned long ia = 0, ib = 0;
		char sz[32], *m;

		SETUP(a >= 0 && b >= 0);
		snprintf(sz, sizeof(sz), "%ld", 4 * pgsz);
		EXPECT(fdinfo_line(a, "size", sz) && fdinfo_line(a, "count", "1") &&
		       fdinfo_line(a, "exp_name", h->name) && fdinfo_line(a, "flags", "02000002"),
		       "%s: fdinfo [%s]", h->name, fdinfo(a) ? text : "");
		EXPECT(!strstr(text, "\nname:"), "%s: a name line without DMA_BUF_SET_NAME", h->name);
		EXPECT(fdinfo_line(b, "flags", "00") && fdinfo_line(b, "exp_name", h->name),
		       "%s: O_RDONLY fdinfo [%s]", h->name, fdinfo(b) ? text : "");
		/* the buffers are distinct inodes */
		if (fdinfo(a) && strstr(text, "\nino:\t"))
			ia = strtoul(strstr(text, "\nino:\t") + 6, NULL, 10);
		if (fdinfo(b) && strstr(text, "\nino:\t"))
			ib = strtoul(strstr(text, "\nino:\t") + 6, NULL, 10);
		EXPECT(ia && ib && ia != ib, "%s: ino %lu and %lu", h->name, ia, ib);
		/* count: references to the file, not fds (a dup and a mapping) */
		d = dup(a);
		m = mmap(NULL, pgsz, PROT_READ, MAP_SHARED, a, 0);
		SETUP(d >= 0 && m != MAP_FAILED);
		EXPECT(fdinfo_line(a, "count", "3"), "%s: dup + mmap: [%s]", h->name, fdinfo(a) ? text : "");
		munmap(m, pgsz);
		CLOSE(d, a, b);
	}
	FDS_SAME(fds);
}

/*
 * Rounds of allocate, check zero, fill 0xa5, free: a heap that hands out
 * pages without clearing them shows the pattern of an earlier round.
 */
static void zero_rounds(struct heap *h, const unsigned long long *sizes, int nsizes, int rounds)
{
	int r, k, fd[8];
	long off;
	char *m;

	for (r = 0; r < rounds; r++) {
		unsigned long long size = sizes[r % nsizes];
		int f = BUF(h, size);

		if (!EXPECT(f >= 0, "%s round %d: ALLOC %llu: %s", h->name, r, size, strerror(errno)))
			return;
		m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
		if (!EXPECT(m != MAP_FAILED, "%s round %d: mmap: %s", h->name, r, strerror(errno))) {
			close(f);
			return;
		}
		sync_buf(f, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		off = first_not(m, size, 0);
		EXPECT(off < 0, "%s round %d: new %llu-byte buffer: byte %ld is %#x", h->name, r, size,
		       off, off < 0 ? 0 : (unsigned char)m[off]);
		memset(m, 0xa5, size);
		sync_buf(f, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
		munmap(m, size);
		close(f);
		if (off >= 0)
			return;
	}
	/* eight filled at once, freed at once, eight new ones */
	for (r = 0; r < 2; r++) {
		for (k = 0; k < 8; k++) {
			fd[k] = BUF(h, MiB);
			m = fd[k] < 0 ? MAP_FAILED : mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd[k], 0);
			if (!EXPECT(m != MAP_FAILED, "%s: 1 MiB buffer %d: %s", h->name, k, strerror(errno)))
				break;
			off = first_not(m, MiB, 0);
			EXPECT(off < 0, "%s: pass %d, 1 MiB buffer %d: byte %ld is %#x", h->name, r, k, off,
			       off < 0 ? 0 : (unsigned char)m[off]);
			memset(m, 0xa5, MiB);
			munmap(m, MiB);
		}
		close_all(fd, k);
		if (k < 8)
			return;
	}
}

static void t_zero_system(void)
{
	const unsigned long long sizes[] = {
		pgsz, 17 * pgsz, MiB, MiB + 17 * pgsz, 4 * MiB, 2 * pgsz, 16 * pgsz,
	};
	int fds = fd_count();

	zero_rounds(sys_heap, sizes, sizeof(sizes) / sizeof(sizes[0]), 56);
	FDS_SAME(fds);
}

static void t_zero_cma(void)
{
	const unsigned long long sizes[] = { pgsz, 16 * pgsz, MiB, 3 * MiB + pgsz, 8 * MiB, 2 * pgsz };
	int fds = fd_count();

	if (!cma_heap) {
		case_skip = "no CMA heap";
		return;
	}
	zero_rounds(cma_heap, sizes, sizeof(sizes) / sizeof(sizes[0]), 48);
	FDS_SAME(fds);
}

/*
 * mmap: whole, partial at an offset, bounds (dma_buf_mmap_internal():
 * pgoff + pages > size is EINVAL); both heaps map pfns (remap_pfn_range /
 * vmf_insert_pfn: VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP), so the
 * mapping cannot grow.
 */
static void mmap_case(struct heap *h)
{
	const long n = 8, size = n * pgsz;
	int f = BUF(h, size), fds = fd_count(), k;
	char *m, *p, *q, fl[512], want[64];

	SETUP(f >= 0);
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	SETUP(m != MAP_FAILED);
	for (k = 0; k < n; k++)
		snprintf(m + k * pgsz, 32, "%s page %d", h->name, k);
	/* pages 3 and 4 */
	p = mmap(NULL, 2 * pgsz, PROT_READ | PROT_WRITE, MAP_SHARED, f, 3 * pgsz);
	if (EXPECT(p != MAP_FAILED, "%s: 2 pages at 3: %s", h->name, strerror(errno))) {
		EXPECT(!strcmp(p, m + 3 * pgsz) && !strcmp(p + pgsz, m + 4 * pgsz),
		       "%s: partial map reads \"%.20s\", \"%.20s\"", h->name, p, p + pgsz);
		strcpy(p + pgsz + 100, "through the partial map");
		EXPECT(!strcmp(m + 4 * pgsz + 100, "through the partial map"), "%s: write not seen", h->name);
		munmap(p, 2 * pgsz);
	}
	/* the last page alone */
	q = mmap(NULL, pgsz, PROT_READ, MAP_SHARED, f, (n - 1) * pgsz);
	if (EXPECT(q != MAP_FAILED, "%s: last page: %s", h->name, strerror(errno))) {
		EXPECT(!strcmp(q, m + (n - 1) * pgsz), "%s: last page reads \"%.20s\"", h->name, q);
		munmap(q, pgsz);
	}
	EXPECT(mmap(NULL, 2 * pgsz, PROT_READ, MAP_SHARED, f, (n - 1) * pgsz) == MAP_FAILED &&
	       errno == EINVAL, "%s: 2 pages at the last: %s", h->name, strerror(errno));
	EXPECT(mmap(NULL, pgsz, PROT_READ, MAP_SHARED, f, size) == MAP_FAILED && errno == EINVAL,
	       "%s: a page at the end: %s", h->name, strerror(errno));
	EXPECT(mmap(NULL, pgsz, PROT_READ, MAP_SHARED, f, 100 * size) == MAP_FAILED && errno == EINVAL,
	       "%s: far past the end: %s", h->name, strerror(errno));
	EXPECT(mmap(NULL, size + pgsz, PROT_READ, MAP_SHARED, f, 0) == MAP_FAILED && errno == EINVAL,
	       "%s: a page longer: %s", h->name, strerror(errno));
	vmflags(m, fl, sizeof(fl));
	EXPECT(strstr(fl, " io ") && strstr(fl, " pf ") && strstr(fl, " de ") && strstr(fl, " dd ") &&
	       strstr(fl, " sh "), "%s: VmFlags [%s], want io pf de dd sh", h->name, fl);
	EXPECT(mremap(m, size, size + pgsz, 0) == MAP_FAILED && errno == EFAULT,
	       "%s: mremap to grow: %s", h->name, strerror(errno));
	/* the mapping outlives the fd */
	close(f);
	snprintf(want, sizeof(want), "%s page 2", h->name);
	EXPECT(!strcmp(m + 2 * pgsz, want), "%s: after close: \"%.20s\"", h->name, m + 2 * pgsz);
	munmap(m, size);
	EXPECT(fd_count() == fds - 1, "fd count %d, was %d", fd_count(), fds - 1);
}

static void t_mmap_system(void)
{
	mmap_case(sys_heap);
}

static void t_mmap_cma(void)
{
	if (!cma_heap) {
		case_skip = "no CMA heap";
		return;
	}
	mmap_case(cma_heap);
}

/*
 * MAP_PRIVATE: cma_heap_mmap() refuses it (no VM_SHARED|VM_MAYSHARE:
 * EINVAL).  system_heap_mmap() does not check, but remap_pfn_range() on a
 * COW mapping must cover the whole vma in one call (mm/memory.c:
 * "if (is_cow_mapping(...)) if (addr != vma->vm_start || end != vma->vm_end)
 * return -EINVAL"), and the system heap maps page by page: one page works,
 * copy-on-write, anything longer is EINVAL.
 */
static void t_mmap_private(void)
{
	int fds = fd_count(), f = BUF(sys_heap, 4 * pgsz), ro = buf_new(sys_heap->fd, 2 * pgsz, O_RDONLY);
	char *s, *p;

	SETUP(f >= 0 && ro >= 0);
	s = mmap(NULL, 4 * pgsz, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	SETUP(s != MAP_FAILED);
	strcpy(s + pgsz, "shared data");
	p = mmap(NULL, pgsz, PROT_READ | PROT_WRITE, MAP_PRIVATE, f, pgsz);
	if (EXPECT(p != MAP_FAILED, "system: one private page: %s", strerror(errno))) {
		EXPECT(!strcmp(p, "shared data"), "system: private page reads \"%.20s\"", p);
		strcpy(p, "private");
		EXPECT(!strcmp(s + pgsz, "shared data") && !strcmp(p, "private"),
		       "system: after a private write: shared \"%.20s\", private \"%.20s\"", s + pgsz, p);
		munmap(p, pgsz);
	}
	p = mmap(NULL, pgsz, PROT_READ, MAP_PRIVATE, f, 0);
	EXPECT(p != MAP_FAILED, "system: one private page at 0: %s", strerror(errno));
	if (p != MAP_FAILED)
		munmap(p, pgsz);
	EXPECT(mmap(NULL, 2 * pgsz, PROT_READ | PROT_WRITE, MAP_PRIVATE, f, 0) == MAP_FAILED &&
	       errno == EINVAL, "system: two private pages: %s", strerror(errno));
	EXPECT(mmap(NULL, 4 * pgsz, PROT_READ, MAP_PRIVATE, f, 0) == MAP_FAILED && errno == EINVAL,
	       "system: the whole buffer private, read-only: %s", strerror(errno));
	/* private needs only FMODE_READ: an O_RDONLY buffer's page may be written */
	p = mmap(NULL, pgsz, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	if (EXPECT(p != MAP_FAILED, "system O_RDONLY: one private writable page: %s", strerror(errno))) {
		p[0] = 1;
		munmap(p, pgsz);
	}
	EXPECT(mmap(NULL, 2 * pgsz, PROT_READ, MAP_PRIVATE, ro, 0) == MAP_FAILED && errno == EINVAL,
	       "system O_RDONLY: two private pages: %s", strerror(errno));
	munmap(s, 4 * pgsz);
	CLOSE(f, ro);
	if (cma_heap) {
		f = BUF(cma_heap, 4 * pgsz);
		SETUP(f >= 0);
		EXPECT(mmap(NULL, pgsz, PROT_READ, MAP_PRIVATE, f, 0) == MAP_FAILED && errno == EINVAL,
		       "%s: one private page: %s", cma_name, strerror(errno));
		EXPECT(mmap(NULL, 4 * pgsz, PROT_READ | PROT_WRITE, MAP_PRIVATE, f, 0) == MAP_FAILED &&
		       errno == EINVAL, "%s: private: %s", cma_name, strerror(errno));
		close(f);
	} else {
		printf("# no CMA heap: system heap only\n");
	}
	FDS_SAME(fds);
}

/* DMA_BUF_IOCTL_SYNC around CPU writes; a second mapping sees them */
static void t_sync(void)
{
	int i, fds = fd_count();

	for (i = 0; i < nheaps; i++) {
		struct heap *h = &heaps[i];
		const size_t size = 16 * pgsz;
		int f = BUF(h, size), k;
		char *a, *b;
		long off;

		SETUP(f >= 0);
		a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
		b = mmap(NULL, size, PROT_READ, MAP_SHARED, f, 0);
		SETUP(a != MAP_FAILED && b != MAP_FAILED);
		for (k = 0; k < 3; k++) {
			static const __u64 dir[] = { DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_RW, DMA_BUF_SYNC_READ };

			EXPECT_ZERO(sync_buf(f, DMA_BUF_SYNC_START | dir[k]));
			memset(a, 0x11 * (k + 1), size);
			EXPECT_ZERO(sync_buf(f, DMA_BUF_SYNC_END | dir[k]));
			EXPECT_ZERO(sync_buf(f, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
			off = first_not(b, size, 0x11 * (k + 1));
			EXPECT(off < 0, "%s: pass %d: byte %ld of the other mapping is %#x", h->name, k,
			       off, off < 0 ? 0 : (unsigned char)b[off]);
			EXPECT_ZERO(sync_buf(f, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
		}
		/* no pairing is enforced: END first, START twice */
		EXPECT_ZERO(sync_buf(f, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
		EXPECT_ZERO(sync_buf(f, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
		EXPECT_ZERO(sync_buf(f, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
		EXPECT_ERR(sync_buf(f, DMA_BUF_SYNC_START), EINVAL);
		munmap(a, size);
		munmap(b, size);
		close(f);
	}
	FDS_SAME(fds);
}

/* ---- cases: CMA ------------------------------------------------------------ */

/*
 * cma_heap_allocate(): one cma_alloc() of all the pages, aligned to
 * 2^min(get_order(size), CONFIG_CMA_ALIGNMENT) pages (8, 1 MiB, by
 * default).  Userspace sees no PFNs of it (pagemap skips VM_PFNMAP vmas),
 * but it sees the capacity: 516 KiB buffers take a 1 MiB-aligned range
 * each, so the area holds at most one per MiB (127 if packed); then
 * 128 KiB ones (order 5) still fit, up to three in the rest of each MiB.
 */
static void t_cma_align(void)
{
	static int big[128], small[512];
	unsigned int mib, nb = 0, ns = 0;
	int fds, bufs, eb = 0, es = 0;

	if (!cma_heap) {
		case_skip = "no CMA heap";
		return;
	}
	fds = fd_count();
	bufs = bufs_total();
	mib = cma_size / MiB;
	for (nb = 0; nb < 128; nb++) {
		big[nb] = BUF(cma_heap, 512 * 1024 + pgsz);
		if (big[nb] < 0) {
			eb = errno;
			break;
		}
	}
	for (ns = 0; ns < 512; ns++) {
		small[ns] = BUF(cma_heap, 128 * 1024);
		if (small[ns] < 0) {
			es = errno;
			break;
		}
	}
	printf("# %s, %u MiB: %u buffers of 516 KiB (then %s), %u of 128 KiB after them (then %s)\n",
	       cma_name, mib, nb, strerror(eb), ns, strerror(es));
	EXPECT(eb == ENOMEM && es == ENOMEM, "stopped by %s and %s, want ENOMEM", strerror(eb),
	       strerror(es));
	EXPECT(nb <= mib && nb + 8 >= mib, "%u buffers of 516 KiB in %u MiB: want one per MiB", nb, mib);
	EXPECT(ns >= 2 * nb, "%u buffers of 128 KiB next to %u of 516 KiB: want 3 per MiB", ns, nb);
	close_all(small, ns);
	close_all(big, nb);
	FDS_SAME(fds);
	BUFS_BACK(bufs, "after the fill");
	CMA_WHOLE_OK("after the fill");
}

/* cma_alloc() fails: ENOMEM; the area is usable whole before and after */
static void t_cma_enomem(void)
{
	int fds, bufs, big, more;
	long cfree0, cfree1;

	if (!cma_heap) {
		case_skip = "no CMA heap";
		return;
	}
	fds = fd_count();
	bufs = bufs_total();
	cfree0 = meminfo_kb("CmaFree");
	EXPECT_ERR(buf_new(cma_heap->fd, 2 * cma_size, RW_CLOEXEC), ENOMEM);
	EXPECT_ERR(buf_new(cma_heap->fd, cma_size + pgsz, RW_CLOEXEC), ENOMEM);
	/* the 64-bit len gets through whole (a 32-bit task too) */
	EXPECT_ERR(buf_new(cma_heap->fd, (1ULL << 32) + pgsz, RW_CLOEXEC), ENOMEM);
	EXPECT_ERR(buf_new(cma_heap->fd, 1ULL << 40, RW_CLOEXEC), ENOMEM);
	FDS_SAME(fds);
	BUFS_BACK(bufs, "after ENOMEM");
	big = cma_big(cma_whole());
	SETUP(big >= 0);
	cfree1 = meminfo_kb("CmaFree");
	/* the area is taken: 4 MiB are left at most */
	more = BUF(cma_heap, 8 * MiB);
	EXPECT(more < 0 && errno == ENOMEM, "%s: 8 MiB more with %llu MiB held: %s", cma_name,
	       cma_whole() / MiB, more < 0 ? strerror(errno) : "allocated");
	CLOSE(more, big);
	printf("# CmaFree %ld kB, %ld kB while %llu MiB were held, %ld kB after\n", cfree0, cfree1,
	       cma_whole() / MiB, meminfo_kb("CmaFree"));
	CMA_WHOLE_OK("after freeing");
	CMA_WHOLE_OK("twice");
	FDS_SAME(fds);
}

/*
 * No free fd: 6.12 allocates first, then get_unused_fd_flags() says EMFILE
 * and the buffer is dropped (dma_buf_put).
 */
static void t_emfile(void)
{
	int i, lo, fds = fd_count(), bufs = bufs_total(), r[2] = { 0, 0 }, e[2] = { 0, 0 };
	long free0 = meminfo_kb("MemFree");
	struct rlimit rl, low;

	SETUP(!getrlimit(RLIMIT_NOFILE, &rl));
	lo = lowest_free_fd();
	low = rl;
	low.rlim_cur = lo;
	SETUP(!setrlimit(RLIMIT_NOFILE, &low));
	for (i = 0; i < nheaps; i++) {
		unsigned long long len = &heaps[i] == cma_heap ? cma_whole() : 64 * MiB;
		int k;

		for (k = 0; k < 3; k++) {
			int f = buf_new(heaps[i].fd, len, RW_CLOEXEC);

			if (f < 0 && errno == EMFILE)
				continue;
			r[i] = 1;
			e[i] = f < 0 ? errno : 0;
			CLOSE(f);
			break;
		}
	}
	setrlimit(RLIMIT_NOFILE, &rl);
	for (i = 0; i < nheaps; i++)
		EXPECT(!r[i], "%s: ALLOC without a free fd: %s, want EMFILE", heaps[i].name,
		       strerror(e[i]));
	FDS_SAME(fds);
	BUFS_BACK(bufs, "after EMFILE");
	MEMFREE_BACK(free0, 16 * 1024, "3 x 64 MiB refused with EMFILE");
	if (cma_heap)
		CMA_WHOLE_OK("after 3 refused with EMFILE");
}

/* ---- cases: memory ------------------------------------------------------ */

static void t_memfree(void)
{
	int i, fd[8], fds = fd_count(), bufs = bufs_total();
	long free0 = meminfo_kb("MemFree"), before, after, held;
	double t = now_ms();

	SETUP(free0 > 0);
	for (i = 0; i < 20; i++) {
		int f;

		before = meminfo_kb("MemFree");
		f = BUF(sys_heap, 64 * MiB);
		after = meminfo_kb("MemFree");
		if (!EXPECT(f >= 0, "round %d: %s", i, strerror(errno)))
			break;
		/* the pages are really taken (and, __GFP_ZERO, cleared) by ALLOC */
		EXPECT(before - after >= 56 * 1024, "round %d: MemFree %ld kB -> %ld kB with 64 MiB held",
		       i, before, after);
		close(f);
	}
	before = meminfo_kb("MemFree");
	for (i = 0; i < 8; i++) {
		fd[i] = BUF(sys_heap, 64 * MiB);
		if (!EXPECT(fd[i] >= 0, "buffer %d of 8: %s", i, strerror(errno)))
			break;
	}
	held = meminfo_kb("MemFree");
	EXPECT(i < 8 || before - held >= 8 * 56 * 1024, "MemFree %ld kB -> %ld kB with 512 MiB held",
	       before, held);
	close_all(fd, i);
	MEMFREE_BACK(free0, 16 * 1024, "28 x 64 MiB allocated and freed");
	printf("# MemFree %ld kB at the start, %ld kB with 512 MiB held, %ld kB at the end (%.0f ms)\n",
	       free0, held, meminfo_kb("MemFree"), now_ms() - t);
	FDS_SAME(fds);
	BUFS_BACK(bufs, "after the rounds");
}

/*
 * SIGKILL in the middle of one big ALLOC: system_heap_allocate() checks
 * fatal_signal_pending() before each chunk ("Avoid trying to allocate
 * memory if the process has been killed by SIGKILL") and frees what it
 * had: the child dies long before the allocation could have finished.
 */
static void t_fatal_signal(void)
{
	long avail = meminfo_kb("MemAvailable"), free0, free1, low, minfree, status = 0;
	unsigned long long len = (unsigned long long)avail * 1024 * 55 / 100;
	double t, full, in_alloc, reaped = -1;
	int p[2], f, st = 0, w = 0;
	char c = 0;
	pid_t pid;

	if (len > 2048 * MiB)
		len = 2048 * MiB;
	len -= len % MiB;
	if (len < 256 * MiB) {
		case_skip = "less than 512 MiB available";
		return;
	}
	free0 = meminfo_kb("MemFree");
	t = now_ms();
	f = BUF(sys_heap, len);
	full = now_ms() - t;
	SETUP(f >= 0);
	close(f);
	MEMFREE_BACK(free0, 16 * 1024, "after the timed ALLOC");
	free1 = meminfo_kb("MemFree");
	SETUP(!pipe(p));
	pid = fork();
	SETUP(pid >= 0);
	if (!pid) {
		struct dma_heap_allocation_data d = { .len = len, .fd_flags = RW_CLOEXEC };

		signal(SIGALRM, SIG_DFL);
		alarm(60);
		close(p[0]);
		if (write(p[1], "r", 1) != 1)
			_exit(3);
		c = ioctl(sys_heap->fd, DMA_HEAP_IOCTL_ALLOC, &d) ? 'f' : 'd';
		if (write(p[1], &c, 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(p[1]);
	SETUP(read(p[0], &c, 1) == 1 && c == 'r');
	/* wait until the allocation is visibly under way (64 MiB taken) */
	t = now_ms();
	do {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };

		low = meminfo_kb("MemFree");
		if (free1 - low >= 64 * 1024 || poll(&pf, 1, 0) > 0)
			break;
	} while (now_ms() - t < 5000);
	sleep_ms(20);
	in_alloc = now_ms() - t;
	low = minfree = meminfo_kb("MemFree");
	t = now_ms();
	kill(pid, SIGKILL);
	/* the lowest MemFree until it is gone: how much it took after the kill */
	while ((w = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() - t < 10000) {
		long m = meminfo_kb("MemFree");

		minfree = m >= 0 && m < minfree ? m : minfree;
	}
	if (w == pid)
		reaped = now_ms() - t;
	else
		w = waitpid(pid, &st, 0);
	EXPECT(w == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child: waitpid %d, status %#x",
	       w, st);
	c = 0;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	status = read(p[0], &c, 1);
	close(p[0]);
	printf("# ALLOC of %llu MiB: %.0f ms unkilled; child killed after %.0f ms in ALLOC "
	       "(MemFree %ld MiB lower), then took %ld MiB more, reaped %.0f ms after SIGKILL%s\n",
	       len / MiB, full, in_alloc, (free1 - low) / 1024, (low - minfree) / 1024, reaped,
	       status == 1 ? " (its ALLOC had returned!)" : "");
	EXPECT(status != 1, "the child's ALLOC returned (%c) before the kill, after %.0f ms", c, in_alloc);
	EXPECT(reaped >= 0 && reaped < 3000, "reaped %.0f ms after SIGKILL", reaped);
	/* prompt: it stops taking pages, and is gone well before a whole ALLOC */
	EXPECT(low - minfree < (long)(len / 1024 / 4),
	       "MemFree fell %ld MiB more after SIGKILL (of %llu MiB asked, %ld MiB taken before)",
	       (low - minfree) / 1024, len / MiB, (free1 - low) / 1024);
	EXPECT(full < 400 || reaped < full / 2, "reaped %.0f ms after SIGKILL, a whole ALLOC takes %.0f ms",
	       reaped, full);
	MEMFREE_BACK(free1, 16 * 1024, "after the killed ALLOC");
}

/* ---- cases: concurrency ------------------------------------------------------ */

static int child_rounds(int id, int rounds)
{
	int r;

	rnd_state = 7919 * (id + 1);
	for (r = 0; r < rounds; r++) {
		struct heap *h = &heaps[(r + id) % nheaps];
		size_t size = (1 + rnd() % 64) * pgsz;
		unsigned char pat = (unsigned char)(id * 64 + r + 1);
		int f;
		char *a, *b;
		long off;

		if (r % 8 == 7)
			size = MiB + pgsz;
		f = BUF(h, size);
		if (f < 0) {
			printf("# child %d round %d: %s ALLOC %zu: %s\n", id, r, h->name, size, strerror(errno));
			return 1;
		}
		a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
		b = mmap(NULL, size, PROT_READ, MAP_SHARED, f, 0);
		if (a == MAP_FAILED || b == MAP_FAILED) {
			printf("# child %d round %d: mmap: %s\n", id, r, strerror(errno));
			return 1;
		}
		off = first_not(b, size, 0);
		if (off >= 0) {
			printf("# child %d round %d: %s: new buffer byte %ld is %#x\n", id, r, h->name, off,
			       (unsigned char)b[off]);
			return 1;
		}
		sync_buf(f, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		memset(a, pat, size);
		sync_buf(f, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		off = first_not(b, size, pat);
		if (off >= 0) {
			printf("# child %d round %d: %s: byte %ld is %#x, want %#x\n", id, r, h->name, off,
			       (unsigned char)b[off], pat);
			return 1;
		}
		munmap(a, size);
		munmap(b, size);
		close(f);
	}
	return 0;
}

static void t_concurrency(void)
{
	const int nchild = 4, rounds = 40;
	int i, st, bad = 0, fds = fd_count(), bufs = bufs_total();
	long free0 = meminfo_kb("MemFree");
	pid_t pid[4];
	double t = now_ms();

	for (i = 0; i < nchild; i++) {
		pid[i] = fork();
		if (!pid[i]) {
			signal(SIGALRM, SIG_DFL);
			alarm(100);
			_exit(child_rounds(i, rounds));
		}
		SETUP(pid[i] > 0);
	}
	for (i = 0; i < nchild; i++) {
		st = -1;
		waitpid(pid[i], &st, 0);
		bad += !EXPECT(WIFEXITED(st) && !WEXITSTATUS(st), "child %d: status %#x", i, st);
	}
	printf("# %d children x %d rounds on %s%s%s: %.0f ms\n", nchild, rounds, sys_heap->name,
	       cma_heap ? " and " : "", cma_heap ? cma_name : "", now_ms() - t);
	FDS_SAME(fds);
	BUFS_BACK(bufs, "after the children");
	MEMFREE_BACK(free0, 16 * 1024, "after the children");
	if (cma_heap)
		CMA_WHOLE_OK("after the children");
}

/* ---- cases: fail-nth (ours) ------------------------------------------------- */

static void t_failnth_system(void)
{
	static const unsigned int sizes[] = { 24, 200 };
	int fds = fd_count(), f, r;
	unsigned int j;

	for (j = 0; j < 2; j++) {
		r = failnth_walk(sys_heap, 16 * MiB, sizes[j], 8 * 1024, &f);
		if (f >= 0)
			BUF_IS(f, 16 * MiB, sys_heap->name);
		CLOSE(f);
		if (r == 1) {
			case_skip = "no dma-buf fault point";
			break;
		}
		if (r)
			break;
	}
	FDS_SAME(fds);
}

static void t_failnth_cma(void)
{
	int fds = fd_count(), f, r;

	if (!cma_heap) {
		case_skip = "no CMA heap";
		return;
	}
	/* a failure that leaked its 16 MiB would show in the whole-area ALLOC */
	r = failnth_walk(cma_heap, 16 * MiB, 24, -1, &f);
	if (f >= 0)
		BUF_IS(f, 16 * MiB, cma_name);
	CLOSE(f);
	if (r == 1)
		case_skip = "no dma-buf fault point";
	else if (!r)
		CMA_WHOLE_OK("after the walk");
	FDS_SAME(fds);
}

static const struct tap_case cases[] = {
	{ t_nodes, "heaps: char devices 0600, one major, dev matches /sys/class/dma_heap" },
	{ t_devnode, "heap fd: no read/write/seek/mmap, default poll, ALLOC via O_RDONLY" },
	{ t_einval_fields, "ALLOC: fd != 0, fd_flags beyond CLOEXEC|ACCMODE, heap_flags EINVAL" },
	{ t_einval_len, "ALLOC: len 0 or aligning to 0 EINVAL; checks before allocating" },
	{ t_ioctl_nr, "ioctl: every _IOC_NR but 0 is EINVAL (not ENOTTY), before copying" },
	{ t_ioctl_magic, "ioctl: nr 0 with any type is ALLOC; no direction/size is len 0" },
	{ t_efault_in, "ALLOC: unreadable argument EFAULT, no fd, no buffer" },
	{ t_efault_out, "ALLOC: read-only argument EFAULT after allocating, all dropped" },
	{ t_size_small, "argument sizes 24/16/12/8/4: read/written as far as the size" },
	{ t_size_big, "argument sizes 32..16383: the tail comes back as passed" },
	{ t_dir_ior, "_IOR: nothing copied in, len 0: EINVAL, even for NULL" },
	{ t_dir_iow, "_IOW: allocated, fd installed (lowest free), not written back" },
	{ t_len_round, "len rounding: 1 -> a page, page+1 -> 2; SEEK_END, st_size" },
	{ t_cloexec, "fd_flags: O_CLOEXEC sets FD_CLOEXEC, else not; lowest free fd" },
	{ t_accmode, "fd_flags: access mode is the file's; mmap EACCES without it" },
	{ t_fdinfo, "fdinfo: size, count, flags, exp_name = the heap's name" },
	{ t_zero_system, "system: new buffers read zero after filled ones were freed" },
	{ t_zero_cma, "CMA: new buffers read zero after filled ones were freed" },
	{ t_mmap_system, "system mmap: whole, offset, bounds EINVAL, pfn map, no mremap" },
	{ t_mmap_cma, "CMA mmap: whole, offset, bounds EINVAL, pfn map, no mremap" },
	{ t_mmap_private, "MAP_PRIVATE: CMA EINVAL; system one page COW, more EINVAL" },
	{ t_sync, "DMA_BUF_IOCTL_SYNC around CPU writes on both heaps" },
	{ t_cma_align, "CMA: aligned to min(order, 8): one 516 KiB buffer per MiB" },
	{ t_cma_enomem, "CMA: more than the area ENOMEM, no leak; whole area again" },
	{ t_emfile, "no free fd: EMFILE after allocating, buffer dropped" },
	{ t_memfree, "system: 20 x 64 MiB and 8 held, MemFree comes back" },
	{ t_fatal_signal, "system: SIGKILL during a big ALLOC is prompt, no leak" },
	{ t_concurrency, "4 children x 40 rounds on both heaps at once, no leak" },
	{ t_failnth_system, "fail-nth: system ALLOC walk, ENOMEM, nothing left" },
	{ t_failnth_cma, "fail-nth: CMA ALLOC walk, ENOMEM, the area still whole" },
};

/* the CMA heap: the one that is not "system" ("reserved" first) */
static void find_cma(void)
{
	DIR *d = opendir(HEAP_DIR);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "system"))
			continue;
		if (!cma_name[0] || !strcmp(e->d_name, "reserved"))
			snprintf(cma_name, sizeof(cma_name), "%s", e->d_name);
	}
	if (d)
		closedir(d);
}

int main(void)
{
	unsigned int i, n = sizeof(cases) / sizeof(cases[0]);
	char path[300], *area;
	long cma_kb;

	pgsz = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%u\n", n);
	area = mmap(NULL, 6 * pgsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	heaps[0].fd = open(HEAP_DIR "/system", O_RDWR | O_CLOEXEC);
	heaps[0].name = "system";
	if (area == MAP_FAILED || heaps[0].fd < 0) {
		printf("# setup: " HEAP_DIR "/system: %s\n", strerror(errno));
		for (i = 0; i < n; i++)
			printf("not ok %u - %s\n", i + 1, cases[i].name);
		return 1;
	}
	munmap(area + 4 * pgsz, pgsz);
	bad_ptr = area + 4 * pgsz;
	ro_page = area + 5 * pgsz;
	mprotect(ro_page, pgsz, PROT_READ);
	sys_heap = &heaps[0];
	nheaps = 1;
	find_cma();
	cma_kb = meminfo_kb("CmaTotal");
	if (cma_name[0]) {
		snprintf(path, sizeof(path), HEAP_DIR "/%s", cma_name);
		heaps[1].fd = open(path, O_RDWR | O_CLOEXEC);
		heaps[1].name = cma_name;
		if (heaps[1].fd >= 0 && cma_kb > 16 * 1024) {
			cma_heap = &heaps[1];
			cma_size = cma_kb * 1024ULL;
			nheaps = 2;
		} else {
			printf("# %s: %s, CmaTotal %ld kB: no CMA cases\n", path, strerror(errno), cma_kb);
		}
	}
	failnth_open();
	have_bufinfo = bufs_total() >= 0;
	printf("# %s, page %ld, heaps: system%s%s (CmaTotal %ld kB), MemTotal %ld kB, MemFree %ld kB, "
	       "fail-nth %s, bufinfo %s\n", sizeof(void *) == 8 ? "64-bit" : "32-bit", pgsz,
	       cma_heap ? " " : "", cma_heap ? cma_name : "", cma_kb, meminfo_kb("MemTotal"),
	       meminfo_kb("MemFree"), failnth_w >= 0 ? "yes" : "no", have_bufinfo ? "yes" : "no");

	return run_cases(cases, n);
}
