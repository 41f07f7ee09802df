// SPDX-License-Identifier: MIT
/*
 * dma-resv: reservation objects, the fences of a shared buffer.
 */

#include <linux/dma-fence-array.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>

#include "dma-buf-fault.h"
#include "dma-fence-hang.h"

/**
 * DOC: Reservation Object Overview
 *
 * A &struct dma_resv tracks what is being done to one buffer: each piece of
 * work (a GPU job, a copy, a page table update) leaves a fence in it, tagged
 * with an &enum dma_resv_usage that says how others must treat it. Whoever
 * wants to touch the buffer asks for the fences of the classes it must
 * respect and waits for them (implicit synchronisation); memory management
 * waits for all of them before it moves or frees the buffer.
 *
 * Writers hold the object's ww_mutex. Adding a fence is split in two so
 * that the add itself cannot fail, which matters when the job has already
 * been pushed to the hardware::
 *
 *	ret = dma_resv_lock(resv, NULL);
 *	if (ret)
 *		return ret;
 *	ret = dma_resv_reserve_fences(resv, 1);	// may allocate, may fail
 *	if (ret)
 *		goto unlock;
 *	... submit the job ...
 *	dma_resv_add_fence(resv, job_fence, DMA_RESV_USAGE_WRITE);	// can't fail
 *	unlock:
 *	dma_resv_unlock(resv);
 *
 * Readers usually do not take the lock: dma_resv_wait_timeout(),
 * dma_resv_test_signaled(), dma_resv_get_fences() and the
 * dma_resv_for_each_fence_unlocked() walk use RCU and start over when the
 * fence table is replaced under them.
 *
 * The table keeps at most one fence per context and class in the common
 * case: adding a later fence of a context replaces the earlier one unless
 * the earlier one belongs to a stricter class, and any slot whose fence has
 * signalled is reused. A driver that re-adds its one context each submit
 * therefore never grows the table and, once a slot is reserved, never
 * allocates.
 *
 * Locking: &dma_resv.lock (a ww_mutex of ``reservation_ww_class``) serialises
 * all changes of the fence table. Lockdep learns at boot that it nests
 * inside mmap_lock and outside fs_reclaim, the mmu notifier and fence waits,
 * so a driver that gets this wrong is reported on first use, not on the
 * first deadlock. Each table slot is one word (fence pointer and class), so
 * RCU readers see either the old or the new fence of a slot, never a mix.
 */

/* Wait-die: the younger of two contending acquire contexts backs off. */
struct ww_class reservation_ww_class =
	__WW_CLASS_INITIALIZER(reservation_ww_class, 1);
EXPORT_SYMBOL(reservation_ww_class);

/*
 * The fence table. A slot holds a fence pointer with its usage in the two
 * low bits (fences are at least 4-byte aligned). @num_fences is published
 * with release semantics after the slot it covers is written.
 */
struct dma_resv_list {
	struct rcu_head rcu;
	u32 num_fences;		/* slots in use */
	u32 max_fences;		/* slots the lock holder may fill: reserved */
	u32 capacity;		/* slots allocated */
	u32 generation;		/* tells tables at a reused address apart */
	struct dma_fence __rcu *table[];
};

/* Source of &dma_resv_list.generation; wrapping is harmless in practice. */
static atomic_t resv_generations = ATOMIC_INIT(0);

#define RESV_USAGE_MASK	3UL

static_assert(DMA_RESV_USAGE_BOOKKEEP <= RESV_USAGE_MASK);

/* The table of @resv, for a lock holder or an RCU reader. */
static struct dma_resv_list *resv_table(struct dma_resv *resv)
{
	return rcu_dereference_check(resv->fences, dma_resv_held(resv));
}

/*
 * Fence and usage of slot @i. @resv names the object for lockdep; NULL when
 * the table is private to the caller.
 */
static struct dma_fence *resv_slot(struct dma_resv_list *list, unsigned int i,
				   struct dma_resv *resv,
				   enum dma_resv_usage *usage)
{
	unsigned long word;

