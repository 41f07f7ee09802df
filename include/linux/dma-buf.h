/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-buf: a buffer that one driver exports and other drivers, and
 * userspace through a file descriptor, share.
 *
 * The implementation is drivers/dma-buf/dma-buf*.c; the overview, with the
 * rules for exporters and importers, is the DOC: section of dma-buf.c.
 */
#ifndef __DMA_BUF_H__
#define __DMA_BUF_H__

#include <linux/iosys-map.h>
#include <linux/file.h>
#include <linux/err.h>
#include <linux/scatterlist.h>
#include <linux/list.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/dma-fence.h>
#include <linux/wait.h>

struct device;
struct dma_buf;
struct dma_buf_attachment;

/**
 * struct dma_buf_ops - what an exporter implements
 *
 * @map_dma_buf, @unmap_dma_buf and @release are mandatory; the others are
 * optional.  "Locked" below means the buffer's reservation lock
 * (&dma_buf.resv) is held by the caller.
 */
struct dma_buf_ops {
	/**
	 * @cache_sgt_mapping:
	 *
	 * If true, the core keeps the first mapping of each attachment and
	 * hands it out again until the attachment is detached, so
	 * @map_dma_buf runs at most once per attachment.
	 */
	bool cache_sgt_mapping;

	/**
	 * @attach:
	 *
	 * Optional.  Called by dma_buf_attach() for a new attachment, before
	 * it is visible.  Return -EBUSY (or another error) if the device
	 * cannot reach the backing storage; the attach then fails.
	 */
	int (*attach)(struct dma_buf *buf, struct dma_buf_attachment *att);

	/**
	 * @detach:
	 *
	 * Optional.  Called by dma_buf_detach() after the attachment left the
	 * list, to free what @attach allocated.
	 */
	void (*detach)(struct dma_buf *buf, struct dma_buf_attachment *att);

	/**
	 * @pin:
	 *
	 * Locked.  Keeps the backing storage where it is until @unpin, for an
	 * importer that cannot follow a move.  Setting @pin makes the exporter
	 * dynamic (dma_buf_is_dynamic()), and then @unpin is required.
	 * Return 0 or a negative errno.
	 */
	int (*pin)(struct dma_buf_attachment *att);

	/**
	 * @unpin:
	 *
	 * Locked.  Undoes one @pin; the storage may move again once the last
	 * pin is gone.
	 */
	void (*unpin)(struct dma_buf_attachment *att);

	/**
	 * @map_dma_buf:
	 *
	 * Mandatory.  Returns the scatterlist of the buffer, DMA-mapped for
	 * the attachment's device, or an ERR_PTR() (-EINTR and -ERESTARTSYS
	 * are allowed when a wait was interrupted).  Always locked; a dynamic
	 * exporter may also use the reservation's fences to order a move
	 * behind the mapping.  Only the DMA addresses and
	 * lengths of the table are the importer's to use: never the pages.
	 */
	struct sg_table *(*map_dma_buf)(struct dma_buf_attachment *att,
					enum dma_data_direction dir);
	/**
	 * @unmap_dma_buf:
	 *
	 * Mandatory.  Undoes @map_dma_buf, with the table and direction it
	 * returned and was given.  Always locked.
	 */
	void (*unmap_dma_buf)(struct dma_buf_attachment *att,
			      struct sg_table *sgt,
			      enum dma_data_direction dir);

	/**
	 * @release:
	 *
	 * Mandatory.  Called once, when the last reference to the buffer is
	 * gone, to free the exporter's state.
	 */
	void (*release)(struct dma_buf *buf);

	/**
	 * @begin_cpu_access:
	 *
	 * Optional.  Called by dma_buf_begin_cpu_access() (and the SYNC ioctl
	 * with DMA_BUF_SYNC_START) to make the buffer coherent for the CPU in
	 * the given direction: flush or invalidate caches, move it to system
	 * memory.  The core calls it first and waits for the implicit fences
	 * afterwards, so an exporter that can wait more cheaply itself may do
	 * so here; one that does not must not rely on the device being idle.
	 * May return -ERESTARTSYS or -EINTR.
	 */
	int (*begin_cpu_access)(struct dma_buf *buf, enum dma_data_direction dir);

	/**
	 * @end_cpu_access:
	 *
	 * Optional.  Called by dma_buf_end_cpu_access() (and the SYNC ioctl
	 * with DMA_BUF_SYNC_END) when the CPU is done, so the device sees
	 * what it wrote.
	 */
	int (*end_cpu_access)(struct dma_buf *buf, enum dma_data_direction dir);

	/**
	 * @mmap:
	 *
	 * Optional.  Maps the buffer into @vma for userspace, for an mmap()
	 * of the fd or dma_buf_mmap().  The core has checked the range and
	 * made the vma refer to the dma-buf's file.  Without it, mmap() is
	 * -EINVAL.  Coherency is the SYNC ioctl's business, not the mapping's.
	 */
	int (*mmap)(struct dma_buf *buf, struct vm_area_struct *vma);

