// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for dma_fence_chain: the functions exported by
 * drivers/dma-buf/dma-fence-chain.c and the helpers that come with
 * include/linux/dma-fence-chain.h.
 *
 * Only the public interface is used, so the suite runs against any
 * implementation of it. Where the kernel-doc leaves a detail open (which
 * link find_seqno returns once links were collected, the names a chain
 * reports to sync_file), the behaviour of Linux 6.12 is the reference.
 */

/**
 * DOC: dma-fence-chain KUnit suite
 *
 * What is mocked: the contained fences. They are the counted mock fences of
 * mock-fence.h, with 64-bit seqno semantics, plus one type private to this
 * file which also counts calls to ->set_deadline. The links themselves are
 * real dma_fence_chain objects from dma_fence_chain_alloc(); a link is only
 * released by its implementation, and since releasing a link drops the
 * reference on its contained fence, the mock release count also tells which
 * links are gone.
 *
 * What is observed: the fields of &struct dma_fence_chain (prev, prev_seqno,
 * fence) and of its &struct dma_fence (context, seqno, flags, refcount);
 * which link dma_fence_chain_walk() and dma_fence_chain_find_seqno() return
 * and what the chain looks like afterwards; when the head signals, both when
 * polled and after enable_signaling; which contained fences get a deadline;
 * how many mock fences were released at each step.
 *
 * Leak accounting: every case calls mock_book_get() first and drops every
 * reference it takes, so the book's deferred check, which runs after all
 * other cleanup, catches both leaks and double puts. The cleanup of a case
 * signals whatever it left pending, so that an assertion failing half-way
 * does not leave callbacks armed.
 *
 * Chain length: links are kmalloc'd by dma_fence_chain_alloc() and the mock
 * fences are kmalloc'd too, so the 100,000-link cases cost no KUnit
 * bookkeeping. Building, walking, signalling, waiting and freeing such a
 * chain must not recurse per link: the kernel stack would overflow long
 * before the end. These cases take about a second each under QEMU TCG and
 * are marked slow.
 *
 * Threads: the race cases run two kthreads bound to two different online
 * CPUs, next to the test thread; they are skipped with fewer than two CPUs
 * online. Every loop is bounded by an iteration count and every wait by a
 * timeout, so a broken implementation fails a case instead of hanging.
 *
 * Warnings: dma_fence_chain_init() WARNs when the contained fence is itself
 * a chain; no case does that.
 *
 * Running: ``./tools/testing/kunit/kunit.py run --arch=x86_64
 * --kunitconfig=drivers/dma-buf --qemu_args='-smp 2' 'dma-fence-chain'``
 * from the top of a kernel tree.
 *
 * Lockdep: the cases are meant to run with PROVE_LOCKING. The chain signals
 * from fence callbacks and irq_work; the only mock callbacks, release and
 * ->set_deadline, neither allocate nor assert, they count.
 */

#include <kunit/test.h>

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/limits.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/wait.h>

#include "mock-fence.h"

/* A wait that is expected to end. */
#define DFC_TIMEOUT		(5 * HZ)
/* How long the helper threads of a race case may take. */
#define DFC_THREAD_TIMEOUT	(30 * HZ)
/*
 * The long chains, and how long signalling one may take in all: a bound
 * against work per signal that grows with the chain (hours), not a speed
 * test, so four times as long where every access is checked (the KASAN
 * debug kernel signals 5x slower than the test kernel).
 */
#define DFC_HUGE		100000u
#define DFC_HUGE_BUDGET_MS	(20000 * (IS_ENABLED(CONFIG_KASAN) ? 4 : 1))

/* What dfc_chain_new() keeps references to, besides the head. */
#define DFC_KEEP_FENCES		BIT(0)
#define DFC_KEEP_LINKS		BIT(1)

/*
 * A chain under test. Every non-NULL pointer holds a reference of the case;
 * the arrays are indexed by position, oldest link first.
 */
struct dfc_chain {
	struct mock_book *book;
	u64 fence_context;		/* of the contained mock fences */
	struct dma_fence *base;		/* a plain fence the chain starts on */
	struct dma_fence *head;		/* the newest link */
	struct dma_fence **fences;	/* contained fences, if kept */
	struct dma_fence **links;	/* the links, if kept */
	unsigned int count;
	unsigned int size;
};

static bool dfc_signalled(struct dma_fence *fence)
{
	/* The flag only: unlike dma_fence_is_signaled(), it polls nothing. */
	return test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags);
}

static bool dfc_armed(struct dma_fence *fence)
{
	return test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &fence->flags);
}

static struct dma_fence *dfc_prev(struct dma_fence *link)
{
	return rcu_access_pointer(to_dma_fence_chain(link)->prev);
}

static unsigned int dfc_refs(struct dma_fence *fence)
{
	return kref_read(&fence->refcount);
}

/* Drops every reference @c holds; what is pending gets signalled first. */
static void dfc_chain_drop(struct dfc_chain *c)
{
	unsigned int i;

	/* A pending fence could keep the chain's callback, and so it, alive. */
	for (i = 0; c->fences && i < c->count; i++)
		if (c->fences[i])
			dma_fence_signal(c->fences[i]);
	if (c->base)
		dma_fence_signal(c->base);

	dma_fence_put(c->head);
	c->head = NULL;
	for (i = 0; c->links && i < c->count; i++) {
		dma_fence_put(c->links[i]);
		c->links[i] = NULL;
	}
	for (i = 0; c->fences && i < c->count; i++) {
		dma_fence_put(c->fences[i]);
		c->fences[i] = NULL;
	}
	dma_fence_put(c->base);
	c->base = NULL;
}

static void dfc_chain_cleanup(void *data)
{
	struct dfc_chain *c = data;

	dfc_chain_drop(c);
	kvfree(c->fences);
	kvfree(c->links);
}

/* An empty chain with room for @size links, dropped when the case ends. */
static struct dfc_chain *dfc_chain_new(struct kunit *test,
				       struct mock_book *book,
				       unsigned int size, unsigned long keep)
{
	struct dfc_chain *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->book = book;
	c->size = size;
	c->fence_context = dma_fence_context_alloc(1);
	if (keep & DFC_KEEP_FENCES) {
		c->fences = kvcalloc(size, sizeof(*c->fences), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, c->fences);
	}
	if (keep & DFC_KEEP_LINKS) {
		c->links = kvcalloc(size, sizeof(*c->links), GFP_KERNEL);
		if (!c->links)
			kvfree(c->fences);
		KUNIT_ASSERT_NOT_NULL(test, c->links);
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dfc_chain_cleanup,
							c), 0);
	return c;
}

/* Appends a link for @fence (whose reference it takes over) at @seqno. */
static struct dma_fence *dfc_chain_push(struct kunit *test,
					struct dfc_chain *c,
					struct dma_fence *fence, u64 seqno)
{
	struct dma_fence_chain *link;

	if (c->count >= c->size)
		dma_fence_put(fence);
	KUNIT_ASSERT_LT(test, c->count, c->size);
	link = dma_fence_chain_alloc();
	if (!link)
		dma_fence_put(fence);
	KUNIT_ASSERT_NOT_NULL(test, link);

	if (c->fences)
		c->fences[c->count] = dma_fence_get(fence);
	dma_fence_chain_init(link, c->head, fence, seqno);
	c->head = &link->base;
	if (c->links)
		c->links[c->count] = dma_fence_get(&link->base);
	c->count++;
	return &link->base;
}

/* Appends a link at @seqno for a new pending mock fence. */
static struct dma_fence *dfc_chain_add(struct kunit *test, struct dfc_chain *c,
				       u64 seqno)
{
	return dfc_chain_push(test, c,
			      mock_fence64(c->book, c->fence_context, seqno),
			      seqno);
}

/* Appends @n links at seqnos @first, @first + 1, ... */
static void dfc_chain_grow(struct kunit *test, struct dfc_chain *c,
			   unsigned int n, u64 first)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		dfc_chain_add(test, c, first + i);
		if (!(i % 1024))
			cond_resched();
	}
}

