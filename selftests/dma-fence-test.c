// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the dma_fence core: the functions exported by
 * drivers/dma-buf/dma-fence.c and the inline helpers that come with
 * include/linux/dma-fence.h.
 *
 * The suite only uses the public interface and only checks what its
 * kernel-doc promises, so the same file can be run against any
 * implementation of that interface.
 */

/**
 * DOC: dma-fence KUnit suite
 *
 * What is mocked: a fence type private to this file, struct dft_fence. It
 * embeds &struct dma_fence, brings its own spinlock and points at a per-test
 * struct dft_state in which its &dma_fence_ops count every call to release,
 * enable_signaling, set_deadline and wait. A few per-fence knobs decide what
 * the optional callbacks answer: whether enable_signaling refuses (and which
 * error it leaves behind), whether ->signaled reports the imaginary hardware
 * as done, and what ->wait returns. Mock fences live in kunit-managed memory
 * and their release callback only counts, so a fence released too early is
 * still readable and the test reports it instead of crashing. Two cases use
 * kmalloc'd fences to cover dma_fence_free() and the default release path.
 *
 * What is observed: return values; the fence flags, error and timestamp;
 * which callbacks ran, how many times, in which order and what they saw of
 * the fence; the mock counters; the text dma_fence_describe() produces.
 *
 * Leak accounting: each case drops every reference it takes. The suite init
 * registers a deferred action that runs after all other cleanup and expects
 * the mock to have seen exactly one release per initialised fence.
 *
 * Threads: the race cases run two kthreads bound to two different online
 * CPUs and are skipped on a machine with a single CPU. They are bounded by
 * iteration counts rather than time. The test thread itself only makes
 * unbounded waits on fences that a bounded wait already found signalled;
 * unbounded waits on pending fences happen in a helper kthread which the
 * test rescues (signal the fences, send it a signal, wake it up) when it is
 * not back in time. A broken implementation thus fails a case instead of
 * hanging the boot.
 *
 * Warnings: dma_fence_test_release_with_pending_callbacks_signals_edeadlk is
 * the only case that makes the core WARN, on purpose; when built in, it is
 * skipped if panic_on_warn is set. Other misuses which the interface answers
 * with a WARN (an error set on a signalled fence, an error code outside
 * [-MAX_ERRNO, -1], a zero fence count, a negative timeout, comparing fences
 * of different contexts) are not exercised.
 *
 * Running: ``./tools/testing/kunit/kunit.py run --arch=x86_64
 * --kunitconfig=drivers/dma-buf --qemu_args='-smp 2' 'dma-fence.*'`` from the
 * top of a kernel tree; without CONFIG_SMP and a second CPU the race cases
 * are reported as skipped.
 *
 * Lockdep: the cases are meant to run with PROVE_LOCKING. Callbacks run with
 * the fence lock held inside a signalling section, so they neither allocate
 * nor use KUnit assertions; they record what they saw and the test checks it
 * afterwards. Nothing waits on a fence from inside a signalling section.
 */

#include <kunit/test.h>

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
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

#define DFT_DRIVER	"dma-fence-kunit"
#define DFT_TIMELINE	"kunit-timeline"

/* How long a helper thread may take before the case gives up on it. */
#define DFT_THREAD_TIMEOUT	(30 * HZ)
/* Bound for a single wait that is expected to be woken up. */
#define DFT_WAKE_TIMEOUT	(5 * HZ)
/* Bound for a busy wait on the other thread's progress. */
#define DFT_SPIN_LIMIT		2000

/* Skips the case, saying why, when @cond does not hold. */
#define DFT_REQUIRES(test, cond)					\
	do {								\
		if (!(cond))						\
			kunit_skip((test), "requires " #cond);		\
	} while (0)

/* Counters shared by all mock fences of one test case. */
struct dft_state {
	struct kunit *test;
	atomic_t inits;
	atomic_t releases;
	atomic_t enables;
	atomic_t deadlines;
	atomic_t waits;
	atomic64_t last_deadline_ns;
	bool last_wait_intr;
	long last_wait_timeout;
};

/* The mock fence; @base stays first so dma_fence_free() frees the whole. */
struct dft_fence {
	struct dma_fence base;
	spinlock_t lock;	/* the fence lock unless the test supplies one */
	struct dft_state *state;
	bool refuse_enable;	/* enable_signaling returns false */
	int refuse_error;	/* error left behind when refusing */
	bool hw_done;		/* what ->signaled reports */
	int hw_error;		/* error ->signaled sets when done */
	long wait_ret;		/* what ->wait returns */
	bool released;
};

static struct dft_fence *to_dft(struct dma_fence *fence)
{
	return container_of(fence, struct dft_fence, base);
}

static const char *dft_driver_name(struct dma_fence *fence)
{
	return DFT_DRIVER;
}

static const char *dft_timeline_name(struct dma_fence *fence)
{
	return DFT_TIMELINE;
}

static bool dft_enable_signaling(struct dma_fence *fence)
{
	struct dft_fence *mf = to_dft(fence);

	atomic_inc(&mf->state->enables);
	if (!mf->refuse_enable)
		return true;
	if (mf->refuse_error)
		dma_fence_set_error(fence, mf->refuse_error);
	return false;
}

static bool dft_signaled(struct dma_fence *fence)
{
	struct dft_fence *mf = to_dft(fence);

	if (!READ_ONCE(mf->hw_done))
		return false;
	if (mf->hw_error &&
	    !test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		dma_fence_set_error(fence, mf->hw_error);
	return true;
}

static void dft_set_deadline(struct dma_fence *fence, ktime_t deadline)
{
	struct dft_state *state = to_dft(fence)->state;

	atomic64_set(&state->last_deadline_ns, ktime_to_ns(deadline));
	atomic_inc(&state->deadlines);
}

static signed long dft_wait(struct dma_fence *fence, bool intr,
			    signed long timeout)
{
	struct dft_fence *mf = to_dft(fence);

	mf->state->last_wait_intr = intr;
	mf->state->last_wait_timeout = timeout;
	atomic_inc(&mf->state->waits);
	return mf->wait_ret;
}

static void dft_release(struct dma_fence *fence)
{
	struct dft_fence *mf = to_dft(fence);

	/* The memory belongs to the test; only record that we got here. */
	WRITE_ONCE(mf->released, true);
	atomic_inc(&mf->state->releases);
}

static void dft_release_and_free(struct dma_fence *fence)
{
	atomic_inc(&to_dft(fence)->state->releases);
	dma_fence_free(fence);
}

/* Every optional callback that the mock can count. */
static const struct dma_fence_ops dft_ops = {
	.get_driver_name = dft_driver_name,
	.get_timeline_name = dft_timeline_name,
	.enable_signaling = dft_enable_signaling,
	.signaled = dft_signaled,
	.set_deadline = dft_set_deadline,
	.release = dft_release,
};

/* Same, on a timeline with 64-bit sequence numbers. */
static const struct dma_fence_ops dft_ops_64bit = {
	.use_64bit_seqno = true,
	.get_driver_name = dft_driver_name,
	.get_timeline_name = dft_timeline_name,
	.enable_signaling = dft_enable_signaling,
	.signaled = dft_signaled,
	.set_deadline = dft_set_deadline,
	.release = dft_release,
};

/* Same, plus a (deprecated) custom wait. */
static const struct dma_fence_ops dft_ops_custom_wait = {
	.get_driver_name = dft_driver_name,
	.get_timeline_name = dft_timeline_name,
	.enable_signaling = dft_enable_signaling,
	.signaled = dft_signaled,
	.set_deadline = dft_set_deadline,
	.wait = dft_wait,
	.release = dft_release,
};

/* Only what is mandatory, plus the counting release. */
static const struct dma_fence_ops dft_ops_bare = {
	.get_driver_name = dft_driver_name,
	.get_timeline_name = dft_timeline_name,
	.release = dft_release,
};

/* A release that counts and then hands the memory to dma_fence_free(). */
static const struct dma_fence_ops dft_ops_freeing = {
	.get_driver_name = dft_driver_name,
	.get_timeline_name = dft_timeline_name,
	.release = dft_release_and_free,
};

/* No release at all: the core falls back to dma_fence_free(). */
static const struct dma_fence_ops dft_ops_default_release = {
	.get_driver_name = dft_driver_name,
	.get_timeline_name = dft_timeline_name,
};

/* dma_fence_init() on a mock, on @lock or else on its own lock. */
static void dft_init(struct kunit *test, struct dft_fence *mf,
		     const struct dma_fence_ops *ops, spinlock_t *lock,
		     u64 context, u64 seqno)
{
	struct dft_state *state = test->priv;

	spin_lock_init(&mf->lock);
	mf->state = state;
	dma_fence_init(&mf->base, ops, lock ?: &mf->lock, context, seqno);
	atomic_inc(&state->inits);
}

/* Zeroed, kunit-owned memory for @count mocks, not yet initialised. */
static struct dft_fence *dft_alloc(struct kunit *test, unsigned int count)
{
	struct dft_fence *mf;

	mf = kunit_kcalloc(test, count, sizeof(*mf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mf);
	return mf;
}

/* A fresh fence of @ops, alone on a new context. */
static struct dma_fence *dft_new_ops(struct kunit *test,
				     const struct dma_fence_ops *ops,
				     u64 seqno)
{
	struct dft_fence *mf = dft_alloc(test, 1);

	dft_init(test, mf, ops, NULL, dma_fence_context_alloc(1), seqno);
	return &mf->base;
}

/* The fence most cases need: every optional op, a context of its own. */
static struct dma_fence *dft_new(struct kunit *test)
{
	return dft_new_ops(test, &dft_ops, 1);
}

/* @count fences of dft_ops sharing one new context, seqno 1..count. */
static struct dft_fence *dft_new_array(struct kunit *test, unsigned int count)
{
	struct dft_fence *mf = dft_alloc(test, count);
	u64 context = dma_fence_context_alloc(1);
	unsigned int i;

	for (i = 0; i < count; i++)
		dft_init(test, &mf[i], &dft_ops, NULL, context, i + 1);
	return mf;
}

/* Drops the initial reference of each of @count mocks. */
static void dft_put_array(struct dft_fence *mf, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		dma_fence_put(&mf[i].base);
}

/* The counters of the running case. */
static struct dft_state *dft_state(struct kunit *test)
{
	return test->priv;
}

/* The flag alone: unlike dma_fence_is_signaled() it never calls the ops. */
static bool dft_is_signalled(struct dma_fence *fence)
{
	return test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags);
}

/*
 * True if nothing is left on the callback list of a pending fence, i.e. a
 * waiter that gave up did not leave its callback behind.
 */
static bool dft_no_callbacks_left(struct dma_fence *fence)
{
	unsigned long flags;
	bool empty;

	spin_lock_irqsave(fence->lock, flags);
	empty = dft_is_signalled(fence) || list_empty(&fence->cb_list);
	spin_unlock_irqrestore(fence->lock, flags);
	return empty;
}

/* Records of callback invocations, written under the fence lock. */
#define DFT_LOG_LEN 16

struct dft_log {
	int len;
	int ids[DFT_LOG_LEN];
};

struct dft_cb {
	struct dma_fence_cb base;
	struct dft_log *log;
	int id;
	atomic_t runs;
	bool saw_signalled;
	int saw_error;
};

/* The callback used throughout: remembers what it saw, never sleeps. */
static void dft_cb_record(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct dft_cb *rec = container_of(cb, struct dft_cb, base);

	rec->saw_signalled = dft_is_signalled(fence);
	rec->saw_error = fence->error;
	if (rec->log && rec->log->len < DFT_LOG_LEN)
		rec->log->ids[rec->log->len++] = rec->id;
	atomic_inc(&rec->runs);
}

/* Leak check, run as the very last cleanup action of every case. */
static void dft_check_balance(void *data)
{
	struct dft_state *state = data;

	KUNIT_EXPECT_EQ_MSG(state->test, atomic_read(&state->releases),
			    atomic_read(&state->inits),
			    "mock fences initialised vs released");
}

static int dft_test_init(struct kunit *test)
{
	struct dft_state *state;

	state = kunit_kzalloc(test, sizeof(*state), GFP_KERNEL);
	if (!state)
		return -ENOMEM;
	state->test = test;
	test->priv = state;

	/* Registered first, so it runs after every other cleanup action. */
	return kunit_add_action_or_reset(test, dft_check_balance, state);
}

/* Helper threads. */

/* Cleanup action for dft_spawn(). */
static void dft_stop_thread(void *data)
{
	kthread_stop_put(data);
}

/* Start @fn(@arg) in a kthread, bound to @cpu unless it is negative. */
static struct task_struct *dft_spawn(struct kunit *test, int (*fn)(void *),
				     void *arg, int cpu)
{
	struct task_struct *task;
	int err;

	task = kthread_create(fn, arg, "dma-fence-kunit/%d", cpu);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	if (cpu >= 0)
		kthread_bind(task, cpu);
	get_task_struct(task);
	wake_up_process(task);

	/* Stops the thread even if the case bails out early. */
	err = kunit_add_action_or_reset(test, dft_stop_thread, task);
	KUNIT_ASSERT_EQ(test, err, 0);
	return task;
}

/* Waits for a helper thread to report back, failing the case if it does not. */
static void dft_await(struct kunit *test, struct completion *done)
{
	KUNIT_ASSERT_GT_MSG(test,
			    wait_for_completion_timeout(done, DFT_THREAD_TIMEOUT),
			    0, "helper thread did not finish in time");
}

/* Picks two online CPUs, or skips the case. */
static void dft_two_cpus(struct kunit *test, int cpu[2])
{
	DFT_REQUIRES(test, num_online_cpus() >= 2);
	cpu[0] = cpumask_first(cpu_online_mask);
	cpu[1] = cpumask_next(cpu[0], cpu_online_mask);
}

/* Spins until *@pos reaches @want, but only for a bounded while. */
static void dft_follow(atomic_t *pos, int want)
{
	int spin;

	for (spin = 0; spin < DFT_SPIN_LIMIT; spin++) {
		if (atomic_read_acquire(pos) >= want)
			return;
		cpu_relax();
	}
}

/*
 * A short busy delay that varies with @seed, so that two threads working
 * through the same fences do not always arrive in the same order.
 */
static void dft_jitter(unsigned int seed)
{
	unsigned int spin = (seed * 7919) % 13 * 40;

	while (spin--)
		cpu_relax();
}

/* Contexts and initialisation */

static void dma_fence_test_context_alloc_returns_disjoint_ranges(struct kunit *test)
{
	u64 first = dma_fence_context_alloc(1);
	u64 second = dma_fence_context_alloc(8);
	u64 third = dma_fence_context_alloc(1);

	/* Other users may allocate in between, so only order is promised. */
	KUNIT_EXPECT_GE(test, second, first + 1);
	KUNIT_EXPECT_GE(test, third, second + 8);
}

static void dma_fence_test_init_sets_up_a_pending_fence(struct kunit *test)
{
	struct dft_fence *mf = dft_alloc(test, 1);
	struct dma_fence *fence = &mf->base;
	u64 context = dma_fence_context_alloc(1);

	/* dma_fence_init() must not rely on zeroed memory. */
	memset(fence, 0x5a, sizeof(*fence));
	dft_init(test, mf, &dft_ops, NULL, context, 42);

	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 1);
	KUNIT_EXPECT_PTR_EQ(test, fence->ops, &dft_ops);
	KUNIT_EXPECT_PTR_EQ(test, fence->lock, &mf->lock);
	KUNIT_EXPECT_EQ(test, fence->context, context);
	KUNIT_EXPECT_EQ(test, fence->seqno, 42);
	KUNIT_EXPECT_EQ(test, fence->error, 0);
	KUNIT_EXPECT_FALSE(test, dft_is_signalled(fence));
	KUNIT_EXPECT_FALSE(test, test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT,
					  &fence->flags));
	KUNIT_EXPECT_FALSE(test, test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
					  &fence->flags));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(fence));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(fence), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&dft_state(test)->enables), 0);

	dma_fence_put(fence);
}

