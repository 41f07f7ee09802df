// SPDX-License-Identifier: GPL-2.0-only
/*
 * sw_sync_demo - a narrated walk through explicit fences from userspace.
 *
 * sw_sync is a software timeline in debugfs: each fence created on it
 * carries a value and signals once the timeline's counter reaches that
 * value.  Fences reach userspace as sync_file descriptors, which can be
 * polled, merged and inspected - the same API a compositor uses for GPU
 * fences.  This program creates fences at 1, 2 and 3, merges two of them,
 * then advances the timeline one step at a time and shows what signalled.
 * Along the way it shows a sync_file's fdinfo (which lists its fences) and
 * a fence going into a dma-buf and coming back out as a sync_file.  Last,
 * the whole subsystem on one screen: a buffer from the system heap shared
 * with a child over a UNIX socket, the child waiting (poll) for the
 * parent's "GPU write" fence, reading what was written, and the buffer
 * in debugfs bufinfo.
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>
#include <linux/udmabuf.h>
#include <linux/types.h>

/* The sw_sync ioctls are not uapi; they are defined by drivers/dma-buf/sw_sync.c. */
struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};

#define SW_SYNC_IOC_MAGIC		'W'
#define SW_SYNC_IOC_CREATE_FENCE	_IOWR(SW_SYNC_IOC_MAGIC, 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC			_IOW(SW_SYNC_IOC_MAGIC, 1, __u32)

struct demo_fence {
	const char *label;
	int fd;
};

static int failures;

static void fail(const char *what)
{
	printf("  !! %s: %s\n", what, strerror(errno));
	failures++;
}

static int create_fence(int timeline, unsigned int value, const char *name)
{
	struct sw_sync_create_fence_data data = { .value = value };

	snprintf(data.name, sizeof(data.name), "%s", name);
	if (ioctl(timeline, SW_SYNC_IOC_CREATE_FENCE, &data) < 0) {
		fail("SW_SYNC_IOC_CREATE_FENCE");
		return -1;
	}
	printf("  created fence '%s' at value %u -> sync_file fd %d\n", name, value, data.fence);
	return data.fence;
}

static int merge(int a, int b, const char *name)
{
	struct sync_merge_data data = { .fd2 = b };

	snprintf(data.name, sizeof(data.name), "%s", name);
	if (ioctl(a, SYNC_IOC_MERGE, &data) < 0) {
		fail("SYNC_IOC_MERGE");
		return -1;
	}
	return data.fence;
}

static const char *status_name(int status)
{
	if (status > 0)
		return "signaled";
	if (status == 0)
		return "active";
	return "error";
}

/* SYNC_IOC_FILE_INFO twice: once for the count, once for the fences. */
static void show_info(const char *label, int fd)
{
	struct sync_file_info info;
	struct sync_fence_info *fences;
	unsigned int i;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info) < 0) {
		fail("SYNC_IOC_FILE_INFO");
		return;
	}
	fences = calloc(info.num_fences, sizeof(*fences));
	if (!fences)
		return;
	info.sync_fence_info = (uintptr_t)fences;
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info) < 0) {
		fail("SYNC_IOC_FILE_INFO (fences)");
		free(fences);
		return;
	}
	printf("  %-8s sync_file '%s': %s, %u fence(s)\n", label, info.name,
	       status_name(info.status), info.num_fences);
	for (i = 0; i < info.num_fences; i++)
		printf("  %-8s   - %s on %s: %s%s\n", "", fences[i].driver_name,
		       fences[i].obj_name, status_name(fences[i].status),
		       fences[i].status > 0 ? " (timestamp set)" : "");
	free(fences);
}

/* poll() with a short timeout: POLLIN means the fence has signalled. */
static int poll_fence(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret = poll(&p, 1, timeout_ms);

	if (ret < 0) {
		fail("poll");
		return -1;
	}
	return ret > 0 && (p.revents & POLLIN);
}

