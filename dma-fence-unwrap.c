// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-fence-unwrap: look through fence chains and arrays.
 */

#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/export.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "dma-buf-fault.h"

/**
 * DOC: unwrapping containers
 *
 * Containers nest at most two deep: a chain whose nodes contain arrays of
 * plain fences (arrays and chains refuse containers as components).
 * dma_fence_unwrap_for_each() visits the plain fences of such a structure,
 * newest chain node first, array components in order::
 *
 *	struct dma_fence_unwrap cursor;
 *	struct dma_fence *f;
 *
 *	dma_fence_unwrap_for_each(f, &cursor, head)
 *		if (!dma_fence_is_signaled(f))
 *			pending++;
 *
 * dma_fence_unwrap_merge() turns any number of fences, containers or not,
 * into the smallest single fence that signals when all of them have: the
 * plain fences still pending, only the latest of each context, in one
 * array. sync_file merges and syncobj exports are built on it.
 *
 * Locking: none. The cursor holds a reference to the chain node it is on;
 * the fences it yields are only valid while it stays there.
 */

/*
 * Settle the cursor on the first plain fence at or after the node in
 * @cursor->chain, moving down the chain past containers with nothing in
 * them. Returns NULL (and holds nothing) at the end.
 */
static struct dma_fence *unwrap_settle(struct dma_fence_unwrap *cursor)
{
	struct dma_fence *fence;

	for (; cursor->chain;
	     cursor->chain = dma_fence_chain_walk(cursor->chain)) {
		cursor->array = dma_fence_chain_contained(cursor->chain);
		cursor->index = 0;
		fence = dma_fence_array_first(cursor->array);
		if (fence)
			return fence;
	}
	return NULL;
}

/**
 * dma_fence_unwrap_first - start of dma_fence_unwrap_for_each()
 * @head: where to start: a chain, an array or a plain fence
 * @cursor: the cursor to set up
 *
 * Returns: the first plain fence inside @head, or NULL if there is none.
 * No reference is taken on it; @cursor holds one on the current chain
 * node until the walk ends.
 */
struct dma_fence *dma_fence_unwrap_first(struct dma_fence *head,
					 struct dma_fence_unwrap *cursor)
{
	cursor->chain = dma_fence_get(head);
	return unwrap_settle(cursor);
}
EXPORT_SYMBOL_GPL(dma_fence_unwrap_first);

/**
 * dma_fence_unwrap_next - step of dma_fence_unwrap_for_each()
 * @cursor: the cursor dma_fence_unwrap_first() set up
 *
 * Returns: the next plain fence, or NULL once the containers are exhausted
 * (the cursor then holds no reference any more).
 */
struct dma_fence *dma_fence_unwrap_next(struct dma_fence_unwrap *cursor)
{
	struct dma_fence *fence;

	fence = dma_fence_array_next(cursor->array, ++cursor->index);
	if (fence)
		return fence;

	cursor->chain = dma_fence_chain_walk(cursor->chain);
	return unwrap_settle(cursor);
}
EXPORT_SYMBOL_GPL(dma_fence_unwrap_next);

/*
 * One pass over everything the merge was given. Pending fences are counted
 * and, if @pending is given, stored with a reference, at most @room of
 * them. Signalled ones only push *@latest forward.
 */
static unsigned int merge_scan(unsigned int num_fences,
			       struct dma_fence **fences,
			       struct dma_fence_unwrap *cursors,
			       struct dma_fence **pending, unsigned int room,
			       ktime_t *latest)
{
	unsigned int i, found = 0;
	struct dma_fence *fence;

	for (i = 0; i < num_fences; i++) {
		dma_fence_unwrap_for_each(fence, &cursors[i], fences[i]) {
			if (dma_fence_is_signaled(fence))
				*latest = max(*latest, dma_fence_timestamp(fence));
			else if (!pending)
				found++;
			else if (found < room)
				pending[found++] = dma_fence_get(fence);
		}
	}
	return found;
}

static int merge_by_context(const void *a, const void *b)
{
	const struct dma_fence *fa = *(const struct dma_fence * const *)a;
	const struct dma_fence *fb = *(const struct dma_fence * const *)b;

	if (fa->context == fb->context)
		return 0;
	return fa->context < fb->context ? -1 : 1;
}

/*
 * Keep the latest fence of each context and drop the references to the
 * others. Within a context the latest is found by a linear scan with
 * dma_fence_is_later() rather than by the sort, as 32-bit seqnos wrap and
 * "later" is then no total order. Returns the new count.
 */
static unsigned int merge_keep_latest(struct dma_fence **fences,
				      unsigned int count)
{
	unsigned int i, kept = 0;

	sort(fences, count, sizeof(*fences), merge_by_context, NULL);
	for (i = 0; i < count; i++) {
		struct dma_fence *last = kept ? fences[kept - 1] : NULL;

		if (!last || last->context != fences[i]->context) {
			fences[kept++] = fences[i];
			continue;
		}
		if (dma_fence_is_later(fences[i], last))
			swap(fences[kept - 1], fences[i]);
		dma_fence_put(fences[i]);
	}
	return kept;
}

/**
 * __dma_fence_unwrap_merge - one fence standing for many
 * @num_fences: number of entries in @fences
 * @fences: the fences to merge; chains and arrays are looked through.
 *	Their references stay with the caller.
 * @cursors: scratch space, one cursor per entry of @fences
 *
 * Use it through dma_fence_unwrap_merge(). Signalled fences are left out,
 * and of several pending fences of one context only the latest is kept. The
 * cost is O(n log n) in the number of plain fences found.
 *
 * Returns: a new reference to
 *
 * - an already signalled private fence whose timestamp is the latest of the
 *   signalled inputs, if nothing is pending;
 * - the one pending fence itself, if there is exactly one;
 * - otherwise a new signal-on-all &struct dma_fence_array of the fences
 *   kept, on a new context;
 *
 * or NULL if out of memory, in which case nothing has changed.
 */
struct dma_fence *__dma_fence_unwrap_merge(unsigned int num_fences,
					   struct dma_fence **fences,
					   struct dma_fence_unwrap *cursors)
{
	struct dma_fence_array *array;
	struct dma_fence **pending;
	ktime_t latest = 0;
	unsigned int count;

	count = merge_scan(num_fences, fences, cursors, NULL, 0, &latest);
	if (!count)
		return dma_fence_allocate_private_stub(latest);

	if (dma_buf_fail_alloc())
		return NULL;
	pending = kmalloc_array(count, sizeof(*pending), GFP_KERNEL);
	if (!pending)
		return NULL;

	/* Fences only ever signal, so the second pass finds no more. */
	count = merge_scan(num_fences, fences, cursors, pending, count,
			   &latest);
	count = merge_keep_latest(pending, count);

	if (count <= 1) {
		struct dma_fence *only = count ? pending[0] :
				dma_fence_allocate_private_stub(latest);

		kfree(pending);
		return only;
	}

	array = dma_fence_array_create(count, pending,
				       dma_fence_context_alloc(1), 1, false);
	if (array)
		return &array->base;

	while (count--)
		dma_fence_put(pending[count]);
	kfree(pending);
	return NULL;
}
EXPORT_SYMBOL_GPL(__dma_fence_unwrap_merge);