/* A chain of @n pending links at seqnos 1..n. */
static struct dfc_chain *dfc_chain_of(struct kunit *test,
				      struct mock_book *book, unsigned int n,
				      unsigned long keep)
{
	struct dfc_chain *c = dfc_chain_new(test, book, n, keep);

	dfc_chain_grow(test, c, n, 1);
	return c;
}

/* Signals the contained fence of link @i and drops the case's reference. */
static void dfc_signal_and_forget(struct dfc_chain *c, unsigned int i)
{
	dma_fence_signal(c->fences[i]);
	dma_fence_put(c->fences[i]);
	c->fences[i] = NULL;
}

/* Expects exactly @want mock releases, allowing for deferred ones. */
static bool dfc_expect_releases(struct kunit *test, struct mock_book *book,
				int want)
{
	unsigned long end = jiffies + DFC_TIMEOUT;

	while (atomic_read(&book->releases) < want && time_before(jiffies, end))
		usleep_range(1000, 2000);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), want);
	return atomic_read(&book->releases) == want;
}

/*
 * Drops the case's reference to a signalled head once the chain itself no
 * longer holds one (it may do so from irq_work until just after signalling),
 * so that the whole chain is released here rather than in interrupt context.
 */
static void dfc_put_head(struct dfc_chain *c)
{
	unsigned long end = jiffies + DFC_TIMEOUT;
	unsigned int ours = 1;

	if (c->links && c->links[c->count - 1] == c->head)
		ours++;
	while (dfc_refs(c->head) > ours && time_before(jiffies, end))
		usleep_range(1000, 2000);
	dma_fence_put(c->head);
	c->head = NULL;
}

/* Drops the contained fences, signalling any a failed case left pending. */
static void dfc_put_fences(struct dfc_chain *c)
{
	unsigned int i;

	for (i = 0; i < c->count; i++) {
		if (c->fences[i])
			dma_fence_signal(c->fences[i]);
		dma_fence_put(c->fences[i]);
		c->fences[i] = NULL;
	}
}

static s64 dfc_ms_since(ktime_t start)
{
	return ktime_ms_delta(ktime_get(), start);
}

/* A contained fence that counts the deadlines it is given. */
struct dfc_deadline_fence {
	struct mock_fence mock;	/* first: mock_fence_release() frees it all */
	atomic_t calls;
	atomic64_t deadline_ns;
};

static struct dfc_deadline_fence *to_dfc_deadline(struct dma_fence *fence)
{
	return container_of(fence, struct dfc_deadline_fence, mock.base);
}

static void dfc_deadline_set(struct dma_fence *fence, ktime_t deadline)
{
	struct dfc_deadline_fence *df = to_dfc_deadline(fence);

	/* May run in any context: only record. */
	atomic64_set(&df->deadline_ns, ktime_to_ns(deadline));
	atomic_inc(&df->calls);
}

static const struct dma_fence_ops dfc_deadline_ops = {
	.use_64bit_seqno = true,
	.get_driver_name = mock_fence_name,
	.get_timeline_name = mock_fence_name,
	.set_deadline = dfc_deadline_set,
	.release = mock_fence_release,
};

static struct dma_fence *dfc_deadline_fence(struct kunit *test,
					    struct mock_book *book,
					    u64 context, u64 seqno)
{
	struct dfc_deadline_fence *df = kzalloc(sizeof(*df), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, df);
	spin_lock_init(&df->mock.lock);
	df->mock.book = book;
	dma_fence_init(&df->mock.base, &dfc_deadline_ops, &df->mock.lock,
		       context, seqno);
	atomic_inc(&book->inits);
	return &df->mock.base;
}

/* Allocation and initialisation */

static void chain_alloc_and_free_pair_up_without_init(struct kunit *test)
{
	struct dma_fence_chain *chain;

	mock_book_get(test);
	chain = dma_fence_chain_alloc();
	KUNIT_ASSERT_NOT_NULL(test, chain);
	/* Never initialised, never published: a plain free is enough. */
	dma_fence_chain_free(chain);
}

static void chain_init_on_null_prev_starts_a_new_timeline(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_new(test, book, 2, DFC_KEEP_FENCES);
	struct dma_fence *first, *second;
	struct dma_fence_chain *chain;
	u64 before = dma_fence_context_alloc(1), first_context;

	first = dfc_chain_add(test, c, 42);
	chain = to_dma_fence_chain(first);
	KUNIT_ASSERT_NOT_NULL(test, chain);
	KUNIT_EXPECT_EQ(test, first->seqno, 42);
	KUNIT_EXPECT_GT(test, first->context, before);
	KUNIT_EXPECT_NE(test, first->context, c->fences[0]->context);
	KUNIT_EXPECT_NULL(test, dfc_prev(first));
	KUNIT_EXPECT_EQ(test, chain->prev_seqno, 0);
	KUNIT_EXPECT_PTR_EQ(test, chain->fence, c->fences[0]);
	KUNIT_EXPECT_TRUE(test, first->ops->use_64bit_seqno);
	KUNIT_EXPECT_FALSE(test, dfc_signalled(first));
	KUNIT_EXPECT_FALSE(test, dfc_armed(first));
	KUNIT_EXPECT_EQ(test, dfc_refs(first), 1);

	/* Another chain started from scratch gets a context of its own. */
	first_context = first->context;
	dma_fence_put(c->head);
	c->head = NULL;
	second = dfc_chain_add(test, c, 42);
	KUNIT_EXPECT_NE(test, second->context, first_context);
	KUNIT_EXPECT_NULL(test, dfc_prev(second));
}

static void chain_init_reuses_the_context_for_a_later_seqno(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_new(test, book, 3, DFC_KEEP_LINKS);
	struct dma_fence *l5, *l7, *l8;

	l5 = dfc_chain_add(test, c, 5);
	l7 = dfc_chain_add(test, c, 7);
	l8 = dfc_chain_add(test, c, 8);

	KUNIT_EXPECT_EQ(test, l7->context, l5->context);
	KUNIT_EXPECT_EQ(test, l8->context, l5->context);
	KUNIT_EXPECT_EQ(test, l7->seqno, 7);
	KUNIT_EXPECT_EQ(test, to_dma_fence_chain(l7)->prev_seqno, 5);
	KUNIT_EXPECT_EQ(test, to_dma_fence_chain(l8)->prev_seqno, 7);
	KUNIT_EXPECT_PTR_EQ(test, dfc_prev(l7), l5);
	KUNIT_EXPECT_PTR_EQ(test, dfc_prev(l8), l7);
	/* One timeline, so the core can order its points. */
	KUNIT_EXPECT_TRUE(test, dma_fence_is_later(l8, l5));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_later(l5, l7));
}

struct dfc_seqno_param {
	u64 seqno;
	const char *desc;
};

static const struct dfc_seqno_param dfc_not_later_params[] = {
	{ 3, "earlier" },
	{ 5, "equal" },
	{ 0, "zero" },
};

static void dfc_seqno_desc(const struct dfc_seqno_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dfc_not_later, dfc_not_later_params, dfc_seqno_desc);

static void chain_init_opens_a_new_context_unless_the_seqno_is_later(struct kunit *test)
{
	const struct dfc_seqno_param *p = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_new(test, book, 2, DFC_KEEP_LINKS);
	struct dma_fence *old, *link;

	old = dfc_chain_add(test, c, 5);
	link = dfc_chain_add(test, c, p->seqno);

	KUNIT_EXPECT_NE(test, link->context, old->context);
	/* The seqno never goes backwards along a chain. */
	KUNIT_EXPECT_EQ(test, link->seqno, 5);
	KUNIT_EXPECT_EQ(test, to_dma_fence_chain(link)->prev_seqno, 0);
	/* It is still linked to the old chain. */
	KUNIT_EXPECT_PTR_EQ(test, dfc_prev(link), old);
}

