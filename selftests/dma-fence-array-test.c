// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for dma_fence_array: the fence that stands for a fixed set of
 * component fences and signals when all of them, or any one of them, has
 * signalled.
 *
 * Only the interface of include/linux/dma-fence-array.h and the behaviour its
 * kernel-doc (and that of Linux 6.12) promises are checked, so the suite can
 * be run against any implementation of that interface.
 */

/**
 * DOC: dma-fence-array KUnit suite
 *
 * What is mocked: the components. Most cases use the counted mock fences of
 * selftests/mock-fence.h. A few use a "probe" fence private to this file,
 * which embeds the mock fence and also counts the calls of its
 * enable_signaling and set_deadline ops, to see what the array does to its
 * components and when.
 *
 * What is observed: return values, the fence flags, errors and reference
 * counts of the array and of its components, what callbacks on the array saw
 * when they ran (including whether the lock of the component that completed
 * the array was still held), the probe counters, and the per-case balance of
 * the mock book (every mock fence initialised is released exactly once).
 *
 * Timing: an array may signal from irq_work, i.e. a little after its last
 * component. The cases therefore only wait with dma_fence_wait_timeout() and
 * a bound of a few seconds, and poll reference counts for a bounded time. A
 * broken implementation fails a case instead of hanging the boot.
 *
 * Threads: the race case runs two signalling kthreads bound to two different
 * online CPUs while the test thread creates, enables, polls, waits for and
 * drops arrays of the fences they signal. It is bounded by an iteration count
 * and skipped with fewer than two online CPUs.
 *
 * Fault injection: with CONFIG_FAULT_INJECTION the allocation-failure case
 * walks the failure points of dma_fence_array_create() one at a time through
 * ``current->fail_nth``; it relies on the dma_buf_fail_alloc() hook of this
 * tree (dma-buf-fault.h) and fails against an implementation without it.
 *
 * Race windows: one case needs an interleaving of two component callbacks
 * that is a few instructions wide. In kernels with these suites built in
 * it installs the race-window hook of this tree (dma-buf-fault.h) and
 * signals the second component from inside the first one's window;
 * otherwise it is skipped.
 *
 * Warnings: misuse that the interface answers with a WARN (an empty array, a
 * container as a component) is not exercised.
 *
 * Running: ``./tools/testing/kunit/kunit.py run --arch=x86_64
 * --kunitconfig=drivers/dma-buf --qemu_args='-smp 2' 'dma-fence-array'``
 * from the top of a kernel tree.
 *
 * Callbacks run under fence locks, so they only record what they saw; the
 * test checks it afterwards.
 */

#include <kunit/test.h>

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-fence-chain.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "../dma-buf-fault.h"
#include "mock-fence.h"

/* Bound for a wait on a fence that is expected to signal. */
#define DFA_WAIT		(5 * HZ)

/* A component which also counts what the array asks of it. */
struct dfa_probe {
	struct mock_fence mock;	/* first: the mock release frees the whole */
	atomic_t enables;
	atomic_t deadlines;
	atomic_t polls;		/* calls of its signaled op */
	atomic64_t deadline_ns;
};

static struct dfa_probe *to_probe(struct dma_fence *fence)
{
	return container_of(fence, struct dfa_probe, mock.base);
}

static bool dfa_probe_enable_signaling(struct dma_fence *fence)
{
	atomic_inc(&to_probe(fence)->enables);
	return true;
}

static void dfa_probe_set_deadline(struct dma_fence *fence, ktime_t deadline)
{
	struct dfa_probe *probe = to_probe(fence);

	atomic64_set(&probe->deadline_ns, ktime_to_ns(deadline));
	atomic_inc(&probe->deadlines);
}

/* Never done by itself: only dma_fence_signal() completes a probe. */
static bool dfa_probe_signaled(struct dma_fence *fence)
{
	atomic_inc(&to_probe(fence)->polls);
	return false;
}

static const struct dma_fence_ops dfa_probe_ops = {
	.get_driver_name = mock_fence_name,
	.get_timeline_name = mock_fence_name,
	.enable_signaling = dfa_probe_enable_signaling,
	.signaled = dfa_probe_signaled,
	.set_deadline = dfa_probe_set_deadline,
	.release = mock_fence_release,
};

/* A pending probe on a context of its own, accounted in @book. */
static struct dfa_probe *dfa_probe_new(struct mock_book *book)
{
	struct dfa_probe *probe = kzalloc(sizeof(*probe), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(book->test, probe);
	spin_lock_init(&probe->mock.lock);
	probe->mock.book = book;
	dma_fence_init(&probe->mock.base, &dfa_probe_ops, &probe->mock.lock,
		       dma_fence_context_alloc(1), 1);
	atomic_inc(&book->inits);
	return probe;
}

/* The signalled flag alone: never calls into the fence's ops. */
static bool dfa_flag_signalled(struct dma_fence *fence)
{
	return test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags);
}

static bool dfa_flag_enabled(struct dma_fence *fence)
{
	return test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &fence->flags);
}

/* @n pending mock fences, each on a context of its own, seqno 1. */
static struct dma_fence **dfa_fences(struct kunit *test,
				     struct mock_book *book, unsigned int n)
{
	struct dma_fence **fences;
	u64 context = dma_fence_context_alloc(n);
	unsigned int i;

	fences = kunit_kcalloc(test, n, sizeof(*fences), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fences);
	for (i = 0; i < n; i++)
		fences[i] = mock_fence(book, context + i, 1);
	return fences;
}

static void dfa_put_all(struct dma_fence **fences, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		dma_fence_put(fences[i]);
}

/*
 * An array of @fences[0..@n), with a reference of its own on each: the
 * kmalloc'd pointer array (as dma_fence_array_create() wants it) is built
 * here, so the caller keeps @fences and its references.
 */
