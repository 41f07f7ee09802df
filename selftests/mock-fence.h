/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Counted mock fences for the KUnit suites of the fence containers
 * (dma-fence-array, dma-fence-chain, dma-fence-unwrap) and dma-resv.
 *
 * Every suite that includes this header gets its own copy of these static
 * helpers; there is no shared object to link.
 */

/**
 * DOC: mock fences for the container suites
 *
 * A &struct mock_book counts, for one test case, how many mock fences were
 * initialised and how many were released. mock_book_get() allocates it with
 * the test and registers a deferred check which, when the case ends, waits a
 * bounded time for outstanding releases (the containers signal and drop
 * references from irq_work) and then expects the two counts to be equal:
 * a leaked reference shows up as a missing release, a double put as an extra
 * one (or as a refcount warning in the log).
 *
 * Mock fences are kmalloc'd, so a chain of 100,000 links costs no KUnit
 * bookkeeping; their release counts and frees through dma_fence_free().
 * Tests signal them with dma_fence_signal() (or mock_signal_error()).
 * mock_fence() uses 32-bit seqno semantics, mock_fence64() the 64-bit ones.
 *
 * Locking: none of these helpers may be called from a fence callback, they
 * allocate.
 */

#ifndef DMA_BUF_SELFTESTS_MOCK_FENCE_H
#define DMA_BUF_SELFTESTS_MOCK_FENCE_H

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

struct mock_book {
	struct kunit *test;
	atomic_t inits;
	atomic_t releases;
};

struct mock_fence {
	struct dma_fence base;	/* first: dma_fence_free() frees the whole */
	spinlock_t lock;
	struct mock_book *book;
};

static inline const char *mock_fence_name(struct dma_fence *fence)
{
	return "mock";
}

static inline void mock_fence_release(struct dma_fence *fence)
{
	struct mock_fence *mf = container_of(fence, struct mock_fence, base);

	atomic_inc(&mf->book->releases);
	dma_fence_free(fence);
}

static const struct dma_fence_ops mock_fence_ops32 __maybe_unused = {
	.get_driver_name = mock_fence_name,
	.get_timeline_name = mock_fence_name,
	.release = mock_fence_release,
};

static const struct dma_fence_ops mock_fence_ops64 __maybe_unused = {
	.use_64bit_seqno = true,
	.get_driver_name = mock_fence_name,
	.get_timeline_name = mock_fence_name,
	.release = mock_fence_release,
};

/* Releases still in flight are at most one irq_work (or RCU grace) away. */
static inline void mock_book_check(void *data)
{
	struct mock_book *book = data;
	unsigned long end = jiffies + 5 * HZ;

	while (atomic_read(&book->releases) < atomic_read(&book->inits) &&
	       time_before(jiffies, end))
		usleep_range(1000, 2000);

	KUNIT_EXPECT_EQ_MSG(book->test, atomic_read(&book->releases),
			    atomic_read(&book->inits),
			    "mock fences released != initialised (leak or double put)");
}

/**
 * mock_book_get() - the release accounting of one test case
 * @test: the test case
 *
 * Return: a book whose balance is checked when @test ends; the case fails
 * (ASSERT) if it cannot be allocated.
 */
static inline struct mock_book *mock_book_get(struct kunit *test)
{
	struct mock_book *book = kunit_kzalloc(test, sizeof(*book), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, book);
	book->test = test;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mock_book_check,
							book), 0);
	return book;
}

static inline struct dma_fence *
__mock_fence(struct mock_book *book, const struct dma_fence_ops *ops,
	     u64 context, u64 seqno, gfp_t gfp)
{
	struct mock_fence *mf = kmalloc(sizeof(*mf), gfp);

	if (!mf)
		return NULL;
	spin_lock_init(&mf->lock);
	mf->book = book;
	dma_fence_init(&mf->base, ops, &mf->lock, context, seqno);
	atomic_inc(&book->inits);
	return &mf->base;
}

/**
 * mock_fence() - a pending mock fence with 32-bit seqno semantics
 * @book: the accounting it reports to
 * @context: fence context
 * @seqno: sequence number
 *
 * Return: the fence with one reference; the case fails if out of memory.
 */
