/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-fence: a one-shot completion point that drivers share across devices.
 *
 * The implementation and its overview live in drivers/dma-buf/dma-fence.c.
 * This header holds the object layout, the driver-facing operations table
 * and the small helpers that are cheap enough to inline into every caller.
 */

#ifndef __LINUX_DMA_FENCE_H
#define __LINUX_DMA_FENCE_H

#include <linux/err.h>
#include <linux/wait.h>
#include <linux/list.h>
#include <linux/bitops.h>
#include <linux/kref.h>
#include <linux/sched.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/timekeeping.h>

struct dma_fence;
struct dma_fence_ops;
struct dma_fence_cb;
struct seq_file;

#ifdef CONFIG_DMA_FENCE_DEBUG_HANG
/**
 * struct dma_fence_hang - per-fence state of the fence-hang diagnostics
 * @link: on one of the lists of tracked pending fences, under their lock
 * @born: jiffies at dma_fence_init()
 * @since: jiffies when the first waiter, sleeping or a callback, came
 * @state: bits saying why the fence is tracked and what the watchdog made
 *	of it, changed atomically
 * @waiters: tasks sleeping in dma_fence_wait_timeout() on the fence now
 *
 * See "fence-hang diagnostics" in drivers/dma-buf/dma-fence-hang.c.
 */
struct dma_fence_hang {
	struct list_head link;
	unsigned long born;
	unsigned long since;
	unsigned long state;
	atomic_t waiters;
};
#endif

/**
 * struct dma_fence - a point on a timeline that signals exactly once
 * @lock: spinlock shared with the issuer, taken with interrupts off; it
 *	protects @cb_list and orders signalling against callback changes
 * @ops: the issuer's operations, see &struct dma_fence_ops
 * @cb_list: callbacks still waiting; only meaningful while unsignalled
 * @timestamp: CLOCK_MONOTONIC time of signalling; valid once
 *	%DMA_FENCE_FLAG_TIMESTAMP_BIT is set
 * @rcu: used by dma_fence_free() to defer the final kfree past RCU readers
 * @context: the timeline; seqnos are only comparable inside one context
 * @seqno: position on the timeline, later fences have larger values
 * @flags: %DMA_FENCE_FLAG_* bits, plus driver bits from
 *	%DMA_FENCE_FLAG_USER_BITS upwards
 * @refcount: references, see dma_fence_get() and dma_fence_put()
 * @error: 0, or a negative errno explaining why the work failed; set with
 *	dma_fence_set_error() before signalling
 * @hang: what the fence-hang diagnostics keep (CONFIG_DMA_FENCE_DEBUG_HANG
 *	only); no business of issuers or waiters
 *
 * @cb_list, @timestamp and @rcu share storage because each belongs to a
 * later stage of the fence's life: pending, signalled, being freed.  Any
 * code that looks at @cb_list must first check that the fence is not
 * signalled, under @lock.
 *
 * Fences are reference counted and may be looked up under RCU, so an
 * issuer that embeds a fence must free it RCU-deferred (dma_fence_free()
 * does) and must cope with dma_fence_get_rcu() racing with the last put.
 */
struct dma_fence {
	spinlock_t *lock;	/* the issuer's, see above */
	const struct dma_fence_ops *ops;
	/*
	 * Once signalled nobody adds callbacks any more, so the list head is
	 * reused for the timestamp, and once released for the RCU head.
	 */
	union {
		struct list_head cb_list;
		ktime_t timestamp;
		struct rcu_head rcu;
	};
	u64 context;
	u64 seqno;
	unsigned long flags;
	struct kref refcount;
	int error;
#ifdef CONFIG_DMA_FENCE_DEBUG_HANG
	/* last: the members drivers use keep their 6.12 offsets */
	struct dma_fence_hang hang;
#endif
};

