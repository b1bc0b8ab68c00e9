/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every architecture difference mtmap cares about lives here (included by
 * compat.h), so the rest of the module uses generic helpers only.
 *
 * The difference that matters is the kernel's direct map of RAM. x86
 * exports a way to change its memory type (set_pages_array_*(), CPA), so
 * WC and UC- buffers in RAM can be made without a second, cacheable alias.
 * arm64 exports none: its linear map is Normal WB, and the calls that
 * rewrite it (set_memory_valid(), set_direct_map_*()) change validity and
 * permissions, never the attribute index. There mtmap refuses WC and UC-
 * RAM buffers (mtmap_validate_memtype(), Documentation/memtypes.rst).
 */
#ifndef _MTMAP_ARCH_H
#define _MTMAP_ARCH_H

#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/types.h>
#include <uapi/mtmap.h>

#ifdef CONFIG_X86
#include <linux/set_memory.h>
#include <asm/memtype.h>
#include <asm/pgtable.h>

/* x86 converts the direct map of RAM: WC and UC- buffers are possible. */
static inline bool mtmap_arch_can_convert(void)
{
	return true;
}

/* Without PAT (nopat) x86 has no WC: set_memory_wc() gives UC-. */
static inline bool mtmap_arch_has_wc(void)
{
	return pat_enabled();
}

/*
 * Memory type of the direct map at @page, read from its page-table entry,
 * and in @span the number of pages from @page to the end of that entry (1
 * for a 4 KiB entry, up to 512 for a 2 MiB one): they all share the type.
 * With PAT off WC and UC- have the same bits and WC is returned; the
 * caller maps that to the effective type. -ENOENT if unmapped, -EIO for a
 * cache mode mtmap never sets.
 */
static inline int mtmap_arch_directmap_span(struct page *page, unsigned long *span)
{
	static const enum page_cache_mode modes[] = {
		[MTMAP_MEMTYPE_WB] = _PAGE_CACHE_MODE_WB,
		[MTMAP_MEMTYPE_WC] = _PAGE_CACHE_MODE_WC,
		[MTMAP_MEMTYPE_UC_MINUS] = _PAGE_CACHE_MODE_UC_MINUS,
	};
	unsigned long addr = (unsigned long)page_address(page);
	unsigned int level;
	pteval_t bits;
	pte_t *pte;
	u32 t;

	*span = 1;
	pte = lookup_address(addr, &level);
	if (!pte || !pte_present(*pte))
		return -ENOENT;
	bits = pte_flags(*pte);
	if (level != PG_LEVEL_4K) {
		unsigned long size = page_level_size(level);

		bits = protval_large_2_4k(bits);
		*span = (size - (addr & (size - 1))) >> PAGE_SHIFT;
	}
	bits &= _PAGE_CACHE_MASK;
	for (t = MTMAP_MEMTYPE_WB; t < ARRAY_SIZE(modes); t++) {
		if (bits == (cachemode2protval(modes[t]) & _PAGE_CACHE_MASK))
			return t;
	}
	return -EIO;
}

/*
 * Convert the direct map of @n pages to @type (WB, WC or UC-) in one
 * batch: one cache flush and one TLB flush on all CPUs. Non-WB to non-WB
 * must go through WB (the caller does).
 */
static inline int mtmap_arch_set_pages(struct page **pages, unsigned int n, u32 type)
{
	switch (type) {
	case MTMAP_MEMTYPE_WB:
		return set_pages_array_wb(pages, n);
	case MTMAP_MEMTYPE_WC:
		return set_pages_array_wc(pages, n);
	case MTMAP_MEMTYPE_UC_MINUS:
		return set_pages_array_uc(pages, n);
	default:
		return -EINVAL;
	}
}

/* The PAT/PCD/PWT bits: what makes a protection WB, WC or UC-. */
static inline bool mtmap_arch_same_cache(pgprot_t a, pgprot_t b)
{
	return !((pgprot_val(a) ^ pgprot_val(b)) & _PAGE_CACHE_MASK);
}

#else /* !CONFIG_X86 */

/*
 * No exported way to change the memory type of the direct map (arm64:
 * the linear map): only WB buffers in RAM, which are what the alias is.
 */
static inline bool mtmap_arch_can_convert(void)
{
	return false;
}

/* pgprot_writecombine() is real WC (arm64: Normal-NC); unused for RAM. */
static inline bool mtmap_arch_has_wc(void)
{
	return true;
}

/*
 * The direct map of RAM is WB by construction and nothing a module can
 * call changes its type, so there is no entry to read: every page is WB.
 * (arm64 exports no walk of the kernel's page tables: init_mm and
 * swapper_pg_dir are not available to modules.)
 */
static inline int mtmap_arch_directmap_span(struct page *page, unsigned long *span)
{
	*span = 1;
	return MTMAP_MEMTYPE_WB;
}

/* WB is what the direct map already is; anything else cannot be done. */
static inline int mtmap_arch_set_pages(struct page **pages, unsigned int n, u32 type)
{
	return type == MTMAP_MEMTYPE_WB ? 0 : -EOPNOTSUPP;
}

#ifdef CONFIG_ARM64
/* The MAIR attribute index: Normal, Normal-NC, Device-nGnRE, ... */
static inline bool mtmap_arch_same_cache(pgprot_t a, pgprot_t b)
{
	return !((pgprot_val(a) ^ pgprot_val(b)) & PTE_ATTRINDX_MASK);
}
#else
#error "mtmap: the memory-type bits of this architecture's PTEs are not described here"
#endif

#endif /* CONFIG_X86 */

/*
 * @prot as pte_mkdirty() and pte_mkyoung() would leave a PTE, for inserts
 * that take a protection rather than a PTE (vmf_insert_pfn_prot()). On an
 * arm64 CPU without hardware dirty-bit management a writable PTE that is
 * not dirty is read-only to the MMU (PTE_RDONLY), so the store that
 * faulted would fault again; pte_mkdirty() clears PTE_RDONLY. On x86 the
 * CPU sets the dirty bit itself and this only saves it the work.
 */
static inline pgprot_t mtmap_pgprot_mkdirty(pgprot_t prot)
{
	return pte_pgprot(pte_mkyoung(pte_mkdirty(pfn_pte(0, prot))));
}

#endif /* _MTMAP_ARCH_H */
