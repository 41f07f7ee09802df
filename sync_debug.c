// SPDX-License-Identifier: GPL-2.0-only
/*
 * sync_debug: the debugfs ``sync`` directory, which holds sw_sync's control
 * file and the ``info`` listing of its timelines.
 */

/**
 * DOC: sync/info
 *
 * ``<debugfs>/sync/info`` shows every sw_sync timeline that still exists
 * (an open sw_sync fd, or points of a closed one still referenced), in the
 * format of 6.12::
 *
 *	objs:
 *	--------------
 *	<timeline name>: <counter>
 *	  fence <active|signaled|error>[@<sec>.<nsec>]: <seqno> / <counter>
 *	...
 *	(a blank line after each timeline)
 *	fences:
 *	--------------
 *
 * with one ``fence`` line per point that has not signalled, or that was
 * failed with -ENOENT when its timeline was closed, in the order they
 * signal. The ``fences`` section is empty, as in 6.12, whose sync_files
 * are never listed there; a sync_file's fences are in its fdinfo instead.
 *
 * Locking: the timeline list is RCU-protected for the reader and changed
 * under a spinlock with interrupts off, since the last reference of a
 * timeline can go from any context. The reader takes each timeline's lock
 * (interrupts off) while it prints that timeline's points.
 */

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>

#include "sync_debug.h"

static LIST_HEAD(sync_timelines);
static DEFINE_SPINLOCK(sync_timelines_lock);

/**
 * sync_timeline_debug_add() - make a new timeline visible in sync/info
 * @tl: the timeline
 *
 * Context: any.
 */
void sync_timeline_debug_add(struct sync_timeline *tl)
{
	unsigned long flags;

	spin_lock_irqsave(&sync_timelines_lock, flags);
	list_add_tail_rcu(&tl->link, &sync_timelines);
	spin_unlock_irqrestore(&sync_timelines_lock, flags);
}

/**
 * sync_timeline_debug_remove() - take a dying timeline out of sync/info
 * @tl: the timeline; free it only after an RCU grace period
 *
 * Context: any.
 */
void sync_timeline_debug_remove(struct sync_timeline *tl)
{
	unsigned long flags;

	spin_lock_irqsave(&sync_timelines_lock, flags);
	list_del_rcu(&tl->link);
	spin_unlock_irqrestore(&sync_timelines_lock, flags);
}

static void sync_info_point(struct seq_file *m, struct sync_pt *pt)
{
	struct dma_fence *fence = &pt->base;
	int status = dma_fence_get_status_locked(fence);
	char seqno[24], value[24];

	seq_printf(m, "  fence %s",
		   status < 0 ? "error" : status ? "signaled" : "active");
	if (test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT, &fence->flags)) {
		struct timespec64 ts = ktime_to_timespec64(fence->timestamp);

		seq_printf(m, "@%lld.%09ld", (s64)ts.tv_sec, ts.tv_nsec);
	}
	fence->ops->fence_value_str(fence, seqno, sizeof(seqno));
	fence->ops->timeline_value_str(fence, value, sizeof(value));
	seq_printf(m, ": %s / %s\n", seqno, value);
}

/* A timeline and its points, from the next to signal to the last. */
static void sync_info_timeline(struct seq_file *m, struct sync_timeline *tl)
{
	struct rb_node *node;

	spin_lock_irq(&tl->lock);
	seq_printf(m, "%s: %d\n", tl->name, tl->value);
	for (node = rb_first_cached(&tl->pending); node; node = rb_next(node))
		sync_info_point(m, rb_entry(node, struct sync_pt, node));
	spin_unlock_irq(&tl->lock);
	seq_putc(m, '\n');
}

static int sync_info_show(struct seq_file *m, void *unused)
{
	struct sync_timeline *tl;

	seq_puts(m, "objs:\n--------------\n");
	rcu_read_lock();
	list_for_each_entry_rcu(tl, &sync_timelines, link)
		sync_info_timeline(m, tl);
	rcu_read_unlock();
	seq_puts(m, "fences:\n--------------\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sync_info);

static int __init sync_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("sync", NULL);

	/*
	 * The files are never removed, so debugfs's removal protection
	 * (the proxy fops) would only cost; it would also hide
	 * sw_sync's compat_ioctl.
	 */
	debugfs_create_file_unsafe("info", 0444, dir, NULL, &sync_info_fops);
	debugfs_create_file_unsafe("sw_sync", 0644, dir, NULL,
				   &sw_sync_debugfs_fops);
	return 0;
}
late_initcall(sync_debugfs_init);
