// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-fence: cross-driver completion points.
 */

#include <linux/atomic.h>
#include <linux/dma-fence.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#define CREATE_TRACE_POINTS
#include <trace/events/dma_fence.h>

#include "dma-buf-fault.h"
#include "dma-fence-hang.h"

EXPORT_TRACEPOINT_SYMBOL(dma_fence_emit);
EXPORT_TRACEPOINT_SYMBOL(dma_fence_enable_signal);
EXPORT_TRACEPOINT_SYMBOL(dma_fence_signaled);

#ifdef CONFIG_FAULT_INJECTION
/* Only fail_nth arms it (probability 0); quiet, tests walk every site. */
static DECLARE_FAULT_ATTR(dma_buf_alloc_fault);

/* See "allocation fault injection" in dma-buf-fault.h. */
bool dma_buf_fail_alloc(void)
{
	return should_fail_ex(&dma_buf_alloc_fault, 1, FAULT_NOWARN);
}
#endif

#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
/* See "race windows" in dma-buf-fault.h; only built-in tests set it. */
void (*dma_buf_race_hook)(const char *site, void *object);
#endif

/**
 * DOC: DMA fences overview
 *
 * A &struct dma_fence marks the moment a piece of asynchronous work - a
 * GPU job, a copy, a display flip - is finished.  The driver that queues
 * the work (the issuer) creates the fence, and anyone holding a reference
 * can ask whether it has signalled, wait for it, or register a callback.
 * A fence signals once and stays signalled; it can carry an error code
 * that says the work failed.
 *
 * Fences live on timelines.  dma_fence_context_alloc() hands out context
 * numbers, one per independent queue of work; within a context the seqno
 * grows with submission order, so a later fence signalling implies every
 * earlier one has too.  That ordering is what lets containers such as
 * &dma_fence_array and &dma_fence_chain, and reservation objects, keep
 * only the latest fence per context.
 *
 * Userspace sees fences as sync_file file descriptors (explicit
 * synchronisation) or attached to the &dma_resv of a shared buffer
 * (implicit synchronisation).
 *
 * A minimal issuer looks like this::
 *
 *	static const char *ring_name(struct dma_fence *f) { return "ring0"; }
 *
 *	static const struct dma_fence_ops ring_fence_ops = {
 *		.get_driver_name = ring_name,
 *		.get_timeline_name = ring_name,
 *	};
 *
 *	// at init: ring->context = dma_fence_context_alloc(1);
 *	fence = kzalloc(sizeof(*fence), GFP_KERNEL);
 *	dma_fence_init(fence, &ring_fence_ops, &ring->lock,
 *		       ring->context, ++ring->seqno);
 *	// ... queue the job, publish the fence ...
 *	// in the completion interrupt:
 *	dma_fence_signal(fence);
 *	dma_fence_put(fence);
 *
 * Locking: &dma_fence.lock is the issuer's spinlock, usually one per
 * timeline, always taken with interrupts disabled.  It serialises
 * signalling against adding and removing callbacks.  Callbacks run with it
 * held, so they must be quick, must not sleep and must not take the same
 * lock again (for example through dma_fence_signal() on a fence that shares
 * it).  The signalled and timestamp bits are set under the lock but read
 * without it; once set they are never cleared.
 */

/**
 * DOC: fence cross-driver contract
 *
 * Fences are handed between drivers that know nothing about each other,
 * so every issuer promises the following:
 *
 * * A fence signals in bounded time.  Work that can stall forever needs a
 *   timeout or hang recovery that signals the fence with an error; a fence
 *   that never signals blocks every other driver waiting on it.
 *
 * * Producing the work behind a published fence may not depend on memory
 *   allocation that can wait for reclaim, because reclaim can in turn wait
 *   for fences (shrinkers and MMU notifiers of GPU drivers do).  Between
 *   publishing a fence and signalling it only GFP_ATOMIC, GFP_NOWAIT or
 *   preallocated memory may be used.  This holds for the whole path that
 *   signals, including schedulers and reset handlers.
 *
 * * Locks taken around dma_fence_wait() - notably &dma_resv locks and
 *   mmap_lock - must not be needed to signal a fence.  The lockdep
 *   annotations described in "fence signalling annotation" check this.
 *
 * * Fences that depend on userspace to make progress ("future fences",
 *   as in Vulkan timeline semaphores waited before submission) are not
 *   dma_fences; they may not be exposed through this interface, nor be
 *   attached to a &dma_resv, because nothing guarantees they signal.
 *
 * * &dma_fence_ops callbacks are called in the contexts their
 *   documentation states: &dma_fence_ops.signaled and
 *   &dma_fence_ops.set_deadline from any context, callbacks registered
 *   with dma_fence_add_callback() under &dma_fence.lock with interrupts
 *   off.
 *
 * Importers in turn must take a reference before using a fence they did
 * not create, and must not assume anything about the fence beyond this
 * interface (no peeking into the issuer's structure).
 */

