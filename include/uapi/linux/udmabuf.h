/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The ioctls of /dev/udmabuf.
 *
 * /dev/udmabuf turns pages of a memfd (shmem or hugetlbfs) into a dma-buf:
 * the new dma-buf fd shares the memory with the memfd, so what one writes
 * the other sees.  The memfd must carry F_SEAL_SHRINK and neither
 * F_SEAL_WRITE nor F_SEAL_FUTURE_WRITE; offsets and sizes are multiples of
 * the page size.  The ioctls return the new dma-buf fd.
 */

#ifndef _UAPI_LINUX_UDMABUF_H
#define _UAPI_LINUX_UDMABUF_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Open the new dma-buf fd with O_CLOEXEC; other bits are ignored. */
#define UDMABUF_FLAGS_CLOEXEC	0x01

/**
 * struct udmabuf_create - argument of UDMABUF_CREATE
 * @memfd: the memfd whose pages back the buffer
 * @flags: %UDMABUF_FLAGS_CLOEXEC or 0
 * @offset: where the range starts in @memfd, in bytes, page aligned
 * @size: length of the range and of the buffer, in bytes, page aligned,
 *	not zero
 */
struct udmabuf_create {
	__u32 memfd;
	__u32 flags;
	__u64 offset;
	__u64 size;
};

/**
 * struct udmabuf_create_item - one range of a UDMABUF_CREATE_LIST buffer
 * @memfd: the memfd the range comes from
 * @__pad: unused, for the alignment of @offset
 * @offset: start of the range in @memfd, in bytes, page aligned
 * @size: length of the range, in bytes, page aligned, not zero
 */
struct udmabuf_create_item {
	__u32 memfd;
	__u32 __pad;
	__u64 offset;
	__u64 size;
};

/**
 * struct udmabuf_create_list - argument of UDMABUF_CREATE_LIST
 * @flags: %UDMABUF_FLAGS_CLOEXEC or 0
 * @count: number of entries in @list, at most the module parameter
 *	``list_limit``
 * @list: the ranges, laid end to end in this order to form the buffer;
 *	they may come from different memfds
 */
struct udmabuf_create_list {
	__u32 flags;
	__u32 count;
	struct udmabuf_create_item list[];
};

#define UDMABUF_CREATE       _IOW('u', 0x42, struct udmabuf_create)
#define UDMABUF_CREATE_LIST  _IOW('u', 0x43, struct udmabuf_create_list)

#endif /* _UAPI_LINUX_UDMABUF_H */
