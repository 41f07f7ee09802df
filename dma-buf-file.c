// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf: the file descriptor and its uAPI (include/uapi/linux/dma-buf.h).
 */

/**
 * DOC: implicit fence polling
 *
 * What userspace can do with a dma-buf fd:
 *
 * - ``llseek()``: SEEK_END with offset 0 returns the size, SEEK_SET with
 *   offset 0 returns 0 (for the usual "seek to the end and back"); any
 *   other whence or offset is -EINVAL.
 * - ``mmap()``: a page range within the buffer, if the exporter has
 *   &dma_buf_ops.mmap (else -EINVAL); a range past the end is -EINVAL.
 *   Bracket CPU access with DMA_BUF_IOCTL_SYNC.
 * - ``poll()``: EPOLLIN when the buffer may be read, i.e. every write
 *   fence has signalled; EPOLLOUT when it may be written, i.e. every
 *   fence has.  Each direction has one fence callback per buffer, armed
 *   by the first poller that has to wait and shared by the others; it
 *   holds a reference on the file until its fence signals, and then wakes
 *   every poller, which look again.
 * - ``ioctl()``: DMA_BUF_IOCTL_SYNC, DMA_BUF_SET_NAME (both numbers, for
 *   32- and 64-bit userspace), DMA_BUF_IOCTL_EXPORT_SYNC_FILE and
 *   DMA_BUF_IOCTL_IMPORT_SYNC_FILE; anything else is -ENOTTY.  32-bit
 *   callers use the same ioctls through compat_ptr_ioctl().
 * - ``/proc/<pid>/fdinfo/<fd>``: ``size``, ``count`` (file references,
 *   not counting the reader's), ``exp_name`` and ``name`` if set.
 *
 * Locking: poll claims a direction's callback slot under the wait queue's
 * lock, then looks for a fence to hook it on without any lock (the
 * unlocked fence iterator), so a poller never waits for a driver that
 * holds the reservation lock; the import ioctl takes that lock to add
 * fences.
 */

#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>
#include <uapi/linux/dma-buf.h>

#include "dma-buf-fault.h"
#include "dma-buf-internal.h"

/* Only the buffer's file has a buffer to drop from the debugfs list. */
static int dma_buf_fop_release(struct inode *inode, struct file *file)
{
	dma_buf_list_del(file->private_data);
	return 0;
}

static int dma_buf_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct dma_buf *buf = file->private_data;

	if (!buf->ops->mmap)
		return -EINVAL;
	/* the mm core has made sure vm_pgoff + pages does not wrap */
	if (vma->vm_pgoff + vma_pages(vma) > buf->size >> PAGE_SHIFT)
		return -EINVAL;
	DMA_BUF_TRACE(mmap_internal, buf);
	return buf->ops->mmap(buf, vma);
}

static loff_t dma_buf_file_llseek(struct file *file, loff_t offset,
				  int whence)
{
	struct dma_buf *buf = file->private_data;

	if (offset)
		return -EINVAL;
	switch (whence) {
	case SEEK_SET:
		return 0;
	case SEEK_END:
		return buf->size;
	default:
		return -EINVAL;
	}
}

static struct dma_buf *poll_cb_to_dma_buf(struct dma_buf_poll_cb_t *pcb)
{
	return container_of(pcb->poll, struct dma_buf, poll);
}

/*
 * The armed direction is done: wake its pollers, free the slot, and drop
 * what arming took (the fence, if one was found, and the file).
 */
static void dma_buf_poll_done(struct dma_buf_poll_cb_t *pcb,
			      struct dma_fence *fence)
{
	struct dma_buf *buf = poll_cb_to_dma_buf(pcb);
	unsigned long flags;
	struct file *file;

	spin_lock_irqsave(&pcb->poll->lock, flags);
	wake_up_locked_poll(pcb->poll, pcb->active);
	pcb->active = 0;
	/* NULL only for a buffer leaked after one put too many */
	file = buf->file;
	spin_unlock_irqrestore(&pcb->poll->lock, flags);

	dma_fence_put(fence);
	if (file)
		fput(file);
}