/**
 * DOC: fence signalling annotation
 *
 * Deadlocks involving fences rarely show up in testing: a waiter holds a
 * lock that the code that would signal the fence needs a few calls later,
 * on another CPU, perhaps only under memory pressure.  Lockdep can find
 * them if it knows which code is on the path to a signal.
 *
 * Drivers bracket such code - the whole path from the point where a fence
 * becomes visible to others to the call of dma_fence_signal(), including
 * work items and scheduler callbacks on that path - with
 * dma_fence_begin_signalling() and dma_fence_end_signalling().  The
 * bracket behaves like taking a read lock on one global lockdep map,
 * "dma_fence_map".  dma_fence_wait() and friends, through
 * __dma_fence_might_wait(), behave like taking that map for write.  Lockdep
 * then reports:
 *
 * * waiting on a fence while holding a lock that a signalling section also
 *   takes (inversion through dma_fence_map);
 * * allocating with GFP_KERNEL inside a signalling section, once reclaim
 *   has been taught that it may wait for fences (dma-resv primes that at
 *   boot).
 *
 * Sections nest and may be entered from atomic context, where they record
 * nothing; the cookie returned by dma_fence_begin_signalling() tells
 * dma_fence_end_signalling() whether there is anything to undo.
 * dma_fence_signal() annotates itself, so callers that only signal need no
 * annotation of their own.  Waiting inside a signalling section is not
 * reported by the annotation itself: some drivers legitimately wait for
 * fences of their own timeline there.
 */

/**
 * DOC: deadline hints
 *
 * A waiter that needs a fence by a given time, for instance a compositor
 * that must flip at the next vblank, can say so with
 * dma_fence_set_deadline().  The issuer may use the hint to boost clocks or
 * reorder work; it must still signal the fence the same way whether the
 * deadline is met or not.  Containers pass the hint on to the fences they
 * contain.  The hint is advisory: issuers without
 * &dma_fence_ops.set_deadline ignore it, and a signalled fence ignores it.
 *
 * Userspace sets deadlines through the sync_file SYNC_IOC_SET_DEADLINE
 * ioctl, and compositors implicitly through atomic commits.
 */

/* Timeline numbers; 0 belongs to the stub fences. */
static atomic64_t dma_fence_next_context = ATOMIC64_INIT(1);

/* Shared by every stub: they are born signalled, so it is barely used. */
static DEFINE_SPINLOCK(dma_fence_stubs_lock);
static struct dma_fence dma_fence_shared_stub;
static bool dma_fence_shared_stub_ready;

static const char *dma_fence_stub_name(struct dma_fence *fence)
{
	return "stub";
}

static const struct dma_fence_ops dma_fence_stub_fence_ops = {
	.get_driver_name = dma_fence_stub_name,
	.get_timeline_name = dma_fence_stub_name,
};

/**
 * dma_fence_get_stub - a shared fence that is always signalled
 *
 * Handy where a fence is required but there is nothing to wait for.  The
 * stub is created on first use and never freed.
 *
 * Returns: a new reference to the global stub fence.
 */
struct dma_fence *dma_fence_get_stub(void)
{
	unsigned long irqflags;

	/* Pairs with the release below: a ready stub is fully signalled. */
	if (likely(smp_load_acquire(&dma_fence_shared_stub_ready)))
		return dma_fence_get(&dma_fence_shared_stub);

	/* Stubs are queried from any context: the lock is irq-safe. */
	spin_lock_irqsave(&dma_fence_stubs_lock, irqflags);
	if (!dma_fence_shared_stub_ready) {
		dma_fence_init(&dma_fence_shared_stub, &dma_fence_stub_fence_ops,
			       &dma_fence_stubs_lock, 0, 0);
		/* Nobody may ever try to arm signalling on the stub. */
		__set_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
			  &dma_fence_shared_stub.flags);
		dma_fence_signal_locked(&dma_fence_shared_stub);
		/* Publish only once signalled; pairs with the acquire above. */
		smp_store_release(&dma_fence_shared_stub_ready, true);
	}
	spin_unlock_irqrestore(&dma_fence_stubs_lock, irqflags);

	return dma_fence_get(&dma_fence_shared_stub);
}
EXPORT_SYMBOL(dma_fence_get_stub);

