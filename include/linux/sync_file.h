/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sync_file: a fence as a file descriptor, for explicit synchronisation
 * with userspace.  See drivers/dma-buf/sync_file.c.
 */

#ifndef _LINUX_SYNC_FILE_H
#define _LINUX_SYNC_FILE_H

#include <linux/types.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>

/**
 * struct sync_file - the object behind a sync_file descriptor
 * @file: the file; the sync_file lives exactly as long as it
 * @user_name: the name given by SYNC_IOC_MERGE; all zero otherwise, and
 *	sync_file_get_name() then builds one from @fence
 * @wq: where poll() sleeps until @fence signals
 * @flags: bit %POLL_ENABLED is set once poll() has armed @cb
 * @fence: the fence, with the sync_file's reference; never changes
 * @cb: the callback poll() adds to @fence, at most once per sync_file
 * @created: CLOCK_MONOTONIC time the oldest sync_file that held @fence
 *	(or a part of it, for a merge) was made; fdinfo reports pending
 *	fences' age from it
 * @hang_link: on the list of open sync_files that the fence-hang
 *	diagnostics search (CONFIG_DMA_FENCE_DEBUG_HANG only)
 *
 * Drivers create one with sync_file_create() and hand it to userspace
 * with fd_install(fd, sync_file->file); they should touch no other field.
 */
struct sync_file {
	struct file		*file;
	char			user_name[32];

	wait_queue_head_t	wq;
	unsigned long		flags;

	struct dma_fence	*fence;
	struct dma_fence_cb	cb;

	ktime_t			created;
#ifdef CONFIG_DMA_FENCE_DEBUG_HANG
	struct list_head	hang_link;
#endif
};

#define POLL_ENABLED 0

struct sync_file *sync_file_create(struct dma_fence *fence);
struct dma_fence *sync_file_get_fence(int fd);
char *sync_file_get_name(struct sync_file *sync_file, char *buf, int len);

#endif /* _LINUX_SYNC_FILE_H */
