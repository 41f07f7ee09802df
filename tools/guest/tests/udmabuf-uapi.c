// SPDX-License-Identifier: GPL-2.0-only
/*
 * udmabuf-uapi: TAP-13 test of /dev/udmabuf (include/uapi/linux/udmabuf.h:
 * UDMABUF_CREATE, UDMABUF_CREATE_LIST) with the semantics of Linux 6.12.
 *
 * Everything is observed from userspace: errno and its priority, the fds
 * that appear (/proc/self/fd, fcntl, fdinfo), the memfd's seals (a pinned
 * page makes F_SEAL_WRITE fail with EBUSY: mm/memfd.c memfd_wait_for_pins()),
 * what the dma-buf's mmap shows and lets through, MemFree and debugfs
 * dma_buf/bufinfo for leaks.  Upstream's selftest
 * (tools/testing/selftests/drivers/dma-buf/udmabuf.c) covers the basic
 * create/mmap/hugetlb successes; this goes for the edges.  Where 6.12's
 * answer is not the obvious guess a comment says which upstream line gives
 * it (drivers/dma-buf/udmabuf.c unless said otherwise).
 *
 * The fail-nth walk (ours only: every allocation of our dma-buf code asks
 * dma_buf_fail_alloc()) skips when fail-nth = 1 does not make the CREATE
 * fail, and without /proc/self/task/<tid>/fail-nth.  The hugetlb case skips
 * when no huge pages can be reserved.
 *
 * Without arguments it prints TAP and exits 0 iff every case passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/dma-buf.h>
#include <linux/udmabuf.h>

#include "tap.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#define TMPFS_MAGIC_	0x01021994

/* one layout for 64-bit and i386 tasks (compat_ioctl is the same handler) */
_Static_assert(sizeof(struct udmabuf_create) == 24, "udmabuf_create");
_Static_assert(sizeof(struct udmabuf_create_item) == 24, "udmabuf_create_item");
_Static_assert(sizeof(struct udmabuf_create_list) == 8, "udmabuf_create_list");

#define MiB		(1024ULL * 1024)
#define PARAM_DIR	"/sys/module/udmabuf/parameters/"
#define BUFINFO_PATH	"/sys/kernel/debug/dma_buf/bufinfo"
#define HUGE_NR		"/proc/sys/vm/nr_hugepages"

static long pgsz;
static int udev = -1;		/* /dev/udmabuf */
static char *bad_ptr;		/* an unmapped page after a mapped one */

static int bufs_total(void)
{
	char *p = read_text(BUFINFO_PATH), *last = NULL;
	int n = -1;

	while (p && (p = strstr(p, "\nTotal ")))
		last = p++;
	return last && sscanf(last, "\nTotal %d objects", &n) == 1 ? n : -1;
}

/* ---- module parameters and sysctls --------------------------------------- */

static long read_long(const char *path)
{
	char *t = read_text(path);

	return t && *t ? strtol(t, NULL, 10) : -1;
}

static int write_long(const char *path, long v)
{
	char b[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), len = snprintf(b, sizeof(b), "%ld", v);
	int r = fd >= 0 && write(fd, b, len) == len ? 0 : -1;

	if (fd >= 0)
		close(fd);
	return r;
}

/* ---- memfds and requests --------------------------------------------------- */

static unsigned char pat(int tag, long page, long i)
{
	return (unsigned char)(tag * 37 + page * 11 + i % 251 + 1);
}

static void fill(unsigned char *p, int tag, long page)
{
	long i;

	for (i = 0; i < pgsz; i++)
		p[i] = pat(tag, page, i);
}

/* page p of memfd tag `tag' at q? */
static bool page_is(const unsigned char *q, int tag, long page)
{
	long i;

	for (i = 0; i < pgsz; i++)
		if (q[i] != pat(tag, page, i))
			return false;
	return true;
}

/* a shmem memfd of `pages' pages, each filled with pat(tag, page), sealed `seals' */
static int mfd_new(long pages, int tag, int seals)
{
	unsigned char *b = malloc(pgsz);
	int fd = memfd_create("udmabuf-uapi", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	long p;

	if (fd < 0 || !b || ftruncate(fd, pages * pgsz))
		goto fail;
	for (p = 0; p < pages; p++) {
		fill(b, tag, p);
		if (pwrite(fd, b, pgsz, p * pgsz) != pgsz)
			goto fail;
	}
	if (seals && fcntl(fd, F_ADD_SEALS, seals))
		goto fail;
	free(b);
	return fd;
fail:
	free(b);
	if (fd >= 0)
		close(fd);
	return -1;
}

static int ucreate(int memfd, __u64 off, __u64 size, __u32 flags)
{
	struct udmabuf_create c = { .memfd = (__u32)memfd, .flags = flags, .offset = off, .size = size };

	return ioctl(udev, UDMABUF_CREATE, &c);
}

struct item { int fd; __u64 off, size; };

/* CREATE_LIST of n items */
static int ulist(__u32 flags, unsigned int n, const struct item *it)
{
	struct udmabuf_create_list *l = calloc(1, sizeof(*l) + (n + 1) * sizeof(l->list[0]));
	unsigned int i;
	int r, e;

	if (!l)
		return -1;
	l->flags = flags;
	l->count = n;
	for (i = 0; i < n; i++) {
		l->list[i].memfd = (__u32)it[i].fd;
		l->list[i].offset = it[i].off;
		l->list[i].size = it[i].size;
	}
	r = ioctl(udev, UDMABUF_CREATE_LIST, l);
	e = errno;
	free(l);
	errno = e;
	return r;
}

/* expr (a create) must fail with errno want and leave no fd behind */
#define CREATE_ERR(expr, want) ({					\
	int f0_ = fd_count();						\
	int r_ = (expr), e_ = errno;					\
	if (r_ >= 0)							\
		close(r_);						\
	EXPECT(r_ == -1 && e_ == (want), "%s = %d (%s), want %s", #expr, r_, \
	       r_ == -1 ? strerror(e_) : "-", strerror(want));		\
	EXPECT(fd_count() == f0_, "%s: fd count %d, was %d", #expr, fd_count(), f0_); \
})
/* expr (a create) must succeed: its fd */
#define CREATE_OK(expr) ({						\
	int r_ = (expr);						\
	EXPECT(r_ >= 0, "%s: %s", #expr, strerror(errno));		\
	r_;								\
})

