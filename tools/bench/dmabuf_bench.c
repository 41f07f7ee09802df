// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf_bench: the in-kernel half of `make bench`.
 *
 * DOC: what it measures
 *
 * Each case is a loop over one public dma-fence / dma-resv / dma-buf call
 * sequence,
 * timed with ktime_get_ns() around the whole loop.  The module uses only
 * the exported API and the inline helpers of the headers, so the same
 * source builds against pristine 6.12 and against our tree; tools/bench.sh
 * boots each kernel under `qemu -icount shift=0,sleep=off`, where one guest
 * nanosecond is one guest instruction, and compares the two.
 *
 * The fences a case creates live in the module's own memory and have a
 * counting ->release() that frees nothing: a case then times the fence
 * calls themselves, not kmalloc()/kfree_rcu(), and checks at its end that
 * every fence it made was released exactly once.  Containers (arrays,
 * chains, merge results, resv tables) are allocated by the code under
 * test, as drivers use it.
 *
 * Every case validates what it did (callbacks run, the right fence found,
 * merge sizes, resv contents) and reports a failure rather than a figure
 * if anything is off: `make bench-check` loads this module with quick=1
 * (one loop per case) on the lockdep test kernel, so the bench cannot rot.
 *
 * Output, one line per case, on the kernel log:
 *
 *	dmabuf-bench|case|<name>|<n>|<loops>|<ns>|ok
 *	dmabuf-bench|series|<series>|<n>|<loops>|<ns>|ok
 *	dmabuf-bench|ref|<name>|<n>|<loops>|<ns>|ok	(not dma-buf code)
 *	dmabuf-bench|na|<name>||||<why>
 *	dmabuf-bench|case|<name>|<n>|<loops>||FAIL <why>
 *
 * between "dmabuf-bench|begin" and "dmabuf-bench|end|<failures>".
 * Parameters: quick (one loop per case), only (run the cases whose name
 * contains this string).
 */

#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/delay.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/iosys-map.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

static bool quick;
module_param(quick, bool, 0444);
MODULE_PARM_DESC(quick, "one loop per case (bench-check)");

static char *only;
module_param(only, charp, 0444);
MODULE_PARM_DESC(only, "run only the cases whose name contains this");

static DEFINE_SPINLOCK(bench_lock);
static atomic_t bench_released;
static unsigned long bench_cb_calls;

static const char *bench_name(struct dma_fence *f)
{
	return "dmabuf_bench";
}

/* the fences are the module's; count their ends, free nothing */
static void bench_release(struct dma_fence *f)
{
	atomic_inc(&bench_released);
}

static const struct dma_fence_ops bench_ops = {
	.get_driver_name = bench_name,
	.get_timeline_name = bench_name,
	.release = bench_release,
};

static void bench_cb(struct dma_fence *f, struct dma_fence_cb *cb)
{
	bench_cb_calls++;
}

struct bench_run {
	unsigned int n;		/* size parameter of the case */
	int op;			/* which variant, for cases that have several */
	unsigned int loops;
	u64 t0, ns;
	const char *fail;	/* set: the case is broken */
};

static inline void bench_start(struct bench_run *r)
{
	r->t0 = ktime_get_ns();
}

static inline void bench_stop(struct bench_run *r)
{
	r->ns = ktime_get_ns() - r->t0;
}

static void bench_fail(struct bench_run *r, const char *why)
{
	if (!r->fail)
		r->fail = why;
}

static struct dma_fence *pool_alloc(struct bench_run *r, unsigned int n)
{
	struct dma_fence *pool = kvcalloc(n, sizeof(*pool), GFP_KERNEL);

	if (!pool)
		bench_fail(r, "out of memory");
	return pool;
}

static void pool_init(struct dma_fence *pool, unsigned int n, u64 ctx,
		      bool one_context, u64 seqno)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		dma_fence_init(&pool[i], &bench_ops, &bench_lock,
			       one_context ? ctx : ctx + i, seqno);
}

/*
 * Wait (bounded) until @want of the module's fences have been released
 * since @base: releases can trail the last put by an irq_work or a
 * worker on some implementations.
 */
static void expect_released(struct bench_run *r, int base, unsigned int want)
{
	unsigned long deadline = jiffies + 5 * HZ;

	while (atomic_read(&bench_released) - base != want) {
		if (atomic_read(&bench_released) - base > want ||
		    time_after(jiffies, deadline)) {
			bench_fail(r, "fences not released exactly once");
			return;
		}
		schedule_timeout_uninterruptible(1);
	}
}

/*
 * The same inside a timed loop: spin, never sleep.  Under icount with
 * sleep=off an idle guest's clock jumps to its next timer, so one sleep
 * would add milliseconds to a figure; an irq_work (a self-IPI) runs
 * while we spin with interrupts on.
 */
