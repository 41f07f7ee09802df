// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf: the list of every live buffer and its debugfs view,
 * /sys/kernel/debug/dma_buf/bufinfo.
 */

/**
 * DOC: bufinfo
 *
 * ``/sys/kernel/debug/dma_buf/bufinfo`` lists every buffer whose file is
 * still open, newest first, in the format of Linux 6.12 (tools parse it):
 * a header line, then per buffer one line of size, file flags, file mode,
 * file reference count (all zero-padded, tab-separated), exporter name,
 * inode number and name (``<none>`` if unset); its fences as
 * dma_resv_describe() prints them; its attached devices, and a
 * ``Total N devices attached`` line.  A final line gives the number of
 * buffers and their total size.
 *
 * Locking: @dma_buf_list_lock, a mutex, protects the list.  The reader
 * holds it across the walk and takes each buffer's reservation lock
 * (interruptibly) inside it, so the list lock nests outside every
 * reservation lock; export and the file's release take it alone.
 */

#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>

#include "dma-buf-internal.h"
#include "dma-fence-hang.h"

static DEFINE_MUTEX(dma_buf_list_lock);
static LIST_HEAD(dma_buf_list);
static struct dentry *bufinfo_dir;

/* A new buffer, from dma_buf_export(). */
void dma_buf_list_add(struct dma_buf *buf)
{
	mutex_lock(&dma_buf_list_lock);
	list_add(&buf->list_node, &dma_buf_list);
	mutex_unlock(&dma_buf_list_lock);
}

/* The buffer's file is being released. */
void dma_buf_list_del(struct dma_buf *buf)
{
	mutex_lock(&dma_buf_list_lock);
	list_del(&buf->list_node);
	mutex_unlock(&dma_buf_list_lock);
}

static int dma_buf_show_one(struct seq_file *s, struct dma_buf *buf)
{
	struct dma_buf_attachment *att;
	unsigned int devices = 0;
	int ret;

	ret = dma_resv_lock_interruptible(buf->resv, NULL);
	if (ret)
		return ret;

	spin_lock(&buf->name_lock);
	seq_printf(s, "%08zu\t%08x\t%08x\t%08ld\t%s\t%08lu\t%s\n",
		   buf->size, buf->file->f_flags, buf->file->f_mode,
		   file_count(buf->file), buf->exp_name,
		   file_inode(buf->file)->i_ino,
		   buf->name ?: "<none>");
	spin_unlock(&buf->name_lock);

	dma_resv_describe(buf->resv, s);

	seq_puts(s, "\tAttached Devices:\n");
	list_for_each_entry(att, &buf->attachments, node) {
		seq_printf(s, "\t%s\n", dev_name(att->dev));
		devices++;
	}
	dma_resv_unlock(buf->resv);

	seq_printf(s, "Total %u devices attached\n\n", devices);
	return 0;
}

static int bufinfo_show(struct seq_file *s, void *unused)
{
	struct dma_buf *buf;
	unsigned int count = 0;
	size_t total = 0;
	int ret;

	ret = mutex_lock_interruptible(&dma_buf_list_lock);
	if (ret)
		return ret;

	seq_puts(s, "\nDma-buf Objects:\n");
	seq_printf(s, "%-8s\t%-8s\t%-8s\t%-8s\texp_name\t%-8s\tname\n",
		   "size", "flags", "mode", "count", "ino");

	list_for_each_entry(buf, &dma_buf_list, list_node) {
		ret = dma_buf_show_one(s, buf);
		if (ret)
			goto out;
		count++;
		total += buf->size;
	}
	seq_printf(s, "\nTotal %u objects, %zu bytes\n", count, total);
out:
	mutex_unlock(&dma_buf_list_lock);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(bufinfo);

#ifdef CONFIG_DMA_FENCE_DEBUG_HANG
static const char * const resv_usage_names[] = {
	[DMA_RESV_USAGE_KERNEL] = "kernel",
	[DMA_RESV_USAGE_WRITE] = "write",
	[DMA_RESV_USAGE_READ] = "read",
	[DMA_RESV_USAGE_BOOKKEEP] = "bookkeep",
};

/*
 * For the fence-hang report: one line per exported buffer whose
 * reservation object holds @fence; returns how many, or -EINTR.  The
 * reservation objects are read without their locks, as whoever holds a
 * stuck fence may hold the lock too; the list lock keeps the buffers.
 * Names are escaped: the report's lines must not be forged.
 */
int dma_buf_list_describe_resv(struct seq_file *s, struct dma_fence *fence)
{
	struct dma_resv_iter cursor;
	struct dma_fence *held;
	struct dma_buf *buf;
	int found = 0;

	if (mutex_lock_interruptible(&dma_buf_list_lock))
		return -EINTR;
	list_for_each_entry(buf, &dma_buf_list, list_node) {
		int usage = -1;

		dma_resv_iter_begin(&cursor, buf->resv, DMA_RESV_USAGE_BOOKKEEP);
		dma_resv_for_each_fence_unlocked(&cursor, held) {
			if (dma_resv_iter_is_restarted(&cursor))
				usage = -1;	/* the walk begins again */
			if (held == fence)
				usage = dma_resv_iter_usage(&cursor);
		}
		dma_resv_iter_end(&cursor);
		if (usage < 0)
			continue;

		seq_printf(s, "\tdma-buf %lu %s \"", file_inode(buf->file)->i_ino,
			   buf->exp_name);
		spin_lock(&buf->name_lock);
		dma_fence_hang_puts(s, buf->name ?: "<none>");
		spin_unlock(&buf->name_lock);
		seq_printf(s, "\" usage %s\n", resv_usage_names[usage]);
		found++;
	}
	mutex_unlock(&dma_buf_list_lock);
	return found;
}
#endif

void dma_buf_debugfs_init(void)
{
	/* debugfs failures are not errors: the directory is optional */
	bufinfo_dir = debugfs_create_dir("dma_buf", NULL);
	debugfs_create_file("bufinfo", 0444, bufinfo_dir, NULL,
			    &bufinfo_fops);
	dma_fence_hang_debugfs_init(bufinfo_dir);
}

void dma_buf_debugfs_exit(void)
{
	debugfs_remove_recursive(bufinfo_dir);
}
