// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-drivers: real in-tree drivers as dma-buf exporters and importers.
 *
 * Where the upstream selftests use udmabuf and the heaps, this goes through
 * the drivers built into the guest:
 *  - vgem PRIME-exports a dumb bo: the dma-buf mapping, a second DRM file's
 *    MAP_DUMB view of its import and the handle/inode identities of
 *    self-import and re-export must agree; fdinfo and bufinfo must say so.
 *  - vgem write and read fences must show through poll(), EXPORT_SYNC_FILE
 *    and bufinfo, and FENCE_SIGNAL must wake a poll() blocked meanwhile; a
 *    sw_sync fence put in with IMPORT_SYNC_FILE must hold off poll(), vgem's
 *    fence attach and DMA_BUF_IOCTL_SYNC until the timeline moves.
 *  - vivid captures RGB24 into MMAP buffers exported with VIDIOC_EXPBUF;
 *    V4L2 and dma-buf mappings must agree and the dma-bufs outlive vivid's
 *    queue and fd.  vim2m takes them as DMABUF OUTPUT buffers and converts
 *    to BGR24: the result must be the input with red and blue swapped, byte
 *    for byte (half the inputs carry our pattern instead of vivid's).  vgem
 *    imports a vim2m capture buffer: it must show as attached, and vgem's
 *    fence on it must hold off poll() on the V4L2 exporter's fd.
 *  - virtio-gpu exports a dumb bo (dma-buf and MAP_DUMB views share writes),
 *    vim2m converts it into a vgem dma-buf, and virtio-gpu's 6.12 refusal to
 *    import a foreign dma-buf (ENODEV: it has no gem_prime_import_sg_table)
 *    must leave no attachment behind.
 *  - with everything closed, /sys/kernel/debug/dma_buf/bufinfo (parsed
 *    strictly) must hold none of our dma-bufs and as many as at the start.
 * TAP 13 on stdout; the exit status is 0 only if every case passed.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <drm/vgem_drm.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <linux/videodev2.h>

#include "tap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BUFINFO "/sys/kernel/debug/dma_buf/bufinfo"
#define VB2_EXP "videobuf2_vmalloc"
#define RW (PROT_READ | PROT_WRITE)
#define S_START DMA_BUF_SYNC_START
#define S_END DMA_BUF_SYNC_END
#define S_R DMA_BUF_SYNC_READ
#define S_W DMA_BUF_SYNC_WRITE
#define V_CAP V4L2_BUF_TYPE_VIDEO_CAPTURE
#define V_OUT V4L2_BUF_TYPE_VIDEO_OUTPUT
#define V_MMAP V4L2_MEMORY_MMAP
#define V_DMABUF V4L2_MEMORY_DMABUF

/* the frame vivid captures and vim2m converts, packed 3 bytes a pixel */
#define W 640
#define H 480
#define FRAME (W * H * 3)
#define NVIV 4

static struct {
	int vgem, vgem2, vgpu, viv, sw;
	char vgem_path[32];
	__u32 bo, bo_size, h2, seed, fence;
	int buf, sf;			/* the vgem bo's dma-buf, a sync_file */
	unsigned char *map;		/* mmap of buf */
	int viv_buf[NVIV];		/* vivid EXPBUF dma-bufs */
	unsigned char *viv_vmap[NVIV];	/* ... mapped through vivid */
	unsigned char *viv_dmap[NVIV];	/* ... mapped through the dma-buf */
	int cap_buf[NVIV];		/* vim2m capture EXPBUF dma-bufs */
	__u32 vg_bo, vg_size;
	int vg_buf;			/* the virtio-gpu bo's dma-buf */
	unsigned char *vg_map;
} st;

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#define CHECK(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		diag("%s:%d: %s: " fmt, __func__, __LINE__, #cond,	\
		     ##__VA_ARGS__);					\
		goto fail;						\
	}								\
} while (0)
#define SKIP 1
#define ERR strerror(errno)
#define DROP_FD(fd) do { if ((fd) >= 0) close(fd); (fd) = -1; } while (0)
#define UNMAP(p, len) do { if (p) munmap(p, len); (p) = NULL; } while (0)

static unsigned long long ino_of(int fd)
{
	struct stat s;

	return fstat(fd, &s) ? 0 : (unsigned long long)s.st_ino;
}

/* every dma-buf this program got, by inode, for the cleanup case */
static unsigned long long inos[128];
static int ninos;

static int seen_buf(int fd)
{
	unsigned long long ino = fd < 0 ? 0 : ino_of(fd);
	int i;

	for (i = 0; i < ninos && inos[i] != ino; i++)
		;
	if (ino && i == ninos && ninos < (int)ARRAY_SIZE(inos))
		inos[ninos++] = ino;
	return fd;
}

static void *map(int fd, size_t len, int prot, __u64 off)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)off);

	return p == MAP_FAILED ? NULL : p;
}

/* a xorshift byte stream, so that any misplaced page or byte shows */
static unsigned char xs(__u32 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x >> 24;
}

static void fill(unsigned char *p, size_t n, __u32 seed)
{
	__u32 x = seed * 2654435761u + 1;

	while (n--)
		*p++ = xs(&x);
}

/* offset of the first byte that differs from fill(seed), or -1 */
static long check_fill(const unsigned char *p, size_t n, __u32 seed)
{
	__u32 x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != xs(&x))
			return (long)i;
	return -1;
}

static int poll_ev(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r = poll(&p, 1, ms);

	return r < 0 ? -1 : r ? p.revents : 0;
}

/* an ioctl issued by another thread 100 ms on, and when it was */
struct later {
	pthread_t thr;
	int fd, ret, err;
	unsigned long req;
	void *arg;
	double when;
};

static void *later_fn(void *data)
{
	struct later *l = data;

	usleep(100 * 1000);
	l->when = now_ms();
	l->ret = ioctl(l->fd, l->req, l->arg);
	l->err = errno;
	return NULL;
}

static int later(struct later *l, int fd, unsigned long req, void *arg)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->req = req;
	l->arg = arg;
	return pthread_create(&l->thr, NULL, later_fn, l);
}

/* ---- dma-buf and sync_file ---- */

static int buf_sync(int fd, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

static long long dmabuf_size(int fd)
{
	long long sz = lseek(fd, 0, SEEK_END);

	lseek(fd, 0, SEEK_SET);
	return sz;
}

/* "key:\tvalue" from /proc/self/fdinfo/FD, "" if absent */
static const char *fdinfo(int fd, const char *key)
{
	static char val[64];
	char path[64], line[128];
	size_t kl = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	val[0] = 0;
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			line[strcspn(line, "\n")] = 0;
			snprintf(val, sizeof(val), "%s", line + kl + 1 + strspn(line + kl + 1, "\t "));
			break;
		}
	}
	if (f)
		fclose(f);
	return val;
}

static long long fdinfo_ll(int fd, const char *key)
{
	const char *v = fdinfo(fd, key);

	return *v ? strtoll(v, NULL, 10) : -1;
}