/**
 * dma_fence_allocate_private_stub - a new, already signalled fence
 * @timestamp: the signalling time to record in it
 *
 * Unlike dma_fence_get_stub() the fence is a separate object, so its
 * timestamp can be chosen, e.g. to report when the last of a set of
 * fences signalled.
 *
 * Returns: the new fence with one reference, or NULL if out of memory.
 */
struct dma_fence *dma_fence_allocate_private_stub(ktime_t timestamp)
{
	struct dma_fence *stub;

	if (dma_buf_fail_alloc())
		return NULL;
	stub = kzalloc(sizeof(*stub), GFP_KERNEL);
	if (!stub)
		return NULL;

	dma_fence_init(stub, &dma_fence_stub_fence_ops, &dma_fence_stubs_lock, 0, 0);
	__set_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &stub->flags);
	dma_fence_signal_timestamp(stub, timestamp);

	return stub;
}
EXPORT_SYMBOL(dma_fence_allocate_private_stub);

/**
 * dma_fence_context_alloc - reserve timeline numbers
 * @num: how many consecutive contexts to reserve, at least one
 *
 * Contexts are never reused; the 64-bit counter cannot wrap in practice.
 *
 * Returns: the first of the @num reserved contexts.
 */
u64 dma_fence_context_alloc(unsigned int num)
{
	WARN_ON(!num);
	return atomic64_fetch_add(num, &dma_fence_next_context);
}
EXPORT_SYMBOL(dma_fence_context_alloc);

#ifdef CONFIG_LOCKDEP
/* Held "for read" across signalling sections, "for write" by waiters. */
static struct lockdep_map dma_fence_signalling_map = {
	.name = "dma_fence_map",
};

static bool dma_fence_in_signalling_section(void)
{
	return lock_is_held_type(&dma_fence_signalling_map, 1);
}

/**
 * dma_fence_begin_signalling - enter a fence signalling critical section
 *
 * Everything until the matching dma_fence_end_signalling() is treated by
 * lockdep as being on the path to signalling a fence; see "fence
 * signalling annotation".  Sections nest; in atomic context nothing is
 * recorded since such code cannot wait anyway.
 *
 * Returns: a cookie for dma_fence_end_signalling().
 */
bool dma_fence_begin_signalling(void)
{
	/* preempt_count(): atomic sections cannot wait, nothing to track. */
	if (dma_fence_in_signalling_section() || preempt_count())
		return true;

	lock_acquire_shared(&dma_fence_signalling_map, 0, 0, NULL, _RET_IP_);
	return false;
}
EXPORT_SYMBOL(dma_fence_begin_signalling);

/**
 * dma_fence_end_signalling - leave a fence signalling critical section
 * @cookie: what dma_fence_begin_signalling() returned
 */
void dma_fence_end_signalling(bool cookie)
{
	if (!cookie)
		lock_release(&dma_fence_signalling_map, _RET_IP_);
}
EXPORT_SYMBOL(dma_fence_end_signalling);

/*
 * Tell lockdep that the caller might wait for a fence: that conflicts
 * with any lock held here that a signalling section also takes.  An
 * enclosing signalling section is stepped out of for the check, because
 * waiting on one's own timeline there is allowed.
 */
void __dma_fence_might_wait(void)
{
	bool nested = dma_fence_in_signalling_section();

	if (nested)
		lock_release(&dma_fence_signalling_map, _THIS_IP_);
	lock_map_acquire(&dma_fence_signalling_map);
	lock_map_release(&dma_fence_signalling_map);
	if (nested)
		lock_acquire_shared(&dma_fence_signalling_map, 0, 0, NULL,
				    _THIS_IP_);
}
#endif

/*
 * Mark the fence signalled and run the callbacks queued so far.  The list
 * head shares storage with the timestamp, so the queue is moved to the
 * stack first.  The queue is private from then on (removing a callback
 * needs the lock we hold), so it is walked without unlinking: each node
 * is reinitialised, and the next one read, before its callback runs,
 * since a callback may free its own node.  Inlined into the signal calls
 * drivers make per job; the rarer paths share dma_fence_complete().
 */
