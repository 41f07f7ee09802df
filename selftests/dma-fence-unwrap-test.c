// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for dma_fence_unwrap: the iterator that looks through fence
 * containers (dma_fence_chain links and dma_fence_array) down to the fences
 * they stand for, and dma_fence_unwrap_merge(), which flattens any number of
 * fences and containers into one fence.
 *
 * Only the interface of include/linux/dma-fence-unwrap.h and the behaviour
 * its kernel-doc (and that of Linux 6.12) promises are checked, so the suite
 * can be run against any implementation of that interface.
 */

/**
 * DOC: dma-fence-unwrap KUnit suite
 *
 * What is mocked: the leaves, with the counted mock fences of
 * selftests/mock-fence.h, on 32-bit and on 64-bit timelines. The containers
 * around them are real dma_fence_array and dma_fence_chain objects.
 *
 * What is observed: the sequence of fences an iteration yields, what a merge
 * returns (the very fence, a private signalled stub and its timestamp, or a
 * flat array and its components), the reference counts of every input
 * before and after, whether results signal, and the per-case balance of the
 * mock book (every mock fence initialised is released exactly once).
 *
 * Timing: a merged array may signal from irq_work, a little after its last
 * component, so cases only wait with dma_fence_wait_timeout() and a bound of
 * a few seconds. A broken implementation fails a case instead of hanging.
 *
 * Threads: the race case runs two signalling kthreads bound to two different
 * online CPUs while the test thread builds containers of the fences they
 * signal, merges them and waits for the result. It is bounded by an
 * iteration count and skipped with fewer than two online CPUs.
 *
 * Fault injection: with CONFIG_FAULT_INJECTION the allocation-failure case
 * walks the failure points of a merge one at a time through
 * ``current->fail_nth``; it relies on the dma_buf_fail_alloc() hook of this
 * tree (dma-buf-fault.h) and fails against an implementation without it.
 *
 * Running: ``./tools/testing/kunit/kunit.py run --arch=x86_64
 * --kunitconfig=drivers/dma-buf --qemu_args='-smp 2' 'dma-fence-unwrap'``
 * from the top of a kernel tree.
 */

#include <kunit/test.h>

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "../dma-buf-fault.h"
#include "mock-fence.h"

/* Bound for a wait on a fence that is expected to signal. */
#define DFU_WAIT		(5 * HZ)
/* More fences than any case feeds to one iteration. */
#define DFU_MAX_VISITS		1024

/* A signal-on-all array of @fences[0..@n), with references of its own. */
static struct dma_fence *dfu_array(struct kunit *test,
				   struct dma_fence **fences, unsigned int n)
{
	struct dma_fence_array *array;
	struct dma_fence **owned;
	unsigned int i;

	owned = kmalloc_array(n, sizeof(*owned), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, owned);
	for (i = 0; i < n; i++)
		owned[i] = dma_fence_get(fences[i]);
	array = dma_fence_array_create(n, owned, dma_fence_context_alloc(1), 1,
				       false);
	if (!array) {
		for (i = 0; i < n; i++)
			dma_fence_put(owned[i]);
		kfree(owned);
	}
	KUNIT_ASSERT_NOT_NULL(test, array);
	return &array->base;
}

/*
 * A new chain link holding a reference to @fence on top of @prev, whose
 * reference it takes over (@prev may be NULL). Returns the new head.
 */
static struct dma_fence *dfu_link(struct kunit *test, struct dma_fence *prev,
				  struct dma_fence *fence, u64 seqno)
{
	struct dma_fence_chain *chain = dma_fence_chain_alloc();

	if (!chain)
		dma_fence_put(prev);
	KUNIT_ASSERT_NOT_NULL(test, chain);
	dma_fence_chain_init(chain, prev, dma_fence_get(fence), seqno);
	return &chain->base;
}

static void dfu_put_all(struct dma_fence **fences, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		dma_fence_put(fences[i]);
}

static bool dfu_flag_signalled(struct dma_fence *fence)
{
	return test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags);
}

/* Everything dma_fence_unwrap_for_each() yields for @head, in order. */
static unsigned int dfu_collect(struct dma_fence *head,
				struct dma_fence **seen, unsigned int max)
{
	struct dma_fence_unwrap cursor;
	struct dma_fence *fence;
	unsigned int n = 0;

	dma_fence_unwrap_for_each(fence, &cursor, head) {
		if (n < max)
			seen[n] = fence;
		n++;
	}
	return n;
}

/* Expects the iteration of @head to yield exactly @want[0..@n), in order. */
static void dfu_expect_yields(struct kunit *test, struct dma_fence *head,
			      struct dma_fence **want, unsigned int n)
{
	struct dma_fence **seen;
	unsigned int count, i;

