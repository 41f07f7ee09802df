// SPDX-License-Identifier: GPL-2.0-only
/*
 * sync_file: a fence as a file descriptor (include/uapi/linux/sync_file.h).
 */

/**
 * DOC: overview
 *
 * A sync_file carries one &dma_fence across the kernel/userspace boundary.
 * A driver that completes work asynchronously wraps the work's fence in a
 * sync_file and installs it as an fd (an "out-fence"); userspace waits on
 * it with poll(), merges several into one, or passes it to another driver
 * as an "in-fence", which takes the fence back out with
 * sync_file_get_fence() and waits for it before it starts.
 *
 * Handing out a fence, in a driver's ioctl::
 *
 *	struct sync_file *sf;
 *	int fd;
 *
 *	fd = get_unused_fd_flags(O_CLOEXEC);
 *	if (fd < 0)
 *		return fd;
 *	sf = sync_file_create(job->done_fence);
 *	if (!sf) {
 *		put_unused_fd(fd);
 *		return -ENOMEM;
 *	}
 *	fd_install(fd, sf->file);
 *	args->out_fence = fd;
 *
 * and taking one in::
 *
 *	struct dma_fence *in = sync_file_get_fence(args->in_fence);
 *
 *	if (!in)
 *		return -EINVAL;
 *	ret = my_job_add_dependency(job, in);	// consumes the reference
 *
 * The fence of a sync_file never changes. A merge (SYNC_IOC_MERGE) makes a
 * new sync_file with a new fence, built by dma_fence_unwrap_merge(): the
 * inputs' containers are flattened, one fence kept per context, and
 * fences that have signalled are dropped.
 *
 * Beyond 6.12, ``/proc/<pid>/fdinfo/<fd>`` of a sync_file lists its fences
 * (see "sync_file fdinfo" below), so a leaked or stuck fence can be found
 * without debugfs.
 *
 * Locking: a sync_file has no lock of its own. Its fence is set before the
 * file is visible and stays until release, so every file operation may use
 * it freely. poll() arms the fence callback at most once (bit
 * %POLL_ENABLED claims it atomically); release removes it if it is still
 * pending. All entry points may sleep except where noted.
 */

/**
 * DOC: sync_file fdinfo
 *
 * After the generic lines (pos, flags, mnt_id, ino) a sync_file's fdinfo
 * has, each a "key:<TAB>value" line::
 *
 *	sync_file:	<name, as SYNC_IOC_FILE_INFO reports it>
 *	status:	active | signaled | error <errno>
 *	fences:	<number of fences>
 *	fence:	context=<u64> seqno=<u64> status=<...> [pending_ms=<n>] \
 *		[timestamp_ns=<n>] driver=<driver> timeline=<timeline>
 *
 * with one ``fence:`` line per fence (on one line; wrapped here). Pending
 * fences show ``pending_ms``, the milliseconds since this sync_file (for
 * a merge: the newer of its inputs) was created, a lower bound on how long
 * the fence has been outstanding; signalled fences show the
 * CLOCK_MONOTONIC ``timestamp_ns`` of the signal. Names are printed with
 * bytes outside printable ASCII, and backslashes, escaped (``\ooo``); the
 * timeline name runs to the end of the line and may contain spaces. At
 * most 256 fences are listed; a last line ``fences_not_listed:<TAB><n>``
 * counts the rest.
 */

#include <linux/anon_inodes.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/export.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>
#include <uapi/linux/sync_file.h>

#include "dma-buf-fault.h"
#include "dma-fence-hang.h"

static const struct file_operations sync_file_fops;

/*
 * A sync_file for @fence (whose reference it takes over) named @name (NULL:
 * made up from the fence), not yet reachable by anybody.  fput() of the
 * result is a valid unwind (release puts the fence).
 */
