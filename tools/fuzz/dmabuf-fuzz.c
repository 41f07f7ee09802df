// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-fuzz: a seeded, bounded fuzzer of the dma-buf userspace interfaces:
 * the heaps (/dev/dma_heap/system and the CMA heap), /dev/udmabuf, sw_sync
 * timelines (debugfs sync/sw_sync), sync_files, dma-buf fds and, when the
 * vgem DRM driver is there, its dumb buffers, PRIME and fences.
 *
 * Each round, J threads and one or two forked children draw operations
 * from one weighted table over a pool of fd slots that they share (the
 * children have their own, and trade fds with the threads over SCM_RIGHTS):
 * create, dup, dup2, close, so that one thread uses an fd while another
 * closes or replaces it; every ioctl of these files with valid, invalid,
 * huge and misaligned values and bad argument pointers (NULL, never mapped,
 * PROT_NONE, read-only where the kernel writes back, misaligned, running
 * into a PROT_NONE page, a kernel address); random ioctl numbers within
 * each file's magic; llseek, fdinfo, sysfs and debugfs reads, poll, epoll,
 * mmap/touch/mremap/mprotect/madvise/munmap; fork+exec of this program
 * (--child-exec) to see what crosses exec.  A watchdog thread interrupts
 * (SIGUSR1, no SA_RESTART) any operation asleep for more than 30 ms, e.g.
 * DMA_BUF_IOCTL_SYNC behind an unsignalled fence; one still asleep after
 * 20 s is a finding (with its kernel stack), one 20 s on a CPU (DMA-API
 * debugging under KASAN and TCG can be that slow) only a note.  Hugetlb
 * memfds are populated before udmabuf sees them: see op_memfd().
 *
 * A round fails ("not ok", after "# " lines saying why) when an operation
 * sees the impossible (a fault touching a dma-buf mapping within the buffer,
 * a hopeless heap size accepted, a "new" fd that was open already, sysfs
 * stats against fstat, a close-on-exec fd across exec, a child that died or
 * hung); when the canaries (system heap, CMA heap and udmabuf buffers outside
 * the pool, only ever read, through dups) lost their pattern, for the
 * udmabuf also as seen through its memfd; when, everything closed, the fd
 * count or debugfs dma_buf/bufinfo's object count differs from the round's
 * start (retried for 2 s: fput and RCU are deferred), or /proc/meminfo Slab
 * grew by more than -L KiB after drop_caches (on a KASAN kernel, whose
 * quarantine keeps freed objects, SUnreclaim by more than twice -L after
 * every slab cache was shrunk, which drains the quarantine); or
 * when the kernel log since the round began says BUG:, WARNING:, KASAN,
 * UBSAN, KFENCE, kmemleak, Oops, general protection, list_add corruption,
 * refcount_t, ODEBUG, lockdep, possible circular, INFO: task, RCU stall /
 * detected stall or invoked oom-killer (the fuzzer keeps its buffers
 * small: an OOM is a leak).  Other kernel messages, such as the rate-limited
 * ones some invalid inputs ask for, are not findings.
 *
 * Reproducing: round r's seed comes from the seed and r, and each op's
 * choices from the round's seed, the thread's or child's index and the
 * op's number, so "-s SEED" with the same -n, -R and -j replays the same
 * choices (what they act on still depends on what earlier ops got back,
 * and the interleaving is the scheduler's) and "-r r" replays round r
 * alone.  Every failure line says seed and round; a failed round prints
 * the whole command line to repeat it.
 *
 * dmabuf-fuzz [-n OPS] [-s SEED] [-t SECONDS] [-j THREADS] [-R ROUNDS]
 *             [-L KIB] [-r ROUND] [-v]
 *   -n  operations over all rounds (50000)   -s  seed (default 1)
 *   -t  wall-clock cap in seconds (200): ends the operations, never the
 *       checks; rounds not begun by then are "ok ... # SKIP"
 *   -j  threads (2), besides the 1-2 forked children   -R  rounds (4)
 *   -L  Slab growth tolerated per round in KiB (2048)
 *   -r  run round r only     -v  every operation on stderr
 * TAP on stdout, ending "# total ops N seed S threads J rounds R findings F";
 * exit status 0 iff no round failed.  Needs root, debugfs and /dev/kmsg.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
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
#include <sys/uio.h>
#include <sys/wait.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <drm/vgem_drm.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>
#include <linux/udmabuf.h>

#include "tap.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PG		4096UL			/* x86 guests only */
#define MiB		(1024UL * 1024)
#define NSLOT		48			/* fd pool slots per process */
#define NMAP		8			/* live mappings per thread */
#define NHIST		8			/* last ops kept per thread */
#define MAXW		16			/* threads per process */
#define MAXCHILD	2
#define MAXMSG		64
#define VBUF		(64 << 10)		/* per-thread argument buffer */
#define FINFO_OFF	4096			/* sync_fence_info array in it */
#define FINFO_CAP	((VBUF - FINFO_OFF) / sizeof(struct sync_fence_info) - 1)
#define LIST_OFF	(32 << 10)		/* udmabuf_create_list in it */
#define POOL_MAX	(256UL << 10)		/* heap buffers in the pool */
#define BIG_MAX		(8 * MiB)		/* the transient ones */
#define MEMFD_MAX	MiB
#define DUP2_FD		512			/* dup2 targets: 512..575 */
#define TEMP_FD		800			/* canary dups: 800.. */
#define CANARY_FD	900			/* the canaries */
#define WD_MS		30			/* watchdog: interrupt after */
#define STUCK_MS	20000			/* ... a finding after */
#define BUFINFO		"/sys/kernel/debug/dma_buf/bufinfo"
#define LOW_ADDR	0x1000UL		/* below mmap_min_addr */
#if UINTPTR_MAX > 0xffffffffu
#define KERNEL_ADDR	0xffff888000000000UL	/* the direct map */
#else
#define KERNEL_ADDR	0xfffff000UL		/* above a compat TASK_SIZE */
#endif

/*
 * Why fd numbers cannot collide where it matters: the round's
 * infrastructure (heap and udmabuf devices, sockets, canaries) is opened
 * before any worker runs and closed after all are gone, so no pool fd ever
 * has one of its numbers, and a stale pool number (closed and reused
 * meanwhile, which is the point) only ever names another pool fd or an
 * op's temporary.  The canaries sit at 900.., are only dup'ed to 800..,
 * and the pool never holds numbers that high: nothing writes into them.
 * The heap devices must stay out of the pool: they dispatch on _IOC_NR
 * alone, so any nr-0 ioctl on a stale number would allocate.
 */
enum { T_BUF = 1, T_SYNC, T_TL, T_MEMFD, T_DRM, T_EPOLL, T_MAX };
#define M(t)		(1u << (t))
#define M_ANY		0xfeu
#define SLOT(fd, t)	((fd) | (t) << 16)

struct map {
	char *p;
	size_t len, valid;	/* valid: bytes of a dma-buf behind p */
	int prot, huge;		/* huge: of a hugetlb memfd, see op_memfd() */
};

struct worker {
	int idx, ops, cur, execs, nhist, stuck, tid;
	__u64 rs;
	pthread_t thr;
	pthread_mutex_t lk;	/* alive, against the watchdog's pthread_kill */
	int alive, busy;	/* busy: ms + 1 when the op began */
	int hist[NHIST];
	struct map map[NMAP];
	char *vbuf, *ro;
	sigjmp_buf jb;
	volatile sig_atomic_t armed;
};

/* MAP_SHARED: the forked children claim operations and report through it */
struct shared {
	int claimed, budget, stop, findings, nmsg, interrupted;
	char msg[MAXMSG][256];
};

static struct {
	int n_ops, rounds, threads, seconds, verbose, only;
	long slab_tol;
	unsigned long long seed;
} opt = { 50000, 4, 2, 200, 0, 0, 2048, 0 };

/* the round: its seed and infrastructure, shared by threads and children */
static struct {
	int r, deadline, nheap, udev, nchild, my_scm, ncanary, canary_memfd;
	unsigned long long seed;
	int heap[3], canary[3], scm[MAXCHILD];
	size_t canary_len[3];
	pid_t child[MAXCHILD];
} R;

static struct shared *sh;
static int pool[NSLOT];
static unsigned char infra[1024];	/* fds no pool op may take */
static char infra_list[512];		/* the same, for --child-exec */
static char drm_path[32], cma_name[64], hist[MAXW][200];
static int kmsg = -1, in_child;
static dev_t dmabuf_dev;
static void *none_page;
static time_t t0_sec;
static __thread struct worker *self;

/* ---- small things ------------------------------------------------------ */

static int round_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int)((ts.tv_sec - t0_sec) * 1000 + ts.tv_nsec / 1000000);
}