static int export_sf(int buf, __u32 flags)
{
	struct dma_buf_export_sync_file e = { .flags = flags, .fd = -1 };

	return ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e) ? -1 : e.fd;
}

static int import_sf(int buf, int sf, __u32 flags)
{
	struct dma_buf_import_sync_file i = { .flags = flags, .fd = sf };

	return ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &i) ? -errno : 0;
}

struct sf_info {
	int status;
	unsigned int n;
	struct sync_fence_info f[8];
};

static int sf_info(int fd, struct sf_info *o)
{
	struct sync_file_info info;

	memset(&info, 0, sizeof(info));
	memset(o, 0, sizeof(*o));
	o->status = -1;
	if (fd < 0 || ioctl(fd, SYNC_IOC_FILE_INFO, &info) ||
	    info.num_fences > ARRAY_SIZE(o->f))
		return -1;
	o->n = info.num_fences;
	info.sync_fence_info = (__u64)(uintptr_t)o->f;
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		return -1;
	o->status = info.status;
	return 0;
}

/* status of the sync_file's first fence from @driver, -2 if none */
static int sf_fence(const struct sf_info *o, const char *driver)
{
	unsigned int i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->f[i].driver_name, driver))
			return o->f[i].status;
	return -2;
}

/* ---- bufinfo ---- */

struct bi_ent {
	unsigned long long size, ino;
	long count;
	char exp[32], name[40];
	int nattach;
	char rest[512];		/* its fence and device lines, '\n' ended */
};

static struct {
	int n;
	unsigned long long bytes;
	struct bi_ent e[256];
} bi;

/*
 * Parse dma_buf_debug_show() strictly: a blank line, the title and the
 * column header; per buffer its line, a "\t<usage> fence:<description>"
 * line per fence, "\tAttached Devices:", a "\t<device>" line each,
 * "Total N devices attached" and a blank line; then a blank line and
 * "Total N objects, S bytes", which must add up.
 */
static int bufinfo_read(void)
{
	static const char *const pre[] = { "", "Dma-buf Objects:",
		"size    \tflags   \tmode    \tcount   \texp_name\tino     \tname" };
	unsigned long long tot_bytes = 0;
	int state = 0, ln = 0, tot_n = -1, n;
	struct bi_ent *e = NULL;
	unsigned int flags, mode;
	char *line = NULL;
	size_t cap = 0, l;
	FILE *f;

	memset(&bi, 0, sizeof(bi));
	f = fopen(BUFINFO, "re");
	if (!f) {
		diag("cannot open " BUFINFO ": %s", ERR);
		return -1;
	}
	while (getline(&line, &cap, f) >= 0) {
		ln++;
		line[strcspn(line, "\n")] = 0;
		if (state < 3) {		/* preamble */
			if (strcmp(line, pre[state++]))
				goto bad;
		} else if (state == 3 && !*line) {	/* between buffers */
		} else if (state == 3 && sscanf(line, "Total %d objects, %llu bytes",
						&tot_n, &tot_bytes) == 2) {
			state = 6;
		} else if (state == 3) {
			if (bi.n == (int)ARRAY_SIZE(bi.e))
				goto bad;
			e = &bi.e[bi.n++];
			if (sscanf(line, "%llu\t%x\t%x\t%ld\t%31s\t%llu\t%39[^\n]", &e->size,
				   &flags, &mode, &e->count, e->exp, &e->ino, e->name) != 7)
				goto bad;
			bi.bytes += e->size;
			state = 4;
		} else if (state == 4 || state == 5) {	/* fences, then devices */
			if (line[0] != '\t') {
				if (state != 5 || sscanf(line, "Total %d devices attached", &n) != 1 ||
				    n != e->nattach)
					goto bad;
				state = 3;
				continue;
			}
			if (state == 4 && !strcmp(line, "\tAttached Devices:"))
				state = 5;
			else if (state == 5)
				e->nattach++;
			else if (!strstr(line, " fence:"))
				goto bad;
			l = strlen(e->rest);
			snprintf(e->rest + l, sizeof(e->rest) - l, "%s\n", line);
		} else if (*line) {		/* nothing after the totals */
			goto bad;
		}
	}
	free(line);
	fclose(f);
	if (state == 6 && tot_n == bi.n && tot_bytes == bi.bytes)
		return 0;
	diag("bufinfo: state %d at the end, totals %d/%llu, parsed %d/%llu",
	     state, tot_n, tot_bytes, bi.n, bi.bytes);
	return -1;
bad:
	diag("bufinfo line %d unexpected: '%s'", ln, line);
	free(line);
	fclose(f);
	return -1;
}

/* read bufinfo afresh and return the entry of @fd's dma-buf */
static struct bi_ent *bi_get(int fd)
{
	unsigned long long ino = ino_of(fd);
	int i;

	if (bufinfo_read())
		return NULL;
	for (i = 0; i < bi.n; i++)
		if (bi.e[i].ino == ino)
			return &bi.e[i];
	diag("inode %llu is not in bufinfo", ino);
	return NULL;
}

/* a vgem fence line: seqno 1 on its own "unbound" timeline */
#define VGEM_FENCE(usage, state) "\t" usage " fence:vgem unbound seq 1 " state "\n"
#define REST(e) ((e) ? (e)->rest : "(none)\n")

/* ---- DRM ---- */

static int dumb_create(int fd, __u32 w, __u32 h, __u32 *handle, __u32 *pitch, __u32 *size)
{
	struct drm_mode_create_dumb c = { .width = w, .height = h, .bpp = 32 };

	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c))
		return -errno;
	*handle = c.handle;
	*pitch = c.pitch;
	*size = (__u32)c.size;
	return 0;
}

static void *dumb_map(int fd, __u32 handle, size_t len)
{
	struct drm_mode_map_dumb m = { .handle = handle };

	return ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m) ? NULL : map(fd, len, RW, m.offset);
}

static int prime_export(int fd, __u32 handle)
{
	struct drm_prime_handle p = {
		.handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR, .fd = -1,
	};

	return ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p) ? -1 : seen_buf(p.fd);
}

static int prime_import(int fd, int buf, __u32 *handle)
{
	struct drm_prime_handle p = { .fd = buf };

	if (ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p))
		return -errno;
	*handle = p.handle;
	return 0;
}

static int gem_close(int fd, __u32 handle)
{
	struct drm_gem_close c = { .handle = handle };

	return ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c) ? -errno : 0;
}

static int vgem_attach(__u32 handle, __u32 flags, __u32 *id)
{
	struct drm_vgem_fence_attach a = { .handle = handle, .flags = flags };

	if (ioctl(st.vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &a))
		return -errno;
	*id = a.out_fence;
	return 0;
}

static int vgem_signal(__u32 id)
{
	struct drm_vgem_fence_signal s = { .fence = id };

	return ioctl(st.vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &s) ? -errno : 0;
}