static void expect_released_spin(struct bench_run *r, int base,
				 unsigned int want)
{
	unsigned long spins = 0;

	while (atomic_read(&bench_released) - base != want) {
		if (atomic_read(&bench_released) - base > want ||
		    ++spins > 100000000UL) {
			bench_fail(r, "fences not released exactly once");
			return;
		}
		cpu_relax();
	}
}

/* ------------------------------------------------------------ fence --- */

static void b_fence_init_signal_put(struct bench_run *r)
{
	u64 ctx = dma_fence_context_alloc(1);
	int base = atomic_read(&bench_released);
	struct dma_fence f;
	unsigned int i;

	bench_start(r);
	for (i = 0; i < r->loops; i++) {
		dma_fence_init(&f, &bench_ops, &bench_lock, ctx, i + 1);
		dma_fence_signal(&f);
		dma_fence_put(&f);
	}
	bench_stop(r);
	expect_released(r, base, r->loops);
}

/* r->n callbacks, then signal */
static void b_fence_callbacks(struct bench_run *r)
{
	u64 ctx = dma_fence_context_alloc(1);
	int base = atomic_read(&bench_released);
	struct dma_fence_cb cbs[8];
	struct dma_fence f;
	unsigned int i, j;

	bench_cb_calls = 0;
	bench_start(r);
	for (i = 0; i < r->loops; i++) {
		dma_fence_init(&f, &bench_ops, &bench_lock, ctx, i + 1);
		for (j = 0; j < r->n; j++)
			if (dma_fence_add_callback(&f, &cbs[j], bench_cb))
				bench_fail(r, "add_callback refused");
		dma_fence_signal(&f);
		dma_fence_put(&f);
	}
	bench_stop(r);
	if (bench_cb_calls != (unsigned long)r->loops * r->n)
		bench_fail(r, "callbacks not called once each");
	expect_released(r, base, r->loops);
}

static void b_fence_wait_signalled(struct bench_run *r)
{
	int base = atomic_read(&bench_released);
	struct dma_fence f;
	unsigned int i;

	dma_fence_init(&f, &bench_ops, &bench_lock, dma_fence_context_alloc(1), 1);
	dma_fence_signal(&f);
	bench_start(r);
	for (i = 0; i < r->loops; i++)
		if (dma_fence_wait(&f, false))
			bench_fail(r, "wait on a signalled fence failed");
	bench_stop(r);
	dma_fence_put(&f);
	expect_released(r, base, 1);
}

static void b_fence_get_rcu_safe(struct bench_run *r)
{
	int base = atomic_read(&bench_released);
	struct dma_fence __rcu *slot;
	struct dma_fence f, *g;
	unsigned int i;

	dma_fence_init(&f, &bench_ops, &bench_lock, dma_fence_context_alloc(1), 1);
	RCU_INIT_POINTER(slot, &f);
	bench_start(r);
	for (i = 0; i < r->loops; i++) {
		rcu_read_lock();
		g = dma_fence_get_rcu_safe(&slot);
		rcu_read_unlock();
		if (g != &f)
			bench_fail(r, "get_rcu_safe returned another fence");
		dma_fence_put(g);
	}
	bench_stop(r);
	dma_fence_signal(&f);
	dma_fence_put(&f);
	expect_released(r, base, 1);
}

static void b_fence_is_later(struct bench_run *r)
{
	int base = atomic_read(&bench_released);
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence a, b, *x, *y;
	unsigned int i, later = 0;

	dma_fence_init(&a, &bench_ops, &bench_lock, ctx, 1);
	dma_fence_init(&b, &bench_ops, &bench_lock, ctx, 2);
	bench_start(r);
	for (i = 0; i < r->loops; i++) {
		x = &b;
		y = &a;
		/* the compiler must not hoist the inline out of the loop */
		OPTIMIZER_HIDE_VAR(x);
		OPTIMIZER_HIDE_VAR(y);
		later += dma_fence_is_later(x, y);
	}
	bench_stop(r);
	if (later != r->loops || dma_fence_is_later(&a, &b))
		bench_fail(r, "is_later got the order wrong");
	dma_fence_signal(&a);
	dma_fence_signal(&b);
	dma_fence_put(&a);
	dma_fence_put(&b);
	expect_released(r, base, 2);
}

/* the default wait's zero-timeout poll of an unsignalled fence */
static void b_fence_wait_timeout0(struct bench_run *r)
{
	int base = atomic_read(&bench_released);
	struct dma_fence f;
	unsigned int i;

	dma_fence_init(&f, &bench_ops, &bench_lock, dma_fence_context_alloc(1), 1);
	bench_start(r);
	for (i = 0; i < r->loops; i++)
		if (dma_fence_wait_timeout(&f, true, 0) != 0)
			bench_fail(r, "zero-timeout wait did not return 0");
	bench_stop(r);
	dma_fence_signal(&f);
	dma_fence_put(&f);
	expect_released(r, base, 1);
}