static void dma_fence_test_fences_can_share_a_timeline_lock(struct kunit *test)
{
	struct dft_fence *mf = dft_alloc(test, 2);
	struct dft_cb cb[2] = {};
	spinlock_t *lock;	/* one timeline lock for both fences */
	u64 context = dma_fence_context_alloc(1);
	ktime_t stamp = ns_to_ktime(1000);
	int ret[2];

	lock = kunit_kzalloc(test, sizeof(*lock), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, lock);
	spin_lock_init(lock);
	dft_init(test, &mf[0], &dft_ops, lock, context, 1);
	dft_init(test, &mf[1], &dft_ops, lock, context, 2);
	KUNIT_EXPECT_PTR_EQ(test, mf[0].base.lock, lock);
	KUNIT_EXPECT_PTR_EQ(test, mf[1].base.lock, lock);

	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(&mf[0].base, &cb[0].base,
						     dft_cb_record), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(&mf[1].base, &cb[1].base,
						     dft_cb_record), 0);

	/* Retire the whole timeline under its lock, as a driver would. */
	spin_lock_irq(lock);
	ret[0] = dma_fence_signal_locked(&mf[0].base);
	ret[1] = dma_fence_signal_timestamp_locked(&mf[1].base, stamp);
	spin_unlock_irq(lock);

	KUNIT_EXPECT_EQ(test, ret[0], 0);
	KUNIT_EXPECT_EQ(test, ret[1], 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb[0].runs), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb[1].runs), 1);
	KUNIT_EXPECT_EQ(test, ktime_to_ns(dma_fence_timestamp(&mf[1].base)),
			ktime_to_ns(stamp));

	dft_put_array(mf, 2);
}

/* References and release */

static void dma_fence_test_last_put_calls_release_once(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct dft_state *state = dft_state(test);

	KUNIT_EXPECT_PTR_EQ(test, dma_fence_get(fence), fence);
	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 2);

	dma_fence_put(fence);
	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->releases), 0);

	/* A fence that never signalled and has no callbacks goes quietly. */
	dma_fence_put(fence);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->releases), 1);
	KUNIT_EXPECT_TRUE(test, to_dft(fence)->released);
}

static void dma_fence_test_get_and_put_accept_null(struct kunit *test)
{
	KUNIT_EXPECT_NULL(test, dma_fence_get(NULL));
	dma_fence_put(NULL);
}

static void dma_fence_test_default_release_frees_after_rcu_readers(struct kunit *test)
{
	u64 context = dma_fence_context_alloc(1);
	struct dma_fence *plain, *got;
	spinlock_t *lock;	/* must outlive the RCU-deferred free */
	void *probe;

	lock = kunit_kzalloc(test, sizeof(*lock), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, lock);
	spin_lock_init(lock);

	/* Not a mock: without ->release the core must free it itself. */
	plain = kzalloc(sizeof(*plain), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, plain);
	dma_fence_init(plain, &dft_ops_default_release, lock, context, 1);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(plain), 0);

	/*
	 * The free is deferred past this RCU read section: the fence stays
	 * readable, and its memory cannot be handed out again meanwhile.
	 */
	rcu_read_lock();
	dma_fence_put(plain);
	got = dma_fence_get_rcu(plain);
	probe = kmalloc(sizeof(*plain), GFP_ATOMIC);
	rcu_read_unlock();

	KUNIT_EXPECT_NULL(test, got);
	KUNIT_EXPECT_PTR_NE(test, probe, (void *)plain);
	kfree(probe);
}

static void dma_fence_test_release_can_hand_back_to_dma_fence_free(struct kunit *test)
{
	struct dft_state *state = dft_state(test);
	u64 context = dma_fence_context_alloc(1);
	struct dft_fence *mf;
	struct dma_fence *got;
	int releases;
	void *probe;

	mf = kzalloc(sizeof(*mf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mf);
	dft_init(test, mf, &dft_ops_freeing, NULL, context, 1);

	rcu_read_lock();
	dma_fence_put(&mf->base);
	releases = atomic_read(&state->releases);
	got = dma_fence_get_rcu(&mf->base);
	probe = kmalloc(sizeof(*mf), GFP_ATOMIC);
	rcu_read_unlock();

	KUNIT_EXPECT_EQ(test, releases, 1);
	KUNIT_EXPECT_NULL(test, got);
	KUNIT_EXPECT_PTR_NE(test, probe, (void *)mf);
	kfree(probe);
}

static void dma_fence_test_get_rcu_refuses_a_released_fence(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct dma_fence *got;

	rcu_read_lock();
	got = dma_fence_get_rcu(fence);
	rcu_read_unlock();
	KUNIT_EXPECT_PTR_EQ(test, got, fence);
	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 2);
	dma_fence_put(got);

	dma_fence_put(fence);
	KUNIT_ASSERT_TRUE(test, to_dft(fence)->released);

	/* The mock memory outlives the release, so this is a safe probe. */
	rcu_read_lock();
	got = dma_fence_get_rcu(fence);
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, got);
	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 0);
}

static void dma_fence_test_get_rcu_safe_follows_a_replaced_pointer(struct kunit *test)
{
	struct dma_fence *before = dft_new(test);
	struct dma_fence *after = dft_new(test);
	struct dma_fence __rcu *slot;
	struct dma_fence *got;

	RCU_INIT_POINTER(slot, before);
	rcu_read_lock();
	got = dma_fence_get_rcu_safe(&slot);
	rcu_read_unlock();
	KUNIT_EXPECT_PTR_EQ(test, got, before);
	KUNIT_EXPECT_EQ(test, kref_read(&before->refcount), 2);
	dma_fence_put(got);

	rcu_assign_pointer(slot, after);
	rcu_read_lock();
	got = dma_fence_get_rcu_safe(&slot);
	rcu_read_unlock();
	KUNIT_EXPECT_PTR_EQ(test, got, after);
	KUNIT_EXPECT_EQ(test, kref_read(&after->refcount), 2);
	KUNIT_EXPECT_EQ(test, kref_read(&before->refcount), 1);
	dma_fence_put(got);

	RCU_INIT_POINTER(slot, NULL);
	rcu_read_lock();
	got = dma_fence_get_rcu_safe(&slot);
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, got);

	dma_fence_put(before);
	dma_fence_put(after);
}

/*
 * Dropping the last reference while callbacks are still queued is a
 * refcounting bug in the fence provider. The core is expected to WARN about
 * it, so THIS CASE PRODUCES A WARNING BACKTRACE ON PURPOSE; it then has to
 * signal the fence with -EDEADLK so the callbacks do not dangle.
 */
static void dma_fence_test_release_with_pending_callbacks_signals_edeadlk(struct kunit *test)
{
	struct dma_fence *fence;
	struct dft_cb cb = {};

#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
	/* This case warns on purpose. */
	DFT_REQUIRES(test, !panic_on_warn);
#endif
	fence = dft_new(test);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(fence, &cb.base,
						     dft_cb_record), 0);

	kunit_info(test, "a \"released with pending signals\" warning follows\n");
	dma_fence_put(fence);

	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 1);
	KUNIT_EXPECT_TRUE(test, cb.saw_signalled);
	KUNIT_EXPECT_EQ(test, cb.saw_error, -EDEADLK);
	KUNIT_EXPECT_EQ(test, atomic_read(&dft_state(test)->releases), 1);
}

/* Signalling */

struct dft_signal_variant {
	const char *desc;
	bool locked;
	bool stamped;
};

static const struct dft_signal_variant dft_signal_variants[] = {
	{ "dma_fence_signal", false, false },
	{ "dma_fence_signal_locked", true, false },
	{ "dma_fence_signal_timestamp", false, true },
	{ "dma_fence_signal_timestamp_locked", true, true },
};

KUNIT_ARRAY_PARAM_DESC(dft_signal, dft_signal_variants, desc);

