// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-fence-hang: which fences are stuck, who waits on them and who holds
 * them (CONFIG_DMA_FENCE_DEBUG_HANG).
 */

/**
 * DOC: fence-hang diagnostics
 *
 * A fence that never signals stalls everything behind it: the compositor
 * waiting on a client's rendering, the scheduler job depending on it, the
 * buffer whose reservation object holds it.  Drivers notice only their own
 * fences, through their job timeouts; an importer that waits on somebody
 * else's fence sees a task in D state and nothing else.  With
 * CONFIG_DMA_FENCE_DEBUG_HANG the fence core keeps a list of the pending
 * fences that matter - those that a task sleeps on, that carry a
 * callback, that sit in a &dma_resv or in a sync_file - and offers two
 * views of it:
 *
 * ``/sys/kernel/debug/dma_buf/fence_hangs`` lists them, oldest first, one
 * line each: driver and timeline names, context and seqno, how long since
 * dma_fence_init() and since the first waiter, the number of sleeping
 * tasks, whether callbacks are queued, and why it is tracked.  Under each
 * line, where it is held: every exported dma-buf whose reservation object
 * holds it (inode number, exporter, name, usage) and every open sync_file
 * that contains it; a fence only in reservation objects of buffers that
 * were never exported says so, and so does a fence whose issuer reports
 * it done (&dma_fence_ops.signaled) although nobody signalled it, a lost
 * interrupt: the report asks, it does not signal.  Names are printed with
 * bytes outside printable ASCII, backslashes and double quotes escaped
 * (``\ooo``).  The reasons in brackets are some of
 * waited, callback, resv, sync_file and, once the watchdog has named the
 * fence, warned.  For example, with the sw_sync timeline "tl": seqno 1
 * imported into a buffer and into a sync_file, seqno 2 waited on by a
 * task (the lines under a fence start with a tab)::
 *
 *   tracked 2 pending, watchdog 10000 ms, warned 0
 *   sw_sync tl context 9 seqno 1: pending 5012 ms, 0 sleeping, no callbacks [resv sync_file]
 *       dma-buf 1017 system "frame-0" usage write
 *       sync_file "sw_sync-tl9-1"
 *   sw_sync tl context 9 seqno 2: pending 900 ms, waited 890 ms, 1 sleeping, callbacks [waited]
 *
 * A watchdog checks the list every quarter of
 * ``/sys/kernel/debug/dma_buf/fence_hang_timeout_ms`` (default 10000; 0
 * turns it off, writing it re-checks at once), at least once a second.  A
 * fence that was first waited on longer ago than that, and is still waited
 * on, is named once, with ``pr_warn()``: ``dma-fence hang: <driver>
 * <timeline> context <c> seqno <s> pending <ms> ms with <n> sleeping
 * task(s)[ and callbacks][, and <m> more of its context]``.  A hung engine
 * stalls its whole timeline, so a pass names the oldest overdue fence of
 * each context and counts the others of that context with it; past 16
 * contexts, one line counts the rest (``dma-fence hang: and <m> more
 * fence(s) of other contexts, ...``); all of them are marked warned.  The
 * fence named for a context is the one with the earliest first waiter.
 * Containers are left to the fences inside them.  A fence whose waiters
 * all gave up (timed out) is put aside, unnamed and marked idle, until it
 * has a waiter again; then the next pass names it (its first waiter is
 * still the old one).  The watchdog runs while some fence has waiters
 * and has not been named or put aside.  Raising the limit can leave a
 * fence that is no longer overdue ahead of older ones, delaying them by
 * at most the difference.
 *
 * Cost: each fence carries a &struct dma_fence_hang (48 bytes on 64-bit);
 * dma_fence_init() fills it, signalling and release test one word of it.
 * The first waiter, callback, reservation object or sync_file of a fence
 * takes the global list lock once each, and signalling a tracked fence
 * takes it again.  The fences with waiters are kept in the order of their
 * first waiter, so a watchdog pass looks at the overdue ones and one more,
 * not at all that are tracked, and lets go of the lock every 256 fences.
 * Reading fence_hangs walks all of them with interrupts off.  Without the
 * option, none of this is compiled.
 *
 * What it asks of issuers: a fence that was waited on, or was in a
 * reservation object or a sync_file, must leave through the core, by
 * signalling or by its last dma_fence_put(); its memory must not be freed
 * or initialised again behind the core's back while it is pending (with
 * the option on, that would leave a dangling entry on the list).
 *
 * Locking: a spinlock, taken with interrupts off, protects the list; it
 * nests inside &dma_fence.lock (callbacks are added and fences signalled
 * under it), and only the workqueue's own locks, for arming the watchdog,
 * nest inside it (the watchdog only tries a fence's lock under it, to see
 * whether a callback is being added; so, like dma_fence_add_callback(), it
 * relies on the lock outliving the fence).  A fence is unlinked when it
 * signals (if its issuer
 * signals behind the core's back, as i915 does, by the next walk of the
 * list) and, at the latest, when its last reference goes, before the
 * issuer's release runs; so a fence on the list is valid memory as long as
 * the lock is held, and the readers take a reference to each fence, with
 * kref_get_unless_zero(), before dropping the lock and looking at it.  The
 * debugfs reader looks at reservation objects without their locks (the
 * owner of a stuck fence often holds one) and at sync_files under their
 * list's mutex.
 */

