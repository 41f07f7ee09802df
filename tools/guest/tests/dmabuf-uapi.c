// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-uapi: TAP-13 test of the dma-buf file descriptor uAPI
 * (include/uapi/linux/dma-buf.h) with the semantics of Linux 6.12.
 *
 * Buffers come from /dev/udmabuf (a sealed memfd) and the system dma-buf
 * heap; fences from sw_sync timelines in debugfs (one timeline per open;
 * closing it signals what is left).  Everything is observed from userspace:
 * return values and errno, poll()/epoll readiness, the sync_files that
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE hands out (SYNC_IOC_FILE_INFO), fdinfo and
 * the /proc/self/fd links, debugfs dma_buf/bufinfo (it lists each fence of
 * a buffer's reservation object with usage, seqno and state), the sysfs
 * buffer stats, and children reached by fork, fd passing and execve.  Where
 * 6.12's errno is not the obvious guess a comment says where it comes from.
 *
 * Without arguments it prints TAP and exits 0 iff every case passed;
 * "--exec-check FD:WANT:SIZE..." is the helper the CLOEXEC case execs.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>
#include <linux/udmabuf.h>

#include "tap.h"

/* the plain name is whichever of _A (u32) and _B (u64) has pointer size */
_Static_assert(DMA_BUF_SET_NAME == (sizeof(void *) == 8 ? DMA_BUF_SET_NAME_B :
				    DMA_BUF_SET_NAME_A), "DMA_BUF_SET_NAME");

#define BUFINFO_PATH	"/sys/kernel/debug/dma_buf/bufinfo"
#define STATS_DIR	"/sys/kernel/dmabuf/buffers"
#define RD		DMA_BUF_SYNC_READ
#define WR		DMA_BUF_SYNC_WRITE
#define RW		DMA_BUF_SYNC_RW
#define START		DMA_BUF_SYNC_START
#define END		DMA_BUF_SYNC_END
#define INOUT		(POLLIN | POLLOUT)

static long pgsz;
static int udmabuf_dev, heap_dev;
static char *bad_ptr;		/* an unmapped page, right after a mapped one */
static char *ro_page;		/* a read-only page */

/* ---- buffers and fences ------------------------------------------------ */

static int memfd_sealed(size_t size)
{
	int memfd = memfd_create("dmabuf-uapi", MFD_ALLOW_SEALING | MFD_CLOEXEC);

	if (memfd >= 0 && (ftruncate(memfd, size) || fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))) {
		close(memfd);
		return -1;
	}
	return memfd;
}

/* a udmabuf of size bytes; the memfd behind it in *memfd_out, or closed */
static int udmabuf_new(size_t size, bool cloexec, int *memfd_out)
{
	struct udmabuf_create c = { .flags = cloexec ? UDMABUF_FLAGS_CLOEXEC : 0, .size = size };
	int memfd = memfd_sealed(size), fd;

	c.memfd = memfd;
	fd = memfd < 0 ? -1 : ioctl(udmabuf_dev, UDMABUF_CREATE, &c);
	if (memfd_out && fd >= 0)
		*memfd_out = memfd;
	else if (memfd >= 0)
		close(memfd);
	return fd;
}

static int heap_new(size_t len, unsigned int fd_flags)
{
	struct dma_heap_allocation_data d = { .len = len, .fd_flags = fd_flags };

	return ioctl(heap_dev, DMA_HEAP_IOCTL_ALLOC, &d) ? -1 : (int)d.fd;
}

#define UBUF(pages) udmabuf_new((pages) * pgsz, false, NULL)
#define HEAP(pages) heap_new((pages) * pgsz, O_RDWR | O_CLOEXEC)

static int timeline_new(void)
{
	return open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
}

static int fence_new(int tl, unsigned int value)
{
	struct sw_sync_create_fence_data d = { .value = value, .name = "uapi" };

	return tl < 0 || ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d) ? -1 : d.fence;
}

static int timeline_inc(int tl, unsigned int n)
{
	return ioctl(tl, SW_SYNC_IOC_INC, &n);
}

static int fence_import(int buf, int fence, unsigned int flags)
{
	struct dma_buf_import_sync_file arg = { .flags = flags, .fd = fence };

	return ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &arg);
}

static int fence_export(int buf, unsigned int flags)
{
	struct dma_buf_export_sync_file arg = { .flags = flags, .fd = -1 };

	return ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg) ? -1 : arg.fd;
}

/* import a new fence at value of timeline tl into buf: 0 or -1 */
static int import_new(int buf, int tl, unsigned int flags, unsigned int value)
{
	int f = fence_new(tl, value), ret = f < 0 ? -1 : fence_import(buf, f, flags);

	if (f >= 0)
		close(f);
	return ret;
}

/* a fresh timeline whose fence at value is imported into buf; -1 on error */
static int tl_fence(int buf, unsigned int flags, unsigned int value)
{
	int tl = timeline_new();

	if (tl >= 0 && import_new(buf, tl, flags, value)) {
		close(tl);
		return -1;
	}
	return tl;
}

/* fences in a sync_file (-1 on error), its status in *status */
static int sf_info(int sf, int *status, struct sync_fence_info *fi, int nfi)
{
	struct sync_file_info info = { .num_fences = nfi, .sync_fence_info = (uintptr_t)fi };

	*status = -99;
	if (ioctl(sf, SYNC_IOC_FILE_INFO, &info))
		return -1;
	*status = info.status;
	return info.num_fences;
}

#define SF_IS(sf, n, st, what) ({					\
	int s_, n_ = sf_info(sf, &s_, NULL, 0);				\
	EXPECT(n_ == (n) && s_ == (st), "%s: %d fences, status %d; want %d, %d", \
	       what, n_, s_, n, st);					\
})

static int sync_ioctl(int buf, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(buf, DMA_BUF_IOCTL_SYNC, &s);
}

static int poll_ev(int fd, short events, int timeout)
{
	struct pollfd p = { .fd = fd, .events = events };
	int ret = poll(&p, 1, timeout);

	return ret <= 0 ? ret : p.revents;
}

/* ---- procfs, debugfs ------------------------------------------------------ */

static bool fdinfo_get(int fd, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key);
	char path[64], *l, *save;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (!read_text(path))
		return false;
	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, key, klen) && l[klen] == ':') {
			l += klen + 1;
			snprintf(val, len, "%s", l + strspn(l, " \t"));
			return true;
		}
	}
	return false;
}

static long long fdinfo_num(int fd, const char *key)
{
	char v[64];

	return fdinfo_get(fd, key, v, sizeof(v)) ? strtoll(v, NULL, 0) : -1;
}

static unsigned long buf_ino(int fd)
{
	return (unsigned long)fdinfo_num(fd, "ino");
}

/* bufinfo's last line is "Total N objects, M bytes" */
static int bufinfo_total(void)
{
	char *p = read_text(BUFINFO_PATH), *last = NULL;
	int n = -1;

	while (p && (p = strstr(p, "\nTotal ")))
		last = p++;
	return last && sscanf(last, "\nTotal %d objects", &n) == 1 ? n : -1;
}

struct bufinfo {
	unsigned long size;
	long count;
	char exp_name[32], name[64];
	char fences[1024];	/* the buffer's fence lines, ';'-separated */
	int write_fences, read_fences;
};

/*
 * Our buffer in bufinfo: "size\tflags\tmode\tcount\texp_name\tino\tname",
 * then "\t<usage> fence:<driver> <timeline> seq N [un]signalled" per fence,
 * then "\tAttached Devices:".
 */