	seen = kunit_kcalloc(test, DFU_MAX_VISITS, sizeof(*seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	count = dfu_collect(head, seen, DFU_MAX_VISITS);
	KUNIT_ASSERT_EQ(test, count, n);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_PTR_EQ_MSG(test, seen[i], want[i], "fence %u", i);
}

/*
 * Expects @result to be a flat signal-on-all array of exactly the fences
 * @want[0..@n), in any order, on a context none of them has.
 */
static void dfu_expect_array_of(struct kunit *test, struct dma_fence *result,
				struct dma_fence **want, unsigned int n)
{
	struct dma_fence_array *array = to_dma_fence_array(result);
	unsigned int i, j, found;

	KUNIT_ASSERT_NOT_NULL_MSG(test, array, "merge did not return an array");
	KUNIT_ASSERT_EQ(test, array->num_fences, n);
	for (i = 0; i < n; i++) {
		found = 0;
		for (j = 0; j < n; j++)
			found += array->fences[j] == want[i];
		KUNIT_EXPECT_EQ_MSG(test, found, 1, "expected fence %u", i);
		KUNIT_EXPECT_NE(test, want[i]->context, result->context);
		KUNIT_EXPECT_FALSE(test,
				   dma_fence_is_container(array->fences[i]));
	}
}

/* Reference counts of @fences[0..@n), to compare before and after. */
static void dfu_snapshot(struct dma_fence **fences, unsigned int n,
			 unsigned int *refs)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		refs[i] = kref_read(&fences[i]->refcount);
}

static unsigned int dfu_refs_changed(struct dma_fence **fences,
				     unsigned int n, const unsigned int *refs)
{
	unsigned int i, changed = 0;

	for (i = 0; i < n; i++)
		changed += kref_read(&fences[i]->refcount) != refs[i];
	return changed;
}

static void dfu_expect_signals(struct kunit *test, struct dma_fence *fence)
{
	KUNIT_EXPECT_GT_MSG(test, dma_fence_wait_timeout(fence, false, DFU_WAIT),
			    0, "fence did not signal in time");
}

/* Iteration */

static void unwrap_of_a_plain_fence_yields_it_once(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *plain;

	plain = mock_fence(book, dma_fence_context_alloc(1), 1);
	dfu_expect_yields(test, plain, &plain, 1);
	/* Whatever the cursor held during the walk, it gave back. */
	KUNIT_EXPECT_EQ(test, kref_read(&plain->refcount), 1);

	/* Signalled or not, a fence is still yielded. */
	dma_fence_signal(plain);
	dfu_expect_yields(test, plain, &plain, 1);
	KUNIT_EXPECT_EQ(test, kref_read(&plain->refcount), 1);
	dma_fence_put(plain);
}

static void unwrap_of_null_yields_nothing(struct kunit *test)
{
	struct dma_fence_unwrap cursor;

	KUNIT_EXPECT_NULL(test, dma_fence_unwrap_first(NULL, &cursor));
	dfu_expect_yields(test, NULL, NULL, 0);
}

static void unwrap_of_an_array_yields_its_components_in_order(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(4);
	struct dma_fence *fences[4], *array;
	unsigned int i;

	for (i = 0; i < 4; i++)
		fences[i] = mock_fence(book, context + i, 1);
	dma_fence_signal(fences[2]);
	array = dfu_array(test, fences, 4);

	/* Signalled components are yielded too: unwrapping does not filter. */
	dfu_expect_yields(test, array, fences, 4);
	KUNIT_EXPECT_EQ(test, kref_read(&array->refcount), 1);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, kref_read(&fences[i]->refcount), 2);

	dma_fence_put(array);
	dfu_put_all(fences, 4);
}

static void unwrap_of_a_chain_yields_the_newest_link_first(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(5);
	struct dma_fence *fences[5], *want[5], *head;
	unsigned int i;

	for (i = 0; i < 5; i++)
		fences[i] = mock_fence64(book, context + i, 1);
	/* The oldest element is a plain fence, not a link. */
	head = dma_fence_get(fences[0]);
	for (i = 1; i < 5; i++)
		head = dfu_link(test, head, fences[i], i);
	for (i = 0; i < 5; i++)
		want[i] = fences[4 - i];

	dfu_expect_yields(test, head, want, 5);
	KUNIT_EXPECT_EQ(test, kref_read(&head->refcount), 1);

	dma_fence_put(head);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, kref_read(&fences[i]->refcount), 1);
	dfu_put_all(fences, 5);
}

