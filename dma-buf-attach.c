// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf: attachments of devices to a buffer, their DMA mappings, pinning
 * and moves.
 */

/**
 * DOC: dma buf device access
 *
 * A device that wants to DMA to a buffer attaches to it once and then maps
 * the attachment whenever it needs the scatterlist.  There are two kinds
 * of importer and two kinds of exporter:
 *
 * - A *static* importer (dma_buf_attach()) expects the buffer to stay put
 *   while it is mapped.  Mapping waits for the buffer's kernel fences
 *   (%DMA_RESV_USAGE_KERNEL: a move or clear in flight) before it returns.
 * - A *dynamic* importer (dma_buf_dynamic_attach() with
 *   &dma_buf_attach_ops) maps with the reservation lock held, orders its
 *   work with the reservation's fences itself, and drops its mappings
 *   when the exporter calls dma_buf_move_notify().
 * - A *static* exporter's buffer never moves.
 * - A *dynamic* exporter (one with &dma_buf_ops.pin) may move the buffer
 *   unless it is pinned.  Without CONFIG_DMABUF_MOVE_NOTIFY every mapping
 *   pins it, as no importer can be told about a move.
 *
 * When the two sides differ (a static importer of a dynamic exporter, or
 * a dynamic importer of a static one) the attachment is mapped once, for
 * %DMA_BIDIRECTIONAL, when it is made (pinning a dynamic exporter's
 * buffer) and that mapping is handed out until detach.  Exporters with
 * &dma_buf_ops.cache_sgt_mapping get the same caching of the first mapping
 * of each attachment.  A cached mapping is only given out again for its
 * own direction or if it is bidirectional (else -EBUSY), and its unmap is
 * a no-op.
 *
 * With CONFIG_DMABUF_DEBUG the page links of every table an importer gets
 * are scrambled (and restored before the exporter sees the table again),
 * so an importer that uses sg_page() instead of the DMA addresses crashes
 * at once instead of corrupting memory on some other machine.
 *
 * Locking: the attachment list and every mapping call are under the
 * buffer's reservation lock; dma_buf_map_attachment() and
 * dma_buf_unmap_attachment() assert it, their _unlocked variants take it.
 * &dma_buf_ops.attach and &dma_buf_ops.detach run without it.
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "dma-buf-fault.h"
#include "dma-buf-internal.h"

/*
 * CONFIG_DMABUF_DEBUG: flip every bit of each page link above the flag
 * bits; sg_next() and the DMA fields keep working, sg_page() points
 * nowhere.  The same call undoes it.
 */
static void dma_buf_scramble_pages(struct sg_table *sgt)
{
#ifdef CONFIG_DMABUF_DEBUG
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i)
		sg->page_link ^= ~(unsigned long)SG_PAGE_LINK_MASK;
#endif
}

/*
 * Wait, interruptibly, for the kernel fences (moves, clears) of a locked
 * reservation.  The lock keeps the table and its references stable, so
 * the walk needs neither RCU nor references of its own, and the usual
 * case, nothing pending, costs a look at the table.
 */
static long dma_buf_wait_kernel_fences(struct dma_resv *resv)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	long ret;

	dma_resv_assert_held(resv);
	dma_resv_for_each_fence(&cursor, resv, DMA_RESV_USAGE_KERNEL, fence) {
		/* done (also per ->signaled) fences are not waited for */
		if (dma_fence_is_signaled(fence))
			continue;
		ret = dma_fence_wait(fence, true);
		if (ret)
			return ret;
	}
	return 0;
}

/* The exporter's mapping, plus what the core adds for static importers. */
static struct sg_table *dma_buf_map(struct dma_buf_attachment *att,
				    enum dma_data_direction dir)
{
	struct dma_buf *buf = att->dmabuf;
	struct sg_table *sgt;
	long ret;

	sgt = buf->ops->map_dma_buf(att, dir);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	if (IS_ERR(sgt))
		return sgt;

	/* a static importer starts DMA at once: the move must be done */
	if (!dma_buf_attachment_is_dynamic(att)) {
		ret = dma_buf_wait_kernel_fences(buf->resv);
		if (ret < 0) {
			buf->ops->unmap_dma_buf(att, sgt, dir);
			return ERR_PTR(ret);
		}
	}

