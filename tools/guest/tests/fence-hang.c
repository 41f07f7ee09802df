// SPDX-License-Identifier: GPL-2.0-only
/*
 * fence-hang: the fence-hang diagnostics (CONFIG_DMA_FENCE_DEBUG_HANG)
 * seen from userspace, with a sw_sync fence left pending on purpose.
 *
 * One timeline, named after this program's comm ("hang-tl64" or
 * "hang-tl32"), with two fences: seqno 1 is polled, imported into a heap
 * buffer as its write fence and slept on by a thread (DMA_BUF_IOCTL_SYNC);
 * seqno 2 only sits in its sync_file.  The cases read
 * <debugfs>/dma_buf/fence_hangs after each step and expect:
 *
 *  - seqno 1 listed with its sync_file, then with the poll callback, then
 *    with the buffer (inode, exporter, name, usage) and one sleeping task;
 *  - the watchdog, at 300 ms, naming seqno 1 in the kernel log exactly
 *    once however long it stays pending, and never seqno 2, which nobody
 *    waits on;
 *  - each fence gone from the list once the timeline passes it, the
 *    sleeper woken with success;
 *  - the timeout file refusing what is not a 32-bit number.
 *
 * Without the option (no fence_hangs file) every case skips.  The cases
 * run in order and build on each other.  The report leaves out fences
 * found signalled, so "gone from the list" here is what a reader sees;
 * that signalling unlinks at once is the KUnit suite's to check.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define HANGS_PATH	"/sys/kernel/debug/dma_buf/fence_hangs"
#define TIMEOUT_PATH	"/sys/kernel/debug/dma_buf/fence_hang_timeout_ms"
#define HEAP_PATH	"/dev/dma_heap/system"
#define WATCH_MS	300

static const char *tl_name = sizeof(void *) == 8 ? "hang-tl64" : "hang-tl32";
static char old_timeout[32];
static int tl = -1, f1 = -1, f2 = -1, buf = -1, kmsg = -1;
static unsigned long long buf_ino;
static const char *no_diag;

/* sleeper thread: DMA_BUF_IOCTL_SYNC waits for the buffer's write fence */
static pthread_t sleeper;
static bool sleeper_started;
static volatile int sleeper_ret = 1, sleeper_errno;

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	close(fd);
	return r;
}

/*
 * The report's block of seqno @seqno of our timeline: its line and the
 * "\t" lines under it, copied into @out; false if it is not listed.
 */
static bool hang_block(unsigned int seqno, char *out, size_t len)
{
	char head[64], want[32];
	const char *p, *end;

	if (!read_text(HANGS_PATH))
		return false;
	snprintf(head, sizeof(head), "sw_sync %s context ", tl_name);
	snprintf(want, sizeof(want), " seqno %u: ", seqno);
	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, head, strlen(head)) || !nl || !memmem(p, nl - p, want, strlen(want)))
			continue;
		for (end = nl + 1; *end == '\t'; end = strchr(end, '\n') + 1)
			if (!strchr(end, '\n'))
				break;
		snprintf(out, len, "%.*s", (int)(end - p), p);
		return true;
	}
	return false;
}

#define NEED_DIAG()							\
	do {								\
		if (no_diag) {						\
			case_skip = no_diag;				\
			return;						\
		}							\
	} while (0)

static int fence_new(unsigned int value)
{
	struct sw_sync_create_fence_data d = { .value = value, .name = "hang", .fence = -1 };

	return ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d) ? -1 : d.fence;
}

static void t_listed(void)
{
	char block[1024], want[96], ctx[24] = "";
	const char *c;

	NEED_DIAG();
	prctl(PR_SET_NAME, tl_name);	/* sw_sync names timelines after comm */
	tl = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	SETUP(tl >= 0);
	f1 = fence_new(1);
	f2 = fence_new(2);
	SETUP(f1 >= 0 && f2 >= 0);

	REQUIRE(hang_block(1, block, sizeof(block)), "seqno 1 not listed:\n%s", text);
	c = strstr(block, " context ");
	if (c)
		sscanf(c + 9, "%23[0-9]", ctx);
	/* the name 6.12 gives a sync_file without one of its own */
	snprintf(want, sizeof(want), "\tsync_file \"sw_sync-%s%s-1\"\n", tl_name, ctx);
	EXPECT(strstr(block, want), "no %s line in\n%s", want, block);
	EXPECT(strstr(block, ", 0 sleeping, no callbacks [sync_file]\n"),
	       "not only in a sync_file:\n%s", block);
	EXPECT(!strstr(block, "\tdma-buf "), "held by a buffer already:\n%s", block);
	EXPECT(hang_block(2, block, sizeof(block)), "seqno 2 not listed:\n%s", text);
}

