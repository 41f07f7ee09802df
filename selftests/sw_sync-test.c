// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for sw_sync, the software timelines of sw_sync.c: the
 * CREATE_FENCE, INC and GET_DEADLINE ioctls of a timeline, the points they
 * make and signal, and what closing a timeline does to its points.
 *
 * The timelines are driven through the file operations that debugfs would
 * use, so the suite needs no debugfs mount; what it checks beyond the
 * ioctls' results is read from &struct sync_timeline (sync_debug.h), the
 * state sync/info prints.
 */

/**
 * DOC: sw-sync KUnit suite
 *
 * What is mocked: debugfs. A timeline is an anonymous inode file carrying
 * sw_sync_debugfs_fops, whose open the case calls itself (anon_inode_getfile()
 * does not). The ioctls are called through the file's unlocked_ioctl with
 * their argument in user memory from kunit_vm_mmap(): the KUnit thread has
 * no mm of its own. Nothing else is mocked: the fences are sw_sync's own
 * points, the container of the release case a real dma_fence_array.
 *
 * What is observed: the ioctls' return values and what they copy out; the
 * points' flags, status, error and reference counts; callbacks of the
 * case's own on the points, which record the order the points signal in,
 * their error at that time and, for the release case, the timeline's
 * reference count at that moment; the timeline's counter, its tree of
 * pending points (counted under its lock) and its reference count, which
 * every point holds until it is released: a timeline whose count is 1
 * (the file's) and whose tree is empty has no point left. The lowest free
 * descriptor tells whether a failed CREATE_FENCE left one behind; lockdep's
 * ``debug_locks`` tells whether it reported anything during the release
 * case.
 *
 * Descriptors: the KUnit thread is a kthread and shares init's file table,
 * where CREATE_FENCE installs its sync_file. A case takes the fence out
 * with sync_file_get_fence() and close_fd()s the descriptor while holding
 * a file reference of its own, which it then drops with __fput_sync(): a
 * kthread's last fput() is otherwise deferred, and the sync_file would
 * keep its fence reference for a while. The timeline's own last fput is
 * __fput_sync() too, so the timeline has been closed when it returns; a
 * case that fails before it closes the timeline at cleanup.
 *
 * 6.12 rules pinned down here: a point at a value the counter has reached
 * is born signalled; asking twice for a pending value gives the same
 * fence; INC signals the points it passes in the order of their values;
 * values compare in 32-bit wrapping order (a point exactly 2^31 ahead
 * counts as reached, one less is pending); closing the timeline fails its
 * pending points with -ENOENT and they stay valid while referenced;
 * GET_DEADLINE reports the earliest deadline set on a point, -ENOENT if
 * none was, -EINVAL for a descriptor that is not a sw_sync point or an
 * argument with its output or padding set.
 *
 * Ours, beyond 6.12: a point whose last reference goes while it is pending
 * leaves the tree at once, and a callback that sw_sync runs under the
 * timeline's lock may drop the last reference of another point of that
 * timeline that has signalled (the regression of the release case: a
 * release that always took the lock recursed on it). CREATE_FENCE fails
 * with -ENOMEM at each allocation of this directory's dma_buf_fail_alloc()
 * hook (dma-buf-fault.h), walked with ``current->fail_nth``, and leaves no
 * descriptor and no point behind; 6.12 has no such hook, so that case
 * fails against it. It skips without CONFIG_FAULT_INJECTION.
 *
 * Not exercised: the debugfs files themselves, sync/info's text, the
 * compat ioctl and the trace event.
 *
 * Built in only: sw_sync_debugfs_fops is not exported, so the cases skip
 * in a module build, and without CONFIG_SW_SYNC.
 *
 * Locking: every call is made from the case's thread, in process context,
 * with no lock held; the case's callbacks run under the timeline's lock
 * and only record. Meant to run with PROVE_LOCKING: a release that takes
 * the timeline's lock from inside a callback is reported by lockdep (which
 * clears ``debug_locks``) and then spins forever on the lock it holds.
 *
 * Running: ``./tools/testing/kunit/kunit.py run --arch=x86_64
 * --kunitconfig=drivers/dma-buf 'sw-sync'`` from the top of a kernel tree.
 */

#include <kunit/resource.h>
#include <kunit/test.h>

#include <linux/anon_inodes.h>
#include <linux/debug_locks.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>

#include "../dma-buf-fault.h"
#include "../sync_debug.h"

/* Callbacks a case can put on points, and signals they can record. */
#define SWT_MAX_WATCH		8
/* More than CREATE_FENCE has allocation points. */
#define SWT_FAULT_STEPS		16
/* Bound for a fence array to signal from its irq_work. */
#define SWT_WAIT		HZ

