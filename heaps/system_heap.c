// SPDX-License-Identifier: GPL-2.0
/*
 * system_heap: the dma-buf heap of ordinary pages, /dev/dma_heap/system.
 */

/**
 * DOC: system heap
 *
 * Most buffers shared through dma-buf need no special memory: the device
 * sits behind an IOMMU or takes a scatter list, or the consumer is
 * software. The system heap serves them with zeroed pages from the buddy
 * allocator, in chunks as large as the allocator hands out cheaply: 1 MiB,
 * then 64 KiB, then single pages (orders 8, 4 and 0), the sizes IOMMUs
 * map with few page table entries. The large orders are a preference:
 * they neither reclaim nor warn, and an order that failed once is not
 * asked for again for the rest of that buffer. Only single pages may
 * reclaim. A fatal signal stops an allocation between chunks with -EINTR.
 *
 * Each importer gets its own scatter list, one entry per chunk, which it
 * DMA-maps with dma_map_sgtable(); begin/end_cpu_access sync every
 * attachment that is mapped at the time, and the kernel mapping if there
 * is one. mmap() maps the whole range when it is called (VM_PFNMAP, run
 * by physically contiguous run), so touching the buffer takes no page
 * faults. As in 6.12 the mapping must be shared: a private (copy-on-write)
 * mapping of more than one page is refused with -EINVAL. vmap() gives one
 * cached kernel mapping of all pages, reference counted.
 *
 * Locking: each buffer has a mutex that protects its attachment list, the
 * mapped state of every attachment, and the vmap count and address. The
 * chunk array does not change once the buffer is exported and is read
 * without it. Map and vmap run under the buffer's reservation lock and
 * take the mutex inside it; nothing here takes the reservation lock.
 *
 * From userspace, a 16 MiB buffer that the CPU fills for a device::
 *
 *	struct dma_heap_allocation_data alloc = {
 *		.len = 16 << 20,
 *		.fd_flags = O_RDWR | O_CLOEXEC,
 *	};
 *	struct dma_buf_sync sync = {
 *		.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
 *	};
 *	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
 *	char *p;
 *
 *	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc) < 0)
 *		err(1, "DMA_HEAP_IOCTL_ALLOC");
 *	p = mmap(NULL, alloc.len, PROT_READ | PROT_WRITE, MAP_SHARED,
 *		 alloc.fd, 0);
 *	ioctl(alloc.fd, DMA_BUF_IOCTL_SYNC, &sync);
 *	fill_frame(p, alloc.len);	// the buffer starts out all zero
 *	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
 *	ioctl(alloc.fd, DMA_BUF_IOCTL_SYNC, &sync);
 *	queue_to_device(alloc.fd);	// the driver imports the fd
 */

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/iosys-map.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "../dma-buf-fault.h"

/* Chunk orders, largest first; the last one is always single pages. */
static const unsigned int sys_orders[] = { 8, 4, 0 };
#define SYS_SMALLEST	(ARRAY_SIZE(sys_orders) - 1)

/*
 * The allocator zeroes the pages (__GFP_ZERO), with the arch's clear_page
 * and only once even under init_on_alloc. Large chunks are compound so
 * that a chunk knows its own order, and are only worth a quick try.
 */
#define SYS_GFP_PAGE	(GFP_HIGHUSER | __GFP_ZERO)
#define SYS_GFP_CHUNK	((SYS_GFP_PAGE | __GFP_COMP | __GFP_NORETRY | \
			  __GFP_NOWARN) & ~__GFP_RECLAIM)

/* single pages come in bulk, this many between fatal signal checks */
#define SYS_PAGE_BATCH	256UL

/**
 * struct sys_buf - one buffer of the system heap
 * @lock: protects @attachments, the &sys_att.mapped of each, @vmaps and
 *	@vaddr
 * @attachments: the &struct sys_att of its importers
 * @vmaps: kernel mapping references
 * @vaddr: the kernel mapping, while @vmaps is not zero
 * @size: its length in bytes, whole pages
 * @nr_chunks: entries used in @chunks
 * @chunks: the first page of every chunk, in buffer order; a chunk's order
 *	is its compound order (0 for single pages)
 */
struct sys_buf {
	struct mutex lock;		/* see @lock */
	struct list_head attachments;
	unsigned int vmaps;
	void *vaddr;
	size_t size;
	unsigned int nr_chunks;
	struct page **chunks;
};