static __always_inline int __dma_fence_complete(struct dma_fence *fence,
						ktime_t when)
{
	struct dma_fence_cb *cb, *next;
	LIST_HEAD(queued);

	lockdep_assert_held(fence->lock);

	if (test_and_set_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return -EINVAL;
	dma_fence_hang_done(fence);

	list_splice(&fence->cb_list, &queued);
	fence->timestamp = when;
	/* Orders the timestamp store before the bit; see dma_fence_timestamp(). */
	smp_mb__before_atomic();
	set_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT, &fence->flags);
	trace_dma_fence_signaled(fence);

	list_for_each_entry_safe(cb, next, &queued, node) {
		INIT_LIST_HEAD(&cb->node);
		cb->func(fence, cb);
	}
	return 0;
}

static int dma_fence_complete(struct dma_fence *fence, ktime_t when)
{
	return __dma_fence_complete(fence, when);
}

/* Signal a fence that will never complete normally, with @error. */
static void dma_fence_abort(struct dma_fence *fence, int error)
{
	unsigned long irqflags;

	spin_lock_irqsave(fence->lock, irqflags);
	fence->error = error;
	dma_fence_complete(fence, ktime_get());
	spin_unlock_irqrestore(fence->lock, irqflags);
}

/**
 * dma_fence_signal_timestamp_locked - signal a fence with a given time
 * @fence: the fence, with &dma_fence.lock held by the caller
 * @timestamp: CLOCK_MONOTONIC time at which the work finished
 *
 * Use this when the hardware reports when it finished, rather than when
 * the interrupt was handled.  Callbacks run before this returns.
 *
 * Returns: 0, or -EINVAL if the fence had already signalled.
 */
int dma_fence_signal_timestamp_locked(struct dma_fence *fence,
				      ktime_t timestamp)
{
	return dma_fence_complete(fence, timestamp);
}
EXPORT_SYMBOL(dma_fence_signal_timestamp_locked);

/**
 * dma_fence_signal_timestamp - signal a fence with a given time
 * @fence: the fence, or NULL
 * @timestamp: CLOCK_MONOTONIC time at which the work finished
 *
 * As dma_fence_signal_timestamp_locked(), taking &dma_fence.lock.
 *
 * Returns: 0, or -EINVAL if @fence is NULL or had already signalled.
 */
int dma_fence_signal_timestamp(struct dma_fence *fence, ktime_t timestamp)
{
	unsigned long irqflags;
	int err;

	if (!fence)
		return -EINVAL;

	spin_lock_irqsave(fence->lock, irqflags);
	err = dma_fence_complete(fence, timestamp);
	spin_unlock_irqrestore(fence->lock, irqflags);

	return err;
}
EXPORT_SYMBOL(dma_fence_signal_timestamp);

/**
 * dma_fence_signal_locked - signal a fence now (lock held)
 * @fence: the fence, with &dma_fence.lock held by the caller
 *
 * Records the current time, then runs the callbacks.
 *
 * Returns: 0, or -EINVAL if the fence had already signalled.
 */
int dma_fence_signal_locked(struct dma_fence *fence)
{
	return __dma_fence_complete(fence, ktime_get());
}
EXPORT_SYMBOL(dma_fence_signal_locked);

/**
 * dma_fence_signal - signal a fence now
 * @fence: the fence, or NULL
 *
 * Takes &dma_fence.lock, records the current time and runs the callbacks.
 * The call is a fence signalling critical section of its own, see "fence
 * signalling annotation".
 *
 * Returns: 0, or -EINVAL if @fence is NULL or had already signalled.
 */
int dma_fence_signal(struct dma_fence *fence)
{
	unsigned long irqflags;
	bool cookie;
	int err;

	if (!fence)
		return -EINVAL;

	cookie = dma_fence_begin_signalling();
	spin_lock_irqsave(fence->lock, irqflags);
	err = __dma_fence_complete(fence, ktime_get());
	spin_unlock_irqrestore(fence->lock, irqflags);
	dma_fence_end_signalling(cookie);

	return err;
}
EXPORT_SYMBOL(dma_fence_signal);

/*
 * Ask the issuer, once, to report completion.  Returns false if the fence
 * is (now) signalled, true if callbacks may be queued.
 */
static __always_inline bool dma_fence_arm(struct dma_fence *fence)
{
	bool first;

	lockdep_assert_held(fence->lock);

	first = !test_and_set_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
				  &fence->flags);
	if (__dma_fence_test_signaled_flag(fence))
		return false;
	if (!first || !fence->ops->enable_signaling)
		return true;

	trace_dma_fence_enable_signal(fence);
	if (fence->ops->enable_signaling(fence))
		return true;

	/* The issuer says the work is already done. */
	dma_fence_complete(fence, ktime_get());
	return false;
}