static inline struct dma_fence *mock_fence(struct mock_book *book,
					   u64 context, u64 seqno)
{
	struct dma_fence *f = __mock_fence(book, &mock_fence_ops32, context,
					   seqno, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(book->test, f);
	return f;
}

/**
 * mock_fence64() - a pending mock fence with 64-bit seqno semantics
 * @book: the accounting it reports to
 * @context: fence context
 * @seqno: sequence number
 *
 * Return: the fence with one reference; the case fails if out of memory.
 */
static inline struct dma_fence *mock_fence64(struct mock_book *book,
					     u64 context, u64 seqno)
{
	struct dma_fence *f = __mock_fence(book, &mock_fence_ops64, context,
					   seqno, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(book->test, f);
	return f;
}

/**
 * mock_signal_error() - signal @fence with @error (negative errno)
 * @fence: a pending fence
 * @error: the error to report
 */
static inline void mock_signal_error(struct dma_fence *fence, int error)
{
	dma_fence_set_error(fence, error);
	dma_fence_signal(fence);
}

/*
 * Two-CPU races: two kthreads, bound to two CPUs, signal the odd and the
 * even fences of &mock_race.fences round after round, each round in a
 * varying order and with some jitter, while the test thread works on the
 * same fences. The test publishes a round by storing it in @round and
 * waking @wq; each signaller reports a finished round in @done.
 */
#define MOCK_RACE_ROUNDS	1000
#define MOCK_RACE_WIDTH		8
#define MOCK_RACE_TIMEOUT	(30 * HZ)

struct mock_race {
	struct dma_fence *fences[MOCK_RACE_WIDTH];
	wait_queue_head_t wq;
	atomic_t round;		/* last round published by the test */
	atomic_t done[2];	/* last round each signaller finished */
};

static inline void mock_race_jitter(unsigned int seed)
{
	unsigned int spin = (seed * 2654435761u) % 17 * 30;

	while (spin--)
		cpu_relax();
}

/* Signals every other fence of each round, in an order that varies. */
static inline int mock_race_signaller(struct mock_race *r, int me)
{
	int round, k;

	for (round = 1; round <= MOCK_RACE_ROUNDS; round++) {
		wait_event_timeout(r->wq,
				   atomic_read_acquire(&r->round) >= round ||
				   kthread_should_stop(), MOCK_RACE_TIMEOUT);
		if (kthread_should_stop() ||
		    atomic_read_acquire(&r->round) < round)
			break;
		for (k = 0; k < MOCK_RACE_WIDTH / 2; k++) {
			int slot = round & 1 ? k : MOCK_RACE_WIDTH / 2 - 1 - k;

			mock_race_jitter(round * MOCK_RACE_WIDTH + k + me);
			dma_fence_signal(r->fences[2 * slot + me]);
		}
		atomic_set_release(&r->done[me], round);
		wake_up_all(&r->wq);
	}
	return 0;
}

static inline int mock_race_even(void *data)
{
	return mock_race_signaller(data, 0);
}

static inline int mock_race_odd(void *data)
{
	return mock_race_signaller(data, 1);
}

static inline void mock_race_stop_thread(void *task)
{
	kthread_stop_put(task);
}

/* Runs @fn(@arg) in a kthread bound to @cpu, stopped when @test ends. */
static inline void mock_race_spawn(struct kunit *test, int (*fn)(void *),
				   void *arg, int cpu)
{
	struct task_struct *task;

	task = kthread_create(fn, arg, "dma-buf-kunit/%d", cpu);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	kthread_bind(task, cpu);
	get_task_struct(task);
	wake_up_process(task);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mock_race_stop_thread,
							task), 0);
}

static inline bool mock_race_round_done(struct mock_race *r, int round)
{
	return atomic_read_acquire(&r->done[0]) >= round &&
	       atomic_read_acquire(&r->done[1]) >= round;
}

/*
 * Waits for both signallers to finish @round. If they do not, fails @test
 * and returns false: a signaller may still touch this round's fences, so
 * the caller must leak them (the book reports it) rather than free them.
 */
static inline bool mock_race_finish_round(struct kunit *test,
					  struct mock_race *r, int round)
{
	if (wait_event_timeout(r->wq, mock_race_round_done(r, round),
			       MOCK_RACE_TIMEOUT))
		return true;
	KUNIT_FAIL(test, "signallers stuck in round %d", round);
	return false;
}

#endif /* DMA_BUF_SELFTESTS_MOCK_FENCE_H */
