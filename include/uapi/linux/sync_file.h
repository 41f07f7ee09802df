/* SPDX-License-Identifier: GPL-1.0+ WITH Linux-syscall-note */
/*
 * The ioctls of a sync_file descriptor.
 *
 * A sync_file is an fd that stands for one fence, or for a set of fences
 * merged into one: drivers hand them out (an out-fence of a GPU job, a KMS
 * commit, DMA_BUF_IOCTL_EXPORT_SYNC_FILE) and take them back as in-fences.
 * Besides these ioctls it supports poll(): POLLIN once every fence in it
 * has signalled.  Closing it drops the fences.
 */

#ifndef _UAPI_LINUX_SYNC_H
#define _UAPI_LINUX_SYNC_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct sync_merge_data - argument of SYNC_IOC_MERGE
 * @name: name of the new sync_file, NUL-terminated within the 32 bytes
 *	(the kernel keeps at most 31 characters)
 * @fd2: the other sync_file; the ioctl's own fd is the first
 * @fence: out: the new sync_file's fd, opened with O_CLOEXEC
 * @flags: must be zero
 * @pad: must be zero
 *
 * The new sync_file signals when both inputs have.  Fences of one context
 * are reduced to the latest, and fences that have already signalled are
 * left out; both inputs stay valid.
 */
struct sync_merge_data {
	char	name[32];
	__s32	fd2;
	__s32	fence;
	__u32	flags;
	__u32	pad;
};

/**
 * struct sync_fence_info - one fence of a sync_file, for SYNC_IOC_FILE_INFO
 * @obj_name: name of the fence's timeline
 * @driver_name: name of the driver that owns the fence
 * @status: 0 while pending, 1 once signalled, a negative errno if it
 *	signalled with an error
 * @flags: zero
 * @timestamp_ns: CLOCK_MONOTONIC time of the signal, 0 while pending
 */
struct sync_fence_info {
	char	obj_name[32];
	char	driver_name[32];
	__s32	status;
	__u32	flags;
	__u64	timestamp_ns;
};

/**
 * struct sync_file_info - argument of SYNC_IOC_FILE_INFO
 * @name: out: the sync_file's name (the merge name, or one made up from
 *	its fence)
 * @status: out: with @num_fences zero, the status of the sync_file's
 *	fence (1 signalled, 0 pending, a negative errno if it failed);
 *	otherwise 1 if every fence has signalled, else the status of the
 *	first fence in the list that is pending (0) or failed
 * @flags: must be zero
 * @num_fences: in: room in @sync_fence_info, in entries; out: how many
 *	fences the sync_file has (and entries were written)
 * @pad: must be zero
 * @sync_fence_info: user pointer to an array of &struct sync_fence_info
 *
 * The usual protocol takes two calls: the first with @num_fences zero
 * learns the count (the array is not touched), the second passes an
 * array of at least that many entries.  A smaller non-zero count is
 * -EINVAL.
 */
struct sync_file_info {
	char	name[32];
	__s32	status;
	__u32	flags;
	__u32	num_fences;
	__u32	pad;

	__u64	sync_fence_info;
};

/**
 * struct sync_set_deadline - argument of SYNC_IOC_SET_DEADLINE
 * @deadline_ns: CLOCK_MONOTONIC time by which the fences are wanted,
 *	e.g. the next vblank; an absolute time, not a timeout
 * @pad: must be zero
 *
 * A hint: a driver may raise its clocks to make the deadline.  It is
 * passed to every fence in the sync_file.
 */
struct sync_set_deadline {
	__u64	deadline_ns;
	__u64	pad;
};

#define SYNC_IOC_MAGIC		'>'

/*
 * Numbers 0 to 2 belonged to the sync API before it left staging; they
 * are not reused, so that a program built for that API fails cleanly.
 */
#define SYNC_IOC_MERGE		_IOWR(SYNC_IOC_MAGIC, 3, struct sync_merge_data)
#define SYNC_IOC_FILE_INFO	_IOWR(SYNC_IOC_MAGIC, 4, struct sync_file_info)
#define SYNC_IOC_SET_DEADLINE	_IOW(SYNC_IOC_MAGIC, 5, struct sync_set_deadline)

#endif /* _UAPI_LINUX_SYNC_H */