static bool bufinfo_find(unsigned long ino, struct bufinfo *bi)
{
	char *l, *save, *f[6] = { NULL };
	bool found = false;
	size_t used;
	int i;

	memset(bi, 0, sizeof(*bi));
	if (!read_text(BUFINFO_PATH))
		return false;
	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (found) {
			if (*l != '\t' || !strncmp(l, "\tAttached", 9))
				break;
			bi->write_fences += !strncmp(l, "\twrite fence:", 13);
			bi->read_fences += !strncmp(l, "\tread fence:", 12);
			used = strlen(bi->fences);
			snprintf(bi->fences + used, sizeof(bi->fences) - used, "%s;", l + 1);
			continue;
		}
		if (!isdigit((unsigned char)*l))
			continue;
		for (i = 0; i < 6 && l; i++)
			f[i] = strsep(&l, "\t");
		if (!l || strtoul(f[5], NULL, 10) != ino)
			continue;
		found = true;
		bi->size = strtoul(f[0], NULL, 10);
		bi->count = strtol(f[3], NULL, 10);
		snprintf(bi->exp_name, sizeof(bi->exp_name), "%s", f[4]);
		snprintf(bi->name, sizeof(bi->name), "%s", l);
	}
	return found;
}

/* a buffer leaves bufinfo once its last file reference is gone */
static bool bufinfo_gone(unsigned long ino)
{
	struct bufinfo bi;
	int i;

	for (i = 0; i < 100 && bufinfo_find(ino, &bi); i++)
		sleep_ms(20);
	return i < 100;
}

/* ---- cases ----------------------------------------------------------------- */

static void t_llseek(void)
{
	int buf = UBUF(4), heap = heap_new(pgsz + 1000, O_RDWR | O_CLOEXEC);

	SETUP(buf >= 0 && heap >= 0);
	EXPECT(lseek(buf, 0, SEEK_END) == 4 * pgsz, "SEEK_END 0 is not the size");
	EXPECT(lseek(buf, 0, SEEK_SET) == 0, "SEEK_SET 0 is not 0");
	/* the answer is computed, never stored in f_pos */
	lseek(buf, 0, SEEK_END);
	EXPECT(fdinfo_num(buf, "pos") == 0, "pos %lld", fdinfo_num(buf, "pos"));
	/* SEEK_CUR is refused too, despite the "SEEK_CUR(0)" comment in 6.12 */
	EXPECT_ERR(lseek(buf, 0, SEEK_CUR), EINVAL);
	EXPECT_ERR(lseek(buf, pgsz, SEEK_SET), EINVAL);
	EXPECT_ERR(lseek(buf, -pgsz, SEEK_END), EINVAL);
	EXPECT_ERR(lseek(buf, 1, SEEK_END), EINVAL);
	EXPECT_ERR(lseek(buf, 0, SEEK_DATA), EINVAL);
	EXPECT_ERR(lseek(buf, 0, SEEK_HOLE), EINVAL);
	/* the heap rounds the length up to whole pages */
	EXPECT(lseek(heap, 0, SEEK_END) == 2 * pgsz, "heap SEEK_END");
	EXPECT_ERR(lseek(heap, 0, SEEK_CUR), EINVAL);
	CLOSE(buf, heap);
}

static void t_mmap_shared(void)
{
	size_t i, size = 4 * pgsz;
	int memfd, buf = udmabuf_new(size, false, &memfd), heap = HEAP(2);
	int rdonly = heap_new(pgsz, O_RDONLY | O_CLOEXEC);
	char *m1, *m2, *m3, tmp[8];

	SETUP(buf >= 0 && heap >= 0 && rdonly >= 0);
	m1 = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	m2 = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	m3 = mmap(NULL, pgsz, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 2 * pgsz);
	SETUP(m1 != MAP_FAILED && m2 != MAP_FAILED && m3 != MAP_FAILED);
	for (i = 0; i < size; i++)
		m1[i] = (char)(i * 7 + 3);
	for (i = 0; i < size && m2[i] == (char)(i * 7 + 3); i++)
		;
	EXPECT(i == size, "second mapping differs at %zu", i);
	EXPECT(pread(memfd, tmp, 8, 3 * pgsz + 5) == 8 && !memcmp(tmp, m1 + 3 * pgsz + 5, 8),
	       "the memfd does not see the write");
	EXPECT(pwrite(memfd, "memfd->", 7, pgsz) == 7 && !memcmp(m2 + pgsz, "memfd->", 7),
	       "the mapping misses a memfd write");
	/* a mapping at a page offset sees the same pages */
	EXPECT(!memcmp(m3, m1 + 2 * pgsz, pgsz), "pgoff 2 shows other data");
	memcpy(m3 + 9, "pgoff2", 6);
	EXPECT(pread(memfd, tmp, 6, 2 * pgsz + 9) == 6 && !memcmp(tmp, "pgoff2", 6),
	       "pgoff 2 write not in the memfd");
	/* udmabuf maps shared only (its own check, not dma-buf's) */
	EXPECT_ERR(mmap(NULL, pgsz, PROT_READ, MAP_PRIVATE, buf, 0), EINVAL);
	munmap(m1, size);
	munmap(m2, size);
	munmap(m3, pgsz);

	m1 = mmap(NULL, 2 * pgsz, PROT_READ | PROT_WRITE, MAP_SHARED, heap, 0);
	m2 = mmap(NULL, 2 * pgsz, PROT_READ, MAP_SHARED, heap, 0);
	SETUP(m1 != MAP_FAILED && m2 != MAP_FAILED);
	strcpy(m1 + pgsz + 100, "heap-data");
	EXPECT(!strcmp(m2 + pgsz + 100, "heap-data"), "heap mappings differ");
	munmap(m1, 2 * pgsz);
	munmap(m2, 2 * pgsz);
	/* an O_RDONLY dma-buf: the mm core refuses a writable shared map */
	EXPECT_ERR(mmap(NULL, pgsz, PROT_WRITE, MAP_SHARED, rdonly, 0), EACCES);
	m1 = mmap(NULL, pgsz, PROT_READ, MAP_SHARED, rdonly, 0);
	EXPECT(m1 != MAP_FAILED, "PROT_READ map of O_RDONLY: %s", strerror(errno));
	munmap(m1, pgsz);
	CLOSE(buf, memfd, heap, rdonly);
}

static void t_mmap_bounds(void)
{
	int buf = UBUF(4), heap = HEAP(2);
	void *m;

	SETUP(buf >= 0 && heap >= 0);
	EXPECT_ERR(mmap(NULL, 5 * pgsz, PROT_READ, MAP_SHARED, buf, 0), EINVAL);
	EXPECT_ERR(mmap(NULL, 4 * pgsz, PROT_READ, MAP_SHARED, buf, pgsz), EINVAL);
	EXPECT_ERR(mmap(NULL, pgsz, PROT_READ, MAP_SHARED, buf, 4 * pgsz), EINVAL);
	EXPECT_ERR(mmap(NULL, pgsz, PROT_READ, MAP_SHARED, buf, 400 * pgsz), EINVAL);
	m = mmap(NULL, pgsz, PROT_READ, MAP_SHARED, buf, 3 * pgsz);
	EXPECT(m != MAP_FAILED, "last page: %s", strerror(errno));
	munmap(m, pgsz);
	/* the bound is dma-buf's, so it holds for every exporter */
	EXPECT_ERR(mmap(NULL, 3 * pgsz, PROT_READ, MAP_SHARED, heap, 0), EINVAL);
	EXPECT_ERR(mmap(NULL, 2 * pgsz, PROT_READ, MAP_SHARED, heap, pgsz), EINVAL);
	CLOSE(buf, heap);
}

/*
 * A dma-buf inode is not a regular file, so the mm core's file_mmap_ok()
 * allows offsets up to ULONG_MAX and answers EOVERFLOW past that, before
 * dma_buf_mmap_internal() runs; below it, dma-buf's own bound says EINVAL.
 * do_mmap()'s "pgoff + pages wraps" check cannot trigger from userspace.  A
 * 32-bit task's mmap2 page offset has 32 bits and the kernel adds the page
 * count in 64 bits: there even the top offset only reaches EINVAL.
 */