static void t_poll_callback(void)
{
	struct pollfd p = { .fd = f1, .events = POLLIN };
	char block[1024];

	NEED_DIAG();
	REQUIRE(f1 >= 0, "no fence");
	EXPECT(poll(&p, 1, 0) == 0, "poll: %d, revents %#x", poll(&p, 1, 0), p.revents);
	EXPECT(hang_block(1, block, sizeof(block)) &&
	       strstr(block, ", 0 sleeping, callbacks [callback sync_file]\n") &&
	       strstr(block, ", waited "), "no callback:\n%s", block);
}

static void *sleeper_fn(void *arg)
{
	struct dma_buf_sync s = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW };

	(void)arg;
	sleeper_ret = ioctl(buf, DMA_BUF_IOCTL_SYNC, &s);
	sleeper_errno = errno;
	return NULL;
}

static void t_buffer_and_sleeper(void)
{
	struct dma_heap_allocation_data a = { .len = 4096, .fd_flags = O_RDWR | O_CLOEXEC };
	struct dma_buf_import_sync_file imp = { .flags = DMA_BUF_SYNC_WRITE, .fd = f1 };
	char block[1024] = "", want[96];
	int heap = open(HEAP_PATH, O_RDWR | O_CLOEXEC);
	double end;
	struct stat st;

	NEED_DIAG();
	REQUIRE(f1 >= 0, "no fence");
	if (heap < 0) {
		case_skip = "no system heap";
		return;
	}
	SETUP(!ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a));
	close(heap);
	buf = a.fd;
	SETUP(!fstat(buf, &st));
	buf_ino = st.st_ino;
	SETUP(!ioctl(buf, DMA_BUF_SET_NAME, "hang-buf"));
	SETUP(!ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp));

	REQUIRE(!pthread_create(&sleeper, NULL, sleeper_fn, NULL), "pthread_create");
	sleeper_started = true;
	for (end = now_ms() + 5000; now_ms() < end; sleep_ms(20))
		if (hang_block(1, block, sizeof(block)) && strstr(block, ", 1 sleeping, "))
			break;
	EXPECT(strstr(block, ", 1 sleeping, callbacks [waited callback resv sync_file]\n"),
	       "no sleeper after 5 s:\n%s", block);
	snprintf(want, sizeof(want), "\tdma-buf %llu system \"hang-buf\" usage write\n", buf_ino);
	EXPECT(strstr(block, want), "no %s line in\n%s", want, block);
	EXPECT(sleeper_ret == 1, "the sleeper returned %d (%s) before the fence signalled",
	       sleeper_ret, strerror(sleeper_errno));
}