/* ---- V4L2 ---- */

static int v4l2_open(const char *driver, __u32 want, __u32 reject)
{
	struct v4l2_capability cap;
	char p[32];
	__u32 caps;
	int i, fd;

	for (i = 0; i < 64; i++) {
		snprintf(p, sizeof(p), "/dev/video%d", i);
		fd = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) && !strcmp((char *)cap.driver, driver)) {
			caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ?
			       cap.device_caps : cap.capabilities;
			if ((caps & want) == want && !(caps & reject))
				return fd;
		}
		close(fd);
	}
	return -1;
}

/* W x H of @fourcc, packed 3 bytes a pixel, or an error */
static int set_fmt(int fd, __u32 type, __u32 fourcc)
{
	struct v4l2_format f = { .type = type };
	struct v4l2_pix_format *pix = &f.fmt.pix;

	pix->width = W;
	pix->height = H;
	pix->pixelformat = fourcc;
	pix->field = V4L2_FIELD_NONE;
	if (ioctl(fd, VIDIOC_S_FMT, &f)) {
		diag("S_FMT: %s", ERR);
		return -1;
	}
	if (pix->width == W && pix->height == H && pix->pixelformat == fourcc &&
	    pix->bytesperline == W * 3 && pix->sizeimage == FRAME)
		return 0;
	diag("S_FMT gave %ux%u '%.4s' bytesperline %u sizeimage %u", pix->width,
	     pix->height, (char *)&pix->pixelformat, pix->bytesperline, pix->sizeimage);
	return -1;
}

static int reqbufs(int fd, __u32 type, __u32 memory, __u32 count)
{
	struct v4l2_requestbuffers r = { .count = count, .type = type, .memory = memory };

	return ioctl(fd, VIDIOC_REQBUFS, &r) ? -errno : (int)r.count;
}

/* queue buffer @index, for DMABUF with the dma-buf @dfd; @ts tags it */
static int qbuf(int fd, __u32 type, __u32 memory, __u32 index, int dfd, long ts)
{
	struct v4l2_buffer b = {
		.type = type, .memory = memory, .index = index, .field = V4L2_FIELD_NONE,
	};

	if (memory == V_DMABUF) {
		b.m.fd = dfd;
		b.length = (__u32)dmabuf_size(dfd);
	}
	if (type == V_OUT)
		b.bytesused = FRAME;
	b.timestamp.tv_sec = ts;
	return ioctl(fd, VIDIOC_QBUF, &b) ? -errno : 0;
}

static int dqbuf(int fd, __u32 type, __u32 memory, struct v4l2_buffer *b)
{
	double end = now_ms() + 5000;

	for (;;) {
		memset(b, 0, sizeof(*b));
		b->type = type;
		b->memory = memory;
		if (!ioctl(fd, VIDIOC_DQBUF, b))
			return 0;
		if (errno != EAGAIN)
			return -errno;
		if (now_ms() > end)
			return -ETIMEDOUT;
		poll_ev(fd, type == V_CAP ? POLLIN : POLLOUT, 100);
	}
}

static int stream(int fd, __u32 type, bool on)
{
	int t = type;

	return ioctl(fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &t) ? -errno : 0;
}

static int expbuf(int fd, __u32 type, __u32 index)
{
	struct v4l2_exportbuffer e = { .type = type, .index = index, .flags = O_RDWR | O_CLOEXEC };

	return ioctl(fd, VIDIOC_EXPBUF, &e) ? -1 : seen_buf(e.fd);
}

/* ---- vgem ---- */

static int t_vgem_export(void)
{
	static const char name[] = "drvtest-vgem";
	long long c0, c1;
	struct bi_ent *e;
	__u32 pitch;
	int fl, d;

	st.vgem = drm_open("vgem", st.vgem_path, sizeof(st.vgem_path));
	CHECK(st.vgem >= 0, "no vgem DRM device");
	CHECK(!dumb_create(st.vgem, 128, 128, &st.bo, &pitch, &st.bo_size), "%s", ERR);
	CHECK(st.bo_size >= 128 * 128 * 4, "dumb size %u", st.bo_size);
	st.buf = prime_export(st.vgem, st.bo);
	CHECK(st.buf >= 0, "PRIME_HANDLE_TO_FD: %s", ERR);
	fl = fcntl(st.buf, F_GETFL);
	CHECK((fl & O_ACCMODE) == O_RDWR, "file flags %#x", fl);
	CHECK(fcntl(st.buf, F_GETFD) & FD_CLOEXEC, "no FD_CLOEXEC");
	CHECK(dmabuf_size(st.buf) == st.bo_size, "lseek end %lld", dmabuf_size(st.buf));
	CHECK(!strcmp(fdinfo(st.buf, "exp_name"), "drm"), "'%s'", fdinfo(st.buf, "exp_name"));
	CHECK(fdinfo_ll(st.buf, "size") == st.bo_size, "%lld", fdinfo_ll(st.buf, "size"));
	c0 = fdinfo_ll(st.buf, "count");
	d = dup(st.buf);
	c1 = fdinfo_ll(st.buf, "count");
	close(d);
	CHECK(c0 > 0 && c1 == c0 + 1, "fdinfo count %lld, %lld with a dup", c0, c1);
	e = bi_get(st.buf);
	CHECK(e && e->size == st.bo_size && !strcmp(e->exp, "drm") && e->count == c0 &&
	      !strcmp(e->name, "<none>") && !e->nattach,
	      "bufinfo: size %llu exp '%s' count %ld name '%s' %d attached", e ? e->size : 0,
	      e ? e->exp : "", e ? e->count : 0, e ? e->name : "", e ? e->nattach : 0);
	/* the name set on the dma-buf shows in both */
	CHECK(!ioctl(st.buf, DMA_BUF_SET_NAME, name), "SET_NAME: %s", ERR);
	CHECK(ioctl(st.buf, DMA_BUF_SET_NAME, "a-name-longer-than-DMA_BUF_NAME_LEN") &&
	      errno == EINVAL, "over-long name: %s", ERR);
	CHECK(!strcmp(fdinfo(st.buf, "name"), name), "fdinfo '%s'", fdinfo(st.buf, "name"));
	e = bi_get(st.buf);
	CHECK(e && !strcmp(e->name, name), "bufinfo name '%s'", e ? e->name : "");
	return 0;
fail:
	return -1;
}

