// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suites for the dma-buf core: the in-kernel interface that
 * drivers/dma-buf offers exporters and importers (export, file
 * descriptors, attachments, mappings, CPU access, vmap and mmap) and the
 * inline helpers of include/linux/dma-buf.h, held to their Linux 6.12
 * behaviour.
 *
 * The suites only use the public interface, so the same file can be run
 * against any implementation of it.
 */

/**
 * DOC: dma-buf KUnit suites
 *
 * Five suites: dma-buf-export (validation, the reservation object, the
 * owner module, references, sysfs statistics), dma-buf-fd (descriptors,
 * the path, llseek, poll), dma-buf-attach (attachments, and the mapping
 * some get at attach time), dma-buf-map (mapping and its cache, fences,
 * pinning, move_notify) and dma-buf-cpu (CPU access brackets, vmap, mmap).
 *
 * What is mocked: the exporter and the importers. &struct dbt_exp, in
 * KUnit-managed memory, backs every buffer of a case. Its callbacks count
 * each call and each success, record what they were given, fail on
 * request, and check 6.12's locking rules: pin, unpin, map_dma_buf,
 * unmap_dma_buf, vmap, vunmap and the importers' move_notify run with the
 * reservation lock held by the caller (lockdep) and never two at once;
 * attach, detach, release, begin/end_cpu_access and mmap run with it free
 * (a trylock succeeds). map_dma_buf builds a fresh sg_table over the pages
 * of an alloc_pages() block, with made-up DMA addresses; unmap_dma_buf
 * checks that it got its own table back, with its own pages, for the
 * direction it was mapped for. dbt_ops() builds the ops tables: all the
 * callbacks, the mandatory three only, with cache_sgt_mapping, with pin
 * and unpin (dynamic), or with one missing. Importers attach a KUnit
 * device; dynamic ones count move_notify calls. The owner module of some
 * cases is a zeroed &struct module holding the loader's base reference,
 * so that its count can be read. Fences are the counted mock fences of
 * mock-fence.h, some signalled by a timer.
 *
 * What is observed: return values; the exporter's counters; the public
 * fields of &struct dma_buf and &struct dma_buf_attachment; file reference
 * counts and flags, close-on-exec bits; the owner's reference count; and
 * whether a fence was signalled when a call returned, which tells a call
 * that waited for it (its timer fires after 100 ms) from one that did not
 * (after 5 s, so that a wrong wait ends). A kthread's last fput() is
 * deferred: the cases run flush_delayed_fput() and wait a bounded time for
 * the release. Also: the buffer's path, file_path() of its file, which is
 * what readlink() of /proc/<pid>/fd/<fd> shows, with a name set through
 * the DMA_BUF_SET_NAME ioctl itself (its argument in user memory from
 * kunit_vm_mmap()); and, with CONFIG_DMABUF_SYSFS_STATS, the statistics
 * directories and their files as a reader of /sys/kernel/dmabuf sees them.
 * Built-in suites run before anything is mounted on /sys, so those cases
 * kern_mount() a sysfs of their own and look paths up from its root.
 *
 * 6.12 rules pinned down here: export needs priv and the map, unmap and
 * release callbacks, pin and unpin both or neither and cache_sgt_mapping
 * only without them, and it accepts size 0; the file keeps only the access
 * mode and O_NONBLOCK; dma_buf_fd() takes over the caller's reference; a
 * static importer waits, interruptibly, for the KERNEL fences once the
 * exporter mapped, a dynamic one never waits; a static importer of a
 * dynamic exporter is pinned and mapped for DMA_BIDIRECTIONAL at attach,
 * and so is (without a pin, without waiting) a dynamic importer of a
 * static exporter; that mapping, like every mapping of a cache_sgt_mapping
 * exporter, is handed out for each map and unmapped only at detach; a
 * cached mapping refuses other directions unless it is bidirectional; a
 * dynamic importer of a dynamic exporter is pinned for its mappings only
 * without CONFIG_DMABUF_MOVE_NOTIFY; with CONFIG_DMABUF_DEBUG importers
 * get scrambled page links; begin_cpu_access calls the exporter, then
 * waits for the KERNEL and WRITE fences, and the READ ones too when the
 * CPU will write; poll reports EPOLLIN once the KERNEL and WRITE fences
 * are signalled, EPOLLOUT once the READ ones are too; dma_buf_mmap()
 * checks the range before it touches the vma.
 *
 * Ours, beyond 6.12: dma_buf_vunmap() of a buffer that is not vmapped, or
 * of another mapping, warns and changes nothing; 6.12 BUGs on both, so
 * cpu_vunmap_misuse_warns_and_changes_nothing crashes against it. A last
 * put while the buffer is still vmapped, or has a poll callback armed,
 * warns and leaks the buffer: the exporter's release is not called, the
 * owner keeps its reference and the buffer stays whole, only its file is
 * gone. 6.12 BUGs there too, so put_of_a_vmapped_buffer_warns_and_leaks_it
 * and fd_poll_armed_at_the_last_put_warns_and_leaks_the_buffer crash
 * against it; an implementation that frees the buffer fails them (they
 * touch nothing of it once its release was called). Each leaks, on
 * purpose, its &struct dma_buf (the vmap case's with its embedded
 * reservation object) and, with CONFIG_DMABUF_SYSFS_STATS, its statistics
 * kobject and directory, which stays: a few hundred bytes per run. The
 * exporter's pages are freed as usual, the buffer no longer maps them, and
 * the poll case's reservation object is its own. An armed poll callback
 * holds a file reference of its own, so the case drops the callback's
 * reference (the double put of a buggy driver) and then stands in for the
 * callback, which would put the freed file when its fence signals: it
 * takes the callback off the fence. Their last put is __fput_sync(), so
 * the warning comes from the case's thread, not from the kworker of a
 * deferred fput, and the release would have run when it returns. The
 * misuse that 6.12 answers with a WARN (missing callbacks at export,
 * dma_buf_put(NULL), attach without a buffer, a device or move_notify,
 * detach from another buffer, a failing exporter vmap) must leave
 * everything as it was. These cases skip when panic_on_warn is set, and in
 * a module build, which cannot read panic_on_warn.
 *
 * Not exercised: mapping without the reservation lock and dma_buf_pin() of
 * a static attachment (6.12 warns and goes on), the ioctls but
 * DMA_BUF_SET_NAME, fdinfo and debugfs.
 *
 * Fault injection: export_fails_cleanly_at_every_allocation and
 * attach_fails_cleanly_at_every_allocation walk the failure points of this
 * directory's dma_buf_fail_alloc() hook (dma-buf-fault.h) with
 * ``current->fail_nth`` and require at least one; every failure must
 * return ERR_PTR(-ENOMEM) and leave no buffer (the release is not called),
 * attachment, exporter call or module reference behind.
 * map_fails_cleanly_at_every_allocation walks mapping the same way but
 * does not require a failure point. They skip without
 * CONFIG_FAULT_INJECTION. Upstream 6.12's dma-buf.c has no such hook, so
 * the first two fail against it.
 *
 * Threads: fd_poll_and_last_put_race_on_two_cpus,
 * map_and_attach_race_move_notify_on_two_cpus and cpu_vmap_race_on_two_cpus
 * run two kthreads bound to two different online CPUs for a bounded number
 * of rounds, and skip with one CPU. Threads and the cases wait for each
 * other and for pending fences only with a timeout: a broken
 * implementation fails a case instead of hanging the boot.
 *
 * Locking: meant to run with PROVE_LOCKING. No assertion that can abort a
 * case is made while a reservation lock is held. An assertion that fails
 * while a buffer is alive leaks the buffer: it is never released, so its
 * callbacks never touch the case's freed memory.
 *
 * Running: ``./tools/testing/kunit/kunit.py run --arch=x86_64
 * --kunitconfig=drivers/dma-buf --qemu_args='-smp 2' 'dma-buf-*'`` from
 * the top of a kernel tree.
 */

#include <kunit/device.h>
#include <kunit/test.h>

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iosys-map.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/panic.h>
#include <linux/path.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <uapi/linux/dma-buf.h>

#include "../dma-buf-fault.h"
#include "mock-fence.h"

#define DBT_PAGES		4
#define DBT_ORDER		2
#define DBT_SIZE		(DBT_PAGES * PAGE_SIZE)
#define DBT_DMA_BASE		((dma_addr_t)0x7ff00000)
#define DBT_SGT_MAGIC		0xdb5917ab
#define DBT_NR_USAGES		(DMA_RESV_USAGE_BOOKKEEP + 1)
/* A fence the call under test must wait for signals this soon... */
#define DBT_SOON		(HZ / 10)
/* ...and one it must not wait for this late, so that a wrong wait ends. */
#define DBT_LATE		(5 * HZ)
#define DBT_RELEASE_TIMEOUT	(5 * HZ)
#define DBT_THREAD_TIMEOUT	(60 * HZ)
#define DBT_FAULT_STEPS		64
#define DBT_POLL_ROUNDS		100
#define DBT_MOVE_ROUNDS		300
#define DBT_VMAP_ROUNDS		1000

static_assert(DBT_PAGES == 1 << DBT_ORDER);