static struct dma_fence_array *dfa_create(struct kunit *test,
					  struct dma_fence **fences,
					  unsigned int n, u64 context,
					  unsigned int seqno, bool any)
{
	struct dma_fence_array *arr;
	struct dma_fence **owned;
	unsigned int i;

	owned = kmalloc_array(n, sizeof(*owned), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, owned);
	for (i = 0; i < n; i++)
		owned[i] = dma_fence_get(fences[i]);

	arr = dma_fence_array_create(n, owned, context, seqno, any);
	if (!arr) {
		/* On failure the caller still owns the array and the refs. */
		dfa_put_all(owned, n);
		kfree(owned);
	}
	KUNIT_ASSERT_NOT_NULL(test, arr);
	return arr;
}

static struct dma_fence_array *dfa_new(struct kunit *test,
				       struct dma_fence **fences,
				       unsigned int n, bool any)
{
	return dfa_create(test, fences, n, dma_fence_context_alloc(1), 1, any);
}

/* Expects @fence to signal within a few seconds. */
static void dfa_expect_signals(struct kunit *test, struct dma_fence *fence)
{
	KUNIT_EXPECT_GT_MSG(test, dma_fence_wait_timeout(fence, false, DFA_WAIT),
			    0, "fence did not signal in time");
}

/* Waits a bounded time for the reference count of @fence to drop to @want. */
static unsigned int dfa_await_refs(struct dma_fence *fence, unsigned int want)
{
	unsigned long end = jiffies + DFA_WAIT;

	while (kref_read(&fence->refcount) > want && time_before(jiffies, end))
		usleep_range(500, 1000);
	return kref_read(&fence->refcount);
}

/* Waits a bounded time for @book to have seen @want releases. */
static int dfa_await_releases(struct mock_book *book, int want)
{
	unsigned long end = jiffies + DFA_WAIT;

	while (atomic_read(&book->releases) < want && time_before(jiffies, end))
		usleep_range(500, 1000);
	return atomic_read(&book->releases);
}

/* What a callback on the array saw when it ran. */
struct dfa_cb {
	struct dma_fence_cb base;
	spinlock_t *watch;	/* a lock to check, or NULL */
	atomic_t runs;
	bool watch_held;
	bool saw_signalled;
	int saw_error;
};

static void dfa_cb_record(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct dfa_cb *rec = container_of(cb, struct dfa_cb, base);

	rec->saw_signalled = dfa_flag_signalled(fence);
	rec->saw_error = fence->error;
	/* Trylock, not lock: a nested call must fail the case, not hang. */
	if (rec->watch) {
		if (spin_trylock(rec->watch)) {
			spin_unlock(rec->watch);
			rec->watch_held = false;
		} else {
			rec->watch_held = true;
		}
	}
	atomic_inc(&rec->runs);
}

/* Waits a bounded time for a callback to have run. */
static int dfa_await_cb(struct dfa_cb *rec)
{
	unsigned long end = jiffies + DFA_WAIT;

	while (!atomic_read(&rec->runs) && time_before(jiffies, end))
		usleep_range(500, 1000);
	return atomic_read(&rec->runs);
}

/* Signal-on-all and signal-on-any, for the cases that do not care. */
static const bool dfa_modes[] = { false, true };

static void dfa_mode_desc(const bool *any, char *desc)
{
	strscpy(desc, *any ? "signal-on-any" : "signal-on-all",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dfa_mode, dfa_modes, dfa_mode_desc);

/* Construction */

static void array_create_takes_the_fences_context_and_seqno(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(1);
	struct dma_fence_array *arr;
	struct dma_fence **fences, **owned;
	unsigned int i;

	fences = dfa_fences(test, book, 3);
	owned = kmalloc_array(3, sizeof(*owned), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, owned);
	for (i = 0; i < 3; i++)
		owned[i] = dma_fence_get(fences[i]);

	arr = dma_fence_array_create(3, owned, context, 77, false);
	if (!arr) {
		dfa_put_all(owned, 3);
		kfree(owned);
	}
	KUNIT_ASSERT_NOT_NULL(test, arr);

	/* The array is a fence of the given timeline, not yet signalled. */
	KUNIT_EXPECT_EQ(test, arr->base.context, context);
	KUNIT_EXPECT_EQ(test, arr->base.seqno, 77);
	KUNIT_EXPECT_EQ(test, kref_read(&arr->base.refcount), 1);
	KUNIT_EXPECT_FALSE(test, dfa_flag_signalled(&arr->base));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), 0);

	/* It adopted the pointer array and the references in it. */
	KUNIT_EXPECT_EQ(test, arr->num_fences, 3);
	KUNIT_EXPECT_PTR_EQ(test, arr->fences, owned);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_PTR_EQ(test, arr->fences[i], fences[i]);
		KUNIT_EXPECT_EQ(test, kref_read(&fences[i]->refcount), 2);
	}

	/* It is recognised as an array, and as a container. */
	KUNIT_EXPECT_TRUE(test, dma_fence_is_array(&arr->base));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_container(&arr->base));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_chain(&arr->base));
	KUNIT_EXPECT_PTR_EQ(test, to_dma_fence_array(&arr->base), arr);

	dma_fence_put(&arr->base);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, kref_read(&fences[i]->refcount), 1);
	dfa_put_all(fences, 3);
}

static void array_alloc_and_init_build_a_working_array(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(1);
	struct dma_fence_array *arr;
	struct dma_fence **fences, **owned;
	unsigned int i;

	fences = dfa_fences(test, book, 4);
	arr = dma_fence_array_alloc(4);
	KUNIT_ASSERT_NOT_NULL(test, arr);
	owned = kmalloc_array(4, sizeof(*owned), GFP_KERNEL);
	if (!owned)
		kfree(arr);
	KUNIT_ASSERT_NOT_NULL(test, owned);
	for (i = 0; i < 4; i++)
		owned[i] = dma_fence_get(fences[i]);

	dma_fence_array_init(arr, 4, owned, context, 5, false);
	KUNIT_EXPECT_EQ(test, arr->base.context, context);
	KUNIT_EXPECT_EQ(test, arr->base.seqno, 5);
	KUNIT_EXPECT_EQ(test, arr->num_fences, 4);
	KUNIT_EXPECT_PTR_EQ(test, arr->fences, owned);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_array(&arr->base));

	dma_fence_enable_sw_signaling(&arr->base);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_FALSE(test, dfa_flag_signalled(&arr->base));
		dma_fence_signal(fences[i]);
	}
	dfa_expect_signals(test, &arr->base);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), 1);

	dma_fence_put(&arr->base);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, dfa_await_refs(fences[i], 1), 1);
	dfa_put_all(fences, 4);
}