	word = (unsigned long)rcu_dereference_check(list->table[i],
						    !resv || dma_resv_held(resv));
	if (usage)
		*usage = word & RESV_USAGE_MASK;
	return (struct dma_fence *)(word & ~RESV_USAGE_MASK);
}

/* Publish @fence (whose reference the table takes) in slot @i. */
static void resv_slot_set(struct dma_resv_list *list, unsigned int i,
			  struct dma_fence *fence, enum dma_resv_usage usage)
{
	rcu_assign_pointer(list->table[i],
			   (struct dma_fence *)((unsigned long)fence | usage));
}

/* A table with room for at least @slots fences, all of them reserved. */
static struct dma_resv_list *resv_list_alloc(unsigned int slots, gfp_t gfp)
{
	struct dma_resv_list *list;
	size_t bytes;

	if (dma_buf_fail_alloc())
		return NULL;
	/* Use the whole kmalloc bucket: the slack is free capacity. */
	bytes = kmalloc_size_roundup(struct_size(list, table, slots));
	list = kmalloc(bytes, gfp);
	if (!list)
		return NULL;
	list->num_fences = 0;
	/* Written before the table is published (rcu_assign_pointer). */
	list->generation = atomic_inc_return(&resv_generations);
	list->capacity = (bytes - sizeof(*list)) / sizeof(list->table[0]);
	list->max_fences = list->capacity;
	return list;
}

/* Drop the fences of a table nobody can reach any more; free it after RCU. */
static void resv_list_free(struct dma_resv_list *list)
{
	unsigned int i;

	if (!list)
		return;
	for (i = 0; i < list->num_fences; i++)
		dma_fence_put(resv_slot(list, i, NULL, NULL));
	kfree_rcu(list, rcu);
}

/**
 * dma_resv_init - initialise a reservation object
 * @resv: the object, empty and unlocked afterwards
 */
void dma_resv_init(struct dma_resv *resv)
{
	ww_mutex_init(&resv->lock, &reservation_ww_class);
	RCU_INIT_POINTER(resv->fences, NULL);
}
EXPORT_SYMBOL(dma_resv_init);

/**
 * dma_resv_fini - tear a reservation object down
 * @resv: the object; unlocked and no longer reachable by anyone
 *
 * Drops the references to all fences still in it.
 */
void dma_resv_fini(struct dma_resv *resv)
{
	/* Dead object: no lock holder, and RCU readers had to be gone. */
	resv_list_free(rcu_dereference_protected(resv->fences, true));
	ww_mutex_destroy(&resv->lock);
}
EXPORT_SYMBOL(dma_resv_fini);

/*
 * Move the pending fences of @old (may be NULL) into @fresh and publish it.
 * Signalled fences are not carried over; their references are dropped once
 * @fresh is visible, so no reader can find them through @resv any more.
 */
static void resv_swap_table(struct dma_resv *resv, struct dma_resv_list *old,
			    struct dma_resv_list *fresh)
{
	unsigned int i, kept = 0, gone = fresh->capacity;

	for (i = 0; old && i < old->num_fences; i++) {
		enum dma_resv_usage usage;
		struct dma_fence *fence = resv_slot(old, i, resv, &usage);

		/* The tail of @fresh is unused: park signalled fences there. */
		if (dma_fence_is_signaled(fence))
			RCU_INIT_POINTER(fresh->table[--gone], fence);
		else
			resv_slot_set(fresh, kept++, fence, usage);
	}
	fresh->num_fences = kept;
	rcu_assign_pointer(resv->fences, fresh);

	for (i = gone; i < fresh->capacity; i++)
		dma_fence_put(resv_slot(fresh, i, resv, NULL));
	if (old)
		kfree_rcu(old, rcu);
}

/**
 * dma_resv_reserve_fences - make room for fences to be added
 * @resv: the object, locked
 * @num_fences: how many dma_resv_add_fence() calls may follow, at least one
 *
 * Must precede dma_resv_add_fence(), and both happen under one hold of the
 * lock: unlocking gives unused reservations back. When the table has to
 * grow, signalled fences are dropped on the way.
 *
 * Returns: 0, -EINVAL for zero (a driver bug; warns), or -ENOMEM.
 */
