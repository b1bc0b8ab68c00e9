// SPDX-License-Identifier: GPL-2.0
/*
 * The page store of a buffer: one pointer per 4 KiB page, installed with
 * a cmpxchg on first touch, plus the PMD-order folios of huge chunks
 * (huge.c). Lookups take no lock of the buffer's.
 */
#include <kunit/visibility.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "mtmap.h"

#define MTMAP_BATCH 512

/**
 * mtmap_buffer_install() - allocate the 4 KiB page at @idx and install it
 * @buf: the buffer; its @map_lock held for read, and in a huge buffer
 *	its @lock too (a chunk is either one folio or 4 KiB pages)
 * @idx: page index, below @buf->npages
 *
 * Unless a racing fault got there first, in which case ours goes back and
 * theirs is returned. cmpxchg() is fully ordered: the page is zeroed
 * before anyone sees it.
 *
 * Return: the page (the buffer keeps its reference) or an ERR_PTR().
 */
struct page *mtmap_buffer_install(struct mtmap_buffer *buf, pgoff_t idx)
{
	struct page *page, *old;

	lockdep_assert_held_read(&buf->map_lock);
	if (buf->flags & MTMAP_CREATE_HUGE)
		lockdep_assert_held(&buf->lock);
	page = buf->placement->alloc(buf);
	if (IS_ERR(page))
		return page;
	old = cmpxchg(&buf->pages[idx], NULL, page);
	if (old) {
		buf->placement->release(buf, &page, 1, buf->memtype);
		return old;
	}
	atomic_long_inc(&buf->populated);
	return page;
}

/**
 * mtmap_buffer_get_or_alloc_page() - find or allocate the page at @idx
 * @buf: the buffer
 * @idx: page index, below @buf->npages
 *
 * Racing callers for one index get the same page; it is allocated once.
 * The caller holds @buf->map_lock for read, so the buffer's memory type
 * cannot change under it.
 *
 * Return: the page (the buffer keeps its reference) or an ERR_PTR().
 */
struct page *mtmap_buffer_get_or_alloc_page(struct mtmap_buffer *buf, pgoff_t idx)
{
	struct page *page;

	lockdep_assert_held_read(&buf->map_lock);
	page = mtmap_huge_lookup(buf, idx) ?: mtmap_buffer_page(buf, idx);
	if (page)
		return page;

	/*
	 * A chunk of a huge buffer must not get 4 KiB pages while it is
	 * becoming one folio: both allocations are serialised by @buf->lock.
	 */
	if (buf->flags & MTMAP_CREATE_HUGE) {
		mutex_lock(&buf->lock);
		page = mtmap_huge_lookup(buf, idx) ?: mtmap_buffer_page(buf, idx);
		if (!page)
			page = mtmap_buffer_install(buf, idx);
		mutex_unlock(&buf->lock);
		return page;
	}
	/*
	 * Otherwise no lock: the first touch of a page takes no lock of the
	 * buffer's, and losing the race (two threads touching one new page)
	 * is rare.
	 */
	return mtmap_buffer_install(buf, idx);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_buffer_get_or_alloc_page);

/**
 * mtmap_buffer_next_page() - the next existing 4 KiB page of a buffer
 * @buf: the buffer
 * @idx: in: first index to look at; out: the index of the page returned
 *
 * Return: the first page at index *@idx or above, or NULL if none.
 */
struct page *mtmap_buffer_next_page(struct mtmap_buffer *buf, pgoff_t *idx)
{
	struct page *page;

	for (; *idx < buf->npages; (*idx)++) {
		page = mtmap_buffer_page(buf, *idx);
		if (page)
			return page;
	}
	return NULL;
}

/**
 * mtmap_buffer_batched() - call @fn on a buffer's pages, a batch at a time
 * @buf: the buffer
 * @huge: include the pages of its 2 MiB folios
 * @fn: the callback, given up to MTMAP_BATCH pages; an error stops the walk
 * @arg: passed to @fn
 *
 * Batches make memory-type conversions cheap: one TLB flush per call of
 * @fn. The caller keeps the page store from changing (map_lock held for
 * write, or the buffer is being freed).
 *
 * Return: 0, -ENOMEM without a batch array, or the error of @fn.
 */
int mtmap_buffer_batched(struct mtmap_buffer *buf, bool huge,
			 int (*fn)(struct mtmap_buffer *buf, struct page **pages,
				   unsigned int n, void *arg),
			 void *arg)
{
	struct folio *folio;
	struct page **batch;
	unsigned long idx;
	struct page *page;
	unsigned int n = 0, i;
	int err = 0;

	BUILD_BUG_ON(MTMAP_BATCH % MTMAP_HUGE_NR);
	batch = kvmalloc_array(MTMAP_BATCH, sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	for (idx = 0; (page = mtmap_buffer_next_page(buf, &idx)); idx++) {
		batch[n++] = page;
		if (n == MTMAP_BATCH) {
			err = fn(buf, batch, n, arg);
			n = 0;
			if (err)
				goto out;
		}
	}
	xa_for_each(&buf->huge, idx, folio) {
		if (!huge)
			break;
		if (n + MTMAP_HUGE_NR > MTMAP_BATCH) {
			err = fn(buf, batch, n, arg);
			n = 0;
			if (err)
				goto out;
		}
		for (i = 0; i < MTMAP_HUGE_NR; i++)
			batch[n++] = folio_page(folio, i);
	}
	if (n)
		err = fn(buf, batch, n, arg);
out:
	kvfree(batch);
	return err;
}
