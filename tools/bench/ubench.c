// SPDX-License-Identifier: GPL-2.0-only
/*
 * ubench: the userspace half of `make bench` -- the uAPI paths, timed
 * through the fds (sw_sync and sync_file, udmabuf and dma-buf, the
 * system dma-heap).
 *
 *   ubench [--quick] [--all] [--ours=FILE,FILE,...] [--only=SUBSTRING]
 *
 * A case names the drivers/dma-buf files its figure is mostly made of.
 * Unless --all is given, a case runs only if every one of them is in
 * --ours (the runner passes the files the rewrite has replaced); the
 * others print their slot as "n/a" on both kernels.  --quick runs one
 * loop of every case that runs (bench-check: `make test` runs
 * `ubench --quick --all` on the test kernel, so none of this rots).
 *
 * Output, one line per case, in the bench module's format:
 *
 *	dmabuf-bench|case|<name>|<n>|<loops>|<ns>|ok[ wall]
 *	dmabuf-bench|na|<name>||||<why>
 *	dmabuf-bench|case|<name>|<n>|<loops>||FAIL <why>
 *
 * Figures are CLOCK_MONOTONIC nanoseconds: guest instructions under
 * qemu -icount.  Cases that clear or copy pages ("wall") are not
 * meaningful under icount (a rep stos counts once); the runner times
 * those separately in wall-clock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>
#include <linux/udmabuf.h>

/* sw_sync's ioctls are not uAPI: drivers/dma-buf/sw_sync.c has them */
struct sw_sync_create_fence_data {
	uint32_t value;
	char name[32];
	int32_t fence;
};
#define SW_SYNC_IOC_CREATE_FENCE _IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW('W', 1, uint32_t)

static int quick;

struct run {
	unsigned int n, loops;
	uint64_t ns;
	const char *fail;
	int wall;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

#define FAIL(r, why) do { if (!(r)->fail) (r)->fail = (why); } while (0)

static int timeline(struct run *r)
{
	int fd = open("/sys/kernel/debug/sync/sw_sync", O_RDWR);

	if (fd < 0)
		FAIL(r, "no /sys/kernel/debug/sync/sw_sync");
	return fd;
}

static int sw_fence(int tl, unsigned int value)
{
	struct sw_sync_create_fence_data d = { .value = value };

	strcpy(d.name, "ubench");
	if (ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d))
		return -1;
	return d.fence;
}

static void b_sync_create(struct run *r)
{
	int tl = timeline(r), fd;
	uint64_t t0;
	unsigned int i;

	if (tl < 0)
		return;
	t0 = now_ns();
	for (i = 0; i < r->loops; i++) {
		fd = sw_fence(tl, i + 1);
		if (fd < 0) {
			FAIL(r, "SW_SYNC_IOC_CREATE_FENCE failed");
			break;
		}
		close(fd);
	}
	r->ns = now_ns() - t0;
	close(tl);
}

/*
 * A sync_file with one pending fence on each of @n timelines (opened
 * into @tls), merged pairwise; -1 on failure.
 */
static int fence_set(struct run *r, int *tls, unsigned int n)
{
	struct sync_merge_data m;
	unsigned int i;
	int set = -1, fd;

	for (i = 0; i < n; i++) {
		tls[i] = timeline(r);
		fd = tls[i] < 0 ? -1 : sw_fence(tls[i], 1);
		if (fd < 0)
			goto fail;
		if (set < 0) {
			set = fd;
			continue;
		}
		memset(&m, 0, sizeof(m));
		strcpy(m.name, "set");
		m.fd2 = fd;
		if (ioctl(set, SYNC_IOC_MERGE, &m)) {
			close(fd);
			goto fail;
		}
		close(fd);
		close(set);
		set = m.fence;
	}
	return set;
fail:
	FAIL(r, "building the fence set failed");
	if (set >= 0)
		close(set);
	return -1;
}

static void close_all(int *fds, unsigned int n)
{
	while (n--)
		if (fds[n] >= 0)
			close(fds[n]);
}

/* merge of two sync_files of n/2 fences each (distinct timelines) */
static void b_sync_merge(struct run *r)
{
	int tls[64], a, b = -1;
	unsigned int half = r->n / 2, i;
	struct sync_merge_data m;
	uint64_t t0;

	memset(tls, 0xff, sizeof(tls));
	a = fence_set(r, tls, half);
	if (a >= 0)
		b = fence_set(r, tls + half, half);
	if (a < 0 || b < 0)
		goto out;
	t0 = now_ns();
	for (i = 0; i < r->loops; i++) {
		memset(&m, 0, sizeof(m));
		strcpy(m.name, "merged");
		m.fd2 = b;
		if (ioctl(a, SYNC_IOC_MERGE, &m)) {
			FAIL(r, "SYNC_IOC_MERGE failed");
			break;
		}
		close(m.fence);
	}
	r->ns = now_ns() - t0;
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	close_all(tls, 64);
}

