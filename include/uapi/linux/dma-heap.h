/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The ioctl of a dma-buf heap's character device, /dev/dma_heap/<name>.
 *
 * A heap is an allocator of dma-bufs ("system": any pages; "reserved",
 * "linux,cma", ...: a CMA area).  Userspace opens the heap's device and
 * asks it for buffers; each comes back as a dma-buf fd, to be mmap()ed,
 * shared and imported into drivers like any other.
 */

#ifndef _UAPI_LINUX_DMABUF_POOL_H
#define _UAPI_LINUX_DMABUF_POOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* the fd_flags an allocation may ask for: O_CLOEXEC and an access mode */
#define DMA_HEAP_VALID_FD_FLAGS (O_CLOEXEC | O_ACCMODE)

/* the heap_flags an allocation may ask for: none are defined */
#define DMA_HEAP_VALID_HEAP_FLAGS (0ULL)

/**
 * struct dma_heap_allocation_data - argument of DMA_HEAP_IOCTL_ALLOC
 * @len: size of the buffer in bytes; rounded up to whole pages, and must
 *	not be zero
 * @fd: out: the new dma-buf's fd; must be zero on input
 * @fd_flags: flags of the new fd, within %DMA_HEAP_VALID_FD_FLAGS
 * @heap_flags: flags for the heap, within %DMA_HEAP_VALID_HEAP_FLAGS
 *
 * The kernel accepts this struct shorter or longer than it knows: missing
 * fields read as zero, unknown ones are left as they were.
 */
struct dma_heap_allocation_data {
	__u64 len;
	__u32 fd;
	__u32 fd_flags;
	__u64 heap_flags;
};

#define DMA_HEAP_IOC_MAGIC		'H'

/**
 * DOC: DMA_HEAP_IOCTL_ALLOC - allocate a buffer from the heap
 *
 * Takes a &struct dma_heap_allocation_data and returns a dma-buf fd in
 * its @fd field.
 */
#define DMA_HEAP_IOCTL_ALLOC	_IOWR(DMA_HEAP_IOC_MAGIC, 0x0,\
				      struct dma_heap_allocation_data)

#endif /* _UAPI_LINUX_DMABUF_POOL_H */
