// SPDX-License-Identifier: GPL-2.0
/*
 * Page faults and other VMA operations on buffer mappings.
 *
 * Buffers are mapped as PFN mappings (VM_PFNMAP), TTM style: the fault
 * computes the protection itself from the VMA's flags and the buffer's
 * current memory type and writes the PTE. Consequences:
 *
 * - The first write to a page costs exactly one fault: the PTE is
 *   written writable and dirty for a writable shared mapping, a read
 *   fault's and a prefaulted neighbour's too, so a read followed by a
 *   write costs one fault in all. Dirty matters: on an arm64 CPU without
 *   hardware dirty-bit management a clean writable PTE is read-only to
 *   the MMU. Nothing is ever written back from these pages, so "dirty"
 *   costs nothing. Nothing depends on vma->vm_page_prot, which
 *   write-notify would make read-only.
 * - A live memory-type change needs no VMA update: after the zap, the
 *   next fault computes the new type, which the direct map of every page
 *   already has (conversions happen with faults excluded, map_lock).
 * - Dirty tracking is opt-in and uses its own vm_ops: only they have
 *   ->pfn_mkwrite, so untracked mappings are never write-notified.
 */
#include <linux/bitops.h>
#include <linux/highmem.h>
#include <linux/mm.h>

#include "compat.h"
#include "mtmap.h"

/*
 * Calls of our fault handlers that did not fall back (debugfs "faults"):
 * a handler returning VM_FAULT_RETRY is called again for one access,
 * which getrusage() does not count, so the tests compare the two.
 */
static atomic_long_t mtmap_fault_handler_calls = ATOMIC_LONG_INIT(0);

/**
 * mtmap_fault_handler_count() - fault-handler calls since load
 *
 * Return: the number of ->fault and ->pfn_mkwrite calls, and of
 * ->huge_fault calls that did not return VM_FAULT_FALLBACK.
 */
long mtmap_fault_handler_count(void)
{
	return atomic_long_read(&mtmap_fault_handler_calls);
}

static bool mtmap_map_writable(struct mtmap_buffer *buf, struct vm_fault *vmf)
{
	/* Tracking: only a write fault may map a page writable (and dirty it). */
	return !buf->dirty || (vmf->flags & FAULT_FLAG_WRITE);
}

/*
 * Whether a PTE mapped @writable is written dirty (and young): always
 * where the mapping is writable, since only dirty tracking needs a clean
 * PTE (and then @writable is false unless this is the write fault).
 */
static bool mtmap_map_dirty(struct vm_area_struct *vma, bool writable)
{
	return writable && (vma->vm_flags & VM_WRITE);
}

static pgprot_t mtmap_map_prot(struct mtmap_buffer *buf,
			       struct vm_area_struct *vma, bool writable)
{
	vm_flags_t flags = vma->vm_flags;

	/*
	 * Read-only, but readable: a PROT_WRITE-only mapping without its
	 * write bit would be PAGE_NONE, which the CPU faults on forever (x86
	 * lets such a mapping read, so the core sends the read here).
	 */
	if (!writable && (flags & VM_WRITE))
		flags = (flags & ~VM_WRITE) | VM_READ;
	return mtmap_memtype_pgprot(buf->memtype, vm_get_page_prot(flags));
}

/* Pages of one prefault step: their PTEs are written in one page walk. */
#define MTMAP_MAP_CHUNK 16

struct mtmap_ptes {
	struct vm_area_struct *vma;
	struct page *pages[MTMAP_MAP_CHUNK];
	unsigned int i;
	pgprot_t prot;
	bool young, dirty;
};