/**
 * dma_fence_wait_timeout - wait for a fence to signal
 * @fence: the fence
 * @intr: whether a signal to the task may end the wait
 * @timeout: longest wait in jiffies, %MAX_SCHEDULE_TIMEOUT for no limit,
 *	or 0 to only check
 *
 * Enables signalling, then waits with &dma_fence_ops.wait or
 * dma_fence_default_wait().  Callers must not hold locks that the path to
 * signalling needs; lockdep checks that, see "fence signalling
 * annotation".
 *
 * Without &dma_fence_ops.wait, a fence found signalled returns at once,
 * without the fence lock: as after dma_fence_is_signaled(), callbacks
 * may still be running on the signalling CPU (a caller that frees what a
 * callback uses must remove the callback first, as always), and
 * signalling is not enabled on it any more.  Otherwise the default wait
 * enables signalling itself, after the wait_start tracepoint.
 *
 * Returns: the remaining jiffies (at least 1) once signalled, 0 if the
 * timeout expired, -ERESTARTSYS if interrupted, or -EINVAL for a negative
 * @timeout.  A timeout of 0 returns 1 if the fence has signalled.
 */
signed long dma_fence_wait_timeout(struct dma_fence *fence, bool intr,
				   signed long timeout)
{
	signed long (*wait)(struct dma_fence *fence, bool intr,
			    signed long timeout);
	signed long left;

	if (WARN_ON(timeout < 0))
		return -EINVAL;

	might_sleep();
	__dma_fence_might_wait();

	wait = fence->ops->wait;
	if (wait) {
		/* before wait_start, as 6.12 traces it */
		dma_fence_enable_sw_signaling(fence);
		trace_dma_fence_wait_start(fence);
		if (timeout)
			dma_fence_hang_wait_begin(fence);
		left = wait(fence, intr, timeout);
		if (timeout)
			dma_fence_hang_wait_end(fence);
	} else if (__dma_fence_test_signaled_flag(fence)) {
		/* What the default wait returns for it, without the lock. */
		trace_dma_fence_wait_start(fence);
		left = timeout ?: 1;
	} else {
		/* It enables signalling itself, under the lock it takes anyway. */
		trace_dma_fence_wait_start(fence);
		if (timeout)
			dma_fence_hang_wait_begin(fence);
		left = dma_fence_default_wait(fence, intr, timeout);
		if (timeout)
			dma_fence_hang_wait_end(fence);
	}
	trace_dma_fence_wait_end(fence);

	return left;
}
EXPORT_SYMBOL(dma_fence_wait_timeout);

/*
 * The issuer bug dma_fence_release() reports, out of line so that the
 * release of every fence does not pay for its registers.
 */
static noinline void dma_fence_release_waited_on(struct dma_fence *fence)
{
	WARN(1, "dma-fence %s:%s context %llu seqno %llu freed while callbacks wait, signalling -EDEADLK\n",
	     dma_fence_driver(fence), dma_fence_timeline(fence),
	     fence->context, fence->seqno);
	dma_fence_abort(fence, -EDEADLK);
}

/**
 * dma_fence_release - free a fence whose last reference went away
 * @kref: &dma_fence.refcount
 *
 * Called by dma_fence_put(), never directly.  A fence released while it
 * still has callbacks queued is an issuer bug (the waiters would hang
 * forever): it is reported, then signalled with -EDEADLK so the waiters
 * are released.
 */
void dma_fence_release(struct kref *kref)
{
	struct dma_fence *fence = container_of(kref, struct dma_fence,
					       refcount);
	void (*release)(struct dma_fence *fence);

	trace_dma_fence_destroy(fence);

	if (unlikely(!__dma_fence_test_signaled_flag(fence) &&
		     !list_empty(&fence->cb_list)))
		dma_fence_release_waited_on(fence);
	dma_fence_hang_release(fence);

	release = fence->ops->release ?: dma_fence_free;
	release(fence);
}
EXPORT_SYMBOL(dma_fence_release);

/**
 * dma_fence_free - default release: free a kmalloc'ed fence after RCU
 * @fence: the fence, with no references left
 *
 * Issuers with their own &dma_fence_ops.release that embed the fence at
 * the start of a kmalloc'ed object may call this to free it.
 */
void dma_fence_free(struct dma_fence *fence)
{
	kfree_rcu(fence, rcu);
}
EXPORT_SYMBOL(dma_fence_free);

/**
 * dma_fence_enable_sw_signaling - make sure the fence will be signalled
 * @fence: the fence
 *
 * Calls &dma_fence_ops.enable_signaling unless that already happened.
 * Needed before polling a fence whose issuer only signals on request.
 * A fence that has signalled is left alone: unlike 6.12, its
 * %DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT is not set afterwards.
 */
