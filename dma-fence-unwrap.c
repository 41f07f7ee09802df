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

/* What one pass of the merge over its inputs found. */
struct merge_pass {
	struct dma_fence **pending;	/* NULL: only count */
	unsigned int found, room;
	ktime_t latest;			/* of the signalled fences seen */
};

static void merge_leaf(struct merge_pass *pass, struct dma_fence *fence)
{
	if (dma_fence_is_signaled(fence))
		pass->latest = max(pass->latest, dma_fence_timestamp(fence));
	else if (!pass->pending)
		pass->found++;
	else if (pass->found < pass->room)
		pass->pending[pass->found++] = dma_fence_get(fence);
}

/*
 * The plain fences of @head in dma_fence_unwrap_for_each() order, walked
 * here directly: no cursor, and no call out of this file per fence. The
 * chain walk holds a reference on the node whose contents are visited.
 */
static void merge_input(struct merge_pass *pass, struct dma_fence *head)
{
	struct dma_fence *node, *leaf;
	struct dma_fence_array *array;
	unsigned int i;

	dma_fence_chain_for_each(node, head) {
		leaf = dma_fence_chain_contained(node);
		array = to_dma_fence_array(leaf);
		if (!array) {
			merge_leaf(pass, leaf);
			continue;
		}
		for (i = 0; i < array->num_fences; i++)
			merge_leaf(pass, array->fences[i]);
	}
}

static void merge_scan(struct merge_pass *pass, unsigned int num_fences,
		       struct dma_fence **fences)
{
	unsigned int i;

	for (i = 0; i < num_fences; i++)
		merge_input(pass, fences[i]);
}

/* End of the run of non-decreasing contexts in @v that starts at @lo. */
static unsigned int merge_run_end(struct dma_fence **v, unsigned int lo,
				  unsigned int n)
{
	while (++lo < n && v[lo - 1]->context <= v[lo]->context)
		;
	return lo;
}

/*
 * Sort @v by context, stably, using @tmp as the other buffer; returns the
 * buffer that holds the result. A natural merge sort: the inputs are
 * mostly arrays, and arrays made by a merge are sorted, so k inputs are
 * about k runs and take log2(k) linear passes, none if already sorted.
 */
static struct dma_fence **merge_sort(struct dma_fence **v,
				     struct dma_fence **tmp, unsigned int n)
{
	while (merge_run_end(v, 0, n) < n) {
		unsigned int lo = 0;

		while (lo < n) {
			unsigned int mid = merge_run_end(v, lo, n);
			unsigned int hi = mid < n ? merge_run_end(v, mid, n) : n;
			unsigned int i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				tmp[k++] = v[j]->context < v[i]->context ?
					   v[j++] : v[i++];
			while (i < mid)
				tmp[k++] = v[i++];
			while (j < hi)
				tmp[k++] = v[j++];
			lo = hi;
		}
		swap(v, tmp);
	}
	return v;
}

/*
 * From @sorted (by context), keep the latest fence of each context in @out
 * (which may be @sorted itself) and drop the references to the others.
 * Within a context the latest is found by a linear scan with
 * dma_fence_is_later() rather than by the sort, as 32-bit seqnos wrap and
 * "later" is then no total order. Returns the new count.
 */
static unsigned int merge_keep_latest(struct dma_fence **out,
				      struct dma_fence **sorted,
				      unsigned int count)
{
	unsigned int i, kept = 0;

	for (i = 0; i < count; i++) {
		struct dma_fence *fence = sorted[i];

		if (kept && out[kept - 1]->context == fence->context) {
			if (dma_fence_is_later(fence, out[kept - 1]))
				swap(out[kept - 1], fence);
			dma_fence_put(fence);
			continue;
		}
		out[kept++] = fence;
	}
	return kept;
}

/* Sorting this many fences needs no allocation. */
#define MERGE_SORT_ONSTACK	16

/**
 * __dma_fence_unwrap_merge - one fence standing for many
 * @num_fences: number of entries in @fences
 * @fences: the fences to merge; chains and arrays are looked through.
 *	Their references stay with the caller.
 * @cursors: scratch space, one cursor per entry of @fences (6.12's
 *	interface; this implementation walks the inputs without cursors)
 *
 * Use it through dma_fence_unwrap_merge(). Signalled fences are left out,
 * and of several pending fences of one context only the latest is kept. The
 * cost is linear in the number n of plain fences found when the inputs are
 * sorted by context (as arrays made by a merge are), O(n log k) for k such
 * inputs, and O(n log n) at worst.
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
	struct dma_fence *onstack[MERGE_SORT_ONSTACK], **tmp = onstack;
	struct merge_pass pass = { .latest = 0 };
	struct dma_fence_array *array;
	struct dma_fence **pending, **sorted;
	unsigned int count;

	merge_scan(&pass, num_fences, fences);
	if (!pass.found)
		return dma_fence_allocate_private_stub(pass.latest);

	if (dma_buf_fail_alloc())
		return NULL;
	pending = kmalloc_array(pass.found, sizeof(*pending), GFP_KERNEL);
	if (!pending)
		return NULL;

	/* Fences only ever signal, so the second pass finds no more. */
	pass.pending = pending;
	pass.room = pass.found;
	pass.found = 0;
	merge_scan(&pass, num_fences, fences);
	count = pass.found;

	/* Scratch for the sort, only if the fences are not in order yet. */
	if (count > MERGE_SORT_ONSTACK && merge_run_end(pending, 0, count) < count) {
		tmp = dma_buf_fail_alloc() ? NULL :
		      kmalloc_array(count, sizeof(*tmp), GFP_KERNEL);
		if (!tmp)
			goto fail;
	}
	sorted = merge_sort(pending, tmp, count);
	count = merge_keep_latest(pending, sorted, count);
	if (tmp != onstack)
		kfree(tmp);

	if (count <= 1) {
		struct dma_fence *only = count ? pending[0] :
				dma_fence_allocate_private_stub(pass.latest);

		kfree(pending);
		return only;
	}

	array = dma_fence_array_create(count, pending,
				       dma_fence_context_alloc(1), 1, false);
	if (array)
		return &array->base;
fail:
	while (count--)
		dma_fence_put(pending[count]);
	kfree(pending);
	return NULL;
}
EXPORT_SYMBOL_GPL(__dma_fence_unwrap_merge);