/* kernel log lines since the last call naming seqno @seqno of ours */
static unsigned int warnings(unsigned int seqno, unsigned int *other)
{
	char rec[8192], want[64], sq[32];	/* a record is at most 8 KiB */
	unsigned int n = 0;
	ssize_t len;

	snprintf(want, sizeof(want), "dma-fence hang: sw_sync %s context ", tl_name);
	snprintf(sq, sizeof(sq), " seqno %u pending ", seqno);
	while ((len = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (len < 0 && errno == EPIPE)) {
		if (len <= 0)
			continue;	/* records overwritten: go on */
		rec[len] = 0;
		if (!strstr(rec, want))
			continue;
		if (strstr(rec, sq))
			n++;
		else
			(*other)++;
	}
	return n;
}

static void t_watchdog_once(void)
{
	unsigned int seen = 0, other = 0;
	char block[1024] = "";
	double end;

	NEED_DIAG();
	REQUIRE(kmsg >= 0, "no /dev/kmsg");
	REQUIRE(f1 >= 0, "no fence");
	/* named already under the default 10 s (a slow guest): counts too */
	seen = warnings(1, &other);
	SETUP(!write_str(TIMEOUT_PATH, "300"));
	for (end = now_ms() + 5000; !seen && now_ms() < end; sleep_ms(50))
		seen += warnings(1, &other);
	EXPECT(seen == 1, "seqno 1 named %u times within 5 s (want 1)", seen);
	sleep_ms(4 * WATCH_MS);	/* 16 more periods of the watchdog */
	seen += warnings(1, &other);
	EXPECT(seen == 1, "seqno 1 named %u times (want once)", seen);
	EXPECT(!other, "a fence of ours without waiters named %u times", other);
	EXPECT(hang_block(1, block, sizeof(block)) && strstr(block, " sync_file warned]\n"),
	       "not marked warned:\n%s", block);
	EXPECT(hang_block(2, block, sizeof(block)) && !strstr(block, "warned"),
	       "seqno 2 warned or gone:\n%s", block);
}

static void t_signal_clears(void)
{
	char block[1024];
	__u32 one = 1;

	NEED_DIAG();
	REQUIRE(tl >= 0, "no timeline");
	SETUP(!ioctl(tl, SW_SYNC_IOC_INC, &one));
	if (sleeper_started) {
		pthread_join(sleeper, NULL);
		sleeper_started = false;
		EXPECT(sleeper_ret == 0, "DMA_BUF_IOCTL_SYNC: %d (%s)", sleeper_ret,
		       strerror(sleeper_errno));
	}
	EXPECT(!hang_block(1, block, sizeof(block)), "seqno 1 still listed:\n%s", block);
	EXPECT(hang_block(2, block, sizeof(block)), "seqno 2 gone before its time:\n%s", text);
	SETUP(!ioctl(tl, SW_SYNC_IOC_INC, &one));
	EXPECT(!hang_block(2, block, sizeof(block)), "seqno 2 still listed:\n%s", block);
}

static void t_timeout_file(void)
{
	NEED_DIAG();
	EXPECT(write_str(TIMEOUT_PATH, "abc") == -1 && errno == EINVAL, "\"abc\": %s",
	       strerror(errno));
	EXPECT(write_str(TIMEOUT_PATH, "4294967296") == -1 && errno == EINVAL,
	       "2^32: %s", strerror(errno));
	EXPECT(!write_str(TIMEOUT_PATH, "0") && read_text(TIMEOUT_PATH) && !strcmp(text, "0\n"),
	       "0 reads back as \"%s\"", text);
	EXPECT(!write_str(TIMEOUT_PATH, "4294967295") && read_text(TIMEOUT_PATH) &&
	       !strcmp(text, "4294967295\n"), "2^32-1 reads back as \"%s\"", text);
}

static void t_nothing_left(void)
{
	char block[1024];

	NEED_DIAG();
	CLOSE(f1, f2, buf, tl);
	f1 = f2 = buf = tl = -1;
	EXPECT(!hang_block(1, block, sizeof(block)) && !hang_block(2, block, sizeof(block)),
	       "still listed after close:\n%s", text);
	EXPECT(read_text(HANGS_PATH) && !strncmp(text, "tracked ", 8),
	       "no report header:\n%.200s", text);
}

static const struct tap_case cases[] = {
	{ t_listed, "a pending fence in a sync_file is listed, with the sync_file's name" },
	{ t_poll_callback, "poll() arms a callback: listed as waited, with callbacks" },
	{ t_buffer_and_sleeper, "imported into a buffer and slept on: the buffer and 1 sleeping" },
	{ t_watchdog_once, "the watchdog names the waited fence once, never the unwaited one" },
	{ t_signal_clears, "a signalled fence leaves the list; the sleeper wakes with success" },
	{ t_timeout_file, "fence_hang_timeout_ms takes 32-bit numbers only" },
	{ t_nothing_left, "nothing of ours listed after close" },
};

int main(void)
{
	unsigned int n = ARRAY_SIZE(cases);
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%u\n", n);
	if (access(HANGS_PATH, R_OK))
		no_diag = "no " HANGS_PATH " (CONFIG_DMA_FENCE_DEBUG_HANG off)";
	else if (!read_text(TIMEOUT_PATH) || sscanf(text, "%31s", old_timeout) != 1)
		no_diag = "no readable " TIMEOUT_PATH;
	/* a known limit: an earlier run may have died with its own set */
	if (!no_diag && write_str(TIMEOUT_PATH, "10000"))
		no_diag = "cannot write " TIMEOUT_PATH;
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	printf("# %s, timeline %s, timeout was %s\n", sizeof(void *) == 8 ? "64-bit" : "32-bit",
	       tl_name, no_diag ? no_diag : old_timeout);

	ret = run_cases(cases, n);
	if (!no_diag)
		write_str(TIMEOUT_PATH, old_timeout);
	return ret;
}