static void dma_buf_poll_fence_cb(struct dma_fence *fence,
				  struct dma_fence_cb *cb)
{
	dma_buf_poll_done(container_of(cb, struct dma_buf_poll_cb_t, cb),
			  fence);
}

/*
 * Poll one direction: @event is ready if no fence of @usage is pending.
 * If another poller armed this direction, it is not ready (that callback
 * will wake us).  Otherwise claim the slot and hook it on the first
 * pending fence found; with none, release the slot at once, which also
 * wakes pollers of an earlier round.
 */
static bool dma_buf_poll_one(struct dma_buf *buf,
			     struct dma_buf_poll_cb_t *pcb, __poll_t event,
			     enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	bool armed = false;

	spin_lock_irq(&buf->poll.lock);
	if (pcb->active) {
		spin_unlock_irq(&buf->poll.lock);
		return false;
	}
	pcb->active = event;
	spin_unlock_irq(&buf->poll.lock);

	/* the callback's reference; dma_buf_poll_done() drops it */
	get_file(buf->file);

	dma_resv_iter_begin(&cursor, buf->resv, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		dma_fence_get(fence);
		if (!dma_fence_add_callback(fence, &pcb->cb,
					    dma_buf_poll_fence_cb)) {
			armed = true;
			break;
		}
		dma_fence_put(fence);
	}
	dma_resv_iter_end(&cursor);

	if (!armed)
		dma_buf_poll_done(pcb, NULL);
	return !armed;
}

static __poll_t dma_buf_file_poll(struct file *file, poll_table *wait)
{
	struct dma_buf *buf = file->private_data;
	__poll_t events, ready = 0;

	if (!buf || !buf->resv)
		return EPOLLERR;

	poll_wait(file, &buf->poll, wait);

	events = poll_requested_events(wait) & (EPOLLIN | EPOLLOUT);
	/* a writer waits for every fence, a reader for the writers */
	if ((events & EPOLLOUT) &&
	    dma_buf_poll_one(buf, &buf->cb_out, EPOLLOUT,
			     dma_resv_usage_rw(true)))
		ready |= EPOLLOUT;
	if ((events & EPOLLIN) &&
	    dma_buf_poll_one(buf, &buf->cb_in, EPOLLIN,
			     dma_resv_usage_rw(false)))
		ready |= EPOLLIN;
	return ready;
}

/* DMA_BUF_SYNC_{READ,WRITE,RW} as the direction of the CPU access */
static const enum dma_data_direction dma_buf_sync_dir[] = {
	[DMA_BUF_SYNC_READ] = DMA_FROM_DEVICE,
	[DMA_BUF_SYNC_WRITE] = DMA_TO_DEVICE,
	[DMA_BUF_SYNC_RW] = DMA_BIDIRECTIONAL,
};

static long dma_buf_ioctl_sync(struct dma_buf *buf,
			       struct dma_buf_sync __user *uarg)
{
	struct dma_buf_sync req;
	unsigned int rw;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~(__u64)DMA_BUF_SYNC_VALID_FLAGS_MASK)
		return -EINVAL;
	/* a direction is required: there is no "sync nothing" */
	rw = req.flags & DMA_BUF_SYNC_RW;
	if (!rw)
		return -EINVAL;

	if (req.flags & DMA_BUF_SYNC_END)
		return dma_buf_end_cpu_access(buf, dma_buf_sync_dir[rw]);
	return dma_buf_begin_cpu_access(buf, dma_buf_sync_dir[rw]);
}

static long dma_buf_ioctl_set_name(struct dma_buf *buf,
				   const char __user *uname)
{
	char *name, *old;

	/* -EINVAL if no NUL within DMA_BUF_NAME_LEN bytes */
	name = dma_buf_fail_alloc() ? ERR_PTR(-ENOMEM) :
	       strndup_user(uname, DMA_BUF_NAME_LEN);
	if (IS_ERR(name))
		return PTR_ERR(name);

	spin_lock(&buf->name_lock);
	old = (char *)buf->name;
	buf->name = name;
	spin_unlock(&buf->name_lock);

	kfree(old);
	return 0;
}

#ifdef CONFIG_SYNC_FILE
/* both sync_file ioctls take READ, WRITE or both, and nothing else */
static bool dma_buf_sync_file_flags_valid(__u32 flags)
{
	return !(flags & ~DMA_BUF_SYNC_RW) && (flags & DMA_BUF_SYNC_RW);
}

