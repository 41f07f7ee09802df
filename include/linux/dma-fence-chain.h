/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-fence-chain: the points of a timeline, one fence per point.
 * See drivers/dma-buf/dma-fence-chain.c for the overview.
 */

#ifndef __LINUX_DMA_FENCE_CHAIN_H
#define __LINUX_DMA_FENCE_CHAIN_H

#include <linux/dma-fence.h>
#include <linux/irq_work.h>
#include <linux/slab.h>

/**
 * struct dma_fence_chain - one point of a timeline
 * @base: the point's own fence; signals when @fence and every older point
 *	have signalled
 * @prev: the older point (a chain node or a plain fence), NULL at the end;
 *	read under RCU, replaced only by cmpxchg
 * @prev_seqno: @prev's seqno when it shares our context, else 0
 * @fence: the fence this point waits for
 * @cb: waits on one pending fence of the chain (internal)
 * @work: re-arms @cb or signals @base, outside fence callbacks (internal);
 *	shares memory with @cb, the two are never live together
 * @lock: @base's lock; guards nothing else
 */
struct dma_fence_chain {
	struct dma_fence base;
	struct dma_fence __rcu *prev;
	u64 prev_seqno;
	struct dma_fence *fence;
	union {
		struct dma_fence_cb cb;
		struct irq_work work;
	};
	spinlock_t lock;	/* @base's lock, see above */
};

/**
 * to_dma_fence_chain - the chain node behind a fence, if it is one
 * @fence: any fence, or NULL
 *
 * Returns: the &struct dma_fence_chain embedding @fence, or NULL.
 */
static inline struct dma_fence_chain *
to_dma_fence_chain(struct dma_fence *fence)
{
	if (!fence || !dma_fence_is_chain(fence))
		return NULL;

	return container_of(fence, struct dma_fence_chain, base);
}

/**
 * dma_fence_chain_contained - the fence a chain node waits for
 * @fence: a chain node or any other fence
 *
 * Returns: @fence's &dma_fence_chain.fence if it is a chain node, else
 * @fence itself. No reference is taken.
 */
static inline struct dma_fence *
dma_fence_chain_contained(struct dma_fence *fence)
{
	struct dma_fence_chain *chain = to_dma_fence_chain(fence);

	return chain ? chain->fence : fence;
}

/**
 * dma_fence_chain_alloc - allocate a chain node
 *
 * Returns: uninitialised memory for dma_fence_chain_init(), or NULL. Free it
 * with dma_fence_chain_free() if it is never initialised.
 */
#define dma_fence_chain_alloc()						\
	({								\
		struct dma_fence_chain *__chain;			\
									\
		__chain = kmalloc(sizeof(*__chain), GFP_KERNEL);	\
		__chain;						\
	})

/**
 * dma_fence_chain_free - free a chain node that was never initialised
 * @chain: from dma_fence_chain_alloc()
 *
 * Once initialised, a node is freed by dropping its last reference.
 */
static inline void dma_fence_chain_free(struct dma_fence_chain *chain)
{
	kfree(chain);
};

/**
 * dma_fence_chain_for_each - visit a chain from the newest node down
 * @iter: cursor; holds a reference to the current node
 * @head: where to start (any fence)
 *
 * Signalled nodes are unlinked as the walk passes them. Breaking out of the
 * loop leaves the reference in @iter to the caller.
 */
#define dma_fence_chain_for_each(iter, head)	\
	for (iter = dma_fence_get(head); iter; \
	     iter = dma_fence_chain_walk(iter))

struct dma_fence *dma_fence_chain_walk(struct dma_fence *fence);
int dma_fence_chain_find_seqno(struct dma_fence **pfence, uint64_t seqno);
void dma_fence_chain_init(struct dma_fence_chain *chain,
			  struct dma_fence *prev,
			  struct dma_fence *fence,
			  uint64_t seqno);

#endif /* __LINUX_DMA_FENCE_CHAIN_H */
