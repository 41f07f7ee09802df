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

/*
 * How many times a fail-nth walk retries a step whose fault went elsewhere
 * (see dma_buf_fault_absorbed()) before it counts the step as walked.
 */
#define DMA_BUF_FAULT_RETRIES	8

/**
 * dma_buf_fault_absorbed - did an allocation outside the walked path take the fault?
 * @succeeded: the walked call succeeded although the armed fail-nth ran out
 *
 * The walks in selftests/ arm ``current->fail_nth`` and expect the call to
 * fail at the n-th dma_buf_fail_alloc() point. With CONFIG_FAILSLAB or
 * CONFIG_FAIL_PAGE_ALLOC (the debug kernel) the same counter is also
 * consumed by every slab or page allocation those consider -- by default
 * the ones that cannot reclaim: a debug-objects pool refill, a KASAN stack
 * depot page. Those cope with the failure, so the walked call succeeds with
 * the fault spent. Such a step says nothing about our error path and is
 * retried. Without either option nothing else consumes the counter and a
 * success with the fault spent stays what it is: a failure the path ignored.
 *
 * Return: true if @succeeded and this kernel has such other consumers.
 */
static inline bool dma_buf_fault_absorbed(bool succeeded)
{
	return succeeded && (IS_ENABLED(CONFIG_FAILSLAB) ||
			     IS_ENABLED(CONFIG_FAIL_PAGE_ALLOC));
}

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
