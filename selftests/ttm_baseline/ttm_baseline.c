// SPDX-License-Identifier: GPL-2.0
/*
 * ttm_baseline: a test-only misc device (/dev/ttm_baseline) that maps
 * pages the way TTM-style drivers did before the 2024 fix, so the arm64
 * lane can show the double fault mtmap avoids. Not part of mtmap.
 *
 * mmap() (MAP_SHARED only) allocates the pages and makes the VMA
 * VM_PFNMAP; .fault inserts one page with
 * vmf_insert_pfn_prot(vma, addr, pfn, vma->vm_page_prot). On arm64 the
 * vm_page_prot of a shared writable mapping has PTE_RDONLY with
 * PTE_WRITE (DBM) set, and the insert leaves the PTE clean: a CPU without
 * hardware dirty-bit management faults once more on the retried store
 * (the fault only marks the PTE dirty). A first write thus costs two
 * faults there, one with DBM and on x86.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/version.h>

/* Enough for the measurement (64 pages) without letting a test pin RAM. */
#define TB_MAX_PAGES	4096

struct tb_map {
	refcount_t ref;
	unsigned long npages;
	struct page *pages[];
};

static void tb_map_put(struct tb_map *m)
{
	unsigned long i;

	if (!refcount_dec_and_test(&m->ref))
		return;
	for (i = 0; i < m->npages; i++)
		__free_page(m->pages[i]);
	kvfree(m);
}

/* A split or a fork's copy of the VMA shares the pages. */
static void tb_vm_open(struct vm_area_struct *vma)
{
	struct tb_map *m = vma->vm_private_data;

	refcount_inc(&m->ref);
}

static void tb_vm_close(struct vm_area_struct *vma)
{
	tb_map_put(vma->vm_private_data);
}

static vm_fault_t tb_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct tb_map *m = vma->vm_private_data;

	/* mmap() requires offset 0, so the file offset is the page index. */
	if (vmf->pgoff >= m->npages)
		return VM_FAULT_SIGBUS;
	/* The TTM pattern under test: the VMA's protection as it is. */
	return vmf_insert_pfn_prot(vma, vmf->address,
				   page_to_pfn(m->pages[vmf->pgoff]),
				   vma->vm_page_prot);
}

static const struct vm_operations_struct tb_vm_ops = {
	.open = tb_vm_open,
	.close = tb_vm_close,
	.fault = tb_vm_fault,
};

static int tb_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long npages = vma_pages(vma), i;
	struct tb_map *m;

	if (!(vma->vm_flags & VM_SHARED) || vma->vm_pgoff)
		return -EINVAL;
	if (npages > TB_MAX_PAGES)
		return -E2BIG;
	m = kvzalloc(struct_size(m, pages, npages), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	for (i = 0; i < npages; i++) {
		m->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!m->pages[i])
			break;
		m->npages++;
	}
	refcount_set(&m->ref, 1);
	if (m->npages < npages) {
		tb_map_put(m);
		return -ENOMEM;
	}
	/* vm_flags became read-only behind vm_flags_set() in 6.3. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
#else
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
#endif
	vma->vm_private_data = m;
	vma->vm_ops = &tb_vm_ops;
	return 0;
}

static const struct file_operations tb_fops = {
	.owner = THIS_MODULE,
	.mmap = tb_mmap,
};

static struct miscdevice tb_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ttm_baseline",
	.fops = &tb_fops,
};

module_misc_device(tb_misc);

MODULE_DESCRIPTION("Test-only TTM-style PFN-map fault handler (mtmap arm64 lane baseline)");
MODULE_LICENSE("GPL");