static void chain_init_on_a_plain_fence_starts_a_new_timeline(struct kunit *test)
{
	/* A plain prev is neither a timeline to join nor a seqno floor. */
	static const u64 plain_seqno[] = { 1, 100 };
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_new(test, book, 1, 0);
	struct dma_fence *plain, *link;
	u64 ctx = dma_fence_context_alloc(1);
	int i;

	for (i = 0; i < ARRAY_SIZE(plain_seqno); i++) {
		plain = mock_fence64(book, ctx, plain_seqno[i]);
		c->count = 0;
		c->head = plain;
		link = dfc_chain_add(test, c, 5);
		KUNIT_EXPECT_NE(test, link->context, ctx);
		KUNIT_EXPECT_EQ(test, link->seqno, 5);
		KUNIT_EXPECT_EQ(test, to_dma_fence_chain(link)->prev_seqno, 0);
		KUNIT_EXPECT_PTR_EQ(test, dfc_prev(link), plain);
		KUNIT_EXPECT_EQ(test, dfc_refs(plain), 1);
		dma_fence_put(c->head);
		c->head = NULL;
	}
	dfc_expect_releases(test, book, 2 * ARRAY_SIZE(plain_seqno));
}

static void chain_init_compares_seqnos_in_64_bits(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_new(test, book, 6, DFC_KEEP_LINKS);
	struct dma_fence *l[6];

	/*
	 * Each step is later in 64 bits but not in 32-bit wrapping
	 * arithmetic, so only a 64-bit compare keeps the context.
	 */
	l[0] = dfc_chain_add(test, c, 1);
	l[1] = dfc_chain_add(test, c, 0x80000001ull);
	l[2] = dfc_chain_add(test, c, 0x100000000ull);
	l[3] = dfc_chain_add(test, c, 0x200000000ull - 1);
	l[4] = dfc_chain_add(test, c, U64_MAX);
	KUNIT_EXPECT_EQ(test, l[1]->context, l[0]->context);
	KUNIT_EXPECT_EQ(test, l[2]->context, l[0]->context);
	KUNIT_EXPECT_EQ(test, l[3]->context, l[0]->context);
	KUNIT_EXPECT_EQ(test, l[4]->context, l[0]->context);
	KUNIT_EXPECT_EQ(test, to_dma_fence_chain(l[4])->prev_seqno,
			0x200000000ull - 1);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_later(l[4], l[3]));

	/* Nothing is later than U64_MAX: no wrap to a small seqno. */
	l[5] = dfc_chain_add(test, c, 2);
	KUNIT_EXPECT_NE(test, l[5]->context, l[0]->context);
	KUNIT_EXPECT_EQ(test, l[5]->seqno, U64_MAX);
}

static void chain_init_takes_over_the_callers_references(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence_chain *first, *second;
	struct dma_fence *f1, *f2;
	u64 ctx = dma_fence_context_alloc(1);

	f1 = mock_fence64(book, ctx, 1);
	f2 = mock_fence64(book, ctx, 2);
	first = dma_fence_chain_alloc();
	second = dma_fence_chain_alloc();
	if (!first || !second) {
		dma_fence_chain_free(first);
		dma_fence_chain_free(second);
		dma_fence_put(f1);
		dma_fence_put(f2);
	}
	KUNIT_ASSERT_TRUE(test, first && second);

	dma_fence_chain_init(first, NULL, f1, 1);
	KUNIT_EXPECT_EQ(test, dfc_refs(f1), 1);
	/* Our reference to first moves into second: no count changes. */
	dma_fence_chain_init(second, &first->base, f2, 2);
	KUNIT_EXPECT_EQ(test, dfc_refs(&first->base), 1);
	KUNIT_EXPECT_EQ(test, dfc_refs(f2), 1);
	KUNIT_EXPECT_EQ(test, dfc_refs(&second->base), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 0);

	/* Both links and both fences go with the one reference left. */
	dma_fence_put(&second->base);
	dfc_expect_releases(test, book, 2);
}

static void chain_helpers_tell_links_from_plain_fences(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_new(test, book, 1, DFC_KEEP_FENCES);
	struct dma_fence *plain, *link;

	plain = mock_fence64(book, dma_fence_context_alloc(1), 1);
	link = dfc_chain_add(test, c, 1);

	KUNIT_EXPECT_TRUE(test, dma_fence_is_chain(link));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_container(link));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_array(link));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_chain(plain));
	KUNIT_EXPECT_PTR_EQ(test, &to_dma_fence_chain(link)->base, link);
	KUNIT_EXPECT_NULL(test, to_dma_fence_chain(plain));
	KUNIT_EXPECT_NULL(test, to_dma_fence_chain(NULL));
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_chain_contained(link),
			    c->fences[0]);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_chain_contained(plain), plain);
	KUNIT_EXPECT_NULL(test, dma_fence_chain_contained(NULL));
	/* The names are what sync_file reports to userspace. */
	KUNIT_EXPECT_STREQ(test, link->ops->get_driver_name(link),
			   "dma_fence_chain");
	KUNIT_EXPECT_STREQ(test, link->ops->get_timeline_name(link), "unbound");

	dma_fence_put(plain);
}

/* Walking */

static void chain_walk_returns_each_older_link_with_a_reference(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 4, DFC_KEEP_LINKS);
	struct dma_fence *it, *next;
	unsigned int refs_it, refs_next;
	int i;

	it = dma_fence_get(c->head);
	for (i = 3; i > 0; i--) {
		refs_it = dfc_refs(it);
		refs_next = dfc_refs(c->links[i - 1]);
		next = dma_fence_chain_walk(it);
		KUNIT_EXPECT_PTR_EQ(test, next, c->links[i - 1]);
		KUNIT_EXPECT_EQ(test, dfc_refs(c->links[i]), refs_it - 1);
		KUNIT_EXPECT_EQ(test, dfc_refs(c->links[i - 1]), refs_next + 1);
		if (next != c->links[i - 1]) {
			dma_fence_put(next);
			return;
		}
		it = next;
	}
	refs_it = dfc_refs(it);
	KUNIT_EXPECT_NULL(test, dma_fence_chain_walk(it));
	KUNIT_EXPECT_EQ(test, dfc_refs(c->links[0]), refs_it - 1);
	/* Nothing was signalled, so nothing was unlinked. */
	for (i = 1; i < 4; i++)
		KUNIT_EXPECT_PTR_EQ(test, dfc_prev(c->links[i]),
				    c->links[i - 1]);
}

static void chain_walk_drops_signalled_links(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 5, DFC_KEEP_FENCES);
	struct dma_fence *l1, *l4, *it;

	/* Only the chain holds the links: unlinking them frees them. */
	l1 = dfc_prev(dfc_prev(dfc_prev(dfc_prev(c->head))));
	l4 = dfc_prev(c->head);
	dfc_signal_and_forget(c, 1);
	dfc_signal_and_forget(c, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&book->releases), 0);

	it = dma_fence_chain_walk(dma_fence_get(c->head));
	KUNIT_EXPECT_PTR_EQ(test, it, l4);
	/* The next step skips both signalled links and unlinks them. */
	it = dma_fence_chain_walk(it);
	KUNIT_EXPECT_PTR_EQ(test, it, l1);
	KUNIT_EXPECT_PTR_EQ(test, dfc_prev(l4), l1);
	dfc_expect_releases(test, book, 2);
	it = dma_fence_chain_walk(it);
	KUNIT_EXPECT_NULL(test, it);
	dma_fence_put(it);
}

static void chain_walk_keeps_the_link_it_starts_from(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 3,
					   DFC_KEEP_FENCES | DFC_KEEP_LINKS);
	struct dma_fence *it;

	/* Only older links are collected, never the argument itself. */
	dma_fence_signal(c->fences[2]);
	it = dma_fence_chain_walk(dma_fence_get(c->links[2]));
	KUNIT_EXPECT_PTR_EQ(test, it, c->links[1]);
	dma_fence_put(it);
	KUNIT_EXPECT_PTR_EQ(test, dfc_prev(c->links[2]), c->links[1]);

	/* Once every older link is signalled, the walk ends at once. */
	dma_fence_signal(c->fences[0]);
	dma_fence_signal(c->fences[1]);
	KUNIT_EXPECT_NULL(test, dma_fence_chain_walk(dma_fence_get(c->head)));
	KUNIT_EXPECT_NULL(test, dfc_prev(c->head));
	/* Links held elsewhere are only unlinked, not freed. */
	KUNIT_EXPECT_PTR_EQ(test, dfc_prev(c->links[1]), c->links[0]);
}