static struct sync_file *sf_alloc(struct dma_fence *fence, ktime_t created,
				  const char *name)
{
	struct sync_file *sf;
	struct file *file;

	sf = dma_buf_fail_alloc() ? NULL : kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return NULL;

	init_waitqueue_head(&sf->wq);
	INIT_LIST_HEAD(&sf->cb.node);
	sf->created = created;

	file = dma_buf_fail_alloc() ? ERR_PTR(-ENOMEM) :
		anon_inode_getfile("sync_file", &sync_file_fops, sf, 0);
	if (IS_ERR(file)) {
		kfree(sf);
		return NULL;
	}
	sf->file = file;
	sf->fence = fence;
	if (name)
		strscpy(sf->user_name, name, sizeof(sf->user_name));
	sync_file_hang_add(sf);	/* complete: the hang report may read it */
	return sf;
}

/**
 * sync_file_create() - wrap a fence in a new sync_file
 * @fence: the fence; the sync_file takes a reference of its own
 *
 * The sync_file is not installed in any file table: the caller usually
 * does fd_install(fd, sync_file->file) with an fd it reserved beforehand,
 * or drops it with fput(sync_file->file). May sleep.
 *
 * Return: the new sync_file, or NULL if memory ran out (the caller's
 * reference on @fence is untouched either way).
 */
struct sync_file *sync_file_create(struct dma_fence *fence)
{
	struct sync_file *sf = sf_alloc(fence, ktime_get(), NULL);

	if (sf)
		dma_fence_get(fence);
	return sf;
}
EXPORT_SYMBOL(sync_file_create);

/* The sync_file behind @fd with a file reference, or NULL. */
static struct sync_file *sf_from_fd(int fd)
{
	struct file *file = fget(fd);

	if (!file)
		return NULL;
	if (file->f_op == &sync_file_fops)
		return file->private_data;
	fput(file);
	return NULL;
}

/**
 * sync_file_get_fence() - the fence of a sync_file descriptor
 * @fd: a file descriptor of the calling process
 *
 * For a merged sync_file this is the container (a &dma_fence_array or
 * &dma_fence_chain) that stands for all of its fences. May sleep.
 *
 * Return: a new reference to the fence, which the caller must put, or
 * NULL if @fd is not an open sync_file.
 */
struct dma_fence *sync_file_get_fence(int fd)
{
	struct sync_file *sf = sf_from_fd(fd);
	struct dma_fence *fence;

	if (!sf)
		return NULL;
	fence = dma_fence_get(sf->fence);
	fput(sf->file);
	return fence;
}
EXPORT_SYMBOL(sync_file_get_fence);

/**
 * sync_file_get_name() - the name of a sync_file
 * @sync_file: the sync_file
 * @buf: where to write the name
 * @len: size of @buf; the name is cut to fit and always NUL-terminated
 *
 * The name given at merge time, if any; otherwise one is made up from the
 * fence as "<driver>-<timeline><context>-<seqno>", the form userspace has
 * always seen from SYNC_IOC_FILE_INFO.
 *
 * Return: @buf.
 */
char *sync_file_get_name(struct sync_file *sync_file, char *buf, int len)
{
	struct dma_fence *fence = sync_file->fence;

	if (sync_file->user_name[0])
		strscpy(buf, sync_file->user_name, len);
	else
		snprintf(buf, len, "%s-%s%llu-%lld",
			 fence->ops->get_driver_name(fence),
			 fence->ops->get_timeline_name(fence),
			 fence->context, fence->seqno);
	return buf;
}

static int sf_release(struct inode *inode, struct file *file)
{
	struct sync_file *sf = file->private_data;

	/*
	 * A callback that already ran has taken itself off the fence's list,
	 * which dma_fence_remove_callback() notices; nobody else can arm it
	 * any more, since the file is going away.
	 */
	if (test_bit(POLL_ENABLED, &sf->flags))
		dma_fence_remove_callback(sf->fence, &sf->cb);
	sync_file_hang_del(sf);
	dma_fence_put(sf->fence);
	kfree(sf);
	return 0;
}