/**
 * struct sys_att - an importer's view of a &struct sys_buf
 * @sgt: its own scatter list, one entry per chunk
 * @dev: the importing device
 * @link: on the buffer's @attachments
 * @mapped: whether @sgt is DMA-mapped now (CPU access then syncs it)
 */
struct sys_att {
	struct sg_table sgt;
	struct device *dev;
	struct list_head link;
	bool mapped;
};

static unsigned long sys_chunk_pages(struct page *chunk)
{
	return 1UL << compound_order(chunk);
}

static int sys_buf_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *att)
{
	struct sys_buf *buf = dmabuf->priv;
	struct scatterlist *sg;
	struct sys_att *sa;
	unsigned int i;

	sa = dma_buf_fail_alloc() ? NULL : kzalloc(sizeof(*sa), GFP_KERNEL);
	if (!sa)
		return -ENOMEM;
	if (dma_buf_fail_alloc() ||
	    sg_alloc_table(&sa->sgt, buf->nr_chunks, GFP_KERNEL)) {
		kfree(sa);
		return -ENOMEM;
	}
	for_each_sgtable_sg(&sa->sgt, sg, i)
		sg_set_page(sg, buf->chunks[i], page_size(buf->chunks[i]), 0);
	sa->dev = att->dev;
	att->priv = sa;

	mutex_lock(&buf->lock);
	list_add(&sa->link, &buf->attachments);
	mutex_unlock(&buf->lock);
	return 0;
}

static void sys_buf_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *att)
{
	struct sys_buf *buf = dmabuf->priv;
	struct sys_att *sa = att->priv;

	mutex_lock(&buf->lock);
	list_del(&sa->link);
	mutex_unlock(&buf->lock);
	sg_free_table(&sa->sgt);
	kfree(sa);
}

/* Under the mutex, so that CPU access never syncs a half-made mapping. */
static void sys_att_set_mapped(struct sys_buf *buf, struct sys_att *sa,
			       bool mapped)
{
	mutex_lock(&buf->lock);
	sa->mapped = mapped;
	mutex_unlock(&buf->lock);
}

static struct sg_table *sys_buf_map(struct dma_buf_attachment *att,
				    enum dma_data_direction dir)
{
	struct sys_att *sa = att->priv;
	int ret;

	ret = dma_map_sgtable(att->dev, &sa->sgt, dir, 0);
	if (ret)
		return ERR_PTR(ret);
	sys_att_set_mapped(att->dmabuf->priv, sa, true);
	return &sa->sgt;
}

static void sys_buf_unmap(struct dma_buf_attachment *att, struct sg_table *sgt,
			  enum dma_data_direction dir)
{
	sys_att_set_mapped(att->dmabuf->priv, att->priv, false);
	dma_unmap_sgtable(att->dev, sgt, dir, 0);
}

/* Hand the buffer to the CPU (@to_cpu) or back to the devices. */
static int sys_buf_sync(struct dma_buf *dmabuf, enum dma_data_direction dir,
			bool to_cpu)
{
	struct sys_buf *buf = dmabuf->priv;
	struct sys_att *sa;

	mutex_lock(&buf->lock);
	if (buf->vmaps && to_cpu)
		invalidate_kernel_vmap_range(buf->vaddr, buf->size);
	else if (buf->vmaps)
		flush_kernel_vmap_range(buf->vaddr, buf->size);
	list_for_each_entry(sa, &buf->attachments, link) {
		if (!sa->mapped)
			continue;
		if (to_cpu)
			dma_sync_sgtable_for_cpu(sa->dev, &sa->sgt, dir);
		else
			dma_sync_sgtable_for_device(sa->dev, &sa->sgt, dir);
	}
	mutex_unlock(&buf->lock);
	return 0;
}

static int sys_buf_begin_cpu(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	return sys_buf_sync(dmabuf, dir, true);
}

static int sys_buf_end_cpu(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	return sys_buf_sync(dmabuf, dir, false);
}

/*
 * Map the whole window now, one remap_pfn_range() per physically
 * contiguous run of chunks instead of one per page: a megabyte costs one
 * page table walk, and no fault is ever taken on the range.
 */