/* Makes the caller atomic, as a signalling or reclaim path would be. */
static DEFINE_SPINLOCK(dfa_atomic_section);

static void array_init_does_not_allocate(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences, **owned;
	unsigned int i;
	bool cookie;

	fences = dfa_fences(test, book, 2);
	arr = dma_fence_array_alloc(2);
	KUNIT_ASSERT_NOT_NULL(test, arr);
	owned = kmalloc_array(2, sizeof(*owned), GFP_KERNEL);
	if (!owned)
		kfree(arr);
	KUNIT_ASSERT_NOT_NULL(test, owned);
	for (i = 0; i < 2; i++)
		owned[i] = dma_fence_get(fences[i]);

	/*
	 * init is meant for signalling and reclaim paths: under a spinlock and
	 * inside a signalling section an allocation would be reported by
	 * might_sleep()/lockdep in the log, and with fault injection a
	 * consulted allocation hook would consume the armed fail_nth.
	 */
#ifdef CONFIG_FAULT_INJECTION
	current->fail_nth = 1;
#endif
	spin_lock(&dfa_atomic_section);
	cookie = dma_fence_begin_signalling();
	dma_fence_array_init(arr, 2, owned, dma_fence_context_alloc(1), 1,
			     true);
	dma_fence_end_signalling(cookie);
	spin_unlock(&dfa_atomic_section);
#ifdef CONFIG_FAULT_INJECTION
	KUNIT_EXPECT_EQ_MSG(test, current->fail_nth, 1,
			    "dma_fence_array_init() asked for an allocation");
	current->fail_nth = 0;
#endif

	dma_fence_signal(fences[1]);
	dfa_expect_signals(test, &arr->base);
	/* Its callback on the other component holds the array too. */
	dma_fence_signal(fences[0]);
	dma_fence_put(&arr->base);
	dfa_put_all(fences, 2);
}

/* Lazy signalling */

static void array_leaves_components_alone_until_signalling_is_enabled(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence *fences[3];
	struct dfa_probe *probe[3];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		probe[i] = dfa_probe_new(book);
		fences[i] = &probe[i]->mock.base;
	}
	arr = dfa_new(test, fences, 3, false);

	/* Creating, inspecting and signalling one component installs nothing. */
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&arr->base));
	dma_fence_signal(fences[0]);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&probe[i]->enables), 0);
		KUNIT_EXPECT_FALSE(test, dfa_flag_enabled(fences[i]));
	}
	KUNIT_EXPECT_FALSE(test, dfa_flag_enabled(&arr->base));

	dma_fence_enable_sw_signaling(&arr->base);

	/* Only the components still pending needed a callback. */
	KUNIT_EXPECT_EQ(test, atomic_read(&probe[0]->enables), 0);
	for (i = 1; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&probe[i]->enables), 1);
		KUNIT_EXPECT_TRUE(test, dfa_flag_enabled(fences[i]));
	}
	KUNIT_EXPECT_FALSE(test, dfa_flag_signalled(&arr->base));

	dma_fence_signal(fences[2]);
	dma_fence_signal(fences[1]);
	dfa_expect_signals(test, &arr->base);

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 3);
}

static void array_add_callback_enables_the_components(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence *fences[2];
	struct dfa_probe *probe[2];
	struct dfa_cb rec = {};
	unsigned int i;

	for (i = 0; i < 2; i++) {
		probe[i] = dfa_probe_new(book);
		fences[i] = &probe[i]->mock.base;
	}
	arr = dfa_new(test, fences, 2, false);

	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(&arr->base, &rec.base,
						     dfa_cb_record), 0);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, atomic_read(&probe[i]->enables), 1);

	dma_fence_signal(fences[1]);
	dma_fence_signal(fences[0]);
	KUNIT_EXPECT_EQ(test, dfa_await_cb(&rec), 1);
	KUNIT_EXPECT_TRUE(test, rec.saw_signalled);
	KUNIT_EXPECT_EQ(test, rec.saw_error, 0);

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 2);
}

static void array_wait_enables_the_components(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dfa_probe *probe;
	struct dma_fence *fence;

	probe = dfa_probe_new(book);
	fence = &probe->mock.base;
	arr = dfa_new(test, &fence, 1, false);

	/* A wait that times out still had to arm the components. */
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(&arr->base, false, 1), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&probe->enables), 1);
	KUNIT_EXPECT_TRUE(test, dfa_flag_enabled(&arr->base));

	dma_fence_signal(fence);
	dfa_expect_signals(test, &arr->base);
	dma_fence_put(&arr->base);
	dma_fence_put(fence);
}

/* Signalling */

static void array_signal_on_all_waits_for_every_component(struct kunit *test)
{
	static const unsigned int order[] = { 3, 0, 4, 2, 1 };
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences;
	struct dfa_cb rec = {};
	unsigned int i;

	fences = dfa_fences(test, book, 5);
	arr = dfa_new(test, fences, 5, false);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(&arr->base, &rec.base,
						     dfa_cb_record), 0);

	for (i = 0; i < 4; i++) {
		dma_fence_signal(fences[order[i]]);
		KUNIT_EXPECT_FALSE_MSG(test, dma_fence_is_signaled(&arr->base),
				       "after %u of 5 components", i + 1);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&rec.runs), 0);

	dma_fence_signal(fences[order[4]]);
	dfa_expect_signals(test, &arr->base);
	KUNIT_EXPECT_EQ(test, dfa_await_cb(&rec), 1);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), 1);

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 5);
}

