// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the in-kernel sync_file interface: sync_file_create(),
 * which wraps a fence in a file, sync_file_get_fence(), which takes the
 * fence back out of a descriptor, sync_file_get_name(), and the file's
 * poll and release.
 *
 * Only the interface of include/linux/sync_file.h and the behaviour its
 * kernel-doc (and that of Linux 6.12) promises are checked, so the suite
 * can be run against any implementation of that interface.
 */

/**
 * DOC: sync-file KUnit suite
 *
 * What is mocked: the fences, with the counted mock fences of
 * selftests/mock-fence.h; the naming cases give them driver and timeline
 * names of their own. The containers of the container case are real
 * dma_fence_array and dma_fence_chain objects. A file that is not a
 * sync_file is an anonymous inode of this file's, named "sync_file" on
 * purpose and carrying a decoy &struct sync_file, so that a lookup that
 * goes by name or trusts private_data hands out the decoy's fence.
 *
 * What is observed: return values, the fence's reference count, the
 * file's reference count, name and mode, the public fields of &struct
 * sync_file, what poll() answers and which wait queue it registers with,
 * the callbacks pending on a fence (counted under the fence lock, and only
 * while the fence is pending: a signalled fence reuses that list head for
 * its timestamp), a callback of the case's own on the same fence, the
 * WARN taint when it was clear before, and the per-case balance of the
 * mock book (every mock fence initialised is released exactly once).
 *
 * Descriptors: the KUnit thread is a kthread and shares init's file
 * table. Cases install a sync_file with get_unused_fd_flags() and
 * fd_install() of a reference of their own, and close_fd() it, which never
 * drops the last reference; the last one is dropped with __fput_sync(), so
 * the release has run when it returns and not in the delayed-fput worker.
 *
 * 6.12 rules pinned down here: the file is an anonymous inode named
 * "sync_file", opened read-only; a new sync_file has no user name and no
 * callback armed; sync_file_get_fence() checks the file operations, not
 * the name, and gives its file reference back; a generated name is
 * "<driver>-<timeline><context>-<seqno>" with the seqno printed signed, so
 * a 64-bit seqno above S64_MAX comes out negative; the name is cut to the
 * buffer and always terminated; poll() arms one callback however often it
 * is called, answers EPOLLIN once the fence is signalled, with or without
 * an error, and nothing before; release takes an armed callback off a
 * pending fence.
 *
 * Fault injection: with CONFIG_FAULT_INJECTION,
 * create_fails_cleanly_at_every_allocation walks the failure points of
 * sync_file_create() one at a time through ``current->fail_nth`` and
 * requires at least one. It relies on the dma_buf_fail_alloc() hook of
 * this tree (dma-buf-fault.h); 6.12's sync_file.c has none, so the case
 * fails against it (unless the slab's own fault injection is armed).
 *
 * Not exercised: the ioctls (SYNC_IOC_MERGE, SYNC_IOC_FILE_INFO,
 * SYNC_IOC_SET_DEADLINE), which need user memory, fdinfo, and races
 * between poll, signal and release on different CPUs.
 *
 * Built in only: sync_file_get_name() is not exported, so in a module
 * build the naming cases skip.
 *
 * Locking: every call is made from the case's thread, in process context,
 * with no lock held; fence callbacks only count. Meant to run with
 * PROVE_LOCKING. A case that finds a callback of a released sync_file
 * still on a fence never signals that fence: it leaks it instead, and the
 * mock book reports the leak.
 *
 * Running: ``./tools/testing/kunit/kunit.py run --arch=x86_64
 * --kunitconfig=drivers/dma-buf 'sync-file'`` from the top of a kernel
 * tree.
 */

#include <kunit/test.h>

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-fence-chain.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/panic.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sync_file.h>
#include <linux/wait.h>

#include "../dma-buf-fault.h"
#include "mock-fence.h"

/* More than sync_file_create() has allocation points. */
#define SFT_FAULT_STEPS		16
/* Bound for a deferred fput to be done with. */
#define SFT_SETTLE		(5 * HZ)
/* Room for every name of the naming cases, and for the canary after it. */
#define SFT_NAME_BUF		64
#define SFT_CANARY		0x5a

/* Fences */

static const char *sft_driver_name(struct dma_fence *fence)
{
	return "sft-driver";
}

static const char *sft_timeline_name(struct dma_fence *fence)
{
	return "sft-timeline";
}

