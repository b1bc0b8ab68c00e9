// SPDX-License-Identifier: GPL-2.0
/*
 * Placements: the backing store of a buffer's pages. System RAM for now.
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "mtmap.h"

/*
 * Charged to the faulting task's memcg like anonymous memory; NOWARN
 * because a failed allocation is reported to the faulting task as
 * VM_FAULT_OOM, and fault injection must not produce splats.
 */
#define MTMAP_SYSTEM_GFP (GFP_HIGHUSER | __GFP_ACCOUNT | __GFP_ZERO | __GFP_NOWARN)

static struct page *mtmap_system_alloc_page(struct mtmap_buffer *buf)
{
	struct page *page = alloc_page(MTMAP_SYSTEM_GFP);

	return page ? page : ERR_PTR(-ENOMEM);
}

static void mtmap_system_free_page(struct mtmap_buffer *buf, struct page *page)
{
	put_page(page);
}

static const struct mtmap_placement mtmap_placement_system = {
	.name = "system",
	.id = MTMAP_PLACEMENT_SYSTEM,
	.alloc = mtmap_system_alloc_page,
	.release = mtmap_system_free_page,
};

/**
 * mtmap_placement_get() - look up a placement by its uAPI id
 * @id: MTMAP_PLACEMENT_* value
 *
 * Return: the placement, or NULL if @id is unknown.
 */
const struct mtmap_placement *mtmap_placement_get(u32 id)
{
	switch (id) {
	case MTMAP_PLACEMENT_SYSTEM:
		return &mtmap_placement_system;
	default:
		return NULL;
	}
}