static void array_signal_on_any_completes_on_first_component(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences;
	struct dfa_cb rec = {};

	fences = dfa_fences(test, book, 3);
	arr = dfa_new(test, fences, 3, true);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(&arr->base, &rec.base,
						     dfa_cb_record), 0);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&arr->base));

	dma_fence_signal(fences[1]);
	dfa_expect_signals(test, &arr->base);
	KUNIT_EXPECT_EQ(test, dfa_await_cb(&rec), 1);
	KUNIT_EXPECT_FALSE(test, dfa_flag_signalled(fences[0]));
	KUNIT_EXPECT_FALSE(test, dfa_flag_signalled(fences[2]));

	/* The others signalling later changes nothing and runs nothing. */
	dma_fence_signal(fences[0]);
	dma_fence_signal(fences[2]);
	KUNIT_EXPECT_EQ(test, atomic_read(&rec.runs), 1);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), 1);

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 3);
}

static void array_signals_outside_the_component_lock(struct kunit *test)
{
	const bool *any = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences;
	struct dfa_cb rec = {};

	/*
	 * The array's own callbacks must not run nested in the signalling of
	 * the component, whose lock is then held: they might take locks of
	 * their own or touch that component.
	 */
	fences = dfa_fences(test, book, 2);
	arr = dfa_new(test, fences, 2, *any);
	rec.watch = fences[1]->lock;
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(&arr->base, &rec.base,
						     dfa_cb_record), 0);
	if (!*any)
		dma_fence_signal(fences[0]);
	dma_fence_signal(fences[1]);

	dfa_expect_signals(test, &arr->base);
	KUNIT_ASSERT_EQ(test, dfa_await_cb(&rec), 1);
	KUNIT_EXPECT_FALSE_MSG(test, rec.watch_held,
			       "array signalled under its component's lock");

	dma_fence_signal(fences[0]);
	dma_fence_put(&arr->base);
	dfa_put_all(fences, 2);
}

static void array_is_signaled_polls_the_components(struct kunit *test)
{
	const bool *any = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence *fences[3];
	struct dfa_probe *probe[3];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		probe[i] = dfa_probe_new(book);
		fences[i] = &probe[i]->mock.base;
	}
	arr = dfa_new(test, fences, 3, *any);

	/* Without enabling signalling, polling alone must find completion. */
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&arr->base));
	dma_fence_signal(fences[2]);
	KUNIT_EXPECT_EQ(test, dma_fence_is_signaled(&arr->base), *any);
	dma_fence_signal(fences[0]);
	KUNIT_EXPECT_EQ(test, dma_fence_is_signaled(&arr->base), *any);
	dma_fence_signal(fences[1]);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&arr->base));

	/* Polling signalled the array itself, with no error. */
	KUNIT_EXPECT_TRUE(test, dfa_flag_signalled(&arr->base));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), 1);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&probe[i]->enables), 0);
		KUNIT_EXPECT_FALSE(test, dfa_flag_enabled(fences[i]));
	}

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 3);
}

/*
 * Once signalling is enabled the callbacks keep the count, so polling an
 * armed array must not call into its components: 6.12 answers from the
 * count in O(1), and the scheduler and sync_file poll ask often.
 */
static void array_armed_is_signaled_does_not_poll_the_components(struct kunit *test)
{
	const bool *any = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence *fences[4];
	struct dfa_probe *probe[4];
	unsigned int i, polls = 0;

	for (i = 0; i < 4; i++) {
		probe[i] = dfa_probe_new(book);
		fences[i] = &probe[i]->mock.base;
	}
	arr = dfa_new(test, fences, 4, *any);
	dma_fence_enable_sw_signaling(&arr->base);
	for (i = 0; i < 4; i++)
		atomic_set(&probe[i]->polls, 0);

	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&arr->base));
	dma_fence_signal(fences[1]);
	KUNIT_EXPECT_EQ(test, dma_fence_is_signaled(&arr->base), *any);
	for (i = 0; i < 4; i++)
		dma_fence_signal(fences[i]);
	dfa_expect_signals(test, &arr->base);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&arr->base));

	for (i = 0; i < 4; i++)
		polls += atomic_read(&probe[i]->polls);
	KUNIT_EXPECT_EQ_MSG(test, polls, 0,
			    "an armed array polled its components");

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 4);
}

static void array_of_signalled_components_completes_on_enable(struct kunit *test)
{
	const bool *any = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences;
	unsigned int i;

	fences = dfa_fences(test, book, 3);
	for (i = 0; i < 3; i++)
		dma_fence_signal(fences[i]);
	arr = dfa_new(test, fences, 3, *any);

	/* No component will ever call back, enabling must finish the job. */
	dma_fence_enable_sw_signaling(&arr->base);
	dfa_expect_signals(test, &arr->base);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), 1);

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 3);
}

/* Errors */

static void array_signal_on_all_reports_the_first_component_error(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences;
	struct dfa_cb rec = {};

	fences = dfa_fences(test, book, 4);
	arr = dfa_new(test, fences, 4, false);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(&arr->base, &rec.base,
						     dfa_cb_record), 0);

	dma_fence_signal(fences[2]);
	mock_signal_error(fences[0], -EIO);
	mock_signal_error(fences[3], -EINVAL);
	KUNIT_EXPECT_FALSE(test, dfa_flag_signalled(&arr->base));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), 0);
	dma_fence_signal(fences[1]);

	dfa_expect_signals(test, &arr->base);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), -EIO);
	KUNIT_EXPECT_EQ(test, dfa_await_cb(&rec), 1);
	KUNIT_EXPECT_EQ(test, rec.saw_error, -EIO);

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 4);
}

/*
 * Ours, beyond 6.12 (where polling yields error 0): an array found complete
 * by polling, with signalling never enabled, still reports a component's
 * error, that of the first failed component in array order.
 */
static void array_polled_to_completion_reports_a_component_error(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences;

	fences = dfa_fences(test, book, 3);
	arr = dfa_new(test, fences, 3, false);

	mock_signal_error(fences[2], -EIO);
	mock_signal_error(fences[1], -ENOMEM);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&arr->base));
	dma_fence_signal(fences[0]);

	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&arr->base));
	KUNIT_EXPECT_FALSE(test, dfa_flag_enabled(&arr->base));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), -ENOMEM);

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 3);
}