void dma_fence_enable_sw_signaling(struct dma_fence *fence)
{
	unsigned long irqflags;

	/* Signalled is final: there is nothing left to enable. */
	if (__dma_fence_test_signaled_flag(fence))
		return;

	spin_lock_irqsave(fence->lock, irqflags);
	dma_fence_arm(fence);
	spin_unlock_irqrestore(fence->lock, irqflags);
}
EXPORT_SYMBOL(dma_fence_enable_sw_signaling);

/**
 * dma_fence_add_callback - run a function when a fence signals
 * @fence: the fence
 * @cb: node to queue, owned by the caller until it has run or been removed
 * @func: the function, called in the signaller's context with
 *	&dma_fence.lock held
 *
 * Enables signalling if needed.  Callbacks on one fence run in the order
 * they were added.  If the fence has already signalled @func is not
 * called; @cb is still initialised, so dma_fence_remove_callback() on it
 * is harmless.
 *
 * Returns: 0 if queued, -ENOENT if the fence had already signalled, or
 * -EINVAL if @fence or @func is NULL.
 */
int dma_fence_add_callback(struct dma_fence *fence, struct dma_fence_cb *cb,
			   dma_fence_func_t func)
{
	unsigned long irqflags;
	bool queued = false;

	if (WARN_ON(!fence || !func))
		return -EINVAL;

	if (__dma_fence_test_signaled_flag(fence))
		goto signalled;

	spin_lock_irqsave(fence->lock, irqflags);
	if (dma_fence_arm(fence)) {
		cb->func = func;
		list_add_tail(&cb->node, &fence->cb_list);
		dma_fence_hang_track(fence, DMA_FENCE_HANG_CALLBACK);
		queued = true;
	}
	spin_unlock_irqrestore(fence->lock, irqflags);
	if (queued)
		return 0;
signalled:
	/* Initialised all the same, so that removing it is harmless. */
	INIT_LIST_HEAD(&cb->node);
	return -ENOENT;
}
EXPORT_SYMBOL(dma_fence_add_callback);

/**
 * dma_fence_get_status - completion status of a fence
 * @fence: the fence
 *
 * Polls the issuer like dma_fence_is_signaled().
 *
 * Returns: 0 while pending, 1 when signalled without error, or the
 * negative error code set with dma_fence_set_error().
 */
int dma_fence_get_status(struct dma_fence *fence)
{
	unsigned long irqflags;
	int status;

	spin_lock_irqsave(fence->lock, irqflags);
	status = dma_fence_get_status_locked(fence);
	spin_unlock_irqrestore(fence->lock, irqflags);

	return status;
}
EXPORT_SYMBOL(dma_fence_get_status);

/**
 * dma_fence_remove_callback - cancel a callback
 * @fence: the fence @cb was added to
 * @cb: the callback
 *
 * Once this returns, @func of @cb is neither running nor going to run, and
 * @cb may be freed.  The fence's signalling stays enabled.
 *
 * Returns: true if @cb was still queued and has been removed, false if it
 * had already run (or was never queued).
 */
bool dma_fence_remove_callback(struct dma_fence *fence,
			       struct dma_fence_cb *cb)
{
	unsigned long irqflags;
	bool was_queued;

	spin_lock_irqsave(fence->lock, irqflags);
	was_queued = !list_empty(&cb->node);
	list_del_init(&cb->node);
	spin_unlock_irqrestore(fence->lock, irqflags);

	return was_queued;
}
EXPORT_SYMBOL(dma_fence_remove_callback);

/* A sleeping task, woken by a fence callback. */
struct dma_fence_waiter {
	struct dma_fence_cb fence_cb;
	struct task_struct *task;
};

static void dma_fence_waiter_wake(struct dma_fence *fence,
				  struct dma_fence_cb *cb)
{
	struct dma_fence_waiter *waiter =
		container_of(cb, struct dma_fence_waiter, fence_cb);

	wake_up_state(waiter->task, TASK_NORMAL);
}

static unsigned int dma_fence_sleep_state(bool intr)
{
	return intr ? TASK_INTERRUPTIBLE : TASK_UNINTERRUPTIBLE;
}

/*
 * Fold the end of a wait into its result.  A fence found signalled wins
 * over a timeout or a pending signal that raced with it: the caller gets
 * what it waited for, reported as at least one jiffy left.
 */
