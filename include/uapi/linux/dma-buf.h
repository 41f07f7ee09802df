/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The ioctls of a dma-buf file descriptor.
 *
 * A dma-buf fd is a handle on a buffer that some driver (the exporter)
 * owns and that other drivers and userspace may share.  Besides these
 * ioctls the fd supports mmap() of the whole buffer or a page range of
 * it, llseek() to learn its size (SEEK_END with offset 0), poll() for the
 * implicit fences attached to it, and fdinfo in /proc.
 */

#ifndef _DMA_BUF_UAPI_H_
#define _DMA_BUF_UAPI_H_

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct dma_buf_sync - bracket CPU access through an mmap() of the fd
 * @flags: one of DMA_BUF_SYNC_START or DMA_BUF_SYNC_END, or'ed with the
 *	direction of the access: DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE or
 *	DMA_BUF_SYNC_RW.  Any other bit, or no direction, is -EINVAL.
 *
 * Userspace issues DMA_BUF_IOCTL_SYNC with START before it touches the
 * mapping and with END (same direction) when it is done, so that the
 * exporter can wait for the device and keep caches coherent.  START waits
 * for the implicit fences that conflict with the access; it may return
 * -EAGAIN or -EINTR, and must then be repeated.
 */
struct dma_buf_sync {
	__u64 flags;
};

#define DMA_BUF_SYNC_READ      (1 << 0)
#define DMA_BUF_SYNC_WRITE     (2 << 0)
#define DMA_BUF_SYNC_RW        (DMA_BUF_SYNC_READ | DMA_BUF_SYNC_WRITE)
#define DMA_BUF_SYNC_START     (0 << 2)
#define DMA_BUF_SYNC_END       (1 << 2)
#define DMA_BUF_SYNC_VALID_FLAGS_MASK \
	(DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END)

/* The longest name DMA_BUF_SET_NAME accepts, including its NUL. */
#define DMA_BUF_NAME_LEN	32

/**
 * struct dma_buf_export_sync_file - take a snapshot of the implicit fences
 * @flags: DMA_BUF_SYNC_READ to get what a reader must wait for (the
 *	writers), DMA_BUF_SYNC_WRITE or DMA_BUF_SYNC_RW for what a writer
 *	must wait for (every fence).  Other bits are -EINVAL.
 * @fd: out: a new sync_file fd (O_CLOEXEC) of those fences; a signalled
 *	one if there are none.
 *
 * The sync_file holds the fences of the moment of the call: fences added
 * to the buffer afterwards are not in it.
 */
struct dma_buf_export_sync_file {
	__u32 flags;
	__s32 fd;
};

/**
 * struct dma_buf_import_sync_file - add a sync_file's fences to the buffer
 * @flags: DMA_BUF_SYNC_READ to add them as read (shared) fences,
 *	DMA_BUF_SYNC_WRITE or DMA_BUF_SYNC_RW as write fences.  Other bits
 *	are -EINVAL.
 * @fd: the sync_file fd whose fences are added; it stays open.
 *
 * This is how an explicitly synchronised producer hands its work to an
 * implicitly synchronised consumer of the same buffer.
 */
struct dma_buf_import_sync_file {
	__u32 flags;
	__s32 fd;
};

#define DMA_BUF_BASE		'b'
#define DMA_BUF_IOCTL_SYNC	_IOW(DMA_BUF_BASE, 0, struct dma_buf_sync)

/*
 * DMA_BUF_SET_NAME takes a pointer to a NUL-terminated name of at most
 * DMA_BUF_NAME_LEN bytes, shown in fdinfo and debugfs.  The ioctl number
 * was defined with the size of a pointer, so 32- and 64-bit userspace got
 * different numbers; the kernel accepts both, named _A (4 bytes) and _B
 * (8 bytes) here for code that must build one explicitly.
 */
#define DMA_BUF_SET_NAME	_IOW(DMA_BUF_BASE, 1, const char *)
#define DMA_BUF_SET_NAME_A	_IOW(DMA_BUF_BASE, 1, __u32)
#define DMA_BUF_SET_NAME_B	_IOW(DMA_BUF_BASE, 1, __u64)
#define DMA_BUF_IOCTL_EXPORT_SYNC_FILE	_IOWR(DMA_BUF_BASE, 2, struct dma_buf_export_sync_file)
#define DMA_BUF_IOCTL_IMPORT_SYNC_FILE	_IOW(DMA_BUF_BASE, 3, struct dma_buf_import_sync_file)

#endif
