/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-buffer statistics in sysfs, /sys/kernel/dmabuf/buffers/<inode>/
 * (CONFIG_DMABUF_SYSFS_STATS): internal to the dma-buf core.
 *
 * dma_buf_export() calls dma_buf_stats_alloc() before the buffer's file
 * exists (it may fail), dma_buf_stats_free() if the export fails later,
 * and dma_buf_stats_publish() once the buffer is complete (it cannot
 * fail); the buffer's final release calls dma_buf_stats_teardown().
 */
#ifndef DMA_BUF_SYSFS_STATS_H
#define DMA_BUF_SYSFS_STATS_H

struct dma_buf;

#ifdef CONFIG_DMABUF_SYSFS_STATS
int dma_buf_init_sysfs_statistics(void);
void dma_buf_uninit_sysfs_statistics(void);
int dma_buf_stats_alloc(struct dma_buf *dmabuf);
void dma_buf_stats_free(struct dma_buf *dmabuf);
void dma_buf_stats_publish(struct dma_buf *dmabuf);
void dma_buf_stats_teardown(struct dma_buf *dmabuf);
#else
static inline int dma_buf_init_sysfs_statistics(void)
{
	return 0;
}

static inline void dma_buf_uninit_sysfs_statistics(void) { }

static inline int dma_buf_stats_alloc(struct dma_buf *dmabuf)
{
	return 0;
}

static inline void dma_buf_stats_free(struct dma_buf *dmabuf) { }
static inline void dma_buf_stats_publish(struct dma_buf *dmabuf) { }
static inline void dma_buf_stats_teardown(struct dma_buf *dmabuf) { }
#endif

#endif /* DMA_BUF_SYSFS_STATS_H */