static __u64 splitmix(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* xorshift64*, a stream per thread or child */
static __u64 rnd(struct worker *w)
{
	w->rs ^= w->rs >> 12;
	w->rs ^= w->rs << 25;
	w->rs ^= w->rs >> 27;
	return w->rs * 0x2545f4914f6cdd1dULL;
}

static unsigned int rn(struct worker *w, unsigned int n)
{
	return n ? (unsigned int)(rnd(w) >> 32) % n : 0;
}

static int chance(struct worker *w, unsigned int pct)
{
	return rn(w, 100) < pct;
}

/* word @i of the canary with seed @seed */
static __u64 pat(__u64 seed, size_t i)
{
	__u64 s = seed ^ (i * 0xd1342543de82ef95ULL);

	return splitmix(&s);
}

static const char *op_name(int i);

/* a finding, printed by the main process before the round's verdict */
static void finding(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void finding(struct worker *w, const char *fmt, ...)
{
	char b[256];
	int n, i;
	va_list ap;

	n = snprintf(b, sizeof(b), "round %d seed %llu ", R.r, opt.seed);
	if (w)
		n += snprintf(b + n, sizeof(b) - n, "%s %d op #%d %s: ",
			      in_child ? "child" : "thread", w->idx,
			      __atomic_load_n(&w->ops, __ATOMIC_RELAXED),
			      op_name(__atomic_load_n(&w->cur, __ATOMIC_RELAXED)));
	va_start(ap, fmt);
	vsnprintf(b + n, sizeof(b) - n, fmt, ap);
	va_end(ap);
	__atomic_add_fetch(&sh->findings, 1, __ATOMIC_SEQ_CST);
	i = __atomic_fetch_add(&sh->nmsg, 1, __ATOMIC_SEQ_CST);
	if (i < MAXMSG)
		memcpy(sh->msg[i], b, sizeof(b));
}

/* a line for the report that is not a finding of its own */
static void note(const char *s)
{
	int i = __atomic_fetch_add(&sh->nmsg, 1, __ATOMIC_SEQ_CST);

	if (i < MAXMSG)
		snprintf(sh->msg[i], sizeof(sh->msg[i]), "  %.250s", s);
}

/* ---- the fd pool --------------------------------------------------------- */

static int slot_load(int i)
{
	return __atomic_load_n(&pool[i], __ATOMIC_ACQUIRE);
}

/* a pool fd of a type in @mask, or (1 in 10) of any type: -1 if none found */
static int pick(struct worker *w, unsigned int mask, int *type)
{
	int i, v;

	if (chance(w, 10))
		mask = M_ANY;
	for (i = 0; i < 12; i++) {
		v = slot_load(rn(w, NSLOT));
		if (v >= 0 && (mask & M(v >> 16))) {
			if (type)
				*type = v >> 16;
			return v & 0xffff;
		}
	}
	return -1;
}

/*
 * Store a new fd, closing what the slot held.  What cannot be a fresh fd
 * (stdio, infrastructure, the reserved range; e.g. fd 0 from a stale number
 * that is a DRM fd by now, answering EXPORT_SYNC_FILE as GET_MAGIC) is not
 * ours to keep.
 */
static void put(struct worker *w, int fd, int type)
{
	int i, s = rn(w, NSLOT), old;

	if (fd < 3 || fd >= TEMP_FD || infra[fd])
		return;
	for (i = 0; i < 4 && slot_load(s) >= 0; i++)
		s = rn(w, NSLOT);
	old = __atomic_exchange_n(&pool[s], SLOT(fd, type), __ATOMIC_ACQ_REL);
	if (old >= 0)
		close(old & 0xffff);
}

/* an fd the kernel says it just made: it cannot be one we hold */
static void put_new(struct worker *w, int fd, int type, unsigned long cmd)
{
	if (fd >= 0 && fd < (int)sizeof(infra) && (fd < 3 || infra[fd]))
		finding(w, "ioctl %#lx made fd %d, which was open already", cmd, fd);
	put(w, fd, type);
}

static int bad_fd(struct worker *w)
{
	static const int odd[] = { -1, 0, 1, 0x7fffffff, TEMP_FD - 1, -100 };

	return odd[rn(w, ARRAY_SIZE(odd))];
}

/* ---- ioctl arguments ------------------------------------------------------ */

/*
 * A copy of @s at @p in vbuf, zeroes after it.  Arguments never live on our
 * stack: a stale number may be a DRM fd by now, whose compat ioctls 0, 1, 5
 * and 6 (VERSION, GET_UNIQUE, GET_CLIENT, GET_STATS) copy their own struct
 * size whatever the command says, and take user pointers from it.
 */
static void *at(char *p, const void *s, size_t len)
{
	memset(p, 0, len + 256);
	return memmove(p, s, len);
}

/*
 * Where an argument goes: a copy of @s in vbuf, or 15% of the time a bad
 * place (with a copy wherever the kernel can read one).  @ro_ok: a
 * read-only copy is fine, the kernel must undo its work when the copy back
 * fails; not for DRM, whose core copies out after installing fds.
 */
static void *place(struct worker *w, void *s, size_t len, int ro_ok)
{
	char *p;

	if (!chance(w, 15))
		return at(w->vbuf, s, len);
	switch (rn(w, 7)) {
	case 0:
		return NULL;
	case 1:
		return (void *)LOW_ADDR;
	case 2:
		return none_page;
	case 3:
		return (void *)KERNEL_ADDR;
	case 4:		/* misaligned */
		return at(w->vbuf + 1 + rn(w, 7), s, len);
	case 5:		/* runs into the PROT_NONE page after vbuf */
		p = w->vbuf + VBUF - len / 2;
		return memmove(p, s, len / 2);
	default:
		if (!ro_ok || len > PG - 256)
			return at(w->vbuf, s, len);
		mprotect(w->ro, PG, PROT_READ | PROT_WRITE);
		at(w->ro, s, len);
		mprotect(w->ro, PG, PROT_READ);
		return w->ro;
	}
}

/* what the kernel wrote into a copy in vbuf, back into @s */
static void unplace(struct worker *w, void *s, void *p, size_t len)
{
	size_t room = w->vbuf + VBUF - (char *)p;

	if ((char *)p >= w->vbuf && (char *)p < w->vbuf + VBUF)
		memmove(s, p, room < len ? room : len);
}

/*
 * ioctl(@fd, @cmd) with @s place()d; if it succeeds and @out >= 0, the fd
 * the kernel wrote at that offset of the struct joins the pool as @type.
 */
static int call(struct worker *w, int fd, unsigned long cmd, void *s, size_t len,
		int ro_ok, int out, int type)
{
	void *p = place(w, s, len, ro_ok);
	int r = ioctl(fd, cmd, p), nfd;

	if (r >= 0)
		unplace(w, s, p, len);
	if (r == 0 && out >= 0) {
		memcpy(&nfd, (char *)s + out, sizeof(nfd));
		put_new(w, nfd, type, cmd);
	}
	return r;
}

/* names: letters only, so that no part of one reads as a mapped address */
static void rname(struct worker *w, char *n, size_t cap)
{
	size_t i, len = chance(w, 10) ? cap : rn(w, cap);

	for (i = 0; i < len; i++)
		n[i] = 'a' + rn(w, 26);
	if (len < cap)
		memset(n + len, 0, cap - len);
}

/* ---- mappings ------------------------------------------------------------ */

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	struct worker *w = self;
	const char *n;

	(void)si;
	(void)uc;
	if (w && w->armed)
		siglongjmp(w->jb, sig);
	if (w) {	/* the fuzzer's own bug: say where, then die of it */
		n = op_name(w->cur);
		if (write(1, "# fatal fault in op ", 20) > 0 && write(1, n, strlen(n)) > 0)
			(void)!write(1, "\n", 1);
	}
	signal(sig, SIG_DFL);
}

/*
 * Touch @m within the buffer behind it: a fault there is the kernel's (the
 * mapping is shared, the buffer cannot shrink).
 */
static void touch(struct worker *w, struct map *m, int wr)
{
	volatile size_t off, n;
	size_t i;
	int sig;

	if (!m->p || !m->valid || !(m->prot & (wr ? PROT_WRITE : PROT_READ)))
		return;
	off = rn(w, m->valid);
	n = 1 + rn(w, m->valid - off < 16 * PG ? m->valid - off : 16 * PG);
	w->armed = 1;
	sig = sigsetjmp(w->jb, 1);
	if (!sig && wr) {
		memset(m->p + off, (int)rnd(w), n);
	} else if (!sig) {
		volatile unsigned char sum = 0;

		for (i = 0; i < n; i += 64)
			sum += ((volatile unsigned char *)m->p)[off + i];
	} else {
		finding(w, "signal %d %s byte %zu of %zu of a dma-buf mapping (prot %d)",
			sig, wr ? "writing" : "reading", (size_t)off, m->valid, m->prot);
		m->valid = 0;
	}
	w->armed = 0;
}

/*
 * mmap @fd knowing which file got mapped: the same dma-buf inode before and
 * after (a stale number may have become anything meanwhile).  *valid: the
 * dma-buf bytes behind the mapping, 0 if not to be touched.
 */
static void *map_fd(int fd, size_t len, int prot, int flags, off_t off, size_t *valid)
{
	struct stat a, b;
	int isbuf = !fstat(fd, &a) && dmabuf_dev && a.st_dev == dmabuf_dev;
	void *p = mmap(NULL, len, prot, flags, fd, off);

	*valid = 0;
	if (p == MAP_FAILED)
		return NULL;
	if (isbuf && (flags & MAP_SHARED) && !fstat(fd, &b) && b.st_ino == a.st_ino &&
	    b.st_dev == a.st_dev && off >= 0 && off < a.st_size)
		*valid = len < (size_t)(a.st_size - off) ? len : (size_t)(a.st_size - off);
	return p;
}

static struct map *a_map(struct worker *w, int unmap)
{
	struct map *m = &w->map[rn(w, NMAP)];

	if (unmap) {
		if (m->p)
			munmap(m->p, m->len);
		memset(m, 0, sizeof(*m));
	}
	return m;
}

static void op_mmap(struct worker *w)
{
	static const int prots[] = { PROT_READ, PROT_WRITE, PROT_NONE, PROT_READ | PROT_EXEC };
	int fd = pick(w, M(T_BUF) | (chance(w, 20) ? M(T_MEMFD) : 0), NULL);
	int flags = (chance(w, 92) ? MAP_SHARED : MAP_PRIVATE) | (chance(w, 5) ? MAP_POPULATE : 0);
	struct stat st;
	struct map *m;
	__u64 size, off = 0, len;

	if (fd < 0 || fstat(fd, &st))
		return;
	size = st.st_size > 0 ? (__u64)st.st_size : PG;
	if (chance(w, 20))
		off = PG * rn(w, size / PG + 1);
	if (chance(w, 5))
		off = chance(w, 50) ? 1 + rn(w, PG - 1) : 1ULL << 40;
	len = off < size ? size - off : PG;
	if (chance(w, 25))
		len = PG * (1 + rn(w, len / PG));
	if (chance(w, 5))
		len = chance(w, 30) ? 0 : chance(w, 50) ? size + PG : rn(w, 3 * PG);
	if (chance(w, 3))
		len = (size_t)-PG;
	m = a_map(w, 1);
	m->prot = chance(w, 80) ? PROT_READ | PROT_WRITE : prots[rn(w, ARRAY_SIZE(prots))];
	m->huge = st.st_blksize > (blksize_t)PG;
	m->len = (size_t)len;
	m->p = map_fd(fd, m->len, m->prot, flags, (off_t)off, &m->valid);
	if (!m->p)
		memset(m, 0, sizeof(*m));
	touch(w, m, chance(w, 70));
}

static void op_touch(struct worker *w)
{
	touch(w, a_map(w, 0), chance(w, 60));
}

static void op_munmap(struct worker *w)
{
	struct map *m = a_map(w, 0);

	if (m->p && m->len > PG && chance(w, 30)) {	/* the tail only */
		munmap(m->p + PG, m->len - PG);
		m->len = PG;
		m->valid = m->valid > PG ? PG : m->valid;
	} else {
		a_map(w, 1);
	}
}

static void op_remap(struct worker *w)
{
	static const int adv[] = { MADV_DONTNEED, MADV_WILLNEED, MADV_DONTFORK, MADV_DOFORK,
				   MADV_COLD, MADV_PAGEOUT, MADV_NORMAL, MADV_REMOVE };
	struct map *m = a_map(w, 0);
	size_t nl = chance(w, 50) ? PG * (1 + rn(w, 4)) : m->len * 2;
	int prot = (int)rn(w, 8), k;
	char *p;

	if (!m->p)
		return;
	switch (rn(w, 3)) {
	case 0:		/* a dma-buf mapping cannot grow: VM_DONTEXPAND */
		p = mremap(m->p, m->len, nl, chance(w, 80) ? MREMAP_MAYMOVE : 0);
		if (p != MAP_FAILED) {
			m->p = p;
			m->len = nl;
			m->valid = m->valid > nl ? nl : m->valid;
		}
		break;
	case 1:
		if (!mprotect(m->p, m->len, prot))
			m->prot = prot;
		break;
	default:	/* all our dma-buf mappings are VM_PFNMAP: no zapping */
		k = rn(w, ARRAY_SIZE(adv) - m->huge);	/* MADV_REMOVE last */
		madvise(m->p, m->len, adv[k]);
	}
	touch(w, m, chance(w, 50));
}

/* ---- heaps, memfd, udmabuf ------------------------------------------------- */

/* refused by any kernel: past RAM, past the address space, or wrapping */
static const __u64 huge[] = { 1ULL << 40, 1ULL << 48, 1ULL << 63, ~0ULL, ~0ULL - 4094,
			      ~0ULL << 12 };

static void op_heap_alloc(struct worker *w)
{
	static const __u32 odd[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDONLY | O_CLOEXEC,
				     O_NONBLOCK, O_APPEND | O_RDWR, 3, 0xffffffff };
	/* room for what a command of another size copies back */
	union {
		struct dma_heap_allocation_data a;
		char room[64];
	} u = { { 0 } };
	unsigned long cmd = DMA_HEAP_IOCTL_ALLOC;
	unsigned int k = rn(w, 10);

	if (!R.nheap)
		return;
	u.a.len = k == 0 ? 0 : k == 1 ? huge[rn(w, ARRAY_SIZE(huge))] :
		  k == 2 ? 1 + rn(w, POOL_MAX) : PG * (1 + rn(w, POOL_MAX / PG));
	u.a.fd_flags = chance(w, 80) ? O_RDWR | O_CLOEXEC :
		       chance(w, 70) ? odd[rn(w, ARRAY_SIZE(odd))] : (__u32)rnd(w);
	if (chance(w, 4))
		u.a.heap_flags = 1ULL << rn(w, 64);
	if (chance(w, 3))
		u.a.fd = (__u32)rnd(w);
	if (chance(w, 8)) {
		/* another size or direction: 6.12 looks at _IOC_NR only */
		cmd = _IOC(rn(w, 4), 'H', chance(w, 80) ? 0 : rn(w, 256), rn(w, 64));
		if (!(_IOC_DIR(cmd) & _IOC_READ) || _IOC_SIZE(cmd) < 12)
			u.a.len = 0;	/* an fd we could not learn would leak */
	}
	k = u.a.len > (1ULL << 39);
	if (!call(w, R.heap[rn(w, R.nheap)], cmd, &u, sizeof(u), 1,
		  offsetof(struct dma_heap_allocation_data, fd), T_BUF) && k)
		finding(w, "ALLOC of %#llx bytes succeeded", (unsigned long long)u.a.len);
}

/* a big buffer, used and gone within the op: memory stays bounded */
static void op_heap_big(struct worker *w)
{
	struct dma_heap_allocation_data a = { .fd_flags = O_RDWR | O_CLOEXEC };
	struct dma_buf_sync s = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW };
	struct map m = { .prot = PROT_READ | PROT_WRITE };
	int h = rn(w, R.nheap);

	/* R.heap[2] is the CMA heap (cma=64M): a smaller share of it */
	a.len = (1 + rn(w, (h == 2 ? BIG_MAX / 2 : BIG_MAX) / PG)) * PG;
	if (!R.nheap || ioctl(R.heap[h], DMA_HEAP_IOCTL_ALLOC, &a))
		return;
	m.len = a.len;
	m.p = map_fd((int)a.fd, m.len, m.prot, MAP_SHARED, 0, &m.valid);
	ioctl((int)a.fd, DMA_BUF_IOCTL_SYNC, at(w->vbuf, &s, sizeof(s)));
	touch(w, &m, 1);
	touch(w, &m, 0);
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	ioctl((int)a.fd, DMA_BUF_IOCTL_SYNC, at(w->vbuf, &s, sizeof(s)));
	if (m.p)
		munmap(m.p, m.len);
	close((int)a.fd);
}