/**
 * enum dma_fence_flag_bits - state bits in &dma_fence.flags
 * @DMA_FENCE_FLAG_SIGNALED_BIT: the fence has signalled; never cleared
 * @DMA_FENCE_FLAG_TIMESTAMP_BIT: &dma_fence.timestamp is valid
 * @DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT: someone needs to be told about
 *	completion, &dma_fence_ops.enable_signaling has been called
 * @DMA_FENCE_FLAG_USER_BITS: first bit free for the issuing driver
 */
enum dma_fence_flag_bits {
	DMA_FENCE_FLAG_SIGNALED_BIT,
	DMA_FENCE_FLAG_TIMESTAMP_BIT,
	DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
	DMA_FENCE_FLAG_USER_BITS, /* stays last */
};

/**
 * typedef dma_fence_func_t - completion callback
 * @fence: the fence that signalled
 * @cb: the node passed to dma_fence_add_callback()
 *
 * Called with &dma_fence.lock held and interrupts off; @cb may be freed
 * by the callback itself.
 */
typedef void (*dma_fence_func_t)(struct dma_fence *fence,
				 struct dma_fence_cb *cb);

/**
 * struct dma_fence_cb - a callback registered on a fence
 * @node: link in &dma_fence.cb_list; empty when not (or no longer) queued
 * @func: function run when the fence signals
 *
 * Usually embedded in the waiter's own structure and recovered with
 * container_of() in @func.
 */
struct dma_fence_cb {
	struct list_head node;
	dma_fence_func_t func;
};

/**
 * struct dma_fence_ops - what the issuer of a fence implements
 *
 * Only the two name callbacks are mandatory.  Members are documented
 * where they are declared.
 */
struct dma_fence_ops {
	/**
	 * @use_64bit_seqno: seqnos are full 64-bit values that never wrap;
	 * otherwise only the low 32 bits are compared, with wrap-around.
	 */
	bool use_64bit_seqno;

	/**
	 * @get_driver_name: name of the issuing driver, for debugging and
	 * tracing.  Mandatory.
	 */
	const char * (*get_driver_name)(struct dma_fence *fence);

	/**
	 * @get_timeline_name: name of the timeline (ring, queue, context)
	 * the fence belongs to, for debugging and tracing.  Mandatory.
	 */
	const char * (*get_timeline_name)(struct dma_fence *fence);

	/**
	 * @enable_signaling: called once, under &dma_fence.lock, when the
	 * first waiter needs an active notification, e.g. to arm an
	 * interrupt.  Return false if the fence turned out to be done
	 * already; it is then signalled on the spot.  Without this
	 * callback the issuer must signal every fence anyway.
	 */
	bool (*enable_signaling)(struct dma_fence *fence);

	/**
	 * @signaled: cheap poll of the hardware, callable from any context
	 * with or without &dma_fence.lock.  Returning true makes the core
	 * signal the fence.
	 */
	bool (*signaled)(struct dma_fence *fence);

	/**
	 * @wait: custom wait, rarely useful; must honour @intr and
	 * @timeout like dma_fence_default_wait(), which is what leaving it
	 * NULL means.  Called with no locks held.  Discouraged.
	 */
	signed long (*wait)(struct dma_fence *fence,
			    bool intr, signed long timeout);

	/**
	 * @release: called when the last reference goes away; must free
	 * the fence RCU-deferred.  NULL means dma_fence_free().
	 */
	void (*release)(struct dma_fence *fence);

	/**
	 * @fence_value_str: print the fence's seqno, for sync_file and
	 * debugfs.
	 */
	void (*fence_value_str)(struct dma_fence *fence, char *str, int size);

	/**
	 * @timeline_value_str: print the timeline's current value, for
	 * sync_file and debugfs.
	 */
	void (*timeline_value_str)(struct dma_fence *fence,
				   char *str, int size);

	/**
	 * @set_deadline: a waiter would like the fence signalled by
	 * @deadline (CLOCK_MONOTONIC).  A hint only, e.g. to raise clocks.
	 * May be called from atomic context, with or without
	 * &dma_fence.lock.
	 */
	void (*set_deadline)(struct dma_fence *fence, ktime_t deadline);
};