static void chain_walk_of_a_plain_fence_drops_it_and_ends(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dma_fence *plain;

	plain = mock_fence64(book, dma_fence_context_alloc(1), 1);
	KUNIT_EXPECT_NULL(test, dma_fence_chain_walk(dma_fence_get(plain)));
	KUNIT_EXPECT_EQ(test, dfc_refs(plain), 1);
	dma_fence_put(plain);
	dfc_expect_releases(test, book, 1);
}

static void chain_walk_ends_on_a_pending_plain_prev(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_new(test, book, 2, DFC_KEEP_LINKS);
	struct dma_fence *plain, *it;

	plain = mock_fence64(book, dma_fence_context_alloc(1), 9);
	c->base = dma_fence_get(plain);
	c->head = plain;
	dfc_chain_grow(test, c, 2, 1);

	/* A pending plain prev is the last step of the walk. */
	it = dma_fence_chain_walk(dma_fence_get(c->head));
	KUNIT_EXPECT_PTR_EQ(test, it, c->links[0]);
	it = dma_fence_chain_walk(it);
	KUNIT_EXPECT_PTR_EQ(test, it, plain);
	it = dma_fence_chain_walk(it);
	KUNIT_EXPECT_NULL(test, it);
	KUNIT_EXPECT_EQ(test, dfc_refs(plain), 2);

	/* A signalled one is collected like a link and its reference dropped. */
	dma_fence_signal(plain);
	it = dma_fence_chain_walk(dma_fence_get(c->links[0]));
	KUNIT_EXPECT_NULL(test, it);
	KUNIT_EXPECT_NULL(test, dfc_prev(c->links[0]));
	KUNIT_EXPECT_EQ(test, dfc_refs(plain), 1);
}

static void chain_iteration_holds_a_reference_until_the_next_step(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 6,
					   DFC_KEEP_FENCES | DFC_KEEP_LINKS);
	unsigned int refs[6], i, seen = 0;
	struct dma_fence *it;
	u64 expect = 6;

	/*
	 * Signalled links other than the head are skipped; collect point 4
	 * first, so that no reference moves during the loop.
	 */
	dma_fence_signal(c->fences[5]);
	dma_fence_signal(c->fences[3]);
	dma_fence_put(dma_fence_chain_walk(dma_fence_get(c->links[4])));
	KUNIT_ASSERT_PTR_EQ(test, dfc_prev(c->links[4]), c->links[2]);
	for (i = 0; i < 6; i++)
		refs[i] = dfc_refs(c->links[i]);

	dma_fence_chain_for_each(it, c->head) {
		KUNIT_EXPECT_EQ(test, it->seqno, expect);
		KUNIT_EXPECT_EQ(test, dfc_refs(it), refs[expect - 1] + 1);
		seen++;
		expect -= expect == 5 ? 2 : 1;
		if (it->seqno == 2)
			break;
	}
	KUNIT_EXPECT_EQ(test, seen, 4);
	KUNIT_ASSERT_NOT_NULL(test, it);
	/* Breaking out leaves the reference to the caller. */
	KUNIT_EXPECT_EQ(test, dfc_refs(c->links[1]), refs[1] + 1);
	dma_fence_put(it);
	KUNIT_EXPECT_EQ(test, dfc_refs(c->links[1]), refs[1]);
	KUNIT_EXPECT_EQ(test, dfc_refs(c->links[5]), refs[5]);
}

/* Finding a seqno */

static void chain_find_seqno_zero_is_a_no_op(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 3, 0);
	struct dma_fence *plain, *f;

	f = c->head;
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 0), 0);
	KUNIT_EXPECT_PTR_EQ(test, f, c->head);
	KUNIT_EXPECT_EQ(test, dfc_refs(c->head), 1);

	/* Not even the fence is looked at. */
	plain = mock_fence64(book, dma_fence_context_alloc(1), 1);
	f = plain;
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 0), 0);
	KUNIT_EXPECT_PTR_EQ(test, f, plain);
	f = NULL;
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 0), 0);
	KUNIT_EXPECT_NULL(test, f);
	dma_fence_put(plain);
}

static void chain_find_seqno_rejects_plain_fences_and_future_seqnos(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 3, 0);
	struct dma_fence *plain, *f;

	f = c->head;
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 4), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, f, c->head);
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, U64_MAX), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, f, c->head);
	KUNIT_EXPECT_EQ(test, dfc_refs(c->head), 1);

	plain = mock_fence64(book, dma_fence_context_alloc(1), 5);
	f = plain;
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 1), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, f, plain);
	KUNIT_EXPECT_EQ(test, dfc_refs(plain), 1);
	f = NULL;
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 1), -EINVAL);
	KUNIT_EXPECT_NULL(test, f);
	dma_fence_put(plain);
}

/* Runs find_seqno(@seqno) from the head and checks the reference moved. */
static struct dma_fence *dfc_find(struct kunit *test, struct dfc_chain *c,
				  u64 seqno)
{
	struct dma_fence *f = dma_fence_get(c->head);
	unsigned int head_refs = dfc_refs(c->head);
	int err;

	err = dma_fence_chain_find_seqno(&f, seqno);
	KUNIT_EXPECT_EQ_MSG(test, err, 0, "seqno %llu", seqno);
	KUNIT_EXPECT_EQ_MSG(test, dfc_refs(c->head),
			    f == c->head ? head_refs : head_refs - 1,
			    "seqno %llu", seqno);
	/* The caller now owns a reference to the result instead. */
	dma_fence_put(f);
	return f;
}

static void chain_find_seqno_finds_the_link_covering_a_seqno(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_new(test, book, 3, DFC_KEEP_LINKS);
	unsigned int refs;
	struct dma_fence *f;

	dfc_chain_add(test, c, 10);
	dfc_chain_add(test, c, 20);
	dfc_chain_add(test, c, 30);

	/* A link answers for every seqno after its predecessor's. */
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 1), c->links[0]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 10), c->links[0]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 11), c->links[1]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 20), c->links[1]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 29), c->links[2]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 30), c->links[2]);

	/* The reference found is the caller's to drop. */
	refs = dfc_refs(c->links[1]);
	f = dma_fence_get(c->head);
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 15), 0);
	KUNIT_EXPECT_PTR_EQ(test, f, c->links[1]);
	KUNIT_EXPECT_EQ(test, dfc_refs(c->links[1]), refs + 1);
	dma_fence_put(f);
	/* Nothing pending was unlinked on the way. */
	KUNIT_EXPECT_PTR_EQ(test, dfc_prev(c->links[2]), c->links[1]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_prev(c->links[1]), c->links[0]);
}

static void chain_find_seqno_of_a_signalled_point_gives_null(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 5,
					   DFC_KEEP_FENCES | DFC_KEEP_LINKS);
	int i;

	for (i = 0; i < 3; i++)
		dma_fence_signal(c->fences[i]);

	/* Nothing is left to wait for: no fence, but no error either. */
	KUNIT_EXPECT_NULL(test, dfc_find(test, c, 2));
	KUNIT_EXPECT_NULL(test, dfc_prev(c->links[3]));
	KUNIT_EXPECT_NULL(test, dfc_find(test, c, 3));
	KUNIT_EXPECT_NULL(test, dfc_find(test, c, 1));
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 4), c->links[3]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 5), c->links[4]);
}