static void unwrap_of_a_chain_of_arrays_flattens_every_level(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(6);
	struct dma_fence *fences[6], *want[6], *arrays[2], *head;
	unsigned int i;

	for (i = 0; i < 6; i++)
		fences[i] = mock_fence(book, context + i, 1);
	arrays[0] = dfu_array(test, &fences[0], 2);
	arrays[1] = dfu_array(test, &fences[3], 3);

	/* Links, oldest first: [a b], c, [d e f]. */
	head = dfu_link(test, NULL, arrays[0], 1);
	head = dfu_link(test, head, fences[2], 2);
	head = dfu_link(test, head, arrays[1], 3);

	want[0] = fences[3];
	want[1] = fences[4];
	want[2] = fences[5];
	want[3] = fences[2];
	want[4] = fences[0];
	want[5] = fences[1];
	dfu_expect_yields(test, head, want, 6);
	KUNIT_EXPECT_EQ(test, kref_read(&head->refcount), 1);

	dma_fence_put(head);
	dfu_put_all(arrays, 2);
	dfu_put_all(fences, 6);
}

/* Merging */

static void unwrap_merge_of_one_pending_fence_returns_it(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *fence, *result;

	fence = mock_fence(book, dma_fence_context_alloc(1), 1);

	result = dma_fence_unwrap_merge(fence);
	KUNIT_EXPECT_PTR_EQ(test, result, fence);
	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 2);
	dma_fence_put(result);

	/* Twice the same fence is still that one fence. */
	result = dma_fence_unwrap_merge(fence, fence);
	KUNIT_EXPECT_PTR_EQ(test, result, fence);
	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 2);
	dma_fence_put(result);

	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 1);
	dma_fence_put(fence);
}

static void unwrap_merge_of_signalled_fences_returns_a_private_stub(struct kunit *test)
{
	static const s64 stamps_ns[] = { 3000, 9000, 5000, 7000 };
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(4);
	struct dma_fence *fences[4], *array, *result, *shared, *again;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		fences[i] = mock_fence(book, context + i, 1);
		dma_fence_signal_timestamp(fences[i], ns_to_ktime(stamps_ns[i]));
	}
	/* The latest timestamp hides inside an array. */
	array = dfu_array(test, &fences[1], 2);

	result = dma_fence_unwrap_merge(fences[0], array, fences[3]);
	KUNIT_ASSERT_NOT_NULL(test, result);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_PTR_NE(test, result, fences[i]);
	KUNIT_EXPECT_PTR_NE(test, result, array);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_container(result));
	KUNIT_EXPECT_TRUE(test, dfu_flag_signalled(result));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(result), 1);
	KUNIT_EXPECT_EQ(test, ktime_to_ns(dma_fence_timestamp(result)), 9000);

	/* Private: not the shared stub, and a second merge gets another. */
	shared = dma_fence_get_stub();
	KUNIT_EXPECT_PTR_NE(test, result, shared);
	dma_fence_put(shared);
	again = dma_fence_unwrap_merge(fences[3]);
	KUNIT_ASSERT_NOT_NULL(test, again);
	KUNIT_EXPECT_PTR_NE(test, again, result);
	KUNIT_EXPECT_EQ(test, ktime_to_ns(dma_fence_timestamp(again)), 7000);
	dma_fence_put(again);

	dma_fence_put(result);
	KUNIT_EXPECT_EQ(test, kref_read(&array->refcount), 1);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, kref_read(&fences[i]->refcount),
				i == 1 || i == 2 ? 2 : 1);
	dma_fence_put(array);
	dfu_put_all(fences, 4);
}

static void unwrap_merge_drops_signalled_fences(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(5);
	struct dma_fence *fences[5], *want[3], *array, *result;
	unsigned int i;

	for (i = 0; i < 5; i++)
		fences[i] = mock_fence(book, context + i, 1);
	dma_fence_signal(fences[1]);
	dma_fence_signal(fences[3]);
	array = dfu_array(test, &fences[3], 2);

	result = dma_fence_unwrap_merge(fences[0], fences[1], fences[2], array);
	want[0] = fences[0];
	want[1] = fences[2];
	want[2] = fences[4];
	dfu_expect_array_of(test, result, want, 3);
	KUNIT_EXPECT_EQ(test, kref_read(&fences[1]->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&fences[3]->refcount), 2);

	/* The result waits for all of them and reports their error. */
	dma_fence_signal(fences[4]);
	mock_signal_error(fences[0], -EIO);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(result));
	dma_fence_signal(fences[2]);
	dfu_expect_signals(test, result);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(result), -EIO);

	dma_fence_put(result);
	dma_fence_put(array);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, kref_read(&fences[i]->refcount), 1);
	dfu_put_all(fences, 5);
}