struct swt_ctx;

/* A callback of the case's own on a point. */
struct swt_watch {
	struct dma_fence_cb cb;
	struct swt_ctx *ctx;
};

/*
 * One timeline of a case. Allocated before the timeline is opened, so that
 * it outlives the close at cleanup, which may run the callbacks below.
 */
struct swt_ctx {
	struct kunit *test;
	struct file *file;		/* NULL once closed */
	struct sync_timeline *tl;	/* not to be used once closed */
	void __user *umem;		/* one page, for the ioctl arguments */
	struct swt_watch watch[SWT_MAX_WATCH];
	unsigned int watched;
	/* what swt_record() saw, in signalling order */
	unsigned int signalled;
	u64 seqno[SWT_MAX_WATCH];
	int error[SWT_MAX_WATCH];
	/* what swt_observe() saw */
	bool observed;
	unsigned int tl_refs_seen;
	int error_seen;
};

/* sw_sync's file operations, if the suite can reach them. */
static const struct file_operations *swt_fops(void)
{
#if IS_ENABLED(CONFIG_SW_SYNC) && IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
	return &sw_sync_debugfs_fops;
#else
	return NULL;
#endif
}

/* For a file whose open failed: its release must not run sw_sync's. */
static const struct file_operations swt_inert_fops = {
};

static void swt_close_action(void *data)
{
	struct swt_ctx *ctx = data;
	struct file *file = ctx->file;

	ctx->file = NULL;
	ctx->tl = NULL;
	if (file)
		__fput_sync(file);
}

/* A new timeline, closed at cleanup unless the case closes it. */
static struct swt_ctx *swt_open(struct kunit *test)
{
	const struct file_operations *fops = swt_fops();
	struct swt_ctx *ctx;
	unsigned long addr;
	struct file *file;
	int ret;

	if (!fops)
		kunit_skip(test,
			   "needs CONFIG_SW_SYNC and a built-in suite: sw_sync_debugfs_fops is not exported");

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->test = test;
	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "no user memory");
	KUNIT_ASSERT_LT(test, addr, (unsigned long)TASK_SIZE);
	ctx->umem = (void __user *)addr;

	file = anon_inode_getfile("sw_sync-test", fops, NULL, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	ret = fops->open(file_inode(file), file);
	if (ret) {
		replace_fops(file, &swt_inert_fops);
		__fput_sync(file);
	}
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "sw_sync's open failed");
	ctx->file = file;
	ctx->tl = file->private_data;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, swt_close_action,
							ctx), 0);
	KUNIT_ASSERT_NOT_NULL(test, ctx->tl);
	KUNIT_ASSERT_EQ(test, kref_read(&ctx->tl->kref), 1);
	return ctx;
}

/* The final fput of the timeline, now. */
static void swt_close(struct swt_ctx *ctx)
{
	kunit_release_action(ctx->test, swt_close_action, ctx);
}

static long swt_ioctl(struct swt_ctx *ctx, unsigned int cmd)
{
	return ctx->file->f_op->unlocked_ioctl(ctx->file, cmd,
					       (unsigned long)ctx->umem);
}

/* Points of @tl in its tree. */
static unsigned int swt_pending(struct sync_timeline *tl)
{
	struct rb_node *node;
	unsigned int n = 0;

	spin_lock_irq(&tl->lock);
	for (node = rb_first_cached(&tl->pending); node; node = rb_next(node))
		n++;
	spin_unlock_irq(&tl->lock);
	return n;
}

static unsigned int swt_refs(struct dma_fence *fence)
{
	return kref_read(&fence->refcount);
}

/* The flag only: ops->signaled would signal a point the counter passed. */
static bool swt_signalled(struct dma_fence *fence)
{
	return test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags);
}

/* Every point released: none in the tree, only the file's reference. */
static void swt_expect_clean(struct swt_ctx *ctx)
{
	KUNIT_EXPECT_EQ(ctx->test, swt_pending(ctx->tl), 0);
	KUNIT_EXPECT_TRUE(ctx->test, RB_EMPTY_ROOT(&ctx->tl->pending.rb_root));
	KUNIT_EXPECT_EQ(ctx->test, kref_read(&ctx->tl->kref), 1);
}

/* Descriptors and fences */

/* The descriptor the next get_unused_fd_flags() would return. */
static int swt_free_fd(struct kunit *test)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);

	KUNIT_ASSERT_GE(test, fd, 0);
	put_unused_fd(fd);
	return fd;
}

