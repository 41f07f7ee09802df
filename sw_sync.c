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
 *   point 2^31 or more ahead of the counter counts as passed.
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
 * Locking: a timeline's pending points are in an rbtree ordered by seqno
 * (in wrapping order: they all lie less than 2^31 ahead of the counter),
 * with the next to signal cached as the leftmost. The timeline's spinlock,
 * taken with interrupts off, protects the tree and the counter and is the
 * fence lock of all its points. A point leaves the tree when it signals or
 * when its last reference goes, whichever comes first, so a point found
 * there under the lock is still allocated (it may be dying: its reference
 * count is then zero and it is skipped). Creating a point never allocates
 * under the lock.
 *
 * Fence callbacks of the points run under that lock. A callback may drop
 * the last reference of a point that has signalled (its release then
 * skips the lock), but not of one still pending on the same timeline: its
 * release would take the lock again. 6.12 has the same rule; no callback
 * of this directory's containers breaks it.
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

/* Take a point out of its timeline's tree. Called with the lock held. */
static void sw_sync_unlink(struct sync_timeline *tl, struct sync_pt *point)
{
	rb_erase_cached(&point->node, &tl->pending);
	RB_CLEAR_NODE(&point->node);
	clear_bit(SW_SYNC_IN_TREE_BIT, &point->base.flags);
}

/* Nothing to do: but with the op, the core traces enabling as in 6.12. */
static bool sw_sync_enable_signaling(struct dma_fence *fence)
{
	return true;
}

/*
 * The last reference is gone. If the point is still in the tree (it
 * never signalled, or its timeline was closed), take it out, unless a
 * newer point of the same value has already replaced it there. A point
 * that is out already skips the lock: a fence callback run under that
 * lock may drop the last reference of a signalled point.
 */
static void sw_sync_release(struct dma_fence *fence)
{
	struct sync_timeline *tl = dma_fence_parent(fence);
	unsigned long flags;

	if (test_bit(SW_SYNC_IN_TREE_BIT, &fence->flags)) {
		spin_lock_irqsave(&tl->lock, flags);
		if (test_bit(SW_SYNC_IN_TREE_BIT, &fence->flags))
			sw_sync_unlink(tl, to_sync_pt(fence));
		spin_unlock_irqrestore(&tl->lock, flags);
	}

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
		set_bit(SW_SYNC_HAS_DEADLINE_BIT, &fence->flags);
	}
	spin_unlock_irqrestore(fence->lock, flags);
}

static const struct dma_fence_ops sw_sync_fence_ops = {
	.get_driver_name	= sw_sync_driver_name,
	.get_timeline_name	= sw_sync_timeline_name,
	.enable_signaling	= sw_sync_enable_signaling,
	.signaled		= sw_sync_signaled,
	.release		= sw_sync_release,
	.fence_value_str	= sw_sync_fence_value_str,
	.timeline_value_str	= sw_sync_timeline_value_str,
	.set_deadline		= sw_sync_set_deadline,
};

static void sw_sync_put_batch(struct list_head *batch)
{
	struct sync_pt *point, *next;

	list_for_each_entry_safe(point, next, batch, signal) {
		list_del_init(&point->signal);
		dma_fence_put(&point->base);
	}
}

/*
 * Advance @tl by @step (at most INT_MAX: every pending point lies less
 * than 2^31 ahead, so the tree's order is the order the points are
 * reached in) and signal what it passes, in order. Every point of the
 * batch is referenced before the first is signalled: a callback that
 * drops a reference can then not free a point of the batch, and the
 * points of the batch are out of the tree, so their release would not
 * take the lock held here anyway.
 */
