// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf: export a buffer, hand it out as a file descriptor, find it
 * again from one, and free it when the last reference goes.
 */

/**
 * DOC: dma-buf overview
 *
 * A dma-buf is a buffer that one driver, the *exporter*, owns and that
 * other drivers, the *importers*, and userspace share.  The exporter
 * describes the buffer with &struct dma_buf_ops and calls dma_buf_export();
 * what comes back is reference counted through a file, so it travels to
 * userspace as an fd (dma_buf_fd()) and back into the kernel with
 * dma_buf_get().  An importer attaches its device (dma_buf_attach(), or
 * dma_buf_dynamic_attach() if it can follow moves) and maps the attachment
 * to get a DMA-mapped scatterlist; the CPU reaches the buffer with
 * dma_buf_vmap(), dma_buf_begin_cpu_access() or an mmap() of the fd.
 * Implicit synchronisation goes through the buffer's reservation object,
 * &dma_buf.resv: the fences of the work that reads or writes the buffer.
 *
 * The core is split by concern: this file (export, lifetime, the
 * pseudo-filesystem), dma-buf-file.c (the fd's operations and ioctls),
 * dma-buf-attach.c (attachments, mapping, moves), dma-buf-cpu.c (kernel
 * and userspace CPU access), dma-buf-debugfs.c (``dma_buf/bufinfo``) and
 * dma-buf-sysfs-stats.c (``/sys/kernel/dmabuf/buffers``).
 *
 * An exporter::
 *
 *	DEFINE_DMA_BUF_EXPORT_INFO(info);
 *	struct dma_buf *dmabuf;
 *
 *	info.ops = &my_dmabuf_ops;	// map, unmap and release at least
 *	info.size = obj->size;
 *	info.flags = O_RDWR;
 *	info.priv = obj;
 *	dmabuf = dma_buf_export(&info);
 *	if (IS_ERR(dmabuf))
 *		return PTR_ERR(dmabuf);
 *	fd = dma_buf_fd(dmabuf, O_CLOEXEC);	// consumes the reference
 *	if (fd < 0)
 *		dma_buf_put(dmabuf);
 *
 * An importer::
 *
 *	dmabuf = dma_buf_get(fd);
 *	attach = dma_buf_attach(dmabuf, dev);
 *	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
 *	... DMA to sg_dma_address() of the table, never to its pages ...
 *	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
 *	dma_buf_detach(dmabuf, attach);
 *	dma_buf_put(dmabuf);
 *
 * Locking: see "locking convention" below.
 *
 * Where 6.12 BUG()s on a misuse that a driver can recover from, this core
 * warns and refuses the operation instead: an unbalanced or mismatched
 * vunmap changes nothing, and a buffer whose last reference goes while it
 * is still vmapped or has a poll callback armed is leaked, not freed.
 */

/**
 * DOC: locking convention
 *
 * The buffer's reservation lock (dma_resv_lock() on &dma_buf.resv)
 * protects the attachment list, the cached mappings, the vmap counter and
 * the exporter callbacks that run under it.  It nests inside mmap_lock
 * and outside fs_reclaim, like every reservation lock.
 *
 * Importers must hold it for: dma_buf_map_attachment(),
 * dma_buf_unmap_attachment(), dma_buf_pin(), dma_buf_unpin(),
 * dma_buf_vmap(), dma_buf_vunmap(); exporters for dma_buf_move_notify().
 *
 * Importers must not hold it for: dma_buf_attach(),
 * dma_buf_dynamic_attach(), dma_buf_detach(), dma_buf_export(),
 * dma_buf_fd(), dma_buf_get(), dma_buf_put(), dma_buf_mmap(),
 * dma_buf_begin_cpu_access(), dma_buf_end_cpu_access(), and the
 * _unlocked variants of map, unmap, vmap and vunmap.
 *
 * Exporter callbacks called with it held: &dma_buf_ops.pin, unpin,
 * map_dma_buf, unmap_dma_buf, vmap and vunmap.  Called without it:
 * attach, detach, release, begin_cpu_access, end_cpu_access and mmap;
 * they may take it themselves.
 *
 * Other locks: &dma_buf.name_lock, a spinlock, protects only the name
 * (and is held around each dma_buf trace event, see DMA_BUF_TRACE());
 * the debugfs list's mutex is taken outside the reservation locks (the
 * bufinfo reader takes each buffer's lock inside it).  Everything that
 * takes the reservation lock may sleep; get_dma_buf() and dma_buf_put()
 * do not and may be called from any context.
 */