/* Signals @fence through the entry point that @how names. */
static int dft_signal_with(const struct dft_signal_variant *how,
			   struct dma_fence *fence, ktime_t stamp)
{
	unsigned long flags;
	int ret;

	if (!how->locked)
		return how->stamped ? dma_fence_signal_timestamp(fence, stamp) :
				      dma_fence_signal(fence);

	spin_lock_irqsave(fence->lock, flags);
	if (how->stamped)
		ret = dma_fence_signal_timestamp_locked(fence, stamp);
	else
		ret = dma_fence_signal_locked(fence);
	spin_unlock_irqrestore(fence->lock, flags);
	return ret;
}

static void dma_fence_test_signal_takes_effect_only_once(struct kunit *test)
{
	const struct dft_signal_variant *how = test->param_value;
	struct dma_fence *fence = dft_new(test);
	struct dft_cb cb = {};
	ktime_t first;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(fence, &cb.base,
						     dft_cb_record), 0);

	KUNIT_EXPECT_EQ(test, dft_signal_with(how, fence, ktime_get()), 0);
	KUNIT_EXPECT_TRUE(test, dft_is_signalled(fence));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(fence));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(fence), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 1);
	first = dma_fence_timestamp(fence);

	/* Whatever the variant, a signalled fence stays as it is. */
	for (i = 0; i < ARRAY_SIZE(dft_signal_variants); i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    dft_signal_with(&dft_signal_variants[i],
						    fence, ktime_get()),
				    -EINVAL, "second signal through %s",
				    dft_signal_variants[i].desc);

	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 1);
	KUNIT_EXPECT_EQ(test, ktime_to_ns(dma_fence_timestamp(fence)),
			ktime_to_ns(first));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(fence), 1);

	dma_fence_put(fence);
}

static void dma_fence_test_signal_records_the_timestamp(struct kunit *test)
{
	const struct dft_signal_variant *how = test->param_value;
	struct dma_fence *fence = dft_new(test);
	ktime_t before, after, stamp, got;

	before = ktime_get();
	/* Deliberately in the past: it must be kept, not clamped. */
	stamp = ktime_sub_us(before, 1234);
	KUNIT_EXPECT_EQ(test, dft_signal_with(how, fence, stamp), 0);
	after = ktime_get();

	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT,
					 &fence->flags));
	got = dma_fence_timestamp(fence);
	if (how->stamped) {
		KUNIT_EXPECT_EQ(test, ktime_to_ns(got), ktime_to_ns(stamp));
	} else {
		KUNIT_EXPECT_GE(test, ktime_to_ns(got), ktime_to_ns(before));
		KUNIT_EXPECT_LE(test, ktime_to_ns(got), ktime_to_ns(after));
	}

	dma_fence_put(fence);
}

static void dma_fence_test_signal_runs_callbacks_in_order(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct dft_log log = {};
	struct dft_cb cb[5] = {};
	int i;

	for (i = 0; i < ARRAY_SIZE(cb); i++) {
		cb[i].id = i;
		cb[i].log = &log;
		KUNIT_ASSERT_EQ(test, dma_fence_add_callback(fence, &cb[i].base,
							     dft_cb_record), 0);
	}
	KUNIT_EXPECT_EQ(test, log.len, 0);

	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), 0);

	KUNIT_ASSERT_EQ(test, log.len, ARRAY_SIZE(cb));
	for (i = 0; i < ARRAY_SIZE(cb); i++) {
		KUNIT_EXPECT_EQ(test, log.ids[i], i);
		KUNIT_EXPECT_EQ(test, atomic_read(&cb[i].runs), 1);
		/* The callback already sees the fence as signalled. */
		KUNIT_EXPECT_TRUE(test, cb[i].saw_signalled);
		KUNIT_EXPECT_EQ(test, cb[i].saw_error, 0);
	}

	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), -EINVAL);
	KUNIT_EXPECT_EQ(test, log.len, ARRAY_SIZE(cb));

	dma_fence_put(fence);
}

static void dma_fence_test_removed_callback_does_not_run(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct dft_log log = {};
	struct dft_cb cb[4] = {};
	int i;

	for (i = 0; i < ARRAY_SIZE(cb); i++) {
		cb[i].id = i;
		cb[i].log = &log;
		KUNIT_ASSERT_EQ(test, dma_fence_add_callback(fence, &cb[i].base,
							     dft_cb_record), 0);
	}

	KUNIT_EXPECT_TRUE(test, dma_fence_remove_callback(fence, &cb[1].base));
	KUNIT_EXPECT_TRUE(test, dma_fence_remove_callback(fence, &cb[3].base));

	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), 0);
	KUNIT_ASSERT_EQ(test, log.len, 2);
	KUNIT_EXPECT_EQ(test, log.ids[0], 0);
	KUNIT_EXPECT_EQ(test, log.ids[1], 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb[1].runs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb[3].runs), 0);

	/* Too late once the fence has signalled. */
	KUNIT_EXPECT_FALSE(test, dma_fence_remove_callback(fence, &cb[0].base));
	KUNIT_EXPECT_FALSE(test, dma_fence_remove_callback(fence, &cb[2].base));

	dma_fence_put(fence);
}

static void dma_fence_test_callback_can_be_reused_after_it_ran(struct kunit *test)
{
	struct dma_fence *first = dft_new(test);
	struct dma_fence *second = dft_new(test);
	struct dft_cb cb = {};

	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(first, &cb.base,
						     dft_cb_record), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(first), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 1);

	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(second, &cb.base,
						     dft_cb_record), 0);
	KUNIT_EXPECT_TRUE(test, dma_fence_remove_callback(second, &cb.base));
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(second, &cb.base,
						     dft_cb_record), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(second), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 2);

	dma_fence_put(first);
	dma_fence_put(second);
}

/* Callbacks and enable_signaling */

static void dma_fence_test_add_callback_to_signalled_fence_returns_enoent(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct list_head decoy;
	struct dft_cb cb = {};

	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), 0);

	/*
	 * Leave the node linked into an unrelated list: if the core did not
	 * reinitialise it, removal would report success instead of crashing.
	 */
	INIT_LIST_HEAD(&decoy);
	list_add(&cb.base.node, &decoy);

	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(fence, &cb.base,
						     dft_cb_record), -ENOENT);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 0);
	KUNIT_EXPECT_FALSE(test, dma_fence_remove_callback(fence, &cb.base));
	/* Signalled before anyone asked: enable_signaling is never called. */
	KUNIT_EXPECT_EQ(test, atomic_read(&dft_state(test)->enables), 0);

	dma_fence_put(fence);
}

static void dma_fence_test_add_callback_enables_signaling_once(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct dft_state *state = dft_state(test);
	struct dft_cb cb[3] = {};
	int i;

	for (i = 0; i < ARRAY_SIZE(cb); i++)
		KUNIT_ASSERT_EQ(test, dma_fence_add_callback(fence, &cb[i].base,
							     dft_cb_record), 0);

	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
					 &fence->flags));
	KUNIT_EXPECT_FALSE(test, dft_is_signalled(fence));

	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), 0);
	for (i = 0; i < ARRAY_SIZE(cb); i++)
		KUNIT_EXPECT_EQ(test, atomic_read(&cb[i].runs), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 1);

	dma_fence_put(fence);
}

static void dma_fence_test_refused_enable_signaling_signals_the_fence(struct kunit *test)
{
	struct dma_fence *plain = dft_new(test);
	struct dma_fence *failed = dft_new(test);
	struct dft_state *state = dft_state(test);
	struct dft_cb cb[2] = {};

	/* "Already passed": the fence completes, without an error. */
	to_dft(plain)->refuse_enable = true;
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(plain, &cb[0].base,
						     dft_cb_record), -ENOENT);
	KUNIT_EXPECT_TRUE(test, dft_is_signalled(plain));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(plain), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb[0].runs), 0);
	KUNIT_EXPECT_FALSE(test, dma_fence_remove_callback(plain, &cb[0].base));
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 1);

	/* "Some failure occurred": the error it left behind is reported. */
	to_dft(failed)->refuse_enable = true;
	to_dft(failed)->refuse_error = -EIO;
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(failed, &cb[1].base,
						     dft_cb_record), -ENOENT);
	KUNIT_EXPECT_TRUE(test, dft_is_signalled(failed));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(failed), -EIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb[1].runs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 2);

	/* No second chance to enable, and nothing left to signal. */
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(failed, &cb[1].base,
						     dft_cb_record), -ENOENT);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 2);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(failed), -EINVAL);

	dma_fence_put(plain);
	dma_fence_put(failed);
}

static void dma_fence_test_enable_sw_signaling_calls_the_op_once(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct dft_state *state = dft_state(test);
	struct dft_cb cb = {};

	dma_fence_enable_sw_signaling(fence);
	dma_fence_enable_sw_signaling(fence);
	dma_fence_enable_sw_signaling(fence);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
					 &fence->flags));
	KUNIT_EXPECT_FALSE(test, dft_is_signalled(fence));

	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(fence, &cb.base,
						     dft_cb_record), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 1);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 1);

	dma_fence_put(fence);
}

static void dma_fence_test_enable_sw_signaling_skips_signalled_fences(struct kunit *test)
{
	struct dma_fence *done = dft_new(test);
	struct dma_fence *refusing = dft_new(test);
	struct dft_state *state = dft_state(test);

	KUNIT_EXPECT_EQ(test, dma_fence_signal(done), 0);
	dma_fence_enable_sw_signaling(done);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 0);

	/* A refusal from the op completes the fence right there. */
	to_dft(refusing)->refuse_enable = true;
	to_dft(refusing)->refuse_error = -ENODEV;
	dma_fence_enable_sw_signaling(refusing);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 1);
	KUNIT_EXPECT_TRUE(test, dft_is_signalled(refusing));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(refusing), -ENODEV);

	dma_fence_put(done);
	dma_fence_put(refusing);
}

static void dma_fence_test_optional_ops_may_be_missing(struct kunit *test)
{
	struct dma_fence *fence = dft_new_ops(test, &dft_ops_bare, 1);
	struct dft_cb cb = {};
	long ret;

	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(fence));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(fence), 0);
	dma_fence_enable_sw_signaling(fence);
	KUNIT_EXPECT_FALSE(test, dft_is_signalled(fence));
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(fence, &cb.base,
						     dft_cb_record), 0);
	dma_fence_set_deadline(fence, ktime_get());
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(fence, false, 0), 0);

	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 1);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(fence));
	ret = dma_fence_wait_timeout(fence, true, 0);
	KUNIT_EXPECT_EQ(test, ret, 1);
	/* Unbounded waits only once a bounded one saw the fence done. */
	if (ret == 1)
		KUNIT_EXPECT_EQ(test, dma_fence_wait(fence, false), 0);

	dma_fence_put(fence);
}

/* Polling the state */

static void dma_fence_test_is_signaled_polls_the_signaled_op(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct dft_cb cb = {};

	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(fence, &cb.base,
						     dft_cb_record), 0);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(fence));
	KUNIT_EXPECT_FALSE(test, dft_is_signalled(fence));

	/* The hardware finished, nobody called dma_fence_signal() yet. */
	WRITE_ONCE(to_dft(fence)->hw_done, true);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(fence));

	/* Polling completed the fence for real. */
	KUNIT_EXPECT_TRUE(test, dft_is_signalled(fence));
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT,
					 &fence->flags));
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 1);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), -EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 1);

	dma_fence_put(fence);
}

static void dma_fence_test_is_signaled_locked_polls_under_the_lock(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct dft_cb cb = {};
	unsigned long flags;
	bool before, after;

	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(fence, &cb.base,
						     dft_cb_record), 0);

	spin_lock_irqsave(fence->lock, flags);
	before = dma_fence_is_signaled_locked(fence);
	WRITE_ONCE(to_dft(fence)->hw_done, true);
	after = dma_fence_is_signaled_locked(fence);
	spin_unlock_irqrestore(fence->lock, flags);

	KUNIT_EXPECT_FALSE(test, before);
	KUNIT_EXPECT_TRUE(test, after);
	KUNIT_EXPECT_TRUE(test, dft_is_signalled(fence));
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 1);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), -EINVAL);

	dma_fence_put(fence);
}

