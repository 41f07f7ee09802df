// SPDX-License-Identifier: GPL-2.0-only
/*
 * sw_sync: software timelines for testing sync_file users, driven from
 * userspace through debugfs.
 */

/**
 * DOC: sw_sync
 *
 * Each open of ``<debugfs>/sync/sw_sync`` is a new timeline: a 32-bit
 * counter, starting at 0, with a fence context of its own. Through ioctls
 * on that fd a test creates fences ("points") that signal when the counter
 * reaches their value, and advances the counter:
 *
 * - SW_SYNC_IOC_CREATE_FENCE (struct sw_sync_create_fence_data): a point
 *   at @value, returned as a new sync_file fd (O_CLOEXEC) in @fence. A
 *   value the counter has already reached gives a signalled fence; asking
 *   twice for a value that is still pending gives the same fence. @name
 *   is not used.
 * - SW_SYNC_IOC_INC (a __u32): advance the counter and signal every point
 *   it passes, in order. Values compare in 32-bit wrapping order, so a
 *   point more than 2^31 ahead of the counter counts as passed.
 * - SW_SYNC_GET_DEADLINE (struct sw_sync_get_deadline): the earliest
 *   deadline set on a point through SYNC_IOC_SET_DEADLINE, -ENOENT if
 *   there is none, -EINVAL if @fence_fd is not a sw_sync point.
 *
 * Closing the fd signals every point still pending with -ENOENT, so a
 * test that dies never leaves a fence that can not signal. The timeline
 * itself lives until its last point is released; ``<debugfs>/sync/info``
 * lists the timelines and their pending points.
 *
 * Any process that can open the file can stall every driver that waits on
 * its fences: it is for testing only (CONFIG_SW_SYNC).
 *
 * Locking: a timeline's pending points are in an xarray indexed by seqno;
 * the xarray's lock, taken with interrupts off, is also the fence lock of
 * all the timeline's points and protects the counter. A point leaves the
 * xarray when it signals or when its last reference goes, whichever comes
 * first, so a point found there under the lock is still allocated (it may
 * be dying: its reference count is then zero and it is skipped).
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>

#include "dma-buf-fault.h"
#include "sync_debug.h"

#define CREATE_TRACE_POINTS
#include "sync_trace.h"

static const struct dma_fence_ops sw_sync_fence_ops;

static struct sync_pt *to_sync_pt(struct dma_fence *fence)
{
	if (fence->ops != &sw_sync_fence_ops)
		return NULL;
	return container_of(fence, struct sync_pt, base);
}

/* Whether a counter at @value has reached @seqno (32-bit wrapping order). */
static bool sw_sync_reached(u32 seqno, int value)
{
	return (s32)(seqno - (u32)value) <= 0;
}

static void sw_sync_timeline_free(struct kref *kref)
{
	struct sync_timeline *tl = container_of(kref, struct sync_timeline,
						kref);

	sync_timeline_debug_remove(tl);
	xa_destroy(&tl->pts);
	/* sync/info may still be looking at it */
	kfree_rcu(tl, rcu);
}

static void sw_sync_timeline_put(struct sync_timeline *tl)
{
	kref_put(&tl->kref, sw_sync_timeline_free);
}

static const char *sw_sync_driver_name(struct dma_fence *fence)
{
	return "sw_sync";
}

static const char *sw_sync_timeline_name(struct dma_fence *fence)
{
	return dma_fence_parent(fence)->name;
}

static bool sw_sync_signaled(struct dma_fence *fence)
{
	return sw_sync_reached(fence->seqno,
			       READ_ONCE(dma_fence_parent(fence)->value));
}

/*
 * The last reference is gone. If the point is still in the xarray (it
 * never signalled), take it out, unless a newer point of the same value
 * has already replaced it there.
 */
static void sw_sync_release(struct dma_fence *fence)
{
	struct sync_timeline *tl = dma_fence_parent(fence);
	unsigned long flags;

	xa_lock_irqsave(&tl->pts, flags);
	__xa_cmpxchg(&tl->pts, (u32)fence->seqno, to_sync_pt(fence), NULL, 0);
	xa_unlock_irqrestore(&tl->pts, flags);

	sw_sync_timeline_put(tl);
	dma_fence_free(fence);
}

static void sw_sync_fence_value_str(struct dma_fence *fence, char *str,
				    int size)
{
	snprintf(str, size, "%lld", fence->seqno);
}

static void sw_sync_timeline_value_str(struct dma_fence *fence, char *str,
				       int size)
{
	snprintf(str, size, "%d", READ_ONCE(dma_fence_parent(fence)->value));
}

