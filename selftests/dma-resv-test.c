// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the reservation object: the functions exported by
 * drivers/dma-buf/dma-resv.c and the inline helpers of
 * include/linux/dma-resv.h, held to their Linux 6.12 behaviour.
 *
 * The suite only uses the public interface, so the same file can be run
 * against any implementation of it.
 */

/**
 * DOC: dma-resv KUnit suite
 *
 * What is mocked: only the fences. Most cases use the counted, kmalloc'd
 * fences of mock-fence.h. Cases that need more use struct drt_fence, local
 * to this file: it lives in KUnit-managed memory, so a fence released too
 * early stays readable and the case reports it instead of crashing; its
 * release callback counts per fence (and into the case's &struct mock_book)
 * and its set_deadline callback records the calls. The reservation objects
 * are real; each is finalised by a KUnit cleanup action.
 *
 * What is observed: return values; the fences and usages which the locked
 * and the unlocked iterators report; fence reference counts (the object
 * holds one reference per slot, the unlocked iterator one on its current
 * fence, the getters one per returned fence); the release counters; the
 * ww_mutex state through dma_resv_is_locked() and dma_resv_locking_ctx();
 * the text dma_resv_describe() writes into a seq_file over a local buffer.
 *
 * 6.12 rules pinned down here: dma_resv_add_fence() reuses the slot of a
 * fence of the same context if the old usage is the same or less strict
 * and the new fence is the same or later, and the slot of any signalled
 * fence; the locked iterator reports signalled fences, the unlocked one
 * skips them; dma_resv_reserve_fences() drops signalled fences when it
 * grows the table; dma_resv_copy_fences() copies only pending fences and
 * empties the destination if there are none; dma_resv_get_singleton()
 * hands back the fence itself if there is exactly one, else a new
 * dma_fence_array; dma_resv_wait_timeout() with a zero timeout answers 1
 * or 0; dma_resv_describe() leaves bookkeeping fences out.
 *
 * Not exercised, because 6.12 answers them with BUG or WARN: adding a fence
 * without a reserved slot, reserving zero slots, adding a container fence,
 * and dma_resv_lock_slow() without a preceding -EDEADLK (under
 * CONFIG_DEBUG_WW_MUTEX_SLOWPATH that warns and turns lockdep off). The
 * effect of dma_resv_reset_max_fences() (a reservation does not survive an
 * unlock under CONFIG_DEBUG_MUTEXES) can only be observed through that
 * BUG; the cases re-reserve after every relock, as the interface asks.
 *
 * Fault injection: resv_reserve_fences_fails_cleanly,
 * resv_get_fences_fails_cleanly and resv_copy_fences_fails_cleanly walk the
 * allocation failure points of this directory's dma_buf_fail_alloc() hook
 * with ``current->fail_nth`` and require at least one; they skip without
 * CONFIG_FAULT_INJECTION. Upstream 6.12's dma-resv.c has no such hook, so
 * they fail against it. The same walk over dma_resv_get_singleton()
 * (resv_get_singleton_fails_cleanly) also finds the failure point of
 * dma_fence_array_create().
 *
 * Threads: resv_race_readers_against_a_writer runs a writer and a reader
 * kthread, resv_ww_two_tasks_in_opposite_order_both_finish two lockers,
 * bound to two different online CPUs. Both cases are skipped with a single
 * CPU and are bounded by iteration counts. Helper kthreads wait on pending fences or contended
 * locks only with a timeout, or on something the test thread releases
 * after a bounded wait; the test thread waits on pending fences only with
 * a timeout. A broken implementation thus fails a case instead of hanging
 * the boot.
 *
 * Locking: the cases are meant to run with PROVE_LOCKING and
 * DEBUG_WW_MUTEX_SLOWPATH, which makes ww_mutex_lock() fail with -EDEADLK
 * at random: every multi-object locker backs off and retries through
 * dma_resv_lock_slow(). No assertion that can abort a case is made while
 * a reservation lock or an acquire context is held. Callbacks neither
 * allocate nor use KUnit assertions.
 *
 * Running: ``./tools/testing/kunit/kunit.py run --arch=x86_64
 * --kunitconfig=drivers/dma-buf --qemu_args='-smp 2' 'dma-resv*'`` from the
 * top of a kernel tree.
 */

#include <kunit/test.h>

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/panic.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/ww_mutex.h>

#include "../dma-buf-fault.h"
#include "mock-fence.h"

/* How long a helper thread may take before the case gives up on it. */
#define DRT_THREAD_TIMEOUT	(60 * HZ)
/* Bound for a wait that another thread is expected to end. */
#define DRT_WAKE_TIMEOUT	(5 * HZ)
/* Bound on -EDEADLK back-offs of one acquire context. */
#define DRT_MAX_BACKOFFS	1000

/* Skips the case, saying why, when @cond does not hold. */
#define DRT_REQUIRES(test, cond)					\
	do {								\
		if (!(cond))						\
			kunit_skip((test), "requires " #cond);		\
	} while (0)

static const enum dma_resv_usage drt_usages[] = {
	DMA_RESV_USAGE_KERNEL,
	DMA_RESV_USAGE_WRITE,
	DMA_RESV_USAGE_READ,
	DMA_RESV_USAGE_BOOKKEEP,
};

#define DRT_NR_USAGES	4
#define DRT_ALL		DMA_RESV_USAGE_BOOKKEEP
static_assert(ARRAY_SIZE(drt_usages) == DRT_NR_USAGES);

static const char * const drt_usage_names[] = {
	[DMA_RESV_USAGE_KERNEL] = "kernel",
	[DMA_RESV_USAGE_WRITE] = "write",
	[DMA_RESV_USAGE_READ] = "read",
	[DMA_RESV_USAGE_BOOKKEEP] = "bookkeep",
};

static void drt_usage_desc(const enum dma_resv_usage *usage, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "usage %s",
		 drt_usage_names[*usage]);
}

KUNIT_ARRAY_PARAM(drt_usage, drt_usages, drt_usage_desc);

/* The usage a parameterised case runs with. */
static enum dma_resv_usage drt_param_usage(struct kunit *test)
{
	return *(const enum dma_resv_usage *)test->param_value;
}

/* Mock fences with per-fence counters, in KUnit-managed memory. */

struct drt_fence {
	struct dma_fence base;	/* first, like every dma_fence subclass */
	spinlock_t lock;
	struct mock_book *book;
	atomic_t releases;
	atomic_t deadlines;
	atomic64_t deadline_ns;
};

static struct drt_fence *to_drt(struct dma_fence *fence)
{
	return container_of(fence, struct drt_fence, base);
}

static void drt_fence_set_deadline(struct dma_fence *fence, ktime_t deadline)
{
	struct drt_fence *df = to_drt(fence);

	atomic64_set(&df->deadline_ns, ktime_to_ns(deadline));
	atomic_inc(&df->deadlines);
}

static void drt_fence_release(struct dma_fence *fence)
{
	struct drt_fence *df = to_drt(fence);

	/* The memory belongs to the test: count, do not free. */
	atomic_inc(&df->releases);
	atomic_inc(&df->book->releases);
}

static const struct dma_fence_ops drt_fence_ops = {
	.get_driver_name = mock_fence_name,
	.get_timeline_name = mock_fence_name,
	.set_deadline = drt_fence_set_deadline,
	.release = drt_fence_release,
};

/* @count pending fences, on contexts @context + i % @contexts. */
static struct drt_fence *drt_pool(struct mock_book *book, unsigned int count,
				  unsigned int contexts)
{
	u64 context = dma_fence_context_alloc(contexts);
	struct drt_fence *pool;
	unsigned int i;

	pool = kunit_kcalloc(book->test, count, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(book->test, pool);
	for (i = 0; i < count; i++) {
		spin_lock_init(&pool[i].lock);
		pool[i].book = book;
		dma_fence_init(&pool[i].base, &drt_fence_ops, &pool[i].lock,
			       context + i % contexts, i / contexts + 1);
		atomic_inc(&book->inits);
	}
	return pool;
}

/* Reservation objects and small helpers. */

KUNIT_DEFINE_ACTION_WRAPPER(drt_resv_fini_action, dma_resv_fini,
			    struct dma_resv *);

/* An initialised object which is finalised when the case ends. */
static struct dma_resv *drt_resv(struct kunit *test)
{
	struct dma_resv *obj = kunit_kzalloc(test, sizeof(*obj), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, obj);
	dma_resv_init(obj);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							drt_resv_fini_action,
							obj), 0);
	return obj;
}

/* A fence of its own new context. */
static struct dma_fence *drt_new(struct mock_book *book)
{
	return mock_fence(book, dma_fence_context_alloc(1), 1);
}

/* Every fence of @obj is signalled. */
static bool drt_idle(struct dma_resv *obj)
{
	return dma_resv_test_signaled(obj, DMA_RESV_USAGE_BOOKKEEP);
}

static unsigned int drt_refs(struct dma_fence *fence)
{
	return kref_read(&fence->refcount);
}

/* Reserves one slot and adds @fence, in a lock session of its own. */
static void drt_add(struct kunit *test, struct dma_resv *obj,
		    struct dma_fence *fence, enum dma_resv_usage usage)
{
	int err;

	dma_resv_lock(obj, NULL);
	err = dma_resv_reserve_fences(obj, 1);
	if (!err)
		dma_resv_add_fence(obj, fence, usage);
	dma_resv_unlock(obj);
	KUNIT_ASSERT_EQ(test, err, 0);
}

/* One fence of each usage, in usage order, each on its own context. */
static void drt_add_each_usage(struct kunit *test, struct mock_book *book,
			       struct dma_resv *obj,
			       struct dma_fence *fences[DRT_NR_USAGES])
{
	unsigned int u;

	for (u = 0; u < DRT_NR_USAGES; u++) {
		fences[u] = drt_new(book);
		drt_add(test, obj, fences[u], drt_usages[u]);
	}
}

static void drt_put_all(struct dma_fence **fences, unsigned int count)
{
	while (count--)
		dma_fence_put(fences[count]);
}

struct drt_entry {
	struct dma_fence *fence;
	enum dma_resv_usage usage;
};

/*
 * What the locked iterator reports for @usage: up to @max entries stored
 * in @out, the number of all of them returned.
 */
static unsigned int drt_list_locked(struct dma_resv *obj,
				    enum dma_resv_usage usage,
				    struct drt_entry *out, unsigned int max)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned int n = 0;

	dma_resv_lock(obj, NULL);
	dma_resv_for_each_fence(&cursor, obj, usage, fence) {
		if (n < max) {
			out[n].fence = fence;
			out[n].usage = dma_resv_iter_usage(&cursor);
		}
		n++;
	}
	dma_resv_unlock(obj);
	return n;
}

/* How often @fence occurs in @list, and with which usage (last seen). */
static unsigned int drt_find(const struct drt_entry *list, unsigned int n,
			     struct dma_fence *fence, enum dma_resv_usage *usage)
{
	unsigned int i, found = 0;

	for (i = 0; i < n; i++) {
		if (list[i].fence != fence)
			continue;
		found++;
		if (usage)
			*usage = list[i].usage;
	}
	return found;
}

/* Expects @fence exactly once in @list, with @usage. */
static void drt_expect_entry(struct kunit *test, const struct drt_entry *list,
			     unsigned int n, struct dma_fence *fence,
			     enum dma_resv_usage usage)
{
	enum dma_resv_usage seen = DMA_RESV_USAGE_BOOKKEEP;

	KUNIT_EXPECT_EQ_MSG(test, drt_find(list, n, fence, &seen), 1,
			    "fence %llu:%llu", fence->context, fence->seqno);
	KUNIT_EXPECT_EQ_MSG(test, seen, usage, "fence %llu:%llu",
			    fence->context, fence->seqno);
}

/* Helper threads. */

static void drt_stop_thread(void *data)
{
	kthread_stop_put(data);
}

