// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite of the fence-hang diagnostics (dma-fence-hang.c).
 */

/**
 * DOC: dma-fence-hang KUnit suite
 *
 * Each case makes mock fences on a context of its own and asks the
 * diagnostics about that context only, with dma_fence_hang_scan() (the
 * tracked fences) and dma_fence_hang_print() (the report, into a buffer),
 * so that fences tracked elsewhere in the kernel do not disturb it:
 *
 * * what is tracked: not a fresh fence, nor a zero-timeout wait; yes a
 *   callback, a sleeping waiter (counted while it sleeps), a dma-resv, a
 *   sync_file and every fence inside a merged one;
 * * where it is held: the exported buffer by inode number, exporter, name
 *   and usage, the sync_file by name, a reservation object of no buffer;
 * * when it leaves the list: on signalling, and on the last put of a
 *   fence that never signalled (KASAN and the list debugging of the debug
 *   kernel watch that nothing is left behind), also when tracking races
 *   with signalling on another CPU;
 * * the watchdog: off at 0; on, it names a fence with waiters and marks it,
 *   so that it is named once (the guest test counts the log lines), and
 *   never a fence that only sits in a reservation object; one line per
 *   context, at most 16 and a summary per pass; a pass looks at the
 *   overdue fences only; a fence whose waiters left is put aside until it
 *   has one again.
 *
 * The suite is built in only (it calls internal functions).
 */

#include <kunit/test.h>

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sync_file.h>

#include "../dma-fence-hang.h"
#include "mock-fence.h"

#define HANG_REPORT_SIZE	8192
#define HANG_NO_BUFFER		"\twas added to a dma-resv; no exported dma-buf holds it\n"

/*
 * The report of @context, in a buffer that lives as long as the case.  No
 * ASSERT: cases call it while a thread of theirs uses their stack.
 */
static char *hang_report(struct kunit *test, u64 context)
{
	struct seq_file s = { };

	s.buf = kunit_kzalloc(test, HANG_REPORT_SIZE, GFP_KERNEL);
	if (!s.buf) {
		KUNIT_FAIL(test, "no memory for the report");
		return "";
	}
	s.size = HANG_REPORT_SIZE - 1;
	KUNIT_EXPECT_EQ(test, dma_fence_hang_print(&s, context), 0);
	KUNIT_EXPECT_LT_MSG(test, s.count, s.size, "report overflowed");
	s.buf[s.count] = '\0';
	return s.buf;
}

/* How many fences of @context are tracked; every one must be @expect. */
static unsigned int hang_tracked(struct kunit *test, u64 context,
				 struct dma_fence *expect)
{
	struct dma_fence *found[8];
	unsigned int n = dma_fence_hang_scan(context, found, ARRAY_SIZE(found));
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (expect)
			KUNIT_EXPECT_PTR_EQ(test, found[i], expect);
		dma_fence_put(found[i]);
	}
	return n;
}

static void hang_nop_cb(struct dma_fence *fence, struct dma_fence_cb *cb)
{
}

static bool hang_bit(struct dma_fence *fence, unsigned int bit)
{
	return test_bit(bit, &fence->hang.state);
}

static void hang_not_tracked_until_used(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *f = mock_fence(book, ctx, 1);

	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);
	KUNIT_EXPECT_EQ(test, f->hang.state, 0UL);
	KUNIT_EXPECT_TRUE(test, list_empty(&f->hang.link));

	/* a zero timeout only looks */
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, false, 0), 0L);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);
	KUNIT_EXPECT_EQ(test, f->hang.state, 0UL);

	dma_fence_signal(f);
	dma_fence_put(f);
}

static void hang_callback_tracked_until_signal(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *f = mock_fence(book, ctx, 7);
	struct dma_fence_cb cb;
	char *report;

	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(f, &cb, hang_nop_cb), 0);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, f), 1);
	KUNIT_EXPECT_TRUE(test, hang_bit(f, DMA_FENCE_HANG_CALLBACK));
	KUNIT_EXPECT_FALSE(test, hang_bit(f, DMA_FENCE_HANG_WAITED));

	report = hang_report(test, ctx);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report, "seqno 7: pending"),
				  "%s", report);
	KUNIT_EXPECT_NOT_NULL_MSG(test,
				  strstr(report, ", 0 sleeping, callbacks [callback]\n"),
				  "%s", report);
	KUNIT_EXPECT_NOT_NULL(test, strstr(report, "mock mock context "));

	/* a second callback does not link it twice */
	dma_fence_remove_callback(f, &cb);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(f, &cb, hang_nop_cb), 0);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, f), 1);

	/* unlinked by the signal itself, not by a later walk of the list */
	dma_fence_signal(f);
	KUNIT_EXPECT_TRUE(test, list_empty(&f->hang.link));
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);

	/* nor does anything after the signal */
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(f, &cb, hang_nop_cb),
			-ENOENT);
	dma_fence_hang_track(f, DMA_FENCE_HANG_RESV);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);
	dma_fence_put(f);
}