	dma_buf_scramble_pages(sgt);
	return sgt;
}

static void dma_buf_unmap(struct dma_buf_attachment *att,
			  struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_buf_scramble_pages(sgt);
	att->dmabuf->ops->unmap_dma_buf(att, sgt, dir);
}

/* Does this attachment get one mapping at attach time, kept until detach? */
static bool dma_buf_premap(struct dma_buf_attachment *att)
{
	return dma_buf_attachment_is_dynamic(att) !=
	       dma_buf_is_dynamic(att->dmabuf);
}

/* Pin and map for the life of the attachment; called locked. */
static int dma_buf_attach_premap(struct dma_buf_attachment *att)
{
	struct dma_buf *buf = att->dmabuf;
	struct sg_table *sgt;
	int ret;

	if (dma_buf_is_dynamic(buf)) {
		ret = buf->ops->pin(att);
		if (ret)
			return ret;
	}

	sgt = dma_buf_map(att, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		if (dma_buf_is_dynamic(buf))
			buf->ops->unpin(att);
		return PTR_ERR(sgt);
	}

	att->sgt = sgt;
	att->dir = DMA_BIDIRECTIONAL;
	return 0;
}

/* Off the buffer's list, with the cached mapping and its pin undone. */
static __always_inline void dma_buf_attach_unlink(struct dma_buf_attachment *att)
{
	struct dma_buf *buf = att->dmabuf;

	dma_resv_lock(buf->resv, NULL);
	if (att->sgt) {
		dma_buf_unmap(att, att->sgt, att->dir);
		att->sgt = NULL;
		if (dma_buf_is_dynamic(buf))
			buf->ops->unpin(att);
	}
	list_del(&att->node);
	dma_resv_unlock(buf->resv);
}

/**
 * dma_buf_dynamic_attach - attach a device, possibly as a dynamic importer
 * @buf: the buffer
 * @dev: the importing device
 * @importer_ops: the importer's &dma_buf_attach_ops (with move_notify), or
 *	NULL for a static importer
 * @importer_priv: the importer's data, in &dma_buf_attachment.importer_priv
 *
 * Calls the exporter's &dma_buf_ops.attach, then puts the attachment on the
 * buffer's list.  If importer and exporter are not both dynamic or both
 * static, the attachment is also pinned (dynamic exporter) and mapped for
 * %DMA_BIDIRECTIONAL here, and that mapping is what mapping it returns.
 *
 * Context: process context; takes the reservation lock, may sleep.
 * Return: the attachment, ERR_PTR(-EINVAL) for a NULL buffer or device or
 * importer ops without move_notify, ERR_PTR(-ENOMEM), or the error of the
 * exporter's attach, pin or map (-EBUSY if the device cannot reach the
 * buffer).
 */
struct dma_buf_attachment *
dma_buf_dynamic_attach(struct dma_buf *buf, struct device *dev,
		       const struct dma_buf_attach_ops *importer_ops,
		       void *importer_priv)
{
	struct dma_buf_attachment *att;
	int ret;

	if (WARN_ON(!buf || !dev))
		return ERR_PTR(-EINVAL);
	if (WARN_ON(importer_ops && !importer_ops->move_notify))
		return ERR_PTR(-EINVAL);

	att = dma_buf_fail_alloc() ? NULL :
		 kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att)
		return ERR_PTR(-ENOMEM);

	att->dmabuf = buf;
	att->dev = dev;
	att->importer_ops = importer_ops;
	att->importer_priv = importer_priv;
	att->peer2peer = importer_ops && importer_ops->allow_peer2peer;

	if (buf->ops->attach) {
		ret = buf->ops->attach(buf, att);
		if (ret)
			goto err_free;
	}

	dma_resv_lock(buf->resv, NULL);
	list_add(&att->node, &buf->attachments);
	ret = dma_buf_premap(att) ? dma_buf_attach_premap(att) : 0;
	dma_resv_unlock(buf->resv);
	if (ret)
		goto err_unlink;

	/* a failed attach is not traced: each event has its detach */
	DMA_BUF_TRACE(dynamic_attach, buf, att,
		      dma_buf_attachment_is_dynamic(att), dev);
	return att;

err_unlink:
	dma_buf_attach_unlink(att);
	if (buf->ops->detach)
		buf->ops->detach(buf, att);