/* Starts @fn(@arg) in a kthread, bound to @cpu unless it is negative. */
static struct task_struct *drt_spawn(struct kunit *test, int (*fn)(void *),
				     void *arg, int cpu)
{
	struct task_struct *task;

	task = kthread_create(fn, arg, "dma-resv-kunit/%d", cpu);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	if (cpu >= 0)
		kthread_bind(task, cpu);
	get_task_struct(task);
	wake_up_process(task);
	/* Stops the thread even if the case bails out early. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, drt_stop_thread,
							task), 0);
	return task;
}

static void drt_await(struct kunit *test, struct completion *done)
{
	KUNIT_ASSERT_GT_MSG(test,
			    wait_for_completion_timeout(done, DRT_THREAD_TIMEOUT),
			    0, "helper thread did not finish in time");
}

static void drt_two_cpus(struct kunit *test, int cpu[2])
{
	DRT_REQUIRES(test, num_online_cpus() >= 2);
	cpu[0] = cpumask_first(cpu_online_mask);
	cpu[1] = cpumask_next(cpu[0], cpu_online_mask);
}

/*
 * Multi-object locking with back-off, as a driver does it: on -EDEADLK
 * drop every lock, sleep on the contended object with dma_resv_lock_slow()
 * (or its interruptible twin) and take the others again.
 */
struct drt_locker {
	struct dma_resv **objs;
	unsigned int count;
	bool intr;
	unsigned int backoffs;
	/* Called once, after the first object of the first pass is held. */
	void (*after_first)(void *arg);
	void *arg;
};

static int drt_lock_one(struct drt_locker *l, struct dma_resv *obj,
			struct ww_acquire_ctx *ctx)
{
	return l->intr ? dma_resv_lock_interruptible(obj, ctx) :
			 dma_resv_lock(obj, ctx);
}

/* Unlocks what a pass took before index @end, and @contended. */
static void drt_unlock_pass(struct drt_locker *l, unsigned int end,
			    struct dma_resv *contended)
{
	unsigned int j;

	for (j = 0; j < end; j++)
		if (l->objs[j] != contended)
			dma_resv_unlock(l->objs[j]);
	if (contended)
		dma_resv_unlock(contended);
}

/* Returns 0 with every object held, or an error with none held. */
static int drt_lock_all(struct drt_locker *l, struct ww_acquire_ctx *ctx)
{
	struct dma_resv *contended = NULL;
	unsigned int attempt, i;
	int ret;

	for (attempt = 0; attempt < DRT_MAX_BACKOFFS; attempt++) {
		if (contended) {
			if (l->intr) {
				ret = dma_resv_lock_slow_interruptible(contended,
								       ctx);
				if (ret)
					return ret;
			} else {
				dma_resv_lock_slow(contended, ctx);
			}
		}
		for (i = 0; i < l->count; i++) {
			if (l->objs[i] == contended)
				continue;
			ret = drt_lock_one(l, l->objs[i], ctx);
			if (ret)
				break;
			if (!attempt && !i && l->after_first)
				l->after_first(l->arg);
		}
		if (i == l->count)
			return 0;
		drt_unlock_pass(l, i, contended);
		if (ret != -EDEADLK)
			return ret;
		contended = l->objs[i];
		l->backoffs++;
	}
	return -EAGAIN;
}

static void drt_unlock_all(struct drt_locker *l)
{
	unsigned int i;

	for (i = 0; i < l->count; i++)
		dma_resv_unlock(l->objs[i]);
}

/* Initialisation and the lock wrappers */

static void resv_init_gives_an_unlocked_empty_object(struct kunit *test)
{
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence **fences = ERR_PTR(-EINVAL);
	struct dma_fence *fence = ERR_PTR(-EINVAL);
	struct dma_resv_iter cursor;
	unsigned int count = 42, u;
	char buf[16] = "untouched";
	struct seq_file seq = { .buf = buf, .size = sizeof(buf) };

	KUNIT_EXPECT_TRUE(test, reservation_ww_class.is_wait_die);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(obj));
	KUNIT_EXPECT_NULL(test, dma_resv_locking_ctx(obj));

	for (u = 0; u < DRT_NR_USAGES; u++) {
		KUNIT_EXPECT_TRUE(test, dma_resv_test_signaled(obj, u));
		KUNIT_EXPECT_EQ(test, dma_resv_wait_timeout(obj, u, true, 0), 1);
		KUNIT_EXPECT_EQ(test, dma_resv_wait_timeout(obj, u, false, 7), 7);
		KUNIT_EXPECT_EQ(test, dma_resv_get_fences(obj, u, &count,
							  &fences), 0);
		KUNIT_EXPECT_EQ(test, count, 0);
		KUNIT_EXPECT_NULL(test, fences);
		KUNIT_EXPECT_EQ(test, dma_resv_get_singleton(obj, u, &fence), 0);
		KUNIT_EXPECT_NULL(test, fence);
		dma_resv_set_deadline(obj, u, ktime_get());

		dma_resv_iter_begin(&cursor, obj, u);
		KUNIT_EXPECT_NULL(test, dma_resv_iter_first_unlocked(&cursor));
		dma_resv_iter_end(&cursor);
	}

	dma_resv_lock(obj, NULL);
	dma_resv_iter_begin(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP);
	KUNIT_EXPECT_NULL(test, dma_resv_iter_first(&cursor));
	seq.count = 0;
	dma_resv_describe(obj, &seq);
	dma_resv_unlock(obj);
	KUNIT_EXPECT_EQ(test, seq.count, 0);
}

static void resv_lock_without_context_is_a_plain_mutex(struct kunit *test)
{
	struct dma_resv *obj = drt_resv(test);
	bool held, again;
	int ret;

	ret = dma_resv_lock(obj, NULL);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, dma_resv_is_locked(obj));
	KUNIT_EXPECT_NULL(test, dma_resv_locking_ctx(obj));
	dma_resv_assert_held(obj);
	held = !IS_ENABLED(CONFIG_LOCKDEP) || dma_resv_held(obj);
	again = dma_resv_trylock(obj);
	if (again)
		dma_resv_unlock(obj);
	dma_resv_unlock(obj);
	KUNIT_EXPECT_TRUE(test, held);
	KUNIT_EXPECT_FALSE_MSG(test, again, "trylock of a held lock succeeded");
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(obj));
	if (IS_ENABLED(CONFIG_LOCKDEP))
		KUNIT_EXPECT_FALSE(test, dma_resv_held(obj));

	ret = dma_resv_lock_interruptible(obj, NULL);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret) {
		KUNIT_EXPECT_TRUE(test, dma_resv_is_locked(obj));
		dma_resv_unlock(obj);
	}

	held = dma_resv_trylock(obj);
	KUNIT_EXPECT_TRUE(test, held);
	if (held) {
		KUNIT_EXPECT_TRUE(test, dma_resv_is_locked(obj));
		KUNIT_EXPECT_NULL(test, dma_resv_locking_ctx(obj));
		dma_resv_unlock(obj);
	}
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(obj));
}

static void resv_lock_with_context_records_it_and_reports_ealready(struct kunit *test)
{
	struct dma_resv *obj = drt_resv(test);
	struct ww_acquire_ctx ctx;
	int ret, again = 0;

	ww_acquire_init(&ctx, &reservation_ww_class);
	ret = dma_resv_lock(obj, &ctx);
	if (!ret) {
		KUNIT_EXPECT_PTR_EQ(test, dma_resv_locking_ctx(obj), &ctx);
		again = dma_resv_lock(obj, &ctx);
		if (!again)
			dma_resv_unlock(obj);
		dma_resv_unlock(obj);
	}
	ww_acquire_fini(&ctx);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, again, -EALREADY);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(obj));
	KUNIT_EXPECT_NULL(test, dma_resv_locking_ctx(obj));

	ww_acquire_init(&ctx, &reservation_ww_class);
	ret = dma_resv_lock_interruptible(obj, &ctx);
	if (!ret) {
		KUNIT_EXPECT_PTR_EQ(test, dma_resv_locking_ctx(obj), &ctx);
		again = dma_resv_lock_interruptible(obj, &ctx);
		if (!again)
			dma_resv_unlock(obj);
		dma_resv_unlock(obj);
	}
	ww_acquire_fini(&ctx);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, again, -EALREADY);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(obj));
}

/* A helper task holding the lock, or trying to take it with a signal. */
struct drt_holder {
	struct dma_resv *obj;
	bool with_ctx;
	struct ww_acquire_ctx *ctx;	/* the helper's, while it holds */
	int ret;
	struct completion holding;
	struct completion release;
	struct completion done;
};

/* Takes the lock in a context of its own, holds it until told. */
static int drt_holder_thread(void *data)
{
	struct drt_holder *h = data;
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, &reservation_ww_class);
	h->ret = dma_resv_lock(h->obj, &ctx);
	if (!h->ret) {
		WRITE_ONCE(h->ctx, &ctx);
		complete(&h->holding);
		wait_for_completion_timeout(&h->release, DRT_WAKE_TIMEOUT);
		WRITE_ONCE(h->ctx, NULL);
		dma_resv_unlock(h->obj);
	} else {
		complete(&h->holding);
	}
	ww_acquire_fini(&ctx);
	complete(&h->done);
	return 0;
}

static struct drt_holder *drt_holder_new(struct kunit *test,
					 struct dma_resv *obj)
{
	struct drt_holder *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, h);
	h->obj = obj;
	init_completion(&h->holding);
	init_completion(&h->release);
	init_completion(&h->done);
	return h;
}

static void resv_trylock_fails_while_another_task_holds_it(struct kunit *test)
{
	struct dma_resv *obj = drt_resv(test);
	struct drt_holder *h = drt_holder_new(test, obj);
	bool got;

	drt_spawn(test, drt_holder_thread, h, -1);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&h->holding,
							  DRT_WAKE_TIMEOUT), 0);
	KUNIT_ASSERT_EQ(test, h->ret, 0);

	got = dma_resv_trylock(obj);
	if (got)
		dma_resv_unlock(obj);
	KUNIT_EXPECT_FALSE(test, got);
	KUNIT_EXPECT_TRUE(test, dma_resv_is_locked(obj));
	KUNIT_EXPECT_PTR_EQ(test, dma_resv_locking_ctx(obj), READ_ONCE(h->ctx));
	KUNIT_EXPECT_NOT_NULL(test, dma_resv_locking_ctx(obj));

	complete(&h->release);
	drt_await(test, &h->done);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(obj));
	got = dma_resv_trylock(obj);
	KUNIT_EXPECT_TRUE(test, got);
	if (got)
		dma_resv_unlock(obj);
}

/* Tries dma_resv_lock_interruptible() with a signal already pending. */
static int drt_signalled_locker_thread(void *data)
{
	struct drt_holder *h = data;
	struct ww_acquire_ctx ctx;

	allow_signal(SIGUSR1);
	send_sig(SIGUSR1, current, 1);
	complete(&h->holding);
	/* The test thread takes the lock, then lets us go. */
	wait_for_completion_timeout(&h->release, DRT_WAKE_TIMEOUT);
	if (h->with_ctx)
		ww_acquire_init(&ctx, &reservation_ww_class);
	h->ret = dma_resv_lock_interruptible(h->obj,
					     h->with_ctx ? &ctx : NULL);
	if (!h->ret)
		dma_resv_unlock(h->obj);
	if (h->with_ctx)
		ww_acquire_fini(&ctx);
	disallow_signal(SIGUSR1);
	complete(&h->done);
	return 0;
}

static const bool drt_ctx_params[] = { false, true };

static void drt_ctx_desc(const bool *with_ctx, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s",
		 *with_ctx ? "acquire context" : "no context");
}

KUNIT_ARRAY_PARAM(drt_ctx, drt_ctx_params, drt_ctx_desc);

static void resv_lock_interruptible_gives_up_on_a_signal(struct kunit *test)
{
	struct dma_resv *obj = drt_resv(test);
	struct drt_holder *h = drt_holder_new(test, obj);
	bool returned;

	h->with_ctx = *(const bool *)test->param_value;
	drt_spawn(test, drt_signalled_locker_thread, h, -1);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&h->holding,
							  DRT_WAKE_TIMEOUT), 0);
	dma_resv_lock(obj, NULL);
	complete(&h->release);
	returned = wait_for_completion_timeout(&h->done, DRT_WAKE_TIMEOUT);
	dma_resv_unlock(obj);
	if (!returned)
		drt_await(test, &h->done);

	KUNIT_EXPECT_TRUE_MSG(test, returned,
			      "a signalled locker kept waiting for the lock");
	KUNIT_EXPECT_EQ(test, h->ret, -EINTR);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(obj));
}

static const bool drt_intr_params[] = { false, true };

static void drt_intr_desc(const bool *intr, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s",
		 *intr ? "interruptible" : "uninterruptible");
}

KUNIT_ARRAY_PARAM(drt_intr, drt_intr_params, drt_intr_desc);

#define DRT_MANY_OBJS	32

/*
 * More locks in one context than the -EDEADLK injection of
 * DEBUG_WW_MUTEX_SLOWPATH lets pass, so that the back-off through
 * dma_resv_lock_slow() is taken; then one fence goes into every object.
 */