/* Keep the earliest deadline, for SW_SYNC_GET_DEADLINE. */
static void sw_sync_set_deadline(struct dma_fence *fence, ktime_t deadline)
{
	struct sync_pt *point = to_sync_pt(fence);
	unsigned long flags;

	spin_lock_irqsave(fence->lock, flags);
	if (!test_bit(SW_SYNC_HAS_DEADLINE_BIT, &fence->flags) ||
	    ktime_before(deadline, point->deadline)) {
		point->deadline = deadline;
		__set_bit(SW_SYNC_HAS_DEADLINE_BIT, &fence->flags);
	}
	spin_unlock_irqrestore(fence->lock, flags);
}

static const struct dma_fence_ops sw_sync_fence_ops = {
	.get_driver_name	= sw_sync_driver_name,
	.get_timeline_name	= sw_sync_timeline_name,
	.signaled		= sw_sync_signaled,
	.release		= sw_sync_release,
	.fence_value_str	= sw_sync_fence_value_str,
	.timeline_value_str	= sw_sync_timeline_value_str,
	.set_deadline		= sw_sync_set_deadline,
};

/*
 * Take the live points with seqno in [@first, @last] out of the xarray,
 * each with a reference, onto @batch. Called with the lock held.
 */
static void sw_sync_take(struct sync_timeline *tl, u32 first, u32 last,
			 struct list_head *batch)
{
	struct sync_pt *point;
	unsigned long seqno;

	xa_for_each_range(&tl->pts, seqno, point, first, last) {
		__xa_erase(&tl->pts, seqno);
		/* a dying point's release will find its slot empty */
		if (dma_fence_get_rcu(&point->base))
			list_add_tail(&point->signal, batch);
	}
}

static void sw_sync_put_batch(struct list_head *batch)
{
	struct sync_pt *point, *next;

	list_for_each_entry_safe(point, next, batch, signal) {
		list_del_init(&point->signal);
		dma_fence_put(&point->base);
	}
}

/*
 * Advance @tl by @step (at most INT_MAX, so the points passed are exactly
 * those in (old, old + step]) and signal them in order. Every point of
 * the batch is referenced before the first is signalled: a callback that
 * drops a reference can then not free a point of the batch, whose release
 * would take the lock held here.
 */
static void sw_sync_advance(struct sync_timeline *tl, u32 step)
{
	LIST_HEAD(batch);
	struct sync_pt *point;
	u32 from, to;

	/* 6.12 traces before the step: the event shows the old value */
	trace_sync_timeline(tl);

	xa_lock_irq(&tl->pts);
	from = (u32)tl->value + 1;
	to = (u32)tl->value + step;
	WRITE_ONCE(tl->value, (int)to);
	if (step && from <= to) {
		sw_sync_take(tl, from, to, &batch);
	} else if (step) {
		sw_sync_take(tl, from, U32_MAX, &batch);
		sw_sync_take(tl, 0, to, &batch);
	}
	list_for_each_entry(point, &batch, signal)
		dma_fence_signal_locked(&point->base);
	xa_unlock_irq(&tl->pts);

	sw_sync_put_batch(&batch);
}

/*
 * A point at @seqno with a reference for the caller: a new one, or the
 * pending one already there. NULL if memory ran out.
 */
static struct sync_pt *sw_sync_point(struct sync_timeline *tl, u32 seqno)
{
	struct sync_pt *point, *cur, *old;

	point = dma_buf_fail_alloc() ? NULL : kzalloc(sizeof(*point), GFP_KERNEL);
	if (!point)
		return NULL;
	kref_get(&tl->kref);
	dma_fence_init(&point->base, &sw_sync_fence_ops, &tl->pts.xa_lock,
		       tl->context, seqno);
	INIT_LIST_HEAD(&point->signal);

	xa_lock_irq(&tl->pts);
	for (;;) {
		/* signals the point if the counter is already there */
		if (dma_fence_is_signaled_locked(&point->base))
			break;

		cur = xa_load(&tl->pts, seqno);
		if (cur && dma_fence_get_rcu(&cur->base)) {
			xa_unlock_irq(&tl->pts);
			dma_fence_put(&point->base);
			return cur;
		}

		/* may drop the lock to allocate, hence the loop */
		old = dma_buf_fail_alloc() ? XA_ERROR(-ENOMEM) :
			__xa_cmpxchg(&tl->pts, seqno, cur, point, GFP_KERNEL);
		if (xa_is_err(old)) {
			xa_unlock_irq(&tl->pts);
			dma_fence_put(&point->base);
			return NULL;
		}
		if (old != cur)
			continue;
		/* in; but the counter may have moved while unlocked */
		if (dma_fence_is_signaled_locked(&point->base))
			__xa_erase(&tl->pts, seqno);
		break;
	}
	xa_unlock_irq(&tl->pts);
	return point;
}