static void unwrap_merge_keeps_the_latest_fence_of_each_context(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(2);
	struct dma_fence *x[3], *y[2], *want[2], *inner[2], *array, *result;
	unsigned int before[3];

	x[0] = mock_fence64(book, context, 5);
	x[1] = mock_fence64(book, context, 1ull << 40);
	x[2] = mock_fence64(book, context, 7);
	y[0] = mock_fence64(book, context + 1, 2);
	y[1] = mock_fence64(book, context + 1, 1);
	inner[0] = y[0];
	inner[1] = x[1];
	array = dfu_array(test, inner, 2);
	dfu_snapshot(x, 3, before);

	result = dma_fence_unwrap_merge(x[0], array, x[2], y[1]);
	want[0] = x[1];
	want[1] = y[0];
	dfu_expect_array_of(test, result, want, 2);

	/* Only the winners gained a reference. */
	KUNIT_EXPECT_EQ(test, kref_read(&x[0]->refcount), before[0]);
	KUNIT_EXPECT_EQ(test, kref_read(&x[1]->refcount), before[1] + 1);
	KUNIT_EXPECT_EQ(test, kref_read(&x[2]->refcount), before[2]);
	KUNIT_EXPECT_EQ(test, kref_read(&y[1]->refcount), 1);

	dma_fence_put(result);
	dma_fence_put(array);
	dfu_put_all(x, 3);
	dfu_put_all(y, 2);
}

static void unwrap_merge_compares_32bit_seqnos_with_wraparound(struct kunit *test)
{
	static const u64 wrap32[] = { 0xfffffffe, 1, 0xffffffff, 0 };
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(2);
	struct dma_fence *x[4], *z[2], *want[2], *array, *result;
	unsigned int i;

	for (i = 0; i < 4; i++)
		x[i] = mock_fence(book, context, wrap32[i]);
	/* Without wrap-around, a 64-bit timeline keeps the larger one. */
	z[0] = mock_fence64(book, context + 1, 0xffffffff);
	z[1] = mock_fence64(book, context + 1, 1);
	array = dfu_array(test, &x[2], 2);

	result = dma_fence_unwrap_merge(z[1], x[0], array, x[1], z[0]);
	want[0] = x[1];
	want[1] = z[0];
	dfu_expect_array_of(test, result, want, 2);

	dma_fence_put(result);
	dma_fence_put(array);
	dfu_put_all(x, 4);
	dfu_put_all(z, 2);
}

static void unwrap_merge_of_one_context_returns_its_latest_fence(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(1);
	struct dma_fence *fences[3], *result;
	unsigned int i;

	for (i = 0; i < 3; i++)
		fences[i] = mock_fence(book, context, i == 1 ? 30 : 10 + i);

	/* One survivor needs no array: it comes back itself. */
	result = dma_fence_unwrap_merge(fences[0], fences[1], fences[2]);
	KUNIT_EXPECT_PTR_EQ(test, result, fences[1]);
	KUNIT_EXPECT_EQ(test, kref_read(&fences[0]->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&fences[1]->refcount), 2);
	KUNIT_EXPECT_EQ(test, kref_read(&fences[2]->refcount), 1);

	dma_fence_put(result);
	dfu_put_all(fences, 3);
}

static void unwrap_merge_ignores_a_later_fence_that_has_signalled(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(1);
	struct dma_fence *early, *late, *result;

	/*
	 * Signalled fences are dropped before the latest fence of a context
	 * is picked, so the pending earlier one is what remains to wait for.
	 */
	early = mock_fence(book, context, 1);
	late = mock_fence(book, context, 2);
	dma_fence_signal(late);

	result = dma_fence_unwrap_merge(late, early);
	KUNIT_EXPECT_PTR_EQ(test, result, early);

	dma_fence_put(result);
	dma_fence_put(late);
	dma_fence_put(early);
}