/* Mock fences with a driver and a timeline name that differ. */
static const struct dma_fence_ops sft_named_ops32 = {
	.get_driver_name = sft_driver_name,
	.get_timeline_name = sft_timeline_name,
	.release = mock_fence_release,
};

static const struct dma_fence_ops sft_named_ops64 = {
	.use_64bit_seqno = true,
	.get_driver_name = sft_driver_name,
	.get_timeline_name = sft_timeline_name,
	.release = mock_fence_release,
};

static struct dma_fence *sft_named_fence(struct mock_book *book, bool wide,
					 u64 context, u64 seqno)
{
	struct dma_fence *fence;

	fence = __mock_fence(book, wide ? &sft_named_ops64 : &sft_named_ops32,
			     context, seqno, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(book->test, fence);
	return fence;
}

static struct dma_fence *sft_fence(struct mock_book *book)
{
	return mock_fence(book, dma_fence_context_alloc(1), 1);
}

static unsigned int sft_refs(struct dma_fence *fence)
{
	return kref_read(&fence->refcount);
}

/* Callbacks pending on @fence, which must not have signalled. */
static size_t sft_callbacks(struct dma_fence *fence)
{
	unsigned long flags;
	size_t n;

	spin_lock_irqsave(fence->lock, flags);
	n = list_count_nodes(&fence->cb_list);
	spin_unlock_irqrestore(fence->lock, flags);
	return n;
}

/* A callback of the case's own, counting its calls. */
struct sft_sentinel {
	struct dma_fence_cb cb;
	atomic_t calls;
};

static void sft_sentinel_fn(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct sft_sentinel *s = container_of(cb, struct sft_sentinel, cb);

	atomic_inc(&s->calls);
}

/* Whether @cb is the only callback pending on @fence (not signalled). */
static bool sft_only_callback(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	unsigned long flags;
	bool only;

	spin_lock_irqsave(fence->lock, flags);
	only = list_is_singular(&fence->cb_list) &&
	       fence->cb_list.next == &cb->node;
	spin_unlock_irqrestore(fence->lock, flags);
	return only;
}

/* Sync files and descriptors */

static struct sync_file *sft_create(struct kunit *test,
				    struct dma_fence *fence)
{
	struct sync_file *sf = sync_file_create(fence);

	KUNIT_ASSERT_NOT_NULL(test, sf);
	return sf;
}

/* Drops the last reference of @sf now, in the case's thread. */
static void sft_release_now(struct sync_file *sf)
{
	__fput_sync(sf->file);
}

/* A new descriptor for @file, with a file reference of its own. */
static int sft_install(struct kunit *test, struct file *file)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);

	KUNIT_ASSERT_GE(test, fd, 0);
	fd_install(fd, get_file(file));
	return fd;
}

static u32 sft_poll(struct sync_file *sf)
{
	return (__force u32)vfs_poll(sf->file, NULL);
}

/* Only a WARN on a kernel not yet tainted by one can be seen. */
static bool sft_warned_before(void)
{
	return test_taint(TAINT_WARN);
}

static void sft_expect_no_new_warning(struct kunit *test, bool before)
{
	if (!before)
		KUNIT_EXPECT_FALSE_MSG(test, test_taint(TAINT_WARN),
				       "a WARN fired during the case");
}

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
/*
 * Waits a bounded time, running the fputs that a kthread defers, until
 * @fence is down to @want references; gives up at once if it goes below,
 * or if a mock fence of @book was released meanwhile (@fence may be gone).
 */
static bool sft_settle(struct mock_book *book, struct dma_fence *fence,
		       unsigned int want)
{
	unsigned long end = jiffies + SFT_SETTLE;

	for (;;) {
		flush_delayed_fput();
		if (atomic_read(&book->releases))
			return false;
		if (sft_refs(fence) <= want)
			return sft_refs(fence) == want;
		if (!time_before(jiffies, end))
			return false;
		usleep_range(1000, 2000);
	}
}

/* Arms the n-th allocation check of this task; see dma-buf-fault.h. */
static void sft_fail_nth(unsigned int nth)
{
	current->fail_nth = nth;
}

/* Disarms it, telling whether the armed failure was left unused. */
static bool sft_fail_unused(void)
{
	bool unused = current->fail_nth;

	current->fail_nth = 0;
	return unused;
}
#endif

/* sync_file_get_name() is not exported: only built-in suites can call it. */
static void sft_needs_get_name(struct kunit *test)
{
	if (!IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST))
		kunit_skip(test, "sync_file_get_name() is not exported");
}

