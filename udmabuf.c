// SPDX-License-Identifier: GPL-2.0
/*
 * udmabuf: dma-bufs made of the pages of a memfd, created through the
 * ioctls of /dev/udmabuf (include/uapi/linux/udmabuf.h).
 */

/**
 * DOC: udmabuf overview
 *
 * Sometimes the memory a device should read or write belongs to a process:
 * a virtual machine monitor keeps a guest's framebuffer in a memfd and wants
 * a host display or GPU driver to scan it out without a copy.  /dev/udmabuf
 * wraps page-aligned ranges of such a memfd (shmem or hugetlbfs) in a
 * dma-buf.  The pages stay the memfd's: the dma-buf pins them for its whole
 * life, so a write through either fd, or by a device through an importer,
 * is seen through the other.
 *
 * The memfd must carry F_SEAL_SHRINK, or a truncate could free pages a
 * device still uses, and neither F_SEAL_WRITE nor F_SEAL_FUTURE_WRITE,
 * whose promise a device writing the buffer would break.
 *
 * From userspace::
 *
 *	struct udmabuf_create create = {
 *		.flags = UDMABUF_FLAGS_CLOEXEC,
 *		.offset = 0,
 *		.size = size,		// a multiple of the page size
 *	};
 *	int memfd, dev, buf;
 *
 *	memfd = memfd_create("framebuffer", MFD_ALLOW_SEALING);
 *	ftruncate(memfd, size);
 *	fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK);
 *	create.memfd = memfd;
 *	dev = open("/dev/udmabuf", O_RDWR);
 *	buf = ioctl(dev, UDMABUF_CREATE, &create);	// a dma-buf fd
 *
 * UDMABUF_CREATE_LIST puts several ranges, of one memfd or of several,
 * end to end in one buffer.  Two module parameters, writable at run time
 * in /sys/module/udmabuf/parameters/, bound the requests: ``list_limit``
 * (default 1024) ranges per list, ``size_limit_mb`` (default 64) MiB per
 * buffer.
 *
 * The ioctls fail with -EFAULT for an unreadable argument; -EINVAL for a
 * list over ``list_limit``, an offset or size not page aligned, a buffer
 * that is empty or over ``size_limit_mb``, a range of size zero or past
 * the end of its memfd, or missing or forbidden seals; -EBADFD for an fd
 * that is not open or not a shmem or hugetlbfs file; -ENOMEM; and with the
 * errors of dma_buf_fd() (-EMFILE).  Unknown flags are ignored.
 *
 * The buffer can be mapped shared (not private) by userspace, vmapped,
 * attached and mapped by any importer, and its CPU access brackets
 * (DMA_BUF_IOCTL_SYNC) do the cache maintenance of the pages.
 */

/**
 * DOC: udmabuf locking
 *
 * Creation holds the memfd's inode lock shared from the seal check until
 * its pages are pinned.  memfd_add_seals() takes that lock exclusively, so
 * an F_SEAL_WRITE added at the same time is either seen by the check
 * (-EINVAL) or comes after the pin, and then fails itself (-EBUSY) because
 * it waits for pinned pages to go.
 *
 * From creation to release the page array and the pins never change, so
 * faults, vmap and the importers' maps read them without a lock; vmap and
 * vunmap run under the buffer's reservation lock, which the core holds for
 * them.  The one thing that changes is the scatterlist of CPU access,
 * built by the first begin_cpu_access: &udmabuf_mem.cpu_lock guards it and
 * serialises the cache maintenance of begin and end.  It is taken with no
 * other lock of ours held, never under the reservation lock.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/iosys-map.h>
#include <linux/memfd.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <uapi/linux/udmabuf.h>

#include "dma-buf-fault.h"

static int list_limit = 1024;
module_param(list_limit, int, 0644);
MODULE_PARM_DESC(list_limit,
		 "Most ranges one UDMABUF_CREATE_LIST may name (default 1024)");

static int size_limit_mb = 64;
module_param(size_limit_mb, int, 0644);
MODULE_PARM_DESC(size_limit_mb,
		 "Largest udmabuf, in MiB (default 64)");

/**
 * struct udmabuf_mem - the exporter's side of one buffer
 * @dev: the misc device; its DMA ops do the cache maintenance of CPU access
 * @nr_pages: size of the buffer, in pages
 * @pages: @nr_pages entries, the page behind each PAGE_SIZE of the buffer
 * @nr_pinned: entries of @pinned in use
 * @pinned: one FOLL_PIN reference per entry, from memfd_pin_folios(); a
 *	folio pinned by several ranges appears once per range
 * @cpu_lock: guards @cpu_sgt
 * @cpu_sgt: the pages mapped for @dev, made by the first begin_cpu_access
 *	and kept until release; NULL before
 */
