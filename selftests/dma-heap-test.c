// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for dma_heap_add(): what registration refuses.
 */

/**
 * DOC: dma-heap KUnit suite
 *
 * Heaps cannot be removed, so a case that registered a heap would leave
 * a device behind for the rest of the boot (and for upstream's heap
 * selftest, which allocates from every heap it finds). The suite
 * therefore only checks the refusals of dma_heap_add(): a missing or
 * empty name, missing operations, a name that is taken (the system
 * heap's), and an allocation failure injected through
 * ``current->fail_nth``. Each refusal must return its errno (the
 * injected failure must also be consumed by the call). Allocation from
 * heaps is tested from userspace
 * (tools/guest/tests/heaps-uapi.c and upstream's dmabuf-heaps).
 *
 * dma_heap_add() is not exported: the suite runs only when it is built
 * in, and skips otherwise.
 *
 * Locking: none; every call is made from the case's thread, which may
 * sleep.
 */

#include <kunit/test.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/sched.h>
#include <linux/string.h>

#define DHT_USABLE (IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST) && \
		    IS_ENABLED(CONFIG_DMABUF_HEAPS))

static struct dma_buf *dht_allocate(struct dma_heap *heap, unsigned long len,
				    u32 fd_flags, u64 heap_flags)
{
	return ERR_PTR(-ENODEV);
}

static const struct dma_heap_ops dht_ops = { .allocate = dht_allocate };
static const struct dma_heap_ops dht_no_allocate;

static void dht_needs_heaps(struct kunit *test)
{
	if (!DHT_USABLE)
		kunit_skip(test, "needs CONFIG_DMABUF_HEAPS and a built-in suite");
}

/* dma_heap_add() of @info, expecting the errno @want. */
static void dht_refused(struct kunit *test,
			const struct dma_heap_export_info *info, long want)
{
#if DHT_USABLE
	struct dma_heap *heap = dma_heap_add(info);

	KUNIT_ASSERT_TRUE(test, IS_ERR(heap));
	KUNIT_EXPECT_EQ(test, PTR_ERR(heap), want);
#endif
}

static void add_without_a_name_is_einval(struct kunit *test)
{
	struct dma_heap_export_info info = { .ops = &dht_ops };

	dht_needs_heaps(test);
	dht_refused(test, &info, -EINVAL);
	info.name = "";
	dht_refused(test, &info, -EINVAL);
}

static void add_without_an_allocate_op_is_einval(struct kunit *test)
{
	struct dma_heap_export_info info = { .name = "dht-no-ops" };

	dht_needs_heaps(test);
	dht_refused(test, &info, -EINVAL);
	info.ops = &dht_no_allocate;
	dht_refused(test, &info, -EINVAL);
}

static void add_of_a_taken_name_is_eexist(struct kunit *test)
{
	struct dma_heap_export_info info = { .name = "system", .ops = &dht_ops };

	dht_needs_heaps(test);
	if (!IS_ENABLED(CONFIG_DMABUF_HEAPS_SYSTEM))
		kunit_skip(test, "needs the system heap registered");
	dht_refused(test, &info, -EEXIST);
}

/*
 * The first allocation of dma_heap_add() asks dma_buf_fail_alloc(): with
 * fail_nth at 1 it must fail, before any device exists. A regression that
 * stopped asking would register the heap (and fail the case).
 */
static void add_fails_cleanly_when_memory_runs_out(struct kunit *test)
{
	struct dma_heap_export_info info = { .name = "dht-nomem", .ops = &dht_ops };

	dht_needs_heaps(test);
	if (!IS_ENABLED(CONFIG_FAULT_INJECTION))
		kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
#ifdef CONFIG_FAULT_INJECTION
	current->fail_nth = 1;
	dht_refused(test, &info, -ENOMEM);
	/* consumed: the failure was injected, not left over */
	KUNIT_EXPECT_EQ(test, current->fail_nth, 0);
	current->fail_nth = 0;
#endif
}

static struct kunit_case dma_heap_cases[] = {
	KUNIT_CASE(add_without_a_name_is_einval),
	KUNIT_CASE(add_without_an_allocate_op_is_einval),
	KUNIT_CASE(add_of_a_taken_name_is_eexist),
	KUNIT_CASE(add_fails_cleanly_when_memory_runs_out),
	{}
};

static struct kunit_suite dma_heap_suite = {
	.name = "dma-heap",
	.test_cases = dma_heap_cases,
};

kunit_test_suites(&dma_heap_suite);