#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "dma-fence-hang.h"

#define HANG_TIMEOUT_MS_DEFAULT	10000
/* Contexts the watchdog names per pass; the others go in one summary. */
#define HANG_WARN_CONTEXTS	16
/* Fences the watchdog looks at before it lets go of the lock a while. */
#define HANG_WATCH_CHUNK	256

/*
 * A tracked fence is on one of two lists.  hang_watched: those with
 * waiters that the watchdog has not named yet, in the order of their
 * first waiter, so that a pass stops at the first one not yet overdue.
 * hang_held: all others (only held by a resv or a sync_file, containers,
 * named already, or IDLE: overdue when its waiters had all left).  And,
 * while a pass runs, hang_keep.
 */
static DEFINE_SPINLOCK(hang_lock);
static LIST_HEAD(hang_watched);
static LIST_HEAD(hang_held);
/* Looked at by the running pass, to look at again in the next one. */
static LIST_HEAD(hang_keep);
static unsigned int hang_count;		/* on either list */
static bool hang_watch_armed;		/* the work is queued or running */
static unsigned int hang_timeout_ms = HANG_TIMEOUT_MS_DEFAULT;
static atomic_long_t hang_warned;	/* fences named */
static unsigned long hang_lines;	/* lines the watchdog printed */
static unsigned long hang_looked;	/* fences its passes looked at */
static unsigned long hang_passes;
static bool hang_pass_running;		/* between two chunks */

static void hang_watch(struct work_struct *work);
static DECLARE_DELAYED_WORK(hang_watch_work, hang_watch);

static unsigned long hang_period(unsigned int ms)
{
	return clamp(msecs_to_jiffies(ms) / 4, 1UL, (unsigned long)HZ);
}

/* Under hang_lock: queue the watchdog unless it is already on its way. */
static void hang_watch_arm(unsigned long delay)
{
	unsigned int ms = READ_ONCE(hang_timeout_ms);

	if (!ms || hang_watch_armed)
		return;
	hang_watch_armed = true;
	queue_delayed_work(system_wq, &hang_watch_work,
			   delay ?: hang_period(ms));
}

/*
 * Called from dma_fence_hang_track() the first time @why happens to
 * @fence, or for a new waiter of an IDLE fence: possibly with
 * &dma_fence.lock held and in interrupt context.  At most a handful of
 * times per fence, so all of it under the lock: the first waiter's time
 * is then read under the same lock as the watched list's order.
 *
 * The reason bit goes in first, so that a reader finding the fence on a
 * list sees why.  Then, once per fence, TRACKED: against a concurrent
 * signal, each side sets its bit with a full barrier and then looks at
 * the other's (the signal path through dma_fence_hang_done()), so either
 * this sees SIGNALED and does not link, or the signal path sees TRACKED
 * and unlinks under the lock, after us.
 */