static void sf_fence_done(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct sync_file *sf = container_of(cb, struct sync_file, cb);

	wake_up_all(&sf->wq);
}

/*
 * One callback per sync_file, armed by the first poll() and never
 * re-armed: a fence signals once, and every later poll() sees it signalled
 * without waiting.
 */
static __poll_t sf_poll(struct file *file, poll_table *wait)
{
	struct sync_file *sf = file->private_data;

	poll_wait(file, &sf->wq, wait);

	if (!test_bit(POLL_ENABLED, &sf->flags) &&
	    !test_and_set_bit(POLL_ENABLED, &sf->flags) &&
	    dma_fence_add_callback(sf->fence, &sf->cb, sf_fence_done))
		wake_up_all(&sf->wq);

	return dma_fence_is_signaled(sf->fence) ? EPOLLIN : 0;
}

static long sf_ioctl_merge(struct sync_file *sf, void __user *uarg)
{
	struct sync_merge_data args;
	struct sync_file *other, *merged;
	struct dma_fence *fence;
	int fd, ret;

	/* 6.12 reserves the fd first: a full table wins over bad input */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	ret = -EFAULT;
	if (copy_from_user(&args, uarg, sizeof(args)))
		goto out_fd;
	ret = -EINVAL;
	if (args.flags || args.pad)
		goto out_fd;
	ret = -ENOENT;
	other = sf_from_fd(args.fd2);
	if (!other)
		goto out_fd;

	ret = -ENOMEM;
	fence = dma_fence_unwrap_merge(sf->fence, other->fence);
	if (!fence)
		goto out_other;
	/*
	 * fdinfo's ages are lower bounds: the merge may keep only the newer
	 * input's fences, so it is as old as that one
	 */
	/* 6.12 hands the terminated name back, too */
	args.name[sizeof(args.name) - 1] = '\0';
	merged = sf_alloc(fence, ktime_after(sf->created, other->created) ?
			  sf->created : other->created, args.name);
	if (!merged) {
		dma_fence_put(fence);
		goto out_other;
	}

	args.fence = fd;
	if (copy_to_user(uarg, &args, sizeof(args))) {
		ret = -EFAULT;
		fput(merged->file);
		goto out_other;
	}
	fput(other->file);
	fd_install(fd, merged->file);
	return 0;

out_other:
	fput(other->file);
out_fd:
	put_unused_fd(fd);
	return ret;
}

/* Fill one entry; no byte of it comes from anywhere but @fence. */
static int sf_fence_info(struct dma_fence *fence, struct sync_fence_info *fi)
{
	memset(fi, 0, sizeof(*fi));
	strscpy(fi->obj_name, fence->ops->get_timeline_name(fence),
		sizeof(fi->obj_name));
	strscpy(fi->driver_name, fence->ops->get_driver_name(fence),
		sizeof(fi->driver_name));
	fi->status = dma_fence_get_status(fence);
	if (dma_fence_is_signaled(fence))
		fi->timestamp_ns = ktime_to_ns(dma_fence_timestamp(fence));
	return fi->status;
}

/* entries built on the stack per copy_to_user() of SYNC_IOC_FILE_INFO */
#define SF_INFO_BATCH	8

/*
 * Write the fences of @sf to @out, at most @room of them, in batches built
 * on the stack: no allocation scales with a user-chosen count, and no
 * byte that is not part of an entry is copied. The container is immutable
 * except that a chain may drop signalled links after the caller counted,
 * so this may find fewer fences than that count, never more than @room.
 * Returns the number written or -EFAULT; *@status follows 6.12's rule,
 * the first fence that is pending or failed decides, else 1.
 */