/* Skips the case, saying why, when @cond does not hold. */
#define DBT_REQUIRES(test, cond)					\
	do {								\
		if (!(cond))						\
			kunit_skip((test), "requires " #cond);		\
	} while (0)

/*
 * Cases that warn on purpose skip if the warning would panic. A module
 * cannot read panic_on_warn (it is not exported), so they skip there too.
 */
static void dbt_warns(struct kunit *test, const char *what)
{
#if IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)
	if (panic_on_warn)
		kunit_skip(test, "warns on purpose; panic_on_warn is set");
#else
	kunit_skip(test, "warns on purpose; a module cannot see panic_on_warn");
#endif
	kunit_info(test, "%s: a warning follows\n", what);
}

/* The mock exporter */

struct dbt_exp {
	struct page *pages;
	/* What the callbacks answer; set by the case beforehand. */
	int attach_err, pin_err, map_err, vmap_err;
	int begin_err, end_err, mmap_err;
	bool map_null;
	bool jitter;		/* linger in the locked callbacks (races) */
	/* Calls, and the calls that succeeded. */
	atomic_t attaches, attached, detaches;
	atomic_t pins, pinned, unpins;
	atomic_t maps, mapped, unmaps;
	atomic_t vmaps, vmapped, vunmaps;
	atomic_t begins, ends, mmaps, releases;
	/* Rule violations seen by the callbacks. */
	atomic_t bad_calls;	/* arguments that are not ours */
	atomic_t bad_pages;	/* a table came back with other pages */
	atomic_t unlocked;	/* a locked callback without the lock */
	atomic_t locked;	/* an unlocked callback with the lock taken */
	atomic_t overlaps;	/* two locked callbacks at once */
	atomic_t inside;
	/* What the latest calls were given. */
	enum dma_data_direction map_dir, begin_dir, end_dir;
	struct dma_buf_attachment *last_attach;
	struct sg_table *last_sgt;
	void *vaddr;		/* the live vmap, NULL if none */
	struct vm_area_struct *mmap_vma;
	unsigned long mmap_pgoff;
	struct file *mmap_file;
};

/* A table handed out by dbt_map(). */
struct dbt_sgt {
	struct sg_table sgt;
	struct dbt_exp *e;
	enum dma_data_direction dir;
	u32 magic;
};

static bool dbt_resv_held(struct dma_resv *resv)
{
#if IS_ENABLED(CONFIG_LOCKDEP) && IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC)
	if (!lockdep_is_held(&resv->lock.base))
		return false;
#endif
	return dma_resv_is_locked(resv);
}

/* Entry and exit of the callbacks that run under the reservation lock. */
static void dbt_locked_enter(struct dbt_exp *e, struct dma_buf *buf)
{
	if (!dbt_resv_held(buf->resv))
		atomic_inc(&e->unlocked);
	if (atomic_inc_return(&e->inside) != 1)
		atomic_inc(&e->overlaps);
	if (READ_ONCE(e->jitter))
		mock_race_jitter(atomic_read(&e->maps) + atomic_read(&e->vmaps));
}

static void dbt_locked_exit(struct dbt_exp *e)
{
	atomic_dec(&e->inside);
}

/* The callbacks 6.12 calls without the lock: the exporter may take it. */
static void dbt_unlocked_call(struct dbt_exp *e, struct dma_buf *buf)
{
	if (dma_resv_trylock(buf->resv))
		dma_resv_unlock(buf->resv);
	else
		atomic_inc(&e->locked);
}

static int dbt_attach(struct dma_buf *buf, struct dma_buf_attachment *attach)
{
	struct dbt_exp *e = buf->priv;

	dbt_unlocked_call(e, buf);
	atomic_inc(&e->attaches);
	if (attach->dmabuf != buf || !attach->dev)
		atomic_inc(&e->bad_calls);
	WRITE_ONCE(e->last_attach, attach);
	if (e->attach_err)
		return e->attach_err;
	atomic_inc(&e->attached);
	return 0;
}

static void dbt_detach(struct dma_buf *buf, struct dma_buf_attachment *attach)
{
	struct dbt_exp *e = buf->priv;

	dbt_unlocked_call(e, buf);
	if (attach->dmabuf != buf)
		atomic_inc(&e->bad_calls);
	atomic_inc(&e->detaches);
}

static int dbt_pin(struct dma_buf_attachment *attach)
{
	struct dbt_exp *e = attach->dmabuf->priv;
	int err = e->pin_err;

	dbt_locked_enter(e, attach->dmabuf);
	atomic_inc(&e->pins);
	WRITE_ONCE(e->last_attach, attach);
	if (!err)
		atomic_inc(&e->pinned);
	dbt_locked_exit(e);
	return err;
}

static void dbt_unpin(struct dma_buf_attachment *attach)
{
	struct dbt_exp *e = attach->dmabuf->priv;

	dbt_locked_enter(e, attach->dmabuf);
	atomic_inc(&e->unpins);
	dbt_locked_exit(e);
}

static dma_addr_t dbt_dma_addr(unsigned int i)
{
	return DBT_DMA_BASE + i * PAGE_SIZE;
}

static struct sg_table *dbt_map(struct dma_buf_attachment *attach,
				enum dma_data_direction dir)
{
	struct dbt_exp *e = attach->dmabuf->priv;
	struct sg_table *ret = ERR_PTR(-ENOMEM);
	struct scatterlist *sg;
	struct dbt_sgt *t;
	unsigned int i;

	dbt_locked_enter(e, attach->dmabuf);
	atomic_inc(&e->maps);
	WRITE_ONCE(e->map_dir, dir);
	WRITE_ONCE(e->last_attach, attach);
	if (e->map_null || e->map_err) {
		ret = e->map_null ? NULL : ERR_PTR(e->map_err);
		goto out;
	}
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		goto out;
	if (sg_alloc_table(&t->sgt, DBT_PAGES, GFP_KERNEL)) {
		kfree(t);
		goto out;
	}
	for_each_sgtable_sg(&t->sgt, sg, i) {
		sg_set_page(sg, nth_page(e->pages, i), PAGE_SIZE, 0);
		sg_dma_address(sg) = dbt_dma_addr(i);
		sg_dma_len(sg) = PAGE_SIZE;
	}
	t->e = e;
	t->dir = dir;
	t->magic = DBT_SGT_MAGIC;
	atomic_inc(&e->mapped);
	WRITE_ONCE(e->last_sgt, &t->sgt);
	ret = &t->sgt;
out:
	dbt_locked_exit(e);
	return ret;
}

static void dbt_unmap(struct dma_buf_attachment *attach, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	struct dbt_sgt *t = container_of(sgt, struct dbt_sgt, sgt);
	struct dbt_exp *e = attach->dmabuf->priv;
	struct scatterlist *sg;
	unsigned int i;

	dbt_locked_enter(e, attach->dmabuf);
	atomic_inc(&e->unmaps);
	if (t->magic != DBT_SGT_MAGIC || t->e != e) {
		/* Not ours, or unmapped twice: leave it alone. */
		atomic_inc(&e->bad_calls);
		goto out;
	}
	if (t->dir != dir)
		atomic_inc(&e->bad_calls);
	for_each_sgtable_sg(sgt, sg, i)
		if (sg_page(sg) != nth_page(e->pages, i) ||
		    sg_dma_address(sg) != dbt_dma_addr(i))
			atomic_inc(&e->bad_pages);
	t->magic = 0;
	sg_free_table(sgt);
	kfree(t);
out:
	dbt_locked_exit(e);
}

static void dbt_release(struct dma_buf *buf)
{
	struct dbt_exp *e = buf->priv;

	dbt_unlocked_call(e, buf);
	atomic_inc(&e->releases);
}

static int dbt_begin_cpu_access(struct dma_buf *buf,
				enum dma_data_direction dir)
{
	struct dbt_exp *e = buf->priv;

	dbt_unlocked_call(e, buf);
	atomic_inc(&e->begins);
	e->begin_dir = dir;
	return e->begin_err;
}

static int dbt_end_cpu_access(struct dma_buf *buf, enum dma_data_direction dir)
{
	struct dbt_exp *e = buf->priv;

	dbt_unlocked_call(e, buf);
	atomic_inc(&e->ends);
	e->end_dir = dir;
	return e->end_err;
}

static int dbt_mmap(struct dma_buf *buf, struct vm_area_struct *vma)
{
	struct dbt_exp *e = buf->priv;

	dbt_unlocked_call(e, buf);
	atomic_inc(&e->mmaps);
	e->mmap_vma = vma;
	e->mmap_pgoff = vma->vm_pgoff;
	e->mmap_file = vma->vm_file;
	return e->mmap_err;
}

static int dbt_vmap(struct dma_buf *buf, struct iosys_map *map)
{
	struct dbt_exp *e = buf->priv;
	int n, err = e->vmap_err;

	dbt_locked_enter(e, buf);
	n = atomic_inc_return(&e->vmaps);
	if (!err) {
		/* Each new mapping at another address, to tell them apart. */
		void *vaddr = page_address(nth_page(e->pages, n % DBT_PAGES));

		if (e->vaddr)
			atomic_inc(&e->bad_calls);
		WRITE_ONCE(e->vaddr, vaddr);
		iosys_map_set_vaddr(map, vaddr);
		atomic_inc(&e->vmapped);
	}
	dbt_locked_exit(e);
	return err;
}

static void dbt_vunmap(struct dma_buf *buf, struct iosys_map *map)
{
	struct dbt_exp *e = buf->priv;

	dbt_locked_enter(e, buf);
	atomic_inc(&e->vunmaps);
	if (!e->vaddr || map->is_iomem || map->vaddr != e->vaddr)
		atomic_inc(&e->bad_calls);
	WRITE_ONCE(e->vaddr, NULL);
	dbt_locked_exit(e);
}

static const struct dma_buf_ops dbt_all_ops = {
	.attach = dbt_attach,
	.detach = dbt_detach,
	.map_dma_buf = dbt_map,
	.unmap_dma_buf = dbt_unmap,
	.release = dbt_release,
	.begin_cpu_access = dbt_begin_cpu_access,
	.end_cpu_access = dbt_end_cpu_access,
	.mmap = dbt_mmap,
	.vmap = dbt_vmap,
	.vunmap = dbt_vunmap,
};

/* What dbt_ops() changes in dbt_all_ops. */
#define DBT_ALL		0
#define DBT_MINIMAL	BIT(0)	/* map_dma_buf, unmap_dma_buf, release */
#define DBT_CACHED	BIT(1)	/* cache_sgt_mapping */
#define DBT_PIN		BIT(2)
#define DBT_UNPIN	BIT(3)
#define DBT_DYNAMIC	(DBT_PIN | DBT_UNPIN)
#define DBT_NO_MAP	BIT(4)
#define DBT_NO_UNMAP	BIT(5)
#define DBT_NO_RELEASE	BIT(6)
#define DBT_NO_OPS	BIT(7)	/* no table at all */

static const struct dma_buf_ops *dbt_ops(struct kunit *test, unsigned int spec)
{
	struct dma_buf_ops *ops;

	if (spec & DBT_NO_OPS)
		return NULL;
	ops = kunit_kzalloc(test, sizeof(*ops), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ops);
	if (spec & DBT_MINIMAL) {
		ops->map_dma_buf = dbt_map;
		ops->unmap_dma_buf = dbt_unmap;
		ops->release = dbt_release;
	} else {
		*ops = dbt_all_ops;
	}
	ops->cache_sgt_mapping = spec & DBT_CACHED;
	if (spec & DBT_PIN)
		ops->pin = dbt_pin;
	if (spec & DBT_UNPIN)
		ops->unpin = dbt_unpin;
	if (spec & DBT_NO_MAP)
		ops->map_dma_buf = NULL;
	if (spec & DBT_NO_UNMAP)
		ops->unmap_dma_buf = NULL;
	if (spec & DBT_NO_RELEASE)
		ops->release = NULL;
	return ops;
}

/* The mock importers */

struct dbt_imp {
	struct dma_buf_attachment *attach;	/* the expected one, or NULL */
	atomic_t moves;
	atomic_t bad_moves;
};

static void dbt_move_notify(struct dma_buf_attachment *attach)
{
	struct dbt_imp *imp = attach->importer_priv;
	struct dbt_exp *e = attach->dmabuf->priv;
	struct dma_buf_attachment *mine = READ_ONCE(imp->attach);

	dbt_locked_enter(e, attach->dmabuf);
	atomic_inc(&imp->moves);
	if (mine && mine != attach)
		atomic_inc(&imp->bad_moves);
	dbt_locked_exit(e);
}

static const struct dma_buf_attach_ops dbt_importer_ops = {
	.move_notify = dbt_move_notify,
};

static const struct dma_buf_attach_ops dbt_p2p_importer_ops = {
	.allow_peer2peer = true,
	.move_notify = dbt_move_notify,
};

/* Buffers, attachments and mappings */

static void dbt_free_pages(void *pages)
{
	__free_pages(pages, DBT_ORDER);
}

static struct dbt_exp *dbt_exp_new(struct kunit *test)
{
	struct dbt_exp *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, e);
	e->pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, DBT_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, e->pages);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dbt_free_pages,
							e->pages), 0);
	return e;
}

static void dbt_fill_info(struct kunit *test, struct dma_buf_export_info *info,
			  struct dbt_exp *e, unsigned int spec)
{
	info->ops = dbt_ops(test, spec);
	info->size = DBT_SIZE;
	info->flags = O_RDWR;
	info->priv = e;
}

static struct dma_buf *dbt_export(struct kunit *test, struct dbt_exp *e,
				  unsigned int spec)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *buf;

	dbt_fill_info(test, &info, e, spec);
	buf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	return buf;
}

/*
 * Runs the final fputs that a kthread defers, then waits a bounded time
 * until the exporter saw @n releases in all; returns how many it saw.
 */
static int dbt_settle(struct dbt_exp *e, int n)
{
	unsigned long end = jiffies + DBT_RELEASE_TIMEOUT;

	flush_delayed_fput();
	while (atomic_read(&e->releases) < n && time_before(jiffies, end)) {
		usleep_range(1000, 2000);
		flush_delayed_fput();
	}
	return atomic_read(&e->releases);
}

/*
 * Drops the last reference to @file at once, in the case's thread: for a
 * last put that warns on purpose. A kthread's fput() would leave it to the
 * delayed-fput work, whose kworker may get there first and raise the
 * warning outside the case; here the release, if any, has run on return.
 */
static void dbt_last_put_now(struct file *file)
{
	__fput_sync(file);
}

/* Every call that succeeded was undone once, and no rule was broken. */
static void dbt_expect_balanced(struct kunit *test, struct dbt_exp *e)
{
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&e->detaches),
			    atomic_read(&e->attached), "attach/detach");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&e->unpins),
			    atomic_read(&e->pinned), "pin/unpin");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&e->unmaps),
			    atomic_read(&e->mapped), "map/unmap");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&e->vunmaps),
			    atomic_read(&e->vmapped), "vmap/vunmap");
	KUNIT_EXPECT_EQ(test, atomic_read(&e->bad_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->bad_pages), 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&e->unlocked), 0,
			    "a locked callback ran without the resv lock");
	KUNIT_EXPECT_EQ(test, atomic_read(&e->overlaps), 0);
}

/* The same, and (single-threaded) unlocked callbacks found it free. */
static void dbt_expect_clean(struct kunit *test, struct dbt_exp *e)
{
	dbt_expect_balanced(test, e);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&e->locked), 0,
			    "an unlocked callback ran with the resv lock taken");
}

/* Drops the last reference of @buf: released exactly once, all undone. */
static void dbt_drop(struct kunit *test, struct dma_buf *buf, struct dbt_exp *e)
{
	int before = atomic_read(&e->releases);

	dma_buf_put(buf);
	KUNIT_EXPECT_EQ(test, dbt_settle(e, before + 1), before + 1);
	dbt_expect_clean(test, e);
}

static struct device *dbt_device(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "dbt-importer");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	return dev;
}

/* A static attachment, or a dynamic one if @imp is given. */
static struct dma_buf_attachment *dbt_attach_as(struct dma_buf *buf,
						struct device *dev,
						struct dbt_imp *imp)
{
	if (!imp)
		return dma_buf_attach(buf, dev);
	return dma_buf_dynamic_attach(buf, dev, &dbt_importer_ops, imp);
}

/* How many attachments @buf lists, and whether @find is one. */
static unsigned int dbt_attachments(struct dma_buf *buf,
				    struct dma_buf_attachment *find,
				    bool *found)
{
	struct dma_buf_attachment *pos;
	unsigned int n = 0;
	bool seen = false;

	dma_resv_lock(buf->resv, NULL);
	list_for_each_entry(pos, &buf->attachments, node) {
		n++;
		seen |= pos == find;
	}
	dma_resv_unlock(buf->resv);
	if (found)
		*found = seen;
	return n;
}

/* Maps through the locked function (@locked) or the _unlocked one. */
static struct sg_table *dbt_map_call(struct dma_buf_attachment *attach,
				     enum dma_data_direction dir, bool locked)
{
	struct sg_table *sgt;

	if (!locked)
		return dma_buf_map_attachment_unlocked(attach, dir);
	dma_resv_lock(attach->dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(attach, dir);
	dma_resv_unlock(attach->dmabuf->resv);
	return sgt;
}

static void dbt_unmap_call(struct dma_buf_attachment *attach,
			   struct sg_table *sgt, enum dma_data_direction dir,
			   bool locked)
{
	if (IS_ERR_OR_NULL(sgt))
		return;
	if (!locked) {
		dma_buf_unmap_attachment_unlocked(attach, sgt, dir);
		return;
	}
	dma_resv_lock(attach->dmabuf->resv, NULL);
	dma_buf_unmap_attachment(attach, sgt, dir);
	dma_resv_unlock(attach->dmabuf->resv);
}

static int dbt_vmap_call(struct dma_buf *buf, struct iosys_map *map,
			 bool locked)
{
	int ret;

	if (!locked)
		return dma_buf_vmap_unlocked(buf, map);
	dma_resv_lock(buf->resv, NULL);
	ret = dma_buf_vmap(buf, map);
	dma_resv_unlock(buf->resv);
	return ret;
}

static void dbt_vunmap_call(struct dma_buf *buf, struct iosys_map *map,
			    bool locked)
{
	if (!locked) {
		dma_buf_vunmap_unlocked(buf, map);
		return;
	}
	dma_resv_lock(buf->resv, NULL);
	dma_buf_vunmap(buf, map);
	dma_resv_unlock(buf->resv);
}

static const bool dbt_locked_params[] = { false, true };

static void dbt_locked_desc(const bool *locked, char *desc)
{
	strscpy(desc, *locked ? "caller holds the resv lock" :
		"_unlocked variant", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dbt_locked, dbt_locked_params, dbt_locked_desc);

static bool dbt_param_locked(struct kunit *test)
{
	return *(const bool *)test->param_value;
}

/* Fences */

static void dbt_add_fence(struct kunit *test, struct dma_resv *resv,
			  struct dma_fence *fence, enum dma_resv_usage usage)
{
	int err;

	dma_resv_lock(resv, NULL);
	err = dma_resv_reserve_fences(resv, 1);
	if (!err)
		dma_resv_add_fence(resv, fence, usage);
	dma_resv_unlock(resv);
	KUNIT_EXPECT_EQ(test, err, 0);
}

static struct dma_fence *dbt_new_fence(struct mock_book *book)
{
	return mock_fence(book, dma_fence_context_alloc(1), 1);
}

/* A fence that a timer signals; the timer is stopped when the case ends. */
struct dbt_timed {
	struct timer_list timer;
	struct dma_fence *fence;	/* one reference for the timer, */
};					/* one until the case ends */

static void dbt_timed_fn(struct timer_list *t)
{
	struct dbt_timed *tf = from_timer(tf, t, timer);

	dma_fence_signal(tf->fence);
	dma_fence_put(tf->fence);
}

/* Signals the fence now, unless its timer did already. */
static void dbt_timed_stop(struct dbt_timed *tf)
{
	if (timer_delete_sync(&tf->timer)) {
		dma_fence_signal(tf->fence);
		dma_fence_put(tf->fence);
	}
}

static void dbt_timed_release(void *data)
{
	struct dbt_timed *tf = data;

	dbt_timed_stop(tf);
	dma_fence_put(tf->fence);
}

/* A pending fence in @resv with @usage, signalled @delay from now. */
static struct dbt_timed *dbt_timed_fence(struct kunit *test,
					 struct mock_book *book,
					 struct dma_resv *resv,
					 enum dma_resv_usage usage,
					 unsigned long delay)
{
	struct dbt_timed *tf = kunit_kzalloc(test, sizeof(*tf), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, tf);
	tf->fence = dma_fence_get(dbt_new_fence(book));
	timer_setup(&tf->timer, dbt_timed_fn, 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dbt_timed_release,
							tf), 0);
	dbt_add_fence(test, resv, tf->fence, usage);
	mod_timer(&tf->timer, jiffies + delay);
	return tf;
}

static bool dbt_signalled(struct dbt_timed *tf)
{
	return dma_fence_is_signaled(tf->fence);
}

/*
 * One fence of each usage: those up to @waited_up_to (-1: none) signal
 * soon, the others late.
 */
static void dbt_fence_each_usage(struct kunit *test, struct mock_book *book,
				 struct dma_resv *resv, int waited_up_to,
				 struct dbt_timed *tf[DBT_NR_USAGES])
{
	int u;