static int t_vgem_mmap(void)
{
	unsigned char *ro;
	__u32 h = 0;
	long off;

	CHECK(st.buf >= 0, "needs the vgem dma-buf");
	st.map = map(st.buf, st.bo_size, RW, 0);
	CHECK(st.map, "mmap: %s", ERR);
	CHECK(!buf_sync(st.buf, S_START | DMA_BUF_SYNC_RW), "SYNC start");
	fill(st.map, st.bo_size, 1);
	CHECK(!buf_sync(st.buf, S_END | DMA_BUF_SYNC_RW), "SYNC end");
	st.seed = 1;
	CHECK(buf_sync(st.buf, S_START | 0x100) == -EINVAL, "bad SYNC flags taken");
	ro = map(st.buf, st.bo_size, PROT_READ, 0);
	CHECK(ro, "second mmap: %s", ERR);
	off = check_fill(ro, st.bo_size, 1);
	UNMAP(ro, st.bo_size);
	CHECK(off < 0, "second mapping differs at %ld", off);
	CHECK(!map(st.buf, 4096, PROT_READ, st.bo_size) && errno == EINVAL,
	      "mapping past the end: %s", ERR);
	CHECK(!prime_import(st.vgem, st.buf, &h), "FD_TO_HANDLE: %s", ERR);
	CHECK(h == st.bo, "self-import gave handle %u, the bo is %u", h, st.bo);
	return 0;
fail:
	return -1;
}

static int t_vgem_second_file(void)
{
	__u32 own = 0, own_size, pitch, h = 0;
	unsigned char *p = NULL;
	int fd = -1, ret = -1;
	long off;

	CHECK(st.map, "needs the mapped vgem dma-buf");
	st.vgem2 = open(st.vgem_path, O_RDWR | O_CLOEXEC);
	CHECK(st.vgem2 >= 0, "reopen %s: %s", st.vgem_path, ERR);
	CHECK(!dumb_create(st.vgem2, 64, 16, &own, &pitch, &own_size), "%s", ERR);
	CHECK(!prime_import(st.vgem2, st.buf, &st.h2), "FD_TO_HANDLE: %s", ERR);
	CHECK(st.h2 && st.h2 != own, "imported handle %u, own bo %u", st.h2, own);
	p = dumb_map(st.vgem2, st.h2, st.bo_size);
	CHECK(p, "MAP_DUMB/mmap of the import: %s", ERR);
	off = check_fill(p, st.bo_size, st.seed);
	CHECK(off < 0, "second file's view differs at %ld", off);
	fill(p, st.bo_size, 2);
	CHECK(!buf_sync(st.buf, S_START | S_R), "SYNC");
	off = check_fill(st.map, st.bo_size, 2);
	buf_sync(st.buf, S_END | S_R);
	CHECK(off < 0, "write through the second file not seen at %ld", off);
	st.seed = 2;
	/* re-exporting the import gives back the same dma-buf */
	fd = prime_export(st.vgem2, st.h2);
	CHECK(fd >= 0 && ino_of(fd) == ino_of(st.buf), "re-export: %s, inode %llu not %llu",
	      ERR, ino_of(fd), ino_of(st.buf));
	CHECK(!prime_import(st.vgem, fd, &h) && h == st.bo, "back in file 1 as %u", h);
	UNMAP(p, st.bo_size);
	CHECK(!gem_close(st.vgem2, st.h2), "GEM_CLOSE");
	DROP_FD(st.vgem2);
	CHECK(check_fill(st.map, st.bo_size, st.seed) < 0, "view changed with file 2 gone");
	ret = 0;
fail:
	UNMAP(p, st.bo_size);
	DROP_FD(fd);
	return ret;
}

/* ---- fences ---- */

static int t_fence_write(void)
{
	struct bi_ent *e;
	struct sf_info i;
	__u32 id;
	int r;

	CHECK(st.buf >= 0, "needs the vgem dma-buf");
	r = poll_ev(st.buf, POLLIN | POLLOUT, 0);
	CHECK(r == (POLLIN | POLLOUT), "idle buffer polls %#x", r);
	CHECK(!(r = vgem_attach(st.bo, VGEM_FENCE_WRITE, &st.fence)), "%s", strerror(-r));
	r = poll_ev(st.buf, POLLIN | POLLOUT, 0);
	CHECK(r == 0, "poll with an unsignalled write fence: %#x", r);
	e = bi_get(st.buf);
	CHECK(e && strstr(e->rest, VGEM_FENCE("write", "unsignalled")), "bufinfo:\n%s", REST(e));
	CHECK(vgem_attach(st.bo, VGEM_FENCE_WRITE, &id) == -EBUSY, "2nd write not EBUSY");
	CHECK(vgem_attach(st.bo, 0, &id) == -EBUSY, "read over a write not EBUSY");
	st.sf = export_sf(st.buf, S_R);
	CHECK(st.sf >= 0, "EXPORT_SYNC_FILE: %s", ERR);
	CHECK(!sf_info(st.sf, &i) && i.n == 1 && !strcmp(i.f[0].driver_name, "vgem") &&
	      !strcmp(i.f[0].obj_name, "unbound") && i.f[0].status == 0 && i.status == 0,
	      "%u fences, first %s/%s status %d, file status %d", i.n,
	      i.f[0].driver_name, i.f[0].obj_name, i.f[0].status, i.status);
	CHECK(poll_ev(st.sf, POLLIN, 0) == 0, "sync_file ready too early");
	return 0;
fail:
	return -1;
}

static int t_fence_signal_wakes(void)
{
	struct drm_vgem_fence_signal sig = { .fence = st.fence };
	struct bi_ent *e;
	struct sf_info i;
	struct later l;
	double t;
	int r;

	CHECK(st.fence && st.sf >= 0, "needs the write fence and its sync_file");
	CHECK(!later(&l, st.vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig), "pthread_create");
	r = poll_ev(st.buf, POLLIN, 5000);
	t = now_ms();
	pthread_join(l.thr, NULL);
	CHECK(l.ret == 0, "FENCE_SIGNAL: %s", strerror(l.err));
	CHECK(r == POLLIN, "blocked poll returned %#x", r);
	CHECK(t >= l.when, "poll returned %.1f ms before the signal", l.when - t);
	CHECK(poll_ev(st.buf, POLLOUT, 0) == POLLOUT, "not writable after the signal");
	CHECK(!sf_info(st.sf, &i) && i.n == 1 && i.status == 1 && i.f[0].status == 1 &&
	      i.f[0].timestamp_ns, "sync_file status %d/%d", i.status, i.f[0].status);
	CHECK(poll_ev(st.sf, POLLIN, 0) == POLLIN, "sync_file not ready");
	CHECK(vgem_signal(st.fence) == -ENOENT, "second signal not ENOENT");
	e = bi_get(st.buf);
	CHECK(e && strstr(e->rest, VGEM_FENCE("write", "signalled")), "bufinfo:\n%s", REST(e));
	st.fence = 0;
	DROP_FD(st.sf);
	return 0;
fail:
	return -1;
}