static void cat(const char *path)
{
	char line[512];
	FILE *file = fopen(path, "r");

	if (!file) {
		fail(path);
		return;
	}
	printf("  $ cat %s\n", path);
	while (fgets(line, sizeof(line), file)) {
		line[strcspn(line, "\n")] = '\0';
		printf("  | %s\n", line);
	}
	fclose(file);
}

/* The sync_file lines of /proc/self/fdinfo/<fd> (after pos/flags/...). */
static void show_fdinfo(const char *label, int fd)
{
	char path[64], line[512];
	FILE *file;
	int ours = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	file = fopen(path, "r");
	if (!file) {
		fail(path);
		return;
	}
	printf("  $ cat /proc/self/fdinfo/%d   (%s; pos/flags/mnt_id/ino left out)\n", fd, label);
	while (fgets(line, sizeof(line), file)) {
		if (!strncmp(line, "sync_file:", 10))
			ours = 1;
		if (ours)
			printf("  | %s", line);
	}
	fclose(file);
	if (!ours)
		printf("  | (no sync_file lines: this kernel's sync_file has no fdinfo)\n");
}

/* A one-page dma-buf from /dev/udmabuf (a sealed memfd), or -1. */
static int small_dmabuf(void)
{
	struct udmabuf_create create = { .size = 4096 };
	int memfd, dev, buf;

	memfd = memfd_create("demo", MFD_ALLOW_SEALING);
	if (memfd < 0 || ftruncate(memfd, 4096) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		fail("memfd");
		return -1;
	}
	dev = open("/dev/udmabuf", O_RDWR);
	if (dev < 0) {
		fail("open /dev/udmabuf");
		close(memfd);
		return -1;
	}
	create.memfd = memfd;
	buf = ioctl(dev, UDMABUF_CREATE, &create);
	if (buf < 0)
		fail("UDMABUF_CREATE");
	close(dev);
	close(memfd);
	return buf;
}

/*
 * Implicit meets explicit sync: a sw_sync fence imported into a dma-buf
 * as a write, then exported back out as the sync_file a reader waits on.
 */
static void dmabuf_roundtrip(int timeline, unsigned int value)
{
	struct dma_buf_import_sync_file imp = { .flags = DMA_BUF_SYNC_WRITE };
	struct dma_buf_export_sync_file exp = { .flags = DMA_BUF_SYNC_READ, .fd = -1 };
	struct pollfd p;
	int buf = small_dmabuf(), fence;
	__u32 one = 1;

	if (buf < 0)
		return;
	fence = create_fence(timeline, value, "gpu-write");
	if (fence < 0)
		goto out;
	imp.fd = fence;
	if (ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp)) {
		fail("DMA_BUF_IOCTL_IMPORT_SYNC_FILE");
		goto out_fence;
	}
	printf("  imported it into a udmabuf as a write (DMA_BUF_IOCTL_IMPORT_SYNC_FILE)\n");
	p = (struct pollfd){ .fd = buf, .events = POLLIN };
	printf("  poll(dma-buf, POLLIN): %s\n",
	       poll(&p, 1, 0) == 0 ? "not readable, the write is pending" : "readable?!");
	if (p.revents)
		failures++;
	if (ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp)) {
		fail("DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
		goto out_fence;
	}
	printf("  exported what a reader must wait for (DMA_BUF_IOCTL_EXPORT_SYNC_FILE) -> fd %d\n",
	       exp.fd);
	show_info("reader", exp.fd);
	show_fdinfo("reader", exp.fd);
	if (ioctl(timeline, SW_SYNC_IOC_INC, &one) < 0)
		fail("SW_SYNC_IOC_INC");
	printf("  after SW_SYNC_IOC_INC: the reader's sync_file %s, the dma-buf %s\n",
	       poll_fence(exp.fd, 0) > 0 ? "signalled" : "still waiting?!",
	       poll(&p, 1, 0) == 1 ? "is readable" : "is not readable?!");
	if (!(p.revents & POLLIN) || poll_fence(exp.fd, 0) <= 0)
		failures++;
	close(exp.fd);
out_fence:
	close(fence);
out:
	close(buf);
}

