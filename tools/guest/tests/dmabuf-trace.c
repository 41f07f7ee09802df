// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-trace: TAP-13 test of the dma_buf trace events
 * (include/trace/events/dma_buf.h), whose names, fields and print formats
 * are those of later upstream kernels so that their trace tools read ours.
 *
 * What is observed, all from userspace through tracefs: the list of
 * events under events/dma_buf, each event's format file (fields in order,
 * with their types, sizes and signedness, and the print format), and the
 * text of the trace buffer while this program drives buffers through
 * their life: a system-heap buffer allocated, mmapped (also past its end,
 * which must fail untraced), dup()ed and closed; a heap allocation refused
 * an fd (RLIMIT_NOFILE), which must trace its export and its put and no
 * fd; a udmabuf, whose fd comes from dma_buf_fd(); and a heap buffer that
 * vgem imports with PRIME (get, attach, put) and drops on GEM_CLOSE
 * (detach, put).  Every line of ours must parse with the event's print
 * format, come from this process, and name the buffer by the st_ino of
 * an fstat() of its fd, with exporter name and size.  A trace_marker line
 * separates the import from the close in the vgem case.
 *
 * The program pins itself to one CPU, so that its events are in one
 * per-CPU buffer in the order they happened.  Everything skips without
 * tracefs or without the events (a kernel without CONFIG_EVENT_TRACING or
 * without this series); the udmabuf and vgem cases skip without
 * /dev/udmabuf or a vgem DRM node.  The events are switched off again at
 * the end, and the trace buffer is left empty.
 *
 * Without arguments it prints TAP and exits 0 iff every case passed.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "tap.h"

/*
 * The few DRM ioctls the vgem case needs, as include/uapi/drm/drm.h has
 * them (not every build host has that header installed).
 */
struct drm_prime_handle_ {
	__u32 handle;
	__u32 flags;
	__s32 fd;
};

struct drm_gem_close_ {
	__u32 handle;
	__u32 pad;
};

#define DRM_IOCTL_GEM_CLOSE_		_IOW('d', 0x09, struct drm_gem_close_)
#define DRM_IOCTL_PRIME_FD_TO_HANDLE_	_IOWR('d', 0x2e, struct drm_prime_handle_)

_Static_assert(DRM_IOCTL_GEM_CLOSE_ == 0x40086409u, "DRM_IOCTL_GEM_CLOSE");
_Static_assert(DRM_IOCTL_PRIME_FD_TO_HANDLE_ == 0xc00c642eu, "DRM_IOCTL_PRIME_FD_TO_HANDLE");

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define HEAP_PATH	"/dev/dma_heap/system"
#define MAX_EVENTS	1024

/* ---- the contract: upstream's events and their layout ------------------- */

enum ev_class { C_BUF, C_FD, C_ATTACH };

/* one field after the common ones: "type name" as the format file has it */
struct field_want {
	const char *decl;
	int size;	/* bytes; 0: the kernel's long (size_t, ino_t, pointers) */
	int is_signed;
};

static const struct field_want buf_fields[] = {
	{ "__data_loc char[] exp_name", 4, 0 },
	{ "size_t size", 0, 0 },
	{ "ino_t ino", 0, 0 },
	{ NULL, 0, 0 },
};

static const struct field_want fd_fields[] = {
	{ "__data_loc char[] exp_name", 4, 0 },
	{ "size_t size", 0, 0 },
	{ "ino_t ino", 0, 0 },
	{ "int fd", 4, 1 },
	{ NULL, 0, 0 },
};

static const struct field_want attach_fields[] = {
	{ "__data_loc char[] dev_name", 4, 0 },
	{ "__data_loc char[] exp_name", 4, 0 },
	{ "size_t size", 0, 0 },
	{ "ino_t ino", 0, 0 },
	{ "struct dma_buf_attachment * attach", 0, 0 },
	{ "bool is_dynamic", 1, 0 },
	{ NULL, 0, 0 },
};

