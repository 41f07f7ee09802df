// SPDX-License-Identifier: GPL-2.0
/*
 * cma_heap: a dma-buf heap of physically contiguous buffers from the
 * default CMA area.
 */

/**
 * DOC: CMA heap
 *
 * Devices without an IOMMU or scatter-gather (display controllers, video
 * and camera engines on many SoCs) need buffers that are contiguous in
 * physical memory. This heap cuts them from the default CMA area (the one
 * ``cma=`` on the command line or the device tree's "linux,cma" region
 * reserves) and is named after that area, e.g. ``/dev/dma_heap/reserved``.
 *
 * A buffer is one run of pages: every importer's scatter list has a
 * single entry, a kernel mapping of lowmem pages is just their linear
 * address, and userspace maps it through page faults that insert the
 * pfns (VM_PFNMAP). Buffers are zeroed before they are handed out; a
 * fatal signal stops the clearing of a large buffer, and the allocation
 * then fails with -ENOMEM, as in 6.12.
 *
 * Locking: each buffer has a mutex that protects its list of attachments
 * (and their mapped state) and its kernel mapping count. Map and unmap
 * only change their own attachment; begin/end_cpu_access sync every
 * mapped attachment under the mutex.
 */

#include <linux/cma.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/dma-map-ops.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "../dma-buf-fault.h"

/* clear this much between checks for a fatal signal */
#define CMA_CLEAR_CHUNK	(256 * PAGE_SIZE)
/* a scatterlist entry's length is an unsigned int: 1 GiB per entry */
#define CMA_SG_PAGES	(SZ_1G >> PAGE_SHIFT)

/**
 * struct cma_buf - one buffer of the CMA heap
 * @area: the CMA area it came from
 * @first: its first page; the others follow physically
 * @count: its number of pages
 * @lock: protects @attachments and @vmaps
 * @attachments: the &struct cma_att of its importers
 * @vmaps: kernel mapping references
 * @vaddr: the kernel mapping, while @vmaps is not zero
 */
struct cma_buf {
	struct cma *area;
	struct page *first;
	pgoff_t count;
	struct mutex lock;		/* see @lock */
	struct list_head attachments;
	unsigned int vmaps;
	void *vaddr;
};

/**
 * struct cma_att - an importer's view of a &struct cma_buf
 * @sgt: one entry covering the buffer
 * @dev: the importing device
 * @link: on the buffer's @attachments
 * @mapped: whether @sgt is DMA-mapped now (CPU access then syncs it)
 */
struct cma_att {
	struct sg_table sgt;
	struct device *dev;
	struct list_head link;
	bool mapped;
};

static int cma_buf_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *att)
{
	struct cma_buf *buf = dmabuf->priv;
	struct scatterlist *sg;
	struct cma_att *ca;
	pgoff_t done = 0, n;
	int ret;

	ca = dma_buf_fail_alloc() ? NULL : kzalloc(sizeof(*ca), GFP_KERNEL);
	if (!ca)
		return -ENOMEM;
	ret = sg_alloc_table(&ca->sgt, DIV_ROUND_UP(buf->count, CMA_SG_PAGES),
			     GFP_KERNEL);
	if (ret) {
		kfree(ca);
		return ret;
	}
	for (sg = ca->sgt.sgl; sg; sg = sg_next(sg), done += n) {
		n = min_t(pgoff_t, buf->count - done, CMA_SG_PAGES);
		sg_set_page(sg, nth_page(buf->first, done), n << PAGE_SHIFT, 0);
	}
	ca->dev = att->dev;
	att->priv = ca;

	mutex_lock(&buf->lock);
	list_add(&ca->link, &buf->attachments);
	mutex_unlock(&buf->lock);
	return 0;
}

static void cma_buf_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *att)
{
	struct cma_buf *buf = dmabuf->priv;
	struct cma_att *ca = att->priv;

	mutex_lock(&buf->lock);
	list_del(&ca->link);
	mutex_unlock(&buf->lock);
	sg_free_table(&ca->sgt);
	kfree(ca);
}