/*
 * Closes @fd, with a file reference of our own so that close_fd() does
 * not drop the last one: the sync_file is released before this returns.
 */
static void swt_close_fd(struct kunit *test, int fd)
{
	struct file *file = fget(fd);

	KUNIT_ASSERT_NOT_NULL(test, file);
	close_fd(fd);
	__fput_sync(file);
}

/* The fence behind @fd, with a reference for the case; @fd is closed. */
static struct dma_fence *swt_take(struct kunit *test, int fd)
{
	struct dma_fence *fence = sync_file_get_fence(fd);

	swt_close_fd(test, fd);
	KUNIT_ASSERT_NOT_NULL(test, fence);
	return fence;
}

/* CREATE_FENCE's argument for @value, with -1 for the fence field. */
static void swt_create_arg(struct swt_ctx *ctx, u32 value)
{
	struct sw_sync_create_fence_data args = {
		.value = value,
		.fence = -1,
	};

	strscpy(args.name, "swt", sizeof(args.name));
	KUNIT_ASSERT_EQ(ctx->test,
			copy_to_user(ctx->umem, &args, sizeof(args)), 0UL);
}

/* The fence field of CREATE_FENCE's argument, as the ioctl left it. */
static int swt_create_result(struct swt_ctx *ctx)
{
	struct sw_sync_create_fence_data args;

	KUNIT_ASSERT_EQ(ctx->test,
			copy_from_user(&args, ctx->umem, sizeof(args)), 0UL);
	return args.fence;
}

/* A point at @value, as a new descriptor. */
static int swt_create_fd(struct swt_ctx *ctx, u32 value)
{
	long ret;
	int fd;

	swt_create_arg(ctx, value);
	ret = swt_ioctl(ctx, SW_SYNC_IOC_CREATE_FENCE);
	KUNIT_ASSERT_EQ_MSG(ctx->test, ret, 0, "CREATE_FENCE at %u", value);
	fd = swt_create_result(ctx);
	KUNIT_ASSERT_GE(ctx->test, fd, 0);
	return fd;
}

/* A point at @value, with a reference for the case and no descriptor. */
static struct dma_fence *swt_point(struct swt_ctx *ctx, u32 value)
{
	struct dma_fence *fence = swt_take(ctx->test, swt_create_fd(ctx, value));

	KUNIT_EXPECT_EQ(ctx->test, fence->seqno, (u64)value);
	return fence;
}

static void swt_inc(struct swt_ctx *ctx, u32 step)
{
	KUNIT_ASSERT_EQ(ctx->test, put_user(step, (u32 __user *)ctx->umem), 0);
	KUNIT_ASSERT_EQ_MSG(ctx->test, swt_ioctl(ctx, SW_SYNC_IOC_INC), 0,
			    "INC by %u", step);
}

static long swt_get_deadline(struct swt_ctx *ctx, int fd, u64 in_ns, u32 pad,
			     u64 *out_ns)
{
	struct sw_sync_get_deadline args = {
		.deadline_ns = in_ns,
		.pad = pad,
		.fence_fd = fd,
	};
	long ret;

	KUNIT_ASSERT_EQ(ctx->test,
			copy_to_user(ctx->umem, &args, sizeof(args)), 0UL);
	ret = swt_ioctl(ctx, SW_SYNC_GET_DEADLINE);
	KUNIT_ASSERT_EQ(ctx->test,
			copy_from_user(&args, ctx->umem, sizeof(args)), 0UL);
	*out_ns = args.deadline_ns;
	return ret;
}

/* Callbacks */

/* Records the point's value and error, in signalling order. */
static void swt_record(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct swt_ctx *ctx = container_of(cb, struct swt_watch, cb)->ctx;
	unsigned int n = ctx->signalled++;

	if (n < SWT_MAX_WATCH) {
		ctx->seqno[n] = fence->seqno;
		ctx->error[n] = fence->error;
	}
}

/* Records how many references the timeline has, and the point's error. */
static void swt_observe(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct swt_ctx *ctx = container_of(cb, struct swt_watch, cb)->ctx;

	ctx->observed = true;
	ctx->tl_refs_seen = kref_read(&dma_fence_parent(fence)->kref);
	ctx->error_seen = fence->error;
}

/* Puts a callback of the case's on @fence: 0, or -ENOENT if signalled. */
static int swt_watch(struct swt_ctx *ctx, struct dma_fence *fence,
		     dma_fence_func_t func)
{
	struct swt_watch *w;

	KUNIT_ASSERT_LT(ctx->test, ctx->watched, SWT_MAX_WATCH);
	w = &ctx->watch[ctx->watched++];
	w->ctx = ctx;
	return dma_fence_add_callback(fence, &w->cb, func);
}