/* ------------------------------------------------------- containers --- */

/*
 * An array of seqno @seqno on context @actx over pool[0..n), initialised
 * here on n contexts from @ctx with seqno @seqno, or NULL.
 */
static struct dma_fence *array_of(struct bench_run *r, struct dma_fence *pool,
				  unsigned int n, u64 ctx, u64 seqno, u64 actx)
{
	struct dma_fence_array *array;
	struct dma_fence **fences;
	unsigned int j;

	fences = kmalloc_array(n, sizeof(*fences), GFP_KERNEL);
	if (!fences) {
		bench_fail(r, "out of memory");
		return NULL;
	}
	pool_init(pool, n, ctx, false, seqno);
	for (j = 0; j < n; j++)
		fences[j] = &pool[j];
	array = dma_fence_array_create(n, fences, actx, seqno, false);
	if (!array) {
		bench_fail(r, "dma_fence_array_create failed");
		for (j = 0; j < n; j++)
			dma_fence_put(&pool[j]);
		kfree(fences);
		return NULL;
	}
	return &array->base;
}

/* an array of r->n fences: create, arm, signal every component, put */
static void b_array_create_signal(struct bench_run *r)
{
	int base = atomic_read(&bench_released);
	u64 ctx = dma_fence_context_alloc(r->n);
	u64 actx = dma_fence_context_alloc(1);
	struct dma_fence *pool, *array;
	unsigned int i, j;

	pool = pool_alloc(r, r->n);
	if (!pool)
		return;
	bench_start(r);
	for (i = 0; i < r->loops && !r->fail; i++) {
		/* the components are reused: the last array must be gone */
		expect_released_spin(r, base, i * r->n);
		array = array_of(r, pool, r->n, ctx, i + 1, actx);
		if (!array)
			break;
		dma_fence_enable_sw_signaling(array);
		for (j = 0; j < r->n; j++)
			dma_fence_signal(&pool[j]);
		if (!dma_fence_is_signaled(array))
			bench_fail(r, "array not signalled by its components");
		dma_fence_put(array);
	}
	bench_stop(r);
	expect_released(r, base, i * r->n);
	kvfree(pool);
}

static void b_chain_append(struct bench_run *r)
{
	int base = atomic_read(&bench_released);
	struct dma_fence_chain **links;
	struct dma_fence *prev = NULL;
	struct dma_fence f;
	unsigned int i;

	links = kvcalloc(r->loops, sizeof(*links), GFP_KERNEL);
	if (!links) {
		bench_fail(r, "out of memory");
		return;
	}
	for (i = 0; i < r->loops; i++) {
		links[i] = dma_fence_chain_alloc();
		if (!links[i]) {
			bench_fail(r, "out of memory");
			while (i--)
				dma_fence_chain_free(links[i]);
			kvfree(links);
			return;
		}
	}
	dma_fence_init(&f, &bench_ops, &bench_lock, dma_fence_context_alloc(1), 1);
	bench_start(r);
	for (i = 0; i < r->loops; i++) {
		dma_fence_chain_init(links[i], prev, dma_fence_get(&f), i + 1);
		prev = &links[i]->base;
	}
	bench_stop(r);
	if (prev->seqno != r->loops ||
	    (r->loops > 1 && prev->context != links[0]->base.context))
		bench_fail(r, "links did not join one timeline");
	dma_fence_put(prev);
	dma_fence_signal(&f);
	dma_fence_put(&f);
	expect_released(r, base, 1);
	kvfree(links);
}

/* a chain of n links on one unsignalled fence, seqnos 1..n */
static struct dma_fence *chain_build(struct bench_run *r, struct dma_fence *f,
				     unsigned int n)
{
	struct dma_fence *prev = NULL;
	struct dma_fence_chain *link;
	unsigned int i;

	for (i = 0; i < n; i++) {
		link = dma_fence_chain_alloc();
		if (!link) {
			bench_fail(r, "out of memory");
			break;
		}
		dma_fence_chain_init(link, prev, dma_fence_get(f), i + 1);
		prev = &link->base;
	}
	return prev;
}