static void t_mmap_overflow(void)
{
	int buf = UBUF(4);
	unsigned long long top;

	SETUP(buf >= 0);
#if __SIZEOF_LONG__ == 8
	top = ~(unsigned long long)(pgsz - 1);		/* pgoff 2^52 - 1 */
	EXPECT_ERR(mmap64(NULL, pgsz, PROT_READ, MAP_SHARED, buf, top), EOVERFLOW);
	/* one page lower leaves room for one page, not for two */
	EXPECT_ERR(mmap64(NULL, pgsz, PROT_READ, MAP_SHARED, buf, top - pgsz), EINVAL);
	EXPECT_ERR(mmap64(NULL, 2 * pgsz, PROT_READ, MAP_SHARED, buf, top - pgsz), EOVERFLOW);
#else
	top = 0xffffffffULL * pgsz;			/* pgoff 2^32 - 1 */
	EXPECT_ERR(mmap64(NULL, pgsz, PROT_READ, MAP_SHARED, buf, top), EINVAL);
	/* pgoff + pages wraps in 32 bits, not in the kernel's 64 */
	EXPECT_ERR(mmap64(NULL, 2 * pgsz, PROT_READ, MAP_SHARED, buf, top), EINVAL);
#endif
	close(buf);
}

static void t_poll_idle(void)
{
	int buf = UBUF(1), heap = HEAP(1);

	SETUP(buf >= 0 && heap >= 0);
	EV_IS(poll_ev(buf, INOUT, 0), INOUT, "IN|OUT");
	EV_IS(poll_ev(buf, POLLIN, 0), POLLIN, "POLLIN only");
	EV_IS(poll_ev(buf, POLLOUT, 0), POLLOUT, "POLLOUT only");
	EV_IS(poll_ev(heap, INOUT, 1000), INOUT, "heap");
	CLOSE(buf, heap);
}

static void t_poll_write_fence(void)
{
	int buf = UBUF(1), tl = tl_fence(buf, WR, 1);

	SETUP(buf >= 0 && tl >= 0);
	EV_IS(poll_ev(buf, INOUT, 0), 0, "ready at once");
	EV_IS(poll_ev(buf, INOUT, 50), 0, "ready within 50 ms");
	EV_IS(poll_ev(buf, POLLIN, 0), 0, "POLLIN ready");
	EV_IS(poll_ev(buf, POLLOUT, 0), 0, "POLLOUT ready");
	EXPECT_ZERO(timeline_inc(tl, 1));
	EV_IS(poll_ev(buf, INOUT, 0), INOUT, "signalled");
	CLOSE(buf, tl);
}

static void t_poll_read_fence(void)
{
	int buf = UBUF(1), tl = tl_fence(buf, RD, 1);

	SETUP(buf >= 0 && tl >= 0);
	/* POLLIN waits for the writers only, POLLOUT for everybody */
	EV_IS(poll_ev(buf, INOUT, 0), POLLIN, "read-fenced");
	EV_IS(poll_ev(buf, POLLOUT, 50), 0, "POLLOUT ready within 50 ms");
	EXPECT_ZERO(timeline_inc(tl, 1));
	EV_IS(poll_ev(buf, INOUT, 0), INOUT, "signalled");
	CLOSE(buf, tl);
}

/* a thread blocked in poll() (events) or in DMA_BUF_IOCTL_SYNC (sync_flags) */
struct waiter {
	pthread_t thread;
	int fd, ret, err;
	short events;
	__u64 sync_flags;
	double ms;
	volatile int started, done;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;
	double t0 = now_ms();

	w->started = 1;
	w->ret = w->events ? poll_ev(w->fd, w->events, 5000) : sync_ioctl(w->fd, w->sync_flags);
	w->err = errno;
	w->ms = now_ms() - t0;
	w->done = 1;
	return NULL;
}

static void waiter_start(struct waiter *w, int fd, short events, __u64 sync_flags)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->events = events;
	w->sync_flags = sync_flags;
	pthread_create(&w->thread, NULL, waiter_fn, w);
	while (!w->started)
		sleep_ms(1);
}

/*
 * Threads blocked in poll() are woken when the main thread signals.  Each
 * asks for one event: a waiter for IN|OUT may run between the two fence
 * callbacks and see only one of them, which 6.12 allows.  Two poll POLLOUT,
 * so that one of them finds the callback already armed by the other.
 */
static void t_poll_thread(void)
{
	static const short ev[3] = { POLLOUT, POLLIN, POLLOUT };
	int buf = UBUF(1), tl = tl_fence(buf, WR, 1), i;
	struct waiter w[3];

	SETUP(buf >= 0 && tl >= 0);
	for (i = 0; i < 3; i++)
		waiter_start(&w[i], buf, ev[i], 0);
	sleep_ms(200);
	for (i = 0; i < 3; i++)
		EXPECT(!w[i].done, "poller %d returned %#x early", i, w[i].ret);
	EXPECT_ZERO(timeline_inc(tl, 1));
	for (i = 0; i < 3; i++) {
		pthread_join(w[i].thread, NULL);
		EXPECT(w[i].ret == ev[i] && w[i].ms >= 150 && w[i].ms < 4500,
		       "poller %d: %#x after %.0f ms", i, w[i].ret, w[i].ms);
	}
	CLOSE(buf, tl);
}

static void *inc_thread(void *arg)
{
	sleep_ms(200);
	timeline_inc(*(int *)arg, 1);
	return NULL;
}

static int epoll_one(int ep, int timeout)
{
	struct epoll_event out[2];
	int n = epoll_wait(ep, out, 2, timeout);

	return n == 1 ? (int)out[0].events : -100 - n;
}

static void t_epoll(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), b[3], tl[3], i, ev;
	struct epoll_event e = { .events = EPOLLIN | EPOLLOUT };
	pthread_t th;
	double t0;

	for (i = 0; i < 3; i++) {
		b[i] = UBUF(1);
		tl[i] = tl_fence(b[i], i == 1 ? RD : WR, 1);
		SETUP(ep >= 0 && b[i] >= 0 && tl[i] >= 0);
	}
	epoll_ctl(ep, EPOLL_CTL_ADD, b[0], &e);
	EV_IS(epoll_one(ep, 0), -100, "write-fenced buffer");
	EV_IS(epoll_one(ep, 50), -100, "within 50 ms");
	EXPECT_ZERO(timeline_inc(tl[0], 1));
	EV_IS(epoll_one(ep, 1000), INOUT, "signalled");
	epoll_ctl(ep, EPOLL_CTL_DEL, b[0], NULL);

	epoll_ctl(ep, EPOLL_CTL_ADD, b[1], &e);
	EV_IS(epoll_one(ep, 0), POLLIN, "read fence");
	EXPECT_ZERO(timeline_inc(tl[1], 1));
	EV_IS(epoll_one(ep, 0), INOUT, "read fence signalled");
	epoll_ctl(ep, EPOLL_CTL_DEL, b[1], NULL);

	/* a blocked epoll_wait() is woken by a signal from another thread */
	epoll_ctl(ep, EPOLL_CTL_ADD, b[2], &e);
	t0 = now_ms();
	pthread_create(&th, NULL, inc_thread, &tl[2]);
	ev = epoll_one(ep, 5000);
	t0 = now_ms() - t0;
	pthread_join(th, NULL);
	EXPECT(ev > 0 && (ev & INOUT) && t0 >= 150 && t0 < 4500, "woken: %#x after %.0f ms",
	       ev, t0);
	EV_IS(epoll_one(ep, 0), INOUT, "then");
	CLOSE(ep, b[0], b[1], b[2], tl[0], tl[1], tl[2]);
}