static void dma_fence_test_get_status_reports_pending_done_and_error(struct kunit *test)
{
	struct dma_fence *ok = dft_new(test);
	struct dma_fence *bad = dft_new(test);
	struct dma_fence *polled = dft_new(test);

	KUNIT_EXPECT_EQ(test, dma_fence_get_status(ok), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(ok), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(ok), 1);

	/* An error is only reported once the fence has signalled. */
	dma_fence_set_error(bad, -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(bad), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(bad), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(bad), -ETIMEDOUT);

	/* The status query consults ->signaled as well. */
	WRITE_ONCE(to_dft(polled)->hw_done, true);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(polled), 1);
	KUNIT_EXPECT_TRUE(test, dft_is_signalled(polled));

	dma_fence_put(ok);
	dma_fence_put(bad);
	dma_fence_put(polled);
}

static void dma_fence_test_get_status_locked_matches_get_status(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct dma_fence *bad = dft_new(test);
	unsigned long flags;
	int status[3];

	spin_lock_irqsave(fence->lock, flags);
	status[0] = dma_fence_get_status_locked(fence);
	dma_fence_signal_locked(fence);
	status[1] = dma_fence_get_status_locked(fence);
	spin_unlock_irqrestore(fence->lock, flags);

	dma_fence_set_error(bad, -ENOSPC);
	dma_fence_signal(bad);
	spin_lock_irqsave(bad->lock, flags);
	status[2] = dma_fence_get_status_locked(bad);
	spin_unlock_irqrestore(bad->lock, flags);

	KUNIT_EXPECT_EQ(test, status[0], 0);
	KUNIT_EXPECT_EQ(test, status[1], 1);
	KUNIT_EXPECT_EQ(test, status[2], -ENOSPC);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(bad), status[2]);

	dma_fence_put(fence);
	dma_fence_put(bad);
}

static void dma_fence_test_set_error_reaches_callbacks_and_status(struct kunit *test)
{
	static const int errors[] = { -1, -ECANCELED, -MAX_ERRNO };
	struct dft_cb cb[ARRAY_SIZE(errors)] = {};
	struct dma_fence *fence;
	int i;

	for (i = 0; i < ARRAY_SIZE(errors); i++) {
		fence = dft_new(test);
		KUNIT_ASSERT_EQ(test, dma_fence_add_callback(fence, &cb[i].base,
							     dft_cb_record), 0);
		dma_fence_set_error(fence, errors[i]);
		KUNIT_EXPECT_EQ(test, fence->error, errors[i]);
		KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), 0);

		KUNIT_EXPECT_EQ(test, atomic_read(&cb[i].runs), 1);
		KUNIT_EXPECT_EQ(test, cb[i].saw_error, errors[i]);
		KUNIT_EXPECT_EQ(test, dma_fence_get_status(fence), errors[i]);
		dma_fence_put(fence);
	}
}

static void dma_fence_test_signaled_op_may_set_the_error(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);

	to_dft(fence)->hw_error = -EPROTO;
	WRITE_ONCE(to_dft(fence)->hw_done, true);

	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(fence));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(fence), -EPROTO);

	dma_fence_put(fence);
}

/* Waiting on one fence */

static void dma_fence_test_wait_with_zero_timeout_only_polls(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);

	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(fence, false, 0), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(fence, true, 0), 0);
	KUNIT_EXPECT_FALSE(test, dft_is_signalled(fence));
	/* Even a polling wait asks the provider to signal. */
	KUNIT_EXPECT_EQ(test, atomic_read(&dft_state(test)->enables), 1);
	KUNIT_EXPECT_TRUE(test, dft_no_callbacks_left(fence));

	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(fence, false, 0), 1);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(fence, true, 0), 1);

	dma_fence_put(fence);
}

static void dma_fence_test_wait_on_signalled_fence_returns_time_left(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	long ret;

	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), 0);

	ret = dma_fence_wait_timeout(fence, false, 100);
	KUNIT_EXPECT_GT(test, ret, 0);
	KUNIT_EXPECT_LE(test, ret, 100);
	/* Unbounded waits only once a bounded one saw the fence done. */
	if (ret > 0) {
		KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(fence, true,
							     MAX_SCHEDULE_TIMEOUT),
				0);
		KUNIT_EXPECT_EQ(test, dma_fence_wait(fence, true), 0);
		KUNIT_EXPECT_EQ(test, dma_fence_wait(fence, false), 0);
	}

	dma_fence_put(fence);
}

static void dma_fence_test_wait_times_out_on_a_pending_fence(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	long timeout = msecs_to_jiffies(20);
	unsigned long start, elapsed;
	long ret[2];

	start = jiffies;
	ret[0] = dma_fence_wait_timeout(fence, false, timeout);
	ret[1] = dma_fence_wait_timeout(fence, true, timeout);
	elapsed = jiffies - start;

	KUNIT_EXPECT_EQ(test, ret[0], 0);
	KUNIT_EXPECT_EQ(test, ret[1], 0);
	/* One jiffy of slack for tick accounting, none for early returns. */
	KUNIT_EXPECT_GE(test, elapsed + 2, 2 * timeout);
	KUNIT_EXPECT_FALSE(test, dft_is_signalled(fence));
	KUNIT_EXPECT_TRUE(test, dft_no_callbacks_left(fence));

	dma_fence_put(fence);
}

static void dma_fence_test_wait_enables_signaling_first(struct kunit *test)
{
	struct dma_fence *plain = dft_new(test);
	struct dma_fence *refusing = dft_new(test);
	struct dma_fence *failing = dft_new(test);
	struct dft_state *state = dft_state(test);

	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(plain, true, 0), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
					 &plain->flags));
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(plain, true, 0), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 1);

	/* A refusing provider completes the fence, so the wait succeeds. */
	to_dft(refusing)->refuse_enable = true;
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(refusing, false, 0), 1);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(refusing), 1);

	to_dft(failing)->refuse_enable = true;
	to_dft(failing)->refuse_error = -ENXIO;
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(failing, true,
						     DFT_WAKE_TIMEOUT), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(failing), -ENXIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 3);

	dma_fence_signal(plain);
	dma_fence_put(plain);
	dma_fence_put(refusing);
	dma_fence_put(failing);
}

static void dma_fence_test_wait_goes_through_the_wait_op(struct kunit *test)
{
	struct dma_fence *fence = dft_new_ops(test, &dft_ops_custom_wait, 1);
	struct dft_state *state = dft_state(test);

	to_dft(fence)->wait_ret = 7;
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(fence, true, 9), 7);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->waits), 1);
	KUNIT_EXPECT_TRUE(test, state->last_wait_intr);
	KUNIT_EXPECT_EQ(test, state->last_wait_timeout, 9);
	/* Signalling is enabled before the driver gets to wait. */
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 1);

	/* dma_fence_wait() turns time left into 0... */
	KUNIT_EXPECT_EQ(test, dma_fence_wait(fence, false), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->waits), 2);
	KUNIT_EXPECT_FALSE(test, state->last_wait_intr);
	KUNIT_EXPECT_EQ(test, state->last_wait_timeout, MAX_SCHEDULE_TIMEOUT);

	/* ...and passes driver errors through unchanged. */
	to_dft(fence)->wait_ret = -EIO;
	KUNIT_EXPECT_EQ(test, dma_fence_wait(fence, true), -EIO);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(fence, false, 3), -EIO);

	to_dft(fence)->wait_ret = 0;
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(fence, false, 3), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->waits), 5);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->enables), 1);

	dma_fence_put(fence);
}

static void dma_fence_test_default_wait_can_be_called_directly(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	long ret;

	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(fence, false, 0), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(fence, true, 0), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(fence, true, 2), 0);
	KUNIT_EXPECT_TRUE(test, dft_no_callbacks_left(fence));

	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(fence, false, 0), 1);
	ret = dma_fence_default_wait(fence, true, 50);
	KUNIT_EXPECT_GT(test, ret, 0);
	KUNIT_EXPECT_LE(test, ret, 50);

	dma_fence_put(fence);
}

/* Waiting from a kthread, which can be interrupted or rescued */

enum dft_wait_kind {
	DFT_WAIT,		/* dma_fence_wait() */
	DFT_WAIT_TIMEOUT,	/* dma_fence_wait_timeout() */
	DFT_WAIT_ANY,		/* dma_fence_wait_any_timeout() */
};

struct dft_waiter {
	struct dma_fence **array;
	u32 count;
	enum dft_wait_kind kind;
	bool intr;
	bool raise_first;	/* signal itself before waiting */
	long timeout;
	long ret;
	u32 idx;
	struct task_struct *task;
	struct completion ready;
	struct completion done;
};

/* Body of the waiter: one wait of the configured kind, then report. */
static int dft_waiter_thread(void *data)
{
	struct dft_waiter *w = data;

	allow_signal(SIGUSR1);
	complete(&w->ready);
	if (w->raise_first)
		send_sig(SIGUSR1, current, 1);

	switch (w->kind) {
	case DFT_WAIT:
		w->ret = dma_fence_wait(w->array[0], w->intr);
		break;
	case DFT_WAIT_TIMEOUT:
		w->ret = dma_fence_wait_timeout(w->array[0], w->intr,
						w->timeout);
		break;
	case DFT_WAIT_ANY:
		w->ret = dma_fence_wait_any_timeout(w->array, w->count,
						    w->intr, w->timeout,
						    &w->idx);
		break;
	}

	/* Drops whatever is still pending. */
	disallow_signal(SIGUSR1);
	complete(&w->done);
	return 0;
}

/* A waiter for @count mocks; the caller tunes it, then starts it. */
static struct dft_waiter *dft_waiter_new(struct kunit *test,
					 enum dft_wait_kind kind,
					 struct dft_fence *mf, u32 count)
{
	struct dft_waiter *w;
	u32 i;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	w->array = kunit_kcalloc(test, count, sizeof(*w->array), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w->array);
	for (i = 0; i < count; i++)
		w->array[i] = &mf[i].base;
	w->count = count;
	w->kind = kind;
	w->idx = U32_MAX;
	init_completion(&w->ready);
	init_completion(&w->done);
	return w;
}

/* Returns once the waiter accepts signals and is about to wait. */
static void dft_waiter_start(struct kunit *test, struct dft_waiter *w)
{
	w->task = dft_spawn(test, dft_waiter_thread, w, -1);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&w->ready,
							  DFT_WAKE_TIMEOUT), 0);
}

/*
 * Waits for the waiter to return by itself and tells whether it did. If it
 * does not, its fences are signalled, it is sent a signal and woken up
 * until it returns, so that a lost wakeup fails the case without hanging.
 */
static bool dft_waiter_finish(struct dft_waiter *w)
{
	int tries;
	u32 i;

	if (wait_for_completion_timeout(&w->done, DFT_WAKE_TIMEOUT))
		return true;

	for (i = 0; i < w->count; i++)
		dma_fence_signal(w->array[i]);
	send_sig(SIGUSR1, w->task, 1);
	for (tries = 0; tries < 100; tries++) {
		if (wait_for_completion_timeout(&w->done, HZ / 10))
			break;
		wake_up_process(w->task);
	}
	return false;
}

struct dft_timer {
	struct timer_list tick;
	struct dma_fence *fence;
};

/* Timer callback: signals the fence from softirq context. */
static void dft_timer_signal(struct timer_list *timer)
{
	struct dft_timer *dt = from_timer(dt, timer, tick);

	dma_fence_signal(dt->fence);
}

struct dft_sleep_case {
	const char *desc;
	enum dft_wait_kind kind;
	bool intr;
	long timeout;
};