void __dma_fence_hang_track(struct dma_fence *fence, unsigned int why)
{
	struct dma_fence_hang *hang = &fence->hang;
	bool waiter = BIT(why) & DMA_FENCE_HANG_WAITER_BITS;
	unsigned long flags, old;

	if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return;		/* nothing to diagnose; not even a lock */

	spin_lock_irqsave(&hang_lock, flags);
	old = READ_ONCE(hang->state);
	if (waiter && !(old & DMA_FENCE_HANG_WAITER_BITS))
		WRITE_ONCE(hang->since, jiffies);
	/* pairs with the smp_rmb() of hang_since(): a waiter bit, a time */
	smp_mb__before_atomic();
	set_bit(why, &hang->state);
	if (!test_and_set_bit(DMA_FENCE_HANG_TRACKED, &hang->state)) {
		if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
			goto out;
		WRITE_ONCE(hang_count, hang_count + 1);
		if (waiter && !dma_fence_is_container(fence)) {
			list_add_tail(&hang->link, &hang_watched);
			hang_watch_arm(0);
		} else {
			list_add_tail(&hang->link, &hang_held);
		}
	} else if (waiter && !list_empty(&hang->link)) {
		if (old & BIT(DMA_FENCE_HANG_IDLE)) {
			/* overdue already: first in line */
			clear_bit(DMA_FENCE_HANG_IDLE, &hang->state);
			list_move(&hang->link, &hang_watched);
			hang_watch_arm(0);
		} else if (!(old & DMA_FENCE_HANG_WAITER_BITS) &&
			   !dma_fence_is_container(fence)) {
			list_move_tail(&hang->link, &hang_watched);
			hang_watch_arm(0);
		}
	}
out:
	spin_unlock_irqrestore(&hang_lock, flags);
}

/* From dma_fence_hang_done(): the fence signalled, or is being released. */
void __dma_fence_hang_untrack(struct dma_fence *fence)
{
	struct dma_fence_hang *hang = &fence->hang;
	unsigned long flags;

	spin_lock_irqsave(&hang_lock, flags);
	if (!list_empty(&hang->link)) {
		list_del_init(&hang->link);
		WRITE_ONCE(hang_count, hang_count - 1);
	}
	spin_unlock_irqrestore(&hang_lock, flags);
}

/*
 * Queued callbacks, read without the fence lock: the head shares storage
 * with the timestamp, so only its address is compared, and only while the
 * fence is unsignalled.  Good enough for a report.
 */
static bool hang_has_callbacks(struct dma_fence *fence)
{
	return !test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags) &&
	       READ_ONCE(fence->cb_list.next) != &fence->cb_list;
}

static bool hang_is_waited(struct dma_fence *fence)
{
	return atomic_read(&fence->hang.waiters) > 0 ||
	       hang_has_callbacks(fence);
}

/*
 * How long ago, in ms, @then was; 0 if it is after @now (read earlier).
 */
static unsigned int hang_ms_since(unsigned long now, unsigned long then)
{
	return time_after(then, now) ? 0 : jiffies_to_msecs(now - then);
}

/* When the first waiter came, if one came; @state read before. */
static bool hang_since(struct dma_fence *fence, unsigned long state,
		       unsigned long *since)
{
	if (!(state & DMA_FENCE_HANG_WAITER_BITS))
		return false;
	smp_rmb();	/* the bit, then the time it was set with */
	*since = READ_ONCE(fence->hang.since);
	return true;
}

/*
 * Under hang_lock: take @fence off the list if it is signalled.  Issuers
 * that signal behind the core's back (i915 sets the bit and runs the
 * callbacks itself) leave it linked until the last reference goes; the
 * walks tidy up after them.
 */