#include <linux/atomic.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <uapi/linux/dma-buf.h>
#include <uapi/linux/magic.h>

#include "dma-buf-fault.h"
#include "dma-buf-internal.h"
#include "dma-buf-sysfs-stats.h"

/*
 * The dma_buf tracepoints are defined here, once; the rest of the core
 * emits them through DMA_BUF_TRACE() (dma-buf-internal.h, which has
 * included the header already: define_trace.h reads it again).
 */
#define CREATE_TRACE_POINTS
#include <trace/events/dma_buf.h>

static struct vfsmount *dma_buf_mnt;

/*
 * /proc/<pid>/fd and map_files show "/dmabuf:<name>".  Called with only a
 * reference on the dentry, so the buffer must outlive its file: it is
 * freed in ->d_release, not in the file's ->release.
 */
static char *dma_buf_dname(struct dentry *dentry, char *out, int len)
{
	struct dma_buf *buf = dentry->d_fsdata;
	char name[DMA_BUF_NAME_LEN] = "";

	spin_lock(&buf->name_lock);
	if (buf->name)
		strscpy(name, buf->name, sizeof(name));
	spin_unlock(&buf->name_lock);

	return dynamic_dname(out, len, "/%s:%s", dentry->d_name.name, name);
}

/* The last reference to the buffer's file and dentry is gone. */
static void dma_buf_d_release(struct dentry *dentry)
{
	struct dma_buf *buf = dentry->d_fsdata;

	/* a file that never got its buffer (dma_buf_export() failed) */
	if (!buf)
		return;

	/*
	 * An armed poll callback holds a file reference and a vmap an
	 * importer's promise to unmap: either here means a reference was
	 * dropped too many times.  6.12 BUG()s; freeing would leave the
	 * callback on its fence, or the mapping in use, pointing at freed
	 * memory, so the buffer is leaked instead.  Its file is being freed
	 * all the same: forget it, so that the callback does not put it
	 * (best effort: a callback already running may still do so) and
	 * the holder of the extra reference finds no file to use.
	 */
	if (WARN(buf->cb_in.active || buf->cb_out.active ||
		 buf->vmapping_counter,
		 "dma-buf %s released while in use (poll %d/%d, vmap %u): leaked\n",
		 buf->exp_name, !!buf->cb_in.active, !!buf->cb_out.active,
		 buf->vmapping_counter)) {
		spin_lock_irq(&buf->poll.lock);
		buf->file = NULL;
		spin_unlock_irq(&buf->poll.lock);
		return;
	}
	WARN(!list_empty(&buf->attachments),
	     "dma-buf %s released with attachments\n", buf->exp_name);

	dma_buf_stats_teardown(buf);
	buf->ops->release(buf);

	if (buf->resv == (struct dma_resv *)&buf[1])
		dma_resv_fini(buf->resv);
	module_put(buf->owner);
	kfree(buf->name);
	kfree(buf);
}

static const struct dentry_operations dma_buf_dentry_ops = {
	.d_dname = dma_buf_dname,
	.d_release = dma_buf_d_release,
};

static int dma_buf_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, DMA_BUF_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &dma_buf_dentry_ops;
	return 0;
}

static struct file_system_type dma_buf_fs_type = {
	.name = "dmabuf",
	.init_fs_context = dma_buf_init_fs_context,
	.kill_sb = kill_anon_super,
};

/*
 * A file on the pseudo-filesystem for a buffer of @size bytes.  Each gets
 * a new inode number: userspace (fdinfo, sysfs stats, bufinfo) identifies
 * buffers by it, so it must not repeat while the machine runs.
 */