/* F_SEAL_WRITE can be added: nothing pins the memfd */
#define UNPINNED(memfd, what) ({					\
	int s_ = fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE), e_ = errno;	\
	EXPECT(!s_, "%s: F_SEAL_WRITE: %s (a pin left?)", what, s_ ? strerror(e_) : "-"); \
})

/* the buffer maps and shows pages (tag[k], page[k]), k < n */
static bool buf_shows(int buf, unsigned int n, const int *tag, const long *page, const char *what)
{
	unsigned char *m = mmap(NULL, n * pgsz, PROT_READ, MAP_SHARED, buf, 0);
	unsigned int k;
	bool ok = true;

	if (!EXPECT(m != MAP_FAILED, "%s: mmap: %s", what, strerror(errno)))
		return false;
	for (k = 0; k < n; k++)
		ok &= EXPECT(page_is(m + k * pgsz, tag[k], page[k]),
			     "%s: page %u is not memfd %d page %ld", what, k, tag[k], page[k]);
	munmap(m, n * pgsz);
	return ok;
}

/* ---- cases: validation ------------------------------------------------------ */

static void t_ebadfd(void)
{
	int fds = fd_count(), p[2] = { -1, -1 }, null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int m = mfd_new(1, 1, F_SEAL_SHRINK), b = -1, closed;

	SETUP(null >= 0 && m >= 0 && !pipe2(p, O_CLOEXEC));
	b = CREATE_OK(ucreate(m, 0, pgsz, 0));
	closed = dup(null);
	close(closed);
	CREATE_ERR(ucreate(p[0], 0, pgsz, 0), EBADFD);
	CREATE_ERR(ucreate(p[1], 0, pgsz, 0), EBADFD);
	CREATE_ERR(ucreate(null, 0, pgsz, 0), EBADFD);
	CREATE_ERR(ucreate(udev, 0, pgsz, 0), EBADFD);
	/* a dma-buf is not shmem either, even one made of shmem pages */
	CREATE_ERR(ucreate(b, 0, pgsz, 0), EBADFD);
	/* fget() failing is EBADFD too, not EBADF: udmabuf_create() "if (!memfd)" */
	CREATE_ERR(ucreate(closed, 0, pgsz, 0), EBADFD);
	CREATE_ERR(ucreate(-1, 0, pgsz, 0), EBADFD);
	CLOSE(p[0], p[1], null, m, b);
	FDS_SAME(fds);
}