static void resv_lock_many_objects_backs_off_and_completes(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *objs[DRT_MANY_OBJS];
	struct drt_locker l = {
		.objs = objs,
		.count = DRT_MANY_OBJS,
		.intr = *(const bool *)test->param_value,
	};
	struct dma_fence *fence = drt_new(book);
	struct ww_acquire_ctx ctx;
	unsigned int i, wrong_ctx = 0, added = 0;
	int ret;

	for (i = 0; i < DRT_MANY_OBJS; i++)
		objs[i] = drt_resv(test);

	ww_acquire_init(&ctx, &reservation_ww_class);
	ret = drt_lock_all(&l, &ctx);
	if (!ret) {
		ww_acquire_done(&ctx);
		for (i = 0; i < DRT_MANY_OBJS; i++) {
			if (dma_resv_locking_ctx(objs[i]) != &ctx)
				wrong_ctx++;
			if (!dma_resv_reserve_fences(objs[i], 1)) {
				dma_resv_add_fence(objs[i], fence,
						   DMA_RESV_USAGE_WRITE);
				added++;
			}
		}
		drt_unlock_all(&l);
	}
	ww_acquire_fini(&ctx);

	KUNIT_ASSERT_EQ(test, ret, 0);
	kunit_info(test, "%u back-offs\n", l.backoffs);
	if (IS_ENABLED(CONFIG_DEBUG_WW_MUTEX_SLOWPATH))
		KUNIT_EXPECT_GT(test, l.backoffs, 0);
	KUNIT_EXPECT_EQ(test, wrong_ctx, 0);
	KUNIT_EXPECT_EQ(test, added, DRT_MANY_OBJS);
	KUNIT_EXPECT_EQ(test, drt_refs(fence), DRT_MANY_OBJS + 1);
	for (i = 0; i < DRT_MANY_OBJS; i++) {
		KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(objs[i]));
		KUNIT_EXPECT_FALSE(test, drt_idle(objs[i]));
	}
	dma_fence_signal(fence);
	for (i = 0; i < DRT_MANY_OBJS; i++)
		KUNIT_EXPECT_TRUE(test, drt_idle(objs[i]));
	dma_fence_put(fence);
}

#define DRT_WW_ROUNDS	40
#define DRT_WW_POLLS	4000

/* Two lockers taking the same two objects in opposite order. */
struct drt_ww {
	struct dma_resv *objs[2];
	atomic_t finished;	/* rounds finished by either side */
	atomic_t arrived;	/* first locks taken, over all rounds */
	unsigned int met;	/* rounds in which locker 0 saw the other */
	unsigned int backoffs[2];
	unsigned int rounds[2];
	unsigned int wrong_ctx[2];
	int err[2];
	struct completion go;
	struct completion done[2];
};

struct drt_ww_side {
	struct drt_ww *w;
	int me;
	int round;
};

/* Polls, for a bounded while, until *@count reaches @want. */
static bool drt_wait_count(atomic_t *count, int want)
{
	int polls;

	for (polls = 0; polls < DRT_WW_POLLS; polls++) {
		if (atomic_read(count) >= want)
			return true;
		usleep_range(20, 50);
	}
	return false;
}

/* Waits until the other side holds its first lock too. */
static void drt_ww_meet(void *arg)
{
	struct drt_ww_side *s = arg;

	atomic_inc(&s->w->arrived);
	if (drt_wait_count(&s->w->arrived, 2 * (s->round + 1)) && !s->me)
		s->w->met++;
}

static int drt_ww_thread(struct drt_ww *w, int me)
{
	struct dma_resv *order[2] = { w->objs[me], w->objs[!me] };
	struct drt_ww_side side = { .w = w, .me = me };
	struct drt_locker l = {
		.objs = order,
		.count = 2,
		.after_first = drt_ww_meet,
		.arg = &side,
	};
	struct ww_acquire_ctx ctx;
	int ret;

	if (wait_for_completion_interruptible(&w->go))
		return 0;
	for (side.round = 0; side.round < DRT_WW_ROUNDS; side.round++) {
		if (kthread_should_stop())
			break;
		/* Both start a round with nothing held. */
		drt_wait_count(&w->finished, 2 * side.round);
		ww_acquire_init(&ctx, &reservation_ww_class);
		ret = drt_lock_all(&l, &ctx);
		if (!ret) {
			if (dma_resv_locking_ctx(order[0]) != &ctx ||
			    dma_resv_locking_ctx(order[1]) != &ctx)
				w->wrong_ctx[me]++;
			drt_unlock_all(&l);
		}
		ww_acquire_fini(&ctx);
		if (ret) {
			w->err[me] = ret;
			/* Do not keep the other side waiting. */
			atomic_add(DRT_WW_ROUNDS * 2, &w->arrived);
			atomic_add(DRT_WW_ROUNDS * 2, &w->finished);
			break;
		}
		w->rounds[me]++;
		atomic_inc(&w->finished);
	}
	w->backoffs[me] = l.backoffs;
	complete(&w->done[me]);
	return 0;
}

static int drt_ww_first(void *data)
{
	return drt_ww_thread(data, 0);
}

static int drt_ww_second(void *data)
{
	return drt_ww_thread(data, 1);
}

static void resv_ww_two_tasks_in_opposite_order_both_finish(struct kunit *test)
{
	struct drt_ww *w;
	int cpu[2];

	drt_two_cpus(test, cpu);
	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	w->objs[0] = drt_resv(test);
	w->objs[1] = drt_resv(test);
	init_completion(&w->go);
	init_completion(&w->done[0]);
	init_completion(&w->done[1]);

	drt_spawn(test, drt_ww_first, w, cpu[0]);
	drt_spawn(test, drt_ww_second, w, cpu[1]);
	complete_all(&w->go);
	drt_await(test, &w->done[0]);
	drt_await(test, &w->done[1]);

	kunit_info(test, "%u rounds met, back-offs %u + %u\n", w->met,
		   w->backoffs[0], w->backoffs[1]);
	KUNIT_EXPECT_EQ(test, w->err[0], 0);
	KUNIT_EXPECT_EQ(test, w->err[1], 0);
	KUNIT_EXPECT_EQ(test, w->rounds[0], DRT_WW_ROUNDS);
	KUNIT_EXPECT_EQ(test, w->rounds[1], DRT_WW_ROUNDS);
	KUNIT_EXPECT_EQ(test, w->wrong_ctx[0] + w->wrong_ctx[1], 0);
	/* Each round in which both held their first lock was a cycle. */
	KUNIT_EXPECT_GT(test, w->met, 0);
	KUNIT_EXPECT_GE(test, w->backoffs[0] + w->backoffs[1], w->met);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(w->objs[0]));
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(w->objs[1]));
}

/* Usage classes */

static void resv_usage_classes_are_ordered_by_strictness(struct kunit *test)
{
	KUNIT_EXPECT_LT(test, DMA_RESV_USAGE_KERNEL, DMA_RESV_USAGE_WRITE);
	KUNIT_EXPECT_LT(test, DMA_RESV_USAGE_WRITE, DMA_RESV_USAGE_READ);
	KUNIT_EXPECT_LT(test, DMA_RESV_USAGE_READ, DMA_RESV_USAGE_BOOKKEEP);
	/* A writer waits for readers and writers, a reader for writers. */
	KUNIT_EXPECT_EQ(test, dma_resv_usage_rw(true), DMA_RESV_USAGE_READ);
	KUNIT_EXPECT_EQ(test, dma_resv_usage_rw(false), DMA_RESV_USAGE_WRITE);
}

/* Adding fences */

static void resv_add_fence_takes_a_reference_fini_drops_it(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	enum dma_resv_usage usage = drt_param_usage(test);
	struct dma_fence *fences[5];
	struct drt_entry list[5];
	struct dma_resv obj;
	unsigned int i, n;
	int err;

	for (i = 0; i < ARRAY_SIZE(fences); i++)
		fences[i] = drt_new(book);

	dma_resv_init(&obj);
	dma_resv_lock(&obj, NULL);
	err = dma_resv_reserve_fences(&obj, ARRAY_SIZE(fences));
	for (i = 0; !err && i < ARRAY_SIZE(fences); i++)
		dma_resv_add_fence(&obj, fences[i], usage);
	dma_resv_unlock(&obj);
	KUNIT_EXPECT_EQ(test, err, 0);

	n = drt_list_locked(&obj, DMA_RESV_USAGE_BOOKKEEP, list,
			    ARRAY_SIZE(list));
	KUNIT_EXPECT_EQ(test, n, err ? 0 : ARRAY_SIZE(fences));
	for (i = 0; !err && i < ARRAY_SIZE(fences); i++) {
		KUNIT_EXPECT_EQ(test, drt_refs(fences[i]), 2);
		drt_expect_entry(test, list, n, fences[i], usage);
	}
	drt_put_all(fences, ARRAY_SIZE(fences));
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases),
			err ? ARRAY_SIZE(fences) : 0);
	dma_resv_fini(&obj);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases),
			ARRAY_SIZE(fences));
}

/*
 * The 6.12 rule: a fence takes over the slot of a fence of its own context
 * if the old usage is the same or less strict (numerically >=) and the new
 * fence is the same or later; otherwise both are kept.
 */
static void resv_add_fence_replaces_same_context(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	enum dma_resv_usage old_usage = drt_param_usage(test);
	struct drt_entry list[4];
	unsigned int u, n, k;

	for (u = 0; u < DRT_NR_USAGES; u++) {
		enum dma_resv_usage usage = drt_usages[u];
		bool may = old_usage >= usage;

		/* k: 0 a later fence, 1 an earlier one, 2 the same one */
		for (k = 0; k < 3; k++) {
			struct dma_resv *obj = drt_resv(test);
			u64 context = dma_fence_context_alloc(1);
			struct dma_fence *old = mock_fence(book, context, 2);
			struct dma_fence *new = k == 2 ? dma_fence_get(old) :
				mock_fence(book, context, k ? 1 : 3);
			bool replaced = may && k != 1;

			dma_resv_lock(obj, NULL);
			if (!dma_resv_reserve_fences(obj, 2)) {
				dma_resv_add_fence(obj, old, old_usage);
				dma_resv_add_fence(obj, new, usage);
			}
			dma_resv_unlock(obj);

			n = drt_list_locked(obj, DMA_RESV_USAGE_BOOKKEEP, list,
					    ARRAY_SIZE(list));
			KUNIT_EXPECT_EQ_MSG(test, n, replaced ? 1 : 2,
					    "%s over %s, case %u",
					    drt_usage_names[usage],
					    drt_usage_names[old_usage], k);
			if (k == 2) {
				KUNIT_EXPECT_EQ(test, drt_refs(old), n + 2);
			} else if (replaced) {
				KUNIT_EXPECT_EQ(test, drt_refs(old), 1);
				drt_expect_entry(test, list, n, new, usage);
			} else {
				KUNIT_EXPECT_EQ(test, drt_refs(old), 2);
				drt_expect_entry(test, list, n, old, old_usage);
				drt_expect_entry(test, list, n, new, usage);
			}
			if (k == 2 && replaced)
				drt_expect_entry(test, list, n, old, usage);
			dma_fence_put(new);
			dma_fence_put(old);
		}
	}
}

static void resv_add_fence_reuses_the_slot_of_a_signalled_fence(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	enum dma_resv_usage usage = drt_param_usage(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *done = drt_new(book);
	struct dma_fence *keep = drt_new(book);
	struct dma_fence *next = drt_new(book);
	struct drt_entry list[4];
	unsigned int n;

	/* One session: the reservation covers both adds. */
	dma_resv_lock(obj, NULL);
	if (!dma_resv_reserve_fences(obj, 3)) {
		dma_resv_add_fence(obj, keep, DMA_RESV_USAGE_BOOKKEEP);
		dma_resv_add_fence(obj, done, DMA_RESV_USAGE_KERNEL);
		dma_fence_signal(done);
		dma_resv_add_fence(obj, next, usage);
	}
	dma_resv_unlock(obj);

	n = drt_list_locked(obj, DMA_RESV_USAGE_BOOKKEEP, list,
			    ARRAY_SIZE(list));
	KUNIT_EXPECT_EQ(test, n, 2);
	drt_expect_entry(test, list, n, keep, DMA_RESV_USAGE_BOOKKEEP);
	drt_expect_entry(test, list, n, next, usage);
	KUNIT_EXPECT_EQ(test, drt_find(list, n, done, NULL), 0);
	KUNIT_EXPECT_EQ(test, drt_refs(done), 1);
	KUNIT_EXPECT_EQ(test, drt_refs(next), 2);

	dma_fence_put(next);
	dma_fence_put(keep);
	dma_fence_put(done);
}

static void resv_reserve_drops_signalled_fences_when_it_grows(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *fences[DRT_NR_USAGES];
	struct drt_entry list[DRT_NR_USAGES];
	unsigned int n;
	int err;

	drt_add_each_usage(test, book, obj, fences);
	dma_fence_signal(fences[0]);
	mock_signal_error(fences[2], -EIO);

	/* Far more than any table of four fences holds. */
	dma_resv_lock(obj, NULL);
	err = dma_resv_reserve_fences(obj, 256);
	dma_resv_unlock(obj);
	KUNIT_EXPECT_EQ(test, err, 0);

	n = drt_list_locked(obj, DMA_RESV_USAGE_BOOKKEEP, list,
			    ARRAY_SIZE(list));
	KUNIT_EXPECT_EQ(test, n, 2);
	drt_expect_entry(test, list, n, fences[1], DMA_RESV_USAGE_WRITE);
	drt_expect_entry(test, list, n, fences[3], DMA_RESV_USAGE_BOOKKEEP);
	KUNIT_EXPECT_EQ(test, drt_refs(fences[0]), 1);
	KUNIT_EXPECT_EQ(test, drt_refs(fences[2]), 1);
	KUNIT_EXPECT_EQ(test, drt_refs(fences[1]), 2);
	drt_put_all(fences, DRT_NR_USAGES);
}

/* The reservation is good for the session; the next one reserves again. */
static void resv_reserve_again_after_relock_then_add(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *fences[8];
	unsigned int i, added = 0;
	int err;

	for (i = 0; i < ARRAY_SIZE(fences); i++)
		fences[i] = drt_new(book);

	dma_resv_lock(obj, NULL);
	err = dma_resv_reserve_fences(obj, 4);
	dma_resv_unlock(obj);
	KUNIT_EXPECT_EQ(test, err, 0);

	dma_resv_lock(obj, NULL);
	err = dma_resv_reserve_fences(obj, 4);
	if (!err) {
		for (i = 0; i < 4; i++, added++)
			dma_resv_add_fence(obj, fences[i],
					   DMA_RESV_USAGE_READ);
		/* Slots left over are dropped on unlock with DEBUG_MUTEXES. */
		dma_resv_reset_max_fences(obj);
		err = dma_resv_reserve_fences(obj, 4);
	}
	if (!err)
		for (; i < ARRAY_SIZE(fences); i++, added++)
			dma_resv_add_fence(obj, fences[i],
					   DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(obj);

	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, added, ARRAY_SIZE(fences));
	for (i = 0; i < added; i++)
		KUNIT_EXPECT_EQ(test, drt_refs(fences[i]), 2);
	KUNIT_EXPECT_EQ(test, drt_list_locked(obj, DMA_RESV_USAGE_BOOKKEEP,
					      NULL, 0), added);
	KUNIT_EXPECT_EQ(test, drt_list_locked(obj, DMA_RESV_USAGE_WRITE,
					      NULL, 0), added - 4);
	drt_put_all(fences, ARRAY_SIZE(fences));
}

#define DRT_MANY_FENCES	1000

static const bool drt_batch_params[] = { false, true };

static void drt_batch_desc(const bool *batch, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s",
		 *batch ? "one reservation" : "a session per fence");
}