static int t_fence_read(void)
{
	int sf = -1, ret = -1, r;
	struct sf_info i;
	__u32 id = 0;

	CHECK(st.buf >= 0, "needs the vgem dma-buf");
	CHECK(!(r = vgem_attach(st.bo, 0, &id)), "read FENCE_ATTACH: %s", strerror(-r));
	CHECK(poll_ev(st.buf, POLLIN, 0) == POLLIN, "read fence blocks readers");
	CHECK(poll_ev(st.buf, POLLOUT, 0) == 0, "read fence lets writers in");
	sf = export_sf(st.buf, S_R);
	CHECK(!sf_info(sf, &i) && i.status == 1, "EXPORT(READ) status %d", i.status);
	DROP_FD(sf);
	sf = export_sf(st.buf, S_W);
	CHECK(!sf_info(sf, &i) && i.status == 0 && sf_fence(&i, "vgem") == 0,
	      "EXPORT(WRITE) lacks the active read fence: status %d", i.status);
	CHECK(!vgem_signal(id), "FENCE_SIGNAL");
	id = 0;
	CHECK(poll_ev(st.buf, POLLOUT, 1000) == POLLOUT, "not writable after the signal");
	CHECK(!sf_info(sf, &i) && i.status == 1, "sync_file status %d", i.status);
	ret = 0;
fail:
	if (id)
		vgem_signal(id);
	DROP_FD(sf);
	return ret;
}

static int sw_fence(__u32 value)
{
	struct sw_sync_create_fence_data d = { .value = value, .fence = -1 };

	snprintf(d.name, sizeof(d.name), "drv-%u", value);
	return ioctl(st.sw, SW_SYNC_IOC_CREATE_FENCE, &d) ? -1 : d.fence;
}

static int t_sw_sync_write(void)
{
	int f = -1, sf = -1, ret = -1, r;
	__u32 one = 1, id = 0;
	struct sf_info i;
	struct later l;
	double t;

	CHECK(st.buf >= 0, "needs the vgem dma-buf");
	st.sw = open("/sys/kernel/debug/sync/sw_sync", O_RDWR | O_CLOEXEC);
	CHECK(st.sw >= 0, "open sw_sync: %s", ERR);
	CHECK((f = sw_fence(1)) >= 0, "CREATE_FENCE: %s", ERR);
	CHECK(!(r = import_sf(st.buf, f, S_W)), "IMPORT_SYNC_FILE: %s", strerror(-r));
	r = poll_ev(st.buf, POLLIN | POLLOUT, 0);
	CHECK(r == 0, "poll with the sw_sync write fence: %#x", r);
	CHECK(vgem_attach(st.bo, 0, &id) == -EBUSY, "vgem attached past the sw_sync fence");
	sf = export_sf(st.buf, S_R);
	CHECK(!sf_info(sf, &i) && i.status == 0 && sf_fence(&i, "sw_sync") == 0,
	      "exported sync_file lacks the sw_sync fence");

	/* DMA_BUF_IOCTL_SYNC must wait for the fence that the thread signals */
	CHECK(!later(&l, st.sw, SW_SYNC_IOC_INC, &one), "pthread_create");
	r = buf_sync(st.buf, S_START | S_R);
	t = now_ms();
	pthread_join(l.thr, NULL);
	CHECK(l.ret == 0, "SW_SYNC_IOC_INC: %s", strerror(l.err));
	CHECK(r == 0, "SYNC start: %s", strerror(-r));
	CHECK(t >= l.when, "SYNC start returned %.1f ms before the fence", l.when - t);
	buf_sync(st.buf, S_END | S_R);
	r = poll_ev(st.buf, POLLIN | POLLOUT, 1000);
	CHECK(r == (POLLIN | POLLOUT), "poll after INC: %#x", r);
	CHECK(!sf_info(sf, &i) && i.status == 1, "sync_file status %d", i.status);
	CHECK(!(r = vgem_attach(st.bo, 0, &id)), "attach after INC: %s", strerror(-r));
	CHECK(!vgem_signal(id), "FENCE_SIGNAL");
	id = 0;
	DROP_FD(f);
	DROP_FD(sf);

	/* an imported read fence holds off only writers */
	CHECK((f = sw_fence(2)) >= 0, "CREATE_FENCE: %s", ERR);
	CHECK(!(r = import_sf(st.buf, f, S_R)), "IMPORT_SYNC_FILE: %s", strerror(-r));
	CHECK(poll_ev(st.buf, POLLIN, 0) == POLLIN, "imported read fence blocks readers");
	CHECK(poll_ev(st.buf, POLLOUT, 0) == 0, "imported read fence lets writers in");
	sf = export_sf(st.buf, S_W);
	CHECK(!sf_info(sf, &i) && sf_fence(&i, "sw_sync") == 0, "EXPORT(WRITE) lacks it");
	CHECK(!ioctl(st.sw, SW_SYNC_IOC_INC, &one), "INC: %s", ERR);
	CHECK(poll_ev(st.buf, POLLOUT, 1000) == POLLOUT, "not writable after INC");
	CHECK(!sf_info(sf, &i) && i.status == 1, "sync_file status %d", i.status);
	ret = 0;
fail:
	if (id)
		vgem_signal(id);
	DROP_FD(f);
	DROP_FD(sf);
	return ret;
}

/* ---- V4L2: vivid and vim2m ---- */

static int t_vivid_expbuf(void)
{
	struct v4l2_buffer b;
	int i, j, in = 0;

	st.viv = v4l2_open("vivid", V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING, V4L2_CAP_TOUCH);
	CHECK(st.viv >= 0, "no vivid video capture node");
	CHECK(!ioctl(st.viv, VIDIOC_S_INPUT, &in), "S_INPUT 0: %s", ERR);
	CHECK(!set_fmt(st.viv, V_CAP, V4L2_PIX_FMT_RGB24), "640x480 RGB24 refused");
	CHECK((i = reqbufs(st.viv, V_CAP, V_MMAP, NVIV)) == NVIV, "REQBUFS: %d", i);
	for (i = 0; i < NVIV; i++) {
		memset(&b, 0, sizeof(b));
		b.type = V_CAP;
		b.memory = V_MMAP;
		b.index = i;
		CHECK(!ioctl(st.viv, VIDIOC_QUERYBUF, &b) && b.length >= FRAME,
		      "QUERYBUF %d: %s, %u bytes", i, ERR, b.length);
		st.viv_vmap[i] = map(st.viv, FRAME, PROT_READ, b.m.offset);
		CHECK(st.viv_vmap[i], "V4L2 mmap %d: %s", i, ERR);
		st.viv_buf[i] = expbuf(st.viv, V_CAP, i);
		CHECK(st.viv_buf[i] >= 0, "EXPBUF %d: %s", i, ERR);
		CHECK(!strcmp(fdinfo(st.viv_buf[i], "exp_name"), VB2_EXP),
		      "EXPBUF %d: fdinfo exp_name '%s'", i, fdinfo(st.viv_buf[i], "exp_name"));
		CHECK(fdinfo_ll(st.viv_buf[i], "size") == dmabuf_size(st.viv_buf[i]) &&
		      dmabuf_size(st.viv_buf[i]) >= b.length, "dma-buf size %lld for %u bytes",
		      dmabuf_size(st.viv_buf[i]), b.length);
		st.viv_dmap[i] = map(st.viv_buf[i], FRAME, RW, 0);
		CHECK(st.viv_dmap[i], "dma-buf mmap %d: %s", i, ERR);
		for (j = 0; j < i; j++)
			CHECK(ino_of(st.viv_buf[j]) != ino_of(st.viv_buf[i]),
			      "buffers %d and %d share a dma-buf", j, i);
	}
	return 0;
fail:
	return -1;
}