static char *sft_get_name(struct sync_file *sf, char *buf, int len)
{
#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
	return sync_file_get_name(sf, buf, len);
#else
	return NULL;
#endif
}

/* create */

struct sft_order_case {
	const char *desc;
	bool fput_first;
};

static const struct sft_order_case sft_order_cases[] = {
	{ "file put first", true },
	{ "fence put first", false },
};

KUNIT_ARRAY_PARAM_DESC(sft_order, sft_order_cases, desc);

static void create_takes_one_reference_and_the_last_fput_drops_it(struct kunit *test)
{
	const struct sft_order_case *p = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence = sft_fence(book);
	struct sync_file *sf = sft_create(test, fence);

	KUNIT_EXPECT_PTR_EQ(test, sf->fence, fence);
	KUNIT_EXPECT_EQ(test, file_count(sf->file), 1);
	/* Anything else and one of the puts below would free too early. */
	KUNIT_ASSERT_EQ(test, sft_refs(fence), 2);

	if (p->fput_first) {
		sft_release_now(sf);
		KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
		KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 0);
		dma_fence_put(fence);
	} else {
		dma_fence_put(fence);
		/* The sync_file's reference keeps the fence. */
		KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 0);
		KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
		sft_release_now(sf);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 1);
}

static void create_wraps_the_fence_in_an_anon_inode_named_sync_file(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence = sft_fence(book);
	struct sync_file *sf = sft_create(test, fence);
	struct file *file = sf->file;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	KUNIT_EXPECT_STREQ(test, (const char *)file->f_path.dentry->d_name.name,
			   "sync_file");
	KUNIT_EXPECT_EQ(test,
			(__force u32)(file->f_mode & (FMODE_READ | FMODE_WRITE)),
			(__force u32)FMODE_READ);
	KUNIT_EXPECT_NOT_NULL(test, file->f_op->poll);
	KUNIT_EXPECT_NOT_NULL(test, file->f_op->unlocked_ioctl);
	KUNIT_EXPECT_NULL(test, memchr_inv(sf->user_name, 0,
					   sizeof(sf->user_name)));
	KUNIT_EXPECT_FALSE(test, test_bit(POLL_ENABLED, &sf->flags));
	/* Creating arms nothing on the fence. */
	KUNIT_EXPECT_EQ(test, sft_callbacks(fence), 0);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(fence));

	sft_release_now(sf);
	dma_fence_put(fence);
}

struct sft_signal_case {
	const char *desc;
	int error;
};

static const struct sft_signal_case sft_signal_cases[] = {
	{ "signalled", 0 },
	{ "signalled with -EIO", -EIO },
};

KUNIT_ARRAY_PARAM_DESC(sft_signal, sft_signal_cases, desc);

static void create_accepts_a_signalled_fence(struct kunit *test)
{
	const struct sft_signal_case *p = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence = sft_fence(book);
	bool warned = sft_warned_before();
	struct sync_file *sf;

	if (p->error)
		mock_signal_error(fence, p->error);
	else
		dma_fence_signal(fence);
	sf = sft_create(test, fence);
	KUNIT_EXPECT_PTR_EQ(test, sf->fence, fence);
	KUNIT_ASSERT_EQ(test, sft_refs(fence), 2);
	/* Ready at once, error or not; twice, in case the first armed. */
	KUNIT_EXPECT_EQ(test, sft_poll(sf), (__force u32)EPOLLIN);
	KUNIT_EXPECT_EQ(test, sft_poll(sf), (__force u32)EPOLLIN);

	sft_release_now(sf);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 0);
	dma_fence_put(fence);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 1);
	sft_expect_no_new_warning(test, warned);
}

static void create_gives_each_sync_file_its_own_reference(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence = sft_fence(book);
	struct sync_file *a = sft_create(test, fence);
	struct sync_file *b = sft_create(test, fence);
	struct dma_fence *got_a, *got_b;
	int fd_a, fd_b;

	KUNIT_EXPECT_PTR_NE(test, a, b);
	KUNIT_EXPECT_PTR_NE(test, a->file, b->file);
	KUNIT_ASSERT_EQ(test, sft_refs(fence), 3);

	fd_a = sft_install(test, a->file);
	fd_b = sft_install(test, b->file);
	got_a = sync_file_get_fence(fd_a);
	got_b = sync_file_get_fence(fd_b);
	KUNIT_EXPECT_PTR_EQ(test, got_a, fence);
	KUNIT_EXPECT_PTR_EQ(test, got_b, fence);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 5);
	dma_fence_put(got_a);
	dma_fence_put(got_b);
	close_fd(fd_a);
	close_fd(fd_b);

	sft_release_now(a);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 2);
	sft_release_now(b);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 0);
	dma_fence_put(fence);
}

