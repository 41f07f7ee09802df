/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the files of the dma-buf core share (internal, not for drivers):
 * dma-buf.c (export and lifetime), dma-buf-file.c (the fd and its uAPI),
 * dma-buf-attach.c (attach and map), dma-buf-cpu.c (CPU access) and
 * dma-buf-debugfs.c (bufinfo).
 */
#ifndef DMA_BUF_INTERNAL_H
#define DMA_BUF_INTERNAL_H

#include <linux/dma-buf.h>
#include <linux/fs.h>

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

#endif /* DMA_BUF_INTERNAL_H */
