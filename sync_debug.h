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
#include <linux/xarray.h>

/**
 * struct sync_timeline - one sw_sync timeline (one open of sync/sw_sync)
 * @kref: held by the open file and by every point
 * @name: the opener's task name, for sync/info and the trace event
 * @context: the fence context of all its points
 * @value: how far the timeline has advanced; a point with a seqno at or
 *	before it (in 32-bit wrapping order) has signalled
 * @pts: the points that have not signalled, indexed by seqno; its lock
 *	(``pts.xa_lock``, taken with interrupts off) is also the fence lock
 *	of every point and protects @value
 * @link: on the list sync/info walks (RCU)
 * @rcu: the timeline is freed after a grace period, for that walk
 */
struct sync_timeline {
	struct kref		kref;
	char			name[32];
	u64			context;
	int			value;
	struct xarray		pts;
	struct list_head	link;
	struct rcu_head		rcu;
};

/**
 * struct sync_pt - a point on a sw_sync timeline: a fence
 * @base: the fence; its seqno is the point's value
 * @signal: on a local list while sw_sync signals a batch of points
 * @deadline: the earliest deadline hint set on it, valid once the fence
 *	flag bit %SW_SYNC_HAS_DEADLINE_BIT is set (both under the fence lock)
 */
struct sync_pt {
	struct dma_fence	base;
	struct list_head	signal;
	ktime_t			deadline;
};

#define SW_SYNC_HAS_DEADLINE_BIT	DMA_FENCE_FLAG_USER_BITS

static inline struct sync_timeline *dma_fence_parent(struct dma_fence *fence)
{
	return container_of(fence->lock, struct sync_timeline, pts.xa_lock);
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
