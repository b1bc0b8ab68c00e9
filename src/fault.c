// SPDX-License-Identifier: GPL-2.0
/*
 * Page faults on buffer mappings.
 *
 * Buffers are mapped as PFN mappings (VM_PFNMAP), TTM style: the fault
 * computes the protection itself from the VMA's flags and the buffer's
 * current memory type and inserts the pfn. Two consequences:
 *
 * - The first write to a page costs exactly one fault: the PTE is
 *   inserted writable for a writable shared mapping (the CPU then sets
 *   it dirty on the retried write), and so is a read fault's, so a read
 *   followed by a write costs one fault in all. Nothing here depends on
 *   vma->vm_page_prot, which write-notify would make read-only.
 * - A live memory-type change needs no VMA update: after the zap, the
 *   next fault computes the new type. On x86 with PAT, the core also
 *   forces the cache bits of a RAM pfn insert to the page's tracked type
 *   (the same as its direct map), so the two can never differ.
 */
#include <linux/mm.h>

#include "mtmap.h"

static vm_fault_t mtmap_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mtmap_buffer *buf = vma->vm_file->private_data;
	pgoff_t idx = vmf->pgoff & MTMAP_PGOFF_MASK;
	struct page *page;
	vm_fault_t ret;
	pgprot_t prot;

	/* mmap() checked the range, but a VMA split/remap must not escape. */
	if (unlikely(idx >= buf->npages))
		return VM_FAULT_SIGBUS;

	/* Held across the insert: a type change cannot slip in between. */
	down_read(&buf->map_lock);
	page = mtmap_buffer_get_page(buf, idx);
	if (IS_ERR(page)) {
		ret = vmf_error(PTR_ERR(page));
		goto out;
	}
	prot = mtmap_memtype_pgprot(buf->memtype, vm_get_page_prot(vma->vm_flags));
	ret = vmf_insert_pfn_prot(vma, vmf->address, page_to_pfn(page), prot);
out:
	up_read(&buf->map_lock);
	return ret;
}

static void mtmap_vm_open(struct vm_area_struct *vma)
{
	struct mtmap_buffer *buf = vma->vm_file->private_data;
	int pinned = mtmap_vma_pinned_type(vma);

	atomic_inc(&buf->nr_maps);
	if (pinned >= 0)
		atomic_inc(&buf->nr_pinned[pinned]);
}

static void mtmap_vm_close(struct vm_area_struct *vma)
{
	struct mtmap_buffer *buf = vma->vm_file->private_data;
	int pinned = mtmap_vma_pinned_type(vma);

	atomic_dec(&buf->nr_maps);
	if (pinned >= 0)
		atomic_dec(&buf->nr_pinned[pinned]);
}

const struct vm_operations_struct mtmap_vm_ops = {
	.open = mtmap_vm_open,
	.close = mtmap_vm_close,
	.fault = mtmap_vm_fault,
};