/* Life cycle; the release side is reached through dma_fence_put(). */
void dma_fence_init(struct dma_fence *fence, const struct dma_fence_ops *ops,
		    spinlock_t *lock, u64 context, u64 seqno);

void dma_fence_release(struct kref *kref);
void dma_fence_free(struct dma_fence *fence);
void dma_fence_describe(struct dma_fence *fence, struct seq_file *seq);

/**
 * dma_fence_put - drop a reference
 * @fence: the fence, or NULL
 *
 * The last put calls &dma_fence_ops.release (or dma_fence_free()).
 */
static inline void dma_fence_put(struct dma_fence *fence)
{
	if (!fence)
		return;
	kref_put(&fence->refcount, dma_fence_release);
}

/**
 * dma_fence_get - take a reference
 * @fence: the fence, or NULL
 *
 * Returns: @fence, so that the call can be used in assignments.
 */
static inline struct dma_fence *dma_fence_get(struct dma_fence *fence)
{
	if (!fence)
		return NULL;
	kref_get(&fence->refcount);
	return fence;
}

/**
 * dma_fence_get_rcu - take a reference unless the fence is being freed
 * @fence: a fence found under rcu_read_lock()
 *
 * Returns: @fence with a new reference, or NULL if its refcount already
 * reached zero.  The caller must re-check that the pointer it loaded is
 * still current; dma_fence_get_rcu_safe() does that.
 */
static inline struct dma_fence *dma_fence_get_rcu(struct dma_fence *fence)
{
	return kref_get_unless_zero(&fence->refcount) ? fence : NULL;
}

/**
 * dma_fence_get_rcu_safe - reference the fence behind an RCU pointer
 * @fencep: an RCU-protected fence pointer that writers may replace
 *
 * Must be called under rcu_read_lock().  The fence may be freed and its
 * memory reused by a new fence (issuers use SLAB_TYPESAFE_BY_RCU) between
 * the load and the reference, so the pointer is re-read after the
 * reference is taken and the whole step retried until both agree.
 *
 * Returns: a referenced fence that was in @fencep at some point during
 * the call, or NULL if @fencep held NULL.
 */
static inline struct dma_fence *
dma_fence_get_rcu_safe(struct dma_fence __rcu **fencep)
{
	for (;;) {
		struct dma_fence *fence = rcu_dereference(*fencep);

		if (!fence)
			return NULL;
		if (!dma_fence_get_rcu(fence))
			continue;	/* dying, wait for the replacement */
		if (rcu_access_pointer(*fencep) == fence)
			return rcu_pointer_handoff(fence);
		dma_fence_put(fence);	/* recycled under us, retry */
	}
}

#ifdef CONFIG_LOCKDEP
bool dma_fence_begin_signalling(void);
void dma_fence_end_signalling(bool cookie);
void __dma_fence_might_wait(void);
#else
/* Without lockdep the annotations compile away. */
static inline bool dma_fence_begin_signalling(void) { return true; }
static inline void dma_fence_end_signalling(bool cookie) { }
static inline void __dma_fence_might_wait(void) { }
#endif

/* Signalling, with or without &dma_fence.lock held by the caller. */
int dma_fence_signal(struct dma_fence *fence);
int dma_fence_signal_locked(struct dma_fence *fence);
int dma_fence_signal_timestamp(struct dma_fence *fence, ktime_t timestamp);
int dma_fence_signal_timestamp_locked(struct dma_fence *fence,
				      ktime_t timestamp);
signed long dma_fence_default_wait(struct dma_fence *fence,
				   bool intr, signed long timeout);

/* Callbacks; adding one enables signalling. */
int dma_fence_add_callback(struct dma_fence *fence,
			   struct dma_fence_cb *cb,
			   dma_fence_func_t func);
bool dma_fence_remove_callback(struct dma_fence *fence,
			       struct dma_fence_cb *cb);
void dma_fence_enable_sw_signaling(struct dma_fence *fence);

/*
 * True if @fence has been marked signalled; never calls into the driver.
 * Acquire: whoever sees the bit also sees the error set before it.
 */