KUNIT_ARRAY_PARAM(drt_batch, drt_batch_params, drt_batch_desc);

static void resv_holds_a_thousand_contexts(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	bool batch = *(const bool *)test->param_value;
	struct dma_resv *obj = drt_resv(test);
	u64 base = dma_fence_context_alloc(DRT_MANY_FENCES);
	struct dma_fence **fences, **got;
	struct dma_fence_array *array;
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned long *seen;
	unsigned int i, n, count, bad = 0, added = 0;
	int err = 0;

	fences = kunit_kcalloc(test, DRT_MANY_FENCES, sizeof(*fences),
			       GFP_KERNEL);
	seen = kunit_kcalloc(test, BITS_TO_LONGS(DRT_MANY_FENCES),
			     sizeof(*seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fences);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	for (i = 0; i < DRT_MANY_FENCES; i++)
		fences[i] = mock_fence(book, base + i, 1);

	if (batch) {
		dma_resv_lock(obj, NULL);
		err = dma_resv_reserve_fences(obj, DRT_MANY_FENCES);
		for (i = 0; !err && i < DRT_MANY_FENCES; i++, added++)
			dma_resv_add_fence(obj, fences[i], drt_usages[i % 4]);
		dma_resv_unlock(obj);
	} else {
		for (i = 0; i < DRT_MANY_FENCES; i++, added++)
			drt_add(test, obj, fences[i], drt_usages[i % 4]);
	}
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_EQ(test, added, DRT_MANY_FENCES);

	/* Each context exactly once, with its usage, through both walks. */
	n = 0;
	dma_resv_lock(obj, NULL);
	dma_resv_for_each_fence(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP, fence) {
		i = fence->context - base;
		if (i >= DRT_MANY_FENCES || test_and_set_bit(i, seen) ||
		    dma_resv_iter_usage(&cursor) != drt_usages[i % 4])
			bad++;
		n++;
	}
	dma_resv_unlock(obj);
	KUNIT_EXPECT_EQ(test, n, DRT_MANY_FENCES);
	KUNIT_EXPECT_EQ(test, bad, 0);

	bitmap_zero(seen, DRT_MANY_FENCES);
	n = 0;
	dma_resv_iter_begin(&cursor, obj, DMA_RESV_USAGE_READ);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_resv_iter_is_restarted(&cursor)) {
			bitmap_zero(seen, DRT_MANY_FENCES);
			n = 0;
		}
		i = fence->context - base;
		if (i >= DRT_MANY_FENCES || test_and_set_bit(i, seen) ||
		    drt_usages[i % 4] > DMA_RESV_USAGE_READ)
			bad++;
		n++;
	}
	dma_resv_iter_end(&cursor);
	KUNIT_EXPECT_EQ(test, n, DRT_MANY_FENCES / 4 * 3);
	KUNIT_EXPECT_EQ(test, bad, 0);

	KUNIT_EXPECT_EQ(test, dma_resv_get_fences(obj, DMA_RESV_USAGE_BOOKKEEP,
						  &count, &got), 0);
	KUNIT_EXPECT_EQ(test, count, DRT_MANY_FENCES);
	drt_put_all(got, count);
	kfree(got);

	fence = NULL;
	KUNIT_EXPECT_EQ(test, dma_resv_get_singleton(obj, DRT_ALL, &fence), 0);
	array = to_dma_fence_array(fence);
	KUNIT_EXPECT_NOT_NULL(test, array);
	if (array)
		KUNIT_EXPECT_EQ(test, array->num_fences, DRT_MANY_FENCES);
	dma_fence_put(fence);

	for (i = 0; i < DRT_MANY_FENCES; i += 2)
		dma_fence_signal(fences[i]);
	KUNIT_EXPECT_FALSE(test, drt_idle(obj));
	KUNIT_EXPECT_EQ(test, dma_resv_get_fences(obj, DMA_RESV_USAGE_BOOKKEEP,
						  &count, &got), 0);
	KUNIT_EXPECT_EQ(test, count, DRT_MANY_FENCES / 2);
	drt_put_all(got, count);
	kfree(got);

	for (i = 1; i < DRT_MANY_FENCES; i += 2)
		dma_fence_signal(fences[i]);
	KUNIT_EXPECT_TRUE(test, drt_idle(obj));
	KUNIT_EXPECT_EQ(test, dma_resv_wait_timeout(obj, DMA_RESV_USAGE_BOOKKEEP,
						    false, 0), 1);
	for (i = 0; i < DRT_MANY_FENCES; i++)
		KUNIT_EXPECT_EQ(test, drt_refs(fences[i]), 2);
	drt_put_all(fences, DRT_MANY_FENCES);
}

static void resv_add_fence_same_context_again_stays_one_slot(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	enum dma_resv_usage usage = drt_param_usage(test);
	struct dma_resv *obj = drt_resv(test);
	u64 context = dma_fence_context_alloc(1);
	struct dma_fence *fence, *last = NULL;
	struct drt_entry list[2];
	unsigned int i, n;

	for (i = 1; i <= DRT_MANY_FENCES; i++) {
		fence = mock_fence(book, context, i);
		drt_add(test, obj, fence, usage);
		dma_fence_put(last);
		last = fence;
	}
	/* Every replaced fence was dropped by the object, synchronously. */
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases),
			DRT_MANY_FENCES - 1);

	n = drt_list_locked(obj, DMA_RESV_USAGE_BOOKKEEP, list,
			    ARRAY_SIZE(list));
	KUNIT_EXPECT_EQ(test, n, 1);
	drt_expect_entry(test, list, n, last, usage);
	KUNIT_EXPECT_EQ(test, drt_refs(last), 2);
	dma_fence_put(last);
}

/* Replacing fences */

static void resv_replace_fences_swaps_every_fence_of_a_context(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	enum dma_resv_usage usage = drt_param_usage(test);
	struct dma_resv *obj = drt_resv(test);
	u64 context = dma_fence_context_alloc(1);
	struct dma_fence *a1 = mock_fence(book, context, 1);
	struct dma_fence *a2 = mock_fence(book, context, 2);
	struct dma_fence *other = drt_new(book);
	struct dma_fence *repl = drt_new(book);
	struct drt_entry list[4];
	unsigned int n, i;

	/* A stricter older fence is not replaced by the later one. */
	drt_add(test, obj, a1, DMA_RESV_USAGE_KERNEL);
	drt_add(test, obj, other, DMA_RESV_USAGE_WRITE);
	drt_add(test, obj, a2, DMA_RESV_USAGE_BOOKKEEP);
	KUNIT_ASSERT_EQ(test, drt_list_locked(obj, DMA_RESV_USAGE_BOOKKEEP,
					      NULL, 0), 3);

	dma_resv_lock(obj, NULL);
	/* Nothing of these contexts: no change. */
	dma_resv_replace_fences(obj, repl->context, repl, usage);
	dma_resv_replace_fences(obj, dma_fence_context_alloc(1), repl, usage);
	dma_resv_replace_fences(obj, context, repl, usage);
	dma_resv_unlock(obj);

	n = drt_list_locked(obj, DMA_RESV_USAGE_BOOKKEEP, list,
			    ARRAY_SIZE(list));
	KUNIT_EXPECT_EQ(test, n, 3);
	KUNIT_EXPECT_EQ(test, drt_find(list, n, repl, NULL), 2);
	for (i = 0; i < n; i++)
		if (list[i].fence == repl)
			KUNIT_EXPECT_EQ(test, list[i].usage, usage);
	drt_expect_entry(test, list, n, other, DMA_RESV_USAGE_WRITE);
	KUNIT_EXPECT_EQ(test, drt_refs(a1), 1);
	KUNIT_EXPECT_EQ(test, drt_refs(a2), 1);
	KUNIT_EXPECT_EQ(test, drt_refs(repl), 3);
	KUNIT_EXPECT_EQ(test, drt_refs(other), 2);

	dma_fence_put(repl);
	dma_fence_put(other);
	dma_fence_put(a2);
	dma_fence_put(a1);
}

static void resv_replace_fences_on_an_empty_object_does_nothing(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *repl = drt_new(book);

	dma_resv_lock(obj, NULL);
	dma_resv_replace_fences(obj, repl->context, repl,
				DMA_RESV_USAGE_KERNEL);
	dma_resv_unlock(obj);
	KUNIT_EXPECT_EQ(test, drt_refs(repl), 1);
	KUNIT_EXPECT_EQ(test, drt_list_locked(obj, DMA_RESV_USAGE_BOOKKEEP,
					      NULL, 0), 0);
	dma_fence_put(repl);
}

/* Iteration */

/*
 * The locked walk reports every slot up to the usage, signalled or not;
 * the unlocked walk only the pending ones, holding a reference to each
 * while it is current.
 */
static void resv_iterators_filter_by_usage(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	enum dma_resv_usage usage = drt_param_usage(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *fences[DRT_NR_USAGES], *done = drt_new(book);
	struct dma_resv_iter cursor;
	struct drt_entry list[8];
	struct dma_fence *fence;
	unsigned int n, u, refs_ok = 0, restarts = 0;

	drt_add_each_usage(test, book, obj, fences);
	dma_resv_lock(obj, NULL);
	if (!dma_resv_reserve_fences(obj, 1)) {
		dma_resv_add_fence(obj, done, DMA_RESV_USAGE_KERNEL);
		dma_fence_signal(done);
	}
	dma_resv_unlock(obj);

	n = 0;
	dma_resv_lock(obj, NULL);
	dma_resv_for_each_fence(&cursor, obj, usage, fence) {
		if (n < ARRAY_SIZE(list)) {
			list[n].fence = fence;
			list[n].usage = dma_resv_iter_usage(&cursor);
		}
		if (dma_resv_iter_is_restarted(&cursor) != !n)
			restarts++;
		n++;
	}
	dma_resv_unlock(obj);
	KUNIT_EXPECT_EQ(test, n, usage + 2);
	KUNIT_EXPECT_EQ_MSG(test, restarts, 0,
			    "only the first fence reads as restarted");
	for (u = 0; u < DRT_NR_USAGES; u++)
		KUNIT_EXPECT_EQ(test, drt_find(list, n, fences[u], NULL),
				u <= usage ? 1 : 0);
	drt_expect_entry(test, list, n, done, DMA_RESV_USAGE_KERNEL);

	n = 0;
	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_resv_iter_is_restarted(&cursor) != !n)
			restarts++;
		if (n < ARRAY_SIZE(list)) {
			list[n].fence = fence;
			list[n].usage = dma_resv_iter_usage(&cursor);
		}
		/* Ours, the object's and the cursor's. */
		if (drt_refs(fence) == 3)
			refs_ok++;
		n++;
	}
	dma_resv_iter_end(&cursor);
	KUNIT_EXPECT_EQ(test, n, usage + 1);
	KUNIT_EXPECT_EQ(test, restarts, 0);
	KUNIT_EXPECT_EQ(test, refs_ok, n);
	for (u = 0; u < DRT_NR_USAGES; u++) {
		if (u <= usage)
			drt_expect_entry(test, list, n, fences[u], u);
		else
			KUNIT_EXPECT_EQ(test, drt_find(list, n, fences[u],
						       NULL), 0);
		KUNIT_EXPECT_EQ(test, drt_refs(fences[u]), 2);
	}
	KUNIT_EXPECT_EQ(test, drt_find(list, n, done, NULL), 0);

	dma_fence_put(done);
	drt_put_all(fences, DRT_NR_USAGES);
}

