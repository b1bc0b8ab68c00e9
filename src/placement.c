// SPDX-License-Identifier: GPL-2.0
/*
 * Placements: where a buffer's pages come from. Every page and folio a
 * buffer gets is allocated and freed here, through the buffer's struct
 * mtmap_placement, so that a placement in VRAM or device-private memory
 * plugs in without touching the buffer, fault or huge-page code.
 *
 * System RAM is the only placement so far. Its 4 KiB pages come from the
 * per-type pools (pool.c), its 2 MiB folios straight from the page
 * allocator, converted to the buffer's type in one batch.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "mtmap.h"

/*
 * Charged to the faulting task's memcg like anonymous memory; NOWARN
 * because a failed allocation is reported to the faulting task as
 * VM_FAULT_OOM, and fault injection must not produce splats.
 */
#define MTMAP_SYSTEM_GFP (GFP_HIGHUSER | __GFP_ACCOUNT | __GFP_NOWARN)

static struct page *mtmap_system_alloc(struct mtmap_buffer *buf)
{
	return mtmap_pool_alloc_page(&buf->owner, buf->memtype, MTMAP_SYSTEM_GFP);
}

static void mtmap_system_release(struct mtmap_buffer *buf, struct page **pages,
				 unsigned int n, u32 type)
{
	mtmap_pool_free_pages(&buf->owner, pages, n, type);
}

/* The pages of a chunk folio, for the batched memory-type calls. */
static struct page **mtmap_huge_pages(struct folio *folio)
{
	struct page **pages;
	unsigned int i;

	pages = kmalloc_array(MTMAP_HUGE_NR, sizeof(*pages), GFP_KERNEL);
	if (pages) {
		for (i = 0; i < MTMAP_HUGE_NR; i++)
			pages[i] = folio_page(folio, i);
	}
	return pages;
}

/*
 * Make the pages of a folio WB (from @type) and untracked, so it can be
 * freed: true if every page's direct map is proven WB. Without memory for
 * a 512-entry array, the folio is done in pieces on the stack.
 */
static bool mtmap_huge_release_pages(struct mtmap_buffer *buf,
				     struct folio *folio, u32 type)
{
	struct page *piece[32], **pages = mtmap_huge_pages(folio);
	unsigned int i, j, ok = 0;

	if (pages) {
		ok = mtmap_track_release(&buf->owner, pages, MTMAP_HUGE_NR, type);
		kfree(pages);
		return ok == MTMAP_HUGE_NR;
	}
	for (i = 0; i < MTMAP_HUGE_NR; i += ARRAY_SIZE(piece)) {
		for (j = 0; j < ARRAY_SIZE(piece); j++)
			piece[j] = folio_page(folio, i + j);
		ok += mtmap_track_release(&buf->owner, piece, ARRAY_SIZE(piece), type);
	}
	return ok == MTMAP_HUGE_NR;
}

/*
 * A zeroed PMD-order folio of the buffer's type. NORETRY: a failure only
 * means 4 KiB pages, which must not cost a full reclaim first.
 */
static struct folio *mtmap_system_alloc_huge(struct mtmap_buffer *buf)
{
	struct folio *folio;
	struct page **pages;
	int err;

	folio = folio_alloc(MTMAP_SYSTEM_GFP | __GFP_ZERO | __GFP_NORETRY,
			    MTMAP_HUGE_ORDER);
	if (!folio)
		return NULL;
	if (mtmap_track_check_fresh_range(&buf->owner, folio_pfn(folio),
					  MTMAP_HUGE_NR))
		goto err_put;
	/* All 512 pages in one batch: one TLB flush, one type for the PMD. */
	if (buf->memtype != MTMAP_MEMTYPE_WB) {
		pages = mtmap_huge_pages(folio);
		if (!pages)
			goto err_put;
		err = mtmap_track_set_type(&buf->owner, pages, MTMAP_HUGE_NR,
					   MTMAP_MEMTYPE_WB, buf->memtype);
		kfree(pages);
		/*
		 * The conversion was undone; a page it could not prove WB
		 * again keeps the whole folio out of the page allocator.
		 */
		if (err) {
			if (mtmap_huge_release_pages(buf, folio, MTMAP_MEMTYPE_WB))
				folio_put(folio);
			return NULL;
		}
	}
	return folio;

err_put:
	folio_put(folio);
	return NULL;
}

static void mtmap_system_release_huge(struct mtmap_buffer *buf,
				      struct folio *folio)
{
	/* A page that cannot be made WB again leaks the whole folio. */
	if (mtmap_huge_release_pages(buf, folio, buf->memtype))
		folio_put(folio);
}

static const struct mtmap_placement mtmap_placement_system = {
	.name = "system",
	.id = MTMAP_PLACEMENT_SYSTEM,
	.check_memtype = mtmap_validate_memtype,
	.alloc = mtmap_system_alloc,
	.release = mtmap_system_release,
	.alloc_huge = mtmap_system_alloc_huge,
	.release_huge = mtmap_system_release_huge,
};

static const struct mtmap_placement *const mtmap_placements[] = {
	[MTMAP_PLACEMENT_SYSTEM] = &mtmap_placement_system,
};

/**
 * mtmap_placement_get() - look up a placement by its uAPI id
 * @id: MTMAP_PLACEMENT_* value
 *
 * Return: the placement, or NULL if @id is unknown.
 */
const struct mtmap_placement *mtmap_placement_get(u32 id)
{
	return id < ARRAY_SIZE(mtmap_placements) ? mtmap_placements[id] : NULL;
}