static void t_sync_valid(void)
{
	static const __u64 dirs[] = { RD, WR, RW };
	int buf = UBUF(1), heap = HEAP(1), i;

	SETUP(buf >= 0 && heap >= 0);
	/*
	 * udmabuf's end_cpu_access fails until a begin_cpu_access has made
	 * its sg table: the exporter's errno, passed on by dma-buf.
	 */
	EXPECT_ERR(sync_ioctl(buf, END | RW), EINVAL);
	EXPECT_ZERO(sync_ioctl(heap, END | RW));
	for (i = 0; i < 3; i++) {
		EXPECT_ZERO(sync_ioctl(buf, START | dirs[i]));
		EXPECT_ZERO(sync_ioctl(buf, END | dirs[i]));
		EXPECT_ZERO(sync_ioctl(heap, START | dirs[i]));
		EXPECT_ZERO(sync_ioctl(heap, END | dirs[i]));
	}
	CLOSE(buf, heap);
}

static void t_sync_invalid(void)
{
	int buf = UBUF(1);

	SETUP(buf >= 0);
	EXPECT_ERR(sync_ioctl(buf, 0), EINVAL);		/* START, no direction */
	EXPECT_ERR(sync_ioctl(buf, END), EINVAL);
	EXPECT_ERR(sync_ioctl(buf, 8 | RD), EINVAL);
	EXPECT_ERR(sync_ioctl(buf, (1ULL << 32) | RW), EINVAL);
	EXPECT_ERR(sync_ioctl(buf, (1ULL << 63) | WR), EINVAL);
	EXPECT_ERR(sync_ioctl(buf, ~0ULL), EINVAL);
	EXPECT_ERR(ioctl(buf, DMA_BUF_IOCTL_SYNC, NULL), EFAULT);
	close(buf);
}

static void sigusr1(int sig)
{
	(void)sig;
}

/*
 * SYNC_START waits, interruptibly, for the fences its direction conflicts
 * with (READ: the writers, WRITE: all of them); SYNC_END never waits.
 */
static void t_sync_waits(void)
{
	struct sigaction sa = { .sa_handler = sigusr1 };	/* no SA_RESTART */
	int buf = UBUF(1), tl = tl_fence(buf, RD, 1), tl2, i;
	struct waiter w;
	double t0;

	SETUP(buf >= 0 && tl >= 0);
	t0 = now_ms();
	EXPECT_ZERO(sync_ioctl(buf, START | RD));
	EXPECT(now_ms() - t0 < 1000, "START|READ waited for a read fence");
	waiter_start(&w, buf, 0, START | WR);
	sleep_ms(200);
	EXPECT(!w.done, "START|WRITE returned %d before the reader signalled", w.ret);
	EXPECT_ZERO(timeline_inc(tl, 1));
	pthread_join(w.thread, NULL);
	EXPECT(w.ret == 0 && w.ms >= 150, "START|WRITE: %d (%s) after %.0f ms", w.ret,
	       strerror(w.err), w.ms);

	tl2 = tl_fence(buf, WR, 1);
	SETUP(tl2 >= 0);
	t0 = now_ms();
	EXPECT_ZERO(sync_ioctl(buf, END | RW));
	EXPECT(now_ms() - t0 < 1000, "END waited");
	sigaction(SIGUSR1, &sa, NULL);
	waiter_start(&w, buf, 0, START | RD);
	sleep_ms(100);
	for (i = 0; i < 60 && !w.done; i++) {
		pthread_kill(w.thread, SIGUSR1);
		sleep_ms(50);
	}
	EXPECT_ZERO(timeline_inc(tl2, 1));
	pthread_join(w.thread, NULL);
	EXPECT(w.ret == -1 && w.err == EINTR, "interrupted START: %d (%s)", w.ret,
	       strerror(w.err));
	signal(SIGUSR1, SIG_DFL);
	CLOSE(buf, tl, tl2);
}

/* the name as fdinfo, bufinfo and the fd link show it (NULL: none set) */
static void name_is(int buf, const char *want, int line)
{
	char v[128] = "", link[128] = "", path[64], wlink[64];
	struct bufinfo bi;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", buf);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	snprintf(wlink, sizeof(wlink), "/dmabuf:%s", want ? want : "");
	report(!strcmp(link, wlink), __func__, line, "link \"%s\", want \"%s\"", link, wlink);
	bufinfo_find(buf_ino(buf), &bi);
	report(!strcmp(bi.name, want ? want : "<none>"), __func__, line,
	       "bufinfo name \"%s\", want \"%s\"", bi.name, want ? want : "<none>");
	if (!fdinfo_get(buf, "name", v, sizeof(v)))
		report(!want, __func__, line, "no name in fdinfo, want \"%s\"", want ? want : "");
	else
		report(want && !strcmp(v, want), __func__, line, "fdinfo name \"%s\", want \"%s\"",
		       v, want ? want : "(none)");
}
#define NAME_IS(buf, want) name_is(buf, want, __LINE__)

static void t_set_name(void)
{
	const char *n31 = "0123456789abcdefghijklmnopqrstu";
	const char *n32 = "0123456789abcdefghijklmnopqrstuv";
	int buf = UBUF(1), heap = HEAP(1);

	SETUP(buf >= 0 && heap >= 0);
	NAME_IS(buf, NULL);
	EXPECT_ZERO(ioctl(buf, DMA_BUF_SET_NAME, "uapi-first"));
	NAME_IS(buf, "uapi-first");
	/* both widths of the command are accepted, whatever the ABI */
	EXPECT_ZERO(ioctl(buf, DMA_BUF_SET_NAME_A, "via-a"));
	NAME_IS(buf, "via-a");
	EXPECT_ZERO(ioctl(buf, DMA_BUF_SET_NAME_B, "via-b"));
	NAME_IS(buf, "via-b");
	/* DMA_BUF_NAME_LEN counts the NUL: 31 characters fit, 32 are EINVAL */
	EXPECT_ZERO(ioctl(buf, DMA_BUF_SET_NAME, n31));
	NAME_IS(buf, n31);
	EXPECT_ERR(ioctl(buf, DMA_BUF_SET_NAME, n32), EINVAL);
	NAME_IS(buf, n31);
	/* an empty name is a name: fdinfo and bufinfo show it, the link can't */
	EXPECT_ZERO(ioctl(buf, DMA_BUF_SET_NAME, ""));
	NAME_IS(buf, "");
	EXPECT_ZERO(ioctl(heap, DMA_BUF_SET_NAME, "heap buf"));
	NAME_IS(heap, "heap buf");
	CLOSE(buf, heap);
}

static void t_set_name_fault(void)
{
	int buf = UBUF(1);

	SETUP(buf >= 0);
	EXPECT_ZERO(ioctl(buf, DMA_BUF_SET_NAME, "keep"));
	EXPECT_ERR(ioctl(buf, DMA_BUF_SET_NAME, NULL), EFAULT);
	EXPECT_ERR(ioctl(buf, DMA_BUF_SET_NAME, bad_ptr), EFAULT);
	/* unterminated up to the unmapped page */
	memcpy(bad_ptr - 4, "abcd", 4);
	EXPECT_ERR(ioctl(buf, DMA_BUF_SET_NAME, bad_ptr - 4), EFAULT);
	NAME_IS(buf, "keep");
	/* terminated just before it; and from a read-only page */
	memcpy(bad_ptr - 4, "xyz", 4);
	EXPECT_ZERO(ioctl(buf, DMA_BUF_SET_NAME, bad_ptr - 4));
	NAME_IS(buf, "xyz");
	EXPECT_ZERO(ioctl(buf, DMA_BUF_SET_NAME, ro_page + 256));
	NAME_IS(buf, "from-ro-page");
	close(buf);
}

