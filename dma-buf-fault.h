/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Allocation fault injection for drivers/dma-buf (internal, not uAPI).
 */

/**
 * DOC: allocation fault injection
 *
 * Every allocation that the fence containers and dma-resv make on behalf of
 * a caller first asks dma_buf_fail_alloc(). With CONFIG_FAULT_INJECTION it
 * consults one fault attribute shared by the directory, so the per-task
 * ``fail-nth`` knob (``/proc/<pid>/task/<tid>/fail-nth``, or
 * ``current->fail_nth`` from a KUnit case) makes the n-th such allocation
 * of that task fail: the error paths can be walked one allocation at a time
 * from userspace or from a test, without touching the slab allocator's own
 * fault injection. Without CONFIG_FAULT_INJECTION it is constant false.
 *
 * Locking: none; callable from any context that may allocate.
 */

#ifndef DMA_BUF_FAULT_H
#define DMA_BUF_FAULT_H

#include <linux/fault-inject.h>

#ifdef CONFIG_FAULT_INJECTION
bool dma_buf_fail_alloc(void);
#else
static inline bool dma_buf_fail_alloc(void)
{
	return false;
}
#endif

#endif /* DMA_BUF_FAULT_H */
