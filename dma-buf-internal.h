/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the files of the dma-buf core share (internal, not for drivers):
 * dma-buf.c (export and lifetime), dma-buf-file.c (the fd and its uAPI),
 * dma-buf-attach.c (attach and map), dma-buf-cpu.c (CPU access) and
 * dma-buf-debugfs.c (bufinfo).  dma-heap.c uses DMA_BUF_TRACE() only.
 */
#ifndef DMA_BUF_INTERNAL_H
#define DMA_BUF_INTERNAL_H

#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/spinlock.h>
#include <trace/events/dma_buf.h>

extern const struct file_operations dma_buf_fops;

/* Every dma-buf file, and only those, has the core's file operations. */
static inline bool is_dma_buf_file(struct file *file)
{
	return file->f_op == &dma_buf_fops;
}

#if IS_ENABLED(CONFIG_DEBUG_FS)
void dma_buf_list_add(struct dma_buf *dmabuf);
void dma_buf_list_del(struct dma_buf *dmabuf);
void dma_buf_debugfs_init(void);
void dma_buf_debugfs_exit(void);
#else
static inline void dma_buf_list_add(struct dma_buf *dmabuf) { }
static inline void dma_buf_list_del(struct dma_buf *dmabuf) { }
static inline void dma_buf_debugfs_init(void) { }
static inline void dma_buf_debugfs_exit(void) { }
#endif

/**
 * DMA_BUF_TRACE - emit a dma_buf tracepoint for a buffer
 * @event: the event's name without its dma_buf_ prefix (export, fd, ...)
 * @buf: the buffer, which must stay alive across the call: trace before a
 *	reference is dropped or an fd is installed, never after
 * @...: the event's arguments after the buffer
 *
 * The events read nothing under &dma_buf.name_lock, yet upstream holds
 * the lock around each of them, and so do we: a probe attached to the raw
 * tracepoint (BPF) is handed the buffer and may read its name, and lockdep
 * should see the lock taken where upstream takes it.  It is locked and
 * unlocked plainly, not with guard(), which sparse cannot follow.
 *
 * With the event off this costs one static branch and no lock.  With
 * lockdep the lock is taken whether the event is on or not, so that
 * lockdep learns every context the lock is taken in from ordinary runs,
 * not only from runs with tracing on.  The lock is not irq-safe (nor is
 * upstream's use of it): a dma_buf_put() from hard interrupt context
 * would be reported by lockdep, and with the event on could spin on a
 * lock its CPU already holds.
 */
#define DMA_BUF_TRACE(event, buf, ...)					\
	do {								\
		struct dma_buf *tbuf_ = (buf);				\
									\
		if (IS_ENABLED(CONFIG_LOCKDEP) ||			\
		    trace_dma_buf_##event##_enabled()) {		\
			spin_lock(&tbuf_->name_lock);			\
			trace_dma_buf_##event(tbuf_, ##__VA_ARGS__);	\
			spin_unlock(&tbuf_->name_lock);			\
		}							\
	} while (0)

#endif /* DMA_BUF_INTERNAL_H */