struct hang_waiter {
	struct dma_fence *fence;
	long ret;
	struct completion done;
};

static int hang_waiter_fn(void *data)
{
	struct hang_waiter *w = data;

	w->ret = dma_fence_wait_timeout(w->fence, false, 10 * HZ);
	complete(&w->done);
	return 0;
}

static void hang_sleeper_counted(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 ctx = dma_fence_context_alloc(1);
	struct hang_waiter w = { .fence = mock_fence(book, ctx, 1) };
	struct task_struct *task;
	unsigned long end = jiffies + 5 * HZ;
	char *report;

	init_completion(&w.done);
	task = kthread_run(hang_waiter_fn, &w, "hang-waiter");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));

	/* counted first, then tracked: wait for both */
	while ((atomic_read(&w.fence->hang.waiters) < 1 ||
		!hang_bit(w.fence, DMA_FENCE_HANG_WAITED)) &&
	       time_before(jiffies, end))
		usleep_range(1000, 2000);
	KUNIT_EXPECT_EQ(test, atomic_read(&w.fence->hang.waiters), 1);
	KUNIT_EXPECT_TRUE(test, hang_bit(w.fence, DMA_FENCE_HANG_WAITED));
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, w.fence), 1);
	/* counted before the default wait queues its callback: look again */
	do {
		report = hang_report(test, ctx);
		if (strstr(report, " ms, 1 sleeping, callbacks [waited]\n"))
			break;
		usleep_range(1000, 2000);
	} while (time_before(jiffies, end));
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report, " ms, 1 sleeping, callbacks [waited]\n"),
				  "%s", report);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report, ", waited "), "%s", report);

	dma_fence_signal(w.fence);
	wait_for_completion(&w.done);
	KUNIT_EXPECT_GT(test, w.ret, 0L);
	KUNIT_EXPECT_EQ(test, atomic_read(&w.fence->hang.waiters), 0);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);
	dma_fence_put(w.fence);
}

/* What the list looked like when the issuer's release ran. */
static atomic_t hang_released_linked;

static void hang_checking_release(struct dma_fence *fence)
{
	if (!list_empty(&fence->hang.link))
		atomic_inc(&hang_released_linked);
	mock_fence_release(fence);
}

static const struct dma_fence_ops hang_checking_ops = {
	.get_driver_name = mock_fence_name,
	.get_timeline_name = mock_fence_name,
	.release = hang_checking_release,
};

static void hang_resv_of_no_buffer(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *f = __mock_fence(book, &hang_checking_ops, ctx, 3,
					   GFP_KERNEL);
	struct dma_resv resv;
	char *report;

	dma_resv_init(&resv);
	KUNIT_ASSERT_EQ(test, dma_resv_lock(&resv, NULL), 0);
	KUNIT_ASSERT_EQ(test, dma_resv_reserve_fences(&resv, 1), 0);
	dma_resv_add_fence(&resv, f, DMA_RESV_USAGE_READ);
	dma_resv_unlock(&resv);

	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, f), 1);
	KUNIT_EXPECT_TRUE(test, hang_bit(f, DMA_FENCE_HANG_RESV));
	report = hang_report(test, ctx);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report, "no callbacks [resv]\n"),
				  "%s", report);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report, HANG_NO_BUFFER), "%s", report);
	KUNIT_EXPECT_NULL(test, strstr(report, "\tdma-buf "));

	/* released unsignalled: off the list before the issuer frees it */
	dma_resv_fini(&resv);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, f), 1);
	atomic_set(&hang_released_linked, 0);
	dma_fence_put(f);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 1);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&hang_released_linked), 0,
			    "still on the list when the issuer's release ran");
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);
}