static void sw_sync_advance(struct sync_timeline *tl, u32 step)
{
	struct sync_pt *point;
	struct rb_node *node;
	LIST_HEAD(batch);
	bool live;
	int value;

	/* 6.12 traces before the step: the event shows the old value */
	trace_sync_timeline(tl);

	spin_lock_irq(&tl->lock);
	value = (int)((u32)tl->value + step);
	WRITE_ONCE(tl->value, value);
	while ((node = rb_first_cached(&tl->pending))) {
		point = rb_entry(node, struct sync_pt, node);
		if (!sw_sync_reached(point->base.seqno, value))
			break;
		/*
		 * A dying point is only waiting for the lock to free itself;
		 * once it is unlinked, its release may free it without the
		 * lock, so the reference is taken first.
		 */
		live = dma_fence_get_rcu(&point->base);
		sw_sync_unlink(tl, point);
		if (live)
			list_add_tail(&point->signal, &batch);
	}
	list_for_each_entry(point, &batch, signal)
		dma_fence_signal_locked(&point->base);
	spin_unlock_irq(&tl->lock);

	sw_sync_put_batch(&batch);
}

/*
 * A point at @seqno with a reference for the caller: a new one, or the
 * pending one already there. NULL if memory ran out.
 */
static struct sync_pt *sw_sync_point(struct sync_timeline *tl, u32 seqno)
{
	struct rb_node **link = &tl->pending.rb_root.rb_node, *parent = NULL;
	struct sync_pt *point, *other;
	bool leftmost = true;
	s32 order;

	point = dma_buf_fail_alloc() ? NULL : kzalloc(sizeof(*point), GFP_KERNEL);
	if (!point)
		return NULL;
	kref_get(&tl->kref);
	dma_fence_init(&point->base, &sw_sync_fence_ops, &tl->lock,
		       tl->context, seqno);
	INIT_LIST_HEAD(&point->signal);

	spin_lock_irq(&tl->lock);
	/* signals the point if the counter is already there */
	if (dma_fence_is_signaled_locked(&point->base))
		goto unlock;

	while (*link) {
		parent = *link;
		other = rb_entry(parent, struct sync_pt, node);
		order = (s32)(seqno - (u32)other->base.seqno);
		if (order < 0) {
			link = &parent->rb_left;
		} else if (order > 0) {
			link = &parent->rb_right;
			leftmost = false;
		} else {
			/* that value is pending: share it, unless it is dying */
			if (dma_fence_get_rcu(&other->base)) {
				spin_unlock_irq(&tl->lock);
				dma_fence_put(&point->base);
				return other;
			}
			rb_replace_node_cached(parent, &point->node,
					       &tl->pending);
			RB_CLEAR_NODE(parent);
			clear_bit(SW_SYNC_IN_TREE_BIT, &other->base.flags);
			goto linked;
		}
	}
	rb_link_node(&point->node, parent, link);
	rb_insert_color_cached(&point->node, &tl->pending, leftmost);
linked:
	set_bit(SW_SYNC_IN_TREE_BIT, &point->base.flags);
unlock:
	spin_unlock_irq(&tl->lock);
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
	spin_lock_init(&tl->lock);
	tl->pending = RB_ROOT_CACHED;
	sync_timeline_debug_add(tl);

	file->private_data = tl;
	return 0;
}

/*
 * The timeline's owner is gone: fail what is pending, so that nothing
 * waits forever. The points stay in the tree, so sync/info still shows
 * them (with their error) until they are released.
 */
static int sw_sync_close(struct inode *inode, struct file *file)
{
	struct sync_timeline *tl = file->private_data;
	LIST_HEAD(batch);
	struct sync_pt *point;
	struct rb_node *node;

	spin_lock_irq(&tl->lock);
	for (node = rb_first_cached(&tl->pending); node; node = rb_next(node)) {
		point = rb_entry(node, struct sync_pt, node);
		if (dma_fence_get_rcu(&point->base))
			list_add_tail(&point->signal, &batch);
	}
	list_for_each_entry(point, &batch, signal) {
		dma_fence_set_error(&point->base, -ENOENT);
		dma_fence_signal_locked(&point->base);
	}
	spin_unlock_irq(&tl->lock);

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