/* SYNC_IOC_FILE_INFO with room for all n fences of a merged sync_file */
static void b_sync_info(struct run *r)
{
	struct sync_fence_info fi[64];
	struct sync_file_info info;
	int tls[64], set;
	uint64_t t0;
	unsigned int i;

	memset(tls, 0xff, sizeof(tls));
	set = fence_set(r, tls, r->n);
	if (set < 0)
		goto out;
	t0 = now_ns();
	for (i = 0; i < r->loops; i++) {
		memset(&info, 0, sizeof(info));
		info.num_fences = r->n;
		info.sync_fence_info = (uintptr_t)fi;
		if (ioctl(set, SYNC_IOC_FILE_INFO, &info) ||
		    info.num_fences != r->n) {
			FAIL(r, "SYNC_IOC_FILE_INFO failed");
			break;
		}
	}
	r->ns = now_ns() - t0;
	close(set);
out:
	close_all(tls, 64);
}

static void b_sync_poll(struct run *r)
{
	int tl = timeline(r), fd = -1;
	struct pollfd p;
	uint64_t t0;
	unsigned int i;
	uint32_t one = 1;

	if (tl < 0)
		return;
	fd = sw_fence(tl, 1);
	if (fd < 0 || ioctl(tl, SW_SYNC_IOC_INC, &one)) {
		FAIL(r, "creating or signalling the fence failed");
		goto out;
	}
	t0 = now_ns();
	for (i = 0; i < r->loops; i++) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN)) {
			FAIL(r, "a signalled sync_file did not poll readable");
			break;
		}
	}
	r->ns = now_ns() - t0;
out:
	close(fd);
	close(tl);
}

/* a memfd of r->n pages, sealed against shrinking, as udmabuf wants */
static int sealed_memfd(struct run *r, size_t size)
{
	int fd = memfd_create("ubench", MFD_ALLOW_SEALING);

	if (fd >= 0 && (ftruncate(fd, size) ||
			fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		FAIL(r, "memfd setup failed");
	return fd;
}

/* a udmabuf over r->n pages of a sealed memfd */
static int udmabuf_of(struct run *r, int *memfd)
{
	size_t size = (size_t)r->n * getpagesize();
	struct udmabuf_create c = { 0 };
	int dev, fd;

	*memfd = sealed_memfd(r, size);
	if (*memfd < 0)
		return -1;
	dev = open("/dev/udmabuf", O_RDWR);
	if (dev < 0) {
		FAIL(r, "no /dev/udmabuf");
		return -1;
	}
	c.memfd = *memfd;
	c.size = size;
	fd = ioctl(dev, UDMABUF_CREATE, &c);
	if (fd < 0)
		FAIL(r, "UDMABUF_CREATE failed");
	close(dev);
	return fd;
}

static void b_udmabuf_create(struct run *r)
{
	size_t size = (size_t)r->n * getpagesize();
	struct udmabuf_create c = { 0 };
	int memfd, dev, fd;
	uint64_t t0;
	unsigned int i;

	memfd = sealed_memfd(r, size);
	dev = open("/dev/udmabuf", O_RDWR);
	if (memfd < 0 || dev < 0) {
		FAIL(r, "no /dev/udmabuf");
		goto out;
	}
	c.memfd = memfd;
	c.size = size;
	t0 = now_ns();
	for (i = 0; i < r->loops; i++) {
		fd = ioctl(dev, UDMABUF_CREATE, &c);
		if (fd < 0) {
			FAIL(r, "UDMABUF_CREATE failed");
			break;
		}
		close(fd);
	}
	r->ns = now_ns() - t0;
out:
	if (dev >= 0)
		close(dev);
	if (memfd >= 0)
		close(memfd);
}

/* poll an idle dma-buf (no fences): readable and writable at once */
static void b_dmabuf_poll(struct run *r)
{
	struct pollfd p;
	int memfd = -1, fd;
	uint64_t t0;
	unsigned int i;

	fd = udmabuf_of(r, &memfd);
	if (fd < 0)
		goto out;
	t0 = now_ns();
	for (i = 0; i < r->loops; i++) {
		p.fd = fd;
		p.events = POLLIN | POLLOUT;
		if (poll(&p, 1, 0) != 1 || (p.revents & (POLLIN | POLLOUT)) !=
		    (POLLIN | POLLOUT)) {
			FAIL(r, "an idle dma-buf did not poll ready");
			break;
		}
	}
	r->ns = now_ns() - t0;
	close(fd);
out:
	if (memfd >= 0)
		close(memfd);
}

static int heap_alloc(struct run *r, int heap, size_t len)
{
	struct dma_heap_allocation_data a = {
		.len = len,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a)) {
		FAIL(r, "DMA_HEAP_IOCTL_ALLOC failed");
		return -1;
	}
	return a.fd;
}

/* allocate and free r->n MiB from the system heap */
static void b_heap_alloc(struct run *r)
{
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC), fd;
	uint64_t t0;
	unsigned int i;

	r->wall = 1;
	if (heap < 0) {
		FAIL(r, "no /dev/dma_heap/system");
		return;
	}
	t0 = now_ns();
	for (i = 0; i < r->loops; i++) {
		fd = heap_alloc(r, heap, (size_t)r->n << 20);
		if (fd < 0)
			break;
		close(fd);
	}
	r->ns = now_ns() - t0;
	close(heap);
}