static void t_fdinfo(void)
{
	int buf = UBUF(3), cbuf = udmabuf_new(pgsz, true, NULL), heap = HEAP(2), d;
	struct stat st;
	char v[64];
	void *m;

	SETUP(buf >= 0 && cbuf >= 0 && heap >= 0);
	EXPECT(fdinfo_num(buf, "size") == 3 * pgsz, "size %lld", fdinfo_num(buf, "size"));
	EXPECT(fdinfo_get(buf, "exp_name", v, sizeof(v)) && !strcmp(v, "udmabuf"),
	       "exp_name \"%s\"", v);
	EXPECT((fdinfo_num(buf, "flags") & (O_ACCMODE | O_CLOEXEC)) == O_RDWR, "flags %llo",
	       fdinfo_num(buf, "flags"));
	EXPECT((fdinfo_num(cbuf, "flags") & (O_ACCMODE | O_CLOEXEC)) == (O_RDWR | O_CLOEXEC),
	       "CLOEXEC flags %llo", fdinfo_num(cbuf, "flags"));
	EXPECT(!fstat(buf, &st) && st.st_size == 3 * pgsz && st.st_ino == buf_ino(buf),
	       "fstat size %lld ino %lu", (long long)st.st_size, (unsigned long)st.st_ino);
	/* count: references to the struct file, from fds sharing it and maps */
	EXPECT(fdinfo_num(buf, "count") == 1, "count %lld", fdinfo_num(buf, "count"));
	d = dup(buf);
	EXPECT(fdinfo_num(buf, "count") == 2, "count with a dup %lld", fdinfo_num(buf, "count"));
	m = mmap(NULL, pgsz, PROT_READ, MAP_SHARED, buf, 0);
	EXPECT(fdinfo_num(d, "count") == 3, "count with a map %lld", fdinfo_num(d, "count"));
	munmap(m, pgsz);
	close(d);
	EXPECT(fdinfo_num(buf, "count") == 1, "count at the end %lld", fdinfo_num(buf, "count"));
	EXPECT(fdinfo_get(heap, "exp_name", v, sizeof(v)) && !strcmp(v, "system") &&
	       fdinfo_num(heap, "size") == 2 * pgsz, "heap exp_name \"%s\"", v);
	/* 6.12 numbers dma-buf inodes from one increasing counter */
	EXPECT(buf_ino(cbuf) > buf_ino(buf) && buf_ino(heap) > buf_ino(cbuf), "inos %lu %lu %lu",
	       buf_ino(buf), buf_ino(cbuf), buf_ino(heap));
	CLOSE(buf, cbuf, heap);
}

/*
 * A buffer's sysfs directory: 6.12 creates it inside dma_buf_export(), our
 * core from a work item right after (off the export path), so give it up
 * to two seconds to appear.
 */
static bool stats_is(unsigned long ino, const char *file, const char *want)
{
	char path[128], *t;
	int i;

	snprintf(path, sizeof(path), STATS_DIR "/%lu/%s", ino, file);
	for (i = 0; i < 200 && access(path, F_OK); i++)
		usleep(10000);
	t = read_text(path);
	return EXPECT(t && !strcmp(t, want), "%s: \"%s\", want \"%s\"", path,
		      t ? t : "(unreadable)", want);
}

/* bufinfo in debugfs, and the CONFIG_DMABUF_SYSFS_STATS directory */
static void t_bufinfo(void)
{
	int before = bufinfo_total(), buf = UBUF(2), heap = HEAP(3), tl;
	unsigned long ino = buf_ino(buf), hino = buf_ino(heap);
	char want[32], path[128];
	struct bufinfo bi;

	SETUP(before >= 0 && buf >= 0 && heap >= 0);
	EXPECT(bufinfo_total() == before + 2, "total %d, was %d", bufinfo_total(), before);
	EXPECT(bufinfo_find(ino, &bi) && !strcmp(bi.exp_name, "udmabuf") &&
	       bi.size == 2 * (size_t)pgsz && bi.count == 1 && !strcmp(bi.name, "<none>") &&
	       !bi.fences[0], "udmabuf: %s %lu %ld %s [%s]", bi.exp_name, bi.size, bi.count,
	       bi.name, bi.fences);
	EXPECT(bufinfo_find(hino, &bi) && !strcmp(bi.exp_name, "system") &&
	       bi.size == 3 * (size_t)pgsz, "heap: %s %lu", bi.exp_name, bi.size);
	stats_is(ino, "exporter_name", "udmabuf\n");
	snprintf(want, sizeof(want), "%ld\n", 2 * pgsz);
	stats_is(ino, "size", want);
	stats_is(hino, "exporter_name", "system\n");
	/* imported fences are listed under the buffer, with their state */
	tl = tl_fence(buf, WR, 42);
	SETUP(tl >= 0);
	bufinfo_find(ino, &bi);
	EXPECT(bi.write_fences == 1 && strstr(bi.fences, "fence:sw_sync ") &&
	       strstr(bi.fences, " seq 42 unsignalled;"), "fences [%s]", bi.fences);
	timeline_inc(tl, 42);
	bufinfo_find(ino, &bi);
	EXPECT(bi.write_fences == 1 && strstr(bi.fences, " seq 42 signalled;"),
	       "after the signal [%s]", bi.fences);
	CLOSE(tl, buf, heap);
	EXPECT(bufinfo_gone(ino) && bufinfo_gone(hino), "closed buffers still listed");
	EXPECT(bufinfo_total() == before, "total %d, want %d", bufinfo_total(), before);
	snprintf(path, sizeof(path), STATS_DIR "/%lu", ino);
	EXPECT(access(path, F_OK), "%s is still there", path);
}

static void t_export_stub(void)
{
	int buf = UBUF(1), r = fence_export(buf, RD), w = fence_export(buf, WR), st;
	struct sync_fence_info fi[2] = { 0 };

	SETUP(buf >= 0 && r >= 0 && w >= 0);
	SF_IS(r, 1, 1, "READ");
	SF_IS(w, 1, 1, "WRITE");
	/* the one fence is dma-fence's signalled stub */
	EXPECT(sf_info(w, &st, fi, 2) == 1 && !strcmp(fi[0].driver_name, "stub") &&
	       fi[0].status == 1, "fence %s, status %d", fi[0].driver_name, fi[0].status);
	EV_IS(poll_ev(r, POLLIN, 0), POLLIN, "stub sync_file not ready");
	/* exported sync_file fds are always close-on-exec */
	EXPECT(fcntl(r, F_GETFD) == FD_CLOEXEC && fcntl(w, F_GETFD) == FD_CLOEXEC,
	       "fd flags %d", fcntl(r, F_GETFD));
	CLOSE(r, w, buf);
}

/* READ exports the writers, WRITE and RW every fence */
static void t_export_rw(void)
{
	int buf = UBUF(1), ta = tl_fence(buf, WR, 10), tb = tl_fence(buf, RD, 20);
	int er, ew, erw, st;
	struct sync_fence_info fi[3] = { 0 };
	struct bufinfo bi;

	SETUP(buf >= 0 && ta >= 0 && tb >= 0);
	bufinfo_find(buf_ino(buf), &bi);
	EXPECT(bi.write_fences == 1 && bi.read_fences == 1 && strstr(bi.fences, "seq 10 un") &&
	       strstr(bi.fences, "seq 20 un"), "fences [%s]", bi.fences);
	er = fence_export(buf, RD);
	ew = fence_export(buf, WR);
	erw = fence_export(buf, RW);
	SETUP(er >= 0 && ew >= 0 && erw >= 0);
	SF_IS(er, 1, 0, "READ");
	SF_IS(ew, 2, 0, "WRITE");
	SF_IS(erw, 2, 0, "RW");
	EXPECT(sf_info(ew, &st, fi, 3) == 2 && !strcmp(fi[0].driver_name, "sw_sync") &&
	       !strcmp(fi[1].driver_name, "sw_sync") && !fi[0].status && !fi[1].status,
	       "WRITE fences: %s/%d %s/%d", fi[0].driver_name, fi[0].status,
	       fi[1].driver_name, fi[1].status);
	EXPECT_ZERO(timeline_inc(ta, 10));
	SF_IS(er, 1, 1, "READ, writer signalled");
	SF_IS(ew, 2, 0, "WRITE, writer signalled");
	EXPECT_ZERO(timeline_inc(tb, 20));
	SF_IS(ew, 2, 1, "WRITE, both signalled");
	SF_IS(erw, 2, 1, "RW, both signalled");
	CLOSE(er, ew, erw, ta, tb, buf);
}