static int t_vivid_stream(void)
{
	struct v4l2_buffer b;
	__u32 last = 0, k;
	int i, r, ret = -1;
	bool on = false, nz;
	unsigned char *d;

	CHECK(st.viv_dmap[NVIV - 1], "needs the exported vivid buffers");
	for (i = 0; i < NVIV; i++)
		CHECK(!(r = qbuf(st.viv, V_CAP, V_MMAP, i, -1, 0)), "QBUF: %s", strerror(-r));
	CHECK(!(r = stream(st.viv, V_CAP, true)), "STREAMON: %s", strerror(-r));
	on = true;
	for (i = 0; i < 2 * NVIV; i++) {
		CHECK(!(r = dqbuf(st.viv, V_CAP, V_MMAP, &b)), "DQBUF %d: %s", i, strerror(-r));
		CHECK(b.index < NVIV && !(b.flags & V4L2_BUF_FLAG_ERROR) && b.bytesused == FRAME,
		      "frame %d: index %u flags %#x bytesused %u", i, b.index, b.flags,
		      b.bytesused);
		CHECK(!i || b.sequence > last, "sequence %u after %u", b.sequence, last);
		last = b.sequence;
		d = st.viv_dmap[b.index];
		buf_sync(st.viv_buf[b.index], S_START | S_R);
		r = memcmp(st.viv_vmap[b.index], d, FRAME);
		for (nz = false, k = 0; k < FRAME && !nz; k++)
			nz = d[k];
		buf_sync(st.viv_buf[b.index], S_END | S_R);
		CHECK(!r, "frame %d: the V4L2 and dma-buf views differ", i);
		CHECK(nz, "frame %d is all zero", i);
		if (i < NVIV)
			CHECK(!(r = qbuf(st.viv, V_CAP, V_MMAP, b.index, -1, 0)), "re-QBUF: %s",
			      strerror(-r));
	}
	ret = 0;
fail:
	if (on)
		stream(st.viv, V_CAP, false);
	return ret;
}

static int t_vivid_lifetime(void)
{
	unsigned char *snap[NVIV] = { 0 }, *fresh = NULL;
	struct bi_ent *e;
	int i, ret = -1;
	long off;

	CHECK(st.viv_dmap[NVIV - 1], "needs the exported vivid buffers");
	for (i = 0; i < NVIV; i++) {
		CHECK((snap[i] = malloc(FRAME)), "malloc");
		memcpy(snap[i], st.viv_dmap[i], FRAME);
		UNMAP(st.viv_vmap[i], FRAME);
	}
	CHECK(!reqbufs(st.viv, V_CAP, V_MMAP, 0), "REQBUFS 0 with exported buffers");
	DROP_FD(st.viv);
	for (i = 0; i < NVIV; i++) {
		e = bi_get(st.viv_buf[i]);
		CHECK(e && !strcmp(e->exp, VB2_EXP) &&
		      e->size == (unsigned long long)dmabuf_size(st.viv_buf[i]),
		      "buffer %d gone from bufinfo with vivid closed", i);
		CHECK(!memcmp(st.viv_dmap[i], snap[i], FRAME), "buffer %d changed", i);
	}
	fresh = map(st.viv_buf[0], FRAME, RW, 0);
	CHECK(fresh, "new mmap with vivid closed: %s", ERR);
	CHECK(!memcmp(fresh, snap[0], FRAME), "new mapping differs");
	fill(fresh, FRAME, 7);
	off = check_fill(st.viv_dmap[0], FRAME, 7);
	CHECK(off < 0, "write through the new mapping not seen at %ld", off);
	ret = 0;
fail:
	UNMAP(fresh, FRAME);
	for (i = 0; i < NVIV; i++)
		free(snap[i]);
	return ret;
}

/* offset of the first byte where @out is not @in with R and B swapped, or -1 */
static long cmp_swapped(const unsigned char *out, const unsigned char *in)
{
	long i;

	for (i = 0; i < FRAME; i++)
		if (out[i] != in[i - i % 3 + 2 - i % 3])
			return i;
	return -1;
}

/*
 * One vim2m session: in_fd[i], an RGB24 frame in a dma-buf, goes in as a
 * DMABUF OUTPUT buffer and BGR24 comes out, into MMAP capture buffers
 * exported with EXPBUF to cap_fd[i] or, with @import_cap, into the
 * dma-bufs cap_fd[] queued as DMABUF.  Each result, read through its
 * dma-buf, must be its input with red and blue swapped; the timestamps
 * vim2m copies across tell which input it was.
 */