static const struct dft_sleep_case dft_sleep_cases[] = {
	{ "dma_fence_wait", DFT_WAIT, false, MAX_SCHEDULE_TIMEOUT },
	{ "dma_fence_wait, interruptible", DFT_WAIT, true,
	  MAX_SCHEDULE_TIMEOUT },
	{ "dma_fence_wait_timeout, no limit", DFT_WAIT_TIMEOUT, false,
	  MAX_SCHEDULE_TIMEOUT },
	{ "dma_fence_wait_timeout, interruptible, 5 s", DFT_WAIT_TIMEOUT,
	  true, DFT_WAKE_TIMEOUT },
	{ "dma_fence_wait_any_timeout, no limit", DFT_WAIT_ANY, false,
	  MAX_SCHEDULE_TIMEOUT },
	{ "dma_fence_wait_any_timeout, interruptible, 5 s", DFT_WAIT_ANY,
	  true, DFT_WAKE_TIMEOUT },
};

KUNIT_ARRAY_PARAM_DESC(dft_sleep, dft_sleep_cases, desc);

static void dma_fence_test_wait_sleeps_until_a_timer_signals(struct kunit *test)
{
	const struct dft_sleep_case *param = test->param_value;
	u32 count = param->kind == DFT_WAIT_ANY ? 3 : 1;
	u32 target = count - 1;
	struct dft_fence *mf = dft_new_array(test, count);
	struct dft_waiter *w;
	struct dft_timer *dt;
	bool finished;
	u32 i;

	dt = kunit_kzalloc(test, sizeof(*dt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dt);
	timer_setup(&dt->tick, dft_timer_signal, 0);
	dt->fence = &mf[target].base;

	w = dft_waiter_new(test, param->kind, mf, count);
	w->intr = param->intr;
	w->timeout = param->timeout;
	dft_waiter_start(test, w);

	/* Signalled from softirq context while the waiter sleeps. */
	mod_timer(&dt->tick, jiffies + msecs_to_jiffies(10));
	finished = dft_waiter_finish(w);
	/* The timer may still be on its way out of dma_fence_signal(). */
	timer_delete_sync(&dt->tick);

	KUNIT_EXPECT_TRUE_MSG(test, finished, "waiter was not woken up");
	if (param->kind == DFT_WAIT) {
		KUNIT_EXPECT_EQ(test, w->ret, 0);
	} else {
		KUNIT_EXPECT_GT(test, w->ret, 0);
		KUNIT_EXPECT_LE(test, w->ret, param->timeout);
	}
	if (param->kind == DFT_WAIT_ANY)
		KUNIT_EXPECT_EQ(test, w->idx, target);
	for (i = 0; i < count; i++) {
		KUNIT_EXPECT_EQ(test, dft_is_signalled(&mf[i].base),
				i == target);
		KUNIT_EXPECT_TRUE(test, dft_no_callbacks_left(&mf[i].base));
	}

	dft_put_array(mf, count);
}

struct dft_intr_case {
	const char *desc;
	enum dft_wait_kind kind;
	bool raise_first;
};

static const struct dft_intr_case dft_intr_cases[] = {
	{ "dma_fence_wait, signal already pending", DFT_WAIT, true },
	{ "dma_fence_wait, signal while asleep", DFT_WAIT, false },
	{ "dma_fence_wait_timeout, signal already pending", DFT_WAIT_TIMEOUT,
	  true },
	{ "dma_fence_wait_timeout, signal while asleep", DFT_WAIT_TIMEOUT,
	  false },
	{ "dma_fence_wait_any_timeout, signal already pending", DFT_WAIT_ANY,
	  true },
	{ "dma_fence_wait_any_timeout, signal while asleep", DFT_WAIT_ANY,
	  false },
};

KUNIT_ARRAY_PARAM_DESC(dft_intr, dft_intr_cases, desc);

static void dma_fence_test_interruptible_wait_returns_erestartsys(struct kunit *test)
{
	const struct dft_intr_case *param = test->param_value;
	u32 count = param->kind == DFT_WAIT_ANY ? 3 : 1;
	struct dft_fence *mf = dft_new_array(test, count);
	struct dft_waiter *w;
	bool finished;
	u32 i;

	w = dft_waiter_new(test, param->kind, mf, count);
	w->intr = true;
	w->raise_first = param->raise_first;
	w->timeout = 10 * HZ;
	dft_waiter_start(test, w);

	if (!param->raise_first) {
		/* Give the waiter a chance to go to sleep first. */
		for (i = 0; i < 200 && task_is_running(w->task); i++)
			usleep_range(1000, 2000);
		send_sig(SIGUSR1, w->task, 1);
	}
	finished = dft_waiter_finish(w);

	KUNIT_EXPECT_TRUE_MSG(test, finished, "waiter ignored the signal");
	KUNIT_EXPECT_EQ(test, w->ret, -ERESTARTSYS);
	for (i = 0; i < count; i++) {
		KUNIT_EXPECT_EQ(test, dft_is_signalled(&mf[i].base), !finished);
		KUNIT_EXPECT_TRUE(test, dft_no_callbacks_left(&mf[i].base));
	}

	dft_put_array(mf, count);
}

/*
 * As in 6.12, an interruptible zero-timeout wait on a pending fence reports
 * a pending signal (amdgpu's wait-idle ioctl gets here through
 * dma_resv_wait_timeout(..., true, 0)); uninterruptible, or on a signalled
 * fence, the signal does not matter.
 */
static void dma_fence_test_zero_timeout_wait_reports_a_pending_signal(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);

	allow_signal(SIGUSR1);
	send_sig(SIGUSR1, current, 1);
	KUNIT_EXPECT_TRUE(test, signal_pending(current));

	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(fence, true, 0),
			-ERESTARTSYS);
	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(fence, false, 0), 0);
	KUNIT_EXPECT_FALSE(test, dft_is_signalled(fence));
	dma_fence_signal(fence);
	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(fence, true, 0), 1);

	flush_signals(current);
	disallow_signal(SIGUSR1);
	dma_fence_put(fence);
}

static void dma_fence_test_uninterruptible_wait_ignores_signals(struct kunit *test)
{
	static const enum dft_wait_kind kinds[] = {
		DFT_WAIT_TIMEOUT, DFT_WAIT_ANY,
	};
	struct dft_fence *mf = dft_new_array(test, 3);
	struct dft_waiter *w;
	int i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		w = dft_waiter_new(test, kinds[i], mf, 3);
		w->intr = false;
		w->raise_first = true;
		w->timeout = msecs_to_jiffies(30);
		dft_waiter_start(test, w);

		KUNIT_EXPECT_TRUE(test, dft_waiter_finish(w));
		KUNIT_EXPECT_EQ_MSG(test, w->ret, 0, "wait kind %d", kinds[i]);
	}

	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_TRUE(test, dft_no_callbacks_left(&mf[i].base));
	dft_put_array(mf, 3);
}

/* Waiting on any of several fences */

static void dma_fence_test_wait_any_with_zero_timeout_only_polls(struct kunit *test)
{
	struct dft_fence *mf = dft_new_array(test, 4);
	struct dma_fence *fences[4];
	u32 idx = U32_MAX;
	int i;

	for (i = 0; i < ARRAY_SIZE(fences); i++)
		fences[i] = &mf[i].base;

	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(fences, 4, false, 0,
							 &idx), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(fences, 4, true, 0,
							 &idx), 0);

	/* Found by polling ->signaled. */
	WRITE_ONCE(mf[2].hw_done, true);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(fences, 4, false, 0,
							 &idx), 1);
	KUNIT_EXPECT_EQ(test, idx, 2);

	/* Found by its flag; now either signalled fence is a valid answer. */
	KUNIT_EXPECT_EQ(test, dma_fence_signal(fences[0]), 0);
	idx = U32_MAX;
	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(fences, 4, true, 0,
							 &idx), 1);
	KUNIT_EXPECT_TRUE(test, idx == 0 || idx == 2);

	for (i = 0; i < ARRAY_SIZE(fences); i++)
		KUNIT_EXPECT_TRUE(test, dft_no_callbacks_left(fences[i]));
	dft_put_array(mf, 4);
}

static void dma_fence_test_wait_any_finds_an_already_signalled_fence(struct kunit *test)
{
	struct dft_fence *mf = dft_new_array(test, 8);
	struct dma_fence *fences[8];
	u32 idx = U32_MAX;
	long ret;
	int i;

	for (i = 0; i < ARRAY_SIZE(fences); i++)
		fences[i] = &mf[i].base;
	KUNIT_EXPECT_EQ(test, dma_fence_signal(fences[5]), 0);

	ret = dma_fence_wait_any_timeout(fences, 8, true, HZ, &idx);
	KUNIT_EXPECT_GT(test, ret, 0);
	KUNIT_EXPECT_LE(test, ret, HZ);
	KUNIT_EXPECT_EQ(test, idx, 5);

	if (ret > 0) {
		idx = U32_MAX;
		ret = dma_fence_wait_any_timeout(fences, 8, false,
						 MAX_SCHEDULE_TIMEOUT, &idx);
		KUNIT_EXPECT_GT(test, ret, 0);
		KUNIT_EXPECT_EQ(test, idx, 5);
	}

	for (i = 0; i < ARRAY_SIZE(fences); i++)
		KUNIT_EXPECT_TRUE(test, dft_no_callbacks_left(fences[i]));
	dft_put_array(mf, 8);
}

static void dma_fence_test_wait_any_times_out_on_pending_fences(struct kunit *test)
{
	struct dft_fence *mf = dft_new_array(test, 4);
	long timeout = msecs_to_jiffies(20);
	struct dma_fence *fences[4];
	unsigned long start, elapsed;
	u32 idx;
	long ret;
	int i;

	for (i = 0; i < ARRAY_SIZE(fences); i++)
		fences[i] = &mf[i].base;

	start = jiffies;
	ret = dma_fence_wait_any_timeout(fences, 4, true, timeout, &idx);
	elapsed = jiffies - start;

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_GE(test, elapsed + 1, timeout);
	for (i = 0; i < ARRAY_SIZE(fences); i++) {
		KUNIT_EXPECT_FALSE(test, dft_is_signalled(fences[i]));
		KUNIT_EXPECT_TRUE(test, dft_no_callbacks_left(fences[i]));
	}
	dft_put_array(mf, 4);
}

static void dma_fence_test_wait_any_counts_error_fences_as_signalled(struct kunit *test)
{
	struct dft_fence *mf = dft_new_array(test, 3);
	struct dma_fence *fences[3];
	u32 idx = U32_MAX;
	int i;

	for (i = 0; i < ARRAY_SIZE(fences); i++)
		fences[i] = &mf[i].base;
	dma_fence_set_error(fences[1], -EIO);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(fences[1]), 0);

	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(fences, 3, false, 0,
							 &idx), 1);
	KUNIT_EXPECT_EQ(test, idx, 1);
	idx = U32_MAX;
	KUNIT_EXPECT_GT(test, dma_fence_wait_any_timeout(fences, 3, true, HZ,
							 &idx), 0);
	KUNIT_EXPECT_EQ(test, idx, 1);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(fences[1]), -EIO);

	dft_put_array(mf, 3);
}

/* Deadlines */

static void dma_fence_test_set_deadline_reaches_pending_fences_only(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct dma_fence *polled = dft_new(test);
	struct dft_state *state = dft_state(test);
	ktime_t soon = ktime_add_ms(ktime_get(), 16);
	ktime_t sooner = ktime_add_ms(ktime_get(), 4);

	dma_fence_set_deadline(fence, soon);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->deadlines), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&state->last_deadline_ns),
			ktime_to_ns(soon));

	/* May be called again; the provider sees every hint. */
	dma_fence_set_deadline(fence, sooner);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->deadlines), 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&state->last_deadline_ns),
			ktime_to_ns(sooner));

	KUNIT_EXPECT_EQ(test, dma_fence_signal(fence), 0);
	dma_fence_set_deadline(fence, soon);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->deadlines), 2);

	/* Completed according to ->signaled: no hint either. */
	WRITE_ONCE(to_dft(polled)->hw_done, true);
	dma_fence_set_deadline(polled, soon);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->deadlines), 2);

	dma_fence_put(fence);
	dma_fence_put(polled);
}