/* a tmpfs file that is not a memfd: an O_TMPFILE on a tmpfs we mount */
static int tmpfs_file(char *dir, size_t len)
{
	struct statfs st;
	int fd;

	snprintf(dir, len, "/tmp/udmabuf-uapi.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (mount("tmpfs", dir, "tmpfs", 0, "size=1M") || statfs(dir, &st) ||
	    st.f_type != TMPFS_MAGIC_) {
		rmdir(dir);
		dir[0] = 0;
		return -1;
	}
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 && ftruncate(fd, pgsz)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void t_seals(void)
{
	static const struct { int seals; const char *what; } bad[] = {
		{ 0, "no seals" },
		{ F_SEAL_GROW, "GROW" },
		{ F_SEAL_SHRINK | F_SEAL_WRITE, "SHRINK|WRITE" },
		{ F_SEAL_SHRINK | F_SEAL_FUTURE_WRITE, "SHRINK|FUTURE_WRITE" },
		{ F_SEAL_WRITE, "WRITE" },
	};
	int fds = fd_count(), m, b, t;
	char dir[64] = "";
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = mfd_new(1, 1, bad[i].seals);
		SETUP(m >= 0);
		CREATE_ERR(ucreate(m, 0, pgsz, 0), EINVAL);
		if (case_failed)
			printf("# with %s\n", bad[i].what);
		close(m);
	}
	/* without MFD_ALLOW_SEALING the seals are F_SEAL_SEAL: EINVAL, not EBADFD */
	m = memfd_create("udmabuf-uapi", MFD_CLOEXEC);
	SETUP(m >= 0 && !ftruncate(m, pgsz));
	CREATE_ERR(ucreate(m, 0, pgsz, 0), EINVAL);
	close(m);
	/* so is a plain tmpfs file: shmem_get_inode() gives it F_SEAL_SEAL */
	t = tmpfs_file(dir, sizeof(dir));
	if (EXPECT(t >= 0, "tmpfs O_TMPFILE: %s", strerror(errno)))
		CREATE_ERR(ucreate(t, 0, pgsz, 0), EINVAL);
	CLOSE(t);
	if (dir[0]) {
		umount(dir);
		rmdir(dir);
	}
	/* the seals besides: GROW, SEAL are fine */
	m = mfd_new(1, 1, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	SETUP(m >= 0);
	b = CREATE_OK(ucreate(m, 0, pgsz, 0));
	CLOSE(m, b);
	FDS_SAME(fds);
}

static void t_align(void)
{
	int fds = fd_count(), m = mfd_new(4, 1, F_SEAL_SHRINK), p[2] = { -1, -1 };

	SETUP(m >= 0 && !pipe2(p, O_CLOEXEC));
	CREATE_ERR(ucreate(m, 1, pgsz, 0), EINVAL);
	CREATE_ERR(ucreate(m, pgsz / 2, pgsz, 0), EINVAL);
	CREATE_ERR(ucreate(m, 0, 1, 0), EINVAL);
	CREATE_ERR(ucreate(m, 0, pgsz + 1, 0), EINVAL);
	CREATE_ERR(ucreate(m, 0, 2 * pgsz - 1, 0), EINVAL);
	/* every range is checked for alignment before any fd is looked up */
	CREATE_ERR(ucreate(p[0], 1, pgsz, 0), EINVAL);
	CREATE_ERR(ulist(0, 2, (struct item[]){ { p[0], 0, pgsz }, { m, 0, 100 } }), EINVAL);
	CREATE_ERR(ulist(0, 2, (struct item[]){ { -1, 0, pgsz }, { m, 8, pgsz } }), EINVAL);
	CLOSE(m, p[0], p[1]);
	FDS_SAME(fds);
}

static void t_size_zero(void)
{
	int fds = fd_count(), m = mfd_new(2, 1, F_SEAL_SHRINK), p[2] = { -1, -1 };
	struct udmabuf_create_list *l = (void *)(bad_ptr - sizeof(*l));

	SETUP(m >= 0 && !pipe2(p, O_CLOEXEC));
	CREATE_ERR(ucreate(m, 0, 0, 0), EINVAL);
	/* an empty buffer is EINVAL before the fd is looked at */
	CREATE_ERR(ucreate(p[0], 0, 0, 0), EINVAL);
	CREATE_ERR(ulist(0, 0, NULL), EINVAL);
	/* count 0: memdup_user() of 0 bytes reads nothing, so no EFAULT */
	l->flags = 0;
	l->count = 0;
	CREATE_ERR(ioctl(udev, UDMABUF_CREATE_LIST, l), EINVAL);
	CREATE_ERR(ulist(0, 2, (struct item[]){ { m, 0, 0 }, { m, pgsz, 0 } }), EINVAL);
	/* a zero range next to a real one: memfd_pin_folios(start > end) EINVAL */
	CREATE_ERR(ulist(0, 2, (struct item[]){ { m, 0, pgsz }, { m, pgsz, 0 } }), EINVAL);
	CREATE_ERR(ulist(0, 2, (struct item[]){ { m, 0, 0 }, { m, pgsz, pgsz } }), EINVAL);
	UNPINNED(m, "after the zero-range failures");
	CLOSE(m, p[0], p[1]);
	FDS_SAME(fds);
}

static void t_range(void)
{
	int fds = fd_count(), m = mfd_new(4, 1, F_SEAL_SHRINK), b;

	SETUP(m >= 0);
	CREATE_ERR(ucreate(m, 4 * pgsz, pgsz, 0), EINVAL);
	CREATE_ERR(ucreate(m, 0, 5 * pgsz, 0), EINVAL);
	CREATE_ERR(ucreate(m, 3 * pgsz, 2 * pgsz, 0), EINVAL);
	CREATE_ERR(ucreate(m, 100 * pgsz, pgsz, 0), EINVAL);
	/* offset + size wrapping, and offsets that are negative loff_t */
	CREATE_ERR(ucreate(m, -(__u64)pgsz, 2 * pgsz, 0), EINVAL);
	CREATE_ERR(ucreate(m, -(__u64)pgsz, pgsz, 0), EINVAL);
	CREATE_ERR(ucreate(m, 1ULL << 63, pgsz, 0), EINVAL);
	CREATE_ERR(ucreate(m, (1ULL << 63) - pgsz, 2 * pgsz, 0), EINVAL);
	/* a range past the end after a good one: the good one's pins dropped */
	CREATE_ERR(ulist(0, 2, (struct item[]){ { m, 0, 2 * pgsz }, { m, 3 * pgsz, 2 * pgsz } }),
		   EINVAL);
	b = CREATE_OK(ucreate(m, 3 * pgsz, pgsz, 0));
	if (b >= 0)
		buf_shows(b, 1, (int[]){ 1 }, (long[]){ 3 }, "last page");
	CLOSE(b);
	UNPINNED(m, "after the range failures");
	close(m);
	FDS_SAME(fds);
}

static void t_size_limit(void)
{
	long lim = read_long(PARAM_DIR "size_limit_mb");
	int fds = fd_count(), p[2] = { -1, -1 }, m = -1, b;

	SETUP(lim > 0 && !pipe2(p, O_CLOEXEC));
	/* the limit is checked before the fd: EINVAL over EBADFD */
	CREATE_ERR(ucreate(p[0], 0, lim * MiB + pgsz, 0), EINVAL);
	CREATE_ERR(ucreate(p[0], 0, lim * MiB, 0), EBADFD);
	CREATE_ERR(ulist(0, 2, (struct item[]){ { p[0], 0, lim * MiB }, { p[0], 0, pgsz } }), EINVAL);
	CREATE_ERR(ucreate(p[0], 0, -(__u64)pgsz, 0), EINVAL);
	if (write_long(PARAM_DIR "size_limit_mb", 1)) {
		printf("# size_limit_mb not writable: %s\n", strerror(errno));
		goto out;
	}
	m = mfd_new(2 * MiB / pgsz, 2, F_SEAL_SHRINK);
	if (EXPECT(m >= 0, "memfd: %s", strerror(errno))) {
		b = CREATE_OK(ucreate(m, 0, MiB, 0));
		CLOSE(b);
		CREATE_ERR(ucreate(m, 0, MiB + pgsz, 0), EINVAL);
		CREATE_ERR(ulist(0, 2, (struct item[]){ { m, 0, MiB / 2 }, { m, MiB, MiB / 2 + pgsz } }),
			   EINVAL);
		b = CREATE_OK(ulist(0, 2, (struct item[]){ { m, 0, MiB / 2 }, { m, MiB, MiB / 2 } }));
		CLOSE(b);
	}
	EXPECT(!write_long(PARAM_DIR "size_limit_mb", lim), "restore size_limit_mb: %s",
	       strerror(errno));
	CLOSE(m);
out:
	CLOSE(p[0], p[1]);
	FDS_SAME(fds);
}

static void t_list_limit(void)
{
	long lim = read_long(PARAM_DIR "list_limit");
	struct udmabuf_create_list *l = (void *)(bad_ptr - sizeof(*l));
	int fds = fd_count(), m = mfd_new(4, 3, F_SEAL_SHRINK), b;
	struct item it[3];
	int i;

	SETUP(lim > 0 && m >= 0);
	/* count over the limit is EINVAL before the items are read (EFAULT) */
	l->flags = 0;
	l->count = lim + 1;
	CREATE_ERR(ioctl(udev, UDMABUF_CREATE_LIST, l), EINVAL);
	l->count = 0xffffffff;
	CREATE_ERR(ioctl(udev, UDMABUF_CREATE_LIST, l), EINVAL);
	l->count = 1;
	CREATE_ERR(ioctl(udev, UDMABUF_CREATE_LIST, l), EFAULT);
	for (i = 0; i < 3; i++)
		it[i] = (struct item){ m, i * pgsz, pgsz };
	if (write_long(PARAM_DIR "list_limit", 2)) {
		printf("# list_limit not writable: %s\n", strerror(errno));
	} else {
		CREATE_ERR(ulist(0, 3, it), EINVAL);
		b = CREATE_OK(ulist(0, 2, it));
		CLOSE(b);
		EXPECT(!write_long(PARAM_DIR "list_limit", lim), "restore list_limit: %s",
		       strerror(errno));
	}
	b = CREATE_OK(ulist(0, 3, it));
	CLOSE(b, m);
	FDS_SAME(fds);
}

static void t_efault(void)
{
	int fds = fd_count(), m = mfd_new(1, 1, F_SEAL_SHRINK);
	struct udmabuf_create_list *l = (void *)(bad_ptr - sizeof(*l) - sizeof(l->list[0]));

	SETUP(m >= 0);
	CREATE_ERR(ioctl(udev, UDMABUF_CREATE, NULL), EFAULT);
	CREATE_ERR(ioctl(udev, UDMABUF_CREATE, bad_ptr), EFAULT);
	CREATE_ERR(ioctl(udev, UDMABUF_CREATE, bad_ptr - 8), EFAULT);
	CREATE_ERR(ioctl(udev, UDMABUF_CREATE_LIST, NULL), EFAULT);
	CREATE_ERR(ioctl(udev, UDMABUF_CREATE_LIST, bad_ptr - 4), EFAULT);
	/* one item readable, the second not */
	l->flags = 0;
	l->count = 2;
	l->list[0] = (struct udmabuf_create_item){ .memfd = m, .offset = 0, .size = pgsz };
	CREATE_ERR(ioctl(udev, UDMABUF_CREATE_LIST, l), EFAULT);
	l->count = 1;
	{
		int b = CREATE_OK(ioctl(udev, UDMABUF_CREATE_LIST, l));

		CLOSE(b);
	}
	CLOSE(m);
	FDS_SAME(fds);
}

static void t_enotty(void)
{
	struct udmabuf_create c = { 0 };
	struct dma_buf_sync s = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW };
	int fds = fd_count();

	/* the switch is on the whole command: size or direction off is ENOTTY */
	CREATE_ERR(ioctl(udev, _IOW('u', 0x44, struct udmabuf_create), &c), ENOTTY);
	CREATE_ERR(ioctl(udev, _IOW('u', 0x41, struct udmabuf_create), &c), ENOTTY);
	CREATE_ERR(ioctl(udev, _IOC(_IOC_WRITE, 'u', 0x42, 16), &c), ENOTTY);
	CREATE_ERR(ioctl(udev, _IOWR('u', 0x42, struct udmabuf_create), &c), ENOTTY);
	CREATE_ERR(ioctl(udev, _IOW('v', 0x42, struct udmabuf_create), &c), ENOTTY);
	CREATE_ERR(ioctl(udev, _IOW('u', 0x43, struct udmabuf_create), &c), ENOTTY);
	CREATE_ERR(ioctl(udev, DMA_BUF_IOCTL_SYNC, &s), ENOTTY);
	/* checked before the argument: no EFAULT */
	CREATE_ERR(ioctl(udev, _IOW('u', 0x44, struct udmabuf_create), NULL), ENOTTY);
	FDS_SAME(fds);
}

