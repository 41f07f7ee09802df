// SPDX-License-Identifier: GPL-2.0
/*
 * dma-heap: character devices through which userspace allocates dma-bufs.
 */

/**
 * DOC: dma-buf heaps
 *
 * A heap is an allocator that userspace reaches by name: the system heap
 * hands out ordinary pages, a CMA heap physically contiguous memory. Each
 * heap registered with dma_heap_add() gets a character device
 * ``/dev/dma_heap/<name>`` (class ``dma_heap``), whose one ioctl,
 * DMA_HEAP_IOCTL_ALLOC, returns a new dma-buf fd. A heap driver only
 * implements &dma_heap_ops.allocate; this file validates the request,
 * reserves the fd and installs it once nothing can fail any more.
 *
 * From userspace::
 *
 *	struct dma_heap_allocation_data alloc = {
 *		.len = 4 << 20,
 *		.fd_flags = O_RDWR | O_CLOEXEC,
 *	};
 *	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
 *
 *	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc) == 0)
 *		use_buffer(alloc.fd);	// mmap() it, pass it to a driver
 *
 * and a heap driver registers itself at boot::
 *
 *	static const struct dma_heap_ops my_heap_ops = {
 *		.allocate = my_heap_allocate,
 *	};
 *	static const struct dma_heap_export_info my_heap_info = {
 *		.name = "my-heap",
 *		.ops = &my_heap_ops,
 *	};
 *
 *	heap = dma_heap_add(&my_heap_info);
 *
 * The ioctl argument may be shorter or longer than the kernel's struct
 * (older or newer userspace): the kernel reads what the command's size
 * says, treats missing fields as zero and writes back what it read.
 * Requests are checked as in 6.12: @fd must be zero, @fd_flags within
 * O_CLOEXEC | O_ACCMODE and @heap_flags zero, else -EINVAL; @len is
 * rounded up to whole pages and must not end up zero (-EINVAL). Only the
 * ioctl number is looked at: any command whose number is not that of
 * DMA_HEAP_IOCTL_ALLOC is -EINVAL.
 *
 * Locking: heaps are added, never removed. A mutex serialises
 * dma_heap_add() (name check, minor, device); open() finds the heap by
 * minor in an xarray without it. The ioctl takes no lock of its own.
 */

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <uapi/linux/dma-heap.h>

#include "dma-buf-fault.h"
#include "dma-buf-internal.h"

/* the device numbers, the class and the /dev directory are all this */
#define HEAP_CLASS	"dma_heap"
#define HEAP_MINORS	128

/**
 * struct dma_heap - a registered heap
 * @name: from &dma_heap_export_info, the device's name
 * @ops: the heap's operations
 * @priv: the heap driver's data
 * @devt: the device number of its character device
 * @cdev: the character device
 * @link: on the list of heaps, for the name check
 */
struct dma_heap {
	const char *name;
	const struct dma_heap_ops *ops;
	void *priv;
	dev_t devt;
	struct cdev cdev;
	struct list_head link;
};

static DEFINE_MUTEX(heaps_lock);	/* the list, and dma_heap_add() */
static LIST_HEAD(heaps);
static DEFINE_XARRAY_ALLOC(heap_by_minor);
static dev_t heap_first_devt;
static struct class *heap_class;

static int heap_fop_open(struct inode *inode, struct file *file)
{
	struct dma_heap *h = xa_load(&heap_by_minor, iminor(inode));

	if (!h)
		return -ENODEV;
	file->private_data = h;
	return nonseekable_open(inode, file);
}

/*
 * Check @req, allocate, and reserve the fd; the caller installs it after
 * the copy to userspace. Returns the buffer or an ERR_PTR().
 */
static struct dma_buf *heap_alloc(struct dma_heap *heap,
				  struct dma_heap_allocation_data *req)
{
	struct dma_buf *buf;
	size_t len;
	int fd;

	if (req->fd || (req->fd_flags & ~DMA_HEAP_VALID_FD_FLAGS) ||
	    (req->heap_flags & ~DMA_HEAP_VALID_HEAP_FLAGS))
		return ERR_PTR(-EINVAL);
	/*
	 * A 32-bit kernel cannot hold the length (6.12 silently cuts it);
	 * one within a page of the top wraps to zero: both refused.
	 */
	if (sizeof(size_t) < sizeof(req->len) && upper_32_bits(req->len))
		return ERR_PTR(-EINVAL);
	len = PAGE_ALIGN((size_t)req->len);
	if (!len)
		return ERR_PTR(-EINVAL);

	buf = heap->ops->allocate(heap, len, req->fd_flags, req->heap_flags);
	if (IS_ERR(buf))
		return buf;

	fd = get_unused_fd_flags(req->fd_flags);
	if (fd < 0) {
		dma_buf_put(buf);
		return ERR_PTR(fd);
	}
	req->fd = fd;
	return buf;
}

/*
 * The argument's size comes from the command: a struct of another
 * version is read as far as the command says, zero-extended, and written
 * back as far as it says. Only bigger-than-ours arguments need memory
 * beyond the struct on the stack.
 */