static void resv_unlocked_iteration_restarts_when_the_object_changes(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *a = drt_new(book), *b = drt_new(book);
	struct dma_fence *c = drt_new(book);
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	struct drt_entry list[4];
	unsigned int n = 0;
	bool restarted = false;
	int err;

	drt_add(test, obj, a, DMA_RESV_USAGE_WRITE);
	drt_add(test, obj, b, DMA_RESV_USAGE_READ);

	dma_resv_iter_begin(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP);
	fence = dma_resv_iter_first_unlocked(&cursor);
	KUNIT_EXPECT_TRUE(test, dma_resv_iter_is_restarted(&cursor));
	if (fence)
		list[n++].fence = fence;

	/* Grow the table and add a fence behind the cursor's back. */
	dma_resv_lock(obj, NULL);
	err = dma_resv_reserve_fences(obj, 256);
	if (!err)
		dma_resv_add_fence(obj, c, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_unlock(obj);

	while ((fence = dma_resv_iter_next_unlocked(&cursor))) {
		if (dma_resv_iter_is_restarted(&cursor)) {
			restarted = true;
			n = 0;
		}
		if (n < ARRAY_SIZE(list))
			list[n].fence = fence;
		n++;
	}
	dma_resv_iter_end(&cursor);

	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_TRUE_MSG(test, restarted,
			      "walk went on over a replaced fence table");
	KUNIT_EXPECT_EQ(test, n, 3);
	KUNIT_EXPECT_EQ(test, drt_find(list, n, a, NULL), 1);
	KUNIT_EXPECT_EQ(test, drt_find(list, n, b, NULL), 1);
	KUNIT_EXPECT_EQ(test, drt_find(list, n, c, NULL), 1);
	KUNIT_EXPECT_EQ(test, drt_refs(a), 2);

	dma_fence_put(c);
	dma_fence_put(b);
	dma_fence_put(a);
}

#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
/* The table swap the ABA case performs between two steps of a walk. */
struct drt_aba {
	struct dma_resv_iter *iter;
	struct dma_resv *obj, *one, *two;
	bool armed;
	bool reused;	/* the new table got the walked table's address */
};

static struct drt_aba *drt_aba_now;

/*
 * Runs at the start of the walk's next step, where the walk holds no RCU
 * read lock (the caller could sleep here): replace the walked table by a
 * copy of @one, let RCU free it, then replace the copy by one of @two,
 * which the allocator may place at the address just freed.
 */
static void drt_aba_hook(const char *site, void *object)
{
	struct drt_aba *a = READ_ONCE(drt_aba_now);
	struct dma_resv_list *walked;

	if (!a || !a->armed || object != a->iter ||
	    strcmp(site, "resv-iter-advance"))
		return;
	a->armed = false;
	walked = a->iter->fences;

	dma_resv_lock(a->obj, NULL);
	dma_resv_copy_fences(a->obj, a->one);
	dma_resv_unlock(a->obj);
	kvfree_rcu_barrier();
	dma_resv_lock(a->obj, NULL);
	dma_resv_copy_fences(a->obj, a->two);
	a->reused = rcu_access_pointer(a->obj->fences) == walked;
	dma_resv_unlock(a->obj);
}

static void drt_aba_unhook(void *unused)
{
	WRITE_ONCE(dma_buf_race_hook, NULL);
	WRITE_ONCE(drt_aba_now, NULL);
}
#endif

#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
/* Fences another task adds while dma_resv_get_fences() allocates. */
struct drt_grow {
	struct dma_resv *obj;
	struct dma_fence *extra[8];
	unsigned int calls;
};

static struct drt_grow *drt_grow_now;

/*
 * Runs before each pass of dma_resv_get_fences(), outside RCU: on the
 * second, after the first pass sized and allocated the array, add more
 * fences than it has room for, so that the table is replaced too.
 */
static void drt_grow_hook(const char *site, void *object)
{
	struct drt_grow *g = READ_ONCE(drt_grow_now);
	unsigned int i;

	if (!g || object != g->obj || strcmp(site, "resv-get-fences") ||
	    ++g->calls != 2)
		return;
	dma_resv_lock(g->obj, NULL);
	if (!dma_resv_reserve_fences(g->obj, ARRAY_SIZE(g->extra)))
		for (i = 0; i < ARRAY_SIZE(g->extra); i++)
			dma_resv_add_fence(g->obj, g->extra[i],
					   DMA_RESV_USAGE_READ);
	dma_resv_unlock(g->obj);
}

static unsigned int drt_count_in(struct dma_fence **got, unsigned int n,
				 struct dma_fence *fence)
{
	unsigned int found = 0;

	while (n--)
		found += got[n] == fence;
	return found;
}

static void drt_grow_unhook(void *unused)
{
	WRITE_ONCE(dma_buf_race_hook, NULL);
	WRITE_ONCE(drt_grow_now, NULL);
}
#endif

/*
 * dma_resv_get_fences() sizes its array, allocates it outside RCU, and
 * copies: fences added in between must make it allocate again and copy
 * the new table, with exactly one reference per fence returned and none
 * left behind by the pass it abandoned.
 */
static void resv_get_fences_starts_over_when_fences_are_added_meanwhile(struct kunit *test)
{
#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *a = drt_new(book), *b = drt_new(book);
	struct dma_resv *obj = drt_resv(test);
	struct drt_grow g = { .obj = obj };
	struct dma_fence **got = NULL;
	unsigned int count = 0, i;
	int err;

	for (i = 0; i < ARRAY_SIZE(g.extra); i++)
		g.extra[i] = drt_new(book);
	drt_add(test, obj, a, DMA_RESV_USAGE_WRITE);
	drt_add(test, obj, b, DMA_RESV_USAGE_READ);

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, drt_grow_unhook,
							NULL), 0);
	WRITE_ONCE(drt_grow_now, &g);
	WRITE_ONCE(dma_buf_race_hook, drt_grow_hook);
	err = dma_resv_get_fences(obj, DMA_RESV_USAGE_BOOKKEEP, &count, &got);
	drt_grow_unhook(NULL);

	KUNIT_ASSERT_EQ(test, err, 0);
	/* sized for 2, found 10 on the second pass, copied on the third */
	KUNIT_EXPECT_EQ(test, g.calls, 3);
	KUNIT_ASSERT_EQ(test, count, 2 + ARRAY_SIZE(g.extra));
	KUNIT_EXPECT_EQ(test, drt_count_in(got, count, a), 1);
	KUNIT_EXPECT_EQ(test, drt_count_in(got, count, b), 1);
	for (i = 0; i < ARRAY_SIZE(g.extra); i++) {
		KUNIT_EXPECT_EQ(test, drt_count_in(got, count, g.extra[i]), 1);
		/* ours, the object's and the array's */
		KUNIT_EXPECT_EQ(test, drt_refs(g.extra[i]), 3);
	}
	KUNIT_EXPECT_EQ(test, drt_refs(a), 3);
	drt_put_all(got, count);
	kfree(got);
	KUNIT_EXPECT_EQ(test, drt_refs(a), 2);

	drt_put_all(g.extra, ARRAY_SIZE(g.extra));
	dma_fence_put(b);
	dma_fence_put(a);
#else
	kunit_skip(test, "needs the suite built in (race windows)");
#endif
}

#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
/* The object whose empty table is dropped inside dma_resv_copy_fences(). */
struct drt_drop {
	struct dma_resv *src, *empty;
	bool armed;
};

static struct drt_drop *drt_drop_now;

/*
 * Runs inside the copy's RCU section, right after it read @src's table:
 * replace that (empty) table by none, which the copy must notice. Copying
 * from an object without a table allocates nothing, so nothing sleeps.
 * The caller holds @src's lock.
 */
static void drt_drop_hook(const char *site, void *object)
{
	struct drt_drop *d = READ_ONCE(drt_drop_now);

	if (!d || !d->armed || object != d->src ||
	    strcmp(site, "resv-copy-fences"))
		return;
	d->armed = false;
	dma_resv_copy_fences(d->src, d->empty);
}

static void drt_drop_unhook(void *unused)
{
	WRITE_ONCE(dma_buf_race_hook, NULL);
	WRITE_ONCE(drt_drop_now, NULL);
}
#endif

/*
 * From the review: a copy whose source table is empty allocates nothing;
 * if the source's table is replaced during that pass, the copy starts
 * over with no list of its own to empty. It must not touch one (it did:
 * NULL dereference), and ends with the destination empty.
 */
static void resv_copy_fences_from_an_empty_table_that_goes_away(struct kunit *test)
{
#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *dst = drt_resv(test), *src = drt_resv(test);
	struct drt_drop d = { .src = src, .empty = drt_resv(test) };
	struct dma_fence *old = drt_new(book);
	struct ww_acquire_ctx ctx;
	int err;

	drt_add(test, dst, old, DMA_RESV_USAGE_WRITE);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, drt_drop_unhook,
							NULL), 0);

	ww_acquire_init(&ctx, &reservation_ww_class);
	KUNIT_ASSERT_EQ(test, dma_resv_lock(dst, &ctx), 0);
	KUNIT_ASSERT_EQ(test, dma_resv_lock(src, &ctx), 0);
	/* a table, but no fence in it */
	KUNIT_ASSERT_EQ(test, dma_resv_reserve_fences(src, 1), 0);
	KUNIT_ASSERT_NOT_NULL(test, rcu_access_pointer(src->fences));

	d.armed = true;
	WRITE_ONCE(drt_drop_now, &d);
	WRITE_ONCE(dma_buf_race_hook, drt_drop_hook);
	err = dma_resv_copy_fences(dst, src);
	drt_drop_unhook(NULL);

	KUNIT_EXPECT_FALSE_MSG(test, d.armed, "the window was never reached");
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(src->fences));
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(dst->fences));
	dma_resv_unlock(src);
	dma_resv_unlock(dst);
	ww_acquire_fini(&ctx);
	/* the copy dropped dst's reference to its old fence */
	KUNIT_EXPECT_EQ(test, drt_refs(old), 1);
	dma_fence_put(old);
#else
	kunit_skip(test, "needs the suite built in (race windows)");
#endif
}

#define DRT_ABA_TRIES	64

/*
 * An unlocked walk keeps its table between steps without RCU, so the table
 * can be freed and a new one allocated at the same address. Comparing the
 * address alone (as 6.12 does) then resumes in the middle of the new table:
 * the walk skips fences, and a wait over it ends early. The walk must see
 * the table changed and start over. Whether the allocator reuses the
 * address is up to it: the case retries and skips if it never does.
 */
static void resv_unlocked_iteration_restarts_on_a_reused_table_address(struct kunit *test)
{
#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
	struct mock_book *book = mock_book_get(test);
	struct drt_aba a = { };
	unsigned int tries;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, drt_aba_unhook,
							NULL), 0);
	WRITE_ONCE(drt_aba_now, &a);
	WRITE_ONCE(dma_buf_race_hook, drt_aba_hook);

	for (tries = 0; tries < DRT_ABA_TRIES && !a.reused; tries++) {
		struct dma_fence *x = drt_new(book), *d = drt_new(book);
		struct dma_fence *e = drt_new(book), *fence;
		struct dma_resv_iter iter;
		bool saw_d = false, saw_e = false, restarted = false;

		a.obj = drt_resv(test);
		a.one = drt_resv(test);
		a.two = drt_resv(test);
		drt_add(test, a.obj, x, DMA_RESV_USAGE_WRITE);
		drt_add(test, a.obj, d, DMA_RESV_USAGE_WRITE);
		drt_add(test, a.one, d, DMA_RESV_USAGE_WRITE);
		drt_add(test, a.two, d, DMA_RESV_USAGE_WRITE);
		drt_add(test, a.two, e, DMA_RESV_USAGE_WRITE);

		a.iter = &iter;
		dma_resv_iter_begin(&iter, a.obj, DMA_RESV_USAGE_BOOKKEEP);
		fence = dma_resv_iter_first_unlocked(&iter);
		KUNIT_EXPECT_PTR_EQ(test, fence, x);
		a.armed = true;
		for (fence = dma_resv_iter_next_unlocked(&iter); fence;
		     fence = dma_resv_iter_next_unlocked(&iter)) {
			restarted |= dma_resv_iter_is_restarted(&iter);
			saw_d |= fence == d;
			saw_e |= fence == e;
		}
		dma_resv_iter_end(&iter);
		a.iter = NULL;

		if (a.reused) {
			KUNIT_EXPECT_TRUE_MSG(test, restarted,
					      "walk resumed in a new table at the old address");
			KUNIT_EXPECT_TRUE(test, saw_d);
			KUNIT_EXPECT_TRUE(test, saw_e);
		}
		dma_fence_put(x);
		dma_fence_put(d);
		dma_fence_put(e);
	}
	drt_aba_unhook(NULL);
	kunit_info(test, "address reused after %u tries\n", tries);
	if (!a.reused)
		kunit_skip(test, "the allocator never reused the address");