/* find the middle of a chain of r->n links, from its head */
static void b_chain_find_seqno(struct bench_run *r)
{
	int base = atomic_read(&bench_released);
	u64 target = r->n / 2 ? r->n / 2 : 1;
	struct dma_fence f, *head, *g;
	unsigned int i;

	dma_fence_init(&f, &bench_ops, &bench_lock, dma_fence_context_alloc(1), 1);
	head = chain_build(r, &f, r->n);
	if (!r->fail) {
		bench_start(r);
		for (i = 0; i < r->loops; i++) {
			g = dma_fence_get(head);
			if (dma_fence_chain_find_seqno(&g, target) || !g ||
			    g->seqno != target)
				bench_fail(r, "find_seqno found the wrong link");
			dma_fence_put(g);
		}
		bench_stop(r);
	}
	dma_fence_put(head);
	dma_fence_signal(&f);
	dma_fence_put(&f);
	expect_released(r, base, 1);
}

static unsigned int count_unwrapped(struct dma_fence *head, u64 want_seqno)
{
	struct dma_fence_unwrap iter;
	struct dma_fence *f;
	unsigned int n = 0;

	dma_fence_unwrap_for_each(f, &iter, head)
		n += !want_seqno || f->seqno == want_seqno;
	return n;
}


static void signal_all(struct dma_fence *pool, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		dma_fence_signal(&pool[i]);
}

/* merge two arrays of r->n fences over the same r->n contexts */
static void b_unwrap_merge_2xn(struct bench_run *r)
{
	int base = atomic_read(&bench_released);
	u64 ctx = dma_fence_context_alloc(r->n);
	struct dma_fence *pool, *a, *b = NULL, *m;
	unsigned int i, made = 0;

	pool = pool_alloc(r, 2 * r->n);
	if (!pool)
		return;
	a = array_of(r, pool, r->n, ctx, 1, dma_fence_context_alloc(1));
	if (a) {
		made = r->n;
		b = array_of(r, pool + r->n, r->n, ctx, 2,
			     dma_fence_context_alloc(1));
	}
	if (b)
		made += r->n;
	if (b) {
		bench_start(r);
		for (i = 0; i < r->loops; i++) {
			m = dma_fence_unwrap_merge(a, b);
			if (!m) {
				bench_fail(r, "merge failed");
				break;
			}
			if (i == 0 && (count_unwrapped(m, 0) != r->n ||
				       count_unwrapped(m, 2) != r->n))
				bench_fail(r, "merge kept the wrong fences");
			dma_fence_put(m);
		}
		bench_stop(r);
	}
	signal_all(pool, made);
	dma_fence_put(a);
	dma_fence_put(b);
	/* a failed array_of() released its own components */
	expect_released(r, base, a && b ? made : atomic_read(&bench_released) - base);
	kvfree(pool);
}

/*
 * 1024 fences on 16 contexts: 16 chains of 4 links, each link an array of
 * one fence per context; seqno 1..64 in order, so the merge keeps the 16
 * fences of the last link of the last chain.
 */
#define M_INPUTS	16
#define M_LINKS		4
#define M_CTX		16
static void b_unwrap_merge_1024(struct bench_run *r)
{
	const unsigned int nfences = M_INPUTS * M_LINKS * M_CTX;
	struct dma_fence_unwrap cursors[M_INPUTS];
	struct dma_fence *inputs[M_INPUTS] = {};
	int base = atomic_read(&bench_released);
	u64 ctx = dma_fence_context_alloc(M_CTX);
	struct dma_fence_chain *link;
	struct dma_fence *pool, *arr, *m;
	unsigned int i, k, made = 0;

	pool = pool_alloc(r, nfences);
	if (!pool)
		return;
	for (i = 0; i < M_INPUTS && !r->fail; i++) {
		for (k = 0; k < M_LINKS && !r->fail; k++) {
			link = dma_fence_chain_alloc();
			if (!link) {
				bench_fail(r, "out of memory");
				break;
			}
			arr = array_of(r, pool + made, M_CTX, ctx, i * M_LINKS + k + 1,
				       dma_fence_context_alloc(1));
			if (!arr) {
				dma_fence_chain_free(link);
				break;
			}
			made += M_CTX;
			dma_fence_chain_init(link, inputs[i], arr, k + 1);
			inputs[i] = &link->base;
		}
	}
	if (!r->fail) {
		bench_start(r);
		for (i = 0; i < r->loops; i++) {
			m = __dma_fence_unwrap_merge(M_INPUTS, inputs, cursors);
			if (!m) {
				bench_fail(r, "merge failed");
				break;
			}
			if (i == 0 && (count_unwrapped(m, 0) != M_CTX ||
				       count_unwrapped(m, M_INPUTS * M_LINKS) != M_CTX))
				bench_fail(r, "merge kept the wrong fences");
			dma_fence_put(m);
		}
		bench_stop(r);
	}
	signal_all(pool, made);
	for (i = 0; i < M_INPUTS; i++)
		dma_fence_put(inputs[i]);
	expect_released(r, base, made);
	kvfree(pool);
}