static int sw_sync_open(struct inode *inode, struct file *file)
{
	struct sync_timeline *tl;

	tl = dma_buf_fail_alloc() ? NULL : kzalloc(sizeof(*tl), GFP_KERNEL);
	if (!tl)
		return -ENOMEM;

	kref_init(&tl->kref);
	__get_task_comm(tl->name, sizeof(tl->name), current);
	tl->context = dma_fence_context_alloc(1);
	xa_init_flags(&tl->pts, XA_FLAGS_LOCK_IRQ);
	sync_timeline_debug_add(tl);

	file->private_data = tl;
	return 0;
}

/*
 * The timeline's owner is gone: fail what is pending, so that nothing
 * waits forever. The points stay in the xarray, so sync/info still shows
 * them (with their error) until they are released.
 */
static int sw_sync_close(struct inode *inode, struct file *file)
{
	struct sync_timeline *tl = file->private_data;
	LIST_HEAD(batch);
	struct sync_pt *point;
	unsigned long seqno;

	xa_lock_irq(&tl->pts);
	xa_for_each(&tl->pts, seqno, point)
		if (dma_fence_get_rcu(&point->base))
			list_add_tail(&point->signal, &batch);
	list_for_each_entry(point, &batch, signal) {
		dma_fence_set_error(&point->base, -ENOENT);
		dma_fence_signal_locked(&point->base);
	}
	xa_unlock_irq(&tl->pts);

	sw_sync_put_batch(&batch);
	sw_sync_timeline_put(tl);
	return 0;
}

static long sw_sync_ioctl_create_fence(struct sync_timeline *tl,
				       void __user *uarg)
{
	struct sw_sync_create_fence_data args;
	struct sync_file *sf;
	struct sync_pt *point;
	int fd, ret;

	/* as in 6.12: the fd first, so a full table is -EMFILE */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	ret = -EFAULT;
	if (copy_from_user(&args, uarg, sizeof(args)))
		goto out_fd;
	ret = -ENOMEM;
	point = sw_sync_point(tl, args.value);
	if (!point)
		goto out_fd;
	sf = sync_file_create(&point->base);
	dma_fence_put(&point->base);
	if (!sf)
		goto out_fd;

	args.fence = fd;
	if (copy_to_user(uarg, &args, sizeof(args))) {
		fput(sf->file);
		ret = -EFAULT;
		goto out_fd;
	}
	fd_install(fd, sf->file);
	return 0;

out_fd:
	put_unused_fd(fd);
	return ret;
}

static long sw_sync_ioctl_inc(struct sync_timeline *tl, void __user *uarg)
{
	u32 step;

	if (get_user(step, (u32 __user *)uarg))
		return -EFAULT;
	for (; step > INT_MAX; step -= INT_MAX)
		sw_sync_advance(tl, INT_MAX);
	sw_sync_advance(tl, step);
	return 0;
}

static long sw_sync_ioctl_get_deadline(struct sync_timeline *tl,
				       void __user *uarg)
{
	struct sw_sync_get_deadline args;
	struct dma_fence *fence;
	struct sync_pt *point;
	unsigned long flags;
	long ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.deadline_ns || args.pad)
		return -EINVAL;

	fence = sync_file_get_fence(args.fence_fd);
	if (!fence)
		return -EINVAL;
	point = to_sync_pt(fence);
	if (point) {
		spin_lock_irqsave(fence->lock, flags);
		if (test_bit(SW_SYNC_HAS_DEADLINE_BIT, &fence->flags))
			args.deadline_ns = ktime_to_ns(point->deadline);
		else
			ret = -ENOENT;
		spin_unlock_irqrestore(fence->lock, flags);
	} else {
		ret = -EINVAL;
	}
	dma_fence_put(fence);

	if (!ret && copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
	return ret;
}

static long sw_sync_timeline_ioctl(struct file *file, unsigned int cmd,
				   unsigned long arg)
{
	struct sync_timeline *tl = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SW_SYNC_IOC_CREATE_FENCE:
		return sw_sync_ioctl_create_fence(tl, uarg);
	case SW_SYNC_IOC_INC:
		return sw_sync_ioctl_inc(tl, uarg);
	case SW_SYNC_GET_DEADLINE:
		return sw_sync_ioctl_get_deadline(tl, uarg);
	}
	return -ENOTTY;
}

const struct file_operations sw_sync_debugfs_fops = {
	.open		= sw_sync_open,
	.release	= sw_sync_close,
	.unlocked_ioctl	= sw_sync_timeline_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};
