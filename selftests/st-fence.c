// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * dmabuf_selftests group "dma_fence": the dma_fence core.
 */

/**
 * DOC: dmabuf_selftests dma_fence group
 *
 * Drives single mock fences (st-mock.c) through the public dma_fence
 * interface and checks what its kernel-doc promises: signalling happens
 * once, errors and status, callbacks run once or not at all, bounded waits
 * on pending and timer-signalled fences, the stub fences, context numbers
 * and seqno ordering (including 32-bit wrap), the deadline hint, and a
 * fence whose ->enable_signaling refuses. Bad input is limited to what the
 * interface answers with an error code rather than a WARN.
 */

#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>

#include "dmabuf-st.h"

/* A callback that counts its runs. */
struct st_cb {
	struct dma_fence_cb cb;
	unsigned int runs;
};

static void st_cb_count(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct st_cb *c = container_of(cb, struct st_cb, cb);

	WRITE_ONCE(c->runs, c->runs + 1);
}

static int fence_signal_once(void)
{
	struct dma_fence *f = dmabuf_st_fence(0, 1);
	int err;

	if (!f)
		return -ENOMEM;
	err = st_expect(!dma_fence_is_signaled(f)) ?:
	      st_expect(dma_fence_signal(f) == 0) ?:
	      st_expect(dma_fence_is_signaled(f)) ?:
	      st_expect(test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT, &f->flags)) ?:
	      st_expect(dma_fence_signal(f) == -EINVAL) ?:
	      st_expect(dma_fence_signal(NULL) == -EINVAL);
	dma_fence_put(f);
	return err;
}

static int fence_error_status(void)
{
	struct dma_fence *bad = dmabuf_st_fence(0, 1);
	struct dma_fence *good = dmabuf_st_fence(0, 1);
	int err = -ENOMEM;

	if (!bad || !good)
		goto out;
	err = st_expect(dma_fence_get_status(bad) == 0);
	if (err)
		goto out;
	dma_fence_set_error(bad, -EIO);
	dma_fence_signal(bad);
	dma_fence_signal(good);
	err = st_expect(dma_fence_get_status(bad) == -EIO) ?:
	      st_expect(bad->error == -EIO) ?:
	      st_expect(dma_fence_get_status(good) == 1);
out:
	dma_fence_put(bad);
	dma_fence_put(good);
	return err;
}

static int fence_callback_on_signal(void)
{
	struct dma_fence *f = dmabuf_st_fence(0, 1);
	struct st_cb a = {}, late = {};
	int err;

	if (!f)
		return -ENOMEM;
	err = st_expect(dma_fence_add_callback(f, &a.cb, st_cb_count) == 0) ?:
	      st_expect(READ_ONCE(a.runs) == 0);
	dma_fence_signal(f);
	err = err ?:
	      st_expect(READ_ONCE(a.runs) == 1) ?:
	      st_expect(dma_fence_add_callback(f, &late.cb, st_cb_count) == -ENOENT) ?:
	      st_expect(READ_ONCE(late.runs) == 0) ?:
	      st_expect(!dma_fence_remove_callback(f, &a.cb));
	dma_fence_signal(f);
	err = err ?: st_expect(READ_ONCE(a.runs) == 1);
	dma_fence_put(f);
	return err;
}

static int fence_callback_removed(void)
{
	struct dma_fence *f = dmabuf_st_fence(0, 1);
	struct st_cb gone = {}, kept = {};
	int err;

	if (!f)
		return -ENOMEM;
	err = st_expect(dma_fence_add_callback(f, &gone.cb, st_cb_count) == 0) ?:
	      st_expect(dma_fence_add_callback(f, &kept.cb, st_cb_count) == 0) ?:
	      st_expect(dma_fence_remove_callback(f, &gone.cb)) ?:
	      st_expect(!dma_fence_remove_callback(f, &gone.cb));
	dma_fence_signal(f);
	err = err ?:
	      st_expect(READ_ONCE(gone.runs) == 0) ?:
	      st_expect(READ_ONCE(kept.runs) == 1);
	dma_fence_put(f);
	return err;
}

static int fence_wait_timeout(void)
{
	struct dma_fence *f = dmabuf_st_fence(0, 1);
	int err;

	if (!f)
		return -ENOMEM;
	err = st_expect(dma_fence_wait_timeout(f, false, 0) == 0) ?:
	      st_expect(dma_fence_wait_timeout(f, false, 2) == 0);
	dma_fence_signal(f);
	err = err ?:
	      st_expect(dma_fence_wait_timeout(f, false, 0) == 1) ?:
	      st_expect(dma_fence_wait_timeout(f, true, 10) > 0) ?:
	      st_expect(dma_fence_wait(f, true) == 0);
	dma_fence_put(f);
	return err;
}

