/* SPDX-License-Identifier: MIT */
/*
 * dma-resv: reservation objects, the fences of a shared buffer.
 * See drivers/dma-buf/dma-resv.c for the overview.
 */
#ifndef _LINUX_RESERVATION_H
#define _LINUX_RESERVATION_H

#include <linux/ww_mutex.h>
#include <linux/dma-fence.h>
#include <linux/slab.h>
#include <linux/seqlock.h>
#include <linux/rcupdate.h>

extern struct ww_class reservation_ww_class;

struct dma_resv_list;

/**
 * enum dma_resv_usage - what a fence in a reservation object stands for
 *
 * Classes are ordered by how strongly others must wait for them. A query
 * for one class also returns the fences of every class before it, so
 * asking for READ gives KERNEL, WRITE and READ fences.
 *
 * @DMA_RESV_USAGE_KERNEL: kernel-internal work on the memory itself (a
 *	clear, a move, a page table update); everyone waits for it.
 * @DMA_RESV_USAGE_WRITE: implicitly synchronised writes; readers and other
 *	writers wait for them.
 * @DMA_RESV_USAGE_READ: implicitly synchronised reads; writers wait for
 *	them.
 * @DMA_RESV_USAGE_BOOKKEEP: work that synchronises explicitly (through
 *	sync_file, syncobj...) and is tracked here only so that memory
 *	management, e.g. eviction, waits for it.
 */
enum dma_resv_usage {
	DMA_RESV_USAGE_KERNEL,
	DMA_RESV_USAGE_WRITE,
	DMA_RESV_USAGE_READ,
	DMA_RESV_USAGE_BOOKKEEP
};

/**
 * dma_resv_usage_rw - the class an implicitly synchronised access waits for
 * @write: true for a write access
 *
 * A writer must wait for everyone, readers included, so it asks for READ
 * (which covers KERNEL, WRITE and READ); a reader only has to wait for
 * writers and asks for WRITE.
 *
 * Returns: the usage to pass to the queries and iterators.
 */
static inline enum dma_resv_usage dma_resv_usage_rw(bool write)
{
	return write ? DMA_RESV_USAGE_READ : DMA_RESV_USAGE_WRITE;
}

/**
 * struct dma_resv - a reservation object
 * @lock: the ww_mutex of ``reservation_ww_class`` that writers hold
 * @fences: the fence table; changed under @lock, readable under RCU
 */
struct dma_resv {
	struct ww_mutex lock;
	struct dma_resv_list __rcu *fences;
};

/**
 * struct dma_resv_iter - cursor of the dma_resv_for_each_fence*() loops
 * @obj: the object walked
 * @usage: the widest class returned
 * @fence: the current fence (the unlocked walk holds a reference to it)
 * @fence_usage: the class of @fence
 * @index: next table slot to look at
 * @fences: the table walked
 * @generation: which table @fences was when the walk took it (unlocked
 *	walks): the address alone can come back for a new table
 * @num_fences: slots of @fences the walk covers
 * @is_restarted: true on the first fence of a (re)started walk
 *
 * Only @obj, @usage and @fence may be touched outside dma-resv.c, and only
 * through dma_resv_iter_begin() and the helpers below.
 */
struct dma_resv_iter {
	struct dma_resv *obj;
	enum dma_resv_usage usage;
	struct dma_fence *fence;
	enum dma_resv_usage fence_usage;
	unsigned int index;
	struct dma_resv_list *fences;
	u32 generation;
	unsigned int num_fences;
	bool is_restarted;
};

struct dma_fence *dma_resv_iter_first_unlocked(struct dma_resv_iter *iter);
struct dma_fence *dma_resv_iter_next_unlocked(struct dma_resv_iter *iter);
struct dma_fence *dma_resv_iter_first(struct dma_resv_iter *iter);
struct dma_fence *dma_resv_iter_next(struct dma_resv_iter *iter);

/**
 * dma_resv_iter_begin - set a iter up
 * @iter: the iter
 * @resv: the object to walk
 * @usage: the widest class to return
 */
static inline void dma_resv_iter_begin(struct dma_resv_iter *iter,
				       struct dma_resv *resv,
				       enum dma_resv_usage usage)
{
	iter->obj = resv;
	iter->usage = usage;
	iter->fence = NULL;
}

/**
 * dma_resv_iter_end - finish an unlocked walk
 * @iter: the iter
 *
 * Drops the reference the unlocked walk may still hold, e.g. after a break.
 */
static inline void dma_resv_iter_end(struct dma_resv_iter *iter)
{
	dma_fence_put(iter->fence);
}

/**
 * dma_resv_iter_usage - the class of the current fence
 * @iter: the iter
 *
 * Returns: the &enum dma_resv_usage the current fence was added with.
 */
static inline enum dma_resv_usage
dma_resv_iter_usage(struct dma_resv_iter *iter)
{
	return iter->fence_usage;
}

/**
 * dma_resv_iter_is_restarted - did the walk start over?
 * @iter: the iter
 *
 * An unlocked walk starts over when the object's table changes under it;
 * whatever was gathered from the earlier fences must then be discarded.
 *
 * Returns: true if the current fence is the first of a (re)started walk.
 */
static inline bool dma_resv_iter_is_restarted(struct dma_resv_iter *iter)
{
	return iter->is_restarted;
}

/**
 * dma_resv_for_each_fence_unlocked - walk the pending fences without the lock
 * @iter: a iter set up with dma_resv_iter_begin()
 * @fence: the current fence
 *
 * Only fences that have not signalled are returned. The walk may restart
 * (see dma_resv_iter_is_restarted()). Close it with dma_resv_iter_end().
 */
