// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * dmabuf_selftests group "dma_fence_unwrap": looking through containers.
 */

/**
 * DOC: dmabuf_selftests dma_fence_unwrap group
 *
 * Wraps mock fences in arrays and chains and checks that
 * dma_fence_unwrap_for_each() visits exactly the plain fences inside, in
 * order, and that dma_fence_unwrap_merge() leaves signalled fences out,
 * keeps only the latest fence of a context, returns the one pending fence
 * itself or a signalled stub when nothing is pending, flattens nested
 * containers into one array that signals after all of them, and fails
 * cleanly (NULL, nothing leaked) when its allocation fails.
 */

#include <linux/dma-fence-array.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "dmabuf-st.h"

/* An array of @a and @b (new references); NULL if out of memory. */
static struct dma_fence *st_pair(struct dma_fence *a, struct dma_fence *b)
{
	struct dma_fence **fences = kcalloc(2, sizeof(*fences), GFP_KERNEL);
	struct dma_fence_array *array;

	if (!fences)
		return NULL;
	fences[0] = dma_fence_get(a);
	fences[1] = dma_fence_get(b);
	array = dma_fence_array_create(2, fences, dma_fence_context_alloc(1),
				       1, false);
	if (array)
		return &array->base;
	dma_fence_put(a);
	dma_fence_put(b);
	kfree(fences);
	return NULL;
}

/* A chain node of point @seqno over @fence (new reference), after @prev. */
static struct dma_fence *st_link(struct dma_fence *prev, struct dma_fence *fence,
				 u64 seqno)
{
	struct dma_fence_chain *node = dma_fence_chain_alloc();

	if (!node)
		return NULL;
	dma_fence_chain_init(node, dma_fence_get(prev), dma_fence_get(fence),
			     seqno);
	return &node->base;
}

/* Does unwrapping @head give exactly @want[0..n), in that order? */
static int st_unwraps_to(struct dma_fence *head, struct dma_fence **want,
			 unsigned int n)
{
	struct dma_fence_unwrap iter;
	struct dma_fence *f;
	unsigned int i = 0;
	int err = 0;

	dma_fence_unwrap_for_each(f, &iter, head) {
		err = st_expect(i < n) ?: st_expect(f == want[i]);
		if (err) {
			/* Leaving the walk early: drop the head it holds. */
			dma_fence_put(iter.chain);
			break;
		}
		i++;
	}
	return err ?: st_expect(i == n);
}

/* Does unwrapping @head give each of @want[0..n) once, in any order? */
static int st_unwraps_to_set(struct dma_fence *head, struct dma_fence **want,
			     unsigned int n)
{
	unsigned long seen = 0;
	struct dma_fence_unwrap iter;
	struct dma_fence *f;
	unsigned int i;

	dma_fence_unwrap_for_each(f, &iter, head) {
		for (i = 0; i < n && f != want[i]; i++)
			;
		if (st_expect(i < n) || st_expect(!(seen & BIT(i)))) {
			dma_fence_put(iter.chain);
			return -EINVAL;
		}
		seen |= BIT(i);
	}
	return st_expect(seen == BIT(n) - 1);
}

static void st_put_all(struct dma_fence **f, unsigned int n)
{
	while (n--) {
		dma_fence_signal(f[n]);
		dma_fence_put(f[n]);
	}
}

static int unwrap_plain_fence(void)
{
	struct dma_fence *f = dmabuf_st_fence(0, 1);
	int err;

	if (!f)
		return -ENOMEM;
	err = st_unwraps_to(f, &f, 1);
	st_put_all(&f, 1);
	return err;
}

static int unwrap_array_in_order(void)
{
	struct dma_fence *f[2] = { dmabuf_st_fence(0, 1), dmabuf_st_fence(0, 1) };
	struct dma_fence *array = NULL;
	int err = -ENOMEM;

	if (f[0] && f[1])
		array = st_pair(f[0], f[1]);
	if (array)
		err = st_unwraps_to(array, f, 2);
	dma_fence_put(array);
	st_put_all(f, 2);
	return err;
}

/* Chain of point 2 over (c, d) after point 1 over (a, b): c, d, a, b. */
static int unwrap_chain_of_arrays(void)
{
	struct dma_fence *f[4], *want[4];
	struct dma_fence *low = NULL, *high = NULL, *one = NULL, *two = NULL;
	unsigned int i;
	int err = -ENOMEM;

	for (i = 0; i < 4; i++)
		f[i] = dmabuf_st_fence(0, 1);
	if (!f[0] || !f[1] || !f[2] || !f[3])
		goto out;
	low = st_pair(f[0], f[1]);
	high = st_pair(f[2], f[3]);
	if (low && high)
		one = st_link(NULL, low, 1);
	if (one)
		two = st_link(one, high, 2);
	if (!two)
		goto out;
	want[0] = f[2];
	want[1] = f[3];
	want[2] = f[0];
	want[3] = f[1];
	err = st_unwraps_to(two, want, 4);
out:
	dma_fence_put(two);
	dma_fence_put(one);
	dma_fence_put(high);
	dma_fence_put(low);
	st_put_all(f, 4);
	return err;
}

