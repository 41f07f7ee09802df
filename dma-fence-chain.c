// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-fence-chain: the points of a timeline, one fence per point.
 */

#include <linux/dma-fence-chain.h>
#include <linux/export.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>

/**
 * DOC: fence chains
 *
 * A &struct dma_fence_chain node is one point of a timeline: it carries the
 * fence of that point and links to the point before it. The node's own
 * fence signals once its fence and those of all older points have signalled,
 * so waiting for point N means waiting for N and everything before it.
 * Timeline syncobjs keep their points this way; each new point becomes the
 * head of the chain::
 *
 *	chain = dma_fence_chain_alloc();
 *	if (!chain)
 *		return -ENOMEM;
 *	// consumes both references: the old head and the new fence
 *	dma_fence_chain_init(chain, old_head, dma_fence_get(job_fence), point);
 *	new_head = &chain->base;
 *
 * A node whose seqno is above its predecessor's joins the predecessor's
 * context, so seqnos along one context only grow; anything else (a plain
 * fence as predecessor, a seqno that does not advance) starts a new context.
 *
 * The chain can be long (a syncobj that is signalled from the CPU point by
 * point) and every operation here is a loop, never a recursion over nodes:
 *
 * - Walking (dma_fence_chain_walk(), dma_fence_chain_for_each()) unlinks
 *   each older node whose fence has signalled as it passes, by swinging the
 *   newer node's &dma_fence_chain.prev past it with cmpxchg. Walkers race
 *   freely: whoever loses the cmpxchg just drops what it took.
 * - Signalling arms one callback, on the newest fence of the chain still
 *   pending. When it fires, &dma_fence_chain.work (irq_work, outside the
 *   other fence's lock) looks for the next pending fence or, finding none,
 *   signals the node.
 * - Releasing a node also takes apart, one by one, the older nodes to which
 *   it held the last reference.
 *
 * Locking: &dma_fence_chain.prev is read under RCU and only changed by
 * cmpxchg, never under a lock. &dma_fence_chain.lock is the node's fence
 * lock and guards nothing else. enable_signaling runs under that lock and
 * takes the lock of the fence it waits on; a chain node never sits inside
 * another node (dma_fence_chain_init() warns), so this cannot nest further.
 */

/* A reference to the node before @chain, or NULL at the end. */
static struct dma_fence *chain_get_prev(struct dma_fence_chain *chain)
{
	struct dma_fence *prev;

	rcu_read_lock();
	prev = dma_fence_get_rcu_safe(&chain->prev);
	rcu_read_unlock();
	return prev;
}

/* Has the point @node stands for its own fence signalled? */
static bool chain_node_fence_done(struct dma_fence *node)
{
	return dma_fence_is_signaled(dma_fence_chain_contained(node));
}

/*
 * @prev is done: make @chain point past it, to @prev's own predecessor.
 * Consumes the caller's reference to @prev. If another walker moved
 * @chain->prev first, its result stands and ours is dropped.
 */
static void chain_skip_prev(struct dma_fence_chain *chain,
			    struct dma_fence *prev)
{
	struct dma_fence_chain *link = to_dma_fence_chain(prev);
	struct dma_fence *older = link ? chain_get_prev(link) : NULL;
	struct dma_fence __rcu *seen;

	seen = cmpxchg(&chain->prev, RCU_INITIALIZER(prev),
		       RCU_INITIALIZER(older));
	if (unrcu_pointer(seen) == prev)
		dma_fence_put(prev);	/* the reference @chain held */
	else
		dma_fence_put(older);
	dma_fence_put(prev);
}

/*
 * The next older node after @link still pending, referenced, unlinking
 * done ones on the way (what dma_fence_chain_walk() returns). For a caller
 * inside an RCU read-side section, so that a long walk enters it once
 * rather than once per node; everything here is allowed there (puts,
 * &dma_fence_ops.signaled).
 */
static __always_inline struct dma_fence *
chain_next_rcu(struct dma_fence_chain *link)
{
	struct dma_fence *prev;

	for (;;) {
		prev = dma_fence_get_rcu_safe(&link->prev);
		if (!prev || !chain_node_fence_done(prev))
			return prev;
		chain_skip_prev(link, prev);
	}
}