static int m2m_run(int n, const int *in_fd, int *cap_fd, bool import_cap)
{
	const __u32 cmem = import_cap ? V_DMABUF : V_MMAP;
	unsigned char *in[NVIV] = { 0 }, *res[NVIV] = { 0 };
	bool seen[NVIV] = { 0 }, on = false;
	int fd, i, k, r, ret = -1;
	struct v4l2_buffer b;
	long off;

	fd = v4l2_open("vim2m", V4L2_CAP_VIDEO_M2M | V4L2_CAP_STREAMING, 0);
	CHECK(fd >= 0, "no vim2m node");
	CHECK(!set_fmt(fd, V_OUT, V4L2_PIX_FMT_RGB24), "OUTPUT format");
	CHECK(!set_fmt(fd, V_CAP, V4L2_PIX_FMT_BGR24), "CAPTURE format");
	CHECK((r = reqbufs(fd, V_OUT, V_DMABUF, n)) == n, "REQBUFS out: %d", r);
	CHECK((r = reqbufs(fd, V_CAP, cmem, n)) == n, "REQBUFS cap: %d", r);
	for (i = 0; i < n; i++) {
		in[i] = map(in_fd[i], FRAME, PROT_READ, 0);
		CHECK(in[i], "mapping input %d: %s", i, ERR);
		if (!import_cap) {
			cap_fd[i] = expbuf(fd, V_CAP, i);
			CHECK(cap_fd[i] >= 0, "EXPBUF %d: %s", i, ERR);
			CHECK(!strcmp(fdinfo(cap_fd[i], "exp_name"), VB2_EXP), "exp_name '%s'",
			      fdinfo(cap_fd[i], "exp_name"));
		}
		res[i] = map(cap_fd[i], FRAME, RW, 0);
		CHECK(res[i], "mapping capture %d: %s", i, ERR);
		buf_sync(cap_fd[i], S_START | S_W);
		memset(res[i], 0x5a, FRAME);
		buf_sync(cap_fd[i], S_END | S_W);
		CHECK(!(r = qbuf(fd, V_OUT, V_DMABUF, i, in_fd[i], 100 + i)), "QBUF out %d: %s",
		      i, strerror(-r));
		CHECK(!(r = qbuf(fd, V_CAP, cmem, i, cap_fd[i], 0)), "QBUF cap %d: %s", i,
		      strerror(-r));
	}
	CHECK(!(r = stream(fd, V_OUT, true)), "STREAMON out: %s", strerror(-r));
	on = true;
	CHECK(!(r = stream(fd, V_CAP, true)), "STREAMON cap: %s", strerror(-r));
	for (k = 0; k < n; k++) {
		CHECK(!(r = dqbuf(fd, V_CAP, cmem, &b)), "DQBUF cap: %s", strerror(-r));
		i = (int)b.timestamp.tv_sec - 100;
		CHECK(i >= 0 && i < n && !seen[i] && b.index < (__u32)n,
		      "capture %u has timestamp %ld", b.index, (long)b.timestamp.tv_sec);
		seen[i] = true;
		CHECK(!(b.flags & V4L2_BUF_FLAG_ERROR) && b.bytesused == FRAME,
		      "capture %u: flags %#x bytesused %u", b.index, b.flags, b.bytesused);
		CHECK(!import_cap || b.m.fd == cap_fd[b.index], "capture fd %d", b.m.fd);
		buf_sync(cap_fd[b.index], S_START | S_R);
		buf_sync(in_fd[i], S_START | S_R);
		off = cmp_swapped(res[b.index], in[i]);
		buf_sync(in_fd[i], S_END | S_R);
		buf_sync(cap_fd[b.index], S_END | S_R);
		CHECK(off < 0, "input %d -> capture %u: byte %ld is %#x, input pixel %02x%02x%02x",
		      i, b.index, off, res[b.index][off], in[i][off - off % 3],
		      in[i][off - off % 3 + 1], in[i][off - off % 3 + 2]);
	}
	for (k = 0; k < n; k++) {
		CHECK(!(r = dqbuf(fd, V_OUT, V_DMABUF, &b)), "DQBUF out: %s", strerror(-r));
		CHECK(b.index < (__u32)n && b.m.fd == in_fd[b.index],
		      "output %u came back with fd %d", b.index, b.m.fd);
	}
	ret = 0;
fail:
	if (on) {
		stream(fd, V_CAP, false);
		stream(fd, V_OUT, false);
	}
	if (fd >= 0) {
		reqbufs(fd, V_CAP, cmem, 0);
		reqbufs(fd, V_OUT, V_DMABUF, 0);
		DROP_FD(fd);
	}
	for (i = 0; i < NVIV; i++) {
		UNMAP(res[i], FRAME);
		UNMAP(in[i], FRAME);
	}
	return ret;
}

static int t_m2m_vivid(void)
{
	int i;

	for (i = 0; i < NVIV; i++)
		CHECK(st.viv_dmap[i], "needs the vivid dma-bufs");
	/* two frames get our pattern, two keep vivid's */
	for (i = 0; i < 2; i++) {
		buf_sync(st.viv_buf[i], S_START | S_W);
		fill(st.viv_dmap[i], FRAME, 10 + i);
		buf_sync(st.viv_buf[i], S_END | S_W);
	}
	return m2m_run(NVIV, st.viv_buf, st.cap_buf, false);
fail:
	return -1;
}

static int t_vgem_imports_v4l2(void)
{
	int buf = st.cap_buf[0], fd = -1, ret = -1, r;
	__u32 h = 0, id = 0;
	struct bi_ent *e;

	CHECK(buf >= 0 && st.vgem >= 0, "needs a vim2m capture dma-buf");
	e = bi_get(buf);
	CHECK(e && !e->nattach, "capture dma-buf attached before the import");
	CHECK(!(r = prime_import(st.vgem, buf, &h)), "FD_TO_HANDLE: %s", strerror(-r));
	e = bi_get(buf);
	CHECK(e && e->nattach == 1 && strstr(e->rest, "\n\tvgem\n"), "bufinfo:\n%s", REST(e));
	fd = prime_export(st.vgem, h);
	CHECK(fd >= 0 && ino_of(fd) == ino_of(buf), "re-export is not the V4L2 dma-buf");
	CHECK(!(r = vgem_attach(h, VGEM_FENCE_WRITE, &id)), "FENCE_ATTACH: %s", strerror(-r));
	r = poll_ev(buf, POLLIN | POLLOUT, 0);
	CHECK(r == 0, "V4L2 fd polls %#x with vgem's write fence", r);
	e = bi_get(buf);
	CHECK(e && strstr(e->rest, VGEM_FENCE("write", "unsignalled")), "bufinfo:\n%s", REST(e));
	CHECK(!vgem_signal(id), "FENCE_SIGNAL");
	id = 0;
	r = poll_ev(buf, POLLIN | POLLOUT, 1000);
	CHECK(r == (POLLIN | POLLOUT), "poll after the signal: %#x", r);
	CHECK(!gem_close(st.vgem, h), "GEM_CLOSE");
	h = 0;
	e = bi_get(buf);
	CHECK(e && !e->nattach, "still attached after GEM_CLOSE");
	ret = 0;
fail:
	if (id)
		vgem_signal(id);
	if (h)
		gem_close(st.vgem, h);
	DROP_FD(fd);
	return ret;
}

/* ---- virtio-gpu ---- */

static int t_virtio_export(void)
{
	unsigned char *p = NULL;
	__u32 pitch = 0;
	int ret = -1;
	long off;

	st.vgpu = drm_open("virtio_gpu", NULL, 0);
	if (st.vgpu < 0)
		return SKIP;
	CHECK(!dumb_create(st.vgpu, W, H, &st.vg_bo, &pitch, &st.vg_size), "%s", ERR);
	CHECK(pitch == W * 4 && st.vg_size >= W * H * 4, "pitch %u size %u", pitch, st.vg_size);
	st.vg_buf = prime_export(st.vgpu, st.vg_bo);
	CHECK(st.vg_buf >= 0, "PRIME_HANDLE_TO_FD: %s", ERR);
	CHECK(!strcmp(fdinfo(st.vg_buf, "exp_name"), "virtio_gpu"), "exp_name '%s'",
	      fdinfo(st.vg_buf, "exp_name"));
	CHECK(dmabuf_size(st.vg_buf) == st.vg_size, "size %lld", dmabuf_size(st.vg_buf));
	st.vg_map = map(st.vg_buf, st.vg_size, RW, 0);
	CHECK(st.vg_map, "dma-buf mmap: %s", ERR);
	buf_sync(st.vg_buf, S_START | S_W);
	fill(st.vg_map, st.vg_size, 20);
	buf_sync(st.vg_buf, S_END | S_W);
	p = dumb_map(st.vgpu, st.vg_bo, st.vg_size);
	CHECK(p, "MAP_DUMB/mmap: %s", ERR);
	off = check_fill(p, st.vg_size, 20);
	CHECK(off < 0, "MAP_DUMB view differs at %ld", off);
	fill(p, st.vg_size, 21);
	buf_sync(st.vg_buf, S_START | S_R);
	off = check_fill(st.vg_map, st.vg_size, 21);
	buf_sync(st.vg_buf, S_END | S_R);
	CHECK(off < 0, "dma-buf view of a MAP_DUMB write differs at %ld", off);
	ret = 0;
fail:
	UNMAP(p, st.vg_size);
	return ret;
}