int dma_resv_reserve_fences(struct dma_resv *resv, unsigned int num_fences)
{
	struct dma_resv_list *old, *fresh;
	unsigned int used, want;

	dma_resv_assert_held(resv);

	if (WARN_ON(!num_fences))
		return -EINVAL;

	old = resv_table(resv);
	used = old ? old->num_fences : 0;
	if (check_add_overflow(used, num_fences, &want))
		return -ENOMEM;

	if (old && want <= old->capacity) {
		/* Allocated already; only the reservation needs raising. */
		old->max_fences = max(old->max_fences, want);
		return 0;
	}

	/* Grow geometrically, so a growing object reallocates rarely. */
	fresh = resv_list_alloc(max3(want, 4U, old ? 2 * old->capacity : 0),
				GFP_KERNEL);
	if (!fresh)
		return -ENOMEM;
	resv_swap_table(resv, old, fresh);
	return 0;
}
EXPORT_SYMBOL(dma_resv_reserve_fences);

#ifdef CONFIG_DEBUG_MUTEXES
/**
 * dma_resv_reset_max_fences - give back the unused reservations
 * @resv: the object, locked
 *
 * Called by dma_resv_unlock() in debug builds, so that a fence added
 * without its own dma_resv_reserve_fences() is caught even when an earlier
 * reservation happens to have left room.
 */
void dma_resv_reset_max_fences(struct dma_resv *resv)
{
	struct dma_resv_list *list = resv_table(resv);

	dma_resv_assert_held(resv);
	if (list)
		list->max_fences = list->num_fences;
}
EXPORT_SYMBOL(dma_resv_reset_max_fences);
#endif

/*
 * May @fence of @usage take the slot of @old, of @old_usage? Yes if @old has
 * signalled, or if @fence supersedes it: same context, not earlier, and a
 * class at least as strict.
 */
static bool resv_supersedes(struct dma_fence *fence, enum dma_resv_usage usage,
			    struct dma_fence *old, enum dma_resv_usage old_usage)
{
	if (old->context == fence->context && usage <= old_usage &&
	    dma_fence_is_later_or_same(fence, old))
		return true;
	return dma_fence_is_signaled(old);
}

/*
 * Recovery for an add without a reservation (a driver bug, already warned
 * about). Use spare capacity if there is some, else grow without sleeping:
 * 6.12's add never sleeps and callers hold every lock of their submission.
 * Waiting for @fence instead is no option either, since drivers add a
 * fence before the job that signals it is even queued. Returns false if
 * there is no room; the caller then leaves the fence out.
 */
static bool resv_make_room(struct dma_resv *resv, struct dma_resv_list **list)
{
	struct dma_resv_list *old = *list, *fresh;
	unsigned int used = old ? old->num_fences : 0;

	if (old && used < old->capacity)
		return true;

	fresh = resv_list_alloc(max(4U, 2 * used), GFP_ATOMIC | __GFP_NOWARN);
	if (!fresh)
		return false;
	resv_swap_table(resv, old, fresh);
	*list = fresh;
	return true;
}

/**
 * dma_resv_add_fence - add a fence to a reservation object
 * @resv: the object, locked, with a slot reserved by dma_resv_reserve_fences()
 * @fence: the fence; the object takes its own reference
 * @usage: how others must treat it
 *
 * The fence takes the slot of an earlier fence of its context whose class
 * is not stricter, or else of any signalled fence, or else a new one.
 * Containers must not be added: their contexts would hide their
 * components' from this replacement (warns).
 *
 * Adding without a reservation is a driver bug (6.12 BUGs): it warns, then
 * still adds the fence if it can find room without sleeping. If even the
 * atomic allocation fails, the fence is left out with a second warning:
 * waiters on @resv then do not wait for it. This never sleeps.
 */
void dma_resv_add_fence(struct dma_resv *resv, struct dma_fence *fence,
			enum dma_resv_usage usage)
{
	struct dma_resv_list *list;
	unsigned int i, used;

	dma_resv_assert_held(resv);
	WARN_ON(dma_fence_is_container(fence));
	dma_fence_hang_track(fence, DMA_FENCE_HANG_RESV);

	list = resv_table(resv);
	used = list ? list->num_fences : 0;

