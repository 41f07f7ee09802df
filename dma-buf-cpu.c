// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf: CPU access to a buffer, from the kernel (vmap, begin/end CPU
 * access) and from userspace (mmap on behalf of a driver).
 */

/**
 * DOC: cpu access
 *
 * The CPU reaches a buffer in three ways:
 *
 * - dma_buf_vmap() maps the whole buffer into the kernel and describes it
 *   with a &struct iosys_map (system or I/O memory).  The mapping is
 *   reference counted: the exporter's &dma_buf_ops.vmap runs for the first
 *   user and &dma_buf_ops.vunmap after the last, and every user gets the
 *   same map.  It needs the reservation lock (the _unlocked variants take
 *   it).  6.12 BUG()s on an unbalanced or mismatched dma_buf_vunmap();
 *   here it warns and does nothing.
 * - dma_buf_begin_cpu_access() and dma_buf_end_cpu_access() bracket an
 *   access through such a mapping (or through a userspace mapping, which
 *   is what DMA_BUF_IOCTL_SYNC calls them for): the exporter makes the
 *   buffer coherent, and begin waits, interruptibly, for the implicit
 *   fences the access conflicts with: the writers' for a read
 *   (%DMA_FROM_DEVICE), every fence for a write.
 * - dma_buf_mmap() lets a driver's own mmap() map a dma-buf it imported,
 *   through the exporter's &dma_buf_ops.mmap; the vma ends up referring to
 *   the dma-buf's file.
 *
 * Locking: begin and end may take the reservation lock themselves (and
 * tell lockdep so), so they must be called without it.
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>

#include "dma-buf-internal.h"

/**
 * dma_buf_begin_cpu_access - prepare the buffer for the CPU
 * @buf: the buffer
 * @dir: %DMA_FROM_DEVICE to read, %DMA_TO_DEVICE to write,
 *	%DMA_BIDIRECTIONAL for both
 *
 * Calls the exporter's &dma_buf_ops.begin_cpu_access, then waits for the
 * implicit fences the access must follow.  Pair with
 * dma_buf_end_cpu_access() for the same direction.
 *
 * Context: process context, reservation lock not held; may sleep.
 * Return: 0, -EINVAL for a NULL buffer, -ERESTARTSYS if the wait was
 * interrupted, or the exporter's error.
 */
int dma_buf_begin_cpu_access(struct dma_buf *buf,
			     enum dma_data_direction dir)
{
	bool write;
	long ret;

	if (WARN_ON(!buf))
		return -EINVAL;
	might_lock(&buf->resv->lock.base);

	if (buf->ops->begin_cpu_access) {
		ret = buf->ops->begin_cpu_access(buf, dir);
		if (ret)
			return ret;
	}

	/* after the exporter: it may have added fences of its own */
	write = dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL;
	ret = dma_resv_wait_timeout(buf->resv, dma_resv_usage_rw(write),
				    true, MAX_SCHEDULE_TIMEOUT);
	return ret < 0 ? ret : 0;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_begin_cpu_access, DMA_BUF);

/**
 * dma_buf_end_cpu_access - the CPU is done with the buffer
 * @buf: the buffer
 * @dir: the direction given to dma_buf_begin_cpu_access()
 *
 * Calls the exporter's &dma_buf_ops.end_cpu_access, so the device sees
 * what the CPU wrote.
 *
 * Context: process context, reservation lock not held; may sleep.
 * Return: 0, -EINVAL for a NULL buffer, or the exporter's error.
 */
int dma_buf_end_cpu_access(struct dma_buf *buf,
			   enum dma_data_direction dir)
{
	if (WARN_ON(!buf))
		return -EINVAL;
	might_lock(&buf->resv->lock.base);

	if (!buf->ops->end_cpu_access)
		return 0;
	return buf->ops->end_cpu_access(buf, dir);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_end_cpu_access, DMA_BUF);

/**
 * dma_buf_mmap - map an imported buffer into a vma of another file
 * @buf: the buffer
 * @vma: the vma being set up by the caller's mmap()
 * @pgoff: the first page of the buffer to map
 *
 * For a driver whose own objects may be backed by a dma-buf: the vma is
 * switched to the dma-buf's file (the driver's file loses the reference
 * the vma held, the dma-buf's gains one) and handed to the exporter.
 *
 * Context: process context, in an mmap() call (mmap_lock held).
 * Return: 0, -EINVAL if the exporter cannot mmap or the range runs past
 * the end of the buffer, -EOVERFLOW if @pgoff plus the vma's pages wraps,
 * or the exporter's error.
 */
