// SPDX-License-Identifier: GPL-2.0
/*
 * Device-exclusive bookkeeping: the ranges of an open /dev/mtmap file and
 * which of their pages mtmap holds. Pure data structure code, no mm calls,
 * so KUnit drives all of it (src/kunit/exclusive_test.c).
 */
#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/slab.h>

#include "compat.h"
#include "exclusive.h"

/**
 * mtmap_excl_range_alloc() - bookkeeping for a new exclusive range
 * @df: the file the range will belong to.
 * @start: page-aligned first address.
 * @npages: number of pages, not zero.
 *
 * The range holds no page and has no notifier yet.
 *
 * Return: the range, or NULL without memory.
 */
struct mtmap_excl_range *mtmap_excl_range_alloc(struct mtmap_dev_file *df,
						unsigned long start,
						unsigned long npages)
{
	struct mtmap_excl_range *r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);

	if (!r)
		return NULL;
	INIT_LIST_HEAD(&r->node);
	mutex_init(&r->lock);
	mutex_init(&r->acquire_lock);
	r->df = df;
	r->start = start;
	r->npages = npages;
	r->end = start + (npages << PAGE_SHIFT);
	r->held = bitmap_zalloc(npages, GFP_KERNEL_ACCOUNT);
	r->pending = bitmap_zalloc(npages, GFP_KERNEL_ACCOUNT);
	r->pages = kvcalloc(npages, sizeof(*r->pages), GFP_KERNEL_ACCOUNT);
	if (!r->held || !r->pending || !r->pages) {
		mtmap_excl_range_free(r);
		return NULL;
	}
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_range_alloc);

/**
 * mtmap_excl_range_free() - forget a range
 * @r: the range, off any list.
 *
 * Removes the notifier, which waits for a running invalidation to finish.
 * Pages still held stay device-exclusive in the page table until the CPU
 * next touches them; mtmap_dev_file_free() restores them first.
 */
void mtmap_excl_range_free(struct mtmap_excl_range *r)
{
#ifdef MTMAP_HAVE_EXCLUSIVE
	if (r->registered)
		mmu_interval_notifier_remove(&r->notifier);
#endif
	kvfree(r->pages);
	bitmap_free(r->pending);
	bitmap_free(r->held);
	mutex_destroy(&r->acquire_lock);
	mutex_destroy(&r->lock);
	kfree(r);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_range_free);

/**
 * mtmap_excl_range_find() - the range that contains [@start, @end)
 * @df: the file, its lock held.
 * @start: first address.
 * @end: address after the last byte, above @start.
 * @err: set to -EEXIST when a range overlaps without containing the
 *	span, -ENOENT when none overlaps; untouched on success.
 *
 * Return: the containing range or NULL.
 */
struct mtmap_excl_range *mtmap_excl_range_find(struct mtmap_dev_file *df,
					       unsigned long start,
					       unsigned long end, int *err)
{
	struct mtmap_excl_range *r;

	lockdep_assert_held(&df->lock);
	list_for_each_entry(r, &df->ranges, node) {
		if (r->end <= start || r->start >= end)
			continue;
		if (r->start <= start && end <= r->end)
			return r;
		*err = -EEXIST;
		return NULL;
	}
	*err = -ENOENT;
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_range_find);

/**
 * mtmap_excl_range_insert() - add a range to its file, kept sorted
 * @df: the file, its lock held.
 * @r: the range.
 *
 * Return: 0, or -EEXIST if @r overlaps a range of @df.
 */
int mtmap_excl_range_insert(struct mtmap_dev_file *df, struct mtmap_excl_range *r)
{
	struct mtmap_excl_range *pos;

	lockdep_assert_held(&df->lock);
	list_for_each_entry(pos, &df->ranges, node) {
		if (pos->end <= r->start)
			continue;
		if (pos->start < r->end)
			return -EEXIST;
		list_add_tail(&r->node, &pos->node);
		return 0;
	}
	list_add_tail(&r->node, &df->ranges);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_range_insert);

/**
 * mtmap_excl_mark_held() - record that mtmap holds the page at @addr
 * @r: the range, its lock held.
 * @addr: an address inside @r.
 * @page: the page now exclusive to mtmap.
 */
void mtmap_excl_mark_held(struct mtmap_excl_range *r, unsigned long addr,
			  struct page *page)
{
	unsigned long i = (addr - r->start) >> PAGE_SHIFT;

	lockdep_assert_held(&r->lock);
	r->pages[i] = page;
	__set_bit(i, r->held);
	__clear_bit(i, r->pending);
	r->acquired++;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_mark_held);

/**
 * mtmap_excl_revoke() - the kernel invalidated [@start, @end)
 * @r: the range, its lock held.
 * @start: first invalidated address (need not lie in @r).
 * @end: address after the last invalidated byte.
 *
 * Drops every page of @r the span touches, held or being taken, and
 * counts one invalidation.
 *
 * Return: the number of held pages lost.
 */
unsigned long mtmap_excl_revoke(struct mtmap_excl_range *r,
				unsigned long start, unsigned long end)
{
	unsigned long first, last, i, n = 0;

	lockdep_assert_held(&r->lock);
	r->invalidations++;
	start = max(start, r->start);
	end = min(end, r->end);
	if (start >= end)
		return 0;
	first = (start - r->start) >> PAGE_SHIFT;
	last = (end - r->start + PAGE_SIZE - 1) >> PAGE_SHIFT;
	for_each_set_bit_from(first, r->held, last) {
		__clear_bit(first, r->held);
		r->pages[first] = NULL;
		n++;
	}
	first = (start - r->start) >> PAGE_SHIFT;
	for (i = first; i < last; i++)
		__clear_bit(i, r->pending);
	r->revoked += n;
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_revoke);

/**
 * mtmap_excl_apply() - one emulated device atomic on a word
 * @word: the word; the caller excludes every other accessor.
 * @op: MTMAP_ATOMIC_ADD, _CMPXCHG or _XCHG (anything else: no change).
 * @value: operand.
 * @compare: expected value for MTMAP_ATOMIC_CMPXCHG.
 *
 * Return: the old value of *@word.
 */
u64 mtmap_excl_apply(u64 *word, u32 op, u64 value, u64 compare)
{
	u64 old = READ_ONCE(*word);

	switch (op) {
	case MTMAP_ATOMIC_ADD:
		WRITE_ONCE(*word, old + value);
		break;
	case MTMAP_ATOMIC_CMPXCHG:
		if (old == compare)
			WRITE_ONCE(*word, value);
		break;
	case MTMAP_ATOMIC_XCHG:
		WRITE_ONCE(*word, value);
		break;
	}
	return old;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_apply);

#ifdef MTMAP_HAVE_EXCLUSIVE

/**
 * mtmap_excl_event_is_ours() - is this invalidation mtmap's own grant?
 * @range: the invalidation.
 * @df: the file whose ranges see it.
 *
 * Taking a page invalidates it too, with @df as owner; treating that as a
 * revocation would drop every page as it is taken. Only the owner is
 * compared, not the event: a CPU access that takes a page back is
 * MMU_NOTIFY_EXCLUSIVE up to 6.x and MMU_NOTIFY_CLEAR in 7.x, both with no
 * owner, and another device's grant carries its own owner.
 *
 * Return: true when the invalidation must be ignored.
 */
bool mtmap_excl_event_is_ours(const struct mmu_notifier_range *range,
			      const struct mtmap_dev_file *df)
{
	return range->owner == df;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_excl_event_is_ours);
#endif /* MTMAP_HAVE_EXCLUSIVE */