#else
	kunit_skip(test, "needs the race window of built-in tests");
#endif
}

static void resv_unlocked_iteration_keeps_the_current_fence_alive(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *a = drt_new(book), *b = drt_new(book);
	struct dma_fence *repl = drt_new(book);
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	int released_early;

	drt_add(test, obj, a, DMA_RESV_USAGE_WRITE);
	drt_add(test, obj, b, DMA_RESV_USAGE_WRITE);
	/* The object now holds the only references to a and b. */
	dma_fence_put(a);
	dma_fence_put(b);

	dma_resv_iter_begin(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP);
	fence = dma_resv_iter_first_unlocked(&cursor);
	KUNIT_EXPECT_PTR_EQ(test, fence, a);

	dma_resv_lock(obj, NULL);
	dma_resv_replace_fences(obj, a->context, repl, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(obj);
	released_early = atomic_read(&book->releases);

	while (dma_resv_iter_next_unlocked(&cursor))
		;
	dma_resv_iter_end(&cursor);

	KUNIT_EXPECT_EQ_MSG(test, released_early, 0,
			    "the cursor's fence was released under it");
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 1);
	dma_fence_put(repl);
}

/* Getters */

static void resv_get_fences_returns_pending_fences_up_to_usage(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	enum dma_resv_usage usage = drt_param_usage(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *fences[DRT_NR_USAGES], *done = drt_new(book);
	struct dma_fence **got;
	unsigned int count, i, u, found;

	drt_add_each_usage(test, book, obj, fences);
	drt_add(test, obj, done, DMA_RESV_USAGE_KERNEL);
	dma_fence_signal(done);

	KUNIT_ASSERT_EQ(test, dma_resv_get_fences(obj, usage, &count, &got),
			0);
	KUNIT_EXPECT_EQ(test, count, usage + 1);
	KUNIT_EXPECT_NOT_NULL(test, got);
	for (u = 0; u < DRT_NR_USAGES; u++) {
		for (i = 0, found = 0; i < count; i++)
			found += got[i] == fences[u];
		KUNIT_EXPECT_EQ(test, found, u <= usage ? 1 : 0);
		KUNIT_EXPECT_EQ(test, drt_refs(fences[u]), u <= usage ? 3 : 2);
	}
	for (i = 0; i < count; i++)
		KUNIT_EXPECT_PTR_NE(test, got[i], done);
	drt_put_all(got, count);
	kfree(got);
	for (u = 0; u < DRT_NR_USAGES; u++)
		KUNIT_EXPECT_EQ(test, drt_refs(fences[u]), 2);

	dma_fence_put(done);
	drt_put_all(fences, DRT_NR_USAGES);
}

static void resv_get_singleton_gives_null_one_fence_or_an_array(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	enum dma_resv_usage usage = drt_param_usage(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *fences[DRT_NR_USAGES], *done = drt_new(book);
	struct dma_fence *single = ERR_PTR(-EINVAL);
	struct dma_fence_array *array;
	unsigned int i, u, found;

	/* Nothing pending: NULL, also when a signalled fence is there. */
	drt_add(test, obj, done, DMA_RESV_USAGE_KERNEL);
	dma_fence_signal(done);
	KUNIT_EXPECT_EQ(test, dma_resv_get_singleton(obj, usage, &single), 0);
	KUNIT_EXPECT_NULL(test, single);

	drt_add_each_usage(test, book, obj, fences);
	single = ERR_PTR(-EINVAL);
	KUNIT_ASSERT_EQ(test, dma_resv_get_singleton(obj, usage, &single), 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, single);

	if (usage == DMA_RESV_USAGE_KERNEL) {
		/* One fence: the fence itself, with a new reference. */
		KUNIT_EXPECT_PTR_EQ(test, single, fences[0]);
		KUNIT_EXPECT_EQ(test, drt_refs(fences[0]), 3);
		dma_fence_put(single);
		goto out;
	}

	array = to_dma_fence_array(single);
	KUNIT_ASSERT_NOT_NULL(test, array);
	KUNIT_EXPECT_EQ(test, array->num_fences, usage + 1);
	for (u = 0; u < DRT_NR_USAGES; u++) {
		KUNIT_EXPECT_NE(test, single->context, fences[u]->context);
		for (i = 0, found = 0; i < array->num_fences; i++)
			found += array->fences[i] == fences[u];
		KUNIT_EXPECT_EQ(test, found, u <= usage ? 1 : 0);
	}
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(single));
	for (u = 0; u <= usage; u++)
		dma_fence_signal(fences[u]);
	/* The array signals once its last component did. */
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(single, false,
						     DRT_WAKE_TIMEOUT), 0);
	dma_fence_put(single);
out:
	dma_fence_put(done);
	drt_put_all(fences, DRT_NR_USAGES);
}

static void resv_copy_fences_copies_pending_fences_with_usage(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *src = drt_resv(test), *dst = drt_resv(test);
	struct dma_resv *empty = drt_resv(test);
	struct dma_fence *fences[DRT_NR_USAGES], *done = drt_new(book);
	struct dma_fence *old = drt_new(book);
	struct drt_entry list[8];
	unsigned int n, u;
	int err;

	drt_add_each_usage(test, book, src, fences);
	drt_add(test, src, done, DMA_RESV_USAGE_KERNEL);
	dma_fence_signal(done);
	drt_add(test, dst, old, DMA_RESV_USAGE_READ);

	dma_resv_lock(dst, NULL);
	err = dma_resv_copy_fences(dst, src);
	dma_resv_unlock(dst);
	KUNIT_EXPECT_EQ(test, err, 0);

	n = drt_list_locked(dst, DMA_RESV_USAGE_BOOKKEEP, list,
			    ARRAY_SIZE(list));
	KUNIT_EXPECT_EQ(test, n, DRT_NR_USAGES);
	for (u = 0; u < DRT_NR_USAGES; u++) {
		drt_expect_entry(test, list, n, fences[u], drt_usages[u]);
		KUNIT_EXPECT_EQ(test, drt_refs(fences[u]), 3);
	}
	KUNIT_EXPECT_EQ(test, drt_find(list, n, done, NULL), 0);
	KUNIT_EXPECT_EQ(test, drt_find(list, n, old, NULL), 0);
	KUNIT_EXPECT_EQ(test, drt_refs(old), 1);
	KUNIT_EXPECT_EQ(test, drt_refs(done), 2);
	/* The source is left as it was. */
	KUNIT_EXPECT_EQ(test, drt_list_locked(src, DMA_RESV_USAGE_BOOKKEEP,
					      NULL, 0), DRT_NR_USAGES + 1);

	/* Copying nothing empties the destination. */
	dma_resv_lock(dst, NULL);
	err = dma_resv_copy_fences(dst, empty);
	dma_resv_unlock(dst);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, drt_list_locked(dst, DMA_RESV_USAGE_BOOKKEEP,
					      NULL, 0), 0);
	for (u = 0; u < DRT_NR_USAGES; u++)
		KUNIT_EXPECT_EQ(test, drt_refs(fences[u]), 2);

	dma_fence_put(old);
	dma_fence_put(done);
	drt_put_all(fences, DRT_NR_USAGES);
}

/* Waiting, deadlines, polling, describing */

/*
 * Fences of every usage are signalled from the strictest up; after each
 * step the poll and the zero-timeout wait see exactly the usages covered.
 */
static void resv_test_signaled_and_zero_wait_follow_the_usage(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *fences[DRT_NR_USAGES];
	unsigned int step, u;

	drt_add_each_usage(test, book, obj, fences);
	for (step = 0; step <= DRT_NR_USAGES; step++) {
		/* An error counts as done, too. */
		if (step == 2)
			mock_signal_error(fences[step - 1], -EIO);
		else if (step)
			dma_fence_signal(fences[step - 1]);

		for (u = 0; u < DRT_NR_USAGES; u++) {
			bool done = u < step;

			KUNIT_EXPECT_EQ_MSG(test, dma_resv_test_signaled(obj, u),
					    done, "step %u usage %u", step, u);
			KUNIT_EXPECT_EQ_MSG(test,
					    dma_resv_wait_timeout(obj, u, false, 0),
					    done ? 1 : 0, "step %u usage %u",
					    step, u);
			KUNIT_EXPECT_EQ_MSG(test,
					    dma_resv_wait_timeout(obj, u, true, 0),
					    done ? 1 : 0, "step %u usage %u",
					    step, u);
			/* A short wait times out, or returns what is left. */
			KUNIT_EXPECT_EQ_MSG(test,
					    dma_resv_wait_timeout(obj, u, true, 2),
					    done ? 2 : 0, "step %u usage %u",
					    step, u);
		}
	}
	drt_put_all(fences, DRT_NR_USAGES);
}

/* Signals the fences of usage up to its limit, one by one, after a while. */
struct drt_signaller {
	struct dma_fence *fences[DRT_NR_USAGES];
	unsigned int count;
	struct completion done;
};

static int drt_signaller_thread(void *data)
{
	struct drt_signaller *s = data;
	unsigned int i;

	for (i = s->count; i--; ) {
		msleep(20);
		dma_fence_signal(s->fences[i]);
	}
	complete(&s->done);
	return 0;
}

static void resv_wait_sleeps_until_the_fences_up_to_usage_signal(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	enum dma_resv_usage usage = drt_param_usage(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence **fences;
	struct drt_signaller *s;
	long ret;
	unsigned int u;

	/* Not on the stack: the thread may outlive a failed case. */
	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	fences = s->fences;
	drt_add_each_usage(test, book, obj, fences);
	s->count = usage + 1;
	init_completion(&s->done);

	drt_spawn(test, drt_signaller_thread, s, -1);
	ret = dma_resv_wait_timeout(obj, usage, true, DRT_WAKE_TIMEOUT);
	KUNIT_EXPECT_GT(test, ret, 0);
	KUNIT_EXPECT_LE(test, ret, DRT_WAKE_TIMEOUT);
	for (u = 0; u <= usage; u++)
		KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(fences[u]));
	drt_await(test, &s->done);
	/* The less strict ones are still pending. */
	if (usage < DMA_RESV_USAGE_BOOKKEEP)
		KUNIT_EXPECT_EQ(test, dma_resv_wait_timeout(obj, DRT_ALL,
							    false, 1), 0);
	for (u = usage + 1; u < DRT_NR_USAGES; u++)
		dma_fence_signal(fences[u]);
	drt_put_all(fences, DRT_NR_USAGES);
}

/* Waits twice with a signal pending: interruptibly, then not. */
struct drt_intr_waiter {
	struct dma_resv *obj;
	long intr_ret;
	long plain_ret;
	struct completion done;
};

static int drt_intr_waiter_thread(void *data)
{
	struct drt_intr_waiter *w = data;

	allow_signal(SIGUSR1);
	send_sig(SIGUSR1, current, 1);
	w->intr_ret = dma_resv_wait_timeout(w->obj, DMA_RESV_USAGE_BOOKKEEP,
					    true, DRT_WAKE_TIMEOUT);
	w->plain_ret = dma_resv_wait_timeout(w->obj, DMA_RESV_USAGE_BOOKKEEP,
					     false, HZ / 20);
	disallow_signal(SIGUSR1);
	complete(&w->done);
	return 0;
}

static void resv_interruptible_wait_returns_erestartsys(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *fence = drt_new(book);
	struct drt_intr_waiter *w;
	bool returned;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	w->obj = obj;
	init_completion(&w->done);
	drt_add(test, obj, fence, DMA_RESV_USAGE_BOOKKEEP);

	drt_spawn(test, drt_intr_waiter_thread, w, -1);
	returned = wait_for_completion_timeout(&w->done, 2 * DRT_WAKE_TIMEOUT);
	dma_fence_signal(fence);
	if (!returned)
		drt_await(test, &w->done);

	KUNIT_EXPECT_EQ(test, w->intr_ret, -ERESTARTSYS);
	KUNIT_EXPECT_EQ(test, w->plain_ret, 0);
	dma_fence_put(fence);
}

static void resv_set_deadline_reaches_pending_fences_up_to_usage(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	enum dma_resv_usage usage = drt_param_usage(test);
	/* The pool before the object: it must outlive dma_resv_fini(). */
	struct drt_fence *pool = drt_pool(book, DRT_NR_USAGES + 1,
					  DRT_NR_USAGES + 1);
	struct dma_resv *obj = drt_resv(test);
	struct drt_fence *done = &pool[DRT_NR_USAGES];
	ktime_t deadline = ktime_add_ms(ktime_get(), 100);
	unsigned int u;

	for (u = 0; u < DRT_NR_USAGES; u++)
		drt_add(test, obj, &pool[u].base, drt_usages[u]);
	drt_add(test, obj, &done->base, DMA_RESV_USAGE_KERNEL);
	dma_fence_signal(&done->base);

	dma_resv_set_deadline(obj, usage, deadline);
	for (u = 0; u < DRT_NR_USAGES; u++) {
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&pool[u].deadlines),
				    u <= usage ? 1 : 0, "usage %u", u);
		if (u <= usage)
			KUNIT_EXPECT_EQ(test,
					atomic64_read(&pool[u].deadline_ns),
					ktime_to_ns(deadline));
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&done->deadlines), 0);

	for (u = 0; u <= DRT_NR_USAGES; u++) {
		dma_fence_signal(&pool[u].base);
		dma_fence_put(&pool[u].base);
	}
}