static const struct {
	const struct field_want *fields;
	const char *fmt;	/* the print format's string */
	const char *args;	/* and what it prints */
} classes[] = {
	[C_BUF] = { buf_fields, "exp_name=%s size=%zu ino=%lu",
		    "__get_str(exp_name), REC->size, REC->ino" },
	[C_FD] = { fd_fields, "exp_name=%s size=%zu ino=%lu fd=%d",
		   "__get_str(exp_name), REC->size, REC->ino, REC->fd" },
	[C_ATTACH] = { attach_fields,
		       "exp_name=%s size=%zu ino=%lu attachment:%p is_dynamic=%d dev_name=%s",
		       "__get_str(exp_name), REC->size, REC->ino, REC->attach, "
		       "REC->is_dynamic, __get_str(dev_name)" },
};

static const struct {
	const char *name;
	enum ev_class class;
} events[] = {
	{ "dma_buf_export", C_BUF },
	{ "dma_buf_mmap_internal", C_BUF },
	{ "dma_buf_mmap", C_BUF },
	{ "dma_buf_put", C_BUF },
	{ "dma_buf_dynamic_attach", C_ATTACH },
	{ "dma_buf_detach", C_ATTACH },
	{ "dma_buf_fd", C_FD },
	{ "dma_buf_get", C_FD },
};

/* ---- tracefs -------------------------------------------------------------- */

static char tr[64];		/* the tracefs root in use, "" if none */
static const char *no_trace;	/* why every case skips, or NULL */
static char was_on[2] = "1";	/* tracing_on before we set it */
static long pgsz;
static int heap = -1;

static int tr_write(const char *file, const char *s)
{
	char path[128];
	int fd, ret = -1;

	snprintf(path, sizeof(path), "%s/%s", tr, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, s, strlen(s)) == (ssize_t)strlen(s))
		ret = 0;
	close(fd);
	return ret;
}

static char *tr_read(const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", tr, file);
	return read_text(path);
}

static bool tr_has(const char *root, const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", root, file);
	return !access(path, F_OK);
}

/*
 * tracefs where it is (mounted at /sys/kernel/tracing, or debugfs's
 * automount), else mounted at /sys/kernel/tracing.  Sets no_trace if
 * there is none, or no dma_buf events in it.
 */
static void find_tracefs(void)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	unsigned int i;

	if (!tr_has(roots[0], "trace"))
		mount("nodev", roots[0], "tracefs", 0, NULL);
	for (i = 0; i < ARRAY_SIZE(roots); i++) {
		if (tr_has(roots[i], "trace")) {
			snprintf(tr, sizeof(tr), "%s", roots[i]);
			break;
		}
	}
	if (!tr[0])
		no_trace = "no tracefs";
	else if (!tr_has(tr, "events/dma_buf/enable"))
		no_trace = "no dma_buf trace events";
}

/* Switch the events on, over an empty buffer. */
static bool trace_start(void)
{
	return EXPECT(!tr_write("events/dma_buf/enable", "1") && !tr_write("trace", ""),
		      "enabling events/dma_buf in %s: %s", tr, strerror(errno));
}

static void trace_marker(const char *what)
{
	EXPECT(!tr_write("trace_marker", what), "trace_marker: %s", strerror(errno));
}

/* ---- the trace buffer, parsed --------------------------------------------- */

struct ev {
	char name[32];		/* without "dma_buf_"; "|" for our marker */
	char exp_name[64];
	unsigned long long size, ino;
	int fd;
	char attach[32];	/* as printed: %p, hashed */
	int is_dynamic;
	char dev_name[64];
};

static struct ev evs[MAX_EVENTS];
static unsigned int nevs;

static int class_of(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(events); i++)
		if (!strcmp(events[i].name, name))
			return events[i].class;
	return -1;
}