static void op_memfd(struct worker *w)
{
	unsigned int fl = (chance(w, 90) ? MFD_ALLOW_SEALING : 0) | (chance(w, 50) ? MFD_CLOEXEC : 0);
	size_t len = PG * (1 + rn(w, MEMFD_MAX / PG));
	int fd, seals = chance(w, 90) ? F_SEAL_SHRINK : 0;

	fl |= chance(w, 4) ? MFD_HUGETLB : 0;	/* when the guest reserved pages */
	fd = memfd_create("dmabuf-fuzz", fl);
	if (fd < 0)
		return;
	/*
	 * A hugetlb memfd is populated up front and never gets holes (no
	 * MADV_REMOVE on its mappings): 6.12's memfd_pin_folios() on a huge
	 * page not yet there ends in VM_BUG_ON(!h->resv_huge_pages) in
	 * alloc_hugetlb_folio_reserve() with hugetlb_lock held, a known mm
	 * bug (fixed in 6.16, "mm/hugetlb: don't crash when allocating a
	 * folio if there are no resv") that hangs the guest.
	 */
	if ((fl & MFD_HUGETLB) && fallocate(fd, 0, 0, 2 * MiB)) {
		close(fd);
		return;
	}
	if (!(fl & MFD_HUGETLB) && !ftruncate(fd, len) && chance(w, 50))
		pwrite(fd, &len, sizeof(len), rn(w, len - sizeof(len)));
	seals |= chance(w, 20) ? F_SEAL_GROW : 0;
	seals |= chance(w, 4) ? (chance(w, 50) ? F_SEAL_WRITE : F_SEAL_FUTURE_WRITE) : 0;
	seals |= chance(w, 5) ? F_SEAL_SEAL : 0;
	if (seals)
		fcntl(fd, F_ADD_SEALS, seals);
	put(w, fd, T_MEMFD);
}

/* a memfd for udmabuf: mostly one from the pool, else a bad one; *tmp to close */
static int pick_memfd(struct worker *w, int *tmp, __u64 *size)
{
	struct stat st;
	int fd;

	*tmp = -1;
	switch (rn(w, 12)) {
	case 0:
		fd = bad_fd(w);
		break;
	case 1:
		fd = pick(w, M(T_BUF) | M(T_SYNC), NULL);
		break;
	case 2:		/* unsealed */
		*tmp = fd = memfd_create("dmabuf-fuzz-unsealed", MFD_CLOEXEC);
		if (fd >= 0 && ftruncate(fd, 16 * PG))
			finding(NULL, "ftruncate of a memfd: %s", strerror(errno));
		break;
	default:
		fd = pick(w, M(T_MEMFD), NULL);
	}
	*size = fd >= 0 && !fstat(fd, &st) ? (__u64)st.st_size : 0;
	return fd;
}

/* an offset and size in a memfd of @size bytes, or (sometimes) not */
static __u64 pick_range(struct worker *w, __u64 size, __u64 *off)
{
	static const __u64 bad[] = { 1, PG - 1, 65 * MiB, 1ULL << 40, ~0ULL, ~0ULL - PG + 1 };
	__u64 pages = size / PG;

	*off = chance(w, 60) || !pages ? 0 : PG * rn(w, pages);
	if (chance(w, 8))
		*off = chance(w, 50) ? size : bad[rn(w, ARRAY_SIZE(bad))];
	if (chance(w, 8))
		return chance(w, 30) ? 0 : bad[rn(w, ARRAY_SIZE(bad))];
	if (*off >= size)
		return PG;
	return chance(w, 50) ? size - *off : PG * (1 + rn(w, (size - *off) / PG));
}

static __u32 udma_flags(struct worker *w)
{
	return chance(w, 90) ? UDMABUF_FLAGS_CLOEXEC : chance(w, 50) ? 0 : (__u32)rnd(w);
}

static void op_udmabuf(struct worker *w)
{
	struct udmabuf_create c = { .flags = udma_flags(w) };
	__u64 size;
	int tmp;

	if (R.udev < 0)
		return;
	c.memfd = (__u32)pick_memfd(w, &tmp, &size);
	c.size = pick_range(w, size, &c.offset);
	put_new(w, ioctl(R.udev, UDMABUF_CREATE, place(w, &c, sizeof(c), 1)), T_BUF,
		UDMABUF_CREATE);
	if (tmp >= 0)
		close(tmp);
}

static void op_udmabuf_list(struct worker *w)
{
	struct udmabuf_create_list *l = (void *)(w->vbuf + LIST_OFF);
	unsigned int i, n = chance(w, 2) ? 1024 : 1 + rn(w, 8);	/* 1024: list_limit */
	size_t len;
	int tmp[8];
	__u64 size, size0 = 0;

	if (R.udev < 0)
		return;
	l->flags = udma_flags(w);
	l->count = n;
	for (i = 0; i < n && i < 8; i++) {
		l->list[i].memfd = (__u32)pick_memfd(w, &tmp[i], &size);
		l->list[i].size = pick_range(w, size, &l->list[i].offset);
		l->list[i].__pad = chance(w, 3) ? (__u32)rnd(w) : 0;
		size0 = i ? size0 : size / PG;
	}
	/*
	 * The rest one page each, round the first memfd, each page at most 8
	 * times: the same page 1024 times is 1024 DMA-API debug entries in
	 * one hash bucket, and every DMA_BUF_IOCTL_SYNC a quadratic walk of
	 * it (20 s and more under KASAN and TCG).
	 */
	if (n > 8 + 8 * size0)
		l->count = n = 8 + 8 * size0;
	for (; i < n; i++) {
		l->list[i].memfd = l->list[0].memfd;
		l->list[i].offset = PG * (i % size0);
		l->list[i].size = PG;
		l->list[i].__pad = 0;
	}
	if (chance(w, 8))	/* none, over list_limit, huge: refused unread */
		l->count = chance(w, 30) ? 0 : chance(w, 50) ? 1025 : 0xffffffff;
	len = sizeof(*l) + n * sizeof(l->list[0]);
	put_new(w, ioctl(R.udev, UDMABUF_CREATE_LIST, place(w, l, len, len <= PG - 256)),
		T_BUF, UDMABUF_CREATE_LIST);
	for (i = 0; i < n && i < 8; i++)
		if (tmp[i] >= 0)
			close(tmp[i]);
}

/* ---- sw_sync and sync_file ----------------------------------------------- */

static void op_timeline(struct worker *w)
{
	static const __u32 odd[] = { 0, 0x7fffffff, 0x80000000u, 0xffffffffu };
	struct sw_sync_create_fence_data d = { .fence = -1 };
	struct sw_sync_get_deadline g = { 0 };
	int fd = pick(w, M(T_TL), NULL);
	__u32 v;

	if (fd < 0 || chance(w, 8)) {
		put(w, open(SW_SYNC_PATH, O_RDWR | (chance(w, 70) ? O_CLOEXEC : 0)), T_TL);
		return;
	}
	switch (rn(w, 10)) {
	case 0 ... 4:
		d.value = chance(w, 92) ? rn(w, 24) : chance(w, 50) ? 0xffffffffu : (__u32)rnd(w);
		rname(w, d.name, sizeof(d.name));
		call(w, fd, SW_SYNC_IOC_CREATE_FENCE, &d, sizeof(d), 1,
		     offsetof(struct sw_sync_create_fence_data, fence), T_SYNC);
		break;
	case 5 ... 8:
		v = chance(w, 90) ? 1 + rn(w, chance(w, 50) ? 2 : 32) : odd[rn(w, 4)];
		call(w, fd, SW_SYNC_IOC_INC, &v, sizeof(v), 1, -1, 0);
		break;
	default:
		g.fence_fd = chance(w, 90) ? pick(w, M(T_SYNC), NULL) : (int)rnd(w);
		g.pad = chance(w, 5) ? (__u32)rnd(w) : 0;
		call(w, fd, SW_SYNC_GET_DEADLINE, &g, sizeof(g), 1, -1, 0);
	}
}