	for (u = 0; u < DBT_NR_USAGES; u++)
		tf[u] = dbt_timed_fence(test, book, resv, u,
					u <= waited_up_to ? DBT_SOON : DBT_LATE);
}

/* Expects the call that just returned to have waited for those only. */
static void dbt_expect_waited(struct kunit *test,
			      struct dbt_timed *tf[DBT_NR_USAGES],
			      int waited_up_to)
{
	int u;

	for (u = 0; u < DBT_NR_USAGES; u++) {
		KUNIT_EXPECT_EQ_MSG(test, dbt_signalled(tf[u]), u <= waited_up_to,
				    "fence of usage %d", u);
		dbt_timed_stop(tf[u]);
	}
}

/*
 * Owner modules whose reference count a case can read. Without module
 * unloading there is no count: the owner is this module, the count checks
 * pass.
 */
#if IS_ENABLED(CONFIG_MODULE_UNLOAD)
static struct module *dbt_owner(struct kunit *test, bool going)
{
	struct module *mod = kunit_kzalloc(test, sizeof(*mod), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, mod);
	strscpy(mod->name, "dma_buf_kunit_owner", sizeof(mod->name));
	mod->state = going ? MODULE_STATE_GOING : MODULE_STATE_LIVE;
	atomic_set(&mod->refcnt, 1);	/* the loader's base reference */
	return mod;
}

/* Expects @refs references on @mod besides the loader's. */
static void dbt_expect_owner_refs(struct kunit *test, struct module *mod,
				  int refs, unsigned int step)
{
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&mod->refcnt), 1 + refs,
			    "owner references, step %u", step);
}
#else
static struct module *dbt_owner(struct kunit *test, bool going)
{
	if (going)
		kunit_skip(test, "requires CONFIG_MODULE_UNLOAD");
	return THIS_MODULE;
}

static void dbt_expect_owner_refs(struct kunit *test, struct module *mod,
				  int refs, unsigned int step)
{
}
#endif

/* Two helper threads, bound to two CPUs, taking steps round by round. */
struct dbt_pair {
	wait_queue_head_t wq;
	atomic_t round;		/* the last round published */
	atomic_t done[2];	/* the last round each thread finished */
	int rounds;
	void (*step)(struct dbt_pair *p, int me, int round);
};

static int dbt_pair_thread(struct dbt_pair *p, int me)
{
	int round;

	for (round = 1; round <= p->rounds; round++) {
		wait_event_timeout(p->wq,
				   atomic_read_acquire(&p->round) >= round ||
				   kthread_should_stop(), DBT_THREAD_TIMEOUT);
		if (kthread_should_stop() ||
		    atomic_read_acquire(&p->round) < round)
			break;
		p->step(p, me, round);
		atomic_set_release(&p->done[me], round);
		wake_up_all(&p->wq);
	}
	return 0;
}

static int dbt_pair_first(void *data)
{
	return dbt_pair_thread(data, 0);
}

static int dbt_pair_second(void *data)
{
	return dbt_pair_thread(data, 1);
}

/* Skips the case with a single CPU: first thing, before any buffer. */
static void dbt_two_cpus(struct kunit *test)
{
	DBT_REQUIRES(test, num_online_cpus() >= 2);
}

/* Starts the threads; @p is KUnit memory, which outlives them. */
static void dbt_pair_start(struct kunit *test, struct dbt_pair *p, int rounds,
			   void (*step)(struct dbt_pair *p, int me, int round))
{
	int cpu0 = cpumask_first(cpu_online_mask);

	init_waitqueue_head(&p->wq);
	p->rounds = rounds;
	p->step = step;
	mock_race_spawn(test, dbt_pair_first, p, cpu0);
	mock_race_spawn(test, dbt_pair_second, p,
			cpumask_next(cpu0, cpu_online_mask));
}

static bool dbt_pair_done(struct dbt_pair *p, int round)
{
	return atomic_read_acquire(&p->done[0]) >= round &&
	       atomic_read_acquire(&p->done[1]) >= round;
}

/* Lets the threads run up to @round; false, and a failure, if stuck. */
static bool dbt_pair_run(struct kunit *test, struct dbt_pair *p, int round)
{
	atomic_set_release(&p->round, round);
	wake_up_all(&p->wq);
	if (wait_event_timeout(p->wq, dbt_pair_done(p, round),
			       DBT_THREAD_TIMEOUT))
		return true;
	KUNIT_FAIL(test, "helper threads stuck before round %d", round);
	return false;
}

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
/* Arms the n-th allocation check of this task; see dma-buf-fault.h. */
static void dbt_fail_nth(unsigned int nth)
{
	current->fail_nth = nth;
}

/* Disarms it, telling whether the armed failure was left unused. */
static bool dbt_fail_unused(void)
{
	bool unused = current->fail_nth;

	current->fail_nth = 0;
	return unused;
}
#endif

/* dma-buf-export */

struct dbt_flags_case {
	const char *desc;
	int flags;
	int accmode;
	fmode_t fmode;
	bool nonblock;
};

static const struct dbt_flags_case dbt_flags_cases[] = {
	{ "O_RDONLY", O_RDONLY, O_RDONLY, FMODE_READ, false },
	{ "O_RDWR | O_NONBLOCK | O_CLOEXEC | O_APPEND",
	  O_RDWR | O_NONBLOCK | O_CLOEXEC | O_APPEND, O_RDWR,
	  FMODE_READ | FMODE_WRITE, true },
};

KUNIT_ARRAY_PARAM_DESC(dbt_flags, dbt_flags_cases, desc);

static void export_fills_in_the_buffer_from_the_info(struct kunit *test)
{
	const struct dbt_flags_case *p = test->param_value;
	struct dbt_exp *e = dbt_exp_new(test);
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *buf;
	struct file *file;

	dbt_fill_info(test, &info, e, DBT_ALL);
	info.exp_name = "dbt-exporter";
	info.flags = p->flags;
	buf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);

	KUNIT_EXPECT_EQ(test, buf->size, DBT_SIZE);
	KUNIT_EXPECT_PTR_EQ(test, buf->ops, info.ops);
	KUNIT_EXPECT_PTR_EQ(test, buf->priv, (void *)e);
	KUNIT_EXPECT_STREQ(test, buf->exp_name, "dbt-exporter");
	KUNIT_EXPECT_PTR_EQ(test, buf->owner, THIS_MODULE);
	KUNIT_EXPECT_NULL(test, buf->name);
	KUNIT_EXPECT_TRUE(test, list_empty(&buf->attachments));
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 0);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&buf->vmap_ptr));
	KUNIT_EXPECT_FALSE(test, dma_buf_is_dynamic(buf));

	file = buf->file;
	KUNIT_ASSERT_NOT_NULL(test, file);
	KUNIT_EXPECT_EQ(test, file_count(file), 1);
	KUNIT_EXPECT_EQ(test, file->f_flags & O_ACCMODE, p->accmode);
	KUNIT_EXPECT_EQ(test, !!(file->f_flags & O_NONBLOCK), p->nonblock);
	KUNIT_EXPECT_EQ(test, file->f_flags & (O_CLOEXEC | O_APPEND), 0);
	KUNIT_EXPECT_EQ(test, (__force u32)(file->f_mode & (FMODE_READ | FMODE_WRITE)),
			(__force u32)p->fmode);

	/* An embedded reservation object, initialised, unlocked and empty. */
	KUNIT_ASSERT_NOT_NULL(test, buf->resv);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(buf->resv));
	KUNIT_EXPECT_TRUE(test, dma_resv_test_signaled(buf->resv,
						       DMA_RESV_USAGE_BOOKKEEP));

	KUNIT_EXPECT_EQ(test, dbt_settle(e, 0), 0);
	dbt_drop(test, buf, e);
	/* Nothing but the release was called. */
	KUNIT_EXPECT_EQ(test, atomic_read(&e->attaches) +
			atomic_read(&e->maps) + atomic_read(&e->vmaps) +
			atomic_read(&e->begins) + atomic_read(&e->mmaps), 0);
}

struct dbt_bad_export {
	const char *desc;
	unsigned int spec;
	bool no_priv;
};

static const struct dbt_bad_export dbt_bad_exports[] = {
	{ "no ops", DBT_NO_OPS },
	{ "no map_dma_buf", DBT_MINIMAL | DBT_NO_MAP },
	{ "no unmap_dma_buf", DBT_NO_UNMAP },
	{ "no release", DBT_NO_RELEASE },
	{ "pin without unpin", DBT_PIN },
	{ "unpin without pin", DBT_MINIMAL | DBT_UNPIN },
	{ "cache_sgt_mapping with pin", DBT_CACHED | DBT_DYNAMIC },
	{ "no priv", DBT_MINIMAL, true },
};

KUNIT_ARRAY_PARAM_DESC(dbt_bad_export, dbt_bad_exports, desc);

static void export_rejects_an_incomplete_exporter(struct kunit *test)
{
	const struct dbt_bad_export *p = test->param_value;
	struct dbt_exp *e = dbt_exp_new(test);
	struct module *owner = dbt_owner(test, false);
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *buf;

	dbt_warns(test, p->desc);
	dbt_fill_info(test, &info, e, p->spec);
	info.owner = owner;
	if (p->no_priv)
		info.priv = NULL;
	buf = dma_buf_export(&info);
	KUNIT_EXPECT_PTR_EQ(test, buf, ERR_PTR(-EINVAL));
	if (!IS_ERR_OR_NULL(buf))
		dma_buf_put(buf);
	KUNIT_EXPECT_EQ(test, dbt_settle(e, 0), 0);
	dbt_expect_owner_refs(test, owner, 0, 0);
}

/* 6.12 does not check the size: a buffer of size 0 exports. */
static void export_accepts_a_buffer_of_size_zero(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test);
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *buf;

	dbt_fill_info(test, &info, e, DBT_ALL);
	info.size = 0;
	buf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, buf->size, 0);
	KUNIT_EXPECT_EQ(test, vfs_llseek(buf->file, 0, SEEK_END), 0);
	dbt_drop(test, buf, e);
}

KUNIT_DEFINE_ACTION_WRAPPER(dbt_resv_fini_action, dma_resv_fini,
			    struct dma_resv *);

/* An initialised object of the case, finalised when the case ends. */
static struct dma_resv *dbt_resv(struct kunit *test)
{
	struct dma_resv *resv = kunit_kzalloc(test, sizeof(*resv), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, resv);
	dma_resv_init(resv);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							dbt_resv_fini_action,
							resv), 0);
	return resv;
}

struct dbt_resv_choice {
	const char *desc;
	bool supplied;
};

static const struct dbt_resv_choice dbt_resv_choices[] = {
	{ "embedded resv", false },
	{ "supplied resv", true },
};

KUNIT_ARRAY_PARAM_DESC(dbt_resv_choice, dbt_resv_choices, desc);

/* The buffer's object holds fences; the release only finalises its own. */
static void export_keeps_a_supplied_resv_and_finalises_an_embedded_one(struct kunit *test)
{
	const struct dbt_resv_choice *p = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_fence *fence = dbt_new_fence(book);
	struct dma_resv *resv = p->supplied ? dbt_resv(test) : NULL;
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *buf;

	dbt_fill_info(test, &info, e, DBT_ALL);
	info.resv = resv;
	buf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	if (resv)
		KUNIT_EXPECT_PTR_EQ(test, buf->resv, resv);
	dbt_add_fence(test, buf->resv, fence, DMA_RESV_USAGE_WRITE);
	KUNIT_EXPECT_FALSE(test, dma_resv_test_signaled(buf->resv,
							DMA_RESV_USAGE_WRITE));
	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 2);

	dbt_drop(test, buf, e);
	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), resv ? 2 : 1);
	if (resv) {
		bool idle = dma_resv_test_signaled(resv, DMA_RESV_USAGE_WRITE);

		KUNIT_EXPECT_FALSE(test, idle);
		KUNIT_EXPECT_EQ(test, dma_resv_lock(resv, NULL), 0);
		dma_resv_unlock(resv);
	}
	dma_fence_signal(fence);
	dma_fence_put(fence);
}

static void export_holds_a_live_owner_and_refuses_a_going_one(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test);
	struct module *owner = dbt_owner(test, false);
	struct module *going = dbt_owner(test, true);
	struct device *dev = dbt_device(test);
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf_attachment *attach;
	struct dma_buf *buf;

	dbt_fill_info(test, &info, e, DBT_ALL);
	info.owner = going;
	buf = dma_buf_export(&info);
	KUNIT_EXPECT_PTR_EQ(test, buf, ERR_PTR(-ENOENT));
	if (!IS_ERR_OR_NULL(buf))
		dma_buf_put(buf);
	KUNIT_EXPECT_EQ(test, dbt_settle(e, 0), 0);
	dbt_expect_owner_refs(test, going, 0, 0);

	info.owner = owner;
	buf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_EXPECT_PTR_EQ(test, buf->owner, owner);
	dbt_expect_owner_refs(test, owner, 1, 1);
	/* One reference per buffer, not per buffer reference or attachment. */
	get_dma_buf(buf);
	attach = dma_buf_attach(buf, dev);
	dbt_expect_owner_refs(test, owner, 1, 2);
	if (!IS_ERR(attach))
		dma_buf_detach(buf, attach);
	dma_buf_put(buf);
	KUNIT_EXPECT_EQ(test, dbt_settle(e, 0), 0);
	dbt_expect_owner_refs(test, owner, 1, 3);
	dbt_drop(test, buf, e);
	dbt_expect_owner_refs(test, owner, 0, 4);
}

static void put_releases_once_after_the_last_reference(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_MINIMAL);

	get_dma_buf(buf);
	get_dma_buf(buf);
	KUNIT_EXPECT_EQ(test, file_count(buf->file), 3);
	dma_buf_put(buf);
	dma_buf_put(buf);
	KUNIT_EXPECT_EQ(test, file_count(buf->file), 1);
	KUNIT_EXPECT_EQ(test, dbt_settle(e, 0), 0);
	dbt_drop(test, buf, e);
	msleep(50);
	KUNIT_EXPECT_EQ(test, dbt_settle(e, 1), 1);
}

static void put_of_null_warns_and_does_nothing(struct kunit *test)
{
	dbt_warns(test, "dma_buf_put(NULL)");
	dma_buf_put(NULL);
}

/*
 * Ours, beyond 6.12 (which BUGs): the last put of a buffer that is still
 * vmapped, a reference dropped once too often, warns and leaks the buffer
 * rather than free it under the mapping. All but its file is left, so the
 * importer's vunmap still works. Leaks the buffer on purpose.
 */
static void put_of_a_vmapped_buffer_warns_and_leaks_it(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test);
	struct module *owner = dbt_owner(test, false);
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct iosys_map map;
	struct dma_buf *buf;
	int released;

	dbt_warns(test, "the last put of a vmapped buffer (leaked on purpose)");
	dbt_fill_info(test, &info, e, DBT_ALL);
	info.owner = owner;
	buf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(buf, &map), 0);

	dbt_last_put_now(buf->file);
	msleep(50);
	released = dbt_settle(e, 0);
	KUNIT_EXPECT_EQ_MSG(test, released, 0, "a vmapped buffer was released");
	if (released)
		return;		/* freed: not a byte of it may be touched */
	dbt_expect_owner_refs(test, owner, 1, 0);

	/* The file is gone; vunmap needs only the buffer and its resv. */
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 1);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_equal(&buf->vmap_ptr, &map));
	dma_buf_vunmap_unlocked(buf, &map);
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->vunmaps), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->releases), 0);
	dbt_expect_clean(test, e);
}

/* sysfs statistics (CONFIG_DMABUF_SYSFS_STATS) */