static void unwrap_merge_flattens_containers_nested_in_chains(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(6);
	struct dma_fence *fences[7], *want[6], *pair[2], *arrays[2];
	struct dma_fence *head, *merged, *result;
	unsigned int i;

	for (i = 0; i < 6; i++)
		fences[i] = mock_fence64(book, context + i, 10);
	/* A later fence on the context of fences[1]. */
	fences[6] = mock_fence64(book, context + 1, 11);

	/* An earlier merge result, itself an array, goes into a chain. */
	merged = dma_fence_unwrap_merge(fences[3], fences[4]);
	KUNIT_ASSERT_NOT_NULL(test, merged);
	arrays[0] = dfu_array(test, &fences[0], 2);
	head = dfu_link(test, NULL, arrays[0], 1);
	head = dfu_link(test, head, fences[2], 2);
	head = dfu_link(test, head, merged, 3);
	pair[0] = fences[5];
	pair[1] = fences[6];
	arrays[1] = dfu_array(test, pair, 2);

	result = dma_fence_unwrap_merge(head, arrays[1]);
	want[0] = fences[0];
	want[1] = fences[6];
	for (i = 2; i < 6; i++)
		want[i] = fences[i];
	dfu_expect_array_of(test, result, want, 6);

	for (i = 0; i < 7; i++)
		dma_fence_signal(fences[i]);
	dfu_expect_signals(test, result);

	dma_fence_put(result);
	dma_fence_put(head);
	dma_fence_put(merged);
	dfu_put_all(arrays, 2);
	dfu_put_all(fences, 7);
}

/* A timeline fed in random order, through randomly nested containers. */
#define DFU_TL_CONTEXTS	8
#define DFU_TL_SEQNOS	48
#define DFU_TL_FENCES	(DFU_TL_CONTEXTS * DFU_TL_SEQNOS)
#define DFU_TL_CHAINS	3

static void unwrap_merge_of_an_unordered_timeline_keeps_one_fence_per_context(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(DFU_TL_CONTEXTS);
	struct dma_fence *chains[DFU_TL_CHAINS] = {};
	struct dma_fence *latest[DFU_TL_CONTEXTS] = {};
	struct dma_fence **all, **inputs, **held, *result, *group[6];
	unsigned int n_inputs = 0, n_held = 0, links = 0;
	struct dma_fence_unwrap *cursors;
	struct rnd_state rnd;
	unsigned int i, j, g;

	all = kunit_kcalloc(test, DFU_TL_FENCES, sizeof(*all), GFP_KERNEL);
	inputs = kunit_kcalloc(test, DFU_TL_FENCES, sizeof(*inputs),
			       GFP_KERNEL);
	held = kunit_kcalloc(test, DFU_TL_FENCES, sizeof(*held), GFP_KERNEL);
	cursors = kunit_kcalloc(test, DFU_TL_FENCES + DFU_TL_CHAINS,
				sizeof(*cursors), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, all);
	KUNIT_ASSERT_NOT_NULL(test, inputs);
	KUNIT_ASSERT_NOT_NULL(test, held);
	KUNIT_ASSERT_NOT_NULL(test, cursors);
	prandom_seed_state(&rnd, 0x5eed);

	/*
	 * Half the timelines are 32-bit and wrap in the middle of the run,
	 * half are 64-bit and cross 2^32. Some fences have signalled already;
	 * the one to keep per context is the latest of those still pending.
	 */
	for (i = 0; i < DFU_TL_FENCES; i++) {
		unsigned int c = i % DFU_TL_CONTEXTS, s = i / DFU_TL_CONTEXTS;

		u64 seqno = (u64)U32_MAX - DFU_TL_SEQNOS / 2 + s;

		if (c & 1)
			all[i] = mock_fence(book, context + c, seqno);
		else
			all[i] = mock_fence64(book, context + c, seqno);
		if (s == DFU_TL_SEQNOS - 2 ||
		    (s != DFU_TL_SEQNOS - 3 && !(prandom_u32_state(&rnd) % 4)))
			dma_fence_signal(all[i]);
		if (!dfu_flag_signalled(all[i]))
			latest[c] = all[i];
	}
	for (i = DFU_TL_FENCES - 1; i > 0; i--) {
		j = prandom_u32_state(&rnd) % (i + 1);
		swap(all[i], all[j]);
	}

	/*
	 * Hand the shuffled fences out in small groups: a group is a plain
	 * input, an array input, a link of one of the chains (holding a plain
	 * fence or an array) or first merged on its own and then linked.
	 */
	for (i = 0; i < DFU_TL_FENCES; i += g) {
		unsigned int kind = prandom_u32_state(&rnd) % 4;
		struct dma_fence *item;

		g = min_t(unsigned int, 1 + prandom_u32_state(&rnd) % 6,
			  DFU_TL_FENCES - i);
		for (j = 0; j < g; j++)
			group[j] = all[i + j];

		if (kind == 3) {
			item = __dma_fence_unwrap_merge(g, group, cursors);
			KUNIT_ASSERT_NOT_NULL(test, item);
		} else if (g == 1) {
			item = dma_fence_get(group[0]);
		} else {
			item = dfu_array(test, group, g);
		}
		held[n_held++] = item;

		if (kind == 0) {
			inputs[n_inputs++] = item;
		} else {
			unsigned int c = prandom_u32_state(&rnd) % DFU_TL_CHAINS;

			chains[c] = dfu_link(test, chains[c], item, ++links);
		}
	}
	for (i = 0; i < DFU_TL_CHAINS; i++)
		if (chains[i])
			inputs[n_inputs++] = chains[i];
	kunit_info(test, "%u fences in %u inputs, %u chain links\n",
		   DFU_TL_FENCES, n_inputs, links);

	result = __dma_fence_unwrap_merge(n_inputs, inputs, cursors);
	dfu_expect_array_of(test, result, latest, DFU_TL_CONTEXTS);

	for (i = 0; i < DFU_TL_FENCES; i++)
		dma_fence_signal(all[i]);
	dfu_expect_signals(test, result);

	dma_fence_put(result);
	for (i = 0; i < DFU_TL_CHAINS; i++)
		dma_fence_put(chains[i]);
	dfu_put_all(held, n_held);
	dfu_put_all(all, DFU_TL_FENCES);
}