	for (i = 0; i < used; i++) {
		enum dma_resv_usage old_usage;
		struct dma_fence *old = resv_slot(list, i, resv, &old_usage);

		if (resv_supersedes(fence, usage, old, old_usage)) {
			resv_slot_set(list, i, dma_fence_get(fence), usage);
			dma_fence_put(old);
			return;
		}
	}

	if (WARN(!list || used >= list->max_fences,
		 "dma-resv: fence added without dma_resv_reserve_fences()\n") &&
	    WARN(!resv_make_room(resv, &list),
		 "dma-resv: no room, fence %llu:%llu left out\n",
		 fence->context, fence->seqno))
		return;

	used = list->num_fences;	/* making room may have compacted */
	resv_slot_set(list, used, dma_fence_get(fence), usage);
	/* release: unlocked readers that see the count see the slot */
	smp_store_release(&list->num_fences, used + 1);
}
EXPORT_SYMBOL(dma_resv_add_fence);

/**
 * dma_resv_replace_fences - swap every fence of a context for another
 * @resv: the object, locked
 * @context: the context whose fences go
 * @fence: what takes their slots; referenced once per slot
 * @usage: the class the new entries get
 *
 * For drivers that replace work in flight, e.g. preemption fences being
 * swapped for a later fence. Takes no new slot, so needs no reservation.
 * Callers must make sure the new fence signals no earlier than the old.
 */
void dma_resv_replace_fences(struct dma_resv *resv, uint64_t context,
			     struct dma_fence *fence,
			     enum dma_resv_usage usage)
{
	struct dma_resv_list *list;
	unsigned int i;

	dma_resv_assert_held(resv);
	list = resv_table(resv);
	for (i = 0; list && i < list->num_fences; i++) {
		struct dma_fence *old = resv_slot(list, i, resv, NULL);

		if (old->context == context) {
			dma_fence_hang_track(fence, DMA_FENCE_HANG_RESV);
			resv_slot_set(list, i, dma_fence_get(fence), usage);
			dma_fence_put(old);
		}
	}
}
EXPORT_SYMBOL(dma_resv_replace_fences);

/*
 * For the unlocked copies of a table (dma_resv_get_fences(),
 * dma_resv_copy_fences()): a reference to the fence in slot @i of @list,
 * @resv's table read under RCU, if it is pending and of a class up to
 * @usage; NULL to skip the slot; ERR_PTR(-EAGAIN) if the fence was freed
 * under us (its slot was rewritten: the copy must start over). Under RCU;
 * inlined, as it is the body of both copy loops.
 */
static __always_inline struct dma_fence *
resv_slot_get_pending(struct dma_resv_list *list, unsigned int i,
		      struct dma_resv *resv, enum dma_resv_usage usage,
		      enum dma_resv_usage *slot_usage)
{
	struct dma_fence *fence = resv_slot(list, i, resv, slot_usage);

	/* Signalled is final, and the fence's memory is valid under RCU. */
	if (*slot_usage > usage || __dma_fence_test_signaled_flag(fence))
		return NULL;
	fence = dma_fence_get_rcu(fence);
	if (!fence)
		return ERR_PTR(-EAGAIN);
	if (dma_fence_is_signaled(fence)) {
		dma_fence_put(fence);
		return NULL;
	}
	return fence;
}

/* Start the unlocked walk (again) on the current table. Under RCU. */
static void resv_iter_restart(struct dma_resv_iter *iter)
{
	struct dma_resv_list *list = rcu_dereference(iter->obj->fences);

	iter->fences = list;
	iter->generation = list ? list->generation : 0;
	/* acquire: pairs with the release in dma_resv_add_fence() */
	iter->num_fences = list ? smp_load_acquire(&list->num_fences) : 0;
	iter->index = 0;
	iter->is_restarted = true;
}

/*
 * Replace the iter's fence by a reference to the next pending fence of
 * the classes asked for, NULL at the end of the table. A fence freed under
 * us means its slot was rewritten: the walk starts over. Under RCU.
 */
