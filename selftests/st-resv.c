// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * dmabuf_selftests group "dma_resv": reservation objects.
 */

/**
 * DOC: dmabuf_selftests dma_resv group
 *
 * Fills a &struct dma_resv with mock fences of chosen usages and checks
 * what the interface reports back: dma_resv_test_signaled() per usage, the
 * locked and unlocked iterators (usage filter, the usage of each fence,
 * one slot per context), dma_resv_get_fences(), dma_resv_get_singleton()
 * for zero, one and two fences, dma_resv_copy_fences(), bounded waits
 * (nothing, pending, signalled from a timer) and the errors of the lock
 * (-EALREADY for a second lock in one acquire context, a failing trylock).
 *
 * Every subtest reserves its slots with dma_resv_reserve_fences(), the
 * allocation an out-of-memory error would hit first.
 */

#include <linux/dma-fence-unwrap.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/slab.h>

#include "dmabuf-st.h"

/* Lock, reserve one slot, add @fence with @usage, unlock. */
static int st_resv_add(struct dma_resv *resv, struct dma_fence *fence,
		       enum dma_resv_usage usage)
{
	int err;

	err = dma_resv_lock(resv, NULL);
	if (err)
		return err;
	err = dma_resv_reserve_fences(resv, 1);
	if (!err)
		dma_resv_add_fence(resv, fence, usage);
	dma_resv_unlock(resv);
	return err;
}

/* @n mock fences on fresh contexts, fence i added with usage @usages[i]. */
static int st_resv_fill(struct dma_resv *resv, struct dma_fence **f,
			const enum dma_resv_usage *usages, unsigned int n)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < n; i++)
		f[i] = dmabuf_st_fence(0, 1);
	for (i = 0; i < n && !err; i++)
		err = f[i] ? st_resv_add(resv, f[i], usages[i]) : -ENOMEM;
	return err;
}

/* Signals and drops @f[0..n), then finishes @resv. */
static void st_resv_done(struct dma_resv *resv, struct dma_fence **f,
			 unsigned int n)
{
	while (n--) {
		dma_fence_signal(f[n]);
		dma_fence_put(f[n]);
	}
	dma_resv_fini(resv);
}

static const enum dma_resv_usage st_all_usages[] = {
	DMA_RESV_USAGE_KERNEL, DMA_RESV_USAGE_WRITE,
	DMA_RESV_USAGE_READ, DMA_RESV_USAGE_BOOKKEEP,
};

static int resv_test_signaled_by_usage(void)
{
	static const enum dma_resv_usage u[] = { DMA_RESV_USAGE_WRITE };
	struct dma_fence *f[1] = {};
	struct dma_resv resv;
	int err;

	dma_resv_init(&resv);
	err = st_resv_fill(&resv, f, u, 1) ?:
	      st_expect(dma_resv_test_signaled(&resv, DMA_RESV_USAGE_KERNEL)) ?:
	      st_expect(!dma_resv_test_signaled(&resv, DMA_RESV_USAGE_WRITE)) ?:
	      st_expect(!dma_resv_test_signaled(&resv, DMA_RESV_USAGE_BOOKKEEP));
	if (!err) {
		dma_fence_signal(f[0]);
		err = st_expect(dma_resv_test_signaled(&resv, DMA_RESV_USAGE_BOOKKEEP));
	}
	st_resv_done(&resv, f, 1);
	return err;
}

/* Iterating up to usage U sees the fences of U and the stricter ones. */
static int resv_iter_usage_filter(void)
{
	struct dma_fence *f[ARRAY_SIZE(st_all_usages)] = {}, *fence;
	struct dma_resv_iter cursor;
	struct dma_resv resv;
	unsigned int i, seen;
	int err;

	dma_resv_init(&resv);
	err = st_resv_fill(&resv, f, st_all_usages, ARRAY_SIZE(f)) ?:
	      dma_resv_lock(&resv, NULL);
	if (err)
		goto out;
	for (i = 0; i < ARRAY_SIZE(st_all_usages) && !err; i++) {
		seen = 0;
		dma_resv_for_each_fence(&cursor, &resv, st_all_usages[i], fence) {
			unsigned int k;

			for (k = 0; k < ARRAY_SIZE(f) && f[k] != fence; k++)
				;
			err = err ?: st_expect(k <= i) ?:
			      st_expect(dma_resv_iter_usage(&cursor) == st_all_usages[k]);
			seen++;
		}
		err = err ?: st_expect(seen == i + 1);
	}
	dma_resv_unlock(&resv);
out:
	st_resv_done(&resv, f, ARRAY_SIZE(f));
	return err;
}