/* Stub fences */

static void dma_fence_test_stub_is_one_shared_signalled_fence(struct kunit *test)
{
	struct dma_fence *stub = dma_fence_get_stub();
	struct dma_fence *again = dma_fence_get_stub();
	struct dft_cb cb = {};

	KUNIT_ASSERT_NOT_NULL(test, stub);
	KUNIT_EXPECT_PTR_EQ(test, again, stub);
	/* Others may hold references too; we hold at least two. */
	KUNIT_EXPECT_GE(test, kref_read(&stub->refcount), 2);

	KUNIT_EXPECT_TRUE(test, dft_is_signalled(stub));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(stub));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(stub), 1);
	KUNIT_EXPECT_LE(test, ktime_to_ns(dma_fence_timestamp(stub)),
			ktime_to_ns(ktime_get()));
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(stub, &cb.base,
						     dft_cb_record), -ENOENT);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(stub, true, 0), 1);

	dma_fence_put(again);
	dma_fence_put(stub);

	/* Our puts did not destroy it. */
	stub = dma_fence_get_stub();
	KUNIT_EXPECT_PTR_EQ(test, stub, again);
	KUNIT_EXPECT_TRUE(test, dft_is_signalled(stub));
	dma_fence_put(stub);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 0);
}

static void dma_fence_test_private_stub_is_signalled_at_the_given_time(struct kunit *test)
{
	ktime_t when[2] = { ns_to_ktime(123456789), ktime_get() };
	struct dma_fence *priv[2], *stub;
	struct dft_cb cb = {};
	int i;

	for (i = 0; i < ARRAY_SIZE(priv); i++) {
		priv[i] = dma_fence_allocate_private_stub(when[i]);
		KUNIT_ASSERT_NOT_NULL(test, priv[i]);
	}
	stub = dma_fence_get_stub();

	KUNIT_EXPECT_PTR_NE(test, priv[0], priv[1]);
	for (i = 0; i < ARRAY_SIZE(priv); i++) {
		KUNIT_EXPECT_PTR_NE(test, priv[i], stub);
		KUNIT_EXPECT_EQ(test, kref_read(&priv[i]->refcount), 1);
		KUNIT_EXPECT_TRUE(test, dft_is_signalled(priv[i]));
		KUNIT_EXPECT_EQ(test, dma_fence_get_status(priv[i]), 1);
		KUNIT_EXPECT_EQ(test, ktime_to_ns(dma_fence_timestamp(priv[i])),
				ktime_to_ns(when[i]));
	}
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(priv[0], &cb.base,
						     dft_cb_record), -ENOENT);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 0);

	dma_fence_put(stub);
	for (i = 0; i < ARRAY_SIZE(priv); i++)
		dma_fence_put(priv[i]);
}

/* Description */

static void dma_fence_test_describe_prints_names_seqno_and_state(struct kunit *test)
{
	struct dma_fence *fence = dft_new_ops(test, &dft_ops, 42);
	struct dma_fence *wide = dft_new_ops(test, &dft_ops_64bit,
					     0x100000002ULL);
	struct seq_file *seq;
	const size_t size = 256;

	seq = kunit_kzalloc(test, sizeof(*seq), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seq);
	seq->buf = kunit_kzalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seq->buf);
	seq->size = size;

	dma_fence_describe(fence, seq);
	KUNIT_EXPECT_STREQ(test, seq->buf,
			   DFT_DRIVER " " DFT_TIMELINE " seq 42 unsignalled\n");

	dma_fence_signal(fence);
	memset(seq->buf, 0, size);
	seq->count = 0;
	dma_fence_describe(fence, seq);
	KUNIT_EXPECT_STREQ(test, seq->buf,
			   DFT_DRIVER " " DFT_TIMELINE " seq 42 signalled\n");

	/* Sequence numbers are printed in full, in decimal. */
	memset(seq->buf, 0, size);
	seq->count = 0;
	dma_fence_describe(wide, seq);
	KUNIT_EXPECT_STREQ(test, seq->buf, DFT_DRIVER " " DFT_TIMELINE
			   " seq 4294967298 unsignalled\n");

	dma_fence_put(fence);
	dma_fence_put(wide);
}

/* Sequence number ordering */

static void dma_fence_test_is_later_wraps_32bit_seqnos(struct kunit *test)
{
	const struct dma_fence_ops *ops = &dft_ops;

	KUNIT_EXPECT_TRUE(test, __dma_fence_is_later(2, 1, ops));
	KUNIT_EXPECT_FALSE(test, __dma_fence_is_later(1, 2, ops));
	KUNIT_EXPECT_FALSE(test, __dma_fence_is_later(7, 7, ops));

	/* Across the wrap, the small number is the newer one. */
	KUNIT_EXPECT_TRUE(test, __dma_fence_is_later(1, 0xffffffff, ops));
	KUNIT_EXPECT_FALSE(test, __dma_fence_is_later(0xffffffff, 1, ops));
	KUNIT_EXPECT_TRUE(test, __dma_fence_is_later(0, 0xfffffff0, ops));
	KUNIT_EXPECT_TRUE(test, __dma_fence_is_later(0x7fffffff, 0, ops));

	/* Only the low 32 bits count on such a timeline. */
	KUNIT_EXPECT_FALSE(test, __dma_fence_is_later(0x100000001ULL, 1, ops));
	KUNIT_EXPECT_FALSE(test, __dma_fence_is_later(0x100000000ULL, 1, ops));
}

static void dma_fence_test_is_later_compares_64bit_seqnos(struct kunit *test)
{
	const struct dma_fence_ops *ops = &dft_ops_64bit;

	KUNIT_EXPECT_TRUE(test, __dma_fence_is_later(2, 1, ops));
	KUNIT_EXPECT_FALSE(test, __dma_fence_is_later(1, 2, ops));
	KUNIT_EXPECT_FALSE(test, __dma_fence_is_later(7, 7, ops));

	/* No wrap at 32 bits... */
	KUNIT_EXPECT_FALSE(test, __dma_fence_is_later(1, 0xffffffff, ops));
	KUNIT_EXPECT_TRUE(test, __dma_fence_is_later(0xffffffff, 1, ops));
	KUNIT_EXPECT_TRUE(test, __dma_fence_is_later(0x100000000ULL,
						     0xffffffff, ops));
	KUNIT_EXPECT_TRUE(test, __dma_fence_is_later(0x100000001ULL, 1, ops));
	/* ...and a plain comparison at 64. */
	KUNIT_EXPECT_TRUE(test, __dma_fence_is_later(U64_MAX, 0, ops));
	KUNIT_EXPECT_FALSE(test, __dma_fence_is_later(0, U64_MAX, ops));
}

static void dma_fence_test_is_later_compares_fences_of_one_context(struct kunit *test)
{
	struct dft_fence *mf = dft_alloc(test, 3);
	u64 context = dma_fence_context_alloc(1);
	struct dma_fence *a = &mf[0].base;
	struct dma_fence *b = &mf[1].base;
	struct dma_fence *c = &mf[2].base;

	dft_init(test, &mf[0], &dft_ops, NULL, context, 0xfffffffe);
	dft_init(test, &mf[1], &dft_ops, NULL, context, 0xffffffff);
	dft_init(test, &mf[2], &dft_ops, NULL, context, 3);

	KUNIT_EXPECT_TRUE(test, dma_fence_is_later(b, a));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_later(a, b));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_later(c, b));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_later(a, a));

	KUNIT_EXPECT_TRUE(test, dma_fence_is_later_or_same(a, a));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_later_or_same(c, a));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_later_or_same(a, c));

	dft_put_array(mf, 3);
}

static void dma_fence_test_later_returns_the_later_pending_fence(struct kunit *test)
{
	struct dft_fence *mf = dft_new_array(test, 2);
	struct dma_fence *early = &mf[0].base;
	struct dma_fence *late = &mf[1].base;

	KUNIT_EXPECT_PTR_EQ(test, dma_fence_later(early, late), late);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_later(late, early), late);

	KUNIT_EXPECT_EQ(test, dma_fence_signal(early), 0);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_later(early, late), late);

	KUNIT_EXPECT_EQ(test, dma_fence_signal(late), 0);
	KUNIT_EXPECT_NULL(test, dma_fence_later(early, late));
	KUNIT_EXPECT_NULL(test, dma_fence_later(late, early));

	dft_put_array(mf, 2);
}

/* Lockdep annotations */

static void dma_fence_test_signalling_sections_nest(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct dft_cb cb = {};
	bool outer, inner, atomic, polled;
	unsigned long flags;
	int ret;

	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(fence, &cb.base,
						     dft_cb_record), 0);

	/* No allocation and no KUnit assertion inside the sections. */
	outer = dma_fence_begin_signalling();
	inner = dma_fence_begin_signalling();
	polled = dma_fence_is_signaled(fence);
	ret = dma_fence_signal(fence);
	dma_fence_end_signalling(inner);
	dma_fence_end_signalling(outer);

	KUNIT_EXPECT_FALSE(test, polled);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.runs), 1);

	/* Sections may also be opened where sleeping is not allowed. */
	local_irq_save(flags);
	atomic = dma_fence_begin_signalling();
	polled = dma_fence_is_signaled(fence);
	dma_fence_end_signalling(atomic);
	local_irq_restore(flags);
	KUNIT_EXPECT_TRUE(test, polled);

	dma_fence_put(fence);
}

/* __dma_fence_might_wait() is not exported: modules skip the case. */
static void dft_might_wait(struct kunit *test)
{
#if IS_ENABLED(CONFIG_LOCKDEP) && !IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
	kunit_skip(test, "__dma_fence_might_wait() is not exported to modules");
#else
	__dma_fence_might_wait();
#endif
}

static void dma_fence_test_might_wait_is_fine_outside_signalling(struct kunit *test)
{
	struct dma_fence *fence;
	bool cookie;

	dft_might_wait(test);
	dft_might_wait(test);

	/* The annotation left nothing behind: a section still opens. */
	fence = dft_new(test);
	cookie = dma_fence_begin_signalling();
	dma_fence_signal(fence);
	dma_fence_end_signalling(cookie);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(fence, false, 0), 1);

	dma_fence_put(fence);
}

/* Races between two CPUs */

#define DFT_RACE_CALLBACKS	2000

struct dft_race_cb {
	struct dft_fence *mf;
	struct dft_cb *cb;
	int *ret;
	atomic_t pos;		/* fence the adder is working on */
	atomic_t signalled;	/* fences the signaller is done with */
	struct completion go;
	struct completion done[2];
};

/* Adds one callback per fence, in lockstep with dft_race_signaller(). */
static int dft_race_adder(void *data)
{
	struct dft_race_cb *r = data;
	int i;

	if (wait_for_completion_interruptible(&r->go))
		return 0;
	for (i = 0; i < DFT_RACE_CALLBACKS && !kthread_should_stop(); i++) {
		/* Lockstep: start on fence i when the signaller does. */
		dft_follow(&r->signalled, i);
		atomic_set_release(&r->pos, i);
		dft_jitter(i);
		r->ret[i] = dma_fence_add_callback(&r->mf[i].base,
						   &r->cb[i].base,
						   dft_cb_record);
	}
	atomic_set_release(&r->pos, DFT_RACE_CALLBACKS);
	complete(&r->done[0]);
	return 0;
}

/* Signals each fence as soon as the adder has reached it. */
static int dft_race_signaller(void *data)
{
	struct dft_race_cb *r = data;
	int i;

	if (wait_for_completion_interruptible(&r->go))
		return 0;
	for (i = 0; i < DFT_RACE_CALLBACKS && !kthread_should_stop(); i++) {
		dft_follow(&r->pos, i);
		dft_jitter(i / 2);
		dma_fence_signal(&r->mf[i].base);
		atomic_set_release(&r->signalled, i + 1);
	}
	complete(&r->done[1]);
	return 0;
}