static struct file *dma_buf_new_file(size_t size, int flags)
{
	static atomic64_t last_ino;
	struct inode *inode;
	struct file *file;

	inode = alloc_anon_inode(dma_buf_mnt->mnt_sb);
	if (IS_ERR(inode))
		return ERR_CAST(inode);

	inode->i_size = size;
	inode_set_bytes(inode, size);
	inode->i_ino = atomic64_inc_return(&last_ino);

	file = alloc_file_pseudo(inode, dma_buf_mnt, "dmabuf",
				 flags & (O_ACCMODE | O_NONBLOCK), &dma_buf_fops);
	if (IS_ERR(file))
		iput(inode);
	return file;
}

/* The checks 6.12 makes of an exporter's description, with its errnos. */
static bool dma_buf_export_info_valid(const struct dma_buf_export_info *info)
{
	const struct dma_buf_ops *ops = info->ops;

	if (WARN_ON(!info->priv || !ops || !ops->map_dma_buf ||
		    !ops->unmap_dma_buf || !ops->release))
		return false;
	/* a cached mapping could not follow a move */
	if (WARN_ON(ops->cache_sgt_mapping && (ops->pin || ops->unpin)))
		return false;
	if (WARN_ON(!ops->pin != !ops->unpin))
		return false;
	return true;
}

/**
 * dma_buf_export - make a buffer shareable
 * @exp_info: the exporter's description of the buffer; see
 *	&struct dma_buf_export_info.  @exp_info->ops must have map_dma_buf,
 *	unmap_dma_buf and release, and pin and unpin together or neither.
 *
 * Creates the &struct dma_buf and its file, with a module reference on
 * @exp_info->owner for the buffer's lifetime, and a reservation object of
 * its own unless @exp_info->resv names one to share.  The caller holds the
 * one reference; dma_buf_fd() turns it into an fd.
 *
 * Context: process context; may sleep.
 * Return: the buffer, or ERR_PTR(-EINVAL) for an invalid description (or,
 * with CONFIG_DMABUF_SYSFS_STATS, no exporter name), ERR_PTR(-ENOENT) if
 * the owner module is going away, ERR_PTR(-ENOMEM).
 */
struct dma_buf *dma_buf_export(const struct dma_buf_export_info *exp_info)
{
	bool own_resv = !exp_info->resv;
	struct dma_buf *buf;
	struct file *file;
	int ret;

	if (!dma_buf_export_info_valid(exp_info))
		return ERR_PTR(-EINVAL);
	if (IS_ENABLED(CONFIG_DMABUF_SYSFS_STATS) && !exp_info->exp_name) {
		pr_err("dma-buf: an exporter without a name cannot be counted in sysfs\n");
		return ERR_PTR(-EINVAL);
	}
	if (!try_module_get(exp_info->owner))
		return ERR_PTR(-ENOENT);

	/*
	 * An embedded reservation object sits right after the struct; a
	 * shared one is told apart by its address, so the allocation is
	 * never exactly sizeof(*dmabuf) long (&dmabuf[1] would be valid).
	 */
	ret = -ENOMEM;
	buf = dma_buf_fail_alloc() ? NULL :
		 kzalloc(sizeof(*buf) +
			 (own_resv ? sizeof(struct dma_resv) : 1), GFP_KERNEL);
	if (!buf)
		goto err_module;

	buf->size = exp_info->size;
	buf->ops = exp_info->ops;
	buf->priv = exp_info->priv;
	buf->owner = exp_info->owner;
	buf->exp_name = exp_info->exp_name;
	INIT_LIST_HEAD(&buf->attachments);
	spin_lock_init(&buf->name_lock);
	init_waitqueue_head(&buf->poll);
	buf->cb_in.poll = &buf->poll;
	buf->cb_out.poll = &buf->poll;
	if (own_resv) {
		buf->resv = (struct dma_resv *)&buf[1];
		dma_resv_init(buf->resv);
	} else {
		buf->resv = exp_info->resv;
	}

	ret = dma_buf_stats_alloc(buf);
	if (ret)
		goto err_free;