static bool hang_drop_signalled(struct dma_fence *fence)
{
	if (!test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return false;
	list_del_init(&fence->hang.link);
	WRITE_ONCE(hang_count, hang_count - 1);
	return true;
}

/*
 * Under hang_lock: mark @fence IDLE if nobody waits on it any more.  A
 * callback is added under the fence's lock, which can only be tried here
 * (hang_lock nests inside it); a sleeper counts itself before it looks
 * for IDLE, and the count is read after IDLE is set.  Either the new
 * waiter sees IDLE and puts the fence back, or this sees the waiter.
 */
static bool hang_set_idle(struct dma_fence *fence)
{
	struct dma_fence_hang *hang = &fence->hang;
	bool idle = false;

	if (!spin_trylock(fence->lock))
		return false;
	if (!hang_has_callbacks(fence)) {
		set_bit(DMA_FENCE_HANG_IDLE, &hang->state);
		/* IDLE, then the count; wait_begin: the count, then IDLE */
		smp_mb__after_atomic();
		idle = !atomic_read(&hang->waiters);
		if (!idle)
			clear_bit(DMA_FENCE_HANG_IDLE, &hang->state);
	}
	spin_unlock(fence->lock);
	return idle;
}

struct hang_named {
	struct dma_fence *fence;	/* a reference */
	unsigned int others;		/* overdue of the same context */
};

struct hang_pass {
	struct hang_named named[HANG_WARN_CONTEXTS];
	unsigned int n;			/* in @named */
	unsigned int rest;		/* overdue, of other contexts */
	unsigned long now, limit;
};

/*
 * Under hang_lock: look at up to HANG_WATCH_CHUNK watched fences, oldest
 * waiter first.  Returns false if the chunk ran out before the first one
 * not yet overdue (or the end of the list).  Each fence looked at leaves
 * the watched list, unless it is not overdue, which ends the pass; those
 * to look at again go on hang_keep until the pass ends.  So the next
 * chunk goes on where this one stopped.
 */
static bool hang_watch_chunk(struct hang_pass *p)
{
	struct dma_fence_hang *hang, *next;
	unsigned int budget = HANG_WATCH_CHUNK, i;

	list_for_each_entry_safe(hang, next, &hang_watched, link) {
		struct dma_fence *fence = container_of(hang, struct dma_fence,
						       hang);

		if (!budget--)
			return false;
		hang_looked++;
		if (hang_drop_signalled(fence))
			continue;
		if (time_before(p->now, READ_ONCE(hang->since) + p->limit))
			return true;	/* and so are all behind it */
		if (!hang_is_waited(fence)) {
			/* its waiters gave up: aside, until one comes back */
			list_move_tail(&hang->link, hang_set_idle(fence) ?
				       &hang_held : &hang_keep);
			continue;
		}
		/* a hung engine stalls a whole timeline: one line for it */
		for (i = 0; i < p->n; i++)
			if (p->named[i].fence->context == fence->context)
				break;
		if (i < p->n) {
			p->named[i].others++;
		} else if (p->n < ARRAY_SIZE(p->named)) {
			if (!kref_get_unless_zero(&fence->refcount)) {
				/* being released: unlinked soon */
				list_move_tail(&hang->link, &hang_keep);
				continue;
			}
			p->named[p->n].fence = fence;
			p->named[p->n++].others = 0;
		} else {
			p->rest++;
		}
		set_bit(DMA_FENCE_HANG_WARNED, &hang->state);
		list_move_tail(&hang->link, &hang_held);
		atomic_long_inc(&hang_warned);
	}
	return true;
}

static void hang_watch(struct work_struct *work)
{
	struct hang_pass pass = { }, *p = &pass;
	unsigned int ms, i, chunks = 0, max_chunks = 0;
	bool done = false;

	while (!done) {
		spin_lock_irq(&hang_lock);
		ms = hang_timeout_ms;
		if (!chunks) {
			/* one clock for the whole pass, and an end to it */
			p->now = jiffies;
			max_chunks = hang_count / HANG_WATCH_CHUNK + 2;
		}
		if (ms) {
			p->limit = msecs_to_jiffies(ms);
			done = hang_watch_chunk(p) || ++chunks == max_chunks;
		} else {
			done = true;	/* off: re-armed when set again */
		}
		hang_pass_running = !done;
		if (done) {
			/* overdue: back at the head, where they were */
			list_splice_init(&hang_keep, &hang_watched);
			hang_watch_armed = false;
			if (!list_empty(&hang_watched))
				hang_watch_arm(0);
			if (ms)
				hang_passes++;
			/* counted with the marks: the tests see a pass whole */
			hang_lines += p->n + !!p->rest;
		}
		spin_unlock_irq(&hang_lock);
		if (!done)
			cond_resched();	/* irqs were off for a chunk */
	}

	for (i = 0; i < p->n; i++) {
		struct dma_fence *fence = p->named[i].fence;
		char others[48] = "";

		if (p->named[i].others)
			snprintf(others, sizeof(others),
				 ", and %u more of its context",
				 p->named[i].others);
		rcu_read_lock();
		pr_warn("dma-fence hang: %s %s context %llu seqno %llu pending %u ms with %d sleeping task(s)%s%s\n",
			dma_fence_driver(fence), dma_fence_timeline(fence),
			fence->context, fence->seqno,
			hang_ms_since(jiffies, fence->hang.born),
			atomic_read(&fence->hang.waiters),
			hang_has_callbacks(fence) ? " and callbacks" : "",
			others);
		rcu_read_unlock();
		dma_fence_put(fence);
	}
	if (p->rest) {
		pr_warn("dma-fence hang: and %u more fence(s) of other contexts, see <debugfs>/dma_buf/fence_hangs\n",
			p->rest);
	}
}

/*
 * References to the tracked fences (of @context, or all for U64_MAX), at
 * most @max; sets *@more if there were others.  Process context.
 */
static unsigned int hang_snapshot(u64 context, struct dma_fence **out,
				  unsigned int max, bool *more)
{
	struct list_head *lists[] = { &hang_watched, &hang_keep, &hang_held };
	struct dma_fence_hang *hang, *next;
	unsigned int n = 0, l;

	*more = false;
	spin_lock_irq(&hang_lock);
	for (l = 0; l < ARRAY_SIZE(lists); l++) {
		list_for_each_entry_safe(hang, next, lists[l], link) {
			struct dma_fence *fence =
				container_of(hang, struct dma_fence, hang);

			if (hang_drop_signalled(fence))
				continue;
			if (context != U64_MAX && fence->context != context)
				continue;
			if (n == max) {
				*more = true;
				goto out;
			}
			if (kref_get_unless_zero(&fence->refcount))
				out[n++] = fence;
		}
	}
out:
	spin_unlock_irq(&hang_lock);
	return n;
}

static int hang_cmp_born(const void *a, const void *b)
{
	const struct dma_fence *x = *(struct dma_fence * const *)a;
	const struct dma_fence *y = *(struct dma_fence * const *)b;

	if (x->hang.born == y->hang.born)
		return 0;
	return time_before(x->hang.born, y->hang.born) ? -1 : 1;
}

static const char * const hang_reasons[] = {
	[DMA_FENCE_HANG_WAITED] = "waited",
	[DMA_FENCE_HANG_CALLBACK] = "callback",
	[DMA_FENCE_HANG_RESV] = "resv",
	[DMA_FENCE_HANG_SYNC_FILE] = "sync_file",
	[DMA_FENCE_HANG_WARNED] = "warned",
	[DMA_FENCE_HANG_IDLE] = "idle",
};

/**
 * dma_fence_hang_puts - print a name into the hang report, escaped
 * @s: the report
 * @str: a name from a driver or from userspace (a task's comm, a buffer's
 *	name)
 *
 * Bytes outside printable ASCII, backslashes and double quotes become
 * ``\ooo``: a name cannot forge a line of the report or end its quotes.
 */
void dma_fence_hang_puts(struct seq_file *s, const char *str)
{
	const unsigned char *c;

	for (c = (const unsigned char *)str; *c; c++) {
		if (*c < 0x20 || *c >= 0x7f || *c == '\\' || *c == '"')
			seq_printf(s, "\\%03o", *c);
		else
			seq_putc(s, *c);
	}
}

static int hang_print_one(struct seq_file *s, struct dma_fence *fence)
{
	unsigned long state = READ_ONCE(fence->hang.state), now, since;
	const char *sep = "";
	unsigned int bit;
	int held;

	/* after the state: a time set with a bit seen is not in the future */
	now = jiffies;
	rcu_read_lock();
	dma_fence_hang_puts(s, dma_fence_driver(fence));
	seq_putc(s, ' ');
	dma_fence_hang_puts(s, dma_fence_timeline(fence));
	rcu_read_unlock();
	seq_printf(s, " context %llu seqno %llu: pending %u ms",
		   fence->context, fence->seqno,
		   hang_ms_since(now, fence->hang.born));
	if (hang_since(fence, state, &since))
		seq_printf(s, ", waited %u ms", hang_ms_since(now, since));
	seq_printf(s, ", %d sleeping, %s [", atomic_read(&fence->hang.waiters),
		   hang_has_callbacks(fence) ? "callbacks" : "no callbacks");
	for (bit = DMA_FENCE_HANG_WAITED; bit < ARRAY_SIZE(hang_reasons); bit++) {
		if (!(state & BIT(bit)))
			continue;
		seq_printf(s, "%s%s", sep, hang_reasons[bit]);
		sep = " ";
	}
	seq_puts(s, "]\n");

	/*
	 * Asked, not signalled from here: a fence whose interrupt was lost
	 * must stay in the report that is meant to show it.
	 */
	if (fence->ops->signaled && fence->ops->signaled(fence))
		seq_puts(s, "\tthe issuer reports it done, but it was never signalled\n");

	held = 0;
	if (state & BIT(DMA_FENCE_HANG_RESV))
		held = dma_buf_list_describe_resv(s, fence);
	if (held < 0)
		return held;
	if (IS_ENABLED(CONFIG_SYNC_FILE))
		sync_file_hang_describe(s, fence);
	if (!held && (state & BIT(DMA_FENCE_HANG_RESV)))
		seq_puts(s, "\twas added to a dma-resv; no exported dma-buf holds it\n");
	return 0;
}

/**
 * dma_fence_hang_print - the fence_hangs report
 * @s: where to print
 * @context: only the fences of this context, or U64_MAX for all
 *
 * The debugfs file's contents (see "fence-hang diagnostics"), and what
 * the KUnit suite checks.  Sleeps.
 *
 * Returns: 0, -ENOMEM, or -EINTR if a signal interrupted the wait for the
 * buffer list.
 */
int dma_fence_hang_print(struct seq_file *s, u64 context)
{
	unsigned int max = READ_ONCE(hang_count) + 16, n, i;
	struct dma_fence **fences;
	int ret = 0;
	bool more;

	fences = kvmalloc_array(max, sizeof(*fences), GFP_KERNEL);
	if (!fences)
		return -ENOMEM;
	n = hang_snapshot(context, fences, max, &more);
	sort(fences, n, sizeof(*fences), hang_cmp_born, NULL);

	seq_printf(s, "tracked %u pending, watchdog %u ms, warned %ld\n",
		   READ_ONCE(hang_count), READ_ONCE(hang_timeout_ms),
		   atomic_long_read(&hang_warned));
	for (i = 0; i < n; i++) {
		/*
		 * Signalled since the snapshot: no longer of interest.  Once
		 * the buffer is full, seq_file calls again with a bigger one:
		 * only the references are left to drop.
		 */
		if (!ret && !seq_has_overflowed(s) &&
		    !test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fences[i]->flags))
			ret = hang_print_one(s, fences[i]);
		dma_fence_put(fences[i]);
	}
	if (more && !ret)
		seq_puts(s, "(more were tracked than the snapshot held)\n");
	kvfree(fences);
	return ret;
}