/* @p, an event's text, read back with its print format, to the end */
static bool parse_payload(struct ev *e, int class, const char *p)
{
	int n = -1;

	switch (class) {
	case C_BUF:
		sscanf(p, "exp_name=%63s size=%llu ino=%llu%n", e->exp_name,
		       &e->size, &e->ino, &n);
		break;
	case C_FD:
		sscanf(p, "exp_name=%63s size=%llu ino=%llu fd=%d%n", e->exp_name,
		       &e->size, &e->ino, &e->fd, &n);
		break;
	case C_ATTACH:
		sscanf(p, "exp_name=%63s size=%llu ino=%llu attachment:%31s is_dynamic=%d dev_name=%63s%n",
		       e->exp_name, &e->size, &e->ino, e->attach, &e->is_dynamic,
		       e->dev_name, &n);
		break;
	}
	return n >= 0 && !p[n];
}

/*
 * Switch the events off and read what this process traced: each dma_buf
 * line, and each of our markers (as "|"), in buffer order.  Any dma_buf
 * line of ours that does not read back with its print format fails.
 */
static void trace_collect(void)
{
	char *save, *line, *p, *q, pidtag[24], full[48];

	nevs = 0;
	EXPECT(!tr_write("events/dma_buf/enable", "0"), "disabling events: %s", strerror(errno));
	if (!EXPECT(tr_read("trace"), "reading %s/trace: %s", tr, strerror(errno)))
		return;
	snprintf(pidtag, sizeof(pidtag), "-%d ", (int)getpid());
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct ev *e = &evs[nevs];
		int class;

		if (line[0] == '#')
			continue;
		EXPECT(!strstr(line, "[LOST "), "trace buffer: %s", line);
		p = strstr(line, ": dma_buf_");
		q = strstr(line, ": tracing_mark_write: dmabuf-trace ");
		if (!p && !q)
			continue;
		/* the task is "comm-pid" before the event */
		*(p ? p : q) = 0;
		if (!strstr(line, pidtag))
			continue;
		if (!EXPECT(nevs < MAX_EVENTS, "more than %d events", MAX_EVENTS))
			return;
		memset(e, 0, sizeof(*e));
		if (q) {
			e->name[0] = '|';
			nevs++;
			continue;
		}
		p += strlen(": dma_buf_");
		q = strstr(p, ": ");
		if (!EXPECT(q && q - p < (long)sizeof(e->name) - 8, "no event name: %s", p))
			continue;
		*q = 0;
		snprintf(e->name, sizeof(e->name), "%s", p);
		snprintf(full, sizeof(full), "dma_buf_%s", e->name);
		class = class_of(full);
		if (!EXPECT(class >= 0, "unknown event dma_buf_%s", e->name))
			continue;
		if (EXPECT(parse_payload(e, class, q + 2), "dma_buf_%s: \"%s\" does not read back "
			   "with \"%s\"", e->name, q + 2, classes[class].fmt))
			nevs++;
	}
}

/*
 * The events of the buffer with inode @ino, and the markers, as a line of
 * names ("export fd mmap_internal"); the markers at either end are left
 * out unless an event of the buffer is on that side.
 */
static const char *seq_of(unsigned long long ino, char *out, size_t len)
{
	unsigned int i, first = nevs, last = 0;
	size_t n = 0;

	out[0] = 0;
	for (i = 0; i < nevs; i++)
		if (strcmp(evs[i].name, "|") && evs[i].ino == ino) {
			if (first == nevs)
				first = i;
			last = i;
		}
	for (i = first; i < nevs && i <= last; i++)
		if (!strcmp(evs[i].name, "|") || evs[i].ino == ino)
			n += snprintf(out + n, n < len ? len - n : 0, "%s%s", n ? " " : "",
				      evs[i].name);
	return out;
}