/* A buffer exporter that is never mapped. */
static struct sg_table *hang_map(struct dma_buf_attachment *att,
				 enum dma_data_direction dir)
{
	return ERR_PTR(-ENOMEM);
}

static void hang_unmap(struct dma_buf_attachment *att, struct sg_table *sgt,
		       enum dma_data_direction dir)
{
}

static void hang_buf_release(struct dma_buf *buf)
{
	complete(buf->priv);
}

static const struct dma_buf_ops hang_buf_ops = {
	.map_dma_buf = hang_map,
	.unmap_dma_buf = hang_unmap,
	.release = hang_buf_release,
};

static void hang_exported_buffer_named(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *f = mock_fence(book, ctx, 5);
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	DECLARE_COMPLETION_ONSTACK(released);
	struct dma_buf *buf;
	char want[96], *report;

	info.exp_name = "hang-test";
	info.ops = &hang_buf_ops;
	info.size = PAGE_SIZE;
	info.flags = O_RDWR;
	info.priv = &released;
	buf = dma_buf_export(&info);
	KUNIT_ASSERT_FALSE(test, IS_ERR(buf));

	KUNIT_ASSERT_EQ(test, dma_resv_lock(buf->resv, NULL), 0);
	KUNIT_ASSERT_EQ(test, dma_resv_reserve_fences(buf->resv, 1), 0);
	dma_resv_add_fence(buf->resv, f, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(buf->resv);

	snprintf(want, sizeof(want), "\tdma-buf %lu hang-test \"<none>\" usage write\n",
		 file_inode(buf->file)->i_ino);
	report = hang_report(test, ctx);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report, want), "%s", report);
	KUNIT_EXPECT_NULL(test, strstr(report, "no exported"));

	__fput_sync(buf->file);
	wait_for_completion(&released);
	/* the buffer's resv let go of it; still pending, still tracked */
	report = hang_report(test, ctx);
	KUNIT_EXPECT_NULL_MSG(test, strstr(report, "\tdma-buf "), "%s", report);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, f), 1);

	dma_fence_signal(f);
	dma_fence_put(f);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);
}

static void hang_sync_file_named(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 ctx = dma_fence_context_alloc(2);
	struct dma_fence *a = mock_fence(book, ctx, 1);
	struct dma_fence *b = mock_fence(book, ctx + 1, 9);
	struct dma_fence **parts = kmalloc_array(2, sizeof(*parts), GFP_KERNEL);
	struct dma_fence_array *array;
	struct sync_file *one, *both;
	char want[64], *report;

	KUNIT_ASSERT_NOT_NULL(test, parts);
	one = sync_file_create(a);
	KUNIT_ASSERT_NOT_NULL(test, one);
	KUNIT_EXPECT_TRUE(test, hang_bit(a, DMA_FENCE_HANG_SYNC_FILE));
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, a), 1);
	snprintf(want, sizeof(want), "\tsync_file \"mock-mock%llu-1\"\n", ctx);
	report = hang_report(test, ctx);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report, want), "%s", report);

	/* a merge: the container and each part are tracked and held */
	parts[0] = dma_fence_get(a);
	parts[1] = dma_fence_get(b);
	array = dma_fence_array_create(2, parts, dma_fence_context_alloc(1), 1,
				       false);
	KUNIT_ASSERT_NOT_NULL(test, array);
	both = sync_file_create(&array->base);
	KUNIT_ASSERT_NOT_NULL(test, both);
	dma_fence_put(&array->base);
	KUNIT_EXPECT_TRUE(test, hang_bit(b, DMA_FENCE_HANG_SYNC_FILE));
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx + 1, b), 1);
	KUNIT_EXPECT_TRUE(test, hang_bit(&array->base, DMA_FENCE_HANG_SYNC_FILE));
	report = hang_report(test, ctx);
	/* a: in both sync_files; the array's name is made from the array */
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report, want), "%s", report);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report, "\tsync_file \"dma_fence_array-unbound"),
				  "%s", report);

	__fput_sync(one->file);
	__fput_sync(both->file);
	report = hang_report(test, ctx);
	KUNIT_EXPECT_NULL_MSG(test, strstr(report, "\tsync_file"), "%s", report);

	dma_fence_signal(a);
	dma_fence_signal(b);
	dma_fence_put(a);
	dma_fence_put(b);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx + 1, NULL), 0);
}