	/**
	 * @vmap:
	 *
	 * Optional.  Maps the whole buffer into the kernel's address space
	 * (or describes its I/O memory) in @map.  Locked.  Called only for the
	 * first dma_buf_vmap(); later ones share the mapping.
	 */
	int (*vmap)(struct dma_buf *buf, struct iosys_map *map);

	/**
	 * @vunmap:
	 *
	 * Optional.  Undoes @vmap when the last user unmapped.  Locked.
	 */
	void (*vunmap)(struct dma_buf *buf, struct iosys_map *map);
};

/**
 * struct dma_buf - a shared buffer
 * @size: size in bytes, fixed for the buffer's lifetime.
 * @file: the file behind the buffer's fds; its refcount is the buffer's.
 * @attachments: the &dma_buf_attachment.node list, under @resv.
 * @ops: the exporter's operations.
 * @vmapping_counter: how many dma_buf_vmap() users share @vmap_ptr; under
 *	@resv.
 * @vmap_ptr: the kernel mapping while @vmapping_counter is non-zero.
 * @exp_name: the exporter's name, for debugfs, fdinfo and sysfs.
 * @name: a name userspace gave with DMA_BUF_SET_NAME, or NULL; read and
 *	replaced under @name_lock.
 * @name_lock: protects @name (a spinlock: fdinfo and the dentry name read
 *	it in contexts that must not sleep).
 * @owner: the exporter's module, referenced for the buffer's lifetime.
 * @list_node: on the debugfs list of all buffers (core internal).
 * @priv: the exporter's private data.
 * @resv: the reservation object with the buffer's implicit fences; the
 *	exporter's own or one embedded after the struct.
 * @poll: wait queue of poll() on the fd.
 * @cb_in: poll()'s armed fence callback for EPOLLIN (core internal).
 * @cb_out: poll()'s armed fence callback for EPOLLOUT (core internal).
 * @sysfs_entry: the buffer's directory under /sys/kernel/dmabuf/buffers,
 *	with CONFIG_DMABUF_SYSFS_STATS (core internal).
 *
 * Created by dma_buf_export(); reference counted through @file
 * (get_dma_buf(), dma_buf_put(), an fd); freed, after &dma_buf_ops.release,
 * when the last reference is dropped.
 */
struct dma_buf {
	size_t size;
	struct file *file;
	struct list_head attachments;
	const struct dma_buf_ops *ops;
	unsigned int vmapping_counter;
	struct iosys_map vmap_ptr;
	const char *exp_name;
	const char *name;
	spinlock_t name_lock;	/* protects name */
	struct module *owner;
#if IS_ENABLED(CONFIG_DEBUG_FS)
	struct list_head list_node;
#endif
	void *priv;
	struct dma_resv *resv;
	wait_queue_head_t poll;

	/*
	 * One fence callback per poll direction, armed by the first poll()
	 * that has to wait; @active holds the events it waits for, and is
	 * zero when the callback is free.  Under @poll's lock.
	 */
	struct dma_buf_poll_cb_t {
		struct dma_fence_cb cb;
		wait_queue_head_t *poll;

		__poll_t active;
	} cb_in, cb_out;
#ifdef CONFIG_DMABUF_SYSFS_STATS
	/* the kobject of the buffer's sysfs directory, back to the buffer */
	struct dma_buf_sysfs_entry {
		struct kobject kobj;
		struct dma_buf *dmabuf;
	} *sysfs_entry;
#endif
};

/**
 * struct dma_buf_attach_ops - what a dynamic importer implements
 * @allow_peer2peer: true if the importer can DMA to and from another
 *	device's memory (PCI peer-to-peer), i.e. needs no struct pages; the
 *	exporter sees it in &dma_buf_attachment.peer2peer.
 * @move_notify: called, with the reservation lock held, when the exporter
 *	is about to move the buffer (dma_buf_move_notify()): the importer
 *	must drop its mappings (unmap now or once the fences of its work on
 *	them signal) and map again before its next use.  Mandatory for
 *	dynamic attachments.
 *
 * An importer that passes these to dma_buf_dynamic_attach() maps with the
 * reservation lock held and follows moves instead of pinning the buffer.
 */
struct dma_buf_attach_ops {
	bool allow_peer2peer;
	void (*move_notify)(struct dma_buf_attachment *attach);
};

/**
 * struct dma_buf_attachment - one device's use of a buffer
 * @dmabuf: the buffer.
 * @dev: the importing device.
 * @node: entry of &dma_buf.attachments.
 * @sgt: the cached mapping (&dma_buf_ops.cache_sgt_mapping), or NULL.
 * @dir: the direction of @sgt.
 * @peer2peer: the importer accepts peer-to-peer memory.
 * @importer_ops: a dynamic importer's operations, NULL for a static one.
 * @importer_priv: the importer's private data.
 * @priv: the exporter's private data, usually set in &dma_buf_ops.attach.
 *
 * Created by dma_buf_attach() or dma_buf_dynamic_attach(), freed by
 * dma_buf_detach().  Not reference counted: the importer owns it.
 */
