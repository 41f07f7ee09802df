// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Mock fences and helpers of the dmabuf_selftests module.
 */

/**
 * DOC: dmabuf_selftests mock fences
 *
 * dmabuf_st_fence() makes a pending fence on a given context (0: a fresh
 * one) whose ops record what the core asks of them: ->set_deadline stores
 * the deadline and counts the calls, ->enable_signaling can be told to
 * refuse, ->release counts the fence out of a module-wide tally of live
 * mock fences before freeing it. dmabuf_st_settle() waits a bounded time
 * (releases may come from irq_work or a timer) for that tally to reach zero.
 *
 * dmabuf_st_signal_later() arms a one-shot timer that signals a fence, so
 * a subtest can wait on a fence that some other context completes.
 */

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/printk.h>
#include <linux/slab.h>

#include "dmabuf-st.h"

static atomic_t st_live_fences = ATOMIC_INIT(0);

static const char *st_fence_name(struct dma_fence *fence)
{
	return "dmabuf_selftests";
}

static bool st_fence_enable_signaling(struct dma_fence *fence)
{
	return !to_dmabuf_st_fence(fence)->refuse_signaling;
}

/* Called under no lock of ours; the core serialises nothing for it. */
static void st_fence_set_deadline(struct dma_fence *fence, ktime_t deadline)
{
	struct dmabuf_st_fence *mf = to_dmabuf_st_fence(fence);

	WRITE_ONCE(mf->deadline, deadline);
	WRITE_ONCE(mf->deadline_calls, mf->deadline_calls + 1);
}

static void st_fence_release(struct dma_fence *fence)
{
	atomic_dec(&st_live_fences);
	dma_fence_free(fence);
}

static const struct dma_fence_ops st_fence_ops = {
	.get_driver_name = st_fence_name,
	.get_timeline_name = st_fence_name,
	.enable_signaling = st_fence_enable_signaling,
	.set_deadline = st_fence_set_deadline,
	.release = st_fence_release,
};

/**
 * to_dmabuf_st_fence() - the mock behind a fence
 * @fence: a fence made by dmabuf_st_fence()
 *
 * Return: the containing &struct dmabuf_st_fence.
 */
struct dmabuf_st_fence *to_dmabuf_st_fence(struct dma_fence *fence)
{
	return container_of(fence, struct dmabuf_st_fence, base);
}

/**
 * dmabuf_st_fence() - a new pending mock fence
 * @context: its context, or 0 for a context of its own
 * @seqno: its sequence number
 *
 * Return: the fence with one reference, or NULL if out of memory.
 */
struct dma_fence *dmabuf_st_fence(u64 context, u64 seqno)
{
	struct dmabuf_st_fence *mf = kzalloc(sizeof(*mf), GFP_KERNEL);

	if (!mf)
		return NULL;
	spin_lock_init(&mf->lock);
	dma_fence_init(&mf->base, &st_fence_ops, &mf->lock,
		       context ?: dma_fence_context_alloc(1), seqno);
	atomic_inc(&st_live_fences);
	return &mf->base;
}

/**
 * dmabuf_st_fence_signaled() - a new mock fence, already signalled
 * @context: its context, or 0 for a context of its own
 * @seqno: its sequence number
 *
 * Return: the fence with one reference, or NULL if out of memory.
 */
struct dma_fence *dmabuf_st_fence_signaled(u64 context, u64 seqno)
{
	struct dma_fence *f = dmabuf_st_fence(context, seqno);

	if (f)
		dma_fence_signal(f);
	return f;
}

/**
 * dmabuf_st_settle() - check that every mock fence has been released
 *
 * Waits up to a second for late releases (irq_work, timers).
 *
 * Return: 0, or -EBUSY (and a log line) if mock fences are still alive.
 */
int dmabuf_st_settle(void)
{
	unsigned long end = jiffies + HZ;
	int live;

	while ((live = atomic_read(&st_live_fences)) && time_before(jiffies, end))
		usleep_range(500, 1000);
	if (!live)
		return 0;
	pr_err("dma-buf/selftests: %d mock fence(s) still referenced\n", live);
	return -EBUSY;
}

/**
 * dmabuf_st_report() - log an expectation that did not hold
 * @func: the subtest function
 * @line: source line of the expectation
 * @what: the expectation, as written
 *
 * Return: -EINVAL, the error of a subtest with a wrong result.
 */
int dmabuf_st_report(const char *func, int line, const char *what)
{
	pr_err("dma-buf/selftests: %s:%d: expected %s\n", func, line, what);
	return -EINVAL;
}

static void st_timer_fire(struct timer_list *timer)
{
	struct dmabuf_st_timer *t = from_timer(t, timer, timer);

	dma_fence_signal(t->fence);
}

/**
 * dmabuf_st_signal_later() - signal @fence from a timer
 * @t: the timer state, owned by the caller until dmabuf_st_timer_stop()
 * @fence: the fence; the caller keeps it referenced until then
 * @delay: jiffies from now
 */
void dmabuf_st_signal_later(struct dmabuf_st_timer *t, struct dma_fence *fence,
			    unsigned long delay)
{
	t->fence = fence;
	timer_setup_on_stack(&t->timer, st_timer_fire, 0);
	mod_timer(&t->timer, jiffies + delay);
}

/**
 * dmabuf_st_timer_stop() - make sure the timer is gone and its fence done
 * @t: a timer armed by dmabuf_st_signal_later()
 *
 * Signals the fence if the timer did not get to it.
 */
void dmabuf_st_timer_stop(struct dmabuf_st_timer *t)
{
	timer_shutdown_sync(&t->timer);
	destroy_timer_on_stack(&t->timer);
	dma_fence_signal(t->fence);
}