static void array_signal_on_all_reports_an_error_seen_on_enable(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences;

	/* The failed component had signalled before anyone was listening. */
	fences = dfa_fences(test, book, 3);
	mock_signal_error(fences[1], -ETIMEDOUT);
	arr = dfa_new(test, fences, 3, false);
	dma_fence_enable_sw_signaling(&arr->base);

	dma_fence_signal(fences[0]);
	dma_fence_signal(fences[2]);
	dfa_expect_signals(test, &arr->base);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), -ETIMEDOUT);

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 3);
}

static void array_signal_on_any_reports_the_completing_component_error(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences;

	fences = dfa_fences(test, book, 3);
	arr = dfa_new(test, fences, 3, true);
	dma_fence_enable_sw_signaling(&arr->base);

	mock_signal_error(fences[2], -ENODEV);
	dfa_expect_signals(test, &arr->base);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), -ENODEV);

	/* Later components are too late to change the outcome. */
	mock_signal_error(fences[0], -EIO);
	dma_fence_signal(fences[1]);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), -ENODEV);

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 3);
}

static void array_signal_on_any_ignores_errors_after_completion(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences;

	fences = dfa_fences(test, book, 2);
	arr = dfa_new(test, fences, 2, true);
	dma_fence_enable_sw_signaling(&arr->base);

	dma_fence_signal(fences[0]);
	dfa_expect_signals(test, &arr->base);
	mock_signal_error(fences[1], -EIO);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), 1);
	KUNIT_EXPECT_EQ(test, arr->base.error, 0);

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 2);
}

/* References */

static void array_holds_its_components_until_released(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences;
	unsigned int i;

	fences = dfa_fences(test, book, 3);
	arr = dfa_new(test, fences, 3, false);

	/* With our references gone, the array's keep the components alive. */
	dfa_put_all(fences, 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 0);

	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, kref_read(&arr->fences[i]->refcount), 1);
		dma_fence_signal(arr->fences[i]);
	}
	dfa_expect_signals(test, &arr->base);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 0);

	dma_fence_put(&arr->base);
	KUNIT_EXPECT_EQ(test, dfa_await_releases(book, 3), 3);
}

static void array_dropped_while_enabled_lives_until_components_signal(struct kunit *test)
{
	const bool *any = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences;
	unsigned int i;

	fences = dfa_fences(test, book, 3);
	arr = dfa_new(test, fences, 3, *any);
	dma_fence_enable_sw_signaling(&arr->base);

	/* The installed callbacks must keep the array alive on their own. */
	dma_fence_put(&arr->base);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, kref_read(&fences[i]->refcount), 2);

	for (i = 0; i < 3; i++)
		dma_fence_signal(fences[i]);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, dfa_await_refs(fences[i], 1), 1);
	dfa_put_all(fences, 3);
}

#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
/* What the race window of the overtaking case saw; see below. */
struct dfa_overtake {
	struct dma_fence_array *target;
	struct dma_fence *last;	/* signalled from inside the window */
	atomic_t opened;
	unsigned int refs_after;
};

static struct dfa_overtake *dfa_overtake_now;

/*
 * Runs in the first component callback of the target array, right after
 * its count: the other component signals there, as a second CPU could.
 */
static void dfa_overtake_hook(const char *site, void *object)
{
	struct dfa_overtake *o = READ_ONCE(dfa_overtake_now);

	if (!o || object != o->target || strcmp(site, "array-counted") ||
	    atomic_inc_return(&o->opened) != 1)
		return;
	dma_fence_signal(o->last);
	o->refs_after = kref_read(&o->target->base.refcount);
}

static void dfa_overtake_unhook(void *unused)
{
	WRITE_ONCE(dma_buf_race_hook, NULL);
	WRITE_ONCE(dfa_overtake_now, NULL);
}

/*
 * A mock fence whose lock is of a lock class of its own (spin_lock_init()
 * keys the class by call site), so it can be signalled under the lock of
 * a mock_fence() without lockdep taking it for recursion.
 */
static struct dma_fence *dfa_other_class_fence(struct mock_book *book)
{
	struct mock_fence *mf = kzalloc(sizeof(*mf), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(book->test, mf);
	spin_lock_init(&mf->lock);
	mf->book = book;
	dma_fence_init(&mf->base, &mock_fence_ops32, &mf->lock,
		       dma_fence_context_alloc(1), 1);
	atomic_inc(&book->inits);
	return &mf->base;
}
#endif

/*
 * signal_on_any with the caller's reference gone: the callback that
 * completes the array can be overtaken, between its count and its next
 * step, by the callback of the last component, which drops the callbacks'
 * shared reference. The array must stay alive for its work all the same.
 * The interleaving, a few instructions wide on two CPUs, is driven by hand
 * through the race window the array opens in kernels with built-in tests.
 */
static void array_any_completing_callback_overtaken_by_the_last(struct kunit *test)
{
#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
	struct mock_book *book = mock_book_get(test);
	struct dfa_overtake *o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);
	struct dma_fence *fences[2];
	struct dma_fence_array *arr;

	KUNIT_ASSERT_NOT_NULL(test, o);
	fences[0] = mock_fence(book, dma_fence_context_alloc(1), 1);
	fences[1] = dfa_other_class_fence(book);
	arr = dfa_new(test, fences, 2, true);
	dma_fence_enable_sw_signaling(&arr->base);

	o->target = arr;
	o->last = fences[1];
	WRITE_ONCE(dfa_overtake_now, o);
	WRITE_ONCE(dma_buf_race_hook, dfa_overtake_hook);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							dfa_overtake_unhook,
							NULL), 0);

	dma_fence_put(&arr->base);	/* callbacks and work only, now */
	dma_fence_signal(fences[0]);
	dfa_overtake_unhook(NULL);

	KUNIT_ASSERT_GE_MSG(test, atomic_read(&o->opened), 1,
			    "the array opened no race window");
	KUNIT_EXPECT_GE_MSG(test, o->refs_after, 1,
			    "array released while its completing callback ran");
	/* The work signals and releases it; the array's refs go with it. */
	KUNIT_EXPECT_EQ(test, dfa_await_refs(fences[0], 1), 1);
	KUNIT_EXPECT_EQ(test, dfa_await_refs(fences[1], 1), 1);
	dfa_put_all(fences, 2);