static void op_merge(struct worker *w)
{
	struct sync_merge_data m = { .fence = -1 };
	int fd = pick(w, M(T_SYNC), NULL), k = rn(w, 8);

	if (fd < 0)
		return;
	rname(w, m.name, sizeof(m.name));
	m.fd2 = k == 0 ? fd : k == 1 ? bad_fd(w) : pick(w, k == 2 ? M_ANY : M(T_SYNC), NULL);
	m.flags = chance(w, 4) ? (__u32)rnd(w) : 0;
	m.pad = chance(w, 4) ? (__u32)rnd(w) : 0;
	call(w, fd, SYNC_IOC_MERGE, &m, sizeof(m), 1, offsetof(struct sync_merge_data, fence),
	     T_SYNC);
}

static void op_sync_file(struct worker *w)
{
	struct sync_file_info i = { .flags = 0 };
	struct sync_set_deadline d = { 0 };
	struct timespec ts;
	int fd = pick(w, M(T_SYNC), NULL);
	__u64 p;

	if (fd < 0)
		return;
	if (chance(w, 30)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		d.deadline_ns = chance(w, 70) ? (__u64)ts.tv_sec * 1000000000ULL + rn(w, 1 << 27) :
				chance(w, 50) ? 0 : rnd(w);
		d.pad = chance(w, 5) ? rnd(w) : 0;
		call(w, fd, SYNC_IOC_SET_DEADLINE, &d, sizeof(d), 1, -1, 0);
		return;
	}
	rname(w, i.name, sizeof(i.name));
	i.flags = chance(w, 4) ? (__u32)rnd(w) : 0;
	i.pad = chance(w, 4) ? (__u32)rnd(w) : 0;
	if (chance(w, 60)) {
		/* how many, then that many (or one fewer: EINVAL) */
		if (ioctl(fd, SYNC_IOC_FILE_INFO, at(w->vbuf, &i, sizeof(i))))
			return;
		memcpy(&i, w->vbuf, sizeof(i));
		if (i.status > 1)
			finding(w, "SYNC_IOC_FILE_INFO status %d", i.status);
		i.num_fences -= i.num_fences && chance(w, 20);
	} else {
		i.num_fences = chance(w, 70) ? rn(w, 64) : chance(w, 50) ? 0xffffffffu : (__u32)rnd(w);
	}
	/* a fence array that holds them all, or a bad one */
	switch (i.num_fences > FINFO_CAP ? rn(w, 4) : rn(w, 10)) {
	case 0: p = 0; break;
	case 1: p = (uintptr_t)w->ro; break;
	case 2: p = KERNEL_ADDR; break;
	case 3: p = (uintptr_t)none_page; break;
	case 4: p = (uintptr_t)(w->vbuf + FINFO_OFF + 3); break;
	default: p = (uintptr_t)(w->vbuf + FINFO_OFF);
	}
	i.sync_fence_info = p;
	call(w, fd, SYNC_IOC_FILE_INFO, &i, sizeof(i), 1, -1, 0);
}

/* ---- dma-buf ioctls ------------------------------------------------------ */

static __u64 sync_flags(struct worker *w)
{
	if (chance(w, 85))
		return (1 + rn(w, 3)) | (chance(w, 50) ? DMA_BUF_SYNC_END : DMA_BUF_SYNC_START);
	return chance(w, 30) ? 0 : chance(w, 50) ? 1ULL << rn(w, 64) : rnd(w);
}

static void op_buf(struct worker *w)
{
	struct dma_buf_sync s = { sync_flags(w) };
	struct dma_buf_export_sync_file e = { .fd = -1 };
	struct dma_buf_import_sync_file i = { 0 };
	int fd = pick(w, M(T_BUF), NULL);
	__u32 fl = chance(w, 85) ? 1 + rn(w, 3) : chance(w, 50) ? 0 : (__u32)rnd(w);

	if (fd < 0)
		return;
	switch (rn(w, 3)) {
	case 0:
		call(w, fd, DMA_BUF_IOCTL_SYNC, &s, sizeof(s), 1, -1, 0);
		break;
	case 1:
		e.flags = fl;
		call(w, fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e, sizeof(e), 1,
		     offsetof(struct dma_buf_export_sync_file, fd), T_SYNC);
		break;
	default:
		i.flags = fl;
		i.fd = chance(w, 85) ? pick(w, M(T_SYNC), NULL) :
		       chance(w, 50) ? bad_fd(w) : pick(w, M_ANY, NULL);
		call(w, fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &i, sizeof(i), 1, -1, 0);
	}
}

static void op_setname(struct worker *w)
{
	int fd = pick(w, M(T_BUF), NULL);
	size_t len = chance(w, 60) ? rn(w, DMA_BUF_NAME_LEN) : DMA_BUF_NAME_LEN + rn(w, 80);
	char *n = w->vbuf + FINFO_OFF, *p = n;

	if (fd < 0)
		return;
	memset(n, 0, len + 256);	/* see at() */
	rname(w, n, len + 1);
	n[len] = 0;
	switch (rn(w, 12)) {
	case 0:		/* unterminated: ends at the PROT_NONE page */
		p = w->vbuf + VBUF - rn(w, DMA_BUF_NAME_LEN);
		memset(p, 'u', w->vbuf + VBUF - p);
		break;
	case 1:
		p = NULL;
		break;
	case 2:
		p = (char *)KERNEL_ADDR;
		break;
	case 3:		/* read-only is fine for a name */
		mprotect(w->ro, PG, PROT_READ | PROT_WRITE);
		p = at(w->ro, n, len + 1);
		mprotect(w->ro, PG, PROT_READ);
		break;
	}
	ioctl(fd, chance(w, 50) ? DMA_BUF_SET_NAME_A : DMA_BUF_SET_NAME_B, p);
}

/* ---- generic file operations ---------------------------------------------- */

static void read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	while (fd >= 0 && read(fd, buf, cap) > 0)
		;
	if (fd >= 0)
		close(fd);
}

static void op_file(struct worker *w)
{
	static const off_t odd[] = { 0, 1, 4096, -1, -4096, 1LL << 40, 0x7fffffffffffffffLL };
	int type, fd = pick(w, M_ANY, &type);
	char path[96], b[32] = "";
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return;
	switch (rn(w, 6)) {
	case 0 ... 1:
		lseek(fd, chance(w, 70) ? odd[rn(w, ARRAY_SIZE(odd))] : (off_t)rnd(w),
		      chance(w, 90) ? (int)rn(w, 5) : (int)rnd(w));
		break;
	case 2 ... 3:
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		read_file(path, w->vbuf, 4096);
		break;
	case 4:		/* sysfs stats must agree with fstat on a live buffer */
		if (fstat(fd, &st) || st.st_dev != dmabuf_dev)
			break;
		snprintf(path, sizeof(path), "/sys/kernel/dmabuf/buffers/%llu/size",
			 (unsigned long long)st.st_ino);
		read_file(path, b, sizeof(b) - 1);
		if (*b && strtoull(b, NULL, 10) != (unsigned long long)st.st_size)
			finding(w, "%s says %.20s, fstat %lld", path, b, (long long)st.st_size);
		break;
	default:	/* a DRM fd's read() waits for events: not on purpose */
		if (type == T_DRM)
			break;
		if (chance(w, 50))
			n = pread(fd, w->vbuf, 1 + rn(w, 4096), chance(w, 80) ? 0 : rn(w, 1 << 20));
		else
			n = pwrite(fd, w->vbuf, 1 + rn(w, 64), rn(w, 4096));
		(void)n;
	}
}

static void op_debugfs(struct worker *w)
{
	read_file(chance(w, 50) ? BUFINFO : "/sys/kernel/debug/sync/info", w->vbuf, VBUF);
}

static short pick_events(struct worker *w)
{
	return chance(w, 70) ? (short)(POLLIN | POLLOUT | (chance(w, 50) ? POLLPRI : 0)) :
			       (short)rnd(w);
}

static void op_poll(struct worker *w)
{
	struct epoll_event ev = { .events = (__u16)pick_events(w) }, evs[8];
	int i, n = 1 + rn(w, 4), ep = pick(w, M(T_EPOLL), NULL);
	struct pollfd p[4];

	switch (rn(w, 4)) {
	case 0:
		put(w, epoll_create1(chance(w, 50) ? EPOLL_CLOEXEC : 0), T_EPOLL);
		break;
	case 1:
		ev.events |= chance(w, 20) ? 1u << (26 + rn(w, 6)) : 0;	/* EXCLUSIVE, ET.. */
		epoll_ctl(ep, 1 + rn(w, 3), pick(w, M_ANY, NULL), &ev);
		break;
	case 2:
		epoll_wait(ep, place(w, evs, sizeof(evs), 0), chance(w, 95) ? 1 + (int)rn(w, 8) : -1,
			   rn(w, 3));
		break;
	default:
		for (i = 0; i < n; i++) {
			p[i].fd = chance(w, 95) ? pick(w, M_ANY, NULL) : bad_fd(w);
			p[i].events = pick_events(w);
		}
		poll(p, n, rn(w, 3));
	}
}

