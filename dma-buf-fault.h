/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Allocation fault injection and race windows for drivers/dma-buf's own
 * tests (internal, not uAPI).
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

/**
 * DOC: race windows
 *
 * Some lock-free paths are only wrong if another CPU acts within a few
 * instructions, which no test hits reliably. Such a path calls
 * dma_buf_race_window() at the point where a concurrent actor would do
 * harm, naming the site and the object. When the KUnit suites are built
 * into the kernel, a case may install ``dma_buf_race_hook`` and act on the
 * object from inside the window (signal another fence, drop a reference),
 * which turns the race into a deterministic sequence. In every other build
 * the call compiles to nothing, so production kernels carry no hook.
 *
 * Locking: the hook runs in the context of the path that opened the
 * window, often under a fence lock with interrupts off: it must not sleep,
 * except at the sites outside any lock and RCU section, where the caller
 * could sleep too ("resv-iter-advance", "resv-get-fences"; not
 * "resv-copy-fences", which is inside RCU).
 * Cases install and clear it from the KUnit thread; the sites only read it.
 */
#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
extern void (*dma_buf_race_hook)(const char *site, void *object);

static inline void dma_buf_race_window(const char *site, void *object)
{
	void (*hook)(const char *site, void *object) =
		READ_ONCE(dma_buf_race_hook);

	if (hook)
		hook(site, object);
}
#else
static inline void dma_buf_race_window(const char *site, void *object)
{
}
#endif

#endif /* DMA_BUF_FAULT_H */