err_free:
	kfree(att);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_dynamic_attach, DMA_BUF);

/**
 * dma_buf_attach - attach a device as a static importer
 * @buf: the buffer
 * @dev: the importing device
 *
 * dma_buf_dynamic_attach() without importer ops: the buffer will not move
 * under the attachment's mappings.
 *
 * Context: process context; may sleep.
 * Return: as dma_buf_dynamic_attach().
 */
struct dma_buf_attachment *dma_buf_attach(struct dma_buf *buf,
					  struct device *dev)
{
	return dma_buf_dynamic_attach(buf, dev, NULL, NULL);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_attach, DMA_BUF);

/**
 * dma_buf_detach - undo dma_buf_attach() or dma_buf_dynamic_attach()
 * @buf: the buffer the attachment belongs to
 * @att: the attachment, freed here
 *
 * Drops the cached mapping (and its pin) if there is one, takes the
 * attachment off the buffer's list, and calls the exporter's
 * &dma_buf_ops.detach.  Every other mapping must have been unmapped.
 * An attachment of another buffer is refused with a warning.
 *
 * Context: process context; takes the reservation lock, may sleep.
 */
void dma_buf_detach(struct dma_buf *buf, struct dma_buf_attachment *att)
{
	if (WARN_ON(!buf || !att || buf != att->dmabuf))
		return;

	dma_buf_attach_unlink(att);
	if (buf->ops->detach)
		buf->ops->detach(buf, att);
	/* the importer's reference keeps @buf; @att goes right after */
	DMA_BUF_TRACE(detach, buf, att, dma_buf_attachment_is_dynamic(att),
		      att->dev);
	kfree(att);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_detach, DMA_BUF);

/**
 * dma_buf_pin - keep the buffer where it is, for a dynamic importer
 * @att: a dynamic attachment
 *
 * For a dynamic importer that needs, for a while, what a static one has:
 * its mappings stay valid until dma_buf_unpin().  Pinning should be the
 * exception (it defeats eviction).  A no-op for a static exporter.
 *
 * Context: the reservation lock must be held.
 * Return: 0, or the exporter's error.
 */
int dma_buf_pin(struct dma_buf_attachment *att)
{
	struct dma_buf *buf = att->dmabuf;

	WARN_ON(!dma_buf_attachment_is_dynamic(att));
	dma_resv_assert_held(buf->resv);

	return buf->ops->pin ? buf->ops->pin(att) : 0;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_pin, DMA_BUF);

/**
 * dma_buf_unpin - undo one dma_buf_pin()
 * @att: the attachment that pinned
 *
 * Context: the reservation lock must be held.
 */
void dma_buf_unpin(struct dma_buf_attachment *att)
{
	struct dma_buf *buf = att->dmabuf;

	WARN_ON(!dma_buf_attachment_is_dynamic(att));
	dma_resv_assert_held(buf->resv);

	if (buf->ops->unpin)
		buf->ops->unpin(att);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_unpin, DMA_BUF);

/*
 * Without move notification nobody could be told that a dynamic
 * exporter's buffer moved, so each mapping pins it.
 */
static bool dma_buf_map_pins(struct dma_buf *buf)
{
	return dma_buf_is_dynamic(buf) &&
	       !IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY);
}

/**
 * dma_buf_map_attachment - DMA-map an attachment
 * @att: the attachment
 * @dir: the direction of the DMA
 *
 * Returns the exporter's scatterlist for the attachment's device: the
 * cached one if there is (see the overview), else a new one from
 * &dma_buf_ops.map_dma_buf.  For a static importer it returns once the
 * buffer's kernel fences have signalled; a dynamic importer must order its
 * DMA after the reservation's fences itself.  Only the DMA addresses and
 * lengths of the table may be used.
 *
 * Context: the reservation lock must be held; may sleep.
 * Return: the table, ERR_PTR(-EINVAL) for a NULL attachment,
 * ERR_PTR(-EBUSY) if a cached mapping has another direction, -EINTR or
 * -ERESTARTSYS if a wait was interrupted, ERR_PTR(-ENOMEM) or the
 * exporter's error.
 */
struct sg_table *dma_buf_map_attachment(struct dma_buf_attachment *att,
					enum dma_data_direction dir)
{
	struct dma_buf *buf;
	struct sg_table *sgt;
	int ret;