static void op_dup(struct worker *w)
{
	int type, fd = pick(w, M_ANY, &type), t = DUP2_FD + rn(w, 64), s = rn(w, NSLOT);
	int v = slot_load(s);

	if (fd < 0)
		return;
	switch (rn(w, 6)) {
	case 0:
		put(w, dup(fd), type);
		break;
	case 1:
		put(w, fcntl(fd, F_DUPFD_CLOEXEC, (int)rn(w, 100)), type);
		break;
	case 2:		/* onto another slot's number: it now holds fd's file */
		t = v & 0xffff;
		/* if the slot was emptied meanwhile, t is ours alone: keep it */
		if (v >= 0 && dup2(fd, t) == t &&
		    !__atomic_compare_exchange_n(&pool[s], &v, SLOT(t, type), 0,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			put(w, t, type);
		break;
	case 3:
		if (chance(w, 50) ? dup2(fd, t) == t : dup3(fd, t, O_CLOEXEC) == t)
			put(w, t, type);
		break;
	case 4:
		fcntl(fd, F_SETFD, chance(w, 50) ? FD_CLOEXEC : 0);
		break;
	default:
		fcntl(fd, F_SETFL, chance(w, 50) ? O_NONBLOCK : chance(w, 50) ? 0 : (int)rnd(w));
	}
}

static void op_close(struct worker *w)
{
	int v = __atomic_exchange_n(&pool[rn(w, NSLOT)], -1, __ATOMIC_ACQ_REL);

	if (v >= 0)
		close(v & 0xffff);
}

/* ---- random ioctls ------------------------------------------------------- */

static void op_ioctl(struct worker *w)
{
	static const char magic[T_MAX] = { 0, 'b', '>', 'W', 'b', 'd', '>' };
	static const unsigned int sizes[] = { 0, 4, 8, 16, 24, 32, 40, 48, 64, 4096 };
	static char *const odd[] = { NULL, (char *)LOW_ADDR, (char *)KERNEL_ADDR };
	unsigned int nr, size, k = rn(w, 100), mg, zero;
	int type = 0, fd, r;
	unsigned long cmd;
	char *arg = w->vbuf;

	if (k < 10 && R.nheap) {
		fd = R.heap[rn(w, R.nheap)];
		mg = 'H';
	} else if (k < 16 && R.udev >= 0) {
		fd = R.udev;
		mg = 'u';
	} else if ((fd = pick(w, M_ANY, &type)) >= 0) {
		mg = (unsigned char)magic[type];
	} else {
		return;
	}
	nr = mg == 'd' ? 0x40 + rn(w, 32) : mg == 'u' ? 0x40 + rn(w, 8) : rn(w, 16);
	size = chance(w, 60) ? sizes[rn(w, ARRAY_SIZE(sizes))] : rn(w, 1 << 14);
	cmd = _IOC(rn(w, 4), mg, nr, size);
	if (mg != 'H' && mg != 'u' && chance(w, 2))
		cmd = (unsigned int)rnd(w);
	/*
	 * Random bytes only where they cannot hurt us: the heaps go by
	 * _IOC_NR, so nr 0 could allocate anything; the DRM core goes by nr
	 * too, and VERSION and GET_UNIQUE (nr 0, 1) take user pointers from
	 * the argument, as does SYNC_IOC_FILE_INFO.
	 */
	zero = mg == 'H' || mg == 'u' || _IOC_NR(cmd) < 2 || cmd == SYNC_IOC_FILE_INFO ||
	       _IOC_TYPE(cmd) != mg;
	if (zero || chance(w, 50))
		memset(arg, mg == 'H' || (zero && chance(w, 50)) ? 0 : 0xff, _IOC_SIZE(cmd) + 64);
	else
		for (k = 0; k < _IOC_SIZE(cmd) + 64; k += 8)
			*(__u64 *)(arg + k) = rnd(w);
	/*
	 * Not the read-only page for the heaps and udmabuf: it may hold a
	 * valid request another op placed there, and a heap command without
	 * _IOC_READ allocates without copying the fd out (6.12's size rules,
	 * which the heaps keep): an fd nobody can know, reported as a leak.
	 */
	if (chance(w, 15)) {
		k = rn(w, mg == 'H' || mg == 'u' ? 4 : 6);
		arg = k < 3 ? odd[k] : k == 3 ? (char *)none_page : k == 4 ? w->ro :
		      (char *)(uintptr_t)rn(w, 256);
	}
	r = ioctl(fd, cmd, arg);
	/* the fd-making commands, met by chance: keep what they made */
	k = cmd == SW_SYNC_IOC_CREATE_FENCE ? 36 : cmd == SYNC_IOC_MERGE ? 36 :
	    cmd == DMA_BUF_IOCTL_EXPORT_SYNC_FILE ? 4 : 0;
	if (r == 0 && k && arg == w->vbuf) {
		memcpy(&fd, arg + k, sizeof(fd));
		put(w, fd, T_SYNC);
	}
	if (r > 0 && (cmd == UDMABUF_CREATE || cmd == UDMABUF_CREATE_LIST))
		put(w, r, T_BUF);
}

/* ---- vgem ---------------------------------------------------------------- */

static void op_vgem(struct worker *w)
{
	static const __u32 bpp[] = { 8, 16, 24, 32 };
	struct drm_mode_create_dumb c = { .width = 1 + rn(w, 512), .height = 1 + rn(w, 128),
					  .bpp = bpp[rn(w, 4)] };
	struct drm_prime_handle h = { .handle = rn(w, 12), .fd = -1 };
	struct drm_vgem_fence_attach a = { .handle = rn(w, 12) };
	struct drm_vgem_fence_signal s = { .fence = rn(w, 24) };
	struct drm_gem_close g = { .handle = rn(w, 12) };
	int fd = pick(w, M(T_DRM), NULL), out = offsetof(struct drm_prime_handle, fd);

	if (!drm_path[0])
		return;
	if (fd < 0 || chance(w, 5)) {
		put(w, open(drm_path, O_RDWR | (chance(w, 70) ? O_CLOEXEC : 0)), T_DRM);
		return;
	}
	h.flags = chance(w, 80) ? DRM_CLOEXEC | DRM_RDWR : chance(w, 50) ? 0 : (__u32)rnd(w);
	switch (rn(w, 8)) {
	case 0 ... 1:
		if (chance(w, 8)) {	/* refused: zero, or 4 TiB */
			c.width = chance(w, 50) ? 0 : 1 << 20;
			c.height = 1 << 20;
		}
		if (call(w, fd, DRM_IOCTL_MODE_CREATE_DUMB, &c, sizeof(c), 0, -1, 0) ||
		    chance(w, 40))
			break;
		h.handle = c.handle;
		/* fallthrough */
	case 2 ... 3:
		call(w, fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &h, sizeof(h), 0, out, T_BUF);
		break;
	case 4:		/* an import: vgem attaches to and maps a foreign buffer */
		h.fd = chance(w, 90) ? pick(w, M(T_BUF), NULL) : bad_fd(w);
		call(w, fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &h, sizeof(h), 0, -1, 0);
		break;
	case 5:
		call(w, fd, DRM_IOCTL_GEM_CLOSE, &g, sizeof(g), 0, -1, 0);
		break;
	case 6:
		a.flags = chance(w, 90) ? (chance(w, 50) ? VGEM_FENCE_WRITE : 0) : (__u32)rnd(w);
		a.pad = chance(w, 4) ? (__u32)rnd(w) : 0;
		/* vgem's timer signals after 10 s; mostly sooner */
		if (call(w, fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &a, sizeof(a), 0, -1, 0) ||
		    chance(w, 40))
			break;
		s.fence = a.out_fence;
		/* fallthrough */
	default:
		s.flags = chance(w, 4) ? (__u32)rnd(w) : 0;
		call(w, fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &s, sizeof(s), 0, -1, 0);
	}
}

/* ---- canaries, SCM_RIGHTS, exec ------------------------------------------- */

/* the first word in [from, to) that is not canary @c's, or -1 */
static long canary_bad(const __u64 *p, int c, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to && i < R.canary_len[c] / 8; i++)
		if (p[i] != pat(R.seed ^ (c + 1), i))
			return (long)i;
	return -1;
}

/* read-only uses of a canary, through a dup at 800.. */
static void op_canary(struct worker *w)
{
	int c = rn(w, R.ncanary ? R.ncanary : 1), fd, k;
	struct dma_buf_export_sync_file e = { .flags = 1 + rn(w, 3), .fd = -1 };
	struct dma_buf_import_sync_file i = { .flags = 1 + rn(w, 3) };
	struct dma_buf_sync s = { sync_flags(w) };
	struct pollfd pf = { .events = pick_events(w) };
	size_t len = R.canary_len[c], from = rn(w, len / 8 - 64);
	char path[64];
	__u64 wd[8];
	long bad;
	void *p;

	if (!R.ncanary || (fd = fcntl(R.canary[c], F_DUPFD_CLOEXEC, TEMP_FD)) < 0)
		return;
	switch (rn(w, 7)) {
	case 0:
		ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
		break;
	case 1:
		pf.fd = fd;
		poll(&pf, 1, rn(w, 3));
		break;
	case 2:
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		read_file(path, w->vbuf, 4096);
		break;
	case 3:
		if (!ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e))
			put_new(w, e.fd, T_SYNC, DMA_BUF_IOCTL_EXPORT_SYNC_FILE);
		break;
	case 4:
		i.fd = pick(w, M(T_SYNC), NULL);
		ioctl(fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &i);
		break;
	case 5:
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			break;
		bad = canary_bad(p, c, from, from + 64);
		if (bad >= 0)
			finding(w, "canary %d word %ld is %#llx", c, bad,
				(unsigned long long)((__u64 *)p)[bad]);
		munmap(p, len);
		break;
	default:	/* the udmabuf's memfd */
		if (c != 2 || R.canary_memfd < 0 ||
		    pread(R.canary_memfd, wd, sizeof(wd), from * 8) != sizeof(wd))
			break;
		for (k = 0; k < 8; k++)
			if (wd[k] != pat(R.seed ^ 3, from + k))
				finding(w, "udmabuf canary's memfd word %zu changed", from + k);
	}
	close(fd);
}

static void op_scm(struct worker *w)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))];
	unsigned char types[8] = { 0 };
	struct iovec iov = { types, sizeof(types) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf };
	struct cmsghdr *c;
	int s = in_child ? R.my_scm : R.nchild ? R.scm[rn(w, R.nchild)] : -1;
	int fds[8], i, n = 1 + rn(w, 3), t;

	if (s < 0)
		return;
	if (chance(w, 50)) {	/* 1-3 pool fds and their types */
		for (i = 0; i < n; i++) {
			if ((fds[i] = pick(w, M_ANY, &t)) < 0)
				return;
			types[i] = t;
		}
		m.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
		sendmsg(s, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		return;
	}
	m.msg_controllen = sizeof(cbuf);
	if (recvmsg(s, &m, MSG_DONTWAIT | (chance(w, 30) ? MSG_CMSG_CLOEXEC : 0)) < 0)
		return;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds, CMSG_DATA(c), n * sizeof(int));
		for (i = 0; i < n && i < 8; i++)
			put_new(w, fds[i], types[i] && types[i] < T_MAX ? types[i] : T_BUF, 0);
	}
}

extern char **environ;