static int sys_buf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct sys_buf *buf = dmabuf->priv;
	unsigned long addr = vma->vm_start, skip = vma->vm_pgoff;
	unsigned long pfn, run, bytes;
	unsigned int i = 0;
	int ret;

	/*
	 * remap_pfn_range() takes a copy-on-write mapping only in one call
	 * covering all of it, so 6.12's page by page mapping fails on any
	 * larger one. Fail the same way, wherever the chunks happen to lie.
	 */
	if (is_cow_mapping(vma->vm_flags) && vma_pages(vma) > 1)
		return -EINVAL;

	/* the core has checked that the window lies inside the buffer */
	while (i < buf->nr_chunks && skip >= sys_chunk_pages(buf->chunks[i]))
		skip -= sys_chunk_pages(buf->chunks[i++]);

	while (addr < vma->vm_end && i < buf->nr_chunks) {
		pfn = page_to_pfn(buf->chunks[i]) + skip;
		run = sys_chunk_pages(buf->chunks[i]) - skip;
		skip = 0;
		while (++i < buf->nr_chunks &&
		       (run << PAGE_SHIFT) < vma->vm_end - addr &&
		       page_to_pfn(buf->chunks[i]) == pfn + run)
			run += sys_chunk_pages(buf->chunks[i]);

		bytes = min(run << PAGE_SHIFT, vma->vm_end - addr);
		ret = remap_pfn_range(vma, addr, pfn, bytes, vma->vm_page_prot);
		if (ret)
			return ret;
		addr += bytes;
	}
	return 0;
}

/* One cached kernel mapping of every page, highmem or not. */
static void *sys_buf_kmap(struct sys_buf *buf)
{
	unsigned int npages = buf->size >> PAGE_SHIFT, n = 0, i;
	struct page **pages;
	unsigned long k;
	void *vaddr;

	pages = dma_buf_fail_alloc() ? NULL :
		kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;
	for (i = 0; i < buf->nr_chunks; i++)
		for (k = 0; k < sys_chunk_pages(buf->chunks[i]); k++)
			pages[n++] = nth_page(buf->chunks[i], k);
	vaddr = dma_buf_fail_alloc() ? NULL :
		vmap(pages, npages, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	return vaddr;
}

static int sys_buf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct sys_buf *buf = dmabuf->priv;
	int ret = 0;

	mutex_lock(&buf->lock);
	if (!buf->vmaps) {
		buf->vaddr = sys_buf_kmap(buf);
		if (!buf->vaddr)
			ret = -ENOMEM;
	}
	if (!ret) {
		buf->vmaps++;
		iosys_map_set_vaddr(map, buf->vaddr);
	}
	mutex_unlock(&buf->lock);
	return ret;
}

static void sys_buf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct sys_buf *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (!WARN_ON(!buf->vmaps) && !--buf->vmaps) {
		vunmap(buf->vaddr);
		buf->vaddr = NULL;
	}
	mutex_unlock(&buf->lock);
	iosys_map_clear(map);
}

/* Give back every chunk and the buffer; also the unwind of a failed fill. */
static void sys_buf_free(struct sys_buf *buf)
{
	unsigned int i;

	for (i = 0; i < buf->nr_chunks; i++)
		__free_pages(buf->chunks[i], compound_order(buf->chunks[i]));
	kvfree(buf->chunks);
	mutex_destroy(&buf->lock);
	kfree(buf);
}

static void sys_buf_release(struct dma_buf *dmabuf)
{
	struct sys_buf *buf = dmabuf->priv;

	/* the dma-buf core refuses a release while vmapped; be safe anyway */
	if (WARN(buf->vmaps, "system_heap: buffer released while vmapped\n"))
		vunmap(buf->vaddr);
	sys_buf_free(buf);
}

static const struct dma_buf_ops sys_buf_ops = {
	.attach			= sys_buf_attach,
	.detach			= sys_buf_detach,
	.map_dma_buf		= sys_buf_map,
	.unmap_dma_buf		= sys_buf_unmap,
	.begin_cpu_access	= sys_buf_begin_cpu,
	.end_cpu_access		= sys_buf_end_cpu,
	.mmap			= sys_buf_mmap,
	.vmap			= sys_buf_vmap,
	.vunmap			= sys_buf_vunmap,
	.release		= sys_buf_release,
};

/* Chunks that @pages pages take if every order from sys_orders[@from] on is had. */
static unsigned long sys_plan(unsigned long pages, unsigned int from)
{
	unsigned long n = 0;

	for (; from < ARRAY_SIZE(sys_orders); from++) {
		n += pages >> sys_orders[from];
		pages &= (1UL << sys_orders[from]) - 1;
	}
	return n;
}

/*
 * Make room for @need chunk pointers, zeroed past the used ones. Sized
 * for the best case up front, so this only runs again when an order fails.
 */