/* Races between two CPUs */

/* True if @result is a sane merge of the fences of this round. */
static bool dfu_race_result_ok(struct mock_race *r, struct dma_fence *result)
{
	struct dma_fence_array *array = to_dma_fence_array(result);
	unsigned int i, j;
	bool known;

	if (!array) {
		/* One surviving fence of the round, or a stub. */
		for (i = 0; i < MOCK_RACE_WIDTH; i++)
			if (result == r->fences[i])
				return true;
		return !dma_fence_is_container(result) &&
		       dfu_flag_signalled(result);
	}
	if (array->num_fences < 2 || array->num_fences > MOCK_RACE_WIDTH / 2)
		return false;
	for (i = 0; i < array->num_fences; i++) {
		known = false;
		for (j = 0; j < MOCK_RACE_WIDTH; j++)
			known |= array->fences[i] == r->fences[j];
		for (j = 0; j < i; j++)
			known &= array->fences[i]->context !=
				 array->fences[j]->context;
		if (!known)
			return false;
	}
	return true;
}

static void unwrap_merge_races_signalling_from_two_cpus(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	unsigned int late = 0, bad = 0, unsignalled = 0;
	struct dma_fence *array, *head, *result;
	struct dma_fence *evens[MOCK_RACE_WIDTH / 2];
	struct mock_race *r;
	int cpu[2], round, i;

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
		u64 context = dma_fence_context_alloc(MOCK_RACE_WIDTH / 2);
		bool early = round & 1;

		/* Two fences per context: even slots earlier, odd later. */
		for (i = 0; i < MOCK_RACE_WIDTH; i++)
			r->fences[i] = mock_fence64(book, context + i / 2,
						    2 * round + i % 2);
		for (i = 0; i < MOCK_RACE_WIDTH / 2; i++)
			evens[i] = r->fences[2 * i];

		/* Build the containers before or while the fences signal. */
		if (!early) {
			atomic_set_release(&r->round, round);
			wake_up_all(&r->wq);
		}
		array = dfu_array(test, evens, MOCK_RACE_WIDTH / 2);
		head = dfu_link(test, NULL, r->fences[1], 1);
		head = dfu_link(test, head, r->fences[3], 2);
		head = dfu_link(test, head, r->fences[5], 3);
		if (early) {
			atomic_set_release(&r->round, round);
			wake_up_all(&r->wq);
		}

		result = dma_fence_unwrap_merge(array, head, r->fences[7]);
		if (!result) {
			bad++;
		} else {
			if (!dfu_race_result_ok(r, result))
				bad++;
			if (dma_fence_wait_timeout(result, false, DFU_WAIT) <= 0)
				late++;
		}

		if (!mock_race_finish_round(test, r, round))
			return;
		if (result && !dfu_flag_signalled(result))
			unsignalled++;
		dma_fence_put(result);
		dma_fence_put(head);
		dma_fence_put(array);
		dfu_put_all(r->fences, MOCK_RACE_WIDTH);
	}

	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "merges with a wrong result");
	KUNIT_EXPECT_EQ_MSG(test, late, 0, "waits on merges that timed out");
	KUNIT_EXPECT_EQ_MSG(test, unsignalled, 0,
			    "merges pending after all inputs signalled");
}

/* Allocation failure */

/* The inputs of one merge, as seen by the allocation-failure case. */
struct dfu_fault_shape {
	const char *name;
	unsigned int pending;	/* distinct contexts left pending */
};

static const struct dfu_fault_shape dfu_fault_shapes[] = {
	{ "nothing-pending", 0 },
	{ "one-pending", 1 },
	{ "many-pending", 4 },
};