static void resv_describe_prints_a_line_per_fence_except_bookkeeping(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	u64 context = dma_fence_context_alloc(DRT_NR_USAGES + 1);
	struct dma_fence *fences[DRT_NR_USAGES + 1];
	char buf[512];
	struct seq_file seq = { .buf = buf, .size = sizeof(buf) };
	unsigned int u;

	for (u = 0; u <= DRT_NR_USAGES; u++)
		fences[u] = mock_fence(book, context + u, 10 + u);
	dma_resv_lock(obj, NULL);
	if (!dma_resv_reserve_fences(obj, DRT_NR_USAGES + 1)) {
		for (u = 0; u < DRT_NR_USAGES; u++)
			dma_resv_add_fence(obj, fences[u], drt_usages[u]);
		/* Signalled after it got its slot, so the slot stays. */
		dma_resv_add_fence(obj, fences[u], DMA_RESV_USAGE_WRITE);
		dma_fence_signal(fences[u]);
	}
	memset(buf, 0, sizeof(buf));
	dma_resv_describe(obj, &seq);
	dma_resv_unlock(obj);

	KUNIT_ASSERT_LT(test, seq.count, sizeof(buf));
	buf[seq.count] = '\0';
	KUNIT_EXPECT_STREQ(test, buf,
			   "\tkernel fence:mock mock seq 10 unsignalled\n"
			   "\twrite fence:mock mock seq 11 unsignalled\n"
			   "\tread fence:mock mock seq 12 unsignalled\n"
			   "\twrite fence:mock mock seq 14 signalled\n");
	drt_put_all(fences, DRT_NR_USAGES + 1);
}

/* Concurrency */

#define DRT_RACE_FENCES		1500
#define DRT_RACE_CONTEXTS	16
#define DRT_RACE_LAG		8
#define DRT_RACE_HELD		8

struct drt_race {
	struct dma_resv *obj;
	struct dma_resv *copy;	/* the reader's destination */
	struct drt_fence *pool;
	unsigned long *seen;
	bool writer_done;
	int writer_err;
	unsigned int passes;
	unsigned int restarts;
	unsigned int fences_seen;
	unsigned int released_seen;	/* fences obtained after release */
	unsigned int duplicates;
	unsigned int wrong_usage;
	unsigned int errors;
	struct completion go;
	struct completion done[2];
};

static int drt_race_writer(void *data)
{
	struct drt_race *r = data;
	unsigned int i;
	int err = 0;

	if (wait_for_completion_interruptible(&r->go))
		return 0;
	for (i = 0; i < DRT_RACE_FENCES; i++) {
		struct dma_fence *fence = &r->pool[i].base;
		enum dma_resv_usage usage =
			drt_usages[(i / DRT_RACE_CONTEXTS) % 4];

		if (!err && !kthread_should_stop()) {
			dma_resv_lock(r->obj, NULL);
			err = dma_resv_reserve_fences(r->obj, 1);
			if (!err)
				dma_resv_add_fence(r->obj, fence, usage);
			dma_resv_unlock(r->obj);
		}
		/* Keep our reference until we signalled the fence. */
		if (i >= DRT_RACE_LAG) {
			fence = &r->pool[i - DRT_RACE_LAG].base;
			dma_fence_signal(fence);
			dma_fence_put(fence);
		}
	}
	for (i = DRT_RACE_FENCES - DRT_RACE_LAG; i < DRT_RACE_FENCES; i++) {
		dma_fence_signal(&r->pool[i].base);
		dma_fence_put(&r->pool[i].base);
	}
	r->writer_err = err;
	WRITE_ONCE(r->writer_done, true);
	complete(&r->done[0]);
	return 0;
}

/* Checks a fence handed out to the reader, counting what is wrong. */
static void drt_race_check(struct drt_race *r, struct dma_fence *fence)
{
	struct drt_fence *df = to_drt(fence);
	unsigned long idx = df - r->pool;

	r->fences_seen++;
	if (idx >= DRT_RACE_FENCES || atomic_read(&df->releases) ||
	    !kref_read(&fence->refcount)) {
		r->released_seen++;
		return;
	}
	if (test_and_set_bit(idx, r->seen))
		r->duplicates++;
}

/* One unlocked walk, holding references to the first few fences. */
static void drt_race_walk(struct drt_race *r, enum dma_resv_usage usage)
{
	struct dma_fence *held[DRT_RACE_HELD];
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned int n = 0, i;

	bitmap_zero(r->seen, DRT_RACE_FENCES);
	dma_resv_iter_begin(&cursor, r->obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_resv_iter_is_restarted(&cursor)) {
			r->restarts++;
			bitmap_zero(r->seen, DRT_RACE_FENCES);
			drt_put_all(held, n);
			n = 0;
		}
		if (dma_resv_iter_usage(&cursor) > usage)
			r->wrong_usage++;
		drt_race_check(r, fence);
		if (n < DRT_RACE_HELD)
			held[n++] = dma_fence_get(fence);
	}
	dma_resv_iter_end(&cursor);
	/* What we held cannot have been released. */
	for (i = 0; i < n; i++)
		if (atomic_read(&to_drt(held[i])->releases))
			r->released_seen++;
	drt_put_all(held, n);
}

static void drt_race_get_fences(struct drt_race *r, enum dma_resv_usage usage)
{
	struct dma_fence **got;
	unsigned int count, i;

	if (dma_resv_get_fences(r->obj, usage, &count, &got)) {
		r->errors++;
		return;
	}
	bitmap_zero(r->seen, DRT_RACE_FENCES);
	for (i = 0; i < count; i++)
		drt_race_check(r, got[i]);
	drt_put_all(got, count);
	kfree(got);
}

static void drt_race_copy(struct drt_race *r)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	int err;

	dma_resv_lock(r->copy, NULL);
	err = dma_resv_copy_fences(r->copy, r->obj);
	bitmap_zero(r->seen, DRT_RACE_FENCES);
	dma_resv_for_each_fence(&cursor, r->copy, DMA_RESV_USAGE_BOOKKEEP,
				fence)
		drt_race_check(r, fence);
	dma_resv_unlock(r->copy);
	if (err)
		r->errors++;
}

static int drt_race_reader(void *data)
{
	struct drt_race *r = data;
	unsigned int pass;

	if (wait_for_completion_interruptible(&r->go))
		return 0;
	/* A few passes even if the writer is done before we get going. */
	for (pass = 0; (pass < 3 || !READ_ONCE(r->writer_done)) &&
	     !kthread_should_stop(); pass++) {
		switch (pass % 3) {
		case 0:
			drt_race_walk(r, drt_usages[pass / 3 % 4]);
			break;
		case 1:
			drt_race_get_fences(r, drt_usages[pass / 3 % 4]);
			break;
		default:
			drt_race_copy(r);
			break;
		}
		r->passes++;
	}
	complete(&r->done[1]);
	return 0;
}

static void resv_race_readers_against_a_writer(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct drt_race *r;
	unsigned int i, wrong_releases = 0;
	int cpu[2];

	drt_two_cpus(test, cpu);
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->seen = kunit_kcalloc(test, BITS_TO_LONGS(DRT_RACE_FENCES),
				sizeof(*r->seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->seen);
	/* The pool before the objects: it must outlive their fini. */
	r->pool = drt_pool(book, DRT_RACE_FENCES, DRT_RACE_CONTEXTS);
	r->obj = drt_resv(test);
	r->copy = drt_resv(test);
	init_completion(&r->go);
	init_completion(&r->done[0]);
	init_completion(&r->done[1]);

	drt_spawn(test, drt_race_writer, r, cpu[0]);
	drt_spawn(test, drt_race_reader, r, cpu[1]);
	complete_all(&r->go);
	drt_await(test, &r->done[0]);
	drt_await(test, &r->done[1]);

	kunit_info(test, "%u passes, %u restarts, %u fences seen\n",
		   r->passes, r->restarts, r->fences_seen);
	KUNIT_EXPECT_EQ(test, r->writer_err, 0);
	KUNIT_EXPECT_GT(test, r->passes, 0);
	KUNIT_EXPECT_EQ(test, r->released_seen, 0);
	KUNIT_EXPECT_EQ(test, r->duplicates, 0);
	KUNIT_EXPECT_EQ(test, r->wrong_usage, 0);
	KUNIT_EXPECT_EQ(test, r->errors, 0);

	/* Everything is signalled: both objects read as idle. */
	KUNIT_EXPECT_TRUE(test, drt_idle(r->obj));
	KUNIT_EXPECT_TRUE(test, drt_idle(r->copy));
	dma_resv_fini(r->obj);
	dma_resv_fini(r->copy);
	dma_resv_init(r->obj);
	dma_resv_init(r->copy);
	for (i = 0; i < DRT_RACE_FENCES; i++)
		if (atomic_read(&r->pool[i].releases) != 1)
			wrong_releases++;
	KUNIT_EXPECT_EQ_MSG(test, wrong_releases, 0,
			    "fences not released exactly once");
}

/* Allocation failure */

/*
 * Ours, beyond 6.12 (which BUGs): a fence added without a reservation is
 * reported with a WARN and still kept, whether the object has no table yet
 * or a table whose reservation was given back at unlock.
 */
static void resv_add_without_reservation_warns_and_keeps_the_fence(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *f[2] = { drt_new(book), drt_new(book) };
	struct drt_entry seen[4];
	unsigned int n;

	if (panic_on_warn)
		kunit_skip(test, "warns on purpose; panic_on_warn is set");

	dma_resv_lock(obj, NULL);
	dma_resv_add_fence(obj, f[0], DMA_RESV_USAGE_WRITE);	/* no table */
	dma_resv_unlock(obj);
	dma_resv_lock(obj, NULL);
	dma_resv_add_fence(obj, f[1], DMA_RESV_USAGE_READ);	/* given back */
	dma_resv_unlock(obj);

	n = drt_list_locked(obj, DMA_RESV_USAGE_BOOKKEEP, seen, ARRAY_SIZE(seen));
	KUNIT_EXPECT_EQ(test, n, 2);
	drt_expect_entry(test, seen, n, f[0], DMA_RESV_USAGE_WRITE);
	drt_expect_entry(test, seen, n, f[1], DMA_RESV_USAGE_READ);
	KUNIT_EXPECT_EQ(test, drt_refs(f[0]), 2);
	KUNIT_EXPECT_EQ(test, drt_refs(f[1]), 2);
	drt_put_all(f, 2);
}

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
/* Arms the n-th allocation check of this task; see dma-buf-fault.h. */
static void drt_fail_nth(unsigned int nth)
{
	current->fail_nth = nth;
}

/* Disarms it, telling whether the armed failure was left unused. */
static bool drt_fail_unused(void)
{
	bool unused = current->fail_nth;

	current->fail_nth = 0;
	return unused;
}

#define DRT_FAULT_FENCES	3
#define DRT_FAULT_STEPS		64

/* Expects @obj to hold exactly @fences, all WRITE, each with @refs refs. */
static void drt_expect_unchanged(struct kunit *test, struct dma_resv *obj,
				 struct dma_fence **fences, unsigned int count,
				 unsigned int refs, unsigned int step)
{
	struct drt_entry list[DRT_FAULT_FENCES + 1];
	unsigned int n, i;

	n = drt_list_locked(obj, DMA_RESV_USAGE_BOOKKEEP, list,
			    ARRAY_SIZE(list));
	KUNIT_EXPECT_EQ_MSG(test, n, count, "failure point %u", step);
	for (i = 0; i < count; i++) {
		drt_expect_entry(test, list, n, fences[i],
				 DMA_RESV_USAGE_WRITE);
		KUNIT_EXPECT_EQ_MSG(test, drt_refs(fences[i]), refs,
				    "failure point %u", step);
	}
}

static void drt_fault_setup(struct kunit *test, struct mock_book *book,
			    struct dma_resv *obj, struct dma_fence **fences)
{
	unsigned int i;

	for (i = 0; i < DRT_FAULT_FENCES; i++) {
		fences[i] = drt_new(book);
		drt_add(test, obj, fences[i], DMA_RESV_USAGE_WRITE);
	}
}
#endif

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
/* Signals a fence from a timer, long after an add that does not wait. */
struct drt_late_signal {
	struct timer_list timer;
	struct dma_fence *fence;
};

static void drt_late_signal_fn(struct timer_list *t)
{
	struct drt_late_signal *late = from_timer(late, t, timer);

	dma_fence_signal(late->fence);
}
#endif

/*
 * A fence added without a reservation, when not even an atomic allocation
 * succeeds, is left out with a warning, at once: 6.12's add never sleeps,
 * and drivers add a fence before queueing the job that signals it, holding
 * every lock of their submission. A timer signals the fence a second
 * later, so an add that waited for it would end, but too late.
 */
static void resv_add_without_room_leaves_the_fence_out_at_once(struct kunit *test)
{
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *fence = drt_new(book);
	struct drt_late_signal late = { .fence = fence };
	struct drt_entry seen[2];
	bool unused, waited;

	if (panic_on_warn)
		kunit_skip(test, "warns on purpose; panic_on_warn is set");

	timer_setup_on_stack(&late.timer, drt_late_signal_fn, 0);
	mod_timer(&late.timer, jiffies + HZ);

	kunit_info(test, "two \"dma-resv:\" warnings follow\n");
	dma_resv_lock(obj, NULL);
	drt_fail_nth(1);	/* the table the add would allocate */
	dma_resv_add_fence(obj, fence, DMA_RESV_USAGE_WRITE);
	unused = drt_fail_unused();
	dma_resv_unlock(obj);

	waited = test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags);
	KUNIT_EXPECT_FALSE_MSG(test, waited, "the add waited for the fence");
	KUNIT_EXPECT_FALSE(test, unused);
	KUNIT_EXPECT_EQ(test, drt_list_locked(obj, DMA_RESV_USAGE_BOOKKEEP,
					      seen, ARRAY_SIZE(seen)), 0);
	KUNIT_EXPECT_EQ(test, drt_refs(fence), 1);

	timer_delete_sync(&late.timer);
	destroy_timer_on_stack(&late.timer);
	dma_fence_signal(fence);
	dma_fence_put(fence);
#else
	kunit_skip(test, "requires CONFIG_FAULT_INJECTION");
#endif
}