/* a line of names split at the spaces, in place; at most @max of them */
static int split(char *line, char **tok, int max)
{
	char *save, *t;
	int n = 0;

	for (t = strtok_r(line, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	return n;
}

/*
 * Do the names seq[si..ns) match the pattern pat[pi..np)?  A pattern name
 * may end in "+" (one or more of it) or "*" (any number).
 */
static bool match(char **seq, int si, int ns, char **pat, int pi, int np)
{
	size_t len;
	char rep;
	bool same;

	if (pi == np)
		return si == ns;
	len = strlen(pat[pi]);
	rep = pat[pi][len - 1];
	if (rep != '+' && rep != '*')
		rep = 0;
	else
		len--;
	same = si < ns && strlen(seq[si]) == len && !strncmp(seq[si], pat[pi], len);
	switch (rep) {
	case '*':
		return match(seq, si, ns, pat, pi + 1, np) ||
		       (same && match(seq, si + 1, ns, pat, pi, np));
	case '+':
		return same && (match(seq, si + 1, ns, pat, pi, np) ||
				match(seq, si + 1, ns, pat, pi + 1, np));
	default:
		return same && match(seq, si + 1, ns, pat, pi + 1, np);
	}
}

static bool seq_match(const char *seq, const char *pat)
{
	char s[512], p[128], *st[64], *pt[16];
	int ns, np;

	snprintf(s, sizeof(s), "%s", seq);
	snprintf(p, sizeof(p), "%s", pat);
	ns = split(s, st, ARRAY_SIZE(st));
	np = split(p, pt, ARRAY_SIZE(pt));
	return match(st, 0, ns, pt, 0, np);
}

/* the events of @ino must be @pat, and say @exp_name and @size */
static void expect_buf(unsigned long long ino, const char *pat, const char *exp_name,
		       unsigned long long size)
{
	char seq[512];
	unsigned int i;

	EXPECT(seq_match(seq_of(ino, seq, sizeof(seq)), pat),
	       "ino %llu: events \"%s\", want \"%s\"", ino, seq, pat);
	for (i = 0; i < nevs; i++) {
		const struct ev *e = &evs[i];

		if (strcmp(e->name, "|") && e->ino == ino)
			EXPECT(!strcmp(e->exp_name, exp_name) && e->size == size,
			       "ino %llu: dma_buf_%s exp_name=%s size=%llu, want %s %llu",
			       ino, e->name, e->exp_name, e->size, exp_name, size);
	}
}

/* the only event @name of @ino */
static const struct ev *the_ev(unsigned long long ino, const char *name)
{
	const struct ev *found = NULL;
	unsigned int i;

	for (i = 0; i < nevs; i++)
		if (evs[i].ino == ino && !strcmp(evs[i].name, name)) {
			if (found)
				return NULL;
			found = &evs[i];
		}
	return found;
}

/* ---- buffers -------------------------------------------------------------- */

/* a system-heap buffer of @len bytes: its fd, or -1 with errno */
static int heap_buf(unsigned long long len)
{
	struct dma_heap_allocation_data d = { .len = len, .fd_flags = O_RDWR | O_CLOEXEC };

	return ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d) ? -1 : (int)d.fd;
}

static unsigned long long ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long long)st.st_ino;
}

#define NEED_TRACE()							\
	do {								\
		if (no_trace) {						\
			case_skip = no_trace;				\
			return;						\
		}							\
	} while (0)

#define NEED_HEAP()							\
	do {								\
		NEED_TRACE();						\
		if (heap < 0) {						\
			case_skip = "no " HEAP_PATH;			\
			return;						\
		}							\
	} while (0)

/* ---- cases ---------------------------------------------------------------- */

static void t_events(void)
{
	bool seen[ARRAY_SIZE(events)] = { false };
	char path[128];
	struct dirent *d;
	unsigned int i;
	DIR *dir;

	NEED_TRACE();
	snprintf(path, sizeof(path), "%s/events/dma_buf", tr);
	dir = opendir(path);
	SETUP(dir);
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.' || !strcmp(d->d_name, "enable") ||
		    !strcmp(d->d_name, "filter"))
			continue;
		for (i = 0; i < ARRAY_SIZE(events); i++)
			if (!strcmp(d->d_name, events[i].name))
				break;
		if (EXPECT(i < ARRAY_SIZE(events), "events/dma_buf/%s: not upstream's", d->d_name))
			seen[i] = true;
	}
	closedir(dir);
	for (i = 0; i < ARRAY_SIZE(events); i++)
		EXPECT(seen[i], "events/dma_buf/%s missing", events[i].name);
}