static inline bool __dma_fence_test_signaled_flag(struct dma_fence *fence)
{
	return test_bit_acquire(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags);
}

/**
 * dma_fence_is_signaled_locked - has the fence completed? (lock held)
 * @fence: the fence, with &dma_fence.lock held by the caller
 *
 * Besides the flag this polls &dma_fence_ops.signaled and, if the
 * hardware is done, signals the fence right away.
 *
 * Returns: true once the fence is signalled.
 */
static inline bool
dma_fence_is_signaled_locked(struct dma_fence *fence)
{
	bool done = __dma_fence_test_signaled_flag(fence);

	if (!done && fence->ops->signaled && fence->ops->signaled(fence)) {
		dma_fence_signal_locked(fence);
		done = true;
	}
	return done;
}

/**
 * dma_fence_is_signaled - has the fence completed?
 * @fence: the fence; &dma_fence.lock must not be held
 *
 * Like dma_fence_is_signaled_locked() but takes the lock itself if it
 * needs to signal.  A false answer may be stale by the time the caller
 * looks at it; a true answer is final.
 *
 * Returns: true once the fence is signalled.
 */
static inline bool
dma_fence_is_signaled(struct dma_fence *fence)
{
	bool done = __dma_fence_test_signaled_flag(fence);

	if (!done && fence->ops->signaled && fence->ops->signaled(fence)) {
		dma_fence_signal(fence);
		done = true;
	}
	return done;
}

/**
 * __dma_fence_is_later - compare two seqnos of one timeline
 * @f1: the seqno that might be later
 * @f2: the seqno to compare against
 * @ops: the timeline's ops, which say how wide seqnos are
 *
 * 32-bit timelines wrap around, so their seqnos are compared by the sign
 * of the 32-bit difference: a fence is later if it is less than 2^31
 * steps ahead.
 *
 * Returns: true if @f1 comes after @f2.
 */
static inline bool __dma_fence_is_later(u64 f1, u64 f2,
					const struct dma_fence_ops *ops)
{
	s32 delta;

	if (ops->use_64bit_seqno)
		return f1 > f2;
	delta = (s32)(lower_32_bits(f1) - lower_32_bits(f2));
	return delta > 0;
}

/**
 * dma_fence_is_later - is @f1 later than @f2 on their shared timeline?
 * @f1: the fence that might be later
 * @f2: the fence to compare against
 *
 * Warns and answers false if the fences are on different contexts.
 *
 * Returns: true if @f1 comes after @f2.
 */
static inline bool dma_fence_is_later(struct dma_fence *f1,
				      struct dma_fence *f2)
{
	if (WARN_ON(f1->context != f2->context))
		return false;
	return __dma_fence_is_later(f1->seqno, f2->seqno, f1->ops);
}

/**
 * dma_fence_is_later_or_same - is @f1 the same fence as @f2, or later?
 * @f1: the fence that might be later
 * @f2: the fence to compare against
 *
 * Returns: true if @f1 == @f2 or @f1 comes after @f2.
 */
static inline bool dma_fence_is_later_or_same(struct dma_fence *f1,
					      struct dma_fence *f2)
{
	if (f1 == f2)
		return true;
	return dma_fence_is_later(f1, f2);
}

/**
 * dma_fence_later - the later of two fences of one context, if pending
 * @f1: a fence
 * @f2: another fence on the same context
 *
 * No reference is taken.
 *
 * Returns: the later of the two, or NULL if that one has already
 * signalled (then both have) or if the contexts differ (with a warning).
 */
static inline struct dma_fence *dma_fence_later(struct dma_fence *f1,
						struct dma_fence *f2)
{
	struct dma_fence *last;

	if (WARN_ON(f1->context != f2->context))
		return NULL;
	last = dma_fence_is_later(f1, f2) ? f1 : f2;
	return dma_fence_is_signaled(last) ? NULL : last;
}

/**
 * dma_fence_get_status_locked - completion status (lock held)
 * @fence: the fence, with &dma_fence.lock held
 *
 * Returns: 0 while pending, 1 when signalled without error, or the
 * negative error code recorded with dma_fence_set_error().
 */