/* an exported sync_file is a snapshot of the fences at export time */
static void t_export_snapshot(void)
{
	int buf = UBUF(1), tl = timeline_new(), e0 = fence_export(buf, WR), e1, e2;

	SETUP(buf >= 0 && tl >= 0 && e0 >= 0);
	EXPECT_ZERO(import_new(buf, tl, WR, 1));
	SF_IS(e0, 1, 1, "exported before the import");
	e1 = fence_export(buf, WR);
	SF_IS(e1, 1, 0, "exported after the import");
	/* a later fence: e1 still waits for the first only */
	EXPECT_ZERO(import_new(buf, tl, WR, 2));
	EXPECT_ZERO(timeline_inc(tl, 1));
	SF_IS(e1, 1, 1, "e1 once fence 1 signalled");
	EV_IS(poll_ev(buf, POLLOUT, 0), 0, "buffer idle with fence 2 pending");
	e2 = fence_export(buf, RD);
	SF_IS(e2, 1, 0, "exported with fence 2 pending");
	EXPECT_ZERO(timeline_inc(tl, 1));
	SF_IS(e2, 1, 1, "e2 once fence 2 signalled");
	CLOSE(e0, e1, e2, tl, buf);
}

static void t_export_invalid(void)
{
	static const __u32 bad[] = { 0, END, 8, RW | 0x10, 0x80000000u | RD };
	struct dma_buf_export_sync_file arg, *ro = (void *)ro_page;
	int buf = UBUF(1), fds = fd_count();
	size_t i;

	SETUP(buf >= 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		arg.flags = bad[i];
		arg.fd = -1;
		EXPECT_ERR(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg), EINVAL);
	}
	EXPECT_ERR(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, bad_ptr), EFAULT);
	/* readable but not writable: the fd reserved for it is given back */
	EXPECT(ro->flags == RW, "the read-only page lost its content");
	EXPECT_ERR(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, ro), EFAULT);
	EXPECT(fd_count() == fds, "fd count %d, was %d", fd_count(), fds);
	close(buf);
}

static void t_import_invalid(void)
{
	static const __u32 bad[] = { 0, END, 8, WR | 0x100, 0x80000000u };
	int buf = UBUF(1), tl = timeline_new(), f = fence_new(tl, 1), memfd = memfd_sealed(pgsz);
	struct bufinfo bi;
	size_t i;

	SETUP(buf >= 0 && f >= 0 && memfd >= 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT(fence_import(buf, f, bad[i]) == -1 && errno == EINVAL, "flags %#x: %s",
		       bad[i], strerror(errno));
	/* sync_file_get_fence() fails for anything but a sync_file: EINVAL */
	EXPECT_ERR(fence_import(buf, -1, WR), EINVAL);
	EXPECT_ERR(fence_import(buf, 100000, WR), EINVAL);
	EXPECT_ERR(fence_import(buf, memfd, WR), EINVAL);
	EXPECT_ERR(fence_import(buf, buf, RD), EINVAL);
	EXPECT_ERR(fence_import(buf, tl, RD), EINVAL);
	EXPECT_ERR(ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, NULL), EFAULT);
	bufinfo_find(buf_ino(buf), &bi);
	EXPECT(!bi.fences[0], "failed imports left fences [%s]", bi.fences);
	EV_IS(poll_ev(buf, INOUT, 0), INOUT, "not idle");
	CLOSE(memfd, f, tl, buf);
}

/* a merged sync_file is imported as its component fences */
static void t_import_merged(void)
{
	struct sync_merge_data md = { .name = "uapi-merge", .fence = -1 };
	int rbuf = UBUF(1), wbuf = UBUF(1), ta = timeline_new(), tb = timeline_new();
	int fa = fence_new(ta, 5), fb = fence_new(tb, 7), e;
	struct bufinfo bi;

	SETUP(rbuf >= 0 && wbuf >= 0 && fa >= 0 && fb >= 0);
	md.fd2 = fb;
	REQUIRE(!ioctl(fa, SYNC_IOC_MERGE, &md), "merge: %s", strerror(errno));
	SF_IS(md.fence, 2, 0, "merged");
	EXPECT_ZERO(fence_import(rbuf, md.fence, RD));
	EXPECT_ZERO(fence_import(wbuf, md.fence, WR));
	bufinfo_find(buf_ino(rbuf), &bi);
	EXPECT(bi.read_fences == 2 && !bi.write_fences && strstr(bi.fences, "seq 5 ") &&
	       strstr(bi.fences, "seq 7 "), "read import [%s]", bi.fences);
	bufinfo_find(buf_ino(wbuf), &bi);
	EXPECT(bi.write_fences == 2 && !bi.read_fences, "write import [%s]", bi.fences);
	e = fence_export(rbuf, RD);
	SF_IS(e, 1, 1, "READ export of read fences: the stub");
	close(e);
	e = fence_export(rbuf, WR);
	SF_IS(e, 2, 0, "WRITE export of read fences");
	close(e);
	e = fence_export(wbuf, RD);
	SF_IS(e, 2, 0, "READ export of write fences");
	EV_IS(poll_ev(rbuf, INOUT, 0), POLLIN, "read-fenced");
	EV_IS(poll_ev(wbuf, INOUT, 0), 0, "write-fenced");
	EXPECT_ZERO(timeline_inc(ta, 5));
	EV_IS(poll_ev(rbuf, POLLOUT, 0), 0, "read-fenced, one of two signalled");
	EV_IS(poll_ev(wbuf, POLLIN, 0), 0, "write-fenced, one of two signalled");
	SF_IS(e, 2, 0, "READ export, one signalled");
	EXPECT_ZERO(timeline_inc(tb, 7));
	EV_IS(poll_ev(rbuf, INOUT, 0), INOUT, "read-fenced, both signalled");
	EV_IS(poll_ev(wbuf, INOUT, 0), INOUT, "write-fenced, both signalled");
	SF_IS(e, 2, 1, "READ export, both signalled");
	CLOSE(e, md.fence, fa, fb, ta, tb, rbuf, wbuf);
}

/*
 * What the reservation object keeps (dma_resv_add_fence()): a signalled
 * fence is listed but ignored by poll and export, and gives its slot to the
 * next fence; a later fence of the same timeline replaces an earlier one,
 * unless the earlier one is a write and the new one only a read.
 */