/* fork + exec of ourselves: what crosses exec, and what must not */
static void op_exec(struct worker *w)
{
	char *argv[] = { "dmabuf-fuzz", "--child-exec", infra_list, NULL };
	pid_t pid;
	int st = 0;

	/* a fork of this whole process is slow under TCG: a few per round */
	if (w->execs++ >= 3)
		return;
	/*
	 * Not for the watchdog: a signal during fork() restarts it
	 * (ERESTARTNOINTR), and a fork slower than the watchdog's tick would
	 * restart forever.  The child's alarm() bounds the wait instead.
	 */
	__atomic_store_n(&w->busy, 0, __ATOMIC_RELEASE);
	pid = fork();
	if (pid == 0) {
		/* async-signal-safe only until exec: other threads held locks */
		alarm(20);
		execve("/proc/self/exe", argv, environ);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return;
	if (pid > 0 && WIFSIGNALED(st))
		finding(w, "exec'd child killed by signal %d", WTERMSIG(st));
	else if (pid > 0 && WEXITSTATUS(st))
		finding(w, "exec'd child exited %d%s", WEXITSTATUS(st),
			WEXITSTATUS(st) == 3 ? ": a close-on-exec fd got through (above)" : "");
}

/* --child-exec LIST: no fd of LIST and none at 800.. may be open */
static int exec_child(const char *list)
{
	unsigned char bad[1024] = { 0 };
	int fds[1024], n = 0, i, ret = 0;
	struct dirent *e;
	DIR *d;

	for (; *list; list += strcspn(list, ","), list += *list == ',')
		if ((i = atoi(list)) >= 0 && i < 1024)
			bad[i] = 1;
	d = opendir("/proc/self/fd");
	while (d && (e = readdir(d)) && n < 1024)
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			fds[n++] = atoi(e->d_name);
	if (d)
		closedir(d);
	for (i = 0; i < n; i++) {
		struct pollfd pf = { fds[i], POLLIN | POLLOUT, 0 };

		if (fds[i] >= TEMP_FD || (fds[i] < 1024 && bad[fds[i]])) {
			printf("# --child-exec: fd %d was close-on-exec\n", fds[i]);
			ret = 3;
		}
		if (fds[i] < 3)
			continue;
		poll(&pf, 1, 0);
		lseek(fds[i], 0, SEEK_END);
		close(fds[i]);
	}
	return ret;
}

/* ---- the op table and the workers ------------------------------------------ */

static const struct op {
	const char *name;
	void (*fn)(struct worker *w);
	int weight;
} ops[] = {
	{ "heap_alloc", op_heap_alloc, 7 },	{ "heap_big", op_heap_big, 1 },
	{ "memfd", op_memfd, 3 },		{ "udmabuf", op_udmabuf, 5 },
	{ "udmabuf_list", op_udmabuf_list, 2 },	{ "timeline", op_timeline, 13 },
	{ "merge", op_merge, 4 },		{ "sync_file", op_sync_file, 6 },
	{ "dma_buf", op_buf, 13 },		{ "set_name", op_setname, 3 },
	{ "file", op_file, 7 },			{ "debugfs", op_debugfs, 1 },
	{ "poll", op_poll, 6 },			{ "dup", op_dup, 4 },
	{ "close", op_close, 7 },		{ "mmap", op_mmap, 5 },
	{ "touch", op_touch, 3 },		{ "munmap", op_munmap, 2 },
	{ "remap", op_remap, 2 },		{ "ioctl", op_ioctl, 5 },
	{ "vgem", op_vgem, 6 },			{ "canary", op_canary, 3 },
	{ "scm", op_scm, 3 },			{ "exec", op_exec, 1 },
};

static int total_weight;

static const char *op_name(int i)
{
	return i >= 0 && i < (int)ARRAY_SIZE(ops) ? ops[i].name : "-";
}

static int choose(struct worker *w)
{
	int k = (int)rn(w, total_weight), i;

	for (i = 0; k >= ops[i].weight; i++)
		k -= ops[i].weight;
	return i;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int i;

	self = w;
	w->tid = (int)syscall(SYS_gettid);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED) && round_ms() < R.deadline &&
	       __atomic_fetch_add(&sh->claimed, 1, __ATOMIC_RELAXED) < sh->budget) {
		/*
		 * Each op's choices from (round seed, worker, op number):
		 * how much of the stream an op used (pool hits, syscall
		 * results) then does not shift every later op's.
		 */
		__u64 s = R.seed ^ ((__u64)(w->idx + 1) << 40) ^ (__u64)w->ops;

		w->rs = splitmix(&s) | 1;
		__atomic_store_n(&w->cur, choose(w), __ATOMIC_RELAXED);
		w->hist[w->nhist++ % NHIST] = w->cur;
		if (opt.verbose)
			fprintf(stderr, "# v round %d %s %d op #%d %s\n", R.r,
				in_child ? "child" : "thread", w->idx, w->ops, ops[w->cur].name);
		__atomic_store_n(&w->busy, round_ms() + 1, __ATOMIC_RELEASE);
		ops[w->cur].fn(w);
		__atomic_store_n(&w->busy, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&w->ops, w->ops + 1, __ATOMIC_RELAXED);
	}
	for (i = 0; i < NMAP; i++)
		if (w->map[i].p)
			munmap(w->map[i].p, w->map[i].len);
	pthread_mutex_lock(&w->lk);
	w->alive = 0;
	pthread_mutex_unlock(&w->lk);
	return NULL;
}

static struct worker *wds;
static int nwds, wd_stop;

static ssize_t task_file(struct worker *w, const char *what, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", w->tid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, cap - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/*
 * An op 20 s in the kernel.  Asleep (S, D) despite the signals: a finding,
 * with where it sleeps.  Running all along: slow (DMA-API debugging under
 * KASAN and TCG can be), only noted; if it never ends, the join or the
 * child's reaping says so.
 */
static void stuck_report(struct worker *w)
{
	char buf[4096], *l, *save = NULL, state = 'R';
	int i;

	for (i = 0; i < 20 && state == 'R'; i++, usleep(1000))
		if (task_file(w, "stat", buf, sizeof(buf)) > 0 && (l = strrchr(buf, ')')))
			state = l[2];
	if (state == 'R') {
		snprintf(buf, sizeof(buf), "round %d %s %d op #%d %s: 20 s on a CPU in the kernel, "
			 "not counted", R.r, in_child ? "child" : "thread", w->idx,
			 __atomic_load_n(&w->ops, __ATOMIC_RELAXED),
			 op_name(__atomic_load_n(&w->cur, __ATOMIC_RELAXED)));
		note(buf);
		return;
	}
	finding(w, "asleep (%c) for %d s, SIGUSR1 does not wake it", state, STUCK_MS / 1000);
	task_file(w, "syscall", buf, sizeof(buf));
	note(buf);
	task_file(w, "stack", buf, sizeof(buf));
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		note(l);
}

/* interrupts whatever sleeps too long: no SA_RESTART, it returns EINTR */
static void *watchdog_main(void *arg)
{
	int i, b, t;

	(void)arg;
	while (!__atomic_load_n(&wd_stop, __ATOMIC_ACQUIRE)) {
		usleep(10000);
		t = round_ms();
		for (i = 0; i < nwds; i++) {
			struct worker *w = &wds[i];

			pthread_mutex_lock(&w->lk);
			b = __atomic_load_n(&w->busy, __ATOMIC_ACQUIRE);
			if (w->alive && b && t - b > WD_MS) {
				pthread_kill(w->thr, SIGUSR1);
				__atomic_add_fetch(&sh->interrupted, 1, __ATOMIC_RELAXED);
				if (t - b > STUCK_MS && !w->stuck++)
					stuck_report(w);
			}
			pthread_mutex_unlock(&w->lk);
		}
	}
	return NULL;
}

/* @n workers, indices from @first, and their watchdog: 0 once all are back */
static int run_workers(int n, int first)
{
	struct timespec until;
	pthread_t wd;
	int i, j, k, stuck = 0;

	wds = calloc(n, sizeof(*wds));
	nwds = n;
	wd_stop = 0;
	for (i = 0; i < n; i++) {
		struct worker *w = &wds[i];
		__u64 s = R.seed + first + i + 1;

		w->idx = first + i;
		w->rs = splitmix(&s) | 1;
		w->alive = 1;
		w->cur = -1;
		pthread_mutex_init(&w->lk, NULL);
		w->vbuf = mmap(NULL, VBUF + PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		w->ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (w->vbuf == MAP_FAILED || w->ro == MAP_FAILED ||
		    mprotect(w->vbuf + VBUF, PG, PROT_NONE) ||
		    pthread_create(&w->thr, NULL, worker_main, w)) {
			printf("Bail out! cannot start worker %d: %s\n", w->idx, strerror(errno));
			fflush(stdout);
			_exit(2);
		}
	}
	pthread_create(&wd, NULL, watchdog_main, NULL);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (R.deadline - round_ms()) / 1000 + 60;
	for (i = 0; i < n; i++)
		if (pthread_timedjoin_np(wds[i].thr, NULL, &until)) {
			finding(&wds[i], "thread did not come back");
			stuck = 1;
		}
	for (i = 0; i < n && i < MAXW; i++) {	/* what each did last, for a report */
		struct worker *w = &wds[i];

		k = snprintf(hist[i], sizeof(hist[i]), "thread %d: %d ops, the last:", w->idx, w->ops);
		for (j = w->nhist > NHIST ? w->nhist - NHIST : 0; j < w->nhist; j++)
			k += snprintf(hist[i] + k, sizeof(hist[i]) - k, " %s",
				      ops[w->hist[j % NHIST]].name);
	}
	if (stuck)
		return -1;	/* still running: leave everything as it is */
	__atomic_store_n(&wd_stop, 1, __ATOMIC_RELEASE);
	pthread_join(wd, NULL);
	for (i = 0; i < n; i++) {
		munmap(wds[i].vbuf, VBUF + PG);
		munmap(wds[i].ro, PG);
	}
	free(wds);
	return 0;
}

/* ---- the round ------------------------------------------------------------- */

static void mark_infra(int fd)
{
	size_t n = strlen(infra_list);

	if (fd < 0 || fd >= (int)sizeof(infra))
		return;
	infra[fd] = 1;
	snprintf(infra_list + n, sizeof(infra_list) - n, "%s%d", n ? "," : "", fd);
}

static void mark_common(void)
{
	int i;

	memset(infra, 0, sizeof(infra));
	infra_list[0] = 0;
	mark_infra(kmsg);
	for (i = 0; i < R.nheap; i++)
		mark_infra(R.heap[i]);
	mark_infra(R.udev);
}

/* heap and udmabuf devices, then the children and their sockets */
static void open_round(void)
{
	char path[96];
	int i, sv[2], fd;

	for (i = 0; i < 3; i++) {
		/* the second system fd read-only: the heap must not care */
		snprintf(path, sizeof(path), "/dev/dma_heap/%s", i < 2 ? "system" : cma_name);
		fd = i < 2 || cma_name[0] ? open(path, (i == 1 ? O_RDONLY : O_RDWR) | O_CLOEXEC) : -1;
		if (fd >= 0)
			R.heap[R.nheap++] = fd;
	}
	R.udev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	mark_common();
	R.nchild = 1 + (R.seed >> 7) % MAXCHILD;
	for (i = 0; i < R.nchild; i++) {
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
			continue;
		mark_infra(R.scm[i] = sv[0]);
		fflush(stdout);
		R.child[i] = fork();
		if (R.child[i] == 0) {
			in_child = 1;
			for (fd = 0; fd <= i; fd++)
				close(R.scm[fd]);
			R.nchild = 0;
			R.my_scm = sv[1];
			mark_common();
			mark_infra(R.my_scm);
			alarm((R.deadline - round_ms()) / 1000 + 90);
			_exit(run_workers(1, opt.threads + i) ? 2 : 0);
		}
		close(sv[1]);
	}
}

/* the canaries: system heap, CMA heap and udmabuf buffers with a pattern */
static void canaries_make(void)
{
	static const size_t lens[3] = { 256 << 10, 64 << 10, 128 << 10 };
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = lens[2] };
	int i, fd, mfd = memfd_create("dmabuf-fuzz-canary", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	size_t j;
	__u64 *p;

	if (mfd >= 0 && (ftruncate(mfd, lens[2]) || fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK))) {
		close(mfd);
		mfd = -1;
	}
	c.memfd = mfd;
	for (i = 0; i < 3; i++) {
		struct dma_heap_allocation_data a = { .len = lens[i], .fd_flags = O_RDWR | O_CLOEXEC };

		fd = -1;
		if (i < 2 && R.nheap > 2 * i && !ioctl(R.heap[2 * i], DMA_HEAP_IOCTL_ALLOC, &a))
			fd = (int)a.fd;
		if (i == 2 && mfd >= 0 && R.udev >= 0)
			fd = ioctl(R.udev, UDMABUF_CREATE, &c);
		p = fd < 0 ? MAP_FAILED : mmap(NULL, lens[i], PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED) {
			for (j = 0; j < lens[i] / 8; j++)
				p[j] = pat(R.seed ^ (R.ncanary + 1), j);
			munmap(p, lens[i]);
			R.canary_len[R.ncanary] = lens[i];
			R.canary[R.ncanary] = fcntl(fd, F_DUPFD_CLOEXEC, CANARY_FD);
			if (R.canary[R.ncanary] >= 0)
				mark_infra(R.canary[R.ncanary++]);
		}
		if (fd >= 0)
			close(fd);
	}
	/* op_canary reads the memfd as that of canary 2 */
	R.canary_memfd = mfd >= 0 && R.ncanary == 3 ? fcntl(mfd, F_DUPFD_CLOEXEC, CANARY_FD) : -1;
	mark_infra(R.canary_memfd);
	if (mfd >= 0)
		close(mfd);
	if (R.ncanary < 2)
		finding(NULL, "only %d canaries could be made", R.ncanary);
}

static void canaries_check(void)
{
	int i;
	long k;
	__u64 *p, wd;

	for (i = 0; i < R.ncanary; i++) {
		p = mmap(NULL, R.canary_len[i], PROT_READ, MAP_SHARED, R.canary[i], 0);
		k = p == MAP_FAILED ? -2 : canary_bad(p, i, 0, R.canary_len[i] / 8);
		if (k >= 0)
			finding(NULL, "canary %d (%zu bytes) word %ld is %#llx, want %#llx", i,
				R.canary_len[i], k, (unsigned long long)p[k],
				(unsigned long long)pat(R.seed ^ (i + 1), k));
		else if (k == -2)
			finding(NULL, "canary %d: mmap: %s", i, strerror(errno));
		if (p != MAP_FAILED)
			munmap(p, R.canary_len[i]);
		for (k = 0; i == 2 && R.canary_memfd >= 0 && k < (long)R.canary_len[i] / 8; k++)
			if (pread(R.canary_memfd, &wd, 8, k * 8) != 8 || wd != pat(R.seed ^ 3, k)) {
				finding(NULL, "udmabuf canary's memfd word %ld differs", k);
				break;
			}
		close(R.canary[i]);
	}
	if (R.canary_memfd >= 0)
		close(R.canary_memfd);
}

static long meminfo_line_kb(const char *key)
{
	char *t = read_text("/proc/meminfo"), *p = t ? strstr(t, key) : NULL;

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static long slab_kb(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	if (fd >= 0 && write(fd, "3", 1) != 1)
		perror("drop_caches");
	if (fd >= 0)
		close(fd);
	return meminfo_line_kb("\nSlab:");
}

/*
 * Shrink every slab cache: frees empty slabs and, with KASAN, drains the
 * quarantine of freed objects (kmem_cache_shrink() does), which a
 * leak-free round fills far past -L.  Returns SUnreclaim afterwards.
 */
static long slab_shrink_all(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	int fd, shrunk = 0;
	char p[300];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/kernel/slab/%s/shrink", e->d_name);
		/* a cache that cannot be shrunk is skipped */
		fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && write(fd, "1", 1) == 1)
			shrunk++;
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
	return shrunk ? meminfo_line_kb("\nSUnreclaim:") : LONG_MAX / 2;
}

/* KASAN's quarantine keeps freed slab objects: Slab tells nothing there */
static int is_kasan(void)
{
	static int kasan = -1;
	char b[65536 + 16] = "";
	int fd;
	ssize_t n;

	if (kasan >= 0)
		return kasan;
	kasan = 0;
	fd = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && !kasan && (n = read(fd, b + 16, 65536)) > 0) {
		kasan = memmem(b, 16 + n, " kasan_", 7) != NULL;
		memmove(b, b + n, 16);
	}
	if (fd >= 0)
		close(fd);
	return kasan;
}