static int t_m2m_virtio_to_vgem(void)
{
	__u32 h = 0, pitch, size;
	int cap;

	if (st.vgpu < 0)
		return SKIP;
	CHECK(st.vg_map && st.vgem >= 0, "needs the virtio-gpu and vgem devices");
	CHECK(!dumb_create(st.vgem, W, H, &h, &pitch, &size), "%s", ERR);
	cap = prime_export(st.vgem, h);
	gem_close(st.vgem, h);	/* the dma-buf keeps the bo */
	CHECK(cap >= 0, "PRIME_HANDLE_TO_FD: %s", ERR);
	buf_sync(st.vg_buf, S_START | S_W);
	fill(st.vg_map, FRAME, 22);
	buf_sync(st.vg_buf, S_END | S_W);
	return m2m_run(1, &st.vg_buf, &cap, true);
fail:
	return -1;
}

static int t_virtio_import(void)
{
	struct bi_ent *e;
	__u32 h = 0;
	int r, a0;

	if (st.vgpu < 0)
		return SKIP;
	CHECK(st.buf >= 0, "needs the vgem dma-buf");
	e = bi_get(st.buf);
	CHECK(e, "no bufinfo entry for the vgem dma-buf");
	a0 = e->nattach;
	r = prime_import(st.vgpu, st.buf, &h);
	CHECK(r, "virtio-gpu imported vgem's dma-buf (handle %u); 6.12 refuses", h);
	h = 0;
	CHECK(r == -ENODEV, "import failed with %s, 6.12 gives ENODEV", strerror(-r));
	e = bi_get(st.buf);
	CHECK(e && e->nattach == a0, "attachments %d -> %d after the failed import", a0,
	      e ? e->nattach : -1);
	return 0;
fail:
	if (h)
		gem_close(st.vgpu, h);
	return -1;
}

/* ---- cleanup ---- */

static int start_n = -1;

/* unmap every device and dma-buf mapping, close every fd but stdio */
static void drop_all(void)
{
	unsigned long lo[64], hi[64];
	char line[512], path[256];
	int i, n = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && n < 64 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", &lo[n], &hi[n], path) == 3 &&
		    (!strncmp(path, "/dmabuf", 7) || !strncmp(path, "/dev/", 5)))
			n++;
	if (f)
		fclose(f);
	for (i = 0; i < n; i++)
		munmap((void *)lo[i], hi[i] - lo[i]);
	for (i = 3; i < 1024; i++)
		close(i);
}

static int t_cleanup(void)
{
	int i, j, tries, left = 0;

	drop_all();
	CHECK(start_n >= 0, "bufinfo was unreadable at the start");
	CHECK(ninos >= 10, "only %d dma-bufs seen", ninos);
	/* a last reference may go from a fence callback: give it time */
	for (tries = 0; tries < 40; tries++) {
		CHECK(!bufinfo_read(), "bufinfo unreadable");
		for (left = 0, i = 0; i < bi.n; i++)
			for (j = 0; j < ninos; j++)
				left += bi.e[i].ino == inos[j];
		if (!left && bi.n == start_n)
			break;
		usleep(50000);
	}
	diag("bufinfo: %d buffers before, %d after; %d of our %d left", start_n, bi.n,
	     left, ninos);
	for (i = 0; (left || bi.n != start_n) && i < bi.n; i++)
		diag("now: inode %llu %s size %llu count %ld", bi.e[i].ino, bi.e[i].exp,
		     bi.e[i].size, bi.e[i].count);
	CHECK(!left && bi.n == start_n, "dma-bufs left behind");
	return 0;
fail:
	return -1;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "vgem: PRIME export: O_RDWR|O_CLOEXEC dma-buf, fdinfo, bufinfo, SET_NAME", t_vgem_export },
	{ "vgem: dma-buf mmap with SYNC reads back; self-import gives the same handle", t_vgem_mmap },
	{ "vgem: second file's import shares the pages, re-exports the same dma-buf", t_vgem_second_file },
	{ "vgem fence: unsignalled write fence blocks poll and attaches, is exported", t_fence_write },
	{ "vgem fence: FENCE_SIGNAL wakes a blocked poll, the sync_file signals", t_fence_signal_wakes },
	{ "vgem fence: read fence blocks only writers, EXPORT_SYNC_FILE(WRITE) has it", t_fence_read },
	{ "sw_sync: imported fences hold poll, vgem attach and SYNC until INC", t_sw_sync_write },
	{ "vivid: 640x480 RGB24 MMAP buffers EXPBUF to dma-bufs (fdinfo)", t_vivid_expbuf },
	{ "vivid: streamed frames read the same through V4L2 and dma-buf mmap", t_vivid_stream },
	{ "vivid: dma-bufs outlive REQBUFS(0) and the vivid fd", t_vivid_lifetime },
	{ "vim2m: vivid dma-bufs in as DMABUF, RGB24->BGR24 out exact", t_m2m_vivid },
	{ "vgem: imports a vim2m capture dma-buf; its fence shows on the V4L2 fd", t_vgem_imports_v4l2 },
	{ "virtio-gpu: PRIME export; dma-buf and MAP_DUMB views share writes", t_virtio_export },
	{ "vim2m: virtio-gpu dma-buf in, vgem dma-buf out (DMABUF both sides)", t_m2m_virtio_to_vgem },
	{ "virtio-gpu: import of a vgem dma-buf refused (ENODEV), no attachment left", t_virtio_import },
	{ "cleanup: bufinfo holds none of our dma-bufs, as many buffers as at start", t_cleanup },
};

int main(void)
{
	unsigned int i;
	int r, nfail = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	st.vgem = st.vgem2 = st.vgpu = st.viv = st.sw = -1;
	st.buf = st.sf = st.vg_buf = -1;
	for (i = 0; i < NVIV; i++)
		st.viv_buf[i] = st.cap_buf[i] = -1;

	printf("TAP version 13\n1..%u\n", (unsigned int)ARRAY_SIZE(cases));
	if (!bufinfo_read())
		start_n = bi.n;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		r = cases[i].fn();
		if (r == SKIP)
			printf("ok %u %s # SKIP no virtio_gpu DRM device\n", i + 1, cases[i].name);
		else
			printf("%sok %u %s\n", r ? "not " : "", i + 1, cases[i].name);
		nfail += r && r != SKIP;
	}
	return nfail ? 1 : 0;
}