static void t_import_replace(void)
{
	static const struct { int tl; unsigned int flags, value; int w, r; } steps[] = {
		{ 0, WR, 1, 1, 0 },	/* already signalled */
		{ 1, RD, 3, 0, 1 },	/* takes the signalled one's slot */
		{ 1, WR, 4, 1, 0 },	/* replaces read 3 */
		{ 1, RD, 5, 1, 1 },	/* does not replace write 4 */
	};
	int buf = UBUF(1), tl[2] = { timeline_new(), timeline_new() }, e, i;
	struct bufinfo bi;

	SETUP(buf >= 0 && tl[0] >= 0 && tl[1] >= 0 && !timeline_inc(tl[0], 1));
	for (i = 0; i < 4; i++) {
		EXPECT_ZERO(import_new(buf, tl[steps[i].tl], steps[i].flags, steps[i].value));
		bufinfo_find(buf_ino(buf), &bi);
		EXPECT(bi.write_fences == steps[i].w && bi.read_fences == steps[i].r,
		       "step %d: [%s]", i, bi.fences);
		if (i)
			continue;
		EV_IS(poll_ev(buf, INOUT, 0), INOUT, "not idle with a signalled fence");
		e = fence_export(buf, WR);
		SF_IS(e, 1, 1, "export with a signalled fence");
		close(e);
	}
	EXPECT(strstr(bi.fences, "seq 4 ") && strstr(bi.fences, "seq 5 "), "[%s]", bi.fences);
	CLOSE(tl[0], tl[1], buf);
}

/*
 * Hand a dma-buf fd to a child that never had it: SCM_RIGHTS over a UNIX
 * socket or, in a kernel without AF_UNIX (the harness kernel has no
 * CONFIG_NET), pidfd_getfd(), which installs the same struct file too.
 */
static void t_fd_passing(void)
{
	struct { unsigned long ino; long size; int fd; } hdr;
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &hdr, sizeof(hdr) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int sv[2], buf = -1, status = -1, i;
	bool scm = !socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	char *m = MAP_FAILED;
	pid_t pid;

	SETUP(scm || !pipe2(sv, O_CLOEXEC));
	if (!scm)
		printf("# no AF_UNIX sockets: passing the fd with pidfd_getfd\n");
	fflush(stdout);
	pid = fork();
	if (!pid) {
		int fd = -1, bad = 0;

		close(sv[!scm]);
		if ((scm ? recvmsg(sv[1], &msg, 0) : read(sv[0], &hdr, sizeof(hdr))) != sizeof(hdr))
			_exit(10);
		if (scm && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		else if (!scm)
			fd = syscall(SYS_pidfd_getfd, syscall(SYS_pidfd_open, getppid(), 0),
				     hdr.fd, 0);
		if (fd < 0 || buf_ino(fd) != hdr.ino || lseek(fd, 0, SEEK_END) != hdr.size)
			_exit(11);
		m = mmap(NULL, hdr.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			_exit(12);
		for (i = 0; i < hdr.size; i++)
			bad += m[i] != (char)(i ^ 0x5a);
		strcpy(m + 64, "child was here");
		_exit(bad ? 13 : 0);
	}
	close(sv[scm]);
	if (EXPECT(pid > 0, "fork: %s", strerror(errno)))
		buf = UBUF(2);
	if (buf >= 0)
		m = mmap(NULL, 2 * pgsz, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	if (EXPECT(m != MAP_FAILED, "setup: %s", strerror(errno))) {
		for (i = 0; i < 2 * pgsz; i++)
			m[i] = (char)(i ^ 0x5a);
		hdr.ino = buf_ino(buf);
		hdr.size = 2 * pgsz;
		hdr.fd = buf;
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &buf, sizeof(int));
		EXPECT(scm ? sendmsg(sv[0], &msg, 0) == sizeof(hdr) :
		       write(sv[1], &hdr, sizeof(hdr)) == sizeof(hdr), "send: %s", strerror(errno));
	}
	close(sv[!scm]);
	EXPECT(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status), "child status %#x", status);
	if (m != MAP_FAILED) {
		EXPECT(!strcmp(m + 64, "child was here"), "the child's write is not seen");
		munmap(m, 2 * pgsz);
	}
	close(buf);
}

/* the exec'ed side: FD:1:SIZE must be that dma-buf, FD:0:x must be closed */
static int exec_check(int argc, char **argv)
{
	int i, fd, want, bad = 0;
	char v[32];
	long size;

	for (i = 0; i < argc; i++) {
		if (sscanf(argv[i], "%d:%d:%ld", &fd, &want, &size) != 3)
			return 2;
		if (!want && (fcntl(fd, F_GETFD) != -1 || errno != EBADF))
			bad = printf("# exec: fd %d survived execve\n", fd);
		if (want && (fcntl(fd, F_GETFD) || lseek(fd, 0, SEEK_END) != size ||
			     !fdinfo_get(fd, "exp_name", v, sizeof(v))))
			bad = printf("# exec: fd %d is not its dma-buf\n", fd);
	}
	return !!bad;
}

static void t_cloexec_exec(void)
{
	int fd[4] = { udmabuf_new(pgsz, true, NULL), UBUF(2), HEAP(3), heap_new(4 * pgsz, O_RDWR) };
	int status = -1, i;
	char arg[4][48];
	pid_t pid;

	for (i = 0; i < 4; i++) {
		SETUP(fd[i] >= 0);
		EXPECT(fcntl(fd[i], F_GETFD) == (i % 2 ? 0 : FD_CLOEXEC), "buffer %d: fd flags %d",
		       i, fcntl(fd[i], F_GETFD));
		snprintf(arg[i], sizeof(arg[i]), "%d:%d:%ld", fd[i], i % 2, (i + 1) * pgsz);
	}
	fflush(stdout);
	pid = fork();
	if (!pid) {
		char *argv[] = { "dmabuf-uapi", "--exec-check", arg[0], arg[1], arg[2], arg[3],
				 NULL };

		execv("/proc/self/exe", argv);
		_exit(127);
	}
	EXPECT(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status), "exec'ed child status %#x", status);
	CLOSE(fd[0], fd[1], fd[2], fd[3]);
}

static void t_not_dmabuf(void)
{
	struct dma_buf_sync s = { .flags = START | RW };
	struct dma_buf_export_sync_file ex = { .flags = RW };
	struct dma_buf_import_sync_file im = { .flags = RW };
	int tl = timeline_new(), other[2] = { memfd_sealed(pgsz), fence_new(tl, 1) }, buf, i;
	char c = 0;

	SETUP(other[0] >= 0 && other[1] >= 0);
	im.fd = other[1];
	/* a memfd and a sync_file: the dma-buf commands are not theirs */
	for (i = 0; i < 2; i++) {
		EXPECT_ERR(ioctl(other[i], DMA_BUF_IOCTL_SYNC, &s), ENOTTY);
		EXPECT_ERR(ioctl(other[i], DMA_BUF_SET_NAME, "x"), ENOTTY);
		EXPECT_ERR(ioctl(other[i], DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex), ENOTTY);
		EXPECT_ERR(ioctl(other[i], DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &im), ENOTTY);
	}
	CLOSE(other[0], other[1], tl);
	EXPECT_ERR(ioctl(other[0], DMA_BUF_IOCTL_SYNC, &s), EBADF);
	/* unknown commands on a dma-buf, and the file ops it does not have */
	buf = UBUF(1);
	SETUP(buf >= 0);
	EXPECT_ERR(ioctl(buf, _IO(DMA_BUF_BASE, 4), 0), ENOTTY);
	EXPECT_ERR(ioctl(buf, _IOWR(DMA_BUF_BASE, 0x7f, __u64), &s), ENOTTY);
	EXPECT_ERR(ioctl(buf, _IOW(DMA_BUF_BASE, 0, __u32), &s), ENOTTY);
	EXPECT_ERR(ioctl(buf, _IOR(DMA_BUF_BASE, 2, struct dma_buf_export_sync_file), &ex), ENOTTY);
	EXPECT_ERR(ioctl(buf, DMA_HEAP_IOCTL_ALLOC, &s), ENOTTY);
	EXPECT_ERR(ioctl(buf, SYNC_IOC_FILE_INFO, &s), ENOTTY);
	EXPECT_ERR(read(buf, &c, 1), EINVAL);
	EXPECT_ERR(write(buf, &c, 1), EINVAL);
	close(buf);
}