static void dma_fence_test_race_signal_against_add_callback(struct kunit *test)
{
	unsigned int added = 0, late = 0;
	struct dft_race_cb *r;
	int cpu[2], i;

	dft_two_cpus(test, cpu);

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->cb = kunit_kcalloc(test, DFT_RACE_CALLBACKS, sizeof(*r->cb),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->cb);
	r->ret = kunit_kcalloc(test, DFT_RACE_CALLBACKS, sizeof(*r->ret),
			       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->ret);
	for (i = 0; i < DFT_RACE_CALLBACKS; i++)
		r->ret[i] = 1;
	atomic_set(&r->pos, -1);
	init_completion(&r->go);
	init_completion(&r->done[0]);
	init_completion(&r->done[1]);
	r->mf = dft_new_array(test, DFT_RACE_CALLBACKS);

	dft_spawn(test, dft_race_adder, r, cpu[0]);
	dft_spawn(test, dft_race_signaller, r, cpu[1]);
	complete_all(&r->go);
	dft_await(test, &r->done[0]);
	dft_await(test, &r->done[1]);

	for (i = 0; i < DFT_RACE_CALLBACKS; i++) {
		int runs = atomic_read(&r->cb[i].runs);

		KUNIT_EXPECT_TRUE(test, dft_is_signalled(&r->mf[i].base));
		if (r->ret[i] == 0) {
			added++;
			KUNIT_EXPECT_EQ_MSG(test, runs, 1, "callback %d", i);
		} else {
			late++;
			KUNIT_EXPECT_EQ_MSG(test, r->ret[i], -ENOENT,
					    "callback %d", i);
			KUNIT_EXPECT_EQ_MSG(test, runs, 0, "callback %d", i);
		}
	}
	kunit_info(test, "%u callbacks added in time, %u too late\n",
		   added, late);

	dft_put_array(r->mf, DFT_RACE_CALLBACKS);
}

#define DFT_RACE_WAITS	500

struct dft_race_wait {
	struct dft_fence *mf;
	long ret[DFT_RACE_WAITS];
	atomic_t pos;
	struct completion go;
	struct completion done[2];
};

/* Waits on each fence in turn, publishing which one it is on. */
static int dft_race_waiter(void *data)
{
	struct dft_race_wait *r = data;
	int i;

	if (wait_for_completion_interruptible(&r->go))
		return 0;
	for (i = 0; i < DFT_RACE_WAITS && !kthread_should_stop(); i++) {
		atomic_set_release(&r->pos, i);
		r->ret[i] = dma_fence_wait_timeout(&r->mf[i].base, false,
						   DFT_WAKE_TIMEOUT);
		if (r->ret[i] <= 0)
			break;
	}
	atomic_set_release(&r->pos, DFT_RACE_WAITS);
	complete(&r->done[0]);
	return 0;
}

/* Signals the fence the waiter is on, now and then once it sleeps. */
static int dft_race_wait_signaller(void *data)
{
	struct dft_race_wait *r = data;
	int i;

	if (wait_for_completion_interruptible(&r->go))
		return 0;
	for (i = 0; i < DFT_RACE_WAITS && !kthread_should_stop(); i++) {
		dft_follow(&r->pos, i);
		/* Now and then let the waiter really go to sleep. */
		if (i % 4 == 3)
			usleep_range(100, 200);
		dma_fence_signal(&r->mf[i].base);
	}
	complete(&r->done[1]);
	return 0;
}

static void dma_fence_test_race_wait_against_signal(struct kunit *test)
{
	struct dft_race_wait *r;
	int cpu[2], i;

	dft_two_cpus(test, cpu);

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	atomic_set(&r->pos, -1);
	init_completion(&r->go);
	init_completion(&r->done[0]);
	init_completion(&r->done[1]);
	r->mf = dft_new_array(test, DFT_RACE_WAITS);

	dft_spawn(test, dft_race_waiter, r, cpu[0]);
	dft_spawn(test, dft_race_wait_signaller, r, cpu[1]);
	complete_all(&r->go);
	dft_await(test, &r->done[0]);
	dft_await(test, &r->done[1]);

	for (i = 0; i < DFT_RACE_WAITS; i++) {
		KUNIT_EXPECT_GT_MSG(test, r->ret[i], 0, "wait %d", i);
		if (r->ret[i] <= 0)
			break;
	}

	dft_put_array(r->mf, DFT_RACE_WAITS);
}

#define DFT_ANY_FENCES	64
#define DFT_ANY_ROUNDS	16

struct dft_race_any {
	struct dft_fence *mf;
	struct dma_fence *fences[DFT_ANY_ROUNDS][DFT_ANY_FENCES];
	long ret[DFT_ANY_ROUNDS];
	u32 idx[DFT_ANY_ROUNDS];
	atomic_t round;
	struct completion go;
	struct completion done[2];
};

/* The one fence of round @round that gets signalled. */
static unsigned int dft_any_pick(unsigned int round)
{
	return (round * 37 + 11) % DFT_ANY_FENCES;
}

/* One wait on all fences of a round per round. */
static int dft_race_any_waiter(void *data)
{
	struct dft_race_any *r = data;
	int i;

	if (wait_for_completion_interruptible(&r->go))
		return 0;
	for (i = 0; i < DFT_ANY_ROUNDS && !kthread_should_stop(); i++) {
		atomic_set_release(&r->round, i);
		r->ret[i] = dma_fence_wait_any_timeout(r->fences[i],
						       DFT_ANY_FENCES, false,
						       DFT_WAKE_TIMEOUT,
						       &r->idx[i]);
		if (r->ret[i] <= 0)
			break;
	}
	atomic_set_release(&r->round, DFT_ANY_ROUNDS);
	complete(&r->done[0]);
	return 0;
}

/* Signals a single fence of each round, once the waiter is in it. */
static int dft_race_any_signaller(void *data)
{
	struct dft_race_any *r = data;
	int i;

	if (wait_for_completion_interruptible(&r->go))
		return 0;
	for (i = 0; i < DFT_ANY_ROUNDS && !kthread_should_stop(); i++) {
		dft_follow(&r->round, i);
		if (i % 2)
			usleep_range(200, 400);
		dma_fence_signal(r->fences[i][dft_any_pick(i)]);
	}
	complete(&r->done[1]);
	return 0;
}

static void dma_fence_test_race_wait_any_wakes_for_the_one_signalled(struct kunit *test)
{
	const unsigned int total = DFT_ANY_ROUNDS * DFT_ANY_FENCES;
	struct dft_race_any *r;
	int cpu[2], i, j;

	dft_two_cpus(test, cpu);

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	atomic_set(&r->round, -1);
	init_completion(&r->go);
	init_completion(&r->done[0]);
	init_completion(&r->done[1]);
	r->mf = dft_new_array(test, total);
	for (i = 0; i < DFT_ANY_ROUNDS; i++)
		for (j = 0; j < DFT_ANY_FENCES; j++)
			r->fences[i][j] = &r->mf[i * DFT_ANY_FENCES + j].base;

	dft_spawn(test, dft_race_any_waiter, r, cpu[0]);
	dft_spawn(test, dft_race_any_signaller, r, cpu[1]);
	complete_all(&r->go);
	dft_await(test, &r->done[0]);
	dft_await(test, &r->done[1]);

	for (i = 0; i < DFT_ANY_ROUNDS; i++) {
		KUNIT_EXPECT_GT_MSG(test, r->ret[i], 0, "round %d", i);
		if (r->ret[i] <= 0)
			break;
		KUNIT_EXPECT_EQ_MSG(test, r->idx[i], dft_any_pick(i),
				    "round %d", i);
	}
	/* The waiter removed its callbacks from all the other fences. */
	for (i = 0; i < total; i++)
		KUNIT_EXPECT_TRUE_MSG(test, dft_no_callbacks_left(&r->mf[i].base),
				      "fence %d", i);

	dft_put_array(r->mf, total);
}

#define DFT_RACE_REFS	20000

struct dft_race_refs {
	struct dma_fence *fence;
	struct completion go;
	struct completion done[2];
};

/* Takes and drops references, through dma_fence_get() and _get_rcu(). */
static int dft_race_refs_thread(void *data, int me)
{
	struct dft_race_refs *r = data;
	struct dma_fence *got;
	int i;

	if (wait_for_completion_interruptible(&r->go))
		return 0;
	for (i = 0; i < DFT_RACE_REFS && !kthread_should_stop(); i++) {
		if (i & 1) {
			dma_fence_put(dma_fence_get(r->fence));
			continue;
		}
		rcu_read_lock();
		got = dma_fence_get_rcu(r->fence);
		rcu_read_unlock();
		dma_fence_put(got);
	}
	complete(&r->done[me]);
	return 0;
}

static int dft_race_refs_first(void *data)
{
	return dft_race_refs_thread(data, 0);
}

static int dft_race_refs_second(void *data)
{
	return dft_race_refs_thread(data, 1);
}

static void dma_fence_test_race_get_put_keeps_the_count(struct kunit *test)
{
	struct dft_state *state = dft_state(test);
	struct dft_race_refs *r;
	int cpu[2];

	dft_two_cpus(test, cpu);

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	init_completion(&r->go);
	init_completion(&r->done[0]);
	init_completion(&r->done[1]);
	r->fence = dft_new(test);

	dft_spawn(test, dft_race_refs_first, r, cpu[0]);
	dft_spawn(test, dft_race_refs_second, r, cpu[1]);
	complete_all(&r->go);
	dft_await(test, &r->done[0]);
	dft_await(test, &r->done[1]);

	KUNIT_EXPECT_EQ(test, kref_read(&r->fence->refcount), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->releases), 0);
	dma_fence_put(r->fence);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->releases), 1);
}

#define DFT_RACE_SWAPS	500

struct dft_race_rcu {
	struct dft_fence *mf;
	struct dma_fence __rcu *slot;
	bool swapped;
	atomic_t reads;		/* lookups the reader has done */
	unsigned int seen;
	unsigned int bad;
	struct completion go;
	struct completion reader_up;
	struct completion done[2];
};

/* Keeps replacing the fence in the slot, dropping the old one. */
static int dft_race_rcu_writer(void *data)
{
	struct dft_race_rcu *r = data;
	struct dma_fence *prev;
	int i, reads;

	if (wait_for_completion_interruptible(&r->go) ||
	    wait_for_completion_interruptible(&r->reader_up))
		return 0;
	/* The slot owns one reference to whatever it points at. */
	for (i = 1; i < DFT_RACE_SWAPS && !kthread_should_stop(); i++) {
		reads = atomic_read(&r->reads);
		prev = rcu_replace_pointer(r->slot, &r->mf[i].base, true);
		dma_fence_put(prev);
		/* Let the reader look at least once before the next swap. */
		dft_follow(&r->reads, reads + 2);
	}
	prev = rcu_replace_pointer(r->slot, NULL, true);
	dma_fence_put(prev);
	WRITE_ONCE(r->swapped, true);
	complete(&r->done[0]);
	return 0;
}

/* Looks the slot up and checks it never gets a released fence. */
static int dft_race_rcu_reader(void *data)
{
	struct dft_race_rcu *r = data;
	struct dma_fence *got;

	if (wait_for_completion_interruptible(&r->go))
		return 0;
	complete(&r->reader_up);
	while (!READ_ONCE(r->swapped) && !kthread_should_stop()) {
		rcu_read_lock();
		got = dma_fence_get_rcu_safe(&r->slot);
		rcu_read_unlock();
		atomic_inc(&r->reads);
		if (!got)
			continue;
		r->seen++;
		if (READ_ONCE(to_dft(got)->released) ||
		    !kref_read(&got->refcount))
			r->bad++;
		dma_fence_put(got);
	}
	complete(&r->done[1]);
	return 0;
}

