/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sw_sync's timelines and points, shared by sw_sync.c (the debugfs ioctl
 * interface), sync_debug.c (debugfs sync/info) and sync_trace.h.
 * Internal to drivers/dma-buf.
 */

#ifndef _DMA_BUF_SYNC_DEBUG_H
#define _DMA_BUF_SYNC_DEBUG_H

#include <linux/dma-fence.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>

/**
 * struct sync_timeline - one sw_sync timeline (one open of sync/sw_sync)
 * @kref: held by the open file and by every point
 * @name: the opener's task name, for sync/info and the trace event
 * @context: the fence context of all its points
 * @value: how far the timeline has advanced; a point with a seqno at or
 *	before it (in 32-bit wrapping order) has signalled
 * @lock: protects @value and @pending; the fence lock of every point;
 *	taken with interrupts off
 * @pending: the points that have not signalled (and, once the timeline
 *	is closed, those it failed), ordered by seqno in wrapping order
 * @link: on the list sync/info walks (RCU)
 * @rcu: the timeline is freed after a grace period, for that walk
 */
struct sync_timeline {
	struct kref		kref;
	char			name[32];
	u64			context;
	int			value;
	spinlock_t		lock;		/* see @lock above */
	struct rb_root_cached	pending;
	struct list_head	link;
	struct rcu_head		rcu;
};

/**
 * struct sync_pt - a point on a sw_sync timeline: a fence
 * @base: the fence; its seqno is the point's value
 * @node: in the timeline's @pending tree, while %SW_SYNC_IN_TREE_BIT is set
 * @signal: on a local list while sw_sync signals a batch of points
 * @deadline: the earliest deadline hint set on it, valid once the fence
 *	flag bit %SW_SYNC_HAS_DEADLINE_BIT is set (both under the fence lock)
 */
struct sync_pt {
	struct dma_fence	base;
	struct rb_node		node;
	struct list_head	signal;
	ktime_t			deadline;
};

#define SW_SYNC_HAS_DEADLINE_BIT	DMA_FENCE_FLAG_USER_BITS
/* set while the point is in its timeline's tree; changed under its lock */
#define SW_SYNC_IN_TREE_BIT		(DMA_FENCE_FLAG_USER_BITS + 1)

static inline struct sync_timeline *dma_fence_parent(struct dma_fence *fence)
{
	return container_of(fence->lock, struct sync_timeline, lock);
}

/*
 * sw_sync's ioctls. They are not uAPI (test programs carry their own copy);
 * sw_sync.c documents them.
 */
struct sw_sync_create_fence_data {
	__u32	value;
	char	name[32];
	__s32	fence;
};

struct sw_sync_get_deadline {
	__u64	deadline_ns;
	__u32	pad;
	__s32	fence_fd;
};

#define SW_SYNC_IOC_MAGIC	'W'
#define SW_SYNC_IOC_CREATE_FENCE \
	_IOWR(SW_SYNC_IOC_MAGIC, 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC		_IOW(SW_SYNC_IOC_MAGIC, 1, __u32)
#define SW_SYNC_GET_DEADLINE \
	_IOWR(SW_SYNC_IOC_MAGIC, 2, struct sw_sync_get_deadline)

extern const struct file_operations sw_sync_debugfs_fops;

void sync_timeline_debug_add(struct sync_timeline *obj);
void sync_timeline_debug_remove(struct sync_timeline *obj);

#endif /* _DMA_BUF_SYNC_DEBUG_H */
