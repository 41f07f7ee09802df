// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * dmabuf_selftests group "dma_fence_chain": timeline points as chain nodes.
 */

/**
 * DOC: dmabuf_selftests dma_fence_chain group
 *
 * Builds short chains over mock fences, one node per point 1..n, and
 * checks node initialisation (context continuation, a seqno that does not
 * advance, the contained fence), walking newest to oldest, the unlinking
 * of signalled points on the way, dma_fence_chain_find_seqno() for points
 * present, signalled, in the future and on a plain fence, the node
 * signalling only once every point up to it has, and deadline propagation
 * to the contained fences.
 */

#include <linux/dma-fence-chain.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/string.h>

#include "dmabuf-st.h"

#define ST_POINTS 4

/* fences[i] is point i + 1; the caller keeps its references. */
struct st_chain {
	struct dma_fence *fences[ST_POINTS];
	struct dma_fence *head;
};

static void st_chain_put(struct st_chain *c)
{
	unsigned int i;

	dma_fence_put(c->head);
	for (i = 0; i < ST_POINTS; i++)
		dma_fence_put(c->fences[i]);
}

/* One mock fence per point, each linked in as the new head. */
static int st_chain_build(struct st_chain *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < ST_POINTS; i++) {
		struct dma_fence_chain *node = dma_fence_chain_alloc();

		c->fences[i] = dmabuf_st_fence(0, 1);
		if (!node || !c->fences[i]) {
			dma_fence_chain_free(node);
			st_chain_put(c);
			return -ENOMEM;
		}
		dma_fence_chain_init(node, c->head, dma_fence_get(c->fences[i]),
				     i + 1);
		c->head = &node->base;
	}
	return 0;
}

static void st_chain_signal_all(struct st_chain *c)
{
	unsigned int i;

	for (i = 0; i < ST_POINTS; i++)
		dma_fence_signal(c->fences[i]);
}

static int chain_init_continues_context(void)
{
	struct dma_fence *plain = dmabuf_st_fence(0, 1);
	struct dma_fence_chain *head, *prev = NULL;
	struct st_chain c;
	int err;

	if (!plain)
		return -ENOMEM;
	err = st_chain_build(&c);
	if (err) {
		dma_fence_put(plain);
		return err;
	}
	head = to_dma_fence_chain(c.head);
	if (head)
		prev = to_dma_fence_chain(rcu_access_pointer(head->prev));
	err = st_expect(head && prev) ?:
	      st_expect(dma_fence_is_chain(c.head)) ?:
	      st_expect(!to_dma_fence_chain(plain)) ?:
	      st_expect(dma_fence_chain_contained(plain) == plain) ?:
	      st_expect(dma_fence_chain_contained(c.head) == c.fences[ST_POINTS - 1]) ?:
	      st_expect(c.head->seqno == ST_POINTS) ?:
	      st_expect(head->prev_seqno == ST_POINTS - 1) ?:
	      st_expect(prev->base.context == c.head->context) ?:
	      st_expect(prev->base.seqno == ST_POINTS - 1);
	st_chain_signal_all(&c);
	st_chain_put(&c);
	dma_fence_put(plain);
	return err;
}

/* A point that does not advance starts a context and keeps the seqno. */
static int chain_init_seqno_not_advancing(void)
{
	struct dma_fence_chain *node = dma_fence_chain_alloc();
	struct dma_fence *f = dmabuf_st_fence(0, 1);
	struct dma_fence *old;
	struct st_chain c;
	int err = -ENOMEM;

	if (!node || !f)
		goto fail;
	err = st_chain_build(&c);
	if (err)
		goto fail;
	old = c.head;
	dma_fence_chain_init(node, dma_fence_get(old), dma_fence_get(f), 2);
	c.head = &node->base;
	err = st_expect(c.head->context != old->context) ?:
	      st_expect(c.head->seqno == ST_POINTS) ?:
	      st_expect(node->prev_seqno == 0);
	dma_fence_signal(f);
	dma_fence_put(f);
	dma_fence_put(old);
	st_chain_signal_all(&c);
	st_chain_put(&c);
	return err;
fail:
	dma_fence_chain_free(node);
	dma_fence_put(f);
	return err;
}

static int chain_walk_newest_first(void)
{
	struct dma_fence *node;
	struct st_chain c;
	u64 expect = ST_POINTS;
	int err;

	err = st_chain_build(&c);
	if (err)
		return err;
	dma_fence_chain_for_each(node, c.head) {
		err = st_expect(expect > 0) ?:
		      st_expect(node->seqno == expect) ?:
		      st_expect(dma_fence_chain_contained(node) == c.fences[expect - 1]);
		if (err) {
			dma_fence_put(node);
			break;
		}
		expect--;
	}
	err = err ?: st_expect(expect == 0);
	st_chain_signal_all(&c);
	st_chain_put(&c);
	return err;
}

/* Points 1 and 2 done: walking from the head goes 4, 3 and stops. */
static int chain_walk_skips_signalled(void)
{
	struct dma_fence *node;
	unsigned int seen = 0;
	struct st_chain c;
	int err;

	err = st_chain_build(&c);
	if (err)
		return err;
	dma_fence_signal(c.fences[0]);
	dma_fence_signal(c.fences[1]);
	dma_fence_chain_for_each(node, c.head)
		seen++;
	err = st_expect(seen == ST_POINTS - 2) ?:
	      st_expect(!dma_fence_is_signaled(c.head));
	st_chain_signal_all(&c);
	st_chain_put(&c);
	return err;
}