/* The recording callbacks ran @n times, for @want[0..n-1] in that order. */
static void swt_expect_order(struct swt_ctx *ctx, const u64 *want,
			     unsigned int n, int error)
{
	unsigned int i;

	KUNIT_EXPECT_EQ(ctx->test, ctx->signalled, n);
	for (i = 0; i < n && i < ctx->signalled; i++) {
		KUNIT_EXPECT_EQ_MSG(ctx->test, ctx->seqno[i], want[i],
				    "signal %u", i);
		KUNIT_EXPECT_EQ_MSG(ctx->test, ctx->error[i], error,
				    "signal %u", i);
	}
}

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
/* Arms the n-th allocation check of this task; see dma-buf-fault.h. */
static void swt_fail_nth(unsigned int nth)
{
	current->fail_nth = nth;
}

/* Disarms it, telling whether the armed failure was left unused. */
static bool swt_fail_unused(void)
{
	bool unused = current->fail_nth;

	current->fail_nth = 0;
	return unused;
}
#endif

/* The regression: a release from inside a callback run under the lock */

struct swt_release_case {
	const char *desc;
	bool by_close;
};

static const struct swt_release_case swt_release_cases[] = {
	{ "second point signalled by INC", false },
	{ "second point failed by closing the timeline", true },
};

KUNIT_ARRAY_PARAM_DESC(swt_release, swt_release_cases, desc);

/*
 * p1 and p5 are the components of a signal-on-any fence array, which holds
 * their only references. The array's callbacks share one reference to it,
 * dropped by the callback that counts the last component; completing the
 * array on p1 queues its irq_work with a reference of its own (in 6.12 the
 * callbacks hold one each, p1's going to the work, and p5's callback drops
 * its own: the same count below). Once the work is done and the case's
 * reference is gone, the array lives on p5's callback's reference alone.
 * p5 then signals, from INC or from the close, under the timeline's lock:
 * its callback drops that reference, the array is released right there and
 * puts p1, signalled long ago, for the last time, still under that lock.
 * The case's own callback on p5, queued after the array's, sees the
 * timeline's count once p1 is gone.
 */
static void signal_callback_may_release_another_signalled_point(struct kunit *test)
{
	const struct swt_release_case *p = test->param_value;
	bool locks_were_ok = debug_locks;
	struct dma_fence_array *array;
	struct dma_fence **fences;
	struct dma_fence *p1, *p5;
	struct swt_ctx *ctx;

	ctx = swt_open(test);
	p1 = swt_point(ctx, 1);
	p5 = swt_point(ctx, 5);
	/* The references handed to the array are the only ones. */
	KUNIT_ASSERT_EQ(test, swt_refs(p1), 1);
	KUNIT_ASSERT_EQ(test, swt_refs(p5), 1);
	fences = kmalloc_array(2, sizeof(*fences), GFP_KERNEL);
	if (!fences) {
		dma_fence_put(p1);
		dma_fence_put(p5);
	}
	KUNIT_ASSERT_NOT_NULL(test, fences);
	fences[0] = p1;
	fences[1] = p5;
	array = dma_fence_array_create(2, fences, dma_fence_context_alloc(1),
				       1, true);
	if (!array) {
		dma_fence_put(p1);
		dma_fence_put(p5);
		kfree(fences);
	}
	KUNIT_ASSERT_NOT_NULL(test, array);

	dma_fence_enable_sw_signaling(&array->base);
	/* After the array's callback, so it runs once that one is done. */
	KUNIT_ASSERT_EQ(test, swt_watch(ctx, p5, swt_observe), 0);
	KUNIT_EXPECT_EQ(test, kref_read(&ctx->tl->kref), 3);

	swt_inc(ctx, 1);
	KUNIT_ASSERT_GT_MSG(test,
			    dma_fence_wait_timeout(&array->base, false,
						   SWT_WAIT), 0,
			    "the array did not signal on its first component");
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&array->base), 1);
	/* The work that signalled it drops its reference after that. */
	irq_work_sync(&array->work);
	/* Ours and p5's callback's: the scenario needs exactly that. */
	KUNIT_ASSERT_EQ_MSG(test, kref_read(&array->base.refcount), 2,
			    "p5's callback would not drop the array's last reference");
	KUNIT_ASSERT_TRUE(test, swt_signalled(p1));
	KUNIT_ASSERT_FALSE(test, swt_signalled(p5));
	dma_fence_put(&array->base);

	if (p->by_close)
		swt_close(ctx);
	else
		swt_inc(ctx, 4);

	KUNIT_EXPECT_TRUE(test, ctx->observed);
	/* The file's and p5's: p1 was released inside p5's callback. */
	KUNIT_EXPECT_EQ_MSG(test, ctx->tl_refs_seen, 2,
			    "p1 was not released from inside p5's callback");
	KUNIT_EXPECT_EQ(test, ctx->error_seen, p->by_close ? -ENOENT : 0);
	if (!p->by_close) {
		KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->tl->value), 5);
		swt_expect_clean(ctx);
	}
	if (locks_were_ok)
		KUNIT_EXPECT_TRUE_MSG(test, debug_locks,
				      "lockdep reported a problem during the case");
}