static int fence_wait_signalled_by_timer(void)
{
	struct dma_fence *f = dmabuf_st_fence(0, 1);
	struct dmabuf_st_timer t;
	signed long left;
	int err;

	if (!f)
		return -ENOMEM;
	dmabuf_st_signal_later(&t, f, msecs_to_jiffies(20));
	left = dma_fence_wait_timeout(f, false, 5 * HZ);
	err = st_expect(left > 0) ?:
	      st_expect(dma_fence_is_signaled(f));
	dmabuf_st_timer_stop(&t);
	dma_fence_put(f);
	return err;
}

static int fence_stub_signalled(void)
{
	ktime_t when = ktime_set(1, 2);
	struct dma_fence *shared = dma_fence_get_stub();
	struct dma_fence *own = dma_fence_allocate_private_stub(when);
	int err;

	if (!own) {
		dma_fence_put(shared);
		return -ENOMEM;
	}
	err = st_expect(dma_fence_is_signaled(shared)) ?:
	      st_expect(dma_fence_is_signaled(own)) ?:
	      st_expect(own != shared) ?:
	      st_expect(ktime_compare(own->timestamp, when) == 0) ?:
	      st_expect(dma_fence_get_status(own) == 1);
	dma_fence_put(own);
	dma_fence_put(shared);
	return err;
}

static int fence_context_order(void)
{
	u64 base = dma_fence_context_alloc(3);
	u64 next = dma_fence_context_alloc(1);
	struct dma_fence *early = dmabuf_st_fence(base, 1);
	struct dma_fence *late = dmabuf_st_fence(base, 2);
	struct dma_fence *wrapped = dmabuf_st_fence(base, 0xffffffffULL);
	struct dma_fence *after = dmabuf_st_fence(base, 0x100000001ULL);
	int err = -ENOMEM;

	if (!early || !late || !wrapped || !after)
		goto out;
	/* 32-bit seqnos compare modulo 2^32: 0x1_0000_0001 follows ~0U. */
	/* Others may allocate contexts meanwhile: only the order is ours. */
	err = st_expect(next >= base + 3) ?:
	      st_expect(dma_fence_is_later(late, early)) ?:
	      st_expect(!dma_fence_is_later(early, late)) ?:
	      st_expect(!dma_fence_is_later(late, late)) ?:
	      st_expect(dma_fence_later(early, late) == late) ?:
	      st_expect(dma_fence_is_later(after, wrapped)) ?:
	      st_expect(!dma_fence_is_later(wrapped, after));
out:
	dma_fence_put(early);
	dma_fence_put(late);
	dma_fence_put(wrapped);
	dma_fence_put(after);
	return err;
}

static int fence_deadline_hint(void)
{
	struct dma_fence *f = dmabuf_st_fence(0, 1);
	ktime_t soon = ktime_add_ms(ktime_get(), 5);
	struct dmabuf_st_fence *mf;
	int err;

	if (!f)
		return -ENOMEM;
	mf = to_dmabuf_st_fence(f);
	dma_fence_set_deadline(f, soon);
	err = st_expect(READ_ONCE(mf->deadline_calls) == 1) ?:
	      st_expect(ktime_compare(READ_ONCE(mf->deadline), soon) == 0);
	dma_fence_signal(f);
	dma_fence_set_deadline(f, ktime_add_ms(soon, 1));
	err = err ?: st_expect(READ_ONCE(mf->deadline_calls) == 1);
	dma_fence_put(f);
	return err;
}

/* ->enable_signaling saying false means the fence is done already. */
static int fence_enable_refused(void)
{
	struct dma_fence *f = dmabuf_st_fence(0, 1);
	struct st_cb c = {};
	int err;

	if (!f)
		return -ENOMEM;
	to_dmabuf_st_fence(f)->refuse_signaling = true;
	err = st_expect(dma_fence_add_callback(f, &c.cb, st_cb_count) == -ENOENT) ?:
	      st_expect(dma_fence_is_signaled(f)) ?:
	      st_expect(READ_ONCE(c.runs) == 0) ?:
	      st_expect(dma_fence_wait_timeout(f, false, 1) > 0);
	dma_fence_put(f);
	return err;
}

static const struct dmabuf_st_case st_fence_cases[] = {
	DMABUF_ST_CASE(fence_signal_once),
	DMABUF_ST_CASE(fence_error_status),
	DMABUF_ST_CASE(fence_callback_on_signal),
	DMABUF_ST_CASE(fence_callback_removed),
	DMABUF_ST_CASE(fence_wait_timeout),
	DMABUF_ST_CASE(fence_wait_signalled_by_timer),
	DMABUF_ST_CASE(fence_stub_signalled),
	DMABUF_ST_CASE(fence_context_order),
	DMABUF_ST_CASE(fence_deadline_hint),
	DMABUF_ST_CASE(fence_enable_refused),
};

const struct dmabuf_st_group dmabuf_st_dma_fence = {
	.name = "dma_fence",
	.cases = st_fence_cases,
	.count = ARRAY_SIZE(st_fence_cases),
};