/*
 * The mapped flag changes under the buffer's lock, after the mapping is
 * complete and before it is torn down, so that CPU-access syncs never
 * touch a half-made or half-gone mapping.
 */
static void cma_att_set_mapped(struct dma_buf_attachment *att, bool mapped)
{
	struct cma_buf *buf = att->dmabuf->priv;
	struct cma_att *ca = att->priv;

	mutex_lock(&buf->lock);
	ca->mapped = mapped;
	mutex_unlock(&buf->lock);
}

static struct sg_table *cma_buf_map(struct dma_buf_attachment *att,
				    enum dma_data_direction dir)
{
	struct cma_att *ca = att->priv;

	if (dma_map_sgtable(att->dev, &ca->sgt, dir, 0))
		return ERR_PTR(-ENOMEM);
	cma_att_set_mapped(att, true);
	return &ca->sgt;
}

static void cma_buf_unmap(struct dma_buf_attachment *att, struct sg_table *sgt,
			  enum dma_data_direction dir)
{
	cma_att_set_mapped(att, false);
	dma_unmap_sgtable(att->dev, sgt, dir, 0);
}

/* Hand the buffer to the CPU (@to_cpu) or back to the devices. */
static int cma_buf_sync(struct dma_buf *dmabuf, enum dma_data_direction dir,
			bool to_cpu)
{
	struct cma_buf *buf = dmabuf->priv;
	size_t size = buf->count << PAGE_SHIFT;
	struct cma_att *ca;

	mutex_lock(&buf->lock);
	if (buf->vmaps && to_cpu)
		invalidate_kernel_vmap_range(buf->vaddr, size);
	else if (buf->vmaps)
		flush_kernel_vmap_range(buf->vaddr, size);
	list_for_each_entry(ca, &buf->attachments, link) {
		if (!ca->mapped)
			continue;
		if (to_cpu)
			dma_sync_sgtable_for_cpu(ca->dev, &ca->sgt, dir);
		else
			dma_sync_sgtable_for_device(ca->dev, &ca->sgt, dir);
	}
	mutex_unlock(&buf->lock);
	return 0;
}

static int cma_buf_begin_cpu(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	return cma_buf_sync(dmabuf, dir, true);
}

static int cma_buf_end_cpu(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	return cma_buf_sync(dmabuf, dir, false);
}

static vm_fault_t cma_buf_fault(struct vm_fault *vmf)
{
	struct cma_buf *buf = vmf->vma->vm_private_data;

	if (vmf->pgoff >= buf->count)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vmf->vma, vmf->address,
			      page_to_pfn(buf->first) + vmf->pgoff);
}

static const struct vm_operations_struct cma_buf_vm_ops = {
	.fault = cma_buf_fault,
};