/* apply_to_page_range() callback, under the PTE lock. */
static int mtmap_set_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct mtmap_ptes *p = data;
	pte_t pte;

	/* A racing fault of another thread may have mapped it already. */
	if (pte_none(ptep_get(ptep))) {
		pte = pte_mkspecial(pfn_pte(page_to_pfn(p->pages[p->i]), p->prot));
		if (p->young)
			pte = pte_mkyoung(pte);
		if (p->dirty)
			pte = pte_mkdirty(pte);
		set_pte_at(p->vma->vm_mm, addr, ptep, pte);
		update_mmu_cache(p->vma, addr, ptep);
	}
	p->i++;
	return 0;
}

/*
 * Is @addr mapped by a PMD leaf? Only mtmap_vm_huge_fault() inserts them in
 * our VMAs, under buf->lock, so the answer holds while the caller holds
 * it. The caller's VMA or mmap lock keeps the upper tables in place.
 */
static bool mtmap_pmd_leaf(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(READ_ONCE(*pgd)))
		return false;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(READ_ONCE(*p4d)))
		return false;
	pud = pud_offset(p4d, addr);
	if (pud_none(READ_ONCE(*pud)) || pud_leaf(READ_ONCE(*pud)))
		return false;
	return pmd_leaf(READ_ONCE(*pmd_offset(pud, addr)));
}

/*
 * Write the PTEs of @n pages from @addr, i915 style: one walk and one PTE
 * lock for the lot, special PTEs as vmf_insert_pfn_prot() writes them,
 * without its x86 PAT lookup of every pfn (a walk of the iomem resource
 * tree under its lock): the buffer's memory-type table already knows the
 * type of every page, the direct map was converted to it, and @prot
 * carries it. The range of an MTMAP_CREATE_HUGE buffer may hold a PMD
 * leaf, which apply_to_page_range() must never meet: there the core's
 * insert, which handles one, maps page by page. With @vmf (the faulting
 * page alone) kernels that allow it skip the walk: mtmap_fault_apply_pte().
 */
static vm_fault_t mtmap_write_ptes(struct mtmap_buffer *buf, struct mtmap_ptes *p,
				   struct vm_fault *vmf, unsigned long addr, unsigned int n)
{
	vm_fault_t ret;
	unsigned int j;
	pgprot_t prot;

	if (buf->flags & MTMAP_CREATE_HUGE) {
		/*
		 * Under buf->lock, as mtmap_vm_huge_fault() inserts a PMD. A
		 * chunk can become huge after our ->huge_fault fell back (a
		 * type change meanwhile, or our 4 KiB page failed too), and
		 * neighbours may lie in a huge chunk: the PTE insert must
		 * never meet a PMD leaf (walk_to_pmd() BUGs on one), nor our
		 * PTE table race with a PMD insert. Where a PMD is, the
		 * retried access uses it; a neighbour under one ends the step.
		 */
		ret = VM_FAULT_NOPAGE;
		mutex_lock(&buf->lock);
		/* The core's insert writes a clean PTE: dirty the protection. */
		prot = p->dirty ? mtmap_pgprot_mkdirty(p->prot) : p->prot;
		for (j = 0; j < n; j++) {
			if (mtmap_pmd_leaf(p->vma->vm_mm, addr + j * PAGE_SIZE))
				break;
			ret = vmf_insert_pfn_prot(p->vma, addr + j * PAGE_SIZE,
						  page_to_pfn(p->pages[j]), prot);
			if (ret & VM_FAULT_ERROR)
				break;
		}
		mutex_unlock(&buf->lock);
		return ret;
	}
	p->i = 0;
	/* The faulting page, where the kernel lets us skip a second walk. */
	if (vmf && mtmap_fault_apply_pte(vmf, mtmap_set_pte, p))
		return VM_FAULT_NOPAGE;
	if (apply_to_page_range(p->vma->vm_mm, addr, n << PAGE_SHIFT,
				mtmap_set_pte, p))
		return VM_FAULT_OOM;
	return VM_FAULT_NOPAGE;
}