static signed long dma_fence_wait_result(signed long left, bool done,
					 bool intr)
{
	if (done)
		return max(left, 1L);
	if (left > 0 && intr && signal_pending(current))
		return -ERESTARTSYS;
	return left;
}

/**
 * dma_fence_default_wait - sleep until a fence signals
 * @fence: the fence
 * @intr: whether a signal to the task may end the wait
 * @timeout: longest wait in jiffies, or %MAX_SCHEDULE_TIMEOUT
 *
 * The wait used when the issuer has no &dma_fence_ops.wait, and a helper
 * for issuers that do.  Enables signalling itself, so it also works when
 * called directly.
 *
 * Returns: the remaining jiffies (at least 1) once signalled, 0 on timeout
 * or -ERESTARTSYS if interrupted.  With @timeout 0: 1 if signalled, else
 * -ERESTARTSYS if @intr and a signal is pending, else 0.
 */
signed long dma_fence_default_wait(struct dma_fence *fence, bool intr,
				   signed long timeout)
{
	struct dma_fence_waiter waiter = { .task = current };
	signed long left = timeout;
	unsigned long irqflags;
	bool done;

	spin_lock_irqsave(fence->lock, irqflags);
	done = !dma_fence_arm(fence);
	if (!done && intr && signal_pending(current)) {
		/* Even a zero timeout reports it, as 6.12 does. */
		left = -ERESTARTSYS;
		goto unlock;
	}
	if (done || !timeout)
		goto unlock;

	/* At the head: wake the sleeper before slower callbacks run. */
	waiter.fence_cb.func = dma_fence_waiter_wake;
	list_add(&waiter.fence_cb.node, &fence->cb_list);

	do {
		/* State is set under the lock the waker needs: no lost wake-up. */
		set_current_state(dma_fence_sleep_state(intr));
		spin_unlock_irqrestore(fence->lock, irqflags);
		left = schedule_timeout(left);
		spin_lock_irqsave(fence->lock, irqflags);
		done = __dma_fence_test_signaled_flag(fence);
	} while (!done && left > 0 && !(intr && signal_pending(current)));
	__set_current_state(TASK_RUNNING);

	/* Still queued if we timed out or were interrupted. */
	list_del_init(&waiter.fence_cb.node);
unlock:
	spin_unlock_irqrestore(fence->lock, irqflags);

	return dma_fence_wait_result(left, done, intr);
}
EXPORT_SYMBOL(dma_fence_default_wait);

/* Waiters for this many fences fit on the stack; more are kmalloc'ed. */
#define DMA_FENCE_WAIT_ANY_ONSTACK	4

/* Index of the first signalled fence, or @count if none (flags only). */
static u32 dma_fence_first_signaled(struct dma_fence **fences, u32 count)
{
	u32 i;

	for (i = 0; i < count; i++)
		if (__dma_fence_test_signaled_flag(fences[i]))
			break;
	return i;
}

/*
 * Queue a waiter on each fence.  Stops at the first fence that has already
 * signalled and returns its index; returns @count if all were queued.
 */
static u32 dma_fence_queue_waiters(struct dma_fence **fences, u32 count,
				   struct dma_fence_waiter *waiters)
{
	u32 i;

	for (i = 0; i < count; i++) {
		waiters[i].task = current;
		if (dma_fence_add_callback(fences[i], &waiters[i].fence_cb,
					   dma_fence_waiter_wake))
			break;
	}
	return i;
}

/**
 * dma_fence_wait_any_timeout - wait until one of several fences signals
 * @fences: array of fences, no NULL entries
 * @count: number of entries in @fences, at least one
 * @intr: whether a signal to the task may end the wait
 * @timeout: longest wait in jiffies, %MAX_SCHEDULE_TIMEOUT for no limit,
 *	or 0 to only check
 * @idx: if not NULL, receives the index of a signalled fence (the lowest
 *	index among those found signalled) on success
 *
 * Uses the default wait mechanism on every fence, whatever their
 * &dma_fence_ops.wait.
 *
 * Returns: the remaining jiffies (at least 1) when a fence signalled, 0 on
 * timeout, -ERESTARTSYS if interrupted, -EINVAL for bad arguments, or
 * -ENOMEM.
 */