static __always_inline void resv_iter_step(struct dma_resv_iter *iter)
{
	struct dma_resv_list *list = iter->fences;
	enum dma_resv_usage usage;
	struct dma_fence *fence;

	dma_fence_put(iter->fence);
	iter->fence = NULL;
	while (iter->index < iter->num_fences) {
		fence = resv_slot(list, iter->index++, iter->obj, &usage);
		/*
		 * Signalled is final, and the memory of a fence read from the
		 * table stays valid under RCU: skip it without a reference.
		 */
		if (usage > iter->usage || __dma_fence_test_signaled_flag(fence))
			continue;
		fence = dma_fence_get_rcu(fence);
		if (!fence) {
			resv_iter_restart(iter);
			list = iter->fences;
			continue;
		}
		/* The flag was clear just now: only ask the issuer. */
		if (fence->ops->signaled && fence->ops->signaled(fence)) {
			dma_fence_signal(fence);
			dma_fence_put(fence);
			continue;
		}
		iter->fence = fence;
		iter->fence_usage = usage;
		return;
	}
}

/*
 * Is the iter's table still the object's? Between two steps the walk holds
 * no RCU read lock, so its table may have been freed and the same address
 * handed to a new table: compare the generation too. Under RCU.
 */
static bool resv_iter_current(struct dma_resv_iter *iter)
{
	struct dma_resv_list *list = rcu_dereference(iter->obj->fences);

	return list == iter->fences &&
	       (!list || list->generation == iter->generation);
}

/*
 * Step the unlocked walk, from the top if @from_start or if the table was
 * replaced since the last step. The result must come from the table that
 * is current when we leave, or it could be a fence already dropped from it.
 */
static __always_inline struct dma_fence *
resv_iter_advance(struct dma_resv_iter *iter, bool from_start)
{
	dma_buf_race_window("resv-iter-advance", iter);
	rcu_read_lock();
	if (from_start || !resv_iter_current(iter))
		resv_iter_restart(iter);
	for (;;) {
		resv_iter_step(iter);
		/*
		 * The table was current when this RCU section started, or
		 * was made so: if it has been replaced since, it is not freed
		 * before we leave, so no new table can have its address and
		 * the pointer alone tells.
		 */
		if (rcu_access_pointer(iter->obj->fences) == iter->fences)
			break;
		resv_iter_restart(iter);
	}
	rcu_read_unlock();
	return iter->fence;
}

/**
 * dma_resv_iter_first_unlocked - first fence of an unlocked walk
 * @iter: a iter set up with dma_resv_iter_begin()
 *
 * Use through dma_resv_for_each_fence_unlocked().
 *
 * Returns: the first pending fence of the classes asked for, referenced by
 * the iter, or NULL.
 */
struct dma_fence *dma_resv_iter_first_unlocked(struct dma_resv_iter *iter)
{
	return resv_iter_advance(iter, true);
}
EXPORT_SYMBOL(dma_resv_iter_first_unlocked);

/**
 * dma_resv_iter_next_unlocked - next fence of an unlocked walk
 * @iter: the iter
 *
 * If the fence table changed, the walk starts over and
 * dma_resv_iter_is_restarted() says so.
 *
 * Returns: the next pending fence, referenced by the iter, or NULL.
 */
struct dma_fence *dma_resv_iter_next_unlocked(struct dma_resv_iter *iter)
{
	iter->is_restarted = false;
	return resv_iter_advance(iter, false);
}
EXPORT_SYMBOL(dma_resv_iter_next_unlocked);

/**
 * dma_resv_iter_first - first fence of a locked walk
 * @iter: a iter set up with dma_resv_iter_begin() on a locked object
 *
 * Use through dma_resv_for_each_fence().
 *
 * Returns: the first fence of the classes asked for, signalled or not, with
 * no reference of its own; or NULL.
 */
struct dma_fence *dma_resv_iter_first(struct dma_resv_iter *iter)
{
	struct dma_fence *fence;

	dma_resv_assert_held(iter->obj);
	iter->fences = resv_table(iter->obj);
	iter->index = 0;
	fence = dma_resv_iter_next(iter);
	iter->is_restarted = true;
	return fence;
}
EXPORT_SYMBOL_GPL(dma_resv_iter_first);