/* Cases that change the watchdog's limit put it back with this. */
static void hang_restore_timeout(void *old)
{
	dma_fence_hang_set_timeout((uintptr_t)old);
}

/* The watchdog off until the case ends; its limit back then. */
static void hang_watchdog_off(struct kunit *test)
{
	unsigned int old = dma_fence_hang_set_timeout(0);

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, hang_restore_timeout,
							(void *)(uintptr_t)old), 0);
}

#define HANG_RACE_FENCES	512

struct hang_race {
	struct dma_fence *fences[HANG_RACE_FENCES];
	atomic_t next;		/* fences published to the tracker */
	atomic_t ready;		/* fences the tracker is about to track */
	struct completion done;
};

/*
 * Tracks each fence as it is published, in step with the signaller: both
 * sides start on the same fence together, then race.
 */
static int hang_race_tracker(void *data)
{
	struct hang_race *r = data;
	int i;

	for (i = 0; i < HANG_RACE_FENCES; i++) {
		while (atomic_read_acquire(&r->next) <= i)
			cpu_relax();
		atomic_set_release(&r->ready, i + 1);
		dma_fence_hang_track(r->fences[i], DMA_FENCE_HANG_RESV);
	}
	complete(&r->done);
	return 0;
}

static void hang_track_races_signal(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 ctx = dma_fence_context_alloc(1);
	struct hang_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct task_struct *task;
	unsigned int i, linked = 0, cpu;

	KUNIT_ASSERT_NOT_NULL(test, r);
	/* no watchdog pass may tidy up what this case looks for */
	hang_watchdog_off(test);
	init_completion(&r->done);
	for (i = 0; i < HANG_RACE_FENCES; i++)
		r->fences[i] = mock_fence(book, ctx, i + 1);

	task = kthread_create(hang_race_tracker, r, "hang-race");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	if (cpu < nr_cpu_ids)
		kthread_bind(task, cpu);
	wake_up_process(task);

	for (i = 0; i < HANG_RACE_FENCES; i++) {
		atomic_set_release(&r->next, i + 1);
		while (atomic_read_acquire(&r->ready) <= i)
			cpu_relax();
		/* a little later each time: the two sides meet at every point */
		ndelay(i % 64);
		dma_fence_signal(r->fences[i]);
	}
	wait_for_completion(&r->done);

	for (i = 0; i < HANG_RACE_FENCES; i++) {
		linked += !list_empty(&r->fences[i]->hang.link);
		dma_fence_put(r->fences[i]);
	}
	KUNIT_EXPECT_EQ_MSG(test, linked, 0U, "signalled fences left on the list");
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);
}

static void hang_watchdog_once(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 ctx = dma_fence_context_alloc(2);
	struct dma_fence *waited = mock_fence(book, ctx, 1);
	struct dma_fence *parked = mock_fence(book, ctx + 1, 1);
	unsigned int old = dma_fence_hang_set_timeout(0);
	unsigned long end, before;
	struct dma_fence_cb cb;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, hang_restore_timeout,
							(void *)(uintptr_t)old), 0);

	dma_fence_hang_track(parked, DMA_FENCE_HANG_RESV);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(waited, &cb, hang_nop_cb), 0);

	/* off: nothing, however long */
	before = dma_fence_hang_warnings();
	msleep(200);
	KUNIT_EXPECT_FALSE(test, hang_bit(waited, DMA_FENCE_HANG_WARNED));

	/* on: the waited fence once, within a few periods */
	dma_fence_hang_set_timeout(50);
	end = jiffies + 5 * HZ;
	while (!hang_bit(waited, DMA_FENCE_HANG_WARNED) && time_before(jiffies, end))
		msleep(20);
	KUNIT_EXPECT_TRUE(test, hang_bit(waited, DMA_FENCE_HANG_WARNED));
	/* other fences of the system may have been named too: at least ours */
	KUNIT_EXPECT_GE(test, dma_fence_hang_warnings() - before, 1UL);
	msleep(300);	/* six more periods: the parked one has no waiter */
	KUNIT_EXPECT_FALSE(test, hang_bit(parked, DMA_FENCE_HANG_WARNED));
	KUNIT_EXPECT_NOT_NULL(test, strstr(hang_report(test, ctx),
					   "callbacks [callback warned]\n"));

	dma_fence_signal(waited);
	dma_fence_signal(parked);
	dma_fence_put(waited);
	dma_fence_put(parked);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx + 1, NULL), 0);
}