/* -------------------------------------------------------------- resv --- */

/* add pool[0..n) to obj, one context each, then drop our references */
static void resv_fill(struct bench_run *r, struct dma_resv *obj,
		      struct dma_fence *pool, unsigned int n, u64 ctx,
		      enum dma_resv_usage usage)
{
	unsigned int i;

	pool_init(pool, n, ctx, false, 1);
	dma_resv_lock(obj, NULL);
	if (dma_resv_reserve_fences(obj, n))
		bench_fail(r, "reserve failed");
	else
		for (i = 0; i < n; i++)
			dma_resv_add_fence(obj, &pool[i], usage);
	dma_resv_unlock(obj);
	for (i = 0; i < n; i++)
		dma_fence_put(&pool[i]);
}

static unsigned int resv_count(struct dma_resv *obj)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	unsigned int n = 0;

	dma_resv_lock(obj, NULL);
	dma_resv_for_each_fence(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP, f)
		n++;
	dma_resv_unlock(obj);
	return n;
}

/*
 * The per-submit path: lock, reserve one slot, add the job's fence,
 * unlock; r->n contexts take turns, each new fence replacing its
 * context's last one.
 */
static void b_resv_submit(struct bench_run *r)
{
	int base = atomic_read(&bench_released);
	u64 ctx = dma_fence_context_alloc(r->n);
	enum dma_resv_usage usage = r->n == 1 ? DMA_RESV_USAGE_WRITE :
						DMA_RESV_USAGE_READ;
	struct dma_fence *pool;
	struct dma_resv obj;
	unsigned int i;

	pool = pool_alloc(r, r->loops);
	if (!pool)
		return;
	for (i = 0; i < r->loops; i++)
		dma_fence_init(&pool[i], &bench_ops, &bench_lock,
			       ctx + i % r->n, i / r->n + 1);
	dma_resv_init(&obj);
	bench_start(r);
	for (i = 0; i < r->loops; i++) {
		dma_resv_lock(&obj, NULL);
		if (dma_resv_reserve_fences(&obj, 1))
			bench_fail(r, "reserve failed");
		else
			dma_resv_add_fence(&obj, &pool[i], usage);
		dma_resv_unlock(&obj);
	}
	bench_stop(r);
	if (resv_count(&obj) != min(r->n, r->loops))
		bench_fail(r, "fences of a context not replaced");
	dma_resv_fini(&obj);
	signal_all(pool, r->loops);
	for (i = 0; i < r->loops; i++)
		dma_fence_put(&pool[i]);
	expect_released(r, base, r->loops);
	kvfree(pool);
}

/*
 * Reference: dma_resv_lock() + dma_resv_unlock() alone, the ww_mutex
 * fast paths (kernel/locking, not ours) every submit pays; what a submit
 * costs beyond this is reserve + add.
 */
static void b_resv_lock_unlock(struct bench_run *r)
{
	struct dma_resv obj;
	unsigned int i;

	dma_resv_init(&obj);
	bench_start(r);
	for (i = 0; i < r->loops; i++) {
		dma_resv_lock(&obj, NULL);
		dma_resv_unlock(&obj);
	}
	bench_stop(r);
	dma_resv_fini(&obj);
}

enum resv_op {
	RESV_ITER_UNLOCKED,
	RESV_GET_FENCES,
	RESV_TEST_SIGNALED,
	RESV_WAIT_SIGNALED,
	RESV_GET_SINGLETON,
	RESV_COPY_FENCES,
};

