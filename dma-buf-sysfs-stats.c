// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf sysfs statistics: one directory per buffer under
 * /sys/kernel/dmabuf/buffers, named after the inode number of the
 * buffer's file, with the files exporter_name and size.
 */

/**
 * DOC: overview
 *
 * With CONFIG_DMABUF_SYSFS_STATS every exported buffer appears as
 * ``/sys/kernel/dmabuf/buffers/<inode>/`` with two read-only files:
 * ``exporter_name`` (&dma_buf.exp_name) and ``size`` (&dma_buf.size, in
 * bytes), each one line.  Android's memory accounting reads them; the
 * inode number is the one fdinfo, bufinfo and ``stat`` of the fd show.
 * The kset sends no uevents.
 *
 * Creating a sysfs directory costs several times what the rest of an
 * export does, so the export path only queues the buffer: a delayed work
 * item, about 10 ms later, creates the directories of the queued buffers
 * in order.  A directory therefore appears shortly after dma_buf_export()
 * returns, not before; it disappears before the buffer is freed.  A
 * buffer released before its turn is just taken off the queue, so
 * short-lived buffers never cost a directory.
 *
 * Locking: @stats_pending_lock (a spinlock, so the export path never
 * waits for the worker) protects the queue.  @stats_mutex serialises the
 * worker's pop and kobject_add() of one buffer with the teardown of a
 * buffer that has left the queue, so a directory is never being added and
 * removed at the same time; a buffer still queued is torn down without it.
 * The attribute show functions read fields that are constant for the
 * buffer's lifetime, and kobject_del() waits for running readers before
 * the buffer is freed.
 */

#include <linux/dma-buf.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include "dma-buf-fault.h"
#include "dma-buf-sysfs-stats.h"

/*
 * The core's side of &dma_buf.sysfs_entry: the public entry (kobject and
 * buffer) and the queue bookkeeping, which the header need not show.
 */
struct dma_buf_stats {
	struct dma_buf_sysfs_entry entry;
	struct list_head pending;	/* on stats_pending, or empty */
	unsigned long ino;
	bool added;			/* kobject_add() succeeded */
};

static struct kset *stats_root;		/* /sys/kernel/dmabuf */
static struct kset *stats_buffers;	/* /sys/kernel/dmabuf/buffers */
static LIST_HEAD(stats_pending);
static DEFINE_SPINLOCK(stats_pending_lock);
static DEFINE_MUTEX(stats_mutex);

static struct dma_buf_stats *to_stats(struct kobject *kobj)
{
	return container_of(kobj, struct dma_buf_stats, entry.kobj);
}

static ssize_t exporter_name_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_stats(kobj)->entry.dmabuf->exp_name);
}

static ssize_t size_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%zu\n", to_stats(kobj)->entry.dmabuf->size);
}

static struct kobj_attribute exporter_name_attr = __ATTR_RO(exporter_name);
static struct kobj_attribute size_attr = __ATTR_RO(size);

static struct attribute *dma_buf_stats_attrs[] = {
	&exporter_name_attr.attr,
	&size_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dma_buf_stats);

static void dma_buf_stats_release(struct kobject *kobj)
{
	kfree(to_stats(kobj));
}

static const struct kobj_type dma_buf_stats_ktype = {
	.sysfs_ops = &kobj_sysfs_ops,
	.release = dma_buf_stats_release,
	.default_groups = dma_buf_stats_groups,
};

/* statistics directories are polled by their readers: no uevents */
static int dma_buf_stats_no_uevent(const struct kobject *kobj)
{
	return 0;
}

static const struct kset_uevent_ops dma_buf_stats_uevent_ops = {
	.filter = dma_buf_stats_no_uevent,
};

/*
 * Create the directories of the queued buffers, one at a time: the mutex
 * is held per buffer so that a release waits for at most one kobject_add().
 */