/* INC and CREATE_FENCE */

static void inc_signals_exactly_the_points_it_passes_in_order(struct kunit *test)
{
	static const u32 values[] = { 3, 1, 5, 2 };
	static const u64 order[] = { 1, 2, 3, 5, 7 };
	struct dma_fence *pt[ARRAY_SIZE(values)];
	struct dma_fence *zero, *four, *five, *a, *b;
	struct swt_ctx *ctx;
	unsigned int i;

	ctx = swt_open(test);
	/* The counter starts at 0, which every point at 0 has reached. */
	zero = swt_point(ctx, 0);
	KUNIT_EXPECT_TRUE(test, swt_signalled(zero));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(zero), 1);
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 0);

	for (i = 0; i < ARRAY_SIZE(values); i++) {
		pt[i] = swt_point(ctx, values[i]);
		KUNIT_EXPECT_FALSE(test, swt_signalled(pt[i]));
		KUNIT_ASSERT_EQ(test, swt_watch(ctx, pt[i], swt_record), 0);
	}
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 4);

	swt_inc(ctx, 2);
	swt_expect_order(ctx, order, 2, 0);
	KUNIT_EXPECT_FALSE(test, swt_signalled(pt[0]));	/* 3 */
	KUNIT_EXPECT_FALSE(test, swt_signalled(pt[2]));	/* 5 */
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 2);

	swt_inc(ctx, 1);
	swt_expect_order(ctx, order, 3, 0);
	KUNIT_EXPECT_FALSE(test, swt_signalled(pt[2]));
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 1);

	/* Past 4, where there is no point, to 5. */
	swt_inc(ctx, 2);
	swt_expect_order(ctx, order, 4, 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->tl->value), 5);
	for (i = 0; i < ARRAY_SIZE(values); i++)
		KUNIT_EXPECT_EQ(test, dma_fence_get_status(pt[i]), 1);
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 0);

	/* Reached already: born signalled, out of the tree. */
	four = swt_point(ctx, 4);
	five = swt_point(ctx, 5);
	KUNIT_EXPECT_TRUE(test, swt_signalled(four));
	KUNIT_EXPECT_TRUE(test, swt_signalled(five));
	KUNIT_EXPECT_PTR_NE(test, five, pt[2]);
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 0);

	/* Pending: asking twice gives the same fence. */
	a = swt_point(ctx, 7);
	b = swt_point(ctx, 7);
	KUNIT_EXPECT_PTR_EQ(test, a, b);
	KUNIT_EXPECT_EQ(test, swt_refs(a), 2);
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 1);
	KUNIT_ASSERT_EQ(test, swt_watch(ctx, a, swt_record), 0);
	swt_inc(ctx, 1);
	KUNIT_EXPECT_FALSE(test, swt_signalled(a));
	swt_inc(ctx, 1);
	swt_expect_order(ctx, order, 5, 0);

	dma_fence_put(a);
	dma_fence_put(b);
	dma_fence_put(five);
	dma_fence_put(four);
	for (i = 0; i < ARRAY_SIZE(values); i++)
		dma_fence_put(pt[i]);
	dma_fence_put(zero);
	swt_expect_clean(ctx);
}

/*
 * sw_sync_reached(): a counter at v has reached s if (s32)(s - v) <= 0. An
 * INC of more than INT_MAX is done in steps of at most INT_MAX, so every
 * point passed signals however far the counter goes.
 */
