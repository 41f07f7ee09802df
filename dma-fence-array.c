// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-fence-array: one fence standing for a set of fences.
 */

#include <linux/atomic.h>
#include <linux/dma-fence-array.h>
#include <linux/export.h>
#include <linux/slab.h>

#include "dma-buf-fault.h"

/**
 * DOC: fence arrays
 *
 * A &struct dma_fence_array is a fence that completes when all of a set of
 * fences have signalled or, created with @signal_on_any, as soon as one of
 * them has. It lets a set of fences travel through interfaces that take a
 * single fence: a sync_file, a reservation object slot, a syncobj point.
 * dma_fence_unwrap_merge() builds them from arbitrary fences; drivers can
 * build them directly::
 *
 *	fences = kmalloc_array(n, sizeof(*fences), GFP_KERNEL);
 *	for (i = 0; i < n; i++)
 *		fences[i] = dma_fence_get(job[i]->done);
 *	array = dma_fence_array_create(n, fences, dma_fence_context_alloc(1),
 *				       1, false);
 *	if (!array) {
 *		while (n--)
 *			dma_fence_put(fences[n]);
 *		kfree(fences);
 *		return -ENOMEM;
 *	}
 *	... hand out &array->base, later dma_fence_put(&array->base) ...
 *
 * On success the array owns @fences and the references in it; it drops them
 * when it is released. Components should be plain fences: an array inside
 * an array (or a chain inside one) is accepted, as in 6.12, but warned
 * about, since every operation then recurses into it; flatten with
 * dma_fence_unwrap_merge() instead.
 *
 * How it works:
 *
 * - &dma_fence_array.num_pending counts the components not yet counted as
 *   signalled. It starts at &dma_fence_array.num_fences in both modes and
 *   the array is complete once it falls to 0 (all) or below its start (any).
 *   Only signalled components are ever counted, so the test holds whether or
 *   not signalling has been enabled.
 * - Nothing hangs on the components until signalling is enabled. Then each
 *   pending component gets a callback. The armed callbacks share one
 *   reference to the array, dropped by whoever counts the last component.
 *   Once armed, the array's signaled op answers from the count alone.
 * - The component callback that completes the array does not signal it: it
 *   runs under that component's lock, and the array's own waiters may take
 *   other fence locks. It queues &dma_fence_array.work, which signals from
 *   irq_work context. The work's reference is the shared one when the last
 *   component completes the array; with @signal_on_any it is a second one,
 *   taken when signalling is enabled, because a callback that completes
 *   the array may be overtaken by the one that drops the shared reference.
 *   After its decrement a callback touches the array only through a
 *   reference it owns.
 * - The first error reported by a component sticks and becomes the array's
 *   error; errors arriving after the array signalled are ignored.
 *
 * Locking: &dma_fence_array.lock is the array's fence lock and guards
 * nothing else. Callbacks and the work use atomics only. The array's lock is
 * held when the core calls into enable_signaling, which then takes component
 * locks: array locks nest outside component locks, never the other way.
 */

/*
 * The array's error while none has been latched: positive, so it can never
 * be mistaken for a real error, and invisible to dma_fence_get_status()
 * which only reports errors of signalled fences.
 */
#define ARRAY_ERROR_OPEN	1

/* Set in &dma_fence.flags of arrays that complete on their first component. */
#define ARRAY_FLAG_ANY		DMA_FENCE_FLAG_USER_BITS

/* Our ops only ever see arrays: no type check needed. */
static struct dma_fence_array *array_of(struct dma_fence *base)
{
	return container_of(base, struct dma_fence_array, base);
}

/* The value of num_pending at which the array is complete. */
static int array_done_at(const struct dma_fence_array *array)
{
	if (test_bit(ARRAY_FLAG_ANY, &array->base.flags) && array->num_fences)
		return array->num_fences - 1;
	return 0;
}

/* The first component error wins, until the array signals. */
static void array_note_error(struct dma_fence_array *array, int error)
{
	if (error < 0)
		cmpxchg(&array->base.error, ARRAY_ERROR_OPEN, error);
}

/* Called right before the array signals: no component error after this. */
static void array_seal_error(struct dma_fence_array *array)
{
	cmpxchg(&array->base.error, ARRAY_ERROR_OPEN, 0);
}

static void array_signal_work(struct irq_work *work)
{
	struct dma_fence_array *array = container_of(work, typeof(*array), work);
	struct dma_fence *fence = &array->base;

	array_seal_error(array);
	dma_fence_signal(fence);
	dma_fence_put(fence);
}