static void create_fails_cleanly_at_every_allocation(struct kunit *test)
{
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence = sft_fence(book);
	struct sync_file *sf = NULL;
	unsigned int k, failures = 0, absorbed = 0;
	bool unused;

	for (k = 1; k <= SFT_FAULT_STEPS; k++) {
		sft_fail_nth(k);
		sf = sync_file_create(fence);
		unused = sft_fail_unused();
		if (unused) {
			/* Fewer than k allocation points: a normal success. */
			KUNIT_EXPECT_NOT_NULL(test, sf);
			break;
		}
		if (dma_buf_fault_absorbed(sf) &&
		    absorbed++ < DMA_BUF_FAULT_RETRIES) {
			sft_release_now(sf);
			sf = NULL;
			k--;
			continue;
		}
		failures++;
		KUNIT_EXPECT_NULL_MSG(test, sf, "failure point %u", k);
		if (sf)
			sft_release_now(sf);
		sf = NULL;
		/* A failure may unwind with fput(), which a kthread defers. */
		if (!sft_settle(book, fence, 1)) {
			KUNIT_FAIL(test,
				   "failure point %u: fence left with %s references",
				   k, atomic_read(&book->releases) ? "no" :
				   "the wrong number of");
			/* it may be gone: leak whatever is left */
			return;
		}
	}
	KUNIT_EXPECT_LE(test, k, SFT_FAULT_STEPS);
	kunit_info(test, "%u failure points, %u steps retried\n", failures, absorbed);
	if (sf) {
		KUNIT_EXPECT_PTR_EQ(test, sf->fence, fence);
		KUNIT_EXPECT_EQ(test, sft_refs(fence), 2);
		sft_release_now(sf);
	}
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 0);
	dma_fence_put(fence);
	KUNIT_ASSERT_GT_MSG(test, failures, 0,
			    "sync_file_create() has no failure point");
#else
	kunit_skip(test, "requires CONFIG_FAULT_INJECTION");
#endif
}

/* get_fence */

static void get_fence_returns_the_fence_with_a_new_reference(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence = sft_fence(book);
	struct sync_file *sf = sft_create(test, fence);
	struct dma_fence *got, *again;
	int fd;

	fd = sft_install(test, sf->file);
	KUNIT_EXPECT_EQ(test, file_count(sf->file), 2);

	got = sync_file_get_fence(fd);
	KUNIT_EXPECT_PTR_EQ(test, got, fence);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 3);
	/* The file reference of the lookup was given back. */
	KUNIT_EXPECT_EQ(test, file_count(sf->file), 2);
	again = sync_file_get_fence(fd);
	KUNIT_EXPECT_PTR_EQ(test, again, fence);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 4);
	dma_fence_put(again);

	/* The reference outlives the descriptor and the sync_file. */
	close_fd(fd);
	sft_release_now(sf);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 2);
	dma_fence_put(got);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 0);
	dma_fence_put(fence);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 1);
}

static void get_fence_of_a_descriptor_that_is_not_open_is_null(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence = sft_fence(book);
	struct sync_file *sf;
	int fd;

	KUNIT_EXPECT_NULL(test, sync_file_get_fence(-1));
	KUNIT_EXPECT_NULL(test, sync_file_get_fence(INT_MAX));
	/* Reserved but never installed. */
	fd = get_unused_fd_flags(O_CLOEXEC);
	KUNIT_ASSERT_GE(test, fd, 0);
	put_unused_fd(fd);
	KUNIT_EXPECT_NULL(test, sync_file_get_fence(fd));

	/* Installed, then closed: the sync_file lives on, not its fd. */
	sf = sft_create(test, fence);
	fd = sft_install(test, sf->file);
	close_fd(fd);
	KUNIT_EXPECT_EQ(test, file_count(sf->file), 1);
	KUNIT_EXPECT_NULL(test, sync_file_get_fence(fd));
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 2);
	KUNIT_EXPECT_EQ(test, file_count(sf->file), 1);

	sft_release_now(sf);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
	dma_fence_put(fence);
}

