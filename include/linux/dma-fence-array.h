/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-fence-array: one fence standing for a set of fences.
 * See drivers/dma-buf/dma-fence-array.c for the overview.
 */

#ifndef __LINUX_DMA_FENCE_ARRAY_H
#define __LINUX_DMA_FENCE_ARRAY_H

#include <linux/dma-fence.h>
#include <linux/irq_work.h>

/**
 * struct dma_fence_array_cb - a component's callback slot
 * @cb: hangs on the component fence once signalling is enabled
 * @array: the array it reports to
 */
struct dma_fence_array_cb {
	struct dma_fence_cb cb;
	struct dma_fence_array *array;
};

/**
 * struct dma_fence_array - a fence for a set of fences
 * @base: the array's own fence
 * @lock: @base's lock; guards nothing else
 * @num_fences: number of components in @fences
 * @num_pending: components not yet counted as signalled (internal)
 * @fences: the components; the array owns the array and one reference per
 *	entry until it is released
 * @work: signals @base outside the components' callbacks (internal)
 * @callbacks: one slot per component
 */
struct dma_fence_array {
	struct dma_fence base;

	spinlock_t lock;	/* @base's lock, see above */
	unsigned int num_fences;
	atomic_t num_pending;
	struct dma_fence **fences;

	struct irq_work work;

	struct dma_fence_array_cb callbacks[] __counted_by(num_fences);
};

/**
 * to_dma_fence_array - the array behind a fence, if it is one
 * @fence: any fence, or NULL
 *
 * Returns: the &struct dma_fence_array embedding @fence, or NULL if @fence is
 * NULL or not an array.
 */
static inline struct dma_fence_array *
to_dma_fence_array(struct dma_fence *fence)
{
	if (!fence || !dma_fence_is_array(fence))
		return NULL;

	return container_of(fence, struct dma_fence_array, base);
}

/**
 * dma_fence_array_for_each - visit the components of an array
 * @fence: cursor, the current component
 * @index: cursor, the current position
 * @head: an array, or any other fence (visited once as itself)
 *
 * No references are taken: @head must be held for the whole loop.
 */
#define dma_fence_array_for_each(fence, index, head)			\
	for (index = 0, fence = dma_fence_array_first(head); fence;	\
	     ++(index), fence = dma_fence_array_next(head, index))

struct dma_fence_array *dma_fence_array_alloc(int num_fences);
void dma_fence_array_init(struct dma_fence_array *array,
			  int num_fences, struct dma_fence **fences,
			  u64 context, unsigned int seqno,
			  bool signal_on_any);

struct dma_fence_array *dma_fence_array_create(int num_fences,
					       struct dma_fence **fences,
					       u64 context, unsigned int seqno,
					       bool signal_on_any);

bool dma_fence_match_context(struct dma_fence *fence, u64 context);

struct dma_fence *dma_fence_array_first(struct dma_fence *head);
struct dma_fence *dma_fence_array_next(struct dma_fence *head,
				       unsigned int index);

#endif /* __LINUX_DMA_FENCE_ARRAY_H */