#else
	kunit_skip(test, "needs the race window of built-in tests");
#endif
}

static void array_holds_two_references_on_a_duplicate_component(struct kunit *test)
{
	const bool *any = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence *fences[3];
	struct dma_fence *other;
	struct dfa_cb rec = {};

	fences[0] = mock_fence(book, dma_fence_context_alloc(1), 1);
	fences[1] = fences[0];
	other = mock_fence(book, dma_fence_context_alloc(1), 1);
	fences[2] = other;
	arr = dfa_new(test, fences, 3, *any);
	KUNIT_EXPECT_EQ(test, kref_read(&fences[0]->refcount), 3);

	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(&arr->base, &rec.base,
						     dfa_cb_record), 0);
	dma_fence_signal(fences[0]);
	if (*any) {
		dfa_expect_signals(test, &arr->base);
	} else {
		/* Both slots were satisfied, the other component was not. */
		KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&arr->base));
		dma_fence_signal(other);
		dfa_expect_signals(test, &arr->base);
	}
	KUNIT_EXPECT_EQ(test, dfa_await_cb(&rec), 1);

	/* A callback still waiting on @other would keep the array alive. */
	dma_fence_signal(other);
	dma_fence_put(&arr->base);
	KUNIT_EXPECT_EQ(test, dfa_await_refs(fences[0], 1), 1);
	dma_fence_put(fences[0]);
	dma_fence_put(other);
}

/* Sizes and sequence numbers */

static void array_of_one_component_follows_it(struct kunit *test)
{
	const bool *any = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence *fence;

	fence = mock_fence(book, dma_fence_context_alloc(1), 1);
	arr = dfa_new(test, &fence, 1, *any);
	dma_fence_enable_sw_signaling(&arr->base);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&arr->base));

	mock_signal_error(fence, -EPIPE);
	dfa_expect_signals(test, &arr->base);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&arr->base), -EPIPE);

	dma_fence_put(&arr->base);
	dma_fence_put(fence);
}

#define DFA_MANY	4096

static void array_of_4096_components_signalled_out_of_order(struct kunit *test)
{
	const bool *any = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences;
	unsigned int *order;
	struct rnd_state rnd;
	unsigned int i, j, early = 0;

	fences = dfa_fences(test, book, DFA_MANY);
	order = kunit_kcalloc(test, DFA_MANY, sizeof(*order), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, order);
	prandom_seed_state(&rnd, 4096);
	for (i = 0; i < DFA_MANY; i++)
		order[i] = i;
	for (i = DFA_MANY - 1; i > 0; i--) {
		j = prandom_u32_state(&rnd) % (i + 1);
		swap(order[i], order[j]);
	}

	arr = dfa_new(test, fences, DFA_MANY, *any);
	KUNIT_EXPECT_EQ(test, arr->num_fences, DFA_MANY);
	dma_fence_enable_sw_signaling(&arr->base);

	for (i = 0; i < DFA_MANY; i++) {
		dma_fence_signal(fences[order[i]]);
		if (i == 0 && *any)
			dfa_expect_signals(test, &arr->base);
		else if (i < DFA_MANY - 1 && !*any &&
			 dfa_flag_signalled(&arr->base))
			early++;
	}
	KUNIT_EXPECT_EQ_MSG(test, early, 0,
			    "signal-on-all array signalled before its last component");
	dfa_expect_signals(test, &arr->base);

	dma_fence_put(&arr->base);
	dfa_put_all(fences, DFA_MANY);
}

static void array_keeps_its_seqno_as_a_32bit_one(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(1);
	struct dma_fence_array *last, *wrapped;
	struct dma_fence *fence;

	/* A component's 64-bit seqno has nothing to do with the array's. */
	fence = mock_fence64(book, dma_fence_context_alloc(1), 1ull << 40);
	last = dfa_create(test, &fence, 1, context, U32_MAX, false);
	wrapped = dfa_create(test, &fence, 1, context, 1, false);

	KUNIT_EXPECT_EQ(test, last->base.seqno, U32_MAX);
	KUNIT_EXPECT_EQ(test, wrapped->base.seqno, 1);
	/* 1 comes after U32_MAX on a 32-bit timeline. */
	KUNIT_EXPECT_TRUE(test, dma_fence_is_later(&wrapped->base, &last->base));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_later(&last->base, &wrapped->base));

	dma_fence_put(&wrapped->base);
	dma_fence_put(&last->base);
	dma_fence_put(fence);
}

/* Deadlines */

static void array_passes_a_deadline_to_every_component(struct kunit *test)
{
	const bool *any = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	ktime_t deadline = ktime_add_ms(ktime_get(), 20);
	struct dma_fence *fences[4];
	struct dfa_probe *probe[3];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		probe[i] = dfa_probe_new(book);
		fences[i] = &probe[i]->mock.base;
	}
	/* A component without a set_deadline op must be tolerated. */
	fences[3] = mock_fence(book, dma_fence_context_alloc(1), 1);
	arr = dfa_new(test, fences, 4, *any);

	dma_fence_set_deadline(&arr->base, deadline);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&probe[i]->deadlines), 1);
		KUNIT_EXPECT_EQ(test, atomic64_read(&probe[i]->deadline_ns),
				ktime_to_ns(deadline));
	}

	for (i = 0; i < 4; i++)
		dma_fence_signal(fences[i]);
	dma_fence_put(&arr->base);
	dfa_put_all(fences, 4);
}

/* Iteration and inspection */