int dma_buf_mmap(struct dma_buf *buf, struct vm_area_struct *vma,
		 unsigned long pgoff)
{
	unsigned long end;

	if (WARN_ON(!buf || !vma || !buf->file))
		return -EINVAL;
	if (!buf->ops->mmap)
		return -EINVAL;
	if (check_add_overflow(pgoff, vma_pages(vma), &end))
		return -EOVERFLOW;
	if (end > buf->size >> PAGE_SHIFT)
		return -EINVAL;

	vma_set_file(vma, buf->file);
	vma->vm_pgoff = pgoff;
	DMA_BUF_TRACE(mmap, buf);
	return buf->ops->mmap(buf, vma);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_mmap, DMA_BUF);

/**
 * dma_buf_vmap - map the buffer into the kernel's address space
 * @buf: the buffer
 * @map: out: the mapping; cleared on failure
 *
 * The first call maps through the exporter's &dma_buf_ops.vmap; later
 * ones return the same mapping and count it.  Undo each with
 * dma_buf_vunmap().
 *
 * Context: the reservation lock must be held.
 * Return: 0, -EINVAL for a NULL buffer or an exporter without vmap, or the
 * exporter's error.
 */
int dma_buf_vmap(struct dma_buf *buf, struct iosys_map *map)
{
	struct iosys_map mapped;
	int ret;

	iosys_map_clear(map);
	if (WARN_ON(!buf))
		return -EINVAL;
	dma_resv_assert_held(buf->resv);

	if (!buf->ops->vmap)
		return -EINVAL;

	if (buf->vmapping_counter) {
		if (WARN_ON(iosys_map_is_null(&buf->vmap_ptr)))
			return -EINVAL;
		buf->vmapping_counter++;
		*map = buf->vmap_ptr;
		return 0;
	}

	iosys_map_clear(&mapped);
	ret = buf->ops->vmap(buf, &mapped);
	if (WARN_ON_ONCE(ret))
		return ret;
	/* success without a mapping would stick the counter at 1 */
	if (WARN_ON_ONCE(iosys_map_is_null(&mapped)))
		return -EINVAL;

	buf->vmap_ptr = mapped;
	buf->vmapping_counter = 1;
	*map = mapped;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_vmap, DMA_BUF);

/**
 * dma_buf_vmap_unlocked - dma_buf_vmap() taking the reservation lock
 * @buf: the buffer
 * @map: out: the mapping; cleared on failure
 *
 * Context: process context, reservation lock not held; may sleep.
 * Return: as dma_buf_vmap().
 */
int dma_buf_vmap_unlocked(struct dma_buf *buf, struct iosys_map *map)
{
	int ret;

	iosys_map_clear(map);
	if (WARN_ON(!buf))
		return -EINVAL;

	dma_resv_lock(buf->resv, NULL);
	ret = dma_buf_vmap(buf, map);
	dma_resv_unlock(buf->resv);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_vmap_unlocked, DMA_BUF);

/**
 * dma_buf_vunmap - drop one dma_buf_vmap()
 * @buf: the buffer
 * @map: the mapping dma_buf_vmap() returned
 *
 * The last user's call unmaps through &dma_buf_ops.vunmap.  A call without
 * a matching vmap, or with another map, warns and changes nothing.
 *
 * Context: the reservation lock must be held.
 */
void dma_buf_vunmap(struct dma_buf *buf, struct iosys_map *map)
{
	if (WARN_ON(!buf))
		return;
	dma_resv_assert_held(buf->resv);

	if (WARN_ON(!buf->vmapping_counter ||
		    iosys_map_is_null(&buf->vmap_ptr) ||
		    !iosys_map_is_equal(&buf->vmap_ptr, map)))
		return;

	if (--buf->vmapping_counter)
		return;
	if (buf->ops->vunmap)
		buf->ops->vunmap(buf, map);
	iosys_map_clear(&buf->vmap_ptr);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_vunmap, DMA_BUF);

/**
 * dma_buf_vunmap_unlocked - dma_buf_vunmap() taking the reservation lock
 * @buf: the buffer
 * @map: the mapping dma_buf_vmap() returned
 *
 * Context: process context, reservation lock not held; may sleep.
 */
void dma_buf_vunmap_unlocked(struct dma_buf *buf, struct iosys_map *map)
{
	if (WARN_ON(!buf))
		return;

	dma_resv_lock(buf->resv, NULL);
	dma_buf_vunmap(buf, map);
	dma_resv_unlock(buf->resv);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_vunmap_unlocked, DMA_BUF);