static long dma_buf_ioctl_export_sync_file(struct dma_buf *buf,
					   void __user *uarg)
{
	struct dma_buf_export_sync_file req;
	struct dma_fence *snapshot = NULL;
	struct sync_file *sync_file;
	int fd, ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (!dma_buf_sync_file_flags_valid(req.flags))
		return -EINVAL;

	/* the fd first: a full fd table costs no fence array */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	ret = dma_resv_get_singleton(buf->resv,
				     dma_resv_usage_rw(req.flags & DMA_BUF_SYNC_WRITE),
				     &snapshot);
	if (ret)
		goto err_fd;
	/* nothing to wait for: a sync_file that is already signalled */
	if (!snapshot)
		snapshot = dma_fence_get_stub();

	sync_file = sync_file_create(snapshot);
	dma_fence_put(snapshot);
	if (!sync_file) {
		ret = -ENOMEM;
		goto err_fd;
	}

	req.fd = fd;
	if (copy_to_user(uarg, &req, sizeof(req))) {
		ret = -EFAULT;
		goto err_file;
	}
	fd_install(fd, sync_file->file);
	return 0;

err_file:
	fput(sync_file->file);
err_fd:
	put_unused_fd(fd);
	return ret;
}

static long dma_buf_ioctl_import_sync_file(struct dma_buf *buf,
					   const void __user *uarg)
{
	struct dma_buf_import_sync_file req;
	struct dma_fence_unwrap cursor;
	struct dma_fence *in, *part;
	enum dma_resv_usage usage;
	unsigned int count = 0;
	int ret = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (!dma_buf_sync_file_flags_valid(req.flags))
		return -EINVAL;

	in = sync_file_get_fence(req.fd);
	if (!in)
		return -EINVAL;

	/* a reservation slot per component: containers cannot go in */
	dma_fence_unwrap_for_each(part, &cursor, in)
		count++;

	usage = req.flags & DMA_BUF_SYNC_WRITE ? DMA_RESV_USAGE_WRITE :
						 DMA_RESV_USAGE_READ;
	if (count) {
		dma_resv_lock(buf->resv, NULL);
		ret = dma_resv_reserve_fences(buf->resv, count);
		if (!ret)
			dma_fence_unwrap_for_each(part, &cursor, in)
				dma_resv_add_fence(buf->resv, part, usage);
		dma_resv_unlock(buf->resv);
	}

	dma_fence_put(in);
	return ret;
}
#endif

static long dma_buf_file_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	struct dma_buf *buf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case DMA_BUF_IOCTL_SYNC:
		return dma_buf_ioctl_sync(buf, uarg);
	case DMA_BUF_SET_NAME_A:
	case DMA_BUF_SET_NAME_B:
		return dma_buf_ioctl_set_name(buf, uarg);
#ifdef CONFIG_SYNC_FILE
	case DMA_BUF_IOCTL_EXPORT_SYNC_FILE:
		return dma_buf_ioctl_export_sync_file(buf, uarg);
	case DMA_BUF_IOCTL_IMPORT_SYNC_FILE:
		return dma_buf_ioctl_import_sync_file(buf, uarg);
#endif
	default:
		return -ENOTTY;
	}
}

static void dma_buf_file_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct dma_buf *buf = file->private_data;

	seq_printf(m, "size:\t%zu\n", buf->size);
	/* procfs holds a reference of its own while it prints */
	seq_printf(m, "count:\t%ld\n", file_count(file) - 1);
	seq_printf(m, "exp_name:\t%s\n", buf->exp_name);
	spin_lock(&buf->name_lock);
	if (buf->name)
		seq_printf(m, "name:\t%s\n", buf->name);
	spin_unlock(&buf->name_lock);
}

const struct file_operations dma_buf_fops = {
	.release	= dma_buf_fop_release,
	.mmap		= dma_buf_file_mmap,
	.llseek		= dma_buf_file_llseek,
	.poll		= dma_buf_file_poll,
	.unlocked_ioctl	= dma_buf_file_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= dma_buf_file_show_fdinfo,
};