/* Map the faulting page; called with map_lock held for read. */
static vm_fault_t mtmap_map_one(struct mtmap_buffer *buf, struct vm_fault *vmf,
				pgoff_t idx, bool writable)
{
	struct mtmap_ptes p = { .vma = vmf->vma };
	struct page *page;

	lockdep_assert_held_read(&buf->map_lock);
	page = mtmap_buffer_get_or_alloc_page(buf, idx);
	if (IS_ERR(page))
		return vmf_error(PTR_ERR(page));
	p.prot = mtmap_map_prot(buf, vmf->vma, writable);
	p.pages[0] = page;
	/* As the CPU would on the retried access: no second walk for it. */
	p.young = true;
	p.dirty = mtmap_map_dirty(vmf->vma, writable);
	return mtmap_write_ptes(buf, &p, vmf, vmf->address, 1);
}

/*
 * Prefault @n pages after the faulting one, as TTM does: best effort, the
 * first page that cannot be allocated ends it. Neighbours are mapped
 * writable and dirty only when no tracking needs their first write to
 * fault.
 */
static void mtmap_prefault(struct mtmap_buffer *buf, struct vm_area_struct *vma,
			   unsigned long addr, pgoff_t idx, unsigned int n)
{
	struct mtmap_ptes p = { .vma = vma };
	unsigned int i, k, want;
	struct page *page;

	lockdep_assert_held_read(&buf->map_lock);
	p.prot = mtmap_map_prot(buf, vma, !buf->dirty);
	p.dirty = mtmap_map_dirty(vma, !buf->dirty);
	p.young = p.dirty;
	for (i = 0; i < n; i += k) {
		want = min_t(unsigned int, n - i, MTMAP_MAP_CHUNK);
		for (k = 0; k < want; k++) {
			page = mtmap_buffer_get_or_alloc_page(buf, idx + i + k);
			if (IS_ERR(page))
				break;
			p.pages[k] = page;
		}
		/* Map what was allocated; a short step is the last one. */
		if (!k || (mtmap_write_ptes(buf, &p, NULL, addr + i * PAGE_SIZE, k) &
			   VM_FAULT_ERROR) || k < want)
			return;
	}
}

static vm_fault_t mtmap_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mtmap_buffer *buf = vma->vm_file->private_data;
	pgoff_t idx = vmf->pgoff & MTMAP_PGOFF_MASK;
	bool writable = mtmap_map_writable(buf, vmf);
	unsigned long n;
	vm_fault_t ret;

	atomic_long_inc(&mtmap_fault_handler_calls);
	/* mmap() checked the range, but a VMA split/remap must not escape. */
	if (unlikely(idx >= buf->npages))
		return VM_FAULT_SIGBUS;

	/* Held across the inserts: a type change cannot slip in between. */
	down_read(&buf->map_lock);
	ret = mtmap_map_one(buf, vmf, idx, writable);
	if (!(ret & VM_FAULT_ERROR)) {
		if (buf->dirty && writable)
			set_bit(idx, buf->dirty);
		n = min3((unsigned long)buf->prefault - 1,
			 (vma->vm_end - vmf->address) / PAGE_SIZE - 1,
			 (unsigned long)(buf->npages - idx - 1));
		if (n)
			mtmap_prefault(buf, vma, vmf->address + PAGE_SIZE, idx + 1, n);
	}
	up_read(&buf->map_lock);
	return ret;
}

/* Dirty tracking: a write to a page mapped read-only. */
static vm_fault_t mtmap_vm_pfn_mkwrite(struct vm_fault *vmf)
{
	struct mtmap_buffer *buf = vmf->vma->vm_file->private_data;
	pgoff_t idx = vmf->pgoff & MTMAP_PGOFF_MASK;

	atomic_long_inc(&mtmap_fault_handler_calls);
	if (unlikely(idx >= buf->npages))
		return VM_FAULT_SIGBUS;
	/*
	 * Recorded before the core makes the PTE writable. If a report zaps
	 * the PTE in between, the core's pte_same() check fails, the write
	 * faults again and is recorded again in the next interval.
	 */
	down_read(&buf->map_lock);
	set_bit(idx, buf->dirty);
	up_read(&buf->map_lock);
	return 0;
}