#define HANG_FOLD_SAME		200	/* fences of one context */
#define HANG_FOLD_FEW		3	/* contexts of one fence each */
#define HANG_FOLD_MANY		20	/* more contexts than a pass names */
#define HANG_FOLD_FENCES	HANG_FOLD_SAME

struct hang_many {
	struct dma_fence *fences[HANG_FOLD_FENCES];
	struct dma_fence_cb cbs[HANG_FOLD_FENCES];
	unsigned int n;
};

/* @n fences with a callback each, on @ctx or on contexts of their own. */
static struct hang_many *hang_many(struct kunit *test, struct mock_book *book,
				   u64 ctx, unsigned int n, bool one_context)
{
	struct hang_many *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, m);
	for (i = 0; i < n; i++) {
		m->fences[i] = mock_fence(book, one_context ? ctx : ctx + i, i + 1);
		m->n++;
		KUNIT_ASSERT_EQ(test, dma_fence_add_callback(m->fences[i], &m->cbs[i],
							     hang_nop_cb), 0);
	}
	return m;
}

static void hang_many_done(struct hang_many *m)
{
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		dma_fence_signal(m->fences[i]);
		dma_fence_put(m->fences[i]);
	}
	m->n = 0;
}

static unsigned int hang_many_warned(struct hang_many *m, unsigned int from,
				     unsigned int to)
{
	unsigned int i, n = 0;

	for (i = from; i < to; i++)
		n += hang_bit(m->fences[i], DMA_FENCE_HANG_WARNED);
	return n;
}

/*
 * Let every fence of @a and @b be overdue, then turn the watchdog on and
 * wait for all of them to be named and that pass to end.  Returns the
 * lines printed meanwhile less one for each fence of the rest of the
 * system named too (an overdue one there may make this case fail: not
 * in the test kernels, where nothing else waits that long).
 */
static unsigned long hang_lines_for(struct kunit *test, struct hang_many *a,
				    struct hang_many *b)
{
	unsigned long warned, end, others;
	struct dma_fence_hang_stats before, after;

	msleep(100);	/* every one of them overdue at the first pass */
	dma_fence_hang_watch_stats(&before);
	warned = dma_fence_hang_warnings();
	dma_fence_hang_set_timeout(50);
	end = jiffies + 5 * HZ;
	while ((hang_many_warned(a, 0, a->n) < a->n ||
		hang_many_warned(b, 0, b->n) < b->n) && time_before(jiffies, end))
		msleep(20);
	/* marked in the pass's chunks, its lines counted at its end */
	for (;;) {
		dma_fence_hang_watch_stats(&after);
		if (!after.running || !time_before(jiffies, end))
			break;
		msleep(20);
	}
	KUNIT_EXPECT_FALSE(test, after.running);
	dma_fence_hang_set_timeout(0);
	warned = dma_fence_hang_warnings() - warned;

	KUNIT_EXPECT_EQ(test, hang_many_warned(a, 0, a->n), a->n);
	KUNIT_EXPECT_EQ(test, hang_many_warned(b, 0, b->n), b->n);
	KUNIT_EXPECT_GE(test, warned, (unsigned long)(a->n + b->n));
	others = warned - (a->n + b->n);
	return after.lines - before.lines - min(others, after.lines - before.lines);
}

/*
 * A hung timeline is one line, not one per fence: 200 overdue fences of
 * one context and 3 of contexts of their own are 4 lines.  20 contexts
 * are 16 lines and a summary.  All of them are marked.
 */
static void hang_watchdog_folds_contexts(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 ctx = dma_fence_context_alloc(1 + HANG_FOLD_FEW + HANG_FOLD_MANY);
	struct hang_many *same, *few, *many, *none;
	unsigned long lines;

	hang_watchdog_off(test);
	same = hang_many(test, book, ctx, HANG_FOLD_SAME, true);
	few = hang_many(test, book, ctx + 1, HANG_FOLD_FEW, false);
	lines = hang_lines_for(test, same, few);
	KUNIT_EXPECT_EQ(test, lines, 1UL + HANG_FOLD_FEW);

	many = hang_many(test, book, ctx + 1 + HANG_FOLD_FEW, HANG_FOLD_MANY, false);
	none = hang_many(test, book, ctx, 0, true);
	lines = hang_lines_for(test, many, none);
	KUNIT_EXPECT_EQ(test, lines, 17UL);

	hang_many_done(same);
	hang_many_done(few);
	hang_many_done(many);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);
}