static void resv_walk(struct bench_run *r, enum resv_op op)
{
	bool signalled = op == RESV_TEST_SIGNALED || op == RESV_WAIT_SIGNALED;
	int base = atomic_read(&bench_released);
	struct dma_fence **fences, *f;
	struct dma_resv_iter cursor;
	struct dma_resv obj, dst;
	struct dma_fence *pool;
	unsigned int i, j, num;
	long ret;

	pool = pool_alloc(r, r->n);
	if (!pool)
		return;
	dma_resv_init(&obj);
	dma_resv_init(&dst);
	resv_fill(r, &obj, pool, r->n, dma_fence_context_alloc(r->n),
		  DMA_RESV_USAGE_READ);
	if (signalled)
		signal_all(pool, r->n);
	bench_start(r);
	for (i = 0; i < r->loops && !r->fail; i++) {
		switch (op) {
		case RESV_ITER_UNLOCKED:
			num = 0;
			dma_resv_iter_begin(&cursor, &obj, DMA_RESV_USAGE_BOOKKEEP);
			dma_resv_for_each_fence_unlocked(&cursor, f)
				num++;
			dma_resv_iter_end(&cursor);
			if (num != r->n)
				bench_fail(r, "iteration missed fences");
			break;
		case RESV_GET_FENCES:
			if (dma_resv_get_fences(&obj, DMA_RESV_USAGE_READ, &num, &fences)) {
				bench_fail(r, "get_fences failed");
				break;
			}
			if (num != r->n)
				bench_fail(r, "get_fences missed fences");
			for (j = 0; j < num; j++)
				dma_fence_put(fences[j]);
			kfree(fences);
			break;
		case RESV_TEST_SIGNALED:
			if (!dma_resv_test_signaled(&obj, DMA_RESV_USAGE_BOOKKEEP))
				bench_fail(r, "signalled fences tested unsignalled");
			break;
		case RESV_WAIT_SIGNALED:
			ret = dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_BOOKKEEP,
						    false, MAX_SCHEDULE_TIMEOUT);
			if (ret <= 0)
				bench_fail(r, "wait on signalled fences failed");
			break;
		case RESV_GET_SINGLETON:
			if (dma_resv_get_singleton(&obj, DMA_RESV_USAGE_READ, &f) || !f) {
				bench_fail(r, "get_singleton failed");
				break;
			}
			if (i == 0 && count_unwrapped(f, 0) != r->n)
				bench_fail(r, "singleton missed fences");
			dma_fence_put(f);
			break;
		case RESV_COPY_FENCES:
			dma_resv_lock(&dst, NULL);
			if (dma_resv_copy_fences(&dst, &obj))
				bench_fail(r, "copy_fences failed");
			dma_resv_unlock(&dst);
			break;
		}
	}
	bench_stop(r);
	if (op == RESV_COPY_FENCES && !r->fail && resv_count(&dst) != r->n)
		bench_fail(r, "copy_fences missed fences");
	dma_resv_fini(&dst);
	dma_resv_fini(&obj);
	if (!signalled)
		signal_all(pool, r->n);
	expect_released(r, base, r->n);
	kvfree(pool);
}

static void b_resv_walk(struct bench_run *r)
{
	resv_walk(r, r->op);
}

/* ---------------------------------------------------------- dma-buf --- */

/*
 * A one-page exporter whose callbacks do the least an exporter can: its
 * table is built once, map hands it out, release counts.  A figure is
 * then the core's export, attach, map or vmap path.
 */
static struct bench_buf {
	struct page *page;
	struct sg_table sgt;
	struct device *dev;
	atomic_t released;
} bb;

static struct sg_table *bb_map(struct dma_buf_attachment *att,
			       enum dma_data_direction dir)
{
	return &bb.sgt;
}

static void bb_unmap(struct dma_buf_attachment *att, struct sg_table *sgt,
		     enum dma_data_direction dir)
{
}

static void bb_release(struct dma_buf *buf)
{
	atomic_inc(&bb.released);
}

static int bb_vmap(struct dma_buf *buf, struct iosys_map *map)
{
	iosys_map_set_vaddr(map, page_address(bb.page));
	return 0;
}

static void bb_vunmap(struct dma_buf *buf, struct iosys_map *map)
{
}

static const struct dma_buf_ops bb_ops = {
	.map_dma_buf = bb_map,
	.unmap_dma_buf = bb_unmap,
	.release = bb_release,
	.vmap = bb_vmap,
	.vunmap = bb_vunmap,
};

static int bb_setup(void)
{
	int ret;

	bb.page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!bb.page)
		return -ENOMEM;
	ret = sg_alloc_table(&bb.sgt, 1, GFP_KERNEL);
	if (ret)
		goto err_page;
	sg_set_page(bb.sgt.sgl, bb.page, PAGE_SIZE, 0);
	sg_dma_address(bb.sgt.sgl) = page_to_phys(bb.page);
	sg_dma_len(bb.sgt.sgl) = PAGE_SIZE;
	bb.sgt.nents = 1;
	bb.dev = root_device_register("dmabuf_bench");
	if (IS_ERR(bb.dev)) {
		ret = PTR_ERR(bb.dev);
		goto err_table;
	}
	return 0;

err_table:
	sg_free_table(&bb.sgt);
err_page:
	__free_page(bb.page);
	return ret;
}

static void bb_teardown(void)
{
	root_device_unregister(bb.dev);
	sg_free_table(&bb.sgt);
	__free_page(bb.page);
}

static struct dma_buf *bb_export(struct bench_run *r)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *buf;

	info.ops = &bb_ops;
	info.size = PAGE_SIZE;
	info.flags = O_RDWR;
	info.priv = &bb;
	buf = dma_buf_export(&info);
	if (IS_ERR(buf)) {
		bench_fail(r, "dma_buf_export failed");
		return NULL;
	}
	return buf;
}