static void chain_find_seqno_skips_links_collected_out_of_order(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 5,
					   DFC_KEEP_FENCES | DFC_KEEP_LINKS);

	/*
	 * Point 3 is signalled but 1 and 2 are not: the link of point 2
	 * signals exactly when point 3 is complete, so it is the answer.
	 */
	dma_fence_signal(c->fences[2]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 3), c->links[1]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_prev(c->links[3]), c->links[1]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 2), c->links[1]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 4), c->links[3]);
}

static void chain_find_seqno_stops_at_a_context_change(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_new(test, book, 5,
					    DFC_KEEP_FENCES | DFC_KEEP_LINKS);

	/* Points 1..3, then a restart at 2 (new context, seqno 3), then 4. */
	dfc_chain_grow(test, c, 3, 1);
	dfc_chain_add(test, c, 2);
	dfc_chain_add(test, c, 4);
	KUNIT_ASSERT_EQ(test, c->links[4]->context, c->links[3]->context);
	KUNIT_ASSERT_NE(test, c->links[3]->context, c->links[2]->context);

	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 4), c->links[4]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 3), c->links[3]);
	/* The restarted link stands for everything before it. */
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 1), c->links[3]);

	/* Once it is collected, the first older link of any context is. */
	dma_fence_signal(c->fences[3]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 2), c->links[2]);
	KUNIT_EXPECT_PTR_EQ(test, dfc_prev(c->links[4]), c->links[2]);
}

static void chain_of_one_link_behaves_like_its_fence(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 1, DFC_KEEP_FENCES);
	struct dma_fence *it, *f;
	int seen = 0;

	KUNIT_EXPECT_NULL(test, dma_fence_chain_walk(dma_fence_get(c->head)));
	dma_fence_chain_for_each(it, c->head)
		seen++;
	KUNIT_EXPECT_EQ(test, seen, 1);
	KUNIT_EXPECT_PTR_EQ(test, dfc_find(test, c, 1), c->head);
	f = c->head;
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 2), -EINVAL);

	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(c->head));
	dma_fence_signal(c->fences[0]);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(c->head));
	KUNIT_EXPECT_EQ(test, dfc_refs(c->head), 1);
}

/* Signalling */

static void chain_is_polled_without_arming_any_callback(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 4,
					   DFC_KEEP_FENCES | DFC_KEEP_LINKS);
	int i;

	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(c->head));
	for (i = 0; i < 3; i++)
		dma_fence_signal(c->fences[i]);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(c->head));
	/* Nobody polled the older links, so nobody signalled them. */
	KUNIT_EXPECT_FALSE(test, dfc_signalled(c->links[2]));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(c->links[2]));

	dma_fence_signal(c->fences[3]);
	/* Lazy: no callback until someone asks for signalling. */
	KUNIT_EXPECT_FALSE(test, dfc_signalled(c->head));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(c->head));
	KUNIT_EXPECT_TRUE(test, dfc_signalled(c->head));

	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_FALSE(test, dfc_armed(c->links[i]));
		KUNIT_EXPECT_FALSE(test, dfc_armed(c->fences[i]));
	}
}

enum dfc_order { DFC_OLDEST_FIRST, DFC_NEWEST_FIRST, DFC_STRIDED };

/* The position signalled @i-th of @n in @order. */
static unsigned int dfc_order_pos(enum dfc_order order, unsigned int i,
				  unsigned int n)
{
	switch (order) {
	case DFC_NEWEST_FIRST:
		return n - 1 - i;
	case DFC_STRIDED:
		/* 7919 is prime and no factor of the chain lengths used. */
		return i * 7919u % n;
	default:
		return i;
	}
}

struct dfc_order_param {
	enum dfc_order order;
	bool poll;		/* poll the head instead of enabling signalling */
	const char *desc;
};

static const struct dfc_order_param dfc_order_params[] = {
	{ DFC_OLDEST_FIRST, false, "oldest first" },
	{ DFC_NEWEST_FIRST, false, "newest first" },
	{ DFC_STRIDED, false, "strided" },
	{ DFC_STRIDED, true, "strided, polled" },
};

static void dfc_order_desc(const struct dfc_order_param *p, char *desc)
{
	strscpy(desc, p->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dfc_order, dfc_order_params, dfc_order_desc);

static void chain_signals_once_every_link_is_signalled(struct kunit *test)
{
	const struct dfc_order_param *p = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 9, DFC_KEEP_FENCES);
	bool armed = false;
	unsigned int i;

	if (!p->poll) {
		dma_fence_enable_sw_signaling(c->head);
		KUNIT_EXPECT_TRUE(test, dfc_armed(c->head));
		/* Enabling reaches down to some pending contained fence. */
		for (i = 0; i < c->count; i++)
			armed |= dfc_armed(c->fences[i]);
		KUNIT_EXPECT_TRUE(test, armed);
	}

	for (i = 0; i < c->count; i++) {
		KUNIT_EXPECT_FALSE_MSG(test, p->poll ?
				       dma_fence_is_signaled(c->head) :
				       dfc_signalled(c->head),
				       "with %u of %u signalled", i, c->count);
		dma_fence_signal(c->fences[dfc_order_pos(p->order, i,
							 c->count)]);
	}
	if (p->poll)
		KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(c->head));
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(c->head, false,
						     DFC_TIMEOUT), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(c->head), 1);
	dfc_put_head(c);
}

static void chain_link_signals_without_waiting_for_newer_ones(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 4,
					   DFC_KEEP_FENCES | DFC_KEEP_LINKS);

	dma_fence_enable_sw_signaling(c->links[1]);
	dma_fence_enable_sw_signaling(c->head);
	dma_fence_signal(c->fences[1]);
	KUNIT_EXPECT_FALSE(test, dfc_signalled(c->links[1]));
	dma_fence_signal(c->fences[0]);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(c->links[1], false,
						     DFC_TIMEOUT), 0);
	KUNIT_EXPECT_FALSE(test, dfc_signalled(c->head));
	KUNIT_EXPECT_FALSE(test, dfc_signalled(c->links[2]));

	dma_fence_signal(c->fences[3]);
	dma_fence_signal(c->fences[2]);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(c->head, false,
						     DFC_TIMEOUT), 0);
	/* Only links someone asked about signal: link 2 was never polled. */
	KUNIT_EXPECT_FALSE(test, dfc_signalled(c->links[2]));
	dfc_put_head(c);
}

static void chain_on_a_plain_fence_waits_for_it_too(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_new(test, book, 2, DFC_KEEP_FENCES);
	struct dma_fence *plain;

	plain = mock_fence64(book, dma_fence_context_alloc(1), 7);
	c->base = dma_fence_get(plain);
	c->head = plain;
	dfc_chain_grow(test, c, 2, 1);

	dma_fence_signal(c->fences[0]);
	dma_fence_signal(c->fences[1]);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(c->head));
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(c->head, false, 1), 0);
	dma_fence_signal(plain);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(c->head, false,
						     DFC_TIMEOUT), 0);
	dfc_put_head(c);
}

static void chain_signals_even_if_a_contained_fence_failed(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 3, DFC_KEEP_FENCES);

	dma_fence_enable_sw_signaling(c->head);
	dma_fence_signal(c->fences[0]);
	mock_signal_error(c->fences[1], -EIO);
	KUNIT_EXPECT_FALSE(test, dfc_signalled(c->head));
	dma_fence_signal(c->fences[2]);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(c->head, false,
						     DFC_TIMEOUT), 0);
	/* Whether the error is passed on is not specified, only completion. */
	KUNIT_EXPECT_NE(test, dma_fence_get_status(c->head), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(c->fences[1]), -EIO);
	kunit_info(test, "chain status after a failed link: %d\n",
		   dma_fence_get_status(c->head));
	dfc_put_head(c);
}

struct dfc_timer {
	struct timer_list timer;
	struct dma_fence *fence;
};

static void dfc_timer_fn(struct timer_list *timer)
{
	struct dfc_timer *t = from_timer(t, timer, timer);

	dma_fence_signal(t->fence);
}

static void dfc_timer_stop(void *data)
{
	struct dfc_timer *t = data;

	timer_delete_sync(&t->timer);
}