/*
 * A pass looks at the overdue fences and the first one that is not, not
 * at every fence with a waiter: 2000 of them and a long limit cost a few
 * looks per pass.
 */
static void hang_watchdog_looks_at_overdue_only(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence_hang_stats before, after;
	struct hang_many *m[10];
	unsigned long warned, end;
	unsigned int i;

	hang_watchdog_off(test);
	for (i = 0; i < ARRAY_SIZE(m); i++)
		m[i] = hang_many(test, book, ctx, 200, true);

	dma_fence_hang_watch_stats(&before);
	warned = dma_fence_hang_warnings();
	end = jiffies + 10 * HZ;
	do {
		/* each write is a pass at once */
		dma_fence_hang_set_timeout(3600 * 1000);
		msleep(50);
		dma_fence_hang_watch_stats(&after);
	} while (after.passes - before.passes < 4 && time_before(jiffies, end));
	warned = dma_fence_hang_warnings() - warned;

	KUNIT_EXPECT_GE(test, after.passes - before.passes, 4UL);
	/* one look per pass, and one per fence of the system named meanwhile */
	KUNIT_EXPECT_LE(test, after.looked - before.looked,
			(after.passes - before.passes) + warned + 8);
	for (i = 0; i < ARRAY_SIZE(m); i++) {
		KUNIT_EXPECT_EQ(test, hang_many_warned(m[i], 0, 200), 0U);
		hang_many_done(m[i]);
	}
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);
}

/*
 * Waiters that gave up leave the fence aside, unnamed; the next waiter
 * brings it back, overdue at once.
 */
static void hang_watchdog_idle_until_waited_again(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *f = mock_fence(book, ctx, 1);
	struct dma_fence_cb cb;
	unsigned long end;

	hang_watchdog_off(test);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(f, &cb, hang_nop_cb), 0);
	KUNIT_EXPECT_TRUE(test, dma_fence_remove_callback(f, &cb));
	msleep(100);

	dma_fence_hang_set_timeout(50);
	end = jiffies + 5 * HZ;
	while (!hang_bit(f, DMA_FENCE_HANG_IDLE) && time_before(jiffies, end))
		msleep(20);
	KUNIT_EXPECT_TRUE(test, hang_bit(f, DMA_FENCE_HANG_IDLE));
	msleep(300);	/* six more periods: still nobody waits */
	KUNIT_EXPECT_FALSE(test, hang_bit(f, DMA_FENCE_HANG_WARNED));
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, f), 1);

	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(f, &cb, hang_nop_cb), 0);
	KUNIT_EXPECT_FALSE(test, hang_bit(f, DMA_FENCE_HANG_IDLE));
	end = jiffies + 5 * HZ;
	while (!hang_bit(f, DMA_FENCE_HANG_WARNED) && time_before(jiffies, end))
		msleep(20);
	KUNIT_EXPECT_TRUE(test, hang_bit(f, DMA_FENCE_HANG_WARNED));

	dma_fence_signal(f);
	dma_fence_put(f);
	KUNIT_EXPECT_EQ(test, hang_tracked(test, ctx, NULL), 0);
}

static struct kunit_case dma_fence_hang_cases[] = {
	KUNIT_CASE(hang_not_tracked_until_used),
	KUNIT_CASE(hang_callback_tracked_until_signal),
	KUNIT_CASE(hang_sleeper_counted),
	KUNIT_CASE(hang_resv_of_no_buffer),
	KUNIT_CASE(hang_exported_buffer_named),
	KUNIT_CASE(hang_sync_file_named),
	KUNIT_CASE(hang_track_races_signal),
	KUNIT_CASE(hang_watchdog_once),
	KUNIT_CASE(hang_watchdog_folds_contexts),
	KUNIT_CASE(hang_watchdog_looks_at_overdue_only),
	KUNIT_CASE(hang_watchdog_idle_until_waited_again),
	{}
};

static struct kunit_suite dma_fence_hang_suite = {
	.name = "dma-fence-hang",
	.test_cases = dma_fence_hang_cases,
};

kunit_test_suite(dma_fence_hang_suite);

MODULE_DESCRIPTION("KUnit tests for the fence-hang diagnostics");
MODULE_LICENSE("GPL");