/* one event's format file against its class */
static void check_format(const char *name, enum ev_class class)
{
	const struct field_want *w = classes[class].fields;
	char path[160], want[256], *line, *save;
	int longsz = -1, nfield = 0;
	bool fmt_seen = false, name_ok = false;

	snprintf(path, sizeof(path), "%s/events/dma_buf/%s/format", tr, name);
	if (!EXPECT(read_text(path), "%s: %s", path, strerror(errno)))
		return;
	snprintf(want, sizeof(want), "print fmt: \"%s\", %s", classes[class].fmt,
		 classes[class].args);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char decl[128];
		int size, sign;
		const char *p;

		if (!strncmp(line, "name: ", 6))
			name_ok = !strcmp(line + 6, name);
		if (!strncmp(line, "print fmt: ", 11)) {
			fmt_seen = true;
			EXPECT(!strcmp(line, want), "%s: %s, want %s", name, line, want);
		}
		p = strstr(line, "field:");
		if (!p || sscanf(p, "field:%127[^;];", decl) != 1 || strstr(decl, " common_"))
			continue;
		p = strstr(p, "size:");
		if (!EXPECT(p && sscanf(p, "size:%d;", &size) == 1 && strstr(p, "signed:") &&
			    sscanf(strstr(p, "signed:"), "signed:%d;", &sign) == 1,
			    "%s: unreadable field line \"%s\"", name, line))
			continue;
		if (!EXPECT(w->decl, "%s: field \"%s\" beyond upstream's", name, decl))
			continue;
		EXPECT(!strcmp(decl, w->decl), "%s: field %d is \"%s\", want \"%s\"", name,
		       nfield, decl, w->decl);
		/* size_t, ino_t and the pointer are the kernel's long, all alike */
		if (!w->size && longsz < 0)
			longsz = size;
		EXPECT(size == (w->size ? w->size : longsz) && (longsz == 4 || longsz == 8 || w->size),
		       "%s: %s has size %d", name, decl, size);
		EXPECT(sign == w->is_signed, "%s: %s has signed:%d", name, decl, sign);
		w++;
		nfield++;
	}
	EXPECT(name_ok, "%s: no \"name: %s\" line", path, name);
	EXPECT(fmt_seen, "%s: no print fmt", path);
	EXPECT(!w->decl, "%s: %d fields, want more (next: %s)", name, nfield, w->decl);
}

static void t_formats(void)
{
	unsigned int i;

	NEED_TRACE();
	for (i = 0; i < ARRAY_SIZE(events); i++)
		check_format(events[i].name, events[i].class);
}

/*
 * ALLOC traces export, then fd (the heap reserves the fd, copies it out,
 * traces, installs); an mmap() of the fd traces mmap_internal, but only
 * once it is known to fit.  dup() and close() trace nothing: the last
 * close releases the file, it is not a driver's dma_buf_put().
 */