/* A later fence of the same context and usage takes the earlier's slot. */
static int resv_same_context_one_slot(void)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *f[2] = { dmabuf_st_fence(ctx, 1), dmabuf_st_fence(ctx, 2) };
	struct dma_fence *fence, *only = NULL;
	struct dma_resv_iter cursor;
	struct dma_resv resv;
	unsigned int seen = 0;
	int err = -ENOMEM;

	dma_resv_init(&resv);
	if (f[0] && f[1])
		err = st_resv_add(&resv, f[0], DMA_RESV_USAGE_WRITE) ?:
		      st_resv_add(&resv, f[1], DMA_RESV_USAGE_WRITE);
	if (err)
		goto out;
	dma_resv_iter_begin(&cursor, &resv, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_resv_iter_is_restarted(&cursor))
			seen = 0;
		only = fence;
		seen++;
	}
	dma_resv_iter_end(&cursor);
	err = st_expect(seen == 1) ?: st_expect(only == f[1]);
out:
	st_resv_done(&resv, f, 2);
	return err;
}

static int resv_get_fences(void)
{
	struct dma_fence *f[ARRAY_SIZE(st_all_usages)] = {}, **got = NULL;
	struct dma_resv resv;
	unsigned int n = 0, i;
	int err;

	dma_resv_init(&resv);
	err = st_resv_fill(&resv, f, st_all_usages, ARRAY_SIZE(f)) ?:
	      dma_resv_get_fences(&resv, DMA_RESV_USAGE_WRITE, &n, &got) ?:
	      st_expect(n == 2 && got) ?:
	      st_expect((got[0] == f[0] && got[1] == f[1]) ||
			(got[0] == f[1] && got[1] == f[0])) ?:
	      st_expect(kref_read(&f[0]->refcount) == 3);
	for (i = 0; i < n; i++)
		dma_fence_put(got[i]);
	kfree(got);
	st_resv_done(&resv, f, ARRAY_SIZE(f));
	if (err)
		return err;

	/* an empty object gives no array */
	got = ERR_PTR(-EFAULT);
	dma_resv_init(&resv);
	err = dma_resv_get_fences(&resv, DMA_RESV_USAGE_BOOKKEEP, &n, &got) ?:
	      st_expect(n == 0 && !got);
	dma_resv_fini(&resv);
	return err;
}

/* Zero fences: NULL; one: that fence; two: a new fence standing for both. */
static int resv_get_singleton(void)
{
	static const enum dma_resv_usage u[] = { DMA_RESV_USAGE_READ,
						 DMA_RESV_USAGE_READ };
	struct dma_fence *f[2] = {}, *one = NULL, *both = NULL;
	struct dma_fence_unwrap iter;
	struct dma_fence *fence;
	unsigned int seen = 0;
	struct dma_resv resv;
	int err;

	dma_resv_init(&resv);
	err = dma_resv_get_singleton(&resv, DMA_RESV_USAGE_READ, &one) ?:
	      st_expect(!one) ?:
	      st_resv_fill(&resv, f, u, 1) ?:
	      dma_resv_get_singleton(&resv, DMA_RESV_USAGE_READ, &one) ?:
	      st_expect(one == f[0]) ?:
	      st_resv_fill(&resv, f + 1, u + 1, 1) ?:
	      dma_resv_get_singleton(&resv, DMA_RESV_USAGE_READ, &both) ?:
	      st_expect(both && both != f[0] && both != f[1]);
	if (!err) {
		dma_fence_unwrap_for_each(fence, &iter, both)
			seen |= fence == f[0] ? 1 : fence == f[1] ? 2 : 4;
		err = st_expect(seen == 3);
	}
	dma_fence_put(both);
	dma_fence_put(one);
	st_resv_done(&resv, f, 2);
	return err;
}