	might_sleep();
	if (WARN_ON(!att || !att->dmabuf))
		return ERR_PTR(-EINVAL);
	buf = att->dmabuf;
	dma_resv_assert_held(buf->resv);

	if (att->sgt) {
		if (att->dir != dir && att->dir != DMA_BIDIRECTIONAL)
			return ERR_PTR(-EBUSY);
		return att->sgt;
	}

	if (dma_buf_map_pins(buf)) {
		ret = buf->ops->pin(att);
		if (ret)
			return ERR_PTR(ret);
	}

	sgt = dma_buf_map(att, dir);
	if (IS_ERR(sgt)) {
		if (dma_buf_map_pins(buf))
			buf->ops->unpin(att);
		return sgt;
	}

	if (buf->ops->cache_sgt_mapping) {
		att->sgt = sgt;
		att->dir = dir;
	}
	return sgt;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_map_attachment, DMA_BUF);

/**
 * dma_buf_map_attachment_unlocked - dma_buf_map_attachment() taking the lock
 * @att: the attachment
 * @dir: the direction of the DMA
 *
 * Context: process context, reservation lock not held; may sleep.
 * Return: as dma_buf_map_attachment().
 */
struct sg_table *
dma_buf_map_attachment_unlocked(struct dma_buf_attachment *att,
				enum dma_data_direction dir)
{
	struct sg_table *sgt;

	might_sleep();
	if (WARN_ON(!att || !att->dmabuf))
		return ERR_PTR(-EINVAL);

	dma_resv_lock(att->dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(att, dir);
	dma_resv_unlock(att->dmabuf->resv);
	return sgt;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_map_attachment_unlocked, DMA_BUF);

/**
 * dma_buf_unmap_attachment - undo dma_buf_map_attachment()
 * @att: the attachment
 * @sg_table: the table dma_buf_map_attachment() returned
 * @dir: the direction it was mapped for
 *
 * A cached mapping stays until detach; any other goes back to the
 * exporter (and its pin, without CONFIG_DMABUF_MOVE_NOTIFY, is dropped).
 *
 * Context: the reservation lock must be held; may sleep.
 */
void dma_buf_unmap_attachment(struct dma_buf_attachment *att,
			      struct sg_table *sg_table,
			      enum dma_data_direction dir)
{
	might_sleep();
	if (WARN_ON(!att || !att->dmabuf || !sg_table))
		return;
	dma_resv_assert_held(att->dmabuf->resv);

	if (att->sgt == sg_table)
		return;

	dma_buf_unmap(att, sg_table, dir);
	if (dma_buf_map_pins(att->dmabuf))
		dma_buf_unpin(att);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_unmap_attachment, DMA_BUF);

/**
 * dma_buf_unmap_attachment_unlocked - dma_buf_unmap_attachment() taking the lock
 * @att: the attachment
 * @sg_table: the table dma_buf_map_attachment() returned
 * @dir: the direction it was mapped for
 *
 * Context: process context, reservation lock not held; may sleep.
 */
void dma_buf_unmap_attachment_unlocked(struct dma_buf_attachment *att,
				       struct sg_table *sg_table,
				       enum dma_data_direction dir)
{
	might_sleep();
	if (WARN_ON(!att || !att->dmabuf || !sg_table))
		return;

	dma_resv_lock(att->dmabuf->resv, NULL);
	dma_buf_unmap_attachment(att, sg_table, dir);
	dma_resv_unlock(att->dmabuf->resv);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_unmap_attachment_unlocked, DMA_BUF);

/**
 * dma_buf_move_notify - tell the dynamic importers the buffer will move
 * @buf: the buffer
 *
 * The exporter calls this before it moves the buffer, with the lock held
 * and the move's fences already in the reservation: each dynamic
 * importer's &dma_buf_attach_ops.move_notify drops its mappings.  Static
 * importers are not told; their mappings pin the buffer.
 *
 * Context: the reservation lock must be held.
 */
void dma_buf_move_notify(struct dma_buf *buf)
{
	struct dma_buf_attachment *att;

	dma_resv_assert_held(buf->resv);

	list_for_each_entry(att, &buf->attachments, node)
		if (att->importer_ops)
			att->importer_ops->move_notify(att);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_move_notify, DMA_BUF);