#ifdef MTMAP_HAVE_HUGE_FAULT
/* A fallback is no answer: the core goes on to ->fault, which counts. */
static vm_fault_t mtmap_vm_huge_fault_counted(struct vm_fault *vmf,
					      unsigned int order)
{
	vm_fault_t ret = mtmap_vm_huge_fault(vmf, order);

	if (!(ret & VM_FAULT_FALLBACK))
		atomic_long_inc(&mtmap_fault_handler_calls);
	return ret;
}
#endif

/*
 * Having ->map_pages lets the core call ->fault (and ->pfn_mkwrite) under
 * the per-VMA lock; without it every fault of 6.4+ is retried under
 * mmap_lock (vmf_can_call_fault()). Called under rcu_read_lock() for
 * read faults, where it must not sleep: it maps nothing and leaves the
 * fault to ->fault, so fault counts stay exactly what ->fault does.
 */
static vm_fault_t mtmap_vm_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff,
				     pgoff_t end_pgoff)
{
	return 0;
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

/*
 * ptrace and /proc/<pid>/mem: GUP cannot follow PFN mappings, so the core
 * asks us. generic_access_phys() refuses RAM, hence our own, through the
 * kernel alias (of the same memory type as the user mapping).
 */
static int mtmap_vm_access(struct vm_area_struct *vma, unsigned long addr,
			   void *ubuf, int len, int write)
{
	struct mtmap_buffer *buf = vma->vm_file->private_data;
	pgoff_t idx = (vma->vm_pgoff & MTMAP_PGOFF_MASK) +
		      ((addr - vma->vm_start) >> PAGE_SHIFT);
	unsigned int off = offset_in_page(addr);
	struct page *page;
	void *va;

	/* Like GUP on a shared mapping: even FOLL_FORCE needs VM_WRITE. */
	if (write && !(vma->vm_flags & VM_WRITE))
		return -EFAULT;
	if (idx >= buf->npages)
		return -EFAULT;
	len = min_t(int, len, PAGE_SIZE - off);

	down_read(&buf->map_lock);
	page = mtmap_buffer_get_or_alloc_page(buf, idx);
	if (IS_ERR(page)) {
		up_read(&buf->map_lock);
		return PTR_ERR(page);
	}
	va = kmap_local_page(page);
	if (write) {
		memcpy(va + off, ubuf, len);
		if (buf->dirty)
			set_bit(idx, buf->dirty);
	} else {
		memcpy(ubuf, va + off, len);
	}
	kunmap_local(va);
	up_read(&buf->map_lock);
	return len;
}

static const char *mtmap_vm_name(struct vm_area_struct *vma)
{
	return "[mtmap]";
}

const struct vm_operations_struct mtmap_vm_ops = {
	.open = mtmap_vm_open,
	.close = mtmap_vm_close,
	.fault = mtmap_vm_fault,
	.map_pages = mtmap_vm_map_pages,
#ifdef MTMAP_HAVE_HUGE_FAULT
	.huge_fault = mtmap_vm_huge_fault_counted,
#endif
	.access = mtmap_vm_access,
	.name = mtmap_vm_name,
};

const struct vm_operations_struct mtmap_vm_ops_dirty = {
	.open = mtmap_vm_open,
	.close = mtmap_vm_close,
	.fault = mtmap_vm_fault,
	.map_pages = mtmap_vm_map_pages,
#ifdef MTMAP_HAVE_HUGE_FAULT
	.huge_fault = mtmap_vm_huge_fault_counted,
#endif
	.pfn_mkwrite = mtmap_vm_pfn_mkwrite,
	.access = mtmap_vm_access,
	.name = mtmap_vm_name,
};