/* Of one context only the latest stays; alone, it is returned itself. */
static int unwrap_merge_keeps_latest(void)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *f[3] = { dmabuf_st_fence(ctx, 1), dmabuf_st_fence(ctx, 3),
				   dmabuf_st_fence(ctx, 2) };
	struct dma_fence *merged = NULL;
	int err = -ENOMEM;

	if (f[0] && f[1] && f[2])
		merged = dma_fence_unwrap_merge(f[0], f[1], f[2]);
	if (merged)
		err = st_expect(merged == f[1]);
	dma_fence_put(merged);
	st_put_all(f, 3);
	return err;
}

static int unwrap_merge_drops_signalled(void)
{
	struct dma_fence *f[3] = { dmabuf_st_fence_signaled(0, 1),
				   dmabuf_st_fence(0, 1),
				   dmabuf_st_fence_signaled(0, 1) };
	struct dma_fence *merged = NULL;
	int err = -ENOMEM;

	if (f[0] && f[1] && f[2])
		merged = dma_fence_unwrap_merge(f[0], f[1], f[2]);
	if (merged)
		err = st_expect(merged == f[1]);
	dma_fence_put(merged);
	st_put_all(f, 3);
	return err;
}

/* Nothing pending: a signalled fence stamped with the latest signal. */
static int unwrap_merge_all_signalled(void)
{
	struct dma_fence *f[2] = { dmabuf_st_fence(0, 1), dmabuf_st_fence(0, 1) };
	struct dma_fence *merged = NULL;
	int err = -ENOMEM;

	if (!f[0] || !f[1])
		goto out;
	dma_fence_signal_timestamp(f[0], ktime_set(5, 0));
	dma_fence_signal_timestamp(f[1], ktime_set(7, 0));
	merged = dma_fence_unwrap_merge(f[1], f[0]);
	if (merged)
		err = st_expect(dma_fence_is_signaled(merged)) ?:
		      st_expect(merged != f[0] && merged != f[1]) ?:
		      st_expect(ktime_compare(merged->timestamp, ktime_set(7, 0)) == 0);
out:
	dma_fence_put(merged);
	st_put_all(f, 2);
	return err;
}

/* An array and a chain merge into one flat array of their four fences. */
static int unwrap_merge_flattens(void)
{
	struct dma_fence *f[4], *pair = NULL, *one = NULL, *two = NULL;
	struct dma_fence *merged = NULL;
	unsigned int i;
	int err = -ENOMEM;

	for (i = 0; i < 4; i++)
		f[i] = dmabuf_st_fence(0, 1);
	if (!f[0] || !f[1] || !f[2] || !f[3])
		goto out;
	pair = st_pair(f[0], f[1]);
	one = st_link(NULL, f[2], 1);
	if (one)
		two = st_link(one, f[3], 2);
	if (pair && two)
		merged = dma_fence_unwrap_merge(pair, two);
	if (!merged)
		goto out;
	err = st_expect(dma_fence_is_array(merged)) ?:
	      st_unwraps_to_set(merged, f, 4);
	for (i = 0; i < 4 && !err; i++) {
		err = st_expect(!dma_fence_is_signaled(merged));
		dma_fence_signal(f[i]);
	}
	err = err ?: st_expect(dma_fence_wait_timeout(merged, false, 5 * HZ) > 0);
out:
	dma_fence_put(merged);
	dma_fence_put(two);
	dma_fence_put(one);
	dma_fence_put(pair);
	st_put_all(f, 4);
	return err;
}

/* Error path: the merge's own allocation fails; inputs are untouched. */
static int unwrap_merge_out_of_memory(void)
{
#ifdef CONFIG_FAULT_INJECTION
	struct dma_fence *f[2] = { dmabuf_st_fence(0, 1), dmabuf_st_fence(0, 1) };
	struct dma_fence *merged = NULL;
	int err = -ENOMEM;

	if (f[0] && f[1]) {
		/* the n-th dma_buf_fail_alloc() of this task fails (n = 1) */
		current->fail_nth = 1;
		merged = dma_fence_unwrap_merge(f[0], f[1]);
		err = st_expect(!current->fail_nth) ?:
		      st_expect(!merged) ?:
		      st_expect(kref_read(&f[0]->refcount) == 1) ?:
		      st_expect(kref_read(&f[1]->refcount) == 1);
		current->fail_nth = 0;
	}
	dma_fence_put(merged);
	st_put_all(f, 2);
	return err;
#else
	pr_info("dma-buf/selftests: %s needs CONFIG_FAULT_INJECTION, skipped\n",
		__func__);
	return 0;
#endif
}

static const struct dmabuf_st_case st_unwrap_cases[] = {
	DMABUF_ST_CASE(unwrap_plain_fence),
	DMABUF_ST_CASE(unwrap_array_in_order),
	DMABUF_ST_CASE(unwrap_chain_of_arrays),
	DMABUF_ST_CASE(unwrap_merge_keeps_latest),
	DMABUF_ST_CASE(unwrap_merge_drops_signalled),
	DMABUF_ST_CASE(unwrap_merge_all_signalled),
	DMABUF_ST_CASE(unwrap_merge_flattens),
	DMABUF_ST_CASE(unwrap_merge_out_of_memory),
};

const struct dmabuf_st_group dmabuf_st_dma_fence_unwrap = {
	.name = "dma_fence_unwrap",
	.cases = st_unwrap_cases,
	.count = ARRAY_SIZE(st_unwrap_cases),
};