/* Pass @fd over @sock (SCM_RIGHTS). */
static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The child: wait for the writer's fence through poll(), then read. */
static int heap_child(int sock)
{
	struct dma_buf_sync s = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
	int buf = recv_fd(sock), ok;
	struct pollfd p = { .fd = buf, .events = POLLIN };
	char *map;

	if (buf < 0)
		return 1;
	printf("  [child] got dma-buf fd %d over the socket; poll(POLLIN) waits for the write\n",
	       buf);
	if (poll(&p, 1, 5000) != 1)
		return 2;
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, buf, 0);
	if (map == MAP_FAILED || ioctl(buf, DMA_BUF_IOCTL_SYNC, &s))
		return 3;
	ok = !strcmp(map, "written by the parent");
	printf("  [child] readable: \"%s\"\n", map);
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	ioctl(buf, DMA_BUF_IOCTL_SYNC, &s);
	munmap(map, 4096);
	close(buf);
	return ok ? 0 : 4;
}

/*
 * A buffer from the system heap, shared with a child over a UNIX socket;
 * the parent attaches a pending "GPU write" fence, the child polls, the
 * parent writes and signals, the child reads.
 */
static void heap_share(int timeline, unsigned int value)
{
	struct dma_heap_allocation_data alloc = { .len = 1 << 20,
						  .fd_flags = O_RDWR | O_CLOEXEC };
	struct dma_buf_import_sync_file imp = { .flags = DMA_BUF_SYNC_WRITE };
	struct dma_buf_sync s = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE };
	int heap, sv[2], status = 0;
	__u32 one = 1;
	char *map;
	pid_t pid;

	heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	if (heap < 0 || ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc)) {
		fail("/dev/dma_heap/system allocation");
		if (heap >= 0)
			close(heap);
		return;
	}
	close(heap);
	printf("  DMA_HEAP_IOCTL_ALLOC on /dev/dma_heap/system: 1 MiB -> dma-buf fd %d\n",
	       alloc.fd);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, alloc.fd, 0);
	if (map == MAP_FAILED || ioctl(alloc.fd, DMA_BUF_IOCTL_SYNC, &s)) {
		fail("mmap/SYNC");
		goto out;
	}
	strcpy(map, "written by the parent");
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
	ioctl(alloc.fd, DMA_BUF_IOCTL_SYNC, &s);
	munmap(map, 4096);
	printf("  [parent] wrote it (SYNC start/end around the CPU write)\n");
	imp.fd = create_fence(timeline, value, "gpu-write");
	if (imp.fd < 0 || ioctl(alloc.fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp)) {
		fail("IMPORT_SYNC_FILE");
		goto out;
	}
	close(imp.fd);
	printf("  then attached a pending write fence (IMPORT_SYNC_FILE), as a GPU job would\n");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		fail("socketpair");
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(heap_child(sv[1]));
	}
	close(sv[1]);
	if (pid < 0 || send_fd(sv[0], alloc.fd)) {
		fail("fork/sendmsg");
		close(sv[0]);
		goto out;
	}
	usleep(100 * 1000);
	printf("  [parent] SW_SYNC_IOC_INC: the write fence signals\n");
	if (ioctl(timeline, SW_SYNC_IOC_INC, &one) < 0)
		fail("SW_SYNC_IOC_INC");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("  !! the child failed (status %#x)\n", status);
		failures++;
	}
	close(sv[0]);
	cat("/sys/kernel/debug/dma_buf/bufinfo");
out:
	close(alloc.fd);
}