static void t_heap_life(void)
{
	unsigned long long len = 3 * pgsz, ino;
	const struct ev *e;
	int fd, fd2;
	void *m;

	NEED_HEAP();
	if (!trace_start())
		return;
	fd = heap_buf(len);
	SETUP(fd >= 0);
	ino = ino_of(fd);
	m = mmap(NULL, pgsz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pgsz);
	EXPECT(m != MAP_FAILED, "mmap of page 1: %s", strerror(errno));
	EXPECT(mmap(NULL, 4 * pgsz, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EINVAL,
	       "mmap past the end: %s, want EINVAL", strerror(errno));
	fd2 = dup(fd);
	EXPECT(fd2 >= 0, "dup: %s", strerror(errno));
	CLOSE(fd, fd2);
	if (m != MAP_FAILED)
		munmap(m, pgsz);
	trace_collect();

	EXPECT(ino, "fstat: %s", strerror(errno));
	expect_buf(ino, "export fd mmap_internal", "system", len);
	e = the_ev(ino, "fd");
	if (e)
		EXPECT(e->fd == fd, "dma_buf_fd: fd=%d, ALLOC gave %d", e->fd, fd);
}

/*
 * With no fd left under RLIMIT_NOFILE, ALLOC fails with EMFILE after the
 * export: the heap drops the buffer with dma_buf_put(), its last
 * reference.  The put is traced (the core does it before the fput(),
 * while the buffer is alive), and no fd is.
 */
static void t_heap_emfile(void)
{
	unsigned long long len = 5 * pgsz, ino = 0;
	struct rlimit old, lim;
	unsigned int i;
	int fd, lowest, err;

	NEED_HEAP();
	SETUP(!getrlimit(RLIMIT_NOFILE, &old));
	lowest = fcntl(heap, F_DUPFD_CLOEXEC, 0);
	SETUP(lowest >= 0);
	close(lowest);
	if (!trace_start())
		return;
	lim = old;
	lim.rlim_cur = lowest;
	SETUP(!setrlimit(RLIMIT_NOFILE, &lim));
	fd = heap_buf(len);
	err = errno;
	setrlimit(RLIMIT_NOFILE, &old);
	if (fd >= 0)
		close(fd);
	trace_collect();

	EXPECT(fd < 0 && err == EMFILE, "ALLOC under RLIMIT_NOFILE %d: %d (%s), want EMFILE",
	       lowest, fd, fd < 0 ? strerror(err) : "an fd");
	/* the export of our size tells the inode */
	for (i = 0; i < nevs; i++)
		if (!strcmp(evs[i].name, "export") && evs[i].size == len)
			ino = evs[i].ino;
	if (EXPECT(ino, "no dma_buf_export of %llu bytes", len))
		expect_buf(ino, "export put", "system", len);
}

/* udmabuf's fd comes from dma_buf_fd() itself: export, then fd */
static void t_udmabuf(void)
{
	unsigned long long len = 2 * pgsz, ino;
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = len };
	const struct ev *e;
	int udev, memfd, fd;

	NEED_TRACE();
	udev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (udev < 0) {
		case_skip = "no /dev/udmabuf";
		return;
	}
	memfd = memfd_create("dmabuf-trace", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, len) || fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		CLOSE(udev, memfd);
		SETUP(0);
	}
	c.memfd = memfd;
	if (!trace_start()) {
		CLOSE(udev, memfd);
		return;
	}
	fd = ioctl(udev, UDMABUF_CREATE, &c);
	EXPECT(fd >= 0, "UDMABUF_CREATE: %s", strerror(errno));
	ino = fd >= 0 ? ino_of(fd) : 0;
	CLOSE(fd, memfd, udev);
	trace_collect();

	if (!ino)
		return;
	expect_buf(ino, "export fd", "udmabuf", len);
	e = the_ev(ino, "fd");
	if (e)
		EXPECT(e->fd == fd, "dma_buf_fd: fd=%d, UDMABUF_CREATE gave %d", e->fd, fd);
}

/*
 * vgem imports a heap buffer: PRIME_FD_TO_HANDLE traces dma_buf_get (with
 * our fd), the attachment of the vgem device (a static importer) and the
 * put of the lookup's reference; GEM_CLOSE, after the marker, traces the
 * detach of that same attachment and the puts of the DRM core's
 * references, the last after the detach.  How many puts the DRM core
 * makes is its business; where ours are is the test's.
 */