/*
 * The final reference is dropped with __fput_sync(): dma_buf_put() from
 * module init would defer every release to insmod's return to userspace.
 */
static void bb_release_now(struct dma_buf *buf)
{
	__fput_sync(buf->file);
}

enum { BUF_EXPORT, BUF_ATTACH, BUF_MAP, BUF_VMAP };

static void b_dma_buf(struct bench_run *r)
{
	int base = atomic_read(&bb.released);
	struct dma_buf_attachment *att = NULL;
	struct dma_buf *buf = NULL;
	struct sg_table *sgt;
	struct iosys_map map;
	unsigned int i;

	if (r->op != BUF_EXPORT) {
		buf = bb_export(r);
		if (!buf)
			return;
	}
	if (r->op == BUF_MAP) {
		att = dma_buf_attach(buf, bb.dev);
		if (IS_ERR(att)) {
			bench_fail(r, "dma_buf_attach failed");
			goto out;
		}
	}
	/*
	 * Work the setup queued (our core creates the sysfs directory of
	 * the new buffer from a work item about 10 ms later; 6.12 did it
	 * inside the export above) happens now, not inside the timed loop.
	 */
	msleep(20);
	__flush_workqueue(system_wq);

	bench_start(r);
	for (i = 0; i < r->loops && !r->fail; i++) {
		switch (r->op) {
		case BUF_EXPORT:
			buf = bb_export(r);
			if (buf)
				bb_release_now(buf);
			buf = NULL;
			break;
		case BUF_ATTACH:
			att = dma_buf_attach(buf, bb.dev);
			if (IS_ERR(att)) {
				bench_fail(r, "dma_buf_attach failed");
				att = NULL;
				break;
			}
			dma_buf_detach(buf, att);
			att = NULL;
			break;
		case BUF_MAP:
			sgt = dma_buf_map_attachment_unlocked(att, DMA_TO_DEVICE);
			if (IS_ERR(sgt) || sg_dma_address(sgt->sgl) !=
					   page_to_phys(bb.page)) {
				bench_fail(r, "map gave the wrong table");
				break;
			}
			dma_buf_unmap_attachment_unlocked(att, sgt, DMA_TO_DEVICE);
			break;
		case BUF_VMAP:
			if (dma_buf_vmap_unlocked(buf, &map) ||
			    map.vaddr != page_address(bb.page)) {
				bench_fail(r, "vmap gave the wrong address");
				break;
			}
			dma_buf_vunmap_unlocked(buf, &map);
			break;
		}
	}
	bench_stop(r);
	if (r->op == BUF_EXPORT && !r->fail &&
	    atomic_read(&bb.released) - base != r->loops)
		bench_fail(r, "buffers not released exactly once");
out:
	if (att)
		dma_buf_detach(buf, att);
	if (buf)
		bb_release_now(buf);
}

/* ------------------------------------------------------------ table --- */

struct bench_case {
	const char *name;	/* table row, or the series' name */
	void (*fn)(struct bench_run *r);
	unsigned int n;
	unsigned int loops;
	int op;
};

/*
 * Loop counts: about 5-30 million guest instructions per case, enough
 * for a figure that repeats under icount, short enough that the two
 * kernels' runs take well under a minute each.
 */
static const struct bench_case cases[] = {
	{ "fence init+signal+put", b_fence_init_signal_put, 0, 65536 },
	{ "fence 1 callback+signal", b_fence_callbacks, 1, 32768 },
	{ "fence 8 callbacks+signal", b_fence_callbacks, 8, 16384 },
	{ "fence wait signalled", b_fence_wait_signalled, 0, 65536 },
	{ "fence get_rcu_safe", b_fence_get_rcu_safe, 0, 65536 },
	{ "fence is_later", b_fence_is_later, 0, 1 << 20 },
	{ "fence wait timeout 0", b_fence_wait_timeout0, 0, 65536 },
	{ "array 2 create+signal+put", b_array_create_signal, 2, 16384 },
	{ "array 16 create+signal+put", b_array_create_signal, 16, 4096 },
	{ "array 256 create+signal+put", b_array_create_signal, 256, 256 },
	{ "chain append", b_chain_append, 0, 32768 },
	{ "chain find_seqno 10", b_chain_find_seqno, 10, 16384 },
	{ "chain find_seqno 1000", b_chain_find_seqno, 1000, 256 },
	{ "chain find_seqno 10000", b_chain_find_seqno, 10000, 32 },
	{ "unwrap merge 2x64", b_unwrap_merge_2xn, 64, 1024 },
	{ "unwrap merge 1024/16 ctx", b_unwrap_merge_1024, 0, 128 },
	{ "resv submit 1 context", b_resv_submit, 1, 32768 },
	{ "resv submit 16 contexts", b_resv_submit, 16, 32768 },
	{ "resv iter unlocked 1", b_resv_walk, 1, 65536, RESV_ITER_UNLOCKED },
	{ "resv iter unlocked 64", b_resv_walk, 64, 4096, RESV_ITER_UNLOCKED },
	{ "resv iter unlocked 1024", b_resv_walk, 1024, 256, RESV_ITER_UNLOCKED },
	{ "resv get_fences 64", b_resv_walk, 64, 4096, RESV_GET_FENCES },
	{ "resv test_signaled 64", b_resv_walk, 64, 4096, RESV_TEST_SIGNALED },
	{ "resv wait_timeout signalled 64", b_resv_walk, 64, 4096, RESV_WAIT_SIGNALED },
	{ "resv get_singleton 1", b_resv_walk, 1, 32768, RESV_GET_SINGLETON },
	{ "resv get_singleton 64", b_resv_walk, 64, 2048, RESV_GET_SINGLETON },
	{ "resv copy_fences 64", b_resv_walk, 64, 2048, RESV_COPY_FENCES },
	{ "dma-buf export+release 1 page", b_dma_buf, 1, 4096, BUF_EXPORT },
	{ "dma-buf attach+detach", b_dma_buf, 1, 16384, BUF_ATTACH },
	{ "dma-buf map+unmap attachment", b_dma_buf, 1, 16384, BUF_MAP },
	{ "dma-buf vmap+vunmap", b_dma_buf, 1, 32768, BUF_VMAP },
};