/*
 * Not a sync_file, but named like one and carrying a decoy sync_file as
 * its private data.
 */
struct sft_plain {
	struct sync_file decoy;
	atomic_t releases;
};

static int sft_plain_release(struct inode *inode, struct file *file)
{
	struct sft_plain *plain = container_of(file->private_data,
					       struct sft_plain, decoy);

	atomic_inc(&plain->releases);
	return 0;
}

static const struct file_operations sft_plain_fops = {
	.owner = THIS_MODULE,
	.release = sft_plain_release,
};

static void get_fence_refuses_a_file_that_is_not_a_sync_file(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct sft_plain *plain = kunit_kzalloc(test, sizeof(*plain),
						GFP_KERNEL);
	struct dma_fence *decoy, *got;
	struct file *file;
	int fd;

	KUNIT_ASSERT_NOT_NULL(test, plain);
	file = anon_inode_getfile("sync_file", &sft_plain_fops, &plain->decoy,
				  O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	decoy = sft_fence(book);
	plain->decoy.file = file;
	plain->decoy.fence = decoy;
	init_waitqueue_head(&plain->decoy.wq);
	INIT_LIST_HEAD(&plain->decoy.cb.node);
	fd = sft_install(test, file);

	got = sync_file_get_fence(fd);
	KUNIT_EXPECT_NULL(test, got);
	KUNIT_EXPECT_EQ(test, sft_refs(decoy), 1);
	/* No file reference kept either. */
	KUNIT_EXPECT_EQ(test, file_count(file), 2);
	if (got)
		dma_fence_put(got);

	close_fd(fd);
	KUNIT_EXPECT_EQ(test, file_count(file), 1);
	__fput_sync(file);
	KUNIT_EXPECT_EQ(test, atomic_read(&plain->releases), 1);
	dma_fence_put(decoy);
}

struct sft_container_case {
	const char *desc;
	bool chain;
};

static const struct sft_container_case sft_container_cases[] = {
	{ "dma_fence_array", false },
	{ "dma_fence_chain", true },
};

KUNIT_ARRAY_PARAM_DESC(sft_container, sft_container_cases, desc);

/* A signal-on-all array of @a and @b, with references of its own. */
static struct dma_fence *sft_array(struct kunit *test, struct dma_fence *a,
				   struct dma_fence *b)
{
	struct dma_fence_array *array;
	struct dma_fence **fences;

	fences = kmalloc_array(2, sizeof(*fences), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fences);
	fences[0] = dma_fence_get(a);
	fences[1] = dma_fence_get(b);
	array = dma_fence_array_create(2, fences, dma_fence_context_alloc(1),
				       1, false);
	if (!array) {
		dma_fence_put(a);
		dma_fence_put(b);
		kfree(fences);
	}
	KUNIT_ASSERT_NOT_NULL(test, array);
	return &array->base;
}

/* A chain of two links, @b's on top of @a's, with references of its own. */
static struct dma_fence *sft_chain(struct kunit *test, struct dma_fence *a,
				   struct dma_fence *b)
{
	struct dma_fence_chain *first, *second;

	first = dma_fence_chain_alloc();
	KUNIT_ASSERT_NOT_NULL(test, first);
	dma_fence_chain_init(first, NULL, dma_fence_get(a), 1);
	second = dma_fence_chain_alloc();
	if (!second)
		dma_fence_put(&first->base);
	KUNIT_ASSERT_NOT_NULL(test, second);
	dma_fence_chain_init(second, &first->base, dma_fence_get(b), 2);
	return &second->base;
}

static void get_fence_of_a_container_returns_the_container(struct kunit *test)
{
	const struct sft_container_case *p = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *a = sft_fence(book);
	struct dma_fence *b = sft_fence(book);
	struct dma_fence *container, *got;
	struct sync_file *sf;
	int fd;

	container = p->chain ? sft_chain(test, a, b) : sft_array(test, a, b);
	sf = sft_create(test, container);
	fd = sft_install(test, sf->file);

	got = sync_file_get_fence(fd);
	KUNIT_EXPECT_PTR_EQ(test, got, container);
	KUNIT_EXPECT_EQ(test, sft_refs(container), 3);
	if (got == container && p->chain) {
		KUNIT_EXPECT_NOT_NULL(test, to_dma_fence_chain(got));
	} else if (got == container) {
		KUNIT_EXPECT_NOT_NULL(test, to_dma_fence_array(got));
		KUNIT_EXPECT_EQ(test, to_dma_fence_array(got)->num_fences, 2);
	}
	/* The components were not touched. */
	KUNIT_EXPECT_EQ(test, sft_refs(a), 2);
	KUNIT_EXPECT_EQ(test, sft_refs(b), 2);
	if (got)
		dma_fence_put(got);

	close_fd(fd);
	sft_release_now(sf);
	KUNIT_EXPECT_EQ(test, sft_refs(container), 1);
	dma_fence_put(container);
	dma_fence_signal(a);
	dma_fence_signal(b);
	dma_fence_put(a);
	dma_fence_put(b);
}

/* get_name */

struct sft_name_case {
	const char *desc;
	bool wide;
	u64 context;
	u64 seqno;
	const char *want;
};

static const struct sft_name_case sft_name_cases[] = {
	{ "32-bit seqno", false, 42, 7, "sft-driver-sft-timeline42-7" },
	{ "zero context and seqno", false, 0, 0,
	  "sft-driver-sft-timeline0-0" },
	{ "64-bit seqno above S64_MAX, printed signed", true, U64_MAX,
	  U64_MAX, "sft-driver-sft-timeline18446744073709551615--1" },
};

KUNIT_ARRAY_PARAM_DESC(sft_name, sft_name_cases, desc);

static void get_name_of_a_fence_is_driver_timeline_context_seqno(struct kunit *test)
{
	const struct sft_name_case *p;
	struct mock_book *book;
	struct dma_fence *fence;
	struct sync_file *sf;
	char buf[SFT_NAME_BUF];

	sft_needs_get_name(test);
	p = test->param_value;
	book = mock_book_get(test);
	fence = sft_named_fence(book, p->wide, p->context, p->seqno);
	sf = sft_create(test, fence);

	memset(buf, SFT_CANARY, sizeof(buf));
	KUNIT_EXPECT_PTR_EQ(test, sft_get_name(sf, buf, sizeof(buf)), &buf[0]);
	buf[sizeof(buf) - 1] = '\0';
	KUNIT_EXPECT_STREQ(test, buf, p->want);
	/* Made up from the fence, not taken as the user name. */
	KUNIT_EXPECT_NULL(test, memchr_inv(sf->user_name, 0,
					   sizeof(sf->user_name)));

	sft_release_now(sf);
	dma_fence_put(fence);
}

static void get_name_prefers_the_user_name(struct kunit *test)
{
	static const char full[] = "a-name-of-thirty-one-characters";
	struct mock_book *book;
	struct dma_fence *fence;
	struct sync_file *sf;
	char buf[SFT_NAME_BUF];

	static_assert(sizeof(full) == sizeof(sf->user_name));
	sft_needs_get_name(test);
	book = mock_book_get(test);
	fence = sft_named_fence(book, false, 42, 7);
	sf = sft_create(test, fence);

	strscpy(sf->user_name, "sft-merged", sizeof(sf->user_name));
	KUNIT_EXPECT_PTR_EQ(test, sft_get_name(sf, buf, sizeof(buf)), &buf[0]);
	buf[sizeof(buf) - 1] = '\0';
	KUNIT_EXPECT_STREQ(test, buf, "sft-merged");

	/* One that fills the field. */
	memcpy(sf->user_name, full, sizeof(full));
	sft_get_name(sf, buf, sizeof(buf));
	buf[sizeof(buf) - 1] = '\0';
	KUNIT_EXPECT_STREQ(test, buf, full);

	/* The name is looked up at each call, not kept from the first. */
	memset(sf->user_name, 0, sizeof(sf->user_name));
	sft_get_name(sf, buf, sizeof(buf));
	buf[sizeof(buf) - 1] = '\0';
	KUNIT_EXPECT_STREQ(test, buf, "sft-driver-sft-timeline42-7");

	sft_release_now(sf);
	dma_fence_put(fence);
}

struct sft_trunc_case {
	const char *desc;
	bool user;
	int len;
	const char *want;
};

static const struct sft_trunc_case sft_trunc_cases[] = {
	{ "generated, len 1", false, 1, "" },
	{ "generated, len 5", false, 5, "sft-" },
	{ "generated, one short", false, 27, "sft-driver-sft-timeline42-" },
	{ "generated, exact fit", false, 28, "sft-driver-sft-timeline42-7" },
	{ "user name, len 1", true, 1, "" },
	{ "user name, len 5", true, 5, "sft-" },
};

KUNIT_ARRAY_PARAM_DESC(sft_trunc, sft_trunc_cases, desc);

static void get_name_is_cut_to_the_buffer_and_terminated(struct kunit *test)
{
	const struct sft_trunc_case *p;
	struct mock_book *book;
	struct dma_fence *fence;
	struct sync_file *sf;
	char buf[SFT_NAME_BUF];
	int i;

	sft_needs_get_name(test);
	p = test->param_value;
	book = mock_book_get(test);
	fence = sft_named_fence(book, false, 42, 7);
	sf = sft_create(test, fence);
	if (p->user)
		strscpy(sf->user_name, "sft-merged", sizeof(sf->user_name));

	memset(buf, SFT_CANARY, sizeof(buf));
	KUNIT_EXPECT_PTR_EQ(test, sft_get_name(sf, buf, p->len), &buf[0]);
	/* Terminated inside the buffer: compare no further than it. */
	KUNIT_EXPECT_NOT_NULL(test, memchr(buf, '\0', p->len));
	buf[p->len - 1] = '\0';
	KUNIT_EXPECT_STREQ(test, buf, p->want);
	for (i = p->len; i < (int)sizeof(buf); i++)
		if (buf[i] != (char)SFT_CANARY)
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, (int)sizeof(buf),
			    "byte %d past the buffer of %d was written", i,
			    p->len);

	sft_release_now(sf);
	dma_fence_put(fence);
}