static void chain_wait_sleeps_until_the_last_link_signals(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 3, DFC_KEEP_FENCES);
	struct dfc_timer *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	unsigned long start;
	long ret;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(c->head, true, 1), 0);
	dma_fence_signal(c->fences[2]);
	dma_fence_signal(c->fences[1]);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(c->head, false, 1), 0);

	/* The oldest point completes from a timer while we sleep. */
	t->fence = c->fences[0];
	timer_setup(&t->timer, dfc_timer_fn, 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dfc_timer_stop,
							t), 0);
	start = jiffies;
	mod_timer(&t->timer, jiffies + msecs_to_jiffies(20));
	ret = dma_fence_wait_timeout(c->head, true, DFC_TIMEOUT);
	KUNIT_EXPECT_GT(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, dfc_signalled(c->fences[0]));
	KUNIT_EXPECT_GE(test, jiffies - start, 1ul);
	dfc_put_head(c);
}

static void chain_set_deadline_reaches_every_pending_fence(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_new(test, book, 4, DFC_KEEP_FENCES);
	u64 ctx = dma_fence_context_alloc(1);
	ktime_t when = ktime_add_ms(ktime_get(), 100);
	struct dma_fence *plain;
	unsigned int i;

	plain = dfc_deadline_fence(test, book, ctx, 100);
	c->base = dma_fence_get(plain);
	c->head = plain;
	for (i = 0; i < 4; i++)
		dfc_chain_push(test, c, dfc_deadline_fence(test, book, ctx, i),
			       i + 1);
	dma_fence_signal(c->fences[1]);

	dma_fence_set_deadline(c->head, when);
	for (i = 0; i < 4; i++) {
		struct dfc_deadline_fence *df = to_dfc_deadline(c->fences[i]);

		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&df->calls),
				    i == 1 ? 0 : 1, "link %u", i);
		if (i != 1)
			KUNIT_EXPECT_EQ_MSG(test,
					    atomic64_read(&df->deadline_ns),
					    ktime_to_ns(when), "link %u", i);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&to_dfc_deadline(plain)->calls), 1);

	/* A signalled chain passes nothing on. */
	dma_fence_signal(plain);
	for (i = 0; i < 4; i++)
		dma_fence_signal(c->fences[i]);
	dma_fence_set_deadline(c->head, ktime_add_ms(when, 1));
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    atomic_read(&to_dfc_deadline(c->fences[i])->calls),
				    i == 1 ? 0 : 1, "link %u", i);
	KUNIT_EXPECT_EQ(test, atomic_read(&to_dfc_deadline(plain)->calls), 1);
}

/* Releasing */

static void chain_release_stops_at_links_held_elsewhere(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c = dfc_chain_of(test, book, 6, 0);
	struct dma_fence *l2;

	l2 = dma_fence_get(dfc_prev(dfc_prev(dfc_prev(dfc_prev(c->head)))));
	KUNIT_ASSERT_EQ(test, l2->seqno, 2);

	dma_fence_put(c->head);
	c->head = NULL;
	/* Links 6..3 are gone, 2 and 1 survive with our reference. */
	dfc_expect_releases(test, book, 4);
	KUNIT_EXPECT_EQ(test, dfc_refs(l2), 1);
	KUNIT_EXPECT_NOT_NULL(test, dfc_prev(l2));
	dma_fence_put(l2);
	dfc_expect_releases(test, book, 6);
}

/* Long chains: nothing may recurse per link */

static void chain_of_100k_links_is_built_walked_and_freed(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c;
	struct dma_fence *it;
	unsigned int seen = 0;
	u64 expect = DFC_HUGE;
	ktime_t start;
	int err;

	start = ktime_get();
	c = dfc_chain_of(test, book, DFC_HUGE, 0);
	kunit_info(test, "built %u links in %lld ms\n", DFC_HUGE,
		   dfc_ms_since(start));

	start = ktime_get();
	dma_fence_chain_for_each(it, c->head) {
		if (it->seqno != expect--) {
			KUNIT_FAIL(test, "link %llu out of order", it->seqno);
			dma_fence_put(it);
			break;
		}
		seen++;
	}
	KUNIT_EXPECT_EQ(test, seen, DFC_HUGE);
	kunit_info(test, "walked in %lld ms\n", dfc_ms_since(start));

	/* The oldest point lies at the far end. */
	start = ktime_get();
	it = dma_fence_get(c->head);
	err = dma_fence_chain_find_seqno(&it, 1);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_NOT_NULL(test, it);
	if (it) {
		KUNIT_EXPECT_EQ(test, it->seqno, 1);
		KUNIT_EXPECT_NULL(test, dfc_prev(it));
	}
	dma_fence_put(it);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(c->head));
	kunit_info(test, "found seqno 1 in %lld ms\n", dfc_ms_since(start));

	/* The chain holds every link but the head alone. */
	start = ktime_get();
	dma_fence_put(c->head);
	c->head = NULL;
	dfc_expect_releases(test, book, DFC_HUGE);
	kunit_info(test, "freed in %lld ms\n", dfc_ms_since(start));
}

static void chain_of_100k_links_signals_in_any_order(struct kunit *test)
{
	const struct dfc_order_param *p = test->param_value;
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c;
	ktime_t start;
	unsigned int i;

	c = dfc_chain_of(test, book, DFC_HUGE, DFC_KEEP_FENCES);
	start = ktime_get();
	if (!p->poll)
		dma_fence_enable_sw_signaling(c->head);
	for (i = 0; i < DFC_HUGE; i++) {
		dma_fence_signal(c->fences[dfc_order_pos(p->order, i,
							 DFC_HUGE)]);
		if (i % 1024)
			continue;
		cond_resched();
		/* Work per signal growing with the chain would take hours. */
		if (dfc_ms_since(start) > DFC_HUGE_BUDGET_MS) {
			KUNIT_FAIL(test, "only %u of %u signalled after %d ms",
				   i + 1, DFC_HUGE, DFC_HUGE_BUDGET_MS);
			break;
		}
	}
	/* Either the callbacks or one poll walk the whole chain. */
	if (p->poll)
		KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(c->head));
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(c->head, false,
						     DFC_TIMEOUT), 0);
	kunit_info(test, "signalled in %lld ms\n", dfc_ms_since(start));

	start = ktime_get();
	dfc_put_head(c);
	dfc_put_fences(c);
	dfc_expect_releases(test, book, DFC_HUGE);
	kunit_info(test, "freed in %lld ms\n", dfc_ms_since(start));
}

