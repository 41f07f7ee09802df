/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fence-hang diagnostics (CONFIG_DMA_FENCE_DEBUG_HANG), internal to this
 * directory: the hooks dma-fence.c, dma-resv.c and sync_file.c call, and
 * what dma-buf-debugfs.c and the KUnit suite use.  See dma-fence-hang.c.
 * Without the option every hook is an empty inline.  Also the fence name
 * helpers that dma-fence.c's warnings and the hang report share.
 */
#ifndef DMA_FENCE_HANG_H
#define DMA_FENCE_HANG_H

#include <linux/dma-fence.h>

struct dentry;
struct seq_file;
struct sync_file;

/*
 * Names for our own reports. dma_fence_init() warns about ops without
 * names but keeps them (6.12 BUGs): the reports must not crash on them.
 */
static inline const char *dma_fence_driver(struct dma_fence *fence)
{
	const char *(*name)(struct dma_fence *fence) =
		fence->ops->get_driver_name;

	return name ? name(fence) : "(no driver name)";
}

static inline const char *dma_fence_timeline(struct dma_fence *fence)
{
	const char *(*name)(struct dma_fence *fence) =
		fence->ops->get_timeline_name;

	return name ? name(fence) : "(no timeline name)";
}

/*
 * Bits of &dma_fence_hang.state.  The reasons are set once each and never
 * cleared: they say how the fence came to be tracked.  WARNED and IDLE are
 * the watchdog's, changed under hang_lock only (IDLE is cleared by the
 * hook of a new waiter, under it too).
 */
enum dma_fence_hang_bits {
	DMA_FENCE_HANG_TRACKED,		/* on the list, or found signalled */
	DMA_FENCE_HANG_WAITED,		/* a task slept on it */
	DMA_FENCE_HANG_CALLBACK,	/* a callback was queued */
	DMA_FENCE_HANG_RESV,		/* added to a dma-resv */
	DMA_FENCE_HANG_SYNC_FILE,	/* (a part of) a sync_file */
	DMA_FENCE_HANG_WARNED,		/* the watchdog has named it */
	DMA_FENCE_HANG_IDLE,		/* overdue, but its waiters left */
};

#define DMA_FENCE_HANG_WAITER_BITS (BIT(DMA_FENCE_HANG_WAITED) | \
				    BIT(DMA_FENCE_HANG_CALLBACK))

#ifdef CONFIG_DMA_FENCE_DEBUG_HANG

void __dma_fence_hang_track(struct dma_fence *fence, unsigned int why);
void __dma_fence_hang_untrack(struct dma_fence *fence);

/* dma_fence_init()'s initialiser of @hang: born now, tracked by nobody. */
#define DMA_FENCE_HANG_INIT(hang)					\
	{								\
		.link = LIST_HEAD_INIT((hang).link),			\
		.born = jiffies,					\
		.since = 0,						\
		.state = 0,						\
		.waiters = ATOMIC_INIT(0),				\
	}

/*
 * @why happened to @fence; the first time for this reason costs a global
 * lock, every later time one load.  So does a new waiter of a fence the
 * watchdog put aside because its waiters had left (IDLE): it is watched
 * again.
 */
static inline void dma_fence_hang_track(struct dma_fence *fence,
					unsigned int why)
{
	unsigned long mask = BIT(why);

	if (mask & DMA_FENCE_HANG_WAITER_BITS)
		mask |= BIT(DMA_FENCE_HANG_IDLE);
	if ((READ_ONCE(fence->hang.state) & mask) != BIT(why))
		__dma_fence_hang_track(fence, why);
}

/*
 * The fence signalled or is being freed: off the list.  Untracked fences,
 * the common case, pay one load.
 */
static __always_inline void dma_fence_hang_done(struct dma_fence *fence)
{
	if (unlikely(READ_ONCE(fence->hang.state)))
		__dma_fence_hang_untrack(fence);
}

/*
 * The last reference went: off the list if it never signalled.  Nobody
 * can track a fence without a reference, so only a walk of the list can
 * touch the link now.
 */
static __always_inline void dma_fence_hang_release(struct dma_fence *fence)
{
	/*
	 * _careful: a walk of the list may be unlinking it right now (it
	 * signalled behind the core's back); empty only once both pointers
	 * are back, or that walk would write to freed memory.
	 */
	if (unlikely(READ_ONCE(fence->hang.state)) &&
	    !list_empty_careful(&fence->hang.link))
		__dma_fence_hang_untrack(fence);
}

/*
 * A task starts and ends sleeping on @fence.  Counted before it looks for
 * IDLE: see hang_set_idle().
 */
static inline void dma_fence_hang_wait_begin(struct dma_fence *fence)
{
	atomic_inc(&fence->hang.waiters);
	/* pairs with hang_set_idle()'s: the count, then IDLE */
	smp_mb__after_atomic();
	dma_fence_hang_track(fence, DMA_FENCE_HANG_WAITED);
}

static inline void dma_fence_hang_wait_end(struct dma_fence *fence)
{
	atomic_dec(&fence->hang.waiters);
}

void dma_fence_hang_debugfs_init(struct dentry *dir);

/* sync_file.c: the list of open sync_files, and what they hold. */
void sync_file_hang_add(struct sync_file *sf);
void sync_file_hang_del(struct sync_file *sf);
unsigned int sync_file_hang_describe(struct seq_file *s,
				     struct dma_fence *fence);

/* dma-buf-debugfs.c: the exported buffers whose resv holds @fence. */
int dma_buf_list_describe_resv(struct seq_file *s, struct dma_fence *fence);

/* For the KUnit suite. */
unsigned int dma_fence_hang_scan(u64 context, struct dma_fence **out,
				 unsigned int max);
int dma_fence_hang_print(struct seq_file *s, u64 context);
void dma_fence_hang_puts(struct seq_file *s, const char *str);
unsigned int dma_fence_hang_set_timeout(unsigned int ms);
unsigned long dma_fence_hang_warnings(void);

/* What the watchdog has done since boot (dma_fence_hang_watch_stats()). */
struct dma_fence_hang_stats {
	unsigned long passes;	/* runs that looked at the list */
	unsigned long looked;	/* fences those runs looked at */
	unsigned long lines;	/* lines they printed */
	bool running;		/* a pass is between two of its chunks */
};

void dma_fence_hang_watch_stats(struct dma_fence_hang_stats *st);

#else

static inline void dma_fence_hang_track(struct dma_fence *fence,
					unsigned int why) { }
static inline void dma_fence_hang_done(struct dma_fence *fence) { }
static inline void dma_fence_hang_release(struct dma_fence *fence) { }
static inline void dma_fence_hang_wait_begin(struct dma_fence *fence) { }
static inline void dma_fence_hang_wait_end(struct dma_fence *fence) { }
static inline void dma_fence_hang_debugfs_init(struct dentry *dir) { }
static inline void sync_file_hang_add(struct sync_file *sf) { }
static inline void sync_file_hang_del(struct sync_file *sf) { }

#endif /* CONFIG_DMA_FENCE_DEBUG_HANG */

#endif /* DMA_FENCE_HANG_H */