/* scaling series: each at n = 1, 4, 16, ..., 4096 */
static const struct bench_case series[] = {
	{ "array create+signal+put", b_array_create_signal, 0, 1 << 16 },
	{ "chain find_seqno (middle)", b_chain_find_seqno, 0, 1 << 18 },
	{ "unwrap merge 2xn", b_unwrap_merge_2xn, 0, 1 << 16 },
	{ "resv iter unlocked", b_resv_walk, 0, 1 << 18, RESV_ITER_UNLOCKED },
	{ "resv get_fences", b_resv_walk, 0, 1 << 17, RESV_GET_FENCES },
	{ "resv test_signaled", b_resv_walk, 0, 1 << 18, RESV_TEST_SIGNALED },
	{ "resv copy_fences", b_resv_walk, 0, 1 << 16, RESV_COPY_FENCES },
};

/* reference rows: code on the measured paths that is not dma-buf's */
static const struct bench_case refs[] = {
	{ "resv lock+unlock (ww_mutex)", b_resv_lock_unlock, 0, 32768 },
};

static unsigned int bench_failures;

static void run_one(const char *kind, const struct bench_case *c,
		    unsigned int n, unsigned int loops)
{
	struct bench_run r = { .n = n, .op = c->op, .loops = quick ? 1 : loops };
	const char *name = c->name;

	if (only && !strstr(name, only))
		return;
	if (!quick) {
		/* warm the slab caches and the code paths once, untimed */
		struct bench_run warm = { .n = n, .op = c->op, .loops = 1 };

		c->fn(&warm);
		/*
		 * Let the frees the last cases deferred happen now, not
		 * inside this case's timed loop.
		 */
		kvfree_rcu_barrier();
		rcu_barrier();
	}
	c->fn(&r);
	if (r.fail) {
		bench_failures++;
		pr_info("dmabuf-bench|%s|%s|%u|%u||FAIL %s\n", kind, name, n,
			r.loops, r.fail);
	} else {
		pr_info("dmabuf-bench|%s|%s|%u|%u|%llu|ok\n", kind, name, n,
			r.loops, r.ns);
	}
	cond_resched();
}

static int __init dmabuf_bench_init(void)
{
	unsigned int i, n;

	if (bb_setup()) {
		pr_info("dmabuf-bench|end|setup failed\n");
		return -ENOMEM;
	}
	pr_info("dmabuf-bench|begin|quick=%d\n", quick);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run_one("case", &cases[i], cases[i].n, cases[i].loops);
	for (i = 0; i < ARRAY_SIZE(refs); i++)
		run_one("ref", &refs[i], refs[i].n, refs[i].loops);
	for (i = 0; i < ARRAY_SIZE(series); i++)
		for (n = 1; n <= 4096; n *= 4)
			run_one("series", &series[i], n,
				max(series[i].loops / n / 4, 4u));
	pr_info("dmabuf-bench|end|%u\n", bench_failures);
	bb_teardown();
	return 0;
}

static void __exit dmabuf_bench_exit(void)
{
}

module_init(dmabuf_bench_init);
module_exit(dmabuf_bench_exit);
MODULE_DESCRIPTION("dma-fence / dma-resv micro-benchmarks for make bench");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
