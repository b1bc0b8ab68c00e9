// SPDX-License-Identifier: GPL-2.0
/*
 * 2 MiB mappings for buffers created with MTMAP_CREATE_HUGE.
 *
 * A 2 MiB-aligned chunk of such a buffer may be backed by one PMD-order
 * folio, mapped with one PMD. The folio's 512 pages are converted to the
 * buffer's memory type as one batch, so the PMD (whose type x86 PAT takes
 * from the first 4 KiB) is uniform. The handler falls back to 4 KiB
 * (VM_FAULT_FALLBACK) whenever a PMD cannot be used: the VMA does not
 * cover the aligned 2 MiB, the file offset is not congruent to the
 * address, part of the chunk was already populated with 4 KiB pages, or
 * the allocation fails. Whether the core calls ->huge_fault at all is
 * the kernel's decision and has changed within stable series (the THP
 * sysfs setting, MADV_(NO)HUGEPAGE, a VM_PFNMAP bypass), so every call of
 * PMD order is counted: debugfs ``faults`` shows the count, and the tests
 * expect a PMD exactly where the kernel asked for one.
 */
#include <kunit/visibility.h>
#include <linux/mm.h>

#include "compat.h"
#include "mtmap.h"

/* PMD-order ->huge_fault calls since load (debugfs "faults"). */
static atomic_long_t mtmap_huge_fault_calls = ATOMIC_LONG_INIT(0);

/**
 * mtmap_huge_fault_count() - how often the core asked for a PMD
 *
 * Return: the number of PMD-order ->huge_fault calls since the module was
 * loaded (0 on kernels where mtmap has no ->huge_fault).
 */
long mtmap_huge_fault_count(void)
{
	return atomic_long_read(&mtmap_huge_fault_calls);
}

/**
 * mtmap_huge_lookup() - the page at @idx if its chunk is a huge folio
 * @buf: the buffer
 * @idx: page index
 *
 * Return: the page inside the chunk's folio, or NULL.
 */
struct page *mtmap_huge_lookup(struct mtmap_buffer *buf, pgoff_t idx)
{
	struct folio *folio;

	if (!(buf->flags & MTMAP_CREATE_HUGE))
		return NULL;
	folio = xa_load(&buf->huge, idx >> MTMAP_HUGE_ORDER);
	return folio ? folio_page(folio, idx & (MTMAP_HUGE_NR - 1)) : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_huge_lookup);

#ifdef MTMAP_HAVE_HUGE_FAULT
/**
 * mtmap_huge_chunk() - the folio of a chunk, deciding its size if undecided
 * @buf: a MTMAP_CREATE_HUGE buffer, map_lock held for read and lock held
 * @chunk: chunk index
 * @idx: the faulting page, inside @chunk
 *
 * Decide, once and under buf->lock, what chunk @chunk is: huge once its
 * folio is in the xarray, 4 KiB once any of its 4 KiB pages exists. An
 * undecided chunk gets a folio; if that cannot be allocated, the faulting
 * page @idx is allocated as a 4 KiB page in the same critical section, so
 * that no other fault can make the chunk huge after ours has fallen back
 * (its 4 KiB path would meet a PMD leaf, or our PTE table its PMD insert).
 * Should the 4 KiB page fail as well, the chunk stays undecided and the
 * 4 KiB fault reports the error; mtmap_write_ptes() copes with a chunk
 * that became huge meanwhile. Non-static for KUnit only.
 *
 * Return: the chunk's folio, or NULL for a 4 KiB chunk.
 */
struct folio *mtmap_huge_chunk(struct mtmap_buffer *buf, pgoff_t chunk,
			       pgoff_t idx)
{
	pgoff_t first = chunk << MTMAP_HUGE_ORDER;
	struct folio *folio;

	lockdep_assert_held_read(&buf->map_lock);
	lockdep_assert_held(&buf->lock);
	folio = xa_load(&buf->huge, chunk);
	if (folio)
		return folio;
	/* Only a chunk none of whose pages exist yet can become huge. */
	if (memchr_inv(&buf->pages[first], 0, MTMAP_HUGE_NR * sizeof(*buf->pages)))
		return NULL;
	folio = buf->placement->alloc_huge(buf);
	if (folio && xa_err(xa_store(&buf->huge, chunk, folio, GFP_KERNEL))) {
		buf->placement->release_huge(buf, folio);
		folio = NULL;
	}
	if (!folio) {
		mtmap_buffer_install(buf, idx);
		return NULL;
	}
	atomic_long_add(MTMAP_HUGE_NR, &buf->populated);
	return folio;
}
EXPORT_SYMBOL_IF_KUNIT(mtmap_huge_chunk);