static void inc_wraps_in_32_bit_order(struct kunit *test)
{
	static const u64 order[] = { 1, 0x7fffffff, 0, 0x7ffffffe };
	struct dma_fence *one, *max, *half, *zero, *top, *back, *near;
	struct swt_ctx *ctx;

	ctx = swt_open(test);
	one = swt_point(ctx, 1);
	max = swt_point(ctx, 0x7fffffff);
	/* Exactly 2^31 ahead of 0 counts as reached. */
	half = swt_point(ctx, 0x80000000);
	KUNIT_EXPECT_FALSE(test, swt_signalled(one));
	KUNIT_EXPECT_FALSE(test, swt_signalled(max));
	KUNIT_EXPECT_TRUE(test, swt_signalled(half));
	KUNIT_ASSERT_EQ(test, swt_watch(ctx, one, swt_record), 0);
	KUNIT_ASSERT_EQ(test, swt_watch(ctx, max, swt_record), 0);

	swt_inc(ctx, 0xffffffff);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->tl->value), -1);
	swt_expect_order(ctx, order, 2, 0);
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 0);

	/* At -1: 0 is one ahead, 0x7ffffffe 2^31 - 1, 0x7fffffff 2^31. */
	zero = swt_point(ctx, 0);
	near = swt_point(ctx, 0x7ffffffe);
	top = swt_point(ctx, 0xffffffff);
	back = swt_point(ctx, 0x7fffffff);
	KUNIT_EXPECT_FALSE(test, swt_signalled(zero));
	KUNIT_EXPECT_FALSE(test, swt_signalled(near));
	KUNIT_EXPECT_TRUE(test, swt_signalled(top));
	KUNIT_EXPECT_TRUE(test, swt_signalled(back));
	KUNIT_EXPECT_PTR_NE(test, back, max);
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 2);
	KUNIT_ASSERT_EQ(test, swt_watch(ctx, zero, swt_record), 0);
	KUNIT_ASSERT_EQ(test, swt_watch(ctx, near, swt_record), 0);

	swt_inc(ctx, 1);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->tl->value), 0);
	swt_expect_order(ctx, order, 3, 0);
	KUNIT_EXPECT_FALSE(test, swt_signalled(near));
	swt_inc(ctx, 0x7ffffffe);
	swt_expect_order(ctx, order, 4, 0);

	dma_fence_put(back);
	dma_fence_put(top);
	dma_fence_put(near);
	dma_fence_put(zero);
	dma_fence_put(half);
	dma_fence_put(max);
	dma_fence_put(one);
	swt_expect_clean(ctx);
}

/* Closing and releasing */

static void close_fails_pending_points_which_live_while_referenced(struct kunit *test)
{
	static const u64 order[] = { 3, 4 };
	struct dma_fence *p1, *p3, *p4;
	struct sync_timeline *tl;
	struct swt_ctx *ctx;

	ctx = swt_open(test);
	tl = ctx->tl;
	p1 = swt_point(ctx, 1);
	p4 = swt_point(ctx, 4);
	p3 = swt_point(ctx, 3);
	swt_inc(ctx, 1);
	KUNIT_ASSERT_EQ(test, swt_watch(ctx, p3, swt_record), 0);
	KUNIT_ASSERT_EQ(test, swt_watch(ctx, p4, swt_record), 0);

	swt_close(ctx);
	swt_expect_order(ctx, order, 2, -ENOENT);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(p3), -ENOENT);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(p4), -ENOENT);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(p1), 1);

	/* The points keep the timeline, and sync/info still lists them. */
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_parent(p3), tl);
	KUNIT_EXPECT_EQ(test, kref_read(&tl->kref), 3);
	KUNIT_EXPECT_EQ(test, swt_pending(tl), 2);
	KUNIT_EXPECT_EQ(test, swt_refs(p3), 1);

	dma_fence_put(p3);
	KUNIT_EXPECT_EQ(test, swt_pending(tl), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&tl->kref), 2);
	dma_fence_put(p1);
	KUNIT_EXPECT_EQ(test, kref_read(&tl->kref), 1);
	/* The last point still reaches its timeline. */
	KUNIT_EXPECT_STREQ(test, p4->ops->get_driver_name(p4), "sw_sync");
	KUNIT_EXPECT_STREQ(test, p4->ops->get_timeline_name(p4), tl->name);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(p4), -ENOENT);
	/* Frees the timeline. */
	dma_fence_put(p4);
}