#define DBT_STATS_DIR		"kernel/dmabuf/buffers"
#define DBT_STATS_TIMEOUT	(2 * HZ)
#define DBT_STATS_BUFFERS	200

KUNIT_DEFINE_ACTION_WRAPPER(dbt_kern_unmount_action, kern_unmount,
			    struct vfsmount *);

/*
 * A sysfs mount of the case's own, unmounted when it ends. Built-in suites
 * run from kernel_init_freeable() before /init, so nothing is mounted on
 * /sys yet; paths are looked up from this mount's root instead.
 */
static struct vfsmount *dbt_sysfs(struct kunit *test)
{
	struct file_system_type *type = get_fs_type("sysfs");
	struct vfsmount *mnt;

	KUNIT_ASSERT_NOT_NULL(test, type);
	mnt = kern_mount(type);
	module_put(type->owner);	/* put_filesystem(), not exported */
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, mnt);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							dbt_kern_unmount_action,
							mnt), 0);
	return mnt;
}

/* 0 if buffer @ino has its directory, else the lookup's error (-ENOENT). */
static int dbt_stats_lookup(struct vfsmount *mnt, unsigned long ino)
{
	struct path path;
	char name[64];
	int err;

	snprintf(name, sizeof(name), DBT_STATS_DIR "/%lu", ino);
	err = vfs_path_lookup(mnt->mnt_root, mnt, name, 0, &path);
	if (!err)
		path_put(&path);
	return err;
}

/* Looks again every 10-20 ms, up to 2 s, until the lookup gives @want. */
static int dbt_stats_wait(struct vfsmount *mnt, unsigned long ino, int want)
{
	unsigned long end = jiffies + DBT_STATS_TIMEOUT;
	int err;

	for (;;) {
		err = dbt_stats_lookup(mnt, ino);
		if (err == want || time_after(jiffies, end))
			return err;
		usleep_range(10000, 20000);
	}
}

/* Reads @file of buffer @ino's directory into @out: 0 or an error. */
static int dbt_stats_read(struct vfsmount *mnt, unsigned long ino,
			  const char *file, char *out, size_t len)
{
	char name[64];
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	out[0] = '\0';
	snprintf(name, sizeof(name), DBT_STATS_DIR "/%lu/%s", ino, file);
	f = file_open_root_mnt(mnt, name, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, out, len - 1, &pos);
	fput(f);
	if (n < 0)
		return n;
	out[n] = '\0';
	return 0;
}

static void export_publishes_sysfs_statistics_until_the_release(struct kunit *test)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	char got[32], want[32];
	struct vfsmount *mnt;
	struct dma_buf *buf;
	unsigned long ino;
	struct dbt_exp *e;

	DBT_REQUIRES(test, IS_ENABLED(CONFIG_DMABUF_SYSFS_STATS));
	mnt = dbt_sysfs(test);
	e = dbt_exp_new(test);
	dbt_fill_info(test, &info, e, DBT_MINIMAL);
	info.exp_name = "dbt-exporter";
	buf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	ino = file_inode(buf->file)->i_ino;

	/* A work item makes it, shortly after the export. */
	KUNIT_EXPECT_EQ(test, dbt_stats_wait(mnt, ino, 0), 0);
	KUNIT_EXPECT_EQ(test, dbt_stats_read(mnt, ino, "exporter_name", got,
					     sizeof(got)), 0);
	KUNIT_EXPECT_STREQ(test, got, "dbt-exporter\n");
	snprintf(want, sizeof(want), "%lu\n", DBT_SIZE);
	KUNIT_EXPECT_EQ(test, dbt_stats_read(mnt, ino, "size", got,
					     sizeof(got)), 0);
	KUNIT_EXPECT_STREQ(test, got, want);

	/* Removed before the exporter's release, which dbt_drop waits for. */
	dbt_drop(test, buf, e);
	KUNIT_EXPECT_EQ(test, dbt_stats_lookup(mnt, ino), -ENOENT);
}

/*
 * Buffers released before the worker made their directory (taken off its
 * queue), while it makes them, or after: none may keep a directory. Every
 * other buffer is released right after its export, the others once all
 * are exported; which path each takes is up to the scheduler.
 */
static void release_before_or_after_the_sysfs_worker_leaves_no_directory(struct kunit *test)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf **bufs, *buf;
	int i, n, left = 0;
	struct vfsmount *mnt;
	unsigned long *inos;
	unsigned long last;
	struct dbt_exp *e;

	DBT_REQUIRES(test, IS_ENABLED(CONFIG_DMABUF_SYSFS_STATS));
	mnt = dbt_sysfs(test);
	e = dbt_exp_new(test);
	inos = kunit_kcalloc(test, DBT_STATS_BUFFERS, sizeof(*inos), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, inos);
	bufs = kunit_kcalloc(test, DBT_STATS_BUFFERS, sizeof(*bufs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bufs);
	dbt_fill_info(test, &info, e, DBT_MINIMAL);

	for (n = 0; n < DBT_STATS_BUFFERS; n++) {
		buf = dma_buf_export(&info);
		if (IS_ERR(buf)) {
			KUNIT_FAIL(test, "export %d failed: %pe", n, buf);
			break;
		}
		inos[n] = file_inode(buf->file)->i_ino;
		if (n & 1) {
			bufs[n] = buf;
			continue;
		}
		dma_buf_put(buf);
		flush_delayed_fput();
	}
	for (i = 1; i < n; i += 2)
		dma_buf_put(bufs[i]);
	KUNIT_EXPECT_EQ(test, dbt_settle(e, n), n);

	/*
	 * The worker takes the queue in export order: once a buffer exported
	 * now has its directory, the worker is done with all of the others.
	 */
	buf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	last = file_inode(buf->file)->i_ino;
	KUNIT_EXPECT_EQ(test, dbt_stats_wait(mnt, last, 0), 0);
	for (i = 0; i < n; i++)
		if (dbt_stats_lookup(mnt, inos[i]) != -ENOENT)
			left++;
	KUNIT_EXPECT_EQ_MSG(test, left, 0, "directories left by %d released buffers",
			    n);
	dbt_drop(test, buf, e);
	KUNIT_EXPECT_EQ(test, dbt_stats_lookup(mnt, last), -ENOENT);
}

static void export_fails_cleanly_at_every_allocation(struct kunit *test)
{
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
	const struct dbt_resv_choice *p = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct module *owner = dbt_owner(test, false);
	struct dma_fence *fence = dbt_new_fence(book);
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	unsigned int k, failures = 0, absorbed = 0;
	struct dma_buf *buf = NULL;
	int released = 0;
	bool unused;

	dbt_fill_info(test, &info, e, DBT_ALL);
	info.owner = owner;
	if (p->supplied) {
		info.resv = dbt_resv(test);
		dbt_add_fence(test, info.resv, fence, DMA_RESV_USAGE_WRITE);
	}
	for (k = 1; k <= DBT_FAULT_STEPS; k++) {
		dbt_fail_nth(k);
		buf = dma_buf_export(&info);
		unused = dbt_fail_unused();
		if (unused) {
			KUNIT_EXPECT_NOT_ERR_OR_NULL(test, buf);
			break;
		}
		if (dma_buf_fault_absorbed(!IS_ERR_OR_NULL(buf)) &&
		    absorbed++ < DMA_BUF_FAULT_RETRIES) {
			dbt_drop(test, buf, e);
			released++;
			buf = NULL;
			k--;
			continue;
		}
		failures++;
		KUNIT_EXPECT_PTR_EQ_MSG(test, buf, ERR_PTR(-ENOMEM),
					"failure point %u", k);
		if (!IS_ERR_OR_NULL(buf))
			dma_buf_put(buf);
		buf = NULL;
		/* No buffer was left to release, no owner reference kept. */
		KUNIT_EXPECT_EQ_MSG(test, dbt_settle(e, released), released,
				    "failure point %u", k);
		dbt_expect_owner_refs(test, owner, 0, k);
		/* A supplied object is the caller's: not finalised. */
		KUNIT_EXPECT_EQ_MSG(test, kref_read(&fence->refcount),
				    p->supplied ? 2 : 1, "failure point %u", k);
	}
	KUNIT_EXPECT_LE(test, k, DBT_FAULT_STEPS);
	KUNIT_EXPECT_GT_MSG(test, failures, 0,
			    "dma_buf_export() has no failure point");
	if (absorbed)
		kunit_info(test, "%u steps retried: fault taken elsewhere\n", absorbed);
	if (!IS_ERR_OR_NULL(buf)) {
		dbt_expect_owner_refs(test, owner, 1, k);
		dbt_drop(test, buf, e);
	}
	dbt_expect_owner_refs(test, owner, 0, k);
	dma_fence_signal(fence);
	dma_fence_put(fence);
#else
	kunit_skip(test, "requires CONFIG_FAULT_INJECTION");
#endif
}

static struct kunit_case dma_buf_export_cases[] = {
	KUNIT_CASE_PARAM(export_fills_in_the_buffer_from_the_info,
			 dbt_flags_gen_params),
	KUNIT_CASE_PARAM(export_rejects_an_incomplete_exporter,
			 dbt_bad_export_gen_params),
	KUNIT_CASE(export_accepts_a_buffer_of_size_zero),
	KUNIT_CASE_PARAM(export_keeps_a_supplied_resv_and_finalises_an_embedded_one,
			 dbt_resv_choice_gen_params),
	KUNIT_CASE(export_holds_a_live_owner_and_refuses_a_going_one),
	KUNIT_CASE(put_releases_once_after_the_last_reference),
	KUNIT_CASE(put_of_null_warns_and_does_nothing),
	KUNIT_CASE(put_of_a_vmapped_buffer_warns_and_leaks_it),
	KUNIT_CASE(export_publishes_sysfs_statistics_until_the_release),
	KUNIT_CASE(release_before_or_after_the_sysfs_worker_leaves_no_directory),
	KUNIT_CASE_PARAM(export_fails_cleanly_at_every_allocation,
			 dbt_resv_choice_gen_params),
	{}
};

/* dma-buf-fd */

/* A file that is not a dma-buf, counting its releases. */
struct dbt_plain {
	atomic_t releases;
};

static int dbt_plain_release(struct inode *inode, struct file *file)
{
	struct dbt_plain *plain = file->private_data;

	atomic_inc(&plain->releases);
	return 0;
}

static const struct file_operations dbt_plain_fops = {
	.owner = THIS_MODULE,
	.release = dbt_plain_release,
};

static struct dbt_plain *dbt_plain_new(struct kunit *test)
{
	struct dbt_plain *plain = kunit_kzalloc(test, sizeof(*plain),
						GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, plain);
	return plain;
}

static bool dbt_cloexec(int fd)
{
	bool set;

	rcu_read_lock();
	set = close_on_exec(fd, current->files);
	rcu_read_unlock();
	return set;
}

static const int dbt_fd_flags[] = { 0, O_CLOEXEC };

static void dbt_fd_flags_desc(const int *flags, char *desc)
{
	strscpy(desc, *flags ? "O_CLOEXEC" : "no flags", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dbt_fd_flags, dbt_fd_flags, dbt_fd_flags_desc);

static void fd_takes_over_the_reference_with_the_flags_asked(struct kunit *test)
{
	int flags = *(const int *)test->param_value;
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_MINIMAL);
	struct dma_buf *got;
	int fd;

	fd = dma_buf_fd(buf, flags);
	KUNIT_ASSERT_GE(test, fd, 0);
	KUNIT_EXPECT_EQ(test, dbt_cloexec(fd), !!(flags & O_CLOEXEC));
	/* The descriptor owns the reference the caller had. */
	KUNIT_EXPECT_EQ(test, file_count(buf->file), 1);

	got = dma_buf_get(fd);
	KUNIT_EXPECT_PTR_EQ(test, got, buf);
	KUNIT_EXPECT_EQ(test, file_count(buf->file), 2);
	if (!IS_ERR(got))
		dma_buf_put(got);
	KUNIT_EXPECT_EQ(test, dbt_settle(e, 0), 0);

	close_fd(fd);
	KUNIT_EXPECT_EQ(test, dbt_settle(e, 1), 1);
	KUNIT_EXPECT_PTR_EQ(test, dma_buf_get(fd), ERR_PTR(-EBADF));
	dbt_expect_clean(test, e);
}

static void fd_and_get_refuse_what_is_not_a_buffer(struct kunit *test)
{
	struct dbt_plain *plain = dbt_plain_new(test);
	int fd;

	KUNIT_EXPECT_EQ(test, dma_buf_fd(NULL, O_CLOEXEC), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, dma_buf_get(-1), ERR_PTR(-EBADF));
	fd = get_unused_fd_flags(O_CLOEXEC);
	KUNIT_ASSERT_GE(test, fd, 0);
	put_unused_fd(fd);
	KUNIT_EXPECT_PTR_EQ(test, dma_buf_get(fd), ERR_PTR(-EBADF));

	/* Another kind of file: refused, and no reference kept on it. */
	fd = anon_inode_getfd("[dma-buf-kunit]", &dbt_plain_fops, plain,
			      O_RDWR | O_CLOEXEC);
	KUNIT_ASSERT_GE(test, fd, 0);
	KUNIT_EXPECT_PTR_EQ(test, dma_buf_get(fd), ERR_PTR(-EINVAL));
	close_fd(fd);
	flush_delayed_fput();
	KUNIT_EXPECT_EQ(test, atomic_read(&plain->releases), 1);
}

static void fd_llseek_only_finds_the_end(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_MINIMAL);
	struct file *file = buf->file;

	KUNIT_EXPECT_EQ(test, vfs_llseek(file, 0, SEEK_END), DBT_SIZE);
	KUNIT_EXPECT_EQ(test, vfs_llseek(file, 0, SEEK_SET), 0);
	KUNIT_EXPECT_EQ(test, vfs_llseek(file, 0, SEEK_CUR), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfs_llseek(file, 0, SEEK_DATA), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfs_llseek(file, 1, SEEK_END), -EINVAL);
	KUNIT_EXPECT_EQ(test, vfs_llseek(file, PAGE_SIZE, SEEK_SET), -EINVAL);
	dbt_drop(test, buf, e);
}

/* Names @buf with the DMA_BUF_SET_NAME ioctl, @name copied to @umem. */
static long dbt_set_name(struct dma_buf *buf, char __user *umem,
			 const char *name)
{
	if (copy_to_user(umem, name, strlen(name) + 1))
		return -EFAULT;
	return buf->file->f_op->unlocked_ioctl(buf->file, DMA_BUF_SET_NAME_B,
					       (unsigned long)umem);
}

/* The buffer's path, as readlink() of /proc/<pid>/fd/<fd> shows it. */
static const char *dbt_path(struct dma_buf *buf, char *out, int len)
{
	char *path = file_path(buf->file, out, len);

	if (!IS_ERR(path))
		return path;
	snprintf(out, len, "(%pe)", path);
	return out;
}