static void array_iteration_visits_the_components_in_order(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_array *arr;
	struct dma_fence **fences, *fence;
	unsigned int index, visits = 0;

	fences = dfa_fences(test, book, 5);
	arr = dfa_new(test, fences, 5, false);

	dma_fence_array_for_each(fence, index, &arr->base) {
		KUNIT_EXPECT_LT(test, index, 5);
		if (index < 5)
			KUNIT_EXPECT_PTR_EQ(test, fence, fences[index]);
		visits++;
	}
	KUNIT_EXPECT_EQ(test, visits, 5);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_array_first(&arr->base),
			    fences[0]);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_array_next(&arr->base, 4),
			    fences[4]);
	KUNIT_EXPECT_NULL(test, dma_fence_array_next(&arr->base, 5));
	KUNIT_EXPECT_NULL(test, dma_fence_array_next(&arr->base, UINT_MAX));

	/* Iterating takes no references. */
	KUNIT_EXPECT_EQ(test, kref_read(&arr->base.refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&fences[0]->refcount), 2);

	dma_fence_put(&arr->base);
	dfa_put_all(fences, 5);
}

static void array_iteration_yields_a_plain_fence_once(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *plain, *fence;
	unsigned int index, visits = 0;

	plain = mock_fence(book, dma_fence_context_alloc(1), 1);
	dma_fence_array_for_each(fence, index, plain) {
		KUNIT_EXPECT_PTR_EQ(test, fence, plain);
		KUNIT_EXPECT_EQ(test, index, 0);
		visits++;
	}
	KUNIT_EXPECT_EQ(test, visits, 1);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_array_first(plain), plain);
	KUNIT_EXPECT_NULL(test, dma_fence_array_next(plain, 1));
	KUNIT_EXPECT_EQ(test, kref_read(&plain->refcount), 1);

	/* And NULL yields nothing at all. */
	visits = 0;
	dma_fence_array_for_each(fence, index, NULL)
		visits++;
	KUNIT_EXPECT_EQ(test, visits, 0);
	KUNIT_EXPECT_NULL(test, dma_fence_array_first(NULL));
	KUNIT_EXPECT_NULL(test, dma_fence_array_next(NULL, 0));

	dma_fence_put(plain);
}

static void array_match_context_checks_every_component(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(2);
	struct dma_fence_array *same, *mixed;
	struct dma_fence *fences[3];
	unsigned int i;

	for (i = 0; i < 3; i++)
		fences[i] = mock_fence(book, context, i + 1);
	same = dfa_new(test, fences, 3, false);
	dma_fence_put(fences[1]);
	fences[1] = mock_fence(book, context + 1, 1);
	mixed = dfa_new(test, fences, 3, false);

	/* Arrays answer for their components, not for their own context. */
	KUNIT_EXPECT_TRUE(test, dma_fence_match_context(&same->base, context));
	KUNIT_EXPECT_FALSE(test, dma_fence_match_context(&same->base,
							 context + 1));
	KUNIT_EXPECT_FALSE(test, dma_fence_match_context(&same->base,
							 same->base.context));
	KUNIT_EXPECT_FALSE(test, dma_fence_match_context(&mixed->base, context));
	KUNIT_EXPECT_FALSE(test, dma_fence_match_context(&mixed->base,
							 context + 1));

	/* A plain fence answers for itself. */
	KUNIT_EXPECT_TRUE(test, dma_fence_match_context(fences[0], context));
	KUNIT_EXPECT_FALSE(test, dma_fence_match_context(fences[0],
							 context + 1));

	dma_fence_put(&mixed->base);
	dma_fence_put(&same->base);
	dfa_put_all(fences, 3);
}

static void array_casts_refuse_other_fences(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_chain *chain;
	struct dma_fence *plain;

	plain = mock_fence(book, dma_fence_context_alloc(1), 1);
	chain = dma_fence_chain_alloc();
	KUNIT_ASSERT_NOT_NULL(test, chain);
	dma_fence_chain_init(chain, NULL, dma_fence_get(plain), 1);

	KUNIT_EXPECT_NULL(test, to_dma_fence_array(NULL));
	KUNIT_EXPECT_NULL(test, to_dma_fence_array(plain));
	KUNIT_EXPECT_NULL(test, to_dma_fence_array(&chain->base));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_array(plain));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_container(plain));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_array(&chain->base));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_container(&chain->base));

	dma_fence_put(&chain->base);
	dma_fence_put(plain);
}

/* Races between two CPUs */

/* How the test thread treats the array of one round. */
enum dfa_race_style {
	DFA_ENABLE_FIRST,	/* enable before the signallers start */
	DFA_ENABLE_DURING,	/* enable while they signal */
	DFA_POLL,		/* poll dma_fence_is_signaled(), then wait */
	DFA_WAIT_ONLY,		/* let the wait enable signalling */
	DFA_DROP,		/* enable and drop it at once */
	DFA_STYLES
};

static void array_races_components_signalled_from_two_cpus(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	unsigned int late = 0, unsignalled = 0;
	struct dma_fence_array *arr;
	struct mock_race *r;
	int cpu[2], round, i, spin;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	cpu[0] = cpumask_first(cpu_online_mask);
	cpu[1] = cpumask_next(cpu[0], cpu_online_mask);

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	init_waitqueue_head(&r->wq);
	mock_race_spawn(test, mock_race_even, r, cpu[0]);
	mock_race_spawn(test, mock_race_odd, r, cpu[1]);

	for (round = 1; round <= MOCK_RACE_ROUNDS; round++) {
		enum dfa_race_style style = round % DFA_STYLES;
		bool any = round % 3 == 0;
		u64 context = dma_fence_context_alloc(MOCK_RACE_WIDTH);
		struct dma_fence *held = NULL;

		for (i = 0; i < MOCK_RACE_WIDTH; i++)
			r->fences[i] = mock_fence(book, context + i, round);
		arr = dfa_new(test, r->fences, MOCK_RACE_WIDTH, any);

		if (style == DFA_ENABLE_FIRST || style == DFA_DROP)
			dma_fence_enable_sw_signaling(&arr->base);
		if (style != DFA_DROP)
			held = &arr->base;
		else
			dma_fence_put(&arr->base);

		atomic_set_release(&r->round, round);
		wake_up_all(&r->wq);

		if (style == DFA_ENABLE_DURING)
			dma_fence_enable_sw_signaling(held);
		if (style == DFA_POLL) {
			for (spin = 0; spin < 2000; spin++)
				if (dma_fence_is_signaled(held))
					break;
		}
		if (held && dma_fence_wait_timeout(held, false, DFA_WAIT) <= 0)
			late++;

		if (!mock_race_finish_round(test, r, round))
			return;
		if (held && !dfa_flag_signalled(held))
			unsignalled++;
		dma_fence_put(held);
		dfa_put_all(r->fences, MOCK_RACE_WIDTH);
	}

	KUNIT_EXPECT_EQ_MSG(test, late, 0, "waits on arrays that timed out");
	KUNIT_EXPECT_EQ_MSG(test, unsignalled, 0,
			    "arrays pending after all components signalled");
}