static int sys_buf_reserve(struct sys_buf *buf, unsigned long *room,
			   unsigned long need)
{
	struct page **chunks;

	if (need <= *room)
		return 0;
	/* a hopeless size is -ENOMEM, not a warning userspace can trigger */
	chunks = dma_buf_fail_alloc() ? NULL :
		kvcalloc(need, sizeof(*chunks), GFP_KERNEL | __GFP_NOWARN);
	if (!chunks)
		return -ENOMEM;
	if (buf->nr_chunks)
		memcpy(chunks, buf->chunks, buf->nr_chunks * sizeof(*chunks));
	kvfree(buf->chunks);
	buf->chunks = chunks;
	*room = need;
	return 0;
}

/*
 * The last @left pages, one chunk each, straight into the chunk array from
 * the bulk allocator; fault injection is still asked once per page.
 */
static int sys_buf_fill_pages(struct sys_buf *buf, unsigned long left)
{
	unsigned long want, got, i;

	while (left) {
		if (fatal_signal_pending(current))
			return -EINTR;
		want = min(left, SYS_PAGE_BATCH);
		for (i = 0; i < want; i++)
			if (dma_buf_fail_alloc())
				return -ENOMEM;
		got = alloc_pages_bulk_array(SYS_GFP_PAGE, want,
					     buf->chunks + buf->nr_chunks);
		if (!got)
			return -ENOMEM;
		buf->nr_chunks += got;
		left -= got;
		cond_resched();
	}
	return 0;
}

/*
 * Fill @buf with chunks, largest order first. On error the chunks had so
 * far stay in @buf for sys_buf_free().
 */
static int sys_buf_fill(struct sys_buf *buf)
{
	unsigned long left = buf->size >> PAGE_SHIFT, room = 0;
	unsigned int idx = 0, order;
	struct page *chunk;
	int ret;

	ret = sys_buf_reserve(buf, &room, sys_plan(left, 0));
	while (!ret && left) {
		if (fatal_signal_pending(current))
			return -EINTR;
		while (idx < SYS_SMALLEST && left < 1UL << sys_orders[idx])
			idx++;
		if (idx == SYS_SMALLEST)
			return sys_buf_fill_pages(buf, left);

		order = sys_orders[idx];
		if (dma_buf_fail_alloc())
			return -ENOMEM;
		chunk = alloc_pages(SYS_GFP_CHUNK, order);
		if (!chunk) {
			/* not at hand: smaller chunks for all the rest */
			idx++;
			ret = sys_buf_reserve(buf, &room, buf->nr_chunks +
					      sys_plan(left, idx));
			continue;
		}
		buf->chunks[buf->nr_chunks++] = chunk;
		left -= 1UL << order;
		cond_resched();
	}
	return ret;
}

static struct dma_buf *system_heap_allocate(struct dma_heap *heap,
					    unsigned long len, u32 fd_flags,
					    u64 heap_flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	struct sys_buf *buf;
	int ret;

	/* the core rounds @len up to whole pages and refuses zero */
	if (WARN_ON_ONCE(!len || !PAGE_ALIGNED(len)))
		return ERR_PTR(-EINVAL);
	/* more than the machine has can only end in the OOM killer */
	if (len >> PAGE_SHIFT > min_t(unsigned long, totalram_pages(), UINT_MAX))
		return ERR_PTR(-ENOMEM);

	buf = dma_buf_fail_alloc() ? NULL : kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);
	buf->size = len;

	ret = sys_buf_fill(buf);
	if (ret)
		goto out_free;

	info.exp_name = dma_heap_get_name(heap);
	info.ops = &sys_buf_ops;
	info.size = buf->size;
	info.flags = fd_flags;
	info.priv = buf;
	dmabuf = dma_buf_export(&info);
	if (!IS_ERR(dmabuf))
		return dmabuf;
	ret = PTR_ERR(dmabuf);

out_free:
	sys_buf_free(buf);
	return ERR_PTR(ret);
}

static const struct dma_heap_ops system_heap_ops = {
	.allocate = system_heap_allocate,
};

/* One heap, added at boot (a device initcall when built in), never removed. */
static int __init system_heap_init(void)
{
	static const struct dma_heap_export_info info = {
		.name = "system",
		.ops = &system_heap_ops,
	};

	return PTR_ERR_OR_ZERO(dma_heap_add(&info));
}
module_init(system_heap_init);
MODULE_DESCRIPTION("DMA-BUF System Heap");