static void t_order(void)
{
	int fds = fd_count(), p[2] = { -1, -1 };
	int good = mfd_new(2, 1, F_SEAL_SHRINK), noshr = mfd_new(1, 2, 0);

	SETUP(good >= 0 && noshr >= 0 && !pipe2(p, O_CLOEXEC));
	/* ranges are looked up, checked and pinned in order: the first bad one wins */
	CREATE_ERR(ulist(0, 2, (struct item[]){ { p[0], 0, pgsz }, { noshr, 0, pgsz } }), EBADFD);
	CREATE_ERR(ulist(0, 2, (struct item[]){ { noshr, 0, pgsz }, { p[0], 0, pgsz } }), EINVAL);
	CREATE_ERR(ulist(0, 3, (struct item[]){ { good, 0, pgsz }, { good, pgsz, pgsz },
						 { p[0], 0, pgsz } }), EBADFD);
	CREATE_ERR(ulist(0, 2, (struct item[]){ { good, 0, 2 * pgsz }, { noshr, 0, pgsz } }), EINVAL);
	CREATE_ERR(ulist(0, 2, (struct item[]){ { good, 0, 2 * pgsz }, { good, 2 * pgsz, pgsz } }),
		   EINVAL);
	UNPINNED(good, "after failures past pinned ranges");
	CLOSE(good, noshr, p[0], p[1]);
	FDS_SAME(fds);
}

/* ---- cases: seals, flags, data ---------------------------------------------- */