/* poll and release */

static void poll_is_not_ready_until_the_fence_signals(struct kunit *test)
{
	const struct sft_signal_case *p = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence = sft_fence(book);
	struct sync_file *sf = sft_create(test, fence);
	bool warned = sft_warned_before();

	KUNIT_EXPECT_EQ(test, sft_poll(sf), 0);
	KUNIT_EXPECT_EQ(test, sft_poll(sf), 0);
	if (p->error)
		mock_signal_error(fence, p->error);
	else
		dma_fence_signal(fence);
	KUNIT_EXPECT_EQ(test, sft_poll(sf), (__force u32)EPOLLIN);
	KUNIT_EXPECT_EQ(test, sft_poll(sf), (__force u32)EPOLLIN);

	/* The armed callback has run: release has nothing to take off. */
	sft_release_now(sf);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
	dma_fence_put(fence);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 1);
	sft_expect_no_new_warning(test, warned);
}

static void poll_arms_one_callback_however_often_it_is_called(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence = sft_fence(book);
	struct sync_file *a = sft_create(test, fence);
	struct sync_file *b = sft_create(test, fence);
	int i;

	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, sft_poll(a), 0);
	KUNIT_EXPECT_EQ(test, sft_callbacks(fence), 1);
	/* Another sync_file of the fence arms a callback of its own. */
	KUNIT_EXPECT_EQ(test, sft_poll(b), 0);
	KUNIT_EXPECT_EQ(test, sft_callbacks(fence), 2);
	KUNIT_EXPECT_EQ(test, sft_poll(a), 0);
	KUNIT_EXPECT_EQ(test, sft_callbacks(fence), 2);

	dma_fence_signal(fence);
	KUNIT_EXPECT_EQ(test, sft_poll(a), (__force u32)EPOLLIN);
	KUNIT_EXPECT_EQ(test, sft_poll(b), (__force u32)EPOLLIN);
	sft_release_now(a);
	sft_release_now(b);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
	dma_fence_put(fence);
}