/* Allocation failure */

static void array_create_fails_cleanly_at_every_allocation(struct kunit *test)
{
#ifdef CONFIG_FAULT_INJECTION
	const unsigned int n = 4;
	struct mock_book *book = mock_book_get(test);
	unsigned int k, failures = 0, absorbed = 0, i;
	struct dma_fence_array *arr;
	struct dma_fence **fences, **owned;
	bool changed;
	int left;

	fences = dfa_fences(test, book, n);
	for (k = 1; k <= 64; k++) {
		owned = kmalloc_array(n, sizeof(*owned), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, owned);
		for (i = 0; i < n; i++)
			owned[i] = dma_fence_get(fences[i]);

		current->fail_nth = k;
		arr = dma_fence_array_create(n, owned,
					     dma_fence_context_alloc(1), 1,
					     false);
		left = current->fail_nth;
		current->fail_nth = 0;

		if (left) {
			/* Fewer than k allocation points: a normal success. */
			KUNIT_EXPECT_NOT_NULL(test, arr);
			if (arr) {
				for (i = 0; i < n; i++)
					dma_fence_signal(fences[i]);
				dfa_expect_signals(test, &arr->base);
				dma_fence_put(&arr->base);
			} else {
				dfa_put_all(owned, n);
				kfree(owned);
			}
			break;
		}

		if (dma_buf_fault_absorbed(arr) &&
		    absorbed++ < DMA_BUF_FAULT_RETRIES) {
			dma_fence_put(&arr->base);
			k--;
			continue;
		}
		failures++;
		KUNIT_EXPECT_NULL_MSG(test, arr, "failure point %u", k);
		if (arr) {
			dma_fence_put(&arr->base);
			continue;
		}
		/* Our references are untouched and still ours to drop. */
		changed = false;
		for (i = 0; i < n; i++)
			changed |= kref_read(&fences[i]->refcount) != 2;
		KUNIT_EXPECT_FALSE_MSG(test, changed,
				       "failure point %u took or dropped references",
				       k);
		dfa_put_all(owned, n);
		kfree(owned);
	}
	KUNIT_EXPECT_GT_MSG(test, failures, 0,
			    "dma_fence_array_create() has no failure point");
	kunit_info(test, "%u failure points, %u steps retried\n", failures, absorbed);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, dfa_await_refs(fences[i], 1), 1);
	dfa_put_all(fences, n);
#else
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
#endif
}

static struct kunit_case dma_fence_array_test_cases[] = {
	KUNIT_CASE(array_create_takes_the_fences_context_and_seqno),
	KUNIT_CASE(array_alloc_and_init_build_a_working_array),
	KUNIT_CASE(array_init_does_not_allocate),
	KUNIT_CASE(array_leaves_components_alone_until_signalling_is_enabled),
	KUNIT_CASE(array_add_callback_enables_the_components),
	KUNIT_CASE(array_wait_enables_the_components),
	KUNIT_CASE(array_signal_on_all_waits_for_every_component),
	KUNIT_CASE(array_signal_on_any_completes_on_first_component),
	KUNIT_CASE_PARAM(array_signals_outside_the_component_lock,
			 dfa_mode_gen_params),
	KUNIT_CASE_PARAM(array_is_signaled_polls_the_components,
			 dfa_mode_gen_params),
	KUNIT_CASE_PARAM(array_armed_is_signaled_does_not_poll_the_components,
			 dfa_mode_gen_params),
	KUNIT_CASE_PARAM(array_of_signalled_components_completes_on_enable,
			 dfa_mode_gen_params),
	KUNIT_CASE(array_signal_on_all_reports_the_first_component_error),
	KUNIT_CASE(array_signal_on_all_reports_an_error_seen_on_enable),
	KUNIT_CASE(array_polled_to_completion_reports_a_component_error),
	KUNIT_CASE(array_signal_on_any_reports_the_completing_component_error),
	KUNIT_CASE(array_signal_on_any_ignores_errors_after_completion),
	KUNIT_CASE(array_holds_its_components_until_released),
	KUNIT_CASE_PARAM(array_dropped_while_enabled_lives_until_components_signal,
			 dfa_mode_gen_params),
	KUNIT_CASE(array_any_completing_callback_overtaken_by_the_last),
	KUNIT_CASE_PARAM(array_holds_two_references_on_a_duplicate_component,
			 dfa_mode_gen_params),
	KUNIT_CASE_PARAM(array_of_one_component_follows_it, dfa_mode_gen_params),
	KUNIT_CASE_PARAM(array_of_4096_components_signalled_out_of_order,
			 dfa_mode_gen_params),
	KUNIT_CASE(array_keeps_its_seqno_as_a_32bit_one),
	KUNIT_CASE_PARAM(array_passes_a_deadline_to_every_component,
			 dfa_mode_gen_params),
	KUNIT_CASE(array_iteration_visits_the_components_in_order),
	KUNIT_CASE(array_iteration_yields_a_plain_fence_once),
	KUNIT_CASE(array_match_context_checks_every_component),
	KUNIT_CASE(array_casts_refuse_other_fences),
	KUNIT_CASE_SLOW(array_races_components_signalled_from_two_cpus),
	KUNIT_CASE(array_create_fails_cleanly_at_every_allocation),
	{}
};

static struct kunit_suite dma_fence_array_test_suite = {
	.name = "dma-fence-array",
	.test_cases = dma_fence_array_test_cases,
};

kunit_test_suite(dma_fence_array_test_suite);

MODULE_DESCRIPTION("KUnit tests for dma_fence_array");
MODULE_LICENSE("GPL");