static void t_seal_busy(void)
{
	int fds = fd_count(), m = mfd_new(2, 1, F_SEAL_SHRINK), b, s;
	void *map;

	SETUP(m >= 0);
	b = CREATE_OK(ucreate(m, 0, 2 * pgsz, 0));
	REQUIRE(b >= 0, "no buffer");
	/* memfd_wait_for_pins(): the pinned pages make F_SEAL_WRITE EBUSY */
	EXPECT_ERR(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	s = fcntl(m, F_GET_SEALS);
	EXPECT(s == F_SEAL_SHRINK, "seals %#x after EBUSY, want SHRINK", s);
	/* the mapping keeps the buffer, and the pins, after close */
	map = mmap(NULL, 2 * pgsz, PROT_READ, MAP_SHARED, b, 0);
	EXPECT(map != MAP_FAILED, "mmap: %s", strerror(errno));
	close(b);
	EXPECT_ERR(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	if (map != MAP_FAILED) {
		EXPECT(page_is(map, 1, 0), "mapping after close");
		munmap(map, 2 * pgsz);
	}
	EXPECT_ZERO(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
	s = fcntl(m, F_GET_SEALS);
	EXPECT(s == (F_SEAL_SHRINK | F_SEAL_WRITE), "seals %#x", s);
	CREATE_ERR(ucreate(m, 0, pgsz, 0), EINVAL);
	close(m);
	/* F_SEAL_FUTURE_WRITE waits for no pins (memfd_add_seals: only SEAL_WRITE does) */
	m = mfd_new(1, 1, F_SEAL_SHRINK);
	SETUP(m >= 0);
	b = CREATE_OK(ucreate(m, 0, pgsz, 0));
	EXPECT_ZERO(fcntl(m, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
	/* ... after which no new buffer, but the old one still works */
	CREATE_ERR(ucreate(m, 0, pgsz, 0), EINVAL);
	if (b >= 0)
		buf_shows(b, 1, (int[]){ 1 }, (long[]){ 0 }, "after FUTURE_WRITE");
	CLOSE(b, m);
	FDS_SAME(fds);
}

static void t_flags(void)
{
	static const __u32 flags[] = { 0, UDMABUF_FLAGS_CLOEXEC, 0xfffffffe, 0xffffffff, 0x80000000 };
	int fds = fd_count(), m = mfd_new(1, 1, F_SEAL_SHRINK), b, fl, i;
	struct udmabuf_create_list *l = calloc(1, sizeof(*l) + sizeof(l->list[0]));

	SETUP(m >= 0 && l);
	for (i = 0; i < 5; i++) {
		bool want = flags[i] & UDMABUF_FLAGS_CLOEXEC;

		/* only bit 0 is looked at: "head->flags & UDMABUF_FLAGS_CLOEXEC" */
		b = CREATE_OK(ucreate(m, 0, pgsz, flags[i]));
		fl = fcntl(b, F_GETFD);
		EXPECT(fl >= 0 && !!(fl & FD_CLOEXEC) == want, "CREATE flags %#x: F_GETFD %#x",
		       flags[i], fl);
		fl = fcntl(b, F_GETFL);
		EXPECT(fl >= 0 && (fl & O_ACCMODE) == O_RDWR, "CREATE: F_GETFL %#x, want O_RDWR", fl);
		CLOSE(b);
		l->flags = flags[i];
		l->count = 1;
		/* __pad is not looked at either */
		l->list[0] = (struct udmabuf_create_item){ .memfd = m, .__pad = 0xdeadbeef,
							   .offset = 0, .size = pgsz };
		b = CREATE_OK(ioctl(udev, UDMABUF_CREATE_LIST, l));
		fl = fcntl(b, F_GETFD);
		EXPECT(fl >= 0 && !!(fl & FD_CLOEXEC) == want, "LIST flags %#x: F_GETFD %#x",
		       flags[i], fl);
		CLOSE(b);
	}
	free(l);
	CLOSE(m);
	FDS_SAME(fds);
}

static void t_data(void)
{
	int fds = fd_count(), a = mfd_new(4, 1, F_SEAL_SHRINK), c = mfd_new(4, 2, F_SEAL_SHRINK), b;
	unsigned char *m, x[4];
	off_t end;

	SETUP(a >= 0 && c >= 0);
	/* A[1..2], B[3], A[0] */
	b = CREATE_OK(ulist(0, 3, (struct item[]){ { a, pgsz, 2 * pgsz }, { c, 3 * pgsz, pgsz },
						  { a, 0, pgsz } }));
	REQUIRE(b >= 0, "no buffer");
	end = lseek(b, 0, SEEK_END);
	EXPECT(end == 4 * pgsz, "SEEK_END %lld, want %ld", (long long)end, 4 * pgsz);
	buf_shows(b, 4, (int[]){ 1, 1, 2, 1 }, (long[]){ 1, 2, 3, 0 }, "list of 3");
	m = mmap(NULL, 4 * pgsz, PROT_READ | PROT_WRITE, MAP_SHARED, b, 0);
	if (EXPECT(m != MAP_FAILED, "mmap rw: %s", strerror(errno))) {
		/* the same pages: writes go both ways */
		memcpy(m + 2 * pgsz + 10, "abcd", 4);
		memcpy(m + 3 * pgsz, "wxyz", 4);
		EXPECT(pread(c, x, 4, 3 * pgsz + 10) == 4 && !memcmp(x, "abcd", 4),
		       "write through the dma-buf not in memfd B");
		EXPECT(pread(a, x, 4, 0) == 4 && !memcmp(x, "wxyz", 4),
		       "write through the dma-buf not in memfd A");
		EXPECT(pwrite(a, "1234", 4, 2 * pgsz + 100) == 4 && !memcmp(m + pgsz + 100, "1234", 4),
		       "write to memfd A not in the dma-buf");
		munmap(m, 4 * pgsz);
	}
	/* an offset mapping starts at that page */
	m = mmap(NULL, pgsz, PROT_READ, MAP_SHARED, b, pgsz);
	if (EXPECT(m != MAP_FAILED, "mmap at page 1: %s", strerror(errno))) {
		EXPECT(m[0] == pat(1, 2, 0) && m[pgsz - 1] == pat(1, 2, pgsz - 1), "page 1 mapping");
		munmap(m, pgsz);
	}
	CLOSE(b);
	UNPINNED(a, "memfd A after close");
	UNPINNED(c, "memfd B after close");
	CLOSE(a, c);
	FDS_SAME(fds);
}

static void t_sync(void)
{
	int fds = fd_count(), m = mfd_new(2, 1, F_SEAL_SHRINK), b;
	struct dma_buf_sync s;

	SETUP(m >= 0);
	b = CREATE_OK(ucreate(m, 0, 2 * pgsz, 0));
	REQUIRE(b >= 0, "no buffer");
	/* end_cpu_udmabuf(): no sg table before the first begin: EINVAL */
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	EXPECT_ERR(ioctl(b, DMA_BUF_IOCTL_SYNC, &s), EINVAL);
	s.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW;
	EXPECT_ZERO(ioctl(b, DMA_BUF_IOCTL_SYNC, &s));
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	EXPECT_ZERO(ioctl(b, DMA_BUF_IOCTL_SYNC, &s));
	s.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ;
	EXPECT_ZERO(ioctl(b, DMA_BUF_IOCTL_SYNC, &s));
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	EXPECT_ZERO(ioctl(b, DMA_BUF_IOCTL_SYNC, &s));
	s.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE;
	EXPECT_ZERO(ioctl(b, DMA_BUF_IOCTL_SYNC, &s));
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
	EXPECT_ZERO(ioctl(b, DMA_BUF_IOCTL_SYNC, &s));
	/* the core's checks: unknown bits, no direction */
	s.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW | 0x100;
	EXPECT_ERR(ioctl(b, DMA_BUF_IOCTL_SYNC, &s), EINVAL);
	s.flags = DMA_BUF_SYNC_START;
	EXPECT_ERR(ioctl(b, DMA_BUF_IOCTL_SYNC, &s), EINVAL);
	EXPECT_ERR(ioctl(b, DMA_BUF_IOCTL_SYNC, NULL), EFAULT);
	/* the sg table made by begin does not hold extra pins past release */
	CLOSE(b);
	UNPINNED(m, "after sync and close");
	CLOSE(m);
	FDS_SAME(fds);
}

/*
 * Two udmabufs over the same page each map their CPU table for the one
 * udmabuf misc device.  DMA-API debug (the debug kernel) then has two
 * entries for the page and, on a sync, takes only an exact match on
 * direction and entry count: a sync in the caller's direction of a
 * bidirectional mapping was reported as a sync of memory never mapped
 * (found by the fuzzer).  The case lets DMA-API debug report again (the
 * DRM KUnit suites spend its one report at boot), syncs both buffers in
 * every direction and reads the kernel log.  Overlapping mappings of the
 * page are reported too, as 6.12's udmabuf draws the same: not counted.
 */
#define DMA_API_ERRORS "/sys/kernel/debug/dma-api/num_errors"
static void t_sync_shared_pages(void)
{
	static const __u64 dirs[] = { DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_RW };
	int fds = fd_count(), m = mfd_new(2, 2, F_SEAL_SHRINK), a, b, kmsg, bad = 0;
	long budget = read_long(DMA_API_ERRORS);
	struct dma_buf_sync s;
	char rec[1024];
	unsigned int i;
	ssize_t n;

	if (budget < 0) {
		case_skip = "no DMA-API debug (" DMA_API_ERRORS ")";
		CLOSE(m);
		return;
	}
	SETUP(m >= 0);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	SETUP(kmsg >= 0);
	lseek(kmsg, 0, SEEK_END);
	SETUP(!write_long(DMA_API_ERRORS, 10));
	a = CREATE_OK(ucreate(m, 0, 2 * pgsz, 0));
	b = CREATE_OK(ucreate(m, 0, pgsz, 0));
	for (i = 0; a >= 0 && b >= 0 && i < 3 * sizeof(dirs) / sizeof(dirs[0]); i++) {
		s.flags = DMA_BUF_SYNC_START | dirs[i % 3];
		EXPECT_ZERO(ioctl(i & 1 ? a : b, DMA_BUF_IOCTL_SYNC, &s));
		EXPECT_ZERO(ioctl(i & 1 ? b : a, DMA_BUF_IOCTL_SYNC, &s));
		s.flags = DMA_BUF_SYNC_END | dirs[(i + 1) % 3];
		EXPECT_ZERO(ioctl(a, DMA_BUF_IOCTL_SYNC, &s));
		EXPECT_ZERO(ioctl(b, DMA_BUF_IOCTL_SYNC, &s));
	}
	CLOSE(a, b);
	write_long(DMA_API_ERRORS, budget);
	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		if (!strstr(rec, "DMA-API: misc udmabuf: ") ||
		    strstr(rec, "cacheline tracking EEXIST"))
			continue;
		bad++;
		printf("# kmsg: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
	}
	EXPECT(!bad, "%d DMA-API debug report(s) of udmabuf's syncs", bad);
	CLOSE(kmsg, m);
	FDS_SAME(fds);
}

static void t_mmap(void)
{
	int fds = fd_count(), m = mfd_new(2, 1, F_SEAL_SHRINK), b;
	void *p;

	SETUP(m >= 0);
	b = CREATE_OK(ucreate(m, 0, 2 * pgsz, 0));
	REQUIRE(b >= 0, "no buffer");
	/* mmap_udmabuf(): no VM_SHARED|VM_MAYSHARE: EINVAL */
	errno = 0;
	p = mmap(NULL, pgsz, PROT_READ, MAP_PRIVATE, b, 0);
	EXPECT(p == MAP_FAILED && errno == EINVAL, "MAP_PRIVATE: %p (%s), want EINVAL", p,
	       strerror(errno));
	if (p != MAP_FAILED)
		munmap(p, pgsz);
	/* dma_buf_mmap_internal(): past the end EINVAL */
	errno = 0;
	p = mmap(NULL, 3 * pgsz, PROT_READ, MAP_SHARED, b, 0);
	EXPECT(p == MAP_FAILED && errno == EINVAL, "3 pages of 2: %p (%s)", p, strerror(errno));
	if (p != MAP_FAILED)
		munmap(p, 3 * pgsz);
	errno = 0;
	p = mmap(NULL, 2 * pgsz, PROT_READ, MAP_SHARED, b, pgsz);
	EXPECT(p == MAP_FAILED && errno == EINVAL, "2 pages at 1: %p (%s)", p, strerror(errno));
	if (p != MAP_FAILED)
		munmap(p, 2 * pgsz);
	errno = 0;
	p = mmap(NULL, pgsz, PROT_READ, MAP_SHARED, b, 2 * pgsz);
	EXPECT(p == MAP_FAILED && errno == EINVAL, "page 2 of 2: %p (%s)", p, strerror(errno));
	if (p != MAP_FAILED)
		munmap(p, pgsz);
	p = mmap(NULL, pgsz, PROT_READ, MAP_SHARED, b, pgsz);
	if (EXPECT(p != MAP_FAILED, "last page: %s", strerror(errno))) {
		EXPECT(page_is(p, 1, 1), "last page data");
		munmap(p, pgsz);
	}
	CLOSE(b, m);
	FDS_SAME(fds);
}

static void t_hugetlb(void)
{
	long hp = meminfo_kb("Hugepagesize") * 1024, nr0 = read_long(HUGE_NR), pp, i, k;
	int fds = fd_count(), m = -1, b = -1;
	unsigned char *h = MAP_FAILED;

	if (hp <= 0 || nr0 < 0) {
		case_skip = "no hugetlb";
		return;
	}
	if (write_long(HUGE_NR, nr0 + 2) || meminfo_kb("HugePages_Free") < 2) {
		write_long(HUGE_NR, nr0);
		case_skip = "no huge pages could be reserved";
		return;
	}
	pp = hp / pgsz;
	m = memfd_create("udmabuf-uapi-huge", MFD_HUGETLB | MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (!EXPECT(m >= 0 && !ftruncate(m, 2 * hp), "hugetlb memfd: %s", strerror(errno)))
		goto out;
	h = mmap(NULL, 2 * hp, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	if (!EXPECT(h != MAP_FAILED, "mmap hugetlb: %s", strerror(errno)))
		goto out;
	for (i = 0; i < 2 * pp; i++)
		fill(h + i * pgsz, 5, i);
	munmap(h, 2 * hp);
	h = MAP_FAILED;
	if (!EXPECT(!fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK), "seal: %s", strerror(errno)))
		goto out;
	/* three pages into the first huge page, across into the second */
	b = CREATE_OK(ucreate(m, 3 * pgsz, hp, 0));
	if (b >= 0) {
		h = mmap(NULL, hp, PROT_READ, MAP_SHARED, b, 0);
		if (EXPECT(h != MAP_FAILED, "mmap: %s", strerror(errno))) {
			for (k = 0; k < pp; k++)
				if (!EXPECT(page_is(h + k * pgsz, 5, 3 + k),
					    "offset 3 pages: page %ld is not memfd page %ld", k, 3 + k))
					break;
			munmap(h, hp);
			h = MAP_FAILED;
		}
		CLOSE(b);
	}
	/* a list: the end of huge page 1, a middle of huge page 0, page 0 */
	b = CREATE_OK(ulist(0, 3, (struct item[]){ { m, 2 * hp - 2 * pgsz, 2 * pgsz },
						  { m, hp / 2, pgsz }, { m, 0, pgsz } }));
	if (b >= 0)
		buf_shows(b, 4, (int[]){ 5, 5, 5, 5 },
			  (long[]){ 2 * pp - 2, 2 * pp - 1, pp / 2, 0 }, "hugetlb list");
	CLOSE(b);
	CREATE_ERR(ucreate(m, 2 * hp - pgsz, 2 * pgsz, 0), EINVAL);
	UNPINNED(m, "hugetlb memfd after close");
out:
	if (h != MAP_FAILED)
		munmap(h, 2 * hp);
	CLOSE(m);
	EXPECT(!write_long(HUGE_NR, nr0) && read_long(HUGE_NR) == nr0, "restore nr_hugepages %ld",
	       nr0);
	FDS_SAME(fds);
}

static void t_fdinfo(void)
{
	int fds = fd_count(), m = mfd_new(3, 1, F_SEAL_SHRINK), b, d = -1;
	char path[64], *t;
	unsigned long long sz = 0;
	long cnt = 0;

	SETUP(m >= 0);
	b = CREATE_OK(ulist(0, 2, (struct item[]){ { m, 0, pgsz }, { m, pgsz, 2 * pgsz } }));
	REQUIRE(b >= 0, "no buffer");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", b);
	t = read_text(path);
	EXPECT(t && strstr(t, "\nexp_name:\tudmabuf\n"), "fdinfo: %s", t ? t : strerror(errno));
	EXPECT(t && (t = strstr(t, "\nsize:\t")) && sscanf(t, "\nsize:\t%llu", &sz) == 1 &&
	       sz == 3ULL * pgsz, "fdinfo size %llu, want %ld", sz, 3 * pgsz);
	/* count: file references, not counting procfs' own; a dup is one more */
	t = read_text(path);
	EXPECT(t && (t = strstr(t, "\ncount:\t")) && sscanf(t, "\ncount:\t%ld", &cnt) == 1 &&
	       cnt == 1, "fdinfo count %ld, want 1", cnt);
	d = dup(b);
	t = read_text(path);
	EXPECT(t && (t = strstr(t, "\ncount:\t")) && sscanf(t, "\ncount:\t%ld", &cnt) == 1 &&
	       cnt == 2, "fdinfo count %ld after dup, want 2", cnt);
	CLOSE(b, d, m);
	FDS_SAME(fds);
}

/* ---- cases: leaks, fail-nth, concurrency ------------------------------------ */

static void t_leak(void)
{
	long pages = 2 * MiB / pgsz, free0, free1 = 0;
	/*
	 * KASAN's quarantine keeps freed objects (and their slabs) for a
	 * while: on the debug kernel MemFree lags by a few MiB.  bufinfo and
	 * the pin counts stay exact there.
	 */
	const char *cmdline = read_text("/proc/cmdline");
	long slack = cmdline && strstr(cmdline, "harness=debug") ? 16384 : 2048;
	int fds = fd_count(), m = mfd_new(pages, 4, F_SEAL_SHRINK), bufs0, b, i, t;

	SETUP(m >= 0);
	for (i = 0; i < 10; i++) {
		b = ucreate(m, 0, pages * pgsz, UDMABUF_FLAGS_CLOEXEC);
		CLOSE(b);
	}
	sleep_ms(100);
	bufs0 = bufs_total();
	free0 = meminfo_kb("MemFree");
	for (i = 0; i < 500; i++) {
		b = ulist(UDMABUF_FLAGS_CLOEXEC, 2, (struct item[]){ { m, 0, pages / 2 * pgsz },
								   { m, pages / 2 * pgsz, pages / 2 * pgsz } });
		if (!EXPECT(b >= 0, "round %d: %s", i, strerror(errno)))
			break;
		close(b);
	}
	/* 500 leaked buffers would be >= 500 * 2 * 4 KiB of arrays: 4 MiB */
	for (t = 0; t < 50; t++) {
		free1 = meminfo_kb("MemFree");
		if (free1 >= free0 - slack)
			break;
		sleep_ms(20);
	}
	EXPECT(free1 >= free0 - slack, "MemFree %ld kB, was %ld kB", free1, free0);
	for (t = 0; bufs0 >= 0 && bufs_total() != bufs0 && t < 50; t++)
		sleep_ms(20);
	EXPECT(bufs_total() == bufs0, "bufinfo: %d dma-bufs, were %d", bufs_total(), bufs0);
	UNPINNED(m, "after 500 rounds");
	CLOSE(m);
	FDS_SAME(fds);
}

static void t_failnth(void)
{
	int fds = fd_count(), n, r = -1, e = 0, a, c, nfail = 0;
	struct udmabuf_create_list *l = calloc(1, sizeof(*l) + 3 * sizeof(l->list[0]));
	long left = -1;

	if (failnth_w < 0) {
		case_skip = "no fail-nth (CONFIG_FAULT_INJECTION)";
		free(l);
		return;
	}
	SETUP(l);
	for (n = 1; n <= 100; n++) {
		a = mfd_new(3, 1, F_SEAL_SHRINK);
		c = mfd_new(2, 2, F_SEAL_SHRINK);
		if (!EXPECT(a >= 0 && c >= 0, "memfds: %s", strerror(errno)))
			break;
		l->flags = UDMABUF_FLAGS_CLOEXEC;
		l->count = 3;
		l->list[0] = (struct udmabuf_create_item){ .memfd = a, .offset = pgsz, .size = 2 * pgsz };
		l->list[1] = (struct udmabuf_create_item){ .memfd = c, .offset = 0, .size = 2 * pgsz };
		l->list[2] = (struct udmabuf_create_item){ .memfd = a, .offset = 0, .size = pgsz };
		fds = fd_count();
		if (!EXPECT(!failnth_set(n), "write fail-nth: %s", strerror(errno)))
			break;
		r = ioctl(udev, UDMABUF_CREATE_LIST, l);
		e = errno;
		left = failnth_get();
		failnth_set(0);
		if (r >= 0) {
			if (n > 1)
				buf_shows(r, 5, (int[]){ 1, 1, 2, 2, 1 }, (long[]){ 1, 2, 0, 1, 0 },
					  "after the walk");
			close(r);
			UNPINNED(a, "memfd A after success");
			UNPINNED(c, "memfd B after success");
			CLOSE(a, c);
			break;
		}
		nfail++;
		EXPECT(e == ENOMEM && left == 0, "N=%d: %s, fail-nth %ld after it; want ENOMEM, 0",
		       n, strerror(e), left);
		EXPECT(fd_count() == fds, "N=%d: fd count %d, was %d", n, fd_count(), fds);
		EXPECT(pwrite(a, "x", 1, 0) == 1 && pwrite(c, "y", 1, pgsz) == 1,
		       "N=%d: memfd write: %s", n, strerror(errno));
		UNPINNED(a, "memfd A after a failure");
		UNPINNED(c, "memfd B after a failure");
		CLOSE(a, c);
		if (case_failed) {
			printf("# at N=%d\n", n);
			break;
		}
	}
	free(l);
	if (!case_failed && r >= 0 && n == 1) {
		printf("# N=1 succeeded, fail-nth then reads %ld\n", left);
		case_skip = "no dma-buf fault point";
	} else if (!case_failed) {
		if (EXPECT(r >= 0, "still failing at N=%d: %s", n - 1, strerror(e)))
			printf("# %d failed CREATE_LIST(s), ENOMEM each, success at N=%d\n", nfail, n);
	}
}

/*
 * A FOLL_LONGTERM pin first migrates folios out of CMA (the guest boots
 * with cma=), and that migration fails with ENOMEM while another process
 * holds a pin on the same folio: mm's rule, 6.12's too, not udmabuf's.
 * One pin of the whole memfd before the fork moves its pages out of CMA
 * for good, so that the children race on udmabuf, not on migration.
 */
static void t_concurrency(void)
{
	int fds = fd_count(), m = mfd_new(16, 6, F_SEAL_SHRINK), i, st, bad = 0, b;
	pid_t pid[4];

	SETUP(m >= 0);
	b = ulist(0, 1, (struct item[]){ { m, 0, 16 * pgsz } });
	if (!EXPECT(b >= 0, "pinning the memfd once: %s", strerror(errno))) {
		CLOSE(m);
		return;
	}
	close(b);
	for (i = 0; i < 4; i++) {
		pid[i] = fork();
		if (!pid[i]) {
			int r;

			alarm(100);
			for (r = 0; r < 150; r++) {
				long p0 = (i * 3 + r) % 15;
				int b = ulist(r & 1, 2, (struct item[]){ { m, p0 * pgsz, pgsz },
									  { m, 15 * pgsz, pgsz } });
				unsigned char *q;

				if (b < 0) {
					printf("# child %d, round %d: CREATE_LIST: %s\n", i, r,
					       strerror(errno));
					_exit(10);
				}
				q = mmap(NULL, 2 * pgsz, PROT_READ, MAP_SHARED, b, 0);
				if (q == MAP_FAILED)
					_exit(11);
				if (q[7] != pat(6, p0, 7) || q[pgsz + 9] != pat(6, 15, 9))
					_exit(12);
				munmap(q, 2 * pgsz);
				close(b);
			}
			_exit(0);
		}
		if (pid[i] < 0)
			bad++;
	}
	for (i = 0; i < 4; i++) {
		if (pid[i] <= 0)
			continue;
		if (waitpid(pid[i], &st, 0) != pid[i] || !WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("# child %d: status %#x\n", i, st);
			bad++;
		}
	}
	EXPECT(!bad, "%d children failed", bad);
	UNPINNED(m, "shared memfd after the children");
	CLOSE(m);
	FDS_SAME(fds);
}

static const struct tap_case cases[] = {
	{ t_ebadfd, "not shmem/hugetlbfs, or not open: EBADFD (pipe, null, dma-buf, -1)" },
	{ t_seals, "no F_SEAL_SHRINK, or WRITE/FUTURE_WRITE: EINVAL; tmpfs file EINVAL" },
	{ t_align, "offset or size not page aligned: EINVAL, before any fd" },
	{ t_size_zero, "size 0, count 0, a zero range in a list: EINVAL" },
	{ t_range, "range past the end, offset+size wrapping: EINVAL; last page ok" },
	{ t_size_limit, "size_limit_mb: over is EINVAL before the fd; at the limit ok" },
	{ t_list_limit, "list_limit: count over is EINVAL before reading items" },
	{ t_efault, "unreadable argument or items: EFAULT, no fd" },
	{ t_enotty, "unknown ioctls (size/dir/type off): ENOTTY, before the argument" },
	{ t_order, "list ranges checked in order: the first bad one's errno, pins dropped" },
	{ t_seal_busy, "F_SEAL_WRITE EBUSY while pinned (even by a mapping), ok after" },
	{ t_flags, "CLOEXEC flag -> FD_CLOEXEC; other flag bits and __pad ignored; O_RDWR" },
	{ t_data, "list of 3 ranges from 2 memfds: data in order, writes both ways" },
	{ t_sync, "DMA_BUF_IOCTL_SYNC: END before START EINVAL, then START/END ok" },
	{ t_mmap, "mmap: MAP_PRIVATE EINVAL, past the end EINVAL, offset ok" },
	{ t_sync_shared_pages, "two udmabufs over one page: SYNC both ways, no DMA-API debug report" },
	{ t_hugetlb, "hugetlb memfd: offsets inside huge pages show the right data" },
	{ t_fdinfo, "fdinfo: exp_name udmabuf, size, count" },
	{ t_leak, "500 create+close: MemFree, bufinfo, pins back" },
	{ t_failnth, "fail-nth: CREATE_LIST walk, ENOMEM, no fd, no pin left" },
	{ t_concurrency, "4 children create/map/close from one memfd at once" },
};

int main(void)
{
	unsigned int i, n = sizeof(cases) / sizeof(cases[0]);
	char *area;

	pgsz = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%u\n", n);
	area = mmap(NULL, 2 * pgsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	udev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (area == MAP_FAILED || udev < 0) {
		printf("# setup: /dev/udmabuf: %s\n", strerror(errno));
		for (i = 0; i < n; i++)
			printf("not ok %u - %s\n", i + 1, cases[i].name);
		return 1;
	}
	munmap(area + pgsz, pgsz);
	bad_ptr = area + pgsz;
	failnth_open();
	printf("# %s, page %ld, size_limit_mb %ld, list_limit %ld, Hugepagesize %ld kB, "
	       "fail-nth %s, bufinfo %s\n", sizeof(void *) == 8 ? "64-bit" : "32-bit", pgsz,
	       read_long(PARAM_DIR "size_limit_mb"), read_long(PARAM_DIR "list_limit"),
	       meminfo_kb("Hugepagesize"), failnth_w >= 0 ? "yes" : "no",
	       bufs_total() >= 0 ? "yes" : "no");

	return run_cases(cases, n);
}