static void dma_buf_stats_work(struct work_struct *work)
{
	struct dma_buf_stats *stats;
	int ret;

	for (;;) {
		mutex_lock(&stats_mutex);
		spin_lock(&stats_pending_lock);
		stats = list_first_entry_or_null(&stats_pending,
						 struct dma_buf_stats, pending);
		if (stats)
			list_del_init(&stats->pending);
		spin_unlock(&stats_pending_lock);
		if (!stats) {
			mutex_unlock(&stats_mutex);
			break;
		}

		ret = kobject_add(&stats->entry.kobj, NULL, "%lu", stats->ino);
		if (ret)
			pr_warn_ratelimited("dma-buf: no sysfs statistics for buffer %lu: %d\n",
					    stats->ino, ret);
		stats->added = !ret;
		mutex_unlock(&stats_mutex);
		cond_resched();
	}
}

/*
 * Directories are made a little after the export, in batches: a buffer
 * that lives shorter than that never gets one, and on a single CPU the
 * worker does not preempt the exporting task at every export.
 */
#define DMA_BUF_STATS_DELAY	msecs_to_jiffies(10)
static DECLARE_DELAYED_WORK(stats_work, dma_buf_stats_work);

/* Called by dma_buf_export() before the buffer has a file. */
int dma_buf_stats_alloc(struct dma_buf *dmabuf)
{
	struct dma_buf_stats *stats;

	stats = dma_buf_fail_alloc() ? NULL :
		kzalloc(sizeof(*stats), GFP_KERNEL);
	if (!stats)
		return -ENOMEM;

	INIT_LIST_HEAD(&stats->pending);
	stats->entry.dmabuf = dmabuf;
	stats->entry.kobj.kset = stats_buffers;
	kobject_init(&stats->entry.kobj, &dma_buf_stats_ktype);
	dmabuf->sysfs_entry = &stats->entry;
	return 0;
}

/* Undoes dma_buf_stats_alloc() of an export that failed. */
void dma_buf_stats_free(struct dma_buf *dmabuf)
{
	kobject_put(&dmabuf->sysfs_entry->kobj);
	dmabuf->sysfs_entry = NULL;
}

/* Queues the complete buffer for its directory; cannot fail. */
void dma_buf_stats_publish(struct dma_buf *dmabuf)
{
	struct dma_buf_stats *stats;

	stats = container_of(dmabuf->sysfs_entry, struct dma_buf_stats, entry);
	stats->ino = file_inode(dmabuf->file)->i_ino;

	spin_lock(&stats_pending_lock);
	list_add_tail(&stats->pending, &stats_pending);
	spin_unlock(&stats_pending_lock);
	/* a no-op while a run is already scheduled */
	schedule_delayed_work(&stats_work, DMA_BUF_STATS_DELAY);
}

/* The buffer is being freed: its directory goes first. */
void dma_buf_stats_teardown(struct dma_buf *dmabuf)
{
	struct dma_buf_stats *stats;
	bool queued;

	if (!dmabuf->sysfs_entry)
		return;
	stats = container_of(dmabuf->sysfs_entry, struct dma_buf_stats, entry);

	/* not created yet: off the queue, and the worker never sees it */
	spin_lock(&stats_pending_lock);
	queued = !list_empty(&stats->pending);
	list_del_init(&stats->pending);
	spin_unlock(&stats_pending_lock);

	if (!queued) {
		/* the worker pops and adds under the mutex: wait for it */
		mutex_lock(&stats_mutex);
		if (stats->added)
			kobject_del(&stats->entry.kobj);
		mutex_unlock(&stats_mutex);
	}

	dmabuf->sysfs_entry = NULL;
	kobject_put(&stats->entry.kobj);
}

int dma_buf_init_sysfs_statistics(void)
{
	stats_root = kset_create_and_add("dmabuf", &dma_buf_stats_uevent_ops,
					 kernel_kobj);
	if (!stats_root)
		return -ENOMEM;

	stats_buffers = kset_create_and_add("buffers", &dma_buf_stats_uevent_ops,
					    &stats_root->kobj);
	if (!stats_buffers) {
		kset_unregister(stats_root);
		return -ENOMEM;
	}
	return 0;
}

void dma_buf_uninit_sysfs_statistics(void)
{
	flush_delayed_work(&stats_work);
	kset_unregister(stats_buffers);
	kset_unregister(stats_root);
}