static long sf_copy_fences(struct sync_file *sf, struct sync_fence_info __user *out,
			   u32 room, int *status)
{
	struct sync_fence_info batch[SF_INFO_BATCH];
	struct dma_fence_unwrap cursor;
	struct dma_fence *fence;
	unsigned int done = 0, n = 0;
	int one;

	*status = 1;
	dma_fence_unwrap_for_each(fence, &cursor, sf->fence) {
		if (done + n == room) {
			dma_fence_put(cursor.chain);	/* the walk's reference */
			break;
		}
		one = sf_fence_info(fence, &batch[n++]);
		if (*status > 0)
			*status = one;
		if (n < SF_INFO_BATCH)
			continue;
		if (copy_to_user(out + done, batch, sizeof(batch))) {
			dma_fence_put(cursor.chain);
			return -EFAULT;
		}
		done += n;
		n = 0;
	}
	if (n && copy_to_user(out + done, batch, n * sizeof(batch[0])))
		return -EFAULT;
	return done + n;
}

/* SYNC_IOC_FILE_INFO: see struct sync_file_info for the protocol. */
static long sf_ioctl_file_info(struct sync_file *sf, void __user *uarg)
{
	struct sync_file_info query;
	struct dma_fence_unwrap cursor;
	struct dma_fence *fence;
	unsigned int count = 0;
	long written;

	if (copy_from_user(&query, uarg, sizeof(query)))
		return -EFAULT;
	if (query.flags || query.pad)
		return -EINVAL;

	dma_fence_unwrap_for_each(fence, &cursor, sf->fence)
		count++;

	if (!query.num_fences) {
		/* only the count is asked for: the array is not touched */
		query.status = dma_fence_get_status(sf->fence);
	} else {
		if (query.num_fences < count)
			return -EINVAL;
		written = sf_copy_fences(sf, u64_to_user_ptr(query.sync_fence_info),
					 query.num_fences, &query.status);
		if (written < 0)
			return written;
		count = written;
	}

	sync_file_get_name(sf, query.name, sizeof(query.name));
	query.num_fences = count;
	return copy_to_user(uarg, &query, sizeof(query)) ? -EFAULT : 0;
}

static long sf_ioctl_set_deadline(struct sync_file *sf, void __user *uarg)
{
	struct sync_set_deadline args;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.pad)
		return -EINVAL;
	dma_fence_set_deadline(sf->fence, ns_to_ktime(args.deadline_ns));
	return 0;
}

static long sf_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct sync_file *sf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SYNC_IOC_MERGE:
		return sf_ioctl_merge(sf, uarg);
	case SYNC_IOC_FILE_INFO:
		return sf_ioctl_file_info(sf, uarg);
	case SYNC_IOC_SET_DEADLINE:
		return sf_ioctl_set_deadline(sf, uarg);
	}
	return -ENOTTY;
}

static void sf_print_status(struct seq_file *m, int status)
{
	if (status < 0)
		seq_printf(m, "error %d", status);
	else
		seq_puts(m, status ? "signaled" : "active");
}

/*
 * fdinfo lists at most this many fences: a reader such as lsof must not
 * make the kernel walk and print a merge of thousands
 */
#define SF_FDINFO_MAX_FENCES	256

/* Names come from userspace (merge names, task names): no raw newlines. */
static void sf_print_name(struct seq_file *m, const char *key, const char *name)
{
	const unsigned char *c;

	seq_puts(m, key);
	for (c = (const unsigned char *)name; *c; c++) {
		/* not isprint(): it passes Latin-1, half of a UTF-8 name */
		if (*c < 0x20 || *c >= 0x7f || *c == '\\')
			seq_printf(m, "\\%03o", *c);
		else
			seq_putc(m, *c);
	}
}