static void chain_of_100k_links_is_freed_around_links_held_elsewhere(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_chain *c;
	struct dma_fence **held;
	unsigned int i, n = 0, step = DFC_HUGE / 10;
	struct dma_fence *it;
	ktime_t start;

	held = kunit_kcalloc(test, DFC_HUGE / step, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	c = dfc_chain_of(test, book, DFC_HUGE, 0);

	/* Hold links 1, step + 1, 2 * step + 1, ...: oldest first. */
	i = DFC_HUGE;
	dma_fence_chain_for_each(it, c->head)
		if (!(--i % step))
			held[DFC_HUGE / step - 1 - n++] = dma_fence_get(it);
	KUNIT_ASSERT_EQ(test, n, DFC_HUGE / step);
	KUNIT_ASSERT_EQ(test, held[0]->seqno, 1);

	start = ktime_get();
	dma_fence_put(c->head);
	c->head = NULL;
	dfc_expect_releases(test, book, DFC_HUGE - 1 - (n - 1) * step);
	/* Dropping all but the newest held link frees nothing. */
	for (i = 0; i + 1 < n; i++)
		dma_fence_put(held[i]);
	dfc_expect_releases(test, book, DFC_HUGE - 1 - (n - 1) * step);
	dma_fence_put(held[n - 1]);
	dfc_expect_releases(test, book, DFC_HUGE);
	kunit_info(test, "freed in %lld ms\n", dfc_ms_since(start));
}

/* Races between two CPUs and the test thread */

struct dfc_race {
	struct dfc_chain *c;
	unsigned int rounds;
	atomic_t round;		/* the round the threads may start */
	atomic_t finished;	/* rounds completed, summed over threads */
	atomic_t mistakes;	/* what the threads found wrong */
	unsigned int pause;	/* signallers sleep every so many points */
	bool stop;		/* no more rounds: the threads exit */
	wait_queue_head_t wq;
	struct task_struct *task[2];
	struct completion exited[2];
	int (*work)(struct dfc_race *r, int me, unsigned int round);
};

/* Runs @r->work for every round the test thread opens. */
static int dfc_race_thread(struct dfc_race *r, int me)
{
	unsigned int round;

	for (round = 1; round <= r->rounds; round++) {
		wait_event_timeout(r->wq,
				   atomic_read_acquire(&r->round) >= round ||
				   READ_ONCE(r->stop), DFC_THREAD_TIMEOUT);
		if (READ_ONCE(r->stop) ||
		    atomic_read_acquire(&r->round) < round)
			break;
		if (r->work(r, me, round))
			atomic_inc(&r->mistakes);
		atomic_inc(&r->finished);
		wake_up_all(&r->wq);
	}
	complete_all(&r->exited[me]);
	/* kthread_stop() expects us to wait for it. */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static int dfc_race_thread0(void *data)
{
	return dfc_race_thread(data, 0);
}

static int dfc_race_thread1(void *data)
{
	return dfc_race_thread(data, 1);
}

/*
 * Tells the threads to leave and waits, boundedly, until they have. Also
 * registered for every round's chain, so that it runs before the chain is
 * dropped. Returns: false if a thread is stuck.
 */
static bool dfc_race_quiesce(struct dfc_race *r)
{
	bool gone = true;
	int i;

	WRITE_ONCE(r->stop, true);
	wake_up_all(&r->wq);
	for (i = 0; i < 2; i++)
		if (r->task[i] &&
		    !wait_for_completion_timeout(&r->exited[i],
						 DFC_THREAD_TIMEOUT))
			gone = false;
	return gone;
}

static void dfc_race_quiesce_action(void *data)
{
	dfc_race_quiesce(data);
}

static void dfc_race_end(void *data)
{
	struct dfc_race *r = data;
	int i;

	/*
	 * A thread stuck inside the implementation cannot be stopped; leave
	 * it, and the memory it may still use, so the other cases can run.
	 */
	if (!dfc_race_quiesce(r)) {
		pr_err("dma-fence-chain test: helper thread stuck, leaked\n");
		return;
	}
	for (i = 0; i < 2; i++)
		if (r->task[i])
			kthread_stop_put(r->task[i]);
	kfree(r);
}

static struct dfc_race *dfc_race_start(struct kunit *test, unsigned int rounds,
				       int (*work)(struct dfc_race *, int,
						   unsigned int))
{
	int (*fn[2])(void *) = { dfc_race_thread0, dfc_race_thread1 };
	struct dfc_race *r;
	int cpu, err, i;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	/* Not kunit memory: a stuck thread may outlive the case. */
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->rounds = rounds;
	r->work = work;
	init_waitqueue_head(&r->wq);
	init_completion(&r->exited[0]);
	init_completion(&r->exited[1]);
	err = kunit_add_action_or_reset(test, dfc_race_end, r);
	KUNIT_ASSERT_EQ(test, err, 0);

	cpu = cpumask_first(cpu_online_mask);
	for (i = 0; i < 2; i++) {
		struct task_struct *task;

		task = kthread_create(fn[i], r, "dfc-kunit/%d", cpu);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
		kthread_bind(task, cpu);
		get_task_struct(task);
		r->task[i] = task;
		wake_up_process(task);
		cpu = cpumask_next(cpu, cpu_online_mask);
	}
	return r;
}

/* Opens @round on chain @c for the threads. */
static void dfc_race_go(struct kunit *test, struct dfc_race *r,
			struct dfc_chain *c, unsigned int round)
{
	int err;

	/* Should the case stop early, the threads leave @c before it goes. */
	err = kunit_add_action_or_reset(test, dfc_race_quiesce_action, r);
	KUNIT_ASSERT_EQ(test, err, 0);
	r->c = c;
	atomic_set_release(&r->round, round);
	wake_up_all(&r->wq);
}

static bool dfc_race_done(struct dfc_race *r, unsigned int round)
{
	return atomic_read_acquire(&r->finished) >= 2 * round;
}

/* Waits for both threads to finish @round, failing the case otherwise. */
static void dfc_race_join(struct kunit *test, struct dfc_race *r,
			  unsigned int round)
{
	KUNIT_ASSERT_GT_MSG(test, wait_event_timeout(r->wq,
						     dfc_race_done(r, round),
						     DFC_THREAD_TIMEOUT),
			    0, "round %u: helper threads did not finish", round);
}

/* Some spinning that varies with @seed, so the threads drift apart. */
static void dfc_jitter(unsigned int seed)
{
	unsigned int spin = (seed * 2654435761u) >> 26;

	while (spin--)
		cpu_relax();
}

#define DFC_RACE_LINKS	1024
#define DFC_RACE_ROUNDS	6
#define DFC_RACE_LOOKS	20000

/*
 * Each thread signals every other point, in a scattered order, pausing
 * now and then so that the test thread gets to look in between.
 */
static int dfc_race_signal_half(struct dfc_race *r, int me, unsigned int round)
{
	unsigned int i, pos;

	for (i = me; i < r->c->count; i += 2) {
		pos = dfc_order_pos(DFC_STRIDED, i, r->c->count);
		dfc_jitter(i + round);
		dma_fence_signal(r->c->fences[pos]);
		if (r->pause && !(i % r->pause))
			usleep_range(20, 50);
	}
	return 0;
}

/* One for_each over @c, checking the order; returns the links seen. */
static unsigned int dfc_race_walk(struct kunit *test, struct dfc_chain *c)
{
	unsigned int seen = 0;
	struct dma_fence *it;
	u64 last = U64_MAX;

	dma_fence_chain_for_each(it, c->head) {
		if (it->seqno >= last || ++seen > c->count) {
			KUNIT_FAIL(test, "walk: %llu after %llu, %u links",
				   it->seqno, last, seen);
			dma_fence_put(it);
			break;
		}
		last = it->seqno;
	}
	return seen;
}

/* One find_seqno on @c; everything it skipped must be signalled. */
static bool dfc_race_find(struct kunit *test, struct dfc_chain *c, u64 seqno)
{
	struct dma_fence *f = dma_fence_get(c->head);
	u64 found, s;
	int err;

	err = dma_fence_chain_find_seqno(&f, seqno);
	found = f ? f->seqno : 0;
	if (err || (f && (!dma_fence_is_chain(f) ||
			  f->context != c->head->context))) {
		KUNIT_FAIL(test, "find %llu: error %d, fence %p", seqno, err, f);
		dma_fence_put(f);
		return false;
	}
	dma_fence_put(f);
	if (found > seqno) {
		KUNIT_FAIL(test, "find %llu: got link %llu", seqno, found);
		return false;
	}
	/* Signalling is final, so what was collected stays signalled. */
	for (s = found + 1; s <= seqno; s++) {
		if (!dfc_signalled(c->fences[s - 1])) {
			KUNIT_FAIL(test, "find %llu: got %llu, %llu pending",
				   seqno, found, s);
			return false;
		}
	}
	return true;
}

static void chain_race_walk_and_find_seqno_against_signalling(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	struct dfc_race *r;
	unsigned int round, looks = 0, walks = 0, i;
	bool ok = true;

	r = dfc_race_start(test, DFC_RACE_ROUNDS, dfc_race_signal_half);
	r->pause = 16;
	for (round = 1; round <= DFC_RACE_ROUNDS && ok; round++) {
		struct dfc_chain *c = dfc_chain_of(test, book, DFC_RACE_LINKS,
						   DFC_KEEP_FENCES);

		dfc_race_go(test, r, c, round);
		for (i = 0; i < DFC_RACE_LOOKS && ok; i++) {
			bool done = dfc_race_done(r, round);

			if (!(i % 8)) {
				dfc_race_walk(test, c);
				walks++;
			}
			ok = dfc_race_find(test, c,
					   (i * 37 + round) % c->count + 1);
			/* One last look after everything is signalled. */
			if (done)
				break;
		}
		looks += i;
		dfc_race_join(test, r, round);

		KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(c->head, false,
							     DFC_TIMEOUT), 0);
		KUNIT_EXPECT_NULL(test,
				  dma_fence_chain_walk(dma_fence_get(c->head)));
		KUNIT_EXPECT_NULL(test, dfc_prev(c->head));
		dfc_put_head(c);
		dfc_put_fences(c);
		/* A leak would only make every further round wait for it. */
		ok = ok && dfc_expect_releases(test, book,
					       round * DFC_RACE_LINKS);
	}
	kunit_info(test, "%u lookups and %u walks during %u rounds\n",
		   looks, walks, round - 1);
}

#define DFC_WAIT_LINKS	64
#define DFC_WAIT_ROUNDS	150

static void chain_race_enable_and_wait_against_signalling(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	unsigned int round, i;
	struct dfc_race *r;

	r = dfc_race_start(test, DFC_WAIT_ROUNDS, dfc_race_signal_half);
	for (round = 1; round <= DFC_WAIT_ROUNDS; round++) {
		struct dfc_chain *c = dfc_chain_of(test, book, DFC_WAIT_LINKS,
						   DFC_KEEP_FENCES);
		long ret;

		/* Arm before, while, or only by waiting on the signallers. */
		if (round % 3 == 0)
			dma_fence_enable_sw_signaling(c->head);
		dfc_race_go(test, r, c, round);
		if (round % 3 == 1) {
			dfc_jitter(round);
			dma_fence_enable_sw_signaling(c->head);
		}
		ret = dma_fence_wait_timeout(c->head, round & 1, DFC_TIMEOUT);
		KUNIT_EXPECT_GT_MSG(test, ret, 0, "round %u", round);
		/* The head may only signal after every contained fence. */
		for (i = 0; i < c->count; i++)
			KUNIT_EXPECT_TRUE_MSG(test, dfc_signalled(c->fences[i]),
					      "round %u link %u", round, i);
		dfc_race_join(test, r, round);
		dfc_put_head(c);
		dfc_put_fences(c);
		if (!dfc_expect_releases(test, book, round * DFC_WAIT_LINKS) ||
		    ret <= 0)
			break;
	}
}

#define DFC_GC_LINKS	256
#define DFC_GC_ROUNDS	100

/*
 * Thread 0 always walks; thread 1 walks in odd rounds and drops the
 * references the test holds to the links in even ones.
 */
static int dfc_race_collect(struct dfc_race *r, int me, unsigned int round)
{
	struct dfc_chain *c = r->c;
	struct dma_fence *it;
	unsigned int i;

	if (me == 1 && !(round & 1)) {
		for (i = 0; i + 1 < c->count; i++) {
			dma_fence_put(c->links[i]);
			c->links[i] = NULL;
			dfc_jitter(i);
		}
		return 0;
	}
	dfc_jitter(round + me);
	it = dma_fence_chain_walk(dma_fence_get(c->head));
	if (it) {
		dma_fence_put(it);
		return 1;
	}
	return 0;
}

static void chain_race_concurrent_walks_collect_each_link_once(struct kunit *test)
{
	struct mock_book *book = mock_book_get(test);
	unsigned int round, i, held = 0;
	struct dfc_race *r;

	r = dfc_race_start(test, DFC_GC_ROUNDS, dfc_race_collect);
	for (round = 1; round <= DFC_GC_ROUNDS; round++) {
		struct dfc_chain *c = dfc_chain_of(test, book, DFC_GC_LINKS,
						   DFC_KEEP_FENCES |
						   (round & 1 ? 0 :
						    DFC_KEEP_LINKS));

		/* All but the head's point complete; only links hold them. */
		for (i = 0; i + 1 < c->count; i++)
			dfc_signal_and_forget(c, i);
		dfc_race_go(test, r, c, round);
		dfc_race_join(test, r, round);

		KUNIT_EXPECT_NULL(test, dfc_prev(c->head));
		if (!dfc_expect_releases(test, book, held + DFC_GC_LINKS - 1))
			break;
		dfc_chain_drop(c);
		held += DFC_GC_LINKS;
		if (!dfc_expect_releases(test, book, held))
			break;
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&r->mistakes), 0);
}