int main(void)
{
	static const char *const paths[] = {
		"/sys/kernel/debug/sync/sw_sync", "/sys/kernel/debug/sw_sync",
	};
	struct demo_fence f[4];
	const char *path = NULL;
	unsigned int step, i;
	int timeline = -1;
	int signalled[4] = { 0 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("== sw_sync demo: explicit fences from userspace ==\n\n");

	for (i = 0; i < 2 && timeline < 0; i++) {
		path = paths[i];
		timeline = open(path, O_RDWR);
	}
	if (timeline < 0) {
		fail("open sw_sync timeline (is debugfs mounted, CONFIG_SW_SYNC=y?)");
		return 1;
	}
	printf("1. Opening %s creates a fresh timeline, counter at 0.\n", path);

	printf("\n2. Fences at values 1, 2 and 3 on that timeline:\n");
	f[0] = (struct demo_fence){ "f1", create_fence(timeline, 1, "f1") };
	f[1] = (struct demo_fence){ "f2", create_fence(timeline, 2, "f2") };
	f[2] = (struct demo_fence){ "f3", create_fence(timeline, 3, "f3") };
	if (f[0].fd < 0 || f[1].fd < 0 || f[2].fd < 0)
		return 1;

	printf("\n3. SYNC_IOC_MERGE of f1 and f3: one fd that signals when both have.\n");
	f[3] = (struct demo_fence){ "f1+f3", merge(f[0].fd, f[2].fd, "f1+f3") };
	if (f[3].fd < 0)
		return 1;
	printf("  merged fence 'f1+f3' -> sync_file fd %d\n", f[3].fd);
	printf("  (f1 and f3 share a timeline, where a later fence implies the earlier\n"
	       "   ones, so the merge keeps only f3: FILE_INFO shows one fence.)\n");

	printf("\n4. SYNC_IOC_FILE_INFO on each: all still active.\n");
	for (i = 0; i < 4; i++)
		show_info(f[i].label, f[i].fd);

	cat("/sys/kernel/debug/sync/info");

	printf("\n   The same from /proc, without debugfs: the merged sync_file's fdinfo.\n");
	show_fdinfo("f1+f3", f[3].fd);

	printf("\n5. poll() with a 100 ms timeout before anything signals:\n");
	for (i = 0; i < 4; i++) {
		int r = poll_fence(f[i].fd, 100);

		printf("  %-8s %s\n", f[i].label, r > 0 ? "POLLIN (signaled)" : "timeout (not signaled)");
		if (r != 0)
			failures++;
	}

	printf("\n6. Advancing the timeline one step at a time (SW_SYNC_IOC_INC by 1):\n");
	for (step = 1; step <= 3; step++) {
		__u32 one = 1;

		if (ioctl(timeline, SW_SYNC_IOC_INC, &one) < 0) {
			fail("SW_SYNC_IOC_INC");
			return 1;
		}
		printf("  timeline now at %u:\n", step);
		for (i = 0; i < 4; i++) {
			int r = poll_fence(f[i].fd, 0);

			if (r > 0 && !signalled[i])
				printf("    %-8s signaled now (POLLIN)\n", f[i].label);
			else if (r > 0)
				printf("    %-8s (already signaled)\n", f[i].label);
			else
				printf("    %-8s still waiting\n", f[i].label);
			/* a fence signals when the counter reaches it, never earlier */
			if ((r > 0) != (i == 3 ? step >= 3 : step >= i + 1))
				failures++;
			signalled[i] = r > 0;
		}
		if (step == 1)
			show_info("f1+f3", f[3].fd);
	}

	printf("\n7. SYNC_IOC_FILE_INFO again: everything signaled.\n");
	for (i = 0; i < 4; i++)
		show_info(f[i].label, f[i].fd);

	printf("\n8. The timeline in debugfs again, now at 3:\n");
	cat("/sys/kernel/debug/sync/info");

	printf("\n9. A fence through a dma-buf: in as a sync_file, out as another.\n");
	dmabuf_roundtrip(timeline, 4);

	printf("\n10. The whole subsystem: a heap buffer shared with a child, synchronised by a fence.\n");
	heap_share(timeline, 5);

	for (i = 0; i < 4; i++)
		close(f[i].fd);
	close(timeline);
	printf("\n== demo %s ==\n", failures ? "FAILED" : "finished: every fence signalled exactly when its value was reached");
	return failures ? 1 : 0;
}