static inline int dma_fence_get_status_locked(struct dma_fence *fence)
{
	if (!dma_fence_is_signaled_locked(fence))
		return 0;
	return fence->error ? fence->error : 1;
}

int dma_fence_get_status(struct dma_fence *fence);

/**
 * dma_fence_set_error - record why the fence's work failed
 * @fence: a fence that has not signalled yet
 * @error: a negative errno
 *
 * The error is reported to waiters after signalling, through
 * dma_fence_get_status() and sync_file.  Setting it after signalling, or
 * passing something that is not an errno, is a driver bug and warns.
 */
static inline void dma_fence_set_error(struct dma_fence *fence,
				       int error)
{
	WARN_ON(__dma_fence_test_signaled_flag(fence));
	WARN_ON(error >= 0 || error < -MAX_ERRNO);

	fence->error = error;
}

/**
 * dma_fence_timestamp - when did the fence signal?
 * @fence: a signalled fence
 *
 * Signalling sets the signalled bit before it stores the timestamp, so a
 * reader can briefly see one without the other; spin for the timestamp
 * in that window.  Calling this on a pending fence warns and returns the
 * current time.
 *
 * Returns: the CLOCK_MONOTONIC time of signalling.
 */
static inline ktime_t dma_fence_timestamp(struct dma_fence *fence)
{
	if (WARN_ON(!__dma_fence_test_signaled_flag(fence)))
		return ktime_get();

	while (!test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT, &fence->flags))
		cpu_relax();
	smp_rmb();	/* pairs with the barrier in the signalling path */
	return fence->timestamp;
}

signed long dma_fence_wait_timeout(struct dma_fence *fence,
				   bool intr, signed long timeout);
signed long dma_fence_wait_any_timeout(struct dma_fence **fences,
				       u32 count,
				       bool intr, signed long timeout,
				       u32 *idx);

/**
 * dma_fence_wait - wait, without a time limit, for a fence to signal
 * @fence: the fence
 * @intr: whether a signal to the task may end the wait
 *
 * Returns: 0 once signalled, or -ERESTARTSYS if @intr and the task got a
 * signal.  The fence's own error is not reported here; see
 * dma_fence_get_status().
 */
static inline signed long dma_fence_wait(struct dma_fence *fence, bool intr)
{
	signed long left;

	left = dma_fence_wait_timeout(fence, intr, MAX_SCHEDULE_TIMEOUT);
	return min(left, 0L);
}

void dma_fence_set_deadline(struct dma_fence *fence, ktime_t deadline);

struct dma_fence *dma_fence_get_stub(void);
struct dma_fence *dma_fence_allocate_private_stub(ktime_t timestamp);
u64 dma_fence_context_alloc(unsigned int num);

extern const struct dma_fence_ops dma_fence_array_ops;
extern const struct dma_fence_ops dma_fence_chain_ops;

/**
 * dma_fence_is_array - is this a &struct dma_fence_array?
 * @fence: the fence
 *
 * Returns: true if @fence was created by dma_fence_array_create().
 */
static inline bool dma_fence_is_array(struct dma_fence *fence)
{
	return fence->ops == &dma_fence_array_ops;
}

/**
 * dma_fence_is_chain - is this a &struct dma_fence_chain?
 * @fence: the fence
 *
 * Returns: true if @fence is a link of a dma_fence_chain.
 */
static inline bool dma_fence_is_chain(struct dma_fence *fence)
{
	return fence->ops == &dma_fence_chain_ops;
}

/**
 * dma_fence_is_container - does this fence stand for other fences?
 * @fence: the fence
 *
 * Returns: true for arrays and chains, which dma_fence_unwrap_for_each()
 * looks through.
 */
static inline bool dma_fence_is_container(struct dma_fence *fence)
{
	return dma_fence_is_array(fence) || dma_fence_is_chain(fence);
}

#endif /* __LINUX_DMA_FENCE_H */