static void dma_fence_test_race_get_rcu_safe_against_replacement(struct kunit *test)
{
	struct dft_state *state = dft_state(test);
	struct dft_race_rcu *r;
	int cpu[2];

	dft_two_cpus(test, cpu);

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	init_completion(&r->go);
	init_completion(&r->reader_up);
	init_completion(&r->done[0]);
	init_completion(&r->done[1]);
	r->mf = dft_new_array(test, DFT_RACE_SWAPS);
	RCU_INIT_POINTER(r->slot, &r->mf[0].base);

	dft_spawn(test, dft_race_rcu_writer, r, cpu[0]);
	dft_spawn(test, dft_race_rcu_reader, r, cpu[1]);
	complete_all(&r->go);
	dft_await(test, &r->done[0]);
	dft_await(test, &r->done[1]);

	kunit_info(test, "%u lookups, %u of them found a fence\n",
		   atomic_read(&r->reads), r->seen);
	KUNIT_EXPECT_GT(test, r->seen, 0);
	KUNIT_EXPECT_EQ_MSG(test, r->bad, 0,
			    "references obtained on released fences");
	KUNIT_EXPECT_EQ(test, atomic_read(&state->releases), DFT_RACE_SWAPS);
}

/*
 * Guarantees of this implementation beyond 6.12.  Upstream's dma-fence
 * fails these cases; they pin down the safety nets this tree adds.
 */

/* A driver calling dma_fence_default_wait() directly cannot sleep unarmed. */
static void dma_fence_test_default_wait_arms_signalling_itself(struct kunit *test)
{
	struct dma_fence *fence = dft_new(test);
	struct dft_fence *refusing = to_dft(dft_new(test));

	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(fence, false, 0), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&dft_state(test)->enables), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
					 &fence->flags));

	/* Arming finds the work done: the wait reports success at once. */
	refusing->refuse_enable = true;
	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(&refusing->base, true, 0),
			1);
	KUNIT_EXPECT_TRUE(test, dft_is_signalled(&refusing->base));

	dma_fence_put(&refusing->base);
	dma_fence_put(fence);
}

/*
 * dma_fence_init() with incomplete ops or a NULL lock warns (THIS CASE
 * WARNS TWICE ON PURPOSE; 6.12 BUGs) and leaves the fence as the driver set
 * it up: pending, with the driver's own ops and lock, so that casts keyed
 * on &dma_fence.ops still hold. Our own reports do not crash on the
 * missing names.
 */
static void dma_fence_test_init_with_bad_arguments_warns_and_keeps_them(struct kunit *test)
{
	static const struct dma_fence_ops nameless = { };
	struct dma_fence *fence = kunit_kzalloc(test, 2 * sizeof(*fence),
						GFP_KERNEL);
	spinlock_t lock;	/* valid, but paired with nameless ops */
	char buf[96];
	struct seq_file seq = { .buf = buf, .size = sizeof(buf) };
	int i;

#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
	DFT_REQUIRES(test, !panic_on_warn);
#endif
	KUNIT_ASSERT_NOT_NULL(test, fence);
	spin_lock_init(&lock);

	kunit_info(test, "two \"dma-fence: init without\" warnings follow\n");
	dma_fence_init(&fence[0], &nameless, &lock, 5, 7);
	dma_fence_init(&fence[1], &dft_ops, NULL, 5, 8);

	KUNIT_EXPECT_PTR_EQ(test, fence[0].ops, &nameless);
	KUNIT_EXPECT_PTR_EQ(test, fence[0].lock, &lock);
	KUNIT_EXPECT_PTR_EQ(test, fence[1].ops, &dft_ops);
	KUNIT_EXPECT_NULL(test, fence[1].lock);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_FALSE(test, dft_is_signalled(&fence[i]));
		KUNIT_EXPECT_EQ(test, fence[i].error, 0);
		KUNIT_EXPECT_EQ(test, kref_read(&fence[i].refcount), 1);
		KUNIT_EXPECT_EQ(test, fence[i].context, 5);
		KUNIT_EXPECT_EQ(test, fence[i].seqno, 7 + i);
	}
	dma_fence_describe(&fence[0], &seq);
	KUNIT_EXPECT_STREQ(test, buf,
			   "(no driver name) (no timeline name) seq 7 unsignalled\n");
	/* Never put: nameless has no release and KUnit owns the memory. */
	KUNIT_EXPECT_EQ(test, atomic_read(&dft_state(test)->releases), 0);
}

static const u32 dft_wait_any_counts[] = { 1, 4, 5, 64 };

static void dft_wait_any_count_desc(const u32 *count, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u fences", *count);
}

KUNIT_ARRAY_PARAM(dft_wait_any_count, dft_wait_any_counts,
		  dft_wait_any_count_desc);

/*
 * Waiters for a few fences live on the stack, more are allocated; both
 * sides of that boundary must queue and unqueue every waiter, whether the
 * wait ends on a signalled fence or on the timeout.
 */
static void dma_fence_test_wait_any_cleans_up_for_any_count(struct kunit *test)
{
	u32 count = *(const u32 *)test->param_value;
	struct dft_fence *mf = dft_new_array(test, count);
	struct dma_fence **fences;
	u32 idx = U32_MAX;
	u32 i;

	fences = kunit_kcalloc(test, count, sizeof(*fences), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fences);
	for (i = 0; i < count; i++)
		fences[i] = &mf[i].base;

	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(fences, count, false,
							 1, &idx), 0);
	KUNIT_EXPECT_EQ(test, idx, U32_MAX);
	for (i = 0; i < count; i++)
		KUNIT_EXPECT_TRUE(test, dft_no_callbacks_left(fences[i]));

	KUNIT_EXPECT_EQ(test, dma_fence_signal(fences[count - 1]), 0);
	KUNIT_EXPECT_GT(test, dma_fence_wait_any_timeout(fences, count, true,
							 HZ, &idx), 0);
	KUNIT_EXPECT_EQ(test, idx, count - 1);
	for (i = 0; i < count; i++)
		KUNIT_EXPECT_TRUE(test, dft_no_callbacks_left(fences[i]));

	dft_put_array(mf, count);
}

static struct kunit_case dma_fence_test_cases[] = {
	KUNIT_CASE(dma_fence_test_context_alloc_returns_disjoint_ranges),
	KUNIT_CASE(dma_fence_test_init_sets_up_a_pending_fence),
	KUNIT_CASE(dma_fence_test_fences_can_share_a_timeline_lock),
	KUNIT_CASE(dma_fence_test_last_put_calls_release_once),
	KUNIT_CASE(dma_fence_test_get_and_put_accept_null),
	KUNIT_CASE(dma_fence_test_default_release_frees_after_rcu_readers),
	KUNIT_CASE(dma_fence_test_release_can_hand_back_to_dma_fence_free),
	KUNIT_CASE(dma_fence_test_get_rcu_refuses_a_released_fence),
	KUNIT_CASE(dma_fence_test_get_rcu_safe_follows_a_replaced_pointer),
	KUNIT_CASE(dma_fence_test_release_with_pending_callbacks_signals_edeadlk),
	KUNIT_CASE_PARAM(dma_fence_test_signal_takes_effect_only_once,
			 dft_signal_gen_params),
	KUNIT_CASE_PARAM(dma_fence_test_signal_records_the_timestamp,
			 dft_signal_gen_params),
	KUNIT_CASE(dma_fence_test_signal_runs_callbacks_in_order),
	KUNIT_CASE(dma_fence_test_removed_callback_does_not_run),
	KUNIT_CASE(dma_fence_test_callback_can_be_reused_after_it_ran),
	KUNIT_CASE(dma_fence_test_add_callback_to_signalled_fence_returns_enoent),
	KUNIT_CASE(dma_fence_test_add_callback_enables_signaling_once),
	KUNIT_CASE(dma_fence_test_refused_enable_signaling_signals_the_fence),
	KUNIT_CASE(dma_fence_test_enable_sw_signaling_calls_the_op_once),
	KUNIT_CASE(dma_fence_test_enable_sw_signaling_skips_signalled_fences),
	KUNIT_CASE(dma_fence_test_optional_ops_may_be_missing),
	KUNIT_CASE(dma_fence_test_is_signaled_polls_the_signaled_op),
	KUNIT_CASE(dma_fence_test_is_signaled_locked_polls_under_the_lock),
	KUNIT_CASE(dma_fence_test_get_status_reports_pending_done_and_error),
	KUNIT_CASE(dma_fence_test_get_status_locked_matches_get_status),
	KUNIT_CASE(dma_fence_test_set_error_reaches_callbacks_and_status),
	KUNIT_CASE(dma_fence_test_signaled_op_may_set_the_error),
	KUNIT_CASE(dma_fence_test_wait_with_zero_timeout_only_polls),
	KUNIT_CASE(dma_fence_test_wait_on_signalled_fence_returns_time_left),
	KUNIT_CASE(dma_fence_test_wait_times_out_on_a_pending_fence),
	KUNIT_CASE_PARAM(dma_fence_test_wait_sleeps_until_a_timer_signals,
			 dft_sleep_gen_params),
	KUNIT_CASE(dma_fence_test_wait_enables_signaling_first),
	KUNIT_CASE(dma_fence_test_wait_goes_through_the_wait_op),
	KUNIT_CASE(dma_fence_test_default_wait_can_be_called_directly),
	KUNIT_CASE_PARAM(dma_fence_test_interruptible_wait_returns_erestartsys,
			 dft_intr_gen_params),
	KUNIT_CASE(dma_fence_test_uninterruptible_wait_ignores_signals),
	KUNIT_CASE(dma_fence_test_zero_timeout_wait_reports_a_pending_signal),
	KUNIT_CASE(dma_fence_test_wait_any_with_zero_timeout_only_polls),
	KUNIT_CASE(dma_fence_test_wait_any_finds_an_already_signalled_fence),
	KUNIT_CASE(dma_fence_test_wait_any_times_out_on_pending_fences),
	KUNIT_CASE(dma_fence_test_wait_any_counts_error_fences_as_signalled),
	KUNIT_CASE(dma_fence_test_set_deadline_reaches_pending_fences_only),
	KUNIT_CASE(dma_fence_test_stub_is_one_shared_signalled_fence),
	KUNIT_CASE(dma_fence_test_private_stub_is_signalled_at_the_given_time),
	KUNIT_CASE(dma_fence_test_describe_prints_names_seqno_and_state),
	KUNIT_CASE(dma_fence_test_is_later_wraps_32bit_seqnos),
	KUNIT_CASE(dma_fence_test_is_later_compares_64bit_seqnos),
	KUNIT_CASE(dma_fence_test_is_later_compares_fences_of_one_context),
	KUNIT_CASE(dma_fence_test_later_returns_the_later_pending_fence),
	KUNIT_CASE(dma_fence_test_signalling_sections_nest),
	KUNIT_CASE(dma_fence_test_might_wait_is_fine_outside_signalling),
	KUNIT_CASE(dma_fence_test_default_wait_arms_signalling_itself),
	KUNIT_CASE(dma_fence_test_init_with_bad_arguments_warns_and_keeps_them),
	KUNIT_CASE_PARAM(dma_fence_test_wait_any_cleans_up_for_any_count,
			 dft_wait_any_count_gen_params),
	KUNIT_CASE(dma_fence_test_race_signal_against_add_callback),
	KUNIT_CASE(dma_fence_test_race_wait_against_signal),
	KUNIT_CASE(dma_fence_test_race_wait_any_wakes_for_the_one_signalled),
	KUNIT_CASE(dma_fence_test_race_get_put_keeps_the_count),
	KUNIT_CASE(dma_fence_test_race_get_rcu_safe_against_replacement),
	{}
};

static struct kunit_suite dma_fence_test_suite = {
	.name = "dma-fence",
	.init = dft_test_init,
	.test_cases = dma_fence_test_cases,
};

kunit_test_suite(dma_fence_test_suite);

MODULE_DESCRIPTION("KUnit tests for the dma_fence core");
MODULE_LICENSE("GPL");