/* The file is "dmabuf" of the pseudo-filesystem: libdmabufinfo looks. */
static void fd_path_is_dmabuf_and_the_name_set_by_ioctl(struct kunit *test)
{
	char name[DMA_BUF_NAME_LEN], want[64], out[64];
	struct dma_buf *buf;
	char __user *umem;
	unsigned long addr;
	struct dbt_exp *e;

	DBT_REQUIRES(test, IS_ENABLED(CONFIG_MMU));
	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "no user memory");
	KUNIT_ASSERT_LT(test, addr, (unsigned long)TASK_SIZE);
	umem = (char __user *)addr;
	e = dbt_exp_new(test);
	buf = dbt_export(test, e, DBT_MINIMAL);

	KUNIT_EXPECT_STREQ(test, dbt_path(buf, out, sizeof(out)), "/dmabuf:");
	KUNIT_EXPECT_EQ(test, dbt_set_name(buf, umem, "dbt-buffer"), 0);
	KUNIT_EXPECT_STREQ(test, dbt_path(buf, out, sizeof(out)),
			   "/dmabuf:dbt-buffer");
	/* Renamed, to the longest name there is: shown whole. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(want, sizeof(want), "/dmabuf:%s", name);
	KUNIT_EXPECT_EQ(test, dbt_set_name(buf, umem, name), 0);
	KUNIT_EXPECT_STREQ(test, dbt_path(buf, out, sizeof(out)), want);
	dbt_drop(test, buf, e);
}

struct dbt_poll_case {
	const char *desc;
	enum dma_resv_usage usage;
	__poll_t pending;	/* what poll reports while the fence is */
};

static const struct dbt_poll_case dbt_poll_cases[] = {
	{ "kernel fence", DMA_RESV_USAGE_KERNEL, 0 },
	{ "write fence", DMA_RESV_USAGE_WRITE, 0 },
	{ "read fence", DMA_RESV_USAGE_READ, EPOLLIN },
	{ "bookkeep fence", DMA_RESV_USAGE_BOOKKEEP, EPOLLIN | EPOLLOUT },
};

KUNIT_ARRAY_PARAM_DESC(dbt_poll, dbt_poll_cases, desc);

/* poll's answer as a plain integer, for KUnit's comparisons */
static u32 dbt_poll(struct dma_buf *buf)
{
	return (__force u32)vfs_poll(buf->file, NULL);
}

static void fd_poll_follows_the_fences_of_the_resv(struct kunit *test)
{
	const struct dbt_poll_case *p = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_MINIMAL);
	struct dma_fence *fence = dbt_new_fence(book);

	KUNIT_EXPECT_EQ(test, dbt_poll(buf), (__force u32)(EPOLLIN | EPOLLOUT));
	dbt_add_fence(test, buf->resv, fence, p->usage);
	KUNIT_EXPECT_EQ(test, dbt_poll(buf), (__force u32)p->pending);
	/* Again, with the callbacks of the first poll armed. */
	KUNIT_EXPECT_EQ(test, dbt_poll(buf), (__force u32)p->pending);
	dma_fence_signal(fence);
	KUNIT_EXPECT_EQ(test, dbt_poll(buf), (__force u32)(EPOLLIN | EPOLLOUT));
	dma_fence_put(fence);
	/* The callbacks gave back what they held: the put releases. */
	dbt_drop(test, buf, e);
}

struct dbt_poll_race {
	struct dbt_pair pair;
	struct dma_buf *buf;
	struct dma_fence *fence;
};

static void dbt_poll_race_step(struct dbt_pair *p, int me, int round)
{
	struct dbt_poll_race *r = container_of(p, struct dbt_poll_race, pair);

	mock_race_jitter(round * 2 + me);
	if (me)
		dma_fence_signal(r->fence);
	else
		dma_buf_put(r->buf);
}

/*
 * A poll arms callbacks on a pending fence; then one CPU drops the last
 * other reference while the other signals the fence. The release runs
 * from either side, and must run once.
 */
static void fd_poll_and_last_put_race_on_two_cpus(struct kunit *test)
{
	int round, armed = 0, wrong = 0, done = 0;
	struct dbt_poll_race *r;
	struct mock_book *book;
	struct dbt_exp *e;
	u64 context;

	dbt_two_cpus(test);
	book = mock_book_get(test);
	e = dbt_exp_new(test);
	context = dma_fence_context_alloc(1);
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	dbt_pair_start(test, &r->pair, DBT_POLL_ROUNDS, dbt_poll_race_step);

	for (round = 1; round <= DBT_POLL_ROUNDS; round++) {
		DEFINE_DMA_BUF_EXPORT_INFO(info);
		struct dma_buf *buf;

		dbt_fill_info(test, &info, e, DBT_MINIMAL);
		buf = dma_buf_export(&info);
		if (IS_ERR(buf)) {
			KUNIT_FAIL(test, "export failed: %pe", buf);
			break;
		}
		r->fence = mock_fence(book, context, round);
		dbt_add_fence(test, buf->resv, r->fence, DMA_RESV_USAGE_WRITE);
		if (!vfs_poll(buf->file, NULL))
			armed++;
		r->buf = buf;
		if (!dbt_pair_run(test, &r->pair, round))
			break;
		if (dbt_settle(e, round) != round)
			wrong++;
		dma_fence_put(r->fence);
		done++;
	}
	KUNIT_EXPECT_EQ(test, done, DBT_POLL_ROUNDS);
	KUNIT_EXPECT_EQ(test, armed, done);
	KUNIT_EXPECT_EQ_MSG(test, wrong, 0, "rounds without exactly one release");
	KUNIT_EXPECT_EQ(test, dbt_settle(e, done), done);
	dbt_expect_balanced(test, e);
}

/*
 * Ours, beyond 6.12 (which BUGs): put_of_a_vmapped_buffer_warns_and_leaks_it
 * with a poll callback armed instead. The callback holds a file reference
 * of its own, so the last put can only be one put too many: the case drops
 * its reference and then the callback's. The callback would put the freed
 * file when its fence signals, so the case then stands in for it: it takes
 * the callback off the fence and drops the fence reference it held. The
 * resv is the case's, so that its fini drops the fence's last reference.
 * Leaks the buffer on purpose.
 */
static void fd_poll_armed_at_the_last_put_warns_and_leaks_the_buffer(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct module *owner = dbt_owner(test, false);
	struct dma_resv *resv = dbt_resv(test);
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_fence *fence;
	struct dma_buf *buf;
	struct file *file;
	int released;

	dbt_warns(test, "the last put with a poll callback armed (leaked on purpose)");
	fence = dbt_new_fence(book);
	dbt_fill_info(test, &info, e, DBT_MINIMAL);
	info.owner = owner;
	info.resv = resv;
	buf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	file = buf->file;
	/* A pending read fence holds back EPOLLOUT only: its callback arms. */
	dbt_add_fence(test, resv, fence, DMA_RESV_USAGE_READ);
	KUNIT_ASSERT_EQ(test, dbt_poll(buf), (__force u32)EPOLLIN);
	KUNIT_ASSERT_NE(test, (__force u32)buf->cb_out.active, 0);
	KUNIT_ASSERT_EQ(test, file_count(file), 2);

	dma_buf_put(buf);		/* the case's reference */
	dbt_last_put_now(file);		/* the callback's: one put too many */
	msleep(50);
	released = dbt_settle(e, 0);
	KUNIT_EXPECT_EQ_MSG(test, released, 0,
			    "a buffer was released with a poll callback armed");
	if (released)
		return;	/* freed under the callback: never signal the fence */
	dbt_expect_owner_refs(test, owner, 1, 0);

	/*
	 * The freed file must be forgotten, so that the callback, which
	 * runs when the fence signals, does not put it a second time.
	 */
	KUNIT_EXPECT_NULL(test, buf->file);
	if (buf->file) {
		/* would put the freed file: take the callback off instead */
		if (dma_fence_remove_callback(fence, &buf->cb_out.cb))
			dma_fence_put(fence);
	}
	dma_fence_signal(fence);
	KUNIT_EXPECT_EQ(test, (__force u32)buf->cb_out.active, 0);
	dma_fence_put(fence);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->releases), 0);
	dbt_expect_clean(test, e);
}

static struct kunit_case dma_buf_fd_cases[] = {
	KUNIT_CASE_PARAM(fd_takes_over_the_reference_with_the_flags_asked,
			 dbt_fd_flags_gen_params),
	KUNIT_CASE(fd_and_get_refuse_what_is_not_a_buffer),
	KUNIT_CASE(fd_llseek_only_finds_the_end),
	KUNIT_CASE(fd_path_is_dmabuf_and_the_name_set_by_ioctl),
	KUNIT_CASE_PARAM(fd_poll_follows_the_fences_of_the_resv,
			 dbt_poll_gen_params),
	KUNIT_CASE(fd_poll_and_last_put_race_on_two_cpus),
	KUNIT_CASE(fd_poll_armed_at_the_last_put_warns_and_leaks_the_buffer),
	{}
};

/* dma-buf-attach */

struct dbt_spec_case {
	const char *desc;
	unsigned int spec;
};

static const struct dbt_spec_case dbt_callback_cases[] = {
	{ "all callbacks", DBT_ALL },
	{ "mandatory callbacks only", DBT_MINIMAL },
};

KUNIT_ARRAY_PARAM_DESC(dbt_callbacks, dbt_callback_cases, desc);

static void attach_calls_the_exporter_and_lists_the_attachment(struct kunit *test)
{
	const struct dbt_spec_case *p = test->param_value;
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, p->spec);
	struct device *dev = dbt_device(test);
	int calls = buf->ops->attach ? 1 : 0;
	struct dma_buf_attachment *a, *b;
	bool found;

	a = dma_buf_attach(buf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	KUNIT_EXPECT_PTR_EQ(test, a->dmabuf, buf);
	KUNIT_EXPECT_PTR_EQ(test, a->dev, dev);
	KUNIT_EXPECT_NULL(test, a->importer_ops);
	KUNIT_EXPECT_NULL(test, a->importer_priv);
	KUNIT_EXPECT_FALSE(test, a->peer2peer);
	KUNIT_EXPECT_FALSE(test, dma_buf_attachment_is_dynamic(a));
	KUNIT_EXPECT_EQ(test, atomic_read(&e->attaches), calls);
	if (calls)
		KUNIT_EXPECT_PTR_EQ(test, e->last_attach, a);
	KUNIT_EXPECT_EQ(test, dbt_attachments(buf, a, &found), 1);
	KUNIT_EXPECT_TRUE(test, found);

	b = dma_buf_attach(buf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b);
	KUNIT_EXPECT_PTR_NE(test, a, b);
	KUNIT_EXPECT_EQ(test, dbt_attachments(buf, NULL, NULL), 2);
	dma_buf_detach(buf, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->detaches), calls);
	KUNIT_EXPECT_EQ(test, dbt_attachments(buf, b, &found), 1);
	KUNIT_EXPECT_TRUE(test, found);
	dma_buf_detach(buf, b);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->detaches), 2 * calls);
	KUNIT_EXPECT_EQ(test, dbt_attachments(buf, NULL, NULL), 0);
	/* Static on both sides: nothing is mapped unless the importer asks. */
	KUNIT_EXPECT_EQ(test, atomic_read(&e->maps), 0);
	dbt_drop(test, buf, e);
}

static void attach_fails_when_the_exporter_refuses(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_ALL);
	struct dma_buf_attachment *a;

	e->attach_err = -ENODEV;
	a = dma_buf_attach(buf, dbt_device(test));
	KUNIT_EXPECT_PTR_EQ(test, a, ERR_PTR(-ENODEV));
	if (!IS_ERR_OR_NULL(a))
		dma_buf_detach(buf, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->attaches), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->detaches), 0);
	KUNIT_EXPECT_EQ(test, dbt_attachments(buf, NULL, NULL), 0);
	dbt_drop(test, buf, e);
}

static const struct dma_buf_attach_ops *const dbt_importer_params[] = {
	&dbt_importer_ops, &dbt_p2p_importer_ops,
};

static void dbt_importer_desc(const struct dma_buf_attach_ops *const *ops,
			      char *desc)
{
	strscpy(desc, (*ops)->allow_peer2peer ? "peer2peer" : "no peer2peer",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dbt_importer, dbt_importer_params, dbt_importer_desc);

static void attach_of_a_dynamic_importer_records_it(struct kunit *test)
{
	const struct dma_buf_attach_ops *ops =
		*(const struct dma_buf_attach_ops *const *)test->param_value;
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_DYNAMIC);
	struct dma_buf_attachment *a;
	struct dbt_imp imp = {};

	KUNIT_EXPECT_TRUE(test, dma_buf_is_dynamic(buf));
	a = dma_buf_dynamic_attach(buf, dbt_device(test), ops, &imp);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	KUNIT_EXPECT_PTR_EQ(test, a->importer_ops, ops);
	KUNIT_EXPECT_PTR_EQ(test, a->importer_priv, (void *)&imp);
	KUNIT_EXPECT_EQ(test, a->peer2peer, ops->allow_peer2peer);
	KUNIT_EXPECT_TRUE(test, dma_buf_attachment_is_dynamic(a));
	KUNIT_EXPECT_EQ(test, atomic_read(&e->attaches), 1);
	/* Dynamic on both sides: no pin and no mapping at attach. */
	KUNIT_EXPECT_EQ(test, atomic_read(&e->pins), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->maps), 0);
	dma_buf_detach(buf, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&imp.moves), 0);
	dbt_drop(test, buf, e);
}

static const struct dma_buf_attach_ops dbt_mute_importer_ops = {
	.allow_peer2peer = true,
};

static void attach_and_detach_misuse_warns_and_changes_nothing(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test), *other_e = dbt_exp_new(test);
	struct device *dev = dbt_device(test);
	struct dma_buf_attachment *a;
	struct dma_buf *buf, *other;
	struct dbt_imp imp = {};
	bool found;

	dbt_warns(test, "attach and detach with wrong arguments");
	buf = dbt_export(test, e, DBT_ALL);
	other = dbt_export(test, other_e, DBT_ALL);
	KUNIT_EXPECT_PTR_EQ(test, dma_buf_attach(NULL, dev), ERR_PTR(-EINVAL));
	KUNIT_EXPECT_PTR_EQ(test, dma_buf_attach(buf, NULL), ERR_PTR(-EINVAL));
	KUNIT_EXPECT_PTR_EQ(test,
			    dma_buf_dynamic_attach(buf, dev,
						   &dbt_mute_importer_ops, &imp),
			    ERR_PTR(-EINVAL));
	KUNIT_EXPECT_EQ(test, atomic_read(&e->attaches), 0);
	KUNIT_EXPECT_EQ(test, dbt_attachments(buf, NULL, NULL), 0);

	a = dma_buf_attach(buf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	dma_buf_detach(other, a);
	dma_buf_detach(NULL, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->detaches), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&other_e->detaches), 0);
	KUNIT_EXPECT_PTR_EQ(test, a->dmabuf, buf);
	KUNIT_EXPECT_EQ(test, dbt_attachments(buf, a, &found), 1);
	KUNIT_EXPECT_TRUE(test, found);

	dma_buf_detach(buf, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->detaches), 1);
	dbt_drop(test, other, other_e);
	dbt_drop(test, buf, e);
}

static void attach_of_a_static_importer_pins_and_maps_a_dynamic_exporter(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_DYNAMIC);
	struct dma_buf_attachment *a;
	struct sg_table *sgt, *again;

	a = dma_buf_attach(buf, dbt_device(test));
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->pinned), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->mapped), 1);
	KUNIT_EXPECT_EQ(test, e->map_dir, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_PTR_EQ(test, e->last_attach, a);

	/* The mapping of the attach, for whatever direction is asked. */
	sgt = dbt_map_call(a, DMA_TO_DEVICE, false);
	again = dbt_map_call(a, DMA_FROM_DEVICE, true);
	KUNIT_EXPECT_PTR_EQ(test, sgt, e->last_sgt);
	KUNIT_EXPECT_PTR_EQ(test, again, sgt);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->maps), 1);
	dbt_unmap_call(a, sgt, DMA_TO_DEVICE, false);
	dbt_unmap_call(a, again, DMA_FROM_DEVICE, true);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unpins), 0);

	dma_buf_detach(buf, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unpins), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->detaches), 1);
	dbt_drop(test, buf, e);
}