static struct kunit_case dma_fence_chain_test_cases[] = {
	KUNIT_CASE(chain_alloc_and_free_pair_up_without_init),
	KUNIT_CASE(chain_init_on_null_prev_starts_a_new_timeline),
	KUNIT_CASE(chain_init_reuses_the_context_for_a_later_seqno),
	KUNIT_CASE_PARAM(chain_init_opens_a_new_context_unless_the_seqno_is_later,
			 dfc_not_later_gen_params),
	KUNIT_CASE(chain_init_on_a_plain_fence_starts_a_new_timeline),
	KUNIT_CASE(chain_init_compares_seqnos_in_64_bits),
	KUNIT_CASE(chain_init_takes_over_the_callers_references),
	KUNIT_CASE(chain_helpers_tell_links_from_plain_fences),
	KUNIT_CASE(chain_walk_returns_each_older_link_with_a_reference),
	KUNIT_CASE(chain_walk_drops_signalled_links),
	KUNIT_CASE(chain_walk_keeps_the_link_it_starts_from),
	KUNIT_CASE(chain_walk_of_a_plain_fence_drops_it_and_ends),
	KUNIT_CASE(chain_walk_ends_on_a_pending_plain_prev),
	KUNIT_CASE(chain_iteration_holds_a_reference_until_the_next_step),
	KUNIT_CASE(chain_find_seqno_zero_is_a_no_op),
	KUNIT_CASE(chain_find_seqno_rejects_plain_fences_and_future_seqnos),
	KUNIT_CASE(chain_find_seqno_finds_the_link_covering_a_seqno),
	KUNIT_CASE(chain_find_seqno_of_a_signalled_point_gives_null),
	KUNIT_CASE(chain_find_seqno_skips_links_collected_out_of_order),
	KUNIT_CASE(chain_find_seqno_stops_at_a_context_change),
	KUNIT_CASE(chain_of_one_link_behaves_like_its_fence),
	KUNIT_CASE(chain_is_polled_without_arming_any_callback),
	KUNIT_CASE_PARAM(chain_signals_once_every_link_is_signalled,
			 dfc_order_gen_params),
	KUNIT_CASE(chain_link_signals_without_waiting_for_newer_ones),
	KUNIT_CASE(chain_on_a_plain_fence_waits_for_it_too),
	KUNIT_CASE(chain_signals_even_if_a_contained_fence_failed),
	KUNIT_CASE(chain_wait_sleeps_until_the_last_link_signals),
	KUNIT_CASE(chain_set_deadline_reaches_every_pending_fence),
	KUNIT_CASE(chain_release_stops_at_links_held_elsewhere),
	KUNIT_CASE_SLOW(chain_of_100k_links_is_built_walked_and_freed),
	KUNIT_CASE_PARAM_ATTR(chain_of_100k_links_signals_in_any_order,
			      dfc_order_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_SLOW(chain_of_100k_links_is_freed_around_links_held_elsewhere),
	KUNIT_CASE(chain_race_walk_and_find_seqno_against_signalling),
	KUNIT_CASE(chain_race_enable_and_wait_against_signalling),
	KUNIT_CASE(chain_race_concurrent_walks_collect_each_link_once),
	{}
};

static struct kunit_suite dma_fence_chain_test_suite = {
	.name = "dma-fence-chain",
	.test_cases = dma_fence_chain_test_cases,
};

kunit_test_suite(dma_fence_chain_test_suite);

MODULE_DESCRIPTION("KUnit tests for dma_fence_chain");
MODULE_LICENSE("GPL");