static void dfu_fault_desc(const struct dfu_fault_shape *shape, char *desc)
{
	strscpy(desc, shape->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dfu_fault, dfu_fault_shapes, dfu_fault_desc);

#define DFU_FAULT_LEAVES	6
#define DFU_FAULT_INPUTS	3
#define DFU_FAULT_ALL		(DFU_FAULT_LEAVES + DFU_FAULT_INPUTS + 1)
#define DFU_FAULT_INNER		(DFU_FAULT_ALL - 1)

static void unwrap_merge_fails_cleanly_at_every_allocation(struct kunit *test)
{
#ifdef CONFIG_FAULT_INJECTION
	const struct dfu_fault_shape *shape = test->param_value;
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(DFU_FAULT_LEAVES);
	struct dma_fence *leaves[DFU_FAULT_LEAVES], *result;
	struct dma_fence *inputs[DFU_FAULT_INPUTS];
	struct dma_fence_unwrap cursors[DFU_FAULT_INPUTS];
	struct dma_fence *every[DFU_FAULT_ALL];
	unsigned int refs[DFU_FAULT_ALL];
	unsigned int i, k, failures = 0, absorbed = 0;
	int left;

	/*
	 * Leaves 0..3 on contexts of their own, 4 and 5 earlier fences on
	 * the contexts of 0 and 1 (pending unless they would add to the
	 * number of pending contexts). Inputs: leaf 0, an array of leaves
	 * 1..3, a chain of leaf 4 and an array of leaf 5.
	 */
	for (i = 0; i < DFU_FAULT_LEAVES; i++)
		leaves[i] = mock_fence(book, context + (i < 4 ? i : i - 4),
				       i < 4 ? 10 : 5);
	for (i = 0; i < 4; i++)
		if (i >= shape->pending)
			dma_fence_signal(leaves[i]);
	if (shape->pending < 1)
		dma_fence_signal(leaves[4]);
	if (shape->pending < 2)
		dma_fence_signal(leaves[5]);
	inputs[0] = dma_fence_get(leaves[0]);
	inputs[1] = dfu_array(test, &leaves[1], 3);
	every[DFU_FAULT_INNER] = dfu_array(test, &leaves[5], 1);
	inputs[2] = dfu_link(test, NULL, leaves[4], 1);
	inputs[2] = dfu_link(test, inputs[2], every[DFU_FAULT_INNER], 2);
	for (i = 0; i < DFU_FAULT_LEAVES; i++)
		every[i] = leaves[i];
	for (i = 0; i < DFU_FAULT_INPUTS; i++)
		every[DFU_FAULT_LEAVES + i] = inputs[i];

	/*
	 * Walking a chain may drop links whose fence has signalled, which
	 * changes reference counts legitimately: walk once before counting.
	 */
	for (i = 0; i < DFU_FAULT_INPUTS; i++)
		dfu_collect(inputs[i], NULL, 0);

	for (k = 1; k <= 64; k++) {
		dfu_snapshot(every, DFU_FAULT_ALL, refs);

		current->fail_nth = k;
		result = __dma_fence_unwrap_merge(DFU_FAULT_INPUTS, inputs,
						  cursors);
		left = current->fail_nth;
		current->fail_nth = 0;

		if (left) {
			/* Fewer than k allocation points: a normal success. */
			KUNIT_ASSERT_NOT_NULL(test, result);
			if (shape->pending == 0)
				KUNIT_EXPECT_TRUE(test,
						  dfu_flag_signalled(result));
			else if (shape->pending == 1)
				KUNIT_EXPECT_PTR_EQ(test, result, leaves[0]);
			else
				dfu_expect_array_of(test, result, leaves,
						    shape->pending);
			dma_fence_put(result);
			break;
		}

		if (dma_buf_fault_absorbed(result) &&
		    absorbed++ < DMA_BUF_FAULT_RETRIES) {
			dma_fence_put(result);
			k--;
			continue;
		}
		failures++;
		KUNIT_EXPECT_NULL_MSG(test, result, "failure point %u", k);
		dma_fence_put(result);
		KUNIT_EXPECT_EQ_MSG(test,
				    dfu_refs_changed(every, DFU_FAULT_ALL, refs),
				    0, "failure point %u leaked references", k);
	}
	KUNIT_EXPECT_GT_MSG(test, failures, 0, "the merge has no failure point");
	kunit_info(test, "%u failure points, %u steps retried\n", failures, absorbed);

	dfu_put_all(inputs, DFU_FAULT_INPUTS);
	dma_fence_put(every[DFU_FAULT_INNER]);
	dfu_put_all(leaves, DFU_FAULT_LEAVES);
#else
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
#endif
}

/* More pending fences than the merge sorts without allocating. */
#define DFU_MANY		20

/*
 * A merge of more fences than fit the sort's on-stack scratch, in falling
 * context order, needs a scratch allocation for the sort besides its list
 * and its array: each of the three may fail, and each failure must leave
 * every reference as it was. The success is an array in context order,
 * as 6.12's merge sorts it.
 */
static void unwrap_merge_sorts_many_fences_and_fails_cleanly(struct kunit *test)
{
#ifdef CONFIG_FAULT_INJECTION
	struct mock_book *book = mock_book_get(test);
	u64 context = dma_fence_context_alloc(DFU_MANY);
	struct dma_fence *every[DFU_MANY + 1], *input, *result;
	struct dma_fence_unwrap cursors[1];
	unsigned int refs[DFU_MANY + 1];
	unsigned int i, k, failures = 0, absorbed = 0;
	int left;

	for (i = 0; i < DFU_MANY; i++)
		every[i] = mock_fence(book, context + DFU_MANY - 1 - i, 1);
	input = dfu_array(test, every, DFU_MANY);
	every[DFU_MANY] = input;

	for (k = 1; k <= 8; k++) {
		dfu_snapshot(every, DFU_MANY + 1, refs);
		current->fail_nth = k;
		result = __dma_fence_unwrap_merge(1, &input, cursors);
		left = current->fail_nth;
		current->fail_nth = 0;

		if (left) {
			struct dma_fence_array *array;

			dfu_expect_array_of(test, result, every, DFU_MANY);
			array = to_dma_fence_array(result);
			for (i = 1; array && i < array->num_fences; i++)
				KUNIT_EXPECT_LT_MSG(test,
						    array->fences[i - 1]->context,
						    array->fences[i]->context,
						    "not in context order at %u", i);
			dma_fence_put(result);
			break;
		}
		if (dma_buf_fault_absorbed(result) &&
		    absorbed++ < DMA_BUF_FAULT_RETRIES) {
			dma_fence_put(result);
			k--;
			continue;
		}
		failures++;
		KUNIT_EXPECT_NULL_MSG(test, result, "failure point %u", k);
		dma_fence_put(result);
		KUNIT_EXPECT_EQ_MSG(test, dfu_refs_changed(every, DFU_MANY + 1, refs),
				    0, "failure point %u leaked references", k);
	}
	/* the list, the sort's scratch, the array */
	KUNIT_EXPECT_EQ(test, failures, 3);

	dfu_put_all(every, DFU_MANY + 1);
#else
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
#endif
}

static struct kunit_case dma_fence_unwrap_test_cases[] = {
	KUNIT_CASE(unwrap_of_a_plain_fence_yields_it_once),
	KUNIT_CASE(unwrap_of_null_yields_nothing),
	KUNIT_CASE(unwrap_of_an_array_yields_its_components_in_order),
	KUNIT_CASE(unwrap_of_a_chain_yields_the_newest_link_first),
	KUNIT_CASE(unwrap_of_a_chain_of_arrays_flattens_every_level),
	KUNIT_CASE(unwrap_merge_of_one_pending_fence_returns_it),
	KUNIT_CASE(unwrap_merge_of_signalled_fences_returns_a_private_stub),
	KUNIT_CASE(unwrap_merge_sorts_many_fences_and_fails_cleanly),
	KUNIT_CASE(unwrap_merge_drops_signalled_fences),
	KUNIT_CASE(unwrap_merge_keeps_the_latest_fence_of_each_context),
	KUNIT_CASE(unwrap_merge_compares_32bit_seqnos_with_wraparound),
	KUNIT_CASE(unwrap_merge_of_one_context_returns_its_latest_fence),
	KUNIT_CASE(unwrap_merge_ignores_a_later_fence_that_has_signalled),
	KUNIT_CASE(unwrap_merge_flattens_containers_nested_in_chains),
	KUNIT_CASE(unwrap_merge_of_an_unordered_timeline_keeps_one_fence_per_context),
	KUNIT_CASE_SLOW(unwrap_merge_races_signalling_from_two_cpus),
	KUNIT_CASE_PARAM(unwrap_merge_fails_cleanly_at_every_allocation,
			 dfu_fault_gen_params),
	{}
};

static struct kunit_suite dma_fence_unwrap_test_suite = {
	.name = "dma-fence-unwrap",
	.test_cases = dma_fence_unwrap_test_cases,
};

kunit_test_suite(dma_fence_unwrap_test_suite);

MODULE_DESCRIPTION("KUnit tests for dma_fence_unwrap");
MODULE_LICENSE("GPL");