static void sf_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct sync_file *sf = file->private_data;
	struct dma_fence_unwrap cursor;
	struct dma_fence *fence;
	char name[32];
	unsigned int count = 0, shown = 0;
	ktime_t now = ktime_get();

	sf_print_name(m, "sync_file:\t",
		      sync_file_get_name(sf, name, sizeof(name)));
	seq_puts(m, "\nstatus:\t");
	sf_print_status(m, dma_fence_get_status(sf->fence));
	dma_fence_unwrap_for_each(fence, &cursor, sf->fence)
		count++;
	seq_printf(m, "\nfences:\t%u\n", count);

	count = 0;
	dma_fence_unwrap_for_each(fence, &cursor, sf->fence) {
		int status;

		/* past the cap only count: a chain may have shrunk meanwhile */
		if (count++ >= SF_FDINFO_MAX_FENCES)
			continue;
		shown++;
		status = dma_fence_get_status(fence);
		seq_printf(m, "fence:\tcontext=%llu seqno=%llu status=",
			   fence->context, fence->seqno);
		sf_print_status(m, status);
		if (!status)
			seq_printf(m, " pending_ms=%lld",
				   ktime_ms_delta(now, sf->created));
		else
			seq_printf(m, " timestamp_ns=%lld",
				   ktime_to_ns(dma_fence_timestamp(fence)));
		sf_print_name(m, " driver=", fence->ops->get_driver_name(fence));
		sf_print_name(m, " timeline=",
			      fence->ops->get_timeline_name(fence));
		seq_putc(m, '\n');
	}
	if (count > shown)
		seq_printf(m, "fences_not_listed:\t%u\n", count - shown);
}

#ifdef CONFIG_DMA_FENCE_DEBUG_HANG
/*
 * Every sync_file, complete, for the fence-hang report.  A mutex: the
 * report walks each sync_file's fences with it held, which may run fence
 * callbacks; every user is in process context.
 */
static DEFINE_MUTEX(sf_hang_lock);
static LIST_HEAD(sf_hang_list);

/*
 * From sf_alloc(): @sf is complete.  Its fence and, for a merge, every
 * fence inside become tracked.
 */
void sync_file_hang_add(struct sync_file *sf)
{
	struct dma_fence_unwrap cursor;
	struct dma_fence *fence;

	dma_fence_hang_track(sf->fence, DMA_FENCE_HANG_SYNC_FILE);
	dma_fence_unwrap_for_each(fence, &cursor, sf->fence)
		dma_fence_hang_track(fence, DMA_FENCE_HANG_SYNC_FILE);

	mutex_lock(&sf_hang_lock);
	list_add_tail(&sf->hang_link, &sf_hang_list);
	mutex_unlock(&sf_hang_lock);
}

/* From sf_release(), before the fence reference goes. */
void sync_file_hang_del(struct sync_file *sf)
{
	mutex_lock(&sf_hang_lock);
	list_del(&sf->hang_link);
	mutex_unlock(&sf_hang_lock);
}

/*
 * One line per open sync_file that holds @fence, as its fence or inside
 * it; returns how many.  The list lock keeps each sync_file, and so its
 * fence, alive while it is looked at.
 */
unsigned int sync_file_hang_describe(struct seq_file *s,
				     struct dma_fence *fence)
{
	struct dma_fence_unwrap cursor;
	struct dma_fence *part;
	struct sync_file *sf;
	unsigned int found = 0;
	char name[32];

	mutex_lock(&sf_hang_lock);
	list_for_each_entry(sf, &sf_hang_list, hang_link) {
		bool holds = sf->fence == fence;

		/* walked to the end: the cursor drops its reference there */
		dma_fence_unwrap_for_each(part, &cursor, sf->fence)
			holds |= part == fence;
		if (!holds)
			continue;
		seq_puts(s, "\tsync_file \"");
		dma_fence_hang_puts(s, sync_file_get_name(sf, name, sizeof(name)));
		seq_puts(s, "\"\n");
		found++;
	}
	mutex_unlock(&sf_hang_lock);
	return found;
}
#endif

static const struct file_operations sync_file_fops = {
	.release	= sf_release,
	.poll		= sf_poll,
	.unlocked_ioctl	= sf_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= sf_show_fdinfo,
};