static int cma_buf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	/* a private mapping would need copy-on-write of pfn-mapped pages */
	if (!(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &cma_buf_vm_ops;
	vma->vm_private_data = dmabuf->priv;
	return 0;
}

/* Lowmem is mapped already; highmem needs a vmap of every page. */
static void *cma_buf_kmap(struct cma_buf *buf)
{
	struct page **pages;
	void *vaddr;
	pgoff_t i;

	if (!PageHighMem(buf->first))
		return page_address(buf->first);
	pages = kvmalloc_array(buf->count, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;
	for (i = 0; i < buf->count; i++)
		pages[i] = nth_page(buf->first, i);
	vaddr = vmap(pages, buf->count, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	return vaddr;
}

static int cma_buf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct cma_buf *buf = dmabuf->priv;
	int ret = 0;

	mutex_lock(&buf->lock);
	if (!buf->vmaps) {
		buf->vaddr = cma_buf_kmap(buf);
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

static void cma_buf_kunmap(struct cma_buf *buf)
{
	if (PageHighMem(buf->first))
		vunmap(buf->vaddr);
	buf->vaddr = NULL;
}

static void cma_buf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct cma_buf *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (!WARN_ON(!buf->vmaps) && !--buf->vmaps)
		cma_buf_kunmap(buf);
	mutex_unlock(&buf->lock);
	iosys_map_clear(map);
}

static void cma_buf_release(struct dma_buf *dmabuf)
{
	struct cma_buf *buf = dmabuf->priv;

	/* the dma-buf core refuses a release while vmapped; be safe anyway */
	if (WARN(buf->vmaps, "cma_heap: buffer released while vmapped\n"))
		cma_buf_kunmap(buf);
	cma_release(buf->area, buf->first, buf->count);
	kfree(buf);
}

static const struct dma_buf_ops cma_buf_ops = {
	.attach			= cma_buf_attach,
	.detach			= cma_buf_detach,
	.map_dma_buf		= cma_buf_map,
	.unmap_dma_buf		= cma_buf_unmap,
	.begin_cpu_access	= cma_buf_begin_cpu,
	.end_cpu_access		= cma_buf_end_cpu,
	.mmap			= cma_buf_mmap,
	.vmap			= cma_buf_vmap,
	.vunmap			= cma_buf_vunmap,
	.release		= cma_buf_release,
};

/* Zero the buffer; false if a fatal signal arrived first. */
static bool cma_buf_clear(struct cma_buf *buf)
{
	pgoff_t i, step = CMA_CLEAR_CHUNK >> PAGE_SHIFT;

	if (!PageHighMem(buf->first)) {
		char *p = page_address(buf->first);
		size_t left = buf->count << PAGE_SHIFT, n;

		for (; left; left -= n, p += n) {
			if (fatal_signal_pending(current))
				return false;
			n = min_t(size_t, left, CMA_CLEAR_CHUNK);
			memset(p, 0, n);
			cond_resched();
		}
		return true;
	}
	for (i = 0; i < buf->count; i++) {
		if (!(i % step) && fatal_signal_pending(current))
			return false;
		clear_highpage(nth_page(buf->first, i));
	}
	return true;
}

static struct dma_buf *cma_heap_allocate(struct dma_heap *heap,
					 unsigned long len, u32 fd_flags,
					 u64 heap_flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	struct cma_buf *buf;
	unsigned int align;

	buf = dma_buf_fail_alloc() ? NULL : kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);
	buf->area = dma_heap_get_drvdata(heap);
	buf->count = PAGE_ALIGN(len) >> PAGE_SHIFT;

	/*
	 * naturally aligned up to the area's limit, as 6.12 asks; unlike
	 * 6.12, a request the area cannot meet does not log (userspace
	 * could flood the log through the heap's device)
	 */
	align = min_t(unsigned int, get_order(buf->count << PAGE_SHIFT),
		      CONFIG_CMA_ALIGNMENT);
	buf->first = dma_buf_fail_alloc() ? NULL :
		cma_alloc(buf->area, buf->count, align, true);
	if (!buf->first)
		goto out_free;
	if (!cma_buf_clear(buf))
		goto out_release;

	info.exp_name = dma_heap_get_name(heap);
	info.ops = &cma_buf_ops;
	info.size = buf->count << PAGE_SHIFT;
	info.flags = fd_flags;
	info.priv = buf;
	dmabuf = dma_buf_export(&info);
	if (!IS_ERR(dmabuf))
		return dmabuf;

	cma_release(buf->area, buf->first, buf->count);
	kfree(buf);
	return dmabuf;

out_release:
	cma_release(buf->area, buf->first, buf->count);
out_free:
	kfree(buf);
	return ERR_PTR(-ENOMEM);
}

static const struct dma_heap_ops cma_heap_ops = {
	.allocate = cma_heap_allocate,
};

/* One heap, on the default area, if there is one. */
static int __init cma_heap_init(void)
{
	struct dma_heap_export_info info = { .ops = &cma_heap_ops };
	struct cma *area = dev_get_cma_area(NULL);
	struct dma_heap *heap;

	if (!area)
		return 0;
	info.name = cma_get_name(area);
	info.priv = area;
	heap = dma_heap_add(&info);
	return PTR_ERR_OR_ZERO(heap);
}
module_init(cma_heap_init);
MODULE_DESCRIPTION("DMA-BUF CMA Heap");