static void array_component_cb(struct dma_fence *component,
			       struct dma_fence_cb *cb)
{
	struct dma_fence_array_cb *slot = container_of(cb, typeof(*slot), cb);
	struct dma_fence_array *array = slot->array;
	/*
	 * Read before the decrement: once it is done, only the references
	 * named below keep the array alive, and only for their owner.
	 */
	int done_at = array_done_at(array);
	int left;

	array_note_error(array, component->error);
	left = atomic_dec_return(&array->num_pending);
	dma_buf_race_window("array-counted", array);
	if (left == done_at)
		irq_work_queue(&array->work);	/* hands the work its reference */
	else if (!left)
		dma_fence_put(&array->base);	/* the callbacks' shared one */
}

static const char *array_driver_name(struct dma_fence *fence)
{
	return "dma_fence_array";
}

static const char *array_timeline_name(struct dma_fence *fence)
{
	return "unbound";
}

/*
 * Called by the core with the array's lock held and a reference held by the
 * caller, so neither the puts below nor a racing callback can free it.
 */
static bool array_enable_signaling(struct dma_fence *fence)
{
	struct dma_fence_array *array = array_of(fence);
	unsigned int i, n = array->num_fences;
	int done_at = array_done_at(array);
	bool complete = false;
	int left;

	if (atomic_read(&array->num_pending) <= done_at) {
		array_seal_error(array);
		return false;
	}

	/*
	 * One reference shared by the armed callbacks, dropped by whoever
	 * counts the last component. When the array completes before that
	 * (signal_on_any), the work needs one of its own; it is taken here,
	 * while the array is known to be alive, never by a callback racing
	 * with the one that drops the shared reference.
	 */
	dma_fence_get(fence);
	if (done_at)
		dma_fence_get(fence);
	for (i = 0; i < n; i++) {
		struct dma_fence *component = array->fences[i];
		struct dma_fence_array_cb *slot = &array->callbacks[i];

		slot->array = array;
		if (!complete) {
			if (!dma_fence_add_callback(component, &slot->cb,
						    array_component_cb))
				continue;
			array_note_error(array, component->error);
		}
		/* Signalled already, or no longer needed: count it here. */
		left = atomic_dec_return(&array->num_pending);
		if (left == done_at)
			complete = true;
		if (!left)
			dma_fence_put(fence);
	}

	if (!complete)
		return true;
	/* Completed here, so no callback queues the work: drop its share. */
	if (done_at)
		dma_fence_put(fence);
	array_seal_error(array);
	return false;
}

/*
 * Once signalling is enabled the callbacks keep num_pending exact, so the
 * answer is O(1); 6.12 answers the same way, and dma_fence_is_signaled() of
 * an array (scheduler dependency checks, sync_file poll) stays cheap.
 * Before that, look at the components themselves.
 */
static bool array_signaled(struct dma_fence *fence)
{
	struct dma_fence_array *array = array_of(fence);
	bool any = test_bit(ARRAY_FLAG_ANY, &fence->flags);
	unsigned int i, n = array->num_fences;

	if (atomic_read_acquire(&array->num_pending) <= array_done_at(array))
		goto complete;
	if (test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &fence->flags))
		return false;

	for (i = 0; i < n; i++) {
		struct dma_fence *component = array->fences[i];

		if (dma_fence_is_signaled(component)) {
			array_note_error(array, component->error);
			if (any)
				goto complete;
		} else if (!any) {
			return false;
		}
	}
	if (any)
		return false;
complete:
	array_seal_error(array);
	return true;
}

static void array_release(struct dma_fence *fence)
{
	struct dma_fence_array *array = array_of(fence);
	struct dma_fence **components = array->fences;
	unsigned int n = array->num_fences;

	while (n--)
		dma_fence_put(components[n]);
	kfree(components);
	dma_fence_free(fence);
}

static void array_set_deadline(struct dma_fence *fence, ktime_t deadline)
{
	struct dma_fence_array *array = array_of(fence);
	unsigned int i, n = array->num_fences;

	for (i = 0; i < n; i++)
		dma_fence_set_deadline(array->fences[i], deadline);
}

/*
 * Exported so that dma_fence_is_array() can be an inline pointer compare;
 * nobody else should call these.
 */
const struct dma_fence_ops dma_fence_array_ops = {
	.get_driver_name = array_driver_name,
	.get_timeline_name = array_timeline_name,
	.enable_signaling = array_enable_signaling,
	.signaled = array_signaled,
	.release = array_release,
	.set_deadline = array_set_deadline,
};
EXPORT_SYMBOL(dma_fence_array_ops);

/**
 * dma_fence_array_alloc - allocate an array for dma_fence_array_init()
 * @num_fences: number of components it must hold
 *
 * For callers that must not allocate when they build the array (in reclaim
 * or in a fence signalling critical section): allocate ahead, initialise
 * later. An array that is never initialised is freed with kfree().
 *
 * Returns: zeroed memory for an array of @num_fences, or NULL.
 */