/* A poll_table that queues one counting wait entry, like poll(2) does. */
struct sft_poller {
	poll_table pt;
	wait_queue_entry_t wait;
	wait_queue_head_t *head;
	atomic_t wakes;
};

static int sft_poller_wake(wait_queue_entry_t *wait, unsigned int mode,
			   int sync, void *key)
{
	struct sft_poller *p = container_of(wait, struct sft_poller, wait);

	atomic_inc(&p->wakes);
	return 0;
}

static void sft_poller_queue(struct file *file, wait_queue_head_t *head,
			     poll_table *pt)
{
	struct sft_poller *p = container_of(pt, struct sft_poller, pt);

	if (p->head)
		return;
	p->head = head;
	init_waitqueue_func_entry(&p->wait, sft_poller_wake);
	add_wait_queue(head, &p->wait);
}

static void poll_queues_the_waiter_and_the_signal_wakes_it(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence = sft_fence(book);
	struct sync_file *sf = sft_create(test, fence);
	struct sft_poller *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	init_poll_funcptr(&p->pt, sft_poller_queue);
	KUNIT_EXPECT_EQ(test, (__force u32)vfs_poll(sf->file, &p->pt), 0);
	KUNIT_EXPECT_NOT_NULL(test, p->head);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->wakes), 0);

	dma_fence_signal(fence);
	KUNIT_EXPECT_GT(test, atomic_read(&p->wakes), 0);
	KUNIT_EXPECT_EQ(test, sft_poll(sf), (__force u32)EPOLLIN);

	if (p->head)
		remove_wait_queue(p->head, &p->wait);
	sft_release_now(sf);
	dma_fence_put(fence);
}