/**
 * dma_fence_hang_scan - the tracked pending fences of a context
 * @context: the context
 * @out: receives a reference to each, which the caller puts
 * @max: room in @out
 *
 * Returns: the number of fences stored.
 */
unsigned int dma_fence_hang_scan(u64 context, struct dma_fence **out,
				 unsigned int max)
{
	bool more;

	return hang_snapshot(context, out, max, &more);
}

/**
 * dma_fence_hang_set_timeout - set the watchdog's limit
 * @ms: milliseconds a fence may have waiters before it is named; 0: off
 *
 * Re-checks the list at once.
 *
 * Returns: the previous limit.
 */
unsigned int dma_fence_hang_set_timeout(unsigned int ms)
{
	unsigned int old;

	spin_lock_irq(&hang_lock);
	old = hang_timeout_ms;
	WRITE_ONCE(hang_timeout_ms, ms);
	if (hang_watch_armed)
		mod_delayed_work(system_wq, &hang_watch_work, 0);
	else if (!list_empty(&hang_watched))
		hang_watch_arm(1);
	spin_unlock_irq(&hang_lock);
	return old;
}

/**
 * dma_fence_hang_warnings - how many fences the watchdog has named
 *
 * Returns: the count since boot.
 */
unsigned long dma_fence_hang_warnings(void)
{
	return atomic_long_read(&hang_warned);
}