struct dma_buf_attachment {
	struct dma_buf *dmabuf;
	struct device *dev;
	struct list_head node;
	struct sg_table *sgt;
	enum dma_data_direction dir;
	bool peer2peer;
	const struct dma_buf_attach_ops *importer_ops;
	void *importer_priv;
	void *priv;
};

/**
 * struct dma_buf_export_info - what dma_buf_export() needs
 * @exp_name: the exporter's name (DEFINE_DMA_BUF_EXPORT_INFO() puts in
 *	KBUILD_MODNAME).
 * @owner: the exporter's module (THIS_MODULE).
 * @ops: the exporter's operations.
 * @size: the buffer's size in bytes.
 * @flags: the access mode and O_NONBLOCK of the buffer's file (other bits,
 *	O_CLOEXEC included, are dropped: dma_buf_fd() takes the fd's flags).
 * @resv: a reservation object to share, or NULL for one of the buffer's
 *	own.
 * @priv: the exporter's private data, in &dma_buf.priv.
 */
struct dma_buf_export_info {
	const char *exp_name;
	struct module *owner;
	const struct dma_buf_ops *ops;
	size_t size;
	int flags;
	struct dma_resv *resv;
	void *priv;
};

/**
 * DEFINE_DMA_BUF_EXPORT_INFO - declare a &dma_buf_export_info
 * @name: the variable's name
 *
 * Fills in the exporter's name and module; the caller sets the rest.
 */
#define DEFINE_DMA_BUF_EXPORT_INFO(name)	\
	struct dma_buf_export_info name = { .exp_name = KBUILD_MODNAME, \
					 .owner = THIS_MODULE }

/**
 * get_dma_buf - take a reference on a buffer
 * @dmabuf: the buffer
 *
 * For a caller that already holds one (an fd, an attachment's owner);
 * dropped with dma_buf_put().
 */
static inline void get_dma_buf(struct dma_buf *dmabuf)
{
	get_file(dmabuf->file);
}

/**
 * dma_buf_is_dynamic - can the buffer's exporter move it?
 * @dmabuf: the buffer
 *
 * Return: true for exporters with &dma_buf_ops.pin, which may move the
 * buffer after dma_buf_move_notify().
 */
static inline bool dma_buf_is_dynamic(struct dma_buf *dmabuf)
{
	return !!dmabuf->ops->pin;
}

/**
 * dma_buf_attachment_is_dynamic - does the importer follow moves?
 * @attach: the attachment
 *
 * Return: true for attachments made by dma_buf_dynamic_attach() with
 * importer ops.
 */
static inline bool
dma_buf_attachment_is_dynamic(struct dma_buf_attachment *attach)
{
	return !!attach->importer_ops;
}

/* export, fd and lifetime: dma-buf.c */
struct dma_buf *dma_buf_export(const struct dma_buf_export_info *exp_info);
int dma_buf_fd(struct dma_buf *buf, int flags);
struct dma_buf *dma_buf_get(int fd);
void dma_buf_put(struct dma_buf *buf);

/* attachments, mappings and moves: dma-buf-attach.c */
struct dma_buf_attachment *dma_buf_attach(struct dma_buf *buf,
					  struct device *dev);
struct dma_buf_attachment *
dma_buf_dynamic_attach(struct dma_buf *buf, struct device *dev,
		       const struct dma_buf_attach_ops *importer_ops,
		       void *importer_priv);
void dma_buf_detach(struct dma_buf *buf, struct dma_buf_attachment *att);
int dma_buf_pin(struct dma_buf_attachment *att);
void dma_buf_unpin(struct dma_buf_attachment *att);
struct sg_table *dma_buf_map_attachment(struct dma_buf_attachment *att,
					enum dma_data_direction dir);
void dma_buf_unmap_attachment(struct dma_buf_attachment *att,
			      struct sg_table *sgt,
			      enum dma_data_direction dir);
struct sg_table *
dma_buf_map_attachment_unlocked(struct dma_buf_attachment *att,
				enum dma_data_direction dir);
void dma_buf_unmap_attachment_unlocked(struct dma_buf_attachment *att,
				       struct sg_table *sgt,
				       enum dma_data_direction dir);
void dma_buf_move_notify(struct dma_buf *buf);

/* CPU access: dma-buf-cpu.c */
int dma_buf_begin_cpu_access(struct dma_buf *buf,
			     enum dma_data_direction dir);
int dma_buf_end_cpu_access(struct dma_buf *buf,
			   enum dma_data_direction dir);
int dma_buf_mmap(struct dma_buf *buf, struct vm_area_struct *vma,
		 unsigned long pgoff);
int dma_buf_vmap(struct dma_buf *buf, struct iosys_map *map);
void dma_buf_vunmap(struct dma_buf *buf, struct iosys_map *map);
int dma_buf_vmap_unlocked(struct dma_buf *buf, struct iosys_map *map);
void dma_buf_vunmap_unlocked(struct dma_buf *buf, struct iosys_map *map);

#endif /* __DMA_BUF_H__ */
