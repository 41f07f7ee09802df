/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoints of a dma-buf's life: export, an fd made for it, an fd looked
 * up by a driver (dma_buf_get()), a driver's reference dropped
 * (dma_buf_put()), a device attached and detached, and the two ways it is
 * mmapped (an mmap() of its fd, dma_buf_mmap() from another driver's mmap).
 *
 * Every event starts with the exporter's name, the size and the inode
 * number of the buffer's file: the inode number is what userspace sees as
 * st_ino of the fd, "ino:" in fdinfo, the inode column of debugfs bufinfo
 * and the directory name under /sys/kernel/dmabuf/buffers, so one buffer
 * can be followed through its events and matched with what userspace
 * sees of it.
 *
 * The event names, the fields (names, types, order) and the print formats
 * are those of the dma_buf trace system of later upstream kernels (7.0),
 * so that trace tools written for those parse ours: they are ABI, change
 * none of them.  The callers hold &dma_buf.name_lock around each event
 * (see DMA_BUF_TRACE() in drivers/dma-buf/dma-buf-internal.h).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM dma_buf

#if !defined(_TRACE_DMA_BUF_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_DMA_BUF_H

#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/tracepoint.h>

/* The buffer alone: export, put and both mmap paths. */
DECLARE_EVENT_CLASS(dma_buf,
		    TP_PROTO(struct dma_buf *dmabuf),
		    TP_ARGS(dmabuf),
		    TP_STRUCT__entry(__string(exp_name, dmabuf->exp_name)
				     __field(size_t, size)
				     __field(ino_t, ino)),
		    TP_fast_assign(__assign_str(exp_name);
				   __entry->size = dmabuf->size;
				   __entry->ino = file_inode(dmabuf->file)->i_ino;),
		    TP_printk("exp_name=%s size=%zu ino=%lu",
			      __get_str(exp_name), __entry->size, __entry->ino)
);

/*
 * An attachment: the importing device's name comes first in the record
 * but last in the text.  @attach is only an identity, to pair an attach
 * with its detach; it is printed with %p, hashed like every %p.
 */
DECLARE_EVENT_CLASS(dma_buf_attach_dev,
		    TP_PROTO(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach,
			     bool is_dynamic, struct device *dev),
		    TP_ARGS(dmabuf, attach, is_dynamic, dev),
		    TP_STRUCT__entry(__string(dev_name, dev_name(dev))
				     __string(exp_name, dmabuf->exp_name)
				     __field(size_t, size)
				     __field(ino_t, ino)
				     __field(struct dma_buf_attachment *, attach)
				     __field(bool, is_dynamic)),
		    TP_fast_assign(__assign_str(dev_name);
				   __assign_str(exp_name);
				   __entry->size = dmabuf->size;
				   __entry->ino = file_inode(dmabuf->file)->i_ino;
				   __entry->is_dynamic = is_dynamic;
				   __entry->attach = attach;),
		    TP_printk("exp_name=%s size=%zu ino=%lu attachment:%p is_dynamic=%d dev_name=%s",
			      __get_str(exp_name), __entry->size, __entry->ino,
			      __entry->attach, __entry->is_dynamic,
			      __get_str(dev_name))
);

/* The buffer and an fd of the calling task: the fd made, or looked up. */
DECLARE_EVENT_CLASS(dma_buf_fd,
		    TP_PROTO(struct dma_buf *dmabuf, int fd),
		    TP_ARGS(dmabuf, fd),
		    TP_STRUCT__entry(__string(exp_name, dmabuf->exp_name)
				     __field(size_t, size)
				     __field(ino_t, ino)
				     __field(int, fd)),
		    TP_fast_assign(__assign_str(exp_name);
				   __entry->size = dmabuf->size;
				   __entry->ino = file_inode(dmabuf->file)->i_ino;
				   __entry->fd = fd;),
		    TP_printk("exp_name=%s size=%zu ino=%lu fd=%d",
			      __get_str(exp_name), __entry->size, __entry->ino,
			      __entry->fd)
);

/* dma_buf_export() succeeded; the caller holds the only reference. */
DEFINE_EVENT(dma_buf, dma_buf_export,
	     TP_PROTO(struct dma_buf *dmabuf),
	     TP_ARGS(dmabuf));

/* mmap() of the buffer's own fd, once the range has been checked. */
DEFINE_EVENT(dma_buf, dma_buf_mmap_internal,
	     TP_PROTO(struct dma_buf *dmabuf),
	     TP_ARGS(dmabuf));

/* dma_buf_mmap(): another driver's mmap() handed on to the exporter. */
DEFINE_EVENT(dma_buf, dma_buf_mmap,
	     TP_PROTO(struct dma_buf *dmabuf),
	     TP_ARGS(dmabuf));

/* dma_buf_put(), before the reference goes: it may be the last one. */
DEFINE_EVENT(dma_buf, dma_buf_put,
	     TP_PROTO(struct dma_buf *dmabuf),
	     TP_ARGS(dmabuf));

/* dma_buf_attach() or dma_buf_dynamic_attach() succeeded. */
DEFINE_EVENT(dma_buf_attach_dev, dma_buf_dynamic_attach,
	     TP_PROTO(struct dma_buf *dmabuf, struct dma_buf_attachment *attach,
		      bool is_dynamic, struct device *dev),
	     TP_ARGS(dmabuf, attach, is_dynamic, dev));

/* dma_buf_detach(), after the exporter's detach, before the free. */
DEFINE_EVENT(dma_buf_attach_dev, dma_buf_detach,
	     TP_PROTO(struct dma_buf *dmabuf, struct dma_buf_attachment *attach,
		      bool is_dynamic, struct device *dev),
	     TP_ARGS(dmabuf, attach, is_dynamic, dev));

/*
 * A new fd for the buffer, reserved but not yet installed: once it is,
 * another thread may close it and free the buffer.
 */
DEFINE_EVENT(dma_buf_fd, dma_buf_fd,
	     TP_PROTO(struct dma_buf *dmabuf, int fd),
	     TP_ARGS(dmabuf, fd));

/* dma_buf_get() found a dma-buf behind @fd and took a reference. */
DEFINE_EVENT(dma_buf_fd, dma_buf_get,
	     TP_PROTO(struct dma_buf *dmabuf, int fd),
	     TP_ARGS(dmabuf, fd));

#endif /* _TRACE_DMA_BUF_H */

/* outside the guard: define_trace.h reads this file again */
#include <trace/define_trace.h>