/* the object count in bufinfo; their inodes into @ino */
static int bufinfo_count(unsigned long long *ino, int cap, int *nino)
{
	char *t = read_text(BUFINFO), *l, *save = NULL, exp[64];
	unsigned long long size, in;
	unsigned int fl, mode;
	int total = -1;
	long cnt;

	for (*nino = 0, l = t ? strtok_r(t, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save))
		if (sscanf(l, "Total %d objects", &total) != 1 && *nino < cap &&
		    sscanf(l, "%llu\t%x\t%x\t%ld\t%63s\t%llu", &size, &fl, &mode, &cnt, exp, &in) == 6)
			ino[(*nino)++] = in;
	return total;
}

static const char *const bad_words[] = {
	"BUG:", "WARNING:", "KASAN", "UBSAN", "KFENCE", "kmemleak", "Oops",
	"general protection", "list_add corruption", "refcount_t", "ODEBUG",
	"lockdep", "possible circular", "INFO: task", "RCU stall", "detected stall",
	"invoked oom-killer",
};

/*
 * DMA-API debug's complaints that 6.12 draws the same way (not bugs of
 * the dma-buf code): vgem sets no dma_parms, so the 64 KiB default limits
 * a segment below what the heaps hand it; each vgem file attaches and
 * maps a foreign buffer anew, so two files (or a udmabuf listing a page
 * twice) map one cacheline twice; and udmabuf maps its CPU table for its
 * one misc device, so two udmabufs over the same memfd pages do too.  The
 * WARNING header after such a line is skipped; anything else counts.
 */
static bool known_dma_debug(const char *msg)
{
	static const char eexist[] = "cacheline tracking EEXIST, overlapping mappings aren't supported";

	if (!strncmp(msg, "DMA-API: platform vgem: ", 24))
		return strstr(msg, "mapping sg segment longer than device claims to support") ||
		       strstr(msg, eexist);
	return !strncmp(msg, "DMA-API: misc udmabuf: ", 23) && strstr(msg, eexist);
}

/* the kernel log up to its end: how many lines are findings (printed) */
static int kmsg_scan(void)
{
	char rec[8192], prev[2][256] = { "", "" }, *msg;
	int bad = 0, ctx = 0, shown = 0, excused = 0, known = 0;
	ssize_t n;
	size_t i;

	while (kmsg >= 0) {
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && (errno == EPIPE || errno == EINTR))
			continue;	/* EPIPE: records overwritten, go on */
		if (n <= 0)
			break;		/* EAGAIN: the end */
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		if (known_dma_debug(msg)) {
			excused = 1;	/* its WARNING: is the next record */
			known++;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(bad_words) && !strstr(msg, bad_words[i]); i++)
			;
		if (excused && !strncmp(msg, "WARNING: CPU: ", 14)) {
			excused = 0;
			continue;
		}
		excused = 0;
		if (i < ARRAY_SIZE(bad_words)) {
			/* the two lines before a WARNING say what it is about */
			for (i = 0; !ctx && i < 2 && shown < 100; i++)
				if (prev[i][0] && ++shown)
					printf("# kmsg: %s\n", prev[i]);
			bad++;
			ctx = 21;	/* and the report's body after it */
		}
		snprintf(prev[0], sizeof(prev[0]), "%s", prev[1]);
		snprintf(prev[1], sizeof(prev[1]), "%.255s", msg);
		if (ctx && ctx-- && shown++ < 100)
			printf("# kmsg: %s\n", msg);
	}
	if (known)
		printf("# kmsg: %d DMA-API debug report(s) that 6.12 draws too, not counted\n",
		       known);
	return bad;
}

/* what fdinfo says of a leftover fd (a dma-buf's exp_name, size, name) */
static void fdinfo_show(int fd)
{
	char path[64], t[2048], *l, *save = NULL;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	n = f < 0 ? -1 : read(f, t, sizeof(t) - 1);
	if (f >= 0)
		close(f);
	if (n <= 0)
		return;
	t[n] = 0;
	for (l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (strncmp(l, "pos:", 4) && strncmp(l, "mnt_id:", 7))
			printf("#   %s\n", l);
}

static void fd_list(unsigned char *set, int cap)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n;

	memset(set, 0, cap);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && (n = atoi(e->d_name)) < cap && n != dirfd(d))
			set[n] = 1;
	if (d)
		closedir(d);
}

/* where the tasks of @pid and of its children sleep, for a hung child */
static void show_stacks(pid_t pid, int depth)
{
	char path[96], kids[256], *t, *c, *save = NULL;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	for (d = opendir(path); d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/syscall", pid, e->d_name);
		t = read_text(path);
		printf("# pid %d task %s: syscall %s", pid, e->d_name, t ? t : "?\n");
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stack", pid, e->d_name);
		for (t = read_text(path), c = t ? strtok_r(t, "\n", &save) : NULL; c;
		     c = strtok_r(NULL, "\n", &save))
			printf("#   %s\n", c);
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", pid, e->d_name);
		t = depth ? read_text(path) : NULL;
		snprintf(kids, sizeof(kids), "%.255s", t ? t : "");	/* read_text() is reused */
		for (t = kids; *t; t += strcspn(t, " "), t += *t == ' ')
			show_stacks(atoi(t), depth - 1);
	}
	if (d)
		closedir(d);
}