static void attach_of_a_dynamic_importer_maps_a_static_exporter_at_once(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_ALL);
	struct dma_buf_attachment *a;
	struct dbt_imp imp = {};
	struct dbt_timed *kernel;
	struct sg_table *sgt;

	kernel = dbt_timed_fence(test, book, buf->resv, DMA_RESV_USAGE_KERNEL,
				 DBT_LATE);
	a = dma_buf_dynamic_attach(buf, dbt_device(test), &dbt_importer_ops,
				   &imp);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	/* Mapped for both directions, without a pin, without waiting. */
	KUNIT_EXPECT_FALSE(test, dbt_signalled(kernel));
	KUNIT_EXPECT_EQ(test, atomic_read(&e->mapped), 1);
	KUNIT_EXPECT_EQ(test, e->map_dir, DMA_BIDIRECTIONAL);

	sgt = dbt_map_call(a, DMA_FROM_DEVICE, true);
	KUNIT_EXPECT_PTR_EQ(test, sgt, e->last_sgt);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->maps), 1);
	dbt_unmap_call(a, sgt, DMA_FROM_DEVICE, true);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 0);
	KUNIT_EXPECT_FALSE(test, dbt_signalled(kernel));
	dbt_timed_stop(kernel);

	dma_buf_detach(buf, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 1);
	dbt_drop(test, buf, e);
}

struct dbt_attach_fail {
	const char *desc;
	bool dynamic_importer;	/* of a static exporter; else the reverse */
	int pin_err;
	int map_err;
	bool map_null;
	int expect;
};

static const struct dbt_attach_fail dbt_attach_fails[] = {
	{ "exporter cannot pin", false, -ENOSPC, 0, false, -ENOSPC },
	{ "exporter cannot map", false, 0, -ENOSPC, false, -ENOSPC },
	{ "exporter maps nothing", false, 0, 0, true, -ENOMEM },
	{ "dynamic importer, exporter cannot map", true, 0, -EIO, false, -EIO },
};

KUNIT_ARRAY_PARAM_DESC(dbt_attach_fail, dbt_attach_fails, desc);

static void attach_that_cannot_pin_or_map_undoes_everything(struct kunit *test)
{
	const struct dbt_attach_fail *p = test->param_value;
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, p->dynamic_importer ?
					 DBT_ALL : DBT_DYNAMIC);
	struct dma_buf_attachment *a;
	struct dbt_imp imp = {};

	e->pin_err = p->pin_err;
	e->map_err = p->map_err;
	e->map_null = p->map_null;
	a = dbt_attach_as(buf, dbt_device(test),
			  p->dynamic_importer ? &imp : NULL);
	KUNIT_EXPECT_PTR_EQ(test, a, ERR_PTR(p->expect));
	if (!IS_ERR_OR_NULL(a))
		dma_buf_detach(buf, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->attaches), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->detaches), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->pins),
			p->dynamic_importer ? 0 : 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->maps), p->pin_err ? 0 : 1);
	KUNIT_EXPECT_EQ(test, dbt_attachments(buf, NULL, NULL), 0);
	dbt_drop(test, buf, e);
}

struct dbt_pairing {
	const char *desc;
	unsigned int spec;
	bool dynamic_importer;
};

static const struct dbt_pairing dbt_pairings[] = {
	{ "static exporter, static importer", DBT_ALL, false },
	{ "dynamic exporter, static importer", DBT_DYNAMIC, false },
	{ "static exporter, dynamic importer", DBT_ALL, true },
	{ "dynamic exporter, dynamic importer", DBT_DYNAMIC, true },
};

KUNIT_ARRAY_PARAM_DESC(dbt_pairing, dbt_pairings, desc);

static void attach_fails_cleanly_at_every_allocation(struct kunit *test)
{
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
	const struct dbt_pairing *p = test->param_value;
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, p->spec);
	struct dbt_imp *imp = p->dynamic_importer ? kunit_kzalloc(test,
			sizeof(*imp), GFP_KERNEL) : NULL;
	struct device *dev = dbt_device(test);
	struct dma_buf_attachment *a = NULL;
	unsigned int k, failures = 0, absorbed = 0;
	bool unused;

	KUNIT_ASSERT_TRUE(test, imp || !p->dynamic_importer);
	for (k = 1; k <= DBT_FAULT_STEPS; k++) {
		dbt_fail_nth(k);
		a = dbt_attach_as(buf, dev, imp);
		unused = dbt_fail_unused();
		if (unused) {
			KUNIT_EXPECT_NOT_ERR_OR_NULL(test, a);
			break;
		}
		if (dma_buf_fault_absorbed(!IS_ERR_OR_NULL(a)) &&
		    absorbed++ < DMA_BUF_FAULT_RETRIES) {
			dma_buf_detach(buf, a);
			a = NULL;
			k--;
			continue;
		}
		failures++;
		KUNIT_EXPECT_PTR_EQ_MSG(test, a, ERR_PTR(-ENOMEM),
					"failure point %u", k);
		if (!IS_ERR_OR_NULL(a))
			dma_buf_detach(buf, a);
		a = NULL;
		KUNIT_EXPECT_EQ_MSG(test, dbt_attachments(buf, NULL, NULL), 0,
				    "failure point %u", k);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&e->detaches),
				    atomic_read(&e->attached),
				    "failure point %u", k);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&e->unpins),
				    atomic_read(&e->pinned),
				    "failure point %u", k);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&e->unmaps),
				    atomic_read(&e->mapped),
				    "failure point %u", k);
	}
	KUNIT_EXPECT_LE(test, k, DBT_FAULT_STEPS);
	KUNIT_EXPECT_GT_MSG(test, failures, 0,
			    "dma_buf_dynamic_attach() has no failure point");
	if (absorbed)
		kunit_info(test, "%u steps retried: fault taken elsewhere\n", absorbed);
	if (!IS_ERR_OR_NULL(a)) {
		KUNIT_EXPECT_EQ(test, dbt_attachments(buf, NULL, NULL), 1);
		dma_buf_detach(buf, a);
	}
	dbt_drop(test, buf, e);
#else
	kunit_skip(test, "requires CONFIG_FAULT_INJECTION");
#endif
}

static struct kunit_case dma_buf_attach_cases[] = {
	KUNIT_CASE_PARAM(attach_calls_the_exporter_and_lists_the_attachment,
			 dbt_callbacks_gen_params),
	KUNIT_CASE(attach_fails_when_the_exporter_refuses),
	KUNIT_CASE_PARAM(attach_of_a_dynamic_importer_records_it,
			 dbt_importer_gen_params),
	KUNIT_CASE(attach_and_detach_misuse_warns_and_changes_nothing),
	KUNIT_CASE(attach_of_a_static_importer_pins_and_maps_a_dynamic_exporter),
	KUNIT_CASE(attach_of_a_dynamic_importer_maps_a_static_exporter_at_once),
	KUNIT_CASE_PARAM(attach_that_cannot_pin_or_map_undoes_everything,
			 dbt_attach_fail_gen_params),
	KUNIT_CASE_PARAM(attach_fails_cleanly_at_every_allocation,
			 dbt_pairing_gen_params),
	{}
};

/* dma-buf-map */

static void dbt_expect_table(struct kunit *test, struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i, n = 0;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		KUNIT_EXPECT_EQ(test, sg_dma_address(sg), dbt_dma_addr(i));
		KUNIT_EXPECT_EQ(test, sg_dma_len(sg), PAGE_SIZE);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, DBT_PAGES);
}

static void map_calls_the_exporter_every_time_without_caching(struct kunit *test)
{
	bool locked = dbt_param_locked(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_ALL);
	struct dma_buf_attachment *a;
	struct sg_table *to, *from;

	a = dma_buf_attach(buf, dbt_device(test));
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	to = dbt_map_call(a, DMA_TO_DEVICE, locked);
	KUNIT_EXPECT_EQ(test, e->map_dir, DMA_TO_DEVICE);
	/* Another direction is fine: each map is a mapping of its own. */
	from = dbt_map_call(a, DMA_FROM_DEVICE, locked);
	KUNIT_EXPECT_EQ(test, e->map_dir, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->mapped), 2);
	KUNIT_EXPECT_PTR_EQ(test, from, e->last_sgt);
	KUNIT_EXPECT_PTR_NE(test, to, from);
	if (!IS_ERR_OR_NULL(to))
		dbt_expect_table(test, to);
	dbt_unmap_call(a, to, DMA_TO_DEVICE, locked);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 1);
	dbt_unmap_call(a, from, DMA_FROM_DEVICE, locked);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 2);
	dma_buf_detach(buf, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 2);
	dbt_drop(test, buf, e);
}

static void map_with_cache_sgt_mapping_maps_once_for_one_direction(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_CACHED);
	struct device *dev = dbt_device(test);
	struct dma_buf_attachment *one, *bidi;
	struct sg_table *sgt, *bsgt;

	one = dma_buf_attach(buf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, one);
	bidi = dma_buf_attach(buf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, bidi);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->maps), 0);

	sgt = dbt_map_call(one, DMA_TO_DEVICE, true);
	KUNIT_EXPECT_PTR_EQ(test, sgt, e->last_sgt);
	KUNIT_EXPECT_PTR_EQ(test, dbt_map_call(one, DMA_TO_DEVICE, false), sgt);
	KUNIT_EXPECT_PTR_EQ(test, dbt_map_call(one, DMA_FROM_DEVICE, false),
			    ERR_PTR(-EBUSY));
	KUNIT_EXPECT_PTR_EQ(test, dbt_map_call(one, DMA_BIDIRECTIONAL, true),
			    ERR_PTR(-EBUSY));
	/* The importer's unmaps leave the cached mapping alone. */
	dbt_unmap_call(one, sgt, DMA_TO_DEVICE, true);
	dbt_unmap_call(one, sgt, DMA_TO_DEVICE, false);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 0);
	KUNIT_EXPECT_PTR_EQ(test, dbt_map_call(one, DMA_TO_DEVICE, true), sgt);

	/* A bidirectional mapping serves every direction. */
	bsgt = dbt_map_call(bidi, DMA_BIDIRECTIONAL, false);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, bsgt);
	KUNIT_EXPECT_PTR_NE(test, bsgt, sgt);
	KUNIT_EXPECT_PTR_EQ(test, dbt_map_call(bidi, DMA_TO_DEVICE, false), bsgt);
	KUNIT_EXPECT_PTR_EQ(test, dbt_map_call(bidi, DMA_FROM_DEVICE, true), bsgt);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->maps), 2);

	/* Detach unmaps, for the direction mapped (dbt_unmap checks). */
	dma_buf_detach(buf, one);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 1);
	dma_buf_detach(buf, bidi);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 2);
	dbt_drop(test, buf, e);
}

static void map_passes_exporter_errors_on_and_caches_nothing(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_CACHED);
	struct dma_buf_attachment *a;
	struct sg_table *sgt;

	a = dma_buf_attach(buf, dbt_device(test));
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	e->map_err = -ENOSPC;
	KUNIT_EXPECT_PTR_EQ(test, dbt_map_call(a, DMA_TO_DEVICE, false),
			    ERR_PTR(-ENOSPC));
	e->map_err = 0;
	e->map_null = true;
	KUNIT_EXPECT_PTR_EQ(test, dbt_map_call(a, DMA_TO_DEVICE, true),
			    ERR_PTR(-ENOMEM));
	e->map_null = false;
	KUNIT_EXPECT_EQ(test, atomic_read(&e->maps), 2);

	/* The next map reaches the exporter, in any direction. */
	sgt = dbt_map_call(a, DMA_FROM_DEVICE, false);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->maps), 3);
	KUNIT_EXPECT_PTR_EQ(test, sgt, e->last_sgt);
	dbt_unmap_call(a, sgt, DMA_FROM_DEVICE, false);
	dma_buf_detach(buf, a);
	dbt_drop(test, buf, e);
}

static const struct dbt_spec_case dbt_wait_cases[] = {
	{ "static exporter, wait in map", DBT_ALL },
	{ "dynamic exporter, wait in attach", DBT_DYNAMIC },
};

KUNIT_ARRAY_PARAM_DESC(dbt_wait, dbt_wait_cases, desc);

static void map_of_a_static_importer_waits_for_kernel_fences_only(struct kunit *test)
{
	const struct dbt_spec_case *p = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, p->spec);
	struct device *dev = dbt_device(test);
	struct dbt_timed *tf[DBT_NR_USAGES];
	struct dma_buf_attachment *a;
	struct sg_table *sgt;

	if (dma_buf_is_dynamic(buf)) {
		/* The mapping is made, and waited for, at attach. */
		dbt_fence_each_usage(test, book, buf->resv,
				     DMA_RESV_USAGE_KERNEL, tf);
		a = dma_buf_attach(buf, dev);
		dbt_expect_waited(test, tf, DMA_RESV_USAGE_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
		sgt = dbt_map_call(a, DMA_BIDIRECTIONAL, false);
	} else {
		a = dma_buf_attach(buf, dev);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
		dbt_fence_each_usage(test, book, buf->resv,
				     DMA_RESV_USAGE_KERNEL, tf);
		sgt = dbt_map_call(a, DMA_BIDIRECTIONAL, false);
		dbt_expect_waited(test, tf, DMA_RESV_USAGE_KERNEL);
	}
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, sgt);
	dbt_unmap_call(a, sgt, DMA_BIDIRECTIONAL, false);
	dma_buf_detach(buf, a);
	dbt_drop(test, buf, e);
}

static void map_of_a_dynamic_importer_never_waits_nor_pins_with_move_notify(struct kunit *test)
{
	int pins = IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY) ? 0 : 1;
	struct mock_book *book = mock_book_get(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_DYNAMIC);
	struct dbt_timed *tf[DBT_NR_USAGES];
	struct dma_buf_attachment *a;
	struct dbt_imp imp = {};
	struct sg_table *sgt;

	kunit_info(test, "CONFIG_DMABUF_MOVE_NOTIFY=%c\n", pins ? 'n' : 'y');
	a = dma_buf_dynamic_attach(buf, dbt_device(test), &dbt_importer_ops,
				   &imp);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	dbt_fence_each_usage(test, book, buf->resv, -1, tf);
	sgt = dbt_map_call(a, DMA_TO_DEVICE, true);
	dbt_expect_waited(test, tf, -1);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->pinned), pins);
	dbt_unmap_call(a, sgt, DMA_TO_DEVICE, true);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unpins), pins);

	/* A failed map gives its pin back. */
	e->map_err = -EIO;
	KUNIT_EXPECT_PTR_EQ(test, dbt_map_call(a, DMA_TO_DEVICE, false),
			    ERR_PTR(-EIO));
	KUNIT_EXPECT_EQ(test, atomic_read(&e->pinned), 2 * pins);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unpins), 2 * pins);

	/* Nothing is cached: each map is the exporter's. */
	e->map_err = 0;
	sgt = dbt_map_call(a, DMA_TO_DEVICE, false);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->maps), 3);
	dbt_unmap_call(a, sgt, DMA_TO_DEVICE, false);
	dma_buf_detach(buf, a);
	KUNIT_EXPECT_EQ(test, atomic_read(&imp.moves), 0);
	dbt_drop(test, buf, e);
}