static int chain_find_seqno_present(void)
{
	struct dma_fence *f;
	struct st_chain c;
	int err;

	err = st_chain_build(&c);
	if (err)
		return err;
	f = dma_fence_get(c.head);
	err = st_expect(dma_fence_chain_find_seqno(&f, 0) == 0) ?:
	      st_expect(f == c.head) ?:
	      st_expect(dma_fence_chain_find_seqno(&f, 2) == 0) ?:
	      st_expect(f && f->seqno == 2) ?:
	      st_expect(dma_fence_chain_contained(f) == c.fences[1]);
	dma_fence_put(f);
	f = dma_fence_get(c.head);
	err = err ?:
	      st_expect(dma_fence_chain_find_seqno(&f, ST_POINTS) == 0) ?:
	      st_expect(f == c.head);
	dma_fence_put(f);
	st_chain_signal_all(&c);
	st_chain_put(&c);
	return err;
}

/* Bad input: a point not submitted yet, or a fence that is no chain. */
static int chain_find_seqno_invalid(void)
{
	struct dma_fence *plain = dmabuf_st_fence(0, 7);
	struct dma_fence *f, *p;
	struct st_chain c;
	int err;

	if (!plain)
		return -ENOMEM;
	err = st_chain_build(&c);
	if (err) {
		dma_fence_put(plain);
		return err;
	}
	f = dma_fence_get(c.head);
	p = plain;
	err = st_expect(dma_fence_chain_find_seqno(&f, ST_POINTS + 1) == -EINVAL) ?:
	      st_expect(f == c.head) ?:
	      st_expect(dma_fence_chain_find_seqno(&p, 3) == -EINVAL) ?:
	      st_expect(p == plain);
	dma_fence_put(f);
	st_chain_signal_all(&c);
	st_chain_put(&c);
	dma_fence_put(plain);
	return err;
}

/* A point whose fences have all signalled is found as NULL. */
static int chain_find_seqno_signalled(void)
{
	struct dma_fence *f;
	struct st_chain c;
	int err;

	err = st_chain_build(&c);
	if (err)
		return err;
	dma_fence_signal(c.fences[0]);
	dma_fence_signal(c.fences[1]);
	f = dma_fence_get(c.head);
	err = st_expect(dma_fence_chain_find_seqno(&f, 2) == 0) ?:
	      st_expect(!f);
	dma_fence_put(f);
	st_chain_signal_all(&c);
	st_chain_put(&c);
	return err;
}

/* The head signals after the last of its points, whatever the order. */
static int chain_signals_after_all_points(void)
{
	static const unsigned int order[ST_POINTS] = { 3, 0, 2, 1 };
	struct st_chain c;
	unsigned int i;
	int err;

	err = st_chain_build(&c);
	if (err)
		return err;
	dma_fence_enable_sw_signaling(c.head);
	for (i = 0; i < ST_POINTS && !err; i++) {
		err = st_expect(!dma_fence_is_signaled(c.head));
		dma_fence_signal(c.fences[order[i]]);
	}
	err = err ?: st_expect(dma_fence_wait_timeout(c.head, false, 5 * HZ) > 0);
	st_chain_signal_all(&c);
	st_chain_put(&c);
	return err;
}

static int chain_deadline_reaches_points(void)
{
	ktime_t when = ktime_add_ms(ktime_get(), 3);
	struct st_chain c;
	unsigned int i;
	int err;

	err = st_chain_build(&c);
	if (err)
		return err;
	dma_fence_signal(c.fences[0]);
	dma_fence_set_deadline(c.head, when);
	for (i = 1; i < ST_POINTS && !err; i++) {
		struct dmabuf_st_fence *mf = to_dmabuf_st_fence(c.fences[i]);

		err = st_expect(READ_ONCE(mf->deadline_calls) == 1) ?:
		      st_expect(ktime_compare(READ_ONCE(mf->deadline), when) == 0);
	}
	err = err ?:
	      st_expect(to_dmabuf_st_fence(c.fences[0])->deadline_calls == 0);
	st_chain_signal_all(&c);
	st_chain_put(&c);
	return err;
}

static const struct dmabuf_st_case st_chain_cases[] = {
	DMABUF_ST_CASE(chain_init_continues_context),
	DMABUF_ST_CASE(chain_init_seqno_not_advancing),
	DMABUF_ST_CASE(chain_walk_newest_first),
	DMABUF_ST_CASE(chain_walk_skips_signalled),
	DMABUF_ST_CASE(chain_find_seqno_present),
	DMABUF_ST_CASE(chain_find_seqno_invalid),
	DMABUF_ST_CASE(chain_find_seqno_signalled),
	DMABUF_ST_CASE(chain_signals_after_all_points),
	DMABUF_ST_CASE(chain_deadline_reaches_points),
};

const struct dmabuf_st_group dmabuf_st_dma_fence_chain = {
	.name = "dma_fence_chain",
	.cases = st_chain_cases,
	.count = ARRAY_SIZE(st_chain_cases),
};