/**
 * dma_fence_chain_walk - step to the next older node of a chain
 * @fence: the current node; its reference is consumed
 *
 * Older nodes whose fence has already signalled are unlinked on the way and
 * skipped.
 *
 * Returns: the next older node (or the plain fence ending the chain) with a
 * reference, or NULL at the end or if @fence is not a chain node.
 */
struct dma_fence *dma_fence_chain_walk(struct dma_fence *fence)
{
	struct dma_fence_chain *link = to_dma_fence_chain(fence);
	struct dma_fence *prev = NULL;

	while (link) {
		prev = chain_get_prev(link);
		if (!prev || !chain_node_fence_done(prev))
			break;
		chain_skip_prev(link, prev);
	}
	dma_fence_put(fence);
	return prev;
}
EXPORT_SYMBOL(dma_fence_chain_walk);

/**
 * dma_fence_chain_find_seqno - the node that signals a given point
 * @pfence: in: a chain node, referenced; out: the node that signals when
 *	point @seqno is reached, referenced, or NULL if it already has
 * @seqno: the point, 0 for "the node itself"
 *
 * Nodes are ranges of points: a node of seqno N whose predecessor in the
 * same context has seqno P covers (P, N]. The result is the oldest node
 * still linked whose range reaches @seqno. The reference to the original
 * *@pfence is dropped (and replaced) on success only.
 *
 * Returns: 0, or -EINVAL if *@pfence is not a chain node or @seqno is beyond
 * its seqno (not submitted yet); *@pfence is left alone then.
 */
int dma_fence_chain_find_seqno(struct dma_fence **pfence, uint64_t seqno)
{
	struct dma_fence_chain *head;
	struct dma_fence *node;

	if (!seqno)
		return 0;

	head = to_dma_fence_chain(*pfence);
	if (!head || seqno > head->base.seqno)
		return -EINVAL;

	/*
	 * dma_fence_chain_for_each() from the head, in one RCU section: the
	 * walk can be thousands of nodes long.
	 */
	node = dma_fence_get(&head->base);
	if (head->prev_seqno < seqno)
		goto found;	/* the head covers it: no walk, no RCU */
	rcu_read_lock();
	for (;;) {
		struct dma_fence_chain *link = to_dma_fence_chain(node);
		struct dma_fence *prev;

		if (!link || node->context != head->base.context ||
		    link->prev_seqno < seqno)
			break;
		prev = chain_next_rcu(link);
		dma_fence_put(node);
		node = prev;
		if (!node)
			break;
	}
	rcu_read_unlock();
found:
	/* The caller's reference to the head is the one *pfence gave up. */
	dma_fence_put(*pfence);
	*pfence = node;
	return 0;
}
EXPORT_SYMBOL(dma_fence_chain_find_seqno);

static const char *chain_driver_name(struct dma_fence *fence)
{
	return "dma_fence_chain";
}

static const char *chain_timeline_name(struct dma_fence *fence)
{
	return "unbound";
}

static void chain_rearm_work(struct irq_work *work);

static void chain_fence_cb(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct dma_fence_chain *chain = container_of(cb, typeof(*chain), cb);

	struct irq_work *work = &chain->work;

	/* @cb is off @fence's list now; its memory becomes the work item. */
	init_irq_work(work, chain_rearm_work);
	irq_work_queue(work);
	dma_fence_put(fence);
}

/*
 * Hang the callback of chain node @self on the newest pending fence of its
 * chain. On success the callback owns a reference to @self and one to that
 * fence.
 *
 * Returns: false if every fence of the chain has signalled.
 */
static bool chain_arm(struct dma_fence *self)
{
	struct dma_fence_cb *cb = &container_of(self, struct dma_fence_chain,
						base)->cb;
	struct dma_fence *node;

	dma_fence_get(self);
	dma_fence_chain_for_each(node, self) {
		struct dma_fence *fence;

		fence = dma_fence_get(dma_fence_chain_contained(node));
		if (!dma_fence_add_callback(fence, cb, chain_fence_cb)) {
			dma_fence_put(node);
			return true;
		}
		dma_fence_put(fence);
	}
	dma_fence_put(self);
	return false;
}