struct dbt_intr_map {
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	struct completion done;
};

static int dbt_intr_map_thread(void *data)
{
	struct dbt_intr_map *w = data;

	allow_signal(SIGUSR1);
	send_sig(SIGUSR1, current, 1);
	w->sgt = dma_buf_map_attachment_unlocked(w->attach, DMA_BIDIRECTIONAL);
	disallow_signal(SIGUSR1);
	complete(&w->done);
	return 0;
}

/*
 * A kernel fence whose work is done but which nobody has marked yet: its
 * ->signaled says so.  6.12's unlocked walk asks ->signaled and skips it.
 */
static const char *dbt_done_name(struct dma_fence *fence)
{
	return "dbt-done";
}

static bool dbt_done_signaled(struct dma_fence *fence)
{
	return true;
}

static const struct dma_fence_ops dbt_done_ops = {
	.get_driver_name = dbt_done_name,
	.get_timeline_name = dbt_done_name,
	.signaled = dbt_done_signaled,
};

static DEFINE_SPINLOCK(dbt_done_lock);

static void map_skips_a_kernel_fence_done_per_its_signaled_callback(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_ALL);
	struct task_struct *task;
	struct dbt_intr_map *w;
	struct dma_fence *done;

	done = kzalloc(sizeof(*done), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, done);
	dma_fence_init(done, &dbt_done_ops, &dbt_done_lock,
		       dma_fence_context_alloc(1), 1);
	dbt_add_fence(test, buf->resv, done, DMA_RESV_USAGE_KERNEL);
	dma_fence_put(done);

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	init_completion(&w->done);
	w->attach = dma_buf_attach(buf, dbt_device(test));
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, w->attach);

	/*
	 * The mapping thread has a signal pending: a wait would end at once
	 * with -ERESTARTSYS, so only a map that skips the fence succeeds.
	 */
	task = kthread_create(dbt_intr_map_thread, w, "dma-buf-kunit/done");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	get_task_struct(task);
	wake_up_process(task);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mock_race_stop_thread,
							task), 0);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&w->done,
							  DBT_THREAD_TIMEOUT), 0);

	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(w->sgt));
	if (!IS_ERR_OR_NULL(w->sgt))
		dma_buf_unmap_attachment_unlocked(w->attach, w->sgt,
						  DMA_BIDIRECTIONAL);
	dma_buf_detach(buf, w->attach);
	dbt_drop(test, buf, e);
}

static void map_wait_is_interruptible_and_unmaps_again(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_ALL);
	struct task_struct *task;
	struct dbt_intr_map *w;
	struct dbt_timed *kernel;

	/* Not on the stack: the thread may outlive a failed case. */
	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	init_completion(&w->done);
	w->attach = dma_buf_attach(buf, dbt_device(test));
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, w->attach);
	kernel = dbt_timed_fence(test, book, buf->resv, DMA_RESV_USAGE_KERNEL,
				 DBT_LATE);

	task = kthread_create(dbt_intr_map_thread, w, "dma-buf-kunit/intr");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	get_task_struct(task);
	wake_up_process(task);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mock_race_stop_thread,
							task), 0);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&w->done,
							  DBT_THREAD_TIMEOUT), 0);

	KUNIT_EXPECT_PTR_EQ(test, w->sgt, ERR_PTR(-ERESTARTSYS));
	KUNIT_EXPECT_FALSE(test, dbt_signalled(kernel));
	dbt_unmap_call(w->attach, w->sgt, DMA_BIDIRECTIONAL, false);
	dbt_timed_stop(kernel);
	/* What the exporter mapped before the wait was unmapped again. */
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), atomic_read(&e->mapped));
	dma_buf_detach(buf, w->attach);
	dbt_drop(test, buf, e);
}

static const struct dbt_spec_case dbt_mangle_cases[] = {
	{ "uncached", DBT_ALL },
	{ "cache_sgt_mapping", DBT_CACHED },
};

KUNIT_ARRAY_PARAM_DESC(dbt_mangle, dbt_mangle_cases, desc);

static void map_hands_out_scrambled_pages_but_true_dma_addresses(struct kunit *test)
{
	const struct dbt_spec_case *p = test->param_value;
	bool scrambled = IS_ENABLED(CONFIG_DMABUF_DEBUG);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, p->spec);
	unsigned int i, same = 0, entries = 0;
	struct dma_buf_attachment *a;
	struct scatterlist *sg;
	struct sg_table *sgt;

	kunit_info(test, "CONFIG_DMABUF_DEBUG=%c\n", scrambled ? 'y' : 'n');
	a = dma_buf_attach(buf, dbt_device(test));
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	sgt = dbt_map_call(a, DMA_BIDIRECTIONAL, false);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, sgt);
	if (!IS_ERR_OR_NULL(sgt)) {
		dbt_expect_table(test, sgt);
		/* The pages are only compared, never dereferenced. */
		for_each_sgtable_sg(sgt, sg, i) {
			entries++;
			same += sg_page(sg) == nth_page(e->pages, i);
			KUNIT_EXPECT_EQ(test, sg->offset, 0);
			KUNIT_EXPECT_EQ(test, sg->length, PAGE_SIZE);
		}
		KUNIT_EXPECT_EQ(test, entries, DBT_PAGES);
		KUNIT_EXPECT_EQ(test, same, scrambled ? 0 : DBT_PAGES);
	}
	dbt_unmap_call(a, sgt, DMA_BIDIRECTIONAL, false);
	dma_buf_detach(buf, a);
	/* The exporter got its own pages back: dbt_unmap checks. */
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 1);
	dbt_drop(test, buf, e);
}

static void move_notify_reaches_dynamic_importers_only(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_DYNAMIC);
	struct device *dev = dbt_device(test);
	struct dma_buf_attachment *s, *d1, *d2;
	struct dbt_imp imp1 = {}, imp2 = {};

	s = dma_buf_attach(buf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s);
	d1 = dma_buf_dynamic_attach(buf, dev, &dbt_p2p_importer_ops, &imp1);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d1);
	d2 = dma_buf_dynamic_attach(buf, dev, &dbt_importer_ops, &imp2);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d2);
	imp1.attach = d1;
	imp2.attach = d2;

	dma_resv_lock(buf->resv, NULL);
	dma_buf_move_notify(buf);
	dma_buf_move_notify(buf);
	dma_resv_unlock(buf->resv);
	KUNIT_EXPECT_EQ(test, atomic_read(&imp1.moves), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&imp2.moves), 2);
	dma_buf_detach(buf, d1);
	dma_resv_lock(buf->resv, NULL);
	dma_buf_move_notify(buf);
	dma_resv_unlock(buf->resv);
	KUNIT_EXPECT_EQ(test, atomic_read(&imp1.moves), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&imp2.moves), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&imp1.bad_moves) +
			atomic_read(&imp2.bad_moves), 0);
	/* Notifying moves nothing itself: only the static attach mapped. */
	KUNIT_EXPECT_EQ(test, atomic_read(&e->maps), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unmaps), 0);
	dma_buf_detach(buf, d2);
	dma_buf_detach(buf, s);
	dbt_drop(test, buf, e);
}

static void pin_and_unpin_reach_a_dynamic_exporter_only(struct kunit *test)
{
	struct dbt_exp *e = dbt_exp_new(test), *se = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_DYNAMIC);
	struct dma_buf *sbuf = dbt_export(test, se, DBT_ALL);
	struct device *dev = dbt_device(test);
	struct dbt_imp imp = {}, simp = {};
	struct dma_buf_attachment *a, *sa;
	int ret, fail, sret;

	a = dma_buf_dynamic_attach(buf, dev, &dbt_importer_ops, &imp);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	sa = dma_buf_dynamic_attach(sbuf, dev, &dbt_importer_ops, &simp);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sa);

	dma_resv_lock(buf->resv, NULL);
	ret = dma_buf_pin(a);
	if (!ret)
		dma_buf_unpin(a);
	e->pin_err = -ENOSPC;
	fail = dma_buf_pin(a);
	dma_resv_unlock(buf->resv);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, fail, -ENOSPC);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->pins), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->unpins), 1);
	KUNIT_EXPECT_PTR_EQ(test, e->last_attach, a);

	/* Without pin and unpin callbacks there is nothing to do. */
	dma_resv_lock(sbuf->resv, NULL);
	sret = dma_buf_pin(sa);
	if (!sret)
		dma_buf_unpin(sa);
	dma_resv_unlock(sbuf->resv);
	KUNIT_EXPECT_EQ(test, sret, 0);

	dma_buf_detach(buf, a);
	dma_buf_detach(sbuf, sa);
	dbt_drop(test, sbuf, se);
	dbt_drop(test, buf, e);
}

static void map_fails_cleanly_at_every_allocation(struct kunit *test)
{
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
	const struct dbt_pairing *p = test->param_value;
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, p->spec);
	struct dbt_imp *imp = p->dynamic_importer ? kunit_kzalloc(test,
			sizeof(*imp), GFP_KERNEL) : NULL;
	struct dma_buf_attachment *a;
	unsigned int k, failures = 0, absorbed = 0;
	struct sg_table *sgt;
	int pins, maps;
	bool unused, retry;

	KUNIT_ASSERT_TRUE(test, imp || !p->dynamic_importer);
	a = dbt_attach_as(buf, dbt_device(test), imp);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	/* What the attachment holds already: a mapping made at attach. */
	pins = atomic_read(&e->pinned) - atomic_read(&e->unpins);
	maps = atomic_read(&e->mapped) - atomic_read(&e->unmaps);
	for (k = 1; k <= DBT_FAULT_STEPS; k++) {
		dma_resv_lock(buf->resv, NULL);
		dbt_fail_nth(k);
		sgt = dma_buf_map_attachment(a, DMA_BIDIRECTIONAL);
		unused = dbt_fail_unused();
		retry = !unused && dma_buf_fault_absorbed(!IS_ERR_OR_NULL(sgt)) &&
			absorbed++ < DMA_BUF_FAULT_RETRIES;
		if ((unused || retry) && !IS_ERR_OR_NULL(sgt))
			dma_buf_unmap_attachment(a, sgt, DMA_BIDIRECTIONAL);
		dma_resv_unlock(buf->resv);
		if (unused) {
			KUNIT_EXPECT_NOT_ERR_OR_NULL(test, sgt);
			break;
		}
		if (retry) {
			k--;
			continue;
		}
		failures++;
		KUNIT_EXPECT_PTR_EQ_MSG(test, sgt, ERR_PTR(-ENOMEM),
					"failure point %u", k);
		dbt_unmap_call(a, sgt, DMA_BIDIRECTIONAL, false);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&e->pinned) -
				    atomic_read(&e->unpins), pins,
				    "failure point %u", k);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&e->mapped) -
				    atomic_read(&e->unmaps), maps,
				    "failure point %u", k);
	}
	KUNIT_EXPECT_LE(test, k, DBT_FAULT_STEPS);
	kunit_info(test, "%u failure points, %u steps retried\n", failures, absorbed);
	dma_buf_detach(buf, a);
	dbt_drop(test, buf, e);
#else
	kunit_skip(test, "requires CONFIG_FAULT_INJECTION");
#endif
}

struct dbt_move_race {
	struct dbt_pair pair;
	struct dma_buf *buf;
	struct device *dev;
	struct dma_buf_attachment *steady;
	struct dbt_imp steady_imp;
	struct dbt_imp transient_imp;
	int errors;
};

static void dbt_move_race_map(struct dbt_move_race *r,
			      struct dma_buf_attachment *attach)
{
	struct sg_table *sgt;

	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	if (IS_ERR_OR_NULL(sgt))
		r->errors++;
	else
		dma_buf_unmap_attachment_unlocked(attach, sgt,
						  DMA_BIDIRECTIONAL);
}

static void dbt_move_race_step(struct dbt_pair *p, int me, int round)
{
	struct dbt_move_race *r = container_of(p, struct dbt_move_race, pair);
	struct dma_buf_attachment *a;

	if (me) {
		dma_resv_lock(r->buf->resv, NULL);
		dma_buf_move_notify(r->buf);
		dma_resv_unlock(r->buf->resv);
		mock_race_jitter(round);
		return;
	}
	a = dma_buf_dynamic_attach(r->buf, r->dev, &dbt_importer_ops,
				   &r->transient_imp);
	if (IS_ERR(a)) {
		r->errors++;
		return;
	}
	dbt_move_race_map(r, a);
	dbt_move_race_map(r, r->steady);
	dma_buf_detach(r->buf, a);
}

/*
 * One CPU attaches, maps, unmaps and detaches dynamic importers while the
 * other sends move notifications: the walk of the attachment list meets
 * changes of the list, the notifications meet mappings.
 */
static void map_and_attach_race_move_notify_on_two_cpus(struct kunit *test)
{
	int pins = IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY) ? 0 : 1;
	int rounds = DBT_MOVE_ROUNDS;
	struct dbt_move_race *r;
	struct dma_buf *buf;
	struct dbt_exp *e;

	dbt_two_cpus(test);
	e = dbt_exp_new(test);
	buf = dbt_export(test, e, DBT_DYNAMIC);
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->buf = buf;
	r->dev = dbt_device(test);
	r->steady = dma_buf_dynamic_attach(buf, r->dev, &dbt_importer_ops,
					   &r->steady_imp);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r->steady);
	r->steady_imp.attach = r->steady;
	e->jitter = true;
	dbt_pair_start(test, &r->pair, rounds, dbt_move_race_step);
	if (!dbt_pair_run(test, &r->pair, rounds))
		return;
	e->jitter = false;

	KUNIT_EXPECT_EQ(test, r->errors, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->steady_imp.moves), rounds);
	KUNIT_EXPECT_LE(test, atomic_read(&r->transient_imp.moves), rounds);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->steady_imp.bad_moves), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->attached), rounds + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->mapped), 2 * rounds);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->pinned), 2 * rounds * pins);
	dma_buf_detach(buf, r->steady);
	KUNIT_EXPECT_EQ(test, dbt_attachments(buf, NULL, NULL), 0);
	/* Attach and detach may have met the other CPU's lock: no "clean". */
	dbt_expect_balanced(test, e);
	dma_buf_put(buf);
	KUNIT_EXPECT_EQ(test, dbt_settle(e, 1), 1);
}

static struct kunit_case dma_buf_map_cases[] = {
	KUNIT_CASE_PARAM(map_calls_the_exporter_every_time_without_caching,
			 dbt_locked_gen_params),
	KUNIT_CASE(map_with_cache_sgt_mapping_maps_once_for_one_direction),
	KUNIT_CASE(map_passes_exporter_errors_on_and_caches_nothing),
	KUNIT_CASE_PARAM(map_of_a_static_importer_waits_for_kernel_fences_only,
			 dbt_wait_gen_params),
	KUNIT_CASE(map_of_a_dynamic_importer_never_waits_nor_pins_with_move_notify),
	KUNIT_CASE(map_wait_is_interruptible_and_unmaps_again),
	KUNIT_CASE(map_skips_a_kernel_fence_done_per_its_signaled_callback),
	KUNIT_CASE_PARAM(map_hands_out_scrambled_pages_but_true_dma_addresses,
			 dbt_mangle_gen_params),
	KUNIT_CASE(move_notify_reaches_dynamic_importers_only),
	KUNIT_CASE(pin_and_unpin_reach_a_dynamic_exporter_only),
	KUNIT_CASE_PARAM(map_fails_cleanly_at_every_allocation,
			 dbt_pairing_gen_params),
	KUNIT_CASE(map_and_attach_race_move_notify_on_two_cpus),
	{}
};