static void released_pending_point_leaves_the_tree(struct kunit *test)
{
	static const u64 order[] = { 3, 5 };
	struct dma_fence *p3, *p4, *p5, *again;
	struct swt_ctx *ctx;
	u64 ns;
	int fd;

	ctx = swt_open(test);
	p3 = swt_point(ctx, 3);
	p4 = swt_point(ctx, 4);
	p5 = swt_point(ctx, 5);
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 3);
	KUNIT_EXPECT_EQ(test, kref_read(&ctx->tl->kref), 4);
	/* A mark that a new point at 3 must not have. */
	dma_fence_set_deadline(p3, ktime_get());

	/* One in the middle, then the next to signal. */
	dma_fence_put(p4);
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 2);
	KUNIT_EXPECT_EQ(test, kref_read(&ctx->tl->kref), 3);
	dma_fence_put(p3);
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&ctx->tl->kref), 2);

	fd = swt_create_fd(ctx, 3);
	again = sync_file_get_fence(fd);
	KUNIT_ASSERT_NOT_NULL(test, again);
	KUNIT_EXPECT_FALSE(test, swt_signalled(again));
	KUNIT_EXPECT_EQ_MSG(test, swt_get_deadline(ctx, fd, 0, 0, &ns),
			    -ENOENT, "the released point came back");
	/* The sync_file's and ours. */
	KUNIT_EXPECT_EQ(test, swt_refs(again), 2);
	KUNIT_EXPECT_EQ(test, swt_pending(ctx->tl), 2);
	swt_close_fd(test, fd);
	KUNIT_EXPECT_EQ(test, swt_refs(again), 1);

	KUNIT_ASSERT_EQ(test, swt_watch(ctx, again, swt_record), 0);
	KUNIT_ASSERT_EQ(test, swt_watch(ctx, p5, swt_record), 0);
	swt_inc(ctx, 5);
	swt_expect_order(ctx, order, 2, 0);

	dma_fence_put(again);
	dma_fence_put(p5);
	swt_expect_clean(ctx);
}

/* GET_DEADLINE */

static void get_deadline_reports_the_earliest_deadline(struct kunit *test)
{
	struct dma_fence *p1, *stub;
	struct sync_file *sf;
	struct swt_ctx *ctx;
	int fd1, fd2, fd;
	ktime_t base;
	u64 ns;

	ctx = swt_open(test);
	fd1 = swt_create_fd(ctx, 1);
	fd2 = swt_create_fd(ctx, 2);
	p1 = sync_file_get_fence(fd1);
	KUNIT_ASSERT_NOT_NULL(test, p1);

	KUNIT_EXPECT_EQ(test, swt_get_deadline(ctx, fd1, 0, 0, &ns), -ENOENT);

	base = ktime_get();
	dma_fence_set_deadline(p1, ktime_add_ms(base, 3));
	KUNIT_EXPECT_EQ(test, swt_get_deadline(ctx, fd1, 0, 0, &ns), 0);
	KUNIT_EXPECT_EQ(test, ns, (u64)ktime_to_ns(ktime_add_ms(base, 3)));
	dma_fence_set_deadline(p1, ktime_add_ms(base, 1));
	KUNIT_EXPECT_EQ(test, swt_get_deadline(ctx, fd1, 0, 0, &ns), 0);
	KUNIT_EXPECT_EQ(test, ns, (u64)ktime_to_ns(ktime_add_ms(base, 1)));
	dma_fence_set_deadline(p1, ktime_add_ms(base, 2));
	KUNIT_EXPECT_EQ(test, swt_get_deadline(ctx, fd1, 0, 0, &ns), 0);
	KUNIT_EXPECT_EQ(test, ns, (u64)ktime_to_ns(ktime_add_ms(base, 1)));

	/* Per point: the other one still has none. */
	KUNIT_EXPECT_EQ(test, swt_get_deadline(ctx, fd2, 0, 0, &ns), -ENOENT);

	/* The output field and the padding must come in zeroed. */
	KUNIT_EXPECT_EQ(test, swt_get_deadline(ctx, fd1, 1, 0, &ns), -EINVAL);
	KUNIT_EXPECT_EQ(test, swt_get_deadline(ctx, fd1, 0, 1, &ns), -EINVAL);

	/* A sync_file of another kind of fence, then a closed descriptor. */
	stub = dma_fence_get_stub();
	sf = sync_file_create(stub);
	dma_fence_put(stub);
	KUNIT_ASSERT_NOT_NULL(test, sf);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		__fput_sync(sf->file);
	KUNIT_ASSERT_GE(test, fd, 0);
	fd_install(fd, get_file(sf->file));
	KUNIT_EXPECT_EQ(test, swt_get_deadline(ctx, fd, 0, 0, &ns), -EINVAL);
	close_fd(fd);
	__fput_sync(sf->file);
	KUNIT_EXPECT_EQ(test, swt_get_deadline(ctx, fd, 0, 0, &ns), -EINVAL);

	swt_close_fd(test, fd2);
	swt_close_fd(test, fd1);
	swt_inc(ctx, 2);
	dma_fence_put(p1);
	swt_expect_clean(ctx);
}