#define dma_resv_for_each_fence_unlocked(iter, fence)			\
	for (fence = dma_resv_iter_first_unlocked(iter);		\
	     fence; fence = dma_resv_iter_next_unlocked(iter))

/**
 * dma_resv_for_each_fence - walk all fences with the lock held
 * @iter: a &struct dma_resv_iter
 * @resv: the object, locked
 * @usage: the widest class to return
 * @fence: the current fence, signalled ones included; no reference held
 */
#define dma_resv_for_each_fence(iter, resv, usage, fence)	\
	for (dma_resv_iter_begin(iter, resv, usage),	\
	     fence = dma_resv_iter_first(iter); fence;	\
	     fence = dma_resv_iter_next(iter))

#define dma_resv_held(resv) lockdep_is_held(&(resv)->lock.base)
#define dma_resv_assert_held(resv) lockdep_assert_held(&(resv)->lock.base)

#ifdef CONFIG_DEBUG_MUTEXES
void dma_resv_reset_max_fences(struct dma_resv *resv);
#else
static inline void dma_resv_reset_max_fences(struct dma_resv *resv) {}
#endif

/**
 * dma_resv_lock - lock a reservation object
 * @resv: the object
 * @ctx: the acquire context, or NULL to lock a single object
 *
 * With a context, objects can be locked in any order: on a conflict with an
 * older context this returns -EDEADLK and the caller must drop all its
 * locks of @ctx, then take this one with dma_resv_lock_slow().
 *
 * Returns: 0, -EDEADLK, or -EALREADY if @ctx already holds @resv.
 */
static inline int dma_resv_lock(struct dma_resv *resv,
				struct ww_acquire_ctx *ctx)
{
	return ww_mutex_lock(&resv->lock, ctx);
}

/**
 * dma_resv_lock_interruptible - dma_resv_lock(), interruptible by signals
 * @resv: the object
 * @ctx: the acquire context, or NULL
 *
 * Returns: as dma_resv_lock(), or -EINTR if a signal arrived.
 */
static inline int dma_resv_lock_interruptible(struct dma_resv *resv,
					      struct ww_acquire_ctx *ctx)
{
	return ww_mutex_lock_interruptible(&resv->lock, ctx);
}

/**
 * dma_resv_lock_slow - lock the object that made dma_resv_lock() back off
 * @resv: the object that returned -EDEADLK
 * @ctx: the acquire context, holding no other lock now
 */
static inline void dma_resv_lock_slow(struct dma_resv *resv,
				      struct ww_acquire_ctx *ctx)
{
	ww_mutex_lock_slow(&resv->lock, ctx);
}

/**
 * dma_resv_lock_slow_interruptible - dma_resv_lock_slow(), interruptible
 * @resv: the object that returned -EDEADLK
 * @ctx: the acquire context, holding no other lock now
 *
 * Returns: 0, or -EINTR if a signal arrived.
 */
static inline int dma_resv_lock_slow_interruptible(struct dma_resv *resv,
						   struct ww_acquire_ctx *ctx)
{
	return ww_mutex_lock_slow_interruptible(&resv->lock, ctx);
}

/**
 * dma_resv_trylock - lock the object if it is free
 * @resv: the object
 *
 * Returns: true if the lock was taken (without an acquire context).
 */
static inline bool __must_check dma_resv_trylock(struct dma_resv *resv)
{
	return ww_mutex_trylock(&resv->lock, NULL);
}

/**
 * dma_resv_is_locked - is anyone holding the object?
 * @resv: the object
 *
 * Returns: true if it is locked, by whoever.
 */
static inline bool dma_resv_is_locked(struct dma_resv *resv)
{
	return ww_mutex_is_locked(&resv->lock);
}

/**
 * dma_resv_locking_ctx - the acquire context holding the object
 * @resv: the object
 *
 * Returns: the context, or NULL if unlocked or locked without one. Only
 * meaningful to compare with the caller's own context.
 */
static inline struct ww_acquire_ctx *dma_resv_locking_ctx(struct dma_resv *resv)
{
	return READ_ONCE(resv->lock.ctx);
}

/**
 * dma_resv_unlock - unlock a reservation object
 * @resv: the object
 *
 * Fence slots reserved and not used are given back (with
 * CONFIG_DEBUG_MUTEXES), so a missing dma_resv_reserve_fences() is caught.
 */
static inline void dma_resv_unlock(struct dma_resv *resv)
{
	dma_resv_reset_max_fences(resv);
	ww_mutex_unlock(&resv->lock);
}

void dma_resv_init(struct dma_resv *resv);
void dma_resv_fini(struct dma_resv *resv);
int dma_resv_reserve_fences(struct dma_resv *resv, unsigned int num_fences);
void dma_resv_add_fence(struct dma_resv *resv, struct dma_fence *fence,
			enum dma_resv_usage usage);
void dma_resv_replace_fences(struct dma_resv *resv, uint64_t context,
			     struct dma_fence *fence,
			     enum dma_resv_usage usage);
int dma_resv_get_fences(struct dma_resv *resv, enum dma_resv_usage usage,
			unsigned int *num_fences, struct dma_fence ***fences);
int dma_resv_get_singleton(struct dma_resv *resv, enum dma_resv_usage usage,
			   struct dma_fence **fence);
int dma_resv_copy_fences(struct dma_resv *dst, struct dma_resv *src);
long dma_resv_wait_timeout(struct dma_resv *resv, enum dma_resv_usage usage,
			   bool intr, unsigned long timeout);
void dma_resv_set_deadline(struct dma_resv *resv, enum dma_resv_usage usage,
			   ktime_t deadline);
bool dma_resv_test_signaled(struct dma_resv *resv, enum dma_resv_usage usage);
void dma_resv_describe(struct dma_resv *resv, struct seq_file *seq);

#endif /* _LINUX_RESERVATION_H */