struct udmabuf_mem {
	struct device *dev;
	pgoff_t nr_pages;
	struct page **pages;
	unsigned long nr_pinned;
	struct folio **pinned;
	struct mutex cpu_lock;	/* see the locking DOC */
	struct sg_table *cpu_sgt;
};

static vm_fault_t udmabuf_fault(struct vm_fault *vmf)
{
	struct udmabuf_mem *mem = vmf->vma->vm_private_data;

	/* dma-buf's mmap bounds the vma, this is a last line of defence */
	if (vmf->pgoff >= mem->nr_pages)
		return VM_FAULT_SIGBUS;

	return vmf_insert_pfn(vmf->vma, vmf->address,
			      page_to_pfn(mem->pages[vmf->pgoff]));
}

static const struct vm_operations_struct udmabuf_vma_ops = {
	.fault = udmabuf_fault,
};

static int udmabuf_mmap(struct dma_buf *buf, struct vm_area_struct *vma)
{
	/* the pages go in as raw pfns: there is nothing to copy on write */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;

	vma->vm_ops = &udmabuf_vma_ops;
	vma->vm_private_data = buf->priv;
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	return 0;
}

static int udmabuf_vmap(struct dma_buf *buf, struct iosys_map *map)
{
	struct udmabuf_mem *mem = buf->priv;
	void *vaddr;

	dma_resv_assert_held(buf->resv);

	vaddr = dma_buf_fail_alloc() ? NULL :
		vm_map_ram(mem->pages, mem->nr_pages, NUMA_NO_NODE);
	if (!vaddr)
		return -EINVAL;	/* what 6.12 returns here */

	iosys_map_set_vaddr(map, vaddr);
	return 0;
}

static void udmabuf_vunmap(struct dma_buf *buf, struct iosys_map *map)
{
	struct udmabuf_mem *mem = buf->priv;

	dma_resv_assert_held(buf->resv);

	vm_unmap_ram(map->vaddr, mem->nr_pages);
}

/*
 * The buffer as a DMA-mapped table for @dev, one entry per page as in
 * 6.12.  CPU caches are left alone: that is begin/end_cpu_access's job.
 */
static struct sg_table *udmabuf_sgt_map(struct udmabuf_mem *mem,
					struct device *dev,
					enum dma_data_direction dir)
{
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int i;
	int ret;

