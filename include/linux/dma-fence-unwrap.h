/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-fence-unwrap: look through fence chains and arrays.
 * See drivers/dma-buf/dma-fence-unwrap.c for the overview.
 */

#ifndef __LINUX_DMA_FENCE_UNWRAP_H
#define __LINUX_DMA_FENCE_UNWRAP_H

struct dma_fence;

/**
 * struct dma_fence_unwrap - cursor of dma_fence_unwrap_for_each()
 * @chain: the chain node (or plain fence) being visited; holds a reference
 * @array: what @chain contains: an array or a plain fence
 * @index: position in @array
 */
struct dma_fence_unwrap {
	struct dma_fence *chain;
	struct dma_fence *array;
	unsigned int index;
};

struct dma_fence *dma_fence_unwrap_first(struct dma_fence *head,
					 struct dma_fence_unwrap *cursor);
struct dma_fence *dma_fence_unwrap_next(struct dma_fence_unwrap *cursor);

/**
 * dma_fence_unwrap_for_each - visit the plain fences inside containers
 * @fence: cursor, the current plain fence (no reference of its own)
 * @cursor: a &struct dma_fence_unwrap for the walk
 * @head: a chain, an array, a chain of arrays or a plain fence
 *
 * @fence is valid until the next step; take a reference to keep it.
 */
#define dma_fence_unwrap_for_each(fence, cursor, head)			\
	for (fence = dma_fence_unwrap_first(head, cursor); fence;	\
	     fence = dma_fence_unwrap_next(cursor))

struct dma_fence *__dma_fence_unwrap_merge(unsigned int num_fences,
					   struct dma_fence **fences,
					   struct dma_fence_unwrap *cursors);

/**
 * dma_fence_unwrap_merge - one fence for all the fences given
 * @...: the fences (each may be a container); they are not consumed
 *
 * See __dma_fence_unwrap_merge().
 */
#define dma_fence_unwrap_merge(...)					\
	({								\
		struct dma_fence *__f[] = { __VA_ARGS__ };		\
		struct dma_fence_unwrap __c[ARRAY_SIZE(__f)];		\
									\
		__dma_fence_unwrap_merge(ARRAY_SIZE(__f), __f, __c);	\
	})

#endif