/* the end of a round: everything closed, then the checks */
static void end_round(int fds0, const unsigned char *fdset0, int buf0,
		      const unsigned long long *ino0, int nino0, long slab0, long sunr0)
{
	unsigned long long ino[512];
	unsigned char fdset[1024];
	int i, j, st, nino, buf, fds;
	long slab, sunr;
	char l[64], p[32];
	ssize_t n;

	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < R.nchild; i++) {
		for (j = 0; R.child[i] > 0 && j < 3000; j++, usleep(10000))
			if (waitpid(R.child[i], &st, WNOHANG) == R.child[i])
				break;
		if (R.child[i] > 0 && j == 3000) {	/* 30 s: past an exec alarm() */
			finding(NULL, "child %d did not exit: killed", opt.threads + i);
			show_stacks(R.child[i], 1);
			kill(R.child[i], SIGKILL);
			waitpid(R.child[i], &st, 0);
		} else if (R.child[i] > 0 && (WIFSIGNALED(st) || WEXITSTATUS(st))) {
			finding(NULL, "child %d: %s %d", opt.threads + i,
				WIFSIGNALED(st) ? "killed by signal" : "exit status",
				WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		}
	}
	for (i = 0; i < NSLOT; i++)
		if ((j = __atomic_exchange_n(&pool[i], -1, __ATOMIC_ACQ_REL)) >= 0)
			close(j & 0xffff);
	for (i = 0; i < R.nchild; i++)
		if (R.scm[i] >= 0)
			close(R.scm[i]);
	for (i = 0; i < R.nheap; i++)
		close(R.heap[i]);
	if (R.udev >= 0)
		close(R.udev);
	canaries_check();

	if ((fds = fd_count()) != fds0) {
		finding(NULL, "fd count %d, at the start %d", fds, fds0);
		fd_list(fdset, sizeof(fdset));
		for (i = 0; i < (int)sizeof(fdset); i++) {
			if (fdset[i] == fdset0[i])
				continue;
			snprintf(p, sizeof(p), "/proc/self/fd/%d", i);
			n = readlink(p, l, sizeof(l) - 1);
			printf("# fd %d %s: %.*s\n", i, fdset[i] ? "open" : "closed", n > 0 ? (int)n : 0, l);
			if (fdset[i])
				fdinfo_show(i);
		}
	}
	for (i = 0; (buf = bufinfo_count(ino, ARRAY_SIZE(ino), &nino)) > buf0 && i < 40; i++)
		usleep(50000);
	if (buf != buf0) {
		finding(NULL, "bufinfo holds %d dma-bufs, at the start %d", buf, buf0);
		for (i = 0; i < nino; i++) {
			for (j = 0; j < nino0 && ino0[j] != ino[i]; j++)
				;
			if (j == nino0)
				printf("# bufinfo: dma-buf ino %llu is still there\n", ino[i]);
		}
	}
	for (i = 0; (slab = slab_kb()) - slab0 > opt.slab_tol && i < 10; i++)
		usleep(200000);
	sunr = meminfo_line_kb("\nSUnreclaim:");
	if (slab - slab0 > opt.slab_tol && is_kasan()) {
		/*
		 * KASAN quarantines frees: drain it and judge what cannot be
		 * reclaimed, with twice the slack (the quarantine of the
		 * other CPUs' caches and the per-CPU slabs stay).
		 */
		for (i = 0; (sunr = slab_shrink_all()) - sunr0 > 2 * opt.slab_tol && i < 10; i++)
			usleep(200000);
		if (sunr - sunr0 > 2 * opt.slab_tol)
			finding(NULL, "SUnreclaim grew by %ld kB after shrinking every cache "
				"(KASAN), twice -L is %ld", sunr - sunr0, 2 * opt.slab_tol);
		else
			printf("# Slab +%ld kB is over -L %ld, SUnreclaim %+ld kB after shrinking "
			       "every cache: KASAN's quarantine\n", slab - slab0, opt.slab_tol,
			       sunr - sunr0);
	} else if (slab - slab0 > opt.slab_tol) {
		finding(NULL, "Slab grew by %ld kB (SUnreclaim %+ld kB), -L is %ld",
			slab - slab0, sunr - sunr0, opt.slab_tol);
	}
	if ((i = kmsg_scan()))
		finding(NULL, "%d kernel log line(s) with a finding, see '# kmsg:' above", i);
	printf("# round %d: %d children, %d canaries, %d watchdog signals, bufinfo %d, "
	       "Slab %+ld kB, SUnreclaim %+ld kB\n", R.r, R.nchild, R.ncanary, sh->interrupted,
	       buf, slab - slab0, sunr - sunr0);
}

static int run_round(int r)
{
	unsigned long long ino0[512];
	unsigned char fdset0[1024];
	int i, nino0, buf0, fds0, t0, ops;
	long slab0, sunr0;
	__u64 s = opt.seed ^ ((__u64)r * 0x9e3779b97f4a7c15ULL);

	memset(&R, 0, sizeof(R));
	R.r = r;
	R.seed = splitmix(&s);
	R.deadline = opt.seconds * 1000;
	R.udev = R.my_scm = R.canary_memfd = -1;
	for (i = 0; i < MAXCHILD; i++)
		R.scm[i] = R.child[i] = -1;
	for (i = 0; i < NSLOT; i++)
		pool[i] = -1;
	memset(sh, 0, sizeof(*sh));
	sh->budget = opt.n_ops / opt.rounds + (r == opt.rounds ? opt.n_ops % opt.rounds : 0);
	if ((opt.only && opt.only != r) || round_ms() >= R.deadline) {
		printf("ok %d - round %d seed %llu ops 0 # SKIP %s\n", r, r, opt.seed,
		       opt.only && opt.only != r ? "not the -r round" : "-t reached");
		return 0;
	}

	/* the baseline; a report that came after the last round's check counts here */
	if (kmsg_scan())
		finding(NULL, "kernel log lines with a finding before the round began");
	slab0 = slab_kb();
	sunr0 = meminfo_line_kb("\nSUnreclaim:");
	fds0 = fd_count();
	fd_list(fdset0, sizeof(fdset0));
	buf0 = bufinfo_count(ino0, ARRAY_SIZE(ino0), &nino0);
	/* without it a leaked dma-buf would go unseen */
	if (buf0 < 0)
		finding(NULL, "debugfs dma_buf/bufinfo unreadable: no leak check of dma-bufs");

	t0 = round_ms();
	open_round();
	if (!R.nheap)
		finding(NULL, "no dma-buf heap to allocate from");
	canaries_make();
	if (run_workers(opt.threads, 0)) {
		/* a thread is stuck in the kernel: report and leave it there */
		kmsg_scan();
		for (i = 0; i < sh->nmsg && i < MAXMSG; i++)
			printf("# %s\n", sh->msg[i]);
		for (i = 0; i < opt.threads; i++)
			printf("# %s\n", hist[i]);
		printf("not ok %d - round %d seed %llu ops %d\n", r, r, opt.seed, sh->claimed);
		fflush(stdout);
		_exit(1);
	}
	t0 = round_ms() - t0;
	ops = sh->claimed < sh->budget ? sh->claimed : sh->budget;
	end_round(fds0, fdset0, buf0, ino0, nino0, slab0, sunr0);
	printf("# round %d: seed %#llx, %d ops in %d ms, %d ops/s\n", r, R.seed, ops, t0,
	       t0 ? (int)(ops * 1000LL / t0) : 0);
	for (i = 0; i < sh->nmsg && i < MAXMSG; i++)
		printf("# %s\n", sh->msg[i]);
	if (sh->nmsg > MAXMSG)
		printf("# ... and %d more\n", sh->nmsg - MAXMSG);
	if (sh->findings) {
		for (i = 0; i < opt.threads && i < MAXW; i++)
			printf("# %s\n", hist[i]);
		printf("# reproduce: dmabuf-fuzz -s %llu -n %d -R %d -j %d -t %d -L %ld -r %d\n",
		       opt.seed, opt.n_ops, opt.rounds, opt.threads, opt.seconds, opt.slab_tol, r);
	}
	printf("%sok %d - round %d seed %llu ops %d\n", sh->findings ? "not " : "", r, r,
	       opt.seed, ops);
	fflush(stdout);
	return sh->findings;
}

/* ---- setup ----------------------------------------------------------------- */

static void find_devices(void)
{
	struct dma_heap_allocation_data a = { .len = PG, .fd_flags = O_RDWR | O_CLOEXEC };
	struct dirent *e;
	struct stat st;
	int fd;
	DIR *d = opendir("/dev/dma_heap");

	/* the CMA heap: whichever is not "system" ("reserved" with cma=64M) */
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "system"))
			snprintf(cma_name, sizeof(cma_name), "%.63s", e->d_name);
	if (d)
		closedir(d);
	fd = open("/dev/dma_heap/system", O_RDWR | O_CLOEXEC);
	if (fd >= 0 && !ioctl(fd, DMA_HEAP_IOCTL_ALLOC, &a)) {
		if (!fstat((int)a.fd, &st))
			dmabuf_dev = st.st_dev;
		close((int)a.fd);
	}
	if (fd >= 0)
		close(fd);
	fd = drm_open("vgem", drm_path, sizeof(drm_path));
	if (fd >= 0)
		close(fd);
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct timespec ts, rt;
	long total = 0;
	int c, r, findings = 0, failed = 0;

	if (argc == 3 && !strcmp(argv[1], "--child-exec"))
		return exec_child(argv[2]);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	clock_gettime(CLOCK_REALTIME, &rt);
	t0_sec = ts.tv_sec;
	/*
	 * A fixed default: make test's bounded round does the same each run
	 * (a red CI reproduces); make fuzz passes a new seed per run.
	 */
	opt.seed = 1;
	while ((c = getopt(argc, argv, "n:s:t:j:R:L:r:v")) != -1) {
		switch (c) {
		case 'n': opt.n_ops = atoi(optarg); break;
		case 's': opt.seed = strtoull(optarg, NULL, 0); break;
		case 't': opt.seconds = atoi(optarg); break;
		case 'j': opt.threads = atoi(optarg); break;
		case 'R': opt.rounds = atoi(optarg); break;
		case 'L': opt.slab_tol = atol(optarg); break;
		case 'r': opt.only = atoi(optarg); break;
		case 'v': opt.verbose = 1; break;
		default: opt.rounds = 0;
		}
	}
	if (optind < argc || opt.n_ops < 0 || opt.rounds < 1 || opt.threads < 1 ||
	    opt.threads > MAXW || opt.seconds < 1 || opt.only < 0 || opt.only > opt.rounds) {
		fprintf(stderr, "usage: %s [-n OPS] [-s SEED] [-t SECONDS] [-j THREADS 1-%d] "
			"[-R ROUNDS] [-L KIB] [-r ROUND] [-v]\n", argv[0], MAXW);
		return 2;
	}
	for (c = 0; c < (int)ARRAY_SIZE(ops); c++)
		total_weight += ops[c].weight;

	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	none_page = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || none_page == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg < 0) {
		/* the kernel log is half of what a round checks */
		printf("Bail out! /dev/kmsg: %s\n", strerror(errno));
		return 2;
	}
	lseek(kmsg, 0, SEEK_END);
	find_devices();

	printf("TAP version 13\n1..%d\n", opt.rounds);
	printf("# dmabuf-fuzz %d-bit: seed %llu, %d ops, %d rounds, %d threads, -t %d s, "
	       "-L %ld kB; heaps system %s, udmabuf %s, vgem %s%s\n", (int)sizeof(void *) * 8,
	       opt.seed, opt.n_ops, opt.rounds, opt.threads, opt.seconds, opt.slab_tol,
	       cma_name[0] ? cma_name : "(no CMA heap)", access("/dev/udmabuf", F_OK) ? "absent" :
	       "present", drm_path[0] ? drm_path : "absent", kmsg < 0 ? "; no /dev/kmsg" : "");
	fflush(stdout);
	for (r = 1; r <= opt.rounds; r++) {
		c = run_round(r);
		findings += c;
		failed += !!c;
		total += sh->claimed < sh->budget ? sh->claimed : sh->budget;
	}
	printf("# total ops %ld seed %llu threads %d rounds %d findings %d\n", total, opt.seed,
	       opt.threads, opt.rounds, findings);
	return !!failed;
}