static void chain_rearm_work(struct irq_work *work)
{
	struct dma_fence *self =
		&container_of(work, struct dma_fence_chain, work)->base;

	if (!chain_arm(self))
		dma_fence_signal(self);
	dma_fence_put(self);	/* the one the callback owned */
}

static bool chain_signaled(struct dma_fence *fence)
{
	struct dma_fence *node;

	dma_fence_chain_for_each(node, fence) {
		if (!chain_node_fence_done(node)) {
			dma_fence_put(node);
			return false;
		}
	}
	return true;
}

/*
 * Dropping a node's reference to its predecessor can free the predecessor,
 * whose release would drop the next one, and so on: a recursion as deep as
 * the chain. Instead, while we hold the only reference to the predecessor,
 * take over its own link, then release it with nothing left to drop.
 * refcount_dec_if_one() makes "only reference" exact: a predecessor at zero
 * can no longer be picked up by an RCU reader.
 */
static void chain_release(struct dma_fence *fence)
{
	struct dma_fence_chain *self = to_dma_fence_chain(fence);
	struct dma_fence *prev = rcu_dereference_protected(self->prev, true);
	struct dma_fence_chain *link;

	while ((link = to_dma_fence_chain(prev)) &&
	       refcount_dec_if_one(&prev->refcount.refcount)) {
		struct dma_fence *older;

		/*
		 * refcount_dec_if_one() orders our earlier accesses before the
		 * drop (release) but not the load below after it: a walker
		 * that swung link->prev and dropped the old predecessor just
		 * before our cmpxchg must be seen, or we would take over a
		 * stale, freed prev. refcount_dec_and_test() adds this acquire
		 * itself; the cmpxchg's success is our control dependency.
		 */
		smp_acquire__after_ctrl_dep();
		older = rcu_dereference_protected(link->prev, true);
		RCU_INIT_POINTER(link->prev, NULL);
		dma_fence_release(&prev->refcount);
		prev = older;
	}
	dma_fence_put(prev);

	dma_fence_put(self->fence);
	dma_fence_free(fence);
}

static void chain_set_deadline(struct dma_fence *fence, ktime_t deadline)
{
	struct dma_fence *node;

	dma_fence_chain_for_each(node, fence)
		dma_fence_set_deadline(dma_fence_chain_contained(node),
				       deadline);
}

/*
 * Exported so that dma_fence_is_chain() can be an inline pointer compare;
 * nobody else should call these.
 */
const struct dma_fence_ops dma_fence_chain_ops = {
	.use_64bit_seqno = true,
	.get_driver_name = chain_driver_name,
	.get_timeline_name = chain_timeline_name,
	.enable_signaling = chain_arm,
	.signaled = chain_signaled,
	.release = chain_release,
	.set_deadline = chain_set_deadline,
};
EXPORT_SYMBOL(dma_fence_chain_ops);

/**
 * dma_fence_chain_init - make a node the new head of a chain
 * @chain: from dma_fence_chain_alloc()
 * @prev: the current head (a chain node or any fence), or NULL; the
 *	reference is consumed
 * @fence: the fence of the new point; the reference is consumed. Must not
 *	be a chain node itself (warns): chains link through @prev only.
 * @seqno: the new point
 *
 * If @prev is a chain node and @seqno is above its seqno, the node continues
 * @prev's context. Otherwise it gets a fresh context, and a seqno no lower
 * than @prev's so that the chain's seqnos never go back.
 */
void dma_fence_chain_init(struct dma_fence_chain *chain,
			  struct dma_fence *prev,
			  struct dma_fence *fence,
			  uint64_t seqno)
{
	bool after_chain = to_dma_fence_chain(prev);
	bool continues = after_chain && seqno > prev->seqno;
	u64 context = continues ? prev->context : dma_fence_context_alloc(1);

	if (after_chain)
		seqno = max(seqno, prev->seqno);
	chain->prev_seqno = continues ? prev->seqno : 0;
	RCU_INIT_POINTER(chain->prev, prev);
	chain->fence = fence;
	spin_lock_init(&chain->lock);
	dma_fence_init(&chain->base, &dma_fence_chain_ops, &chain->lock, context,
		       seqno);

	WARN(dma_fence_is_chain(fence),
	     "dma-fence-chain: a chain node cannot be another node's fence\n");
}
EXPORT_SYMBOL(dma_fence_chain_init);