	sgt = dma_buf_fail_alloc() ? NULL : kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);

	ret = dma_buf_fail_alloc() ? -ENOMEM :
	      sg_alloc_table(sgt, mem->nr_pages, GFP_KERNEL);
	if (ret)
		goto err_free;

	for_each_sgtable_sg(sgt, sg, i)
		sg_set_page(sg, mem->pages[i], PAGE_SIZE, 0);

	ret = dma_map_sgtable(dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	if (ret)
		goto err_table;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void udmabuf_sgt_unmap(struct device *dev, struct sg_table *sgt,
			      enum dma_data_direction dir)
{
	dma_unmap_sgtable(dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	sg_free_table(sgt);
	kfree(sgt);
}

static struct sg_table *udmabuf_map_dma_buf(struct dma_buf_attachment *att,
					    enum dma_data_direction dir)
{
	return udmabuf_sgt_map(att->dmabuf->priv, att->dev, dir);
}

static void udmabuf_unmap_dma_buf(struct dma_buf_attachment *att,
				  struct sg_table *sgt,
				  enum dma_data_direction dir)
{
	udmabuf_sgt_unmap(att->dev, sgt, dir);
}

/* Undoes udmabuf_create(), however far it got. */
static void udmabuf_free(struct udmabuf_mem *mem)
{
	unpin_folios(mem->pinned, mem->nr_pinned);
	kvfree(mem->pinned);
	kvfree(mem->pages);
	mutex_destroy(&mem->cpu_lock);
	kfree(mem);
}

static void udmabuf_release(struct dma_buf *buf)
{
	struct udmabuf_mem *mem = buf->priv;

	if (mem->cpu_sgt)
		udmabuf_sgt_unmap(mem->dev, mem->cpu_sgt, DMA_BIDIRECTIONAL);
	udmabuf_free(mem);
}

/*
 * The CPU table is mapped once, bidirectionally (6.12 maps it in the
 * direction of the first call and syncs the others against that mapping
 * anyway), and synced bidirectionally too: a superset of what any one
 * direction needs.  Syncing in the caller's direction would be allowed,
 * but two udmabufs over the same pages map them twice for the one misc
 * device, and DMA-API debug then finds no exact match for a sync whose
 * direction differs from the mappings' and reports a sync of memory never
 * mapped (the fuzzer met it).
 */
static int udmabuf_begin_cpu_access(struct dma_buf *buf,
				    enum dma_data_direction dir)
{
	struct udmabuf_mem *mem = buf->priv;
	struct sg_table *sgt;

	guard(mutex)(&mem->cpu_lock);

	if (!mem->cpu_sgt) {
		sgt = udmabuf_sgt_map(mem, mem->dev, DMA_BIDIRECTIONAL);
		if (IS_ERR(sgt))
			return PTR_ERR(sgt);
		mem->cpu_sgt = sgt;
	}

	dma_sync_sgtable_for_cpu(mem->dev, mem->cpu_sgt, DMA_BIDIRECTIONAL);
	return 0;
}

static int udmabuf_end_cpu_access(struct dma_buf *buf,
				  enum dma_data_direction dir)
{
	struct udmabuf_mem *mem = buf->priv;

	guard(mutex)(&mem->cpu_lock);

	/* 6.12's answer to an end without any begin before it */
	if (!mem->cpu_sgt)
		return -EINVAL;

	dma_sync_sgtable_for_device(mem->dev, mem->cpu_sgt, DMA_BIDIRECTIONAL);
	return 0;
}

static const struct dma_buf_ops udmabuf_buf_ops = {
	.cache_sgt_mapping	= true,
	.map_dma_buf		= udmabuf_map_dma_buf,
	.unmap_dma_buf		= udmabuf_unmap_dma_buf,
	.release		= udmabuf_release,
	.mmap			= udmabuf_mmap,
	.vmap			= udmabuf_vmap,
	.vunmap			= udmabuf_vunmap,
	.begin_cpu_access	= udmabuf_begin_cpu_access,
	.end_cpu_access		= udmabuf_end_cpu_access,
};

/* Whether a device may keep and write @memfd's pages; see the overview. */
static int udmabuf_check_memfd(struct file *memfd)
{
	long seals;

	/* the two page caches memfd_pin_folios() knows */
	if (!shmem_file(memfd) && !is_file_hugepages(memfd))
		return -EBADFD;

	/* no seals at all: a SysV shm segment, say, not a memfd */
	seals = memfd_fcntl(memfd, F_GET_SEALS, 0);
	if (seals < 0)
		return -EBADFD;

	if (!(seals & F_SEAL_SHRINK) ||
	    (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return -EINVAL;
	return 0;
}

/*
 * Pins [@offset, @offset + @size) of @memfd and appends its pages to
 * @mem.  Called with the inode lock held shared, after the seal check.
 * The folios land straight in @mem->pinned: each covers at least one page
 * of the range, so the array, as long as the buffer has pages, has room.
 */
static int udmabuf_pin_range(struct udmabuf_mem *mem, struct file *memfd,
			     u64 offset, u64 size)
{
	struct folio **folios = mem->pinned + mem->nr_pinned;
	pgoff_t want = size >> PAGE_SHIFT;
	pgoff_t skip;
	long nr, i, idx;
	u64 end;

	/* memfd_pin_folios() would say -EINVAL too; we say it first */
	if (!size || check_add_overflow(offset, size, &end) ||
	    end > i_size_read(file_inode(memfd)))
		return -EINVAL;

	nr = dma_buf_fail_alloc() ? -ENOMEM :
	     memfd_pin_folios(memfd, offset, end - 1, folios,
			      min_t(pgoff_t, want, UINT_MAX), &skip);
	if (nr <= 0)
		return nr ? nr : -EINVAL;
	/* counted at once, so that any failure from here on unpins them */
	mem->nr_pinned += nr;

	/* only the first folio may start before @offset: @skip bytes */
	for (i = 0; i < nr && want; i++, skip = 0) {
		for (idx = skip >> PAGE_SHIFT;
		     idx < folio_nr_pages(folios[i]) && want; idx++, want--)
			mem->pages[mem->nr_pages++] =
				folio_page(folios[i], idx);
	}

	return want ? -EINVAL : 0;
}

/* One range of a request: its memfd checked and pinned under one lock. */
static int udmabuf_add_range(struct udmabuf_mem *mem,
			     const struct udmabuf_create_item *item)
{
	struct file *memfd __free(fput) = fget(item->memfd);
	struct inode *inode;
	int ret;

	/* 6.12 says -EBADFD, not -EBADF, for an fd that is not open */
	if (!memfd)
		return -EBADFD;

	inode = file_inode(memfd);
	inode_lock_shared(inode);
	ret = udmabuf_check_memfd(memfd);
	if (!ret)
		ret = udmabuf_pin_range(mem, memfd, item->offset, item->size);
	inode_unlock_shared(inode);
	return ret;
}

/* A dma-buf around @mem; on success it owns @mem, release frees it. */
static struct dma_buf *udmabuf_export(struct udmabuf_mem *mem)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);

	info.ops = &udmabuf_buf_ops;
	info.size = (size_t)mem->nr_pages << PAGE_SHIFT;
	info.flags = O_RDWR;
	info.priv = mem;
	return dma_buf_export(&info);
}

/*
 * Both ioctls end here.  Every range is checked for alignment and size
 * before any memfd is looked at; then each is looked up, checked and
 * pinned in turn, so the first bad one decides the errno, as in 6.12.
 */
static long udmabuf_create(struct device *dev, u32 flags,
			   const struct udmabuf_create_item *items, u32 count)
{
	/* the int is widened as 6.12 does: a negative limit is none */
	u64 limit = (u64)READ_ONCE(size_limit_mb) << 20;
	struct udmabuf_mem *mem;
	struct dma_buf *buf;
	u64 total = 0;
	pgoff_t nr;
	long ret;
	u32 i;

	for (i = 0; i < count; i++) {
		if (!PAGE_ALIGNED(items[i].offset) ||
		    !PAGE_ALIGNED(items[i].size))
			return -EINVAL;
		/* total never exceeds limit, so this cannot wrap */
		if (items[i].size > limit - total)
			return -EINVAL;
		total += items[i].size;
	}
	if (!total)
		return -EINVAL;

	/* only a 32-bit kernel with a huge limit gets here: never allocatable */
	nr = total >> PAGE_SHIFT;
	if ((u64)nr << PAGE_SHIFT != total)
		return -ENOMEM;
	/* vm_map_ram() and sg_alloc_table() count pages in an unsigned int */
	if (nr > UINT_MAX)
		return -EINVAL;

	mem = dma_buf_fail_alloc() ? NULL : kzalloc(sizeof(*mem), GFP_KERNEL);
	if (!mem)
		return -ENOMEM;
	mem->dev = dev;
	mutex_init(&mem->cpu_lock);

	/* user-sized: no warning when it is too big to allocate */
	ret = -ENOMEM;
	mem->pages = dma_buf_fail_alloc() ? NULL :
		      kvmalloc_array(nr, sizeof(*mem->pages),
				     GFP_KERNEL | __GFP_NOWARN);
	if (!mem->pages)
		goto err;
	mem->pinned = dma_buf_fail_alloc() ? NULL :
		       kvmalloc_array(nr, sizeof(*mem->pinned),
				      GFP_KERNEL | __GFP_NOWARN);
	if (!mem->pinned)
		goto err;

	for (i = 0; i < count; i++) {
		ret = udmabuf_add_range(mem, &items[i]);
		if (ret)
			goto err;
	}

	buf = udmabuf_export(mem);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		goto err;
	}

	/* a failed fd leaves the unwind to the dma-buf's release */
	ret = dma_buf_fd(buf, flags & UDMABUF_FLAGS_CLOEXEC ? O_CLOEXEC : 0);
	if (ret < 0)
		dma_buf_put(buf);
	return ret;

err:
	udmabuf_free(mem);
	return ret;
}

static long udmabuf_ioctl_create(struct device *dev,
				 struct udmabuf_create __user *uarg)
{
	struct udmabuf_create_item item = { };
	struct udmabuf_create args;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;

	/* a list of one */
	item.memfd = args.memfd;
	item.offset = args.offset;
	item.size = args.size;
	return udmabuf_create(dev, args.flags, &item, 1);
}

static long udmabuf_ioctl_create_list(struct device *dev,
				      struct udmabuf_create_list __user *uarg)
{
	struct udmabuf_create_item *items;
	struct udmabuf_create_list head;
	long ret;

	if (copy_from_user(&head, uarg, sizeof(head)))
		return -EFAULT;
	/* compared unsigned, as in 6.12: a negative list_limit is none */
	if (head.count > (u32)READ_ONCE(list_limit))
		return -EINVAL;

	items = dma_buf_fail_alloc() ? ERR_PTR(-ENOMEM) :
		memdup_array_user(uarg->list, head.count, sizeof(*items));
	if (IS_ERR(items))
		return PTR_ERR(items);

	ret = udmabuf_create(dev, head.flags, items, head.count);
	kfree(items);
	return ret;
}

static long udmabuf_dev_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	/* misc_open() leaves the miscdevice here */
	struct miscdevice *misc = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case UDMABUF_CREATE:
		return udmabuf_ioctl_create(misc->this_device, uarg);
	case UDMABUF_CREATE_LIST:
		return udmabuf_ioctl_create_list(misc->this_device, uarg);
	default:
		return -ENOTTY;
	}
}

/* Both argument structs have the same layout for 32- and 64-bit tasks. */
static const struct file_operations udmabuf_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= udmabuf_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice udmabuf_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "udmabuf",
	.fops	= &udmabuf_dev_fops,
};

static int __init udmabuf_init(void)
{
	int ret;

	ret = misc_register(&udmabuf_miscdev);
	if (ret) {
		pr_err("cannot register /dev/udmabuf: %d\n", ret);
		return ret;
	}

	/* CPU access maps pages through the device: let it reach them all */
	ret = dma_coerce_mask_and_coherent(udmabuf_miscdev.this_device,
					   DMA_BIT_MASK(64));
	if (ret) {
		pr_err("cannot set the DMA mask of /dev/udmabuf: %d\n", ret);
		misc_deregister(&udmabuf_miscdev);
	}
	return ret;
}

static void __exit udmabuf_exit(void)
{
	misc_deregister(&udmabuf_miscdev);
}

module_init(udmabuf_init);
module_exit(udmabuf_exit);

MODULE_DESCRIPTION("dma-bufs made of memfd pages, through /dev/udmabuf");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
