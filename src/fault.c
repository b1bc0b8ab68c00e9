// SPDX-License-Identifier: GPL-2.0
/*
 * Page faults on buffer mappings.
 *
 * The page is handed back through vmf->page rather than inserted with
 * vm_insert_page()/vmf_insert_pfn(): the core then installs the PTE in
 * finish_fault(), writable and dirty on a write fault of a shared mapping.
 * So the first write to a page costs exactly one fault, on every kernel
 * we support. There is deliberately no ->page_mkwrite or ->pfn_mkwrite:
 * either would make the mapping write-notify and cost a second fault.
 */
#include <linux/mm.h>

#include "mtmap.h"

static vm_fault_t mtmap_vm_fault(struct vm_fault *vmf)
{
	struct mtmap_buffer *buf = vmf->vma->vm_file->private_data;
	struct page *page;

	/* mmap() checked the range, but a VMA split/remap must not escape. */
	if (unlikely(vmf->pgoff >= buf->npages))
		return VM_FAULT_SIGBUS;

	page = mtmap_buffer_get_page(buf, vmf->pgoff);
	if (IS_ERR(page))
		return vmf_error(PTR_ERR(page));

	/* The PTE gets its own reference; the buffer keeps one until release. */
	get_page(page);
	vmf->page = page;
	return 0;
}

const struct vm_operations_struct mtmap_vm_ops = {
	.fault = mtmap_vm_fault,
};