/* Fault injection */

struct swt_fault_case {
	const char *desc;
	u32 value;
	bool shared;
};

static const struct swt_fault_case swt_fault_cases[] = {
	{ "a pending value", 2, false },
	{ "a value already reached", 0, false },
	{ "a value already pending", 2, true },
};

KUNIT_ARRAY_PARAM_DESC(swt_fault, swt_fault_cases, desc);

static void create_fence_fails_cleanly_at_every_allocation(struct kunit *test)
{
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
	const struct swt_fault_case *p = test->param_value;
	struct dma_fence *old = NULL, *fence;
	unsigned int k, failures = 0, absorbed = 0;
	unsigned int pending, refs;
	struct swt_ctx *ctx;
	bool unused;
	long ret = 0;
	int probe;

	ctx = swt_open(test);
	if (p->shared)
		old = swt_point(ctx, p->value);
	pending = swt_pending(ctx->tl);
	refs = kref_read(&ctx->tl->kref);

	for (k = 1; k <= SWT_FAULT_STEPS; k++) {
		probe = swt_free_fd(test);
		swt_create_arg(ctx, p->value);
		swt_fail_nth(k);
		ret = swt_ioctl(ctx, SW_SYNC_IOC_CREATE_FENCE);
		unused = swt_fail_unused();
		if (unused) {
			/* Fewer than k allocation points: a normal success. */
			KUNIT_EXPECT_EQ(test, ret, 0);
			break;
		}
		if (dma_buf_fault_absorbed(!ret) &&
		    absorbed++ < DMA_BUF_FAULT_RETRIES) {
			dma_fence_put(swt_take(test, swt_create_result(ctx)));
			k--;
			continue;
		}
		failures++;
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "failure point %u", k);
		if (!ret) {
			dma_fence_put(swt_take(test, swt_create_result(ctx)));
			continue;
		}
		/* Nothing copied out, no descriptor kept or installed. */
		KUNIT_EXPECT_EQ_MSG(test, swt_create_result(ctx), -1,
				    "failure point %u", k);
		KUNIT_EXPECT_EQ_MSG(test, swt_free_fd(test), probe,
				    "failure point %u", k);
		/* No point left in the tree, none left holding the timeline. */
		KUNIT_EXPECT_EQ_MSG(test, swt_pending(ctx->tl), pending,
				    "failure point %u", k);
		KUNIT_EXPECT_EQ_MSG(test, kref_read(&ctx->tl->kref), refs,
				    "failure point %u", k);
		if (old)
			KUNIT_EXPECT_EQ_MSG(test, swt_refs(old), 1,
					    "failure point %u", k);
	}
	KUNIT_EXPECT_LE(test, k, SWT_FAULT_STEPS);
	kunit_info(test, "%u failure points\n", failures);

	if (!ret && k <= SWT_FAULT_STEPS) {
		fence = swt_take(test, swt_create_result(ctx));
		KUNIT_EXPECT_EQ(test, fence->seqno, (u64)p->value);
		if (old)
			KUNIT_EXPECT_PTR_EQ(test, fence, old);
		KUNIT_EXPECT_EQ(test, swt_signalled(fence), p->value == 0);
		dma_fence_put(fence);
	}
	swt_inc(ctx, 2);
	if (old)
		dma_fence_put(old);
	swt_expect_clean(ctx);
	KUNIT_ASSERT_GT_MSG(test, failures, 0,
			    "CREATE_FENCE has no failure point");
#else
	kunit_skip(test, "requires CONFIG_FAULT_INJECTION");
#endif
}

static struct kunit_case sw_sync_cases[] = {
	KUNIT_CASE_PARAM(signal_callback_may_release_another_signalled_point,
			 swt_release_gen_params),
	KUNIT_CASE(inc_signals_exactly_the_points_it_passes_in_order),
	KUNIT_CASE(inc_wraps_in_32_bit_order),
	KUNIT_CASE(close_fails_pending_points_which_live_while_referenced),
	KUNIT_CASE(released_pending_point_leaves_the_tree),
	KUNIT_CASE(get_deadline_reports_the_earliest_deadline),
	KUNIT_CASE_PARAM(create_fence_fails_cleanly_at_every_allocation,
			 swt_fault_gen_params),
	{}
};

static struct kunit_suite sw_sync_suite = {
	.name = "sw-sync",
	.test_cases = sw_sync_cases,
};

kunit_test_suites(&sw_sync_suite);

MODULE_DESCRIPTION("KUnit tests for sw_sync");
MODULE_LICENSE("GPL");
