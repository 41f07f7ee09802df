/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Private interface of the dmabuf_selftests module (CONFIG_DMABUF_SELFTESTS):
 * shared by its runner, its mock fences and its test groups.
 */

/**
 * DOC: dmabuf_selftests internals
 *
 * The module is a list of groups (&struct dmabuf_st_group), each a named
 * table of subtests (&struct dmabuf_st_case). A subtest is a plain function
 * returning 0 when every expectation held and a negative errno otherwise:
 * the error of the API call that failed, or -EINVAL for a wrong result.
 * Expectations are written with st_expect(), which logs the condition and
 * its line and yields that -EINVAL, so a subtest reads as a chain of checks
 * joined with ``?:``::
 *
 *	err = st_expect(!dma_fence_is_signaled(f)) ?:
 *	      st_expect(dma_fence_signal(f) == 0);
 *
 * Fences under test come from dmabuf_st_fence() (st-mock.c): kmalloc'd,
 * each with its own lock, counted while alive. After every subtest the
 * runner waits briefly for that count to return to zero, so a subtest that
 * leaks a reference fails even if all its checks passed.
 *
 * Locking: subtests run in the context of module init (may sleep, no locks
 * held). Nothing here may be called from a fence callback.
 */

#ifndef DMA_BUF_SELFTESTS_DMABUF_ST_H
#define DMA_BUF_SELFTESTS_DMABUF_ST_H

#include <linux/dma-fence.h>
#include <linux/ktime.h>
#include <linux/timer.h>
#include <linux/types.h>

/**
 * struct dmabuf_st_case - one subtest
 * @name: its name in the log and in st_filter (a C identifier)
 * @run: the test; 0 on success, a negative errno on failure
 */
struct dmabuf_st_case {
	const char *name;
	int (*run)(void);
};

/**
 * struct dmabuf_st_group - one selftest group, enabled by an igt__N__ param
 * @name: group name, the "<group>" of "dma-buf/<group>: ..." log lines
 * @cases: its subtests, run in this order
 * @count: number of entries in @cases
 */
struct dmabuf_st_group {
	const char *name;
	const struct dmabuf_st_case *cases;
	unsigned int count;
};

/* Names a subtest after its function. */
#define DMABUF_ST_CASE(fn)	{ .name = #fn, .run = fn }

extern const struct dmabuf_st_group dmabuf_st_dma_fence;
extern const struct dmabuf_st_group dmabuf_st_dma_fence_chain;
extern const struct dmabuf_st_group dmabuf_st_dma_fence_unwrap;
extern const struct dmabuf_st_group dmabuf_st_dma_resv;

int dmabuf_st_report(const char *func, int line, const char *what);

/* 0 if @cond holds; otherwise logs it and evaluates to -EINVAL. */
#define st_expect(cond) \
	((cond) ? 0 : dmabuf_st_report(__func__, __LINE__, #cond))

/**
 * struct dmabuf_st_fence - a mock fence of the selftests
 * @base: the fence; first member, so dma_fence_free() frees the whole
 * @lock: its own lock, the fence's @base.lock
 * @refuse_signaling: ->enable_signaling answers false (fence is done)
 * @deadline: last deadline passed to ->set_deadline
 * @deadline_calls: how many times ->set_deadline was called
 */
struct dmabuf_st_fence {
	struct dma_fence base;
	spinlock_t lock;	/* @base.lock, guards nothing else */
	bool refuse_signaling;
	ktime_t deadline;
	unsigned int deadline_calls;
};

struct dma_fence *dmabuf_st_fence(u64 context, u64 seqno);
struct dmabuf_st_fence *to_dmabuf_st_fence(struct dma_fence *fence);
struct dma_fence *dmabuf_st_fence_signaled(u64 context, u64 seqno);
int dmabuf_st_settle(void);

/**
 * struct dmabuf_st_timer - signals a fence from a timer
 * @timer: the timer; runs once
 * @fence: the fence it signals (the caller holds a reference)
 */
struct dmabuf_st_timer {
	struct timer_list timer;
	struct dma_fence *fence;
};

void dmabuf_st_signal_later(struct dmabuf_st_timer *t, struct dma_fence *fence,
			    unsigned long delay);
void dmabuf_st_timer_stop(struct dmabuf_st_timer *t);

#endif /* DMA_BUF_SELFTESTS_DMABUF_ST_H */