static void resv_get_singleton_fails_cleanly(struct kunit *test)
{
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *fences[DRT_FAULT_FENCES], *single;
	unsigned int k, failures = 0, absorbed = 0;
	int ret;

	drt_fault_setup(test, book, obj, fences);
	for (k = 1; k <= DRT_FAULT_STEPS; k++) {
		single = NULL;
		drt_fail_nth(k);
		ret = dma_resv_get_singleton(obj, DMA_RESV_USAGE_BOOKKEEP,
					     &single);
		if (drt_fail_unused()) {
			KUNIT_EXPECT_EQ(test, ret, 0);
			KUNIT_EXPECT_TRUE(test, dma_fence_is_array(single));
			dma_fence_put(single);
			break;
		}
		if (dma_buf_fault_absorbed(!ret) &&
		    absorbed++ < DMA_BUF_FAULT_RETRIES) {
			dma_fence_put(single);
			k--;
			continue;
		}
		failures++;
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "failure point %u", k);
		if (!ret)
			dma_fence_put(single);
		drt_expect_unchanged(test, obj, fences, DRT_FAULT_FENCES, 2, k);
	}
	KUNIT_EXPECT_LE(test, k, DRT_FAULT_STEPS);
	KUNIT_EXPECT_GT_MSG(test, failures, 0,
			    "dma_resv_get_singleton() has no failure point");
	drt_put_all(fences, DRT_FAULT_FENCES);
#else
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
#endif
}

#if IS_ENABLED(CONFIG_FAULT_INJECTION)

static void resv_reserve_fences_fails_cleanly(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *fences[DRT_FAULT_FENCES];
	unsigned int k, failures = 0;
	bool unused, absorbed = false;
	int ret;

	drt_fault_setup(test, book, obj, fences);
	for (k = 1; k <= DRT_FAULT_STEPS; k++) {
		dma_resv_lock(obj, NULL);
		drt_fail_nth(k);
		ret = dma_resv_reserve_fences(obj, 256);
		unused = drt_fail_unused();
		dma_resv_unlock(obj);
		if (unused) {
			KUNIT_EXPECT_EQ(test, ret, 0);
			break;
		}
		/* the room is made: there is nothing left to walk */
		if (dma_buf_fault_absorbed(!ret)) {
			kunit_info(test, "step %u: fault taken elsewhere\n", k);
			absorbed = true;
			break;
		}
		failures++;
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "failure point %u", k);
		drt_expect_unchanged(test, obj, fences, DRT_FAULT_FENCES, 2, k);
	}
	KUNIT_EXPECT_LE(test, k, DRT_FAULT_STEPS);
	KUNIT_EXPECT_TRUE_MSG(test, failures || absorbed,
			      "dma_resv_reserve_fences() has no failure point");
	drt_expect_unchanged(test, obj, fences, DRT_FAULT_FENCES, 2, 0);
	drt_put_all(fences, DRT_FAULT_FENCES);
}

static void resv_get_fences_fails_cleanly(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *obj = drt_resv(test);
	struct dma_fence *fences[DRT_FAULT_FENCES], **got;
	unsigned int k, failures = 0, absorbed = 0, count;
	int ret;

	drt_fault_setup(test, book, obj, fences);
	for (k = 1; k <= DRT_FAULT_STEPS; k++) {
		count = 42;
		got = ERR_PTR(-EINVAL);
		drt_fail_nth(k);
		ret = dma_resv_get_fences(obj, DMA_RESV_USAGE_BOOKKEEP, &count,
					  &got);
		if (drt_fail_unused()) {
			KUNIT_EXPECT_EQ(test, ret, 0);
			KUNIT_EXPECT_EQ(test, count, DRT_FAULT_FENCES);
			if (!ret) {
				drt_put_all(got, count);
				kfree(got);
			}
			break;
		}
		if (dma_buf_fault_absorbed(!ret) &&
		    absorbed++ < DMA_BUF_FAULT_RETRIES) {
			drt_put_all(got, count);
			kfree(got);
			k--;
			continue;
		}
		failures++;
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "failure point %u", k);
		KUNIT_EXPECT_EQ(test, count, 0);
		KUNIT_EXPECT_NULL(test, got);
		if (!ret && !IS_ERR(got)) {
			drt_put_all(got, count);
			kfree(got);
		}
		drt_expect_unchanged(test, obj, fences, DRT_FAULT_FENCES, 2, k);
	}
	KUNIT_EXPECT_LE(test, k, DRT_FAULT_STEPS);
	KUNIT_EXPECT_GT_MSG(test, failures, 0,
			    "dma_resv_get_fences() has no failure point");
	drt_put_all(fences, DRT_FAULT_FENCES);
}

static void resv_copy_fences_fails_cleanly(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_resv *src = drt_resv(test), *dst = drt_resv(test);
	struct dma_fence *fences[DRT_FAULT_FENCES], *old = drt_new(book);
	unsigned int k, failures = 0;
	bool unused, absorbed = false;
	int ret;

	drt_fault_setup(test, book, src, fences);
	drt_add(test, dst, old, DMA_RESV_USAGE_WRITE);
	for (k = 1; k <= DRT_FAULT_STEPS; k++) {
		dma_resv_lock(dst, NULL);
		drt_fail_nth(k);
		ret = dma_resv_copy_fences(dst, src);
		unused = drt_fail_unused();
		dma_resv_unlock(dst);
		if (unused) {
			KUNIT_EXPECT_EQ(test, ret, 0);
			drt_expect_unchanged(test, dst, fences,
					     DRT_FAULT_FENCES, 3, k);
			KUNIT_EXPECT_EQ(test, drt_refs(old), 1);
			break;
		}
		/* dst holds src's fences now: the walk cannot go on */
		if (dma_buf_fault_absorbed(!ret)) {
			kunit_info(test, "step %u: fault taken elsewhere\n", k);
			absorbed = true;
			break;
		}
		failures++;
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "failure point %u", k);
		drt_expect_unchanged(test, dst, &old, 1, 2, k);
		drt_expect_unchanged(test, src, fences, DRT_FAULT_FENCES, 2, k);
	}
	KUNIT_EXPECT_LE(test, k, DRT_FAULT_STEPS);
	KUNIT_EXPECT_TRUE_MSG(test, failures || absorbed,
			      "dma_resv_copy_fences() has no failure point");
	dma_fence_put(old);
	drt_put_all(fences, DRT_FAULT_FENCES);
}

#else /* CONFIG_FAULT_INJECTION */

#define DRT_NO_HOOKS \
	"needs CONFIG_FAULT_INJECTION"

static void resv_reserve_fences_fails_cleanly(struct kunit *test)
{
	kunit_skip(test, DRT_NO_HOOKS);
}

static void resv_get_fences_fails_cleanly(struct kunit *test)
{
	kunit_skip(test, DRT_NO_HOOKS);
}

static void resv_copy_fences_fails_cleanly(struct kunit *test)
{
	kunit_skip(test, DRT_NO_HOOKS);
}

#endif /* CONFIG_FAULT_INJECTION */

static struct kunit_case dma_resv_test_cases[] = {
	KUNIT_CASE(resv_add_without_reservation_warns_and_keeps_the_fence),
	KUNIT_CASE(resv_add_without_room_leaves_the_fence_out_at_once),
	KUNIT_CASE(resv_init_gives_an_unlocked_empty_object),
	KUNIT_CASE(resv_lock_without_context_is_a_plain_mutex),
	KUNIT_CASE(resv_lock_with_context_records_it_and_reports_ealready),
	KUNIT_CASE(resv_trylock_fails_while_another_task_holds_it),
	KUNIT_CASE_PARAM(resv_lock_interruptible_gives_up_on_a_signal,
			 drt_ctx_gen_params),
	KUNIT_CASE_PARAM(resv_lock_many_objects_backs_off_and_completes,
			 drt_intr_gen_params),
	KUNIT_CASE(resv_ww_two_tasks_in_opposite_order_both_finish),
	KUNIT_CASE(resv_usage_classes_are_ordered_by_strictness),
	KUNIT_CASE_PARAM(resv_add_fence_takes_a_reference_fini_drops_it,
			 drt_usage_gen_params),
	KUNIT_CASE_PARAM(resv_add_fence_replaces_same_context,
			 drt_usage_gen_params),
	KUNIT_CASE_PARAM(resv_add_fence_reuses_the_slot_of_a_signalled_fence,
			 drt_usage_gen_params),
	KUNIT_CASE(resv_reserve_drops_signalled_fences_when_it_grows),
	KUNIT_CASE(resv_reserve_again_after_relock_then_add),
	KUNIT_CASE_PARAM(resv_holds_a_thousand_contexts, drt_batch_gen_params),
	KUNIT_CASE_PARAM(resv_add_fence_same_context_again_stays_one_slot,
			 drt_usage_gen_params),
	KUNIT_CASE_PARAM(resv_replace_fences_swaps_every_fence_of_a_context,
			 drt_usage_gen_params),
	KUNIT_CASE(resv_replace_fences_on_an_empty_object_does_nothing),
	KUNIT_CASE_PARAM(resv_iterators_filter_by_usage, drt_usage_gen_params),
	KUNIT_CASE(resv_unlocked_iteration_restarts_when_the_object_changes),
	KUNIT_CASE(resv_unlocked_iteration_restarts_on_a_reused_table_address),
	KUNIT_CASE(resv_unlocked_iteration_keeps_the_current_fence_alive),
	KUNIT_CASE_PARAM(resv_get_fences_returns_pending_fences_up_to_usage,
			 drt_usage_gen_params),
	KUNIT_CASE(resv_get_fences_starts_over_when_fences_are_added_meanwhile),
	KUNIT_CASE_PARAM(resv_get_singleton_gives_null_one_fence_or_an_array,
			 drt_usage_gen_params),
	KUNIT_CASE(resv_copy_fences_copies_pending_fences_with_usage),
	KUNIT_CASE(resv_copy_fences_from_an_empty_table_that_goes_away),
	KUNIT_CASE(resv_test_signaled_and_zero_wait_follow_the_usage),
	KUNIT_CASE_PARAM(resv_wait_sleeps_until_the_fences_up_to_usage_signal,
			 drt_usage_gen_params),
	KUNIT_CASE(resv_interruptible_wait_returns_erestartsys),
	KUNIT_CASE_PARAM(resv_set_deadline_reaches_pending_fences_up_to_usage,
			 drt_usage_gen_params),
	KUNIT_CASE(resv_describe_prints_a_line_per_fence_except_bookkeeping),
	KUNIT_CASE(resv_race_readers_against_a_writer),
	KUNIT_CASE(resv_get_singleton_fails_cleanly),
	KUNIT_CASE(resv_reserve_fences_fails_cleanly),
	KUNIT_CASE(resv_get_fences_fails_cleanly),
	KUNIT_CASE(resv_copy_fences_fails_cleanly),
	{}
};

static struct kunit_suite dma_resv_test_suite = {
	.name = "dma-resv",
	.test_cases = dma_resv_test_cases,
};

kunit_test_suite(dma_resv_test_suite);

MODULE_DESCRIPTION("KUnit tests for dma-resv");
MODULE_LICENSE("GPL");
