/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma-buf heaps: allocators that hand userspace dma-bufs through
 * /dev/dma_heap/<name>.  See drivers/dma-buf/dma-heap.c.
 */

#ifndef _DMA_HEAPS_H
#define _DMA_HEAPS_H

#include <linux/types.h>

struct dma_buf;
struct dma_heap;

/**
 * struct dma_heap_ops - what a heap implements
 * @allocate: make a dma-buf of @len bytes (a non-zero multiple of the
 *	page size) whose fd will get @fd_flags; @heap_flags are the
 *	allocation's heap flags (none are defined yet). Returns the dma-buf
 *	or an ERR_PTR(); it must not install an fd. Called in process
 *	context, may sleep.
 */
struct dma_heap_ops {
	struct dma_buf *(*allocate)(struct dma_heap *heap,
				    unsigned long len,
				    u32 fd_flags,
				    u64 heap_flags);
};

/**
 * struct dma_heap_export_info - what dma_heap_add() needs to know
 * @name: the heap's name: its device is /dev/dma_heap/@name; must stay
 *	valid as long as the heap (heaps are never removed)
 * @ops: the heap's operations
 * @priv: the heap's own data, for dma_heap_get_drvdata()
 */
struct dma_heap_export_info {
	const char *name;
	const struct dma_heap_ops *ops;
	void *priv;
};

void *dma_heap_get_drvdata(struct dma_heap *heap);

const char *dma_heap_get_name(struct dma_heap *heap);

struct dma_heap *dma_heap_add(const struct dma_heap_export_info *exp_info);

#endif /* _DMA_HEAPS_H */