/**
 * dma_resv_iter_next - next fence of a locked walk
 * @iter: the iter
 *
 * Returns: the next fence of the classes asked for, or NULL.
 */
struct dma_fence *dma_resv_iter_next(struct dma_resv_iter *iter)
{
	struct dma_resv_list *list = iter->fences;

	dma_resv_assert_held(iter->obj);
	iter->is_restarted = false;
	while (list && iter->index < list->num_fences) {
		struct dma_fence *fence = resv_slot(list, iter->index++,
						    iter->obj,
						    &iter->fence_usage);

		if (iter->fence_usage <= iter->usage)
			return fence;
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(dma_resv_iter_next);

/**
 * dma_resv_copy_fences - make one object's fences those of another
 * @dst: the object to overwrite, locked
 * @src: the object to copy from; read without its lock
 *
 * Copies the pending fences of every class, with their classes.
 *
 * Returns: 0, or -ENOMEM with @dst unchanged.
 */
int dma_resv_copy_fences(struct dma_resv *dst, struct dma_resv *src)
{
	struct dma_resv_list *copy = NULL;

	dma_resv_assert_held(dst);

	/* As dma_resv_get_fences() copies: one RCU section per pass. */
	for (;;) {
		struct dma_resv_list *list;
		unsigned int i, slots;

		rcu_read_lock();
		list = rcu_dereference(src->fences);
		dma_buf_race_window("resv-copy-fences", src);
		/* acquire: pairs with the release in dma_resv_add_fence() */
		slots = list ? smp_load_acquire(&list->num_fences) : 0;
		if (slots > (copy ? copy->capacity : 0)) {
			rcu_read_unlock();
			resv_list_free(copy);	/* empty: nothing to put */
			copy = resv_list_alloc(slots, GFP_KERNEL);
			if (!copy)
				return -ENOMEM;
			continue;
		}
		for (i = 0; i < slots; i++) {
			enum dma_resv_usage usage;
			struct dma_fence *fence;

			fence = resv_slot_get_pending(list, i, src,
						      DMA_RESV_USAGE_BOOKKEEP,
						      &usage);
			if (IS_ERR(fence))
				break;
			if (fence)
				resv_slot_set(copy, copy->num_fences++, fence,
					      usage);
		}
		/* As in resv_iter_advance(): the pointer alone tells. */
		if (i == slots && rcu_access_pointer(src->fences) == list) {
			rcu_read_unlock();
			break;
		}
		rcu_read_unlock();
		/* (no copy yet if the table that changed was empty) */
		while (copy && copy->num_fences)
			dma_fence_put(resv_slot(copy, --copy->num_fences, NULL,
						NULL));
	}

	/* Nothing pending: @dst ends up without a table, as in 6.12. */
	if (copy && !copy->num_fences) {
		resv_list_free(copy);
		copy = NULL;
	}
	resv_list_free(rcu_replace_pointer(dst->fences, copy,
					   dma_resv_held(dst)));
	return 0;
}
EXPORT_SYMBOL(dma_resv_copy_fences);

/**
 * dma_resv_get_fences - references to the pending fences of an object
 * @resv: the object; the lock is not needed
 * @usage: the widest class wanted
 * @num_fences: out: how many fences
 * @fences: out: a kmalloc'ed array of them (NULL if none); the caller puts
 *	each and kfree()s the array
 *
 * Returns: 0, or -ENOMEM with *@num_fences = 0 and *@fences = NULL.
 */
int dma_resv_get_fences(struct dma_resv *resv, enum dma_resv_usage usage,
			unsigned int *num_fences, struct dma_fence ***fences)
{
	struct dma_fence **found = NULL;
	unsigned int count, room = 0;

	/*
	 * Not through the unlocked iterator: one RCU section copies the
	 * table, with a single reference per fence kept, instead of a get
	 * and a put per step on top of ours. Sleeping to allocate happens
	 * outside it, and the copy starts over if the table changed.
	 */
	for (;;) {
		struct dma_resv_list *list;
		unsigned int i, slots;

		dma_buf_race_window("resv-get-fences", resv);
		count = 0;
		rcu_read_lock();
		list = rcu_dereference(resv->fences);
		/* acquire: pairs with the release in dma_resv_add_fence() */
		slots = list ? smp_load_acquire(&list->num_fences) : 0;
		if (slots > room) {
			rcu_read_unlock();
			kfree(found);
			room = max(slots, 2 * room);
			found = dma_buf_fail_alloc() ? NULL :
				kmalloc_array(room, sizeof(*found), GFP_KERNEL);
			if (!found) {
				*num_fences = 0;
				*fences = NULL;
				return -ENOMEM;
			}
			continue;
		}
		for (i = 0; i < slots; i++) {
			enum dma_resv_usage slot_usage;
			struct dma_fence *fence;

			fence = resv_slot_get_pending(list, i, resv, usage,
						      &slot_usage);
			if (IS_ERR(fence))
				break;
			if (fence)
				found[count++] = fence;
		}
		/* As in resv_iter_advance(): the pointer alone tells. */
		if (i == slots && rcu_access_pointer(resv->fences) == list) {
			rcu_read_unlock();
			break;
		}
		rcu_read_unlock();
		while (count)
			dma_fence_put(found[--count]);
	}

	if (!count) {
		kfree(found);
		found = NULL;
	}
	*num_fences = count;
	*fences = found;
	return 0;
}
EXPORT_SYMBOL_GPL(dma_resv_get_fences);

/**
 * dma_resv_get_singleton - one fence for all pending fences of an object
 * @resv: the object; the lock is not needed
 * @usage: the widest class wanted
 * @fence: out: NULL if nothing is pending, the fence itself if one is,
 *	else a new signal-on-all &struct dma_fence_array; referenced
 *
 * Returns: 0 or -ENOMEM.
 */
int dma_resv_get_singleton(struct dma_resv *resv, enum dma_resv_usage usage,
			   struct dma_fence **fence)
{
	struct dma_fence_array *array;
	struct dma_fence **fences;
	unsigned int count;
	int ret;

	ret = dma_resv_get_fences(resv, usage, &count, &fences);
	if (ret)
		return ret;

	if (count <= 1) {
		*fence = count ? fences[0] : NULL;
		kfree(fences);
		return 0;
	}

	array = dma_fence_array_create(count, fences,
				       dma_fence_context_alloc(1), 1, false);
	if (!array) {
		while (count--)
			dma_fence_put(fences[count]);
		kfree(fences);
		return -ENOMEM;
	}
	*fence = &array->base;
	return 0;
}
EXPORT_SYMBOL_GPL(dma_resv_get_singleton);

/**
 * dma_resv_wait_timeout - wait for the pending fences of an object
 * @resv: the object; the lock is not needed
 * @usage: the widest class to wait for
 * @intr: whether signals interrupt the wait
 * @timeout: in jiffies; 0 only tests
 *
 * Returns: the time left (at least 1) once all have signalled (1 for a
 * zero @timeout), 0 on timeout, or -ERESTARTSYS if interrupted.
 */
long dma_resv_wait_timeout(struct dma_resv *resv, enum dma_resv_usage usage,
			   bool intr, unsigned long timeout)
{
	long left = timeout ? timeout : 1;
	struct dma_resv_iter iter;
	struct dma_fence *fence;

	dma_resv_iter_begin(&iter, resv, usage);
	dma_resv_for_each_fence_unlocked(&iter, fence) {
		long ret = dma_fence_wait_timeout(fence, intr, timeout);

		if (ret <= 0) {
			left = ret;
			break;
		}
		/* A zero timeout stays a test for every fence. */
		if (timeout) {
			timeout = ret;
			left = ret;
		}
	}
	dma_resv_iter_end(&iter);
	return left;
}
EXPORT_SYMBOL_GPL(dma_resv_wait_timeout);

/**
 * dma_resv_set_deadline - pass a deadline hint to pending fences
 * @resv: the object; the lock is not needed
 * @usage: the widest class concerned
 * @deadline: when the fences should have signalled
 */
void dma_resv_set_deadline(struct dma_resv *resv, enum dma_resv_usage usage,
			   ktime_t deadline)
{
	struct dma_resv_iter iter;
	struct dma_fence *fence;

	dma_resv_iter_begin(&iter, resv, usage);
	dma_resv_for_each_fence_unlocked(&iter, fence)
		dma_fence_set_deadline(fence, deadline);
	dma_resv_iter_end(&iter);
}
EXPORT_SYMBOL_GPL(dma_resv_set_deadline);

/**
 * dma_resv_test_signaled - has all work of some classes completed?
 * @resv: the object; the lock is not needed
 * @usage: the widest class concerned
 *
 * Returns: true if no fence of those classes is pending.
 */
bool dma_resv_test_signaled(struct dma_resv *resv, enum dma_resv_usage usage)
{
	struct dma_resv_iter iter;
	bool idle;

	dma_resv_iter_begin(&iter, resv, usage);
	idle = !dma_resv_iter_first_unlocked(&iter);
	dma_resv_iter_end(&iter);
	return idle;
}
EXPORT_SYMBOL_GPL(dma_resv_test_signaled);

/**
 * dma_resv_describe - print the fences of an object, for debugfs
 * @resv: the object, locked
 * @seq: where to print
 *
 * One line per fence of the KERNEL, WRITE and READ classes, signalled or
 * not: a tab, the class, " fence:" and dma_fence_describe()'s text.
 */
void dma_resv_describe(struct dma_resv *resv, struct seq_file *seq)
{
	static const char * const names[] = {
		[DMA_RESV_USAGE_KERNEL] = "kernel",
		[DMA_RESV_USAGE_WRITE] = "write",
		[DMA_RESV_USAGE_READ] = "read",
		[DMA_RESV_USAGE_BOOKKEEP] = "bookkeep",
	};
	struct dma_resv_iter iter;
	struct dma_fence *fence;

	dma_resv_for_each_fence(&iter, resv, DMA_RESV_USAGE_READ, fence) {
		seq_printf(seq, "\t%s fence:", names[dma_resv_iter_usage(&iter)]);
		dma_fence_describe(fence, seq);
	}
}
EXPORT_SYMBOL_GPL(dma_resv_describe);

#if IS_ENABLED(CONFIG_LOCKDEP)
/* What may run under a reservation lock: reclaim, and what it can reach. */
static void __init resv_prime_reclaim(void)
{
	struct address_space mapping;

	fs_reclaim_acquire(GFP_KERNEL);
	/* shrinkers unmap buffers (i_mmap_rwsem) under a trylocked object */
	address_space_init_once(&mapping);
	i_mmap_lock_write(&mapping);
	i_mmap_unlock_write(&mapping);
#ifdef CONFIG_MMU_NOTIFIER
	/* mmu notifiers run from reclaim and may wait for fences */
	lock_map_acquire(&__mmu_notifier_invalidate_range_start_map);
	__dma_fence_might_wait();
	lock_map_release(&__mmu_notifier_invalidate_range_start_map);
#else
	__dma_fence_might_wait();
#endif
	fs_reclaim_release(GFP_KERNEL);
}

/*
 * Teach lockdep the order drivers must follow, once at boot:
 * mmap_lock -> reservation lock -> fs_reclaim -> i_mmap / mmu notifier ->
 * fence wait. Page faults take reservation locks under mmap_lock, and
 * anything under a reservation lock may allocate and wait for fences.
 */
static int __init dma_resv_prime_lockdep(void)
{
	struct mm_struct *mm = mm_alloc();
	struct ww_acquire_ctx ctx;
	struct dma_resv resv;

	if (!mm)
		return -ENOMEM;
	dma_resv_init(&resv);

	mmap_read_lock(mm);
	ww_acquire_init(&ctx, &reservation_ww_class);
	/* DEBUG_WW_MUTEX_SLOWPATH may inject a backoff even here */
	if (dma_resv_lock(&resv, &ctx) == -EDEADLK)
		dma_resv_lock_slow(&resv, &ctx);
	resv_prime_reclaim();
	dma_resv_unlock(&resv);
	ww_acquire_fini(&ctx);
	mmap_read_unlock(mm);

	mmput(mm);
	dma_resv_fini(&resv);
	return 0;
}
subsys_initcall(dma_resv_prime_lockdep);
#endif