static void t_vgem_import(void)
{
	unsigned long long len = 4 * pgsz, ino;
	struct drm_prime_handle_ p = { .fd = -1 };
	const struct ev *get, *at, *de;
	int drm, fd, ret;

	NEED_HEAP();
	drm = drm_open("vgem", NULL, 0);
	if (drm < 0) {
		case_skip = "no vgem DRM device";
		return;
	}
	fd = heap_buf(len);
	if (fd < 0)
		close(drm);
	SETUP(fd >= 0);
	ino = ino_of(fd);
	if (!trace_start()) {
		CLOSE(fd, drm);
		return;
	}
	p.fd = fd;
	ret = ioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE_, &p);
	EXPECT(!ret, "PRIME_FD_TO_HANDLE: %s", strerror(errno));
	trace_marker("dmabuf-trace gem_close");
	if (!ret) {
		struct drm_gem_close_ c = { .handle = p.handle };

		EXPECT(!ioctl(drm, DRM_IOCTL_GEM_CLOSE_, &c), "GEM_CLOSE: %s", strerror(errno));
	}
	CLOSE(fd, drm);
	trace_collect();

	if (ret)
		return;
	expect_buf(ino, "get dynamic_attach put+ | put* detach put+", "system", len);
	get = the_ev(ino, "get");
	at = the_ev(ino, "dynamic_attach");
	de = the_ev(ino, "detach");
	if (get)
		EXPECT(get->fd == fd, "dma_buf_get: fd=%d, want %d", get->fd, fd);
	if (at)
		EXPECT(!strcmp(at->dev_name, "vgem") && !at->is_dynamic,
		       "dma_buf_dynamic_attach: dev_name=%s is_dynamic=%d, want vgem 0",
		       at->dev_name, at->is_dynamic);
	if (at && de)
		EXPECT(!strcmp(de->attach, at->attach) && !strcmp(de->dev_name, "vgem") &&
		       !de->is_dynamic, "dma_buf_detach: attachment:%s dev_name=%s is_dynamic=%d, "
		       "want %s vgem 0", de->attach, de->dev_name, de->is_dynamic, at->attach);
}

static const struct tap_case cases[] = {
	{ t_events, "events/dma_buf has upstream's 8 events, and only those" },
	{ t_formats, "each format: upstream's fields in order, sizes, signedness, print fmt" },
	{ t_heap_life, "heap ALLOC, mmap, dup, close: export, fd, mmap_internal; ino = st_ino" },
	{ t_heap_emfile, "heap ALLOC refused an fd (EMFILE): export, put, no fd" },
	{ t_udmabuf, "UDMABUF_CREATE (dma_buf_fd()): export, fd with its fd" },
	{ t_vgem_import, "vgem PRIME import and GEM_CLOSE: get, attach, put | detach, put" },
};

/* one CPU: our events in one per-CPU buffer, in the order they happened */
static void pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		printf("# sched_setaffinity: %s\n", strerror(errno));
}

int main(void)
{
	unsigned int n = ARRAY_SIZE(cases);
	const char *on;
	int ret, heap_err;

	pgsz = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%u\n", n);
	pin_cpu();
	heap = open(HEAP_PATH, O_RDWR | O_CLOEXEC);
	heap_err = errno;
	find_tracefs();
	if (!no_trace) {
		on = tr_read("tracing_on");
		was_on[0] = on && on[0] == '0' ? '0' : '1';
		tr_write("events/dma_buf/enable", "0");
		tr_write("tracing_on", "1");
	}
	printf("# %s, page %ld, tracefs %s%s%s, %s %s\n", sizeof(void *) == 8 ? "64-bit" : "32-bit",
	       pgsz, tr[0] ? tr : "none", no_trace ? ": " : "", no_trace ? no_trace : "",
	       HEAP_PATH, heap >= 0 ? "yes" : strerror(heap_err));

	ret = run_cases(cases, n);
	if (!no_trace) {
		tr_write("events/dma_buf/enable", "0");
		tr_write("trace", "");
		tr_write("tracing_on", was_on);
	}
	return ret;
}