signed long dma_fence_wait_any_timeout(struct dma_fence **fences, u32 count,
				       bool intr, signed long timeout, u32 *idx)
{
	struct dma_fence_waiter onstack[DMA_FENCE_WAIT_ANY_ONSTACK];
	struct dma_fence_waiter *waiters = onstack;
	signed long left = timeout;
	u32 queued, hit;

	if (WARN_ON(!fences || !count || timeout < 0))
		return -EINVAL;

	if (!timeout) {
		for (hit = 0; hit < count; hit++) {
			if (dma_fence_is_signaled(fences[hit])) {
				if (idx)
					*idx = hit;
				return 1;
			}
		}
		return 0;
	}

	if (count > ARRAY_SIZE(onstack)) {
		waiters = kcalloc(count, sizeof(*waiters), GFP_KERNEL);
		if (!waiters)
			return -ENOMEM;
	}

	queued = dma_fence_queue_waiters(fences, count, waiters);
	hit = queued;
	while (hit == count && left > 0) {
		set_current_state(dma_fence_sleep_state(intr));
		hit = dma_fence_first_signaled(fences, count);
		if (hit < count || (intr && signal_pending(current)))
			break;
		left = schedule_timeout(left);
		hit = dma_fence_first_signaled(fences, count);
	}
	__set_current_state(TASK_RUNNING);

	while (queued--)
		dma_fence_remove_callback(fences[queued], &waiters[queued].fence_cb);
	if (waiters != onstack)
		kfree(waiters);

	if (hit < count && idx)
		*idx = hit;
	return dma_fence_wait_result(left, hit < count, intr);
}
EXPORT_SYMBOL(dma_fence_wait_any_timeout);

/**
 * dma_fence_set_deadline - ask for a fence to signal by a given time
 * @fence: the fence
 * @deadline: CLOCK_MONOTONIC time by which the waiter needs the fence
 *
 * Forwards the hint to &dma_fence_ops.set_deadline unless the fence has
 * already signalled; see "deadline hints".
 */
void dma_fence_set_deadline(struct dma_fence *fence, ktime_t deadline)
{
	if (!fence->ops->set_deadline)
		return;
	if (!dma_fence_is_signaled(fence))
		fence->ops->set_deadline(fence, deadline);
}
EXPORT_SYMBOL(dma_fence_set_deadline);

/**
 * dma_fence_describe - print a one-line summary of a fence
 * @fence: the fence
 * @seq: where to print, e.g. a debugfs file
 *
 * The line reads "<driver> <timeline> seq <seqno> signalled" (or
 * "unsignalled"); debugfs users parse it.
 */
void dma_fence_describe(struct dma_fence *fence, struct seq_file *seq)
{
	const char *state = dma_fence_is_signaled(fence) ?
			    "signalled" : "unsignalled";

	seq_printf(seq, "%s %s seq %llu %s\n", dma_fence_driver(fence),
		   dma_fence_timeline(fence), fence->seqno, state);
}
EXPORT_SYMBOL(dma_fence_describe);

/**
 * dma_fence_init - initialise a fence
 * @fence: the fence to initialise, usually embedded in the issuer's job
 * @ops: the issuer's operations; get_driver_name and get_timeline_name are
 *	mandatory
 * @lock: the spinlock protecting the fence, shared with the issuer
 * @context: the timeline, from dma_fence_context_alloc()
 * @seqno: position on the timeline; later fences need larger values
 *
 * The fence starts with one reference, owned by the caller, and pending.
 * Missing @ops, names or @lock are bugs, which 6.12 BUG()s on: here they
 * warn, and the fence is still set up exactly as given (no tracepoint is
 * emitted for it), so that the driver's own view of it, such as casts
 * keyed on &dma_fence.ops, stays true. Using such a fence is undefined.
 */
void dma_fence_init(struct dma_fence *fence, const struct dma_fence_ops *ops,
		    spinlock_t *lock, u64 context, u64 seqno)
{
	/*
	 * Every member is named, flags and error too: with one left to the
	 * implicit zero, gcc clears the whole fence first (a rep stos).
	 */
	*fence = (struct dma_fence) {
		.lock = lock,
		.ops = ops,
		.cb_list = LIST_HEAD_INIT(fence->cb_list),
		.context = context,
		.seqno = seqno,
		.flags = 0,
		.refcount = KREF_INIT(1),
		.error = 0,
#ifdef CONFIG_DMA_FENCE_DEBUG_HANG
		.hang = DMA_FENCE_HANG_INIT(fence->hang),
#endif
	};

	if (WARN(!lock || !ops || !ops->get_driver_name ||
		 !ops->get_timeline_name,
		 "dma-fence: init without %s (context %llu seqno %llu)\n",
		 lock ? "complete ops" : "a lock", context, seqno))
		return;	/* the tracepoint would call the missing names */

	trace_dma_fence_init(fence);
}
EXPORT_SYMBOL(dma_fence_init);