struct dma_fence_array *dma_fence_array_alloc(int num_fences)
{
	size_t size = struct_size_t(struct dma_fence_array, callbacks,
				    num_fences);

	if (num_fences < 0 || dma_buf_fail_alloc())
		return NULL;
	return kzalloc(size, GFP_KERNEL);
}
EXPORT_SYMBOL(dma_fence_array_alloc);

/**
 * dma_fence_array_init - initialise a preallocated array
 * @array: from dma_fence_array_alloc() with at least @num_fences slots
 * @num_fences: number of entries in @fences, at least one
 * @fences: kmalloc'ed components; ownership passes to @array
 * @context: fence context of the array
 * @seqno: sequence number of the array
 * @signal_on_any: complete on the first component instead of the last
 *
 * dma_fence_array_create() without the allocation; cannot fail. A zero
 * count or NULL @fences warns and gives an array that is complete at once.
 * A component that is itself a container warns (see the overview).
 */
void dma_fence_array_init(struct dma_fence_array *array,
			  int num_fences, struct dma_fence **fences,
			  u64 context, unsigned int seqno,
			  bool signal_on_any)
{
	int i;

	if (WARN_ON(num_fences <= 0 || !fences))
		num_fences = 0;

	/* The count first: callbacks[] is bounds-checked against it. */
	array->num_fences = num_fences;
	atomic_set(&array->num_pending, num_fences);
	array->fences = fences;
	init_irq_work(&array->work, array_signal_work);
	spin_lock_init(&array->lock);
	dma_fence_init(&array->base, &dma_fence_array_ops, &array->lock, context,
		       seqno);
	array->base.error = ARRAY_ERROR_OPEN;
	if (signal_on_any)
		__set_bit(ARRAY_FLAG_ANY, &array->base.flags);

	for (i = 0; i < num_fences; i++)
		WARN_ON(dma_fence_is_container(fences[i]));
}
EXPORT_SYMBOL(dma_fence_array_init);

/**
 * dma_fence_array_create - a new fence for a set of fences
 * @num_fences: number of entries in @fences, at least one
 * @fences: kmalloc'ed array of plain fences, one reference each
 * @context: fence context of the array, e.g. dma_fence_context_alloc(1)
 * @seqno: sequence number of the array
 * @signal_on_any: complete on the first component instead of the last
 *
 * On success the array owns @fences and its references and releases them
 * with itself. Its error is the first error a component reports.
 *
 * Returns: the array with one reference, or NULL if out of memory; the
 * caller then still owns @fences.
 */
struct dma_fence_array *dma_fence_array_create(int num_fences,
					       struct dma_fence **fences,
					       u64 context, unsigned int seqno,
					       bool signal_on_any)
{
	struct dma_fence_array *array = dma_fence_array_alloc(num_fences);

	if (array)
		dma_fence_array_init(array, num_fences, fences, context, seqno,
				     signal_on_any);
	return array;
}
EXPORT_SYMBOL(dma_fence_array_create);

/**
 * dma_fence_match_context - is every fence of this one from a context?
 * @fence: an array or a plain fence
 * @context: the context to compare with
 *
 * Returns: true if @fence, or each component of it if it is an array,
 * belongs to @context.
 */
bool dma_fence_match_context(struct dma_fence *fence, u64 context)
{
	struct dma_fence *component;
	unsigned int i;

	dma_fence_array_for_each(component, i, fence)
		if (component->context != context)
			return false;
	return true;
}
EXPORT_SYMBOL(dma_fence_match_context);

/**
 * dma_fence_array_first - start of dma_fence_array_for_each()
 * @head: an array, any other fence, or NULL
 *
 * Returns: the first component of an array (NULL if it has none), @head
 * itself if it is not an array, NULL for NULL. No reference is taken.
 */
struct dma_fence *dma_fence_array_first(struct dma_fence *head)
{
	if (!to_dma_fence_array(head))
		return head;
	return dma_fence_array_next(head, 0);
}
EXPORT_SYMBOL(dma_fence_array_first);

/**
 * dma_fence_array_next - step of dma_fence_array_for_each()
 * @head: the fence given to dma_fence_array_first()
 * @index: position of the component wanted
 *
 * Returns: component @index of @head, or NULL past the end or if @head is
 * not an array. No reference is taken.
 */
struct dma_fence *dma_fence_array_next(struct dma_fence *head,
				       unsigned int index)
{
	struct dma_fence_array *array = to_dma_fence_array(head);

	return array && index < array->num_fences ? array->fences[index] : NULL;
}
EXPORT_SYMBOL(dma_fence_array_next);