/* mmap a system-heap buffer of r->n MiB and write every page, in sync */
static void b_heap_mmap_touch(struct run *r)
{
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC), fd;
	size_t len = (size_t)r->n << 20, off;
	struct dma_buf_sync s;
	uint64_t t0;
	unsigned int i;
	char *p;

	r->wall = 1;
	if (heap < 0) {
		FAIL(r, "no /dev/dma_heap/system");
		return;
	}
	fd = heap_alloc(r, heap, len);
	close(heap);
	if (fd < 0)
		return;
	t0 = now_ns();
	for (i = 0; i < r->loops; i++) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			FAIL(r, "mmap of the dma-buf failed");
			break;
		}
		s.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE;
		if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s))
			FAIL(r, "DMA_BUF_IOCTL_SYNC start failed");
		for (off = 0; off < len; off += 4096)
			p[off] = (char)i;
		s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
		if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s))
			FAIL(r, "DMA_BUF_IOCTL_SYNC end failed");
		munmap(p, len);
	}
	r->ns = now_ns() - t0;
	close(fd);
}

struct ucase {
	const char *name;
	void (*fn)(struct run *r);
	unsigned int n, loops;
	const char *needs;	/* comma-separated drivers/dma-buf files */
};

static const struct ucase ucases[] = {
	{ "sync_file create (sw_sync)", b_sync_create, 0, 4096, "sync_file.c,sw_sync.c" },
	{ "sync_file merge", b_sync_merge, 2, 4096, "sync_file.c" },
	{ "sync_file merge 64", b_sync_merge, 64, 512, "sync_file.c" },
	{ "sync_file info 2 fences", b_sync_info, 2, 4096, "sync_file.c" },
	{ "sync_file info 64 fences", b_sync_info, 64, 1024, "sync_file.c" },
	{ "sync_file poll signalled", b_sync_poll, 0, 4096, "sync_file.c" },
	{ "dma-buf poll idle", b_dmabuf_poll, 1, 4096, "dma-buf.c,udmabuf.c" },
	{ "udmabuf create 1 page", b_udmabuf_create, 1, 1024, "udmabuf.c,dma-buf.c" },
	{ "heap alloc 1 MiB", b_heap_alloc, 1, 64, "dma-heap.c,heaps/system_heap.c,dma-buf.c" },
	{ "heap alloc 16 MiB", b_heap_alloc, 16, 8, "dma-heap.c,heaps/system_heap.c,dma-buf.c" },
	{ "heap alloc 256 MiB", b_heap_alloc, 256, 2, "dma-heap.c,heaps/system_heap.c,dma-buf.c" },
	{ "heap mmap+touch 16 MiB", b_heap_mmap_touch, 16, 8, "dma-heap.c,heaps/system_heap.c,dma-buf.c" },
};

/* is every file of @needs in the comma-separated list @ours? */
static int owned(const char *needs, const char *ours)
{
	char buf[256], *save, *f;
	char pat[128];

	snprintf(buf, sizeof(buf), "%s", needs);
	for (f = strtok_r(buf, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		snprintf(pat, sizeof(pat), ",%s,", f);
		if (!strstr(ours, pat))
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	char ours[4096] = ",";
	const char *only = NULL;
	unsigned int i, failures = 0;
	int all = 0;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			quick = 1;
		} else if (!strcmp(argv[i], "--all")) {
			all = 1;
		} else if (!strncmp(argv[i], "--only=", 7)) {
			only = argv[i] + 7;
		} else if (!strncmp(argv[i], "--ours=", 7)) {
			snprintf(ours, sizeof(ours), ",%s,", argv[i] + 7);
		} else {
			fprintf(stderr, "usage: %s [--quick] [--all] [--ours=FILE,...] [--only=S]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(ucases) / sizeof(ucases[0]); i++) {
		const struct ucase *c = &ucases[i];
		struct run r = { .n = c->n, .loops = quick ? 1 : c->loops };

		if (only && !strstr(c->name, only))
			continue;
		if (!all && !owned(c->needs, ours)) {
			printf("dmabuf-bench|na|%s||||not ours yet (%s)\n",
			       c->name, c->needs);
			continue;
		}
		if (!quick) {
			struct run warm = { .n = c->n, .loops = 1 };

			c->fn(&warm);
		}
		c->fn(&r);
		if (r.fail) {
			failures++;
			printf("dmabuf-bench|case|%s|%u|%u||FAIL %s (%s)\n", c->name,
			       c->n, r.loops, r.fail, strerror(errno));
		} else {
			printf("dmabuf-bench|case|%s|%u|%u|%llu|ok%s\n", c->name, c->n,
			       r.loops, (unsigned long long)r.ns, r.wall ? " wall" : "");
		}
	}
	return failures ? 1 : 0;
}