static void release_takes_an_armed_callback_off_a_pending_fence(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence = sft_fence(book);
	struct sync_file *sf = sft_create(test, fence);
	bool warned = sft_warned_before();
	size_t left;

	KUNIT_EXPECT_EQ(test, sft_poll(sf), 0);
	KUNIT_EXPECT_EQ(test, sft_callbacks(fence), 1);
	sft_release_now(sf);
	left = sft_callbacks(fence);
	KUNIT_EXPECT_EQ_MSG(test, left, 0,
			    "the freed sync_file's callback is still armed");
	if (left)
		return;	/* signalling would run it: leak the fence */
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 0);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(fence));

	dma_fence_signal(fence);
	dma_fence_put(fence);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 1);
	sft_expect_no_new_warning(test, warned);
}

static void release_then_a_late_signal_runs_only_live_callbacks(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence = sft_fence(book);
	struct sync_file *sf = sft_create(test, fence);
	struct sft_sentinel *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	bool warned = sft_warned_before();
	bool only;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, sft_poll(sf), 0);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(fence, &s->cb,
						     sft_sentinel_fn), 0);
	KUNIT_EXPECT_EQ(test, sft_callbacks(fence), 2);

	sft_release_now(sf);
	only = sft_only_callback(fence, &s->cb);
	KUNIT_EXPECT_TRUE_MSG(test, only,
			      "callbacks other than the case's left on the fence");
	if (!only)
		return;	/* signalling would run one on freed memory: leak */

	dma_fence_signal(fence);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->calls), 1);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 0);
	dma_fence_put(fence);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 1);
	sft_expect_no_new_warning(test, warned);
}

static struct kunit_case sync_file_cases[] = {
	KUNIT_CASE_PARAM(create_takes_one_reference_and_the_last_fput_drops_it,
			 sft_order_gen_params),
	KUNIT_CASE(create_wraps_the_fence_in_an_anon_inode_named_sync_file),
	KUNIT_CASE_PARAM(create_accepts_a_signalled_fence,
			 sft_signal_gen_params),
	KUNIT_CASE(create_gives_each_sync_file_its_own_reference),
	KUNIT_CASE(create_fails_cleanly_at_every_allocation),
	KUNIT_CASE(get_fence_returns_the_fence_with_a_new_reference),
	KUNIT_CASE(get_fence_of_a_descriptor_that_is_not_open_is_null),
	KUNIT_CASE(get_fence_refuses_a_file_that_is_not_a_sync_file),
	KUNIT_CASE_PARAM(get_fence_of_a_container_returns_the_container,
			 sft_container_gen_params),
	KUNIT_CASE_PARAM(get_name_of_a_fence_is_driver_timeline_context_seqno,
			 sft_name_gen_params),
	KUNIT_CASE(get_name_prefers_the_user_name),
	KUNIT_CASE_PARAM(get_name_is_cut_to_the_buffer_and_terminated,
			 sft_trunc_gen_params),
	KUNIT_CASE_PARAM(poll_is_not_ready_until_the_fence_signals,
			 sft_signal_gen_params),
	KUNIT_CASE(poll_arms_one_callback_however_often_it_is_called),
	KUNIT_CASE(poll_queues_the_waiter_and_the_signal_wakes_it),
	KUNIT_CASE(release_takes_an_armed_callback_off_a_pending_fence),
	KUNIT_CASE(release_then_a_late_signal_runs_only_live_callbacks),
	{}
};

static struct kunit_suite sync_file_suite = {
	.name = "sync-file",
	.test_cases = sync_file_cases,
};

kunit_test_suites(&sync_file_suite);

MODULE_DESCRIPTION("KUnit tests for sync_file");
MODULE_LICENSE("GPL");