/* dma-buf-cpu */

struct dbt_dir_case {
	const char *desc;
	enum dma_data_direction dir;
	int waited_up_to;
};

static const struct dbt_dir_case dbt_dir_cases[] = {
	{ "DMA_BIDIRECTIONAL", DMA_BIDIRECTIONAL, DMA_RESV_USAGE_READ },
	{ "DMA_TO_DEVICE", DMA_TO_DEVICE, DMA_RESV_USAGE_READ },
	{ "DMA_FROM_DEVICE", DMA_FROM_DEVICE, DMA_RESV_USAGE_WRITE },
};

KUNIT_ARRAY_PARAM_DESC(dbt_dir, dbt_dir_cases, desc);

static void cpu_access_begin_waits_for_fences_by_direction(struct kunit *test)
{
	const struct dbt_dir_case *p = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_ALL);
	struct dbt_timed *tf[DBT_NR_USAGES];

	dbt_fence_each_usage(test, book, buf->resv, p->waited_up_to, tf);
	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(buf, p->dir), 0);
	dbt_expect_waited(test, tf, p->waited_up_to);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->begins), 1);
	KUNIT_EXPECT_EQ(test, e->begin_dir, p->dir);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(buf, p->dir), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->ends), 1);
	KUNIT_EXPECT_EQ(test, e->end_dir, p->dir);
	dbt_drop(test, buf, e);
}

static void cpu_access_stops_at_an_exporter_error_and_end_never_waits(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_ALL);
	struct dbt_timed *write;

	write = dbt_timed_fence(test, book, buf->resv, DMA_RESV_USAGE_WRITE,
				DBT_LATE);
	e->begin_err = -EAGAIN;
	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(buf, DMA_FROM_DEVICE),
			-EAGAIN);
	KUNIT_EXPECT_FALSE(test, dbt_signalled(write));
	KUNIT_EXPECT_EQ(test, atomic_read(&e->begins), 1);

	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(buf, DMA_TO_DEVICE), 0);
	e->end_err = -EIO;
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(buf, DMA_FROM_DEVICE),
			-EIO);
	KUNIT_EXPECT_FALSE(test, dbt_signalled(write));
	KUNIT_EXPECT_EQ(test, atomic_read(&e->ends), 2);
	KUNIT_EXPECT_EQ(test, e->end_dir, DMA_FROM_DEVICE);
	dbt_timed_stop(write);
	dbt_drop(test, buf, e);
}

static void cpu_access_without_exporter_callbacks_only_waits(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_MINIMAL);
	struct dbt_timed *write;

	write = dbt_timed_fence(test, book, buf->resv, DMA_RESV_USAGE_WRITE,
				DBT_SOON);
	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(buf, DMA_FROM_DEVICE),
			0);
	KUNIT_EXPECT_TRUE(test, dbt_signalled(write));
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(buf, DMA_FROM_DEVICE), 0);
	dbt_drop(test, buf, e);
}

static void cpu_vmap_is_counted_and_maps_once(struct kunit *test)
{
	bool locked = dbt_param_locked(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_ALL);
	struct iosys_map first, second;

	KUNIT_ASSERT_EQ(test, dbt_vmap_call(buf, &first, locked), 0);
	KUNIT_EXPECT_FALSE(test, iosys_map_is_null(&first));
	KUNIT_EXPECT_FALSE(test, first.is_iomem);
	KUNIT_EXPECT_PTR_EQ(test, first.vaddr, e->vaddr);
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 1);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_equal(&buf->vmap_ptr, &first));

	KUNIT_EXPECT_EQ(test, dbt_vmap_call(buf, &second, !locked), 0);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_equal(&second, &first));
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->vmaps), 1);

	dbt_vunmap_call(buf, &second, locked);
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->vunmaps), 0);
	dbt_vunmap_call(buf, &first, !locked);
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->vunmaps), 1);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&buf->vmap_ptr));

	/* The next vmap is the exporter's again. */
	KUNIT_EXPECT_EQ(test, dbt_vmap_call(buf, &first, locked), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->vmaps), 2);
	KUNIT_EXPECT_PTR_EQ(test, first.vaddr, e->vaddr);
	dbt_vunmap_call(buf, &first, locked);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->vunmaps), 2);
	dbt_drop(test, buf, e);
}

static void cpu_vmap_without_the_callback_is_einval(struct kunit *test)
{
	bool locked = dbt_param_locked(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct dma_buf *buf = dbt_export(test, e, DBT_MINIMAL);
	struct iosys_map map;

	iosys_map_set_vaddr(&map, e);
	KUNIT_EXPECT_EQ(test, dbt_vmap_call(buf, &map, locked), -EINVAL);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&map));
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 0);
	dbt_drop(test, buf, e);
}

static void cpu_vmap_failing_in_the_exporter_leaves_no_mapping(struct kunit *test)
{
	bool locked = dbt_param_locked(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct iosys_map map;
	struct dma_buf *buf;

	dbt_warns(test, "a failing exporter vmap (warns once a boot)");
	buf = dbt_export(test, e, DBT_ALL);
	e->vmap_err = -ENOMEM;
	iosys_map_set_vaddr(&map, e);
	KUNIT_EXPECT_EQ(test, dbt_vmap_call(buf, &map, locked), -ENOMEM);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&map));
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 0);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&buf->vmap_ptr));

	e->vmap_err = 0;
	KUNIT_EXPECT_EQ(test, dbt_vmap_call(buf, &map, locked), 0);
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->vmaps), 2);
	dbt_vunmap_call(buf, &map, locked);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->vunmaps), 1);
	dbt_drop(test, buf, e);
}

/* Ours, beyond 6.12 (which BUGs): misuse of vunmap changes nothing. */
static void cpu_vunmap_misuse_warns_and_changes_nothing(struct kunit *test)
{
	bool locked = dbt_param_locked(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct iosys_map map, other;
	struct dma_buf *buf;

	dbt_warns(test, "vunmap of no mapping, then of another one");
	buf = dbt_export(test, e, DBT_ALL);
	iosys_map_set_vaddr(&other, page_address(e->pages));
	dbt_vunmap_call(buf, &other, locked);
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->vunmaps), 0);

	KUNIT_ASSERT_EQ(test, dbt_vmap_call(buf, &map, locked), 0);
	if (map.vaddr == other.vaddr)
		iosys_map_set_vaddr(&other, page_address(e->pages) + 64);
	dbt_vunmap_call(buf, &other, locked);
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 1);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_equal(&buf->vmap_ptr, &map));
	KUNIT_EXPECT_EQ(test, atomic_read(&e->vunmaps), 0);

	dbt_vunmap_call(buf, &map, locked);
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->vunmaps), 1);
	dbt_drop(test, buf, e);
}

struct dbt_vmap_race {
	struct dbt_pair pair;
	struct dma_buf *buf;
	struct dbt_exp *e;
	int errors[2];
	int wrong[2];
};

static void dbt_vmap_race_step(struct dbt_pair *p, int me, int round)
{
	struct dbt_vmap_race *r = container_of(p, struct dbt_vmap_race, pair);
	struct iosys_map map;

	/* One thread takes the lock itself, the other uses _unlocked. */
	if (dbt_vmap_call(r->buf, &map, me)) {
		r->errors[me]++;
		return;
	}
	/* While we hold a vmap, the exporter's live mapping is ours. */
	if (iosys_map_is_null(&map) || map.vaddr != READ_ONCE(r->e->vaddr))
		r->wrong[me]++;
	mock_race_jitter(round * 2 + me);
	dbt_vunmap_call(r->buf, &map, me);
}

static void cpu_vmap_race_on_two_cpus(struct kunit *test)
{
	struct dbt_vmap_race *r;
	struct dma_buf *buf;
	struct dbt_exp *e;

	dbt_two_cpus(test);
	e = dbt_exp_new(test);
	buf = dbt_export(test, e, DBT_ALL);
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->buf = buf;
	r->e = e;
	e->jitter = true;
	dbt_pair_start(test, &r->pair, DBT_VMAP_ROUNDS, dbt_vmap_race_step);
	if (!dbt_pair_run(test, &r->pair, DBT_VMAP_ROUNDS))
		return;
	e->jitter = false;

	kunit_info(test, "%d exporter vmaps for %d vmaps\n",
		   atomic_read(&e->vmaps), 2 * DBT_VMAP_ROUNDS);
	KUNIT_EXPECT_EQ(test, r->errors[0] + r->errors[1], 0);
	KUNIT_EXPECT_EQ(test, r->wrong[0] + r->wrong[1], 0);
	KUNIT_EXPECT_GE(test, atomic_read(&e->vmaps), 1);
	KUNIT_EXPECT_EQ(test, buf->vmapping_counter, 0);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&buf->vmap_ptr));
	dbt_drop(test, buf, e);
}

struct dbt_mmap_case {
	const char *desc;
	bool no_op;
	unsigned long pgoff;
	unsigned long pages;
	int mmap_err;
	int expect;
};

static const struct dbt_mmap_case dbt_mmap_cases[] = {
	{ "whole buffer", .pages = DBT_PAGES },
	{ "last page", .pgoff = DBT_PAGES - 1, .pages = 1 },
	{ "no mmap callback", .no_op = true, .pages = 1, .expect = -EINVAL },
	{ "offset wraps", .pgoff = ULONG_MAX, .pages = 1,
	  .expect = -EOVERFLOW },
	{ "end wraps", .pgoff = ULONG_MAX - 1, .pages = 3,
	  .expect = -EOVERFLOW },
	{ "one page too many", .pages = DBT_PAGES + 1, .expect = -EINVAL },
	{ "starts at the end", .pgoff = DBT_PAGES, .pages = 1,
	  .expect = -EINVAL },
	{ "starts far beyond", .pgoff = ULONG_MAX - DBT_PAGES, .pages = 1,
	  .expect = -EINVAL },
	{ "exporter refuses", .pages = 2, .mmap_err = -ENXIO,
	  .expect = -ENXIO },
};

KUNIT_ARRAY_PARAM_DESC(dbt_mmap, dbt_mmap_cases, desc);

#define DBT_VMA_START	0x10000000UL
#define DBT_VMA_PGOFF	0x1234UL

/*
 * A vma as a driver's mmap handler gets it, for the file it was opened
 * on: only the fields dma_buf_mmap() and vma_set_file() use are set.
 */
static struct vm_area_struct *dbt_vma(struct kunit *test, unsigned long pages,
				      struct dbt_plain *plain)
{
	struct vm_area_struct *vma = kunit_kzalloc(test, sizeof(*vma),
						   GFP_KERNEL);
	struct file *file;

	KUNIT_ASSERT_NOT_NULL(test, vma);
	file = anon_inode_getfile("[dma-buf-kunit]", &dbt_plain_fops, plain,
				  O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	vma->vm_start = DBT_VMA_START;
	vma->vm_end = DBT_VMA_START + pages * PAGE_SIZE;
	vma->vm_pgoff = DBT_VMA_PGOFF;
	vma->vm_file = file;
	return vma;
}

static void cpu_mmap_checks_the_range_before_the_exporter(struct kunit *test)
{
	const struct dbt_mmap_case *p = test->param_value;
	struct dbt_plain *plain = dbt_plain_new(test);
	struct dbt_exp *e = dbt_exp_new(test);
	struct vm_area_struct *vma = dbt_vma(test, p->pages, plain);
	struct file *vm_file = vma->vm_file;
	struct dma_buf *buf;

	e->mmap_err = p->mmap_err;
	buf = dbt_export(test, e, p->no_op ? DBT_MINIMAL : DBT_ALL);
	KUNIT_EXPECT_EQ(test, dma_buf_mmap(buf, vma, p->pgoff), p->expect);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->mmaps),
			!p->expect || p->mmap_err ? 1 : 0);
	if (!p->expect) {
		/* The vma now maps the buffer's file, at @pgoff. */
		KUNIT_EXPECT_PTR_EQ(test, e->mmap_vma, vma);
		KUNIT_EXPECT_PTR_EQ(test, e->mmap_file, buf->file);
		KUNIT_EXPECT_EQ(test, e->mmap_pgoff, p->pgoff);
		KUNIT_EXPECT_PTR_EQ(test, vma->vm_file, buf->file);
		KUNIT_EXPECT_EQ(test, vma->vm_pgoff, p->pgoff);
		KUNIT_EXPECT_EQ(test, file_count(buf->file), 2);
		flush_delayed_fput();
		KUNIT_EXPECT_EQ(test, atomic_read(&plain->releases), 1);
	} else if (!p->mmap_err) {
		/* Refused before the vma was touched. */
		KUNIT_EXPECT_PTR_EQ(test, vma->vm_file, vm_file);
		KUNIT_EXPECT_EQ(test, vma->vm_pgoff, DBT_VMA_PGOFF);
		KUNIT_EXPECT_EQ(test, file_count(buf->file), 1);
	}
	/* The vma's reference, on whichever file it holds now. */
	fput(vma->vm_file);
	dbt_drop(test, buf, e);
	KUNIT_EXPECT_EQ(test, atomic_read(&plain->releases), 1);
}

static struct kunit_case dma_buf_cpu_cases[] = {
	KUNIT_CASE_PARAM(cpu_access_begin_waits_for_fences_by_direction,
			 dbt_dir_gen_params),
	KUNIT_CASE(cpu_access_stops_at_an_exporter_error_and_end_never_waits),
	KUNIT_CASE(cpu_access_without_exporter_callbacks_only_waits),
	KUNIT_CASE_PARAM(cpu_vmap_is_counted_and_maps_once,
			 dbt_locked_gen_params),
	KUNIT_CASE_PARAM(cpu_vmap_without_the_callback_is_einval,
			 dbt_locked_gen_params),
	KUNIT_CASE_PARAM(cpu_vmap_failing_in_the_exporter_leaves_no_mapping,
			 dbt_locked_gen_params),
	KUNIT_CASE_PARAM(cpu_vunmap_misuse_warns_and_changes_nothing,
			 dbt_locked_gen_params),
	KUNIT_CASE(cpu_vmap_race_on_two_cpus),
	KUNIT_CASE_PARAM(cpu_mmap_checks_the_range_before_the_exporter,
			 dbt_mmap_gen_params),
	{}
};

static struct kunit_suite dma_buf_export_suite = {
	.name = "dma-buf-export",
	.test_cases = dma_buf_export_cases,
};

static struct kunit_suite dma_buf_fd_suite = {
	.name = "dma-buf-fd",
	.test_cases = dma_buf_fd_cases,
};

static struct kunit_suite dma_buf_attach_suite = {
	.name = "dma-buf-attach",
	.test_cases = dma_buf_attach_cases,
};

static struct kunit_suite dma_buf_map_suite = {
	.name = "dma-buf-map",
	.test_cases = dma_buf_map_cases,
};

static struct kunit_suite dma_buf_cpu_suite = {
	.name = "dma-buf-cpu",
	.test_cases = dma_buf_cpu_cases,
};

kunit_test_suites(&dma_buf_export_suite, &dma_buf_fd_suite,
		  &dma_buf_attach_suite, &dma_buf_map_suite,
		  &dma_buf_cpu_suite);

MODULE_IMPORT_NS(DMA_BUF);
MODULE_DESCRIPTION("KUnit tests for the dma-buf core");
MODULE_LICENSE("GPL");