static int resv_copy_fences(void)
{
	struct dma_fence *f[ARRAY_SIZE(st_all_usages)] = {}, *fence;
	struct dma_resv_iter cursor;
	struct dma_resv src, dst;
	unsigned int seen = 0;
	int err;

	dma_resv_init(&src);
	dma_resv_init(&dst);
	err = st_resv_fill(&src, f, st_all_usages, ARRAY_SIZE(f)) ?:
	      dma_resv_lock(&dst, NULL);
	if (err)
		goto out;
	err = dma_resv_copy_fences(&dst, &src);
	dma_resv_for_each_fence(&cursor, &dst, DMA_RESV_USAGE_BOOKKEEP, fence) {
		err = err ?: st_expect(fence == f[seen]) ?:
		      st_expect(dma_resv_iter_usage(&cursor) == st_all_usages[seen]);
		seen++;
	}
	dma_resv_unlock(&dst);
	err = err ?: st_expect(seen == ARRAY_SIZE(f));
out:
	dma_resv_fini(&dst);
	st_resv_done(&src, f, ARRAY_SIZE(f));
	return err;
}

static int resv_wait_timeout(void)
{
	static const enum dma_resv_usage u[] = { DMA_RESV_USAGE_KERNEL,
						 DMA_RESV_USAGE_READ };
	struct dmabuf_st_timer t;
	struct dma_fence *f[2] = {};
	struct dma_resv resv;
	int err;

	dma_resv_init(&resv);
	err = st_expect(dma_resv_wait_timeout(&resv, DMA_RESV_USAGE_BOOKKEEP,
					      false, 10) == 10) ?:
	      st_resv_fill(&resv, f, u, 2) ?:
	      st_expect(dma_resv_wait_timeout(&resv, DMA_RESV_USAGE_KERNEL,
					      false, 2) == 0);
	if (err)
		goto out;
	dma_fence_signal(f[0]);
	dmabuf_st_signal_later(&t, f[1], msecs_to_jiffies(20));
	err = st_expect(dma_resv_wait_timeout(&resv, DMA_RESV_USAGE_KERNEL,
					      false, 0) == 1) ?:
	      st_expect(dma_resv_wait_timeout(&resv, DMA_RESV_USAGE_READ,
					      false, 5 * HZ) > 0) ?:
	      st_expect(dma_fence_is_signaled(f[1]));
	dmabuf_st_timer_stop(&t);
out:
	st_resv_done(&resv, f, 2);
	return err;
}

/* Bad input: locking twice in one acquire context, trylock while held. */
static int resv_lock_errors(void)
{
	static const enum dma_resv_usage u[] = { DMA_RESV_USAGE_WRITE };
	struct ww_acquire_ctx ctx;
	struct dma_fence *f[1] = {};
	struct dma_resv resv;
	int err;

	dma_resv_init(&resv);
	err = st_resv_fill(&resv, f, u, 1);
	if (err)
		goto out;
	ww_acquire_init(&ctx, &reservation_ww_class);
	err = dma_resv_lock(&resv, &ctx);
	if (!err) {
		err = st_expect(dma_resv_lock(&resv, &ctx) == -EALREADY) ?:
		      st_expect(dma_resv_is_locked(&resv)) ?:
		      st_expect(dma_resv_locking_ctx(&resv) == &ctx) ?:
		      st_expect(!dma_resv_trylock(&resv));
		dma_resv_unlock(&resv);
	}
	ww_acquire_fini(&ctx);
	err = err ?: st_expect(!dma_resv_is_locked(&resv));
out:
	st_resv_done(&resv, f, 1);
	return err;
}

static const struct dmabuf_st_case st_resv_cases[] = {
	DMABUF_ST_CASE(resv_test_signaled_by_usage),
	DMABUF_ST_CASE(resv_iter_usage_filter),
	DMABUF_ST_CASE(resv_same_context_one_slot),
	DMABUF_ST_CASE(resv_get_fences),
	DMABUF_ST_CASE(resv_get_singleton),
	DMABUF_ST_CASE(resv_copy_fences),
	DMABUF_ST_CASE(resv_wait_timeout),
	DMABUF_ST_CASE(resv_lock_errors),
};

const struct dmabuf_st_group dmabuf_st_dma_resv = {
	.name = "dma_resv",
	.cases = st_resv_cases,
	.count = ARRAY_SIZE(st_resv_cases),
};
