// SPDX-License-Identifier: GPL-2.0
/*
 * Argument validation for the uAPI. Kept free of side effects so KUnit
 * can drive every branch; callers turn @why into a ratelimited log line.
 */
#include <kunit/visibility.h>
#include <linux/errno.h>
#include <linux/mm.h>

#include "compat.h"
#include "mtmap.h"

/**
 * mtmap_validate_create() - check a struct mtmap_create from userspace
 * @c: the request, already copied in (unknown trailing bytes were zero)
 * @max_bytes: largest buffer allowed (module parameter)
 * @why: set to a short reason on failure
 *
 * Return: 0 if the request is acceptable; -EOPNOTSUPP for a WC or UC-
 * buffer where the direct map cannot be converted (the placement's
 * check); -EINVAL otherwise.
 */
int mtmap_validate_create(const struct mtmap_create *c, u64 max_bytes,
			  const char **why)
{
	const struct mtmap_placement *placement;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c->reserved); i++) {
		if (c->reserved[i]) {
			*why = "reserved field not zero";
			return -EINVAL;
		}
	}
	if (c->reserved0) {
		*why = "reserved field not zero";
		return -EINVAL;
	}
	if (c->flags & ~(u32)MTMAP_CREATE_FLAGS_ALL) {
		*why = "unknown flags";
		return -EINVAL;
	}
	if (!(c->flags & MTMAP_CREATE_PREFAULT) && c->prefault) {
		*why = "prefault count without MTMAP_CREATE_PREFAULT";
		return -EINVAL;
	}
	if (c->prefault > MTMAP_PREFAULT_MAX) {
		*why = "prefault count above MTMAP_PREFAULT_MAX";
		return -EINVAL;
	}
	if (!c->size) {
		*why = "size is zero";
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(c->size)) {
		*why = "size not a multiple of the page size";
		return -EINVAL;
	}
	if (c->size > max_bytes || c->size > MTMAP_MAX_BYTES) {
		*why = "size above max_buffer_mb";
		return -EINVAL;
	}
	placement = mtmap_placement_get(c->placement);
	if (!placement) {
		*why = "unknown placement";
		return -EINVAL;
	}
	return placement->check_memtype(c->memtype, why);
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_validate_create);

/**
 * mtmap_validate_memtype() - check a memory type asked for a RAM buffer
 * @memtype: MTMAP_MEMTYPE_* value from userspace
 * @why: set to a short reason on failure
 *
 * Return: 0 for WB, and for WC and UC- where the kernel can convert the
 * direct map of RAM to them; -EOPNOTSUPP for WC and UC- where it cannot
 * (arm64); -EINVAL otherwise.
 */
int mtmap_validate_memtype(u32 memtype, const char **why)
{
	switch (memtype) {
	case MTMAP_MEMTYPE_WB:
		return 0;
	case MTMAP_MEMTYPE_WC:
	case MTMAP_MEMTYPE_UC_MINUS:
		/*
		 * Without a conversion the user mapping would alias the
		 * cacheable direct map: exactly what one type per page forbids.
		 */
		if (!mtmap_arch_can_convert()) {
			*why = "WC and UC- need a direct-map conversion this arch lacks";
			return -EOPNOTSUPP;
		}
		return 0;
	case MTMAP_MEMTYPE_WT:
		/*
		 * x86 exports no way to make the direct map of RAM WT, so a WT
		 * user mapping would alias a WB kernel mapping.
		 */
		*why = "WT is not available for RAM";
		return -EINVAL;
	default:
		*why = "unknown memtype";
		return -EINVAL;
	}
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_validate_memtype);

/**
 * mtmap_validate_range() - check that a page range lies inside a buffer
 * @buf_pages: buffer size in pages
 * @pgoff: first page of the range
 * @npages: length of the range in pages
 * @why: set to a short reason on failure
 *
 * Written so that no sum can overflow, whatever userspace passes.
 *
 * Return: 0 if [@pgoff, @pgoff + @npages) is inside the buffer and not
 * empty, -EINVAL otherwise.
 */
int mtmap_validate_range(u64 buf_pages, u64 pgoff, u64 npages,
			 const char **why)
{
	if (!npages) {
		*why = "empty range";
		return -EINVAL;
	}
	if (pgoff >= buf_pages) {
		*why = "offset beyond the buffer";
		return -EINVAL;
	}
	if (npages > buf_pages - pgoff) {
		*why = "range extends beyond the buffer";
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_validate_range);