/**
 * mtmap_vm_huge_fault() - ->huge_fault of buffer mappings
 * @vmf: the fault
 * @order: PMD_ORDER for a PMD; anything else falls back
 *
 * Return: VM_FAULT_NOPAGE with a PMD mapped, VM_FAULT_FALLBACK to let the
 * core map 4 KiB pages, or an error.
 */
vm_fault_t mtmap_vm_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mtmap_buffer *buf = vma->vm_file->private_data;
	unsigned long haddr = vmf->address & PMD_MASK;
	pgoff_t idx = vmf->pgoff & MTMAP_PGOFF_MASK;
	pgoff_t first = idx - ((vmf->address - haddr) >> PAGE_SHIFT);
	/* Map it dirty unless tracking needs the first write to fault. */
	bool write = (vmf->flags & FAULT_FLAG_WRITE) ||
		     (!buf->dirty && (vma->vm_flags & VM_WRITE));
	vm_fault_t ret = VM_FAULT_FALLBACK;
	struct folio *folio;
	pgprot_t want;
	pmd_t pmd;

	if (order != MTMAP_HUGE_ORDER)
		return VM_FAULT_FALLBACK;
	atomic_long_inc(&mtmap_huge_fault_calls);
	if (!(buf->flags & MTMAP_CREATE_HUGE))
		return VM_FAULT_FALLBACK;
	if (haddr < vma->vm_start || haddr + PMD_SIZE > vma->vm_end ||
	    first & (MTMAP_HUGE_NR - 1) || first + MTMAP_HUGE_NR > buf->npages)
		return VM_FAULT_FALLBACK;

	down_read(&buf->map_lock);
	/*
	 * The PMD insert takes its protection from vm_page_prot (PAT then
	 * fixes the cache bits, unless PAT is off): only use it while that
	 * still describes the buffer's type. Checked under map_lock, which
	 * keeps the type until the PMD is written: checked before it, a type
	 * change that we then wait for would slip in between (nopat: a PMD
	 * of the old type over pages of the new one).
	 */
	want = mtmap_memtype_pgprot(buf->memtype, vm_get_page_prot(vma->vm_flags));
	if (!mtmap_arch_same_cache(vma->vm_page_prot, want))
		goto out;
	/*
	 * A read under dirty tracking maps the PMD with vm_page_prot,
	 * read-only (write-notify). Anything else maps it writable and dirty
	 * (and young), a read too: a clean writable PMD is read-only to an
	 * arm64 MMU without hardware dirty-bit management, so the first
	 * store would fault again. Under tracking a write records the chunk.
	 * buf->lock is held across the insert, as mtmap_write_ptes() holds it
	 * across its PTE inserts in huge buffers, so that a PMD and a PTE
	 * table of one chunk never race for the same PMD entry.
	 */
	mutex_lock(&buf->lock);
	folio = mtmap_huge_chunk(buf, first >> MTMAP_HUGE_ORDER, idx);
	if (!folio)
		goto unlock;
	/* 4 KiB faults mapped part of the chunk here: keep to PTEs. */
	pmd = READ_ONCE(*vmf->pmd);
	if (!pmd_none(pmd) && !pmd_leaf(pmd))
		goto unlock;
	ret = mtmap_insert_pfn_pmd(vmf, folio_pfn(folio), write);
	if (!(ret & VM_FAULT_ERROR) && buf->dirty && write)
		bitmap_set(buf->dirty, first, MTMAP_HUGE_NR);
unlock:
	mutex_unlock(&buf->lock);
out:
	up_read(&buf->map_lock);
	return ret;
}
#endif

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
/**
 * mtmap_get_unmapped_area() - place mappings of huge buffers 2 MiB aligned
 * @file: the buffer file
 * @addr: hint
 * @len: length
 * @pgoff: file offset in pages
 * @flags: mmap flags
 *
 * Aligning costs nothing for other buffers, so all are handled alike.
 *
 * Return: the address, or a negative errno.
 */
unsigned long mtmap_get_unmapped_area(struct file *file, unsigned long addr,
				      unsigned long len, unsigned long pgoff,
				      unsigned long flags)
{
	return thp_get_unmapped_area(file, addr, len, pgoff, flags);
}
#endif
