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

static const struct mtmap_placement mtmap_placement_system = {
	.name = "system",
	.id = MTMAP_PLACEMENT_SYSTEM,
	.alloc = mtmap_system_alloc,
	.release = mtmap_system_release,
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