/* argument pointers into the unmapped page, or running into it */
static void t_bad_pointers(void)
{
	int buf = UBUF(1), fds = fd_count();
	char *edge = bad_ptr - 4;

	SETUP(buf >= 0);
	EXPECT_ERR(ioctl(buf, DMA_BUF_IOCTL_SYNC, bad_ptr), EFAULT);
	EXPECT_ERR(ioctl(buf, DMA_BUF_IOCTL_SYNC, edge), EFAULT);
	EXPECT_ERR(ioctl(buf, DMA_BUF_IOCTL_SYNC, (void *)1), EFAULT);
	EXPECT_ERR(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, NULL), EFAULT);
	EXPECT_ERR(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, edge), EFAULT);
	EXPECT_ERR(ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, bad_ptr), EFAULT);
	EXPECT_ERR(ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, edge), EFAULT);
	EXPECT_ERR(ioctl(buf, DMA_BUF_SET_NAME, (void *)1), EFAULT);
	EXPECT(fd_count() == fds, "fd count %d, was %d", fd_count(), fds);
	close(buf);
}

static long memfree_kb(void)
{
	char *p = read_text("/proc/meminfo");

	p = p ? strstr(p, "MemFree:") : NULL;
	return p ? strtol(p + 8, NULL, 10) : -1;
}

static void t_no_leak(void)
{
	int fds = fd_count(), objs = bufinfo_total(), i, n = 0;
	long free0 = memfree_kb(), free1;
	size_t size = 64 * pgsz;

	SETUP(fds > 0 && objs >= 0 && free0 > 0);
	for (i = 0; i < 200; i++) {
		int buf = i % 2 ? HEAP(64) : UBUF(64), tl = tl_fence(buf, i % 3 ? WR : RD, 1);
		int er = fence_export(buf, RD), ew = fence_export(buf, WR);
		char *m;

		if (buf < 0 || tl < 0 || er < 0 || ew < 0)
			break;
		m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
		if (m != MAP_FAILED) {
			memset(m, i, size);
			munmap(m, size);
		}
		ioctl(buf, DMA_BUF_SET_NAME, "leak-check");
		poll_ev(buf, INOUT, 0);
		if (i % 4 == 1)		/* closed with poll callbacks armed */
			close(buf);
		timeline_inc(tl, 1);
		n += poll_ev(ew, POLLIN, 0) == POLLIN;
		n += i % 4 == 1 || poll_ev(buf, INOUT, 0) == INOUT;
		CLOSE(i % 4 == 1 ? -1 : buf, er, ew, tl);
	}
	EXPECT(i == 200 && n == 400, "%d rounds, %d of %d checks", i, n, 2 * i);
	for (i = 0; i < 100 && bufinfo_total() != objs; i++)
		sleep_ms(20);
	EXPECT(bufinfo_total() == objs, "bufinfo: %d objects, was %d", bufinfo_total(), objs);
	EXPECT(fd_count() == fds, "fd count %d, was %d", fd_count(), fds);
	free1 = memfree_kb();
	/* 200 leaked buffers would be 50 MB; allow 16 MB of noise */
	EXPECT(free0 - free1 < 16384, "MemFree %ld kB -> %ld kB", free0, free1);
}

static const struct {
	void (*fn)(void);
	const char *name;
} cases[] = {
	{ t_llseek, "llseek: SEEK_END/SEEK_SET 0 only, f_pos untouched" },
	{ t_mmap_shared, "mmap: shared maps, the memfd and offsets see one buffer" },
	{ t_mmap_bounds, "mmap: pgoff + length beyond the size is EINVAL" },
	{ t_mmap_overflow, "mmap: top-of-range page offsets, EOVERFLOW/EINVAL" },
	{ t_poll_idle, "poll: no fences, EPOLLIN|EPOLLOUT ready" },
	{ t_poll_write_fence, "poll: a write fence holds IN and OUT until signalled" },
	{ t_poll_read_fence, "poll: a read fence holds OUT only" },
	{ t_poll_thread, "poll: pollers blocked in threads woken by the signal" },
	{ t_epoll, "epoll: readiness follows write and read fences, wakes" },
	{ t_sync_valid, "DMA_BUF_IOCTL_SYNC: START/END x READ/WRITE/RW" },
	{ t_sync_invalid, "DMA_BUF_IOCTL_SYNC: no direction, unknown bits EINVAL" },
	{ t_sync_waits, "DMA_BUF_IOCTL_SYNC: START waits for fences, interruptibly" },
	{ t_set_name, "DMA_BUF_SET_NAME: fdinfo, bufinfo, fd link, length limit" },
	{ t_set_name_fault, "DMA_BUF_SET_NAME: bad pointers EFAULT, name kept" },
	{ t_fdinfo, "fdinfo: size, count, exp_name, flags, ino" },
	{ t_bufinfo, "bufinfo and sysfs stats: exporter, size, fences, removal" },
	{ t_export_stub, "EXPORT_SYNC_FILE: no fences, the signalled stub" },
	{ t_export_rw, "EXPORT_SYNC_FILE: READ gets the writers, WRITE/RW all" },
	{ t_export_snapshot, "EXPORT_SYNC_FILE: a snapshot of the fences" },
	{ t_export_invalid, "EXPORT_SYNC_FILE: bad flags EINVAL, faults leak no fd" },
	{ t_import_invalid, "IMPORT_SYNC_FILE: bad flags, non-sync_file fds EINVAL" },
	{ t_import_merged, "IMPORT_SYNC_FILE: a merged sync_file, fence by fence" },
	{ t_import_replace, "IMPORT_SYNC_FILE: signalled and same-timeline slots" },
	{ t_fd_passing, "fd passing: a child maps it, same ino and data" },
	{ t_cloexec_exec, "CLOEXEC: udmabuf/heap fds closed by execve, or kept" },
	{ t_not_dmabuf, "bad input: dma-buf ioctls elsewhere, unknown commands" },
	{ t_bad_pointers, "bad input: argument pointers EFAULT, no fd leaked" },
	{ t_no_leak, "no leak: 200 buffers with fences, fds/bufinfo/MemFree" },
};

int main(int argc, char **argv)
{
	unsigned int i, n = sizeof(cases) / sizeof(cases[0]), failed = 0;
	char *area;

	pgsz = sysconf(_SC_PAGESIZE);
	if (argc > 1 && !strcmp(argv[1], "--exec-check"))
		return exec_check(argc - 2, argv + 2);
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(500);
	printf("TAP version 13\n1..%u\n", n);
	udmabuf_dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	heap_dev = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	area = mmap(NULL, 3 * pgsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (udmabuf_dev < 0 || heap_dev < 0 || area == MAP_FAILED ||
	    access(SW_SYNC_PATH, R_OK | W_OK)) {
		printf("# setup: udmabuf %d, heap %d, sw_sync %d: %s\n", udmabuf_dev, heap_dev,
		       access(SW_SYNC_PATH, R_OK | W_OK), strerror(errno));
		for (i = 0; i < n; i++)
			printf("not ok %u %s\n", i + 1, cases[i].name);
		return 1;
	}
	munmap(area + pgsz, pgsz);
	bad_ptr = area + pgsz;
	ro_page = area + 2 * pgsz;
	((struct dma_buf_export_sync_file *)ro_page)->flags = RW;
	strcpy(ro_page + 256, "from-ro-page");
	mprotect(ro_page, pgsz, PROT_READ);

	for (i = 0; i < n; i++) {
		case_failed = 0;
		cases[i].fn();
		printf("%sok %u %s\n", case_failed ? "not " : "", i + 1, cases[i].name);
		failed += case_failed;
	}
	if (failed)
		printf("# %u of %u cases failed\n", failed, n);
	return !!failed;
}