	file = dma_buf_fail_alloc() ? ERR_PTR(-ENOMEM) :
	       dma_buf_new_file(exp_info->size, exp_info->flags);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_stats;
	}

	/* Nothing below can fail: from here the file owns the buffer. */
	file->private_data = buf;
	file->f_path.dentry->d_fsdata = buf;
	buf->file = file;

	dma_buf_list_add(buf);
	dma_buf_stats_publish(buf);
	DMA_BUF_TRACE(export, buf);
	return buf;

err_stats:
	dma_buf_stats_free(buf);
err_free:
	if (own_resv)
		dma_resv_fini(buf->resv);
	kfree(buf);
err_module:
	module_put(exp_info->owner);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_export, DMA_BUF);

/**
 * dma_buf_fd - install a buffer in a new file descriptor
 * @buf: the buffer
 * @flags: flags of the fd, O_CLOEXEC being the one that matters
 *
 * On success the fd owns the caller's reference; on failure the caller
 * still does.  The buffer may be gone as soon as the fd is installed
 * (another thread can close it), so the caller must not touch it after a
 * successful return unless it holds another reference.
 *
 * Return: the fd, -EINVAL for a NULL buffer, or the error of
 * get_unused_fd_flags() (-EMFILE).
 */
int dma_buf_fd(struct dma_buf *buf, int flags)
{
	struct file *file;
	int fd;

	if (!buf || !buf->file)
		return -EINVAL;

	file = buf->file;
	fd = get_unused_fd_flags(flags);
	if (fd < 0)
		return fd;
	/*
	 * Traced before fd_install(): once installed, the fd owns the
	 * caller's reference, and another thread may close it and free the
	 * buffer at once.  A reserved fd cannot be closed (EBADF).
	 */
	DMA_BUF_TRACE(fd, buf, fd);
	fd_install(fd, file);
	return fd;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_fd, DMA_BUF);

/**
 * dma_buf_get - the buffer behind a file descriptor
 * @fd: a file descriptor of the calling task
 *
 * Takes a reference, to be dropped with dma_buf_put().
 *
 * Return: the buffer, ERR_PTR(-EBADF) if @fd is not open, ERR_PTR(-EINVAL)
 * if it is not a dma-buf.
 */
struct dma_buf *dma_buf_get(int fd)
{
	struct file *file = fget(fd);
	struct dma_buf *buf;

	if (!file)
		return ERR_PTR(-EBADF);
	if (!is_dma_buf_file(file)) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	buf = file->private_data;
	/* the reference fget() took keeps the buffer alive */
	DMA_BUF_TRACE(get, buf, fd);
	return buf;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_get, DMA_BUF);

/**
 * dma_buf_put - drop a reference on a buffer
 * @buf: the buffer, from dma_buf_export(), dma_buf_get() or
 *	get_dma_buf()
 *
 * The last reference frees the buffer, after the exporter's
 * &dma_buf_ops.release.  The final release always runs later, as fput()
 * has it: on the task's return to userspace, or from a work item in
 * interrupt context and kernel threads.
 *
 * Context: any; does not sleep.
 */
void dma_buf_put(struct dma_buf *buf)
{
	if (WARN_ON(!buf || !buf->file))
		return;
	/* before the fput(): this may be the last reference */
	DMA_BUF_TRACE(put, buf);
	fput(buf->file);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_put, DMA_BUF);

static int __init dma_buf_init(void)
{
	int ret;

	ret = dma_buf_init_sysfs_statistics();
	if (ret)
		return ret;

	dma_buf_mnt = kern_mount(&dma_buf_fs_type);
	if (IS_ERR(dma_buf_mnt)) {
		dma_buf_uninit_sysfs_statistics();
		return PTR_ERR(dma_buf_mnt);
	}

	dma_buf_debugfs_init();
	return 0;
}
subsys_initcall(dma_buf_init);

static void __exit dma_buf_exit(void)
{
	dma_buf_debugfs_exit();
	kern_unmount(dma_buf_mnt);
	dma_buf_uninit_sysfs_statistics();
}

__exitcall(dma_buf_exit);