static long heap_fop_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	static const unsigned int known[] = { DMA_HEAP_IOCTL_ALLOC };
	struct dma_heap_allocation_data small, *req = &small;
	void __user *uarg = (void __user *)arg;
	unsigned int nr = _IOC_NR(cmd), ours, in, out, size;
	struct dma_buf *buf;
	long ret = 0;

	if (nr >= ARRAY_SIZE(known))
		return -EINVAL;
	ours = known[array_index_nospec(nr, ARRAY_SIZE(known))];

	in = (cmd & ours & IOC_IN) ? _IOC_SIZE(cmd) : 0;
	out = (cmd & ours & IOC_OUT) ? _IOC_SIZE(cmd) : 0;
	size = max3(in, out, _IOC_SIZE(ours));
	if (size > sizeof(small)) {
		req = dma_buf_fail_alloc() ? NULL : kmalloc(size, GFP_KERNEL);
		if (!req)
			return -ENOMEM;
	}
	if (copy_from_user(req, uarg, in)) {
		ret = -EFAULT;
		goto out_free;
	}
	memset((char *)req + in, 0, size - in);

	/* ours is DMA_HEAP_IOCTL_ALLOC: the only command there is */
	buf = heap_alloc(file->private_data, req);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		goto out_free;
	}
	if (copy_to_user(uarg, req, out)) {
		put_unused_fd(req->fd);
		dma_buf_put(buf);
		ret = -EFAULT;
		goto out_free;
	}
	/*
	 * The event dma_buf_fd() would emit, had it been used (tools expect
	 * one per heap buffer), and like it before fd_install(): after it
	 * the buffer may already be gone.
	 */
	DMA_BUF_TRACE(fd, buf, req->fd);
	fd_install(req->fd, buf->file);

out_free:
	if (req != &small)
		kfree(req);
	return ret;
}

static const struct file_operations heap_fops = {
	.owner		= THIS_MODULE,
	.open		= heap_fop_open,
	.unlocked_ioctl	= heap_fop_ioctl,
	/* the struct has one layout for both ABIs */
	.compat_ioctl	= heap_fop_ioctl,
};

/**
 * dma_heap_get_drvdata() - the heap driver's data
 * @heap: the heap
 *
 * Return: &dma_heap_export_info.priv as given to dma_heap_add().
 */
void *dma_heap_get_drvdata(struct dma_heap *heap)
{
	return heap->priv;
}

/**
 * dma_heap_get_name() - the name of a heap
 * @heap: the heap
 *
 * Heap drivers use it as the exporter name of their buffers.
 *
 * Return: &dma_heap_export_info.name as given to dma_heap_add().
 */
const char *dma_heap_get_name(struct dma_heap *heap)
{
	return heap->name;
}

static struct dma_heap *heap_find(const char *name)
{
	struct dma_heap *heap;

	lockdep_assert_held(&heaps_lock);
	list_for_each_entry(heap, &heaps, link)
		if (!strcmp(heap->name, name))
			return heap;
	return NULL;
}

/**
 * dma_heap_add() - register a heap and create its device
 * @exp_info: the heap's name, operations and data; copied, except that
 *	the name is referenced
 *
 * Creates ``/dev/dma_heap/<name>``. Heaps cannot be removed. May sleep.
 *
 * Return: the heap, or an ERR_PTR(): -EINVAL without a name or without
 * &dma_heap_ops.allocate, -EEXIST if a heap of that name exists (6.12
 * gets the same errno from the device's duplicate sysfs name, with a
 * warning), -EBUSY when all 128 minors are taken, -ENOMEM, or the
 * character device's or device's error.
 */
struct dma_heap *dma_heap_add(const struct dma_heap_export_info *exp_info)
{
	const struct dma_heap_ops *ops = exp_info->ops;
	const char *name = exp_info->name;
	struct dma_heap *new;
	struct device *dev;
	u32 minor;
	int ret;

	if (!name || !name[0]) {
		pr_err("dma_heap: a heap needs a name\n");
		return ERR_PTR(-EINVAL);
	}
	if (!ops || !ops->allocate) {
		pr_err("dma_heap: heap %s has no allocate op\n", name);
		return ERR_PTR(-EINVAL);
	}

	new = dma_buf_fail_alloc() ? NULL : kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return ERR_PTR(-ENOMEM);
	*new = (struct dma_heap){ .name = name, .ops = ops,
				  .priv = exp_info->priv };

	mutex_lock(&heaps_lock);
	if (heap_find(new->name)) {
		pr_err("dma_heap: a heap named %s exists already\n", name);
		ret = -EEXIST;
		goto out_unlock;
	}
	/* the minor is reserved empty: open() finds the heap once complete */
	ret = xa_alloc(&heap_by_minor, &minor, NULL,
		       XA_LIMIT(0, HEAP_MINORS - 1), GFP_KERNEL);
	if (ret) {
		pr_err("dma_heap: no minor left for heap %s\n", new->name);
		goto out_unlock;
	}
	new->devt = MKDEV(MAJOR(heap_first_devt), minor);
	cdev_init(&new->cdev, &heap_fops);
	ret = cdev_add(&new->cdev, new->devt, 1);
	if (ret)
		goto out_minor;
	dev = device_create(heap_class, NULL, new->devt, NULL, "%s", new->name);
	if (IS_ERR(dev)) {
		ret = PTR_ERR(dev);
		goto out_cdev;
	}
	xa_store(&heap_by_minor, minor, new, GFP_KERNEL);
	list_add(&new->link, &heaps);
	mutex_unlock(&heaps_lock);
	return new;

out_cdev:
	cdev_del(&new->cdev);
out_minor:
	xa_erase(&heap_by_minor, minor);
out_unlock:
	mutex_unlock(&heaps_lock);
	kfree(new);
	return ERR_PTR(ret);
}

static char *heap_devnode(const struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, HEAP_CLASS "/%s", dev_name(dev));
}

/* before the heaps, which register at module_init time */
static int __init heap_class_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&heap_first_devt, 0, HEAP_MINORS, HEAP_CLASS);
	if (ret)
		return ret;
	heap_class = class_create(HEAP_CLASS);
	if (IS_ERR(heap_class)) {
		unregister_chrdev_region(heap_first_devt, HEAP_MINORS);
		return PTR_ERR(heap_class);
	}
	heap_class->devnode = heap_devnode;
	return 0;
}
subsys_initcall(heap_class_init);