/**
 * dma_fence_hang_watch_stats - what the watchdog has done, for the tests
 * @st: receives its passes, the fences they looked at and the lines they
 *	printed, since boot, and whether a pass is under way
 */
void dma_fence_hang_watch_stats(struct dma_fence_hang_stats *st)
{
	spin_lock_irq(&hang_lock);
	st->passes = hang_passes;
	st->looked = hang_looked;
	st->lines = hang_lines;
	st->running = hang_pass_running;
	spin_unlock_irq(&hang_lock);
}

static int fence_hangs_show(struct seq_file *s, void *unused)
{
	return dma_fence_hang_print(s, U64_MAX);
}
DEFINE_SHOW_ATTRIBUTE(fence_hangs);

static int hang_timeout_get(void *data, u64 *val)
{
	*val = READ_ONCE(hang_timeout_ms);
	return 0;
}

static int hang_timeout_set(void *data, u64 val)
{
	if (val > UINT_MAX)
		return -EINVAL;
	dma_fence_hang_set_timeout(val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(hang_timeout_fops, hang_timeout_get,
			 hang_timeout_set, "%llu\n");

/* From dma_buf_debugfs_init(), into its dma_buf directory. */
void dma_fence_hang_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("fence_hangs", 0444, dir, NULL, &fence_hangs_fops);
	debugfs_create_file_unsafe("fence_hang_timeout_ms", 0644, dir, NULL,
				   &hang_timeout_fops);
}
